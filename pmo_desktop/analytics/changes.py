"""What changed in the portfolio between two reporting periods.

``reporting_periods`` lists the distinct status-report period ends, newest first.
``what_changed(session, since, until, settings)`` compares the period ending ``since`` with the
period ending ``until`` (``since`` < ``until``) and reports:

- RAG moves: projects whose reported RAG in the ``until`` report differs from the ``since`` report
  (both must exist), with direction "worse" (towards red) or "better".
- Cost movements: a forecast cost (EAC) in the two reports whose relative change
  ``|after - before| / before`` is at least the threshold. The threshold is the office setting
  ``cost_change_pct`` when the settings carry one, else 5% (``DEFAULT_COST_CHANGE_PCT``); a move
  of exactly the threshold counts. A change from zero counts whatever its size. Actual cost grows
  every period, so it is reported only when the period's spend ran ahead of the work done in it:
  spend minus earned value of the period (budget x the change in percent complete) of at least
  the threshold percent of the budget. Without a budget or percent complete to judge by, the
  relative rule of the forecast applies to it too.
- New projects: projects inserted in the window according to the audit trail, or whose first
  status report falls in the window.
- Closed projects: audit-trail updates in the window that moved a project's stage to closed or
  cancelled.
- Slipped milestones: milestones whose forecast date moved later in the window (audit trail;
  the first before and last after of the window are compared), with the days slipped.
- Newly escalated RAID items: items whose escalation level rose in the window (audit trail).

The window of the audit trail is the days after ``since`` up to and including ``until``. Every
part is one set-based query (the audit events of one entity in the window); nothing is read per
project.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from ..model import Milestone, Project, RaidItem, StatusReport
from ..model.audit import AuditEvent

DEFAULT_COST_CHANGE_PCT = 5.0
RAG_RANK = {"G": 0, "A": 1, "R": 2}
_ESCALATION_RANK = {"project": 0, "programme": 1, "portfolio": 2}
_CLOSED_STAGES = ("closed", "cancelled")


@dataclass(frozen=True, slots=True)
class RagMove:
    """A project whose reported RAG changed between the two periods."""

    project_code: str
    project_name: str
    before: str
    after: str
    project_id: int | None = None

    @property
    def worse(self) -> bool:
        return RAG_RANK[self.after] > RAG_RANK[self.before]

    @property
    def direction(self) -> str:
        return "worse" if self.worse else "better"


@dataclass(frozen=True, slots=True)
class CostMove:
    """A forecast or actual cost that moved by at least the threshold between the two reports."""

    project_id: int
    project_code: str
    project_name: str
    measure: str  # "forecast cost" or "actual cost"
    before: Decimal
    after: Decimal

    @property
    def change(self) -> Decimal:
        return self.after - self.before

    @property
    def pct(self) -> float | None:
        """The change as a percentage of ``before`` (None when ``before`` is zero)."""
        return None if self.before == 0 else float(self.change / self.before * 100)


@dataclass(frozen=True, slots=True)
class MilestoneSlip:
    """A milestone whose forecast date moved later in the window."""

    project_id: int
    project_code: str
    project_name: str
    milestone: str
    before: dt.date
    after: dt.date

    @property
    def days(self) -> int:
        return (self.after - self.before).days


@dataclass(frozen=True, slots=True)
class ProjectChange:
    """A project that was created or closed in the window."""

    project_id: int
    project_code: str
    project_name: str
    detail: str  # "created", "first reported", "closed", "cancelled"


@dataclass(frozen=True, slots=True)
class Escalation:
    """A RAID item whose escalation level rose in the window."""

    item_id: int
    project_id: int | None
    project_code: str
    ref: str
    title: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between the periods ending ``previous`` and ``latest`` (None: not two periods)."""

    previous: dt.date | None
    latest: dt.date | None
    moves: tuple[RagMove, ...] = ()
    compared: int = 0  # projects that reported a RAG in both periods
    cost_moves: tuple[CostMove, ...] = ()
    slips: tuple[MilestoneSlip, ...] = ()
    new_projects: tuple[ProjectChange, ...] = ()
    closed_projects: tuple[ProjectChange, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    cost_threshold_pct: float = DEFAULT_COST_CHANGE_PCT

    @property
    def worsened(self) -> int:
        return sum(m.worse for m in self.moves)

    @property
    def improved(self) -> int:
        return len(self.moves) - self.worsened


def reporting_periods(session: Session) -> list[dt.date]:
    """Every distinct status-report period end, newest first (a Core query: the Portfolio tab's first read)."""
    period_end = StatusReport.__table__.c.period_end
    return list(session.scalars(select(period_end).distinct().order_by(period_end.desc())))


def cost_threshold_pct(settings) -> float:
    """The office's cost-movement threshold in percent, else ``DEFAULT_COST_CHANGE_PCT``."""
    value = getattr(settings, "cost_change_pct", None) if settings is not None else None
    return float(value) if value is not None else DEFAULT_COST_CHANGE_PCT


def _window(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(since + dt.timedelta(days=1), dt.time())
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
    return start, end


def _events(session: Session, entity: str, actions: Iterable[str], since: dt.date, until: dt.date):
    start, end = _window(since, until)
    return session.execute(
        select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.changes)
        .where(AuditEvent.entity == entity, AuditEvent.action.in_(list(actions)),
               AuditEvent.at >= start, AuditEvent.at < end)
        .order_by(AuditEvent.id)
    ).all()


def _project_names(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {pid: (code, name) for pid, code, name in
            session.execute(select(Project.id, Project.code, Project.name).where(Project.id.in_(ids)))}


def _reports(session: Session, since: dt.date, until: dt.date, ids: list[int] | None):
    before, after = aliased(StatusReport), aliased(StatusReport)
    query = (
        select(Project.id, Project.code, Project.name, before.rag, after.rag, before.forecast_cost,
               after.forecast_cost, before.actual_cost, after.actual_cost, Project.budget,
               before.percent_complete, after.percent_complete)
        .join(before, and_(before.project_id == Project.id, before.period_end == since))
        .join(after, and_(after.project_id == Project.id, after.period_end == until))
    )
    if ids is not None:
        query = query.where(Project.id.in_(ids))
    return session.execute(query).all()


def _moved(before, after, pct: float) -> bool:
    if before is None or after is None or before == after:
        return False
    before, after = Decimal(before), Decimal(after)
    if before == 0:
        return True
    return abs(after - before) * 100 >= abs(before) * Decimal(str(pct))


def _spent_ahead(before, after, budget, pct_before, pct_after, pct: float) -> bool:
    """Whether the actual cost moved enough to report: ahead of progress, or by ``pct`` when unknown."""
    if before is None or after is None or before == after:
        return False
    if not budget or pct_before is None or pct_after is None:
        return _moved(before, after, pct)
    budget = Decimal(budget)
    earned = budget * Decimal(str(pct_after - pct_before))
    return (Decimal(after) - Decimal(before) - earned) * 100 >= budget * Decimal(str(pct))


def what_changed(session: Session, since: dt.date, until: dt.date, settings=None,
                 project_ids: Iterable[int] | None = None) -> Changes:
    """What changed between the period ending ``since`` and the period ending ``until``.

    ``project_ids`` keeps only those projects (and their milestones and RAID items).
    """
    if since > until:
        since, until = until, since
    ids = None if project_ids is None else list(project_ids)
    wanted = None if ids is None else set(ids)
    pct = cost_threshold_pct(settings)

    moves: list[RagMove] = []
    costs: list[CostMove] = []
    compared = 0
    for pid, code, name, rag0, rag1, fc0, fc1, ac0, ac1, budget, pc0, pc1 in _reports(session, since, until, ids):
        if rag0 is not None and rag1 is not None:
            compared += 1
            if rag0 != rag1 and rag0 in RAG_RANK and rag1 in RAG_RANK:
                moves.append(RagMove(code, name, rag0, rag1, pid))
        if _moved(fc0, fc1, pct):
            costs.append(CostMove(pid, code, name, "forecast cost", Decimal(fc0), Decimal(fc1)))
        if _spent_ahead(ac0, ac1, budget, pc0, pc1, pct):
            costs.append(CostMove(pid, code, name, "actual cost", Decimal(ac0), Decimal(ac1)))
    moves.sort(key=lambda m: (not m.worse, -RAG_RANK[m.after], m.project_code))
    # Forecast movements first (actual cost grows every period), each by the size of the move.
    costs.sort(key=lambda c: (c.measure != "forecast cost", -abs(c.pct) if c.pct is not None else float("-inf"),
                              c.project_code))

    # New projects: inserted in the window, or first reported in it.
    new: dict[int, str] = {}
    for pid, _action, _changes in _events(session, "project", ["insert"], since, until):
        if pid is not None:
            new[pid] = "created"
    first = (select(StatusReport.project_id, func.min(StatusReport.period_end).label("first"))
             .group_by(StatusReport.project_id).subquery())
    for pid in session.scalars(select(first.c.project_id).where(first.c.first > since, first.c.first <= until)):
        new.setdefault(pid, "first reported")

    closed: dict[int, str] = {}
    for pid, _action, changes in _events(session, "project", ["update"], since, until):
        stage = (changes or {}).get("stage")
        if pid is not None and stage and stage[1] in _CLOSED_STAGES and stage[0] not in _CLOSED_STAGES:
            closed[pid] = stage[1]

    # Milestone forecasts: the first before and the last after of the window.
    forecasts: dict[int, list] = {}
    for mid, _action, changes in _events(session, "milestone", ["update"], since, until):
        moved = (changes or {}).get("forecast_date")
        if mid is None or not moved:
            continue
        if mid in forecasts:
            forecasts[mid][1] = moved[1]
        else:
            forecasts[mid] = [moved[0], moved[1]]
    slips: list[MilestoneSlip] = []
    if forecasts:
        rows = session.execute(
            select(Milestone.id, Milestone.name, Project.id, Project.code, Project.name)
            .join(Project, Project.id == Milestone.project_id).where(Milestone.id.in_(list(forecasts)))
        )
        for mid, milestone, pid, code, name in rows:
            b, a = forecasts[mid]
            if b is None or a is None or (wanted is not None and pid not in wanted):
                continue
            b, a = dt.date.fromisoformat(b), dt.date.fromisoformat(a)
            if a > b:
                slips.append(MilestoneSlip(pid, code, name, milestone, b, a))
    slips.sort(key=lambda s: (-s.days, s.project_code, s.milestone))

    raised: dict[int, list] = {}
    for item_id, _action, changes in _events(session, "raid_item", ["update"], since, until):
        level = (changes or {}).get("escalation")
        if item_id is None or not level:
            continue
        if item_id in raised:
            raised[item_id][1] = level[1]
        else:
            raised[item_id] = [level[0], level[1]]
    escalations: list[Escalation] = []
    if raised:
        rows = session.execute(
            select(RaidItem.id, RaidItem.project_id, Project.code, RaidItem.ref, RaidItem.title)
            .outerjoin(Project, Project.id == RaidItem.project_id).where(RaidItem.id.in_(list(raised)))
        )
        for item_id, pid, code, ref, title in rows:
            b, a = raised[item_id]
            if wanted is not None and pid not in wanted:
                continue
            if _ESCALATION_RANK.get(a, -1) > _ESCALATION_RANK.get(b, -1):
                escalations.append(Escalation(item_id, pid, code or "Portfolio", ref, title, b or "", a))
    escalations.sort(key=lambda e: (-_ESCALATION_RANK.get(e.after, 0), e.project_code, e.ref))

    if wanted is not None:
        new = {pid: d for pid, d in new.items() if pid in wanted}
        closed = {pid: d for pid, d in closed.items() if pid in wanted}
    names = _project_names(session, [*new, *closed])

    def project_changes(found: dict[int, str]) -> tuple[ProjectChange, ...]:
        lines = [ProjectChange(pid, *names[pid], detail) for pid, detail in found.items() if pid in names]
        return tuple(sorted(lines, key=lambda c: c.project_code))

    return Changes(
        previous=since, latest=until, moves=tuple(moves), compared=compared, cost_moves=tuple(costs),
        slips=tuple(slips), new_projects=project_changes(new), closed_projects=project_changes(closed),
        escalations=tuple(escalations), cost_threshold_pct=pct,
    )
