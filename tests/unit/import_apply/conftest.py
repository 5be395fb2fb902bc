"""Fixtures for the plan/apply/undo tests: a fresh database per test, SQLite and PostgreSQL.

PostgreSQL runs when PMO_TEST_DATABASE_URL is set (skipped with the reason otherwise); each
test gets its own schema there, created and dropped around it, so it never clashes with others
using the same server.
"""

from __future__ import annotations

import pytest

from pmo_desktop.model.database import open_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    """An opened, migrated, empty database whose writes are attributed to 'tester'."""
    if request.param == "sqlite":
        database = open_database(tmp_path / "office.db", backup=False, actor="tester")
        yield database
        database.dispose()
        return
    # The shared fixture makes (and afterwards drops) a schema of its own, or skips with the reason.
    database = open_database(request.getfixturevalue("postgres_url"), backup=False, actor="tester")
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def templates():
    """The corpus's templates/ folder (PMO_CORPUS_DIR or ../shared/corpus); skipped when absent."""
    import os
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    folder = Path(os.environ.get("PMO_CORPUS_DIR", repo.parent / "shared" / "corpus")) / "templates"
    if not folder.is_dir():
        pytest.skip(f"spreadsheet corpus not found at {folder.parent} (set PMO_CORPUS_DIR)")
    return folder
