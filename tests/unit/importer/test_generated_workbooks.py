"""Messy workbooks written by the tests (title rows, banners, totals, forms, grids, CSV, ODS)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pmo_desktop.importer.fields import Kind
from pmo_desktop.importer.readers import read_workbook
from pmo_desktop.importer.records import GridValue, parse_table
from pmo_desktop.importer.sheets import Layout, analyse_workbook
from pmo_desktop.importer.values import ParseOptions

from . import builders

BANNER_RECORDS = [
    {"code": "NW-001", "name": "CRM Replacement", "manager": "Asha Patel", "rag": "A",
     "budget": Decimal(1_200_000), "actual_cost": Decimal(450_500), "percent_complete": 0.4,
     "end": date(2026, 9, 30)},
    {"code": "NW-002", "name": "Data Centre Exit", "manager": "Tom Reid", "rag": "G",
     "budget": Decimal(1_500_000), "actual_cost": Decimal(300_000), "percent_complete": 0.35,
     "end": date(2026, 12, 31)},
    {"code": "NW-003", "name": "Payroll Upgrade", "manager": "Li Wei", "rag": "R",
     "budget": Decimal(800_000), "actual_cost": Decimal(-20_000), "percent_complete": 1.0,
     "end": date(2026, 9, 30)},  # "Q3 2026" in an end field: last day of the quarter
]
"""What builders.projects_with_banner() must import as, whatever program saved it."""


def test_projects_under_banner_and_merged_group_header(tmp_path: Path) -> None:
    analysis = analyse_workbook(read_workbook(builders.projects_with_banner(tmp_path / "portfolio.xlsx")))
    [table] = analysis.tables
    assert (table.kind, table.layout, table.header_row) == (Kind.PROJECTS, Layout.TABLE, 5)
    assert [line for line, _values in table.rows] == [6, 7, 9]  # blank row 8 skipped, stops at "Total"
    mapping = table.mapping.mapped
    assert mapping["budget"].multiplier == Decimal(1000)
    parsed = parse_table(table)
    assert parsed.errors == []
    assert [r.values for r in parsed.records] == BANNER_RECORDS


def test_status_form_with_risks_table_below(tmp_path: Path) -> None:
    analysis = analyse_workbook(read_workbook(builders.status_form_with_risks(tmp_path / "status.xlsx")))
    [form] = analysis.tables
    assert (form.kind, form.layout, form.header_row) == (Kind.STATUS, Layout.FORM, 3)
    [record] = parse_table(form).records
    assert record.values == {
        "project": "CRM Replacement",
        "period_end": date(2026, 3, 13),
        "rag": "G",  # Amber/Green
        "percent_complete": 0.45,
        "schedule_rag": "G",  # On track
        "cost_rag": "A",  # At risk
        "summary": "Vendor selected; data migration plan approved.",
    }
    assert form.cell_ref(0, 1) == "E3"  # Report Date's value
    [risks] = form.nested
    assert (risks.kind, risks.layout, risks.header_row, risks.raid_kind) == (Kind.RAID, Layout.TABLE, 10, "risk")
    parsed = parse_table(risks)
    assert parsed.errors == []
    assert [(r.values["ref"], r.values["likelihood"], r.values["impact"], r.values["project"]) for r in parsed.records] == [
        ("R-01", 4, 5, "CRM Replacement"),  # H, Very High; project taken from the form
        ("R-02", 3, 4, "CRM Replacement"),  # M, "4"
        ("R-03", 3, 2, "CRM Replacement"),  # 35% -> band 3, Low
    ]


def test_wide_weekly_grid_of_hours(tmp_path: Path) -> None:
    analysis = analyse_workbook(read_workbook(builders.weekly_grid(tmp_path / "plan.xlsx")))
    [table] = analysis.tables
    assert (table.kind, table.header_row) == (Kind.ALLOCATIONS, 3)
    assert [(g.start, g.end, g.granularity) for g in table.mapping.grid] == [
        (date(2026, 1, 5), date(2026, 1, 11), "week"),
        (date(2026, 1, 12), date(2026, 1, 18), "week"),
        (date(2026, 1, 19), date(2026, 1, 25), "week"),
        (date(2026, 1, 26), date(2026, 2, 1), "week"),
    ]
    parsed = parse_table(table)
    assert parsed.errors == []
    assert len(parsed.records) == 2  # the "Grand Total" row is not a person
    asha, tom = parsed.records
    assert asha.values == {"person": "Asha Patel", "project": "CRM Replacement", "role": "Architect"}
    assert [g.hours for g in asha.grid] == [15.0, 15.0, 7.5]
    assert tom.grid == [
        GridValue(date(2026, 1, 5), date(2026, 1, 11), 37.5),
        GridValue(date(2026, 1, 12), date(2026, 1, 18), 15.0),  # "2 days" at 7.5 hours a day
        GridValue(date(2026, 1, 26), date(2026, 2, 1), 20.0),
    ]


def test_grid_of_month_dates(tmp_path: Path) -> None:
    analysis = analyse_workbook(read_workbook(builders.monthly_grid_with_date_headers(tmp_path / "alloc.xlsx")))
    [table] = analysis.tables
    assert table.kind is Kind.ALLOCATIONS
    assert [(g.start, g.end, g.granularity) for g in table.mapping.grid] == [
        (date(2026, 1, 1), date(2026, 1, 31), "month"),
        (date(2026, 2, 1), date(2026, 2, 28), "month"),
        (date(2026, 3, 1), date(2026, 3, 31), "month"),
    ]
    [record] = parse_table(table).records
    assert [g.hours for g in record.grid] == [80.0, 80.0, 40.0]


def test_cp1252_csv_month_first_with_pounds(tmp_path: Path) -> None:
    workbook = read_workbook(builders.cp1252_csv(tmp_path / "projects.csv"))
    assert workbook.format == "csv"
    assert workbook.sheets[0].rows[1][1:3] == ("Café Refit", "Zoë Brontë")
    options = ParseOptions(day_first=False)
    [table] = analyse_workbook(workbook, options).tables
    parsed = parse_table(table, options)
    assert parsed.errors == []
    assert [r.values for r in parsed.records] == [
        {"code": "P-10", "name": "Café Refit", "sponsor": "Zoë Brontë", "start": date(2026, 3, 4),
         "end": date(2026, 12, 31), "budget": Decimal(12_500), "rag": "G"},
        {"code": "P-11", "name": "Warehouse Move", "sponsor": "Seán Ó Briain", "start": date(2026, 1, 15),
         "end": date(2026, 6, 30), "budget": Decimal(1_200_000), "rag": "A"},
    ]


def test_same_csv_read_day_first_reports_the_impossible_dates(tmp_path: Path) -> None:
    workbook = read_workbook(builders.cp1252_csv(tmp_path / "projects.csv"))
    [table] = analyse_workbook(workbook).tables
    parsed = parse_table(table, ParseOptions(day_first=True))
    # "12/31/2026" and "01/15/2026" are unambiguous (a month cannot be 31 or 15), so they still
    # parse; "03/04/2026" is read day-first as 3 April.
    assert parsed.errors == []
    assert parsed.records[0].values["start"] == date(2026, 4, 3)
    assert parsed.records[0].values["end"] == date(2026, 12, 31)


def test_ods_written_by_hand(tmp_path: Path) -> None:
    path = builders.ods_projects(
        tmp_path / "projects.ods",
        [("Project Code", "Project Name", "Start", "Budget (£m)"),
         ("X1", "Alpha", date(2026, 1, 5), 1.5),
         ("X2", "Beta", 46100, "0.25")],
    )
    workbook = read_workbook(path)
    assert workbook.format == "ods"
    [table] = analyse_workbook(workbook).tables
    parsed = parse_table(table)
    assert [r.values for r in parsed.records] == [
        {"code": "X1", "name": "Alpha", "start": date(2026, 1, 5), "budget": Decimal(1_500_000)},
        {"code": "X2", "name": "Beta", "start": date(2026, 3, 19), "budget": Decimal(250_000)},  # serial 46100
    ]


def test_rejected_cells_name_sheet_row_column_and_reason(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Projects"
    sheet.append(["Project ID", "Project Name", "RAG", "Start Date", "% Complete"])
    sheet.append(["P1", "Alpha", "Purple", "31/02/2026", "150%"])
    sheet.append(["P2", "Beta", "Green", "TBC", "50"])
    sheet.append([None, None, "Red", None, None])
    workbook.save(tmp_path / "bad.xlsx")
    [table] = analyse_workbook(read_workbook(tmp_path / "bad.xlsx")).tables
    parsed = parse_table(table)
    assert [r.values for r in parsed.records] == [
        {"code": "P2", "name": "Beta", "rag": "G", "percent_complete": 0.5}
    ]
    problems = [(e.sheet, e.row, e.column, e.raw) for e in parsed.errors]
    assert problems == [
        ("Projects", 2, "RAG", "Purple"),
        ("Projects", 2, "Start Date", "31/02/2026"),
        ("Projects", 2, "% Complete", "150%"),
        ("Projects", 4, "Project ID", None),
    ]
    assert [e.cell for e in parsed.errors] == ["C2", "D2", "E2", "A4"]
    assert parsed.errors[0].describe().startswith("Projects, cell C2, RAG: 'Purple' - ")
    reasons = [e.reason for e in parsed.errors]
    assert "Red, Amber or Green" in reasons[0]
    assert "not a real calendar date" in reasons[1]
    assert "more than 100%" in reasons[2]
    assert reasons[3] == "no code or name: every row needs one"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_converted_by_libreoffice(tmp_path: Path, fmt: str) -> None:
    source = builders.projects_with_banner(tmp_path / "portfolio.xlsx")
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
         "--convert-to", fmt, "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    workbook = read_workbook(tmp_path / f"portfolio.{fmt}")
    assert workbook.format == fmt
    [table] = analyse_workbook(workbook).tables
    assert table.header_row == 5
    parsed = parse_table(table)
    assert parsed.errors == []
    assert [r.values for r in parsed.records] == BANNER_RECORDS


def test_sheet_names_imply_raid_kind_and_guidance_sheets_are_skipped(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    guidance = workbook.active
    guidance.title = "Instructions"
    guidance.append(["How to fill in this log", "Use one row per issue"])
    guidance.append(["Project", "Owner"])
    issues = workbook.create_sheet("Issues Log")
    issues.append(["Project", "ID", "Description", "Owner", "Status", "Date Raised"])
    issues.append(["CRM Replacement", "I-1", "Supplier late", "Asha Patel", "Open", "02/03/2026"])
    issues.append(["CRM Replacement", "I-2", "Test rig broken", "Tom Reid", "Resolved", "04/03/2026"])
    lists = workbook.create_sheet("Lists")
    lists.append(["Open", "Closed"])
    lists.append(["Open", "Closed"])
    hidden = workbook.create_sheet("Risks (old)")
    hidden.sheet_state = "hidden"
    hidden.append(["Risk ID", "Description", "Owner"])
    hidden.append(["R1", "Old", "Nobody"])
    workbook.save(tmp_path / "raid.xlsx")
    analysis = analyse_workbook(read_workbook(tmp_path / "raid.xlsx"))
    assert {s.sheet for s in analysis.skipped} == {"Instructions", "Lists", "Risks (old)"}
    [table] = analysis.tables
    assert (table.kind, table.raid_kind) == (Kind.RAID, "issue")
    parsed = parse_table(table)
    assert [(r.values["ref"], r.values["kind"], r.values["status"], r.values["raised"]) for r in parsed.records] == [
        ("I-1", "issue", "open", date(2026, 3, 2)),
        ("I-2", "issue", "closed", date(2026, 3, 4)),
    ]


def test_form_without_colons_and_values_below(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Highlight"
    sheet["A1"] = "Project Highlight Report"
    sheet["A3"], sheet["B3"] = "Project Name", "Data Centre Exit"
    sheet["A4"], sheet["B4"] = "Overall RAG", "Red"
    sheet["A5"], sheet["B5"] = "Week Ending", "20/03/2026"
    sheet["A7"] = "Key Issues:"
    sheet["A8"] = "Cooling contract not signed"
    workbook.save(tmp_path / "highlight.xlsx")
    [table] = analyse_workbook(read_workbook(tmp_path / "highlight.xlsx")).tables
    assert (table.kind, table.layout) == (Kind.STATUS, Layout.FORM)
    [record] = parse_table(table).records
    assert record.values == {
        "project": "Data Centre Exit",
        "rag": "R",
        "period_end": date(2026, 3, 20),
        "issues": "Cooling contract not signed",
    }
    assert table.cells == [("B3", "B4", "B5", "A8")]


def test_two_tables_one_blank_row_apart_and_a_project_called_total(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "RAID"
    sheet.append(["Project", "Risk ID", "Risk Description", "Likelihood", "Impact"])
    sheet.append(["Total Rewards", "R1", "Pay data late", "High", "Medium"])
    sheet.append(["Total Rewards", "R2", "Scope creep", "Low", "Low"])
    sheet.append([])
    sheet.append(["Project", "Issue ID", "Issue Description", "Owner", "Status"])
    sheet.append(["Total Rewards", "I1", "Payroll vendor insolvent", "Li Wei", "Open"])
    sheet.append(["TOTAL", None, None, None, None])
    workbook.save(tmp_path / "raid.xlsx")
    [risks] = analyse_workbook(read_workbook(tmp_path / "raid.xlsx")).tables
    assert (risks.kind, risks.header_row, [line for line, _ in risks.rows]) == (Kind.RAID, 1, [2, 3])
    [issues] = risks.nested
    assert (issues.kind, issues.header_row, [line for line, _ in issues.rows]) == (Kind.RAID, 5, [6])
    assert (risks.raid_kind, issues.raid_kind) == ("risk", "issue")  # from "Risk ID" / "Issue ID"
    assert [(r.values["ref"], r.values["kind"]) for r in parse_table(issues).records] == [("I1", "issue")]


def test_group_labels_over_repeated_headers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Projects"
    sheet.append([None, None, "Baseline", None, "Forecast", None, "Actual", None])
    sheet.merge_cells("C1:D1")
    sheet.merge_cells("E1:F1")
    sheet.merge_cells("G1:H1")
    sheet.append(["Project ID", "Project Name", "Start", "End", "Start", "End", "Start", "End"])
    sheet.append(["P1", "Alpha", "01/02/2026", "30/06/2026", None, "31/07/2026", "03/02/2026", None])
    workbook.save(tmp_path / "dates.xlsx")
    [table] = analyse_workbook(read_workbook(tmp_path / "dates.xlsx")).tables
    assert table.header_row == 2
    assert table.headers[2:6] == ("Baseline Start", "Baseline End", "Forecast Start", "Forecast End")
    [record] = parse_table(table).records
    assert record.values == {
        "code": "P1", "name": "Alpha", "start": date(2026, 2, 1), "end": date(2026, 6, 30),
        "forecast_end": date(2026, 7, 31), "actual_start": date(2026, 2, 3),
    }


def test_scale_written_in_the_title_applies_to_money_columns(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Finance"
    sheet.append(["Portfolio finance summary - all figures £000s"])
    sheet.append(["Project ID", "Project Name", "Budget", "Actual Cost", "Forecast (£m)", "% Complete"])
    sheet.append(["P1", "Alpha", 250, "12.5", 1.1, "40%"])
    workbook.save(tmp_path / "finance.xlsx")
    [table] = analyse_workbook(read_workbook(tmp_path / "finance.xlsx")).tables
    [record] = parse_table(table).records
    assert record.values["budget"] == Decimal(250_000)
    assert record.values["actual_cost"] == Decimal(12_500)
    assert record.values["forecast_cost"] == Decimal(1_100_000)  # its own header's unit wins
    assert "title" in table.mapping.mapped["budget"].note


def test_transposed_sheet_errors_point_at_the_label_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Master"
    for row in [
        ("Project Name", "Alpha", "Beta", "Gamma"),
        ("Project Manager", "Asha Patel", "Tom Reid", "Li Wei"),
        ("Overall RAG", "Green", "Purple", "Amber/Red"),
        ("Start Date", "01/04/2026", "TBC", date(2026, 5, 1)),
        ("Total Budget (£m)", 1.5, "0.75", "£2m"),
        ("% Complete", "10%", 0.5, 95),
    ]:
        sheet.append(list(row))
    workbook.save(tmp_path / "master.xlsx")
    [table] = analyse_workbook(read_workbook(tmp_path / "master.xlsx")).tables
    assert (table.kind, table.layout) == (Kind.PROJECTS, Layout.TRANSPOSED)
    parsed = parse_table(table)
    assert [r.values for r in parsed.records] == [
        {"name": "Alpha", "manager": "Asha Patel", "rag": "G", "start": date(2026, 4, 1),
         "budget": Decimal(1_500_000), "percent_complete": 0.1},
        {"name": "Gamma", "manager": "Li Wei", "rag": "R", "start": date(2026, 5, 1),
         "budget": Decimal(2_000_000), "percent_complete": 0.95},
    ]
    [error] = parsed.errors
    assert (error.row, error.cell, error.column, error.raw) == (3, "C3", "Overall RAG", "Purple")
