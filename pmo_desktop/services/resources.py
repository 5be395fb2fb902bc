"""People, their allocations to projects and their absences: the Resources tab's use cases (no Qt).

Hours are counted per working week (Monday to Friday) by the rule of ``analytics.resources``. An
allocation of ``h`` hours a week gives a week ``h * d / 5`` hours, where ``d`` is the number of
that week's working days it covers that are not public holidays: an allocation that ends on a
Wednesday gives three fifths of its hours to that week, one that runs all week gives all of them,
and in a week with a bank holiday it gives four fifths (the person's capacity that week is four
fifths too, so a fully allocated person stays at 100%). Absences are recorded next to allocations
but do not change the hours allocated; the timeline shows them so that a coordinator can see the
clash.

Every write goes through the ORM session, so each row changed leaves its audit event. Deletes
return a snapshot that ``restore_*`` re-inserts exactly (same ids, values and versions), which
is what undo needs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..analytics.resources import (  # the counting rule lives with the figures; re-exported here
    OVER_ALLOCATED,
    WORKING_DAYS,
    covered_days_sql,
    covered_working_days,
    holidays_between,
    ratio,
    week_days,
    week_hours,
    week_start,
)
from ..model import Absence, Allocation, Person, Project, Role
from ..model.base import Base
from .base import flush_or_conflict, text_or_none
from .errors import ConflictError, FieldError, NotFoundError, ValidationError

#: Weeks ahead (this week included) that the peak utilisation looks at.
PEAK_WEEKS = 4
MAX_WEEKLY_HOURS = 100.0

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


# -- dates --------------------------------------------------------------------------------------
def format_day(day: dt.date) -> str:
    """A date as coordinators write it: 12 Jan 2026."""
    return f"{day.day} {day:%b %Y}"


# -- the people table ---------------------------------------------------------------------------
class PersonRow(NamedTuple):
    """One line of the people table; a tuple with the id first, as RowTableModel expects."""

    id: int
    name: str
    role: str | None
    team: str | None
    capacity_hours: float
    active: bool
    hours_this_week: float
    utilisation: float | None
    peak_utilisation: float | None
    projects: int
    email: str | None

    @property
    def over_allocated(self) -> bool:
        """Above OVER_ALLOCATED in this week or one of the next PEAK_WEEKS - 1."""
        return self.peak_utilisation is not None and self.peak_utilisation > OVER_ALLOCATED


def _weekly_hours_columns(mondays: Sequence[dt.date], holidays: Collection[dt.date]) -> list:
    """One SUM per week: hours per week times the number of that week's working days covered that
    are not public holidays (``analytics.resources.covered_days_sql``), in one pass over the
    allocation rows.

    An allocation outside the week gives it nothing and one that spans it whole gives all its
    working days, each decided by two comparisons; only a week it starts or ends in is counted
    day by day (ten comparisons). At 38,000 allocations and four weeks that halves the query.
    """
    a = Allocation.__table__.c
    columns = []
    for i, monday in enumerate(mondays):
        days = week_days(monday)
        flags = [day in holidays for day in days]
        covered = case(
            (or_(a.start_date > days[-1], a.end_date < days[0]), 0),
            (and_(a.start_date <= days[0], a.end_date >= days[-1]), WORKING_DAYS - sum(flags)),
            else_=covered_days_sql(a.start_date, a.end_date, days, flags),
        )
        columns.append(func.coalesce(func.sum(a.hours_per_week * covered), 0).label(f"week_{i}"))
    return columns


def person_rows(session: Session, today: dt.date) -> list[PersonRow]:
    """Every person with this week's hours and utilisation, their 4-week peak and project count.

    A public holiday gives no hours allocated (the counting rule) and no hours available, so
    utilisation is against the capacity of the week's working days that are not public holidays
    (absences are not netted off here; the heat map does that): a fully allocated person is at
    100% in a week with a bank holiday, not over.

    One query: allocations that have not ended before this week are summed per person and week
    (``_weekly_hours_columns``) in a subquery joined to people and roles. "Projects" counts the
    distinct projects the person is allocated to from today on.
    """
    a = Allocation.__table__.c
    people, roles = Person.__table__, Role.__table__
    p, r = people.c, roles.c
    first = week_start(today)
    mondays = [first + dt.timedelta(weeks=n) for n in range(PEAK_WEEKS)]
    holidays = holidays_between(session, first, mondays[-1] + dt.timedelta(days=WORKING_DAYS - 1))
    load = (
        select(
            a.person_id,
            *_weekly_hours_columns(mondays, holidays),
            func.count(func.distinct(case((a.end_date >= today, a.project_id)))).label("projects"),
        )
        .where(a.end_date >= first)
        .group_by(a.person_id)
        .subquery("load")
    )
    weeks = [load.c[f"week_{i}"] for i in range(PEAK_WEEKS)]
    query = (
        select(p.id, p.name, r.name, p.team, p.capacity_hours, p.active, *weeks, load.c.projects, p.email)
        .select_from(people.outerjoin(roles, r.id == p.role_id).outerjoin(load, load.c.person_id == p.id))
        .order_by(p.name)
    )
    working = [sum(day not in holidays for day in week_days(monday)) for monday in mondays]
    rows = []
    for row in session.execute(query):
        pid, name, role, team, capacity, active, *hours, projects, email = row
        hours = [float(h or 0) / WORKING_DAYS for h in hours]
        capacity = float(capacity)
        levels = [_utilisation(h, capacity * days / WORKING_DAYS) for h, days in zip(hours, working, strict=True)]
        known = [level for level in levels if level is not None]
        rows.append(PersonRow(
            pid, name, role, team, capacity, bool(active), hours[0],
            levels[0], max(known) if known else None, projects or 0, email,
        ))
    return rows


def _utilisation(hours: float, capacity: float) -> float | None:
    """Allocated / capacity; None for someone with no capacity and nothing allocated."""
    return ratio(hours, capacity)


# -- reading one person ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AllocationLine:
    """One allocation as the person's panel lists it."""

    id: int
    version: int
    project_id: int
    project_code: str
    project_name: str
    start_date: dt.date
    end_date: dt.date
    hours_per_week: float
    notes: str | None


@dataclass(frozen=True, slots=True)
class AbsenceLine:
    """One absence as the person's panel lists it."""

    id: int
    version: int
    start_date: dt.date
    end_date: dt.date
    reason: str | None


@dataclass(frozen=True, slots=True)
class PersonDetail:
    """Everything the detail panel shows for one person."""

    id: int
    version: int
    name: str
    email: str | None
    role: str | None
    team: str | None
    capacity_hours: float
    cost_rate: Decimal | None
    active: bool
    allocations: tuple[AllocationLine, ...]
    absences: tuple[AbsenceLine, ...]
    #: The office's public holidays from the week of the first allocation to the last one's end
    #: (what ``weekly_load`` needs to count the person's hours by the rule).
    holidays: frozenset[dt.date] = frozenset()

    def to_input(self) -> PersonInput:
        """The editable fields, as a save would send them."""
        return PersonInput(self.name, self.email, self.role, self.team, self.capacity_hours, self.cost_rate,
                           self.active)


def get_person(session: Session, person_id: int) -> PersonDetail:
    """The person with their allocations (project code and name) and absences, oldest first.

    Read as plain rows (Core), not ORM objects: the panel shows a person at every click, and the
    first ORM load of a person, their allocations and absences compiled three entity queries.
    """
    p, r = Person.__table__.c, Role.__table__.c
    a, pr, ab = Allocation.__table__.c, Project.__table__.c, Absence.__table__.c
    person = session.execute(
        select(p.id, p.version, p.name, p.email, r.name, p.team, p.capacity_hours, p.cost_rate, p.active)
        .select_from(Person.__table__.outerjoin(Role.__table__, r.id == p.role_id))
        .where(p.id == person_id)
    ).one_or_none()
    if person is None:
        raise NotFoundError(f"Person {person_id} no longer exists.")
    allocations = [
        AllocationLine(line_id, version, project_id, code, name, start, end, float(hours), notes)
        for line_id, version, project_id, code, name, start, end, hours, notes in session.execute(
            select(a.id, a.version, a.project_id, pr.code, pr.name, a.start_date, a.end_date, a.hours_per_week,
                   a.notes)
            .join_from(Allocation.__table__, Project.__table__, pr.id == a.project_id)
            .where(a.person_id == person_id)
            .order_by(a.start_date, pr.code)
        )
    ]
    absences = session.execute(
        select(ab.id, ab.version, ab.start_date, ab.end_date, ab.reason)
        .where(ab.person_id == person_id)
        .order_by(ab.start_date)
    )
    pid, version, name, email, role, team, capacity, cost_rate, active = person
    return PersonDetail(
        id=pid, version=version, name=name, email=email, role=role, team=team, capacity_hours=float(capacity),
        cost_rate=cost_rate, active=bool(active), allocations=tuple(allocations),
        absences=tuple(AbsenceLine(*row) for row in absences),
        holidays=(holidays_between(session, week_start(min(line.start_date for line in allocations)),
                                   max(line.end_date for line in allocations))
                  if allocations else frozenset()),
    )


@dataclass(frozen=True, slots=True)
class WeekAllocation:
    """An allocation that gives hours to one week, with the hours it gives that week."""

    line: AllocationLine
    person_id: int
    week_hours: float


def week_allocations(session: Session, person_id: int, monday: dt.date) -> list[WeekAllocation]:
    """The person's allocations that cover a working day of the week starting ``monday``, by project."""
    friday = monday + dt.timedelta(days=WORKING_DAYS - 1)
    rows = session.execute(
        select(Allocation, Project.code, Project.name)
        .join(Project, Project.id == Allocation.project_id)
        .where(Allocation.person_id == person_id, Allocation.start_date <= friday, Allocation.end_date >= monday)
        .order_by(Project.code, Allocation.start_date)
    ).all()
    holidays = holidays_between(session, monday, friday)
    return [
        WeekAllocation(
            AllocationLine(al.id, al.version, al.project_id, code, name, al.start_date, al.end_date,
                           float(al.hours_per_week), al.notes),
            al.person_id, week_hours(al.hours_per_week, al.start_date, al.end_date, monday, holidays=holidays))
        for al, code, name in rows
    ]


@dataclass(frozen=True, slots=True)
class WeekLoad:
    """One working week of a person's plan: hours allocated and working days absent."""

    monday: dt.date
    hours: float
    absent_days: int


def weekly_load(allocations: Iterable[AllocationLine | Allocation], absences: Iterable[AbsenceLine | Absence],
                first_monday: dt.date, weeks: int, *, holidays: Collection[dt.date]) -> list[WeekLoad]:
    """Hours per week (the same rule as ``person_rows``: public holidays give no hours) and absent
    days, for ``weeks`` weeks. ``holidays`` are the office's public holidays in those weeks."""
    allocations, absences = list(allocations), list(absences)
    result = []
    for n in range(weeks):
        monday = first_monday + dt.timedelta(weeks=n)
        hours = sum(week_hours(al.hours_per_week, al.start_date, al.end_date, monday, holidays=holidays)
                    for al in allocations)
        absent = min(sum(covered_working_days(ab.start_date, ab.end_date, monday) for ab in absences),
                     WORKING_DAYS)
        result.append(WeekLoad(monday, hours, absent))
    return result


@dataclass(frozen=True, slots=True)
class ProjectChoice:
    """A project offered in the allocation dialog's picker."""

    id: int
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


def project_choices(session: Session) -> list[ProjectChoice]:
    """Every project, by code, for the allocation picker."""
    rows = session.execute(select(Project.id, Project.code, Project.name).order_by(Project.code))
    return [ProjectChoice(*row) for row in rows]


def role_names(session: Session) -> list[str]:
    """The roles people can be given, by name."""
    return list(session.scalars(select(Role.name).order_by(func.lower(Role.name))))


def team_names(session: Session) -> list[str]:
    """The teams people already belong to."""
    return list(session.scalars(
        select(Person.team).where(Person.team.is_not(None), Person.team != "").distinct().order_by(Person.team)
    ))


# -- snapshots for undo ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RowImage:
    """Every stored column of one row, enough to insert it again exactly as it was."""

    model: type[Base]
    values: Mapping[str, Any]

    @classmethod
    def of(cls, obj: Base) -> RowImage:
        return cls(type(obj), {attr.key: getattr(obj, attr.key) for attr in obj.__mapper__.column_attrs})

    def insert(self, session: Session) -> Base:
        """Add the row back (same id and timestamps).

        The ORM numbers a new row's version 1, so a stored version above that is written back
        straight after, with the old ``updated_at`` so that the timestamp is not bumped either.
        """
        values = dict(self.values)
        version = values.pop("version", None)
        obj = self.model(**values)
        session.add(obj)
        session.flush()
        if version is not None and obj.version != version:
            obj.version = version
            if "updated_at" in values:
                # The same value again would not count as a change, so the onupdate stamp would win.
                flag_modified(obj, "updated_at")
            session.flush()
        return obj


@dataclass(frozen=True, slots=True)
class PersonSnapshot:
    """A deleted person with everything that was deleted with them."""

    person: RowImage
    role_name: str | None
    children: tuple[RowImage, ...]


# -- people ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PersonInput:
    """The fields a coordinator edits on a person. ``role`` is a role name, created when new."""

    name: str
    email: str | None = None
    role: str | None = None
    team: str | None = None
    capacity_hours: float = 37.5
    cost_rate: Decimal | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class PersonSaved:
    """A saved person: its id and new version, and the values before (for undo; None when created)."""

    id: int
    version: int
    before: PersonInput | None = None


def _normalised_person(data: PersonInput) -> PersonInput:
    cost = data.cost_rate
    if cost is not None and not isinstance(cost, Decimal):
        cost = Decimal(str(cost))
    return PersonInput(
        name=(data.name or "").strip(), email=text_or_none(data.email), role=text_or_none(data.role), team=text_or_none(data.team),
        capacity_hours=float(data.capacity_hours), cost_rate=cost, active=bool(data.active),
    )


def validate_person(session: Session, data: PersonInput, person_id: int | None = None) -> None:
    """Raise ValidationError naming every field that is wrong; ``person_id`` is the one being edited."""
    errors: list[FieldError] = []
    others = Person.id != person_id if person_id is not None else literal(True)
    if not data.name:
        errors.append(FieldError("name", "Enter the person's name."))
    elif session.scalar(select(Person.id).where(func.lower(Person.name) == data.name.lower(), others)):
        errors.append(FieldError("name", f"Another person is already called {data.name}."))
    if data.email is not None:
        if not _EMAIL.match(data.email):
            errors.append(FieldError("email", f"“{data.email}” is not an email address (e.g. sam.patel@example.org)."))
        else:
            holder = session.scalar(
                select(Person.name).where(func.lower(Person.email) == data.email.lower(), others)
            )
            if holder:
                errors.append(FieldError("email", f"{data.email} is already the email of {holder}."))
    for key, label, limit in (("name", "The name", 200), ("role", "The role", 120), ("team", "The team name", 120)):
        value = getattr(data, key)
        if value is not None and len(value) > limit:
            errors.append(FieldError(key, f"{label} is too long: at most {limit} characters."))
    if not 0 <= data.capacity_hours <= MAX_WEEKLY_HOURS:
        errors.append(FieldError("capacity_hours", "Capacity must be between 0 and 100 hours a week."))
    if data.cost_rate is not None and data.cost_rate < 0:
        errors.append(FieldError("cost_rate", "The cost rate cannot be negative."))
    if errors:
        raise ValidationError(errors)


def parse_cost_rate(text: str) -> Decimal | None:
    """A cost rate typed by a user ("650", "£1,200.50"); blank is None; anything else a ValidationError."""
    cleaned = re.sub(r"[\s,£$€]", "", text or "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(FieldError("cost_rate", f"“{text.strip()}” is not an amount; enter a number such as 650.")) from None
    if not value.is_finite():
        raise ValidationError(FieldError("cost_rate", "Enter a number such as 650."))
    return value


def role_id_for(session: Session, name: str | None) -> int | None:
    """The id of the role called ``name`` (any letter case), creating the role if the office has none."""
    if not name:
        return None
    role_id = session.scalar(select(Role.id).where(func.lower(Role.name) == name.lower()))
    if role_id is None:
        role = Role(name=name)
        session.add(role)
        session.flush()
        role_id = role.id
    return role_id


def _person_values(session: Session, data: PersonInput) -> dict[str, Any]:
    return {
        "name": data.name, "email": data.email, "role_id": role_id_for(session, data.role), "team": data.team,
        "capacity_hours": data.capacity_hours, "cost_rate": data.cost_rate, "active": data.active,
    }


def create_person(session: Session, data: PersonInput) -> PersonSaved:
    """Add a person after validation; a role given by a new name is created."""
    data = _normalised_person(data)
    validate_person(session, data)
    person = Person(**_person_values(session, data))
    session.add(person)
    session.flush()
    return PersonSaved(person.id, person.version)


def _stored_person_input(person: Person) -> PersonInput:
    return PersonInput(person.name, person.email, person.role.name if person.role else None, person.team,
                       float(person.capacity_hours), person.cost_rate, bool(person.active))


def update_person(session: Session, person_id: int, data: PersonInput, expected_version: int | None) -> PersonSaved:
    """Save ``data`` over the person if nobody saved it since ``expected_version``.

    Raises ValidationError, or ConflictError whose ``mine``/``theirs`` hold the fields that differ
    (the role by name), so that the user can choose.
    """
    data = _normalised_person(data)
    person = session.get(Person, person_id, populate_existing=True)
    if person is None:
        raise ConflictError("person", person_id, _input_dict(data), {}, deleted=True)
    stored = _stored_person_input(person)
    if expected_version is not None and person.version != expected_version:
        mine, theirs = _input_dict(data), _input_dict(stored)
        differ = [k for k in mine if mine[k] != theirs[k]]
        raise ConflictError("person", person_id, {k: mine[k] for k in differ}, {k: theirs[k] for k in differ})
    validate_person(session, data, person_id)
    for key, value in _person_values(session, data).items():
        setattr(person, key, value)
    flush_or_conflict(session, person)
    return PersonSaved(person.id, person.version, stored)


def _input_dict(data: PersonInput) -> dict[str, Any]:
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    if values["cost_rate"] is not None:
        values["cost_rate"] = format(values["cost_rate"], "f")
    return values


def _check_version(obj: Person | Allocation | Absence, entity: str, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise ConflictError(entity, obj.id, {}, {"version": obj.version})


def _delete_row(session: Session, model: type[Allocation] | type[Absence], row_id: int,
                expected_version: int | None) -> RowImage:
    """Delete one allocation or absence still at ``expected_version``; return its snapshot."""
    obj = session.get(model, row_id, populate_existing=True)
    if obj is None:
        raise NotFoundError(f"This {model.__tablename__} no longer exists (someone else deleted it).")
    _check_version(obj, model.__tablename__, expected_version)
    image = RowImage.of(obj)
    session.delete(obj)
    session.flush()
    return image


def delete_person(session: Session, person_id: int, expected_version: int | None = None) -> PersonSnapshot:
    """Delete the person with their allocations, absences and skills; return what restore needs."""
    person = session.get(Person, person_id, populate_existing=True)
    if person is None:
        raise NotFoundError(f"Person {person_id} no longer exists.")
    _check_version(person, "person", expected_version)
    children = tuple(RowImage.of(obj) for obj in (*person.allocations, *person.absences, *person.skills))
    snapshot = PersonSnapshot(RowImage.of(person), person.role.name if person.role else None, children)
    session.delete(person)
    session.flush()
    return snapshot


def restore_person(session: Session, snapshot: PersonSnapshot) -> int:
    """Insert a deleted person and their rows again exactly as they were; returns the id.

    The role is looked up by name (and created again if it was deleted meanwhile).
    """
    values = dict(snapshot.person.values)
    name, email = values["name"], values.get("email")
    same = func.lower(Person.name) == name.lower()
    if email:
        same = same | (func.lower(Person.email) == email.lower())
    clash = session.scalar(select(Person.name).where(same))
    if clash:
        raise ValidationError(FieldError(
            "name", f"{name} cannot be brought back: {clash} now has the same name or email."))
    if snapshot.role_name is not None:
        values["role_id"] = role_id_for(session, snapshot.role_name)
    person = RowImage(Person, values).insert(session)
    for child in snapshot.children:
        child.insert(session)
    session.flush()
    return person.id


# -- allocations ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AllocationInput:
    """The fields of an allocation: who, on which project, when, how many hours a week."""

    person_id: int | None
    project_id: int | None
    start_date: dt.date | None
    end_date: dt.date | None
    hours_per_week: float
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class AllocationSaved:
    """A saved allocation; ``warnings`` say in which weeks the person is now over-allocated."""

    id: int
    version: int
    warnings: list[str] = field(default_factory=list)
    before: AllocationInput | None = None


def validate_allocation(session: Session, data: AllocationInput, allocation_id: int | None = None) -> None:
    """Raise ValidationError naming every field that is wrong."""
    errors: list[FieldError] = []
    if data.person_id is None or session.get(Person, data.person_id) is None:
        errors.append(FieldError("person_id", "Choose the person to allocate."))
    if data.project_id is None or session.get(Project, data.project_id) is None:
        errors.append(FieldError("project_id", "Choose a project."))
    if data.start_date is None:
        errors.append(FieldError("start_date", "Enter the date the allocation starts."))
    if data.end_date is None:
        errors.append(FieldError("end_date", "Enter the date the allocation ends."))
    elif data.start_date is not None and data.end_date < data.start_date:
        errors.append(FieldError("end_date", "The end date must be on or after the start date."))
    if not 0 < data.hours_per_week <= MAX_WEEKLY_HOURS:
        errors.append(FieldError("hours_per_week", "Hours per week must be more than 0 and at most 100."))
    if not errors:
        others = Allocation.id != allocation_id if allocation_id is not None else literal(True)
        clash = session.scalar(select(Allocation.id).where(
            Allocation.person_id == data.person_id, Allocation.project_id == data.project_id,
            Allocation.start_date == data.start_date, others,
        ))
        if clash:
            errors.append(FieldError(
                "start_date", "This person already has an allocation to this project starting that day; edit it instead."
            ))
    if errors:
        raise ValidationError(errors)


def _allocation_values(data: AllocationInput) -> dict[str, Any]:
    return {"person_id": data.person_id, "project_id": data.project_id, "start_date": data.start_date,
            "end_date": data.end_date, "hours_per_week": float(data.hours_per_week), "notes": text_or_none(data.notes)}


def create_allocation(session: Session, data: AllocationInput, *, refuse_over_allocation: bool = False) -> AllocationSaved:
    """Add an allocation; the result warns about weeks in which the person becomes over-allocated.

    With ``refuse_over_allocation`` (a directive PMO) such an allocation raises ValidationError
    instead, and the caller's transaction writes nothing.
    """
    validate_allocation(session, data)
    allocation = Allocation(**_allocation_values(data))
    session.add(allocation)
    session.flush()
    return AllocationSaved(allocation.id, allocation.version,
                           _checked_warnings(session, allocation, refuse_over_allocation))


def _stored_allocation_input(allocation: Allocation) -> AllocationInput:
    return AllocationInput(allocation.person_id, allocation.project_id, allocation.start_date, allocation.end_date,
                           float(allocation.hours_per_week), allocation.notes)


def update_allocation(session: Session, allocation_id: int, data: AllocationInput,
                      expected_version: int | None, *, refuse_over_allocation: bool = False) -> AllocationSaved:
    """Save ``data`` over the allocation unless someone saved it since ``expected_version``.

    ``refuse_over_allocation`` as for ``create_allocation``.
    """
    allocation = session.get(Allocation, allocation_id, populate_existing=True)
    if allocation is None:
        raise ConflictError("allocation", allocation_id, {}, {}, deleted=True)
    stored = _stored_allocation_input(allocation)
    if expected_version is not None and allocation.version != expected_version:
        mine, theirs = _allocation_dict(session, data), _allocation_dict(session, stored)
        differ = [k for k in mine if mine[k] != theirs[k]]
        raise ConflictError("allocation", allocation_id, {k: mine[k] for k in differ},
                            {k: theirs[k] for k in differ})
    validate_allocation(session, data, allocation_id)
    for key, value in _allocation_values(data).items():
        setattr(allocation, key, value)
    flush_or_conflict(session, allocation)
    return AllocationSaved(allocation.id, allocation.version,
                           _checked_warnings(session, allocation, refuse_over_allocation), stored)


def _allocation_dict(session: Session, data: AllocationInput) -> dict[str, Any]:
    project = session.get(Project, data.project_id) if data.project_id is not None else None
    return {
        "project": project.code if project else None,
        "start_date": data.start_date.isoformat() if data.start_date else None,
        "end_date": data.end_date.isoformat() if data.end_date else None,
        "hours_per_week": data.hours_per_week,
        "notes": text_or_none(data.notes),
    }


def delete_allocation(session: Session, allocation_id: int, expected_version: int | None = None) -> RowImage:
    """Delete the allocation and return the snapshot ``restore_allocation`` puts back."""
    return _delete_row(session, Allocation, allocation_id, expected_version)


def restore_allocation(session: Session, snapshot: RowImage) -> int:
    """Insert a deleted allocation again exactly as it was; returns its id.

    Raises ValidationError when that is no longer possible (the person or project has gone, or
    an allocation with the same person, project and start was added meanwhile).
    """
    values = snapshot.values
    cannot = "The allocation cannot be brought back:"
    if session.get(Person, values["person_id"]) is None:
        raise ValidationError(FieldError("person_id", f"{cannot} the person no longer exists."))
    if session.get(Project, values["project_id"]) is None:
        raise ValidationError(FieldError("project_id", f"{cannot} its project no longer exists."))
    if session.scalar(select(Allocation.id).where(
        Allocation.person_id == values["person_id"], Allocation.project_id == values["project_id"],
        Allocation.start_date == values["start_date"],
    )):
        raise ValidationError(FieldError(
            "start_date", f"{cannot} an allocation to the same project starting that day was added meanwhile."))
    return snapshot.insert(session).id


def _checked_warnings(session: Session, allocation: Allocation, refuse: bool) -> list[str]:
    """The allocation's warnings; with ``refuse``, a ValidationError when it over-allocates the person."""
    person = session.get(Person, allocation.person_id)
    over = over_allocation_text(session, allocation)
    if refuse and over:
        raise ValidationError(FieldError(
            "hours_per_week",
            f"{over} This office is a directive PMO, so over-allocation is not allowed: "
            "lower the hours, shorten the period or choose someone with free time."))
    notes = [] if person is None or person.active else [f"{person.name} is marked inactive."]
    return [over, *notes] if over else notes


def over_allocation_warnings(session: Session, allocation: Allocation) -> list[str]:
    """Plain-word warnings when the person is over-allocated in a week this allocation touches
    (and when the person is marked inactive).

    One warning names the worst week ("Sam Patel would be at 128% in the week of 12 Jan 2026")
    and how many other weeks are over too, so a year-long allocation does not give 52 lines.
    """
    return _checked_warnings(session, allocation, refuse=False)


def over_allocation_text(session: Session, allocation: Allocation) -> str | None:
    """The over-allocation warning of ``over_allocation_warnings`` alone, or None when within capacity."""
    person = session.get(Person, allocation.person_id)
    if person is None:
        return None
    others = session.scalars(select(Allocation).where(
        Allocation.person_id == person.id,
        Allocation.end_date >= week_start(allocation.start_date),
        Allocation.start_date <= allocation.end_date + dt.timedelta(days=6),
    )).all()
    first = week_start(allocation.start_date)
    weeks = (week_start(allocation.end_date) - first).days // 7 + 1
    capacity = float(person.capacity_hours)
    holidays = holidays_between(session, first, first + dt.timedelta(weeks=weeks - 1, days=WORKING_DAYS - 1))
    over = []
    for load in weekly_load(others, (), first, weeks, holidays=holidays):
        if covered_working_days(allocation.start_date, allocation.end_date, load.monday) == 0:
            continue
        # Both sides lose the week's public holidays (the counting rule), so a bank holiday alone
        # never makes a fully allocated person over.
        working = sum(day not in holidays for day in week_days(load.monday))
        level = _utilisation(load.hours, capacity * working / WORKING_DAYS)
        if level is not None and level > OVER_ALLOCATED:
            over.append((level, load))
    if not over:
        return None
    level, worst = max(over, key=lambda item: (item[0], -item[1].monday.toordinal()))
    if capacity > 0:
        text = f"{person.name} would be at {level:.0%} in the week of {format_day(worst.monday)}"
    else:
        text = (f"{person.name} has no capacity but would have {worst.hours:g} hours allocated "
                f"in the week of {format_day(worst.monday)}")
    if len(over) > 1:
        text += f" (and over {OVER_ALLOCATED:.0%} in {len(over) - 1} other week{'s' if len(over) > 2 else ''})"
    return text + "."


# -- absences -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AbsenceInput:
    """A period a person is away, with an optional reason."""

    person_id: int | None
    start_date: dt.date | None
    end_date: dt.date | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AbsenceSaved:
    """A saved absence, with the values before for undo (None when created)."""

    id: int
    version: int
    before: AbsenceInput | None = None


def validate_absence(session: Session, data: AbsenceInput) -> None:
    """Raise ValidationError naming every field that is wrong."""
    errors: list[FieldError] = []
    if data.person_id is None or session.get(Person, data.person_id) is None:
        errors.append(FieldError("person_id", "Choose the person who is away."))
    if data.start_date is None:
        errors.append(FieldError("start_date", "Enter the first day away."))
    if data.end_date is None:
        errors.append(FieldError("end_date", "Enter the last day away."))
    elif data.start_date is not None and data.end_date < data.start_date:
        errors.append(FieldError("end_date", "The last day must be on or after the first day."))
    if errors:
        raise ValidationError(errors)


def _absence_values(data: AbsenceInput) -> dict[str, Any]:
    return {"person_id": data.person_id, "start_date": data.start_date, "end_date": data.end_date,
            "reason": text_or_none(data.reason)}


def create_absence(session: Session, data: AbsenceInput) -> AbsenceSaved:
    """Record an absence after validation."""
    validate_absence(session, data)
    absence = Absence(**_absence_values(data))
    session.add(absence)
    session.flush()
    return AbsenceSaved(absence.id, absence.version)


def update_absence(session: Session, absence_id: int, data: AbsenceInput, expected_version: int | None) -> AbsenceSaved:
    """Save ``data`` over the absence unless someone saved it since ``expected_version``."""
    absence = session.get(Absence, absence_id, populate_existing=True)
    if absence is None:
        raise ConflictError("absence", absence_id, {}, {}, deleted=True)
    stored = AbsenceInput(absence.person_id, absence.start_date, absence.end_date, absence.reason)
    if expected_version is not None and absence.version != expected_version:
        raise ConflictError("absence", absence_id,
                            {"start_date": str(data.start_date), "end_date": str(data.end_date), "reason": data.reason},
                            {"start_date": str(stored.start_date), "end_date": str(stored.end_date),
                             "reason": stored.reason})
    validate_absence(session, data)
    for key, value in _absence_values(data).items():
        setattr(absence, key, value)
    flush_or_conflict(session, absence)
    return AbsenceSaved(absence.id, absence.version, stored)


def delete_absence(session: Session, absence_id: int, expected_version: int | None = None) -> RowImage:
    """Delete the absence and return the snapshot ``restore_absence`` puts back."""
    return _delete_row(session, Absence, absence_id, expected_version)


def restore_absence(session: Session, snapshot: RowImage) -> int:
    """Insert a deleted absence again exactly as it was (ValidationError if the person has gone)."""
    if session.get(Person, snapshot.values["person_id"]) is None:
        raise ValidationError(FieldError("person_id", "The absence cannot be brought back: the person no longer exists."))
    return snapshot.insert(session).id

