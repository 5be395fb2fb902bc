"""File > Settings: the office's settings, validated as you type and saved in one audited, undoable transaction.

The rules are the service's (``services.settings.validate_settings``), so what the dialog shows
inline is exactly what a save would refuse. A save that meets someone else's newer save opens
the conflict dialog instead of overwriting it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)
from sqlalchemy.exc import OperationalError

from ...model.enums import Cadence, DateOrder, PmoType
from ...model.settings import OfficeSettings
from ...services.errors import ConflictError, FieldError, ValidationError
from ...services.settings import (
    COMMON_CURRENCIES,
    FIELD_LABELS,
    SettingsValues,
    StoredSettings,
    read_settings,
    validate_settings,
)
from ..context import AppContext
from ..forms.ui_settings_dialog import Ui_SettingsDialog
from . import office_commands
from .conflict_dialog import ConflictChoice, ConflictDialog
from .error_dialog import show_error

PMO_TYPE_HINTS = {
    PmoType.SUPPORTIVE.value: "Advises and provides templates; project managers decide how to run their projects.",
    PmoType.CONTROLLING.value: "Sets the standards and checks them: status reports, gates and RAID logs are required.",
    PmoType.DIRECTIVE.value: "Runs the projects: a stage change needs an approved gate review.",
}


@dataclass(frozen=True, slots=True)
class _Binding:
    """How one setting is read from and written to its widget, and which group shows its errors."""

    widget: QWidget
    group: str
    get: Callable[[], Any]
    set: Callable[[Any], None]


def _combo_binding(combo: QComboBox, group: str) -> _Binding:
    def set_value(value: Any) -> None:
        combo.setCurrentIndex(max(combo.findData(value), 0))
    return _Binding(combo, group, combo.currentData, set_value)


def _spin_binding(spin: QSpinBox | QDoubleSpinBox, group: str) -> _Binding:
    return _Binding(spin, group, spin.value, spin.setValue)


def _line_binding(edit: QLineEdit, group: str) -> _Binding:
    return _Binding(edit, group, edit.text, lambda value: edit.setText(str(value)))


class SettingsDialog(QDialog):
    """Edits the office settings of ``ctx.db``; ``accept()`` only after a successful save."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_SettingsDialog()
        self.ui.setupUi(self)
        self._ctx = ctx
        self._stored: StoredSettings | None = None
        self._fill_choices()
        self._bindings = self._bind()
        self._error_labels: dict[str, QLabel] = {
            "office": self.ui.office_error_label,
            "rag": self.ui.rag_error_label,
            "risk": self.ui.risk_error_label,
        }
        self.save_button = self.ui.button_box.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setProperty("primary", True)
        self.save_button.style().polish(self.save_button)  # the property styles it (style.qss)
        self.ui.button_box.accepted.connect(self.save)
        self.ui.button_box.rejected.connect(self.reject)
        defaults = self.ui.button_box.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        defaults.setToolTip("Put back the values a new office starts with (nothing is saved until you press Save)")
        defaults.clicked.connect(self.restore_defaults)
        self.load()
        for binding in self._bindings.values():
            self._connect_change(binding.widget)
        self.ui.pmo_type_combo.currentIndexChanged.connect(self._update_pmo_hint)
        self.ui.office_name_edit.setFocus()

    # -- building ---------------------------------------------------------------------------
    def _fill_choices(self) -> None:
        ui = self.ui
        for pmo_type in PmoType:
            ui.pmo_type_combo.addItem(pmo_type.label, pmo_type.value)
        for cadence in Cadence:
            ui.cadence_combo.addItem(cadence.label, cadence.value)
        for month in range(1, 13):
            ui.fiscal_month_combo.addItem(calendar.month_name[month], month)
        for order in DateOrder:
            ui.date_order_combo.addItem(order.label, order.value)
        for code in COMMON_CURRENCIES:
            ui.currency_combo.addItem(code, code)
        ui.currency_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        ui.currency_combo.lineEdit().setValidator(
            QRegularExpressionValidator(QRegularExpression("[A-Za-z]{0,3}"), ui.currency_combo)
        )
        ui.currency_combo.lineEdit().setMaxLength(3)
        for spin in (ui.hours_per_day_spin, ui.rag_amber_spin, ui.rag_red_spin):
            spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)

    def _bind(self) -> dict[str, _Binding]:
        ui = self.ui
        currency_edit = ui.currency_combo.lineEdit()
        return {
            "office_name": _line_binding(ui.office_name_edit, "office"),
            "pmo_type": _combo_binding(ui.pmo_type_combo, "office"),
            "reporting_cadence": _combo_binding(ui.cadence_combo, "office"),
            "fiscal_year_start_month": _combo_binding(ui.fiscal_month_combo, "office"),
            "currency": _Binding(ui.currency_combo, "office", lambda: currency_edit.text().strip().upper(),
                                 lambda value: ui.currency_combo.setCurrentText(str(value))),
            "date_order": _combo_binding(ui.date_order_combo, "office"),
            "hours_per_day": _spin_binding(ui.hours_per_day_spin, "office"),
            "rag_amber_index": _spin_binding(ui.rag_amber_spin, "rag"),
            "rag_red_index": _spin_binding(ui.rag_red_spin, "rag"),
            "slip_amber_days": _spin_binding(ui.slip_amber_spin, "rag"),
            "slip_red_days": _spin_binding(ui.slip_red_spin, "rag"),
            "risk_amber_score": _spin_binding(ui.risk_amber_spin, "risk"),
            "risk_red_score": _spin_binding(ui.risk_red_spin, "risk"),
            "escalate_risk_score": _spin_binding(ui.escalate_score_spin, "risk"),
            "escalate_issue_overdue_days": _spin_binding(ui.escalate_days_spin, "risk"),
        }

    def _connect_change(self, widget: QWidget) -> None:
        if isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(self._on_value_changed)
            if widget.isEditable():
                widget.editTextChanged.connect(self._on_value_changed)
        elif isinstance(widget, QSpinBox | QDoubleSpinBox):
            widget.valueChanged.connect(self._on_value_changed)
        elif isinstance(widget, QLineEdit):
            widget.textChanged.connect(self._on_value_changed)

    # -- values -----------------------------------------------------------------------------
    def load(self) -> None:
        """Show what is stored now (discarding any edits)."""
        self._stored = self._ctx.read(read_settings)
        self.set_values(self._stored.values)

    def set_values(self, values: SettingsValues) -> None:
        for name, value in values.as_dict().items():
            self._bindings[name].set(value)
        self._update_pmo_hint()
        self.validate()

    def values(self) -> SettingsValues:
        """The values as they are on screen."""
        return SettingsValues(**{name: binding.get() for name, binding in self._bindings.items()})

    def changes(self) -> dict[str, Any]:
        """The fields that differ from what was loaded."""
        assert self._stored is not None
        stored = self._stored.values.as_dict()
        return {k: v for k, v in self.values().as_dict().items() if stored[k] != v}

    def restore_defaults(self) -> None:
        self.set_values(SettingsValues.from_settings(OfficeSettings()))

    # -- validation -------------------------------------------------------------------------
    def _on_value_changed(self, *_args: Any) -> None:
        self.validate()

    def validate(self) -> list[FieldError]:
        """Show each rule the on-screen values break next to its group; Save only when none."""
        errors = validate_settings(self.values())
        self.show_errors(errors)
        return errors

    def show_errors(self, errors: list[FieldError]) -> None:
        messages: dict[str, list[str]] = {group: [] for group in self._error_labels}
        invalid = {e.field for e in errors}
        for error in errors:
            binding = self._bindings.get(error.field)
            messages[binding.group if binding else "office"].append(error.message)
        for group, label in self._error_labels.items():
            label.setText("\n".join(messages[group]))
            label.setVisible(bool(messages[group]))
        for name, binding in self._bindings.items():
            flag = name in invalid
            if bool(binding.widget.property("invalid")) != flag:
                binding.widget.setProperty("invalid", flag)
                binding.widget.setToolTip(FIELD_LABELS[name] + (" — needs correcting" if flag else ""))
                binding.widget.style().unpolish(binding.widget)
                binding.widget.style().polish(binding.widget)
        self.save_button.setEnabled(not errors)
        # Messages take room: grow rather than squash the fields.
        needed = self.sizeHint().height()
        if self.isVisible() and needed > self.height():
            self.resize(self.width(), needed)

    def error_text(self) -> str:
        """Every inline message currently shown (for tests and accessibility)."""
        return "\n".join(label.text() for label in self._error_labels.values() if label.text())

    def _update_pmo_hint(self, *_args: Any) -> None:
        self.ui.pmo_type_hint.setText(PMO_TYPE_HINTS.get(self.ui.pmo_type_combo.currentData(), ""))

    # -- saving -----------------------------------------------------------------------------
    def save(self) -> bool:
        """Save the changes; True (and the dialog closes) when stored, False when the user must act."""
        if self.validate():
            return False
        assert self._stored is not None
        changes = self.changes()
        if not changes:
            self.accept()
            return True
        version = self._stored.version
        while True:
            try:
                office_commands.save_settings(self._ctx, changes, version)
            except ValidationError as exc:
                self.show_errors(exc.errors)
                return False
            except ConflictError as conflict:
                choice = ConflictDialog.ask(conflict, FIELD_LABELS, parent=self)
                if choice is ConflictChoice.KEEP_MINE:
                    version = self._ctx.read(read_settings).version
                    continue
                if choice is ConflictChoice.TAKE_THEIRS:
                    self.load()
                return False
            except OperationalError as exc:  # locked or unreachable: say so, keep the edits on screen
                show_error(self, OSError(f"The settings could not be saved: the database is busy or "
                                         f"unreachable ({exc.orig}). Try again in a moment."))
                return False
            break
        self._ctx.reload_settings()
        self.accept()
        return True
