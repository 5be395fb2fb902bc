"""A big, plain workbook goes through reading, analysis and parsing in seconds."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from pmo_desktop.importer import Kind, analyse_workbook, parse_table, read_workbook


def test_twenty_thousand_projects(tmp_path: Path) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Projects")
    sheet.append(["Project ID", "Project Name", "PM", "RAG", "Start", "End", "Budget (£k)", "% Complete"])
    for i in range(20_000):
        sheet.append([f"P{i}", f"Project {i}", "Asha Patel", "Green", date(2026, 1, 5), "31/12/2026", 100 + i, "50%"])
    path = tmp_path / "big.xlsx"
    workbook.save(path)

    started = time.monotonic()
    analysis = analyse_workbook(read_workbook(path))
    [table] = analysis.tables
    parsed = parse_table(table)
    elapsed = time.monotonic() - started

    assert table.kind is Kind.PROJECTS
    assert len(parsed.records) == 20_000 and parsed.errors == []
    assert parsed.records[-1].values["budget"] == 20_099_000
    print(f"20,000 rows read, analysed and parsed in {elapsed:.1f} s")
