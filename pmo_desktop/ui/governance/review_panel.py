"""The gate review editor: project, gate, decision, the project's criteria checklist and conditions.

The checklist is the gate's criteria for every methodology plus those for the chosen project's
methodology; the criteria box says whose checklist it shows.

Everything is saved through the governance service on the undo stack, so that undoing an
approval also puts the project back in the stage it came from.

Nothing is read when the panel is built: its first ``refresh_from_store()`` (the tab's first
refresh) fills the project and gate pickers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QTableWidgetItem,
    QToolButton,
    QWidget,
)
from sqlalchemy.orm import Session

from ...model.enums import Decision, Methodology
from ...services import governance as gov
from ...services.errors import ConflictError, NotFoundError, ServiceError, ValidationError
from ..context import AppContext
from ..forms.ui_gate_review_panel import Ui_GateReviewPanel
from ..undo import run_undoable
from .conflicts import Resolution, ask_conflict
from .review_table_model import OVERDUE_COLOUR
from .stage_change_dialog import StageChangeDialog

# Criteria table columns.
CRIT_NAME, CRIT_REQUIRED, CRIT_MET, CRIT_EVIDENCE = range(4)
# Conditions table columns.
COND_TEXT, COND_OWNER, COND_DUE, COND_MET = range(4)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
MET_ON_ROLE = Qt.ItemDataRole.UserRole + 2

# A condition due date at this minimum shows as "No date" (a QDateEdit cannot be empty).
NO_DATE = QDate(2000, 1, 1)
ROW_HEIGHT = 27
DEFAULT_CONDITION_DAYS = 30


def _qdate(value: dt.date | None) -> QDate:
    return QDate(value.year, value.month, value.day) if value else NO_DATE


def _pydate(value: QDate) -> dt.date | None:
    return None if value == NO_DATE or not value.isValid() else dt.date(value.year(), value.month(), value.day())


class EvidenceEditor(QWidget):
    """A line for the evidence (a note, a path or a link) and a "…" button to pick a file."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 1, 2, 1)
        layout.setSpacing(2)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Note, file or link")
        self.edit.setFrame(False)
        self.browse_button = QToolButton(self)
        self.browse_button.setText("…")
        self.browse_button.setToolTip("Choose a file as evidence")
        self.browse_button.setAutoRaise(True)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse_button)
        self.edit.textEdited.connect(lambda _text: self.changed.emit())
        self.browse_button.clicked.connect(self._on_browse_button_clicked)

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str | None) -> None:
        self.edit.setText(text or "")
        self.edit.setToolTip(text or "")
        self.edit.setCursorPosition(0)

    def _on_browse_button_clicked(self) -> None:
        current = self.edit.text().strip()
        start = str(Path(current).parent) if current and Path(current).parent.exists() else ""
        path, _filter = QFileDialog.getOpenFileName(self, "Choose the evidence file", start)
        if path:
            self.set_text(path)
            self.changed.emit()


@dataclass(frozen=True, slots=True)
class ReviewChoices:
    """What the editor's pickers offer: every project (with its stage) and every gate."""

    projects: tuple[gov.ProjectChoice, ...]
    gates: tuple[gov.GateInfo, ...]


def read_choices(session: Session) -> ReviewChoices:
    """The pickers' choices, read in one session (safe on a worker thread: no widgets)."""
    return ReviewChoices(tuple(gov.project_choices(session)), tuple(gov.gates(session)))


class GateReviewPanel(QWidget):
    """Create, edit and delete gate reviews; ``review_saved`` and ``review_deleted`` tell the tab."""

    review_saved = Signal(int)
    review_deleted = Signal(int)
    #: The review now in the editor (0 for a new one), so that the log can follow.
    review_shown = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_GateReviewPanel()
        self.ui.setupUi(self)
        self._ctx = ctx
        self._projects: dict[int, gov.ProjectChoice] = {}
        self._gates: dict[int, gov.GateInfo] = {}
        self._filled: dict[str, list[tuple[str, int, str | None]]] = {}  # what each picker holds, by its name
        self._saved: gov.ReviewSnapshot | None = None
        self._dirty = False
        self._loading = False
        self.stage_dialog: StageChangeDialog | None = None
        self._setup_widgets()
        self._connect()
        self.new_review()

    # -- state ---------------------------------------------------------------------------------
    @property
    def review_id(self) -> int | None:
        """The review shown, or None while a new one is being entered."""
        return self._saved.id if self._saved else None

    @property
    def is_dirty(self) -> bool:
        return self._dirty

    @property
    def project_id(self) -> int | None:
        return self.ui.project_combo.currentData()

    @property
    def gate(self) -> gov.GateInfo | None:
        """The chosen gate with the chosen project's checklist (the common criteria before a project is chosen)."""
        gate = self._gates.get(self.ui.gate_combo.currentData())
        return gate.checklist(self._methodology) if gate is not None else None

    @property
    def _methodology(self) -> str | None:
        project = self._projects.get(self.project_id) if self.project_id else None
        return project.methodology if project else None

    # -- setting up ----------------------------------------------------------------------------
    def _setup_widgets(self) -> None:
        ui = self.ui
        ui.project_combo.setPlaceholderText("Choose a project")
        ui.gate_combo.setPlaceholderText("Choose a gate")
        ui.decision_combo.setPlaceholderText("Choose a decision")
        for decision in Decision:
            ui.decision_combo.addItem(decision.label, decision.value)
        ui.date_edit.setMaximumDate(QDate.currentDate())

        header = ui.criteria_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CRIT_NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CRIT_REQUIRED, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CRIT_MET, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CRIT_EVIDENCE, QHeaderView.ResizeMode.Stretch)
        ui.criteria_table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)

        header = ui.conditions_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COND_TEXT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COND_OWNER, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COND_DUE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COND_MET, QHeaderView.ResizeMode.ResizeToContents)
        ui.conditions_table.setColumnWidth(COND_OWNER, 104)
        ui.conditions_table.setColumnWidth(COND_DUE, 128)
        ui.conditions_table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        ui.conditions_table.setMinimumHeight(ROW_HEIGHT + 34)

        save = QShortcut(QKeySequence.StandardKey.Save, self)
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.activated.connect(self.save)

    def _connect(self) -> None:
        ui = self.ui
        ui.project_combo.currentIndexChanged.connect(self._on_project_combo_changed)
        ui.gate_combo.currentIndexChanged.connect(self._on_gate_combo_changed)
        ui.decision_combo.currentIndexChanged.connect(self._on_edited)
        ui.date_edit.dateChanged.connect(self._on_edited)
        for edit in (ui.decided_by_edit, ui.reviewers_edit, ui.notes_edit):
            edit.textEdited.connect(self._on_edited)
        ui.criteria_table.itemChanged.connect(self._on_edited)
        ui.conditions_table.itemChanged.connect(self._on_edited)
        ui.add_condition_button.clicked.connect(self._on_add_condition_button_clicked)
        ui.remove_condition_button.clicked.connect(self._on_remove_condition_button_clicked)
        ui.conditions_table.itemSelectionChanged.connect(self._update_buttons)
        ui.new_button.clicked.connect(self._on_new_button_clicked)
        ui.save_button.clicked.connect(self.save)
        ui.revert_button.clicked.connect(self.revert)
        ui.delete_button.clicked.connect(self.delete)
        ui.change_stage_button.clicked.connect(self.open_stage_dialog)

    # -- loading -------------------------------------------------------------------------------
    def reload_choices(self) -> None:
        """Re-read projects and gates (stages and versions move on), keeping the selections."""
        self.set_choices(self._ctx.read(read_choices))

    def set_choices(self, choices: ReviewChoices) -> None:
        """Offer ``choices`` in the pickers, keeping the selections (a picker whose list is unchanged is left)."""
        self._projects = {p.id: p for p in choices.projects}
        self._gates = {g.id: g for g in choices.gates}
        self._loading, was_loading = True, self._loading
        try:
            self._refill(self.ui.project_combo, [(p.label, p.id, None) for p in self._projects.values()])
            self._refill(self.ui.gate_combo, [(g.name, g.id, g.transition) for g in self._gates.values()])
        finally:
            self._loading = was_loading
        self._update_outcome()

    def _refill(self, combo, items: list[tuple[str, int, str | None]]) -> None:
        """Put ``items`` (text, data, tooltip) in ``combo``, keeping its selection; left alone if it holds them."""
        if self._filled.get(combo.objectName()) == items:
            return
        self._filled[combo.objectName()] = items
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for index, (text, data, tip) in enumerate(items):
            combo.addItem(text, data)
            if tip is not None:
                combo.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(combo.findData(current) if current is not None else -1)
        combo.blockSignals(False)

    def new_review(self, project_id: int | None = None) -> None:
        """Clear the editor for a new review (of ``project_id`` at its next gate when given)."""
        self._load(None, project_id)

    def show_review(self, review_id: int) -> None:
        """Show a stored review; a review deleted meanwhile leaves an empty editor."""
        try:
            snapshot = self._ctx.read(gov.load_review, review_id)
        except NotFoundError:
            self.new_review(self.project_id)
            self._show_message("That review no longer exists: it was deleted.")
            return
        self._load(snapshot, snapshot.values.project_id)

    def refresh_from_store(self, choices: ReviewChoices | None = None) -> None:
        """After a change elsewhere (undo, another tab): re-read (the choices given, or read now), unless mid-edit."""
        if choices is None:
            self.reload_choices()
        else:
            self.set_choices(choices)
        if self._dirty:
            return
        if self._saved is not None:
            self.show_review(self._saved.id)
        else:
            self.new_review(self.project_id)

    def _load(self, snapshot: gov.ReviewSnapshot | None, project_id: int | None) -> None:
        ui = self.ui
        self._loading = True
        try:
            self._saved = snapshot
            self._clear_errors()
            ui.project_combo.setCurrentIndex(ui.project_combo.findData(project_id) if project_id else -1)
            if snapshot is None:
                gate = self._ctx.read(gov.next_gate, project_id) if project_id in self._projects else None
                ui.gate_combo.setCurrentIndex(ui.gate_combo.findData(gate.id) if gate else -1)
                ui.date_edit.setDate(QDate.currentDate())
                ui.decision_combo.setCurrentIndex(-1)
                for edit in (ui.decided_by_edit, ui.reviewers_edit, ui.notes_edit):
                    edit.clear()
                self._fill_criteria(self.gate, {})
                self._fill_conditions(())
            else:
                values = snapshot.values
                ui.gate_combo.setCurrentIndex(ui.gate_combo.findData(values.gate_id))
                ui.date_edit.setDate(_qdate(values.review_date))
                ui.decision_combo.setCurrentIndex(ui.decision_combo.findData(values.decision))
                ui.decided_by_edit.setText(values.decided_by or "")
                ui.reviewers_edit.setText(values.reviewers or "")
                ui.notes_edit.setText(values.notes or "")
                self._fill_criteria(self.gate, {r.criterion_id: r for r in values.results})
                self._fill_conditions(values.conditions)
        finally:
            self._loading = False
        self._dirty = False
        self._update_title()
        self._update_outcome()
        self._update_buttons()
        self.review_shown.emit(snapshot.id if snapshot else 0)

    def _fill_criteria(self, gate: gov.GateInfo | None, results: dict[int, gov.CriterionResultInput]) -> None:
        table = self.ui.criteria_table
        table.blockSignals(True)
        table.setRowCount(0)
        criteria = gate.criteria if gate else ()
        table.setRowCount(len(criteria))
        hint = QBrush(self.palette().color(self.palette().ColorRole.PlaceholderText))
        for row, criterion in enumerate(criteria):
            result = results.get(criterion.id)
            name = QTableWidgetItem(criterion.name)
            name.setData(ID_ROLE, criterion.id)
            only = f" ({Methodology(criterion.methodology).label} projects only)" if criterion.methodology else ""
            name.setToolTip(criterion.name + only)
            table.setItem(row, CRIT_NAME, name)
            required = QTableWidgetItem("Required" if criterion.required else "Optional")
            if not criterion.required:
                required.setForeground(hint)
            table.setItem(row, CRIT_REQUIRED, required)
            met = QTableWidgetItem()
            met.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            met.setCheckState(Qt.CheckState.Checked if result and result.met else Qt.CheckState.Unchecked)
            table.setItem(row, CRIT_MET, met)
            evidence = EvidenceEditor(table)
            evidence.set_text(result.evidence if result else None)
            evidence.changed.connect(self._on_edited)
            table.setCellWidget(row, CRIT_EVIDENCE, evidence)
        table.blockSignals(False)
        self.ui.criteria_group.setTitle(self._checklist_title())
        visible_rows = max(3, min(len(criteria), 7))
        table.setMinimumHeight(table.horizontalHeader().sizeHint().height() + visible_rows * ROW_HEIGHT + 4)
        self._update_criteria_summary()

    def _checklist_title(self) -> str:
        project = self._projects.get(self.project_id) if self.project_id else None
        if project is None or self.gate is None:
            return "Criteria"
        if project.methodology is None:
            return f"Criteria — common checklist ({project.code} has no methodology)"
        return f"Criteria — {Methodology(project.methodology).label} checklist for {project.code}"

    def _fill_conditions(self, conditions) -> None:
        table = self.ui.conditions_table
        table.blockSignals(True)
        table.setRowCount(0)
        for condition in conditions:
            self._append_condition(condition)
        table.blockSignals(False)

    def _append_condition(self, condition: gov.ConditionInput) -> int:
        table = self.ui.conditions_table
        row = table.rowCount()
        table.insertRow(row)
        text = QTableWidgetItem(condition.text)
        text.setData(ID_ROLE, condition.id)
        text.setToolTip(condition.text)
        table.setItem(row, COND_TEXT, text)
        table.setItem(row, COND_OWNER, QTableWidgetItem(condition.owner or ""))
        due = QDateEdit(table)
        due.setCalendarPopup(True)
        due.setDisplayFormat("d MMM yyyy")
        due.setMinimumDate(NO_DATE)
        due.setSpecialValueText("No date")
        due.setFrame(False)
        due.setDate(_qdate(condition.due))
        if condition.due and condition.due < dt.date.today() and condition.met_on is None:
            due.setStyleSheet(f"color: {OVERDUE_COLOUR};")
            due.setToolTip("Overdue: past its due date and not yet met")
        due.dateChanged.connect(self._on_edited)
        table.setCellWidget(row, COND_DUE, due)
        met = QTableWidgetItem()
        met.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        met.setCheckState(Qt.CheckState.Checked if condition.met_on else Qt.CheckState.Unchecked)
        met.setData(MET_ON_ROLE, condition.met_on)
        if condition.met_on:
            met.setToolTip(f"Met on {condition.met_on:%d %b %Y}")
        table.setItem(row, COND_MET, met)
        return row

    # -- reading the editor --------------------------------------------------------------------
    def current_values(self) -> gov.ReviewValues:
        """The review as entered (not validated: the service does that)."""
        ui = self.ui
        return gov.ReviewValues(
            project_id=ui.project_combo.currentData(),
            gate_id=ui.gate_combo.currentData(),
            review_date=_pydate(ui.date_edit.date()),
            decision=ui.decision_combo.currentData(),
            decided_by=ui.decided_by_edit.text(),
            reviewers=ui.reviewers_edit.text(),
            notes=ui.notes_edit.text(),
            results=self._results(),
            conditions=self._conditions(),
        )

    def _results(self) -> tuple[gov.CriterionResultInput, ...]:
        table = self.ui.criteria_table
        results = []
        for row in range(table.rowCount()):
            evidence = table.cellWidget(row, CRIT_EVIDENCE)
            results.append(gov.CriterionResultInput(
                criterion_id=table.item(row, CRIT_NAME).data(ID_ROLE),
                met=table.item(row, CRIT_MET).checkState() == Qt.CheckState.Checked,
                evidence=evidence.text() if isinstance(evidence, EvidenceEditor) else None,
            ))
        return tuple(results)

    def _conditions(self) -> tuple[gov.ConditionInput, ...]:
        table = self.ui.conditions_table
        conditions = []
        for row in range(table.rowCount()):
            text = table.item(row, COND_TEXT)
            owner = table.item(row, COND_OWNER)
            met = table.item(row, COND_MET)
            due = table.cellWidget(row, COND_DUE)
            met_on = None
            if met.checkState() == Qt.CheckState.Checked:
                met_on = met.data(MET_ON_ROLE) or dt.date.today()
            conditions.append(gov.ConditionInput(
                text=text.text() if text else "",
                owner=owner.text() if owner else None,
                due=_pydate(due.date()) if isinstance(due, QDateEdit) else None,
                met_on=met_on,
                id=text.data(ID_ROLE) if text else None,
            ))
        return tuple(conditions)

    # -- editing -------------------------------------------------------------------------------
    def set_criterion_met(self, name: str, met: bool, evidence: str | None = None) -> None:
        """Tick (or untick) a criterion by name, optionally with evidence (keyboard-free entry, tests)."""
        table = self.ui.criteria_table
        for row in range(table.rowCount()):
            if table.item(row, CRIT_NAME).text() == name:
                table.item(row, CRIT_MET).setCheckState(Qt.CheckState.Checked if met else Qt.CheckState.Unchecked)
                if evidence is not None:
                    editor = table.cellWidget(row, CRIT_EVIDENCE)
                    editor.set_text(evidence)
                    editor.changed.emit()
                return
        raise KeyError(f"{name!r} is not a criterion of the chosen gate")

    def add_condition(self, text: str = "", owner: str = "", due: dt.date | None = None) -> int:
        """Append a condition row (due in 30 days unless given) and start editing its text."""
        due = due or dt.date.today() + dt.timedelta(days=DEFAULT_CONDITION_DAYS)
        table = self.ui.conditions_table
        table.blockSignals(True)
        row = self._append_condition(gov.ConditionInput(text, owner or None, due))
        table.blockSignals(False)
        table.setCurrentCell(row, COND_TEXT)
        if not text:
            table.editItem(table.item(row, COND_TEXT))
        self._on_edited()
        return row

    def _on_new_button_clicked(self) -> None:
        if self.confirm_discard():
            self.new_review(self.project_id)

    def _on_add_condition_button_clicked(self) -> None:
        self.add_condition()

    def _on_remove_condition_button_clicked(self) -> None:
        table = self.ui.conditions_table
        row = table.currentRow()
        if row >= 0:
            table.removeRow(row)
            self._on_edited()

    def _on_project_combo_changed(self, _index: int) -> None:
        if self._loading:
            return
        if self._saved is None:  # a new review starts at the gate out of the project's stage
            gate = self._ctx.read(gov.next_gate, self.project_id) if self.project_id else None
            if gate is not None:
                self.ui.gate_combo.setCurrentIndex(self.ui.gate_combo.findData(gate.id))
        # Another project may follow another methodology: its checklist at the gate differs.
        self._fill_criteria(self.gate, {r.criterion_id: r for r in self._results()})
        self._on_edited()

    def _on_gate_combo_changed(self, _index: int) -> None:
        if self._loading:
            return
        kept = {r.criterion_id: r for r in self._results()}
        self._fill_criteria(self.gate, kept)
        self._on_edited()

    def _on_edited(self, *_args) -> None:
        if self._loading:
            return
        self._dirty = True
        self._update_title()
        self._update_criteria_summary()
        self._update_outcome()
        self._update_buttons()

    # -- live feedback -------------------------------------------------------------------------
    def _update_title(self) -> None:
        if self._saved is None:
            title = "New gate review"
        else:
            project = self._projects.get(self._saved.values.project_id)
            gate = self._gates.get(self._saved.values.gate_id)
            title = f"{project.code if project else 'Review'} at {gate.name if gate else 'gate'}"
        self.ui.title_label.setText(title + ("  •  not saved" if self._dirty else ""))
        saved = self._saved
        if saved is not None and saved.stage_change is not None:
            move = saved.stage_change
            subtitle = (f"This review moved the project from {gov.stage_label(move.from_stage)} to "
                        f"{gov.stage_label(move.to_stage)} on {move.changed_on:%d %b %Y}.")
        elif saved is not None:
            subtitle = "This review did not move the project's stage."
        else:
            subtitle = ""  # the outcome line under the form says what saving will do
        self._set_label(self.ui.subtitle_label, subtitle, "hint")

    def _update_criteria_summary(self) -> None:
        gate = self.gate
        if gate is None:
            self.ui.criteria_summary_label.setText("Choose a gate to see its criteria.")
            return
        results = {r.criterion_id: r.met for r in self._results()}
        met = sum(results.values())
        unmet = [c.name for c in gate.criteria if c.required and not results.get(c.id)]
        text = f"{met} of {len(gate.criteria)} met. "
        text += f"Required not met: {', '.join(unmet)}." if unmet else "Every required criterion is met."
        self.ui.criteria_summary_label.setText(text)

    def _update_outcome(self) -> None:
        """Say what saving will do, or what stands in the way, before the user presses Save."""
        project = self._projects.get(self.project_id) if self.project_id else None
        gate = self.gate
        decision = self.ui.decision_combo.currentData()
        text, problem = "", False
        if project is not None and gate is not None:
            results = {r.criterion_id: r.met for r in self._results()}
            unmet = [c.name for c in gate.criteria if c.required and not results.get(c.id)]
            conditions = [c for c in self._conditions() if c.text.strip()]
            at_gate = project.stage == gate.from_stage
            if decision == Decision.APPROVED.value and unmet:
                text, problem = ("Approval needs every required criterion met: mark them met, or choose "
                                 "Approved with conditions and add a condition."), True
            elif decision == Decision.APPROVED_WITH_CONDITIONS.value and not conditions:
                text, problem = "Approved with conditions needs at least one condition below.", True
            elif self._saved is None and not at_gate:
                text = (f"{project.code} is at {gov.stage_label(project.stage)}: this is a re-review of "
                        f"{gate.name} and does not move the project.")
            elif self._saved is None and decision and Decision(decision).passes:
                text = (f"Saving moves {project.code} from {gov.stage_label(gate.from_stage)} "
                        f"to {gov.stage_label(gate.to_stage)}.")
            elif self._saved is None:
                text = f"{project.code} is at {gov.stage_label(project.stage)}; the next gate is {gate.name}."
        self._set_label(self.ui.outcome_label, text, "error" if problem else "hint")

    def _update_buttons(self) -> None:
        ui = self.ui
        ui.save_button.setEnabled(self._dirty)
        ui.revert_button.setEnabled(self._dirty)
        ui.delete_button.setEnabled(self._saved is not None)
        ui.change_stage_button.setEnabled(self.project_id is not None)
        ui.remove_condition_button.setEnabled(ui.conditions_table.currentRow() >= 0)

    @staticmethod
    def _set_label(label, text: str, role: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))
        if label.property("role") != role:
            label.setProperty("role", role)
            label.style().unpolish(label)
            label.style().polish(label)

    # -- validation messages -------------------------------------------------------------------
    def _field_widgets(self) -> dict[str, QWidget]:
        ui = self.ui
        return {
            "project": ui.project_combo, "gate": ui.gate_combo, "review_date": ui.date_edit,
            "decision": ui.decision_combo, "criteria": ui.criteria_table, "conditions": ui.conditions_table,
        }

    def _show_errors(self, error: ValidationError) -> None:
        widgets = self._field_widgets()
        for field_error in error.errors:
            widget = widgets.get(field_error.field)
            if widget is not None:
                self._mark_invalid(widget, field_error.message)
        self._show_message("\n".join(e.message for e in error.errors))
        first = next((widgets[e.field] for e in error.errors if e.field in widgets), None)
        if first is not None:
            first.setFocus()

    def _show_message(self, text: str) -> None:
        self._set_label(self.ui.message_label, text, "error")

    @property
    def message(self) -> str:
        """The validation or failure message shown under the editor (empty when none)."""
        return self.ui.message_label.text()

    @staticmethod
    def _mark_invalid(widget: QWidget, message: str | None) -> None:
        widget.setProperty("invalid", message is not None)
        widget.setToolTip(message or "")
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def _clear_errors(self) -> None:
        for widget in self._field_widgets().values():
            if widget.property("invalid"):
                self._mark_invalid(widget, None)
        self._set_label(self.ui.message_label, "", "error")

    # -- saving --------------------------------------------------------------------------------
    def save(self) -> bool:
        """Validate and store the review (undoable); True when it was saved."""
        self._clear_errors()
        values = self.current_values()
        try:
            if self._saved is None:
                outcome = self._record(values)
            else:
                outcome = self._update(self._saved.id, values, self._saved.version)
        except ValidationError as exc:
            self._show_errors(exc)
            return False
        except ConflictError as exc:
            return self._resolve_conflict(exc, values)
        except ServiceError as exc:
            self._show_message(str(exc))
            return False
        self._after_save(outcome)
        return True

    def _record(self, values: gov.ReviewValues) -> gov.ReviewOutcome:
        project = self._projects.get(values.project_id) if values.project_id else None
        gate = self._gates.get(values.gate_id) if values.gate_id else None
        text = f"Record {gate.name if gate else 'gate'} review of {project.code if project else 'project'}"
        return run_undoable(
            self._ctx, text,
            lambda session: gov.record_review(session, values),
            lambda session, outcome: gov.restore_review(session, outcome.review_id, None),
            entity="*",
        )

    def _update(self, review_id: int, values: gov.ReviewValues, expected_version: int | None) -> gov.ReviewOutcome:
        # The version is checked on the first run only: a redo re-applies this user's own edit
        # straight after its undo, when the stored version is the one the undo wrote.
        pending_check = [expected_version]

        def do(session):
            return gov.update_review(session, review_id, values, pending_check.pop() if pending_check else None)

        return run_undoable(
            self._ctx, "Edit gate review", do,
            lambda session, outcome: gov.restore_review(session, outcome.review_id, outcome.before),
            entity="*",
        )

    def _after_save(self, outcome: gov.ReviewOutcome) -> None:
        self._dirty = False
        self.reload_choices()
        self.show_review(outcome.review_id)
        self.review_saved.emit(outcome.review_id)

    def _resolve_conflict(self, error: ConflictError, values: gov.ReviewValues) -> bool:
        choice = ask_conflict(self, error)
        try:
            if choice is Resolution.KEEP_MINE:
                saved_id = self._saved.id if self._saved else None
                outcome = (self._record(values) if error.deleted or saved_id is None
                           else self._update(saved_id, values, None))
                self._after_save(outcome)
                return True
        except ValidationError as exc:
            self._show_errors(exc)
            return False
        except ServiceError as exc:
            self._show_message(str(exc))
            return False
        if choice is Resolution.TAKE_THEIRS:
            self._dirty = False
            if error.deleted or self._saved is None:
                self.new_review(values.project_id)
            else:
                self.show_review(self._saved.id)
            return False
        self._show_message("Not saved: someone else changed this review. Save again to choose what to keep.")
        return False

    def confirm_discard(self) -> bool:
        """True when there are no unsaved edits, or the user agrees to drop them."""
        if not self._dirty:
            return True
        answer = QMessageBox.question(
            self, "Unsaved gate review", "This review has changes that are not saved. Discard them?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard

    def revert(self) -> None:
        """Discard the edits and show the review as stored (or an empty new review)."""
        self._dirty = False
        if self._saved is not None:
            self.show_review(self._saved.id)
        else:
            self.new_review(self.project_id)

    def delete(self) -> bool:
        """Delete the review shown (undoable); an approval's stage move is withdrawn with it."""
        if self._saved is None:
            return False
        review_id, project_id = self._saved.id, self._saved.values.project_id
        pending_check = [self._saved.version]

        def do(session):
            return gov.delete_review(session, review_id, pending_check.pop() if pending_check else None)

        try:
            run_undoable(self._ctx, "Delete gate review", do,
                         lambda session, snapshot: gov.restore_review(session, snapshot.id, snapshot), entity="*")
        except ConflictError:
            self._show_message("Not deleted: someone else changed this review since you opened it. "
                               "It now shows what is saved; delete again if it should still go.")
            self._dirty = False
            self.show_review(review_id)
            return False
        except ServiceError as exc:
            self._show_message(str(exc))
            return False
        self._dirty = False
        self.reload_choices()
        self.new_review(project_id)
        self.review_deleted.emit(review_id)
        return True

    # -- stage by hand -------------------------------------------------------------------------
    def open_stage_dialog(self) -> StageChangeDialog | None:
        """Open the "Change stage" dialog for the chosen project (window-modal, not blocking)."""
        self.reload_choices()
        project = self._projects.get(self.project_id) if self.project_id else None
        if project is None:
            return None
        dialog = StageChangeDialog(self._ctx, project, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.finished.connect(self._on_stage_dialog_finished)
        self.stage_dialog = dialog
        dialog.open()
        return dialog

    def _on_stage_dialog_finished(self, _result: int) -> None:
        dialog, self.stage_dialog = self.stage_dialog, None
        if dialog is None:
            return
        dialog.deleteLater()
        change = dialog.result_change
        if change is None:
            return
        self.reload_choices()
        if change.warning:
            self._set_label(self.ui.message_label, change.warning, "hint")
