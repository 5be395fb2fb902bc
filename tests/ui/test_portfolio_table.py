"""The Portfolio tab's read: each row's KPIs are those ``portfolio_kpis`` figures as of the chosen date.

``portfolio_table`` reuses the row's latest report for the KPIs when it is on or before the date,
and reads again only the projects whose latest report is later; either way the KPIs must be the
ones figured from the latest report on or before the date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from pmo_desktop.analytics.portfolio import Thresholds, portfolio_kpis
from pmo_desktop.model import Milestone, Programme, Project, StatusReport
from pmo_desktop.model.database import open_database
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.ui.tabs import portfolio_tab
from pmo_desktop.ui.tabs.portfolio_tab import TABLE_FIELDS, portfolio_table

D = dt.date

# code, last report month (None: never reported), own actual cost
PROJECTS = [("ALP-1", 3, None), ("BET-2", 7, None), ("GAM-3", None, None), ("DEL-4", 9, Decimal("5000")),
            ("EPS-5", 5, None)]


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'office.db'}", backup=False)
    with database.transaction() as session:
        ensure_defaults(session)
        programme = Programme(name="Change")
        for n, (code, last_month, actual) in enumerate(PROJECTS, start=1):
            project = Project(code=code, name=f"Project {code}", programme=programme if n % 2 else None,
                              stage="execution", rag="G", budget=Decimal(100_000 * n), actual_cost=actual,
                              baseline_start=D(2026, 1, 1), baseline_end=D(2026, 12, 31),
                              forecast_end=D(2027, 1, 31) if n == 2 else None)
            project.milestones = [Milestone(name="Design", baseline_date=D(2026, 4, 30),
                                            actual_date=D(2026, 5, 10) if n % 2 else None)]
            months = range(1, last_month + 1) if last_month else ()
            project.status_reports = [
                StatusReport(period_end=D(2026, m, 28), rag="RAG"[(m + n) % 3], percent_complete=m / 12,
                             actual_cost=Decimal(9_000 * m), forecast_cost=Decimal(110_000 * n),
                             forecast_end=D(2026, 12, 31) + dt.timedelta(days=10 * m))
                for m in months]
            session.add(project)
    yield database
    database.dispose()


def _expected(session, as_of: dt.date) -> dict:
    return {k.project_id: k for k in portfolio_kpis(session, as_of, Thresholds())}


@pytest.mark.parametrize("as_of", [D(2026, 11, 30), D(2026, 9, 28), D(2026, 6, 1), D(2026, 3, 28), D(2025, 12, 31)])
@pytest.mark.parametrize("in_list_max", [500, 1])
def test_kpis_are_those_as_of_the_date_whichever_report_is_latest(db, monkeypatch, as_of, in_list_max):
    monkeypatch.setattr(portfolio_tab, "_IN_LIST_MAX", in_list_max)  # read again by id, or all
    with db.session() as session:
        table = portfolio_table(session, as_of, Thresholds())
        expected = _expected(session, as_of)
        codes = dict(session.execute(select(Project.id, Project.code)).all())
    assert table.kpis == expected
    at = {name: i for i, name in enumerate(TABLE_FIELDS)}
    assert [codes[row[0]] for row in table.rows] == sorted(code for code, *_ in PROJECTS)
    for row in table.rows:
        k = expected[row[0]]
        assert (row[at["derived_rag"]], row[at["rag_disagrees"]], row[at["spi"]], row[at["cpi"]]) == (
            k.derived_rag, k.rag_disagrees, k.spi, k.cpi)


def test_a_later_report_is_not_counted_before_its_period(db):
    with db.session() as session:
        table = portfolio_table(session, D(2026, 6, 1), Thresholds())
        ids = dict(session.execute(select(Project.code, Project.id)).all())
    at = {name: i for i, name in enumerate(TABLE_FIELDS)}
    row = next(r for r in table.rows if r[0] == ids["BET-2"])
    # The row shows the latest report (July); the KPIs count May's: 9,000 x 5 spent, 5/12 done.
    assert row[at["last_report"]] == D(2026, 7, 28)
    assert row[at["actual_cost"]] == Decimal(63_000)
    kpis = table.kpis[ids["BET-2"]]
    assert kpis.ac == 45_000.0
    assert kpis.ev == pytest.approx(200_000 * 5 / 12)
