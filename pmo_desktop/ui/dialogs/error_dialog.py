"""How failures reach the user.

``show_error(parent, exc)`` is for expected problems (a service refused a change, a file could not
be opened): a plain message that says what happened and what to do. ``ErrorDialog`` is for bugs:
the summary, the full details to copy, and where the log file is; the program keeps running.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QStyle, QWidget

from ...model.database import DatabaseError
from ...services.errors import ServiceError, ValidationError
from ..forms.ui_error_dialog import Ui_ErrorDialog


def open_folder(folder: Path) -> bool:
    """Show ``folder`` in the system's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def format_exception(exc: BaseException) -> str:
    """The traceback of ``exc`` as text."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


class ErrorDialog(QDialog):
    """An unexpected error: what happened, the details to send, and where the log is."""

    def __init__(self, summary: str, details: str, log_path: Path | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_ErrorDialog()
        self.ui.setupUi(self)
        self._log_path = log_path
        style = self.style()
        self.ui.icon_label.setPixmap(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(48, 48))
        self.ui.summary_label.setText(summary)
        self.ui.details_edit.setPlainText(details)
        if log_path is not None:
            self.ui.log_label.setText(f"The details are also in the log file: {log_path}")
        else:
            self.ui.log_label.hide()
            self.ui.log_folder_button.hide()
        self.ui.details_button.toggled.connect(self._on_details_button_toggled)
        self.ui.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.ui.log_folder_button.clicked.connect(self._on_log_folder_button_clicked)

    @property
    def details(self) -> str:
        return self.ui.details_edit.toPlainText()

    def _on_details_button_toggled(self, shown: bool) -> None:
        self.ui.details_edit.setVisible(shown)
        self.ui.details_button.setText("Hide &details" if shown else "Show &details")
        self.adjustSize()

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(f"{self.ui.summary_label.text()}\n\n{self.details}")

    def _on_log_folder_button_clicked(self) -> None:
        if self._log_path is not None:
            open_folder(self._log_path.parent)


def _title_for(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "Some values need correcting"
    if isinstance(exc, DatabaseError):
        return "Database problem"
    return "Cannot do that"


def show_error(parent: QWidget | None, exc: BaseException, *, title: str | None = None) -> None:
    """Tell the user about an expected problem in plain words (no traceback)."""
    if isinstance(exc, ValidationError):
        text = "\n".join(f"• {e.message}" for e in exc.errors)
    else:
        text = str(exc) or type(exc).__name__
    if not isinstance(exc, ServiceError | DatabaseError | OSError):
        # Not one of ours: the details belong in the crash dialog, not a bare message box.
        from ..app import report_exception

        report_exception(type(exc), exc, exc.__traceback__)
        return
    QMessageBox.warning(parent or QApplication.activeWindow(), title or _title_for(exc), text)
