"""Undoable project and milestone edits: each runs a service call now and pushes its reverse.

Versions only ever go up, so an undo cannot expect the version its own edit left: a later edit
of the same row, or that edit's undo, has moved it on. Every command therefore reads and
writes one shared record of the version this window last left each row at (kept per undo
stack). An undo that finds the row at another version means someone else changed it: the
service raises ConflictError and the undo stack drops the command as obsolete.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from PySide6.QtGui import QUndoStack
from sqlalchemy.orm import Session

from ...services import portfolio as svc
from ..context import AppContext
from ..undo import run_undoable

_known_versions: weakref.WeakKeyDictionary[QUndoStack, dict[tuple[str, int], int]] = weakref.WeakKeyDictionary()


def _versions(ctx: AppContext) -> dict[tuple[str, int], int]:
    """(entity, id) -> the version the last undoable write in this window left the row at."""
    return _known_versions.setdefault(ctx.undo_stack, {})


class _Tracked:
    """One row as a command sees it: its id (which a restore may change) and its known version."""

    def __init__(self, ctx: AppContext, entity: str, row_id: int | None, version: int | None = None):
        self._versions = _versions(ctx)
        self.entity = entity
        self.id = row_id
        self._first_version = version

    @property
    def version(self) -> int | None:
        # The first run expects what the user saw; later runs what this window last wrote.
        if self._first_version is not None:
            return self._first_version
        return self._versions.get((self.entity, self.id)) if self.id is not None else None

    @version.setter
    def version(self, value: int) -> None:
        self._first_version = None
        if self.id is not None:
            self._versions[(self.entity, self.id)] = value


# -- projects ---------------------------------------------------------------------------------------

def create_project(ctx: AppContext, values: Mapping[str, Any]) -> int:
    """Create a project (undo deletes it; redo restores it exactly) and return its id."""
    row = _Tracked(ctx, "project", None)
    deleted: list[svc.ProjectSnapshot] = []

    def do(session: Session) -> int:
        if deleted:
            row.id = svc.restore_project(session, deleted.pop())
        else:
            row.id = svc.create_project(session, values)
        row.version = svc.project_version(session, row.id)
        return row.id

    def undo(session: Session, _result: Any) -> None:
        deleted.append(svc.delete_project(session, row.id, row.version))

    code = values.get("code") or "project"
    return run_undoable(ctx, f"New project {code}", do, undo, entity="project")


def update_project(ctx: AppContext, project_id: int, changes: Mapping[str, Any], expected_version: int,
                   text: str | None = None) -> int:
    """Save ``changes`` over ``expected_version`` (undo puts the old values back); return the new version."""
    row = _Tracked(ctx, "project", project_id, expected_version)
    changes = dict(changes)

    def do(session: Session) -> dict[str, Any]:
        stored = svc.get_project(session, project_id).values()
        row.version = svc.update_project(session, project_id, changes, row.version)
        return {key: stored[key] for key in changes}

    def undo(session: Session, before: dict[str, Any]) -> None:
        row.version = svc.update_project(session, project_id, before, row.version)

    run_undoable(ctx, text or "Edit project", do, undo, entity="project")
    return row.version


def delete_project(ctx: AppContext, project_id: int, expected_version: int, code: str) -> None:
    """Delete a project with its milestones and reports; undo re-creates them exactly."""
    row = _Tracked(ctx, "project", project_id, expected_version)

    def do(session: Session) -> svc.ProjectSnapshot:
        return svc.delete_project(session, row.id, row.version)

    def undo(session: Session, snapshot: svc.ProjectSnapshot) -> None:
        row.id = svc.restore_project(session, snapshot)
        row.version = snapshot.project["version"]

    run_undoable(ctx, f"Delete project {code}", do, undo, entity="project")


# -- milestones -------------------------------------------------------------------------------------

def add_milestone(ctx: AppContext, project_id: int, values: Mapping[str, Any]) -> int:
    """Add a milestone (undo deletes it; redo restores it) and return its id."""
    row = _Tracked(ctx, "milestone", None)
    deleted: list[dict[str, Any]] = []

    def do(session: Session) -> int:
        if deleted:
            row.id = svc.restore_milestone(session, deleted.pop())
        else:
            row.id = svc.add_milestone(session, project_id, values)
        row.version = svc.get_milestone(session, row.id).version
        return row.id

    def undo(session: Session, _result: Any) -> None:
        deleted.append(svc.delete_milestone(session, row.id, row.version))

    return run_undoable(ctx, f"Add milestone {values.get('name') or ''}".strip(), do, undo, entity="milestone")


def update_milestone(ctx: AppContext, milestone_id: int, changes: Mapping[str, Any], expected_version: int) -> int:
    """Save milestone ``changes`` (undo puts the old values back); return the new version."""
    row = _Tracked(ctx, "milestone", milestone_id, expected_version)
    changes = dict(changes)

    def do(session: Session) -> dict[str, Any]:
        stored = svc.milestone_values(svc.get_milestone(session, milestone_id))
        row.version = svc.update_milestone(session, milestone_id, changes, row.version)
        return {key: stored[key] for key in changes}

    def undo(session: Session, before: dict[str, Any]) -> None:
        row.version = svc.update_milestone(session, milestone_id, before, row.version)

    run_undoable(ctx, "Edit milestone", do, undo, entity="milestone")
    return row.version


def delete_milestone(ctx: AppContext, milestone_id: int, expected_version: int, name: str) -> None:
    """Delete a milestone; undo re-creates it exactly."""
    row = _Tracked(ctx, "milestone", milestone_id, expected_version)

    def do(session: Session) -> dict[str, Any]:
        return svc.delete_milestone(session, row.id, row.version)

    def undo(session: Session, values: dict[str, Any]) -> None:
        row.id = svc.restore_milestone(session, values)
        row.version = values["version"]

    run_undoable(ctx, f"Delete milestone {name}", do, undo, entity="milestone")
