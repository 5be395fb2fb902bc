"""Asking the user what to do when someone else saved the same review first.

The shell's ``ConflictDialog`` (pmo_desktop/ui/dialogs/conflict_dialog.py) shows both sides field
by field; where that module is not installed, a message box offers the same three choices and
lists both values.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from ...services.errors import ConflictError


class Resolution(Enum):
    KEEP_MINE = "keep_mine"  # save my values again, over theirs
    TAKE_THEIRS = "take_theirs"  # drop my edits, show what is stored
    CANCEL = "cancel"  # keep my edits on screen, save nothing


def ask_conflict(parent: QWidget | None, error: ConflictError) -> Resolution:
    """Show the conflict and return the user's choice."""
    try:
        from ..dialogs.conflict_dialog import ConflictDialog
    except ImportError:
        return _ask_with_message_box(parent, error)
    return Resolution(ConflictDialog.ask(error, parent=parent).value)


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
