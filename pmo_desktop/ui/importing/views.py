"""The look the read-only tables and warning lists of the import screens share."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QStyle, QTableView

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


def show_notes(widget: QListWidget, notes: list[str], *, most_rows: int = 4) -> None:
    """Fill a list of warnings (each with the warning icon), sized to show up to ``most_rows``."""
    widget.clear()
    warning = widget.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
    for note in notes:
        item = QListWidgetItem(warning, note)
        item.setToolTip(note)
        widget.addItem(item)
    widget.setVisible(bool(notes))
    if notes:
        rows = min(len(notes), most_rows)
        widget.setFixedHeight(rows * max(widget.sizeHintForRow(0), ROW_HEIGHT - 4) + 2 * widget.frameWidth() + 4)
