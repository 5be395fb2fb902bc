"""The executive pack as a PDF: the workbook's content printed on A4 landscape pages with Qt.

``write_pdf_pack`` gathers the same ``PackData`` as the workbook, lays it out as rich text
(``pack_html``), and prints that ``QTextDocument`` page by page on a ``QPdfWriter``, drawing a
header (office, section, scope and as-of date) and a footer ("page N of M") around each page.
Qt repeats a table's header row on every page it runs onto; a row that would break across pages
starts the next page whole (``keep_rows_whole``), however long the table; long text wraps
(anywhere, when a word is wider than its column), so nothing overflows.

It runs headless: with no Qt application yet (the CLI, a scheduled job) it starts a
``QGuiApplication`` on the offscreen platform. It may run on a worker thread of the GUI (it
uses only QImage, QPainter, QTextDocument and QPdfWriter, never a widget or a QPixmap).

The PDF is made in memory and then written to ``.NAME.partial`` beside the target, flushed,
and renamed over it: the target is the previous file or the whole new pack, never a truncated one.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLineF, QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPalette,
    QPdfWriter,
    QPen,
    QRegion,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrame,
    QTextOption,
    QTextTable,
)

from ...reports.exec_pack import (
    ALL,
    SECTIONS,
    ExecPackError,
    PackSteps,
    ProgressLike,
    database_label,
    pack_target,
    save_error_message,
)
from ...reports.pack_data import PackData, Scope, gather_pack
from .pack_html import GREY, NAVY, RULE, PackHtml

RESOLUTION = 300
"""Dots per inch the document is laid out for (text stays vector; it sets the units of lengths)."""
MARGINS_MM = QMarginsF(12, 9, 12, 8)
HEADER_PT = 22.0
FOOTER_PT = 18.0
FONT_FAMILIES = ["Segoe UI", "Helvetica Neue", "Arial", "Liberation Sans", "DejaVu Sans"]
CHUNK = 1 << 20
BLANK_OVERLAP = 12.0
"""Device pixels (1 mm at the pack's resolution) by which a blanked area reaches past a table's sides."""
ONE_BY_ONE_MAX_ROWS = 500
"""Up to this many rows, a table's breaking rows are moved one at a time; each move lays the whole
table out again (about a second at a thousand rows), so a longer table is paginated in one pass."""
FIT_SLACK = 2.0
"""Device pixels a row is kept clear of the page's foot when rows are placed in one pass."""

_app: QGuiApplication | None = None


class PdfPackError(ExecPackError):
    """The PDF pack could not be written (the message says where and what to do)."""


@dataclass(frozen=True, slots=True)
class PdfPackResult:
    """What ``write_pdf_pack`` wrote: the file, its sections and pages, and how long it took."""

    path: Path
    sections: tuple[str, ...]
    pages: int
    scope: Scope
    as_of: dt.date
    seconds: float


def ensure_gui_application() -> None:
    """Start a Qt application on the offscreen platform when the process has none yet.

    It is a QApplication (a QGuiApplication that also allows widgets), so that a process which
    prints a pack first and opens a window later (the self-test, a test run) can still do both.
    A platform the environment already chose (``QT_QPA_PLATFORM``, e.g. an offscreen screen of a
    given size) is kept; otherwise offscreen, so that a scheduled job never needs a display.
    """
    global _app
    if QGuiApplication.instance() is None:
        from PySide6.QtWidgets import QApplication

        argv = [sys.argv[0] if sys.argv else "pmo-desktop"]
        if not os.environ.get("QT_QPA_PLATFORM"):
            argv += ["-platform", "offscreen"]
        _app = QApplication(argv)


def _base_font(points: float) -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    font.setPointSizeF(points)
    # No ligatures: "ffi" drawn as one glyph reads back as "ﬃ", and a search for "Office" would miss it.
    for tag in ("liga", "clig"):
        font.setFeature(QFont.Tag(tag), 0)
    return font


@dataclass(frozen=True, slots=True)
class PackMarkup:
    """The pack as rich text: the cover, the chosen sections after it, and the chart images they show."""

    cover: str
    sections: str
    images: dict[str, bytes]

    @property
    def html(self) -> str:
        return self.cover + self.sections


def build_html(data: PackData, sections: Sequence[str], *, generated: dt.datetime, unit: float, db_label: str,
               tick: Callable[[str], None]) -> PackMarkup:
    """The pack's HTML (a cover, then the chosen sections in order) and the chart images it shows."""
    pack = PackHtml(data, generated=generated, unit=unit)
    writers: dict[str, Callable[[], str]] = {
        "Summary": pack.summary, "Portfolio": pack.portfolio, "Milestones": pack.milestones,
        "Financials": pack.financials, "Resources": pack.resources, "RAID": pack.raid,
        "Governance": pack.governance, "Notes": lambda: pack.notes(db_label),
    }
    chosen = [name for name in SECTIONS if name in sections]
    cover = pack.cover(chosen)
    parts = []
    for name in chosen:
        tick(name)
        parts.append(writers[name]())
    return PackMarkup(cover, "".join(parts), pack.images)


def _tables(frame: QTextFrame) -> Iterator[QTextTable]:
    """Every table in ``frame``, nested ones included, in document order."""
    for child in frame.childFrames():
        if isinstance(child, QTextTable):
            yield child
        yield from _tables(child)


def _page_of(layout, cell, page_height: float, *, last: bool = False) -> int:
    """The page on which ``cell``'s text starts (or, ``last``, ends)."""
    cursor = cell.lastCursorPosition() if last else cell.firstCursorPosition()
    rect = layout.blockBoundingRect(cursor.block())
    return int((rect.bottom() - 0.5) // page_height) if last else int(rect.top() // page_height)


def _row_breaks(layout, table: QTextTable, row: int, page_height: float) -> bool:
    """True when a cell of ``row`` ends on another page than the row starts."""
    start = _page_of(layout, table.cellAt(row, 0), page_height)
    return any(_page_of(layout, table.cellAt(row, column), page_height, last=True) != start
               for column in range(table.columns()))


def _break_before(document: QTextDocument, table: QTextTable, rows: Sequence[int], *, on: bool = True) -> None:
    """Start each of ``rows`` on a new page: the row above it ends its page (one edit, so one relayout).

    A break after the row above, not before this one: a cell that breaks before itself is moved
    twice (once by the table, once by its block) and leaves a page with nothing but the header.
    ``on`` False takes such breaks back.
    """
    edit = QTextCursor(document)
    edit.beginEditBlock()
    for row in rows:
        for column in range(table.columns()):
            cursor = table.cellAt(row - 1, column).lastCursorPosition()
            block = cursor.blockFormat()
            policy = block.pageBreakPolicy()
            if on:
                policy |= QTextFormat.PageBreakFlag.PageBreak_AlwaysAfter
            else:
                policy &= ~QTextFormat.PageBreakFlag.PageBreak_AlwaysAfter
            block.setPageBreakPolicy(policy)
            cursor.setBlockFormat(block)
    edit.endEditBlock()


def keep_rows_whole(document: QTextDocument, page_height: float,
                    check: Callable[[], None] = lambda: None) -> list[tuple[QTextTable, int]]:
    """Start each table row that would break across pages on the next page instead.

    Qt breaks a row between the lines of its cells, and then draws the whole cell on both pages
    (clipped): the words of its first part would also sit, unseen, above the next page's body,
    where search and copy in a PDF reader still find them. A row moved whole has none. A table of
    up to ``ONE_BY_ONE_MAX_ROWS`` rows has its breaking rows moved one at a time; a longer one is
    paginated in one pass (``_paginate``), as a move lays its whole table out again. ``check``
    (Cancel) is called before each change.

    Returns the rows that now end a page early, as (table, row): the row after each one starts a page.
    """
    document.pageCount()  # lays the whole document out first: edits to a lazily laid-out part leave stale pages
    ends: list[tuple[QTextTable, int]] = []
    for table in _tables(document.rootFrame()):
        if table.rows() > ONE_BY_ONE_MAX_ROWS:
            paginated = _paginate(document, table, page_height, check)
            if paginated is not None:
                ends += [(table, row - 1) for row in paginated]
                continue
        ends += [(table, row - 1) for row in _move_breaking_rows(document, table, page_height, check)]
    return ends


def _move_breaking_rows(document: QTextDocument, table: QTextTable, page_height: float,
                        check: Callable[[], None]) -> list[int]:
    """Move each row of ``table`` that breaks across pages to the next page, one by one; the rows moved.

    Only the last row that starts on each page can break, so only those are looked at closely.
    """
    layout = document.documentLayout()
    moved = []
    rows = table.rows()
    for row in range(table.format().headerRowCount() + 1, rows):
        if row + 1 < rows and (_page_of(layout, table.cellAt(row + 1, 0), page_height)
                               == _page_of(layout, table.cellAt(row, 0), page_height)):
            continue
        if _row_breaks(layout, table, row, page_height):
            check()
            _break_before(document, table, [row])
            moved.append(row)
    return moved


def _paginate(document: QTextDocument, table: QTextTable, page_height: float,
              check: Callable[[], None]) -> list[int] | None:
    """Start every page of a long table with a row that fits whole, in one edit; the rows that start a page.

    Where each row falls is worked out from the table as laid out: a row's height when whole is
    its tallest cell's lines plus the padding and rules (measured on rows that sit whole on one
    page), and a continued table's rows start as far below the page's top as on the pages Qt
    continued it on (under the repeated header). A row that would not fit whole in what is left
    of its page starts the next page. The new layout is checked row by row: None (and the breaks
    taken back) when a row is not where it was expected, e.g. a row taller than a page.
    """
    layout = document.documentLayout()
    first, rows = table.format().headerRowCount(), table.rows()
    if rows - first < 2:
        return None
    tops = [_cell_text(layout, table, row, 0).top() for row in range(rows)]
    pages = [int(top // page_height) for top in tops]
    heights = [max(_lines_height(table.cellAt(row, column)) for column in range(table.columns()))
               for row in range(rows)]
    # A row followed on its page by the next one sits whole there: its pitch is its height.
    pitch = [tops[row + 1] - tops[row] - heights[row] for row in range(first, rows - 1) if pages[row + 1] == pages[row]]
    continued = [tops[row] - pages[row] * page_height for row in range(first + 1, rows) if pages[row] > pages[row - 1]]
    if not pitch or not continued:
        return None
    frame = max(pitch)  # padding and rules of a row: the most any whole row took beyond its lines
    device = layout.paintDevice()
    scale = device.logicalDpiY() / 96 if device is not None else 1.0  # as Qt scales table lengths
    padding, border = table.format().cellPadding() * scale, table.format().border() * scale
    # A page the table is broken onto starts its rows a strip lower than one Qt continues it on (see stretched_cells).
    page_top = min(continued) + 2 * padding + border
    starts, expected = [], []
    page, top = pages[first], tops[first]
    for row in range(first, rows):
        height = heights[row] + frame
        if row > first and top + height - padding > (page + 1) * page_height - FIT_SLACK:
            page, top = page + 1, (page + 1) * page_height + page_top
            starts.append(row)
        expected.append(page)
        top += height
    check()
    _break_before(document, table, starts)
    document.pageCount()
    ends_page = set(starts) | {rows}
    for row in range(first, rows):
        moved_off = _page_of(layout, table.cellAt(row, 0), page_height) != expected[row - first]
        if moved_off or (row + 1 in ends_page and _row_breaks(layout, table, row, page_height)):
            _break_before(document, table, starts, on=False)
            document.pageCount()
            return None
    return starts


def _lines_height(cell) -> float:
    """The height of a table cell's text when none of it is pushed to another page: its lines and block margins."""
    block, last = cell.firstCursorPosition().block(), cell.lastCursorPosition().block()
    height = 0.0
    while block.isValid():
        text = block.layout()
        fmt = block.blockFormat()
        height += sum(text.lineAt(i).height() for i in range(text.lineCount())) + fmt.topMargin() + fmt.bottomMargin()
        if block == last:
            break
        block = block.next()
    return height


@dataclass(frozen=True, slots=True)
class Gap:
    """An area of a page to leave blank (document lengths), and the rule that closes the table above it."""

    area: QRectF
    rule: QLineF | None = None


def stretched_cells(document: QTextDocument, page_height: float) -> dict[int, list[Gap]]:
    """Per page, the areas that a table's last row on the page stretches its cells over, to be left blank.

    When the next row starts on the next page (Qt dropped it there, or ``keep_rows_whole`` moved
    it), Qt makes the last row left on the page as tall as the rest of the page, so its fill and
    borders would run down to the footer. A moved row's page break also counts as its cells'
    content on the next page: the stretched row shows again as a strip between the repeated header
    and the moved row. The row's natural foot is its tallest cell's text plus the cell padding;
    the areas are, across the table, from there to the page's foot, and that strip (two paddings
    high) above the moved row's top edge.
    """
    layout = document.documentLayout()
    device = layout.paintDevice()
    scale = device.logicalDpiY() / 96 if device is not None else 1.0  # as Qt scales table lengths
    gaps: dict[int, list[Gap]] = {}
    for table in _tables(document.rootFrame()):
        fmt = table.format()
        padding, border = fmt.cellPadding() * scale, fmt.border() * scale
        columns = range(table.columns())
        first_row = fmt.headerRowCount()
        pages = [int(_cell_text(layout, table, row, 0).top() // page_height) for row in range(table.rows())]
        for row in range(first_row, table.rows() - 1):
            page = pages[row]
            if pages[row + 1] == page:
                continue
            foot = max(_cell_text(layout, table, row, column, last=True).bottom() for column in columns) + padding
            if foot >= (page + 1) * page_height:
                continue  # a row Qt broke across the pages: nothing is stretched
            left = _cell_text(layout, table, row, 0).left() - padding
            right = _cell_text(layout, table, row, table.columns() - 1).right() + padding
            rule = QLineF(left, foot, right, foot) if border > 0 else None
            # A little wider than the cells, over the table's outer border.
            left, right = max(left - BLANK_OVERLAP, 0.0), min(right + BLANK_OVERLAP, document.pageSize().width())
            gaps.setdefault(page, []).append(Gap(QRectF(left, foot, right - left, (page + 1) * page_height - foot),
                                                 rule))
            if _breaks_after(table, row):
                moved_top = min(_cell_text(layout, table, row + 1, column).top() for column in columns) - padding
                strip = 2 * padding + border
                gaps.setdefault(pages[row + 1], []).append(
                    Gap(QRectF(left, moved_top - border - strip, right - left, strip)))
    return gaps


def _breaks_after(table: QTextTable, row: int) -> bool:
    """True when ``keep_rows_whole`` ended the page after ``row`` (its cells break the page after them)."""
    policy = table.cellAt(row, 0).lastCursorPosition().blockFormat().pageBreakPolicy()
    return bool(policy & QTextFormat.PageBreakFlag.PageBreak_AlwaysAfter)


def _cell_text(layout, table: QTextTable, row: int, column: int, *, last: bool = False) -> QRectF:
    """Where the first (or ``last``) paragraph of a cell was laid out, in document coordinates."""
    cell = table.cellAt(row, column)
    return layout.blockBoundingRect((cell.lastCursorPosition() if last else cell.firstCursorPosition()).block())


def draw_body(painter: QPainter, document: QTextDocument, index: int, page: QSizeF,
              gaps: Sequence[Gap] = ()) -> None:
    """Draw the document's page ``index`` at the painter's origin, leaving ``gaps`` blank."""
    area = QRectF(0, index * page.height(), page.width(), page.height())
    painter.save()
    painter.translate(0, -area.top())
    region = QRegion(area.toAlignedRect())
    for gap in gaps:
        region -= QRegion(gap.area.toAlignedRect())
    painter.setClipRegion(region)
    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = area
    context.palette.setColor(QPalette.ColorRole.Text, QColor("black"))
    document.documentLayout().draw(painter, context)
    painter.setClipping(False)
    painter.setPen(QPen(QColor(RULE), 1))
    for rule in (gap.rule for gap in gaps if gap.rule is not None):
        painter.drawLine(rule)
    painter.restore()


def number_contents(document: QTextDocument, numbers: dict[str, int]) -> bool:
    """Write each section's page number beside its name in the cover's contents; False when there is none.

    The contents is the table whose rows name the sections, with an empty second column. A number
    takes no more room than the empty line before it, so no page moves; but Qt lays out again all
    of the document after the edit, so the pack numbers a document of the cover alone (``_Pages``).
    """
    for table in _tables(document.rootFrame()):
        names = [table.cellAt(row, 0).firstCursorPosition().block().text() for row in range(table.rows())]
        if table.columns() != 2 or not names or any(name not in numbers for name in names):
            continue
        edit = QTextCursor(document)
        edit.beginEditBlock()
        for row, name in enumerate(names):
            table.cellAt(row, 1).firstCursorPosition().insertText(str(numbers[name]))
        edit.endEditBlock()
        return True
    return False


def keep_headings_with_next(document: QTextDocument, page_height: float) -> int:
    """Start a heading on the next page when what follows it would (a heading alone at a page's foot).

    Returns how many headings moved.
    """
    layout = document.documentLayout()
    document.pageCount()  # the whole document laid out first, as for keep_rows_whole
    moved = 0
    block = document.begin()
    while block.isValid():
        following = block.next()
        if block.blockFormat().headingLevel() == 2 and following.isValid():
            heading = layout.blockBoundingRect(block)
            after = layout.blockBoundingRect(following)
            if int((heading.top() + 0.5) // page_height) < int((after.top() + 0.5) // page_height):
                cursor = QTextCursor(block)
                fmt = cursor.blockFormat()
                fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
                cursor.setBlockFormat(fmt)
                moved += 1
        block = following
    return moved


class _Pages:
    """Prints a laid-out document page by page with the pack's header and footer.

    The cover's contents gives each section's first page, known only once the whole document is
    laid out and paginated. Writing the numbers into that document would make Qt lay all of it out
    again (seconds for a long pack), so the cover page is printed from a document of the cover
    alone (``cover``, the same markup, so laid out the same), numbered there at the cost of one
    page's layout. Were the cover ever more than one page, the whole document is numbered instead.
    """

    def __init__(self, writer: QPdfWriter, document: QTextDocument, cover: QTextDocument, data: PackData,
                 generated: dt.datetime, check: Callable[[], None]):
        self.writer, self.document, self.cover, self.data, self.generated = writer, document, cover, data, generated
        self.unit = writer.resolution() / 72
        page = writer.pageLayout().paintRectPixels(writer.resolution())
        self.width, self.height = float(page.width()), float(page.height())
        self.body = QRectF(0, HEADER_PT * self.unit, self.width, self.height - (HEADER_PT + FOOTER_PT) * self.unit)
        document.setPageSize(QSizeF(self.body.width(), self.body.height()))
        cover.setPageSize(document.pageSize())
        keep_headings_with_next(document, self.body.height())
        keep_rows_whole(document, self.body.height(), check)
        self.gaps = stretched_cells(document, self.body.height())

    def section_starts(self) -> list[tuple[int, str]]:
        """(page, section title) for each section's first page, from where its title was laid out."""
        starts = []
        block = self.document.begin()
        layout = self.document.documentLayout()
        while block.isValid():
            if block.blockFormat().headingLevel() == 1 and block.text() in SECTIONS:
                # The bottom edge: the top may lie in the margin left on the page before the break.
                page = int(layout.blockBoundingRect(block).bottom() // self.body.height())
                starts.append((page, block.text()))
            block = block.next()
        return starts

    def pages_with_content(self) -> list[int]:
        """The document's pages that hold any text, table cell or image, in order.

        A section that ends exactly at the foot of a page leaves the empty paragraph Qt keeps
        after a table on a page of its own, before the next section's page break: that page is
        not printed.
        """
        height = self.body.height()
        layout = self.document.documentLayout()
        used: set[int] = set()
        block = self.document.begin()
        while block.isValid():
            if block.text().strip():
                rect = layout.blockBoundingRect(block)
                # Half a pixel in from each edge: a block that starts at a page break reads as just above it.
                used.update(range(int((rect.top() + 0.5) // height), int((rect.bottom() - 0.5) // height) + 1))
            block = block.next()
        return sorted(page for page in used if page < self.document.pageCount())

    def print_all(self, check: Callable[[], None]) -> int:
        pages = self.pages_with_content()
        starts = self.section_starts()
        numbers = {title: pages.index(first) + 1 for first, title in starts if first in pages}
        if self.cover.pageCount() == 1 and pages[:1] == [0]:
            number_contents(self.cover, numbers)
        else:
            self.cover = self.document
            number_contents(self.document, numbers)
        painter = QPainter()
        if not painter.begin(self.writer):
            raise PdfPackError("Qt could not start the PDF (no painter); nothing was written.")
        try:
            for number, index in enumerate(pages):
                check()
                if number:
                    self.writer.newPage()
                section = next((title for first, title in reversed(starts) if first <= index), "")
                self._page(painter, index, number, len(pages), section)
        finally:
            painter.end()
        return len(pages)

    def _fit(self, font: QFont, text: str, share: float = 1 / 3) -> str:
        """``text`` cut with an ellipsis to ``share`` of the page's width (a long office or programme name)."""
        metrics = QFontMetricsF(font, self.writer)
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, self.width * share - 6 * self.unit)

    def _page(self, painter: QPainter, index: int, number: int, pages: int, section: str) -> None:
        """Print the document's page ``index`` as page ``number`` (from 0) of ``pages``."""
        body = self.body
        painter.save()
        painter.translate(0, body.top())
        draw_body(painter, self.cover if index == 0 else self.document, index, body.size(), self.gaps.get(index, ()))
        painter.restore()
        d = self.data
        small = _base_font(7)
        painter.setFont(small)
        u = self.unit
        if number:  # the cover has no running header
            header = QRectF(0, 0, self.width, (HEADER_PT - 8) * u)
            painter.setPen(QColor(GREY))
            painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             self._fit(small, d.office_name))
            painter.setPen(QColor(NAVY))
            bold = _base_font(7)
            bold.setBold(True)
            painter.setFont(bold)
            painter.drawText(header, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                             f"Executive pack — {section}" if section else "Executive pack")
            painter.setFont(small)
            painter.setPen(QColor(GREY))
            painter.drawText(header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                             self._fit(small, f"{d.scope_text} · as of {d.as_of:%d %b %Y}"))
            painter.setPen(QPen(QColor(RULE), 0.6 * u))
            painter.drawLine(0, round((HEADER_PT - 5) * u), round(self.width), round((HEADER_PT - 5) * u))
        top = self.height - (FOOTER_PT - 6) * u
        painter.setPen(QPen(QColor(RULE), 0.6 * u))
        painter.drawLine(0, round(top - 2 * u), round(self.width), round(top - 2 * u))
        footer = QRectF(0, top, self.width, (FOOTER_PT - 6) * u)
        painter.setPen(QColor(GREY))
        painter.drawText(footer, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self._fit(small, f"PMO Desktop · generated {self.generated:%d %b %Y %H:%M} · "
                                          f"{d.scope_text} · as of {d.as_of:%d %b %Y}", 0.8))
        painter.drawText(footer, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         f"Page {number + 1} of {pages}")


def _document(writer: QPdfWriter, html: str, images: dict[str, bytes]) -> QTextDocument:
    """``html`` as a document laid out for ``writer``'s pages, in the pack's font, showing ``images``."""
    document = QTextDocument()
    document.documentLayout().setPaintDevice(writer)
    document.setDefaultFont(_base_font(8.5))
    document.setDocumentMargin(0)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    document.setDefaultTextOption(option)
    for name, png in images.items():
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"pack:{name}"),
                             QImage.fromData(png, "PNG"))
    document.setHtml(html)
    return document


def render_pdf(markup: PackMarkup, data: PackData, *, generated: dt.datetime,
               check: Callable[[], None] = lambda: None) -> tuple[bytes, int]:
    """Print the pack's ``markup`` to PDF bytes; returns the bytes and the page count."""
    ensure_gui_application()
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape,
                                     MARGINS_MM, QPageLayout.Unit.Millimeter))
    writer.setTitle(f"Executive pack — {data.office_name} — {data.scope_text}, as of {data.as_of:%d %b %Y}")
    writer.setCreator("PMO Desktop")
    document = _document(writer, markup.html, markup.images)
    cover = _document(writer, markup.cover, markup.images)
    pages = _Pages(writer, document, cover, data, generated, check).print_all(check)
    del writer  # finishes the PDF in the buffer
    buffer.close()
    return bytes(array.data()), pages


def write_atomically(target: Path, content: bytes) -> None:
    """Write ``content`` to ``.NAME.partial`` beside ``target``, flush it to disk, rename it over ``target``."""
    temp = target.with_name(f".{target.name}.partial")
    try:
        with open(temp, "wb") as handle:
            for start in range(0, len(content), CHUNK):
                handle.write(content[start:start + CHUNK])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as exc:
        raise PdfPackError(save_error_message(target, exc)) from exc
    finally:
        temp.unlink(missing_ok=True)


def write_pdf_pack(db, path: str | Path, *, as_of: dt.date | None = None, scope: Scope = None,
                   sections: Sequence[str] = ALL, progress: ProgressLike | None = None) -> PdfPackResult:
    """Write the executive pack for ``scope`` as of ``as_of`` (default today) to ``path`` (.pdf).

    Arguments as ``reports.exec_pack.write_exec_pack``: ``progress.check()`` may raise to cancel,
    and then nothing is written. Raises ``pack_data.ScopeError`` for an unknown programme or
    department and ``PdfPackError`` when the file cannot be written.
    """
    started = time.perf_counter()
    target = pack_target(path, ".pdf", "as PDF", PdfPackError)
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown or not sections:
        raise PdfPackError(f"Choose pack sections from {', '.join(SECTIONS)}"
                           + (f", not {', '.join(unknown)}." if unknown else "."))
    as_of = as_of or dt.date.today()
    chosen = tuple(s for s in SECTIONS if s in sections)
    tick = PackSteps(progress, chosen, "Laying out", ("Printing pages…", "Saving…"))
    with db.session() as session:
        data = gather_pack(session, as_of=as_of, scope=scope, step=tick)
    generated = dt.datetime.now()
    markup = build_html(data, chosen, generated=generated, unit=96 / 72, db_label=database_label(db), tick=tick)
    tick("Printing pages…")
    content, pages = render_pdf(markup, data, generated=generated, check=tick.check)
    tick("Saving…")
    write_atomically(target, content)
    return PdfPackResult(target, chosen, pages, data.scope, as_of, time.perf_counter() - started)
