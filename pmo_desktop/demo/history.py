"""The demo office's recent past: what its coordinator did during the last reporting period.

The build writes the office as it stands today, so on its own every audit event is dated the day
of the build and "what changed since last period" has nothing to say about slipped milestones,
closed projects or escalations. This step replays a handful of ordinary edits through the same
services a coordinator uses (ORM updates, ``record_review``, ``apply_escalations``), each in its
own transaction whose audit context carries a date inside the last complete reporting period:

- a few milestones of projects in execution slip by two to six weeks;
- a couple of amber or red projects in execution send a revised return for the period: the
  forecast cost (EAC) of their report, and of the project, rises by 12 to 20%;
- projects in the closing stage that have finished pass their closure gate about a week after
  their handover (an approved review, which moves them to closed);
- a few open items that the office's escalation rules catch are escalated.

Only the projects of this build are touched (``codes``), choices come from the build's seeded
random generator, and anything the services refuse (say, a closure review that already exists) is
skipped, so the step never fails a build.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ..model.audit import AuditContext, AuditHead, get_audit_context, set_audit_context
from ..model.database import Database
from ..model.enums import AuditSource, Decision, Stage
from ..model.governance import GateReview, StageChange
from ..model.portfolio import Milestone, Project, StatusReport
from ..services import governance
from ..services.errors import ServiceError
from ..services.escalation import Escalation, apply_escalations, escalations_due

SLIPS = 4
"""Milestones that slip during the period."""

REFORECASTS = 2
"""Projects whose forecast cost the period's revised return raises."""

CLOSURES = 2
"""Finished projects that pass their closure gate during the period."""

ESCALATIONS = 3
"""Open items escalated during the period (the rest stay due, for the user to escalate)."""


@dataclass(slots=True)
class History:
    """What the replay did, for the build summary and the tests."""

    period: tuple[dt.date, dt.date]
    slipped: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    reforecast: list[str] = field(default_factory=list)
    events: int = 0
    """Audit events the replay wrote (the build's own are one per row it inserted)."""


def last_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar month before ``today``'s (the demo reports monthly)."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """A working-hours time on ``day``, as the audit trail stores it (UTC, naive)."""
    return dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)))


def _day_in(period: tuple[dt.date, dt.date], rng: random.Random) -> dt.date:
    """A weekday of the period, not in its first or last two days."""
    first, last = period
    while True:
        day = first + dt.timedelta(days=rng.randint(2, (last - first).days - 2))
        if day.weekday() < 5:
            return day


def replay_recent_history(db: Database, today: dt.date, codes: Collection[str], seed: int) -> History:
    """Replay the last period's edits on the projects ``codes``; see the module docstring."""
    rng = random.Random(seed * 7919 + 1)
    history = History(last_period(today))
    if not codes:
        return history
    days = sorted(_day_in(history.period, rng) for _ in range(SLIPS + 1))
    before = _event_count(db)
    _slip_milestones(db, codes, history, rng, days[:SLIPS])
    _reforecast(db, codes, history, rng, days[SLIPS - 1])
    _close_finished(db, codes, history, rng)
    _escalate(db, codes, history, rng, days[-1])
    history.events = _event_count(db) - before
    return history


def _event_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(AuditHead.count).where(AuditHead.id == 1)) or 0


def _dated(session, day: dt.date, rng: random.Random, note: str) -> None:
    """Date this session's audit events at a working-hours moment of ``day``."""
    ctx = get_audit_context(session)
    set_audit_context(session, AuditContext(ctx.actor, AuditSource.UI, None, note, _moment(day, rng)))


def _slip_milestones(db: Database, codes: Collection[str], history: History, rng: random.Random,
                     days: list[dt.date]) -> None:
    with db.session() as session:
        candidates = session.execute(
            select(Milestone.id, Project.code, Milestone.name)
            .join(Project, Milestone.project_id == Project.id)
            .where(Project.code.in_(list(codes)), Project.stage == Stage.EXECUTION.value,
                   Milestone.actual_date.is_(None), Milestone.forecast_date > history.period[1])
            .order_by(Milestone.id)
        ).all()
    for (milestone_id, code, name), day in zip(rng.sample(candidates, min(SLIPS, len(candidates))), days,
                                               strict=False):
        with db.transaction() as session:
            _dated(session, day, rng, f"Forecast moved after the {code} status review")
            milestone = session.get(Milestone, milestone_id)
            milestone.forecast_date = milestone.forecast_date + dt.timedelta(weeks=rng.randint(2, 6))
        history.slipped.append(f"{code}: {name}")


def _reforecast(db: Database, codes: Collection[str], history: History, rng: random.Random,
                day: dt.date) -> None:
    previous = aliased(StatusReport)
    with db.session() as session:
        candidates = session.execute(
            select(Project.id, Project.code, StatusReport.id)
            .join(StatusReport, and_(StatusReport.project_id == Project.id,
                                     StatusReport.period_end == history.period[1]))
            .join(previous, and_(previous.project_id == Project.id,  # reported before too: comparable
                                 previous.period_end == history.period[0] - dt.timedelta(days=1)))
            .where(Project.code.in_(list(codes)), Project.stage == Stage.EXECUTION.value,
                   Project.rag.in_(("A", "R")), StatusReport.forecast_cost > 0)
            .order_by(Project.code)
        ).all()
    for project_id, code, report_id in rng.sample(candidates, min(REFORECASTS, len(candidates))):
        with db.transaction() as session:
            _dated(session, day, rng, f"Revised {code} return: forecast cost raised")
            report = session.get(StatusReport, report_id)
            project = session.get(Project, project_id)
            rise = Decimal(rng.randint(12, 20)) / 100
            report.forecast_cost = (report.forecast_cost * (1 + rise)).quantize(Decimal("1"))
            if project.forecast_cost is not None:
                project.forecast_cost = report.forecast_cost
        history.reforecast.append(code)


def _close_finished(db: Database, codes: Collection[str], history: History, rng: random.Random) -> None:
    last_move = (select(StageChange.project_id, func.max(StageChange.changed_on).label("on"))
                 .group_by(StageChange.project_id).subquery())
    last_review = (select(GateReview.project_id, func.max(GateReview.review_date).label("on"))
                   .group_by(GateReview.project_id).subquery())
    with db.session() as session:
        candidates = session.execute(
            select(Project.id, Project.code, Project.sponsor, last_move.c.on, last_review.c.on)
            .outerjoin(last_move, last_move.c.project_id == Project.id)
            .outerjoin(last_review, last_review.c.project_id == Project.id)
            .where(Project.code.in_(list(codes)), Project.stage == Stage.CLOSING.value,
                   Project.percent_complete >= 0.9)
            .order_by(Project.percent_complete.desc(), Project.code)
        ).all()
    closed = 0
    for project_id, code, sponsor, moved_on, reviewed_on in candidates:
        if closed == CLOSURES:
            break
        entered = max(moved_on or history.period[0], reviewed_on or history.period[0])
        day = entered + dt.timedelta(days=rng.randint(4, 8))  # a week or so after the handover
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        if not history.period[0] < day <= history.period[1]:
            continue
        try:
            with db.transaction() as session:
                _dated(session, day, rng, f"Closure review of {code}")
                gate = governance.next_gate(session, project_id)
                if gate is None or gate.to_stage != Stage.CLOSED.value:
                    continue
                project = session.get(Project, project_id)
                project.percent_complete = 1.0
                if project.actual_end is None or project.actual_end > day:
                    project.actual_end = day - dt.timedelta(days=rng.randint(3, 10))
                governance.record_review(session, governance.ReviewValues(
                    project_id=project_id, gate_id=gate.id, review_date=day,
                    decision=Decision.APPROVED.value, decided_by=sponsor or "Portfolio board",
                    reviewers="Portfolio board", notes="Deliverables accepted; lessons learned recorded.",
                    results=tuple(governance.CriterionResultInput(c.id, True, "Closure report")
                                  for c in gate.criteria),
                ))
        except ServiceError:
            continue
        history.closed.append(code)
        closed += 1


def _escalate(db: Database, codes: Collection[str], history: History, rng: random.Random, day: dt.date) -> None:
    with db.transaction() as session:
        _dated(session, day, rng, None)
        due = [e for e in escalations_due(session, day) if e.project in codes]
        rng.shuffle(due)
        by_rule: dict[str, Escalation] = {}
        for escalation in due:  # one of each kind of rule first: a score, an overdue issue, a dependency
            by_rule.setdefault(escalation.rule.split(" ", 1)[0], escalation)
        chosen = [*by_rule.values(), *(e for e in due if e not in by_rule.values())][:ESCALATIONS]
        applied = apply_escalations(session, day, only=sorted(chosen, key=lambda e: e.ref))
    history.escalated.extend(a.escalation.ref for a in applied)
