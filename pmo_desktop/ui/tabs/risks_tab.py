"""The Risks tab: the RAID register across the portfolio, its heat map, patterns, filters and detail panel.

Nothing is read when the tab is built: the main window calls ``refresh()`` when it first shows the
tab (the one read of its first show). After that, data changes while it is hidden only mark it stale,
and it reloads when shown again. A large register (``BACKGROUND_ITEMS``) is read on a worker thread,
with its escalations and the panel's choices, under a note over the table; the patterns are read
after it, also in the background. The "Escalations" button counts the items the office's escalation rules would
raise a level, and lists them with the rule that fired.

The chart over the register is chosen in its panel: the heat map, exposure by category or programme,
the trend per period, or ageing. The heat map, exposure and ageing count what the register's filters
let through (except their own cell or bar), so they describe the rows below them; clicking a cell or a
bar filters the register to it, shown as one removable chip. Only the chart on show is computed and
drawn, and only while the tab is visible. "Dependencies…" opens the graph of dependencies between projects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid
from sqlalchemy.orm import Session

from ...analytics import risks as risk_analytics
from ...analytics.risks import ExposureItem, ItemFacts, Matrix, RiskThresholds
from ...model import RaidKind, RaidStatus
from ...services import escalation, raid
from ...services.raid import RaidRow, ScoreBand
from ..context import AppContext
from ..risks.charts_panel import AGEING, BY_CATEGORY, BY_PROGRAMME, HEAT_MAP, TREND, ChartsPanel
from ..risks.commands import RaidCommands
from ..risks.dependencies_view import DependenciesDialog
from ..risks.detail_panel import PanelChoices, RaidDetailPanel, read_choices
from ..risks.escalations_dialog import EscalationsDialog
from ..risks.patterns_panel import PatternsPanel
from ..risks.raid_table_model import COLUMN, DISPLAY_ORDER, RAID_COLUMNS, RaidTableModel
from ..tasks import run_in_background
from ..widgets.filter_bar import FilterBar
from ..widgets.reading_note import ReadingNote

REFRESH_ON = frozenset({"raid_item", "project", "programme", "milestone", "person", "*"})
"""Entities whose changes the register shows (codes, programmes, owners come from them)."""

KIND_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("All", None),
    ("Risks", RaidKind.RISK.value),
    ("Assumptions", RaidKind.ASSUMPTION.value),
    ("Issues", RaidKind.ISSUE.value),
    ("Dependencies", RaidKind.DEPENDENCY.value),
)

# A row of toggle buttons drawn as one segmented control.
_SEGMENTED_STYLE = """
QToolButton { padding: 4px 14px; border: 1px solid palette(mid); border-left: none; background: palette(button); }
QToolButton:first { border-left: 1px solid palette(mid); border-top-left-radius: 5px; border-bottom-left-radius: 5px; }
QToolButton:last { border-top-right-radius: 5px; border-bottom-right-radius: 5px; }
QToolButton:hover:!checked { background: rgba(47, 111, 189, 0.10); }
QToolButton:checked { background: #2f6fbd; color: #ffffff; border-color: #275d9f; }
"""

# The heat-map cell filter, shown as a removable chip next to the other filters.
_CHIP_STYLE = """
QFrame#cell_chip { background: rgba(47, 111, 189, 0.12); border: 1px solid rgba(47, 111, 189, 0.55);
                   border-radius: 11px; }
QFrame#cell_chip QLabel { color: #1d3f73; font-weight: 600; padding-left: 4px; }
QFrame#cell_chip QToolButton { border: none; color: #1d3f73; font-weight: 700; padding: 0 4px; }
QFrame#cell_chip QToolButton:hover { color: #c0392b; }
"""

BACKGROUND_ITEMS = 5_000
"""A register of this many items or more is read on a worker thread (0.3–0.8 s at 20,000 items)."""


@dataclass(frozen=True, slots=True)
class Register:
    """One read of everything the register shows: its rows, the escalations due, the panel's choices."""

    rows: list[RaidRow]
    escalations: list[escalation.Escalation]
    choices: PanelChoices


def read_register(session: Session, today: dt.date) -> Register:
    """The register as of ``today``, in one session (safe on a worker thread: no widgets)."""
    return Register(raid.raid_rows(session, today), escalation.escalations_due(session, today),
                    read_choices(session))


PATTERN_MIN_PROJECTS = 3
"""A pattern must recur in the open risks of at least this many projects."""

# The escalations button: quiet when nothing is due, amber when something is.
_ESCALATIONS_STYLE = """
QToolButton#escalations_button { padding: 4px 12px; border: 1px solid palette(mid); border-radius: 5px; }
QToolButton#escalations_button[due="true"] { background: #fbe3b4; border-color: #d68910; color: #6b4300;
                                             font-weight: 600; }
QToolButton#escalations_button[due="true"]:hover { background: #f8d48f; }
"""

CHARTS_HEIGHT = 372
"""The chart pane's starting height over the register: the chooser, a chart and its hint."""

NO_FACTS = ItemFacts(None, None, False)
"""The facts of an item read after the facts were (it shows as uncategorised until the next refresh)."""

TrendScope = tuple[tuple[str, ...], str | None]
"""What a trend counts: the kinds, and one project's code (None: every project)."""

CHIP_CHARS = 22
"""A bar's name is shortened to this on the filter chip (the tooltip has it whole)."""


class RisksTab(QWidget):
    """Heat map and patterns over the register on the left, the selected item's panel on the right."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 *, today: Callable[[], dt.date] = dt.date.today):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self._restoring_selection = False
        # Loaded by the first refresh() (the main window's, on first show); after that a change while
        # hidden marks the tab stale until it is shown again.
        self._loaded = False
        self._stale = False
        # A large register is read in the background; only the latest read is shown.
        self._register_generation = 0
        self._reading = False
        self._select_when_read: int | None = None
        # Patterns are read in the background (about 1.4 s at 20,000 items); only the latest read counts.
        self._patterns_generation = 0
        self._patterns_pending = False
        # Set when a redraw was skipped because the tab was hidden.
        self._charts_dirty = False
        # Read when an exposure or trend chart first needs them after a refresh.
        self._item_facts: dict[int, ItemFacts] | None = None
        # The trend replays the audit history (about 1.2 s at 20,000 items): read in the background.
        # Keyed by (kinds, project code or None).
        self._trends: dict[TrendScope, list[risk_analytics.TrendPoint]] = {}
        self._trend_generation = 0
        self._trend_pending: TrendScope | None = None
        # The chart bar the register is filtered to: (chart, value) and the kinds it counted.
        self._bar: tuple[str, object] | None = None
        self._bar_kinds: tuple[str, ...] = ()

        self.model = RaidTableModel(self, today=today())  # currency and rows arrive with refresh()
        self.commands = RaidCommands(ctx)
        self.table = self._build_table()
        self.reading_note = ReadingNote(self.table, "Reading the RAID register…")
        self.filter_bar = self._build_filter_bar()
        self.kind_switch, self.kind_group = self._build_kind_switch()
        self.overdue_check = QCheckBox("Overdue only", self)
        self.overdue_check.setObjectName("overdue_check")
        self.overdue_check.setToolTip("Only items past their due date that are not closed")
        self.cell_chip, self.cell_label, self.cell_clear_button = self._build_cell_chip()
        self.escalations_button = QToolButton(self)
        self.escalations_button.setObjectName("escalations_button")
        self.escalations_button.setStyleSheet(_ESCALATIONS_STYLE)
        self.escalations_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.escalations_due: list[escalation.Escalation] = []
        self.escalations_dialog: EscalationsDialog | None = None
        self._show_escalations_count()
        self.dependencies_dialog: DependenciesDialog | None = None
        self.charts_panel = ChartsPanel(self)
        self.charts_panel.setObjectName("charts_panel")
        self.heat_map_panel = self.charts_panel.heat_map_panel
        self.dependencies_button = self.charts_panel.dependencies_button
        self.patterns_panel = PatternsPanel(self)
        self.patterns_panel.setObjectName("patterns_panel")
        self.panel = RaidDetailPanel(ctx, self.commands, self, today=today)
        self.panel.setObjectName("raid_detail_panel")
        # Filter and sort changes arrive in bursts (a reset, then a re-sort): redraw once after them.
        self._charts_timer = QTimer(self)
        self._charts_timer.setSingleShot(True)
        self._charts_timer.setInterval(0)
        self._charts_timer.timeout.connect(self.update_charts)
        self._lay_out()
        self._connect()
        # Escalated items first (portfolio, then programme), each level by score, highest first.
        self.model.sort(COLUMN["escalation"], Qt.SortOrder.DescendingOrder)
        self.table.horizontalHeader().setSortIndicator(COLUMN["escalation"], Qt.SortOrder.DescendingOrder)

    # -- building ------------------------------------------------------------------------------
    def _build_table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("raid_table")
        table.setModel(self.model)
        table.setSortingEnabled(True)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(26)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for i, column in enumerate(RAID_COLUMNS):
            table.setColumnWidth(i, column.width)
        for position, key in enumerate(DISPLAY_ORDER):
            header.moveSection(header.visualIndex(COLUMN[key]), position)
        # The band is the score's colour; it exists as a column to filter on.
        table.setColumnHidden(COLUMN["band"], True)
        return table

    def _build_filter_bar(self) -> FilterBar:
        bar = FilterBar(self.model, noun="items", parent=self)
        bar.setObjectName("raid_filter_bar")
        self.project_filter = bar.add_choice(COLUMN["project"], "Projects")
        bar.add_choice(COLUMN["owner"], "Owners")
        bar.add_choice(COLUMN["status"], "Statuses", [s.value for s in RaidStatus])
        bar.add_choice(COLUMN["band"], "Score bands", [b.value for b in ScoreBand])
        return bar

    def _build_kind_switch(self) -> tuple[QWidget, QButtonGroup]:
        switch = QWidget(self)
        switch.setObjectName("kind_switch")
        switch.setStyleSheet(_SEGMENTED_STYLE)
        layout = QHBoxLayout(switch)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        group = QButtonGroup(switch)
        group.setExclusive(True)
        for position, (text, kind) in enumerate(KIND_CHOICES):
            button = QToolButton(switch)
            button.setObjectName(f"kind_{kind or 'all'}")
            button.setText(text)
            button.setCheckable(True)
            button.setProperty("kind", kind)
            button.setToolTip("Show every kind of item" if kind is None else f"Show only {text.lower()}")
            group.addButton(button, position)
            layout.addWidget(button)
        group.button(0).setChecked(True)
        return switch, group

    def _build_cell_chip(self) -> tuple[QFrame, QLabel, QToolButton]:
        chip = QFrame(self)
        chip.setObjectName("cell_chip")
        chip.setStyleSheet(_CHIP_STYLE)
        layout = QHBoxLayout(chip)
        layout.setContentsMargins(6, 1, 2, 1)
        layout.setSpacing(2)
        label = QLabel(chip)
        label.setObjectName("cell_label")
        clear = QToolButton(chip)
        clear.setObjectName("cell_clear_button")
        clear.setText("✕")
        clear.setToolTip("Remove the chart filter")
        clear.setCursor(Qt.CursorShape.PointingHandCursor)
        layout.addWidget(label)
        layout.addWidget(clear)
        chip.hide()
        return chip, label, clear

    def _lay_out(self) -> None:
        switch_row = QHBoxLayout()
        switch_row.addWidget(self.kind_switch)
        switch_row.addSpacing(16)
        switch_row.addWidget(self.overdue_check)
        switch_row.addSpacing(12)
        switch_row.addWidget(self.cell_chip)
        switch_row.addStretch(1)
        switch_row.addWidget(self.escalations_button)

        # Over the register: a chart of what it shows, and the patterns across projects.
        charts = QFrame(self)
        charts.setObjectName("risk_charts")
        charts.setFrameShape(QFrame.Shape.StyledPanel)
        charts_layout = QHBoxLayout(charts)
        charts_layout.setContentsMargins(8, 6, 8, 6)
        charts_layout.setSpacing(16)
        charts_layout.addWidget(self.charts_panel)
        charts_layout.addWidget(self.patterns_panel, 1)

        self.register_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.register_splitter.setObjectName("register_splitter")
        self.register_splitter.setChildrenCollapsible(False)
        self.register_splitter.addWidget(charts)
        self.register_splitter.addWidget(self.table)
        self.register_splitter.setStretchFactor(0, 0)
        self.register_splitter.setStretchFactor(1, 1)
        self.register_splitter.setSizes([CHARTS_HEIGHT, 500])

        register = QWidget(self)
        register_layout = QVBoxLayout(register)
        register_layout.setContentsMargins(0, 0, 0, 0)
        register_layout.setSpacing(8)
        register_layout.addLayout(switch_row)
        register_layout.addWidget(self.filter_bar)
        register_layout.addWidget(self.register_splitter, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("risks_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(register)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([970, 430])
        self.panel.setMinimumWidth(380)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(self.splitter)

    def _connect(self) -> None:
        self.ctx.data_changed.connect(self._on_data_changed)
        self.ctx.settings_changed.connect(self._on_settings_changed)
        self.kind_group.idToggled.connect(self._on_kind_toggled)
        self.overdue_check.toggled.connect(self._on_overdue_toggled)
        self.filter_bar.clear_button.clicked.connect(self._on_filters_cleared)
        self.model.modelReset.connect(self._charts_timer.start)
        self.model.layoutChanged.connect(self._charts_timer.start)
        self.heat_map_panel.cell_clicked.connect(self._on_heat_map_panel_cell_clicked)
        self.charts_panel.chart_changed.connect(self._on_charts_panel_chart_changed)
        self.charts_panel.bar_clicked.connect(self._on_charts_panel_bar_clicked)
        self.cell_clear_button.clicked.connect(self.clear_chart_filter)
        self.dependencies_button.clicked.connect(self.show_dependencies)
        self.escalations_button.clicked.connect(self.show_escalations)
        self.patterns_panel.project_clicked.connect(self.filter_to_project)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.panel.item_saved.connect(self.select_item)
        self.panel.open_item.connect(self._on_open_item)
        self.panel.new_requested.connect(self.new_item)
        # Find (Ctrl+F) belongs to the main window, which focuses ``filter_bar`` itself.
        for keys, widget, slot in ((QKeySequence.StandardKey.New, self, self.new_item),
                                   (QKeySequence.StandardKey.Save, self, self.panel.save),
                                   (QKeySequence.StandardKey.Delete, self.table, self.panel.delete)):
            shortcut = QShortcut(QKeySequence(keys), widget)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # -- data ------------------------------------------------------------------------------------
    @property
    def is_loaded(self) -> bool:
        """Whether the register has been read at least once (it is not until the tab is first shown)."""
        return self._loaded

    @property
    def is_reading(self) -> bool:
        """Whether the register is being read in the background (its rows are not shown yet)."""
        return self._reading

    def refresh(self) -> None:
        """Re-read the register, escalations and patterns, keeping filters, sort order and the selected item.

        A register of ``BACKGROUND_ITEMS`` or more is read on a worker thread (``is_reading`` until
        its rows are shown): the table keeps what it showed, under a note, and the window stays
        usable. A smaller one is read at once, where a busy state would only flash.
        """
        today = self._today()
        self._loaded, self._stale = True, False
        self._register_generation += 1
        if self.ctx.read(raid.item_count) < BACKGROUND_ITEMS:
            self._show_register(self.ctx.read(read_register, today), today)
            return
        generation, db = self._register_generation, self.ctx.db

        def read() -> Register:
            with db.session() as session:
                return read_register(session, today)

        self._reading = True
        self.reading_note.set_reading(True)
        if self.model.total_rows() == 0:
            self._say_first_read_pending()
        run_in_background(read, on_done=lambda register: self._on_register_read(generation, register, today),
                          on_error=lambda exc: self._on_register_failed(generation, exc), parent=self)

    def _on_register_read(self, generation: int, register: Register, today: dt.date) -> None:
        if not isValid(self) or generation != self._register_generation:
            return  # the tab is gone, or a newer read is on its way
        self._show_register(register, today)

    def _on_register_failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._register_generation:
            return
        self._end_reading()
        self._stale = True  # shown again, the tab tries again
        self.ctx.error_raised.emit(exc)

    def _say_first_read_pending(self) -> None:
        """Before the register's first rows are in, the count, escalations, patterns and heat map say
        they are being read, rather than "0 items", "none due" and "nothing recurs"."""
        self.filter_bar.count_label.setText("Reading…")
        button = self.escalations_button
        button.setText("Escalations: reading…")
        button.setEnabled(False)
        button.setToolTip("The office's escalation rules are checked once the register is read")
        self.patterns_panel.set_loading(True)
        self.heat_map_panel.summary_label.setText("")

    def _end_reading(self) -> None:
        self._reading = False
        self.reading_note.set_reading(False)

    def _show_register(self, register: Register, today: dt.date) -> None:
        """Put a register read in place: rows, escalations, choices, then the patterns and charts."""
        self._end_reading()
        self.model.today = today
        self.model.currency = self.ctx.currency_symbol
        # An item saved while the rows were being read is selected once they are in.
        wanted, self._select_when_read = self._select_when_read, None
        selected = self.selected_id()
        # Before the rows: a bar filter on category reads the facts afresh when the new rows are filtered.
        self._item_facts, self._trends = None, {}
        self._trend_generation += 1
        self._trend_pending = None
        self.model.set_rows(register.rows)
        self.escalations_due = register.escalations
        self._show_escalations_count()
        self.filter_bar.refresh_choices()  # "overdue only" uses model.today, set before the rows
        self._restore_selection(selected)
        self.panel.refresh(register.choices)
        if wanted is not None:
            self.select_item(wanted)
        self.update_charts()
        if self.dependencies_dialog is not None and self.dependencies_dialog.isVisible():
            self.dependencies_dialog.view.refresh()
        # Last: the patterns read holds the GIL on its thread much of its ~1 s, slowing what follows.
        self._refresh_patterns()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self.refresh()
        elif self._charts_dirty:
            self.update_charts()

    def _on_data_changed(self, entity: str) -> None:
        if entity not in REFRESH_ON or not self._loaded:
            return  # not read yet: the first refresh reads it all
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _on_settings_changed(self) -> None:
        # Thresholds and currency live in the settings: same rule as a data change.
        self._on_data_changed("*")

    @property
    def patterns_pending(self) -> bool:
        """Whether the patterns are being read (they arrive from a background task)."""
        return self._patterns_pending

    def _refresh_patterns(self) -> None:
        """Read the cross-project patterns on a worker thread, with its own session."""
        self._patterns_generation += 1
        generation, db = self._patterns_generation, self.ctx.db
        self._patterns_pending = True
        self.patterns_panel.set_loading(True)

        def read() -> tuple[list[risk_analytics.Pattern], dict[str, str]]:
            with db.session() as session:
                found = risk_analytics.patterns(session, PATTERN_MIN_PROJECTS)
                names = {choice.code: choice.name for choice in raid.project_choices(session)}
            return found, names

        run_in_background(read, on_done=lambda result: self._on_patterns_read(generation, result),
                          on_error=lambda exc: self._on_patterns_failed(generation, exc), parent=self)

    def _on_patterns_read(self, generation: int, result) -> None:
        if not isValid(self) or generation != self._patterns_generation:
            return  # the tab is gone, or a newer read is on its way
        self._patterns_pending = False
        found, names = result
        self.patterns_panel.set_patterns(found, min_projects=PATTERN_MIN_PROJECTS, project_names=names)

    def _on_patterns_failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._patterns_generation:
            return
        self._patterns_pending = False
        self.patterns_panel.show_problem(f"The patterns could not be read ({exc}). Use View > Refresh to try again.")

    # -- escalations -------------------------------------------------------------------------------
    def _show_escalations_count(self) -> None:
        count = len(self.escalations_due)
        button = self.escalations_button
        button.setText(f"⚑ Escalations due: {count}" if count else "Escalations: none due")
        button.setEnabled(count > 0)
        button.setToolTip("Open items the office's escalation rules would raise a level: click to review"
                          if count else "No open item meets an escalation rule from the office settings")
        button.setProperty("due", count > 0)
        button.style().unpolish(button)
        button.style().polish(button)

    def show_escalations(self) -> EscalationsDialog:
        """List the escalations due with the rule that fired, and offer to apply them."""
        self.escalations_due = self.ctx.read(escalation.escalations_due, self._today())
        self._show_escalations_count()
        dialog = EscalationsDialog(self.escalations_due, self)
        dialog.escalate_requested.connect(self.escalate_now)
        self.escalations_dialog = dialog
        dialog.open()
        return dialog

    def escalate_now(self, due: list[escalation.Escalation] | None = None) -> list[escalation.Applied]:
        """Apply the escalations (all due when ``due`` is None) as one undoable step."""
        if due is None:
            due = self.ctx.read(escalation.escalations_due, self._today())
        if not due:
            return []
        return self.commands.escalate(due, today=self._today())

    # -- dependencies ------------------------------------------------------------------------------
    def show_dependencies(self) -> DependenciesDialog:
        """Open the dependencies view (or bring it to the front), read afresh."""
        if self.dependencies_dialog is None:
            self.dependencies_dialog = DependenciesDialog(self.ctx, self, today=self._today)
            self.dependencies_dialog.view.project_clicked.connect(self.filter_to_project)
            self.dependencies_dialog.view.item_activated.connect(self._on_open_item)
        dialog = self.dependencies_dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        dialog.view.refresh()
        return dialog

    # -- charts ----------------------------------------------------------------------------------
    def heat_map_kinds(self) -> tuple[str, ...]:
        """The kinds the heat map counts: the kind switch's, or risks when it shows every kind."""
        return (self.current_kind() or RaidKind.RISK.value,)

    def thresholds(self) -> RiskThresholds:
        settings = self.ctx.settings
        return RiskThresholds(settings.risk_amber_score or raid.DEFAULT_AMBER_SCORE,
                              settings.risk_red_score or raid.DEFAULT_RED_SCORE)

    def heat_map_matrix(self) -> Matrix:
        """Open items of the heat map's kinds among the rows the filters let through (the cell aside)."""
        kinds = self.heat_map_kinds()
        closed = RaidStatus.CLOSED.value
        pairs = [(row.likelihood, row.impact) for row in self.model.scope_rows()
                 if row.kind in kinds and row.status != closed]
        return Matrix.from_pairs(pairs, self.thresholds(), kinds=kinds)

    def update_charts(self) -> None:
        """Redraw the chart on show for the current scope (only once the tab has data and is on screen)."""
        self._charts_timer.stop()
        if not self._loaded or not self.isVisible():
            self._charts_dirty = self._loaded
            return
        if self._reading and self.model.total_rows() == 0:
            return  # the first rows are on their way: the charts are drawn when they arrive, not empty before
        self._charts_dirty = False
        chart, kinds = self.charts_panel.current_chart(), self.heat_map_kinds()
        selected = self._bar[1] if self._bar is not None and self._bar[0] == chart else None
        if chart == HEAT_MAP:
            matrix = self.heat_map_matrix()
            self.heat_map_panel.show_matrix(matrix, matrix.thresholds, selected=self.model.cell)
        elif chart in (BY_CATEGORY, BY_PROGRAMME):
            self.charts_panel.show_exposure(chart, self.exposure_rows(chart), kinds=kinds,
                                            currency=self.ctx.currency_symbol, selected=selected)
        elif chart == TREND:
            scope = kinds, self.chosen_project()
            points = self._trends.get(scope)
            if points is None:
                self._read_trend(scope)
            else:
                self.charts_panel.show_trend(points, kinds=kinds, project=scope[1])
        elif chart == AGEING:
            open_buckets, review_buckets = self.ageing_buckets()
            self.charts_panel.show_ageing(open_buckets, review_buckets, kinds=kinds, selected=selected)

    def _on_charts_panel_chart_changed(self, _chart: str) -> None:
        self.update_charts()

    def chart_rows(self) -> list[RaidRow]:
        """Open items of the charts' kinds among the rows the filters let through (cell and bar aside)."""
        kinds, closed = self.heat_map_kinds(), RaidStatus.CLOSED.value
        return [row for row in self.model.scope_rows() if row.kind in kinds and row.status != closed]

    def _facts(self) -> dict[int, ItemFacts]:
        if self._item_facts is None:
            self._item_facts = self.ctx.read(risk_analytics.item_facts)
        return self._item_facts

    def _group_key(self, chart: str) -> Callable[[RaidRow], str]:
        """The exposure key of a register row on the ``BY_CATEGORY`` or ``BY_PROGRAMME`` chart.

        The facts are looked up at each call, not captured: a bar filter keeps working after a refresh.
        """
        if chart == BY_CATEGORY:
            return lambda row: risk_analytics.category_key(self._facts().get(row.id, NO_FACTS).category)
        return lambda row: risk_analytics.programme_key(row.programme,
                                                        self._facts().get(row.id, NO_FACTS).portfolio_level)

    def exposure_rows(self, chart: str) -> list[risk_analytics.ExposureRow]:
        """Exposure of the charted rows by category or programme (``chart`` is ``BY_CATEGORY`` or ``BY_PROGRAMME``)."""
        facts, key = self._facts(), self._group_key(chart)
        return risk_analytics.exposure_of(
            ExposureItem(key(row), row.likelihood, row.impact, facts.get(row.id, NO_FACTS).cost_impact)
            for row in self.chart_rows()
        )

    @property
    def trend_pending(self) -> bool:
        """Whether the trend is being read (it arrives from a background task)."""
        return self._trend_pending is not None

    def chosen_project(self) -> str | None:
        """The project code the register's project filter shows, or None for every project."""
        code = self.project_filter.currentData()
        return code if isinstance(code, str) else None

    def _read_trend(self, scope: TrendScope) -> None:
        """Read the open items and exposure per period in ``scope`` on a worker thread, with its own session."""
        if self._trend_pending == scope:
            return
        self._trend_generation += 1
        generation, db, today = self._trend_generation, self.ctx.db, self._today()
        kinds, project = scope
        self._trend_pending = scope
        self.charts_panel.set_hint(f"Reading the history of the open {risk_analytics.kinds_text(kinds)}…")

        def read() -> list[risk_analytics.TrendPoint]:
            with db.session() as session:
                periods = risk_analytics.trend_periods(session, today)
                return risk_analytics.trend(session, periods, kinds=kinds, project=project)

        run_in_background(read, on_done=lambda points: self._on_trend_read(generation, scope, points),
                          on_error=lambda exc: self._on_trend_failed(generation, exc), parent=self)

    def _on_trend_read(self, generation: int, scope: TrendScope, points) -> None:
        if not isValid(self) or generation != self._trend_generation:
            return  # the tab is gone, or the data changed since
        self._trend_pending = None
        self._trends[scope] = points
        self.charts_panel.set_hint(None)
        if self.charts_panel.current_chart() == TREND:
            self.update_charts()

    def _on_trend_failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._trend_generation:
            return
        self._trend_pending = None
        self.charts_panel.set_hint(f"The trend could not be read ({exc}). Use View > Refresh to try again.")

    def _age(self, series: str) -> Callable[[RaidRow], int | None]:
        """Days open, or days since review, of a register row."""
        if series == "open":
            return lambda row: row.age_days
        today = self._today()
        return lambda row: risk_analytics.days_since_review(row.age_days, row.last_reviewed, today)

    def ageing_buckets(self) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]:
        """(bucket, count) of the charted rows by days open, and by days since review."""
        rows = self.chart_rows()
        return tuple(risk_analytics.bucket_counts(map(self._age(series), rows)) for series in ("open", "review"))

    def filter_to_cell(self, likelihood: int, impact: int) -> None:
        """Show only the open items of the heat map's kinds at this likelihood and impact."""
        if self._bar is not None:
            self._bar = None
            self.model.set_bar(None)
        self.model.set_cell((likelihood, impact), self.heat_map_kinds())
        kinds = risk_analytics.kinds_text(self.heat_map_kinds())
        self.cell_label.setText(f"L{likelihood} × I{impact} · open {kinds}")
        self.cell_chip.setToolTip(
            f"Likelihood {likelihood} ({raid.LIKELIHOOD_WORDS[likelihood].lower()}) × impact {impact} "
            f"({raid.LIKELIHOOD_WORDS[impact].lower()}), from the heat map")
        self.cell_chip.show()

    def clear_cell(self) -> None:
        """Remove the heat-map cell filter."""
        self.model.set_cell(None)
        self.cell_chip.hide()

    def filter_to_bar(self, chart: str, value) -> None:
        """Show only the open items of the charts' kinds under one bar of ``chart`` (in place of a cell)."""
        kinds, closed = self.heat_map_kinds(), RaidStatus.CLOSED.value
        if chart in (BY_CATEGORY, BY_PROGRAMME):
            key = self._group_key(chart)
            what = "Category" if chart == BY_CATEGORY else "Programme"
            text, tip = value, f"{what} “{value}”, from the exposure chart"

            def matches(row: RaidRow) -> bool:
                return key(row) == value
        elif chart == AGEING:
            series, bucket = value
            age = self._age(series)
            text = f"Open {bucket}" if series == "open" else f"Unreviewed {bucket}"
            tip = f"{'Open' if series == 'open' else 'Not reviewed for'} {bucket}, from the ageing chart"

            def matches(row: RaidRow) -> bool:
                days = age(row)
                return days is not None and risk_analytics.age_bucket(max(days, 0)) == bucket
        else:
            raise ValueError(f"The {chart!r} chart has no bars to filter by.")

        def keep(row: RaidRow) -> bool:
            return row.kind in kinds and row.status != closed and matches(row)

        if self.model.cell is not None:
            self.model.set_cell(None)
        self._bar, self._bar_kinds = (chart, value), kinds
        self.model.set_bar(keep)
        text = text if len(text) <= CHIP_CHARS else text[: CHIP_CHARS - 1].rstrip() + "…"
        self.cell_label.setText(f"{text} · open {risk_analytics.kinds_text(kinds)}")
        self.cell_chip.setToolTip(tip)
        self.cell_chip.show()

    def clear_bar(self) -> None:
        """Remove the chart-bar filter."""
        self._bar = None
        self.model.set_bar(None)
        self.cell_chip.hide()

    def clear_chart_filter(self) -> None:
        """Remove the cell or bar filter shown on the chip."""
        if self._bar is not None:
            self.clear_bar()
        self.clear_cell()

    def _on_charts_panel_bar_clicked(self, chart: str, value) -> None:
        # A second click on the chosen bar removes the filter, like a toggle.
        if self._bar == (chart, value):
            self.clear_bar()
        else:
            self.filter_to_bar(chart, value)

    def _on_heat_map_panel_cell_clicked(self, likelihood: int, impact: int) -> None:
        # A second click on the selected cell removes the filter, like a toggle.
        if self.model.cell == (likelihood, impact):
            self.clear_cell()
        else:
            self.filter_to_cell(likelihood, impact)

    def filter_to_project(self, code: str) -> None:
        """Show only the items of project ``code`` (from the patterns list)."""
        self.filter_bar.set_choice(COLUMN["project"], code)

    def selected_id(self) -> int | None:
        index = self.table.selectionModel().currentIndex()
        return self.model.row_id(index.row()) if index.isValid() else None

    def _restore_selection(self, item_id: int | None) -> None:
        row = self.model.view_row_of(item_id) if item_id is not None else None
        self._restoring_selection = True
        try:
            selection = self.table.selectionModel()
            if row is None:
                selection.clearSelection()
                selection.setCurrentIndex(self.model.index(-1, -1), QItemSelectionModel.SelectionFlag.Clear)
            else:
                index = self.model.index(row, COLUMN["title"])
                selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                          | QItemSelectionModel.SelectionFlag.Rows)
                self.table.scrollTo(index)
        finally:
            self._restoring_selection = False

    def select_item(self, item_id: int) -> None:
        """Select ``item_id`` in the register (clearing filters that hide it) and show it in the panel.

        While the register is being read, the item is selected once the rows are in (a new item is
        not among the rows shown yet).
        """
        if self._reading:
            self._select_when_read = item_id
            if self.panel.current_id != item_id:
                self.panel.show_item(item_id)
            return
        if self.model.view_row_of(item_id) is None:
            self._clear_all_filters()
        self._restore_selection(item_id)
        if self.panel.current_id != item_id:
            self.panel.show_item(item_id)

    # -- filters --------------------------------------------------------------------------------
    def current_kind(self) -> str | None:
        button = self.kind_group.checkedButton()
        return button.property("kind") if button is not None else None

    def set_kind(self, kind: str | None) -> None:
        """Switch the register to one kind of item (None for all)."""
        for button in self.kind_group.buttons():
            if button.property("kind") == kind:
                button.setChecked(True)

    def _on_kind_toggled(self, _id: int, checked: bool) -> None:
        if checked:
            kind = self.current_kind()
            if self.model.cell is not None and set(self.heat_map_kinds()) != self.model.cell_kinds:
                # The cell was picked on another kind's heat map: it no longer describes what is shown.
                self.clear_cell()
            if self._bar is not None and self.heat_map_kinds() != self._bar_kinds:
                self.clear_bar()
            self.model.set_column_filter(COLUMN["kind"], [kind] if kind else None)

    def _on_overdue_toggled(self, _checked: bool) -> None:
        self._apply_overdue()

    def _apply_overdue(self) -> None:
        self.model.today = self._today()
        self.model.set_overdue_only(self.overdue_check.isChecked())

    def _on_filters_cleared(self) -> None:
        # The filter bar cleared every filter on the model; bring the switch, the box and the chip in line.
        for widget in (self.kind_group, self.overdue_check):
            widget.blockSignals(True)
        self.kind_group.button(0).setChecked(True)
        self.overdue_check.setChecked(False)
        for widget in (self.kind_group, self.overdue_check):
            widget.blockSignals(False)
        self.cell_chip.hide()
        self._bar = None

    def _clear_all_filters(self) -> None:
        self.filter_bar.clear()
        self._on_filters_cleared()

    # -- selection and panel -----------------------------------------------------------------------
    def _on_current_row_changed(self, current, _previous) -> None:
        if self._restoring_selection:
            return
        item_id = self.model.row_id(current.row()) if current.isValid() else None
        if item_id == self.panel.current_id:
            return
        if not self.panel.confirm_leave():
            self._restore_selection(self.panel.current_id)
            return
        self.panel.show_item(item_id)

    def _on_open_item(self, item_id: int) -> None:
        if self.panel.confirm_leave():
            self.select_item(item_id)

    def new_item(self) -> None:
        """Start a new item in the project and kind the register is showing."""
        if not self.panel.confirm_leave():
            return
        project_code = self.project_filter.currentData()
        project_id = next((p.id for p in self.ctx.read(raid.project_choices) if p.code == project_code), None)
        self._restore_selection(None)
        self.panel.start_new(project_id=project_id, kind=self.current_kind())
