"""The executive pack against openpyxl write-only of the same cell values, one process each.

``export pack URL FOLDER RUNS``    times ``write_exec_pack`` end to end (read the office, lay out
                                   every sheet with styles, charts and conditional formats, save).
``export plain URL FOLDER RUNS``   writes the same pack once, untimed, reads each sheet's cell
                                   values back from it, then times writing only those values with an
                                   openpyxl write-only workbook (no styles, charts or formats) and
                                   saving it.

Each reports the median seconds over RUNS (at least 5) after one untimed run, the cells written
and this process's peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ..common import median, peak_rss_mib, report_and_exit, time_call

MIN_RUNS = 5


def _median(fn: Callable[[], None], runs: int) -> float:
    return median(time_call(fn, runs))


def run_pack(url: str, folder: Path, runs: int) -> dict:
    from pmo_desktop.model.database import open_database
    from pmo_desktop.reports.exec_pack import write_exec_pack

    db = open_database(url, backup=False)
    target = folder / "pack.xlsx"
    today = dt.date.today()
    seconds = _median(lambda: write_exec_pack(db, target, as_of=today), runs)
    return {"seconds": seconds, "bytes": target.stat().st_size, "runs": runs, "peak_rss_mib": peak_rss_mib()}


def _sheet_values(url: str, folder: Path) -> dict[str, list[list]]:
    """Each sheet's cell values, row by row from A1 to its last used cell, as the pack holds them.

    The pack streams its long sheets to disk as it lays them out, so the values are read back
    from a written pack (dates come back as datetimes: the same serial numbers in the file).
    """
    from openpyxl import load_workbook

    from pmo_desktop.model.database import open_database
    from pmo_desktop.reports.exec_pack import write_exec_pack

    db = open_database(url, backup=False)
    source = folder / "values.xlsx"
    write_exec_pack(db, source, as_of=dt.date.today())
    wb = load_workbook(source)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def run_plain(url: str, folder: Path, runs: int) -> dict:
    from openpyxl import Workbook

    sheets = _sheet_values(url, folder)
    target = folder / "plain.xlsx"

    def write() -> None:
        wb = Workbook(write_only=True)
        for title, rows in sheets.items():
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append(row)
        wb.save(target)

    seconds = _median(write, runs)
    cells = sum(len(row) for rows in sheets.values() for row in rows)
    return {"seconds": seconds, "cells": cells, "sheets": len(sheets), "runs": runs,
            "bytes": target.stat().st_size, "peak_rss_mib": peak_rss_mib()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.drivers.export",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("pack", "plain"),
                        help="pack: write_exec_pack end to end; plain: openpyxl write-only of the pack's values")
    parser.add_argument("url", help="database URL of the office (e.g. sqlite:///build/bench/full/scale.db)")
    parser.add_argument("folder", type=Path, help="folder for the written workbooks")
    parser.add_argument("runs", type=int, help=f"timed runs after one untimed run (at least {MIN_RUNS})")
    args = parser.parse_args(argv)
    runs = max(args.runs, MIN_RUNS)
    return (run_pack if args.mode == "pack" else run_plain)(args.url, args.folder, runs)


if __name__ == "__main__":
    report_and_exit(main())
