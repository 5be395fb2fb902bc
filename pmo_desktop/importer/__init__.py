"""Spreadsheet intake: read -> find header -> map columns -> parse values (no Qt, no database).

Typical use::

    workbook = read_workbook(path)                 # ImportFileError if it cannot be imported
    analysis = analyse_workbook(workbook, options)  # tables found, sheets skipped and why
    for table in analysis.all_tables():
        parsed = parse_table(table, options)        # typed records + CellErrors

Modules: readers (guarded file reading), sheets (header row, extent, layout and kind of each
sheet), mapping (headers to canonical fields), values (cell parsers), fields (the canonical
fields and their synonyms), records (typed records), errors (ImportFileError, CellError);
plan, apply and pipeline write what was read; datamap harvests fixed-layout returns cell by cell.
"""

from pmo_desktop.importer.errors import CellError, ImportFileError
from pmo_desktop.importer.fields import FieldType, Kind
from pmo_desktop.importer.mapping import ColumnMapping, MappingResult, header_fingerprint, map_headers
from pmo_desktop.importer.readers import ReadLimits, Sheet, Workbook, read_workbook
from pmo_desktop.importer.records import ParsedRecord, ParsedTable, parse_table
from pmo_desktop.importer.sheets import Layout, SheetTable, SkippedSheet, WorkbookAnalysis, analyse_workbook
from pmo_desktop.importer.values import ParseOptions

__all__ = [
    "CellError",
    "ColumnMapping",
    "FieldType",
    "ImportFileError",
    "Kind",
    "Layout",
    "MappingResult",
    "ParseOptions",
    "ParsedRecord",
    "ParsedTable",
    "ReadLimits",
    "Sheet",
    "SheetTable",
    "SkippedSheet",
    "Workbook",
    "WorkbookAnalysis",
    "analyse_workbook",
    "header_fingerprint",
    "map_headers",
    "parse_table",
    "read_workbook",
]
