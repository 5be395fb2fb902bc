"""The Risks tab charts: the heat map (cells, counts, hit-testing) and the exposure, trend and ageing bars."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from pmo_desktop.analytics.risks import (
    SCALE_WORDS,
    ExposureItem,
    ExposureRow,
    Matrix,
    RiskThresholds,
    TrendPoint,
    exposure_of,
)
from pmo_desktop.charts.risks import (
    BAND_COLOURS,
    MAX_BARS,
    SELECTED_BAR,
    AgeingChart,
    ExposureChart,
    HeatMap,
    TrendChart,
    cell_at,
    cell_gid,
    fold_exposure,
    heat_map_figure,
    money_text,
)
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


# -- exposure, trend and ageing charts ---------------------------------------------------------------------

def exposure_rows() -> list[ExposureRow]:
    return [
        ExposureRow("Supplier", 3, 46, Decimal("8000.00"), 2),
        ExposureRow("Technical", 2, 9, Decimal("400.00"), 1),
        ExposureRow("Schedule", 1, 25, Decimal("0.00"), 0),
    ]


def test_money_text_is_short():
    assert [money_text(v) for v in (0, 950, 1_250, 48_400, 1_234_567)] == ["£0", "£950", "£1.2k", "£48k", "£1.2m"]
    assert money_text(Decimal("2500000"), "€") == "€2.5m"


def test_exposure_bars_are_sorted_by_score_with_the_biggest_on_top():
    chart = ExposureChart(exposure_rows(), by="category", currency="€", selected="Schedule")
    assert chart.keys == ["Supplier", "Schedule", "Technical"]
    score_bars = chart.score_axes.containers[0].patches
    emv_bars = chart.emv_axes.containers[0].patches
    assert [b.get_width() for b in score_bars] == [46, 25, 9]
    assert [b.get_width() for b in emv_bars] == [8000.0, 0.0, 400.0]
    # Row 0 at the top: the y axis runs downwards.
    assert chart.score_axes.get_ylim() == (2.5, -0.5)
    assert [t.get_text() for t in chart.score_axes.get_yticklabels()] == ["Supplier", "Schedule", "Technical"]
    assert [t.get_text() for t in chart.emv_axes.texts] == ["€8.0k", "–", "€400"]
    assert to_hex(score_bars[1].get_facecolor()) == SELECTED_BAR != to_hex(score_bars[0].get_facecolor())
    assert chart.title.get_text() == "Exposure of open risks by category"
    assert chart.figure.get_layout_engine() is None


def test_a_click_on_either_panel_names_the_bar_row():
    chart = ExposureChart(exposure_rows(), by="programme")
    assert chart.key_at(chart.score_axes, 0.2) == "Supplier"
    assert chart.key_at(chart.emv_axes, 1.6) == "Technical"
    assert chart.key_at(chart.emv_axes, 2.6) is None and chart.key_at(None, 1) is None
    assert chart.row("Technical").score_total == 9


def test_past_ten_groups_the_rest_are_summed_in_a_note_not_a_bar():
    rows = [ExposureRow(f"Cat {n:02}", 1, 100 - n, Decimal(n * 1000), 1) for n in range(14)]
    shown, rest = fold_exposure(rows)
    assert [r.key for r in shown] == [f"Cat {n:02}" for n in range(MAX_BARS)]
    assert rest == ExposureRow("4 more", 4, sum(100 - n for n in range(10, 14)), Decimal(sum(range(10, 14)) * 1000), 4)
    chart = ExposureChart(rows, by="category")
    assert chart.key_at(chart.score_axes, 9) == "Cat 09" and chart.key_at(chart.score_axes, 10) is None
    assert chart.note.get_text() == ("Not shown: 4 more categories, 4 open items, score total 354, "
                                     "expected value £46k")
    assert fold_exposure(rows[:3]) == (rows[:3], None)
    assert ExposureChart(rows[:3]).note.get_text() == ""


def test_exposure_of_twenty_thousand_items_draws_ten_bars_a_panel():
    items = [ExposureItem(f"Category {n % 40}", n % 5 + 1, n % 3 + 1, Decimal(n % 7 * 1000)) for n in range(20_000)]
    chart = ExposureChart(exposure_of(items))
    FigureCanvasAgg(chart.figure).draw()
    assert len(chart.score_axes.patches) == len(chart.emv_axes.patches) == MAX_BARS
    _shown, rest = fold_exposure(chart.rows)
    assert rest.key == "30 more" and rest.count == 20_000 * 30 // 40
    assert (sum(b.get_width() for b in chart.score_axes.patches) + rest.score_total
            == sum(r.score_total for r in exposure_of(items)))


def test_an_empty_exposure_says_so():
    chart = ExposureChart([], kinds=("dependency",))
    assert chart.keys == [] and chart.key_at(chart.score_axes, 0) is None
    assert [t.get_text() for t in chart.score_axes.texts] == ["No open dependencies"]


def test_trend_bars_count_open_items_and_the_line_follows_exposure():
    points = [TrendPoint(dt.date(2025, 12, 31), 4, 40, Decimal(0)), TrendPoint(dt.date(2026, 1, 31), 6, 75, Decimal(0)),
              TrendPoint(dt.date(2026, 2, 28), 5, 61, Decimal(0)), TrendPoint(dt.date(2026, 3, 14), 7, 90, Decimal(0))]
    chart = TrendChart(points, kinds=("issue",))
    assert [b.get_height() for b in chart.axes.containers[0].patches] == [4, 6, 5, 7]
    (line,) = chart.line_axes.lines
    assert list(line.get_ydata()) == [40, 75, 61, 90]
    assert [t.get_text() for t in chart.axes.get_xticklabels()] == ["Dec\n2025", "Jan\n2026", "Feb", "Today"]
    assert chart.title.get_text() == "Open issues and exposure per period"
    chart.update(points[:1], kinds=("risk",), project="FIN-003")
    assert chart.title.get_text() == "Open risks and exposure per period · FIN-003"
    assert chart.line_axes.yaxis.get_label_position() == "right"


def test_ageing_bars_pair_days_open_with_days_since_review_and_a_click_names_one():
    open_buckets = (("0–30 days", 3), ("31–60 days", 1), ("61–90 days", 0), ("91–180 days", 2), ("Over 180 days", 0))
    review_buckets = (("0–30 days", 1), ("31–60 days", 4), ("61–90 days", 1), ("91–180 days", 0), ("Over 180 days", 0))
    chart = AgeingChart(open_buckets, review_buckets, selected=("review", "31–60 days"))
    opened, reviewed = chart.axes.containers
    assert [b.get_height() for b in opened.patches] == [3, 1, 0, 2, 0]
    assert [b.get_height() for b in reviewed.patches] == [1, 4, 1, 0, 0]
    assert to_hex(reviewed.patches[1].get_facecolor()) == SELECTED_BAR
    assert chart.bar_at(chart.axes, 0.9) == ("open", "31–60 days")
    assert chart.bar_at(chart.axes, 3.2) == ("review", "91–180 days")
    assert chart.bar_at(chart.axes, 2.5) is None and chart.bar_at(None, 1.0) is None
    assert chart.count("review", "31–60 days") == 4
