"""The Portfolio tab's chart area: every chart draws, follows the filters and the period, and a click selects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from matplotlib.backend_bases import MouseEvent
from matplotlib.dates import date2num
from sqlalchemy import select

from pmo_desktop.model import (
    Milestone,
    Programme,
    Project,
    ProjectScore,
    RaidItem,
    StatusReport,
    StrategicCriterion,
)
from pmo_desktop.model.database import open_database
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.ui.context import AppContext
from pmo_desktop.ui.portfolio.changes_dialog import index_of_data
from pmo_desktop.ui.portfolio.charts_view import CHARTS
from pmo_desktop.ui.tabs.portfolio_tab import PortfolioTab

D = dt.date
P1, P2 = D(2026, 9, 30), D(2026, 10, 31)

# code, programme, stage, budget, baseline start, baseline end, score
PROJECTS = [
    ("DIG-001", "Digital", "execution", 900_000, D(2026, 1, 1), D(2027, 1, 31), 4.5),
    ("DIG-002", "Digital", "execution", 300_000, D(2026, 3, 1), D(2026, 12, 31), 2.0),
    ("DIG-003", "Digital", "planning", 150_000, D(2026, 9, 1), D(2027, 6, 30), 3.0),
    ("FIN-001", "Finance", "execution", 2_400_000, D(2025, 10, 1), D(2027, 3, 31), 3.5),
    ("FIN-002", "Finance", "closing", 120_000, D(2025, 6, 1), D(2026, 11, 30), 1.0),
    ("FIN-003", "Finance", "idea", None, None, None, None),
]


@pytest.fixture
def ctx(qapp, tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'charts.db'}", backup=False)
    with db.transaction() as session:
        ensure_defaults(session)
        programmes = {name: Programme(name=name) for name in ("Digital", "Finance")}
        value = StrategicCriterion(name="Strategic value", weight=1.0)
        session.add(value)
        for i, (code, programme, stage, budget, start, end, score) in enumerate(PROJECTS):
            project = Project(code=code, name=f"Project {code}", programme=programmes[programme], stage=stage,
                              budget=Decimal(budget) if budget else None, baseline_start=start, baseline_end=end,
                              forecast_end=end + dt.timedelta(days=20 * i) if end else None, rag="GAR"[i % 3])
            session.add(project)
            session.flush()
            if start:
                project.milestones = [Milestone(name="Design", baseline_date=start + dt.timedelta(days=60),
                                                actual_date=start + dt.timedelta(days=70))]
                for period, pct in ((P1, 0.3 + 0.05 * i), (P2, 0.4 + 0.05 * i)):
                    session.add(StatusReport(project_id=project.id, period_end=period, rag="GAR"[(i + period.month) % 3],
                                             percent_complete=pct, actual_cost=Decimal(budget) * Decimal(str(pct))))
            if score is not None:
                session.add(ProjectScore(project_id=project.id, criterion_id=None, score=score, criterion=value))
                session.add(RaidItem(project_id=project.id, scope_key=str(project.id), ref="R-1", title="Risk",
                                     likelihood=1 + i % 5, impact=2 + i % 4))
    context = AppContext(db)
    yield context
    context.db.dispose()


@pytest.fixture
def tab(charted_portfolio_tab, ctx):
    charted_portfolio_tab.ids = dict(ctx.read(lambda s: s.execute(select(Project.code, Project.id)).all()))
    return charted_portfolio_tab


def show_chart(tab, qtbot, key: str):
    tab.charts.set_chart(key)
    qtbot.waitUntil(lambda: not tab.charts.is_stale)
    return tab.charts.canvas.figure


def texts(figure, gid: str) -> list[str]:
    found = [t.get_text() for t in figure.texts if t.get_gid() == gid]
    return found + [t.get_text() for ax in figure.axes for t in ax.texts if t.get_gid() == gid]


def stage_total(figure) -> int:
    return sum(int(t) for t in texts(figure, "stage-total"))


def click(tab, x: float, y: float) -> None:
    """A left click at pixel (x, y) of the chart, as matplotlib reports it."""
    canvas = tab.charts.canvas.canvas
    event = MouseEvent("button_press_event", canvas, x, y, button=1)
    canvas.callbacks.process("button_press_event", event)


def test_every_chart_draws_under_the_table(tab, qtbot):
    assert tab.content_splitter.indexOf(tab.charts) == 1
    titles = set()
    for key, _words in CHARTS:
        figure = show_chart(tab, qtbot, key)
        (title,) = texts(figure, "title")
        titles.add(title)
        width, height = tab.charts.canvas.canvas.get_width_height()
        assert (width, height) == pytest.approx((tab.charts.canvas.width(), tab.charts.canvas.height()), abs=2)
    assert len(titles) == len(CHARTS)


def test_charts_follow_the_table_filters(tab, qtbot):
    figure = show_chart(tab, qtbot, "rag_by_stage")
    assert stage_total(figure) == 6
    tab.programme_filter.setCurrentIndex(tab.programme_filter.findText("Finance"))
    qtbot.waitUntil(lambda: tab.model.rowCount() == 3)
    qtbot.waitUntil(lambda: stage_total(tab.charts.canvas.figure) == 3)
    figure = show_chart(tab, qtbot, "budget_by_programme")
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["Finance"]


def test_charts_follow_the_as_of_period(tab, qtbot):
    figure = show_chart(tab, qtbot, "portfolio_trend")
    assert f"to {P2:%d %b %Y}" in texts(figure, "subtitle")[0]
    tab.as_of_combo.setCurrentIndex(index_of_data(tab.as_of_combo, P1))
    qtbot.waitUntil(lambda: not tab.charts.is_stale and f"to {P1:%d %b %Y}" in texts(tab.charts.canvas.figure,
                                                                                      "subtitle")[0])
    rag_axes = tab.charts.canvas.figure.axes[0]
    assert len([p for p in rag_axes.patches if p.get_gid() == "rag-G"]) <= 1  # one period: P1 only
    figure = show_chart(tab, qtbot, "roadmap")
    today = next(line for line in figure.axes[0].lines if line.get_gid() == "today")
    assert today.get_xdata()[0] == pytest.approx(date2num(P1))
    assert texts(figure, "today-label") == [f"As of {P1:%d %b %Y}"]


def test_clicking_a_bubble_selects_its_project(tab, qtbot):
    show_chart(tab, qtbot, "bubble")
    chart = tab.charts.chart
    target = next(p for p in chart.points if p.code == "DIG-003")
    x, y = chart.axes.transData.transform((target.exposure, target.score))
    click(tab, x, y)
    qtbot.waitUntil(lambda: tab.selected_project_id() == tab.ids["DIG-003"])
    assert tab.panel.project_id == tab.ids["DIG-003"]
    # The bubble chart redraws with the chosen bubble outlined.
    qtbot.waitUntil(lambda: not tab.charts.is_stale and tab.charts.chart.points is not chart.points)


def test_clicking_a_roadmap_bar_selects_and_the_project_trend_follows(tab, qtbot):
    show_chart(tab, qtbot, "roadmap")
    chart = tab.charts.chart
    row = chart.row_of(tab.ids["FIN-001"])
    bar = next(r.bar for r in chart.rows if r.bar and r.bar.project_id == tab.ids["FIN-001"])
    middle = date2num(bar.start) + (date2num(bar.end) - date2num(bar.start)) / 2
    click(tab, *chart.axes.transData.transform((middle, row)))
    qtbot.waitUntil(lambda: tab.selected_project_id() == tab.ids["FIN-001"])
    figure = show_chart(tab, qtbot, "project_trend")
    assert texts(figure, "title")[0].startswith("FIN-001")
    assert len([p for p in figure.axes[0].patches if p.get_gid() == "rag-strip"]) == 2
    tab.select_project(tab.ids["DIG-002"])
    qtbot.waitUntil(lambda: texts(tab.charts.canvas.figure, "title")[0].startswith("DIG-002"))


def test_a_hidden_chart_area_waits_for_its_next_show(tab, qtbot):
    show_chart(tab, qtbot, "rag_by_stage")
    shown = tab.charts.canvas.figure
    tab.hide()
    tab.filter_bar.search.setText("DIG")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 3)
    qtbot.wait(50)
    assert tab.charts.is_stale and tab.charts.canvas.figure is shown
    tab.show()
    qtbot.waitUntil(lambda: not tab.charts.is_stale)
    assert stage_total(tab.charts.canvas.figure) == 3


def test_the_roadmap_pages_when_the_rows_do_not_fit(tab, qtbot):
    # A short chart area: six rows fit (two programme headings and five projects with dates need seven).
    tab.content_splitter.setSizes([800, 150])
    show_chart(tab, qtbot, "roadmap")
    view = tab.charts
    qtbot.waitUntil(lambda: not view.is_stale and view.next_button.isVisible())
    first = [r.label for r in view.chart.rows]
    assert view.page_label.text() == "Page 1 of 2" and not view.previous_button.isEnabled()
    view.next_button.click()
    qtbot.waitUntil(lambda: not view.is_stale and view.page_label.text() == "Page 2 of 2")
    second = [r.label for r in view.chart.rows]
    assert second[0] == "Finance (continued)" and set(first).isdisjoint(second[1:])
    # Selecting a project on the other page turns back to it.
    tab.select_project(tab.ids["DIG-001"])
    qtbot.waitUntil(lambda: not view.is_stale and view.page_label.text() == "Page 1 of 2")
    assert view.chart.row_of(tab.ids["DIG-001"]) is not None


def test_rag_by_stage_counts_the_reported_or_the_derived_rag(tab, qtbot):
    figure = show_chart(tab, qtbot, "rag_by_stage")
    assert texts(figure, "title") == ["Projects by stage and reported RAG"]
    assert tab.charts.rag_choice.isVisible()
    tab.charts.rag_choice.setCurrentIndex(tab.charts.rag_choice.findData("derived"))
    qtbot.waitUntil(lambda: texts(tab.charts.canvas.figure, "title") == ["Projects by stage and derived RAG"])
    show_chart(tab, qtbot, "roadmap")
    assert not tab.charts.rag_choice.isVisible()


def test_save_image_writes_the_chart_shown_as_png(tab, qtbot, tmp_path, monkeypatch, message_boxes):
    from PySide6.QtWidgets import QFileDialog

    show_chart(tab, qtbot, "portfolio_trend")
    asked = []

    def ask(parent, caption, suggested, filters):
        asked.append(suggested)
        return str(tmp_path / "trend"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(ask))
    saved = tab.charts.save_image()
    assert saved == tmp_path / "trend.png"
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert asked[0].endswith("Portfolio trend " + dt.date.today().strftime("%d %b %Y") + ".png")

    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args: (str(tmp_path / "missing" / "chart.png"), "")))
    assert tab.charts.save_image() is None
    assert "could not be saved" in message_boxes.texts() and "missing" in message_boxes.texts()


def _tab_whose_charts_load_with(ctx, qtbot, monkeypatch, load):
    """A Portfolio tab shown as if matplotlib were not imported yet; ``load`` stands for the import."""
    from pmo_desktop.ui.portfolio import charts_view

    monkeypatch.setattr(charts_view, "chart_modules_loaded", lambda: False)
    monkeypatch.setattr(charts_view, "import_chart_modules", load)
    widget = PortfolioTab(ctx)
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    return widget


def test_the_first_chart_says_it_is_loading_until_matplotlib_is_imported(ctx, qtbot, monkeypatch):
    import threading

    released = threading.Event()
    tab = _tab_whose_charts_load_with(ctx, qtbot, monkeypatch, lambda: released.wait(30))
    view = tab.charts
    qtbot.waitUntil(lambda: view.is_loading)
    # The table is there and usable while the chart area waits.
    assert tab.model.rowCount() == len(PROJECTS)
    assert view.loading_label.isVisible() and view.loading_label.text() == "Loading chart…"
    assert view.canvas.figure is None and view.is_stale
    view.set_chart("spi_cpi_quadrant")  # chosen meanwhile: drawn once the import is done
    released.set()
    qtbot.waitUntil(lambda: view.canvas.figure is not None)
    assert not view.is_loading and not view.is_stale and not view.loading_label.isVisible()
    assert view.current_chart() == "spi_cpi_quadrant"


def test_a_chart_area_whose_charts_cannot_be_imported_says_so(ctx, qtbot, monkeypatch):
    def broken() -> None:
        raise ImportError("No module named 'matplotlib'")

    tab = _tab_whose_charts_load_with(ctx, qtbot, monkeypatch, broken)
    view = tab.charts
    qtbot.waitUntil(lambda: view.loading_label.text().startswith("The charts could not be loaded"))
    assert "No module named 'matplotlib'" in view.loading_label.text()
    assert view.loading_label.isVisible() and not view.is_loading and view.canvas.figure is None
