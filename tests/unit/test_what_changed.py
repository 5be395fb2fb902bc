"""analytics.changes: reporting periods and what changed between two of them, on hand-built history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, update

from pmo_desktop.analytics.changes import DEFAULT_COST_CHANGE_PCT, reporting_periods, what_changed
from pmo_desktop.model import Milestone, Project, RaidItem, StatusReport
from pmo_desktop.model.audit import AuditEvent

D = dt.date
P1, P2 = D(2026, 9, 30), D(2026, 10, 31)


def _last_event(session) -> int:
    return session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def _date_events_after(session, mark: int, when: dt.datetime) -> None:
    """Move the audit events written since ``mark`` to ``when`` (the trail is stamped with now)."""
    session.execute(update(AuditEvent).where(AuditEvent.id > mark).values(at=when))


def _report(code_rag_fc_ac, period):
    return [(code, StatusReport(period_end=period, rag=rag, forecast_cost=fc, actual_cost=ac))
            for code, rag, fc, ac in code_rag_fc_ac]


def _build(db):
    with db.transaction() as s:
        projects = {code: Project(code=code, name=f"Project {code}", stage="execution")
                    for code in ("GR", "RA", "AA", "EDGE", "UNDER", "ZERO", "OLD")}
        s.add_all(projects.values())
        s.flush()
        # code, rag, forecast cost, actual cost
        before = [("GR", "G", Decimal(1000), Decimal(100)), ("RA", "R", Decimal(1000), Decimal(100)),
                  ("AA", "A", Decimal(1000), Decimal(100)), ("EDGE", "G", Decimal(1000), Decimal(200)),
                  ("UNDER", "G", Decimal(1000), Decimal(200)), ("ZERO", "G", Decimal(0), None),
                  ("OLD", "A", None, None)]
        after = [("GR", "R", Decimal(1000), Decimal(100)), ("RA", "A", Decimal(1000), Decimal(100)),
                 ("AA", "A", Decimal(1000), Decimal(100)),
                 ("EDGE", "G", Decimal(1050), Decimal("190")),      # +5.00% exactly, -5.00% exactly
                 ("UNDER", "G", Decimal("1049.99"), Decimal("190.01")),  # just under 5% both ways
                 ("ZERO", "G", Decimal(10), None), ("OLD", None, None, None)]
        for code, report in _report(before, P1) + _report(after, P2):
            report.project_id = projects[code].id
            s.add(report)
        s.add(StatusReport(project_id=projects["OLD"].id, period_end=D(2026, 8, 31), rag="A"))
        go_live = Milestone(project_id=projects["GR"].id, name="Go-live", forecast_date=D(2026, 12, 1))
        early = Milestone(project_id=projects["RA"].id, name="Design", forecast_date=D(2026, 11, 1))
        outside = Milestone(project_id=projects["AA"].id, name="Pilot", forecast_date=D(2026, 11, 1))
        risk = RaidItem(project_id=projects["GR"].id, scope_key=str(projects["GR"].id), ref="R-1",
                        title="Vendor capacity", escalation="project")
        calm = RaidItem(project_id=projects["RA"].id, scope_key=str(projects["RA"].id), ref="R-2",
                        title="Lowered", escalation="portfolio")
        s.add_all([go_live, early, outside, risk, calm])
        s.flush()
        _date_events_after(s, 0, dt.datetime(2026, 9, 1, 9))  # all of the above: before the window
        ids = {code: p.id for code, p in projects.items()}

    with db.transaction() as s:
        mark = _last_event(s)
        s.get(Milestone, go_live.id).forecast_date = D(2026, 12, 15)
        s.get(Milestone, early.id).forecast_date = D(2026, 10, 20)  # earlier: not a slip
        s.get(RaidItem, risk.id).escalation = "programme"
        s.get(RaidItem, calm.id).escalation = "project"  # de-escalated: not listed
        s.get(Project, ids["OLD"]).stage = "closed"
        s.add(Project(code="NEW", name="Project NEW", stage="idea"))
        s.flush()
        _date_events_after(s, mark, dt.datetime(2026, 10, 31, 17))  # the last day of the window
    with db.transaction() as s:
        mark = _last_event(s)
        s.get(Milestone, go_live.id).forecast_date = D(2026, 12, 31)
        s.flush()
        _date_events_after(s, mark, dt.datetime(2026, 10, 10, 12))  # a second move inside the window
    with db.transaction() as s:
        mark = _last_event(s)
        s.get(Milestone, outside.id).forecast_date = D(2027, 1, 1)
        s.get(Project, ids["AA"]).stage = "cancelled"
        s.flush()
        _date_events_after(s, mark, dt.datetime(2026, 11, 1, 0))  # the day after: outside
    return ids


def test_reporting_periods_are_distinct_and_newest_first(db):
    _build(db)
    with db.session() as s:
        assert reporting_periods(s) == [P2, P1, D(2026, 8, 31)]


def test_what_changed_between_two_periods(db):
    ids = _build(db)
    with db.session() as s:
        changes = what_changed(s, P1, P2)
    assert (changes.previous, changes.latest) == (P1, P2)
    assert [(m.project_code, m.before, m.after, m.direction) for m in changes.moves] == [
        ("GR", "G", "R", "worse"), ("RA", "R", "A", "better")]
    assert changes.compared == 6  # OLD did not report a RAG in the later period
    assert (changes.worsened, changes.improved) == (1, 1)
    assert changes.moves[0].project_id == ids["GR"]

    # Exactly the threshold counts; a cent under does not; a move from zero always counts.
    assert changes.cost_threshold_pct == DEFAULT_COST_CHANGE_PCT == 5.0
    moved = {(c.project_code, c.measure): (c.before, c.after, c.pct) for c in changes.cost_moves}
    assert moved == {
        ("EDGE", "forecast cost"): (Decimal(1000), Decimal(1050), 5.0),
        ("EDGE", "actual cost"): (Decimal(200), Decimal(190), -5.0),
        ("ZERO", "forecast cost"): (Decimal(0), Decimal(10), None),
    }

    # Go-live moved 1 Dec -> 15 Dec -> 31 Dec inside the window: one slip of 30 days.
    assert [(x.project_code, x.milestone, x.before, x.after, x.days) for x in changes.slips] == [
        ("GR", "Go-live", D(2026, 12, 1), D(2026, 12, 31), 30)]
    assert [(e.project_code, e.ref, e.before, e.after) for e in changes.escalations] == [
        ("GR", "R-1", "project", "programme")]
    assert [(c.project_code, c.detail) for c in changes.closed_projects] == [("OLD", "closed")]
    assert [(c.project_code, c.detail) for c in changes.new_projects] == [("NEW", "created")]


def test_office_threshold_and_project_scope(db):
    ids = _build(db)

    class Settings:
        cost_change_pct = 4.0

    with db.session() as s:
        wide = what_changed(s, P2, P1, Settings())  # order of the periods does not matter
        scoped = what_changed(s, P1, P2, None, [ids["GR"]])
    assert wide.cost_threshold_pct == 4.0
    assert {(c.project_code, c.measure) for c in wide.cost_moves} == {
        ("EDGE", "forecast cost"), ("EDGE", "actual cost"), ("UNDER", "forecast cost"),
        ("UNDER", "actual cost"), ("ZERO", "forecast cost")}
    assert [m.project_code for m in scoped.moves] == ["GR"]
    assert [x.project_code for x in scoped.slips] == ["GR"]
    assert not scoped.closed_projects and not scoped.new_projects and not scoped.cost_moves


def test_first_report_in_window_is_a_new_project(db):
    with db.transaction() as s:
        p = Project(code="LATE", name="Late starter", stage="planning")
        s.add(p)
        s.flush()
        _date_events_after(s, 0, dt.datetime(2026, 1, 1))
        s.add_all([StatusReport(project_id=p.id, period_end=P2, rag="G"),
                   StatusReport(project_id=p.id, period_end=P1 - dt.timedelta(days=30), rag="G")])
    with db.session() as s:
        assert what_changed(s, P1, P2).new_projects == ()
        earlier = what_changed(s, P1 - dt.timedelta(days=60), P1)
        assert [(c.project_code, c.detail) for c in earlier.new_projects] == [("LATE", "first reported")]


def test_actual_cost_is_reported_when_spend_runs_ahead_of_progress(db):
    # Budget 1,000; threshold 5% of it = 50. Earned in the period = 1,000 x the change in % complete.
    cases = {  # code: (actual before, actual after, % before, % after)
        "PACE": (Decimal(100), Decimal(400), 0.10, 0.40),    # spent 300, earned 300: on pace, not listed
        "AHEAD": (Decimal(100), Decimal(300), 0.10, 0.25),   # spent 200, earned 150: 50 ahead, listed
        "NEARLY": (Decimal(100), Decimal(300), 0.10, 0.251),  # 49 ahead: not listed
        "STALL": (Decimal(500), Decimal(560), 0.50, 0.50),   # spent 60 with no progress: listed
    }
    with db.transaction() as s:
        for code, (ac0, ac1, pc0, pc1) in cases.items():
            project = Project(code=code, name=f"Project {code}", stage="execution", budget=Decimal(1000))
            s.add(project)
            s.flush()
            s.add_all([StatusReport(project_id=project.id, period_end=P1, rag="G", forecast_cost=Decimal(1000),
                                    actual_cost=ac0, percent_complete=pc0),
                       StatusReport(project_id=project.id, period_end=P2, rag="G", forecast_cost=Decimal(1000),
                                    actual_cost=ac1, percent_complete=pc1)])
    with db.session() as s:
        changes = what_changed(s, P1, P2)
    assert sorted((c.project_code, c.measure) for c in changes.cost_moves) == [
        ("AHEAD", "actual cost"), ("STALL", "actual cost")]
