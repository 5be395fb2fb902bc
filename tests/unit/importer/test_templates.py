"""The real PMO workbooks of the corpus: header rows, kinds, layouts and exact values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pmo_desktop.importer.fields import Kind
from pmo_desktop.importer.readers import read_workbook
from pmo_desktop.importer.records import ParsedTable, parse_table
from pmo_desktop.importer.sheets import (
    Layout,
    SheetTable,
    WorkbookAnalysis,
    analyse_workbook,
    find_header_row,
)


def _analyse(corpus: Path, name: str) -> WorkbookAnalysis:
    return analyse_workbook(read_workbook(corpus / "templates" / name))


def _table(analysis: WorkbookAnalysis, sheet: str, kind: Kind) -> SheetTable:
    matches = [t for t in analysis.all_tables() if t.sheet == sheet and t.kind is kind]
    assert len(matches) == 1, [(t.sheet, t.kind) for t in analysis.all_tables()]
    return matches[0]


def _by(parsed: ParsedTable, *fields: str) -> dict[tuple, dict]:
    return {tuple(r.values.get(f) for f in fields): r.values for r in parsed.records}


def test_contoso_status_reports_header_under_title(corpus: Path) -> None:
    analysis = _analyse(corpus, "ms-contoso-status-reports.xlsx")
    table = _table(analysis, "June Status", Kind.PEOPLE)
    assert table.layout is Layout.TABLE
    assert table.header_row == 3
    assert table.headers == ("Name", "Email", "Status Report")
    parsed = parse_table(table)
    assert len(parsed.records) == 12
    first = parsed.records[0]
    assert first.line == 4
    assert first.values == {"name": "Linnie Wizok", "email": "linnie.w@contoso.com"}


def test_dft_portfolio_master_is_transposed_one_record_per_project(corpus: Path) -> None:
    analysis = _analyse(corpus, "dft-portfolio-master-q4-2019.xlsx")
    table = _table(analysis, "Master", Kind.PROJECTS)
    assert table.layout is Layout.TRANSPOSED
    parsed = parse_table(table)
    assert parsed.errors == []
    projects = _by(parsed, "name")
    assert list(projects) == [("Mars",), ("Sea of Tranquility",), ("Apollo 11",), ("Apollo 13",), ("Falcon 9",), ("Columbia",)]
    mars = projects[("Mars",)]
    assert mars["sponsor"] == "Alex Turner"
    assert mars["manager"] == "Aphex Twin"
    assert mars["rag"] == "A"  # Departmental DCA "Amber"
    assert mars["forecast_cost"] == Decimal("2618.484")
    assert projects[("Apollo 11",)]["rag"] == "R"  # "Amber/Red"
    assert projects[("Sea of Tranquility",)]["code"] == "DFT_0020_1314-Q2"
    assert projects[("Sea of Tranquility",)]["stage"] == "execution"  # "Ongoing"
    assert [r.line for r in parsed.records] == [2, 3, 4, 5, 6, 7]  # sheet columns B..G
    assert table.cell_ref(0, 0) == "B1"


def test_dft_portfolio_master_blocks_become_milestones_and_risks(corpus: Path) -> None:
    analysis = _analyse(corpus, "dft-portfolio-master-q4-2019.xlsx")
    milestones = parse_table(_table(analysis, "Master", Kind.MILESTONES))
    first = milestones.records[0].values
    assert first["project"] == "Mars"
    assert first["name"] == "Meteorite Shuttle"
    assert first["baseline"] == date(2020, 3, 10)
    assert first["status"] == "achieved"  # "Complete"
    assert milestones.errors == []
    risks = parse_table(_table(analysis, "Master", Kind.RAID))
    assert {r.values["kind"] for r in risks.records} == {"risk"}
    assert _by(risks, "project", "ref")[("Sea of Tranquility", "1")]["impact"] == 2  # "Low"


def test_dft_milestones_mixed_date_formats(corpus: Path) -> None:
    analysis = _analyse(corpus, "dft-milestones-mixed-date-formats.xlsx")
    table = _table(analysis, "Sheet1", Kind.MILESTONES)
    assert table.layout is Layout.TRANSPOSED
    parsed = parse_table(table)
    assert parsed.errors == []  # "TBC" and "tbc" are not errors
    rows = [(r.values["project"], r.values.get("baseline"), r.values.get("forecast")) for r in parsed.records]
    assert rows == [
        ("Sea of Tranquility", None, None),  # TBC / TBC
        ("Sea of Tranquility", None, None),
        ("Apollo 11", date(2029, 3, 1), date(2029, 3, 1)),  # real dates
        ("Apollo 11", date(2029, 3, 1), date(2028, 3, 1)),
        ("Apollo 13", date(2027, 4, 26), date(2027, 4, 3)),  # text "26/04/2027" and a real date
        ("Apollo 13", date(2027, 4, 26), date(2027, 4, 26)),
    ]


def test_dft_risk_master_transposed_risks(corpus: Path) -> None:
    analysis = _analyse(corpus, "dft-risk-master-q1-2020.xlsx")
    table = _table(analysis, "Master", Kind.RAID)
    assert table.layout is Layout.TRANSPOSED
    parsed = parse_table(table)
    assert parsed.errors == []
    risks = _by(parsed, "project", "ref")
    mars_1 = risks[("Mars", "1")]
    assert mars_1["title"] == "What you see if all there is"
    assert mars_1["category"] == "Economic"
    assert (mars_1["impact"], mars_1["likelihood"]) == (4, 3)  # High, Medium
    assert risks[("Columbia", "1")]["impact"] == 1  # "Very Low"
    assert {project for project, _ref in risks} == {"Mars", "Sea of Tranquility", "Apollo 13", "Falcon 9", "Columbia"}


def test_dft_dca_master_five_point_scale(corpus: Path) -> None:
    analysis = _analyse(corpus, "dft-dca-master-q4-2019.xlsx")
    parsed = parse_table(_table(analysis, "Master", Kind.PROJECTS))
    assert {r.values["name"]: r.values["rag"] for r in parsed.records} == {
        "Mars": "A", "Sea of Tranquility": "G", "Apollo 11": "R", "Apollo 13": "G", "Falcon 9": "A", "Columbia": "G",
    }


def test_risk_assessment_matrix(corpus: Path) -> None:
    analysis = _analyse(corpus, "pm-risk-assessment-matrix.xlsx")
    table = _table(analysis, "Risk Data", Kind.RAID)
    assert (table.header_row, table.raid_kind) == (1, "risk")
    parsed = parse_table(table)
    assert _by(parsed, "ref")[("R1",)] == {
        "ref": "R1",
        "description": "Scope creep due to unclear requirements",
        "likelihood": 4,
        "impact": 5,
        "mitigation": "Clarify and freeze requirements early",
        "kind": "risk",
    }
    skipped = {s.sheet for s in analysis.skipped}
    assert {"Pivot Table", "Dashboard"} <= skipped


def test_resource_tracker_people_and_allocations(corpus: Path) -> None:
    analysis = _analyse(corpus, "pm-resource-allocation-tracker.xlsx")
    people = parse_table(_table(analysis, "Resource List", Kind.PEOPLE))
    assert _by(people, "name")[("Alice Johnson",)]["capacity_hours"] == 40.0
    allocations = parse_table(_table(analysis, "Project Assignments", Kind.ALLOCATIONS))
    first = allocations.records[0].values
    assert (first["person"], first["project"], first["start"], first["end"]) == (
        "Alice Johnson", "Alpha", date(2025, 4, 10), date(2025, 4, 24)
    )


def test_milestone_tracker(corpus: Path) -> None:
    analysis = _analyse(corpus, "pm-milestone-tracker.xlsx")
    table = _table(analysis, "Milestone Tracker", Kind.MILESTONES)
    parsed = parse_table(table)
    assert len(parsed.records) == 4  # the unlabelled summary row under the table is not a milestone
    assert _by(parsed, "project", "name")[("Project A", "Initiation")]["baseline"] == date(2025, 4, 5)


def test_risk_log_by_quarter_skips_count_and_empty_sheets(corpus: Path) -> None:
    analysis = _analyse(corpus, "dft-risk-log-by-quarter.xlsx")
    table = _table(analysis, "Q1_20_21 all data", Kind.RAID)
    assert len(parse_table(table).records) == 30
    assert {s.sheet for s in analysis.skipped} == {"Q1_20_21 Count", "Q4_19_20 all data", "Q4_19_20 Count"}


def test_gmpp_return_hidden_and_guidance_sheets_are_skipped(corpus: Path) -> None:
    analysis = _analyse(corpus, "dft-gmpp-quarterly-return-blank.xlsm")
    reasons = {s.sheet: s.reason for s in analysis.skipped}
    assert "hidden" in reasons["Dropdown List"]
    assert "instructions" in reasons["Introduction"]
    risks = _table(analysis, "2 - DCA & Risk", Kind.RAID)  # under guidance text and a DCA block
    assert (risks.header_row, risks.raid_kind) == (16, "risk")
    first = parse_table(risks).records[0].values
    assert (first["impact"], first["likelihood"]) == (5, 3)  # "Very High", "Medium"


@pytest.mark.parametrize(
    ("workbook", "sheet", "header_row", "first_header"),
    [
        ("ms-caf-raci-template.xlsx", "Org Alignment", 4, "Capability"),  # not the help text on row 3
        ("inazuma-gantt-ja.xlsm", "InazumaGantt", 6, "No."),  # under a title, a form and a date row
        ("pm-gantt-project-plan-dashboard.xlsx", "Project Plan", 1, "Task ID"),
        ("ms-contoso-status-reports.xlsx", "June Status", 3, "Name"),
    ],
)
def test_header_row_found_in_unknown_layouts(
    corpus: Path, workbook: str, sheet: str, header_row: int, first_header: str
) -> None:
    rows = next(s for s in read_workbook(corpus / "templates" / workbook).sheets if s.name == sheet).rows
    index = find_header_row(rows)
    assert index is not None
    assert index + 1 == header_row
    assert next(v for v in rows[index] if v is not None) == first_header


def test_reader_edge_values(corpus: Path) -> None:
    edge = corpus / "reader-edge"
    visibility = read_workbook(edge / "sheetjs-sheet_visibility.xlsx")
    assert [(s.name, s.hidden) for s in visibility.sheets] == [("Visible", False), ("Hidden", True), ("VeryHidden", True)]
    first_1904 = read_workbook(edge / "sheetjs-1904.xlsx").sheets[0].rows[0][:2]
    assert first_1904 == (1, date(1904, 1, 2))
    assert type(first_1904[0]) is int  # calamine gives 1.0: whole floats become int
    assert read_workbook(edge / "edr-utf16le_bom.csv").sheets[0].rows[:2] == [("a", "b", "c"), ("1", "2", "3")]
    assert read_workbook(edge / "calamine-has_x000D_.xlsx").sheets[0].rows == [("ABC\nDEF",)]
    assert read_workbook(edge / "phpss-utf16be.xlsx").sheets[0].rows == [(1,)]  # via the openpyxl fallback
    windows = read_workbook(edge / "phpss-zip-windows-dir-separator.xlsx").sheets[0].rows
    assert windows[0][:3] == ("Key ID", "Key", "English")
    assert windows[1][0] == "184323"  # stored as text, kept as text


def test_gmpp_datamap_is_not_mistaken_for_a_master(corpus: Path) -> None:
    # Field names down column A like a master, but the other columns hold sheet names and cell
    # addresses of another workbook: nothing here is project data.
    analysis = analyse_workbook(read_workbook(corpus / "templates" / "dft-gmpp-return-datamap.csv"))
    assert analysis.tables == []
    assert [s.sheet for s in analysis.skipped] == ["dft-gmpp-return-datamap"]
