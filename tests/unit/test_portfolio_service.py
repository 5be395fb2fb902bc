"""Portfolio service: table rows, project and milestone edits, validation, conflicts, audit, undo snapshots."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from pmo_desktop.model import AuditEvent, Milestone, Programme, Project, ProjectScore, RaidItem, StatusReport
from pmo_desktop.model.audit import AuditRecord, AuditSource, audited_execute
from pmo_desktop.model.database import open_database
from pmo_desktop.model.enums import AuditAction
from pmo_desktop.services import portfolio
from pmo_desktop.services.errors import ConflictError, NotFoundError, RuleError, ValidationError
from pmo_desktop.services.portfolio import PROJECT_ROW_FIELDS

D = dt.date


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/portfolio.db", backup=False)
    yield database
    database.dispose()


def _portal_values(**overrides) -> dict:
    values = {
        "code": "DCX-014", "name": "Customer Portal", "programme": "Digital Channels", "stage": "execution",
        "manager": "Priya Shah", "sponsor": "Tom Reed", "department": "Digital", "priority": 2,
        "methodology": "agile", "rag": "A", "baseline_start": D(2026, 1, 5), "baseline_end": D(2026, 9, 30),
        "forecast_end": D(2026, 10, 20), "budget": Decimal("850000"), "actual_cost": Decimal("310000.50"),
        "forecast_cost": Decimal("900000"), "percent_complete": 0.4, "description": "Self-service portal",
    }
    values.update(overrides)
    return values


def _create(db, **overrides) -> int:
    with db.transaction() as session:
        return portfolio.create_project(session, _portal_values(**overrides))


def _row(db, project_id: int) -> dict:
    with db.session() as session:
        rows = portfolio.project_rows(session)
    return next(dict(zip(PROJECT_ROW_FIELDS, r, strict=True)) for r in rows if r[0] == project_id)


def _events(db, entity: str, entity_id: int) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(
            select(AuditEvent).where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        ))


# -- creating and reading -------------------------------------------------------------------------

def test_create_project_stores_values_and_creates_programme_on_demand(db):
    project_id = _create(db)
    with db.session() as session:
        details = portfolio.get_project(session, project_id)
        assert session.scalar(select(func.count()).select_from(Programme)) == 1
    assert details.code == "DCX-014" and details.name == "Customer Portal"
    assert details.programme == "Digital Channels"
    assert details.budget == Decimal("850000.00") and details.percent_complete == 0.4
    assert details.version == 1 and details.milestones == () and details.status_reports == ()

    # A second project naming the programme in another case reuses it.
    _create(db, code="DCX-015", name="Mobile App", programme="digital channels")
    with db.session() as session:
        assert portfolio.programme_names(session) == ["Digital Channels"]


def test_create_defaults_stage_to_idea_and_trims_text(db):
    with db.transaction() as session:
        project_id = portfolio.create_project(session, {"code": "  NEW-1 ", "name": " Idea ", "manager": "  "})
    with db.session() as session:
        details = portfolio.get_project(session, project_id)
    assert (details.code, details.name, details.stage, details.manager) == ("NEW-1", "Idea", "idea", None)


def test_get_project_lists_milestones_and_last_six_reports_newest_first(db):
    project_id = _create(db)
    with db.transaction() as session:
        portfolio.add_milestone(session, project_id, {"name": "Go-live", "baseline_date": D(2026, 9, 1)})
        portfolio.add_milestone(session, project_id, {"name": "Design approved", "baseline_date": D(2026, 3, 1)})
        for month in range(1, 9):
            session.add(StatusReport(project_id=project_id, period_end=D(2026, month, 28), rag="G",
                                     summary=f"Month {month}"))
    with db.session() as session:
        details = portfolio.get_project(session, project_id)
    assert [m.name for m in details.milestones] == ["Design approved", "Go-live"]
    assert [r.period_end.month for r in details.status_reports] == [8, 7, 6, 5, 4, 3]
    assert details.status_reports[0].summary == "Month 8"


def test_get_missing_project_raises_not_found(db):
    with db.session() as session, pytest.raises(NotFoundError):
        portfolio.get_project(session, 999)


# -- validation ------------------------------------------------------------------------------------

def test_duplicate_code_names_the_project_that_has_it(db):
    _create(db)
    with db.transaction() as session, pytest.raises(ValidationError) as info:
        portfolio.create_project(session, _portal_values(code="dcx-014", name="Other"))
    assert info.value.for_field("code") == "Code DCX-014 is already used by 'Customer Portal'."


def test_every_bad_field_gets_its_own_plain_message(db):
    values = _portal_values(
        code="", name=" ", budget=-5, percent_complete=1.5, stage="launching", rag="Purple",
        methodology="kanban", baseline_start=D(2026, 5, 1), baseline_end=D(2026, 4, 1), priority=12,
    )
    with db.transaction() as session, pytest.raises(ValidationError) as info:
        portfolio.create_project(session, values)
    error = info.value
    assert {e.field for e in error.errors} == {
        "code", "name", "budget", "percent_complete", "stage", "rag", "methodology", "baseline_end", "priority",
    }
    assert error.for_field("code") == "Enter a code, such as DCX-014."
    assert error.for_field("name") == "Enter the project's name."
    assert error.for_field("budget") == "Budget cannot be negative."
    assert error.for_field("percent_complete") == "Percent complete must be between 0% and 100% (you entered 150%)."
    assert error.for_field("stage").startswith("'launching' is not a stage. Choose one of: Idea, Business case")
    assert error.for_field("rag") == "'Purple' is not a RAG status. Choose one of: Red, Amber, Green."
    assert "kanban" in error.for_field("methodology")
    assert error.for_field("baseline_end") == "Baseline end (01 Apr 2026) is before baseline start (01 May 2026)."
    assert error.for_field("priority") == "Priority must be a whole number from 1 (highest) to 9 (lowest)."
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Project)) == 0


def test_update_checks_dates_against_the_stored_other_end(db):
    project_id = _create(db)
    with db.transaction() as session, pytest.raises(ValidationError) as info:
        portfolio.update_project(session, project_id, {"baseline_end": D(2025, 12, 1)}, 1)
    assert info.value.for_field("baseline_end") == (
        "Baseline end (01 Dec 2025) is before baseline start (05 Jan 2026)."
    )


def test_enumerations_accept_labels(db):
    project_id = _create(db, stage="Business case", rag="Red", methodology="Hybrid")
    with db.session() as session:
        details = portfolio.get_project(session, project_id)
    assert (details.stage, details.rag, details.methodology) == ("business_case", "R", "hybrid")


# -- updating, conflicts, audit --------------------------------------------------------------------

def test_update_returns_new_version_and_writes_one_audit_event(db):
    project_id = _create(db)
    with db.transaction() as session:
        version = portfolio.update_project(session, project_id, {"name": "Customer Portal 2", "budget": "900000"}, 1)
    assert version == 2
    with db.session() as session:
        details = portfolio.get_project(session, project_id)
    assert details.name == "Customer Portal 2" and details.budget == Decimal("900000.00")
    events = _events(db, "project", project_id)
    assert [e.action for e in events] == ["insert", "update"]
    assert events[1].changes == {"name": ["Customer Portal", "Customer Portal 2"], "budget": ["850000.00", "900000.00"]}


def test_update_without_real_changes_keeps_the_version(db):
    project_id = _create(db)
    with db.transaction() as session:
        assert portfolio.update_project(session, project_id, {"name": "Customer Portal"}, 1) == 1
    assert len(_events(db, "project", project_id)) == 1


def test_changing_programme_by_name_creates_it(db):
    project_id = _create(db)
    with db.transaction() as session:
        portfolio.update_project(session, project_id, {"programme": "Customer Experience"}, 1)
    assert _row(db, project_id)["programme"] == "Customer Experience"
    with db.transaction() as session:
        portfolio.update_project(session, project_id, {"programme": None}, 2)
    assert _row(db, project_id)["programme"] is None


def test_two_sessions_editing_the_same_project_conflict(db):
    project_id = _create(db)
    with db.session() as mine:
        my_copy = portfolio.get_project(mine, project_id)
    with db.transaction() as theirs:
        portfolio.update_project(theirs, project_id, {"budget": Decimal("1000000")}, 1)
    with db.transaction() as session, pytest.raises(ConflictError) as info:
        portfolio.update_project(session, project_id, {"budget": Decimal("700000")}, my_copy.version)
    conflict = info.value
    assert conflict.entity == "project" and conflict.entity_id == project_id and not conflict.deleted
    assert conflict.mine == {"budget": "700000"} and conflict.theirs == {"budget": "1000000.00"}
    with db.session() as session:
        assert portfolio.get_project(session, project_id).budget == Decimal("1000000.00")


def test_stale_delete_and_update_of_deleted_project_conflict(db):
    project_id = _create(db)
    with db.transaction() as session:
        portfolio.update_project(session, project_id, {"rag": "R"}, 1)
    with db.transaction() as session, pytest.raises(ConflictError):
        portfolio.delete_project(session, project_id, 1)
    with db.transaction() as session:
        portfolio.delete_project(session, project_id, 2)
    with db.transaction() as session, pytest.raises(ConflictError) as info:
        portfolio.update_project(session, project_id, {"rag": "G"}, 2)
    assert info.value.deleted


# -- delete and restore ----------------------------------------------------------------------------

def _full_state(db, project_id: int) -> dict:
    with db.session() as session:
        def rows(model, column):
            return [
                {c.key: getattr(o, c.key) for c in o.__mapper__.column_attrs}
                for o in session.scalars(select(model).where(column == project_id).order_by(model.id))
            ]
        return {
            "project": rows(Project, Project.id),
            "milestones": rows(Milestone, Milestone.project_id),
            "reports": rows(StatusReport, StatusReport.project_id),
            "scores": rows(ProjectScore, ProjectScore.project_id),
        }


def test_delete_then_restore_recreates_project_and_children_exactly(db):
    project_id = _create(db)
    with db.transaction() as session:
        first = portfolio.add_milestone(session, project_id, {"name": "Design approved", "baseline_date": D(2026, 3, 1)})
        portfolio.add_milestone(session, project_id, {"name": "Go-live", "status": "at_risk"})
        session.add(StatusReport(project_id=project_id, period_end=D(2026, 6, 30), rag="R", summary="Late"))
    with db.transaction() as session:
        portfolio.update_project(session, project_id, {"name": "Portal"}, 1)
        portfolio.update_milestone(session, first, {"forecast_date": D(2026, 4, 1)}, 1)
    before = _full_state(db, project_id)

    with db.transaction() as session:
        snapshot = portfolio.delete_project(session, project_id, 2)
    with db.session() as session:
        assert session.get(Project, project_id) is None
        assert session.scalar(select(func.count()).select_from(Milestone)) == 0
    assert snapshot.code == "DCX-014"

    with db.transaction() as session:
        assert portfolio.restore_project(session, snapshot) == project_id
    after = _full_state(db, project_id)
    assert after == before
    assert after["project"][0]["version"] == 2 and after["milestones"][0]["version"] == 2
    # Insert, update, delete, insert: the restore is audited once, as an insert.
    assert [e.action for e in _events(db, "project", project_id)] == ["insert", "update", "delete", "insert"]


def test_restore_recreates_a_programme_deleted_meanwhile(db):
    project_id = _create(db)
    with db.transaction() as session:
        snapshot = portfolio.delete_project(session, project_id, 1)
    with db.transaction() as session:
        session.delete(session.scalar(select(Programme)))
    with db.transaction() as session:
        portfolio.restore_project(session, snapshot)
    assert _row(db, project_id)["programme"] == "Digital Channels"


def test_restore_refuses_a_code_taken_since(db):
    project_id = _create(db)
    with db.transaction() as session:
        snapshot = portfolio.delete_project(session, project_id, 1)
    _create(db, name="Replacement portal")
    with db.transaction() as session, pytest.raises(ValidationError) as info:
        portfolio.restore_project(session, snapshot)
    assert info.value.for_field("code") == "Code DCX-014 is already used by 'Replacement portal'."


def test_delete_refuses_project_with_raid_items(db):
    project_id = _create(db)
    with db.transaction() as session:
        session.add(RaidItem(project_id=project_id, scope_key=str(project_id), ref="R-001", title="Supplier late"))
    with db.transaction() as session, pytest.raises(RuleError) as info:
        portfolio.delete_project(session, project_id, 1)
    assert "1 RAID item" in str(info.value) and "Cancelled" in str(info.value)


# -- milestones ------------------------------------------------------------------------------------

def test_milestone_add_update_delete_restore_with_versions(db):
    project_id = _create(db)
    with db.transaction() as session:
        milestone_id = portfolio.add_milestone(session, project_id, {"name": "Go-live", "baseline_date": "2026-09-01"})
    with db.transaction() as session, pytest.raises(ValidationError) as info:
        portfolio.add_milestone(session, project_id, {"name": "go-live"})
    assert info.value.for_field("name") == "This project already has a milestone called 'go-live'."
    with db.transaction() as session:
        assert portfolio.update_milestone(session, milestone_id, {"status": "Achieved"}, 1) == 2
    with db.transaction() as session, pytest.raises(ConflictError) as conflict:
        portfolio.update_milestone(session, milestone_id, {"status": "missed"}, 1)
    assert conflict.value.theirs == {"status": "achieved"}
    with db.transaction() as session:
        values = portfolio.delete_milestone(session, milestone_id, 2)
    with db.transaction() as session:
        portfolio.restore_milestone(session, values)
    with db.session() as session:
        restored = portfolio.get_milestone(session, milestone_id)
    assert (restored.name, restored.status, restored.version) == ("Go-live", "achieved", 2)
    assert [e.action for e in _events(db, "milestone", milestone_id)] == ["insert", "update", "delete", "insert"]


def test_milestone_needs_a_name_and_a_known_status(db):
    project_id = _create(db)
    with db.transaction() as session, pytest.raises(ValidationError) as info:
        portfolio.add_milestone(session, project_id, {"name": "", "status": "late"})
    assert info.value.for_field("name") == "Enter the milestone's name."
    assert info.value.for_field("status").startswith("'late' is not a milestone status.")


# -- the table rows --------------------------------------------------------------------------------

def test_project_rows_shape_latest_report_and_slip(db):
    project_id = _create(db)
    _create(db, code="ABC-001", name="Alpha", programme=None, rag=None, forecast_end=None, budget=None)
    with db.transaction() as session:
        session.add(StatusReport(project_id=project_id, period_end=D(2026, 5, 31), rag="G"))
        session.add(StatusReport(project_id=project_id, period_end=D(2026, 6, 30), rag="R"))
    with db.session() as session:
        rows = portfolio.project_rows(session)
    assert all(len(r) == len(PROJECT_ROW_FIELDS) for r in rows)
    assert [r[1] for r in rows] == ["ABC-001", "DCX-014"]
    portal = dict(zip(PROJECT_ROW_FIELDS, rows[1], strict=True))
    assert portal == {
        "id": project_id, "code": "DCX-014", "name": "Customer Portal", "programme": "Digital Channels",
        "stage": "execution", "rag": "R", "manager": "Priya Shah", "sponsor": "Tom Reed",
        "department": "Digital", "priority": 2, "baseline_start": D(2026, 1, 5), "baseline_end": D(2026, 9, 30),
        "forecast_end": D(2026, 10, 20), "slip_days": 20, "budget": Decimal("850000.00"),
        "actual_cost": Decimal("310000.50"), "forecast_cost": Decimal("900000.00"), "percent_complete": 0.4,
        "last_report": D(2026, 6, 30),
    }
    alpha = dict(zip(PROJECT_ROW_FIELDS, rows[0], strict=True))
    assert alpha["rag"] is None and alpha["slip_days"] is None and alpha["last_report"] is None


def test_project_rows_at_scale(db):
    """100,000 projects with reports come back in one query (time printed, not asserted)."""
    count = 100_000
    today = D(2026, 1, 1)
    projects = [
        {"id": i, "code": f"P-{i:06d}", "name": f"Project {i}", "stage": "execution", "rag": "GAR"[i % 3],
         "manager": f"Manager {i % 97}", "baseline_end": today + dt.timedelta(days=i % 400),
         "forecast_end": today + dt.timedelta(days=i % 450), "budget": Decimal(i * 10)}
        for i in range(1, count + 1)
    ]
    reports = [{"project_id": i, "period_end": D(2026, m, 28), "rag": "R"} for i in range(1, count + 1, 10)
               for m in (1, 2)]
    with db.session(source=AuditSource.SYSTEM) as session, session.begin():
        conn = session.connection()
        audited_execute(conn, insert(Project.__table__), projects,
                        [AuditRecord("project", None, AuditAction.INSERT, {}, note="scale test")])
        audited_execute(conn, insert(StatusReport.__table__), reports,
                        [AuditRecord("status_report", None, AuditAction.INSERT, {}, note="scale test")])
    started = time.perf_counter()
    with db.session() as session:
        rows = portfolio.project_rows(session)
    elapsed = time.perf_counter() - started
    print(f"\nproject_rows: {len(rows):,} rows in {elapsed:.2f} s")
    assert len(rows) == count
    by_id = {r[0]: r for r in rows[:20]}
    assert by_id[1][5] == "R"  # reported RAG wins over the project's
    assert by_id[2][5] == "R" if 2 % 10 == 1 else by_id[2][5] == "GAR"[2]


def test_restore_takes_a_new_id_when_its_old_one_was_reused(db):
    project_id = _create(db)
    with db.transaction() as session:
        portfolio.add_milestone(session, project_id, {"name": "Go-live"})
    with db.transaction() as session:
        snapshot = portfolio.delete_project(session, project_id, 1)
    other = _create(db, code="NEW-001", name="Newcomer")
    assert other == project_id  # SQLite reuses the highest deleted id
    with db.transaction() as session:
        restored = portfolio.restore_project(session, snapshot)
    assert restored != other
    with db.session() as session:
        details = portfolio.get_project(session, restored)
    assert details.code == "DCX-014" and [m.name for m in details.milestones] == ["Go-live"]


def test_delete_refuses_project_whose_milestone_another_project_depends_on(db):
    project_id = _create(db)
    other_id = _create(db, code="OTH-001", name="Other")
    with db.transaction() as session:
        milestone_id = portfolio.add_milestone(session, project_id, {"name": "API ready"})
        session.add(RaidItem(project_id=other_id, scope_key=str(other_id), ref="D-001", kind="dependency",
                             title="Needs the API", depends_on_milestone_id=milestone_id))
    with db.transaction() as session, pytest.raises(RuleError) as info:
        portfolio.delete_project(session, project_id, 1)
    assert "1 RAID dependency on its milestones" in str(info.value)
    with db.transaction() as session, pytest.raises(RuleError):
        portfolio.delete_milestone(session, milestone_id, 1)
