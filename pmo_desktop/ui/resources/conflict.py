"""Ask the user how to settle a save conflict: keep mine, take theirs, or decide later.

The shell's dialog (``ui/dialogs/conflict_dialog.py``) is used when it is there: its
``resolve_conflict(parent, error)`` if it offers one, else ``ConflictDialog.ask``. Without it a
plain message box shows both values and the same three choices.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from PySide6.QtWidgets import QMessageBox, QWidget

from ...services.errors import ConflictError
from ...services.resources import format_day

Resolution = Literal["mine", "theirs"] | None

FIELD_LABELS = {
    "name": "Name", "email": "Email", "role": "Role", "team": "Team", "capacity_hours": "Capacity (h/week)",
    "cost_rate": "Cost rate", "active": "Active", "project": "Project", "start_date": "From", "end_date": "To",
    "hours_per_week": "Hours per week", "notes": "Notes", "reason": "Reason", "version": "Version",
}


def resolve_conflict(parent: QWidget | None, error: ConflictError) -> Resolution:
    """"mine" to save over the stored values, "theirs" to drop the edits, None to keep editing."""
    try:
        from ..dialogs import conflict_dialog
    except ImportError:
        return _ask_with_message_box(parent, error)
    shell_resolve = getattr(conflict_dialog, "resolve_conflict", None)
    if shell_resolve is not None:
        return shell_resolve(parent, error)
    dialog_class = getattr(conflict_dialog, "ConflictDialog", None)
    if dialog_class is None:
        return _ask_with_message_box(parent, error)
    choice = dialog_class.ask(error, labels=FIELD_LABELS, formatter=format_value, parent=parent)
    return {"keep_mine": "mine", "take_theirs": "theirs"}.get(getattr(choice, "value", None))


def format_value(field: str, value: Any) -> str:
    """A stored value as the user reads it: "37.5 h/week", "12 Jan 2026", "Yes", "(empty)"."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field in ("capacity_hours", "hours_per_week") and isinstance(value, int | float):
        return f"{value:g} h/week"
    if field in ("start_date", "end_date") and isinstance(value, str):
        try:
            return format_day(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _ask_with_message_box(parent: QWidget | None, error: ConflictError) -> Resolution:
    what = error.entity.replace("_", " ")
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Someone else saved first")
    if error.deleted:
        box.setText(f"Someone else deleted this {what} while you were editing it.")
        box.setInformativeText("Keep mine saves your values again; Take theirs drops your changes.")
    else:
        box.setText(f"Another coordinator saved this {what} after you opened it.")
        rows = "".join(
            f"<tr><td>{FIELD_LABELS.get(key, key)}</td><td><b>{format_value(key, error.mine.get(key))}</b></td>"
            f"<td>{format_value(key, error.theirs.get(key))}</td></tr>"
            for key in dict.fromkeys([*error.mine, *error.theirs])
        )
        box.setInformativeText(
            "<table cellspacing='6'><tr><th align='left'>Field</th><th align='left'>Yours</th>"
            f"<th align='left'>Theirs</th></tr>{rows}</table>"
        )
    mine = box.addButton("Keep mine", QMessageBox.ButtonRole.AcceptRole)
    theirs = box.addButton("Take theirs", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(mine)
    box.exec()
    clicked = box.clickedButton()
    if clicked is mine:
        return "mine"
    if clicked is theirs:
        return "theirs"
    return None
