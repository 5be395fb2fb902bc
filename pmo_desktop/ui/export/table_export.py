"""File > Export table…: what a table shows (filters and sort applied) saved as an Excel workbook.

``table_rows`` turns a RowTableModel's visible rows into the values a reader expects (labels for
codes, words for RAG); ``export_table`` asks where to save, suggesting "<title> <date>.xlsx" in
the last folder used, and writes the workbook on a worker thread (reports/table_export.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QTabWidget, QWidget

from ...reports.table_export import export_rows
from ..dialogs.error_dialog import show_error
from ..models.row_table_model import Column, Kind, RowTableModel, format_value
from ..tasks import run_in_background

FOLDER_KEY = "export/table_folder"
_FORBIDDEN = '<>:"/\\|?*'


def _cell(column: Column, value: Any, currency: str) -> Any:
    """A value as the workbook should hold it: typed for numbers and dates, words for the rest."""
    if value is None or value == "":
        return None
    if column.kind is Kind.TEXT:
        return format_value(column, value, currency) if not isinstance(value, str) or column.labels else value
    if column.kind is Kind.FLAG:
        return bool(value)
    if column.kind is Kind.DATE and not isinstance(value, dt.date):
        return format_value(column, value, currency)
    return value


def table_columns(model: RowTableModel) -> list[tuple[str, str]]:
    """(title, kind) of each of the model's columns, as export_rows takes them."""
    return [(column.title, column.kind.value) for column in model.columns]


def table_rows(model: RowTableModel) -> list[tuple]:
    """The rows the table shows now, in its order, one value per column (ids dropped)."""
    columns, currency = model.columns, model.currency
    return [tuple(_cell(column, row[i + 1], currency) for i, column in enumerate(columns))
            for row in model.visible_rows()]


def current_table(page: QWidget, tab_title: str) -> tuple[RowTableModel, str] | None:
    """The model a tab shows and a title for it; for a tab with sections, the section on screen."""
    sections = getattr(page, "sections", None)
    if isinstance(sections, QTabWidget) and sections.count() > 1:
        section = sections.currentWidget()
        section_title = sections.tabText(sections.currentIndex()).replace("&", "")
        model = getattr(section, "model", None)
        if not isinstance(model, RowTableModel):
            model = getattr(page, "model", None)
        if isinstance(model, RowTableModel):
            return model, f"{tab_title} {section_title}"
    model = getattr(page, "model", None)
    return (model, tab_title) if isinstance(model, RowTableModel) else None


def suggested_name(title: str, today: dt.date | None = None) -> str:
    """"Portfolio 2026-11-26.xlsx": the title (safe for any file system) and the date."""
    safe = "".join("-" if ch in _FORBIDDEN else ch for ch in title).strip(" .") or "Table"
    return f"{safe} {(today or dt.date.today()):%Y-%m-%d}.xlsx"


def _start_folder(settings: QSettings) -> str:
    folder = settings.value(FOLDER_KEY, "", str)
    if folder and Path(folder).is_dir():
        return folder
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)


def export_table(parent: QWidget, model: RowTableModel, title: str, *,
                 on_written: Callable[[Path], None] | None = None) -> bool:
    """Ask for a file name and write what ``model`` shows to it; False if the user cancelled.

    The rows are taken at once (what the user sees now); the workbook is written in the
    background and ``on_written(path)`` is called when it is saved. A failure is shown in words.
    """
    settings = QSettings()
    suggested = Path(_start_folder(settings)) / suggested_name(title)
    name, _ = QFileDialog.getSaveFileName(parent, "Export Table", str(suggested), "Excel workbook (*.xlsx)")
    if not name:
        return False
    path = Path(name) if Path(name).suffix.lower() == ".xlsx" else Path(name + ".xlsx")
    settings.setValue(FOLDER_KEY, str(path.parent))
    columns, rows, currency = table_columns(model), table_rows(model), model.currency

    def done(written: Path) -> None:
        if on_written is not None:
            on_written(written)

    run_in_background(lambda: export_rows(path, title, columns, rows, currency=currency), on_done=done,
                      on_error=lambda exc: show_error(parent, exc, title="Export failed"),
                      progress=f"Exporting {len(rows):,} rows…", parent=parent)
    return True
