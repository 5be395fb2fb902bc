"""undo_batch: the exact prior state comes back, audited; refused twice or over later work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from pmo_desktop.importer.apply import UndoError, apply_plan, undo_batch
from pmo_desktop.model import AuditEvent, ImportBatch, Project, StatusReport
from pmo_desktop.model.audit import verify_chain

from .helpers import dump, make_sheet, plan
from .test_apply import portfolio_sheets

D = dt.date


def apply(db, plan_, file_name="pm.xlsx"):
    return apply_plan(db, plan_, file_name=file_name, sha256="b" * 64, kind="mixed", mapping={})


def test_undo_restores_the_exact_prior_state(db):
    apply(db, plan(db, *portfolio_sheets()))
    before = dump(db)
    versions = {row["code"]: row["version"] for row in dump(db, bookkeeping=True)["project"]}
    second = [
        make_sheet("projects", [
            {"code": "P1", "name": "Alpha renamed", "programme": "Estates", "rag": "G", "budget": Decimal("99.99"),
             "end": D(2027, 3, 31), "percent_complete": 0.5},
            {"code": "P7", "name": "Brand new"},
        ]),
        make_sheet("status", [{"project": "P7", "period_end": D(2026, 3, 31), "rag": "G"},
                              {"project": "P1", "period_end": D(2026, 3, 31), "rag": "A", "summary": "Better"}]),
        make_sheet("people", [{"name": "Ann Lee", "email": "ann@example.org", "capacity_hours": 20.0}]),
        make_sheet("allocations", [{"person": "Ann Lee", "project": "P7", "start": D(2026, 2, 2),
                                    "end": D(2026, 3, 27), "hours_per_week": 8.0}]),
    ]
    batch = apply(db, plan(db, *second))
    assert (batch.inserted, batch.updated) == (3, 3)  # rows of the file; the programme comes on demand
    assert dump(db) != before

    undone = undo_batch(db, batch.id)

    assert undone.status == "undone" and undone.undone_by == "tester" and undone.undone_at is not None
    assert dump(db) == before
    after = {row["code"]: row["version"] for row in dump(db, bookkeeping=True)["project"]}
    assert after["P1"] == versions["P1"] + 2  # the import and its undo both moved it forward
    with db.engine.connect() as conn:
        assert verify_chain(conn)[1] is None
        undo_events = conn.execute(select(AuditEvent).where(AuditEvent.note == f"undo of import batch {batch.id}",
                                                            AuditEvent.entity != "import_batch")).all()
    # 3 updates restored, 4 inserted rows (programme Estates, P7, its status report, allocation) deleted.
    assert sorted(e.action for e in undo_events) == ["delete"] * 4 + ["update"] * 3
    assert all(e.batch_id == batch.id for e in undo_events)


def test_undo_of_a_first_import_empties_the_tables(db):
    empty = dump(db)
    batch = apply(db, plan(db, *portfolio_sheets()))
    undo_batch(db, batch.id)
    assert dump(db) == empty


def test_a_batch_is_undone_only_once(db):
    batch = apply(db, plan(db, *portfolio_sheets()))
    undo_batch(db, batch.id)
    with pytest.raises(UndoError, match="already undone by tester"):
        undo_batch(db, batch.id)


def test_unknown_batch(db):
    with pytest.raises(UndoError, match="There is no import batch 42"):
        undo_batch(db, 42)


def test_undo_refuses_over_later_changes_and_changes_nothing(db):
    batch = apply(db, plan(db, *portfolio_sheets()))
    with db.transaction() as s:
        s.scalar(select(Project).where(Project.code == "P1")).manager = "Changed later"
    before = dump(db, bookkeeping=True)
    with pytest.raises(UndoError, match=r"later work depends on it: project \d+ was changed by tester"):
        undo_batch(db, batch.id)
    assert dump(db, bookkeeping=True) == before
    with db.session() as s:
        assert s.get(ImportBatch, batch.id).status == "applied"


def test_undo_refuses_when_later_rows_refer_to_inserted_ones(db):
    batch = apply(db, plan(db, make_sheet("projects", [{"code": "P1", "name": "Alpha"}])))
    with db.transaction() as s:
        project = s.scalar(select(Project))
        s.add(StatusReport(project_id=project.id, period_end=D(2026, 4, 30), rag="G"))
    with pytest.raises(UndoError, match="status_report .* refers to project"):
        undo_batch(db, batch.id)


def test_later_batches_undone_first_unblock_an_earlier_undo(db):
    empty = dump(db)
    first = apply(db, plan(db, *portfolio_sheets()))
    second = apply(db, plan(db, make_sheet("projects", [{"code": "P1", "rag": "R"}])))
    with pytest.raises(UndoError):
        undo_batch(db, first.id)
    undo_batch(db, second.id)
    undo_batch(db, first.id)
    assert dump(db) == empty
