"""Spreadsheet intake: read -> find header -> map columns -> parse values (no Qt, no database).

Modules: readers (guarded file reading), sheets (header row, extent, layout and kind of each
sheet), mapping (headers to canonical fields), values (cell parsers), fields (the canonical
fields and their synonyms), errors (ImportFileError, CellError).
"""
