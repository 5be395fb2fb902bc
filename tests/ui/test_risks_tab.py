"""The Risks tab as a user drives it: register rows, filters, sorting, the detail panel, undo, conflicts."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt  # noqa: E402
import threading  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from pmo_desktop.model import Milestone, Programme, Project, RaidItem  # noqa: E402
from pmo_desktop.model.database import open_database  # noqa: E402
from pmo_desktop.services import raid  # noqa: E402
from pmo_desktop.services.defaults import ensure_office_settings  # noqa: E402
from pmo_desktop.services.errors import ConflictError  # noqa: E402
from pmo_desktop.ui import tasks  # noqa: E402
from pmo_desktop.ui.context import AppContext  # noqa: E402
from pmo_desktop.ui.risks import detail_panel  # noqa: E402
from pmo_desktop.ui.risks.raid_table_model import COLUMN  # noqa: E402
from pmo_desktop.ui.tabs import risks_tab  # noqa: E402
from pmo_desktop.ui.tabs.risks_tab import RisksTab  # noqa: E402
from pmo_desktop.ui.theme import RAG_COLOURS  # noqa: E402

TODAY = dt.date(2026, 3, 14)

PROGRAMMES = {"Digital Customer": ("DCX-014", "DCX-017"), "Finance Transformation": ("FIN-003", "FIN-008")}
PROJECTS = {
    "DCX-014": "Customer portal", "DCX-017": "Mobile app", "FIN-003": "Billing upgrade",
    "FIN-008": "ERP consolidation", "EST-002": "Head office move",
}

# project, kind, title, owner, likelihood, impact, days until due, status, response, escalation, category
ITEMS = [
    ("DCX-014", "risk", "Supplier cannot deliver the identity platform on time", "Ana Diaz", 4, 5, 20, "open",
     "reduce", "programme", "Supply"),
    ("DCX-014", "risk", "Accessibility audit finds blocking defects", "Ben Okafor", 3, 3, -5, "in_progress",
     "reduce", "project", "Quality"),
    ("DCX-014", "issue", "Test environment unavailable for two weeks", "Chen Wei", 5, 3, -12, "open", None,
     "programme", "Technical"),
    ("DCX-014", "assumption", "Call centre staff available for user research", "Ana Diaz", None, None, 40,
     "open", None, "project", "Resourcing"),
    ("DCX-014", "dependency", "Portal login needs the billing API", "Ben Okafor", 3, 4, 60, "open", None,
     "project", "Technical"),
    ("DCX-017", "risk", "App store review rejects the release", "Dana Shah", 2, 4, 30, "open", "accept",
     "project", "Technical"),
    ("DCX-017", "risk", "Key mobile developer leaves", "Dana Shah", 2, 2, 90, "open", "transfer", "project",
     "Resourcing"),
    ("DCX-017", "issue", "Push notification vendor price rise", "Eve Martin", 5, 2, -2, "open", None, "project",
     "Financial"),
    ("FIN-003", "risk", "Data migration corrupts historic invoices", "Femi Ade", 3, 5, 15, "open", "avoid",
     "portfolio", "Data"),
    ("FIN-003", "risk", "Regulatory change to VAT rounding", "Femi Ade", 1, 3, 120, "closed", "accept",
     "project", "Regulatory"),
    ("FIN-003", "issue", "Parallel run overruns by a month", "Gus Lee", 5, 4, -30, "in_progress", None,
     "programme", "Schedule"),
    ("FIN-008", "risk", "Finance team cannot release experts for testing", "Hana Sato", 4, 3, 10, "open",
     "reduce", "programme", "Resourcing"),
    ("FIN-008", "assumption", "Licences carry over from the old ERP", "Hana Sato", None, None, 25, "open", None,
     "project", "Commercial"),
    ("EST-002", "risk", "Lease exit penalty higher than planned", "Ivan Petrov", 2, 5, 45, "open", "share",
     "portfolio", "Financial"),
    ("EST-002", "issue", "Fit-out contractor went into administration", "Ivan Petrov", 5, 5, -8, "open", None,
     "portfolio", "Supply"),
    (None, "risk", "Portfolio over-commits the architecture team", "Jo Clarke", 4, 4, 35, "open", "reduce",
     "portfolio", "Resourcing"),
    (None, "assumption", "Capital budget confirmed at Q1 board", "Jo Clarke", None, None, -1, "closed", None,
     "portfolio", "Financial"),
]


def seed_register(db, today: dt.date = TODAY) -> dict[str, int]:
    """A small believable office: programmes, five projects, a milestone and a mixed RAID log."""
    with db.transaction() as session:
        ensure_office_settings(session)
        projects: dict[str, Project] = {}
        for name, codes in PROGRAMMES.items():
            programme = Programme(name=name)
            session.add(programme)
            for code in codes:
                projects[code] = Project(code=code, name=PROJECTS[code], programme=programme)
        projects["EST-002"] = Project(code="EST-002", name=PROJECTS["EST-002"])
        session.add_all(projects.values())
        session.flush()
        session.add(Milestone(project_id=projects["FIN-003"].id, name="Billing API live",
                              baseline_date=today + dt.timedelta(days=50)))
        session.flush()
        ids = {code: project.id for code, project in projects.items()}
        for n, (code, kind, title, owner, likelihood, impact, due_in, status, response, escalation,
                category) in enumerate(ITEMS):
            raised = today - dt.timedelta(days=10 + 7 * n)
            raid.create_item(session, raid.RaidDraft(
                project_id=ids.get(code), kind=kind, title=title, owner=owner, likelihood=likelihood,
                impact=impact, due=today + dt.timedelta(days=due_in), status=status, response=response,
                escalation=escalation, category=category, raised=raised,
                cost_impact=Decimal(5000 * (n % 4)) if n % 4 else None,
                last_reviewed=raised + dt.timedelta(days=5) if n % 3 else None,
                depends_on_project_id=ids["FIN-003"] if kind == "dependency" else None,
                description="Raised at the monthly portfolio review." if n % 2 else None,
            ), today=today)
    return ids


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/risks.db", backup=False)
    yield database
    database.dispose()


@pytest.fixture
def ctx(db, qtbot):
    seed_register(db)
    return AppContext(db)


@pytest.fixture
def tab(ctx, qtbot):
    widget = RisksTab(ctx, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.show()
    widget.refresh()  # what the main window does when it first shows the tab
    yield widget
    # Patterns are read in the background: let that finish before the database goes.
    qtbot.waitUntil(lambda: not widget.patterns_pending, timeout=10_000)


def visible(tab, field: str) -> list:
    return [getattr(row, field) for row in tab.model.visible_rows()]


def select_ref(tab, ref: str, project: str = "DCX-014") -> int:
    row_id = next(row.id for row in tab.model.visible_rows() if row.ref == ref and row.project == project)
    tab.select_item(row_id)
    return row_id


def stored(db, item_id) -> RaidItem:
    with db.session() as session:
        return session.get(RaidItem, item_id)


# -- the register -----------------------------------------------------------------------------------

def test_seeded_items_are_listed_with_codes_scores_and_count(tab):
    assert tab.model.rowCount() == len(ITEMS)
    assert tab.filter_bar.count_label.text() == f"{len(ITEMS)} items"
    titles = {tab.model.index(r, COLUMN["title"]).data() for r in range(tab.model.rowCount())}
    assert "Fit-out contractor went into administration" in titles
    assert "Portfolio" in visible(tab, "project")
    assert tab.table.isColumnHidden(COLUMN["band"])


def test_register_opens_escalated_first_then_by_score_highest_first_with_blanks_last(tab):
    rank = {"project": 0, "programme": 1, "portfolio": 2}
    levels = [rank[level] for level in visible(tab, "escalation")]
    assert levels == sorted(levels, reverse=True) and levels[0] == 2
    rows = tab.model.visible_rows()
    for level in rank:
        scores = [row.score for row in rows if row.escalation == level]
        filled = [s for s in scores if s is not None]
        assert filled == sorted(filled, reverse=True) and scores[: len(filled)] == filled
    tab.table.sortByColumn(COLUMN["score"], Qt.SortOrder.DescendingOrder)
    scores = visible(tab, "score")
    filled = [s for s in scores if s is not None]
    assert filled == sorted(filled, reverse=True) and scores[: len(filled)] == filled
    tab.table.sortByColumn(COLUMN["score"], Qt.SortOrder.AscendingOrder)
    scores = visible(tab, "score")
    assert scores[0] == min(filled) and scores[-1] is None


def test_score_cells_are_coloured_by_the_office_bands(tab):
    for r in range(tab.model.rowCount()):
        row = tab.model.row_tuple(r)
        brush = tab.model.index(r, COLUMN["score"]).data(Qt.ItemDataRole.BackgroundRole)
        expected = {"low": "G", "medium": "A", "high": "R"}.get(row.band)
        assert (brush.color().name() if brush else None) == (RAG_COLOURS[expected].lower() if expected else None)


def test_kind_switch_shows_one_kind_at_a_time(tab, qtbot):
    qtbot.mouseClick(tab.kind_switch.findChild(type(tab.kind_group.button(0)), "kind_issue"),
                     Qt.MouseButton.LeftButton)
    assert set(visible(tab, "kind")) == {"issue"}
    assert tab.model.rowCount() == sum(1 for item in ITEMS if item[1] == "issue")
    tab.set_kind("dependency")
    assert visible(tab, "title") == ["Portal login needs the billing API"]
    tab.set_kind(None)
    assert tab.model.rowCount() == len(ITEMS)


def test_text_filter_combines_with_kind_and_choice_filters(tab, qtbot):
    qtbot.keyClicks(tab.filter_bar.search, "supplier")
    tab.filter_bar.apply_now()
    assert visible(tab, "title") == ["Supplier cannot deliver the identity platform on time"]
    tab.filter_bar.search.clear()
    tab.filter_bar.apply_now()
    tab.filter_bar.set_choice(COLUMN["owner"], "Femi Ade")
    tab.set_kind("risk")
    assert sorted(visible(tab, "ref")) == ["R-001", "R-002"]
    tab.filter_bar.set_choice(COLUMN["band"], "high")
    assert visible(tab, "title") == ["Data migration corrupts historic invoices"]
    qtbot.mouseClick(tab.filter_bar.clear_button, Qt.MouseButton.LeftButton)
    assert tab.model.rowCount() == len(ITEMS) and tab.current_kind() is None


def test_overdue_only_shows_open_items_past_due(tab, qtbot):
    tab.overdue_check.setChecked(True)
    expected = {item[2] for item in ITEMS if item[6] < 0 and item[7] != "closed"}
    assert set(visible(tab, "title")) == expected
    assert all(due < TODAY for due in visible(tab, "due"))
    due_cell = tab.model.index(0, COLUMN["due"])
    assert due_cell.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#c0392b"
    tab.overdue_check.setChecked(False)
    assert tab.model.rowCount() == len(ITEMS)


# -- the panel ---------------------------------------------------------------------------------------

def test_editing_likelihood_saves_and_recomputes_the_score_and_undo_restores(tab, db, ctx):
    item_id = select_ref(tab, "R-002")  # likelihood 3 x impact 3
    before = stored(db, item_id)
    panel = tab.panel
    assert panel.ui.score_label.text() == "9 · Medium"
    panel.ui.likelihood_combo.setCurrentIndex(panel.ui.likelihood_combo.findData(5))
    assert panel.ui.score_label.text() == "15 · High"
    assert panel.ui.save_button.isEnabled()
    panel.ui.save_button.click()

    after = stored(db, item_id)
    assert (after.likelihood, after.version) == (5, before.version + 1)
    row = tab.model.row_tuple(tab.model.view_row_of(item_id))
    assert (row.score, row.band) == (15, "high")
    assert tab.selected_id() == item_id and not panel.is_dirty()

    ctx.undo_stack.undo()
    undone = stored(db, item_id)
    columns = [c.key for c in RaidItem.__table__.columns if c.key not in ("version", "updated_at")]
    assert {k: getattr(undone, k) for k in columns} == {k: getattr(before, k) for k in columns}
    assert tab.model.row_tuple(tab.model.view_row_of(item_id)).score == 9
    assert panel.ui.likelihood_combo.currentData() == 3

    ctx.undo_stack.redo()
    assert stored(db, item_id).likelihood == 5


def test_refresh_keeps_selection_filters_and_sort(tab, ctx):
    tab.set_kind("risk")
    tab.table.sortByColumn(COLUMN["due"], Qt.SortOrder.AscendingOrder)
    item_id = select_ref(tab, "R-001")
    order = visible(tab, "id")
    ctx.data_changed.emit("raid_item")
    assert visible(tab, "id") == order
    assert tab.selected_id() == item_id and tab.panel.current_id == item_id
    assert tab.current_kind() == "risk"


def test_validation_messages_appear_next_to_the_fields_and_nothing_is_written(tab, db):
    item_id = select_ref(tab, "R-001")
    panel = tab.panel
    panel.ui.title_edit.clear()
    assert panel.ui.title_error.isVisibleTo(panel)
    assert "Title is required" in panel.ui.title_error.text()
    panel.ui.title_edit.setText("Identity platform late")
    panel.ui.ref_edit.setText("R-002")
    panel.ui.save_button.click()
    assert panel.ui.ref_error.text() == "Ref R-002 is already used in DCX-014."
    assert panel.ui.ref_edit.property("invalid") is True
    assert stored(db, item_id).title == "Supplier cannot deliver the identity platform on time"


def test_a_new_item_gets_the_next_ref_and_is_selected(tab, db, ctx, qtbot):
    tab.filter_bar.set_choice(COLUMN["project"], "DCX-014")
    tab.set_kind("risk")
    qtbot.mouseClick(tab.panel.ui.new_button, Qt.MouseButton.LeftButton)
    panel = tab.panel
    assert panel.ui.project_combo.currentText().startswith("DCX-014")
    assert panel.ui.raised_edit.date_value() == TODAY
    panel.ui.title_edit.setText("Browser support narrower than planned")
    panel.ui.impact_combo.setCurrentIndex(panel.ui.impact_combo.findData(2))
    panel.ui.likelihood_combo.setCurrentIndex(panel.ui.likelihood_combo.findData(2))
    panel.ui.save_button.click()
    new_id = tab.selected_id()
    item = stored(db, new_id)
    assert (item.ref, item.title, item.raised) == ("R-003", "Browser support narrower than planned", TODAY)
    assert panel.ui.heading_label.text().startswith("R-003")
    ctx.undo_stack.undo()
    assert stored(db, new_id) is None and tab.panel.current_id is None


def test_delete_asks_first_and_undo_brings_the_item_back(tab, db, ctx, monkeypatch):
    item_id = select_ref(tab, "R-002")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    tab.panel.ui.delete_button.click()
    assert stored(db, item_id) is None and tab.model.view_row_of(item_id) is None
    ctx.undo_stack.undo()
    assert stored(db, item_id).title == "Accessibility audit finds blocking defects"
    assert tab.model.view_row_of(item_id) is not None


def test_convert_to_issue_shows_the_new_issue_linked_to_the_closed_risk(tab, db, monkeypatch):
    risk_id = select_ref(tab, "R-001")
    assert tab.panel.ui.convert_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    tab.panel.ui.convert_button.click()
    issue_id = tab.selected_id()
    issue = stored(db, issue_id)
    assert (issue.kind, issue.ref, issue.title) == ("issue", "I-002", stored(db, risk_id).title)
    assert stored(db, risk_id).status == "closed" and stored(db, risk_id).became_item_id == issue_id
    assert "R-001" in tab.panel.ui.link_label.text()
    tab.select_item(risk_id)
    assert not tab.panel.ui.convert_button.isEnabled()


def test_mark_reviewed_today_saves_the_date(tab, db):
    item_id = select_ref(tab, "R-001")
    tab.panel.ui.reviewed_button.click()
    assert stored(db, item_id).last_reviewed == TODAY


def test_dependency_fields_show_only_for_dependencies(tab):
    select_ref(tab, "D-001")
    panel = tab.panel
    assert panel.ui.dependency_group.isVisibleTo(panel)
    assert panel.ui.depends_project_combo.currentText().startswith("FIN-003")
    assert panel.ui.depends_milestone_combo.findText("Billing API live", Qt.MatchFlag.MatchStartsWith) > 0
    select_ref(tab, "R-001")
    assert not panel.ui.dependency_group.isVisibleTo(panel)


# -- conflicts --------------------------------------------------------------------------------------

def _edit_elsewhere(db, item_id, **changes):
    with db.transaction() as session:
        item = session.get(RaidItem, item_id)
        for key, value in changes.items():
            setattr(item, key, value)


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_a_conflicting_save_asks_whose_values_win(tab, db, monkeypatch, choice):
    item_id = select_ref(tab, "R-002")
    _edit_elsewhere(db, item_id, likelihood=1, owner="Someone Else")
    asked: list[ConflictError] = []

    def resolve(parent, error, labels=None, formatter=None):
        asked.append(error)
        return choice

    monkeypatch.setattr(detail_panel, "resolve_conflict", resolve)
    panel = tab.panel
    panel.ui.likelihood_combo.setCurrentIndex(panel.ui.likelihood_combo.findData(4))
    panel.ui.save_button.click()

    assert len(asked) == 1
    assert asked[0].mine == {"likelihood": 4} and asked[0].theirs == {"likelihood": 1}
    item = stored(db, item_id)
    if choice == "mine":
        assert (item.likelihood, item.owner) == (4, "Someone Else")  # only my field overrides theirs
    else:
        assert item.likelihood == 1
    assert panel.ui.likelihood_combo.currentData() == item.likelihood and not panel.is_dirty()


def test_conflict_values_are_shown_in_the_panel_words(tab):
    from pmo_desktop.ui.dialogs.conflict_dialog import ConflictDialog

    error = ConflictError("raid_item", 1, {"likelihood": 4, "status": "in_progress", "due": "2026-03-14"},
                          {"likelihood": 1, "status": "open", "due": None})
    rows = ConflictDialog(error, detail_panel.FIELD_LABELS, tab.panel._value_text).rows()
    assert ("Likelihood", "4 · High", "1 · Very low") in rows
    assert any(r[1:] == ("In progress", "Open") for r in rows)
    assert any(r[1:] == ("14 Mar 2026", "(empty)") for r in rows)
    assert tab.panel._value_text("project_id", None) == "Portfolio-level"
    dcx = next(p.id for p in tab.ctx.read(raid.project_choices) if p.code == "DCX-014")
    assert tab.panel._value_text("project_id", dcx) == "DCX-014"


def test_the_shared_conflict_dialog_answers_mine_theirs_or_cancel(monkeypatch, qtbot):
    from pmo_desktop.ui.dialogs.conflict_dialog import ConflictChoice, ConflictDialog
    from pmo_desktop.ui.risks import conflict

    error = ConflictError("raid_item", 1, {"likelihood": 4}, {"likelihood": 1})
    for answer, expected in ((ConflictChoice.KEEP_MINE, "mine"),
                             (ConflictChoice.TAKE_THEIRS, "theirs"),
                             (ConflictChoice.CANCEL, None)):
        monkeypatch.setattr(ConflictDialog, "ask", classmethod(lambda cls, *a, _r=answer, **k: _r))
        assert conflict.resolve_conflict(None, error) == expected


def test_register_lists_items_of_every_project(db, ctx):
    with db.session() as session:
        codes = set(session.scalars(select(Project.code)))
    assert {row.project for row in ctx.read(raid.raid_rows, TODAY)} == (set(codes) | {"Portfolio"})


def test_a_new_item_without_a_title_is_not_saved_and_says_why(tab, db, qtbot):
    qtbot.mouseClick(tab.panel.ui.new_button, Qt.MouseButton.LeftButton)
    panel = tab.panel
    panel.ui.likelihood_combo.setCurrentIndex(panel.ui.likelihood_combo.findData(2))
    assert not panel.ui.title_error.isVisibleTo(panel)  # not while the user is still filling the form
    panel.ui.due_edit.set_date_value(TODAY - dt.timedelta(days=3))
    assert "before the date raised" in panel.ui.dates_error.text()
    panel.ui.save_button.click()
    assert panel.ui.title_error.text().startswith("Title is required")
    assert panel.ui.title_edit.hasFocus() or not panel.isActiveWindow()
    with db.session() as session:
        assert len(session.scalars(select(RaidItem)).all()) == len(ITEMS)


def test_undo_and_redo_of_a_conversion_and_a_delete(tab, db, ctx, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    risk_id = select_ref(tab, "R-002")
    tab.panel.ui.convert_button.click()
    issue_id = tab.selected_id()
    tab.panel.ui.delete_button.click()  # the new issue: the risk lets go of it
    assert stored(db, issue_id) is None and stored(db, risk_id).became_item_id is None

    ctx.undo_stack.undo()  # the issue comes back, linked again
    assert stored(db, issue_id).ref == "I-002" and stored(db, risk_id).became_item_id == issue_id
    ctx.undo_stack.undo()  # the conversion is undone: the risk is open again, the issue gone
    risk = stored(db, risk_id)
    assert (risk.status, risk.closed_on, risk.became_item_id) == ("in_progress", None, None)
    assert stored(db, issue_id) is None
    ctx.undo_stack.redo()
    assert stored(db, risk_id).status == "closed" and stored(db, risk_id).became_item_id is not None
    assert ctx.undo_stack.canRedo() and not any(c.isObsolete() for c in
                                                (ctx.undo_stack.command(i) for i in range(ctx.undo_stack.count())))


# -- heat map, patterns and loading ----------------------------------------------------------------------

# The open risks of ITEMS by (likelihood, impact); the closed one (1, 3) and other kinds do not count.
OPEN_RISK_CELLS = {(4, 5): 1, (3, 3): 1, (2, 4): 1, (2, 2): 1, (3, 5): 1, (4, 3): 1, (2, 5): 1, (4, 4): 1}


def add_item(ctx, ids, code, title, likelihood, impact, *, kind="risk", status="open", description=None):
    """Write an item the way the panel does (one audited transaction, then data_changed)."""
    ctx.write(raid.create_item, raid.RaidDraft(
        project_id=ids.get(code), kind=kind, title=title, likelihood=likelihood, impact=impact, status=status,
        description=description, raised=TODAY - dt.timedelta(days=3)), today=TODAY, entity="raid_item")


def project_ids(db) -> dict[str, int]:
    with db.session() as session:
        return dict(session.execute(select(Project.code, Project.id)).all())


def heat_counts(tab) -> dict[tuple[int, int], int]:
    """The counts the heat map shows, once its pending redraw (queued after filter changes) has run."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    matrix = tab.heat_map_panel.matrix
    return {(cell.likelihood, cell.impact): cell.count for cell in matrix.cells() if cell.count}


def click_cell(tab, qtbot, likelihood: int, impact: int) -> None:
    """Click the middle of a heat-map cell on the canvas, as a user would."""
    from PySide6.QtCore import QPoint

    canvas = tab.heat_map_panel.chart.canvas
    canvas.draw()
    x, y = tab.heat_map_panel.heat_map.axes.transData.transform((impact - 0.5, likelihood - 0.5))
    ratio = canvas.device_pixel_ratio
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(x / ratio), int(canvas.height() - y / ratio)))


def test_importing_the_tab_does_not_import_matplotlib():
    import subprocess
    import sys

    code = ("import sys; import pmo_desktop.ui.tabs.risks_tab; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "[]"


def test_building_the_tab_reads_nothing_until_it_is_refreshed(ctx, db, qtbot, monkeypatch):
    sessions = []
    real_session = ctx.db.session
    monkeypatch.setattr(ctx.db, "session", lambda *a, **k: sessions.append(1) or real_session(*a, **k))
    widget = RisksTab(ctx, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    # Shown but not refreshed yet (the main window refreshes a tab right after first showing it).
    assert (sessions, widget.is_loaded, widget.model.rowCount()) == ([], False, 0)
    assert widget.heat_map_panel.chart.canvas is None  # no figure, no matplotlib canvas yet
    add_item(ctx, project_ids(db), "DCX-017", "Added before the first read", 1, 1)
    assert (widget.is_loaded, widget.model.rowCount()) == (False, 0)  # the first refresh reads it all
    widget.refresh()
    assert widget.is_loaded and widget.model.rowCount() == len(ITEMS) + 1 and sessions
    assert widget.heat_map_panel.chart.canvas is not None
    qtbot.waitUntil(lambda: not widget.patterns_pending, timeout=10_000)


def test_a_change_while_hidden_marks_the_tab_stale_and_showing_reloads(tab, db, ctx):
    tab.hide()
    add_item(ctx, project_ids(db), "DCX-017", "Hidden change", 1, 1)
    assert tab.model.rowCount() == len(ITEMS)  # not re-read while hidden
    tab.show()
    assert tab.model.rowCount() == len(ITEMS) + 1
    assert heat_counts(tab)[1, 1] == 1


def test_heat_map_counts_the_open_risks_by_default(tab):
    assert tab.current_kind() is None and tab.heat_map_kinds() == ("risk",)
    assert heat_counts(tab) == OPEN_RISK_CELLS
    assert tab.heat_map_panel.heat_map.title.get_text() == "Open risks: 8 scored"


def test_heat_map_follows_the_kind_switch_and_the_filters(tab):
    tab.set_kind("issue")
    assert heat_counts(tab) == {(5, 3): 1, (5, 2): 1, (5, 4): 1, (5, 5): 1}
    tab.set_kind("risk")
    tab.filter_bar.set_choice(COLUMN["project"], "DCX-014")
    assert heat_counts(tab) == {(4, 5): 1, (3, 3): 1}


def test_clicking_a_cell_filters_the_register_to_that_likelihood_and_impact(tab, db, ctx, qtbot):
    ids = project_ids(db)
    add_item(ctx, ids, "FIN-008", "Second severe risk", 4, 5)
    add_item(ctx, ids, "FIN-008", "Severe issue", 4, 5, kind="issue")
    add_item(ctx, ids, "DCX-017", "Closed severe risk", 4, 5, status="closed")
    assert heat_counts(tab)[4, 5] == 2  # refreshed after each write

    click_cell(tab, qtbot, 4, 5)
    shown = {(row.title, row.likelihood, row.impact, row.kind, row.status) for row in tab.model.visible_rows()}
    assert shown == {
        ("Supplier cannot deliver the identity platform on time", 4, 5, "risk", "open"),
        ("Second severe risk", 4, 5, "risk", "open"),
    }
    assert tab.cell_chip.isVisible() and tab.cell_label.text() == "L4 × I5 · open risks"
    assert tab.filter_bar.count_label.text() == f"2 of {len(ITEMS) + 3} items"
    # The heat map keeps showing every cell, with the chosen one outlined.
    assert heat_counts(tab) == {**OPEN_RISK_CELLS, (4, 5): 2}
    assert tab.heat_map_panel.heat_map.selected == (4, 5)

    tab.filter_to_cell(2, 4)
    assert [row.title for row in tab.model.visible_rows()] == ["App store review rejects the release"]
    qtbot.mouseClick(tab.cell_clear_button, Qt.MouseButton.LeftButton)
    assert not tab.cell_chip.isVisible() and tab.model.rowCount() == len(ITEMS) + 3
    assert heat_counts(tab)[4, 5] == 2 and tab.heat_map_panel.heat_map.selected is None


def test_a_cell_combines_with_other_filters_and_clear_filters_removes_it(tab, qtbot):
    tab.filter_to_cell(3, 3)
    assert visible(tab, "title") == ["Accessibility audit finds blocking defects"]
    tab.overdue_check.setChecked(True)  # that risk is overdue
    assert visible(tab, "title") == ["Accessibility audit finds blocking defects"]
    tab.filter_bar.set_choice(COLUMN["project"], "FIN-003")
    assert tab.model.rowCount() == 0
    qtbot.mouseClick(tab.filter_bar.clear_button, Qt.MouseButton.LeftButton)
    assert tab.model.rowCount() == len(ITEMS) and tab.model.cell is None and not tab.cell_chip.isVisible()


def test_clicking_the_chosen_cell_again_removes_the_filter(tab):
    tab.heat_map_panel.cell_clicked.emit(4, 4)
    assert visible(tab, "title") == ["Portfolio over-commits the architecture team"]
    tab.heat_map_panel.cell_clicked.emit(4, 4)
    assert tab.model.rowCount() == len(ITEMS) and not tab.cell_chip.isVisible()


def test_switching_kind_drops_a_cell_chosen_on_another_kind(tab):
    tab.set_kind("issue")
    tab.filter_to_cell(5, 5)
    assert visible(tab, "title") == ["Fit-out contractor went into administration"]
    tab.set_kind("risk")
    assert tab.model.cell is None and not tab.cell_chip.isVisible()
    tab.set_kind("dependency")
    tab.filter_to_cell(3, 4)
    assert tab.cell_label.text() == "L3 × I4 · open dependencies"
    assert visible(tab, "title") == ["Portal login needs the billing API"]


def test_patterns_list_the_recurring_supplier_with_its_projects_and_a_click_filters(tab, db, ctx, qtbot):
    ids = project_ids(db)
    for code in ("DCX-017", "FIN-003", "FIN-008", "EST-002"):
        add_item(ctx, ids, code, "Northwind Systems may not deliver on time", 3, 4,
                 description="Deliveries from Northwind Systems are late on several contracts.")
    add_item(ctx, ids, None, "Northwind Systems financial stability", 3, 5)  # portfolio-level: not a project
    qtbot.waitUntil(lambda: not tab.patterns_pending, timeout=10_000)
    patterns = {p.label: p for p in tab.patterns_panel.patterns}
    assert patterns["Northwind Systems"].projects == ("DCX-017", "EST-002", "FIN-003", "FIN-008")
    assert tab.patterns_panel.patterns[0].label == "Northwind Systems"
    # A pattern's projects are listed when it is first expanded, each once, and stay after a refresh.
    top = tab.patterns_panel.tree.topLevelItem(0)
    assert top.childCount() == 0 and not top.isExpanded()
    top.setExpanded(True)
    top.setExpanded(False)
    top.setExpanded(True)
    listed = [top.child(i).text(0) for i in range(top.childCount())]
    assert listed == ["DCX-017 — Mobile app", "EST-002 — Head office move", "FIN-003 — Billing upgrade",
                      "FIN-008 — ERP consolidation"]
    tab.refresh()
    qtbot.waitUntil(lambda: not tab.patterns_pending, timeout=10_000)
    top = tab.patterns_panel.tree.topLevelItem(0)
    assert top.isExpanded() and [top.child(i).text(0) for i in range(top.childCount())] == listed

    item = tab.patterns_panel.project_item("Northwind Systems", "FIN-008")
    assert item.text(0) == "FIN-008 — ERP consolidation"
    assert tab.patterns_panel.tree.topLevelItem(0).text(1) == "Name"
    tab.patterns_panel.tree.expandAll()
    rect = tab.patterns_panel.tree.visualItemRect(item)
    qtbot.mouseClick(tab.patterns_panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert set(visible(tab, "project")) == {"FIN-008"}
    assert "Northwind Systems may not deliver on time" in visible(tab, "title")


def test_detail_panel_fields_fit_the_panel_at_1440_by_900(pmo_app, db, ctx, qtbot):
    from PySide6.QtWidgets import QApplication

    # With the program's style sheet (pmo_app), a long project name in the pickers used to make the
    # form wider than the panel: its right edge was cut off.
    ctx.write(lambda session: session.add(Project(code="DCX-025", name="Contact Centre Telephony Replacement "
                                                  "Phase 2 with Workforce Management")), entity="project")
    tab = RisksTab(ctx, today=lambda: TODAY)
    qtbot.addWidget(tab)
    tab.resize(1440, 787)  # the tab's share of a 1440x900 window
    tab.show()
    tab.refresh()
    select_ref(tab, "D-001")  # a dependency: its project and milestone pickers are shown too
    area = tab.panel.ui.scroll_area
    for panel_width in (435, tab.panel.minimumWidth()):
        tab.splitter.setSizes([1440 - panel_width, panel_width])
        QApplication.processEvents()
        assert area.widgetResizable()
        viewport = area.viewport().width()
        assert area.widget().width() <= viewport and area.widget().minimumSizeHint().width() <= viewport
        for name in ("project_combo", "title_edit", "owner_combo", "depends_project_combo", "due_edit",
                     "mitigation_edit", "cost_spin"):
            widget = getattr(tab.panel.ui, name)
            assert widget.isVisible(), name
            right = widget.mapTo(area.widget(), widget.rect().topRight()).x()
            assert right <= viewport, f"{name} is cut off at the panel's edge ({panel_width} px wide)"
    qtbot.waitUntil(lambda: not tab.patterns_pending, timeout=10_000)


def test_heat_map_redraw_time_at_20000_items_is_measured(tab, capsys):
    import time

    base = tab.model.visible_rows()[0]
    rows = [base._replace(id=10_000 + n, likelihood=n % 5 + 1, impact=n // 5 % 5 + 1, kind="risk", status="open")
            for n in range(20_000)]
    tab.model.set_rows(rows)
    tab.update_charts()
    tab.heat_map_panel.chart.draw_now()
    timings = []
    for n in range(5):
        start = time.perf_counter()
        tab.filter_to_cell(n + 1, 5 - n)
        tab.update_charts()
        tab.heat_map_panel.chart.draw_now()
        timings.append(time.perf_counter() - start)
    assert tab.heat_map_panel.matrix.total == 20_000
    with capsys.disabled():
        print(f"\nheat map: filter to a cell + recount + redraw at 20,000 items: "
              f"{min(timings) * 1000:.0f}-{max(timings) * 1000:.0f} ms")


# -- escalations ------------------------------------------------------------------------------------

def _raise_score(db, title: str, likelihood: int, impact: int) -> int:
    with db.transaction() as session:
        item = session.scalars(select(RaidItem).where(RaidItem.title == title)).one()
        item.likelihood, item.impact = likelihood, impact
        return item.id


def test_escalated_cells_are_highlighted_and_project_ones_are_not(tab):
    for r in range(tab.model.rowCount()):
        row = tab.model.row_tuple(r)
        brush = tab.model.index(r, COLUMN["escalation"]).data(Qt.ItemDataRole.BackgroundRole)
        assert (brush is not None) == (row.escalation != "project"), row.ref


def test_escalations_button_counts_and_escalating_moves_the_item_to_the_top(tab, db, ctx, qtbot):
    assert tab.escalations_button.text() == "Escalations: none due"
    assert not tab.escalations_button.isEnabled()
    item_id = _raise_score(db, "App store review rejects the release", 5, 4)  # DCX-017, score 20
    tab.refresh()
    assert tab.escalations_button.text() == "⚑ Escalations due: 1"
    assert tab.escalations_button.isEnabled()
    project_rows = [r for r, row in enumerate(tab.model.visible_rows()) if row.escalation == "project"]
    assert tab.model.view_row_of(item_id) in project_rows

    tab.escalations_button.click()
    dialog = tab.escalations_dialog
    assert dialog is not None and dialog.table.rowCount() == 1
    assert [dialog.table.item(0, c).text() for c in range(5)] == [
        "R-001", "DCX-017", "Project", "Programme", "score 20 ≥ 20"]
    qtbot.mouseClick(dialog.escalate_button, Qt.MouseButton.LeftButton)

    assert stored(db, item_id).escalation == "programme"
    assert stored(db, item_id).escalation_rule == "score 20 ≥ 20"
    assert tab.escalations_button.text() == "Escalations: none due"
    rows = tab.model.visible_rows()
    first_project = next(r for r, row in enumerate(rows) if row.escalation == "project")
    assert tab.model.view_row_of(item_id) < first_project
    brush = tab.model.index(tab.model.view_row_of(item_id), COLUMN["escalation"]).data(
        Qt.ItemDataRole.BackgroundRole)
    assert brush is not None

    ctx.undo_stack.undo()
    assert stored(db, item_id).escalation == "project"
    assert stored(db, item_id).escalation_rule is None
    assert tab.escalations_button.text() == "⚑ Escalations due: 1"
    ctx.undo_stack.redo()
    assert stored(db, item_id).escalation == "programme"


def test_escalation_writes_an_audit_note_with_the_rule(tab, db):
    from pmo_desktop.model import AuditEvent

    item_id = _raise_score(db, "App store review rejects the release", 5, 5)
    applied = tab.escalate_now()
    assert [a.escalation.item_id for a in applied] == [item_id]
    with db.session() as session:
        note = session.scalars(select(AuditEvent.note).where(
            AuditEvent.entity == "raid_item", AuditEvent.entity_id == item_id)
            .order_by(AuditEvent.id.desc())).first()
    assert note == "Escalated R-001 to programme: score 25 ≥ 20"


# -- the chart chooser and the dependencies view ---------------------------------------------------------------

def shown_chart(tab, key: str, qtbot=None):
    """Choose chart ``key`` and return it once drawn (the trend's data is read in the background first)."""
    from PySide6.QtWidgets import QApplication

    tab.charts_panel.set_current_chart(key)
    QApplication.processEvents()
    if qtbot is not None:
        qtbot.waitUntil(lambda: not tab.trend_pending, timeout=10_000)
    return tab.charts_panel.charts[key]


def click_bar(tab, qtbot, key: str, axes, x: float, y: float) -> None:
    """Click a point of a bar chart's canvas given in ``axes`` data coordinates, as a user would."""
    from PySide6.QtCore import QPoint

    canvas = tab.charts_panel.canvases[key].canvas
    canvas.draw()
    px, py = axes.transData.transform((x, y))
    ratio = canvas.device_pixel_ratio
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(px / ratio), int(canvas.height() - py / ratio)))


def test_switching_charts_shows_one_chart_at_a_time_and_the_heat_map_comes_back(tab):
    assert tab.charts_panel.current_chart() == "heat_map"
    assert [tab.charts_panel.chooser.itemText(i) for i in range(tab.charts_panel.chooser.count())] == [
        "Heat map", "Exposure by category", "Exposure by programme", "Trend per period", "Ageing"]
    assert tab.charts_panel.charts == {}  # nothing but the heat map drawn yet
    shown_chart(tab, "category")
    assert tab.charts_panel.stack.currentWidget() is tab.charts_panel.canvases["category"]
    assert set(tab.charts_panel.charts) == {"category"}
    tab.charts_panel.set_current_chart("heat_map")
    assert tab.charts_panel.stack.currentWidget() is tab.heat_map_panel


def test_exposure_by_category_sums_the_open_risks_in_the_register(tab):
    chart = shown_chart(tab, "category")
    # Open risks: Resourcing 2x2 (cost 10,000), 4x3 (15,000) and 4x4 (15,000): scores 4 + 12 + 16,
    # expected value (10,000 x 2 + 15,000 x 4 + 15,000 x 4) / 5 = 28,000.
    assert [(r.key, r.count, r.score_total, r.emv) for r in chart.rows][:2] == [
        ("Resourcing", 3, 32, Decimal("28000.00")), ("Quality", 1, 9, Decimal("3000.00"))]
    assert chart.keys == ["Resourcing", "Supply", "Data", "Financial", "Quality", "Technical"]
    assert chart.title.get_text() == "Exposure of open risks by category"
    tab.filter_bar.set_choice(COLUMN["project"], "DCX-017")
    chart = shown_chart(tab, "category")
    assert [(r.key, r.score_total) for r in chart.rows] == [("Resourcing", 4), ("Technical", 8)]


def test_clicking_a_category_bar_filters_the_register_with_the_chip_and_again_removes_it(tab, qtbot):
    chart = shown_chart(tab, "category")
    click_bar(tab, qtbot, "category", chart.score_axes, 2, chart.keys.index("Resourcing"))
    assert set(visible(tab, "title")) == {"Key mobile developer leaves", "Finance team cannot release experts for testing",
                                          "Portfolio over-commits the architecture team"}
    assert tab.cell_chip.isVisible() and tab.cell_label.text() == "Resourcing · open risks"
    # The chart still counts every category, with the chosen bar darker.
    chart = shown_chart(tab, "category")
    assert len(chart.keys) == 6 and chart.selected == "Resourcing"
    tab.charts_panel.bar_clicked.emit("category", "Resourcing")
    assert tab.model.rowCount() == len(ITEMS) and not tab.cell_chip.isVisible()


def test_a_programme_bar_and_a_heat_map_cell_replace_each_other_on_the_one_chip(tab, qtbot):
    chart = shown_chart(tab, "programme")
    assert [(r.key, r.count, r.score_total) for r in chart.rows] == [
        ("Finance Transformation", 2, 27), ("Portfolio", 1, 16), ("Digital Customer", 4, 41), ("No programme", 1, 10)]
    click_bar(tab, qtbot, "programme", chart.emv_axes, 100, chart.keys.index("Portfolio"))
    assert visible(tab, "title") == ["Portfolio over-commits the architecture team"]
    tab.filter_to_cell(2, 4)
    assert visible(tab, "title") == ["App store review rejects the release"]
    assert tab.model.bar is None and tab.cell_label.text() == "L2 × I4 · open risks"
    tab.filter_to_bar("programme", "Finance Transformation")
    assert tab.model.cell is None and set(visible(tab, "title")) == {
        "Data migration corrupts historic invoices", "Finance team cannot release experts for testing"}
    qtbot.mouseClick(tab.cell_clear_button, Qt.MouseButton.LeftButton)
    assert tab.model.rowCount() == len(ITEMS) and not tab.cell_chip.isVisible()


def test_a_bar_is_dropped_when_the_kind_changes_and_by_clear_filters(tab, qtbot):
    tab.filter_to_bar("category", "Technical")
    assert visible(tab, "title") == ["App store review rejects the release"]
    tab.set_kind("dependency")
    assert tab.model.bar is None and not tab.cell_chip.isVisible()
    chart = shown_chart(tab, "category")
    assert chart.title.get_text() == "Exposure of open dependencies by category"
    tab.filter_to_bar("category", "Technical")
    assert visible(tab, "title") == ["Portal login needs the billing API"]
    qtbot.mouseClick(tab.filter_bar.clear_button, Qt.MouseButton.LeftButton)
    assert tab.model.bar is None and not tab.cell_chip.isVisible() and tab.model.rowCount() == len(ITEMS)


def test_ageing_counts_days_open_and_since_review_and_a_bar_filters(tab, qtbot):
    chart = shown_chart(tab, "ageing")
    # Open risks were raised 10, 17, 45, 52, 66, 87, 101 and 115 days ago; three never reviewed.
    assert chart.buckets["open"] == {"0–30 days": 2, "31–60 days": 2, "61–90 days": 2, "91–180 days": 2,
                                     "Over 180 days": 0}
    assert chart.buckets["review"] == chart.buckets["open"]
    click_bar(tab, qtbot, "ageing", chart.axes, 1 - 0.2, 1)  # left bar of 31-60: days open
    assert set(visible(tab, "title")) == {"App store review rejects the release", "Key mobile developer leaves"}
    assert tab.cell_label.text() == "Open 31–60 days · open risks"
    tab.filter_to_bar("ageing", ("review", "61–90 days"))
    assert set(visible(tab, "title")) == {"Data migration corrupts historic invoices",
                                          "Finance team cannot release experts for testing"}


def test_trend_counts_open_items_per_period_and_follows_the_kind(tab, qtbot):
    chart = shown_chart(tab, "trend", qtbot)
    points = {p.period_end: p for p in chart.points}
    assert chart.points[-1].period_end == TODAY and len(chart.points) == 12
    # Every risk was recorded after these dates: each counts from the day it was raised, and the one
    # closed today (1 x 3, raised 73 days ago) until today. The 4 x 5 risk was raised 10 days ago.
    assert (points[TODAY].open, points[TODAY].score_total) == (8, 94)
    assert (points[dt.date(2026, 2, 28)].open, points[dt.date(2026, 2, 28)].score_total) == (8, 94 - 20 + 3)
    # 31 January: only those raised 42 or more days ago: 2x4, 2x2, 3x5, 1x3, 4x3, 2x5 and 4x4.
    assert (points[dt.date(2026, 1, 31)].open, points[dt.date(2026, 1, 31)].score_total) == (7, 68)
    tab.set_kind("issue")
    tab.update_charts()  # the redraw the switch queued: the answer can only arrive through the event loop
    assert tab.trend_pending and tab.charts_panel.hint.text() == "Reading the history of the open issues…"
    chart = shown_chart(tab, "trend", qtbot)
    assert chart.points[-1].open == 4 and chart.title.get_text() == "Open issues and exposure per period"
    # The project filter applies too: FIN-003 has one open risk (3 x 5) and one closed today (1 x 3).
    tab.set_kind("risk")
    tab.filter_bar.set_choice(COLUMN["project"], "FIN-003")
    chart = shown_chart(tab, "trend", qtbot)
    assert [(p.open, p.score_total) for p in chart.points[-2:]] == [(2, 18), (1, 15)]
    assert chart.title.get_text() == "Open risks and exposure per period · FIN-003"


def test_charts_wait_while_the_tab_is_hidden(tab, ctx, db):
    shown_chart(tab, "category")
    tab.hide()
    add_item(ctx, project_ids(db), "FIN-008", "Another resourcing gap", 5, 5)
    assert tab.charts_panel.charts["category"].row("Resourcing").score_total == 32
    tab.show()
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    assert tab.charts_panel.charts["category"].row("Uncategorised").score_total == 25


def test_the_dependencies_view_shows_the_dependency_and_a_click_filters_to_the_project(tab, qtbot):
    dialog = tab.show_dependencies()
    qtbot.addWidget(dialog)
    view = dialog.view
    assert dialog.isVisible()
    assert [(d.ref, d.source, d.target, d.late) for d in view.graph.dependencies] == [
        ("D-001", "DCX-014", "FIN-003", False)]
    assert view.list.topLevelItemCount() == 1 and view.list.topLevelItem(0).text(2) == "FIN-003"
    assert set(view.chart.boxes) == {"DCX-014", "FIN-003"}
    assert view.node_text("DCX-014") == "DCX-014 — Customer portal\nDigital Customer · RAG not set\nDepends on: FIN-003"
    assert view.node_text("FIN-003").endswith("Depended on by: DCX-014")
    view.project_clicked.emit("DCX-014")
    assert set(visible(tab, "project")) == {"DCX-014"}
    view.list.itemActivated.emit(view.list.topLevelItem(0), 0)
    assert tab.panel.current_id == view.graph.dependencies[0].item_id
    assert tab.model.row_tuple(tab.table.currentIndex().row()).title == "Portal login needs the billing API"
    dialog.close()


def test_the_dependencies_view_on_the_demo_office(qapp, qtbot, tmp_path):
    """The graph of the demo's dependencies: late ones red, a programme filter, a click on a box (screenshots kept
    in PMO_SCREENSHOT_DIR when set)."""
    from pathlib import Path

    from PySide6.QtCore import QPoint

    from pmo_desktop.charts.dependencies import LATE_COLOUR
    from pmo_desktop.demo import build_demo

    db = open_database(f"sqlite:///{tmp_path / 'demo.db'}", backup=False)
    today = dt.date(2026, 11, 26)
    build_demo(db, today=today)
    context = AppContext(db)
    try:
        widget = RisksTab(context, today=lambda: today)
        qtbot.addWidget(widget)
        widget.resize(1440, 787)
        widget.show()
        widget.refresh()
        dialog = widget.show_dependencies()
        qtbot.addWidget(dialog)
        qapp.processEvents()
        view = dialog.view
        graph = view.graph
        with db.session() as session:
            open_dependencies = session.scalar(select(func.count()).select_from(RaidItem).where(
                RaidItem.kind == "dependency", RaidItem.status != "closed", RaidItem.project_id.is_not(None),
                RaidItem.depends_on_project_id.is_not(None), RaidItem.project_id != RaidItem.depends_on_project_id))
        assert len(graph.dependencies) == open_dependencies > 10 and graph.late_count > 0
        assert view.list.topLevelItemCount() == open_dependencies
        from matplotlib.colors import to_hex

        red = {key for key, arrow in view.chart.arrows.items() if to_hex(arrow.get_edgecolor()) == LATE_COLOUR}
        assert red == {edge.key for edge in graph.edges if edge.late}
        folder = Path(os.environ.get("PMO_SCREENSHOT_DIR") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        assert dialog.grab().save(str(folder / "dependencies_view.png"))

        code = next(iter(graph.nodes))
        canvas = view.canvas.canvas
        canvas.draw()
        x, y = view.chart.axes.transData.transform(view.chart.placement.centres[code])
        ratio = canvas.device_pixel_ratio
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton,
                         pos=QPoint(int(x / ratio), int(canvas.height() - y / ratio)))
        assert view.selected == code and widget.project_filter.currentData() in (code, None)

        programme = "Finance Transformation"
        view.set_programme(programme)
        assert view.graph.programme == programme and len(view.graph.nodes) < len(graph.nodes)
        assert all(programme in (view.graph.nodes[e.source].programme, view.graph.nodes[e.target].programme)
                   for e in view.graph.edges)
        for key in ("category", "programme", "trend", "ageing"):
            shown_chart(widget, key, qtbot)
            qapp.processEvents()
            assert widget.grab().save(str(folder / f"risks_tab_{key}.png"))
        qtbot.waitUntil(lambda: not widget.patterns_pending, timeout=10_000)
        dialog.close()
    finally:
        db.dispose()


def test_a_category_bar_filter_takes_in_an_item_saved_after_it(tab, ctx, db):
    tab.filter_to_bar("category", "Resourcing")
    assert len(visible(tab, "title")) == 3
    ctx.write(raid.create_item, raid.RaidDraft(
        project_id=project_ids(db)["FIN-003"], kind="risk", title="Testers pulled onto another release",
        likelihood=3, impact=3, category="Resourcing", raised=TODAY), today=TODAY, entity="raid_item")
    assert "Testers pulled onto another release" in visible(tab, "title") and len(visible(tab, "title")) == 4
    assert tab.cell_chip.isVisible()


def test_bar_tooltips_give_the_figures(tab):
    chart = shown_chart(tab, "category")
    assert tab.charts_panel.bar_text("category", "Resourcing") == (
        "Resourcing: 3 open, score total 32, expected value £28k. Click to filter the register.")
    assert chart.row("Supply").costed == 0
    assert tab.charts_panel.bar_text("category", "Supply") == (
        "Supply: 1 open, score total 20. Click to filter the register.")
    shown_chart(tab, "ageing")
    assert tab.charts_panel.bar_text("ageing", ("review", "61–90 days")) == (
        "2 items not reviewed for 61–90 days. Click to filter the register.")


# -- a large register is read in the background -------------------------------------------------------
# ``BACKGROUND_ITEMS`` is lowered so that the seventeen items of this office count as large. What arrives
# must be what a read in place shows; a read overtaken by a newer one is never shown; an item saved while
# the rows are being read is selected once they are in, without clearing the filters.

@pytest.fixture
def make_tab(ctx, qtbot):
    made = []

    def make() -> RisksTab:
        widget = RisksTab(ctx, today=lambda: TODAY)
        qtbot.addWidget(widget)
        widget.resize(1400, 850)
        widget.show()
        made.append(widget)
        return widget

    yield make
    tasks.wait_for_background_work()
    for widget in made:
        qtbot.waitUntil(lambda w=widget: not w.patterns_pending and not w.is_reading, timeout=10_000)


def shown(tab: RisksTab) -> tuple:
    """What a user sees of the register: the rows in order, the escalations button, the project picker."""
    combo = tab.panel.ui.project_combo
    return (tab.model.visible_rows(), tab.escalations_button.text(),
            [combo.itemText(i) for i in range(combo.count())])


def test_a_large_register_is_read_in_the_background_and_shows_what_a_read_in_place_shows(
        make_tab, qtbot, monkeypatch):
    in_place = make_tab()
    in_place.refresh()
    assert not in_place.is_reading

    monkeypatch.setattr(risks_tab, "BACKGROUND_ITEMS", 1)
    gate = threading.Event()
    real = raid.raid_rows

    def held(*args, **kwargs):
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(raid, "raid_rows", held)
    tab = make_tab()
    tab.refresh()
    assert tab.is_reading and tab.reading_note.isVisible()
    assert tab.model.rowCount() == 0  # nothing shown until the rows arrive
    # ... and nothing claims what is not known yet: no "0 items", "none due" or "nothing recurs".
    assert tab.filter_bar.count_label.text() == "Reading…"
    assert tab.escalations_button.text() == "Escalations: reading…" and not tab.escalations_button.isEnabled()
    assert tab.patterns_panel.hint.text() == "Looking for patterns across projects…"
    assert tab.heat_map_panel.summary_label.text() == "" and tab.heat_map_panel.heat_map is None  # not drawn empty
    gate.set()
    qtbot.waitUntil(lambda: not tab.is_reading, timeout=10_000)
    assert not tab.reading_note.isVisible()
    assert tab.model.total_rows() == len(ITEMS)
    assert shown(tab) == shown(in_place)


def test_only_the_latest_read_is_shown(make_tab, qtbot, monkeypatch, db):
    monkeypatch.setattr(risks_tab, "BACKGROUND_ITEMS", 1)
    first_read, release_first = threading.Event(), threading.Event()
    real = raid.raid_rows
    calls = []

    def slow_first(*args, **kwargs):
        rows = real(*args, **kwargs)
        calls.append(len(rows))
        if len(calls) == 1:
            first_read.set()
            release_first.wait(10)
        return rows

    monkeypatch.setattr(raid, "raid_rows", slow_first)
    tab = make_tab()
    tab.refresh()
    assert first_read.wait(10)  # the first read has its rows: all the items
    with db.transaction() as session:  # an item is deleted before the second read
        item_id = next(row.id for row in real(session, TODAY))
        raid.delete_item(session, item_id, None)
    tab.refresh()
    release_first.set()
    qtbot.waitUntil(lambda: not tab.is_reading, timeout=10_000)
    tasks.wait_for_background_work()
    qtbot.wait(50)  # the overtaken read reports too: it must change nothing
    assert calls == [len(ITEMS), len(ITEMS) - 1]
    assert tab.model.total_rows() == len(ITEMS) - 1
    assert tab.model.view_row_of(item_id) is None


def test_an_item_saved_while_the_register_is_read_is_selected_when_the_rows_arrive(make_tab, qtbot, monkeypatch):
    tab = make_tab()
    tab.refresh()
    tab.filter_bar.set_choice(COLUMN["project"], "DCX-017")
    monkeypatch.setattr(risks_tab, "BACKGROUND_ITEMS", 1)
    tab.new_item()  # in the project the register shows
    tab.panel.ui.title_edit.setText("Offshore team visas delayed")
    assert tab.panel.save()  # the change starts a background read; the saved item is not among the rows yet
    assert tab.is_reading
    qtbot.waitUntil(lambda: not tab.is_reading, timeout=10_000)
    assert tab.project_filter.currentData() == "DCX-017"  # the filter stays
    selected = tab.selected_id()
    assert selected is not None and tab.panel.current_id == selected
    assert tab.model.row_tuple(tab.model.view_row_of(selected)).title == "Offshore team visas delayed"
