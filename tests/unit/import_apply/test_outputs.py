"""What the coordinator and the manager get back: the plan as JSON and the rejects workbook."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import openpyxl

from pmo_desktop.importer.apply import apply_plan
from pmo_desktop.importer.plan import RowError
from pmo_desktop.importer.rejects import REASON_HEADER, write_rejects_workbook

from .helpers import make_sheet, plan

D = dt.date


def test_json_shape_and_value_forms(db):
    apply_plan(db, plan(db, make_sheet("projects", [{"code": "P1", "name": "Alpha", "budget": Decimal("10")}])),
               file_name="seed.xlsx", sha256="c" * 64, kind="projects", mapping={})
    projects = make_sheet("projects", [
        {"code": "P1", "name": "Alpha", "budget": Decimal("1200.5"), "percent_complete": 0.45, "rag": "G",
         "start": D(2026, 1, 1), "priority": 1},
        {"code": "P2", "name": "Beta"},
    ], file="pm.xlsx", sheet="Portfolio")
    raid = make_sheet("raid", [{"project": "P1", "ref": "R1", "title": "Risk", "likelihood": 2, "impact": 5},
                               {"project": "P1", "ref": "R2", "title": "Bad"}],
                      errors={3: [RowError("Likelihood", "sometimes", "is not a score")]}, file="pm.xlsx")
    data = plan(db, projects, raid).to_json()
    assert json.loads(json.dumps(data)) == data  # plain JSON data all the way down
    assert [set(sheet) for sheet in data] == [{"file", "sheet", "kind", "header_row", "mapping", "unmapped", "rows"}] * 2
    first = data[0]
    assert (first["file"], first["sheet"], first["kind"], first["header_row"]) == ("pm.xlsx", "Portfolio", "projects", 1)
    assert first["mapping"]["Budget (£)"] == "budget" and first["unmapped"] == ["Notes"]
    assert first["rows"][0] == {
        "row": 2, "action": "update", "key": {"code": "P1"},
        "values": {"code": "P1", "name": "Alpha", "budget": 1200.5, "percent_complete": 0.45, "rag": "G",
                   "start": "2026-01-01", "priority": 1},
        "errors": [],
    }
    assert first["rows"][1]["action"] == "new"
    risk, bad = data[1]["rows"]
    assert risk["values"]["likelihood"] == 2 and risk["values"]["impact"] == 5
    assert bad["action"] == "reject"
    assert bad["errors"] == [{"column": "Likelihood", "value": "sometimes", "reason": "is not a score"}]


def test_rejects_workbook_holds_raw_rows_headers_and_reasons(db, tmp_path):
    sheet = make_sheet("projects", [
        {"code": "P1", "name": "Fine"},
        {"code": "=HYPERLINK(\"http://evil\")", "name": "+cmd|' /C calc'!A0", "budget": "-12x"},
        {"code": "P3", "name": "@SUM(1)", "start": D(2026, 5, 1), "end": D(2026, 4, 1)},
    ], errors={3: [RowError("Budget (£)", "-12x", "is not an amount of money")]}, sheet="Projects")
    # The planner sees parsed values; the raw cells are what the manager typed.
    path = write_rejects_workbook(plan(db, sheet), tmp_path / "out" / "rejects.xlsx")

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Projects"]
    ws = book["Projects"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Project ID", "Project Name", "Budget (£)", "Start", "End", "Notes", REASON_HEADER)
    assert rows[1][:3] == ("=HYPERLINK(\"http://evil\")", "+cmd|' /C calc'!A0", "-12x")
    assert rows[2][1] == "@SUM(1)"
    assert rows[2][3].date() == D(2026, 5, 1)
    for cell in (ws["A2"], ws["B2"], ws["C2"], ws["B3"]):
        assert cell.data_type == "s"
    assert rows[1][-1] == "File 'pm.xlsx', sheet 'Projects', row 3, column 'Budget (£)': value '-12x' - is not an amount of money"
    assert rows[2][-1] == ("File 'pm.xlsx', sheet 'Projects', row 4, column 'End': value '2026-04-01' - is "
                           "before the start date 2026-05-01; the end cannot come first")
    assert len(rows) == 3  # the accepted row is not sent back
