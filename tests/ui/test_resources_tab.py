"""The Resources tab: people table, filters, the person panel's edits, undo and conflicts."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt  # noqa: E402
import sys  # noqa: E402
from dataclasses import replace as _with  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QDate, Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402
from sqlalchemy import select  # noqa: E402

from pmo_desktop.model import Absence, Allocation, Person, Project  # noqa: E402
from pmo_desktop.model.database import open_database  # noqa: E402
from pmo_desktop.services import resources as svc  # noqa: E402
from pmo_desktop.services.defaults import ensure_defaults  # noqa: E402
from pmo_desktop.services.errors import ConflictError  # noqa: E402
from pmo_desktop.ui import dialogs  # noqa: E402
from pmo_desktop.ui.context import AppContext  # noqa: E402
from pmo_desktop.ui.resources import conflict, person_panel  # noqa: E402
from pmo_desktop.ui.resources.absence_dialog import AbsenceDialog  # noqa: E402
from pmo_desktop.ui.resources.allocation_dialog import AllocationDialog  # noqa: E402
from pmo_desktop.ui.resources.people_model import COL  # noqa: E402
from pmo_desktop.ui.tabs.resources_tab import ResourcesTab  # noqa: E402

TODAY = dt.date.today()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday())

PEOPLE = (
    # name, role, team, capacity, [(project code, weeks from this Monday to start, weeks long, hours)]
    ("Sam Patel", "Developer", "Platform", 37.5, [("ERP", -4, 16, 30), ("CRM", 1, 2, 18)]),
    ("Ann Lee", "Business Analyst", "Data", 37.5, [("CRM", -2, 10, 20)]),
    ("Bo Chen", "Developer", "Platform", 30.0, [("ERP", 0, 8, 12), ("DWH", 0, 8, 10)]),
    ("Cara Novak", "Project Manager", "Delivery", 37.5, [("ERP", -8, 30, 15), ("CRM", -8, 30, 15),
                                                         ("DWH", -8, 30, 12)]),
    ("Dev Rao", "Tester", "Data", 37.5, []),
)
PROJECTS = {"ERP": "ERP replacement", "CRM": "Customer portal", "DWH": "Data warehouse"}


def seed_office(db, people=PEOPLE, projects=PROJECTS, monday=MONDAY) -> dict[str, int]:
    """Projects, people and allocations relative to ``monday``; returns person ids by name."""
    ids: dict[str, int] = {}
    with db.transaction() as session:
        codes = {}
        for code, name in projects.items():
            project = Project(code=code, name=name, stage="execution")
            session.add(project)
            session.flush()
            codes[code] = project.id
        for name, role, team, capacity, plan in people:
            email = name.lower().replace(" ", ".") + "@example.org"
            person_id = svc.create_person(session, svc.PersonInput(name, email, role, team, capacity)).id
            ids[name] = person_id
            for code, start_weeks, weeks, hours in plan:
                start = monday + dt.timedelta(weeks=start_weeks)
                end = start + dt.timedelta(weeks=weeks, days=-3)
                svc.create_allocation(session, svc.AllocationInput(person_id, codes[code], start, end, hours))
    return ids


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/office.db", backup=False)
    with database.transaction() as session:
        ensure_defaults(session)
    yield database
    database.dispose()


@pytest.fixture
def people(db):
    return seed_office(db)


@pytest.fixture
def tab(qtbot, db, people):
    ctx = AppContext(db)
    widget = ResourcesTab(ctx)
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.show()
    widget.refresh()  # as the main window does when the tab is first shown
    return widget


def _names(tab) -> list[str]:
    return [tab.model.index(r, COL["name"]).data() for r in range(tab.model.rowCount())]


def _cell(tab, name: str, column: str) -> str:
    row = _names(tab).index(name)
    return tab.model.index(row, COL[column]).data()


def _stored_person(db, person_id: int) -> Person:
    with db.session() as session:
        return session.get(Person, person_id)


def test_the_table_shows_every_person_with_this_weeks_utilisation(tab):
    assert _names(tab) == ["Ann Lee", "Bo Chen", "Cara Novak", "Dev Rao", "Sam Patel"]
    assert _cell(tab, "Sam Patel", "role") == "Developer"
    assert _cell(tab, "Sam Patel", "hours_this_week") == "30.0"
    assert _cell(tab, "Sam Patel", "utilisation") == "80%"
    assert _cell(tab, "Sam Patel", "peak_utilisation") == "128%"  # (30 + 18) / 37.5 next week
    assert _cell(tab, "Cara Novak", "utilisation") == "112%"
    assert _cell(tab, "Dev Rao", "utilisation") == "0%"
    assert _cell(tab, "Cara Novak", "projects") == "3"
    # Colour bands: healthy green for 80%, red for over-allocated.
    row = _names(tab).index("Cara Novak")
    over = tab.model.index(row, COL["utilisation"]).data(Qt.ItemDataRole.BackgroundRole)
    assert over.color().name() == "#e07b6a"
    row = _names(tab).index("Sam Patel")
    healthy = tab.model.index(row, COL["utilisation"]).data(Qt.ItemDataRole.BackgroundRole)
    assert healthy.color().name() == "#a8d5a2"
    # The first person is shown in the panel.
    assert tab.panel.ui.name_edit.text() == "Ann Lee"


def test_sorting_by_utilisation_from_the_header(tab):
    tab.table.sortByColumn(COL["utilisation"], Qt.SortOrder.DescendingOrder)
    assert _names(tab)[0] == "Cara Novak"
    assert _names(tab)[-1] == "Dev Rao"


def test_role_filter_and_over_allocated_only(tab):
    combo = tab.role_filter
    combo.setCurrentIndex(combo.findData("Developer"))
    assert _names(tab) == ["Bo Chen", "Sam Patel"]
    tab.over_allocated_check.setChecked(True)
    assert _names(tab) == ["Sam Patel"]
    combo.setCurrentIndex(0)
    assert _names(tab) == ["Cara Novak", "Sam Patel"]
    assert tab.filter_bar.count_label.text() == "2 of 5 people"
    tab.filter_bar.clear_button.click()
    assert not tab.over_allocated_check.isChecked()
    assert len(_names(tab)) == 5


def test_filters_and_selection_survive_a_refresh(tab, people):
    tab.over_allocated_check.setChecked(True)
    tab.select_person(people["Sam Patel"])
    tab.refresh()
    assert _names(tab) == ["Cara Novak", "Sam Patel"]
    assert tab.selected_person_id() == people["Sam Patel"]
    assert tab.panel.person_id == people["Sam Patel"]


def test_editing_capacity_saves_it_and_undo_restores_it(tab, db, people):
    sam = people["Sam Patel"]
    tab.select_person(sam)
    tab.panel.ui.capacity_spin.setValue(45)
    assert tab.panel.is_dirty()
    tab.panel.ui.save_button.click()
    stored = _stored_person(db, sam)
    assert stored.capacity_hours == 45 and stored.version == 2
    assert _cell(tab, "Sam Patel", "utilisation") == "67%"  # 30 / 45
    assert tab.panel.message() == "Saved Sam Patel."
    assert not tab.panel.is_dirty()

    tab.ctx.undo_stack.undo()
    stored = _stored_person(db, sam)
    assert stored.capacity_hours == 37.5
    assert tab.panel.ui.capacity_spin.value() == 37.5
    assert _cell(tab, "Sam Patel", "utilisation") == "80%"

    tab.ctx.undo_stack.redo()
    assert _stored_person(db, sam).capacity_hours == 45


def test_invalid_fields_are_shown_inline_and_nothing_is_saved(tab, db, people):
    ann = people["Ann Lee"]
    tab.select_person(ann)
    tab.panel.ui.name_edit.setText("Sam Patel")
    tab.panel.ui.email_edit.setText("ann at example")
    tab.panel.ui.cost_rate_edit.setText("-5")
    assert not tab.panel.save()
    assert tab.panel.errors.message_for("name") == "Another person is already called Sam Patel."
    assert "not an email address" in tab.panel.errors.message_for("email")
    assert tab.panel.errors.message_for("cost_rate") == "The cost rate cannot be negative."
    assert tab.panel.ui.name_edit.property("invalid") is True
    assert _stored_person(db, ann).name == "Ann Lee"


def test_a_new_person_is_created_with_a_new_role_and_undo_removes_them(tab, db):
    panel = tab.panel
    panel.ui.new_button.click()
    assert panel.is_new and tab.selected_person_id() is None
    panel.ui.name_edit.setText("Eve Stone")
    panel.ui.email_edit.setText("eve.stone@example.org")
    panel.ui.role_combo.setEditText("Data Scientist")
    panel.ui.team_combo.setEditText("Data")
    panel.ui.capacity_spin.setValue(30)
    panel.ui.cost_rate_edit.setText("72.50")
    panel.ui.save_button.click()
    with db.session() as session:
        eve = session.scalar(select(Person).where(Person.name == "Eve Stone"))
        assert (eve.role.name, eve.team, eve.capacity_hours, str(eve.cost_rate)) == ("Data Scientist", "Data", 30, "72.50")
    assert tab.selected_person_id() == eve.id and panel.person_id == eve.id
    assert "Eve Stone" in _names(tab)
    tab.ctx.undo_stack.undo()
    assert _stored_person(db, eve.id) is None
    assert "Eve Stone" not in _names(tab)
    tab.ctx.undo_stack.redo()
    assert _stored_person(db, eve.id).name == "Eve Stone"


def _fill_allocation_dialog(monkeypatch, project_code, start, end, hours):
    """Make AllocationDialog.exec fill the form and press Save, as a user would."""
    seen = {}

    def fake_exec(dialog: AllocationDialog) -> int:
        combo = dialog.ui.project_combo
        combo.setCurrentIndex(next(i for i in range(combo.count()) if combo.itemText(i).startswith(project_code)))
        dialog.ui.start_date_edit.setDate(QDate(start))
        dialog.ui.end_date_edit.setDate(QDate(end))
        dialog.ui.hours_spin.setValue(hours)
        dialog.ui.button_box.button(dialog.ui.button_box.StandardButton.Save).click()
        seen["result"] = dialog.result()
        seen["errors"] = [dialog.errors.message_for(f) for f in ("project_id", "end_date", "hours_per_week")]
        return dialog.result()

    monkeypatch.setattr(AllocationDialog, "exec", fake_exec)
    return seen


def test_adding_an_allocation_in_the_panel_updates_db_and_utilisation(tab, db, people, monkeypatch):
    dev = people["Dev Rao"]
    tab.select_person(dev)
    assert _cell(tab, "Dev Rao", "utilisation") == "0%"
    seen = _fill_allocation_dialog(monkeypatch, "DWH", MONDAY, MONDAY + dt.timedelta(weeks=6, days=4), 30)
    tab.panel.ui.add_allocation_button.click()
    assert seen["result"] == AllocationDialog.DialogCode.Accepted
    with db.session() as session:
        stored = session.scalars(select(Allocation).where(Allocation.person_id == dev)).all()
    assert [(a.hours_per_week, a.start_date) for a in stored] == [(30, MONDAY)]
    assert _cell(tab, "Dev Rao", "utilisation") == "80%"
    assert tab.panel.allocations_model.rowCount() == 1
    assert tab.panel.ui.timeline.weeks()[0].hours == 30
    assert tab.panel.message() == "Allocation added."

    tab.ctx.undo_stack.undo()
    assert _cell(tab, "Dev Rao", "utilisation") == "0%"
    assert tab.panel.allocations_model.rowCount() == 0


def test_an_over_allocating_allocation_is_saved_with_a_warning(tab, db, people, monkeypatch):
    tab.select_person(people["Ann Lee"])
    _fill_allocation_dialog(monkeypatch, "ERP", MONDAY, MONDAY + dt.timedelta(days=4), 28)
    tab.panel.add_allocation()
    # 20 h on CRM + 28 h = 48 h of 37.5 h.
    assert tab.panel.message() == (
        f"Saved, but: Ann Lee would be at 128% in the week of {svc.format_day(MONDAY)}."
    )
    assert _cell(tab, "Ann Lee", "utilisation") == "128%"


def test_an_invalid_allocation_keeps_the_dialog_open_with_the_reason(tab, db, people, monkeypatch):
    tab.select_person(people["Dev Rao"])
    seen = _fill_allocation_dialog(monkeypatch, "ERP", MONDAY, MONDAY + dt.timedelta(days=4), 0)
    tab.panel.add_allocation()
    assert seen["result"] == AllocationDialog.DialogCode.Rejected
    assert seen["errors"][2] == "Hours per week must be more than 0 and at most 100."
    with db.session() as session:
        assert session.scalar(select(Allocation).where(Allocation.person_id == people["Dev Rao"])) is None


def test_deleting_an_allocation_and_undoing_it(tab, db, people):
    tab.select_person(people["Bo Chen"])
    panel = tab.panel
    panel.ui.allocations_view.selectRow(0)
    line = panel.selected_allocation()
    panel.ui.delete_allocation_button.click()
    with db.session() as session:
        assert session.get(Allocation, line.id) is None
    assert panel.allocations_model.rowCount() == 1
    tab.ctx.undo_stack.undo()
    with db.session() as session:
        assert session.get(Allocation, line.id).hours_per_week == line.hours_per_week
    assert panel.allocations_model.rowCount() == 2


def test_deleting_a_person_after_confirmation_and_undo_brings_them_back(tab, db, people, monkeypatch):
    cara = people["Cara Novak"]
    tab.select_person(cara)
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    tab.panel.ui.delete_button.click()
    assert _stored_person(db, cara) is None
    assert "Cara Novak" not in _names(tab)
    assert tab.panel.person_id is None
    tab.ctx.undo_stack.undo()
    assert _stored_person(db, cara).name == "Cara Novak"
    assert _cell(tab, "Cara Novak", "utilisation") == "112%"


def test_a_conflict_asks_the_user_and_keep_mine_saves_over_theirs(tab, db, people, monkeypatch):
    sam = people["Sam Patel"]
    tab.select_person(sam)
    with db.transaction() as session:  # another coordinator saves first
        other = svc.get_person(session, sam)
        svc.update_person(session, sam, _with(other.to_input(), team="Integration"), other.version)
    asked = []
    monkeypatch.setattr(person_panel, "resolve_conflict", lambda parent, error: asked.append(error) or "mine")
    tab.panel.ui.capacity_spin.setValue(40)
    assert tab.panel.save()
    assert asked and asked[0].mine == {"team": "Platform", "capacity_hours": 40.0}
    assert asked[0].theirs == {"team": "Integration", "capacity_hours": 37.5}
    stored = _stored_person(db, sam)
    assert (stored.capacity_hours, stored.team) == (40, "Platform")


def test_a_conflict_cancelled_keeps_the_edits_and_saves_nothing(tab, db, people, monkeypatch):
    sam = people["Sam Patel"]
    tab.select_person(sam)
    with db.transaction() as session:
        other = svc.get_person(session, sam)
        svc.update_person(session, sam, _with(other.to_input(), capacity_hours=20), other.version)
    monkeypatch.setattr(person_panel, "resolve_conflict", lambda parent, error: None)
    tab.panel.ui.capacity_spin.setValue(40)
    assert not tab.panel.save()
    assert _stored_person(db, sam).capacity_hours == 20
    assert tab.panel.ui.capacity_spin.value() == 40 and tab.panel.is_dirty()
    assert "someone else saved this person" in tab.panel.message()

    monkeypatch.setattr(person_panel, "resolve_conflict", lambda parent, error: "theirs")
    assert not tab.panel.save()
    assert tab.panel.ui.capacity_spin.value() == 20 and not tab.panel.is_dirty()


def test_editing_an_allocation_in_the_dialog_and_undo(tab, db, people, monkeypatch):
    tab.select_person(people["Ann Lee"])
    panel = tab.panel
    panel.ui.allocations_view.selectRow(0)
    line = panel.selected_allocation()
    _fill_allocation_dialog(monkeypatch, "CRM", line.start_date, line.end_date, 10)
    panel.ui.edit_allocation_button.click()
    with db.session() as session:
        assert session.get(Allocation, line.id).hours_per_week == 10
    assert _cell(tab, "Ann Lee", "hours_this_week") == "10.0"
    tab.ctx.undo_stack.undo()
    with db.session() as session:
        assert session.get(Allocation, line.id).hours_per_week == 20
    assert _cell(tab, "Ann Lee", "hours_this_week") == "20.0"


def test_adding_and_deleting_an_absence(tab, db, people, monkeypatch):
    dev = people["Dev Rao"]
    tab.select_person(dev)
    first, last = MONDAY + dt.timedelta(weeks=1), MONDAY + dt.timedelta(weeks=1, days=2)

    def fake_exec(dialog: AbsenceDialog) -> int:
        dialog.ui.start_date_edit.setDate(QDate(first))
        dialog.ui.end_date_edit.setDate(QDate(last))
        dialog.ui.reason_combo.setEditText("Training")
        dialog.ui.button_box.button(dialog.ui.button_box.StandardButton.Save).click()
        return dialog.result()

    monkeypatch.setattr(AbsenceDialog, "exec", fake_exec)
    tab.panel.ui.add_absence_button.click()
    with db.session() as session:
        stored = session.scalars(select(Absence).where(Absence.person_id == dev)).all()
    assert [(a.start_date, a.end_date, a.reason) for a in stored] == [(first, last, "Training")]
    assert tab.panel.ui.timeline.weeks()[1].absent_days == 3
    assert tab.panel.absences_model.index(0, 2).data() == "3"  # working days

    tab.panel.ui.absences_view.selectRow(0)
    tab.panel.ui.delete_absence_button.click()
    with db.session() as session:
        assert session.scalar(select(Absence.id)) is None
    tab.ctx.undo_stack.undo()
    with db.session() as session:
        assert session.scalar(select(Absence.reason)) == "Training"
    assert tab.panel.absences_model.rowCount() == 1


def test_leaving_an_edited_person_asks_first(tab, db, people, monkeypatch):
    sam, ann = people["Sam Patel"], people["Ann Lee"]
    tab.select_person(sam)
    tab.panel.ui.team_combo.setEditText("Integration")
    answers = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: answers.pop(0))
    tab.table.selectRow(_names(tab).index("Ann Lee"))
    assert tab.panel.person_id == sam and tab.selected_person_id() == sam
    assert tab.panel.ui.team_combo.currentText() == "Integration"

    answers.append(QMessageBox.StandardButton.Save)
    tab.table.selectRow(_names(tab).index("Ann Lee"))
    assert tab.panel.person_id == ann and tab.selected_person_id() == ann
    assert _stored_person(db, sam).team == "Integration"


def test_a_hidden_tab_catches_up_when_shown(tab, db, people):
    tab.hide()
    tab.ctx.write(lambda session: svc.create_person(session, svc.PersonInput("Zoe Quint", capacity_hours=20)),
                  entity="person")
    assert "Zoe Quint" not in _names(tab)
    tab.show()
    assert "Zoe Quint" in _names(tab)


def test_the_timeline_describes_each_week(tab, people):
    tab.select_person(people["Sam Patel"])
    timeline = tab.panel.ui.timeline
    assert [round(w.hours) for w in timeline.weeks()[:3]] == [30, 48, 48]
    text = timeline.describe_week(1)
    assert text.splitlines() == [
        f"Week of {svc.format_day(MONDAY + dt.timedelta(weeks=1))}", "48 h allocated of 37.5 h (128%, over)"]
    assert timeline.week_at(timeline.width() - 10) == 11


def test_conflicts_go_to_the_shells_dialog_when_there_is_one(qtbot, monkeypatch):
    shell = pytest.importorskip("pmo_desktop.ui.dialogs.conflict_dialog")
    error = ConflictError("person", 1, {"team": "Platform"}, {"team": "Integration"})
    if hasattr(shell, "resolve_conflict"):
        monkeypatch.setattr(shell, "resolve_conflict", lambda parent, exc: "theirs")
    else:
        monkeypatch.setattr(shell.ConflictDialog, "ask",
                            classmethod(lambda cls, exc, **kwargs: shell.ConflictChoice.TAKE_THEIRS))
    assert conflict.resolve_conflict(None, error) == "theirs"


def test_without_the_shells_dialog_a_message_box_shows_both_values(qtbot, monkeypatch):
    # As if the shell's dialog did not exist: importing it fails.
    monkeypatch.setitem(sys.modules, "pmo_desktop.ui.dialogs.conflict_dialog", None)
    monkeypatch.delattr(dialogs, "conflict_dialog", raising=False)
    shown = {}

    def click_keep_mine(box: QMessageBox) -> int:
        shown["text"] = box.informativeText()
        next(b for b in box.buttons() if b.text() == "Keep mine").click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", click_keep_mine)
    error = ConflictError("person", 1, {"capacity_hours": 40.0}, {"capacity_hours": 37.5})
    assert conflict.resolve_conflict(None, error) == "mine"
    assert "40 h/week" in shown["text"] and "37.5 h/week" in shown["text"]
    assert conflict.format_value("start_date", "2026-01-12") == "12 Jan 2026"


def test_sorting_and_filtering_keep_the_highlight_on_the_person_shown(tab, people):
    sam = people["Sam Patel"]
    tab.select_person(sam)
    tab.table.sortByColumn(COL["utilisation"], Qt.SortOrder.DescendingOrder)
    assert tab.selected_person_id() == sam == tab.panel.person_id
    tab.role_filter.setCurrentIndex(tab.role_filter.findData("Tester"))
    assert tab.selected_person_id() is None and tab.panel.person_id == sam
    tab.role_filter.setCurrentIndex(0)
    assert tab.selected_person_id() == sam


def test_choosing_the_first_row_after_filtering_shows_that_person(tab, people):
    assert tab.panel.person_id == people["Ann Lee"]
    tab.over_allocated_check.setChecked(True)
    tab.table.selectRow(0)
    assert tab.selected_person_id() == people["Cara Novak"] == tab.panel.person_id
    assert tab.panel.ui.name_edit.text() == "Cara Novak"


def test_sorting_the_allocations_keeps_the_selected_allocation(tab, people):
    tab.select_person(people["Cara Novak"])
    view, panel = tab.panel.ui.allocations_view, tab.panel
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.selectRow(0)
    chosen = panel.selected_allocation()
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert panel.selected_allocation() == chosen
    assert view.selectionModel().currentIndex().row() == 2


def test_the_tab_and_the_timeline_paint_in_every_state(tab, people, qtbot):
    from pmo_desktop.ui.resources.timeline import AllocationTimeline

    tab.select_person(people["Sam Patel"])
    assert not tab.grab().isNull()
    tab.panel.new_person()
    assert not tab.grab().isNull()
    timeline = AllocationTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(300, 130)
    weeks = [svc.WeekLoad(MONDAY + dt.timedelta(weeks=n), hours, absent) for n, (hours, absent) in
             enumerate([(0, 0), (12, 5), (40, 2)])]
    timeline.set_plan(weeks, 0, TODAY)  # no capacity at all
    assert not timeline.grab().isNull()
    assert timeline.describe_week(1).splitlines() == [
        f"Week of {svc.format_day(MONDAY + dt.timedelta(weeks=1))}", "12 h allocated of 0 h", "Away 5 days"]
    timeline.clear()
    assert not timeline.grab().isNull() and timeline.week_at(150) is None
