"""The writer that ``test_export_crash_safety`` kills: one export written again and again to one file.

Run as a program (a separate process, as the real one is): ``export_writer.py KIND DATABASE TARGET``
with KIND ``xlsx`` (the executive pack workbook), ``pdf`` (the executive pack PDF) or ``table``
(a table export of TABLE_ROWS rows). It prints "ready" once everything is imported and read,
then "written SECONDS" after each whole export, until it is killed.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable

AS_OF = dt.date(2026, 11, 26)
TABLE_ROWS = 20_000
TABLE_COLUMNS = (("Ref", "text"), ("Project", "text"), ("Title", "text"), ("Due", "date"), ("Score", "int"),
                 ("Cost impact", "money"), ("Likelihood", "percent"))


def table_rows(db) -> list[tuple]:
    """TABLE_ROWS rows made from the office's RAID register (repeated), formula-like text included."""
    from sqlalchemy import select

    from pmo_desktop.model import RaidItem

    with db.session() as session:
        items = session.execute(select(RaidItem.ref, RaidItem.title, RaidItem.due, RaidItem.likelihood,
                                       RaidItem.impact, RaidItem.cost_impact)).all()
    rows = []
    for i in range(TABLE_ROWS):
        ref, title, due, likelihood, impact, cost = items[i % len(items)]
        rows.append((f"{ref}-{i}", "=SUM(A1:A2)" if i % 97 == 0 else f"P{i % 60:03d}", title, due,
                     (likelihood or 0) * (impact or 0), cost, (likelihood or 0) / 5))
    return rows


def writer(kind: str, db, target: str) -> Callable[[], object]:
    if kind == "xlsx":
        from pmo_desktop.reports.exec_pack import write_exec_pack

        return lambda: write_exec_pack(db, target, as_of=AS_OF)
    if kind == "pdf":
        from pmo_desktop.ui.pdf import write_pdf_pack
        from pmo_desktop.ui.pdf.pdf_pack import ensure_gui_application

        ensure_gui_application()
        return lambda: write_pdf_pack(db, target, as_of=AS_OF)
    if kind == "table":
        from pmo_desktop.reports.table_export import export_rows

        rows = table_rows(db)
        return lambda: export_rows(target, "RAID register", TABLE_COLUMNS, rows)
    raise SystemExit(f"unknown export kind {kind!r}")


def main(kind: str, database: str, target: str) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from pmo_desktop.model.database import open_database

    db = open_database(database, backup=False)
    write = writer(kind, db, target)
    print("ready", flush=True)
    while True:
        started = time.perf_counter()
        write()
        print(f"written {time.perf_counter() - started:.3f}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
