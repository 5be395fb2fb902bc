"""Plan an import: compare parsed spreadsheet rows with the database by natural key.

The reading side (readers, sheets, mapping, values) turns a spreadsheet into ``ParsedSheet``s
whose rows carry canonical field names and typed values. ``plan_import`` compares them with
what is stored and says, row by row, what applying them would do: insert a new record, update
some fields of a stored one, leave it unchanged, or reject the row with its reasons. Nothing is
written here; ``apply.apply_plan`` writes a plan in one transaction.

Decisions, relied on by the tests and the rest of the pipeline:

* Natural keys: project code, else its name (a new project without a code gets one made from its
  name, "Sea of Tranquility" -> "SEA-OF-TRANQUILITY", unique, with a warning; later imports without
  a code find it by name, and the first import that lists it by name with a real code gives it
  that code, with a warning); a row without a code is the project another sheet of the same
  import lists with a code under the same name; status (project, period end); RAID (project or none, ref);
  milestone (project, name); person (email, else name, both matched case-insensitively);
  allocation (person, project, start date).
* A reference to a project (status, RAID, milestones, allocations, RAID "depends on") matches a
  project code exactly, then a code case-insensitively, then a project name when exactly one
  project has it. The project may be stored or new in the same import; otherwise the row is
  rejected. A RAID item whose project is "Portfolio" (or "All projects") is portfolio-level. People referenced by allocations are matched the same way by email or name.
* Duplicate keys within one import: the last row wins. Earlier rows with the same key are
  rejected ("superseded by row N") so that the manager sees them in the rejects workbook, and
  the winning row carries a warning.
* Blank cells never clear a stored value unless ``overwrite_blanks`` is set, and never clear a
  required column. Columns the sheet does not have are never touched. A score row without a
  score (a pre-filled template row left blank) is unchanged, not rejected.
* Strategic scores (project, criterion) name a criterion the office has (importer/criteria.py);
  an unknown criterion is the row's error, never a new criterion.
* Values are brought to their stored form before comparing (money to the penny; enumerations
  arrive as the model's values from the parsers and are only checked), so re-importing the same file plans every row as unchanged.
* Constraints of the data model (date order, ranges, enumerations, text lengths, unique names
  and emails) are checked here, on the record as it would be after the write, so that applying
  a plan does not fail half-way on a row the plan accepted.
* A new RAID item without a title takes the first line of its description (cut to 300 characters
  with an ellipsis): registers such as "Risk ID | Risk Description | ..." have no other text.
* Fields that have no column in the data model (e.g. a milestone's owner) are read but not
  stored; the sheet carries a warning naming them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Date, Float, Integer, Numeric, String, Table, Text, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from ..model import (
    Allocation,
    AuditEvent,
    Base,
    Escalation,
    Methodology,
    Milestone,
    MilestoneStatus,
    Person,
    Programme,
    Project,
    ProjectScore,
    Rag,
    RaidItem,
    RaidKind,
    RaidStatus,
    RiskResponse,
    Role,
    Stage,
    StatusReport,
    StrategicCriterion,
)
from ..model.imports import ImportFingerprint
from .criteria import CriterionMatcher
from .fingerprints import PARENT_COLUMNS, READ_FIRST

CHUNK = 400
"""Keys per lookup query: far below SQLite's and PostgreSQL's bound-parameter limits."""

KINDS = ("projects", "people", "status", "raid", "milestones", "allocations", "scores")
"""Every kind of sheet, parents before the records that refer to them (the order of writes)."""

# ---------------------------------------------------------------------------------------------
# Input: what the reading side hands over
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row cannot be imported: the column as headed in the sheet, its value, the reason."""

    column: str
    value: Any
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"column": self.column, "value": json_value(self.value), "reason": self.reason}

    def describe(self) -> str:
        """One line for the rejects workbook: the column, the value and the reason."""
        shown = "" if self.value is None else f" {json_value(self.value)!r}"
        return f"{self.column}:{shown} {self.reason}".strip()


def as_row_error(error: Any) -> RowError:
    """Accept a RowError or any cell error with column, value (or raw) and reason."""
    if isinstance(error, RowError):
        return error
    value = getattr(error, "value", getattr(error, "raw", None))
    return RowError(str(error.column), value, str(error.reason))


@dataclass(slots=True)
class ParsedRow:
    """One data row of a sheet: canonical field -> parsed value, plus the cells that did not parse."""

    kind: str
    file: str
    sheet: str
    row: int
    """1-based row number in the sheet, as the coordinator sees it in Excel."""
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)
    raw: tuple = ()
    """The row's cells as read, in the sheet's column order (written back to the rejects workbook)."""

    def __post_init__(self) -> None:
        self.kind = str(self.kind)
        self.errors = [as_row_error(error) for error in self.errors]


class _FilledOnAccess:
    """A slot of a row that the row's ``_complete()`` fills the first time it is read."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any):
        self.slot = slot

    def __get__(self, row: Any, owner: type | None = None) -> Any:
        if row is None:
            return self
        try:
            return self.slot.__get__(row, owner)
        except AttributeError:
            row._complete()
            return self.slot.__get__(row, owner)

    def __set__(self, row: Any, value: Any) -> None:
        self.slot.__set__(row, value)


class DeferredRow(ParsedRow):
    """A sheet row read so far only for its key and references (``key_values``), with its
    fingerprint (importer/fingerprints.py).

    ``values`` and ``errors`` are parsed in full the first time either is read, so to every
    reader it is the row a full parse gives; the planner reads ``key_values`` first and never
    parses the rest of a row it recognises unchanged by its fingerprint.
    """

    __slots__ = ("key_values", "fingerprint", "_parse", "_index")

    values = _FilledOnAccess(ParsedRow.values)
    errors = _FilledOnAccess(ParsedRow.errors)

    def __init__(self, kind: str, file: str, sheet: str, row: int, raw: tuple, key_values: dict[str, Any],
                 fingerprint: str, parse: Callable[[int], tuple[dict[str, Any] | None, list[Any]]], index: int):
        self.kind, self.file, self.sheet, self.row, self.raw = str(kind), file, sheet, row, raw
        self.key_values = key_values
        self.fingerprint = fingerprint
        self._parse = parse
        """Parses row ``index`` of its table in full: (values, cell errors); values are those that
        did parse when it has errors. One per table, shared by its rows."""
        self._index = index

    def _complete(self) -> None:
        values, errors = self._parse(self._index)
        self.values = values or {}
        self.errors = [as_row_error(error) for error in errors]


@dataclass(slots=True)
class ParsedSheet:
    """One table found in a file, its column mapping and its parsed rows."""

    file: str
    sheet: str
    kind: str
    header_row: int
    mapping: dict[str, str | None]
    """Source header -> canonical field (None for a column that is ignored)."""
    unmapped: list[str]
    rows: list[ParsedRow]
    headers: tuple[str, ...] = ()
    """Every header in the sheet's column order (defaults to the mapping's and unmapped headers)."""

    def __post_init__(self) -> None:
        self.kind = str(self.kind)
        if not self.headers:
            headers = list(self.mapping)
            headers.extend(h for h in self.unmapped if h not in self.mapping)
            self.headers = tuple(headers)

    @property
    def fields(self) -> frozenset[str]:
        """The canonical fields this sheet has a column for."""
        return frozenset(f for f in self.mapping.values() if f)

    def header_of(self, field_name: str) -> str:
        """The sheet's header for a canonical field (the field name when unmapped)."""
        for header, mapped in self.mapping.items():
            if mapped == field_name:
                return header
        return field_name


# ---------------------------------------------------------------------------------------------
# Output: the plan
# ---------------------------------------------------------------------------------------------


class Action(StrEnum):
    """What applying the plan does with a row."""

    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a stored record that the import changes."""

    field: str
    old: Any
    new: Any


@dataclass(slots=True)
class PlannedRow:
    """The decision for one source row, with everything apply needs to carry it out."""

    source: ParsedRow
    action: Action
    key: dict[str, Any]
    values: dict[str, Any]
    """Canonical field -> value in its stored form (blank fields left out)."""
    changes: list[FieldChange] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    record_id: int | None = None
    """Id of the stored record (updates and unchanged rows)."""
    version: int | None = None
    """Version of the stored record when planned; apply refuses if it moved since."""
    stored: dict[str, Any] = field(default_factory=dict)
    """The stored record's columns when planned (the 'before' of the audit trail)."""
    writes: dict[str, Any] = field(default_factory=dict)
    """Canonical field -> value to write (every field of a new record; changed fields of an update)."""
    refs: dict[str, Any] = field(default_factory=dict)
    """Resolved references: 'project'/'depends_on' -> project code, 'person' -> person key."""

    @property
    def row(self) -> int:
        return self.source.row

    @property
    def kind(self) -> str:
        return self.source.kind

    @property
    def recognised(self) -> bool:
        """True for an unchanged row known by its fingerprint: neither parsed in full nor compared."""
        return False

    def reject(self, error: RowError) -> None:
        self.errors.append(error)
        self.action = Action.REJECT

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.source.row,
            "action": self.action.value,
            "key": {name: json_value(value) for name, value in self.key.items()},
            "values": {name: json_value(value) for name, value in self.values.items()},
            "errors": [error.to_json() for error in self.errors],
        }


class _RecognisedRow(PlannedRow):
    """An unchanged row known by its fingerprint (importer/fingerprints.py).

    Its key, references, record and version are settled as for any row; its ``values`` (the
    whole row in stored form, as a full plan shows it) are worked out the first time they are
    read. ``stored`` stays empty: nothing is written for the row, so nothing needs its 'before'.
    """

    __slots__ = ("_keyed", "_header_of")

    values = _FilledOnAccess(PlannedRow.values)
    recognised = True

    def __init__(self, source: ParsedRow, keyed: PlannedRow, record_id: int, version: int,
                 header_of: dict[str, str]):
        """``keyed`` is the row prepared from its key values, its key and references resolved."""
        self.source, self.action, self.key, self.refs = source, Action.UNCHANGED, keyed.key, keyed.refs
        self.changes, self.errors, self.warnings = [], [], []
        self.record_id, self.version, self.stored, self.writes = record_id, version, {}, {}
        self._keyed, self._header_of = keyed.values, header_of

    def _complete(self) -> None:
        """The values a full plan gives the row: the whole row in stored form, with its key and
        references as resolved (the planner replaced or dropped references in the keyed values)."""
        found = _prepared(self.source, self.source.values, [], self._header_of).values
        keyed = self._keyed
        for name in READ_FIRST[self.source.kind]:
            if name in keyed:
                found[name] = keyed[name]
            else:
                found.pop(name, None)
        self.values = found


@dataclass(slots=True)
class SheetPlan:
    """The planned rows of one sheet, with the sheet's header facts."""

    sheet: ParsedSheet
    rows: list[PlannedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.sheet.file

    @property
    def kind(self) -> str:
        return self.sheet.kind

    def to_json(self) -> dict[str, Any]:
        source = self.sheet
        return {
            "file": source.file,
            "sheet": source.sheet,
            "kind": source.kind,
            "header_row": source.header_row,
            "mapping": {header: mapped for header, mapped in source.mapping.items() if mapped},
            "unmapped": list(source.unmapped),
            "rows": [row.to_json() for row in self.rows],
        }


@dataclass(frozen=True, slots=True)
class PlanCounts:
    """How many rows of a plan take each action."""

    new: int = 0
    update: int = 0
    unchanged: int = 0
    reject: int = 0

    @property
    def total(self) -> int:
        return self.new + self.update + self.unchanged + self.reject


@dataclass(slots=True)
class ImportPlan:
    """What an import would do, sheet by sheet and row by row."""

    sheets: list[SheetPlan] = field(default_factory=list)
    overwrite_blanks: bool = False
    audit_mark: int = 0
    """The last audit event id when the plan was made: the records it read were as that event left
    them (the mark of the fingerprints of its unchanged rows)."""

    def rows(self, kind: str | None = None) -> Iterator[PlannedRow]:
        """Every planned row (of one kind), in sheet and row order."""
        for sheet in self.sheets:
            if kind is None or sheet.kind == kind:
                yield from sheet.rows

    @property
    def counts(self) -> PlanCounts:
        tally: dict[Action, int] = defaultdict(int)
        for row in self.rows():
            tally[row.action] += 1
        return PlanCounts(tally[Action.NEW], tally[Action.UPDATE], tally[Action.UNCHANGED], tally[Action.REJECT])

    def counts_by_kind(self) -> dict[str, PlanCounts]:
        return {kind: ImportPlan([s for s in self.sheets if s.kind == kind]).counts
                for kind in dict.fromkeys(s.kind for s in self.sheets)}

    @property
    def has_changes(self) -> bool:
        counts = self.counts
        return bool(counts.new or counts.update)

    @property
    def rejected(self) -> list[PlannedRow]:
        return [row for row in self.rows() if row.action is Action.REJECT]

    def to_json(self) -> list[dict[str, Any]]:
        """The plan as plain JSON data: a list of sheets with their rows (see FIELDS.md)."""
        return [sheet.to_json() for sheet in self.sheets]


def json_value(value: Any) -> Any:
    """A value as shown in JSON: dates ISO, money and numbers as numbers, enumerations as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


# ---------------------------------------------------------------------------------------------
# The one table from canonical fields to model columns
# ---------------------------------------------------------------------------------------------

FIELD_COLUMNS: dict[str, dict[str, str | None]] = {
    "projects": {
        "code": "code", "name": "name", "programme": "programme_id", "sponsor": "sponsor",
        "manager": "manager", "department": "department", "stage": "stage", "rag": "rag",
        "schedule_rag": "schedule_rag", "cost_rag": "cost_rag", "scope_rag": "scope_rag",
        "resource_rag": "resource_rag", "priority": "priority", "methodology": "methodology",
        "start": "baseline_start", "end": "baseline_end", "forecast_end": "forecast_end",
        "actual_start": "actual_start", "actual_end": "actual_end", "budget": "budget",
        "actual_cost": "actual_cost", "forecast_cost": "forecast_cost", "percent_complete": "percent_complete",
        "benefits": "benefits", "description": "description", "custom_fields": "custom_fields",
    },
    "status": {
        "project": "project_id", "period_end": "period_end", "rag": "rag", "schedule_rag": "schedule_rag",
        "cost_rag": "cost_rag", "scope_rag": "scope_rag", "resource_rag": "resource_rag",
        "percent_complete": "percent_complete", "actual_cost": "actual_cost", "forecast_cost": "forecast_cost",
        "forecast_end": "forecast_end", "summary": "summary", "achievements": "achievements",
        "next_steps": "next_steps", "issues": "issues", "submitted_by": "submitted_by",
    },
    "raid": {
        "project": "project_id", "ref": "ref", "kind": "kind", "title": "title", "description": "description",
        "category": "category", "owner": "owner", "likelihood": "likelihood", "impact": "impact",
        "cost_impact": "cost_impact", "status": "status", "response": "response", "mitigation": "mitigation",
        "raised": "raised", "due": "due", "escalation": "escalation", "depends_on": "depends_on_project_id",
        "last_reviewed": "last_reviewed",
    },
    "milestones": {
        "project": "project_id", "name": "name", "baseline": "baseline_date", "forecast": "forecast_date",
        "actual": "actual_date", "status": "status", "owner": None, "notes": None,
    },
    "people": {
        "name": "name", "email": "email", "role": "role_id", "team": "team", "capacity_hours": "capacity_hours",
        "cost_rate": "cost_rate", "manager": None, "location": None,
    },
    "allocations": {
        "person": "person_id", "project": "project_id", "start": "start_date", "end": "end_date",
        "hours_per_week": "hours_per_week", "role": None, "task": None,
    },
    "scores": {"project": "project_id", "criterion": "criterion_id", "score": "score"},
}
"""Canonical field (FIELDS.md, importer/fields.py) -> model column; None: read but not stored."""

TABLES: dict[str, Table] = {
    "projects": Project.__table__, "status": StatusReport.__table__, "raid": RaidItem.__table__,
    "milestones": Milestone.__table__, "people": Person.__table__, "allocations": Allocation.__table__,
    "scores": ProjectScore.__table__,
}

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "projects": ("code",), "status": ("project", "period_end"), "raid": ("project", "ref"),
    "milestones": ("project", "name"), "people": ("email", "name"), "allocations": ("person", "project", "start"),
    "scores": ("project", "criterion"),
}

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "projects": ("code", "name"), "status": ("project", "period_end"), "raid": ("ref", "title"),
    "milestones": ("project", "name"), "people": ("name",),
    "allocations": ("person", "project", "start", "end", "hours_per_week"),
    "scores": ("project", "criterion", "score"),
}
"""Fields a new record cannot do without (NOT NULL columns without a default)."""

LOOKUP_FIELDS: dict[tuple[str, str], tuple[Table, str]] = {
    ("projects", "programme"): (Programme.__table__, "name"),
    ("people", "role"): (Role.__table__, "name"),
}
"""Fields stored as a link to a row found (or created) by name: programme and role."""

PROJECT_REFERENCES = frozenset({"project", "depends_on"})

NAMED_LINKS = frozenset({"person", "criterion"})
"""Links planned by name and resolved to an id apart (a person by email or name, a criterion by name)."""

PORTFOLIO_WORDS = frozenset({"portfolio", "portfolio level", "portfolio-level", "all projects", "all", "pmo"})
"""What a RAID log writes in its project column for a portfolio-level item (unless a project has that name)."""

ALTERNATIVE_KEYS: dict[str, tuple[str, str]] = {"projects": ("code", "name"), "people": ("email", "name")}
"""Kinds identified by either of two fields: the first when given, else the second (DfT masters
list projects by name only; such rows update the one stored project of that name)."""


ENUM_TYPES: dict[tuple[str, str], type[StrEnum]] = {
    ("projects", "stage"): Stage, ("projects", "methodology"): Methodology, ("raid", "kind"): RaidKind,
    ("raid", "status"): RaidStatus, ("raid", "escalation"): Escalation, ("raid", "response"): RiskResponse,
    ("milestones", "status"): MilestoneStatus,
}
"""Enumerated fields and the model enumeration they are stored as. The parsers (importer/values.py)
already return the model's values, so nothing is translated here: a value outside the
enumeration is refused (it can only come from a caller that built its rows by hand)."""

MERGED_FIELDS = frozenset({"custom_fields"})
"""JSON fields merged key by key with what is stored (a datamap's custom fields): a harvest adds
and updates keys but never drops the ones it does not mention."""

RAG_FIELDS = frozenset({"rag", "schedule_rag", "cost_rag", "scope_rag", "resource_rag"})

RANGES: dict[tuple[str, str], tuple[float, float, str]] = {
    ("projects", "percent_complete"): (0, 1, "a percentage between 0% and 100%"),
    ("status", "percent_complete"): (0, 1, "a percentage between 0% and 100%"),
    ("projects", "priority"): (1, 9, "a priority from 1 (highest) to 9"),
    ("projects", "budget"): (0, float("inf"), "an amount that is not negative"),
    ("raid", "likelihood"): (1, 5, "a likelihood from 1 to 5"),
    ("raid", "impact"): (1, 5, "an impact from 1 to 5"),
    ("people", "capacity_hours"): (0, 100, "between 0 and 100 hours a week"),
    ("people", "cost_rate"): (0, float("inf"), "a rate that is not negative"),
    ("allocations", "hours_per_week"): (1e-9, 100, "more than 0 and at most 100 hours a week"),
    ("scores", "score"): (0, 5, "a score from 0 to 5"),
}
"""CHECK constraints of the model, tested before anything is written."""

DATE_ORDER: dict[str, tuple[str, str]] = {"projects": ("start", "end"), "allocations": ("start", "end")}
"""(start, end) fields whose stored columns must be in order."""


def column_of(kind: str, field_name: str) -> str | None:
    """The model column a canonical field is stored in (None when it is not stored)."""
    return FIELD_COLUMNS[kind].get(field_name)


def person_key(email: str | None, name: str | None) -> tuple[str, str]:
    """A person's natural key: ('email', lower-case email) or ('name', lower-case name)."""
    if email:
        return ("email", email.strip().lower())
    return ("name", (name or "").strip().lower())


# ---------------------------------------------------------------------------------------------
# Bringing parsed values to their stored form
# ---------------------------------------------------------------------------------------------


def stored_form(kind: str, field_name: str, value: Any) -> Any:
    """``value`` as the column of ``field_name`` stores it; ValueError with a reason when it cannot."""
    if value is None:
        return None
    return stored_converter(kind, field_name)(value)


@cache
def stored_converter(kind: str, field_name: str) -> Callable[[Any], Any]:
    """The function that brings a (non-blank) value of ``field_name`` to its stored form.

    Chosen once per kind and field (what ``stored_form`` decided per value before), so that
    planning a column costs one call per cell. Raises ValueError with a reason, as stored_form.
    """
    if (kind, field_name) in ENUM_TYPES:
        enum = ENUM_TYPES[(kind, field_name)]
        members = frozenset(member.value for member in enum)
        choices = ", ".join(member.value for member in enum)

        def enum_value(value: Any) -> str:
            text = str(value)
            if text in members:
                return text
            raise ValueError(f"is not a {field_name.replace('_', ' ')} value; use one of {choices}")
        return enum_value
    if field_name in RAG_FIELDS:
        rags = frozenset(r.value for r in Rag)

        def rag_value(value: Any) -> str:
            text = str(value).strip().upper()
            if text not in rags:
                raise ValueError("is not a RAG status; use Red, Amber or Green")
            return text
        return rag_value
    if field_name in MERGED_FIELDS:
        def merged_value(value: Any) -> Any:
            if not isinstance(value, dict):
                raise ValueError("is not a set of named values")
            return value
        return merged_value
    if field_name in PROJECT_REFERENCES or field_name in NAMED_LINKS or (kind, field_name) in LOOKUP_FIELDS:
        return _text
    column_name = column_of(kind, field_name)
    if column_name is None:
        return _same
    return _typed_converter(TABLES[kind].c[column_name].type)


def _same(value: Any) -> Any:
    return value


def _enum_value(kind: str, field_name: str, value: Any) -> str:
    enum = ENUM_TYPES[(kind, field_name)]
    text = str(value)
    if text in {member.value for member in enum}:
        return text
    choices = ", ".join(member.value for member in enum)
    raise ValueError(f"is not a {field_name.replace('_', ' ')} value; use one of {choices}")


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _typed(column_type: Any, value: Any) -> Any:
    return _typed_converter(column_type)(value)


def _typed_converter(column_type: Any) -> Callable[[Any], Any]:
    """The conversion of a value to a column of ``column_type``, its branch chosen once."""
    if isinstance(column_type, Numeric) and not isinstance(column_type, Float):
        quantum = Decimal(1).scaleb(-(column_type.scale or 0))

        def money(value: Any) -> Decimal:
            try:
                number = value if isinstance(value, Decimal) else Decimal(str(value))
                return number.quantize(quantum)
            except (InvalidOperation, ValueError):
                raise ValueError("is not an amount of money") from None
        return money
    if isinstance(column_type, Float):
        return _float_value
    if isinstance(column_type, Integer):
        return _int_value
    if isinstance(column_type, Date):
        return _date_value
    if isinstance(column_type, String | Text):
        return _text_or_none
    return _same


def _float_value(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("is not a number")
    return float(value)


def _int_value(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or value != int(value):
        raise ValueError("is not a whole number")
    return int(value)


def _date_value(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, dt.date):
        raise ValueError("is not a date")
    return value


def _text_or_none(value: Any) -> str | None:
    return _text(value) or None


def _check_length(kind: str, field_name: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    length = _column_length(kind, field_name)
    if length and len(value) > length:
        return f"is {len(value)} characters long; at most {length} fit"
    return None


@cache
def _column_length(kind: str, field_name: str) -> int | None:
    """The length limit of the column that stores ``field_name`` (None: unlimited or not stored)."""
    column_name = column_of(kind, field_name)
    if column_name is None:
        return None
    return getattr(TABLES[kind].c[column_name].type, "length", None)


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------


def plan_import(session: Session, sheets: Sequence[ParsedSheet], *, overwrite_blanks: bool = False) -> ImportPlan:
    """Compare ``sheets`` with the database and decide new / update / unchanged / reject per row.

    Reads only; one lookup query per kind (in chunks of CHUNK keys), never one per row.
    """
    event = AuditEvent.__table__
    plan = ImportPlan([SheetPlan(sheet) for sheet in sheets], overwrite_blanks,
                      session.scalar(select(func.max(event.c.id))) or 0)
    planner = _Planner(session, plan)
    for kind in KINDS:
        planner.plan_kind(kind)
    for sheet_plan in plan.sheets:
        if sheet_plan.kind not in FIELD_COLUMNS:
            sheet_plan.warnings.append(f"{sheet_plan.sheet}: sheets of kind {sheet_plan.kind!r} cannot be imported")
            sheet_plan.rows = [_unknown_kind_row(row) for row in sheet_plan.sheet.rows]
    return plan


def _unknown_kind_row(source: ParsedRow) -> PlannedRow:
    return PlannedRow(source, Action.REJECT, {}, {},
                      errors=[RowError("", None, f"rows of kind {source.kind!r} cannot be imported")])


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    """``items`` in slices of ``size``: keeps IN lists within the databases' parameter limits."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(slots=True)
class _ProjectIndex:
    """Projects an import can refer to: stored ones and those the import itself creates."""

    by_code: dict[str, int | None] = field(default_factory=dict)
    """Code -> stored id (None for a project new in this import)."""
    by_lower_code: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_lower_name: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, project_id: int | None, code: str, name: str | None) -> None:
        if self.by_code.get(code) is not None:
            return
        self.by_code[code] = project_id
        self.by_lower_code[code.lower()].add(code)
        if name:
            self.by_lower_name[name.strip().lower()].add(code)

    def recode(self, old: str, new: str) -> None:
        """A stored project takes a new code: references to it resolve to the new one."""
        project_id = self.by_code.pop(old, None)
        self.by_code[new] = project_id
        for index in (self.by_lower_code, self.by_lower_name):
            for codes in index.values():
                if old in codes:
                    codes.discard(old)
                    codes.add(new)
        self.by_lower_code[new.lower()].add(new)

    def resolve(self, reference: str) -> str | None:
        """The project code ``reference`` means; None when unknown; ValueError when ambiguous."""
        if reference in self.by_code:
            return reference
        for candidates in (self.by_lower_code.get(reference.lower()), self.by_lower_name.get(reference.lower())):
            if candidates and len(candidates) == 1:
                return next(iter(candidates))
            if candidates:
                raise ValueError(f"matches several projects ({', '.join(sorted(candidates))}); use the project code")
        return None


@dataclass(slots=True)
class _PersonIndex:
    """People an import can refer to, by lower-case email and name: stored and new ones."""

    by_email: dict[str, tuple[int | None, tuple[str, str]]] = field(default_factory=dict)
    by_name: dict[str, list[tuple[int | None, tuple[str, str]]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, person_id: int | None, email: str | None, name: str | None) -> None:
        key = person_key(email, name)
        if email:
            self.by_email.setdefault(email.strip().lower(), (person_id, key))
        if name:
            entries = self.by_name[name.strip().lower()]
            if all(existing[1] != key for existing in entries):
                entries.append((person_id, key))

    def resolve(self, reference: str) -> tuple[int | None, tuple[str, str]] | None:
        text = reference.strip().lower()
        if text in self.by_email:
            return self.by_email[text]
        found = self.by_name.get(text, [])
        if len(found) > 1:
            raise ValueError("matches several people with that name; use their email address")
        return found[0] if found else None


class _Planner:
    """Plans one import: indexes of referenced records, then each kind in turn."""

    def __init__(self, session: Session, plan: ImportPlan):
        self.session = session
        self.plan = plan
        self.overwrite_blanks = plan.overwrite_blanks
        self.projects = _ProjectIndex()
        self.people = _PersonIndex()
        self._indexes_loaded = False
        self._compared: dict[int, tuple[str, ...]] = {}  # id(sheet) -> _compared_fields of its fields

    # -- references ---------------------------------------------------------------------------

    def _load_indexes(self) -> None:
        """Stored projects and people that the import's rows name, in one query per table."""
        if self._indexes_loaded:
            return
        self._indexes_loaded = True
        named: set[Any] = set()  # the references as parsed; each distinct one brought to text once
        persons: set[Any] = set()
        for row in (row for sheet_plan in self.plan.sheets for row in sheet_plan.sheet.rows):
            values = row.key_values if isinstance(row, DeferredRow) else row.values  # every reference is a key value
            for name in PROJECT_REFERENCES:
                value = values.get(name)
                if value is not None:
                    named.add(value)
            if row.kind == "allocations" and values.get("person") is not None:
                persons.add(values["person"])
        project_refs = {_text(value) for value in named}
        person_refs = {_text(value) for value in persons}
        project = Project.__table__
        for chunk in chunks(sorted(project_refs)):
            lowered = [ref.lower() for ref in chunk]
            query = select(project.c.id, project.c.code, project.c.name).where(or_(
                project.c.code.in_(chunk), func.lower(project.c.code).in_(lowered),
                func.lower(project.c.name).in_(lowered)))
            for row in self.session.execute(query):
                self.projects.add(row.id, row.code, row.name)
        person = Person.__table__
        for chunk in chunks(sorted(person_refs)):
            lowered = [ref.lower() for ref in chunk]
            query = select(person.c.id, person.c.email, person.c.name).where(or_(
                func.lower(person.c.email).in_(lowered), func.lower(person.c.name).in_(lowered)))
            for row in self.session.execute(query):
                self.people.add(row.id, row.email, row.name)

    def _is_project(self, reference: str) -> bool:
        try:
            return self.projects.resolve(reference) is not None
        except ValueError:
            return True

    def _resolve_project(self, planned: PlannedRow, sheet: ParsedSheet, field_name: str) -> str | None:
        reference = planned.values.get(field_name)
        if reference is None:
            return None
        try:
            code = self.projects.resolve(reference)
        except ValueError as exc:
            planned.reject(RowError(sheet.header_of(field_name), reference, str(exc)))
            return None
        if code is not None:
            planned.values[field_name] = code  # shown and compared by code from here on
            planned.refs[field_name] = code
        else:
            planned.reject(RowError(sheet.header_of(field_name), reference,
                                    "is not a project in the database or in this import; import the project first "
                                    "or correct the project code"))
        return code

    # -- one kind ------------------------------------------------------------------------------

    def plan_kind(self, kind: str) -> None:
        items = [(sheet_plan, row) for sheet_plan in self.plan.sheets if sheet_plan.kind == kind
                 for row in sheet_plan.sheet.rows]
        for sheet_plan in self.plan.sheets:
            if sheet_plan.kind == kind:
                _warn_unstored_fields(sheet_plan)
        if not items:
            return
        self._load_indexes()
        headers = {id(sheet_plan): _headers_of(sheet_plan.sheet) for sheet_plan in self.plan.sheets
                   if sheet_plan.kind == kind}
        known: dict[str, Any] = {}
        if kind in READ_FIRST and not self.overwrite_blanks:
            known = self._fingerprints(kind, {row.fingerprint for _, row in items if isinstance(row, DeferredRow)})
        hashes = {found.fingerprint for found in known.values()}
        planned: list[tuple[SheetPlan, PlannedRow]] = []
        keyed: list[int] = []  # positions in planned of rows prepared from their key values only
        steps, required = _field_steps(kind), _required_keys(kind)
        for sheet_plan, row in items:
            prepared = None
            if hashes and isinstance(row, DeferredRow) and row.fingerprint in hashes:
                # None when the key values have a problem: planned in full, for the reasons the whole row gives
                prepared = _key_prepared(row, steps, required)
                if prepared is not None:
                    keyed.append(len(planned))
            if prepared is None:
                prepared = self._prepare(sheet_plan, row, headers[id(sheet_plan)])
            planned.append((sheet_plan, prepared))
        live = [(s.sheet, r) for s, r in planned if r.action is not Action.REJECT]
        getattr(self, f"_keys_{kind}")(live)
        if keyed:
            self._recognise(kind, planned, keyed, headers, known)
        for sheet_plan, row in planned:
            sheet_plan.rows.append(row)
        live = _drop_duplicates([(s.sheet, r) for s, r in planned if r.action is not Action.REJECT and not r.recognised])
        stored = getattr(self, f"_fetch_{kind}")([r for _, r in live])
        for sheet, row in live:
            if row.action is not Action.REJECT:  # an ambiguous match was rejected while fetching
                self._decide(kind, sheet, row, stored.get(_key_tuple(row)))
        if kind == "people":
            self._check_unique_people([r for _, r in live])
        if kind == "projects":
            self._generate_codes([r for _, r in live if r.values.get("code") == CODE_PENDING],
                                 {r.values["code"] for _, r in live if r.values.get("code", CODE_PENDING) != CODE_PENDING})
        _register_new_parents(self, kind, [r for _, r in live])

    def _prepare(self, sheet_plan: SheetPlan, source: ParsedRow,
                 header_of: dict[str, str] | None = None) -> PlannedRow:
        """Parse errors, stored forms and required keys of one row; references come later.

        ``header_of`` is ``_headers_of(sheet_plan.sheet)``, worked out once per sheet by the caller.
        """
        if header_of is None:
            header_of = _headers_of(sheet_plan.sheet)
        return _prepared(source, source.values, list(source.errors), header_of)

    # -- rows recognised by their fingerprints ---------------------------------------------------

    def _recognise(self, kind: str, planned: list[tuple[SheetPlan, PlannedRow]], keyed: list[int],
                   headers: dict[int, dict[str, str]], known: dict[str, Any]) -> None:
        """Settle the rows prepared from their key values alone (``keyed``, positions in ``planned``):
        unchanged by their fingerprints (importer/fingerprints.py), or planned in full after all.

        Their keys are resolved already; ``known`` holds the stored fingerprints by natural key
        (those of records still at the version noted). A row is recognised when its key is the
        only one of its kind in the import, the fingerprint stored for that key has the row's hash,
        and the record it names is the one the key resolves to, with no audit event since the
        mark noted. Every other keyed row is prepared again from its whole row and its key
        resolved again.
        """
        tuples = [None if row.action is Action.REJECT else _key_tuple(row) for _, row in planned]
        counts = Counter(key for key in tuples if key is not None)
        matches: dict[int, Any] = {}
        same_parents = self._same_parents
        for position in keyed:
            key = tuples[position]
            if key is None or counts[key] != 1:
                continue
            row = planned[position][1]
            found = known.get(_natural_key_of(key))
            if found is not None and found.fingerprint == row.source.fingerprint and same_parents(kind, row, found):
                matches[position] = found
        touched = self._touched_since(kind, min((found.audit_mark for found in matches.values()), default=0)) \
            if matches else {}
        again: list[tuple[SheetPlan, PlannedRow]] = []
        for position in keyed:
            sheet_plan, row = planned[position]
            header_of = headers[id(sheet_plan)]
            found = matches.get(position)
            if found is not None and touched.get(found.entity_id, 0) <= found.audit_mark:
                planned[position] = (sheet_plan, _RecognisedRow(row.source, row, found.entity_id, found.current,
                                                                header_of))
                continue
            planned[position] = (sheet_plan, _prepared(row.source, row.source.values, list(row.source.errors),
                                                        header_of))
            again.append(planned[position])
        live = [(s.sheet, r) for s, r in again if r.action is not Action.REJECT]
        if live:
            getattr(self, f"_keys_{kind}")(live)

    def _fingerprints(self, kind: str, hashes: set[str]) -> dict[str, Any]:
        """Natural key -> the fingerprint stored for it, among those of ``kind`` with one of
        ``hashes``, with its record's links; only those whose record still has the version noted
        (a record changed or deleted since cannot be recognised).

        Looked up by hash first, so that the rows of a new file, which have none, are planned in
        full at once, without resolving their keys twice."""
        if not hashes:
            return {}
        fingerprint, table = ImportFingerprint.__table__, TABLES[kind]
        query = (select(fingerprint.c.fingerprint, fingerprint.c.natural_key, fingerprint.c.entity_id,
                        fingerprint.c.audit_mark, table.c.version.label("current"),
                        *(table.c[column] for column, _ in PARENT_COLUMNS[kind]))
                 .join(table, table.c.id == fingerprint.c.entity_id)
                 .where(fingerprint.c.kind == kind, fingerprint.c.version == table.c.version))
        if len(hashes) > WHOLE_KIND:  # one pass over the kind's fingerprints beats many lookups
            stored = [row for row in self.session.execute(query).all() if row[0] in hashes]
        else:
            stored = [row for chunk in chunks(sorted(hashes))
                      for row in self.session.execute(query.where(fingerprint.c.fingerprint.in_(list(chunk)))).all()]
        return {row[1]: _StoredFingerprint(row[0], row[2], row[3], row[4], tuple(row[5:])) for row in stored}

    def _same_parents(self, kind: str, row: PlannedRow, found: _StoredFingerprint) -> bool:
        """True when the stored record links to what the row's references resolve to now."""
        refs = row.refs
        for (_, reference), linked in zip(PARENT_COLUMNS[kind], found.parents, strict=True):
            if reference not in refs:  # left blank: the stored link stays as it is
                continue
            value = refs[reference]
            expected = self.projects.by_code.get(value) if reference in PROJECT_REFERENCES else value
            if expected is None or linked != expected:
                return False
        return True

    def _touched_since(self, kind: str, mark: int) -> dict[int, int]:
        """Record id -> its last audit event, for the records of ``kind`` with an event after ``mark``."""
        event = AuditEvent.__table__
        query = (select(event.c.entity_id, func.max(event.c.id))
                 .where(event.c.entity == audit_entity(kind), event.c.id > mark).group_by(event.c.entity_id))
        return dict(self.session.execute(query).all())

    # -- keys, per kind ------------------------------------------------------------------------

    def _keys_projects(self, rows: list[tuple[ParsedSheet, PlannedRow]]) -> None:
        coded: dict[str, set[str]] = defaultdict(set)
        for _, row in rows:
            if row.values.get("code") and row.values.get("name"):
                coded[row.values["name"].strip().lower()].add(row.values["code"])
        for sheet, row in rows:
            code, name = row.values.get("code"), row.values.get("name")
            codes = coded.get(name.strip().lower(), set()) if name and not code else set()
            if len(codes) == 1:  # the same project, listed with its code elsewhere in this import
                code = row.values["code"] = next(iter(codes))
            elif codes:
                row.reject(RowError(sheet.header_of("name"), name, f"matches several projects of this import "
                                    f"({', '.join(sorted(codes))}); add a column with the project codes"))
            row.key = {"code": code} if code else {"name": name}

    def _keys_people(self, rows: list[tuple[ParsedSheet, PlannedRow]]) -> None:
        for _, row in rows:
            email, name = row.values.get("email"), row.values.get("name")
            row.key = {"email": email} if email else {"name": name}

    def _keys_status(self, rows: list[tuple[ParsedSheet, PlannedRow]]) -> None:
        self._keys_with_project(rows, "period_end")

    def _keys_milestones(self, rows: list[tuple[ParsedSheet, PlannedRow]]) -> None:
        self._keys_with_project(rows, "name")

    def _keys_raid(self, rows: list[tuple[ParsedSheet, PlannedRow]]) -> None:
        for _, row in rows:
            reference = row.values.get("project")
            if isinstance(reference, str) and reference.lower() in PORTFOLIO_WORDS and not self._is_project(reference):
                del row.values["project"]  # a portfolio-level item
        self._keys_with_project(rows, "ref", optional=True)
        for sheet, row in rows:
            if row.action is not Action.REJECT and row.values.get("depends_on") is not None:
                row.refs["depends_on"] = self._resolve_project(row, sheet, "depends_on")

    def _keys_with_project(self, rows: list[tuple[ParsedSheet, PlannedRow]], second: str,
                           optional: bool = False) -> None:
        for sheet, row in rows:
            code = self._resolve_project(row, sheet, "project")
            if row.action is Action.REJECT or (code is None and not optional):
                continue
            row.refs["project"] = code
            row.key = {"project": code, second: row.values[second]}

    def _keys_allocations(self, rows: list[tuple[ParsedSheet, PlannedRow]]) -> None:
        for sheet, row in rows:
            code = self._resolve_project(row, sheet, "project")
            reference = row.values["person"]
            try:
                person = self.people.resolve(reference)
            except ValueError as exc:
                row.reject(RowError(sheet.header_of("person"), reference, str(exc)))
                continue
            if person is None:
                row.reject(RowError(sheet.header_of("person"), reference,
                                    "is not a person in the database or in this import; add them to the people "
                                    "list first or correct the name or email"))
            if row.action is Action.REJECT or code is None or person is None:
                continue
            row.refs.update(project=code, person=person[1], person_id=person[0])
            row.key = {"person": reference, "project": code, "start": row.values["start"]}

    def _keys_scores(self, rows: list[tuple[ParsedSheet, PlannedRow]]) -> None:
        """A score's key: its project (as for status rows) and the office criterion its name matches."""
        stored = self.session.execute(select(StrategicCriterion.id, StrategicCriterion.name)
                                      .order_by(StrategicCriterion.name)).all()
        ids = {name: criterion_id for criterion_id, name in stored}
        matcher = CriterionMatcher.of(ids)
        for sheet, row in rows:
            reference = row.values["criterion"]
            name = matcher.match(reference)
            if name is None:
                row.reject(RowError(sheet.header_of("criterion"), reference, matcher.unknown_reason()))
                continue
            row.values["criterion"] = name
            row.refs["criterion_id"] = ids[name]
        self._keys_with_project([(s, r) for s, r in rows if r.action is not Action.REJECT], "criterion")

    # -- stored records, per kind (one query per chunk of keys) --------------------------------

    def _fetch(self, query_for_chunk, keys: list[tuple], key_of_row) -> dict[tuple, Any]:
        found: dict[tuple, Any] = {}
        for chunk in chunks(sorted(set(keys), key=repr)):
            for stored in self.session.execute(query_for_chunk(list(chunk))):
                found[key_of_row(stored)] = stored
        return found

    def _fetch_by_project(self, base, code_column, keys: list[tuple], key_of_row) -> dict[tuple, Any]:
        """Stored records whose (project code, second key) is one of ``keys``.

        One query per chunk of distinct project codes (an indexed lookup), the second key matched
        here with a set: a row-value ``IN`` over (code, second key) could not use an index, and
        scanned the table once per chunk of keys.
        """
        wanted = set(keys)
        found: dict[tuple, Any] = {}
        for chunk in chunks(sorted({key[0] for key in wanted if key})):
            for stored in self.session.execute(base.where(code_column.in_(list(chunk)))):
                key = key_of_row(stored)
                if key in wanted:
                    found[key] = stored
        return found

    def _fetch_projects(self, rows: list[PlannedRow]) -> dict[tuple, Any]:
        """Stored projects by code; rows without a code match a project by its name (if only one has it)."""
        project, programme = Project.__table__, Programme.__table__
        base = select(project, programme.c.name.label("ref_programme")).outerjoin(
            programme, programme.c.id == project.c.programme_id)
        by_code = self._fetch(lambda chunk: base.where(project.c.code.in_([k[1] for k in chunk])),
                              [_key_tuple(r) for r in rows if r.values.get("code")], lambda s: ("code", s.code))
        names = [_key_tuple(r) for r in rows if not r.values.get("code")]
        by_name: dict[tuple, list[Any]] = defaultdict(list)
        for chunk in chunks(sorted(set(names))):
            query = base.where(func.lower(project.c.name).in_([k[1] for k in chunk]))
            for stored in self.session.execute(query):
                by_name[("name", stored.name.lower())].append(stored)
        found = dict(by_code)
        found.update(self._fetch_named_projects(base, [r for r in rows if r.values.get("code")
                                                         and _key_tuple(r) not in by_code and r.values.get("name")]))
        for row in rows:
            matches = by_name.get(_key_tuple(row), [])
            if len(matches) > 1:
                row.reject(RowError("name", row.values.get("name"),
                                    "matches several projects; add a column with the project codes"))
            elif matches:
                found[_key_tuple(row)] = matches[0]
        return found

    def _fetch_named_projects(self, base, rows: list[PlannedRow]) -> dict[tuple, Any]:
        """Stored projects whose code was made from their name, for rows that give that name and a real code."""
        project = Project.__table__
        by_name: dict[str, list[Any]] = defaultdict(list)
        for chunk in chunks(sorted({r.values["name"].strip().lower() for r in rows})):
            for stored in self.session.execute(base.where(func.lower(project.c.name).in_(list(chunk)))):
                if is_generated_code(stored.code, stored.name):
                    by_name[stored.name.strip().lower()].append(stored)
        found: dict[tuple, Any] = {}
        for row in rows:
            matches = by_name.get(row.values["name"].strip().lower(), [])
            if len(matches) == 1:
                found[_key_tuple(row)] = matches[0]
        return found

    def _fetch_people(self, rows: list[PlannedRow]) -> dict[tuple, Any]:
        person, role = Person.__table__, Role.__table__
        base = select(person, role.c.name.label("ref_role")).outerjoin(role, role.c.id == person.c.role_id)
        emails = [r.values["email"].lower() for r in rows if r.values.get("email")]
        names = [r.values["name"].lower() for r in rows if r.values.get("name")]
        by_email: dict[str, Any] = {}
        by_name: dict[str, Any] = {}
        for chunk in chunks(sorted(set(emails))):
            for stored in self.session.execute(base.where(func.lower(person.c.email).in_(list(chunk)))):
                by_email[stored.email.lower()] = stored
        for chunk in chunks(sorted(set(names))):
            for stored in self.session.execute(base.where(func.lower(person.c.name).in_(list(chunk)))):
                by_name[stored.name.lower()] = stored
        found: dict[tuple, Any] = {}
        for row in rows:
            email, name = row.values.get("email"), row.values.get("name")
            match = by_email.get(email.lower()) if email else None
            if match is None and name:
                candidate = by_name.get(name.lower())
                # A stored person of that name is the same person unless their email says otherwise.
                if candidate is not None and not (email and candidate.email):
                    match = candidate
            if match is not None:
                found[_key_tuple(row)] = match
        return found

    def _fetch_status(self, rows: list[PlannedRow]) -> dict[tuple, Any]:
        status, project = StatusReport.__table__, Project.__table__
        base = select(status, project.c.code.label("ref_project")).join(project, project.c.id == status.c.project_id)
        return self._fetch_by_project(base, project.c.code, [_key_tuple(r) for r in rows],
                                      lambda s: (s.ref_project, s.period_end))

    def _fetch_milestones(self, rows: list[PlannedRow]) -> dict[tuple, Any]:
        milestone, project = Milestone.__table__, Project.__table__
        base = select(milestone, project.c.code.label("ref_project")).join(
            project, project.c.id == milestone.c.project_id)
        return self._fetch_by_project(base, project.c.code, [_key_tuple(r) for r in rows],
                                      lambda s: (s.ref_project, s.name))

    def _fetch_raid(self, rows: list[PlannedRow]) -> dict[tuple, Any]:
        raid = RaidItem.__table__
        owner, depends = aliased(Project.__table__), aliased(Project.__table__)
        base = (select(raid, owner.c.code.label("ref_project"), depends.c.code.label("ref_depends_on"))
                .outerjoin(owner, owner.c.id == raid.c.project_id)
                .outerjoin(depends, depends.c.id == raid.c.depends_on_project_id))
        scoped = func.coalesce(owner.c.code, "")
        return self._fetch(
            lambda chunk: base.where(tuple_(scoped, raid.c.ref).in_([(code or "", ref) for code, ref in chunk])),
            [_key_tuple(r) for r in rows], lambda s: (s.ref_project, s.ref))

    def _fetch_scores(self, rows: list[PlannedRow]) -> dict[tuple, Any]:
        score, project, criterion = ProjectScore.__table__, Project.__table__, StrategicCriterion.__table__
        base = (select(score, project.c.code.label("ref_project"), criterion.c.name.label("ref_criterion"))
                .join(project, project.c.id == score.c.project_id)
                .join(criterion, criterion.c.id == score.c.criterion_id))
        return self._fetch_by_project(base, project.c.code, [_key_tuple(r) for r in rows],
                                      lambda s: (s.ref_project, s.ref_criterion))

    def _fetch_allocations(self, rows: list[PlannedRow]) -> dict[tuple, Any]:
        allocation, project = Allocation.__table__, Project.__table__
        base = select(allocation, project.c.code.label("ref_project")).join(
            project, project.c.id == allocation.c.project_id)
        stored_rows = [r for r in rows if r.refs.get("person_id") is not None]
        keys = [(r.refs["person_id"], r.refs["project"], r.values["start"]) for r in stored_rows]
        by_ids = self._fetch(
            lambda chunk: base.where(tuple_(allocation.c.person_id, project.c.code, allocation.c.start_date).in_(chunk)),
            keys, lambda s: (s.person_id, s.ref_project, s.start_date))
        return {_key_tuple(r): by_ids[k] for r, k in zip(stored_rows, keys, strict=True) if k in by_ids}

    # -- deciding -------------------------------------------------------------------------------

    def _decide(self, kind: str, sheet: ParsedSheet, row: PlannedRow, stored: Any) -> None:
        """Compare a live row with its stored record (or none) and set action, changes and writes."""
        if stored is None and kind == "scores" and row.values.get("score") is None:
            row.action = Action.UNCHANGED  # a pre-filled template row left blank: nothing to write
            return
        columns = FIELD_COLUMNS[kind]
        if stored is None:
            row.action = Action.NEW
            if kind == "raid" and not row.values.get("title") and row.values.get("description"):
                row.values["title"] = title_from_description(row.values["description"])
            if kind == "projects" and not row.values.get("code") and row.values.get("name"):
                row.values["code"] = CODE_PENDING  # made from the name once every new project is known
            row.writes = {name: value for name, value in row.values.items() if columns.get(name)}
            missing = [name for name in REQUIRED_FIELDS[kind] if row.values.get(name) is None]
            for name in missing:
                row.reject(RowError(sheet.header_of(name), None, f"is blank; a new {_noun(kind)} needs its {name}"))
            merged = dict(row.values)
        else:
            row.record_id, row.version = stored.id, getattr(stored, "version", None)
            fields = stored._fields  # a Row builds this tuple at each call
            row.stored = dict(zip(_table_column_names(kind), _table_getter(kind, fields)(stored), strict=True))
            old_values = _canonical_stored(kind, stored, fields)
            merged = dict(old_values)
            compared = self._compared.get(id(sheet))
            if compared is None:  # sheet.fields builds a set: once per sheet, not per row
                compared = self._compared[id(sheet)] = _compared_fields(kind, sheet.fields)
            for name in compared:
                new = row.values.get(name)
                if new is None and (not self.overwrite_blanks or not _nullable(kind, name)):
                    continue
                if name in MERGED_FIELDS and new is not None:
                    new = {**(old_values.get(name) or {}), **new}  # new keys added, stored keys kept
                if new != old_values.get(name):
                    row.changes.append(FieldChange(name, old_values.get(name), new))
                    row.writes[name] = new
                    merged[name] = new
            if kind == "projects" and row.values.get("code") and row.values["code"] != old_values["code"]:
                # A project created with a code made from its name gets its real code.
                row.changes.insert(0, FieldChange("code", old_values["code"], row.values["code"]))
                row.writes["code"] = merged["code"] = row.values["code"]
                row.warnings.append(f"takes the code {row.values['code']} in place of {old_values['code']}, "
                                    "the code made from its name when it was first imported")
                self.projects.recode(old_values["code"], row.values["code"])
            row.action = Action.UPDATE if row.changes else Action.UNCHANGED
        if row.action is not Action.REJECT:
            for error in _check_record(kind, sheet, merged):
                row.reject(error)

    def _generate_codes(self, rows: list[PlannedRow], import_codes: set[str]) -> None:
        """Give each new project without a code one made from its name, unique in the database and import.

        ``import_codes`` are the codes the import's other project rows give.
        """
        for row in rows:
            if row.action is not Action.NEW:  # rejected after all: no code to show
                del row.values["code"]
                row.writes.pop("code", None)
        rows = [row for row in rows if row.action is Action.NEW]
        if not rows:
            return
        bases = {code_from_name(row.values["name"]) for row in rows}
        project = Project.__table__
        taken = {code.upper() for code in (*self.projects.by_code, *import_codes)}
        for chunk in chunks(sorted(bases)):
            query = select(project.c.code).where(or_(*(func.upper(project.c.code).like(f"{base}%") for base in chunk)))
            taken.update(code.upper() for code in self.session.scalars(query))
        for row in rows:
            code = unique_code(code_from_name(row.values["name"]), taken)
            taken.add(code)
            row.values["code"] = row.writes["code"] = code
            row.warnings.append(f"has no project code; the project is created with the code {code}, made from its "
                                "name (later imports without a code find it by its name)")

    def _check_unique_people(self, rows: list[PlannedRow]) -> None:
        """Person names and emails are unique: refuse a write that would give one to two people."""
        live = [r for r in rows if r.action in (Action.NEW, Action.UPDATE)]
        names = {r.writes["name"].lower() for r in live if r.writes.get("name")}
        emails = {r.writes["email"].lower() for r in live if r.writes.get("email")}
        person = Person.__table__
        taken: dict[tuple[str, str], int] = {}
        for column, values in (("name", names), ("email", emails)):
            for chunk in chunks(sorted(values)):
                query = select(person.c.id, person.c[column]).where(func.lower(person.c[column]).in_(list(chunk)))
                for stored in self.session.execute(query):
                    taken[(column, stored[1].lower())] = stored.id
        claimed: dict[tuple[str, str], PlannedRow] = {}
        for row in live:
            for column in ("name", "email"):
                value = row.writes.get(column)
                if not value:
                    continue
                owner = taken.get((column, value.lower()))
                other = claimed.get((column, value.lower()))
                if (owner is not None and owner != row.record_id) or other is not None:
                    row.reject(RowError(column, value, f"is already the {column} of another person; "
                                                       "names and emails must be unique"))
                else:
                    claimed[(column, value.lower())] = row


WHOLE_KIND = 8 * CHUNK
"""Above this many rows, a kind's fingerprints are read in one pass instead of looked up by hash."""


def _prepared(source: ParsedRow, parsed: dict[str, Any], errors: list[RowError],
              header_of: dict[str, str]) -> PlannedRow:
    """A planned row of ``source`` from its ``parsed`` values and cell ``errors``: stored forms,
    lengths, ranges and required keys checked; references are resolved later."""
    kind = source.kind
    planned = PlannedRow(source, Action.NEW, {}, {}, errors=errors)
    failed = {error.column for error in errors}
    steps_of = _field_steps(kind)
    values = planned.values
    # The sheet's header of a field is looked up only for an error: this runs for every cell.
    for field_name, value in parsed.items():
        steps = steps_of.get(field_name)
        if steps is None or value is None:
            continue
        if failed and header_of.get(field_name, field_name) in failed:
            continue
        convert, length, bounds = steps
        try:
            stored = convert(value)
        except ValueError as exc:
            planned.errors.append(RowError(header_of.get(field_name, field_name), value, str(exc)))
            continue
        if stored is None:
            continue
        # _check_length, then _check_range, inline
        if length and isinstance(stored, str) and len(stored) > length:
            planned.errors.append(RowError(header_of.get(field_name, field_name), value,
                                           f"is {len(stored)} characters long; at most {length} fit"))
            continue
        if bounds is not None and not bounds[0] <= stored <= bounds[1]:
            planned.errors.append(RowError(header_of.get(field_name, field_name), value,
                                           f"is out of range; use {bounds[2]}"))
            continue
        values[field_name] = stored
    missing = [name for name in _required_keys(kind) if planned.values.get(name) is None]
    if kind in ALTERNATIVE_KEYS:
        either = ALTERNATIVE_KEYS[kind]
        missing = [] if any(planned.values.get(name) for name in either) else [either[0]]
    for name in missing:
        header = header_of.get(name, name)
        if not any(e.column == header for e in planned.errors):
            planned.errors.append(RowError(header, None, f"is blank; every row needs its {name}"))
    if planned.errors:
        planned.action = Action.REJECT
    return planned


def _key_prepared(source: DeferredRow, steps_of: dict[str, tuple], required: tuple[str, ...]) -> PlannedRow | None:
    """A planned row of ``source`` from its key values alone, as ``_prepared`` makes it from them
    (``steps_of`` and ``required`` are ``_field_steps`` and ``_required_keys`` of its kind); None
    when ``_prepared`` would find a problem in them (the row is then planned in full)."""
    values: dict[str, Any] = {}
    for field_name, value in source.key_values.items():
        steps = steps_of.get(field_name)
        if steps is None or value is None:
            continue
        convert, length, bounds = steps
        try:
            stored = convert(value)
        except ValueError:
            return None
        if stored is None:
            continue
        if (length and isinstance(stored, str) and len(stored) > length) or \
                (bounds is not None and not bounds[0] <= stored <= bounds[1]):
            return None
        values[field_name] = stored
    for name in required:
        if values.get(name) is None:
            return None
    return PlannedRow(source, Action.NEW, {}, values)


class _StoredFingerprint(NamedTuple):
    """A fingerprint stored for a natural key, with what its record is now."""

    fingerprint: str
    entity_id: int
    audit_mark: int
    current: int
    """The record's version (the one the fingerprint noted: others are not read)."""
    parents: tuple
    """The record's link columns, in the order of ``PARENT_COLUMNS`` of its kind."""


@cache
def _required_keys(kind: str) -> tuple[str, ...]:
    """The key fields a row of ``kind`` must have (for kinds keyed by either of two fields,
    ``_prepared`` asks for one of them instead); a portfolio-level RAID item has no project."""
    return tuple(name for name in KEY_FIELDS[kind] if not (kind == "raid" and name == "project"))


def natural_key_text(row: PlannedRow) -> str:
    """A live row's natural key as one text (what its fingerprint is stored under)."""
    return _natural_key_of(_key_tuple(row))


def _natural_key_of(key: tuple) -> str:
    """``natural_key_text`` of a row whose key tuple is ``key`` (a text part is its own text)."""
    return "\x1f".join([part if type(part) is str else _key_text(part) for part in key])


def _key_text(part: Any) -> str:
    if part is None:
        return ""
    if isinstance(part, tuple):
        return ":".join(_key_text(item) for item in part)
    if isinstance(part, dt.date):
        return part.isoformat()
    return str(part)


@cache
def audit_entity(kind: str) -> str:
    """The entity the audit trail names the records of ``kind`` by."""
    table = TABLES[kind]
    model = next(mapper.class_ for mapper in Base.registry.mappers if mapper.local_table is table)
    return getattr(model, "__audit_entity__", None) or table.name


CODE_PENDING = "\x00pending"
"""Stand-in code of a new project without one until _Planner._generate_codes gives it its own."""

CODE_LENGTH = 40
"""Project.code is String(40)."""


def code_from_name(name: str) -> str:
    """A project code made from its name: "Sea of Tranquility" -> "SEA-OF-TRANQUILITY" (at most 40 characters)."""
    words = re.findall(r"[A-Za-z0-9]+", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    code = "-".join(words).upper()[:CODE_LENGTH].rstrip("-")
    return code or "PROJECT"


def unique_code(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... (cut to fit 40 characters) when another project has it."""
    if base.upper() not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[:CODE_LENGTH - len(suffix)].rstrip("-") + suffix
        if candidate.upper() not in taken:
            return candidate
        number += 1


def is_generated_code(code: str, name: str) -> bool:
    """True when ``code`` is the one code_from_name/unique_code would give ``name`` ("MARS", "MARS-2")."""
    base = code_from_name(name)
    if code == base:
        return True
    match = re.fullmatch(r"(.+)-([0-9]+)", code)
    return bool(match) and int(match[2]) >= 2 and base.startswith(match[1])


TITLE_LENGTH = 300
"""RaidItem.title is String(300)."""


def title_from_description(description: str) -> str:
    """A RAID item's title from its description: the first line, cut to 300 characters with an ellipsis."""
    first = next((line.strip() for line in str(description).splitlines() if line.strip()), "")
    return first if len(first) <= TITLE_LENGTH else first[:TITLE_LENGTH - 1].rstrip() + "\u2026"


def _noun(kind: str) -> str:
    return {"projects": "project", "status": "status report", "raid": "RAID item", "milestones": "milestone",
            "people": "person", "allocations": "allocation", "scores": "score"}[kind]


def _fixed_key_fields(kind: str) -> frozenset[str]:
    """Key fields that identify the record and therefore never change by import."""
    return frozenset() if kind == "people" else frozenset(KEY_FIELDS[kind])  # projects: the code


def _nullable(kind: str, field_name: str) -> bool:
    column_name = column_of(kind, field_name)
    return column_name is not None and TABLES[kind].c[column_name].nullable and field_name not in REQUIRED_FIELDS[kind]


def _key_tuple(row: PlannedRow) -> tuple:
    """The comparable natural key of a live row."""
    if row.kind == "people":
        return person_key(row.values.get("email"), row.values.get("name"))
    if row.kind == "projects":
        code = row.values.get("code")
        return ("code", code) if code else ("name", (row.values.get("name") or "").lower())
    if row.kind == "allocations":
        return (row.refs["person"], row.refs["project"], row.values["start"])
    return tuple(row.key.values())


def _canonical_stored(kind: str, stored: Any, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A stored record's values under canonical field names (links shown by code or name).

    ``fields`` are ``stored._fields``, when the caller has them already.
    """
    values: dict[str, Any] = {}
    for name, position in _canonical_positions(kind, stored._fields if fields is None else fields):
        value = None if position is None else stored[position]
        if isinstance(value, Decimal):
            value = stored_converter(kind, name)(value)
        values[name] = value
    return values


@cache
def _canonical_positions(kind: str, fields: tuple[str, ...]) -> tuple[tuple[str, int | None], ...]:
    """Where each stored canonical field is in a fetched row with these column names.

    A link is read from its ``ref_<field>`` label (the code or name it points at) when the query
    has one, otherwise from the field's column; None when the row has neither.
    """
    index = {name: position for position, name in reversed(list(enumerate(fields)))}
    layout = []
    for name, column_name in FIELD_COLUMNS[kind].items():
        if column_name is None:
            continue
        label = f"ref_{name}"
        layout.append((name, index[label] if label in index else index.get(column_name)))
    return tuple(layout)


@cache
def _table_column_names(kind: str) -> tuple[str, ...]:
    return tuple(column.name for column in TABLES[kind].columns)


@cache
def _table_positions(kind: str, fields: tuple[str, ...]) -> tuple[int, ...]:
    """Positions of the kind's table columns in a fetched row with these column names."""
    index = {name: position for position, name in reversed(list(enumerate(fields)))}
    return tuple(index[name] for name in _table_column_names(kind))


@cache
def _table_getter(kind: str, fields: tuple[str, ...]) -> Callable[[Any], tuple]:
    """A function taking the kind's table columns, in table order, out of a fetched row with these column names."""
    positions = _table_positions(kind, fields)
    if len(positions) == 1:
        return lambda row: (row[positions[0]],)
    return itemgetter(*positions)


@cache
def _compared_fields(kind: str, mapped: frozenset[str]) -> tuple[str, ...]:
    """Stored fields of ``kind`` that a sheet with the ``mapped`` fields may change, in model order."""
    columns = FIELD_COLUMNS[kind]
    fixed = _fixed_key_fields(kind)
    return tuple(name for name in columns if columns[name] and name in mapped and name not in fixed)


@cache
def _field_steps(kind: str) -> dict[str, tuple[Callable[[Any], Any], int | None, tuple[float, float, str] | None]]:
    """Per field of ``kind`` that has an entry in FIELD_COLUMNS: its stored-form converter, the
    length limit of its column (``_check_length``) and its range (``_check_range``)."""
    return {name: (stored_converter(kind, name), _column_length(kind, name), RANGES.get((kind, name)))
            for name in FIELD_COLUMNS[kind]}


def _headers_of(sheet: ParsedSheet) -> dict[str, str]:
    """Canonical field -> the sheet's header for it: ``sheet.header_of`` as one dict lookup."""
    headers: dict[str, str] = {}
    for header, mapped in sheet.mapping.items():
        if mapped is not None:
            headers.setdefault(mapped, header)
    return headers


def _check_range(kind: str, field_name: str, value: Any) -> str | None:
    bounds = RANGES.get((kind, field_name))
    if bounds is None or value is None:
        return None
    low, high, what = bounds
    return None if low <= value <= high else f"is out of range; use {what}"


def _check_record(kind: str, sheet: ParsedSheet, merged: dict[str, Any]) -> list[RowError]:
    """Constraints that involve several fields, checked on the record as it would be stored."""
    order = DATE_ORDER.get(kind)
    if order:
        start, end = merged.get(order[0]), merged.get(order[1])
        if start is not None and end is not None and end < start:
            return [RowError(sheet.header_of(order[1]), end,
                             f"is before the {order[0]} date {start.isoformat()}; the end cannot come first")]
    return []


def _drop_duplicates(rows: list[tuple[ParsedSheet, PlannedRow]]) -> list[tuple[ParsedSheet, PlannedRow]]:
    """Keep the last row of each key; reject the earlier ones as superseded (see module docstring)."""
    last: dict[tuple, tuple[ParsedSheet, PlannedRow]] = {}
    for sheet, row in rows:
        last[_key_tuple(row)] = (sheet, row)
    kept = []
    for sheet, row in rows:
        winner_sheet, winner = last[_key_tuple(row)]
        if winner is row:
            kept.append((sheet, row))
            continue
        where = f"row {winner.row}" + ("" if winner_sheet is sheet else f" of sheet {winner_sheet.sheet}")
        if winner_sheet.file != sheet.file:
            where += f" of {winner_sheet.file}"
        key_text = ", ".join(str(json_value(v)) for v in row.key.values())
        first_key = next(iter(row.key))
        row.reject(RowError(sheet.header_of(first_key), row.values.get(first_key),
                            f"appears again on {where} ({key_text}); only the last one is imported"))
        winner.warnings.append(f"replaces row {row.row} of sheet {sheet.sheet}, which has the same key ({key_text})")
    return kept


def _register_new_parents(planner: _Planner, kind: str, rows: list[PlannedRow]) -> None:
    """Projects and people new in this import can be referred to by the kinds planned after them."""
    for row in rows:
        if row.action is not Action.NEW:
            continue
        if kind == "projects":
            planner.projects.add(None, row.values["code"], row.values.get("name"))
        elif kind == "people":
            planner.people.add(None, row.values.get("email"), row.values.get("name"))


def _warn_unstored_fields(sheet_plan: SheetPlan) -> None:
    columns = FIELD_COLUMNS[sheet_plan.kind]
    unstored = [header for header, mapped in sheet_plan.sheet.mapping.items()
                if mapped and mapped in columns and columns[mapped] is None]
    unknown = [header for header, mapped in sheet_plan.sheet.mapping.items() if mapped and mapped not in columns]
    if unstored or unknown:
        sheet_plan.warnings.append(
            f"{sheet_plan.sheet.file}, sheet {sheet_plan.sheet.sheet}: the columns {', '.join(unstored + unknown)} are read but not stored")
