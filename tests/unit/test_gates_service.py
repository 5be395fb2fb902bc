"""Stage gates edited in Settings, and each methodology's checklist at a gate."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from pmo_desktop.model import AuditEvent, GateCriterion, GateCriterionResult, GateReview, Project
from pmo_desktop.services import gates as gt
from pmo_desktop.services import governance as gov
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.services.errors import ConflictError, ValidationError

TODAY = dt.date.today()


@pytest.fixture
def office(any_db):
    """The default gates, and one project per methodology at planning (the gate out is G4 Execution)."""
    with any_db.transaction() as session:
        ensure_defaults(session)
        session.add_all([
            Project(code="WF-1", name="Finance ledger", stage="planning", methodology="waterfall"),
            Project(code="AG-1", name="Citizen app", stage="planning", methodology="agile"),
            Project(code="HY-1", name="Depot system", stage="planning", methodology="hybrid"),
            Project(code="NO-1", name="Office move", stage="planning"),
        ])
    return any_db


def _project_id(session, code: str) -> int:
    return session.scalar(select(Project.id).where(Project.code == code))


def _gate(db, to_stage: str) -> gt.GateEntry:
    with db.session() as session:
        return next(g for g in gt.gate_list(session) if g.to_stage == to_stage)


def _drafts(gate: gt.GateEntry) -> list[gt.CriterionDraft]:
    return [c.draft() for c in gate.criteria]


def _save(db, gate: gt.GateEntry, drafts, name: str | None = None, version: int | None = -1) -> gt.GateEntry:
    with db.transaction() as session:
        return gt.save_gate(session, gate.id, gate.name if name is None else name, drafts,
                            gate.version if version == -1 else version)


def _review(db, code: str, gate: gt.GateEntry, met: set[str] | None = None, decision: str = "approved"):
    with db.transaction() as session:
        project_id = _project_id(session, code)
        checklist = gt.project_checklist(session, gate.id, project_id)
        return gov.record_review(session, gov.ReviewValues(
            project_id=project_id, gate_id=gate.id, review_date=TODAY, decision=decision, decided_by="Board",
            results=tuple(gov.CriterionResultInput(c.id, met is None or c.name in met, "Board paper")
                          for c in checklist)))


# -- the tailored checklists ------------------------------------------------------------------------
def test_each_methodology_has_its_own_checklist_at_execution(office):
    with office.session() as session:
        gate = next(g for g in gt.gate_list(session) if g.to_stage == "execution")
        lists = {code: [c.name for c in gt.project_checklist(session, gate.id, _project_id(session, code))]
                 for code in ("WF-1", "AG-1", "HY-1", "NO-1")}
    common = [c.name for c in gate.criteria if c.methodology is None]
    assert lists["NO-1"] == common
    assert "Product backlog prioritised" in lists["AG-1"] and "Definition of done agreed" in lists["AG-1"]
    assert "Requirements specification signed off" in lists["WF-1"]
    assert "Release roadmap aligned with stage milestones" in lists["HY-1"]
    assert "Product backlog prioritised" not in lists["WF-1"] + lists["HY-1"] + lists["NO-1"]
    for code in ("WF-1", "AG-1", "HY-1"):
        assert lists[code][:len(common)] == common and len(lists[code]) > len(common)


def test_next_gate_and_unmet_required_use_the_projects_checklist(office):
    with office.session() as session:
        agile, waterfall = _project_id(session, "AG-1"), _project_id(session, "WF-1")
        gate = gov.next_gate(session, agile)
        assert "Definition of done agreed" in {c.name for c in gate.criteria}
        assert "Requirements specification signed off" not in {c.name for c in gate.criteria}
        all_met = tuple(gov.CriterionResultInput(c.id, True) for c in gate.criteria)
        assert gov.unmet_required(session, gate.id, all_met, agile) == []
        assert gov.unmet_required(session, gate.id, all_met, waterfall) == ["Requirements specification signed off"]


def test_approval_needs_the_methodology_criteria_and_refuses_results_off_the_checklist(office):
    gate = _gate(office, "execution")
    with pytest.raises(ValidationError) as refused:
        _review(office, "AG-1", gate, met={c.name for c in gate.criteria if c.methodology is None})
    assert "Product backlog prioritised" in refused.value.for_field("decision")
    waterfall_only = next(c for c in gate.criteria if c.methodology == "waterfall")
    with office.transaction() as session, pytest.raises(ValidationError) as foreign:
        gov.record_review(session, gov.ReviewValues(
            project_id=_project_id(session, "AG-1"), gate_id=gate.id, review_date=TODAY, decision="deferred",
            results=(gov.CriterionResultInput(waterfall_only.id, True),)))
    assert "AG-1's checklist" in foreign.value.for_field("criteria")
    outcome = _review(office, "AG-1", gate)
    with office.session() as session:
        assert session.get(Project, _project_id(session, "AG-1")).stage == "execution"
        row = next(r for r in gov.review_rows(session) if r.id == outcome.review_id)
        assert row.criteria_met == row.criteria_total == len(gt.project_checklist(session, gate.id, row.project_id))


# -- editing a gate ---------------------------------------------------------------------------------
def test_save_renames_adds_reorders_and_tailors_criteria_with_audit(office):
    gate = _gate(office, "execution")
    drafts = _drafts(gate)
    first, second = drafts[0], drafts[1]
    drafts[0], drafts[1] = gt.CriterionDraft("Baseline plan approved", False, None, first.id), second
    drafts[0], drafts[1] = drafts[1], drafts[0]
    drafts.append(gt.CriterionDraft("  Sprint zero complete ", True, "agile"))
    saved = _save(office, gate, drafts, name="G4 Go for delivery")
    assert saved.name == "G4 Go for delivery" and saved.version > gate.version
    assert [c.name for c in saved.criteria[:2]] == [second.name, "Baseline plan approved"]
    renamed = saved.criteria[1]
    assert (renamed.id, renamed.required) == (first.id, False)
    assert (saved.criteria[-1].name, saved.criteria[-1].methodology) == ("Sprint zero complete", "agile")
    assert _gate(office, "execution") == saved
    with office.session() as session:
        actions = set(session.execute(select(AuditEvent.entity, AuditEvent.action)
                                      .where(AuditEvent.entity.in_(("gate", "gate_criterion")),
                                             AuditEvent.action != "insert", AuditEvent.entity_id == first.id)))
        inserted = session.scalar(select(func.count()).where(
            AuditEvent.entity == "gate_criterion", AuditEvent.action == "insert",
            AuditEvent.entity_id == saved.criteria[-1].id))
    assert ("gate_criterion", "update") in actions
    assert inserted == 1


def test_two_criteria_can_swap_names(office):
    gate = _gate(office, "business_case")
    drafts = _drafts(gate)
    a, b = drafts[0], drafts[1]
    drafts[0], drafts[1] = gt.CriterionDraft(b.name, a.required, None, a.id), gt.CriterionDraft(a.name, b.required,
                                                                                                None, b.id)
    saved = _save(office, gate, drafts)
    assert [(c.id, c.name) for c in saved.criteria[:2]] == [(a.id, b.name), (b.id, a.name)]


def test_bad_rows_are_named_and_nothing_is_written(office):
    gate = _gate(office, "execution")
    drafts = _drafts(gate)
    drafts[1] = gt.CriterionDraft("   ", True, None, drafts[1].id)
    drafts.append(gt.CriterionDraft(drafts[0].name.upper(), True, None))
    drafts.append(gt.CriterionDraft("Kanban board", True, "kanban"))
    with pytest.raises(ValidationError) as refused:
        _save(office, gate, drafts, name=" ")
    errors = {e.field: e.message for e in refused.value.errors}
    rows = len(drafts)
    assert "gate's name" in errors["name"]
    assert errors[gt.criterion_field(2)].startswith("Criterion 2: enter")
    assert "already criterion 1" in errors[gt.criterion_field(rows - 1)]
    assert "'kanban' is not a methodology" in errors[gt.criterion_field(rows)]
    assert _gate(office, "execution") == gate


def test_a_gate_name_another_gate_has_is_refused(office):
    gate = _gate(office, "execution")
    with pytest.raises(ValidationError) as refused:
        _save(office, gate, _drafts(gate), name="G1 Business case")
    assert "already called 'G1 Business case'" in refused.value.for_field("name")


def test_an_unused_criterion_is_removed(office):
    gate = _gate(office, "execution")
    drafts = [d for d in _drafts(gate) if d.name != "Quality plan"]
    saved = _save(office, gate, drafts)
    assert "Quality plan" not in {c.name for c in saved.criteria}
    with office.session() as session:
        assert session.scalar(select(func.count()).where(
            AuditEvent.entity == "gate_criterion", AuditEvent.action == "delete")) == 1


def test_a_criterion_with_review_results_is_kept_and_can_be_made_optional_instead(office):
    gate = _gate(office, "execution")
    _review(office, "AG-1", gate)
    backlog = next(c for c in _gate(office, "execution").criteria if c.name == "Product backlog prioritised")
    assert backlog.reviewed == 1
    gate = _gate(office, "execution")
    with pytest.raises(ValidationError) as refused:
        _save(office, gate, [d for d in _drafts(gate) if d.id != backlog.id])
    message = refused.value.for_field("criteria")
    assert "'Product backlog prioritised' cannot be removed: 1 gate review" in message
    assert "make it optional" in message
    optional = [gt.CriterionDraft(d.name, False, d.methodology, d.id) if d.id == backlog.id else d
                for d in _drafts(gate)]
    saved = _save(office, gate, optional)
    assert not next(c for c in saved.criteria if c.id == backlog.id).required
    with office.session() as session:
        assert session.scalar(select(func.count()).select_from(GateCriterionResult)
                              .where(GateCriterionResult.criterion_id == backlog.id)) == 1


def test_a_stale_editor_gets_a_conflict_and_keep_mine_saves_over_it(office):
    gate = _gate(office, "execution")
    _save(office, gate, _drafts(gate), name="G4 Delivery")
    drafts = _drafts(gate) + [gt.CriterionDraft("Supplier contracts signed", False)]
    with pytest.raises(ConflictError) as conflict:
        _save(office, gate, drafts, name="G4 Build")
    assert conflict.value.theirs["name"] == "G4 Delivery"
    assert conflict.value.mine["name"] == "G4 Build"
    assert "Supplier contracts signed (optional)" in conflict.value.mine["criteria"]
    saved = _save(office, gate, drafts, name="G4 Build", version=None)
    assert saved.name == "G4 Build" and saved.criteria[-1].name == "Supplier contracts signed"


def test_tailoring_a_used_criterion_keeps_its_results_and_changes_the_checklists(office):
    gate = _gate(office, "execution")
    _review(office, "WF-1", gate)
    baseline = next(c for c in gate.criteria if c.name == "Baseline plan")
    drafts = [gt.CriterionDraft(d.name, d.required, "waterfall", d.id) if d.id == baseline.id else d
              for d in _drafts(gate)]
    _save(office, gate, drafts)
    with office.session() as session:
        agile = [c.name for c in gt.project_checklist(session, gate.id, _project_id(session, "AG-1"))]
        waterfall = [c.name for c in gt.project_checklist(session, gate.id, _project_id(session, "WF-1"))]
        kept = session.scalar(select(func.count()).select_from(GateCriterionResult)
                              .where(GateCriterionResult.criterion_id == baseline.id))
        assert session.scalar(select(func.count()).select_from(GateReview)) == 1
    assert "Baseline plan" in waterfall and "Baseline plan" not in agile
    assert kept == 1


def test_default_criteria_for_one_methodology_are_stored_as_such(office):
    with office.session() as session:
        tailored = dict(session.execute(
            select(GateCriterion.methodology, func.count()).where(GateCriterion.methodology.is_not(None))
            .group_by(GateCriterion.methodology)).all())
    assert set(tailored) == {"waterfall", "agile", "hybrid"}


def test_an_approval_that_met_the_agile_checklist_backs_a_later_move_by_hand(office):
    gate = _gate(office, "execution")
    _review(office, "AG-1", gate)
    with office.transaction() as session:
        project_id = _project_id(session, "AG-1")
        version = session.get(Project, project_id).version
        gov.change_stage_by_hand(session, project_id, "planning", "Re-planning after a supplier failure", version,
                                 "controlling")
    with office.session() as session:
        check = gov.check_stage_change(session, _project_id(session, "AG-1"), "execution", "controlling")
    assert check.backed_by_review and not check.reason_required
