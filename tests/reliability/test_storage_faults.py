"""Storage faults: read-only file, a database locked by another process, a folder deleted while
open, a full disk, a damaged file. Each is refused with a plain-English DatabaseError, nothing is
half-written, and the database is still whole (and usable once the fault is gone).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from pmo_desktop.demo import DemoSpec, build_demo
from pmo_desktop.demo.workbooks import status_workbook
from pmo_desktop.importer.pipeline import import_files
from pmo_desktop.importer.writes import delete_rows
from pmo_desktop.model import ImportBatch, Project, StatusReport
from pmo_desktop.model import database as database_module
from pmo_desktop.model.audit import get_audit_context
from pmo_desktop.model.database import (
    DatabaseError,
    DatabaseLockedError,
    DatabaseMissingError,
    DatabaseUnreadableError,
    DiskFullError,
    ReadOnlyDatabaseError,
    open_database,
)
from pmo_desktop.services.integrity import run_checks

_FORK = multiprocessing.get_context("fork")
NOBODY = 65534


def _counts(db) -> tuple[int, int, int]:
    """Projects, status reports and import batches stored: what a half-written import would change."""
    with db.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Project, StatusReport, ImportBatch))


def _add_project(db, code: str) -> None:
    with db.transaction() as session:
        session.add(Project(code=code, name=f"Project {code}"))


@pytest.fixture(scope="module")
def import_office(tmp_path_factory):
    """A small office and a status workbook of ~700 reports, half of them not yet in the office."""
    folder = tmp_path_factory.mktemp("faults")
    path = folder / "office.db"
    db = open_database(path)
    build_demo(db, DemoSpec.scale(0.3), today=dt.date(2026, 6, 15))
    workbook = status_workbook(db, folder / "status.xlsx").path
    with db.transaction() as session:
        ids = session.scalars(select(StatusReport.id).order_by(StatusReport.id)).all()
        delete_rows(session.connection(), get_audit_context(session), StatusReport.__table__, ids[::2])
    db.dispose()
    return path, workbook


@pytest.fixture
def office_copy(import_office, tmp_path):
    path, workbook = import_office
    copy = tmp_path / "office.db"
    shutil.copyfile(path, copy)
    return copy, workbook


# -- read-only -------------------------------------------------------------------------------------


def _open_as_ordinary_user(path: Path, queue) -> None:
    """Child: drop root (file permissions do not bind root), try to open, report what happened."""
    if os.geteuid() == 0:
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    try:
        db = open_database(path)
    except DatabaseError as exc:
        queue.put((type(exc).__name__, str(exc)))
        return
    db.dispose()
    queue.put(("opened", ""))


@pytest.mark.skipif(os.name != "posix", reason="file permissions are POSIX-only")
@pytest.mark.parametrize("folder_writable", [True, False], ids=["read-only file", "read-only folder"])
def test_a_read_only_database_is_refused_untouched(folder_writable):
    folder = Path(tempfile.mkdtemp(prefix="pmo-readonly-"))  # outside pytest's root-only folders
    try:
        path = folder / "office.db"
        db = open_database(path, backup=False)
        _add_project(db, "RO-1")
        db.dispose()
        before = path.read_bytes()
        if os.geteuid() == 0:
            for item in (folder, path):
                os.chown(item, NOBODY, NOBODY)
        path.chmod(0o400)
        folder.chmod(0o700 if folder_writable else 0o500)
        queue = _FORK.Queue()
        child = _FORK.Process(target=_open_as_ordinary_user, args=(path, queue))
        child.start()
        child.join()
        kind, message = queue.get(timeout=5)
        assert kind == ReadOnlyDatabaseError.__name__, (kind, message)
        assert "read-only" in message and str(path) in message and "Nothing was changed" in message
        assert path.read_bytes() == before
        assert sorted(p.name for p in folder.iterdir()) == ["office.db"], "a journal was left beside it"
    finally:
        folder.chmod(0o700)
        shutil.rmtree(folder)


# -- locked by another process ----------------------------------------------------------------------


def _hold_write_lock(path: Path, locked, release) -> None:
    """Child: take the write lock as another coordinator's long import would, until told to stop."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE project SET name = name")
    locked.set()
    release.wait(30)
    conn.execute("ROLLBACK")
    conn.close()


def test_a_database_locked_beyond_the_busy_timeout_is_reported_and_nothing_is_half_written(
        office_copy, monkeypatch):
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 300)  # keep the wait short in CI
    path, workbook = office_copy
    db = open_database(path)
    before = _counts(db)
    locked, release = _FORK.Event(), _FORK.Event()
    holder = _FORK.Process(target=_hold_write_lock, args=(path, locked, release))
    holder.start()
    try:
        assert locked.wait(10)
        with pytest.raises(DatabaseLockedError, match="is busy: another coordinator or program") as raised:
            import_files(db, [workbook])
        assert "Nothing was saved" in str(raised.value)
        with pytest.raises(DatabaseLockedError):
            _add_project(db, "L-1")
        assert _counts(db) == before  # reading still works while another writes
    finally:
        release.set()
        holder.join()
    assert _counts(db) == before
    assert run_checks(db).ok
    outcome = import_files(db, [workbook])  # once the other writer is done, the same import works
    assert outcome.exit_code == 0 and len(outcome.batch_ids) == 1
    db.dispose()


# -- the folder disappears --------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_a_database_whose_folder_disappears_refuses_to_write(tmp_path, how):
    folder = tmp_path / "shared drive"
    path = folder / "office.db"
    db = open_database(path, backup=False)
    try:
        _add_project(db, "F-1")
        if how == "deleted":
            shutil.rmtree(folder)
        else:
            folder.rename(tmp_path / "moved")
        with pytest.raises(DatabaseMissingError, match="is no longer where it was opened") as raised:
            _add_project(db, "F-2")  # on POSIX the write would otherwise vanish with the open file
        assert "Nothing was saved" in str(raised.value)
    finally:
        db.dispose()
    assert not folder.exists(), "the folder was silently created again"
    if how == "renamed":
        moved = open_database(tmp_path / "moved" / "office.db")
        with moved.session() as session:
            assert session.scalars(select(Project.code)).all() == ["F-1"]
        assert run_checks(moved).ok
        moved.dispose()


# -- full disk --------------------------------------------------------------------------------------


def test_an_import_that_fills_the_disk_fails_as_a_whole_and_the_database_stays_usable(office_copy):
    path, workbook = office_copy
    db = open_database(path)
    before = _counts(db)

    def cap_the_file(dbapi_connection, _record):
        # SQLite's own size limit stands in for a full disk: a few pages more than the file has.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 8}")

    event.listen(db.engine, "connect", cap_the_file)
    db.engine.dispose()  # every new connection gets the cap
    with pytest.raises(DiskFullError, match="is full") as raised:
        import_files(db, [workbook])
    assert "Nothing was saved: the whole change was rolled back" in str(raised.value)
    assert _counts(db) == before
    assert run_checks(db).ok

    event.remove(db.engine, "connect", cap_the_file)
    db.engine.dispose()  # space freed
    outcome = import_files(db, [workbook])
    assert outcome.exit_code == 0
    assert _counts(db)[1] > before[1]
    assert run_checks(db).ok
    db.dispose()


# -- damaged file -----------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "office.db"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 4000)  # a workbook saved over the database
    before = path.read_bytes()
    with pytest.raises(DatabaseUnreadableError, match="cannot be read") as raised:
        open_database(path)
    assert "pmo-desktop check" in str(raised.value)
    assert path.read_bytes() == before
