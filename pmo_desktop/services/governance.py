"""Gate reviews, their criterion results and conditions, and the stage moves they decide (no Qt).

A project moves along the lifecycle (``Stage.lifecycle()``) by passing gates. A review records
which criteria of the project's checklist at the gate were met, with evidence, and a decision.
The checklist is the gate's criteria for every methodology plus those for the project's own
methodology (``applies_to``); a project without a methodology gets the common criteria only. An approval (with or
without conditions) moves the project to the gate's ``to_stage`` and leaves a ``StageChange``
pointing at the review, in the same transaction. A stage can also be changed by hand, as far as
the office's PMO type allows: supportive offices are warned, controlling offices must give a
reason when no approved review backs the move, directive offices are refused.

Every mutating function returns what its undo needs: ``record_review`` and ``update_review``
return a ``ReviewOutcome`` (with the state before), ``delete_review`` the ``ReviewSnapshot`` of
what it removed; ``restore_review`` brings a review (and the stage move it made) back to such a
snapshot, or removes it when given None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from ..model.audit import get_audit_context
from ..model.base import utcnow
from ..model.enums import Decision, PmoType, Stage
from ..model.governance import (
    Gate,
    GateCondition,
    GateCriterion,
    GateCriterionResult,
    GateReview,
    StageChange,
)
from ..model.portfolio import Project
from .base import apply_changes, flush_or_conflict, get_or_raise, text_or_none
from .errors import ConflictError, FieldError, RuleError, ValidationError

DIRECTIVE_REFUSAL = "Under a directive PMO a stage changes only through an approved gate review"


# -- values in and out ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CriterionResultInput:
    """Whether one criterion of the gate was met at the review, and the evidence shown."""

    criterion_id: int
    met: bool = False
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class ConditionInput:
    """A condition of the decision; ``id`` is None for a new one, ``met_on`` None while open."""

    text: str
    owner: str | None = None
    due: dt.date | None = None
    met_on: dt.date | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ReviewValues:
    """Everything a coordinator enters for one gate review."""

    project_id: int | None
    gate_id: int | None
    review_date: dt.date | None
    decision: str | None
    decided_by: str | None = None
    reviewers: str | None = None
    notes: str | None = None
    results: tuple[CriterionResultInput, ...] = ()
    conditions: tuple[ConditionInput, ...] = ()


@dataclass(frozen=True, slots=True)
class StageChangeSnapshot:
    """A stored stage move, enough to withdraw it and to make it again with the same id."""

    id: int
    project_id: int
    from_stage: str | None
    to_stage: str
    changed_on: dt.date
    changed_by: str | None
    review_id: int | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ReviewSnapshot:
    """A stored review with its results, conditions and the stage move it made (if any)."""

    id: int
    version: int
    values: ReviewValues
    stage_change: StageChangeSnapshot | None = None


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """What a save did: the review, its new version, the stage move, and the state before."""

    review_id: int
    version: int
    stage_change: StageChangeSnapshot | None
    before: ReviewSnapshot | None = None


@dataclass(frozen=True, slots=True)
class CriterionInfo:
    """One criterion of a gate, as the review checklist lists it (``methodology`` None: every one)."""

    id: int
    name: str
    required: bool
    methodology: str | None = None


@dataclass(frozen=True, slots=True)
class GateInfo:
    """A gate and its criteria, in the order the office lists them."""

    id: int
    name: str
    from_stage: str
    to_stage: str
    criteria: tuple[CriterionInfo, ...] = ()

    @property
    def transition(self) -> str:
        return transition_label(self.from_stage, self.to_stage)

    def checklist(self, methodology: str | None) -> GateInfo:
        """This gate with only the criteria a project of ``methodology`` is reviewed against."""
        return replace(self, criteria=tuple(
            c for c in self.criteria if c.methodology is None or c.methodology == methodology))


@dataclass(frozen=True, slots=True)
class ProjectChoice:
    """A project as the review editor lists it."""

    id: int
    code: str
    name: str
    stage: str
    version: int
    methodology: str | None = None

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


class ReviewRow(NamedTuple):
    """One line of the decisions log; the id comes first as table models expect."""

    id: int
    review_date: dt.date
    project_code: str
    project_name: str
    gate: str
    transition: str
    decision: str
    decided_by: str | None
    reviewers: str | None
    criteria_met: int
    criteria_total: int
    open_conditions: int
    overdue_conditions: int
    project_id: int
    gate_id: int


@dataclass(frozen=True, slots=True)
class StageRuleCheck:
    """What the office's PMO type says about moving a project by hand.

    ``allowed`` False means refused (``message`` says why); ``reason_required`` means the move
    needs a written reason; ``message`` otherwise is a warning to show before the move.
    """

    allowed: bool
    reason_required: bool = False
    message: str | None = None
    backed_by_review: bool = False


@dataclass(frozen=True, slots=True)
class HandStageChange:
    """The result of a hand stage change: the move stored, and the warning the office gives."""

    project_id: int
    from_stage: str
    to_stage: str
    stage_change_id: int
    project_version: int
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class ConditionChange:
    """A condition's met date before and after a change, for undo."""

    condition_id: int
    before: dt.date | None
    after: dt.date | None
    version: int


def stage_label(stage: str | None) -> str:
    """The words a coordinator reads for a stored stage value."""
    if not stage:
        return ""
    try:
        return Stage(stage).label
    except ValueError:
        return stage


def decision_label(decision: str | None) -> str:
    """The words a coordinator reads for a stored decision value."""
    if not decision:
        return ""
    try:
        return Decision(decision).label
    except ValueError:
        return decision


def transition_label(from_stage: str | None, to_stage: str | None) -> str:
    """A stage move as "Business case → Approved"."""
    return f"{stage_label(from_stage)} → {stage_label(to_stage)}"


# -- reading -------------------------------------------------------------------------------
def review_count(session: Session) -> int:
    """How many gate reviews the decisions log holds."""
    return session.execute(select(func.count()).select_from(GateReview.__table__)).scalar_one()


def review_rows(session: Session, today: dt.date | None = None) -> list[ReviewRow]:
    """Every gate review as a decisions-log row, newest first, in one SQL query.

    The criteria met and the open and overdue conditions are counted once per table (grouped by
    review) and joined, rather than by a subquery per review; a gate's stage move is worded once.
    """
    today = today or dt.date.today()
    review = GateReview.__table__
    project = Project.__table__
    gate = Gate.__table__
    result = GateCriterionResult.__table__
    criterion = GateCriterion.__table__
    condition = GateCondition.__table__

    scored, scored_project = review.alias("scored"), project.alias("scored_project")
    met = (
        select(result.c.review_id, func.count().label("n"))
        .select_from(
            result.join(criterion, criterion.c.id == result.c.criterion_id)
            .join(scored, scored.c.id == result.c.review_id)
            .join(scored_project, scored_project.c.id == scored.c.project_id)
        )
        .where(result.c.met.is_(True), criterion.c.gate_id == scored.c.gate_id,
               applies_to(scored_project.c.methodology, criterion.c.methodology))
        .group_by(result.c.review_id)
        .subquery("met")
    )
    total = (
        select(func.count())
        .where(criterion.c.gate_id == review.c.gate_id, applies_to(project.c.methodology, criterion.c.methodology))
        .scalar_subquery()
    )
    conditions = (
        select(condition.c.review_id, func.count().label("open"),
               func.count(case((condition.c.due < today, 1))).label("overdue"))
        .where(condition.c.met_on.is_(None))
        .group_by(condition.c.review_id)
        .subquery("conditions")
    )
    query = (
        select(
            review.c.id, review.c.review_date, project.c.code, project.c.name, gate.c.name,
            gate.c.from_stage, gate.c.to_stage, review.c.decision, review.c.decided_by, review.c.reviewers,
            func.coalesce(met.c.n, 0), total, func.coalesce(conditions.c.open, 0),
            func.coalesce(conditions.c.overdue, 0), review.c.project_id, review.c.gate_id,
        )
        .select_from(
            review.join(project, project.c.id == review.c.project_id).join(gate, gate.c.id == review.c.gate_id)
            .outerjoin(met, met.c.review_id == review.c.id)
            .outerjoin(conditions, conditions.c.review_id == review.c.id)
        )
        .order_by(review.c.review_date.desc(), review.c.id.desc())
    )
    moves: dict[tuple[str | None, str | None], str] = {}
    rows, make = [], ReviewRow._make
    for (review_id, date, code, name, gate_name, from_stage, to_stage, decision, decided_by, reviewers,
         met_count, total_count, open_count, overdue_count, project_id, gate_id) in session.execute(query):
        move = moves.get((from_stage, to_stage))
        if move is None:
            move = moves[from_stage, to_stage] = transition_label(from_stage, to_stage)
        rows.append(make((review_id, date, code, name, gate_name, move, decision, decided_by, reviewers,
                          met_count, total_count, open_count, overdue_count, project_id, gate_id)))
    return rows


def applies_to(methodology: str | None | ColumnElement,
               column: ColumnElement | None = None) -> ColumnElement[bool]:
    """Whether a criterion (its methodology ``column``) is on the checklist of a ``methodology`` project."""
    column = GateCriterion.methodology if column is None else column
    return or_(column.is_(None), column == methodology)


def gates(session: Session) -> list[GateInfo]:
    """Every gate with all its criteria (each methodology's included), in lifecycle order."""
    found = session.scalars(select(Gate).order_by(Gate.position, Gate.id)).all()
    return [_gate_info(gate) for gate in found]


def project_choices(session: Session) -> list[ProjectChoice]:
    """Every project, by code, with its current stage."""
    rows = session.execute(
        select(Project.id, Project.code, Project.name, Project.stage, Project.version, Project.methodology)
        .order_by(Project.code)
    )
    return [ProjectChoice(*row) for row in rows]


def next_gate(session: Session, project_id: int) -> GateInfo | None:
    """The gate out of the project's current stage with the project's checklist (None at the end or aside)."""
    project = get_or_raise(session, Project, project_id)
    gate = session.scalar(select(Gate).where(Gate.from_stage == project.stage).order_by(Gate.position, Gate.id))
    return _gate_info(gate).checklist(project.methodology) if gate is not None else None


def load_review(session: Session, review_id: int) -> ReviewSnapshot:
    """A review as stored, with its results, conditions and stage move."""
    return _snapshot(session, get_or_raise(session, GateReview, review_id))


# -- recording and editing reviews ---------------------------------------------------------
def record_review(session: Session, values: ReviewValues) -> ReviewOutcome:
    """Store a new review; an approval moves the project through the gate (see module docstring)."""
    project, gate = _validate(session, values, current=None)
    review = GateReview(project_id=project.id, gate_id=gate.id)
    _set_review_fields(review, values)
    session.add(review)
    session.flush()
    _sync_results(session, review, values.results)
    _sync_conditions(session, review, values.conditions)
    stage_change = None
    if Decision(values.decision).passes and project.stage == gate.from_stage:
        stage_change = _move_through_gate(session, review, project, gate)
    session.flush()
    return ReviewOutcome(review.id, review.version, _stage_change_snapshot(stage_change))


def update_review(session: Session, review_id: int, values: ReviewValues,
                  expected_version: int | None) -> ReviewOutcome:
    """Save changes to a review; a decision that stops (or starts) passing withdraws (or makes) the move."""
    review = session.get(GateReview, review_id, populate_existing=True)
    if review is None:
        raise ConflictError("gate_review", review_id, {}, {}, deleted=True)
    if expected_version is not None and review.version != expected_version:
        raise ConflictError("gate_review", review_id, _comparable(values), _comparable(_snapshot(session, review).values))
    before = _snapshot(session, review)
    project, gate = _validate(session, values, current=review)
    current_move = _stage_change_of(session, review.id)
    keeps_move = (
        current_move is not None and Decision(values.decision).passes
        and project.id == review.project_id and gate.id == review.gate_id
    )
    if current_move is not None and not keeps_move:
        _withdraw(session, current_move)
        current_move = None
    review.project_id, review.gate_id = project.id, gate.id
    _set_review_fields(review, values)
    _sync_results(session, review, values.results)
    _sync_conditions(session, review, values.conditions)
    flush_or_conflict(session, review)
    if current_move is None and Decision(values.decision).passes and project.stage == gate.from_stage:
        current_move = _move_through_gate(session, review, project, gate)
    flush_or_conflict(session, review)
    return ReviewOutcome(review.id, review.version, _stage_change_snapshot(current_move), before)


def delete_review(session: Session, review_id: int, expected_version: int | None = None) -> ReviewSnapshot:
    """Remove a review, withdrawing the stage move it made; return what was removed (for undo)."""
    review = session.get(GateReview, review_id, populate_existing=True)
    if review is None:
        raise ConflictError("gate_review", review_id, {}, {}, deleted=True)
    if expected_version is not None and review.version != expected_version:
        raise ConflictError("gate_review", review_id, {}, _comparable(_snapshot(session, review).values))
    snapshot = _snapshot(session, review)
    move = _stage_change_of(session, review.id)
    if move is not None:
        _withdraw(session, move)
    session.delete(review)
    session.flush()
    return snapshot


def restore_review(session: Session, review_id: int, snapshot: ReviewSnapshot | None) -> None:
    """Bring a review back exactly to ``snapshot`` (stage move included); None removes the review.

    This is the undo of every review edit. It refuses (RuleError) when the project has moved on
    since, because putting its stage back would then overwrite someone else's decision.
    """
    review = session.get(GateReview, review_id, populate_existing=True)
    current_move = _stage_change_of(session, review_id) if review is not None else None
    wanted_move = snapshot.stage_change if snapshot is not None else None
    if current_move is not None and (wanted_move is None or wanted_move.id != current_move.id):
        _withdraw(session, current_move)
        current_move = None
    if snapshot is None:
        if review is not None:
            session.delete(review)
            session.flush()
        return
    values = snapshot.values
    if review is None:
        review = GateReview(id=snapshot.id)
        session.add(review)
    review.project_id, review.gate_id = values.project_id, values.gate_id
    _set_review_fields(review, values)
    session.flush()
    _sync_results(session, review, values.results)
    _sync_conditions(session, review, values.conditions, keep_ids=True)
    if wanted_move is not None and current_move is None:
        _redo_move(session, wanted_move)
    session.flush()


def set_condition_met(session: Session, condition_id: int, met_on: dt.date | None,
                      expected_version: int | None = None) -> ConditionChange:
    """Mark a condition met on a date (or open again with None)."""
    if met_on is not None and met_on > dt.date.today():
        raise ValidationError(FieldError("met_on", "A condition cannot be met on a date in the future."))
    condition = get_or_raise(session, GateCondition, condition_id)
    before = condition.met_on
    condition = apply_changes(session, GateCondition, condition_id, {"met_on": met_on}, expected_version)
    return ConditionChange(condition_id, before, met_on, condition.version)


# -- moving stages by hand -----------------------------------------------------------------
def check_stage_change(session: Session, project_id: int, to_stage: str, pmo_type: str | PmoType) -> StageRuleCheck:
    """What the PMO type says about moving the project to ``to_stage`` by hand, before trying."""
    project = get_or_raise(session, Project, project_id)
    pmo = PmoType(pmo_type)
    if pmo is PmoType.DIRECTIVE:
        return StageRuleCheck(False, message=f"{DIRECTIVE_REFUSAL}. Record a gate review for {project.code} instead.")
    backed = _backed_by_approved_review(session, project, to_stage)
    target = stage_label(to_stage)
    if pmo is PmoType.SUPPORTIVE:
        if backed:
            return StageRuleCheck(True, backed_by_review=True)
        return StageRuleCheck(
            True,
            message=(f"No approved gate review with every required criterion met backs the move of "
                     f"{project.code} to {target}. The office is supportive, so the move is allowed "
                     f"and recorded as a change by hand."),
        )
    if backed:
        return StageRuleCheck(True, backed_by_review=True)
    return StageRuleCheck(
        True, reason_required=True,
        message=(f"No approved gate review with every required criterion met backs the move of {project.code} "
                 f"to {target}. A controlling PMO records why: give a reason."),
    )


def change_stage_by_hand(session: Session, project_id: int, to_stage: str, reason: str | None,
                         expected_version: int | None, pmo_type: str | PmoType) -> HandStageChange:
    """Move a project to another stage outside a gate review, as the PMO type allows.

    Supportive: allowed, with a warning when no approved review backs it. Controlling: a reason
    is required unless an approved review met the gate's required criteria. Directive: refused.
    """
    try:
        target = Stage(to_stage)
    except ValueError:
        raise ValidationError(FieldError("to_stage", f"'{to_stage}' is not a stage.")) from None
    project = get_or_raise(session, Project, project_id)
    if project.stage == target.value:
        raise ValidationError(FieldError("to_stage", f"{project.code} is already at {target.label}."))
    check = check_stage_change(session, project_id, target.value, pmo_type)
    if not check.allowed:
        raise RuleError(check.message or DIRECTIVE_REFUSAL)
    reason = text_or_none(reason)
    if check.reason_required and reason is None:
        raise ValidationError(FieldError("reason", check.message or "Give a reason for the stage change."))
    from_stage = project.stage
    project = apply_changes(session, Project, project_id, {"stage": target.value}, expected_version)
    change = StageChange(
        project_id=project.id, from_stage=from_stage, to_stage=target.value, changed_on=dt.date.today(),
        changed_by=get_audit_context(session).actor, reason=reason,
    )
    session.add(change)
    flush_or_conflict(session, project)
    warning = check.message if PmoType(pmo_type) is PmoType.SUPPORTIVE else None
    return HandStageChange(project.id, from_stage, target.value, change.id, project.version, warning)


def undo_stage_change(session: Session, stage_change_id: int) -> None:
    """Withdraw a hand stage change: the project goes back and the StageChange is removed."""
    change = get_or_raise(session, StageChange, stage_change_id)
    _withdraw(session, change)
    session.flush()


# -- rules ---------------------------------------------------------------------------------
def unmet_required(session: Session, gate_id: int, results: Sequence[CriterionResultInput],
                   project_id: int) -> list[str]:
    """Names of the required criteria on the project's checklist at the gate that ``results`` do not mark met."""
    met = {r.criterion_id for r in results if r.met}
    methodology = get_or_raise(session, Project, project_id).methodology
    required = session.execute(
        select(GateCriterion.id, GateCriterion.name)
        .where(GateCriterion.gate_id == gate_id, GateCriterion.required.is_(True), applies_to(methodology))
        .order_by(GateCriterion.position, GateCriterion.id)
    )
    return [name for cid, name in required if cid not in met]


def _validate(session: Session, values: ReviewValues, current: GateReview | None) -> tuple[Project, Gate]:
    errors: list[FieldError] = []
    project = session.get(Project, values.project_id) if values.project_id is not None else None
    gate = session.get(Gate, values.gate_id) if values.gate_id is not None else None
    if project is None:
        errors.append(FieldError("project", "Choose the project under review."))
    if gate is None:
        errors.append(FieldError("gate", "Choose the gate the project is reviewed at."))
    if values.review_date is None:
        errors.append(FieldError("review_date", "Enter the date of the review."))
    elif values.review_date > dt.date.today():
        errors.append(FieldError("review_date", "The review date cannot be in the future: record a review once held."))
    decision = _decision(values.decision)
    if decision is None:
        errors.append(FieldError(
            "decision", "Choose a decision: approved, approved with conditions, deferred or rejected."))
    if project is not None and gate is not None:
        errors.extend(_gate_fits_project(session, project, gate, current))
        errors.extend(_results_belong_to_checklist(session, project, gate, values.results))
        if decision is not None:
            errors.extend(_decision_is_justified(session, project, gate, decision, values))
    errors.extend(_conditions_are_complete(values.conditions))
    if errors:
        raise ValidationError(errors)
    assert project is not None and gate is not None
    return project, gate


def _decision(value: str | None) -> Decision | None:
    try:
        return Decision(value) if value else None
    except ValueError:
        return None


def _gate_fits_project(session: Session, project: Project, gate: Gate, current: GateReview | None) -> list[FieldError]:
    if current is not None and current.project_id == project.id and current.gate_id == gate.id:
        return []
    stage = project.stage
    if current is not None and current.project_id == project.id:
        # The edited review's own move does not count: judge the stage the project had before it.
        move = _stage_change_of(session, current.id)
        if move is not None and move.from_stage:
            stage = move.from_stage
    if gate.from_stage == stage or _has_review_at(session, project.id, gate.id, exclude=current):
        return []
    right = session.scalar(select(Gate.name).where(Gate.from_stage == stage).order_by(Gate.position))
    hint = f" The gate out of {stage_label(stage)} is {right}." if right else ""
    return [FieldError(
        "gate",
        f"{gate.name} leads out of {stage_label(gate.from_stage)}, but {project.code} is at {stage_label(stage)}."
        f"{hint} A gate the project was already reviewed at can be re-reviewed at any time.",
    )]


def _has_review_at(session: Session, project_id: int, gate_id: int, exclude: GateReview | None) -> bool:
    query = select(GateReview.id).where(GateReview.project_id == project_id, GateReview.gate_id == gate_id)
    if exclude is not None:
        query = query.where(GateReview.id != exclude.id)
    return session.scalar(query.limit(1)) is not None


def _results_belong_to_checklist(session: Session, project: Project, gate: Gate,
                                 results: Sequence[CriterionResultInput]) -> list[FieldError]:
    own = set(session.scalars(
        select(GateCriterion.id).where(GateCriterion.gate_id == gate.id, applies_to(project.methodology))))
    if any(r.criterion_id not in own for r in results):
        return [FieldError("criteria", f"Some criterion results are not on {project.code}'s checklist at "
                                       f"{gate.name}: reload the checklist for this gate.")]
    return []


def _decision_is_justified(session: Session, project: Project, gate: Gate, decision: Decision,
                           values: ReviewValues) -> list[FieldError]:
    if decision is Decision.APPROVED:
        unmet = unmet_required(session, gate.id, values.results, project.id)
        if unmet:
            return [FieldError(
                "decision",
                f"Cannot approve {gate.name}: required criteria not met: {', '.join(unmet)}. Mark them met "
                "with evidence, or choose Approved with conditions and add at least one condition.",
            )]
    if decision is Decision.APPROVED_WITH_CONDITIONS and not any(c.text.strip() for c in values.conditions):
        return [FieldError("conditions",
                           "Approved with conditions needs at least one condition: what, who owns it, due when.")]
    return []


def _conditions_are_complete(conditions: Sequence[ConditionInput]) -> list[FieldError]:
    for number, condition in enumerate(conditions, start=1):
        if not condition.text.strip():
            return [FieldError("conditions", f"Condition {number} has no text: say what must be done, or remove it.")]
        if condition.met_on is not None and condition.met_on > dt.date.today():
            return [FieldError("conditions", f"Condition {number} cannot be met on a date in the future.")]
    return []


def _backed_by_approved_review(session: Session, project: Project, to_stage: str) -> bool:
    """Whether an approved review of the gate into ``to_stage`` met every required criterion of the checklist."""
    applies = applies_to(project.methodology)
    required = (
        select(func.count())
        .select_from(GateCriterion)
        .where(GateCriterion.gate_id == Gate.id, GateCriterion.required.is_(True), applies)
        .scalar_subquery()
    )
    required_met = (
        select(func.count())
        .select_from(GateCriterionResult)
        .join(GateCriterion, GateCriterion.id == GateCriterionResult.criterion_id)
        .where(
            GateCriterionResult.review_id == GateReview.id, GateCriterionResult.met.is_(True),
            GateCriterion.required.is_(True), GateCriterion.gate_id == Gate.id, applies,
        )
        .scalar_subquery()
    )
    passing = [d.value for d in Decision if d.passes]
    query = (
        select(GateReview.id)
        .join(Gate, Gate.id == GateReview.gate_id)
        .where(and_(GateReview.project_id == project.id, Gate.to_stage == to_stage,
                    GateReview.decision.in_(passing), required_met == required))
        .limit(1)
    )
    return session.scalar(query) is not None


# -- writing helpers -----------------------------------------------------------------------
def _set_review_fields(review: GateReview, values: ReviewValues) -> None:
    review.review_date = values.review_date
    review.decision = values.decision
    review.decided_by = text_or_none(values.decided_by)
    review.reviewers = text_or_none(values.reviewers)
    review.notes = text_or_none(values.notes)
    # Results and conditions belong to the review: touching the row on every save bumps its
    # version, so two people editing the same checklist get a conflict instead of a blend.
    review.updated_at = utcnow()


def _sync_results(session: Session, review: GateReview, results: Sequence[CriterionResultInput]) -> None:
    """Make the stored results match ``results``, updating rows in place (one per criterion)."""
    stored = {r.criterion_id: r for r in session.scalars(
        select(GateCriterionResult).where(GateCriterionResult.review_id == review.id))}
    wanted = {r.criterion_id: r for r in results}
    for criterion_id, row in stored.items():
        if criterion_id not in wanted:
            session.delete(row)
    for criterion_id, result in wanted.items():
        row = stored.get(criterion_id)
        if row is None:
            row = GateCriterionResult(review_id=review.id, criterion_id=criterion_id)
            session.add(row)
        row.met = bool(result.met)
        row.evidence = text_or_none(result.evidence)
    session.flush()
    session.expire(review, ["results"])


def _sync_conditions(session: Session, review: GateReview, conditions: Sequence[ConditionInput],
                     keep_ids: bool = False) -> None:
    """Update conditions with an id, add the others, remove the ones no longer listed.

    ``keep_ids`` (undo) re-creates a removed condition with its old id.
    """
    stored = {c.id: c for c in session.scalars(select(GateCondition).where(GateCondition.review_id == review.id))}
    listed = {c.id for c in conditions if c.id is not None}
    for condition_id, row in stored.items():
        if condition_id not in listed:
            session.delete(row)
    for condition in conditions:
        row = stored.get(condition.id) if condition.id is not None else None
        if row is None:
            row = GateCondition(review_id=review.id)
            if keep_ids and condition.id is not None:
                row.id = condition.id
            session.add(row)
        row.text = condition.text.strip()
        row.owner = text_or_none(condition.owner)
        row.due = condition.due
        row.met_on = condition.met_on
    session.flush()
    session.expire(review, ["conditions"])


def _move_through_gate(session: Session, review: GateReview, project: Project, gate: Gate) -> StageChange:
    change = StageChange(
        project_id=project.id, from_stage=project.stage, to_stage=gate.to_stage, changed_on=review.review_date,
        changed_by=get_audit_context(session).actor, review_id=review.id,
        reason=f"{gate.name}: {decision_label(review.decision).lower()}",
    )
    project.stage = gate.to_stage
    session.add(change)
    flush_or_conflict(session, project)
    return change


def _withdraw(session: Session, change: StageChange) -> None:
    """Put the project back where the move found it and remove the StageChange."""
    project = get_or_raise(session, Project, change.project_id)
    if project.stage != change.to_stage:
        raise RuleError(
            f"{project.code} has moved on to {stage_label(project.stage)} since it was moved to "
            f"{stage_label(change.to_stage)}, so its stage cannot be put back to "
            f"{stage_label(change.from_stage)}. Change the stage by hand if it should go back."
        )
    project.stage = change.from_stage or Stage.IDEA.value
    session.delete(change)
    flush_or_conflict(session, project)


def _redo_move(session: Session, move: StageChangeSnapshot) -> None:
    project = get_or_raise(session, Project, move.project_id)
    if project.stage != move.from_stage:
        raise RuleError(
            f"{project.code} is now at {stage_label(project.stage)}, not {stage_label(move.from_stage)}, "
            f"so the move to {stage_label(move.to_stage)} cannot be made again."
        )
    project.stage = move.to_stage
    session.add(StageChange(
        id=move.id, project_id=move.project_id, from_stage=move.from_stage, to_stage=move.to_stage,
        changed_on=move.changed_on, changed_by=move.changed_by, review_id=move.review_id, reason=move.reason,
    ))
    flush_or_conflict(session, project)


def _stage_change_of(session: Session, review_id: int) -> StageChange | None:
    return session.scalar(select(StageChange).where(StageChange.review_id == review_id).limit(1))


def _stage_change_snapshot(change: StageChange | None) -> StageChangeSnapshot | None:
    if change is None:
        return None
    return StageChangeSnapshot(change.id, change.project_id, change.from_stage, change.to_stage, change.changed_on,
                               change.changed_by, change.review_id, change.reason)


def _snapshot(session: Session, review: GateReview) -> ReviewSnapshot:
    results = session.scalars(
        select(GateCriterionResult).where(GateCriterionResult.review_id == review.id)
        .order_by(GateCriterionResult.criterion_id)
    )
    conditions = session.scalars(
        select(GateCondition).where(GateCondition.review_id == review.id)
        .order_by(GateCondition.due.is_(None), GateCondition.due, GateCondition.id)
    )
    values = ReviewValues(
        project_id=review.project_id, gate_id=review.gate_id, review_date=review.review_date,
        decision=review.decision, decided_by=review.decided_by, reviewers=review.reviewers, notes=review.notes,
        results=tuple(CriterionResultInput(r.criterion_id, r.met, r.evidence) for r in results),
        conditions=tuple(ConditionInput(c.text, c.owner, c.due, c.met_on, c.id) for c in conditions),
    )
    return ReviewSnapshot(review.id, review.version, values,
                          _stage_change_snapshot(_stage_change_of(session, review.id)))


def _comparable(values: ReviewValues) -> dict:
    """The fields a conflict dialog compares, as plain words."""
    return {
        "review date": values.review_date.isoformat() if values.review_date else None,
        "decision": decision_label(values.decision),
        "decided by": values.decided_by,
        "reviewers": values.reviewers,
        "criteria met": sum(1 for r in values.results if r.met),
        "conditions": "; ".join(c.text for c in values.conditions) or None,
    }


def _gate_info(gate: Gate) -> GateInfo:
    return GateInfo(gate.id, gate.name, gate.from_stage, gate.to_stage,
                    tuple(CriterionInfo(c.id, c.name, c.required, c.methodology) for c in gate.criteria))


__all__ = [
    "DIRECTIVE_REFUSAL", "ConditionChange", "ConditionInput", "CriterionInfo", "CriterionResultInput", "GateInfo",
    "HandStageChange", "ProjectChoice", "ReviewOutcome", "ReviewRow", "ReviewSnapshot", "ReviewValues",
    "StageChangeSnapshot", "StageRuleCheck", "applies_to", "change_stage_by_hand", "check_stage_change", "decision_label",
    "delete_review", "gates", "load_review", "next_gate", "project_choices", "record_review", "restore_review",
    "review_rows", "set_condition_met", "stage_label", "transition_label", "undo_stage_change", "unmet_required",
]
