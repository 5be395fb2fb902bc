"""The Governance tab: the gate reviews with the review editor, health, compliance, scorecard and audit.

The tab is a set of sections (``add_section``): the gate reviews first, then "Health" (charts of
the exceptions, reporting and the gate pipeline, and the decisions log, ``DashboardSection``; a
click on a bar shows those exceptions), "Compliance" (the exceptions to the office's rules,
``ComplianceSection``), "Scorecard" (is the PMO delivering value, ``ScorecardSection``) and the
audit trail. The section bar appears from two sections on, so later sections arrive without
reshaping the earlier ones.

Nothing is read into the decisions log when the tab is built: the main window calls ``refresh()``
when it first shows the tab (the one read of its first show). After that, a change while the tab is
hidden only marks it stale, and it re-reads when shown again. A large log (``BACKGROUND_REVIEWS``) is
read on a worker thread with the editor's lists, under a note over the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid
from sqlalchemy.orm import Session

from ...services import governance as gov
from ..context import AppContext
from ..governance.audit_section import AuditSection
from ..governance.compliance_section import ComplianceSection
from ..governance.dashboard_section import DashboardSection
from ..governance.new_project_dialog import NewProjectDialog
from ..governance.review_panel import GateReviewPanel, ReviewChoices, read_choices
from ..governance.review_table_model import (
    COL_DECISION,
    COL_GATE,
    COL_PROJECT,
    DECISION_LABELS,
    GateReviewTableModel,
    model_rows,
)
from ..governance.scorecard_section import ScorecardSection
from ..governance.tables import record_table
from ..tasks import run_in_background
from ..widgets.filter_bar import FilterBar
from ..widgets.reading_note import ReadingNote

# Changes to these entities (or "*": an import, an undo) can alter the decisions log.
_WATCHED = frozenset({"*", "gate_review", "gate_condition", "gate", "gate_criterion", "project", "stage_change"})
BACKGROUND_REVIEWS = 2_000
"""A decisions log of this many reviews or more is read on a worker thread (0.2–0.4 s at 8,000 reviews)."""
PANEL_WIDTH = 580
PANEL_MIN_WIDTH = 560


@dataclass(frozen=True, slots=True)
class DecisionsLog:
    """One read of the decisions log: the model's rows and the review editor's choices."""

    rows: list[tuple]
    choices: ReviewChoices


def read_log(session: Session) -> DecisionsLog:
    """The decisions log as the model holds it, in one session (safe on a worker thread: no widgets)."""
    return DecisionsLog(model_rows(gov.review_rows(session)), read_choices(session))


class PanelScrollArea(QScrollArea):
    """Scrolls a form only when the window is too short for it; otherwise the form fills the height.

    QScrollArea's own resizing gives a form with word-wrapped labels its preferred height (its
    tables' comfortable size), so it would scroll at heights where it fits. This one sizes the
    form to the viewport's width and to the larger of the viewport's height and the form's minimum.
    """

    def __init__(self, form: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidgetResizable(False)
        self.setWidget(form)
        form.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        form = self.widget()
        if form is None:
            return
        width = self.viewport().width()
        layout = form.layout()
        needed = layout.minimumHeightForWidth(width) if layout is not None and layout.hasHeightForWidth() else -1
        needed = max(needed, form.minimumSizeHint().height())
        form.resize(width, max(self.viewport().height(), needed))


class GovernanceTab(QWidget):
    """Gate reviews: a filterable, sortable decisions log and the review editor (``panel``); compliance.

    ``today`` gives the date the compliance rules are judged on (the real date unless a test or a
    demo says otherwise).
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 *, today: Callable[[], dt.date] = dt.date.today):
        super().__init__(parent)
        self.setObjectName("governance_tab")
        self._ctx = ctx
        self._today = today
        self._sized = False
        # Loaded by the first refresh(); after that a change while hidden marks the tab stale.
        self._loaded = False
        self._stale = False
        # A large log is read in the background; only the latest read is shown.
        self._log_generation = 0
        self._reading = False
        self.model = GateReviewTableModel(self)
        self.model.currency = ctx.currency_symbol
        self.table = self._make_table()
        self.reading_note = ReadingNote(self.table, "Reading the decisions log…")
        self.reviews_filter_bar = FilterBar(self.model, "reviews", self)
        self.reviews_filter_bar.setObjectName("governance_filter_bar")
        self.reviews_filter_bar.add_choice(COL_GATE, "Gates")
        self.reviews_filter_bar.add_choice(COL_DECISION, "Decisions", list(DECISION_LABELS), DECISION_LABELS)
        self.reviews_filter_bar.add_choice(COL_PROJECT, "Projects")
        self.panel = GateReviewPanel(ctx, self)

        self.sections = QTabWidget(self)
        self.sections.setObjectName("governance_sections")
        self.sections.setDocumentMode(True)
        self.sections.setTabBarAutoHide(True)
        self.add_section(self._make_reviews_page(), "Gate reviews")
        self.dashboard = DashboardSection(ctx, self, today=today)
        self.add_section(self.dashboard, "Health")
        self.compliance = ComplianceSection(ctx, self, today=today)
        self.add_section(self.compliance, "Compliance")
        self.scorecard = ScorecardSection(ctx, self, today=today)
        self.add_section(self.scorecard, "Scorecard")
        self.audit = AuditSection(ctx, self)
        self.add_section(self.audit, "Audit trail")
        self.new_project_button = QToolButton(self)
        self.new_project_button.setText("New Project from Methodology…")
        self.new_project_button.setObjectName("new_project_button")
        self.new_project_button.setToolTip("Start a project with its methodology's standard milestones and starter "
                                           "RAID items")
        self.sections.setCornerWidget(self.new_project_button, Qt.Corner.TopRightCorner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.sections)

        # Selection, not the current index: a view sets a current row on focus alone, without selecting.
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.dashboard.rule_requested.connect(lambda rule: self.show_exceptions(rule=rule))
        self.dashboard.manager_requested.connect(lambda manager: self.show_exceptions(manager=manager))
        self.new_project_button.clicked.connect(self.open_new_project_dialog)
        self.panel.review_saved.connect(self.select_review)
        self.panel.review_shown.connect(self._on_panel_review_shown)
        ctx.data_changed.connect(self._on_ctx_data_changed)
        ctx.settings_changed.connect(self._on_ctx_settings_changed)
        new = QShortcut(QKeySequence(QKeySequence.StandardKey.New), self)
        new.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        new.activated.connect(self.panel.ui.new_button.click)

    @property
    def filter_bar(self) -> FilterBar:
        """The filter bar of the section on screen (Edit > Find puts the cursor in it)."""
        current = self.sections.currentWidget()
        bar = getattr(current, "filter_bar", None)
        return bar if isinstance(bar, FilterBar) else self.reviews_filter_bar

    # -- layout --------------------------------------------------------------------------------
    def add_section(self, widget: QWidget, title: str) -> int:
        """Add a page to the tab (e.g. compliance, health, audit); the section bar shows from two."""
        return self.sections.addTab(widget, title)

    def _make_table(self) -> QTableView:
        return record_table(self, self.model, "gate_review_table", sort_column=0,
                            sort_order=Qt.SortOrder.DescendingOrder)

    def _make_reviews_page(self) -> QWidget:
        page = QWidget(self)
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.setSpacing(6)
        page_layout.addWidget(self.reviews_filter_bar)

        scroll = PanelScrollArea(self.panel, self)
        scroll.setObjectName("gate_review_panel_scroll")
        scroll.setMinimumWidth(PANEL_MIN_WIDTH)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("governance_splitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        self.splitter = splitter
        page_layout.addWidget(splitter, 1)
        return page

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()
        if not self._sized:  # the first time the tab has its real width: give the editor its share
            self._sized = True
            # The splitter is laid out after this event: size it from the tab's own width.
            available = self.width() - self.layout().contentsMargins().left() - self.layout().contentsMargins().right()
            self.splitter.setSizes([max(available - PANEL_WIDTH, 300), PANEL_WIDTH])

    # -- data ----------------------------------------------------------------------------------
    @property
    def is_reading(self) -> bool:
        """Whether the decisions log is being read in the background (its rows are not shown yet)."""
        return self._reading

    def refresh(self) -> None:
        """Re-read the decisions log (keeping filters, sort and selection) and the editor's lists.

        The compliance and audit sections are re-read too when on screen, otherwise when next shown.
        A log of ``BACKGROUND_REVIEWS`` or more is read on a worker thread (``is_reading`` until its
        rows are shown), under a note over the table; a smaller one at once.
        """
        self.dashboard.refresh_when_shown()
        self.compliance.refresh_when_shown()
        self.scorecard.refresh_when_shown()
        self.audit.refresh_when_shown()
        self._loaded, self._stale = True, False
        self._log_generation += 1
        if self._ctx.read(gov.review_count) < BACKGROUND_REVIEWS:
            self._show_log(self._ctx.read(read_log))
            return
        generation, db = self._log_generation, self._ctx.db

        def read() -> DecisionsLog:
            with db.session() as session:
                return read_log(session)

        self._reading = True
        self.reading_note.set_reading(True)
        run_in_background(read, on_done=lambda log: self._on_log_read(generation, log),
                          on_error=lambda exc: self._on_log_failed(generation, exc), parent=self)

    def _on_log_read(self, generation: int, log: DecisionsLog) -> None:
        if not isValid(self) or generation != self._log_generation:
            return  # the tab is gone, or a newer read is on its way
        self._show_log(log)

    def _on_log_failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._log_generation:
            return
        self._end_reading()
        self._stale = True  # shown again, the tab tries again
        self._ctx.error_raised.emit(exc)

    def _end_reading(self) -> None:
        self._reading = False
        self.reading_note.set_reading(False)

    def _show_log(self, log: DecisionsLog) -> None:
        """Put a read of the log in place: its rows, the filter choices, the editor's lists."""
        self._end_reading()
        current = self.panel.review_id
        self.model.set_rows(log.rows)
        self.reviews_filter_bar.refresh_choices()
        self.reviews_filter_bar.update_count()
        if current is not None:
            self._select_quietly(current)
        self.panel.refresh_from_store(log.choices)

    def open_new_project_dialog(self) -> NewProjectDialog:
        """Open "New Project from Methodology" (window-modal; the project appears when created)."""
        dialog = NewProjectDialog(self._ctx, self, today=self._today)
        dialog.open()
        return dialog

    def show_exceptions(self, *, rule: str | None = None, manager: str | None = None) -> None:
        """Go to the Compliance section showing only ``rule``'s or ``manager``'s exceptions."""
        self.sections.setCurrentWidget(self.compliance)
        self.compliance.show_only(rule=rule, manager=manager)

    def select_review(self, review_id: int) -> None:
        """Select (and show in the editor) the review ``review_id`` if it passes the filters.

        While the log is being read, the editor's review is selected once the rows are in (``_show_log``).
        """
        row = self.model.view_row_of(review_id)
        if row is None:
            return
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    def _select_quietly(self, review_id: int) -> None:
        row = self.model.view_row_of(review_id)
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        if row is None:
            selection.clearSelection()
        else:
            index = self.model.index(row, 0)
            selection.setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        selection.blockSignals(False)
        self.table.viewport().update()

    def _on_table_selection_changed(self, _selected, _deselected) -> None:
        rows = self.table.selectionModel().selectedRows()
        review_id = self.model.row_id(rows[0].row()) if rows else None
        if review_id is None or review_id == self.panel.review_id:
            return
        if not self.panel.confirm_discard():
            self._select_quietly(self.panel.review_id) if self.panel.review_id else self._clear_quietly()
            return
        self.panel.show_review(review_id)

    def _clear_quietly(self) -> None:
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        selection.clear()
        selection.blockSignals(False)
        self.table.viewport().update()

    def _on_panel_review_shown(self, review_id: int) -> None:
        # 0 means a new review: nothing in the log is being edited.
        if review_id:
            self._select_quietly(review_id)
        else:
            self._clear_quietly()

    @property
    def is_loaded(self) -> bool:
        """Whether the decisions log has been read at least once (it is not until the tab is first shown)."""
        return self._loaded

    def _on_ctx_data_changed(self, entity: str) -> None:
        if entity not in _WATCHED or not self._loaded:
            return  # not read yet: the first refresh reads it all
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _on_ctx_settings_changed(self) -> None:
        # Currency and the compliance rules live in the settings: same rule as a data change.
        self._on_ctx_data_changed("*")
