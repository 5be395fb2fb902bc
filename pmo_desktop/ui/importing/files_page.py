"""Wizard page 1: the files to import, read and analysed in the background as they are added."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, QStandardPaths, Qt
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from ...importer.fields import Kind
from ...importer.session import (
    SPREADSHEET_SUFFIXES,
    ImportSession,
    LoadedFile,
    TableChoice,
    is_spreadsheet,
    spreadsheet_files,
)
from ..tasks import Progress, Task, run_in_background
from .labels import ERROR_COLOUR, kind_label

FILE_FILTER = f"Spreadsheets ({' '.join('*' + s for s in SPREADSHEET_SUFFIXES)});;All files (*)"
PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def dropped_paths(mime: QMimeData | None) -> list[Path]:
    """The spreadsheets and folders among dropped items (empty: refuse the drop)."""
    if mime is None or not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [path for path in paths if path.is_dir() or is_spreadsheet(path)]


class FilesPage(QWizardPage):
    """Choose files (or a folder); each is read at once and shows what was found or why it cannot be."""

    def __init__(self, session: ImportSession, parent=None):
        super().__init__(parent)
        self.session = session
        self.task: Task | None = None
        self._pending: list[Path] = []  # added while a read was running: read next
        self._abandoned = False
        self.setTitle("Choose the spreadsheets")
        self.setSubTitle("Add the files project managers sent you, or drop them here. Each one is read as soon "
                         "as it is added: the list shows the tables found in it, or why it cannot be imported.")
        self.setAcceptDrops(True)

        self.files_list = QTreeWidget(self)
        self.files_list.setObjectName("files_list")
        self.files_list.setHeaderLabels(["File", "What was found"])
        self.files_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.files_list.setRootIsDecorated(True)
        self.files_list.setUniformRowHeights(True)
        self.files_list.setAlternatingRowColors(True)
        self.files_list.setStyleSheet("QTreeWidget::item { padding: 3px 0; }")
        header = self.files_list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.files_list.setColumnWidth(0, 300)
        self.files_list.itemSelectionChanged.connect(self._update_buttons)

        self.add_files_button = QPushButton("Add &Files…", self)
        self.add_files_button.setObjectName("add_files_button")
        self.add_folder_button = QPushButton("Add F&older…", self)
        self.add_folder_button.setObjectName("add_folder_button")
        self.remove_button = QPushButton("&Remove", self)
        self.remove_button.setObjectName("remove_button")
        self.add_files_button.clicked.connect(self._on_add_files_button_clicked)
        self.add_folder_button.clicked.connect(self._on_add_folder_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)

        self.status_label = QLabel(self)
        self.status_label.setObjectName("files_status_label")
        self.status_label.setProperty("role", "hint")
        self.status_label.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.files_list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        self._show_files()

    # -- adding and removing ------------------------------------------------------------------
    def add_paths(self, paths: Iterable[str | Path]) -> None:
        """Read the spreadsheets among ``paths`` (folders give the spreadsheets in them) in the background."""
        files = spreadsheet_files(paths)
        if not files:
            self.status_label.setText("None of those is a spreadsheet this program imports "
                                      f"({', '.join(SPREADSHEET_SUFFIXES)}).")
            return
        if self.task is not None:  # one read at a time: queue behind the running one
            self._pending.extend(files)
            return
        self.status_label.setText(f"Reading {len(files)} file{'s' if len(files) != 1 else ''}…")
        self._set_busy(True)

        def read(progress: Progress) -> list[LoadedFile]:
            def report(done: int, total: int, text: str) -> None:
                progress.check()
                progress.report(done, total, text)
            return self.session.load(files, report)

        self.task = run_in_background(read, on_done=self._on_loaded, on_error=self._on_load_failed,
                                      on_cancelled=self._on_load_cancelled, progress="Reading spreadsheets…",
                                      parent=self)

    def abandon(self) -> None:
        """The wizard is closing: stop reading and ignore what a running read reports."""
        self._abandoned = True
        if self.task is not None:
            self.task.cancel()

    def _on_loaded(self, loaded: list[LoadedFile]) -> None:
        if self._abandoned:
            return
        added = self.session.add_loaded(loaded)
        unreadable = sum(1 for item in added if not item.ok)
        tables = sum(len(item.tables) for item in added)
        text = f"Added {len(added)} file{'s' if len(added) != 1 else ''} with {tables} table{'s' if tables != 1 else ''}"
        if unreadable:
            text += f"; {unreadable} cannot be imported (see the reason next to each)"
        self._finish_task(text + ".")

    def _on_load_failed(self, exc: BaseException) -> None:
        if self._abandoned:
            return
        self._finish_task(f"Reading stopped: {exc}")

    def _on_load_cancelled(self) -> None:
        if self._abandoned:
            return
        self._finish_task("Reading was cancelled; the files being read were not added.")

    def _finish_task(self, text: str) -> None:
        self.task = None
        self._set_busy(False)
        self.status_label.setText(text)
        self._show_files()
        pending, self._pending = self._pending, []
        if pending:
            self.add_paths(pending)

    def _set_busy(self, busy: bool) -> None:
        for button in (self.add_files_button, self.add_folder_button):
            button.setEnabled(not busy)
        self._update_buttons()
        self.completeChanged.emit()

    def _start_folder(self) -> str:
        if self.session.files:
            return str(self.session.files[-1].path.parent)
        return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)

    def _on_add_files_button_clicked(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Add Spreadsheets", self._start_folder(), FILE_FILTER)
        if names:
            self.add_paths(names)

    def _on_add_folder_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add Every Spreadsheet in a Folder", self._start_folder())
        if folder:
            self.add_paths([folder])

    def _on_remove_button_clicked(self) -> None:
        for item in self.files_list.selectedItems():
            top = item if item.parent() is None else item.parent()
            self.session.remove_file(top.data(0, PATH_ROLE))
        self.status_label.clear()
        self._show_files()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self.task is None and bool(self.files_list.selectedItems()))

    # -- the list -----------------------------------------------------------------------------
    def _show_files(self) -> None:
        self.files_list.clear()
        for loaded in self.session.files:
            item = QTreeWidgetItem([loaded.path.name, _found_text(loaded)])
            item.setData(0, PATH_ROLE, str(loaded.path))
            item.setToolTip(0, str(loaded.path))
            if not loaded.ok:
                item.setForeground(1, QBrush(QColor(ERROR_COLOUR)))
                reason = QTreeWidgetItem([loaded.error])
                reason.setToolTip(0, loaded.error)
                item.addChild(reason)
            for table in loaded.tables:
                child = QTreeWidgetItem([f"Sheet {table.sheet}", _table_text(table)])
                item.addChild(child)
            for note in loaded.skipped:
                child = QTreeWidgetItem(["", note])
                child.setToolTip(1, note)
                item.addChild(child)
            self.files_list.addTopLevelItem(item)
            if not loaded.ok:
                item.child(0).setFirstColumnSpanned(True)  # the whole reason, across both columns
            item.setExpanded(True)
        if not self.session.files and self.task is None:
            self.status_label.setText("Add files or a folder, or drop spreadsheets on this list.")
        self._update_buttons()
        self.completeChanged.emit()

    # -- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if self.task is None and dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # -- QWizardPage --------------------------------------------------------------------------
    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.task is None and bool(self.session.tables)


def _found_text(loaded: LoadedFile) -> str:
    if not loaded.ok:
        return "Cannot be imported:"
    if not loaded.tables:
        return "No table this program can import"
    kinds = ", ".join(dict.fromkeys(kind_label(t.kind.value if t.kind else None) for t in loaded.tables))
    count = len(loaded.tables)
    return f"{count} table{'s' if count != 1 else ''}: {kinds}"


def _table_text(table: TableChoice) -> str:
    """What one table holds and where, as the files list shows it."""
    if table.is_score_matrix:
        count = sum(1 for column in table.criterion_columns if column.criterion is not None)
        criteria = "1 criterion" if count == 1 else f"{count} criteria"
        return (f"{kind_label(Kind.SCORES.value)} (scoring matrix, {criteria}): "
                f"{table.row_count:,} projects under the headers on row {table.header_row}")
    return (f"{kind_label(table.kind.value if table.kind else None)}: "
            f"{table.row_count:,} rows under the headers on row {table.header_row}")
