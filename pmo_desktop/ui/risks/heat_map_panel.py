"""The clickable 5x5 heat map over the register: counts by likelihood x impact, a click filters to a cell.

matplotlib is imported the first time a matrix is shown (not when this module is imported), so the
program starts without it; later redraws update the same figure in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from ...analytics.risks import Matrix, RiskThresholds
from ...services.raid import ScoreBand
from ..widgets.chart_canvas import ChartCanvas

if TYPE_CHECKING:
    from ...charts.risks import HeatMap

CANVAS_SIZE = (330, 290)
"""Width and height of the chart in pixels: big enough to read a count in every cell."""


class HeatMapPanel(QWidget):
    """Shows a ``Matrix``; emits ``cell_clicked(likelihood, impact)`` when a cell is clicked."""

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chart = ChartCanvas(self)
        self.chart.setObjectName("heat_map_canvas")
        self.chart.setFixedSize(*CANVAS_SIZE)
        self.chart.setCursor(Qt.CursorShape.PointingHandCursor)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("heat_map_summary")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heat_map: HeatMap | None = None
        self.matrix: Matrix | None = None
        self._shown: tuple | None = None  # what the figure was last drawn with

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.chart, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.summary_label)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.chart.pressed.connect(self._on_chart_pressed)
        self.chart.moved.connect(self._on_chart_moved)

    def show_matrix(self, matrix: Matrix, thresholds: RiskThresholds, *, selected: tuple[int, int] | None = None,
                    title: str | None = None) -> None:
        """Draw ``matrix`` (the first call builds the figure and imports matplotlib).

        The same counts, bands, selection and title as shown are not drawn again (a refresh that
        changed nothing the map counts): drawing the figure takes 100 ms or more.
        """
        shown = (matrix, thresholds, selected, title)
        if self.heat_map is not None and shown == self._shown:
            return
        self.matrix, self._shown = matrix, shown
        if self.heat_map is None:
            from ...charts.risks import HeatMap

            dpi = 100
            width, height = CANVAS_SIZE
            self.heat_map = HeatMap(matrix, thresholds, selected=selected, title=title,
                                    figsize=(width / dpi, height / dpi), dpi=dpi)
            self.chart.set_figure(self.heat_map.figure)
        else:
            self.heat_map.update(matrix, thresholds, selected=selected, title=title)
            self.chart.draw_idle()
        self.summary_label.setText(_summary(matrix))

    def cell_text(self, likelihood: int, impact: int) -> str:
        """What the tooltip says about a cell: "L4 × I5 · score 20 (high): 9 items. Click to filter."."""
        assert self.heat_map is not None
        cell = self.heat_map.cell(likelihood, impact)
        items = "1 item" if cell.count == 1 else f"{cell.count:,} items"
        return f"{cell.label} · score {cell.score} ({cell.band.label.lower()}): {items}. Click to filter the register."

    def _hit(self, event) -> tuple[int, int] | None:
        if self.heat_map is None or event.inaxes is not self.heat_map.axes:
            return None
        from ...charts.risks import cell_at

        return cell_at(event.xdata, event.ydata)

    def _on_chart_pressed(self, event) -> None:
        hit = self._hit(event)
        if hit is not None and event.button == 1:
            self.cell_clicked.emit(*hit)

    def _on_chart_moved(self, event) -> None:
        hit = self._hit(event)
        if hit is None:
            QToolTip.hideText()
            return
        QToolTip.showText(self.chart.cursor().pos(), self.cell_text(*hit), self.chart)


_BAND_DOTS = {ScoreBand.HIGH: "#d9534f", ScoreBand.MEDIUM: "#f0ad4e", ScoreBand.LOW: "#5cb85c"}


def _summary(matrix: Matrix) -> str:
    """ "● High 44  ● Medium 45  ● Low 41", plus the items without a score."""
    parts = [f"<span style='color:{_BAND_DOTS[band]}'>●</span> {band.label} {count:,}"
             for band, count in matrix.band_totals().items()]
    if matrix.unscored:
        parts.append(f"<span style='color:#6b7280'>{matrix.unscored:,} not scored</span>")
    return "&nbsp;&nbsp;&nbsp;".join(parts)
