"""The RAID service: register rows, validation in plain words, refs, versions, conversion, dependencies."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from pmo_desktop.model import AuditEvent, Milestone, OfficeSettings, Programme, Project, RaidItem
from pmo_desktop.model.audit import AuditRecord, audited_execute
from pmo_desktop.model.database import open_database
from pmo_desktop.model.enums import AuditAction
from pmo_desktop.services import raid
from pmo_desktop.services.errors import ConflictError, RuleError, ValidationError
from pmo_desktop.services.raid import Direction, RaidDraft, ScoreBand

TODAY = dt.date(2026, 3, 14)


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/raid.db", backup=False)
    yield database
    database.dispose()


@pytest.fixture
def projects(db):
    """Two projects in a programme (DCX-014 with a milestone) and one on its own (ABC-001)."""
    with db.transaction() as session:
        if session.get(OfficeSettings, 1) is None:
            session.add(OfficeSettings(id=1))
        programme = Programme(name="Digital Customer")
        dcx = Project(code="DCX-014", name="Customer portal", programme=programme)
        abc = Project(code="ABC-001", name="Billing upgrade")
        session.add_all([programme, dcx, abc])
        session.flush()
        milestone = Milestone(project_id=abc.id, name="Billing API live", baseline_date=dt.date(2026, 6, 1))
        session.add(milestone)
        session.flush()
        return {"dcx": dcx.id, "abc": abc.id, "milestone": milestone.id}


def create(db, **fields) -> raid.SavedItem:
    with db.transaction() as session:
        return raid.create_item(session, RaidDraft(**fields), today=TODAY)


def detail(db, item_id) -> raid.RaidDetail:
    with db.session() as session:
        return raid.get_item(session, item_id)


def errors_of(excinfo) -> dict[str, str]:
    return {e.field: e.message for e in excinfo.value.errors}


# -- validation ---------------------------------------------------------------------------------

def test_validation_names_every_bad_field_in_plain_words(db, projects):
    with pytest.raises(ValidationError) as excinfo:
        create(db, title="  ", project_id=projects["dcx"], likelihood=7, impact=0, kind="rumour",
               status="pending", response="ignore", escalation="board",
               raised=dt.date(2026, 3, 10), due=dt.date(2026, 3, 1))
    errors = errors_of(excinfo)
    assert errors["title"].startswith("Title is required")
    assert "from 1 (very low) to 5 (very high)" in errors["likelihood"]
    assert "from 1 (very low) to 5 (very high)" in errors["impact"]
    assert errors["kind"] == "Kind 'rumour' is not one of: risk, assumption, issue, dependency."
    assert "open, in progress, closed" in errors["status"]
    assert "avoid, reduce" in errors["response"]
    assert "project, programme, portfolio" in errors["escalation"]
    assert errors["due"] == ("Due date 01 Mar 2026 is before the date raised (10 Mar 2026): "
                             "it must be on or after it.")
    with db.session() as session:
        assert session.scalars(select(RaidItem)).all() == []


def test_text_is_trimmed_and_enums_accept_any_case(db, projects):
    saved = create(db, title="  Supplier late  ", project_id=projects["dcx"], kind="Risk", status="OPEN",
                   owner=" Ana Diaz ", likelihood=3, impact=4, cost_impact="12500.5")
    item = detail(db, saved.id).draft
    assert (item.title, item.kind, item.status, item.owner) == ("Supplier late", "risk", "open", "Ana Diaz")
    assert item.cost_impact == Decimal("12500.50")
    assert item.raised == TODAY


def test_negative_cost_and_dependency_on_own_project_are_refused(db, projects):
    with pytest.raises(ValidationError) as excinfo:
        create(db, title="x", project_id=projects["abc"], cost_impact=Decimal("-5"),
               depends_on_project_id=projects["abc"])
    errors = errors_of(excinfo)
    assert errors["cost_impact"] == "Cost impact cannot be negative."
    assert errors["depends_on_project_id"] == "An item cannot depend on its own project."


# -- refs ------------------------------------------------------------------------------------------

def test_refs_are_assigned_per_project_and_kind(db, projects):
    dcx, abc = projects["dcx"], projects["abc"]
    refs = [
        create(db, title="a", project_id=dcx, kind="risk"),
        create(db, title="b", project_id=dcx, kind="risk"),
        create(db, title="c", project_id=dcx, kind="issue"),
        create(db, title="d", project_id=abc, kind="risk"),
        create(db, title="e", project_id=None, kind="assumption"),
        create(db, title="f", project_id=dcx, kind="dependency", depends_on_project_id=abc),
    ]
    assert [detail(db, s.id).ref for s in refs] == ["R-001", "R-002", "I-001", "R-001", "A-001", "D-001"]
    create(db, title="g", project_id=dcx, kind="risk", ref="R-012")
    assert detail(db, create(db, title="h", project_id=dcx, kind="risk").id).ref == "R-013"


def test_ref_is_unique_per_project_with_a_message_naming_the_project(db, projects):
    create(db, title="a", project_id=projects["dcx"], ref="R-012")
    create(db, title="same ref, other project", project_id=projects["abc"], ref="R-012")
    with pytest.raises(ValidationError) as excinfo:
        create(db, title="b", project_id=projects["dcx"], ref="r-012")
    assert errors_of(excinfo)["ref"] == "Ref r-012 is already used in DCX-014."


def test_ref_is_unique_among_portfolio_level_items(db, projects):
    create(db, title="a", project_id=None, ref="R-001")
    with pytest.raises(ValidationError) as excinfo:
        create(db, title="b", project_id=None, ref="R-001")
    assert errors_of(excinfo)["ref"] == "Ref R-001 is already used in the portfolio-level log."
    assert detail(db, create(db, title="c", project_id=None).id).ref == "R-002"


def test_clearing_the_ref_assigns_the_next_one(db, projects):
    first = create(db, title="a", project_id=projects["dcx"])
    second = create(db, title="b", project_id=projects["dcx"])
    with db.transaction() as session:
        raid.update_item(session, first.id, {"ref": ""}, first.version)
    assert detail(db, first.id).ref == "R-003"
    assert detail(db, second.id).ref == "R-002"


# -- updates, versions, audit -----------------------------------------------------------------------

def test_update_saves_changes_and_audits_them(db, projects):
    saved = create(db, title="Supplier late", project_id=projects["dcx"], likelihood=2, impact=3)
    with db.transaction() as session:
        result = raid.update_item(session, saved.id, {"likelihood": 4, "owner": "Ben"}, saved.version)
    assert result.version == saved.version + 1
    assert result.before == {"likelihood": 2, "owner": None}
    assert detail(db, saved.id).score == 12
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "raid_item",
                                                          AuditEvent.entity_id == saved.id)
                                 .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["insert", "update"]
    assert events[0].changes["title"] == [None, "Supplier late"]
    assert events[1].changes == {"likelihood": [2, 4], "owner": [None, "Ben"]}


def test_a_stale_version_is_a_conflict_showing_both_values(db, projects):
    saved = create(db, title="Supplier late", project_id=projects["dcx"], likelihood=2, impact=3)
    with db.transaction() as session:
        raid.update_item(session, saved.id, {"likelihood": 5}, saved.version)
    with pytest.raises(ConflictError) as excinfo, db.transaction() as session:
        raid.update_item(session, saved.id, {"likelihood": 1}, saved.version)
    assert excinfo.value.mine == {"likelihood": 1}
    assert excinfo.value.theirs == {"likelihood": 5}
    assert detail(db, saved.id).draft.likelihood == 5


def test_closing_records_the_date_and_reopening_clears_it(db, projects):
    saved = create(db, title="a", project_id=projects["dcx"])
    with db.transaction() as session:
        closed = raid.update_item(session, saved.id, {"status": "closed"}, saved.version, today=TODAY)
    assert detail(db, saved.id).closed_on == TODAY
    with db.transaction() as session:
        raid.update_item(session, saved.id, {"status": "in_progress"}, closed.version)
    assert detail(db, saved.id).closed_on is None


def test_moving_an_item_to_another_project_moves_its_scope(db, projects):
    saved = create(db, title="a", project_id=projects["dcx"])
    with db.transaction() as session:
        result = raid.update_item(session, saved.id, {"project_id": None}, saved.version)
    assert result.before["scope_key"] == str(projects["dcx"])
    assert detail(db, saved.id).scope_key == "portfolio"
    with db.transaction() as session:
        raid.restore_fields(session, saved.id, result.before, result.version)
    restored = detail(db, saved.id)
    assert (restored.draft.project_id, restored.scope_key) == (projects["dcx"], str(projects["dcx"]))


def test_mark_reviewed_sets_the_date(db, projects):
    saved = create(db, title="a", project_id=projects["dcx"])
    with db.transaction() as session:
        raid.mark_reviewed(session, saved.id, saved.version, TODAY)
    assert detail(db, saved.id).draft.last_reviewed == TODAY


# -- delete and restore ------------------------------------------------------------------------------

def _stored_row(db, item_id) -> dict:
    with db.session() as session:
        row = session.execute(select(RaidItem.__table__).where(RaidItem.id == item_id)).mappings().one()
        return dict(row)


def test_delete_then_restore_gives_back_the_exact_row_and_links(db, projects):
    saved = create(db, title="Supplier late", project_id=projects["dcx"], likelihood=4, impact=4,
                   description="Long text", category="Supply", owner="Ana", due=dt.date(2026, 5, 1),
                   cost_impact=Decimal("2500"), response="reduce", mitigation="Second supplier",
                   depends_on_project_id=projects["abc"], depends_on_milestone_id=projects["milestone"])
    with db.transaction() as session:
        edited = raid.update_item(session, saved.id, {"owner": "Ben"}, saved.version)
    with db.transaction() as session:
        conversion = raid.convert_to_issue(session, saved.id, edited.version, today=TODAY)
    issue_before = _stored_row(db, conversion.issue_id)
    risk_before = _stored_row(db, saved.id)

    with db.transaction() as session:
        snapshot = raid.delete_item(session, conversion.issue_id, conversion.issue_version)
    assert detail(db, saved.id).became is None
    with db.transaction() as session:
        raid.restore_item(session, snapshot)

    assert _stored_row(db, conversion.issue_id) == issue_before
    assert detail(db, saved.id).became.id == conversion.issue_id
    risk_after = _stored_row(db, saved.id)
    assert {k: v for k, v in risk_after.items() if k not in ("version", "updated_at")} == \
           {k: v for k, v in risk_before.items() if k not in ("version", "updated_at")}
    with db.session() as session:
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity == "raid_item", AuditEvent.entity_id == conversion.issue_id)
            .order_by(AuditEvent.id)).all()
    assert actions == ["insert", "delete", "insert"]


def test_deleting_a_stale_copy_is_a_conflict(db, projects):
    saved = create(db, title="a", project_id=projects["dcx"])
    with db.transaction() as session:
        raid.update_item(session, saved.id, {"title": "b"}, saved.version)
    with pytest.raises(ConflictError), db.transaction() as session:
        raid.delete_item(session, saved.id, saved.version)
    assert detail(db, saved.id).draft.title == "b"


def test_restore_refuses_a_ref_taken_meanwhile(db, projects):
    saved = create(db, title="a", project_id=projects["dcx"])
    with db.transaction() as session:
        snapshot = raid.delete_item(session, saved.id, saved.version)
    create(db, title="b", project_id=projects["dcx"], ref="R-001")
    with pytest.raises(ValidationError) as excinfo, db.transaction() as session:
        raid.restore_item(session, snapshot)
    assert "R-001 was used again in DCX-014" in errors_of(excinfo)["ref"]


# -- risk to issue -------------------------------------------------------------------------------------

def test_convert_to_issue_creates_a_linked_issue_and_closes_the_risk(db, projects):
    saved = create(db, title="Supplier late", project_id=projects["dcx"], likelihood=3, impact=4,
                   description="Parts on back order", owner="Ana", category="Supply",
                   cost_impact=Decimal("9000"), mitigation="Second supplier", raised=dt.date(2026, 1, 5))
    with db.transaction() as session:
        conversion = raid.convert_to_issue(session, saved.id, saved.version, today=TODAY)

    risk, issue = detail(db, saved.id), detail(db, conversion.issue_id)
    assert risk.draft.status == "closed" and risk.closed_on == TODAY
    assert risk.became.id == issue.id and risk.became.ref == "I-001"
    assert issue.converted_from[0].id == risk.id
    assert (issue.draft.kind, issue.draft.project_id, issue.draft.status) == ("issue", projects["dcx"], "open")
    assert (issue.draft.title, issue.draft.owner, issue.draft.category) == ("Supplier late", "Ana", "Supply")
    assert (issue.draft.likelihood, issue.draft.impact, issue.draft.cost_impact) == (5, 4, Decimal("9000.00"))
    assert issue.draft.description == "Parts on back order\n\nRaised from risk R-001."
    assert issue.draft.raised == TODAY
    with db.session() as session:
        risk_events = session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "raid_item", AuditEvent.entity_id == saved.id).order_by(AuditEvent.id)).all()
    assert [e.action for e in risk_events] == ["insert", "update"]
    assert risk_events[1].changes["status"] == ["open", "closed"]
    assert risk_events[1].changes["became_item_id"] == [None, issue.id]


def test_convert_refuses_non_risks_and_risks_already_converted(db, projects):
    issue = create(db, title="a", project_id=projects["dcx"], kind="issue")
    with pytest.raises(RuleError, match="only risks can become issues"), db.transaction() as session:
        raid.convert_to_issue(session, issue.id, issue.version)
    risk = create(db, title="b", project_id=projects["dcx"])
    with db.transaction() as session:
        conversion = raid.convert_to_issue(session, risk.id, risk.version, today=TODAY)
    with pytest.raises(RuleError, match="already became issue I-002"), db.transaction() as session:
        raid.convert_to_issue(session, risk.id, conversion.risk_version)


def test_undo_conversion_reopens_the_risk_and_removes_the_issue(db, projects):
    saved = create(db, title="a", project_id=projects["dcx"], likelihood=2, impact=2)
    before = _stored_row(db, saved.id)
    with db.transaction() as session:
        conversion = raid.convert_to_issue(session, saved.id, saved.version, today=TODAY)
    with db.transaction() as session:
        raid.undo_conversion(session, conversion)
    after = _stored_row(db, saved.id)
    assert {k: v for k, v in after.items() if k not in ("version", "updated_at")} == \
           {k: v for k, v in before.items() if k not in ("version", "updated_at")}
    with db.session() as session:
        assert session.get(RaidItem, conversion.issue_id) is None


# -- dependencies --------------------------------------------------------------------------------------

def test_dependencies_of_a_project_run_both_ways(db, projects):
    dcx, abc = projects["dcx"], projects["abc"]
    create(db, title="Portal needs billing API", project_id=dcx, kind="dependency",
           depends_on_milestone_id=projects["milestone"])
    create(db, title="Billing needs portal login", project_id=abc, kind="dependency", depends_on_project_id=dcx)
    create(db, title="Office-wide: portal first", project_id=None, kind="dependency", depends_on_project_id=dcx)
    create(db, title="Unrelated risk", project_id=dcx)

    links = {(link.direction, link.title): link for link in raid.dependencies_of(db.session(), dcx)}
    assert set(links) == {
        (Direction.DEPENDS_ON, "Portal needs billing API"),
        (Direction.DEPENDED_ON_BY, "Billing needs portal login"),
        (Direction.DEPENDED_ON_BY, "Office-wide: portal first"),
    }
    outgoing = links[(Direction.DEPENDS_ON, "Portal needs billing API")]
    assert (outgoing.from_project, outgoing.to_project, outgoing.milestone) == ("DCX-014", "ABC-001",
                                                                                "Billing API live")
    assert outgoing.milestone_date == dt.date(2026, 6, 1)
    assert links[(Direction.DEPENDED_ON_BY, "Office-wide: portal first")].from_project == "Portfolio"
    assert [link.title for link in raid.dependencies_of(db.session(), abc)] == [
        "Billing needs portal login", "Portal needs billing API"]


def test_milestone_of_another_project_is_refused(db, projects):
    with pytest.raises(ValidationError) as excinfo:
        create(db, title="x", project_id=projects["abc"], depends_on_project_id=projects["dcx"],
               depends_on_milestone_id=projects["milestone"])
    assert "belongs to another project" in errors_of(excinfo)["depends_on_milestone_id"]


# -- the register -----------------------------------------------------------------------------------------

def test_register_rows_carry_codes_scores_bands_and_age(db, projects):
    low = create(db, title="low", project_id=projects["dcx"], likelihood=1, impact=2, raised=dt.date(2026, 3, 4))
    medium = create(db, title="medium", project_id=projects["abc"], likelihood=2, impact=4)
    high = create(db, title="high", project_id=None, likelihood=3, impact=5)
    blank = create(db, title="blank", project_id=None, kind="assumption")
    with db.session() as session:
        rows = {row.id: row for row in raid.raid_rows(session, TODAY)}
    assert rows[low.id].project == "DCX-014" and rows[low.id].programme == "Digital Customer"
    assert (rows[low.id].score, rows[low.id].band, rows[low.id].age_days) == (2, "low", 10)
    assert (rows[medium.id].project, rows[medium.id].programme, rows[medium.id].band) == ("ABC-001", None,
                                                                                          "medium")
    assert (rows[high.id].project, rows[high.id].score, rows[high.id].band) == ("Portfolio", 15, "high")
    assert (rows[blank.id].score, rows[blank.id].band) == (None, None)
    assert rows[blank.id][1:] == tuple(getattr(rows[blank.id], name) for name in raid.RAID_ROW_FIELDS)


def test_register_bands_follow_the_office_thresholds(db, projects):
    create(db, title="a", project_id=projects["dcx"], likelihood=2, impact=4)
    with db.transaction() as session:
        settings = session.get(OfficeSettings, 1)
        settings.risk_amber_score, settings.risk_red_score = 4, 8
    with db.session() as session:
        assert raid.raid_rows(session, TODAY)[0].band == "high"
    assert raid.score_band(8, amber=4, red=8) is ScoreBand.HIGH
    assert raid.score_band(7) is ScoreBand.LOW and raid.score_band(None) is None


def test_overdue_means_past_due_and_not_closed(db, projects):
    late = create(db, title="late", project_id=projects["dcx"], raised=dt.date(2026, 1, 1), due=dt.date(2026, 3, 1))
    closed = create(db, title="closed late", project_id=projects["dcx"], raised=dt.date(2026, 1, 1),
                    due=dt.date(2026, 3, 1), status="closed")
    on_time = create(db, title="on time", project_id=projects["dcx"], due=dt.date(2026, 4, 1))
    with db.session() as session:
        overdue = {row.id for row in raid.raid_rows(session, TODAY) if raid.is_overdue(row, TODAY)}
    assert overdue == {late.id}
    assert closed.id not in overdue and on_time.id not in overdue


@pytest.mark.slow
def test_register_reads_50000_items(db, projects):
    rows = [
        {"project_id": projects["dcx"] if i % 3 else None, "scope_key": str(projects["dcx"]) if i % 3 else "portfolio",
         "ref": f"R-{i:05d}", "kind": "risk", "title": f"Risk {i}", "owner": f"Owner {i % 40}",
         "likelihood": i % 5 + 1, "impact": (i // 5) % 5 + 1, "status": "open", "escalation": "project",
         "raised": dt.date(2025, 1, 1) + dt.timedelta(days=i % 400), "due": dt.date(2026, 1, 1),
         "version": 1}
        for i in range(50_000)
    ]
    with db.transaction() as session:
        audited_execute(session.connection(), insert(RaidItem.__table__), rows,
                        records=[AuditRecord("raid_item", None, AuditAction.INSERT, {"rows": [None, len(rows)]})])
    with db.session() as session:
        start = time.perf_counter()
        register = raid.raid_rows(session, TODAY)
        elapsed = time.perf_counter() - start
    assert len(register) == 50_000
    print(f"raid_rows for 50,000 items: {elapsed:.2f} s")
