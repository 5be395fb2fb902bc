"""The base of the Resources dialogs: Save hands the entered value to a callback that writes it.

The callback returns True to close the dialog or False to keep it open; a ValidationError it
raises is shown next to the fields, and the dialog stays open for the user to correct them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QWidget

from ...services.errors import ValidationError
from .inline_errors import InlineErrors


class SubmitDialog(QDialog):
    """Subclasses set up their form, ``self.errors``, and implement ``value()``."""

    errors: InlineErrors

    def __init__(self, submit: Callable[[Any], bool], parent: QWidget | None = None):
        super().__init__(parent)
        self._submit = submit

    def value(self) -> Any:
        """The record as entered."""
        raise NotImplementedError

    def _connect_buttons(self, button_box: QDialogButtonBox) -> None:
        button_box.accepted.connect(self._on_button_box_accepted)
        button_box.rejected.connect(self.reject)

    @staticmethod
    def _keep_in_order(start: QDateEdit, end: QDateEdit) -> None:
        """Moving the start past the end drags the end along, so the dates stay in order."""
        def follow(date: QDate) -> None:
            if end.date() < date:
                end.setDate(date)

        start.dateChanged.connect(follow)

    def _on_button_box_accepted(self) -> None:
        self.errors.clear()
        try:
            done = self._submit(self.value())
        except ValidationError as exc:
            self.errors.show(exc)
            return
        if done:
            self.accept()
