"""Crash harness: run a writer in a forked process, SIGKILL it at a random moment, inspect the file.

The writer is forked from the test process (so it starts in milliseconds with every module
already imported) and opens its own engine: nothing but the file is shared, as between two
programs. A shared integer tells the parent which phase the writer was in when it died.

``check_import_invariants`` is what "nothing is half-applied" means for the import pipeline:
the file passes the integrity and audit checks, every import batch is wholly there or wholly
absent (its batch row, its audit events and its rows), and the business data is exactly the
state before the import or exactly the state after it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, event, func, select

from pmo_desktop.model import AuditEvent, Base, BatchStatus, ImportBatch, ImportFingerprint
from pmo_desktop.model.database import Database, open_database
from pmo_desktop.model.enums import AuditSource
from pmo_desktop.services.integrity import run_checks

# Phases the writer announces through the shared integer.
OPENING, PLANNING_AND_IMPORTING, UNDOING, MIGRATING, WRITING_SCHEMA = 1, 2, 3, 4, 5
PHASE_NAMES = {0: "starting", OPENING: "opening", PLANNING_AND_IMPORTING: "import",
               UNDOING: "undo", MIGRATING: "migration (before the schema)", WRITING_SCHEMA: "writing the schema"}

_FORK = multiprocessing.get_context("fork")
_NOT_DATA = frozenset({"audit_event", "audit_head", "import_batch", "import_fingerprint", "alembic_version"})
"""Tables that are not office data: the trail, the batches and the derived re-import fingerprints."""
_BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at"})


@dataclass
class KillTally:
    """How many writers were killed, in which phase, and how many finished before the kill."""

    kills: int = 0
    finished_first: int = 0
    by_phase: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        phases = ", ".join(f"{PHASE_NAMES[p]} {n}" for p, n in sorted(self.by_phase.items()))
        return f"{self.kills} kills ({phases}); {self.finished_first} runs finished before their kill"


def run_and_kill(work: Callable, args: tuple, delay: float, tally: KillTally) -> None:
    """Run ``work(phase, *args)`` in a forked process and SIGKILL it after ``delay`` seconds.

    ``work`` sets ``phase.value`` as it goes. A run that ends by itself before the delay is
    counted as finished, not as a kill.
    """
    phase = _FORK.Value("i", 0, lock=False)
    process = _FORK.Process(target=work, args=(phase, *args), daemon=True)
    process.start()
    process.join(delay)
    if process.is_alive():
        os.kill(process.pid, signal.SIGKILL)
        process.join()
    if process.exitcode == -signal.SIGKILL:
        tally.kills += 1
        tally.by_phase[phase.value] += 1
    elif process.exitcode == 0:
        tally.finished_first += 1
    else:
        raise AssertionError(f"the writer failed on its own (exit code {process.exitcode}) in phase "
                             f"{PHASE_NAMES[phase.value]}; its traceback is above")


# ---------------------------------------------------------------------------------------------
# Writers (run in the child)
# ---------------------------------------------------------------------------------------------


def import_and_undo_forever(phase, db_path: Path, workbook, sheets) -> None:
    """Open the database, then alternate: import the workbook, undo that import, and again."""
    from pmo_desktop.importer.apply import undo_batch
    from pmo_desktop.importer.pipeline import apply_file

    phase.value = OPENING
    db = open_database(db_path, source=AuditSource.CLI)
    while True:
        latest = _latest_batch(db)
        if latest is not None and latest.status == BatchStatus.APPLIED.value:
            phase.value = UNDOING
            undo_batch(db, latest.id)
        else:
            phase.value = PLANNING_AND_IMPORTING
            apply_file(db, workbook, sheets)


def migrate_empty(phase, db_path: Path) -> None:
    """Create and migrate a new database at ``db_path``, as the first start of the program does.

    The phase moves from MIGRATING to WRITING_SCHEMA at the first CREATE TABLE.
    """
    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("CREATE TABLE") and phase.value != WRITING_SCHEMA:
            phase.value = WRITING_SCHEMA

    phase.value = MIGRATING
    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        open_database(db_path).dispose()
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)


def _latest_batch(db: Database) -> ImportBatch | None:
    with db.session() as session:
        return session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(1)).first()


# ---------------------------------------------------------------------------------------------
# What must hold after a kill (run in the parent)
# ---------------------------------------------------------------------------------------------


def data_fingerprint(db: Database) -> str:
    """A digest of every business row (all tables but the trail and batches; no ids or versions).

    An import followed by its undo gives back the same digest: undo restores every value and
    only moves versions and update times forward.
    """
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in _NOT_DATA:
                continue
            columns = [c for c in table.columns if c.name not in _BOOKKEEPING]
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(*columns)))
            digest.update(f"{table.name}:{len(rows)}\n".encode())
            for row in rows:
                digest.update(row.encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ImportReference:
    """What one uninterrupted import and undo of the workbook leave, measured on a copy."""

    before: str
    after: str
    import_events: int
    undo_events: int


def batch_events(db: Database) -> dict[tuple[int, str], int]:
    """Audit events per (batch id, source): the import's own events and those of its undo."""
    event = AuditEvent.__table__
    with db.engine.connect() as conn:
        rows = conn.execute(select(event.c.batch_id, event.c.source, func.count())
                            .where(event.c.batch_id.is_not(None)).group_by(event.c.batch_id, event.c.source))
        return {(batch_id, source): n for batch_id, source, n in rows}


def check_import_invariants(db: Database, reference: ImportReference) -> None:
    """Raise AssertionError unless the database is whole and every batch all-or-nothing."""
    report = run_checks(db)
    assert report.ok, "\n".join(report.lines())
    with db.session() as session:
        batches = session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all()
        batch_rows_audited = set(session.scalars(
            select(AuditEvent.entity_id).where(AuditEvent.entity == ImportBatch.__tablename__,
                                               AuditEvent.action == "insert")))
    events = batch_events(db)
    known = {b.id for b in batches}
    orphans = {batch_id for batch_id, _source in events if batch_id not in known}
    assert not orphans, f"audit events of batches that are not in the database: {sorted(orphans)}"
    for batch in batches:
        assert batch.id in batch_rows_audited, f"batch {batch.id} has no audit event for its own row"
        assert events.get((batch.id, AuditSource.IMPORT.value), 0) == reference.import_events, (
            f"batch {batch.id} is partly there: {events.get((batch.id, 'import'), 0)} of "
            f"{reference.import_events} import events")
        undo = events.get((batch.id, AuditSource.CLI.value), 0)
        expected_undo = reference.undo_events if batch.status == BatchStatus.UNDONE.value else 0
        assert undo == expected_undo, f"the undo of batch {batch.id} is partly there: {undo} of {expected_undo} events"
    applied = bool(batches) and batches[-1].status == BatchStatus.APPLIED.value
    fingerprint = ImportFingerprint.__table__
    with db.engine.connect() as conn:
        fingerprinted = set(conn.scalars(select(fingerprint.c.batch_id).distinct()))
    expected_batches = {batches[-1].id} if applied else set()
    assert fingerprinted == expected_batches, (
        f"re-import fingerprints belong to batches {sorted(fingerprinted)}, not to the applied one(s) "
        f"{sorted(expected_batches)}")
    assert all(b.status == BatchStatus.UNDONE.value for b in batches[:-1]), "an earlier batch was never undone"
    expected = reference.after if applied else reference.before
    assert data_fingerprint(db) == expected, (
        f"the data is neither the state before the import nor the state after it (latest batch applied: {applied})")


def check_migrated_or_empty(path: Path, head_tables: set[str]) -> str:
    """After a killed first start: the file holds no tables or the whole schema; say which."""
    import sqlite3

    if not path.exists():
        return "empty"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        conn.rollback()
    if not tables:
        return "empty"
    assert head_tables <= tables, f"a half-made schema: {sorted(head_tables - tables)} missing"
    return "migrated"
