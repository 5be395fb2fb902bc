"""The compliance exceptions table: one row per exception, rule titles shown, filterable by rule and manager."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from ...analytics.governance import RULE_TITLES, ComplianceException
from ..models.row_table_model import Column, Kind, RowTableModel

COLUMNS = (
    Column("rule", "Rule", Kind.TEXT, 226, labels=RULE_TITLES, tooltip="Sorts in the order the rules are listed"),
    Column("project_code", "Project", Kind.TEXT, 72),
    Column("project_name", "Project name", Kind.TEXT, 170),
    Column("manager", "Manager", Kind.TEXT, 124),
    Column("since", "Since", Kind.DATE, 90, tooltip="When the exception began (a due date, a move, a report)"),
    Column("detail", "Detail", Kind.TEXT, 560),
    Column("remedy", "What clears it", Kind.TEXT, 360),
)
COL_RULE, COL_PROJECT, COL_NAME, COL_MANAGER, COL_SINCE, COL_DETAIL, COL_REMEDY = range(len(COLUMNS))

# A coloured bar per rule family makes a long list scannable: reporting, gates, data, RAID, money.
RULE_COLOURS = {
    "missing_status_report": "#2f6fbd",
    "stage_without_gate": "#8e44ad",
    "required_fields": "#7f8c8d",
    "high_risk_without_owner": "#d9534f",
    "raid_overdue": "#e67e22",
    "red_without_escalation": "#c0392b",
    "forecast_over_budget": "#b9770e",
    "milestone_rebaselined": "#16a085",
    "gate_conditions_overdue": "#6c3483",
}


def model_rows(exceptions: Sequence[ComplianceException]) -> list[tuple]:
    """Tuples for the model: the exception's position in ``exceptions`` first, then the shown columns."""
    return [
        (i, e.rule, e.project_code, e.project_name, e.manager_label, e.since, e.detail, e.remedy)
        for i, e in enumerate(exceptions)
    ]


class ComplianceTableModel(RowTableModel):
    """RowTableModel with a swatch of the rule's colour and the long texts in tooltips.

    The rule column sorts in the order the office lists its rules (not by title); within a rule
    the rows keep the order the checks gave them (project code, then since).
    """

    def __init__(self, parent=None):
        super().__init__(COLUMNS, parent)

    def _sort_view(self) -> None:
        if self._sort_column != COL_RULE:
            super()._sort_view()
            return
        # Row ids are positions in compliance_exceptions' list, which is in rule order already.
        rows = self._rows
        self._view.sort(key=lambda i: rows[i][0],
                        reverse=self._sort_order == Qt.SortOrder.DescendingOrder)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = index.column()
        if column == COL_RULE and role == Qt.ItemDataRole.DecorationRole:
            colour = RULE_COLOURS.get(self.row_tuple(index.row())[COL_RULE + 1])
            return QColor(colour) if colour else None
        if column in (COL_DETAIL, COL_REMEDY) and role == Qt.ItemDataRole.ToolTipRole:
            return self.row_tuple(index.row())[column + 1]
        return super().data(index, role)
