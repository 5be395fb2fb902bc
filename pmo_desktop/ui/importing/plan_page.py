"""Wizard page 3: what the import would do, checked against the database in the background.

Counts per file and sheet, then every row with its action: the key, the changes
("field: old → new") or why it is rejected (column, value, reason). "Save Rejects…" writes the
workbook to send back to the manager; Apply (the wizard's commit button) writes the import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from ...importer.fields import Kind, key_fields
from ...importer.plan import Action, ImportPlan, PlannedRow, json_value
from ...importer.rejects import write_rejects_workbook
from ...importer.session import ApplyResult, ImportSession
from ..context import AppContext
from ..dialogs.error_dialog import show_error
from ..models.row_table_model import Column, RowTableModel
from ..models.row_table_model import Kind as ColumnKind
from ..tasks import Progress, Task, run_in_background
from ..theme import RAG_LABELS
from .labels import ACTION_LABELS, ERROR_COLOUR, field_label, kind_label
from .views import setup_table_view, show_notes

SUMMARY_COLUMNS = (
    Column("file", "File", width=230), Column("sheet", "Sheet", width=150), Column("kind", "Holds", width=150),
    Column("new", "New", ColumnKind.INT, 80), Column("changed", "Changed", ColumnKind.INT, 80),
    Column("unchanged", "Unchanged", ColumnKind.INT, 90), Column("rejected", "Rejected", ColumnKind.INT, 80),
)
ROW_COLUMNS = (
    Column("file", "File", width=170), Column("sheet", "Sheet", width=120), Column("row", "Row", ColumnKind.INT, 60),
    Column("action", "Action", width=90), Column("key", "Key", width=240),
    Column("details", "Changes or reason", width=450),
)
ACTION_COLUMN = 3
FILTERS = (("All rows", None), ("New", Action.NEW), ("Changed", Action.UPDATE), ("Unchanged", Action.UNCHANGED),
           ("Rejected", Action.REJECT))


class PlanRowsModel(RowTableModel):
    """The planned rows; a rejected row's action and reason are shown in red."""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            row = self.row_tuple(index.row())
            if row[ACTION_COLUMN + 1] == ACTION_LABELS[Action.REJECT.value] and index.column() >= ACTION_COLUMN:
                return QBrush(QColor(ERROR_COLOUR))
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid() and index.column() == len(ROW_COLUMNS) - 1:
            text = self.row_tuple(index.row())[-1]
            return text.replace("; ", "\n") if text else None
        return super().data(index, role)


@dataclass(slots=True)
class PlanView:
    """A plan with the tuples its two tables show (built on the worker thread)."""

    plan: ImportPlan
    summary: list[tuple]
    rows: list[tuple]
    warnings: list[str]


def _shown(value: object, field_name: str = "") -> str:
    value = json_value(value)
    if field_name.endswith("rag") and value in RAG_LABELS:
        return RAG_LABELS[value]
    return "(blank)" if value in (None, "") else str(value)


def _label(kind: str, field_name: str) -> str:
    try:
        return field_label(Kind(kind), field_name)
    except (ValueError, StopIteration):  # a field the planner adds (e.g. a resolved reference)
        return field_name.replace("_", " ")


def row_key(row: PlannedRow) -> str:
    """The row's natural key; for a row rejected before its key was settled, the key cells it had."""
    key = row.key
    if not key and row.kind in {k.value for k in Kind}:
        key = {name: row.source.values.get(name) for name in key_fields(Kind(row.kind))}
    return " · ".join(_shown(value, name) for name, value in key.items() if value not in (None, ""))


def row_details(row: PlannedRow) -> str:
    """Changes as "field: old → new", reasons as "column 'value': reason", new rows as their values."""
    if row.action is Action.REJECT:
        return "; ".join(f"{e.column} '{_shown(e.value)}': {e.reason}" if e.value is not None else
                         f"{e.column}: {e.reason}" for e in row.errors)
    if row.action is Action.UPDATE:
        return "; ".join(f"{_label(row.kind, c.field)}: {_shown(c.old, c.field)} → {_shown(c.new, c.field)}"
                         for c in row.changes)
    if row.action is Action.NEW:
        return ", ".join(f"{_label(row.kind, name)}: {_shown(value, name)}"
                         for name, value in list(row.values.items())[:6])
    return ""


def plan_view(plan: ImportPlan, warnings: list[str]) -> PlanView:
    """Tuples for the summary and the rows table (RowTableModel: id first)."""
    summary = []
    rows = []
    for number, sheet in enumerate(plan.sheets):
        counts = ImportPlan([sheet]).counts
        summary.append((number, sheet.file, sheet.sheet.sheet, kind_label(sheet.kind), counts.new, counts.update,
                        counts.unchanged, counts.reject))
        for row in sheet.rows:
            rows.append((len(rows), sheet.file, sheet.sheet.sheet, row.row, ACTION_LABELS[row.action.value],
                         row_key(row), row_details(row)))
    found = list(warnings)
    found.extend(warning for sheet in plan.sheets for warning in sheet.warnings)
    return PlanView(plan, summary, rows, found)


def save_rejects(parent, plan: ImportPlan, suggested_folder: Path) -> Path | None:
    """Ask where, then write the rejects workbook for ``plan``; the path written, or None."""
    name, _ = QFileDialog.getSaveFileName(parent, "Save Rejected Rows", str(suggested_folder / "rejected rows.xlsx"),
                                          "Excel workbook (*.xlsx)")
    if not name:
        return None
    path = Path(name) if Path(name).suffix.lower() == ".xlsx" else Path(name).with_suffix(".xlsx")
    try:
        return write_rejects_workbook(plan, path)
    except OSError as exc:
        show_error(parent, exc, title="Rejected rows not saved")
        return None


class PlanPage(QWizardPage):
    """The dry run, shown in full before anything is written."""

    def __init__(self, ctx: AppContext, session: ImportSession, on_applied: Callable[[ApplyResult], None],
                 parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.session = session
        self._on_applied = on_applied
        self.view: PlanView | None = None
        self.task: Task | None = None
        self.applied = False
        self.applying = False
        self._abandoned = False
        self._generation = 0  # a check started before the latest one reports into nothing
        self.setTitle("Check what will change")
        self.setSubTitle("Nothing has been written yet. Check the new, changed and rejected rows, then Apply. "
                         "Rejected rows are left out; save them to send back to the project manager.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Apply")

        self.totals_label = QLabel(self)
        self.totals_label.setObjectName("totals_label")
        self.totals_label.setWordWrap(True)
        font = self.totals_label.font()
        font.setBold(True)
        self.totals_label.setFont(font)

        self.summary_model = RowTableModel(SUMMARY_COLUMNS, self)
        self.summary_view = self._table_view("summary_view", self.summary_model)

        self.action_filter = QComboBox(self)
        self.action_filter.setObjectName("action_filter")
        for label, action in FILTERS:
            self.action_filter.addItem(label, action.value if action else None)
        self.action_filter.currentIndexChanged.connect(self._on_action_filter_current_index_changed)
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("search_edit")
        self.search_edit.setPlaceholderText("Find a key, value or reason…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self.shown_label = QLabel(self)
        self.shown_label.setProperty("role", "hint")

        self.rows_model = PlanRowsModel(ROW_COLUMNS, self)
        self.rows_view = self._table_view("rows_view", self.rows_model)
        self.rows_view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # sheet order first
        self.rows_view.setSortingEnabled(True)

        self.warnings_list = QListWidget(self)
        self.warnings_list.setObjectName("warnings_list")
        self.warnings_list.setWordWrap(True)

        self.save_rejects_button = QPushButton("Save &Rejects…", self)
        self.save_rejects_button.setObjectName("save_rejects_button")
        self.save_rejects_button.setToolTip("Write the rejected rows, each with its reason, to a workbook for the "
                                            "project manager")
        self.save_rejects_button.clicked.connect(self._on_save_rejects_button_clicked)
        self.remember_check = QCheckBox("Remember these column mappings for files with the same headers", self)
        self.remember_check.setObjectName("remember_check")
        self.remember_check.setChecked(True)

        filters = QHBoxLayout()
        filters.addWidget(QLabel("Show:", self))
        filters.addWidget(self.action_filter)
        filters.addWidget(self.search_edit, 1)
        filters.addWidget(self.shown_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.remember_check)
        bottom.addStretch(1)
        bottom.addWidget(self.save_rejects_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.totals_label)
        layout.addWidget(self.summary_view)
        layout.addLayout(filters)
        layout.addWidget(self.rows_view, 1)
        layout.addWidget(self.warnings_list)
        layout.addLayout(bottom)

    def _table_view(self, name: str, model: RowTableModel) -> QTableView:
        view = QTableView(self)
        view.setObjectName(name)
        return setup_table_view(view, model)

    def _fit_summary(self) -> None:
        """Show every table's counts without scrolling, up to six tables."""
        view = self.summary_view
        rows = min(max(self.summary_model.rowCount(), 1), 6)
        height = view.horizontalHeader().sizeHint().height() + rows * view.verticalHeader().defaultSectionSize()
        view.setFixedHeight(height + 2 * view.frameWidth() + 2)

    # -- planning -----------------------------------------------------------------------------
    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.view = None
        self.summary_model.set_rows([])
        self.rows_model.set_rows([])
        self.warnings_list.clear()
        self.warnings_list.hide()
        self.save_rejects_button.setEnabled(False)
        self.totals_label.setText("Checking every row against the database…")
        self.shown_label.clear()
        session = self.session
        if self.task is not None:
            self.task.cancel()
        self._generation += 1
        generation = self._generation

        def plan(progress: Progress) -> PlanView:
            progress.report(0, 0, "Checking every row against the database…")
            return plan_view(session.plan(), session.warnings())

        self.task = run_in_background(plan, on_done=lambda view: self._on_planned(view, generation),
                                      on_error=lambda exc: self._on_plan_failed(exc, generation),
                                      on_cancelled=lambda: self._on_plan_cancelled(generation),
                                      progress="Checking the rows…", parent=self)
        self.completeChanged.emit()

    def abandon(self) -> None:
        """The wizard is closing: stop checking and ignore what a running check reports."""
        self._abandoned = True
        if self.task is not None and not self.applying:
            self.task.cancel()

    def _current(self, generation: int) -> bool:
        """True when a check's report is still wanted (the latest check, wizard still open)."""
        return not self._abandoned and generation == self._generation

    def _on_planned(self, view: PlanView, generation: int) -> None:
        if not self._current(generation):
            return
        self.task = None
        self.view = view
        counts = view.plan.counts
        self.totals_label.setText(
            f"{counts.new:,} new, {counts.update:,} changed, {counts.unchanged:,} unchanged, "
            f"{counts.reject:,} rejected, in {len(view.summary)} table{'s' if len(view.summary) != 1 else ''}.")
        self.summary_model.set_rows(view.summary)
        self._fit_summary()
        self.rows_model.set_rows(view.rows)
        self._update_shown()
        show_notes(self.warnings_list, view.warnings)
        self.save_rejects_button.setEnabled(counts.reject > 0)
        self.completeChanged.emit()

    def _on_plan_failed(self, exc: BaseException, generation: int) -> None:
        if not self._current(generation):
            return
        self.task = None
        self.totals_label.setText("The rows could not be checked. Go Back, then Next to try again.")
        self.completeChanged.emit()
        show_error(self, exc, title="Cannot check the import")

    def _on_plan_cancelled(self, generation: int) -> None:
        if not self._current(generation):
            return
        self.task = None
        self.totals_label.setText("Checking was cancelled. Go Back, then Next to check again.")
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.task is None and self.view is not None and self.view.plan.counts.total > 0

    # -- filtering and rejects ----------------------------------------------------------------
    def _on_action_filter_current_index_changed(self, _index: int) -> None:
        action = self.action_filter.currentData()
        self.rows_model.set_column_filter(ACTION_COLUMN, {ACTION_LABELS[action]} if action else None)
        self._update_shown()

    def _on_search_edit_text_changed(self, text: str) -> None:
        self.rows_model.set_filter_text(text)
        self._update_shown()

    def _update_shown(self) -> None:
        self.shown_label.setText(f"{self.rows_model.rowCount():,} of {self.rows_model.total_rows():,} rows")

    def _on_save_rejects_button_clicked(self) -> None:
        if self.view is None:
            return
        folder = self.session.files[0].path.parent if self.session.files else Path.home()
        written = save_rejects(self, self.view.plan, folder)
        if written is not None:
            self.totals_label.setText(f"{self.totals_label.text()}  Rejected rows saved to {written.name}.")

    # -- applying -----------------------------------------------------------------------------
    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        """Apply in the background; the wizard moves on when it is done."""
        if self.applied:
            return True
        if self.task is not None:
            return False
        remember = self.remember_check.isChecked()
        session = self.session

        outcome: list[ApplyResult] = []

        def apply(progress: Progress) -> ApplyResult:
            outcome.append(session.apply(remember_mappings=remember, progress=progress.report,
                                         stop=lambda: progress.cancelled))
            return outcome[0]

        # Cancel stops before the next file; what was applied is still reported.
        self.totals_label.setText("Importing…")
        self.applying = True
        self.task = run_in_background(apply, on_done=self._on_apply_done, on_error=self._on_apply_failed,
                                      on_cancelled=lambda: self._on_apply_done(outcome[0]),
                                      progress="Importing the spreadsheets…", parent=self, write=True)
        self.completeChanged.emit()
        return False

    def _on_apply_done(self, result: ApplyResult) -> None:
        self.task = None
        self.applying = False
        self.applied = True
        self.ctx.data_changed.emit("*")
        self._on_applied(result)
        self.completeChanged.emit()
        self.wizard().next()

    def _on_apply_failed(self, exc: BaseException) -> None:
        self.task = None
        self.applying = False
        self.totals_label.setText("The import failed; nothing more was written. Check the message and try again.")
        self.ctx.data_changed.emit("*")  # a file applied before the failure is in the database
        self.completeChanged.emit()
        show_error(self, exc, title="Import failed")
