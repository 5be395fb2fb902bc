"""How a save conflict on a person, allocation or absence reads in the shared conflict dialog."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from PySide6.QtWidgets import QWidget

from ...services.errors import ConflictError
from ...services.resources import format_day
from ..dialogs.conflict_dialog import resolve_conflict as ask_user

Resolution = Literal["mine", "theirs"] | None

FIELD_LABELS = {
    "name": "Name", "email": "Email", "role": "Role", "team": "Team", "capacity_hours": "Capacity (h/week)",
    "cost_rate": "Cost rate", "active": "Active", "project": "Project", "start_date": "From", "end_date": "To",
    "hours_per_week": "Hours per week", "notes": "Notes", "reason": "Reason", "version": "Version",
}


def resolve_conflict(parent: QWidget | None, error: ConflictError) -> Resolution:
    """"mine" to save over the stored values, "theirs" to drop the edits, None to keep editing."""
    return ask_user(parent, error, FIELD_LABELS, format_value)


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
