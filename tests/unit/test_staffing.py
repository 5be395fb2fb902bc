"""Staffing open demand: the open list, candidates ranked by skill and free hours, assign and undo."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pmo_desktop.model import (
    Absence,
    Allocation,
    AuditEvent,
    Demand,
    Holiday,
    Person,
    PersonSkill,
    Project,
    Role,
    Skill,
)
from pmo_desktop.model.database import open_database
from pmo_desktop.services import resources as svc
from pmo_desktop.services import staffing
from pmo_desktop.services.errors import ConflictError, ValidationError

D = dt.date
TODAY = D(2026, 1, 12)  # a Monday
START, END = D(2026, 1, 12), D(2026, 3, 6)  # eight whole weeks


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/staffing.db", backup=False)
    yield database
    database.dispose()


@pytest.fixture
def office(db) -> dict[str, int]:
    """Developers with and without Python and free time, a tester, an inactive developer, one demand."""
    ids: dict[str, int] = {}
    with db.transaction() as session:
        for code in ("ERP", "CRM"):
            project = Project(code=code, name=f"{code} project")
            session.add(project)
            session.flush()
            ids[code] = project.id
        python = Skill(name="Python")
        session.add(python)
        session.flush()

        def person(name, role, level=None, active=True):
            pid = svc.create_person(session, svc.PersonInput(name, None, role, "Platform", 37.5, active=active)).id
            if level is not None:
                session.add(PersonSkill(person_id=pid, skill_id=python.id, level=level))
            ids[name] = pid
            return pid

        person("Ann Lee", "Developer", level=4)
        person("Bo Chen", "Developer", level=2)
        person("Cy Park", "Developer")
        person("Dee Ross", "Tester", level=5)
        person("Eve Holt", "Developer", level=5, active=False)
        person("Fay Wong", "Developer", level=5)
        # Ann: 30 h/week for the first four weeks (7.5 h free), nothing after (37.5 h free).
        svc.create_allocation(session, svc.AllocationInput(ids["Ann Lee"], ids["CRM"], START, D(2026, 2, 6), 30))
        # Fay: fully booked for the whole period.
        svc.create_allocation(session, svc.AllocationInput(ids["Fay Wong"], ids["CRM"], START, END, 37.5))
        # Cy: away for one week (no free hours that week).
        session.add(Absence(person_id=ids["Cy Park"], start_date=D(2026, 2, 2), end_date=D(2026, 2, 6)))
        developer = session.scalar(select(Role.id).where(Role.name == "Developer"))
        demand = Demand(project_id=ids["ERP"], role_id=developer, skill_id=python.id, start_date=START,
                        end_date=END, hours_per_week=20, notes="Build phase")
        past = Demand(project_id=ids["ERP"], role_id=developer, start_date=D(2025, 6, 2), end_date=D(2025, 12, 19),
                      hours_per_week=10)
        session.add_all([demand, past])
        session.flush()
        ids["demand"], ids["past"] = demand.id, past.id
    return ids


def _audit(db, entity: str) -> list[tuple[str, int, dict]]:
    with db.session() as session:
        return [(e.action, e.entity_id, e.changes) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.id))]


def _allocations(db, project_id: int) -> list[tuple]:
    with db.session() as session:
        return [(a.person_id, a.start_date, a.end_date, a.hours_per_week) for a in session.scalars(
            select(Allocation).where(Allocation.project_id == project_id).order_by(Allocation.id))]


def _demands(db) -> list[tuple]:
    with db.session() as session:
        return [(d.id, d.hours_per_week, d.version) for d in session.scalars(select(Demand).order_by(Demand.id))]


# -- open demand ----------------------------------------------------------------------------------
def test_open_demands_lists_what_has_not_ended_with_the_hours_still_unfilled(db, office):
    with db.session() as session:
        rows = staffing.open_demands(session, D(2026, 2, 4))  # a Wednesday: 5 weeks left from its Monday
    assert [r.id for r in rows] == [office["demand"]]
    row = rows[0]
    assert (row.project, row.project_name, row.role, row.skill) == ("ERP", "ERP project", "Developer", "Python")
    assert row.notes == "Build phase"
    assert (row.start_date, row.end_date, row.hours_per_week) == (START, END, 20.0)
    assert row.unfilled_hours == pytest.approx(5 * 20)


# -- candidates -----------------------------------------------------------------------------------
def test_candidates_rank_by_skill_level_then_free_hours_with_a_reason(db, office):
    with db.session() as session:
        found = staffing.candidates(session, office["demand"], today=TODAY)
    # The tester and the inactive developer are not offered. Bo is free every week; Cy is short in
    # one week of eight (without Python); Ann, the better Python developer, is short in half of
    # them; Fay has no free hours at all.
    assert [c.name for c in found] == ["Bo Chen", "Cy Park", "Ann Lee", "Fay Wong"]
    bo, cy, ann, fay = found
    assert (ann.skill_level, ann.weeks, ann.weeks_short) == (4, 8, 4)
    assert ann.free_average == pytest.approx((4 * 7.5 + 4 * 37.5) / 8)
    assert ann.why == "free 22.5 h/week on average, 4 of 8 weeks short; Python level 4"
    assert bo.why == "free 37.5 h/week on average, enough in all 8 weeks; Python level 2"
    assert cy.why == "free 32.8 h/week on average, 1 of 8 weeks short; no Python recorded"
    assert fay.free_average == 0 and fay.weeks_short == 8
    with db.session() as session:
        assert [c.name for c in staffing.candidates(session, office["demand"], limit=2, today=TODAY)] == [
            "Bo Chen", "Cy Park"]


def test_candidates_count_only_the_weeks_left_once_the_demand_has_started(db, office):
    with db.session() as session:
        # From 9 February Ann is free in every remaining week, and her Python level puts her first.
        ann = staffing.candidates(session, office["demand"], today=D(2026, 2, 9))[0]
    assert (ann.name, ann.weeks, ann.weeks_short, ann.free_average) == ("Ann Lee", 4, 0, 37.5)


# -- assign and undo ------------------------------------------------------------------------------
def test_assigning_part_of_a_demand_leaves_the_rest_open_and_undo_puts_it_back(db, office):
    with db.transaction() as session:
        done = staffing.assign(session, office["demand"], office["Bo Chen"], 15, expected_version=1)
    assert _allocations(db, office["ERP"]) == [(office["Bo Chen"], START, END, 15.0)]
    assert _demands(db) == [(office["demand"], 5.0, 2), (office["past"], 10.0, 1)]
    assert not done.demand_removed and done.warnings == []
    inserted = [e for e in _audit(db, "allocation") if e[0] == "insert"][-1]
    assert inserted[1] == done.allocation_id and inserted[2]["hours_per_week"] == [None, 15.0]
    assert _audit(db, "demand")[-1] == ("update", office["demand"], {"hours_per_week": [20.0, 5.0]})

    with db.transaction() as session:
        version = staffing.undo_assign(session, done)
    assert _allocations(db, office["ERP"]) == []
    assert _demands(db) == [(office["demand"], 20.0, 3), (office["past"], 10.0, 1)]
    assert version == 3
    assert _audit(db, "allocation")[-1][:2] == ("delete", done.allocation_id)
    assert _audit(db, "demand")[-1][2]["hours_per_week"] == [5.0, 20.0]


def test_assigning_a_whole_demand_removes_it_and_undo_restores_the_same_row(db, office):
    with db.transaction() as session:
        done = staffing.assign(session, office["demand"], office["Ann Lee"])
    assert done.demand_removed and done.hours_per_week == 20
    assert _allocations(db, office["ERP"]) == [(office["Ann Lee"], START, END, 20.0)]
    assert _demands(db) == [(office["past"], 10.0, 1)]
    assert _audit(db, "demand")[-1][:2] == ("delete", office["demand"])
    # Ann is at 50 h in each of the first four weeks: warned, not refused (not a directive PMO).
    assert done.warnings == ["Ann Lee would be at 133% in the week of 12 Jan 2026 (and over 105% in 3 other weeks)."]

    with db.transaction() as session:
        assert staffing.undo_assign(session, done) == 1
    assert _allocations(db, office["ERP"]) == []
    assert _demands(db) == [(office["demand"], 20.0, 1), (office["past"], 10.0, 1)]
    assert _audit(db, "demand")[-1][:2] == ("insert", office["demand"])
    # Redo: the restored demand has its old version, so the same assignment runs again.
    with db.transaction() as session:
        again = staffing.assign(session, office["demand"], office["Ann Lee"], expected_version=1)
    assert again.demand_removed


def test_a_directive_pmo_refuses_an_assignment_that_over_allocates(db, office):
    with pytest.raises(ValidationError, match="directive PMO") as caught, db.transaction() as session:
        staffing.assign(session, office["demand"], office["Fay Wong"], refuse_over_allocation=True)
    assert "Fay Wong would be at 153%" in str(caught.value)
    assert _allocations(db, office["ERP"]) == []
    assert _demands(db)[0] == (office["demand"], 20.0, 1)


@pytest.mark.parametrize(("person", "hours", "field", "message"), [
    ("Bo Chen", 25, "hours_per_week", "Hours per week must be more than 0 and at most the 20 the demand asks for."),
    ("Bo Chen", 0, "hours_per_week", "Hours per week must be more than 0 and at most the 20 the demand asks for."),
    ("Eve Holt", None, "person_id", "Eve Holt is marked inactive: choose someone active."),
])
def test_assign_says_in_plain_words_what_is_wrong(db, office, person, hours, field, message):
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        staffing.assign(session, office["demand"], office[person], hours)
    assert caught.value.for_field(field) == message
    assert _allocations(db, office["ERP"]) == []


def test_assign_refuses_a_demand_changed_or_staffed_by_someone_else(db, office):
    with db.transaction() as session:
        session.get(Demand, office["demand"]).hours_per_week = 18
    with pytest.raises(ConflictError, match="changed by someone else"), db.transaction() as session:
        staffing.assign(session, office["demand"], office["Bo Chen"], expected_version=1)
    with db.transaction() as session:
        staffing.assign(session, office["demand"], office["Bo Chen"])
    with pytest.raises(ConflictError, match="deleted by someone else"), db.transaction() as session:
        staffing.assign(session, office["demand"], office["Cy Park"])


def test_a_person_outside_the_role_is_staffed_with_a_warning(db, office):
    with db.transaction() as session:
        done = staffing.assign(session, office["demand"], office["Dee Ross"], 10)
    assert done.warnings == ["Dee Ross is not a Developer; the demand asked for one."]
    with db.session() as session:
        assert session.get(Person, office["Dee Ross"]).allocations[0].hours_per_week == 10


def test_a_bank_holiday_lowers_the_demand_and_the_free_hours_alike(db, office):
    """A public holiday is not a working day for demand or allocations either (the counting rule).

    By hand, with a bank holiday on Monday 16 February (week 6 of 8): the demand asks 20 * 4/5 = 16 h
    that week; Bo has 37.5 * 4/5 = 30 h free, so he is still enough every week; Fay, fully booked,
    is allocated 30 h against 30 h available (100%, no free hour, not over); Ann has 7.5 h free in
    weeks 1-4, 37.5 h in weeks 5, 7 and 8 and 30 h in week 6.
    """
    with db.transaction() as session:
        session.add(Holiday(day=D(2026, 2, 16), name="Bank holiday"))
    with db.session() as session:
        row = next(r for r in staffing.open_demands(session, D(2026, 2, 4)) if r.id == office["demand"])
        found = {c.name: c for c in staffing.candidates(session, office["demand"], today=TODAY)}
    assert row.unfilled_hours == pytest.approx(4 * 20 + 16)
    bo, ann, fay = found["Bo Chen"], found["Ann Lee"], found["Fay Wong"]
    assert (bo.weeks, bo.weeks_short) == (8, 0)
    assert bo.free_average == pytest.approx((7 * 37.5 + 30) / 8)
    assert (ann.weeks, ann.weeks_short) == (8, 4)
    assert ann.free_average == pytest.approx((4 * 7.5 + 3 * 37.5 + 30) / 8)
    assert fay.free_average == 0 and fay.weeks_short == 8
