"""The decisions log: one row per gate review, decisions coloured, conditions that fell overdue in red."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ...model.enums import Decision
from ...services.governance import ReviewRow
from ..models.row_table_model import Column, Kind, RowTableModel
from ..theme import RAG_COLOURS

DECISION_LABELS = {d.value: d.label for d in Decision}

# Fill and text colours per decision: approved green, with conditions amber, deferred grey, rejected red.
DECISION_COLOURS: dict[str, tuple[str, str]] = {
    Decision.APPROVED.value: (RAG_COLOURS["G"], "#ffffff"),
    Decision.APPROVED_WITH_CONDITIONS.value: (RAG_COLOURS["A"], "#1f1f1f"),
    Decision.DEFERRED.value: ("#b8bec6", "#1f1f1f"),
    Decision.REJECTED.value: (RAG_COLOURS["R"], "#ffffff"),
}
OVERDUE_COLOUR = "#c0392b"

COLUMNS = (
    Column("review_date", "Date", Kind.DATE, 90),
    Column("project_code", "Project", Kind.TEXT, 70),
    Column("project_name", "Project name", Kind.TEXT, 124),
    Column("gate", "Gate", Kind.TEXT, 146),
    Column("decision", "Decision", Kind.TEXT, 170, labels=DECISION_LABELS),
    Column("criteria", "Criteria", Kind.NUMBER, 70,
           tooltip="Criteria met out of the gate's criteria (sorts by the share met)"),
    Column("open_conditions", "Open", Kind.INT, 54, tooltip="Conditions of the decision not yet met"),
    Column("overdue_conditions", "Overdue", Kind.INT, 72, tooltip="Open conditions past their due date"),
    Column("transition", "Stage move", Kind.TEXT, 170),
    Column("decided_by", "Decided by", Kind.TEXT, 140),
    Column("reviewers", "Reviewers", Kind.TEXT, 200),
)
COL_DATE, COL_PROJECT, COL_NAME, COL_GATE, COL_DECISION, COL_CRITERIA, COL_OPEN, COL_OVERDUE = range(8)
COL_MOVE, COL_DECIDED_BY, COL_REVIEWERS = 8, 9, 10
# Past the shown columns each tuple carries criteria met and total, for the "4 / 6" text.
_MET_POS, _TOTAL_POS = len(COLUMNS) + 1, len(COLUMNS) + 2


def model_rows(rows: Iterable[ReviewRow]) -> list[tuple]:
    """Tuples for the model: id, the shown columns, then criteria met and total."""
    return [
        (r.id, r.review_date, r.project_code, r.project_name, r.gate, r.decision,
         (r.criteria_met / r.criteria_total) if r.criteria_total else None, r.open_conditions,
         r.overdue_conditions, r.transition, r.decided_by, r.reviewers, r.criteria_met, r.criteria_total)
        for r in rows
    ]


class GateReviewTableModel(RowTableModel):
    """RowTableModel with decision colours, "met / total" criteria and overdue conditions in red."""

    def __init__(self, parent=None):
        super().__init__(COLUMNS, parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = index.column()
        if column == COL_DECISION and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            colours = DECISION_COLOURS.get(self.row_tuple(index.row())[COL_DECISION + 1])
            if colours is None:
                return None
            return QBrush(QColor(colours[0] if role == Qt.ItemDataRole.BackgroundRole else colours[1]))
        if column == COL_CRITERIA and role == Qt.ItemDataRole.DisplayRole:
            row = self.row_tuple(index.row())
            return f"{row[_MET_POS]} / {row[_TOTAL_POS]}" if row[_TOTAL_POS] else "—"
        if column == COL_CRITERIA and role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if column == COL_OVERDUE and self.row_tuple(index.row())[COL_OVERDUE + 1]:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(OVERDUE_COLOUR))
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        return super().data(index, role)
