"""What the Governance tab's sections share: read the database when first shown, and again on changes.

A section reads nothing when built. The first time it is shown it calls ``refresh``; afterwards a
change to one of the entities in ``watched`` (or to the office settings) refreshes it at once when
it is on screen, or the next time it is shown when it is not.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ..context import AppContext

# Every entity a compliance rule reads (and "*": an import, an undo, another database).
WATCHED = frozenset({"*", "project", "status_report", "raid_item", "milestone", "gate", "gate_review",
                     "gate_condition", "stage_change"})


class LazySection(QWidget):
    """A section that reads the database on first show and follows changes to ``watched`` entities.

    Subclasses define ``refresh()``, which reads and shows the data, then calls ``_mark_loaded()``.
    """

    watched: frozenset[str] = WATCHED

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self._ctx = ctx
        self._loaded = False
        self._stale = True
        ctx.data_changed.connect(self._on_ctx_data_changed)
        ctx.settings_changed.connect(self.refresh_when_shown)

    def _mark_loaded(self) -> None:
        self._loaded, self._stale = True, False

    @property
    def loaded(self) -> bool:
        """Whether the section has read the database yet (it does so when first shown)."""
        return self._loaded

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh_when_shown(self) -> None:
        """Refresh now if on screen (and loaded before), otherwise the next time the section is shown."""
        self._stale = True
        if self._loaded and self.isVisible():
            self.refresh()

    def _on_ctx_data_changed(self, entity: str) -> None:
        if entity in self.watched:
            self.refresh_when_shown()
