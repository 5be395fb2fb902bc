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
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
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
    Text,
    Update,
    bindparam,
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


_UNAUDITED_TABLES = frozenset({"audit_event", "audit_head", "alembic_version"})


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


def write_audit_records(conn: Connection, context: AuditContext, records: Sequence[AuditRecord]) -> None:
    """Append ``records`` to the chain inside the caller's transaction."""
    if not records:
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
    # The parts of the hash input that every record of this call shares, encoded once; each
    # record's payload is then the same text json.dumps of the whole list would give.
    at_text = at.isoformat(timespec="microseconds")
    source = context.source.value
    # On SQLite the changes are stored as the very text the hash encodes (compact, keys sorted):
    # one encoding per event instead of two. Elsewhere the JSON column encodes its dict itself.
    as_text = conn.dialect.name == "sqlite"
    rows = []
    for record in records:
        note = record.note if record.note is not None else context.note
        action = record.action.value
        changes_text = _HASH_JSON.encode(record.changes)
        # The encoder joins a list's items with ",": the same text as encoding the whole list.
        head = _HASH_JSON.encode([prev_hash, at_text, context.actor, source, context.batch_id,
                                  record.entity, record.entity_id, action])
        payload = f"{head[:-1]},{changes_text},{_HASH_JSON.encode(note)}]"
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        row = {
            "at": at, "actor": context.actor, "source": source, "batch_id": context.batch_id,
            "entity": record.entity, "entity_id": record.entity_id, "action": action, "note": note,
            "prev_hash": prev_hash, "hash": digest, "created_at": at, "updated_at": at,
        }
        if as_text:
            row["changes_text"] = changes_text
        else:
            row["changes"] = dict(sorted(record.changes.items()))
        rows.append(row)
        prev_hash = digest
    statement = insert(AuditEvent.__table__)
    if as_text:
        statement = statement.values(changes=bindparam("changes_text", type_=Text))
    conn.execute(statement, rows)
    conn.execute(
        update(head_table).where(head_table.c.id == 1).values(last_hash=prev_hash, count=count + len(rows))
    )


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
