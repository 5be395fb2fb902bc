"""Programmes, projects, milestones and the monthly status history of the demo office.

Each project is first planned as a ``ProjectPlan`` (stage, RAGs, dates, money and the dates it
entered each stage), so that milestones, reports, RAID, gate reviews and allocations all tell
the same story; then rows are written from the plans.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from ..model import Methodology, Milestone, MilestoneStatus, Programme, Project, Rag, Stage, StatusReport
from ..services.defaults import DEFAULT_STANDARDS
from . import vocabulary as words
from .calendar import add_months, past_month_ends
from .context import BuildContext, clamp, pounds

DIMENSIONS = ("schedule_rag", "cost_rag", "scope_rag", "resource_rag")

STAGE_WEIGHTS: tuple[tuple[Stage, float], ...] = (
    (Stage.IDEA, 0.08), (Stage.BUSINESS_CASE, 0.08), (Stage.APPROVED, 0.06), (Stage.PLANNING, 0.10),
    (Stage.EXECUTION, 0.41), (Stage.CLOSING, 0.07), (Stage.CLOSED, 0.14), (Stage.ON_HOLD, 0.03),
    (Stage.CANCELLED, 0.03),
)

_RAG_ORDER = (Rag.GREEN.value, Rag.AMBER.value, Rag.RED.value)


@dataclass(frozen=True, slots=True)
class ProgrammePlan:
    """A programme as the projects see it: id, name, code prefix, home department and sponsor."""

    id: int
    name: str
    prefix: str
    department: str
    sponsor: str


@dataclass(slots=True)
class MilestonePlan:
    """A milestone's dates and status, kept so that RAID dependencies can point at pending ones."""

    id: int
    name: str
    baseline: dt.date | None
    forecast: dt.date | None
    actual: dt.date | None
    status: str


@dataclass(slots=True)
class ProjectPlan:
    """Everything decided about one project before any row is written."""

    id: int
    code: str
    name: str
    programme: ProgrammePlan
    stage: Stage
    methodology: Methodology
    department: str
    sponsor: str
    manager: str | None
    priority: int
    rag: str | None
    dims: dict[str, str | None]
    duration_days: int
    slip_days: int
    budget: Decimal
    actual_cost: Decimal
    forecast_cost: Decimal
    benefits: Decimal | None
    percent_complete: float
    baseline_start: dt.date | None = None
    baseline_end: dt.date | None = None
    forecast_start: dt.date | None = None
    forecast_end: dt.date | None = None
    actual_start: dt.date | None = None
    actual_end: dt.date | None = None
    # Lifecycle stages entered, in order, with the day each was entered.
    transitions: list[tuple[Stage, dt.date]] = field(default_factory=list)
    # Set when the project left the lifecycle (on hold or cancelled), with the day it happened.
    stood_aside: tuple[Stage, dt.date] | None = None
    cancelled_as_proposal: bool = False
    milestones: list[MilestonePlan] = field(default_factory=list)
    description: str = ""

    @property
    def started(self) -> bool:
        return self.actual_start is not None

    @property
    def reporting_until(self) -> dt.date | None:
        """The last day the project sent status reports (None while it still does)."""
        if self.stood_aside is not None:
            return self.stood_aside[1]
        return self.actual_end

    def entered(self, stage: Stage) -> dt.date | None:
        return next((day for s, day in self.transitions if s is stage), None)

    def next_milestone(self, after: dt.date) -> str:
        upcoming = [m for m in self.milestones if (m.forecast or m.baseline or after) > after]
        return (upcoming[0] if upcoming else self.milestones[-1]).name


# --- programmes ------------------------------------------------------------------------------------

def build_programmes(ctx: BuildContext) -> list[ProgrammePlan]:
    """Write the programmes; past the named ones, themes repeat with a numbered name and code."""
    plans, rows = [], []
    taken_names, taken_prefixes = ctx.existing.programme_names, ctx.existing.code_prefixes
    slot = 0
    for index in range(ctx.spec.programmes):
        while True:  # the next theme and round whose name and code prefix are free
            theme = words.PROGRAMMES[slot % len(words.PROGRAMMES)]
            round_ = slot // len(words.PROGRAMMES)
            name = theme.name if round_ == 0 else f"{theme.name} {round_ + 1}"
            prefix = theme.prefix if round_ == 0 else f"{theme.prefix}{round_ + 1}"
            slot += 1
            if name not in taken_names and prefix not in taken_prefixes:
                break
        sponsor = words.SPONSORS[index % len(words.SPONSORS)]
        plan = ProgrammePlan(ctx.writer.new_id(Programme), name, prefix, theme.department, sponsor)
        plans.append(plan)
        rows.append({"id": plan.id, "name": name, "sponsor": sponsor, "description": theme.description})
    ctx.writer.insert(Programme, rows)
    return plans


# --- projects --------------------------------------------------------------------------------------

def stage_mix(ctx: BuildContext, count: int) -> list[Stage]:
    """``count`` stages in the office's proportions, every stage at least once, shuffled."""
    total = sum(w for _, w in STAGE_WEIGHTS)
    quotas = {stage: max(1, math.floor(count * w / total)) for stage, w in STAGE_WEIGHTS}
    by_remainder = sorted(STAGE_WEIGHTS, key=lambda sw: -(count * sw[1] / total) % 1)
    i = 0
    while sum(quotas.values()) < count:
        quotas[by_remainder[i % len(by_remainder)][0]] += 1
        i += 1
    while sum(quotas.values()) > count:  # only when count is smaller than the number of stages' minimums
        largest = max(quotas, key=quotas.get)
        quotas[largest] -= 1
    stages = [stage for stage, n in quotas.items() for _ in range(n)]
    ctx.rng.shuffle(stages)
    return stages


def _overall_rag(ctx: BuildContext, stage: Stage) -> str | None:
    if stage is Stage.IDEA:
        return None
    if stage is Stage.CLOSED:
        return ctx.weighted([("G", 0.75), ("A", 0.25)])
    if stage is Stage.ON_HOLD:
        return ctx.weighted([("A", 0.5), ("R", 0.5)])
    if stage is Stage.CANCELLED:
        return ctx.weighted([("A", 0.4), ("R", 0.6)])
    if stage.is_proposal or stage is Stage.APPROVED:
        return ctx.weighted([("G", 0.7), ("A", 0.3)])
    return ctx.weighted([("G", 0.5), ("A", 0.32), ("R", 0.18)])


def dimension_rags(ctx: BuildContext, overall: str | None) -> dict[str, str | None]:
    """Dimension RAGs consistent with the overall one: at least one dimension as bad, none worse."""
    if overall is None:
        return dict.fromkeys(DIMENSIONS)
    worst = _RAG_ORDER.index(overall)
    dims = {dim: _RAG_ORDER[ctx.rng.randint(0, worst)] if ctx.chance(0.5) else "G" for dim in DIMENSIONS}
    dims[ctx.rng.choice(DIMENSIONS)] = overall
    return dims


def _slip_days(ctx: BuildContext, schedule_rag: str | None) -> int:
    return {"G": ctx.rng.randint(-5, 10), "A": ctx.rng.randint(15, 60), "R": ctx.rng.randint(50, 150)}.get(
        schedule_rag or "G", 0)


def _cost_factor(ctx: BuildContext, cost_rag: str | None) -> float:
    low, high = {"G": (0.92, 1.02), "A": (1.03, 1.12), "R": (1.12, 1.40)}[cost_rag or "G"]
    return ctx.rng.uniform(low, high)


def _methodology(ctx: BuildContext, programme: ProgrammePlan) -> Methodology:
    if programme.prefix.startswith(("DCX", "DAT", "WPT")):
        weights = [(Methodology.AGILE, 0.55), (Methodology.HYBRID, 0.35), (Methodology.WATERFALL, 0.1)]
    elif programme.prefix.startswith("EST"):
        weights = [(Methodology.WATERFALL, 0.8), (Methodology.HYBRID, 0.2)]
    else:
        weights = [(Methodology.WATERFALL, 0.4), (Methodology.HYBRID, 0.4), (Methodology.AGILE, 0.2)]
    return ctx.weighted(weights)


class _Namer:
    """Project names and codes per programme: the theme's names first, then phases and waves."""

    def __init__(self, ctx: BuildContext, programmes: list[ProgrammePlan]):
        self.ctx = ctx
        self.used: dict[str, int] = {}
        self.next_number = {p.prefix: ctx.rng.randint(1, 6) for p in programmes}

    def code(self, programme: ProgrammePlan) -> str:
        while True:
            number = self.next_number[programme.prefix]
            self.next_number[programme.prefix] = number + self.ctx.rng.choice((1, 1, 1, 2, 3))
            code = f"{programme.prefix}-{number:03d}"
            if code not in self.ctx.existing.project_codes:
                return code

    def name(self, programme: ProgrammePlan) -> str:
        theme = next(t for t in words.PROGRAMMES if programme.prefix.startswith(t.prefix))
        base = self.ctx.rng.choice(theme.project_names)
        for suffix in words.PHASE_SUFFIXES:
            candidate = base + suffix
            if candidate not in self.used:
                self.used[candidate] = 1
                return candidate
        self.used[base] += 1
        return f"{base} {self.used[base]}"


def plan_projects(ctx: BuildContext, programmes: list[ProgrammePlan], managers: list[str]) -> list[ProjectPlan]:
    """Decide every project: stage, RAGs, dates, money.

    Cancelled projects alternate between proposals rejected at their gate (the first one, so that
    every kind of gate decision appears) and projects stopped in flight.
    """
    namer = _Namer(ctx, programmes)
    stages = stage_mix(ctx, ctx.spec.projects)
    cancelled_so_far = 0
    plans = []
    for index, stage in enumerate(stages):
        programme = programmes[index % len(programmes)] if index < len(programmes) else ctx.rng.choice(programmes)
        plan = _plan_project(ctx, namer, programme, stage, managers)
        if stage is Stage.CANCELLED:
            plan.cancelled_as_proposal = cancelled_so_far % 2 == 0  # alternately rejected and stopped
            cancelled_so_far += 1
        _plan_dates(ctx, plan)
        _plan_money(ctx, plan)
        plans.append(plan)
    return plans


def _plan_project(ctx: BuildContext, namer: _Namer, programme: ProgrammePlan, stage: Stage,
                  managers: list[str]) -> ProjectPlan:
    rng = ctx.rng
    rag = _overall_rag(ctx, stage)
    dims = dimension_rags(ctx, rag)
    budget = pounds(math.exp(rng.uniform(math.log(50_000), math.log(5_000_000))), 1_000)
    # Bigger projects run longer: 3 months at £50k to about 2 years at £5m, give or take.
    months = clamp(3 + 21 * math.log(float(budget) / 50_000) / math.log(100) + rng.uniform(-3, 3), 3, 30)
    manager = None if stage is Stage.IDEA and ctx.chance(0.5) else rng.choice(managers)
    return ProjectPlan(
        id=ctx.writer.new_id(Project),
        code=namer.code(programme),
        name=namer.name(programme),
        programme=programme,
        stage=stage,
        methodology=_methodology(ctx, programme),
        department=programme.department if ctx.chance(0.75) else rng.choice(words.DEPARTMENTS),
        sponsor=programme.sponsor if ctx.chance(0.6) else rng.choice(words.SPONSORS),
        manager=manager,
        priority=ctx.weighted([(p, w) for p, w in zip(range(1, 10), (3, 6, 9, 10, 10, 8, 5, 3, 2), strict=True)]),
        rag=rag,
        dims=dims,
        duration_days=int(months * 30.4),
        slip_days=_slip_days(ctx, dims["schedule_rag"]),
        budget=budget,
        actual_cost=Decimal("0.00"),
        forecast_cost=budget,
        benefits=None,
        percent_complete=0.0,
    )


def _plan_dates(ctx: BuildContext, plan: ProjectPlan) -> None:
    """Dates and stage history for the plan's stage; every date entered is on or before today."""
    today, days, rng = ctx.today, ctx.days, ctx.rng
    duration = dt.timedelta(days=plan.duration_days)
    slip = dt.timedelta(days=plan.slip_days)
    stage = plan.stage
    if stage.is_proposal or (stage is Stage.CANCELLED and plan.cancelled_as_proposal):
        plan.forecast_start = today + days(45, 270)
        plan.forecast_end = plan.forecast_start + duration
        idea = today - days(30, 300)
        plan.transitions = [(Stage.IDEA, idea)]
        if stage is not Stage.IDEA:
            plan.transitions.append((Stage.BUSINESS_CASE, min(today - days(3, 10), idea + days(21, 120))))
        if stage is Stage.CANCELLED:
            plan.stood_aside = (Stage.CANCELLED, today - days(1, 20))
        return
    if stage is Stage.APPROVED:
        plan.baseline_start = today + days(0, 70)
        plan.baseline_end = plan.baseline_start + duration
        plan.forecast_start, plan.forecast_end = plan.baseline_start, plan.baseline_end
        _lead_in(ctx, plan, approved=today - days(3, 70))
        return
    # Started projects: choose how far along the forecast timeline today is.
    fraction = {
        Stage.PLANNING: rng.uniform(0.02, 0.12), Stage.EXECUTION: rng.uniform(0.15, 0.92),
        Stage.CLOSING: rng.uniform(0.96, 1.05), Stage.CLOSED: rng.uniform(1.05, 2.2),
        Stage.ON_HOLD: rng.uniform(0.25, 0.7), Stage.CANCELLED: rng.uniform(0.15, 0.5),
    }[stage]
    forecast_span = duration + slip
    plan.actual_start = today - dt.timedelta(days=max(7, int(forecast_span.days * fraction)))
    plan.baseline_start = plan.actual_start + days(-14, 10)
    plan.baseline_end = plan.baseline_start + duration
    plan.forecast_start = plan.actual_start
    plan.forecast_end = plan.actual_start + forecast_span
    _lead_in(ctx, plan, approved=plan.actual_start - days(14, 60))
    plan.transitions.append((Stage.PLANNING, plan.actual_start))
    planning_days = max(10, min(int(duration.days * 0.15), (today - plan.actual_start).days - 10))
    execution = plan.actual_start + dt.timedelta(days=planning_days)
    if stage is Stage.PLANNING:
        return
    if execution >= today:
        execution = today - days(1, 5)
    plan.transitions.append((Stage.EXECUTION, execution))
    if stage is Stage.EXECUTION:
        return
    if stage in (Stage.ON_HOLD, Stage.CANCELLED):
        aside = min(today - days(7, 120), today - dt.timedelta(days=1))
        aside = max(aside, execution + dt.timedelta(days=7))
        plan.stood_aside = (stage, min(aside, today))
        if stage is Stage.CANCELLED:
            plan.actual_end = plan.stood_aside[1]
        return
    if stage is Stage.CLOSING:
        closing = max(execution + dt.timedelta(days=7), min(today - days(3, 50), plan.forecast_end))
        plan.transitions.append((Stage.CLOSING, min(closing, today)))
        plan.forecast_end = max(plan.forecast_end, today + days(5, 45))
        return
    # Closed: the end was at the forecast end; closing began a few weeks before.
    plan.actual_end = min(plan.forecast_end, today - dt.timedelta(days=1))
    plan.forecast_end = plan.actual_end
    closing = max(execution + dt.timedelta(days=7), plan.actual_end - days(20, 60))
    plan.transitions.append((Stage.CLOSING, min(closing, plan.actual_end)))
    plan.transitions.append((Stage.CLOSED, plan.actual_end))


def _lead_in(ctx: BuildContext, plan: ProjectPlan, approved: dt.date) -> None:
    """Idea, business case and approval dates leading up to ``approved``."""
    business_case = approved - ctx.days(28, 100)
    idea = business_case - ctx.days(21, 120)
    plan.transitions = [(Stage.IDEA, idea), (Stage.BUSINESS_CASE, business_case), (Stage.APPROVED, approved)]


def _plan_money(ctx: BuildContext, plan: ProjectPlan) -> None:
    """Percent complete from stage and dates; actual and forecast cost from it and the cost RAG."""
    rng = ctx.rng
    stage = plan.stage
    if plan.started:
        span = max(1, (plan.forecast_end - plan.actual_start).days)
        elapsed = (min(ctx.today, plan.reporting_until or ctx.today) - plan.actual_start).days / span
        pace = {"G": rng.uniform(0.95, 1.05), "A": rng.uniform(0.85, 0.97), "R": rng.uniform(0.7, 0.9)}
        progress = elapsed * pace[plan.rag or "G"]
        plan.percent_complete = round({
            Stage.PLANNING: clamp(progress, 0.02, 0.12),
            Stage.EXECUTION: clamp(progress, 0.12, 0.95),
            Stage.CLOSING: rng.uniform(0.93, 0.99),
            Stage.CLOSED: 1.0,
        }.get(stage, clamp(progress, 0.1, 0.6)), 2)
    factor = _cost_factor(ctx, plan.dims["cost_rag"])
    plan.forecast_cost = pounds(float(plan.budget) * factor, 1_000)
    if plan.started:
        spent = float(plan.forecast_cost) * plan.percent_complete * rng.uniform(0.93, 1.05)
        plan.actual_cost = pounds(spent)
        if stage in (Stage.CLOSED, Stage.CANCELLED):
            plan.forecast_cost = plan.actual_cost
    elif not stage.is_proposal:
        plan.actual_cost = pounds(float(plan.budget) * rng.uniform(0.0, 0.02))
    else:
        plan.actual_cost = pounds(float(plan.budget) * rng.uniform(0.0, 0.01))
    regulatory = plan.programme.prefix.startswith("REG")
    if not (regulatory and ctx.chance(0.5)):
        plan.benefits = pounds(float(plan.budget) * rng.uniform(1.1, 3.5), 1_000)
    template = rng.choice(words.PROJECT_DESCRIPTIONS)
    plan.description = template.format(name=plan.name, programme=plan.programme.name,
                                       department=plan.department, methodology=plan.methodology.label,
                                       sponsor=plan.sponsor)


def write_projects(ctx: BuildContext, plans: list[ProjectPlan]) -> None:
    ctx.writer.insert(Project, [
        {
            "id": p.id, "code": p.code, "name": p.name, "programme_id": p.programme.id, "sponsor": p.sponsor,
            "manager": p.manager, "department": p.department, "stage": p.stage.value, "rag": p.rag, **p.dims,
            "priority": p.priority, "methodology": p.methodology.value,
            "baseline_start": p.baseline_start, "baseline_end": p.baseline_end,
            "forecast_start": p.forecast_start, "forecast_end": p.forecast_end,
            "actual_start": p.actual_start, "actual_end": p.actual_end,
            "budget": p.budget, "actual_cost": p.actual_cost, "forecast_cost": p.forecast_cost,
            "percent_complete": p.percent_complete, "benefits": p.benefits, "description": p.description,
        }
        for p in plans
    ])


# --- milestones ------------------------------------------------------------------------------------

_STANDARD_MILESTONES = {spec.methodology: spec.milestones for spec in DEFAULT_STANDARDS}


def build_milestones(ctx: BuildContext, plans: list[ProjectPlan]) -> None:
    """3-8 milestones per project from its methodology's standard, some late, some re-forecast."""
    rows = []
    for plan in plans:
        for name, position in _milestone_names(ctx, plan):
            milestone = _milestone(ctx, plan, name, position)
            plan.milestones.append(milestone)
            rows.append({"id": milestone.id, "project_id": plan.id, "name": name,
                         "baseline_date": milestone.baseline, "forecast_date": milestone.forecast,
                         "actual_date": milestone.actual, "status": milestone.status})
    ctx.writer.insert(Milestone, rows)


def _milestone_names(ctx: BuildContext, plan: ProjectPlan) -> list[tuple[str, float]]:
    standard = list(_STANDARD_MILESTONES[plan.methodology])
    count = ctx.rng.randint(3, 8)
    chosen = [standard[0], standard[-1]]
    middle = standard[1:-1]
    chosen += ctx.rng.sample(middle, min(len(middle), count - 2))
    extras = ctx.rng.sample(words.EXTRA_MILESTONES, max(0, count - len(chosen)))
    chosen += [(name, round(ctx.rng.uniform(0.1, 0.95), 2)) for name in extras]
    return sorted(chosen, key=lambda np: np[1])


def _milestone(ctx: BuildContext, plan: ProjectPlan, name: str, position: float) -> MilestonePlan:
    today = ctx.today
    mid = ctx.writer.new_id(Milestone)
    start = plan.baseline_start or plan.forecast_start
    end = plan.baseline_end or plan.forecast_end
    planned = start + dt.timedelta(days=int((end - start).days * position))
    baseline = planned if plan.baseline_start else None
    if not plan.started:
        return MilestonePlan(mid, name, baseline, planned, None, MilestoneStatus.PLANNED.value)
    drift = dt.timedelta(days=int(plan.slip_days * position) + ctx.rng.randint(-4, 6))
    forecast = planned + drift
    finished = plan.stage is Stage.CLOSED
    if forecast <= today or finished:
        late_odds = {"R": 0.35, "A": 0.15}.get(plan.rag or "G", 0.03)
        if not finished and plan.stage is not Stage.CANCELLED and ctx.chance(late_odds):
            return MilestonePlan(mid, name, baseline, today + ctx.days(10, 60), None, MilestoneStatus.MISSED.value)
        actual = min(forecast, plan.actual_end or today - dt.timedelta(days=1), today - dt.timedelta(days=1))
        return MilestonePlan(mid, name, baseline, forecast, actual, MilestoneStatus.ACHIEVED.value)
    at_risk_odds = {"R": 0.5, "A": 0.25}.get(plan.rag or "G", 0.03)
    status = MilestoneStatus.AT_RISK if ctx.chance(at_risk_odds) else MilestoneStatus.PLANNED
    return MilestonePlan(mid, name, baseline, forecast, None, status.value)


# --- status history --------------------------------------------------------------------------------

def build_status_reports(ctx: BuildContext, plans: list[ProjectPlan]) -> None:
    """Monthly reports for every period a project was running; a few skip the latest period.

    With ``spec.report_every_period`` (the benchmark office) every project files a report for
    every period: pipeline reports before it starts, stand-still reports after it stops.
    """
    periods = past_month_ends(ctx.today, ctx.spec.status_periods)
    latest = periods[-1]
    rows = []
    for plan in plans:
        if ctx.spec.report_every_period:
            reported = list(periods)
        elif plan.started:
            until = plan.reporting_until
            reported = [p for p in periods if p >= plan.actual_start and (until is None or p <= _month_after(until))]
        else:
            continue
        if reported and reported[-1] == latest and plan.stage.is_active \
                and ctx.chance(ctx.spec.missing_report_share):
            reported.pop()  # this manager has not sent the latest report yet
        if not reported:
            continue
        rags = _rag_history(ctx, plan.rag, len(reported))
        for period, rag in zip(reported, rags, strict=True):
            if not plan.started or period < plan.actual_start:
                rows.append(_pipeline_row(ctx, plan, period, rag))
            elif plan.reporting_until is not None and period > _month_after(plan.reporting_until):
                rows.append(_stopped_row(ctx, plan, period))
            else:
                rows.append(_status_row(ctx, plan, period, rag or "G", is_current=period == reported[-1]))
    ctx.writer.insert(StatusReport, rows)


def _month_after(day: dt.date) -> dt.date:
    return add_months(day, 1)


def _rag_history(ctx: BuildContext, current: str | None, count: int) -> list[str | None]:
    """RAGs oldest first ending at ``current``: mostly steady, moving one step at a time."""
    if current is None:
        return [None] * count
    history = [current]
    for _ in range(count - 1):
        level = _RAG_ORDER.index(history[-1])
        if ctx.chance(0.3):
            level = clamp(level + ctx.rng.choice((-1, 1)), 0, 2)
        history.append(_RAG_ORDER[int(level)])
    return history[::-1]


def _report(ctx: BuildContext, plan: ProjectPlan, period: dt.date, **values) -> dict:
    """A status row with the fields every report has; ``values`` gives the figures and texts."""
    submitted = min(period + ctx.days(1, 6), ctx.today)
    return {
        "id": ctx.writer.new_id(StatusReport), "project_id": plan.id, "period_end": period, **values,
        "submitted_by": plan.manager or plan.sponsor,
        "submitted_at": dt.datetime.combine(submitted, dt.time(ctx.rng.randint(8, 17), ctx.rng.choice((0, 15, 30, 45))),
                                            tzinfo=dt.UTC),
    }


def _pipeline_row(ctx: BuildContext, plan: ProjectPlan, period: dt.date, rag: str | None) -> dict:
    """A report from before the project started: the business case and mobilisation."""
    return _report(
        ctx, plan, period, rag=rag, **dimension_rags(ctx, rag), percent_complete=0.0,
        actual_cost=Decimal("0.00"), forecast_cost=plan.budget, forecast_end=plan.forecast_end,
        summary=ctx.rng.choice(words.PIPELINE_SUMMARY), achievements=ctx.rng.choice(words.PIPELINE_ACHIEVEMENTS),
        next_steps=ctx.rng.choice(words.PIPELINE_NEXT_STEPS), issues=None,
    )


def _stopped_row(ctx: BuildContext, plan: ProjectPlan, period: dt.date) -> dict:
    """A report after the project closed, was cancelled or paused: figures stand still."""
    return _report(
        ctx, plan, period, rag=plan.rag, **plan.dims, percent_complete=plan.percent_complete,
        actual_cost=plan.actual_cost, forecast_cost=plan.forecast_cost, forecast_end=plan.forecast_end,
        summary=words.STOPPED_SUMMARY[plan.stage.value], achievements=None, next_steps=None, issues=None,
    )


def _status_row(ctx: BuildContext, plan: ProjectPlan, period: dt.date, rag: str, *, is_current: bool) -> dict:
    """A delivery report: progress, spend and forecasts moving towards today's figures."""
    rng = ctx.rng
    reference = min(ctx.today, plan.reporting_until or ctx.today)
    progress = clamp((period - plan.actual_start).days / max(1, (reference - plan.actual_start).days), 0, 1)
    if is_current:
        progress = 1.0
    dims = plan.dims if is_current and rag == plan.rag else dimension_rags(ctx, rag)
    baseline_end = plan.baseline_end or plan.forecast_end
    forecast_end = baseline_end + dt.timedelta(days=int((plan.forecast_end - baseline_end).days
                                                         * min(1.0, progress * 1.2)))
    drift = Decimal(str(round(min(1.0, progress * 1.3), 3)))
    forecast_cost = plan.budget + (plan.forecast_cost - plan.budget) * drift
    milestone = plan.next_milestone(period)
    n = rng.randint(2, 14)
    return _report(
        ctx, plan, period, rag=rag, **dims,
        percent_complete=round(plan.percent_complete * progress ** 1.1, 2),
        actual_cost=pounds(float(plan.actual_cost) * progress),
        forecast_cost=pounds(float(forecast_cost)),
        forecast_end=forecast_end,
        summary=rng.choice(words.STATUS_SUMMARY[rag]).format(milestone=milestone),
        achievements=" ".join(s.format(milestone=milestone, n=n) for s in rng.sample(words.ACHIEVEMENTS, 2)),
        next_steps=" ".join(s.format(milestone=milestone, n=n + 1) for s in rng.sample(words.NEXT_STEPS, 2)),
        issues=rng.choice(words.ISSUE_LINES) if rag != "G" else None,
    )
