"""Asking the user what to do when someone else saved the same review first (the shared dialog)."""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QWidget

from ...services.errors import ConflictError
from ..dialogs.conflict_dialog import ConflictDialog


class Resolution(Enum):
    KEEP_MINE = "keep_mine"  # save my values again, over theirs
    TAKE_THEIRS = "take_theirs"  # drop my edits, show what is stored
    CANCEL = "cancel"  # keep my edits on screen, save nothing


def ask_conflict(parent: QWidget | None, error: ConflictError) -> Resolution:
    """Show both versions field by field and return the user's choice."""
    return Resolution(ConflictDialog.ask(error, parent=parent).value)
