"""Portfolio tab: rows from the database, filters, sorting, editing with undo, conflicts, 100k rows."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import datetime as dt  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLabel, QMessageBox  # noqa: E402
from sqlalchemy import select  # noqa: E402

from pmo_desktop.model import Milestone, Programme, Project, StatusReport  # noqa: E402
from pmo_desktop.model.database import open_database  # noqa: E402
from pmo_desktop.services import portfolio  # noqa: E402
from pmo_desktop.services.defaults import ensure_defaults  # noqa: E402
from pmo_desktop.ui.context import AppContext  # noqa: E402
from pmo_desktop.ui.dialogs.conflict_dialog import ConflictChoice, ConflictDialog  # noqa: E402
from pmo_desktop.ui.models.row_table_model import RowTableModel  # noqa: E402
from pmo_desktop.ui.portfolio import project_panel  # noqa: E402
from pmo_desktop.ui.portfolio.changes_dialog import index_of_data  # noqa: E402
from pmo_desktop.ui.portfolio.milestone_dialog import MilestoneDialog  # noqa: E402
from pmo_desktop.ui.tabs.portfolio_tab import COLUMN, PROJECT_COLUMNS, TABLE_FIELDS, PortfolioTab  # noqa: E402

D = dt.date

# code, name, programme, stage, rag, manager, budget, baseline end, forecast end, percent
SEED = [
    ("DCX-014", "Customer Portal", "Digital Channels", "execution", "A", "Priya Shah", 850_000, D(2026, 9, 30), D(2026, 10, 20), 0.42),
    ("DCX-015", "Mobile App Refresh", "Digital Channels", "planning", "G", "Priya Shah", 420_000, D(2027, 1, 31), D(2027, 1, 31), 0.10),
    ("DCX-021", "Online Payments Upgrade", "Digital Channels", "execution", "R", "Marcus Bell", 1_250_000, D(2026, 6, 30), D(2026, 11, 15), 0.55),
    ("FIN-003", "General Ledger Migration", "Finance Transformation", "execution", "G", "Aisha Khan", 2_100_000, D(2026, 12, 31), D(2026, 12, 31), 0.63),
    ("FIN-007", "Expense Automation", "Finance Transformation", "closing", "G", "Aisha Khan", 180_000, D(2026, 3, 31), D(2026, 4, 14), 0.96),
    ("FIN-011", "Procurement Portal", "Finance Transformation", "business_case", None, "Tom Reed", None, None, None, None),
    ("HR-002", "Payroll Consolidation", "People Systems", "execution", "A", "Grace Liu", 640_000, D(2026, 8, 31), D(2026, 9, 30), 0.48),
    ("HR-005", "Learning Platform", "People Systems", "approved", "G", "Grace Liu", 275_000, D(2027, 3, 31), D(2027, 3, 31), 0.0),
    ("INF-009", "Data Centre Exit", "Infrastructure", "execution", "R", "Owen Price", 3_400_000, D(2026, 10, 31), D(2027, 2, 28), 0.37),
    ("INF-012", "Network Refresh", "Infrastructure", "planning", "A", "Owen Price", 960_000, D(2027, 6, 30), D(2027, 7, 31), 0.05),
    ("INF-015", "Endpoint Security", "Infrastructure", "idea", None, "Marcus Bell", None, None, None, None),
    ("OPS-001", "Warehouse Scanning", None, "on_hold", "A", "Tom Reed", 150_000, D(2026, 5, 31), None, 0.20),
]


def seed(db, extra: int = 0) -> dict[str, int]:
    """Programmes, projects, milestones and status reports through the ORM; returns ids by code."""
    ids: dict[str, int] = {}
    with db.transaction() as session:
        programmes: dict[str, Programme] = {}
        for code, name, programme, stage, rag, manager, budget, base_end, fc_end, pct in SEED:
            if programme and programme not in programmes:
                programmes[programme] = Programme(name=programme)
            project = Project(
                code=code, name=name, programme=programmes.get(programme), stage=stage, rag=rag, manager=manager,
                sponsor="Helen Ward", department=code.split("-")[0], priority=int(code[-1]) % 9 + 1,
                methodology="agile" if code.startswith("DCX") else "waterfall",
                baseline_start=D(2025, 10, 1) if base_end else None, baseline_end=base_end, forecast_end=fc_end,
                budget=Decimal(budget) if budget else None,
                actual_cost=Decimal(budget) * Decimal(str(pct)) if budget and pct else None,
                forecast_cost=Decimal(budget) * Decimal("1.05") if budget else None, percent_complete=pct,
                description=f"{name}: scope and outcomes agreed with the sponsor.",
            )
            session.add(project)
            if base_end:
                project.milestones = [
                    Milestone(name="Design approved", baseline_date=base_end - dt.timedelta(days=180),
                              actual_date=base_end - dt.timedelta(days=175), status="achieved"),
                    Milestone(name="Go-live", baseline_date=base_end, forecast_date=fc_end,
                              status="at_risk" if rag == "R" else "planned"),
                ]
            if stage in ("execution", "closing"):
                project.status_reports = [
                    StatusReport(period_end=D(2026, month, 28), rag=rag, percent_complete=pct,
                                 summary=f"Month {month}: delivery on plan, next steps agreed.")
                    for month in range(1, 8)
                ]
        for i in range(extra):
            session.add(Project(code=f"GEN-{i:04d}", name=f"Generated project {i}", stage="planning",
                                budget=Decimal(1000 + i)))
        session.flush()
        ids = dict(session.execute(select(Project.code, Project.id)).all())
    return ids


@pytest.fixture
def ctx(qapp, tmp_path):
    """An AppContext on a fresh office database in this test's folder (defaults created, as the GUI does)."""
    db = open_database(f"sqlite:///{tmp_path / 'portfolio.db'}", backup=False)
    with db.transaction() as session:
        ensure_defaults(session)
    context = AppContext(db)
    yield context
    context.undo_stack.clear()
    context.db.dispose()


class Answers:
    """Message boxes answered without blocking: every text shown, and the button each question gets."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.button = QMessageBox.StandardButton.Yes

    def question(self, parent, title, text, *args, **kwargs):
        self.asked.append(text)
        return self.button

    def note(self, parent, title, text, *args, **kwargs):
        self.asked.append(text)
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def answers(monkeypatch) -> Answers:
    """Questions are answered Yes unless a test sets ``answers.button``."""
    boxes = Answers()
    monkeypatch.setattr(QMessageBox, "question", staticmethod(boxes.question))
    monkeypatch.setattr(QMessageBox, "information", staticmethod(boxes.note))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(boxes.note))
    return boxes


@pytest.fixture
def tab(ctx, qtbot, answers):
    ids = seed(ctx.db)
    widget = PortfolioTab(ctx)
    widget.ids = ids
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.show()
    return widget


def visible_codes(tab: PortfolioTab) -> list[str]:
    return [tab.model.data(tab.model.index(r, COLUMN["code"])) for r in range(tab.model.rowCount())]


def cell(tab: PortfolioTab, code: str, key: str) -> str:
    row = visible_codes(tab).index(code)
    return tab.model.data(tab.model.index(row, COLUMN[key]))


def stored(ctx, code: str) -> Project:
    with ctx.db.session() as session:
        return session.scalar(select(Project).where(Project.code == code))


def open_project(tab: PortfolioTab, code: str) -> None:
    tab.select_project(tab.ids[code])
    assert tab.panel.project_id == tab.ids[code]


# -- the table -------------------------------------------------------------------------------------

def test_tab_shows_every_project_with_formatted_cells(tab):
    assert tab.model.rowCount() == len(SEED)
    assert visible_codes(tab)[:3] == ["DCX-014", "DCX-015", "DCX-021"]
    assert cell(tab, "DCX-014", "budget") == "£850,000"
    assert cell(tab, "DCX-014", "stage") == "Execution"
    assert cell(tab, "DCX-014", "rag") == "Amber"
    assert cell(tab, "DCX-014", "slip_days") == "20"
    assert cell(tab, "DCX-014", "last_report") == "28 Jul 2026"
    assert cell(tab, "FIN-011", "budget") == ""
    rag_index = tab.model.index(visible_codes(tab).index("DCX-021"), COLUMN["rag"])
    assert tab.model.data(rag_index, Qt.ItemDataRole.BackgroundRole).color().name() == "#d9534f"
    assert tab.filter_bar.count_label.text() == f"{len(SEED)} projects"


def test_text_and_stage_filters_reduce_rows(tab):
    tab.filter_bar.search.setText("portal")
    tab.filter_bar.apply_now()
    assert visible_codes(tab) == ["DCX-014", "FIN-011"]

    tab.filter_bar.clear()
    tab.stage_filter.setCurrentIndex(tab.stage_filter.findData("execution"))
    expected = sorted(code for code, *rest in SEED if rest[2] == "execution")
    assert visible_codes(tab) == expected
    assert tab.filter_bar.count_label.text() == f"{len(expected)} of {len(SEED)} projects"

    tab.filter_bar.search.setText("shah")
    tab.filter_bar.apply_now()
    assert visible_codes(tab) == ["DCX-014"]


def test_filters_offer_programmes_stages_rag_and_managers_in_order(tab):
    assert [tab.stage_filter.itemText(i) for i in range(1, 4)] == ["Idea", "Business case", "Approved"]
    assert [tab.rag_filter.itemText(i) for i in range(1, 4)] == ["Red", "Amber", "Green"]
    assert tab.programme_filter.findData("People Systems") > 0
    assert tab.manager_filter.findData("Owen Price") > 0
    tab.rag_filter.setCurrentIndex(tab.rag_filter.findData("R"))
    assert visible_codes(tab) == ["DCX-021", "INF-009"]


def test_clicking_budget_header_sorts_rows(tab):
    header = tab.table.horizontalHeader()
    header.setSortIndicator(COLUMN["budget"], Qt.SortOrder.DescendingOrder)
    budgets = [tab.model.data(tab.model.index(r, COLUMN["budget"]), Qt.ItemDataRole.UserRole + 3)
               for r in range(tab.model.rowCount())]
    filled = [b for b in budgets if b is not None]
    assert filled == sorted(filled, reverse=True) and budgets[0] == Decimal("3400000.00")
    assert budgets[-2:] == [None, None]  # blanks last
    header.setSortIndicator(COLUMN["budget"], Qt.SortOrder.AscendingOrder)
    assert visible_codes(tab)[0] == "OPS-001"


def test_refresh_keeps_selection_filters_and_sort(tab, ctx):
    tab.table.horizontalHeader().setSortIndicator(COLUMN["name"], Qt.SortOrder.AscendingOrder)
    tab.stage_filter.setCurrentIndex(tab.stage_filter.findData("execution"))
    open_project(tab, "HR-002")
    with ctx.db.transaction() as session:
        portfolio.create_project(session, {"code": "ZZZ-001", "name": "Aardvark", "stage": "execution"})
    ctx.data_changed.emit("project")
    assert visible_codes(tab)[0] == "ZZZ-001"  # sorted by name, passes the filter
    assert tab.selected_project_id() == tab.ids["HR-002"]
    assert tab.model.rowCount() == 6


def test_header_state_round_trips(tab, ctx, qtbot):
    header = tab.table.horizontalHeader()
    header.resizeSection(COLUMN["name"], 333)
    header.setSortIndicator(COLUMN["budget"], Qt.SortOrder.DescendingOrder)
    state = tab.header_state()
    other = PortfolioTab(ctx)
    qtbot.addWidget(other)
    assert other.restore_header_state(state)  # as the main window does, before the first show
    assert other.table.horizontalHeader().sectionSize(COLUMN["name"]) == 333
    other.show()
    assert other.model.data(other.model.index(0, COLUMN["code"])) == "INF-009"
    assert not other.restore_header_state(b"")


# -- editing ---------------------------------------------------------------------------------------

def test_selecting_a_row_shows_the_project_in_the_panel(tab):
    open_project(tab, "DCX-014")
    ui = tab.panel.ui
    assert ui.code_edit.text() == "DCX-014"
    assert ui.programme_combo.currentText() == "Digital Channels"
    assert ui.stage_combo.currentData() == "execution"
    assert ui.budget_spin.amount() == Decimal("850000.00") and ui.budget_spin.prefix() == "£"
    assert ui.percent_complete_spin.value() == 42
    assert ui.forecast_start_date.value() is None and ui.forecast_start_date.text() == "No date"
    assert tab.panel.milestones_model.rowCount() == 2
    assert ui.reports_tree.topLevelItemCount() == 6
    assert ui.reports_tree.topLevelItem(0).text(0) == "28 Jul 2026"
    assert ui.report_summary_text.toPlainText() == (
        "Period ending 28 Jul 2026\n\nMonth 7: delivery on plan, next steps agreed."
    )
    ui.reports_tree.setCurrentItem(ui.reports_tree.topLevelItem(5))
    assert ui.report_summary_text.toPlainText().endswith("Month 2: delivery on plan, next steps agreed.")
    assert ui.title_label.toolTip() == "DCX-014 · Customer Portal"  # the label itself may be elided
    assert not ui.save_button.isEnabled()


def test_edit_save_then_undo_and_redo(tab, ctx, qtbot):
    open_project(tab, "DCX-014")
    ui = tab.panel.ui
    ui.name_edit.clear()
    qtbot.keyClicks(ui.name_edit, "Customer Self-Service Portal")
    ui.budget_spin.set_amount(Decimal("910000"))
    assert tab.panel.is_dirty and ui.save_button.isEnabled()
    qtbot.mouseClick(ui.save_button, Qt.MouseButton.LeftButton)

    project = stored(ctx, "DCX-014")
    assert (project.name, project.budget, project.version) == ("Customer Self-Service Portal", Decimal("910000.00"), 2)
    assert cell(tab, "DCX-014", "name") == "Customer Self-Service Portal"
    assert not tab.panel.is_dirty and ui.state_label.text() == "Version 2"

    ctx.undo_stack.undo()
    project = stored(ctx, "DCX-014")
    assert (project.name, project.budget) == ("Customer Portal", Decimal("850000.00"))
    assert ui.name_edit.text() == "Customer Portal"
    assert cell(tab, "DCX-014", "budget") == "£850,000"

    ctx.undo_stack.redo()
    assert stored(ctx, "DCX-014").name == "Customer Self-Service Portal"
    ctx.undo_stack.undo()
    assert stored(ctx, "DCX-014").name == "Customer Portal"


def test_two_edits_of_one_project_undo_in_turn(tab, ctx):
    open_project(tab, "FIN-003")
    tab.panel.set_field("rag", "A")
    assert tab.panel.save()
    tab.panel.set_field("rag", "R")
    assert tab.panel.save()
    assert stored(ctx, "FIN-003").rag == "R"
    ctx.undo_stack.undo()
    assert stored(ctx, "FIN-003").rag == "A"
    ctx.undo_stack.undo()
    assert stored(ctx, "FIN-003").rag == "G"
    assert ctx.undo_stack.count() == 2 and ctx.undo_stack.index() == 0


def test_validation_messages_appear_beside_fields(tab, ctx):
    open_project(tab, "DCX-015")
    tab.panel.set_field("code", "dcx-014")
    tab.panel.set_field("name", "")
    tab.panel.set_field("baseline_start", D(2027, 3, 1))
    assert not tab.panel.save()
    assert tab.panel.error_text("code") == "Code DCX-014 is already used by 'Customer Portal'."
    assert tab.panel.error_text("name") == "Enter the project's name."
    assert tab.panel.error_text("baseline_end") == "Baseline end (31 Jan 2027) is before baseline start (01 Mar 2027)."
    assert tab.panel.ui.code_edit.property("invalid") is True
    assert stored(ctx, "DCX-015").name == "Mobile App Refresh"
    tab.panel.ui.revert_button.click()
    assert tab.panel.error_text("code") is None and tab.panel.ui.code_edit.text() == "DCX-015"


def test_version_conflict_asks_and_does_not_overwrite(tab, ctx, monkeypatch):
    open_project(tab, "HR-002")
    tab.panel.set_field("budget", Decimal("700000"))
    with ctx.db.transaction() as session:  # someone else saves first
        portfolio.update_project(session, tab.ids["HR-002"], {"budget": Decimal("999000")}, 1)
    seen = []
    monkeypatch.setattr(project_panel, "resolve_conflict", lambda parent, error, fmt=None: seen.append(error))

    assert not tab.panel.save()
    assert len(seen) == 1 and seen[0].mine == {"budget": "700000.00"} and seen[0].theirs == {"budget": "999000.00"}
    assert stored(ctx, "HR-002").budget == Decimal("999000.00")
    assert tab.panel.is_dirty and tab.panel.ui.budget_spin.amount() == Decimal("700000.00")

    monkeypatch.setattr(project_panel, "resolve_conflict", lambda parent, error, fmt=None: "theirs")
    assert not tab.panel.save()
    assert tab.panel.ui.budget_spin.amount() == Decimal("999000.00") and not tab.panel.is_dirty


def test_conflict_keep_mine_saves_over_the_stored_version(tab, ctx, monkeypatch):
    open_project(tab, "HR-002")
    tab.panel.set_field("manager", "Sam Okafor")
    with ctx.db.transaction() as session:
        portfolio.update_project(session, tab.ids["HR-002"], {"manager": "Someone Else", "rag": "R"}, 1)
    monkeypatch.setattr(project_panel, "resolve_conflict", lambda parent, error, fmt=None: "mine")
    assert tab.panel.save()
    project = stored(ctx, "HR-002")
    assert (project.manager, project.rag, project.version) == ("Sam Okafor", "R", 3)


def test_conflict_dialog_shows_both_values_readably(tab, ctx, monkeypatch):
    shown = []

    def ask(error, labels=None, formatter=None, parent=None):
        dialog = ConflictDialog(error, labels, formatter, parent)
        shown.extend(dialog.rows())
        return ConflictChoice.CANCEL

    monkeypatch.setattr(ConflictDialog, "ask", staticmethod(ask))
    open_project(tab, "HR-002")
    tab.panel.set_field("budget", Decimal("700000"))
    with ctx.db.transaction() as session:
        portfolio.update_project(session, tab.ids["HR-002"], {"budget": Decimal("999000")}, 1)
    assert not tab.panel.save()
    assert shown == [("Budget", "£700,000.00", "£999,000.00")]


def test_new_project_save_undo_redo(tab, ctx, qtbot):
    qtbot.mouseClick(tab.panel.ui.new_button, Qt.MouseButton.LeftButton)
    assert tab.panel.is_new and tab.panel.ui.title_label.text() == "New project"
    panel = tab.panel
    qtbot.keyClicks(panel.ui.code_edit, "CX-100")
    qtbot.keyClicks(panel.ui.name_edit, "Contact Centre Upgrade")
    panel.ui.programme_combo.setCurrentText("Customer Experience")
    panel.set_field("stage", "business_case")
    assert panel.save()
    project = stored(ctx, "CX-100")
    assert project is not None and project.stage == "business_case"
    assert tab.selected_project_id() == project.id and panel.project_id == project.id
    assert cell(tab, "CX-100", "programme") == "Customer Experience"
    assert tab.programme_filter.findData("Customer Experience") > 0

    ctx.undo_stack.undo()
    assert stored(ctx, "CX-100") is None and "CX-100" not in visible_codes(tab)
    assert panel.project_id is None
    ctx.undo_stack.redo()
    assert stored(ctx, "CX-100").id == project.id


def test_delete_asks_then_undo_restores_exactly(tab, ctx, answers):
    open_project(tab, "INF-009")
    before = ctx.read(portfolio.get_project, tab.ids["INF-009"])
    answers.button = QMessageBox.StandardButton.Cancel
    assert not tab.panel.delete()
    assert stored(ctx, "INF-009") is not None
    answers.button = QMessageBox.StandardButton.Yes
    assert tab.panel.delete()
    assert "Delete project INF-009 “Data Centre Exit” with 2 milestone(s) and its status reports?" in answers.asked[-1]
    assert stored(ctx, "INF-009") is None and "INF-009" not in visible_codes(tab)

    ctx.undo_stack.undo()
    assert ctx.read(portfolio.get_project, tab.ids["INF-009"]) == before
    assert "INF-009" in visible_codes(tab)


def test_milestone_add_edit_delete_with_undo(tab, ctx, monkeypatch):
    open_project(tab, "HR-005")
    project_id = tab.ids["HR-005"]

    def run_dialog(values):
        def exec_(dialog):
            dialog.set_values(values)
            dialog._on_button_box_accepted()
            return dialog.result()
        monkeypatch.setattr(MilestoneDialog, "exec", exec_)

    run_dialog({"name": "Supplier selected", "baseline_date": D(2026, 12, 1), "status": "planned"})
    tab.panel.ui.add_milestone_button.click()
    names = [m.name for m in ctx.read(portfolio.get_project, project_id).milestones]
    assert "Supplier selected" in names and tab.panel.milestones_model.rowCount() == 3

    row = tab.panel.milestones_model.view_row_of(
        next(m.id for m in ctx.read(portfolio.get_project, project_id).milestones if m.name == "Supplier selected"))
    tab.panel.ui.milestones_table.selectRow(row)
    run_dialog({"name": "Supplier selected", "baseline_date": D(2026, 12, 1), "status": "achieved",
                "actual_date": D(2026, 11, 20)})
    tab.panel.ui.edit_milestone_button.click()
    milestone = next(m for m in ctx.read(portfolio.get_project, project_id).milestones if m.name == "Supplier selected")
    assert (milestone.status, milestone.actual_date) == ("achieved", D(2026, 11, 20))

    tab.panel.ui.milestones_table.selectRow(tab.panel.milestones_model.view_row_of(milestone.id))
    tab.panel.ui.delete_milestone_button.click()
    assert milestone.id not in {m.id for m in ctx.read(portfolio.get_project, project_id).milestones}

    ctx.undo_stack.undo()  # delete
    assert ctx.read(portfolio.get_milestone, milestone.id) == milestone
    ctx.undo_stack.undo()  # edit
    assert ctx.read(portfolio.get_milestone, milestone.id).status == "planned"
    ctx.undo_stack.undo()  # add
    assert len(ctx.read(portfolio.get_project, project_id).milestones) == 2
    assert tab.panel.milestones_model.rowCount() == 2


def test_milestone_dialog_shows_validation_inline(tab, ctx, monkeypatch):
    open_project(tab, "HR-005")
    results = []

    def exec_(dialog):
        dialog.set_values({"name": "go-live", "status": "planned"})
        dialog._on_button_box_accepted()
        results.append((dialog.result(), dialog.ui.name_error.text(), dialog.ui.name_error.isVisibleTo(dialog)))
        return dialog.result()

    monkeypatch.setattr(MilestoneDialog, "exec", exec_)
    tab.panel.ui.add_milestone_button.click()
    assert results == [(0, "This project already has a milestone called 'go-live'.", True)]


def test_leaving_unsaved_changes_asks_first(tab, ctx, answers):
    open_project(tab, "DCX-014")
    tab.panel.set_field("department", "Digital Services")
    answers.button = QMessageBox.StandardButton.Cancel
    tab.select_project(tab.ids["FIN-003"])
    assert tab.panel.project_id == tab.ids["DCX-014"] and tab.panel.is_dirty
    assert tab.selected_project_id() == tab.ids["DCX-014"]
    answers.button = QMessageBox.StandardButton.Save
    tab.select_project(tab.ids["FIN-003"])
    assert tab.panel.project_id == tab.ids["FIN-003"]
    assert stored(ctx, "DCX-014").department == "Digital Services"


# -- scale and looks ---------------------------------------------------------------------------------

def test_sorting_and_filtering_100k_rows(qapp):
    """Measured, not asserted against a clock: list.sort in the model, not a proxy."""
    rng = random.Random(7)
    stages = ["idea", "planning", "execution", "closing"]
    rows = [
        (i, f"P-{i:06d}", f"Project {i}", f"Programme {i % 40}", stages[i % 4], "RAG"[i % 3], "RAG"[i % 2],
         i % 3 != i % 2, i % 120 / 100, i % 90 / 60, f"Manager {i % 300}",
         "Sponsor", "Dept", i % 9 + 1, D(2026, 1, 1), D(2026, 12, 31), D(2027, 1, 1 + i % 28), i % 60,
         Decimal(rng.randint(0, 5_000_000)), None, None, rng.random(), None)
        for i in range(100_000)
    ]
    model = RowTableModel(PROJECT_COLUMNS)
    timings = {}
    started = time.perf_counter()
    model.set_rows(rows)
    timings["load"] = time.perf_counter() - started
    started = time.perf_counter()
    model.sort(COLUMN["budget"], Qt.SortOrder.DescendingOrder)
    timings["sort budget"] = time.perf_counter() - started
    started = time.perf_counter()
    model.set_column_filter(COLUMN["stage"], ["execution"])
    timings["filter stage"] = time.perf_counter() - started
    started = time.perf_counter()
    model.set_filter_text("p-0123")
    timings["filter text"] = time.perf_counter() - started
    print("\n100,000 rows: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
    assert model.rowCount() == sum(1 for r in rows if r[4] == "execution" and r[1].lower().startswith("p-0123"))
    budget = TABLE_FIELDS.index("budget")
    shown = [model.row_tuple(r)[budget] for r in range(model.rowCount())]
    assert shown == sorted(shown, reverse=True)


def test_render_tab_to_png(tab, tmp_path, qapp):
    """A picture of the tab at a realistic size (set PMO_SCREENSHOT_DIR to keep it)."""
    open_project(tab, "DCX-014")
    tab.resize(1400, 850)
    qapp.processEvents()  # let the layouts settle before painting
    folder = Path(os.environ.get("PMO_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "portfolio_tab.png"
    assert tab.grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_long_project_name_does_not_widen_the_panel(tab, ctx, qapp):
    with ctx.db.transaction() as session:
        project_id = portfolio.create_project(session, {"code": "LONG-1", "name": "Very long name " * 19})
    ctx.data_changed.emit("project")
    tab.select_project(project_id)
    qapp.processEvents()
    assert tab.panel.minimumSizeHint().width() < 600
    assert tab.panel.ui.title_label.text().endswith("…")
    assert tab.panel.ui.title_label.toolTip().startswith("LONG-1 · Very long name")


def test_milestone_edit_conflict_keep_mine(tab, ctx, monkeypatch):
    open_project(tab, "DCX-014")
    go_live = next(m for m in tab.panel.details.milestones if m.name == "Go-live")
    with ctx.db.transaction() as session:  # someone else moves the forecast first
        portfolio.update_milestone(session, go_live.id, {"forecast_date": D(2026, 12, 1)}, go_live.version)
    asked = []
    monkeypatch.setattr(project_panel, "resolve_conflict", lambda parent, error, fmt: asked.append(error) or "mine")

    def exec_(dialog):
        dialog.set_values({**portfolio.milestone_values(go_live), "status": "missed"})
        dialog._on_button_box_accepted()
        return dialog.result()

    monkeypatch.setattr(MilestoneDialog, "exec", exec_)
    tab.panel.ui.milestones_table.selectRow(tab.panel.milestones_model.view_row_of(go_live.id))
    tab.panel.ui.edit_milestone_button.click()
    assert len(asked) == 1 and asked[0].entity == "milestone"
    assert asked[0].mine == {"status": "missed"} and asked[0].theirs == {"status": "planned"}
    stored_milestone = ctx.read(portfolio.get_milestone, go_live.id)
    # Keep mine saves the dialog as the user left it, over their forecast.
    assert stored_milestone.status == "missed" and stored_milestone.forecast_date == go_live.forecast_date


def test_currency_follows_office_settings(tab, ctx):
    from pmo_desktop.model import OfficeSettings

    with ctx.db.transaction() as session:
        session.get(OfficeSettings, 1).currency = "EUR"
    ctx.reload_settings()
    assert cell(tab, "DCX-014", "budget") == "€850,000"
    open_project(tab, "DCX-014")
    assert tab.panel.ui.budget_spin.prefix() == "€"


# -- KPIs ----------------------------------------------------------------------------------------------
# As of 3 Apr 2026, DCX-014 (BAC £850,000, baseline 1 Oct 2025 - 30 Sep 2026, 42% complete, AC £357,000,
# forecast cost £892,500, forecast end 20 days late) is exactly at its "Design approved" milestone
# (baseline 3 Apr, achieved 8 Apr), which is worth half the value: PV £425,000, EV £357,000,
# SPI 0.84 (red band), CPI 1.00, TCPI (850 - 357) / (850 - 357) = 1.00; reported Amber.
KPI_DATE = D(2026, 4, 3)


def test_kpi_columns_show_spi_cpi_and_the_derived_rag(tab):
    tab.set_as_of(KPI_DATE)
    assert cell(tab, "DCX-014", "spi") == "0.84"
    assert cell(tab, "DCX-014", "cpi") == "1.00"
    assert cell(tab, "DCX-014", "derived_rag") == "Red"
    assert cell(tab, "DCX-014", "rag_disagrees") == "≠"
    # FIN-003: half its value is due by its milestone on 4 Jul; 184 of those 276 days have gone,
    # so PV = 2.1m x 0.5 x 184 / 276 = 700,000 and EV = 2.1m x 63% = 1,323,000: SPI 1.89, on time, Green.
    assert cell(tab, "FIN-003", "spi") == "1.89"
    assert cell(tab, "FIN-003", "derived_rag") == "Green"
    assert cell(tab, "FIN-003", "rag_disagrees") == ""
    assert cell(tab, "FIN-011", "spi") == "" and cell(tab, "FIN-011", "derived_rag") == ""
    row = visible_codes(tab).index("DCX-014")
    derived = tab.model.index(row, COLUMN["derived_rag"])
    assert tab.model.data(derived, Qt.ItemDataRole.BackgroundRole).color().name() == "#d9534f"
    tooltip = tab.model.data(derived, Qt.ItemDataRole.ToolTipRole)
    assert "SPI 0.84" in tooltip and "reported Amber" in tooltip and "disagree" in tooltip


def test_derived_rag_disagrees_filter(tab):
    tab.set_as_of(KPI_DATE)
    flagged = {code for code in visible_codes(tab) if cell(tab, code, "rag_disagrees")}
    assert "DCX-014" in flagged and "FIN-003" not in flagged
    tab.disagree_filter.setChecked(True)
    assert set(visible_codes(tab)) == flagged
    assert all(cell(tab, code, "derived_rag") != cell(tab, code, "rag") for code in visible_codes(tab))
    assert tab.filter_bar.count_label.text() == f"{len(flagged)} of {len(SEED)} projects"
    tab.stage_filter.setCurrentIndex(tab.stage_filter.findData("planning"))
    assert set(visible_codes(tab)) == {c for c in flagged if c in ("DCX-015", "INF-012")}
    tab.filter_bar.clear()
    assert not tab.disagree_filter.isChecked() and tab.model.rowCount() == len(SEED)


def test_panel_shows_the_project_kpis(tab):
    tab.set_as_of(KPI_DATE)
    open_project(tab, "DCX-014")
    grid = tab.panel.kpi_grid
    assert grid.title() == "Performance as of 03 Apr 2026"
    shown = {key: grid.value_text(key) for key in ("pv", "ev", "ac", "sv", "cv", "spi", "cpi", "tcpi",
                                                   "slip_days", "milestone_hit_rate")}
    assert shown == {"pv": "£425k", "ev": "£357k", "ac": "£357k", "sv": "-£68k", "cv": "£0", "spi": "0.84",
                     "cpi": "1.00", "tcpi": "1.00", "slip_days": "+20 days", "milestone_hit_rate": "0% (0/1)"}
    assert grid.value_text("eac").startswith("£89")  # £892,500 in short
    assert grid.findChild(QLabel, "kpi_eac").toolTip().endswith("£892,500")
    assert grid.findChild(QLabel, "kpi_vac").toolTip().endswith("-£42,500")
    assert grid.derived_rag_label.text() == "Red" and grid.reported_rag_label.text() == "Amber"
    assert grid.disagree_label.text() == "≠ RAGs disagree"
    assert "SPI 0.84 is below 0.85: Red" in grid.derived_rag_label.toolTip()
    open_project(tab, "FIN-011")  # no budget, no dates: nothing to figure
    assert grid.value_text("pv") == "–" and grid.derived_rag_label.text() == "not derivable"
    assert grid.disagree_label.text() == ""


def test_panel_kpis_follow_the_currency(tab, ctx):
    from pmo_desktop.model import OfficeSettings

    tab.set_as_of(KPI_DATE)
    open_project(tab, "DCX-014")
    with ctx.db.transaction() as session:
        session.get(OfficeSettings, 1).currency = "EUR"
    ctx.reload_settings()
    assert tab.panel.kpi_grid.value_text("pv") == "€425k"


def test_nothing_is_read_until_the_tab_is_shown(ctx, qtbot, monkeypatch):
    seed(ctx.db)
    reads = []
    real_read = ctx.read
    monkeypatch.setattr(ctx, "read", lambda fn, *a, **k: reads.append(fn) or real_read(fn, *a, **k))
    tab = PortfolioTab(ctx)
    qtbot.addWidget(tab)
    assert reads == [] and tab.model.rowCount() == 0 and tab.is_stale
    tab.show()
    assert tab.model.rowCount() == len(SEED) and not tab.is_stale
    tab.hide()
    loads = len(reads)
    with ctx.db.transaction() as session:
        portfolio.create_project(session, {"code": "NEW-001", "name": "Hidden change", "stage": "idea"})
    ctx.data_changed.emit("project")
    assert len(reads) == loads and tab.is_stale  # hidden: only marked stale
    tab.show()
    assert tab.model.rowCount() == len(SEED) + 1 and not tab.is_stale
    ctx.data_changed.emit("project")  # visible: read again at once
    assert len(reads) > loads + 1


def test_kpi_box_only_for_a_stored_project(tab):
    assert not tab.panel.kpi_grid.isVisible()  # nothing selected yet
    open_project(tab, "DCX-014")
    assert tab.panel.kpi_grid.isVisible()
    tab.panel.ui.new_button.click()
    assert not tab.panel.kpi_grid.isVisible()


def test_summary_rolls_up_the_projects_shown_by_their_sums(tab):
    # Digital Channels as of 3 Apr 2026 (plan piecewise through each "Design approved" milestone):
    #   DCX-014 PV 425,000.00 (see above)                        EV   357,000
    #   DCX-015 PV 420,000 x 0.5 x 184/307      =   125,863.19   EV    42,000
    #   DCX-021 PV 1,250,000 x (0.5 + 0.5 x 92/180) = 944,444.44  EV   687,500
    #   sums    PV 1,495,307.63                                  EV 1,086,500  -> SPI 0.73
    # (the mean of the three SPIs, 0.84, 0.33 and 0.73, would be 0.63). AC = EV for each: CPI 1.00.
    tab.set_as_of(KPI_DATE)
    tab.programme_filter.setCurrentIndex(tab.programme_filter.findData("Digital Channels"))
    assert visible_codes(tab) == ["DCX-014", "DCX-015", "DCX-021"]
    text = tab.summary_label.text()
    assert "BAC £2.52m" in text and "PV £1.50m" in text and "EV £1.09m" in text
    assert "SPI 0.73" in text and "CPI 1.00" in text
    # DCX-014 (SPI 0.84) and DCX-015 (SPI 0.33) derive Red against Amber and Green; DCX-021 is Red either way.
    assert text.endswith("2 derived RAGs disagree")
    tab.filter_bar.search.setText("no such project")
    tab.filter_bar.apply_now()
    assert tab.summary_label.text() == "No projects shown"


# -- the period selector and "What changed" ------------------------------------------------------------

def test_period_selector_lists_periods_and_drives_the_kpis(tab):
    combo = tab.as_of_combo
    assert combo.itemText(0) == "Today" and combo.itemData(0) is None
    assert [combo.itemData(i) for i in range(1, combo.count())] == [D(2026, month, 28) for month in range(7, 0, -1)]
    open_project(tab, "DCX-014")
    combo.setCurrentIndex(index_of_data(combo, D(2026, 7, 28)))
    assert tab.as_of == D(2026, 7, 28)
    latest_spi, latest_pv = cell(tab, "DCX-014", "spi"), tab.panel.kpi_grid.value_text("pv")
    combo.setCurrentIndex(index_of_data(combo, D(2026, 6, 28)))  # last month
    assert tab.as_of == D(2026, 6, 28) and tab.panel.as_of == D(2026, 6, 28)
    assert cell(tab, "DCX-014", "spi") != latest_spi
    assert tab.panel.kpi_grid.value_text("pv") != latest_pv
    combo.setCurrentIndex(0)
    assert tab._as_of is None and tab.panel.as_of is None
    tab.set_as_of(D(2026, 6, 28))  # set in code: the selector follows
    assert combo.currentData() == D(2026, 6, 28)


def test_what_changed_dialog_lists_a_seeded_green_to_red_move(tab, ctx, qtbot):
    with ctx.db.transaction() as session:
        report = session.scalar(select(StatusReport).where(
            StatusReport.project_id == tab.ids["FIN-003"], StatusReport.period_end == D(2026, 7, 28)))
        report.rag = "R"
    tab.refresh()
    dialog = tab.show_changes()
    qtbot.addWidget(dialog)
    assert (dialog.since_combo.currentData(), dialog.until_combo.currentData()) == (D(2026, 6, 28), D(2026, 7, 28))
    model = dialog.models["rag"]
    rows = [[model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(model.rowCount())]
    assert rows == [["FIN-003", "General Ledger Migration", "Green", "Red", "Worse"]]
    assert dialog.tabs.tabText(0) == "RAG moves (1)"
    assert "1 RAG moves (1 worse, 0 better)" in dialog.summary.text()
    # Double-clicking the move selects its project in the tab.
    dialog.tables["rag"].doubleClicked.emit(model.index(0, 0))
    assert tab.selected_project_id() == tab.ids["FIN-003"]
    # Earlier periods: no moves.
    dialog.set_periods(D(2026, 5, 28), D(2026, 6, 28))
    assert model.rowCount() == 0 and dialog.tabs.tabText(0) == "RAG moves (0)"


def test_render_what_changed_on_the_demo_office(qapp, qtbot, tmp_path):
    """A picture of the dialog at a realistic size on the demo office (set PMO_SCREENSHOT_DIR to keep it)."""
    from pmo_desktop.demo import build_demo

    db = open_database(f"sqlite:///{tmp_path / 'demo.db'}", backup=False)
    build_demo(db, today=D(2026, 11, 26))
    context = AppContext(db)
    try:
        widget = PortfolioTab(context)
        qtbot.addWidget(widget)
        widget.resize(1400, 850)
        widget.show()
        dialog = widget.show_changes()
        dialog.resize(960, 560)
        qapp.processEvents()
        assert (dialog.since_combo.currentData(), dialog.until_combo.currentData()) == (D(2026, 9, 30), D(2026, 10, 31))
        assert dialog.models["rag"].rowCount() > 0
        folder = Path(os.environ.get("PMO_SCREENSHOT_DIR") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "what_changed_dialog.png"
        assert dialog.grab().save(str(path))
        assert path.stat().st_size > 10_000
        dialog.close()
    finally:
        context.undo_stack.clear()
        db.dispose()
