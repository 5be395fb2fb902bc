"""Compliance exceptions: every rule finds what it should, stays quiet when switched off, and words it plainly."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import select

from pmo_desktop.analytics import governance as cg
from pmo_desktop.model import (
    AuditEvent,
    Gate,
    GateCondition,
    GateReview,
    Milestone,
    Project,
    RaidItem,
    StageChange,
    StatusReport,
)
from pmo_desktop.model.database import load_settings, open_database
from pmo_desktop.model.settings import DEFAULT_COMPLIANCE_RULES
from pmo_desktop.services.defaults import ensure_defaults

TODAY = dt.date(2026, 11, 26)  # a Thursday; October 2026 is the last completed month


@dataclass
class Office:
    """Office settings as the checks read them, with every rule switched off unless turned on."""

    compliance_rules: dict = field(default_factory=lambda: {k: {"enabled": False} for k in DEFAULT_COMPLIANCE_RULES})
    reporting_cadence: str = "monthly"
    risk_red_score: int = 15
    currency_symbol: str = "£"


def only(rule: str, **thresholds) -> Office:
    """Settings with just ``rule`` on, its thresholds the defaults overridden by ``thresholds``."""
    office = Office()
    office.compliance_rules[rule] = {**DEFAULT_COMPLIANCE_RULES[rule], **thresholds, "enabled": True}
    return office


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'compliance.db'}", backup=False)
    with database.transaction() as session:
        ensure_defaults(session)
    yield database
    database.dispose()


def add_project(session, code: str, stage: str = "execution", **values) -> Project:
    """A project with every field a stage asks for, unless ``values`` says otherwise."""
    fields = dict(name=f"Project {code}", sponsor="Dana Sponsor", manager="Alex Manager",
                  baseline_start=dt.date(2026, 1, 1), baseline_end=dt.date(2027, 6, 30), budget=Decimal(100_000))
    fields.update(values)
    project = Project(code=code, stage=stage, **fields)
    session.add(project)
    session.flush()
    return project


def gate(session, to_stage: str) -> Gate:
    return session.scalar(select(Gate).where(Gate.to_stage == to_stage))


def review(session, project: Project, to_stage: str, day: dt.date, decision: str = "approved") -> GateReview:
    item = GateReview(project_id=project.id, gate_id=gate(session, to_stage).id, review_date=day, decision=decision)
    session.add(item)
    session.flush()
    return item


def report(session, project: Project, period_end: dt.date, rag: str = "G", forecast: int | None = None) -> None:
    session.add(StatusReport(project_id=project.id, period_end=period_end, rag=rag,
                             forecast_cost=Decimal(forecast) if forecast is not None else None))


def raid(session, project: Project | None, ref: str, **values) -> None:
    fields = dict(kind="risk", title=f"Item {ref}", status="open", owner="Owner", mitigation="A plan")
    fields.update(values)
    session.add(RaidItem(project_id=project.id if project else None, scope_key=RaidItem.scope_key_for(
        project.id if project else None), ref=ref, **fields))


def run(db, office: Office, today: dt.date = TODAY) -> list[cg.ComplianceException]:
    with db.session() as session:
        return cg.compliance_exceptions(session, today, office)


def codes(found) -> list[str]:
    return sorted(e.project_code for e in found)


# -- status report missing ----------------------------------------------------------------------
def test_missing_report_for_the_last_completed_month_after_grace(db):
    with db.transaction() as s:
        report(s, add_project(s, "REP-1"), dt.date(2026, 10, 31))
        add_project(s, "MIS-1", manager="Priya Shah")
        add_project(s, "IDEA-1", stage="idea")
        late = add_project(s, "NEW-1")  # approved after October ended: owes nothing for October
        s.add(StageChange(project_id=late.id, from_stage="planning", to_stage="execution", changed_on=dt.date(2026, 11, 10)))
        s.add(StageChange(project_id=late.id, from_stage=None, to_stage="planning", changed_on=dt.date(2026, 11, 2)))

    found = run(db, only(cg.MISSING_REPORT))

    assert codes(found) == ["MIS-1"]
    (e,) = found
    assert e.title == "Status report missing" and e.manager == "Priya Shah"
    assert e.detail == "No status report for October 2026, 21 days overdue"
    assert e.since == dt.date(2026, 11, 5)
    assert e.remedy == "Import or enter the October 2026 report"
    assert run(db, Office()) == []


def test_missing_report_within_grace_checks_the_period_before(db):
    with db.transaction() as s:
        project = add_project(s, "MIS-2")
        report(s, project, dt.date(2026, 8, 31))

    (e,) = run(db, only(cg.MISSING_REPORT, grace_days=30))  # October is not due until 30 November

    assert e.detail == "No status report for September 2026, 27 days overdue"


def test_missing_report_weekly_cadence_counts_any_day_of_the_week(db):
    with db.transaction() as s:
        report(s, add_project(s, "WK-OK"), dt.date(2026, 11, 13))  # a Friday in the week ending Sunday 15th
        add_project(s, "WK-MISS")
    office = only(cg.MISSING_REPORT, grace_days=5)
    office.reporting_cadence = "weekly"

    (e,) = run(db, office)

    assert e.project_code == "WK-MISS"
    assert e.detail == "No status report for the week ending 15 Nov 2026, 6 days overdue"


# -- stage without gate -------------------------------------------------------------------------
def test_stage_without_gate_finds_hand_moves_and_stages_with_no_history(db):
    with db.transaction() as s:
        hand = add_project(s, "HAND-1", stage="planning")
        s.add(StageChange(project_id=hand.id, from_stage="approved", to_stage="planning",
                          changed_on=dt.date(2026, 10, 7), reason="Ahead of the board"))
        gated = add_project(s, "GATED-1", stage="planning")
        approval = review(s, gated, "planning", dt.date(2026, 9, 1))
        s.add(StageChange(project_id=gated.id, from_stage="approved", to_stage="planning",
                          changed_on=dt.date(2026, 9, 1), review_id=approval.id))
        add_project(s, "BARE-1", stage="execution")
        add_project(s, "IDEA-1", stage="idea")
        late = add_project(s, "LATER-1", stage="planning")  # moved by hand, approved at the next board
        s.add(StageChange(project_id=late.id, from_stage="approved", to_stage="planning",
                          changed_on=dt.date(2026, 9, 1)))
        review(s, late, "planning", dt.date(2026, 9, 20))

    found = run(db, only(cg.STAGE_WITHOUT_GATE))

    assert codes(found) == ["BARE-1", "HAND-1"]
    hand_e = next(e for e in found if e.project_code == "HAND-1")
    assert hand_e.since == dt.date(2026, 10, 7)
    assert hand_e.detail == ("Moved from Approved to Planning on 07 Oct 2026 by hand, "
                             "without an approved G3 Mobilisation review")
    assert "Record the G3 Mobilisation review (Approved → Planning)" in hand_e.remedy
    bare = next(e for e in found if e.project_code == "BARE-1")
    assert bare.since is None and "no record of the move" in bare.detail
    assert run(db, Office()) == []


# -- required fields ----------------------------------------------------------------------------
def test_required_fields_by_stage(db):
    with db.transaction() as s:
        add_project(s, "PLN-1", stage="planning", sponsor=None)
        add_project(s, "APP-1", stage="approved", sponsor="  ", budget=None, baseline_end=None)
        add_project(s, "EXE-1", stage="execution", manager=None, baseline_start=None)
        add_project(s, "OK-1", stage="execution")
        add_project(s, "BC-1", stage="business_case", sponsor=None, budget=None)

    found = {e.project_code: e for e in run(db, only(cg.REQUIRED_FIELDS))}

    assert sorted(found) == ["APP-1", "EXE-1", "PLN-1"]
    assert found["PLN-1"].detail == "Missing for the Planning stage: sponsor"
    assert found["APP-1"].detail == "Missing for the Approved stage: baseline end and budget"  # sponsor from planning
    assert found["EXE-1"].detail == "Missing for the Execution stage: project manager and baseline start"
    assert found["EXE-1"].manager is None and found["EXE-1"].manager_label == cg.NO_MANAGER
    assert found["PLN-1"].remedy == "Enter the sponsor on the project"
    assert run(db, Office()) == []


# -- high risk without owner or mitigation ------------------------------------------------------
def test_high_risks_need_an_owner_and_a_mitigation(db):
    with db.transaction() as s:
        project = add_project(s, "RSK-1", manager="Priya Shah")
        raid(s, project, "R1", likelihood=5, impact=4, owner=None, mitigation=None, raised=dt.date(2026, 9, 1))
        raid(s, project, "R2", likelihood=4, impact=4, mitigation="")
        raid(s, project, "R3", likelihood=3, impact=4, owner=None)  # 12: below the red score
        raid(s, project, "R4", likelihood=5, impact=5)  # owned and mitigated
        raid(s, project, "R5", likelihood=5, impact=5, owner=None, status="closed")
        raid(s, project, "I1", kind="issue", likelihood=5, impact=5, owner=None)  # issues are not risks
        raid(s, None, "PF-R1", likelihood=5, impact=5, owner=None)

    found = run(db, only(cg.HIGH_RISK_WITHOUT_OWNER))

    details = sorted(e.detail for e in found)
    assert details == [
        'Risk PF-R1 "Item PF-R1" scores 25 with no owner',
        'Risk R1 "Item R1" scores 20 with no owner and no mitigation',
        'Risk R2 "Item R2" scores 16 with no mitigation',
    ]
    portfolio = next(e for e in found if e.project_id is None)
    assert portfolio.project_name == cg.PORTFOLIO_LEVEL and portfolio.manager is None
    r1 = next(e for e in found if e.detail.startswith("Risk R1 "))
    assert r1.since == dt.date(2026, 9, 1) and r1.remedy == "Name an owner and record a mitigation for R1"

    lower = only(cg.HIGH_RISK_WITHOUT_OWNER)
    lower.risk_red_score = 10
    assert len(run(db, lower)) == 4  # R3 (12) is red now
    assert run(db, Office()) == []


# -- RAID item overdue --------------------------------------------------------------------------
def test_raid_items_past_due_and_open(db):
    with db.transaction() as s:
        project = add_project(s, "ACT-1")
        raid(s, project, "I1", kind="issue", due=TODAY - dt.timedelta(days=10), owner="Sam Lee")
        raid(s, project, "A1", kind="assumption", due=TODAY - dt.timedelta(days=3),
             status="in_progress", owner=None)
        raid(s, project, "I2", kind="issue", due=TODAY - dt.timedelta(days=30), status="closed")
        raid(s, project, "I3", kind="issue", due=TODAY)
        closed_project = add_project(s, "DONE-1", stage="closed")
        raid(s, closed_project, "I9", kind="issue", due=TODAY - dt.timedelta(days=30))

    found = {e.detail.split()[1]: e for e in run(db, only(cg.RAID_OVERDUE))}

    assert sorted(found) == ["A1", "I1"]
    assert found["I1"].detail == 'Issue I1 "Item I1" was due 16 Nov 2026, 10 days overdue (owner: Sam Lee)'
    assert found["I1"].since == dt.date(2026, 11, 16)
    assert found["A1"].detail.endswith("3 days overdue (no owner)")
    assert found["I1"].remedy == "Close I1 or agree a new due date with its owner"
    assert [e.detail.split()[1] for e in run(db, only(cg.RAID_OVERDUE, grace_days=5))] == ["I1"]
    assert run(db, Office()) == []


# -- red without escalation ---------------------------------------------------------------------
def test_red_streak_without_escalation_or_review(db):
    with db.transaction() as s:
        red = add_project(s, "RED-1")
        for day, rag in ((dt.date(2026, 7, 31), "A"), (dt.date(2026, 8, 31), "R"), (dt.date(2026, 9, 30), "R"),
                         (dt.date(2026, 10, 31), "R")):
            report(s, red, day, rag)
        once = add_project(s, "RED-ONCE")
        report(s, once, dt.date(2026, 9, 30), "G")
        report(s, once, dt.date(2026, 10, 31), "R")
        escalated = add_project(s, "RED-ESC")
        report(s, escalated, dt.date(2026, 9, 30), "R")
        report(s, escalated, dt.date(2026, 10, 31), "R")
        raid(s, escalated, "I1", kind="issue", escalation="programme", raised=dt.date(2026, 10, 5))
        reviewed = add_project(s, "RED-REV")
        report(s, reviewed, dt.date(2026, 9, 30), "R")
        report(s, reviewed, dt.date(2026, 10, 31), "R")
        review(s, reviewed, "closing", dt.date(2026, 10, 15), decision="deferred")
        stale = add_project(s, "RED-OLD")  # escalated long before the streak, never looked at since
        report(s, stale, dt.date(2026, 9, 30), "R")
        report(s, stale, dt.date(2026, 10, 31), "R")
        raid(s, stale, "I1", kind="issue", escalation="portfolio", status="closed", raised=dt.date(2026, 1, 5))

    found = {e.project_code: e for e in run(db, only(cg.RED_WITHOUT_ESCALATION))}

    assert sorted(found) == ["RED-1", "RED-OLD"]
    assert found["RED-1"].since == dt.date(2026, 8, 31)
    assert found["RED-1"].detail == ("Red in 3 consecutive reports since August 2026, "
                                     "with no escalated RAID item or gate review since")
    assert sorted(e.project_code for e in run(db, only(cg.RED_WITHOUT_ESCALATION, periods=3))) == ["RED-1"]
    assert run(db, Office()) == []


# -- forecast over budget -----------------------------------------------------------------------
def test_forecast_over_budget_beyond_tolerance_without_a_decision(db):
    with db.transaction() as s:
        over = add_project(s, "OVR-1", forecast_cost=Decimal(125_000))
        report(s, over, dt.date(2026, 8, 31), forecast=125_000)  # an earlier overrun, decided on below
        report(s, over, dt.date(2026, 9, 30), forecast=105_000)
        report(s, over, dt.date(2026, 10, 31), forecast=125_000)
        review(s, over, "execution", dt.date(2026, 9, 5))
        decided = add_project(s, "OVR-DEC", forecast_cost=Decimal(150_000))
        report(s, decided, dt.date(2026, 10, 31), forecast=150_000)
        review(s, decided, "closing", dt.date(2026, 11, 10), decision="deferred")
        add_project(s, "OVR-TOL", forecast_cost=Decimal(109_000))
        add_project(s, "OVR-NEW", forecast_cost=Decimal(200_000))  # no history, no review at all

    found = {e.project_code: e for e in run(db, only(cg.FORECAST_OVER_BUDGET))}

    assert sorted(found) == ["OVR-1", "OVR-NEW"]
    assert found["OVR-1"].since == dt.date(2026, 10, 31)
    assert found["OVR-1"].detail == ("Forecast £125,000 is 25% over the £100,000 budget (tolerance 10%) "
                                     "since October 2026, with no gate decision since")
    assert found["OVR-NEW"].since is None
    assert sorted(e.project_code for e in run(db, only(cg.FORECAST_OVER_BUDGET, tolerance_pct=50))) == ["OVR-NEW"]
    assert run(db, Office()) == []


# -- milestone re-baselined ---------------------------------------------------------------------
def test_milestone_rebaselined_after_the_last_review(db):
    with db.transaction() as s:
        moved = add_project(s, "MS-1")
        review(s, moved, "execution", dt.date(2026, 1, 10))
        s.add(Milestone(project_id=moved.id, name="Design signed off", baseline_date=dt.date(2026, 12, 1)))
        s.add(Milestone(project_id=moved.id, name="First set", baseline_date=None))
        decided = add_project(s, "MS-DEC")
        s.add(Milestone(project_id=decided.id, name="Go live", baseline_date=dt.date(2027, 3, 1)))
    with db.transaction() as s:  # re-baselining leaves update events in the audit trail
        for milestone in s.scalars(select(Milestone)):
            if milestone.baseline_date is None:
                milestone.baseline_date = dt.date(2027, 2, 1)  # first set: not a re-baseline
            else:
                milestone.baseline_date += dt.timedelta(days=45)
    with db.session() as s:
        changed_on = s.scalar(select(AuditEvent.at).where(AuditEvent.entity == "milestone",
                                                          AuditEvent.action == "update")).date()
    with db.transaction() as s:
        review(s, s.scalar(select(Project).where(Project.code == "MS-DEC")), "closing", changed_on,
               decision="approved_with_conditions")

    found = run(db, only(cg.MILESTONE_REBASELINED), today=changed_on)

    (e,) = found
    assert e.project_code == "MS-1" and e.since == changed_on
    assert e.detail == (f'Milestone "Design signed off" re-baselined from 01 Dec 2026 to 15 Jan 2027 on '
                        f"{changed_on:%d %b %Y}, with no gate decision since")
    assert run(db, Office(), today=changed_on) == []


# -- gate conditions overdue --------------------------------------------------------------------
def test_gate_conditions_past_due_and_unmet(db):
    with db.transaction() as s:
        project = add_project(s, "CON-1", manager="Priya Shah")
        approval = review(s, project, "execution", dt.date(2026, 6, 1), decision="approved_with_conditions")
        s.add_all([
            GateCondition(review_id=approval.id, text="Budget confirmed by finance.", owner="CFO",
                          due=dt.date(2026, 11, 21)),
            GateCondition(review_id=approval.id, text="Supplier signed", due=dt.date(2026, 10, 1),
                          met_on=dt.date(2026, 9, 28)),
            GateCondition(review_id=approval.id, text="Training plan", due=dt.date(2026, 12, 1)),
        ])
        done = add_project(s, "CON-DONE", stage="closed")  # a closed project is not chased
        closed_review = review(s, done, "closing", dt.date(2026, 1, 5), decision="approved_with_conditions")
        s.add(GateCondition(review_id=closed_review.id, text="Lessons learned.", due=dt.date(2026, 2, 1)))

    (e,) = run(db, only(cg.GATE_CONDITIONS_OVERDUE))

    assert e.since == dt.date(2026, 11, 21)
    assert e.detail == 'G4 Execution condition "Budget confirmed by finance", owner CFO, was due 21 Nov 2026, 5 days overdue'
    assert e.remedy == "Record the condition as met, or agree a new date with the board"
    assert run(db, Office()) == []


# -- settings, summary and reminders ------------------------------------------------------------
def test_stored_rules_fill_missing_keys_from_the_defaults(db):
    with db.session() as s:
        settings = load_settings(s)
    settings.compliance_rules = {"raid_overdue": {"enabled": False}, "red_without_escalation": {"periods": 5}}
    rules = cg.effective_rules(settings)
    assert rules["raid_overdue"] == {"enabled": False, "grace_days": 0}
    assert rules["red_without_escalation"] == {"enabled": True, "periods": 5}
    assert cg.RAID_OVERDUE not in cg.enabled_rules(settings)
    assert cg.enabled_rules(settings)[0] == cg.MISSING_REPORT


def _busy_office(db) -> None:
    with db.transaction() as s:
        a = add_project(s, "A-1", manager="Priya Shah")
        b = add_project(s, "B-1", manager="Sam Lee")
        s.add(StageChange(project_id=a.id, from_stage=None, to_stage="execution", changed_on=dt.date(2026, 1, 1)))
        s.add(StageChange(project_id=b.id, from_stage=None, to_stage="execution", changed_on=dt.date(2026, 9, 15)))
        for day in (dt.date(2026, 6, 30), dt.date(2026, 7, 31), dt.date(2026, 9, 30)):
            report(s, a, day)
        raid(s, a, "I1", kind="issue", due=dt.date(2026, 11, 1), title="Data migration defects")
        raid(s, b, "R1", likelihood=5, impact=5, owner=None)
        approval = review(s, b, "execution", dt.date(2026, 9, 15), decision="approved_with_conditions")
        s.add(GateCondition(review_id=approval.id, text="Benefits profile agreed", owner="Sam Lee",
                            due=dt.date(2026, 11, 20)))


def test_summary_counts_by_rule_and_manager_and_rates_reporting(db):
    _busy_office(db)
    office = Office()
    for key in office.compliance_rules:
        office.compliance_rules[key] = {**DEFAULT_COMPLIANCE_RULES[key]}
    with db.session() as s:
        summary = cg.compliance_summary(s, TODAY, office)

    assert summary.by_rule[cg.MISSING_REPORT] == 2
    assert summary.by_rule[cg.RAID_OVERDUE] == 1
    assert summary.by_rule[cg.HIGH_RISK_WITHOUT_OWNER] == 1
    assert summary.by_rule[cg.GATE_CONDITIONS_OVERDUE] == 1
    assert list(summary.by_rule) == list(cg.RULE_ORDER)
    assert summary.total == sum(summary.by_rule.values())
    assert summary.by_manager["Priya Shah"] >= 2 and summary.by_manager["Sam Lee"] >= 3
    rates = {r.label: (r.received, r.expected) for r in summary.reporting}
    assert list(rates) == ["May 2026", "Jun 2026", "Jul 2026", "Aug 2026", "Sep 2026", "Oct 2026"]
    # A-1 is active all along and reported in June, July and September; B-1 from mid-September.
    assert rates["May 2026"] == (0, 1)
    assert rates["Jun 2026"] == (1, 1)
    assert rates["Aug 2026"] == (0, 1)
    assert rates["Sep 2026"] == (1, 2)
    assert rates["Oct 2026"] == (0, 2)
    assert summary.reporting[-1].rate == 0.0


def test_reminders_list_what_each_manager_owes(db):
    _busy_office(db)
    office = only(cg.MISSING_REPORT)
    for key in (cg.RAID_OVERDUE, cg.GATE_CONDITIONS_OVERDUE, cg.HIGH_RISK_WITHOUT_OWNER):
        office.compliance_rules[key] = {**DEFAULT_COMPLIANCE_RULES[key]}
    found = run(db, office)

    reminders = cg.manager_reminders(found, TODAY)

    assert [r.manager for r in reminders] == ["Priya Shah", "Sam Lee"]
    assert reminders[0].text == "\n".join([
        "Priya Shah: 2 items outstanding as of 26 Nov 2026",
        "",
        "Status reports to send",
        "  - A-1 Project A-1: No status report for October 2026, 21 days overdue",
        "",
        "Overdue RAID actions",
        '  - A-1 Project A-1: Issue I1 "Data migration defects" was due 01 Nov 2026, 25 days overdue (owner: Owner)',
    ])
    assert "Gate conditions to meet" in reminders[1].text and "Benefits profile agreed" in reminders[1].text
    assert "R1" not in reminders[1].text  # a high risk is not something the reminder chases
    text = cg.reminders_text(found, TODAY)
    assert text.count("items outstanding") == 2 and "------" in text


# -- the demo office ----------------------------------------------------------------------------
def test_demo_office_has_believable_exceptions(tmp_path):
    from pmo_desktop.demo import build_demo

    database = open_database(f"sqlite:///{tmp_path / 'demo.db'}", backup=False)
    try:
        build_demo(database, today=TODAY)
        with database.session() as s:
            settings = load_settings(s)
            found = cg.compliance_exceptions(s, TODAY, settings)
            summary = cg.compliance_summary(s, TODAY, settings, found)
            active = s.scalar(select(Project.id).where(Project.stage == "execution").limit(1))
    finally:
        database.dispose()

    per_rule = Counter(e.rule for e in found)
    assert active is not None
    for rule in (cg.MISSING_REPORT, cg.STAGE_WITHOUT_GATE, cg.RAID_OVERDUE, cg.GATE_CONDITIONS_OVERDUE):
        assert per_rule[rule] > 0, rule
    assert len(per_rule) >= 5
    # Believable: a few missing reports, not the whole portfolio.
    assert per_rule[cg.MISSING_REPORT] < 15
    assert all(e.detail and e.remedy and e.title for e in found)
    assert all(0.5 <= r.rate <= 1 for r in summary.reporting if r.rate is not None)
    assert cg.reminders_text(found, TODAY).count("outstanding as of 26 Nov 2026") >= 5


# -- pmo-desktop check ------------------------------------------------------------------------
def test_check_prints_compliance_counts_but_passes_on_integrity_alone(db, capsys):
    from pmo_desktop.cli import EXIT_OK, main
    from pmo_desktop.model import OfficeSettings

    with db.transaction() as s:
        add_project(s, "MIS-1")
        raid(s, None, "PF-I1", kind="issue", due=dt.date(2026, 11, 1))
        s.get(OfficeSettings, 1).compliance_rules = {"required_fields": {"enabled": False}}

    code = main(["check", "--database", str(db.url), "--today", "2026-11-26"])

    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "All checks passed." in out
    assert "Compliance exceptions on 26 Nov 2026 (reported only: they do not make the check fail" in out
    lines = {line.split("  ")[1].strip(): line.split()[-1] for line in out.splitlines()
             if line.startswith("  ") and not line.startswith("  [")}
    assert lines["Status report missing"] == "1"
    assert lines["RAID item overdue"] == "1"
    assert lines["Stage without gate approval"] == "1"  # in execution with no gate review on record
    assert lines["Required fields missing"] == "off"
    assert lines["Total"] == "3"
    assert out.index("All checks passed.") < out.index("Compliance exceptions")
