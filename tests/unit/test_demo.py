"""The demo office: believable, complete, deterministic, audited, and the same at benchmark scale."""

from __future__ import annotations

import collections
import datetime as dt
import os
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, func, select, text

from pmo_desktop.analytics.changes import what_changed
from pmo_desktop.demo import DemoSpec, build_demo, workbooks
from pmo_desktop.demo import bulk as bulk_module
from pmo_desktop.demo import generator as generator_module
from pmo_desktop.demo.generator import DemoError
from pmo_desktop.model import (
    Allocation,
    AuditEvent,
    Base,
    Decision,
    GateCondition,
    GateCriterion,
    GateCriterionResult,
    GateReview,
    Holiday,
    Milestone,
    Person,
    Programme,
    Project,
    Rag,
    RaidItem,
    Role,
    Scenario,
    Stage,
    StatusReport,
)
from pmo_desktop.model.audit import audited_tables, verify_chain
from pmo_desktop.model.database import open_database

TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/t.db", backup=False)
    yield database
    database.dispose()


@pytest.fixture
def demo_db(db):
    summary = build_demo(db, DemoSpec(), today=TODAY)
    db.summary = summary
    return db


def _scalar(db, statement):
    with db.engine.connect() as conn:
        return conn.scalar(statement)


def _rows(db, statement):
    with db.engine.connect() as conn:
        return conn.execute(statement).all()


def _count(db, model, *where) -> int:
    return _scalar(db, select(func.count()).select_from(model).where(*where))


# --- what the default office holds -----------------------------------------------------------------

def test_default_office_meets_the_minimums(demo_db):
    db = demo_db
    programmes = set(_rows(db, select(Programme.name)))
    assert {("Digital Customer",), ("Finance Transformation",), ("Estates & Facilities",),
            ("Regulatory Compliance",), ("Data Platform",)} == programmes
    assert 60 <= _count(db, Project) <= 70
    assert _count(db, Person) >= 85
    assert _count(db, Role) >= 8
    assert len(_rows(db, select(Person.team).distinct())) >= 6
    assert 10 <= len(_rows(db, select(Project.manager).where(Project.manager.is_not(None)).distinct())) <= 14
    assert _count(db, RaidItem) >= 300
    assert {k for (k,) in _rows(db, select(RaidItem.kind).distinct())} == {"risk", "assumption", "issue",
                                                                           "dependency"}
    assert _count(db, Allocation) >= 1_000
    assert _count(db, Scenario) == 2
    assert _count(db, Holiday, Holiday.day == dt.date(2026, 12, 25)) == 1
    assert _count(db, Person, Person.capacity_hours == 22.5) >= 3
    per_project = [n for (n,) in _rows(db, select(func.count()).select_from(Milestone).group_by(Milestone.project_id))]
    assert len(per_project) == _count(db, Project) and min(per_project) >= 3 and max(per_project) <= 8
    assert _count(db, Milestone, Milestone.status == "achieved") and _count(db, Milestone, Milestone.status == "missed")
    assert _count(db, Milestone, Milestone.forecast_date != Milestone.baseline_date) >= 10
    codes = [c for (c,) in _rows(db, select(Project.code))]
    assert all(len(c.split("-")[1]) == 3 and c.split("-")[0].isalpha() for c in codes)
    budgets = [b for (b,) in _rows(db, select(Project.budget))]
    assert min(budgets) >= 50_000 and max(budgets) <= 5_000_000


def test_every_stage_and_rag_is_present(demo_db):
    stages = {s for (s,) in _rows(demo_db, select(Project.stage).distinct())}
    assert stages == {s.value for s in Stage}
    rags = {r for (r,) in _rows(demo_db, select(Project.rag).distinct())}
    assert {r.value for r in Rag} <= rags
    for column in (Project.schedule_rag, Project.cost_rag, Project.scope_rag, Project.resource_rag):
        assert {r.value for r in Rag} <= {r for (r,) in _rows(demo_db, select(column).distinct())}


def test_figures_are_consistent_with_stage_and_dates(demo_db):
    rows = _rows(demo_db, select(Project.stage, Project.percent_complete, Project.actual_start, Project.actual_end,
                                 Project.baseline_start, Project.baseline_end, Project.budget,
                                 Project.forecast_cost))
    for stage, pct, actual_start, actual_end, b_start, b_end, _budget, _forecast in rows:
        if stage in ("idea", "business_case", "approved"):
            assert pct == 0 and actual_start is None
        if stage == "closed":
            assert pct == 1.0 and actual_end is not None and actual_end < TODAY
        if stage == "execution":
            assert 0.1 <= pct <= 0.95 and actual_start < TODAY
        if b_start and b_end:
            assert b_end >= b_start
    assert any(forecast > budget * 11 / 10 for *_, budget, forecast in rows)  # some overrun


def test_status_history_moves_over_past_periods(demo_db):
    db = demo_db
    periods = [p for (p,) in _rows(db, select(StatusReport.period_end).distinct().order_by(StatusReport.period_end))]
    assert len(periods) >= 6 and periods[-1] == dt.date(2026, 10, 31)
    history = collections.defaultdict(list)
    for project_id, _period, rag, pct, cost in _rows(db, select(
            StatusReport.project_id, StatusReport.period_end, StatusReport.rag, StatusReport.percent_complete,
            StatusReport.actual_cost).order_by(StatusReport.project_id, StatusReport.period_end)):
        history[project_id].append((rag, pct, cost))
    for reports in history.values():
        assert [r[1] for r in reports] == sorted(r[1] for r in reports)  # percent complete never falls
        assert [r[2] for r in reports] == sorted(r[2] for r in reports)  # costs accumulate
    assert sum(1 for reports in history.values() if len({r[0] for r in reports}) > 1) >= 5
    assert max(len(reports) for reports in history.values()) >= 6
    active_without_latest = _count(db, Project, Project.stage.in_(("planning", "execution", "closing")),
                                   ~Project.id.in_(select(StatusReport.project_id)
                                                   .where(StatusReport.period_end == periods[-1])))
    assert 1 <= active_without_latest <= 10


def _weekly_load(db) -> dict[int, list[float]]:
    """Hours allocated per person for each week the allocations cover."""
    allocations = _rows(db, select(Allocation.person_id, Allocation.start_date, Allocation.end_date,
                                   Allocation.hours_per_week))
    first = min(a.start_date for a in allocations)
    last = max(a.end_date for a in allocations)
    mondays = [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    load = collections.defaultdict(lambda: [0.0] * len(mondays))
    for person_id, start, end, hours in allocations:
        for i, monday in enumerate(mondays):
            if start <= monday + dt.timedelta(days=6) and end >= monday:
                load[person_id][i] += hours
    return load


def test_some_people_are_over_allocated_and_some_are_on_the_bench(demo_db):
    capacity = dict(_rows(demo_db, select(Person.id, Person.capacity_hours)))
    load = _weekly_load(demo_db)

    def longest_overload(person_id: int) -> int:
        run = best = 0
        for hours in load[person_id]:
            run = run + 1 if hours > capacity[person_id] else 0
            best = max(best, run)
        return best

    over = [p for p in load if longest_overload(p) >= 3]
    assert 3 <= len(over) <= len(capacity) // 4
    average = {p: sum(load.get(p, [0.0])) / max(1, len(next(iter(load.values())))) / capacity[p] for p in capacity}
    assert sum(1 for v in average.values() if v < 0.4) >= 3


def test_raid_log_holds_the_patterns_a_pmo_looks_for(demo_db):
    db = demo_db
    red_corner = _count(db, RaidItem, RaidItem.kind == "risk", RaidItem.likelihood >= 4, RaidItem.impact >= 4,
                        RaidItem.status != "closed")
    assert red_corner >= 5
    assert _count(db, RaidItem, RaidItem.likelihood == 5, RaidItem.impact == 5) >= 1
    northwind = _scalar(db, select(func.count(RaidItem.project_id.distinct())).where(
        RaidItem.kind == "risk", RaidItem.status != "closed", RaidItem.title.like("%Northwind Systems%")))
    assert northwind >= 5
    assert _count(db, RaidItem, RaidItem.status != "closed", RaidItem.due < TODAY) >= 10
    assert _count(db, RaidItem, RaidItem.escalation == "portfolio") >= 1
    assert _count(db, RaidItem, RaidItem.escalation == "programme") >= 1
    assert _count(db, RaidItem, RaidItem.depends_on_project_id.is_not(None),
                  RaidItem.depends_on_project_id != RaidItem.project_id) >= 5
    assert _count(db, RaidItem, RaidItem.project_id.is_(None)) >= 1
    categories = {c for (c,) in _rows(db, select(RaidItem.category).distinct())}
    assert {"Supplier", "Technical", "Resourcing", "Financial", "Regulatory", "Schedule"} <= categories


def test_governance_has_every_decision_and_overdue_conditions(demo_db):
    decisions = {d for (d,) in _rows(demo_db, select(GateReview.decision).distinct())}
    assert decisions == {d.value for d in Decision}
    assert _count(demo_db, GateCondition, GateCondition.met_on.is_(None), GateCondition.due < TODAY) >= 1
    assert _count(demo_db, GateCondition, GateCondition.owner.is_(None)) == 0


def test_reviews_record_results_only_for_the_projects_methodology_checklist(demo_db):
    results = (
        select(GateCriterion.methodology, Project.methodology, func.count())
        .select_from(GateCriterionResult)
        .join(GateCriterion, GateCriterion.id == GateCriterionResult.criterion_id)
        .join(GateReview, GateReview.id == GateCriterionResult.review_id)
        .join(Project, Project.id == GateReview.project_id)
        .group_by(GateCriterion.methodology, Project.methodology)
    )
    pairs = {(only, methodology): count for only, methodology, count in _rows(demo_db, results)}
    assert all(only in (None, methodology) for only, methodology in pairs)
    assert {only for only, _methodology in pairs} == {None, "waterfall", "agile", "hybrid"}


# --- determinism, audit and transactions -----------------------------------------------------------

def _table_without_timestamps(db, model) -> list[tuple]:
    columns = [c for c in model.__table__.c if c.name not in ("created_at", "updated_at")]
    return _rows(db, select(*columns).order_by(model.__table__.c.id))


def test_same_seed_gives_the_same_office(tmp_path):
    tables = []
    for name in ("a", "b"):
        database = open_database(f"sqlite:///{tmp_path}/{name}.db", backup=False)
        build_demo(database, DemoSpec(seed=7), today=TODAY)
        tables.append([_table_without_timestamps(database, m) for m in (Project, RaidItem, Allocation, StatusReport)])
        database.dispose()
    assert tables[0] == tables[1]
    other = open_database(f"sqlite:///{tmp_path}/c.db", backup=False)
    build_demo(other, DemoSpec(seed=8), today=TODAY)
    assert _table_without_timestamps(other, Project) != tables[0][0]
    other.dispose()


def test_every_inserted_row_has_its_audit_event(demo_db):
    db = demo_db
    audited = dict(_rows(db, select(AuditEvent.entity, func.count()).where(AuditEvent.action == "insert")
                         .group_by(AuditEvent.entity)))
    deleted = dict(_rows(db, select(AuditEvent.entity, func.count()).where(AuditEvent.action == "delete")
                         .group_by(AuditEvent.entity)))
    for table_name in sorted(audited_tables()):
        table = Base.metadata.tables[table_name]
        rows = _scalar(db, select(func.count()).select_from(table))
        assert audited.get(table_name, 0) - deleted.get(table_name, 0) == rows, table_name
    assert db.summary.audit_events == _count(db, AuditEvent)
    with db.engine.connect() as conn:
        checked, broken = verify_chain(conn)
    assert broken is None and checked == _count(db, AuditEvent)
    sources = {s for (s,) in _rows(db, select(AuditEvent.source).distinct())}
    assert sources == {"system", "ui"}  # the build, and the last period's edits it replays


def test_the_last_period_has_a_history_to_compare(demo_db):
    history = demo_db.summary.history
    first, last = history.period
    assert (first, last) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    with demo_db.session() as session:
        changes = what_changed(session, first - dt.timedelta(days=1), last)
        assert sorted(f"{s.project_code}: {s.milestone}" for s in changes.slips) == sorted(history.slipped)
        assert all(s.after > s.before for s in changes.slips)
        assert sorted(p.project_code for p in changes.closed_projects) == sorted(history.closed)
        assert sorted(e.ref for e in changes.escalations) == sorted(history.escalated)
        assert sorted(c.project_code for c in changes.cost_moves if c.measure == "forecast cost") == sorted(
            history.reforecast)
        assert all(c.after > c.before for c in changes.cost_moves)
        assert len(history.slipped) == 4 and len(history.closed) == 2 and len(history.escalated) == 3
        assert len(history.reforecast) == 2
        moments = session.scalars(select(AuditEvent.at).where(AuditEvent.source == "ui")).all()
    assert moments and all(first <= at.date() <= last and at.weekday() < 5 for at in moments)
    with demo_db.engine.connect() as conn:
        assert verify_chain(conn)[1] is None


def test_an_office_that_must_be_empty_is_refused_untouched(demo_db):
    events = _count(demo_db, AuditEvent)
    with pytest.raises(DemoError, match="already has projects or people"):
        build_demo(demo_db, DemoSpec(), today=TODAY, require_empty=True)
    assert _count(demo_db, AuditEvent) == events


def test_a_second_demo_goes_alongside_without_collisions(demo_db):
    first = {c for (c,) in _rows(demo_db, select(Project.code))}
    summary = build_demo(demo_db, DemoSpec(seed=99), today=TODAY)
    codes = {c for (c,) in _rows(demo_db, select(Project.code))}
    assert len(codes) == len(first) + summary.counts["project"] and first < codes
    assert _count(demo_db, Programme) == 10 and _count(demo_db, Role) == len(_rows(demo_db, select(Role.name)))
    assert "projects" in str(summary) and "rows in" in str(summary)


def test_a_failure_leaves_nothing_behind(db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(generator_module, "build_allocations", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        build_demo(db, DemoSpec(), today=TODAY)
    assert _count(db, Project) == 0 and _count(db, AuditEvent) == 0 and _count(db, Person) == 0


def test_a_small_benchmark_office_builds_through_the_bulk_path(db, monkeypatch):
    calls = collections.Counter()
    real = bulk_module.audited_execute

    def counting(conn, statement, params=None, records=(), context=None):
        calls[statement.table.name] += 1
        return real(conn, statement, params, records, context)

    monkeypatch.setattr(bulk_module, "audited_execute", counting)
    monkeypatch.setattr(bulk_module, "BATCH_ROWS", 500)
    spec = DemoSpec.benchmark().scaled(0.05)
    summary = build_demo(db, spec, today=TODAY)
    assert _count(db, Project) == 100 and _count(db, Person) == 50
    assert _count(db, StatusReport) >= 100 * 24 * 0.97  # one a period per project, bar a few late ones
    assert _count(db, Allocation) >= 2_000 and _count(db, RaidItem) >= 900
    assert calls["status_report"] > 1 and calls["allocation"] > 1  # batched executemany, not row by row
    assert summary.counts["allocation"] == _count(db, Allocation)
    inserted = _count(db, AuditEvent, AuditEvent.entity == "status_report", AuditEvent.action == "insert")
    assert summary.counts["status_report"] == inserted


def test_spec_scales_and_benchmark_matches_the_brief():
    big = DemoSpec.benchmark()
    assert (big.projects, big.people, big.allocations, big.raid_items, big.status_periods) == (
        2_000, 1_000, 50_000, 20_000, 24)
    assert big.projects * big.status_periods == 48_000 and big.report_every_period
    double = DemoSpec.scale(2)
    assert (double.projects, double.people, double.raid_items) == (130, 176, 660)
    assert DemoSpec.scale(0.01).projects == 20  # never too small to show every stage


# --- workbooks -------------------------------------------------------------------------------------

def _sheet_rows(path):
    workbook = load_workbook(path, read_only=True)
    rows = [tuple(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    return rows


def test_workbooks_are_laid_out_like_managers_send_them(demo_db, tmp_path):
    infos = workbooks.write_all(demo_db, tmp_path / "out")
    assert [i.path.name for i in infos] == ["Project List.xlsx", "Status Return 2026-10.xlsx", "RAID Log.xlsx",
                                            "Resource Plan.xlsx"]
    projects = _sheet_rows(infos[0].path)
    assert "Project list" in projects[0][0] and projects[1][0]
    header = projects[workbooks.HEADER_ROW - 1]
    assert {"Proj Code", "Overall RAG", "Budget (£k)", "% Complete"} <= set(header)
    data = projects[workbooks.HEADER_ROW:]
    assert len(data) == infos[0].rows == _count(demo_db, Project)
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    code, budget = _rows(demo_db, select(Project.code, Project.budget).order_by(Project.code))[0]
    assert by_code[code]["Budget (£k)"] == pytest.approx(float(budget) / 1000, abs=0.05)
    assert {r["Overall RAG"] for r in by_code.values()} >= {"Red", "Amber", "Green"}

    status = _sheet_rows(infos[1].path)
    assert infos[1].rows == _count(demo_db, StatusReport, StatusReport.period_end == dt.date(2026, 10, 31))
    assert status[workbooks.HEADER_ROW - 1][:4] == ("Proj Code", "Project", "Period Ending", "Overall RAG")

    raid = _sheet_rows(infos[2].path)
    assert infos[2].rows == _count(demo_db, RaidItem)
    assert {"Ref", "Prob (1-5)", "Impact (1-5)"} <= set(raid[workbooks.HEADER_ROW - 1])

    grid = _sheet_rows(infos[3].path)
    weeks = [h for h in grid[workbooks.HEADER_ROW - 1] if str(h).startswith("w/c ")]
    assert len(weeks) >= 50
    hours = [v for row in grid[workbooks.HEADER_ROW:] for v in row[5:] if v is not None]
    assert hours and all(0 < h <= 100 for h in hours)


def test_status_workbook_keeps_the_latest_rows(demo_db, tmp_path):
    info = workbooks.status_workbook(demo_db, tmp_path / "status.xlsx", rows=50)
    rows = _sheet_rows(info.path)[workbooks.HEADER_ROW:]
    assert info.rows == len(rows) == 50
    assert {r[2].date() if isinstance(r[2], dt.datetime) else r[2] for r in rows} <= {
        dt.date(2026, 10, 31), dt.date(2026, 9, 30)}


# --- PostgreSQL --------------------------------------------------------------------------------------

@pytest.mark.postgres
def test_default_office_builds_on_postgresql():
    url = os.environ.get("PMO_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PMO_TEST_DATABASE_URL is not set (point it at a PostgreSQL database to run this)")
    schema = f"demo_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith(
        "postgresql://") else url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    database = open_database(f"{url}{separator}options=-csearch_path%3D{schema}", backup=False)
    try:
        summary = build_demo(database, DemoSpec(), today=TODAY)
        assert _count(database, Project) == summary.counts["project"] >= 60
        assert _count(database, AuditEvent) == summary.audit_events
        with database.transaction() as session:  # ids continue after the bulk-inserted ones
            session.add(Programme(name="Added after the demo"))
            session.flush()
    finally:
        database.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- benchmark scale ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_benchmark_office_builds_in_reasonable_time(db):
    summary = build_demo(db, DemoSpec.benchmark(), today=TODAY)
    assert _count(db, Project) == 2_000 and _count(db, Person) == 1_000
    assert _count(db, Allocation) >= 48_000 and _count(db, RaidItem) >= 19_500
    assert _count(db, StatusReport) >= 47_500
    assert _count(db, AuditEvent) == summary.audit_events
    # Timing is the benchmarks' business (make bench); here it is only reported.
    print(f"benchmark office built in {summary.seconds:.1f} s")
