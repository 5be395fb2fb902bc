"""The stage gates editor: the lifecycle's gates, and for each its criteria per methodology.

On the left, the gates in lifecycle order (each with the stage move it guards); on the right,
the selected gate's name and criteria: what a project must show, whether the gate can pass
without it, and whom it applies to (every methodology, or only waterfall, agile or hybrid
projects). Save stores the gate as a whole in one audited, version-checked transaction
(``services.gates.save_gate``), undoable with Edit > Undo: a bad row is marked and named, nothing
is written; a save that crosses someone else's goes through the shared conflict dialog. A criterion past reviews have
results for cannot be removed (its evidence would go with it): the editor offers to make it
optional instead.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...model.enums import Methodology
from ...services import gates as gt
from ...services.errors import ConflictError, ServiceError, ValidationError
from ..context import AppContext
from ..resources.inline_errors import set_invalid
from . import office_commands
from .conflict_dialog import resolve_conflict
from .error_dialog import show_error
from .record_editor import RecordEditorDialog, error_label

CRIT_NAME, CRIT_REQUIRED, CRIT_APPLIES, CRIT_REVIEWS = range(4)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
REVIEWED_ROLE = Qt.ItemDataRole.UserRole + 2
ERROR_BACKGROUND = QColor(192, 57, 43, 40)
CONFLICT_LABELS = {"name": "Gate name", "criteria": "Criteria"}
APPLIES_TO: tuple[tuple[str, str | None], ...] = (("All", None),) + tuple((m.label, m.value) for m in Methodology)


def _required_text(required: bool) -> str:
    return "Required" if required else "Optional"


class GatesDialog(RecordEditorDialog):
    """Edits the office's stage gates and their criteria, one gate at a time."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("gates_dialog")
        self.setWindowTitle("Stage Gates")
        self._ctx = ctx
        self.gates: list[gt.GateEntry] = []
        self.current: gt.GateEntry | None = None

        self.gate_list = QListWidget(self)
        self.gate_list.setObjectName("gate_list")
        self.gate_list.setFixedWidth(230)
        self.gate_list.setWordWrap(True)
        self.gate_list.setSpacing(3)
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("gate_name_edit")
        self.name_edit.setMaxLength(gt.GATE_NAME_LENGTH)
        self.transition_label = QLabel(self)
        self.transition_label.setObjectName("gate_transition_label")
        self.criteria_table = self._criteria_table()
        self.add_button = self._button("add_criterion_button", "Add criterion")
        self.remove_button = self._button("remove_criterion_button", "Remove")
        self.up_button = self._button("move_up_button", "Move up")
        self.down_button = self._button("move_down_button", "Move down")
        self.checklists_label = QLabel(self)
        self.checklists_label.setObjectName("gate_checklists_label")
        self.checklists_label.setWordWrap(True)
        self.error_label = error_label(self, "gates_errors")
        self._add_buttons()
        self._lay_out()

        self.gate_list.currentRowChanged.connect(self._on_gate_list_current_row_changed)
        self.name_edit.textEdited.connect(self._mark_dirty)
        self.criteria_table.itemChanged.connect(self._on_criteria_table_item_changed)
        self.criteria_table.itemSelectionChanged.connect(self._update_buttons)
        self.add_button.clicked.connect(lambda: self.add_criterion("", edit=True))
        self.remove_button.clicked.connect(self.remove_current)
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(1))
        self.save_button.clicked.connect(lambda: self.save())
        self.revert_button.clicked.connect(lambda: self.show_gate(self.current))
        self.buttons.rejected.connect(self.reject)
        self.reload()
        self.resize(940, 600)

    # -- building ------------------------------------------------------------------------------
    def _criteria_table(self) -> QTableWidget:
        table = QTableWidget(0, 4, self)
        table.setObjectName("criteria_table")
        table.setHorizontalHeaderLabels(("Criterion", "Required", "Applies to", "Reviews"))
        table.horizontalHeaderItem(CRIT_APPLIES).setToolTip(
            "All: on every project's checklist. A methodology: only on its projects' checklist")
        table.horizontalHeaderItem(CRIT_REVIEWS).setToolTip(
            "How many gate reviews recorded a result for the criterion (such a criterion is kept)")
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = table.horizontalHeader()
        header.setSectionResizeMode(CRIT_NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in ((CRIT_REQUIRED, 84), (CRIT_APPLIES, 120), (CRIT_REVIEWS, 70)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            table.setColumnWidth(column, width)
        table.verticalHeader().setDefaultSectionSize(28)
        return table

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("Moves a project:", self.transition_label)
        box = QGroupBox("Criteria (in the order the review checklist lists them)", self)
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(self.criteria_table, 1)
        row = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            row.addWidget(button)
        row.addStretch(1)
        box_layout.addLayout(row)
        box_layout.addWidget(self.checklists_label)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(box, 1)
        right.addWidget(self.error_label)
        columns = QHBoxLayout()
        columns.addWidget(self.gate_list)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.buttons)

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the gates again and show the gate shown before (the first one at the start)."""
        self.gates = self._ctx.read(gt.gate_list)
        keep = self.current.id if self.current else None
        self._loading = True
        self.gate_list.clear()
        for gate in self.gates:
            item = QListWidgetItem(f"{gate.name}\n{gate.transition}")
            item.setData(Qt.ItemDataRole.UserRole, gate.id)
            item.setToolTip(f"{gate.name}: {gate.transition}")
            self.gate_list.addItem(item)
        self._loading = False
        ids = [g.id for g in self.gates]
        if not ids:
            self.show_gate(None)
            return
        self.gate_list.setCurrentRow(ids.index(keep) if keep in ids else 0)
        self.show_gate(self.gates[self.gate_list.currentRow()])

    def show_gate(self, gate: gt.GateEntry | None) -> None:
        """Fill the editors with the stored ``gate``."""
        self.current = gate
        self._loading = True
        self.name_edit.setText(gate.name if gate else "")
        self._mark_name(None)
        self.transition_label.setText(gate.transition if gate else "")
        self.criteria_table.setRowCount(0)
        for criterion in gate.criteria if gate else ():
            self.add_criterion(criterion.name, criterion.required, criterion.methodology, criterion.id,
                               criterion.reviewed)
        self._loading = False
        self._set_dirty(False)
        self.error_label.hide()
        self._update_checklists()
        self._update_buttons()

    def add_criterion(self, name: str, required: bool = True, methodology: str | None = None,
                      criterion_id: int | None = None, reviewed: int = 0, *, edit: bool = False,
                      row: int | None = None) -> int:
        """Add a criterion row (at ``row``, else at the end; editing its name when ``edit``); returns the row."""
        table = self.criteria_table
        row = table.rowCount() if row is None else row
        table.blockSignals(True)
        table.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setData(ID_ROLE, criterion_id)
        name_item.setData(REVIEWED_ROLE, reviewed)
        table.setItem(row, CRIT_NAME, name_item)
        required_item = QTableWidgetItem(_required_text(required))
        required_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                               | Qt.ItemFlag.ItemIsSelectable)
        required_item.setCheckState(Qt.CheckState.Checked if required else Qt.CheckState.Unchecked)
        table.setItem(row, CRIT_REQUIRED, required_item)
        combo = QComboBox(table)
        for label, value in APPLIES_TO:
            combo.addItem(label, value)
        combo.setCurrentIndex(max(combo.findData(methodology), 0) if methodology else 0)
        combo.currentIndexChanged.connect(self._mark_dirty)
        table.setCellWidget(row, CRIT_APPLIES, combo)
        reviews = QTableWidgetItem(str(reviewed) if reviewed else "")
        reviews.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        reviews.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, CRIT_REVIEWS, reviews)
        table.blockSignals(False)
        self._mark_dirty()
        if edit:
            table.setCurrentCell(row, CRIT_NAME)
            table.editItem(name_item)
        return row

    # -- editing rows --------------------------------------------------------------------------
    def remove_current(self) -> bool:
        """Remove the selected criterion; one with review results is offered as optional instead."""
        row = self.criteria_table.currentRow()
        if row < 0:
            return False
        draft, reviewed = self._draft(row), self._reviewed(row)
        if reviewed:
            return self._offer_optional(row, draft, reviewed)
        self.criteria_table.removeRow(row)
        self._mark_dirty()
        return True

    def _offer_optional(self, row: int, draft: gt.CriterionDraft, reviewed: int) -> bool:
        reviews = f"{reviewed} gate review{'s' if reviewed != 1 else ''}"
        answer = QMessageBox.question(
            self, "Stage Gates",
            f"'{draft.name}' cannot be removed: {reviews} recorded a result for it, and removing it would delete "
            "that evidence.\n\nMake it optional instead? (You can also limit it to one methodology under "
            "Applies to.)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        if answer == QMessageBox.StandardButton.Yes:
            self.criteria_table.item(row, CRIT_REQUIRED).setCheckState(Qt.CheckState.Unchecked)
        return False

    def move_current(self, step: int) -> int:
        """Move the selected criterion ``step`` rows (-1 up, 1 down); returns its new row."""
        table = self.criteria_table
        row = table.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < table.rowCount():
            return row
        draft, reviewed = self._draft(row), self._reviewed(row)
        table.removeRow(row)
        self.add_criterion(draft.name, draft.required, draft.methodology, draft.id, reviewed, row=target)
        table.setCurrentCell(target, CRIT_NAME)
        return target

    # -- values --------------------------------------------------------------------------------
    def _draft(self, row: int) -> gt.CriterionDraft:
        table = self.criteria_table
        name = table.item(row, CRIT_NAME)
        return gt.CriterionDraft(name.text(), table.item(row, CRIT_REQUIRED).checkState() == Qt.CheckState.Checked,
                                 table.cellWidget(row, CRIT_APPLIES).currentData(), name.data(ID_ROLE))

    def _reviewed(self, row: int) -> int:
        return int(self.criteria_table.item(row, CRIT_NAME).data(REVIEWED_ROLE) or 0)

    def criteria(self) -> list[gt.CriterionDraft]:
        """The criteria as shown, top to bottom."""
        return [self._draft(row) for row in range(self.criteria_table.rowCount())]

    def _on_criteria_table_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == CRIT_REQUIRED:
            self.criteria_table.blockSignals(True)
            item.setText(_required_text(item.checkState() == Qt.CheckState.Checked))
            self.criteria_table.blockSignals(False)
        self._mark_dirty()

    def _mark_dirty(self, *_args) -> None:
        if not self._loading:
            self._set_dirty(True)
            self._update_checklists()
            self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.criteria_table.currentRow()
        count = self.criteria_table.rowCount()
        self.add_button.setEnabled(self.current is not None)
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)

    def _update_checklists(self) -> None:
        """Say how long each methodology's checklist at this gate is, as edited."""
        drafts = self.criteria()
        parts = []
        for methodology in Methodology:
            own = [d for d in drafts if d.methodology in (None, methodology.value)]
            required = sum(1 for d in own if d.required)
            parts.append(f"{methodology.label}: {len(own)} ({required} required)")
        self.checklists_label.setText("Checklist per methodology — " + " · ".join(parts) if drafts else "")

    # -- saving --------------------------------------------------------------------------------
    def save(self) -> bool:
        """Store the shown gate; True when saved (bad rows marked, conflicts resolved with the user)."""
        return self._save(self.current.version) if self.current is not None else False

    def _save(self, version: int | None) -> bool:
        """Save checked against ``version`` (None: over whatever is stored, the user kept theirs)."""
        gate = self.current
        assert gate is not None
        self._clear_errors()
        try:
            saved = office_commands.save_gate(self._ctx, gate, self.name_edit.text(), self.criteria(), version)
        except ValidationError as exc:
            self._show_errors(exc)
            return False
        except ConflictError as exc:
            return self._resolve_conflict(exc)
        except ServiceError as exc:
            show_error(self, exc)
            return False
        self.gates = [saved if g.id == saved.id else g for g in self.gates]
        item = self.gate_list.item(self.gate_list.currentRow())
        item.setText(f"{saved.name}\n{saved.transition}")
        self.show_gate(saved)
        return True

    def _resolve_conflict(self, error: ConflictError) -> bool:
        answer = resolve_conflict(self, error, CONFLICT_LABELS)
        if answer == "mine" and not error.deleted:
            return self._save(None)
        if answer == "theirs" or error.deleted:
            self.reload()
            return False
        self.error_label.setText("Not saved: someone else changed this gate. Save again to choose what to keep.")
        self.error_label.show()
        return False

    def _show_errors(self, error: ValidationError) -> None:
        for field_error in error.errors:
            if field_error.field == "name":
                self._mark_name(field_error.message)
            elif field_error.field.startswith("criterion:"):
                self._mark_row(int(field_error.field.split(":", 1)[1]) - 1, field_error.message)
        self.error_label.setText("\n".join(e.message for e in error.errors))
        self.error_label.show()

    def _mark_row(self, row: int, message: str) -> None:
        item = self.criteria_table.item(row, CRIT_NAME)
        if item is None:
            return
        self.criteria_table.blockSignals(True)
        item.setBackground(QBrush(ERROR_BACKGROUND))
        item.setToolTip(message)
        self.criteria_table.blockSignals(False)

    def _mark_name(self, message: str | None) -> None:
        set_invalid(self.name_edit, message is not None)
        self.name_edit.setToolTip(message or "")

    def row_error(self, row: int) -> str:
        """The message marked on criterion row ``row`` (empty when the row is fine)."""
        item = self.criteria_table.item(row, CRIT_NAME)
        return item.toolTip() if item is not None else ""

    def _clear_errors(self) -> None:
        self._mark_name(None)
        table = self.criteria_table
        table.blockSignals(True)
        for row in range(table.rowCount()):
            item = table.item(row, CRIT_NAME)
            item.setData(Qt.ItemDataRole.BackgroundRole, None)
            item.setToolTip("")
        table.blockSignals(False)
        self.error_label.hide()

    # -- leaving -------------------------------------------------------------------------------
    def _discard_question(self) -> str:
        return f"Discard your changes to {self.current.name if self.current else 'this gate'}?"

    def _on_gate_list_current_row_changed(self, row: int) -> None:
        if self._loading or row < 0:
            return
        gate = self.gates[row]
        if self.current is not None and gate.id == self.current.id:
            return
        current_row = [g.id for g in self.gates].index(self.current.id) if self.current else -1
        self._switch_record(self.gate_list, current_row, lambda: self.show_gate(gate))
