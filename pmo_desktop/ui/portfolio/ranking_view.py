"""The ranking window: proposals and active projects ranked by weighted strategic score.

Rows are ``services.scoring.ranking`` (one SQL query with the rank as a window function); a
RowTableModel sorts and filters them. A choice shows proposals, active projects or both; rows
scored on fewer criteria than exist are marked, because their missing scores count as 0.
Double-clicking a row emits ``project_chosen`` so that the Portfolio tab selects that project.
The window follows score, criterion and project edits while it is open.
"""

from __future__ import annotations

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
    QVBoxLayout,
    QWidget,
)

from ...services import scoring
from ..context import AppContext
from ..models.row_table_model import Column, Kind, RowTableModel
from .project_panel import STAGE_LABELS

_REFRESH_ON = frozenset({"project", "project_score", "strategic_criterion", "*"})


def _scored_tooltip(row: tuple) -> str | None:
    scored, total = row[7], row[8]
    if scored >= total:
        return None
    return f"Scored on {scored} of {total} criteria: the others count as 0."


RANKING_COLUMNS: tuple[Column, ...] = (
    Column("rank", "Rank", Kind.INT, width=62, tooltip="Rank within proposals or within active projects"),
    Column("group", "Group", width=76, labels=scoring.GROUP_LABELS),
    Column("code", "Code", width=85),
    Column("name", "Name", width=240),
    Column("stage", "Stage", width=100, labels=STAGE_LABELS),
    Column("programme", "Programme", width=170),
    Column("weighted_score", "Score", Kind.NUMBER, width=60, decimals=2,
           tooltip="Weighted strategic score, 0 to 5: sum of score × weight over the sum of every weight"),
    Column("scored", "Scored", Kind.INT, width=66, describe=_scored_tooltip,
           tooltip="How many criteria the project is scored on"),
    Column("criteria", "Criteria", Kind.INT, width=70),
    Column("budget", "Budget", Kind.MONEY, width=110),
    Column("value", "Score per million", Kind.NUMBER, width=135, decimals=2,
           tooltip="Weighted score per million of budget: value for money"),
    Column("rag", "RAG", Kind.RAG, width=60),
)

_POS = {c.key: i + 1 for i, c in enumerate(RANKING_COLUMNS)}


def ranking_rows(rows: list[scoring.RankingRow]) -> list[tuple]:
    """Ranking rows as table tuples (id first), with the score per million of budget."""
    result = []
    for r in rows:
        value = r.weighted_score / (float(r.budget) / 1_000_000) if r.weighted_score is not None and r.budget else None
        result.append((r.id, r.rank, r.group, r.code, r.name, r.stage, r.programme, r.weighted_score, r.scored,
                       r.criteria, r.budget, value, r.rag))
    return result


class RankingView(QDialog):
    """Proposals and active projects, best weighted score first."""

    #: A row was double-clicked: the project's id.
    project_chosen = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ranking_view")
        self.setWindowTitle("Ranking by strategic score")
        self.ctx = ctx
        self.model = RowTableModel(RANKING_COLUMNS, self, currency=ctx.currency_symbol)
        self.table = QTableView(self)
        self.group_combo = QComboBox(self)
        self.group_combo.setObjectName("ranking_group")
        self.summary_label = QLabel(self)
        self.summary_label.setProperty("role", "hint")
        self.summary_label.setWordWrap(True)
        self._build()
        self.ctx.data_changed.connect(self._on_data_changed)
        self.ctx.settings_changed.connect(self.refresh)
        self.resize(1280, 660)
        self.refresh()

    def _build(self) -> None:
        for text, value in (("Proposals and active projects", None), ("Proposals", scoring.PROPOSAL),
                            ("Active projects", scoring.ACTIVE)):
            self.group_combo.addItem(text, value)
        self.group_combo.currentIndexChanged.connect(lambda _i: self._apply_group())
        table = self.table
        table.setObjectName("ranking_table")
        table.setModel(self.model)
        table.setAlternatingRowColors(True)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
        header = table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for i, column in enumerate(RANKING_COLUMNS):
            header.resizeSection(i, column.width)
        header.setSectionResizeMode(RANKING_COLUMNS.index(next(c for c in RANKING_COLUMNS if c.key == "name")),
                                    QHeaderView.ResizeMode.Stretch)
        header.sortIndicatorChanged.connect(self.model.sort)
        table.doubleClicked.connect(self._on_table_double_clicked)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show:", self))
        top.addWidget(self.group_combo)
        top.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary_label)
        layout.addWidget(buttons)

    def refresh(self) -> None:
        """Read the ranking again, keeping the group shown and the sort."""
        self.model.currency = self.ctx.currency_symbol
        rows = ranking_rows(self.ctx.read(scoring.ranking))
        self.model.set_rows(rows)
        self._apply_group()

    def _apply_group(self) -> None:
        group = self.group_combo.currentData()
        position = _POS["group"]
        self.model.set_predicate(None if group is None else (lambda row: row[position] == group))
        shown = self.model.visible_rows()
        scored = sum(1 for r in shown if r[_POS["weighted_score"]] is not None)
        partial = sum(1 for r in shown if r[_POS["weighted_score"]] is not None and r[_POS["scored"]] < r[_POS["criteria"]])
        text = f"{len(shown)} projects, {scored} scored"
        if partial:
            text += f", {partial} on only some criteria (the missing scores count as 0)"
        self.summary_label.setText(text + ". Double-click a project to select it in the Portfolio tab; "
                                          "score it in its Strategic score tab.")

    def _on_table_double_clicked(self, index) -> None:
        project_id = self.model.row_id(index.row())
        if project_id is not None:
            self.project_chosen.emit(project_id)

    def _on_data_changed(self, entity: str) -> None:
        if entity in _REFRESH_ON and self.isVisible():
            self.refresh()
