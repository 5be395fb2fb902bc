"""The standards library: editing a methodology's standard, and creating a project from it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pmo_desktop.model import (
    AuditEvent,
    MethodologyStandard,
    Milestone,
    Project,
    RaidItem,
    StandardMilestone,
    StandardRaidItem,
)
from pmo_desktop.model.database import open_database
from pmo_desktop.services import standards as st
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.services.errors import ConflictError, ValidationError

D = dt.date


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'standards.db'}", backup=False)
    with database.transaction() as session:
        ensure_defaults(session)
    yield database
    database.dispose()


def read(db, methodology: str) -> st.StandardInfo:
    with db.session() as session:
        return st.standard_for(session, methodology)


def test_library_has_waterfall_agile_and_hybrid(db):
    with db.session() as session:
        found = st.standards(session)
    assert [s.label for s in found] == ["Waterfall", "Agile", "Hybrid"]
    waterfall = found[0]
    assert waterfall.milestones[0] == st.MilestoneSpec("Project initiation", 0.0)
    assert waterfall.milestones[-1] == st.MilestoneSpec("Project closure", 1.0)
    assert {r.kind for r in waterfall.starter_raid} == {"risk", "assumption", "dependency"}


def test_save_replaces_milestones_and_raid_in_position_order_and_is_audited(db):
    agile = read(db, "agile")
    with db.transaction() as session:
        saved = st.save_standard(
            session, "agile", "  Sprints  ",
            [st.MilestoneSpec("Live", 1.0), st.MilestoneSpec("Alpha assessment", 0.25),
             st.MilestoneSpec("Discovery complete", 0.1)],
            [st.RaidStarter("Issue", "Backlog not prioritised", "Scope")],
            agile.version)
    assert saved.description == "Sprints"
    assert [m.name for m in saved.milestones] == ["Discovery complete", "Alpha assessment", "Live"]
    assert saved.starter_raid == (st.RaidStarter("issue", "Backlog not prioritised", "Scope"),)
    assert saved.version > agile.version
    assert read(db, "agile") == saved
    with db.session() as session:
        inserted = session.scalars(select(AuditEvent.entity_id).where(
            AuditEvent.entity == StandardMilestone.__tablename__, AuditEvent.action == "insert",
            AuditEvent.source != "system")).all()
        deleted = session.scalar(select(AuditEvent.id).where(
            AuditEvent.entity == StandardMilestone.__tablename__, AuditEvent.action == "delete").limit(1))
    assert len(inserted) >= 3 and deleted is not None


def test_a_stale_save_is_a_conflict(db):
    hybrid = read(db, "hybrid")
    with db.transaction() as session:
        st.save_standard(session, "hybrid", "First", hybrid.milestones, hybrid.starter_raid, hybrid.version)
    with pytest.raises(ConflictError), db.transaction() as session:
        st.save_standard(session, "hybrid", "Second", hybrid.milestones, hybrid.starter_raid, hybrid.version)
    assert read(db, "hybrid").description == "First"


def test_deleting_a_standard_removes_its_rows_audited_and_checks_the_version(db):
    hybrid = read(db, "hybrid")
    with pytest.raises(ConflictError), db.transaction() as session:
        st.delete_standard(session, "hybrid", hybrid.version + 1)
    assert read(db, "hybrid") == hybrid
    with db.transaction() as session:
        st.delete_standard(session, "hybrid", hybrid.version)
    assert read(db, "hybrid") is None
    with db.session() as session:
        left = session.scalars(select(StandardMilestone.id).where(StandardMilestone.standard_id == hybrid.id)).all()
        deletes = session.scalars(select(AuditEvent.entity).where(AuditEvent.action == "delete")).all()
    assert left == []
    assert deletes.count(StandardMilestone.__tablename__) == len(hybrid.milestones)
    assert deletes.count(StandardRaidItem.__tablename__) == len(hybrid.starter_raid)
    assert deletes.count(MethodologyStandard.__tablename__) == 1
    with pytest.raises(ConflictError), db.transaction() as session:
        st.delete_standard(session, "hybrid", None)


def test_bad_rows_are_named_and_nothing_is_written(db):
    waterfall = read(db, "waterfall")
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        st.save_standard(session, "waterfall", "x",
                         [st.MilestoneSpec("Go-live", 0.9), st.MilestoneSpec(" ", 0.5),
                          st.MilestoneSpec("go-live", 0.95), st.MilestoneSpec("Later", 1.5)],
                         [st.RaidStarter("hazard", "Something")], waterfall.version)
    messages = [e.message for e in caught.value.errors]
    assert messages == [
        "Milestone 2: enter its name.",
        "Milestone 3: 'go-live' is listed twice.",
        "Milestone 4 ('Later'): the position must be between 0% (the baseline start) and 100% (the baseline end).",
        "Starter RAID item 1: 'hazard' is not a RAID kind. Choose one of: Risk, Assumption, Issue, Dependency.",
    ]
    assert read(db, "waterfall") == waterfall


def test_milestone_dates_spread_over_the_baseline():
    specs = [st.MilestoneSpec("Start", 0.0), st.MilestoneSpec("Middle", 0.5), st.MilestoneSpec("Late", 0.9),
             st.MilestoneSpec("End", 1.0)]
    # 1 Jan to 11 Apr 2027 is 100 days: 50 and 90 days in.
    assert st.milestone_dates(D(2027, 1, 1), D(2027, 4, 11), specs) == [
        ("Start", D(2027, 1, 1)), ("Middle", D(2027, 2, 20)), ("Late", D(2027, 4, 1)), ("End", D(2027, 4, 11))]


def test_create_project_lays_out_milestones_and_raises_starter_raid(db):
    new = st.NewProject("HYB-001", "Case management", "Priya Shah", D(2027, 1, 1), D(2027, 12, 31), "hybrid",
                        programme="Digital services")
    with db.transaction() as session:
        created = st.create_project_from_standard(session, new, today=D(2026, 11, 26))
    assert (created.code, created.milestones, created.raid_items) == ("HYB-001", 6, 3)
    with db.session() as session:
        project = session.get(Project, created.project_id)
        assert (project.stage, project.methodology, project.manager) == ("idea", "hybrid", "Priya Shah")
        assert project.programme.name == "Digital services"
        milestones = session.execute(select(Milestone.name, Milestone.baseline_date)
                                     .where(Milestone.project_id == project.id)
                                     .order_by(Milestone.baseline_date)).all()
        items = session.scalars(select(RaidItem).where(RaidItem.project_id == project.id)
                                .order_by(RaidItem.ref)).all()
        audited = session.scalar(select(AuditEvent.id).where(
            AuditEvent.entity == "project", AuditEvent.entity_id == project.id, AuditEvent.action == "insert"))
    # 364 days: MVP release at 45% is day 164 (13 Jun), go-live at 90% day 328 (25 Nov).
    assert milestones[0] == ("Initiation", D(2027, 1, 1))
    assert ("MVP release", D(2027, 6, 14)) in milestones
    assert ("Go-live", D(2027, 11, 25)) in milestones
    assert milestones[-1] == ("Closure", D(2027, 12, 31))
    assert [(i.ref, i.kind, i.owner, i.raised) for i in items] == [
        ("A-001", "assumption", "Priya Shah", D(2026, 11, 26)),
        ("I-001", "issue", "Priya Shah", D(2026, 11, 26)),
        ("R-001", "risk", "Priya Shah", D(2026, 11, 26))]
    assert audited is not None


def test_create_project_reports_every_bad_field_and_writes_nothing(db):
    with db.transaction() as session:
        session.add(Project(code="DUP-1", name="Existing"))
    new = st.NewProject("dup-1", "", None, D(2027, 5, 1), None, "waterfall")
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        st.create_project_from_standard(session, new)
    fields = {e.field: e.message for e in caught.value.errors}
    assert fields["code"] == "Code DUP-1 is already used by 'Existing'."
    assert fields["name"] == "Enter the project's name."
    assert fields["baseline_end"].startswith("Enter the baseline end")
    with db.session() as session:
        assert session.scalar(select(Project.id).where(Project.code == "dup-1")) is None


def test_create_project_needs_a_methodology(db):
    new = st.NewProject("NEW-1", "New", None, D(2027, 1, 1), D(2027, 2, 1), "")
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        st.create_project_from_standard(session, new)
    assert caught.value.for_field("methodology") == "Choose a methodology."


def test_removing_a_created_project_takes_its_milestones_and_starter_raid(db):
    new = st.NewProject("AGL-001", "Self-service", "Ana Diaz", D(2027, 1, 1), D(2027, 6, 30), "agile")
    with db.transaction() as session:
        created = st.create_project_from_standard(session, new, today=D(2026, 11, 26))
    with db.transaction() as session:
        st.remove_created_project(session, created)
    with db.session() as session:
        assert session.get(Project, created.project_id) is None
        assert session.scalar(select(RaidItem.id).where(RaidItem.id.in_(created.raid_item_ids))) is None
        assert session.scalar(select(Milestone.id).where(Milestone.project_id == created.project_id)) is None


def test_removing_is_refused_once_the_project_has_more_raid(db):
    from pmo_desktop.services import raid
    from pmo_desktop.services.errors import RuleError

    new = st.NewProject("AGL-002", "Case tool", "Ana Diaz", D(2027, 1, 1), D(2027, 6, 30), "agile")
    with db.transaction() as session:
        created = st.create_project_from_standard(session, new)
    with db.transaction() as session:
        raid.create_item(session, raid.RaidDraft(title="Vendor late", project_id=created.project_id))
    with pytest.raises(RuleError, match="cannot be deleted"), db.transaction() as session:
        st.remove_created_project(session, created)
    with db.session() as session:
        assert session.get(Project, created.project_id) is not None
        assert len(session.scalars(select(RaidItem.id).where(RaidItem.project_id == created.project_id)).all()) == 4
