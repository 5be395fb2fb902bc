"""The health dashboard's figures: gate pipeline, decisions log, and the charts drawn from them."""

from __future__ import annotations

import datetime as dt

import pytest
from matplotlib.backend_bases import MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from sqlalchemy import select

from pmo_desktop.analytics import governance as cg
from pmo_desktop.analytics.governance import ComplianceSummary, ReportingRate
from pmo_desktop.analytics.scorecard import PeriodFigures
from pmo_desktop.charts import governance as charts
from pmo_desktop.model import Gate, GateCondition, GateReview, Project
from pmo_desktop.model.database import open_database
from pmo_desktop.services.defaults import ensure_defaults

D = dt.date
TODAY = D(2026, 11, 26)


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'dashboard.db'}", backup=False)
    with database.transaction() as session:
        ensure_defaults(session)
        session.add_all([Project(code="A", name="Alpha", stage="execution"),
                         Project(code="B", name="Beta", stage="execution"),
                         Project(code="C", name="Gamma", stage="on_hold")])
        session.flush()
        gates = {g.to_stage: g.id for g in session.scalars(select(Gate))}
        a, b = (session.scalar(select(Project.id).where(Project.code == code)) for code in ("A", "B"))
        older = GateReview(project_id=a, gate_id=gates["planning"], review_date=D(2026, 3, 1), decision="approved",
                           decided_by="Board")
        newer = GateReview(project_id=b, gate_id=gates["execution"], review_date=D(2026, 9, 1),
                           decision="approved_with_conditions", decided_by="Delivery board")
        newer.conditions = [
            GateCondition(text="Resource plan", owner="Sam", due=D(2026, 12, 1)),
            GateCondition(text="Budget profile", owner="Kim", due=D(2026, 10, 1)),
            GateCondition(text="Risk review", owner="Lee", due=D(2026, 10, 15), met_on=D(2026, 10, 10)),
        ]
        session.add_all([older, newer])
    yield database
    database.dispose()


def test_stage_pipeline_counts_every_stage_in_lifecycle_order(db):
    with db.session() as session:
        pipeline = cg.stage_pipeline(session)
    assert [s.stage for s in pipeline] == ["idea", "business_case", "approved", "planning", "execution", "closing",
                                           "closed", "on_hold", "cancelled"]
    assert {s.stage: s.projects for s in pipeline if s.projects} == {"execution": 2, "on_hold": 1}


def test_decision_log_lists_each_condition_with_its_state(db):
    with db.session() as session:
        log = cg.decision_log(session, TODAY)
    assert [(e.project_code, e.condition, e.owner, e.state) for e in log] == [
        ("B", "Budget profile", "Kim", "overdue"),
        ("B", "Risk review", "Lee", "met"),
        ("B", "Resource plan", "Sam", "open"),
        ("A", None, None, None),
    ]
    assert log[0].gate == "G4 Execution" and log[0].decided_by == "Delivery board"


def summary() -> ComplianceSummary:
    return ComplianceSummary(
        total=9, by_rule={cg.MISSING_REPORT: 2, cg.RAID_OVERDUE: 6, cg.REQUIRED_FIELDS: 0, cg.STAGE_WITHOUT_GATE: 1},
        by_manager={"Sam": 5, "Kim": 3, cg.NO_MANAGER: 1},
        reporting=(ReportingRate(D(2026, 9, 30), "Sep 2026", 10, 8), ReportingRate(D(2026, 10, 31), "Oct 2026", 0, 0)))


def test_rule_bars_most_first_without_empty_rules():
    bars = charts.rule_bars(summary(), {cg.RAID_OVERDUE: "#e67e22"})
    assert [(b.key, b.value) for b in bars] == [(cg.RAID_OVERDUE, 6), (cg.MISSING_REPORT, 2),
                                                 (cg.STAGE_WITHOUT_GATE, 1)]
    assert bars[0].colour == "#e67e22" and bars[0].label == "RAID item overdue"
    managers, more = charts.manager_bars(summary(), limit=2)
    assert [b.key for b in managers] == ["Sam", "Kim"] and more == 1


def _click(chart: charts.HorizontalBars, x: float, y: float) -> MouseEvent:
    canvas = FigureCanvasAgg(chart.figure)
    canvas.draw()
    px, py = chart.axes.transData.transform((x, y))
    return MouseEvent("button_press_event", canvas, px, py, button=1)


def test_clicking_a_bar_or_its_row_gives_its_key():
    chart = charts.HorizontalBars()
    chart.update("Exceptions by rule", charts.rule_bars(summary(), {}), selected=cg.MISSING_REPORT)
    assert chart.patches[cg.MISSING_REPORT].get_gid() == "bar-missing_status_report"
    assert chart.patches[cg.RAID_OVERDUE].get_alpha() == pytest.approx(0.35)  # not the selected one
    # Bars run top to bottom: RAID overdue at y=2, missing report at y=1, stage without gate at y=0.
    assert chart.key_at(_click(chart, 3, 2)) == cg.RAID_OVERDUE
    assert chart.key_at(_click(chart, 5, 0)) == cg.STAGE_WITHOUT_GATE  # beside the short bar, same row
    assert chart.key_at(_click(chart, 1, 0.5)) is None  # between rows


def test_empty_chart_says_so():
    chart = charts.HorizontalBars()
    chart.update("Exceptions by manager", [], empty_text="No exceptions")
    assert [t.get_text() for t in chart.axes.texts] == ["No exceptions"]
    assert chart.patches == {}


def test_reporting_trend_marks_the_target_and_skips_periods_with_nothing_expected():
    figure = charts.reporting_trend_figure(summary().reporting, 0.9)
    ax = figure.axes[0]
    target = next(line for line in ax.lines if line.get_gid() == "target")
    assert list(target.get_ydata()) == [0.9, 0.9]
    assert [t.get_text() for t in ax.texts] == ["80%"]  # October expected nothing: no point, no label
    assert "target 90%" in figure.texts[0].get_text()


def test_pipeline_draws_one_bar_per_stage(db):
    with db.session() as session:
        pipeline = cg.stage_pipeline(session)
    figure = charts.pipeline_figure(pipeline)
    heights = {p.get_gid(): p.get_height() for p in figure.axes[0].patches}
    assert heights["stage-execution"] == 2 and heights["stage-on_hold"] == 1 and heights["stage-idea"] == 0
    assert figure.texts[0].get_text() == "Gate pipeline: 3 projects by stage"


def test_decisions_stack_by_decision_per_period():
    rate = ReportingRate(D(2026, 10, 31), "Oct 2026", 0, 0)
    periods = [PeriodFigures(D(2026, 10, 31), "Oct 2026", 0, None, None, rate, None,
                             {"approved": 3, "deferred": 1})]
    figure = charts.decisions_figure(periods)
    bars = {p.get_gid(): (p.get_y(), p.get_height()) for p in figure.axes[0].patches}
    assert bars["decisions-approved"] == (0, 3)
    assert bars["decisions-approved_with_conditions"] == (3, 0)
    assert bars["decisions-deferred"] == (3, 1)
    assert [t.get_text() for t in figure.axes[0].texts] == ["4"]


def test_bar_labels_keep_their_width_when_the_figure_is_resized():
    from matplotlib.backend_bases import ResizeEvent

    chart = charts.HorizontalBars(figsize=(4.0, 3.0), label_inches=2.0)
    assert chart.figure.subplotpars.left == pytest.approx(0.5)
    canvas = FigureCanvasAgg(chart.figure)
    chart.figure.set_size_inches(8.0, 3.0)
    ResizeEvent("resize_event", canvas)._process()
    assert chart.figure.subplotpars.left == pytest.approx(0.25)
