"""Record a period a person is away (leave, training, sickness), validated in place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDialog, QWidget

from ...services.errors import ValidationError
from ...services.resources import AbsenceInput
from ..forms.ui_person_absence_dialog import Ui_PersonAbsenceDialog
from .inline_errors import InlineErrors

#: Called with the values on Save: True closes the dialog, False keeps it open.
Submit = Callable[[AbsenceInput], bool]


class AbsenceDialog(QDialog):
    """First day, last day and a reason for one absence of ``person_id``."""

    def __init__(self, person_id: int, person_name: str, submit: Submit, today: dt.date | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_PersonAbsenceDialog()
        self.ui.setupUi(self)
        self._person_id = person_id
        self._submit = submit
        self.errors = InlineErrors({
            "start_date": (self.ui.end_date_error, self.ui.start_date_edit),
            "end_date": (self.ui.end_date_error, self.ui.end_date_edit),
        }, general=self.ui.general_error)
        self.ui.heading_label.setText(
            f"Time {person_name} is away. Allocations stay as they are; the timeline shows the clash."
        )
        start = today or dt.date.today()
        self.ui.start_date_edit.setDate(QDate(start))
        self.ui.end_date_edit.setDate(QDate(start))
        self.ui.start_date_edit.dateChanged.connect(self._on_start_date_edit_date_changed)
        self.ui.button_box.accepted.connect(self._on_button_box_accepted)
        self.ui.button_box.rejected.connect(self.reject)

    def value(self) -> AbsenceInput:
        """The absence as entered."""
        return AbsenceInput(
            person_id=self._person_id,
            start_date=self.ui.start_date_edit.date().toPython(),
            end_date=self.ui.end_date_edit.date().toPython(),
            reason=self.ui.reason_combo.currentText(),
        )

    def _on_start_date_edit_date_changed(self, date: QDate) -> None:
        if self.ui.end_date_edit.date() < date:
            self.ui.end_date_edit.setDate(date)

    def _on_button_box_accepted(self) -> None:
        self.errors.clear()
        try:
            done = self._submit(self.value())
        except ValidationError as exc:
            self.errors.show(exc)
            return
        if done:
            self.accept()
