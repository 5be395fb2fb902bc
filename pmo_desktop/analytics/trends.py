"""The portfolio and each project over the reporting periods, read from the status-report history.

Each status report is the snapshot of its period. For a period ending ``P``:

- the RAG counts are the overall RAGs of the reports with ``period_end == P`` (a project that did
  not report that period is not counted: it shows up as a lower ``reports`` figure instead);
- a report's EV is the project's budget (BAC) x the report's percent complete, its AC the report's
  actual cost, and its PV the BAC x the planned fraction of the baseline at ``P`` (the same plan as
  ``analytics.portfolio.planned_fraction``, bent by milestone baselines);
- the portfolio SPI is sum EV / sum PV over the reports that have both, and the CPI sum EV / sum AC
  over the reports that have both: money is added first and divided afterwards, so a large
  project weighs more than a small one and a project missing one figure never skews the other ratio.

Two queries in all (the reports joined to their projects, and the milestones); the figures are
computed in Python in one pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import Project, StatusReport
from .portfolio import MilestoneFacts, planned_fraction, read_milestones

RAGS: tuple[str, ...] = ("R", "A", "G")
"""The RAG values counted per period (a report without one counts as not reported)."""


@dataclass(frozen=True, slots=True)
class ProjectPeriod:
    """One project's report for one period, with its earned-value figures (None when not computable)."""

    project_id: int
    period_end: dt.date
    rag: str | None
    percent_complete: float | None
    pv: float | None
    ev: float | None
    ac: float | None

    @property
    def spi(self) -> float | None:
        return self.ev / self.pv if self.ev is not None and self.pv else None

    @property
    def cpi(self) -> float | None:
        return self.ev / self.ac if self.ev is not None and self.ac else None


@dataclass(frozen=True, slots=True)
class PeriodSummary:
    """The portfolio in one period: RAG counts of the reports, and the weighted SPI and CPI."""

    period_end: dt.date
    reports: int
    rag_counts: Mapping[str, int]
    pv: float
    ev: float
    ac: float
    spi: float | None
    cpi: float | None

    @property
    def no_rag(self) -> int:
        """Reports of this period without an overall RAG."""
        return self.reports - sum(self.rag_counts.values())


@dataclass(frozen=True, slots=True)
class ProjectTrend:
    """One project's reports over time, oldest first."""

    project_id: int
    code: str
    name: str
    periods: tuple[ProjectPeriod, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a report's PV and EV need from its project."""

    code: str
    name: str
    budget: float | None
    baseline_start: dt.date | None
    baseline_end: dt.date | None


def project_period(project_id: int, period_end: dt.date, rag: str | None, percent_complete: float | None,
                   actual_cost: float | None, budget: float | None, fraction: float | None) -> ProjectPeriod:
    """A report's figures from its percent complete, actual cost, the BAC and the planned fraction."""
    pv = budget * fraction if budget is not None and fraction is not None else None
    ev = budget * percent_complete if budget is not None and percent_complete is not None else None
    return ProjectPeriod(project_id, period_end, rag, percent_complete, pv, ev, actual_cost)


def summarise_periods(reports: Iterable[ProjectPeriod]) -> tuple[PeriodSummary, ...]:
    """The reports grouped by period end, oldest first: counts, summed money and the weighted indices."""
    by_period: dict[dt.date, list[ProjectPeriod]] = {}
    for report in reports:
        by_period.setdefault(report.period_end, []).append(report)
    return tuple(_summary(period, by_period[period]) for period in sorted(by_period))


def _summary(period_end: dt.date, reports: Sequence[ProjectPeriod]) -> PeriodSummary:
    counts = dict.fromkeys(RAGS, 0)
    spi_ev = spi_pv = cpi_ev = cpi_ac = 0.0
    pv = ev = ac = 0.0
    for r in reports:
        if r.rag in counts:
            counts[r.rag] += 1
        pv += r.pv or 0.0
        ev += r.ev or 0.0
        ac += r.ac or 0.0
        if r.ev is not None and r.pv is not None:
            spi_ev += r.ev
            spi_pv += r.pv
        if r.ev is not None and r.ac is not None:
            cpi_ev += r.ev
            cpi_ac += r.ac
    return PeriodSummary(
        period_end=period_end, reports=len(reports), rag_counts=counts, pv=pv, ev=ev, ac=ac,
        spi=spi_ev / spi_pv if spi_pv else None, cpi=cpi_ev / cpi_ac if cpi_ac else None,
    )


def _money(value) -> float | None:
    return None if value is None else float(value)


def _read_history(session: Session, until: dt.date | None,
                  project_ids: list[int] | None) -> tuple[list[ProjectPeriod], dict[int, _Plan]]:
    """Every report up to ``until`` with its figures (one query for the reports, one for milestones)."""
    sr, p = StatusReport.__table__, Project.__table__
    query = (
        select(sr.c.project_id, sr.c.period_end, sr.c.rag, sr.c.percent_complete, sr.c.actual_cost,
               p.c.code, p.c.name, p.c.budget, p.c.baseline_start, p.c.baseline_end)
        .join(p, p.c.id == sr.c.project_id)
        .order_by(sr.c.period_end, p.c.code)
    )
    if until is not None:
        query = query.where(sr.c.period_end <= until)
    if project_ids is not None:
        query = query.where(sr.c.project_id.in_(project_ids))
    rows = session.execute(query).all()
    milestones = read_milestones(session, project_ids)
    empty: list[MilestoneFacts] = []
    plans: dict[int, _Plan] = {}
    periods = []
    for project_id, period_end, rag, pct, actual, code, name, budget, start, end in rows:
        plan = plans.get(project_id)
        if plan is None:
            plan = plans[project_id] = _Plan(code, name, _money(budget), start, end)
        dates = (m.baseline_date for m in milestones.get(project_id, empty))
        fraction = planned_fraction(plan.baseline_start, plan.baseline_end, dates, period_end)
        periods.append(project_period(project_id, period_end, rag, None if pct is None else float(pct),
                                      _money(actual), plan.budget, fraction))
    return periods, plans


def portfolio_trend(session: Session, *, until: dt.date | None = None, project_ids: Iterable[int] | None = None,
                    last: int | None = None) -> tuple[PeriodSummary, ...]:
    """Per reporting period up to ``until`` (oldest first, at most the ``last`` ones): RAG counts, SPI, CPI.

    ``project_ids`` keeps only those projects (the Portfolio tab passes the rows its filters show).
    """
    ids = None if project_ids is None else list(project_ids)
    reports, _plans = _read_history(session, until, ids)
    summaries = summarise_periods(reports)
    return summaries[-last:] if last else summaries


def project_trend(session: Session, project_id: int, *, until: dt.date | None = None,
                  last: int | None = None) -> ProjectTrend | None:
    """One project's reports up to ``until`` (oldest first, at most the ``last`` ones); None: no such project."""
    reports, plans = _read_history(session, until, [project_id])
    plan = plans.get(project_id)
    if plan is None:
        found = session.execute(select(Project.code, Project.name).where(Project.id == project_id)).first()
        return None if found is None else ProjectTrend(project_id, found.code, found.name, ())
    periods = tuple(reports[-last:] if last else reports)
    return ProjectTrend(project_id, plan.code, plan.name, periods)
