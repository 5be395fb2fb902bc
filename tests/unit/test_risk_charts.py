"""The heat-map figure: 25 cells in the band colours, counts where there are items, fixed layout, hit-testing."""

from __future__ import annotations

import time

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from pmo_desktop.analytics.risks import SCALE_WORDS, Matrix, RiskThresholds
from pmo_desktop.charts.risks import BAND_COLOURS, HeatMap, cell_at, cell_gid, heat_map_figure
from pmo_desktop.services.raid import ScoreBand

PAIRS = [(4, 5)] * 3 + [(2, 3), (1, 1), (2, 4), (5, 5)]
THRESHOLDS = RiskThresholds(amber=8, red=15)


def matrix() -> Matrix:
    return Matrix.from_pairs(PAIRS, THRESHOLDS)


def cells(figure) -> dict[str, Rectangle]:
    ax = figure.axes[0]
    return {p.get_gid(): p for p in ax.patches if p.get_gid() and p.get_gid().startswith("cell-")}


def count_texts(figure) -> dict[tuple[float, float], str]:
    return {t.get_position(): t.get_text() for t in figure.axes[0].texts if t.get_text()}


def test_twenty_five_cells_coloured_by_band():
    figure = heat_map_figure(matrix(), THRESHOLDS)
    patches = cells(figure)
    assert len(patches) == 25
    expected = {
        (1, 1): ScoreBand.LOW, (2, 3): ScoreBand.LOW, (2, 4): ScoreBand.MEDIUM, (3, 3): ScoreBand.MEDIUM,
        (3, 5): ScoreBand.HIGH, (4, 5): ScoreBand.HIGH, (5, 5): ScoreBand.HIGH, (1, 5): ScoreBand.LOW,
    }
    for (likelihood, impact), band in expected.items():
        patch = patches[cell_gid(likelihood, impact)]
        assert to_hex(patch.get_facecolor()[:3]) == BAND_COLOURS[band]
    # Where there are items the colour is full; empty cells are pale.
    assert patches[cell_gid(4, 5)].get_alpha() == 1.0
    assert patches[cell_gid(3, 5)].get_alpha() < 0.5


def test_counts_sit_in_their_cells_and_empty_cells_are_blank():
    figure = heat_map_figure(matrix(), THRESHOLDS)
    # Impact across (x), likelihood up (y): the cell (L, I) is centred on (I - 0.5, L - 0.5).
    assert count_texts(figure) == {(4.5, 3.5): "3", (2.5, 1.5): "1", (0.5, 0.5): "1", (3.5, 1.5): "1",
                                   (4.5, 4.5): "1"}


def test_axes_say_very_low_to_very_high_and_the_title_counts_the_items():
    figure = heat_map_figure(matrix(), THRESHOLDS)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(SCALE_WORDS)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(SCALE_WORDS)
    assert SCALE_WORDS[0] == "Very low" and SCALE_WORDS[-1] == "Very high"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Impact", "Likelihood")
    assert figure.texts[0].get_text() == "Open risks: 7 scored"
    assert figure.get_layout_engine() is None  # fixed layout: cheap redraws


def test_titles_name_the_kinds_and_the_date():
    import datetime as dt

    from pmo_desktop.charts.risks import matrix_title

    assert matrix_title(Matrix.from_pairs([(1, 1)], THRESHOLDS, kinds=("dependency",))) == "Open dependencies: 1 scored"
    past = Matrix.from_pairs([], THRESHOLDS, kinds=("risk", "issue"), open_only=False, as_of=dt.date(2026, 1, 31))
    assert matrix_title(past) == "Risks and issues: 0 scored at 31 Jan 2026"


def test_other_thresholds_recolour_the_cells():
    figure = heat_map_figure(matrix(), RiskThresholds(amber=4, red=6))
    assert to_hex(cells(figure)[cell_gid(2, 3)].get_facecolor()[:3]) == BAND_COLOURS[ScoreBand.HIGH]


def test_update_in_place_moves_counts_and_outlines_the_selected_cell():
    heat_map = HeatMap(matrix(), THRESHOLDS)
    heat_map.update(Matrix.from_pairs([(3, 3)] * 12, THRESHOLDS), selected=(3, 3))
    assert count_texts(heat_map.figure) == {(2.5, 2.5): "12"}
    selected = cells(heat_map.figure)[cell_gid(3, 3)]
    assert selected.get_linewidth() > 0 and cells(heat_map.figure)[cell_gid(4, 5)].get_linewidth() == 0
    assert heat_map.cell(3, 3).count == 12


def test_cell_at_maps_data_coordinates_to_likelihood_and_impact():
    assert cell_at(4.2, 3.9) == (4, 5)
    assert cell_at(0.0, 0.0) == (1, 1)
    assert cell_at(5.0, 1.0) is None and cell_at(None, 2) is None and cell_at(-0.1, 2) is None


def test_redraw_time_is_measured(capsys):
    heat_map = HeatMap(Matrix.from_pairs([(n % 5 + 1, n // 5 % 5 + 1) for n in range(20_000)], THRESHOLDS))
    canvas = FigureCanvasAgg(heat_map.figure)
    canvas.draw()
    start = time.perf_counter()
    for n in range(5):
        heat_map.update(heat_map.matrix, selected=(n + 1, 5 - n))
        canvas.draw()
    per_draw = (time.perf_counter() - start) / 5
    with capsys.disabled():
        print(f"\nheat map redraw: {per_draw * 1000:.0f} ms")
