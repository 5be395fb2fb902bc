"""Backups of a SQLite office database: daily on open, on demand, and a verified restore.

``open_database`` takes the daily copy itself (``model.database.daily_backup``: the model layer
may not call up into services); this module is the door the UI and CLI use:

* ``daily_backup(db)``: the first open of each calendar day copies the database into the backup
  folder; the last BACKUPS_KEPT daily copies are kept.
* ``backup_now(db, path)``: a consistent copy (SQLite backup API) while others may be writing.
* ``verify_backup(path)``: is the copy whole (integrity_check, foreign keys), written by this
  version or an older one, and is its audit chain unbroken?
* ``restore(db_path, backup_path)``: verify the backup, refuse while any other connection has the
  database open, keep the replaced file as a safety copy, then put the backup in its place.

Server databases (PostgreSQL) are backed up by the server's administrator (pg_dump); the
functions here refuse them with a message saying so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine

from .. import paths
from ..model.audit import verify_chain
from ..model.database import (
    Database,
    DatabaseError,
    alembic_config,
    backup_sqlite,
    backups_of,
    normalise_url,
)
from ..model.database import daily_backup as _daily_backup_file


class BackupError(DatabaseError):
    """A backup could not be taken or restored; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupCheck:
    """What ``verify_backup`` found in a backup file."""

    path: Path
    revision: str | None
    audit_events: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """A finished restore: what was put back, and where the replaced database was kept."""

    database: Path
    restored_from: Path
    safety_copy: Path | None
    """None when there was no database file to replace."""
    check: BackupCheck


def _sqlite_file(db: Database) -> Path:
    if not db.is_sqlite or db.path is None:
        raise BackupError(
            f"The database {db.display_url} lives on a server; back it up there (for PostgreSQL, with pg_dump "
            "or the server's scheduled backups). PMO Desktop backs up SQLite files only."
        )
    return db.path


def daily_backup(db: Database, *, now: dt.datetime | None = None) -> Path | None:
    """The day's automatic copy of ``db`` if none was taken today; None if one already was."""
    return _daily_backup_file(_sqlite_file(db), now=now)


def backup_now(db: Database, path: str | os.PathLike | None = None) -> Path:
    """Copy ``db`` now to ``path`` (default: the backup folder, named with the time) and return it."""
    source = _sqlite_file(db)
    destination = Path(path) if path is not None else None
    try:
        return backup_sqlite(source, destination, reason="manual")
    except (OSError, sqlite3.Error) as exc:
        where = destination or paths.backup_dir()
        raise BackupError(f"The backup of {source} could not be written to {where}: {exc}. "
                          "The database itself was not changed. Choose another folder and try again.") from exc


def list_backups(db_path: str | os.PathLike) -> list[Path]:
    """The backups of the database at ``db_path`` in the backup folder, newest first."""
    return list(reversed(backups_of(paths.backup_dir(), Path(db_path).stem)))


def verify_backup(path: str | os.PathLike) -> BackupCheck:
    """Check a backup file without changing it: pages, references, schema revision, audit chain."""
    path = Path(path)
    if not path.is_file():
        return BackupCheck(path, None, 0, [f"{path} does not exist"])
    problems: list[str] = []
    revision = None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                problems.append(f"the file is damaged ({'; '.join(integrity[:3])})")
            elif conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                problems.append("some records refer to records that are not in the file")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
    except sqlite3.DatabaseError as exc:
        return BackupCheck(path, None, 0, [f"{path.name} is not a PMO Desktop database ({exc})"])
    if revision is None:
        problems.append("it holds no PMO Desktop schema")
        return BackupCheck(path, None, 0, problems)
    if not _known_revision(revision):
        problems.append(f"it was written by a newer version of PMO Desktop (schema revision {revision})")
        return BackupCheck(path, revision, 0, problems)
    checked = 0
    if not problems:
        engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        try:
            with engine.connect() as conn:
                checked, broken = verify_chain(conn)
        finally:
            engine.dispose()
        if broken is not None:
            problems.append(f"its audit trail is broken at event {broken.id} (after {checked} good events)")
    return BackupCheck(path, revision, checked, problems)


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(normalise_url("sqlite://")))
    return revision in {rev.revision for rev in script.walk_revisions()}


def restore(db_path: str | os.PathLike, backup_path: str | os.PathLike) -> RestoreReport:
    """Put ``backup_path`` in place of the database at ``db_path`` (see the module docstring).

    Close the database first (``Database.dispose()``): while any connection has it open the
    restore is refused with BackupError, and nothing is changed.
    """
    db_path, backup_path = Path(db_path), Path(backup_path)
    check = verify_backup(backup_path)
    if not check.ok:
        raise BackupError(f"{backup_path.name} was not restored: {'; '.join(check.problems)}. "
                          f"The database {db_path} was not changed. Choose another backup.")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safety = paths.backup_dir() / f"{db_path.stem}-{stamp}-before-restore.db"
    if not db_path.exists():
        temp = _private_temp(db_path)
        shutil.copyfile(backup_path, temp)
        os.replace(temp, db_path)
        return RestoreReport(db_path, backup_path, None, check)
    with _sole_connection(db_path):
        # The exclusive lock is held from here to the swap: nobody can open the file in between,
        # and with no journal left beside it the file alone is the whole database.
        temp = _private_temp(safety)
        shutil.copyfile(db_path, temp)
        os.replace(temp, safety)
        temp = _private_temp(db_path)
        shutil.copyfile(backup_path, temp)
        with contextlib.closing(sqlite3.connect(temp, isolation_level=None)) as restored:
            restored.execute("PRAGMA journal_mode=WAL")
        os.replace(temp, db_path)
    return RestoreReport(db_path, backup_path, safety, check)


def _private_temp(path: Path) -> Path:
    temp = path.with_name(path.name + ".restoring")
    if not temp.exists():
        os.close(os.open(temp, os.O_CREAT | os.O_WRONLY, 0o600))
    return temp


@contextlib.contextmanager
def _sole_connection(db_path: Path):
    """A connection holding the database exclusively; BackupError if anyone else has it open.

    Leaving WAL mode needs every other connection closed (SQLite refuses with SQLITE_BUSY
    otherwise), which is how another PMO Desktop window, or any other program, is detected.
    """
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    try:
        try:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as exc:
            raise BackupError(
                f"The database {db_path} is open in PMO Desktop or another program (on this computer or another). "
                "Nothing was changed. Ask everyone to close it, close it here, and restore again."
            ) from exc
        if mode != "delete":
            raise BackupError(f"The database {db_path} could not be locked for the restore; nothing was changed.")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()
