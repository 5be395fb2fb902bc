"""The Governance tab's "Health" section: the compliance picture in four charts, and the decisions log.

Across the top: exceptions by rule and by project manager (click a bar to see those exceptions in
the Compliance section), reporting compliance per period against the office's target, and the
gate pipeline (projects per stage). Below, the decisions log: every gate decision with each of its
conditions, owner, due date and whether it was met, searchable and filterable.

Like the other sections it reads the database the first time it is shown, then whenever data or
settings change while it is on screen (or when next shown). matplotlib is imported on that first
read, not when the tab is built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from ...analytics import governance as compliance
from ...analytics.governance import CONDITION_STATES, DecisionEntry
from ...model.enums import Decision
from ..context import AppContext
from ..models.row_table_model import Column, Kind, RowTableModel
from ..widgets.chart_canvas import ChartCanvas
from ..widgets.filter_bar import FilterBar
from .compliance_table_model import RULE_COLOURS
from .section import LazySection
from .tables import record_table

CHART_MIN_SIZE = (240, 120)
MANAGERS_SHOWN = 10
DECISION_LABELS = {d.value: d.label for d in Decision}
STATE_COLOURS = {"met": "#5cb85c", "open": "#2f6fbd", "overdue": "#d9534f"}

COLUMNS = (
    Column("review_date", "Date", Kind.DATE, 90),
    Column("project_code", "Project", Kind.TEXT, 76),
    Column("project_name", "Project name", Kind.TEXT, 190),
    Column("gate", "Gate", Kind.TEXT, 140),
    Column("decision", "Decision", Kind.TEXT, 170, labels=DECISION_LABELS),
    Column("decided_by", "Decided by", Kind.TEXT, 130),
    Column("condition", "Condition", Kind.TEXT, 300, describe=lambda row: row[7]),
    Column("owner", "Owner", Kind.TEXT, 120),
    Column("due", "Due", Kind.DATE, 90),
    Column("state", "Condition met?", Kind.TEXT, 110, labels=CONDITION_STATES,
           describe=lambda row: f"Met on {row[11]:%d %b %Y}" if row[11] else None),
)
(COL_DATE, COL_PROJECT, COL_NAME, COL_GATE, COL_DECISION, COL_DECIDED_BY, COL_CONDITION, COL_OWNER, COL_DUE,
 COL_STATE) = range(len(COLUMNS))


def log_rows(entries: list[DecisionEntry]) -> list[tuple]:
    """Tuples for the decisions log: the entry's position first, the shown columns, then the met date."""
    return [
        (i, e.review_date, e.project_code, e.project_name, e.gate, e.decision, e.decided_by, e.condition, e.owner,
         e.due, e.state, e.met_on)
        for i, e in enumerate(entries)
    ]


class DecisionLogModel(RowTableModel):
    """The decisions log: the condition state in its colour."""

    def __init__(self, parent=None):
        super().__init__(COLUMNS, parent)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if index.isValid() and index.column() == COL_STATE and role == Qt.ItemDataRole.ForegroundRole:
            colour = STATE_COLOURS.get(self.row_tuple(index.row())[COL_STATE + 1])
            return QColor(colour) if colour else None
        return super().data(index, role)


class DashboardSection(LazySection):
    """Health charts over the compliance exceptions and the decisions log.

    ``rule_requested(rule)`` and ``manager_requested(manager)`` are emitted when a bar is clicked,
    for the tab to show the Compliance section filtered to it.
    """

    rule_requested = Signal(str)
    manager_requested = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 *, today: Callable[[], dt.date] = dt.date.today):
        super().__init__(ctx, parent)
        self.setObjectName("dashboard_section")
        self._today = today
        self.summary: compliance.ComplianceSummary | None = None
        self.entries: list[DecisionEntry] = []
        self.rule_chart = None  # charts.governance.HorizontalBars once loaded
        self.manager_chart = None

        self.headline = QLabel(self)
        self.headline.setObjectName("dashboard_headline")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.rule_canvas = self._canvas("rule_chart", clickable=True)
        self.manager_canvas = self._canvas("manager_chart", clickable=True)
        self.reporting_canvas = self._canvas("reporting_chart")
        self.pipeline_canvas = self._canvas("pipeline_chart")
        self.model = DecisionLogModel(self)
        self.table = record_table(self, self.model, "decision_log_table", sort_column=COL_DATE,
                                  sort_order=Qt.SortOrder.DescendingOrder, stretch_last=True)
        self.filter_bar = FilterBar(self.model, "decisions and conditions", self)
        self.filter_bar.setObjectName("decision_log_filter_bar")
        self.filter_bar.add_choice(COL_DECISION, "Decisions", list(DECISION_LABELS), DECISION_LABELS)
        self.filter_bar.add_choice(COL_STATE, "Conditions", list(CONDITION_STATES), CONDITION_STATES)
        self._lay_out()

        self.rule_canvas.pressed.connect(self._on_rule_canvas_pressed)
        self.manager_canvas.pressed.connect(self._on_manager_canvas_pressed)
        self.rule_canvas.moved.connect(lambda event: self._show_bar_tip(self.rule_chart, self.rule_canvas, event))
        self.manager_canvas.moved.connect(
            lambda event: self._show_bar_tip(self.manager_chart, self.manager_canvas, event))

    # -- building ------------------------------------------------------------------------------
    def _canvas(self, name: str, *, clickable: bool = False) -> ChartCanvas:
        canvas = ChartCanvas(self)
        canvas.setObjectName(name)
        canvas.setMinimumSize(*CHART_MIN_SIZE)
        canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        if clickable:
            canvas.setCursor(Qt.CursorShape.PointingHandCursor)
        return canvas

    def _lay_out(self) -> None:
        charts = QGridLayout()
        charts.setHorizontalSpacing(8)
        for column, canvas in enumerate((self.rule_canvas, self.manager_canvas, self.reporting_canvas,
                                         self.pipeline_canvas)):
            charts.addWidget(canvas, 0, column)
            charts.setColumnStretch(column, 1)
        log_title = QLabel("<b>Decisions log</b> — every gate decision and its conditions", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.headline)
        layout.addLayout(charts, 0)
        layout.addWidget(log_title)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.table, 1)

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the exceptions, rates, pipeline and decisions again and redraw."""
        today = self._today()
        settings = self._ctx.settings

        def read(session):
            found = compliance.compliance_exceptions(session, today, settings)
            return (compliance.compliance_summary(session, today, settings, found),
                    compliance.stage_pipeline(session), compliance.decision_log(session, today))

        self.summary, pipeline, self.entries = self._ctx.read(read)
        self._mark_loaded()
        self.headline.setText(self._headline(today))
        self._draw(pipeline)
        self.model.set_rows(log_rows(self.entries))
        self.filter_bar.refresh_choices()
        self.filter_bar.update_count()

    def _headline(self, today: dt.date) -> str:
        summary = self.summary
        assert summary is not None
        latest = next((r for r in reversed(summary.reporting) if r.rate is not None), None)
        reporting = (f" · {latest.rate:.0%} of {latest.label}'s status reports received"
                     f" (target {compliance.REPORTING_TARGET:.0%})" if latest else "")
        open_conditions = sum(1 for e in self.entries if e.state in ("open", "overdue"))
        return (f"<b>Health on {today:%d %b %Y}:</b> {summary.total:,} exception{'s' if summary.total != 1 else ''}"
                f"{reporting} · {open_conditions:,} gate condition{'s' if open_conditions != 1 else ''} still open"
                " &nbsp;<span style='color:gray'>Click a bar to see those exceptions.</span>")

    def _draw(self, pipeline) -> None:
        from ...charts import governance as charts

        summary = self.summary
        assert summary is not None
        if self.rule_chart is None:
            self.rule_chart = charts.HorizontalBars()
            self.manager_chart = charts.HorizontalBars(label_inches=1.3)
            self.rule_canvas.set_figure(self.rule_chart.figure)
            self.manager_canvas.set_figure(self.manager_chart.figure)
        self.rule_chart.update("Exceptions by rule", charts.rule_bars(summary, RULE_COLOURS),
                               empty_text="No exceptions")
        bars, more = charts.manager_bars(summary, MANAGERS_SHOWN)
        title = "Exceptions by project manager" + (f" (top {len(bars)})" if more else "")
        self.manager_chart.update(title, bars, empty_text="No exceptions")
        self.rule_canvas.draw_idle()
        self.manager_canvas.draw_idle()
        self.reporting_canvas.set_figure(charts.reporting_trend_figure(summary.reporting, compliance.REPORTING_TARGET))
        self.pipeline_canvas.set_figure(charts.pipeline_figure(pipeline))

    # -- clicks --------------------------------------------------------------------------------
    def _on_rule_canvas_pressed(self, event) -> None:
        key = self.rule_chart.key_at(event) if self.rule_chart is not None else None
        if key is not None and event.button == 1:
            self.rule_requested.emit(key)

    def _on_manager_canvas_pressed(self, event) -> None:
        key = self.manager_chart.key_at(event) if self.manager_chart is not None else None
        if key is not None and event.button == 1:
            self.manager_requested.emit(key)

    def _show_bar_tip(self, chart, canvas: ChartCanvas, event) -> None:
        key = chart.key_at(event) if chart is not None else None
        bar = next((b for b in chart.bars if b.key == key), None) if key is not None else None
        if bar is None:
            QToolTip.hideText()
            return
        count = f"{bar.value:,.0f} exception{'s' if bar.value != 1 else ''}"
        QToolTip.showText(canvas.cursor().pos(), f"{bar.label}: {count}. Click to list them.", canvas)
