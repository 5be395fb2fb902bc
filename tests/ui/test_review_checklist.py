"""The gate review panel shows the checklist of the chosen project's methodology, and says whose it is."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pmo_desktop.model import Project
from pmo_desktop.model.database import open_database
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.ui.context import AppContext
from pmo_desktop.ui.governance.review_panel import CRIT_NAME, GateReviewPanel


@pytest.fixture
def office(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'office.db'}", backup=False)
    with db.transaction() as session:
        ensure_defaults(session)
        session.add_all([
            Project(code="AG-1", name="Citizen app", stage="planning", methodology="agile"),
            Project(code="WF-1", name="Finance ledger", stage="planning", methodology="waterfall"),
            Project(code="NO-1", name="Office move", stage="planning"),
        ])
    yield db
    db.dispose()


@pytest.fixture
def panel(qtbot, office):
    widget = GateReviewPanel(AppContext(office))
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh_from_store()  # what the Governance tab's first refresh does
    return widget


def project_id(office, code: str) -> int:
    with office.session() as session:
        return session.scalar(select(Project.id).where(Project.code == code))


def shown(panel) -> list[str]:
    table = panel.ui.criteria_table
    return [table.item(row, CRIT_NAME).text() for row in range(table.rowCount())]


def test_an_agile_project_gets_the_agile_checklist(panel, office):
    panel.new_review(project_id(office, "AG-1"))
    assert panel.ui.gate_combo.currentText() == "G4 Execution"
    assert {"Baseline plan", "Product backlog prioritised", "Definition of done agreed"} <= set(shown(panel))
    assert "Requirements specification signed off" not in shown(panel)
    assert panel.ui.criteria_group.title() == "Criteria — Agile checklist for AG-1"
    assert "0 of 8 met" in panel.ui.criteria_summary_label.text()
    assert "Product backlog prioritised" in panel.ui.criteria_summary_label.text()


def test_choosing_a_waterfall_project_at_the_same_gate_swaps_the_checklist(panel, office):
    panel.new_review(project_id(office, "AG-1"))
    panel.set_criterion_met("Baseline plan", True, "Plan v3.mpp")
    panel.ui.project_combo.setCurrentIndex(panel.ui.project_combo.findData(project_id(office, "WF-1")))
    assert "Requirements specification signed off" in shown(panel)
    assert "Product backlog prioritised" not in shown(panel)
    assert panel.ui.criteria_group.title() == "Criteria — Waterfall checklist for WF-1"
    assert {r.criterion_id for r in panel.current_values().results if r.met} == {
        panel.gate.criteria[shown(panel).index("Baseline plan")].id}


def test_a_project_without_methodology_gets_the_common_checklist(panel, office):
    panel.new_review(project_id(office, "NO-1"))
    assert panel.ui.criteria_group.title() == "Criteria — common checklist (NO-1 has no methodology)"
    assert shown(panel) == ["Baseline plan", "Resource plan", "Budget profile agreed", "Risk register reviewed",
                            "Change control in place", "Quality plan"]


def test_approving_an_agile_project_needs_only_its_own_checklist(panel, office):
    panel.new_review(project_id(office, "AG-1"))
    for name in shown(panel):
        panel.set_criterion_met(name, True, "Board paper")
    panel.ui.decision_combo.setCurrentIndex(panel.ui.decision_combo.findData("approved"))
    assert panel.save(), panel.message
    with office.session() as session:
        assert session.get(Project, project_id(office, "AG-1")).stage == "execution"


def test_a_criterion_tailored_in_the_stage_gates_dialog_reaches_the_open_review_panel(qtbot, office):
    from pmo_desktop.ui.dialogs.gates_dialog import CRIT_APPLIES, GatesDialog
    from pmo_desktop.ui.tabs.governance_tab import GovernanceTab

    ctx = AppContext(office)
    tab = GovernanceTab(ctx)
    qtbot.addWidget(tab)
    tab.show()
    tab.refresh()  # on screen, as the main window shows it
    tab.panel.new_review(project_id(office, "AG-1"))
    assert "Baseline plan" in shown(tab.panel)
    dialog = GatesDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.gate_list.setCurrentRow(3)  # G4 Execution
    dialog.criteria_table.cellWidget(0, CRIT_APPLIES).setCurrentIndex(1)  # Baseline plan: waterfall only
    assert dialog.save()
    assert "Baseline plan" not in shown(tab.panel)
    assert "Product backlog prioritised" in shown(tab.panel)
