"""Opening, migrating, backing up and refusing databases."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import inspect, select, text

from pmo_desktop.model import Base, Project
from pmo_desktop.model.database import (
    NewerDatabaseError,
    backup_sqlite,
    is_at_head,
    migrate,
    normalise_url,
    open_database,
)


def test_new_database_is_created_at_head_with_every_table(db):
    assert is_at_head(db.engine)
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrations_match_the_models(db):
    """The initial migration creates exactly what the models declare (no drift)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_sqlite_pragmas_are_set_on_every_connection(db):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_database_written_by_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "newer.db"
    db = open_database(f"sqlite:///{path}")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    db.dispose()
    before = path.read_bytes()
    with pytest.raises(NewerDatabaseError, match="newer version"):
        open_database(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_a_backup_is_taken_before_migrating_and_a_failed_migration_changes_nothing(tmp_path):
    from pmo_desktop import paths

    path = tmp_path / "old.db"
    db = open_database(f"sqlite:///{path}")
    with db.transaction() as session:
        session.add(Project(code="P-1", name="Kept safe"))
    # Forget the revision: the upgrade now tries to create tables that exist, and fails.
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    db.dispose()
    with pytest.raises(Exception):  # noqa: B017 - which error Alembic raises is not the point
        open_database(f"sqlite:///{path}")
    backups = sorted(paths.backup_dir().glob("old-*.db"))
    assert backups, "no backup was taken before the migration"
    for copy_path in (backups[-1], path):
        with sqlite3.connect(copy_path) as conn:
            assert conn.execute("SELECT name FROM project").fetchall() == [("Kept safe",)]


def test_backup_copies_a_live_database_consistently(db, tmp_path):
    with db.transaction() as session:
        session.add(Project(code="B-1", name="Backed up"))
    target = backup_sqlite(db.path, tmp_path / "copy.db")
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT code FROM project").fetchall() == [("B-1",)]


def test_migrate_is_a_no_op_at_head(db):
    report = migrate(db.engine)
    assert report.from_revision == report.to_revision
    assert report.backup is None


def test_plain_paths_and_postgres_urls_are_normalised(tmp_path):
    assert normalise_url(tmp_path / "x.db").get_backend_name() == "sqlite"
    assert normalise_url("postgresql://u:secret@h/db").drivername == "postgresql+psycopg"


def test_database_file_is_private_to_the_user(db):
    import os
    import stat

    if os.name != "posix":
        pytest.skip("permissions are POSIX-only")
    mode = stat.S_IMODE(db.path.stat().st_mode)
    assert mode & 0o077 == 0


def test_any_backend_round_trips_a_project(any_db):
    with any_db.transaction() as session:
        session.add(Project(code="RT-1", name="Round trip", budget=1234.5))
    with any_db.session() as session:
        project = session.scalar(select(Project).where(Project.code == "RT-1"))
    assert project.name == "Round trip"
    assert float(project.budget) == 1234.5


def test_settings_of_a_database_without_a_settings_row_are_the_defaults(db):
    from pmo_desktop.model.database import load_settings

    with db.session() as session:
        settings = load_settings(session)
    assert settings.currency_symbol == "£"
    assert settings.office_name == "Project Management Office"
    assert settings.compliance_rules["raid_overdue"]["enabled"] is True


def test_schema_head_constant_is_alembics_head(db):
    from pmo_desktop.model.database import SCHEMA_HEAD, _head_revision

    assert _head_revision(db.url) == SCHEMA_HEAD, "update SCHEMA_HEAD in model/database.py with each migration"


def test_opening_a_database_at_head_does_not_load_alembic(db):
    import subprocess
    import sys

    code = (
        "import sys; from pmo_desktop.model.database import open_database; "
        f"db = open_database({str(db.url)!r}); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
