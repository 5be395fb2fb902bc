"""Backups: once a day on open, on demand, and a restore that checks the copy before trusting it."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import select

from pmo_desktop import paths
from pmo_desktop.model import Project
from pmo_desktop.model import database as database_module
from pmo_desktop.model.database import open_database
from pmo_desktop.services.backups import (
    BackupError,
    backup_now,
    daily_backup,
    list_backups,
    restore,
    verify_backup,
)
from pmo_desktop.services.integrity import run_checks


def _office(path, *codes):
    """A closed office database at ``path`` holding one project per code."""
    db = open_database(path)
    with db.transaction() as session:
        session.add_all(Project(code=code, name=f"Project {code}") for code in codes)
    db.dispose()


def _codes(path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return [row[0] for row in conn.execute("SELECT code FROM project ORDER BY code")]


def test_the_first_open_of_the_day_backs_up_once(tmp_path):
    path = tmp_path / "office.db"
    _office(path, "P-1")
    assert list_backups(path) == [], "a brand-new database is not worth a backup"
    for _ in range(3):
        open_database(path).dispose()
    daily = [p for p in list_backups(path) if p.name.endswith("-daily.db")]
    assert len(daily) == 1
    assert _codes(daily[0]) == ["P-1"]
    db = open_database(path)
    try:
        tomorrow = dt.datetime.now() + dt.timedelta(days=1)
        assert daily_backup(db, now=tomorrow) is not None
        assert daily_backup(db, now=tomorrow + dt.timedelta(hours=1)) is None
    finally:
        db.dispose()


def test_daily_backups_keep_the_last_n_and_never_push_out_other_backups(tmp_path, monkeypatch):
    monkeypatch.setattr(database_module, "BACKUPS_KEPT", 3)
    path = tmp_path / "office.db"
    _office(path, "P-1")
    db = open_database(path, backup=False)
    try:
        manual = backup_now(db)
        first = dt.datetime(2026, 3, 1, 9, 0, 0)
        for day in range(6):
            daily_backup(db, now=first + dt.timedelta(days=day))
    finally:
        db.dispose()
    names = [p.name for p in list_backups(path)]
    assert [n for n in names if n.endswith("-daily.db")] == [
        "office-20260306-090000-daily.db", "office-20260305-090000-daily.db", "office-20260304-090000-daily.db"]
    assert manual.name in names


def test_backup_now_writes_a_verified_copy_where_asked(tmp_path):
    path = tmp_path / "office.db"
    _office(path, "A-1", "A-2")
    db = open_database(path)
    try:
        copy = backup_now(db, tmp_path / "elsewhere" / "copy.db")
    finally:
        db.dispose()
    check = verify_backup(copy)
    assert check.ok, check.problems
    assert check.audit_events == 2
    assert _codes(copy) == ["A-1", "A-2"]


def test_restore_puts_the_backup_back_and_keeps_the_replaced_file(tmp_path):
    path = tmp_path / "office.db"
    _office(path, "R-1")
    db = open_database(path)
    copy = backup_now(db, tmp_path / "monday.db")
    with db.transaction() as session:
        session.add(Project(code="R-2", name="Added after the backup"))
    db.dispose()

    report = restore(path, copy)

    assert _codes(path) == ["R-1"]
    assert _codes(report.safety_copy) == ["R-1", "R-2"]
    assert report.safety_copy.parent == paths.backup_dir()
    reopened = open_database(path)
    try:
        assert run_checks(reopened).ok
        with reopened.transaction() as session:  # still a working database
            session.add(Project(code="R-3", name="After the restore"))
        with reopened.session() as session:
            assert session.scalars(select(Project.code).order_by(Project.code)).all() == ["R-1", "R-3"]
    finally:
        reopened.dispose()


def test_restore_is_refused_while_the_database_is_open(tmp_path):
    path = tmp_path / "office.db"
    _office(path, "O-1")
    copy = tmp_path / "copy.db"
    db = open_database(path)
    try:
        backup_now(db, copy)
        with db.transaction() as session:
            session.add(Project(code="O-2", name="Open elsewhere"))
        with pytest.raises(BackupError, match="is open in PMO Desktop or another program"):
            restore(path, copy)
        with db.session() as session:  # the open database still works and kept its data
            assert session.scalars(select(Project.code).order_by(Project.code)).all() == ["O-1", "O-2"]
    finally:
        db.dispose()
    assert _codes(path) == ["O-1", "O-2"]


def _refused(tmp_path, spoil, match):
    """Spoil a good backup with ``spoil(copy)`` and check the restore refuses it, changing nothing."""
    path = tmp_path / "office.db"
    _office(path, "S-1", "S-2")
    db = open_database(path)
    copy = backup_now(db, tmp_path / "copy.db")
    db.dispose()
    spoil(copy)
    before = path.read_bytes()
    with pytest.raises(BackupError, match=match):
        restore(path, copy)
    assert path.read_bytes() == before
    assert not verify_backup(copy).ok


def test_a_damaged_backup_is_not_restored(tmp_path):
    def damage(copy):
        with sqlite3.connect(copy) as conn:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'project'").fetchone()[0]
        data = bytearray(copy.read_bytes())
        start = (root - 1) * page_size
        data[start:start + 12] = b"\x0d\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"  # a bad b-tree header
        copy.write_bytes(bytes(data))

    _refused(tmp_path, damage, "damaged|not a PMO Desktop database")


def test_a_backup_from_a_newer_version_is_not_restored(tmp_path):
    def newer(copy):
        with sqlite3.connect(copy) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")

    _refused(tmp_path, newer, "newer version")


def test_a_backup_whose_audit_trail_was_edited_is_not_restored(tmp_path):
    def tamper(copy):
        with sqlite3.connect(copy) as conn:
            conn.execute("UPDATE project SET name = 'Quietly changed' WHERE code = 'S-1'")
            conn.execute("UPDATE audit_event SET changes = replace(changes, 'Project S-1', 'Quietly changed')")

    _refused(tmp_path, tamper, "audit trail is broken at event 1")


def test_a_file_that_is_not_a_database_is_not_restored(tmp_path):
    _refused(tmp_path, lambda copy: copy.write_bytes(b"PK\x03\x04 this is a workbook, not a database"),
             "not a PMO Desktop database")


@pytest.mark.postgres
def test_server_databases_are_left_to_the_server(postgres_url):
    db = open_database(postgres_url)
    try:
        with pytest.raises(BackupError, match="pg_dump"):
            backup_now(db)
    finally:
        db.dispose()
