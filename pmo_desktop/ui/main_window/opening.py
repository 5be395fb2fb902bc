"""Opening, creating and backing up office databases, with failures put in plain words."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

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
from ...services.defaults import ensure_defaults, office_has_defaults

if TYPE_CHECKING:
    from ...services.backups import BackupCheck


class OpenDatabaseError(DatabaseError):
    """The database could not be opened; the message says why and what to do."""


def open_office(url: str | os.PathLike | None, *, defer_daily_backup: bool = False) -> Database:
    """Open (creating or upgrading) the database at ``url`` and give an empty office its defaults.

    With ``defer_daily_backup`` the first open of the day leaves its copy of the file to
    ``Database.take_daily_backup`` (start-up takes it once the window is shown).

    Whether the office has its defaults is read first, without a write lock (an office that has
    them, which is every start but the first, then opens without waiting for another writer);
    only an office missing some takes the audited write transaction that creates them.

    Expected failures (a newer database, a locked, unreadable or foreign file, a server that does
    not answer) raise DatabaseError with a message for the user; the caller's current database,
    if any, is untouched.
    """
    shown = display_url(normalise_url(url)) if url else "the default database"
    with _in_plain_words(shown):
        db = open_database(url, defer_daily_backup=defer_daily_backup)
    try:
        with _in_plain_words(shown):
            with db.engine.connect() as connection:
                complete = office_has_defaults(connection)
            if not complete:
                with db.transaction(source=AuditSource.SYSTEM, note="office defaults") as session:
                    ensure_defaults(session)
    except BaseException:
        db.dispose()
        raise
    return db


@contextlib.contextmanager
def _in_plain_words(shown: str) -> Iterator[None]:
    """Re-raise driver and OS failures as DatabaseError messages; the model's own messages pass as they are."""
    try:
        yield
    except DatabaseError as exc:
        # The model's general "cannot read" wraps the driver's error: a server's is worth explaining.
        server = _server_problem(exc.__cause__, shown) if type(exc) is DatabaseError else None
        if server is None:
            raise
        raise server from exc
    except Exception as exc:
        plain = _plain_error(exc, shown)
        if plain is exc:
            raise
        raise plain from exc


def _plain_error(exc: Exception, shown: str) -> Exception:
    """A DatabaseError for the failures users meet (SQLite's are translated by the model layer)."""
    detail = str(getattr(exc, "orig", None) or exc).strip()
    lowered = detail.lower()
    if isinstance(exc, OperationalError | SQLDatabaseError | DBAPIError):
        return _server_problem(exc, shown) or OpenDatabaseError(f"PMO Desktop could not open {shown}: {detail}")
    if isinstance(exc, PermissionError):
        return OpenDatabaseError(f"You do not have permission to open {shown} or its folder. Ask your IT team "
                                 "for access, or open a copy in a folder of your own.")
    if isinstance(exc, OSError):
        return OpenDatabaseError(f"PMO Desktop could not open {shown}: {exc.strerror or detail}.")
    if isinstance(exc, NoSuchModuleError | ImportError):
        return OpenDatabaseError(
            f"{shown} needs a database driver that is not installed ({detail}). For PostgreSQL install "
            "PMO Desktop with its 'postgres' extra."
        )
    if isinstance(exc, ValueError) and "url" in lowered:
        return OpenDatabaseError(f"'{shown}' is not a database address PMO Desktop understands: {detail}")
    return exc


def _server_problem(exc: BaseException | None, shown: str) -> OpenDatabaseError | None:
    """Plain words for a database server that cannot be reached or refuses the login, else None."""
    if not isinstance(exc, DBAPIError):
        return None
    detail = str(exc.orig or exc).strip()
    lowered = detail.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return OpenDatabaseError(
            f"The database server refused the login for {shown}. Check the user name, and the password in "
            "PGPASSWORD or your .pgpass file."
        )
    if "connection" in lowered and any(w in lowered for w in ("refused", "timeout", "timed out", "could not",
                                                               "failed", "resolve")):
        return OpenDatabaseError(
            f"PMO Desktop could not reach the database server for {shown}. Check the address, your network "
            f"connection and that the server is running. (The server said: {detail.splitlines()[0]})"
        )
    return None


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


def backup_database(db: Database, destination: Path) -> tuple[Path, BackupCheck]:
    """Copy the open SQLite database to ``destination`` with the backup API, then verify the copy.

    The copy gets the restore's own check (``services.backups.verify_backup``: pages, references,
    schema revision, audit chain); it is returned with the path of the copy.

    The copy is made in a scratch folder beside the destination and moved into place only after
    it passed the integrity check, so a failed backup never replaces a good file (and
    ``backup_sqlite``'s pruning of old automatic backups never touches the user's folder).
    """
    from ...services.backups import verify_backup  # the restore's check, loaded when a backup is made

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
        check = verify_backup(copy)
        if not check.ok:
            raise DatabaseError(f"The backup copy failed its check ({'; '.join(check.problems)}); it was not "
                                f"saved to {destination}. Run 'pmo-desktop check' on the database.")
        os.replace(copy, destination)
    return destination, replace(check, path=destination)
