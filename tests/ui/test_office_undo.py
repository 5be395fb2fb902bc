"""Edit > Undo and Redo of the office's setup: settings, standards library and stage gates saves.

Each save made in its dialog is one command on the window's undo stack: undo puts back what was
stored before (audited), redo saves the edit again, and a step that meets someone else's save is
dropped as obsolete with a message, leaving their values in place.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from pmo_desktop.model import AuditEvent
from pmo_desktop.model.audit import verify_chain
from pmo_desktop.services import gates as gt
from pmo_desktop.services import standards as st
from pmo_desktop.services.errors import ConflictError
from pmo_desktop.services.settings import read_settings, update_settings
from pmo_desktop.ui.dialogs.gates_dialog import CRIT_NAME, CRIT_REQUIRED, GatesDialog
from pmo_desktop.ui.dialogs.settings_dialog import SettingsDialog
from pmo_desktop.ui.dialogs.standards_dialog import MILESTONE_NAME, StandardsDialog

EXECUTION_ROW = 3  # G4 Execution in the lifecycle list


@pytest.fixture
def errors(ctx) -> list:
    shown: list = []
    ctx.error_raised.connect(shown.append)
    return shown


def audit_count(ctx, entity: str) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == entity))


def chain_is_whole(ctx) -> bool:
    with ctx.db.engine.connect() as conn:
        checked, broken = verify_chain(conn)
    return checked > 0 and broken is None


# -- office settings --------------------------------------------------------------------------------

def settings_dialog(qtbot, ctx) -> SettingsDialog:
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def stored_settings(ctx):
    return ctx.read(read_settings).values


def test_a_settings_save_is_undone_and_redone_with_audit_rows(qtbot, ctx):
    dialog = settings_dialog(qtbot, ctx)
    dialog.ui.currency_combo.setCurrentText("EUR")
    dialog.ui.slip_red_spin.setValue(60)
    assert dialog.save()
    assert ctx.undo_stack.count() == 1
    assert ctx.undo_stack.undoText() == "Edit office settings (Currency, Slip red after (days))"
    updates = audit_count(ctx, "office_settings")

    with qtbot.waitSignal(ctx.settings_changed):
        ctx.undo_stack.undo()
    assert (stored_settings(ctx).currency, stored_settings(ctx).slip_red_days) == ("GBP", 45)
    assert ctx.settings.currency == "GBP"  # the views read the settings again
    assert audit_count(ctx, "office_settings") == updates + 1

    with qtbot.waitSignal(ctx.settings_changed):
        ctx.undo_stack.redo()
    assert (stored_settings(ctx).currency, stored_settings(ctx).slip_red_days) == ("EUR", 60)
    assert ctx.settings.currency == "EUR"
    assert audit_count(ctx, "office_settings") == updates + 2
    assert chain_is_whole(ctx)


def test_two_settings_saves_undo_in_turn(qtbot, ctx):
    first = settings_dialog(qtbot, ctx)
    first.ui.currency_combo.setCurrentText("EUR")
    assert first.save()
    second = settings_dialog(qtbot, ctx)
    second.ui.office_name_edit.setText("Delivery Office")
    assert second.save()

    ctx.undo_stack.undo()
    assert (stored_settings(ctx).office_name, stored_settings(ctx).currency) == ("Project Management Office", "EUR")
    ctx.undo_stack.undo()  # checks against the version the first undo left, not the one its save left
    assert (stored_settings(ctx).office_name, stored_settings(ctx).currency) == ("Project Management Office", "GBP")
    assert ctx.undo_stack.index() == 0


def test_undoing_settings_someone_else_saved_since_is_refused(qtbot, ctx, errors):
    dialog = settings_dialog(qtbot, ctx)
    dialog.ui.currency_combo.setCurrentText("EUR")
    assert dialog.save()
    with ctx.db.transaction() as session:  # another coordinator saves after us
        update_settings(session, {"currency": "USD"}, read_settings(session).version)

    ctx.undo_stack.undo()
    assert stored_settings(ctx).currency == "USD"
    assert isinstance(errors[0], ConflictError)
    assert ctx.undo_stack.count() == 0  # dropped as obsolete


# -- standards library ------------------------------------------------------------------------------

def standards_dialog(qtbot, ctx) -> StandardsDialog:
    dialog = StandardsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def stored_standard(ctx, methodology: str) -> st.StandardInfo | None:
    return ctx.read(st.standard_for, methodology)


def test_a_standard_save_is_undone_and_redone(qtbot, ctx):
    before = stored_standard(ctx, "waterfall")
    dialog = standards_dialog(qtbot, ctx)
    dialog.milestone_table.item(0, MILESTONE_NAME).setText("Kick-off")
    dialog.add_raid_item("issue", "Supplier contract unsigned", "Commercial")
    assert dialog.save()
    after = stored_standard(ctx, "waterfall")
    assert ctx.undo_stack.undoText() == "Edit standard 'Waterfall'"
    events = audit_count(ctx, "standard_milestone")

    ctx.undo_stack.undo()
    undone = stored_standard(ctx, "waterfall")
    assert (undone.description, undone.milestones, undone.starter_raid) == (
        before.description, before.milestones, before.starter_raid)
    assert audit_count(ctx, "standard_milestone") > events

    ctx.undo_stack.redo()
    redone = stored_standard(ctx, "waterfall")
    assert (redone.milestones, redone.starter_raid) == (after.milestones, after.starter_raid)
    assert redone.milestones[0].name == "Kick-off"
    assert chain_is_whole(ctx)


def test_undoing_a_new_standard_removes_it(qtbot, ctx):
    hybrid = stored_standard(ctx, "hybrid")
    with ctx.db.transaction() as session:
        st.delete_standard(session, "hybrid", hybrid.version)
    dialog = standards_dialog(qtbot, ctx)
    dialog.methodology_list.setCurrentRow(2)
    assert dialog.current == "hybrid" and dialog.milestone_table.rowCount() == 0
    dialog.add_milestone("Blueprint signed off", 0.2)
    assert dialog.save()
    assert stored_standard(ctx, "hybrid").milestones == (st.MilestoneSpec("Blueprint signed off", 0.2),)

    ctx.undo_stack.undo()
    assert stored_standard(ctx, "hybrid") is None
    ctx.undo_stack.redo()
    assert stored_standard(ctx, "hybrid").milestones == (st.MilestoneSpec("Blueprint signed off", 0.2),)


def test_undoing_a_standard_someone_else_saved_since_is_refused(qtbot, ctx, errors):
    dialog = standards_dialog(qtbot, ctx)
    dialog.description_edit.setPlainText("Plan, then build")
    assert dialog.save()
    theirs = stored_standard(ctx, "waterfall")
    with ctx.db.transaction() as session:
        st.save_standard(session, "waterfall", "Theirs", theirs.milestones, theirs.starter_raid, theirs.version)

    ctx.undo_stack.undo()
    assert stored_standard(ctx, "waterfall").description == "Theirs"
    assert isinstance(errors[0], ConflictError)
    assert ctx.undo_stack.count() == 0


# -- stage gates ------------------------------------------------------------------------------------

def gates_dialog(qtbot, ctx) -> GatesDialog:
    dialog = GatesDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.gate_list.setCurrentRow(EXECUTION_ROW)
    return dialog


def stored_gate(ctx) -> gt.GateEntry:
    return next(g for g in ctx.read(gt.gate_list) if g.to_stage == "execution")


def shape(gate: gt.GateEntry) -> tuple:
    """What a coordinator sees of a gate: its name and each criterion's name, need and methodology, in order."""
    return gate.name, [(c.name, c.required, c.methodology) for c in gate.criteria]


def test_a_gate_save_is_undone_and_redone_with_removed_criteria_back_in_place(qtbot, ctx):
    before = stored_gate(ctx)
    dialog = gates_dialog(qtbot, ctx)
    dialog.name_edit.setText("G4 Go for delivery")
    dialog.criteria_table.item(0, CRIT_REQUIRED).setCheckState(Qt.CheckState.Unchecked)
    removed = dialog.criteria_table.item(1, CRIT_NAME).text()
    dialog.criteria_table.setCurrentCell(1, CRIT_NAME)
    assert dialog.remove_current()
    dialog.add_criterion("Hypercare plan agreed", required=False)
    assert dialog.save()
    after = stored_gate(ctx)
    assert removed not in [c.name for c in after.criteria]
    assert ctx.undo_stack.undoText() == "Edit stage gate 'G4 Execution'"
    events = audit_count(ctx, "gate_criterion")

    ctx.undo_stack.undo()
    assert shape(stored_gate(ctx)) == shape(before)
    assert audit_count(ctx, "gate_criterion") > events

    ctx.undo_stack.redo()
    assert shape(stored_gate(ctx)) == shape(after)
    ctx.undo_stack.undo()
    assert shape(stored_gate(ctx)) == shape(before)
    assert chain_is_whole(ctx)


def test_two_gate_saves_undo_in_turn(qtbot, ctx):
    before = stored_gate(ctx)
    dialog = gates_dialog(qtbot, ctx)
    dialog.name_edit.setText("G4 Delivery")
    assert dialog.save()
    middle = stored_gate(ctx)
    dialog.add_criterion("Hypercare plan agreed")
    assert dialog.save()
    assert ctx.undo_stack.undoText() == "Edit stage gate 'G4 Delivery'"

    ctx.undo_stack.undo()
    assert shape(stored_gate(ctx)) == shape(middle)
    ctx.undo_stack.undo()
    assert shape(stored_gate(ctx)) == shape(before)


def test_undoing_a_gate_someone_else_saved_since_is_refused(qtbot, ctx, errors):
    dialog = gates_dialog(qtbot, ctx)
    dialog.name_edit.setText("G4 Delivery")
    assert dialog.save()
    theirs = stored_gate(ctx)
    with ctx.db.transaction() as session:
        gt.save_gate(session, theirs.id, "G4 Build", [c.draft() for c in theirs.criteria], theirs.version)

    ctx.undo_stack.undo()
    assert stored_gate(ctx).name == "G4 Build"
    assert isinstance(errors[0], ConflictError)
    assert ctx.undo_stack.count() == 0


def test_a_refused_save_pushes_nothing(qtbot, ctx):
    before = stored_gate(ctx)
    dialog = gates_dialog(qtbot, ctx)
    dialog.add_criterion(dialog.criteria_table.item(0, CRIT_NAME).text())  # a name the gate already has
    assert not dialog.save()
    assert ctx.undo_stack.count() == 0
    assert stored_gate(ctx) == before
