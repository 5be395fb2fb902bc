"""The "What changed" dialog: what moved in the portfolio between two reporting periods.

Two period pickers (defaults: the latest period against the one before) and a tab per section —
RAG moves, slipped milestones, cost movements, new and closed projects, newly escalated RAID
items — each a table. The figures come from ``analytics.changes.what_changed``, the function the
executive pack uses too. Double-clicking a row that names a project emits ``project_chosen``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...analytics.changes import Changes, reporting_periods, what_changed
from ..context import AppContext
from ..models.row_table_model import Column, Kind, RowTableModel

_ESCALATION_LABELS = {"project": "Project", "programme": "Programme", "portfolio": "Portfolio"}

SECTIONS: dict[str, tuple[str, tuple[Column, ...]]] = {
    "rag": ("RAG moves", (
        Column("code", "Code", width=90), Column("name", "Project", width=240),
        Column("before", "Before", Kind.RAG, width=70), Column("after", "After", Kind.RAG, width=70),
        Column("direction", "Direction", width=90))),
    "slips": ("Slipped milestones", (
        Column("code", "Code", width=90), Column("name", "Project", width=200),
        Column("milestone", "Milestone", width=200), Column("before", "Was due", Kind.DATE, width=100),
        Column("after", "Now due", Kind.DATE, width=100), Column("days", "Slip (days)", Kind.INT, width=80))),
    "costs": ("Cost movements", (
        Column("code", "Code", width=90), Column("name", "Project", width=200),
        Column("measure", "Measure", width=110), Column("before", "Before", Kind.MONEY, width=110),
        Column("after", "After", Kind.MONEY, width=110), Column("change", "Change", Kind.MONEY, width=110),
        Column("pct", "Change %", Kind.PERCENT, width=80, decimals=1))),
    "projects": ("New / closed projects", (
        Column("code", "Code", width=90), Column("name", "Project", width=260),
        Column("change", "Change", width=140))),
    "escalations": ("Newly escalated", (
        Column("code", "Project", width=90), Column("ref", "Ref", width=80), Column("title", "Title", width=280),
        Column("before", "From", width=100, labels=_ESCALATION_LABELS),
        Column("after", "To", width=100, labels=_ESCALATION_LABELS))),
}


def index_of_data(combo: QComboBox, value) -> int:
    """The index of the item whose data is ``value`` (-1: none); ``findData`` does not match dates."""
    for i in range(combo.count()):
        if combo.itemData(i) == value:
            return i
    return -1


def section_rows(changes: Changes) -> dict[str, list[tuple]]:
    """Each section's rows, the project id first (None for portfolio-level items)."""
    projects = [(p.project_id, p.project_code, p.project_name, f"New ({p.detail})") for p in changes.new_projects]
    projects += [(p.project_id, p.project_code, p.project_name, p.detail.capitalize()) for p in changes.closed_projects]
    return {
        "rag": [(m.project_id, m.project_code, m.project_name, m.before, m.after, m.direction.capitalize())
                for m in changes.moves],
        "slips": [(s.project_id, s.project_code, s.project_name, s.milestone, s.before, s.after, s.days)
                  for s in changes.slips],
        "costs": [(c.project_id, c.project_code, c.project_name, c.measure.capitalize(), float(c.before),
                   float(c.after), float(c.change), None if c.pct is None else c.pct / 100) for c in changes.cost_moves],
        "projects": projects,
        "escalations": [(e.project_id, e.project_code, e.ref, e.title, e.before, e.after)
                        for e in changes.escalations],
    }


class ChangesDialog(QDialog):
    """What changed between two reporting periods, a table per section."""

    project_chosen = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 periods: Sequence[dt.date] | None = None):
        super().__init__(parent)
        self.setObjectName("changes_dialog")
        self.setWindowTitle("What changed")
        self.ctx = ctx
        self.periods = list(periods) if periods is not None else ctx.read(reporting_periods)
        self.changes: Changes | None = None

        self.since_combo = QComboBox(self)
        self.since_combo.setObjectName("changes_since")
        self.until_combo = QComboBox(self)
        self.until_combo.setObjectName("changes_until")
        for combo in (self.since_combo, self.until_combo):
            for period in self.periods:
                combo.addItem(f"{period:%d %b %Y}", period)
        if self.periods:
            self.until_combo.setCurrentIndex(0)
            self.since_combo.setCurrentIndex(min(1, len(self.periods) - 1))
        self.summary = QLabel(self)
        self.summary.setObjectName("changes_summary")
        self.summary.setWordWrap(True)

        pickers = QHBoxLayout()
        pickers.addWidget(QLabel("From the period ending", self))
        pickers.addWidget(self.since_combo)
        pickers.addWidget(QLabel("to the period ending", self))
        pickers.addWidget(self.until_combo)
        pickers.addStretch(1)

        self.tabs = QTabWidget(self)
        self.models: dict[str, RowTableModel] = {}
        self.tables: dict[str, QTableView] = {}
        for key, (_title, columns) in SECTIONS.items():
            model = RowTableModel(columns, self, currency=ctx.currency_symbol)
            table = QTableView(self)
            table.setObjectName(f"changes_{key}")
            table.setModel(model)
            table.setAlternatingRowColors(True)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSortingEnabled(False)
            table.setWordWrap(False)
            table.verticalHeader().hide()
            table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
            header = table.horizontalHeader()
            header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            header.setStretchLastSection(True)
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            for i, column in enumerate(columns):
                header.resizeSection(i, column.width)
            table.doubleClicked.connect(lambda index, m=model: self._choose(m, index.row()))
            self.models[key] = model
            self.tables[key] = table
            self.tabs.addTab(table, _title)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        hint = QLabel("Double-click a row to select its project in the Portfolio tab.", self)
        hint.setProperty("role", "hint")

        layout = QVBoxLayout(self)
        layout.addLayout(pickers)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        self.resize(900, 520)

        self.since_combo.currentIndexChanged.connect(self.refresh)
        self.until_combo.currentIndexChanged.connect(self.refresh)
        self.refresh()

    def set_periods(self, since: dt.date, until: dt.date) -> None:
        """Compare the period ending ``since`` with the one ending ``until``."""
        for combo, period in ((self.since_combo, since), (self.until_combo, until)):
            i = index_of_data(combo, period)
            if i >= 0:
                combo.blockSignals(True)
                combo.setCurrentIndex(i)
                combo.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        since, until = self.since_combo.currentData(), self.until_combo.currentData()
        if since is None or until is None or since == until:
            self.changes = None
            for model in self.models.values():
                model.set_rows([])
            self.summary.setText("Choose two different reporting periods to compare." if self.periods
                                 else "There are no status reports yet: nothing to compare.")
            self._title_tabs()
            return
        self.changes = self.ctx.read(what_changed, since, until, self.ctx.settings)
        for key, rows in section_rows(self.changes).items():
            self.models[key].set_rows(rows)
        c = self.changes
        self.summary.setText(
            f"Period ending {c.latest:%d %b %Y} against {c.previous:%d %b %Y}: {len(c.moves)} RAG moves "
            f"({c.worsened} worse, {c.improved} better) among {c.compared} projects reported in both; "
            f"costs listed when they moved by {c.cost_threshold_pct:g}% or more; audit-trail changes "
            f"from {c.previous + dt.timedelta(days=1):%d %b} to {c.latest:%d %b %Y}.")
        self._title_tabs()

    def _title_tabs(self) -> None:
        for i, (key, (title, _columns)) in enumerate(SECTIONS.items()):
            self.tabs.setTabText(i, f"{title} ({self.models[key].rowCount()})")

    def _choose(self, model: RowTableModel, view_row: int) -> None:
        project_id = model.row_id(view_row)
        if project_id is not None:
            self.project_chosen.emit(project_id)
