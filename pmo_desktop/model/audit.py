"""The audit trail: one hash-chained event for every insert, update and delete.

ORM writes are audited by session hooks (``install_audit_hooks``). Bulk Core writes go through
``audited_execute``, which runs the statement and writes its events in the same transaction. Any
other Core insert, update or delete on an audited table raises ``AuditBypassError``, so no code
path can change stored data without leaving a record.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import itertools
import json
import math
import operator
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Delete,
    Engine,
    Index,
    Insert,
    Integer,
    String,
    Table,
    Update,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.sql import Executable

from .base import Base
from .enums import AuditAction, AuditSource

GENESIS_HASH = "0" * 64
_FLUSH_FLAG = "pmo_audit_flush"
_BULK_FLAG = "pmo_audit_bulk"


class AuditBypassError(RuntimeError):
    """A write tried to change an audited table without leaving audit events."""


class AuditEvent(Base):
    """Who changed what, when, from where, with the before and after of each field."""

    __tablename__ = "audit_event"
    __audit_entity__ = None
    # One record's history, and an entity's events replayed to a date, read by entity first.
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False), index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(20))
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    # {field: [before, after]}; inserts have before null, deletes after null.
    changes: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(500))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last link of the chain; updating it serialises audit writers across processes."""

    __tablename__ = "audit_head"

    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    count: Mapped[int] = mapped_column(Integer, default=0)


_UNAUDITED_TABLES = frozenset({"audit_event", "audit_head", "alembic_version", "import_fingerprint"})
"""The trail itself, and derived data that leaves no events (ImportFingerprint says why)."""


def audited_tables() -> frozenset[str]:
    """Names of every table whose changes must leave audit events."""
    return frozenset(t for t in Base.metadata.tables if t not in _UNAUDITED_TABLES)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One change to be written as an AuditEvent."""

    entity: str
    entity_id: int | None
    action: AuditAction
    changes: dict[str, list[Any]] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class EncodedAuditRecord:
    """An AuditRecord whose changes are already their hash-input text (``insert_change_texts``)."""

    entity: str
    entity_id: int | None
    action: AuditAction
    changes_text: str
    note: str | None = None


@dataclass(slots=True)
class AuditContext:
    """Who is writing and through which door; kept in ``Session.info`` and ``Connection.info``."""

    actor: str
    source: AuditSource = AuditSource.UI
    batch_id: int | None = None
    note: str | None = None
    at: dt.datetime | None = None
    """When the writes happened (UTC, naive); None means now. Only the demo office sets it, to lay
    out a believable recent history; the hash chain covers it like any other field."""


def current_user() -> str:
    """The OS login name, or PMO_USER when the office configures one."""
    configured = os.environ.get("PMO_USER")
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (containers, services)
        return "unknown"


def set_audit_context(target: Session | Connection, context: AuditContext) -> None:
    """Attribute the writes of this session or connection to ``context``."""
    target.info["audit_context"] = context


def get_audit_context(target: Session | Connection) -> AuditContext:
    ctx = target.info.get("audit_context")
    if ctx is None:
        ctx = AuditContext(actor=current_user())
        target.info["audit_context"] = ctx
    return ctx


def jsonable(value: Any) -> Any:
    """A value as it is stored in the audit JSON (dates ISO, Decimals as exact strings)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=str))
    return str(value)


_HASH_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""The encoder of the hash input: what ``json.dumps(..., sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` builds on every call, built once (the same text, byte for byte)."""

JSON_NATIVE = frozenset({str, int, float, bool, type(None)})
"""Types whose values ``jsonable`` returns as they are (exact types: a cheap test before the call)."""


def insert_change_texts(columns: dict[str, Sequence[Any]]) -> list[str]:
    """For each row of ``columns``, the hash-input text of its insert changes: ``{name: [None,
    jsonable(value)]}`` for each value that is not None, as ``_HASH_JSON.encode`` gives it
    (compact, keys sorted), built a column at a time.

    Text, whole numbers and finite floats are encoded as that encoder encodes them
    (``encode_basestring``, ``int.__repr__``, ``float.__repr__``), Decimals and dates as the
    text ``jsonable`` gives them; any other value by the encoder, after ``jsonable``. The keys of
    the encoder's sort are the column names: sorted once. Each piece carries its leading comma
    (a None none), so a row is its pieces joined, less the first comma; a text or a date that
    repeats down a column is encoded once (equal Decimals can differ in text: 1.0, 1.00).
    """
    encode = _HASH_JSON.encode
    isfinite = math.isfinite
    date_type = dt.date
    pieces = []
    for name in sorted(columns):
        prefix = f",{encode_basestring(name)}:[null,"
        texts: dict[str, str] = {}
        dates: dict[dt.date, str] = {}
        column: list[str] = []
        append = column.append
        for value in columns[name]:
            kind = type(value)
            if kind is str:
                piece = texts.get(value)
                if piece is None:
                    piece = texts[value] = f"{prefix}{encode_basestring(value)}]"
            elif value is None:
                piece = ""
            elif kind is int or (kind is float and isfinite(value)):
                piece = f"{prefix}{value!r}]"
            elif kind is Decimal:
                piece = f'{prefix}"{value:f}"]'
            elif kind is date_type:
                piece = dates.get(value)
                if piece is None:
                    piece = dates[value] = f'{prefix}"{value.isoformat()}"]'
            else:
                piece = f"{prefix}{encode(jsonable(value))}]"
            append(piece)
        pieces.append(column)
    return ["{" + "".join(row)[1:] + "}" for row in zip(*pieces, strict=True)]


def _event_hash(prev_hash: str, at: dt.datetime, ctx_actor: str, source: str, batch_id: int | None,
                record_entity: str, entity_id: int | None, action: str, changes: dict, note: str | None) -> str:
    payload = _HASH_JSON.encode(
        [prev_hash, at.replace(tzinfo=None).isoformat(timespec="microseconds"), ctx_actor, source, batch_id,
         record_entity, entity_id, action, changes, note]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def event_hash(row: Any) -> str:
    """Recompute the hash of a stored audit event (a row or an AuditEvent)."""
    return _event_hash(row.prev_hash, row.at, row.actor, row.source, row.batch_id, row.entity,
                       row.entity_id, row.action, row.changes, row.note)


AUDIT_CHUNK = 5_000
"""Audit events built, hashed and inserted at a time, and rows of ``audited_insert_columns`` sent
at a time: a bulk write's memory stays bounded."""


def write_audit_records(conn: Connection, context: AuditContext,
                        records: Iterable[AuditRecord | EncodedAuditRecord]) -> None:
    """Append ``records`` to the chain inside the caller's transaction.

    ``records`` may be a generator: it is read, hashed and inserted ``AUDIT_CHUNK`` at a time,
    in order and all with one ``at``; the chain's head is read once and moved once, so the
    events are those of one write of the whole sequence.
    """
    batches = _batched(records, AUDIT_CHUNK)
    first = next(batches, None)
    if first is None:
        return
    head_table = AuditHead.__table__
    head = conn.execute(
        select(head_table.c.id, head_table.c.last_hash, head_table.c.count).with_for_update()
    ).first()
    if head is None:
        conn.execute(insert(head_table).values(id=1, last_hash=GENESIS_HASH, count=0))
        prev_hash, count = GENESIS_HASH, 0
    else:
        prev_hash, count = head.last_hash, head.count
    at = context.at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    chain = _Chain(context, at, prev_hash)
    store = _EventStore(conn, context, at)
    written = 0
    for batch in itertools.chain((first,), batches):
        store.insert(chain.link(batch, as_text=store.as_text))
        written += len(batch)
    conn.execute(
        update(head_table).where(head_table.c.id == 1).values(last_hash=chain.prev_hash, count=count + written)
    )


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class _Chain:
    """Hashes records in order, each on the hash of the one before (``_event_hash``'s input).

    The payload is the compact JSON of ``[prev_hash, at, actor, source, batch_id, entity,
    entity_id, action, changes, note]``. The parts every event of one write shares are encoded
    once, and as the encoder joins a list's items with ",", the pieces put together are the same
    text, byte for byte, as the whole list encoded at once: old chains verify, and new events
    verify with ``event_hash``.
    """

    __slots__ = ("note", "prev_hash", "_prev_json", "_shared", "_encoded")

    def __init__(self, context: AuditContext, at: dt.datetime, prev_hash: str) -> None:
        self.note = context.note
        self.prev_hash = prev_hash
        self._prev_json = _HASH_JSON.encode(prev_hash)
        self._shared = _HASH_JSON.encode(
            [at.isoformat(timespec="microseconds"), context.actor, context.source.value, context.batch_id])[1:-1]
        self._encoded: dict[tuple[type, Any], str] = {}

    def _json(self, value: Any) -> str:
        """The JSON of a scalar that repeats (entity, action, note), encoded once per value."""
        key = (type(value), value)
        text = self._encoded.get(key)
        if text is None:
            text = self._encoded[key] = _HASH_JSON.encode(value)
        return text

    def link(self, records: Sequence[AuditRecord | EncodedAuditRecord], *, as_text: bool) -> list[tuple]:
        """Each record as the fields of ``_EVENT_FIELDS``, hashed onto the chain.

        ``changes`` is the hash input's compact text when ``as_text``, else a dict with its keys
        in order.
        """
        encode = _HASH_JSON.encode
        sha256 = hashlib.sha256
        json_of = self._json
        shared = self._shared
        prev_hash, prev_json = self.prev_hash, self._prev_json
        rows = []
        for record in records:
            note = record.note if record.note is not None else self.note
            action = record.action.value
            entity_id = record.entity_id
            if type(record) is EncodedAuditRecord:
                changes_text = record.changes_text
                changes = changes_text if as_text else json.loads(changes_text)
            else:
                changes_text = encode(record.changes)
                changes = changes_text if as_text else dict(sorted(record.changes.items()))
            id_json = str(entity_id) if type(entity_id) is int else encode(entity_id)
            payload = (f"[{prev_json},{shared},{json_of(record.entity)},{id_json},{json_of(action)},"
                       f"{changes_text},{json_of(note)}]")
            digest = sha256(payload.encode("utf-8")).hexdigest()
            rows.append((record.entity, entity_id, action, changes, note, prev_hash, digest))
            prev_hash, prev_json = digest, f'"{digest}"'
        self.prev_hash, self._prev_json = prev_hash, prev_json
        return rows


_EVENT_FIELDS = ("entity", "entity_id", "action", "changes", "note", "prev_hash", "hash")
"""The fields of an audit event that differ from event to event, in ``_Chain.link``'s order."""


class _EventStore:
    """Inserts linked events into ``audit_event`` with the fields every event of one write shares.

    On SQLite the changes are stored as the very text the hash encodes (compact, keys sorted):
    one encoding per event instead of two; the rows go to the driver's executemany as tuples,
    ``at`` converted once by its column's own bind processing (``driver_insert``: the values Core
    would store). Elsewhere the JSON column encodes the dict itself, through Core.
    """

    __slots__ = ("conn", "as_text", "shared", "bound_shared", "sql", "pick")

    def __init__(self, conn: Connection, context: AuditContext, at: dt.datetime) -> None:
        self.conn = conn
        self.as_text = conn.dialect.name == "sqlite"
        self.shared = {"at": at, "actor": context.actor, "source": context.source.value,
                       "batch_id": context.batch_id, "created_at": at, "updated_at": at}
        if self.as_text:
            names = [*_EVENT_FIELDS, *self.shared]
            statement = driver_insert(conn, AuditEvent.__table__, names)
            self.bound_shared = tuple(statement.bind(name, value) for name, value in self.shared.items())
            self.sql = statement.sql
            self.pick = operator.itemgetter(*(names.index(name) for name in statement.order))

    def insert(self, rows: list[tuple]) -> None:
        if self.as_text:
            shared, pick = self.bound_shared, self.pick
            self.conn.exec_driver_sql(self.sql, [pick(row + shared) for row in rows])
        else:
            shared = self.shared
            self.conn.execute(insert(AuditEvent.__table__),
                              [{**dict(zip(_EVENT_FIELDS, row, strict=True)), **shared} for row in rows])


@dataclass(frozen=True, slots=True)
class DriverInsert:
    """An INSERT of given columns as the driver's own SQL, for rows bound as plain tuples.

    ``order`` is the columns' order in each tuple; ``processors`` are the columns' bind
    processors for this dialect (dates to text on SQLite, Decimals to floats...), the very
    conversions Core applies, so the driver stores exactly what a Core insert would.
    """

    sql: str
    order: tuple[str, ...]
    processors: dict[str, Callable[[Any], Any]]

    def bind(self, name: str, value: Any) -> Any:
        """``value`` as the driver receives it for column ``name``."""
        processor = self.processors.get(name)
        return value if processor is None else processor(value)

    def bind_column(self, name: str, values: list[Any]) -> list[Any]:
        """A whole column's values as the driver receives them; a date repeated down it, or one
        value given for every row (a batch's timestamp), is converted once."""
        processor = self.processors.get(name)
        if processor is None:
            return values
        if values and all(value is values[0] for value in values):
            return [processor(values[0])] * len(values)
        date_type = dt.date
        dates: dict[dt.date, Any] = {}
        out = []
        for value in values:
            if type(value) is date_type:
                bound = dates.get(value)
                if bound is None:
                    bound = dates[value] = processor(value)
                out.append(bound)
            else:
                out.append(processor(value))
        return out


def driver_insert(conn: Connection, table: Table, names: Sequence[str]) -> DriverInsert:
    """The INSERT of ``names`` into ``table`` compiled for ``conn``'s dialect, for tuples of values.

    Only for writes that audit themselves (``audited_insert_columns``, ``write_audit_records``):
    the driver's SQL is not seen by the guard on Core statements. Raises ValueError when the
    dialect does not take positional parameters or the statement would need values besides
    ``names`` (a default computed per row for a column left out).
    """
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(names))
    order = tuple(compiled.positiontup or ())
    if not conn.dialect.positional or set(order) != set(names) or len(order) != len(names):
        raise ValueError(f"an insert of {', '.join(names)} into {table.name} cannot be bound as plain tuples")
    return DriverInsert(str(compiled), order, dict(compiled._bind_processors))


def audited_insert_columns(conn: Connection, table: Table, columns: dict[str, list[Any]],
                           records: Iterable[AuditRecord | EncodedAuditRecord], context: AuditContext) -> None:
    """Insert rows given column by column through the driver's executemany, then their audit records.

    ``columns`` maps each column to its values, one per row, all of the same length; each column
    is converted by its bind processor once, as a list (``DriverInsert``); the rows' tuples are
    made and sent ``AUDIT_CHUNK`` at a time, so that only a chunk of them is held at once.
    ``records`` (often a generator over the same values) are written after the rows, in the same
    transaction: both are written or neither. Raises ValueError, before writing anything, where
    ``driver_insert`` does.
    """
    statement = driver_insert(conn, table, list(columns))
    bound = [statement.bind_column(name, columns[name]) for name in statement.order]
    for start in range(0, len(bound[0]) if bound else 0, AUDIT_CHUNK):
        end = start + AUDIT_CHUNK
        conn.exec_driver_sql(statement.sql, list(zip(*[values[start:end] for values in bound], strict=True)))
    write_audit_records(conn, context, records)


def audited_execute(
    conn: Connection,
    statement: Executable,
    params: Sequence[dict] | dict | None = None,
    records: Iterable[AuditRecord] = (),
    context: AuditContext | None = None,
):
    """Run a bulk Core insert/update/delete and write its audit records in the same transaction."""
    conn.info[_BULK_FLAG] = conn.info.get(_BULK_FLAG, 0) + 1
    try:
        result = conn.execute(statement, params) if params is not None else conn.execute(statement)
    finally:
        conn.info[_BULK_FLAG] -= 1
    write_audit_records(conn, context or get_audit_context(conn), list(records))
    return result


def _entity_name(obj: Base) -> str:
    return obj.__audit_entity__ or obj.__tablename__


def _column_keys(obj: Base) -> list[str]:
    mapper = obj.__mapper__
    return [attr.key for attr in mapper.column_attrs if attr.key not in obj.__audit_exclude__ and attr.key != "id"]


def _insert_record(obj: Base) -> AuditRecord:
    changes = {}
    for key in _column_keys(obj):
        value = getattr(obj, key)
        if value is not None:
            changes[key] = [None, jsonable(value)]
    return AuditRecord(_entity_name(obj), obj.id, AuditAction.INSERT, changes)


def _update_record(obj: Base) -> AuditRecord | None:
    changes = {}
    for key in _column_keys(obj):
        hist = get_history(obj, key)
        if not hist.has_changes():
            continue
        before = hist.deleted[0] if hist.deleted else None
        after = hist.added[0] if hist.added else None
        if jsonable(before) != jsonable(after):
            changes[key] = [jsonable(before), jsonable(after)]
    if not changes:
        return None
    return AuditRecord(_entity_name(obj), obj.id, AuditAction.UPDATE, changes)


def _delete_record(obj: Base) -> AuditRecord:
    changes = {}
    for key in _column_keys(obj):
        hist = get_history(obj, key)
        value = hist.deleted[0] if hist.deleted else getattr(obj, key, None)
        if value is not None:
            changes[key] = [jsonable(value), None]
    return AuditRecord(_entity_name(obj), obj.id, AuditAction.DELETE, changes)


def _is_audited(obj: object) -> bool:
    return isinstance(obj, Base) and obj.__tablename__ not in _UNAUDITED_TABLES


def _on_before_flush(session: Session, flush_context, instances) -> None:
    # Deleted rows must be described before the flush expires them.
    session.info["_pending_delete_records"] = [_delete_record(o) for o in session.deleted if _is_audited(o)]
    conn = session.connection()
    conn.info[_FLUSH_FLAG] = True


def _on_after_flush(session: Session, flush_context) -> None:
    conn = session.connection()
    conn.info[_FLUSH_FLAG] = False
    records: list[AuditRecord] = []
    records.extend(_insert_record(o) for o in session.new if _is_audited(o))
    # session.dirty is a set: order the updates by table and id so that the same changes always
    # give the same chain (and a reader of the trail sees them in a stable order).
    dirty = sorted((o for o in session.dirty if _is_audited(o)), key=lambda o: (o.__tablename__, o.id or 0))
    for obj in dirty:
        if session.is_modified(obj, include_collections=False):
            record = _update_record(obj)
            if record is not None:
                records.append(record)
    deletes = session.info.pop("_pending_delete_records", [])
    records.extend(deletes)
    records.extend(_orphan_delete_records(flush_context, {(r.entity, r.entity_id) for r in deletes}))
    write_audit_records(conn, get_audit_context(session), records)


def _orphan_delete_records(flush_context, described: set[tuple[str, int | None]]) -> list[AuditRecord]:
    """Rows the flush deleted that ``session.deleted`` did not list before it: delete-orphans.

    A child removed from a ``delete-orphan`` collection is only found to be an orphan inside the
    flush; the unit of work's states say which rows it deleted. Their values are still loaded.
    """
    found = [state.obj() for state, (is_delete, list_only) in flush_context.states.items()
             if is_delete and not list_only]
    orphans = [o for o in found if o is not None and _is_audited(o)
               and (_entity_name(o), o.id) not in described]
    return [_delete_record(o) for o in sorted(orphans, key=lambda o: (o.__tablename__, o.id or 0))]


def _on_after_rollback(session: Session) -> None:
    session.info.pop("_pending_delete_records", None)


def _statement_table(statement: Any) -> str | None:
    if isinstance(statement, Insert | Update | Delete):
        table = statement.table
        return getattr(table, "name", None)
    return None


def _on_before_execute(conn: Connection, clauseelement, multiparams, params, execution_options):
    table = _statement_table(clauseelement)
    if table is None or table in _UNAUDITED_TABLES or table not in Base.metadata.tables:
        return
    if conn.info.get(_FLUSH_FLAG) or conn.info.get(_BULK_FLAG):
        return
    raise AuditBypassError(
        f"A write to '{table}' was attempted outside the audited paths (ORM session or audited_execute)."
    )


def _reset_connection_flags(dbapi_connection, connection_record) -> None:
    connection_record.info.pop(_FLUSH_FLAG, None)
    connection_record.info.pop(_BULK_FLAG, None)


_SESSION_HOOKS_INSTALLED = False


def install_audit_hooks(engine: Engine) -> None:
    """Make every ORM session audit its flushes and let no unaudited Core write through ``engine``."""
    global _SESSION_HOOKS_INSTALLED
    if not _SESSION_HOOKS_INSTALLED:
        event.listen(Session, "before_flush", _on_before_flush)
        event.listen(Session, "after_flush", _on_after_flush)
        event.listen(Session, "after_soft_rollback", lambda s, t: _on_after_rollback(s))
        _SESSION_HOOKS_INSTALLED = True
    if not event.contains(engine, "before_execute", _on_before_execute):
        event.listen(engine, "before_execute", _on_before_execute)
        event.listen(engine.pool, "checkin", _reset_connection_flags)
        event.listen(engine.pool, "reset", lambda c, r, reset_state: _reset_connection_flags(c, r))


def verify_chain(conn: Connection) -> tuple[int, AuditEvent | None]:
    """Walk the chain in order; return (events checked, first broken event or None)."""
    table = AuditEvent.__table__
    prev = GENESIS_HASH
    checked = 0
    for row in conn.execute(select(table).order_by(table.c.id)).yield_per(5000):
        if row.prev_hash != prev or event_hash(row) != row.hash:
            return checked, row
        prev = row.hash
        checked += 1
    return checked, None
