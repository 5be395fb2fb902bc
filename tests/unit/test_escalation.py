"""Escalation rules from the office settings: each rule at its boundary, no de-escalation, audit, undo."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pmo_desktop.model import (
    AuditEvent,
    Milestone,
    OfficeSettings,
    Programme,
    Project,
    RaidItem,
    StatusReport,
)
from pmo_desktop.model.database import open_database
from pmo_desktop.services import escalation
from pmo_desktop.services.errors import ConflictError

TODAY = dt.date(2026, 3, 14)


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/esc.db", backup=False)
    with database.transaction() as session:
        if session.get(OfficeSettings, 1) is None:
            session.add(OfficeSettings(id=1))
        session.flush()
        settings = session.get(OfficeSettings, 1)
        settings.escalate_risk_score, settings.escalate_issue_overdue_days = 20, 14
        programme = Programme(name="Digital Customer")
        session.add_all([programme, Project(code="DCX-014", name="Portal", programme=programme),
                         Project(code="DCX-017", name="App", programme=programme),
                         Project(code="ABC-001", name="Billing")])
    yield database
    database.dispose()


def project_id(session, code):
    return session.scalar(select(Project.id).where(Project.code == code))


def add_item(db, ref, kind="risk", code="DCX-014", **fields) -> int:
    with db.transaction() as session:
        pid = project_id(session, code) if code else None
        item = RaidItem(project_id=pid, scope_key=RaidItem.scope_key_for(pid), ref=ref, kind=kind,
                        title=f"{kind} {ref}", **fields)
        session.add(item)
        session.flush()
        return item.id


def due(db, today=TODAY):
    with db.session() as session:
        return {e.ref: e for e in escalation.escalations_due(session, today)}


def apply(db, today=TODAY):
    with db.transaction() as session:
        return escalation.apply_escalations(session, today)


def level(db, item_id):
    with db.session() as session:
        item = session.get(RaidItem, item_id)
        return item.escalation, item.escalation_rule


def test_risk_at_the_score_escalates_below_it_does_not(db):
    add_item(db, "R1", likelihood=4, impact=5)  # 20
    add_item(db, "R2", likelihood=5, impact=3)  # 15, and 19 is not a product
    add_item(db, "R3", likelihood=5, impact=5, status="closed")
    found = due(db)
    assert set(found) == {"R1"}
    assert found["R1"].rule == "score 20 ≥ 20"
    assert (found["R1"].from_level, found["R1"].to_level, found["R1"].project) == ("project", "programme", "DCX-014")


def test_risk_without_a_programme_goes_to_portfolio(db):
    add_item(db, "R1", code="ABC-001", likelihood=5, impact=4)
    add_item(db, "R2", code=None, likelihood=5, impact=5)
    found = due(db)
    assert found["R1"].to_level == "portfolio"
    assert found["R2"].to_level == "portfolio" and found["R2"].project == "Portfolio"


def test_issue_overdue_beyond_the_days(db):
    add_item(db, "I1", kind="issue", due=TODAY - dt.timedelta(days=15))
    add_item(db, "I2", kind="issue", due=TODAY - dt.timedelta(days=14))
    add_item(db, "I3", kind="issue", due=TODAY - dt.timedelta(days=40), status="closed")
    add_item(db, "R9", kind="risk", due=TODAY - dt.timedelta(days=40))
    found = due(db)
    assert set(found) == {"I1"}
    assert found["I1"].rule == "overdue 15 days > 14"
    assert found["I1"].to_level == "programme"


def test_dependency_on_a_red_project_uses_the_latest_report(db):
    with db.transaction() as session:
        abc = project_id(session, "ABC-001")
        dcx17 = project_id(session, "DCX-017")
        session.add_all([
            StatusReport(project_id=abc, period_end=dt.date(2026, 1, 31), rag="G"),
            StatusReport(project_id=abc, period_end=dt.date(2026, 2, 28), rag="R"),
            StatusReport(project_id=dcx17, period_end=dt.date(2026, 1, 31), rag="R"),
            StatusReport(project_id=dcx17, period_end=dt.date(2026, 2, 28), rag="A"),
        ])
    add_item(db, "D1", kind="dependency", depends_on_project_id=abc)
    add_item(db, "D2", kind="dependency", depends_on_project_id=dcx17)
    found = due(db)
    assert set(found) == {"D1"}
    assert found["D1"].rule == "depends on ABC-001 (Red)"
    assert found["D1"].to_level == "programme"
    # On 1 February the latest reports were ABC-001 green and DCX-017 red.
    assert set(due(db, dt.date(2026, 2, 1))) == {"D2"}


def test_dependency_on_a_late_milestone(db):
    with db.transaction() as session:
        abc = project_id(session, "ABC-001")
        late = Milestone(project_id=abc, name="API live", baseline_date=dt.date(2026, 6, 1),
                         forecast_date=dt.date(2026, 6, 2))
        on_time = Milestone(project_id=abc, name="Design", baseline_date=dt.date(2026, 6, 1),
                            forecast_date=dt.date(2026, 6, 1))
        done = Milestone(project_id=abc, name="Kick-off", baseline_date=dt.date(2026, 1, 1),
                         forecast_date=dt.date(2026, 2, 1), status="achieved", actual_date=dt.date(2026, 2, 1))
        session.add_all([late, on_time, done])
        session.flush()
        ids = late.id, on_time.id, done.id
    for ref, mid in zip(("D1", "D2", "D3"), ids, strict=True):
        add_item(db, ref, kind="dependency", depends_on_project_id=abc, depends_on_milestone_id=mid)
    found = due(db)
    assert set(found) == {"D1"}
    assert "API live" in found["D1"].rule and "late" not in found["D1"].rule


def test_never_lowered_and_never_de_escalated(db):
    by_hand = add_item(db, "R1", likelihood=5, impact=5, escalation="portfolio")
    at_programme = add_item(db, "R2", likelihood=5, impact=4, escalation="programme")
    assert due(db) == {}
    quiet = add_item(db, "R3", likelihood=5, impact=4)
    apply(db)
    assert level(db, quiet)[0] == "programme"
    with db.transaction() as session:
        session.get(RaidItem, quiet).likelihood = 1  # the rule stops firing
    assert due(db) == {}
    assert apply(db) == []
    assert level(db, quiet)[0] == "programme"
    assert level(db, by_hand)[0] == "portfolio" and level(db, at_programme)[0] == "programme"


def test_apply_records_the_rule_and_the_audit_note(db):
    risk = add_item(db, "R1", likelihood=4, impact=5)
    issue = add_item(db, "I1", kind="issue", due=TODAY - dt.timedelta(days=21))
    applied = apply(db)
    assert {a.escalation.ref for a in applied} == {"R1", "I1"}
    assert level(db, risk) == ("programme", "score 20 ≥ 20")
    assert level(db, issue) == ("programme", "overdue 21 days > 14")
    with db.session() as session:
        notes = {e.entity_id: e.note for e in session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "raid_item", AuditEvent.action == "update"))}
        assert notes[risk] == "Escalated R1 to programme: score 20 ≥ 20"
        assert notes[issue] == "Escalated I1 to programme: overdue 21 days > 14"
    assert due(db) == {}


def test_settings_thresholds_are_used(db):
    add_item(db, "R1", likelihood=4, impact=4)
    assert due(db) == {}
    with db.transaction() as session:
        session.get(OfficeSettings, 1).escalate_risk_score = 16
    assert due(db)["R1"].rule == "score 16 ≥ 16"


def test_undo_restores_the_previous_levels(db):
    risk = add_item(db, "R1", likelihood=5, impact=5, escalation_rule="set by the board")
    applied = apply(db)
    with db.transaction() as session:
        escalation.undo_escalations(session, applied)
    assert level(db, risk) == ("project", "set by the board")


def test_undo_after_an_edit_is_a_conflict(db):
    risk = add_item(db, "R1", likelihood=5, impact=5)
    applied = apply(db)
    with db.transaction() as session:
        session.get(RaidItem, risk).title = "Edited since"
    with pytest.raises(ConflictError), db.transaction() as session:
        escalation.undo_escalations(session, applied)
    assert level(db, risk)[0] == "programme"


def test_cli_dry_run_then_apply(db, tmp_path, capsys):
    from pmo_desktop.cli import main

    risk = add_item(db, "R1", likelihood=4, impact=5)
    url = str(db.engine.url) if hasattr(db, "engine") else f"sqlite:///{tmp_path}/esc.db"
    assert main(["escalate", "--database", url, "--today", "2026-03-14", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "DCX-014 R1: project → programme (score 20 ≥ 20)" in out and "1 item would escalate." in out
    assert level(db, risk)[0] == "project"
    assert main(["escalate", "--database", url, "--today", "2026-03-14"]) == 0
    assert "1 item escalated." in capsys.readouterr().out
    assert level(db, risk)[0] == "programme"
    assert main(["escalate", "--database", url, "--today", "2026-03-14"]) == 0
    assert "Nothing to escalate." in capsys.readouterr().out
