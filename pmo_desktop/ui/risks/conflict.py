"""Asking the user whose values win when someone else saved a RAID item first.

The shared ``ConflictDialog`` shows both versions; this module gives it the RAID log's words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Literal

from PySide6.QtWidgets import QWidget

from ...model import Escalation, RaidKind, RaidStatus, RiskResponse
from ...services.errors import ConflictError
from ...services.raid import LIKELIHOOD_WORDS
from ..dialogs.conflict_dialog import resolve_conflict as ask_user

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


def resolve_conflict(parent: QWidget | None, error: ConflictError, labels: Mapping[str, str] | None = None,
                     formatter: Formatter | None = None) -> Choice:
    """"mine" to save over their change, "theirs" to take what is stored, None to keep editing."""
    return ask_user(parent, error, labels, formatter or raid_value_text)
