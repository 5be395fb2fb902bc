"""The people table: utilisation shown as a percent on its colour band, inactive people greyed."""

from __future__ import annotations

import math

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QApplication

from ...services.resources import PersonRow
from ..models.row_table_model import Column, Kind, RowTableModel
from ..theme import UTILISATION_BANDS

BAND_NAMES = ("under", "healthy", "full", "over")
_BAND_TEXT = "#1f1f1f"  # every band fill is light enough for dark text, in either palette


def band_of(utilisation: float | None) -> int | None:
    """The index in theme.UTILISATION_BANDS for a utilisation (0.85 = 85%); None when unknown.

    Bands start at their lower bound, except "over", which starts just above 105%.
    """
    if utilisation is None:
        return None
    band = 0
    for i, (low, _colour) in enumerate(UTILISATION_BANDS):
        if utilisation >= low and (i < len(UTILISATION_BANDS) - 1 or utilisation > low):
            band = i
    return band


def band_colour(utilisation: float | None) -> QColor | None:
    """The fill for a utilisation, or None when there is nothing to colour."""
    band = band_of(utilisation)
    return None if band is None else QColor(UTILISATION_BANDS[band][1])


PEOPLE_COLUMNS = (
    Column("name", "Name", Kind.TEXT, 135),
    Column("role", "Role", Kind.TEXT, 125),
    Column("team", "Team", Kind.TEXT, 80),
    Column("capacity_hours", "Capacity", Kind.NUMBER, 60, "Hours a week the person can give to projects", decimals=1),
    Column("active", "Active", Kind.BOOL, 48),
    Column("hours_this_week", "This week", Kind.NUMBER, 64, "Hours allocated this week (Monday to Friday)", decimals=1),
    Column("utilisation", "Utilisation", Kind.PERCENT, 70, "Hours allocated this week as a share of capacity"),
    Column("peak_utilisation", "Peak 4 wks", Kind.PERCENT, 72,
           "Highest weekly utilisation this week and the three after it"),
    Column("projects", "Projects", Kind.INT, 56, "Projects the person is allocated to from today on"),
    Column("email", "Email", Kind.TEXT, 190),
)

#: Table column of each field (the row tuple holds the id first, so positions are one further).
COL = {column.key: i for i, column in enumerate(PEOPLE_COLUMNS)}
assert tuple(c.key for c in PEOPLE_COLUMNS) == PersonRow._fields[1:]

_BANDED = frozenset({COL["utilisation"], COL["peak_utilisation"]})


class PeopleTableModel(RowTableModel):
    """RowTableModel over ``PersonRow`` tuples with utilisation bands and greyed inactive people."""

    def __init__(self, parent=None):
        super().__init__(PEOPLE_COLUMNS, parent)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = index.column()
        if column in _BANDED:
            value = self.row_tuple(index.row())[column + 1]
            if role == Qt.ItemDataRole.DisplayRole and value is not None and math.isinf(value):
                return "no capacity"
            if role == Qt.ItemDataRole.BackgroundRole:
                colour = band_colour(value)
                return QBrush(colour) if colour is not None else None
            if role == Qt.ItemDataRole.ForegroundRole and value is not None:
                return QBrush(QColor(_BAND_TEXT))
            if role == Qt.ItemDataRole.ToolTipRole and value is not None:
                band = band_of(value)
                return f"{BAND_NAMES[band].capitalize()}: {self.data(index)} of capacity"
        if role == Qt.ItemDataRole.ForegroundRole and not self.row_tuple(index.row())[COL["active"] + 1]:
            return QBrush(QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        return super().data(index, role)
