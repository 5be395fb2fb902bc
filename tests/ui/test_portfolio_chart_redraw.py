"""The Portfolio chart is drawn again when what it shows changes, and kept when a refresh changed nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from pmo_desktop.model import OfficeSettings, Programme, Project
from pmo_desktop.model.database import open_database
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.ui.context import AppContext

D = dt.date


@pytest.fixture
def ctx(qapp, tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'charts.db'}", backup=False)
    with db.transaction() as session:
        ensure_defaults(session)
        programme = Programme(name="Digital")
        for i in range(4):
            session.add(Project(code=f"DIG-00{i}", name=f"Project {i}", programme=programme, stage="execution",
                                rag="GAR"[i % 3], budget=Decimal(100_000 * (i + 1)), percent_complete=0.2 * i,
                                actual_cost=Decimal(20_000 * (i + 1)), baseline_start=D(2026, 1, 1),
                                baseline_end=D(2026, 12, 31)))
    context = AppContext(db)
    yield context
    context.db.dispose()


@pytest.fixture
def tab(charted_portfolio_tab):
    return charted_portfolio_tab


def _settled(tab, qtbot):
    qtbot.waitUntil(lambda: not tab.charts.is_stale)
    return tab.charts.canvas.figure


@pytest.mark.parametrize("chart", ["rag_by_stage", "budget_by_programme", "spi_cpi_quadrant"])
def test_a_refresh_that_changed_nothing_keeps_the_chart(tab, qtbot, chart):
    tab.charts.set_chart(chart)
    drawn = _settled(tab, qtbot)
    tab.refresh()
    assert _settled(tab, qtbot) is drawn


def test_a_changed_project_draws_the_chart_again(tab, ctx, qtbot):
    drawn = _settled(tab, qtbot)
    with ctx.db.transaction() as session:
        session.scalar(select(Project).where(Project.code == "DIG-001")).rag = "R"
    tab.refresh()
    assert _settled(tab, qtbot) is not drawn


def test_the_rag_choice_and_the_currency_draw_the_chart_again(tab, ctx, qtbot):
    drawn = _settled(tab, qtbot)
    tab.charts.rag_choice.setCurrentIndex(1)
    derived = _settled(tab, qtbot)
    assert derived is not drawn
    tab.charts.set_chart("budget_by_programme")
    pounds = _settled(tab, qtbot)
    with ctx.db.transaction() as session:
        session.get(OfficeSettings, 1).currency = "EUR"
    ctx.reload_settings()  # as the settings dialog does after saving
    euros = _settled(tab, qtbot)
    assert euros is not pounds
    labels = " ".join(text.get_text() for ax in euros.axes for text in ax.texts + ax.get_xticklabels())
    assert "€" in labels
