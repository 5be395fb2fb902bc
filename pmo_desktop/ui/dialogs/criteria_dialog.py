"""The strategic criteria editor: the criteria projects are scored on, and their weights.

A table lists every criterion with its weight and its share of the total weight; the fields
under it edit the selected one. Add, Save and Delete each run at once as an undoable command
(Edit > Undo), through ``services.scoring``: audited, version-checked, with validation messages
naming the field. Deleting a criterion deletes the scores given on it (undo brings them back).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...services import scoring
from ...services.errors import ConflictError, ServiceError, ValidationError
from ..context import AppContext
from ..portfolio import scoring_commands
from .error_dialog import show_error

_REFRESH_ON = frozenset({"strategic_criterion", "*"})


class CriteriaDialog(QDialog):
    """Add, edit and delete strategic criteria."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("criteria_dialog")
        self.setWindowTitle("Strategic criteria")
        self.ctx = ctx
        self._criteria: list[scoring.CriterionDetails] = []
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("criteria_table")
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(200)
        self.weight_spin = QDoubleSpinBox(self)
        self.weight_spin.setRange(0, 1000)
        self.weight_spin.setDecimals(2)
        self.weight_spin.setSingleStep(0.05)
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setMaximumHeight(70)
        self.error_label = QLabel(self)
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        self.add_button = QPushButton("Add…", self)
        self.delete_button = QPushButton("Delete…", self)
        self.save_button = QPushButton("Save changes", self)
        self._build()
        self.ctx.data_changed.connect(self._on_data_changed)
        self.resize(720, 520)
        self.refresh()

    def _build(self) -> None:
        table = self.table
        table.setHorizontalHeaderLabels(["Criterion", "Weight", "Share", "Description"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        for i, width in enumerate((170, 65, 60)):
            header.resizeSection(i, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        table.currentCellChanged.connect(lambda *_: self._show_selected())
        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("Weight:", self.weight_spin)
        form.addRow("Description:", self.description_edit)
        form.addRow("", self.error_label)
        hint = QLabel("A project's weighted score is the sum of score × weight over the sum of every weight, "
                      "so only the weights' proportions matter. Changes are saved at once and can be undone "
                      "with Edit > Undo.", self)
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        layout.addWidget(close)
        self.add_button.clicked.connect(self.add_criterion)
        self.delete_button.clicked.connect(self.delete_selected)
        self.save_button.clicked.connect(self.save_selected)

    def refresh(self, select_id: int | None = None) -> None:
        """Read the criteria again, keeping (or moving to) a selection."""
        wanted = select_id if select_id is not None else (self.selected().id if self.selected() else None)
        self._criteria = self.ctx.read(scoring.criteria)
        total = sum(c.weight for c in self._criteria)
        table = self.table
        table.blockSignals(True)
        try:
            table.setRowCount(len(self._criteria))
            for row, c in enumerate(self._criteria):
                share = f"{c.weight / total * 100:.0f}%" if total else "–"
                for col, text in enumerate((c.name, f"{c.weight:g}", share, c.description or "")):
                    item = QTableWidgetItem(text)
                    if col in (1, 2):
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(row, col, item)
        finally:
            table.blockSignals(False)
        ids = [c.id for c in self._criteria]
        row = ids.index(wanted) if wanted in ids else (0 if ids else -1)
        table.setCurrentCell(row, 0)
        self._show_selected()

    def selected(self) -> scoring.CriterionDetails | None:
        row = self.table.currentRow()
        return self._criteria[row] if 0 <= row < len(self._criteria) else None

    def _show_selected(self) -> None:
        criterion = self.selected()
        self.error_label.clear()
        for widget in (self.name_edit, self.weight_spin, self.description_edit, self.save_button,
                       self.delete_button):
            widget.setEnabled(criterion is not None)
        self.name_edit.setText(criterion.name if criterion else "")
        self.weight_spin.setValue(criterion.weight if criterion else 0)
        self.description_edit.setPlainText(criterion.description or "" if criterion else "")

    def _show_validation(self, error: ValidationError) -> None:
        self.error_label.setText("\n".join(e.message for e in error.errors))

    def save_selected(self) -> bool:
        """Save the fields into the selected criterion (undoable)."""
        criterion = self.selected()
        if criterion is None:
            return False
        values = {"name": self.name_edit.text(), "weight": self.weight_spin.value(),
                  "description": self.description_edit.toPlainText()}
        stored = scoring_commands.scoring_values(values)
        changes = {k: v for k, v in values.items() if getattr(criterion, k) != stored[k]}
        if not changes:
            return True
        try:
            scoring_commands.update_criterion(self.ctx, criterion.id, changes, criterion.version)
        except ValidationError as exc:
            self._show_validation(exc)
            return False
        except ConflictError:
            QMessageBox.information(self, "Criterion changed", "Someone else changed this criterion after you "
                                    "opened it. Its stored values are shown now; edit it again if needed.")
            self.refresh(criterion.id)
            return False
        except ServiceError as exc:
            show_error(self, exc)
            return False
        self.refresh(criterion.id)
        return True

    def add_criterion(self, name: str | None = None) -> int | None:
        """Add a criterion of weight 1 (asks its name unless given)."""
        if not name:
            name, ok = QInputDialog.getText(self, "New criterion", "Name of the new criterion:")
            if not ok:
                return None
        try:
            criterion_id = scoring_commands.create_criterion(self.ctx, {"name": name, "weight": 1.0})
        except ValidationError as exc:
            self._show_validation(exc)
            return None
        self.refresh(criterion_id)
        return criterion_id

    def delete_selected(self) -> bool:
        """Ask, then delete the selected criterion and the scores given on it (undoable)."""
        criterion = self.selected()
        if criterion is None:
            return False
        scores = self.ctx.read(scoring.scores_on, criterion.id)
        extra = f" and the {scores} score(s) given on it" if scores else ""
        answer = QMessageBox.question(
            self, "Delete criterion", f"Delete the criterion “{criterion.name}”{extra}? You can undo this.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            scoring_commands.delete_criterion(self.ctx, criterion.id, criterion.version, criterion.name)
        except ServiceError as exc:
            show_error(self, exc)
            return False
        self.refresh()
        return True

    def _on_data_changed(self, entity: str) -> None:
        # Undo and redo from the main window land here while the dialog is open.
        if entity in _REFRESH_ON:
            self.refresh()
