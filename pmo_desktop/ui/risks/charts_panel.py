"""The Risks tab's chart area: a chooser over the heat map, exposure by category and by programme, the trend
and the ageing histogram.

Only the chart on show is drawn: the tab asks which one that is (``current_chart``) and hands it its
data; a switch emits ``chart_changed`` so that the tab draws the newly chosen chart. matplotlib is
imported when a bar chart is first shown (the heat map does the same for itself). Clicking a bar
emits ``bar_clicked(chart, value)``: a category or programme name, or (series, bucket) on the ageing
chart, so that the tab can filter the register to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ...analytics.risks import ExposureRow, TrendPoint
from ..widgets.chart_canvas import ChartCanvas
from .heat_map_panel import HeatMapPanel

if TYPE_CHECKING:
    from ...charts.risks import AgeingChart, ExposureChart, TrendChart

HEAT_MAP = "heat_map"
BY_CATEGORY = "category"
BY_PROGRAMME = "programme"
TREND = "trend"
AGEING = "ageing"

CHART_CHOICES: tuple[tuple[str, str], ...] = (
    (HEAT_MAP, "Heat map"),
    (BY_CATEGORY, "Exposure by category"),
    (BY_PROGRAMME, "Exposure by programme"),
    (TREND, "Trend per period"),
    (AGEING, "Ageing"),
)
"""The chooser's entries: key and text."""

CHART_SIZE = (600, 300)
"""Width and height of a bar chart in pixels: ten bars with their labels, and names up to 24 characters."""

_HINTS = {
    HEAT_MAP: "Click a cell to filter the register.",
    BY_CATEGORY: "Open items of the kind chosen (risks under All) in the register's filters. Click a bar to "
                 "filter the register.",
    BY_PROGRAMME: "Open items of the kind chosen (risks under All) in the register's filters. Click a bar to "
                  "filter the register.",
    TREND: "From the audit history: the kind and the project filter apply, the register's other filters do not.",
    AGEING: "Days since raised, and since the last review (or since raised when never reviewed). Click a bar to "
            "filter the register.",
}


class ChartsPanel(QWidget):
    """A chooser and a stack of charts: the existing ``HeatMapPanel`` first, then one canvas per bar chart."""

    chart_changed = Signal(str)
    bar_clicked = Signal(str, object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chooser = QComboBox(self)
        self.chooser.setObjectName("chart_chooser")
        self.chooser.setToolTip("Which chart to show over the register")
        for key, text in CHART_CHOICES:
            self.chooser.addItem(text, key)
        # The dependency graph needs a window of its own; its button sits with the chart choices.
        self.dependencies_button = QToolButton(self)
        self.dependencies_button.setObjectName("dependencies_button")
        self.dependencies_button.setText("Dependencies…")
        self.dependencies_button.setToolTip("Show which projects depend on which, and where a dependency is late")
        self.hint = QLabel(self)
        self.hint.setObjectName("chart_hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.heat_map_panel = HeatMapPanel(self)
        self.heat_map_panel.setObjectName("heat_map_panel")
        self.canvases: dict[str, ChartCanvas] = {}
        self.charts: dict[str, Any] = {}
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("chart_stack")
        self.stack.addWidget(self.heat_map_panel)
        for key, _text in CHART_CHOICES[1:]:
            canvas = ChartCanvas(self)
            canvas.setObjectName(f"{key}_canvas")
            canvas.setFixedSize(*CHART_SIZE)
            canvas.pressed.connect(lambda event, k=key: self._on_chart_pressed(k, event))
            canvas.moved.connect(lambda event, k=key: self._on_chart_moved(k, event))
            self.canvases[key] = canvas
            self.stack.addWidget(canvas)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel("Chart:", self))
        top.addWidget(self.chooser)
        top.addStretch(1)
        top.addWidget(self.dependencies_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.stack, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.chooser.currentIndexChanged.connect(self._on_chooser_current_index_changed)
        self._show_page(HEAT_MAP)

    # -- choosing ----------------------------------------------------------------------------------
    def current_chart(self) -> str:
        """The key of the chart on show (``HEAT_MAP``, ``BY_CATEGORY``, ...)."""
        return self.chooser.currentData()

    def set_current_chart(self, key: str) -> None:
        """Show the chart ``key`` (emits ``chart_changed`` when it is another one)."""
        index = self.chooser.findData(key)
        if index < 0:
            raise ValueError(f"There is no {key!r} chart.")
        self.chooser.setCurrentIndex(index)

    def _on_chooser_current_index_changed(self, _index: int) -> None:
        key = self.current_chart()
        self._show_page(key)
        self.chart_changed.emit(key)

    def _show_page(self, key: str) -> None:
        self.stack.setCurrentWidget(self.heat_map_panel if key == HEAT_MAP else self.canvases[key])
        page = self.stack.currentWidget()
        # The stack is as big as the page on show, so the patterns beside it get the room a small chart leaves.
        self.stack.setFixedSize(page.sizeHint() if key == HEAT_MAP else page.size())
        self.hint.setText(_HINTS[key])
        self.hint.setFixedWidth(self.stack.width())

    def set_hint(self, text: str | None) -> None:
        """Say ``text`` under the chart (e.g. that its data is being read); None: the chart's usual hint."""
        self.hint.setText(_HINTS[self.current_chart()] if text is None else text)

    # -- drawing -----------------------------------------------------------------------------------
    def show_exposure(self, key: str, rows: Sequence[ExposureRow], *, kinds: Sequence[str], currency: str,
                      selected: str | None = None) -> ExposureChart:
        """Draw exposure ``rows`` on the ``BY_CATEGORY`` or ``BY_PROGRAMME`` chart."""
        chart = self.charts.get(key)
        if chart is None:
            from ...charts.risks import ExposureChart

            chart = ExposureChart(rows, by=key, kinds=kinds, currency=currency, selected=selected,
                                  **_figure_size())
            self._set_chart(key, chart)
        else:
            chart.update(rows, by=key, kinds=kinds, currency=currency, selected=selected)
            self.canvases[key].draw_idle()
        return chart

    def show_trend(self, points: Sequence[TrendPoint], *, kinds: Sequence[str], project: str | None = None) -> TrendChart:
        """Draw the open items and exposure per period (of one project when ``project`` is given)."""
        chart = self.charts.get(TREND)
        if chart is None:
            from ...charts.risks import TrendChart

            chart = TrendChart(points, kinds=kinds, project=project, **_figure_size())
            self._set_chart(TREND, chart)
        else:
            chart.update(points, kinds=kinds, project=project)
            self.canvases[TREND].draw_idle()
        return chart

    def show_ageing(self, open_buckets: Sequence[tuple[str, int]], review_buckets: Sequence[tuple[str, int]], *,
                    kinds: Sequence[str], selected: tuple[str, str] | None = None) -> AgeingChart:
        """Draw the ageing histogram (days open and days since review per bucket)."""
        chart = self.charts.get(AGEING)
        if chart is None:
            from ...charts.risks import AgeingChart

            chart = AgeingChart(open_buckets, review_buckets, kinds=kinds, selected=selected, **_figure_size())
            self._set_chart(AGEING, chart)
        else:
            chart.update(open_buckets, review_buckets, kinds=kinds, selected=selected)
            self.canvases[AGEING].draw_idle()
        return chart

    def _set_chart(self, key: str, chart) -> None:
        self.charts[key] = chart
        self.canvases[key].set_figure(chart.figure)

    # -- clicks and tooltips -------------------------------------------------------------------------
    def bar_at(self, key: str, event) -> object | None:
        """What the bar under a mouse event on chart ``key`` stands for (None: no clickable bar there)."""
        chart = self.charts.get(key)
        if chart is None:
            return None
        if key in (BY_CATEGORY, BY_PROGRAMME):
            return chart.key_at(event.inaxes, event.ydata)
        if key == AGEING:
            return chart.bar_at(event.inaxes, event.xdata)
        return None

    def bar_text(self, key: str, value: object) -> str:
        """The tooltip of a bar: its figures, and that a click filters the register."""
        chart = self.charts[key]
        if key == AGEING:
            series, bucket = value
            count = chart.count(series, bucket)
            what = "open" if series == "open" else "not reviewed for"
            return f"{count:,} {'item' if count == 1 else 'items'} {what} {bucket}. Click to filter the register."
        row = chart.row(value)
        from ...charts.risks import money_text

        money = f", expected value {money_text(row.emv, chart.currency)}" if row.costed else ""
        return (f"{row.key}: {row.count:,} open, score total {row.score_total:,}{money}. "
                "Click to filter the register.")

    def _on_chart_pressed(self, key: str, event) -> None:
        value = self.bar_at(key, event)
        if value is not None and event.button == 1:
            self.bar_clicked.emit(key, value)

    def _on_chart_moved(self, key: str, event) -> None:
        value = self.bar_at(key, event)
        canvas = self.canvases[key]
        canvas.setCursor(Qt.CursorShape.PointingHandCursor if value is not None else Qt.CursorShape.ArrowCursor)
        if value is None:
            QToolTip.hideText()
            return
        QToolTip.showText(canvas.cursor().pos(), self.bar_text(key, value), canvas)


def _figure_size() -> dict[str, Any]:
    dpi = 100
    width, height = CHART_SIZE
    return {"figsize": (width / dpi, height / dpi), "dpi": dpi}

