"""Undoable saves of the office's own setup: its settings, its standards library and its stage gates.

Each save runs its service call now and pushes the reverse onto the window's undo stack, as the
tabs' edits do (``ui.undo.run_undoable``): Edit > Undo puts back what was stored before the save,
Redo saves it again, each step in its own audited transaction.

Versions only ever go up, so an undo cannot expect the version its own save left: a later save of
the same record, or that save's undo, has moved it on. Every command reads and writes one shared
record of the version this window last left each record at (kept per undo stack). A step that
finds the record at another version means someone else saved it meanwhile: the service raises
``ConflictError`` and the undo stack drops the command as obsolete, saying why.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtGui import QUndoStack
from sqlalchemy.orm import Session

from ...services import gates as gt
from ...services import standards as st
from ...services.settings import FIELD_LABELS, read_settings, update_settings
from ..context import AppContext
from ..undo import DoFn, ServiceCommand, UndoFn, run_undoable

_known_versions: weakref.WeakKeyDictionary[QUndoStack, dict[tuple[str, Any], int | None]] = (
    weakref.WeakKeyDictionary())


class _Version:
    """The version a command's next step expects of one record: what the user saw, then what this window wrote."""

    def __init__(self, ctx: AppContext, entity: str, key: Any, seen: int | None):
        self._versions = _known_versions.setdefault(ctx.undo_stack, {})
        self._key = (entity, key)
        self._seen: list[int | None] = [seen]

    @property
    def expected(self) -> int | None:
        if self._seen:
            return self._seen[0]
        return self._versions.get(self._key)

    def wrote(self, version: int | None) -> None:
        self._seen.clear()
        self._versions[self._key] = version


# -- office settings --------------------------------------------------------------------------------

class _SettingsCommand(ServiceCommand):
    """A settings save: after each undo and redo the views read the settings again (the dialog does after a save)."""

    def __init__(self, ctx: AppContext, text: str, do: DoFn, undo: UndoFn, result: Any):
        super().__init__(ctx, text, do, undo, "office_settings", result)
        self._office = ctx
        self._pushed = False

    def redo(self) -> None:
        super().redo()
        if self._pushed:
            self._office.reload_settings()
        self._pushed = True

    def undo(self) -> None:
        super().undo()
        self._office.reload_settings()


def settings_text(changes: Mapping[str, Any]) -> str:
    """ "Edit office settings (Currency)", naming up to two of the changed settings."""
    labels = [FIELD_LABELS.get(name, name) for name in changes]
    shown = ", ".join(labels[:2]) + (f" and {len(labels) - 2} more" if len(labels) > 2 else "")
    return f"Edit office settings ({shown})" if shown else "Edit office settings"


def save_settings(ctx: AppContext, changes: Mapping[str, Any], expected_version: int | None) -> int:
    """Save the settings ``changes`` over ``expected_version`` (undo puts the old values back); return the version."""
    version = _Version(ctx, "office_settings", 1, expected_version)
    changes = dict(changes)

    def do(session: Session) -> dict[str, Any]:
        stored = read_settings(session).values.as_dict()
        version.wrote(update_settings(session, changes, version.expected))
        return {name: stored[name] for name in changes}

    def undo(session: Session, before: dict[str, Any]) -> None:
        version.wrote(update_settings(session, before, version.expected))

    command_result = ctx.write(do, entity="office_settings")
    ctx.undo_stack.push(_SettingsCommand(ctx, settings_text(changes), do, undo, command_result))
    saved = version.expected
    assert saved is not None
    return saved


# -- standards library ------------------------------------------------------------------------------

def save_standard(ctx: AppContext, methodology: str, description: str | None,
                  milestones: Sequence[st.MilestoneSpec], starter_raid: Sequence[st.RaidStarter],
                  expected_version: int | None) -> st.StandardInfo:
    """Save one methodology's standard (undo puts back the one stored before, or removes a new one)."""
    version = _Version(ctx, "methodology_standard", methodology, expected_version)
    milestones, starter_raid = tuple(milestones), tuple(starter_raid)
    saved: list[st.StandardInfo] = []

    def do(session: Session) -> st.StandardInfo | None:
        before = st.standard_for(session, methodology)
        info = st.save_standard(session, methodology, description, milestones, starter_raid, version.expected)
        version.wrote(info.version)
        saved[:] = [info]
        return before

    def undo(session: Session, before: st.StandardInfo | None) -> None:
        if before is None:
            st.delete_standard(session, methodology, version.expected)
            version.wrote(None)
            return
        info = st.save_standard(session, methodology, before.description, before.milestones, before.starter_raid,
                                version.expected)
        version.wrote(info.version)

    text = f"Edit standard '{st.methodology_label(methodology)}'"
    run_undoable(ctx, text, do, undo, entity="methodology_standard")
    return saved[0]


# -- stage gates ------------------------------------------------------------------------------------

def save_gate(ctx: AppContext, gate: gt.GateEntry, name: str, criteria: Sequence[gt.CriterionDraft],
              expected_version: int | None) -> gt.GateEntry:
    """Save the gate's name and criteria (undo puts back the gate as stored before); return it as saved.

    A criterion the save removed comes back on undo as a new row with the same name, place and
    settings (it had no review results: a criterion with results is never removed).
    """
    version = _Version(ctx, "gate", gate.id, expected_version)
    criteria = tuple(criteria)
    saved: list[gt.GateEntry] = []

    def run(session: Session, new_name: str, drafts: Sequence[gt.CriterionDraft]) -> gt.GateEntry:
        entry = gt.save_gate(session, gate.id, new_name, drafts, version.expected)
        version.wrote(entry.version)
        return entry

    def do(session: Session) -> gt.GateEntry:
        before = gt.gate_entry(session, gate.id)
        saved[:] = [run(session, name, criteria)]
        return before

    def undo(session: Session, before: gt.GateEntry) -> None:
        run(session, before.name, [c.draft() for c in before.criteria])

    run_undoable(ctx, f"Edit stage gate '{gate.name}'", do, undo, entity="gate")
    return saved[0]

