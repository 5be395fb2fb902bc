"""charts.portfolio: every chart at the demo's 60 projects and at 500 draws with no text overlapping or cut off.

The portfolios are generated (seeded) from plain data, the way the tab and the pack feed the
builders; after a real draw, the pixel boxes of every visible text (titles, tick labels, point
labels, legends) are compared pairwise and against the figure's edges.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text

from pmo_desktop.analytics.portfolio import MilestoneFacts, ProjectFacts, Thresholds, compute_kpis
from pmo_desktop.analytics.portfolio_charts import BubblePoint, RoadmapBar, RoadmapMilestone
from pmo_desktop.analytics.trends import PeriodSummary, ProjectPeriod, ProjectTrend, summarise_periods
from pmo_desktop.charts import portfolio as charts

TODAY = dt.date(2026, 11, 26)
PROGRAMMES = ("Digital Customer", "Data Platform", "Estates & Facilities", "Finance Transformation",
              "Regulatory Compliance", "People Systems", "Infrastructure Renewal")
STAGES = ("idea", "business_case", "approved", "planning", "execution", "execution", "closing", "closed", "on_hold")
WORDS = ("Customer", "Portal", "Data", "Warehouse", "Payroll", "Consolidation", "Migration", "Refresh", "Platform",
         "Network", "Security", "Automation", "Phase 2", "Self-service", "Analytics")


def _kpis(n: int, seed: int = 7):
    rng = random.Random(seed)
    kpis = []
    for i in range(n):
        start = TODAY - dt.timedelta(days=rng.randint(30, 700))
        end = start + dt.timedelta(days=rng.randint(120, 900))
        budget = float(rng.randint(50, 5000) * 1000)
        facts = ProjectFacts(
            project_id=i + 1, code=f"{PROGRAMMES[i % 7][:3].upper()}-{i + 1:03d}",
            name=" ".join(rng.sample(WORDS, 3)), programme=PROGRAMMES[i % 7] if i % 11 else None,
            stage=STAGES[i % len(STAGES)], budget=budget if i % 13 else None,
            actual_cost=budget * rng.uniform(0.05, 1.1), forecast_cost=budget * rng.uniform(0.8, 1.4),
            percent_complete=rng.uniform(0, 1), baseline_start=start, baseline_end=end,
            forecast_end=end + dt.timedelta(days=rng.randint(-20, 200)), reported_rag=rng.choice("RAGG") if i % 9 else None,
        )
        milestones = [MilestoneFacts(start + dt.timedelta(days=30 * k)) for k in range(1, 4)]
        kpis.append(compute_kpis(facts, milestones, TODAY))
    return kpis


def _bars(kpis, seed: int = 3) -> list[RoadmapBar]:
    rng = random.Random(seed)
    bars = []
    for k in kpis:
        start = TODAY - dt.timedelta(days=rng.randint(0, 900))
        end = start + dt.timedelta(days=rng.randint(60, 1000))
        milestones = tuple(RoadmapMilestone(f"M{j}", start + dt.timedelta(days=60 * j), start + dt.timedelta(
            days=60 * j) < TODAY) for j in range(1, rng.randint(1, 5)))
        bars.append(RoadmapBar(k.project_id, k.code, k.name, k.programme, start, end, k.reported_rag, milestones,
                               end - dt.timedelta(days=rng.choice((0, 0, 30, 120)))))
    bars.sort(key=lambda b: (b.programme is None, b.programme or "", b.start, b.code))
    return bars


def _points(kpis, seed: int = 5) -> list[BubblePoint]:
    rng = random.Random(seed)
    return [BubblePoint(k.project_id, k.code, k.name, k.programme, round(rng.uniform(0.5, 5), 2) if k.project_id % 8
                        else None, rng.randint(0, 100), k.bac, k.reported_rag) for k in kpis]


def _periods(n: int, projects: int, seed: int = 11) -> tuple[PeriodSummary, ...]:
    rng = random.Random(seed)
    reports = []
    for m in range(n):
        end = dt.date(2025 + (m + 1) // 12, (m + 1) % 12 + 1, 1) - dt.timedelta(days=1)
        for p in range(projects):
            pv = rng.uniform(1e4, 1e6)
            reports.append(ProjectPeriod(p, end, rng.choice("RAGG"), 0.5, pv, pv * rng.uniform(0.7, 1.2),
                                         pv * rng.uniform(0.8, 1.3)))
    return summarise_periods(reports)


def _visible_texts(figure: Figure) -> list[Text]:
    found = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    # Tick labels outside the axis limits are kept by matplotlib but never drawn.
    drawn = []
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks():
                inside = low - 1e-9 <= tick.get_loc() <= high + 1e-9
                if inside and tick.label1.get_visible() and tick.label1.get_text():
                    drawn.append(tick.label1)
    ticks = {id(t) for ax in figure.axes for axis in (ax.xaxis, ax.yaxis) for t in axis.get_ticklabels()}
    return [t for t in found if id(t) not in ticks] + drawn


def assert_readable(figure: Figure) -> None:
    """Draw ``figure`` and check that no two texts overlap and none is cut off at the figure's edge."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    width, height = canvas.get_width_height()
    boxes = []
    for text in _visible_texts(figure):
        box = text.get_window_extent(renderer)
        if box.width == 0:
            continue
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1, \
            f"{text.get_text()!r} is cut off at the figure's edge: {box}"
        boxes.append((text.get_text(), box.shrunk(0.96, 0.9)))
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r}"


SCALES = pytest.mark.parametrize("n", [60, 500])


@SCALES
def test_rag_by_stage_is_readable_and_counts_every_project(n):
    kpis = _kpis(n)
    figure = charts.rag_by_stage_figure(kpis)
    assert_readable(figure)
    ax = figure.axes[0]
    totals = [int(t.get_text().replace(",", "")) for t in ax.texts if t.get_gid() == "stage-total"]
    assert sum(totals) == n
    reds = [p for p in ax.patches if p.get_gid() == "rag-R"]
    assert sum(p.get_height() for p in reds) == sum(k.reported_rag == "R" for k in kpis)
    assert {to_hex(p.get_facecolor()[:3]) for p in reds} == {charts.RAG_COLOURS["R"]}
    assert figure.get_layout_engine() is None


@SCALES
def test_budget_by_programme_sums_money_per_programme(n):
    kpis = _kpis(n)
    figure = charts.budget_by_programme_figure(kpis, currency="£")
    assert_readable(figure)
    ax = figure.axes[0]
    budgets = sorted((p.get_width() for p in ax.patches if p.get_gid() == "budget-0"), reverse=True)
    expected = sorted(b.budget for b in charts.programme_budgets(kpis))
    assert budgets == pytest.approx(sorted(expected, reverse=True)[:12])
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert all(label.startswith("£") for label in labels) and any(label.endswith("M") for label in labels)


def test_money_labels_use_k_and_m():
    assert [charts.money_label(v) for v in (950, 12_400, 999_499, 1_200_000, 3_000_000, -45_000)] == [
        "£950", "£12k", "£999k", "£1.2M", "£3M", "-£45k"]
    assert charts.money_label(2_500_000, "€") == "€2.5M"


def test_budget_chart_leaves_out_small_programmes_and_says_so():
    kpis = _kpis(60)
    figure = charts.budget_by_programme_figure(kpis, limit=3)
    subtitle = next(t.get_text() for t in figure.texts if t.get_gid() == "subtitle")
    assert "the 3 largest budgets shown" in subtitle
    assert len(figure.axes[0].get_yticklabels()) == 3


@SCALES
def test_spi_cpi_quadrant_names_outliers_without_overlap(n):
    kpis = _kpis(n)
    figure = charts.spi_cpi_quadrant_figure(kpis)
    assert_readable(figure)
    ax = figure.axes[0]
    names = [t.get_text() for t in ax.texts if t.get_gid() == "point-label"]
    assert 0 < len(names) <= 12
    codes = {k.code: k for k in kpis}
    assert all(min(codes[c].spi, codes[c].cpi) < 0.95 or max(codes[c].spi, codes[c].cpi) > 1.15 for c in names)
    assert {t.get_text().split("\n")[0] for t in ax.texts if t.get_gid() == "quadrant"} == {
        "Ahead of schedule", "Behind schedule"}
    # Reference lines at 1.0 on both axes.
    lines = {line.get_gid(): line for line in ax.lines}
    assert list(lines["spi-1"].get_xdata()) == [1.0, 1.0] and list(lines["cpi-1"].get_ydata()) == [1.0, 1.0]
    drawn = sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() in ("projects", "off-scale"))
    assert drawn == sum(k.spi is not None and k.cpi is not None for k in kpis)


@SCALES
def test_roadmap_pages_stay_readable_and_group_by_programme(n):
    bars = _bars(_kpis(n))
    pages = charts.roadmap_pages(bars)
    rows = charts.roadmap_rows(bars)
    assert pages == -(-len(rows) // charts.ROADMAP_PAGE)
    chart = charts.RoadmapChart(bars, TODAY, page=pages - 1, selected=bars[-1].project_id)
    assert_readable(chart.figure)
    bold = [t.get_text() for t in chart.axes.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold[-1].startswith(bars[-1].code)
    subtitle = next(t.get_text() for t in chart.figure.texts if t.get_gid() == "subtitle")
    assert f"page {pages} of {pages}" in subtitle
    assert len(chart.rows) <= charts.ROADMAP_PAGE + 1
    # Every project is on exactly one page.
    on_pages = [r.bar.project_id for p in range(pages) for r in charts.RoadmapChart(bars, TODAY, page=p).rows if r.bar]
    assert sorted(on_pages) == sorted(b.project_id for b in bars)
    moved = sum(1 for r in chart.rows if r.bar and r.bar.baseline_end != r.bar.end)
    assert len([line for line in chart.axes.lines if line.get_gid() == "baseline-end"]) == moved
    today = next(line for line in chart.axes.lines if line.get_gid() == "today")
    assert today.get_xdata()[0] == pytest.approx(charts.date2num(TODAY))


def test_roadmap_click_finds_the_bar_and_page_of_a_project():
    bars = _bars(_kpis(60))
    chart = charts.RoadmapChart(bars, TODAY, page=1, selected=bars[40].project_id)
    FigureCanvasAgg(chart.figure).draw()
    row = chart.row_of(bars[40].project_id)
    assert row is not None and charts.roadmap_page_of(bars, bars[40].project_id) == 1

    class Event:
        inaxes = chart.axes
        xdata = charts.date2num(TODAY)
        ydata = row + 0.2

    assert chart.project_at(Event) == bars[40].project_id
    Event.ydata = 0.0  # the programme heading at the top of the page
    assert chart.project_at(Event) is None


@SCALES
def test_bubble_chart_sizes_by_budget_and_a_click_selects(n):
    points = _points(_kpis(n))
    chart = charts.BubbleChart(points, selected=points[1].project_id)
    assert_readable(chart.figure)
    scored = [p for p in points if p.score is not None]
    assert len(chart.collection.get_offsets()) == len(scored)
    biggest = max(range(len(chart.points)), key=lambda i: chart.sizes[i])
    assert chart.points[biggest].budget == max(p.budget or 0 for p in scored)
    # A click on the centre of a small bubble selects that project.
    smallest = min(range(len(chart.points)), key=lambda i: chart.sizes[i])
    target = chart.points[smallest]
    x, y = chart.axes.transData.transform((target.exposure, target.score))

    class Event:
        inaxes = chart.axes

    Event.x, Event.y = x, y
    found = chart.project_at(Event)
    assert found is not None
    hit = next(p for p in chart.points if p.project_id == found)
    assert abs(hit.exposure - target.exposure) <= 3 and abs(hit.score - target.score) <= 0.3


@pytest.mark.parametrize("periods", [3, 12, 30])
def test_portfolio_trend_stacks_rag_counts_and_draws_the_indices(periods):
    summaries = _periods(periods, 20)
    figure = charts.portfolio_trend_figure(summaries, thresholds=Thresholds())
    assert_readable(figure)
    rag_ax, index_ax = figure.axes[:2]
    heights = {}
    for patch in rag_ax.patches:
        heights.setdefault(patch.get_gid(), []).append(patch.get_height())
    assert [sum(bars) for bars in zip(*(heights[g] for g in ("rag-G", "rag-A", "rag-R")), strict=True)] == [
        s.reports for s in summaries]
    spi = next(line for line in index_ax.lines if line.get_gid() == "spi")
    assert list(spi.get_ydata()) == pytest.approx([min(max(s.spi, 0.0), 2.0) for s in summaries])
    assert len([t for t in index_ax.get_xticklabels() if t.get_text()]) <= 12


def test_project_trend_and_empty_charts_say_what_is_missing():
    periods = tuple(ProjectPeriod(1, dt.date(2026, m, 28), rag, 0.1 * m, 100.0 * m, 90.0 * m, 95.0 * m)
                    for m, rag in zip(range(1, 11), "GGAARRAGGG", strict=True))
    figure = charts.project_trend_figure(ProjectTrend(1, "DCX-014", "Customer Portal", periods))
    assert_readable(figure)
    strip = [p for p in figure.axes[0].patches if p.get_gid() == "rag-strip"]
    assert [to_hex(p.get_facecolor()[:3]) for p in strip][:3] == [charts.RAG_COLOURS[r] for r in "GGA"]
    for empty in (charts.project_trend_figure(None), charts.portfolio_trend_figure(()),
                  charts.rag_by_stage_figure([]), charts.budget_by_programme_figure([]),
                  charts.spi_cpi_quadrant_figure([]), charts.roadmap_figure([], TODAY), charts.bubble_figure([])):
        assert_readable(empty)
        assert any(t.get_gid() == "empty-note" for ax in empty.axes for t in ax.texts)


def test_the_readability_check_catches_overlaps_and_clipping():
    figure = Figure(figsize=(4, 3))
    figure.text(0.5, 0.5, "Overlapping")
    figure.text(0.52, 0.5, "labels")
    with pytest.raises(AssertionError, match="overlaps"):
        assert_readable(figure)
    clipped = Figure(figsize=(4, 3))
    clipped.text(0.95, 0.5, "Cut off at the edge")
    with pytest.raises(AssertionError, match="cut off"):
        assert_readable(clipped)
