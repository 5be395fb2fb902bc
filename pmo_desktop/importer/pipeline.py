"""Import spreadsheet files end to end: read, find tables, map, parse, plan and apply.

``import_files`` glues the reading side (readers -> sheets -> records) to ``plan_import`` and
``apply_plan``. It is what the CLI's ``import FILE... [--dry-run] [--json]`` and the UI's import
action call.

Decisions:

* All files are planned together for the preview (a status file may name projects that a
  projects file of the same import creates). When applying, each file becomes its own
  ImportBatch (undoable on its own), applied in one transaction per file, parents first: files
  holding projects or people before the rest. Each file is planned again against the database
  just before it is applied, so its batch records exactly what it changed.
* With a datamap (``datamap=NAME``) each file is a fixed-layout return: harvested cell by cell
  into one project (custom fields included) and one status report (importer/datamap.py).
* A scoring matrix (one row per project, one column per strategic criterion, headed with the
  office's criterion names) is unpivoted into one score row per filled cell
  (importer/score_sheets.py); the office's criteria are read before the files.
* A row of a wide time grid (hours in one column per week or month) becomes one allocation per
  run of consecutive periods at the same hours per week (hours of a period / weeks in it).
* Exit codes a script can rely on: 0 everything imported; 1 some rows were rejected (the rest
  were imported; see the rejects workbook); 2 a file could not be read or applied (other files
  were still imported).
"""

from __future__ import annotations

import datetime as dt
import gc
import json as jsonlib
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..model import BatchStatus, ImportBatch, StrategicCriterion
from ..model.database import Database
from .apply import ApplyError, apply_plan
from .datamap import DatamapError, datamap_entries, harvest
from .errors import CellError, ImportFileError
from .fields import FIELDS, Kind
from .fingerprints import READ_FIRST, REQUIRED_FIRST, fingerprinted, row_hasher, sheet_context
from .mapping import map_headers
from .plan import KINDS, DeferredRow, ImportPlan, ParsedRow, ParsedSheet, plan_import
from .readers import Workbook, read_workbook
from .records import ParsedRecord, TableParser, parse_table
from .rejects import write_rejects_workbook
from .score_sheets import wide_score_sheets
from .sheets import Layout, SheetTable, analyse_workbook
from .values import DEFAULT_OPTIONS, ParseOptions, parse_field

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_FILE_ERROR = 2


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that could not be read or applied, with the message for the coordinator."""

    path: str
    message: str


@dataclass(slots=True)
class ImportOutcome:
    """What an import did (or, for a dry run, would do)."""

    plan: ImportPlan
    """The plan shown to the coordinator (dry run) or the plans applied, file by file."""
    batch_ids: list[int] = field(default_factory=list)
    file_errors: list[FileProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    rejects_path: Path | None = None
    """The rejects workbook written, if any row was rejected and a path was given."""
    json_text: str | None = None
    """``plan.to_json()`` as text, when asked for."""

    @property
    def exit_code(self) -> int:
        if self.file_errors:
            return EXIT_FILE_ERROR
        if self.plan.counts.reject:
            return EXIT_REJECTED
        return EXIT_OK

    def summary(self) -> str:
        """One line a coordinator (or a script's log) can read."""
        counts = self.plan.counts
        verb = "would import" if self.dry_run else "imported"
        text = (f"{verb}: {counts.new} new, {counts.update} updated, {counts.unchanged} unchanged, "
                f"{counts.reject} rejected")
        if self.file_errors:
            text += f"; {len(self.file_errors)} file(s) could not be imported"
        return text


def import_files(db: Database, paths: Iterable[str | os.PathLike], *, kind: str | None = None,
                 dry_run: bool = False, json: bool = False, rejects_path: str | os.PathLike | None = None,
                 overwrite_blanks: bool = False, datamap: str | None = None) -> ImportOutcome:
    """Import ``paths`` into ``db`` (see the module docstring); never raises for a bad file.

    ``kind`` forces the kind of every sheet (ValueError if it is not one of KINDS). ``datamap``
    names a stored datamap: each file is then a fixed-layout return harvested cell by cell
    (importer/datamap.py) instead of searched for tables (DatamapError, a ValueError, when no
    datamap has that name).
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"{kind!r} is not a kind of sheet this program imports; use one of {', '.join(KINDS)}")
    with collector_paused():
        return _import_files(db, paths, kind=kind, dry_run=dry_run, json=json, rejects_path=rejects_path,
                             overwrite_blanks=overwrite_blanks, datamap=datamap)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration (an import), then resume it.

    An import builds hundreds of thousands of small, long-lived objects (cells, parsed and
    planned rows, audit records); every full collection would walk all of them again, which
    cost about a tenth of an import. They hold no reference cycles to speak of, and plain
    reference counting still frees everything as usual. Nested uses leave it paused.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_files(db: Database, paths: Iterable[str | os.PathLike], *, kind: str | None, dry_run: bool,
                  json: bool, rejects_path: str | os.PathLike | None, overwrite_blanks: bool,
                  datamap: str | None) -> ImportOutcome:
    if kind is not None and datamap is not None:
        raise ValueError("a datamap says where every value is: do not give a kind as well")
    entries = None
    if datamap is not None:
        with db.session() as session:
            entries = datamap_entries(session, datamap)
    options = parse_options(db)
    criteria = office_criteria(db) if datamap is None and kind in (None, Kind.SCORES.value) else ()
    outcome = ImportOutcome(ImportPlan(overwrite_blanks=overwrite_blanks), dry_run=dry_run)
    files: list[tuple[Workbook, list[ParsedSheet]]] = []
    for path in paths:
        try:
            workbook = read_workbook(path)
        except ImportFileError as exc:
            outcome.file_errors.append(FileProblem(str(path), exc.message))
            continue
        except OSError as exc:
            outcome.file_errors.append(FileProblem(str(path), f"{Path(path).name} cannot be read: {exc.strerror}"))
            continue
        if entries is not None:
            try:
                harvested = harvest(workbook, entries, datamap=datamap or "", options=options)
            except DatamapError as exc:
                outcome.file_errors.append(FileProblem(str(path), str(exc)))
                continue
            sheets, warnings = harvested.sheets, harvested.warnings
        else:
            sheets, warnings = parsed_sheets(workbook, kind=kind, options=options, criteria=criteria)
        outcome.warnings.extend(warnings)
        if not sheets:
            outcome.warnings.append(f"{workbook.path.name}: no sheet holds data this program can import")
        files.append((workbook, sheets))
    outcome.warnings.extend(already_imported(db, [workbook for workbook, _ in files]))
    if dry_run:
        with db.session() as session:
            outcome.plan = plan_import(session, [s for _, sheets in files for s in sheets],
                                       overwrite_blanks=overwrite_blanks)
    else:
        _apply_files(db, files, outcome, overwrite_blanks)
    outcome.warnings.extend(w for sheet in outcome.plan.sheets for w in sheet.warnings)
    outcome.warnings.extend(f"{row.source.file}, sheet {row.source.sheet}, row {row.row}: {warning}"
                            for row in outcome.plan.rows() for warning in row.warnings)
    if rejects_path is not None and outcome.plan.counts.reject:
        outcome.rejects_path = write_rejects_workbook(outcome.plan, rejects_path)
    if json:
        outcome.json_text = jsonlib.dumps(outcome.plan.to_json(), indent=2, ensure_ascii=False)
    return outcome


def parse_options(db: Database) -> ParseOptions:
    """How cells are parsed in this office: date order and hours per day from its settings."""
    settings = db.settings()
    return ParseOptions(day_first=settings.date_order != "month_first",
                        hours_per_day=settings.hours_per_day or DEFAULT_OPTIONS.hours_per_day,
                        hours_per_week=DEFAULT_OPTIONS.hours_per_week)


def office_criteria(db: Database) -> tuple[str, ...]:
    """The names of the office's strategic criteria (what a scoring matrix's headers are matched to)."""
    with db.session() as session:
        return tuple(session.scalars(select(StrategicCriterion.name).order_by(StrategicCriterion.name)))


def file_rank(sheets: Sequence[ParsedSheet]) -> int:
    """Files with parents (projects, people) are applied before files that refer to them."""
    return min((KINDS.index(s.kind) for s in sheets if s.kind in KINDS), default=len(KINDS))


def apply_file(db: Database, workbook: Workbook, sheets: Sequence[ParsedSheet], *,
               overwrite_blanks: bool = False) -> tuple[ImportBatch, ImportPlan]:
    """Plan one file's sheets against the database as it is now and apply them as one batch.

    Raises ApplyError (nothing written) when the database refuses the file.
    """
    with db.session() as session:
        plan = plan_import(session, sheets, overwrite_blanks=overwrite_blanks)
    batch = apply_plan(
        db, plan, file_name=workbook.path.name, sha256=workbook.sha256,
        kind=", ".join(dict.fromkeys(s.kind for s in sheets)),
        mapping={s.sheet: {h: f for h, f in s.mapping.items() if f} for s in sheets},
    )
    return batch, plan


def _apply_files(db: Database, files: list[tuple[Workbook, list[ParsedSheet]]], outcome: ImportOutcome,
                 overwrite_blanks: bool) -> None:
    for workbook, sheets in sorted(files, key=lambda item: file_rank(item[1])):
        if not sheets:
            continue
        try:
            batch, plan = apply_file(db, workbook, sheets, overwrite_blanks=overwrite_blanks)
        except ApplyError as exc:
            outcome.file_errors.append(FileProblem(str(workbook.path), str(exc)))
            continue
        outcome.batch_ids.append(batch.id)
        outcome.plan.sheets.extend(plan.sheets)


def already_imported(db: Database, workbooks: Sequence[Workbook]) -> list[str]:
    """Warn about files whose exact content was imported before (and not undone)."""
    hashes = {workbook.sha256: workbook for workbook in workbooks}
    if not hashes:
        return []
    batch = ImportBatch.__table__
    query = select(batch.c.id, batch.c.sha256, batch.c.imported_at).where(
        batch.c.sha256.in_(list(hashes)), batch.c.status == BatchStatus.APPLIED.value).order_by(batch.c.id)
    with db.session() as session:
        rows = session.execute(query).all()
    seen: dict[str, Any] = {row.sha256: row for row in rows}
    return [f"{hashes[sha].path.name} was already imported on {row.imported_at:%Y-%m-%d} (batch {row.id}); "
            "rows that did not change since are left as they are" for sha, row in seen.items()]


# ---------------------------------------------------------------------------------------------
# From the reading side's tables to ParsedSheets
# ---------------------------------------------------------------------------------------------


def parsed_sheets(workbook: Workbook, *, kind: str | None = None, options: ParseOptions = DEFAULT_OPTIONS,
                  criteria: Sequence[str] = ()) -> tuple[list[ParsedSheet], list[str]]:
    """Every importable table of ``workbook`` as a ParsedSheet, and warnings about the rest.

    ``kind`` forces the kind of every table (its headers are mapped again for that kind).
    ``criteria`` are the office's strategic criteria: a sheet headed with them is a scoring
    matrix, read only as scores (importer/score_sheets.py).
    """
    analysis = analyse_workbook(workbook, options)
    matrices = wide_score_sheets(workbook, criteria) if kind in (None, Kind.SCORES.value) else []
    scored = {matrix.sheet for matrix in matrices}
    warnings = [f"{workbook.path.name}, sheet {s.sheet}: skipped ({s.reason})" for s in analysis.skipped
                if s.sheet not in scored]
    sheets: list[ParsedSheet] = list(matrices)
    for table in analysis.all_tables():
        if table.sheet in scored:
            continue
        if kind is not None and table.kind != Kind(kind):
            table.kind = Kind(kind)
            table.mapping = map_headers(table.headers, table.kind, options=options)
        if table.kind is None:
            warnings.append(f"{workbook.path.name}, sheet {table.sheet}: skipped (its kind is not clear; "
                            "choose one with --kind)")
            continue
        sheets.append(to_parsed_sheet(workbook.path.name, table, options))
    return sheets, warnings


def to_parsed_sheet(file_name: str, table: SheetTable, options: ParseOptions = DEFAULT_OPTIONS) -> ParsedSheet:
    """One analysed table, parsed, as the planner's input: one ParsedRow per record or rejected row."""
    kind = str(table.kind)
    headers = tuple(table.header_text(i) for i in range(len(table.headers)))
    mapping: dict[str, str | None] = {}
    grid_indexes = {g.index for g in table.mapping.grid}
    for column in table.mapping.columns:
        mapping[headers[column.index]] = "hours_per_week" if column.index in grid_indexes else column.field
    for grid in table.mapping.grid:
        mapping[headers[grid.index]] = "hours_per_week"
    unmapped = [h for h, f in mapping.items() if f is None]
    mapped = {h: f for h, f in mapping.items() if f}
    if fingerprinted(table):
        rows = _key_first_rows(kind, file_name, table, options)
        return ParsedSheet(file_name, table.sheet, kind, table.header_row, mapped, unmapped, rows, headers)
    raw_by_line = dict(table.rows)
    by_line: dict[int, list[ParsedRow]] = {}
    for line, (records, errors) in _parse_by_line(table, options).items():
        raw = raw_by_line.get(line, ())
        if errors:
            by_line[line] = [ParsedRow(kind, file_name, table.sheet, line, _readable_values(table, raw, options),
                                       list(errors), raw)]
        else:
            by_line[line] = [row for record in records
                             for row in _rows_of_record(kind, file_name, table.sheet, record, raw)]
    rows = [row for line in sorted(by_line) for row in by_line[line]]
    return ParsedSheet(file_name, table.sheet, kind, table.header_row, mapped, unmapped, rows, headers)


def _key_first_rows(kind: str, file_name: str, table: SheetTable, options: ParseOptions) -> list[ParsedRow]:
    """The rows of a fingerprinted table (importer/fingerprints.py), each read only for its key and
    references; the rest of a row is parsed when the planner (or anyone) first asks for it.

    A row whose key cells do not parse, or that lacks a key, is parsed in full at once (it is
    rejected, with the reasons the full parse gives). The rows are the ones the full parse
    gives, in the same order, with the same values and errors once parsed.
    """
    parser = TableParser(table, options)
    hasher = row_hasher(sheet_context(table, options))
    parse_row = partial(_parse_row, parser, options=options)
    first = frozenset(READ_FIRST[kind])
    required = frozenset(REQUIRED_FIRST[kind])  # parse_fields leaves a blank out: present means not None
    parse_fields = parser.parse_fields
    sheet = table.sheet
    rows: list[ParsedRow] = []
    for index, (line, raw) in enumerate(table.rows):
        keys = parse_fields(index, first)
        if keys is None or not keys.keys() >= required:
            values, errors = parse_row(index)
            if values is not None:
                rows.append(ParsedRow(kind, file_name, sheet, line, values, errors, raw))
            continue
        rows.append(DeferredRow(kind, file_name, sheet, line, raw, keys, hasher(raw), parse_row, index))
    rows.sort(key=attrgetter("row"))
    return rows


def _parse_row(parser: TableParser, index: int, options: ParseOptions) -> tuple[dict[str, Any] | None, list[CellError]]:
    """One row of a plain table in full: its values, or the values that did parse and its errors
    (as ``to_parsed_sheet`` gives them); (None, []) for a row with nothing in it."""
    record, errors = parser.parse_row(index)
    if errors:
        return _readable_values(parser.table, parser.table.rows[index][1], options), errors
    return (None, []) if record is None else (dict(record.values), [])


def _parse_by_line(table: SheetTable, options: ParseOptions) -> dict[int, tuple[list[ParsedRecord], list[CellError]]]:
    """Parsed records and cell errors of each line of the table.

    In a plain table a cell error names its sheet row, which is the record's line. In transposed
    and form layouts several records share sheet rows, so each record is parsed on its own.
    """
    found: dict[int, tuple[list[ParsedRecord], list[CellError]]] = {}
    if table.layout is Layout.TABLE:
        parsed = parse_table(table, options)
        for record in parsed.records:
            found.setdefault(record.line, ([], []))[0].append(record)
        for error in parsed.errors:
            found.setdefault(error.row, ([], []))[1].append(error)
        return found
    for index, (line, values) in enumerate(table.rows):
        cells = [table.cells[index]] if table.cells is not None else None
        parsed = parse_table(replace(table, rows=[(line, values)], cells=cells, nested=[]), options)
        if parsed.records or parsed.errors:
            found[line] = (list(parsed.records), list(parsed.errors))
    return found


def _rows_of_record(kind: str, file_name: str, sheet: str, record: ParsedRecord, raw: tuple) -> list[ParsedRow]:
    """A record, or for a wide time grid one allocation per run of periods at the same hours a week."""
    if not record.grid:
        return [ParsedRow(kind, file_name, sheet, record.line, dict(record.values), [], raw)]
    runs: list[list[Any]] = []  # [start, end, hours per week]
    for booked in sorted(record.grid, key=lambda g: g.start):
        weekly = round(booked.hours / (((booked.end - booked.start).days + 1) / 7), 2)
        if runs and runs[-1][1] + dt.timedelta(days=1) == booked.start and runs[-1][2] == weekly:
            runs[-1][1] = booked.end
        else:
            runs.append([booked.start, booked.end, weekly])
    return [ParsedRow(kind, file_name, sheet, record.line,
                      {**record.values, "start": start, "end": end, "hours_per_week": weekly}, [], raw)
            for start, end, weekly in runs]


def _readable_values(table: SheetTable, raw: tuple, options: ParseOptions) -> dict[str, Any]:
    """The cells of a rejected row that did parse, so the plan can still show them."""
    specs = {spec.name: spec for spec in FIELDS[table.kind]}
    values: dict[str, Any] = {}
    for column in table.mapping.columns:
        if not column.field or column.index >= len(raw):
            continue
        try:
            value = parse_field(specs[column.field], raw[column.index], multiplier=column.multiplier,
                                unit=column.unit, options=options)
        except ValueError:
            continue
        if value is not None:
            values[column.field] = value
    return values
