"""The person detail panel: edit a person, their allocations and absences, and see their next weeks.

Every change goes through the resources service inside ``run_undoable``, so Edit > Undo puts
back exactly what was there. Validation messages appear under their fields; over-allocation
warnings and confirmations appear in the message area under the heading.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QTableView, QWidget

from ...services import resources as svc
from ...services.errors import ConflictError, NotFoundError, ServiceError, ValidationError
from ..context import AppContext
from ..forms.ui_person_panel import Ui_PersonPanel
from ..models.row_table_model import Column, Kind, RowTableModel
from .absence_dialog import AbsenceDialog
from .allocation_dialog import AllocationDialog, describe_period
from .commands import (
    refuses_over_allocation,
    undoable_allocation_update,
    undoable_create,
    undoable_delete,
    undoable_update,
)
from .conflict import resolve_conflict
from .inline_errors import InlineErrors
from .table_setup import setup_table

TIMELINE_WEEKS = 12

ALLOCATION_COLUMNS = (
    Column("project", "Project", Kind.TEXT, 230),
    Column("start_date", "From", Kind.DATE, 96),
    Column("end_date", "To", Kind.DATE, 96),
    Column("hours_per_week", "Hours/week", Kind.NUMBER, 80, decimals=1),
)
ABSENCE_COLUMNS = (
    Column("start_date", "From", Kind.DATE, 96),
    Column("end_date", "To", Kind.DATE, 96),
    Column("days", "Working days", Kind.INT, 90),
    Column("reason", "Reason", Kind.TEXT, 160),
)

_MESSAGE_STYLES = {
    "info": ("#e7f4e8", "#5cb85c"),
    "warning": ("#fff3dc", "#e0a03a"),
    "error": ("#fbe7e5", "#d9534f"),
}


class DatedRowsModel(RowTableModel):
    """Rows of dated periods; those that ended before today are greyed as history."""

    def __init__(self, columns, end_column: int, parent=None):
        super().__init__(columns, parent)
        self._end_column = end_column
        self.today = dt.date.today()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            end = self.row_tuple(index.row())[self._end_column + 1]
            if end is not None and end < self.today:
                return QBrush(QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        return super().data(index, role)


def show_message_in(label: QLabel, text: str, kind: str = "info") -> None:
    """Show ``text`` in a message label: "info" (green), "warning" (amber) or "error" (red)."""
    background, border = _MESSAGE_STYLES[kind]
    label.setStyleSheet(
        f"QLabel {{ background: {background}; border: 1px solid {border}; border-left: 4px solid {border};"
        f" border-radius: 4px; padding: 6px 8px; color: #1f1f1f; }}"
    )
    label.setProperty("kind", kind)
    label.setText(text)
    label.show()


def _working_days(start: dt.date, end: dt.date) -> int:
    monday = svc.week_start(start)
    days = 0
    while monday <= end:
        days += svc.covered_working_days(start, end, monday)
        monday += dt.timedelta(weeks=1)
    return days


def _format_rate(rate: Decimal | None) -> str:
    if rate is None:
        return ""
    return f"{rate:,.2f}".removesuffix(".00")


class PersonPanel(QWidget):
    """Shows one person (or a blank form for a new one) and saves their changes."""

    #: A person was created or saved: the tab selects them.
    person_saved = Signal(int)
    #: The panel no longer shows a stored person (new form, deleted, or gone).
    person_cleared = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_PersonPanel()
        self.ui.setupUi(self)
        self.ctx = ctx
        self._person_id: int | None = None
        self._version: int | None = None
        self._loaded_name = ""
        self._capacity = 0.0
        self._allocations: tuple[svc.AllocationLine, ...] = ()
        self._absences: tuple[svc.AbsenceLine, ...] = ()
        self._is_new = False
        self._saving = False
        self._clean_signature: tuple = ()

        self.allocations_model = DatedRowsModel(ALLOCATION_COLUMNS, end_column=2, parent=self)
        self.absences_model = DatedRowsModel(ABSENCE_COLUMNS, end_column=1, parent=self)
        self._setup_view(self.ui.allocations_view, self.allocations_model, sort_column=1)
        self._setup_view(self.ui.absences_view, self.absences_model, sort_column=0)
        self.errors = InlineErrors({
            "name": (self.ui.name_error, self.ui.name_edit),
            "email": (self.ui.email_error, self.ui.email_edit),
            "role": (self.ui.role_error, self.ui.role_combo),
            "team": (self.ui.team_error, self.ui.team_combo),
            "capacity_hours": (self.ui.capacity_error, self.ui.capacity_spin),
            "cost_rate": (self.ui.cost_rate_error, self.ui.cost_rate_edit),
        })
        self.ui.cost_rate_label.setText(f"Cost &rate ({ctx.currency_symbol.strip()}/h)")
        self._connect()
        self._show_empty()

    def _setup_view(self, view: QTableView, model: RowTableModel, sort_column: int) -> None:
        setup_table(view, model, sort_column=sort_column, stretch_column=0 if model is self.allocations_model else None)
        view.selectionModel().selectionChanged.connect(lambda *_: self._update_state())

    def _connect(self) -> None:
        ui = self.ui
        for edit in (ui.name_edit, ui.email_edit, ui.cost_rate_edit):
            edit.textChanged.connect(self._on_form_edited)
        for combo in (ui.role_combo, ui.team_combo):
            combo.editTextChanged.connect(self._on_form_edited)
        ui.capacity_spin.valueChanged.connect(self._on_form_edited)
        ui.active_check.toggled.connect(self._on_form_edited)
        ui.new_button.clicked.connect(self.new_person)
        ui.save_button.clicked.connect(self.save)
        ui.revert_button.clicked.connect(self.revert)
        ui.delete_button.clicked.connect(self.delete_person)
        ui.add_allocation_button.clicked.connect(self.add_allocation)
        ui.edit_allocation_button.clicked.connect(self.edit_allocation)
        ui.delete_allocation_button.clicked.connect(self.delete_allocation)
        ui.allocations_view.doubleClicked.connect(lambda _index: self.edit_allocation())
        ui.add_absence_button.clicked.connect(self.add_absence)
        ui.delete_absence_button.clicked.connect(self.delete_absence)
        save = QShortcut(QKeySequence.StandardKey.Save, self)
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.activated.connect(self.save)
        for view, delete in ((ui.allocations_view, self.delete_allocation), (ui.absences_view, self.delete_absence)):
            shortcut = QShortcut(QKeySequence.StandardKey.Delete, view)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(delete)

    # -- state --------------------------------------------------------------------------------
    @property
    def person_id(self) -> int | None:
        """The stored person shown, or None (nothing shown, or a new person not yet saved)."""
        return self._person_id

    @property
    def is_new(self) -> bool:
        return self._is_new

    def is_dirty(self) -> bool:
        """True when the form differs from what was loaded (a new form counts once typed in)."""
        if self._person_id is None and not self._is_new:
            return False
        return self._signature() != self._clean_signature

    def message(self) -> str:
        """The text in the message area (empty when hidden)."""
        return self.ui.message_label.text() if not self.ui.message_label.isHidden() else ""

    def show_message(self, text: str, kind: str = "info") -> None:
        """Show ``text`` under the heading: "info" (green), "warning" (amber) or "error" (red)."""
        show_message_in(self.ui.message_label, text, kind)

    def clear_message(self) -> None:
        self.ui.message_label.clear()
        self.ui.message_label.hide()

    def _signature(self) -> tuple:
        ui = self.ui
        return (ui.name_edit.text().strip(), ui.email_edit.text().strip(), ui.role_combo.currentText().strip(),
                ui.team_combo.currentText().strip(), round(ui.capacity_spin.value(), 1),
                ui.cost_rate_edit.text().strip(), ui.active_check.isChecked())

    def _today(self) -> dt.date:
        return dt.date.today()

    # -- loading ------------------------------------------------------------------------------
    def load(self, person_id: int | None) -> None:
        """Show the stored person ``person_id`` (None: nothing), dropping unsaved edits."""
        if person_id is None:
            self._show_empty()
            return
        try:
            detail = self.ctx.read(svc.get_person, person_id)
        except NotFoundError:
            self._show_empty()
            return
        if person_id != self._person_id:
            self.clear_message()
        self._is_new = False
        self._person_id = detail.id
        self._version = detail.version
        self._loaded_name = detail.name
        self._capacity = detail.capacity_hours
        self._fill_choices()
        self._fill_form(detail.to_input())
        self._fill_lists(detail.allocations, detail.absences, detail.holidays)
        self._update_state()

    def reload(self) -> None:
        """Re-read after a change elsewhere. Unsaved edits (and the version they were made on)
        are kept; the allocation and absence lists always show what is stored."""
        if self._is_new:
            self._fill_choices()
            return
        if self._person_id is None:
            return
        if not self.is_dirty() or self._saving:
            self.load(self._person_id)
            if self._person_id is None:
                self.show_message("That person is no longer in the database.", "warning")
            return
        try:
            detail = self.ctx.read(svc.get_person, self._person_id)
        except NotFoundError:
            self.show_message(f"{self._loaded_name} was deleted meanwhile. Revert to close the form.", "warning")
            return
        self._fill_lists(detail.allocations, detail.absences, detail.holidays)
        self._update_state()

    def _fill_choices(self) -> None:
        roles, teams = self.ctx.read(lambda s: (svc.role_names(s), svc.team_names(s)))
        for combo, values in ((self.ui.role_combo, roles), (self.ui.team_combo, teams)):
            text = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(values)
            combo.setEditText(text)
            combo.blockSignals(False)

    def _fill_form(self, data: svc.PersonInput) -> None:
        ui = self.ui
        widgets = (ui.name_edit, ui.email_edit, ui.role_combo, ui.team_combo, ui.capacity_spin, ui.cost_rate_edit,
                   ui.active_check)
        for widget in widgets:
            widget.blockSignals(True)
        ui.name_edit.setText(data.name)
        ui.email_edit.setText(data.email or "")
        ui.role_combo.setEditText(data.role or "")
        ui.team_combo.setEditText(data.team or "")
        for line_edit in (ui.email_edit, ui.role_combo.lineEdit(), ui.team_combo.lineEdit()):
            line_edit.setCursorPosition(0)  # long values show their start, not their end
        ui.capacity_spin.setValue(data.capacity_hours)
        ui.cost_rate_edit.setText(_format_rate(data.cost_rate))
        ui.active_check.setChecked(data.active)
        for widget in widgets:
            widget.blockSignals(False)
        self.errors.clear()
        self._clean_signature = self._signature()

    def _fill_lists(self, allocations, absences, holidays=frozenset()) -> None:
        self._allocations, self._absences = tuple(allocations), tuple(absences)
        today = self._today()
        self.allocations_model.today = self.absences_model.today = today
        self.allocations_model.set_rows(
            (a.id, f"{a.project_code} — {a.project_name}", a.start_date, a.end_date, a.hours_per_week)
            for a in self._allocations
        )
        self.absences_model.set_rows(
            (a.id, a.start_date, a.end_date, _working_days(a.start_date, a.end_date), a.reason)
            for a in self._absences
        )
        weeks = svc.weekly_load(self._allocations, self._absences, svc.week_start(today), TIMELINE_WEEKS,
                                holidays=holidays)
        self.ui.timeline.set_plan(weeks, self._capacity, today)

    def _show_empty(self) -> None:
        self._person_id = self._version = None
        self._is_new = False
        self._loaded_name = ""
        self._capacity = 0.0
        self._fill_form(svc.PersonInput(name=""))
        self._fill_lists((), ())
        self.ui.timeline.clear()
        self._update_state()

    def _update_state(self) -> None:
        ui = self.ui
        has_person = self._person_id is not None
        editing = has_person or self._is_new
        dirty = self.is_dirty()
        ui.details_group.setEnabled(editing)
        ui.timeline_group.setVisible(has_person)
        ui.lists_tabs.setEnabled(has_person)
        ui.save_button.setEnabled(dirty or self._is_new)
        ui.revert_button.setEnabled(dirty or self._is_new)
        ui.delete_button.setEnabled(has_person)
        ui.add_allocation_button.setEnabled(has_person)
        has_allocation = self._selected_id(ui.allocations_view, self.allocations_model) is not None
        ui.edit_allocation_button.setEnabled(has_allocation)
        ui.delete_allocation_button.setEnabled(has_allocation)
        ui.add_absence_button.setEnabled(has_person)
        ui.delete_absence_button.setEnabled(self._selected_id(ui.absences_view, self.absences_model) is not None)
        ui.lists_tabs.setTabText(0, f"Allocations ({len(self._allocations)})" if has_person else "Allocations")
        ui.lists_tabs.setTabText(1, f"Absences ({len(self._absences)})" if has_person else "Absences")
        if self._is_new:
            ui.title_label.setText(ui.name_edit.text().strip() or "New person")
            ui.subtitle_label.setText("Fill in the details and save; then add allocations and absences.")
        elif has_person:
            ui.title_label.setText(self._loaded_name + ("  •" if dirty else ""))
            ui.title_label.setToolTip("Unsaved changes" if dirty else "")
            ui.subtitle_label.setText(self._subtitle())
        else:
            ui.title_label.setText("No person selected")
            ui.subtitle_label.setText("Choose someone in the table, or add a new person.")

    def _subtitle(self) -> str:
        role, team = self.ui.role_combo.currentText().strip(), self.ui.team_combo.currentText().strip()
        parts = [p for p in (role, team) if p]
        today = self._today()
        current = {a.project_code for a in self._allocations if a.end_date >= today}
        parts.append(f"{len(current)} current project{'' if len(current) == 1 else 's'}")
        return " · ".join(parts)

    def _on_form_edited(self, *_args) -> None:
        self._update_state()

    @staticmethod
    def _selected_id(view: QTableView, model: RowTableModel) -> int | None:
        rows = view.selectionModel().selectedRows()
        return model.row_id(rows[0].row()) if rows else None

    # -- the person -----------------------------------------------------------------------------
    def form_input(self) -> svc.PersonInput:
        """The person as typed; raises ValidationError when the cost rate is not a number."""
        ui = self.ui
        return svc.PersonInput(
            name=ui.name_edit.text(), email=ui.email_edit.text(), role=ui.role_combo.currentText(),
            team=ui.team_combo.currentText(), capacity_hours=ui.capacity_spin.value(),
            cost_rate=svc.parse_cost_rate(ui.cost_rate_edit.text()), active=ui.active_check.isChecked(),
        )

    def new_person(self) -> None:
        """A blank form for someone new (asks first about unsaved edits)."""
        if not self.confirm_discard():
            return
        self._show_empty()
        self._is_new = True
        self.clear_message()
        self._fill_choices()
        self._update_state()
        self.ui.name_edit.setFocus()
        self.person_cleared.emit()

    def save(self) -> bool:
        """Save the form (a new person or changes); True when it was saved."""
        if self._person_id is None and not self._is_new:
            return False
        self.errors.clear()
        try:
            data = self.form_input()
            self._saving = True
            try:
                saved = self._write_person(data)
            finally:
                self._saving = False
        except ValidationError as exc:
            leftover = self.errors.show(exc)
            self.show_message(" ".join(leftover) or "Not saved: correct the fields marked in red.", "error")
            return False
        except ConflictError as exc:
            return self._settle_person_conflict(exc)
        except ServiceError as exc:
            self.show_message(str(exc), "error")
            return False
        self.load(saved.id)
        self.show_message(f"Saved {data.name.strip()}.", "info")
        self.person_saved.emit(saved.id)
        return True

    def _write_person(self, data: svc.PersonInput) -> svc.PersonSaved:
        name = data.name.strip()
        if self._is_new:
            return undoable_create(
                self.ctx, f"Add {name}", "person", lambda session: svc.create_person(session, data),
                lambda session, row_id: svc.delete_person(session, row_id), svc.restore_person,
            )
        assert self._person_id is not None
        return undoable_update(self.ctx, f"Edit {name}", "person", svc.update_person, self._person_id, data,
                               self._version)

    def _settle_person_conflict(self, error: ConflictError) -> bool:
        choice = resolve_conflict(self, error)
        if choice == "mine":
            if error.deleted:
                self._is_new, self._person_id, self._version = True, None, None
            else:
                self._version = self.ctx.read(svc.get_person, error.entity_id).version
            return self.save()
        if choice == "theirs":
            self.load(error.entity_id)
            self.show_message("Your changes were dropped; this is what is stored now.", "info")
            return False
        self.show_message("Not saved: someone else saved this person after you opened it. "
                          "Your changes are still here; Save again to choose.", "warning")
        return False

    def revert(self) -> None:
        """Drop unsaved changes and show what is stored (a new form is closed)."""
        if self._is_new:
            self._show_empty()
            self.person_cleared.emit()
        else:
            self.load(self._person_id)
        self.clear_message()

    def confirm_discard(self) -> bool:
        """Before leaving an edited form: save, discard, or stay (False)."""
        if not self.is_dirty():
            return True
        name = self.ui.name_edit.text().strip() or "this person"
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save your changes to {name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.revert()
            return True
        return False

    def delete_person(self) -> None:
        """Delete the person with their allocations and absences, after confirmation (undoable)."""
        if self._person_id is None:
            return
        name = self._loaded_name
        answer = QMessageBox.question(
            self, "Delete person",
            f"Delete {name}, with {len(self._allocations)} allocation(s) and {len(self._absences)} absence(s)?\n\n"
            "You can undo this with Edit > Undo.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            undoable_delete(self.ctx, f"Delete {name}", "person", svc.delete_person, svc.restore_person,
                            self._person_id, self._version)
        except ConflictError:
            self.load(self._person_id)
            self.show_message(f"Not deleted: someone else changed {name} meanwhile. Check the values and "
                              "delete again if you still want to.", "warning")
            return
        except ServiceError as exc:
            self.show_message(str(exc), "error")
            return
        self._show_empty()
        self.show_message(f"Deleted {name}. Edit > Undo brings them back with their allocations.", "info")
        self.person_cleared.emit()

    # -- allocations ----------------------------------------------------------------------------
    def _allocation(self, allocation_id: int | None) -> svc.AllocationLine | None:
        return next((a for a in self._allocations if a.id == allocation_id), None)

    def selected_allocation(self) -> svc.AllocationLine | None:
        return self._allocation(self._selected_id(self.ui.allocations_view, self.allocations_model))

    def add_allocation(self) -> None:
        """Open the allocation dialog for a new allocation of this person."""
        if self._person_id is None:
            return
        projects = self.ctx.read(svc.project_choices)
        if not projects:
            self.show_message("There are no projects yet: import or add projects first.", "warning")
            return
        dialog = AllocationDialog(self._person_id, self._loaded_name, self._capacity, projects,
                                  self._submit_new_allocation, today=self._today(), parent=self)
        dialog.exec()

    def _submit_new_allocation(self, data: svc.AllocationInput) -> bool:
        saved = undoable_create(
            self.ctx, f"Allocate {self._loaded_name}", "allocation",
            lambda session: svc.create_allocation(session, data,
                                                  refuse_over_allocation=refuses_over_allocation(self.ctx)),
            lambda session, row_id: svc.delete_allocation(session, row_id), svc.restore_allocation,
        )
        self._report_allocation(saved, "Allocation added.")
        return True

    def edit_allocation(self) -> None:
        """Open the allocation dialog on the selected allocation."""
        line = self.selected_allocation()
        if line is None or self._person_id is None:
            return
        projects = self.ctx.read(svc.project_choices)
        dialog = AllocationDialog(self._person_id, self._loaded_name, self._capacity, projects,
                                  lambda data: self._submit_allocation_edit(line.id, line.version, data),
                                  initial=line, today=self._today(), parent=self)
        dialog.exec()

    def _submit_allocation_edit(self, allocation_id: int, version: int | None, data: svc.AllocationInput) -> bool:
        try:
            saved = undoable_allocation_update(self.ctx, f"Edit allocation of {self._loaded_name}", allocation_id,
                                               data, version, old_person_id=data.person_id,
                                               refuse_over_allocation=refuses_over_allocation(self.ctx))
        except ConflictError as exc:
            choice = resolve_conflict(self, exc)
            if choice == "mine" and not exc.deleted:
                stored = self.ctx.read(svc.get_person, data.person_id).allocations
                current = next((a for a in stored if a.id == allocation_id), None)
                return self._submit_allocation_edit(allocation_id, current.version if current else None, data)
            if choice == "mine":
                return self._submit_new_allocation(data)
            if choice == "theirs":
                self.reload()
                self.show_message("Your changes to the allocation were dropped; this is what is stored now.")
                return True
            return False
        self._report_allocation(saved, "Allocation saved.")
        return True

    def _report_allocation(self, saved: svc.AllocationSaved, done: str) -> None:
        if saved.warnings:
            self.show_message("Saved, but: " + " ".join(saved.warnings), "warning")
        else:
            self.show_message(done, "info")

    def delete_allocation(self) -> None:
        """Delete the selected allocation (undoable)."""
        line = self.selected_allocation()
        if line is None:
            return
        self._delete_line(f"Delete allocation to {line.project_code}", "allocation", svc.delete_allocation,
                          svc.restore_allocation, line,
                          f"Deleted the allocation to {line.project_code} "
                          f"({describe_period(line.start_date, line.end_date)}).")

    def _delete_line(self, text: str, entity: str, delete, restore,
                     line: svc.AllocationLine | svc.AbsenceLine, done: str) -> None:
        try:
            undoable_delete(self.ctx, text, entity, delete, restore, line.id, line.version)
        except ServiceError as exc:
            self.reload()
            self.show_message(f"Not deleted: {exc}", "warning")
            return
        self.show_message(done, "info")

    # -- absences -------------------------------------------------------------------------------
    def add_absence(self) -> None:
        """Open the absence dialog for this person."""
        if self._person_id is None:
            return
        dialog = AbsenceDialog(self._person_id, self._loaded_name, self._submit_new_absence,
                               today=self._today(), parent=self)
        dialog.exec()

    def _submit_new_absence(self, data: svc.AbsenceInput) -> bool:
        undoable_create(
            self.ctx, f"Add absence of {self._loaded_name}", "absence",
            lambda session: svc.create_absence(session, data),
            lambda session, row_id: svc.delete_absence(session, row_id), svc.restore_absence,
        )
        self.show_message(f"Absence recorded ({describe_period(data.start_date, data.end_date)}).", "info")
        return True

    def delete_absence(self) -> None:
        """Delete the selected absence (undoable)."""
        absence_id = self._selected_id(self.ui.absences_view, self.absences_model)
        line = next((a for a in self._absences if a.id == absence_id), None)
        if line is None:
            return
        self._delete_line(f"Delete absence of {self._loaded_name}", "absence", svc.delete_absence,
                          svc.restore_absence, line,
                          f"Deleted the absence {describe_period(line.start_date, line.end_date)}.")
