"""A free-text filter plus dropdown filters for enumerations, driving a RowTableModel."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from ..models.row_table_model import RowTableModel

_ALL = object()


def _all_label(title: str) -> str:
    """ "All stages", but "All RAG": acronyms keep their capitals."""
    return f"All {title if title.isupper() else title.lower()}"


class FilterBar(QWidget):
    """Typing filters as you type (debounced); each combo restricts one column to one value."""

    filters_changed = Signal()

    def __init__(self, model: RowTableModel, noun: str = "rows", parent: QWidget | None = None):
        super().__init__(parent)
        self._model = model
        self._noun = noun
        self._combos: dict[int, QComboBox] = {}
        # Fixed value lists and labels given to add_choice (None: taken from the rows each refresh).
        self._choices: dict[int, tuple[list | None, dict | None, str]] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(self)
        self.search.setObjectName("filter_text")
        self.search.setPlaceholderText("Filter…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        layout.addWidget(self.search, 2)
        self._combo_layout = QHBoxLayout()
        layout.addLayout(self._combo_layout)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear filters")
        self.clear_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout.addWidget(self.clear_button)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("filter_count")
        layout.addWidget(self.count_label)
        layout.addStretch(1)

        # A short pause after typing keeps 100,000-row filtering from running on every keystroke.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(120)
        self._debounce.timeout.connect(self._apply_text)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.clear_button.clicked.connect(self.clear)
        model.modelReset.connect(self.update_count)
        model.layoutChanged.connect(self.update_count)

    def add_choice(self, column: int, title: str, values: Iterable | None = None,
                   labels: dict | None = None) -> QComboBox:
        """A dropdown "All <title>" + one entry per value (taken from the rows when not given).

        Given ``values`` keep their order (e.g. stages in lifecycle order) on every refresh.
        """
        combo = QComboBox(self)
        combo.setObjectName(f"filter_{self._model.columns[column].key}")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.setToolTip(f"Show only one {title.lower()}")
        self._combos[column] = combo
        fixed = list(values) if values is not None else None
        self._choices[column] = (fixed, labels, title)
        self._fill_combo(column, combo, title, fixed, labels)
        combo.currentIndexChanged.connect(lambda _i, c=column: self._apply_choice(c))
        self._combo_layout.addWidget(combo)
        return combo

    def _fill_combo(self, column: int, combo: QComboBox, title: str, values, labels) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(_all_label(title), _ALL)
        col = self._model.columns[column]
        for value in values if values is not None else self._model.distinct_values(column):
            text = (labels or col.labels or {}).get(value, value)
            if col.kind.value == "rag":
                text = {"R": "Red", "A": "Amber", "G": "Green"}.get(value, value)
            combo.addItem(str(text), value)
        combo.blockSignals(False)

    def refresh_choices(self) -> None:
        """Re-read the distinct values after the rows changed, keeping each selection.

        A chosen value that no longer occurs falls back to "All", and so does its filter.
        """
        for column, combo in self._combos.items():
            current = combo.currentData()
            values, labels, title = self._choices[column]
            self._fill_combo(column, combo, title, values, labels)
            index = combo.findData(current) if current is not _ALL else 0
            combo.blockSignals(True)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
            if current is not _ALL and index < 0:
                self._model.set_column_filter(column, None)
                self.filters_changed.emit()

    def _apply_text(self) -> None:
        self._model.set_filter_text(self.search.text())
        self.filters_changed.emit()

    def _apply_choice(self, column: int) -> None:
        value = self._combos[column].currentData()
        self._model.set_column_filter(column, None if value is _ALL else [value])
        self.filters_changed.emit()

    def set_choice(self, column: int, value) -> None:
        combo = self._combos[column]
        combo.setCurrentIndex(max(combo.findData(value), 0))

    def clear(self) -> None:
        self._debounce.stop()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        for combo in self._combos.values():
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self._model.clear_filters()
        self.filters_changed.emit()

    def apply_now(self) -> None:
        """Apply a pending text filter at once (tests and Enter)."""
        if self._debounce.isActive():
            self._debounce.stop()
            self._apply_text()

    def update_count(self) -> None:
        shown, total = self._model.rowCount(), self._model.total_rows()
        noun = self._noun
        self.count_label.setText(f"{shown:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}")
