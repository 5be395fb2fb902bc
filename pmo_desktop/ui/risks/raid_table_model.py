"""The RAID register as a self-sorting table model: score cells coloured by band, overdue dates in red,
escalated items' escalation cells highlighted (and sorted by level, then score)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ...model import Escalation, RaidKind, RaidStatus, RiskResponse
from ...services.raid import RAID_ROW_FIELDS, RaidRow, ScoreBand, is_overdue
from ..models.row_table_model import Column, Kind, RowTableModel, key_ranks
from ..theme import RAG_COLOURS, rag_text_colour

BAND_RAG = {ScoreBand.LOW.value: "G", ScoreBand.MEDIUM.value: "A", ScoreBand.HIGH.value: "R"}
"""Score bands drawn in the RAG colours: low green, medium amber, high red."""

OVERDUE_COLOUR = "#c0392b"

ESCALATION_RANK = {Escalation.PROJECT.value: 0, Escalation.PROGRAMME.value: 1, Escalation.PORTFOLIO.value: 2}
"""Escalation levels, lowest first: the escalation column sorts by this, then by score."""

ESCALATED_COLOURS = {Escalation.PROGRAMME.value: ("#fbe3b4", "#6b4300"),
                     Escalation.PORTFOLIO.value: ("#f5c6c1", "#7a1d12")}
"""Background and text of an escalated item's escalation cell."""


def _labels(enum) -> dict[str, str]:
    return {member.value: member.label for member in enum}


RAID_COLUMNS: tuple[Column, ...] = (
    Column("kind", "Kind", width=84, labels=_labels(RaidKind)),
    Column("project", "Project", width=80),
    Column("programme", "Programme", width=150),
    Column("ref", "Ref", width=56),
    Column("title", "Title", width=240),
    Column("owner", "Owner", width=100),
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
    """RowTableModel over ``RaidRow`` tuples, with the register's own colours.

    Besides the text and column filters it has conditions of its own, combined into the row
    predicate: "overdue only", a heat-map cell (open items of some kinds at one likelihood and
    impact) and a chart bar (any condition on a row, e.g. a category's open risks).
    ``scope_rows()`` gives what every filter but the cell and the bar lets through: what the charts count.
    """

    def __init__(self, parent=None, *, currency: str = "£", today: dt.date | None = None):
        super().__init__(RAID_COLUMNS, parent, currency=currency)
        self.today = today or dt.date.today()
        self._score = COLUMN["score"]
        self._due = COLUMN["due"]
        self._escalation = COLUMN["escalation"]
        self._overdue_only = False
        self._cell: tuple[int, int] | None = None
        self._cell_kinds: frozenset[str] = frozenset()
        self._bar: Callable[[RaidRow], bool] | None = None

    # -- the register's own filters ----------------------------------------------------------------
    @property
    def overdue_only(self) -> bool:
        return self._overdue_only

    @property
    def cell(self) -> tuple[int, int] | None:
        """The heat-map cell (likelihood, impact) the register is filtered to, if any."""
        return self._cell

    @property
    def cell_kinds(self) -> frozenset[str]:
        """The kinds the heat-map cell filter keeps."""
        return self._cell_kinds

    @property
    def bar(self) -> Callable[[RaidRow], bool] | None:
        """The chart-bar condition the register is filtered by, if any."""
        return self._bar

    def set_overdue_only(self, on: bool) -> None:
        """Show only items past their due date that are not closed (as of ``today``)."""
        self._overdue_only = on
        self.set_predicate(self._combined_predicate())

    def set_cell(self, cell: tuple[int, int] | None, kinds: Sequence[str] = ()) -> None:
        """Show only open items of ``kinds`` with this (likelihood, impact); None clears the cell."""
        self._cell = cell
        self._cell_kinds = frozenset(kinds)
        self.set_predicate(self._combined_predicate())

    def set_bar(self, condition: Callable[[RaidRow], bool] | None) -> None:
        """Show only rows for which ``condition`` holds (a clicked chart bar); None clears it."""
        self._bar = condition
        self.set_predicate(self._combined_predicate())

    def clear_filters(self) -> None:
        self._overdue_only, self._cell, self._bar = False, None, None
        super().clear_filters()

    def _combined_predicate(self) -> Callable[[RaidRow], bool] | None:
        if not self._overdue_only and self._cell is None and self._bar is None:
            return None

        def keep(row: RaidRow) -> bool:
            # Reads the cell at call time, so that scope_rows() can leave it out for a moment.
            if self._overdue_only and not is_overdue(row, self.today):
                return False
            if self._bar is not None and not self._bar(row):
                return False
            cell = self._cell
            if cell is not None:
                return ((row.likelihood, row.impact) == cell and row.status != RaidStatus.CLOSED
                        and row.kind in self._cell_kinds)
            return True

        return keep

    def scope_rows(self) -> list[RaidRow]:
        """The rows every filter except the heat-map cell and the chart bar lets through (unsorted when one is set)."""
        if self._cell is None and self._bar is None:
            return self.visible_rows()
        saved = self._view, self._sort_column, self._cell, self._bar
        self._sort_column, self._cell, self._bar = None, None, None
        try:
            self._rebuild_view()
            return self.visible_rows()
        finally:
            self._view, self._sort_column, self._cell, self._bar = saved

    def _column_ranks(self, column: int, descending: bool) -> list[int]:
        """The escalation column orders by level (portfolio above programme above project), then by score."""
        if column != self._escalation:
            return super()._column_ranks(column, descending)
        cached = self._key_cache.get((column, descending))
        if cached is None:
            level, score = column + 1, self._score + 1
            keys = [(ESCALATION_RANK.get(row[level], 0), -1 if row[score] is None else row[score])
                    for row in self._rows]
            cached = key_ranks(keys)
            if descending:
                cached = [-rank for rank in cached]
            self._key_cache[(column, descending)] = cached
        return cached

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if index.isValid() and index.column() in (self._score, self._due, self._escalation):
            row: RaidRow = self.row_tuple(index.row())
            if index.column() == self._score:
                styled = self._score_style(row, role)
            elif index.column() == self._escalation:
                styled = self._escalation_style(row, role)
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

    @staticmethod
    def _escalation_style(row: RaidRow, role: int):
        colours = ESCALATED_COLOURS.get(row.escalation)
        if colours is None:
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(colours[0]))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(colours[1]))
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Escalated to {row.escalation} level"
        return None

    def _due_style(self, row: RaidRow, role: int):
        if not is_overdue(row, self.today):
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(OVERDUE_COLOUR))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Overdue by {(self.today - row.due).days} days"
        return None
