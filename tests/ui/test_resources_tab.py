"""The Resources tab: people table, filters, the person panel's edits, undo and conflicts."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt  # noqa: E402
import time  # noqa: E402
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


def test_conflicts_show_both_values_in_the_panels_words(qtbot, monkeypatch):
    from pmo_desktop.ui.dialogs.conflict_dialog import ConflictChoice, ConflictDialog

    error = ConflictError("person", 1, {"capacity_hours": 40.0, "team": "Platform"},
                          {"capacity_hours": 37.5, "team": "Integration"})
    shown = {}

    def answer(cls, exc, labels=None, formatter=None, parent=None):
        shown["rows"] = ConflictDialog(exc, labels, formatter).rows()
        return ConflictChoice.TAKE_THEIRS

    monkeypatch.setattr(ConflictDialog, "ask", classmethod(answer))
    assert conflict.resolve_conflict(None, error) == "theirs"
    assert ("Capacity (h/week)", "40 h/week", "37.5 h/week") in shown["rows"]
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


# -- the utilisation heat map ---------------------------------------------------------------------
def _heat_row(tab, name):
    return next(row for row in tab.heat_map.view.rows() if row.label == name)


def _heat_cell_text(tab, name, week=0) -> str:
    from pmo_desktop.ui.resources.heat_map import format_percent

    return format_percent(_heat_row(tab, name).utilisation(week))


def _click_cell(qtbot, tab, row: int, week: int):
    view = tab.heat_map.view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.cell_rect(row, week).center())
    return tab.week_dialog


def test_the_heat_map_puts_the_most_over_allocated_person_first(tab, people):
    from pmo_desktop.ui.theme import UTILISATION_BANDS

    view = tab.heat_map.view
    rows = view.rows()
    # Cara: 15 + 15 + 12 = 42 h of 37.5 h in every week shown; Sam: 48 h in weeks 2 and 3 only.
    assert [r.label for r in rows[:2]] == ["Cara Novak", "Sam Patel"]
    assert rows[0].over_weeks == 12 and rows[1].over_weeks == 2
    assert _heat_cell_text(tab, "Cara Novak") == "112%"
    assert _heat_cell_text(tab, "Sam Patel", 1) == "128%"
    assert _heat_cell_text(tab, "Dev Rao") == "0%"
    assert len(view.mondays()) == 12 and view.mondays()[0] == MONDAY
    # The cell is painted in the "over" colour.
    image = view.viewport().grab().toImage()
    corner = view.cell_rect(0, 0).topLeft()
    assert image.pixelColor(corner.x() + 2, corner.y() + 2).name() == UTILISATION_BANDS[-1][1]
    assert "over-allocated person-weeks" in tab.heat_map.summary_label.text()
    # The tooltip names the person, the week, the hours and the projects.
    tip = view.tooltip_at(view.cell_rect(0, 0).center())
    assert "Cara Novak" in tip and "42.0 h allocated of 37.5 h available" in tip
    assert "ERP — ERP replacement: 15.0 h" in tip and "DWH" in tip


def test_the_range_and_grouping_switches(tab, people):
    tab.heat_map.set_weeks(26)
    assert len(tab.heat_map.view.mondays()) == 26
    tab.heat_map.set_group("role")
    rows = tab.heat_map.view.rows()
    assert rows[0].label == "Project Manager"
    developers = next(r for r in rows if r.label == "Developer")
    assert developers.people == 2
    # Sam 30 h + Bo 22 h of 37.5 + 30 h: the ratio of the sums.
    assert developers.utilisation(0) == pytest.approx(52 / 67.5)
    # Clicking a role row filters the table to its people.
    tab.heat_map.view.cell_clicked.emit("Developer", 0)
    assert _names(tab) == ["Bo Chen", "Sam Patel"]


def test_clicking_a_cell_selects_the_person_and_opens_the_weeks_allocations(tab, people, qtbot):
    dialog = _click_cell(qtbot, tab, 0, 1)
    assert tab.panel.ui.name_edit.text() == "Cara Novak"
    assert dialog is not None and dialog.isVisible()
    assert dialog.monday == MONDAY + dt.timedelta(weeks=1)
    assert sorted(a.line.project_code for a in dialog.lines()) == ["CRM", "DWH", "ERP"]
    assert "42.0 h allocated of 37.5 h available" in dialog.heading.text()
    assert dialog.model.rowCount() == 3


def test_moving_an_allocation_to_another_person_changes_both_rows_and_undo_restores(tab, db, people, qtbot):
    dialog = _click_cell(qtbot, tab, 0, 0)
    dwh = next(a for a in dialog.lines() if a.line.project_code == "DWH")
    dialog.select_allocation(dwh.line.id)
    candidates = dialog.move_candidates()
    assert candidates[0][0] == people["Dev Rao"]  # the most free hours that week
    assert dialog.move_selected_to(people["Dev Rao"])
    # Cara keeps 30 h of 37.5; Dev gets 12 h of 37.5 — at once, in place.
    assert _heat_cell_text(tab, "Cara Novak") == "80%"
    assert _heat_cell_text(tab, "Dev Rao") == "32%"
    assert tab.heat_map.view.rows()[0].label == "Cara Novak"  # the order stays while editing
    assert "Moved to Dev Rao" in dialog.message_label.text()
    with db.session() as session:
        assert session.get(Allocation, dwh.line.id).person_id == people["Dev Rao"]
    assert sorted(a.line.project_code for a in dialog.lines()) == ["CRM", "ERP"]
    tab.ctx.undo_stack.undo()
    assert _heat_cell_text(tab, "Cara Novak") == "112%"
    assert _heat_cell_text(tab, "Dev Rao") == "0%"
    with db.session() as session:
        assert session.get(Allocation, dwh.line.id).person_id == people["Cara Novak"]
    tab.ctx.undo_stack.redo()
    assert _heat_cell_text(tab, "Dev Rao") == "32%"


def test_ending_an_allocation_before_the_week_and_changing_its_hours(tab, db, people, qtbot, monkeypatch):
    dialog = _click_cell(qtbot, tab, 0, 2)  # Cara, two weeks ahead
    erp = next(a for a in dialog.lines() if a.line.project_code == "ERP")
    dialog.select_allocation(erp.line.id)
    assert dialog.shorten_selected()
    with db.session() as session:
        assert session.get(Allocation, erp.line.id).end_date == MONDAY + dt.timedelta(weeks=2, days=-3)
    assert _heat_cell_text(tab, "Cara Novak", 1) == "112%"
    assert _heat_cell_text(tab, "Cara Novak", 2) == "72%"  # 27 h of 37.5
    tab.ctx.undo_stack.undo()
    assert _heat_cell_text(tab, "Cara Novak", 2) == "112%"
    # Change the hours with the allocation dialog.
    dialog.select_allocation(erp.line.id)
    _fill_allocation_dialog(monkeypatch, "ERP", erp.line.start_date, erp.line.end_date, 5)
    dialog.edit_selected()
    assert _heat_cell_text(tab, "Cara Novak", 2) == "85%"  # 5 + 15 + 12 = 32 h
    assert dialog.message_label.text().startswith("Saved.")


def test_an_over_allocating_move_warns_and_a_directive_pmo_refuses_it(tab, db, people, qtbot):
    from pmo_desktop.model.database import load_settings

    dialog = _click_cell(qtbot, tab, [r.label for r in tab.heat_map.view.rows()].index("Sam Patel"), 0)
    erp = next(a for a in dialog.lines() if a.line.project_code == "ERP")
    dialog.select_allocation(erp.line.id)
    with db.transaction() as session:
        settings = load_settings(session)
        settings.pmo_type = "directive"
        session.add(settings)
    tab.ctx.reload_settings()
    assert not dialog.move_selected_to(people["Ann Lee"])  # 20 + 30 h of 37.5
    assert "directive PMO" in dialog.message_label.text()
    assert "Ann Lee would be at 133%" in dialog.message_label.text()
    with db.session() as session:
        assert session.get(Allocation, erp.line.id).person_id == people["Sam Patel"]
    assert tab.ctx.undo_stack.count() == 0
    with db.transaction() as session:
        settings = load_settings(session)
        settings.pmo_type = "controlling"
    tab.ctx.reload_settings()
    assert "Ann Lee" in [b.name for b in tab.heat_map.figures.bench]  # 20 h for 8 of the 12 weeks
    dialog.select_allocation(erp.line.id)
    assert dialog.move_selected_to(people["Ann Lee"])
    assert "But: Ann Lee would be at 133%" in dialog.message_label.text()
    assert _heat_cell_text(tab, "Ann Lee") == "133%"
    # The totals follow the rows re-read: Ann leaves the bench, Sam joins it.
    bench = [b.name for b in tab.heat_map.figures.bench]
    assert "Ann Lee" not in bench and "Sam Patel" in bench


def test_the_heat_map_works_from_the_keyboard(tab, people, qtbot):
    view = tab.heat_map.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)  # the first key lands on the first cell
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.current_cell() == (1, 1)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert tab.panel.ui.name_edit.text() == "Sam Patel"
    assert tab.week_dialog is not None and tab.week_dialog.monday == MONDAY + dt.timedelta(weeks=1)
    assert sorted(a.line.project_code for a in tab.week_dialog.lines()) == ["CRM", "ERP"]


def test_an_edit_in_the_panel_recomputes_the_heat_map(tab, people, monkeypatch):
    tab.select_person(people["Dev Rao"])
    _fill_allocation_dialog(monkeypatch, "ERP", MONDAY, MONDAY + dt.timedelta(weeks=3, days=4), 45)
    tab.panel.add_allocation()
    assert _heat_cell_text(tab, "Dev Rao") == "120%"
    assert tab.heat_map.view.rows()[0].label == "Cara Novak"  # Dev has 4 weeks over, Cara 12


def test_heat_map_redraw_at_1000_people_by_52_weeks(qtbot):
    """Paints only the visible cells: the time is printed, not asserted."""
    import time

    from pmo_desktop.analytics.resources import UtilisationRow
    from pmo_desktop.ui.resources.heat_map import HeatMapView

    mondays = [MONDAY + dt.timedelta(weeks=n) for n in range(52)]
    rows = [UtilisationRow(i, f"Person {i:04d}", "Developer", "Core", 1, 37.5, (37.5,) * 52,
                           tuple(float((i * 7 + w * 3) % 50) for w in range(52)), i % 5) for i in range(1000)]
    view = HeatMapView()
    qtbot.addWidget(view)
    view.resize(1440, 900)
    view.show()
    started = time.perf_counter()
    view.set_figures(rows, mondays)
    view.viewport().grab()  # grab() renders the viewport through paintEvent, now
    first = time.perf_counter() - started
    times = []
    for step in range(20):
        view.verticalScrollBar().setValue(step * 400)
        view.horizontalScrollBar().setValue(step * 40)
        started = time.perf_counter()
        view.viewport().grab()
        times.append(time.perf_counter() - started)
    rows_shown, weeks_shown = view.visible_range()
    print(f"\nheat map 1,000 x 52: set and first paint {first * 1000:.1f} ms, redraw "
          f"{sum(times) / len(times) * 1000:.1f} ms on average ({len(rows_shown)} x {len(weeks_shown)} cells visible)")
    assert len(rows_shown) < 100


# -- the Demand view: demand vs capacity, worst gaps, staffing open demand ------------------------
def _add_demand(db, code: str, role: str, hours: float, weeks: int = 8) -> int:
    """A demand on project ``code`` for ``role`` from this Monday for ``weeks`` weeks."""
    from pmo_desktop.model import Demand, Role

    with db.transaction() as session:
        demand = Demand(
            project_id=session.scalar(select(Project.id).where(Project.code == code)),
            role_id=session.scalar(select(Role.id).where(Role.name == role)),
            start_date=MONDAY, end_date=MONDAY + dt.timedelta(weeks=weeks, days=-3), hours_per_week=hours,
        )
        session.add(demand)
        session.flush()
        return demand.id


def _stored_demands(db) -> list[tuple[int, float]]:
    from pmo_desktop.model import Demand

    with db.session() as session:
        return [(d.id, d.hours_per_week) for d in session.scalars(select(Demand).order_by(Demand.id))]


def _column(model, column: int) -> list:
    return [model.index(r, column).data() for r in range(model.rowCount())]


@pytest.fixture
def demand_tab(tab, db):
    """The tab with a Tester demand (Dev Rao is free) and a Developer demand beyond the developers' time."""
    tab.tester_demand = _add_demand(db, "DWH", "Tester", 20)
    tab.developer_demand = _add_demand(db, "CRM", "Developer", 60, weeks=4)
    tab.ctx.data_changed.emit("demand")
    return tab


def test_the_demand_view_charts_a_role_and_a_gap_click_selects_it(demand_tab, qtbot):
    from pmo_desktop.charts.resources import SHORT_GID
    from pmo_desktop.ui.resources.demand_view import DEMAND_COL, GAP_COL

    pane = demand_tab.demand_pane
    assert pane.chart is None  # matplotlib waits until the view is first shown
    demand_tab.show_demand()
    qtbot.waitUntil(lambda: pane.chart is not None)
    # Developers are short (60 h/week asked, 7.5 + 8 h free this week); testers are not.
    assert _column(pane.gaps_model, GAP_COL["role"]) == ["Developer"]
    assert pane.role == "Developer"
    assert pane.chart.title.get_text() == "Developer — demand vs capacity, next 26 weeks"
    assert sum(p.get_height() for p in pane.chart.axes.patches if p.get_gid() == SHORT_GID) > 0
    timings = []
    # CPU time to chart another role and draw it, the best of three (other work on the machine adds noise).
    for role in ("Tester", "Developer", "Tester"):
        started = time.process_time()
        pane.select_role(role)
        pane.chart_canvas.draw_now()
        timings.append(time.process_time() - started)
    assert pane.chart.title.get_text().startswith("Tester")
    print(f"demand chart redraw: {min(timings) * 1000:.0f} ms CPU (best of three)")
    # Clicking the worst gap charts its role again.
    pane.gaps_table.clicked.emit(pane.gaps_model.index(0, GAP_COL["role"]))
    assert pane.role == "Developer" and pane.chart.title.get_text().startswith("Developer")
    assert sorted(_column(pane.demand_model, DEMAND_COL["role"])) == ["Developer", "Tester"]


def test_staffing_an_open_demand_updates_the_table_and_undo_restores_the_demand(demand_tab, db, people, qtbot):
    from pmo_desktop.ui.resources.demand_view import CANDIDATE_COL, DEMAND_COL

    tab = demand_tab
    pane = tab.demand_pane
    tab.show_demand()
    qtbot.waitUntil(lambda: pane.demand_model.rowCount() == 2)
    select_row = pane.demand_model.view_row_of(tab.tester_demand)
    pane.demand_table.selectRow(select_row)
    assert pane.selected_demand().id == tab.tester_demand
    assert _column(pane.candidate_model, CANDIDATE_COL["name"]) == ["Dev Rao"]
    assert pane.why_label.text() == "<b>Dev Rao</b>: free 37.5 h/week on average, enough in all 8 weeks"
    assert _cell(tab, "Dev Rao", "utilisation") == "0%"

    pane.hours_spin.setValue(15)
    qtbot.mouseClick(pane.assign_button, Qt.MouseButton.LeftButton)
    # The person's hours show at once; the demand keeps the 5 h/week not given.
    assert _cell(tab, "Dev Rao", "utilisation") == "40%"
    assert tab.heat_map.view.row(people["Dev Rao"]).allocated[0] == pytest.approx(15)
    assert tab.panel.person_id == people["Dev Rao"]
    assert (tab.tester_demand, 5.0) in _stored_demands(db)
    rows = {r.id: r for r in pane.demand_model.visible_rows()}
    assert rows[tab.tester_demand][DEMAND_COL["hours_per_week"] + 1] == 5.0
    assert "5 h/week stay open" in pane.message_label.text()
    assert tab.ctx.undo_stack.undoText().startswith("Staff Dev Rao on DWH, 15 h/week")

    tab.ctx.undo_stack.undo()
    assert _cell(tab, "Dev Rao", "utilisation") == "0%"
    assert (tab.tester_demand, 20.0) in _stored_demands(db)
    with db.session() as session:
        assert session.scalars(select(Allocation).where(Allocation.person_id == people["Dev Rao"])).all() == []
    tab.ctx.undo_stack.redo()
    assert _cell(tab, "Dev Rao", "utilisation") == "40%"


def test_staffing_a_whole_demand_removes_it_from_the_list_until_undone(demand_tab, db, people, qtbot):
    tab = demand_tab
    pane = tab.demand_pane
    tab.show_demand()
    qtbot.waitUntil(lambda: pane.demand_model.rowCount() == 2)
    pane.demand_table.selectRow(pane.demand_model.view_row_of(tab.tester_demand))
    assert pane.hours_spin.value() == 20
    pane.assign_selected()
    assert _cell(tab, "Dev Rao", "utilisation") == "53%"
    assert pane.demand_model.view_row_of(tab.tester_demand) is None
    assert [d for d, _h in _stored_demands(db)] == [tab.developer_demand]
    tab.ctx.undo_stack.undo()
    assert pane.demand_model.view_row_of(tab.tester_demand) is not None
    assert _cell(tab, "Dev Rao", "utilisation") == "0%"


def test_a_directive_pmo_refuses_staffing_that_over_allocates(demand_tab, db, people, qtbot, monkeypatch):
    from pmo_desktop.ui.resources import demand_view

    shown = []
    monkeypatch.setattr(demand_view, "refuses_over_allocation", lambda ctx: True)
    monkeypatch.setattr(demand_view, "show_error", lambda parent, exc, title=None: shown.append(str(exc)))
    tab = demand_tab
    pane = tab.demand_pane
    tab.show_demand()
    qtbot.waitUntil(lambda: pane.demand_model.rowCount() == 2)
    pane.demand_table.selectRow(pane.demand_model.view_row_of(tab.developer_demand))
    assert pane.selected_candidate() is not None
    assert pane.assign_selected() is None
    assert "directive PMO" in shown[0]
    assert (tab.developer_demand, 60.0) in _stored_demands(db)
    assert tab.ctx.undo_stack.count() == 0


def test_the_demand_view_is_built_when_first_chosen_and_lists_the_demand_then(tab, db, qtbot):
    from pmo_desktop.ui.resources.demand_view import DEMAND_COL, DemandPane

    assert tab.findChildren(DemandPane) == []  # the tab's first show builds no Demand view
    room = tab.views.minimumSizeHint().height()
    demand = _add_demand(db, "DWH", "Tester", 20)
    tab.ctx.data_changed.emit("demand")  # a change before it is built is read when it is
    tab.views.setCurrentIndex(tab.views.indexOf(tab.demand_page))  # as a click on "Demand"
    (pane,) = tab.findChildren(DemandPane)
    assert pane is tab.demand_pane and pane.isVisible()
    # The page held the Demand view's room before it was built: the heat map was given the same.
    assert pane.minimumSizeHint().height() <= room - tab.views.tabBar().sizeHint().height()
    assert tab.views.minimumSizeHint().height() == room
    qtbot.waitUntil(lambda: pane.demand_model.rowCount() == 1)
    assert [row[0] for row in pane.demand_model.visible_rows()] == [demand]
    assert _column(pane.demand_model, DEMAND_COL["role"]) == ["Tester"]
    # Staffing from it selects the person in the tab, as before.
    other = tab.model.row_id(tab.model.rowCount() - 1)
    assert tab.panel.person_id != other
    pane.staffed.emit(other)
    assert tab.panel.person_id == other
