"""Asking the user what to do when someone else saved the same review first.

The shell's ``ui/dialogs/conflict_dialog.resolve_conflict`` is used when it is installed; until
then a message box offers the same three choices and shows both sets of values.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from ...services.errors import ConflictError


class Resolution(Enum):
    KEEP_MINE = "keep_mine"
    TAKE_THEIRS = "take_theirs"
    CANCEL = "cancel"


def ask_conflict(parent: QWidget | None, error: ConflictError) -> Resolution:
    """Show the conflict and return the user's choice."""
    try:
        from ..dialogs.conflict_dialog import resolve_conflict
    except ImportError:
        return _ask_with_message_box(parent, error)
    return _as_resolution(resolve_conflict(parent, error))


def _as_resolution(answer: object) -> Resolution:
    # Accept the shell dialog's answer whether it is an enum, a string or a bool-like code.
    text = str(getattr(answer, "value", getattr(answer, "name", answer))).lower()
    if "mine" in text:
        return Resolution.KEEP_MINE
    if "theirs" in text:
        return Resolution.TAKE_THEIRS
    return Resolution.CANCEL


def _ask_with_message_box(parent: QWidget | None, error: ConflictError) -> Resolution:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Someone else saved this first")
    box.setText(str(error))
    if error.deleted:
        advice = "Keep mine saves your version again as a new record; take theirs discards it."
    else:
        advice = "Keep mine saves your version over theirs; take theirs discards your changes."
    lines = [f"{key}: yours {_shown(error.mine.get(key))}, theirs {_shown(error.theirs.get(key))}"
             for key in dict.fromkeys([*error.mine, *error.theirs])]
    box.setInformativeText("\n".join([*lines, "", advice]) if lines else advice)
    mine = box.addButton("Keep mine", QMessageBox.ButtonRole.AcceptRole)
    theirs = box.addButton("Take theirs", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is mine:
        return Resolution.KEEP_MINE
    if clicked is theirs:
        return Resolution.TAKE_THEIRS
    return Resolution.CANCEL


def _shown(value: object) -> str:
    return "(empty)" if value in (None, "") else str(value)
