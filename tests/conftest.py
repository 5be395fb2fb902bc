"""Fixtures every test may use: a fresh database per test, on SQLite and (when set) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PG_ENV = "PMO_TEST_DATABASE_URL"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep logs, backups and the default database of every test out of the user's real folders."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("PMO_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("PMO_LOG_DIR", str(base / "logs"))
    monkeypatch.setenv("PMO_CACHE_DIR", str(base / "cache"))
    monkeypatch.delenv("PMO_DATABASE_URL", raising=False)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'office.db'}"


@pytest.fixture
def db(sqlite_url):
    """A migrated, empty SQLite database in the test's own folder."""
    from pmo_desktop.model.database import open_database

    database = open_database(sqlite_url)
    yield database
    database.dispose()


def postgres_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL server to test against")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from pmo_desktop.model.database import normalise_url

    url = normalise_url(base)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # server gone or refusing
        admin.dispose()
        pytest.skip(f"PostgreSQL at {url.render_as_string(hide_password=True)} did not answer: {exc}")
    scoped = make_url(str(url.render_as_string(hide_password=False))).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request, tmp_path):
    """The same test on SQLite and, when PMO_TEST_DATABASE_URL is set, on PostgreSQL."""
    from pmo_desktop.model.database import open_database

    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path / 'office.db'}")
        yield database
        database.dispose()
        return
    gen = postgres_schema_url()
    url = next(gen)
    database = open_database(url)
    try:
        yield database
    finally:
        database.dispose()
        gen.close()
