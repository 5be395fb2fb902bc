"""A table exported to Excel reads back with its values and types, and no text turns into a formula."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from pmo_desktop.reports.table_export import HEADER_ROW, TableExportError, export_rows

COLUMNS = [("Code", "text"), ("Budget", "money"), ("Complete", "percent"), ("End", "date"), ("RAG", "rag"),
           ("Changed", "date"), ("Risks", "int"), ("Score", "number"), ("Active", "bool")]
ROWS = [
    ("ALP-001", Decimal("120000"), 0.45, dt.date(2026, 11, 30), "R", dt.datetime(2026, 11, 26, 9, 30), 3, 2.5, True),
    ("=cmd|' /C calc'!A0", Decimal("1250.50"), None, None, "G", None, 0, None, False),
    ("+44 20 7946 0000", None, 1.0, dt.date(2027, 1, 15), None, None, None, None, None),
    ("@SUM(A1)", None, None, None, "A", None, None, None, None),
    ("-5 days", None, None, None, None, None, None, None, None),
]


@pytest.fixture
def written(tmp_path):
    return export_rows(tmp_path / "Portfolio 2026-11-26.xlsx", "Portfolio", COLUMNS, ROWS, currency="£")


def test_values_and_types_read_back_with_calamine(written):
    sheet = CalamineWorkbook.from_path(str(written)).get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "Portfolio"
    assert sheet[1][0].startswith("5 rows · exported ")
    assert sheet[HEADER_ROW - 1] == [h for h, _kind in COLUMNS]
    first = sheet[HEADER_ROW]
    assert first[:5] == ["ALP-001", 120000.0, 0.45, dt.date(2026, 11, 30), "Red"]
    assert first[5] == dt.datetime(2026, 11, 26, 9, 30)
    assert first[6:] == [3.0, 2.5, "Yes"]
    assert [row[0] for row in sheet[HEADER_ROW:]] == [r[0] for r in ROWS]


def test_text_that_looks_like_a_formula_stays_text(written):
    ws = openpyxl.load_workbook(written).active
    for row in range(HEADER_ROW + 2, HEADER_ROW + 6):
        cell = ws.cell(row=row, column=1)
        assert cell.data_type == "s", cell.value
        assert cell.quotePrefix
    assert ws.cell(row=HEADER_ROW + 2, column=1).value == "=cmd|' /C calc'!A0"
    # And the workbook holds no formula anywhere.
    formulas = openpyxl.load_workbook(written, data_only=False).active
    assert not [c.coordinate for row in formulas.iter_rows() for c in row if c.data_type == "f"]


def test_number_formats_table_freeze_and_print_setup(written):
    ws = openpyxl.load_workbook(written).active
    first = HEADER_ROW + 1
    assert ws.cell(row=first, column=2).number_format == '"£"#,##0;-"£"#,##0'
    assert ws.cell(row=first + 1, column=2).number_format == '"£"#,##0.00;-"£"#,##0.00'
    assert ws.cell(row=first, column=3).number_format == "0%"
    assert ws.cell(row=first, column=4).number_format == "dd mmm yyyy"
    assert ws.cell(row=first, column=4).is_date
    assert ws.cell(row=first, column=6).number_format == "dd mmm yyyy hh:mm"
    assert ws.cell(row=first, column=7).data_type == "n"
    [table] = ws.tables.values()
    assert table.ref == f"A{HEADER_ROW}:I{HEADER_ROW + len(ROWS)}"
    assert table.autoFilter is not None or table.tableStyleInfo is not None
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["A"].width >= len("+44 20 7946 0000")


def test_empty_table_and_repeated_headers(tmp_path):
    path = export_rows(tmp_path / "empty.xlsx", "2026 audit: trail", [("Name", "text"), ("Name", "text")], [])
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[HEADER_ROW]] == ["Name", "Name (2)"]
    [table] = ws.tables.values()
    assert table.displayName[0].isalpha()
    assert ws.title == "2026 audit  trail"


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"previous")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pmo_desktop.reports.table_export.os.replace", refuse)
    with pytest.raises(TableExportError, match="close it and export again"):
        export_rows(target, "T", [("A", "text")], [("x",)])
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(TableExportError, match="Choose another folder"):
        export_rows(tmp_path / "nowhere" / "out.xlsx", "T", [("A", "text")], [("x",)])


def test_a_file_left_by_a_killed_export_is_cleared_by_the_next(tmp_path):
    """A kill leaves ``.NAME.partial`` (never the final name); the next export to that name removes it."""
    target = tmp_path / "out.xlsx"
    (tmp_path / ".out.xlsx.partial").write_bytes(b"PK\x03\x04 half a workbook")
    export_rows(target, "T", [("A", "text")], [("x",)])
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    assert openpyxl.load_workbook(target).active.cell(row=HEADER_ROW + 1, column=1).value == "x"
