"""Office settings: read them, check a proposed change, and save it in one audited transaction.

The settings dialog validates as the user types with ``validate_settings`` (the same rules the
save applies), so the messages it shows inline are exactly the ones a save would raise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.orm import Session

from ..model.database import load_settings
from ..model.enums import Cadence, DateOrder, PmoType
from ..model.settings import OfficeSettings
from .base import apply_changes
from .defaults import ensure_office_settings
from .errors import FieldError, ValidationError

COMMON_CURRENCIES = ("GBP", "EUR", "USD", "CHF", "CAD", "AUD", "NZD", "JPY", "INR", "SEK", "NOK", "DKK", "ZAR",
                     "SGD")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")

# Bounds the user may choose from; the database constraints are wider or equal.
RAG_INDEX_RANGE = (0.5, 1.5)
SLIP_DAYS_RANGE = (0, 365)
RISK_SCORE_RANGE = (1, 25)
HOURS_PER_DAY_RANGE = (1.0, 24.0)


@dataclass(frozen=True, slots=True)
class SettingsValues:
    """The editable office settings, as plain values (what the dialog shows and saves)."""

    office_name: str
    pmo_type: str
    reporting_cadence: str
    fiscal_year_start_month: int
    currency: str
    date_order: str
    hours_per_day: float
    rag_amber_index: float
    rag_red_index: float
    slip_amber_days: int
    slip_red_days: int
    risk_amber_score: int
    risk_red_score: int
    escalate_risk_score: int
    escalate_issue_overdue_days: int

    @classmethod
    def from_settings(cls, settings: OfficeSettings) -> SettingsValues:
        defaults = OfficeSettings.__table__.c
        values = {}
        for f in fields(cls):
            value = getattr(settings, f.name)
            if value is None:  # an unsaved row: take the column default
                value = defaults[f.name].default.arg
            values[f.name] = value
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


EDITABLE_FIELDS = frozenset(f.name for f in fields(SettingsValues))

FIELD_LABELS: dict[str, str] = {
    "office_name": "Office name",
    "pmo_type": "PMO type",
    "reporting_cadence": "Reporting cadence",
    "fiscal_year_start_month": "Fiscal year starts",
    "currency": "Currency",
    "date_order": "Date order",
    "hours_per_day": "Hours per day",
    "rag_amber_index": "SPI/CPI amber below",
    "rag_red_index": "SPI/CPI red below",
    "slip_amber_days": "Slip amber after (days)",
    "slip_red_days": "Slip red after (days)",
    "risk_amber_score": "Risk amber from score",
    "risk_red_score": "Risk red from score",
    "escalate_risk_score": "Escalate risks from score",
    "escalate_issue_overdue_days": "Escalate issues overdue by (days)",
}


@dataclass(frozen=True, slots=True)
class StoredSettings:
    """The settings as stored now, with the version a save must match."""

    values: SettingsValues
    version: int | None


def read_settings(session: Session) -> StoredSettings:
    """The office settings and their version (None when the row was never saved)."""
    settings = load_settings(session)
    return StoredSettings(SettingsValues.from_settings(settings), settings.version)


def _in_range(errors: list[FieldError], name: str, value: float, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if not low <= value <= high:
        errors.append(FieldError(name, f"{FIELD_LABELS[name]} must be between {low:g} and {high:g}."))


def validate_settings(values: SettingsValues) -> list[FieldError]:
    """Every rule a set of settings must meet, as messages a coordinator understands."""
    errors: list[FieldError] = []
    if not values.office_name.strip():
        errors.append(FieldError("office_name", "Give the office a name; it appears on every report."))
    if values.pmo_type not in {t.value for t in PmoType}:
        errors.append(FieldError("pmo_type", "Choose supportive, controlling or directive."))
    if values.reporting_cadence not in {c.value for c in Cadence}:
        errors.append(FieldError("reporting_cadence", "Choose weekly or monthly reporting."))
    if values.date_order not in {d.value for d in DateOrder}:
        errors.append(FieldError("date_order", "Choose day-first or month-first dates."))
    if not 1 <= values.fiscal_year_start_month <= 12:
        errors.append(FieldError("fiscal_year_start_month", "The fiscal year must start in a month 1-12."))
    if not _CURRENCY_CODE.match(values.currency):
        errors.append(FieldError("currency", "Use a three-letter ISO currency code such as GBP, EUR or USD."))
    _in_range(errors, "hours_per_day", values.hours_per_day, HOURS_PER_DAY_RANGE)

    _in_range(errors, "rag_amber_index", values.rag_amber_index, RAG_INDEX_RANGE)
    _in_range(errors, "rag_red_index", values.rag_red_index, RAG_INDEX_RANGE)
    if values.rag_red_index > values.rag_amber_index:
        errors.append(FieldError(
            "rag_red_index",
            f"The red index ({values.rag_red_index:.2f}) must be at or below the amber index "
            f"({values.rag_amber_index:.2f}): a project turns amber first, then red.",
        ))
    _in_range(errors, "slip_amber_days", values.slip_amber_days, SLIP_DAYS_RANGE)
    _in_range(errors, "slip_red_days", values.slip_red_days, SLIP_DAYS_RANGE)
    if values.slip_red_days < values.slip_amber_days:
        errors.append(FieldError(
            "slip_red_days",
            f"Red slip ({values.slip_red_days} days) must be at least the amber slip "
            f"({values.slip_amber_days} days).",
        ))

    for name in ("risk_amber_score", "risk_red_score", "escalate_risk_score"):
        _in_range(errors, name, getattr(values, name), RISK_SCORE_RANGE)
    if values.risk_red_score < values.risk_amber_score:
        errors.append(FieldError(
            "risk_red_score",
            f"The red risk score ({values.risk_red_score}) must be at least the amber score "
            f"({values.risk_amber_score}).",
        ))
    if values.escalate_risk_score < values.risk_red_score:
        errors.append(FieldError(
            "escalate_risk_score",
            f"Escalation ({values.escalate_risk_score}) must start at or above the red score "
            f"({values.risk_red_score}): only red risks are escalated.",
        ))
    _in_range(errors, "escalate_issue_overdue_days", values.escalate_issue_overdue_days, SLIP_DAYS_RANGE)
    return errors


def update_settings(session: Session, changes: Mapping[str, Any], expected_version: int | None) -> int:
    """Save ``changes`` if the stored settings are still at ``expected_version``; return the new version.

    Raises ValidationError (nothing written) when a field is unknown or the result breaks a
    rule, and ConflictError when someone else saved the settings since they were read. The
    write is audited by the session like every other ORM change; run it in one transaction
    (``Database.transaction()`` / ``AppContext.write``).
    """
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise ValidationError([FieldError(name, "This setting cannot be changed here.") for name in unknown])
    if ensure_office_settings(session) is not None:
        session.flush()  # an office that never saved its settings starts from the defaults
        expected_version = None
    current = read_settings(session).values
    proposed = SettingsValues(**{**current.as_dict(), **changes})
    errors = validate_settings(proposed)
    if errors:
        raise ValidationError(errors)
    real_changes = {k: v for k, v in changes.items() if getattr(current, k) != v}
    settings = apply_changes(session, OfficeSettings, 1, real_changes, expected_version)
    return settings.version
