"""The Resources tab: everyone in the office with this week's utilisation, and a panel to edit them.

The left side is a vertical splitter (``content_splitter``): above the people table, a switch
(``views``) between the utilisation heat map and the Demand view (demand against capacity per
role, the worst gaps, and staffing open demand from suggested people). The right side is the
person panel. Clicking a heat-map cell selects the person and opens that week's allocations with
quick fixes (change, end early, move to someone else). The Demand view's widgets (and its module)
are built when it is first shown, not with the tab.

Nothing is read in the constructor: the main window calls ``refresh()`` when the tab is first
shown. After an edit made from the heat map only the people it touched are re-read; any other
change re-computes the whole heat map.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...analytics import resources as an
from ...services.resources import OVER_ALLOCATED, PEAK_WEEKS, PersonRow, person_rows
from ..context import AppContext
from ..resources.heat_map import HeatMapPane
from ..resources.people_model import COL, PeopleTableModel
from ..resources.person_panel import PersonPanel
from ..resources.table_setup import select_record, setup_table
from ..resources.week_dialog import WeekAllocationsDialog
from ..widgets.filter_bar import FilterBar

if TYPE_CHECKING:
    from ..resources.demand_view import DemandPane

#: Changes that alter what this tab shows ("*" after imports, undo of a batch, a new database).
WATCHED_ENTITIES = frozenset({"person", "allocation", "absence", "demand", "project", "role", "*"})


#: The height the Demand view is given (when the window allows) as it is shown.
DEMAND_VIEW_HEIGHT = 560
#: The Demand view's own minimum height (its chart, lists and controls at the default font): the
#: page that holds it keeps that minimum before it is built, so that the heat map is given the
#: same room in a small window either way.
DEMAND_VIEW_MIN_HEIGHT = 373


def _is_over_allocated(row: PersonRow) -> bool:
    return row.over_allocated


class ResourcesTab(QWidget):
    """People table (filterable by role, team and over-allocation) beside the person panel."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("resources_tab")
        self.ctx = ctx
        self._syncing = False
        # The main window calls refresh() when the tab is first shown; until then, and while
        # hidden, changes only mark the tab stale.
        self._loaded = False
        self._stale = False

        self.model = PeopleTableModel(self)
        self.filter_bar = FilterBar(self.model, "people", self)
        self.role_filter = self.filter_bar.add_choice(COL["role"], "Roles")
        self.team_filter = self.filter_bar.add_choice(COL["team"], "Teams")
        self.over_allocated_check = QCheckBox("Over-allocated only", self.filter_bar)
        self.over_allocated_check.setObjectName("filter_over_allocated")
        self.over_allocated_check.setToolTip(
            f"Only people above {OVER_ALLOCATED:.0%} of capacity in this week or the {PEAK_WEEKS - 1} after it"
        )
        # After the role and team choices, before "Clear filters".
        self.filter_bar.layout().insertWidget(2, self.over_allocated_check)

        self.table = QTableView(self)
        self.table.setObjectName("people_table")
        setup_table(self.table, self.model, sort_column=COL["name"])

        self.panel = PersonPanel(ctx, self)
        self.panel.setObjectName("person_panel")

        self.content_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.content_splitter.setObjectName("resources_content_splitter")
        self.content_splitter.setChildrenCollapsible(False)
        self.heat_map = HeatMapPane(ctx, self)
        # The Demand view goes into this page when it is first shown (or asked for).
        self._demand_pane: DemandPane | None = None
        self.demand_page = QWidget(self)
        self.demand_page.setObjectName("demand_page")
        self.demand_page.setMinimumHeight(DEMAND_VIEW_MIN_HEIGHT)
        demand_layout = QVBoxLayout(self.demand_page)
        demand_layout.setContentsMargins(0, 0, 0, 0)
        self.views = QTabWidget(self)
        self.views.setObjectName("resources_views")
        self.views.setDocumentMode(True)
        self.views.addTab(self.heat_map, "Utilisation")
        self.views.addTab(self.demand_page, "Demand")
        self.views.setTabToolTip(0, "Utilisation by person, role or team, week by week")
        self.views.setTabToolTip(1, "Demand against capacity per role, the worst gaps, and staffing open demand")
        self.week_dialog: WeekAllocationsDialog | None = None
        self.content_splitter.addWidget(self.views)
        self.content_splitter.addWidget(self.table)
        self.content_splitter.setStretchFactor(0, 3)
        self.content_splitter.setStretchFactor(1, 2)
        self.content_splitter.setSizes([430, 330])
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("resources_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.content_splitter)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([860, 520])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.splitter, 1)

        self.over_allocated_check.toggled.connect(self._on_over_allocated_check_toggled)
        # "Clear filters" clears the model's predicate too: untick the box to match.
        self.filter_bar.clear_button.clicked.connect(lambda: self.over_allocated_check.setChecked(False))
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        # After a sort or filter the highlight follows the person in the panel (back into view too).
        self.model.layoutChanged.connect(self._on_model_layout_changed)
        self.panel.person_saved.connect(self.select_person)
        self.panel.person_cleared.connect(self._on_panel_person_cleared)
        self.heat_map.cell_activated.connect(self._on_heat_map_cell_activated)
        self.views.currentChanged.connect(self._on_views_current_changed)
        ctx.data_changed.connect(self._on_ctx_data_changed)
        ctx.settings_changed.connect(self.heat_map.mark_dirty)

    @property
    def demand_pane(self) -> DemandPane:
        """The Demand view, built on first use; it reads its figures when first shown."""
        return self._build_demand_pane() if self._demand_pane is None else self._demand_pane

    def _build_demand_pane(self) -> DemandPane:
        from ..resources.demand_view import DemandPane

        pane = DemandPane(self.ctx, lambda: self.heat_map.today, self.demand_page)
        self.demand_page.layout().addWidget(pane)
        pane.show()  # now if the page is on screen, else with it
        pane.staffed.connect(self.select_person)
        self.ctx.settings_changed.connect(pane.mark_dirty)
        self._demand_pane = pane
        return pane

    # -- data ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the people, keeping the selection, the filters and the sort order."""
        rows = self.ctx.read(person_rows, dt.date.today())
        first_time = not self._loaded
        self._loaded, self._stale = True, False
        self._syncing = True
        try:
            self.model.set_rows(rows)
            self.filter_bar.refresh_choices()
            self._select(self.panel.person_id)
        finally:
            self._syncing = False
        self.heat_map.refresh()
        demand = self._demand_pane
        if demand is not None and demand.isVisible():
            demand.refresh()
        elif demand is not None:
            demand.mark_dirty()  # read when the Demand view is shown (one not built yet reads when built)
        if first_time and self.panel.person_id is None and not self.panel.is_new and self.model.rowCount():
            self.table.selectRow(0)  # show someone rather than an empty panel
        else:
            self.panel.reload()
        self.heat_map.view.set_selected(self.panel.person_id, scroll=not first_time)
        if first_time:
            self.heat_map.view.verticalScrollBar().setValue(0)  # open on the most over-allocated

    def select_person(self, person_id: int) -> None:
        """Select ``person_id`` in the table (when not filtered out) and show them in the panel."""
        self._syncing = True
        try:
            self._select(person_id)
        finally:
            self._syncing = False
        if self.panel.person_id != person_id:
            self.panel.load(person_id)
        self.heat_map.view.set_selected(person_id)

    def show_demand(self) -> None:
        """Switch the view above the table to the Demand view (read on first show)."""
        self.views.setCurrentWidget(self.demand_page)

    def selected_person_id(self) -> int | None:
        index = self.table.selectionModel().currentIndex()
        return self.model.row_id(index.row()) if index.isValid() else None

    def _select(self, person_id: int | None) -> None:
        select_record(self.table, self.model, person_id)

    # -- slots --------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _on_ctx_data_changed(self, entity: str) -> None:
        if entity not in WATCHED_ENTITIES or not self._loaded:
            return
        if entity != "allocation" or not self.heat_map.has_pending_change():
            self.heat_map.mark_dirty()  # not an edit that named the people it touched
        if self._demand_pane is not None:
            self._demand_pane.mark_dirty()
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _on_over_allocated_check_toggled(self, checked: bool) -> None:
        self.model.set_predicate(_is_over_allocated if checked else None)

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        person_id = self.model.row_id(current.row())
        if person_id is None or person_id == self.panel.person_id:
            return
        if not self.panel.confirm_discard():
            # Stay on the person being edited.
            if self.panel.person_id is not None:
                self.select_person(self.panel.person_id)
            return
        # Saving may have refreshed the table (and its selection): select the row chosen again.
        self.select_person(person_id)

    def _on_model_layout_changed(self) -> None:
        self._syncing = True
        try:
            self._select(self.panel.person_id)
        finally:
            self._syncing = False

    def _on_views_current_changed(self, _index: int) -> None:
        if self.views.currentWidget() is not self.demand_page:
            return
        if self._demand_pane is None:
            self._build_demand_pane()  # shown, so it reads its figures now
        # The Demand view holds a chart and two lists: give it room over the table (which keeps ~6 rows).
        top, table = self.content_splitter.sizes()
        wanted = min(DEMAND_VIEW_HEIGHT, top + table - 200)
        if top < wanted:
            self.content_splitter.setSizes([wanted, top + table - wanted])

    def _on_heat_map_cell_activated(self, key, week: int, monday: dt.date) -> None:
        if not isinstance(key, int):
            # A role or team row: filter the table to its people.
            column = COL["role"] if self.heat_map.group == "role" else COL["team"]
            self.filter_bar.set_choice(column, key if key not in (an.NO_ROLE, an.NO_TEAM) else None)
            return
        if key != self.panel.person_id:
            if not self.panel.confirm_discard():
                return
            self.select_person(key)
        self.open_week(key, monday)

    def open_week(self, person_id: int, monday: dt.date) -> WeekAllocationsDialog:
        """Show the person's allocations in the week starting ``monday`` (one such window at a time)."""
        if self.week_dialog is not None:
            self.week_dialog.close()
        dialog = WeekAllocationsDialog(self.ctx, person_id, monday, figures=lambda: self.heat_map.figures,
                                       touched=self.heat_map.note_change, parent=self)
        dialog.destroyed.connect(lambda *_: self._forget_week_dialog(dialog))
        self.week_dialog = dialog
        dialog.show()
        return dialog

    def _forget_week_dialog(self, dialog: WeekAllocationsDialog) -> None:
        if self.week_dialog is dialog:
            self.week_dialog = None

    def _on_panel_person_cleared(self) -> None:
        self._syncing = True
        try:
            self._select(None)
        finally:
            self._syncing = False
