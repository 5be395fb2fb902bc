"""Record a period a person is away (leave, training, sickness), validated in place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QWidget

from ...services.resources import AbsenceInput
from ..forms.ui_person_absence_dialog import Ui_PersonAbsenceDialog
from .inline_errors import InlineErrors
from .submit_dialog import SubmitDialog

#: Called with the values on Save: True closes the dialog, False keeps it open.
Submit = Callable[[AbsenceInput], bool]


class AbsenceDialog(SubmitDialog):
    """First day, last day and a reason for one absence of ``person_id``."""

    def __init__(self, person_id: int, person_name: str, submit: Submit, today: dt.date | None = None,
                 parent: QWidget | None = None):
        super().__init__(submit, parent)
        self.ui = Ui_PersonAbsenceDialog()
        self.ui.setupUi(self)
        self._person_id = person_id
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
        self._keep_in_order(self.ui.start_date_edit, self.ui.end_date_edit)
        self._connect_buttons(self.ui.button_box)

    def value(self) -> AbsenceInput:
        """The absence as entered."""
        return AbsenceInput(
            person_id=self._person_id,
            start_date=self.ui.start_date_edit.date().toPython(),
            end_date=self.ui.end_date_edit.date().toPython(),
            reason=self.ui.reason_combo.currentText(),
        )
