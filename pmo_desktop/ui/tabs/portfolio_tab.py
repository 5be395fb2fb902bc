"""The Portfolio tab: every project in a filterable, sortable table, and the selected one's details.

Rows are ``services.portfolio.project_rows`` (one SQL query) with each project's derived RAG,
a "RAG disagrees" flag, SPI and CPI from ``analytics.portfolio`` (figured from the same rows and
one more query, for the milestones) slotted in after the reported RAG; a RowTableModel sorts and
filters the tuples itself. The table and the detail panel sit in a splitter; the table lives in
its own vertical splitter (``content_splitter``) over the chart area (``ui.portfolio.charts_view``),
which charts the rows the filters let through, as of the chosen period.

Nothing is read in the constructor: the tab loads on its first show, reloads when data changes
while it is visible, and is only marked stale (reloaded on its next show) while hidden.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from ...analytics.changes import reporting_periods
from ...analytics.portfolio import (
    ProjectFacts,
    ProjectKpis,
    Rollup,
    Thresholds,
    kpis_of,
    portfolio_total,
    read_facts,
    read_milestones,
)
from ...services import portfolio as svc
from ..context import AppContext
from ..models.row_table_model import Column, Kind, RowTableModel
from ..portfolio.changes_dialog import ChangesDialog, index_of_data
from ..portfolio.charts_view import PortfolioChartsView
from ..portfolio.kpi_grid import compact_money
from ..portfolio.project_panel import STAGE_LABELS, ProjectPanel, rag_icon
from ..theme import RAG_LABELS
from ..widgets.filter_bar import FilterBar

_KPI_AT = svc.PROJECT_ROW_FIELDS.index("rag") + 1

TABLE_FIELDS: tuple[str, ...] = (
    *svc.PROJECT_ROW_FIELDS[:_KPI_AT], "derived_rag", "rag_disagrees", "spi", "cpi",
    *svc.PROJECT_ROW_FIELDS[_KPI_AT:],
)
"""The position of each value in a row of the table: ``project_rows`` with the KPIs after the RAG."""

_POS = {key: i for i, key in enumerate(TABLE_FIELDS)}


def _derived_tooltip(row: tuple) -> str:
    """How a row's derived RAG compares with the reported one, in words."""
    def word(rag):
        return RAG_LABELS.get(rag, "not known")

    def index(value):
        return "not known" if value is None else f"{value:.2f}"

    slip = row[_POS["slip_days"]]
    text = (f"Derived {word(row[_POS['derived_rag']])} from SPI {index(row[_POS['spi']])}, "
            f"CPI {index(row[_POS['cpi']])}, slip {'not known' if slip is None else f'{slip:+d} days'}; "
            f"reported {word(row[_POS['rag']])}.")
    if row[_POS["rag_disagrees"]]:
        text += " They disagree."
    return text


def _disagreement_tooltip(row: tuple) -> str | None:
    """The derived-RAG words, on rows whose RAGs disagree."""
    return _derived_tooltip(row) if row[_POS["rag_disagrees"]] else None


PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("code", "Code", width=80),
    Column("name", "Name", width=210),
    Column("programme", "Programme", width=165),
    Column("stage", "Stage", width=95, labels=STAGE_LABELS),
    Column("rag", "RAG", Kind.RAG, width=62,
           tooltip="Overall RAG from the latest status report, or the project's own when none is reported"),
    Column("derived_rag", "Derived", Kind.RAG, width=66,
           tooltip="RAG derived from SPI, CPI and slip with the office thresholds (the worst of the three)",
           describe=_derived_tooltip),
    Column("rag_disagrees", "≠", Kind.FLAG, width=30, mark="≠",
           tooltip="Marked when the derived RAG differs from the reported RAG",
           describe=_disagreement_tooltip),
    Column("spi", "SPI", Kind.NUMBER, width=54, decimals=2,
           tooltip="Schedule performance index: earned value / planned value (below 1 is behind plan)"),
    Column("cpi", "CPI", Kind.NUMBER, width=54, decimals=2,
           tooltip="Cost performance index: earned value / actual cost (below 1 is over cost)"),
    Column("manager", "Manager", width=120),
    Column("sponsor", "Sponsor", width=120),
    Column("department", "Department", width=110),
    Column("priority", "Priority", Kind.INT, width=62, tooltip="1 is the highest priority"),
    Column("baseline_start", "Baseline start", Kind.DATE, width=100),
    Column("baseline_end", "Baseline end", Kind.DATE, width=100),
    Column("forecast_end", "Forecast end", Kind.DATE, width=100),
    Column("slip_days", "Slip (days)", Kind.INT, width=78,
           tooltip="Forecast end minus baseline end, in days (negative is early)"),
    Column("budget", "Budget", Kind.MONEY, width=105),
    Column("actual_cost", "Actual cost", Kind.MONEY, width=105),
    Column("forecast_cost", "Forecast cost", Kind.MONEY, width=105, tooltip="Forecast cost at completion"),
    Column("percent_complete", "Complete", Kind.PERCENT, width=72),
    Column("last_report", "Last report", Kind.DATE, width=100, tooltip="Period end of the latest status report"),
)
"""The table's columns, in ``TABLE_FIELDS`` order after the id."""


COLUMN = {column.key: i for i, column in enumerate(PROJECT_COLUMNS)}
"""Column index by key."""

assert tuple(c.key for c in PROJECT_COLUMNS) == TABLE_FIELDS[1:], "columns must match the table rows"


class PortfolioTable(NamedTuple):
    """What the tab reads in one go: the table's rows and every project's KPIs by id."""

    rows: list[tuple]
    kpis: dict[int, ProjectKpis]


def portfolio_table(session: Session, as_of: dt.date, thresholds: Thresholds) -> PortfolioTable:
    """Every project as a tuple laid out as ``TABLE_FIELDS`` (its row and KPIs as of ``as_of``), and the KPIs.

    The KPIs are figured from the same latest report as the row wherever that report is on or
    before ``as_of`` (always, as of today, unless a period ends in the future); only the other
    projects are read again as of ``as_of``.
    """
    rows = svc.project_rows(session)
    later = [row[0] for row in rows if row[_LAST_REPORT] is not None and row[_LAST_REPORT] > as_of]
    if not later:
        facts = [_facts_of(row) for row in rows]
    else:
        again = {f.project_id: f for f in read_facts(session, as_of, later if len(later) <= _IN_LIST_MAX else None)}
        facts = [again.get(row[0]) or _facts_of(row) for row in rows]
    kpis = {k.project_id: k for k in kpis_of(facts, read_milestones(session, None), as_of, thresholds)}
    unknown = (None, False, None, None)
    merged = []
    for row in rows:
        k = kpis.get(row[0])
        extra = (k.derived_rag, k.rag_disagrees, k.spi, k.cpi) if k is not None else unknown
        merged.append((*row[:_KPI_AT], *extra, *row[_KPI_AT:]))
    return PortfolioTable(merged, kpis)


_LAST_REPORT = svc.PROJECT_ROW_FIELDS.index("last_report")
_IN_LIST_MAX = 500
"""Up to this many projects are read again by id; more, and the whole portfolio is read as of the date."""
_FACT_AT = [svc.PROJECT_ROW_FIELDS.index(name) for name in (
    "id", "code", "name", "programme", "department", "stage", "budget", "actual_cost", "forecast_cost",
    "percent_complete", "baseline_start", "baseline_end", "forecast_end", "rag")]


def _facts_of(row: tuple) -> ProjectFacts:
    """A ``project_rows`` row as the KPIs' facts: what ``read_facts`` reads when the latest report is the same."""
    (project_id, code, name, programme, department, stage, budget, actual_cost, forecast_cost, percent,
     baseline_start, baseline_end, forecast_end, rag) = (row[i] for i in _FACT_AT)
    return ProjectFacts(
        project_id=project_id, code=code, name=name, programme=programme, department=department, stage=stage,
        budget=_money(budget), actual_cost=_money(actual_cost), forecast_cost=_money(forecast_cost),
        percent_complete=None if percent is None else float(percent), baseline_start=baseline_start,
        baseline_end=baseline_end, forecast_end=forecast_end, reported_rag=rag,
    )


def _money(value) -> float | None:
    return None if value is None else float(value)


def summary_text(total: Rollup, currency: str) -> str:
    """One line for the projects shown: money summed, indices from the sums."""
    def money(value: float) -> str:
        return compact_money(value, currency)

    def index(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    if not total.projects:
        return "No projects shown"
    parts = [f"Shown: BAC {money(total.bac)}", f"PV {money(total.pv)}",
             f"EV {money(total.ev)}", f"AC {money(total.ac)}", f"SPI {index(total.spi)}",
             f"CPI {index(total.cpi)}", f"EAC {money(total.eac)}"]
    if total.vac is not None:
        parts.append(f"VAC {money(total.vac)}")
    if total.disagreements:
        verb = "derived RAG disagrees" if total.disagreements == 1 else "derived RAGs disagree"
        parts.append(f"{total.disagreements:,} {verb}")
    return "  ·  ".join(parts)

_REFRESH_ON = frozenset({"project", "milestone", "status_report", "programme", "*"})


class PortfolioTab(QWidget):
    """Project table with filters on the left, the selected project's panel on the right."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("portfolio_tab")
        self.ctx = ctx
        self._changing_selection = False
        self.model = RowTableModel(PROJECT_COLUMNS, self, currency=ctx.currency_symbol)
        self.filter_bar = FilterBar(self.model, "projects", self)
        self.table = QTableView(self)
        self.panel = ProjectPanel(ctx, self)
        self.charts = PortfolioChartsView(ctx, self)
        self._as_of: dt.date | None = None
        self._kpis: dict[int, ProjectKpis] = {}
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("portfolio_summary")
        self.summary_label.setProperty("role", "hint")
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label.setToolTip(
            "The projects shown, rolled up: money is summed and SPI, CPI and VAC come from the sums "
            "(sum EV / sum PV), so large projects weigh more than small ones")
        # True until the first load, and whenever data changed while the tab was hidden.
        self._stale = True
        self._build()
        self._add_filters()
        self._connect()

    # -- building ----------------------------------------------------------------------------------
    def _build(self) -> None:
        table = self.table
        table.setObjectName("portfolio_table")
        table.setModel(self.model)
        table.setAlternatingRowColors(True)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSectionsMovable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COLUMN["code"], Qt.SortOrder.AscendingOrder)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(False)
        for i, column in enumerate(PROJECT_COLUMNS):
            header.resizeSection(i, column.width)
        self.model.sort(COLUMN["code"], Qt.SortOrder.AscendingOrder)

        # The table has its own vertical splitter so that a chart area can go under it.
        self.content_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.content_splitter.setObjectName("portfolio_content_splitter")
        self.content_splitter.setChildrenCollapsible(False)
        self.content_splitter.addWidget(table)
        self.content_splitter.addWidget(self.charts)
        self.content_splitter.setStretchFactor(0, 3)
        self.content_splitter.setStretchFactor(1, 2)
        self.content_splitter.setSizes([460, 400])

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("portfolio_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.content_splitter)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([880, 520])
        self.panel.setMinimumWidth(440)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.filter_bar)
        layout.addLayout(self._summary_row())
        layout.addWidget(self.splitter, 1)

    def _summary_row(self) -> QHBoxLayout:
        """The roll-up line, with the Ranking and Scenarios buttons at its right.

        They sit here rather than in the filter bar, which has no width to spare at 1440 px.
        """
        self.ranking_button = QPushButton("Ranking", self)
        self.ranking_button.setObjectName("portfolio_ranking")
        self.ranking_button.setToolTip("Proposals and active projects ranked by weighted strategic score")
        self.scenarios_button = QPushButton("Scenarios", self)
        self.scenarios_button.setObjectName("portfolio_scenarios")
        self.scenarios_button.setToolTip("Choose the proposals to fund under a budget cap, compare and approve")
        self.ranking_view = self.scenario_planner = None
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.summary_label, 1)
        row.addWidget(self.ranking_button)
        row.addWidget(self.scenarios_button)
        return row

    def _add_filters(self) -> None:
        bar = self.filter_bar
        bar.search.setPlaceholderText("Filter projects by code, name, people, programme…")
        self.programme_filter = bar.add_choice(COLUMN["programme"], "Programmes")
        self.stage_filter = bar.add_choice(COLUMN["stage"], "Stages", values=list(STAGE_LABELS))
        self.rag_filter = bar.add_choice(COLUMN["rag"], "RAG", values=list(RAG_LABELS),
                                         icons={rag: rag_icon(rag) for rag in RAG_LABELS})
        self.manager_filter = bar.add_choice(COLUMN["manager"], "Managers")
        disagrees = _POS["rag_disagrees"]
        self.disagree_filter = bar.add_toggle(
            "Derived RAG disagrees", lambda row: bool(row[disagrees]),
            "Show only projects whose RAG derived from SPI, CPI and slip differs from the reported RAG")
        # The period selector: KPIs as of a reporting period end, or today.
        self.as_of_label = QLabel("As of:", bar)
        self.as_of_combo = QComboBox(bar)
        self.as_of_combo.setObjectName("portfolio_as_of")
        self.as_of_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.as_of_combo.setToolTip("Figure the KPI columns and the project panel as of a reporting period end")
        self.as_of_combo.addItem("Today", None)
        self.changes_button = QPushButton("What changed…", bar)
        self.changes_button.setObjectName("portfolio_what_changed")
        self.changes_button.setToolTip("RAG moves, slips, cost movements, new and closed projects and "
                                       "escalations between two reporting periods")
        self.changes_dialog: ChangesDialog | None = None
        for widget in (self.as_of_label, self.as_of_combo, self.changes_button):
            bar.layout().addWidget(widget)

    def _connect(self) -> None:
        self.table.horizontalHeader().sortIndicatorChanged.connect(self.model.sort)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self.ctx.data_changed.connect(self._on_data_changed)
        self.ctx.settings_changed.connect(self._on_settings_changed)
        self.panel.project_saved.connect(self.select_project)
        self.panel.project_deleted.connect(lambda _id: self.table.clearSelection())
        self.filter_bar.filters_changed.connect(self._on_filters_changed)
        self.as_of_combo.currentIndexChanged.connect(
            lambda _i: self.set_as_of(self.as_of_combo.currentData()))
        self.changes_button.clicked.connect(self.show_changes)
        self.ranking_button.clicked.connect(self.show_ranking)
        self.scenarios_button.clicked.connect(self.show_scenarios)
        self.charts.project_clicked.connect(self.select_project)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.charts.set_selected(self.model.row_id(current.row())))
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.table)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.panel.delete)

    # -- data --------------------------------------------------------------------------------------
    @property
    def as_of(self) -> dt.date:
        """The date the KPIs are figured at (today unless ``set_as_of`` chose another)."""
        return self._as_of or dt.date.today()

    def set_as_of(self, as_of: dt.date | None) -> None:
        """Figure the KPIs at ``as_of`` (None: today) in the table and the panel."""
        self._as_of = as_of
        self.panel.as_of = as_of
        self._show_as_of_choice()
        self._reload_when_seen()

    def _fill_periods(self) -> None:
        """"Today" and every reporting period end, newest first, in the period selector."""
        periods = self.ctx.read(reporting_periods)
        combo = self.as_of_combo
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem("Today", None)
            for period in periods:
                combo.addItem(f"{period:%d %b %Y}", period)
            if self._as_of is not None and index_of_data(combo, self._as_of) < 0:
                combo.addItem(f"{self._as_of:%d %b %Y}", self._as_of)
        finally:
            combo.blockSignals(False)
        self._show_as_of_choice()

    def _show_as_of_choice(self) -> None:
        combo = self.as_of_combo
        i = 0 if self._as_of is None else index_of_data(combo, self._as_of)
        if i < 0:
            combo.blockSignals(True)
            combo.addItem(f"{self._as_of:%d %b %Y}", self._as_of)
            combo.blockSignals(False)
            i = combo.count() - 1
        if combo.currentIndex() != i:
            combo.blockSignals(True)
            combo.setCurrentIndex(i)
            combo.blockSignals(False)

    def show_changes(self) -> ChangesDialog:
        """Open (or raise) the "What changed" dialog; double-clicking a row selects its project here."""
        if self.changes_dialog is None:
            self.changes_dialog = ChangesDialog(self.ctx, self)
            self.changes_dialog.project_chosen.connect(self.select_project)
        else:
            self.changes_dialog.refresh()
        self.changes_dialog.show()
        self.changes_dialog.raise_()
        return self.changes_dialog

    def show_ranking(self):
        """Open (or raise) the ranking window; double-clicking a row selects its project here."""
        from ..portfolio.ranking_view import RankingView  # loaded on first use, like the planner

        if self.ranking_view is None:
            self.ranking_view = RankingView(self.ctx, self)
            self.ranking_view.project_chosen.connect(self.select_project)
        else:
            self.ranking_view.refresh()
        self.ranking_view.show()
        self.ranking_view.raise_()
        return self.ranking_view

    def show_scenarios(self):
        """Open (or raise) the scenario planner."""
        from ..portfolio.scenario_planner import ScenarioPlanner  # brings numpy: load on first use

        if self.scenario_planner is None:
            self.scenario_planner = ScenarioPlanner(self.ctx, self)
        elif not self.scenario_planner.is_dirty:
            self.scenario_planner.refresh()
        self.scenario_planner.show()
        self.scenario_planner.raise_()
        return self.scenario_planner

    @property
    def is_stale(self) -> bool:
        """True when the rows shown may be out of date (they are read again on the next show)."""
        return self._stale

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """Load on the first show, and after data changed while the tab was hidden."""
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _reload_when_seen(self) -> None:
        """Reload now if the tab is on screen, else on its next show."""
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def refresh(self) -> None:
        """Reload every row from the database, keeping the selection, filters and sort."""
        self._stale = False
        selected = self.selected_project_id()
        scroll = self.table.verticalScrollBar().value()
        rows, self._kpis = self.ctx.read(portfolio_table, self.as_of, Thresholds.from_settings(self.ctx.settings))
        self._fill_periods()
        self._changing_selection = True
        try:
            self.model.set_rows(rows)
            self.filter_bar.refresh_choices()
            self.filter_bar.update_count()
            self._update_summary()
            self._select_row_of(selected)
        finally:
            self._changing_selection = False
        self.table.verticalScrollBar().setValue(scroll)
        if not self.panel.is_dirty and not self.panel.is_new:
            shown = self.panel.project_id
            if shown is not None or selected is not None:
                self.panel.show_project(shown if shown is not None else selected)

    def selected_project_id(self) -> int | None:
        """The id of the project selected in the table (None when there is none)."""
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.row_id(index.row())

    def select_project(self, project_id: int) -> None:
        """Select ``project_id`` in the table (if a filter hides it, the panel still shows it)."""
        if not self._select_row_of(project_id) and self.panel.project_id != project_id:
            self.panel.show_project(project_id)

    def _select_row_of(self, project_id: int | None) -> bool:
        row = self.model.view_row_of(project_id) if project_id is not None else None
        selection = self.table.selectionModel()
        if row is None:
            selection.clearSelection()
            return False
        index = self.model.index(row, 0)
        selection.setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)
        return True

    # -- header state for the main window ----------------------------------------------------------
    def header_state(self) -> bytes:
        """Column order, widths and sort, for the main window to keep in QSettings."""
        return bytes(self.table.horizontalHeader().saveState().data())

    def restore_header_state(self, state: bytes) -> bool:
        """Put back what ``header_state`` returned; False (and nothing changed) if it does not fit."""
        header = self.table.horizontalHeader()
        if not state or not header.restoreState(QByteArray(state)):
            return False
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        return True

    # -- slots -------------------------------------------------------------------------------------
    def _on_table_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self._changing_selection:
            return
        project_id = self.model.row_id(current.row()) if current.isValid() else None
        if project_id is None or project_id == self.panel.project_id and not self.panel.is_new:
            return
        if not self.panel.confirm_leave():
            # Stay on the project being edited.
            self._changing_selection = True
            try:
                self._select_row_of(self.panel.project_id)
            finally:
                self._changing_selection = False
            return
        self.panel.show_project(project_id)

    def _on_data_changed(self, entity: str) -> None:
        if entity in _REFRESH_ON:
            self._reload_when_seen()

    def _on_settings_changed(self) -> None:
        # Currency and RAG thresholds may have changed.
        symbol = self.ctx.currency_symbol
        self.model.currency = symbol
        self.panel.set_currency(symbol)
        self._reload_when_seen()

    def _update_summary(self) -> None:
        """Roll up the projects the filters let through."""
        kpis = self._kpis
        shown = [kpis[row[0]] for row in self.model.visible_rows() if row[0] in kpis]
        self.summary_label.setText(summary_text(portfolio_total(shown), self.ctx.currency_symbol))
        self.charts.set_scope(shown, self._as_of)

    def _on_filters_changed(self) -> None:
        self._update_summary()
        # Keep the selected project in view when it still passes the filters.
        project_id = self.panel.project_id
        if project_id is not None:
            self._changing_selection = True
            try:
                self._select_row_of(project_id)
            finally:
                self._changing_selection = False
