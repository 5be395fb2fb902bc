"""Telling the user about failures and asking whose values win, for the Portfolio tab.

The shell's shared dialogs (pmo_desktop/ui/dialogs: ``ConflictDialog`` and ``show_error``) are
used when they are part of the build; without them a message box offers the same choices and
shows the same values, so the tab works either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any, Literal

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ...services.errors import ConflictError, ValidationError

try:  # the shell's dialogs
    from ..dialogs.conflict_dialog import ConflictChoice, ConflictDialog
    from ..dialogs.error_dialog import show_error as _shell_show_error
except ImportError:  # pragma: no cover - only while the shell's dialogs are not part of the build
    ConflictChoice = ConflictDialog = _shell_show_error = None

ConflictAnswer = Literal["mine", "theirs"] | None
Formatter = Callable[[str, Any], str]


def ask_conflict(parent: QWidget | None, error: ConflictError, labels: Mapping[str, str],
                 formatter: Formatter) -> ConflictAnswer:
    """"mine" (save over theirs), "theirs" (drop my changes) or None (decide later)."""
    if ConflictDialog is not None:
        choice = ConflictDialog.ask(error, labels=labels, formatter=formatter, parent=parent)
        return {ConflictChoice.KEEP_MINE: "mine", ConflictChoice.TAKE_THEIRS: "theirs"}.get(choice)
    return ask_conflict_with_message_box(parent, error, labels, formatter)


def ask_conflict_with_message_box(parent: QWidget | None, error: ConflictError, labels: Mapping[str, str],
                                  formatter: Formatter) -> ConflictAnswer:
    """The same question in a message box: both values per field, three buttons."""
    what = error.entity.replace("_", " ")
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Saved by someone else")
    if error.deleted:
        box.setText(f"Someone else deleted this {what} while you were editing it.")
    else:
        box.setText(f"Someone else saved this {what} after you opened it.")
    box.setInformativeText(describe_values(error, labels, formatter)
                           + "<p>Keep mine saves your values over theirs; Take theirs drops your changes.</p>")
    mine = box.addButton("Keep mine", QMessageBox.ButtonRole.AcceptRole)
    theirs = box.addButton("Take theirs", QMessageBox.ButtonRole.DestructiveRole)
    later = box.addButton("Decide later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(mine)
    box.setEscapeButton(later)
    box.exec()
    clicked = box.clickedButton()
    return "mine" if clicked is mine else "theirs" if clicked is theirs else None


def describe_values(error: ConflictError, labels: Mapping[str, str], formatter: Formatter) -> str:
    """Both sides of a conflict as an HTML table: field, your value, the stored value."""
    rows = "".join(
        f"<tr><td><b>{escape(labels.get(key, key.replace('_', ' ').capitalize()))}</b></td>"
        f"<td>{escape(formatter(key, error.mine.get(key)))}</td>"
        f"<td>{escape('(deleted)' if error.deleted else formatter(key, error.theirs.get(key)))}</td></tr>"
        for key in dict.fromkeys([*error.mine, *error.theirs])
    )
    head = "<tr><th align='left'>Field</th><th align='left'>Yours</th><th align='left'>Stored now</th></tr>"
    return f"<table cellspacing='6'>{head}{rows}</table>"


def show_error(parent: QWidget | None, exc: Exception) -> None:
    """An expected failure in plain words (the shell's dialog when present, else a warning box)."""
    if _shell_show_error is not None:
        _shell_show_error(parent, exc)
        return
    if isinstance(exc, ValidationError):
        text = "\n".join(f"• {e.message}" for e in exc.errors)
    else:
        text = str(exc) or type(exc).__name__
    QMessageBox.warning(parent or QApplication.activeWindow(), "Cannot do that", text)
