"""Three coordinators editing the same projects, RAID items and allocations at once.

On SQLite (one shared file) and PostgreSQL: no edit is lost, every stale save becomes a
ConflictError, and no raw "database is locked" reaches the coordinator.
"""

from __future__ import annotations

import multiprocessing

import pytest

from pmo_desktop.model.database import open_database
from pmo_desktop.services.integrity import run_checks

from .coordinators import Tally, collect, coordinator, find_lost_edits, seed_records

COORDINATORS = 3
EDITS_EACH = 60
_FORK = multiprocessing.get_context("fork")


def _race(url: str, tmp_path, capsys, label: str) -> Tally:
    """Run the coordinators against ``url`` and check what must hold on every backend."""
    db = open_database(url, backup=False)
    targets = seed_records(db)
    db.dispose()  # the coordinators bring their own connections
    start = _FORK.Barrier(COORDINATORS)
    results = [tmp_path / f"coordinator-{n}.json" for n in range(COORDINATORS)]
    workers = [_FORK.Process(target=coordinator, args=(n, url, targets, EDITS_EACH, start, results[n]))
               for n in range(COORDINATORS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [w.exitcode for w in workers] == [0] * COORDINATORS, "a coordinator process crashed"
    tally, applied = collect(results, EDITS_EACH)

    db = open_database(url, backup=False)
    try:
        tally.lost = find_lost_edits(db, applied)
        report = run_checks(db)
    finally:
        db.dispose()
    with capsys.disabled():
        print(f"\n{label}: {tally.summary()}")
    assert not tally.lost, tally.lost[:5]
    assert report.ok, report.lines()
    assert not [e for e in tally.escaped if "database is locked" in e], "a raw 'database is locked' escaped"
    assert tally.applied + tally.conflicts + len(tally.database_errors) + len(tally.escaped) == tally.attempted
    assert tally.conflicts > 0, "the coordinators never raced: the test proves nothing"
    return tally


def test_sqlite_coordinators_lose_no_edit(tmp_path, capsys):
    tally = _race(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path, capsys, "SQLite")
    assert not tally.escaped, tally.escaped[0]


@pytest.mark.postgres
def test_postgres_coordinators_lose_no_edit(postgres_url, tmp_path, capsys):
    tally = _race(postgres_url, tmp_path, capsys, "PostgreSQL")
    assert not tally.escaped, tally.escaped[0]
