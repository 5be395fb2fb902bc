"""A date editor that can also say "no date", for optional dates such as due or last reviewed."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QDateEdit, QWidget

NO_DATE = QDate(1900, 1, 1)
"""The minimum date stands for "no date" and is shown as the special value text."""


class OptionalDateEdit(QDateEdit):
    """A calendar-popup date edit whose empty state reads "no date".

    Qt's idiom for an optional date is the minimum date shown as special text; this class keeps
    that hidden behind ``date_value()`` / ``set_date_value()`` and makes the first click or arrow
    key on an empty field start from today rather than from the year 1900.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("dd MMM yyyy")
        self.setMinimumDate(NO_DATE)
        self.setSpecialValueText("no date")
        self.setDate(NO_DATE)

    def date_value(self) -> dt.date | None:
        """The chosen date, or None for "no date"."""
        return None if self.is_empty() else self.date().toPython()

    def set_date_value(self, value: dt.date | None) -> None:
        self.setDate(NO_DATE if value is None else QDate(value.year, value.month, value.day))

    def clear_date(self) -> None:
        self.setDate(NO_DATE)

    def is_empty(self) -> bool:
        return self.date() == NO_DATE

    def mousePressEvent(self, event: QMouseEvent) -> None:
        was_empty = self.is_empty()
        super().mousePressEvent(event)
        if was_empty and self.calendarWidget().isVisible():
            # The popup opened on 1900; show this month instead (the value stays empty until a click).
            today = QDate.currentDate()
            self.calendarWidget().setCurrentPage(today.year(), today.month())

    def stepBy(self, steps: int) -> None:
        if self.is_empty():
            self.setDate(QDate.currentDate())
            return
        super().stepBy(steps)
