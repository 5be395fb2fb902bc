"""The Risks tab's charts (no Qt, no pyplot): the 5x5 heat map, exposure by category or programme,
open items and exposure per period, and the ageing histogram.

Every figure has a fixed layout (no layout engine) so that redrawing it is cheap. ``HeatMap`` keeps its
25 cell patches and texts and updates them in place; the bar charts clear their axes and draw again,
which stays cheap because they draw aggregates (a dozen bars whether there are 100 items or 20,000).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..analytics.risks import (
    SCALE,
    SCALE_WORDS,
    Cell,
    ExposureRow,
    Matrix,
    RiskThresholds,
    TrendPoint,
    kinds_text,
)
from ..services.raid import ScoreBand

BAND_COLOURS: dict[ScoreBand, str] = {
    ScoreBand.HIGH: "#d9534f", ScoreBand.MEDIUM: "#f0ad4e", ScoreBand.LOW: "#5cb85c",
}
"""Cell fills: the register's RAG colours (high red, medium amber, low green)."""

EMPTY_ALPHA = 0.28
"""Cells without items are drawn pale so that the eye goes to where the risks are."""

TEXT_COLOURS: dict[ScoreBand, str] = {ScoreBand.HIGH: "#ffffff", ScoreBand.MEDIUM: "#1f1f1f", ScoreBand.LOW: "#ffffff"}
SELECTED_EDGE = "#1d3f73"
AXIS_TEXT = "#4a4f57"
_GAP = 0.04


def cell_gid(likelihood: int, impact: int) -> str:
    """The artist id of a cell patch: "cell-L4-I5" (tests and hit-testing find cells by it)."""
    return f"cell-L{likelihood}-I{impact}"


def cell_at(x: float | None, y: float | None) -> tuple[int, int] | None:
    """The (likelihood, impact) under data coordinates ``x`` (impact axis) and ``y`` (likelihood axis)."""
    if x is None or y is None or not (0 <= x < len(SCALE) and 0 <= y < len(SCALE)):
        return None
    return math.floor(y) + 1, math.floor(x) + 1


def matrix_title(matrix: Matrix) -> str:
    """ "Open risks: 130 scored" (with the date for a past view)."""
    what = f"{'Open ' if matrix.open_only else ''}{kinds_text(matrix.kinds)}"
    title = f"{what[0].upper()}{what[1:]}: {matrix.total:,} scored"
    if matrix.as_of is not None:
        title += f" at {matrix.as_of:%d %b %Y}"
    return title


class HeatMap:
    """A heat-map Figure whose counts, colours, title and selected cell can be updated in place."""

    def __init__(self, matrix: Matrix, thresholds: RiskThresholds | None = None, *,
                 selected: tuple[int, int] | None = None, figsize: tuple[float, float] = (4.6, 4.0),
                 dpi: float = 100, title: str | None = None):
        self.figure = Figure(figsize=figsize, dpi=dpi, facecolor="white")
        # Fixed margins: room for the word labels on the left and below, the title above.
        self.figure.subplots_adjust(left=0.27, right=0.97, bottom=0.2, top=0.88)
        self.axes = self.figure.add_subplot()
        # Centred over the whole figure (not the axes): long titles ("Open dependencies: …") stay inside.
        self.title = self.figure.text(0.5, 0.975, "", ha="center", va="top", fontsize=10, fontweight="bold",
                                      color="#1f2933")
        self.patches: dict[tuple[int, int], Rectangle] = {}
        self.texts = {}
        self._style_axes()
        for likelihood in SCALE:
            for impact in SCALE:
                patch = Rectangle((impact - 1 + _GAP, likelihood - 1 + _GAP), 1 - 2 * _GAP, 1 - 2 * _GAP,
                                  linewidth=0, gid=cell_gid(likelihood, impact))
                self.axes.add_patch(patch)
                self.patches[likelihood, impact] = patch
                self.texts[likelihood, impact] = self.axes.text(
                    impact - 0.5, likelihood - 0.5, "", ha="center", va="center", fontsize=12, fontweight="bold",
                )
        self.update(matrix, thresholds, selected=selected, title=title)

    def _style_axes(self) -> None:
        ax = self.axes
        n = len(SCALE)
        ax.set_xlim(0, n)
        ax.set_ylim(0, n)
        ax.set_aspect("equal", adjustable="box")
        ticks = [value - 0.5 for value in SCALE]
        ax.set_xticks(ticks, SCALE_WORDS, rotation=30, ha="right", fontsize=8, color=AXIS_TEXT)
        ax.set_yticks(ticks, SCALE_WORDS, fontsize=8, color=AXIS_TEXT)
        ax.tick_params(length=0, pad=3)
        ax.set_xlabel("Impact", fontsize=9, color=AXIS_TEXT, labelpad=2)
        ax.set_ylabel("Likelihood", fontsize=9, color=AXIS_TEXT, labelpad=4)
        for spine in ax.spines.values():
            spine.set_visible(False)

    def update(self, matrix: Matrix, thresholds: RiskThresholds | None = None, *,
               selected: tuple[int, int] | None = None, title: str | None = None) -> None:
        """Show ``matrix`` (bands from ``thresholds``, else the matrix's own) with ``selected`` outlined."""
        thresholds = thresholds or matrix.thresholds
        self.matrix, self.thresholds, self.selected = matrix, thresholds, selected
        for (likelihood, impact), patch in self.patches.items():
            count = matrix.count(likelihood, impact)
            band = thresholds.band(likelihood * impact)
            patch.set_facecolor(BAND_COLOURS[band])
            patch.set_alpha(1.0 if count else EMPTY_ALPHA)
            is_selected = selected == (likelihood, impact)
            patch.set_edgecolor(SELECTED_EDGE if is_selected else "none")
            patch.set_linewidth(3.0 if is_selected else 0)
            patch.set_zorder(3 if is_selected else 2)
            text = self.texts[likelihood, impact]
            text.set_text(f"{count:,}" if count else "")
            text.set_color(TEXT_COLOURS[band])
            text.set_zorder(4)
        self.title.set_text(title or matrix_title(matrix))

    def cell(self, likelihood: int, impact: int) -> Cell:
        """The cell as currently shown (count and band)."""
        return Cell(likelihood, impact, self.matrix.count(likelihood, impact),
                    self.thresholds.band(likelihood * impact))


def heat_map_figure(matrix: Matrix, thresholds: RiskThresholds | None = None, *,
                    selected: tuple[int, int] | None = None, title: str | None = None) -> Figure:
    """The heat map of ``matrix`` as a new Figure: likelihood up, impact across, counts in the cells."""
    return HeatMap(matrix, thresholds, selected=selected, title=title).figure


# -- shared by the bar charts ------------------------------------------------------------------------------

BAR_COLOUR = "#2f6fbd"
EMV_COLOUR = "#8da9c4"
SELECTED_BAR = "#1d3f73"
LINE_COLOUR = "#d9534f"
GRID_COLOUR = "#e3e6ea"
TITLE_COLOUR = "#1f2933"
MUTED_TEXT = "#6b7280"
LABEL_CHARS = 24
"""Longer category and programme names are shortened to this many characters on the axis."""


def money_text(amount: Decimal | float, currency: str = "£") -> str:
    """A short amount for a bar label: "£950", "£48k", "£1.2m"."""
    value = float(amount)
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1_000_000:
        return f"{sign}{currency}{value / 1_000_000:.1f}m"
    if value >= 10_000:
        return f"{sign}{currency}{value / 1_000:.0f}k"
    if value >= 1_000:
        return f"{sign}{currency}{value / 1_000:.1f}k"
    return f"{sign}{currency}{value:.0f}"


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _new_figure(figsize: tuple[float, float], dpi: float, margins: dict[str, float]) -> tuple[Figure, Text]:
    """A white Figure with fixed margins (no layout engine) and an empty bold title over it."""
    figure = Figure(figsize=figsize, dpi=dpi, facecolor="white")
    figure.subplots_adjust(**margins)
    title = figure.text(0.5, 0.975, "", ha="center", va="top", fontsize=10, fontweight="bold", color=TITLE_COLOUR)
    return figure, title


def _style_bar_axes(ax: Axes, *, grid_axis: str) -> None:
    ax.tick_params(length=0, labelsize=8, labelcolor=AXIS_TEXT)
    ax.grid(axis=grid_axis, color=GRID_COLOUR, linewidth=0.8)
    ax.set_axisbelow(True)
    for name, spine in ax.spines.items():
        spine.set_visible(name == ("left" if grid_axis == "x" else "bottom"))
        spine.set_color(GRID_COLOUR)


def _say_nothing(ax: Axes, text: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, color=MUTED_TEXT, transform=ax.transAxes)


# -- exposure by category or programme ---------------------------------------------------------------------

MAX_BARS = 10
"""At most this many categories or programmes get a bar; the rest are summed in a note under the chart."""

EXPOSURE_GROUPS: tuple[str, ...] = ("category", "programme")
"""What exposure can be charted by (project exposure has too many bars to read)."""


def fold_exposure(rows: Sequence[ExposureRow], limit: int = MAX_BARS) -> tuple[list[ExposureRow], ExposureRow | None]:
    """The ``limit`` rows with the highest score total, highest first, and the sum of the rest (None: no rest).

    The rest is not a bar: summed over hundreds of programmes it would dwarf every bar shown.
    """
    ordered = sorted(rows, key=lambda r: (-r.score_total, -r.emv, r.key))
    if len(ordered) <= limit:
        return ordered, None
    kept, rest = ordered[:limit], ordered[limit:]
    return kept, ExposureRow(f"{len(rest):,} more", sum(r.count for r in rest), sum(r.score_total for r in rest),
                             sum((r.emv for r in rest), Decimal("0.00")), sum(r.costed for r in rest))


def _rest_note(rest: ExposureRow, by: str, currency: str) -> str:
    """ "Not shown: 292 more programmes, 6,120 open items, score total 66,621, expected value £113.3m"."""
    noun = "categories" if by == "category" else "programmes"
    note = f"Not shown: {rest.key} {noun}, {rest.count:,} open items, score total {rest.score_total:,}"
    return note + (f", expected value {money_text(rest.emv, currency)}" if rest.costed else "")


class ExposureChart:
    """Open exposure by category or programme as horizontal bars: score total left, expected value right.

    The biggest exposure is at the top. Bars are clickable (``key_at``); ``selected`` is drawn darker.
    """

    def __init__(self, rows: Sequence[ExposureRow], *, by: str = "category", kinds: Sequence[str] = ("risk",),
                 currency: str = "£", selected: str | None = None, figsize: tuple[float, float] = (6.4, 3.0),
                 dpi: float = 100):
        self.figure, self.title = _new_figure(figsize, dpi, {})
        # Fixed axes boxes: names on the left, the two bar panels side by side.
        self.score_axes = self.figure.add_axes((0.27, 0.15, 0.34, 0.69))
        self.emv_axes = self.figure.add_axes((0.64, 0.15, 0.33, 0.69), sharey=self.score_axes)
        self.note = self.figure.text(0.01, 0.01, "", ha="left", va="bottom", fontsize=7.5, color=MUTED_TEXT)
        self.keys: list[str] = []
        self.update(rows, by=by, kinds=kinds, currency=currency, selected=selected)

    def update(self, rows: Sequence[ExposureRow], *, by: str = "category", kinds: Sequence[str] = ("risk",),
               currency: str = "£", selected: str | None = None) -> None:
        """Draw ``rows`` (grouped ``by`` category or programme) with ``selected`` highlighted."""
        if by not in EXPOSURE_GROUPS:
            raise ValueError(f"Exposure is charted by category or programme, not {by!r}.")
        self.rows, self.by, self.selected, self.currency = list(rows), by, selected, currency
        shown, rest = fold_exposure(rows)
        self.keys = [row.key for row in shown]
        self.note.set_text("" if rest is None else _rest_note(rest, by, currency))
        what = kinds_text(kinds)
        self.title.set_text(f"Exposure of open {what} by {by}")
        for ax in (self.score_axes, self.emv_axes):
            ax.clear()
        if not shown:
            _say_nothing(self.score_axes, f"No open {what}")
            self.emv_axes.set_axis_off()
            return
        self.emv_axes.set_axis_on()
        positions = list(range(len(shown)))
        colours = [SELECTED_BAR if row.key == selected else BAR_COLOUR for row in shown]
        scores = self.score_axes.barh(positions, [row.score_total for row in shown], color=colours, height=0.7,
                                      gid="exposure-score")
        emv_colours = [SELECTED_BAR if row.key == selected else EMV_COLOUR for row in shown]
        values = self.emv_axes.barh(positions, [float(row.emv) for row in shown], color=emv_colours, height=0.7,
                                    gid="exposure-emv")
        self.score_axes.bar_label(scores, [f"{row.score_total:,}" for row in shown], padding=2, fontsize=7.5,
                                  color=AXIS_TEXT)
        self.emv_axes.bar_label(values, [money_text(row.emv, currency) if row.costed else "–" for row in shown],
                                padding=2, fontsize=7.5, color=AXIS_TEXT)
        self.score_axes.set_yticks(positions, [short_label(row.key) for row in shown])
        self.score_axes.set_ylim(len(shown) - 0.5, -0.5)  # biggest on top
        self.emv_axes.tick_params(labelleft=False)
        for ax, heading in ((self.score_axes, "Score total (likelihood × impact)"),
                            (self.emv_axes, f"Expected value ({currency})")):
            _style_bar_axes(ax, grid_axis="x")
            ax.set_title(heading, fontsize=8, color=AXIS_TEXT, loc="left", pad=3)
            # Room after the longest bar for its label.
            ax.set_xlim(0, max(ax.get_xlim()[1], 1) * 1.22)
            ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        self.emv_axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: money_text(v, currency)))
        if not any(row.costed for row in shown):
            self.emv_axes.text(0.5, 0.5, "No cost impacts given", ha="center", va="center", fontsize=8,
                               color=MUTED_TEXT, transform=self.emv_axes.transAxes)

    def key_at(self, axes: Axes | None, y: float | None) -> str | None:
        """The category or programme whose bar row is at data height ``y`` on either panel."""
        if axes not in (self.score_axes, self.emv_axes) or y is None or not self.keys:
            return None
        index = round(y)
        if not 0 <= index < len(self.keys):
            return None
        return self.keys[index]

    def row(self, key: str) -> ExposureRow | None:
        """The exposure of ``key`` as charted (tooltips)."""
        return next((row for row in self.rows if row.key == key), None)


# -- open items and exposure per period -------------------------------------------------------------------

def period_label(period_end: dt.date, *, first: bool, last: bool) -> str:
    """The month of a period end ("Oct"), with the year under the first point and January; the last is "Today"."""
    if last:
        return "Today"
    return f"{period_end:%b}\n{period_end:%Y}" if first or period_end.month == 1 else f"{period_end:%b}"


class TrendChart:
    """Open items per period as bars (left axis) and their exposure (score total) as a line (right axis)."""

    def __init__(self, points: Sequence[TrendPoint], *, kinds: Sequence[str] = ("risk",), project: str | None = None,
                 figsize: tuple[float, float] = (6.4, 3.0), dpi: float = 100):
        self.figure, self.title = _new_figure(figsize, dpi, {"left": 0.09, "right": 0.9, "bottom": 0.25,
                                                             "top": 0.86})
        self.axes = self.figure.add_subplot()
        self.line_axes = self.axes.twinx()
        self.update(points, kinds=kinds, project=project)

    def update(self, points: Sequence[TrendPoint], *, kinds: Sequence[str] = ("risk",),
               project: str | None = None) -> None:
        """Draw ``points``, oldest on the left; the title names ``project`` when the points are one project's."""
        self.points = list(points)
        what = kinds_text(kinds)
        self.title.set_text(f"Open {what} and exposure per period" + (f" · {project}" if project else ""))
        self.axes.clear()
        self.line_axes.clear()
        if not points:
            _say_nothing(self.axes, "No reporting periods yet")
            self.line_axes.set_axis_off()
            return
        self.line_axes.set_axis_on()
        positions = list(range(len(points)))
        bars = self.axes.bar(positions, [p.open for p in points], color=EMV_COLOUR, width=0.65, gid="trend-open",
                             label=f"Open {what}")
        self.axes.bar_label(bars, [f"{p.open:,}" for p in points], padding=1, fontsize=7, color=AXIS_TEXT)
        (line,) = self.line_axes.plot(positions, [p.score_total for p in points], color=LINE_COLOUR, marker="o",
                                      markersize=3.5, linewidth=1.8, gid="trend-exposure",
                                      label="Exposure (score total)")
        labels = [period_label(p.period_end, first=i == 0, last=i == len(points) - 1) for i, p in enumerate(points)]
        self.axes.set_xticks(positions, labels)
        self.axes.set_xlim(-0.6, len(points) - 0.4)
        _style_bar_axes(self.axes, grid_axis="y")
        self.axes.set_ylim(0, max(max(p.open for p in points), 1) * 1.18)
        self.axes.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        self.axes.set_ylabel("Open items", fontsize=8, color=AXIS_TEXT)
        # More headroom than the bars': the line runs through the bars, clear of their count labels.
        self.line_axes.set_ylim(0, max(max(p.score_total for p in points), 1) * 1.5)
        self.line_axes.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        self.line_axes.tick_params(length=0, labelsize=8, labelcolor=LINE_COLOUR)
        # clear() puts the twin's labels back on the left: move them to the right again.
        self.line_axes.yaxis.tick_right()
        self.line_axes.yaxis.set_label_position("right")
        self.line_axes.set_ylabel("Score total", fontsize=8, color=LINE_COLOUR)
        for spine in self.line_axes.spines.values():
            spine.set_visible(False)
        self.figure.legends.clear()
        self.figure.legend(handles=[bars, line], loc="lower center", ncols=2, fontsize=7.5, frameon=False,
                           bbox_to_anchor=(0.5, 0.0))


# -- ageing histogram ---------------------------------------------------------------------------------------

AGE_SERIES: tuple[tuple[str, str, str], ...] = (
    ("open", "Days open", BAR_COLOUR),
    ("review", "Days since review", EMV_COLOUR),
)
"""The two histograms side by side: key, legend text, colour."""


class AgeingChart:
    """Open items by age bucket: days open and days since review side by side; a bar is clickable."""

    def __init__(self, open_buckets: Sequence[tuple[str, int]], review_buckets: Sequence[tuple[str, int]], *,
                 kinds: Sequence[str] = ("risk",), selected: tuple[str, str] | None = None,
                 figsize: tuple[float, float] = (6.4, 3.0), dpi: float = 100):
        self.figure, self.title = _new_figure(figsize, dpi, {"left": 0.09, "right": 0.98, "bottom": 0.12,
                                                             "top": 0.86})
        self.axes = self.figure.add_subplot()
        self.labels: list[str] = []
        self.update(open_buckets, review_buckets, kinds=kinds, selected=selected)

    def update(self, open_buckets: Sequence[tuple[str, int]], review_buckets: Sequence[tuple[str, int]], *,
               kinds: Sequence[str] = ("risk",), selected: tuple[str, str] | None = None) -> None:
        """Draw both histograms (buckets in ``AGE_BUCKETS`` order); ``selected`` is (series, bucket label)."""
        self.buckets = {"open": dict(open_buckets), "review": dict(review_buckets)}
        self.labels = [label for label, _count in open_buckets]
        self.selected = selected
        what = kinds_text(kinds)
        self.title.set_text(f"Age of open {what}")
        ax = self.axes
        ax.clear()
        total = sum(count for _label, count in open_buckets)
        if not total:
            _say_nothing(ax, f"No open {what} with a raised date")
            return
        positions = range(len(self.labels))
        handles = []
        for offset, (series, text, colour) in zip((-0.2, 0.2), AGE_SERIES, strict=True):
            counts = [self.buckets[series].get(label, 0) for label in self.labels]
            colours = [SELECTED_BAR if selected == (series, label) else colour for label in self.labels]
            bars = ax.bar([p + offset for p in positions], counts, width=0.38, color=colours, gid=f"age-{series}",
                          label=text)
            ax.bar_label(bars, [f"{c:,}" if c else "" for c in counts], padding=1, fontsize=7, color=AXIS_TEXT)
            handles.append(bars)
        ax.set_xticks(list(positions), self.labels)
        ax.set_xlim(-0.6, len(self.labels) - 0.4)
        _style_bar_axes(ax, grid_axis="y")
        ax.set_ylim(0, max(max(self.buckets[s].values(), default=0) for s in self.buckets) * 1.18 or 1)
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_ylabel("Open items", fontsize=8, color=AXIS_TEXT)
        # In the title's row, clear of the bars however tall they are.
        self.figure.legends.clear()
        self.figure.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.99, 0.99), fontsize=7.5,
                           frameon=False)

    def bar_at(self, axes: Axes | None, x: float | None) -> tuple[str, str] | None:
        """(series, bucket label) of the bar under data x (left half of a bucket: days open)."""
        if axes is not self.axes or x is None or not self.labels:
            return None
        index = round(x)
        if not 0 <= index < len(self.labels) or abs(x - index) > 0.4:
            return None
        return ("open" if x < index else "review"), self.labels[index]

    def count(self, series: str, label: str) -> int:
        return self.buckets[series].get(label, 0)
