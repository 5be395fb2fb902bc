"""Engine, sessions, SQLite pragmas, migrations at startup and backups.

``open_database(url)`` is the one door to the data: it makes the engine, brings the schema to the
newest revision (after a backup), refuses a database written by a newer program untouched, and
returns a ``Database`` whose ``session()`` gives audited sessions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .. import paths
from .audit import AuditContext, AuditSource, current_user, install_audit_hooks, set_audit_context
from .settings import OfficeSettings

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
BACKUPS_KEPT = 10


class DatabaseError(Exception):
    """A problem with the database a coordinator can act on; the message says what to do."""


class NewerDatabaseError(DatabaseError):
    """The database was written by a newer version of the program."""


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
    return make_url(str(url)).render_as_string(hide_password=True) if not isinstance(url, URL) else url.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


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


def _begin_sqlite(conn) -> None:
    # Write transactions take the lock up front (IMMEDIATE): two writers then wait on busy_timeout
    # instead of failing half-way with "database is locked" when a read lock is upgraded.
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for ``url`` with the office's pragmas and the audit guard installed."""
    url = normalise_url(url) if not isinstance(url, URL) else url
    kwargs: dict = {"echo": echo, "future": True}
    path = sqlite_path(url)
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
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
    _prune_backups(destination.parent, source.stem)
    return destination


def _prune_backups(folder: Path, stem: str) -> None:
    backups = sorted(folder.glob(f"{stem}-*.db"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in backups[BACKUPS_KEPT:]:
        with contextlib.suppress(OSError):
            old.unlink()


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


def migrate(engine: Engine, *, backup: bool = True) -> MigrationReport:
    """Bring the schema to head; back up first; refuse a database from a newer program untouched."""
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

    def settings(self) -> OfficeSettings:
        with self.session() as session:
            return load_settings(session)

    def dispose(self) -> None:
        self.engine.dispose()


def load_settings(session: Session) -> OfficeSettings:
    """The office settings row (created with defaults by the first migration)."""
    settings = session.scalar(select(OfficeSettings).where(OfficeSettings.id == 1))
    if settings is None:
        settings = OfficeSettings(id=1)
    return settings


def open_database(url: str | os.PathLike | None = None, *, migrate_schema: bool = True, backup: bool = True,
                  actor: str | None = None, source: AuditSource = AuditSource.UI) -> Database:
    """Open (and create or upgrade) the database at ``url``; see the module docstring."""
    engine = make_engine(normalise_url(url or default_url()))
    try:
        if migrate_schema:
            migrate(engine, backup=backup)
    except Exception:
        engine.dispose()
        raise
    return Database(engine, actor=actor, source=source)
