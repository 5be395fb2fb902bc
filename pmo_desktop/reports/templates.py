"""The office's standard PM workbooks: canonical headers, dropdowns, hints and a hidden marker.

A project manager fills the "Data" sheet; the importer finds the hidden marker sheet and maps
the columns by the canonical field names stored there, so our own templates need no mapping.
A milestones or RAID template can start from a methodology of the office's standards library:
its standard milestones (laid out across the baseline dates as a project created from the
methodology gets them) or its starter RAID items come pre-filled, so the manager completes
rows rather than starting from a blank sheet.

The strategic scores template (long layout: Project | Criterion | Score) offers the office's
criteria as a dropdown and comes with one row per proposal (projects at the idea and business
case stages, the ones a scoring round is for) and criterion, holding the score stored today
where there is one: the scorer reviews and fills rows instead of typing project codes and
criterion names. Scores of other projects are added as further rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..importer.fields import FieldSpec, FieldType, Kind, fields_for
from ..importer.marker import (
    DATA_SHEET,
    LISTS_SHEET,
    MARKER_SHEET,
    MARKER_TEXT,
    TEMPLATE_VERSION,
)
from ..model import Methodology, Project, ProjectScore, RaidItem, RaidKind, Stage
from ..services import lookups, scoring
from ..services.errors import FieldError, ValidationError
from ..services.raid import REF_PREFIXES
from ..services.standards import StandardInfo, milestone_dates, standards

INPUT_ROWS = 1000
TEMPLATE_KINDS = ("projects", "status", "raid", "milestones", "people", "allocations", "scores")
STANDARD_KINDS = ("milestones", "raid")
"""The templates a methodology's standard can pre-fill."""

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
    "methodology": tuple(m.label for m in Methodology),
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
    FieldType.SCORE: "A score from 0 to 5 in half steps, e.g. 3.5 (or Very low to Very high).",
}

_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_KEY_FILL = PatternFill("solid", fgColor="833C0B")


@dataclass(frozen=True, slots=True)
class TemplateLists:
    """Values from the office database offered as dropdowns (optional), and its standards library."""

    project_codes: Sequence[str] = ()
    people: Sequence[str] = ()
    programmes: Sequence[str] = ()
    standards: Sequence[StandardInfo] = ()
    """The methodologies a milestones or RAID template can be pre-filled from."""
    criteria: Sequence[str] = ()
    """The office's strategic criteria, heaviest first (the scores template's dropdown)."""
    proposal_scores: Sequence[ScoreRow] = ()
    """One row per proposal and criterion, pre-filled on the scores template."""


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """A proposal's score on one criterion as stored today (None: not scored yet)."""

    project: str
    criterion: str
    score: float | None


@dataclass(frozen=True, slots=True)
class ExistingRaidItem:
    """A RAID item the project already has: a starter item of the same kind and title keeps its ref."""

    kind: str
    ref: str
    title: str


@dataclass(frozen=True, slots=True)
class TemplateProject:
    """What a pre-filled template takes from a stored project: its baseline dates and RAID refs."""

    code: str
    baseline_start: dt.date | None
    baseline_end: dt.date | None
    raid_items: tuple[ExistingRaidItem, ...]


def template_lists(session: Session) -> TemplateLists:
    """Dropdown values for the templates and the standards library, from the office database."""
    criteria = scoring.criteria(session)
    return TemplateLists(lookups.project_codes(session), lookups.people_names(session),
                         lookups.programme_names(session), standards(session),
                         tuple(c.name for c in criteria), proposal_scores(session, criteria))


def proposal_scores(session: Session, criteria: Sequence[scoring.CriterionDetails]) -> tuple[ScoreRow, ...]:
    """Each proposal's score on each criterion (stored or None), by project code, criteria heaviest first."""
    codes = session.execute(select(Project.id, Project.code).where(
        Project.stage.in_([s.value for s in Stage if s.is_proposal])).order_by(Project.code)).all()
    stored = {(project_id, criterion_id): score for project_id, criterion_id, score in session.execute(
        select(ProjectScore.project_id, ProjectScore.criterion_id, ProjectScore.score)
        .join(Project, Project.id == ProjectScore.project_id)
        .where(Project.stage.in_([s.value for s in Stage if s.is_proposal])))}
    return tuple(ScoreRow(code, c.name, stored.get((project_id, c.id))) for project_id, code in codes for c in criteria)


def template_project(session: Session, code: str) -> TemplateProject | None:
    """The stored project whose code is ``code`` (in any case), or None when the office has no such project."""
    project = session.scalar(select(Project).where(func.lower(Project.code) == code.strip().lower()))
    if project is None:
        return None
    items = session.execute(select(RaidItem.kind, RaidItem.ref, RaidItem.title)
                            .where(RaidItem.project_id == project.id).order_by(RaidItem.id)).all()
    return TemplateProject(project.code, project.baseline_start, project.baseline_end,
                           tuple(ExistingRaidItem(*item) for item in items))


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
    if spec.name == "criterion" and "criterion" in list_ranges:
        dv = DataValidation(type="list", formula1=list_ranges["criterion"], allow_blank=True)
        dv.errorStyle = "stop"  # a criterion the office does not have is always rejected
    elif spec.name in ("project", "person", "programme") and spec.name in list_ranges:
        dv = DataValidation(type="list", formula1=list_ranges[spec.name], allow_blank=True)
        dv.errorStyle = "warning"  # a name not yet in the database is allowed, with a warning
    elif _choices_for(spec) is not None:
        dv = DataValidation(type="list", formula1=list_ranges[f"choice:{spec.name}"], allow_blank=True)
    elif spec.type is FieldType.DATE:
        dv = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)",
                            formula2="DATE(2100,12,31)", allow_blank=True)
    elif spec.type is FieldType.PERCENT:
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True)
    elif spec.type is FieldType.SCORE:
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="5", allow_blank=True)
        dv.errorStyle = "warning"  # Very low..Very high are accepted too
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


def _column_width(spec: FieldSpec) -> int:
    if spec.type is not FieldType.TEXT:
        return 16
    if spec.name in ("summary", "achievements", "next_steps", "issues", "description", "mitigation"):
        return 40
    return 32 if spec.name in ("name", "title") else 16


def _fit_to_width(sheet: Worksheet) -> None:
    """Printed (or saved as PDF) landscape, as wide as one page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _number_format(spec: FieldSpec) -> str | None:
    return {
        FieldType.DATE: "dd/mm/yyyy",
        FieldType.MONEY: "#,##0",
        FieldType.PERCENT: "0%",
        FieldType.HOURS: "0.0",
        FieldType.NUMBER: "#,##0.##",
        FieldType.SCORE: "0.0",
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
    if lists.criteria and any(spec.name == "criterion" for spec in specs):
        columns.append(("criterion", tuple(lists.criteria)))
    ranges = {}
    for index, (name, values) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=name).data_type = "s"
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index).value = str(value)
            sheet.cell(row=row, column=index).data_type = "s"
        ranges[name] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    return ranges


@dataclass(frozen=True, slots=True)
class _Prefill:
    """The rows a methodology's standard puts on the Data sheet, and the note that says so."""

    rows: list[dict[str, Any]]
    note: list[str]


def _find_standard(methodology: str, known: Sequence[StandardInfo]) -> StandardInfo:
    wanted = methodology.strip().casefold()
    for standard in known:
        if wanted in (standard.methodology.casefold(), standard.label.casefold()):
            return standard
    if not known:
        message = (f"'{methodology}' is not in the office's standards library, which is empty: add the "
                   "methodologies in File > Standards Library.")
    else:
        message = (f"'{methodology}' is not in the office's standards library; choose one of: "
                   f"{', '.join(s.methodology for s in known)}.")
    raise ValidationError(FieldError("methodology", message))


def _check_prefill(kind: Kind, methodology: str | None, project_code: str | None,
                   start: dt.date | None, end: dt.date | None) -> None:
    errors = []
    if methodology is None:
        if project_code or start or end:
            errors.append(FieldError("methodology", "Choose the methodology whose standard the project code and "
                                                    "baseline dates pre-fill."))
    elif kind.value not in STANDARD_KINDS:
        errors.append(FieldError("methodology", "Only the milestones and RAID templates are pre-filled from a "
                                                "methodology's standard."))
    if kind is Kind.RAID and (start or end):
        errors.append(FieldError("baseline_start", "The baseline dates lay out milestones; a RAID template "
                                                   "has no use for them."))
    elif (start is None) != (end is None):
        missing = "baseline_end" if end is None else "baseline_start"
        errors.append(FieldError(missing, "Give both baseline dates (or neither, to leave the milestone "
                                          "dates for the manager)."))
    elif start and end and end < start:
        errors.append(FieldError("baseline_end", f"The baseline end {end:%d/%m/%Y} is before the baseline "
                                                 f"start {start:%d/%m/%Y}."))
    if errors:
        raise ValidationError(errors)


def _milestone_prefill(standard: StandardInfo, project_code: str | None,
                       start: dt.date | None, end: dt.date | None) -> _Prefill:
    dates = dict(milestone_dates(start, end, standard.milestones)) if start and end else {}
    rows = [{"project": project_code, "name": m.name, "baseline": dates.get(m.name),
             "forecast": dates.get(m.name)} for m in standard.milestones]
    where = (f"laid out from the baseline start {start:%d/%m/%Y} to the baseline end {end:%d/%m/%Y}"
             if start and end else "without dates: enter each milestone's baseline date")
    return _Prefill(rows, [f"Its {len(rows)} standard milestones are filled in, {where}.",
                           "Complete the forecast, status and owner of each, and add the project's own milestones "
                           "below them."])


def _starter_refs(standard: StandardInfo, existing: Sequence[ExistingRaidItem]) -> list[str]:
    """Each starter item's ref: the one an item of the same kind and title already has, else the next free one.

    On a project without RAID items these are the refs creating the project from the methodology
    gives (R-001, A-001, ...), so the template's rows are recognised as those items on import.
    """
    kept = {(item.kind, item.title.strip().casefold()): item.ref for item in existing}
    last: dict[str, int] = {}
    for item in existing:
        prefix, _, number = item.ref.partition("-")
        if number.isdigit():
            last[prefix.upper()] = max(last.get(prefix.upper(), 0), int(number))
    refs = []
    for starter in standard.starter_raid:
        ref = kept.get((starter.kind, starter.title.strip().casefold()))
        if ref is None:
            prefix = REF_PREFIXES.get(RaidKind(starter.kind), "X")
            last[prefix] = last.get(prefix, 0) + 1
            ref = f"{prefix}-{last[prefix]:03d}"
        refs.append(ref)
    return refs


def _raid_prefill(standard: StandardInfo, project_code: str | None,
                  existing: Sequence[ExistingRaidItem]) -> _Prefill:
    refs = _starter_refs(standard, existing)
    rows = [{"project": project_code, "ref": ref, "kind": RaidKind(item.kind).label, "title": item.title,
             "category": item.category} for ref, item in zip(refs, standard.starter_raid, strict=True)]
    return _Prefill(rows, [f"Its {len(rows)} starter RAID items are filled in.",
                           "Complete the owner, likelihood, impact and mitigation of each, and add the project's "
                           "own risks, assumptions, issues and dependencies below them."])


def _prefill(kind: Kind, standard: StandardInfo, project_code: str | None, start: dt.date | None,
             end: dt.date | None, existing: Sequence[ExistingRaidItem]) -> _Prefill:
    found = (_milestone_prefill(standard, project_code, start, end) if kind is Kind.MILESTONES
             else _raid_prefill(standard, project_code, existing))
    lead = f"Pre-filled from the office's {standard.label} standard"
    lead += f" for project {project_code}." if project_code else "; enter the project code on every row."
    return _Prefill(found.rows, [lead, *found.note])


def _scores_prefill(rows: Sequence[ScoreRow]) -> _Prefill:
    projects = len({row.project for row in rows})
    return _Prefill([{"project": r.project, "criterion": r.criterion, "score": r.score} for r in rows],
                    [f"One row per proposal and criterion is filled in ({projects} proposals), with the score "
                     "stored today where there is one.",
                     "Fill or correct each score; a blank score leaves the stored one as it is. Add rows for "
                     "other projects below them."])


def _write_rows(data: Worksheet, specs: Sequence[FieldSpec], rows: Sequence[dict[str, Any]]) -> None:
    for offset, values in enumerate(rows, start=2):
        for column, spec in enumerate(specs, start=1):
            value = values.get(spec.name)
            if value is None:
                continue
            cell = data.cell(row=offset, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text from the library stays text, even when it starts with "="


def _write_instructions(wb: Workbook, kind: Kind, specs: Sequence[FieldSpec], office: str,
                        note: Sequence[str] = ()) -> None:
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
    table_row = 3 + len(lines) + 1
    if note:
        sheet.cell(row=table_row, column=1, value="Pre-filled").font = Font(bold=True, color="833C0B")
        for row, line in enumerate(note, start=table_row + 1):
            sheet.cell(row=row, column=1, value=line).data_type = "s"
        table_row += len(note) + 2
    sheet.cell(row=table_row, column=1, value="Field").font = Font(bold=True)
    sheet.cell(row=table_row, column=2, value="What to enter").font = Font(bold=True)
    for row, spec in enumerate(specs, start=table_row + 1):
        sheet.cell(row=row, column=1, value=header_label(spec)).data_type = "s"
        choices = _choices_for(spec)
        hint = ("One of: " + ", ".join(choices)) if choices else _HINTS.get(spec.type, "Text.")
        if spec.key:
            hint += " Required: identifies the record."
        sheet.cell(row=row, column=2, value=hint).data_type = "s"
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 90
    _fit_to_width(sheet)


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
                   methodology: str | None = None, project_code: str | None = None,
                   baseline_start: dt.date | None = None, baseline_end: dt.date | None = None,
                   existing_raid: Sequence[ExistingRaidItem] = (),
                   office_name: str = "PMO", today: dt.date | None = None) -> Path:
    """Write the office's template for ``kind`` to ``path`` (written whole, or not at all).

    With ``methodology`` (a name or label from ``lists.standards``), a milestones or RAID template
    comes pre-filled with that standard's milestones or starter RAID items, on ``project_code``
    when given; milestones are dated across both baseline dates when given. ``existing_raid`` are
    the project's RAID items (see ``template_project``), so that pre-filled refs never take over
    another item. Raises ``ValidationError`` naming the field (nothing written) when these do not fit.
    """
    kind_enum = Kind(kind)
    methodology = (methodology or "").strip() or None
    project_code = (project_code or "").strip() or None
    _check_prefill(kind_enum, methodology, project_code, baseline_start, baseline_end)
    prefill = None
    if methodology is not None:
        standard = _find_standard(methodology, lists.standards)
        prefill = _prefill(kind_enum, standard, project_code, baseline_start, baseline_end, existing_raid)
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
        data.column_dimensions[letter].width = _column_width(spec)
        validation = _validation_for(spec, list_ranges)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{INPUT_ROWS + 1}")
            data.add_data_validation(validation)
        number_format = _number_format(spec)
        if number_format:
            for row in range(2, INPUT_ROWS + 2):
                data.cell(row=row, column=column).number_format = number_format
    if prefill is None and kind_enum is Kind.SCORES and lists.proposal_scores:
        prefill = _scores_prefill(lists.proposal_scores)
    if prefill is not None:
        _write_rows(data, specs, prefill.rows)
    data.freeze_panes = "A2"
    data.row_dimensions[1].height = 32
    _fit_to_width(data)
    data.auto_filter.ref = f"A1:{get_column_letter(len(specs))}1"
    _write_instructions(wb, kind_enum, specs, office_name, prefill.note if prefill is not None else ())
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
