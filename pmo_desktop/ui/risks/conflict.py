"""Asking the user whose values win when someone else saved a RAID item first.

The shell's shared ``ConflictDialog`` (pmo_desktop/ui/dialogs/conflict_dialog.py) is used when it
is installed; without it a message box offers the same three choices with both values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from html import escape
from typing import Any, Literal

from PySide6.QtWidgets import QMessageBox, QWidget

from ...model import Escalation, RaidKind, RaidStatus, RiskResponse
from ...services.errors import ConflictError
from ...services.raid import LIKELIHOOD_WORDS

try:  # the shell's dialog
    from ..dialogs.conflict_dialog import ConflictChoice, ConflictDialog
except ImportError:  # pragma: no cover - only while the shell's dialog is not part of the build
    ConflictChoice = ConflictDialog = None

Choice = Literal["mine", "theirs"] | None
Formatter = Callable[[str, Any], str]

_ENUM_FIELDS = {"kind": RaidKind, "status": RaidStatus, "response": RiskResponse, "escalation": Escalation}
_DATE_FIELDS = {"raised", "due", "last_reviewed", "closed_on"}


def raid_value_text(field: str, value: Any, projects: Mapping[int, str] | None = None) -> str:
    """A stored RAID value in the words the panel uses ("4 · High", "In progress", "14 Mar 2026")."""
    if value is None or value == "":
        return "(empty)"
    if field in ("likelihood", "impact") and value in LIKELIHOOD_WORDS:
        return f"{value} · {LIKELIHOOD_WORDS[value]}"
    if field in _ENUM_FIELDS:
        enum = _ENUM_FIELDS[field]
        return enum(value).label if value in {m.value for m in enum} else str(value)
    if field in _DATE_FIELDS:
        try:
            return dt.date.fromisoformat(str(value)).strftime("%d %b %Y")
        except ValueError:
            return str(value)
    if field in ("project_id", "depends_on_project_id") and projects is not None:
        return projects.get(value, f"project {value}")
    return str(value)


def describe_values(error: ConflictError, labels: Mapping[str, str] | None = None,
                    formatter: Formatter | None = None) -> str:
    """Both sides of a conflict as an HTML table: field, your value, the stored value."""
    labels = labels or {}
    show = formatter or raid_value_text
    rows = "".join(
        f"<tr><td><b>{escape(labels.get(key, key.replace('_', ' ').capitalize()))}</b></td>"
        f"<td>{escape(show(key, error.mine.get(key)))}</td><td>{escape(show(key, error.theirs.get(key)))}</td></tr>"
        for key in dict.fromkeys([*error.mine, *error.theirs])
    )
    return ("<table cellspacing='6'><tr><th align='left'>Field</th><th align='left'>Yours</th>"
            f"<th align='left'>Saved by them</th></tr>{rows}</table>")


def ask_in_message_box(parent: QWidget | None, error: ConflictError, labels: Mapping[str, str] | None = None,
                       formatter: Formatter | None = None) -> Choice:
    """Keep mine / Use theirs / Cancel in a message box, with both values side by side."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Someone else saved this first")
    if error.deleted:
        box.setText("Someone else deleted this item since you opened it.")
        box.setInformativeText("Keep mine saves your version as a new item; Use theirs leaves it deleted.")
    else:
        box.setText("Someone else saved this item since you opened it.")
        box.setInformativeText(describe_values(error, labels, formatter))
    mine = box.addButton("Keep mine", QMessageBox.ButtonRole.AcceptRole)
    theirs = box.addButton("Use theirs", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(mine)
    box.exec()
    clicked = box.clickedButton()
    if clicked is mine:
        return "mine"
    if clicked is theirs:
        return "theirs"
    return None


def resolve_conflict(parent: QWidget | None, error: ConflictError, labels: Mapping[str, str] | None = None,
                     formatter: Formatter | None = None) -> Choice:
    """"mine" to save over their change, "theirs" to take what is stored, None to keep editing."""
    if ConflictDialog is None:
        return ask_in_message_box(parent, error, labels, formatter)
    choice = ConflictDialog.ask(error, labels, formatter or raid_value_text, parent)
    return {ConflictChoice.KEEP_MINE: "mine", ConflictChoice.TAKE_THEIRS: "theirs"}.get(choice)
