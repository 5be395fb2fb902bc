"""The dependencies view: which projects depend on which, and where a dependency is late.

A graph of the projects in open dependencies (``charts.dependencies``) with a programme filter, and
beside it the dependencies themselves, late ones first, with the reason. Hovering a project box says
what it depends on and what depends on it; clicking it emits ``project_clicked(code)``, which the
Risks tab answers by filtering the register to that project. Double-clicking (or Enter on) a
dependency in the list emits ``item_activated(id)``: the tab opens that item. The graph is laid out again when the
window is resized, so that its labels keep fitting their boxes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QToolTip,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...analytics.dependencies import DependencyGraph, dependency_graph
from ..context import AppContext
from ..theme import RAG_LABELS
from ..widgets.chart_canvas import ChartCanvas

if TYPE_CHECKING:
    from ...charts.dependencies import DependencyChart

LATE_TEXT = "#c0392b"
LIST_HEADERS = ("Ref", "Project", "Depends on", "Late because")


class DependenciesView(QWidget):
    """Programme filter, the graph, and the list of dependencies; reads the graph through ``ctx``."""

    project_clicked = Signal(str)
    item_activated = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 *, today: Callable[[], dt.date] = dt.date.today):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.graph: DependencyGraph | None = None
        self.chart: DependencyChart | None = None
        self.selected: str | None = None

        self.programme_filter = QComboBox(self)
        self.programme_filter.setObjectName("dependency_programme_filter")
        self.programme_filter.setToolTip("Show only the dependencies that involve one programme's projects")
        self.programme_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.summary = QLabel(self)
        self.summary.setObjectName("dependency_summary")
        self.canvas = ChartCanvas(self)
        self.canvas.setObjectName("dependencies_canvas")
        self.canvas.setMinimumSize(560, 380)
        self.list = QTreeWidget(self)
        self.list.setObjectName("dependency_list")
        self.list.setHeaderLabels(LIST_HEADERS)
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setUniformRowHeights(True)
        header = self.list.header()
        header.setStretchLastSection(True)
        for column in range(len(LIST_HEADERS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        top = QHBoxLayout()
        top.addWidget(QLabel("Programme:", self))
        top.addWidget(self.programme_filter)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(self.list)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([760, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        # A resize lays the graph out again once the size settles.
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(150)
        self._relayout_timer.timeout.connect(self._draw)
        self.programme_filter.currentIndexChanged.connect(self._on_programme_filter_current_index_changed)
        self.list.itemActivated.connect(self._on_list_item_activated)
        self.canvas.pressed.connect(self._on_canvas_pressed)
        self.canvas.moved.connect(self._on_canvas_moved)

    # -- data ------------------------------------------------------------------------------------
    def programme(self) -> str | None:
        """The programme shown, or None for all."""
        return self.programme_filter.currentData()

    def refresh(self) -> None:
        """Read the graph again (for the programme chosen) and draw it."""
        programme = self.programme()
        self.graph = self.ctx.read(dependency_graph, self._today(), programme=programme)
        self._fill_programmes(self.graph.programmes)
        if programme is not None and self.programme() is None:
            # That programme has no dependencies any more: show them all.
            self.graph = self.ctx.read(dependency_graph, self._today())
        if self.selected not in self.graph.nodes:
            self.selected = None
        self._fill_list()
        self._show_summary()
        self._draw()

    def set_programme(self, programme: str | None) -> None:
        """Show one programme's dependencies (None: all)."""
        index = self.programme_filter.findData(programme)
        self.programme_filter.setCurrentIndex(max(index, 0))

    def _fill_programmes(self, programmes) -> None:
        current = self.programme()
        combo = self.programme_filter
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("All programmes", None)
        for name in programmes:
            combo.addItem(name, name)
        combo.setCurrentIndex(max(combo.findData(current), 0))
        combo.blockSignals(False)

    def _on_programme_filter_current_index_changed(self, _index: int) -> None:
        self.refresh()

    def _show_summary(self) -> None:
        graph = self.graph
        assert graph is not None
        count = len(graph.dependencies)
        text = (f"{count:,} open {'dependency' if count == 1 else 'dependencies'} between {len(graph.nodes):,} "
                f"projects; <span style='color:{LATE_TEXT}; font-weight:600'>{graph.late_count:,} late</span>")
        if graph.portfolio_level:
            text += f"; {graph.portfolio_level:,} at portfolio level (no arrow)"
        self.summary.setText(text + ". Click a project to show its items in the register; double-click a "
                             "dependency to open it.")

    def _fill_list(self) -> None:
        graph = self.graph
        assert graph is not None
        self.list.clear()
        for dependency in sorted(graph.dependencies, key=lambda d: (not d.late, d.source, d.ref)):
            row = QTreeWidgetItem([dependency.ref, dependency.source, dependency.target, dependency.reason or ""])
            row.setToolTip(0, dependency.title)
            row.setToolTip(1, graph.nodes[dependency.source].name)
            milestone = f", milestone “{dependency.milestone}”" if dependency.milestone else ""
            row.setToolTip(2, graph.nodes[dependency.target].name + milestone)
            row.setToolTip(3, dependency.reason or "")
            row.setData(0, Qt.ItemDataRole.UserRole, dependency.item_id)
            if dependency.late:
                for column in range(len(LIST_HEADERS)):
                    row.setForeground(column, Qt.GlobalColor.darkRed)
            self.list.addTopLevelItem(row)

    def _on_list_item_activated(self, row: QTreeWidgetItem, _column: int = 0) -> None:
        self.item_activated.emit(row.data(0, Qt.ItemDataRole.UserRole))

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self) -> None:
        if self.graph is None:
            return
        if self.chart is None:
            from ...charts.dependencies import DependencyChart

            dpi = 100
            width, height = max(self.canvas.width(), 560), max(self.canvas.height(), 380)
            self.chart = DependencyChart(self.graph, selected=self.selected, figsize=(width / dpi, height / dpi),
                                         dpi=dpi)
            self.canvas.set_figure(self.chart.figure)
        else:
            self.chart.update(self.graph, selected=self.selected)
            self.canvas.draw_idle()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.chart is not None:
            self._relayout_timer.start()

    # -- clicks and tooltips -------------------------------------------------------------------------
    def node_at(self, event) -> str | None:
        if self.chart is None:
            return None
        return self.chart.node_at(event.inaxes, event.xdata, event.ydata)

    def select_project(self, code: str | None) -> None:
        """Outline ``code`` and its arrows (None: no project)."""
        self.selected = code
        self._draw()

    def node_text(self, code: str) -> str:
        """What the tooltip of a project box says: name, programme, RAG, its dependencies both ways."""
        graph = self.graph
        assert graph is not None
        node = graph.nodes[code]
        lines = [f"{code} — {node.name}", f"{node.programme} · RAG {RAG_LABELS.get(node.rag or '', 'not set')}"]
        on = [d for d in graph.dependencies if d.source == code]
        by = [d for d in graph.dependencies if d.target == code]
        if on:
            lines.append("Depends on: " + ", ".join(f"{d.target}{' (late)' if d.late else ''}" for d in on))
        if by:
            lines.append("Depended on by: " + ", ".join(sorted({d.source for d in by})))
        return "\n".join(lines)

    def _on_canvas_pressed(self, event) -> None:
        code = self.node_at(event)
        if code is not None and event.button == 1:
            self.select_project(code)
            self.project_clicked.emit(code)

    def _on_canvas_moved(self, event) -> None:
        code = self.node_at(event)
        self.canvas.setCursor(Qt.CursorShape.PointingHandCursor if code else Qt.CursorShape.ArrowCursor)
        if code is None:
            QToolTip.hideText()
            return
        QToolTip.showText(self.canvas.cursor().pos(), self.node_text(code), self.canvas)


class DependenciesDialog(QDialog):
    """A window for the ``DependenciesView`` (not modal: the register stays usable beside it)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 *, today: Callable[[], dt.date] = dt.date.today):
        super().__init__(parent)
        self.setObjectName("dependencies_dialog")
        self.setWindowTitle("Dependencies between projects")
        self.resize(1180, 720)
        self.view = DependenciesView(ctx, self, today=today)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
