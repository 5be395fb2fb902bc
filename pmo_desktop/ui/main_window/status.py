"""The figures the status bar shows: reporting period and record counts, read in one session."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
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


def read_status_summary(session: Session, today: dt.date | None = None) -> StatusSummary:
    """The latest reporting period (or this month's end) and how many records there are."""
    latest = session.scalar(select(func.max(StatusReport.period_end)))

    def count(statement) -> int:
        return int(session.scalar(statement) or 0)

    return StatusSummary(
        period_end=latest or month_end(today or dt.date.today()),
        period_from_reports=latest is not None,
        projects=count(select(func.count(Project.id))),
        people=count(select(func.count(Person.id)).where(Person.active.is_(True))),
        open_raid_items=count(select(func.count(RaidItem.id)).where(RaidItem.status != RaidStatus.CLOSED.value)),
        gate_reviews=count(select(func.count(GateReview.id))),
    )
