"""The project detail panel: edit one project, its milestones, and see its latest status reports.

Above the tabs, a compact grid shows the project's earned-value KPIs as of ``as_of`` (today
unless set), with the RAG derived from them beside the reported one.

The Strategic score tab has a score per criterion (0-5 in half steps, or not scored), the
weighted score and the rank among proposals or active projects. A score is saved as soon as it
changes, each change its own undoable command, as milestones are.

The form is ``ui/project_panel.ui``. Field edits are saved together with Save (or Ctrl+S) as one
undoable command; milestone edits are saved at once, each undoable on its own. Validation
errors appear in red under the fields they concern; a save that finds the project changed by
someone else asks which version to keep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QKeySequence, QPalette, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QTreeWidgetItem,
    QWidget,
)

from ...analytics.portfolio import ProjectKpis, Thresholds, project_kpis
from ...model.enums import Methodology, MilestoneStatus, Rag, Stage
from ...services import portfolio as svc
from ...services import scoring
from ...services.errors import ConflictError, NotFoundError, ServiceError, ValidationError
from ..context import AppContext
from ..dialogs.conflict_dialog import ConflictAnswer
from ..dialogs.conflict_dialog import resolve_conflict as ask_user
from ..dialogs.error_dialog import show_error
from ..forms.ui_project_panel import Ui_ProjectPanel
from ..models.row_table_model import Column, Kind, RowTableModel
from ..theme import RAG_COLOURS, RAG_LABELS, rag_text_colour
from . import commands
from .editors import MoneySpinBox, OptionalDateEdit, OptionalSpinBox
from .kpi_grid import ProjectKpiGrid
from .milestone_dialog import MilestoneDialog

ERROR_COLOUR = "#c0392b"
STAGE_LABELS = {s.value: s.label for s in Stage}
METHODOLOGY_LABELS = {m.value: m.label for m in Methodology}
MILESTONE_STATUS_LABELS = {s.value: s.label for s in MilestoneStatus}
FIELD_LABELS = {key: rule.label for key, rule in svc.PROJECT_RULES.items()}

_MONEY_FIELDS = ("budget", "actual_cost", "forecast_cost", "benefits")
_RAG_FIELDS = ("rag", "schedule_rag", "cost_rag", "scope_rag", "resource_rag")

MILESTONE_COLUMNS = (
    Column("name", "Milestone", width=190),
    Column("baseline_date", "Baseline", Kind.DATE, width=95),
    Column("forecast_date", "Forecast", Kind.DATE, width=95),
    Column("actual_date", "Actual", Kind.DATE, width=95),
    Column("status", "Status", width=80, labels=MILESTONE_STATUS_LABELS),
)


def resolve_conflict(parent: QWidget, error: ConflictError, formatter: Callable[[str, Any], str]) -> ConflictAnswer:
    """Ask which version to keep: "mine" (save over theirs), "theirs" (reload), or None (decide later)."""
    if error.entity == "milestone":
        labels = {key: rule.label for key, rule in svc.MILESTONE_RULES.items()}
    else:
        labels = FIELD_LABELS
    return ask_user(parent, error, labels, formatter)


def display_value(key: str, value: Any, currency: str = "£") -> str:
    """A stored value (as a conflict carries it) in the words the panel shows."""
    if value is None or value == "":
        return "(empty)"
    if key in _MONEY_FIELDS:
        return f"{currency}{Decimal(str(value)):,.2f}"
    if key == "percent_complete":
        return f"{float(value) * 100:.0f}%"
    if key in _RAG_FIELDS:
        return RAG_LABELS.get(value, str(value))
    if key == "stage":
        return STAGE_LABELS.get(value, str(value))
    if key == "methodology":
        return METHODOLOGY_LABELS.get(value, str(value))
    if key == "status":
        return MILESTONE_STATUS_LABELS.get(value, str(value))
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return dt.date.fromisoformat(value).strftime("%d %b %Y")
        except ValueError:
            return value
    return str(value)


class ScoreSpinBox(QDoubleSpinBox):
    """A score from 0 to 5 in half steps, or "Not scored" (one step below 0)."""

    NOT_SCORED = -scoring.SCORE_STEP

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setRange(self.NOT_SCORED, scoring.MAX_SCORE)
        self.setSingleStep(scoring.SCORE_STEP)
        self.setDecimals(1)
        self.setSpecialValueText("Not scored")
        self.setKeyboardTracking(False)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)

    def score(self) -> float | None:
        return None if self.value() <= self.NOT_SCORED else self.value()

    def set_score(self, score: float | None) -> None:
        self.setValue(self.NOT_SCORED if score is None else score)


def score_summary(scoring_: scoring.ProjectScoring | None) -> str:
    """The weighted score and rank in words."""
    if scoring_ is None or not scoring_.scores:
        return "No strategic criteria are set up: add them under File > Strategic Criteria."
    if scoring_.weighted_score is None:
        return "Not scored yet."
    text = f"Weighted score {scoring_.weighted_score:.2f} of 5"
    if scoring_.rank is not None:
        group = "proposals" if scoring_.group == scoring.PROPOSAL else "active projects"
        text += f" · rank {scoring_.rank} of {scoring_.group_size} {group}"
    if scoring_.scored < len(scoring_.scores):
        text += f" · {scoring_.scored} of {len(scoring_.scores)} criteria scored"
    return text


def rag_icon(rag: str | None, size: int = 12) -> QIcon:
    """A small square in the RAG colour (an empty icon for "not set")."""
    if rag not in RAG_COLOURS:
        return QIcon()
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(RAG_COLOURS[rag]))
    return QIcon(pixmap)


class ProjectPanel(QWidget):
    """Shows the selected project for editing; New project empties it for a new one."""

    #: A project was created or saved: its id (the tab selects it).
    project_saved = Signal(int)
    #: The project shown was deleted.
    project_deleted = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.ui = Ui_ProjectPanel()
        self.ui.setupUi(self)
        self._details: svc.ProjectDetails | None = None
        self._is_new = False
        self._loading = False
        self._dirty = False
        self._shown_values: dict[str, Any] = {}
        self._title = ""
        self._scoring: scoring.ProjectScoring | None = None
        self._score_spins: dict[int, ScoreSpinBox] = {}
        #: The date the KPIs are figured at (None: today).
        self.as_of: dt.date | None = None
        self.kpi_grid = ProjectKpiGrid(self)
        self.ui.panel_layout.insertWidget(self.ui.panel_layout.indexOf(self.ui.panel_tabs), self.kpi_grid)
        self._editors = self._editor_table()
        self._error_labels = {key: getattr(self.ui, f"{key}_error") for key in svc.PROJECT_FIELDS}
        self._setup_editors()
        self._setup_milestones()
        self._setup_reports()
        self._connect()
        self.set_currency(ctx.currency_symbol)
        ctx.data_changed.connect(self._on_data_changed)
        # Nothing is read from the database until a project is shown (startup stays fast).
        self._show(None, fill_programmes=False)

    # -- setup -----------------------------------------------------------------------------------
    def _editor_table(self) -> dict[str, QWidget]:
        ui = self.ui
        return {
            "code": ui.code_edit, "name": ui.name_edit, "programme": ui.programme_combo,
            "sponsor": ui.sponsor_edit, "manager": ui.manager_edit, "department": ui.department_edit,
            "stage": ui.stage_combo, "methodology": ui.methodology_combo, "priority": ui.priority_spin,
            "rag": ui.rag_combo, "schedule_rag": ui.schedule_rag_combo, "cost_rag": ui.cost_rag_combo,
            "scope_rag": ui.scope_rag_combo, "resource_rag": ui.resource_rag_combo,
            "baseline_start": ui.baseline_start_date, "baseline_end": ui.baseline_end_date,
            "forecast_start": ui.forecast_start_date, "forecast_end": ui.forecast_end_date,
            "actual_start": ui.actual_start_date, "actual_end": ui.actual_end_date,
            "budget": ui.budget_spin, "actual_cost": ui.actual_cost_spin, "forecast_cost": ui.forecast_cost_spin,
            "benefits": ui.benefits_spin, "percent_complete": ui.percent_complete_spin,
            "description": ui.description_edit,
        }

    def _setup_editors(self) -> None:
        ui = self.ui
        for stage in Stage:
            ui.stage_combo.addItem(stage.label, stage.value)
        ui.methodology_combo.addItem("Not set", None)
        for methodology in Methodology:
            ui.methodology_combo.addItem(methodology.label, methodology.value)
        for key in _RAG_FIELDS:
            combo: QComboBox = self._editors[key]
            combo.addItem("Not set", None)
            for rag in Rag:
                combo.addItem(rag_icon(rag.value), rag.label, rag.value)
        ui.priority_spin.set_bounds(1, 9)
        ui.percent_complete_spin.set_bounds(0, 100)
        ui.percent_complete_spin.setSuffix("%")
        ui.programme_combo.lineEdit().setPlaceholderText("No programme")
        ui.code_edit.setMaxLength(svc.PROJECT_RULES["code"].max_length or 40)
        ui.name_edit.setMaxLength(svc.PROJECT_RULES["name"].max_length or 300)
        # Red text even where the application stylesheet is not loaded (its role="error" rule agrees).
        for label in self._error_labels.values():
            palette = label.palette()
            palette.setColor(QPalette.ColorRole.WindowText, QColor(ERROR_COLOUR))
            label.setPalette(palette)

    def _setup_milestones(self) -> None:
        self.milestones_model = RowTableModel(MILESTONE_COLUMNS, self)
        table = self.ui.milestones_table
        table.setModel(self.milestones_model)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        for i, column in enumerate(MILESTONE_COLUMNS):
            header.resizeSection(i, column.width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)

    def _setup_reports(self) -> None:
        tree = self.ui.reports_tree
        header = tree.header()
        header.setStretchLastSection(True)
        for i, width in enumerate((95, 70, 75)):
            header.resizeSection(i, width)
        tree.currentItemChanged.connect(self._on_reports_tree_current_item_changed)

    def _connect(self) -> None:
        ui = self.ui
        for editor in self._editors.values():
            self._signal_of(editor).connect(self._on_editor_changed)
        ui.save_button.clicked.connect(self._on_save_button_clicked)
        ui.revert_button.clicked.connect(self._on_revert_button_clicked)
        ui.delete_button.clicked.connect(self._on_delete_button_clicked)
        ui.new_button.clicked.connect(self._on_new_button_clicked)
        ui.add_milestone_button.clicked.connect(self._on_add_milestone_button_clicked)
        ui.edit_milestone_button.clicked.connect(self._on_edit_milestone_button_clicked)
        ui.delete_milestone_button.clicked.connect(self._on_delete_milestone_button_clicked)
        ui.milestones_table.doubleClicked.connect(lambda _index: self._on_edit_milestone_button_clicked())
        ui.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        ui.title_label.installEventFilter(self)
        ui.milestones_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save_shortcut.activated.connect(self._on_save_button_clicked)
        delete_shortcut = QShortcut(QKeySequence.StandardKey.Delete, ui.milestones_table)
        delete_shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_shortcut.activated.connect(self._on_delete_milestone_button_clicked)

    @staticmethod
    def _signal_of(editor: QWidget):
        if isinstance(editor, QComboBox):
            return editor.currentTextChanged
        if isinstance(editor, OptionalDateEdit):
            return editor.dateChanged
        if isinstance(editor, MoneySpinBox | OptionalSpinBox):
            return editor.valueChanged
        return editor.textChanged

    def set_currency(self, symbol: str) -> None:
        """Show money with the office currency symbol."""
        for key in _MONEY_FIELDS:
            self._editors[key].set_currency(symbol)
        self.kpi_grid.currency = symbol
        self.kpi_grid.show_kpis(self.kpi_grid.kpis)

    # -- state -----------------------------------------------------------------------------------
    @property
    def project_id(self) -> int | None:
        """The id of the project shown (None when empty or new)."""
        return self._details.id if self._details else None

    @property
    def details(self) -> svc.ProjectDetails | None:
        """The project as last read from the database."""
        return self._details

    @property
    def is_new(self) -> bool:
        return self._is_new

    @property
    def is_dirty(self) -> bool:
        """True when the fields hold changes that are not saved."""
        return self._dirty

    def show_project(self, project_id: int | None) -> None:
        """Read ``project_id`` and its KPIs from the database and show them (None empties the panel)."""
        details = kpis = None
        if project_id is not None:
            thresholds = self._thresholds()
            try:
                details, kpis = self.ctx.read(self._read_project, project_id, self.kpi_date(), thresholds)
            except NotFoundError:
                details = kpis = None
        self._is_new = False
        self._show(details, kpis)

    @staticmethod
    def _read_project(session, project_id: int, as_of: dt.date,
                      thresholds: Thresholds) -> tuple[svc.ProjectDetails, ProjectKpis | None]:
        return svc.get_project(session, project_id), project_kpis(session, project_id, as_of, thresholds)

    def kpi_date(self) -> dt.date:
        """The date the KPIs are figured at: ``as_of``, or today."""
        return self.as_of or dt.date.today()

    def _thresholds(self) -> Thresholds:
        thresholds = Thresholds.from_settings(self.ctx.settings)
        self.kpi_grid.thresholds = thresholds
        return thresholds

    def _refresh_kpis(self) -> None:
        """Read the shown project's KPIs again (after a milestone changed)."""
        if self._details is None:
            self.kpi_grid.show_kpis(None)
            return
        thresholds = self._thresholds()
        self.kpi_grid.show_kpis(self.ctx.read(project_kpis, self._details.id, self.kpi_date(), thresholds))

    def reload(self) -> None:
        """Show what is stored for the current project now, dropping unsaved edits."""
        if self._is_new:
            return
        self.show_project(self.project_id)

    def start_new(self, values: dict[str, Any] | None = None) -> None:
        """Empty the fields for a new project (not saved until Save)."""
        self._is_new = True
        self._show(None)
        if values:
            self._set_values(values)
        self.ui.code_edit.setFocus()

    def _show(self, details: svc.ProjectDetails | None, kpis: ProjectKpis | None = None, *,
              fill_programmes: bool = True) -> None:
        self._details = details
        self._loading = True
        try:
            self.clear_errors()
            if fill_programmes:
                self._fill_programmes()
            self.kpi_grid.show_kpis(kpis if details is not None else None)
            # A stored project shows its figures (dashes where unknown); none or a new one hides the box.
            self.kpi_grid.setVisible(details is not None)
            values = details.values() if details else {"stage": Stage.IDEA.value}
            self._set_values({key: values.get(key) for key in svc.PROJECT_FIELDS})
            self._show_milestones(details.milestones if details else ())
            self._show_reports(details.status_reports if details else ())
            self._show_scoring(details.id if details else None)
        finally:
            self._loading = False
        self._shown_values = self.values()
        self._set_dirty(False)

    def _fill_programmes(self) -> None:
        combo = self.ui.programme_combo
        current = combo.currentText()
        with QSignalBlocker(combo):
            combo.clear()
            combo.addItem("", None)
            for name in self.ctx.read(svc.programme_names):
                combo.addItem(name, name)
            combo.setCurrentText(current)

    # -- values in and out -------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The fields as the user has them now, keyed like ``PROJECT_FIELDS``."""
        result: dict[str, Any] = {}
        for key, editor in self._editors.items():
            if key == "programme":
                result[key] = editor.currentText().strip() or None
            elif isinstance(editor, QComboBox):
                result[key] = editor.currentData()
            elif isinstance(editor, OptionalDateEdit):
                result[key] = editor.value()
            elif isinstance(editor, MoneySpinBox):
                result[key] = editor.amount()
            elif key == "percent_complete":
                number = editor.number()
                result[key] = None if number is None else number / 100
            elif isinstance(editor, OptionalSpinBox):
                result[key] = editor.number()
            elif key == "description":
                result[key] = editor.toPlainText().strip() or None
            else:
                result[key] = editor.text().strip() or None
        return result

    def changes(self) -> dict[str, Any]:
        """The fields the user changed since the project was shown."""
        current = self.values()
        return {key: value for key, value in current.items() if self._shown_values.get(key) != value}

    def set_field(self, key: str, value: Any) -> None:
        """Put ``value`` in one field as if the user typed or picked it."""
        self._set_values({key: value})

    def _set_values(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            editor = self._editors[key]
            if key == "programme":
                editor.setCurrentText(value or "")
            elif isinstance(editor, QComboBox):
                index = editor.findData(value)
                editor.setCurrentIndex(max(index, 0))
            elif isinstance(editor, OptionalDateEdit):
                editor.set_value(value)
            elif isinstance(editor, MoneySpinBox):
                editor.set_amount(value)
            elif key == "percent_complete":
                editor.set_number(None if value is None else round(float(value) * 100))
            elif isinstance(editor, OptionalSpinBox):
                editor.set_number(value)
            elif key == "description":
                editor.setPlainText(value or "")
            else:
                editor.setText(value or "")

    # -- validation messages -----------------------------------------------------------------------
    def show_errors(self, error: ValidationError) -> None:
        """Show each message in red under its field and mark the field."""
        self.clear_errors()
        first: QWidget | None = None
        for field_error in error.errors:
            label = self._error_labels.get(field_error.field)
            editor = self._editors.get(field_error.field)
            if label is None or editor is None:
                show_error(self, error)
                continue
            label.setText(field_error.message)
            label.setVisible(True)
            self._mark(editor, True)
            first = first or editor
        if first is not None:
            self.ui.panel_tabs.setCurrentWidget(self.ui.details_page)
            self.ui.details_scroll.ensureWidgetVisible(first)
            first.setFocus()

    def clear_errors(self) -> None:
        for key, label in self._error_labels.items():
            label.clear()
            label.setVisible(False)
            self._mark(self._editors[key], False)

    def error_text(self, key: str) -> str | None:
        """The validation message shown under ``key`` (None when there is none)."""
        label: QLabel = self._error_labels[key]
        return label.text() if label.isVisibleTo(self) and label.text() else None

    @staticmethod
    def _mark(editor: QWidget, invalid: bool) -> None:
        if bool(editor.property("invalid")) == invalid:
            return
        editor.setProperty("invalid", invalid)
        editor.style().unpolish(editor)
        editor.style().polish(editor)

    # -- saving ------------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save the fields (create or update); True when everything is stored."""
        if not self._is_new and self._details is None:
            return False
        self.clear_errors()
        try:
            if self._is_new:
                project_id = commands.create_project(self.ctx, self.values())
            else:
                project_id = self._details.id
                changes = self.changes()
                if changes:
                    commands.update_project(self.ctx, project_id, changes, self._details.version,
                                            f"Edit project {self._details.code}")
        except ValidationError as exc:
            self.show_errors(exc)
            return False
        except ConflictError as exc:
            return self._resolve(exc)
        except ServiceError as exc:
            show_error(self, exc)
            return False
        self._is_new = False
        self.show_project(project_id)
        self.project_saved.emit(project_id)
        return True

    def _resolve(self, conflict: ConflictError) -> bool:
        answer = resolve_conflict(self, conflict, self._display_value)
        if answer == "theirs":
            if conflict.deleted:
                self._show(None)
                self.project_deleted.emit(conflict.entity_id)
            else:
                self.reload()
            return False
        if answer != "mine":
            return False
        if conflict.deleted:
            # Keep mine: the project comes back as a new one with the values on screen.
            self._is_new = True
            return self.save()
        try:
            stored = self.ctx.read(svc.project_version, conflict.entity_id)
        except NotFoundError:
            self._is_new = True
            return self.save()
        # Save again over the version now stored; a further conflict asks again.
        self._details = _with_version(self._details, stored)
        return self.save()

    def _display_value(self, key: str, value: Any) -> str:
        return display_value(key, value, self.ctx.currency_symbol)

    def delete(self) -> bool:
        """Ask, then delete the project shown (undoable); True when deleted."""
        details = self._details
        if details is None:
            return False
        parts = []
        if details.milestones:
            parts.append(f"{len(details.milestones)} milestone(s)")
        if details.status_reports:
            parts.append("its status reports")
        extra = f" with {' and '.join(parts)}" if parts else ""
        answer = QMessageBox.question(
            self, "Delete project",
            f"Delete project {details.code} “{details.name}”{extra}?\n\nYou can undo this with Edit > Undo (Ctrl+Z).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            commands.delete_project(self.ctx, details.id, details.version, details.code)
        except ConflictError as exc:
            self._resolve_delete_conflict(exc)
            return False
        except ServiceError as exc:
            show_error(self, exc)
            return False
        self._show(None)
        self.project_deleted.emit(details.id)
        return True

    def _resolve_delete_conflict(self, conflict: ConflictError) -> None:
        if conflict.deleted:
            self._show(None)
            self.project_deleted.emit(conflict.entity_id)
            return
        QMessageBox.information(
            self, "Project changed",
            "Someone else changed this project after you opened it, so it was not deleted. "
            "Its latest values are shown now; delete it again if you still want to.",
        )
        self.reload()

    def confirm_leave(self) -> bool:
        """Before showing another project: save, discard or stay; True when the panel may change."""
        if not self._dirty:
            return True
        what = "the new project" if self._is_new else f"project {self._details.code}" if self._details else "this project"
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save your changes to {what}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # -- milestones --------------------------------------------------------------------------------
    def _show_milestones(self, milestones: tuple[svc.MilestoneDetails, ...]) -> None:
        self._milestones = {m.id: m for m in milestones}
        self.milestones_model.set_rows(
            (m.id, m.name, m.baseline_date, m.forecast_date, m.actual_date, m.status) for m in milestones
        )
        count = f" ({len(milestones)})" if milestones else ""
        self.ui.panel_tabs.setTabText(self.ui.panel_tabs.indexOf(self.ui.milestones_page), f"Milestones{count}")

    def selected_milestone(self) -> svc.MilestoneDetails | None:
        rows = self.ui.milestones_table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._milestones.get(self.milestones_model.row_id(rows[0].row()))

    def _after_milestone_change(self) -> None:
        if self._details is None:
            return
        try:
            fresh = self.ctx.read(svc.get_project, self._details.id)
        except NotFoundError:
            return
        self._details = _with_version(self._details, self._details.version, milestones=fresh.milestones)
        self._show_milestones(fresh.milestones)
        self._refresh_kpis()
        self._update_buttons()

    def _edit_milestone(self, existing: svc.MilestoneDetails | None) -> None:
        dialog = MilestoneDialog(self, existing)

        def save(values: dict[str, Any]) -> None:
            if existing is None:
                commands.add_milestone(self.ctx, self._details.id, values)
            else:
                changes = {k: v for k, v in values.items() if svc.milestone_values(existing).get(k) != v}
                if changes:
                    commands.update_milestone(self.ctx, existing.id, changes, existing.version)

        dialog.set_saver(save, self._resolve_milestone_conflict)
        if dialog.exec():
            self._after_milestone_change()

    def _resolve_milestone_conflict(self, conflict: ConflictError, values: dict[str, Any]) -> bool:
        """A milestone changed under the dialog: keep mine saves again; True when the dialog may close."""
        answer = resolve_conflict(self, conflict, self._display_value)
        if answer != "mine":
            return answer == "theirs"
        try:
            if conflict.deleted:  # keep mine: the milestone comes back with the values entered
                commands.add_milestone(self.ctx, self._details.id, values)
            else:
                stored = self.ctx.read(svc.get_milestone, conflict.entity_id)
                commands.update_milestone(self.ctx, stored.id, values, stored.version)
        except ServiceError as exc:
            show_error(self, exc)
            return False
        return True

    def _on_add_milestone_button_clicked(self) -> None:
        if self._details is not None:
            self._edit_milestone(None)

    def _on_edit_milestone_button_clicked(self) -> None:
        milestone = self.selected_milestone()
        if milestone is not None:
            self._edit_milestone(milestone)

    def _on_delete_milestone_button_clicked(self) -> None:
        milestone = self.selected_milestone()
        if milestone is None:
            return
        answer = QMessageBox.question(
            self, "Delete milestone", f"Delete milestone “{milestone.name}”? You can undo this.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            commands.delete_milestone(self.ctx, milestone.id, milestone.version, milestone.name)
        except ServiceError as exc:
            show_error(self, exc)
        self._after_milestone_change()

    # -- status reports ----------------------------------------------------------------------------
    def _show_reports(self, reports: tuple[svc.ReportSummary, ...]) -> None:
        tree = self.ui.reports_tree
        tree.clear()
        row_height = tree.fontMetrics().height() + 10
        for report in reports:
            percent = "" if report.percent_complete is None else f"{report.percent_complete * 100:.0f}%"
            item = QTreeWidgetItem([report.period_end.strftime("%d %b %Y"), RAG_LABELS.get(report.rag or "", ""),
                                    percent, report.summary or ""])
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setSizeHint(0, QSize(0, row_height))
            if report.rag in RAG_COLOURS:
                item.setBackground(1, QBrush(QColor(RAG_COLOURS[report.rag])))
                item.setForeground(1, QBrush(QColor(rag_text_colour(report.rag))))
                item.setTextAlignment(1, Qt.AlignmentFlag.AlignCenter)
            tooltip = report.summary or "No summary"
            if report.submitted_by:
                tooltip += f"\n\nSubmitted by {report.submitted_by}"
            item.setToolTip(3, tooltip)
            item.setData(0, Qt.ItemDataRole.UserRole, report)
            tree.addTopLevelItem(item)
        if reports:
            tree.setCurrentItem(tree.topLevelItem(0))
        else:
            self.ui.report_summary_text.clear()
        count = f" ({len(reports)})" if reports else ""
        self.ui.panel_tabs.setTabText(self.ui.panel_tabs.indexOf(self.ui.reports_page), f"Status reports{count}")

    def _on_reports_tree_current_item_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        report: svc.ReportSummary | None = current.data(0, Qt.ItemDataRole.UserRole) if current else None
        if report is None:
            self.ui.report_summary_text.clear()
            return
        heading = f"Period ending {report.period_end:%d %b %Y}"
        if report.submitted_by:
            heading += f", submitted by {report.submitted_by}"
        self.ui.report_summary_text.setPlainText(f"{heading}\n\n{report.summary or 'No summary given.'}")

    # -- strategic score ---------------------------------------------------------------------------
    @property
    def scoring(self) -> scoring.ProjectScoring | None:
        """The shown project's scores as last read."""
        return self._scoring

    def score_spin(self, criterion_id: int) -> ScoreSpinBox:
        return self._score_spins[criterion_id]

    def _show_scoring(self, project_id: int | None) -> None:
        self._scoring = None
        if project_id is not None:
            try:
                self._scoring = self.ctx.read(scoring.project_scoring, project_id)
            except NotFoundError:
                self._scoring = None
        ui = self.ui
        ui.scores_error.clear()
        ui.scores_error.setVisible(False)
        ui.scores_page.setEnabled(self._scoring is not None)
        self._build_score_rows(self._scoring.scores if self._scoring else ())
        ui.score_summary_label.setText(score_summary(self._scoring) if project_id is not None
                                       else "Save the project before scoring it.")
        title = "Strategic score"
        if self._scoring is not None and self._scoring.weighted_score is not None:
            title += f" ({self._scoring.weighted_score:.1f})"
        ui.panel_tabs.setTabText(ui.panel_tabs.indexOf(ui.scores_page), title)

    def _build_score_rows(self, rows: tuple[scoring.CriterionScore, ...]) -> None:
        grid = self.ui.scores_grid
        same = [r.criterion_id for r in rows] == list(self._score_spins)
        if not same:
            while grid.count():
                widget = grid.takeAt(0).widget()
                if widget is not None:
                    widget.deleteLater()
            self._score_spins = {}
        total = sum(r.weight for r in rows) or 0.0
        for i, row in enumerate(rows):
            share = f"{row.weight / total * 100:.0f}% of the weight" if total else "no weight"
            tip = f"{row.description or row.name}\n\nWeight {row.weight:g} ({share})."
            if not same:
                name = QLabel(row.name, self.ui.scores_page)
                weight = QLabel(share, self.ui.scores_page)
                weight.setProperty("role", "hint")
                spin = ScoreSpinBox(self.ui.scores_page)
                spin.setObjectName(f"score_spin_{row.criterion_id}")
                spin.valueChanged.connect(lambda _v, cid=row.criterion_id: self._on_score_changed(cid))
                grid.addWidget(name, i, 0)
                grid.addWidget(spin, i, 1)
                grid.addWidget(weight, i, 2)
                self._score_spins[row.criterion_id] = spin
            spin = self._score_spins[row.criterion_id]
            with QSignalBlocker(spin):
                spin.set_score(row.score)
            spin.setToolTip(tip)
            label = grid.itemAtPosition(i, 0).widget()
            label.setText(row.name)
            label.setToolTip(tip)
            grid.itemAtPosition(i, 2).widget().setText(share)
        grid.setColumnStretch(2, 1)

    def set_score(self, criterion_id: int, score: float | None) -> None:
        """Put ``score`` in a criterion's box as if the user chose it (it saves at once)."""
        self._score_spins[criterion_id].set_score(score)

    def _on_score_changed(self, criterion_id: int) -> None:
        current = self._scoring
        if self._loading or current is None or self._details is None:
            return
        row = next(r for r in current.scores if r.criterion_id == criterion_id)
        value = self._score_spins[criterion_id].score()
        if value == row.score:
            return
        # Loaded on the first score edit: it brings the scenario service, which start-up does not need.
        from . import scoring_commands

        try:
            # Saving tells the views through data_changed, which shows the new scores here.
            scoring_commands.set_score(self.ctx, current.project_id, self._details.code, criterion_id, row.name,
                                       value, {criterion_id: row.version})
            return
        except ValidationError as exc:
            self.ui.scores_error.setText(str(exc))
            self.ui.scores_error.setVisible(True)
            return
        except ConflictError:
            QMessageBox.information(
                self, "Score changed",
                f"Someone else changed {self._details.code}'s score on {row.name} after you opened it. "
                "The stored scores are shown now; change it again if you still want to.")
        except ServiceError as exc:
            show_error(self, exc)
        self._show_scoring(current.project_id)

    def _on_data_changed(self, entity: str) -> None:
        # Undo and redo of score and criterion edits land here; project edits reload the whole panel.
        if entity in ("project_score", "strategic_criterion", "*") and self._details is not None:
            self._show_scoring(self._details.id)

    # -- buttons and state -------------------------------------------------------------------------
    def _on_editor_changed(self, *_args: Any) -> None:
        if not self._loading:
            self._set_dirty(bool(self.changes()) or self._is_new)

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        self._update_title()
        self._update_buttons()

    def _update_title(self) -> None:
        details = self._details
        if self._is_new:
            title = "New project"
        elif details is None:
            title = "No project selected"
        else:
            title = f"{details.code} · {details.name}"
        self._title = title
        self.ui.title_label.setToolTip(title)
        self._elide_title()
        if self._dirty:
            state = "Unsaved changes"
        elif details is not None:
            state = f"Version {details.version}"
        elif not self._is_new:
            state = "Select a project in the table, or start a new one."
        else:
            state = "Fill in the fields, then Save."
        self.ui.state_label.setText(state)

    def _elide_title(self) -> None:
        # A long project name must not widen the panel: show what fits, the rest in the tooltip.
        label = self.ui.title_label
        label.setText(label.fontMetrics().elidedText(self._title, Qt.TextElideMode.ElideRight, max(label.width(), 80)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.ui.title_label and event.type() == QEvent.Type.Resize:
            self._elide_title()
        return super().eventFilter(watched, event)

    def _update_buttons(self) -> None:
        ui = self.ui
        editing = self._is_new or self._details is not None
        ui.details_content.setEnabled(editing)
        ui.save_button.setEnabled(self._dirty)
        ui.revert_button.setEnabled(self._dirty)
        ui.delete_button.setEnabled(self._details is not None and not self._is_new)
        has_project = self._details is not None and not self._is_new
        ui.add_milestone_button.setEnabled(has_project)
        selected = has_project and self.selected_milestone() is not None
        ui.edit_milestone_button.setEnabled(selected)
        ui.delete_milestone_button.setEnabled(selected)
        ui.add_milestone_button.setToolTip(
            "Add a milestone to this project" if has_project else "Save the project before adding milestones"
        )

    def _on_save_button_clicked(self) -> None:
        self.save()

    def _on_revert_button_clicked(self) -> None:
        if self._is_new:
            self._is_new = False
            self._show(None)
        else:
            self.reload()

    def _on_delete_button_clicked(self) -> None:
        self.delete()

    def _on_new_button_clicked(self) -> None:
        if self.confirm_leave():
            self.start_new()


def _with_version(details: svc.ProjectDetails, version: int, **changes: Any) -> svc.ProjectDetails:
    return replace(details, version=version, **changes)
