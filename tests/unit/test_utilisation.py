"""Utilisation figures checked against weeks worked out by hand.

The office: three weeks from Monday 2 March 2026, a bank holiday on Tuesday 10 March.

The counting rule: an allocation (or demand) of h hours a week gives a week h * d / 5, where d
counts the working days it covers that are not public holidays; absences do not change the hours
allocated, only those available. The figures below were recomputed by hand for that rule (the
bank holiday on 10 March no longer counts as an allocated day, so week 2's hours are 4/5).

Ada (40 h/week, Developer, Core) has ERP 20 h/week from Wednesday 4 to Wednesday 18 March and
CRM 30 h/week from 9 to 31 March, and is away Thursday 12 to Monday 16 March:

    week of      ERP          CRM          allocated   available (days)            utilisation
    2 Mar        20*3/5=12    0            12          40*5/5 = 40                  30%
    9 Mar        20*4/5=16    30*4/5=24    40          40*(5-1 holiday-2 away)/5=16 250%
    16 Mar       20*3/5=12    30           42          40*(5-1 away)/5 = 32         131.25%

Ben (30 h/week, Developer, Apps) has ERP 15 h/week all along, and a day away on the bank
holiday itself (counted once): available 30, 24, 30; allocated 15, 15*4/5 = 12, 15.
Cy (37.5 h/week, Business Analyst, Core) has nothing allocated; Di is inactive with nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pmo_desktop.analytics import resources as an
from pmo_desktop.model import Absence, Allocation, Demand, Holiday, Person, Project, Role
from pmo_desktop.model.database import load_settings, open_database
from pmo_desktop.services import resources as svc

D = dt.date
START = D(2026, 3, 4)  # any day of the first week


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/utilisation.db", backup=False)
    yield database
    database.dispose()


@pytest.fixture
def office(db) -> dict[str, int]:
    with db.transaction() as session:
        erp, crm = Project(code="ERP", name="ERP replacement"), Project(code="CRM", name="Customer portal")
        dev, ba, arch = Role(name="Developer"), Role(name="Business Analyst"), Role(name="Architect")
        session.add_all([erp, crm, dev, ba, arch])
        session.flush()
        ada = Person(name="Ada", capacity_hours=40, role_id=dev.id, team="Core")
        ben = Person(name="Ben", capacity_hours=30, role_id=dev.id, team="Apps")
        cy = Person(name="Cy", capacity_hours=37.5, role_id=ba.id, team="Core")
        di = Person(name="Di", capacity_hours=37.5, role_id=ba.id, team="Core", active=False)
        session.add_all([ada, ben, cy, di])
        session.flush()
        session.add_all([
            Holiday(day=D(2026, 3, 10), name="Bank holiday"),
            Allocation(person_id=ada.id, project_id=erp.id, start_date=D(2026, 3, 4), end_date=D(2026, 3, 18),
                       hours_per_week=20),
            Allocation(person_id=ada.id, project_id=crm.id, start_date=D(2026, 3, 9), end_date=D(2026, 3, 31),
                       hours_per_week=30),
            Absence(person_id=ada.id, start_date=D(2026, 3, 12), end_date=D(2026, 3, 16), reason="Leave"),
            Allocation(person_id=ben.id, project_id=erp.id, start_date=D(2026, 2, 1), end_date=D(2026, 4, 30),
                       hours_per_week=15),
            Absence(person_id=ben.id, start_date=D(2026, 3, 10), end_date=D(2026, 3, 10)),
            # Developers wanted 20 h/week in week 1; an architect (nobody has the role) 20 h/week in week 3;
            # a business analyst 10 h/week from Wednesday 11 March (3/5 of week 2).
            Demand(project_id=erp.id, role_id=dev.id, start_date=D(2026, 3, 2), end_date=D(2026, 3, 6),
                   hours_per_week=20),
            Demand(project_id=crm.id, role_id=arch.id, start_date=D(2026, 3, 16), end_date=D(2026, 3, 20),
                   hours_per_week=20),
            Demand(project_id=crm.id, role_id=ba.id, start_date=D(2026, 3, 11), end_date=D(2026, 3, 27),
                   hours_per_week=10),
        ])
        return {"Ada": ada.id, "Ben": ben.id, "Cy": cy.id, "Di": di.id}


def _figures(db, group="person", weeks=3) -> an.Utilisation:
    with db.session() as session:
        return an.utilisation(session, START, weeks, group=group)


def test_people_weeks_count_partial_weeks_holidays_and_absences(db, office):
    result = _figures(db)
    assert result.mondays == (D(2026, 3, 2), D(2026, 3, 9), D(2026, 3, 16))
    assert result.holidays == {D(2026, 3, 10)}
    ada = result.row(office["Ada"])
    assert ada.allocated == pytest.approx((12, 40, 42))  # by hand: 16 + 24 in the holiday week
    assert ada.available == pytest.approx((40, 16, 32))
    assert [ada.utilisation(i) for i in range(3)] == pytest.approx([0.3, 2.5, 1.3125])
    assert ada.over_weeks == 2
    ben = result.row(office["Ben"])
    assert ben.allocated == pytest.approx((15, 12, 15))  # by hand: 15 * 4/5 in the holiday week
    assert ben.available == pytest.approx((30, 24, 30))  # the absence on the holiday is not counted twice
    assert ben.over_weeks == 0
    cy = result.row(office["Cy"])
    assert cy.allocated == (0, 0, 0) and cy.available == pytest.approx((37.5, 30, 37.5))
    assert result.row(office["Di"]) is None  # inactive, nothing allocated
    assert result.over_allocated_weeks == 2
    assert [r.label for r in result.rows] == ["Ada", "Ben", "Cy"]  # most over-allocated first


def test_the_service_counts_allocated_hours_by_the_same_rule(db, office):
    with db.session() as session:
        detail = svc.get_person(session, office["Ada"])
    loads = svc.weekly_load(detail.allocations, (), D(2026, 3, 2), 3, holidays=detail.holidays)
    assert [w.hours for w in loads] == pytest.approx(list(_figures(db).row(office["Ada"]).allocated))


def test_roles_and_teams_sum_hours_then_take_the_ratio(db, office):
    roles = _figures(db, "role")
    dev = roles.row("Developer")
    assert dev.people == 2
    assert dev.available == pytest.approx((70, 40, 62))
    assert dev.allocated == pytest.approx((27, 52, 57))  # by hand: Ada 40 + Ben 12 in the holiday week
    assert dev.utilisation(1) == pytest.approx(52 / 40)  # not the mean of 250% and 50%
    assert dev.over_weeks == 2
    assert roles.rows[0].key == "Developer"
    teams = _figures(db, "team")
    core = teams.row("Core")
    assert core.people == 2  # Ada and Cy; Di is inactive with nothing allocated
    assert core.available == pytest.approx((77.5, 46, 69.5))
    assert core.allocated == pytest.approx((12, 40, 42))
    assert core.overall == pytest.approx(94 / 193)  # by hand: 12 + 40 + 42


def test_the_bench_uses_the_offices_threshold_over_the_range(db, office):
    result = _figures(db)
    assert result.bench_threshold == pytest.approx(0.5)
    assert [b.name for b in result.bench] == ["Cy"]
    assert result.bench[0].free_hours == pytest.approx(105)
    with db.transaction() as session:
        settings = load_settings(session)
        settings.bench_utilisation_pct = 60  # Ben is at 42 / 84 = 50% (by hand, new rule): at the 50% line, not under
        session.add(settings)
    assert [b.name for b in _figures(db).bench] == ["Cy", "Ben"]


def test_unfilled_demand_against_the_free_hours_of_the_role(db, office):
    demand = {d.role: d for d in _figures(db).demand}
    assert list(demand) == ["Architect", "Business Analyst", "Developer"]  # largest shortfall first
    assert demand["Architect"].demand == pytest.approx((0, 0, 20))
    assert demand["Architect"].shortfall == pytest.approx((0, 0, 20))
    assert demand["Business Analyst"].demand == pytest.approx((0, 6, 10))
    assert demand["Business Analyst"].free == pytest.approx((37.5, 30, 37.5))
    assert demand["Business Analyst"].total_shortfall == 0
    # Developers: 20 wanted in week 1 against Ada's 28 and Ben's 15 free hours; Ben has 24 - 12 in week 2
    # (by hand, new rule: his 15 h/week give 12 in the holiday week).
    assert demand["Developer"].demand == pytest.approx((20, 0, 0))
    assert demand["Developer"].free == pytest.approx((43, 12, 15))  # Ada has none free in weeks 2 and 3


def test_a_range_starts_on_the_monday_and_rejects_bad_arguments(db, office):
    with db.session() as session:
        assert an.utilisation(session, D(2026, 3, 8), 1).mondays == (D(2026, 3, 2),)
        with pytest.raises(ValueError):
            an.utilisation(session, START, 3, group="department")
        with pytest.raises(ValueError):
            an.utilisation(session, START, 0)


def test_person_rows_can_be_limited_to_the_people_an_edit_touched(db, office):
    with db.session() as session:
        _mondays, rows, _holidays = an.person_rows(session, START, 3, person_ids=[office["Ben"]])
    assert [r.label for r in rows] == ["Ben"]
    assert rows[0].available == pytest.approx((30, 24, 30))


def test_a_fully_allocated_person_is_at_100_percent_in_a_bank_holiday_week(db, office):
    """Eve (37.5 h/week) is allocated 37.5 h/week all March. In the week of 9 March, with the bank
    holiday on the 10th, she is allocated 37.5 * 4/5 = 30 h against 30 h available: 100%, not over,
    wherever the figure is shown (heat map, people table, the person's timeline, the warning)."""
    with db.transaction() as session:
        eve = Person(name="Eve", capacity_hours=37.5, role_id=session.scalar(
            select(Role.id).where(Role.name == "Developer")), team="Core")
        session.add(eve)
        session.flush()
        allocation = Allocation(person_id=eve.id, project_id=session.scalar(
            select(Project.id).where(Project.code == "ERP")), start_date=D(2026, 3, 2),
            end_date=D(2026, 3, 31), hours_per_week=37.5)
        session.add(allocation)
        session.flush()
        eve_id, allocation_id = eve.id, allocation.id
    row = _figures(db).row(eve_id)
    assert row.allocated == pytest.approx((37.5, 30, 37.5))
    assert row.available == pytest.approx((37.5, 30, 37.5))
    assert row.utilisation(1) == pytest.approx(1.0)
    assert row.over_weeks == 0
    with db.session() as session:
        people = {p.id: p for p in svc.person_rows(session, D(2026, 3, 11))}
        detail = svc.get_person(session, eve_id)
        assert svc.over_allocation_text(session, session.get(Allocation, allocation_id)) is None
        week = svc.week_allocations(session, eve_id, D(2026, 3, 9))
    assert people[eve_id].hours_this_week == pytest.approx(30)
    assert people[eve_id].utilisation == pytest.approx(1.0)
    assert not people[eve_id].over_allocated
    loads = svc.weekly_load(detail.allocations, (), D(2026, 3, 2), 3, holidays=detail.holidays)
    assert [w.hours for w in loads] == pytest.approx([37.5, 30, 37.5])
    assert [w.week_hours for w in week] == pytest.approx([30])
    assert an.week_hours(37.5, D(2026, 3, 2), D(2026, 3, 31), D(2026, 3, 9), holidays={D(2026, 3, 10)}) == 30
