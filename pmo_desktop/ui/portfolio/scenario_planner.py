"""The scenario planner: pick the projects to fund under a budget cap, see the totals live, approve.

On the left, the saved scenarios (select two or more to compare them side by side). On the
right, the scenario shown: its name, budget cap and fiscal year, and its candidates with their
cost in that year, weighted score and score per million, each with an In box and a Pin box (a
pinned project stays as it is when Suggest runs). Under them, live totals against the cap and
each role's hours over the year against its capacity (``analytics.scenarios``).

Ticking boxes, Suggest and the header fields only change what is on screen; Save writes them in
one audited transaction, undoable with Edit > Undo (a scenario someone else saved meanwhile is a
conflict: reload). Suggest runs in the background, since the exact knapsack can take most of a
minute on 2,000 candidates: meanwhile its button shows how far it is and cancels it, and the
scenario cannot be edited; a cancelled Suggest leaves the boxes as they were. Adding and
removing candidates (Delete, or the table's context menu) are saved at once and undoable.
Approve asks for confirmation, then approves the saved scenario through
``services.scenarios.approve``, which moves the chosen proposals to their next stage under the
office's governance rules; undo withdraws the approval and those moves while the projects are
unchanged since. An approved scenario is shown read-only.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...analytics import scenarios as an
from ...services import scenarios as svc
from ...services.errors import ConflictError, ServiceError, ValidationError
from ..context import AppContext
from ..dialogs.error_dialog import show_error
from ..tasks import Cancelled, Task, run_in_background
from .editors import MoneySpinBox
from .kpi_grid import compact_money
from .project_panel import STAGE_LABELS
from .scoring_commands import approve_scenario, remove_candidates, save_scenario

SHORT_COLOURS = ("#c0392b", "#ff7b6b")  # on a light, and on a dark palette
OK_COLOURS = ("#2e7d32", "#7bc67e")


def _colours(widget: QWidget) -> tuple[str, str]:
    """The (short, ok) text colours that read on the widget's palette."""
    dark = widget.palette().window().color().lightness() < 128
    return SHORT_COLOURS[dark], OK_COLOURS[dark]
_REFRESH_ON = frozenset({"scenario", "scenario_project", "project", "project_score", "strategic_criterion", "*"})


# -- the candidates table -----------------------------------------------------------------------------

class CandidateModel(QAbstractTableModel):
    """The scenario's candidates with In and Pin check boxes; sorts itself, edits only on screen."""

    IN, PIN, CODE, NAME, STAGE, COST, SCORE, VALUE, BENEFITS, REASON = range(10)
    HEADERS = ("In", "Pin", "Code", "Name", "Stage", "Cost in year", "Score", "Score per million",
               "Benefits", "Suggest says")
    WIDTHS = (36, 36, 80, 210, 95, 105, 55, 135, 100, 260)
    TOOLTIPS = {
        IN: "Tick to fund the project in this scenario",
        PIN: "A pinned project stays in (or out) when Suggest runs",
        COST: "The budget spread evenly over the baseline months that fall in the fiscal year",
        SCORE: "Weighted strategic score, 0 to 5",
        VALUE: "Weighted score per million of cost in the year",
    }

    #: The In or Pin boxes changed.
    states_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._entries: list[svc.Entry] = []
        self.states: dict[int, svc.EntryState] = {}
        self.reasons: dict[int, str] = {}
        self.read_only = False
        self.currency = "£"
        #: Hours per role each candidate adds, by project id (for the Name tooltip).
        self.hours: dict[int, dict[str, float]] = {}

    def set_entries(self, entries: Sequence[svc.Entry], read_only: bool,
                    hours: dict[int, dict[str, float]] | None = None) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.hours = dict(hours or {})
        self.states = {e.project_id: svc.EntryState(e.included, e.pinned) for e in entries}
        self.reasons = {}
        self.read_only = read_only
        self.endResetModel()

    def set_read_only(self, read_only: bool) -> None:
        """Lock or unlock the In and Pin boxes (an approved scenario, or while Suggest runs)."""
        if read_only != self.read_only:
            self.read_only = read_only
            self._changed_all()

    def set_states(self, states: dict[int, svc.EntryState], reasons: dict[int, str] | None = None) -> None:
        self.states = dict(states)
        if reasons is not None:
            self.reasons = dict(reasons)
        self._changed_all()
        self.states_changed.emit()

    def _changed_all(self) -> None:
        if self._entries:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._entries) - 1, self.REASON))

    def entry(self, row: int) -> svc.Entry:
        return self._entries[row]

    def row_of(self, project_id: int) -> int | None:
        return next((i for i, e in enumerate(self._entries) if e.project_id == project_id), None)

    def included(self) -> set[int]:
        return {pid for pid, state in self.states.items() if state.included}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.TOOLTIPS.get(section)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsSelectable
        if index.column() not in (self.IN, self.PIN):
            return flags | Qt.ItemFlag.ItemIsEnabled
        # Locked boxes are drawn greyed, so that a read-only scenario (or a running Suggest) shows.
        if not self.read_only:
            flags |= Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        c = entry.candidate
        state = self.states[entry.project_id]
        column = index.column()
        if role == Qt.ItemDataRole.CheckStateRole:
            if column == self.IN:
                return Qt.CheckState.Checked if state.included else Qt.CheckState.Unchecked
            if column == self.PIN:
                return Qt.CheckState.Checked if state.pinned else Qt.CheckState.Unchecked
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(c, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.COST, self.SCORE, self.VALUE, self.BENEFITS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COST and c.cost_note:
                return f"{c.cost_note[0].upper()}{c.cost_note[1:]}."
            if column == self.REASON:
                return self.reasons.get(entry.project_id)
            if column in (self.CODE, self.NAME):
                return self._name_tooltip(c)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.COST and c.cost_note:
            return QBrush(QColor("#8a6d3b"))
        return None

    def _name_tooltip(self, c: an.Candidate) -> str:
        hours = self.hours.get(c.project_id)
        if not hours:
            return f"{c.name}\n\nNo resource demand or allocations in the year."
        roles = ", ".join(f"{role} {h:,.0f} h" for role, h in sorted(hours.items(), key=lambda item: -item[1]))
        return f"{c.name}\n\nAdds in the year: {roles}"

    def _text(self, c: an.Candidate, column: int) -> str:
        if column == self.CODE:
            return c.code
        if column == self.NAME:
            return c.name
        if column == self.STAGE:
            return STAGE_LABELS.get(c.stage, c.stage)
        if column == self.COST:
            return f"{self.currency}{float(c.year_cost):,.0f}"
        if column == self.SCORE:
            return "" if c.score is None else f"{c.score:.2f}"
        if column == self.VALUE:
            return "" if c.value_per_cost is None else f"{c.value_per_cost:.2f}"
        if column == self.BENEFITS:
            return "" if c.benefits is None else f"{self.currency}{float(c.benefits):,.0f}"
        if column == self.REASON:
            return self.reasons.get(c.project_id, "")
        return ""

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,  # noqa: N802
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or self.read_only or index.column() not in (self.IN, self.PIN):
            return False
        project_id = self._entries[index.row()].project_id
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        self.toggle(project_id, index.column(), checked)
        return True

    def toggle(self, project_id: int, column: int, checked: bool) -> None:
        """Tick or clear a candidate's In (``IN``) or Pin (``PIN``) box."""
        state = self.states[project_id]
        if column == self.IN:
            state = svc.EntryState(checked, state.pinned)
        else:
            state = svc.EntryState(state.included, checked)
        self.states[project_id] = state
        row = self.row_of(project_id)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.REASON))
        self.states_changed.emit()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        def key(entry: svc.Entry):
            c, state = entry.candidate, self.states[entry.project_id]
            values = {self.IN: state.included, self.PIN: state.pinned, self.CODE: c.code, self.NAME: c.name.lower(),
                      self.STAGE: c.stage, self.COST: float(c.year_cost), self.SCORE: c.score,
                      self.VALUE: c.value_per_cost, self.BENEFITS: float(c.benefits) if c.benefits else None,
                      self.REASON: self.reasons.get(c.project_id, "")}
            value = values[column]
            return (value is None, value if value is not None else 0)
        self.layoutAboutToBeChanged.emit()
        self._entries.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()


# -- the comparison ---------------------------------------------------------------------------------

class ComparisonDialog(QDialog):
    """Two or more scenarios side by side: figures, then which projects each funds."""

    def __init__(self, comparisons: Sequence[svc.Comparison], currency: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("scenario_comparison")
        self.setWindowTitle("Compare scenarios")
        self.table = QTableWidget(self)
        self.table.setObjectName("comparison_table")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self._fill(comparisons, currency)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(min(260 + 190 * len(comparisons), 1300), 640)

    def _fill(self, comparisons: Sequence[svc.Comparison], currency: str) -> None:
        def money(value: Decimal | None) -> str:
            return "–" if value is None else compact_money(float(value), currency)

        figures = [
            ("Fiscal year", [c.fiscal_year_label for c in comparisons]),
            ("Budget cap", [money(c.scenario.budget_cap) for c in comparisons]),
            ("Cost in year", [money(c.totals.cost) for c in comparisons]),
            ("Headroom", [money(c.totals.headroom) for c in comparisons]),
            ("Cost the year after", [money(c.years[1][1]) if len(c.years) > 1 else "–" for c in comparisons]),
            ("Weighted score", [f"{c.totals.score:.2f}" for c in comparisons]),
            ("Benefits", [money(c.totals.benefits) for c in comparisons]),
            ("Projects in", [str(c.totals.projects) for c in comparisons]),
            ("Roles short", [", ".join(r.role for r in c.short_roles) or "None" for c in comparisons]),
            ("Approved", ["Yes" if c.scenario.approved else "No" for c in comparisons]),
        ]
        codes: dict[int, str] = {}
        for c in comparisons:
            codes.update({pid: c.codes[pid] for pid in c.included})
        projects = sorted(codes.items(), key=lambda item: item[1])
        table = self.table
        table.setColumnCount(len(comparisons))
        table.setRowCount(len(figures) + len(projects))
        table.setHorizontalHeaderLabels([c.scenario.name for c in comparisons])
        labels = [name for name, _ in figures] + [code for _, code in projects]
        table.setVerticalHeaderLabels(labels)
        for row, (_name, values) in enumerate(figures):
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if _name == "Headroom" and comparisons[col].totals.over_cap:
                    item.setForeground(QBrush(QColor(_colours(self)[0])))
                table.setItem(row, col, item)
        for offset, (project_id, _code) in enumerate(projects):
            for col, c in enumerate(comparisons):
                item = QTableWidgetItem("✓ in" if project_id in c.included else "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(len(figures) + offset, col, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        vertical = table.verticalHeader()
        vertical.setDefaultSectionSize(vertical.fontMetrics().height() + 12)
        table.setCurrentCell(-1, -1)


# -- the planner ------------------------------------------------------------------------------------

class ScenarioPlanner(QDialog):
    """Build, compare and approve scenarios (see the module docstring)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("scenario_planner")
        self.setWindowTitle("Scenario planner")
        self.ctx = ctx
        self.view: svc.ScenarioView | None = None
        self._loading = False
        self._dirty = False
        self.suggestion: an.Suggestion | None = None
        self._suggest_task: Task | None = None
        self._refresh_when_idle = False
        self.model = CandidateModel(self)
        self._build()
        self._connect()
        self.resize(1440, 860)
        self.refresh()

    # -- building ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.scenario_list = QListWidget(self)
        self.scenario_list.setObjectName("scenario_list")
        self.scenario_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.new_button = QPushButton("New…", self)
        self.copy_button = QPushButton("Copy…", self)
        self.delete_button = QPushButton("Delete…", self)
        self.compare_button = QPushButton("Compare", self)
        self.compare_button.setToolTip("Select two or more scenarios (Ctrl+click) and compare them side by side")
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Scenarios", left))
        left_layout.addWidget(self.scenario_list, 1)
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        row1.addWidget(self.new_button)
        row1.addWidget(self.copy_button)
        row2.addWidget(self.delete_button)
        row2.addWidget(self.compare_button)
        left_layout.addLayout(row1)
        left_layout.addLayout(row2)

        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("scenario_name")
        self.cap_spin = MoneySpinBox(self)
        self.cap_spin.setObjectName("scenario_cap")
        self.cap_spin.setSingleStep(100_000)
        self.cap_spin.set_currency(self.ctx.currency_symbol)
        self.year_spin = QSpinBox(self)
        self.year_spin.setObjectName("scenario_year")
        self.year_spin.setRange(2000, 2100)
        self.year_label = QLabel(self)
        self.notes_edit = QLineEdit(self)
        self.notes_edit.setObjectName("scenario_notes")
        self.notes_edit.setPlaceholderText("What this scenario assumes, for whoever compares it later")
        self.add_button = QPushButton("Add new candidates", self)
        self.add_button.setToolTip("List the projects at idea, business case, approved or planning that this "
                                   "scenario does not list yet (they start out)")
        self.remove_button = QPushButton("Remove from scenario", self)
        self.remove_button.setObjectName("remove_candidates")
        self.remove_button.setToolTip("Take the selected projects off this scenario's candidates (Delete)")
        self.state_label = QLabel(self)
        self.state_label.setWordWrap(True)
        header = QFormLayout()
        header.addRow("Name:", self.name_edit)
        cap_row = QHBoxLayout()
        cap_row.addWidget(self.cap_spin)
        cap_row.addSpacing(16)
        cap_row.addWidget(QLabel("Fiscal year starting in:", self))
        cap_row.addWidget(self.year_spin)
        cap_row.addWidget(self.year_label)
        cap_row.addStretch(1)
        header.addRow("Budget cap:", cap_row)
        header.addRow("Notes:", self.notes_edit)
        header.addRow("", self.state_label)

        self.table = QTableView(self)
        self.table.setObjectName("candidates_table")
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSortIndicator(CandidateModel.CODE, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        table_header = self.table.horizontalHeader()
        table_header.setHighlightSections(False)
        for i, width in enumerate(CandidateModel.WIDTHS):
            table_header.resizeSection(i, width)
        table_header.setStretchLastSection(True)
        self.remove_action = QAction("Remove from scenario", self.table)
        self.remove_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.undo_action = self.ctx.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.redo_action = self.ctx.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Redo))
        self.addActions([self.undo_action, self.redo_action])
        separator = QAction(self.table)
        separator.setSeparator(True)
        self.table.addActions([self.remove_action, separator, self.undo_action, self.redo_action])
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        self.totals_label = QLabel(self)
        self.totals_label.setObjectName("scenario_totals")
        self.totals_label.setWordWrap(True)
        self.totals_label.setTextFormat(Qt.TextFormat.RichText)
        self.roles_table = QTableWidget(0, 6, self)
        self.roles_table.setObjectName("scenario_roles")
        self.roles_table.setHorizontalHeaderLabels(["Role", "Available", "Committed", "Scenario", "Left", "Load"])
        for col, tip in enumerate(("", "Hours the role's people can work in the year",
                                   "Hours already allocated to projects outside the scenario",
                                   "Hours the projects ticked In demand or have allocated",
                                   "Available minus committed minus scenario (negative: short)",
                                   "Committed and scenario hours as a share of those available")):
            if tip:
                self.roles_table.horizontalHeaderItem(col).setToolTip(tip)
        self.roles_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.roles_table.verticalHeader().hide()
        self.roles_table.verticalHeader().setDefaultSectionSize(self.roles_table.fontMetrics().height() + 8)
        roles_header = self.roles_table.horizontalHeader()
        roles_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        roles_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.roles_table.setToolTip("Hours over the fiscal year: each role's capacity net of holidays and absences, "
                                    "work on projects outside the scenario, and the demand and allocations of "
                                    "the projects ticked In")
        self.explanation = QPlainTextEdit(self)
        self.explanation.setObjectName("suggest_explanation")
        self.explanation.setReadOnly(True)
        self.explanation.setPlaceholderText("Suggest fills the scenario with the highest weighted score that fits "
                                            "the cap, keeping pinned projects, and explains each choice here.")
        roles_box = QGroupBox("Demand per role against capacity (hours in the fiscal year)", self)
        roles_layout = QVBoxLayout(roles_box)
        roles_layout.addWidget(self.roles_table)
        explain_box = QGroupBox("Suggestion", self)
        explain_layout = QVBoxLayout(explain_box)
        explain_layout.addWidget(self.explanation)
        lower = QSplitter(Qt.Orientation.Horizontal, self)
        lower.addWidget(roles_box)
        lower.addWidget(explain_box)
        lower.setSizes([640, 520])

        self.suggest_button = QPushButton("Suggest", self)
        self.suggest_button.setToolTip("Fill the scenario with the best value under the cap (pins are kept)")
        self.revert_button = QPushButton("Revert", self)
        self.save_button = QPushButton("Save", self)
        self.save_button.setProperty("primary", True)
        self.approve_button = QPushButton("Approve…", self)
        self.approve_button.setToolTip("Approve the saved scenario: its proposals move to their next stage")
        self.close_button = QPushButton("Close", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.suggest_button)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        for button in (self.revert_button, self.save_button, self.approve_button, self.close_button):
            buttons.addWidget(button)

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(header)
        content = QSplitter(Qt.Orientation.Vertical, right)
        content.addWidget(self.table)
        bottom = QWidget(content)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.totals_label)
        bottom_layout.addWidget(lower, 1)
        content.addWidget(bottom)
        content.setSizes([480, 300])
        right_layout.addWidget(content, 1)
        right_layout.addLayout(buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([230, 1190])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        self.scenario_list.currentItemChanged.connect(self._on_scenario_list_current_item_changed)
        self.new_button.clicked.connect(self.new_scenario)
        self.copy_button.clicked.connect(self.copy_scenario)
        self.delete_button.clicked.connect(self.delete_scenario)
        self.compare_button.clicked.connect(self.compare)
        self.suggest_button.clicked.connect(self.suggest)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(lambda: self.show_scenario(self.scenario_id))
        self.approve_button.clicked.connect(self.approve)
        self.close_button.clicked.connect(self.reject)
        self.model.states_changed.connect(self._on_edited)
        self.name_edit.textEdited.connect(lambda _t: self._on_edited())
        self.notes_edit.textEdited.connect(lambda _t: self._on_edited())
        self.add_button.clicked.connect(self.add_candidates)
        self.remove_button.clicked.connect(self.remove_candidates)
        self.remove_action.triggered.connect(self.remove_candidates)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_remove())
        self.cap_spin.valueChanged.connect(lambda _v: self._on_edited())
        self.year_spin.valueChanged.connect(lambda _v: self._on_year_changed())
        self.ctx.data_changed.connect(self._on_data_changed)

    # -- reading -----------------------------------------------------------------------------------
    @property
    def scenario_id(self) -> int | None:
        return self.view.scenario.id if self.view else None

    @property
    def is_dirty(self) -> bool:
        return self._dirty

    @property
    def is_busy(self) -> bool:
        """Suggest is running in the background."""
        return self._suggest_task is not None

    def selected_candidates(self) -> list[int]:
        """Project ids of the candidate rows selected in the table, in table order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.entry(row).project_id for row in rows]

    def refresh(self, select: int | None = None) -> None:
        """Read the scenario list again and show ``select`` (or the one shown, or the first)."""
        wanted = select if select is not None else self.scenario_id
        listed = self.ctx.read(svc.scenarios)
        self.scenario_list.blockSignals(True)
        try:
            self.scenario_list.clear()
            for s in listed:
                item = QListWidgetItem(f"{s.name}{'  ✓ approved' if s.approved else ''}", self.scenario_list)
                item.setData(Qt.ItemDataRole.UserRole, s.id)
                item.setToolTip(s.notes or s.name)
        finally:
            self.scenario_list.blockSignals(False)
        ids = [s.id for s in listed]
        target = wanted if wanted in ids else (ids[0] if ids else None)
        if target is not None:
            self.scenario_list.setCurrentRow(ids.index(target))
        self.show_scenario(target)

    def show_scenario(self, scenario_id: int | None) -> None:
        """Show a stored scenario (dropping unsaved edits); None empties the planner."""
        self.view = self.ctx.read(svc.scenario_view, scenario_id) if scenario_id is not None else None
        self.suggestion = None
        self._loading = True
        try:
            view = self.view
            self.model.currency = self.ctx.currency_symbol
            self.model.set_entries(view.entries if view else (), read_only=bool(view and view.scenario.approved),
                                   hours=view.resources.added if view else None)
            self.name_edit.setText(view.scenario.name if view else "")
            self.notes_edit.setText(view.scenario.notes or "" if view else "")
            self.cap_spin.set_amount(view.scenario.budget_cap if view else None)
            self.year_spin.setValue(view.fiscal_year if view else 2000)
            self.explanation.clear()
        finally:
            self._loading = False
        self._set_dirty(False)
        self._update_figures()

    # -- live figures ------------------------------------------------------------------------------
    def _on_edited(self) -> None:
        if self._loading or self.view is None:
            return
        self._set_dirty(self._differs())
        self._update_figures()

    def _differs(self) -> bool:
        view = self.view
        stored = {e.project_id: svc.EntryState(e.included, e.pinned) for e in view.entries}
        return (stored != self.model.states or self.name_edit.text().strip() != view.scenario.name
                or (self.notes_edit.text().strip() or None) != view.scenario.notes
                or self.cap_spin.amount() != view.scenario.budget_cap or self.year_spin.value() != view.fiscal_year)

    def _on_year_changed(self) -> None:
        if self._loading or self.view is None:
            return
        # Costs and hours depend on the year: re-read them for the new year, keeping the boxes ticked.
        states = dict(self.model.states)
        year = self.year_spin.value()
        self.view = self.ctx.read(_view_for_year, self.view.scenario.id, year)
        self._loading = True
        try:
            self.model.set_entries(self.view.entries, read_only=self.view.scenario.approved,
                                   hours=self.view.resources.added)
            self.model.states = {pid: states.get(pid, s) for pid, s in self.model.states.items()}
        finally:
            self._loading = False
        self._on_edited()

    def current_totals(self) -> an.ScenarioTotals:
        """Totals of the projects ticked In, against the cap on screen."""
        chosen = self.view.chosen(self.model.included()) if self.view else []
        return an.totals(chosen, self.cap_spin.amount())

    def _update_figures(self) -> None:
        view = self.view
        editable = view is not None and not view.scenario.approved and not self.is_busy
        for widget in (self.name_edit, self.notes_edit, self.cap_spin, self.year_spin, self.add_button):
            widget.setEnabled(editable)
        cancelling = self.is_busy and self._suggest_task.progress.cancelled
        self.suggest_button.setEnabled((editable or self.is_busy) and not cancelling)
        self.approve_button.setEnabled(editable and not self._dirty)
        self.copy_button.setEnabled(view is not None and not self.is_busy)
        self.delete_button.setEnabled(view is not None and not self.is_busy)
        self._update_remove()
        if view is None:
            self.totals_label.setText("No scenario yet: press New… to start one.")
            self.state_label.clear()
            self.year_label.clear()
            self.roles_table.setRowCount(0)
            return
        self.year_label.setText(an.fiscal_year_label(self.year_spin.value(), view.start_month))
        s = view.scenario
        if s.approved:
            when = f" on {s.approved_at:%d %b %Y}" if s.approved_at else ""
            self.state_label.setText(f"Approved by {s.approved_by or 'unknown'}{when}: read-only. "
                                     "Copy it to plan further.")
        else:
            self.state_label.setText("Unsaved changes" if self._dirty else f"Saved · version {s.version}")
        self.totals_label.setText(totals_text(self.current_totals(), self.ctx.currency_symbol, _colours(self))
                                  + "<br>" + years_text(view.cost_by_year(self.model.included()), view.start_month,
                                                        self.ctx.currency_symbol))
        self._show_roles(view.resources.loads(self.model.included()))

    def _show_roles(self, loads: list[an.RoleLoad]) -> None:
        table = self.roles_table
        table.setRowCount(len(loads))
        for row, load in enumerate(loads):
            level = "–" if load.load is None else f"{load.load * 100:.0f}%"
            cells = (load.role, f"{load.available:,.0f}", f"{load.committed:,.0f}", f"{load.added:,.0f}",
                     f"{load.remaining:,.0f}", level)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if load.short and col in (4, 5):
                    item.setForeground(QBrush(QColor(_colours(self)[0])))
                    item.setToolTip(f"{load.role} is {-load.remaining:,.0f} hours short over the year")
                table.setItem(row, col, item)

    # -- actions -----------------------------------------------------------------------------------
    def suggest(self) -> Task | None:
        """Work out the best set under the cap in the background; pressed again, cancel it.

        When it finishes, the best set is ticked on screen (pins kept) and explained; nothing is
        saved until Save. Returns the running task (None when cancelling or not started).
        """
        if self._suggest_task is not None:
            self._suggest_task.cancel()
            self.suggest_button.setText("Cancelling…")
            self.suggest_button.setEnabled(False)
            return None
        if self.view is None or self.view.scenario.approved:
            return None
        cap = self.cap_spin.amount()
        if cap is None:
            QMessageBox.information(self, "Suggest", "Set a budget cap first: Suggest fills the scenario up to it.")
            return None
        states = self.model.states
        pinned_in = {pid for pid, s in states.items() if s.pinned and s.included}
        pinned_out = {pid for pid, s in states.items() if s.pinned and not s.included}
        cands = [e.candidate for e in self.view.entries]
        currency = self.ctx.currency_symbol

        def work(progress) -> an.Suggestion:
            try:
                return an.suggest(cands, cap, pinned_in, pinned_out, currency,
                                  stop=lambda: progress.cancelled, report=lambda done, total: progress.report(done, total))
            except an.Cancelled:
                raise Cancelled() from None

        self._suggest_task = task = run_in_background(work, on_done=self._on_suggested, on_error=self._on_suggest_failed,
                                                      on_cancelled=self._on_suggest_cancelled, parent=self)
        task.progressed.connect(self._on_suggest_progressed)
        self._set_busy(True)
        return task

    def _on_suggest_progressed(self, done: int, total: int, _text: str) -> None:
        if self._suggest_task is not None and not self._suggest_task.progress.cancelled and total:
            self.suggest_button.setText(f"Cancel Suggest ({done * 100 // total}%)")

    def _on_suggested(self, result: an.Suggestion) -> None:
        self._set_busy(False)
        chosen = set(result.chosen)
        self.suggestion = result
        self.model.set_states({pid: svc.EntryState(pid in chosen, s.pinned) for pid, s in self.model.states.items()},
                              {r.project_id: r.text for r in result.reasons})
        # What was left out (and why) first: that is what a reader questions.
        lines = [result.summary, *result.warnings, ""]
        lines += [f"{r.code}: {r.text}" for r in result.reasons if not r.included]
        lines += [""] + [f"{r.code}: {r.text}" for r in result.reasons if r.included]
        self.explanation.setPlainText("\n".join(lines))

    def _on_suggest_cancelled(self) -> None:
        self._set_busy(False)
        self.explanation.setPlainText("Suggest was cancelled: the scenario is as it was.")

    def _on_suggest_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.explanation.clear()
        if isinstance(exc, ServiceError):
            show_error(self, exc, title="No suggestion")
        else:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def _set_busy(self, busy: bool) -> None:
        """Lock the scenario while Suggest runs, and turn its button into Cancel."""
        if not busy:
            self._suggest_task = None
        self.suggest_button.setText("Cancel Suggest" if busy else "Suggest")
        self.suggest_button.setToolTip("Stop working out the suggestion; the scenario stays as it is" if busy else
                                       "Fill the scenario with the best value under the cap (pins are kept)")
        if busy:
            self.explanation.setPlainText("Working out the best set under the cap… The scenario cannot be "
                                          "edited meanwhile; press Cancel Suggest to stop.")
        for widget in (self.scenario_list, self.new_button, self.copy_button, self.delete_button,
                       self.compare_button):
            widget.setEnabled(not busy)
        self.model.set_read_only(busy or bool(self.view and self.view.scenario.approved))
        self._set_dirty(self._dirty)
        self._update_figures()
        if not busy and self._refresh_when_idle:
            self._refresh_when_idle = False
            self._on_data_changed("*")

    def save(self) -> bool:
        """Write the name, cap, year and the In/Pin boxes in one transaction; True when saved."""
        view = self.view
        if view is None or view.scenario.approved:
            return False
        changes = {"name": self.name_edit.text(), "budget_cap": self.cap_spin.amount(),
                   "fiscal_year": self.year_spin.value(), "notes": self.notes_edit.text()}
        try:
            save_scenario(self.ctx, view.scenario.id, changes, dict(self.model.states), view.scenario.version)
        except ConflictError as exc:
            QMessageBox.information(self, "Scenario changed",
                                    f"{exc} Its stored version is shown now; make your changes again.")
            self.refresh(view.scenario.id)
            return False
        except ServiceError as exc:
            show_error(self, exc)
            return False
        reasons = dict(self.model.reasons)
        self.refresh(view.scenario.id)
        self.model.reasons = reasons
        return True

    def add_candidates(self) -> int:
        """List the candidate-stage projects the scenario lacks (saved at once); return how many were added."""
        if self.view is None or self.view.scenario.approved or not self._confirm_leave():
            return 0
        view = self.view
        listed = {e.project_id for e in view.entries}
        new = [row[0] for row in self.ctx.read(svc.candidate_projects, listed)]
        if not new:
            QMessageBox.information(self, "Add new candidates", "Every project at idea, business case, approved "
                                    "or planning is already listed in this scenario.")
            return 0
        try:
            self.ctx.write(svc.add_candidates, view.scenario.id, new, view.scenario.version, entity="scenario")
        except ServiceError as exc:
            show_error(self, exc)
            return 0
        self.refresh(view.scenario.id)
        return len(new)

    def remove_candidates(self) -> int:
        """Take the selected candidates off the scenario (saved at once, undoable); return how many."""
        ids = self.selected_candidates()
        if self.view is None or self.view.scenario.approved or self.is_busy or not ids:
            return 0
        codes = [self.model.entry(self.model.row_of(pid)).candidate.code for pid in ids]
        if not self._confirm_leave():
            return 0
        view = self.view
        try:
            remove_candidates(self.ctx, view.scenario.id, ids, codes, view.scenario.version)
        except ConflictError as exc:
            QMessageBox.information(self, "Scenario changed", f"{exc} It is shown as stored now.")
            self.refresh(view.scenario.id)
            return 0
        except ServiceError as exc:
            show_error(self, exc)
            return 0
        self.refresh(view.scenario.id)
        return len(ids)

    def new_scenario(self) -> int | None:
        name, ok = QInputDialog.getText(self, "New scenario", "Name of the new scenario:")
        if not ok or not self._confirm_leave():
            return None
        year = self.ctx.read(svc.current_fiscal_year)
        try:
            scenario_id = self.ctx.write(svc.create_scenario, {"name": name, "fiscal_year": year}, entity="scenario")
        except ValidationError as exc:
            show_error(self, exc)
            return None
        self.refresh(scenario_id)
        return scenario_id

    def copy_scenario(self) -> int | None:
        if self.view is None:
            return None
        name, ok = QInputDialog.getText(self, "Copy scenario", "Name of the copy:",
                                        text=f"{self.view.scenario.name} (copy)")
        if not ok or not self._confirm_leave():
            return None
        try:
            scenario_id = self.ctx.write(svc.copy_scenario, self.view.scenario.id, name, entity="scenario")
        except ServiceError as exc:
            show_error(self, exc)
            return None
        self.refresh(scenario_id)
        return scenario_id

    def delete_scenario(self) -> bool:
        view = self.view
        if view is None:
            return False
        extra = " Projects it moved keep their stages." if view.scenario.approved else ""
        answer = QMessageBox.question(self, "Delete scenario", f"Delete scenario “{view.scenario.name}”?{extra}",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self.ctx.write(svc.delete_scenario, view.scenario.id, view.scenario.version, entity="scenario")
        except ServiceError as exc:
            show_error(self, exc)
        self.view = None
        self.refresh()
        return True

    def selected_ids(self) -> list[int]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.scenario_list.selectedItems()]

    def compare(self) -> ComparisonDialog | None:
        """Compare the scenarios selected in the list side by side."""
        ids = self.selected_ids()
        if len(ids) < 2:
            QMessageBox.information(self, "Compare scenarios",
                                    "Select two or more scenarios in the list (Ctrl+click), then press Compare.")
            return None
        dialog = ComparisonDialog(self.ctx.read(svc.compare, ids), self.ctx.currency_symbol, self)
        dialog.show()
        return dialog

    def approve(self) -> svc.Approval | None:
        """Ask, then approve the saved scenario: its chosen proposals move to their next stage."""
        view = self.view
        if view is None or view.scenario.approved:
            return None
        if self._dirty:
            QMessageBox.information(self, "Approve scenario", "Save your changes first: approval uses the saved "
                                                               "scenario.")
            return None
        proposals = [e.candidate for e in view.entries if e.included and e.candidate.stage in svc.PROPOSAL_STAGES]
        totals = view.totals()
        moving = ", ".join(c.code for c in proposals) or "none"
        over = "\n\nThe scenario is over its cap." if totals.over_cap else ""
        answer = QMessageBox.question(
            self, "Approve scenario",
            f"Approve “{view.scenario.name}”: {totals.projects} projects costing "
            f"{compact_money(float(totals.cost), self.ctx.currency_symbol)} in {view.fiscal_year_label}?\n\n"
            f"Proposals moving to their next stage: {moving}.\n\nThe scenario becomes read-only.{over}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return None
        try:
            approval = approve_scenario(self.ctx, view.scenario.id, view.scenario.name, view.scenario.version)
        except ConflictError as exc:
            QMessageBox.information(self, "Scenario changed", f"{exc} It is shown as stored now.")
            self.refresh(view.scenario.id)
            return None
        except ServiceError as exc:
            show_error(self, exc, title="Scenario not approved")
            return None
        self.refresh(view.scenario.id)
        moved = "\n".join(f"• {m.code}: {STAGE_LABELS.get(m.from_stage)} → {STAGE_LABELS.get(m.to_stage)}"
                          for m in approval.moves) or "No proposals needed to move."
        QMessageBox.information(self, "Scenario approved", f"“{view.scenario.name}” is approved.\n\n{moved}\n\n"
                                "Edit > Undo withdraws the approval while these projects are unchanged.")
        return approval

    # -- state -------------------------------------------------------------------------------------
    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        self.save_button.setEnabled(dirty and not self.is_busy)
        self.revert_button.setEnabled(dirty and not self.is_busy)

    def _confirm_leave(self) -> bool:
        if not self._dirty:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save your changes to “{self.view.scenario.name}”?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _on_scenario_list_current_item_changed(self, current: QListWidgetItem | None, _previous) -> None:
        scenario_id = current.data(Qt.ItemDataRole.UserRole) if current else None
        if scenario_id == self.scenario_id:
            return
        if not self._confirm_leave():
            self.refresh(self.scenario_id)
            return
        self.show_scenario(scenario_id)

    def _on_data_changed(self, entity: str) -> None:
        # Someone else's edits (or undo elsewhere) show when nothing here is unsaved.
        if entity not in _REFRESH_ON:
            return
        if self.is_busy:
            self._refresh_when_idle = True  # not under a running Suggest: it works on what is shown
        elif self.isVisible() and not self._dirty:
            self.refresh()

    def _update_remove(self) -> None:
        view = self.view
        allowed = view is not None and not view.scenario.approved and not self.is_busy
        enabled = allowed and self.table.selectionModel().hasSelection()
        self.remove_button.setEnabled(enabled)
        self.remove_action.setEnabled(enabled)

    def reject(self) -> None:
        """Close the planner; a running Suggest is cancelled."""
        if self._suggest_task is not None:
            self._suggest_task.cancel()
        super().reject()


def _view_for_year(session, scenario_id: int, fiscal_year: int) -> svc.ScenarioView:
    """The scenario's view costed in another fiscal year than the stored one."""
    view = svc.scenario_view(session, scenario_id)
    if view.fiscal_year == fiscal_year:
        return view
    ids = [e.project_id for e in view.entries]
    cands = {c.project_id: c for c in an.candidates(session, ids, fiscal_year, view.start_month)}
    entries = tuple(svc.Entry(cands[e.project_id], e.included, e.pinned) for e in view.entries)
    return svc.ScenarioView(view.scenario, fiscal_year, view.start_month, entries,
                            an.resource_base(session, ids, fiscal_year, view.start_month))


def years_text(years: Sequence[tuple[int, Decimal]], start_month: int, currency: str) -> str:
    """Cost per fiscal year of the projects in, from the scenario's own year."""
    parts = [f"{an.fiscal_year_label(year, start_month)} {compact_money(float(cost), currency)}" for year, cost in years]
    return "Cost by fiscal year: " + " · ".join(parts)


def totals_text(totals: an.ScenarioTotals, currency: str,
                colours: tuple[str, str] = (SHORT_COLOURS[0], OK_COLOURS[0])) -> str:
    """The live totals line: cost against the cap, score, benefits, projects; ``colours`` are (over, left)."""
    def money(value: Decimal) -> str:
        return compact_money(float(value), currency)

    parts = [f"<b>{totals.projects}</b> projects in"]
    if totals.cap is None:
        parts.append(f"cost in year <b>{money(totals.cost)}</b> (no cap set)")
    else:
        colour = colours[0] if totals.over_cap else colours[1]
        word = "over" if totals.over_cap else "left"
        parts.append(f"cost in year <b>{money(totals.cost)}</b> of the {money(totals.cap)} cap "
                     f"(<span style='color:{colour}'>{money(abs(totals.headroom))} {word}</span>)")
    parts.append(f"weighted score <b>{totals.score:.2f}</b>")
    if totals.benefits is not None:
        parts.append(f"benefits <b>{money(totals.benefits)}</b>")
    if totals.unscored:
        parts.append(f"{totals.unscored} unscored")
    return " · ".join(parts)
