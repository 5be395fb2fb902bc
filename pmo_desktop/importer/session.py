"""An interactive import: files in, tables to review, a plan to check, batches out (no Qt).

The import wizard drives an ``ImportSession`` step by step; the tests drive it the same way::

    session = ImportSession(db, mappings=SavedMappings(db))
    session.add_files(paths)                 # unreadable files are collected, never raised
    table = session.tables[0]
    session.set_kind(table, "status")        # maps the headers again for that kind
    session.set_field(table, "Week Ending", "period_end")
    plan = session.plan()                    # dry run against the database
    result = session.apply()                 # one ImportBatch per file, parents first

Decisions:

* Reading is split from recording (``load`` returns what it found, ``add_loaded`` keeps it) so
  the wizard can read on a worker thread and change its tables on the GUI thread only.
* Every found table becomes a ``TableChoice`` whose columns the coordinator can remap. A field
  goes to one column at most: giving it to a column takes it from the column that had it.
  Columns are never dropped silently: an unmapped column stays in the list, marked.
* A mapping saved for the table's header fingerprint is applied when the file is read (and
  the table says so). Applying remembers the mapping of every included table under its
  fingerprint, so the next file with the same headers needs no review.
* A saved mapping is stored as header text -> field. It is applied by the header's normalised
  text (a fingerprint match guarantees the same normalised headers in the same order);
  a repeated header is stored as "Header [2]". The columns of a wide time grid change every
  month, so they are stored as one entry, ``TIME_GRID``.
* Persistence of saved mappings is the services layer's business (the importer must not
  import services): the session is handed a store with ``find`` and ``save``, see
  ``services.mappings.SavedMappings``. Without one, nothing is looked up or saved.
* A scoring matrix (one row per project, one column per strategic criterion) is found as the
  pipeline finds it (importer/score_sheets.py, against the office's criteria read when the
  files are read) and offered as a table of kind ``scores`` whose columns say which criterion
  each scores. It is unpivoted by the same code when planned, so the wizard and the CLI make
  the same rows. Its columns are matched by their headers only: a header is renamed in the
  file (or the criterion under File > Strategic Criteria), never remapped here, and no mapping is saved for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import BatchStatus, ImportBatch
from ..model.database import Database
from .apply import ApplyError, undo_batch
from .criteria import CriterionMatcher
from .errors import ImportFileError
from .fields import FieldType, Kind, fields_for, raid_kind_from_sheet_name
from .mapping import (
    ColumnMapping,
    GridColumn,
    MappingResult,
    column_unit,  # the unit a header names ("(£k)", "days"); see the note in the report
    header_fingerprint,
    map_headers,
    normalise_header,
)
from .pipeline import (
    already_imported,
    apply_file,
    collector_paused,
    file_rank,
    office_criteria,
    parse_options,
    to_parsed_sheet,
)
from .plan import ImportPlan, ParsedSheet, plan_import
from .readers import Sheet, Workbook, read_workbook
from .rejects import write_rejects_workbook
from .score_sheets import ScoreMatrix, score_matrices, unpivot
from .sheets import Layout, SheetTable, analyse_workbook, column_letter, table_extent
from .values import is_no_value

log = logging.getLogger(__name__)

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv")
"""The files an import accepts (a folder contributes every such file directly inside it)."""

GRID_FIELD = "hours_per_week"
"""The field every column of a wide time grid feeds (one allocation per run of periods)."""

TIME_GRID = "<time grid>"
"""How a saved mapping names the columns of a time grid."""

SCORE_FIELD = "score"
"""The field every criterion column of a scoring matrix feeds."""

SAMPLE_VALUES = 3
SAMPLE_ROWS = 5

ProgressFn = Callable[[int, int, str], None]
"""``progress(done, total, text)``; it may raise to stop the work (the wizard's Cancel)."""


class MappingStore(Protocol):
    """Where saved mappings live (``services.mappings.SavedMappings`` for a database)."""

    def find(self, fingerprint: str) -> tuple[str, dict[str, str | None], str | None] | None: ...

    def save(self, mappings: Iterable[Any]) -> int: ...


@dataclass(frozen=True, slots=True)
class MappingToSave:
    """One confirmed mapping, handed to the store (same fields as the services' own)."""

    fingerprint: str
    kind: str
    mapping: dict[str, str | None]
    sample_file: str | None


# ---------------------------------------------------------------------------------------------
# What the coordinator reviews
# ---------------------------------------------------------------------------------------------


class Source:
    """Where a column's field came from (shown next to the confidence)."""

    AUTO = "auto"
    SAVED = "saved"
    USER = "user"
    MATRIX = "matrix"
    """Placed by a scoring matrix's headers (the project column and the criterion columns)."""


@dataclass(slots=True)
class ColumnChoice:
    """One column of a table: its header, a few values, and the field it goes to (or None)."""

    index: int
    header: str
    """The header as the manager wrote it (or "column F" when blank)."""
    key: str
    """The header as a saved mapping names it (repeated headers get " [2]", " [3]"...)."""
    samples: tuple[str, ...]
    field: str | None
    confidence: float
    source: str = Source.AUTO
    grid: GridColumn | None = None
    """For a period column of a wide time grid: the period it covers."""
    note: str = ""
    multiplier: Any = None
    unit: str | None = None
    criterion: str | None = None
    """For a score column of a scoring matrix: the office's criterion it scores (None: none matches)."""

    @property
    def mapped(self) -> bool:
        return self.field is not None

    @property
    def unknown_criterion(self) -> bool:
        """A scoring matrix's column of scores whose header matches none of the office's criteria."""
        return self.source == Source.MATRIX and self.field == SCORE_FIELD and self.criterion is None


@dataclass(frozen=True, slots=True)
class ScoreMatrixSource:
    """A scoring matrix as found: its sheet, where its columns are and the criteria matched against."""

    sheet: Sheet
    matrix: ScoreMatrix
    matcher: CriterionMatcher

    def parsed(self, file_name: str) -> ParsedSheet:
        """The matrix unpivoted into score rows, exactly as the pipeline reads it."""
        return unpivot(file_name, self.sheet, self.matrix, self.matcher)


@dataclass(slots=True)
class TableChoice:
    """One table found in a file, with the kind and column mapping the coordinator confirms."""

    path: Path
    sheet: str
    layout: Layout
    detected_kind: Kind | None
    kind: Kind | None
    header_row: int
    columns: list[ColumnChoice]
    sample_rows: list[tuple]
    row_count: int
    fingerprint: str
    include: bool = True
    saved_mapping_applied: bool = False
    saved_from: str | None = None
    """The file the saved mapping was confirmed on."""
    money_scale: Decimal = Decimal(1)
    """The scale the sheet's title gives money columns whose header names none ("£000s")."""
    source_table: SheetTable | None = field(default=None, repr=False)
    score_matrix: ScoreMatrixSource | None = field(default=None, repr=False)
    """Set when the table is a scoring matrix (kind scores; its columns are not remapped)."""

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def is_score_matrix(self) -> bool:
        return self.score_matrix is not None

    @property
    def criterion_columns(self) -> list[ColumnChoice]:
        """A scoring matrix's columns of scores: those matching a criterion and those matching none."""
        return [column for column in self.columns if column.source == Source.MATRIX and column.field == SCORE_FIELD]

    @property
    def label(self) -> str:
        return f"{self.file} › {self.sheet}"

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(column.header for column in self.columns)

    @property
    def mapping(self) -> dict[str, str | None]:
        """Source header (its saved-mapping key) -> canonical field, or None when ignored."""
        return {column.key: column.field for column in self.columns}

    @property
    def confidence(self) -> float:
        """Mean confidence of the mapped columns (0 when none is mapped)."""
        mapped = [column.confidence for column in self.columns if column.mapped]
        return sum(mapped) / len(mapped) if mapped else 0.0

    @property
    def unmapped(self) -> list[ColumnChoice]:
        return [column for column in self.columns if not column.mapped]

    def column(self, which: int | str) -> ColumnChoice:
        """A column by index, header or saved-mapping key (KeyError if there is none)."""
        for column in self.columns:
            if (column.index == which) if isinstance(which, int) else which in (column.header, column.key):
                return column
        raise KeyError(f"{self.label} has no column {which!r}")

    def field_names(self) -> tuple[str, ...]:
        """Every field a column of this table can go to (nothing while it has no kind, nor for a matrix)."""
        if self.kind is None or self.is_score_matrix:
            return ()
        return tuple(spec.name for spec in fields_for(self.kind))

    def saved_form(self) -> dict[str, str | None]:
        """The mapping as it is saved: one entry for the whole time grid."""
        saved: dict[str, str | None] = {}
        for column in self.columns:
            if column.grid is not None:
                if column.field == GRID_FIELD or TIME_GRID not in saved:
                    saved[TIME_GRID] = column.field
            else:
                saved[column.key] = column.field
        return saved


@dataclass(slots=True)
class LoadedFile:
    """One file as read: its tables, the sheets left out and why, or why it could not be read."""

    path: Path
    workbook: Workbook | None = field(default=None, repr=False)
    tables: list[TableChoice] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that could not be applied, with the message for the coordinator."""

    path: Path
    message: str


@dataclass(slots=True)
class ApplyResult:
    """What applying did: the batches written (one per file), files refused, the plans applied."""

    batches: list[ImportBatch] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    plan: ImportPlan = field(default_factory=ImportPlan)
    mappings_saved: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One line of the import history."""

    id: int
    file_name: str
    kind: str | None
    imported_by: str | None
    imported_at: Any
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    status: str
    undone_by: str | None
    undone_at: Any

    @property
    def can_undo(self) -> bool:
        return self.status == BatchStatus.APPLIED.value


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def is_spreadsheet(path: str | os.PathLike) -> bool:
    """True for a file name this import accepts (by its extension)."""
    return Path(path).suffix.lower() in SPREADSHEET_SUFFIXES


def spreadsheet_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files and folders as a list of spreadsheet files: a folder gives the spreadsheets in it.

    Lock files Excel leaves behind ("~$name.xlsx") and other files are left out; order is kept
    and each file appears once.
    """
    found: dict[Path, None] = {}
    for given in paths:
        path = Path(given)
        candidates = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            if is_spreadsheet(candidate) and not candidate.name.startswith("~$"):
                found.setdefault(candidate, None)
    return list(found)


# ---------------------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------------------


class ImportSession:
    """One import being prepared by a coordinator (see the module docstring)."""

    def __init__(self, db: Database, *, mappings: MappingStore | None = None, overwrite_blanks: bool = False):
        self.db = db
        self.mappings = mappings
        self.overwrite_blanks = overwrite_blanks
        self.options = parse_options(db)
        self.files: list[LoadedFile] = []
        self.last_plan: ImportPlan | None = None

    # -- files --------------------------------------------------------------------------------
    @property
    def tables(self) -> list[TableChoice]:
        """Every table of every readable file, in file and sheet order."""
        return [table for loaded in self.files for table in loaded.tables]

    @property
    def problems(self) -> list[LoadedFile]:
        """The files that could not be read."""
        return [loaded for loaded in self.files if not loaded.ok]

    def add_files(self, paths: Iterable[str | os.PathLike], progress: ProgressFn | None = None) -> list[LoadedFile]:
        """Read and analyse ``paths`` and keep what was found; return the files added."""
        return self.add_loaded(self.load(paths, progress))

    def load(self, paths: Iterable[str | os.PathLike], progress: ProgressFn | None = None) -> list[LoadedFile]:
        """Read and analyse ``paths`` without changing the session (safe on a worker thread).

        Files already in the session are left out. ``progress`` is told before each file.
        """
        known = {loaded.path.resolve() for loaded in self.files}
        todo = [Path(p) for p in paths if Path(p).resolve() not in known]
        todo = list(dict.fromkeys(todo))
        criteria = office_criteria(self.db) if todo else ()
        matcher = CriterionMatcher.of(criteria) if criteria else None
        loaded = []
        for number, path in enumerate(todo):
            if progress is not None:
                progress(number, len(todo), f"Reading {path.name} ({number + 1} of {len(todo)})…")
            with collector_paused():
                loaded.append(self._load_file(path, matcher))
        if progress is not None:
            progress(len(todo), len(todo), "Done")
        return loaded

    def add_loaded(self, loaded: Sequence[LoadedFile]) -> list[LoadedFile]:
        """Keep files that ``load`` returned (skipping any added meanwhile); return those kept."""
        known = {existing.path.resolve() for existing in self.files}
        added = [item for item in loaded if item.path.resolve() not in known]
        self.files.extend(added)
        if added:
            self.last_plan = None
        return added

    def remove_file(self, path: str | os.PathLike) -> None:
        """Leave a file out of this import."""
        target = Path(path).resolve()
        self.files = [loaded for loaded in self.files if loaded.path.resolve() != target]
        self.last_plan = None

    def _load_file(self, path: Path, matcher: CriterionMatcher | None) -> LoadedFile:
        try:
            workbook = read_workbook(path)
        except ImportFileError as exc:
            return LoadedFile(path, error=exc.message)
        except OSError as exc:
            return LoadedFile(path, error=f"{path.name} cannot be read: {exc.strerror or exc}. "
                                          "Check that the file exists and is not open elsewhere.")
        try:
            return self._analyse(path, workbook, matcher)
        except Exception:  # noqa: BLE001 - one odd file must not stop the others being read
            log.exception("Analysing %s failed", path)
            return LoadedFile(path, error=f"{path.name} could not be analysed because of a fault in this program "
                                          "(the details are in the log file). The other files are not affected.")

    def _analyse(self, path: Path, workbook: Workbook, matcher: CriterionMatcher | None) -> LoadedFile:
        analysis = analyse_workbook(workbook, self.options)
        loaded = LoadedFile(path, workbook)
        matrices = [self._matrix_choice(path, ScoreMatrixSource(sheet, matrix, matcher))
                    for sheet, matrix in score_matrices(workbook, matcher)] if matcher is not None else []
        scored = {table.sheet for table in matrices}
        loaded.skipped = [f"Sheet {s.sheet}: left out ({s.reason})" for s in analysis.skipped if s.sheet not in scored]
        tables = [self._choice(path, table) for table in analysis.all_tables() if table.sheet not in scored]
        tables.extend(matrices)
        order = {sheet.name: number for number, sheet in enumerate(workbook.sheets)}
        loaded.tables = sorted(tables, key=lambda table: order.get(table.sheet, -1))
        if not loaded.tables:
            loaded.skipped.append("No sheet holds data this program can import.")
        return loaded

    def _choice(self, path: Path, table: SheetTable) -> TableChoice:
        headers = [table.header_text(i) for i in range(len(table.headers))]
        keys = _column_keys(headers)
        grid = {g.index: g for g in table.mapping.grid}
        columns = []
        for column in table.mapping.columns:
            index = column.index
            columns.append(ColumnChoice(
                index, headers[index], keys[index], _samples(table, index),
                GRID_FIELD if index in grid else column.field,
                1.0 if index in grid else column.confidence,
                grid=grid.get(index), note=column.note, multiplier=column.multiplier, unit=column.unit,
            ))
        choice = TableChoice(
            path, table.sheet, table.layout, table.kind, table.kind, table.header_row, columns,
            [values for _line, values in table.rows[:SAMPLE_ROWS]], len(table.rows),
            header_fingerprint(table.headers), include=table.kind is not None and bool(table.rows),
            money_scale=self._title_scale(table), source_table=table,
        )
        saved = self.mappings.find(choice.fingerprint) if self.mappings is not None else None
        if saved is not None:
            kind, mapping, sample_file = saved
            if kind in {k.value for k in Kind}:
                self._apply_saved(choice, Kind(kind), mapping, sample_file)
        return choice

    @staticmethod
    def _matrix_choice(path: Path, source: ScoreMatrixSource) -> TableChoice:
        """A scoring matrix as a table of strategic scores whose columns name the criterion they score."""
        matrix = source.matrix
        parsed = source.parsed(path.name)
        records = table_extent(source.sheet.rows, matrix.header_index, len(matrix.headers), (matrix.project,))
        records = [(line, values) for line, values in records if not is_no_value(values[matrix.project])]
        headers = [header or f"column {column_letter(index)}" for index, header in enumerate(matrix.headers)]
        keys = _column_keys(headers)
        columns = []
        for index, header in enumerate(headers):
            samples = _samples_of(values[index] for _line, values in records)
            criterion = matrix.criteria.get(index)
            if index == matrix.project:
                field_name, note = "project", "names the project each row scores"
            elif criterion is not None:
                field_name, note = SCORE_FIELD, f"scores {criterion}"
            elif parsed.mapping.get(matrix.headers[index]) == SCORE_FIELD:
                field_name, note = SCORE_FIELD, source.matcher.unknown_reason()
            else:
                field_name, note = None, "neither the project nor a criterion: left in the spreadsheet"
            columns.append(ColumnChoice(index, header, keys[index], samples, field_name, 1.0 if field_name else 0.0,
                                        Source.MATRIX, note=note, criterion=criterion))
        return TableChoice(
            path, source.sheet.name, Layout.TABLE, Kind.SCORES, Kind.SCORES, matrix.header_index + 1, columns,
            [values for _line, values in records[:SAMPLE_ROWS]], len(records), header_fingerprint(matrix.headers),
            include=bool(records), score_matrix=source,
        )

    # -- editing ------------------------------------------------------------------------------
    def set_kind(self, table: TableChoice, kind: Kind | str | None) -> None:
        """Treat ``table`` as ``kind`` and map its headers again (None: leave the table out)."""
        if kind is None:
            table.kind = None
            table.include = False
            self.last_plan = None
            return
        kind = Kind(kind)
        if table.is_score_matrix:
            if kind is not Kind.SCORES:
                raise ValueError(f"{table.label} is a scoring matrix (one column per strategic criterion): "
                                 "it can only be imported as strategic scores")
            table.kind = kind
            table.include = table.row_count > 0
            self.last_plan = None
            return
        saved = self.mappings.find(table.fingerprint) if self.mappings is not None else None
        if saved is not None and saved[0] == kind.value:
            self._apply_saved(table, kind, saved[1], saved[2])
        else:
            self._remap(table, kind)
            table.saved_mapping_applied = False
            table.saved_from = None
        table.include = table.row_count > 0
        self.last_plan = None

    def set_field(self, table: TableChoice, column: int | str, field_name: str | None) -> ColumnChoice | None:
        """Send ``column`` (index or header) to ``field_name``, or ignore it with None.

        A field feeds one column only: the column that had it is set to ignored and returned.
        ValueError when the table's kind has no such field.
        """
        target = table.column(column)
        if table.is_score_matrix:
            raise ValueError(f"The columns of {table.label} are matched to the office's strategic criteria by "
                             "their headers; rename the header in the spreadsheet, or the criterion under File > Strategic Criteria")
        if field_name is not None and field_name not in table.field_names():
            kind = table.kind.value if table.kind else "no kind"
            raise ValueError(f"{field_name!r} is not a field of {kind}; choose one of {', '.join(table.field_names())}")
        if target.field == field_name:
            return None
        displaced = None
        if field_name is not None and field_name != GRID_FIELD:
            for other in table.columns:
                if other is not target and other.field == field_name:
                    other.field, other.confidence, other.source = None, 0.0, Source.USER
                    other.note = f"{field_name} now comes from {target.header}"
                    displaced = other
        target.field = field_name
        target.confidence = 1.0 if field_name else 0.0
        target.source = Source.USER
        target.note = ""
        target.multiplier, target.unit = self._unit(table, field_name, target)
        self.last_plan = None
        return displaced

    def _remap(self, table: TableChoice, kind: Kind) -> None:
        source = table.source_table
        headers = source.headers if source is not None else tuple(c.header for c in table.columns)
        samples = [[row[i] if i < len(row) else None for row in table.sample_rows] for i in range(len(headers))]
        result = map_headers(headers, kind, samples=samples, options=self.options)
        grid = {g.index: g for g in result.grid}
        for column, mapped in zip(table.columns, result.columns, strict=True):
            column.grid = grid.get(column.index)
            column.field = GRID_FIELD if column.grid is not None else mapped.field
            column.confidence = 1.0 if column.grid is not None else mapped.confidence
        table.kind = kind
        for column, mapped in zip(table.columns, result.columns, strict=True):
            column.source, column.note = Source.AUTO, mapped.note
            column.multiplier, column.unit = self._unit(table, column.field, column)

    def _apply_saved(self, table: TableChoice, kind: Kind, saved: dict[str, str | None],
                     sample_file: str | None) -> None:
        """Map ``table`` as the coordinator did before; headers the saved mapping lacks stay automatic."""
        self._remap(table, kind)
        names = set(self._field_names(kind))
        by_key = {_normalised_key(key): value for key, value in saved.items()}
        taken: dict[str, ColumnChoice] = {}
        for column in table.columns:
            if column.grid is not None:
                if TIME_GRID not in saved:
                    continue
                column.field = GRID_FIELD if saved[TIME_GRID] == GRID_FIELD else None
            else:
                key = _normalised_key(column.key)
                if key not in by_key or (by_key[key] is not None and by_key[key] not in names):
                    continue
                column.field = by_key[key]
                column.multiplier, column.unit = self._unit(table, column.field, column)
            column.confidence = 1.0 if column.field else 0.0
            column.source, column.note = Source.SAVED, ""
            if column.field and column.field != GRID_FIELD:
                taken[column.field] = column
        for column in table.columns:  # an automatic match must not clash with a saved field
            if column.source == Source.AUTO and column.field in taken:
                column.field, column.confidence = None, 0.0
                column.note = f"{column.header} is mapped by the saved mapping to another column"
        table.saved_mapping_applied = True
        table.saved_from = sample_file

    @staticmethod
    def _field_names(kind: Kind) -> tuple[str, ...]:
        return tuple(spec.name for spec in fields_for(kind))

    def _unit(self, table: TableChoice, field_name: str | None, column: ColumnChoice) -> tuple[Any, str | None]:
        """The multiplier and effort unit of a column sent to ``field_name`` (from its header,
        else for money from the sheet's title), as the automatic mapping would give them."""
        if table.kind is None or field_name is None:
            return None, None
        if field_name == GRID_FIELD and column.grid is not None:
            return None, None  # a time grid's hours are read per period
        spec = next(spec for spec in fields_for(table.kind) if spec.name == field_name)
        multiplier, unit = column_unit(spec, column.header, self.options)
        if spec.type is FieldType.MONEY and field_name != "cost_rate" and multiplier == 1:
            multiplier = table.money_scale
        return multiplier, unit

    def _title_scale(self, table: SheetTable) -> Decimal:
        """The money scale the analysis took from the sheet's title (1 when there is none)."""
        if table.kind is None:
            return Decimal(1)
        specs = {spec.name: spec for spec in fields_for(table.kind)}
        for column in table.mapping.columns:
            spec = specs.get(column.field or "")
            if spec is None or spec.type is not FieldType.MONEY or spec.name == "cost_rate":
                continue
            own, _unit = column_unit(spec, table.headers[column.index], self.options)
            if own == 1 and column.multiplier != 1:
                return column.multiplier
        return Decimal(1)

    # -- planning and applying ----------------------------------------------------------------
    def parsed_sheets(self, loaded: LoadedFile) -> list[ParsedSheet]:
        """The included tables of one file as the planner's input, with the confirmed mappings."""
        return [table.score_matrix.parsed(loaded.path.name) if table.score_matrix is not None
                else to_parsed_sheet(loaded.path.name, _edited_table(table), self.options)
                for table in loaded.tables if table.include and table.kind is not None]

    def warnings(self) -> list[str]:
        """Things the coordinator should know before applying (files seen before, sheets left out)."""
        found = [f"{loaded.path.name}: {note}" for loaded in self.files if loaded.ok for note in loaded.skipped]
        found.extend(f"{table.label}: left out (choose a kind to import it)"
                     for table in self.tables if table.kind is None)
        workbooks = [loaded.workbook for loaded in self.files if loaded.workbook is not None]
        found.extend(already_imported(self.db, workbooks))
        return found

    def plan(self) -> ImportPlan:
        """What applying would do now: every included table of every file, planned together."""
        with collector_paused():
            sheets = [sheet for loaded in self.files if loaded.ok for sheet in self.parsed_sheets(loaded)]
            with self.db.session() as session:
                plan = plan_import(session, sheets, overwrite_blanks=self.overwrite_blanks)
        self.last_plan = plan
        return plan

    def apply(self, remember_mappings: bool = True, progress: ProgressFn | None = None,
              stop: Callable[[], bool] | None = None) -> ApplyResult:
        """Apply each file as its own ImportBatch (parents first); remember the confirmed mappings.

        A file the database refuses is reported in ``problems`` (nothing of it written); the
        other files are still applied. When ``stop()`` turns true (Cancel), the files not yet
        started are left out and reported; the files already applied stay applied.
        """
        result = ApplyResult()
        work = [(loaded, self.parsed_sheets(loaded)) for loaded in self.files if loaded.ok]
        work = sorted([item for item in work if item[1]], key=lambda item: file_rank(item[1]))
        applied: list[LoadedFile] = []
        for number, (loaded, sheets) in enumerate(work):
            if progress is not None:
                progress(number, len(work), f"Importing {loaded.path.name} ({number + 1} of {len(work)})…")
            if stop is not None and stop():
                result.problems.append(FileProblem(loaded.path, f"{loaded.path.name} was not imported: "
                                                                "the import was cancelled before it started."))
                continue
            assert loaded.workbook is not None
            try:
                with collector_paused():
                    batch, plan = apply_file(self.db, loaded.workbook, sheets, overwrite_blanks=self.overwrite_blanks)
            except ApplyError as exc:
                result.problems.append(FileProblem(loaded.path, str(exc)))
                continue
            result.batches.append(batch)
            result.plan.sheets.extend(plan.sheets)
            applied.append(loaded)
        result.warnings.extend(warning for sheet in result.plan.sheets for warning in sheet.warnings)
        result.warnings.extend(f"{row.source.file}, sheet {row.source.sheet}, row {row.row}: {warning}"
                               for row in result.plan.rows() for warning in row.warnings)
        if remember_mappings and self.mappings is not None:
            result.mappings_saved = self.mappings.save(self.confirmed_mappings(applied))
        self.last_plan = None
        return result

    def confirmed_mappings(self, files: Sequence[LoadedFile] | None = None) -> list[MappingToSave]:
        """The mapping of every included table (of ``files``), one per header layout."""
        chosen: dict[str, MappingToSave] = {}
        for loaded in self.files if files is None else files:
            for table in loaded.tables:
                if table.include and table.kind is not None and not table.is_score_matrix:
                    chosen[table.fingerprint] = MappingToSave(table.fingerprint, table.kind.value,
                                                              table.saved_form(), table.file)
        return list(chosen.values())

    def write_rejects(self, path: str | os.PathLike) -> Path | None:
        """Write the rejected rows of the current plan to ``path``; None when nothing is rejected."""
        plan = self.last_plan or self.plan()
        if not plan.counts.reject:
            return None
        return write_rejects_workbook(plan, path)

    def undo(self, batch_id: int) -> ImportBatch:
        """Undo an applied batch as a whole (UndoError, in plain words, when it cannot be)."""
        return undo_batch(self.db, batch_id)


# ---------------------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------------------


def recent_batches(session: Session, limit: int = 200) -> list[BatchRow]:
    """The latest import batches, newest first, for the history."""
    batch = ImportBatch.__table__.c
    query = (select(batch.id, batch.file_name, batch.kind, batch.imported_by, batch.imported_at, batch.inserted,
                    batch.updated, batch.unchanged, batch.rejected, batch.status, batch.undone_by, batch.undone_at)
             .order_by(batch.id.desc()).limit(limit))
    return [BatchRow(*row) for row in session.execute(query)]


def last_applied_batch(session: Session) -> BatchRow | None:
    """The newest batch that is still applied (what "Undo last import" undoes)."""
    batch = ImportBatch.__table__.c
    query = (select(batch.id, batch.file_name, batch.kind, batch.imported_by, batch.imported_at, batch.inserted,
                    batch.updated, batch.unchanged, batch.rejected, batch.status, batch.undone_by, batch.undone_at)
             .where(batch.status == BatchStatus.APPLIED.value).order_by(batch.id.desc()).limit(1))
    row = session.execute(query).first()
    return BatchRow(*row) if row is not None else None


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _column_keys(headers: Sequence[str]) -> list[str]:
    """Headers as saved-mapping keys: a repeated header gets " [2]", " [3]"..."""
    seen: dict[str, int] = {}
    keys = []
    for header in headers:
        norm = normalise_header(header)
        seen[norm] = seen.get(norm, 0) + 1
        keys.append(header if seen[norm] == 1 else f"{header} [{seen[norm]}]")
    return keys


def _normalised_key(key: str) -> str:
    """A saved key compared the way fingerprints compare headers ("Budget (£k) [2]" keeps its [2])."""
    head, _, tail = key.rpartition(" [")
    if head and tail.endswith("]") and tail[:-1].isdigit():
        return f"{normalise_header(head)} [{tail[:-1]}]"
    return normalise_header(key)


def _samples(table: SheetTable, index: int) -> tuple[str, ...]:
    return _samples_of(row[index] if index < len(row) else None for _line, row in table.rows)


def _samples_of(cells: Iterable[object]) -> tuple[str, ...]:
    """The first few filled cells of a column, as shown."""
    values = []
    for value in cells:
        if value is not None and str(value).strip():
            values.append(_shown(value))
            if len(values) == SAMPLE_VALUES:
                break
    return tuple(values)


def _shown(value: object) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if not getattr(value, "hour", 0) else value.isoformat(sep=" ")[:16]
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _edited_table(table: TableChoice) -> SheetTable:
    """The found table with the kind and mapping the coordinator confirmed."""
    source = table.source_table
    assert source is not None and table.kind is not None
    columns = []
    grid = []
    for column in table.columns:
        if column.grid is not None and column.field == GRID_FIELD:
            grid.append(column.grid)
            columns.append(ColumnMapping(column.index, source.headers[column.index], None, 0.0))
            continue
        multiplier = column.multiplier if column.multiplier is not None else Decimal(1)
        columns.append(ColumnMapping(column.index, source.headers[column.index], column.field, column.confidence,
                                     multiplier, column.unit, column.note))
    mapping = MappingResult(table.kind, tuple(columns), tuple(grid), table.fingerprint)
    raid_kind = source.raid_kind if table.kind is Kind.RAID else None
    if table.kind is Kind.RAID and raid_kind is None:
        raid_kind = raid_kind_from_sheet_name(source.sheet)
    return replace(source, kind=table.kind, mapping=mapping, raid_kind=raid_kind, nested=[])
