"""Every query behind a tab's table, its detail panel and the figures it filters by uses an index.

Each case runs the real service or analytics call on a demo office in SQLite, records the SELECTs
it sends, and asks SQLite for each one's plan (EXPLAIN QUERY PLAN). A plan that reads a large
table row by row in full (``SCAN table``, also ``SCAN table USING INDEX ix`` which visits every row
in index order) fails the case, unless the case lists that table as one it reads in full on
purpose (the Portfolio table shows every project). A scan of a covering index reads only the
index (for example the latest period of every project from the (project, period) index) and is
not counted. Without ``ANALYZE`` SQLite plans from its own fixed estimates, so the plans do not
depend on the demo's size.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from pmo_desktop.analytics import resources as utilisation
from pmo_desktop.analytics.changes import what_changed
from pmo_desktop.analytics.risks import risk_matrix
from pmo_desktop.demo import build_demo
from pmo_desktop.model import AuditEvent, Person, Project, RaidItem
from pmo_desktop.model.database import open_database
from pmo_desktop.services import resources
from pmo_desktop.services.audit_trail import record_history, record_label
from pmo_desktop.services.governance import review_rows
from pmo_desktop.services.portfolio import get_project, project_rows
from pmo_desktop.services.raid import raid_rows

TODAY = dt.date(2026, 11, 26)

LARGE_TABLES = frozenset({
    "project", "status_report", "milestone", "raid_item", "person", "allocation", "absence", "gate_review",
    "gate_criterion_result", "audit_event",
})
"""Tables that grow with the office and its history (a few hundred to hundreds of thousands of rows)."""

_FULL_SCAN = re.compile(r"^SCAN (\w+)(?: USING (?:INDEX|PRIMARY KEY)\b.*)?$")


@dataclass(frozen=True)
class Case:
    name: str
    call: Callable[[Session, dict], object]
    reads_in_full: frozenset[str] = frozenset()
    """Tables the call lists in full on purpose."""


def _first(session: Session, column) -> int:
    return session.query(column).order_by(column).limit(1).scalar()


CASES = [
    Case("Portfolio table: project_rows", lambda s, ids: project_rows(s), frozenset({"project"})),
    Case("Portfolio panel: a project with its milestones and status reports",
         lambda s, ids: get_project(s, ids["project"])),
    Case("Portfolio 'What changed': status reports of two periods, audit of RAID items by entity",
         lambda s, ids: what_changed(s, dt.date(2026, 9, 30), dt.date(2026, 10, 31))),
    Case("Risks table: raid_rows", lambda s, ids: raid_rows(s, TODAY), frozenset({"raid_item"})),
    Case("Risks matrix as of a past date: audit events of RAID items up to that day",
         lambda s, ids: risk_matrix(s, as_of=dt.date(2026, 10, 1))),
    # Most allocations run into this week or later, so their load is read in person order.
    Case("Resources table: people rows with this week's allocations",
         lambda s, ids: resources.person_rows(s, TODAY), frozenset({"person", "allocation"})),
    Case("Resources panel: one person with allocations and absences", lambda s, ids: resources.get_person(s, ids["person"])),
    Case("Heat map cell: one person's allocations in one week",
         lambda s, ids: resources.week_allocations(s, ids["person"], utilisation.week_start(TODAY))),
    # Everyone is listed; absences (a few per person) are all read against the weeks.
    Case("Heat map: allocations per person and week over 52 weeks",
         lambda s, ids: utilisation.utilisation(s, TODAY, 52), frozenset({"person", "absence"})),
    Case("Heat map after an edit: allocations per person and week for the people touched",
         lambda s, ids: utilisation.person_rows(s, TODAY, 52, [ids["person"]])),
    # Every review is listed, so every criterion result is counted: once, grouped by review.
    Case("Governance table: review_rows", lambda s, ids: review_rows(s, TODAY),
         frozenset({"gate_review", "gate_criterion_result"})),
    Case("History of one record: audit by entity and id",
         lambda s, ids: record_history(s, "raid_item", ids["raid_item"])),
    Case("Name of a deleted record: its latest audit event", lambda s, ids: record_label(s, "project", ids["project"])),
]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A demo office (the default size) and a record of each kind that the cases look up."""
    path = tmp_path_factory.mktemp("plans") / "office.db"
    db = open_database(f"sqlite:///{path}", backup=False)
    build_demo(db, today=TODAY)
    with db.session() as session:
        ids = {"project": _first(session, Project.id), "person": _first(session, Person.id),
               "raid_item": _first(session, RaidItem.id)}
        assert session.query(AuditEvent.id).limit(1).scalar() is not None
    yield db, ids
    db.dispose()


def _selects_of(db, call: Callable[[Session], object]) -> list[tuple[str, object]]:
    sent: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.lstrip()[:6].upper() in ("SELECT", "WITH W"):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.session() as session:
            call(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sent


def full_scans(plan_details: list[str]) -> set[str]:
    """The tables a plan reads row by row in full (aliases such as status_report_1 named as their table)."""
    scanned = set()
    for detail in plan_details:
        match = _FULL_SCAN.match(detail.strip())
        if match is None:
            continue
        table = re.sub(r"_\d+$", "", match.group(1))
        if table in LARGE_TABLES:
            scanned.add(table)
    return scanned


def test_full_scans_are_told_from_index_searches():
    assert full_scans(["SCAN audit_event"]) == {"audit_event"}
    assert full_scans(["SCAN allocation USING INDEX ix_allocation_person_id"]) == {"allocation"}
    assert full_scans(["SCAN status_report_1"]) == {"status_report"}
    assert full_scans(["SEARCH audit_event USING INDEX ix_audit_event_entity (entity=? AND entity_id=?)"]) == set()
    assert full_scans(["SCAN status_report USING COVERING INDEX sqlite_autoindex_status_report_1"]) == set()
    assert full_scans(["SCAN weeks", "SCAN 52 CONSTANT ROWS", "SCAN holiday"]) == set()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_query_uses_indexes(office, case):
    db, ids = office
    statements = _selects_of(db, lambda session: case.call(session, ids))
    assert statements, f"{case.name}: no query was sent"
    problems = []
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            scanned = full_scans(plan) - case.reads_in_full
            if scanned:
                problems.append(f"full scan of {', '.join(sorted(scanned))}:\n  {' '.join(statement.split())[:300]}"
                                "\n  " + "\n  ".join(plan))
    assert not problems, f"{case.name}:\n" + "\n".join(problems)
