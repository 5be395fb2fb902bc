"""The frame of the office's list editors: one record of a list edited at a time, then saved.

The Stage Gates and Standards Library dialogs share it: a list on the left chooses the record,
Save and Revert are enabled only while there are unsaved edits, and leaving them (another record,
Close, Escape) asks before they are dropped. ``error_label`` is the red message line every form
of the program uses.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QWidget,
)

ERROR_TEXT = "#c0392b"
"""The colour of a message that says what is wrong with the input."""


def error_label(parent: QWidget, name: str) -> QLabel:
    """A hidden, word-wrapped label in the error colour, named ``name`` for tests and style sheets."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(ERROR_TEXT))
    label.setPalette(palette)
    label.hide()
    return label


class RecordEditorDialog(QDialog):
    """Save / Revert / Close around an editor of one record at a time; subclasses fill the rest.

    A subclass calls ``_add_buttons()`` while building, sets ``_loading`` while it fills the editor
    from stored values (edits made then are not the user's), calls ``_mark_dirty`` from its editors'
    change signals, and may name in ``_discard_question`` what would be lost.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._loading = False
        self.dirty = False

    def _add_buttons(self) -> None:
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Reset
                                        | QDialogButtonBox.StandardButton.Close, self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.revert_button = self.buttons.button(QDialogButtonBox.StandardButton.Reset)
        self.revert_button.setText("&Revert")

    def _button(self, name: str, text: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        return button

    def _mark_dirty(self, *_args) -> None:
        if not self._loading:
            self._set_dirty(True)

    def _set_dirty(self, dirty: bool) -> None:
        self.dirty = dirty
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)

    def _discard_question(self) -> str:
        return "Discard your changes?"

    def _confirm_discard(self) -> bool:
        if not self.dirty:
            return True
        answer = QMessageBox.question(self, self.windowTitle(), self._discard_question())
        return answer == QMessageBox.StandardButton.Yes

    def _switch_record(self, records: QListWidget, current_row: int, show: Callable[[], None]) -> None:
        """Show the record the user chose in ``records``, or put the choice back if they keep their edits."""
        if not self._confirm_discard():
            self._loading = True
            records.setCurrentRow(current_row)
            self._loading = False
            return
        show()

    def reject(self) -> None:
        if self._confirm_discard():
            super().reject()
