"""The Portfolio tab's chart area: one chart at a time, picked from a list, over the projects the table shows.

The tab hands over the KPIs of its visible rows, the as-of date and the selected project
(``set_scope``, ``set_selected``); every chart follows them. Charts that need more than the KPIs
(roadmap, bubble, trends) read it through ``analytics.portfolio_charts`` and ``analytics.trends``.
Clicking a bubble or a roadmap bar emits ``project_clicked``, and hovering one names the project.

Figures are built at the canvas's own size (fixed layouts are worked out in inches), again after a
resize, and only while the view is visible: a change made while it is hidden marks it stale and
the next show draws.

matplotlib and its Qt backend take 0.5-0.9 s to import, so they are kept off the start-up path:
the first draw the view schedules for itself imports them on a worker thread (importing a module
is safe there; the figure and its canvas widget are still made on the GUI thread), while the
chart area says "Loading chart…" and the window, its table and the rest of the tab stay usable.
``redraw()``, called directly, draws at once and imports on the spot if it must.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ...analytics.portfolio import ProjectKpis, Thresholds
from ..context import AppContext
from ..dialogs.error_dialog import show_error
from ..tasks import run_in_background
from ..widgets.chart_canvas import ChartCanvas

log = logging.getLogger(__name__)

CHARTS: tuple[tuple[str, str], ...] = (
    ("rag_by_stage", "Projects by stage and RAG"),
    ("budget_by_programme", "Budget, actual and forecast by programme"),
    ("spi_cpi_quadrant", "SPI against CPI"),
    ("roadmap", "Roadmap"),
    ("bubble", "Strategic score against risk exposure"),
    ("portfolio_trend", "Portfolio trend"),
    ("project_trend", "Selected project's trend"),
)
"""The chart choices: key and the words in the chooser, in the chooser's order."""

HINTS = {
    "roadmap": "Click a bar to select its project.",
    "bubble": "Click a bubble to select its project.",
    "project_trend": "Select a project in the table to see its trend.",
}

TREND_PERIODS = 24
"""At most this many reporting periods in the trend charts (the latest ones)."""

DPI = 100
SAVE_DPI = 200
"""Resolution of a saved chart image: sharp on a slide or in a document."""
_RESIZE_DELAY_MS = 120

CHART_MODULES = ("pmo_desktop.charts.portfolio", "matplotlib.backends.backend_qtagg")
"""What a draw needs imported: the chart builders (matplotlib itself) and the Qt canvas backend."""

LOADING_TEXT = "Loading chart…"

KPI_CHARTS = frozenset({"rag_by_stage", "budget_by_programme", "spi_cpi_quadrant"})
"""The charts drawn from the KPIs the view holds alone (no other read): drawn again only when what they show changed."""


def chart_modules_loaded() -> bool:
    """True when every module of ``CHART_MODULES`` has finished importing (not merely begun)."""
    for name in CHART_MODULES:
        module = sys.modules.get(name)
        if module is None or getattr(getattr(module, "__spec__", None), "_initializing", False):
            return False
    return True


def import_chart_modules() -> None:
    """Import ``CHART_MODULES`` (on a worker thread: it creates no Qt object)."""
    for name in CHART_MODULES:
        importlib.import_module(name)


class PortfolioChartsView(QWidget):
    """A chart chooser over one chart canvas; emits ``project_clicked(project_id)``."""

    project_clicked = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("portfolio_charts")
        self.ctx = ctx
        self._kpis: list[ProjectKpis] = []
        self._as_of: dt.date | None = None
        self._selected: int | None = None
        self._page = 0
        self._pages = 1
        self._roadmap: tuple[list, int] | None = None  # the bars drawn and rows per page, to find a project's page
        self._stale = True
        self._loading = False  # CHART_MODULES are being imported in the background
        self.chart: Any = None  # the RoadmapChart or BubbleChart drawn, for hit-testing
        self._drawn: tuple | None = None  # what the chart shown was drawn from, for a KPI_CHARTS chart
        self._build()
        # Changes arrive in bursts (rows, filters, selection, a resize): one draw after them.
        self._draw_timer = QTimer(self)
        self._draw_timer.setSingleShot(True)
        self._draw_timer.timeout.connect(self._draw_if_stale)
        self.choice.currentIndexChanged.connect(self._on_choice_changed)
        self.rag_choice.currentIndexChanged.connect(lambda _i: self._redraw_when_seen())
        self.save_button.clicked.connect(self.save_image)
        self.previous_button.clicked.connect(lambda: self._turn_page(-1))
        self.next_button.clicked.connect(lambda: self._turn_page(1))
        self.canvas.pressed.connect(self._on_canvas_pressed)
        self.canvas.moved.connect(self._on_canvas_moved)

    def _build(self) -> None:
        self.choice = QComboBox(self)
        self.choice.setObjectName("portfolio_chart_choice")
        self.choice.setToolTip("The chart to show for the projects in the table, as of the chosen period")
        for key, words in CHARTS:
            self.choice.addItem(words, key)
        self.previous_button = QToolButton(self)
        self.previous_button.setObjectName("portfolio_chart_previous")
        self.previous_button.setArrowType(Qt.ArrowType.LeftArrow)
        self.previous_button.setToolTip("Previous page of the roadmap")
        self.next_button = QToolButton(self)
        self.next_button.setObjectName("portfolio_chart_next")
        self.next_button.setArrowType(Qt.ArrowType.RightArrow)
        self.next_button.setToolTip("Next page of the roadmap")
        self.rag_choice = QComboBox(self)
        self.rag_choice.setObjectName("portfolio_chart_rag")
        self.rag_choice.setToolTip("Count the RAG the project managers reported, or the RAG derived from SPI, "
                                   "CPI and slip")
        self.rag_choice.addItem("Reported RAG", "reported")
        self.rag_choice.addItem("Derived RAG", "derived")
        self.save_button = QPushButton("Save image…", self)
        self.save_button.setObjectName("portfolio_chart_save")
        self.save_button.setToolTip("Save the chart shown as a PNG image (for a slide or a report)")
        self.page_label = QLabel(self)
        self.page_label.setObjectName("portfolio_chart_page")
        self.hint_label = QLabel(self)
        self.hint_label.setProperty("role", "hint")
        # The hint gives way (cut short) rather than widen the table side of the tab.
        self.hint_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.canvas = ChartCanvas(self)
        self.canvas.setObjectName("portfolio_chart_canvas")
        self.canvas.setMinimumHeight(240)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Shown in the empty canvas until the first chart replaces it.
        self.loading_label = QLabel(LOADING_TEXT, self.canvas)
        self.loading_label.setObjectName("portfolio_chart_loading")
        self.loading_label.setProperty("role", "hint")
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading_label.setWordWrap(True)
        self.loading_label.hide()
        self.canvas.layout().addWidget(self.loading_label)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        bar.addWidget(QLabel("Chart:", self))
        bar.addWidget(self.choice)
        bar.addWidget(self.rag_choice)
        bar.addSpacing(8)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.page_label)
        bar.addWidget(self.next_button)
        bar.addSpacing(8)
        bar.addWidget(self.hint_label, 1)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)
        self._show_paging(1)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(760, 420)

    # -- what the tab tells the view ----------------------------------------------------------------
    def set_scope(self, kpis: Sequence[ProjectKpis], as_of: dt.date | None) -> None:
        """Chart ``kpis`` (the projects the table shows) as of ``as_of`` (None: today)."""
        self._kpis = list(kpis)
        self._as_of = as_of
        self._redraw_when_seen()

    def set_selected(self, project_id: int | None) -> None:
        """Highlight ``project_id`` (and chart its trend when that is the chart shown)."""
        if project_id == self._selected:
            return
        self._selected = project_id
        key = self.current_chart()
        if key == "roadmap" and project_id is not None:
            self._turn_to_project(project_id)
        if key in ("roadmap", "bubble", "project_trend"):
            self._redraw_when_seen()

    def current_chart(self) -> str:
        """The key of the chart chosen (see ``CHARTS``)."""
        return self.choice.currentData()

    def set_chart(self, key: str) -> None:
        """Show the chart ``key``."""
        index = self.choice.findData(key)
        if index < 0:
            raise ValueError(f"No portfolio chart is called {key!r}.")
        self.choice.setCurrentIndex(index)

    @property
    def is_stale(self) -> bool:
        """True when the chart shown is out of date (it is drawn on the next show)."""
        return self._stale

    @property
    def as_of(self) -> dt.date:
        return self._as_of or dt.date.today()

    # -- drawing ------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self._draw_timer.start(0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.canvas.figure is not None:
            self._stale = True
            self._draw_timer.start(_RESIZE_DELAY_MS)

    def _redraw_when_seen(self) -> None:
        """Mark the chart stale; draw it once the current burst of changes is over, if visible."""
        self._stale = True
        if self.isVisible():
            self._draw_timer.start(0)

    @property
    def is_loading(self) -> bool:
        """True while matplotlib is being imported in the background for the first chart."""
        return self._loading

    def _draw_if_stale(self) -> None:
        if not (self._stale and self.isVisible()) or self._loading:
            return
        if chart_modules_loaded():
            if self._drawn is not None and self._drawn == self._drawing() and self.canvas.figure is not None:
                self._stale = False  # a refresh that changed nothing the chart shows: the same picture
                return
            self.redraw()
            return
        self._loading = True
        if self.canvas.figure is None:
            self.loading_label.setText(LOADING_TEXT)
            self.loading_label.show()
        run_in_background(import_chart_modules, on_done=self._on_charts_loaded, on_error=self._on_charts_failed)

    def _on_charts_loaded(self, _result: None) -> None:
        # matplotlib and its Qt backend (~50,000 objects) live as long as the program, like what
        # start-up made (frozen by ``ui.app.run_gui``): keep them out of later full collections too.
        gc.freeze()
        if not shiboken6.isValid(self):  # the view was closed meanwhile
            return
        self._loading = False
        self.loading_label.hide()
        if self._stale and self.isVisible():
            self.redraw()

    def _on_charts_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._loading = False
        log.error("The chart modules could not be imported", exc_info=exc)
        self.loading_label.setText(f"The charts could not be loaded ({exc}). Reinstall PMO Desktop to draw them.")

    def redraw(self) -> None:
        """Build the chosen chart for the current projects, period and selection, at the canvas's size."""
        self._stale = False
        self.loading_label.hide()
        key = self.current_chart()
        self.chart = None
        figure = getattr(self, f"_draw_{key}")(self._figsize())
        chosen = key == "project_trend" and self._selected is not None
        self.hint_label.setText("" if chosen else HINTS.get(key, ""))
        self.rag_choice.setVisible(key == "rag_by_stage")
        self.canvas.set_figure(figure)
        self._drawn = self._drawing()
        self.canvas.setCursor(Qt.CursorShape.PointingHandCursor if self.chart is not None
                              else Qt.CursorShape.ArrowCursor)

    def _drawing(self) -> tuple | None:
        """Everything a KPI_CHARTS chart is drawn from (None for the others, which read more)."""
        key = self.current_chart()
        if key not in KPI_CHARTS:
            return None
        return key, self.rag_choice.currentData(), self.ctx.currency_symbol, self._figsize(), self._as_of, self._kpis

    def _figsize(self) -> tuple[float, float]:
        size = self.canvas.size()
        width = max(size.width(), 480)
        height = max(size.height(), self.canvas.minimumHeight())
        return width / DPI, height / DPI

    def _ids(self) -> list[int]:
        return [k.project_id for k in self._kpis]

    def _thresholds(self) -> Thresholds:
        return Thresholds.from_settings(self.ctx.settings)

    def _draw_rag_by_stage(self, figsize):
        from ...charts.portfolio import rag_by_stage_figure

        self._show_paging(1)
        return rag_by_stage_figure(self._kpis, which=self.rag_choice.currentData(), figsize=figsize, dpi=DPI)

    def _draw_budget_by_programme(self, figsize):
        from ...charts.portfolio import budget_by_programme_figure

        self._show_paging(1)
        return budget_by_programme_figure(self._kpis, currency=self.ctx.currency_symbol, figsize=figsize, dpi=DPI)

    def _draw_spi_cpi_quadrant(self, figsize):
        from ...charts.portfolio import spi_cpi_quadrant_figure

        self._show_paging(1)
        return spi_cpi_quadrant_figure(self._kpis, figsize=figsize, dpi=DPI)

    def _draw_roadmap(self, figsize):
        from ...analytics.portfolio_charts import roadmap_bars
        from ...charts.portfolio import RoadmapChart, roadmap_rows_per_page

        ids = self._ids()
        bars = self.ctx.read(roadmap_bars, self.as_of, ids)
        per_page = roadmap_rows_per_page(figsize[1])
        chart = RoadmapChart(bars, self.as_of, page=self._page, per_page=per_page, figsize=figsize, dpi=DPI,
                             not_shown=len(ids) - len(bars), selected=self._selected,
                             today_label="Today" if self._as_of is None else "As of")
        self._page = chart.page
        self._show_paging(chart.pages)
        self._roadmap = (bars, per_page)
        self.chart = chart
        return chart.figure

    def _draw_bubble(self, figsize):
        from ...analytics.portfolio_charts import bubble_points
        from ...charts.portfolio import BubbleChart

        self._show_paging(1)
        points = self.ctx.read(bubble_points, self.as_of, self._ids(), risks_as_of=self._as_of)
        self.chart = BubbleChart(points, currency=self.ctx.currency_symbol, selected=self._selected,
                                 figsize=figsize, dpi=DPI)
        return self.chart.figure

    def _draw_portfolio_trend(self, figsize):
        from ...analytics.trends import portfolio_trend
        from ...charts.portfolio import portfolio_trend_figure

        self._show_paging(1)
        periods = self.ctx.read(portfolio_trend, until=self.as_of, project_ids=self._ids(), last=TREND_PERIODS)
        return portfolio_trend_figure(periods, thresholds=self._thresholds(), figsize=figsize, dpi=DPI)

    def _draw_project_trend(self, figsize):
        from ...analytics.trends import project_trend
        from ...charts.portfolio import project_trend_figure

        self._show_paging(1)
        trend = None
        if self._selected is not None:
            trend = self.ctx.read(project_trend, self._selected, until=self.as_of, last=TREND_PERIODS)
        return project_trend_figure(trend, thresholds=self._thresholds(), figsize=figsize, dpi=DPI)

    # -- saving -------------------------------------------------------------------------------------
    def suggested_file_name(self) -> str:
        """ "Portfolio trend 31 Oct 2026.png": the chart's words and the as-of date."""
        words = self.choice.currentText().replace("'", "")
        return f"{words} {self.as_of:%d %b %Y}.png"

    def save_image(self) -> Path | None:
        """Ask for a file name and save the chart shown there as a PNG (None when cancelled or failed)."""
        figure = self.canvas.figure
        if figure is None:
            return None
        name, _ = QFileDialog.getSaveFileName(self, "Save Chart Image", str(Path.home() / self.suggested_file_name()),
                                              "PNG image (*.png)")
        if not name:
            return None
        path = Path(name) if Path(name).suffix.lower() == ".png" else Path(name + ".png")
        try:
            figure.savefig(path, dpi=SAVE_DPI, format="png")
        except OSError as exc:
            show_error(self, OSError(f"The chart could not be saved to {path}: {exc.strerror or exc}. "
                                     "Choose another folder or file name."), title="Chart not saved")
            return None
        return path

    # -- roadmap pages ------------------------------------------------------------------------------
    def _show_paging(self, pages: int) -> None:
        paged = pages > 1
        for widget in (self.previous_button, self.page_label, self.next_button):
            widget.setVisible(paged)
        if paged:
            self.page_label.setText(f"Page {self._page + 1} of {pages}")
            self.previous_button.setEnabled(self._page > 0)
            self.next_button.setEnabled(self._page < pages - 1)
        self._pages = pages

    def _turn_page(self, step: int) -> None:
        self._page = min(max(self._page + step, 0), self._pages - 1)
        self._redraw_when_seen()

    def _turn_to_project(self, project_id: int) -> None:
        """Show the roadmap page that holds ``project_id``'s bar, if it is not on the page shown."""
        from ...charts.portfolio import roadmap_page_of

        if self._roadmap is None or (self.chart is not None and self.chart.row_of(project_id) is not None):
            return
        bars, per_page = self._roadmap
        page = roadmap_page_of(bars, project_id, per_page)
        if page is not None:
            self._page = page

    # -- slots --------------------------------------------------------------------------------------
    def _on_choice_changed(self, _index: int) -> None:
        self._page = 0
        self._redraw_when_seen()

    def _project_under(self, event) -> int | None:
        return self.chart.project_at(event) if self.chart is not None else None

    def _on_canvas_pressed(self, event) -> None:
        project_id = self._project_under(event)
        if project_id is not None and event.button == 1:
            self.project_clicked.emit(project_id)

    def _on_canvas_moved(self, event) -> None:
        project_id = self._project_under(event)
        if project_id is None:
            QToolTip.hideText()
            return
        QToolTip.showText(self.canvas.cursor().pos(), self._describe(project_id), self.canvas)

    def _describe(self, project_id: int) -> str:
        """ "DCX-014 Customer Portal · SPI 0.92 · CPI 1.03" for the tooltip."""
        k = next((k for k in self._kpis if k.project_id == project_id), None)
        if k is None:
            return ""
        parts = [f"{k.code} {k.name}"]
        for label, value in (("SPI", k.spi), ("CPI", k.cpi)):
            if value is not None:
                parts.append(f"{label} {value:.2f}")
        return " · ".join(parts) + " — click to select"
