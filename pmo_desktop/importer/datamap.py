"""Datamaps: harvest a fixed-layout return (field -> sheet and cell) into one project and one status report.

Government-style quarterly returns (the DfT GMPP return in the corpus) are forms spread over
many sheets, not tables. The office describes one with a datamap, a CSV of
``cell_key,template_sheet,cellreference,type`` rows, loads it once under a name
(``pmo-desktop datamap load NAME FILE.csv``) and imports returns with it
(``pmo-desktop import --datamap NAME FILE.xlsm``).

Decisions:

* A datamap key that names a canonical projects or status field (FIELDS.md) by synonym maps
  there; the match is exact or by the same words in another order (no fuzzy matching: a
  return's 1,900 keys would otherwise find false friends). Trailing spaces in keys are normal
  and dropped. Every other key becomes a custom field of the project (Project.custom_fields).
* Several keys may name the same field (a DfT return has both "Department" and "Delivery
  Body"; "Reporting period" and "Snapshot Date"). When harvesting, the first of them in the
  datamap whose cell holds a value that parses supplies the field; the values of the others
  are kept as custom fields under their own keys, so nothing the return says is lost.
* A return gives one project record and, when a period end is found, one status record for
  that project. The project is identified by its code, else by its name (a new project
  without a code gets one made from its name, see plan.py).
* A canonical cell that holds a value no candidate can parse rejects the record, naming the
  key, sheet and cell. Blank cells (and "TBC"-style markers) are left out: they never
  overwrite a stored value, custom fields included (stored custom fields are merged with the
  new keys, never replaced as a whole).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import Datamap
from .fields import Kind, field_spec
from .mapping import column_unit, match_header
from .plan import ParsedRow, ParsedSheet, RowError
from .readers import Workbook, decode_text
from .values import DEFAULT_OPTIONS, ParseOptions, is_no_value, parse_field

CSV_COLUMNS = ("cell_key", "template_sheet", "cellreference")
"""Columns a datamap CSV must have (a fourth, ``type``, is kept but not needed)."""

HARVESTED_KINDS = (Kind.PROJECTS, Kind.STATUS)
MIN_CONFIDENCE = 0.95
"""match_header confidence for exact (1.0) and reordered-word (0.95) matches; fuzzy ones are lower."""

CUSTOM_HEADER = "Custom fields"
"""The ParsedSheet header under which a harvested project carries its custom fields."""

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


class DatamapError(ValueError):
    """A datamap that cannot be loaded or used; the message names the file or datamap and the problem."""


@dataclass(frozen=True, slots=True)
class DatamapEntry:
    """One datamap line: a key, the sheet and cell holding its value, and where the value goes."""

    field: str
    """The key as written in the datamap (trailing spaces dropped)."""
    sheet: str
    cell: str
    """Excel address, upper case ("C11")."""
    type: str = "TEXT"
    targets: dict[str, str] = field(default_factory=dict)
    """Kind ("projects", "status") -> canonical field; empty for a custom field."""

    @property
    def canonical(self) -> bool:
        """True when the key maps to a canonical field of some kind."""
        return bool(self.targets)

    @property
    def where(self) -> str:
        """The key and its cell, as shown in messages: "Snapshot Date (Introduction!C18)"."""
        return f"{self.field} ({self.sheet}!{self.cell})"

    def to_json(self) -> dict[str, Any]:
        """The entry as stored in Datamap.entries."""
        return {"field": self.field, "sheet": self.sheet, "cell": self.cell, "type": self.type,
                "canonical": self.canonical, "targets": dict(self.targets)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatamapEntry:
        """An entry read back from Datamap.entries (entries saved without targets find theirs again)."""
        key = str(data["field"]).strip()
        targets = data.get("targets")
        if targets is None:
            targets = canonical_targets(key) if data.get("canonical", True) else {}
        return cls(key, str(data["sheet"]), str(data["cell"]).upper(), str(data.get("type") or "TEXT"), dict(targets))


def canonical_targets(key: str) -> dict[str, str]:
    """The canonical projects and status fields a datamap key names ({} for a custom field)."""
    targets = {}
    for kind in HARVESTED_KINDS:
        fields, confidence = match_header(key, kind)
        if fields and confidence >= MIN_CONFIDENCE:
            targets[kind.value] = fields[0]
    return targets


def cell_position(cell: str) -> tuple[int, int]:
    """"C11" -> (row 11, column 3), both 1-based; ValueError for anything else."""
    match = _CELL.match(cell.strip())
    if not match:
        raise ValueError(f"{cell!r} is not a cell address like C11")
    column = 0
    for letter in match[1].upper():
        column = column * 26 + ord(letter) - 64
    return int(match[2]), column


def load_datamap_csv(path: str | Path) -> list[DatamapEntry]:
    """Read a datamap CSV (cell_key, template_sheet, cellreference[, type]) into entries.

    Raises DatamapError naming the file and line for a missing column, a bad cell address or
    a key given twice.
    """
    source = Path(path)
    try:
        text, _encoding = decode_text(source.read_bytes())
    except OSError as exc:
        raise DatamapError(f"{source.name} cannot be read: {exc.strerror}") from exc
    reader = csv.DictReader(io.StringIO(text))
    columns = {name.strip().lower(): name for name in reader.fieldnames or ()}
    missing = [name for name in CSV_COLUMNS if name not in columns]
    if missing:
        raise DatamapError(f"{source.name} is not a datamap: it has no {', '.join(missing)} column "
                           f"(a datamap has the columns {', '.join(CSV_COLUMNS)}, type)")
    entries: list[DatamapEntry] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        key = (row.get(columns["cell_key"]) or "").strip()
        sheet = (row.get(columns["template_sheet"]) or "").strip()
        cell = (row.get(columns["cellreference"]) or "").strip().upper().replace("$", "")
        if not (key or sheet or cell):
            continue
        if not (key and sheet and cell):
            raise DatamapError(f"{source.name}, line {line}: every line needs a cell_key, a template_sheet and a "
                               "cellreference")
        try:
            cell_position(cell)
        except ValueError as exc:
            raise DatamapError(f"{source.name}, line {line}, cellreference: {exc}") from None
        if key in seen:
            raise DatamapError(f"{source.name}, line {line}: the key {key!r} is already on line {seen[key]}; "
                               "each key may appear once")
        seen[key] = line
        kind_type = (row.get(columns.get("type", "")) or "TEXT").strip() or "TEXT"
        entries.append(DatamapEntry(key, sheet, cell, kind_type, canonical_targets(key)))
    if not entries:
        raise DatamapError(f"{source.name} holds no datamap lines")
    return entries


def save_datamap(session: Session, name: str, entries: Sequence[DatamapEntry]) -> Datamap:
    """Store ``entries`` as the datamap ``name`` (replacing one of that name), through the audited ORM.

    The caller commits (``with db.transaction() as session``).
    """
    name = name.strip()
    if not name:
        raise DatamapError("a datamap needs a name")
    stored = session.scalar(select(Datamap).where(Datamap.name == name))
    data = [entry.to_json() for entry in entries]
    if stored is None:
        stored = Datamap(name=name, entries=data)
        session.add(stored)
    else:
        stored.entries = data
    session.flush()
    return stored


def datamap_entries(session: Session, name: str) -> list[DatamapEntry]:
    """The entries of the stored datamap ``name``; DatamapError naming the known ones when absent."""
    stored = session.scalar(select(Datamap).where(Datamap.name == name))
    if stored is None:
        known = sorted(session.scalars(select(Datamap.name)))
        hint = f"the datamaps are: {', '.join(known)}" if known else "no datamap is loaded yet"
        raise DatamapError(f"there is no datamap called {name!r} ({hint}); load one with "
                           "'pmo-desktop datamap load NAME FILE.csv'")
    return [DatamapEntry.from_json(item) for item in stored.entries]


# ---------------------------------------------------------------------------------------------
# Harvesting a return
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Harvest:
    """What one return gave: the planner's sheets and warnings for the coordinator."""

    sheets: list[ParsedSheet]
    warnings: list[str]


@dataclass(slots=True)
class _Record:
    """One record being harvested: chosen values, their headers and raw cells, and errors."""

    values: dict[str, Any] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    raw: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def take(self, entry: DatamapEntry, name: str, value: Any, raw: Any) -> None:
        self.values[name] = value
        self.mapping[entry.where] = name
        self.raw.append(raw)


def _cell_value(rows_by_sheet: dict[str, list[tuple]], entry: DatamapEntry) -> Any:
    """The value at the entry's sheet and cell (None when the sheet or cell is empty or absent)."""
    rows = rows_by_sheet.get(entry.sheet, [])
    row, column = cell_position(entry.cell)
    if row > len(rows) or column > len(rows[row - 1]):
        return None
    return rows[row - 1][column - 1]


def custom_value(raw: Any) -> Any:
    """A cell as stored in Project.custom_fields (JSON): text, a number, yes/no or an ISO date."""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time(0) else raw.isoformat(timespec="seconds")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, Decimal):
        return int(raw) if raw == raw.to_integral_value() else float(raw)
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def _harvest_kind(kind: Kind, cells: list[tuple[DatamapEntry, Any]], options: ParseOptions,
                  used: set[str]) -> _Record:
    """The first parsable value of each canonical field of ``kind``; errors when none parses."""
    record = _Record()
    failures: dict[str, RowError] = {}
    for entry, raw in cells:
        name = entry.targets.get(kind.value)
        if name is None or name in record.values or is_no_value(raw):
            continue
        spec = field_spec(kind, name)
        multiplier, unit = column_unit(spec, entry.field, options)
        try:
            value = parse_field(spec, raw, multiplier=multiplier, unit=unit, options=options)
        except ValueError as exc:
            failures.setdefault(name, RowError(entry.where, raw, str(exc)))
            continue
        if value is not None:
            record.take(entry, name, value, raw)
            used.add(entry.field)
    record.errors = [error for name, error in failures.items() if name not in record.values]
    return record


def harvest(workbook: Workbook, entries: Iterable[DatamapEntry], *, datamap: str = "datamap",
            options: ParseOptions = DEFAULT_OPTIONS) -> Harvest:
    """Read one return through a datamap: a projects sheet of one row and, with a period end, a status sheet.

    Raises DatamapError when the workbook has none of the sheets the datamap reads.
    """
    entries = list(entries)
    names = {sheet.name for sheet in workbook.sheets}
    absent = sorted({entry.sheet for entry in entries} - names)
    if len(absent) == len({entry.sheet for entry in entries}):
        raise DatamapError(f"{workbook.path.name} has none of the sheets the datamap {datamap!r} reads "
                           f"({', '.join(absent[:5])}...); is it the right return for this datamap?")
    warnings = [f"{workbook.path.name}: the sheet {sheet!r} named by the datamap {datamap!r} is not in the file; "
                "its cells are left out" for sheet in absent]
    rows_by_sheet = {sheet.name: sheet.rows for sheet in workbook.sheets}
    cells = [(entry, _cell_value(rows_by_sheet, entry)) for entry in entries]
    used: set[str] = set()
    project = _harvest_kind(Kind.PROJECTS, cells, options, used)
    status = _harvest_kind(Kind.STATUS, cells, options, used)
    custom = {entry.field: custom_value(raw) for entry, raw in cells
              if entry.field not in used and not is_no_value(raw)}
    if custom:
        project.values["custom_fields"] = custom
        project.mapping[CUSTOM_HEADER] = "custom_fields"
        project.raw.append(f"{len(custom)} values")
    file_name = workbook.path.name
    anchor = _anchor(entries, project)
    sheets = [_parsed_sheet(file_name, "projects", anchor, project)]
    reference = project.values.get("code") or project.values.get("name")
    if "period_end" in status.values or status.errors:
        if reference is not None:
            status.values["project"] = reference  # the code when there is one, as the plan keys projects
        if "project" not in status.mapping.values():
            status.mapping["Project (from the project)"] = "project"
        sheets.append(_parsed_sheet(file_name, "status", anchor, status))
    elif status.values:
        warnings.append(f"{file_name}: the datamap {datamap!r} found no period end (reporting date) in the return, "
                        "so no status report is made from it")
    return Harvest(sheets, warnings)


def _anchor(entries: Sequence[DatamapEntry], project: _Record) -> tuple[str, int]:
    """Sheet and row that locate the harvested records in messages: the project name's cell."""
    for header, name in project.mapping.items():
        if name in ("name", "code"):
            entry = next(e for e in entries if e.where == header)
            return entry.sheet, cell_position(entry.cell)[0]
    first = entries[0]
    return first.sheet, cell_position(first.cell)[0]


def _parsed_sheet(file_name: str, kind: str, anchor: tuple[str, int], record: _Record) -> ParsedSheet:
    sheet, row = anchor
    parsed = ParsedRow(kind, file_name, sheet, row, dict(record.values), list(record.errors), tuple(record.raw))
    headers = tuple(record.mapping) + tuple(e.column for e in record.errors if e.column not in record.mapping)
    return ParsedSheet(file_name, sheet, kind, row, dict(record.mapping), [], [parsed], headers)
