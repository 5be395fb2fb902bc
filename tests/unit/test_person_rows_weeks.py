"""The people table's weekly hours at the edges of a week: the SQL sums agree with the counting rule.

``person_rows`` decides an allocation outside a week, or spanning it whole, by two comparisons and
counts only the weeks it starts or ends in day by day; each case here is one allocation whose
ends fall on a week's first or last working day, a weekend, or around a bank holiday.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pmo_desktop.model import Holiday, Project
from pmo_desktop.model.database import open_database
from pmo_desktop.services import resources as svc

D = dt.date
TODAY = D(2026, 1, 14)  # Wednesday; the four weeks start on 12, 19 and 26 January and 2 February
BANK_HOLIDAY = D(2026, 1, 21)  # the Wednesday of the second week
CAPACITY = 40.0
HOURS = 20.0


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/weeks.db", backup=False)
    with database.transaction() as session:
        session.add(Holiday(day=BANK_HOLIDAY, name="Bank holiday"))
    yield database
    database.dispose()


@pytest.mark.parametrize(("start", "end"), [
    (D(2026, 1, 12), D(2026, 1, 16)),  # exactly the first week, Monday to Friday
    (D(2026, 1, 16), D(2026, 1, 19)),  # Friday to Monday: one day in each of two weeks
    (D(2026, 1, 10), D(2026, 1, 11)),  # the weekend before: nothing
    (D(2026, 1, 17), D(2026, 1, 25)),  # weekend to weekend: the whole second week, bank holiday in it
    (D(2026, 1, 21), D(2026, 1, 21)),  # the bank holiday alone: nothing
    (D(2026, 1, 20), D(2026, 1, 22)),  # Tuesday to Thursday around the bank holiday: two days
    (D(2025, 12, 1), D(2026, 1, 12)),  # ends on the first Monday
    (D(2026, 2, 6), D(2026, 3, 6)),  # starts on the last week's Friday
    (D(2025, 6, 1), D(2026, 12, 31)),  # spans all four weeks
    (D(2026, 2, 9), D(2026, 3, 6)),  # after the four weeks: nothing
])
def test_weekly_hours_follow_the_counting_rule_at_the_edges_of_a_week(db, start, end):
    with db.transaction() as session:
        project = Project(code="P1", name="Project 1")
        session.add(project)
        session.flush()
        project_id = project.id
    with db.transaction() as session:
        person_id = svc.create_person(session, svc.PersonInput(name="Sam Patel", capacity_hours=CAPACITY)).id
    with db.transaction() as session:
        svc.create_allocation(session, svc.AllocationInput(person_id, project_id, start, end, HOURS))

    with db.session() as session:
        (row,) = svc.person_rows(session, TODAY)
    holidays = {BANK_HOLIDAY}
    mondays = [svc.week_start(TODAY) + dt.timedelta(weeks=n) for n in range(svc.PEAK_WEEKS)]
    hours = [svc.week_hours(HOURS, start, end, monday, holidays=holidays) for monday in mondays]
    available = [CAPACITY * sum(day not in holidays for day in svc.week_days(monday)) / svc.WORKING_DAYS
                 for monday in mondays]
    assert row.hours_this_week == pytest.approx(hours[0])
    assert row.peak_utilisation == pytest.approx(max(h / a for h, a in zip(hours, available, strict=True)))
