"""A note over a table while its rows are read in the background ("Reading the RAID register…").

The table keeps what it showed (nothing, on a first show) and stays usable; the note sits over it,
in the upper middle of its viewport, with a busy cursor, until ``set_reading(False)``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QLabel

_STYLE = """
QLabel#reading_note { background: palette(base); color: palette(text); border: 1px solid palette(mid);
                      border-radius: 6px; padding: 10px 18px; }
"""


class ReadingNote(QLabel):
    """Says what is being read, over ``view``'s viewport, while ``is_reading``."""

    def __init__(self, view: QAbstractScrollArea, text: str):
        super().__init__(text, view.viewport())
        self.setObjectName("reading_note")
        self.setStyleSheet(_STYLE)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._view = view
        view.viewport().installEventFilter(self)
        self.hide()

    @property
    def is_reading(self) -> bool:
        return not self.isHidden()

    def set_reading(self, reading: bool) -> None:
        """Show the note and a busy cursor over the view (True), or take them away (False)."""
        if reading == self.is_reading:
            return
        if reading:
            self._view.viewport().setCursor(Qt.CursorShape.BusyCursor)
            self._place()
            self.show()
            self.raise_()
        else:
            self._view.viewport().unsetCursor()
            self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and self.is_reading:
            self._place()
        return False

    def _place(self) -> None:
        self.adjustSize()
        viewport = self.parentWidget()
        self.move(max((viewport.width() - self.width()) // 2, 0), max(viewport.height() // 3 - self.height() // 2, 0))
