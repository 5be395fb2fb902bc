"""The risk heat map: a 5x5 likelihood x impact grid coloured by the office's score bands (no Qt, no pyplot).

The figure has a fixed layout (no layout engine) so that redrawing it is cheap; ``HeatMap`` keeps its
25 cell patches and texts and updates them in place when the counts or the selected cell change.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..analytics.risks import SCALE, SCALE_WORDS, Cell, Matrix, RiskThresholds, kinds_text
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
