"""The PMO scorecard: is the office delivering value? (no Qt)

Two kinds of figure. Over every closed project, the success rate: delivered on time (actual end,
else forecast end, on or before the baseline end), on budget (actual cost, else forecast cost,
within the office's over-budget tolerance of the budget) and with its benefits recorded. Per
recent reporting period, the trends: average schedule slip and cost variance of the status
reports received, the reporting compliance rate, the team's utilisation, and the gate decisions
taken.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..model.enums import Decision, Stage
from ..model.governance import GateReview, StageChange
from ..model.portfolio import Project, StatusReport
from . import governance as gov
from .resources import person_rows, ratio, week_start

DECISION_ORDER: tuple[str, ...] = tuple(d.value for d in Decision)
"""Decisions in the order a scorecard lists them: approved first, rejected last."""


@dataclass(frozen=True, slots=True)
class ProjectOutcome:
    """How one closed project ended against its baseline, budget and benefits.

    ``on_time`` and ``on_budget`` are None when the dates or amounts needed to judge are missing.
    """

    project_id: int
    code: str
    name: str
    manager: str | None
    closed_on: dt.date | None
    baseline_end: dt.date | None
    end: dt.date | None
    budget: Decimal | None
    cost: Decimal | None
    on_time: bool | None
    on_budget: bool | None
    benefits_recorded: bool

    @property
    def successful(self) -> bool:
        """On time, on budget and with benefits recorded (unknown counts as not shown)."""
        return bool(self.on_time and self.on_budget and self.benefits_recorded)

    @property
    def slip_days(self) -> int | None:
        """Days the project finished after its baseline end (negative: early)."""
        return (self.end - self.baseline_end).days if self.end and self.baseline_end else None


@dataclass(frozen=True, slots=True)
class SuccessRate:
    """Counts over the closed projects; each ``*_rate`` is a share (0-1) or None with nothing to judge."""

    closed: int
    on_time: int
    on_time_known: int
    on_budget: int
    on_budget_known: int
    benefits: int
    successful: int

    @property
    def success_rate(self) -> float | None:
        return self.successful / self.closed if self.closed else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.on_time_known if self.on_time_known else None

    @property
    def on_budget_rate(self) -> float | None:
        return self.on_budget / self.on_budget_known if self.on_budget_known else None

    @property
    def benefits_rate(self) -> float | None:
        return self.benefits / self.closed if self.closed else None


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """One reporting period's trend figures.

    ``avg_slip_days`` is the mean of forecast end minus baseline end over the period's reports;
    ``avg_cost_variance`` the mean of (forecast cost - budget) / budget (0.1 = 10% over);
    ``utilisation`` allocated / available hours of everyone over the period's weeks.
    """

    period_end: dt.date
    label: str
    reports: int
    avg_slip_days: float | None
    avg_cost_variance: float | None
    reporting: gov.ReportingRate
    utilisation: float | None
    decisions: dict[str, int] = field(default_factory=dict)

    @property
    def decision_count(self) -> int:
        return sum(self.decisions.values())


@dataclass(frozen=True, slots=True)
class Scorecard:
    """The success of closed projects and the trends of the recent periods (oldest first)."""

    today: dt.date
    tolerance_pct: float
    success: SuccessRate
    outcomes: tuple[ProjectOutcome, ...]
    periods: tuple[PeriodFigures, ...]


# -- closed projects ----------------------------------------------------------------------------
def budget_tolerance(settings: gov.ComplianceSettings) -> float:
    """The office's over-budget tolerance in percent (the forecast-over-budget rule's threshold)."""
    rule = gov.effective_rules(settings)[gov.FORECAST_OVER_BUDGET]
    return float(rule.get("tolerance_pct", 0) or 0)


def judge(baseline_end: dt.date | None, end: dt.date | None, budget: Decimal | None, cost: Decimal | None,
          tolerance_pct: float) -> tuple[bool | None, bool | None]:
    """(on time, on budget) for an end date and a cost; None where a value needed is missing."""
    on_time = end <= baseline_end if end and baseline_end else None
    on_budget = None
    if budget is not None and cost is not None:
        limit = Decimal(budget) * (1 + Decimal(str(tolerance_pct)) / 100)
        on_budget = Decimal(cost) <= limit
    return on_time, on_budget


def project_outcomes(session: Session, tolerance_pct: float) -> list[ProjectOutcome]:
    """Every closed project, judged on time, on budget and benefits, by code."""
    closed_on = (
        select(func.max(StageChange.changed_on))
        .where(StageChange.project_id == Project.id, StageChange.to_stage == Stage.CLOSED.value)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Project.id, Project.code, Project.name, Project.manager, Project.baseline_end, Project.actual_end,
               Project.forecast_end, Project.budget, Project.actual_cost, Project.forecast_cost, Project.benefits,
               closed_on.label("closed_on"))
        .where(Project.stage == Stage.CLOSED.value)
        .order_by(Project.code)
    ).all()
    outcomes = []
    for row in rows:
        end = row.actual_end or row.forecast_end
        cost = row.actual_cost if row.actual_cost is not None else row.forecast_cost
        on_time, on_budget = judge(row.baseline_end, end, row.budget, cost, tolerance_pct)
        outcomes.append(ProjectOutcome(
            row.id, row.code, row.name, row.manager, row.closed_on or row.actual_end, row.baseline_end, end,
            row.budget, cost, on_time, on_budget, row.benefits is not None and row.benefits > 0))
    return outcomes


def success_rate(outcomes: Sequence[ProjectOutcome]) -> SuccessRate:
    """The counts behind the success rate of ``outcomes``."""
    return SuccessRate(
        closed=len(outcomes),
        on_time=sum(1 for o in outcomes if o.on_time),
        on_time_known=sum(1 for o in outcomes if o.on_time is not None),
        on_budget=sum(1 for o in outcomes if o.on_budget),
        on_budget_known=sum(1 for o in outcomes if o.on_budget is not None),
        benefits=sum(1 for o in outcomes if o.benefits_recorded),
        successful=sum(1 for o in outcomes if o.successful),
    )


# -- trends per period ----------------------------------------------------------------------------
def _period_of(day: dt.date, windows: Sequence[tuple[dt.date, dt.date]]) -> int | None:
    """The index of the window (exclusive start, inclusive end) holding ``day``."""
    for index, (start, end) in enumerate(windows):
        if start < day <= end:
            return index
    return None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _report_variances(session: Session, windows: Sequence[tuple[dt.date, dt.date]]):
    """Per period: the schedule slips (days) and cost variances (fractions) of the reports received."""
    slips: list[list[float]] = [[] for _ in windows]
    variances: list[list[float]] = [[] for _ in windows]
    counts = [0] * len(windows)
    rows = session.execute(
        select(StatusReport.period_end, StatusReport.forecast_end, StatusReport.forecast_cost,
               Project.baseline_end, Project.budget)
        .join(Project, Project.id == StatusReport.project_id)
        .where(StatusReport.period_end > windows[0][0], StatusReport.period_end <= windows[-1][1])
    )
    for row in rows:
        index = _period_of(row.period_end, windows)
        if index is None:
            continue
        counts[index] += 1
        if row.forecast_end and row.baseline_end:
            slips[index].append((row.forecast_end - row.baseline_end).days)
        if row.forecast_cost is not None and row.budget:
            variances[index].append(float(row.forecast_cost - row.budget) / float(row.budget))
    return counts, slips, variances


def _utilisation(session: Session, windows: Sequence[tuple[dt.date, dt.date]]) -> list[float | None]:
    """Per period: allocated / available hours of everyone, over the weeks starting in the period.

    A period with no hours allocated at all gives None: the office kept no resource plan then,
    which says nothing about how busy people were.
    """
    first = week_start(windows[0][0] + dt.timedelta(days=1))
    weeks = (windows[-1][1] - first).days // 7 + 1
    mondays, rows, _holidays = person_rows(session, first, weeks)
    allocated = [0.0] * len(windows)
    available = [0.0] * len(windows)
    for week, monday in enumerate(mondays):
        index = _period_of(monday, windows)
        if index is None:
            continue
        allocated[index] += sum(row.allocated[week] for row in rows)
        available[index] += sum(row.available[week] for row in rows)
    return [ratio(a, v) if a else None for a, v in zip(allocated, available, strict=True)]


def _decisions(session: Session, windows: Sequence[tuple[dt.date, dt.date]]) -> list[Counter]:
    found = [Counter() for _ in windows]
    rows = session.execute(
        select(GateReview.review_date, GateReview.decision)
        .where(GateReview.review_date > windows[0][0], GateReview.review_date <= windows[-1][1])
    )
    for row in rows:
        index = _period_of(row.review_date, windows)
        if index is not None:
            found[index][row.decision] += 1
    return found


def period_figures(session: Session, today: dt.date, settings: gov.ComplianceSettings,
                   periods: int = gov.REPORTING_PERIODS) -> list[PeriodFigures]:
    """The trend figures of the last ``periods`` completed reporting periods, oldest first."""
    cadence = gov.reporting_cadence(settings)
    ends = gov.period_ends(today, cadence, periods)
    windows = [gov.period_window(end, cadence) for end in ends]
    counts, slips, variances = _report_variances(session, windows)
    utilisation = _utilisation(session, windows)
    decisions = _decisions(session, windows)
    rates = gov.reporting_rates(session, today, settings, periods)
    return [
        PeriodFigures(
            end, rates[i].label, counts[i], _mean(slips[i]), _mean(variances[i]), rates[i], utilisation[i],
            {d: decisions[i][d] for d in DECISION_ORDER if decisions[i][d]},
        )
        for i, end in enumerate(ends)
    ]


def scorecard(session: Session, today: dt.date, settings: gov.ComplianceSettings,
              periods: int = gov.REPORTING_PERIODS) -> Scorecard:
    """The whole scorecard on ``today``: closed-project success and the recent periods' trends."""
    tolerance = budget_tolerance(settings)
    outcomes = project_outcomes(session, tolerance)
    return Scorecard(today, tolerance, success_rate(outcomes), tuple(outcomes),
                     tuple(period_figures(session, today, settings, periods)))
