"""Gate reviews: approvals move the stage, refusals name what is missing, undo puts it all back."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select

from pmo_desktop.model import AuditEvent, Gate, GateCondition, GateReview, Project, StageChange
from pmo_desktop.model.database import open_database
from pmo_desktop.services import governance as gov
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.services.errors import ConflictError, RuleError, ValidationError

TODAY = dt.date.today()


@pytest.fixture
def database(tmp_path):
    """A migrated database with the default gates and two projects (one at business case)."""
    db = open_database(f"sqlite:///{tmp_path / 'governance.db'}", backup=False)
    with db.transaction() as session:
        ensure_defaults(session)
        session.add_all([
            Project(code="PRJ-001", name="Customer portal", stage="business_case"),
            Project(code="PRJ-002", name="Data centre exit", stage="planning"),
        ])
    yield db
    db.dispose()


def _project(session, code: str) -> Project:
    return session.scalar(select(Project).where(Project.code == code))


def _gate(session, to_stage: str) -> Gate:
    return session.scalar(select(Gate).where(Gate.to_stage == to_stage))


def _values(session, code: str = "PRJ-001", to_stage: str = "approved", decision: str = "approved",
            met: str | set[str] = "all", conditions=(), review_date: dt.date = TODAY) -> gov.ReviewValues:
    gate = _gate(session, to_stage)
    names = {c.name for c in gate.criteria} if met == "all" else met
    return gov.ReviewValues(
        project_id=_project(session, code).id, gate_id=gate.id, review_date=review_date, decision=decision,
        decided_by="Investment board", reviewers="A. Director; B. Finance",
        results=tuple(gov.CriterionResultInput(c.id, c.name in names, f"evidence/{c.id}.pdf") for c in gate.criteria),
        conditions=tuple(conditions),
    )


def test_approval_moves_the_project_and_records_the_stage_change(database):
    with database.transaction() as session:
        outcome = gov.record_review(session, _values(session))
    with database.session() as session:
        assert _project(session, "PRJ-001").stage == "approved"
        change = session.scalar(select(StageChange).where(StageChange.review_id == outcome.review_id))
        assert (change.from_stage, change.to_stage, change.changed_on) == ("business_case", "approved", TODAY)
        rows = gov.review_rows(session)
        assert len(rows) == 1
        row = rows[0]
        assert (row.project_code, row.gate, row.decision) == ("PRJ-001", "G2 Investment approval", "approved")
        assert row.transition == "Business case → Approved"
        assert row.criteria_met == row.criteria_total == 6
        assert gov.next_gate(session, row.project_id).name == "G3 Mobilisation"


def test_approval_with_unmet_required_criteria_is_refused_naming_them(database):
    with database.session() as session:
        values = _values(session, met={"Business case", "Options appraisal", "Benefits plan"})
    with pytest.raises(ValidationError) as caught, database.transaction() as session:
        gov.record_review(session, values)
    message = caught.value.for_field("decision")
    assert "Budget approved" in message and "Risk register started" in message
    assert "Procurement route agreed" not in message  # optional criteria never block
    with database.session() as session:
        assert _project(session, "PRJ-001").stage == "business_case"
        assert session.scalar(select(GateReview.id)) is None


def test_approval_with_conditions_needs_a_condition_and_then_moves_the_stage(database):
    with database.session() as session:
        bare = _values(session, decision="approved_with_conditions", met={"Business case"})
    with pytest.raises(ValidationError) as caught, database.transaction() as session:
        gov.record_review(session, bare)
    assert "at least one condition" in caught.value.for_field("conditions")

    condition = gov.ConditionInput("Budget signed off by finance", "CFO", TODAY + dt.timedelta(days=30))
    with database.transaction() as session:
        values = _values(session, decision="approved_with_conditions", met={"Business case"},
                         conditions=[condition])
        outcome = gov.record_review(session, values)
    assert outcome.stage_change is not None and outcome.stage_change.to_stage == "approved"
    with database.session() as session:
        assert _project(session, "PRJ-001").stage == "approved"
        row = gov.review_rows(session)[0]
        assert (row.criteria_met, row.open_conditions, row.overdue_conditions) == (1, 1, 0)
        # Later, the condition falls overdue in the log.
        later = gov.review_rows(session, today=TODAY + dt.timedelta(days=31))[0]
        assert later.overdue_conditions == 1


def test_wrong_gate_future_date_and_missing_fields_are_explained(database):
    with database.session() as session:
        values = _values(session, to_stage="execution", review_date=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as caught, database.transaction() as session:
        gov.record_review(session, values)
    assert "G4 Execution leads out of Planning" in caught.value.for_field("gate")
    assert "G2 Investment approval" in caught.value.for_field("gate")
    assert "future" in caught.value.for_field("review_date")

    empty = gov.ReviewValues(project_id=None, gate_id=None, review_date=None, decision="maybe")
    with pytest.raises(ValidationError) as caught, database.transaction() as session:
        gov.record_review(session, empty)
    assert {e.field for e in caught.value.errors} == {"project", "gate", "review_date", "decision"}


def test_a_deferred_gate_can_be_reviewed_again_and_a_passed_gate_re_reviewed(database):
    with database.transaction() as session:
        gov.record_review(session, _values(session, decision="deferred", met=set()))
        gov.record_review(session, _values(session))
    with database.transaction() as session:
        assert _project(session, "PRJ-001").stage == "approved"
        # A re-review of the passed gate is allowed and leaves the stage where it is.
        outcome = gov.record_review(session, _values(session, decision="approved"))
        assert outcome.stage_change is None
    with database.session() as session:
        assert _project(session, "PRJ-001").stage == "approved"
        assert len(gov.review_rows(session)) == 3


def test_undo_of_an_approval_restores_the_stage_and_removes_the_stage_change(database):
    with database.transaction() as session:
        outcome = gov.record_review(session, _values(session))
    with database.transaction() as session:
        gov.restore_review(session, outcome.review_id, None)
    with database.session() as session:
        assert _project(session, "PRJ-001").stage == "business_case"
        assert session.scalar(select(StageChange.id)) is None
        assert session.scalar(select(GateReview.id)) is None


def test_delete_and_restore_bring_back_review_conditions_and_stage(database):
    condition = gov.ConditionInput("Hire a delivery lead", "Sponsor", TODAY)
    with database.transaction() as session:
        outcome = gov.record_review(session, _values(session, decision="approved_with_conditions",
                                                     conditions=[condition]))
    with database.transaction() as session:
        before = gov.load_review(session, outcome.review_id)
        snapshot = gov.delete_review(session, outcome.review_id, before.version)
    with database.session() as session:
        assert _project(session, "PRJ-001").stage == "business_case"
        assert session.scalar(select(GateCondition.id)) is None
    with database.transaction() as session:
        gov.restore_review(session, outcome.review_id, snapshot)
    with database.session() as session:
        restored = gov.load_review(session, outcome.review_id)
        assert restored.values == before.values
        assert restored.stage_change == before.stage_change
        assert _project(session, "PRJ-001").stage == "approved"


def test_update_to_rejected_withdraws_the_move_and_undo_makes_it_again(database):
    with database.transaction() as session:
        outcome = gov.record_review(session, _values(session))
    with database.transaction() as session:
        rejected = replace(_values(session), decision="rejected")
        updated = gov.update_review(session, outcome.review_id, rejected, outcome.version)
    with database.session() as session:
        assert _project(session, "PRJ-001").stage == "business_case"
        assert updated.stage_change is None
    with database.transaction() as session:
        gov.restore_review(session, outcome.review_id, updated.before)
    with database.session() as session:
        assert _project(session, "PRJ-001").stage == "approved"
        assert gov.load_review(session, outcome.review_id).values.decision == "approved"


def test_a_stale_save_is_a_conflict(database):
    with database.transaction() as session:
        outcome = gov.record_review(session, _values(session, decision="deferred", met=set()))
    with database.transaction() as session:
        gov.update_review(session, outcome.review_id, _values(session, decision="deferred", met=set()),
                          outcome.version)
    with pytest.raises(ConflictError) as caught, database.transaction() as session:
        gov.update_review(session, outcome.review_id, _values(session, decision="rejected", met=set()),
                          outcome.version)
    assert caught.value.theirs["decision"] == "Deferred" and caught.value.mine["decision"] == "Rejected"
    with pytest.raises(ConflictError), database.transaction() as session:
        gov.delete_review(session, outcome.review_id, outcome.version)


def test_condition_met_and_open_again(database):
    condition = gov.ConditionInput("Benefits owner named", "Sponsor", TODAY - dt.timedelta(days=3))
    with database.transaction() as session:
        outcome = gov.record_review(session, _values(session, decision="approved_with_conditions",
                                                     conditions=[condition]))
    with database.transaction() as session:
        condition_id = session.scalar(select(GateCondition.id))
        version = session.get(GateCondition, condition_id).version
        change = gov.set_condition_met(session, condition_id, TODAY, version)
    with database.session() as session:
        row = gov.review_rows(session)[0]
        assert (row.id, row.open_conditions, row.overdue_conditions) == (outcome.review_id, 0, 0)
    with database.transaction() as session:
        gov.set_condition_met(session, condition_id, change.before, change.version)
    with database.session() as session:
        assert gov.review_rows(session)[0].overdue_conditions == 1


def test_supportive_office_moves_by_hand_with_a_warning(database):
    with database.transaction() as session:
        project = _project(session, "PRJ-002")
        moved = gov.change_stage_by_hand(session, project.id, "execution", None, project.version, "supportive")
    assert moved.warning and "No approved gate review" in moved.warning
    with database.session() as session:
        assert _project(session, "PRJ-002").stage == "execution"
        change = session.get(StageChange, moved.stage_change_id)
        assert (change.from_stage, change.to_stage, change.review_id) == ("planning", "execution", None)
    with database.transaction() as session:
        gov.undo_stage_change(session, moved.stage_change_id)
    with database.session() as session:
        assert _project(session, "PRJ-002").stage == "planning"
        assert session.get(StageChange, moved.stage_change_id) is None


def test_controlling_office_requires_and_stores_a_reason(database):
    with database.session() as session:
        project = _project(session, "PRJ-002")
        check = gov.check_stage_change(session, project.id, "execution", "controlling")
    assert check.allowed and check.reason_required
    with pytest.raises(ValidationError) as caught, database.transaction() as session:
        gov.change_stage_by_hand(session, project.id, "execution", "  ", project.version, "controlling")
    assert "reason" in caught.value.for_field("reason")
    with database.transaction() as session:
        moved = gov.change_stage_by_hand(session, project.id, "execution", "Board minute 14/3: start now",
                                         project.version, "controlling")
    assert moved.warning is None
    with database.session() as session:
        assert session.get(StageChange, moved.stage_change_id).reason == "Board minute 14/3: start now"


def test_controlling_office_needs_no_reason_when_an_approved_review_met_the_criteria(database):
    with database.transaction() as session:
        gov.record_review(session, _values(session))
        project = _project(session, "PRJ-001")
        # Put on hold by hand (needs a reason), then back into approved: the review backs it.
        gov.change_stage_by_hand(session, project.id, "on_hold", "Funding paused", project.version, "controlling")
    with database.session() as session:
        project = _project(session, "PRJ-001")
        check = gov.check_stage_change(session, project.id, "approved", "controlling")
    assert check.allowed and not check.reason_required and check.backed_by_review


def test_directive_office_refuses_a_hand_stage_change(database):
    with database.session() as session:
        project = _project(session, "PRJ-002")
    with pytest.raises(RuleError) as caught, database.transaction() as session:
        gov.change_stage_by_hand(session, project.id, "execution", "Urgent", project.version, "directive")
    assert "Under a directive PMO a stage changes only through an approved gate review" in str(caught.value)
    with database.session() as session:
        assert _project(session, "PRJ-002").stage == "planning"


def test_a_hand_change_from_a_stale_project_is_a_conflict(database):
    with database.transaction() as session:
        project = _project(session, "PRJ-002")
        stale_version = project.version
        project.name = "Data centre exit (phase 1)"
    with pytest.raises(ConflictError), database.transaction() as session:
        gov.change_stage_by_hand(session, project.id, "execution", "Go", stale_version, "supportive")


def test_reviews_and_stage_moves_leave_audit_events(database):
    with database.transaction() as session:
        outcome = gov.record_review(session, _values(session, decision="approved_with_conditions",
                                                     conditions=[gov.ConditionInput("Sign the contract")]))
    with database.session() as session:
        events = {(e.entity, e.action) for e in session.scalars(select(AuditEvent))}
        project_updates = session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "project", AuditEvent.action == "update")).all()
    assert {("gate_review", "insert"), ("gate_criterion_result", "insert"), ("gate_condition", "insert"),
            ("stage_change", "insert"), ("project", "update")} <= events
    assert project_updates[-1].changes["stage"] == ["business_case", "approved"]
    with database.transaction() as session:
        gov.restore_review(session, outcome.review_id, None)
    with database.session() as session:
        deleted = {e.entity for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "delete"))}
    assert {"gate_review", "stage_change", "gate_condition"} <= deleted
