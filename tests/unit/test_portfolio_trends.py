"""analytics.trends and analytics.portfolio_charts on hand-built history, with hand-computed figures.

Projects A and B share a baseline of 1 Jan to 11 Apr 2026 (100 days). P1 (31 Jan) is day 30 and
P2 (2 Mar) day 60 of it. B has a milestone baselined on day 20, so its plan is 50% by day 20 and
linear after (its other milestone has no baseline and bends nothing): 0.5 + 0.5 x 10/80 = 0.5625 at P1 and 0.5 + 0.5 x 40/80 = 0.75 at P2.

    project  BAC    period  RAG  %     AC      PV     EV
    A        1,000  P1      G    20%   250     300    200
    A        1,000  P2      A    60%   500     600    600
    B        4,000  P1      R    50%   2,000   2,250  2,000
    B        4,000  P2      R    75%   (none)  3,000  3,000
    C        (none) P1      -    -     -       -      -
    C        (none) P2      G    -     -       -      -

P1: SPI = (200 + 2,000) / (300 + 2,250) = 2,200 / 2,550; CPI = 2,200 / (250 + 2,000).
P2: SPI = 3,600 / 3,600 = 1.0; CPI = 600 / 500 = 1.2 (B has no AC, so its EV stays out of the CPI).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event

from pmo_desktop.analytics.portfolio_charts import bubble_points, risk_exposure, roadmap_bars, weighted_scores
from pmo_desktop.analytics.trends import portfolio_trend, project_trend
from pmo_desktop.model import (
    Milestone,
    Programme,
    Project,
    ProjectScore,
    RaidItem,
    StatusReport,
    StrategicCriterion,
)

D = dt.date
P1, P2 = D(2026, 1, 31), D(2026, 3, 2)
START, END = D(2026, 1, 1), D(2026, 4, 11)


@pytest.fixture
def office(db) -> dict[str, int]:
    with db.transaction() as s:
        digital = Programme(name="Digital")
        a = Project(code="A", name="Alpha", stage="execution", programme=digital, budget=Decimal(1000),
                    baseline_start=START, baseline_end=END, forecast_end=D(2026, 5, 1), rag="G")
        b = Project(code="B", name="Bravo", stage="execution", budget=Decimal(4000),
                    baseline_start=START, baseline_end=END)
        c = Project(code="C", name="Charlie", stage="planning", programme=digital, baseline_start=D(2025, 12, 1))
        quiet = Project(code="Q", name="Quiet", stage="idea")
        s.add_all([a, b, c, quiet])
        s.flush()
        b.milestones = [Milestone(name="Design", baseline_date=D(2026, 1, 21), actual_date=D(2026, 1, 25)),
                        Milestone(name="Build", forecast_date=D(2026, 3, 20))]
        s.add_all([
            StatusReport(project_id=a.id, period_end=P1, rag="G", percent_complete=0.20, actual_cost=Decimal(250)),
            StatusReport(project_id=a.id, period_end=P2, rag="A", percent_complete=0.60, actual_cost=Decimal(500)),
            StatusReport(project_id=b.id, period_end=P1, rag="R", percent_complete=0.50, actual_cost=Decimal(2000),
                         forecast_end=D(2026, 6, 30)),
            StatusReport(project_id=b.id, period_end=P2, rag="R", percent_complete=0.75),
            StatusReport(project_id=c.id, period_end=P1),
            StatusReport(project_id=c.id, period_end=P2, rag="G"),
        ])
        return {p.code: p.id for p in (a, b, c, quiet)}


def test_rag_counts_and_weighted_indices_per_period(db, office):
    with db.session() as s:
        first, second = portfolio_trend(s)
    assert (first.period_end, second.period_end) == (P1, P2)
    assert (first.reports, dict(first.rag_counts), first.no_rag) == (3, {"R": 1, "A": 0, "G": 1}, 1)
    assert (second.reports, dict(second.rag_counts), second.no_rag) == (3, {"R": 1, "A": 1, "G": 1}, 0)
    assert (first.pv, first.ev, first.ac) == pytest.approx((2550, 2200, 2250))
    assert first.spi == pytest.approx(2200 / 2550)
    assert first.cpi == pytest.approx(2200 / 2250)
    # Not the average of the projects' ratios ((0.667 + 0.889) / 2 = 0.778).
    assert first.spi != pytest.approx((200 / 300 + 2000 / 2250) / 2, abs=0.01)
    assert second.spi == pytest.approx(1.0)
    assert second.cpi == pytest.approx(1.2)


def test_until_last_and_project_ids_narrow_the_trend(db, office):
    with db.session() as s:
        assert [p.period_end for p in portfolio_trend(s, until=P1)] == [P1]
        assert [p.period_end for p in portfolio_trend(s, until=P1 - dt.timedelta(days=1))] == []
        assert [p.period_end for p in portfolio_trend(s, last=1)] == [P2]
        (only_a,) = portfolio_trend(s, until=P1, project_ids=[office["A"]])
    assert only_a.reports == 1
    assert only_a.spi == pytest.approx(200 / 300)
    assert only_a.cpi == pytest.approx(200 / 250)


def test_project_trend_follows_the_milestone_plan(db, office):
    with db.session() as s:
        trend = project_trend(s, office["B"])
        none_yet = project_trend(s, office["Q"])
        missing = project_trend(s, 999_999)
    assert (trend.code, trend.name) == ("B", "Bravo")
    first, second = trend.periods
    assert (first.rag, second.rag) == ("R", "R")
    assert (first.pv, second.pv) == pytest.approx((2250, 3000))
    assert first.spi == pytest.approx(2000 / 2250)
    assert first.cpi == pytest.approx(1.0)
    assert second.spi == pytest.approx(1.0)
    assert second.cpi is None
    assert none_yet is not None and none_yet.periods == () and none_yet.code == "Q"
    assert missing is None


def test_roadmap_bars_run_from_baseline_start_to_forecast_end(db, office):
    with db.session() as s:
        bars = roadmap_bars(s, P2)
        earlier = {b.code: b for b in roadmap_bars(s, P1)}
    # By programme (Digital first, no programme last); C has no end date and Q no dates: no bar.
    assert [b.code for b in bars] == ["A", "B"]
    by_code = {b.code: b for b in bars}
    assert (by_code["A"].start, by_code["A"].end, by_code["A"].programme) == (START, D(2026, 5, 1), "Digital")
    # B's forecast end comes from its latest report on or before the date (P1's says 30 Jun); P2's
    # report gives none, so the bar then ends at the baseline end.
    assert earlier["B"].end == D(2026, 6, 30)
    assert by_code["B"].end == END
    assert (earlier["B"].baseline_end, by_code["A"].baseline_end) == (END, END)
    design, build = by_code["B"].milestones
    assert (design.date, design.achieved) == (D(2026, 1, 25), True)
    assert (build.date, build.achieved) == (D(2026, 3, 20), False)


def test_weighted_scores_and_open_risk_exposure(db, office):
    with db.transaction() as s:
        value, fit, ignored = (StrategicCriterion(name="Value", weight=3.0), StrategicCriterion(name="Fit", weight=1.0),
                               StrategicCriterion(name="Legacy", weight=0.0))
        s.add_all([value, fit, ignored])
        s.flush()
        s.add_all([
            ProjectScore(project_id=office["A"], criterion_id=value.id, score=4),
            ProjectScore(project_id=office["A"], criterion_id=fit.id, score=2),
            ProjectScore(project_id=office["B"], criterion_id=fit.id, score=5),
            ProjectScore(project_id=office["C"], criterion_id=ignored.id, score=5),
        ])
        a, b = office["A"], office["B"]
        s.add_all([
            RaidItem(project_id=a, scope_key=str(a), ref="R-1", title="Supplier", likelihood=4, impact=5,
                     raised=D(2026, 1, 10)),
            RaidItem(project_id=a, scope_key=str(a), ref="R-2", title="Skills", likelihood=2, impact=3),
            RaidItem(project_id=a, scope_key=str(a), ref="R-3", title="Closed", likelihood=5, impact=5,
                     status="closed"),
            RaidItem(project_id=a, scope_key=str(a), ref="I-1", title="An issue", kind="issue", likelihood=5,
                     impact=5),
            RaidItem(project_id=b, scope_key=str(b), ref="R-1", title="Unscored"),
        ])
    with db.session() as s:
        scores = weighted_scores(s)
        exposure = risk_exposure(s)
        now = risk_exposure(s, dt.date.today())
        # The audit trail starts today: for an earlier day the items raised by then stand in.
        before_the_trail = risk_exposure(s, D(2026, 1, 5))
        points = {p.code: p for p in bubble_points(s, P2)}
    # (4 x 3 + 2 x 1) / (3 + 1) = 3.5; B only on Fit; C only on a weightless criterion: no score.
    assert scores == {office["A"]: pytest.approx(3.5), office["B"]: pytest.approx(5.0)}
    # Open risks only: 4 x 5 + 2 x 3 (the closed risk, the issue and the unscored risk add nothing).
    assert exposure == {office["A"]: 26, office["B"]: 0}
    assert now.get(office["A"]) == 26 and now.get(office["B"], 0) == 0
    assert before_the_trail == {office["A"]: 6, office["B"]: 0}  # R-1 was raised on 10 Jan
    assert (points["A"].score, points["A"].exposure, points["A"].budget, points["A"].rag) == (3.5, 26, 1000.0, "A")
    assert points["Q"].score is None and points["Q"].exposure == 0


def test_the_trend_reads_two_queries_whatever_the_number_of_projects(db, office):
    with db.transaction() as s:
        for i in range(40):
            project = Project(code=f"X-{i:02d}", name="Extra", budget=Decimal(100), baseline_start=START,
                              baseline_end=END)
            s.add(project)
            s.flush()
            s.add_all([StatusReport(project_id=project.id, period_end=period, rag="G", percent_complete=0.5,
                                    actual_cost=Decimal(40)) for period in (P1, P2)])
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as s:
            first, second = portfolio_trend(s)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements
    assert (first.reports, second.reports) == (43, 43)
    assert first.rag_counts["G"] == 41
