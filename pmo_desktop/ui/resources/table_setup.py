"""One way to set up the Resources tab's read-only table views over RowTableModels."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from ..models.row_table_model import RowTableModel

_HEADER_PADDING = 16  # the section's padding and border


def setup_table(view: QTableView, model: RowTableModel, *, sort_column: int, stretch_column: int | None = None) -> None:
    """Rows selected whole, one at a time, sortable from the header, columns wide enough for their titles.

    ``stretch_column`` takes the width left over (the last column when None).
    """
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(sort_column, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    bold = QFont(header.font())
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    for i, column in enumerate(model.columns):
        header.resizeSection(i, max(column.width, metrics.horizontalAdvance(column.title) + _HEADER_PADDING))
    if stretch_column is None:
        header.setStretchLastSection(True)
    else:
        header.setStretchLastSection(False)
        header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    _keep_selection_on_record(view, model)


def select_record(view: QTableView, model: RowTableModel, row_id: int | None) -> None:
    """Select the row showing record ``row_id``; clear the selection when it is not shown."""
    selection = view.selectionModel()
    view_row = model.view_row_of(row_id) if row_id is not None else None
    if view_row is None:
        selection.clearSelection()
        selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate)
        return
    index = model.index(view_row, 0)
    selection.setCurrentIndex(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    view.scrollTo(index)


def _keep_selection_on_record(view: QTableView, model: RowTableModel) -> None:
    """Sorting and filtering move rows: keep the selection on the same record, not the same row.

    RowTableModel rebuilds its view order on a layout change without moving persistent
    indexes, so the selection model alone would leave the highlight on whichever record
    lands in the selected row.
    """
    kept: list[int | None] = [None]

    def remember() -> None:
        index = view.selectionModel().currentIndex()
        kept[0] = model.row_id(index.row()) if index.isValid() else None

    model.layoutAboutToBeChanged.connect(remember)
    model.layoutChanged.connect(lambda: select_record(view, model, kept[0]))
