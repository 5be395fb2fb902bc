"""Staffing open demand: who could fill it, and turning it into an allocation (no Qt).

A demand is a project's unfilled need for a role (optionally a skill) at some hours a week
between two dates. ``candidates`` ranks the people in that role by their level in the skill
asked for and by the hours they have free over the demand's weeks (capacity after holidays and
absences, minus what is already allocated, by the counting rule of ``analytics.resources``). The
demand's own hours per week follow the same rule: a public holiday is not a working day, so a
week with a bank holiday asks for four fifths of the weekly hours, as it gives four fifths of
the capacity.
``assign`` gives the demand to a person as an allocation over the demand's period, in whole or in
part (the demand keeps the hours not given), and ``undo_assign`` takes it back. Every change goes
through the ORM, so each leaves its audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..analytics import resources as an
from ..model import Demand, Person, PersonSkill, Project, Role, Skill
from .base import flush_or_conflict
from .errors import ConflictError, FieldError, ValidationError
from .resources import AllocationInput, RowImage, create_allocation, delete_allocation, format_day

#: A week counts as short when the person's free hours fall below the demand's by more than this.
_TOLERANCE = 0.05


# -- open demand ----------------------------------------------------------------------------------
class OpenDemand(NamedTuple):
    """One open demand as the staffing list shows it; the id first, as RowTableModel expects.

    ``project`` is the project's code (``project_name`` its name); ``unfilled_hours`` are the
    hours the demand still asks for from today's week to its end.
    """

    id: int
    project: str
    role: str
    skill: str | None
    start_date: dt.date
    end_date: dt.date
    hours_per_week: float
    unfilled_hours: float
    version: int
    project_id: int
    notes: str | None
    project_name: str


def demand_weeks(start: dt.date, end: dt.date) -> list[dt.date]:
    """The Mondays of the weeks from ``start`` to ``end``."""
    first = an.week_start(start)
    return [first + dt.timedelta(weeks=n) for n in range((an.week_start(end) - first).days // 7 + 1)]


def remaining_hours(hours_per_week: float, start: dt.date, end: dt.date, today: dt.date, *,
                    holidays: Collection[dt.date]) -> float:
    """Hours asked for from the week of ``today`` (or ``start``, if later) to ``end``; public
    ``holidays`` give none (the counting rule)."""
    first = max(start, an.week_start(today))
    if first > end:
        return 0.0
    return sum(an.week_hours(hours_per_week, first, end, monday, holidays=holidays)
               for monday in demand_weeks(first, end))


def open_demands(session: Session, today: dt.date) -> list[OpenDemand]:
    """Demand that has not ended before ``today``, earliest start first."""
    query = (
        select(Demand, Project.code, Project.name, Role.name, Skill.name)
        .join(Project, Project.id == Demand.project_id)
        .join(Role, Role.id == Demand.role_id)
        .outerjoin(Skill, Skill.id == Demand.skill_id)
        .where(Demand.end_date >= today)
        .order_by(Demand.start_date, Project.code, Role.name, Demand.id)
    )
    rows = session.execute(query).all()
    if not rows:
        return []
    holidays = an.holidays_between(session, an.week_start(today), max(d.end_date for d, *_rest in rows))
    return [
        OpenDemand(d.id, code, role, skill, d.start_date, d.end_date, float(d.hours_per_week),
                   remaining_hours(float(d.hours_per_week), d.start_date, d.end_date, today, holidays=holidays),
                   d.version, d.project_id, d.notes, name)
        for d, code, name, role, skill in rows
    ]


# -- candidates -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Candidate:
    """A person who could take a demand, with how well they fit and why, in words."""

    person_id: int
    name: str
    team: str | None
    skill_level: int | None
    free_average: float
    weeks_short: int
    weeks: int
    why: str


def _demand_or_raise(session: Session, demand_id: int) -> Demand:
    demand = session.get(Demand, demand_id, populate_existing=True)
    if demand is None:
        raise ConflictError("demand", demand_id, {}, {}, deleted=True)
    return demand


def _why(free_average: float, weeks_short: int, weeks: int, skill: str | None, level: int | None) -> str:
    """ "free 22.5 h/week on average, 3 of 8 weeks short; Python level 4"."""
    text = f"free {free_average:.1f} h/week on average, "
    text += f"{weeks_short} of {weeks} weeks short" if weeks_short else f"enough in all {weeks} weeks"
    if skill is not None:
        text += f"; {skill} level {level}" if level else f"; no {skill} recorded"
    return text


def candidates(session: Session, demand_id: int, limit: int = 10, *, today: dt.date | None = None) -> list[Candidate]:
    """Active people in the demand's role, best fit first, at most ``limit`` of them.

    Free hours are counted over the demand's weeks (from ``today``'s week when the demand has
    already started). A week is short when the person's free hours are below what the demand
    asks for that week. Best fit first (``_fit``): people free in every week, then those short in
    at most a quarter of the weeks, then the rest, and those with no free hours last; within
    each, when the demand names a skill, people with it before people without, the higher level
    first; then fewer short weeks, then more free hours on average.
    """
    demand = _demand_or_raise(session, demand_id)
    start = max(demand.start_date, an.week_start(today)) if today is not None else demand.start_date
    if start > demand.end_date:
        return []
    people = dict(session.execute(
        select(Person.id, Person.name).where(Person.role_id == demand.role_id, Person.active.is_(True))
    ).all())
    if not people:
        return []
    skill = session.get(Skill, demand.skill_id) if demand.skill_id is not None else None
    levels: dict[int, int] = {}
    if skill is not None:
        levels = {pid: level or 1 for pid, level in session.execute(
            select(PersonSkill.person_id, PersonSkill.level)
            .where(PersonSkill.skill_id == skill.id, PersonSkill.person_id.in_(list(people)))
        )}
    mondays = demand_weeks(start, demand.end_date)
    _mondays, rows, holidays = an.person_rows(session, mondays[0], len(mondays), list(people))
    needed = [an.week_hours(demand.hours_per_week, start, demand.end_date, m, holidays=holidays) for m in mondays]
    result = []
    for row in rows:
        person_id = int(row.key)
        weeks = [i for i, hours in enumerate(needed) if hours > 0]
        free = [max(row.available[i] - row.allocated[i], 0.0) for i in weeks]
        short = sum(1 for i, hours in zip(weeks, free, strict=True) if hours < needed[i] - _TOLERANCE)
        average = sum(free) / len(free) if free else 0.0
        level = levels.get(person_id)
        result.append(Candidate(person_id, row.label, row.team, level, average, short, len(weeks),
                                _why(average, short, len(weeks), skill.name if skill else None, level)))
    result.sort(key=_fit)
    return result[:limit]


def _fit(candidate: Candidate) -> tuple:
    """Sort key, best first: how much of the demand they can cover, then skill level, then free hours.

    Cover bands: free in every week; short in at most a quarter of the weeks; short in more; no
    free hours at all. Within a band, people with the skill asked for come first, higher levels
    before lower, then fewer short weeks and more free hours.
    """
    if candidate.free_average <= 0:
        band = 3
    elif candidate.weeks_short == 0:
        band = 0
    else:
        band = 1 if candidate.weeks_short * 4 <= candidate.weeks else 2
    return (band, candidate.skill_level is None, -(candidate.skill_level or 0), candidate.weeks_short,
            -candidate.free_average, candidate.name.lower())


# -- assigning ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Assignment:
    """What ``assign`` did, and what ``undo_assign`` needs to take it back.

    ``demand_before`` is the demand row as it was; ``demand_removed`` is True when the whole
    demand was given (the row was deleted), else ``demand_version`` is its version after its
    hours were lowered to what is still unfilled.
    """

    allocation_id: int
    allocation_version: int
    person_id: int
    demand_id: int
    hours_per_week: float
    demand_before: RowImage
    demand_removed: bool
    demand_version: int | None
    warnings: list[str] = field(default_factory=list)


def assign(session: Session, demand_id: int, person_id: int, hours_per_week: float | None = None,
           expected_version: int | None = None, *, refuse_over_allocation: bool = False) -> Assignment:
    """Give a demand (all its hours a week, or ``hours_per_week`` of them) to a person as an allocation.

    The allocation runs over the demand's period on its project. Given whole, the demand is
    deleted; given in part, it keeps the hours a week not given. Warns (in ``warnings``) when the
    person becomes over-allocated or is not in the demand's role; with ``refuse_over_allocation``
    (a directive PMO) over-allocation raises ValidationError and nothing is written.
    """
    demand = _demand_or_raise(session, demand_id)
    if expected_version is not None and demand.version != expected_version:
        raise ConflictError("demand", demand_id, {}, {"hours_per_week": float(demand.hours_per_week)})
    asked = float(demand.hours_per_week)
    hours = asked if hours_per_week is None else float(hours_per_week)
    errors = []
    person = session.get(Person, person_id)
    if person is None:
        errors.append(FieldError("person_id", "Choose the person to staff the demand with."))
    elif not person.active:
        errors.append(FieldError("person_id", f"{person.name} is marked inactive: choose someone active."))
    if not 0 < hours <= asked:
        errors.append(FieldError("hours_per_week",
                                 f"Hours per week must be more than 0 and at most the {asked:g} the demand asks for."))
    if errors:
        raise ValidationError(errors)
    before = RowImage.of(demand)
    role = session.get(Role, demand.role_id)
    note = f"Staffed from demand for a {role.name}" if role else "Staffed from demand"
    saved = create_allocation(
        session,
        AllocationInput(person_id, demand.project_id, demand.start_date, demand.end_date, hours,
                        f"{note}: {demand.notes}" if demand.notes else note),
        refuse_over_allocation=refuse_over_allocation,
    )
    warnings = list(saved.warnings)
    if person.role_id != demand.role_id and role is not None:
        warnings.append(f"{person.name} is not a {role.name}; the demand asked for one.")
    removed = hours >= asked - 1e-9
    if removed:
        session.delete(demand)
        session.flush()
        version = None
    else:
        demand.hours_per_week = round(asked - hours, 2)
        flush_or_conflict(session, demand)
        version = demand.version
    return Assignment(saved.id, saved.version, person_id, demand_id, hours, before, removed, version, warnings)


def undo_assign(session: Session, assignment: Assignment) -> int:
    """Delete the allocation ``assign`` made and give the demand back its hours; returns the demand's version.

    Raises ConflictError when the allocation or the demand was changed since, and
    ValidationError when the demand's project has been deleted meanwhile.
    """
    delete_allocation(session, assignment.allocation_id, assignment.allocation_version)
    values = assignment.demand_before.values
    if assignment.demand_removed:
        if session.get(Project, values["project_id"]) is None:
            raise ValidationError(FieldError(
                "project_id", "The demand cannot be brought back: its project no longer exists."))
        return assignment.demand_before.insert(session).version
    demand = _demand_or_raise(session, assignment.demand_id)
    if demand.version != assignment.demand_version:
        raise ConflictError("demand", assignment.demand_id, {"hours_per_week": values["hours_per_week"]},
                            {"hours_per_week": float(demand.hours_per_week)})
    demand.hours_per_week = values["hours_per_week"]
    flush_or_conflict(session, demand)
    return demand.version


def describe_assignment(person_name: str, demand: OpenDemand, hours: float) -> str:
    """ "Staff Sam Patel on ERP, 15 h/week from 1 Dec 2026" (the undo menu's text)."""
    return (f"Staff {person_name} on {demand.project}, {hours:g} h/week "
            f"from {format_day(demand.start_date)}")
