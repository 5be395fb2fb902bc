"""Add or edit one milestone: name, baseline, forecast and actual dates, status.

The dialog saves through a function it is given, so that a validation message appears under its
field and the dialog stays open until the milestone is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QWidget

from ...model.enums import MilestoneStatus
from ...services import portfolio as svc
from ...services.errors import ConflictError, ServiceError, ValidationError
from ..dialogs.error_dialog import show_error
from ..forms.ui_milestone_dialog import Ui_MilestoneDialog

Saver = Callable[[dict[str, Any]], None]
ConflictHandler = Callable[[ConflictError, dict[str, Any]], bool]


class MilestoneDialog(QDialog):
    """Edits ``existing`` (or a new milestone when None); Save calls the saver given."""

    def __init__(self, parent: QWidget | None = None, existing: svc.MilestoneDetails | None = None):
        super().__init__(parent)
        self.ui = Ui_MilestoneDialog()
        self.ui.setupUi(self)
        self.setWindowTitle("Edit milestone" if existing else "Add milestone")
        self._saver: Saver | None = None
        self._on_conflict: ConflictHandler | None = None
        for status in MilestoneStatus:
            self.ui.status_combo.addItem(status.label, status.value)
        self._editors = {"name": self.ui.name_edit, "baseline_date": self.ui.baseline_date_date,
                         "forecast_date": self.ui.forecast_date_date, "actual_date": self.ui.actual_date_date,
                         "status": self.ui.status_combo}
        self._errors = {key: getattr(self.ui, f"{key}_error") for key in self._editors}
        for label in self._errors.values():
            palette = label.palette()
            palette.setColor(QPalette.ColorRole.WindowText, QColor("#c0392b"))
            label.setPalette(palette)
        if existing is not None:
            self.set_values(svc.milestone_values(existing))
        self.ui.button_box.accepted.connect(self._on_button_box_accepted)
        self.ui.button_box.rejected.connect(self.reject)
        self.ui.button_box.button(QDialogButtonBox.StandardButton.Save).setDefault(True)
        self.ui.name_edit.setFocus()

    def set_saver(self, saver: Saver, on_conflict: ConflictHandler) -> None:
        """``saver(values)`` stores the milestone; ``on_conflict`` settles a ConflictError it raises."""
        self._saver = saver
        self._on_conflict = on_conflict

    def values(self) -> dict[str, Any]:
        """The fields as entered, keyed like ``MILESTONE_FIELDS``."""
        ui = self.ui
        return {
            "name": ui.name_edit.text().strip() or None,
            "baseline_date": ui.baseline_date_date.value(),
            "forecast_date": ui.forecast_date_date.value(),
            "actual_date": ui.actual_date_date.value(),
            "status": ui.status_combo.currentData(),
        }

    def set_values(self, values: dict[str, Any]) -> None:
        ui = self.ui
        ui.name_edit.setText(values.get("name") or "")
        ui.baseline_date_date.set_value(values.get("baseline_date"))
        ui.forecast_date_date.set_value(values.get("forecast_date"))
        ui.actual_date_date.set_value(values.get("actual_date"))
        ui.status_combo.setCurrentIndex(max(ui.status_combo.findData(values.get("status")), 0))

    def show_errors(self, error: ValidationError) -> None:
        """Each message in red under its field."""
        for key, label in self._errors.items():
            message = error.for_field(key)
            label.setText(message or "")
            label.setVisible(bool(message))

    def _on_button_box_accepted(self) -> None:
        values = self.values()
        if self._saver is None:
            self.accept()
            return
        try:
            self._saver(values)
        except ValidationError as exc:
            self.show_errors(exc)
            return
        except ConflictError as exc:
            if self._on_conflict is not None and self._on_conflict(exc, values):
                self.accept()
            return
        except ServiceError as exc:
            show_error(self, exc)
            return
        self.accept()
