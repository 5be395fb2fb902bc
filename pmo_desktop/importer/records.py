"""Parse a found table's cells into typed records, collecting every problem as a CellError.

This is the last database-free step: the planner compares these records with the database
by natural key. A record keeps only the fields its sheet supplies; blank cells are left out
(a blank never overwrites a stored value).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from pmo_desktop.importer.errors import CellError
from pmo_desktop.importer.fields import FIELDS, FieldSpec, FieldType, Kind, key_fields
from pmo_desktop.importer.mapping import GridColumn
from pmo_desktop.importer.sheets import SheetTable
from pmo_desktop.importer.values import DEFAULT_OPTIONS, ParseOptions, field_parser, parse_hours, parse_text


@dataclass(frozen=True, slots=True)
class GridValue:
    """Hours booked in one period of a wide time grid."""

    start: date
    end: date
    hours: float


@dataclass(slots=True)
class ParsedRecord:
    """One imported record: its sheet line and its typed values by canonical field."""

    line: int
    values: dict[str, object]
    grid: list[GridValue] = field(default_factory=list)


@dataclass(slots=True)
class ParsedTable:
    """The typed records of one table and the cells that did not parse."""

    table: SheetTable
    records: list[ParsedRecord]
    errors: list[CellError]
    missing_keys: tuple[str, ...]
    """Key fields no column supplies (the coordinator must map one or set a default)."""


ALTERNATIVE_KEYS: dict[Kind, tuple[str, str]] = {
    Kind.PEOPLE: ("email", "name"),
    Kind.PROJECTS: ("code", "name"),
}
"""Kinds whose records are identified by either of two fields (DfT masters have no codes)."""


def _optional_keys(kind: Kind) -> frozenset[str]:
    # Portfolio-level RAID items have no project.
    return frozenset({"project"}) if kind is Kind.RAID else frozenset(ALTERNATIVE_KEYS.get(kind, ()))


def _error(table: SheetTable, index: int, column_index: int, raw: object, reason: str) -> CellError:
    """A CellError located by sheet row (the label's row on transposed sheets) and address."""
    ref = table.cell_ref(index, column_index)
    digits = "".join(ch for ch in ref if ch.isdigit())
    row = int(digits) if digits else table.rows[index][0]
    return CellError(table.sheet, row, table.header_text(column_index), raw, reason, ref)


def _parse_grid(
    values: tuple, grid: tuple[GridColumn, ...], options: ParseOptions, on_error: Callable[[GridColumn, object, str], None]
) -> list[GridValue]:
    booked = []
    for column in grid:
        raw = values[column.index] if column.index < len(values) else None
        try:
            hours = parse_hours(raw, hours_per_day=options.hours_per_day, hours_per_week=options.hours_per_week)
        except ValueError as exc:
            on_error(column, raw, str(exc))
            continue
        if hours:
            booked.append(GridValue(column.start, column.end, hours))
    return booked


def parse_table(table: SheetTable, options: ParseOptions = DEFAULT_OPTIONS) -> ParsedTable:
    """Parse every row of a classified table; rows missing a key value are rejected."""
    parser = TableParser(table, options)
    records: list[ParsedRecord] = []
    errors: list[CellError] = []
    for index in range(len(table.rows)):
        record, row_errors = parser.parse_row(index)
        if row_errors:
            errors.extend(row_errors)
        elif record is not None:
            records.append(record)
    return ParsedTable(table, records, errors, parser.missing)


class TableParser:
    """How the rows of one table are parsed, worked out once: each column's parser, the key checks.

    ``parse_row`` parses one row as ``parse_table`` does; ``parse_fields`` parses only some of
    its fields (a row's key, read before the rest: importer/fingerprints.py).
    """

    __slots__ = ("table", "options", "specs", "keys", "optional", "missing", "parsers", "has_grid",
                 "checked_keys", "either_checked", "project_hint", "_some")

    def __init__(self, table: SheetTable, options: ParseOptions = DEFAULT_OPTIONS):
        if table.kind is None:
            raise ValueError(f"sheet {table.sheet!r} has no kind yet: choose one before parsing")
        self.table = table
        self.options = options
        self.specs: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS[table.kind]}
        specs = self.specs
        columns = [c for c in table.mapping.columns if c.field]
        self.keys = keys = key_fields(table.kind)
        self.optional = optional = _optional_keys(table.kind)
        missing = tuple(k for k in keys if k not in table.mapping.mapped and k not in optional)
        either = ALTERNATIVE_KEYS.get(table.kind)
        if either and not (set(either) & set(table.mapping.mapped)):
            missing = either
        self.missing = missing
        self.parsers = [(column.field, column.index, *_column_parser(specs[column.field], column, options),
                         None if specs[column.field].type is FieldType.TEXT else {}) for column in columns]
        self.has_grid = bool(table.mapping.grid)
        # What _key_errors would look at, worked out once: a row passes it when these are all there.
        mapped = table.mapping.mapped
        self.checked_keys = tuple(k for k in keys if k not in optional and k in mapped)
        self.either_checked = either if either and any(name in mapped for name in either) else ()
        hint = table.project_hint if "project" in specs else None
        self.project_hint = None if hint is None else parse_text(hint)
        self._some: dict[frozenset[str], list] = {}  # parse_fields' columns per set of names

    def parse_row(self, index: int) -> tuple[ParsedRecord | None, list[CellError]]:
        """Row ``index`` of the table as a record, or its cell errors; (None, []) for a row with nothing in it."""
        table = self.table
        line, values = table.rows[index]
        row_errors: list[CellError] = []
        failed: set[str] = set()
        parsed: dict[str, object] = {}
        width = len(values)
        for field_name, position, parser, blank_is_none, memo in self.parsers:
            raw = values[position] if position < width else None
            if raw is None and blank_is_none:
                continue
            key = (type(raw), raw) if memo is not None and type(raw) in _MEMO_RAW_TYPES else None
            value = _UNSEEN if key is None else memo.get(key, _UNSEEN)
            if value is _UNSEEN:
                try:
                    value = parser(raw)
                except ValueError as exc:
                    row_errors.append(_error(table, index, position, raw, str(exc)))
                    failed.add(field_name)
                    continue
                if key is not None and not isinstance(value, dict | list | set):
                    memo[key] = value
            if value is not None:
                parsed[field_name] = value

        grid: list[GridValue] = []
        if self.has_grid:
            def grid_error(column: GridColumn, raw: object, reason: str) -> None:
                row_errors.append(_error(table, index, column.index, raw, reason))

            grid = _parse_grid(values, table.mapping.grid, self.options, grid_error)
        if not parsed and not grid and not row_errors:
            return None, []
        if table.kind is Kind.RAID and "kind" not in parsed and table.raid_kind:
            parsed["kind"] = table.raid_kind
        if "project" not in parsed and self.project_hint is not None:
            parsed["project"] = self.project_hint
        either_checked = self.either_checked
        if (failed or any(parsed.get(key) is None for key in self.checked_keys)
                or (either_checked and not any(parsed.get(name) for name in either_checked))):
            row_errors.extend(_key_errors(table, index, parsed, self.keys, self.optional | failed))
        if row_errors:
            return None, row_errors
        return ParsedRecord(line, parsed, grid), []

    def parse_fields(self, index: int, names: frozenset[str]) -> dict[str, object] | None:
        """The fields ``names`` of row ``index``, parsed as ``parse_row`` would (blanks left out);
        None when one of their cells does not parse. The sheet's project stands in for a missing
        project column, as in ``parse_row``."""
        values = self.table.rows[index][1]
        width = len(values)
        parsed: dict[str, object] = {}
        parsers = self._some.get(names)
        if parsers is None:
            parsers = self._some[names] = [column for column in self.parsers if column[0] in names]
        for field_name, position, parser, blank_is_none, memo in parsers:
            raw = values[position] if position < width else None
            if raw is None and blank_is_none:
                continue
            key = (type(raw), raw) if memo is not None and type(raw) in _MEMO_RAW_TYPES else None
            value = _UNSEEN if key is None else memo.get(key, _UNSEEN)
            if value is _UNSEEN:
                try:
                    value = parser(raw)
                except ValueError:
                    return None
                if key is not None and not isinstance(value, dict | list | set):
                    memo[key] = value
            if value is not None:
                parsed[field_name] = value
        if "project" in names and "project" not in parsed and self.project_hint is not None:
            parsed["project"] = self.project_hint
        return parsed


_UNSEEN = object()

_MEMO_RAW_TYPES = frozenset({str, int, date})
"""Cells whose parsed value is remembered per column (parsers are pure): a status column repeats
a few words and dates thousands of times. Only exact types whose equal values are the same cell
(not floats: 0.0 == -0.0; not bools: True == 1 is kept apart by the type anyway)."""


def _column_parser(spec: FieldSpec, column, options: ParseOptions) -> tuple[Callable[[object], object], bool]:
    """A column's parser (chosen once, not per cell) and whether it reads a blank cell as no value.

    Parsers are pure: when a blank parses to None once, blank cells of the column are skipped.
    """
    parser = field_parser(spec, multiplier=column.multiplier, unit=column.unit, options=options)
    try:
        blank_is_none = parser(None) is None
    except ValueError:
        blank_is_none = False
    return parser, blank_is_none


def _key_errors(
    table: SheetTable, index: int, parsed: dict[str, object], keys: tuple[str, ...], optional: frozenset[str]
) -> list[CellError]:
    mapped = table.mapping.mapped
    problems = []
    either = ALTERNATIVE_KEYS.get(table.kind or Kind.PROJECTS)
    present = [name for name in either or () if name in mapped]
    if either and present and not any(parsed.get(name) for name in either):
        reason = f"no {' or '.join(either)}: every row needs one"
        problems.append(_error(table, index, mapped[present[0]].index, None, reason))
    for key in keys:
        if key in optional or key not in mapped or parsed.get(key) is not None:
            continue
        problems.append(_error(table, index, mapped[key].index, None, f"no {key.replace('_', ' ')}: every row needs one"))
    return problems
