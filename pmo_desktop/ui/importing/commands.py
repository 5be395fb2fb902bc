"""What the main window's import actions do: open the wizard (also for dropped files), the
history and the template dialog, and undo the last import."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ...importer.session import last_applied_batch
from ..context import AppContext
from .done_page import undo_batches
from .files_page import dropped_paths
from .history_dialog import ImportHistoryDialog
from .import_wizard import ImportWizard
from .template_dialog import TemplateDialog

__all__ = ["dropped_paths", "new_template", "open_import_wizard", "show_import_history", "undo_last_import"]


def open_import_wizard(ctx: AppContext, parent: QWidget | None, paths: Iterable[str | Path] = ()) -> None:
    """Run the import wizard, with ``paths`` already added; it is deleted (with the files it read)
    when closed."""
    wizard = ImportWizard(ctx, paths, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.exec()


def show_import_history(ctx: AppContext, parent: QWidget | None) -> None:
    dialog = ImportHistoryDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.exec()


def new_template(ctx: AppContext, parent: QWidget | None) -> Path | None:
    """Ask for a kind and a file, write the template; the path written, or None if cancelled."""
    dialog = TemplateDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if dialog.exec() != TemplateDialog.DialogCode.Accepted or dialog.written is None:
        return None
    QMessageBox.information(parent, "Template saved",
                            f"The template was saved to\n{dialog.written}\n\nSend it to project managers; "
                            "when they send it back, import it with File > Import Spreadsheets.")
    return dialog.written


def undo_last_import(ctx: AppContext, parent: QWidget | None) -> None:
    """Undo the newest import batch that is still applied, after asking."""
    batch = ctx.read(last_applied_batch)
    if batch is None:
        QMessageBox.information(parent, "Nothing to undo", "There is no import to undo in this database.")
        return
    answer = QMessageBox.question(
        parent, "Undo the last import?",
        f"Undo batch {batch.id}, {batch.file_name}, imported by {batch.imported_by or 'someone'}? The "
        f"{batch.inserted:,} records it created are deleted and the {batch.updated:,} it changed get their "
        "earlier values back.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    if answer != QMessageBox.StandardButton.Yes:
        return

    def done(undone: list[int], _error: str | None) -> None:
        if undone:
            QMessageBox.information(parent, "Import undone", f"Batch {batch.id}, {batch.file_name}, was undone.")

    undo_batches(ctx, parent, [batch.id], done)
