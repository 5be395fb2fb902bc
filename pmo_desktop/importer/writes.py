"""Audited bulk writes by Core: insert, update and delete many rows of one table at once.

Each function writes through ``audited_execute`` with the caller's AuditContext and leaves one
AuditRecord per row, in the caller's transaction: the rows and their audit events are written
together or not at all. Inserts carry the after value of each column, updates the before and
after of each changed column, deletes the values before deletion. Used by the import (apply and undo of a batch).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from ..model import AuditAction, AuditContext, AuditRecord, Base
from ..model.audit import (
    AUDIT_CHUNK,
    JSON_NATIVE,
    EncodedAuditRecord,
    audited_execute,
    audited_insert_columns,
    insert_change_texts,
    jsonable,
    write_audit_records,
)
from ..model.base import utcnow
from .plan import chunks

BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "version"})
"""Columns the audit trail leaves out (as the ORM hooks do)."""


class ApplyError(Exception):
    """An import that could not be written; nothing was written. The message says what to do."""


class StaleRowError(ApplyError):
    """A record changed between planning and applying the import."""





def entity_of(table: Table) -> str:
    mapper_class = next((m.class_ for m in Base.registry.mappers if m.local_table is table), None)
    # A plain str: the table's name is a SQLAlchemy quoted_name, which the driver would inspect
    # for an adapter at every row of the audit events.
    return str(getattr(mapper_class, "__audit_entity__", None) or table.name)


def _scalar_defaults(table: Table) -> dict[str, Any]:
    """Python-side scalar defaults of the table's columns (stage 'idea', version 1, ...)."""
    return {c.name: c.default.arg for c in table.columns
            if c.default is not None and c.default.is_scalar and c.name not in BOOKKEEPING}


def _chosen_ids(conn: Connection, table: Table, count: int) -> list[int] | None:
    """Ids for ``count`` new rows of ``table`` on SQLite, the ones SQLite itself would give; None elsewhere.

    With the ids known, the rows go in as one plain executemany: asking for them back in order
    (``RETURNING`` sorted by parameter) makes SQLAlchemy send SQLite one INSERT per row, three
    times slower at 50,000 rows. The write transaction is IMMEDIATE, so no other writer can take
    an id in between; the tables have no AUTOINCREMENT, so SQLite's own choice is the largest id
    plus one, which is what this gives. Other databases keep their sequences and ``RETURNING``.
    """
    if conn.dialect.name != "sqlite":
        return None
    first = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(first, first + count))


def insert_rows(conn: Connection, context: AuditContext, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (one dict per row) in one executemany and audit each; return their new ids in order.

    ``insert_columns`` of the same values: the columns are those any row names, a column a row
    leaves out is None for that row.
    """
    if not rows:
        return []
    names = dict.fromkeys(name for row in rows for name in row)
    return insert_columns(conn, context, table, {name: [row.get(name) for row in rows] for name in names})


def insert_columns(conn: Connection, context: AuditContext, table: Table, columns: dict[str, list[Any]]) -> list[int]:
    """Insert rows given column by column (one list of values per column, all of one length) in one
    executemany and audit each; return their new ids in order.

    A None takes the column's scalar default where it has one; a column not given takes its
    default, or the database's. On SQLite (ids chosen here) the columns are bound for the
    driver's executemany as they are (``audited_insert_columns``): no dict per row, and per-row
    parameter handling by Core cost as much as SQLite's own work. Elsewhere the insert goes
    through ``audited_execute``, the database returning the ids, and its per-row records (which
    need those ids) are appended right after it by ``write_audit_records``. Either way in the
    caller's transaction: rows and audit events are written together or not at all.
    """
    count = len(next(iter(columns.values()), ()))
    if not count:
        return []
    now = utcnow()
    defaults = _scalar_defaults(table)
    full: dict[str, list[Any]] = {}
    for name, values in columns.items():
        if name in defaults:  # a None takes the default
            fallback = defaults[name]
            values = [fallback if value is None else value for value in values]
        full[name] = values
    for name, fallback in defaults.items():
        full.setdefault(name, [fallback] * count)
    full.setdefault("created_at", [now] * count)
    full.setdefault("updated_at", [now] * count)
    if "version" in table.c:
        full.setdefault("version", [1] * count)
    entity = entity_of(table)
    ids = _chosen_ids(conn, table, count)
    if ids is None:
        names = list(full)
        params = [dict(zip(names, values, strict=True)) for values in zip(*full.values(), strict=True)]
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = list(audited_execute(conn, statement, params, (), context).scalars())
        write_audit_records(conn, context, _insert_records(entity, ids, params))
        return ids
    full["id"] = ids
    audited_insert_columns(conn, table, full, _insert_records_by_column(entity, ids, full), context)
    return ids


def _insert_records(entity: str, ids: Sequence[int], params: Sequence[dict[str, Any]]) -> Iterator[AuditRecord]:
    """The audit record of each inserted row: the after value of each column that is not None."""
    native = JSON_NATIVE
    for row_id, param in zip(ids, params, strict=True):
        yield AuditRecord(entity, row_id, AuditAction.INSERT,
                          {k: [None, v if type(v) in native else jsonable(v)]
                           for k, v in param.items() if v is not None and k not in BOOKKEEPING})


def _insert_records_by_column(entity: str, ids: list[int], columns: dict[str, list[Any]]) -> Iterator[EncodedAuditRecord]:
    """``_insert_records`` of rows given column by column, their changes encoded a column and a chunk at a time."""
    names = [name for name in columns if name not in BOOKKEEPING]
    for start in range(0, len(ids), AUDIT_CHUNK):
        end = start + AUDIT_CHUNK
        texts = insert_change_texts({name: columns[name][start:end] for name in names})
        for row_id, text in zip(ids[start:end], texts, strict=True):
            yield EncodedAuditRecord(entity, row_id, AuditAction.INSERT, text)


UpdateItem = tuple[int, int | None, dict[str, Any], dict[str, Any]]
"""(record id, expected version or None, before values, after values) of one row."""


def update_rows(conn: Connection, context: AuditContext, table: Table, items: Sequence[UpdateItem]) -> None:
    """Update rows by id in one executemany per set of columns; bump version; audit each row."""
    groups: dict[tuple[str, ...], list[UpdateItem]] = defaultdict(list)
    for item in items:
        groups[tuple(sorted(item[3]))].append(item)
    versioned = "version" in table.c
    entity = entity_of(table)
    now = utcnow()
    for columns, group in groups.items():
        statement = update(table).where(table.c.id == bindparam("b_id"))
        values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in columns}
        values["updated_at"] = bindparam("b_now")
        if versioned:
            statement = statement.where(table.c.version == bindparam("b_version"))
            values["version"] = table.c.version + 1
        statement = statement.values(values)
        params = []
        records = []
        for record_id, version, before, after in group:
            param = {"b_id": record_id, "b_now": now, **{f"v_{name}": after[name] for name in columns}}
            if versioned:
                param["b_version"] = version
            params.append(param)
            records.append(AuditRecord(entity, record_id, AuditAction.UPDATE,
                                       {name: [jsonable(before.get(name)), jsonable(after[name])] for name in columns}))
        result = audited_execute(conn, statement, params, records, context)
        if conn.dialect.supports_sane_multi_rowcount and result.rowcount not in (-1, len(params)):
            raise StaleRowError(
                f"{len(params) - result.rowcount} {entity} record(s) changed while the import was being written. "
                "Nothing was written; try again."
            )


def delete_rows(conn: Connection, context: AuditContext, table: Table, ids: Sequence[int]) -> None:
    """Delete rows by id in one executemany, auditing each with its values before deletion."""
    if not ids:
        return
    before: dict[int, dict[str, Any]] = {}
    for chunk in chunks(list(ids)):
        for row in conn.execute(select(table).where(table.c.id.in_(chunk))):
            before[row.id] = dict(row._mapping)
    entity = entity_of(table)
    records = [
        AuditRecord(entity, row_id, AuditAction.DELETE,
                    {k: [jsonable(v), None] for k, v in before[row_id].items() if v is not None and k not in BOOKKEEPING})
        for row_id in ids if row_id in before
    ]
    audited_execute(conn, delete(table).where(table.c.id == bindparam("b_id")),
                    [{"b_id": row_id} for row_id in ids], records, context)
