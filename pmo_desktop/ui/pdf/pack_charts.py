"""The executive pack's charts as PNG images at print resolution, drawn with matplotlib (no pyplot state).

Every chart comes from ``charts`` (portfolio, risks, resources), so the PDF shows the same
pictures as the Portfolio, Risks and Resources tabs, only drawn at print resolution.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from ...reports.pack_data import PackData

PRINT_DPI = 200
"""Pixels per inch of the chart images: sharp on paper, a few hundred kilobytes per chart."""

CHART_SIZE = (6.4, 3.7)
"""Inches of a chart printed half a page wide (its fonts then print at the size the tabs show)."""

STAGE_CHART_SIZE = (7.0, 3.8)
"""Inches of the projects-by-stage chart: nine stage names side by side need this width to stay apart.

Printed at the same share of its width as a ``CHART_SIZE`` chart beside it, its fonts print the same size.
"""


def png(figure: Figure, dpi: int = PRINT_DPI) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _kpis(data: PackData):
    return [line.kpis for line in data.projects]


def rag_by_stage_png(data: PackData, which: str = "reported") -> bytes:
    """Projects per stage stacked by RAG, as the Portfolio tab draws it."""
    from ...charts.portfolio import rag_by_stage_figure

    return png(rag_by_stage_figure(_kpis(data), which=which, figsize=STAGE_CHART_SIZE))


def quadrant_png(data: PackData) -> bytes:
    """SPI against CPI, one dot per project, as the Portfolio tab draws it."""
    from ...charts.portfolio import spi_cpi_quadrant_figure

    return png(spi_cpi_quadrant_figure(_kpis(data), figsize=CHART_SIZE))


def budget_png(data: PackData) -> bytes:
    """Budget, actual and forecast by programme, as the Portfolio tab draws it."""
    from ...charts.portfolio import budget_by_programme_figure

    groups = len({line.kpis.programme for line in data.projects})
    size = (8.0, max(3.0, 0.5 * min(groups, 12) + 1.6))
    return png(budget_by_programme_figure(_kpis(data), currency=data.currency_symbol.strip(), figsize=size))


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
