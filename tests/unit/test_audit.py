"""No write path skips the audit trail, and the trail cannot be altered unnoticed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from pmo_desktop.model import (
    AuditBypassError,
    AuditEvent,
    Milestone,
    Person,
    Programme,
    Project,
    RaidItem,
)
from pmo_desktop.model.audit import (
    AuditAction,
    AuditContext,
    AuditRecord,
    AuditSource,
    audited_execute,
    audited_tables,
    verify_chain,
)
from pmo_desktop.services.integrity import run_checks


def _events(db, entity=None):
    with db.session() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if entity:
            query = query.where(AuditEvent.entity == entity)
        return session.scalars(query).all()


def test_insert_update_delete_each_leave_an_event_with_before_and_after(any_db):
    with any_db.transaction() as session:
        session.add(Project(code="A-1", name="Audit me", budget=Decimal("100.00"), stage="planning"))
    with any_db.transaction() as session:
        project = session.scalar(select(Project).where(Project.code == "A-1"))
        project.budget = Decimal("250.50")
        project.rag = "A"
    with any_db.transaction() as session:
        session.delete(session.scalar(select(Project).where(Project.code == "A-1")))
    events = _events(any_db, "project")
    assert [e.action for e in events] == ["insert", "update", "delete"]
    assert events[0].changes["name"] == [None, "Audit me"]
    assert events[1].changes == {"budget": ["100.00", "250.50"], "rag": [None, "A"]}
    assert events[2].changes["code"] == ["A-1", None]
    assert all(e.entity_id == events[0].entity_id for e in events)


def test_children_deleted_by_cascade_or_as_orphans_leave_delete_events(any_db):
    with any_db.transaction() as session:
        project = Project(code="A-2", name="Parent", stage="planning")
        project.milestones = [Milestone(name=f"M{i}", baseline_date=dt.date(2027, 1, i)) for i in (1, 2, 3)]
        session.add(project)
    with any_db.transaction() as session:  # removed from the collection: a delete-orphan
        project = session.scalar(select(Project).where(Project.code == "A-2"))
        project.milestones.remove(next(m for m in project.milestones if m.name == "M2"))
    with any_db.transaction() as session:  # the parent deleted: its children go with it
        session.delete(session.scalar(select(Project).where(Project.code == "A-2")))
    deletes = [e for e in _events(any_db, "milestone") if e.action == "delete"]
    assert [e.changes["name"][0] for e in deletes] == ["M2", "M1", "M3"]
    assert [e.action for e in _events(any_db, "project")] == ["insert", "delete"]
    with any_db.engine.connect() as conn:
        assert verify_chain(conn)[1] is None


def test_events_name_the_user_and_the_source(db):
    with db.transaction(source=AuditSource.CLI) as session:
        session.add(Programme(name="Who did it"))
    event = _events(db, "programme")[0]
    assert event.actor == db.actor
    assert event.source == "cli"


def test_a_rolled_back_transaction_leaves_no_events(db):
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(Programme(name="Never saved"))
        session.flush()
        raise RuntimeError("user cancelled")
    assert _events(db) == []


@pytest.mark.parametrize("statement", [
    lambda: insert(Programme.__table__).values(name="sneaky"),
    lambda: update(Project.__table__).values(name="sneaky"),
    lambda: delete(Project.__table__),
])
def test_core_writes_outside_the_audited_path_are_refused(db, statement):
    with pytest.raises(AuditBypassError), db.engine.begin() as conn:
        conn.execute(statement())


def test_orm_bulk_writes_outside_the_audited_path_are_refused(db):
    with pytest.raises(AuditBypassError), db.transaction() as session:
        session.execute(insert(Programme), [{"name": "bulk one"}, {"name": "bulk two"}])


def test_audited_bulk_writes_record_one_event_per_row_in_the_same_transaction(db):
    rows = [{"name": f"Programme {i}"} for i in range(50)]
    with db.engine.begin() as conn:
        context = AuditContext(actor="importer", source=AuditSource.IMPORT, batch_id=7)
        audited_execute(conn, insert(Programme.__table__), rows,
                        [AuditRecord("programme", None, AuditAction.INSERT, {"name": [None, r["name"]]})
                         for r in rows], context)
    events = _events(db, "programme")
    assert len(events) == 50
    assert {e.batch_id for e in events} == {7}
    assert {e.source for e in events} == {"import"}


def test_every_audited_table_is_audited_through_the_orm(db):
    """Walk every mapped table: an insert through the session must produce an insert event."""
    from pmo_desktop.model import Base

    mapped = {m.class_.__tablename__ for m in Base.registry.mappers}
    assert audited_tables() <= mapped | {"alembic_version"}
    with db.transaction() as session:
        project = Project(code="ALL-1", name="Everything")
        person = Person(name="Ada Lovelace")
        session.add_all([project, person])
        session.flush()
        session.add(RaidItem(project_id=project.id, scope_key=str(project.id), ref="R-001", title="Supplier late",
                             likelihood=4, impact=5, raised=dt.date(2026, 1, 5)))
    entities = {e.entity for e in _events(db)}
    assert {"project", "person", "raid_item"} <= entities


def test_the_chain_verifies_and_a_tampered_event_is_found(db):
    with db.transaction() as session:
        for i in range(5):
            session.add(Programme(name=f"P{i}"))
    with db.engine.connect() as conn:
        checked, broken = verify_chain(conn)
    assert (checked, broken) == (5, None)
    # Someone edits the trail directly in the file, bypassing the program.
    with db.engine.connect() as conn:
        conn.exec_driver_sql("UPDATE audit_event SET actor = 'mallory' WHERE id = 3")
        conn.commit()
    report = run_checks(db)
    assert not report.ok
    chain = next(r for r in report.results if r.name == "audit chain")
    assert "event 3" in chain.detail


def test_a_deleted_event_is_noticed(db):
    with db.transaction() as session:
        for i in range(3):
            session.add(Programme(name=f"Q{i}"))
    with db.engine.connect() as conn:
        conn.exec_driver_sql("DELETE FROM audit_event WHERE id = 3")
        conn.commit()
    assert not run_checks(db).ok


def test_concurrent_sessions_keep_one_unbroken_chain(db):
    """Interleaved transactions from two sessions still form a single chain."""
    for i in range(10):
        with db.transaction() as s1:
            s1.add(Programme(name=f"left {i}"))
        with db.transaction() as s2:
            s2.add(Programme(name=f"right {i}"))
    with db.engine.connect() as conn:
        assert verify_chain(conn) == (20, None)
        assert conn.scalar(select(func.count()).select_from(AuditEvent)) == 20
        assert conn.execute(text("SELECT count FROM audit_head")).scalar() == 20
