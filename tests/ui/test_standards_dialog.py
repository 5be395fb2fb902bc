"""The standards library dialog: edit a methodology's milestones and starter RAID, save, refuse bad rows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from pmo_desktop.model.database import open_database
from pmo_desktop.services import standards as st
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.ui.context import AppContext
from pmo_desktop.ui.dialogs.standards_dialog import (
    MILESTONE_NAME,
    MILESTONE_POSITION,
    RAID_KIND,
    StandardsDialog,
    parse_position,
)


@pytest.fixture
def office(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'office.db'}", backup=False)
    with db.transaction() as session:
        ensure_defaults(session)
    yield db
    db.dispose()


@pytest.fixture
def dialog(qtbot, office):
    widget = StandardsDialog(AppContext(office))
    qtbot.addWidget(widget)
    widget.show()
    return widget


def stored(office, methodology: str) -> st.StandardInfo:
    with office.session() as session:
        return st.standard_for(session, methodology)


def test_positions_are_read_as_percent():
    assert parse_position("45%") == pytest.approx(0.45)
    assert parse_position(" 12.5 ") == pytest.approx(0.125)
    assert parse_position("soon") != parse_position("soon")  # NaN: refused by the service, row named


def test_shows_each_methodology_with_its_milestones_and_raid(dialog):
    assert [dialog.methodology_list.item(i).text() for i in range(3)] == ["Waterfall", "Agile", "Hybrid"]
    assert dialog.milestone_table.item(0, MILESTONE_NAME).text() == "Project initiation"
    assert dialog.milestone_table.item(2, MILESTONE_POSITION).text() == "30%"
    assert dialog.raid_table.cellWidget(0, RAID_KIND).currentText() == "Risk"
    assert not dialog.save_button.isEnabled()
    dialog.methodology_list.setCurrentRow(1)
    assert dialog.milestone_table.item(0, MILESTONE_NAME).text() == "Discovery complete"


def test_edit_and_save_a_standard(dialog, office, qtbot):
    dialog.methodology_list.setCurrentRow(2)  # hybrid
    dialog.milestone_table.item(1, MILESTONE_POSITION).setText("25")
    dialog.add_milestone("Benefits review", 1.0)
    dialog.raid_table.setCurrentCell(2, 1)
    qtbot.mouseClick(dialog.remove_raid_button, Qt.MouseButton.LeftButton)
    row = dialog.add_raid_item("dependency", "Finance system interface ready", "Technical")
    dialog.raid_table.cellWidget(row, RAID_KIND).setCurrentIndex(1)  # Assumption
    assert dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    hybrid = stored(office, "hybrid")
    assert ("Solution design approved", 0.25) in [(m.name, m.position) for m in hybrid.milestones]
    assert hybrid.milestones[-1] == st.MilestoneSpec("Benefits review", 1.0)
    assert [(r.kind, r.title) for r in hybrid.starter_raid] == [
        ("risk", "Agile releases and waterfall milestones drift apart"),
        ("assumption", "Funding released per stage on gate approval"),
        ("assumption", "Finance system interface ready")]
    assert not dialog.save_button.isEnabled() and not dialog.error_label.isVisible()


def test_bad_rows_are_named_and_nothing_is_saved(dialog, office):
    before = stored(office, "waterfall")
    dialog.add_milestone("Handover", 1.0)
    dialog.milestone_table.item(0, MILESTONE_POSITION).setText("soon")
    assert not dialog.save()
    assert dialog.error_label.isVisible()
    assert dialog.error_label.text() == ("Milestone 1 ('Project initiation'): the position must be between 0% "
                                         "(the baseline start) and 100% (the baseline end).")
    assert stored(office, "waterfall") == before


def test_switching_away_from_changes_asks_first(dialog, message_boxes):
    dialog.description_edit.setPlainText("Changed")
    message_boxes.answer = QMessageBox.StandardButton.No
    dialog.methodology_list.setCurrentRow(1)
    assert dialog.methodology_list.currentRow() == 0 and dialog.current == "waterfall"
    assert message_boxes.shown[-1][0] == "question"
    message_boxes.answer = QMessageBox.StandardButton.Yes
    dialog.methodology_list.setCurrentRow(1)
    assert dialog.current == "agile" and not dialog.dirty


def test_someone_else_saving_first_reloads_their_version(dialog, office, message_boxes):
    waterfall = stored(office, "waterfall")
    with office.transaction() as session:
        st.save_standard(session, "waterfall", "Theirs", waterfall.milestones, waterfall.starter_raid,
                         waterfall.version)
    dialog.description_edit.setPlainText("Mine")
    assert not dialog.save()
    assert "Someone else saved the Waterfall standard" in message_boxes.texts()
    assert dialog.description_edit.toPlainText() == "Theirs"
    assert stored(office, "waterfall").description == "Theirs"


def test_file_menu_opens_the_library_and_new_project_dialogs(qtbot, office, monkeypatch):
    from pmo_desktop.ui.governance.new_project_dialog import NewProjectDialog
    from pmo_desktop.ui.main_window.main_window import MainWindow

    opened = []
    monkeypatch.setattr(StandardsDialog, "exec", lambda self: opened.append(self.windowTitle()) or 0)
    monkeypatch.setattr(NewProjectDialog, "exec", lambda self: opened.append(self.windowTitle()) or 0)
    window = MainWindow(AppContext(office))
    qtbot.addWidget(window)
    menu = [action.objectName() for action in window.file_menu.actions()]
    assert {"action_standards_library", "action_new_project_from_methodology"} <= set(menu)
    window.main_actions.standards_library.trigger()
    window.main_actions.new_project_from_methodology.trigger()
    assert opened == ["Standards Library", "New Project from Methodology"]
