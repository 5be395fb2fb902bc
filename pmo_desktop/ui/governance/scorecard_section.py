"""The Governance tab's "Scorecard" section: is the PMO delivering value?

Tiles give the success rate of closed projects and its three parts (on time, on budget, benefits
recorded); charts give the recent periods' average schedule slip, cost variance, gate decisions,
reporting compliance and utilisation; a table lists the closed projects as judged. Figures come
from ``analytics.scorecard``; the section reads them the first time it is shown and again when
data or settings change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ...analytics import governance as compliance
from ...analytics import scorecard as sc
from ..context import AppContext
from ..models.row_table_model import Column, Kind, RowTableModel
from ..theme import RAG_COLOURS
from ..widgets.chart_canvas import ChartCanvas
from .section import WATCHED, LazySection
from .tables import record_table

CHART_MIN_SIZE = (240, 90)
# Data that moves a scorecard figure besides the compliance rules' own: people and their allocations.
SCORECARD_WATCHED = WATCHED | {"allocation", "person", "absence", "holiday"}

OUTCOME_COLUMNS = (
    Column("code", "Project", Kind.TEXT, 66),
    Column("name", "Name", Kind.TEXT, 100),
    Column("closed_on", "Closed", Kind.DATE, 84),
    Column("slip", "Late", Kind.INT, 50, tooltip="Days the actual (or forecast) end fell after the baseline end"),
    Column("on_time", "On time", Kind.BOOL, 72),
    Column("on_budget", "Budget", Kind.BOOL, 62, tooltip="On budget, within the office's tolerance"),
    Column("benefits", "Benefits", Kind.BOOL, 68, tooltip="Expected benefits recorded"),
    Column("successful", "Success", Kind.BOOL, 74),
)


def outcome_rows(outcomes: tuple[sc.ProjectOutcome, ...]) -> list[tuple]:
    return [(o.project_id, o.code, o.name, o.closed_on, o.slip_days, o.on_time, o.on_budget, o.benefits_recorded,
             o.successful) for o in outcomes]


def _rate_colour(rate: float | None) -> str:
    if rate is None:
        return "gray"
    return RAG_COLOURS["G"] if rate >= 0.8 else RAG_COLOURS["A"] if rate >= 0.6 else RAG_COLOURS["R"]


def tile_html(title: str, rate: float | None, detail: str) -> str:
    """A tile: the title, the rate large in its colour (80% green, 60% amber), and the counts behind it."""
    shown = f"{rate:.0%}" if rate is not None else "—"
    return (f"<div style='color:gray'>{title}</div>"
            f"<div style='font-size:22pt; font-weight:600; color:{_rate_colour(rate)}'>{shown}</div>"
            f"<div style='color:gray'>{detail}</div>")


class ScorecardSection(LazySection):
    """Success of closed projects and the trends of the recent periods."""

    watched = SCORECARD_WATCHED

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 *, today: Callable[[], dt.date] = dt.date.today):
        super().__init__(ctx, parent)
        self.setObjectName("scorecard_section")
        self._today = today
        self.card: sc.Scorecard | None = None
        self.tiles = {key: self._tile(key) for key in ("success", "on_time", "on_budget", "benefits")}
        self.canvases = {key: self._canvas(key) for key in ("slip", "cost", "decisions", "reporting", "utilisation")}
        self.model = RowTableModel(OUTCOME_COLUMNS, self)
        self.table = record_table(self, self.model, "outcome_table", sort_column=2,
                                  sort_order=Qt.SortOrder.DescendingOrder)
        # The name takes what the figures leave, so every figure column shows without scrolling.
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._lay_out()

    def _tile(self, key: str) -> QLabel:
        tile = QLabel(self)
        tile.setObjectName(f"tile_{key}")
        tile.setTextFormat(Qt.TextFormat.RichText)
        tile.setAlignment(Qt.AlignmentFlag.AlignCenter)
        tile.setFrameShape(QFrame.Shape.StyledPanel)
        tile.setMinimumHeight(72)
        tile.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return tile

    def _canvas(self, key: str) -> ChartCanvas:
        canvas = ChartCanvas(self)
        canvas.setObjectName(f"{key}_chart")
        canvas.setMinimumSize(*CHART_MIN_SIZE)
        canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        return canvas

    def _lay_out(self) -> None:
        tiles = QHBoxLayout()
        tiles.setSpacing(8)
        for tile in self.tiles.values():
            tiles.addWidget(tile)
        grid = QGridLayout()
        grid.setSpacing(8)
        c = self.canvases
        for position, canvas in enumerate((c["slip"], c["cost"], c["decisions"], c["reporting"], c["utilisation"])):
            grid.addWidget(canvas, position // 3, position % 3)
        outcomes = QWidget(self)
        box = QVBoxLayout(outcomes)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(QLabel("<b>Closed projects</b>", outcomes))
        box.addWidget(self.table, 1)
        grid.addWidget(outcomes, 1, 2)
        for column, stretch in enumerate((3, 3, 4)):  # the last column holds the closed projects' table
            grid.setColumnStretch(column, stretch)
        self.note = QLabel(self)
        self.note.setObjectName("scorecard_note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: gray")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(tiles)
        layout.addWidget(self.note)
        layout.addLayout(grid, 1)

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Work the scorecard out again and redraw it."""
        today = self._today()
        settings = self._ctx.settings
        self.card = self._ctx.read(sc.scorecard, today, settings)
        self._mark_loaded()
        self._fill_tiles(self.card)
        self._draw(self.card)
        self.model.set_rows(outcome_rows(self.card.outcomes))

    def _fill_tiles(self, card: sc.Scorecard) -> None:
        s = card.success
        self.tiles["success"].setText(tile_html(
            "Closed projects successful", s.success_rate, f"{s.successful} of {s.closed} on time, on budget "
                                                           "and with benefits"))
        self.tiles["on_time"].setText(tile_html(
            "On time", s.on_time_rate, f"{s.on_time} of {s.on_time_known} with a baseline end"))
        self.tiles["on_budget"].setText(tile_html(
            "On budget", s.on_budget_rate, f"{s.on_budget} of {s.on_budget_known} with a budget "
                                           f"(tolerance {card.tolerance_pct:g}%)"))
        self.tiles["benefits"].setText(tile_html(
            "Benefits recorded", s.benefits_rate, f"{s.benefits} of {s.closed}"))
        self.note.setText(
            "On time: actual end (else forecast end) on or before the baseline end. On budget: actual cost (else "
            "forecast) within the over-budget tolerance. Trends: the status reports, allocations and gate "
            "decisions of each of the last periods.")

    def _draw(self, card: sc.Scorecard) -> None:
        from ...charts import governance as charts

        periods = card.periods
        c = self.canvases
        c["slip"].set_figure(charts.period_columns_figure(
            periods, lambda p: p.avg_slip_days, "Average schedule slip (days late)", lambda v: f"{v:+.0f}",
            signed=True))
        c["cost"].set_figure(charts.period_columns_figure(
            periods, lambda p: p.avg_cost_variance, "Average cost variance (forecast vs budget)",
            lambda v: f"{v:+.1%}", signed=True))
        c["decisions"].set_figure(charts.decisions_figure(periods))
        c["reporting"].set_figure(charts.reporting_trend_figure(
            [p.reporting for p in periods], compliance.REPORTING_TARGET))
        c["utilisation"].set_figure(charts.period_columns_figure(
            periods, lambda p: p.utilisation, "Utilisation (allocated / available hours)", lambda v: f"{v:.0%}"))
