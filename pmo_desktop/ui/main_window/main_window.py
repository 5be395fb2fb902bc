"""The main window: builds the tabs, menus, toolbar and status bar, and wires them together.

Tabs are shown in a fixed order and built lazily: at start only the current tab is constructed
(as ``XTab(ctx, parent)``, its module imported then); each other tab is an empty stand-in page until it
is first shown, which keeps start-up to one tab's work. The window calls
``tab.refresh()`` when a tab is first shown and for View > Refresh (the current tab at once, the
others when next shown); otherwise each tab follows ``ctx.data_changed`` itself, including the
"*" that ``ctx.set_database`` emits after File > Open. Menus for later features (import, export
pack, templates) are added by those features to ``file_menu`` and ``main_toolbar``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTableView,
    QTabWidget,
    QToolBar,
    QWidget,
)

from ... import APP_NAME
from ...logging_setup import log_file_path
from ...model.database import DatabaseError, normalise_url, sqlite_path
from ...paths import backup_dir
from ..context import AppContext
from ..dialogs.error_dialog import open_folder, show_error
from ..icons import app_icon
from ..tasks import run_in_background, wait_for_background_work
from .actions import MainActions, tab_action
from .opening import backup_database, open_office
from .persist import RecentDatabases, app_settings, url_to_remember
from .status import read_status_summary

if TYPE_CHECKING:
    from ...services.backups import BackupCheck

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1280, 800)


@dataclass(frozen=True, slots=True)
class TabSpec:
    """One tab of the main window: its settings key, title, and class (built as ``cls(ctx, parent)``).

    The class is named by module and name, and imported when the tab is first shown, so that the
    tabs not shown at start cost nothing.
    """

    key: str
    title: str
    module: str
    class_name: str

    @property
    def tab_class(self) -> type[QWidget]:
        return getattr(importlib.import_module(self.module, __package__), self.class_name)


TAB_SPECS = (
    TabSpec("portfolio", "Portfolio", "..tabs.portfolio_tab", "PortfolioTab"),
    TabSpec("resources", "Resources", "..tabs.resources_tab", "ResourcesTab"),
    TabSpec("risks", "Risks", "..tabs.risks_tab", "RisksTab"),
    TabSpec("governance", "Governance", "..tabs.governance_tab", "GovernanceTab"),
)


@dataclass(slots=True)
class LoadedTab:
    spec: TabSpec
    page: QWidget
    """The tab's page once built; until then an empty stand-in page in its place."""
    action: QAction
    built: bool = False
    stale: bool = True  # not refreshed by the window yet
    header_restored: bool = False


def database_label(url) -> str:
    """How a database is named in titles and menus: a file's name, or the URL without password."""
    url = normalise_url(str(url)) if isinstance(url, str) else url
    path = sqlite_path(url)
    return path.name if path is not None else url.render_as_string(hide_password=True)


class MainWindow(QMainWindow):
    """Tabs over one office database, with the menus, toolbar and status bar around them."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("main_window")
        self.setWindowIcon(app_icon())
        self._settings = settings or app_settings()
        self.recent = RecentDatabases(self._settings)
        self.main_actions = MainActions(self, ctx.undo_stack)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("main_tabs")
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self._loaded: list[LoadedTab] = []
        self._tab_group = QActionGroup(self)
        self._status_timer = QTimer(self)  # many data_changed signals in a row: one status query
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(50)
        self._status_timer.timeout.connect(self.refresh_status)

        self.setAcceptDrops(True)  # spreadsheets dropped on the window open the import wizard
        self._build_tabs()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self._restore_state()
        self._on_database_opened()

    # -- building -----------------------------------------------------------------------------
    def _build_tabs(self) -> None:
        """An empty stand-in page per tab; the current one is built by ``_restore_state``, the others when shown."""
        for position, spec in enumerate(TAB_SPECS, start=1):
            stand_in = QWidget(self)
            stand_in.setObjectName(f"{spec.key}_tab_unbuilt")
            self.tabs.addTab(stand_in, spec.title)
            action = tab_action(self, spec.title, position)
            self._tab_group.addAction(action)
            action.triggered.connect(lambda _checked=False, key=spec.key: self.show_tab(key))
            self._loaded.append(LoadedTab(spec, stand_in, action))

    def _build_page(self, tab: LoadedTab) -> QWidget:
        """The tab's page, constructed now in place of its stand-in if it was not built yet."""
        if tab.built:
            return tab.page
        page = tab.spec.tab_class(self.ctx, self)
        page.setObjectName(f"{tab.spec.key}_tab")
        stand_in, index, current = tab.page, self.tabs.indexOf(tab.page), self.tabs.currentIndex()
        # Swapping the page must not look like a tab change (that is what is being handled), and
        # the page goes in before the stand-in leaves, so that no other tab is shown meanwhile.
        blocked = self.tabs.blockSignals(True)
        try:
            self.tabs.insertTab(index + 1, page, tab.spec.title)
            self.tabs.removeTab(index)
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(blocked)
        stand_in.deleteLater()
        tab.page, tab.built = page, True
        page.installEventFilter(self)  # View > Refresh reaches a built tab as it is shown (``eventFilter``)
        self._resolve_shortcut_clashes(tab)
        self._connect_cross_tab_links(tab)
        return page

    def _build_menus(self) -> None:
        a = self.main_actions
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.file_menu.setObjectName("file_menu")
        self.file_menu.addActions([a.new_database, a.open_database, a.connect_server])
        self.recent_menu = QMenu("Open &Recent", self.file_menu)
        self.recent_menu.setObjectName("recent_menu")
        self.file_menu.addMenu(self.recent_menu)
        self.file_menu.addSeparator()
        self.file_menu.addActions([a.backup_database, a.restore_backup])
        self.file_menu.addSeparator()
        self.file_menu.addActions([a.new_project_from_methodology, a.standards_library, a.stage_gates])
        self.file_menu.addSeparator()
        self.file_menu.addActions([a.import_spreadsheets, a.import_history, a.undo_last_import])
        self.file_menu.addAction(a.new_template)
        self.file_menu.addAction(a.export_table)
        self.file_menu.addAction(a.export_pack)
        self.file_menu.addSeparator()
        self.file_menu.addAction(a.settings)
        self.file_menu.addAction(a.criteria)
        self.file_menu.addSeparator()
        self.file_menu.addAction(a.quit)

        self.edit_menu = bar.addMenu("&Edit")
        self.edit_menu.setObjectName("edit_menu")
        self.edit_menu.addActions([a.undo, a.redo])
        self.edit_menu.addSeparator()
        self.edit_menu.addAction(a.find)

        self.view_menu = bar.addMenu("&View")
        self.view_menu.setObjectName("view_menu")
        self.view_menu.addAction(a.refresh)
        self.view_menu.addSeparator()
        self.view_menu.addActions([tab.action for tab in self._loaded])

        self.help_menu = bar.addMenu("&Help")
        self.help_menu.setObjectName("help_menu")
        self.help_menu.addActions([a.about, a.open_log_folder])

    def _build_toolbar(self) -> None:
        a = self.main_actions
        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(toolbar.iconSize().scaled(20, 20, Qt.AspectRatioMode.IgnoreAspectRatio))
        toolbar.addActions([a.new_database, a.open_database])
        toolbar.addSeparator()
        toolbar.addAction(a.import_spreadsheets)
        toolbar.addSeparator()
        toolbar.addActions([a.undo, a.redo])
        toolbar.addSeparator()
        toolbar.addActions([a.find, a.refresh])
        toolbar.addSeparator()
        toolbar.addAction(a.settings)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.main_toolbar = toolbar

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("status_bar")
        self.database_status = self._status_label("status_database", "The open database")
        self.user_status = self._status_label("status_user", "Changes are recorded in the audit trail as this user")
        self.period_status = self._status_label("status_period", "The latest reporting period in this database")
        self.counts_status = self._status_label("status_counts", "Records in this database")
        bar.addWidget(self.database_status, 1)
        for label in (self.user_status, self.period_status, self.counts_status):
            bar.addPermanentWidget(label)

    def _resolve_shortcut_clashes(self, tab: LoadedTab) -> None:
        """Keep the window's shortcuts working when a tab defines the same key for itself.

        Two shortcuts on one key are ambiguous to Qt, and neither fires. The window's actions
        (Find, Refresh, Undo, ...) already act on the current tab, so a tab's own copy is switched
        off, with a warning in the log for whoever wrote it.
        """
        owned = {key.toString() for action in self.main_actions for key in action.shortcuts()}
        owned |= {key.toString() for loaded in self._loaded for key in loaded.action.shortcuts()}
        for shortcut in tab.page.findChildren(QShortcut):
            keys = shortcut.keys()
            clash = [k.toString() for k in keys if k.toString() in owned]
            if clash and shortcut.isEnabled():
                log.warning("%s tab: its own %s shortcut clashes with the main window's; the window's is used",
                            tab.spec.title, ", ".join(clash))
                shortcut.setEnabled(False)

    def _status_label(self, name: str, tip: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setToolTip(tip)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _connect(self) -> None:
        a = self.main_actions
        a.new_database.triggered.connect(self._on_new_database_triggered)
        a.open_database.triggered.connect(self._on_open_database_triggered)
        a.connect_server.triggered.connect(self._on_connect_server_triggered)
        a.backup_database.triggered.connect(self._on_backup_database_triggered)
        a.restore_backup.triggered.connect(self._on_restore_backup_triggered)
        a.settings.triggered.connect(self._on_settings_triggered)
        a.criteria.triggered.connect(self._on_criteria_triggered)
        a.import_spreadsheets.triggered.connect(lambda: self.open_import_wizard())
        a.import_history.triggered.connect(self._on_import_history_triggered)
        a.undo_last_import.triggered.connect(self._on_undo_last_import_triggered)
        a.new_template.triggered.connect(self._on_new_template_triggered)
        a.new_project_from_methodology.triggered.connect(self._on_new_project_from_methodology_triggered)
        a.standards_library.triggered.connect(self._on_standards_library_triggered)
        a.stage_gates.triggered.connect(self._on_stage_gates_triggered)
        a.export_table.triggered.connect(self.export_current_table)
        a.export_pack.triggered.connect(self._on_export_pack_triggered)
        a.quit.triggered.connect(self.close)
        a.find.triggered.connect(self.focus_filter)
        a.refresh.triggered.connect(self.refresh_all)
        a.about.triggered.connect(self._on_about_triggered)
        a.open_log_folder.triggered.connect(self._on_open_log_folder_triggered)
        a.clear_recent.triggered.connect(self._on_clear_recent_triggered)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.ctx.data_changed.connect(lambda _entity: self._status_timer.start())
        self.ctx.settings_changed.connect(self._status_timer.start)
        self.ctx.error_raised.connect(lambda exc: show_error(self, exc))

    def _connect_cross_tab_links(self, tab: LoadedTab) -> None:
        """A compliance exception opened in Governance shows its project in the Portfolio tab."""
        if tab.spec.key == "governance" and self._tab("portfolio") is not None:
            tab.page.compliance.project_requested.connect(self._show_project)

    def _show_project(self, project_id: int) -> None:
        portfolio = self._build_page(self._tab("portfolio"))
        portfolio.filter_bar.clear()
        self.tabs.setCurrentWidget(portfolio)
        portfolio.select_project(project_id)

    # -- tabs ---------------------------------------------------------------------------------
    @property
    def tab_pages(self) -> list[QWidget]:
        """Every tab's page, building those not shown yet (for callers that need them all)."""
        return [self._build_page(tab) for tab in self._loaded]

    def _tab(self, key: str) -> LoadedTab | None:
        return next((tab for tab in self._loaded if tab.spec.key == key), None)

    def current_tab(self) -> QWidget | None:
        return self.tabs.currentWidget()

    def show_tab(self, key: str) -> bool:
        """Switch to the tab with settings key ``key`` ("portfolio", ...); False if it is not shown."""
        tab = self._tab(key)
        if tab is None:
            return False
        self.tabs.setCurrentWidget(tab.page)  # builds it (``_on_tabs_current_changed``)
        return True

    def _loaded_tab(self, page: QWidget | None) -> LoadedTab | None:
        return next((tab for tab in self._loaded if tab.page is page), None)

    def _on_tabs_current_changed(self, index: int) -> None:
        tab = self._loaded_tab(self.tabs.widget(index))
        if tab is None:
            return
        self._build_page(tab)
        tab.action.setChecked(True)
        self._refresh_if_stale(tab)
        if not tab.header_restored:
            self._restore_header(tab)

    def _refresh_if_stale(self, tab: LoadedTab) -> None:
        if tab.stale:
            tab.stale = False
            tab.page.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A built tab marked stale by View > Refresh is refreshed as it is shown, before its own show event.

        A tab also refreshes itself when shown after a change while hidden; refreshing first clears
        that, so a tab both refreshed by the window and changed while hidden is read once, not twice.
        """
        if event.type() == QEvent.Type.Show:
            tab = self._loaded_tab(watched)
            if tab is not None and tab.built:
                self._refresh_if_stale(tab)
        return super().eventFilter(watched, event)

    def refresh_all(self) -> None:
        """View > Refresh: read everything again (the current tab now, the others when shown)."""
        for tab in self._loaded:
            tab.stale = True
        current = self._loaded_tab(self.current_tab())
        if current is not None:
            self._refresh_if_stale(current)
        self.refresh_status()

    def focus_filter(self) -> None:
        """Edit > Find: put the cursor in the current tab's filter box."""
        page = self.current_tab()
        bar = getattr(page, "filter_bar", None)
        if bar is not None:
            bar.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            bar.search.selectAll()

    # -- status and title ---------------------------------------------------------------------
    def refresh_status(self) -> None:
        db = self.ctx.db
        path = db.path
        self.database_status.setText(str(path) if path is not None else db.display_url)
        self.database_status.setToolTip(f"The open database: {db.display_url}")
        self.user_status.setText(f"User: {db.actor}")
        summary = self.ctx.read(read_status_summary)
        self.period_status.setText(summary.period_text())
        self.counts_status.setText(summary.counts_text())

    def _update_title(self) -> None:
        self.setWindowTitle(f"{APP_NAME} — {database_label(self.ctx.db.url)}")

    # -- opening databases --------------------------------------------------------------------
    def open_database_url(self, url: str) -> bool:
        """Switch to the database at ``url``; on failure say why and keep the current one open."""
        if url_to_remember(normalise_url(url)) == url_to_remember(self.ctx.db.url):
            self.refresh_all()
            return True
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            db = open_office(url)
        except DatabaseError as exc:
            QApplication.restoreOverrideCursor()
            show_error(self, exc, title="Cannot open the database")
            return False
        except BaseException:
            QApplication.restoreOverrideCursor()
            raise
        QApplication.restoreOverrideCursor()
        self.ctx.set_database(db)  # the tabs reload on its data_changed("*")
        self._on_database_opened()
        self.statusBar().showMessage(f"Opened {database_label(db.url)}", 5000)
        return True

    def _on_database_opened(self) -> None:
        self.recent.add(self.ctx.db.url)
        self._update_title()
        self._update_recent_menu()
        self.main_actions.backup_database.setVisible(self.ctx.db.is_sqlite)
        self.main_actions.restore_backup.setVisible(self.ctx.db.is_sqlite)
        self.refresh_status()

    def _documents_dir(self) -> str:
        current = self.ctx.db.path
        if current is not None:
            return str(current.parent)
        return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)

    def _on_new_database_triggered(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "New Office Database", str(Path(self._documents_dir()) / "office.db"),
            "PMO Desktop database (*.db)", options=QFileDialog.Option.DontConfirmOverwrite,  # never replace one
        )
        if not name:
            return
        path = Path(name) if Path(name).suffix else Path(name).with_suffix(".db")
        if path.exists():
            QMessageBox.warning(
                self, "File already exists",
                f"{path} already exists. To open it use File > Open Database; to start a new office, "
                "choose a new file name.",
            )
            return
        self.open_database_url(str(path))

    def _on_open_database_triggered(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Open Office Database", self._documents_dir(),
            "PMO Desktop database (*.db *.sqlite *.sqlite3);;All files (*)",
        )
        if name:
            self.open_database_url(name)

    def _on_connect_server_triggered(self) -> None:
        url, ok = QInputDialog.getText(
            self, "Connect to a Database Server",
            "Address of the office database, for example\n"
            "postgresql://pmo_user@dbserver.example.org/pmo\n\n"
            "The password is taken from PGPASSWORD or your .pgpass file; if you type it in the address it "
            "is used for this session only and never stored.",
        )
        url = url.strip()
        if not ok or not url:
            return
        if "://" not in url:
            QMessageBox.warning(self, "Not a server address",
                                f"'{url}' is not a server address. Type the full address, starting with "
                                "postgresql://, or use File > Open Database for a database file.")
            return
        self.open_database_url(url)

    def _update_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        current = url_to_remember(self.ctx.db.url)
        urls = [u for u in self.recent.urls() if u != current]
        for number, url in enumerate(urls, start=1):
            label = database_label(url).replace("&", "&&")
            action = menu.addAction(f"&{number} {label}" if number < 10 else label)
            action.setToolTip(normalise_url(url).render_as_string(hide_password=True))
            action.setStatusTip(action.toolTip())
            action.triggered.connect(lambda _checked=False, u=url: self._open_recent(u))
        if urls:
            menu.addSeparator()
            menu.addAction(self.main_actions.clear_recent)
        menu.menuAction().setVisible(bool(urls))

    def _open_recent(self, url: str) -> None:
        path = sqlite_path(normalise_url(url))
        if path is not None and not path.exists():
            QMessageBox.warning(
                self, "Database not found",
                f"{path} no longer exists (it may have been moved, renamed or deleted). It has been removed "
                "from the recent list.",
            )
            self.recent.remove(url)
            self._update_recent_menu()
            return
        self.open_database_url(url)

    def _on_clear_recent_triggered(self) -> None:
        self.recent.clear()
        self.recent.add(self.ctx.db.url)
        self._update_recent_menu()

    # -- backup, settings, help ---------------------------------------------------------------
    def _on_backup_database_triggered(self) -> None:
        db = self.ctx.db
        if db.path is None:
            return
        suggested = Path(self._documents_dir()) / f"{db.path.stem}-backup-{dt.date.today():%Y-%m-%d}.db"
        name, _ = QFileDialog.getSaveFileName(self, "Back Up Database", str(suggested),
                                              "PMO Desktop database (*.db)")
        if not name:
            return
        destination = Path(name) if Path(name).suffix else Path(name).with_suffix(".db")
        run_in_background(lambda: backup_database(db, destination), on_done=self._on_backup_done,
                          on_error=lambda exc: show_error(self, exc, title="Backup failed"),
                          progress="Backing up the database…", parent=self)

    def _on_backup_done(self, result: tuple[Path, BackupCheck]) -> None:
        destination, check = result
        self.statusBar().showMessage(f"Backup saved to {destination}", 8000)
        QMessageBox.information(
            self, "Backup saved",
            f"The database was copied to\n{destination}\n\nThe copy passed its check: the file is whole, its "
            f"schema is this version's and its audit trail of {check.audit_events:,} events is unbroken. "
            "File > Restore from Backup > Choose Another File can put it back.")

    def _on_restore_backup_triggered(self) -> None:
        """File > Restore from Backup: choose and check a backup in the dialog, then restore it."""
        from ..dialogs.restore_dialog import RestoreDialog  # dialogs load when first opened, not at start

        path = self.ctx.db.path
        if path is None:
            return
        dialog = RestoreDialog(path, self)
        try:
            if dialog.exec() != RestoreDialog.DialogCode.Accepted or dialog.selected_path is None:
                return
            chosen = dialog.selected_path
        finally:
            dialog.deleteLater()
        self.restore_backup(chosen)

    def restore_backup(self, backup: Path, *, confirm: bool = True) -> bool:
        """Put ``backup`` in place of the open SQLite database and reopen it; True if it was restored.

        The current database is closed first (its engine disposed); a refused restore (a damaged or
        newer backup, the database open elsewhere) is shown in plain words and leaves it open and
        unchanged, undo history included.
        """
        db = self.ctx.db
        path = db.path
        if path is None:
            return False
        backup = Path(backup)
        if confirm:
            safety = backup_dir() / f"{path.stem}-{dt.datetime.now():%Y%m%d-%H%M%S}-before-restore.db"
            answer = QMessageBox.question(
                self, "Restore from backup",
                f"Replace the whole database {path} with the backup {backup.name}?\n\nChanges made since the "
                f"backup was taken will be gone from the database. The current database will be kept as "
                f"{safety}",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        wait_for_background_work()  # nothing of ours may hold the file open
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            db.dispose()
            from ...services.backups import restore as restore_database

            try:
                report = restore_database(path, backup)
            except (DatabaseError, OSError) as exc:
                QApplication.restoreOverrideCursor()
                show_error(self, exc, title="Backup not restored")
                return False
            try:
                restored = open_office(str(path))
            except DatabaseError as exc:
                QApplication.restoreOverrideCursor()
                show_error(self, DatabaseError(
                    f"The backup was put in place but could not be opened: {exc} The database as it was before "
                    f"is kept as {report.safety_copy}."), title="Restored database not opened")
                return False
        finally:
            if QApplication.overrideCursor() is not None:
                QApplication.restoreOverrideCursor()
        self.ctx.set_database(restored)  # clears undo history; the tabs reload on data_changed("*")
        self._on_database_opened()
        self.refresh_all()
        counts = self.ctx.read(read_status_summary).counts_text()
        kept = (f"The database as it was before is kept as\n{report.safety_copy}" if report.safety_copy
                else "There was no database file to keep.")
        self.statusBar().showMessage(f"Restored {path.name} from {backup.name}", 8000)
        QMessageBox.information(
            self, "Backup restored",
            f"{path} now holds the backup {backup.name}: {counts}, and an audit trail of "
            f"{report.check.audit_events:,} events.\n\n{kept}\n\nUndo history was cleared.")
        return True

    def _on_settings_triggered(self) -> None:
        from ..dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx, self)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.statusBar().showMessage("Office settings saved", 5000)

    def _on_criteria_triggered(self) -> None:
        from ..dialogs.criteria_dialog import CriteriaDialog

        dialog = CriteriaDialog(self.ctx, self)
        dialog.exec()
        dialog.deleteLater()  # it follows data changes while it lives

    def _on_new_project_from_methodology_triggered(self) -> None:
        from ..governance.new_project_dialog import NewProjectDialog

        dialog = NewProjectDialog(self.ctx, self)
        if dialog.exec() == NewProjectDialog.DialogCode.Accepted and dialog.created is not None:
            created = dialog.created
            self.statusBar().showMessage(
                f"Project {created.code} created with {created.milestones} milestones and {created.raid_items} "
                "starter RAID items", 8000)

    def _on_standards_library_triggered(self) -> None:
        from ..dialogs.standards_dialog import StandardsDialog

        StandardsDialog(self.ctx, self).exec()

    def _on_stage_gates_triggered(self) -> None:
        from ..dialogs.gates_dialog import GatesDialog

        GatesDialog(self.ctx, self).exec()

    def _on_about_triggered(self) -> None:
        from ..dialogs.about_dialog import AboutDialog

        AboutDialog(self.ctx.db.display_url, self).exec()

    def _on_open_log_folder_triggered(self) -> None:
        open_folder(log_file_path().parent)

    # -- import (the importing package loads on first use: it brings openpyxl) ----------------
    def open_import_wizard(self, paths: list[Path] | None = None) -> None:
        """File > Import Spreadsheets, or files dropped on the window (``paths``)."""
        from ..importing import commands

        commands.open_import_wizard(self.ctx, self, paths or ())

    def _on_import_history_triggered(self) -> None:
        from ..importing import commands

        commands.show_import_history(self.ctx, self)

    def _on_undo_last_import_triggered(self) -> None:
        from ..importing import commands

        commands.undo_last_import(self.ctx, self)

    def _on_new_template_triggered(self) -> None:
        from ..importing import commands

        written = commands.new_template(self.ctx, self)
        if written is not None:
            self.statusBar().showMessage(f"Template saved to {written}", 8000)

    # -- export table (loads openpyxl on first use) --------------------------------------------
    def export_current_table(self) -> bool:
        """File > Export Table: what the current tab's table shows, to a workbook; False if nothing was asked."""
        from ..export.table_export import current_table, export_table

        tab = self._loaded_tab(self.current_tab())
        found = current_table(tab.page, tab.spec.title) if tab is not None else None
        if found is None:
            self.statusBar().showMessage("This tab has no table to export", 5000)
            return False
        model, title = found
        count = model.rowCount()
        return export_table(self, model, title, on_written=lambda path: self.statusBar().showMessage(
            f"Exported {count:,} rows to {path}", 8000))

    # -- executive pack (loads openpyxl on first use) -------------------------------------------
    def _on_export_pack_triggered(self) -> None:
        """File > Export Pack: the dialog writes the pack in the background and offers to open it."""
        from ..export.export_pack_dialog import export_pack

        self._export_pack_dialog = export_pack(self.ctx, self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        """Accept spreadsheets and folders dragged over the window (nothing else)."""
        from ..importing.commands import dropped_paths

        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        event.acceptProposedAction()  # dragEnterEvent already refused what cannot be imported

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        """Open the import wizard with the dropped spreadsheets (a folder gives those in it)."""
        from ..importing.commands import dropped_paths

        paths = dropped_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        # After the drop returns, so the source application is not kept waiting on the wizard.
        QTimer.singleShot(0, lambda: self.open_import_wizard(paths))

    # -- state --------------------------------------------------------------------------------
    def _restore_state(self) -> None:
        s = self._settings
        geometry = s.value("window/geometry")
        if not (isinstance(geometry, QByteArray | bytes) and self.restoreGeometry(geometry)):
            self.resize(*DEFAULT_SIZE)
            screen = QGuiApplication.primaryScreen()
            if screen is not None:
                frame = self.frameGeometry()
                frame.moveCenter(screen.availableGeometry().center())
                self.move(frame.topLeft())
        state = s.value("window/state")
        if isinstance(state, QByteArray | bytes):
            self.restoreState(state)
        last = s.value("window/last_tab", "")
        if last:
            self.show_tab(str(last))
        self._on_tabs_current_changed(self.tabs.currentIndex())

    def _restore_header(self, tab: LoadedTab) -> None:
        table = getattr(tab.page, "table", None)
        state = self._settings.value(f"tables/{tab.spec.key}/header")
        if not isinstance(table, QTableView) or not isinstance(state, QByteArray | bytes):
            tab.header_restored = True  # nothing to restore
            return
        # A table whose model is filled on first refresh has no columns yet: retry after it.
        tab.header_restored = table.horizontalHeader().count() > 0 and table.horizontalHeader().restoreState(state)

    def save_state(self) -> None:
        """Remember geometry, toolbars, the current tab and each table's columns."""
        s = self._settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        current = self._loaded_tab(self.current_tab())
        if current is not None:
            s.setValue("window/last_tab", current.spec.key)
        for tab in self._loaded:  # a tab never built keeps the columns remembered from before
            table = getattr(tab.page, "table", None)
            if isinstance(table, QTableView) and table.horizontalHeader().count():
                s.setValue(f"tables/{tab.spec.key}/header", table.horizontalHeader().saveState())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_state()
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self.main_actions.refresh_icons()
        super().changeEvent(event)
