"""A free-text filter, dropdown filters for enumerations and check-box conditions, driving a RowTableModel.

The dropdowns hold their choices in a ``ChoiceModel`` that is replaced as a whole on every
refresh (one reset), not filled one ``addItem`` at a time: a choice list of thousands of projects
or owners used to cost thousands of Qt calls per refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from ..models.row_table_model import Kind, RowTableModel

_ALL = object()
_RAG_WORDS = {"R": "Red", "A": "Amber", "G": "Green"}


class ChoiceModel(QAbstractListModel):
    """The entries of one dropdown: text, the value it filters on (``UserRole``) and an optional icon."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._texts: list[str] = []
        self._values: list[Any] = []
        self._icons: Mapping[Any, QIcon] = {}

    def set_choices(self, texts: Sequence[str], values: Sequence[Any], icons: Mapping[Any, QIcon] | None = None) -> None:
        """Replace every entry at once (one model reset)."""
        self.beginResetModel()
        self._texts = list(texts)
        self._values = list(values)
        self._icons = icons or {}
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._texts)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._texts):
            return None
        row = index.row()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._texts[row]
        if role == Qt.ItemDataRole.UserRole:
            return self._values[row]
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icons.get(self._values[row])
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,  # noqa: N802 - Qt override
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Lets ``QComboBox.setItemText`` rename an entry."""
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return False
        self._texts[index.row()] = str(value)
        self.dataChanged.emit(index, index, [role])
        return True


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
        self._icons: dict[int, Mapping[Any, QIcon]] = {}
        # Check boxes and the row condition each adds while ticked (all ticked ones must hold).
        self._toggles: list[tuple[QCheckBox, Callable[[tuple], bool]]] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(self)
        self.search.setObjectName("filter_text")
        self.search.setPlaceholderText("Filter…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(160)
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
                   labels: dict | None = None, icons: Mapping[Any, QIcon] | None = None) -> QComboBox:
        """A dropdown "All <title>" + one entry per value (taken from the rows when not given).

        Given ``values`` keep their order (e.g. stages in lifecycle order) on every refresh;
        ``icons`` maps values to an icon shown beside their entry (e.g. RAG dots).
        """
        combo = QComboBox(self)
        combo.setModel(ChoiceModel(combo))
        self._icons[column] = icons or {}
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
        """Put "All <title>" and every value's label into ``combo`` in one model reset."""
        col = self._model.columns[column]
        shown = list(values) if values is not None else self._model.distinct_values(column)
        names = _RAG_WORDS if col.kind is Kind.RAG else (labels or col.labels or {})
        texts = [_all_label(title), *(str(names.get(value, value)) for value in shown)]
        model = combo.model()
        assert isinstance(model, ChoiceModel)
        combo.blockSignals(True)
        model.set_choices(texts, [_ALL, *shown], self._icons.get(column))
        combo.blockSignals(False)

    def add_toggle(self, text: str, condition: Callable[[tuple], bool], tooltip: str | None = None) -> QCheckBox:
        """A check box that, while ticked, shows only rows (raw tuples) for which ``condition`` holds."""
        box = QCheckBox(text, self)
        box.setObjectName("filter_" + "_".join(text.casefold().split()))
        if tooltip:
            box.setToolTip(tooltip)
        self._toggles.append((box, condition))
        box.toggled.connect(lambda _on: self._apply_toggles())
        self._combo_layout.addWidget(box)
        return box

    def _apply_toggles(self) -> None:
        conditions = [condition for box, condition in self._toggles if box.isChecked()]
        if not conditions:
            predicate = None
        elif len(conditions) == 1:
            predicate = conditions[0]
        else:
            def predicate(row: tuple) -> bool:
                return all(condition(row) for condition in conditions)
        self._model.set_predicate(predicate)
        self.filters_changed.emit()

    def refresh_choices(self) -> None:
        """Re-read the distinct values after the rows changed (one reset per box), keeping each selection.

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
        for box, _condition in self._toggles:
            box.blockSignals(True)
            box.setChecked(False)
            box.blockSignals(False)
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
