"""The main window as a coordinator meets it: tabs, menus, shortcuts, opening files, state, crashes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import pytest
from held_start import held_start_script  # tests/ui is on the path of its tests (pytest rootdir-less layout)
from PySide6.QtCore import QMetaMethod, QSettings, Qt
from PySide6.QtGui import QAction, QUndoCommand
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QTableView, QWidget

from pmo_desktop.logging_setup import log_file_path, setup_logging
from pmo_desktop.ui.main_window import MainWindow
from pmo_desktop.ui.main_window.main_window import TAB_SPECS
from pmo_desktop.ui.main_window.persist import MAX_RECENT, RecentDatabases, app_settings

EXPECTED_TABS = ["Portfolio", "Resources", "Risks", "Governance"]


@pytest.fixture
def window(qtbot, ctx):
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    return win


def _menu_actions(menu: QMenu) -> list[QAction]:
    found = []
    for action in menu.actions():
        if action.isSeparator() or not action.isVisible():
            continue
        if action.menu() is not None:
            found.extend(_menu_actions(action.menu()))
        else:
            found.append(action)
    return found


def _all_menu_actions(win: MainWindow) -> list[QAction]:
    return [a for top in win.menuBar().actions() for a in _menu_actions(top.menu())]


def _is_connected(action: QAction) -> bool:
    return action.isSignalConnected(QMetaMethod.fromSignal(action.triggered))


def test_opens_on_a_fresh_database_with_its_tabs_and_status(window, ctx):
    assert window.windowTitle() == "PMO Desktop — office.db"
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == EXPECTED_TABS
    assert window.database_status.text() == str(ctx.db.path)
    assert window.user_status.text() == f"User: {ctx.db.actor}"
    assert "Period ending" in window.period_status.text()
    assert "0 projects" in window.counts_status.text()


def test_every_tab_has_a_table_and_a_filter(window):
    for page in window.tab_pages:
        assert isinstance(page.table, QTableView)
        assert page.filter_bar.search is not None


def test_menus_hold_no_dead_or_forever_disabled_actions(window, ctx):
    actions = _all_menu_actions(window)
    titles = [top.text().replace("&", "") for top in window.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Help"]
    for action in actions:
        assert _is_connected(action), f"{action.text()} does nothing"
    disabled = {a.objectName() for a in actions if not a.isEnabled()}
    assert disabled <= {"action_undo", "action_redo"}, disabled  # nothing to undo yet

    ctx.undo_stack.push(QUndoCommand("Edit a project"))
    assert window.main_actions.undo.isEnabled()
    ctx.undo_stack.undo()
    assert window.main_actions.redo.isEnabled()


def test_help_open_log_folder_shows_the_folder_with_the_log(window, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    window.main_actions.open_log_folder.trigger()
    assert [url.toLocalFile() for url in opened] == [str(log_file_path().parent)]


def test_shortcuts_are_unique(window):
    seen: dict[str, str] = {}
    for action in _all_menu_actions(window):
        for key in action.shortcuts():
            text = key.toString()
            assert text not in seen, f"{text} is used by {seen[text]} and {action.text()}"
            seen[text] = action.text()
    assert seen["Ctrl+Z"] and seen["Ctrl+Shift+Z"] and seen["Ctrl+F"] and seen["F5"]


def test_ctrl_digits_switch_tabs(window, qtbot):
    for position, spec in reversed(list(enumerate(TAB_SPECS, start=1))):
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{position}"), Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentWidget() is window.findChild(QWidget, f"{spec.key}_tab")
        assert window.tabs.currentIndex() == position - 1


def test_ctrl_f_focuses_the_current_tabs_filter(window, qtbot):
    for page in window.tab_pages:
        window.tabs.setCurrentWidget(page)
        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda p=page: p.filter_bar.search.hasFocus())


def test_refresh_reads_every_tab_again(window, monkeypatch):
    calls = []
    for page in window.tab_pages:
        monkeypatch.setattr(page, "refresh", lambda p=page: calls.append(p))
    window.main_actions.refresh.trigger()
    assert calls == [window.tabs.currentWidget()]
    for page in window.tab_pages:  # the others refresh when they are shown
        window.tabs.setCurrentWidget(page)
    assert set(calls) == set(window.tab_pages)


def test_window_state_tab_and_columns_are_restored(qtbot, ctx, private_dirs):
    first = MainWindow(ctx)
    qtbot.addWidget(first)
    first.show()
    first.resize(first.minimumSizeHint().width() + 97, first.minimumSizeHint().height() + 131)
    size = (first.width(), first.height())
    last_page = first.tab_pages[-1]
    first.tabs.setCurrentWidget(last_page)
    last_page.table.horizontalHeader().resizeSection(0, 233)
    first.close()
    assert (private_dirs / "pmo-desktop" / "pmo-desktop.ini").exists()

    second = MainWindow(ctx)
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == size
    assert second.tabs.currentIndex() == second.tabs.count() - 1
    assert second.tab_pages[-1].table.horizontalHeader().sectionSize(0) == 233


def test_recent_databases_are_kept_in_qsettings_newest_first_at_most_eight(tmp_path):
    recent = RecentDatabases(app_settings())
    for i in range(MAX_RECENT + 3):
        recent.add(f"sqlite:///{tmp_path / f'office{i}.db'}")
    recent.add("postgresql://pmo:secret@server/pmo")
    urls = RecentDatabases(QSettings(app_settings().fileName(), QSettings.Format.IniFormat)).urls()
    assert len(urls) == MAX_RECENT
    assert urls[0] == "postgresql+psycopg://pmo@server/pmo"  # the password is never stored
    assert urls[1].endswith("office10.db")
    assert "secret" not in (tmp_path / "qsettings" / "pmo-desktop" / "pmo-desktop.ini").read_text()


def test_opening_another_database_switches_and_lists_the_previous_one(window, ctx, tmp_path):
    first = str(ctx.db.path)
    assert window.open_database_url(str(tmp_path / "second.db"))
    assert window.windowTitle() == "PMO Desktop — second.db"
    assert ctx.db.path.name == "second.db"
    recent = [a for a in window.recent_menu.actions() if not a.isSeparator()]
    assert recent[0].toolTip().endswith(first)
    assert window.recent_menu.menuAction().isVisible()


def test_connect_to_server_opens_a_database_by_its_address(window, ctx, tmp_path, monkeypatch):
    address = f"sqlite:///{tmp_path / 'shared.db'}"
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (f"  {address} ", True)))
    window.main_actions.connect_server.trigger()
    assert ctx.db.path == tmp_path / "shared.db"


def test_an_unreachable_server_is_reported_and_the_current_database_stays(window, ctx, monkeypatch,
                                                                          message_boxes):
    before = ctx.db
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("nosuchdriver://x/y", True)))
    window.main_actions.connect_server.trigger()
    assert ctx.db is before
    assert "needs a database driver that is not installed" in message_boxes.texts()


def test_a_server_that_does_not_answer_is_explained_without_the_password(window, ctx, monkeypatch,
                                                                        message_boxes):
    pytest.importorskip("psycopg")
    address = "postgresql://pmo:hunter2@127.0.0.1:1/pmo"  # nothing listens on port 1
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (address, True)))
    window.main_actions.connect_server.trigger()
    assert "could not reach the database server" in message_boxes.texts()
    assert "hunter2" not in message_boxes.texts()
    assert ctx.db.path.name == "office.db"


def test_connect_to_server_refuses_a_plain_file_name(window, ctx, tmp_path, monkeypatch, message_boxes):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("office copy", True)))
    window.main_actions.connect_server.trigger()
    assert "is not a server address" in message_boxes.texts()
    assert not (tmp_path / "office copy").exists()


def test_new_database_creates_an_empty_office_and_never_replaces_a_file(window, ctx, tmp_path, monkeypatch,
                                                                       message_boxes):
    existing = tmp_path / "office.db"  # the database that is open
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(existing), "")))
    window.main_actions.new_database.trigger()
    assert "already exists" in message_boxes.texts()
    assert ctx.db.path == existing

    fresh = tmp_path / "east-region"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(fresh), "")))
    window.main_actions.new_database.trigger()
    assert ctx.db.path == tmp_path / "east-region.db"
    assert window.counts_status.text().startswith("0 projects")


def test_a_database_from_a_newer_version_is_refused_in_plain_words(window, ctx, tmp_path, message_boxes):
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    conn.commit()
    conn.close()
    before = ctx.db

    assert not window.open_database_url(str(newer))
    assert ctx.db is before  # the current database stays open
    assert window.windowTitle() == "PMO Desktop — office.db"
    assert "newer version" in message_boxes.texts()


def test_a_file_that_is_not_a_database_is_refused_in_plain_words(window, ctx, tmp_path, message_boxes):
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"These are meeting notes, not a database." * 100)

    assert not window.open_database_url(str(junk))
    assert "cannot be read" in message_boxes.texts()
    assert ctx.db.path.name == "office.db"


def test_a_missing_recent_file_is_dropped_not_created(window, tmp_path, message_boxes):
    gone = tmp_path / "moved.db"
    window.recent.add(f"sqlite:///{gone}")
    window._update_recent_menu()
    [entry] = [a for a in window.recent_menu.actions() if "moved.db" in a.text()]
    entry.trigger()
    assert not gone.exists()
    assert "no longer exists" in message_boxes.texts()
    assert all("moved.db" not in url for url in window.recent.urls())


def test_backup_copies_and_verifies_the_database(window, ctx, tmp_path, qtbot, monkeypatch, message_boxes):
    destination = tmp_path / "backups" / "copy.db"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(destination), "")))
    window.main_actions.backup_database.trigger()
    qtbot.waitUntil(lambda: any(title == "Backup saved" for _k, title, _t in message_boxes.shown), timeout=10_000)
    conn = sqlite3.connect(destination)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM office_settings").fetchone()[0] == 1
    finally:
        conn.close()


def test_unexpected_errors_show_a_dialog_write_the_log_and_keep_running(qtbot, ctx, monkeypatch):
    from pmo_desktop.ui import app as app_module
    from pmo_desktop.ui.dialogs.error_dialog import ErrorDialog

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(app_module, "_handler", None)
    shown: list[ErrorDialog] = []
    monkeypatch.setattr(ErrorDialog, "exec", lambda self: shown.append(self) or 0)
    setup_logging()
    app_module.install_crash_handler(show_dialog=True)

    try:
        {}["missing project"]
    except KeyError:
        sys.excepthook(*sys.exc_info())

    [dialog] = shown
    assert "KeyError" in dialog.ui.summary_label.text()
    assert "missing project" in dialog.details
    assert str(log_file_path()) in dialog.ui.log_label.text()
    log_text = log_file_path().read_text(encoding="utf-8")
    assert "Unhandled exception" in log_text and "KeyError: 'missing project'" in log_text

    worker = threading.Thread(target=lambda: 1 / 0)  # from another thread: queued to the GUI thread
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(shown) == 2)
    assert "ZeroDivisionError" in shown[1].ui.summary_label.text()


def test_the_log_never_holds_a_password(tmp_path):
    import logging

    setup_logging()
    logging.getLogger("test").error("cannot reach postgresql://pmo:s3cret@db.example/pmo (password=s3cret)")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file_path().read_text(encoding="utf-8")
    assert "s3cret" not in text
    assert "postgresql://pmo:***@db.example/pmo" in text


def test_importing_the_entry_point_loads_neither_qt_nor_sqlalchemy():
    code = ("import sys, pmo_desktop.__main__; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'sqlalchemy', 'alembic'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


_SHOWN_BEFORE_MATPLOTLIB = held_start_script("""
from pmo_desktop.ui.portfolio import charts_view
""", "charts_view.import_chart_modules", """
def exec_and_check(*_args):
    from pmo_desktop.ui.main_window import MainWindow
    app = QApplication.instance()
    window = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow))
    print("at exec", "matplotlib" in sys.modules, "numpy" in sys.modules)
    tab = window.current_tab()
    process_until(app, lambda: window.windowHandle().isExposed() and tab.model.rowCount() > 0
                  and tab.charts.is_loading)
    print("shown", window.windowHandle().isExposed(), tab.model.rowCount(),
          "matplotlib" in sys.modules or "numpy" in sys.modules,
          tab.charts.loading_label.isVisibleTo(window), tab.charts.loading_label.text())
    released.set()
    process_until(app, lambda: tab.charts.canvas.figure is not None)
    print("drawn", tab.charts.canvas.figure is not None, held_on_main_thread,
          tab.charts.loading_label.isVisibleTo(window))
    return 0
""")


def test_the_window_and_its_table_are_shown_before_matplotlib_is_imported(ctx, tmp_path):
    from pmo_desktop.model import Project

    with ctx.db.transaction() as session:
        session.add(Project(code="DIG-001", name="Customer portal", stage="execution"))
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", _SHOWN_BEFORE_MATPLOTLIB, str(ctx.db.path)], capture_output=True,
                         text=True, env=env, timeout=180)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "at exec False False"
    # Window exposed, its table filled, the chart area saying so, and neither matplotlib nor numpy imported.
    assert lines[1] == "shown True 1 False True Loading chart…"
    # Then matplotlib was imported once, off the GUI thread, and the first chart replaced the message.
    assert lines[2] == "drawn True [False] False"


_GARBAGE_COLLECTION_AT_START = """
import gc, sys
from PySide6.QtWidgets import QApplication
from pmo_desktop.ui import context

built = context.AppContext.__init__

def building(self, *args, **kwargs):
    print("while building", gc.isenabled())
    built(self, *args, **kwargs)

context.AppContext.__init__ = building
QApplication.exec = lambda *_args: print("at exec", gc.isenabled()) or 0
from pmo_desktop.__main__ import main
print("code", main(["--database", sys.argv[1], "--no-crash-dialog"]), gc.isenabled())
"""


def test_garbage_collection_is_paused_while_starting_and_back_on_once_the_window_is_shown(ctx, tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", _GARBAGE_COLLECTION_AT_START, str(ctx.db.path)], capture_output=True,
                         text=True, env=env, timeout=180)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["while building False", "at exec True", "code 0 True"]


def test_garbage_collection_is_back_on_when_the_user_quits_at_the_start(pmo_app, monkeypatch):
    import gc

    from pmo_desktop.ui import app as app_module

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(app_module, "_handler", None)
    monkeypatch.setattr(app_module, "open_startup_database", lambda url: None)  # "Close" at the prompt
    assert app_module.run_gui("unused.db", crash_dialog=False) == 1
    assert gc.isenabled()


def test_subcommands_go_to_the_cli_with_the_database_option_moved(monkeypatch):
    from pmo_desktop import __main__ as entry
    from pmo_desktop import cli

    seen = []
    monkeypatch.setattr(cli, "main", lambda argv: seen.append(argv) or 0)
    assert entry.main(["--database", "x.db", "check"]) == 0
    assert seen == [["check", "--database", "x.db"]]


def test_help_lists_every_command_of_the_cli():
    from pmo_desktop import __main__ as entry
    from pmo_desktop import cli

    commands = next(a for a in cli.build_parser()._actions if a.dest == "command").choices
    assert sorted(entry.SUBCOMMANDS) == sorted(commands)


def test_no_crash_dialog_logs_to_stderr_instead(qtbot, monkeypatch, capsys):
    from pmo_desktop.ui import app as app_module
    from pmo_desktop.ui.dialogs.error_dialog import ErrorDialog

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(app_module, "_handler", None)
    monkeypatch.setattr(ErrorDialog, "exec", lambda self: pytest.fail("no dialog with --no-crash-dialog"))
    setup_logging()
    app_module.install_crash_handler(show_dialog=False)
    try:
        raise RuntimeError("export folder vanished")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert "RuntimeError: export folder vanished" in capsys.readouterr().err
    assert "export folder vanished" in log_file_path().read_text(encoding="utf-8")


def test_the_first_start_creates_the_default_database_as_an_empty_office(pmo_app, tmp_path):
    from pmo_desktop.model import OfficeSettings
    from pmo_desktop.ui.app import open_startup_database

    db = open_startup_database(None)
    try:
        assert db.path == tmp_path / "data" / "portfolio.db"
        assert db.path.exists()
        with db.session() as session:
            assert session.get(OfficeSettings, 1) is not None
    finally:
        db.dispose()


def test_a_start_on_an_unusable_database_explains_and_offers_another(pmo_app, tmp_path, message_boxes):
    from pmo_desktop.ui.app import open_startup_database

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00not sqlite\x00" * 200)
    assert open_startup_database(str(junk)) is None  # the user chose Close
    [(_kind, _title, text)] = message_boxes.shown
    assert "cannot be read" in text


def test_a_compliance_exception_opens_its_project_in_the_portfolio_tab(window, ctx):
    from pmo_desktop.model import Project

    with ctx.db.transaction() as session:
        project = Project(code="LINK-1", name="Linked from governance", stage="execution")
        session.add(project)
        session.flush()
        project_id = project.id
    ctx.data_changed.emit("*")
    portfolio = window.tab_pages[0]
    governance = window.tab_pages[3]
    window.tabs.setCurrentWidget(governance)
    governance.compliance.project_requested.emit(project_id)
    assert window.tabs.currentWidget() is portfolio
    assert portfolio.selected_project_id() == project_id


def test_an_unhandled_database_error_is_shown_in_plain_words_not_as_a_crash(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from pmo_desktop.model.database import DatabaseLockedError
    from pmo_desktop.ui import app as app_module
    from pmo_desktop.ui.dialogs.error_dialog import ErrorDialog

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(app_module, "_handler", None)
    monkeypatch.setattr(ErrorDialog, "exec", lambda self: pytest.fail("a busy database is not a crash"))
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warnings.append(text))
    setup_logging()
    app_module.install_crash_handler(show_dialog=True)
    try:
        raise DatabaseLockedError("The database office.db is busy: try again in a moment.")
    except DatabaseLockedError:
        sys.excepthook(*sys.exc_info())
    assert warnings == ["The database office.db is busy: try again in a moment."]


def test_only_the_current_tab_is_built_at_start_and_each_other_on_first_show(window, ctx, monkeypatch):
    assert window.findChild(QWidget, "portfolio_tab") is window.tabs.currentWidget()
    for key in ("resources", "risks", "governance"):
        assert window.findChild(QWidget, f"{key}_tab") is None, f"the {key} tab was built before it was shown"
    window.show_tab("risks")
    risks = window.findChild(QWidget, "risks_tab")
    assert window.tabs.currentWidget() is risks
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Risks"
    assert window.findChild(QWidget, "resources_tab") is None
    refreshed = []
    monkeypatch.setattr(risks, "refresh", lambda: refreshed.append(risks))
    window.show_tab("portfolio")
    window.show_tab("risks")
    assert window.findChild(QWidget, "risks_tab") is risks and refreshed == []  # built and read once


def test_a_compliance_exception_opens_the_portfolio_tab_even_when_it_was_never_shown(qtbot, ctx, private_dirs):
    from pmo_desktop.model import Project

    with ctx.db.transaction() as session:
        project = Project(code="LINK-2", name="Linked before Portfolio was shown", stage="execution")
        session.add(project)
        session.flush()
        project_id = project.id
    app_settings().setValue("window/last_tab", "governance")
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    governance = win.tabs.currentWidget()
    assert governance.objectName() == "governance_tab"
    assert win.findChild(QWidget, "portfolio_tab") is None
    governance.compliance.project_requested.emit(project_id)
    portfolio = win.findChild(QWidget, "portfolio_tab")
    assert win.tabs.currentWidget() is portfolio
    assert portfolio.selected_project_id() == project_id
