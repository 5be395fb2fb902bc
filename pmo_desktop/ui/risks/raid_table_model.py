"""The RAID register as a self-sorting table model: score cells coloured by band, overdue dates in red."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ...model import Escalation, RaidKind, RaidStatus, RiskResponse
from ...services.raid import RAID_ROW_FIELDS, RaidRow, ScoreBand, is_overdue
from ..models.row_table_model import Column, Kind, RowTableModel
from ..theme import RAG_COLOURS, rag_text_colour

BAND_RAG = {ScoreBand.LOW.value: "G", ScoreBand.MEDIUM.value: "A", ScoreBand.HIGH.value: "R"}
"""Score bands drawn in the RAG colours: low green, medium amber, high red."""

OVERDUE_COLOUR = "#c0392b"


def _labels(enum) -> dict[str, str]:
    return {member.value: member.label for member in enum}


RAID_COLUMNS: tuple[Column, ...] = (
    Column("kind", "Kind", width=90, labels=_labels(RaidKind)),
    Column("project", "Project", width=80),
    Column("programme", "Programme", width=150),
    Column("ref", "Ref", width=56),
    Column("title", "Title", width=290),
    Column("owner", "Owner", width=105),
    Column("likelihood", "L", Kind.INT, width=30, tooltip="Likelihood, 1 (very low) to 5 (very high)"),
    Column("impact", "I", Kind.INT, width=30, tooltip="Impact, 1 (very low) to 5 (very high)"),
    Column("score", "Score", Kind.INT, width=56, tooltip="Likelihood × impact, coloured by the office's bands"),
    Column("band", "Band", width=70, labels=_labels(ScoreBand)),
    Column("due", "Due", Kind.DATE, width=90, tooltip="Due date (red when overdue)"),
    Column("status", "Status", width=88, labels=_labels(RaidStatus)),
    Column("response", "Response", width=80, labels=_labels(RiskResponse)),
    Column("escalation", "Escalation", width=86, labels=_labels(Escalation)),
    Column("last_reviewed", "Reviewed", Kind.DATE, width=90, tooltip="Last reviewed"),
    Column("age_days", "Age", Kind.INT, width=48, tooltip="Days since the item was raised"),
)
assert tuple(c.key for c in RAID_COLUMNS) == RAID_ROW_FIELDS, "columns must follow RaidRow"

COLUMN = {column.key: i for i, column in enumerate(RAID_COLUMNS)}
"""Column index by field name."""

DISPLAY_ORDER: tuple[str, ...] = (
    "ref", "kind", "project", "title", "owner", "likelihood", "impact", "score", "status", "due",
    "escalation", "response", "last_reviewed", "age_days", "programme", "band",
)
"""The order a coordinator reads the register in (the view moves its sections; the tuples keep theirs)."""


class RaidTableModel(RowTableModel):
    """RowTableModel over ``RaidRow`` tuples, with the register's own colours."""

    def __init__(self, parent=None, *, currency: str = "£", today: dt.date | None = None):
        super().__init__(RAID_COLUMNS, parent, currency=currency)
        self.today = today or dt.date.today()
        self._score = COLUMN["score"]
        self._due = COLUMN["due"]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if index.isValid() and index.column() in (self._score, self._due):
            row: RaidRow = self.row_tuple(index.row())
            if index.column() == self._score:
                styled = self._score_style(row, role)
            else:
                styled = self._due_style(row, role)
            if styled is not None:
                return styled
        return super().data(index, role)

    @staticmethod
    def _score_style(row: RaidRow, role: int):
        rag = BAND_RAG.get(row.band)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if rag is None:
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(RAG_COLOURS[rag]))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(rag_text_colour(rag)))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Score {row.score}: {ScoreBand(row.band).label.lower()}"
        return None

    def _due_style(self, row: RaidRow, role: int):
        if not is_overdue(row, self.today):
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(OVERDUE_COLOUR))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Overdue by {(self.today - row.due).days} days"
        return None
