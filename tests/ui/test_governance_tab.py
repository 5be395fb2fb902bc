"""The Governance tab as a coordinator uses it: the decisions log, recording a review, undo, stage rules."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt  # noqa: E402
import threading  # noqa: E402
from dataclasses import replace  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402
from sqlalchemy import select  # noqa: E402

from pmo_desktop.model import Gate, GateCondition, OfficeSettings, Project, StageChange  # noqa: E402
from pmo_desktop.model.database import open_database  # noqa: E402
from pmo_desktop.services import governance as gov  # noqa: E402
from pmo_desktop.services.defaults import ensure_defaults  # noqa: E402
from pmo_desktop.ui import tasks  # noqa: E402
from pmo_desktop.ui.context import AppContext  # noqa: E402
from pmo_desktop.ui.governance.review_table_model import COL_DECISION, COL_GATE, COL_PROJECT  # noqa: E402
from pmo_desktop.ui.tabs.governance_tab import GovernanceTab  # noqa: E402

TODAY = dt.date.today()

PROJECTS = (
    ("PRJ-101", "Customer self-service portal", "business_case", "Digital"),
    ("PRJ-102", "Finance system upgrade", "planning", "Finance"),
    ("PRJ-103", "Warehouse automation", "idea", "Operations"),
    ("PRJ-104", "Data centre exit", "execution", "Technology"),
    ("PRJ-105", "HR onboarding redesign", "closing", "People"),
    ("PRJ-106", "Cyber resilience programme", "approved", "Technology"),
)


def _gate_by_stage(session, to_stage: str) -> Gate:
    return session.scalar(select(Gate).where(Gate.to_stage == to_stage))


def seed_office(db, pmo_type: str = "controlling") -> None:
    """Default gates, six projects across the lifecycle and a history of reviews and decisions."""
    with db.transaction() as session:
        ensure_defaults(session)
        session.get(OfficeSettings, 1).pmo_type = pmo_type
        session.add_all([Project(code=c, name=n, stage=s, department=d) for c, n, s, d in PROJECTS])
    history = (
        # project, gate into, decision, met (None = all), days ago, decided by, conditions
        ("PRJ-102", "business_case", "approved", None, 160, "Portfolio board", ()),
        ("PRJ-102", "approved", "approved_with_conditions", {"Business case", "Options appraisal", "Benefits plan",
                                                              "Risk register started"}, 120, "Investment committee",
         (("Budget confirmed by finance", "CFO", -30, True), ("Procurement route agreed", "Head of procurement",
                                                             -5, False))),
        ("PRJ-102", "planning", "approved", None, 75, "Portfolio board", ()),
        ("PRJ-104", "business_case", "approved", None, 300, "Portfolio board", ()),
        ("PRJ-104", "approved", "deferred", set(), 260, "Investment committee", ()),
        ("PRJ-104", "approved", "approved", None, 230, "Investment committee", ()),
        ("PRJ-104", "planning", "approved", None, 200, "Portfolio board", ()),
        ("PRJ-104", "execution", "approved_with_conditions", {"Baseline plan", "Resource plan",
                                                               "Budget profile agreed", "Risk register reviewed"},
         150, "Delivery board", (("Change control board in place", "PMO lead", 20, False),)),
        ("PRJ-101", "business_case", "approved", None, 40, "Portfolio board", ()),
        ("PRJ-103", "business_case", "rejected", {"Sponsor named"}, 12, "Portfolio board", ()),
        ("PRJ-105", "business_case", "approved", None, 400, "Portfolio board", ()),
        ("PRJ-105", "approved", "approved", None, 360, "Investment committee", ()),
        ("PRJ-105", "planning", "approved", None, 330, "Portfolio board", ()),
        ("PRJ-105", "execution", "approved", None, 300, "Delivery board", ()),
        ("PRJ-105", "closing", "approved", None, 20, "Delivery board", ()),
        ("PRJ-106", "business_case", "approved", None, 90, "Portfolio board", ()),
        ("PRJ-106", "approved", "approved", None, 30, "Investment committee", ()),
    )
    stages = {code: stage for code, _n, stage, _d in PROJECTS}
    with db.transaction() as session:
        for code in stages:  # replay history from the idea stage
            session.scalar(select(Project).where(Project.code == code)).stage = "idea"
        session.flush()
        for code, to_stage, decision, met, days_ago, decided_by, conditions in history:
            gate = _gate_by_stage(session, to_stage)
            project = session.scalar(select(Project).where(Project.code == code))
            checklist = [c for c in gate.criteria if c.methodology in (None, project.methodology)]
            names = {c.name for c in checklist} if met is None else met
            review_date = TODAY - dt.timedelta(days=days_ago)
            gov.record_review(session, gov.ReviewValues(
                project_id=project.id, gate_id=gate.id, review_date=review_date, decision=decision,
                decided_by=decided_by, reviewers="S. Patel; J. Okafor; M. Rossi",
                results=tuple(gov.CriterionResultInput(c.id, c.name in names,
                                                       f"SharePoint/{code}/{c.name}.docx" if c.name in names else None)
                              for c in checklist),
                conditions=tuple(
                    gov.ConditionInput(text, owner, review_date + dt.timedelta(days=120 + due_shift),
                                       review_date + dt.timedelta(days=60) if met_cond else None)
                    for text, owner, due_shift, met_cond in conditions),
            ))
        for code, stage in stages.items():
            assert session.scalar(select(Project.stage).where(Project.code == code)) == stage, code


@pytest.fixture
def office(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'office.db'}", backup=False)
    yield db
    db.dispose()


@pytest.fixture
def tab(qtbot, office):
    seed_office(office)
    ctx = AppContext(office)
    widget = GovernanceTab(ctx)
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.show()
    widget.refresh()  # what the main window does when it first shows the tab
    return widget


def _stage(db, code: str) -> str:
    with db.session() as session:
        return session.scalar(select(Project.stage).where(Project.code == code))


def test_seeded_reviews_are_listed_newest_first(tab):
    model = tab.model
    assert model.rowCount() == 17
    assert "17 reviews" in tab.filter_bar.count_label.text()
    first = [model.index(0, c).data() for c in range(model.columnCount())]
    assert first[1:3] == ["PRJ-103", "Warehouse automation"]
    assert first[3:6] == ["G1 Business case", "Rejected", "1 / 4"]
    assert model.index(0, COL_DECISION).data(Qt.ItemDataRole.BackgroundRole).color().name() == "#d9534f"


def test_decision_filter_shows_only_that_decision(tab, qtbot):
    combo = tab.filter_bar._combos[COL_DECISION]
    combo.setCurrentIndex(combo.findData("approved_with_conditions"))
    assert tab.model.rowCount() == 2
    assert {tab.model.index(r, COL_PROJECT).data() for r in range(2)} == {"PRJ-102", "PRJ-104"}
    assert "2 of 17 reviews" in tab.filter_bar.count_label.text()
    tab.filter_bar.search.setText("finance")
    tab.filter_bar.apply_now()
    assert tab.model.rowCount() == 1


def test_record_an_approval_with_a_condition_then_undo_restores_the_stage(tab, office, qtbot):
    panel = tab.panel
    qtbot.mouseClick(panel.ui.new_button, Qt.MouseButton.LeftButton)
    combo = panel.ui.project_combo
    combo.setCurrentIndex(combo.findText("PRJ-101 — Customer self-service portal"))
    assert panel.gate.name == "G2 Investment approval"  # the gate out of Business case
    for name in ("Business case", "Options appraisal", "Benefits plan", "Risk register started"):
        panel.set_criterion_met(name, True, f"Evidence/{name}.pdf")
    panel.ui.decision_combo.setCurrentIndex(panel.ui.decision_combo.findData("approved"))
    # Inline, before saving: what is missing and what to do.
    assert "Required not met: Budget approved" in panel.ui.criteria_summary_label.text()
    assert "Approval needs every required criterion met" in panel.ui.outcome_label.text()
    panel.ui.decided_by_edit.setText("Investment committee")

    qtbot.mouseClick(panel.ui.save_button, Qt.MouseButton.LeftButton)
    assert "required criteria not met: Budget approved" in panel.message
    assert _stage(office, "PRJ-101") == "business_case"

    panel.ui.decision_combo.setCurrentIndex(panel.ui.decision_combo.findData("approved_with_conditions"))
    panel.add_condition("Budget approved by finance committee", "CFO", TODAY + dt.timedelta(days=21))
    qtbot.mouseClick(panel.ui.save_button, Qt.MouseButton.LeftButton)
    assert panel.message == ""

    assert _stage(office, "PRJ-101") == "approved"
    with office.session() as session:
        change = session.scalar(select(StageChange).where(StageChange.review_id == panel.review_id))
        assert (change.from_stage, change.to_stage) == ("business_case", "approved")
        assert session.scalar(select(GateCondition.text).where(GateCondition.review_id == panel.review_id)) \
            == "Budget approved by finance committee"
    assert tab.model.rowCount() == 18
    selected = tab.table.selectionModel().selectedRows()
    assert selected and tab.model.row_id(selected[0].row()) == panel.review_id
    assert "moved the project from Business case to Approved" in panel.ui.subtitle_label.text()

    tab._ctx.undo_stack.undo()
    assert _stage(office, "PRJ-101") == "business_case"
    assert tab.model.rowCount() == 17
    assert panel.review_id is None
    with office.session() as session:
        assert session.scalar(select(StageChange).where(StageChange.to_stage == "approved",
                                                        StageChange.project_id == change.project_id)) is None


def test_directive_office_change_stage_dialog_shows_the_refusal(qtbot, office):
    seed_office(office, pmo_type="directive")
    tab = GovernanceTab(AppContext(office))
    qtbot.addWidget(tab)
    tab.refresh()
    panel = tab.panel
    panel.new_review()
    panel.ui.project_combo.setCurrentIndex(panel.ui.project_combo.findText("PRJ-102 — Finance system upgrade"))
    qtbot.mouseClick(panel.ui.change_stage_button, Qt.MouseButton.LeftButton)
    dialog = panel.stage_dialog
    assert dialog is not None and dialog.isVisible()
    assert "Under a directive PMO a stage changes only through an approved gate review" in dialog.rule_message
    assert not dialog.ok_button.isEnabled()
    dialog.reject()
    assert _stage(office, "PRJ-102") == "planning"


def test_controlling_office_change_stage_needs_a_reason(qtbot, office):
    seed_office(office, pmo_type="controlling")
    tab = GovernanceTab(AppContext(office))
    qtbot.addWidget(tab)
    tab.refresh()
    panel = tab.panel
    panel.ui.project_combo.setCurrentIndex(panel.ui.project_combo.findText("PRJ-102 — Finance system upgrade"))
    dialog = panel.open_stage_dialog()
    dialog.set_target("on_hold")
    assert "give a reason" in dialog.rule_message and not dialog.ok_button.isEnabled()
    dialog.ui.reason_edit.setPlainText("Supplier insolvency: paused by the board")
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert _stage(office, "PRJ-102") == "on_hold"
    tab._ctx.undo_stack.undo()
    assert _stage(office, "PRJ-102") == "planning"


def _select(tab, code: str, gate_name: str) -> int:
    for row in range(tab.model.rowCount()):
        if tab.model.index(row, COL_PROJECT).data() == code and tab.model.index(row, COL_GATE).data() == gate_name:
            tab.table.selectRow(row)
            return tab.model.row_id(row)
    raise AssertionError(f"no review of {code} at {gate_name}")


def test_someone_else_saved_first_keep_mine_saves_over_theirs(tab, office, monkeypatch):
    from pmo_desktop.ui.governance import review_panel
    from pmo_desktop.ui.governance.conflicts import Resolution

    review_id = _select(tab, "PRJ-103", "G1 Business case")
    panel = tab.panel
    assert panel.review_id == review_id
    panel.ui.decided_by_edit.clear()
    QTest.keyClicks(panel.ui.decided_by_edit, "Portfolio board (chair)")
    with office.transaction() as session:  # another coordinator saves the same review meanwhile
        stored = gov.load_review(session, review_id)
        gov.update_review(session, review_id, replace(stored.values, reviewers="Someone else"), stored.version)
    asked = []
    monkeypatch.setattr(review_panel, "ask_conflict", lambda parent, exc: asked.append(exc) or Resolution.KEEP_MINE)
    assert panel.save()
    assert asked and asked[0].theirs["reviewers"] == "Someone else"
    with office.session() as session:
        assert gov.load_review(session, review_id).values.decided_by == "Portfolio board (chair)"


def test_delete_an_approval_and_undo_brings_review_and_stage_back(tab, office, qtbot):
    review_id = _select(tab, "PRJ-106", "G2 Investment approval")
    assert _stage(office, "PRJ-106") == "approved"
    qtbot.mouseClick(tab.panel.ui.delete_button, Qt.MouseButton.LeftButton)
    assert _stage(office, "PRJ-106") == "business_case"
    assert tab.model.view_row_of(review_id) is None
    tab._ctx.undo_stack.undo()
    assert _stage(office, "PRJ-106") == "approved"
    assert tab.model.view_row_of(review_id) is not None
    tab._ctx.undo_stack.redo()
    assert _stage(office, "PRJ-106") == "business_case"


def test_evidence_button_picks_a_file_path(tab, monkeypatch, tmp_path):
    from pmo_desktop.ui.governance import review_panel

    chosen = str(tmp_path / "Business case v3.pdf")
    monkeypatch.setattr(review_panel.QFileDialog, "getOpenFileName", lambda *args, **kwargs: (chosen, ""))
    panel = tab.panel
    panel.new_review()
    panel.ui.project_combo.setCurrentIndex(panel.ui.project_combo.findText("PRJ-101 — Customer self-service portal"))
    editor = panel.ui.criteria_table.cellWidget(0, 3)
    editor.browse_button.click()
    assert editor.text() == chosen
    assert panel.is_dirty
    assert panel.current_values().results[0].evidence == chosen


# -- Compliance section -------------------------------------------------------------------------
COMPLIANCE_TODAY = dt.date(2026, 11, 26)
_REMINDED_RULES = ("missing_status_report", "high_risk_without_owner", "raid_overdue", "gate_conditions_overdue")


def seed_compliance(db) -> None:
    """Two managers' projects with a missing report, overdue RAID items, a high risk and an unmet condition."""
    from decimal import Decimal

    from pmo_desktop.model import GateReview, RaidItem, StatusReport
    from pmo_desktop.model.settings import DEFAULT_COMPLIANCE_RULES

    with db.transaction() as session:
        ensure_defaults(session)
        session.get(OfficeSettings, 1).compliance_rules = {
            key: {**rule, "enabled": key in _REMINDED_RULES} for key, rule in DEFAULT_COMPLIANCE_RULES.items()}
        late = Project(code="CMP-1", name="Customer portal", stage="execution", manager="Priya Shah",
                       budget=Decimal(100_000))
        good = Project(code="CMP-2", name="Finance upgrade", stage="planning", manager="Sam Lee")
        session.add_all([late, good])
        session.flush()
        session.add(StatusReport(project_id=good.id, period_end=dt.date(2026, 10, 31), rag="G"))
        for ref, kind, due, owner, score in (("I1", "issue", dt.date(2026, 11, 1), "Tom Hale", None),
                                             ("R1", "risk", None, None, (5, 4)),
                                             ("A1", "assumption", dt.date(2026, 11, 20), "Sam Lee", None)):
            project = late if ref != "A1" else good
            session.add(RaidItem(project_id=project.id, scope_key=str(project.id), ref=ref, kind=kind,
                                 title=f"{kind.capitalize()} {ref}", due=due, owner=owner, mitigation=None,
                                 likelihood=score[0] if score else None, impact=score[1] if score else None))
        approval = GateReview(project_id=good.id, gate_id=_gate_by_stage(session, "planning").id,
                              review_date=dt.date(2026, 9, 1), decision="approved_with_conditions")
        session.add(approval)
        session.flush()
        session.add(GateCondition(review_id=approval.id, text="Benefits profile agreed", owner="CFO",
                                  due=dt.date(2026, 11, 16)))


@pytest.fixture
def compliance_tab(qtbot, office):
    seed_compliance(office)
    widget = GovernanceTab(AppContext(office), today=lambda: COMPLIANCE_TODAY)
    qtbot.addWidget(widget)
    widget.resize(1440, 900)
    widget.show()
    widget.refresh()  # what the main window does when it first shows the tab
    return widget


def _show_compliance(tab, qtbot):
    tab.sections.setCurrentWidget(tab.compliance)
    qtbot.waitUntil(lambda: tab.compliance.loaded)
    return tab.compliance


def _column(section, column: int) -> list[str]:
    return [section.model.index(r, column).data() for r in range(section.model.rowCount())]


def test_compliance_section_loads_on_first_show_and_lists_the_exceptions(compliance_tab, qtbot):
    from pmo_desktop.ui.governance.compliance_table_model import COL_DETAIL, COL_MANAGER, COL_RULE

    assert compliance_tab.sections.count() >= 2 and compliance_tab.sections.tabBar().isVisible()
    assert not compliance_tab.compliance.loaded  # built but not read until shown
    section = _show_compliance(compliance_tab, qtbot)

    assert _column(section, COL_RULE) == ["Status report missing", "High risk without owner or mitigation",
                                          "RAID item overdue", "RAID item overdue", "Gate condition overdue"]
    assert _column(section, COL_MANAGER) == ["Priya Shah", "Priya Shah", "Priya Shah", "Sam Lee", "Sam Lee"]
    assert _column(section, COL_DETAIL)[0] == "No status report for October 2026, 21 days overdue"
    assert section.filter_bar.count_label.text() == "5 exceptions"
    assert section.chips[None].text() == "All exceptions:  5"
    assert section.chips["raid_overdue"].text() == "RAID item overdue:  2"
    assert not section.chips["stage_without_gate"].isEnabled()  # switched off in the settings
    assert "Oct 2026" in section.reporting_label.text() and "(1/2)" in section.reporting_label.text()


def test_compliance_filters_by_rule_from_the_strip_and_by_manager(compliance_tab, qtbot):
    from pmo_desktop.ui.governance.compliance_table_model import COL_PROJECT

    section = _show_compliance(compliance_tab, qtbot)
    qtbot.mouseClick(section.chips["raid_overdue"], Qt.MouseButton.LeftButton)
    assert _column(section, COL_PROJECT) == ["CMP-1", "CMP-2"]
    assert section.rule_filter.currentData() == "raid_overdue"
    assert section.filter_bar.count_label.text() == "2 of 5 exceptions"

    section.manager_filter.setCurrentIndex(section.manager_filter.findData("Sam Lee"))
    assert _column(section, COL_PROJECT) == ["CMP-2"]

    section.filter_bar.clear()
    assert section.chips[None].isChecked() and section.model.rowCount() == 5
    section.rule_filter.setCurrentIndex(section.rule_filter.findData("gate_conditions_overdue"))
    assert section.chips["gate_conditions_overdue"].isChecked()
    section.filter_bar.search.setText("benefits")
    section.filter_bar.apply_now()
    assert section.model.rowCount() == 1


def test_copy_reminders_puts_each_managers_list_on_the_clipboard(compliance_tab, qtbot):
    from PySide6.QtGui import QGuiApplication

    section = _show_compliance(compliance_tab, qtbot)
    qtbot.mouseClick(section.copy_button, Qt.MouseButton.LeftButton)

    assert QGuiApplication.clipboard().text() == "\n".join([
        "Priya Shah: 2 items outstanding as of 26 Nov 2026",
        "",
        "Status reports to send",
        "  - CMP-1 Customer portal: No status report for October 2026, 21 days overdue",
        "",
        "Overdue RAID actions",
        '  - CMP-1 Customer portal: Issue I1 "Issue I1" was due 01 Nov 2026, 25 days overdue (owner: Tom Hale)',
        "",
        "----------------------------------------",
        "",
        "Sam Lee: 2 items outstanding as of 26 Nov 2026",
        "",
        "Overdue RAID actions",
        '  - CMP-2 Finance upgrade: Assumption A1 "Assumption A1" was due 20 Nov 2026, 6 days overdue '
        "(owner: Sam Lee)",
        "",
        "Gate conditions to meet",
        '  - CMP-2 Finance upgrade: G3 Mobilisation condition "Benefits profile agreed", owner CFO, was due '
        "16 Nov 2026, 10 days overdue",
    ])
    assert section.copy_status.text() == "Reminders for 2 managers copied to the clipboard"

    section.show_rule("high_risk_without_owner")  # nothing a reminder chases
    QGuiApplication.clipboard().setText("untouched")
    qtbot.mouseClick(section.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "untouched"
    assert section.copy_status.text().startswith("Nothing to remind")


def test_enter_on_an_exception_shows_it_in_full_and_asks_for_the_project(compliance_tab, office, qtbot):
    section = _show_compliance(compliance_tab, qtbot)
    section.table.setFocus()
    section.table.selectRow(1)
    with qtbot.waitSignal(section.project_requested) as requested:
        QTest.keyClick(section.table, Qt.Key.Key_Return)
    with office.session() as session:
        assert requested.args == [session.scalar(select(Project.id).where(Project.code == "CMP-1"))]
    text = section.detail.toPlainText()
    assert "CMP-1 — Customer portal" in text and "High risk without owner or mitigation" in text
    assert "Name an owner and record a mitigation for R1" in text


def test_compliance_follows_data_changes_while_shown(compliance_tab, office, qtbot):
    from pmo_desktop.model import StatusReport

    section = _show_compliance(compliance_tab, qtbot)
    assert section.chips["missing_status_report"].text() == "Status report missing:  1"

    def add_report(session):
        project_id = session.scalar(select(Project.id).where(Project.code == "CMP-1"))
        session.add(StatusReport(project_id=project_id, period_end=dt.date(2026, 10, 30), rag="A"))

    compliance_tab._ctx.write(add_report, entity="status_report")
    assert section.chips["missing_status_report"].text() == "Status report missing:  0"
    assert section.model.rowCount() == 4


def test_find_goes_to_the_filter_of_the_section_on_screen(compliance_tab, qtbot):
    assert compliance_tab.filter_bar is compliance_tab.reviews_filter_bar
    section = _show_compliance(compliance_tab, qtbot)
    assert compliance_tab.filter_bar is section.filter_bar


# -- health, scorecard and reminders --------------------------------------------------------------
def _show(tab, section, qtbot):
    tab.sections.setCurrentWidget(section)
    qtbot.waitUntil(lambda: section.loaded)
    return section


def _press_bar(canvas, chart, key: str) -> None:
    """Click the middle of ``key``'s bar as matplotlib sees a mouse press on the Qt canvas."""
    from matplotlib.backend_bases import MouseEvent

    canvas.draw_now()
    patch = chart.patches[key]
    x, y = patch.get_x() + patch.get_width() / 2, patch.get_y() + patch.get_height() / 2
    px, py = chart.axes.transData.transform((x, y))
    event = MouseEvent("button_press_event", canvas.canvas, px, py, button=1)
    canvas.canvas.callbacks.process(event.name, event)


def test_health_charts_count_by_rule_and_manager_and_a_click_filters_compliance(compliance_tab, qtbot):
    from pmo_desktop.ui.governance.compliance_table_model import COL_MANAGER, COL_PROJECT

    health = _show(compliance_tab, compliance_tab.dashboard, qtbot)
    assert {b.key: b.value for b in health.rule_chart.bars} == {
        "raid_overdue": 2, "missing_status_report": 1, "high_risk_without_owner": 1, "gate_conditions_overdue": 1}
    assert [(b.label, b.value) for b in health.manager_chart.bars] == [("Priya Shah", 3), ("Sam Lee", 2)]
    assert "5 exceptions" in health.headline.text() and "1 gate condition still open" in health.headline.text()

    _press_bar(health.rule_canvas, health.rule_chart, "raid_overdue")
    assert compliance_tab.sections.currentWidget() is compliance_tab.compliance
    section = compliance_tab.compliance
    qtbot.waitUntil(lambda: section.loaded)
    assert section.rule_filter.currentData() == "raid_overdue"
    assert _column(section, COL_PROJECT) == ["CMP-1", "CMP-2"]

    compliance_tab.sections.setCurrentWidget(health)
    _press_bar(health.manager_canvas, health.manager_chart, "Sam Lee")
    assert section.chips[None].isChecked()  # the rule filter from before is cleared
    assert set(_column(section, COL_MANAGER)) == {"Sam Lee"} and section.model.rowCount() == 2


def test_decisions_log_lists_conditions_and_filters_by_state(compliance_tab, qtbot):
    from pmo_desktop.ui.governance.dashboard_section import COL_CONDITION, COL_OWNER, COL_STATE

    health = _show(compliance_tab, compliance_tab.dashboard, qtbot)
    assert health.model.rowCount() == 1
    row = [health.model.index(0, c).data() for c in (COL_CONDITION, COL_OWNER, COL_STATE)]
    assert row == ["Benefits profile agreed", "CFO", "Overdue"]
    health.filter_bar.set_choice(COL_STATE, "met")
    assert health.model.rowCount() == 0
    health.filter_bar.set_choice(COL_STATE, "overdue")
    assert health.model.rowCount() == 1


def test_scorecard_shows_success_tiles_and_trend_charts(compliance_tab, office, qtbot):
    from decimal import Decimal

    with office.transaction() as session:
        session.add(Project(code="OLD-1", name="Finished early", stage="closed", baseline_end=dt.date(2026, 6, 30),
                            actual_end=dt.date(2026, 6, 1), budget=Decimal(100), actual_cost=Decimal(90),
                            benefits=Decimal(500)))
        session.add(Project(code="OLD-2", name="Finished late", stage="closed", baseline_end=dt.date(2026, 6, 30),
                            actual_end=dt.date(2026, 8, 1), budget=Decimal(100), actual_cost=Decimal(90)))
    card = _show(compliance_tab, compliance_tab.scorecard, qtbot)
    assert "50%" in card.tiles["success"].text() and "1 of 2 on time" in card.tiles["success"].text()
    assert "100%" in card.tiles["on_budget"].text()
    assert card.model.rowCount() == 2
    assert all(canvas.figure is not None for canvas in card.canvases.values())
    assert [p.label for p in card.card.periods][-1] == "Oct 2026"


def test_reminders_dialog_shows_copies_and_saves_the_workbook(compliance_tab, qtbot, monkeypatch, tmp_path):
    import openpyxl
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QFileDialog

    from pmo_desktop.analytics.governance import reminders_text

    section = _show_compliance(compliance_tab, qtbot)
    qtbot.mouseClick(section.reminders_button, Qt.MouseButton.LeftButton)
    dialog = section.findChild(QWidget, "reminders_dialog")
    qtbot.waitUntil(dialog.isVisible)
    expected = reminders_text(section.visible_exceptions(), COMPLIANCE_TODAY)
    assert dialog.text.toPlainText() == expected
    assert dialog.summary_label.text().startswith("4 items for 2 managers")

    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == expected

    target = tmp_path / "owed"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved_path == tmp_path / "owed.xlsx"
    ws = openpyxl.load_workbook(dialog.saved_path)["By manager"]
    assert (ws["A5"].value, ws["B5"].value) == ("Priya Shah", "2 items outstanding")
    assert "Saved owed.xlsx" in dialog.status_label.text()
    dialog.close()


def test_reminders_dialog_with_nothing_owed_disables_copy_and_save(compliance_tab, qtbot):
    section = _show_compliance(compliance_tab, qtbot)
    section.show_rule("high_risk_without_owner")
    dialog = section.open_reminders()
    assert dialog.summary_label.text().startswith("Nothing to remind")
    assert not dialog.copy_button.isEnabled() and not dialog.save_button.isEnabled()
    dialog.close()


def test_new_project_from_methodology_previews_creates_and_undoes(tab, office, qtbot):
    from pmo_desktop.model import Milestone, RaidItem

    qtbot.mouseClick(tab.new_project_button, Qt.MouseButton.LeftButton)
    dialog = tab.findChild(QWidget, "new_project_dialog")
    qtbot.waitUntil(dialog.isVisible)
    assert [dialog.methodology_combo.itemText(i) for i in range(dialog.methodology_combo.count())] == [
        "Waterfall", "Agile", "Hybrid"]
    dialog.methodology_combo.setCurrentIndex(dialog.methodology_combo.findData("agile"))
    dialog.start_date.set_value(dt.date(2027, 1, 1))
    dialog.end_date.set_value(dt.date(2027, 1, 11))
    preview = dialog.preview.toPlainText()
    assert "02 Jan 2027" in preview and "Discovery complete" in preview  # 10% of 10 days
    assert "Product owner not available enough to steer the backlog" in preview

    dialog.code_edit.setText("PRJ-101")  # taken
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.errors["code"].text() == "Code PRJ-101 is already used by 'Customer self-service portal'."
    assert dialog.errors["name"].text() == "Enter the project's name."

    dialog.code_edit.setText("PRJ-201")
    dialog.name_edit.setText("Agile case management")
    dialog.manager_edit.setText("Priya Shah")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert (dialog.created.code, dialog.created.milestones, dialog.created.raid_items) == ("PRJ-201", 6, 3)
    with office.session() as session:
        project = session.scalar(select(Project).where(Project.code == "PRJ-201"))
        assert (project.methodology, project.stage, project.manager) == ("agile", "idea", "Priya Shah")
        assert session.scalar(select(Milestone.baseline_date).where(
            Milestone.project_id == project.id, Milestone.name == "Service handover")) == dt.date(2027, 1, 11)
        owners = session.scalars(select(RaidItem.owner).where(RaidItem.project_id == project.id)).all()
    assert owners == ["Priya Shah"] * 3

    tab._ctx.undo_stack.undo()
    with office.session() as session:
        assert session.scalar(select(Project.id).where(Project.code == "PRJ-201")) is None


# -- a large decisions log is read in the background ----------------------------------------------------
# ``BACKGROUND_REVIEWS`` is lowered so that the seventeen reviews of this office count as large. What
# arrives must be what a read in place shows, a read overtaken by a newer one is never shown, and a
# review saved while the log is read is selected once the rows are in.

def _log_shown(tab) -> tuple:
    """The log's rows in order, its count line and the editor's project and gate pickers."""
    model, ui = tab.model, tab.panel.ui
    rows = [tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())]
    pickers = [[combo.itemText(i) for i in range(combo.count())] for combo in (ui.project_combo, ui.gate_combo)]
    return rows, tab.filter_bar.count_label.text(), pickers


@pytest.fixture
def big_log(monkeypatch):
    from pmo_desktop.ui.tabs import governance_tab

    monkeypatch.setattr(governance_tab, "BACKGROUND_REVIEWS", 1)


def _held_reads(monkeypatch) -> tuple[threading.Event, list[int]]:
    """Hold the first review_rows read until the event is set; count the rows of each read."""
    gate, real, counts = threading.Event(), gov.review_rows, []

    def held(*args, **kwargs):
        rows = real(*args, **kwargs)
        counts.append(len(rows))
        if len(counts) == 1:
            gate.wait(10)
        return rows

    monkeypatch.setattr(gov, "review_rows", held)
    return gate, counts


def test_a_large_log_is_read_in_the_background_and_shows_what_a_read_in_place_shows(tab, qtbot, monkeypatch,
                                                                                     big_log):
    in_place = _log_shown(tab)
    gate, _counts = _held_reads(monkeypatch)
    background = GovernanceTab(tab._ctx)
    qtbot.addWidget(background)
    background.resize(1400, 850)
    background.show()
    background.refresh()
    assert background.is_reading and background.reading_note.isVisible()
    assert background.model.rowCount() == 0
    gate.set()
    qtbot.waitUntil(lambda: not background.is_reading, timeout=10_000)
    assert not background.reading_note.isVisible()
    assert _log_shown(background) == in_place


def test_only_the_latest_log_read_is_shown(tab, office, qtbot, monkeypatch, big_log):
    gate, counts = _held_reads(monkeypatch)
    tab.refresh()
    qtbot.waitUntil(lambda: len(counts) == 1, timeout=10_000)  # the first read has all 17 reviews
    review_id = tab.model.row_id(0)
    with office.transaction() as session:
        gov.delete_review(session, review_id)
    tab.refresh()
    gate.set()
    qtbot.waitUntil(lambda: not tab.is_reading, timeout=10_000)
    tasks.wait_for_background_work()
    qtbot.wait(50)  # the overtaken read reports too: it must change nothing
    assert counts == [17, 16]
    assert tab.model.rowCount() == 16 and tab.model.view_row_of(review_id) is None


def test_a_review_saved_while_the_log_is_read_is_selected_when_the_rows_arrive(tab, qtbot, big_log):
    panel = tab.panel
    qtbot.mouseClick(panel.ui.new_button, Qt.MouseButton.LeftButton)
    panel.ui.project_combo.setCurrentIndex(panel.ui.project_combo.findText("PRJ-101 — Customer self-service portal"))
    panel.ui.decision_combo.setCurrentIndex(panel.ui.decision_combo.findData("deferred"))
    panel.ui.decided_by_edit.setText("Investment committee")
    assert panel.save(), panel.message  # the change starts a background read: the new review is not listed yet
    assert tab.is_reading
    qtbot.waitUntil(lambda: not tab.is_reading, timeout=10_000)
    assert tab.model.rowCount() == 18
    selected = tab.table.selectionModel().selectedRows()
    assert selected and tab.model.row_id(selected[0].row()) == panel.review_id
