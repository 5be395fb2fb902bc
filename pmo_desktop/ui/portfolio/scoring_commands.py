"""Undoable strategic-scoring and scenario edits: scores, criteria, and the scenario planner's writes.

A score row's version moves on with every save, so a command checks values rather than
versions when it runs again: an undo puts the old score back only while the score is still the
one this command saved (else someone else changed it, and the undo stack drops the command).
Scenario commands do the same with the scenario's fields and entry states; the undo of an
approval relies on the versions the approval recorded (``services.scenarios.withdraw_approval``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...model import ProjectScore
from ...services import scenarios as svc
from ...services import scoring
from ...services.errors import ConflictError
from ..context import AppContext
from ..undo import run_undoable


def _versions_if_unchanged(session: Session, project_id: int, criterion_id: int,
                           expected: float | None, name: str) -> dict[int, int | None]:
    """The stored score's version, if the score is still ``expected``; else ConflictError."""
    row = session.scalar(select(ProjectScore).where(ProjectScore.project_id == project_id,
                                                    ProjectScore.criterion_id == criterion_id))
    stored = row.score if row is not None else None
    if stored != expected:
        raise ConflictError("project_score", project_id, {name: expected}, {name: stored})
    return {criterion_id: row.version if row is not None else None}


def set_score(ctx: AppContext, project_id: int, code: str, criterion_id: int, name: str,
              value: float | None, versions: Mapping[int, int | None]) -> None:
    """Set one score (None clears it) over the versions the user saw; undo puts the old score back."""
    first: list[Mapping[int, int | None]] = [versions]
    before: list[float | None] = []

    def do(session: Session) -> float | None:
        expected = first.pop() if first else _versions_if_unchanged(session, project_id, criterion_id,
                                                                    before[0], name)
        old = scoring.set_scores(session, project_id, {criterion_id: value}, expected)[criterion_id]
        before[:] = [old]
        return old

    def undo(session: Session, old: float | None) -> None:
        expected = _versions_if_unchanged(session, project_id, criterion_id, value, name)
        scoring.set_scores(session, project_id, {criterion_id: old}, expected)

    shown = "not scored" if value is None else f"{value:g}"
    run_undoable(ctx, f"Score {code} on {name}: {shown}", do, undo, entity="project_score")


def create_criterion(ctx: AppContext, values: Mapping[str, Any]) -> int:
    """Add a criterion (undo deletes it; redo restores it with its id)."""
    state: dict[str, Any] = {}

    def do(session: Session) -> int:
        snapshot = state.pop("snapshot", None)
        state["id"] = (scoring.restore_criterion(session, snapshot) if snapshot is not None
                       else scoring.create_criterion(session, values))
        return state["id"]

    def undo(session: Session, _result: Any) -> None:
        state["snapshot"] = scoring.delete_criterion(session, state["id"], None)

    return run_undoable(ctx, f"New criterion {values.get('name') or ''}".strip(), do, undo,
                        entity="strategic_criterion")


def update_criterion(ctx: AppContext, criterion_id: int, changes: Mapping[str, Any], expected_version: int) -> None:
    """Save criterion ``changes``; undo puts the old values back."""
    changes = dict(changes)
    first = [expected_version]

    def do(session: Session) -> dict[str, Any]:
        current = scoring.get_criterion(session, criterion_id)
        old = {key: getattr(current, key) for key in changes}
        scoring.update_criterion(session, criterion_id, changes, first.pop() if first else None)
        return old

    def undo(session: Session, old: dict[str, Any]) -> None:
        current = scoring.get_criterion(session, criterion_id)
        if any(getattr(current, key) != value for key, value in scoring_values(changes).items()):
            raise ConflictError("strategic_criterion", criterion_id, old, {k: getattr(current, k) for k in old})
        scoring.update_criterion(session, criterion_id, old, None)

    run_undoable(ctx, "Edit criterion", do, undo, entity="strategic_criterion")


def scoring_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Criterion changes as stored (trimmed text, weight as a float) to compare with what is stored."""
    result = dict(changes)
    if "name" in result:
        result["name"] = str(result["name"] or "").strip()
    if "weight" in result and result["weight"] is not None:
        result["weight"] = float(result["weight"])
    if "description" in result:
        result["description"] = str(result["description"] or "").strip() or None
    return result


def delete_criterion(ctx: AppContext, criterion_id: int, expected_version: int, name: str) -> None:
    """Delete a criterion and its scores; undo re-creates both."""
    state: dict[str, Any] = {"id": criterion_id}
    first = [expected_version]

    def do(session: Session) -> scoring.CriterionSnapshot:
        return scoring.delete_criterion(session, state["id"], first.pop() if first else None)

    def undo(session: Session, snapshot: scoring.CriterionSnapshot) -> None:
        state["id"] = scoring.restore_criterion(session, snapshot)

    run_undoable(ctx, f"Delete criterion {name}", do, undo, entity="strategic_criterion")


# -- scenarios --------------------------------------------------------------------------------------

def save_scenario(ctx: AppContext, scenario_id: int, values: dict[str, Any], states: dict[int, svc.EntryState],
                  expected_version: int) -> None:
    """Save the planner's fields and boxes as one undoable command (undo puts the stored ones back).

    An undo or redo first checks that the scenario is still as this command left it; if someone
    else saved it since, it raises ConflictError and the undo stack drops the command.
    """
    first = [expected_version]
    saved: list[svc.ScenarioState] = []

    def do(session: Session) -> svc.ScenarioState:
        before = svc.scenario_state(session, scenario_id)
        if not first:
            _expect(scenario_id, before, saved[0] if saved else None)
        svc.save_state(session, scenario_id, values, states, first.pop() if first else None)
        saved[:] = [svc.scenario_state(session, scenario_id)]
        return before

    def undo(session: Session, before: svc.ScenarioState) -> None:
        _expect(scenario_id, svc.scenario_state(session, scenario_id), saved[0])
        svc.save_state(session, scenario_id, before.values, before.states, None)
        saved[:] = [before]

    run_undoable(ctx, f"Save scenario {values.get('name') or ''}".strip(), do, undo, entity="scenario")


def remove_candidates(ctx: AppContext, scenario_id: int, project_ids: list[int], codes: list[str],
                      expected_version: int) -> None:
    """Take projects off a scenario's candidates; undo puts them back with their In and Pin boxes."""
    first = [expected_version]
    saved: list[svc.ScenarioState] = []

    def do(session: Session) -> dict[int, svc.EntryState]:
        if not first:
            _expect(scenario_id, svc.scenario_state(session, scenario_id), saved[0] if saved else None)
        removed, _version = svc.remove_candidates(session, scenario_id, project_ids, first.pop() if first else None)
        saved[:] = [svc.scenario_state(session, scenario_id)]
        return removed

    def undo(session: Session, removed: dict[int, svc.EntryState]) -> None:
        _expect(scenario_id, svc.scenario_state(session, scenario_id), saved[0])
        svc.restore_candidates(session, scenario_id, removed, None)
        saved[:] = [svc.scenario_state(session, scenario_id)]

    shown = ", ".join(codes[:3]) + (f" and {len(codes) - 3} more" if len(codes) > 3 else "")
    run_undoable(ctx, f"Remove {shown} from the scenario", do, undo, entity="scenario")


def approve_scenario(ctx: AppContext, scenario_id: int, name: str, expected_version: int) -> svc.Approval:
    """Approve a saved scenario; undo withdraws the approval with the stage moves and reviews it made.

    The undo is refused (and dropped from the stack) when any moved project changed since.
    """
    first = [expected_version]
    withdrawn: list[int] = []

    def do(session: Session) -> svc.Approval:
        return svc.approve(session, scenario_id, first.pop() if first else withdrawn[0])

    def undo(session: Session, approval: svc.Approval) -> None:
        withdrawn[:] = [svc.withdraw_approval(session, approval)]

    return run_undoable(ctx, f"Approve scenario {name}", do, undo, entity="*")


def _expect(scenario_id: int, current: svc.ScenarioState, wanted: svc.ScenarioState | None) -> None:
    if wanted is not None and current != wanted:
        raise ConflictError("scenario", scenario_id, {}, {"name": current.values.get("name")})
