"""The read-only record tables of the Governance tab's sections, set up alike."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ..models.row_table_model import RowTableModel


def record_table(parent: QWidget, model: RowTableModel, object_name: str, *, sort_column: int,
                 sort_order: Qt.SortOrder, stretch_last: bool = False) -> QTableView:
    """A sortable, single-row-selecting, read-only view of ``model`` with its columns' widths."""
    table = QTableView(parent)
    table.setObjectName(object_name)
    table.setModel(model)
    table.setSortingEnabled(True)
    table.sortByColumn(sort_column, sort_order)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(26)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setHighlightSections(False)
    header.setStretchLastSection(stretch_last)
    for column, spec in enumerate(model.columns):
        table.setColumnWidth(column, spec.width)
    return table
