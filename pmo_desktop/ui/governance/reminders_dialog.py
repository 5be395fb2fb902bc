"""The "Reminders" dialog: what each project manager owes, as text to copy and as a workbook to save.

It shows the reminders for the exceptions the compliance table shows (its filters applied): per
manager, the status reports to send, the overdue RAID actions and the gate conditions to meet.
"Copy" puts the text on the clipboard; "Save workbook…" writes ``reports.reminders``' workbook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...analytics.governance import ComplianceException, manager_reminders, reminders_text
from ..dialogs.error_dialog import show_error

FOLDER_KEY = "reminders/folder"


class RemindersDialog(QDialog):
    """Per-manager reminders for ``exceptions`` on ``today``: read, copy, or save as a workbook."""

    def __init__(self, exceptions: Sequence[ComplianceException], today: dt.date, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reminders_dialog")
        self.setWindowTitle("Reminders for Project Managers")
        self.exceptions = list(exceptions)
        self.today = today
        self.reminders = manager_reminders(self.exceptions, today)
        self.saved_path: Path | None = None

        items = sum(r.items for r in self.reminders)
        managers = len(self.reminders)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("reminders_summary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setText(
            f"{items} item{'s' if items != 1 else ''} for {managers} manager{'s' if managers != 1 else ''}, "
            f"as of {today:%d %b %Y}: missing status reports, overdue RAID actions and unmet gate conditions "
            "among the exceptions the compliance table shows."
            if self.reminders else
            "Nothing to remind: the compliance table shows no missing reports, overdue RAID actions or gate "
            "conditions. Clear its filters to see them all.")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("reminders_text")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(reminders_text(self.exceptions, today))
        self.status_label = QLabel(self)
        self.status_label.setObjectName("reminders_status")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("&Copy", self)
        self.copy_button.setObjectName("reminders_copy_button")
        self.copy_button.setToolTip("Copy every manager's reminder as plain text, ready to paste into an email")
        self.save_button = QPushButton("&Save Workbook…", self)
        self.save_button.setObjectName("reminders_save_button")
        self.save_button.setToolTip("Save the reminders as an Excel workbook: one block per manager, and each "
                                    "manager's email text")
        for button in (self.copy_button, self.save_button):
            button.setEnabled(bool(self.reminders))
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self._on_save_button_clicked)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self.resize(860, 560)

    def copy(self) -> str:
        """Put the reminders on the clipboard and return them."""
        text = self.text.toPlainText()
        QGuiApplication.clipboard().setText(text)
        self.status_label.setText(f"Reminders for {len(self.reminders)} manager"
                                  f"{'s' if len(self.reminders) != 1 else ''} copied to the clipboard")
        return text

    def suggested_path(self) -> Path:
        folder = QSettings().value(FOLDER_KEY) or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        return Path(str(folder)) / f"Reminders {self.today:%Y-%m-%d}.xlsx"

    def _on_save_button_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save Reminders Workbook", str(self.suggested_path()),
                                              "Excel workbook (*.xlsx)")
        if name:
            self.save(Path(name))

    def save(self, path: Path) -> Path | None:
        """Write the workbook to ``path`` (".xlsx" added when missing); None when it could not be written."""
        from ...reports.reminders import TableExportError, write_reminders

        if path.suffix.lower() != ".xlsx":
            path = path.with_name(path.name + ".xlsx")
        try:
            result = write_reminders(path, self.exceptions, self.today)
        except TableExportError as exc:
            show_error(self, exc, title="Reminders not saved")
            return None
        QSettings().setValue(FOLDER_KEY, str(result.path.parent))
        self.saved_path = result.path
        self.status_label.setText(f"Saved {result.path.name} ({result.items} items for {result.managers} "
                                  f"manager{'s' if result.managers != 1 else ''})")
        return result.path
