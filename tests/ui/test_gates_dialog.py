"""The stage gates dialog: edit a gate's criteria per methodology, save, mark bad rows, resolve conflicts."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from pmo_desktop.model import Project
from pmo_desktop.model.database import open_database
from pmo_desktop.services import gates as gt
from pmo_desktop.services import governance as gov
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.ui.context import AppContext
from pmo_desktop.ui.dialogs import gates_dialog
from pmo_desktop.ui.dialogs.gates_dialog import (
    CRIT_APPLIES,
    CRIT_NAME,
    CRIT_REQUIRED,
    CRIT_REVIEWS,
    GatesDialog,
)

EXECUTION_ROW = 3  # G4 Execution in the lifecycle list


@pytest.fixture
def office(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'office.db'}", backup=False)
    with db.transaction() as session:
        ensure_defaults(session)
        session.add(Project(code="AG-1", name="Citizen app", stage="planning", methodology="agile"))
    yield db
    db.dispose()


@pytest.fixture
def dialog(qtbot, office):
    widget = GatesDialog(AppContext(office))
    qtbot.addWidget(widget)
    widget.show()
    widget.gate_list.setCurrentRow(EXECUTION_ROW)
    return widget


def stored(office, to_stage: str = "execution") -> gt.GateEntry:
    with office.session() as session:
        return next(g for g in gt.gate_list(session) if g.to_stage == to_stage)


def names(dialog) -> list[str]:
    return [dialog.criteria_table.item(r, CRIT_NAME).text() for r in range(dialog.criteria_table.rowCount())]


def row_of(dialog, name: str) -> int:
    return names(dialog).index(name)


def test_lists_the_lifecycle_and_the_gates_criteria_with_whom_they_apply_to(dialog, office):
    assert dialog.gate_list.count() == 6
    assert dialog.gate_list.item(0).text() == "G1 Business case\nIdea → Business case"
    assert dialog.name_edit.text() == "G4 Execution"
    assert dialog.transition_label.text() == "Planning → Execution"
    assert names(dialog) == [c.name for c in stored(office).criteria]
    backlog = row_of(dialog, "Product backlog prioritised")
    assert dialog.criteria_table.cellWidget(backlog, CRIT_APPLIES).currentText() == "Agile"
    assert dialog.criteria_table.cellWidget(0, CRIT_APPLIES).currentText() == "All"
    quality = row_of(dialog, "Quality plan")
    assert dialog.criteria_table.item(quality, CRIT_REQUIRED).text() == "Optional"
    assert "Agile: 8 (7 required)" in dialog.checklists_label.text()
    assert not dialog.save_button.isEnabled()


def test_edit_reorder_tailor_and_save(dialog, office, qtbot):
    table = dialog.criteria_table
    dialog.name_edit.setText("G4 Go for delivery")
    dialog.name_edit.textEdited.emit("G4 Go for delivery")
    table.item(0, CRIT_NAME).setText("Baseline plan approved")
    table.item(0, CRIT_REQUIRED).setCheckState(Qt.CheckState.Unchecked)
    assert table.item(0, CRIT_REQUIRED).text() == "Optional"
    table.cellWidget(0, CRIT_APPLIES).setCurrentIndex(1)  # Waterfall
    table.setCurrentCell(0, CRIT_NAME)
    qtbot.mouseClick(dialog.down_button, Qt.MouseButton.LeftButton)
    assert names(dialog)[:2] == ["Resource plan", "Baseline plan approved"]
    row = dialog.add_criterion("Sprint zero complete")
    table.cellWidget(row, CRIT_APPLIES).setCurrentIndex(2)  # Agile
    table.setCurrentCell(row_of(dialog, "Quality plan"), CRIT_NAME)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    gate = stored(office)
    assert gate.name == "G4 Go for delivery"
    assert [(c.name, c.required, c.methodology) for c in gate.criteria[:2]] == [
        ("Resource plan", True, None), ("Baseline plan approved", False, "waterfall")]
    assert (gate.criteria[-1].name, gate.criteria[-1].methodology) == ("Sprint zero complete", "agile")
    assert "Quality plan" not in {c.name for c in gate.criteria}
    assert not dialog.dirty and not dialog.error_label.isVisible()
    assert dialog.gate_list.item(EXECUTION_ROW).text().startswith("G4 Go for delivery")


def test_bad_rows_are_marked_and_nothing_is_saved(dialog, office):
    before = stored(office)
    dialog.criteria_table.item(1, CRIT_NAME).setText("  ")
    dialog.add_criterion("baseline PLAN")
    dialog.name_edit.setText("")
    assert not dialog.save()
    assert dialog.name_edit.property("invalid") and "gate's name" in dialog.name_edit.toolTip()
    assert "Criterion 2: enter" in dialog.row_error(1)
    assert "already criterion 1" in dialog.row_error(dialog.criteria_table.rowCount() - 1)
    assert dialog.row_error(0) == ""
    assert "Criterion 2" in dialog.error_label.text()
    assert stored(office) == before


def test_removing_a_reviewed_criterion_offers_to_make_it_optional(dialog, office, monkeypatch):
    gate = stored(office)
    with office.transaction() as session:
        project_id = session.scalar(select(Project.id).where(Project.code == "AG-1"))
        gov.record_review(session, gov.ReviewValues(
            project_id=project_id, gate_id=gate.id, review_date=dt.date.today(), decision="deferred",
            results=tuple(gov.CriterionResultInput(c.id, False) for c in gt.project_checklist(session, gate.id,
                                                                                               project_id))))
    dialog.reload()
    backlog = row_of(dialog, "Product backlog prioritised")
    assert dialog.criteria_table.item(backlog, CRIT_REVIEWS).text() == "1"
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: asked.append(args[2]) or QMessageBox.StandardButton.Yes)
    dialog.criteria_table.setCurrentCell(backlog, CRIT_NAME)
    assert not dialog.remove_current()
    assert "cannot be removed: 1 gate review" in asked[0]
    assert names(dialog)[backlog] == "Product backlog prioritised"
    assert dialog.criteria_table.item(backlog, CRIT_REQUIRED).checkState() == Qt.CheckState.Unchecked
    assert dialog.save()
    assert not next(c for c in stored(office).criteria if c.name == "Product backlog prioritised").required


@pytest.mark.parametrize(("answer", "kept"), [("mine", "G4 Mine"), ("theirs", "G4 Theirs")])
def test_a_conflict_is_resolved_through_the_shared_dialog(dialog, office, monkeypatch, answer, kept):
    gate = stored(office)
    with office.transaction() as session:
        gt.save_gate(session, gate.id, "G4 Theirs", [c.draft() for c in gate.criteria], gate.version)
    seen = []
    monkeypatch.setattr(gates_dialog, "resolve_conflict",
                        lambda parent, error, labels: seen.append((error.mine, error.theirs)) or answer)
    dialog.name_edit.setText("G4 Mine")
    dialog.name_edit.textEdited.emit("G4 Mine")
    assert dialog.save() is (answer == "mine")
    assert seen[0][0]["name"] == "G4 Mine" and seen[0][1]["name"] == "G4 Theirs"
    assert stored(office).name == kept
    assert dialog.name_edit.text() == kept and not dialog.dirty


def test_file_menu_opens_the_stage_gates_dialog(qtbot, office, monkeypatch):
    from pmo_desktop.ui.main_window.main_window import MainWindow

    opened = []
    monkeypatch.setattr(GatesDialog, "exec", lambda self: opened.append(self.windowTitle()) or 0)
    window = MainWindow(AppContext(office))
    qtbot.addWidget(window)
    menu = [action.objectName() for action in window.file_menu.actions()]
    assert menu.index("action_stage_gates") == menu.index("action_standards_library") + 1
    window.main_actions.stage_gates.trigger()
    assert opened == ["Stage Gates"]
