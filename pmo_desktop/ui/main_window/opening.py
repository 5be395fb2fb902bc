"""Opening, creating and backing up office databases, with failures put in plain words."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.exc import DatabaseError as SQLDatabaseError
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, OperationalError

from ...model.audit import AuditSource
from ...model.database import (
    Database,
    DatabaseError,
    backup_sqlite,
    display_url,
    normalise_url,
    open_database,
)
from ...services.defaults import ensure_defaults


class OpenDatabaseError(DatabaseError):
    """The database could not be opened; the message says why and what to do."""


def open_office(url: str | os.PathLike | None) -> Database:
    """Open (creating or upgrading) the database at ``url`` and give an empty office its defaults.

    Expected failures (a newer database, a locked, unreadable or foreign file, a server that does
    not answer) raise DatabaseError with a message for the user; the caller's current database,
    if any, is untouched.
    """
    shown = display_url(normalise_url(url)) if url else "the default database"
    try:
        db = open_database(url)
    except Exception as exc:
        translated = _translated(exc, shown)
        if translated is exc:
            raise
        raise translated from exc
    try:
        with db.transaction(source=AuditSource.SYSTEM, note="office defaults") as session:
            ensure_defaults(session)
    except Exception as exc:
        db.dispose()
        translated = _translated(exc, shown)
        if translated is exc:
            raise
        raise translated from exc
    return db


def _translated(exc: Exception, shown: str) -> Exception:
    """The exception to raise for ``exc``: the model's own messages stay, other failures get plain words."""
    if isinstance(exc, DatabaseError):  # the model layer already says what happened and what to do
        return exc
    return _plain_error(exc, shown)


def _plain_error(exc: Exception, shown: str) -> Exception:
    """A DatabaseError in plain words for the failures users meet; anything else is a bug."""
    detail = str(getattr(exc, "orig", None) or exc).strip()
    lowered = detail.lower()
    if isinstance(exc, OperationalError | SQLDatabaseError | DBAPIError):
        if "locked" in lowered or "busy" in lowered:
            return OpenDatabaseError(
                f"{shown} is locked by another program (perhaps a backup or sync tool, or a copy of "
                "PMO Desktop that is importing). Wait a moment and try again."
            )
        if "not a database" in lowered or "malformed" in lowered or "encrypted" in lowered:
            return OpenDatabaseError(
                f"{shown} is not a PMO Desktop database, or the file is damaged. Open another file, or "
                "restore it from a backup."
            )
        if "connection" in lowered and any(w in lowered for w in ("refused", "timeout", "timed out", "could not",
                                                                   "failed", "resolve")):
            return OpenDatabaseError(
                f"PMO Desktop could not reach the database server for {shown}. Check the address, your network "
                f"connection and that the server is running. (The server said: {detail.splitlines()[0]})"
            )
        if "password authentication failed" in lowered or "no password supplied" in lowered:
            return OpenDatabaseError(
                f"The database server refused the login for {shown}. Check the user name, and the password in "
                "PGPASSWORD or your .pgpass file."
            )
        if "unable to open" in lowered or "readonly" in lowered or "read-only" in lowered:
            return OpenDatabaseError(
                f"PMO Desktop cannot open {shown}: the file or its folder cannot be read or written. "
                "Check that it exists and that you have permission to change it."
            )
        return OpenDatabaseError(f"PMO Desktop could not open {shown}: {detail}")
    if isinstance(exc, PermissionError):
        return OpenDatabaseError(f"You do not have permission to open {shown}. Ask your IT team for access.")
    if isinstance(exc, OSError):
        return OpenDatabaseError(f"PMO Desktop could not open {shown}: {exc.strerror or detail}.")
    if isinstance(exc, NoSuchModuleError | ModuleNotFoundError | ImportError):
        return OpenDatabaseError(
            f"{shown} needs a database driver that is not installed ({detail}). For PostgreSQL install "
            "PMO Desktop with its 'postgres' extra."
        )
    if isinstance(exc, ValueError | TypeError) and "url" in lowered:
        return OpenDatabaseError(f"'{shown}' is not a database address PMO Desktop understands: {detail}")
    return exc


def verify_sqlite_file(path: Path) -> None:
    """Open ``path`` read-only and run PRAGMA integrity_check; raise DatabaseError unless it is "ok"."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            has_schema = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"The backup {path} could not be read back ({exc}). It should not be relied on.") from exc
    result = "; ".join(str(r[0]) for r in rows)
    if result != "ok":
        raise DatabaseError(f"The backup {path} failed its integrity check: {result}")
    if not has_schema:
        raise DatabaseError(f"The backup {path} does not contain a PMO Desktop database.")


def backup_database(db: Database, destination: Path) -> Path:
    """Copy the open SQLite database to ``destination`` with the backup API, then verify the copy.

    The copy is made in a scratch folder beside the destination and moved into place only after
    it passed the integrity check, so a failed backup never replaces a good file (and
    ``backup_sqlite``'s pruning of old automatic backups never touches the user's folder).
    """
    source = db.path
    if source is None:
        raise DatabaseError("Only a database file (SQLite) can be backed up from here; ask your database "
                            "administrator to back up a server database.")
    destination = destination.resolve()
    if destination == source.resolve():
        raise DatabaseError("Choose a different file for the backup: this is the database itself.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".pmo-backup-") as scratch:
        copy = backup_sqlite(source, Path(scratch) / destination.name, reason="manual")
        verify_sqlite_file(copy)
        os.replace(copy, destination)
    return destination
