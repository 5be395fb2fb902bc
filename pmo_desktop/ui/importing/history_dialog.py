"""File > Import History: every import batch of this database, with Undo for an applied one."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from ...importer.session import BatchRow, recent_batches
from ..context import AppContext
from ..forms.ui_import_history_dialog import Ui_ImportHistoryDialog
from ..models.row_table_model import Column, RowTableModel
from ..models.row_table_model import Kind as ColumnKind
from .done_page import kinds_text, undo_batches
from .views import setup_table_view

HISTORY_LIMIT = 500
HISTORY_COLUMNS = (
    Column("id", "Batch", ColumnKind.INT, 64), Column("file", "File", width=210),
    Column("kind", "Holds", width=140), Column("who", "Imported by", width=100),
    Column("when", "When", width=130), Column("new", "New", ColumnKind.INT, 64),
    Column("changed", "Changed", ColumnKind.INT, 72), Column("rejected", "Rejected", ColumnKind.INT, 72),
    Column("status", "Status", width=160),
)
STATUS_COLUMN = 8


def _local(when: dt.datetime | None) -> str:
    """A stored time (UTC; SQLite returns it without a zone) in the user's local time."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone().strftime("%d %b %Y %H:%M")


def history_row(batch: BatchRow) -> tuple:
    """One batch as the history table shows it (RowTableModel: id first)."""
    status = "Applied" if batch.can_undo else f"Undone{f' by {batch.undone_by}' if batch.undone_by else ''}"
    return (batch.id, batch.id, batch.file_name, kinds_text(batch.kind), batch.imported_by or "",
            _local(batch.imported_at), batch.inserted, batch.updated, batch.rejected, status)


class ImportHistoryDialog(QDialog):
    """The import batches, newest first; Undo takes the selected applied batch back out."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.ui = Ui_ImportHistoryDialog()
        self.ui.setupUi(self)
        self.model = RowTableModel(HISTORY_COLUMNS, self)
        view = setup_table_view(self.ui.batches_view, self.model)
        view.setSortingEnabled(False)
        view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # newest first, as read
        view.setSortingEnabled(True)
        self._batches: dict[int, BatchRow] = {}
        self.undoing = False
        view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.ui.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.ui.button_box.rejected.connect(self.reject)
        self.ctx.data_changed.connect(self._on_data_changed)
        self.refresh()

    def refresh(self) -> None:
        """Read the batches again, keeping the selected one selected."""
        selected = self.selected_batch()
        batches = self.ctx.read(recent_batches, HISTORY_LIMIT)
        self._batches = {batch.id: batch for batch in batches}
        self.model.set_rows(history_row(batch) for batch in batches)
        row = self.model.view_row_of(selected.id) if selected is not None else None
        if row is None and batches:
            row = 0
        if row is not None:
            self.ui.batches_view.selectRow(row)
        self.ui.hint_label.setVisible(True)
        if not batches:
            self.ui.selection_label.setText("Nothing has been imported into this database yet.")
        self._update_buttons()

    def selected_batch(self) -> BatchRow | None:
        rows = self.ui.batches_view.selectionModel().selectedRows() if self.ui.batches_view.selectionModel() else []
        if not rows:
            return None
        return self._batches.get(self.model.row_id(rows[0].row()))

    def select_batch(self, batch_id: int) -> None:
        row = self.model.view_row_of(batch_id)
        if row is not None:
            self.ui.batches_view.selectRow(row)

    def _update_buttons(self) -> None:
        batch = self.selected_batch()
        self.ui.undo_button.setEnabled(batch is not None and batch.can_undo and not self.undoing)
        if batch is not None:
            self.ui.selection_label.setText(
                f"Batch {batch.id} can be undone." if batch.can_undo else f"Batch {batch.id} was undone.")

    def _on_data_changed(self, _entity: str) -> None:
        if self.isVisible():
            self.refresh()

    def _on_undo_button_clicked(self) -> None:
        batch = self.selected_batch()
        if batch is None or not batch.can_undo:
            return
        answer = QMessageBox.question(
            self, "Undo this import?",
            f"Undo batch {batch.id}, {batch.file_name}? The {batch.inserted:,} records it created are deleted and "
            f"the {batch.updated:,} it changed get their earlier values back.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.ui.undo_button.setEnabled(False)
        self.undoing = True
        undo_batches(self.ctx, self, [batch.id], self._on_undone)

    def _on_undone(self, _undone: list[int], _error: str | None) -> None:
        self.undoing = False
        self.refresh()

    def reject(self) -> None:
        """Close, unless an undo is being written (it finishes and the list shows it first)."""
        if not self.undoing:
            super().reject()
