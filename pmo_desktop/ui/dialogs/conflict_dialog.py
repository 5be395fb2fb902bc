"""Two people saved the same record: show "yours vs theirs" field by field and let the user choose.

    choice = ConflictDialog.ask(exc, labels=FIELD_LABELS, parent=self)
    if choice is ConflictChoice.KEEP_MINE: save again over the stored version
    elif choice is ConflictChoice.TAKE_THEIRS: reload what is stored
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QHeaderView, QTableWidgetItem, QWidget

from ...services.errors import ConflictError
from ..forms.ui_conflict_dialog import Ui_ConflictDialog


class ConflictChoice(Enum):
    KEEP_MINE = "keep_mine"  # save my values again, over theirs
    TAKE_THEIRS = "take_theirs"  # drop my values, show what is stored
    CANCEL = "cancel"  # decide later: keep my edits on screen, save nothing


def _humanise(field: str) -> str:
    return field.replace("_", " ").capitalize()


def _text(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


class ConflictDialog(QDialog):
    """Shows the fields in conflict: the user's unsaved values next to the stored ones."""

    def __init__(self, conflict: ConflictError, labels: Mapping[str, str] | None = None,
                 formatter: Callable[[str, Any], str] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_ConflictDialog()
        self.ui.setupUi(self)
        self.choice = ConflictChoice.CANCEL
        self._labels = labels or {}
        self._format = formatter or (lambda _field, value: _text(value))
        what = conflict.entity.replace("_", " ")
        if conflict.deleted:
            self.ui.heading_label.setText(f"This {what} was deleted")
            self.ui.explanation_label.setText(
                f"Someone else deleted this {what} while you were editing it. Keep mine saves your "
                "values as they are on screen; Take theirs drops your changes."
            )
        else:
            self.ui.heading_label.setText(f"This {what} was changed by someone else")
            self.ui.explanation_label.setText(
                f"Another coordinator saved this {what} after you opened it. Compare the values, then keep "
                "yours (saving over theirs) or take theirs (your changes are dropped)."
            )
        self._fill(conflict)
        self.ui.keep_mine_button.clicked.connect(lambda: self._choose(ConflictChoice.KEEP_MINE))
        self.ui.take_theirs_button.clicked.connect(lambda: self._choose(ConflictChoice.TAKE_THEIRS))
        self.ui.cancel_button.clicked.connect(lambda: self._choose(ConflictChoice.CANCEL))
        self.ui.keep_mine_button.setDefault(True)

    def _fill(self, conflict: ConflictError) -> None:
        table = self.ui.values_table
        fields = list(dict.fromkeys([*conflict.mine, *conflict.theirs]))
        table.setRowCount(len(fields))
        bold = QFont(table.font())
        bold.setBold(True)
        for row, field in enumerate(fields):
            mine, theirs = conflict.mine.get(field), conflict.theirs.get(field)
            items = [
                QTableWidgetItem(self._labels.get(field, _humanise(field))),
                QTableWidgetItem(self._format(field, mine)),
                QTableWidgetItem("(deleted)" if conflict.deleted else self._format(field, theirs)),
            ]
            if mine != theirs:
                for item in items[1:]:
                    item.setFont(bold)
            for column, item in enumerate(items):
                table.setItem(row, column, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.resizeRowsToContents()
        # As tall as its rows (up to a dozen, then it scrolls), so the dialog has no empty band.
        rows_height = sum(table.rowHeight(r) for r in range(min(len(fields), 12)))
        table.setFixedHeight(header.sizeHint().height() + rows_height + 2 * table.frameWidth() + 6)
        self.setMinimumWidth(620)
        self.adjustSize()

    def rows(self) -> list[tuple[str, str, str]]:
        """(field, yours, theirs) as shown."""
        table = self.ui.values_table
        return [tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())]

    def _choose(self, choice: ConflictChoice) -> None:
        self.choice = choice
        if choice is ConflictChoice.CANCEL:
            self.reject()
        else:
            self.accept()

    @classmethod
    def ask(cls, conflict: ConflictError, labels: Mapping[str, str] | None = None,
            formatter: Callable[[str, Any], str] | None = None, parent: QWidget | None = None) -> ConflictChoice:
        """Show the dialog modally and return the user's choice (Cancel when closed)."""
        dialog = cls(conflict, labels, formatter, parent)
        dialog.exec()
        return dialog.choice


ConflictAnswer = Literal["mine", "theirs"] | None


def resolve_conflict(parent: QWidget | None, conflict: ConflictError, labels: Mapping[str, str] | None = None,
                     formatter: Callable[[str, Any], str] | None = None) -> ConflictAnswer:
    """Ask whose values win: "mine" (save over theirs), "theirs" (reload what is stored), None (go on editing)."""
    choice = ConflictDialog.ask(conflict, labels, formatter, parent)
    return {ConflictChoice.KEEP_MINE: "mine", ConflictChoice.TAKE_THEIRS: "theirs"}.get(choice)
