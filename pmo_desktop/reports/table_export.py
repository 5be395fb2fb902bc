"""Any table of the program as a tidy workbook: title, typed columns, an Excel table with filters.

``export_rows`` writes one sheet: a title row and a line saying how many rows and when, then
the header and the rows as an Excel table (filter buttons, banded rows), the header frozen, the
columns sized to their contents, and a landscape print set-up fitted to the page width. Cells
keep their types (dates as dates, money with the office's currency, percentages as percent),
and no text from the data ever becomes a formula: a value starting with = + - @ stays text.

The file is written beside the target as ``.NAME.partial`` and renamed over it at the end (the
executive pack's own helper), so an export that fails or is killed leaves the previous file (if
any) as it was, and the next export to the same name clears what a killed one left.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

KINDS = ("text", "int", "number", "money", "date", "percent", "rag", "bool", "flag")
TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 4
MIN_WIDTH, MAX_WIDTH = 8, 60
WIDTH_SAMPLE = 2000  # rows looked at to size a column
_FORMULA_START = ("=", "+", "-", "@")
_RAG_WORDS = {"R": "Red", "A": "Amber", "G": "Green"}
_RAG_FILLS = {"Red": "F4C7C3", "Amber": "FCE8B2", "Green": "B7E1CD"}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class TableExportError(OSError):
    """The workbook could not be written (folder missing, file open in Excel, disk full)."""


def _number_formats(currency: str) -> dict[str, str]:
    symbol = currency.strip().replace('"', "")
    money = f'"{symbol}"#,##0;-"{symbol}"#,##0' if symbol else "#,##0"
    return {
        "int": "#,##0",
        "number": "#,##0.00",
        "money": money,
        "money_pence": f'"{symbol}"#,##0.00;-"{symbol}"#,##0.00' if symbol else "#,##0.00",
        "percent": "0%",
        "date": "dd mmm yyyy",
        "datetime": "dd mmm yyyy hh:mm",
    }


def _normalise_kind(kind: Any) -> str:
    """Accept "money" or an enum whose value is "money" (the UI's column kinds)."""
    value = getattr(kind, "value", kind)
    value = str(value).lower()
    return value if value in KINDS else "text"


def _text(value: Any) -> str:
    return _ILLEGAL.sub("", str(value))


def cell_value(kind: str, value: Any) -> tuple[Any, str | None]:
    """The value to store for a cell of ``kind`` and the number format it needs (None: general)."""
    if value is None or value == "":
        return None, None
    if kind in ("int", "number", "money", "percent"):
        if isinstance(value, bool):
            return int(value), kind
        if isinstance(value, int | float | Decimal):
            number = float(value) if isinstance(value, Decimal) else value
            if kind == "money" and not float(number).is_integer():
                return number, "money_pence"
            return number, kind
        return _text(value), None
    if kind == "date":
        if isinstance(value, dt.datetime):
            has_time = value.time() != dt.time()
            return value.replace(tzinfo=None), "datetime" if has_time else "date"
        if isinstance(value, dt.date):
            return value, "date"
        return _text(value), None
    if kind == "rag":
        return _RAG_WORDS.get(str(value), _text(value)), None
    if kind == "bool":
        return ("Yes" if value else "No"), None
    if kind == "flag":
        return ("Yes" if value else None), None
    return _text(value), None


def _table_name(title: str) -> str:
    """A valid, readable Excel table name from the title ("Portfolio_projects")."""
    name = re.sub(r"\W+", "_", title, flags=re.ASCII).strip("_") or "Table"
    if not name[0].isalpha():
        name = "T_" + name
    if re.fullmatch(r"[A-Za-z]{1,3}\d+", name) or name.upper() in ("R", "C"):
        name += "_table"  # would read as a cell reference
    return name[:250]


def _unique_headers(headers: Sequence[str]) -> list[str]:
    """Excel table headers must be distinct, non-empty text."""
    seen: dict[str, int] = {}
    out = []
    for index, header in enumerate(headers, start=1):
        text = _text(header).strip() or f"Column {index}"
        key = text.casefold()
        if key in seen:
            seen[key] += 1
            text = f"{text} ({seen[key]})"
        else:
            seen[key] = 1
        out.append(text)
    return out


def _display_width(value: Any, number_format: str | None) -> int:
    if value is None:
        return 0
    if number_format in ("date",):
        return 11
    if number_format == "datetime":
        return 17
    if isinstance(value, float | int):
        return len(f"{value:,.2f}") + 2
    return max((len(line) for line in str(value).splitlines()), default=0)


def export_rows(path: str | os.PathLike, title: str, columns: Sequence[tuple[str, Any]], rows: Iterable[Sequence[Any]],
                *, currency: str = "£", note: str | None = None, sheet_title: str | None = None) -> Path:
    """Write ``rows`` under ``columns`` ((header, kind) pairs) as an .xlsx at ``path``; return the path.

    ``kind`` is one of KINDS ("text", "money", "date", ...) or an enum with such a value. Each row
    holds one value per column. ``note`` replaces the line under the title (default: the number
    of rows and the time of export). Raises TableExportError when the file cannot be written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    target = Path(path)
    kinds = [_normalise_kind(kind) for _header, kind in columns]
    headers = _unique_headers([header for header, _kind in columns])
    formats = _number_formats(currency)
    width = max(len(headers), 1)

    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(sheet_title or title)
    ws.cell(row=TITLE_ROW, column=1, value=_text(title)).data_type = "s"
    ws.cell(row=TITLE_ROW, column=1).font = Font(bold=True, size=14)

    widths = [len(h) + 4 for h in headers]  # room for the filter button
    rag_fills = {word: PatternFill("solid", start_color=colour, end_color=colour)
                 for word, colour in _RAG_FILLS.items()}
    count = 0
    row_number = HEADER_ROW
    for row_number, values in enumerate(rows, start=HEADER_ROW + 1):
        count += 1
        for column, kind in enumerate(kinds, start=1):
            raw = values[column - 1] if column - 1 < len(values) else None
            value, fmt = cell_value(kind, raw)
            if value is None:
                continue
            cell = ws.cell(row=row_number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
                if value.startswith(_FORMULA_START):
                    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
                if kind == "rag" and value in rag_fills:
                    cell.fill = rag_fills[value]
            elif fmt:
                cell.number_format = formats[fmt]
            if count <= WIDTH_SAMPLE:
                widths[column - 1] = max(widths[column - 1], _display_width(value, fmt))

    stamp = dt.datetime.now().strftime("%d %b %Y %H:%M")
    ws.cell(row=NOTE_ROW, column=1,
            value=_text(note) if note is not None else f"{count:,} {'row' if count == 1 else 'rows'} · "
                                                         f"exported {stamp}").data_type = "s"
    ws.cell(row=NOTE_ROW, column=1).font = Font(italic=True, color="666666")

    header_font = Font(bold=True)
    for column, header in enumerate(headers, start=1):
        cell = ws.cell(row=HEADER_ROW, column=column, value=header)
        cell.data_type = "s"
        cell.font = header_font
        cell.alignment = Alignment(vertical="center")
        if kinds[column - 1] in ("int", "number", "money", "percent"):
            cell.alignment = Alignment(horizontal="right", vertical="center")
        ws.column_dimensions[get_column_letter(column)].width = min(max(widths[column - 1], MIN_WIDTH), MAX_WIDTH)

    last_row = max(row_number, HEADER_ROW + 1)  # an Excel table needs one data row, even empty
    table = Table(displayName=_table_name(title), ref=f"A{HEADER_ROW}:{get_column_letter(width)}{last_row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True, showColumnStripes=False)
    ws.add_table(table)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)

    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.oddHeader.center.text = _text(title).replace("&", "&&")
    ws.oddFooter.left.text = f"Exported {stamp}"
    ws.oddFooter.right.text = "Page &P of &N"
    wb.properties.title = _text(title)

    save_table_workbook(wb, target)
    return target


def _sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of : \\ / ? * [ ]."""
    name = re.sub(r"[:\\/?*\[\]]", " ", _text(title)).strip(" '") or "Table"
    return name[:31]


def save_table_workbook(wb, target: Path) -> None:
    """Save through the pack's ``save_atomically``: ``.NAME.partial`` beside ``target``, flushed, renamed over it.

    The temporary name is fixed, so a file left by a killed export is recognisably ours and is
    replaced and removed by the next export to the same name. A full disk is named as such.
    """
    from .exec_pack import save_atomically, save_error_message

    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise TableExportError(f"Cannot write in {folder}: the folder does not exist. Choose another folder.")
    try:
        save_atomically(wb, target)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise TableExportError(save_error_message(target, exc)) from exc
        raise TableExportError(
            f"Cannot save {target}: {exc.strerror or exc}. If the file is open in Excel, close it and export "
            "again, or choose another name.") from exc
