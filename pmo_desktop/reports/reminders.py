"""Reminders for project managers as a workbook the coordinator can attach or forward (no Qt).

Sheet "By manager" lists, manager by manager, what each owes: missing status reports, overdue
RAID actions and unmet gate conditions, with the project, since when, what happened and what
clears it. Sheet "Email text" holds each manager's reminder as the plain text that "Copy
reminders" gives, one cell per manager, ready to paste into an email. Every cell from data is
written as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from ..analytics.governance import NO_MANAGER, REMINDER_RULES, ComplianceException, manager_reminders
from .exec_pack import put
from .table_export import TableExportError, save_table_workbook

__all__ = ["ReminderLine", "RemindersResult", "TableExportError", "reminder_lines", "write_reminders"]

HEADERS = ("Manager", "What is owed", "Project", "Project name", "Since", "What happened", "What clears it")
WIDTHS = (24, 24, 12, 32, 13, 70, 48)
_WRAPPED = {6, 7}
_HEADER_FILL = PatternFill("solid", fgColor="1D3F73")
_MANAGER_FILL = PatternFill("solid", fgColor="DCE6F2")
_RULE = Border(bottom=Side(style="thin", color="B7C3D0"))
_DATE = "dd mmm yyyy"


@dataclass(frozen=True, slots=True)
class ReminderLine:
    """One thing one manager owes, as a row of the "By manager" sheet."""

    manager: str
    heading: str
    project_code: str
    project_name: str
    since: dt.date | None
    detail: str
    remedy: str


@dataclass(frozen=True, slots=True)
class RemindersResult:
    """What was written: the file, how many managers and how many items."""

    path: Path
    managers: int
    items: int


def reminder_lines(exceptions: Iterable[ComplianceException]) -> dict[str, list[ReminderLine]]:
    """Per manager (in ``manager_reminders`` order), the lines they owe, grouped by kind then project."""
    by_manager: dict[str, list[ReminderLine]] = {}
    rank = {rule: i for i, rule in enumerate(REMINDER_RULES)}
    owed = sorted((e for e in exceptions if e.rule in REMINDER_RULES),
                  key=lambda e: (rank[e.rule], e.project_code.casefold(), e.since or dt.date.min))
    for e in owed:
        by_manager.setdefault(e.manager_label, []).append(ReminderLine(
            e.manager_label, REMINDER_RULES[e.rule], e.project_code, e.project_name, e.since, e.detail, e.remedy))
    order = sorted(by_manager, key=lambda name: (name == NO_MANAGER, name.casefold()))
    return {manager: by_manager[manager] for manager in order}


def _title(ws: Worksheet, title: str, note: str) -> None:
    put(ws, 1, 1, title).font = Font(size=14, bold=True, color="1D3F73")
    put(ws, 2, 1, note).font = Font(italic=True, color="5F6B7A")


def _by_manager_sheet(ws: Worksheet, lines: dict[str, list[ReminderLine]], today: dt.date) -> None:
    items = sum(len(owed) for owed in lines.values())
    _title(ws, "Reminders for project managers",
           f"As of {today:%d %b %Y}: {items} item{'s' if items != 1 else ''} for {len(lines)} "
           f"manager{'s' if len(lines) != 1 else ''}")
    header_row = 4
    for column, header in enumerate(HEADERS, start=1):
        cell = put(ws, header_row, column, header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    row = header_row + 1
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for manager, owed in lines.items():
        for column in range(1, len(HEADERS) + 1):
            ws.cell(row=row, column=column).fill = _MANAGER_FILL
        put(ws, row, 1, manager).font = Font(bold=True)
        put(ws, row, 2, f"{len(owed)} item{'s' if len(owed) != 1 else ''} outstanding").font = Font(bold=True)
        row += 1
        for line in owed:
            values = (line.manager, line.heading, line.project_code, line.project_name, line.since, line.detail,
                      line.remedy)
            for column, value in enumerate(values, start=1):
                cell = put(ws, row, column, value, _DATE if column == 5 else None)
                cell.alignment = wrap if column in _WRAPPED else top
                cell.border = _RULE
            row += 1
    for column, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=column).column_letter].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.auto_filter.ref = f"A{header_row}:{ws.cell(row=header_row, column=len(HEADERS)).column_letter}{row - 1}"
    _print_setup(ws, header_row, today)


def _email_sheet(ws: Worksheet, texts: Sequence[tuple[str, int, str]], today: dt.date) -> None:
    _title(ws, "Reminder texts", "Each cell is one manager's reminder, ready to paste into an email")
    for column, header in enumerate(("Manager", "Items", "Reminder"), start=1):
        cell = put(ws, 4, column, header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
    for row, (manager, items, text) in enumerate(texts, start=5):
        put(ws, row, 1, manager).alignment = Alignment(vertical="top")
        put(ws, row, 2, items).alignment = Alignment(vertical="top")
        put(ws, row, 3, text).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 8
    ws.column_dimensions["C"].width = 110
    ws.freeze_panes = "A5"
    _print_setup(ws, 4, today)


def _print_setup(ws: Worksheet, header_row: int, today: dt.date) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddFooter.left.text = f"Reminders as of {today:%d %b %Y}"
    ws.oddFooter.right.text = "Page &P of &N"


def write_reminders(path: str | Path, exceptions: Iterable[ComplianceException], today: dt.date) -> RemindersResult:
    """Write the reminders of ``exceptions`` (only missing reports, overdue RAID, gate conditions) to ``path``.

    Raises ``TableExportError`` when the file cannot be saved (folder missing, file open in Excel).
    """
    exceptions = list(exceptions)
    lines = reminder_lines(exceptions)
    reminders = manager_reminders(exceptions, today)
    wb = Workbook()
    by_manager = wb.active
    by_manager.title = "By manager"
    _by_manager_sheet(by_manager, lines, today)
    _email_sheet(wb.create_sheet("Email text"), [(r.manager, r.items, r.text) for r in reminders], today)
    target = Path(path)
    save_table_workbook(wb, target)
    return RemindersResult(target, len(reminders), sum(r.items for r in reminders))
