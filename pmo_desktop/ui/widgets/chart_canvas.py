"""A widget that shows a matplotlib Figure, creating its FigureCanvasQTAgg (and importing matplotlib) on first use.

matplotlib's Qt backend costs about 0.8 s to import (DESIGN.md), so a tab holds a ChartCanvas from
the start and only pays for matplotlib when it first has a figure to show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class ChartCanvas(QWidget):
    """Holds one Figure at a time; forwards mouse presses and moves over it as matplotlib events."""

    #: A mouse button was pressed over the figure: the matplotlib ``MouseEvent`` (with xdata/ydata).
    pressed = Signal(object)
    #: The mouse moved over the figure: the matplotlib ``MouseEvent``.
    moved = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.canvas: Any = None  # FigureCanvasQTAgg once a figure is set

    @property
    def figure(self) -> Figure | None:
        return self.canvas.figure if self.canvas is not None else None

    def set_figure(self, figure: Figure) -> None:
        """Show ``figure`` (replacing the previous one) and draw it when Qt next paints."""
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        old = self.canvas
        self.canvas = FigureCanvasQTAgg(figure)
        self.canvas.setParent(self)
        self.canvas.mpl_connect("button_press_event", self.pressed.emit)
        self.canvas.mpl_connect("motion_notify_event", self.moved.emit)
        self._layout.addWidget(self.canvas)
        if old is not None:
            self._layout.removeWidget(old)
            old.deleteLater()
        self.canvas.draw_idle()

    def draw_idle(self) -> None:
        """Redraw the current figure after its artists changed (coalesced by Qt)."""
        if self.canvas is not None:
            self.canvas.draw_idle()

    def draw_now(self) -> None:
        """Redraw at once (tests and measurements)."""
        if self.canvas is not None:
            self.canvas.draw()
