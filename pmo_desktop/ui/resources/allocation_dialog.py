"""Add or edit one allocation: project picker, dates and hours a week, validated in place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QCompleter, QWidget

from ...services.resources import AllocationInput, AllocationLine, ProjectChoice, format_day
from ..forms.ui_allocation_dialog import Ui_AllocationDialog
from .inline_errors import InlineErrors
from .submit_dialog import SubmitDialog

#: Called with the values on Save: True closes the dialog, False keeps it open; a
#: ValidationError is shown next to its fields.
Submit = Callable[[AllocationInput], bool]


class AllocationDialog(SubmitDialog):
    """A small form for one allocation of ``person_id``; ``initial`` fills it when editing."""

    def __init__(self, person_id: int, person_name: str, capacity: float, projects: Sequence[ProjectChoice],
                 submit: Submit, initial: AllocationLine | None = None, today: dt.date | None = None,
                 parent: QWidget | None = None):
        super().__init__(submit, parent)
        self.ui = Ui_AllocationDialog()
        self.ui.setupUi(self)
        self._person_id = person_id
        self.errors = InlineErrors({
            "project_id": (self.ui.project_error, self.ui.project_combo),
            "start_date": (self.ui.start_date_error, self.ui.start_date_edit),
            "end_date": (self.ui.end_date_error, self.ui.end_date_edit),
            "hours_per_week": (self.ui.hours_error, self.ui.hours_spin),
        }, general=self.ui.general_error)
        self._fill_projects(projects)
        today = today or dt.date.today()
        editing = initial is not None
        self.setWindowTitle("Edit allocation" if editing else "Add allocation")
        self.ui.heading_label.setText(
            f"{person_name} · capacity {capacity:g} h/week. Hours count Monday to Friday; a week "
            "the allocation only partly covers gets its share."
        )
        if initial is not None:
            self.set_project(initial.project_id)
            self.ui.start_date_edit.setDate(QDate(initial.start_date))
            self.ui.end_date_edit.setDate(QDate(initial.end_date))
            self.ui.hours_spin.setValue(initial.hours_per_week)
            self.ui.notes_edit.setText(initial.notes or "")
        else:
            self.ui.project_combo.setCurrentIndex(-1)
            monday = today - dt.timedelta(days=today.weekday())
            self.ui.start_date_edit.setDate(QDate(monday))
            self.ui.end_date_edit.setDate(QDate(monday + dt.timedelta(weeks=12, days=-3)))
        self._connect_buttons(self.ui.button_box)
        self._keep_in_order(self.ui.start_date_edit, self.ui.end_date_edit)

    def _fill_projects(self, projects: Sequence[ProjectChoice]) -> None:
        combo = self.ui.project_combo
        for project in projects:
            combo.addItem(project.label, project.id)
        completer = QCompleter(combo.model(), combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        combo.setCompleter(completer)
        combo.lineEdit().setPlaceholderText("Type a project code or name")

    def set_project(self, project_id: int) -> None:
        self.ui.project_combo.setCurrentIndex(self.ui.project_combo.findData(project_id))

    def project_id(self) -> int | None:
        """The chosen project; typed text counts only when it names a project exactly."""
        combo = self.ui.project_combo
        index = combo.findText(combo.currentText().strip(), Qt.MatchFlag.MatchFixedString)
        return combo.itemData(index) if index >= 0 else None

    def value(self) -> AllocationInput:
        """The allocation as entered."""
        return AllocationInput(
            person_id=self._person_id,
            project_id=self.project_id(),
            start_date=self.ui.start_date_edit.date().toPython(),
            end_date=self.ui.end_date_edit.date().toPython(),
            hours_per_week=self.ui.hours_spin.value(),
            notes=self.ui.notes_edit.text(),
        )


def describe_period(start: dt.date, end: dt.date) -> str:
    """"12 Jan 2026 – 30 Jan 2026" for headings and confirmations."""
    return f"{format_day(start)} – {format_day(end)}"
