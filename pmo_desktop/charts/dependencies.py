"""The dependencies view: projects as boxes in RAG colours, dependencies as arrows (no Qt, no pyplot).

Layers run left to right: projects that depend on others are on the left, the projects they depend on
to their right, and projects that depend on nothing at the far right, so arrows point rightwards;
only arrows that close a cycle point back (dashed, curved). An arrow is red when the project depended
on is red or the milestone depended on is late. A layer taller than the figure can show is split
into staggered sub-columns so that its labels never overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from ..analytics.dependencies import DependencyGraph, Edge, Layout, layered_layout

RAG_FILLS: dict[str | None, str] = {"R": "#d9534f", "A": "#f0ad4e", "G": "#5cb85c", None: "#c5cad3"}
"""Box fills: the project's overall RAG (grey when it has none)."""

RAG_TEXT: dict[str | None, str] = {"R": "#ffffff", "A": "#1f1f1f", "G": "#ffffff", None: "#1f1f1f"}
LATE_COLOUR = "#c0392b"
EDGE_COLOUR = "#8a94a3"
SELECTED_EDGE = "#1d3f73"
TITLE_COLOUR = "#1f2933"
MUTED_TEXT = "#6b7280"

BOX_WIDTH = 0.8
"""Box width as a share of a (sub-)column."""
BOX_HEIGHT = 0.62
"""Box height as a share of a row."""
LAYER_GAP = 1.1
"""Room between layers for the arrows, in columns."""
ROW_POINTS = 20
"""A row needs this many points of height to hold a readable label."""
MAX_PROJECTS = 150
"""More projects than this make a graph nobody can read (and slow to draw): a programme must be chosen."""
MIN_COLUMNS = 5.0
MIN_ROWS = 10.0
"""A small graph is drawn at the scale of one this size, centred, so that its boxes do not balloon."""


def node_gid(code: str) -> str:
    """The artist id of a project's box: "node-DCX-014"."""
    return f"node-{code}"


def edge_gid(source: str, target: str) -> str:
    """The artist id of the arrow from ``source`` to ``target``: "edge-DCX-014->FIN-003"."""
    return f"edge-{source}->{target}"


@dataclass(frozen=True, slots=True)
class Placement:
    """Box centres in data units (x right, y down) and the extent they need."""

    centres: dict[str, tuple[float, float]]
    width: float
    height: float


def place(layout: Layout, rows_per_column: int) -> Placement:
    """Centres for every node: the highest layer leftmost, each layer centred vertically.

    A layer of more than ``rows_per_column`` nodes is split into sub-columns, its nodes alternating
    between them (staggered by a fraction of a row), which keeps the layer's order top to bottom.
    """
    layers = layout.layers
    splits = [max(1, math.ceil(len(row) / max(rows_per_column, 1))) for row in layers]
    height = max(((len(row) - 1) / split + 1 for row, split in zip(layers, splits, strict=True)), default=0)
    centres: dict[str, tuple[float, float]] = {}
    x = 0.0
    for index in range(len(layers) - 1, -1, -1):
        row, split = layers[index], splits[index]
        top = (height - ((len(row) - 1) / split + 1)) / 2
        for i, code in enumerate(row):
            centres[code] = (x + (i % split) + 0.5, top + i / split + 0.5)
        x += split + LAYER_GAP
    return Placement(centres, max(x - LAYER_GAP, 0), max(height, 1))


class DependencyChart:
    """A Figure of a ``DependencyGraph``; ``update`` draws another graph (or another selection) into it."""

    def __init__(self, graph: DependencyGraph, *, selected: str | None = None,
                 figsize: tuple[float, float] = (9.0, 6.0), dpi: float = 100):
        self.figure = Figure(figsize=figsize, dpi=dpi, facecolor="white")
        # Fixed margins: the title above, the legend below.
        self.axes = self.figure.add_axes((0.01, 0.13, 0.98, 0.79))
        self.title = self.figure.text(0.5, 0.975, "", ha="center", va="top", fontsize=10, fontweight="bold",
                                      color=TITLE_COLOUR)
        self.boxes: dict[str, FancyBboxPatch] = {}
        self.arrows: dict[tuple[str, str], FancyArrowPatch] = {}
        self.update(graph, selected=selected)

    def update(self, graph: DependencyGraph, *, selected: str | None = None) -> None:
        """Lay out and draw ``graph``; ``selected`` (a project code) and its arrows are outlined."""
        self.graph, self.selected = graph, selected
        ax = self.axes
        ax.clear()
        ax.set_axis_off()
        self.boxes, self.arrows = {}, {}
        self.title.set_text(graph_title(graph))
        self._draw_legend()
        if not graph.nodes or len(graph.nodes) > MAX_PROJECTS:
            message = ("No open dependencies between projects" if not graph.nodes else
                       f"{len(graph.nodes):,} projects have open dependencies: too many to draw legibly.\n"
                       "Choose a programme to see its projects and the projects they depend on.")
            ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=9, color=MUTED_TEXT,
                    transform=ax.transAxes, linespacing=1.6)
            self.layout, self.placement = None, Placement({}, 0, 0)
            return
        self.layout = layered_layout(list(graph.nodes), [edge.key for edge in graph.edges],
                                     groups={code: node.programme for code, node in graph.nodes.items()})
        axes_points = self.axes.get_position().height * self.figure.get_figheight() * 72
        self.placement = place(self.layout, max(4, int(axes_points // ROW_POINTS)))
        width, height = self.placement.width, self.placement.height
        spare_x, spare_y = max(MIN_COLUMNS - width, 0) / 2, max(MIN_ROWS - height, 0) / 2
        ax.set_xlim(-0.15 - spare_x, width + 0.15 + spare_x)
        ax.set_ylim(height + 0.1 + spare_y, -0.1 - spare_y)
        font = self._label_size()
        for edge in graph.edges:
            self._draw_edge(edge)
        for code, node in graph.nodes.items():
            x, y = self.placement.centres[code]
            is_selected = code == selected
            box = FancyBboxPatch((x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2), BOX_WIDTH, BOX_HEIGHT,
                                 boxstyle="round,pad=0,rounding_size=0.12", facecolor=RAG_FILLS.get(node.rag, RAG_FILLS[None]),
                                 edgecolor=SELECTED_EDGE if is_selected else "white",
                                 linewidth=2.5 if is_selected else 1.0, zorder=3, gid=node_gid(code),
                                 mutation_aspect=BOX_HEIGHT / BOX_WIDTH)
            ax.add_patch(box)
            self.boxes[code] = box
            ax.text(x, y, code, ha="center", va="center", fontsize=font, fontweight="bold", zorder=4,
                    color=RAG_TEXT.get(node.rag, RAG_TEXT[None]), clip_on=True)

    def _label_size(self) -> float:
        """The largest font (5-9 pt) at which the longest code fits its box."""
        axes_box = self.axes.get_position()
        x_range, y_range = self.axes.get_xlim(), self.axes.get_ylim()
        column_points = axes_box.width * self.figure.get_figwidth() * 72 / abs(x_range[1] - x_range[0])
        row_points = axes_box.height * self.figure.get_figheight() * 72 / abs(y_range[1] - y_range[0])
        longest = max((len(code) for code in self.graph.nodes), default=1)
        fits = min(BOX_WIDTH * column_points * 0.92 / (0.62 * longest), BOX_HEIGHT * row_points * 0.62)
        return max(5.0, min(9.0, fits))

    def _draw_edge(self, edge: Edge) -> None:
        assert self.layout is not None
        (sx, sy), (tx, ty) = self.placement.centres[edge.source], self.placement.centres[edge.target]
        closes_cycle = edge.key in self.layout.cycle_edges
        half = BOX_WIDTH / 2
        # Forward arrows leave the right side and enter the left; an arrow that closes a cycle goes back.
        start, end = ((sx - half, sy), (tx + half, ty)) if closes_cycle else ((sx + half, sy), (tx - half, ty))
        touches_selected = self.selected in edge.key
        colour = LATE_COLOUR if edge.late else EDGE_COLOUR
        count = len(edge.items)
        arrow = FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=9, color=colour,
            linewidth=min(1.0 + 0.6 * (count - 1), 3.4) + (0.8 if touches_selected else 0),
            linestyle="--" if closes_cycle else "-", alpha=1.0 if touches_selected or self.selected is None else 0.55,
            connectionstyle="arc3,rad=-0.35" if closes_cycle else "arc3,rad=0", zorder=2 if edge.late else 1,
            gid=edge_gid(*edge.key),
        )
        self.axes.add_patch(arrow)
        self.arrows[edge.key] = arrow
        if count > 1:
            self.axes.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, f"×{count}", fontsize=6.5, color=colour,
                           ha="center", va="center", zorder=2.5,
                           bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none"})

    def _draw_legend(self) -> None:
        self.figure.legends.clear()
        handles = [
            Patch(facecolor=RAG_FILLS["R"], label="Red project"),
            Patch(facecolor=RAG_FILLS["A"], label="Amber"),
            Patch(facecolor=RAG_FILLS["G"], label="Green"),
            Patch(facecolor=RAG_FILLS[None], label="No RAG"),
            Line2D([], [], color=LATE_COLOUR, linewidth=1.8, label="Late: project red or milestone late"),
            Line2D([], [], color=EDGE_COLOUR, linewidth=1.8, label="Depends on"),
            Line2D([], [], color=EDGE_COLOUR, linewidth=1.4, linestyle="--", label="Closes a cycle"),
        ]
        self.figure.legend(handles=handles, loc="lower center", ncols=4, fontsize=7, frameon=False,
                           bbox_to_anchor=(0.5, 0.005), handlelength=1.6, columnspacing=1.2)

    def node_at(self, axes: Axes | None, x: float | None, y: float | None) -> str | None:
        """The project whose box is at data (``x``, ``y``), if any."""
        if axes is not self.axes or x is None or y is None:
            return None
        for code, (cx, cy) in self.placement.centres.items():
            if abs(x - cx) <= BOX_WIDTH / 2 and abs(y - cy) <= BOX_HEIGHT / 2:
                return code
        return None


def graph_title(graph: DependencyGraph) -> str:
    """ "Open dependencies: 39 between 29 projects, 16 late" (with the programme when filtered)."""
    count = len(graph.dependencies)
    title = f"Open dependencies: {count:,} between {len(graph.nodes):,} projects"
    if count:
        title += f", {graph.late_count:,} late"
    if graph.programme is not None:
        title += f" · {graph.programme}"
    return title
