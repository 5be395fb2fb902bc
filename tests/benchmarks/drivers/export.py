"""The executive pack against openpyxl write-only of the same cell values, one process each.

``export pack URL FOLDER RUNS``    times ``write_exec_pack`` end to end (read the office, lay out
                                   every sheet with styles, charts and conditional formats, save).
``export plain URL FOLDER RUNS``   builds the same pack once, untimed, keeps each sheet's cell
                                   values, then times writing only those values with an openpyxl
                                   write-only workbook (no styles, charts or formats) and saving it.

Each reports the median seconds over RUNS (at least 5) after one untimed run, the cells written
and this process's peak RSS.
"""

from __future__ import annotations

import datetime as dt
import sys
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


def _sheet_values(url: str) -> dict[str, list[list]]:
    from pmo_desktop.model.database import open_database
    from pmo_desktop.reports.exec_pack import build_workbook
    from pmo_desktop.reports.pack_data import gather_pack

    db = open_database(url, backup=False)
    with db.session() as session:
        data = gather_pack(session, as_of=dt.date.today())
    wb, _rows = build_workbook(data)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def run_plain(url: str, folder: Path, runs: int) -> dict:
    from openpyxl import Workbook

    sheets = _sheet_values(url)
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


if __name__ == "__main__":
    mode, url, folder, runs = sys.argv[1], sys.argv[2], Path(sys.argv[3]), max(int(sys.argv[4]), MIN_RUNS)
    report_and_exit((run_pack if mode == "pack" else run_plain)(url, folder, runs))
