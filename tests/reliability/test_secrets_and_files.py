"""Secrets and files: a server password never reaches the log, the terminal or the recent-files
list; the database, its backups and the log are private to the user on POSIX.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import stat

import pytest
from sqlalchemy.engine import make_url

from pmo_desktop import cli, paths
from pmo_desktop.logging_setup import setup_logging
from pmo_desktop.model import Project
from pmo_desktop.model.database import open_database
from pmo_desktop.services.backups import backup_now

PASSWORD = "Tr0ub4dor-PMO-secret"
posix_only = pytest.mark.skipif(os.name != "posix", reason="file permissions are POSIX-only")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def log_file():
    """The program's log, set up as at start-up (at DEBUG, to catch the most), removed afterwards."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    path = setup_logging(logging.DEBUG)
    yield path
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def _with_password(url: str, *, user: str | None = None) -> str:
    parsed = make_url(url).set(password=PASSWORD)
    if user is not None:
        parsed = parsed.set(username=user)
    return parsed.render_as_string(hide_password=False)


@pytest.mark.postgres
def test_a_postgres_password_never_reaches_the_log_or_the_terminal(postgres_url, log_file):
    accepted = _with_password(postgres_url)  # the test server trusts local logins: any password opens
    refused = _with_password(postgres_url, user="no_such_coordinator")  # the server refuses this login
    log = logging.getLogger("pmo_desktop.tests")

    db = open_database(accepted)
    with db.transaction() as session:
        session.add(Project(code="PW-1", name="Opened with a password"))
    log.info("opened %s (%r)", accepted, db.url)  # even a careless log call is scrubbed
    db.dispose()
    terminal = io.StringIO()
    with contextlib.redirect_stderr(terminal), contextlib.redirect_stdout(terminal):
        for url in (accepted, refused):
            exit_code = cli.main(["check", "--database", url])
            log.debug("check of %s exited %s", url, exit_code)
    try:
        open_database(refused)
    except Exception:
        log.exception("Opening %s failed", refused)  # what the crash handler writes, traceback included

    for handler in logging.getLogger().handlers:
        handler.flush()
    written = log_file.read_text(encoding="utf-8")
    assert "no_such_coordinator" in written and "***" in written, "the log did not record the attempts"
    assert PASSWORD not in written
    assert PASSWORD not in terminal.getvalue()
    assert "no_such_coordinator" in terminal.getvalue()


def test_the_recent_databases_list_never_stores_a_password(tmp_path):
    from PySide6.QtCore import QSettings

    from pmo_desktop.ui.main_window.persist import RecentDatabases

    ini = tmp_path / "pmo-desktop.ini"
    settings = QSettings(str(ini), QSettings.Format.IniFormat)
    recent = RecentDatabases(settings)
    recent.add(f"postgresql://coordinator:{PASSWORD}@pmo-server:5432/office")
    recent.add(tmp_path / "office.db")
    settings.sync()
    stored = ini.read_text(encoding="utf-8")
    assert "pmo-server" in stored and "coordinator@" in stored
    assert PASSWORD not in stored
    assert all(PASSWORD not in url for url in recent.urls())


@posix_only
def test_the_database_its_journal_and_its_backups_are_private(tmp_path):
    path = tmp_path / "office.db"
    db = open_database(path)
    with db.transaction() as session:
        session.add(Project(code="PR-1", name="Private"))
    journal = {p.name: _mode(p) for p in (tmp_path / "office.db-wal", tmp_path / "office.db-shm") if p.exists()}
    assert journal, "WAL files expected while the database is open"
    manual = backup_now(db)
    db.dispose()
    daily_db = open_database(path)  # the first open of the day that finds data backs it up
    daily_db.dispose()
    backups = sorted(paths.backup_dir().iterdir())
    assert any(p.name.endswith("-daily.db") for p in backups) and manual in backups
    assert _mode(path) == 0o600
    assert journal == {name: 0o600 for name in journal}
    assert _mode(paths.backup_dir()) == 0o700
    assert {p.name: _mode(p) for p in backups} == {p.name: 0o600 for p in backups}


@posix_only
def test_the_log_folder_is_private(log_file):
    logging.getLogger("pmo_desktop.tests").info("a line")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert log_file.exists()
    assert _mode(log_file.parent) == 0o700


@posix_only
def test_the_log_file_itself_is_private(log_file):
    logging.getLogger("pmo_desktop.tests").info("a line")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert _mode(log_file) == 0o600
