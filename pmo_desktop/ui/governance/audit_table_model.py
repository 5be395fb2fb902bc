"""The audit trail's tables: events (one row per change) and one record's history (one row per field)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ...services.audit_trail import AuditRow, HistoryRow
from ..models.row_table_model import Column, Kind, RowTableModel

EVENT_COLUMNS = (
    Column("when", "When", Kind.DATE, 140, tooltip="When the change was saved (this computer's time)"),
    Column("who", "Who", Kind.TEXT, 110),
    Column("source", "Source", Kind.TEXT, 92, tooltip="Desktop, Import, Command line or System"),
    Column("batch", "Import batch", Kind.TEXT, 190, tooltip="The import that made the change, if any"),
    Column("entity", "Entity", Kind.TEXT, 118),
    Column("record", "Record", Kind.TEXT, 170),
    Column("action", "Action", Kind.TEXT, 74),
    Column("summary", "Changes", Kind.TEXT, 420),
)
(COL_WHEN, COL_WHO, COL_SOURCE, COL_BATCH, COL_ENTITY, COL_RECORD, COL_ACTION,
 COL_SUMMARY) = range(len(EVENT_COLUMNS))

HISTORY_COLUMNS = (
    Column("when", "When", Kind.DATE, 140),
    Column("who", "Who", Kind.TEXT, 110),
    Column("source", "Source", Kind.TEXT, 92),
    Column("action", "Action", Kind.TEXT, 74),
    Column("field", "Field", Kind.TEXT, 150),
    Column("before", "Before", Kind.TEXT, 260),
    Column("after", "After", Kind.TEXT, 260),
)
H_WHEN, H_WHO, H_SOURCE, H_ACTION, H_FIELD, H_BEFORE, H_AFTER = range(len(HISTORY_COLUMNS))

ACTION_COLOURS = {"Created": "#2e7d32", "Changed": "#2f6fbd", "Deleted": "#b03a2e"}
HIGHLIGHT = QColor(47, 111, 189, 40)


def when_text(value: dt.datetime | None) -> str:
    """"26 Nov 2026 14:05": the day as the other tables write it, and the time."""
    return value.strftime("%d %b %Y %H:%M") if isinstance(value, dt.datetime) else ""


def event_rows(rows: Sequence[AuditRow]) -> list[AuditRow]:
    """The service's rows are the model's tuples already: id first, then the shown columns."""
    return list(rows)


def history_rows(rows: Sequence[HistoryRow]) -> list[tuple]:
    """Tuples for the history model: position, the shown columns, then the event id."""
    return [(i, h.when, h.who, h.source, h.action, h.field, h.before, h.after, h.event_id)
            for i, h in enumerate(rows)]


class _AuditModel(RowTableModel):
    """Shows times with the minute, and colours the action word."""

    when_column = 0
    action_column = 0

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = index.column()
        if column == self.when_column and role == Qt.ItemDataRole.DisplayRole:
            return when_text(self.row_tuple(index.row())[column + 1])
        if column == self.action_column and role == Qt.ItemDataRole.ForegroundRole:
            colour = ACTION_COLOURS.get(self.row_tuple(index.row())[column + 1])
            return QBrush(QColor(colour)) if colour else None
        return super().data(index, role)


class AuditEventTableModel(_AuditModel):
    """The events: sortable and filterable like every table; the changes column's full text as a tooltip."""

    when_column = COL_WHEN
    action_column = COL_ACTION

    def __init__(self, parent=None):
        super().__init__(EVENT_COLUMNS, parent)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if index.isValid() and index.column() == COL_SUMMARY and role == Qt.ItemDataRole.ToolTipRole:
            return self.row_tuple(index.row())[COL_SUMMARY + 1].replace("; ", "\n") or None
        return super().data(index, role)

    def audit_event(self, view_row: int) -> AuditRow | None:
        """The event shown on ``view_row`` (None outside the table)."""
        if not 0 <= view_row < self.rowCount():
            return None
        row = self.row_tuple(view_row)
        return row if isinstance(row, AuditRow) else AuditRow(*row)


class RecordHistoryModel(_AuditModel):
    """One record's changes field by field; the fields of ``current_event`` stand out."""

    when_column = H_WHEN
    action_column = H_ACTION

    def __init__(self, parent=None):
        super().__init__(HISTORY_COLUMNS, parent)
        self.current_event: int | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_history(self, rows: Sequence[HistoryRow], current_event: int | None) -> None:
        self.current_event = current_event
        self.set_rows(history_rows(rows))

    def view_rows_of_event(self, event_id: int) -> list[int]:
        """The visible rows that belong to event ``event_id``."""
        return [i for i, row in enumerate(self.visible_rows()) if row[-1] == event_id]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if (index.isValid() and self.current_event is not None
                and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.FontRole)
                and self.row_tuple(index.row())[-1] == self.current_event):
            return QBrush(HIGHLIGHT) if role == Qt.ItemDataRole.BackgroundRole else self._bold
        if index.isValid() and index.column() in (H_BEFORE, H_AFTER) and role == Qt.ItemDataRole.ToolTipRole:
            return self.row_tuple(index.row())[index.column() + 1] or None
        return super().data(index, role)
