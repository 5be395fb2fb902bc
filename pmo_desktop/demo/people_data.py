"""People, roles, skills, absences, bank holidays, allocations and unfilled demand of the demo office.

Allocations are monthly rows (the way resource managers plan) over a twelve-month window. Each
person has a profile: most are loaded to 60-100% of capacity, some sit on the bench, and some are
over-allocated for a stretch of weeks by an extra assignment on top of a full load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..model import Absence, Allocation, Demand, Holiday, Person, PersonSkill, Role, Skill, Stage
from . import vocabulary as words
from .calendar import add_months, monday_of, month_end, uk_bank_holidays
from .context import BuildContext, clamp, money, pounds
from .portfolio_data import ProjectPlan


@dataclass(frozen=True, slots=True)
class PersonPlan:
    """A person as the allocation step needs them: role, team, weekly capacity, still employed."""

    id: int
    name: str
    role: words.RoleSpec
    role_id: int
    team: str
    capacity: float
    active: bool


@dataclass(frozen=True, slots=True)
class Staff:
    """The office's people and the ids of roles and skills, for later steps to refer to."""

    people: list[PersonPlan]
    role_ids: dict[str, int]
    skill_ids: dict[str, int]

    def with_role(self, role: str) -> list[PersonPlan]:
        return [p for p in self.people if p.role.name == role]


def build_staff(ctx: BuildContext) -> Staff:
    """Roles, skills, people (with skills); project managers first so the first ``managers`` manage."""
    writer = ctx.writer
    role_ids = dict(ctx.existing.role_ids)
    new_roles = [r for r in words.ROLES if r.name not in role_ids]
    role_ids.update({r.name: writer.new_id(Role) for r in new_roles})
    writer.insert(Role, [
        {"id": role_ids[r.name], "name": r.name, "default_cost_rate": pounds(sum(r.rate) / 2)} for r in new_roles
    ])
    skill_ids = dict(ctx.existing.skill_ids)
    new_skills = [s for s in dict.fromkeys(skill for role in words.ROLES for skill in role.skills)
                  if s not in skill_ids]
    skill_ids.update({name: writer.new_id(Skill) for name in new_skills})
    writer.insert(Skill, [{"id": skill_ids[name], "name": name} for name in new_skills])

    people = _plan_people(ctx, role_ids)
    writer.insert(Person, [
        {"id": p.id, "name": p.name, "email": _email(p.name, p.id, ctx.existing.emails), "role_id": p.role_id,
         "team": p.team,
         "capacity_hours": p.capacity, "cost_rate": money(ctx.rng.uniform(*p.role.rate)),
         "active": p.active}
        for p in people
    ])
    skill_rows = []
    for person in people:
        for skill in ctx.rng.sample(person.role.skills, ctx.rng.randint(1, min(4, len(person.role.skills)))):
            skill_rows.append({"id": writer.new_id(PersonSkill), "person_id": person.id,
                               "skill_id": skill_ids[skill], "level": ctx.rng.randint(1, 5)})
    writer.insert(PersonSkill, skill_rows)
    return Staff(people, role_ids, skill_ids)


def _role_counts(ctx: BuildContext) -> list[tuple[words.RoleSpec, int]]:
    total = ctx.spec.people
    counts = [(role, max(1, round(total * role.share))) for role in words.ROLES]
    counts[0] = (counts[0][0], max(counts[0][1], ctx.spec.managers + 1))  # Project Managers
    while sum(n for _, n in counts) > total:
        i = max(range(1, len(counts)), key=lambda k: counts[k][1])
        counts[i] = (counts[i][0], counts[i][1] - 1)
    while sum(n for _, n in counts) < total:
        i = ctx.rng.randrange(1, len(counts))
        counts[i] = (counts[i][0], counts[i][1] + 1)
    return counts


def _plan_people(ctx: BuildContext, role_ids: dict[str, int]) -> list[PersonPlan]:
    rng = ctx.rng
    taken: set[str] = set(ctx.existing.person_names)
    people = []
    for role, count in _role_counts(ctx):
        for _ in range(count):
            name = _unique_name(ctx, taken)
            team = role.team
            if role.name in ("Developer", "Business Analyst") and ctx.chance(0.2):
                team = "Finance Systems"
            capacity = ctx.weighted([(37.5, 0.8), (30.0, 0.07), (22.5, 0.1), (18.75, 0.03)])
            people.append(PersonPlan(ctx.writer.new_id(Person), name, role, role_ids[role.name], team,
                                     capacity, active=len(people) < 3 or rng.random() > 0.03))
    return people


def _unique_name(ctx: BuildContext, taken: set[str]) -> str:
    for attempt in range(40):
        name = f"{ctx.rng.choice(words.FIRST_NAMES)} {ctx.rng.choice(words.LAST_NAMES)}"
        if attempt >= 20:  # crowded at large scale: a middle initial tells namesakes apart
            first, last = name.split(" ", 1)
            name = f"{first} {chr(65 + ctx.rng.randrange(26))}. {last}"
        if name not in taken:
            taken.add(name)
            return name
    name = f"{name} {len(taken)}"
    taken.add(name)
    return name


def _email(name: str, person_id: int, taken: frozenset[str]) -> str:
    """first.last@domain; a middle initial or a number stays in, so distinct names give distinct emails."""
    local = ".".join(part.strip(".").lower() for part in name.split())
    email = f"{local}@{words.EMAIL_DOMAIN}"
    return f"{local}.{person_id}@{words.EMAIL_DOMAIN}" if email in taken else email


def managers_of(staff: Staff, count: int) -> list[str]:
    """The names of the people who manage projects: the first ``count`` active project managers."""
    return [p.name for p in staff.with_role("Project Manager") if p.active][:count]


# --- calendar --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PlanningMonth:
    """A resource-planning month: the weeks (Monday to Sunday) whose Monday falls in the month.

    Allocation rows follow these periods, so no week is ever covered by two rows of the same
    assignment and a weekly grid reads each row's hours without proration.
    """

    start: dt.date
    end: dt.date


def planning_months(ctx: BuildContext) -> list[PlanningMonth]:
    """``spec.allocation_months`` planning months, starting three months before the current one."""
    first = add_months(ctx.today.replace(day=1), -3)
    months = []
    for k in range(ctx.spec.allocation_months):
        month = add_months(first, k)
        start = monday_of(month + dt.timedelta(days=6))  # the first Monday on or after the 1st
        following = add_months(month, 1)
        end = monday_of(following + dt.timedelta(days=6)) - dt.timedelta(days=1)
        months.append(PlanningMonth(start, end))
    return months


def allocation_window(ctx: BuildContext) -> tuple[dt.date, dt.date]:
    """The first and last day the allocations cover (a Monday and a Sunday)."""
    months = planning_months(ctx)
    return months[0].start, months[-1].end


def build_holidays(ctx: BuildContext) -> None:
    """Bank holidays for every year the allocations and status history touch (skipping known days)."""
    start, end = allocation_window(ctx)
    first_year = min(start.year, ctx.today.year - (ctx.spec.status_periods + 11) // 12)
    rows = []
    for year in range(first_year, end.year + 1):
        for day, name in uk_bank_holidays(year):
            if day not in ctx.existing.holidays:
                rows.append({"id": ctx.writer.new_id(Holiday), "day": day, "name": name})
    ctx.writer.insert(Holiday, rows)


def build_absences(ctx: BuildContext, staff: Staff) -> None:
    """One to four absences a person within the allocation window: leave, training, sickness."""
    start, end = allocation_window(ctx)
    span = (end - start).days
    rows = []
    for person in staff.people:
        for _ in range(ctx.rng.randint(1, 4)):
            reason = ctx.weighted(words.ABSENCE_REASONS)
            length = {"Annual leave": (4, 13), "Training": (0, 2), "Sickness": (0, 4), "Conference": (0, 2),
                      "Parental leave": (60, 180)}[reason]
            first = start + ctx.days(0, span - 14)
            rows.append({"id": ctx.writer.new_id(Absence), "person_id": person.id, "start_date": first,
                         "end_date": first + ctx.days(*length), "reason": reason})
    ctx.writer.insert(Absence, rows)


# --- allocations -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Assignment:
    """A person on a project for planning months ``first``..``last`` (indexes into the window)."""

    project: ProjectPlan
    first: int
    last: int
    # Share of capacity on top of the normal load (a crunch); None when the assignment shares the load.
    crunch_share: float | None = None


def _running_months(plan: ProjectPlan, months: list[PlanningMonth]) -> tuple[int, int] | None:
    """The first and last planning month in which the project runs, or None."""
    if plan.stage not in (Stage.APPROVED, Stage.PLANNING, Stage.EXECUTION, Stage.CLOSING, Stage.CLOSED):
        return None
    start = plan.actual_start or plan.baseline_start
    end = plan.actual_end or plan.forecast_end
    if start is None or end is None:
        return None
    inside = [i for i, m in enumerate(months) if m.start <= end and m.end >= start]
    return (inside[0], inside[-1]) if inside else None


def build_allocations(ctx: BuildContext, staff: Staff, plans: list[ProjectPlan]) -> None:
    """Allocation rows per person, project and planning month, close to ``spec.allocations`` in total.

    Profiles: 80% carry 60-95% of their capacity, 8% sit on the bench (under 35%), 12% carry a
    full load plus a two-to-three-month crunch on another project that takes them well over 100%.
    """
    months = planning_months(ctx)
    running = {p.id: r for p in plans if (r := _running_months(p, months)) is not None}
    projects = [p for p in plans if p.id in running]
    managed: dict[str, list[ProjectPlan]] = {}
    for plan in projects:
        if plan.manager:
            managed.setdefault(plan.manager, []).append(plan)
    active = [p for p in staff.people if p.active]
    per_person = ctx.spec.allocations / max(1, len(active))
    rows = []
    for person in active:
        profile = ctx.weighted([("bench", 0.08), ("overloaded", 0.12), ("normal", 0.80)])
        budget = max(1, round(per_person * ctx.rng.uniform(0.8, 1.2)))
        own = managed.get(person.name, []) if person.role.name == "Project Manager" else []
        assignments = _assignments(ctx, budget, own, projects, running)
        if profile == "overloaded":
            assignments += _crunch(ctx, assignments, projects, running)
        load = {"bench": ctx.rng.uniform(0.05, 0.35), "overloaded": ctx.rng.uniform(0.9, 1.0)}.get(
            profile, ctx.rng.uniform(0.6, 0.95))
        rows.extend(_rows(ctx, person, load, assignments, months))
    ctx.writer.insert(Allocation, rows)


def _assignments(ctx: BuildContext, budget: int, own: list[ProjectPlan], projects: list[ProjectPlan],
                 running: dict[int, tuple[int, int]]) -> list[_Assignment]:
    """Projects and month ranges adding up to about ``budget`` rows; managed projects first."""
    rng = ctx.rng
    taken = {p.id for p in own}
    others = rng.sample(projects, min(len(projects), 3 * budget + 3))
    assignments, rows = [], 0
    for plan in own + [p for p in others if p.id not in taken]:
        if rows >= budget:
            break
        first, last = running[plan.id]
        length = min(last - first + 1, max(1, budget - rows), rng.randint(3, 12))
        start = rng.randint(first, last - length + 1)
        assignments.append(_Assignment(plan, start, start + length - 1))
        rows += length
    return assignments


def _crunch(ctx: BuildContext, assignments: list[_Assignment], projects: list[ProjectPlan],
            running: dict[int, tuple[int, int]]) -> list[_Assignment]:
    """An extra project for two or three busy months, on top of the normal load."""
    busy = sorted({m for a in assignments for m in range(a.first, a.last + 1)})
    taken = {a.project.id for a in assignments}
    for plan in ctx.rng.sample(projects, min(len(projects), 30)):
        if plan.id in taken:
            continue
        first, last = running[plan.id]
        months = [m for m in busy if first <= m <= last]
        if len(months) >= 2:
            start = ctx.rng.choice(months[:-1])
            end = min(last, start + ctx.rng.randint(1, 2))
            return [_Assignment(plan, start, end, crunch_share=ctx.rng.uniform(0.4, 0.6))]
    return []


def _rows(ctx: BuildContext, person: PersonPlan, load: float, assignments: list[_Assignment],
          months: list[PlanningMonth]) -> list[dict]:
    """Hours per assignment and month: the shared load split with some variation, crunches on top."""
    rows = []
    for index, month in enumerate(months):
        active = [a for a in assignments if a.first <= index <= a.last]
        weights = [ctx.rng.uniform(0.7, 1.3) if a.crunch_share is None else 0.0 for a in active]
        total = sum(weights) or 1.0
        for assignment, weight in zip(active, weights, strict=True):
            share = load * weight / total if assignment.crunch_share is None else assignment.crunch_share
            hours = clamp(round(person.capacity * share * 2) / 2, 0.5, 100.0)
            rows.append({"id": ctx.writer.new_id(Allocation), "person_id": person.id,
                         "project_id": assignment.project.id, "start_date": month.start, "end_date": month.end,
                         "hours_per_week": hours, "notes": "Crunch support" if assignment.crunch_share else None})
    return rows


# --- demand ----------------------------------------------------------------------------------------

_DEMAND_ROLES = (("Developer", 0.3), ("Tester", 0.2), ("Business Analyst", 0.15), ("Architect", 0.1),
                 ("Data Analyst", 0.1), ("UX Designer", 0.05), ("Change Manager", 0.1))

_DEMAND_NOTES = ("Needed for the build phase; no one free in the team.", "Backfill for a leaver.",
                 "Specialist skills for data migration.", "Additional capacity to recover the schedule.",
                 "Requested at the last gate review.")


def build_demand(ctx: BuildContext, staff: Staff, plans: list[ProjectPlan]) -> None:
    """Unfilled need by role on about a third of the projects that are mobilising or running."""
    rows = []
    for plan in plans:
        if plan.stage not in (Stage.APPROVED, Stage.PLANNING, Stage.EXECUTION) or not ctx.chance(0.35):
            continue
        for _ in range(ctx.rng.randint(1, 2)):
            role = ctx.weighted(_DEMAND_ROLES)
            spec = next(r for r in words.ROLES if r.name == role)
            start = add_months(ctx.today.replace(day=1), ctx.rng.randint(0, 3))
            skill = ctx.rng.choice(spec.skills) if ctx.chance(0.5) else None
            rows.append({
                "id": ctx.writer.new_id(Demand), "project_id": plan.id, "role_id": staff.role_ids[role],
                "skill_id": staff.skill_ids[skill] if skill else None, "start_date": start,
                "end_date": month_end(add_months(start, ctx.rng.randint(1, 6))),
                "hours_per_week": 7.5 * ctx.rng.randint(1, 10), "notes": ctx.rng.choice(_DEMAND_NOTES),
            })
    ctx.writer.insert(Demand, rows)
