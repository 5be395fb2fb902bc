"""The Resources tab's Demand view: demand against capacity per role, the worst gaps, and staffing open demand.

Above, a role picker over the demand-vs-capacity chart (``charts.resources``) beside the roles
with the worst gaps (click one to chart it). Below, the open demand beside the people who could
take the selected one, best fit first, each with why; "Assign" turns the demand into an
allocation (undoable: undo gives the demand back its hours).

matplotlib is imported on the first ``refresh()``, which the tab calls only while this view is
shown; after that, choosing another role redraws the same figure in place.
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ...analytics import resources as an
from ...services import staffing
from ...services.errors import ServiceError
from ..context import AppContext
from ..dialogs.error_dialog import show_error
from ..models.row_table_model import Column, Kind, RowTableModel
from ..widgets.chart_canvas import ChartCanvas
from .commands import refuses_over_allocation, undoable_assign
from .table_setup import select_record, setup_table

if TYPE_CHECKING:
    from ...charts.resources import DemandCapacityChart

#: The ranges offered: weeks from this week on.
RANGES = (12, 26)
#: How many of the worst gaps are listed.
GAPS_SHOWN = 8
#: Over-allocation warnings after staffing (the register's amber, dark enough to read on either palette).
WARNING_COLOUR = "#b35c00"


class GapRow(NamedTuple):
    """One line of the worst-gaps list; the role name is also the row id."""

    id: str
    role: str
    weeks_short: int
    hours_short: float
    first_week: dt.date


class CandidateRow(NamedTuple):
    """One line of the candidates list; the person id first, then the rank (1 = best fit)."""

    id: int
    rank: int
    name: str
    free_average: float
    weeks_short: int
    skill_level: int | None
    why: str
    team: str | None


GAP_COLUMNS = (
    Column("role", "Role", Kind.TEXT, 104),
    Column("weeks_short", "Weeks", Kind.INT, 46, "Weeks in which unfilled demand exceeds the role's free hours"),
    Column("hours_short", "Hours short", Kind.NUMBER, 72, "Demand hours beyond the role's free hours, summed"),
    Column("first_week", "From", Kind.DATE, 84, "The first week the role is short"),
)
DEMAND_COLUMNS = (
    Column("project", "Project", Kind.TEXT, 72, describe=lambda row: f"{row[1]} — {row[-1]}"
           + (f"\n{row[-2]}" if row[-2] else "")),
    Column("role", "Role", Kind.TEXT, 100),
    Column("skill", "Skill", Kind.TEXT, 62),
    Column("start_date", "From", Kind.DATE, 86),
    Column("end_date", "To", Kind.DATE, 86),
    Column("hours_per_week", "h/wk", Kind.NUMBER, 44, "Hours a week the project asks for", decimals=1),
    Column("unfilled_hours", "Unfilled", Kind.NUMBER, 56, "Hours still unfilled from this week to the end"),
)
def _why_tooltip(row: tuple) -> str:
    team = f" ({row[-1]})" if row[-1] else ""
    return f"{row[2]}{team}: {row[-2]}"


CANDIDATE_COLUMNS = (
    Column("rank", "#", Kind.INT, 26, "Best fit first: free in every week, then skill level, then free hours"),
    Column("name", "Person", Kind.TEXT, 100, describe=_why_tooltip),
    Column("free_average", "Free h/wk", Kind.NUMBER, 60, "Free hours a week over the demand's weeks, on average",
           decimals=1, describe=_why_tooltip),
    Column("weeks_short", "Short wks", Kind.INT, 60, "Weeks in which the person has fewer free hours than asked",
           describe=_why_tooltip),
    Column("skill_level", "Skill", Kind.INT, 40, "Level 1-5 in the skill the demand asks for",
           describe=_why_tooltip),
)
GAP_COL = {c.key: i for i, c in enumerate(GAP_COLUMNS)}
DEMAND_COL = {c.key: i for i, c in enumerate(DEMAND_COLUMNS)}
CANDIDATE_COL = {c.key: i for i, c in enumerate(CANDIDATE_COLUMNS)}


def _section_title(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _titled(title: QLabel, view: QWidget) -> QWidget:
    """A title above a view, without margins."""
    box = QWidget(view.parentWidget())
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    layout.addWidget(title)
    layout.addWidget(view, 1)
    return box


def _row_splitter(name: str, left: QWidget, right: QWidget, stretch: tuple[int, int], parent: QWidget) -> QSplitter:
    """Two panes side by side (neither collapsible), sharing the width by ``stretch``."""
    splitter = QSplitter(Qt.Orientation.Horizontal, parent)
    splitter.setObjectName(name)
    splitter.setChildrenCollapsible(False)
    splitter.addWidget(left)
    splitter.addWidget(right)
    splitter.setStretchFactor(0, stretch[0])
    splitter.setStretchFactor(1, stretch[1])
    return splitter


class DemandPane(QWidget):
    """Demand vs capacity per role, the worst gaps, and staffing open demand from suggested people."""

    #: A demand was staffed with this person (the tab selects them).
    staffed = Signal(int)

    def __init__(self, ctx: AppContext, today: Callable[[], dt.date], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("demand_pane")
        self.ctx = ctx
        self._today = today
        self.figures: an.Utilisation | None = None
        self.chart: DemandCapacityChart | None = None
        self._dirty = True
        self._syncing = False
        self.last_draw_seconds = 0.0

        # -- above: role picker, chart, worst gaps ------------------------------------------------
        self.role_combo = QComboBox(self)
        self.role_combo.setObjectName("demand_role")
        self.role_combo.setToolTip("The role to chart; the roles shortest of people come first")
        self.role_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.range_combo = QComboBox(self)
        self.range_combo.setObjectName("demand_range")
        for weeks in RANGES:
            self.range_combo.addItem(f"Next {weeks} weeks", weeks)
        self.range_combo.setCurrentIndex(len(RANGES) - 1)
        self.range_combo.setToolTip("Weeks charted, from this week on")
        self.chart_canvas = ChartCanvas(self)
        self.chart_canvas.setObjectName("demand_chart")
        self.chart_canvas.setMinimumHeight(200)
        self.chart_canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.gaps_model = RowTableModel(GAP_COLUMNS, self)
        self.gaps_table = QTableView(self)
        self.gaps_table.setObjectName("demand_gaps")
        setup_table(self.gaps_table, self.gaps_model, sort_column=GAP_COL["hours_short"],
                    stretch_column=GAP_COL["role"])
        self.gaps_table.sortByColumn(GAP_COL["hours_short"], Qt.SortOrder.DescendingOrder)
        self.gaps_table.setToolTip("Click a role to chart it")

        chart_header = QHBoxLayout()
        chart_header.setContentsMargins(0, 0, 0, 0)
        chart_header.addWidget(QLabel("Role:", self))
        chart_header.addWidget(self.role_combo)
        chart_header.addWidget(self.range_combo)
        chart_header.addStretch(1)

        # -- below: open demand, candidates, assign ---------------------------------------------
        self.demand_model = RowTableModel(DEMAND_COLUMNS, self)
        self.demand_table = QTableView(self)
        self.demand_table.setObjectName("open_demand_table")
        setup_table(self.demand_table, self.demand_model, sort_column=DEMAND_COL["start_date"],
                    stretch_column=DEMAND_COL["role"])
        self.demand_table.horizontalHeader().setMinimumSectionSize(40)
        self.candidate_model = RowTableModel(CANDIDATE_COLUMNS, self)
        self.candidate_table = QTableView(self)
        self.candidate_table.setObjectName("candidate_table")
        setup_table(self.candidate_table, self.candidate_model, sort_column=CANDIDATE_COL["rank"],
                    stretch_column=CANDIDATE_COL["name"])
        self.hours_spin = QDoubleSpinBox(self)
        self.hours_spin.setObjectName("assign_hours")
        self.hours_spin.setDecimals(1)
        self.hours_spin.setSingleStep(0.5)
        self.hours_spin.setSuffix(" h/week")
        self.hours_spin.setToolTip("Hours a week to give the person; less than the demand leaves the rest open")
        self.assign_button = QPushButton("Assign", self)
        self.assign_button.setObjectName("assign_button")
        self.assign_button.setToolTip("Allocate the selected person to the demand's project for its period")
        self.assign_button.setEnabled(False)
        self.candidates_label = _section_title("Candidates", self)
        # Long demand descriptions wrap rather than widen the column.
        self.candidates_label.setWordWrap(True)
        self.candidates_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.why_label = QLabel(self)
        self.why_label.setObjectName("candidate_why")
        self.why_label.setWordWrap(True)
        self.message_label = QLabel(self)
        self.message_label.setObjectName("staffing_message")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.RichText)
        self.message_label.hide()  # until something has been staffed
        assign_row = QHBoxLayout()
        assign_row.setContentsMargins(0, 0, 0, 0)
        assign_row.addStretch(1)
        give_label = QLabel("&Give", self)
        give_label.setBuddy(self.hours_spin)
        assign_row.addWidget(give_label)
        assign_row.addWidget(self.hours_spin)
        assign_row.addWidget(self.assign_button)

        chart_box = QWidget(self)
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.setSpacing(4)
        chart_layout.addLayout(chart_header)
        chart_layout.addWidget(self.chart_canvas, 1)
        gaps_box = _titled(_section_title("Worst gaps", self), self.gaps_table)
        demand_box = _titled(_section_title("Open demand", self), self.demand_table)
        candidates_box = _titled(self.candidates_label, self.candidate_table)
        candidates_box.layout().addWidget(self.why_label)
        candidates_box.layout().addLayout(assign_row)

        self.top_splitter = _row_splitter("demand_top_splitter", chart_box, gaps_box, (5, 3), self)
        self.bottom_splitter = _row_splitter("demand_bottom_splitter", demand_box, candidates_box, (3, 2), self)
        self.top_splitter.setSizes([520, 340])
        self.bottom_splitter.setSizes([540, 320])
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("demand_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.top_splitter)
        self.splitter.addWidget(self.bottom_splitter)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.message_label)

        self.role_combo.currentIndexChanged.connect(self._on_role_combo_changed)
        self.range_combo.currentIndexChanged.connect(self._on_range_combo_changed)
        self.gaps_table.clicked.connect(self._on_gaps_table_clicked)
        self.gaps_table.selectionModel().currentRowChanged.connect(self._on_gaps_table_current_row_changed)
        self.demand_table.selectionModel().currentRowChanged.connect(self._on_demand_table_current_row_changed)
        self.candidate_table.selectionModel().currentRowChanged.connect(self._on_candidate_current_row_changed)
        self.candidate_table.doubleClicked.connect(lambda _index: self.assign_selected())
        self.assign_button.clicked.connect(self.assign_selected)
        self.chart_canvas.moved.connect(self._on_chart_canvas_moved)

    # -- state --------------------------------------------------------------------------------
    @property
    def weeks(self) -> int:
        return int(self.range_combo.currentData())

    @property
    def role(self) -> str | None:
        """The role charted."""
        return self.role_combo.currentData()

    def role_demand(self, role: str | None = None) -> an.RoleDemand | None:
        """The figures of ``role`` (the charted one by default)."""
        role = role if role is not None else self.role
        if self.figures is None or role is None:
            return None
        return next((d for d in self.figures.demand if d.role == role), None)

    def selected_demand(self) -> staffing.OpenDemand | None:
        index = self.demand_table.selectionModel().currentIndex()
        return self.demand_model.row_tuple(index.row()) if index.isValid() else None

    def selected_candidate(self) -> CandidateRow | None:
        index = self.candidate_table.selectionModel().currentIndex()
        return self.candidate_model.row_tuple(index.row()) if index.isValid() else None

    def mark_dirty(self) -> None:
        """The data changed: the next ``refresh`` (now, or when shown) reads everything again."""
        self._dirty = True

    @property
    def is_dirty(self) -> bool:
        return self._dirty

    # -- reading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the figures and the open demand again, keeping the role and demand selected."""
        today = self._today()
        self.figures = self.ctx.read(an.utilisation, today, self.weeks, group="role")
        self._dirty = False
        self._fill_roles()
        gaps = an.worst_gaps(self.figures.demand, self.figures.mondays, GAPS_SHOWN)
        self.gaps_model.set_rows(GapRow(g.role, g.role, g.weeks_short, g.hours_short, g.first_week) for g in gaps)
        self._draw()
        kept = self.selected_demand()
        self.demand_model.set_rows(self.ctx.read(staffing.open_demands, today))
        if kept is not None and self.demand_model.view_row_of(kept.id) is not None:
            select_record(self.demand_table, self.demand_model, kept.id)
            self._load_candidates()
        elif self.demand_model.rowCount():
            self.demand_table.selectRow(0)
        else:
            self._load_candidates()

    def _fill_roles(self) -> None:
        current = self.role
        self._syncing = True
        try:
            self.role_combo.clear()
            for demand in self.figures.demand if self.figures else ():
                short = demand.total_shortfall
                label = f"{demand.role} — {short:,.0f} h short" if short > 0 else demand.role
                self.role_combo.addItem(label, demand.role)
            at = self.role_combo.findData(current) if current is not None else -1
            self.role_combo.setCurrentIndex(max(at, 0) if self.role_combo.count() else -1)
        finally:
            self._syncing = False

    def _draw(self) -> None:
        """Show the charted role; the first call imports matplotlib and builds the figure."""
        started = time.perf_counter()
        mondays = self.figures.mondays if self.figures else ()
        if self.chart is None:
            from ...charts.resources import DemandCapacityChart

            self.chart = DemandCapacityChart(self.role_demand(), mondays)
            self.chart_canvas.set_figure(self.chart.figure)
        else:
            self.chart.update(self.role_demand(), mondays)
            self.chart_canvas.draw_idle()
        self.last_draw_seconds = time.perf_counter() - started

    def select_role(self, role: str) -> None:
        """Chart ``role`` (when it has unfilled demand in the range)."""
        at = self.role_combo.findData(role)
        if at >= 0:
            self.role_combo.setCurrentIndex(at)

    # -- staffing -----------------------------------------------------------------------------
    def _load_candidates(self) -> None:
        demand = self.selected_demand()
        if demand is None:
            self.candidate_model.set_rows([])
            self.why_label.clear()
            self.candidates_label.setText("Candidates")
            self.assign_button.setEnabled(False)
            self.hours_spin.setEnabled(False)
            return
        found = self.ctx.read(staffing.candidates, demand.id, today=self._today())
        self.candidate_model.set_rows(
            CandidateRow(c.person_id, rank, c.name, c.free_average, c.weeks_short, c.skill_level, c.why, c.team)
            for rank, c in enumerate(found, start=1)
        )
        skill = f" with {demand.skill}" if demand.skill else ""
        self.candidates_label.setText(
            f"Candidates: {demand.role}{skill}, {demand.hours_per_week:g} h/week" if found
            else f"No active {demand.role} to suggest for this demand")
        self.candidates_label.setToolTip(
            f"{demand.project}: {demand.role}{skill}, {demand.hours_per_week:g} h/week "
            f"from {demand.start_date:%d %b %Y} to {demand.end_date:%d %b %Y}")
        self.hours_spin.setRange(min(0.5, demand.hours_per_week), demand.hours_per_week)
        self.hours_spin.setValue(demand.hours_per_week)
        self.hours_spin.setEnabled(True)
        if found:
            select_record(self.candidate_table, self.candidate_model, found[0].person_id)
        self.assign_button.setEnabled(bool(found))

    def assign_selected(self) -> staffing.Assignment | None:
        """Give the selected demand to the selected candidate (for the hours in the box); undoable."""
        demand, candidate = self.selected_demand(), self.selected_candidate()
        if demand is None or candidate is None:
            return None
        hours = self.hours_spin.value()
        text = staffing.describe_assignment(candidate.name, demand, hours)
        try:
            done = undoable_assign(self.ctx, text, demand.id, candidate.id, hours, demand.version,
                                   refuse_over_allocation=refuses_over_allocation(self.ctx))
        except ServiceError as exc:
            show_error(self, exc, title="Cannot staff this demand")
            return None
        rest = "" if done.demand_removed else f" {demand.hours_per_week - hours:g} h/week stay open."
        warnings = "".join(f"<br><span style='color:{WARNING_COLOUR}'>⚠ {html.escape(w)}</span>"
                           for w in done.warnings)
        self.message_label.setText(f"<b>Done:</b> {html.escape(text)}.{rest} Edit › Undo puts the demand back.{warnings}")
        self.message_label.show()
        self.staffed.emit(candidate.id)
        return done

    # -- slots --------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    def _on_role_combo_changed(self, _index: int) -> None:
        if self._syncing or self.figures is None:
            return
        self._draw()
        select_record(self.gaps_table, self.gaps_model, self.role)

    def _on_range_combo_changed(self, _index: int) -> None:
        if self.figures is not None:
            self.refresh()

    def _on_gaps_table_clicked(self, index: QModelIndex) -> None:
        role = self.gaps_model.row_id(index.row())
        if role is not None:
            self.select_role(role)

    def _on_gaps_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._on_gaps_table_clicked(current)

    def _on_demand_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._load_candidates()
        demand = self.selected_demand()
        if demand is not None:
            self.select_role(demand.role)

    def _on_chart_canvas_moved(self, event) -> None:
        week = self.chart.week_at(event.xdata) if self.chart is not None and event.inaxes else None
        if week is None:
            QToolTip.hideText()
            return
        QToolTip.showText(QCursor.pos(), self.chart.week_summary(week), self.chart_canvas)

    def _on_candidate_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.assign_button.setEnabled(current.isValid())
        candidate = self.selected_candidate()
        self.why_label.setText(f"<b>{candidate.name}</b>: {candidate.why}" if candidate else "")
