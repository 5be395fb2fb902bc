"""The PMO scorecard on a hand-built office: every figure below is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from pmo_desktop.analytics import scorecard as sc
from pmo_desktop.model import Allocation, Gate, GateReview, Person, Project, StatusReport
from pmo_desktop.model.database import load_settings, open_database
from pmo_desktop.services.defaults import ensure_defaults

D = dt.date
TODAY = D(2026, 11, 26)  # monthly cadence: the last two completed periods are September and October 2026


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'scorecard.db'}", backup=False)
    with database.transaction() as session:
        ensure_defaults(session)
    yield database
    database.dispose()


def closed(code: str, **values) -> Project:
    return Project(code=code, name=f"Closed {code}", stage="closed", **values)


@pytest.fixture
def office(db):
    with db.transaction() as session:
        session.add_all([
            # On time (20 Jun <= 30 Jun), on budget (105,000 within 10% of 100,000), benefits: a success.
            closed("A", baseline_end=D(2026, 6, 30), actual_end=D(2026, 6, 20), budget=Decimal(100_000),
                   actual_cost=Decimal(105_000), benefits=Decimal(50_000)),
            # Late (15 Jul > 30 Jun), on budget, no benefits recorded (zero).
            closed("B", baseline_end=D(2026, 6, 30), actual_end=D(2026, 7, 15), budget=Decimal(100_000),
                   actual_cost=Decimal(90_000), benefits=Decimal(0)),
            # No baseline end: timeliness unknown; 120,000 is beyond 10% over; benefits recorded.
            closed("C", actual_end=D(2026, 5, 1), budget=Decimal(100_000), actual_cost=Decimal(120_000),
                   benefits=Decimal(10)),
        ])
        p = Project(code="P", name="Live P", stage="execution", baseline_end=D(2027, 1, 31), budget=Decimal(200_000))
        q = Project(code="Q", name="Live Q", stage="execution", baseline_end=D(2027, 3, 31), budget=Decimal(100_000))
        session.add_all([p, q])
        session.flush()
        session.add_all([
            # August: outside the two periods, ignored.
            StatusReport(project_id=p.id, period_end=D(2026, 8, 31), forecast_end=D(2027, 6, 1),
                         forecast_cost=Decimal(400_000)),
            # September: P slips 10 days and is 10% over; Q is 10 days early and on budget.
            StatusReport(project_id=p.id, period_end=D(2026, 9, 30), forecast_end=D(2027, 2, 10),
                         forecast_cost=Decimal(220_000)),
            StatusReport(project_id=q.id, period_end=D(2026, 9, 30), forecast_end=D(2027, 3, 21),
                         forecast_cost=Decimal(100_000)),
            # October: only P reports, 30 days late and 20% over.
            StatusReport(project_id=p.id, period_end=D(2026, 10, 31), forecast_end=D(2027, 3, 2),
                         forecast_cost=Decimal(240_000)),
        ])
        gates = {g.to_stage: g.id for g in session.scalars(select(Gate))}
        session.add_all([
            GateReview(project_id=p.id, gate_id=gates["planning"], review_date=D(2026, 8, 31), decision="approved"),
            GateReview(project_id=p.id, gate_id=gates["execution"], review_date=D(2026, 9, 15), decision="approved"),
            GateReview(project_id=q.id, gate_id=gates["closing"], review_date=D(2026, 10, 3), decision="deferred"),
            GateReview(project_id=q.id, gate_id=gates["closing"], review_date=D(2026, 10, 20),
                       decision="approved_with_conditions"),
        ])
        ada = Person(name="Ada", capacity_hours=40)
        session.add(ada)
        session.flush()
        # September's weeks are those starting 7, 14, 21 and 28 Sep: 4 x 20 h of 4 x 40 h = 50%.
        # October's start 5, 12, 19 and 26 Oct: 4 x 10 h of 4 x 40 h = 25%.
        session.add_all([
            Allocation(person_id=ada.id, project_id=p.id, start_date=D(2026, 9, 7), end_date=D(2026, 10, 2),
                       hours_per_week=20),
            Allocation(person_id=ada.id, project_id=q.id, start_date=D(2026, 10, 5), end_date=D(2026, 10, 30),
                       hours_per_week=10),
        ])
    return db


def run(db, periods: int = 2, tolerance: float | None = None) -> sc.Scorecard:
    with db.session() as session:
        settings = load_settings(session)
        if tolerance is not None:
            settings.compliance_rules = {"forecast_over_budget": {"enabled": True, "tolerance_pct": tolerance}}
        return sc.scorecard(session, TODAY, settings, periods)


def test_success_rate_of_closed_projects(office):
    card = run(office)
    assert [o.code for o in card.outcomes] == ["A", "B", "C"]
    a, b, c = card.outcomes
    assert (a.on_time, a.on_budget, a.benefits_recorded, a.successful) == (True, True, True, True)
    assert (b.on_time, b.on_budget, b.benefits_recorded, b.successful) == (False, True, False, False)
    assert (c.on_time, c.on_budget, c.benefits_recorded, c.successful) == (None, False, True, False)
    assert b.slip_days == 15 and c.slip_days is None
    rate = card.success
    assert (rate.closed, rate.successful) == (3, 1)
    assert rate.success_rate == pytest.approx(1 / 3)
    assert rate.on_time_rate == pytest.approx(1 / 2)  # C cannot be judged
    assert rate.on_budget_rate == pytest.approx(2 / 3)
    assert rate.benefits_rate == pytest.approx(2 / 3)


@pytest.mark.parametrize(("tolerance", "a_on_budget"), [(5, True), (4.9, False), (0, False)])
def test_on_budget_uses_the_office_tolerance_inclusively(office, tolerance, a_on_budget):
    a = run(office, tolerance=tolerance).outcomes[0]
    assert a.on_budget is a_on_budget  # A spent 105,000 of 100,000


def test_slip_and_cost_variance_by_period(office):
    sep, oct_ = run(office).periods
    assert (sep.label, oct_.label) == ("Sep 2026", "Oct 2026")
    assert (sep.reports, oct_.reports) == (2, 1)
    assert sep.avg_slip_days == pytest.approx(0)  # (+10 - 10) / 2
    assert sep.avg_cost_variance == pytest.approx(0.05)  # (10% + 0%) / 2
    assert oct_.avg_slip_days == pytest.approx(30)
    assert oct_.avg_cost_variance == pytest.approx(0.2)


def test_reporting_utilisation_and_decisions_by_period(office):
    sep, oct_ = run(office).periods
    assert (sep.reporting.received, sep.reporting.expected) == (2, 2)
    assert (oct_.reporting.received, oct_.reporting.expected) == (1, 2)
    assert sep.utilisation == pytest.approx(0.5)
    assert oct_.utilisation == pytest.approx(0.25)
    assert sep.decisions == {"approved": 1}  # 31 Aug belongs to August
    assert oct_.decisions == {"approved_with_conditions": 1, "deferred": 1}
    assert oct_.decision_count == 2


def test_empty_office_has_no_rates(db):
    card = run(db)
    assert card.success.closed == 0 and card.success.success_rate is None
    assert all(p.avg_slip_days is None and p.utilisation is None and p.reports == 0 for p in card.periods)
