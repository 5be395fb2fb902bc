"""Everything the executive pack shows, gathered from the analytics in one read-only session.

``gather_pack`` asks the analytics for the figures (KPIs and roll-ups, utilisation, the risk
matrix, compliance exceptions, gate decisions) and reads the few lists they do not provide
(milestones in a window, open RAID items, import batches); what changed between the two
latest periods comes from ``analytics.changes.what_changed``, which the Portfolio tab also uses with
set-based queries. The result is plain data: ``exec_pack`` only lays it out.

A scope ("programme", name) or ("department", name) keeps the projects of that programme or
department, and everything attached to them; portfolio-level RAID items and compliance
exceptions belong to the whole portfolio only. People are office-wide whatever the scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..analytics.changes import Changes, what_changed
from ..analytics.governance import ComplianceException, compliance_exceptions
from ..analytics.portfolio import ProjectKpis, Rollup, Thresholds, portfolio_kpis, portfolio_total, rollup
from ..analytics.resources import RoleDemand, UtilisationRow, utilisation, week_start
from ..analytics.risks import Matrix, RiskThresholds, office_thresholds
from ..model import (
    GateCondition,
    ImportBatch,
    Milestone,
    Programme,
    Project,
    RaidItem,
    RaidStatus,
    Stage,
    StatusReport,
)
from ..model.database import load_settings
from ..services.governance import ReviewRow, decision_label, review_rows
from ..services.portfolio import PROJECT_ROW_FIELDS, project_rows

ScopeKind = Literal["programme", "department"]
Scope = tuple[ScopeKind, str] | None

MILESTONE_WINDOW_DAYS = 90
HEATMAP_WEEKS = 12
DECISION_WINDOW_DAYS = 90
TOP_RISKS = 10
OVER_ALLOCATED_MIN_WEEKS = 4
"""A person counts on the "over-allocated people" tile when over-allocated in at least this many
weeks of the window: a single week over is usually a leave clash, not a staffing problem."""

_LIVE_STAGES = tuple(s.value for s in Stage if s not in (Stage.CLOSED, Stage.CANCELLED))


class ScopeError(ValueError):
    """The scope names a programme or department that has no projects in this database."""


@dataclass(frozen=True, slots=True)
class ProjectLine:
    """One Portfolio row: the project's register fields beside its KPIs as of the pack's date."""

    kpis: ProjectKpis
    manager: str | None
    baseline_start: dt.date | None
    baseline_end: dt.date | None
    last_report: dt.date | None

    @property
    def forecast_end(self) -> dt.date | None:
        """Baseline end plus the slip as of the pack's date."""
        if self.baseline_end is None or self.kpis.slip_days is None:
            return None
        return self.baseline_end + dt.timedelta(days=self.kpis.slip_days)

    @property
    def variance(self) -> float | None:
        """Forecast at completion (EAC) minus budget: positive is over budget."""
        k = self.kpis
        return None if k.eac is None or k.bac is None else k.eac - k.bac


@dataclass(frozen=True, slots=True)
class MilestoneLine:
    """A milestone due in the window ahead, or overdue (not achieved and its date passed)."""

    project_code: str
    project_name: str
    programme: str | None
    name: str
    baseline: dt.date | None
    forecast: dt.date | None
    due: dt.date
    days: int  # negative: days overdue; positive: days until due
    overdue: bool


@dataclass(frozen=True, slots=True)
class RaidLine:
    """One open RAID item in the register."""

    ref: str
    project_code: str
    project_name: str
    kind: str
    title: str
    category: str | None
    owner: str | None
    likelihood: int | None
    impact: int | None
    status: str
    due: dt.date | None
    escalation: str | None

    @property
    def score(self) -> int | None:
        if self.likelihood is None or self.impact is None:
            return None
        return self.likelihood * self.impact


@dataclass(frozen=True, slots=True)
class Decision:
    """A recent gate decision, with the conditions attached to it."""

    review: ReviewRow
    decision: str
    conditions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BatchLine:
    """One applied (or undone) import, for the Notes sheet."""

    file_name: str
    kind: str | None
    imported_at: dt.datetime | None
    imported_by: str | None
    inserted: int
    updated: int
    rejected: int
    status: str


@dataclass(frozen=True, slots=True)
class PackData:
    """What the pack shows, for one scope and as-of date."""

    office_name: str
    currency: str
    currency_symbol: str
    fiscal_year_start_month: int
    as_of: dt.date
    scope: Scope
    projects: tuple[ProjectLine, ...]
    total: Rollup
    by_programme: dict[str | None, Rollup]
    by_department: dict[str | None, Rollup]
    reported_rag_counts: dict[str, int]
    milestones: tuple[MilestoneLine, ...]
    people: tuple[UtilisationRow, ...]
    weeks: tuple[dt.date, ...]
    raid: tuple[RaidLine, ...]
    matrix: Matrix
    risk_thresholds: RiskThresholds
    open_high_risks: int
    exceptions: tuple[ComplianceException, ...]
    live_projects: int
    compliant_projects: int
    decisions: tuple[Decision, ...]
    changes: Changes
    batches: tuple[BatchLine, ...]
    latest_period: dt.date | None
    demand: tuple[RoleDemand, ...] = ()  # unfilled demand per role against its people's free hours, worst first

    @property
    def scope_text(self) -> str:
        """"Whole portfolio", "Programme: Data Platform", "Department: Finance"."""
        return scope_text(self.scope)

    @property
    def top_risks(self) -> tuple[RaidLine, ...]:
        """The highest-scoring open risks (the register is already sorted by score)."""
        return tuple([r for r in self.raid if r.kind == "risk" and r.score is not None][:TOP_RISKS])

    @property
    def persistently_over(self) -> tuple[UtilisationRow, ...]:
        """People over-allocated in at least ``OVER_ALLOCATED_MIN_WEEKS`` weeks of the window."""
        return tuple(r for r in self.people if r.over_weeks >= OVER_ALLOCATED_MIN_WEEKS)

    @property
    def over_allocated_people(self) -> int:
        """The "over-allocated people" tile: how many are over in enough weeks to be a staffing problem."""
        return len(self.persistently_over)

    @property
    def compliance_rate(self) -> float | None:
        """Share of live projects (not closed or cancelled) without a compliance exception."""
        return self.compliant_projects / self.live_projects if self.live_projects else None


def scope_text(scope: Scope) -> str:
    """The scope in words, as the pack's headers print it."""
    if scope is None:
        return "Whole portfolio"
    return f"{scope[0].capitalize()}: {scope[1]}"


def parse_scope(text: str | None) -> Scope:
    """"programme:NAME" or "department:NAME" (as typed on a command line) as a scope; None for empty."""
    if not text:
        return None
    kind, sep, name = text.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in ("programme", "department") or not name.strip():
        raise ScopeError(f"The scope {text!r} is not programme:NAME or department:NAME.")
    return (kind, name.strip())  # type: ignore[return-value]


def scope_names(session: Session) -> dict[str, list[str]]:
    """Programme names and departments that have projects, for scope pickers."""
    programmes = session.scalars(select(Programme.name).order_by(Programme.name)).all()
    departments = session.scalars(
        select(Project.department).where(Project.department.is_not(None)).distinct().order_by(Project.department)
    ).all()
    return {"programme": list(programmes), "department": list(departments)}


def report_periods(session: Session, limit: int = 12) -> list[dt.date]:
    """The latest status-report period ends, newest first (as-of choices)."""
    return list(session.scalars(
        select(StatusReport.period_end).distinct().order_by(StatusReport.period_end.desc()).limit(limit)
    ))


def _resolve_scope(session: Session, scope: Scope) -> tuple[list[int] | None, Scope]:
    """The project ids of ``scope`` (None: every project) and the scope with the name as stored.

    Names match whatever their case ("data platform" finds "Data Platform").
    """
    if scope is None:
        return None, None
    kind, name = scope
    if kind == "programme":
        query = select(Project.id, Programme.name).join(Programme, Programme.id == Project.programme_id).where(
            func.lower(Programme.name) == name.strip().lower())
    elif kind == "department":
        query = select(Project.id, Project.department).where(
            func.lower(Project.department) == name.strip().lower())
    else:
        raise ScopeError(f"A scope is a programme or a department, not {kind!r}.")
    found = session.execute(query).all()
    ids = [row[0] for row in found]
    if not ids:
        known = scope_names(session).get(kind, [])
        hint = f" Known {kind}s: {', '.join(known[:12])}{'…' if len(known) > 12 else ''}." if known else ""
        raise ScopeError(f"There is no {kind} named {name!r} with projects in this database.{hint}")
    return ids, (kind, found[0][1])


def _project_lines(session: Session, kpis: Sequence[ProjectKpis]) -> tuple[ProjectLine, ...]:
    at = {name: i for i, name in enumerate(PROJECT_ROW_FIELDS)}
    rows = {row[at["id"]]: row for row in project_rows(session)}
    lines = []
    for k in kpis:
        row = rows.get(k.project_id)
        if row is not None:
            lines.append(ProjectLine(k, row[at["manager"]], row[at["baseline_start"]], row[at["baseline_end"]],
                                     row[at["last_report"]]))
    return tuple(lines)


def _milestones(session: Session, as_of: dt.date, ids: list[int] | None) -> tuple[MilestoneLine, ...]:
    due = func.coalesce(Milestone.forecast_date, Milestone.baseline_date)
    horizon = as_of + dt.timedelta(days=MILESTONE_WINDOW_DAYS)
    query = (
        select(Project.code, Project.name, Programme.name, Milestone.name, Milestone.baseline_date,
               Milestone.forecast_date, due)
        .join(Project, Project.id == Milestone.project_id)
        .outerjoin(Programme, Programme.id == Project.programme_id)
        .where(Milestone.actual_date.is_(None), due.is_not(None), due <= horizon,
               Project.stage.in_(_LIVE_STAGES))
        .order_by(due, Project.code, Milestone.name)
    )
    if ids is not None:
        query = query.where(Project.id.in_(ids))
    lines = []
    for code, name, programme, milestone, baseline, forecast, when in session.execute(query):
        days = (when - as_of).days
        lines.append(MilestoneLine(code, name, programme, milestone, baseline, forecast, when, days, when < as_of))
    return tuple(lines)


def _raid(session: Session, ids: list[int] | None) -> tuple[RaidLine, ...]:
    query = (
        select(RaidItem.ref, Project.code, Project.name, RaidItem.kind, RaidItem.title, RaidItem.category,
               RaidItem.owner, RaidItem.likelihood, RaidItem.impact, RaidItem.status, RaidItem.due,
               RaidItem.escalation)
        .outerjoin(Project, Project.id == RaidItem.project_id)
        .where(RaidItem.status != RaidStatus.CLOSED.value)
    )
    if ids is not None:
        query = query.where(RaidItem.project_id.in_(ids))
    lines = [RaidLine(ref, code or "Portfolio", name or "Portfolio-level", *rest)
             for ref, code, name, *rest in session.execute(query)]
    # Highest score first; unscored last; then the earliest due date, then the reference.
    lines.sort(key=lambda r: (-(r.score or 0), r.due or dt.date.max, r.project_code, r.ref))
    return tuple(lines)


def _changes(session: Session, as_of: dt.date, ids: list[int] | None, settings=None) -> Changes:
    """What changed between the two latest reporting periods on or before ``as_of`` (``what_changed``)."""
    periods = list(session.scalars(
        select(StatusReport.period_end).where(StatusReport.period_end <= as_of).distinct()
        .order_by(StatusReport.period_end.desc()).limit(2)
    ))
    if len(periods) < 2:
        return Changes(None, None)
    latest, previous = periods
    return what_changed(session, previous, latest, settings, ids)


def _decisions(session: Session, as_of: dt.date, ids: list[int] | None) -> tuple[Decision, ...]:
    since = as_of - dt.timedelta(days=DECISION_WINDOW_DAYS)
    wanted = None if ids is None else set(ids)
    reviews = [r for r in review_rows(session, as_of) if since <= r.review_date <= as_of
               and (wanted is None or r.project_id in wanted)]
    conditions: dict[int, list[str]] = {}
    if reviews:
        query = (
            select(GateCondition.review_id, GateCondition.text, GateCondition.owner, GateCondition.due,
                   GateCondition.met_on)
            .where(GateCondition.review_id.in_([r.id for r in reviews]))
            .order_by(GateCondition.review_id, GateCondition.due, GateCondition.id)
        )
        for review_id, text, owner, due, met_on in session.execute(query):
            details = [f"owner {owner}"] if owner else []
            if due:
                details.append(f"due {due:%d %b %Y}")
            details.append(f"met {met_on:%d %b %Y}" if met_on else "open")
            conditions.setdefault(review_id, []).append(f"{text.strip()} ({', '.join(details)})")
    return tuple(Decision(r, decision_label(r.decision), tuple(conditions.get(r.id, ()))) for r in reviews)


def _batches(session: Session) -> tuple[BatchLine, ...]:
    rows = session.execute(
        select(ImportBatch.file_name, ImportBatch.kind, ImportBatch.imported_at, ImportBatch.imported_by,
               ImportBatch.inserted, ImportBatch.updated, ImportBatch.rejected, ImportBatch.status)
        .order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc())
    )
    return tuple(BatchLine(*row) for row in rows)


def gather_pack(session: Session, *, as_of: dt.date | None = None, scope: Scope = None,
                step=None) -> PackData:
    """Read every figure of the pack for ``scope`` as of ``as_of`` (default today).

    ``step(text)`` is called before each part, so a caller can report progress and cancel.
    Raises ``ScopeError`` when the scope's programme or department has no projects.
    """
    def note(text: str) -> None:
        if step is not None:
            step(text)

    as_of = as_of or dt.date.today()
    settings = load_settings(session)
    note("Reading the portfolio…")
    ids, scope = _resolve_scope(session, scope)
    kpis = portfolio_kpis(session, as_of, Thresholds.from_settings(settings), ids)
    projects = _project_lines(session, kpis)
    reported: dict[str, int] = {"R": 0, "A": 0, "G": 0}
    for k in kpis:
        if k.reported_rag in reported:
            reported[k.reported_rag] += 1
    milestones = _milestones(session, as_of, ids)
    note("Reading utilisation…")
    use = utilisation(session, week_start(as_of), HEATMAP_WEEKS)
    note("Reading the RAID log…")
    raid = _raid(session, ids)
    thresholds = office_thresholds(session)
    matrix = Matrix.from_pairs(((r.likelihood, r.impact) for r in raid if r.kind == "risk"), thresholds,
                               kinds=("risk",), open_only=True)
    note("Checking compliance…")
    exceptions = compliance_exceptions(session, as_of, settings)
    if ids is not None:
        wanted = set(ids)
        exceptions = [e for e in exceptions if e.project_id in wanted]
    live = [line.kpis.project_id for line in projects if line.kpis.stage in _LIVE_STAGES]
    flagged = {e.project_id for e in exceptions}
    note("Reading decisions and history…")
    latest_period = session.scalar(select(func.max(StatusReport.period_end)).where(StatusReport.period_end <= as_of))
    return PackData(
        office_name=settings.office_name, currency=settings.currency, currency_symbol=settings.currency_symbol,
        fiscal_year_start_month=settings.fiscal_year_start_month, as_of=as_of, scope=scope,
        projects=projects, total=portfolio_total(kpis), by_programme=rollup(kpis, "programme"),
        by_department=rollup(kpis, "department"), reported_rag_counts=reported, milestones=milestones,
        people=use.rows, weeks=use.mondays,
        raid=raid, matrix=matrix, risk_thresholds=thresholds,
        open_high_risks=sum(1 for r in raid if r.kind == "risk" and (r.score or 0) >= thresholds.red),
        exceptions=tuple(exceptions), live_projects=len(live),
        compliant_projects=sum(1 for pid in live if pid not in flagged),
        decisions=_decisions(session, as_of, ids), changes=_changes(session, as_of, ids, settings),
        batches=_batches(session), latest_period=latest_period, demand=use.demand,
    )
