"""Crash safety: SIGKILL an import, an undo and a first-start migration at random moments.

After every kill the database must pass PRAGMA integrity_check and foreign_key_check, its audit
chain must verify, and every import batch must be wholly present or wholly absent. The kills
are seeded (the same moments on every run) and their number is fixed, so the run is bounded:
about 32 kills of the import/undo writer and 20 of the migration (PMO_CRASH_KILLS scales both).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pmo_desktop.demo import DemoSpec, build_demo
from pmo_desktop.demo.workbooks import status_workbook
from pmo_desktop.importer.apply import undo_batch
from pmo_desktop.importer.pipeline import apply_file, parsed_sheets
from pmo_desktop.importer.readers import read_workbook
from pmo_desktop.importer.writes import delete_rows
from pmo_desktop.model import Base, StatusReport
from pmo_desktop.model.audit import get_audit_context
from pmo_desktop.model.database import is_at_head, open_database
from pmo_desktop.model.enums import AuditSource
from pmo_desktop.services.integrity import run_checks

from .crash import (
    WRITING_SCHEMA,
    ImportReference,
    KillTally,
    batch_events,
    check_import_invariants,
    check_migrated_or_empty,
    data_fingerprint,
    import_and_undo_forever,
    migrate_empty,
    run_and_kill,
)

pytestmark = pytest.mark.slow

SCALE = float(os.environ.get("PMO_CRASH_KILLS", "1"))
IMPORT_KILLS = round(32 * SCALE)
MIGRATION_KILLS = round(20 * SCALE)
RESET_EVERY = 4
"""Kills in a row on the same file (each writer resumes on what the last one left) before a fresh copy."""
WORKBOOK_ROWS = 2_400
TODAY = dt.date(2026, 6, 15)


def _fresh_copy(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A demo office missing half of the reports its managers' status workbook holds, and with
    some of the others edited since: importing the workbook inserts about 1,200 reports and
    updates about 240, and undo has both kinds of change to put back."""
    folder = tmp_path_factory.mktemp("crash")
    base = folder / "base.db"
    db = open_database(base)
    spec = DemoSpec(projects=40, people=30, managers=5, allocations=150, raid_items=60, status_periods=60,
                    report_every_period=True)
    build_demo(db, spec, today=TODAY)
    workbook_path = status_workbook(db, folder / "status.xlsx", rows=WORKBOOK_ROWS).path
    with db.transaction(source=AuditSource.CLI, note="make room for the import") as session:
        conn = session.connection()
        ids = session.scalars(select(StatusReport.id).order_by(StatusReport.id)).all()
        delete_rows(conn, get_audit_context(session), StatusReport.__table__, ids[::2])
        for report in session.scalars(select(StatusReport).where(StatusReport.id.in_(ids[1::10]))):
            report.summary = "Edited by the PMO since the return came in"
    db.dispose()
    workbook = read_workbook(workbook_path)
    sheets, warnings = parsed_sheets(workbook)
    assert sheets and not warnings
    return base, workbook, sheets


@pytest.fixture(scope="module")
def reference(office, tmp_path_factory) -> ImportReference:
    """One uninterrupted import and undo on a copy: the two states a kill may leave."""
    base, workbook, sheets = office
    path = tmp_path_factory.mktemp("reference") / "office.db"
    _fresh_copy(base, path)
    db = open_database(path, source=AuditSource.CLI, backup=False)
    try:
        before = data_fingerprint(db)
        batch, plan = apply_file(db, workbook, sheets)
        assert plan.counts.new > 1_000 and plan.counts.update > 100 and not plan.counts.reject
        after = data_fingerprint(db)
        undo_batch(db, batch.id)
        assert data_fingerprint(db) == before, "undo did not give back the data as it was"
        events = batch_events(db)
        return ImportReference(before, after, events[(batch.id, AuditSource.IMPORT.value)],
                               events[(batch.id, AuditSource.CLI.value)])
    finally:
        db.dispose()


def test_killed_imports_and_undos_leave_every_batch_whole_or_absent(office, reference, tmp_path, capsys):
    base, workbook, sheets = office
    # One import plus one undo, timed on this machine, sets how far apart the kills may fall.
    started = time.perf_counter()
    probe = tmp_path / "probe.db"
    _fresh_copy(base, probe)
    db = open_database(probe, source=AuditSource.CLI, backup=False)
    undo_batch(db, apply_file(db, workbook, sheets)[0].id)
    db.dispose()
    cycle = time.perf_counter() - started

    rng = random.Random(20261126)
    tally = KillTally()
    path = tmp_path / "office.db"
    rounds = 0
    while tally.kills < IMPORT_KILLS:
        if rounds % RESET_EVERY == 0:
            _fresh_copy(base, path)
        rounds += 1
        run_and_kill(import_and_undo_forever, (path, workbook, sheets), rng.uniform(0.0, cycle), tally)
        db = open_database(path, backup=False)
        try:
            check_import_invariants(db, reference)
        finally:
            db.dispose()
    with capsys.disabled():
        print(f"\nimport/undo: {tally.summary()}")
    assert tally.by_phase.keys() >= {2, 3}, f"the kills missed the import or the undo: {tally.summary()}"


def test_a_killed_first_start_leaves_no_schema_or_the_whole_schema(tmp_path, capsys):
    # Time a warm first start here: the kills fall between its first CREATE TABLE and its end.
    migrate_empty(_Phase(), tmp_path / "warm-up.db")  # loads Alembic, as the forked writers find it loaded
    probe = _Phase()
    migrate_empty(probe, tmp_path / "probe.db")
    schema_from, duration = probe.schema_at - probe.started, time.perf_counter() - probe.started

    rng = random.Random(7)
    tally = KillTally()
    outcomes: dict[str, int] = {}
    head_tables = set(Base.metadata.tables) | {"alembic_version"}
    attempt = 0
    while tally.kills < MIGRATION_KILLS:
        attempt += 1
        assert attempt < 10 * MIGRATION_KILLS, f"the migration keeps finishing before its kill: {tally.summary()}"
        path = tmp_path / f"first-start-{attempt}.db"
        kills = tally.kills
        run_and_kill(migrate_empty, (path,), rng.uniform(schema_from, 1.05 * duration), tally)
        if tally.kills == kills:
            continue
        state = check_migrated_or_empty(path, head_tables)
        outcomes[state] = outcomes.get(state, 0) + 1
        db = open_database(path)  # the next start finishes the job
        try:
            assert is_at_head(db.engine)
            assert run_checks(db).ok
        finally:
            db.dispose()
    with capsys.disabled():
        print(f"\nfirst-start migration: {tally.summary()}; left {outcomes}")


class _Phase:
    """Stands in for the shared phase integer when a writer runs in this process; notes when the
    writer started and when it began writing the schema."""

    def __init__(self) -> None:
        self._value = 0
        self.started = self.schema_at = time.perf_counter()

    @property
    def value(self) -> int:
        return self._value

    @value.setter
    def value(self, phase: int) -> None:
        self._value = phase
        if phase == WRITING_SCHEMA:
            self.schema_at = time.perf_counter()
