"""What every tab and dialog shares: the database, the undo stack and change notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from sqlalchemy.orm import Session

from ..model.database import Database, SettingsRow

T = TypeVar("T")


class AppContext(QObject):
    """Handed to every tab: read and write through it so that views refresh together."""

    #: An entity's table name ("project", "raid_item", ...) or "*" after an import or undo.
    data_changed = Signal(str)
    settings_changed = Signal()
    #: An error from undo/redo or background work that the window shows to the user.
    error_raised = Signal(object)

    def __init__(self, db: Database, parent: QObject | None = None):
        super().__init__(parent)
        self.db = db
        self.undo_stack = QUndoStack(self)
        self._settings: SettingsRow | None = None

    @property
    def settings(self) -> SettingsRow:
        """The office settings (read through Core, no ORM), cached until ``settings_changed``."""
        if self._settings is None:
            self._settings = self.db.settings()
        return self._settings

    @property
    def currency_symbol(self) -> str:
        return self.settings.currency_symbol

    def reload_settings(self) -> None:
        self._settings = None
        self.settings_changed.emit()

    def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(session, ...)`` in a read-only session."""
        with self.db.session() as session:
            return fn(session, *args, **kwargs)

    def write(self, fn: Callable[..., T], *args: Any, entity: str = "*", **kwargs: Any) -> T:
        """Run ``fn(session, ...)`` in one audited transaction, then tell the views."""
        with self.db.transaction() as session:
            result = fn(session, *args, **kwargs)
        self.data_changed.emit(entity)
        return result

    def set_database(self, db: Database) -> None:
        """Switch to another database (File > Open): forget settings and history."""
        old = self.db
        self.db = db
        self._settings = None
        self.undo_stack.clear()
        if old is not db:
            old.dispose()
        self.settings_changed.emit()
        self.data_changed.emit("*")


SessionFn = Callable[[Session], Any]
