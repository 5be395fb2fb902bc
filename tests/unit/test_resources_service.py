"""The resources service: weekly hours and utilisation, validation, versions, audit, delete and restore."""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import replace as _replace
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from pmo_desktop.model import (
    Absence,
    Allocation,
    AuditEvent,
    Holiday,
    Person,
    PersonSkill,
    Project,
    Role,
    Skill,
)
from pmo_desktop.model.audit import audited_execute
from pmo_desktop.model.database import open_database
from pmo_desktop.services import resources as svc
from pmo_desktop.services.errors import ConflictError, ValidationError

D = dt.date
TODAY = D(2026, 1, 14)  # a Wednesday; its week starts Monday 12 January 2026


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/resources.db", backup=False)
    yield database
    database.dispose()


@pytest.fixture
def projects(db) -> dict[str, int]:
    with db.transaction() as session:
        rows = [Project(code=f"P{i}", name=f"Project {i}") for i in range(1, 6)]
        session.add_all(rows)
        session.flush()
        return {p.code: p.id for p in rows}


def _person(db, name="Sam Patel", capacity=40.0, **kwargs) -> int:
    with db.transaction() as session:
        return svc.create_person(session, svc.PersonInput(name=name, capacity_hours=capacity, **kwargs)).id


def _allocate(db, person_id, project_id, start, end, hours) -> svc.AllocationSaved:
    with db.transaction() as session:
        return svc.create_allocation(session, svc.AllocationInput(person_id, project_id, start, end, hours))


def _rows(db, today=TODAY) -> dict[str, svc.PersonRow]:
    with db.session() as session:
        return {row.name: row for row in svc.person_rows(session, today)}


def _audit(db, entity=None) -> list[AuditEvent]:
    with db.session() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if entity:
            query = query.where(AuditEvent.entity == entity)
        return list(session.scalars(query))


# -- weekly hours -------------------------------------------------------------------------------
def test_hours_per_week_count_the_working_days_each_allocation_covers(db, projects):
    sam = _person(db, capacity=40)
    # Whole weeks: 10 h in each of the four weeks from 12 January.
    _allocate(db, sam, projects["P1"], D(2026, 1, 1), D(2026, 3, 31), 10)
    # Starts on Wednesday 14 Jan: 3 of 5 days that week (12 h), then whole weeks until Friday 30 Jan.
    _allocate(db, sam, projects["P2"], D(2026, 1, 14), D(2026, 1, 30), 20)
    # Monday and Tuesday of the week of 26 January: 2/5 of 40 h = 16 h.
    _allocate(db, sam, projects["P3"], D(2026, 1, 26), D(2026, 1, 27), 40)
    # Ended before this week: neither hours nor a project now.
    _allocate(db, sam, projects["P4"], D(2025, 6, 1), D(2025, 12, 31), 30)
    # A weekend only: no working day, no hours.
    _allocate(db, sam, projects["P5"], D(2026, 1, 17), D(2026, 1, 18), 25)

    row = _rows(db)["Sam Patel"]
    # Weeks of 12, 19, 26 Jan and 2 Feb: 10+12=22, 10+20=30, 10+20+16=46, 10.
    assert row.hours_this_week == pytest.approx(22)
    assert row.utilisation == pytest.approx(22 / 40)
    assert row.peak_utilisation == pytest.approx(46 / 40)
    assert row.over_allocated
    assert row.projects == 4  # P1, P2, P3 and the weekend-only P5 are not over; P4 ended
    assert row.capacity_hours == 40 and row.active

    with db.session() as session:
        detail = svc.get_person(session, sam)
    loads = svc.weekly_load(detail.allocations, detail.absences, D(2026, 1, 12), 4, holidays=detail.holidays)
    assert [w.hours for w in loads] == pytest.approx([22, 30, 46, 10])
    assert [w.monday for w in loads] == [D(2026, 1, 12), D(2026, 1, 19), D(2026, 1, 26), D(2026, 2, 2)]


def test_two_allocations_in_one_week_add_up(db, projects):
    ann = _person(db, "Ann Lee", capacity=37.5)
    _allocate(db, ann, projects["P1"], D(2026, 1, 12), D(2026, 1, 16), 20)
    _allocate(db, ann, projects["P2"], D(2026, 1, 12), D(2026, 1, 16), 15)
    row = _rows(db)["Ann Lee"]
    assert row.hours_this_week == pytest.approx(35)
    assert row.utilisation == pytest.approx(35 / 37.5)
    assert row.peak_utilisation == pytest.approx(35 / 37.5)
    assert not row.over_allocated
    assert row.projects == 2


def test_an_absence_does_not_change_allocated_hours(db, projects):
    sam = _person(db)
    _allocate(db, sam, projects["P1"], D(2026, 1, 5), D(2026, 2, 27), 30)
    before = _rows(db)["Sam Patel"]
    with db.transaction() as session:
        svc.create_absence(session, svc.AbsenceInput(sam, D(2026, 1, 12), D(2026, 1, 16), "Leave"))
    after = _rows(db)["Sam Patel"]
    assert after.hours_this_week == before.hours_this_week == pytest.approx(30)
    assert after.peak_utilisation == before.peak_utilisation
    with db.session() as session:
        detail = svc.get_person(session, sam)
    week = svc.weekly_load(detail.allocations, detail.absences, D(2026, 1, 12), 1, holidays=detail.holidays)[0]
    assert week.hours == pytest.approx(30) and week.absent_days == 5


def test_people_without_allocations_or_capacity(db):
    _person(db, "Ann Lee", capacity=0)
    _person(db, "Bo Chen", capacity=37.5, role="Analyst", team="Data", email="bo@example.org", active=False)
    rows = _rows(db)
    assert rows["Ann Lee"].utilisation is None and rows["Ann Lee"].projects == 0
    assert not rows["Ann Lee"].over_allocated
    bo = rows["Bo Chen"]
    assert (bo.role, bo.team, bo.email, bo.active, bo.hours_this_week, bo.utilisation) == (
        "Analyst", "Data", "bo@example.org", False, 0, 0)
    assert list(rows) == ["Ann Lee", "Bo Chen"]


def test_person_rows_is_one_fast_query_for_a_large_office(db):
    rng = random.Random(7)
    with db.transaction() as session:
        session.add_all(Project(code=f"P{i}", name=f"Project {i}") for i in range(300))
        session.flush()
        audited_execute(session.connection(), insert(Person.__table__), [
            {"id": i, "name": f"Person {i}", "capacity_hours": 37.5, "active": True, "version": 1}
            for i in range(1, 1001)
        ])
        project_ids = list(session.scalars(select(Project.id)))
        allocations = []
        for n in range(50_000):
            start = D(2025, 6, 1) + dt.timedelta(days=rng.randrange(400))
            allocations.append({
                "person_id": n % 1000 + 1, "project_id": rng.choice(project_ids), "start_date": start,
                "end_date": start + dt.timedelta(days=rng.randrange(1, 120)),
                "hours_per_week": rng.choice([4, 7.5, 10, 15]), "version": 1,
            })
        unique = {(a["person_id"], a["project_id"], a["start_date"]): a for a in allocations}
        audited_execute(session.connection(), insert(Allocation.__table__), list(unique.values()))
        # A bank holiday in the second week, so the spot-check covers the holiday flags of the SQL.
        session.add(Holiday(day=D(2026, 1, 19), name="Bank holiday"))

    with db.session() as session:
        started = time.perf_counter()
        rows = svc.person_rows(session, TODAY)
        elapsed = time.perf_counter() - started
        assert len(rows) == 1000
        print(f"person_rows for 1,000 people and their allocations: {elapsed:.2f} s")
        # Spot-check the SQL sums against the Python rule for a few people. The bank holiday is not
        # a working day: it gives no hours allocated and takes a fifth of the capacity that week.
        holidays = svc.holidays_between(session, svc.week_start(TODAY), D(2026, 2, 6))
        assert holidays == {D(2026, 1, 19)}
        capacity = [37.5, 30, 37.5, 37.5]
        for row in rows[:5]:
            mine = session.scalars(select(Allocation).where(Allocation.person_id == row.id)).all()
            loads = svc.weekly_load(mine, (), svc.week_start(TODAY), svc.PEAK_WEEKS, holidays=holidays)
            assert row.hours_this_week == pytest.approx(loads[0].hours)
            assert row.peak_utilisation == pytest.approx(
                max(w.hours / c for w, c in zip(loads, capacity, strict=True)))


# -- validation ---------------------------------------------------------------------------------
def test_person_validation_names_every_wrong_field_in_plain_words(db):
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        svc.create_person(session, svc.PersonInput(name="  ", email="sam at example", capacity_hours=120,
                                                   cost_rate=Decimal("-1")))
    error = caught.value
    assert error.for_field("name") == "Enter the person's name."
    assert "not an email address" in error.for_field("email")
    assert error.for_field("capacity_hours") == "Capacity must be between 0 and 100 hours a week."
    assert error.for_field("cost_rate") == "The cost rate cannot be negative."
    with db.session() as session:
        assert session.scalar(select(Person.id)) is None


def test_names_and_emails_are_unique_whatever_the_case(db):
    _person(db, "Sam Patel", email="sam@example.org")
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        svc.create_person(session, svc.PersonInput(name="sam patel", email="SAM@example.org"))
    assert caught.value.for_field("name") == "Another person is already called sam patel."
    assert caught.value.for_field("email") == "SAM@example.org is already the email of Sam Patel."


def test_cost_rate_text_is_parsed_or_refused():
    assert svc.parse_cost_rate("£1,200.50") == Decimal("1200.50")
    assert svc.parse_cost_rate("  ") is None
    with pytest.raises(ValidationError) as caught:
        svc.parse_cost_rate("lots")
    assert "not an amount" in caught.value.for_field("cost_rate")


def test_role_is_created_on_demand_and_reused(db):
    a = _person(db, "Ann Lee", role="Business Analyst")
    b = _person(db, "Bo Chen", role="business analyst")
    with db.session() as session:
        assert session.scalars(select(Role.name)).all() == ["Business Analyst"]
        assert svc.get_person(session, a).role == svc.get_person(session, b).role == "Business Analyst"
        assert svc.role_names(session) == ["Business Analyst"]


def test_allocation_and_absence_validation(db, projects):
    sam = _person(db)
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        svc.create_allocation(session, svc.AllocationInput(sam, None, D(2026, 2, 1), D(2026, 1, 1), 0))
    assert caught.value.for_field("project_id") == "Choose a project."
    assert caught.value.for_field("end_date") == "The end date must be on or after the start date."
    assert caught.value.for_field("hours_per_week") == "Hours per week must be more than 0 and at most 100."
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        svc.create_allocation(session, svc.AllocationInput(sam, projects["P1"], D(2026, 1, 1), D(2026, 1, 9), 101))
    assert caught.value.for_field("hours_per_week")
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        svc.create_absence(session, svc.AbsenceInput(sam, D(2026, 3, 2), D(2026, 3, 1)))
    assert caught.value.for_field("end_date") == "The last day must be on or after the first day."


# -- over-allocation warnings -------------------------------------------------------------------
def test_an_allocation_that_overloads_a_week_warns_but_is_saved(db, projects):
    sam = _person(db, capacity=37.5)
    assert _allocate(db, sam, projects["P1"], D(2026, 1, 12), D(2026, 1, 30), 30).warnings == []
    saved = _allocate(db, sam, projects["P2"], D(2026, 1, 12), D(2026, 1, 16), 18)
    assert saved.warnings == ["Sam Patel would be at 128% in the week of 12 Jan 2026."]
    with db.session() as session:
        assert session.get(Allocation, saved.id).hours_per_week == 18

    longer = _allocate(db, sam, projects["P3"], D(2026, 1, 19), D(2026, 1, 30), 10)
    assert longer.warnings == ["Sam Patel would be at 107% in the week of 19 Jan 2026 (and over 105% in 1 other week)."]


def test_editing_an_allocation_warns_too_and_reports_what_it_was(db, projects):
    sam = _person(db, capacity=40)
    first = _allocate(db, sam, projects["P1"], D(2026, 1, 12), D(2026, 1, 16), 20)
    with db.transaction() as session:
        saved = svc.update_allocation(session, first.id, svc.AllocationInput(
            sam, projects["P1"], D(2026, 1, 12), D(2026, 1, 16), 50), first.version)
    assert saved.warnings == ["Sam Patel would be at 125% in the week of 12 Jan 2026."]
    assert saved.before.hours_per_week == 20 and saved.version == first.version + 1


# -- versions and conflicts ---------------------------------------------------------------------
def test_saving_a_stale_person_raises_a_conflict_with_both_values(db):
    sam = _person(db, capacity=40, team="Data")
    with db.session() as session:
        opened = svc.get_person(session, sam)
    with db.transaction() as session:  # someone else saves first
        svc.update_person(session, sam, _replace(opened.to_input(), capacity_hours=30), opened.version)
    with db.transaction() as session, pytest.raises(ConflictError) as caught:
        svc.update_person(session, sam, _replace(opened.to_input(), capacity_hours=20), opened.version)
    assert caught.value.mine == {"capacity_hours": 20.0}
    assert caught.value.theirs == {"capacity_hours": 30.0}
    with db.session() as session:
        assert session.get(Person, sam).capacity_hours == 30


def test_update_then_undo_with_the_values_before_restores_the_person(db):
    sam = _person(db, capacity=40, role="Developer", cost_rate=Decimal("550.00"))
    with db.session() as session:
        opened = svc.get_person(session, sam)
    with db.transaction() as session:
        saved = svc.update_person(session, sam, _replace(opened.to_input(), capacity_hours=20, role="Architect"),
                                  opened.version)
    with db.transaction() as session:
        svc.update_person(session, sam, saved.before, saved.version)
    with db.session() as session:
        again = svc.get_person(session, sam)
    assert again.to_input() == opened.to_input()
    assert again.version == opened.version + 2


def test_deleting_a_stale_allocation_is_a_conflict(db, projects):
    sam = _person(db)
    saved = _allocate(db, sam, projects["P1"], D(2026, 1, 12), D(2026, 1, 16), 20)
    with db.transaction() as session:
        svc.update_allocation(session, saved.id, svc.AllocationInput(
            sam, projects["P1"], D(2026, 1, 12), D(2026, 1, 16), 25), saved.version)
    with db.transaction() as session, pytest.raises(ConflictError):
        svc.delete_allocation(session, saved.id, saved.version)


# -- audit ----------------------------------------------------------------------------------------
def test_every_change_leaves_an_audit_event(db, projects):
    sam = _person(db, capacity=40, role="Developer")
    with db.session() as session:
        opened = svc.get_person(session, sam)
    with db.transaction() as session:
        svc.update_person(session, sam, _replace(opened.to_input(), capacity_hours=32), opened.version)
    alloc = _allocate(db, sam, projects["P1"], D(2026, 1, 12), D(2026, 1, 16), 20)
    with db.transaction() as session:
        svc.delete_person(session, sam)

    people = [(e.action, e.entity_id, e.changes) for e in _audit(db, "person")]
    assert people[0][:2] == ("insert", sam) and people[0][2]["name"] == [None, "Sam Patel"]
    assert people[1] == ("update", sam, {"capacity_hours": [40.0, 32.0]})
    assert people[2][:2] == ("delete", sam)
    assert [(e.action, e.entity_id) for e in _audit(db, "allocation")] == [("insert", alloc.id), ("delete", alloc.id)]
    assert [e.action for e in _audit(db, "role")] == ["insert"]


# -- delete and restore -------------------------------------------------------------------------
def _stored(session, model, row_id) -> dict:
    obj = session.get(model, row_id)
    return {attr.key: getattr(obj, attr.key) for attr in obj.__mapper__.column_attrs}


def test_delete_person_then_restore_puts_everything_back_exactly(db, projects):
    sam = _person(db, capacity=40, role="Developer", team="Platform", email="sam@example.org",
                  cost_rate=Decimal("612.50"))
    with db.session() as session:
        opened = svc.get_person(session, sam)
    with db.transaction() as session:  # a version above 1 must come back too
        svc.update_person(session, sam, _replace(opened.to_input(), capacity_hours=36), opened.version)
    a1 = _allocate(db, sam, projects["P1"], D(2026, 1, 5), D(2026, 3, 27), 20).id
    a2 = _allocate(db, sam, projects["P2"], D(2026, 2, 2), D(2026, 2, 20), 10).id
    with db.transaction() as session:
        ab = svc.create_absence(session, svc.AbsenceInput(sam, D(2026, 2, 9), D(2026, 2, 13), "Leave")).id
        skill = Skill(name="Python")
        session.add(skill)
        session.flush()
        session.add(PersonSkill(person_id=sam, skill_id=skill.id, level=4))
    with db.session() as session:
        before = {
            "person": _stored(session, Person, sam),
            "allocations": [_stored(session, Allocation, a) for a in (a1, a2)],
            "absence": _stored(session, Absence, ab),
            "skills": [(s.skill_id, s.level) for s in session.scalars(select(PersonSkill))],
        }
        rows_before = svc.person_rows(session, TODAY)

    with db.transaction() as session:
        snapshot = svc.delete_person(session, sam)
    with db.session() as session:
        assert session.get(Person, sam) is None
        assert session.scalar(select(Allocation.id)) is None

    with db.transaction() as session:
        assert svc.restore_person(session, snapshot) == sam
    with db.session() as session:
        assert _stored(session, Person, sam) == before["person"]
        assert [_stored(session, Allocation, a) for a in (a1, a2)] == before["allocations"]
        assert _stored(session, Absence, ab) == before["absence"]
        assert [(s.skill_id, s.level) for s in session.scalars(select(PersonSkill))] == before["skills"]
        assert svc.person_rows(session, TODAY) == rows_before
    restored = [e for e in _audit(db) if e.action == "insert" and e.entity in ("person", "allocation", "absence")]
    assert len(restored) == 2 * 4  # the first inserts and the restore's inserts


def test_delete_person_restores_the_role_by_name_if_it_went_meanwhile(db):
    sam = _person(db, role="Tester")
    with db.transaction() as session:
        snapshot = svc.delete_person(session, sam)
        session.delete(session.scalar(select(Role)))
    with db.transaction() as session:
        svc.restore_person(session, snapshot)
    with db.session() as session:
        assert svc.get_person(session, sam).role == "Tester"


def test_delete_allocation_and_absence_then_restore_exactly(db, projects):
    sam = _person(db)
    saved = _allocate(db, sam, projects["P1"], D(2026, 1, 12), D(2026, 2, 27), 12.5)
    with db.transaction() as session:
        svc.update_allocation(session, saved.id, svc.AllocationInput(
            sam, projects["P1"], D(2026, 1, 12), D(2026, 2, 27), 15, "Design phase"), saved.version)
        absence = svc.create_absence(session, svc.AbsenceInput(sam, D(2026, 4, 6), D(2026, 4, 10), "Holiday"))
    with db.session() as session:
        alloc_before = _stored(session, Allocation, saved.id)
        absence_before = _stored(session, Absence, absence.id)
    with db.transaction() as session:
        alloc_snapshot = svc.delete_allocation(session, saved.id, alloc_before["version"])
        absence_snapshot = svc.delete_absence(session, absence.id, absence.version)
    with db.transaction() as session:
        svc.restore_allocation(session, alloc_snapshot)
        svc.restore_absence(session, absence_snapshot)
    with db.session() as session:
        assert _stored(session, Allocation, saved.id) == alloc_before
        assert _stored(session, Absence, absence.id) == absence_before
        detail = svc.get_person(session, sam)
    assert [(a.project_code, a.hours_per_week, a.notes) for a in detail.allocations] == [("P1", 15, "Design phase")]
    assert [(a.start_date, a.reason) for a in detail.absences] == [(D(2026, 4, 6), "Holiday")]


def test_get_person_lists_allocations_with_project_code_and_name(db, projects):
    sam = _person(db, role="Developer", team="Platform", cost_rate=Decimal("500"))
    _allocate(db, sam, projects["P2"], D(2026, 2, 2), D(2026, 2, 20), 10)
    _allocate(db, sam, projects["P1"], D(2026, 1, 5), D(2026, 3, 27), 20)
    with db.session() as session:
        detail = svc.get_person(session, sam)
        choices = svc.project_choices(session)
    assert [(a.project_code, a.project_name, a.start_date) for a in detail.allocations] == [
        ("P1", "Project 1", D(2026, 1, 5)), ("P2", "Project 2", D(2026, 2, 2))]
    assert (detail.role, detail.team, detail.cost_rate, detail.version) == ("Developer", "Platform", Decimal("500.00"), 1)
    assert choices[0].label == "P1 — Project 1"


def test_restore_refuses_when_the_name_was_taken_meanwhile(db):
    sam = _person(db, "Sam Patel", email="sam@example.org")
    with db.transaction() as session:
        snapshot = svc.delete_person(session, sam)
    _person(db, "Sam Patel")
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        svc.restore_person(session, snapshot)
    assert caught.value.for_field("name") == (
        "Sam Patel cannot be brought back: Sam Patel now has the same name or email.")


def test_restoring_an_allocation_whose_project_has_gone_is_refused(db, projects):
    sam = _person(db)
    saved = _allocate(db, sam, projects["P1"], D(2026, 1, 12), D(2026, 1, 16), 10)
    with db.transaction() as session:
        snapshot = svc.delete_allocation(session, saved.id)
        session.delete(session.get(Project, projects["P1"]))
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        svc.restore_allocation(session, snapshot)
    assert caught.value.for_field("project_id") == "The allocation cannot be brought back: its project no longer exists."


def test_long_role_and_team_names_are_refused_in_plain_words(db):
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        svc.create_person(session, svc.PersonInput("Ann Lee", role="R" * 121, team="T" * 121))
    assert caught.value.for_field("role") == "The role is too long: at most 120 characters."
    assert caught.value.for_field("team") == "The team name is too long: at most 120 characters."


def test_allocating_an_inactive_person_warns(db, projects):
    ann = _person(db, "Ann Lee", active=False)
    saved = _allocate(db, ann, projects["P1"], D(2026, 1, 12), D(2026, 1, 16), 10)
    assert saved.warnings == ["Ann Lee is marked inactive."]
