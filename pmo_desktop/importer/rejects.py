"""The rejects workbook: rows an import refused, sent back to the project manager to fix.

One worksheet per source sheet that had rejected rows, with the sheet's own header row and each
rejected row's cells as read, plus a "Reason" column that spells out every problem: sheet, row,
column, value and what is wrong. Text is always written as text: a value starting with
= + - @ never becomes a formula (string data type and Excel's quote prefix).
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
FORMULA_PREFIXES = ("=", "+", "-", "@")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def reason_text(sheet: SheetPlan, row: PlannedRow) -> str:
    """Every problem of a rejected row, one per line, in words a project manager can act on."""
    lines = []
    for error in row.errors:
        where = f"Sheet '{sheet.sheet.sheet}', row {row.row}"
        if error.column:
            where += f", column '{error.column}'"
        value = "" if error.value is None else f": value '{_shown(error.value)}'"
        lines.append(f"{where}{value} - {error.reason}")
    return "\n".join(lines) or f"Sheet '{sheet.sheet.sheet}', row {row.row} - rejected"


def write_rejects_workbook(plan: ImportPlan, path: str | os.PathLike) -> Path:
    """Write the plan's rejected rows to ``path`` (.xlsx); return the path written."""
    from openpyxl import Workbook  # loaded only when there is something to send back
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used_names: set[str] = set()
    for sheet_plan in plan.sheets:
        rejected = [row for row in sheet_plan.rows if row.action is Action.REJECT]
        if not rejected:
            continue
        worksheet = workbook.create_sheet(_sheet_title(sheet_plan, used_names))
        headers = list(sheet_plan.sheet.headers)
        width = max([len(headers), *(len(row.source.raw) for row in rejected)])
        headers += [""] * (width - len(headers))
        for column, header in enumerate([*headers, REASON_HEADER], start=1):
            cell = worksheet.cell(1, column)
            _set_cell(cell, header)
            cell.font = Font(bold=True)
        for line, row in enumerate(rejected, start=2):
            raw = list(row.source.raw) + [None] * (width - len(row.source.raw))
            for column, value in enumerate(raw, start=1):
                _set_cell(worksheet.cell(line, column), value)
            reason = worksheet.cell(line, width + 1)
            _set_cell(reason, reason_text(sheet_plan, row))
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
