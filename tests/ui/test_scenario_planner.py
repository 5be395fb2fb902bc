"""The scenario planner: toggles and live totals, suggest in the background, save, remove, compare, approve."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from pmo_desktop.analytics import scenarios as analytics
from pmo_desktop.model import OfficeSettings, Project
from pmo_desktop.services import portfolio, scenarios, scoring
from pmo_desktop.ui.portfolio.scenario_planner import CandidateModel, ScenarioPlanner

D = dt.date


@pytest.fixture
def office(ctx):
    """Three proposals and one planned project, all costed wholly in the current fiscal year."""
    year = ctx.read(scenarios.current_fiscal_year)
    first = D(year, 4, 1)

    def seed(session):
        session.get(OfficeSettings, 1).pmo_type = "controlling"
        ids = {}
        for code, stage, budget, score in (("P1", "idea", 400_000, 4.0), ("P2", "business_case", 300_000, 3.5),
                                           ("P3", "idea", 300_000, 3.0), ("P4", "planning", 200_000, 1.0)):
            ids[code] = portfolio.create_project(session, {
                "code": code, "name": f"Project {code}", "stage": stage, "budget": budget,
                "baseline_start": first, "baseline_end": first.replace(month=12)})
            scoring.set_scores(session, ids[code], {c.id: score for c in scoring.criteria(session)})
        scenario_id = scenarios.create_scenario(session, {"name": "Base", "budget_cap": 700_000,
                                                          "fiscal_year": year})
        return ids, scenario_id

    ids, scenario_id = ctx.write(seed)
    return ids, scenario_id


def _planner(qtbot, ctx) -> ScenarioPlanner:
    planner = ScenarioPlanner(ctx)
    qtbot.addWidget(planner)
    planner.show()
    return planner


def _tick(planner, project_id, column=CandidateModel.IN, checked=True):
    row = planner.model.row_of(project_id)
    planner.model.setData(planner.model.index(row, column),
                          (Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked).value,
                          Qt.ItemDataRole.CheckStateRole)


def test_toggles_update_totals_live_and_save(qtbot, ctx, office):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    assert planner.scenario_id == scenario_id
    _tick(planner, ids["P1"])
    _tick(planner, ids["P2"])
    totals = planner.current_totals()
    assert totals.cost == Decimal("700000.00") and totals.score == pytest.approx(7.5)
    assert "£0 left" in planner.totals_label.text()
    label = planner.view.fiscal_year_label
    assert f"Cost by fiscal year: {label} £700k · " in planner.totals_label.text()
    _tick(planner, ids["P3"])
    assert planner.current_totals().over_cap and "£300k over" in planner.totals_label.text()
    assert planner.is_dirty and not planner.approve_button.isEnabled()
    _tick(planner, ids["P3"], checked=False)
    assert planner.save()
    stored = ctx.read(scenarios.scenario_view, scenario_id)
    assert {e.candidate.code for e in stored.entries if e.included} == {"P1", "P2"}
    assert not planner.is_dirty
    ctx.undo_stack.undo()
    assert not any(e.included for e in ctx.read(scenarios.scenario_view, scenario_id).entries)
    assert planner.model.included() == set()
    ctx.undo_stack.redo()
    assert planner.model.included() == {ids["P1"], ids["P2"]}


def test_suggest_keeps_pins_and_explains(qtbot, ctx, office):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P4"])
    _tick(planner, ids["P4"], CandidateModel.PIN)
    planner.suggest()
    qtbot.waitUntil(lambda: not planner.is_busy)
    result = planner.suggestion
    # P4 pinned in (200k) leaves 500k: P1 (400k, 4.0) alone beats P2 or P3 (3.5, 3.0), and P2 + P3 is 600k.
    assert planner.model.included() == {ids["P4"], ids["P1"]}
    assert set(result.chosen) == {ids["P1"], ids["P4"]}
    text = planner.explanation.toPlainText()
    assert text.startswith("Chosen 2 of 4 candidates") and "P4: Pinned in." in text
    assert text.index("P2: Left out: over the cap") < text.index("P1: Chosen")
    reason_column = planner.model.index(planner.model.row_of(ids["P2"]), CandidateModel.REASON)
    assert "over the cap" in planner.model.data(reason_column)
    assert planner.save()
    assert {e.candidate.code for e in ctx.read(scenarios.scenario_view, scenario_id).entries if e.included} == {
        "P1", "P4"}


def test_approve_moves_the_chosen_proposals(qtbot, ctx, office, message_boxes):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P1"])
    _tick(planner, ids["P2"])
    _tick(planner, ids["P4"])
    assert planner.save()
    message_boxes.answer = QMessageBox.StandardButton.Yes
    approval = planner.approve()
    assert {m.code for m in approval.moves} == {"P1", "P2"}
    with ctx.db.session() as session:
        stages = {code: session.get(Project, pid).stage for code, pid in ids.items()}
    assert stages == {"P1": "business_case", "P2": "approved", "P3": "idea", "P4": "planning"}
    assert "Proposals moving to their next stage: P1, P2" in message_boxes.texts()
    assert "✓ approved" in planner.scenario_list.currentItem().text()
    assert planner.model.read_only and not planner.suggest_button.isEnabled()
    assert not planner.model.flags(planner.model.index(0, CandidateModel.IN)) & Qt.ItemFlag.ItemIsUserCheckable


def test_approve_cancelled_changes_nothing(qtbot, ctx, office, message_boxes):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P1"])
    planner.save()
    message_boxes.answer = QMessageBox.StandardButton.Cancel
    assert planner.approve() is None
    assert not ctx.read(scenarios.get_scenario, scenario_id).approved


def test_new_copy_and_compare(qtbot, ctx, office, monkeypatch):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P1"])
    planner.save()
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Lean", True)))
    lean = planner.copy_scenario()
    assert planner.scenario_id == lean and planner.model.included() == {ids["P1"]}
    _tick(planner, ids["P1"], checked=False)
    _tick(planner, ids["P3"])
    planner.save()
    planner.scenario_list.selectAll()
    dialog = planner.compare()
    qtbot.addWidget(dialog)
    table = dialog.table
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert headers == ["Base", "Lean"]
    rows = {table.verticalHeaderItem(r).text(): r for r in range(table.rowCount())}
    assert table.item(rows["Weighted score"], 0).text() == "4.00"
    assert table.item(rows["Weighted score"], 1).text() == "3.00"
    assert table.item(rows["P1"], 0).text() == "✓ in" and table.item(rows["P1"], 1).text() == ""


def test_portfolio_tab_buttons_open_ranking_and_planner(qtbot, ctx, office):
    from pmo_desktop.ui.tabs.portfolio_tab import PortfolioTab

    ids, scenario_id = office
    tab = PortfolioTab(ctx)
    qtbot.addWidget(tab)
    tab.show()
    tab.ranking_button.click()
    assert tab.ranking_view.isVisible() and tab.ranking_view.model.row_tuple(0)[3] == "P1"
    tab.ranking_view.project_chosen.emit(ids["P2"])
    assert tab.panel.project_id == ids["P2"]
    tab.scenarios_button.click()
    assert tab.scenario_planner.isVisible() and tab.scenario_planner.scenario_id == scenario_id


def test_notes_and_new_candidates(qtbot, ctx, office):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    planner.notes_edit.setText("Assumes the grant")
    planner.notes_edit.textEdited.emit("Assumes the grant")
    assert planner.is_dirty and planner.save()
    assert ctx.read(scenarios.get_scenario, scenario_id).notes == "Assumes the grant"
    late = ctx.write(portfolio.create_project, {"code": "P5", "name": "Late idea", "stage": "idea"})
    assert planner.add_candidates() == 1
    row = planner.model.row_of(late)
    assert row is not None and not planner.model.states[late].included
    assert planner.add_candidates() == 0
    tip = planner.model.data(planner.model.index(row, CandidateModel.NAME), Qt.ItemDataRole.ToolTipRole)
    assert tip == "Late idea\n\nNo resource demand or allocations in the year."


def test_another_fiscal_year_recosts_the_candidates(qtbot, ctx, office):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P1"])
    year = planner.year_spin.value()
    planner.year_spin.setValue(year + 1)  # every baseline lies in the year before
    assert planner.model.included() == {ids["P1"]}
    assert planner.current_totals().cost == Decimal(0)
    assert planner.save()
    assert ctx.read(scenarios.get_scenario, scenario_id).fiscal_year == year + 1


def test_undo_of_a_save_is_refused_when_someone_saved_since(qtbot, ctx, office):
    from pmo_desktop.services.scenarios import EntryState

    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P1"])
    assert planner.save()
    errors = []
    ctx.error_raised.connect(errors.append)
    ctx.write(scenarios.set_entries, scenario_id, {ids["P3"]: EntryState(True)}, None, entity="scenario")
    ctx.undo_stack.undo()
    assert errors and "changed by someone else" in str(errors[0])
    included = {e.candidate.code for e in ctx.read(scenarios.scenario_view, scenario_id).entries if e.included}
    assert included == {"P1", "P3"}


@pytest.fixture
def slow_suggest(monkeypatch):
    """Suggest that reports 1 of 4 steps until it is cancelled (released at teardown if a test fails)."""
    released = threading.Event()

    def suggest(cands, cap, pinned_in, pinned_out, currency, *, stop, report):
        while not stop() and not released.is_set():
            report(1, 4)
            released.wait(0.01)
        raise analytics.Cancelled()

    monkeypatch.setattr(analytics, "suggest", suggest)
    yield
    released.set()


def test_suggest_in_the_background_locks_the_scenario_and_cancel_leaves_it(qtbot, ctx, office, slow_suggest):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P2"])
    assert planner.suggest() is not None
    assert planner.is_busy and planner.model.read_only
    assert not planner.model.flags(planner.model.index(0, CandidateModel.IN)) & Qt.ItemFlag.ItemIsUserCheckable
    assert not planner.save_button.isEnabled() and not planner.scenario_list.isEnabled()
    assert not planner.cap_spin.isEnabled() and planner.suggest_button.isEnabled()
    qtbot.waitUntil(lambda: planner.suggest_button.text() == "Cancel Suggest (25%)")
    planner.suggest_button.click()
    assert planner.suggest_button.text() == "Cancelling…" and not planner.suggest_button.isEnabled()
    qtbot.waitUntil(lambda: not planner.is_busy)
    assert planner.suggest_button.text() == "Suggest" and planner.suggest_button.isEnabled()
    assert planner.model.included() == {ids["P2"]} and not planner.model.read_only
    assert planner.model.reasons == {} and "cancelled" in planner.explanation.toPlainText()
    assert planner.save_button.isEnabled() and planner.scenario_list.isEnabled()
    assert not any(e.included for e in ctx.read(scenarios.scenario_view, scenario_id).entries)


def test_closing_the_planner_cancels_suggest(qtbot, ctx, office, slow_suggest):
    planner = _planner(qtbot, ctx)
    planner.suggest()
    planner.close_button.click()
    qtbot.waitUntil(lambda: not planner.is_busy)
    assert planner.model.included() == set()


def test_remove_candidates_with_delete_and_undo(qtbot, ctx, office):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P3"])
    assert planner.save()
    assert not planner.remove_button.isEnabled()
    planner.table.selectRow(planner.model.row_of(ids["P3"]))
    assert planner.remove_button.isEnabled()
    planner.activateWindow()
    qtbot.waitUntil(planner.isActiveWindow)
    planner.table.setFocus()
    qtbot.keyClick(planner.table, Qt.Key.Key_Delete)
    stored = [e.candidate.code for e in ctx.read(scenarios.scenario_view, scenario_id).entries]
    assert stored == ["P1", "P2", "P4"] and planner.model.row_of(ids["P3"]) is None
    assert ctx.undo_stack.undoText() == "Remove P3 from the scenario"
    ctx.undo_stack.undo()
    assert planner.model.row_of(ids["P3"]) is not None and planner.model.included() == {ids["P3"]}
    ctx.undo_stack.redo()
    assert planner.model.row_of(ids["P3"]) is None


def test_remove_is_refused_on_an_approved_scenario(qtbot, ctx, office, message_boxes):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    message_boxes.answer = QMessageBox.StandardButton.Yes
    assert planner.approve() is not None
    planner.table.selectRow(0)
    assert not planner.remove_button.isEnabled() and not planner.remove_action.isEnabled()
    assert planner.remove_candidates() == 0
    assert len(ctx.read(scenarios.scenario_view, scenario_id).entries) == 4


def _stages(ctx, ids) -> dict[str, str]:
    with ctx.db.session() as session:
        return {code: session.get(Project, pid).stage for code, pid in ids.items()}


def test_undo_withdraws_an_approval_and_its_stage_moves(qtbot, ctx, office, message_boxes):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P1"])
    _tick(planner, ids["P2"])
    assert planner.save()
    message_boxes.answer = QMessageBox.StandardButton.Yes
    planner.approve()
    assert _stages(ctx, ids)["P1"] == "business_case" and planner.model.read_only
    assert ctx.undo_stack.undoText() == "Approve scenario Base"
    planner.undo_action.trigger()
    assert _stages(ctx, ids) == {"P1": "idea", "P2": "business_case", "P3": "idea", "P4": "planning"}
    assert not ctx.read(scenarios.get_scenario, scenario_id).approved
    assert not planner.model.read_only and planner.suggest_button.isEnabled()
    assert "✓ approved" not in planner.scenario_list.currentItem().text()
    planner.redo_action.trigger()
    assert _stages(ctx, ids)["P2"] == "approved" and ctx.read(scenarios.get_scenario, scenario_id).approved


def test_undo_of_an_approval_is_refused_when_a_project_changed_since(qtbot, ctx, office, message_boxes):
    ids, scenario_id = office
    planner = _planner(qtbot, ctx)
    _tick(planner, ids["P1"])
    assert planner.save()
    message_boxes.answer = QMessageBox.StandardButton.Yes
    planner.approve()
    ctx.write(portfolio.update_project, ids["P1"], {"description": "Rescoped"}, None, entity="project")
    errors = []
    ctx.error_raised.connect(errors.append)
    ctx.undo_stack.undo()
    assert errors and "cannot be undone: P1 changed" in str(errors[0])
    assert _stages(ctx, ids)["P1"] == "business_case" and ctx.read(scenarios.get_scenario, scenario_id).approved
