"""Engine, sessions, SQLite pragmas, migrations at startup and backups.

``open_database(url)`` is the one door to the data: it makes the engine, brings the schema to the
newest revision (after a backup), refuses a database written by a newer program untouched, and
returns a ``Database`` whose ``session()`` gives audited sessions.

Storage faults reach the caller as ``DatabaseError`` subclasses with plain-English messages, never
as a raw driver error: a database busy beyond the busy timeout (``DatabaseLockedError``), a
read-only file (``ReadOnlyDatabaseError``), a full disk (``DiskFullError``), a file whose folder
was moved or deleted while open (``DatabaseMissingError``) and a damaged file
(``DatabaseUnreadableError``). Each of them leaves the database as it was: the transaction that
met the fault is rolled back as a whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from .. import paths
from .audit import AuditContext, AuditSource, current_user, install_audit_hooks, set_audit_context
from .settings import OfficeSettings

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
SCHEMA_HEAD = "0005_import_fingerprint"
"""The newest migration in db/versions (a test keeps it equal to Alembic's head). A database
already at this revision opens without loading Alembic at all, which keeps start-up fast."""
BACKUPS_KEPT = 10


class DatabaseError(Exception):
    """A problem with the database a coordinator can act on; the message says what to do."""


class NewerDatabaseError(DatabaseError):
    """The database was written by a newer version of the program."""


class DatabaseLockedError(DatabaseError):
    """Another connection held the write lock for longer than the busy timeout."""


class ReadOnlyDatabaseError(DatabaseError):
    """The database file (or its folder) cannot be written by this user."""


class DiskFullError(DatabaseError):
    """The disk (or the database's size limit) is full; the transaction was rolled back."""


class DatabaseMissingError(DatabaseError):
    """The database file disappeared (or was replaced) while the program had it open."""


class DatabaseUnreadableError(DatabaseError):
    """The file is damaged, not a database, or the disk failed to read it."""


@dataclass(frozen=True, slots=True)
class MigrationReport:
    from_revision: str | None
    to_revision: str | None
    backup: Path | None


def default_url() -> str:
    """The database to open when none is named: PMO_DATABASE_URL, else the user's SQLite file."""
    return os.environ.get("PMO_DATABASE_URL") or f"sqlite:///{paths.default_database_path()}"


def normalise_url(url_or_path: str | os.PathLike) -> URL:
    """Accept a SQLAlchemy URL or a plain file path; PostgreSQL URLs get the psycopg 3 driver."""
    text = os.fspath(url_or_path)
    if "://" not in text:
        text = f"sqlite:///{Path(text).expanduser().resolve()}"
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def display_url(url: URL | str) -> str:
    """The URL with any password hidden, fit for logs, titles and messages."""
    return (url if isinstance(url, URL) else make_url(url)).render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


_FILE_ID = "pmo_file_id"


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _set_sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # pysqlite's own transaction handling is turned off so that SQLAlchemy's BEGIN is real.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        with contextlib.suppress(sqlite3.OperationalError):  # a read-only file keeps its journal mode
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _remember_file(path: Path):
    def remember(dbapi_connection, connection_record) -> None:
        connection_record.info[_FILE_ID] = _file_id(path)
    return remember


def _check_file_still_there(conn, path: Path) -> None:
    # On POSIX an open file whose folder is deleted stays writable: SQLite would go on committing
    # into a file nobody can ever open again. Refuse instead, before anything is written.
    opened = conn.info.get(_FILE_ID)
    if opened is not None and _file_id(path) != opened:
        raise DatabaseMissingError(_MESSAGES["missing"].format(db=path))


def _begin_sqlite(conn) -> None:
    # Write transactions take the lock up front (IMMEDIATE): two writers then wait on busy_timeout
    # instead of failing half-way with "database is locked" when a read lock is upgraded.
    path = sqlite_path(conn.engine.url)
    if path is not None:
        _check_file_still_there(conn, path)
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_MESSAGES = {
    "locked": ("The database {db} is busy: another coordinator or program has been writing to it for more than "
               "{seconds:g} seconds. Nothing was saved. Try again in a moment; if it stays busy, ask colleagues "
               "to finish their import or close PMO Desktop, and check that no other program holds the file open."),
    "readonly": ("The database {db} is read-only for you: PMO Desktop needs to write to the file and to its "
                 "folder (for its journal). Nothing was changed. Ask for write access, or copy the file to a "
                 "folder of your own and open the copy."),
    "full": ("The disk holding the database {db} is full (or the database reached its size limit). Nothing was "
             "saved: the whole change was rolled back and the database is as it was. Free some disk space and "
             "try again."),
    "missing": ("The database file {db} is no longer where it was opened: its folder was moved, renamed or "
                "deleted (or the file was replaced) while PMO Desktop had it open. Nothing was saved. Put the "
                "folder back, or open the database from its new place, and try again."),
    "unreadable": ("The database {db} cannot be read ({detail}). It has not been changed. Run "
                   "'pmo-desktop check' on it, and restore the latest backup if the check fails."),
}

_SQLITE_KIND = {
    5: "locked",  # SQLITE_BUSY
    6: "locked",  # SQLITE_LOCKED
    8: "readonly",  # SQLITE_READONLY
    13: "full",  # SQLITE_FULL
    10: "unreadable",  # SQLITE_IOERR
    11: "unreadable",  # SQLITE_CORRUPT
    14: "unreadable",  # SQLITE_CANTOPEN
    26: "unreadable",  # SQLITE_NOTADB
}
_SQLITE_READONLY_DBMOVED = 8 | (4 << 8)
_ERROR_CLASSES: dict[str, type[DatabaseError]] = {
    "locked": DatabaseLockedError, "readonly": ReadOnlyDatabaseError, "full": DiskFullError,
    "missing": DatabaseMissingError, "unreadable": DatabaseUnreadableError,
}


def translate_sqlite_error(exc: BaseException, url: URL) -> DatabaseError | None:
    """The DatabaseError a coordinator should see for a raw SQLite error, or None to let it through.

    Constraint violations and programming errors are not storage faults and are left alone.
    """
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # older SQLite bindings: fall back on the message
        text = str(exc).lower()
        code = next((c for words, c in (("locked", 5), ("readonly", 8), ("read-only", 8), ("full", 13),
                                        ("not a database", 26), ("malformed", 11), ("unable to open", 14),
                                        ("disk i/o", 10)) if words in text), None)
        if code is None:
            return None
    kind = _SQLITE_KIND.get(code & 0xFF)
    if kind is None:
        return None
    path = sqlite_path(url)
    if code == _SQLITE_READONLY_DBMOVED or (kind == "unreadable" and path is not None and not path.exists()):
        kind = "missing"
    message = _MESSAGES[kind].format(db=path or display_url(url), seconds=BUSY_TIMEOUT_MS / 1000,
                                     detail=f"SQLite says: {exc}")
    return _ERROR_CLASSES[kind](message)


def _translate_errors(context: ExceptionContext) -> None:
    # Raising here replaces SQLAlchemy's OperationalError after the connection was cleaned up.
    url = context.engine.url if context.engine is not None else None
    if url is None:
        return
    error = translate_sqlite_error(context.original_exception, url)
    if error is not None:
        raise error from context.sqlalchemy_exception or context.original_exception


def _create_private_file(path: Path) -> None:
    # SQLite gives its -wal and -shm files the database file's permissions: create it 0600 first.
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for ``url`` with the office's pragmas and the audit guard installed."""
    url = normalise_url(url) if not isinstance(url, URL) else url
    kwargs: dict = {"echo": echo, "future": True}
    path = sqlite_path(url)
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
        if path is not None:
            _create_private_file(path)
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
        if path is not None:
            event.listen(engine, "connect", _remember_file(path))
        event.listen(engine, "begin", _begin_sqlite)
        event.listen(engine, "handle_error", _translate_errors)
    install_audit_hooks(engine)
    return engine


def _restrict_permissions(path: Path) -> None:
    if os.name == "posix" and path.exists():
        with contextlib.suppress(OSError):
            path.chmod(0o600)


def backup_sqlite(source: Path, destination: Path | None = None, *, reason: str = "manual") -> Path:
    """Copy a live SQLite database with the backup API (consistent even while others write)."""
    if destination is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        destination = paths.backup_dir() / f"{source.stem}-{stamp}-{reason}.db"
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_suffix(destination.suffix + ".partial")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # left by a backup that was interrupted
    os.close(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    os.replace(tmp, destination)
    _restrict_permissions(destination)
    _prune_backups(destination.parent, source.stem, reason)
    return destination


def backups_of(folder: Path, stem: str, reason: str | None = None) -> list[Path]:
    """The backups of database ``stem`` in ``folder`` (of one ``reason`` if given), oldest first."""
    pattern = re.compile(rf"{re.escape(stem)}-(\d{{8}}-\d{{6}})-{re.escape(reason) if reason else '.+'}\.db")
    found = [(m.group(1), p) for p in folder.glob(f"{stem}-*.db") if (m := pattern.fullmatch(p.name))]
    return [p for _stamp, p in sorted(found)]


def _prune_backups(folder: Path, stem: str, reason: str) -> None:
    # Each reason keeps its own last BACKUPS_KEPT: ten daily copies never push out the copy taken
    # before a migration.
    for old in backups_of(folder, stem, reason)[:-BACKUPS_KEPT]:
        with contextlib.suppress(OSError):
            old.unlink()


def daily_backup(source: Path, *, now: dt.datetime | None = None) -> Path | None:
    """Back up ``source`` once per calendar day (the first open of the day); None if already done.

    The copies are named ``<stem>-<YYYYmmdd-HHMMSS>-daily.db`` in the backup folder; the last
    BACKUPS_KEPT are kept.
    """
    now = now or dt.datetime.now()
    folder = paths.backup_dir()
    if any(p.name.startswith(f"{source.stem}-{now:%Y%m%d}-") for p in backups_of(folder, source.stem, "daily")):
        return None
    return backup_sqlite(source, folder / f"{source.stem}-{now:%Y%m%d-%H%M%S}-daily.db", reason="daily")


def alembic_config(url: URL):
    """An Alembic Config pointing at the shipped migration scripts and ``url``."""
    from alembic.config import Config  # Alembic loads only when a migration check runs

    cfg = Config()
    cfg.set_main_option("script_location", str(paths.migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def _head_revision(url: URL) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def _current_revision(engine: Engine) -> str | None:
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _stored_revision(engine: Engine) -> str | None:
    """The revision in alembic_version read with plain SQL, or None when there is none yet."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):  # no table yet (new database), or unreadable
        return None


def migrate(engine: Engine, *, backup: bool = True) -> MigrationReport:
    """Bring the schema to head; back up first; refuse a database from a newer program untouched."""
    if _stored_revision(engine) == SCHEMA_HEAD:
        return MigrationReport(SCHEMA_HEAD, SCHEMA_HEAD, None)
    from alembic import command
    from alembic.script import ScriptDirectory

    url = engine.url
    cfg = alembic_config(url)
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    try:
        current = _current_revision(engine)
    except OperationalError as exc:
        raise DatabaseError(f"Cannot read the database {display_url(url)}: {exc.orig}") from exc
    if current == head:
        return MigrationReport(current, head, None)
    if current is not None:
        try:
            script.get_revision(current)
        except Exception as exc:  # alembic raises ResolutionError / CommandError variants
            raise NewerDatabaseError(
                f"The database {display_url(url)} was written by a newer version of PMO Desktop "
                f"(schema revision {current}). It has not been changed. Install the newer version to open it."
            ) from exc
        if current not in {rev.revision for rev in script.walk_revisions()}:
            raise NewerDatabaseError(f"Unknown schema revision {current} in {display_url(url)}.")
    backup_path = None
    path = sqlite_path(url)
    if backup and path is not None and path.exists() and _has_user_tables(engine):
        backup_path = backup_sqlite(path, reason=f"before-migration-{(current or 'empty')[:12]}")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    if path is not None:
        _restrict_permissions(path)
    log.info("Database %s migrated from %s to %s", display_url(url), current, head)
    return MigrationReport(current, head, backup_path)


def _has_user_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def is_at_head(engine: Engine) -> bool:
    return _current_revision(engine) == _head_revision(engine.url)


class Database:
    """An opened, migrated database and its session factory."""

    def __init__(self, engine: Engine, *, actor: str | None = None, source: AuditSource = AuditSource.UI):
        self.engine = engine
        self.url = engine.url
        self.actor = actor or current_user()
        self.source = source
        self._factory = sessionmaker(bind=engine, expire_on_commit=False)
        self.daily_backup_due = False
        """True when ``open_database(defer_daily_backup=True)`` left today's copy to ``take_daily_backup``."""

    @property
    def display_url(self) -> str:
        return display_url(self.url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    def session(self, *, source: AuditSource | None = None, batch_id: int | None = None,
                note: str | None = None) -> Session:
        """A new session whose writes are audited as this user and source."""
        session = self._factory()
        set_audit_context(session, AuditContext(self.actor, source or self.source, batch_id, note))
        return session

    @contextlib.contextmanager
    def transaction(self, **kwargs) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back everything on any error."""
        with self.session(**kwargs) as session, session.begin():
            session.connection(execution_options={"sqlite_immediate": True})
            yield session

    def settings(self) -> SettingsRow:
        """The office settings as stored now, read through Core (see ``SettingsRow``)."""
        with self.engine.connect() as connection:
            return read_settings_row(connection)

    def take_daily_backup(self) -> None:
        """Take the daily backup that opening left for later, if it did (any thread; once)."""
        if self.daily_backup_due and self.path is not None:
            self.daily_backup_due = False
            _take_daily_backup(self.path)

    def dispose(self) -> None:
        self.engine.dispose()


class SettingsRow:
    """The office settings as read, through Core: every column of ``office_settings`` an attribute.

    Read where the settings are only looked at (the window, its tabs, the importer's options):
    no ORM query is compiled and no mapper configured for it, which keeps the ORM off the
    start-up path. It cannot be changed; settings are saved by ``services.settings``.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"The office settings have no '{name}'") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("The office settings read here cannot be changed; save them with "
                             "services.settings.update_settings")

    currency_symbol = OfficeSettings.currency_symbol


def read_settings_row(connection: Connection | Session) -> SettingsRow:
    """The settings row (id 1), or every column at its default when the office has none yet."""
    table = OfficeSettings.__table__
    row = connection.execute(select(table).where(table.c.id == 1)).mappings().first()
    if row is None:
        row = {column.key: _column_default(column) for column in table.columns} | {"id": 1}
    return SettingsRow(row)


def _column_default(column) -> Any:
    default = column.default
    if column.key in ("created_at", "updated_at") or default is None:
        return None
    if default.is_callable:
        return default.arg(None)
    return default.arg if default.is_scalar else None


def load_settings(session: Session) -> OfficeSettings:
    """The office settings row (created with defaults by the first migration)."""
    settings = session.scalar(select(OfficeSettings).where(OfficeSettings.id == 1))
    if settings is None:
        settings = OfficeSettings.defaults()
    return settings


def open_database(url: str | os.PathLike | None = None, *, migrate_schema: bool = True, backup: bool = True,
                  defer_daily_backup: bool = False, actor: str | None = None,
                  source: AuditSource = AuditSource.UI) -> Database:
    """Open (and create or upgrade) the database at ``url``; see the module docstring.

    A SQLite file that already held data is backed up once per calendar day (``daily_backup``)
    when ``backup`` is true; with ``defer_daily_backup`` that copy is left to the caller
    (``Database.take_daily_backup``, e.g. on a worker once the window is shown), while the copy
    before a migration is still taken first. A file this user cannot write is refused with
    ReadOnlyDatabaseError.
    """
    normalised = normalise_url(url or default_url())
    path = sqlite_path(normalised)
    existed = path is not None and path.exists() and path.stat().st_size > 0
    if path is not None and path.exists():
        _refuse_read_only(path)
    engine = make_engine(normalised)
    try:
        if migrate_schema:
            migrate(engine, backup=backup)
    except Exception:
        engine.dispose()
        raise
    db = Database(engine, actor=actor, source=source)
    if backup and existed:
        db.daily_backup_due = True
        if not defer_daily_backup:
            db.take_daily_backup()
    return db


def _refuse_read_only(path: Path) -> None:
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise ReadOnlyDatabaseError(_MESSAGES["readonly"].format(db=path))


def _take_daily_backup(path: Path) -> None:
    # A failed backup must not keep the office out of its data: log it, open anyway.
    try:
        made = daily_backup(path)
    except (OSError, sqlite3.Error) as exc:
        log.warning("The daily backup of %s failed: %s", path, exc)
        return
    if made is not None:
        log.info("Daily backup of %s written to %s", path, made)
