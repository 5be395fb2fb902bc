"""Bulk writing for generated data: Core inserts in batches, each row with its audit event.

The generator hands over plain row dicts with their ids already assigned (so that children can
point at parents without a round trip). ``BulkWriter`` inserts them table by table through
``audited_execute``, which writes one AuditRecord per row in the same transaction, and on
PostgreSQL moves each id sequence past the ids it used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import Date, DateTime, Numeric, Table, func, insert, select
from sqlalchemy.engine import Connection

from ..model import AuditAction, AuditContext, AuditRecord
from ..model.audit import audited_execute
from ..model.base import Base, utcnow

BATCH_ROWS = 5_000
"""Rows per executemany: large enough to amortise the round trip, small enough to bound memory."""

_NOT_AUDITED = frozenset({"id", "created_at", "updated_at", "version"})


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _decimal(value):
    return format(value, "f") if isinstance(value, Decimal) else value


def _converters(table: Table) -> dict[str, Callable]:
    """Per column, how a value becomes its audit JSON form (as ``model.audit.jsonable`` does).

    Only dates and numerics need converting; looking that up once per table instead of testing
    every value's type keeps the audit records cheap at 200,000 rows.
    """
    converters: dict[str, Callable] = {}
    for column in table.c:
        if isinstance(column.type, Date | DateTime):
            converters[column.name] = _iso
        elif isinstance(column.type, Numeric):
            converters[column.name] = _decimal
    return converters


class BulkWriter:
    """Assigns ids and inserts rows of one model at a time, audited, inside the caller's transaction."""

    def __init__(self, conn: Connection, context: AuditContext, *, batch_rows: int | None = None):
        self.conn = conn
        self.context = context
        self.batch_rows = batch_rows or BATCH_ROWS
        self.counts: dict[str, int] = {}
        self._next_id: dict[str, int] = {}
        self._stamp = utcnow()

    def new_id(self, model: type[Base]) -> int:
        """The next free id of ``model``'s table (read once from the table, then counted here)."""
        table = model.__tablename__
        if table not in self._next_id:
            self._next_id[table] = (self.conn.scalar(select(func.max(model.__table__.c.id))) or 0) + 1
        value = self._next_id[table]
        self._next_id[table] = value + 1
        return value

    def insert(self, model: type[Base], rows: Sequence[dict]) -> None:
        """Insert ``rows`` (each with its id and the same keys) and one audit event per row."""
        if not rows:
            return
        table = model.__table__
        entity = model.__audit_entity__ or model.__tablename__
        versioned = "version" in table.c
        statement = insert(table)
        converters = [(key, fn) for key, fn in _converters(table).items() if key in rows[0]]
        for start in range(0, len(rows), self.batch_rows):
            batch = rows[start:start + self.batch_rows]
            records = []
            for row in batch:
                row["created_at"] = row["updated_at"] = self._stamp
                if versioned:
                    row["version"] = 1
                changes = {key: [None, value] for key, value in row.items()
                           if value is not None and key not in _NOT_AUDITED}
                for key, convert in converters:
                    if key in changes:
                        changes[key][1] = convert(changes[key][1])
                records.append(AuditRecord(entity, row["id"], AuditAction.INSERT, changes))
            audited_execute(self.conn, statement, batch, records, self.context)
        self.counts[entity] = self.counts.get(entity, 0) + len(rows)

    def finish(self) -> None:
        """On PostgreSQL, move every id sequence past the ids this writer assigned itself."""
        if self.conn.dialect.name != "postgresql":
            return
        for name in self._next_id:
            table = Base.metadata.tables[name]
            highest = select(func.coalesce(func.max(table.c.id), 1)).scalar_subquery()
            self.conn.execute(select(func.setval(func.pg_get_serial_sequence(name, "id"), highest)))
