"""Portfolio KPIs: earned value per project and roll-ups, checked against figures worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event

from pmo_desktop.analytics.portfolio import (
    MilestoneFacts,
    ProjectFacts,
    Thresholds,
    compute_kpis,
    derive_rag,
    planned_fraction,
    portfolio_kpis,
    portfolio_total,
    project_kpis,
    rollup,
)
from pmo_desktop.model import Milestone, Programme, Project, StatusReport

D = dt.date
START, END = D(2026, 1, 1), D(2026, 1, 31)  # 30 days: the 16th is exactly halfway
HALFWAY = D(2026, 1, 16)


def _facts(**overrides) -> ProjectFacts:
    values = dict(project_id=1, code="P-1", name="Portal", programme="Digital", department="IT", stage="execution",
                  budget=100_000.0, actual_cost=50_000.0, forecast_cost=None, percent_complete=0.4,
                  baseline_start=START, baseline_end=END, forecast_end=END, reported_rag="A")
    values.update(overrides)
    return ProjectFacts(**values)


# -- one project -----------------------------------------------------------------------------------------

def test_textbook_project_halfway_through_its_baseline():
    k = compute_kpis(_facts(), [], HALFWAY)
    assert k.planned_fraction == pytest.approx(0.5)
    assert k.pv == pytest.approx(50_000)
    assert k.ev == pytest.approx(40_000)
    assert k.ac == pytest.approx(50_000)
    assert k.sv == pytest.approx(-10_000)
    assert k.cv == pytest.approx(-10_000)
    assert k.spi == pytest.approx(0.8)
    assert k.cpi == pytest.approx(0.8)
    assert k.eac == pytest.approx(125_000)
    assert k.vac == pytest.approx(-25_000)
    assert k.tcpi == pytest.approx(60 / 50)
    assert k.slip_days == 0
    assert k.budget_variance is None  # no forecast at completion given


def test_forecast_cost_is_the_eac_when_given():
    k = compute_kpis(_facts(forecast_cost=110_000.0), [], HALFWAY)
    assert k.eac == 110_000
    assert k.vac == pytest.approx(-10_000)
    assert k.budget_variance == pytest.approx(10_000)


def test_plan_before_start_and_after_end():
    assert planned_fraction(START, END, [], D(2025, 12, 1)) == 0.0
    assert planned_fraction(START, END, [], START) == 0.0
    assert planned_fraction(START, END, [], END) == 1.0
    assert planned_fraction(START, END, [], D(2027, 1, 1)) == 1.0
    assert planned_fraction(None, END, [], HALFWAY) is None


def test_milestones_make_the_plan_piecewise_linear():
    # Knots: 1 Jan (0), 11 Jan (0.5), 31 Jan (1). The 16th is 5 of the 20 days into the second half.
    assert planned_fraction(START, END, [D(2026, 1, 11)], HALFWAY) == pytest.approx(0.5 + 0.5 * 5 / 20)
    assert planned_fraction(START, END, [D(2026, 1, 11)], D(2026, 1, 6)) == pytest.approx(0.25)
    # Two milestones: three equal shares of value; 11 Jan and 21 Jan are then the same as linear.
    assert planned_fraction(START, END, [D(2026, 1, 21), D(2026, 1, 11)], D(2026, 1, 26)) == pytest.approx(5 / 6)
    # Dates outside the baseline and undated milestones do not bend the plan.
    assert planned_fraction(START, END, [None, D(2025, 6, 1), D(2026, 3, 1)], HALFWAY) == pytest.approx(0.5)
    k = compute_kpis(_facts(), [MilestoneFacts(D(2026, 1, 11))], HALFWAY)
    assert k.pv == pytest.approx(62_500)
    assert k.spi == pytest.approx(40_000 / 62_500)


def test_ratios_without_a_denominator_are_unknown():
    k = compute_kpis(_facts(actual_cost=0.0, baseline_start=None), [], HALFWAY)
    assert k.pv is None and k.spi is None and k.sv is None
    assert k.cpi is None and k.eac is None and k.vac is None
    assert k.tcpi == pytest.approx(60_000 / 100_000)
    overspent = compute_kpis(_facts(actual_cost=120_000.0), [], HALFWAY)
    assert overspent.tcpi is None  # no budget left: cannot be met at any efficiency
    no_budget = compute_kpis(_facts(budget=None), [], HALFWAY)
    assert no_budget.pv is None and no_budget.ev is None and no_budget.cv is None


def test_slip_and_milestone_hit_rate():
    milestones = [
        MilestoneFacts(D(2026, 1, 5), D(2026, 1, 5)),   # on the day: hit
        MilestoneFacts(D(2026, 1, 10), D(2026, 1, 8)),  # early: hit
        MilestoneFacts(D(2026, 1, 12), D(2026, 1, 14)),  # late: missed
        MilestoneFacts(D(2026, 1, 14), None),            # due, not achieved: missed
        MilestoneFacts(D(2026, 1, 25), None),            # not due yet
        MilestoneFacts(None, D(2026, 1, 2)),             # no baseline: not counted
    ]
    k = compute_kpis(_facts(forecast_end=D(2026, 3, 2)), milestones, HALFWAY)
    assert k.slip_days == 30
    assert (k.milestones_due, k.milestones_hit) == (4, 2)
    assert k.milestone_hit_rate == pytest.approx(0.5)
    assert compute_kpis(_facts(), [], HALFWAY).milestone_hit_rate is None


def test_derived_rag_is_the_worst_band_and_disagreement_is_flagged():
    t = Thresholds(amber_index=0.95, red_index=0.85, slip_amber_days=14, slip_red_days=45)
    assert derive_rag(1.0, 0.96, 0, t)[0] == "G"
    assert derive_rag(0.9, 1.2, 0, t)[0] == "A"
    assert derive_rag(1.0, 1.0, 15, t)[0] == "A"
    assert derive_rag(1.0, 1.0, 14, t)[0] == "G"
    assert derive_rag(1.0, 0.84, 0, t)[0] == "R"
    assert derive_rag(0.95, 0.85, 46, t)[0] == "R"
    assert derive_rag(None, None, None, t)[0] is None
    # The textbook project: SPI and CPI 0.8 are red, reported amber.
    k = compute_kpis(_facts(), [], HALFWAY, t)
    assert (k.derived_rag, k.reported_rag, k.rag_disagrees) == ("R", "A", True)
    assert "SPI 0.80 is below 0.85: Red" in k.rag_explanation()
    assert "disagree" in k.rag_explanation()
    assert not compute_kpis(_facts(reported_rag="R"), [], HALFWAY, t).rag_disagrees
    assert not compute_kpis(_facts(reported_rag=None), [], HALFWAY, t).rag_disagrees
    # Looser office thresholds turn the same project amber.
    loose = Thresholds(amber_index=0.9, red_index=0.75)
    assert compute_kpis(_facts(), [], HALFWAY, loose).derived_rag == "A"


# -- roll-ups ------------------------------------------------------------------------------------------------

def _three() -> list:
    a = compute_kpis(_facts(), [], HALFWAY)  # BAC 100, PV 50, EV 40, AC 50, EAC 125
    b = compute_kpis(_facts(project_id=2, code="P-2", budget=300_000.0, actual_cost=90_000.0,
                            percent_complete=0.4, forecast_cost=310_000.0, reported_rag="G"), [], HALFWAY)
    # b: PV 150, EV 120, AC 90, EAC 310 (forecast), budget variance +10
    c = compute_kpis(_facts(project_id=3, code="P-3", programme="Finance", department="Fin", budget=200_000.0,
                            actual_cost=20_000.0, percent_complete=0.25, forecast_end=D(2026, 3, 31)), [],
                     HALFWAY)
    # c: PV 100, EV 50, AC 20, CPI 2.5, EAC 80, slip 59
    return [a, b, c]


def test_rollup_by_programme_weights_by_money_not_by_project():
    groups = rollup(_three(), "programme")
    digital = groups["Digital"]
    assert digital.projects == 2
    assert (digital.bac, digital.pv, digital.ev, digital.ac) == pytest.approx((400_000, 200_000, 160_000, 140_000))
    assert digital.spi == pytest.approx(160 / 200)      # 0.8, and not the mean of 0.8 and 0.8
    assert digital.cpi == pytest.approx(160 / 140)      # not the mean of 0.8 and 1.333
    assert digital.eac == pytest.approx(125_000 + 310_000)
    assert digital.vac == pytest.approx(400_000 - 435_000)
    assert digital.tcpi == pytest.approx((400 - 160) / (400 - 140))
    assert digital.sv == pytest.approx(-40_000)
    assert digital.cv == pytest.approx(20_000)
    assert digital.budget_variance == pytest.approx(10_000)
    assert groups["Finance"].cpi == pytest.approx(2.5)


def test_portfolio_total_and_other_dimensions():
    kpis = _three()
    total = portfolio_total(kpis)
    assert total.projects == 3
    assert total.spi == pytest.approx((40 + 120 + 50) / (50 + 150 + 100))
    assert total.cpi == pytest.approx((40 + 120 + 50) / (50 + 90 + 20))
    assert total.late_projects == 1 and total.max_slip_days == 59
    assert total.derived_rag_counts == {"R": 3, "A": 0, "G": 0}  # every SPI is 0.8 or lower
    assert set(rollup(kpis, "department")) == {"IT", "Fin"}
    assert set(rollup(kpis, "stage")) == {"execution"}
    mean_of_ratios = sum(k.cpi for k in kpis) / 3  # (0.8 + 1.333 + 2.5) / 3 = 1.544
    assert total.cpi == pytest.approx(1.3125) != pytest.approx(mean_of_ratios)


def test_rollup_rag_counts_and_disagreements():
    kpis = _three()
    bands = [k.derived_rag for k in kpis]
    total = portfolio_total(kpis)
    assert total.derived_rag_counts == {r: bands.count(r) for r in "RAG"}
    assert total.disagreements == sum(k.rag_disagrees for k in kpis)


# -- from the database -------------------------------------------------------------------------------------------

@pytest.fixture
def office(db):
    with db.transaction() as session:
        digital = Programme(name="Digital")
        session.add(digital)
        portal = Project(code="P-1", name="Portal", programme=digital, department="IT", stage="execution",
                         budget=Decimal("100000"), baseline_start=START, baseline_end=END, forecast_end=END, rag="G")
        ledger = Project(code="P-2", name="Ledger", department="Finance", stage="execution",
                         budget=Decimal("200000"), actual_cost=Decimal("20000"), percent_complete=0.25,
                         baseline_start=START, baseline_end=END, forecast_end=D(2026, 3, 31))
        session.add_all([portal, ledger])
        session.flush()
        session.add_all([
            # The portal's figures come from its reports: the one after the as-of date is ignored.
            StatusReport(project_id=portal.id, period_end=D(2026, 1, 10), rag="G", percent_complete=0.2,
                         actual_cost=Decimal("20000")),
            StatusReport(project_id=portal.id, period_end=D(2026, 1, 15), rag="A", percent_complete=0.4,
                         actual_cost=Decimal("50000")),
            StatusReport(project_id=portal.id, period_end=D(2026, 1, 31), rag="R", percent_complete=0.9,
                         actual_cost=Decimal("99000")),
            Milestone(project_id=portal.id, name="Design", baseline_date=D(2026, 1, 11),
                      actual_date=D(2026, 1, 12)),
            Milestone(project_id=ledger.id, name="Go-live", baseline_date=D(2026, 1, 5),
                      actual_date=D(2026, 1, 5)),
        ])
    return db


def test_portfolio_kpis_from_the_database(office):
    with office.session() as session:
        kpis = {k.code: k for k in portfolio_kpis(session, HALFWAY)}
    portal = kpis["P-1"]
    assert portal.programme == "Digital"
    assert portal.pv == pytest.approx(62_500)  # one milestone on the 11th bends the plan
    assert (portal.ev, portal.ac) == pytest.approx((40_000, 50_000))
    assert portal.reported_rag == "A"           # the report of 15 Jan, not the one after the as-of date
    assert portal.derived_rag == "R" and portal.rag_disagrees
    assert (portal.milestones_due, portal.milestones_hit) == (1, 0)
    ledger = kpis["P-2"]
    assert ledger.programme is None and ledger.reported_rag is None
    # Knots 1 Jan (0), 5 Jan (0.5), 31 Jan (1): the 16th is 11 of 26 days into the second half.
    assert ledger.pv == pytest.approx(200_000 * (0.5 + 0.5 * 11 / 26)) and ledger.ev == pytest.approx(50_000)
    assert ledger.slip_days == 59 and ledger.derived_rag == "R"
    assert ledger.milestone_hit_rate == 1.0
    with office.session() as session:
        one = project_kpis(session, portal.project_id, HALFWAY)
        assert project_kpis(session, 999_999, HALFWAY) is None
    assert one == portal


def test_two_queries_however_many_projects(office):
    with office.transaction() as session:
        session.add_all(Project(code=f"X-{i:04d}", name=f"Extra {i}", budget=Decimal(1000 + i),
                                baseline_start=START, baseline_end=END, percent_complete=0.5)
                        for i in range(300))
    statements = []
    with office.session() as session:
        event.listen(session.get_bind(), "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        kpis = portfolio_kpis(session, HALFWAY)
    assert len(kpis) == 302
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2


def test_indices_are_not_banded_before_anything_is_planned_or_earned():
    # A proposal: feasibility costs booked, 0% complete, baseline not started: CPI 0 is not "red".
    k = compute_kpis(_facts(percent_complete=0.0, actual_cost=450.0, baseline_start=D(2026, 6, 1),
                            baseline_end=D(2026, 12, 31), forecast_end=D(2026, 12, 31)), [], HALFWAY)
    assert k.pv == 0 and k.cpi == 0
    assert k.derived_rag == "G"  # from the slip band alone
    assert any("nothing planned or earned yet" in reason for reason in k.rag_reasons)
    no_dates = compute_kpis(_facts(percent_complete=0.0, baseline_start=None, baseline_end=None), [], HALFWAY)
    assert no_dates.derived_rag is None and not no_dates.rag_disagrees
