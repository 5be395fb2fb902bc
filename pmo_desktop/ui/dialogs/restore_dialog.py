"""File > Restore from Backup: pick a backup of this database, see it checked, then restore it.

The dialog only chooses and checks: each backup selected is verified in the background
(``services.backups.verify_backup``: pages, schema not newer, audit chain) and Restore is
enabled only for one that passed. Closing the database and putting the backup in place is the
main window's job (``MainWindow.restore_backup``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QHeaderView, QTreeWidgetItem, QWidget

from ... import paths
from ...services.backups import BackupCheck, list_backups, verify_backup
from ..forms.ui_restore_dialog import Ui_RestoreDialog
from ..tasks import run_in_background

_NAME = re.compile(r"-(\d{8}-\d{6})-(.+)\.db$")
PATH_ROLE = Qt.ItemDataRole.UserRole


def describe_backup(path: Path) -> tuple[str, str]:
    """(date, reason) read from a backup's file name: ``<stem>-YYYYmmdd-HHMMSS-<reason>.db``."""
    match = _NAME.search(path.name)
    taken = None
    if match:
        try:
            taken = dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
        except ValueError:
            taken = None
    if taken is None:
        try:
            taken = dt.datetime.fromtimestamp(path.stat().st_mtime)
        except OSError:
            return "", "Chosen file"
        return f"{taken:%d %b %Y %H:%M}", "Chosen file"
    reason = match.group(2)
    if reason == "daily":
        words = "Daily"
    elif reason == "manual":
        words = "Manual"
    elif reason.startswith("before-migration"):
        words = "Before upgrade (migration)"
    elif reason == "before-restore":
        words = "Before a restore (safety copy)"
    else:
        words = reason.replace("-", " ").capitalize()
    return f"{taken:%d %b %Y %H:%M}", words


def file_size(path: Path) -> str:
    try:
        size = float(path.stat().st_size)
    except OSError:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""


def check_text(check: BackupCheck) -> str:
    """The verify result in plain words."""
    if check.ok:
        return (f"✔ {check.path.name} passed its check: the file is whole, its schema is one this version "
                f"can open, and its audit trail of {check.audit_events:,} events is unbroken.")
    return f"✘ {check.path.name} cannot be restored: {'; '.join(check.problems)}."


class RestoreDialog(QDialog):
    """The backups of one database (newest first) plus any file the user chooses; Restore needs a passed check."""

    def __init__(self, db_path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_RestoreDialog()
        self.ui.setupUi(self)
        self.db_path = Path(db_path)
        self.check: BackupCheck | None = None  # the check of the selected backup, once it is done
        self.restore_button = self.ui.button_box.button(QDialogButtonBox.StandardButton.Ok)
        self.restore_button.setText("&Restore…")
        self.restore_button.setEnabled(False)
        self.ui.button_box.accepted.connect(self.accept)
        self.ui.button_box.rejected.connect(self.reject)
        self.ui.choose_button.clicked.connect(self.choose_file)
        self.ui.backups_tree.currentItemChanged.connect(self._on_current_changed)
        header = self.ui.backups_tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.ui.backups_tree.headerItem().setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        folder = paths.backup_dir()
        backups = list_backups(self.db_path)
        for backup in backups:
            self._add_row(backup)
        if backups:
            self.ui.intro_label.setText(
                f"Backups of {self.db_path.name} in {folder}, newest first. Select one to check it; restoring "
                "replaces the whole database with it (the current database is kept as a safety copy).")
            self.ui.check_label.setText("Select a backup to check it.")
        else:
            self.ui.intro_label.setText(
                f"There are no backups of {self.db_path.name} in {folder} yet. Choose a backup file kept "
                "somewhere else.")
            self.ui.check_label.setText("")
        self.setMinimumWidth(600)

    @property
    def selected_path(self) -> Path | None:
        item = self.ui.backups_tree.currentItem()
        return Path(item.data(0, PATH_ROLE)) if item is not None else None

    def _add_row(self, path: Path, *, first: bool = False) -> QTreeWidgetItem:
        date, reason = describe_backup(path)
        item = QTreeWidgetItem([date, reason, file_size(path)])
        item.setData(0, PATH_ROLE, str(path))
        item.setToolTip(0, str(path))
        item.setToolTip(1, str(path))
        item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        tree = self.ui.backups_tree
        if first:
            tree.insertTopLevelItem(0, item)
        else:
            tree.addTopLevelItem(item)
        return item

    def select_path(self, path: Path) -> None:
        """Select ``path`` (adding it to the list if it is not there) and check it."""
        path = Path(path)
        tree = self.ui.backups_tree
        for index in range(tree.topLevelItemCount()):
            item = tree.topLevelItem(index)
            if Path(item.data(0, PATH_ROLE)) == path:
                tree.setCurrentItem(item)
                return
        tree.setCurrentItem(self._add_row(path, first=True))

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Choose a Backup to Restore", str(paths.backup_dir()),
            "PMO Desktop database (*.db *.sqlite *.sqlite3);;All files (*)")
        if name:
            self.select_path(Path(name))

    def _on_current_changed(self, current: QTreeWidgetItem | None, _previous=None) -> None:
        self.check = None
        self.restore_button.setEnabled(False)
        if current is None:
            return
        path = Path(current.data(0, PATH_ROLE))
        self.ui.check_label.setText(f"Checking {path.name}…")
        run_in_background(lambda: verify_backup(path), on_done=self._on_checked,
                          on_error=lambda exc, p=path: self._on_check_failed(p, exc), parent=self)

    def _on_checked(self, check: BackupCheck) -> None:
        if not shiboken6.isValid(self) or check.path != self.selected_path:
            return  # the dialog closed, or another backup was selected meanwhile
        self.check = check
        self.ui.check_label.setText(check_text(check))
        self.restore_button.setEnabled(check.ok)

    def _on_check_failed(self, path: Path, exc: BaseException) -> None:
        self._on_checked(BackupCheck(path, None, 0, [f"it could not be read ({exc})"]))
