"""The scale office and its workbooks, built once per bench run into ``build/bench/<scale>/``.

``Scale.full()`` is the issue's benchmark office (``DemoSpec.benchmark()``: 2,000 projects,
1,000 people, ~50,000 allocations, ~20,000 RAID items, 24 periods of status history for every
project, ~48,000 status reports); ``Scale.quick()`` is a tenth of it, for CI.

Files written (``build/`` is ignored by git):

* ``scale.db``          the office, built by the demo generator;
* ``import-base.db``    the same office without its status history: the status workbook then
                        imports as all new rows, the way a month's returns arrive;
* ``status.xlsx``       every stored status report (at most ``status_rows``) as managers send them;
* ``status-1x.xlsx``, ``status-2x.xlsx``   a quarter and a half of it, for the scaling series
                        (``status.xlsx`` is the 4x point);
* ``raid.xlsx``, ``allocation.xlsx``       the matching RAID log and resource plan.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .common import REPO

HEADER_ROW_INDEX = 3
"""The header's 0-based row in the demo workbooks (title, notes, a blank row, then the header)."""


@dataclass(frozen=True, slots=True)
class Scale:
    """How big a bench run is: the demo's size factor and the derived row counts."""

    name: str
    factor: float
    runs: int
    """Repetitions per measurement (the median is reported)."""

    @classmethod
    def full(cls, runs: int = 5) -> Scale:
        return cls("full", 1.0, runs)

    @classmethod
    def quick(cls, runs: int = 3) -> Scale:
        return cls("quick", 0.1, runs)

    @property
    def status_rows(self) -> int:
        """Rows of the status workbook asked for (the workbook holds at most what is stored)."""
        return round(50_000 * self.factor)

    @property
    def filter_rows(self) -> int:
        """Rows in the RAID table model for the filter and sort benchmarks."""
        return round(50_000 * self.factor)

    def spec(self):
        from pmo_desktop.demo import DemoSpec

        spec = DemoSpec.benchmark()
        return spec if self.factor == 1.0 else spec.scaled(self.factor)


@dataclass(frozen=True, slots=True)
class Dataset:
    """Paths of a built dataset and what it holds."""

    folder: Path
    scale: Scale
    today: dt.date
    counts: dict
    status_rows: int
    scaling_rows: dict[str, int]
    seconds: float

    @property
    def database(self) -> Path:
        return self.folder / "scale.db"

    @property
    def import_base(self) -> Path:
        return self.folder / "import-base.db"

    @property
    def status_workbook(self) -> Path:
        return self.folder / "status.xlsx"

    def scaling_workbook(self, step: str) -> Path:
        return self.status_workbook if step == "4x" else self.folder / f"status-{step}.xlsx"

    def url(self, path: Path | None = None) -> str:
        return f"sqlite:///{(path or self.database).resolve()}"


def work_folder(scale: Scale) -> Path:
    return REPO / "build" / "bench" / scale.name


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file so that a plain file copy is the whole database."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def copy_database(source: Path, destination: Path) -> Path:
    """A copy of a checkpointed database file (its -wal and -shm of a previous copy removed)."""
    for suffix in ("-wal", "-shm"):
        Path(f"{destination}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, destination)
    return destination


def build_dataset(scale: Scale, *, reuse: bool = False, log=print) -> Dataset:
    """Build (or with ``reuse``, keep a complete earlier build of) the office and its workbooks."""
    from pmo_desktop.demo import build_demo
    from pmo_desktop.demo.workbooks import allocation_workbook, raid_workbook, status_workbook
    from pmo_desktop.model.database import open_database

    folder = work_folder(scale)
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "complete.txt"
    today = dt.date.today()
    started = time.perf_counter()
    if reuse and marker.exists() and marker.read_text().startswith(f"{today.isoformat()} "):
        log(f"reusing the {scale.name} dataset in {folder}")
        _, counts_text = marker.read_text().split(" ", 1)
        saved = json.loads(counts_text)
        return Dataset(folder, scale, today, saved["counts"], saved["status_rows"], saved["scaling_rows"], 0.0)
    marker.unlink(missing_ok=True)
    for path in folder.glob("*.db*"):
        path.unlink()

    database = folder / "scale.db"
    db = open_database(f"sqlite:///{database}", backup=False)
    try:
        summary = build_demo(db, scale.spec(), today=today)
        log(f"built the {scale.name} office: {summary}")
        status = status_workbook(db, folder / "status.xlsx", rows=scale.status_rows)
        scaling_rows = {"4x": status.rows}
        for step, share in (("1x", 4), ("2x", 2)):
            scaling_rows[step] = status_workbook(db, folder / f"status-{step}.xlsx", rows=status.rows // share).rows
        raid = raid_workbook(db, folder / "raid.xlsx")
        allocation = allocation_workbook(db, folder / "allocation.xlsx")
        log(f"wrote workbooks: status {status.rows:,} rows, RAID {raid.rows:,}, resource plan {allocation.rows:,}")
    finally:
        db.dispose()
    _checkpoint(database)

    # The import target: the office without its status history (audit rows of the build stay).
    base = copy_database(database, folder / "import-base.db")
    conn = sqlite3.connect(base)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("DELETE FROM status_report")
        conn.commit()
    finally:
        conn.close()
    _checkpoint(base)

    counts = dict(summary.counts)
    marker.write_text(f"{today.isoformat()} " + json.dumps(
        {"counts": counts, "status_rows": status.rows, "scaling_rows": scaling_rows}))
    return Dataset(folder, scale, today, counts, status.rows, scaling_rows, time.perf_counter() - started)
