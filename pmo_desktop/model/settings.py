"""Office settings: one row that travels with the data (window state lives in QSettings)."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Versioned, enum_check, range_check
from .enums import Cadence, DateOrder, PmoType

DEFAULT_COMPLIANCE_RULES: dict[str, dict] = {
    "missing_status_report": {"enabled": True, "grace_days": 5},
    "stage_without_gate": {"enabled": True},
    "required_fields": {"enabled": True},
    "high_risk_without_owner": {"enabled": True},
    "raid_overdue": {"enabled": True, "grace_days": 0},
    "red_without_escalation": {"enabled": True, "periods": 2},
    "forecast_over_budget": {"enabled": True, "tolerance_pct": 10},
    "milestone_rebaselined": {"enabled": True},
    "gate_conditions_overdue": {"enabled": True},
}


class OfficeSettings(Versioned, Base):
    """How this office works: PMO type, cadence, calendar, currency and thresholds."""

    __tablename__ = "office_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        enum_check("pmo_type", PmoType),
        enum_check("reporting_cadence", Cadence),
        enum_check("date_order", DateOrder),
        range_check("fiscal_year_start_month", 1, 12),
        range_check("risk_amber_score", 1, 25),
        range_check("risk_red_score", 1, 25),
        CheckConstraint("risk_red_score >= risk_amber_score", name="risk_bands_in_order"),
        CheckConstraint("rag_red_index <= rag_amber_index", name="rag_bands_in_order"),
        range_check("hours_per_day", 1, 24),
    )

    office_name: Mapped[str] = mapped_column(String(200), default="Project Management Office")
    pmo_type: Mapped[str] = mapped_column(String(20), default=PmoType.CONTROLLING.value)
    reporting_cadence: Mapped[str] = mapped_column(String(20), default=Cadence.MONTHLY.value)
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer, default=4)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    date_order: Mapped[str] = mapped_column(String(20), default=DateOrder.DAY_FIRST.value)
    hours_per_day: Mapped[float] = mapped_column(default=7.5)
    # SPI/CPI at or above amber_index is green; below red_index is red; between is amber.
    rag_amber_index: Mapped[float] = mapped_column(default=0.95)
    rag_red_index: Mapped[float] = mapped_column(default=0.85)
    # Slip in days beyond which the derived schedule RAG turns amber / red.
    slip_amber_days: Mapped[int] = mapped_column(Integer, default=14)
    slip_red_days: Mapped[int] = mapped_column(Integer, default=45)
    # Likelihood x impact at or above these scores is amber / red.
    risk_amber_score: Mapped[int] = mapped_column(Integer, default=8)
    risk_red_score: Mapped[int] = mapped_column(Integer, default=15)
    # Escalation: risk score, days an issue may be overdue.
    escalate_risk_score: Mapped[int] = mapped_column(Integer, default=20)
    escalate_issue_overdue_days: Mapped[int] = mapped_column(Integer, default=14)
    bench_utilisation_pct: Mapped[float] = mapped_column(default=50.0)
    compliance_rules: Mapped[dict] = mapped_column(JSON, default=lambda: {k: dict(v) for k, v in DEFAULT_COMPLIANCE_RULES.items()})

    @classmethod
    def defaults(cls) -> OfficeSettings:
        """An unsaved settings row with every column at its default (for a database without one)."""
        values = {}
        for column in cls.__table__.columns:
            default = column.default
            if column.key in ("id", "created_at", "updated_at") or default is None:
                continue
            if default.is_callable:
                values[column.key] = default.arg(None)
            elif default.is_scalar:
                values[column.key] = default.arg
        return cls(id=1, **values)

    @property
    def currency_symbol(self) -> str:
        return {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹", "CHF": "CHF "}.get(
            self.currency, self.currency + " "
        )
