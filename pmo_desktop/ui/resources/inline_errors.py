"""Validation messages shown next to the fields they are about, and the fields outlined."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QLabel, QWidget

from ...services.errors import ValidationError


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Outline ``widget`` as invalid (the stylesheet's ``*[invalid="true"]`` rule) or not."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class InlineErrors:
    """Maps service field names to (message label, input widget) and shows a ValidationError there."""

    def __init__(self, fields: Mapping[str, tuple[QLabel, QWidget]], general: QLabel | None = None):
        self._fields = dict(fields)
        self._general = general
        self.clear()

    def clear(self) -> None:
        for label, widget in self._fields.values():
            label.clear()
            label.hide()
            set_invalid(widget, False)
        if self._general is not None:
            self._general.clear()
            self._general.hide()

    def show(self, error: ValidationError) -> list[str]:
        """Show each message by its field; return the messages that have no field here.

        When a general label was given, those messages are shown there too. The first invalid
        field takes the keyboard focus so the user can correct it at once.
        """
        self.clear()
        leftover = []
        first: QWidget | None = None
        for item in error.errors:
            if item.field in self._fields:
                label, widget = self._fields[item.field]
                label.setText(item.message)
                label.show()
                set_invalid(widget, True)
                first = first or widget
            else:
                leftover.append(item.message)
        if leftover and self._general is not None:
            self._general.setText("\n".join(leftover))
            self._general.show()
        if first is not None:
            first.setFocus()
        return leftover

    def message_for(self, field: str) -> str:
        """The message shown for ``field`` (empty when none)."""
        label, _widget = self._fields[field]
        return label.text() if label.isVisibleTo(label.parentWidget()) else ""
