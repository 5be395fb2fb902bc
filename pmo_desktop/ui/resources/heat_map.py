"""The utilisation heat map: people (or roles, or teams) down, weeks across, cells in band colours.

``HeatMapView`` paints with QPainter only the cells inside the viewport, so scrolling and
redrawing stay quick at 1,000 people x 52 weeks; the row labels and week headings stay in place
while the cells scroll. ``HeatMapPane`` adds the controls above it (people/roles/teams, the range
of weeks), a summary of over-allocation, bench and unfilled demand, and a legend.

The pane computes its figures on ``refresh()`` (the tab calls it when first shown) and, after an
edit that names the people it touched (``note_change``), re-reads only those people's rows and
keeps the order, so the cell the user clicked stays under the mouse. A large map (from
``BACKGROUND_CELLS`` person-weeks: 1,000 people x 52 weeks take a second or more) is computed on a
worker thread while the view shows a busy state and the window stays responsive; a small one is
computed at once, where a busy state would only flash.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Collection, Sequence

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ...analytics import resources as an
from ...services.resources import format_day
from ..context import AppContext
from ..tasks import Task, run_in_background
from ..theme import UTILISATION_BANDS
from .people_model import band_of

LABEL_WIDTH = 190
HEADER_HEIGHT = 36
ROW_HEIGHT = 22
MIN_CELL_WIDTH = 34
MAX_CELL_WIDTH = 64
#: The ranges offered: weeks from this week on.
RANGES = (12, 26, 52)
#: People x weeks from which the figures are computed in the background (100 people x 52 weeks).
BACKGROUND_CELLS = 5_000
GROUP_LABELS = {"person": "People", "role": "Roles", "team": "Teams"}
BAND_LABELS = ("Under 60%", "60–90%", "90–105%", "Over 105%")
_CELL_TEXT = QColor("#1f1f1f")  # every band fill is light enough for dark text, in either palette
_AWAY = QColor("#e4e4e4")

#: Builds a cell's tooltip: (row, week index) -> rich text.
TooltipProvider = Callable[[an.UtilisationRow, int], str]


def format_percent(level: float | None) -> str:
    """"128%", "away" for hours with no time available, "" when there is nothing to show."""
    if level is None:
        return ""
    if math.isinf(level):
        return "away"
    return f"{level * 100:.0f}%"


class HeatMapView(QAbstractScrollArea):
    """Rows of weekly cells coloured by utilisation band; click a cell to act on it."""

    #: (row key, week index): a person id or a role/team name, and the week clicked.
    cell_clicked = Signal(object, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("heat_map_view")
        self._rows: list[an.UtilisationRow] = []
        self._index: dict[int | str, int] = {}
        self._mondays: tuple[dt.date, ...] = ()
        self._holidays: frozenset[dt.date] = frozenset()
        self._today: dt.date = dt.date.today()
        self._selected: int | str | None = None
        self._current: tuple[int, int] | None = None  # the keyboard's cell (row, week)
        self._band_colours = [QColor(colour) for _low, colour in UTILISATION_BANDS]
        self._busy_text = ""
        self.tooltip_provider: TooltipProvider | None = None
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Utilisation heat map")
        self.setAccessibleDescription("Arrow keys move between cells; Enter opens the week's allocations")
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(HEADER_HEIGHT + 4 * ROW_HEIGHT)

    def sizeHint(self) -> QSize:
        return QSize(800, HEADER_HEIGHT + 12 * ROW_HEIGHT)

    # -- data ---------------------------------------------------------------------------------
    def set_figures(self, rows: Sequence[an.UtilisationRow], mondays: Sequence[dt.date],
                    holidays: Collection[dt.date] = (), today: dt.date | None = None) -> None:
        """Show ``rows`` (in this order) over the weeks starting ``mondays``."""
        self._rows = list(rows)
        self._index = {row.key: i for i, row in enumerate(self._rows)}
        self._mondays = tuple(mondays)
        self._current = None
        self._holidays = frozenset(holidays)
        self._today = today or dt.date.today()
        self._update_scroll_bars()
        self.viewport().update()

    def replace_rows(self, rows: Sequence[an.UtilisationRow]) -> None:
        """Put new figures in place of the rows with the same keys (order kept; new keys at the end)."""
        for row in rows:
            at = self._index.get(row.key)
            if at is None:
                self._index[row.key] = len(self._rows)
                self._rows.append(row)
            else:
                self._rows[at] = row
        self._update_scroll_bars()
        self.viewport().update()

    def set_busy(self, text: str) -> None:
        """Show ``text`` over the cells while new figures are computed ("" when they are in)."""
        self._busy_text = text
        self.viewport().update()

    @property
    def busy_text(self) -> str:
        return self._busy_text

    def rows(self) -> list[an.UtilisationRow]:
        return list(self._rows)

    def row(self, key: int | str) -> an.UtilisationRow | None:
        at = self._index.get(key)
        return None if at is None else self._rows[at]

    def mondays(self) -> tuple[dt.date, ...]:
        return self._mondays

    def set_selected(self, key: int | str | None, *, scroll: bool = True) -> None:
        """Outline the row of ``key`` (the person shown in the panel); ``scroll`` brings it into view."""
        if key == self._selected:
            return
        self._selected = key
        at = self._index.get(key) if key is not None else None
        if at is not None and scroll:
            self.ensure_row_visible(at)
        self.viewport().update()

    def scroll_to_selected(self) -> None:
        """Bring the outlined row (if it is shown) into view."""
        at = self._index.get(self._selected) if self._selected is not None else None
        if at is not None:
            self.ensure_row_visible(at)

    def ensure_row_visible(self, row: int) -> None:
        bar = self.verticalScrollBar()
        top = row * ROW_HEIGHT
        visible = self.viewport().height() - HEADER_HEIGHT
        if top < bar.value():
            bar.setValue(top)
        elif top + ROW_HEIGHT > bar.value() + visible:
            bar.setValue(top + ROW_HEIGHT - visible)

    # -- geometry -----------------------------------------------------------------------------
    def cell_width(self) -> int:
        """Cells widen to fill the view up to MAX_CELL_WIDTH; below MIN_CELL_WIDTH the view scrolls."""
        weeks = max(len(self._mondays), 1)
        room = (self.viewport().width() - LABEL_WIDTH) // weeks
        return max(MIN_CELL_WIDTH, min(MAX_CELL_WIDTH, room))

    def cell_rect(self, row: int, week: int) -> QRect:
        """The cell's rectangle in viewport coordinates (it may lie outside the visible part)."""
        width = self.cell_width()
        x = LABEL_WIDTH + week * width - self.horizontalScrollBar().value()
        y = HEADER_HEIGHT + row * ROW_HEIGHT - self.verticalScrollBar().value()
        return QRect(x, y, width, ROW_HEIGHT)

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        """(row, week) under a viewport position, or None outside the cells."""
        if pos.x() < LABEL_WIDTH or pos.y() < HEADER_HEIGHT:
            return None
        row = (pos.y() - HEADER_HEIGHT + self.verticalScrollBar().value()) // ROW_HEIGHT
        week = (pos.x() - LABEL_WIDTH + self.horizontalScrollBar().value()) // self.cell_width()
        if 0 <= row < len(self._rows) and 0 <= week < len(self._mondays):
            return row, week
        return None

    def _update_scroll_bars(self) -> None:
        viewport = self.viewport().size()
        content_w = LABEL_WIDTH + len(self._mondays) * self.cell_width()
        content_h = HEADER_HEIGHT + len(self._rows) * ROW_HEIGHT
        horizontal, vertical = self.horizontalScrollBar(), self.verticalScrollBar()
        horizontal.setRange(0, max(content_w - viewport.width(), 0))
        horizontal.setPageStep(max(viewport.width() - LABEL_WIDTH, 1))
        horizontal.setSingleStep(self.cell_width())
        vertical.setRange(0, max(content_h - viewport.height(), 0))
        vertical.setPageStep(max(viewport.height() - HEADER_HEIGHT, 1))
        vertical.setSingleStep(ROW_HEIGHT)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._update_scroll_bars()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 - Qt override
        self.viewport().update()

    # -- painting -----------------------------------------------------------------------------
    def visible_range(self) -> tuple[range, range]:
        """The rows and weeks that intersect the viewport: the only cells painted."""
        width = self.cell_width()
        top, left = self.verticalScrollBar().value(), self.horizontalScrollBar().value()
        height = self.viewport().height() - HEADER_HEIGHT
        cells_w = self.viewport().width() - LABEL_WIDTH
        first_row = top // ROW_HEIGHT
        last_row = min(len(self._rows), (top + height) // ROW_HEIGHT + 1)
        first_week = left // width
        last_week = min(len(self._mondays), (left + cells_w) // width + 1)
        return range(first_row, max(last_row, first_row)), range(first_week, max(last_week, first_week))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self.viewport())
        palette = self.palette()
        painter.fillRect(self.viewport().rect(), palette.color(QPalette.ColorRole.Base))
        rows, weeks = self.visible_range()
        self._paint_cells(painter, rows, weeks)
        self._paint_row_labels(painter, palette, rows)
        self._paint_week_headers(painter, palette, weeks)
        painter.fillRect(QRect(0, 0, LABEL_WIDTH, HEADER_HEIGHT), palette.color(QPalette.ColorRole.Window))
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        corner = QRect(8, 0, LABEL_WIDTH - 14, HEADER_HEIGHT)
        painter.drawText(corner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self._corner_text())
        if self._rows:
            over = "weeks over" if isinstance(self._rows[0].key, int) else "person-weeks over"
            painter.drawText(corner, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight, over)
        if self._busy_text:
            self._paint_busy(painter, palette)
        painter.end()

    def _paint_busy(self, painter: QPainter, palette: QPalette) -> None:
        """The figures shown (if any) veiled, and what is being computed in a box in the middle."""
        area = self.viewport().rect().adjusted(0, HEADER_HEIGHT, 0, 0)
        veil = QColor(palette.color(QPalette.ColorRole.Base))
        veil.setAlpha(170)
        painter.fillRect(area, veil)
        metrics = QFontMetrics(self.font())
        box = metrics.boundingRect(self._busy_text).adjusted(-16, -10, 16, 10)
        box.moveCenter(area.center())
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(palette.color(QPalette.ColorRole.Window))
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self._busy_text)

    def _corner_text(self) -> str:
        if not self._rows:
            return "Computing…" if self._busy_text else "Nothing to show"
        noun = "people" if isinstance(self._rows[0].key, int) else "groups"
        return f"{len(self._rows):,} {noun}"

    def _paint_cells(self, painter: QPainter, rows: range, weeks: range) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 1, 7))
        painter.setFont(font)
        metrics = QFontMetrics(font)
        grid = self.palette().color(QPalette.ColorRole.Base)
        clip = QRect(LABEL_WIDTH, HEADER_HEIGHT, self.viewport().width() - LABEL_WIDTH,
                     self.viewport().height() - HEADER_HEIGHT)
        painter.save()
        painter.setClipRect(clip)
        # Geometry once per paint, and a cell's look once per distinct utilisation: a full
        # viewport is over a thousand cells, most of them sharing a few dozen values.
        width = self.cell_width()
        left, top = LABEL_WIDTH - self.horizontalScrollBar().value(), HEADER_HEIGHT - self.verticalScrollBar().value()
        xs = [(w, left + w * width) for w in weeks]
        looks: dict[float | None, tuple[int | None, str]] = {}
        centre = Qt.AlignmentFlag.AlignCenter
        for r in rows:
            row = self._rows[r]
            y = top + r * ROW_HEIGHT
            painter.setPen(_CELL_TEXT)  # the outlines below change it
            for w, x in xs:
                rect = QRect(x, y, width - 1, ROW_HEIGHT - 1)  # a 1 px gap shows the grid
                level = row.utilisation(w)
                look = looks.get(level)
                if look is None:
                    look = looks[level] = self._cell_look(level, metrics, width - 1)
                band, text = look
                if band is None:
                    painter.fillRect(rect, _AWAY if row.available[w] <= 0 and row.capacity > 0 else grid)
                    continue
                painter.fillRect(rect, self._band_colours[band])
                if text:
                    painter.drawText(rect, centre, text)
            if self._current is not None and self._current[0] == r and self._current[1] in weeks \
                    and self.hasFocus():
                painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Text), 2, Qt.PenStyle.DotLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(self.cell_rect(r, self._current[1]).adjusted(1, 1, -2, -2))
            if row.key == self._selected:
                first, last = self.cell_rect(r, weeks.start), self.cell_rect(r, max(weeks.stop - 1, weeks.start))
                painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRect(first.topLeft(), last.bottomRight()).adjusted(1, 1, -1, -1))
        painter.restore()

    @staticmethod
    def _cell_look(level: float | None, metrics: QFontMetrics, width: int) -> tuple[int | None, str]:
        """A cell's band and the text that fits in it ("117%", else "117", else nothing)."""
        band = band_of(level)
        if band is None:
            return None, ""
        text = format_percent(level)
        if metrics.horizontalAdvance(text) + 4 > width:
            text = text.rstrip("%")  # "117" where "117%" does not fit
        return band, text if metrics.horizontalAdvance(text) + 4 <= width else ""

    def _paint_row_labels(self, painter: QPainter, palette: QPalette, rows: range) -> None:
        painter.save()
        painter.setClipRect(QRect(0, HEADER_HEIGHT, LABEL_WIDTH, self.viewport().height()))
        painter.fillRect(QRect(0, HEADER_HEIGHT, LABEL_WIDTH, self.viewport().height()),
                         palette.color(QPalette.ColorRole.Base))
        bold = QFont(self.font())
        bold.setBold(True)
        for r in rows:
            row = self._rows[r]
            rect = QRect(0, self.cell_rect(r, 0).y(), LABEL_WIDTH, ROW_HEIGHT)
            if row.key == self._selected:
                painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
                painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
            else:
                painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.setFont(bold if row.over_weeks else self.font())
            label = row.label if row.people == 1 or isinstance(row.key, int) else f"{row.label} ({row.people})"
            text = QFontMetrics(painter.font()).elidedText(label, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 40)
            painter.drawText(rect.adjusted(8, 0, -36, 0), Qt.AlignmentFlag.AlignVCenter, text)
            if row.over_weeks:
                painter.setFont(self.font())
                painter.setPen(QColor(UTILISATION_BANDS[-1][1]).darker(150) if row.key != self._selected
                               else palette.color(QPalette.ColorRole.HighlightedText))
                painter.drawText(rect.adjusted(0, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                                 f"{row.over_weeks}w")
        painter.restore()
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(LABEL_WIDTH - 1, HEADER_HEIGHT, LABEL_WIDTH - 1, self.viewport().height())

    def _paint_week_headers(self, painter: QPainter, palette: QPalette, weeks: range) -> None:
        painter.save()
        painter.setClipRect(QRect(LABEL_WIDTH, 0, self.viewport().width() - LABEL_WIDTH, HEADER_HEIGHT))
        painter.fillRect(QRect(0, 0, self.viewport().width(), HEADER_HEIGHT), palette.color(QPalette.ColorRole.Window))
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 1, 7))
        painter.setFont(small)
        this_week = an.week_start(self._today)
        previous_month = None
        for w in weeks:
            monday = self._mondays[w]
            rect = self.cell_rect(0, w)
            rect = QRect(rect.x(), 0, rect.width(), HEADER_HEIGHT)
            bold = monday == this_week
            painter.setPen(palette.color(QPalette.ColorRole.Text if bold else QPalette.ColorRole.WindowText))
            font = QFont(small)
            font.setBold(bold)
            painter.setFont(font)
            top, bottom = rect.adjusted(0, 2, 0, -HEADER_HEIGHT // 2), rect.adjusted(0, HEADER_HEIGHT // 2 - 2, 0, -2)
            month = (monday.year, monday.month)
            if month != previous_month or w == weeks.start:
                painter.drawText(top.adjusted(3, 0, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 f"{monday:%b}" if monday.month != 1 else f"{monday:%b} ’{monday:%y}")
                previous_month = month
            painter.drawText(bottom, Qt.AlignmentFlag.AlignCenter, str(monday.day))
            if any(day in self._holidays for day in an.week_days(monday)):
                painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
                painter.setPen(Qt.PenStyle.NoPen)
                painter.drawEllipse(QRect(rect.right() - 7, 5, 4, 4))
        painter.restore()
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(0, HEADER_HEIGHT - 1, self.viewport().width(), HEADER_HEIGHT - 1)

    # -- interaction --------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            cell = self.cell_at(event.position().toPoint())
            if cell is not None:
                row, week = cell
                self._current = cell
                self.viewport().update()
                self.cell_clicked.emit(self._rows[row].key, week)
                event.accept()
                return
        super().mousePressEvent(event)

    def current_cell(self) -> tuple[int, int] | None:
        """The cell the keyboard is on, as (row, week)."""
        return self._current

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self._rows or not self._mondays:
            super().keyPressEvent(event)
            return
        row, week = self._current or (0, 0)
        page = max(self.verticalScrollBar().pageStep() // ROW_HEIGHT, 1)
        moves = {
            Qt.Key.Key_Up: (-1, 0), Qt.Key.Key_Down: (1, 0), Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1),
            Qt.Key.Key_PageUp: (-page, 0), Qt.Key.Key_PageDown: (page, 0),
        }
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self._current is not None:
            self.cell_clicked.emit(self._rows[row].key, week)
            return
        if key not in moves:
            super().keyPressEvent(event)
            return
        if self._current is not None:
            d_row, d_week = moves[key]
            row = min(max(row + d_row, 0), len(self._rows) - 1)
            week = min(max(week + d_week, 0), len(self._mondays) - 1)
        self._current = (row, week)
        self.ensure_row_visible(row)
        self._ensure_week_visible(week)
        self.viewport().update()

    def _ensure_week_visible(self, week: int) -> None:
        bar, width = self.horizontalScrollBar(), self.cell_width()
        left, visible = week * width, self.viewport().width() - LABEL_WIDTH
        if left < bar.value():
            bar.setValue(left)
        elif left + width > bar.value() + visible:
            bar.setValue(left + width - visible)

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        self.viewport().update()

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def tooltip_at(self, pos: QPoint) -> str:
        """The tooltip for the cell (or week heading) at a viewport position."""
        if pos.y() < HEADER_HEIGHT and pos.x() >= LABEL_WIDTH:
            week = (pos.x() - LABEL_WIDTH + self.horizontalScrollBar().value()) // self.cell_width()
            if 0 <= week < len(self._mondays):
                return self._week_tooltip(week)
            return ""
        cell = self.cell_at(pos)
        if cell is None:
            return ""
        row, week = cell
        if self.tooltip_provider is not None:
            return self.tooltip_provider(self._rows[row], week)
        return cell_summary(self._rows[row], week, self._mondays[week])

    def _week_tooltip(self, week: int) -> str:
        monday = self._mondays[week]
        holidays = [day for day in an.week_days(monday) if day in self._holidays]
        text = f"Week of {format_day(monday)}"
        if holidays:
            text += "<br>Public holiday: " + ", ".join(format_day(day) for day in holidays)
        return text


def cell_summary(row: an.UtilisationRow, week: int, monday: dt.date) -> str:
    """The first lines of a cell's tooltip: who, which week, allocated of available, the percent."""
    level = row.utilisation(week)
    who = row.label if isinstance(row.key, int) else f"{row.label} · {row.people} people"
    lines = [f"<b>{who}</b>", f"Week of {format_day(monday)}",
             f"{row.allocated[week]:.1f} h allocated of {row.available[week]:.1f} h available"]
    if level is not None and math.isinf(level):
        lines.append("<b>Allocated while away</b> (no working time available this week)")
    elif level is not None:
        lines.append(f"Utilisation <b>{format_percent(level)}</b>")
    if row.available[week] < row.capacity - 1e-9:
        lines.append(f"Capacity {row.capacity:g} h, reduced by time away or public holidays")
    return "<br>".join(lines)


class HeatMapLegend(QWidget):
    """Swatches for the utilisation bands and for weeks away."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("utilisation_legend")
        self.setToolTip("Allocated hours over available hours (capacity less time away and public holidays). "
                        "The same colours mark the Utilisation and Peak columns of the table and the timeline bars.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        swatches = [(colour, label) for (_low, colour), label in zip(UTILISATION_BANDS, BAND_LABELS, strict=True)]
        swatches.append((_AWAY.name(), "Away"))
        for colour, label in swatches:
            swatch = QLabel(self)
            swatch.setFixedSize(14, 14)
            swatch.setStyleSheet(f"background:{colour}; border:1px solid rgba(0,0,0,40); border-radius:2px;")
            layout.addWidget(swatch)
            text = QLabel(label, self)
            text.setProperty("role", "hint")
            layout.addWidget(text)
            layout.addSpacing(4)


class HeatMapPane(QWidget):
    """The heat map with its controls; ``refresh()`` computes it, ``note_change`` narrows the next one."""

    #: (row key, week index, monday) when a cell is clicked.
    cell_activated = Signal(object, int, object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("heat_map_pane")
        self.ctx = ctx
        self.figures: an.Utilisation | None = None
        self._pending: set[int] | None = None  # people an edit touched, None when unknown
        self._dirty = True
        self._tooltips: dict[tuple[int, int], str] = {}
        self._task: Task | None = None  # the background computation under way
        self._generation = 0  # only the latest computation's figures are shown
        self.last_compute_seconds = 0.0
        #: The day the range starts from; None follows the clock (a fixed day suits demos and tests).
        self.fixed_today: dt.date | None = None

        title = QLabel("Utilisation by week", self)
        title.setObjectName("heat_map_title")
        title_font = title.font()
        title_font.setBold(True)
        title.setFont(title_font)
        self.group_combo = QComboBox(self)
        self.group_combo.setObjectName("heat_map_group")
        for key, label in GROUP_LABELS.items():
            self.group_combo.addItem(label, key)
        self.group_combo.setToolTip("Show people, or their hours summed by role or by team")
        self.range_combo = QComboBox(self)
        self.range_combo.setObjectName("heat_map_range")
        for weeks in RANGES:
            self.range_combo.addItem(f"Next {weeks} weeks", weeks)
        self.range_combo.setToolTip("Weeks shown, from this week on")
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("heat_map_summary")
        self.summary_label.setProperty("role", "hint")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.legend = HeatMapLegend(self)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(8)
        header.addWidget(title)
        header.addWidget(self.group_combo)
        header.addWidget(self.range_combo)
        header.addStretch(1)
        header.addWidget(self.legend)
        self.summary_label.setWordWrap(True)
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.view = HeatMapView(self)
        self.view.tooltip_provider = self._tooltip
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.view, 1)

        self.group_combo.currentIndexChanged.connect(self._on_controls_changed)
        self.range_combo.currentIndexChanged.connect(self._on_controls_changed)
        self.view.cell_clicked.connect(self._on_view_cell_clicked)

    # -- state --------------------------------------------------------------------------------
    @property
    def today(self) -> dt.date:
        return self.fixed_today or dt.date.today()

    @property
    def group(self) -> an.Group:
        return self.group_combo.currentData()

    @property
    def weeks(self) -> int:
        return int(self.range_combo.currentData())

    def set_group(self, group: an.Group) -> None:
        self.group_combo.setCurrentIndex(self.group_combo.findData(group))

    def set_weeks(self, weeks: int) -> None:
        self.range_combo.setCurrentIndex(self.range_combo.findData(weeks))

    def note_change(self, person_ids: Collection[int]) -> None:
        """An edit changed these people's hours: the next refresh re-reads only them."""
        if self._dirty:
            return  # a full refresh is due anyway
        if self._pending is None:
            self._pending = set()
        self._pending.update(person_ids)

    def has_pending_change(self) -> bool:
        """True when an edit has named the people it touched since the last refresh."""
        return self._pending is not None

    def mark_dirty(self) -> None:
        """Something changed that may touch anyone: the next refresh computes everything."""
        self._dirty = True
        self._pending = None

    @property
    def is_busy(self) -> bool:
        """True while figures are being computed in the background."""
        return self._task is not None

    # -- computing ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Compute the heat map: only the people ``note_change`` named, when that is enough.

        A full computation of a large map runs in the background (see the module docstring);
        ``is_busy`` is True until its figures are shown.
        """
        started = time.perf_counter()
        self._tooltips.clear()
        pending, self._pending = self._pending, None
        if (pending is not None and not self._dirty and not self.is_busy and self.group == "person"
                and self.figures is not None):
            mondays, rows, _holidays = self.ctx.read(an.person_rows, self.figures.mondays[0], self.weeks, pending)
            changed = {row.key for row in rows}
            self.view.replace_rows(rows)
            for person_id in pending - changed:
                self._drop_row(person_id)
            self._update_summary_counts()
            self._dirty = False
            self.last_compute_seconds = time.perf_counter() - started
            return
        today, weeks, group = self.today, self.weeks, self.group
        self._generation += 1
        self._dirty = False  # a change from now on marks it again, and its refresh supersedes this one
        if self.ctx.read(an.people_count) * weeks < BACKGROUND_CELLS:
            self._show_figures(self.ctx.read(an.utilisation, today, weeks, group=group), started)
            return
        generation, db = self._generation, self.ctx.db

        def compute() -> an.Utilisation:
            with db.session() as session:
                return an.utilisation(session, today, weeks, group=group)

        noun = GROUP_LABELS[group].lower()
        self.view.set_busy(f"Computing utilisation by week for {noun}…")
        self.summary_label.setText(f"Computing the next {weeks} weeks…")
        self._task = run_in_background(
            compute, on_done=lambda figures: self._on_computed(generation, figures, started),
            on_error=lambda exc: self._on_compute_failed(generation, exc), parent=self)

    def _on_computed(self, generation: int, figures: an.Utilisation, started: float) -> None:
        if not isValid(self) or generation != self._generation:
            return  # a later refresh (another range or grouping, an edit) is under way
        self._task = None
        self.view.set_busy("")
        recomputed = self.figures is not None  # the first map opens at its top, the most over-allocated
        self._show_figures(figures, started)
        if recomputed:
            self.view.scroll_to_selected()

    def _on_compute_failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self._task = None
        self.view.set_busy("")
        self.summary_label.setText("The utilisation could not be computed.")
        self.ctx.error_raised.emit(exc)

    def _show_figures(self, figures: an.Utilisation, started: float) -> None:
        self.figures = figures
        self.view.set_figures(figures.rows, figures.mondays, figures.holidays, self.today)
        self._show_summary(figures)
        self.last_compute_seconds = time.perf_counter() - started

    def _drop_row(self, key: int) -> None:
        rows = [row for row in self.view.rows() if row.key != key]
        self.view.set_figures(rows, self.view.mondays(), self.figures.holidays if self.figures else (), self.today)

    def _update_summary_counts(self) -> None:
        """Bench, demand and over-allocation totals again from the rows shown (people only)."""
        if self.figures is None:
            return
        figures = self.figures
        resorted = an.summarise(self.view.rows(), "person", figures.mondays, figures.holidays,
                                figures.bench_threshold, figures.demand_hours)
        # Keep the rows in the order shown while the user is working on them.
        self.figures = an.Utilisation(
            figures.group, figures.mondays, tuple(self.view.rows()), resorted.over_allocated_weeks,
            figures.bench_threshold, resorted.bench, resorted.demand, figures.holidays, figures.demand_hours,
        )
        self._show_summary(self.figures)

    def _show_summary(self, figures: an.Utilisation) -> None:
        over_people = sum(1 for row in figures.rows if row.over_weeks) if figures.group == "person" else None
        parts = [f"<b>{figures.over_allocated_weeks:,}</b> over-allocated person-weeks"
                 + (f" ({over_people:,} people)" if over_people is not None else "")]
        parts.append(f"<b>{len(figures.bench):,}</b> on the bench (under {figures.bench_threshold:.0%})")
        short = [d for d in figures.demand if d.total_shortfall > 0]
        if short:
            parts.append(f"unfilled demand in <b>{len(short)}</b> role{'s' if len(short) != 1 else ''}")
        self.summary_label.setText(" · ".join(parts))
        self.summary_label.setToolTip(_summary_tooltip(figures))

    # -- tooltips -----------------------------------------------------------------------------
    def _tooltip(self, row: an.UtilisationRow, week: int) -> str:
        monday = self.view.mondays()[week]
        text = cell_summary(row, week, monday)
        if not isinstance(row.key, int):
            return text
        cached = self._tooltips.get((row.key, week))
        if cached is None:
            from ...services.resources import week_allocations

            lines = self.ctx.read(week_allocations, row.key, monday)
            cached = "".join(
                f"<br>• {a.line.project_code} — {a.line.project_name}: {a.week_hours:.1f} h"
                f" ({a.line.hours_per_week:g} h/week)" for a in lines
            ) or "<br>No allocations this week"
            self._tooltips[(row.key, week)] = cached
        return text + "<br>" + cached + "<br><i>Click to see and change this week's allocations</i>"

    # -- slots --------------------------------------------------------------------------------
    def _on_controls_changed(self, _index: int) -> None:
        self.mark_dirty()
        if self.figures is not None or self.is_busy:  # not before the first show
            self.refresh()

    def _on_view_cell_clicked(self, key, week: int) -> None:
        self.cell_activated.emit(key, week, self.view.mondays()[week])


def _summary_tooltip(figures: an.Utilisation) -> str:
    """The bench and the roles short of people, named."""
    lines = []
    if figures.bench:
        names = ", ".join(f"{b.name} ({format_percent(b.utilisation)})" for b in figures.bench[:12])
        more = f" and {len(figures.bench) - 12} more" if len(figures.bench) > 12 else ""
        lines.append(f"<b>Bench</b> (under {figures.bench_threshold:.0%} over the range): {names}{more}")
    short = [d for d in figures.demand if d.total_shortfall > 0]
    if short:
        lines.append("<b>Unfilled demand beyond the free hours of the role</b>:")
        lines += [f"{d.role}: {d.total_shortfall:,.0f} h over {sum(1 for s in d.shortfall if s > 0)} weeks"
                  for d in short[:8]]
    return "<br>".join(lines) or "No one on the bench and no unfilled demand."
