"""Import and its baselines, one measurement per process.

``calamine BOOK``               python-calamine only: open the workbook, read its first sheet to
                                Python lists (what the importer's reader starts from).
``import BASE_DB BOOK COPY``    copy BASE_DB to COPY (untimed), open it, then time
                                ``import_files(db, [BOOK])``; with ``--reimport`` time the same
                                file imported again (every row unchanged).
``pandas BOOK COPY``            pandas.read_excel(engine="openpyxl") + DataFrame.to_sql into a new
                                SQLite file at COPY (run only where pandas is importable).

Each reports seconds, the rows seen, this process's RSS before the work and its peak RSS right
after the measured step (``resource.getrusage``: the high-water mark so far).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..common import current_rss_mib, peak_rss_mib, report_and_exit, start_profile
from ..dataset import HEADER_ROW_INDEX


def run_calamine(book: str) -> dict:
    import python_calamine

    before = current_rss_mib()
    started = time.perf_counter()
    workbook = python_calamine.CalamineWorkbook.from_path(book)
    rows = workbook.get_sheet_by_index(0).to_python()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(rows) - HEADER_ROW_INDEX - 1, "rss_before_mib": before,
            "peak_rss_mib": peak_rss_mib()}


def run_import(base: str, book: str, copy: str, reimport: bool) -> dict:
    from ..dataset import copy_database

    copy_database(Path(base), Path(copy))
    from pmo_desktop.importer.pipeline import import_files
    from pmo_desktop.model.database import open_database

    db = open_database(f"sqlite:///{Path(copy).resolve()}", backup=False)
    before = current_rss_mib()
    started = time.perf_counter()
    outcome = import_files(db, [book])
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "rss_before_mib": before, "peak_rss_mib": peak_rss_mib(),
              "summary": outcome.summary(), "exit_code": outcome.exit_code,
              "counts": _counts(outcome)}
    if reimport:
        started = time.perf_counter()
        again = import_files(db, [book])
        result["reimport_seconds"] = time.perf_counter() - started
        result["reimport_summary"] = again.summary()
        result["reimport_counts"] = _counts(again)
    return result


def _counts(outcome) -> dict:
    counts = outcome.plan.counts
    return {"new": counts.new, "update": counts.update, "unchanged": counts.unchanged, "reject": counts.reject}


def run_pandas(book: str, copy: str) -> dict:
    import sqlite3

    import pandas

    Path(copy).unlink(missing_ok=True)
    before = current_rss_mib()
    started = time.perf_counter()
    frame = pandas.read_excel(book, engine="openpyxl", header=HEADER_ROW_INDEX)
    conn = sqlite3.connect(copy)
    try:
        frame.to_sql("status_import", conn, index=False)
        conn.commit()
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(frame), "rss_before_mib": before, "peak_rss_mib": peak_rss_mib()}


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        raise SystemExit(0 if len(sys.argv) >= 2 else 2)
    start_profile()
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "calamine":
        data = run_calamine(args[0])
    elif mode == "import":
        data = run_import(args[0], args[1], args[2], reimport="--reimport" in args)
    elif mode == "pandas":
        data = run_pandas(args[0], args[1])
    else:
        raise SystemExit(f"unknown mode {mode}")
    report_and_exit(data)
