"""Asking the user whose values win when someone else saved an item first.

The shell's shared dialog (``pmo_desktop.ui.dialogs.conflict_dialog.resolve_conflict``) is used
when it is installed; until then a message box offers the same three choices with both values.
"""

from __future__ import annotations

from html import escape
from typing import Any, Literal

from PySide6.QtWidgets import QMessageBox, QWidget

from ...services.errors import ConflictError

Choice = Literal["mine", "theirs"] | None


def _show(value: Any) -> str:
    return "(empty)" if value in (None, "") else str(value)


def describe_values(error: ConflictError, labels: dict[str, str] | None = None) -> str:
    """Both sides of a conflict as an HTML table: field, your value, the stored value."""
    labels = labels or {}
    rows = "".join(
        f"<tr><td><b>{escape(labels.get(key, key.replace('_', ' ').capitalize()))}</b></td>"
        f"<td>{escape(_show(error.mine.get(key)))}</td><td>{escape(_show(error.theirs.get(key)))}</td></tr>"
        for key in sorted(set(error.mine) | set(error.theirs))
    )
    return ("<table cellspacing='6'><tr><th align='left'>Field</th><th align='left'>Yours</th>"
            f"<th align='left'>Saved by them</th></tr>{rows}</table>")


def ask_in_message_box(parent: QWidget | None, error: ConflictError, labels: dict[str, str] | None = None) -> Choice:
    """Keep mine / Use theirs / Cancel, with both values side by side."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Someone else saved this first")
    if error.deleted:
        box.setText("Someone else deleted this item since you opened it.")
        box.setInformativeText("Keep mine saves your version as a new item; Use theirs leaves it deleted.")
    else:
        box.setText("Someone else saved this item since you opened it.")
        box.setInformativeText(describe_values(error, labels))
    mine = box.addButton("Keep mine", QMessageBox.ButtonRole.AcceptRole)
    theirs = box.addButton("Use theirs", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(theirs)
    box.exec()
    clicked = box.clickedButton()
    if clicked is mine:
        return "mine"
    if clicked is theirs:
        return "theirs"
    return None


try:  # the shell's dialog, once it exists
    from ..dialogs.conflict_dialog import resolve_conflict as _shared_resolve
except ImportError:
    _shared_resolve = None


def resolve_conflict(parent: QWidget | None, error: ConflictError, labels: dict[str, str] | None = None) -> Choice:
    """"mine" to save over their change, "theirs" to take what is stored, None to keep editing."""
    if _shared_resolve is not None:
        return _shared_resolve(parent, error)
    return ask_in_message_box(parent, error, labels)
