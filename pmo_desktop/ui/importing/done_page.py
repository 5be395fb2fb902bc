"""Wizard page 4: the batches written, files refused, warnings, and "Undo This Import"."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWizardPage,
)

from ...importer.apply import UndoError, undo_batch
from ...importer.session import ApplyResult, ImportSession
from ..context import AppContext
from ..models.row_table_model import Column, RowTableModel
from ..models.row_table_model import Kind as ColumnKind
from ..tasks import run_in_background
from .labels import KIND_LABELS
from .plan_page import save_rejects
from .views import setup_table_view, show_notes

BATCH_COLUMNS = (
    Column("id", "Batch", ColumnKind.INT, 70), Column("file", "File", width=260), Column("kind", "Holds", width=180),
    Column("new", "New", ColumnKind.INT, 80), Column("changed", "Changed", ColumnKind.INT, 80),
    Column("unchanged", "Unchanged", ColumnKind.INT, 90), Column("rejected", "Rejected", ColumnKind.INT, 80),
)


def kinds_text(kinds: str | None) -> str:
    """"projects, status" -> "Projects, Status reports"."""
    return ", ".join(KIND_LABELS.get(kind.strip(), kind.strip()) for kind in (kinds or "").split(",") if kind.strip())


def undo_batches(ctx: AppContext, parent, batch_ids: list[int], on_done) -> None:
    """Undo ``batch_ids`` newest first in the background; stop at the first refusal and say why.

    ``on_done(undone_ids, error_message_or_None)`` runs on the GUI thread.
    """
    db = ctx.db

    def undo() -> tuple[list[int], str | None]:
        undone: list[int] = []
        for batch_id in sorted(batch_ids, reverse=True):
            try:
                undo_batch(db, batch_id)
            except UndoError as exc:
                return undone, str(exc)
            undone.append(batch_id)
        return undone, None

    def finished(outcome: tuple[list[int], str | None]) -> None:
        undone, error = outcome
        if undone:
            ctx.data_changed.emit("*")
        if error:
            done = f"Batches {', '.join(map(str, undone))} were undone. " if undone else ""
            QMessageBox.warning(parent, "Cannot undo this import", f"{done}{error}")
        on_done(undone, error)

    def failed(exc: BaseException) -> None:
        on_done([], str(exc))
        ctx.error_raised.emit(exc)

    run_in_background(undo, on_done=finished, on_error=failed, progress="Undoing the import…", parent=parent,
                      write=True)


class DonePage(QWizardPage):
    """What the import did, with a way back."""

    def __init__(self, ctx: AppContext, session: ImportSession, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.session = session
        self.result: ApplyResult | None = None
        self.undoing = False
        self.setTitle("Import finished")
        self.setSubTitle("Each file was imported as its own batch. Undo takes every batch of this import back out; "
                         "File > Import History undoes a single one later.")
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("summary_label")
        self.summary_label.setWordWrap(True)
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        self.batches_model = RowTableModel(BATCH_COLUMNS, self)
        self.batches_view = QTableView(self)
        self.batches_view.setObjectName("batches_view")
        setup_table_view(self.batches_view, self.batches_model)
        self.notes_label = QLabel("Warnings and files not imported", self)
        self.notes_list = QListWidget(self)
        self.notes_list.setObjectName("notes_list")
        self.notes_list.setWordWrap(True)
        self.undo_button = QPushButton("&Undo This Import", self)
        self.undo_button.setObjectName("undo_button")
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.save_rejects_button = QPushButton("Save &Rejects…", self)
        self.save_rejects_button.setObjectName("done_save_rejects_button")
        self.save_rejects_button.clicked.connect(self._on_save_rejects_button_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_rejects_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.batches_view, 2)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.notes_list)
        layout.addLayout(buttons)

    def show_result(self, result: ApplyResult) -> None:
        """Fill the page from what applying did."""
        self.result = result
        counts = result.plan.counts
        files = len(result.batches)
        text = (f"Imported {files} file{'s' if files != 1 else ''}: {counts.new:,} new, {counts.update:,} changed, "
                f"{counts.unchanged:,} unchanged.")
        if counts.reject:
            text += f" {counts.reject:,} rejected row{'s were' if counts.reject != 1 else ' was'} left out."
        if result.problems:
            text += f" {len(result.problems)} file{'s' if len(result.problems) != 1 else ''} could not be imported."
        if result.mappings_saved:
            text += " The column mappings were remembered for next time."
        self.summary_label.setText(text)
        self.batches_model.set_rows([
            (batch.id, batch.id, batch.file_name, kinds_text(batch.kind), batch.inserted, batch.updated,
             batch.unchanged, batch.rejected) for batch in result.batches])
        notes = [problem.message for problem in result.problems] + result.warnings
        show_notes(self.notes_list, notes, most_rows=8)
        self.notes_label.setVisible(bool(notes))
        self.undo_button.setEnabled(bool(result.batches))
        self.save_rejects_button.setEnabled(counts.reject > 0)

    def _on_undo_button_clicked(self) -> None:
        if self.result is None or not self.result.batches:
            return
        count = len(self.result.batches)
        answer = QMessageBox.question(
            self, "Undo this import?",
            f"Take the {count} batch{'es' if count != 1 else ''} of this import back out of the database? Records it "
            "created are deleted and the values it changed are put back.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.undo_button.setEnabled(False)
        self.undoing = True
        self.completeChanged.emit()  # no Finish while undoing
        undo_batches(self.ctx, self, [batch.id for batch in self.result.batches], self._on_undone)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return not self.undoing

    def _on_undone(self, undone: list[int], error: str | None) -> None:
        assert self.result is not None
        self.undoing = False
        self.completeChanged.emit()
        remaining = [batch for batch in self.result.batches if batch.id not in undone]
        if not remaining:
            self.summary_label.setText("The import was undone: the database is as it was before.")
        elif undone:
            self.summary_label.setText(f"Batches {', '.join(map(str, undone))} were undone; "
                                       f"{len(remaining)} could not be (see the message).")
        self.undo_button.setEnabled(bool(remaining) and error is None)

    def _on_save_rejects_button_clicked(self) -> None:
        if self.result is not None:
            folder = self.session.files[0].path.parent if self.session.files else Path.home()
            save_rejects(self, self.result.plan, folder)
