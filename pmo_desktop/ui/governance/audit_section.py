"""The Governance tab's "Audit trail" section: every change to the office's data, and one record's history.

Above, the events newest first (who, when, from where, which record, what changed), filtered by
text, entity, user, source, import batch and a date range. Below, the full history of the
selected event's record, field by field, with the selected event's fields highlighted.
"Export…" writes the events the table shows to a workbook.

The section reads the trail on a worker thread the first time it is shown, not when built, and
again whenever data changes while it is on screen (or when next shown, if it changed meanwhile):
every write leaves events, so any ``data_changed`` makes the list stale.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...services import audit_trail as trail
from ..context import AppContext
from ..dialogs.error_dialog import show_error
from ..tasks import run_in_background
from ..widgets.filter_bar import FilterBar
from .audit_table_model import (
    COL_BATCH,
    COL_ENTITY,
    COL_SOURCE,
    COL_WHEN,
    COL_WHO,
    H_WHEN,
    AuditEventTableModel,
    RecordHistoryModel,
    event_rows,
)
from .tables import record_table

NO_DATE = QDate(2000, 1, 1)  # the date edits' "Any" (their minimum, shown as special text)
COMBO_MAX_WIDTH = 210
HISTORY_HEIGHT = 260


class AuditSection(QWidget):
    """The audit trail: filterable events above, the selected record's history below.

    ``refreshed`` is emitted each time the events have been (re)loaded into the table.
    """

    refreshed = Signal()
    #: At most this many events are read at once (the newest of the date range).
    limit = trail.DEFAULT_LIMIT

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("audit_section")
        self._ctx = ctx
        self._loaded = False
        self._stale = True
        self._generation = 0  # a reload started later makes an earlier result obsolete
        self._loading = False
        # The trail held more events than one read brings: date ranges are then read from the database.
        self._truncated = False

        self.model = AuditEventTableModel(self)
        self.table = record_table(self, self.model, "audit_table", sort_column=COL_WHEN,
                                  sort_order=Qt.SortOrder.DescendingOrder, stretch_last=True)
        self.filter_bar = FilterBar(self.model, "events", self)
        self.filter_bar.setObjectName("audit_filter_bar")
        self.filter_bar.search.setPlaceholderText("Filter by record, change, user…  (Ctrl+F)")
        self.entity_filter = self._choice(COL_ENTITY, "Entities")
        self.user_filter = self._choice(COL_WHO, "Users")
        self.source_filter = self._choice(COL_SOURCE, "Sources")
        self.batch_filter = self._choice(COL_BATCH, "Import batches")
        self.from_date = self._date_edit("audit_from_date", "Show changes from this day on")
        self.to_date = self._date_edit("audit_to_date", "Show changes up to the end of this day")
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("audit_export_button")
        self.export_button.setToolTip("Save the events the table shows (filters and order applied) as an Excel "
                                      "workbook")
        self.status = QLabel(self)
        self.status.setObjectName("audit_status")

        self.history_model = RecordHistoryModel(self)
        self.history_table = record_table(self, self.history_model, "audit_history_table", sort_column=H_WHEN,
                                          sort_order=Qt.SortOrder.AscendingOrder, stretch_last=True)
        self.history_title = QLabel(self)
        self.history_title.setObjectName("audit_history_title")
        self.history_title.setTextFormat(Qt.TextFormat.RichText)
        self._lay_out()
        self._show_history(None)

        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.from_date.dateChanged.connect(self._apply_dates)
        self.to_date.dateChanged.connect(self._apply_dates)
        self.filter_bar.clear_button.clicked.connect(self._reset_dates)
        self.export_button.clicked.connect(self.export)
        self.model.modelReset.connect(self._update_export_button)
        self.model.layoutChanged.connect(self._update_export_button)
        ctx.data_changed.connect(self._on_ctx_data_changed)
        ctx.settings_changed.connect(self.refresh_when_shown)

    # -- building ------------------------------------------------------------------------------
    def _choice(self, column: int, title: str) -> QComboBox:
        combo = self.filter_bar.add_choice(column, title)
        combo.setMaximumWidth(COMBO_MAX_WIDTH)
        return combo

    def _date_edit(self, name: str, tip: str) -> QDateEdit:
        edit = QDateEdit(self)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd MMM yyyy")
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("Any day")
        edit.setDate(NO_DATE)
        edit.setToolTip(tip)
        edit.calendarWidget().setGridVisible(False)
        return edit

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.filter_bar, 1)
        filters.addSpacing(8)
        filters.addWidget(QLabel("From", self))
        filters.addWidget(self.from_date)
        filters.addWidget(QLabel("to", self))
        filters.addWidget(self.to_date)
        filters.addSpacing(12)
        filters.addWidget(self.export_button)

        history = QWidget(self)
        history.setObjectName("audit_history_pane")
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 6, 0, 0)
        history_layout.setSpacing(4)
        history_layout.addWidget(self.history_title)
        history_layout.addWidget(self.history_table, 1)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("audit_splitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(history)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

    # -- loading -------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.splitter.setSizes([max(self.height() - HISTORY_HEIGHT, 200), HISTORY_HEIGHT])
        if self._stale and not self._loading:
            self.refresh()

    @property
    def loaded(self) -> bool:
        """Whether the events have been read at least once (they are when the section is first shown)."""
        return self._loaded

    def refresh(self) -> None:
        """Read the trail again on a worker thread, keeping filters, sort and the selected event."""
        self._generation += 1
        generation = self._generation
        self._stale = False
        self._loading = True
        if not self._loaded:
            self.status.setText("Reading the audit trail…")
        db, currency, limit = self._ctx.db, self._ctx.currency_symbol, self.limit
        since, until = self._day(self.from_date), self._day(self.to_date)

        def read() -> list[trail.AuditRow]:
            with db.session() as session:
                return trail.audit_rows(session, since=since, until=until, limit=limit, currency=currency)

        run_in_background(read, on_done=lambda rows: self._on_rows_read(generation, rows),
                          on_error=lambda exc: self._on_read_failed(generation, exc), parent=self)

    def refresh_when_shown(self) -> None:
        """Refresh now if on screen (and loaded before), otherwise the next time the section is shown."""
        self._stale = True
        if self._loaded and self.isVisible():
            self.refresh()

    def _on_ctx_data_changed(self, _entity: str) -> None:
        self.refresh_when_shown()

    def _on_rows_read(self, generation: int, rows: list[trail.AuditRow]) -> None:
        if generation != self._generation:
            return  # a newer read is on its way
        self._loading = False
        selected = self.selected_event()
        self.model.set_rows(event_rows(rows))
        self.filter_bar.refresh_choices()
        self.filter_bar.update_count()
        self._loaded = True
        self._truncated = self._truncated or len(rows) >= self.limit
        self.status.setText(self._status_text(len(rows), self.limit))
        self._reselect(selected.id if selected else None)
        self.refreshed.emit()

    def _on_read_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._stale = True
        self.status.setText("The audit trail could not be read; press F5 to try again.")
        show_error(self, exc, title="Audit trail not read")

    @staticmethod
    def _status_text(count: int, limit: int) -> str:
        if count >= limit:
            return (f"Showing the newest {count:,} events of the date range: choose dates (From, to) to look "
                    "further back. Times are this computer's local time.")
        return "Times are this computer's local time. Select an event to see its record's full history below."

    # -- filtering -----------------------------------------------------------------------------
    def set_date_range(self, since: dt.date | None, until: dt.date | None) -> None:
        """Show only events from ``since`` to the end of ``until`` (None: no bound)."""
        for edit, day in ((self.from_date, since), (self.to_date, until)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day) if day else NO_DATE)
            edit.blockSignals(False)
        self._apply_dates()

    def _day(self, edit: QDateEdit) -> dt.date | None:
        date = edit.date()
        return None if date == NO_DATE else dt.date(date.year(), date.month(), date.day())

    def _apply_dates(self) -> None:
        since, until = self._day(self.from_date), self._day(self.to_date)
        if self._truncated:  # the rows in memory are not the whole trail: read the range itself
            self.refresh()
        if since is None and until is None:
            self.model.set_predicate(None)
        else:
            low = dt.datetime.combine(since, dt.time()) if since else dt.datetime.min
            high = dt.datetime.combine(until + dt.timedelta(days=1), dt.time()) if until else dt.datetime.max
            self.model.set_predicate(lambda row: low <= row[COL_WHEN + 1] < high)
        self.filter_bar.filters_changed.emit()

    def _reset_dates(self) -> None:
        # The filter bar's Clear has dropped the date condition already; show that in the edits.
        for edit in (self.from_date, self.to_date):
            edit.blockSignals(True)
            edit.setDate(NO_DATE)
            edit.blockSignals(False)
        if self._truncated:
            self.refresh()

    # -- selection and history -------------------------------------------------------------------
    def selected_event(self) -> trail.AuditRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.audit_event(rows[0].row()) if rows else None

    def select_event(self, event_id: int) -> bool:
        """Select event ``event_id`` if the filters show it (its history appears below)."""
        row = self.model.view_row_of(event_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _reselect(self, event_id: int | None) -> None:
        if event_id is None or not self.select_event(event_id):
            self.table.clearSelection()
            self._show_history(None)
        else:
            self._show_history(self.selected_event())

    def _on_table_selection_changed(self, _selected, _deselected) -> None:
        self._show_history(self.selected_event())

    def _show_history(self, event: trail.AuditRow | None) -> None:
        if event is None or event.entity_id is None:
            self.history_model.set_history([], None)
            self.history_title.setText(
                "<b>Record history</b> <span style='color:gray'>— select an event to see every change to its "
                "record, field by field</span>")
            return
        history = self._ctx.read(trail.record_history, event.entity_key, event.entity_id,
                                 currency=self._ctx.currency_symbol)
        self.history_model.set_history(history, event.id)
        changes = len({h.event_id for h in history})
        self.history_title.setText(
            f"<b>History of {html.escape(event.entity)} {html.escape(event.record)}</b> "
            f"<span style='color:gray'>— {changes:,} {'change' if changes == 1 else 'changes'}, oldest first; "
            f"the selected event is highlighted</span>")
        self._scroll_history_to(event.id)

    def _scroll_history_to(self, event_id: int) -> None:
        """Bring the fields of event ``event_id`` to the top of the history (as far as it scrolls)."""
        rows = self.history_model.view_rows_of_event(event_id)
        if rows:
            self.history_table.doItemsLayout()  # the scroll range of the new rows, now rather than later
            self.history_table.scrollTo(self.history_model.index(rows[0], 0), QTableView.ScrollHint.PositionAtTop)

    # -- export --------------------------------------------------------------------------------
    def _update_export_button(self) -> None:
        self.export_button.setEnabled(self.model.rowCount() > 0)

    def export(self) -> bool:
        """Ask where to save, and write the events the table shows; False if cancelled."""
        from ..export.table_export import export_table

        return export_table(self, self.model, "Audit trail", on_written=self._on_exported)

    def _on_exported(self, path: Path) -> None:
        self.status.setText(f"Exported {self.model.rowCount():,} events to {path}")
