"""The rejects workbook: rows an import refused, sent back to the project manager to fix.

One worksheet per source sheet that had rejected rows, with the sheet's own header row and each
source row that had a problem once, its cells as read, plus a "Reason" column that spells out
every problem of the row: file, sheet, row, column, value and what is wrong. A source row can stand for
several planned rows (a scoring matrix's row holds one score per criterion): the good ones are
imported, and the row comes back once, its bad cells shaded and each named in the reason. Text is
always written as text: a value starting with = + - @ never becomes a formula (string data type
and Excel's quote prefix).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from .plan import Action, ImportPlan, PlannedRow, SheetPlan, json_value

REASON_HEADER = "Reason"
BAD_CELL_FILL = "F4CCCC"
"""The shade of a cell a reason names (light red), so the manager sees at once what to correct."""
FORMULA_PREFIXES = ("=", "+", "-", "@")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def reason_text(sheet: SheetPlan, *rows: PlannedRow) -> str:
    """Every problem of the rejected rows of one source row, one per line (each once), in words a manager can act on."""
    lines: dict[str, None] = {}
    for row in rows:
        for error in row.errors:
            where = f"{_where(sheet)}, row {row.row}"
            if error.column:
                where += f", column '{error.column}'"
            value = "" if error.value is None else f": value '{_shown(error.value)}'"
            lines[f"{where}{value} - {error.reason}"] = None
    return "\n".join(lines) or f"{_where(sheet)}, row {rows[0].row} - rejected"


def _where(sheet: SheetPlan) -> str:
    """The source file and sheet: one rejects workbook gathers the sheets of every file imported together."""
    return f"File '{sheet.file}', sheet '{sheet.sheet.sheet}'"


def source_rows(sheet_plan: SheetPlan) -> list[list[PlannedRow]]:
    """The sheet's rejected rows gathered by the source row they came from, in the order first rejected."""
    by_source: dict[int, list[PlannedRow]] = {}
    for row in sheet_plan.rows:
        if row.action is Action.REJECT:
            by_source.setdefault(row.row, []).append(row)
    return list(by_source.values())


def write_rejects_workbook(plan: ImportPlan, path: str | os.PathLike) -> Path:
    """Write the plan's rejected rows to ``path`` (.xlsx); return the path written."""
    from openpyxl import Workbook  # loaded only when there is something to send back
    from openpyxl.styles import Alignment, Font, PatternFill

    bad_fill = PatternFill("solid", start_color=BAD_CELL_FILL, end_color=BAD_CELL_FILL)
    workbook = Workbook()
    workbook.remove(workbook.active)
    used_names: set[str] = set()
    for sheet_plan in plan.sheets:
        rejected = source_rows(sheet_plan)
        if not rejected:
            continue
        worksheet = workbook.create_sheet(_sheet_title(sheet_plan, used_names))
        headers = list(sheet_plan.sheet.headers)
        width = max([len(headers), *(len(rows[0].source.raw) for rows in rejected)])
        headers += [""] * (width - len(headers))
        for column, header in enumerate([*headers, REASON_HEADER], start=1):
            cell = worksheet.cell(1, column)
            _set_cell(cell, header)
            cell.font = Font(bold=True)
        for line, rows in enumerate(rejected, start=2):
            raw = list(rows[0].source.raw) + [None] * (width - len(rows[0].source.raw))
            for column, value in enumerate(raw, start=1):
                _set_cell(worksheet.cell(line, column), value)
            for column in _bad_columns(headers, rows):
                worksheet.cell(line, column).fill = bad_fill
            reason = worksheet.cell(line, width + 1)
            _set_cell(reason, reason_text(sheet_plan, *rows))
            reason.alignment = Alignment(wrap_text=True, vertical="top")
        worksheet.freeze_panes = "A2"
        worksheet.column_dimensions[_column_letter(width + 1)].width = 80
    if not workbook.worksheets:
        worksheet = workbook.create_sheet("Rejected rows")
        _set_cell(worksheet.cell(1, 1), "No rows were rejected.")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target


def _bad_columns(headers: list[str], rows: list[PlannedRow]) -> list[int]:
    """The 1-based columns the rows' errors name (a header named twice: its first column)."""
    named = {error.column for row in rows for error in row.errors if error.column}
    first: dict[str, int] = {}
    for column, header in enumerate(headers, start=1):
        first.setdefault(header, column)
    return sorted(first[name] for name in named if name in first)


def _set_cell(cell: Any, value: Any) -> None:
    """Write a value so that it reads back the same and text never turns into a formula."""
    if value is None:
        return
    if isinstance(value, bool | int | float | Decimal | dt.date):
        cell.value = float(value) if isinstance(value, Decimal) else value
        if isinstance(value, dt.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        return
    text = _ILLEGAL.sub("", value if isinstance(value, str) else str(value))
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


def _shown(value: Any) -> str:
    shown = json_value(value)
    return str(shown)


def _sheet_title(sheet_plan: SheetPlan, used: set[str]) -> str:
    base = _SHEET_NAME_FORBIDDEN.sub("_", sheet_plan.sheet.sheet).strip("'") or "Sheet"
    base = base[:31]
    title, number = base, 2
    while title.lower() in used:
        suffix = f" ({number})"
        title = base[:31 - len(suffix)] + suffix
        number += 1
    used.add(title.lower())
    return title


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
