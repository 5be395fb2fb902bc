"""Utilisation of people, roles and teams per working week, the bench and unfilled demand (no Qt).

The counting rule, shared with ``services.resources`` and ``services.staffing``: weeks run Monday
to Friday, and an allocation (or demand) of ``h`` hours a week gives a week ``h * d / 5`` hours,
where ``d`` is the number of that week's working days it covers that are not public holidays
(``allocated_days``; ``covered_days_sql`` in SQL). A public holiday is not a working day for
anyone, so it lowers hours allocated and hours available alike, and a fully allocated person is
at 100% in a week with a bank holiday. Absences keep the old rule: they do not change the hours
allocated, they only reduce the hours *available*, so allocating someone while they are away
still shows as a clash. A person's capacity counts pro rata for the working days of the week
that are neither a public holiday nor covered by one of their absences.

``utilisation`` reads everything in four set queries against a week series built in Python as a
VALUES list (each week with its five dates and which of them are holidays): allocated hours per
person and week, absent days per person and week, demand hours per role and week, and the people
themselves. Dates are only compared, never subtracted, so the SQL is the same on SQLite and
PostgreSQL. Roles and teams are rolled up from the people's hours (sums, then the ratio), never
by averaging percentages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Date, Integer, and_, case, column, func, literal, select, values
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from ..model import Absence, Allocation, Demand, Holiday, Person, Role
from ..model.database import load_settings
from ..model.settings import OfficeSettings

WORKING_DAYS = 5
#: Utilisation above this is over-allocated (the "over" band of the UI's utilisation colours).
OVER_ALLOCATED = 1.05
NO_ROLE = "(no role)"
NO_TEAM = "(no team)"

Group = Literal["person", "role", "team"]
GROUPS: tuple[Group, ...] = ("person", "role", "team")


# -- the counting rule ------------------------------------------------------------------------
def week_start(day: dt.date) -> dt.date:
    """The Monday of the week ``day`` falls in."""
    return day - dt.timedelta(days=day.weekday())


def week_days(monday: dt.date) -> list[dt.date]:
    """Monday to Friday of the week starting ``monday``."""
    return [monday + dt.timedelta(days=n) for n in range(WORKING_DAYS)]


def covered_working_days(start: dt.date, end: dt.date, monday: dt.date) -> int:
    """How many of the Monday-Friday days of the week starting ``monday`` lie in ``[start, end]``.

    Holidays included: this counts the calendar's working days (absences use it); hours allocated
    use ``allocated_days``.
    """
    first = max(start, monday)
    last = min(end, monday + dt.timedelta(days=WORKING_DAYS - 1))
    return max((last - first).days + 1, 0)


def allocated_days(start: dt.date, end: dt.date, monday: dt.date, holidays: Collection[dt.date]) -> int:
    """The ``d`` of the counting rule: the days of the week starting ``monday`` that lie in
    ``[start, end]`` and are working days, i.e. Monday to Friday and not a public holiday."""
    return sum(1 for day in week_days(monday) if start <= day <= end and day not in holidays)


def week_hours(hours_per_week: float, start: dt.date, end: dt.date, monday: dt.date, *,
               holidays: Collection[dt.date]) -> float:
    """The hours an allocation (or demand) of ``hours_per_week`` from ``start`` to ``end`` gives one week.

    ``holidays`` are the office's public holidays (at least those of that week): they are not
    working days, so they give no hours. Required, so that no caller can forget them.
    """
    return float(hours_per_week) * allocated_days(start, end, monday, holidays) / WORKING_DAYS


def covered_days_sql(start: ColumnElement, end: ColumnElement, days: Sequence,
                     holidays: Sequence) -> ColumnElement:
    """SQL for ``allocated_days``: how many of ``days`` (dates or date columns) lie in [start, end]
    and are not public holidays.

    ``holidays`` gives, per day, whether it is a public holiday: a bool (the day is known in
    Python) or a 0/1 column (the week series' ``h0``..``h4``). One plain comparison per day, so it
    runs on any database without dialect date arithmetic.
    """
    if len(holidays) != len(days):
        raise ValueError("covered_days_sql needs one holiday flag per day")
    terms = []
    for day, holiday in zip(days, holidays, strict=True):
        if isinstance(holiday, bool | int):
            if holiday:
                continue
            terms.append(case((and_(start <= day, end >= day), 1), else_=0))
        else:
            terms.append(case((and_(start <= day, end >= day, holiday == 0), 1), else_=0))
    return sum(terms, start=literal(0))


# -- results ----------------------------------------------------------------------------------
def ratio(allocated: float, available: float) -> float | None:
    """Allocated / available; None when nothing is available or allocated, inf when only allocated."""
    if available > 0:
        return allocated / available
    return None if allocated <= 0 else float("inf")


@dataclass(frozen=True, slots=True)
class UtilisationRow:
    """One person, role or team across the weeks: hours available and allocated per week.

    ``key`` is the person id for people, the role or team name for groups. ``over_weeks`` counts
    over-allocated person-weeks (for a role or team, those of its members). ``active`` is False
    for an inactive person still allocated in the range (a group is active).
    """

    key: int | str
    label: str
    role: str | None
    team: str | None
    people: int
    capacity: float
    available: tuple[float, ...]
    allocated: tuple[float, ...]
    over_weeks: int
    active: bool = True

    def utilisation(self, week: int) -> float | None:
        """Allocated / available in week number ``week`` of the range."""
        return ratio(self.allocated[week], self.available[week])

    @property
    def total_available(self) -> float:
        return sum(self.available)

    @property
    def total_allocated(self) -> float:
        return sum(self.allocated)

    @property
    def overall(self) -> float | None:
        """Utilisation over the whole range: total allocated / total available."""
        return ratio(self.total_allocated, self.total_available)

    @property
    def peak(self) -> float:
        """The highest weekly utilisation (0 when nothing is allocated)."""
        levels = [u for u in (self.utilisation(i) for i in range(len(self.available))) if u is not None]
        return max(levels, default=0.0)

    @property
    def excess_hours(self) -> float:
        """Hours allocated above the over-allocation line, summed over the weeks."""
        return sum(max(a - v * OVER_ALLOCATED, 0.0) for a, v in zip(self.allocated, self.available, strict=True))


@dataclass(frozen=True, slots=True)
class BenchPerson:
    """An active person under the office's bench threshold over the range."""

    person_id: int
    name: str
    role: str | None
    team: str | None
    available: float
    allocated: float

    @property
    def utilisation(self) -> float | None:
        return ratio(self.allocated, self.available)

    @property
    def free_hours(self) -> float:
        return max(self.available - self.allocated, 0.0)


@dataclass(frozen=True, slots=True)
class RoleDemand:
    """Unfilled demand for a role per week against the free hours of the people in that role.

    ``available`` and ``allocated`` are the role's people's hours per week (their capacity net of
    holidays and absences, and what is already allocated); empty when not computed.
    """

    role: str
    demand: tuple[float, ...]
    free: tuple[float, ...]
    available: tuple[float, ...] = ()
    allocated: tuple[float, ...] = ()

    @property
    def shortfall(self) -> tuple[float, ...]:
        """Demand hours that the role's free capacity cannot cover, per week."""
        return tuple(max(d - f, 0.0) for d, f in zip(self.demand, self.free, strict=True))

    @property
    def total_shortfall(self) -> float:
        return sum(self.shortfall)


@dataclass(frozen=True, slots=True)
class Utilisation:
    """Utilisation over ``len(mondays)`` weeks, rows sorted most over-allocated first."""

    group: Group
    mondays: tuple[dt.date, ...]
    rows: tuple[UtilisationRow, ...]
    over_allocated_weeks: int
    bench_threshold: float
    bench: tuple[BenchPerson, ...]
    demand: tuple[RoleDemand, ...]
    holidays: frozenset[dt.date]
    #: Unfilled demand hours per role and week index, as read (``demand`` sets them against free hours).
    demand_hours: dict[str, dict[int, float]] = field(default_factory=dict)

    def row(self, key: int | str) -> UtilisationRow | None:
        """The row for a person id or a role/team name."""
        return next((r for r in self.rows if r.key == key), None)


def sort_key(row: UtilisationRow) -> tuple:
    """Most over-allocated first: more over-allocated weeks, then more excess hours, then the peak."""
    return (-row.over_weeks, -row.excess_hours, -row.peak, row.label.lower())


# -- queries ----------------------------------------------------------------------------------
def _week_series(mondays: Sequence[dt.date], holidays: Collection[dt.date]):
    """The weeks as a VALUES list: index, the five dates, a 0/1 "is a holiday" flag per date, and
    ``w``, the week's working days that are not holidays."""
    cols = [column("i", Integer)]
    cols += [column(f"d{n}", Date) for n in range(WORKING_DAYS)]
    cols += [column(f"h{n}", Integer) for n in range(WORKING_DAYS)]
    cols.append(column("w", Integer))
    rows = []
    for i, monday in enumerate(mondays):
        days = week_days(monday)
        flags = [int(day in holidays) for day in days]
        rows.append((i, *days, *flags, WORKING_DAYS - sum(flags)))
    return values(*cols, name="weeks").data(rows).cte("weeks")


def _week_days_sql(start: ColumnElement, end: ColumnElement, weeks) -> ColumnElement:
    """``covered_days_sql`` for a row of the week series: a row that spans the whole week (most
    of them) gives the week's working days at once; only a week it starts or ends in is counted
    day by day."""
    whole_week = and_(start <= weeks.c.d0, end >= weeks.c[f"d{WORKING_DAYS - 1}"])
    return case((whole_week, weeks.c.w), else_=covered_days_sql(start, end, _day_columns(weeks),
                                                                _holiday_columns(weeks)))


def _day_columns(weeks) -> list:
    return [weeks.c[f"d{n}"] for n in range(WORKING_DAYS)]


def _holiday_columns(weeks) -> list:
    return [weeks.c[f"h{n}"] for n in range(WORKING_DAYS)]


def _per_week(table, weeks, first: dt.date, last: dt.date, key, *measures):
    """``key``, the week index and ``measures`` for the rows of ``table`` (with start_date and end_date)
    that cover a day of each week of the series, grouped by key and week."""
    c = table.c
    return (
        select(key, weeks.c.i, *measures)
        .select_from(weeks)
        .join(table, and_(c.start_date <= weeks.c.d4, c.end_date >= weeks.c.d0))
        .where(c.start_date <= last, c.end_date >= first)
        .group_by(key, weeks.c.i)
    )


def _of_people(query, column, person_ids: Collection[int] | None):
    return query if person_ids is None else query.where(column.in_(list(person_ids)))


def _allocated(session: Session, weeks, first: dt.date, last: dt.date,
               person_ids: Collection[int] | None) -> dict[tuple[int, int], float]:
    """Allocated hours per (person id, week index), public holidays giving none (the counting rule)."""
    a = Allocation.__table__.c
    hours = func.sum(a.hours_per_week * _week_days_sql(a.start_date, a.end_date, weeks))
    query = _of_people(_per_week(Allocation.__table__, weeks, first, last, a.person_id, hours), a.person_id,
                       person_ids)
    return {(pid, i): float(total or 0) / WORKING_DAYS for pid, i, total in session.execute(query)}


def _absent_days(session: Session, weeks, first: dt.date, last: dt.date,
                 person_ids: Collection[int] | None) -> dict[tuple[int, int], int]:
    """Working days away per (person id, week index): overlapping absences and holidays count once."""
    b = Absence.__table__.c
    per_day = [
        func.max(case((and_(b.start_date <= weeks.c[f"d{n}"], b.end_date >= weeks.c[f"d{n}"],
                            weeks.c[f"h{n}"] == 0), 1), else_=0))
        for n in range(WORKING_DAYS)
    ]
    query = _of_people(_per_week(Absence.__table__, weeks, first, last, b.person_id, *per_day), b.person_id,
                       person_ids)
    return {(pid, i): sum(int(d or 0) for d in days) for pid, i, *days in session.execute(query)}


def _demand(session: Session, weeks, first: dt.date, last: dt.date) -> dict[str, dict[int, float]]:
    """Unfilled demand hours per role name and week index, public holidays giving none."""
    d, r = Demand.__table__.c, Role.__table__.c
    hours = func.sum(d.hours_per_week * _week_days_sql(d.start_date, d.end_date, weeks))
    query = (_per_week(Demand.__table__, weeks, first, last, r.name, hours)
             .join(Role.__table__, r.id == d.role_id))
    result: dict[str, dict[int, float]] = {}
    for role, i, total in session.execute(query):
        result.setdefault(role, {})[i] = float(total or 0) / WORKING_DAYS
    return result


@dataclass(frozen=True, slots=True)
class _PersonInfo:
    id: int
    name: str
    role: str | None
    team: str | None
    capacity: float
    active: bool


def _people(session: Session, person_ids: Collection[int] | None) -> list[_PersonInfo]:
    p, r = Person.__table__.c, Role.__table__.c
    query = (select(p.id, p.name, r.name, p.team, p.capacity_hours, p.active)
             .select_from(Person.__table__.outerjoin(Role.__table__, r.id == p.role_id)))
    if person_ids is not None:
        query = query.where(p.id.in_(list(person_ids)))
    return [_PersonInfo(pid, name, role, team, float(capacity or 0), bool(active))
            for pid, name, role, team, capacity, active in session.execute(query)]


def people_count(session: Session) -> int:
    """How many people the office records: at most the rows of the heat map (cheap, to size the work)."""
    return session.scalar(select(func.count()).select_from(Person.__table__)) or 0


def holidays_between(session: Session, first: dt.date, last: dt.date) -> frozenset[dt.date]:
    """The office's public holidays from ``first`` to ``last``."""
    return frozenset(session.scalars(select(Holiday.day).where(Holiday.day >= first, Holiday.day <= last)))


# -- the figures ----------------------------------------------------------------------------------
def person_rows(session: Session, start_week: dt.date, weeks: int,
                person_ids: Collection[int] | None = None) -> tuple[tuple[dt.date, ...], list[UtilisationRow],
                                                                     frozenset[dt.date]]:
    """Per-person rows (unsorted) for ``weeks`` weeks from the week of ``start_week``.

    Everyone active is included, and anyone inactive who still has hours allocated in the range.
    ``person_ids`` limits the rows to those people (to re-compute the rows an edit touched).
    """
    first = week_start(start_week)
    mondays = tuple(first + dt.timedelta(weeks=n) for n in range(weeks))
    last = mondays[-1] + dt.timedelta(days=WORKING_DAYS - 1)
    holidays = holidays_between(session, first, last)
    series = _week_series(mondays, holidays)
    allocated = _allocated(session, series, first, last, person_ids)
    absent = _absent_days(session, series, first, last, person_ids)
    working = [WORKING_DAYS - sum(day in holidays for day in week_days(m)) for m in mondays]
    rows = []
    for person in _people(session, person_ids):
        hours = tuple(allocated.get((person.id, i), 0.0) for i in range(weeks))
        if not person.active and not any(hours):
            continue
        available = tuple(person.capacity * max(working[i] - absent.get((person.id, i), 0), 0) / WORKING_DAYS
                          for i in range(weeks))
        over = sum(1 for h, v in zip(hours, available, strict=True) if _is_over(h, v))
        rows.append(UtilisationRow(person.id, person.name, person.role, person.team, 1, person.capacity,
                                   available, hours, over, person.active))
    return mondays, rows, holidays


def _is_over(allocated: float, available: float) -> bool:
    level = ratio(allocated, available)
    return level is not None and level > OVER_ALLOCATED


def roll_up(rows: Sequence[UtilisationRow], group: Group) -> list[UtilisationRow]:
    """People's rows summed per role or team (hours summed, so the ratio is of the sums)."""
    if group == "person":
        return list(rows)
    groups: dict[str, list[UtilisationRow]] = {}
    for row in rows:
        name = (row.role or NO_ROLE) if group == "role" else (row.team or NO_TEAM)
        groups.setdefault(name, []).append(row)
    result = []
    for name, members in groups.items():
        available = tuple(map(sum, zip(*(m.available for m in members), strict=True)))
        allocated = tuple(map(sum, zip(*(m.allocated for m in members), strict=True)))
        result.append(UtilisationRow(
            name, name, name if group == "role" else None, name if group == "team" else None, len(members),
            sum(m.capacity for m in members), available, allocated, sum(m.over_weeks for m in members),
        ))
    return result


def bench(rows: Sequence[UtilisationRow], threshold: float) -> list[BenchPerson]:
    """Active people with some availability whose utilisation over the range is under ``threshold`` (0.5 = 50%)."""
    result = []
    for row in rows:
        if not row.active or row.total_available <= 0:
            continue
        if row.total_allocated / row.total_available < threshold:
            result.append(BenchPerson(int(row.key), row.label, row.role, row.team, row.total_available,
                                      row.total_allocated))
    return sorted(result, key=lambda b: (b.allocated / b.available, b.name.lower()))


def demand_against_capacity(demand: dict[str, dict[int, float]], rows: Sequence[UtilisationRow],
                            weeks: int) -> list[RoleDemand]:
    """For each role with unfilled demand: demand hours and its people's free hours per week."""
    free: dict[str, list[float]] = {}
    available: dict[str, list[float]] = {}
    allocated: dict[str, list[float]] = {}
    for row in rows:
        if row.role is None:
            continue
        totals = free.setdefault(row.role, [0.0] * weeks)
        role_available = available.setdefault(row.role, [0.0] * weeks)
        role_allocated = allocated.setdefault(row.role, [0.0] * weeks)
        for i, (a, v) in enumerate(zip(row.allocated, row.available, strict=True)):
            totals[i] += max(v - a, 0.0)
            role_available[i] += v
            role_allocated[i] += a
    result = []
    zeros = [0.0] * weeks
    for role, hours in sorted(demand.items()):
        padded = tuple(hours.get(i, 0.0) for i in range(weeks))
        result.append(RoleDemand(role, padded, tuple(free.get(role, zeros)), tuple(available.get(role, zeros)),
                                 tuple(allocated.get(role, zeros))))
    return sorted(result, key=lambda d: (-d.total_shortfall, d.role.lower()))


@dataclass(frozen=True, slots=True)
class DemandGap:
    """A role whose unfilled demand exceeds its people's free hours: how many weeks, how much, from when."""

    role: str
    weeks_short: int
    hours_short: float
    first_week: dt.date
    weeks: int

    @property
    def text(self) -> str:
        """ "Developer: 320 h short over 6 of 12 weeks, from the week of 7 Dec 2026"."""
        return (f"{self.role}: {self.hours_short:,.0f} h short over {self.weeks_short} of {self.weeks} weeks, "
                f"from the week of {self.first_week.day} {self.first_week:%b %Y}")


def worst_gaps(demand: Sequence[RoleDemand], mondays: Sequence[dt.date], limit: int | None = None) -> list[DemandGap]:
    """The roles short of people, most hours short first (then more weeks short, then the earliest)."""
    gaps = []
    for role_demand in demand:
        short = role_demand.shortfall
        weeks = [i for i, hours in enumerate(short) if hours > 0]
        if not weeks:
            continue
        gaps.append(DemandGap(role_demand.role, len(weeks), sum(short), mondays[weeks[0]], len(mondays)))
    gaps.sort(key=lambda g: (-g.hours_short, -g.weeks_short, g.first_week, g.role.lower()))
    return gaps if limit is None else gaps[:limit]


def bench_threshold(session: Session) -> float:
    """The office's bench line as a fraction (50% is 0.5); the column default before settings are saved."""
    pct = load_settings(session).bench_utilisation_pct
    if pct is None:
        pct = OfficeSettings.__table__.c.bench_utilisation_pct.default.arg
    return float(pct) / 100


def utilisation(session: Session, start_week: dt.date, weeks: int, *, group: Group = "person") -> Utilisation:
    """Available and allocated hours per person (or role, or team) and week, with the bench and demand.

    ``start_week`` is any day of the first week; ``weeks`` working weeks follow from its Monday.
    """
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}, not {group!r}")
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    mondays, people, holidays = person_rows(session, start_week, weeks)
    threshold = bench_threshold(session)
    first, last = mondays[0], mondays[-1] + dt.timedelta(days=WORKING_DAYS - 1)
    demand = _demand(session, _week_series(mondays, holidays), first, last)
    return summarise(people, group, mondays, holidays, threshold, demand)


def summarise(people: Sequence[UtilisationRow], group: Group, mondays: Sequence[dt.date],
              holidays: Collection[dt.date], threshold: float, demand: dict[str, dict[int, float]]) -> Utilisation:
    """The figures from people's rows: rolled up by ``group`` and sorted, with the bench and demand.

    Also used after an edit re-read a few people, so the totals follow without reading everyone.
    """
    rows = sorted(roll_up(people, group), key=sort_key)
    return Utilisation(
        group=group, mondays=tuple(mondays), rows=tuple(rows),
        over_allocated_weeks=sum(r.over_weeks for r in people),
        bench_threshold=threshold, bench=tuple(bench(people, threshold)),
        demand=tuple(demand_against_capacity(demand, people, len(mondays))), holidays=frozenset(holidays),
        demand_hours=demand,
    )
