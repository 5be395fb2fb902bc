"""Opening an office at start-up: an office that has its defaults is only read, never written or locked."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from pmo_desktop.model import AuditEvent, StrategicCriterion
from pmo_desktop.model import database as database_module
from pmo_desktop.model.database import DatabaseLockedError, open_database
from pmo_desktop.paths import backup_dir
from pmo_desktop.services.defaults import DEFAULT_STRATEGIC_CRITERIA
from pmo_desktop.ui.main_window.opening import open_office


def _audit_events(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def office(tmp_path):
    """An office file that was opened once, so it has every default."""
    path = tmp_path / "office.db"
    open_office(str(path)).dispose()
    return path


def test_an_office_with_its_defaults_opens_while_another_connection_is_writing(office, monkeypatch):
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 200)
    events = _audit_events(office)
    writer = sqlite3.connect(office, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another coordinator's import, say, holding the write lock
        db = open_office(str(office))
        db.dispose()
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert _audit_events(office) == events


def test_writing_while_another_connection_holds_the_lock_is_still_refused(office, monkeypatch):
    # The check above is meaningful only if a write in the same situation would have waited and failed.
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 200)
    db = open_database(str(office), backup=False)
    writer = sqlite3.connect(office, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseLockedError), db.transaction() as session:
            session.add(StrategicCriterion(name="Net zero", weight=0.1))
        writer.execute("ROLLBACK")
    finally:
        writer.close()
        db.dispose()


def test_an_office_missing_a_default_set_gets_it_audited_when_opened(office):
    db = open_database(str(office), backup=False)
    try:
        with db.transaction(note="the office drops its criteria") as session:
            for criterion in session.scalars(select(StrategicCriterion)):
                session.delete(criterion)
    finally:
        db.dispose()

    db = open_office(str(office))
    try:
        with db.session() as session:
            names = session.scalars(select(StrategicCriterion.name).order_by(StrategicCriterion.id)).all()
            inserted = session.scalar(
                select(func.count()).select_from(AuditEvent)
                .where(AuditEvent.entity == "strategic_criterion", AuditEvent.action == "insert",
                       AuditEvent.source == "system", AuditEvent.note == "office defaults")
            )
    finally:
        db.dispose()
    assert names == [spec.name for spec in DEFAULT_STRATEGIC_CRITERIA]
    assert inserted == 2 * len(DEFAULT_STRATEGIC_CRITERIA)  # at the first open, and again now


def _daily_backups() -> list[str]:
    return sorted(p.name for p in backup_dir().glob("office-*-daily.db"))


def test_the_daily_backup_can_be_left_for_after_the_window_is_shown(office):
    db = open_office(str(office), defer_daily_backup=True)
    try:
        assert _daily_backups() == []
        db.take_daily_backup()
        taken = _daily_backups()
        assert len(taken) == 1
        db.take_daily_backup()  # once
        assert _daily_backups() == taken
    finally:
        db.dispose()


def test_opening_takes_the_daily_backup_at_once_unless_told_otherwise(office):
    open_office(str(office)).dispose()
    assert len(_daily_backups()) == 1
