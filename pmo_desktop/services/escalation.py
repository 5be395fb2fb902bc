"""Escalation rules from the office settings: which open RAID items should go up a level, and doing it.

Three rules, each one SQL query over the RAID table:

* an open risk scoring at or above ``escalate_risk_score``;
* an open issue overdue by more than ``escalate_issue_overdue_days``;
* an open dependency on a project whose latest reported RAG is red, or on a milestone that is late
  (forecast after baseline, not achieved).

A firing rule takes the item to programme level, or to portfolio level when there is no programme
to escalate to (a portfolio-level item, or a project outside any programme). Levels only go up:
an item already at or above the target (set by hand or by an earlier run) is left alone, and an
item whose rule stops firing is never de-escalated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..model import Escalation as Level
from ..model import Milestone, OfficeSettings, Project, RaidItem, RaidKind, RaidStatus, StatusReport
from ..model.audit import get_audit_context
from ..model.database import load_settings
from ..model.enums import MilestoneStatus, Rag
from .errors import ConflictError
from .raid import PORTFOLIO_LABEL

LEVEL_RANK = {Level.PROJECT.value: 0, Level.PROGRAMME.value: 1, Level.PORTFOLIO.value: 2}
"""Escalation levels, lowest first."""

RAG_WORDS = {Rag.RED.value: "Red", Rag.AMBER.value: "Amber", Rag.GREEN.value: "Green"}


@dataclass(frozen=True, slots=True)
class Escalation:
    """One item that a rule takes up a level, and why."""

    item_id: int
    ref: str
    project: str
    from_level: str
    to_level: str
    rule: str

    def describe(self) -> str:
        return f"{self.project} {self.ref}: {self.from_level} → {self.to_level} ({self.rule})"


@dataclass(frozen=True, slots=True)
class Applied:
    """An escalation written: what to put back on undo."""

    escalation: Escalation
    previous_rule: str | None
    version: int


def _rank(level: str | None) -> int:
    return LEVEL_RANK.get(level or Level.PROJECT.value, 0)


def _short_date(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def escalations_due(session: Session, today: dt.date,
                    settings: OfficeSettings | None = None) -> list[Escalation]:
    """Every open item whose rule fires and whose level is below the rule's target, by ref."""
    settings = settings or load_settings(session)
    item = RaidItem.__table__
    project = Project.__table__
    not_closed = item.c.status != RaidStatus.CLOSED.value
    below_portfolio = item.c.escalation != Level.PORTFOLIO.value
    base = (item.c.id, item.c.ref, func.coalesce(project.c.code, PORTFOLIO_LABEL), item.c.escalation,
            project.c.programme_id)
    found: dict[int, tuple[tuple, int, list[str]]] = {}

    def add(row, rule: str) -> None:
        # Programme level, or portfolio when there is no programme above the item.
        target = Level.PROGRAMME.value if row[4] is not None else Level.PORTFOLIO.value
        known = found.get(row[0])
        if known is None:
            found[row[0]] = (row, _rank(target), [rule])
        else:
            known[2].append(rule)
            found[row[0]] = (row, max(known[1], _rank(target)), known[2])

    # (a) risks at or above the escalation score.
    threshold = settings.escalate_risk_score
    score = item.c.likelihood * item.c.impact
    query = (select(*base, score).select_from(item).outerjoin(project, project.c.id == item.c.project_id)
             .where(item.c.kind == RaidKind.RISK.value, not_closed, below_portfolio, score >= threshold))
    for row in session.execute(query):
        add(row, f"score {row[5]} ≥ {threshold}")

    # (b) issues overdue by more than the allowed days.
    days = settings.escalate_issue_overdue_days
    latest_due = today - dt.timedelta(days=days + 1)
    query = (select(*base, item.c.due).select_from(item).outerjoin(project, project.c.id == item.c.project_id)
             .where(item.c.kind == RaidKind.ISSUE.value, not_closed, below_portfolio, item.c.due <= latest_due))
    for row in session.execute(query):
        add(row, f"overdue {(today - row[5]).days} days > {days}")

    # (c) dependencies on a red project or a late milestone.
    report = StatusReport.__table__
    latest_rag = (select(report.c.rag).where(report.c.project_id == item.c.depends_on_project_id,
                                             report.c.period_end <= today)
                  .order_by(report.c.period_end.desc()).limit(1).scalar_subquery())
    dep_project = aliased(Project.__table__, name="dep_project")
    milestone = Milestone.__table__
    rag = func.coalesce(latest_rag, dep_project.c.rag)
    late = and_(milestone.c.forecast_date > milestone.c.baseline_date,
                milestone.c.status != MilestoneStatus.ACHIEVED.value, milestone.c.actual_date.is_(None))
    query = (
        select(*base, dep_project.c.code, rag, milestone.c.name, milestone.c.baseline_date,
               milestone.c.forecast_date, late)
        .select_from(item)
        .outerjoin(project, project.c.id == item.c.project_id)
        .outerjoin(dep_project, dep_project.c.id == item.c.depends_on_project_id)
        .outerjoin(milestone, milestone.c.id == item.c.depends_on_milestone_id)
        .where(item.c.kind == RaidKind.DEPENDENCY.value, not_closed, below_portfolio,
               or_(rag == Rag.RED.value, late))
    )
    for row in session.execute(query):
        code, rag_value, name, baseline, forecast, is_late = row[5:]
        if rag_value == Rag.RED.value:
            add(row, f"depends on {code} ({RAG_WORDS[Rag.RED.value]})")
        if is_late:
            add(row, f"depends on milestone {name} (forecast {_short_date(forecast)} after baseline "
                     f"{_short_date(baseline)})")

    due = []
    for row, target_rank, rules in found.values():
        if target_rank <= _rank(row[3]):
            continue  # already there or higher: never lowered, never repeated
        target = next(level for level, rank in LEVEL_RANK.items() if rank == target_rank)
        due.append(Escalation(row[0], row[1], row[2], row[3], target, "; ".join(rules)))
    due.sort(key=lambda e: (e.project, e.ref))
    return due


def _rule_column(text: str) -> str:
    return text if len(text) <= 200 else text[:199] + "…"


def apply_escalations(session: Session, today: dt.date, settings: OfficeSettings | None = None,
                      *, only: Sequence[Escalation] | None = None) -> list[Applied]:
    """Escalate every item due (or ``only`` those, re-checked) through the ORM, in the caller's transaction.

    Each item's audit event carries the rule in its note; ``escalation_rule`` records it too.
    """
    due = escalations_due(session, today, settings)
    if only is not None:
        wanted = {e.item_id for e in only}
        due = [e for e in due if e.item_id in wanted]
    context = get_audit_context(session)
    saved_note = context.note
    applied = []
    try:
        for escalation in due:
            item = session.get(RaidItem, escalation.item_id)
            assert item is not None
            previous_rule = item.escalation_rule
            item.escalation = escalation.to_level
            item.escalation_rule = _rule_column(escalation.rule)
            context.note = f"Escalated {escalation.ref} to {escalation.to_level}: {escalation.rule}"[:500]
            session.flush()  # one audit event per item, with its own note
            applied.append(Applied(escalation, previous_rule, item.version))
    finally:
        context.note = saved_note
    return applied


def undo_escalations(session: Session, applied: Sequence[Applied]) -> list[Applied]:
    """Put back the levels and rules ``apply_escalations`` replaced (ConflictError if edited since)."""
    context = get_audit_context(session)
    saved_note = context.note
    restored = []
    try:
        for done in applied:
            escalation = done.escalation
            item = session.get(RaidItem, escalation.item_id, populate_existing=True)
            mine = {"escalation": escalation.from_level, "escalation_rule": done.previous_rule}
            if item is None:
                raise ConflictError(RaidItem.__tablename__, escalation.item_id, mine, {}, deleted=True)
            if item.version != done.version:
                raise ConflictError(RaidItem.__tablename__, escalation.item_id, mine,
                                    {"escalation": item.escalation, "escalation_rule": item.escalation_rule})
            item.escalation = escalation.from_level
            item.escalation_rule = done.previous_rule
            context.note = f"Undid escalation of {escalation.ref} ({escalation.rule})"[:500]
            session.flush()
            restored.append(Applied(escalation, done.previous_rule, item.version))
    finally:
        context.note = saved_note
    return restored
