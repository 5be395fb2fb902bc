"""Bulk audited writes store what Core would store, and hash what the plain encoder would hash.

``insert_rows`` on SQLite binds its rows as tuples for the driver, each column converted by its
own bind processor, and encodes its audit changes a column at a time; ``write_audit_records``
takes its records a chunk at a time. Each is compared here with the plain path it replaces: a
Core insert of the same rows, the changes dicts encoded whole, the records written at once.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, text

from pmo_desktop.importer import writes
from pmo_desktop.model import AuditEvent, Project
from pmo_desktop.model import audit as audit_module
from pmo_desktop.model.audit import (
    AuditAction,
    AuditContext,
    AuditRecord,
    AuditSource,
    EncodedAuditRecord,
    audited_execute,
    driver_insert,
    insert_change_texts,
    jsonable,
    verify_chain,
    write_audit_records,
)
from pmo_desktop.model.base import utcnow

AT = dt.datetime(2026, 3, 31, 9, 30, 15, 123456)

ODD_VALUES = [
    "plain", "", "Zürich — phase 2 ✓", 'say "hi"', "back\\slash", "tab\tnew\nline\r", "\x00\x1f\x7f", "\u2028",
    "😀", 0, -7, 2**70, True, False, 0.0, -0.0, 0.1, 1e300, 1e-300, 12345.678, float("nan"), float("inf"),
    float("-inf"), {"b": [1, 2], "a": {"z": None, "y": "x"}}, [3, "two", None], None,
]


def _context(note: str | None = None) -> AuditContext:
    return AuditContext("tester", AuditSource.IMPORT, 7, note=note, at=AT)


def test_insert_change_texts_are_the_encoders_text_of_each_rows_changes():
    # Values repeat down "value" (each text is encoded once per column) and across columns.
    values = ODD_VALUES + ODD_VALUES[::-1]
    columns = {"value": values, "b_name": list(range(len(values))),
               "a_other": [None if n % 3 else f"r{n % 5}" for n in range(len(values))],
               "c_same": [v if isinstance(v, str) else None for v in values],
               # Stored forms that are not JSON: given as jsonable gives them; equal Decimals keep their own text.
               "d_stored": [[Decimal("1.0"), Decimal("1.00"), Decimal("-0.10"), dt.date(2026, 3, 31),
                             AT, dt.date(2026, 3, 31), None][n % 7] for n in range(len(values))]}
    texts = insert_change_texts(columns)
    for index, got in enumerate(texts):
        changes = {name: [None, jsonable(values[index])] for name, values in columns.items()
                   if values[index] is not None}
        assert got == audit_module._HASH_JSON.encode(changes)
    assert insert_change_texts({"only": [None, None]}) == ["{}", "{}"]
    assert insert_change_texts({"b": [None, "x"], "a": ["x", None]}) == ['{"a":[null,"x"]}', '{"b":[null,"x"]}']


def test_encoded_records_give_the_same_events_as_records_with_dicts(any_db):
    # NaN and infinities are left out: PostgreSQL's JSON refuses them, and NaN never equals itself.
    changes = [{name: [None, value]} for name, value in zip("abcdefghijklmnopqrstuvwxyz", ODD_VALUES, strict=False)
               if value is not None and not (isinstance(value, float) and not math.isfinite(value))]
    plain = [AuditRecord("project", n, AuditAction.INSERT, c) for n, c in enumerate(changes, 1)]
    encoded = [EncodedAuditRecord("project", n, AuditAction.INSERT, audit_module._HASH_JSON.encode(c))
               for n, c in enumerate(changes, 1)]
    with any_db.engine.begin() as conn:
        write_audit_records(conn, _context(), plain)
        write_audit_records(conn, _context(), encoded)
    with any_db.engine.connect() as conn:
        events = conn.execute(select(AuditEvent.changes, AuditEvent.prev_hash, AuditEvent.hash)
                              .order_by(AuditEvent.id)).all()
        assert verify_chain(conn) == (len(events), None)
    first, second = events[:len(changes)], events[len(changes):]
    assert [e.changes for e in first] == [e.changes for e in second] == changes
    # The second run starts from the first's head, so the hashes differ; each link verifies above.
    assert second[0].prev_hash == first[-1].hash


def test_records_written_a_chunk_at_a_time_are_the_events_of_one_write(any_db, tmp_path, monkeypatch):
    records = [AuditRecord("programme", n, AuditAction.UPDATE, {"name": [f"old {n}", f"new {n}"]},
                           note="by hand" if n % 4 == 0 else None) for n in range(1, 12)]
    written = []
    for chunk in (3, 5_000):
        monkeypatch.setattr(audit_module, "AUDIT_CHUNK", chunk)
        with any_db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_event"))
            conn.execute(text("DELETE FROM audit_head"))
            write_audit_records(conn, _context(note="import"), (r for r in records))
        with any_db.engine.connect() as conn:
            events = conn.execute(select(AuditEvent.at, AuditEvent.note, AuditEvent.changes, AuditEvent.hash)
                                  .order_by(AuditEvent.id)).all()
            head = conn.execute(text("SELECT last_hash, count FROM audit_head")).one()
            assert verify_chain(conn) == (len(records), None)
        assert tuple(head) == (events[-1].hash, len(records))
        written.append(events)
    assert written[0] == written[1]
    assert {e.at for e in written[0]} == {AT}
    assert [e.note for e in written[0]][:4] == ["import", "import", "import", "by hand"]


def _project_rows() -> list[dict]:
    return [
        {"code": "P-1", "name": "Zürich rollout", "budget": Decimal("1250000.50"), "actual_cost": Decimal("1.0"),
         "baseline_start": dt.date(2026, 1, 5), "percent_complete": 0.45, "priority": 2, "rag": "R",
         "custom_fields": {"b": [1, 2], "a": "x"}},
        {"code": "P-2", "name": "Second", "stage": None, "budget": Decimal("7"), "forecast_end": dt.date(2027, 12, 31),
         "percent_complete": 1.0, "custom_fields": None},
        {"code": "P-3", "name": 'Quotes "and" — dashes', "stage": "execution", "actual_cost": Decimal("0.10")},
    ]


def _stored(conn, table) -> list[tuple]:
    names = [c.name for c in table.columns if c.name not in ("created_at", "updated_at")]
    quoted = ", ".join(f"quote({name})" for name in names)
    return conn.exec_driver_sql(f"SELECT {quoted} FROM {table.name} ORDER BY id").all()


def test_rows_bound_as_tuples_are_stored_as_a_core_insert_stores_them(tmp_path):
    from pmo_desktop.model.database import open_database

    table = Project.__table__
    first = open_database(f"sqlite:///{tmp_path / 'tuples.db'}")
    second = open_database(f"sqlite:///{tmp_path / 'core.db'}")
    try:
        with first.engine.begin() as conn:
            ids = writes.insert_rows(conn, _context(), table, _project_rows())
        # The same rows through Core and the dict records, as insert_rows wrote them before.
        now = utcnow()
        defaults = writes._scalar_defaults(table)
        names = set().union(*_project_rows())
        template = {**{name: None for name in names}, **defaults, "created_at": now, "updated_at": now, "version": 1}
        params = [{**template, **{k: v for k, v in row.items() if v is not None or k not in defaults}, "id": row_id}
                  for row, row_id in zip(_project_rows(), ids, strict=True)]
        with second.engine.begin() as conn:
            audited_execute(conn, insert(table), params, (), _context())
            write_audit_records(conn, _context(), writes._insert_records("project", ids, params))
        with first.engine.connect() as one, second.engine.connect() as two:
            assert _stored(one, table) == _stored(two, table)
            events = [c.exec_driver_sql("SELECT entity, entity_id, action, changes, prev_hash, hash FROM audit_event "
                                        "ORDER BY id").all() for c in (one, two)]
            assert events[0] == events[1]
            assert verify_chain(one) == (len(events[0]), None)
    finally:
        first.dispose()
        second.dispose()


def test_a_driver_insert_refuses_to_leave_out_a_column_with_a_default_computed_per_row(db):
    table = Project.__table__
    with db.engine.connect() as conn:
        names = ["code", "name", "stage", "version", "created_at", "updated_at"]
        assert set(driver_insert(conn, table, names).order) == set(names)
        with pytest.raises(ValueError, match="cannot be bound as plain tuples"):
            driver_insert(conn, table, names[:4])  # created_at and updated_at: now() at each row
