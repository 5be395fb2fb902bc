"""The heat map of a large office is computed in the background: busy state, then the figures.

``BACKGROUND_CELLS`` is lowered so that the five people of the seeded office count as large;
the figures that arrive must be exactly those computed in place, and a computation overtaken
by a newer one (another range chosen meanwhile) must never be shown.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt  # noqa: E402
import threading  # noqa: E402

import pytest  # noqa: E402

from pmo_desktop.analytics import resources as an  # noqa: E402
from pmo_desktop.model import Project  # noqa: E402
from pmo_desktop.model.database import open_database  # noqa: E402
from pmo_desktop.services import resources as svc  # noqa: E402
from pmo_desktop.services.defaults import ensure_defaults  # noqa: E402
from pmo_desktop.ui import tasks  # noqa: E402
from pmo_desktop.ui.context import AppContext  # noqa: E402
from pmo_desktop.ui.resources import heat_map  # noqa: E402
from pmo_desktop.ui.resources.heat_map import HeatMapPane  # noqa: E402

TODAY = dt.date(2026, 11, 26)
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday())
PEOPLE = (  # name, role, team, hours a week on the project for 16 weeks from this Monday
    ("Sam Patel", "Developer", "Platform", 30), ("Bo Chen", "Developer", "Platform", 45),
    ("Ann Lee", "Business Analyst", "Data", 20), ("Dev Rao", "Tester", "Data", 10),
    ("Cara Novak", "Project Manager", "Delivery", 40),
)


def seed_office(db) -> None:
    with db.transaction() as session:
        project = Project(code="ERP", name="ERP replacement", stage="execution")
        session.add(project)
        session.flush()
        for name, role, team, hours in PEOPLE:
            email = name.lower().replace(" ", ".") + "@example.org"
            person_id = svc.create_person(session, svc.PersonInput(name, email, role, team, 37.5)).id
            svc.create_allocation(session, svc.AllocationInput(
                person_id, project.id, MONDAY, MONDAY + dt.timedelta(weeks=16, days=-3), hours))


@pytest.fixture
def ctx(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/office.db", backup=False)
    with database.transaction() as session:
        ensure_defaults(session)
    seed_office(database)
    context = AppContext(database)
    yield context
    tasks.wait_for_background_work()
    database.dispose()


@pytest.fixture
def pane(qtbot, ctx):
    widget = HeatMapPane(ctx)
    widget.fixed_today = TODAY
    qtbot.addWidget(widget)
    widget.resize(1100, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _labels(rows) -> list[str]:
    return [row.label for row in rows]


def test_a_large_map_shows_a_busy_state_then_the_same_figures_as_computed_in_place(pane, ctx, qtbot, monkeypatch):
    monkeypatch.setattr(heat_map, "BACKGROUND_CELLS", 1)
    pane.refresh()
    assert pane.is_busy
    assert pane.view.busy_text.startswith("Computing utilisation")
    assert pane.summary_label.text().startswith("Computing the next 12 weeks")
    qtbot.waitUntil(lambda: not pane.is_busy)
    assert pane.view.busy_text == ""
    expected = ctx.read(an.utilisation, TODAY, 12)
    assert _labels(pane.view.rows()) == _labels(expected.rows) and len(expected.rows) == 5
    assert [row.allocated for row in pane.view.rows()] == [row.allocated for row in expected.rows]
    assert "over-allocated person-weeks" in pane.summary_label.text()


def test_a_computation_overtaken_by_a_newer_one_is_not_shown(pane, qtbot, monkeypatch):
    monkeypatch.setattr(heat_map, "BACKGROUND_CELLS", 1)
    release = threading.Event()
    compute = an.utilisation

    def held_back(session, start_week, weeks, **kwargs):
        if weeks == 12:  # the first computation finishes only after the newer ones
            release.wait(30)
        return compute(session, start_week, weeks, **kwargs)

    monkeypatch.setattr(an, "utilisation", held_back)
    pane.refresh()
    pane.set_weeks(26)  # while the 12-week map is still being computed
    pane.set_group("team")
    qtbot.waitUntil(lambda: not pane.is_busy)
    assert sorted(_labels(pane.view.rows())) == ["Data", "Delivery", "Platform"]
    release.set()
    tasks.wait_for_background_work()
    qtbot.wait(50)  # deliver the held-back result
    assert len(pane.view.mondays()) == 26
    assert sorted(_labels(pane.view.rows())) == ["Data", "Delivery", "Platform"]
    assert not pane.is_busy


def test_a_small_map_is_computed_at_once(pane):
    pane.refresh()
    assert not pane.is_busy
    assert len(pane.view.rows()) == 5 and pane.view.busy_text == ""


def test_a_recomputed_map_brings_the_selected_person_back_into_view(pane, qtbot, monkeypatch):
    monkeypatch.setattr(heat_map, "BACKGROUND_CELLS", 1)
    pane.resize(1100, 160)  # room for a few rows only
    pane.refresh()
    qtbot.waitUntil(lambda: not pane.is_busy)
    view = pane.view
    last = view.rows()[-1]
    view.set_selected(last.key, scroll=False)
    view.verticalScrollBar().setValue(0)
    assert len(view.rows()) - 1 not in view.visible_range()[0]  # the selected row is out of view
    pane.mark_dirty()
    pane.refresh()
    qtbot.waitUntil(lambda: not pane.is_busy)
    assert view.row(last.key) is not None
    assert len(view.rows()) - 1 in view.visible_range()[0]
