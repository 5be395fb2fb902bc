"""Every action of the main window: text, shortcut, icon and status tip, in one place.

The window decides where actions go (menus, toolbar) and what they do; this module only says
what they are, so shortcuts can be reviewed at a glance and never collide.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QWidget

from ..icons import icon

Key = QKeySequence.StandardKey


def _action(parent: QWidget, name: str, text: str, tip: str, *, shortcuts: list | None = None,
            icon_name: str | None = None, low_priority: bool = False) -> QAction:
    action = QAction(text, parent)
    action.setObjectName(name)
    action.setStatusTip(tip)
    action.setToolTip(tip)
    if shortcuts:
        keys = []
        for shortcut in shortcuts:
            keys.extend(QKeySequence.keyBindings(shortcut) if isinstance(shortcut, Key) else [QKeySequence(shortcut)])
        unique = {key.toString(): key for key in keys if not key.isEmpty()}
        keys = list(unique.values())
        action.setShortcuts(keys)
        action.setToolTip(f"{tip} ({keys[0].toString(QKeySequence.SequenceFormat.NativeText)})")
    if icon_name:
        action.setProperty("icon_name", icon_name)
        action.setIcon(icon(icon_name))
    if low_priority:  # the toolbar shows these as icons only
        action.setPriority(QAction.Priority.LowPriority)
    return action


class MainActions:
    """The main window's actions; Undo and Redo follow ``undo_stack``."""

    def __init__(self, parent: QWidget, undo_stack: QUndoStack):
        a = _action
        # File
        self.new_database = a(parent, "action_new_database", "&New Database…",
                              "Create an empty office database in a new file",
                              # Ctrl+N is left to the tabs ("new project", "new risk").
                              shortcuts=["Ctrl+Shift+N"], icon_name="new")
        self.open_database = a(parent, "action_open_database", "&Open Database…",
                               "Open another office database file", shortcuts=[Key.Open], icon_name="open")
        self.connect_server = a(parent, "action_connect_server", "&Connect to Server…",
                                "Open an office database on a shared server (PostgreSQL) by its address",
                                shortcuts=["Ctrl+Shift+O"], icon_name="server")
        self.backup_database = a(parent, "action_backup_database", "&Back Up Database…",
                                 "Save a verified copy of this database to a file of your choice",
                                 shortcuts=["Ctrl+Shift+B"], icon_name="backup")
        self.restore_backup = a(parent, "action_restore_backup", "&Restore from Backup…",
                                "Put a checked backup in place of this database (the current one is kept as a "
                                "safety copy)")
        # File: spreadsheet intake
        self.import_spreadsheets = a(parent, "action_import_spreadsheets", "&Import Spreadsheets…",
                                     "Import the spreadsheets project managers sent, checking every change first",
                                     shortcuts=["Ctrl+I"], icon_name="import")
        self.import_spreadsheets.setIconText("Import")
        self.import_history = a(parent, "action_import_history", "Import &History…",
                                "Every import into this database, with undo")
        self.undo_last_import = a(parent, "action_undo_last_import", "Undo &Last Import…",
                                  "Take the most recent import back out of the database")
        self.new_project_from_methodology = a(
            parent, "action_new_project_from_methodology", "New Project from &Methodology…",
            "Start a project with its methodology's standard milestones and starter RAID items")
        self.standards_library = a(parent, "action_standards_library", "Standar&ds Library…",
                                   "Each methodology's standard milestones and starter RAID items")
        self.stage_gates = a(parent, "action_stage_gates", "Stage &Gates…",
                             "The gates between stages and their criteria, per methodology")
        self.new_template = a(parent, "action_new_template", "New &Template…",
                              "Write the office's standard workbook for project managers to fill in",
                              icon_name="export")
        self.export_table = a(parent, "action_export_table", "&Export Table…",
                              "Save what the current tab's table shows (filters and order applied) as an Excel "
                              "workbook", shortcuts=["Ctrl+Shift+E"], icon_name="export")
        self.export_pack = a(parent, "action_export_pack", "Export &Pack…",
                             "Write the executive pack for directors: KPIs, portfolio, milestones, financials, "
                             "resources, RAID and governance in one Excel workbook",
                             shortcuts=["Ctrl+E"], icon_name="export")
        self.settings = a(parent, "action_settings", "Office &Settings…",
                          "PMO type, reporting cadence, currency and RAG and risk thresholds",
                          shortcuts=[Key.Preferences, "Ctrl+,"], icon_name="settings")
        self.criteria = a(parent, "action_criteria", "Strategic &Criteria…",
                          "The criteria projects are scored on, and their weights")
        self.quit = a(parent, "action_quit", "&Quit", "Close PMO Desktop", shortcuts=[Key.Quit, "Ctrl+Q"],
                      icon_name="quit")
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        # Edit
        self.undo = undo_stack.createUndoAction(parent, "&Undo")
        self.undo.setObjectName("action_undo")
        self.undo.setShortcuts([QKeySequence("Ctrl+Z")])
        self.undo.setProperty("icon_name", "undo")
        self.undo.setIcon(icon("undo"))
        self.undo.setPriority(QAction.Priority.LowPriority)
        self.undo.setStatusTip("Undo the last change")
        self.redo = undo_stack.createRedoAction(parent, "&Redo")
        self.redo.setObjectName("action_redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo.setProperty("icon_name", "redo")
        self.redo.setIcon(icon("redo"))
        self.redo.setPriority(QAction.Priority.LowPriority)
        self.redo.setStatusTip("Redo the change you undid")
        self.find = a(parent, "action_find", "&Find…", "Filter the table of the current tab",
                      shortcuts=[Key.Find, "Ctrl+F"], icon_name="find", low_priority=True)
        # View
        self.refresh = a(parent, "action_refresh", "&Refresh", "Read the data again (others may have changed it)",
                         shortcuts=[Key.Refresh, "F5"], icon_name="refresh", low_priority=True)
        # Help
        self.about = a(parent, "action_about", "&About PMO Desktop", "Version, database and log file",
                       icon_name="about")
        self.about.setMenuRole(QAction.MenuRole.AboutRole)
        self.open_log_folder = a(parent, "action_open_log_folder", "Open &Log Folder",
                                 "Show the folder with PMO Desktop's log files", icon_name="log_folder")
        self.clear_recent = a(parent, "action_clear_recent", "&Clear Menu", "Forget the recently opened databases")

    def __iter__(self) -> Iterator[QAction]:
        return (value for value in vars(self).values() if isinstance(value, QAction))

    def refresh_icons(self) -> None:
        """Redraw every icon in the current palette (after a light/dark switch)."""
        for action in self:
            name = action.property("icon_name")
            if name:
                action.setIcon(icon(name))


def tab_action(parent: QWidget, title: str, position: int) -> QAction:
    """View > <tab>: Ctrl+<position> switches to the tab."""
    action = _action(parent, f"action_show_{title.lower()}", f"&{title}", f"Show the {title} tab",
                     shortcuts=[f"Ctrl+{position}"])
    action.setCheckable(True)
    return action
