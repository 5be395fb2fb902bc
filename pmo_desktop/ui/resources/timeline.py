"""A strip of weekly bars: hours allocated per week against the person's capacity line.

Each bar is coloured by its utilisation band (theme.UTILISATION_BANDS); weeks with time away
are hatched behind the bar, the current week's label is bold, and hovering a week tells its
hours, utilisation and days away.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QHelpEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...services.resources import WORKING_DAYS, WeekLoad, format_day
from .people_model import BAND_NAMES, band_colour, band_of

_LEFT, _RIGHT, _TOP, _BOTTOM = 34, 8, 16, 20


class AllocationTimeline(QWidget):
    """Hours per week as bars, with the capacity as a dashed line across them."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._weeks: list[WeekLoad] = []
        self._capacity = 0.0
        self._today: dt.date | None = None
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(480, 140)

    # -- data ---------------------------------------------------------------------------------
    def set_plan(self, weeks: Sequence[WeekLoad], capacity: float, today: dt.date) -> None:
        """Show ``weeks`` (oldest first) against ``capacity`` hours a week."""
        self._weeks = list(weeks)
        self._capacity = float(capacity)
        self._today = today
        self.update()

    def clear(self) -> None:
        self._weeks = []
        self._capacity = 0.0
        self.update()

    def weeks(self) -> list[WeekLoad]:
        return list(self._weeks)

    # -- geometry -----------------------------------------------------------------------------
    def _plot(self) -> QRectF:
        return QRectF(_LEFT, _TOP, max(self.width() - _LEFT - _RIGHT, 1), max(self.height() - _TOP - _BOTTOM, 1))

    def _scale_max(self) -> float:
        top = max([w.hours for w in self._weeks] + [self._capacity, 1.0])
        step = 10 if top > 30 else 5
        return math.ceil(top * 1.12 / step) * step

    def _y(self, hours: float, plot: QRectF, scale: float) -> float:
        return plot.bottom() - plot.height() * hours / scale

    def _slot(self, i: int, plot: QRectF) -> QRectF:
        width = plot.width() / max(len(self._weeks), 1)
        return QRectF(plot.left() + i * width, plot.top(), width, plot.height())

    def week_at(self, x: float) -> int | None:
        """The index of the week under the x position, or None."""
        plot = self._plot()
        if not self._weeks or not plot.left() <= x < plot.right():
            return None
        return min(int((x - plot.left()) / (plot.width() / len(self._weeks))), len(self._weeks) - 1)

    # -- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        faint = palette.color(QPalette.ColorRole.Mid)
        plot = self._plot()
        if not self._weeks:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Select a person to see their next weeks.")
            return
        scale = self._scale_max()
        self._draw_grid(painter, plot, scale, faint, text)
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 1.5, 6.5))
        painter.setFont(small)
        for i, week in enumerate(self._weeks):
            self._draw_week(painter, i, week, plot, scale, text)
        self._draw_capacity(painter, plot, scale, text)
        if all(w.hours == 0 for w in self._weeks):
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "Nothing allocated in these weeks")

    def _draw_grid(self, painter: QPainter, plot: QRectF, scale: float, faint: QColor, text: QColor) -> None:
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 1.5, 6.5))
        painter.setFont(small)
        step = scale / 4
        for n in range(5):
            hours = step * n
            y = self._y(hours, plot, scale)
            painter.setPen(QPen(faint, 0.6, Qt.PenStyle.SolidLine if n == 0 else Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - 8, _LEFT - 5, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{hours:g}h")

    def _draw_week(self, painter: QPainter, i: int, week: WeekLoad, plot: QRectF, scale: float, text: QColor) -> None:
        slot = self._slot(i, plot)
        if week.absent_days:
            # Time away: hatch the part of the slot that stands for the days away.
            share = week.absent_days / WORKING_DAYS
            away = QRectF(slot.left() + 1, plot.top(), slot.width() - 2, plot.height())
            away.setTop(plot.bottom() - plot.height() * share)
            painter.fillRect(away, QBrush(QColor(128, 128, 128, 90), Qt.BrushStyle.BDiagPattern))
        if week.hours > 0:
            bar_width = slot.width() * 0.62
            top = self._y(week.hours, plot, scale)
            bar = QRectF(slot.center().x() - bar_width / 2, top, bar_width, plot.bottom() - top)
            colour = band_colour(self._utilisation(week)) or QColor("#9bb7d4")
            painter.setPen(QPen(colour.darker(135), 0.8))
            painter.setBrush(colour)
            painter.drawRoundedRect(bar, 2, 2)
            if slot.width() >= 26:
                painter.setPen(text)
                painter.drawText(QRectF(slot.left(), top - 15, slot.width(), 14),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, f"{week.hours:.0f}")
        label_font = QFont(painter.font())
        is_current = self._today is not None and week.monday <= self._today < week.monday + dt.timedelta(days=7)
        label_font.setBold(is_current)
        painter.setFont(label_font)
        painter.setPen(text)
        every = 1 if slot.width() >= 38 else 2
        if i % every == 0:
            painter.drawText(QRectF(slot.left() - 6, plot.bottom() + 3, slot.width() + 12, _BOTTOM - 3),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             "This wk" if is_current else f"{week.monday.day} {week.monday:%b}")
        label_font.setBold(False)
        painter.setFont(label_font)

    def _draw_capacity(self, painter: QPainter, plot: QRectF, scale: float, text: QColor) -> None:
        y = self._y(self._capacity, plot, scale)
        pen = QPen(text, 1.3, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        label = f"capacity {self._capacity:g}h"
        width = painter.fontMetrics().horizontalAdvance(label) + 8
        box = QRectF(plot.right() - width, y - 15, width, 13)
        painter.fillRect(box, self.palette().color(QPalette.ColorRole.Window))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

    def _utilisation(self, week: WeekLoad) -> float | None:
        if self._capacity > 0:
            return week.hours / self._capacity
        return math.inf if week.hours > 0 else None

    # -- tooltips -----------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.week_at(event.pos().x())
            if index is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.describe_week(index), self)
            return True
        return super().event(event)

    def describe_week(self, index: int) -> str:
        """The tooltip for one week, in plain words."""
        week = self._weeks[index]
        lines = [f"Week of {format_day(week.monday)}", f"{week.hours:g} h allocated of {self._capacity:g} h"]
        utilisation = self._utilisation(week)
        if utilisation is not None and not math.isinf(utilisation):
            lines[-1] += f" ({utilisation:.0%}, {BAND_NAMES[band_of(utilisation)]})"
        if week.absent_days:
            lines.append(f"Away {week.absent_days} day{'s' if week.absent_days > 1 else ''}")
        return "\n".join(lines)
