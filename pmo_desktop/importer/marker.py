"""The hidden marker that identifies the office's own templates (written by reports/templates.py).

A veryHidden sheet ``_pmo_template``: A1 the marker text, B1 the kind, C1 the template version,
D1 the data sheet's name; row 2 the canonical field of each data column, in order.
"""

from __future__ import annotations

MARKER_SHEET = "_pmo_template"
MARKER_TEXT = "pmo-desktop template"
TEMPLATE_VERSION = 1
DATA_SHEET = "Data"
LISTS_SHEET = "Lists"


def template_marker(rows_by_sheet: dict[str, list[tuple]]) -> tuple[str, str, list[str]] | None:
    """Recognise our own template from its sheets' rows: (kind, data sheet, field names) or None."""
    marker = rows_by_sheet.get(MARKER_SHEET)
    if not marker or not marker[0] or marker[0][0] != MARKER_TEXT or len(marker) < 2:
        return None
    kind = str(marker[0][1])
    data_sheet = str(marker[0][3]) if len(marker[0]) > 3 and marker[0][3] else DATA_SHEET
    fields = [str(v) for v in marker[1] if v]
    return kind, data_sheet, fields
