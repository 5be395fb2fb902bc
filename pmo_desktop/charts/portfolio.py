"""The Portfolio charts: plain data in, a matplotlib Figure out (no Qt, no pyplot).

One builder per chart, shared by the Portfolio tab and the executive pack:

- ``rag_by_stage_figure``: projects per stage, stacked by RAG;
- ``budget_by_programme_figure``: budget, actual cost and forecast per programme (grouped bars);
- ``spi_cpi_quadrant_figure``: SPI across, CPI up, reference lines at 1.0, outliers named;
- ``roadmap_figure``: bars from baseline start to forecast end with milestone diamonds and a today
  line, grouped by programme, a page of rows at a time;
- ``bubble_figure``: weighted strategic score against open risk exposure, bubble area = budget,
  colour = RAG;
- ``portfolio_trend_figure`` and ``project_trend_figure``: RAG and SPI/CPI over the reporting periods.

The roadmap and the bubble chart are also classes (``RoadmapChart``, ``BubbleChart``) whose
``project_at(event)`` says which project a mouse event is over, so that a click can select it.
Every figure has a fixed layout (no layout engine): margins are worked out from the labels, so a
redraw stays cheap and nothing is clipped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.collections import PathCollection
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..analytics.portfolio import ProjectKpis, Thresholds, rollup
from ..analytics.portfolio_charts import BubblePoint, RoadmapBar
from ..analytics.trends import PeriodSummary, ProjectTrend
from ..model.enums import Stage

RAG_COLOURS: dict[str, str] = {"R": "#d9534f", "A": "#f0ad4e", "G": "#5cb85c"}
"""The program's RAG fills (the same as the tables')."""
RAG_WORDS: dict[str, str] = {"R": "Red", "A": "Amber", "G": "Green"}
UNKNOWN_COLOUR = "#b8bec6"
SPI_COLOUR = "#1d3f73"
CPI_COLOUR = "#c0632b"
BUDGET_COLOURS = ("#8da9c4", "#1d3f73", "#f0ad4e")
TODAY_COLOUR = "#b03a2e"
BASELINE_COLOUR = "#5b21b6"
AXIS_TEXT = "#4a4f57"
GRID_COLOUR = "#e3e6ea"
TITLE_COLOUR = "#1f2933"
NOTE_COLOUR = "#6b7280"
SELECTED_EDGE = "#111827"

TITLE_SIZE = 10
LABEL_SIZE = 8
DEFAULT_SIZE = (7.6, 4.2)
"""Width and height in inches of a chart in the tab (the pack may ask for another size)."""

RagChoice = Literal["reported", "derived"]

_STAGE_ORDER = [*Stage.lifecycle(), Stage.ON_HOLD, Stage.CANCELLED]
_NO_PROGRAMME = "No programme"


# -- formatting -----------------------------------------------------------------------------------

def money_label(amount: float, currency: str = "£") -> str:
    """A short amount: £1.2M, £350k, £900 (negative with a leading minus)."""
    sign = "-" if amount < 0 else ""
    size = abs(amount)
    if size >= 999_500:
        text = f"{size / 1_000_000:,.1f}".removesuffix(".0")
        return f"{sign}{currency}{text}M"
    if size >= 1_000:
        return f"{sign}{currency}{size / 1_000:,.0f}k"
    return f"{sign}{currency}{size:,.0f}"


def period_label(period: dt.date) -> str:
    """ "Nov 26": a reporting period end as month and two-digit year."""
    return f"{period:%b %y}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_MEASURE = RendererAgg(10, 10, 72)


def text_size(text: str, fontsize: float, dpi: float, weight: str = "normal") -> tuple[float, float]:
    """Width and height in pixels of ``text`` at ``fontsize`` points on a figure of ``dpi``."""
    width, height, _descent = _MEASURE.get_text_width_height_descent(
        text, FontProperties(size=fontsize, weight=weight), ismath=False)
    scale = dpi / 72
    return width * scale, height * scale


def _text_inches(texts: Sequence[str], fontsize: float, weight: str = "normal") -> float:
    """The widest of ``texts`` in inches."""
    return max((text_size(t, fontsize, 72, weight)[0] for t in texts), default=0.0) / 72


def _new_figure(figsize: tuple[float, float], dpi: float) -> Figure:
    return Figure(figsize=figsize, dpi=dpi, facecolor="white")


def _title(figure: Figure, text: str, subtitle: str | None = None) -> None:
    """Title centred over the whole figure; the subtitle, in grey, under it."""
    figure.text(0.5, 1 - 0.08 / figure.get_figheight(), text, ha="center", va="top", fontsize=TITLE_SIZE,
                fontweight="bold", color=TITLE_COLOUR, gid="title")
    if subtitle:
        figure.text(0.5, 1 - 0.30 / figure.get_figheight(), subtitle, ha="center", va="top", fontsize=LABEL_SIZE,
                    color=NOTE_COLOUR, gid="subtitle")


def _margins(figure: Figure, *, left: float, right: float = 0.15, top: float = 0.55, bottom: float = 0.5) -> None:
    """Fixed margins given in inches (converted to figure fractions)."""
    width, height = figure.get_figwidth(), figure.get_figheight()
    figure.subplots_adjust(left=min(left / width, 0.6), right=1 - right / width,
                           top=1 - top / height, bottom=min(bottom / height, 0.6))


def _style(ax: Axes, *, grid: Literal["x", "y", "both"] | None = "y") -> None:
    for name, spine in ax.spines.items():
        spine.set_visible(name in ("left", "bottom"))
        spine.set_color("#9aa1a9")
    ax.tick_params(labelsize=LABEL_SIZE, colors=AXIS_TEXT, length=3)
    if grid:
        ax.grid(axis=grid, color=GRID_COLOUR, linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)


def _empty(figure: Figure, ax: Axes, message: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=TITLE_SIZE - 1,
            color=NOTE_COLOUR, gid="empty-note")


def _rag_legend(ax: Axes, *, unknown: bool, loc: str = "upper left", anchor=(1.0, 1.0), **kwargs) -> None:
    handles = [Patch(color=RAG_COLOURS[r], label=RAG_WORDS[r]) for r in ("R", "A", "G")]
    if unknown:
        handles.append(Patch(color=UNKNOWN_COLOUR, label="Not known"))
    ax.legend(handles=handles, loc=loc, bbox_to_anchor=anchor, frameon=False, fontsize=LABEL_SIZE,
              handlelength=1.2, labelcolor=AXIS_TEXT, **kwargs)


def _bottom_legend(figure: Figure, ax: Axes, handles, ncol: int) -> None:
    """A one-row legend along the bottom edge of the figure, under the axis labels."""
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), bbox_transform=figure.transFigure,
              ncol=ncol, frameon=False, fontsize=LABEL_SIZE, handlelength=1.2, labelcolor=AXIS_TEXT,
              borderaxespad=0.2)


# -- labels placed without overlap ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: _Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def inside(self, other: _Box) -> bool:
        return other.x0 <= self.x0 and self.x1 <= other.x1 and other.y0 <= self.y0 and self.y1 <= other.y1


_DIRECTIONS = ((1, 0.6), (1, -0.6), (-1, 0.6), (-1, -0.6), (0, 1), (0, -1), (1, 0), (-1, 0))
"""Where a point label may go, tried in turn: right above, right below, left above, left below, above…"""


def _point_boxes(ax: Axes, xs: Sequence[float], ys: Sequence[float], radius: float) -> list[_Box]:
    """Pixel boxes of markers of ``radius`` points at data positions (obstacles for labels)."""
    r = radius * ax.figure.dpi / 72
    return [_Box(px - r, py - r, px + r, py + r) for px, py in ax.transData.transform(list(zip(xs, ys, strict=True)))]


def _place_labels(ax: Axes, points: Sequence[tuple[float, float, str]], *, radii: Sequence[float] | None = None,
                  avoid: Sequence[_Box] = (), fontsize: float = 7.5, gid: str = "point-label") -> int:
    """Name ``points`` (x, y, text in data coordinates) where the label overlaps nothing placed before.

    A label sits just off its marker (``radii`` in points, 3 by default), trying the directions of
    ``_DIRECTIONS`` in turn; one that fits nowhere inside the axes is left out. Returns how many were
    placed. Needs the axes limits and the figure margins set beforehand.
    """
    figure = ax.figure
    dpi = figure.dpi
    scale = dpi / 72
    bbox = ax.get_window_extent()
    frame = _Box(bbox.x0, bbox.y0, bbox.x1, bbox.y1)
    taken = list(avoid)
    placed = 0
    for i, (x, y, text) in enumerate(points):
        px, py = ax.transData.transform((x, y))
        width, height = text_size(text, fontsize, dpi)
        gap = max((radii[i] if radii else 3.0) + 2.5, 5.0)
        for ux, uy in _DIRECTIONS:
            dx, dy = ux * gap, uy * gap
            ox, oy = dx * scale, dy * scale
            x0 = px + ox if dx > 0 else px + ox - width if dx < 0 else px - width / 2
            y0 = py + oy if dy > 0 else py + oy - height if dy < 0 else py - height / 2
            box = _Box(x0 - 1, y0 - 1, x0 + width + 1, y0 + height + 1)
            if not box.inside(frame) or any(box.overlaps(t) for t in taken):
                continue
            taken.append(box)
            ha = "left" if dx > 0 else "right" if dx < 0 else "center"
            va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
            ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                        fontsize=fontsize, color=TITLE_COLOUR, gid=gid, annotation_clip=False, zorder=6)
            placed += 1
            break
    return placed


# -- RAG by stage ---------------------------------------------------------------------------------

def _rag_of(k: ProjectKpis, which: RagChoice) -> str | None:
    return k.derived_rag if which == "derived" else k.reported_rag


def rag_by_stage_figure(kpis: Sequence[ProjectKpis], *, which: RagChoice = "reported",
                        figsize: tuple[float, float] = DEFAULT_SIZE, dpi: float = 100) -> Figure:
    """Projects per stage (lifecycle order), each bar stacked green, amber, red and not known."""
    figure = _new_figure(figsize, dpi)
    counts: dict[str, dict[str | None, int]] = {}
    for k in kpis:
        stage = k.stage or Stage.IDEA.value
        bucket = counts.setdefault(stage, {})
        rag = _rag_of(k, which)
        rag = rag if rag in RAG_COLOURS else None
        bucket[rag] = bucket.get(rag, 0) + 1
    stages = [s.value for s in _STAGE_ORDER if s.value in counts]
    stages += sorted(s for s in counts if s not in stages)
    labels = [Stage(s).label.replace(" ", "\n") if s in Stage._value2member_map_ else s for s in stages]
    _title(figure, f"Projects by stage and {which} RAG", f"{len(kpis):,} projects")
    _margins(figure, left=0.55, right=1.15, bottom=0.55, top=0.6)
    ax = figure.add_subplot()
    _style(ax)
    if not stages:
        _empty(figure, ax, "No projects to show.")
        return figure
    xs = range(len(stages))
    bottom = [0] * len(stages)
    unknown = any(counts[s].get(None) for s in stages)
    for rag in ("G", "A", "R", None):
        heights = [counts[s].get(rag, 0) for s in stages]
        if not any(heights):
            continue
        colour = RAG_COLOURS.get(rag or "", UNKNOWN_COLOUR)
        bars = ax.bar(xs, heights, bottom=bottom, width=0.66, color=colour, edgecolor="white", linewidth=0.6,
                      gid=f"rag-{rag or 'unknown'}", zorder=2)
        for bar, height in zip(bars, heights, strict=True):
            bar.set_gid(f"rag-{rag or 'unknown'}")
            if height:
                bar.set_label(RAG_WORDS.get(rag or "", "Not known"))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    top = max(bottom)
    ax.set_ylim(0, top * 1.12 + 0.5)
    for x, total in zip(xs, bottom, strict=True):
        ax.text(x, total + top * 0.015, f"{total:,}", ha="center", va="bottom", fontsize=LABEL_SIZE,
                color=TITLE_COLOUR, gid="stage-total")
    ax.set_xticks(list(xs), labels, fontsize=LABEL_SIZE)
    ax.set_xlim(-0.6, len(stages) - 0.4)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Projects", fontsize=LABEL_SIZE + 1, color=AXIS_TEXT)
    _rag_legend(ax, unknown=unknown, anchor=(1.01, 1.0))
    return figure


# -- budget by programme -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProgrammeBudget:
    """One programme's money: budget (BAC), actual cost to date and forecast at completion (EAC)."""

    programme: str
    projects: int
    budget: float
    actual: float
    forecast: float


def programme_budgets(kpis: Sequence[ProjectKpis]) -> list[ProgrammeBudget]:
    """Budget, actual and forecast summed per programme, largest budget first."""
    groups = rollup(kpis, "programme")
    found = [ProgrammeBudget(key or _NO_PROGRAMME, r.projects, r.bac, r.ac, r.eac) for key, r in groups.items()]
    found.sort(key=lambda b: (-b.budget, b.programme))
    return found


def budget_by_programme_figure(kpis: Sequence[ProjectKpis], *, currency: str = "£", limit: int = 12,
                               figsize: tuple[float, float] = DEFAULT_SIZE, dpi: float = 100) -> Figure:
    """Per programme, three bars side by side: budget, actual cost to date, forecast at completion.

    Programmes go down the side, the largest budget on top; past ``limit`` programmes the smaller
    ones are left out and a note says so.
    """
    figure = _new_figure(figsize, dpi)
    budgets = programme_budgets(kpis)
    shown = budgets[:limit]
    note = f"{len(kpis):,} projects in {len(budgets):,} programmes"
    if len(budgets) > len(shown):
        note += f"; the {len(shown)} largest budgets shown"
    _title(figure, f"Budget, actual and forecast by programme ({currency})", note)
    names = [_shorten(b.programme, 30) for b in shown]
    _margins(figure, left=_text_inches(names, LABEL_SIZE) + 0.25, right=0.3, bottom=0.75, top=0.6)
    ax = figure.add_subplot()
    _style(ax, grid="x")
    if not shown:
        _empty(figure, ax, "No projects to show.")
        return figure
    series = (("Budget", [b.budget for b in shown]), ("Actual to date", [b.actual for b in shown]),
              ("Forecast at completion", [b.forecast for b in shown]))
    height = 0.26
    rows = range(len(shown))
    for i, ((label, values), colour) in enumerate(zip(series, BUDGET_COLOURS, strict=True)):
        ys = [row + (i - 1) * height for row in rows]
        ax.barh(ys, values, height=height * 0.92, color=colour, label=label, gid=f"budget-{i}", zorder=2)
    ax.set_yticks(list(rows), names, fontsize=LABEL_SIZE)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: money_label(value, currency)))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, min_n_ticks=3))
    ax.tick_params(axis="y", length=0)
    _bottom_legend(figure, ax, ax.get_legend_handles_labels()[0], ncol=3)
    return figure


# -- SPI vs CPI ------------------------------------------------------------------------------------

_QUADRANTS = (
    (0.985, 0.975, "right", "top", "Ahead of schedule\nunder cost"),
    (0.015, 0.975, "left", "top", "Behind schedule\nunder cost"),
    (0.015, 0.025, "left", "bottom", "Behind schedule\nover cost"),
    (0.985, 0.025, "right", "bottom", "Ahead of schedule\nover cost"),
)


def _index_limits(values: Sequence[float], lowest: float = 0.5, highest: float = 1.5) -> tuple[float, float]:
    """Axis limits around ``values`` that always show 1.0 with room on both sides, within lowest..highest."""
    low = min(min(values, default=1.0) - 0.05, 0.9)
    high = max(max(values, default=1.0) + 0.05, 1.1)
    return max(low, lowest), min(high, highest)


def spi_cpi_quadrant_figure(kpis: Sequence[ProjectKpis], *, max_labels: int = 12,
                            figsize: tuple[float, float] = DEFAULT_SIZE, dpi: float = 100) -> Figure:
    """SPI across, CPI up, one dot per project coloured by its reported RAG; lines at 1.0 split the quadrants.

    Projects furthest from (1, 1) are named (at most ``max_labels``, never overlapping); indices
    beyond 0.5..1.5 are drawn on the edge as open circles so that one wild figure does not squash the rest.
    """
    figure = _new_figure(figsize, dpi)
    points = [k for k in kpis if k.spi is not None and k.cpi is not None]
    thresholds = points[0].thresholds if points else Thresholds()
    missing = len(kpis) - len(points)
    note = f"{len(points):,} projects with both indices"
    if missing:
        note += f"; {missing:,} without (nothing planned, earned or spent yet)"
    _title(figure, "Schedule (SPI) against cost (CPI) performance", note)
    _margins(figure, left=0.6, right=1.15, bottom=0.55, top=0.6)
    ax = figure.add_subplot()
    _style(ax, grid="both")
    if not points:
        _empty(figure, ax, "No project has both an SPI and a CPI yet.")
        return figure
    x_low, x_high = _index_limits([k.spi for k in points])  # type: ignore[misc]
    y_low, y_high = _index_limits([k.cpi for k in points])  # type: ignore[misc]
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    inside, edge = [], []
    for k in points:
        x = min(max(k.spi, x_low), x_high)  # type: ignore[type-var]
        y = min(max(k.cpi, y_low), y_high)  # type: ignore[type-var]
        (inside if (x, y) == (k.spi, k.cpi) else edge).append((k, x, y))
    # Amber and red bands: pale shading below the office's index thresholds.
    ax.axvspan(x_low, thresholds.red_index, color=RAG_COLOURS["R"], alpha=0.06, zorder=0, lw=0)
    ax.axhspan(y_low, thresholds.red_index, color=RAG_COLOURS["R"], alpha=0.06, zorder=0, lw=0)
    ax.axvline(1.0, color="#6b7280", linewidth=1.0, zorder=1, gid="spi-1")
    ax.axhline(1.0, color="#6b7280", linewidth=1.0, zorder=1, gid="cpi-1")
    for group, hollow in ((inside, False), (edge, True)):
        if not group:
            continue
        colours = [RAG_COLOURS.get(k.reported_rag or "", UNKNOWN_COLOUR) for k, _x, _y in group]
        ax.scatter([x for _k, x, _y in group], [y for _k, _x, y in group], s=34, zorder=3,
                   facecolors="white" if hollow else colours, edgecolors=colours if hollow else "white",
                   linewidths=1.4 if hollow else 0.6, gid="off-scale" if hollow else "projects", clip_on=not hollow)
    ax.set_xlabel("SPI = EV ÷ PV  →  ahead of schedule", fontsize=LABEL_SIZE + 1, color=AXIS_TEXT)
    ax.set_ylabel("CPI = EV ÷ AC  →  under cost", fontsize=LABEL_SIZE + 1, color=AXIS_TEXT)
    placed = inside + edge
    avoid = _point_boxes(ax, [x for _k, x, _y in placed], [y for _k, _x, y in placed], 3.5)
    for x, y, ha, va, text in _QUADRANTS:
        label = ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=LABEL_SIZE - 0.5,
                        color=NOTE_COLOUR, gid="quadrant", linespacing=1.1, zorder=5,
                        bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.0})
        avoid.append(_text_box(ax, label))
    furthest = sorted(points, key=lambda k: -math.hypot(k.spi - 1, k.cpi - 1))[:max_labels]  # type: ignore[operator]
    outliers = [k for k in furthest if _banded_out(k, thresholds)]
    positions = {k.project_id: (x, y) for k, x, y in placed}
    _place_labels(ax, [(*positions[k.project_id], k.code) for k in outliers], avoid=avoid)
    _rag_legend(ax, unknown=any(k.reported_rag not in RAG_COLOURS for k in points), anchor=(1.01, 1.0))
    if edge:
        ax.text(1.01, 0.0, f"○ {len(edge)} off the\nscale, on the edge", transform=ax.transAxes, ha="left",
                va="bottom", fontsize=LABEL_SIZE - 0.5, color=NOTE_COLOUR, gid="off-scale-note")
    return figure


def _banded_out(k: ProjectKpis, thresholds: Thresholds) -> bool:
    """True when the SPI or the CPI is below the amber threshold, or well above plan."""
    return min(k.spi, k.cpi) < thresholds.amber_index or max(k.spi, k.cpi) > 1.15  # type: ignore[type-var]


def _text_box(ax: Axes, text) -> _Box:
    """The pixel box of an axes-fraction text, measured rather than drawn."""
    figure = ax.figure
    width, height = 0.0, 0.0
    for line in text.get_text().split("\n"):
        w, h = text_size(line, text.get_fontsize(), figure.dpi)
        width, height = max(width, w), height + h * 1.1
    x, y = ax.transAxes.transform(text.get_position())
    x0 = {"left": x, "right": x - width, "center": x - width / 2}[text.get_ha()]
    y0 = {"bottom": y, "top": y - height, "center": y - height / 2}[text.get_va()]
    return _Box(x0 - 2, y0 - 2, x0 + width + 2, y0 + height + 2)


# -- roadmap ---------------------------------------------------------------------------------------

ROADMAP_PAGE = 30
"""Rows of a roadmap page (projects and programme headings): readable in the tab and on a PDF page."""
ROADMAP_ROW_INCHES = 0.19
_ROADMAP_FRAME_INCHES = 1.35


def roadmap_rows_per_page(height: float) -> int:
    """How many roadmap rows fit a figure ``height`` inches tall and stay readable (at least six)."""
    return max(6, int((height - _ROADMAP_FRAME_INCHES) / ROADMAP_ROW_INCHES))


@dataclass(frozen=True, slots=True)
class _RoadmapRow:
    """A heading (programme, no bar) or a project's bar."""

    label: str
    bar: RoadmapBar | None = None


def roadmap_rows(bars: Sequence[RoadmapBar]) -> list[_RoadmapRow]:
    """Bars grouped by programme (in the order given), each group under a heading row."""
    rows: list[_RoadmapRow] = []
    current: object = object()
    for bar in bars:
        programme = bar.programme or _NO_PROGRAMME
        if programme != current:
            rows.append(_RoadmapRow(programme))
            current = programme
        rows.append(_RoadmapRow(f"{bar.code}  {_shorten(bar.name, 26)}", bar))
    return rows


def roadmap_pages(bars: Sequence[RoadmapBar], per_page: int = ROADMAP_PAGE) -> int:
    """How many pages of ``per_page`` rows the roadmap of ``bars`` takes (at least one)."""
    return max(1, math.ceil(len(roadmap_rows(bars)) / per_page))


class RoadmapChart:
    """One page of the roadmap; ``project_at`` finds the project under a mouse event."""

    def __init__(self, bars: Sequence[RoadmapBar], today: dt.date, *, page: int = 0, per_page: int = ROADMAP_PAGE,
                 figsize: tuple[float, float] | None = None, dpi: float = 100, not_shown: int = 0,
                 selected: int | None = None, today_label: str = "Today"):
        self.selected = selected
        self.today_label = today_label
        every = roadmap_rows(bars)
        self.pages = max(1, math.ceil(len(every) / per_page))
        self.page = min(max(page, 0), self.pages - 1)
        rows = every[self.page * per_page:(self.page + 1) * per_page]
        if rows and rows[0].bar is not None:
            # A page that starts inside a programme repeats its heading.
            rows.insert(0, _RoadmapRow(f"{rows[0].bar.programme or _NO_PROGRAMME} (continued)"))
        self.rows = rows
        width = figsize[0] if figsize else DEFAULT_SIZE[0]
        height = figsize[1] if figsize else max(2.6, _ROADMAP_FRAME_INCHES + ROADMAP_ROW_INCHES * max(len(rows), 6))
        self.figure = _new_figure((width, height), dpi)
        shown = [r.bar for r in rows if r.bar is not None]
        first = self.page * per_page
        subtitle = f"{len(bars):,} projects, by programme"
        if self.pages > 1:
            subtitle += f"; rows {first + 1:,}–{first + len(every[first:first + per_page]):,} of {len(every):,}" \
                        f" (page {self.page + 1} of {self.pages})"
        if not_shown:
            subtitle += f"; {not_shown:,} without a start or end date not shown"
        _title(self.figure, "Roadmap: baseline start to forecast end", subtitle)
        labels = [r.label for r in rows]
        # Measured in bold: headings and the selected project's label are drawn bold.
        _margins(self.figure, left=_text_inches(labels, LABEL_SIZE, "bold") + 0.2, right=0.2, top=0.62, bottom=0.62)
        self.axes = self.figure.add_subplot()
        _style(self.axes, grid="x")
        if not shown:
            _empty(self.figure, self.axes, "No project has a baseline start and an end date.")
            return
        self._draw(rows, today)

    def _draw(self, rows: Sequence[_RoadmapRow], today: dt.date) -> None:
        ax = self.axes
        for y, row in enumerate(rows):
            bar = row.bar
            if bar is None:
                continue
            start, end = date2num(bar.start), date2num(bar.end)
            chosen = bar.project_id == self.selected
            ax.barh(y, max(end - start, 1.0), left=start, height=0.62, zorder=2, gid=f"project-{bar.project_id}",
                    color=RAG_COLOURS.get(bar.rag or "", UNKNOWN_COLOUR), edgecolor=SELECTED_EDGE if chosen else "white",
                    linewidth=1.8 if chosen else 0.5)
            if bar.baseline_end is not None and bar.baseline_end != bar.end:
                ax.plot([date2num(bar.baseline_end)] * 2, [y - 0.42, y + 0.42], color=BASELINE_COLOUR,
                        linewidth=1.6, zorder=3, gid="baseline-end", solid_capstyle="butt")
            if bar.milestones:
                done = [date2num(m.date) for m in bar.milestones if m.achieved]
                todo = [date2num(m.date) for m in bar.milestones if not m.achieved]
                ax.scatter(done, [y] * len(done), marker="D", s=22, color="#1f2933", zorder=4, gid="milestone-done",
                           linewidths=0.5, edgecolors="white")
                ax.scatter(todo, [y] * len(todo), marker="D", s=22, color="white", zorder=4, gid="milestone",
                           linewidths=1.0, edgecolors="#1f2933")
        ax.set_yticks(range(len(rows)), [r.label for r in rows], fontsize=LABEL_SIZE)
        for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
            if row.bar is None or row.bar.project_id == self.selected:
                tick.set_fontweight("bold")
                tick.set_color(TITLE_COLOUR)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ends = [date2num(r.bar.end) for r in rows if r.bar]
        starts = [date2num(r.bar.start) for r in rows if r.bar]
        milestone_days = [date2num(m.date) for r in rows if r.bar for m in r.bar.milestones]
        milestone_days += [date2num(r.bar.baseline_end) for r in rows if r.bar and r.bar.baseline_end]
        now = date2num(today)
        low, high = min([*starts, *milestone_days, now]), max([*ends, *milestone_days, now])
        pad = max((high - low) * 0.02, 5)
        ax.set_xlim(low - pad, high + pad)
        locator = AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
        ax.axvline(now, color=TODAY_COLOUR, linewidth=1.2, linestyle="--", zorder=5, gid="today")
        ax.annotate(f"{self.today_label} {today:%d %b %Y}", (now, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=LABEL_SIZE - 0.5,
                    color=TODAY_COLOUR, gid="today-label")
        handles = [Patch(color=RAG_COLOURS[r], label=RAG_WORDS[r]) for r in ("R", "A", "G")]
        handles += [Line2D([], [], marker="D", color="#1f2933", linestyle="", markersize=5, label="Milestone achieved"),
                    Line2D([], [], marker="D", markerfacecolor="white", markeredgecolor="#1f2933", linestyle="",
                           markersize=5, label="Milestone to come"),
                    Line2D([], [], marker="|", color=BASELINE_COLOUR, linestyle="", markersize=9,
                           markeredgewidth=1.6, label="Baseline end")]
        _bottom_legend(self.figure, ax, handles, ncol=6)

    def project_at(self, event) -> int | None:
        """The project whose row is under a mouse event over the axes (None elsewhere or on a heading)."""
        if getattr(event, "inaxes", None) is not self.axes or event.ydata is None:
            return None
        row = round(event.ydata)
        if not 0 <= row < len(self.rows) or abs(event.ydata - row) > 0.45:
            return None
        bar = self.rows[row].bar
        return bar.project_id if bar is not None else None

    def row_of(self, project_id: int) -> int | None:
        """The row index of a project on this page (None when it is on another page)."""
        return next((i for i, r in enumerate(self.rows) if r.bar and r.bar.project_id == project_id), None)


def roadmap_page_of(bars: Sequence[RoadmapBar], project_id: int, per_page: int = ROADMAP_PAGE) -> int | None:
    """The page on which ``project_id``'s bar is drawn (None when it has no bar)."""
    for i, row in enumerate(roadmap_rows(bars)):
        if row.bar is not None and row.bar.project_id == project_id:
            return i // per_page
    return None


def roadmap_figure(bars: Sequence[RoadmapBar], today: dt.date, *, page: int = 0, per_page: int = ROADMAP_PAGE,
                   figsize: tuple[float, float] | None = None, dpi: float = 100, not_shown: int = 0,
                   selected: int | None = None, today_label: str = "Today") -> Figure:
    """One page of the roadmap as a new Figure (``roadmap_pages`` says how many pages there are).

    Without ``figsize`` the figure is as tall as its rows need; ``not_shown`` counts the projects
    left out for want of dates (said in the subtitle); the dashed line at ``today`` is labelled
    ``today_label`` ("As of" for a past period).
    """
    return RoadmapChart(bars, today, page=page, per_page=per_page, figsize=figsize, dpi=dpi,
                        not_shown=not_shown, selected=selected, today_label=today_label).figure


# -- bubble ----------------------------------------------------------------------------------------

BUBBLE_AREA = (24.0, 1400.0)
"""Smallest and largest bubble area in points²: the largest budget gets the largest bubble."""
_CROWD = 60
"""Past this many bubbles the largest area shrinks (with the square root of the count) so the chart stays legible."""


class BubbleChart:
    """Weighted score against risk exposure, area = budget; ``project_at`` finds the bubble under a mouse event."""

    def __init__(self, points: Sequence[BubblePoint], *, currency: str = "£", selected: int | None = None,
                 max_labels: int = 10, figsize: tuple[float, float] = DEFAULT_SIZE, dpi: float = 100):
        self.figure = _new_figure(figsize, dpi)
        shown = sorted((p for p in points if p.score is not None), key=lambda p: -(p.budget or 0.0))
        self.points: list[BubblePoint] = shown
        unscored = len(points) - len(shown)
        note = f"{len(shown):,} scored projects; bubble area is the budget"
        if unscored:
            note += f"; {unscored:,} not scored yet, not shown"
        _title(self.figure, "Strategic score against open risk exposure", note)
        _margins(self.figure, left=0.6, right=1.5, bottom=0.55, top=0.6)
        self.axes = self.figure.add_subplot()
        _style(self.axes, grid="both")
        self.collection: PathCollection | None = None
        if not shown:
            _empty(self.figure, self.axes, "No project has a strategic score yet.")
            return
        self._draw(currency, selected, max_labels)

    def _draw(self, currency: str, selected: int | None, max_labels: int) -> None:
        ax, shown = self.axes, self.points
        largest = max((p.budget or 0.0) for p in shown) or 1.0
        small, big = BUBBLE_AREA
        big = max(small * 10, big * min(1.0, math.sqrt(_CROWD / len(shown))))
        self.sizes = [small + (big - small) * (p.budget or 0.0) / largest for p in shown]
        colours = [RAG_COLOURS.get(p.rag or "", UNKNOWN_COLOUR) for p in shown]
        edges = [SELECTED_EDGE if p.project_id == selected else "white" for p in shown]
        widths = [2.2 if p.project_id == selected else 0.7 for p in shown]
        # Largest first so that small bubbles sit on top and stay clickable.
        self.collection = ax.scatter([p.exposure for p in shown], [p.score for p in shown], s=self.sizes,
                                     c=colours, alpha=0.78 if len(shown) <= _CROWD else 0.6, edgecolors=edges, linewidths=widths, zorder=3,
                                     gid="bubbles", picker=True)
        top = max(p.exposure for p in shown)
        ax.set_xlim(-max(top * 0.06, 1.5), top * 1.08 + 2)
        ax.set_ylim(-0.3, 5.4)
        ax.set_xlabel("Open risk exposure (sum of likelihood × impact)", fontsize=LABEL_SIZE + 1, color=AXIS_TEXT)
        ax.set_ylabel("Weighted strategic score (0–5)", fontsize=LABEL_SIZE + 1, color=AXIS_TEXT)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        order = sorted(range(len(shown)), key=lambda i: (shown[i].project_id != selected, i))[:max_labels]
        _place_labels(ax, [(shown[i].exposure, shown[i].score, shown[i].code) for i in order],  # type: ignore[misc]
                      radii=[math.sqrt(self.sizes[i]) / 2 for i in order])
        _rag_legend(ax, unknown=any(p.rag not in RAG_COLOURS for p in shown), anchor=(1.01, 1.0))
        ax.text(1.02, 0.02, f"Largest bubble:\n{money_label(largest, currency)}", transform=ax.transAxes,
                ha="left", va="bottom", fontsize=LABEL_SIZE - 0.5, color=NOTE_COLOUR, gid="size-key")

    def project_at(self, event) -> int | None:
        """The project whose bubble is under a mouse event (the smallest one when bubbles overlap)."""
        if self.collection is None or getattr(event, "inaxes", None) is not self.axes:
            return None
        hit, info = self.collection.contains(event)
        if not hit or not len(info.get("ind", ())):
            return None
        index = min(info["ind"], key=lambda i: self.sizes[i])
        return self.points[index].project_id


def bubble_figure(points: Sequence[BubblePoint], *, currency: str = "£", selected: int | None = None,
                  figsize: tuple[float, float] = DEFAULT_SIZE, dpi: float = 100) -> Figure:
    """The bubble chart as a new Figure (``BubbleChart`` when a click should select a project)."""
    return BubbleChart(points, currency=currency, selected=selected, figsize=figsize, dpi=dpi).figure


# -- trends ----------------------------------------------------------------------------------------

def _period_ticks(ax: Axes, periods: Sequence[dt.date], max_labels: int = 12) -> None:
    """A label every k-th period so that at most ``max_labels`` show (always the latest)."""
    n = len(periods)
    step = max(1, math.ceil(n / max_labels))
    shown = [i for i in range(n) if (n - 1 - i) % step == 0]
    ax.set_xticks(shown, [period_label(periods[i]) for i in shown], fontsize=LABEL_SIZE)
    ax.set_xlim(-0.6, n - 0.4)


def _index_axes(ax: Axes, periods: Sequence[dt.date], spi: Sequence[float | None], cpi: Sequence[float | None],
                thresholds: Thresholds) -> None:
    """SPI and CPI lines over the periods, a reference line at 1.0 and the red band shaded."""
    xs = range(len(periods))
    values = [v for v in (*spi, *cpi) if v is not None]
    # Wide bounds: a young project's SPI often starts far below 1 and must not be flattened onto the edge.
    low, high = _index_limits(values, 0.0, 2.0)
    ax.set_ylim(low, high)
    ax.axhspan(low, thresholds.red_index, color=RAG_COLOURS["R"], alpha=0.07, lw=0, zorder=0)
    ax.axhspan(thresholds.red_index, thresholds.amber_index, color=RAG_COLOURS["A"], alpha=0.08, lw=0, zorder=0)
    ax.axhline(1.0, color="#6b7280", linewidth=0.9, zorder=1)
    for name, series, colour in (("SPI", spi, SPI_COLOUR), ("CPI", cpi, CPI_COLOUR)):
        clipped = [None if v is None else min(max(v, low), high) for v in series]
        ax.plot(xs, [math.nan if v is None else v for v in clipped], color=colour, marker="o", markersize=3.5,
                linewidth=1.8, label=name, gid=name.lower(), zorder=3)
    ax.set_ylabel("Index", fontsize=LABEL_SIZE + 1, color=AXIS_TEXT)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=LABEL_SIZE,
              handlelength=1.4, labelcolor=AXIS_TEXT)


def portfolio_trend_figure(periods: Sequence[PeriodSummary], *, thresholds: Thresholds = Thresholds(),  # noqa: B008
                           figsize: tuple[float, float] = DEFAULT_SIZE, dpi: float = 100) -> Figure:
    """Above: reported RAG counts per period, stacked. Below: the portfolio SPI and CPI (sum EV / sum PV…)."""
    figure = _new_figure(figsize, dpi)
    note = "RAG of each period's status reports; SPI and CPI from the summed money"
    if periods:
        note = f"{len(periods)} periods to {periods[-1].period_end:%d %b %Y}; " + note
    _title(figure, "Portfolio trend over the reporting periods", note)
    _margins(figure, left=0.6, right=1.15, bottom=0.45, top=0.62)
    grid = figure.add_gridspec(2, 1, height_ratios=(1.15, 1.0), hspace=0.28)
    rag_ax = figure.add_subplot(grid[0])
    index_ax = figure.add_subplot(grid[1], sharex=rag_ax)
    _style(rag_ax)
    _style(index_ax)
    if not periods:
        index_ax.set_visible(False)
        rag_ax.set_position(grid[:, 0].get_position(figure))
        _empty(figure, rag_ax, "No status reports in these periods.")
        return figure
    ends = [p.period_end for p in periods]
    xs = range(len(periods))
    bottom = [0] * len(periods)
    for rag in ("G", "A", "R", None):
        heights = [p.rag_counts.get(rag, 0) if rag else p.no_rag for p in periods]
        if not any(heights):
            continue
        rag_ax.bar(xs, heights, bottom=bottom, width=0.7, color=RAG_COLOURS.get(rag or "", UNKNOWN_COLOUR),
                   edgecolor="white", linewidth=0.5, gid=f"rag-{rag or 'unknown'}", zorder=2)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    rag_ax.set_ylim(0, max(bottom) * 1.08 + 0.5)
    rag_ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    rag_ax.set_ylabel("Reports", fontsize=LABEL_SIZE + 1, color=AXIS_TEXT)
    rag_ax.tick_params(axis="x", labelbottom=False)
    _rag_legend(rag_ax, unknown=any(p.no_rag for p in periods), anchor=(1.01, 1.0))
    _index_axes(index_ax, ends, [p.spi for p in periods], [p.cpi for p in periods], thresholds)
    _period_ticks(index_ax, ends)
    return figure


def project_trend_figure(trend: ProjectTrend | None, *, thresholds: Thresholds = Thresholds(),  # noqa: B008
                         figsize: tuple[float, float] = DEFAULT_SIZE, dpi: float = 100) -> Figure:
    """One project over its reports: its RAG per period as a strip of squares, and its SPI and CPI below."""
    figure = _new_figure(figsize, dpi)
    if trend is None:
        _title(figure, "Project trend")
    else:
        _title(figure, _shorten(f"{trend.code}  {trend.name}: trend over its status reports", 90),
               f"{len(trend.periods)} reports" + (f" to {trend.periods[-1].period_end:%d %b %Y}"
                                                  if trend.periods else ""))
    _margins(figure, left=0.6, right=1.15, bottom=0.45, top=0.62)
    grid = figure.add_gridspec(2, 1, height_ratios=(0.28, 1.0), hspace=0.18)
    rag_ax = figure.add_subplot(grid[0])
    index_ax = figure.add_subplot(grid[1], sharex=rag_ax)
    _style(index_ax)
    if trend is None or not trend.periods:
        rag_ax.set_visible(False)
        _empty(figure, index_ax, "Select a project in the table to see its trend." if trend is None
               else "This project has no status reports yet.")
        return figure
    periods = trend.periods
    ends = [p.period_end for p in periods]
    xs = range(len(periods))
    rag_ax.bar(xs, [1] * len(periods), width=0.86, color=[RAG_COLOURS.get(p.rag or "", UNKNOWN_COLOUR)
                                                          for p in periods], gid="rag-strip", zorder=2)
    for x, p in zip(xs, periods, strict=True):
        if len(periods) <= 18:
            rag_ax.text(x, 0.5, p.rag or "–", ha="center", va="center", fontsize=LABEL_SIZE - 0.5,
                        color="#1f1f1f" if p.rag in ("A", None) else "white", gid="rag-letter")
    rag_ax.set_ylim(0, 1)
    rag_ax.set_yticks([0.5], ["RAG"], fontsize=LABEL_SIZE)
    rag_ax.tick_params(axis="x", labelbottom=False, length=0)
    rag_ax.tick_params(axis="y", length=0, colors=AXIS_TEXT)
    for spine in rag_ax.spines.values():
        spine.set_visible(False)
    _index_axes(index_ax, ends, [p.spi for p in periods], [p.cpi for p in periods], thresholds)
    _period_ticks(index_ax, ends)
    return figure


CHART_BUILDERS: dict[str, Callable[..., Figure]] = {
    "rag_by_stage": rag_by_stage_figure,
    "budget_by_programme": budget_by_programme_figure,
    "spi_cpi_quadrant": spi_cpi_quadrant_figure,
    "roadmap": roadmap_figure,
    "bubble": bubble_figure,
    "portfolio_trend": portfolio_trend_figure,
    "project_trend": project_trend_figure,
}
"""Every builder by a short key (the pack and the self-test draw them all)."""
