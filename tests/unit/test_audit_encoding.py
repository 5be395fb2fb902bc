"""Audit events written in bulk keep their changes exactly and their hashes verify.

On SQLite the changes are stored as the text the hash input encodes (one encoding per event);
elsewhere the JSON column encodes them. Either way reading an event back gives the same
changes, and the chain verifies with the hash recomputed from the stored row.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from pmo_desktop.model.audit import (
    AuditAction,
    AuditContext,
    AuditEvent,
    AuditRecord,
    AuditSource,
    event_hash,
    verify_chain,
    write_audit_records,
)

CHANGES = [
    {"name": [None, "Zürich rollout — phase 2 ✓"], "budget": [None, "1250000.50"], "rag": ["A", "R"]},
    {"percent_complete": [0.25, 0.5], "period_end": [None, "2026-10-31"], "active": [True, False]},
    {"mapping": [None, {"b": [1, 2], "a": {"z": None, "y": "\"quoted\" \\ back"}}], "note": [None, ""]},
    {},
]


def test_bulk_written_events_read_back_unchanged_and_verify(any_db):
    records = [AuditRecord("project", n + 1, AuditAction.UPDATE, changes, note="import of x.xlsx" if n else None)
               for n, changes in enumerate(CHANGES)]
    with any_db.engine.begin() as conn:
        write_audit_records(conn, AuditContext("tester", AuditSource.IMPORT, None), records)
    with any_db.session() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [e.changes for e in events] == CHANGES
        assert all(event_hash(e) == e.hash for e in events)
    with any_db.engine.connect() as conn:
        checked, broken = verify_chain(conn)
    assert (checked, broken) == (len(CHANGES), None)


def test_on_sqlite_the_stored_text_is_the_hash_inputs_compact_form(db):
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    with db.engine.begin() as conn:
        write_audit_records(conn, AuditContext("tester", AuditSource.IMPORT, None),
                            [AuditRecord("project", 1, AuditAction.INSERT, {"name": [None, "Zürich"], "code": [None, "P-1"]})])
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT changes FROM audit_event")).scalar_one()
    assert stored == '{"code":[null,"P-1"],"name":[null,"Zürich"]}'
