"""The project panel's earned-value box: PV, EV, AC, variances, indices, forecasts, slip and RAGs.

A compact grid of caption/value pairs above the panel's tabs, filled from
``analytics.portfolio.ProjectKpis``. Values a coordinator should notice are coloured: negative
variances, indices in the amber or red band, and the derived RAG beside the reported one, whose
tooltip explains how the derived RAG was reached.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from ...analytics.portfolio import ProjectKpis, Thresholds, index_band, slip_band
from ..models.row_table_model import Column, Kind, format_value
from ..theme import RAG_COLOURS, RAG_LABELS, rag_text_colour

_MONEY = Column("money", "Money", Kind.MONEY)
_BAD = "#b03a2e"
_WARN = "#9a6400"
_BAND_COLOURS = {"R": _BAD, "A": _WARN}

# key, caption, tooltip; laid out four pairs to a row.
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("pv", "PV", "Planned value: the budget planned to be earned by the as-of date"),
    ("ev", "EV", "Earned value: budget x percent complete"),
    ("ac", "AC", "Actual cost to date"),
    ("sv", "SV", "Schedule variance: EV - PV (negative is behind plan)"),
    ("cv", "CV", "Cost variance: EV - AC (negative is over cost)"),
    ("spi", "SPI", "Schedule performance index: EV / PV (below 1 is behind plan)"),
    ("cpi", "CPI", "Cost performance index: EV / AC (below 1 is over cost)"),
    ("tcpi", "TCPI", "To-complete performance index: (BAC - EV) / (BAC - AC), the efficiency the rest needs"),
    ("eac", "EAC", "Estimate at completion: the forecast cost when given, else BAC / CPI"),
    ("vac", "VAC", "Variance at completion: BAC - EAC (negative is over budget)"),
    ("slip_days", "Slip", "Forecast end minus baseline end"),
    ("milestone_hit_rate", "Milestones", "Milestones achieved on or before their baseline date, of those due so far"),
)
"""The figures in the grid, in reading order."""

_COLUMNS = 4
_MONEY_KEYS = frozenset({"pv", "ev", "ac", "sv", "cv", "eac", "vac"})


def compact_money(amount: float, currency: str = "£") -> str:
    """An amount short enough for the grid: £2.19m, £733k, £950 (the exact figure is in the tooltip)."""
    sign = "-" if amount < 0 else ""
    size = abs(amount)
    if size >= 999_500:
        return f"{sign}{currency}{size / 1_000_000:,.2f}m"
    if size >= 10_000:
        return f"{sign}{currency}{size / 1_000:,.0f}k"
    return f"{sign}{currency}{size:,.0f}"


class ProjectKpiGrid(QGroupBox):
    """Shows one project's ``ProjectKpis`` (or dashes when there is none)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Performance", parent)
        self.setObjectName("kpi_group")
        self.currency = "£"
        self.thresholds = Thresholds()
        self._kpis: ProjectKpis | None = None
        self._values: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 4, 8, 6)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        for i, (key, caption, tooltip) in enumerate(FIGURES):
            row, pair = divmod(i, _COLUMNS)
            label = self._caption(caption, tooltip)
            if pair:
                label.setIndent(14)  # air between one pair's value and the next pair's caption
            grid.addWidget(label, row, pair * 2)
            value = QLabel("–", self)
            value.setObjectName(f"kpi_{key}")
            value.setToolTip(tooltip)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            font = value.font()
            font.setBold(True)
            value.setFont(font)
            value.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
            self._values[key] = value
            grid.addWidget(value, row, pair * 2 + 1)
        for pair in range(_COLUMNS):
            grid.setColumnStretch(pair * 2 + 1, 1)

        rag_row = QHBoxLayout()
        rag_row.setSpacing(6)
        rag_row.addWidget(self._caption("Derived RAG", "Worst of the SPI, CPI and slip bands set in the office settings"))
        self.derived_rag_label = self._chip("kpi_derived_rag")
        rag_row.addWidget(self.derived_rag_label)
        rag_row.addSpacing(10)
        rag_row.addWidget(self._caption("Reported", "The RAG of the latest status report (or the project's own)"))
        self.reported_rag_label = self._chip("kpi_reported_rag")
        rag_row.addWidget(self.reported_rag_label)
        rag_row.addSpacing(10)
        self.disagree_label = QLabel(self)
        self.disagree_label.setObjectName("kpi_rag_disagrees")
        self.disagree_label.setStyleSheet(f"color: {_BAD}; font-weight: bold;")
        rag_row.addWidget(self.disagree_label)
        rag_row.addStretch(1)
        grid.addLayout(rag_row, len(FIGURES) // _COLUMNS, 0, 1, _COLUMNS * 2)
        self.show_kpis(None)

    def _caption(self, text: str, tooltip: str) -> QLabel:
        label = QLabel(text, self)
        label.setToolTip(tooltip)
        label.setProperty("role", "hint")
        return label

    def _chip(self, name: str) -> QLabel:
        chip = QLabel(self)
        chip.setObjectName(name)
        chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        chip.setMinimumWidth(64)
        return chip

    # -- showing -----------------------------------------------------------------------------------
    @property
    def kpis(self) -> ProjectKpis | None:
        """The figures shown (None when the panel shows no project)."""
        return self._kpis

    def value_text(self, key: str) -> str:
        """The text shown for figure ``key`` (a key of ``FIGURES``)."""
        return self._values[key].text()

    def show_kpis(self, kpis: ProjectKpis | None) -> None:
        """Show ``kpis``; None shows dashes (no project, or a new one not yet saved)."""
        self._kpis = kpis
        as_of = kpis.as_of if kpis else None
        self.setTitle(f"Performance as of {as_of:%d %b %Y}" if isinstance(as_of, dt.date) else "Performance")
        tooltips = {key: tooltip for key, _caption, tooltip in FIGURES}
        for key, label in self._values.items():
            text, colour = self._format(key, kpis)
            label.setText(text)
            label.setStyleSheet(f"color: {colour};" if colour else "")
            value = getattr(kpis, key) if kpis else None
            exact = format_value(_MONEY, value, self.currency) if key in _MONEY_KEYS and value is not None else ""
            label.setToolTip(f"{tooltips[key]}: {exact}" if exact else tooltips[key])
        self._set_chip(self.derived_rag_label, kpis.derived_rag if kpis else None, "not derivable")
        self._set_chip(self.reported_rag_label, kpis.reported_rag if kpis else None, "not reported")
        explanation = kpis.rag_explanation() if kpis else ""
        for label in (self.derived_rag_label, self.reported_rag_label, self.disagree_label):
            label.setToolTip(explanation)
        self.disagree_label.setText("≠ RAGs disagree" if kpis and kpis.rag_disagrees else "")

    def _format(self, key: str, kpis: ProjectKpis | None) -> tuple[str, str | None]:
        """The text and (for figures to notice) the colour of one figure."""
        value = getattr(kpis, key) if kpis else None
        if value is None:
            return "–", None
        if key in ("spi", "cpi"):
            return f"{value:.2f}", _BAND_COLOURS.get(index_band(value, self.thresholds) or "")
        if key == "tcpi":
            # Above about 1.1 the remaining work must run markedly better than most projects ever do.
            return f"{value:.2f}", _BAD if value > 1.1 else None
        if key == "slip_days":
            text = f"{value:+,d} days" if value else "on time"
            return text, _BAND_COLOURS.get(slip_band(value, self.thresholds) or "")
        if key == "milestone_hit_rate":
            assert kpis is not None
            return f"{value:.0%} ({kpis.milestones_hit}/{kpis.milestones_due})", _WARN if value < 0.8 else None
        return compact_money(value, self.currency), _BAD if key in ("sv", "cv", "vac") and value < -0.5 else None

    @staticmethod
    def _set_chip(chip: QLabel, rag: str | None, empty: str) -> None:
        if rag in RAG_COLOURS:
            chip.setText(RAG_LABELS[rag])
            chip.setStyleSheet(f"background: {RAG_COLOURS[rag]}; color: {rag_text_colour(rag)};"
                               " border-radius: 3px; padding: 1px 8px; font-weight: bold;")
        else:
            chip.setText(empty)
            chip.setStyleSheet("color: palette(mid); padding: 1px 4px;")
