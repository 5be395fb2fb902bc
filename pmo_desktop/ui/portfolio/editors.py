"""Editors for values that may be blank: dates, money, and small whole numbers.

Qt's spin boxes and date edits always hold a value. These keep their minimum as a "not set"
marker shown with special-value text, so that a blank date or budget stays blank instead of
becoming 1 January 2000 or zero. They are promoted widgets in the Designer forms.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QDateEdit, QDoubleSpinBox, QSpinBox, QWidget

NOT_SET_TEXT = "Not set"
SIZE_SAMPLE_AMOUNT = "88,888,888.88"


class OptionalDateEdit(QDateEdit):
    """A date with a calendar popup, or "No date"; Delete clears it."""

    NO_DATE = QDate(1900, 1, 1)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("dd MMM yyyy")
        self.setMinimumDate(self.NO_DATE)
        self.setSpecialValueText("No date")
        self.setDate(self.NO_DATE)
        self.setToolTip("Pick a date from the calendar; press Delete to clear it.")

    def value(self) -> dt.date | None:
        """The date shown, or None for "No date"."""
        date = self.date()
        return None if date == self.NO_DATE else dt.date(date.year(), date.month(), date.day())

    def set_value(self, value: dt.date | None) -> None:
        self.setDate(self.NO_DATE if value is None else QDate(value.year, value.month, value.day))

    def clear_value(self) -> None:
        self.setDate(self.NO_DATE)

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        # Stepping from "No date" starts at today, not at 2 January 1900.
        if self.value() is None:
            self.setDate(QDate.currentDate())
            return
        super().stepBy(steps)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Delete:
            self.clear_value()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mousePressEvent(event)
        # The popup opens on the selected date: for a blank one, show this month instead of 1900.
        if self.value() is None:
            today = QDate.currentDate()
            self.calendarWidget().setCurrentPage(today.year(), today.month())


class MoneySpinBox(QDoubleSpinBox):
    """An amount in the office currency (prefix), to the penny, or "Not set"."""

    NOT_SET = -1.0
    MAXIMUM = 999_999_999_999.99

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDecimals(2)
        self.setRange(self.NOT_SET, self.MAXIMUM)
        self.setSingleStep(1000)
        self.setGroupSeparatorShown(True)
        self.setSpecialValueText(NOT_SET_TEXT)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setValue(self.NOT_SET)

    def set_currency(self, symbol: str) -> None:
        self.setPrefix(symbol)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # Qt sizes a spin box for its maximum (a trillion); size it for tens of millions instead,
        # so that two fit side by side in the detail panel. Larger amounts still show in full.
        hint = super().sizeHint()
        text = f"{self.prefix()}{SIZE_SAMPLE_AMOUNT}"
        width = self.fontMetrics().horizontalAdvance(text) + 40
        return QSize(min(hint.width(), width), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.sizeHint()

    def amount(self) -> Decimal | None:
        """The amount shown, or None when not set."""
        if self.value() <= self.NOT_SET:
            return None
        return Decimal(f"{self.value():.2f}")

    def set_amount(self, value: Decimal | float | None) -> None:
        self.setValue(self.NOT_SET if value is None else float(value))

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        if self.amount() is None:
            self.setValue(0.0)
            return
        super().stepBy(steps)


class OptionalSpinBox(QSpinBox):
    """A whole number in a range, or "Not set" (its minimum minus one)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSpecialValueText(NOT_SET_TEXT)
        self.set_bounds(0, 99)

    def set_bounds(self, low: int, high: int) -> None:
        """Allow ``low``..``high``; the value below ``low`` means not set."""
        self.setRange(low - 1, high)

    def number(self) -> int | None:
        return None if self.value() == self.minimum() else self.value()

    def set_number(self, value: int | None) -> None:
        self.setValue(self.minimum() if value is None else int(value))

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        if self.number() is None and steps > 0:
            self.setValue(self.minimum() + 1)
            return
        super().stepBy(steps)
