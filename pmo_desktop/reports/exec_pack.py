"""The executive pack: one .xlsx a director can read, print and filter, written with openpyxl.

``write_exec_pack`` gathers the figures (``pack_data.gather_pack``) and lays them out on up to
nine sheets: Summary (KPI tiles, RAG counts with a chart, what changed since the last period, top
risks), Portfolio, Milestones, Financials, Resources, RAID, Governance and Notes. The layout
follows one pattern: a title and a scope line, then a table whose header is frozen and
repeated on every printed page.

The workbook is write-only: the long sheets (Portfolio, RAID, Governance: tens of thousands of
rows at an office's scale) are streamed, each row written to a temporary file as soon as it is
laid out, with its cells' styles built once per column; the small sheets (tiles, merged cells,
charts) are laid out in memory and written at save, as in an ordinary workbook. Both look the
same to the reader; streaming halves the time and the memory of a large pack.

Rules the writer keeps:

- every text that comes from data is a text cell, so "=HYPERLINK(...)" stays words, never a formula;
- charts are native Excel charts over ranges of the workbook (editable by the reader);
- no macros, no external links, no formulas at all: the numbers are the analytics' numbers;
- the file is written to a ``.partial`` file beside the target and renamed into place, so the
  target is either the previous file or the whole new pack, never a truncated one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TIME_FORMATS, Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..analytics.governance import RULE_TITLES
from ..analytics.resources import OVER_ALLOCATED
from ..analytics.risks import SCALE, SCALE_WORDS
from ..model import Stage
from ..services.raid import ScoreBand
from .pack_data import (
    HEATMAP_WEEKS,
    MILESTONE_WINDOW_DAYS,
    OVER_ALLOCATED_MIN_WEEKS,
    PackData,
    Scope,
    gather_pack,
)

SECTIONS: tuple[str, ...] = ("Summary", "Portfolio", "Milestones", "Financials", "Resources", "RAID",
                             "Governance", "Notes")
"""Every sheet the pack can hold, in order."""
ALL = SECTIONS

DATE_FORMAT = "dd mmm yyyy"
INDEX_FORMAT = "0.00"
PERCENT_FORMAT = "0%"
COUNT_FORMAT = "#,##0"

_NAVY = "1F4E79"
_GREY = "595959"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=_NAVY)
_TITLE_FONT = Font(bold=True, size=16, color=_NAVY)
_SECTION_FONT = Font(bold=True, size=12, color=_NAVY)
_SUBTITLE_FONT = Font(italic=True, color=_GREY)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTRE = Alignment(horizontal="center", vertical="center")
_TOP = Alignment(vertical="top")
_RAG_WORDS = {"R": "Red", "A": "Amber", "G": "Green"}
_RAG_STYLE = {  # Excel's own "good / neutral / bad" colours, which directors already read
    "Red": ("FFC7CE", "9C0006"),
    "Amber": ("FFEB9C", "9C5700"),
    "Green": ("C6EFCE", "006100"),
}
_BAND_FILL = {ScoreBand.HIGH: "F4B183", ScoreBand.MEDIUM: "FFE699", ScoreBand.LOW: "C5E0B4"}
_TILE_FILL = PatternFill("solid", fgColor="EEF3F8")
_TILE_EDGE = Border(left=Side(style="thick", color=_NAVY))
_THIN = Side(style="thin", color="BFBFBF")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_ROW = 4  # title, scope line, blank, header


class ProgressLike(Protocol):
    """What the writer reports to: ``ui.tasks.Progress`` fits (report, and check for Cancel)."""

    def report(self, done: int, total: int = 0, text: str | None = None) -> None: ...

    def check(self) -> None: ...


@dataclass(frozen=True, slots=True)
class PackResult:
    """What ``write_exec_pack`` wrote: the file, its sheets, the rows on each, and how long it took."""

    path: Path
    sheets: tuple[str, ...]
    rows: dict[str, int]
    scope: Scope
    as_of: dt.date
    seconds: float


class ExecPackError(Exception):
    """The pack could not be written (the message says where and what to do)."""


# -- cells --------------------------------------------------------------------------------------

def _clean(value: Any) -> Any:
    """A value fit for a cell: text made safe, non-finite numbers blank, Decimals as floats."""
    if value is None:
        return None
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:32_000]
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int | dt.date):
        return value
    return float(value)


def put(ws: Worksheet, row: int, column: int, value: Any, number_format: str | None = None):
    """Write one cell; text always as a text cell (data_type "s"), never as a formula."""
    value = _clean(value)
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def _rows(ws: Worksheet, first_row: int, rows: Iterable[Sequence[Any]], formats: Sequence[str | None],
          first_column: int = 1) -> int:
    """Write rows of values from ``first_row``; returns the number written."""
    count = 0
    for r, values in enumerate(rows, start=first_row):
        for c, (value, fmt) in enumerate(zip(values, formats, strict=True), start=first_column):
            put(ws, r, c, value, fmt)
        count += 1
    return count


def _header(ws: Worksheet, row: int, headers: Sequence[str], first_column: int = 1) -> None:
    for c, text in enumerate(headers, start=first_column):
        cell = put(ws, row, c, text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[row].height = 30


def _widths(ws: Worksheet, widths: Sequence[float], first_column: int = 1) -> None:
    for c, width in enumerate(widths, start=first_column):
        ws.column_dimensions[get_column_letter(c)].width = width


def _ref(first_row: int, last_row: int, first_column: int, last_column: int) -> str:
    return f"{get_column_letter(first_column)}{first_row}:{get_column_letter(last_column)}{last_row}"


def _table(ws: Worksheet, name: str, header_row: int, rows: int, first_column: int, columns: int,
           headers: Sequence[str] | None = None) -> None:
    """An Excel table (with filter buttons) over a header and its rows; none when there are no rows.

    The column names are the header's text: ``headers`` for a streamed sheet (its cells are no
    longer in memory), else read from the header row.
    """
    if rows <= 0:
        return
    table = Table(displayName=name, ref=_ref(header_row, header_row + rows, first_column,
                                             first_column + columns - 1))
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    if headers is None:
        headers = [str(ws.cell(row=header_row, column=c).value) for c in range(first_column, first_column + columns)]
    table._initialise_columns()
    for column, header in zip(table.tableColumns, headers, strict=True):
        column.name = header
    ws.tables.add(table)  # the pack's table names are distinct; add_table would warn on a write-only sheet


def _none_line(ws: Worksheet, row: int, column: int, text: str) -> None:
    put(ws, row, column, text).font = _SUBTITLE_FONT


def _rag_formatting(ws: Worksheet, ref: str) -> None:
    for word, (fill, font) in _RAG_STYLE.items():
        ws.conditional_formatting.add(ref, CellIsRule(
            operator="equal", formula=[f'"{word}"'], fill=PatternFill("solid", fgColor=fill, bgColor=fill),
            font=Font(color=font, bold=True)))


def _money_format(symbol: str, scale: str = "") -> str:
    """A currency number format, e.g. '"£"#,##0' or, with scale "m", '"£"#,##0.0,,"m"'."""
    quoted = '"' + symbol.replace('"', "") + '"'
    if scale == "m":
        body = '#,##0.0,,"m"'
    elif scale == "k":
        body = '#,##0,"k"'
    else:
        body = "#,##0"
    return f"{quoted}{body};[Red]-{quoted}{body}"


def _show_axes(chart) -> None:
    """Recent Excel hides an axis whose "delete" flag is left unset: say plainly that both stay."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False


class _StreamCell(Cell):
    """A cell of a streamed table whose style id in the workbook is worked out once per style, not per cell."""

    __slots__ = ("style_id",)


@dataclass(frozen=True, slots=True)
class _Style:
    """A cell style built once: openpyxl's style array and its id in the workbook's list of cell styles."""

    array: Any
    id: int


class _Styles:
    """The styles of a streamed sheet's cells, each built once through openpyxl's public setters."""

    def __init__(self, ws):
        self.ws = ws
        self._made: dict[tuple, _Style | None] = {}

    def get(self, number_format: str | None = None, alignment: Alignment | None = None) -> _Style | None:
        """The style for a number format and an alignment; None for a cell with no style at all."""
        key = (number_format, alignment)
        if key not in self._made:
            cell = Cell(self.ws)
            if number_format:
                cell.number_format = number_format
            if alignment is not None:
                cell.alignment = alignment
            self._made[key] = _Style(cell._style, cell.style_id) if cell.has_style else None
        return self._made[key]


_CELL_TYPES = {str: "s", int: "n", float: "n", bool: "b", dt.date: "d", dt.datetime: "d"}


def _cell_type(value: Any) -> str:
    """openpyxl's data type for a cleaned value of a subclass of the plain types (an enum's text, say)."""
    if isinstance(value, str):
        return "s"
    if isinstance(value, bool):
        return "b"
    if isinstance(value, dt.date):
        return "d"
    return "n"


_ASCII_WIDTHS = (
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, 1303, 1303, 1303, 1303,
    1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178,
    1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251,
    1403, 799, 690, 799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995,
    1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,
)
"""Advance widths of " " to "~" in DejaVu Sans, in 2048ths of an em.

LibreOffice prints a workbook whose font (Calibri) it lacks in a substitute, DejaVu Sans where
nothing closer is installed: the widest of the usual substitutes (Carlito, Liberation Sans and
Arial are narrower), so rows sized for it hold their text in the others too. Column widths are
counted in the print font's digits, so text and columns scale together."""
_OTHER_WIDTHS = {"→": 1716, "£": 1303, "€": 1303, "·": 651, "—": 2048, "–": 1024, "≥": 1716, "≤": 1716,
                 "’": 651, "‘": 651, "“": 1061, "”": 1061, "…": 2048}
_WIDEST = 2048
"""Any other character is taken as wide as the widest above (an em)."""
_TEXT_PT = 11.0
"""The size of the tables' text (the workbook's default font)."""
_LINE_PT = 14.0
"""The height a wrapped line is given (DejaVu Sans 11 pt takes 12.8, Calibri 11 pt in Excel about 14)."""


class _Widths(dict):
    def __missing__(self, key: str) -> int:
        return _WIDEST


_CHAR_WIDTHS = _Widths({chr(32 + i): width for i, width in enumerate(_ASCII_WIDTHS)} | _OTHER_WIDTHS)


def _text_pt(text: str) -> float:
    return sum(map(_CHAR_WIDTHS.__getitem__, text)) * (_TEXT_PT / 2048)


@functools.lru_cache(maxsize=8192)
def _piece_pt(piece: str) -> tuple[float, float]:
    """A piece of a line (a word and the spaces after it): its width without the spaces, and with them.

    Cached: a pack's texts repeat their words (dates, names, the rules' wording) row after row.
    """
    return _text_pt(piece.rstrip(" ")), _text_pt(piece)


def line_room(width: float) -> float:
    """The points of text a wrapped line of a column ``width`` characters wide holds, as LibreOffice prints it.

    Measured: LibreOffice 7.4 printing 329 texts of the pack in columns 11 to 48 wide; this never
    gives fewer lines than it drew, and one more line for one text in sixteen.
    """
    return 6.95 * width - 2.0


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes in a wrapped cell ``width`` characters wide.

    Lines break as a word processor breaks them: after a space or a hyphen, where the next word
    would not fit whole; a word longer than a line is broken anywhere. A line break in the text
    starts a new line.
    """
    room = line_room(width)
    if "\n" not in text and _text_pt(text) <= room:
        return 1
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for piece in _BREAKS.findall(paragraph):
            word, whole = _piece_pt(piece)
            if used + word <= room:
                used += whole
                continue
            if used:
                lines, used = lines + 1, 0.0
            if word <= room:
                used = whole
                continue
            for c in piece:  # a word longer than a line
                step = _text_pt(c)
                if used and used + step > room and c != " ":
                    lines, used = lines + 1, 0.0
                used += step
    return lines


_BREAKS = re.compile(r"[^ \-]+[ \-]*|[ \-]+")
"""A text's pieces that a line may end after: a word with the spaces or hyphens that follow it."""


@dataclass(frozen=True, slots=True)
class _Fit:
    """Row heights for wrapped text (readers do not all grow rows by themselves): ``_LINE_PT`` a line.

    ``wrapped`` are the (1-based) columns whose text wraps, ``widths`` their widths. A row that
    grows has all its cells aligned to the top (wrapped columns also wrap), so that it reads as
    one line of a list.
    """

    wrapped: tuple[int, ...]
    widths: tuple[float, ...]

    def lines(self, values: Sequence[Any]) -> int:
        lines = 1
        for c, width in zip(self.wrapped, self.widths, strict=True):
            value = values[c - 1]
            if isinstance(value, str) and value:
                lines = max(lines, wrapped_lines(value, width))
        return lines


class _StreamedSheet(WriteOnlyWorksheet):
    """A write-only sheet whose rows are lists of ready cells (None for an empty one).

    openpyxl's own conversion first tries every item as a plain value (an exception per cell);
    the pack's cells already carry their value, type and style, so they go to the writer as they are.
    """

    def _values_to_row(self, values, row_idx):
        for column, cell in enumerate(values, 1):
            if cell is not None:
                cell.row = row_idx
                cell.column = column
                yield cell


class _Streamed:
    """A write-only sheet, written top to bottom as its rows are laid out.

    Cells placed with ``cell()`` (titles, headers, a panel beside the table) wait in memory until
    their row is written; ``table_rows`` writes a table's rows straight through, with a style
    built once per column and format. Column widths, frozen panes and the print set-up must be
    set before the first row goes out (they precede the rows in the file), a row's height before
    that row; tables, conditional formats and merges any time before saving.
    """

    def __init__(self, ws: _StreamedSheet):
        self.ws = ws
        self.styles = _Styles(ws)
        self._waiting: dict[int, dict[int, Cell]] = {}
        self._next_row = 1

    @property
    def row_dimensions(self):
        return self.ws.row_dimensions

    @property
    def column_dimensions(self):
        return self.ws.column_dimensions

    def cell(self, row: int, column: int) -> Cell:
        """The cell at (row, column) of a row not written yet, to fill and style as on any sheet."""
        if row < self._next_row:
            raise ValueError(f"Row {row} of the {self.ws.title} sheet is already written.")
        cells = self._waiting.setdefault(row, {})
        if column not in cells:
            cells[column] = Cell(self.ws, row=row, column=column)
        return cells[column]

    def table_rows(self, first_row: int, rows: Iterable[Sequence[Any]], formats: Sequence[str | None],
                   fit: _Fit | None = None) -> int:
        """Write rows of values from ``first_row``, each value as ``put`` would; returns the number written.

        One cell object per column serves every row: the writer turns a row into XML as soon as
        it is appended.
        """
        styles, width = self.styles, len(formats)
        plain = [styles.get(fmt) for fmt in formats]
        aligned: list[Alignment | None] = [None] * width
        grown = plain
        if fit is not None:
            aligned = [_WRAP if c in fit.wrapped else _TOP for c in range(1, width + 1)]
            grown = [styles.get(fmt, alignment) for fmt, alignment in zip(formats, aligned, strict=True)]
        cells = [_StreamCell(self.ws) for _ in range(width)]
        count = 0
        for r, raw in enumerate(rows, start=first_row):
            values = [_clean(value) for value in raw]
            row_styles = plain
            if fit is not None and (lines := fit.lines(values)) > 1:
                self.ws.row_dimensions[r].height = _LINE_PT * lines + 2
                row_styles = grown
            out: list[Cell | None] = []
            for c, value in enumerate(values):
                if value is None:
                    if row_styles is plain:  # an empty cell with no style is not written at all
                        out.append(None)
                        continue
                    kind, style = "n", styles.get(None, aligned[c])
                else:
                    kind = _CELL_TYPES.get(type(value)) or _cell_type(value)
                    style = row_styles[c]
                    if kind == "d" and formats[c] is None:  # the format openpyxl gives a date that has none
                        default = TIME_FORMATS[dt.datetime if isinstance(value, dt.datetime) else dt.date]
                        style = styles.get(default, None if row_styles is plain else aligned[c])
                cell = cells[c]
                cell._value = value
                cell.data_type = kind
                if style is None:
                    cell._style = None
                else:
                    cell._style, cell.style_id = style.array, style.id
                out.append(cell)
            self._write(r, out)
            count += 1
        return count

    def _write(self, row: int, cells: list) -> None:
        self._write_waiting(row)
        beside = self._waiting.pop(row, None)
        if beside:
            cells = cells + [None] * (max(beside) - len(cells))
            for column, cell in beside.items():
                cells[column - 1] = cell
        self.ws.append(cells)
        self._next_row = row + 1

    def _write_waiting(self, before: int) -> None:
        """Write the rows above ``before`` that hold only waiting cells (or nothing)."""
        while self._next_row < before:
            beside = self._waiting.pop(self._next_row, {})
            self.ws.append([beside.get(c) for c in range(1, max(beside, default=0) + 1)])
            self._next_row += 1

    def close(self) -> None:
        """Write every cell still waiting."""
        if self._waiting:
            self._write_waiting(max(self._waiting) + 1)


class _LaidOutSheet(Worksheet):
    """A small sheet laid out cell by cell in memory (merged tiles, charts), in the pack's streaming workbook.

    A write-only workbook saves each sheet by closing it; this one then writes its cells as an
    ordinary workbook would.
    """

    closed = False

    def close(self) -> None:
        self._writer = WorksheetWriter(self)
        self._writer.write()
        self.closed = True


def _laid_out_sheet(wb: Workbook, title: str) -> Worksheet:
    ws = _LaidOutSheet(wb, title)
    wb._add_sheet(ws)
    return ws


def _streamed_sheet(wb: Workbook, title: str) -> _Streamed:
    ws = _StreamedSheet(wb, title)
    wb._add_sheet(ws)
    return _Streamed(ws)


def _table_sheet(wb: Workbook, layout: _Layout, name: str, widths: Sequence[float], title: str, subtitle: str,
                 headers: Sequence[str], *, frozen_column: str = "A") -> _Streamed:
    """A streamed sheet laid out for one long table: widths, frozen header, print set-up, titles and header row."""
    ws = _streamed_sheet(wb, name)
    _widths(ws, widths)
    ws.ws.freeze_panes = f"{frozen_column}{_HEADER_ROW + 1}"
    layout.print_setup(ws.ws)
    layout.titles(ws, title, subtitle)
    _header(ws, _HEADER_ROW, headers)
    return ws


def _discard(wb: Workbook) -> None:
    """Remove the temporary files of the sheets streamed but not saved (the pack was cancelled or failed)."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None or ws.closed:
            continue
        with contextlib.suppress(OSError, ValueError):  # a file the failed save already removed
            rows = getattr(ws, "_rows", None)
            if rows is not None:
                rows.close()
            writer.close()
            writer.cleanup()


def _header_text(text: str) -> str:
    """Text for a print header or footer: "&" is a code there, so it is doubled."""
    return text.replace("&", "&&")


def _rag(value: str | None) -> str | None:
    return _RAG_WORDS.get(value or "")


def _stage(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return Stage(value).label
    except ValueError:
        return value


# -- the frame every sheet shares ------------------------------------------------------------------

class _Layout:
    """The pack's common frame: titles, scope line, print setup and header/footer."""

    def __init__(self, data: PackData, generated: dt.datetime):
        self.data = data
        self.generated = generated
        self.money = _money_format(data.currency_symbol)
        self.money_m = _money_format(data.currency_symbol, "m")
        self.money_k = _money_format(data.currency_symbol, "k")

    def scope_line(self, extra: str = "") -> str:
        d = self.data
        text = f"{d.scope_text} · as of {d.as_of:%d %b %Y}"
        if extra:
            text += f" · {extra}"
        return text

    def titles(self, ws: Worksheet, title: str, extra: str = "") -> None:
        put(ws, 1, 1, title).font = _TITLE_FONT
        put(ws, 2, 1, self.scope_line(extra)).font = _SUBTITLE_FONT
        ws.row_dimensions[1].height = 24

    def print_setup(self, ws: Worksheet, *, title_rows: str | None = f"{_HEADER_ROW}:{_HEADER_ROW}") -> None:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        if title_rows:
            ws.print_title_rows = title_rows
        d = self.data
        ws.oddHeader.left.text = _header_text(d.office_name)
        ws.oddHeader.center.text = _header_text(f"Executive pack — {ws.title}")
        ws.oddHeader.right.text = _header_text(f"{d.scope_text} · as of {d.as_of:%d %b %Y}")
        ws.oddFooter.left.text = _header_text(f"PMO Desktop · generated {self.generated:%d %b %Y %H:%M}")
        ws.oddFooter.right.text = "Page &P of &N"
        for part in (ws.oddHeader.left, ws.oddHeader.center, ws.oddHeader.right, ws.oddFooter.left,
                     ws.oddFooter.right):
            part.size = 8


# -- Summary ------------------------------------------------------------------------------------

MONEY_MILLIONS = "money_m"
"""A tile's format for an amount shown in millions of the office's currency (each writer spells it its way)."""


@dataclass(frozen=True, slots=True)
class Tile:
    """One KPI tile of the Summary: the figure, its format, a line under it, and its band when it has one."""

    label: str
    value: Any
    number_format: str
    note: str
    rag: str | None = None  # colours the value when the figure has a band


def _index_rag(value: float | None, data: PackData) -> str | None:
    if value is None or not data.projects:
        return None
    thresholds = data.projects[0].kpis.thresholds
    if value >= thresholds.amber_index:
        return "Green"
    return "Amber" if value >= thresholds.red_index else "Red"


def kpi_tiles(data: PackData) -> list[Tile]:
    """The Summary's KPI tiles, in reading order (the xlsx and the PDF pack show the same ones)."""
    total = data.total
    reported = data.reported_rag_counts
    eac_variance = total.eac - total.bac
    if total.bac:
        share = f"{abs(eac_variance) / total.bac:.1%} {'over' if eac_variance > 0 else 'under'} budget"
    else:
        share = "no budget recorded"
    hit_note = (f"{total.milestones_hit} of {total.milestones_due} due were met on time"
                if total.milestones_due else "no milestone has fallen due")
    open_risks = sum(1 for r in data.raid if r.kind == "risk")
    changes = data.changes
    if changes.latest is None:
        change_value, change_note = None, "needs two reporting periods"
    else:
        change_value = len(changes.moves)
        change_note = f"{changes.worsened} worse, {changes.improved} better since {changes.previous:%d %b}"
    return [
        Tile("Projects", len(data.projects), COUNT_FORMAT,
              f"{reported['R']} red · {reported['A']} amber · {reported['G']} green (reported)"),
        Tile("Budget (BAC)", total.bac, MONEY_MILLIONS, f"actual to date {short_money(total.ac, data)}"),
        Tile("Forecast (EAC)", total.eac, MONEY_MILLIONS, share,
              "Red" if eac_variance > 0.05 * total.bac else ("Amber" if eac_variance > 0 else "Green")),
        Tile("SPI (schedule)", total.spi, INDEX_FORMAT, "earned ÷ planned value", _index_rag(total.spi, data)),
        Tile("CPI (cost)", total.cpi, INDEX_FORMAT, "earned value ÷ actual cost", _index_rag(total.cpi, data)),
        Tile("Milestones hit", total.milestone_hit_rate, PERCENT_FORMAT, hit_note),
        Tile("Over-allocated people", data.over_allocated_people, COUNT_FORMAT,
              f"above {OVER_ALLOCATED:.0%} in {OVER_ALLOCATED_MIN_WEEKS}+ of the next {HEATMAP_WEEKS} weeks",
              "Red" if data.over_allocated_people else "Green"),
        Tile("Open high risks", data.open_high_risks, COUNT_FORMAT,
              f"score ≥ {data.risk_thresholds.red}, of {open_risks} open risks",
              "Red" if data.open_high_risks else "Green"),
        Tile("Compliance rate", data.compliance_rate, PERCENT_FORMAT,
              f"{data.compliant_projects} of {data.live_projects} live projects clear; "
              f"{len(data.exceptions)} exceptions"),
        Tile("RAG changes", change_value, COUNT_FORMAT, change_note,
              "Red" if changes.worsened > changes.improved else None),
    ]


def short_money(amount: float, data: PackData) -> str:
    """"£12.3m" from a million up, else "£45,000"."""
    return f"{data.currency_symbol}{amount / 1e6:,.1f}m" if abs(amount) >= 1e6 else f"{data.currency_symbol}{amount:,.0f}"


def _draw_tile(ws: Worksheet, row: int, column: int, tile: Tile, layout: _Layout) -> None:
    """A tile is two columns by three rows: label, big value, note."""
    last = column + 1
    for r in range(row, row + 3):
        ws.merge_cells(start_row=r, start_column=column, end_row=r, end_column=last)
        for c in (column, last):
            ws.cell(row=r, column=c).fill = _TILE_FILL
        ws.cell(row=r, column=column).border = _TILE_EDGE
    label = put(ws, row, column, tile.label)
    label.font = Font(bold=True, color=_GREY, size=9)
    number_format = layout.money_m if tile.number_format == MONEY_MILLIONS else tile.number_format
    value = put(ws, row + 1, column, tile.value if tile.value is not None else "n/a", number_format)
    colour = _RAG_STYLE[tile.rag][1] if tile.rag else _NAVY
    value.font = Font(bold=True, size=18, color=colour)
    value.alignment = Alignment(horizontal="left", vertical="center")
    note = put(ws, row + 2, column, tile.note)
    note.font = Font(size=8, color=_GREY)
    note.alignment = Alignment(wrap_text=True, vertical="top")


def _summary(wb: Workbook, data: PackData, layout: _Layout) -> int:
    ws = _laid_out_sheet(wb, "Summary")
    _widths(ws, [2] + [13.5] * 10)
    put(ws, 1, 2, f"Executive pack — {data.office_name}").font = _TITLE_FONT
    period = f"latest reports {data.latest_period:%d %b %Y}" if data.latest_period else "no status reports yet"
    put(ws, 2, 2, layout.scope_line(f"{period} · money in {data.currency}")).font = _SUBTITLE_FONT
    ws.row_dimensions[1].height = 26
    tiles = kpi_tiles(data)
    for i, tile in enumerate(tiles):
        row = 4 + (i // 5) * 4
        _draw_tile(ws, row, 2 + (i % 5) * 2, tile, layout)
        ws.row_dimensions[row + 1].height = 30
        ws.row_dimensions[row + 2].height = 24

    # Projects by RAG, and its chart beside it.
    top = 13
    put(ws, top, 2, "Projects by RAG").font = _SECTION_FONT
    _header(ws, top + 1, ["RAG", "Reported", "Derived"], first_column=2)
    derived = data.total.derived_rag_counts
    rag_rows = [(word, data.reported_rag_counts[key], derived.get(key, 0)) for key, word in
                (("R", "Red"), ("A", "Amber"), ("G", "Green"))]
    no_reported = len(data.projects) - sum(data.reported_rag_counts.values())
    no_derived = len(data.projects) - sum(derived.values())
    rag_rows.append(("Not known", no_reported, no_derived))
    _rows(ws, top + 2, rag_rows, [None, COUNT_FORMAT, COUNT_FORMAT], first_column=2)
    for r in range(top + 2, top + 6):
        for c in range(2, 5):
            ws.cell(row=r, column=c).border = _GRID
    _rag_formatting(ws, f"B{top + 2}:B{top + 5}")
    put(ws, top + 7, 2, "Derived: the worst of the SPI, CPI and slip bands (see Notes).").font = Font(
        size=8, italic=True, color=_GREY)
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "Projects by RAG"
    chart.y_axis.title = "Projects"
    chart.y_axis.majorGridlines = None
    chart.add_data(Reference(ws, min_col=3, max_col=4, min_row=top + 1, max_row=top + 5), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=2, min_row=top + 2, max_row=top + 5))
    _show_axes(chart)
    chart.series[0].graphicalProperties.solidFill = _NAVY
    chart.series[1].graphicalProperties.solidFill = "9DC3E6"
    chart.height, chart.width = 6.2, 13.5
    chart.legend.position = "b"
    ws.add_chart(chart, "F13")

    row = top + 14
    ws.row_breaks.append(Break(id=row - 1))  # page 1: tiles and RAG; page 2: changes and top risks
    row = _summary_changes(ws, row, data) + 2
    row = _summary_top_risks(ws, row, data) + 2
    _summary_exceptions(ws, row, data)
    ws.sheet_view.showGridLines = False
    layout.print_setup(ws, title_rows=None)
    ws.page_setup.fitToHeight = 0
    return len(tiles)


def _merged_row(ws: Worksheet, row: int, values: Sequence[Any], spans: Sequence[int],
                formats: Sequence[str | None], *, header: bool = False) -> None:
    """One row of a small summary list whose columns span ``spans`` sheet columns each (from B)."""
    column = 2
    for value, span, fmt in zip(values, spans, formats, strict=True):
        if span > 1:
            ws.merge_cells(start_row=row, start_column=column, end_row=row, end_column=column + span - 1)
        cell = put(ws, row, column, value, fmt)
        for c in range(column, column + span):
            ws.cell(row=row, column=c).border = _GRID
            if header:
                ws.cell(row=row, column=c).fill = _HEADER_FILL
        if header:
            cell.font = _HEADER_FONT
        column += span


def _summary_changes(ws: Worksheet, row: int, data: PackData) -> int:
    changes = data.changes
    put(ws, row, 2, "What changed since last period").font = _SECTION_FONT
    if changes.latest is None:
        _none_line(ws, row + 1, 2, "Fewer than two reporting periods are on record, so there is nothing to compare.")
        return row + 1
    put(ws, row + 1, 2, f"Reported RAG in the period ending {changes.latest:%d %b %Y} against "
                        f"{changes.previous:%d %b %Y}: {changes.compared} projects reported in both; "
                        f"{changes.worsened} worsened, {changes.improved} improved.").font = _SUBTITLE_FONT
    if not changes.moves:
        _none_line(ws, row + 2, 2, "No project's RAG moved.")
        return row + 2
    spans = (1, 5, 1, 1, 2)
    _merged_row(ws, row + 2, ("Project", "Name", "Was", "Now", "Direction"), spans, [None] * 5, header=True)
    shown = changes.moves[:15]
    for i, move in enumerate(shown, start=row + 3):
        _merged_row(ws, i, (move.project_code, move.project_name, _rag(move.before), _rag(move.after),
                            "Worse" if move.worse else "Better"), spans, [None] * 5)
    last = row + 2 + len(shown)
    _rag_formatting(ws, f"H{row + 3}:I{last}")
    if len(changes.moves) > len(shown):
        last += 1
        _none_line(ws, last, 2, f"…and {len(changes.moves) - len(shown)} more: see the Portfolio sheet.")
    return last


def _summary_exceptions(ws: Worksheet, row: int, data: PackData) -> int:
    """Compliance exceptions counted by rule (the Governance sheet lists them)."""
    put(ws, row, 2, "Compliance exceptions by rule").font = _SECTION_FONT
    counts: dict[str, tuple[int, set]] = {}
    for e in data.exceptions:
        number, projects = counts.get(e.rule, (0, set()))
        projects.add(e.project_code)
        counts[e.rule] = (number + 1, projects)
    if not counts:
        _none_line(ws, row + 1, 2, "None: every enabled rule is met.")
        return row + 1
    spans = (6, 2, 2)
    _merged_row(ws, row + 1, ("Rule", "Exceptions", "Projects"), spans, [None] * 3, header=True)
    r = row + 1
    for rule, title in RULE_TITLES.items():
        if rule in counts:
            r += 1
            number, projects = counts[rule]
            _merged_row(ws, r, (title, number, len(projects)), spans, [None, COUNT_FORMAT, COUNT_FORMAT])
    return r


def _summary_top_risks(ws: Worksheet, row: int, data: PackData) -> int:
    put(ws, row, 2, f"Top {len(data.top_risks) or 10} open risks by score").font = _SECTION_FONT
    risks = data.top_risks
    if not risks:
        _none_line(ws, row + 1, 2, "No open, scored risk in this scope.")
        return row + 1
    spans = (1, 1, 5, 2, 1)
    _merged_row(ws, row + 1, ("Project", "Ref", "Risk", "Owner", "Score"), spans, [None] * 5, header=True)
    for i, risk in enumerate(risks, start=row + 2):
        _merged_row(ws, i, (risk.project_code, risk.ref, risk.title, risk.owner, risk.score), spans,
                    [None, None, None, None, "0"])
        band = data.risk_thresholds.band(risk.score or 0)
        ws.cell(row=i, column=11).fill = PatternFill("solid", fgColor=_BAND_FILL[band])
        ws.cell(row=i, column=11).alignment = _CENTRE
    return row + 1 + len(risks)


# -- Portfolio ----------------------------------------------------------------------------------

_PORTFOLIO_HEADERS = ("Code", "Project", "Programme", "Department", "Stage", "Manager", "Reported RAG",
                      "Derived RAG", "Baseline start", "Baseline end", "Forecast end", "Slip (days)", "Budget",
                      "Actual", "Forecast (EAC)", "Variance", "SPI", "CPI", "% complete", "Last report")


def _portfolio(wb: Workbook, data: PackData, layout: _Layout, progress: Callable[[], None]) -> int:
    ws = _table_sheet(wb, layout, "Portfolio", [11, 36, 20, 16, 11, 18, 10, 10, 12, 12, 12, 8, 13, 13, 13, 12, 7, 7, 9, 12],
                      "Portfolio", f"{len(data.projects)} projects · variance = forecast − budget (red: over)",
                      _PORTFOLIO_HEADERS, frozen_column="C")
    formats = [None] * 6 + [None, None, DATE_FORMAT, DATE_FORMAT, DATE_FORMAT, "#,##0;[Red]-#,##0", layout.money,
                            layout.money, layout.money, _money_format(data.currency_symbol).replace(
                                ";[Red]-", ";-").replace("#,##0;", "#,##0;", 1), INDEX_FORMAT, INDEX_FORMAT,
                            PERCENT_FORMAT, DATE_FORMAT]
    # Over budget is the bad direction, so positive variances are the red ones here.
    quoted = '"' + data.currency_symbol + '"'
    formats[15] = f'[Red]{quoted}#,##0;{quoted}-#,##0;{quoted}0'

    def rows():
        for i, line in enumerate(data.projects):
            if i % 500 == 0:
                progress()
            k = line.kpis
            yield (k.code, k.name, k.programme, k.department, _stage(k.stage), line.manager, _rag(k.reported_rag),
                   _rag(k.derived_rag), line.baseline_start, line.baseline_end, line.forecast_end, k.slip_days,
                   k.bac, k.ac, k.eac, line.variance, k.spi, k.cpi, _fraction(k), line.last_report)

    count = ws.table_rows(_HEADER_ROW + 1, rows(), formats)
    _table(ws.ws, "PortfolioProjects", _HEADER_ROW, count, 1, len(_PORTFOLIO_HEADERS), _PORTFOLIO_HEADERS)
    if count:
        _rag_formatting(ws.ws, f"G{_HEADER_ROW + 1}:H{_HEADER_ROW + count}")
    else:
        _none_line(ws, _HEADER_ROW + 1, 1, "No project in this scope.")
    ws.close()
    return count


def _fraction(k) -> float | None:
    return None if k.ev is None or not k.bac else k.ev / k.bac


# -- Milestones ---------------------------------------------------------------------------------

def _milestones(wb: Workbook, data: PackData, layout: _Layout) -> int:
    ws = _laid_out_sheet(wb, "Milestones")
    overdue = sum(m.overdue for m in data.milestones)
    layout.titles(ws, "Milestones", f"{overdue} overdue and {len(data.milestones) - overdue} due in the next "
                                    f"{MILESTONE_WINDOW_DAYS} days (not yet achieved)")
    headers = ("Status", "Due", "Days", "Code", "Project", "Programme", "Milestone", "Baseline", "Forecast")
    _header(ws, _HEADER_ROW, headers)
    ordered = sorted(data.milestones, key=lambda m: (not m.overdue, m.due, m.project_code))
    rows = [("Overdue" if m.overdue else "Upcoming", m.due, abs(m.days), m.project_code, m.project_name,
             m.programme, m.name, m.baseline, m.forecast) for m in ordered]
    count = _rows(ws, _HEADER_ROW + 1, rows, [None, DATE_FORMAT, COUNT_FORMAT, None, None, None, None,
                                              DATE_FORMAT, DATE_FORMAT])
    _table(ws, "MilestonesDue", _HEADER_ROW, count, 1, len(headers))
    if count:
        ref = f"A{_HEADER_ROW + 1}:A{_HEADER_ROW + count}"
        ws.conditional_formatting.add(ref, CellIsRule(operator="equal", formula=['"Overdue"'], font=Font(
            color=_RAG_STYLE["Red"][1], bold=True), fill=PatternFill("solid", bgColor=_RAG_STYLE["Red"][0])))
    else:
        _none_line(ws, _HEADER_ROW + 1, 1, "No milestone is overdue or due in the window.")
    put(ws, 3, 1, "Days: days overdue for an overdue milestone, days to go for an upcoming one.").font = Font(
        size=8, italic=True, color=_GREY)
    _widths(ws, [10, 12, 7, 11, 44, 20, 32, 12, 12])
    ws.freeze_panes = f"A{_HEADER_ROW + 1}"
    layout.print_setup(ws)
    return count


# -- Financials ---------------------------------------------------------------------------------

_FINANCE_HEADERS = ("Projects", "Budget (BAC)", "Actual", "Forecast (EAC)", "Variance", "SPI", "CPI")


def _finance_block(ws: Worksheet, row: int, label: str, name: str, groups: dict, layout: _Layout,
                   empty: str) -> tuple[int, int]:
    """One roll-up table from ``row`` (its header); returns (first data row, rows)."""
    _header(ws, row, (label, *_FINANCE_HEADERS))
    ordered = sorted(groups.values(), key=lambda g: (g.key is None, -g.bac, g.key or ""))
    rows = [(g.key or empty, g.projects, g.bac, g.ac, g.eac, g.eac - g.bac, g.spi, g.cpi) for g in ordered]
    quoted = '"' + layout.data.currency_symbol + '"'
    variance = f'[Red]{quoted}#,##0;{quoted}-#,##0;{quoted}0'
    count = _rows(ws, row + 1, rows, [None, COUNT_FORMAT, layout.money, layout.money, layout.money, variance,
                                      INDEX_FORMAT, INDEX_FORMAT])
    _table(ws, name, row, count, 1, 8)
    return row + 1, count


def _financials(wb: Workbook, data: PackData, layout: _Layout) -> int:
    ws = _laid_out_sheet(wb, "Financials")
    layout.titles(ws, "Financials", "by programme and by department · rolled up as sums, indices from the sums")
    first, count = _finance_block(ws, _HEADER_ROW, "Programme", "FinanceByProgramme", data.by_programme, layout,
                                  "No programme")
    total_row = first + count
    t = data.total
    _rows(ws, total_row, [("Total", t.projects, t.bac, t.ac, t.eac, t.eac - t.bac, t.spi, t.cpi)],
          [None, COUNT_FORMAT, layout.money, layout.money, layout.money, layout.money, INDEX_FORMAT, INDEX_FORMAT])
    for c in range(1, 9):
        ws.cell(row=total_row, column=c).font = Font(bold=True)
        ws.cell(row=total_row, column=c).border = Border(top=Side(style="double", color=_NAVY))
    dept_header = total_row + 3
    put(ws, dept_header - 1, 1, "By department").font = _SECTION_FONT
    _, dept_count = _finance_block(ws, dept_header, "Department", "FinanceByDepartment", data.by_department,
                                   layout, "No department")
    if count:
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "clustered"
        chart.title = "Budget, actual and forecast by programme"
        chart.add_data(Reference(ws, min_col=3, max_col=5, min_row=_HEADER_ROW, max_row=first + count - 1),
                       titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=first + count - 1))
        for series, colour in zip(chart.series, (_NAVY, "A5A5A5", "ED7D31"), strict=True):
            series.graphicalProperties.solidFill = colour
        _show_axes(chart)
        chart.x_axis.scaling.orientation = "maxMin"  # largest programme on top, as in the table
        chart.y_axis.numFmt = layout.money_m
        chart.y_axis.majorGridlines = None
        chart.legend.position = "b"
        chart.height = max(8.0, 1.5 * count + 3)
        chart.width = 17
        ws.add_chart(chart, "J4")
    _widths(ws, [28, 9, 15, 15, 15, 14, 7, 7])
    ws.freeze_panes = f"A{_HEADER_ROW + 1}"
    layout.print_setup(ws)
    return count + dept_count


# -- Resources ----------------------------------------------------------------------------------

def _resources(wb: Workbook, data: PackData, layout: _Layout, progress: Callable[[], None]) -> int:
    ws = _laid_out_sheet(wb, "Resources")
    weeks = len(data.weeks)
    layout.titles(ws, "Resources", f"utilisation per person for the {weeks} weeks from {data.weeks[0]:%d %b %Y} "
                                   f"(allocated ÷ available hours; office-wide)")
    put(ws, 3, 1, f"Red text: over-allocated (above {OVER_ALLOCATED:.0%}). \"off\": allocated in a week with no "
                  "available hours.").font = Font(size=8, italic=True, color=_GREY)
    headers = ["Person", "Role", "Team", "Overall", *(f"{monday:%d %b}" for monday in data.weeks)]
    _header(ws, _HEADER_ROW, headers)
    first = _HEADER_ROW + 1
    for r, person in enumerate(data.people, start=first):
        if (r - first) % 250 == 0:
            progress()
        put(ws, r, 1, person.label)
        put(ws, r, 2, person.role)
        put(ws, r, 3, person.team)
        put(ws, r, 4, person.overall, PERCENT_FORMAT)
        for w in range(weeks):
            level = person.utilisation(w)
            if level is not None and math.isinf(level):
                put(ws, r, 5 + w, "off").alignment = _CENTRE
            else:
                put(ws, r, 5 + w, level, PERCENT_FORMAT)
    count = len(data.people)
    last = first + count - 1
    if count:
        grid = _ref(first, last, 4, 4 + weeks)
        ws.conditional_formatting.add(grid, ColorScaleRule(
            start_type="num", start_value=0, start_color="FFFFFF",
            mid_type="num", mid_value=1, mid_color="A9D08E",
            end_type="num", end_value=1.5, end_color="F8696B"))
        ws.conditional_formatting.add(grid, CellIsRule(operator="greaterThan", formula=[str(OVER_ALLOCATED)],
                                                       font=Font(bold=True, color="9C0006")))
        ws.auto_filter.ref = _ref(_HEADER_ROW, last, 1, 4 + weeks)
    else:
        _none_line(ws, first, 1, "No people are recorded.")
    _widths(ws, [24, 20, 16, 9, *([8] * weeks)])
    _worst_over_allocations(ws, data, 6 + weeks)
    ws.freeze_panes = f"B{first}"
    layout.print_setup(ws)
    return count


def _worst_over_allocations(ws: Worksheet, data: PackData, column: int) -> None:
    put(ws, _HEADER_ROW - 1, column, "Worst over-allocations").font = _SECTION_FONT
    headers = ("Person", "Role", "Weeks over", "Peak", "Excess hours")
    _header(ws, _HEADER_ROW, headers, first_column=column)
    worst = [p for p in data.people if p.over_weeks][:15]
    rows = [(p.label, p.role, p.over_weeks, p.peak if math.isfinite(p.peak) else None, p.excess_hours)
            for p in worst]
    _rows(ws, _HEADER_ROW + 1, rows, [None, None, COUNT_FORMAT, PERCENT_FORMAT, "#,##0"], first_column=column)
    if not worst:
        _none_line(ws, _HEADER_ROW + 1, column, "Nobody is over-allocated.")
    _widths(ws, [24, 20, 9, 8, 10], first_column=column)
    ws.column_dimensions[get_column_letter(column - 1)].width = 3


# -- RAID ---------------------------------------------------------------------------------------

_RAID_HEADERS = ("Score", "Project", "Ref", "Kind", "Title", "Category", "Owner", "Likelihood", "Impact",
                 "Status", "Due", "Escalation")


def _raid(wb: Workbook, data: PackData, layout: _Layout, progress: Callable[[], None]) -> int:
    ws = _streamed_sheet(wb, "RAID")
    _widths(ws, [7, 11, 9, 11, 44, 16, 18, 10, 8, 11, 12, 11])
    ws.ws.freeze_panes = f"A{_HEADER_ROW + 1}"
    layout.print_setup(ws.ws)
    _matrix(ws, data, len(_RAID_HEADERS) + 2)
    layout.titles(ws, "RAID", f"{len(data.raid)} open items, highest score first")
    _header(ws, _HEADER_ROW, _RAID_HEADERS)

    def rows():
        for i, r in enumerate(data.raid):
            if i % 2000 == 0:
                progress()
            yield (r.score, r.project_code, r.ref, r.kind.capitalize(), r.title, r.category, r.owner, r.likelihood,
                   r.impact, r.status.replace("_", " ").capitalize(), r.due,
                   (r.escalation or "").capitalize() or None)

    count = ws.table_rows(_HEADER_ROW + 1, rows(), ["0", None, None, None, None, None, None, "0", "0", None,
                                                DATE_FORMAT, None])
    _table(ws.ws, "RaidRegister", _HEADER_ROW, count, 1, len(_RAID_HEADERS), _RAID_HEADERS)
    if count:
        t = data.risk_thresholds
        ref = f"A{_HEADER_ROW + 1}:A{_HEADER_ROW + count}"
        for band, operator, formula in ((ScoreBand.HIGH, "greaterThanOrEqual", [str(t.red)]),
                                        (ScoreBand.MEDIUM, "between", [str(t.amber), str(t.red - 1)])):
            ws.ws.conditional_formatting.add(ref, CellIsRule(operator=operator, formula=formula, fill=PatternFill(
                "solid", fgColor=_BAND_FILL[band], bgColor=_BAND_FILL[band])))
    else:
        _none_line(ws, _HEADER_ROW + 1, 1, "No open RAID item in this scope.")
    ws.close()
    return count


def _matrix(ws: _Streamed, data: PackData, column: int) -> None:
    """The 5x5 grid of open risks beside the register: likelihood down (very high on top), impact across."""
    matrix = data.matrix
    put(ws, _HEADER_ROW - 1, column, "Open risks: likelihood × impact").font = _SECTION_FONT
    corner = put(ws, _HEADER_ROW, column, "Likelihood ↓ / Impact →")
    corner.font = _HEADER_FONT
    corner.fill = _HEADER_FILL
    corner.alignment = Alignment(wrap_text=True, vertical="center")
    for i, impact in enumerate(SCALE, start=1):
        cell = put(ws, _HEADER_ROW, column + i, f"{impact} {SCALE_WORDS[impact - 1]}")
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for r, likelihood in enumerate(reversed(SCALE), start=_HEADER_ROW + 1):
        label = put(ws, r, column, f"{likelihood} {SCALE_WORDS[likelihood - 1]}")
        label.font = Font(bold=True)
        label.border = _GRID
        for i, impact in enumerate(SCALE, start=1):
            cell_info = matrix.cell(likelihood, impact)
            cell = put(ws, r, column + i, cell_info.count, COUNT_FORMAT)
            cell.fill = PatternFill("solid", fgColor=_BAND_FILL[cell_info.band])
            cell.alignment = _CENTRE
            cell.border = _GRID
            cell.font = Font(bold=bool(cell_info.count), size=12, color="000000" if cell_info.count else "808080")
    note = _HEADER_ROW + 7
    bands = matrix.band_totals()
    put(ws, note, column, f"{matrix.total} scored open risks: {bands[ScoreBand.HIGH]} high (score ≥ "
                          f"{data.risk_thresholds.red}), {bands[ScoreBand.MEDIUM]} medium, "
                          f"{bands[ScoreBand.LOW]} low; {matrix.unscored} unscored.").font = Font(
        size=8, italic=True, color=_GREY)
    _widths(ws, [14, 10, 10, 10, 10, 10], first_column=column)


# -- Governance ---------------------------------------------------------------------------------

def _governance(wb: Workbook, data: PackData, layout: _Layout) -> int:
    widths = (26, 11, 32, 18, 20, 44, 48)
    headers = ("Rule", "Project", "Name", "Manager", "Since", "Detail", "What to do")
    ws = _table_sheet(wb, layout, "Governance", widths, "Governance",
                      f"{len(data.exceptions)} compliance exceptions · the gate decisions of the last 90 days are "
                      f"on the next sheet", headers)
    rows = ((RULE_TITLES.get(e.rule, e.rule), e.project_code, e.project_name, e.manager_label, e.since, e.detail,
             e.remedy) for e in data.exceptions)
    count = ws.table_rows(_HEADER_ROW + 1, rows, [None, None, None, None, DATE_FORMAT, None, None],
                          _fit(widths, (1, 3, 6, 7)))
    _table(ws.ws, "ComplianceExceptions", _HEADER_ROW, count, 1, len(headers), headers)
    if not count:
        _none_line(ws, _HEADER_ROW + 1, 1, "No compliance exception: every enabled rule is met.")
    ws.close()
    return count + _gate_decisions(wb, data, layout)


def _gate_decisions(wb: Workbook, data: PackData, layout: _Layout) -> int:
    """The Governance section's second sheet: a table of its own, so that its header repeats on its printed pages."""
    widths = (14, 11, 32, 18, 20, 13, 48)
    headers = ("Date", "Project", "Name", "Gate", "Decision", "Criteria met", "Conditions")
    ws = _table_sheet(wb, layout, "Gate decisions", widths, "Recent gate decisions",
                      f"{len(data.decisions)} gate decisions of the last 90 days", headers)
    rows = ((d.review.review_date, d.review.project_code, d.review.project_name,
             f"{d.review.gate} ({d.review.transition})", d.decision,
             f"{d.review.criteria_met} of {d.review.criteria_total}",
             "\n".join(d.conditions) or None) for d in data.decisions)
    decisions = ws.table_rows(_HEADER_ROW + 1, rows, [DATE_FORMAT, None, None, None, None, None, None],
                              _fit(widths, (3, 4, 5, 7)))
    _table(ws.ws, "GateDecisions", _HEADER_ROW, decisions, 1, len(headers), headers)
    if not decisions:
        _none_line(ws, _HEADER_ROW + 1, 1, "No gate review in the last 90 days.")
    ws.close()
    return decisions


def _fit(widths: Sequence[float], wrapped: tuple[int, ...]) -> _Fit:
    return _Fit(wrapped, tuple(widths[c - 1] for c in wrapped))


# -- Notes --------------------------------------------------------------------------------------

DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("As-of date", "Figures use each project's latest status report on or before this date; the project's own "
                   "record fills any gap. Utilisation covers the weeks from the as-of date; the RAID register and "
                   "the compliance checks read the records as they stand now, judged on the as-of date."),
    ("Budget (BAC)", "Budget at completion: the approved budget of the project."),
    ("Actual (AC)", "Actual cost to date."),
    ("Forecast (EAC)", "Estimate at completion: the forecast cost given by the project, else BAC ÷ CPI."),
    ("Variance", "Forecast (EAC) minus budget: a positive figure means over budget."),
    ("PV / EV", "Planned value = BAC × the share of the baseline plan due by the as-of date (through the "
                "milestones' baseline dates); earned value = BAC × percent complete."),
    ("SPI", "Schedule performance index = EV ÷ PV; below 1 is behind plan. Roll-ups divide the sums."),
    ("CPI", "Cost performance index = EV ÷ AC; below 1 is over cost. Roll-ups divide the sums."),
    ("Slip", "Forecast end minus baseline end, in days."),
    ("Reported RAG", "The RAG in the project's latest status report (else the project's own)."),
    ("Derived RAG", "The worst of the SPI, CPI and slip bands set in the office settings; compare it with the "
                    "reported RAG."),
    ("Milestones hit", "Of the milestones whose baseline date has passed, the share achieved on or before it."),
    ("Over-allocated people", f"People allocated above {OVER_ALLOCATED:.0%} of their available hours in at "
                              f"least {OVER_ALLOCATED_MIN_WEEKS} of the next {HEATMAP_WEEKS} weeks (holidays and "
                              "absences count): a single week over is usually a leave clash, so it is not counted "
                              "here; the Resources section shows every week."),
    ("Risk score", "Likelihood × impact, each 1 (very low) to 5 (very high). High risks score at or above the "
                   "office's red threshold."),
    ("Compliance rate", "Share of live projects (not closed or cancelled) with no compliance exception under "
                        "the office's enabled rules."),
    ("RAG changes", "Projects whose reported RAG differs between the two latest reporting periods."),
)


_NOTES_WIDTHS = (34, 16, 17, 16, 10, 12, 12, 10)
"""The Notes sheet's columns; a definition is merged across all but the first."""


def _notes(wb: Workbook, data: PackData, layout: _Layout, db_label: str) -> int:
    ws = _laid_out_sheet(wb, "Notes")
    layout.titles(ws, "Notes", "data sources and definitions")
    _header(ws, _HEADER_ROW, ("Source", "Detail"))
    ws.merge_cells(start_row=_HEADER_ROW, start_column=2, end_row=_HEADER_ROW, end_column=8)
    sources = [
        ("Database", db_label),
        ("Office", data.office_name),
        ("Currency", f"{data.currency} ({data.currency_symbol.strip()})"),
        ("Fiscal year", f"starts in {dt.date(2000, data.fiscal_year_start_month, 1):%B}"),
        ("Latest status reports", data.latest_period),
        ("Generated", layout.generated.replace(microsecond=0)),
    ]
    for r, (label, value) in enumerate(sources, start=_HEADER_ROW + 1):
        put(ws, r, 1, label).font = Font(bold=True)
        fmt = "dd mmm yyyy hh:mm" if isinstance(value, dt.datetime) else DATE_FORMAT
        put(ws, r, 2, value if value is not None else "none", fmt)
        ws.cell(row=r, column=2).alignment = Alignment(horizontal="left")
    row = _HEADER_ROW + len(sources) + 2
    put(ws, row, 1, "Imports").font = _SECTION_FONT
    headers = ("File", "Kind", "Imported", "By", "New rows", "Changed rows", "Rejected rows", "Status")
    _header(ws, row + 1, headers)
    batches = [(b.file_name, b.kind, b.imported_at, b.imported_by, b.inserted, b.updated, b.rejected,
                b.status.capitalize()) for b in data.batches]
    count = _rows(ws, row + 2, batches, [None, None, "dd mmm yyyy hh:mm", None, COUNT_FORMAT, COUNT_FORMAT,
                                         COUNT_FORMAT, None])
    _table(ws, "ImportBatches", row + 1, count, 1, len(headers))
    if not count:
        _none_line(ws, row + 2, 1, "No spreadsheet has been imported: the data was entered or generated here.")
    row = row + 2 + max(count, 1) + 1
    put(ws, row, 1, "Definitions").font = _SECTION_FONT
    _header(ws, row + 1, ("Term", "Definition"))
    ws.merge_cells(start_row=row + 1, start_column=2, end_row=row + 1, end_column=len(headers))
    for r, (term, text) in enumerate(DEFINITIONS, start=row + 2):
        label = put(ws, r, 1, term)
        label.font = Font(bold=True)
        label.alignment = _TOP
        put(ws, r, 2, text).alignment = _WRAP
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=len(headers))
        ws.row_dimensions[r].height = _LINE_PT * wrapped_lines(text, sum(_NOTES_WIDTHS[1:])) + 2
    _widths(ws, _NOTES_WIDTHS)
    ws.column_dimensions["A"].width = 34
    ws.freeze_panes = f"A{_HEADER_ROW + 1}"
    layout.print_setup(ws, title_rows=None)
    return count + len(DEFINITIONS)


# -- the whole pack -----------------------------------------------------------------------------

def build_workbook(data: PackData, sections: Sequence[str] = ALL, *, db_label: str = "",
                   generated: dt.datetime | None = None, tick: Callable[[str], None] | None = None
                   ) -> tuple[Workbook, dict[str, int]]:
    """Lay ``data`` out on the chosen sheets; returns the workbook and the rows written per sheet.

    The workbook is write-only: its long sheets are already written out (to temporary files), so
    it is saved once, as it is.
    """
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ValueError(f"Unknown pack sections: {', '.join(unknown)}; choose from {', '.join(SECTIONS)}.")
    if not sections:
        raise ValueError("Choose at least one section of the pack.")
    layout = _Layout(data, generated or dt.datetime.now())
    wb = Workbook(write_only=True)  # the long tables stream to disk as they are laid out

    def step(name: str) -> Callable[[], None]:
        return (lambda: tick(name)) if tick is not None else (lambda: None)

    writers: dict[str, Callable[[], int]] = {
        "Summary": lambda: _summary(wb, data, layout),
        "Portfolio": lambda: _portfolio(wb, data, layout, step("Portfolio")),
        "Milestones": lambda: _milestones(wb, data, layout),
        "Financials": lambda: _financials(wb, data, layout),
        "Resources": lambda: _resources(wb, data, layout, step("Resources")),
        "RAID": lambda: _raid(wb, data, layout, step("RAID")),
        "Governance": lambda: _governance(wb, data, layout),
        "Notes": lambda: _notes(wb, data, layout, db_label),
    }
    rows: dict[str, int] = {}
    try:
        for name in SECTIONS:
            if name in sections:
                if tick is not None:
                    tick(name)
                rows[name] = writers[name]()
    except BaseException:
        _discard(wb)
        raise
    wb.active = 0
    props = wb.properties
    props.title = f"Executive pack — {data.office_name}"
    props.subject = f"{data.scope_text}, as of {data.as_of:%d %b %Y}"
    props.creator = "PMO Desktop"
    props.lastModifiedBy = "PMO Desktop"
    props.description = "Portfolio KPIs, milestones, financials, resources, RAID and governance."
    props.keywords = "executive pack; portfolio; PMO"
    props.category = "Report"
    props.created = props.modified = layout.generated.replace(microsecond=0)
    return wb, rows


GATHER_STEPS = ("Reading the portfolio…", "Reading utilisation…", "Reading the RAID log…", "Checking compliance…",
                "Reading decisions and history…")
"""The steps ``gather_pack`` announces, in order."""


class PackSteps:
    """Turns the pack's named steps into progress reports, checking for Cancel at each.

    Called with a step's text ("Reading utilisation…", a section name, "Saving…"); a section name
    reads as "<verb> <section>…". ``check()`` looks for Cancel between steps (e.g. page by page).
    """

    def __init__(self, progress: ProgressLike | None, sections: Sequence[str], verb: str, closing: Sequence[str]):
        self.progress, self.verb = progress, verb
        self.steps = [*GATHER_STEPS, *(f"{verb} {s}…" for s in SECTIONS if s in sections), *closing]
        self.done = 0

    def __call__(self, text: str) -> None:
        if self.progress is None:
            return
        self.progress.check()
        if text in SECTIONS:
            text = f"{self.verb} {text}…"
        if text in self.steps:
            self.done = max(self.done, self.steps.index(text))
        self.progress.report(self.done, len(self.steps), text)

    def check(self) -> None:
        if self.progress is not None:
            self.progress.check()


def pack_target(path: str | Path, suffix: str, what: str, error: type[ExecPackError] = ExecPackError) -> Path:
    """``path`` as the pack's file; ``error`` in plain words when its ending or its folder is wrong."""
    target = Path(path)
    if target.suffix.lower() != suffix:
        raise error(f"The executive pack {what}: name the file {suffix}, not {target.name}.")
    if not target.parent.is_dir():
        raise error(f"The folder {target.parent} does not exist: choose another place for the pack.")
    return target


def database_label(db) -> str:
    """The database's file name (not its full path, which may name the user) or its server address."""
    return db.path.name if getattr(db, "path", None) is not None else getattr(db, "display_url", "")


def save_error_message(target: Path, exc: OSError) -> str:
    """Why ``target`` could not be saved, in words, and what to do (a full disk is named as such)."""
    if exc.errno == errno.ENOSPC:
        return (f"The disk is full: {target} was not saved (nothing was left behind). Free some space, or "
                "choose another drive, and export again.")
    return (f"Cannot write {target}: {exc.strerror or exc}. Check the folder exists, that you may write there, "
            "and that the file is not open in another program.")


def save_atomically(wb: Workbook, path: Path) -> None:
    """Save to ``.name.partial`` beside ``path``, flush it to disk, then rename over it: never a half-written file."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        wb.save(tmp)
        with open(tmp, "r+b") as handle:
            os.fsync(handle.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_exec_pack(db, path: str | Path, *, as_of: dt.date | None = None, scope: Scope = None,
                    sections: Sequence[str] = ALL, progress: ProgressLike | None = None) -> PackResult:
    """Write the executive pack for ``scope`` as of ``as_of`` (default today) to ``path`` (.xlsx).

    ``db`` is a ``Database``; ``scope`` is None (whole portfolio), ("programme", name) or
    ("department", name); ``sections`` picks sheets from ``SECTIONS``. ``progress`` (e.g.
    ``ui.tasks.Progress``) hears each step, and its ``check()`` may raise to cancel: then nothing
    is written. Raises ``pack_data.ScopeError`` for an unknown programme or department and
    ``ExecPackError`` when the file cannot be written.
    """
    started = time.perf_counter()
    target = pack_target(path, ".xlsx", "is an Excel workbook")
    as_of = as_of or dt.date.today()
    tick = PackSteps(progress, sections, "Writing", ("Saving…",))
    with db.session() as session:
        data = gather_pack(session, as_of=as_of, scope=scope, step=tick)
    wb, rows = build_workbook(data, sections, db_label=database_label(db), tick=tick)
    tick("Saving…")
    try:
        save_atomically(wb, target)
    except OSError as exc:
        raise ExecPackError(save_error_message(target, exc)) from exc
    finally:
        _discard(wb)  # after a failed save, the sheets it did not reach
    return PackResult(target, tuple(wb.sheetnames), rows, data.scope, as_of, time.perf_counter() - started)
