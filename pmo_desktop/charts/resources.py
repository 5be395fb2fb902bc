"""Demand against capacity for one role, week by week (no Qt, no pyplot).

Each week is a stacked bar: hours already allocated to the role's people, then the unfilled
demand, split into the part the role's free hours could cover ("coverable", amber) and the part
beyond them ("short", red). A step line marks the role's capacity (available hours after holidays and
absences), so a bar poking above the line is a week the role cannot staff from its own people.

The figure has a fixed layout (no layout engine): ``DemandCapacityChart.update`` clears the axes
and draws the next role into the same figure, which keeps a redraw well under 150 ms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..analytics.resources import RoleDemand

ALLOCATED_COLOUR = "#8da9c4"
COVERABLE_COLOUR = "#f0ad4e"
SHORT_COLOUR = "#d9534f"
CAPACITY_COLOUR = "#1d3f73"
AXIS_TEXT = "#4a4f57"
GRID_COLOUR = "#e3e6ea"
TITLE_COLOUR = "#1f2933"

#: Artist ids of the three bar series and the capacity line (tests and hit-testing find them by these).
ALLOCATED_GID = "allocated"
COVERABLE_GID = "unfilled-coverable"
SHORT_GID = "unfilled-short"
CAPACITY_GID = "capacity"


def month_ticks(mondays: Sequence[dt.date]) -> tuple[list[int], list[str]]:
    """Week indexes where a month starts, labelled "Dec" (with the year on the first label and on January).

    The first week counts as a month start; when the next month starts fewer than three weeks
    later, that partial month goes unlabelled so that the labels do not overlap.
    """
    starts: list[int] = []
    for i, monday in enumerate(mondays):
        if i == 0 or monday.month != mondays[i - 1].month:
            starts.append(i)
    if len(starts) > 1 and starts[1] - starts[0] < 3:
        starts.pop(0)
    labels = [f"{mondays[i]:%b %Y}" if n == 0 or mondays[i].month == 1 else f"{mondays[i]:%b}"
              for n, i in enumerate(starts)]
    return starts, labels


def split_demand(role_demand: RoleDemand) -> tuple[list[float], list[float]]:
    """Per week, the unfilled demand the role's free hours could cover, and the hours beyond them."""
    coverable = [min(d, f) for d, f in zip(role_demand.demand, role_demand.free, strict=True)]
    return coverable, list(role_demand.shortfall)


def chart_title(role_demand: RoleDemand, weeks: int) -> str:
    """ "Developer — demand vs capacity, next 26 weeks"."""
    return f"{role_demand.role} — demand vs capacity, next {weeks} weeks"


class DemandCapacityChart:
    """A Figure that shows one role's weekly demand against capacity; ``update`` shows another role."""

    def __init__(self, role_demand: RoleDemand | None, mondays: Sequence[dt.date], *,
                 figsize: tuple[float, float] = (7.0, 3.6), dpi: float = 100):
        self.figure = Figure(figsize=figsize, dpi=dpi, facecolor="white")
        # Fixed margins: hours labels on the left, month labels and the legend below, the title above.
        self.figure.subplots_adjust(left=0.085, right=0.985, bottom=0.24, top=0.88)
        self.axes = self.figure.add_subplot()
        self.title = self.figure.text(0.5, 0.965, "", ha="center", va="top", fontsize=10, fontweight="bold",
                                      color=TITLE_COLOUR)
        self.role_demand: RoleDemand | None = None
        self.mondays: tuple[dt.date, ...] = ()
        self.update(role_demand, mondays)

    def update(self, role_demand: RoleDemand | None, mondays: Sequence[dt.date]) -> None:
        """Draw ``role_demand`` over the weeks starting ``mondays`` (None: a note that nothing is unfilled)."""
        self.role_demand, self.mondays = role_demand, tuple(mondays)
        ax = self.axes
        ax.clear()
        self._style_axes()
        if role_demand is None or not self.mondays:
            self.title.set_text("Demand vs capacity")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.text(0.5, 0.5, "No unfilled demand in these weeks.", transform=ax.transAxes, ha="center",
                    va="center", fontsize=10, color=AXIS_TEXT)
            return
        weeks = range(len(self.mondays))
        allocated = list(role_demand.allocated or [0.0] * len(weeks))
        coverable, short = split_demand(role_demand)
        ax.bar(weeks, allocated, width=0.78, color=ALLOCATED_COLOUR, gid=ALLOCATED_GID, zorder=2)
        bottom = allocated
        ax.bar(weeks, coverable, width=0.78, bottom=bottom, color=COVERABLE_COLOUR, gid=COVERABLE_GID, zorder=2)
        bottom = [a + c for a, c in zip(allocated, coverable, strict=True)]
        ax.bar(weeks, short, width=0.78, bottom=bottom, color=SHORT_COLOUR, gid=SHORT_GID, zorder=2)
        capacity = list(role_demand.available or [0.0] * len(weeks))
        # A step line across each bar's full width: week i's capacity from i - 0.5 to i + 0.5.
        xs = [x for i in weeks for x in (i - 0.5, i + 0.5)]
        ys = [c for c in capacity for _ in (0, 1)]
        ax.plot(xs, ys, color=CAPACITY_COLOUR, linewidth=2.0, gid=CAPACITY_GID, zorder=3)
        top = max(max((b + s for b, s in zip(bottom, short, strict=True)), default=0.0), max(capacity, default=0.0))
        ax.set_ylim(0, top * 1.08 if top > 0 else 1)
        ax.set_xlim(-0.6, len(weeks) - 0.4)
        positions, labels = month_ticks(self.mondays)
        ax.set_xticks(positions, labels, fontsize=8, color=AXIS_TEXT, ha="left")
        ax.set_xticks(list(weeks), minor=True)
        self.title.set_text(chart_title(role_demand, len(weeks)))
        self._legend()

    def _style_axes(self) -> None:
        ax = self.axes
        for name, spine in ax.spines.items():
            spine.set_visible(name == "bottom")
        ax.spines["bottom"].set_color("#9aa1a9")
        ax.tick_params(axis="y", labelsize=8, colors=AXIS_TEXT, length=0)
        ax.tick_params(axis="x", which="major", length=5, color="#9aa1a9", pad=3)
        ax.tick_params(axis="x", which="minor", length=2, color="#c4c9cf")
        ax.grid(axis="y", color=GRID_COLOUR, linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        ax.set_ylabel("Hours per week", fontsize=9, color=AXIS_TEXT, labelpad=4)

    def _legend(self) -> None:
        handles = [
            Line2D([], [], color=CAPACITY_COLOUR, linewidth=2.0, label="Capacity"),
            Patch(color=ALLOCATED_COLOUR, label="Allocated"),
            Patch(color=COVERABLE_COLOUR, label="Unfilled, coverable"),
            Patch(color=SHORT_COLOUR, label="Unfilled, short"),
        ]
        self.axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=4, frameon=False,
                         fontsize=8, handlelength=1.4, columnspacing=1.4, labelcolor=AXIS_TEXT)

    def week_at(self, x: float | None) -> int | None:
        """The week index under data coordinate ``x`` (None off the bars or with nothing charted)."""
        if x is None or self.role_demand is None or not self.mondays:
            return None
        week = round(x)
        return week if 0 <= week < len(self.mondays) and abs(x - week) <= 0.5 else None

    def week_summary(self, week: int) -> str:
        """One week in words: "Week of 7 Dec 2026: capacity 560 h, allocated 450 h, unfilled 180 h (70 h short)"."""
        role, monday = self.role_demand, self.mondays[week]
        assert role is not None
        capacity = role.available[week] if role.available else 0.0
        allocated = role.allocated[week] if role.allocated else 0.0
        text = (f"Week of {monday.day} {monday:%b %Y}: capacity {capacity:,.0f} h, allocated {allocated:,.0f} h, "
                f"unfilled {role.demand[week]:,.0f} h")
        short = role.shortfall[week]
        return text + (f" ({short:,.0f} h short)" if short > 0 else "")

    def totals(self) -> dict[str, float]:
        """Hours drawn by each series, summed over the weeks (what a reader would add up)."""
        result = {}
        for gid in (ALLOCATED_GID, COVERABLE_GID, SHORT_GID):
            result[gid] = sum(p.get_height() for p in self.axes.patches if p.get_gid() == gid)
        return result


def demand_capacity_figure(role_demand: RoleDemand | None, weeks: Sequence[dt.date]) -> Figure:
    """One role's weekly demand against capacity as a new Figure (``weeks`` are the Mondays shown)."""
    return DemandCapacityChart(role_demand, weeks).figure
