"""The executive pack's charts as PNG images at print resolution, drawn with matplotlib (no pyplot state).

The risk heat map and the demand-vs-capacity chart come from ``charts``, so the PDF shows the
same pictures as the Risks and Resources tabs. Two charts exist only in the pack: projects by
RAG (reported beside derived) and budget, actual and forecast by programme.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from ...reports.pack_data import PackData

PRINT_DPI = 200
"""Pixels per inch of the chart images: sharp on paper, a few hundred kilobytes per chart."""

NAVY = "#1f4e79"
LIGHT_BLUE = "#9dc3e6"
GREY = "#a5a5a5"
ORANGE = "#ed7d31"
AXIS_TEXT = "#4a4f57"
GRID = "#e3e6ea"


def png(figure: Figure, dpi: int = PRINT_DPI) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _plain_axes(ax, *, grid_axis: str = "y") -> None:
    for name, spine in ax.spines.items():
        spine.set_visible(name in ("bottom", "left"))
        spine.set_color("#9aa1a9")
    ax.tick_params(labelsize=8, colors=AXIS_TEXT, length=0)
    ax.grid(axis=grid_axis, color=GRID, linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)


def rag_figure(data: PackData) -> Figure:
    """Projects by RAG: the managers' reported RAG beside the RAG derived from SPI, CPI and slip."""
    figure = Figure(figsize=(4.8, 3.0), facecolor="white")
    figure.subplots_adjust(left=0.11, right=0.98, bottom=0.2, top=0.86)
    ax = figure.add_subplot()
    _plain_axes(ax)
    labels = ["Red", "Amber", "Green", "Not known"]
    derived = data.total.derived_rag_counts
    reported = [data.reported_rag_counts.get(k, 0) for k in "RAG"]
    derived_counts = [derived.get(k, 0) for k in "RAG"]
    reported.append(len(data.projects) - sum(reported))
    derived_counts.append(len(data.projects) - sum(derived_counts))
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], reported, width=0.38, color=NAVY, label="Reported", zorder=2)
    ax.bar([x + 0.2 for x in xs], derived_counts, width=0.38, color=LIGHT_BLUE, label="Derived", zorder=2)
    for x, (a, b) in enumerate(zip(reported, derived_counts, strict=True)):
        ax.text(x - 0.2, a, f"{a}", ha="center", va="bottom", fontsize=7, color=AXIS_TEXT)
        ax.text(x + 0.2, b, f"{b}", ha="center", va="bottom", fontsize=7, color=AXIS_TEXT)
    ax.set_xticks(list(xs), labels)
    ax.set_ylabel("Projects", fontsize=8, color=AXIS_TEXT)
    ax.set_ylim(0, max([*reported, *derived_counts, 1]) * 1.15)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False, fontsize=8)
    figure.text(0.5, 0.97, "Projects by RAG", ha="center", va="top", fontsize=10, fontweight="bold",
                color="#1f2933")
    return figure


def _millions(value: float, _position=None) -> str:
    return f"{value / 1e6:,.1f}m" if abs(value) >= 1e5 or value == 0 else f"{value / 1e3:,.0f}k"


def finance_figure(data: PackData, limit: int = 12) -> Figure:
    """Budget, actual and forecast by programme as horizontal bars, the largest budget on top."""
    groups = sorted(data.by_programme.values(), key=lambda g: (g.key is None, -g.bac, g.key or ""))[:limit]
    height = max(2.6, 0.42 * len(groups) + 1.3)
    figure = Figure(figsize=(5.6, height), facecolor="white")
    figure.subplots_adjust(left=0.3, right=0.97, bottom=0.9 / height, top=1 - 0.45 / height)
    ax = figure.add_subplot()
    _plain_axes(ax, grid_axis="x")
    names = [(g.key or "No programme")[:28] for g in groups]
    ys = range(len(groups))
    for offset, values, colour, label in (
            (-0.27, [g.bac for g in groups], NAVY, "Budget"),
            (0.0, [g.ac for g in groups], GREY, "Actual"),
            (0.27, [g.eac for g in groups], ORANGE, "Forecast")):
        ax.barh([y + offset for y in ys], values, height=0.26, color=colour, label=label, zorder=2)
    ax.set_yticks(list(ys), names)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_millions)
    ax.set_xlabel(f"{data.currency}", fontsize=8, color=AXIS_TEXT)
    ax.legend(loc="lower center", bbox_to_anchor=(0.4, 1.0), ncol=3, frameon=False, fontsize=8)
    if not groups:
        ax.text(0.5, 0.5, "No project in this scope.", transform=ax.transAxes, ha="center", fontsize=9)
    return figure


def heat_map_png(data: PackData) -> bytes:
    """The open risks' 5x5 heat map, as the Risks tab draws it."""
    from ...charts.risks import heat_map_figure

    return png(heat_map_figure(data.matrix, data.risk_thresholds))


def demand_png(data: PackData) -> bytes:
    """Demand against capacity for the role shortest of people (a note when nothing is unfilled)."""
    from ...charts.resources import demand_capacity_figure

    worst = next((d for d in data.demand if d.total_shortfall > 0), data.demand[0] if data.demand else None)
    return png(demand_capacity_figure(worst, data.weeks))


def size_in_points(image: bytes, dpi: int = PRINT_DPI) -> tuple[float, float]:
    """The printed size of a PNG drawn at ``dpi``, in points (its width and height fields)."""
    width = int.from_bytes(image[16:20], "big")
    height = int.from_bytes(image[20:24], "big")
    return width * 72 / dpi, height * 72 / dpi


def scaled(size: tuple[float, float], width: float) -> tuple[float, float]:
    """``size`` scaled to ``width`` points, keeping its shape."""
    w, h = size
    return width, h * width / w if w else 0.0
