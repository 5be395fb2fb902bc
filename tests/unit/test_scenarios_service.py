"""Scenario service: edits, entries, suggest, comparison, read-only approval and its stage moves by PMO type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from pmo_desktop.model import AuditEvent, GateReview, OfficeSettings, Project, Scenario, StageChange
from pmo_desktop.model.database import open_database
from pmo_desktop.model.resources import Allocation, Demand, Person, Role
from pmo_desktop.services import governance, portfolio, scenarios, scoring
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.services.errors import ConflictError, RuleError, ValidationError
from pmo_desktop.services.scenarios import EntryState

D = dt.date
FY = 2026  # April 2026 - March 2027 with the default start month
FY_START, FY_END = D(2026, 4, 1), D(2027, 3, 31)


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/scenarios.db", backup=False)
    with database.transaction() as session:
        ensure_defaults(session)
    yield database
    database.dispose()


def _project(session, code, stage, budget, score, start=FY_START, end=FY_END, benefits=None) -> int:
    project_id = portfolio.create_project(session, {
        "code": code, "name": f"Project {code}", "stage": stage, "budget": budget, "benefits": benefits,
        "baseline_start": start, "baseline_end": end})
    criteria = scoring.criteria(session)
    scoring.set_scores(session, project_id, {c.id: score for c in criteria})
    return project_id


@pytest.fixture
def office(db):
    """Four candidates in FY2026; every criterion scored alike, so the weighted score is that score."""
    with db.transaction() as session:
        ids = {
            "P1": _project(session, "P1", "idea", 400_000, 4.0, benefits=900_000),
            "P2": _project(session, "P2", "business_case", 300_000, 3.5),
            "P3": _project(session, "P3", "idea", 300_000, 3.0),
            # Baseline Oct 2026 - Sep 2027: 12 months, 6 in the year, so 240,000 of 480,000.
            "P4": _project(session, "P4", "planning", 480_000, 1.0, D(2026, 10, 1), D(2027, 9, 30)),
        }
        scenario_id = scenarios.create_scenario(session, {"name": "Base", "budget_cap": "800000",
                                                          "fiscal_year": FY})
    return db, ids, scenario_id


def _version(db, scenario_id) -> int:
    with db.session() as session:
        return scenarios.get_scenario(session, scenario_id).version


def _stage(db, project_id) -> str:
    with db.session() as session:
        return session.get(Project, project_id).stage


def test_new_scenario_lists_candidates_out_and_costs_them_in_its_year(office):
    db, ids, scenario_id = office
    with db.session() as session:
        view = scenarios.scenario_view(session, scenario_id)
    assert [e.candidate.code for e in view.entries] == ["P1", "P2", "P3", "P4"]
    assert not any(e.included for e in view.entries)
    costs = {e.candidate.code: e.candidate.year_cost for e in view.entries}
    assert costs["P4"] == Decimal("240000.00") and costs["P1"] == Decimal("400000.00")
    totals = view.totals({ids["P1"], ids["P4"]})
    assert totals.cost == Decimal("640000.00") and totals.score == pytest.approx(5.0)
    assert totals.benefits == Decimal(900_000)
    assert view.fiscal_year_label == "FY26/27"


def test_apply_suggestion_keeps_pins_and_saves(office):
    db, ids, scenario_id = office
    with db.transaction() as session:
        version = scenarios.set_entries(session, scenario_id, {ids["P3"]: EntryState(True, True)},
                                        _version(db, scenario_id))
    with db.transaction() as session:
        suggestion, _ = scenarios.apply_suggestion(session, scenario_id, version)
    # P3 pinned in (300k) leaves 500k: P1 (400k, 4.0) beats P2 (300k, 3.5) and P4 (240k, 1.0) alone,
    # and P2 + P4 (540k) do not fit.
    assert set(suggestion.chosen) == {ids["P1"], ids["P3"]}
    with db.session() as session:
        view = scenarios.scenario_view(session, scenario_id)
    assert {e.candidate.code for e in view.entries if e.included} == {"P1", "P3"}
    assert next(e for e in view.entries if e.candidate.code == "P3").pinned


def test_suggest_needs_a_cap(office):
    db, _ids, scenario_id = office
    with db.transaction() as session:
        scenarios.update_scenario(session, scenario_id, {"budget_cap": None}, None)
    with pytest.raises(ValidationError) as info, db.session() as session:
        scenarios.suggest(session, scenario_id)
    assert info.value.for_field("budget_cap")


def test_validation_names_the_field(office):
    db, _ids, scenario_id = office
    with pytest.raises(ValidationError) as info, db.transaction() as session:
        scenarios.create_scenario(session, {"name": "base", "budget_cap": "-5", "fiscal_year": "26/27"})
    assert "already a scenario" in info.value.for_field("name")
    assert "negative" in info.value.for_field("budget_cap")
    assert "2026" in info.value.for_field("fiscal_year")


def test_stale_version_conflicts(office):
    db, ids, scenario_id = office
    version = _version(db, scenario_id)
    with db.transaction() as session:
        scenarios.rename_scenario(session, scenario_id, "Base plan", version)
    with pytest.raises(ConflictError), db.transaction() as session:
        scenarios.set_entries(session, scenario_id, {ids["P1"]: EntryState(True)}, version)


def test_compare_two_scenarios(office):
    db, ids, scenario_id = office
    with db.transaction() as session:
        scenarios.set_entries(session, scenario_id, {ids["P1"]: EntryState(True)}, None)
        other = scenarios.copy_scenario(session, scenario_id, "Lean")
        scenarios.set_entries(session, other, {ids["P1"]: EntryState(False), ids["P2"]: EntryState(True)}, None)
    with db.session() as session:
        base, lean = scenarios.compare(session, [scenario_id, other])
    assert base.included == {ids["P1"]} and lean.included == {ids["P2"]}
    assert base.totals.cost == Decimal("400000.00") and lean.totals.score == pytest.approx(3.5)
    assert base.years == ((2026, Decimal("400000.00")), (2027, Decimal(0)), (2028, Decimal(0)))
    with pytest.raises(ValidationError), db.session() as session:
        scenarios.compare(session, [scenario_id])


def test_role_demand_added_by_included_candidates(office):
    db, ids, scenario_id = office
    with db.transaction() as session:
        role = Role(name="Developer")
        session.add(role)
        session.flush()
        person = Person(name="Ann", role_id=role.id, capacity_hours=37.5)
        session.add(person)
        session.flush()
        # Ann is busy 20 h/week on P4 (a candidate) for two full weeks; P1 demands 10 h/week for one.
        session.add(Allocation(person_id=person.id, project_id=ids["P4"], start_date=D(2026, 6, 1),
                               end_date=D(2026, 6, 12), hours_per_week=20))
        session.add(Demand(project_id=ids["P1"], role_id=role.id, start_date=D(2026, 6, 8),
                           end_date=D(2026, 6, 12), hours_per_week=10))
    with db.session() as session:
        view = scenarios.scenario_view(session, scenario_id)
    assert view.resources.added == {ids["P4"]: {"Developer": 40.0}, ids["P1"]: {"Developer": 10.0}}
    [load] = view.loads({ids["P1"]})
    assert load.role == "Developer" and load.added == 10.0 and load.committed == 0.0
    assert load.available > 37.5 * 40  # a whole fiscal year of one person, less public holidays


def _approve(db, scenario_id, **kwargs):
    with db.transaction() as session:
        return scenarios.approve(session, scenario_id, _version(db, scenario_id), "Board chair",
                                 today=D(2026, 11, 20), **kwargs)


def _set_pmo(db, pmo_type: str) -> None:
    with db.transaction() as session:
        session.get(OfficeSettings, 1).pmo_type = pmo_type


def test_approve_moves_chosen_proposals_by_hand_and_is_read_only(office):
    db, ids, scenario_id = office
    _set_pmo(db, "controlling")
    with db.transaction() as session:
        scenarios.set_entries(session, scenario_id, {ids["P1"]: EntryState(True), ids["P2"]: EntryState(True),
                                                     ids["P4"]: EntryState(True)}, None)
    approval = _approve(db, scenario_id)
    assert {(m.code, m.to_stage) for m in approval.moves} == {("P1", "business_case"), ("P2", "approved")}
    assert _stage(db, ids["P1"]) == "business_case" and _stage(db, ids["P2"]) == "approved"
    assert _stage(db, ids["P3"]) == "idea" and _stage(db, ids["P4"]) == "planning"
    with db.session() as session:
        change = session.scalar(select(StageChange).where(StageChange.project_id == ids["P1"]))
        stored = session.get(Scenario, scenario_id)
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "scenario",
                                                          AuditEvent.entity_id == scenario_id)).all()
    assert change.reason == "Approved in scenario 'Base' by Board chair"
    assert stored.approved and stored.approved_by == "Board chair"
    assert any(e.action == "update" and "approved" in (e.changes or {}) for e in events)
    with pytest.raises(RuleError, match="read-only"), db.transaction() as session:
        scenarios.set_entries(session, scenario_id, {ids["P3"]: EntryState(True)}, None)


def test_directive_office_refuses_without_gate_criteria_and_changes_nothing(office):
    db, ids, scenario_id = office
    _set_pmo(db, "directive")
    with db.transaction() as session:
        scenarios.set_entries(session, scenario_id, {ids["P1"]: EntryState(True)}, None)
    with pytest.raises(RuleError) as info:
        _approve(db, scenario_id)
    assert "P1 at G1 Business case: Problem statement and outcomes" in str(info.value)
    assert _stage(db, ids["P1"]) == "idea"
    with db.session() as session:
        assert not session.get(Scenario, scenario_id).approved


def test_directive_office_records_an_approved_review(office):
    db, ids, scenario_id = office
    _set_pmo(db, "directive")
    with db.transaction() as session:
        gate = governance.next_gate(session, ids["P1"])
        results = tuple(governance.CriterionResultInput(c.id, True, "Board paper") for c in gate.criteria)
        governance.record_review(session, governance.ReviewValues(
            ids["P1"], gate.id, D(2026, 11, 1), "deferred", results=results))
        scenarios.set_entries(session, scenario_id, {ids["P1"]: EntryState(True)}, None)
    approval = _approve(db, scenario_id)
    assert _stage(db, ids["P1"]) == "business_case"
    with db.session() as session:
        review = session.get(GateReview, approval.moves[0].review_id)
    assert review.decision == "approved" and review.decided_by == "Board chair"


def test_remove_candidates_and_put_them_back(office):
    db, ids, scenario_id = office
    with db.transaction() as session:
        version = scenarios.set_entries(session, scenario_id, {ids["P3"]: EntryState(True, True)}, None)
    with db.transaction() as session:
        removed, after = scenarios.remove_candidates(session, scenario_id, [ids["P3"], ids["P4"]], version)
    assert removed == {ids["P3"]: EntryState(True, True), ids["P4"]: EntryState(False, False)}
    assert after > version
    with db.session() as session:
        view = scenarios.scenario_view(session, scenario_id)
        deletes = session.scalars(select(AuditEvent).where(AuditEvent.entity == "scenario_project",
                                                           AuditEvent.action == "delete")).all()
    assert [e.candidate.code for e in view.entries] == ["P1", "P2"]
    assert len(deletes) == 2
    with pytest.raises(ConflictError), db.transaction() as session:
        scenarios.remove_candidates(session, scenario_id, [ids["P1"]], version)
    with db.transaction() as session:
        scenarios.restore_candidates(session, scenario_id, removed, after)
    with db.session() as session:
        entries = {e.candidate.code: e for e in scenarios.scenario_view(session, scenario_id).entries}
    assert list(entries) == ["P1", "P2", "P3", "P4"]
    assert entries["P3"].included and entries["P3"].pinned and not entries["P4"].included


def test_remove_candidates_refused_on_an_approved_scenario(office):
    db, ids, scenario_id = office
    _approve(db, scenario_id)
    with pytest.raises(RuleError, match="read-only"), db.transaction() as session:
        scenarios.remove_candidates(session, scenario_id, [ids["P1"]], None)
    with db.session() as session:
        assert len(scenarios.scenario_view(session, scenario_id).entries) == 4


def _approve_p1_p2(office, pmo_type: str) -> scenarios.Approval:
    """Approve the scenario with P1 and P2 in, under ``pmo_type`` (moved by hand)."""
    db, ids, scenario_id = office
    _set_pmo(db, pmo_type)
    with db.transaction() as session:
        scenarios.set_entries(session, scenario_id, {ids["P1"]: EntryState(True), ids["P2"]: EntryState(True)}, None)
    return _approve(db, scenario_id)


def test_withdraw_approval_moves_the_stages_back(office):
    db, ids, scenario_id = office
    approval = _approve_p1_p2(office, "controlling")
    with db.transaction() as session:
        version = scenarios.withdraw_approval(session, approval)
    assert _stage(db, ids["P1"]) == "idea" and _stage(db, ids["P2"]) == "business_case"
    with db.session() as session:
        stored = session.get(Scenario, scenario_id)
        moves = session.scalars(select(StageChange)).all()
        withdrawn = session.scalars(select(AuditEvent).where(AuditEvent.entity == "stage_change",
                                                             AuditEvent.action == "delete")).all()
    assert not stored.approved and stored.approved_by is None and stored.version == version
    assert moves == [] and len(withdrawn) == 2
    # Editable again, and approvable again.
    assert {m.code for m in _approve(db, scenario_id).moves} == {"P1", "P2"}


def test_withdraw_approval_removes_the_gate_reviews_it_recorded(office):
    db, ids, scenario_id = office
    _set_pmo(db, "directive")
    with db.transaction() as session:
        gate = governance.next_gate(session, ids["P1"])
        results = tuple(governance.CriterionResultInput(c.id, True, "Board paper") for c in gate.criteria)
        earlier = governance.record_review(session, governance.ReviewValues(
            ids["P1"], gate.id, D(2026, 11, 1), "deferred", results=results)).review_id
        scenarios.set_entries(session, scenario_id, {ids["P1"]: EntryState(True)}, None)
    approval = _approve(db, scenario_id)
    with db.transaction() as session:
        scenarios.withdraw_approval(session, approval)
    assert _stage(db, ids["P1"]) == "idea"
    with db.session() as session:
        reviews = session.scalars(select(GateReview.id)).all()
    assert reviews == [earlier]


def test_withdraw_approval_refused_when_a_moved_project_changed_since(office):
    db, ids, scenario_id = office
    approval = _approve_p1_p2(office, "supportive")
    with db.transaction() as session:
        portfolio.update_project(session, ids["P2"], {"description": "Rescoped by the sponsor"}, None)
    with pytest.raises(RuleError) as info, db.transaction() as session:
        scenarios.withdraw_approval(session, approval)
    assert "cannot be undone: P2 changed" in str(info.value)
    assert _stage(db, ids["P1"]) == "business_case" and _stage(db, ids["P2"]) == "approved"
    with db.session() as session:
        assert session.get(Scenario, scenario_id).approved
