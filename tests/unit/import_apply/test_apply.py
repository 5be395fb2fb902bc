"""apply_plan: exact values written, one audited batch, idempotent, all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pmo_desktop.importer.apply import ApplyError, StaleRowError, apply_plan
from pmo_desktop.importer.plan import Action
from pmo_desktop.model import (
    Allocation,
    AuditEvent,
    ImportBatch,
    Milestone,
    Person,
    Programme,
    Project,
    RaidItem,
    Role,
    StatusReport,
)
from pmo_desktop.model.audit import verify_chain

from .helpers import dump, make_sheet, plan

D = dt.date


def apply(db, plan_, file_name="pm.xlsx"):
    return apply_plan(db, plan_, file_name=file_name, sha256="a" * 64, kind="projects, status",
                      mapping={"Projects": {"Project ID": "code"}})


def portfolio_sheets():
    return [
        make_sheet("projects", [
            {"code": "P1", "name": "Alpha", "programme": "Digital", "stage": "execution", "rag": "A",
             "start": D(2026, 1, 1), "end": D(2026, 12, 31), "budget": Decimal("1200.5"), "percent_complete": 0.45,
             "priority": 2},
            {"code": "P2", "name": "Beta", "programme": "Digital", "manager": "Ann Lee"},
        ]),
        make_sheet("people", [{"name": "Ann Lee", "email": "ann@example.org", "role": "PM", "capacity_hours": 30.0,
                               "cost_rate": Decimal("55")}]),
        make_sheet("status", [{"project": "Alpha", "period_end": D(2026, 3, 31), "rag": "R", "summary": "=SUM(A1)",
                               "actual_cost": Decimal("300.25")}]),
        make_sheet("raid", [{"project": "P1", "ref": "R1", "title": "Late supplier", "likelihood": 4, "impact": 5,
                             "status": "open", "due": D(2026, 6, 30)},
                            {"ref": "PR-1", "title": "Portfolio risk", "kind": "issue"}]),
        make_sheet("milestones", [{"project": "P2", "name": "Go live", "baseline": D(2026, 9, 30), "status": "achieved"}]),
        make_sheet("allocations", [{"person": "ann@example.org", "project": "P2", "start": D(2026, 1, 5),
                                    "end": D(2026, 6, 26), "hours_per_week": 12.5}]),
    ]


def test_apply_writes_exact_values(db):
    batch = apply(db, plan(db, *portfolio_sheets()))
    assert (batch.inserted, batch.updated, batch.unchanged, batch.rejected) == (8, 0, 0, 0)
    with db.session() as s:
        alpha = s.scalar(select(Project).where(Project.code == "P1"))
        assert (alpha.name, alpha.stage, alpha.rag, alpha.priority) == ("Alpha", "execution", "A", 2)
        assert (alpha.baseline_start, alpha.baseline_end) == (D(2026, 1, 1), D(2026, 12, 31))
        assert alpha.budget == Decimal("1200.50") and alpha.percent_complete == 0.45
        assert alpha.programme.name == "Digital" and alpha.version == 1
        beta = s.scalar(select(Project).where(Project.code == "P2"))
        assert beta.programme_id == alpha.programme_id and beta.stage == "idea"  # the model's default
        assert s.scalar(select(func.count()).select_from(Programme)) == 1
        ann = s.scalar(select(Person))
        assert (ann.email, ann.capacity_hours, ann.cost_rate, ann.role.name) == (
            "ann@example.org", 30.0, Decimal("55.00"), "PM")
        report = s.scalar(select(StatusReport))
        assert (report.project_id, report.period_end, report.rag, report.summary, report.actual_cost) == (
            alpha.id, D(2026, 3, 31), "R", "=SUM(A1)", Decimal("300.25"))
        items = {i.ref: i for i in s.scalars(select(RaidItem))}
        assert items["R1"].project_id == alpha.id and items["R1"].scope_key == str(alpha.id)
        assert (items["R1"].likelihood, items["R1"].impact, items["R1"].due) == (4, 5, D(2026, 6, 30))
        assert items["PR-1"].project_id is None and items["PR-1"].scope_key == "portfolio"
        assert items["PR-1"].kind == "issue" and items["PR-1"].escalation == "project"
        milestone = s.scalar(select(Milestone))
        assert (milestone.project_id, milestone.baseline_date, milestone.status) == (beta.id, D(2026, 9, 30), "achieved")
        allocation = s.scalar(select(Allocation))
        assert (allocation.person_id, allocation.project_id, allocation.hours_per_week) == (ann.id, beta.id, 12.5)
        stored = s.get(ImportBatch, batch.id)
        assert stored.mapping == {"Projects": {"Project ID": "code"}} and stored.status == "applied"
        assert stored.imported_by == "tester"


def test_every_inserted_and_updated_row_has_an_audit_event_with_the_batch(db):
    first = apply(db, plan(db, *portfolio_sheets()))
    changed = make_sheet("projects", [{"code": "P1", "rag": "G", "budget": Decimal("1500")}])
    second = apply(db, plan(db, changed))
    with db.engine.connect() as conn:
        events = conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).all()
        assert verify_chain(conn)[1] is None
    inserts = [e for e in events if e.batch_id == first.id and e.action == "insert" and e.entity != "import_batch"]
    # 2 projects, programme, role, person, status, 2 RAID items, milestone, allocation.
    assert sorted(e.entity for e in inserts) == sorted(
        ["programme", "project", "project", "role", "person", "status_report", "raid_item", "raid_item",
         "milestone", "allocation"])
    assert all(e.source == "import" and e.actor == "tester" for e in inserts)
    alpha_insert = next(e for e in inserts if e.entity == "project" and e.changes["code"][1] == "P1")
    assert alpha_insert.changes["budget"] == [None, "1200.50"]
    assert all(before is None for before, _ in alpha_insert.changes.values())
    updates = [e for e in events if e.batch_id == second.id and e.action == "update" and e.entity == "project"]
    assert len(updates) == 1
    assert updates[0].changes == {"rag": ["A", "G"], "budget": ["1200.50", "1500.00"]}
    with db.session() as s:
        alpha = s.scalar(select(Project).where(Project.code == "P1"))
        assert (alpha.rag, alpha.budget, alpha.version) == ("G", Decimal("1500.00"), 2)


def test_reimporting_the_same_file_changes_nothing(db):
    apply(db, plan(db, *portfolio_sheets()))
    before = dump(db, bookkeeping=True)
    again = plan(db, *portfolio_sheets())
    assert {row.action for row in again.rows()} == {Action.UNCHANGED}
    batch = apply(db, again)
    assert (batch.inserted, batch.updated, batch.unchanged) == (0, 0, 8)
    assert dump(db, bookkeeping=True) == before
    with db.engine.connect() as conn:
        events = conn.execute(select(AuditEvent.entity).where(AuditEvent.batch_id == batch.id)).scalars().all()
    assert events == []  # only the batch row itself (inserted before its id existed) was audited


def test_failure_on_the_last_row_writes_nothing(db):
    apply(db, plan(db, make_sheet("projects", [{"code": "P0", "name": "Before"}])))
    before = dump(db, bookkeeping=True)
    with db.engine.connect() as conn:
        events_before = conn.execute(select(func.count()).select_from(AuditEvent)).scalar()
    sheets = make_sheet("projects", [{"code": f"N{i}", "name": f"New {i}"} for i in range(5)])
    doomed = plan(db, sheets)
    # The planner accepted every row; a value slipped past it on the last one violates a CHECK.
    list(doomed.rows())[-1].writes["percent_complete"] = 2.0
    with pytest.raises(ApplyError, match="Nothing was written"):
        apply(db, doomed, file_name="doomed.xlsx")
    assert dump(db, bookkeeping=True) == before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch).where(ImportBatch.file_name == "doomed.xlsx")) == 0
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditEvent)).scalar() == events_before


def test_a_row_changed_after_planning_stops_the_import(db):
    apply(db, plan(db, *portfolio_sheets()))
    stale = plan(db, make_sheet("projects", [{"code": "P1", "rag": "G"}, {"code": "P3", "name": "New"}]))
    with db.transaction() as s:  # a colleague saves P1 meanwhile
        s.scalar(select(Project).where(Project.code == "P1")).manager = "Someone else"
    before = dump(db, bookkeeping=True)
    with pytest.raises(StaleRowError, match="plan the import again"):
        apply(db, stale)
    assert dump(db, bookkeeping=True) == before


def test_role_and_programme_reused_by_name(db):
    apply(db, plan(db, *portfolio_sheets()))
    more = [make_sheet("projects", [{"code": "P5", "name": "Epsilon", "programme": "Digital"}]),
            make_sheet("people", [{"name": "Bo Kim", "email": "bo@example.org", "role": "PM"}])]
    apply(db, plan(db, *more))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Programme)) == 1
        assert s.scalar(select(func.count()).select_from(Role)) == 1
