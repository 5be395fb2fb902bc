"""The look every read-only table of the import screens shares."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QTableView

from ..models.row_table_model import RowTableModel

ROW_HEIGHT = 26


def setup_table_view(view: QTableView, model: RowTableModel) -> QTableView:
    """Rows selected whole, no editing, no row numbers, column widths from the model's columns.

    The last column takes the rest of the width.
    """
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    header = view.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setHighlightSections(False)
    header.setStretchLastSection(True)
    for column, spec in enumerate(model.columns[:-1]):
        view.setColumnWidth(column, spec.width)
    return view
