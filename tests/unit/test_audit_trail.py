"""The audit trail as a coordinator reads it: filters, readable records and changes, field histories."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select, update

from pmo_desktop.importer.pipeline import import_files
from pmo_desktop.model import AuditEvent, Person, Project, RaidItem
from pmo_desktop.model.audit import AuditSource
from pmo_desktop.services import audit_trail as trail
from pmo_desktop.services.portfolio import update_project


@pytest.fixture
def office(db):
    """Two projects, a RAID item and a person written by "alice", then edits by "bob"."""
    db.actor = "alice"
    with db.transaction() as session:
        session.add_all([
            Project(code="ALP-001", name="Alpha upgrade", budget=Decimal("100000"), rag="A", stage="execution"),
            Project(code="BET-002", name="Beta rollout", budget=Decimal("50000"), rag="G", stage="planning"),
            Person(name="Dana Shah", capacity_hours=37.5),
        ])
    with db.transaction() as session:
        alpha = session.scalar(select(Project).where(Project.code == "ALP-001"))
        session.add(RaidItem(project_id=alpha.id, scope_key=str(alpha.id), ref="R-007", kind="risk",
                             title="Vendor late", status="open"))
    db.actor = "bob"
    with db.transaction() as session:
        alpha = session.scalar(select(Project).where(Project.code == "ALP-001"))
        update_project(session, alpha.id, {"rag": "R", "budget": Decimal("120000")}, alpha.version)
    return db


def _rows(db, **filters):
    with db.session() as session:
        return trail.audit_rows(session, currency="£", **filters)


def test_rows_are_newest_first_with_readable_entity_record_and_summary(office):
    rows = _rows(office)
    assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)
    newest = rows[0]
    assert (newest.who, newest.source, newest.entity, newest.record, newest.action) == (
        "bob", "Desktop", "Project", "ALP-001", "Changed")
    assert newest.summary == "budget: £100,000 → £120,000; rag: A → R"
    raid = next(r for r in rows if r.entity == "RAID item")
    assert raid.record == "R-007 (ALP-001)"
    assert raid.action == "Created" and "title: Vendor late" in raid.summary
    person = next(r for r in rows if r.entity == "Person")
    assert person.record == "Dana Shah"


def test_filters_by_entity_actor_and_text(office):
    assert {r.entity for r in _rows(office, entity="raid_item")} == {"RAID item"}
    assert {r.who for r in _rows(office, actor="bob")} == {"bob"}
    assert len(_rows(office, actor="bob")) == 1
    assert _rows(office, actor="nobody") == []
    # The record's code finds its update even though the update did not change the code.
    by_code = _rows(office, text="alp-001")
    assert {(r.entity, r.action) for r in by_code} >= {("Project", "Created"), ("Project", "Changed"),
                                                       ("RAID item", "Created")}
    assert all("BET-002" not in r.record for r in by_code)
    assert {r.record for r in _rows(office, text="Vendor")} == {"R-007 (ALP-001)"}
    assert {r.entity for r in _rows(office, text="RAID item")} == {"RAID item"}


def test_date_range_is_inclusive_of_whole_days(office):
    with office.transaction() as session:
        session.execute(update(AuditEvent.__table__).where(AuditEvent.actor == "alice")
                        .values(at=dt.datetime(2025, 3, 10, 12, 0)))
    today = dt.date.today()
    assert {r.who for r in _rows(office, since=today)} == {"bob"}
    assert {r.who for r in _rows(office, until=dt.date(2025, 3, 10))} == {"alice"}
    assert {r.who for r in _rows(office, since=dt.date(2025, 3, 10), until=dt.date(2025, 3, 10))} == {"alice"}
    assert _rows(office, since=dt.date(2025, 3, 11), until=dt.date(2025, 3, 12)) == []


def test_deleted_record_is_named_from_its_own_event(office):
    with office.transaction() as session:
        session.delete(session.scalar(select(Project).where(Project.code == "BET-002")))
    rows = _rows(office, entity="project")
    deleted = next(r for r in rows if r.action == "Deleted")
    assert deleted.record == "BET-002"
    created = next(r for r in rows if r.action == "Created" and r.entity_id == deleted.entity_id)
    assert created.record == "BET-002"  # its insert event recorded the code


def test_import_batch_filter_and_source(office, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Project ID", "Project Name", "Stage", "RAG", "Budget (£)"])
    sheet.append(["GAM-003", "Gamma pilot", "Planning", "Green", 75000])
    sheet.append(["ALP-001", "Alpha upgrade", "Execution", "Red", 130000])
    path = tmp_path / "projects.xlsx"
    workbook.save(path)
    outcome = import_files(office, [path])
    assert outcome.exit_code == 0, outcome.summary()
    with office.session() as session:
        batches = trail.audit_batches(session)
    assert len(batches) == 1 and batches[0].label == f"projects.xlsx (#{batches[0].id})"
    imported = _rows(office, batch_id=batches[0].id)
    assert imported and {r.source for r in imported} == {"Import"}
    assert {r.batch for r in imported} == {batches[0].label}
    assert {r.record for r in imported if r.entity == "Project"} == {"GAM-003", "ALP-001"}
    change = next(r for r in imported if r.record == "ALP-001")
    assert "budget: £120,000 → £130,000" in change.summary
    assert {r.batch for r in _rows(office, source=AuditSource.UI.value)} == {None}


def test_record_history_gives_each_field_change_in_order(office):
    db = office
    with db.session() as session:
        alpha = session.scalar(select(Project).where(Project.code == "ALP-001"))
        alpha_id, version = alpha.id, alpha.version
    db.actor = "carol"
    with db.transaction() as session:
        update_project(session, alpha_id, {"budget": Decimal("90000")}, version)
    with db.session() as session:
        history = trail.record_history(session, "project", alpha_id, currency="£")
        label = trail.record_label(session, "project", alpha_id)
    assert label == "ALP-001"
    budget = [(h.before, h.after, h.who, h.action) for h in history if h.field == "budget"]
    assert budget == [("", "£100,000", "alice", "Created"), ("£100,000", "£120,000", "bob", "Changed"),
                      ("£120,000", "£90,000", "carol", "Changed")]
    assert [h.when for h in history] == sorted(h.when for h in history)
    assert ("A", "R") in [(h.before, h.after) for h in history if h.field == "rag"]


def test_choices_for_filters(office):
    with office.session() as session:
        assert trail.audit_actors(session) == ["alice", "bob"]
        entities = dict(trail.audit_entities(session))
    assert entities["raid_item"] == "RAID item" and entities["project"] == "Project"


def test_limit_keeps_the_newest(office):
    rows = _rows(office, limit=2)
    assert len(rows) == 2 and rows[0].who == "bob"


def test_values_in_words():
    assert trail.format_change_value("project", "percent_complete", 0.45) == "45%"
    assert trail.format_change_value("project", "baseline_end", "2026-11-30") == "30 Nov 2026"
    assert trail.format_change_value("project", "budget", "1250.50", "€") == "€1,250.50"
    assert trail.format_change_value("person", "active", False) == "No"
    assert trail.summarise_changes("project", "update", {"name": ["Old", None]}) == "name: Old → —"


def test_coded_values_read_as_their_labels():
    assert trail.format_change_value("project", "stage", "business_case") == "Business case"
    assert trail.format_change_value("raid_item", "status", "in_progress") == "In progress"
    assert trail.format_change_value("project", "stage", "retired") == "retired"  # not a stage (any more)
    assert trail.format_change_value("project", "rag", "A") == "A"
    assert trail.summarise_changes("project", "update", {"stage": ["planning", "execution"]}) == (
        "stage: Planning → Execution")


def test_history_names_the_records_a_field_points_at(office):
    with office.session() as session:
        item = session.scalar(select(RaidItem).where(RaidItem.ref == "R-007"))
        history = trail.record_history(session, "raid_item", item.id, currency="£")
    fields = {h.field: h.after for h in history}
    assert fields["project"] == "ALP-001"  # not the project's id
    assert "project id" not in fields and "scope key" not in fields
