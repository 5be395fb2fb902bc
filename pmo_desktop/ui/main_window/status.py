"""The figures the status bar shows: reporting period and record counts, read in one Core query.

The query names the tables, not the mapped classes, so that the status bar shown with the first
window neither compiles an ORM query nor configures the mappers.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, ScalarSelect, func, select
from sqlalchemy.orm import Session

from ...model import GateReview, Person, Project, RaidItem, RaidStatus, StatusReport


@dataclass(frozen=True, slots=True)
class StatusSummary:
    """What the status bar says about the open database."""

    period_end: dt.date
    period_from_reports: bool  # False: no status report yet, so the current month end is shown
    projects: int
    people: int
    open_raid_items: int
    gate_reviews: int

    def period_text(self) -> str:
        text = f"Period ending {self.period_end:%d %b %Y}"
        return text if self.period_from_reports else f"{text} (no reports yet)"

    def counts_text(self) -> str:
        def plural(n: int, noun: str, nouns: str | None = None) -> str:
            return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"
        return " · ".join([
            plural(self.projects, "project"), plural(self.people, "person", "people"),
            plural(self.open_raid_items, "open RAID item"), plural(self.gate_reviews, "gate review"),
        ])


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def read_status_summary(session: Session | Connection, today: dt.date | None = None) -> StatusSummary:
    """The latest reporting period (or this month's end) and how many records there are."""
    report, project, person = StatusReport.__table__, Project.__table__, Person.__table__
    raid, review = RaidItem.__table__, GateReview.__table__

    def count(table, *where) -> ScalarSelect[int]:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    latest, projects, people, open_raid_items, gate_reviews = session.execute(select(
        select(func.max(report.c.period_end)).scalar_subquery(),
        count(project),
        count(person, person.c.active.is_(True)),
        count(raid, raid.c.status != RaidStatus.CLOSED.value),
        count(review),
    )).one()
    return StatusSummary(
        period_end=latest or month_end(today or dt.date.today()),
        period_from_reports=latest is not None,
        projects=projects,
        people=people,
        open_raid_items=open_raid_items,
        gate_reviews=gate_reviews,
    )
