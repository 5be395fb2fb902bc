"""The office's standard PM workbooks: canonical headers, dropdowns, hints and a hidden marker.

A project manager fills the "Data" sheet; the importer finds the hidden marker sheet and maps
the columns by the canonical field names stored there, so our own templates need no mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from ..importer.fields import FieldSpec, FieldType, Kind, fields_for
from ..importer.marker import (
    DATA_SHEET,
    LISTS_SHEET,
    MARKER_SHEET,
    MARKER_TEXT,
    TEMPLATE_VERSION,
)
from ..services import lookups

INPUT_ROWS = 1000
TEMPLATE_KINDS = ("projects", "status", "raid", "milestones", "people", "allocations")

_ACRONYMS = {"rag": "RAG", "id": "ID"}
_HEADER_LABELS = {
    "code": "Project code", "percent_complete": "% complete", "period_end": "Period end",
    "hours_per_week": "Hours per week", "capacity_hours": "Capacity (hours/week)",
    "cost_rate": "Cost rate (per hour)", "forecast_cost": "Forecast cost (EAC)",
    "actual_cost": "Actual cost", "start": "Start", "end": "End", "ref": "Ref",
    "rag": "Overall RAG",
}

_CHOICES: dict[str, tuple[str, ...]] = {
    "rag": ("Green", "Amber", "Red"),
    "stage": ("Idea", "Business case", "Approved", "Planning", "Execution", "Closing", "Closed", "On hold",
              "Cancelled"),
    "raid_kind": ("Risk", "Assumption", "Issue", "Dependency"),
    "raid_status": ("Open", "In progress", "Closed"),
    "escalation": ("Project", "Programme", "Portfolio"),
    "likelihood": ("1 - Very low", "2 - Low", "3 - Medium", "4 - High", "5 - Very high"),
    "methodology": ("Waterfall", "Agile", "Hybrid"),
    "response": ("Avoid", "Reduce", "Transfer", "Accept", "Share", "Exploit"),
}

_HINTS: dict[FieldType, str] = {
    FieldType.DATE: "A date, e.g. 31/03/2026.",
    FieldType.MONEY: "An amount in the office currency, e.g. 125000.",
    FieldType.PERCENT: "Per cent complete, e.g. 45%.",
    FieldType.RAG: "Pick Green, Amber or Red.",
    FieldType.LIKELIHOOD: "Pick 1 (very low) to 5 (very high).",
    FieldType.INT: "A whole number.",
    FieldType.NUMBER: "A number.",
    FieldType.HOURS: "Hours per week, e.g. 15.",
}

_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_KEY_FILL = PatternFill("solid", fgColor="833C0B")


@dataclass(frozen=True, slots=True)
class TemplateLists:
    """Values from the office database offered as dropdowns (optional)."""

    project_codes: Sequence[str] = ()
    people: Sequence[str] = ()
    programmes: Sequence[str] = ()


def template_lists(session: Session) -> TemplateLists:
    """Dropdown values for the templates, from the office database."""
    return TemplateLists(lookups.project_codes(session), lookups.people_names(session),
                         lookups.programme_names(session))


def header_label(spec: FieldSpec) -> str:
    """The header a manager sees for a canonical field."""
    if spec.name in _HEADER_LABELS:
        return _HEADER_LABELS[spec.name]
    words = [_ACRONYMS.get(w, w) for w in spec.name.split("_")]
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def _choices_for(spec: FieldSpec) -> tuple[str, ...] | None:
    if spec.type is FieldType.RAG:
        return _CHOICES["rag"]
    if spec.type is FieldType.LIKELIHOOD:
        return _CHOICES["likelihood"]
    if spec.type is FieldType.ENUM and spec.enum in _CHOICES:
        return _CHOICES[spec.enum]
    return _CHOICES.get(spec.name)


def _validation_for(spec: FieldSpec, list_ranges: dict[str, str]) -> DataValidation | None:
    if spec.name in ("project", "person", "programme") and spec.name in list_ranges:
        dv = DataValidation(type="list", formula1=list_ranges[spec.name], allow_blank=True)
        dv.errorStyle = "warning"  # a name not yet in the database is allowed, with a warning
    elif _choices_for(spec) is not None:
        dv = DataValidation(type="list", formula1=list_ranges[f"choice:{spec.name}"], allow_blank=True)
    elif spec.type is FieldType.DATE:
        dv = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)",
                            formula2="DATE(2100,12,31)", allow_blank=True)
    elif spec.type is FieldType.PERCENT:
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True)
    elif spec.type in (FieldType.MONEY, FieldType.NUMBER, FieldType.HOURS):
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    elif spec.type is FieldType.INT:
        dv = DataValidation(type="whole", operator="between", formula1="1", formula2="9", allow_blank=True)
    else:
        return None
    dv.showErrorMessage = True
    dv.errorTitle = header_label(spec)
    dv.error = f"That is not a valid {header_label(spec).lower()}."
    hint = _HINTS.get(spec.type)
    if hint:
        dv.promptTitle = header_label(spec)[:32]
        dv.prompt = hint
        dv.showInputMessage = True
    return dv


def _number_format(spec: FieldSpec) -> str | None:
    return {
        FieldType.DATE: "dd/mm/yyyy",
        FieldType.MONEY: "#,##0",
        FieldType.PERCENT: "0%",
        FieldType.HOURS: "0.0",
        FieldType.NUMBER: "#,##0.##",
    }.get(spec.type)


def _write_lists(wb: Workbook, specs: Sequence[FieldSpec], lists: TemplateLists) -> dict[str, str]:
    """Dropdown sources on a hidden sheet; returns name -> absolute range formula."""
    sheet = wb.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    columns: list[tuple[str, Sequence[str]]] = []
    for spec in specs:
        choices = _choices_for(spec)
        if choices is not None:
            columns.append((f"choice:{spec.name}", choices))
    for name, values in (("project", lists.project_codes), ("person", lists.people),
                         ("programme", lists.programmes)):
        if values:
            columns.append((name, sorted(set(values))))
    ranges = {}
    for index, (name, values) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=name).data_type = "s"
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index).value = str(value)
            sheet.cell(row=row, column=index).data_type = "s"
        ranges[name] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _write_instructions(wb: Workbook, kind: Kind, specs: Sequence[FieldSpec], office: str) -> None:
    sheet = wb.create_sheet("Instructions", 0)
    sheet["A1"] = f"{office}: {kind.value.capitalize()} template"
    sheet["A1"].font = Font(size=14, bold=True, color="1F4E79")
    lines = [
        f"Fill one row per record on the '{DATA_SHEET}' sheet. Do not rename the sheets or the headers.",
        "Columns with a brown header identify the record: fill them on every row.",
        "Dropdowns show the values the office accepts; dates as dates, amounts as plain numbers.",
        "Send the workbook back as it is: the PMO imports it directly.",
    ]
    for row, line in enumerate(lines, start=3):
        sheet.cell(row=row, column=1, value=line)
    sheet.cell(row=8, column=1, value="Field").font = Font(bold=True)
    sheet.cell(row=8, column=2, value="What to enter").font = Font(bold=True)
    for row, spec in enumerate(specs, start=9):
        sheet.cell(row=row, column=1, value=header_label(spec)).data_type = "s"
        choices = _choices_for(spec)
        hint = ("One of: " + ", ".join(choices)) if choices else _HINTS.get(spec.type, "Text.")
        if spec.key:
            hint += " Required: identifies the record."
        sheet.cell(row=row, column=2, value=hint).data_type = "s"
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 90


def _write_marker(wb: Workbook, kind: Kind, specs: Sequence[FieldSpec]) -> None:
    marker = wb.create_sheet(MARKER_SHEET)
    marker.sheet_state = "veryHidden"
    marker["A1"] = MARKER_TEXT
    marker["B1"] = kind.value
    marker["C1"] = TEMPLATE_VERSION
    marker["D1"] = DATA_SHEET
    for column, spec in enumerate(specs, start=1):
        marker.cell(row=2, column=column, value=spec.name)


def write_template(kind: str, path: str | Path, *, lists: TemplateLists = TemplateLists(),
                   office_name: str = "PMO", today: dt.date | None = None) -> Path:
    """Write the office's template for ``kind`` to ``path`` (written whole, or not at all)."""
    kind_enum = Kind(kind)
    specs = [s for s in fields_for(kind_enum) if s.name != "task"]
    wb = Workbook()
    data = wb.active
    data.title = DATA_SHEET
    list_ranges = _write_lists(wb, specs, lists)
    for column, spec in enumerate(specs, start=1):
        cell = data.cell(row=1, column=column, value=header_label(spec))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _KEY_FILL if spec.key else _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        hint = _HINTS.get(spec.type)
        if hint:
            cell.comment = Comment(hint, "PMO")
        letter = get_column_letter(column)
        width = 40 if spec.type is FieldType.TEXT and spec.name in ("summary", "achievements", "next_steps",
                                                                     "issues", "description", "mitigation") else 16
        data.column_dimensions[letter].width = width
        validation = _validation_for(spec, list_ranges)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{INPUT_ROWS + 1}")
            data.add_data_validation(validation)
        number_format = _number_format(spec)
        if number_format:
            for row in range(2, INPUT_ROWS + 2):
                data.cell(row=row, column=column).number_format = number_format
    data.freeze_panes = "A2"
    data.row_dimensions[1].height = 32
    data.auto_filter.ref = f"A1:{get_column_letter(len(specs))}1"
    _write_instructions(wb, kind_enum, specs, office_name)
    wb.active = wb.sheetnames.index(DATA_SHEET)
    _write_marker(wb, kind_enum, specs)
    wb.properties.title = f"{office_name} {kind_enum.value} template"
    wb.properties.creator = "PMO Desktop"
    wb.properties.created = dt.datetime.combine(today or dt.date.today(), dt.time())
    target = Path(path)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        wb.save(tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
