"""Bulk inserts return the ids the rows really got, in the order given, on every database.

On SQLite ``insert_rows`` chooses the ids itself (the largest id plus one onwards, as SQLite
would) and writes the rows in one executemany; elsewhere the database returns them. Either way
each returned id must name the row built from the same input, and its audit event must name it
too, including after the rows with the largest ids were deleted.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from pmo_desktop.importer.writes import insert_columns, insert_rows
from pmo_desktop.model import AuditEvent, Project
from pmo_desktop.model import audit as audit_module
from pmo_desktop.model.audit import AuditAction, AuditContext, AuditSource, audited_execute, verify_chain


def _insert(db, codes: list[str]) -> list[int]:
    table = Project.__table__
    with db.engine.begin() as conn:
        return insert_rows(conn, AuditContext("tester", AuditSource.IMPORT, None), table,
                           [{"code": code, "name": f"Project {code}", "baseline_start": dt.date(2026, 1, 5)}
                            for code in codes])


def _codes_by_id(db) -> dict[int, str]:
    with db.engine.connect() as conn:
        return dict(conn.execute(select(Project.id, Project.code)).all())


def test_each_returned_id_names_the_row_built_from_the_same_input(db):
    first = _insert(db, ["A-1", "A-2", "A-3"])
    second = _insert(db, [f"B-{n}" for n in range(1, 501)])
    stored = _codes_by_id(db)
    assert [stored[i] for i in first] == ["A-1", "A-2", "A-3"]
    assert [stored[i] for i in second] == [f"B-{n}" for n in range(1, 501)]
    assert len(set(first + second)) == 503


def test_ids_follow_the_largest_left_after_a_delete_and_the_audit_names_them(db):
    _insert(db, ["A-1", "A-2", "A-3"])
    table = Project.__table__
    with db.engine.begin() as conn:
        audited_execute(conn, delete(table).where(table.c.code == "A-3"), context=AuditContext(
            "tester", AuditSource.IMPORT, None))
    ids = _insert(db, ["C-1", "C-2"])
    stored = _codes_by_id(db)
    assert [stored[i] for i in ids] == ["C-1", "C-2"]
    with db.engine.connect() as conn:
        events = conn.execute(select(AuditEvent.entity_id, AuditEvent.changes).where(
            AuditEvent.entity == "project", AuditEvent.action == AuditAction.INSERT.value,
            AuditEvent.entity_id.in_(ids))).all()
    # An id freed by the delete may come back (SQLite's own rule): its older event names the old row.
    assert set(zip(ids, ["C-1", "C-2"], strict=True)) <= {(entity_id, changes["code"][1])
                                                          for entity_id, changes in events}


def test_rows_given_column_by_column_take_the_defaults_of_columns_left_out_or_none(db):
    table = Project.__table__
    with db.engine.begin() as conn:
        ids = insert_columns(conn, AuditContext("tester", AuditSource.IMPORT, None), table,
                             {"code": ["D-1", "D-2"], "name": ["One", "Two"], "stage": [None, "execution"]})
    with db.engine.connect() as conn:
        stored = {row.id: row for row in conn.execute(select(Project.id, Project.code, Project.stage, Project.version))}
        events = dict(conn.execute(select(AuditEvent.entity_id, AuditEvent.changes).where(
            AuditEvent.entity == "project", AuditEvent.entity_id.in_(ids))).all())
    assert [(stored[i].code, stored[i].stage, stored[i].version) for i in ids] == [
        ("D-1", "idea", 1), ("D-2", "execution", 1)]
    assert events[ids[0]]["stage"] == [None, "idea"] and events[ids[1]]["code"] == [None, "D-2"]


def test_rows_sent_a_few_at_a_time_are_all_stored_under_their_ids(db, monkeypatch):
    monkeypatch.setattr(audit_module, "AUDIT_CHUNK", 2)
    codes = [f"E-{n}" for n in range(1, 6)]
    ids = _insert(db, codes)
    stored = _codes_by_id(db)
    assert [stored[i] for i in ids] == codes
    with db.engine.connect() as conn:
        events = conn.execute(select(AuditEvent.entity_id, AuditEvent.changes).where(
            AuditEvent.entity == "project").order_by(AuditEvent.id)).all()
        assert verify_chain(conn)[1] is None
    assert [(entity_id, changes["code"][1]) for entity_id, changes in events] == list(zip(ids, codes, strict=True))
