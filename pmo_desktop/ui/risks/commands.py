"""Undoable RAID edits: each is a pair of service calls pushed on the shared undo stack.

Undo and redo run long after the edit, when the item's version has moved on (an undo of a later
edit, a redo of this one). ``RaidCommands`` remembers the version of every item it last wrote,
so each step checks against that: a change made meanwhile by someone else is still a conflict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from ...services import escalation, raid
from ...services.escalation import Applied, Escalation
from ...services.raid import Conversion, RaidDraft, RaidSnapshot, SavedItem
from ..context import AppContext
from ..undo import run_undoable

ENTITY = "raid_item"


class RaidCommands:
    """Create, save, delete and convert RAID items through ``run_undoable``."""

    def __init__(self, ctx: AppContext):
        self._ctx = ctx
        self._versions: dict[int, int] = {}

    def _remember(self, saved: SavedItem) -> SavedItem:
        self._versions[saved.id] = saved.version
        return saved

    def _remember_linked(self, session: Session, snapshot: RaidSnapshot) -> None:
        # Deleting or restoring an issue also unlinks or relinks the risks it came from.
        self._versions.update(raid.versions_of(session, snapshot.linked_from))

    def _expect(self, item_id: int, version: int | None) -> None:
        # What the user is looking at is the freshest knowledge of the item's version.
        if version is not None:
            self._versions[item_id] = version

    def create(self, draft: RaidDraft, *, today: dt.date) -> SavedItem:
        """Add a new item; undo deletes it, redo brings back the very same row."""
        snapshot: list[RaidSnapshot] = []

        def do(session: Session) -> SavedItem:
            if snapshot:
                restored = snapshot.pop()
                saved = self._remember(raid.restore_item(session, restored))
                self._remember_linked(session, restored)
                return saved
            return self._remember(raid.create_item(session, draft, today=today))

        def undo(session: Session, saved: SavedItem) -> None:
            snapshot.append(raid.delete_item(session, saved.id, self._versions.get(saved.id, saved.version)))
            self._remember_linked(session, snapshot[-1])

        label = draft.ref or f"new {draft.kind}"
        return run_undoable(self._ctx, f"Add {label}", do, undo, entity=ENTITY)

    def save(self, item_id: int, changes: Mapping[str, Any], version: int | None, *, ref: str,
             today: dt.date, text: str | None = None) -> SavedItem:
        """Save field changes; undo puts back the stored values exactly."""
        self._expect(item_id, version)
        changes = dict(changes)

        def do(session: Session) -> SavedItem:
            return self._remember(
                raid.update_item(session, item_id, changes, self._versions.get(item_id), today=today))

        def undo(session: Session, saved: SavedItem) -> None:
            self._remember(raid.restore_fields(session, item_id, saved.before, self._versions.get(item_id)))

        return run_undoable(self._ctx, text or f"Edit {ref}", do, undo, entity=ENTITY)

    def delete(self, item_id: int, version: int | None, *, ref: str) -> RaidSnapshot:
        """Delete an item; undo restores it with its id, version and links."""
        self._expect(item_id, version)
        current = [item_id]

        def do(session: Session) -> RaidSnapshot:
            snapshot = raid.delete_item(session, current[0], self._versions.get(current[0]))
            self._remember_linked(session, snapshot)
            return snapshot

        def undo(session: Session, snapshot: RaidSnapshot) -> None:
            saved = self._remember(raid.restore_item(session, snapshot))
            self._remember_linked(session, snapshot)
            current[0] = saved.id

        return run_undoable(self._ctx, f"Delete {ref}", do, undo, entity=ENTITY)

    def convert_to_issue(self, risk_id: int, version: int | None, *, ref: str, today: dt.date) -> Conversion:
        """Turn a risk into an issue; undo removes the issue and reopens the risk."""
        self._expect(risk_id, version)

        def do(session: Session) -> Conversion:
            conversion = raid.convert_to_issue(session, risk_id, self._versions.get(risk_id), today=today)
            self._remember(SavedItem(conversion.risk_id, conversion.risk_version))
            self._remember(SavedItem(conversion.issue_id, conversion.issue_version))
            return conversion

        def undo(session: Session, conversion: Conversion) -> None:
            self._remember(raid.undo_conversion(
                session, conversion, risk_version=self._versions.get(risk_id),
                issue_version=self._versions.get(conversion.issue_id)))

        return run_undoable(self._ctx, f"Convert {ref} to an issue", do, undo, entity=ENTITY)

    def escalate(self, due: Sequence[Escalation], *, today: dt.date) -> list[Applied]:
        """Apply the escalations due (re-checked in the transaction); undo restores the previous levels."""
        due = list(due)

        def do(session: Session) -> list[Applied]:
            applied = escalation.apply_escalations(session, today, only=due)
            self._versions.update((a.escalation.item_id, a.version) for a in applied)
            return applied

        def undo(session: Session, applied: list[Applied]) -> None:
            restored = escalation.undo_escalations(session, applied)
            self._versions.update((a.escalation.item_id, a.version) for a in restored)

        count = len(due)
        text = f"Escalate {due[0].ref}" if count == 1 else f"Escalate {count} items"
        return run_undoable(self._ctx, text, do, undo, entity=ENTITY)
