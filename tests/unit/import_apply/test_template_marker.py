"""Our own templates are read by their hidden marker, whatever the manager did to the headers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from pmo_desktop.importer.pipeline import import_files, parsed_sheets
from pmo_desktop.importer.readers import read_workbook
from pmo_desktop.importer.sheets import analyse_workbook
from pmo_desktop.model import Project, RaidItem
from pmo_desktop.reports.templates import write_template


def _fill(path, headers: list[str], rows: list[list[object]]) -> None:
    """Rename row 1 of the Data sheet to ``headers`` and write ``rows`` under it."""
    book = load_workbook(path)
    sheet = book["Data"]
    for column, header in enumerate(headers, start=1):
        sheet.cell(row=1, column=column, value=header)
    for row_index, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row_index, column=column, value=value)
    book.save(path)


def test_renamed_headers_still_import_by_the_marker(db, tmp_path):
    path = write_template("projects", tmp_path / "projects.xlsx")
    # A manager renamed every header to words the synonym table does not know (or knows wrongly).
    _fill(path, ["Our ref", "What we call it", "Umbrella", "Boss", "Runs it", "Where", "Phase thing",
                 "Colour", "Clock colour", "Money colour", "Scope colour", "People colour", "Order",
                 "How", "Kick", "Done by", "Guess", "Began", "Ended", "Pot", "Gone", "Will go",
                 "How far", "Payback", "Words"],
          [["TPL-9", "Renamed headers", "Templates", "Ann Sponsor", "Bob Manager", "Finance", "Approved",
            "Amber", "Green", "Red", "Green", "Amber", 2, "Agile", dt.date(2026, 1, 5), dt.date(2026, 12, 18),
            dt.date(2027, 1, 29), None, None, 250000, 1000, 260000, 0.45, 90000, "Kept as the description"]])
    workbook = read_workbook(path)
    analysis = analyse_workbook(workbook)
    assert analysis.skipped == []  # instructions, lists and the marker are ours: nothing to report
    [table] = analysis.tables
    assert (table.sheet, table.kind, table.header_row) == ("Data", "projects", 1)
    assert [(c.header, c.field, c.confidence) for c in table.mapping.columns[:3]] == [
        ("Our ref", "code", 1.0), ("What we call it", "name", 1.0), ("Umbrella", "programme", 1.0)]
    sheets, warnings = parsed_sheets(workbook)
    assert warnings == [] and [s.kind for s in sheets] == ["projects"]

    outcome = import_files(db, [path])
    assert outcome.exit_code == 0 and outcome.warnings == [], (outcome.summary(), outcome.warnings)
    with db.session() as session:
        project = session.scalar(select(Project).where(Project.code == "TPL-9"))
        stored = (project.name, project.programme.name, project.sponsor, project.manager, project.department,
                  project.stage, project.rag, project.schedule_rag, project.cost_rag, project.priority,
                  project.methodology, project.baseline_start, project.baseline_end, project.forecast_end,
                  project.budget, project.actual_cost, project.forecast_cost, project.percent_complete,
                  project.benefits, project.description)
    assert stored == ("Renamed headers", "Templates", "Ann Sponsor", "Bob Manager", "Finance", "approved", "A", "G",
                      "R", 2, "agile", dt.date(2026, 1, 5), dt.date(2026, 12, 18), dt.date(2027, 1, 29),
                      Decimal("250000.00"), Decimal("1000.00"), Decimal("260000.00"), 0.45, Decimal("90000.00"),
                      "Kept as the description")


def test_template_kind_comes_from_the_marker_not_the_headers(db, tmp_path):
    """A RAID template whose headers would look like a projects list still imports as RAID items."""
    write_template("projects", tmp_path / "p.xlsx")
    projects = tmp_path / "p.xlsx"
    _fill(projects, ["Project code", "Name"], [["TPL-1", "Parent"]])
    raid = write_template("raid", tmp_path / "raid.xlsx")
    _fill(raid, ["Project code", "Project ID", "Type", "Project name", "Summary", "Theme", "Lead"],
          [["TPL-1", "R-7", "Issue", "Supplier late", "Parts stuck at the port", "Supply", "Carla"]])
    [table] = analyse_workbook(read_workbook(raid)).tables
    assert table.kind == "raid"
    outcome = import_files(db, [projects, raid])
    assert outcome.exit_code == 0, [r.errors for r in outcome.plan.rows() if r.errors]
    with db.session() as session:
        item = session.scalar(select(RaidItem))
        assert (item.project.code, item.ref, item.kind, item.title, item.description, item.category, item.owner) == (
            "TPL-1", "R-7", "issue", "Supplier late", "Parts stuck at the port", "Supply", "Carla")
