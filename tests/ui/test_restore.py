"""File > Restore from Backup (and the check File > Back Up Database runs on its copy)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from sqlalchemy import select

from pmo_desktop import paths
from pmo_desktop.model import Project
from pmo_desktop.services.backups import backup_now
from pmo_desktop.ui.dialogs.restore_dialog import RestoreDialog, describe_backup
from pmo_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, ctx):
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _add_project(ctx, code: str) -> None:
    with ctx.db.transaction() as session:
        session.add(Project(code=code, name=f"Project {code}", stage="execution"))
    ctx.data_changed.emit("project")


def _codes(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return sorted(row[0] for row in conn.execute("SELECT code FROM project"))
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _choose_in_dialog(monkeypatch, qtbot, backup: Path, seen: list[RestoreDialog]) -> None:
    """RestoreDialog.exec: select ``backup``, wait for its check, then press Restore if it is enabled."""
    def run(dialog: RestoreDialog) -> int:
        seen.append(dialog)
        dialog.select_path(backup)
        qtbot.waitUntil(lambda: dialog.check is not None, timeout=10_000)
        if dialog.restore_button.isEnabled():
            return RestoreDialog.DialogCode.Accepted
        return RestoreDialog.DialogCode.Rejected
    monkeypatch.setattr(RestoreDialog, "exec", run)


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page, len(data), page):  # every page but the header's: garbage
        data[offset:offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))


def test_restore_menu_action_is_there_for_a_database_file(window):
    action = window.main_actions.restore_backup
    assert action in window.file_menu.actions()
    assert action.isVisible()


def test_restoring_a_backup_taken_before_an_edit_undoes_the_edit(window, ctx, qtbot, monkeypatch,
                                                                  message_boxes):
    _add_project(ctx, "KEEP-1")
    backup = backup_now(ctx.db)
    _add_project(ctx, "GONE-1")
    window.refresh_all()
    assert "2 projects" in window.counts_status.text()
    db_path = ctx.db.path
    old_db = ctx.db
    seen: list[RestoreDialog] = []
    _choose_in_dialog(monkeypatch, qtbot, backup, seen)
    message_boxes.answer = QMessageBox.StandardButton.Yes

    window.main_actions.restore_backup.trigger()

    dialog = seen[0]
    assert "passed its check" in dialog.ui.check_label.text()
    date, reason = describe_backup(backup)
    assert reason == "Manual" and date
    titles = [title for _kind, title, _text in message_boxes.shown]
    assert titles == ["Restore from backup", "Backup restored"], message_boxes.texts()
    confirm = message_boxes.shown[0][2]
    assert "The current database will be kept as" in confirm and str(paths.backup_dir()) in confirm
    # The edit is gone, from the file and from the window.
    assert _codes(db_path) == ["KEEP-1"]
    assert ctx.db is not old_db
    assert ctx.read(lambda s: list(s.scalars(select(Project.code)))) == ["KEEP-1"]
    assert "1 project" in window.counts_status.text() and "1 projects" not in window.counts_status.text()
    portfolio = window.tab_pages[0]
    window.tabs.setCurrentWidget(portfolio)
    qtbot.waitUntil(lambda: portfolio.table.model().rowCount() == 1, timeout=5000)
    assert ctx.undo_stack.count() == 0
    # The database as it was is kept as a safety copy, with the edit in it.
    safety = list(paths.backup_dir().glob(f"{db_path.stem}-*-before-restore.db"))
    assert len(safety) == 1
    assert _codes(safety[0]) == ["GONE-1", "KEEP-1"]
    done = message_boxes.shown[1][2]
    assert str(safety[0]) in done and "1 project" in done
    # The restored database is usable.
    _add_project(ctx, "AFTER-1")
    assert _codes(db_path) == ["AFTER-1", "KEEP-1"]


def test_a_damaged_backup_is_refused_and_nothing_changes(window, ctx, qtbot, monkeypatch, message_boxes):
    _add_project(ctx, "KEEP-1")
    backup = backup_now(ctx.db)
    _damage(backup)
    _add_project(ctx, "EDIT-1")
    db_path = ctx.db.path
    old_db = ctx.db
    ctx.undo_stack.push(_Marker())
    seen: list[RestoreDialog] = []
    _choose_in_dialog(monkeypatch, qtbot, backup, seen)
    message_boxes.answer = QMessageBox.StandardButton.Yes

    window.main_actions.restore_backup.trigger()

    # The dialog shows the problem and does not offer Restore.
    dialog = seen[0]
    assert not dialog.restore_button.isEnabled()
    assert "cannot be restored" in dialog.ui.check_label.text()
    assert "damaged" in dialog.ui.check_label.text() or "not a PMO Desktop database" in dialog.ui.check_label.text()
    assert message_boxes.shown == []

    # Asked to restore it anyway (as a script would), the restore refuses it in plain words.
    before = _codes(db_path)
    assert window.restore_backup(backup) is False
    kinds = [(kind, title) for kind, title, _text in message_boxes.shown]
    assert kinds == [("question", "Restore from backup"), ("warning", "Backup not restored")]
    refusal = message_boxes.shown[1][2]
    assert "was not restored" in refusal and "was not changed" in refusal
    assert ctx.db is old_db
    assert _codes(db_path) == before == ["EDIT-1", "KEEP-1"]
    assert not list(paths.backup_dir().glob("*-before-restore.db"))
    assert ctx.undo_stack.count() == 1
    window.refresh_status()
    assert "2 projects" in window.counts_status.text()


def test_a_restore_is_refused_while_another_program_has_the_database_open(window, ctx, message_boxes):
    _add_project(ctx, "KEEP-1")
    backup = backup_now(ctx.db)
    _add_project(ctx, "EDIT-1")
    db_path = ctx.db.path
    other = sqlite3.connect(db_path)
    try:
        other.execute("SELECT count(*) FROM project").fetchone()
        assert window.restore_backup(backup, confirm=False) is False
    finally:
        other.close()
    assert "open in PMO Desktop or another program" in message_boxes.texts()
    assert _codes(db_path) == ["EDIT-1", "KEEP-1"]
    assert not list(paths.backup_dir().glob("*-before-restore.db"))


def test_choose_another_file_checks_a_backup_kept_elsewhere(window, ctx, qtbot, monkeypatch, tmp_path):
    elsewhere = tmp_path / "elsewhere" / "office-copy.db"
    elsewhere.parent.mkdir()
    backup_now(ctx.db, elsewhere)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(elsewhere), "")))
    dialog = RestoreDialog(ctx.db.path, window)
    qtbot.addWidget(dialog)
    dialog.ui.choose_button.click()
    qtbot.waitUntil(lambda: dialog.check is not None, timeout=10_000)
    assert dialog.selected_path == elsewhere
    assert dialog.restore_button.isEnabled()
    assert dialog.ui.backups_tree.topLevelItem(0).text(1) == "Chosen file"


def test_backup_database_checks_the_copy_and_says_where_it_is(window, ctx, tmp_path, qtbot, monkeypatch,
                                                              message_boxes):
    destination = tmp_path / "copies" / "copy.db"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(destination), "")))
    window.main_actions.backup_database.trigger()
    qtbot.waitUntil(lambda: any(title == "Backup saved" for _k, title, _t in message_boxes.shown), timeout=10_000)
    text = message_boxes.texts()
    assert str(destination) in text and "audit trail" in text
    assert destination.is_file()


class _Marker:
    """A stand-in undo command: the history must survive a refused restore."""

    def __new__(cls):
        from PySide6.QtGui import QUndoCommand

        return QUndoCommand("marker")
