"""Messy workbooks like the ones project managers send, written for the importer's tests."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook


def _append_rows(sheet, rows: Sequence[Sequence[object]]) -> None:
    for row in rows:
        sheet.append(list(row))


def projects_with_banner(path: Path) -> Path:
    """Title row, blank row, merged group banner, header, data, blank row, totals row, notes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Portfolio Q1"
    sheet["A1"] = "Northwind Digital Portfolio - Q1 2026"
    sheet.merge_cells("A1:H1")
    sheet["A2"] = "Prepared by the PMO, 14 March 2026"
    sheet["A4"] = "Project details"
    sheet.merge_cells("A4:D4")
    sheet["E4"] = "Financials"
    sheet.merge_cells("E4:G4")
    _append_rows(
        sheet,
        [
            ("Proj. Code", "Project Name", "Proj Mgr", "Overall RAG", "Total Budget (£k)", "Spend to Date (£k)",
             "% Complete", "Go-Live"),
            ("NW-001", "CRM Replacement", "Asha Patel", "Amber", 1200, "450.5", 0.4, datetime(2026, 9, 30)),
            ("NW-002", "Data Centre Exit", "Tom Reid", "G", "£1.5m", 300, "35%", "31/12/2026"),
            (None, None, None, None, None, None, None, None),
            ("NW-003", "Payroll Upgrade", "Li Wei", "Red", 800, "(20)", 100, "Q3 2026"),
            ("Total", None, None, None, 3500, 730.5, None, None),
            ("NW-999", "Not a project: below the totals", None, None, None, None, None, None),
        ],
    )
    workbook.save(path)
    return path


def status_form_with_risks(path: Path) -> Path:
    """A status report: 'Label:' cells at the top, a risks table further down."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Status Report"
    sheet["A1"] = "Weekly Highlight Report"
    sheet.merge_cells("A1:F1")
    sheet["A3"], sheet["B3"] = "Project Name:", "CRM Replacement"
    sheet["D3"], sheet["E3"] = "Report Date:", date(2026, 3, 13)
    sheet["A4"], sheet["B4"] = "Overall RAG:", "Amber/Green"
    sheet["D4"], sheet["E4"] = "% Complete:", "45%"
    sheet["A5"], sheet["B5"] = "Schedule:", "On track"
    sheet["D5"], sheet["E5"] = "Budget:", "At risk"
    sheet["A6"] = "Executive Summary:"
    sheet["B6"] = "Vendor selected; data migration plan approved."
    sheet["A9"] = "Key Risks"
    _append_rows(sheet, [])
    sheet.append(["Risk ID", "Risk Description", "Likelihood (H/M/L)", "Impact", "Owner", "Mitigation"])
    sheet.append(["R-01", "Vendor resources not available", "H", "Very High", "Asha Patel", "Weekly vendor call"])
    sheet.append(["R-02", "Data quality poorer than expected", "M", "4", "Tom Reid", "Profiling sprint"])
    sheet.append(["R-03", "Key user availability", "35%", "Low", "Li Wei", None])
    workbook.save(path)
    return path


def weekly_grid(path: Path) -> Path:
    """A resource plan: person and project down the side, one column per week of hours."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Resource Plan"
    sheet["A1"] = "Resource plan (hours per week)"
    sheet.append([])
    sheet.append(["Resource", "Project", "Role", "W/C 05/01/2026", "W/C 12/01/2026", "W/C 19/01/2026",
                  "W/C 26/01/2026"])
    sheet.append(["Asha Patel", "CRM Replacement", "Architect", 15, 15, "7.5", None])
    sheet.append(["Tom Reid", "Data Centre Exit", "Engineer", 37.5, "2 days", 0, "20"])
    sheet.append(["Grand Total", None, None, 52.5, 30, 7.5, 20])
    workbook.save(path)
    return path


def monthly_grid_with_date_headers(path: Path) -> Path:
    """Month columns written as real dates (the first of each month)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Allocations"
    sheet.append(["Name", "Project", date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)])
    sheet.append(["Asha Patel", "CRM Replacement", 80, 80, 40])
    workbook.save(path)
    return path


def cp1252_csv(path: Path) -> Path:
    """A CSV saved by Excel on a US-locale PC: cp1252, semicolons, month-first dates, £ amounts."""
    text = (
        "Project ID;Project Name;Sponsor;Start Date;End Date;Budget;RAG\r\n"
        "P-10;Café Refit;Zoë Brontë;03/04/2026;12/31/2026;£12,500.00;Green\r\n"
        "P-11;Warehouse Move;Seán Ó Briain;01/15/2026;06/30/2026;£1.2m;Amber\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    return path


def ods_projects(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    """A minimal OpenDocument spreadsheet (what LibreOffice would save), written by hand."""
    body = []
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("<table:table-cell/>")
            elif isinstance(value, int | float):
                cells.append(f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>')
            elif isinstance(value, date):
                cells.append(f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"><text:p>{value}</text:p></table:table-cell>')
            else:
                cells.append(f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>')
        body.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Projects">'
        + "".join(body)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path
