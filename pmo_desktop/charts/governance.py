"""Governance health and scorecard charts: exceptions by rule and manager, trends, the gate pipeline (no Qt, no pyplot).

Every figure has a fixed layout (no layout engine), so that redrawing is cheap. ``HorizontalBars``
keeps one bar per key (a rule, a manager) and answers ``key_at(event)`` for a mouse event, which
is how a click on a bar filters the compliance list. The other builders take plain sequences from
``analytics.governance`` and ``analytics.scorecard`` and return a new Figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..analytics.governance import RULE_TITLES, ComplianceSummary, ReportingRate, StageCount
from ..analytics.scorecard import DECISION_ORDER, PeriodFigures

AXIS_TEXT = "#4a4f57"
GRID_COLOUR = "#e3e6ea"
TITLE_COLOUR = "#1f2933"
BAR_COLOUR = "#2f6fbd"
MUTED_COLOUR = "#9aa5b1"
SELECTED_EDGE = "#1d3f73"
TARGET_COLOUR = "#5cb85c"
LINE_COLOUR = "#2f6fbd"
ABOVE_COLOUR, BELOW_COLOUR = "#5cb85c", "#d9534f"
DECISION_COLOURS: dict[str, str] = {
    "approved": "#5cb85c", "approved_with_conditions": "#8fc98f", "deferred": "#f0ad4e", "rejected": "#d9534f",
}
DECISION_WORDS: dict[str, str] = {
    "approved": "Approved", "approved_with_conditions": "With conditions", "deferred": "Deferred",
    "rejected": "Rejected",
}
LIFECYCLE_COLOUR, ASIDE_COLOUR = "#2f6fbd", "#9aa5b1"
_ASIDE_STAGES = ("on_hold", "cancelled")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a horizontal bar chart: what it stands for, its label, its length and colour."""

    key: str
    label: str
    value: float
    colour: str = BAR_COLOUR


def bar_gid(key: str) -> str:
    """The artist id of the bar for ``key`` (tests and hit-testing find bars by it)."""
    return f"bar-{key}"


def _figure(figsize: tuple[float, float], dpi: float, margins: Mapping[str, float]):
    figure = Figure(figsize=figsize, dpi=dpi, facecolor="white")
    figure.subplots_adjust(**margins)
    axes = figure.add_subplot()
    title = figure.text(0.5, 0.975, "", ha="center", va="top", fontsize=10, fontweight="bold", color=TITLE_COLOUR)
    return figure, axes, title


def _style(axes, *, grid_axis: str) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID_COLOUR)
    axes.tick_params(colors=AXIS_TEXT, labelsize=8, length=0)
    axes.grid(axis=grid_axis, color=GRID_COLOUR, linewidth=0.8)
    axes.set_axisbelow(True)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class HorizontalBars:
    """A clickable horizontal bar chart, longest bar's key first at the top; ``update`` redraws in place."""

    def __init__(self, *, figsize: tuple[float, float] = (4.8, 3.2), dpi: float = 100, label_inches: float = 1.9,
                 label_chars: int = 30):
        self.figure, self.axes, self.title = _figure(figsize, dpi, dict(right=0.93, bottom=0.1, top=0.88))
        self.label_inches = label_inches
        self.label_chars = label_chars
        self.bars: list[Bar] = []
        self.patches: dict[str, Rectangle] = {}
        self.selected: str | None = None
        self.fit_labels()
        # Kept by the figure, so it survives the figure moving to a Qt canvas.
        self.figure.canvas.mpl_connect("resize_event", lambda _event: self.fit_labels())

    def fit_labels(self) -> None:
        """Keep the bar labels' room a fixed width in inches, whatever the figure's width."""
        width = self.figure.get_figwidth()
        self.figure.subplots_adjust(left=min(self.label_inches / width, 0.6) if width else 0.45)

    def update(self, title: str, bars: Sequence[Bar], selected: str | None = None, *,
               empty_text: str = "Nothing to show") -> None:
        """Draw ``bars`` top to bottom, with ``selected`` outlined and every other bar paler."""
        ax = self.axes
        ax.clear()
        _style(ax, grid_axis="x")
        self.bars, self.selected, self.patches = list(bars), selected, {}
        self.title.set_text(title)
        if not self.bars:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.text(0.5, 0.5, empty_text, ha="center", va="center", color=AXIS_TEXT, fontsize=9,
                    transform=ax.transAxes)
            return
        positions = list(range(len(self.bars)))[::-1]
        top = max(bar.value for bar in self.bars) or 1
        for position, bar in zip(positions, self.bars, strict=True):
            fade = selected is not None and bar.key != selected
            (patch,) = ax.barh(position, bar.value, height=0.7, color=bar.colour, alpha=0.35 if fade else 1.0,
                               edgecolor=SELECTED_EDGE if bar.key == selected else "none",
                               linewidth=2 if bar.key == selected else 0, gid=bar_gid(bar.key))
            self.patches[bar.key] = patch
            ax.text(bar.value + top * 0.015, position, f"{bar.value:,.0f}", va="center", ha="left", fontsize=8,
                    color=AXIS_TEXT)
        ax.set_yticks(positions, [_shorten(bar.label, self.label_chars) for bar in self.bars])
        ax.set_ylim(-0.6, len(self.bars) - 0.4)
        ax.set_xlim(0, top * 1.15)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))

    def key_at(self, event) -> str | None:
        """The key of the bar under a matplotlib mouse event (or the bar's row, beside a short bar)."""
        if event.inaxes is not self.axes or event.ydata is None or not self.bars:
            return None
        for key, patch in self.patches.items():
            if patch.contains(event)[0]:
                return key
        row = round(event.ydata)
        index = len(self.bars) - 1 - row
        return self.bars[index].key if 0 <= index < len(self.bars) and abs(event.ydata - row) <= 0.35 else None


def rule_bars(summary: ComplianceSummary, colours: Mapping[str, str]) -> list[Bar]:
    """One bar per enabled rule with exceptions, most first (rules in office order on a tie)."""
    order = {key: i for i, key in enumerate(RULE_TITLES)}
    found = [(key, count) for key, count in summary.by_rule.items() if count]
    found.sort(key=lambda item: (-item[1], order[item[0]]))
    return [Bar(key, RULE_TITLES[key], count, colours.get(key, BAR_COLOUR)) for key, count in found]


def manager_bars(summary: ComplianceSummary, limit: int = 10) -> tuple[list[Bar], int]:
    """The ``limit`` managers with most exceptions, and how many more managers were left out."""
    items = list(summary.by_manager.items())
    return [Bar(name, name, count) for name, count in items[:limit]], max(len(items) - limit, 0)


def period_tick(label: str) -> str:
    """A period's label on two lines ("Oct 2026" -> "Oct\n2026"), so that six fit a narrow chart."""
    return label.replace(" ", "\n", 1)


def _percent(value: float, _position=None) -> str:
    return f"{value:.0%}"


def reporting_trend_figure(rates: Sequence[ReportingRate], target: float, *, figsize: tuple[float, float] = (4.8, 3.2),
                           dpi: float = 100) -> Figure:
    """Share of expected status reports received per period, with the office's target as a dashed line."""
    figure, ax, title = _figure(figsize, dpi, dict(left=0.13, right=0.96, bottom=0.17, top=0.86))
    title.set_text(f"Reporting compliance (target {target:.0%})")
    _style(ax, grid_axis="y")
    labels = [rate.label for rate in rates]
    values = [rate.rate if rate.rate is not None else math.nan for rate in rates]
    positions = list(range(len(rates)))
    ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.2, gid="target")
    if rates:
        ax.plot(positions, values, color=LINE_COLOUR, linewidth=2, gid="reporting-rate", zorder=3)
        for x, value in zip(positions, values, strict=True):
            if math.isnan(value):
                continue
            colour = ABOVE_COLOUR if value >= target else BELOW_COLOUR
            ax.plot([x], [value], marker="o", markersize=6, color=colour, zorder=4)
            ax.annotate(f"{value:.0%}", (x, value), textcoords="offset points", xytext=(0, 7), ha="center",
                        fontsize=8, color=AXIS_TEXT)
        ax.set_xticks(positions, [period_tick(label) for label in labels])
    ax.set_xlim(-0.5, max(len(rates) - 0.5, 0.5))
    ax.set_ylim(0, 1.12)
    ax.yaxis.set_major_formatter(FuncFormatter(_percent))
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    return figure


def pipeline_figure(stages: Sequence[StageCount], *, figsize: tuple[float, float] = (4.8, 3.2),
                    dpi: float = 100) -> Figure:
    """Projects per stage: the lifecycle in order (blue), then on hold and cancelled (grey)."""
    figure, ax, title = _figure(figsize, dpi, dict(left=0.1, right=0.98, bottom=0.27, top=0.86))
    title.set_text(f"Gate pipeline: {sum(s.projects for s in stages):,} projects by stage")
    _style(ax, grid_axis="y")
    positions = list(range(len(stages)))
    top = max((s.projects for s in stages), default=0) or 1
    for x, stage in zip(positions, stages, strict=True):
        colour = ASIDE_COLOUR if stage.stage in _ASIDE_STAGES else LIFECYCLE_COLOUR
        ax.bar(x, stage.projects, width=0.7, color=colour, gid=f"stage-{stage.stage}")
        ax.text(x, stage.projects + top * 0.02, f"{stage.projects:,}", ha="center", va="bottom", fontsize=8,
                color=AXIS_TEXT)
    ax.set_xticks(positions, [s.label for s in stages], fontsize=8, rotation=35, ha="right",
                  rotation_mode="anchor")
    ax.set_ylim(0, top * 1.18)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    return figure


def period_columns_figure(periods: Sequence[PeriodFigures], value: Callable[[PeriodFigures], float | None],
                          title: str, fmt: Callable[[float], str], *, target: float | None = None,
                          signed: bool = False, figsize: tuple[float, float] = (4.0, 2.8), dpi: float = 100) -> Figure:
    """One column per period (blank where ``value`` is None), labelled with ``fmt``.

    ``signed`` colours a column red above zero and green at or below (slip, cost variance);
    ``target`` draws a dashed line at that value.
    """
    figure, ax, title_text = _figure(figsize, dpi, dict(left=0.14, right=0.97, bottom=0.17, top=0.84))
    title_text.set_text(title)
    _style(ax, grid_axis="y")
    positions = list(range(len(periods)))
    values = [value(p) for p in periods]
    shown = [v for v in values if v is not None]
    span = max((abs(v) for v in shown), default=0) or 1
    for x, v in zip(positions, values, strict=True):
        if v is None:
            ax.text(x, span * 0.04, "none", ha="center", va="bottom", fontsize=7, color=MUTED_COLOUR)
            continue
        colour = (BELOW_COLOUR if v > 0 else ABOVE_COLOUR) if signed else BAR_COLOUR
        ax.bar(x, v, width=0.65, color=colour, gid=f"period-{x}")
        ax.text(x, v + (span * 0.03 if v >= 0 else -span * 0.03), fmt(v), ha="center",
                va="bottom" if v >= 0 else "top", fontsize=8, color=AXIS_TEXT)
    if target is not None:
        ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.2, gid="target")
        span = max(span, abs(target))
    low = min(min(shown, default=0), 0)
    ax.set_ylim(low - span * 0.15 if low < 0 else 0, max(max(shown, default=0), target or 0, 0) + span * 0.2)
    ax.axhline(0, color=AXIS_TEXT, linewidth=0.6)
    ax.set_xticks(positions, [period_tick(p.label) for p in periods], fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt(v)))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    return figure


def decisions_figure(periods: Sequence[PeriodFigures], *, figsize: tuple[float, float] = (4.0, 2.8),
                     dpi: float = 100) -> Figure:
    """Gate decisions per period, stacked by decision (approved at the bottom, rejected on top)."""
    figure, ax, title = _figure(figsize, dpi, dict(left=0.1, right=0.97, bottom=0.29, top=0.84))
    title.set_text("Gate decisions by period")
    _style(ax, grid_axis="y")
    positions = list(range(len(periods)))
    bottoms = [0] * len(periods)
    for decision in DECISION_ORDER:
        counts = [p.decisions.get(decision, 0) for p in periods]
        ax.bar(positions, counts, bottom=bottoms, width=0.65, color=DECISION_COLOURS[decision],
               label=DECISION_WORDS[decision], gid=f"decisions-{decision}")
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    top = max(bottoms, default=0) or 1
    for x, total in zip(positions, bottoms, strict=True):
        ax.text(x, total + top * 0.02, f"{total}", ha="center", va="bottom", fontsize=8, color=AXIS_TEXT)
    ax.set_xticks(positions, [period_tick(p.label) for p in periods], fontsize=8)
    ax.set_ylim(0, top * 1.2)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    figure.legend(loc="lower center", ncols=4, fontsize=7, frameon=False, bbox_to_anchor=(0.5, 0.0),
                  handlelength=1, columnspacing=1)
    return figure
