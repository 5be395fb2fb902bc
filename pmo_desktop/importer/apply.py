"""Apply an import plan as one audited ImportBatch, and undo a batch as a whole.

``apply_plan`` writes a plan in one transaction: the ImportBatch row first (ORM, audited), then
per table bulk inserts (the new rows handed over a column at a time, ``writes.insert_columns``)
and bulk updates (``update ... where id = :b_id and version = :b_version`` executemany, one
statement per set of changed columns). Every write goes through ``audited_execute`` with the batch's AuditContext and
leaves one AuditRecord per row: inserts carry the after value of each column, updates the
before and after of each changed column. Updates increment ``version``; a row whose version
moved since the plan was made stops the whole import (plan again).

Decisions:

* Re-importing a file that changes nothing still records a batch (with zero inserted and
  updated rows): the office's history then shows that the manager's file arrived and when.
* ``undo_batch`` restores the columns the batch changed to their audited before values and
  deletes the rows it inserted, in one transaction, audited as the current user with the
  batch's id and the note "undo of import batch N". It refuses, naming the records, when a
  later change touched a row of the batch or a later row refers to a row the batch inserted:
  undoing then would silently discard someone's later work. Undo moves ``version`` and
  ``updated_at`` forward (stale copies elsewhere must conflict) and restores everything else.
* A batch is undone once; a second undo is refused.
* The batch also keeps the fingerprint of each row of it that was read key first
  (importer/fingerprints.py): new, updated and unchanged alike, except rows already recognised
  by a fingerprint still valid. They replace the kind's fingerprints for the same keys, in the
  same transaction, and leave no audit events (derived data: model/imports.py says why). Undo
  removes the batch's fingerprints; the audit events it writes would retire them anyway.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    Table,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..model import (
    AuditAction,
    AuditContext,
    AuditEvent,
    AuditSource,
    Base,
    BatchStatus,
    ImportBatch,
    ImportFingerprint,
    RaidItem,
)
from ..model.audit import audited_execute, audited_insert_columns, set_audit_context
from ..model.base import utcnow
from ..model.database import Database
from .fingerprints import READ_FIRST
from .plan import (
    FIELD_COLUMNS,
    KINDS,
    LOOKUP_FIELDS,
    NAMED_LINKS,
    PROJECT_REFERENCES,
    TABLES,
    Action,
    DeferredRow,
    ImportPlan,
    PlannedRow,
    chunks,
    natural_key_text,
)
from .writes import (
    ApplyError,
    StaleRowError,
    UpdateItem,
    delete_rows,
    entity_of,
    insert_columns,
    insert_rows,
    update_rows,
)


class UndoError(Exception):
    """A batch that cannot be undone; the message names the batch and why."""


# ---------------------------------------------------------------------------------------------
# Apply
# ---------------------------------------------------------------------------------------------


def apply_plan(db: Database, plan: ImportPlan, *, file_name: str, sha256: str, kind: str,
               mapping: dict | None) -> ImportBatch:
    """Write the new and updated rows of ``plan`` as one ImportBatch in one transaction."""
    counts = plan.counts
    try:
        with db.transaction(source=AuditSource.IMPORT) as session:
            batch = ImportBatch(
                file_name=file_name, sha256=sha256, kind=kind, mapping=mapping, imported_by=db.actor,
                inserted=counts.new, updated=counts.update, unchanged=counts.unchanged, rejected=counts.reject,
                status=BatchStatus.APPLIED.value,
            )
            session.add(batch)
            session.flush()
            context = AuditContext(db.actor, AuditSource.IMPORT, batch.id)
            set_audit_context(session, context)
            writer = _PlanWriter(session.connection(), context, plan)
            writer.write()
            _keep_fingerprints(session.connection(), context, plan, writer.new_ids)
    except IntegrityError as exc:
        raise ApplyError(
            f"{file_name} was not imported: the database refused one of its rows ({exc.orig}). "
            "Nothing was written. Correct the file or plan the import again."
        ) from exc
    return batch


@dataclass(slots=True)
class _PlanWriter:
    """Writes the live rows of a plan, parents first, resolving links by natural key."""

    conn: Connection
    context: AuditContext
    plan: ImportPlan
    lookups: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    project_ids: dict[str, int] = field(default_factory=dict)
    person_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    new_ids: dict[int, int] = field(default_factory=dict)
    """id() of each new row written -> the id of the record it became."""

    def write(self) -> None:
        self._create_lookups()
        for kind in KINDS:
            rows = [row for row in self.plan.rows(kind) if row.action in (Action.NEW, Action.UPDATE)]
            if not rows:
                continue
            self._resolve_parents(kind, rows)
            table = TABLES[kind]
            updates = [row for row in rows if row.action is Action.UPDATE]
            self._check_versions(table, updates)
            inserted = [row for row in rows if row.action is Action.NEW]
            ids = insert_columns(self.conn, self.context, table, self._new_columns(kind, inserted))
            self.new_ids.update(zip(map(id, inserted), ids, strict=True))
            changes = [(row, self._changed_columns(kind, row)) for row in updates]
            update_rows(self.conn, self.context, table, [
                (row.record_id, row.version, {column: row.stored[column] for column in after}, after)
                for row, after in changes
            ])

    # -- links --------------------------------------------------------------------------------

    def _create_lookups(self) -> None:
        """Find (or create) the programmes and roles the plan names, one query per table."""
        for (kind, field_name), (table, name_column) in LOOKUP_FIELDS.items():
            names = sorted({row.writes[field_name] for row in self.plan.rows(kind)
                            if row.action in (Action.NEW, Action.UPDATE) and row.writes.get(field_name)})
            known = self.lookups.setdefault((kind, field_name), {})
            if not names:
                continue
            known.update(_ids_by(self.conn, table, table.c[name_column], names))
            missing = [name for name in names if name not in known]
            ids = insert_rows(self.conn, self.context, table, [{name_column: name} for name in missing])
            known.update(zip(missing, ids, strict=True))

    def _resolve_parents(self, kind: str, rows: list[PlannedRow]) -> None:
        codes = sorted({code for row in rows for name in PROJECT_REFERENCES
                        if (code := row.refs.get(name)) and code not in self.project_ids})
        project = TABLES["projects"]
        self.project_ids.update(_ids_by(self.conn, project, project.c.code, codes))
        missing = [code for code in codes if code not in self.project_ids]
        if kind == "allocations":
            keys = {row.refs["person"] for row in rows if row.refs.get("person_id") is None}
            self.person_ids.update(_person_ids(self.conn, keys))
            missing += [value for key in keys if key not in self.person_ids for value in key[1:]]
        if missing:
            raise ApplyError(f"{', '.join(missing)} are no longer in the database; plan the import again.")

    def _new_columns(self, kind: str, rows: list[PlannedRow]) -> dict[str, list[Any]]:
        """``_columns`` of new rows a column at a time: one list of values per column, no dict per row.

        A column is there when any row writes its field; a row that does not write it has None.
        """
        if not rows:
            return {}
        writes = [row.writes for row in rows]
        present = set().union(*writes)
        columns: dict[str, list[Any]] = {}
        for field_name, (column, link) in _write_targets(kind).items():
            if field_name not in present:
                continue
            values = [written.get(field_name) for written in writes]
            if link is _LOOKUP:
                ids = self.lookups[(kind, field_name)]
                values = [None if value is None else ids[value] for value in values]
            elif link is _PROJECT:
                ids = self.project_ids
                values = [None if value is None else ids[row.refs[field_name]]
                          for value, row in zip(values, rows, strict=True)]
            columns[column] = values
        if kind == "raid":  # the item's scope follows its project
            project_ids = columns.setdefault("project_id", [None] * len(rows))
            columns["scope_key"] = [RaidItem.scope_key_for(project_id) for project_id in project_ids]
        elif kind == "allocations":
            person_ids = self.person_ids
            columns["person_id"] = [person_id if (person_id := row.refs.get("person_id")) is not None
                                    else person_ids[row.refs["person"]] for row in rows]
        elif kind == "scores":
            columns["criterion_id"] = [row.refs["criterion_id"] for row in rows]
        return columns

    def _changed_columns(self, kind: str, row: PlannedRow) -> dict[str, Any]:
        """An updated row's changed fields as column values, links replaced by ids."""
        columns: dict[str, Any] = {}
        targets = _write_targets(kind)
        for field_name, value in row.writes.items():
            target = targets.get(field_name)
            if target is None:
                continue
            column, link = target
            if link is _LOOKUP and value is not None:
                value = self.lookups[(kind, field_name)][value]
            elif link is _PROJECT and value is not None:
                value = self.project_ids[row.refs[field_name]]
            columns[column] = value
        return columns

    def _check_versions(self, table: Table, rows: list[PlannedRow]) -> None:
        """Refuse when a record changed since it was planned (its version moved)."""
        expected = {row.record_id: row for row in rows}
        current: dict[int, int] = {}
        for chunk in chunks(sorted(expected)):
            query = select(table.c.id, table.c.version).where(table.c.id.in_(chunk)).with_for_update()
            current.update((r.id, r.version) for r in self.conn.execute(query))
        stale = [row for record_id, row in expected.items() if current.get(record_id) != row.version]
        if stale:
            where = ", ".join(f"{r.source.sheet} row {r.row}" for r in stale[:5])
            raise StaleRowError(
                f"{len(stale)} record(s) were changed by someone else after this import was planned ({where}). "
                "Nothing was written; plan the import again."
            )


def _keep_fingerprints(conn: Connection, context: AuditContext, plan: ImportPlan, new_ids: dict[int, int]) -> None:
    """Store the fingerprint of each live row read key first (see the module docstring).

    New and updated records are noted at their version after this batch and at its last audit
    event; unchanged ones at the version and the audit event the plan read them at (a change
    made since the plan then retires the fingerprint). The fingerprint table is derived data
    (model/imports.py): its rows go through the audited doors for Core writes
    (``audited_insert_columns``, ``audited_execute``) with no audit records.
    """
    mark = conn.scalar(select(func.max(AuditEvent.__table__.c.id))) or 0
    found: dict[str, tuple[list[Any], ...]] = {}
    for row in plan.rows():
        source = row.source
        if row.recognised or not isinstance(source, DeferredRow) or row.kind not in READ_FIRST:
            continue
        if row.action is Action.NEW:
            record, version, seen = new_ids[id(row)], 1, mark
        elif row.action is Action.UPDATE:
            record, version, seen = row.record_id, row.version + 1, mark
        elif row.action is Action.UNCHANGED and row.record_id is not None:
            record, version, seen = row.record_id, row.version, plan.audit_mark
        else:
            continue
        keys, hashes, records, versions, marks = found.setdefault(row.kind, ([], [], [], [], []))
        keys.append(natural_key_text(row))
        hashes.append(source.fingerprint)
        records.append(record)
        versions.append(version)
        marks.append(seen)
    table = ImportFingerprint.__table__
    now = utcnow()
    for kind, (keys, hashes, records, versions, marks) in found.items():
        if conn.scalar(select(table.c.id).where(table.c.kind == kind).limit(1)) is not None:  # some to replace
            for chunk in chunks(keys):
                audited_execute(conn, delete(table).where(table.c.kind == kind, table.c.natural_key.in_(chunk)),
                                None, (), context)
        count = len(keys)
        columns = {"kind": [kind] * count, "natural_key": keys, "fingerprint": hashes, "entity_id": records,
                   "version": versions, "audit_mark": marks, "batch_id": [context.batch_id] * count,
                   "created_at": [now] * count, "updated_at": [now] * count}
        try:  # bound as plain tuples for the driver's executemany (SQLite)
            audited_insert_columns(conn, table, columns, (), context)
        except ValueError:  # a driver that takes named parameters only: Core's executemany
            names = list(columns)
            audited_execute(conn, insert(table), [dict(zip(names, values, strict=True))
                                                  for values in zip(*columns.values(), strict=True)], (), context)


_LOOKUP = "lookup"
_PROJECT = "project"


@cache
def _write_targets(kind: str) -> dict[str, tuple[str, str | None]]:
    """Canonical field -> (its column, how its value becomes an id: _LOOKUP, _PROJECT or None).

    Fields without a column, and the links resolved apart (an allocation's person, a score's
    criterion), are left out.
    """
    targets: dict[str, tuple[str, str | None]] = {}
    for field_name, column in FIELD_COLUMNS[kind].items():
        if column is None or field_name in NAMED_LINKS:
            continue
        link = _LOOKUP if (kind, field_name) in LOOKUP_FIELDS else _PROJECT if field_name in PROJECT_REFERENCES else None
        targets[field_name] = (column, link)
    return targets


def _ids_by(conn: Connection, table: Table, column, values: Sequence[Any]) -> dict[Any, int]:
    found: dict[Any, int] = {}
    for chunk in chunks(list(values)):
        found.update((value, row_id) for row_id, value in conn.execute(select(table.c.id, column).where(column.in_(chunk))))
    return found


def _person_ids(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids of people by natural key (('email', e) or ('name', n), lower-case)."""
    person = TABLES["people"]
    emails = sorted(value for how, value in keys if how == "email")
    names = sorted(value for how, value in keys if how == "name")
    found: dict[tuple[str, str], int] = {}
    for chunk in chunks(emails):
        query = select(person.c.id, func.lower(person.c.email)).where(func.lower(person.c.email).in_(chunk))
        found.update((("email", email), row_id) for row_id, email in conn.execute(query))
    for chunk in chunks(names):
        query = select(person.c.id, func.lower(person.c.name)).where(
            func.lower(person.c.name).in_(chunk), or_(person.c.email.is_(None), person.c.email == ""))
        found.update((("name", name), row_id) for row_id, name in conn.execute(query))
    return found


# ---------------------------------------------------------------------------------------------
# Undo
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _BatchEvent:
    id: int
    entity: str
    entity_id: int
    action: str
    changes: dict[str, list[Any]]


def undo_batch(db: Database, batch_id: int) -> ImportBatch:
    """Put back exactly what ``batch_id`` changed (see the module docstring); one transaction."""
    note = f"undo of import batch {batch_id}"
    with db.transaction(batch_id=batch_id, note=note) as session:
        batch = session.get(ImportBatch, batch_id, with_for_update=True)
        if batch is None:
            raise UndoError(f"There is no import batch {batch_id}.")
        if batch.status == BatchStatus.UNDONE.value:
            raise UndoError(
                f"Import batch {batch_id} ({batch.file_name}) was already undone"
                f"{f' by {batch.undone_by}' if batch.undone_by else ''}"
                f"{f' on {batch.undone_at:%Y-%m-%d %H:%M}' if batch.undone_at else ''}; it cannot be undone twice."
            )
        conn = session.connection()
        context = AuditContext(db.actor, db.source, batch_id, note)
        events = _batch_events(conn, batch_id)
        _refuse_if_touched_later(conn, batch, events)
        _restore_updates(conn, context, [e for e in events if e.action == AuditAction.UPDATE.value])
        _delete_inserts(conn, context, [e for e in events if e.action == AuditAction.INSERT.value])
        fingerprints = ImportFingerprint.__table__  # derived data: no audit records (model/imports.py)
        audited_execute(conn, delete(fingerprints).where(fingerprints.c.batch_id == batch_id), None, (), context)
        batch.status = BatchStatus.UNDONE.value
        batch.undone_at = utcnow()
        batch.undone_by = db.actor
    return batch


def _batch_events(conn: Connection, batch_id: int) -> list[_BatchEvent]:
    event = AuditEvent.__table__
    query = (select(event.c.id, event.c.entity, event.c.entity_id, event.c.action, event.c.changes)
             .where(event.c.batch_id == batch_id, event.c.source == AuditSource.IMPORT.value,
                    event.c.entity != ImportBatch.__tablename__)
             .order_by(event.c.id))
    return [_BatchEvent(*row) for row in conn.execute(query)]


def _table(entity: str) -> Table:
    for mapper in Base.registry.mappers:
        if entity_of(mapper.local_table) == entity:
            return mapper.local_table
    raise UndoError(f"The audit trail names an unknown kind of record, {entity!r}; the batch cannot be undone.")


_PAST = {"insert": "added", "update": "changed", "delete": "deleted"}


def _refuse_if_touched_later(conn: Connection, batch: ImportBatch, events: list[_BatchEvent]) -> None:
    """Refuse when any row of the batch was changed later, or a later row refers to one it inserted."""
    if not events:
        return
    last = events[-1].id
    event = AuditEvent.__table__
    problems: list[str] = []
    by_entity: dict[str, list[int]] = defaultdict(list)
    for e in events:
        by_entity[e.entity].append(e.entity_id)
    # Batches undone since then left no net change: their events (and their undo's) do not count.
    undone = select(ImportBatch.__table__.c.id).where(ImportBatch.__table__.c.status == BatchStatus.UNDONE.value)
    seen: set[tuple[str, int]] = set()
    for entity, ids in by_entity.items():
        for chunk in chunks(sorted(set(ids))):
            query = (select(event.c.entity_id, event.c.action, event.c.actor, event.c.at)
                     .where(event.c.id > last, event.c.entity == entity, event.c.entity_id.in_(chunk),
                            or_(event.c.batch_id.is_(None), event.c.batch_id.not_in(undone)))
                     .order_by(event.c.id))
            for r in conn.execute(query):
                if (entity, r.entity_id) not in seen:
                    seen.add((entity, r.entity_id))
                    problems.append(f"{entity} {r.entity_id} was {_PAST[r.action]} by {r.actor} on {r.at:%Y-%m-%d %H:%M}")
    problems.extend(_later_references(conn, events))
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise UndoError(
            f"Import batch {batch.id} ({batch.file_name}) cannot be undone because later work depends on it: "
            f"{shown}. Undo or revert those changes first. Nothing was changed."
        )


def _later_references(conn: Connection, events: list[_BatchEvent]) -> list[str]:
    """Rows outside the batch whose foreign keys point at rows the batch inserted."""
    inserted: dict[str, set[int]] = defaultdict(set)
    touched: dict[str, set[int]] = defaultdict(set)
    for e in events:
        touched[_table(e.entity).name].add(e.entity_id)
        if e.action == AuditAction.INSERT.value:
            inserted[_table(e.entity).name].add(e.entity_id)
    problems = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target not in inserted:
                continue
            own = touched.get(table.name, set())
            for chunk in chunks(sorted(inserted[target])):
                query = select(table.c.id, fk.parent).where(fk.parent.in_(chunk))
                problems.extend(f"{table.name} {row_id} refers to {target} {ref} that the import added"
                                for row_id, ref in conn.execute(query) if row_id not in own)
    return problems


def _from_audit(table: Table, column: str, value: Any) -> Any:
    """A value stored in the audit JSON, back in its column's Python type."""
    if value is None:
        return None
    column_type = table.c[column].type
    if isinstance(column_type, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return dt.date.fromisoformat(value)
    if isinstance(column_type, Float):
        return float(value)
    if isinstance(column_type, Numeric):
        return Decimal(str(value))
    if isinstance(column_type, Boolean):
        return bool(value)
    if isinstance(column_type, Integer):
        return int(value)
    return value


def _restore_updates(conn: Connection, context: AuditContext, events: list[_BatchEvent]) -> None:
    by_table: dict[str, list[_BatchEvent]] = defaultdict(list)
    for e in events:
        by_table[e.entity].append(e)
    for entity, group in by_table.items():
        table = _table(entity)
        items = []
        for e in group:
            before = {c: _from_audit(table, c, old) for c, (old, _new) in e.changes.items()}
            after = {c: _from_audit(table, c, new) for c, (_old, new) in e.changes.items()}
            items.append((e.entity_id, None, after, before))
        _restore_rows(conn, context, table, items)


def _restore_rows(conn: Connection, context: AuditContext, table: Table, items: list[UpdateItem]) -> None:
    """Restore rows whatever their version (nobody touched them since: checked beforehand)."""
    if "version" not in table.c:
        update_rows(conn, context, table, items)
        return
    current = {}
    for chunk in chunks(sorted(i[0] for i in items)):
        current.update(conn.execute(select(table.c.id, table.c.version).where(table.c.id.in_(chunk))).all())
    update_rows(conn, context, table, [(i[0], current[i[0]], i[2], i[3]) for i in items])


def _delete_inserts(conn: Connection, context: AuditContext, events: list[_BatchEvent]) -> None:
    """Delete what the batch inserted, the last inserted first (children before their parents)."""
    runs: list[tuple[str, list[int]]] = []
    for e in reversed(events):
        if runs and runs[-1][0] == e.entity:
            runs[-1][1].append(e.entity_id)
        else:
            runs.append((e.entity, [e.entity_id]))
    for entity, ids in runs:
        delete_rows(conn, context, _table(entity), ids)
