"""Reading the audit trail: who changed what, when and from where, in words a coordinator reads.

``audit_rows`` lists events newest first with one Core query, filtered by entity, user, source,
import batch, date range and text. Each event names its record ("PRJ-014", "R-007 (PRJ-014)",
"Dana Shah"): the labels are resolved in bulk, one query per entity in the result, and a record
deleted since falls back to what its own event recorded (or "#id"). ``record_history`` gives every
change to one record, field by field, oldest first.

Times are stored in UTC; they are shown, and the date range is read, in the computer's local time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Numeric, String, Table, and_, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from ..model.audit import AuditEvent
from ..model.base import Base
from ..model.database import load_settings
from ..model.enums import (
    Cadence,
    DateOrder,
    Decision,
    Escalation,
    Methodology,
    MilestoneStatus,
    PmoType,
    RaidKind,
    RaidStatus,
    RiskResponse,
    Stage,
)
from ..model.imports import ImportBatch

DEFAULT_LIMIT = 200_000
SUMMARY_FIELDS = 6  # an insert or delete lists this many fields, then "+N more"
VALUE_WIDTH = 40  # long texts are cut to this many characters in a summary
_LEADING_FIELDS = ("code", "ref", "name", "title", "kind", "status", "stage", "rag")
_HIDDEN_IN_SUMMARY = frozenset({"scope_key"})

ENTITY_LABELS: dict[str, str] = {
    "programme": "Programme",
    "project": "Project",
    "milestone": "Milestone",
    "status_report": "Status report",
    "strategic_criterion": "Strategic criterion",
    "project_score": "Project score",
    "scenario": "Scenario",
    "scenario_project": "Scenario project",
    "raid_item": "RAID item",
    "person": "Person",
    "role": "Role",
    "skill": "Skill",
    "person_skill": "Person skill",
    "absence": "Absence",
    "holiday": "Holiday",
    "allocation": "Allocation",
    "demand": "Demand",
    "gate": "Gate",
    "gate_criterion": "Gate criterion",
    "gate_review": "Gate review",
    "gate_criterion_result": "Gate criterion result",
    "gate_condition": "Gate condition",
    "stage_change": "Stage change",
    "methodology_standard": "Methodology standard",
    "standard_milestone": "Standard milestone",
    "standard_raid_item": "Standard RAID item",
    "office_settings": "Office settings",
    "import_batch": "Import batch",
    "saved_mapping": "Saved mapping",
    "datamap": "Datamap",
}

# Coded values shown by their labels ("Business case", not "business_case"); RAG keeps its letters.
_ENUM_FIELDS: dict[tuple[str, str], type] = {
    ("project", "stage"): Stage, ("project", "methodology"): Methodology,
    ("milestone", "status"): MilestoneStatus,
    ("raid_item", "kind"): RaidKind, ("raid_item", "status"): RaidStatus, ("raid_item", "response"): RiskResponse,
    ("raid_item", "escalation"): Escalation,
    ("gate", "from_stage"): Stage, ("gate", "to_stage"): Stage,
    ("stage_change", "from_stage"): Stage, ("stage_change", "to_stage"): Stage,
    ("gate_review", "decision"): Decision,
    ("methodology_standard", "methodology"): Methodology,
    ("office_settings", "pmo_type"): PmoType, ("office_settings", "reporting_cadence"): Cadence,
    ("office_settings", "date_order"): DateOrder,
}

SOURCE_LABELS = {"ui": "Desktop", "import": "Import", "cli": "Command line", "system": "System"}
ACTION_LABELS = {"insert": "Created", "update": "Changed", "delete": "Deleted"}


class AuditRow(NamedTuple):
    """One event as listed: the first nine fields are what a table shows.

    ``entity_key`` (the table name) and ``entity_id`` say which record's history to read.
    """

    id: int
    when: dt.datetime
    who: str
    source: str
    batch: str | None
    entity: str
    record: str
    action: str
    summary: str
    entity_key: str
    entity_id: int | None


class HistoryRow(NamedTuple):
    """One field of one event in a record's history, values as a reader sees them."""

    field: str
    before: str
    after: str
    who: str
    when: dt.datetime
    source: str
    action: str
    event_id: int


@dataclass(frozen=True, slots=True)
class BatchChoice:
    """An import batch as offered in a filter: its id and "file.xlsx (#12)"."""

    id: int
    label: str


# -- times ------------------------------------------------------------------------------------
def _to_local(at: dt.datetime) -> dt.datetime:
    """A stored UTC time as the computer's local wall-clock time (naive)."""
    return at + _local_offset(at.year, at.month, at.day, at.hour)


@lru_cache(maxsize=4096)
def _local_offset(year: int, month: int, day: int, hour: int) -> dt.timedelta:
    # The offset holds for the hour (DST moves on the hour), so a long trail converts in a few lookups.
    utc = dt.datetime(year, month, day, hour, tzinfo=dt.UTC)
    return utc.astimezone().replace(tzinfo=None) - utc.replace(tzinfo=None)


def _stored_time(value: dt.datetime | str) -> dt.datetime:
    """A stored time read as text (SQLite) or as a datetime (PostgreSQL), naive UTC."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value.replace(tzinfo=None)


def _stored_changes(value: dict | str | None) -> dict:
    """The changes as stored: JSON text (SQLite; decoded here, faster than the JSON type) or a dict."""
    if isinstance(value, str):
        return json.loads(value)
    return value or {}


class _Event(NamedTuple):
    id: int
    at: dt.datetime
    actor: str
    source: str
    batch_id: int | None
    entity: str
    entity_id: int | None
    action: str
    changes: dict


def _to_utc(moment: dt.date | dt.datetime) -> dt.datetime:
    """A local date (its midnight) or local time as the naive UTC time the trail stores."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means local
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


# -- record labels ----------------------------------------------------------------------------
def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _fmt_day(value: Any) -> str:
    day = _as_date(value)
    return day.strftime("%d %b %Y") if day else ""


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _join(*parts: Any, sep: str = " ") -> str:
    return sep.join(str(p) for p in parts if p not in (None, ""))


def _stage(value: Any) -> str | None:
    """A stage's label ("Business case"), or the stored value when it is not a stage."""
    try:
        return Stage(value).label if value else None
    except ValueError:
        return str(value)


def _in_project(label: str, project: Any) -> str:
    return f"{label} ({project})" if project else label


@dataclass(frozen=True, slots=True)
class _LabelSpec:
    """How records of one entity are named: a query of (id, fields...) and a formatter.

    ``fields`` maps a field name to a column expression (joins come from ``joins``); ``searched``
    names the fields a text filter matches; ``fmt`` builds the label from the fields (a mapping,
    which may lack fields when read from an event's own changes) and returns "" when it cannot.
    """

    table: str
    fields: Callable[[], dict[str, ColumnElement]]
    fmt: Callable[[Mapping[str, Any]], str]
    joins: Callable[[Any], Any] = lambda query: query
    searched: tuple[str, ...] = ()


def _name_spec(table: str, column: str = "name") -> _LabelSpec:
    return _LabelSpec(table, lambda: {column: _table(table).c[column]}, lambda f: _join(f.get(column)),
                      searched=(column,))


def _project_child_spec(table: str, own: dict[str, str], fmt: Callable[[Mapping[str, Any]], str],
                        searched: tuple[str, ...] = ()) -> _LabelSpec:
    """Records that belong to a project: their own fields plus the project's code."""

    def fields() -> dict[str, ColumnElement]:
        t, p = _table(table), _table("project")
        return {**{k: t.c[c] for k, c in own.items()}, "project_code": p.c.code}

    def joins(query):
        t, p = _table(table), _table("project")
        return query.select_from(t.outerjoin(p, p.c.id == t.c.project_id))

    return _LabelSpec(table, fields, fmt, joins, searched=(*searched, "project_code"))


def _gate_review_spec() -> _LabelSpec:
    def fields():
        r, p, g = _table("gate_review"), _table("project"), _table("gate")
        return {"project_code": p.c.code, "gate": g.c.name, "review_date": r.c.review_date}

    def joins(query):
        r, p, g = _table("gate_review"), _table("project"), _table("gate")
        return query.select_from(r.outerjoin(p, p.c.id == r.c.project_id).outerjoin(g, g.c.id == r.c.gate_id))

    return _LabelSpec("gate_review", fields,
                      lambda f: _join(f.get("project_code"), f.get("gate"), _fmt_day(f.get("review_date")),
                                      sep=" · "),
                      joins, searched=("project_code", "gate"))


def _review_child_spec(table: str, own: str, fmt: Callable[[Mapping[str, Any]], str]) -> _LabelSpec:
    """Conditions and criterion results: named by their review's project and their own text."""

    def fields():
        t, p = _table(table), _table("project")
        return {own: t.c[own], "project_code": p.c.code}

    def joins(query):
        t, r, p = _table(table), _table("gate_review"), _table("project")
        return query.select_from(t.outerjoin(r, r.c.id == t.c.review_id).outerjoin(p, p.c.id == r.c.project_id))

    return _LabelSpec(table, fields, fmt, joins, searched=("project_code",))


def _person_child_spec(table: str, own: dict[str, str], fmt: Callable[[Mapping[str, Any]], str],
                       project: bool = False) -> _LabelSpec:
    """Allocations, absences and skills: named by the person (and the project, for allocations)."""

    def fields():
        t, pe = _table(table), _table("person")
        out = {**{k: t.c[c] for k, c in own.items()}, "person": pe.c.name}
        if project:
            out["project_code"] = _table("project").c.code
        return out

    def joins(query):
        t, pe = _table(table), _table("person")
        source = t.outerjoin(pe, pe.c.id == t.c.person_id)
        if project:
            p = _table("project")
            source = source.outerjoin(p, p.c.id == t.c.project_id)
        return query.select_from(source)

    return _LabelSpec(table, fields, fmt, joins, searched=("person", "project_code") if project else ("person",))


def _label_specs() -> dict[str, _LabelSpec]:
    trunc = _truncate
    specs = [
        _name_spec("programme"),
        _LabelSpec("project", lambda: {"code": _table("project").c.code, "name": _table("project").c.name},
                   lambda f: _join(f.get("code")) or _join(f.get("name")), searched=("code", "name")),
        _project_child_spec("milestone", {"name": "name"},
                            lambda f: _in_project(_join(f.get("name")), f.get("project_code")) if f.get("name") else "",
                            searched=("name",)),
        _project_child_spec("status_report", {"period_end": "period_end"},
                            lambda f: _in_project(f"Report {_fmt_day(f.get('period_end'))}", f.get("project_code"))
                            if f.get("period_end") else ""),
        _project_child_spec("raid_item", {"ref": "ref"},
                            lambda f: (_in_project(f["ref"], f.get("project_code") or "portfolio")
                                       if f.get("ref") else ""),
                            searched=("ref",)),
        _project_child_spec("project_score", {"criterion_id": "criterion_id"},
                            lambda f: _join(f.get("project_code"))),
        _project_child_spec("scenario_project", {"scenario_id": "scenario_id"}, lambda f: _join(f.get("project_code"))),
        _project_child_spec("demand", {"start_date": "start_date"},
                            lambda f: _join(f.get("project_code"), _fmt_day(f.get("start_date")), sep=" from ")),
        _project_child_spec("stage_change", {"from_stage": "from_stage", "to_stage": "to_stage"},
                            lambda f: _in_project(_join(_stage(f.get("from_stage")), _stage(f.get("to_stage")),
                                                        sep=" → "), f.get("project_code"))
                            if f.get("to_stage") else ""),
        _name_spec("strategic_criterion"),
        _name_spec("scenario"),
        _name_spec("role"),
        _name_spec("skill"),
        _name_spec("person"),
        _name_spec("gate"),
        _name_spec("datamap"),
        _name_spec("standard_milestone"),
        _name_spec("standard_raid_item", "title"),
        _name_spec("methodology_standard", "methodology"),
        _name_spec("import_batch", "file_name"),
        _name_spec("saved_mapping", "sample_file"),
        _LabelSpec("holiday", lambda: {"name": _table("holiday").c.name, "day": _table("holiday").c.day},
                   lambda f: _join(f.get("name"), _fmt_day(f.get("day")), sep=", "), searched=("name",)),
        _LabelSpec("gate_criterion", lambda: {"name": _table("gate_criterion").c.name},
                   lambda f: _join(f.get("name")), searched=("name",)),
        _gate_review_spec(),
        _review_child_spec("gate_condition", "text",
                           lambda f: _in_project(trunc(f.get("text") or ""), f.get("project_code"))
                           if f.get("text") else ""),
        _review_child_spec("gate_criterion_result", "criterion_id", lambda f: _join(f.get("project_code"))),
        _person_child_spec("allocation", {"start_date": "start_date"},
                           lambda f: _join(f.get("person"), f.get("project_code"), sep=" → "), project=True),
        _person_child_spec("absence", {"start_date": "start_date"},
                           lambda f: _join(f.get("person"), _fmt_day(f.get("start_date")), sep=", from ")),
        _person_child_spec("person_skill", {"skill_id": "skill_id"}, lambda f: _join(f.get("person"))),
        _LabelSpec("office_settings", lambda: {"currency": _table("office_settings").c.currency},
                   lambda f: "Office settings"),
    ]
    return {spec.table: spec for spec in specs if spec.table in Base.metadata.tables}


_SPECS: dict[str, _LabelSpec] | None = None


def _specs() -> dict[str, _LabelSpec]:
    global _SPECS
    if _SPECS is None:
        _SPECS = _label_specs()
    return _SPECS


def entity_label(entity: str) -> str:
    """"RAID item" for "raid_item"; an unknown table reads as its name in words."""
    return ENTITY_LABELS.get(entity, entity.replace("_", " ").capitalize())


# Above this many ids a label query reads the whole table rather than list them all in IN (...).
_MAX_IN = 2000


def _live_labels(session: Session, spec: _LabelSpec, ids: set[int]) -> dict[int, str]:
    """Labels of the records of one entity that still exist, in one query."""
    table = _table(spec.table)
    fields = spec.fields()
    query = spec.joins(select(table.c.id.label("_record_id"), *[c.label(k) for k, c in fields.items()]))
    if len(ids) <= _MAX_IN:
        query = query.where(table.c.id.in_(ids))
    labels = {}
    for row in session.execute(query):
        if row._record_id in ids:
            labels[row._record_id] = spec.fmt(row._mapping)
    return labels


def _fields_of(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """A record's fields as one event saw them (the value after, or before for a delete)."""
    fields = {}
    for name, pair in (changes or {}).items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            fields[name] = pair[1] if pair[1] is not None else pair[0]
    return fields


def _record_labels(session: Session, events: Sequence[Any]) -> dict[tuple[str, int | None], str]:
    """(entity, id) -> label for every record the events touch: one query per entity."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.entity_id is not None:
            wanted[event.entity].add(event.entity_id)
    labels: dict[tuple[str, int | None], str] = {}
    specs = _specs()
    for entity, ids in wanted.items():
        spec = specs.get(entity)
        if spec is None:
            continue
        for record_id, label in _live_labels(session, spec, ids).items():
            if label:
                labels[(entity, record_id)] = label
    return labels


def _record_label(event: Any, labels: Mapping[tuple[str, int | None], str]) -> str:
    label = labels.get((event.entity, event.entity_id))
    if label:
        return label
    spec = _specs().get(event.entity)
    if spec is not None:
        try:
            own = spec.fmt(_fields_of(event.changes))
        except (KeyError, TypeError, ValueError):
            own = ""
        if own:
            return own
    return f"#{event.entity_id}" if event.entity_id is not None else ""


# -- values in words ----------------------------------------------------------------------------
def _truncate(text: str, width: int = VALUE_WIDTH) -> str:
    """One line of at most ``width`` characters (line breaks and runs of spaces become one space)."""
    text = str(text)
    if len(text) <= width and _PLAIN.fullmatch(text):
        return text
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


_PLAIN = re.compile(r"(?:\S+(?: \S+)*)?")


@lru_cache(maxsize=1024)
def _column_kind(entity: str, field: str) -> str:
    """"money", "percent", "date", "bool" or "" for a field of an entity's table."""
    table = Base.metadata.tables.get(entity)
    if table is None or field not in table.c:
        return ""
    column = table.c[field]
    if "percent" in field:
        return "percent"
    if isinstance(column.type, Numeric) and column.type.asdecimal:
        return "money"
    python_type = _python_type(column)
    if python_type is bool:
        return "bool"
    if python_type is dt.date:
        return "date"
    if python_type is dt.datetime:
        return "datetime"
    return ""


def _python_type(column) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def format_change_value(entity: str, field: str, value: Any, currency: str = "£", *, short: bool = True) -> str:
    """A stored audit value in words: "£120,000", "45%", "12 Nov 2026", "Yes"; "" for none."""
    if value is None or value == "":
        return ""
    enum = _ENUM_FIELDS.get((entity, field))
    if enum is not None and isinstance(value, str):
        try:
            return enum(value).label
        except ValueError:  # a value from before the enumeration changed
            return value
    kind = _column_kind(entity, field)
    try:
        if kind == "money":
            amount = Decimal(str(value))
            sign = "-" if amount < 0 else ""
            decimals = 0 if amount == amount.to_integral_value() else 2
            return f"{sign}{currency}{abs(amount):,.{decimals}f}"
        if kind == "percent":
            return f"{float(value) * 100:.0f}%"
        if kind == "date":
            return _fmt_day(value) or str(value)
        if kind == "datetime" and isinstance(value, str):
            return dt.datetime.fromisoformat(value).strftime("%d %b %Y %H:%M")
        if kind == "bool":
            return "Yes" if value else "No"
    except (ValueError, TypeError, InvalidOperation):
        pass
    if isinstance(value, dict | list):
        value = ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else ", ".join(
            str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _truncate(str(value)) if short else str(value)


def field_label(field: str) -> str:
    """"percent complete" for "percent_complete"."""
    return field.replace("_", " ")


def summarise_changes(entity: str, action: str, changes: Mapping[str, Any] | None, currency: str = "£") -> str:
    """One line: "rag: A → R; budget: £100,000 → £120,000"; an insert or delete lists its values."""
    changes = changes or {}
    parts = []
    if action == "update":
        for name, pair in changes.items():
            before, after = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            old = format_change_value(entity, name, before, currency) or "—"
            new = format_change_value(entity, name, after, currency) or "—"
            parts.append(f"{field_label(name)}: {old} → {new}")
        return "; ".join(parts)
    fields = _fields_of(changes)
    # A new or removed record reads best by its name; internal keys say nothing to a reader.
    shown = sorted(((k, v) for k, v in fields.items()
                    if v not in (None, "") and not k.endswith("_id") and k not in _HIDDEN_IN_SUMMARY),
                   key=lambda kv: (_LEADING_FIELDS.index(kv[0]) if kv[0] in _LEADING_FIELDS else len(_LEADING_FIELDS)))
    for name, value in shown[:SUMMARY_FIELDS]:
        parts.append(f"{field_label(name)}: {format_change_value(entity, name, value, currency)}")
    if len(shown) > SUMMARY_FIELDS:
        parts.append(f"+{len(shown) - SUMMARY_FIELDS} more")
    return "; ".join(parts)


# -- queries ------------------------------------------------------------------------------------
def _text_condition(text: str) -> ColumnElement[bool]:
    """Events whose user, note or changed values contain ``text``, or whose record's name does."""
    event = AuditEvent.__table__
    pattern = f"%{text.strip()}%"
    conditions: list[ColumnElement[bool]] = [
        event.c.actor.ilike(pattern),
        event.c.note.ilike(pattern),
        cast(event.c.changes, String).ilike(pattern),
    ]
    for entity, label in ENTITY_LABELS.items():
        if text.strip().casefold() in label.casefold():
            conditions.append(event.c.entity == entity)
    for spec in _specs().values():
        if not spec.searched:
            continue
        table = _table(spec.table)
        fields = spec.fields()
        matching = spec.joins(select(table.c.id)).where(or_(*[fields[k].ilike(pattern) for k in spec.searched]))
        conditions.append(and_(event.c.entity == spec.table, event.c.entity_id.in_(matching.scalar_subquery())))
    return or_(*conditions)


def _batch_labels(session: Session, batch_ids: Iterable[int]) -> dict[int, str]:
    ids = {b for b in batch_ids if b is not None}
    if not ids:
        return {}
    table = ImportBatch.__table__
    rows = session.execute(select(table.c.id, table.c.file_name).where(table.c.id.in_(ids)))
    return {row.id: batch_label(row.id, row.file_name) for row in rows}


def batch_label(batch_id: int, file_name: str | None) -> str:
    """"status-oct.xlsx (#12)": the file's name without its folder, and the batch number."""
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return f"{name} (#{batch_id})" if name else f"Import #{batch_id}"


def _currency(session: Session, currency: str | None) -> str:
    return currency if currency is not None else load_settings(session).currency_symbol


def audit_rows(session: Session, *, entity: str | Iterable[str] | None = None, actor: str | None = None,
               source: str | None = None, batch_id: int | None = None,
               since: dt.date | dt.datetime | None = None, until: dt.date | dt.datetime | None = None,
               text: str | None = None, limit: int = DEFAULT_LIMIT, currency: str | None = None) -> list[AuditRow]:
    """Audit events, newest first, each with its record named and its changes in one line.

    ``entity`` is a table name ("project") or several; ``since`` and ``until`` are local dates or
    times, both inclusive (a date ``until`` takes in the whole day). ``text`` matches the user,
    the note, any changed value, the entity's name and the record's name (code, ref, person...).
    At most ``limit`` events are read (the newest). ``currency`` defaults to the office's.
    """
    event = AuditEvent.__table__
    # Time and changes as the database gives them: SQLite's text parses several times faster with
    # fromisoformat and json.loads than through the column types' processors (at 150,000 events,
    # 3 s of the query's 3.5).
    query = select(event.c.id, type_coerce(event.c.at, String).label("at"), event.c.actor, event.c.source,
                   event.c.batch_id, event.c.entity, event.c.entity_id, event.c.action,
                   type_coerce(event.c.changes, String).label("changes"))
    if entity:
        entities = [entity] if isinstance(entity, str) else list(entity)
        query = query.where(event.c.entity.in_(entities))
    if actor:
        query = query.where(event.c.actor == actor)
    if source:
        query = query.where(event.c.source == source)
    if batch_id is not None:
        query = query.where(event.c.batch_id == batch_id)
    if since is not None:
        query = query.where(event.c.at >= _to_utc(since))
    if isinstance(until, dt.datetime):
        query = query.where(event.c.at <= _to_utc(until))
    elif until is not None:  # the whole day: before the next midnight
        query = query.where(event.c.at < _to_utc(until + dt.timedelta(days=1)))
    if text and text.strip():
        query = query.where(_text_condition(text))
    query = query.order_by(event.c.at.desc(), event.c.id.desc()).limit(limit)
    events = [_Event(e.id, _stored_time(e.at), e.actor, e.source, e.batch_id, e.entity, e.entity_id, e.action,
                     _stored_changes(e.changes)) for e in session.execute(query)]
    money = _currency(session, currency)
    labels = _record_labels(session, events)
    batches = _batch_labels(session, (e.batch_id for e in events))
    return [
        AuditRow(e.id, _to_local(e.at), e.actor, SOURCE_LABELS.get(e.source, e.source), batches.get(e.batch_id),
                 entity_label(e.entity), _record_label(e, labels), ACTION_LABELS.get(e.action, e.action),
                 summarise_changes(e.entity, e.action, e.changes, money), e.entity, e.entity_id)
        for e in events
    ]


def record_history(session: Session, entity: str, entity_id: int, *, currency: str | None = None) -> list[HistoryRow]:
    """Every change to one record, oldest first, one row per field (values in words)."""
    event = AuditEvent.__table__
    events = session.execute(
        select(event.c.id, event.c.at, event.c.actor, event.c.source, event.c.action, event.c.changes)
        .where(event.c.entity == entity, event.c.entity_id == entity_id)
        .order_by(event.c.at, event.c.id)
    ).all()
    money = _currency(session, currency)
    references = _referenced_labels(session, entity, [e.changes or {} for e in events])

    def shown(name: str, value: Any) -> str:
        target = _reference_target(entity, name)
        if target is not None and value is not None:
            label = references.get((target, value))
            if label:
                return label
        return format_change_value(entity, name, value, money, short=False)

    rows = []
    for e in events:
        when, source, action = _to_local(e.at), SOURCE_LABELS.get(e.source, e.source), ACTION_LABELS.get(
            e.action, e.action)
        for name, pair in (e.changes or {}).items():
            if name in _HIDDEN_IN_SUMMARY:
                continue
            before, after = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            rows.append(HistoryRow(_reference_field_label(entity, name), shown(name, before), shown(name, after),
                                   e.actor, when, source, action, e.id))
    return rows


@lru_cache(maxsize=512)
def _reference_target(entity: str, field: str) -> str | None:
    """The table a foreign-key field points at ("programme" for project.programme_id), if any."""
    table = Base.metadata.tables.get(entity)
    if table is None or field not in table.c:
        return None
    for key in table.c[field].foreign_keys:
        return key.column.table.name
    return None


def _reference_field_label(entity: str, field: str) -> str:
    """"programme" rather than "programme id" when the history shows the programme's name."""
    if _reference_target(entity, field) is not None and field.endswith("_id"):
        return field_label(field[:-3])
    return field_label(field)


def _referenced_labels(session: Session, entity: str, changes: Sequence[Mapping[str, Any]]) -> dict[tuple, str]:
    """(table, id) -> label of every record the changes' foreign keys name: one query per table."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for change in changes:
        for name, pair in change.items():
            target = _reference_target(entity, name)
            if target is None or not isinstance(pair, list | tuple):
                continue
            wanted[target].update(v for v in pair if isinstance(v, int))
    labels: dict[tuple, str] = {}
    for target, ids in wanted.items():
        spec = _specs().get(target)
        if spec is not None:
            labels.update(((target, i), label) for i, label in _live_labels(session, spec, ids).items() if label)
    return labels


def record_label(session: Session, entity: str, entity_id: int) -> str:
    """The readable name of one record ("PRJ-014"), or "#id" when it is gone and nothing recorded it."""
    event = AuditEvent.__table__
    latest = session.execute(
        select(event.c.entity, event.c.entity_id, event.c.changes)
        .where(event.c.entity == entity, event.c.entity_id == entity_id)
        .order_by(event.c.id.desc()).limit(1)
    ).first()
    probe = latest if latest is not None else _Probe(entity, entity_id, {})
    return _record_label(probe, _record_labels(session, [probe]))


class _Probe(NamedTuple):
    entity: str
    entity_id: int | None
    changes: dict


def audit_entities(session: Session) -> list[tuple[str, str]]:
    """(table name, readable name) of every entity with events, by readable name."""
    event = AuditEvent.__table__
    names = session.scalars(select(event.c.entity).distinct()).all()
    return sorted(((n, entity_label(n)) for n in names), key=lambda pair: pair[1].casefold())


def audit_actors(session: Session) -> list[str]:
    """Every user who has changed something, alphabetically."""
    event = AuditEvent.__table__
    return sorted(session.scalars(select(event.c.actor).distinct()).all(), key=str.casefold)


def audit_batches(session: Session) -> list[BatchChoice]:
    """The import batches with events, newest first."""
    table = ImportBatch.__table__
    rows = session.execute(select(table.c.id, table.c.file_name).order_by(table.c.id.desc()))
    return [BatchChoice(row.id, batch_label(row.id, row.file_name)) for row in rows]


def audit_event_count(session: Session) -> int:
    """How many events the trail holds."""
    return session.scalar(select(func.count()).select_from(AuditEvent.__table__)) or 0


__all__ = [
    "ACTION_LABELS", "ENTITY_LABELS", "SOURCE_LABELS", "AuditRow", "BatchChoice", "HistoryRow", "audit_actors",
    "audit_batches", "audit_entities", "audit_event_count", "audit_rows", "batch_label", "entity_label",
    "field_label", "format_change_value", "record_history", "record_label", "summarise_changes",
]
