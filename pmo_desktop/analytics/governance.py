"""Governance compliance: which projects break the office's rules, since when, and what clears it (no Qt).

Each rule of ``OfficeSettings.compliance_rules`` (``{rule: {"enabled": bool, ...thresholds}}``,
missing keys taken from ``DEFAULT_COMPLIANCE_RULES``) is one set-based query over the whole
portfolio; Python only words the rows it returns. ``compliance_exceptions`` lists every
exception, ``compliance_summary`` counts them by rule and by manager and measures reporting
compliance over the recent periods, and ``manager_reminders`` turns the exceptions a project
manager can act on into plain text for an email.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from ..model.audit import AuditEvent
from ..model.enums import Cadence, Decision, Escalation, RaidKind, RaidStatus, Stage
from ..model.governance import Gate, GateCondition, GateReview, StageChange
from ..model.portfolio import Milestone, Project, StatusReport
from ..model.raid import RaidItem
from ..model.settings import DEFAULT_COMPLIANCE_RULES

MISSING_REPORT = "missing_status_report"
STAGE_WITHOUT_GATE = "stage_without_gate"
REQUIRED_FIELDS = "required_fields"
HIGH_RISK_WITHOUT_OWNER = "high_risk_without_owner"
RAID_OVERDUE = "raid_overdue"
RED_WITHOUT_ESCALATION = "red_without_escalation"
FORECAST_OVER_BUDGET = "forecast_over_budget"
MILESTONE_REBASELINED = "milestone_rebaselined"
GATE_CONDITIONS_OVERDUE = "gate_conditions_overdue"

RULE_TITLES: dict[str, str] = {
    MISSING_REPORT: "Status report missing",
    STAGE_WITHOUT_GATE: "Stage without gate approval",
    REQUIRED_FIELDS: "Required fields missing",
    HIGH_RISK_WITHOUT_OWNER: "High risk without owner or mitigation",
    RAID_OVERDUE: "RAID item overdue",
    RED_WITHOUT_ESCALATION: "Red without escalation",
    FORECAST_OVER_BUDGET: "Forecast over budget",
    MILESTONE_REBASELINED: "Milestone re-baselined without decision",
    GATE_CONDITIONS_OVERDUE: "Gate condition overdue",
}
"""Plain titles of the rules, in the order the office reads them."""

RULE_ORDER: tuple[str, ...] = tuple(RULE_TITLES)

REMINDER_RULES: dict[str, str] = {
    MISSING_REPORT: "Status reports to send",
    RAID_OVERDUE: "Overdue RAID actions",
    GATE_CONDITIONS_OVERDUE: "Gate conditions to meet",
}
"""The rules a project manager is reminded of, with the heading each gets in a reminder."""

NO_MANAGER = "No manager named"
PORTFOLIO_LEVEL = "Portfolio-level"
REPORTING_PERIODS = 6

ACTIVE_STAGES = tuple(s.value for s in Stage if s.is_active)
_LIVE_STAGE_EXCLUDED = (Stage.CLOSED.value, Stage.CANCELLED.value)
# A gate into these stages must have been passed (closed, on hold and cancelled stand aside).
_GATED_STAGES = (Stage.BUSINESS_CASE.value, *ACTIVE_STAGES)
_GATED_STAGES_ALL = (*_GATED_STAGES, Stage.CLOSED.value)
_FROM_PLANNING = (Stage.PLANNING.value, Stage.EXECUTION.value, Stage.CLOSING.value)
_PASSING = tuple(d.value for d in Decision if d.passes)
_ESCALATED = (Escalation.PROGRAMME.value, Escalation.PORTFOLIO.value)
_CLOSED = RaidStatus.CLOSED.value  # compared with !=: open and in progress are both open


class ComplianceSettings(Protocol):
    """What the checks read from the office settings (``OfficeSettings`` fits)."""

    compliance_rules: dict | None
    reporting_cadence: str
    risk_red_score: int
    currency_symbol: str


@dataclass(frozen=True, slots=True)
class ComplianceException:
    """One breach of one rule by one project (or a portfolio-level RAID item)."""

    rule: str
    project_id: int | None
    project_code: str
    project_name: str
    manager: str | None
    since: dt.date | None
    detail: str
    remedy: str

    @property
    def title(self) -> str:
        """The rule's plain title, e.g. "Status report missing"."""
        return RULE_TITLES[self.rule]

    @property
    def manager_label(self) -> str:
        return self.manager or NO_MANAGER


@dataclass(frozen=True, slots=True)
class ReportingRate:
    """Reports received against reports expected for one reporting period."""

    period_end: dt.date
    label: str
    expected: int
    received: int

    @property
    def rate(self) -> float | None:
        """Share received (0-1), or None when no report was expected."""
        return self.received / self.expected if self.expected else None


@dataclass(frozen=True, slots=True)
class ComplianceSummary:
    """Exceptions counted by rule (every enabled rule, in rule order) and by manager (most first)."""

    total: int
    by_rule: dict[str, int] = field(default_factory=dict)
    by_manager: dict[str, int] = field(default_factory=dict)
    reporting: tuple[ReportingRate, ...] = ()


@dataclass(frozen=True, slots=True)
class ManagerReminder:
    """What one project manager owes, as plain text ready to paste into an email."""

    manager: str
    items: int
    text: str


# -- rules and periods --------------------------------------------------------------------------
def effective_rules(settings: ComplianceSettings) -> dict[str, dict]:
    """Every rule with its on/off switch and thresholds: the office's values over the defaults."""
    stored = settings.compliance_rules or {}
    rules = {}
    for key, defaults in DEFAULT_COMPLIANCE_RULES.items():
        merged = dict(defaults)
        merged.update(stored.get(key) or {})
        rules[key] = merged
    return rules


def enabled_rules(settings: ComplianceSettings) -> list[str]:
    """The keys of the rules switched on, in rule order."""
    rules = effective_rules(settings)
    return [key for key in RULE_ORDER if rules[key].get("enabled", True)]


def reporting_cadence(settings: ComplianceSettings) -> Cadence:
    """The office's reporting cadence (monthly when the stored value is unknown)."""
    try:
        return Cadence(settings.reporting_cadence)
    except ValueError:
        return Cadence.MONTHLY



def period_ends(today: dt.date, cadence: Cadence, count: int) -> list[dt.date]:
    """The last ``count`` completed period ends (month ends, or Sundays) before ``today``, oldest first."""
    if cadence is Cadence.WEEKLY:
        last = today - dt.timedelta(days=today.weekday() + 1)
        return [last - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    ends = [today.replace(day=1) - dt.timedelta(days=1)]
    while len(ends) < count:
        ends.append(ends[-1].replace(day=1) - dt.timedelta(days=1))
    return ends[::-1]


def period_window(period_end: dt.date, cadence: Cadence) -> tuple[dt.date, dt.date]:
    """The days (exclusive start, inclusive end) in which a report counts for the period."""
    if cadence is Cadence.WEEKLY:
        return period_end - dt.timedelta(days=7), period_end
    return period_end.replace(day=1) - dt.timedelta(days=1), period_end


def period_label(period_end: dt.date, cadence: Cadence) -> str:
    """ "October 2026" for a month, "the week ending 22 Nov 2026" for a week."""
    if cadence is Cadence.WEEKLY:
        return f"the week ending {_day(period_end)}"
    return period_end.strftime("%B %Y")


def _short_period_label(period_end: dt.date, cadence: Cadence) -> str:
    return period_end.strftime("%d %b") if cadence is Cadence.WEEKLY else period_end.strftime("%b %Y")


def _day(value: dt.date | None) -> str:
    return value.strftime("%d %b %Y") if value else "an unknown date"


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _money(amount: Decimal | float, symbol: str) -> str:
    return f"{symbol}{float(amount):,.0f}"


def _stage(value: str | None) -> str:
    try:
        return Stage(value).label
    except ValueError:
        return value or ""


# -- SQL building blocks ----------------------------------------------------------------------
_PROJECT_COLUMNS = (Project.id, Project.code, Project.name, Project.manager)


def _stage_at(day: dt.date):
    """The project's stage on ``day`` per its stage changes (its current stage when it has none)."""
    latest = (
        select(StageChange.to_stage)
        .where(StageChange.project_id == Project.id, StageChange.changed_on <= day)
        .order_by(StageChange.changed_on.desc(), StageChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    has_history = exists().where(StageChange.project_id == Project.id)
    return case((has_history, latest), else_=Project.stage)


def _entered_current_stage():
    """When the project last entered its current stage (None without a stage change)."""
    return (
        select(func.max(StageChange.changed_on))
        .where(StageChange.project_id == Project.id, StageChange.to_stage == Project.stage)
        .scalar_subquery()
    )


def _blank(column):
    """True where a text column is empty or only spaces."""
    return func.coalesce(func.trim(column), "") == ""


def _review_since(day_column) -> Any:
    """A gate review of the project dated on or after ``day_column``."""
    return exists().where(GateReview.project_id == Project.id, GateReview.review_date >= day_column)


def _exception(rule: str, row, since: dt.date | None, detail: str, remedy: str) -> ComplianceException:
    return ComplianceException(rule, row.id, row.code, row.name, row.manager or None, since, detail, remedy)


# -- the rules --------------------------------------------------------------------------------
def _missing_reports(session: Session, today: dt.date, rule: dict, settings: ComplianceSettings):
    cadence = reporting_cadence(settings)
    grace = int(rule.get("grace_days", 0) or 0)
    due_periods = [end for end in period_ends(today, cadence, 3) if end + dt.timedelta(days=grace) < today]
    if not due_periods:
        return []
    period_end = due_periods[-1]
    start, end = period_window(period_end, cadence)
    due = period_end + dt.timedelta(days=grace)
    reported = exists().where(StatusReport.project_id == Project.id, StatusReport.period_end > start,
                              StatusReport.period_end <= end)
    rows = session.execute(
        select(*_PROJECT_COLUMNS)
        .where(Project.stage.in_(ACTIVE_STAGES), _stage_at(period_end).in_(ACTIVE_STAGES), ~reported)
    ).all()
    label = period_label(period_end, cadence)
    overdue = _days((today - due).days)
    return [
        _exception(MISSING_REPORT, row, due, f"No status report for {label}, {overdue} overdue",
                   f"Import or enter the {label} report")
        for row in rows
    ]


def _stages_without_gate(session: Session, today: dt.date, rule: dict, settings: ComplianceSettings):
    """Hand moves into a gated stage with no approved review of that gate, and gated stages with no history."""
    passed = exists().where(
        GateReview.project_id == Project.id, GateReview.gate_id == Gate.id, GateReview.decision.in_(_PASSING))
    live = Project.stage.notin_(_LIVE_STAGE_EXCLUDED)
    moves = session.execute(
        select(*_PROJECT_COLUMNS, StageChange.from_stage, StageChange.to_stage, StageChange.changed_on,
               Gate.name.label("gate"), Gate.from_stage.label("gate_from"))
        .join(StageChange, StageChange.project_id == Project.id)
        .join(Gate, Gate.to_stage == StageChange.to_stage)
        .where(live, StageChange.review_id.is_(None), StageChange.to_stage.in_(_GATED_STAGES_ALL), ~passed)
        .order_by(StageChange.changed_on, StageChange.id)
    ).all()
    no_history = session.execute(
        select(*_PROJECT_COLUMNS, Project.stage.label("to_stage"), Gate.name.label("gate"),
               Gate.from_stage.label("gate_from"))
        .join(Gate, Gate.to_stage == Project.stage)
        .where(Project.stage.in_(_GATED_STAGES), ~passed,
               ~exists().where(StageChange.project_id == Project.id, StageChange.to_stage == Project.stage))
    ).all()
    latest = {(row.id, row.to_stage): row for row in moves}  # a stage entered by hand twice: the last move
    out = []
    for row in latest.values():
        out.append(_exception(
            STAGE_WITHOUT_GATE, row, row.changed_on,
            f"Moved from {_stage(row.from_stage)} to {_stage(row.to_stage)} on {_day(row.changed_on)} by hand, "
            f"without an approved {row.gate} review",
            _gate_remedy(row)))
    for row in no_history:
        out.append(_exception(
            STAGE_WITHOUT_GATE, row, None,
            f"In {_stage(row.to_stage)} with no approved {row.gate} review and no record of the move",
            _gate_remedy(row)))
    return out


def _gate_remedy(row) -> str:
    return (f"Record the {row.gate} review ({_stage(row.gate_from)} → {_stage(row.to_stage)}) "
            "and the board's decision")


_REQUIRED = (
    # field, words, stages from which it is required
    ("sponsor", "sponsor", _FROM_PLANNING),
    ("manager", "project manager", _FROM_PLANNING),
    ("baseline_start", "baseline start", ACTIVE_STAGES),
    ("baseline_end", "baseline end", ACTIVE_STAGES),
    ("budget", "budget", ACTIVE_STAGES),
)


def _required_fields(session: Session, today: dt.date, rule: dict, settings: ComplianceSettings):
    missing_any = [
        and_(Project.stage.in_(stages), _blank(getattr(Project, name)) if name in ("sponsor", "manager")
             else getattr(Project, name).is_(None))
        for name, _words, stages in _REQUIRED
    ]
    rows = session.execute(
        select(*_PROJECT_COLUMNS, Project.stage, Project.sponsor, Project.baseline_start, Project.baseline_end,
               Project.budget, _entered_current_stage().label("entered"))
        .where(Project.stage.in_(ACTIVE_STAGES), or_(*missing_any))
    ).all()
    out = []
    for row in rows:
        values = row._mapping
        missing = [words for name, words, stages in _REQUIRED
                   if row.stage in stages and (values[name] is None or str(values[name]).strip() == "")]
        listed = _join_words(missing)
        out.append(_exception(REQUIRED_FIELDS, row, row.entered,
                              f"Missing for the {_stage(row.stage)} stage: {listed}",
                              f"Enter the {listed} on the project"))
    return out


def _join_words(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _raid_rows(condition) -> Any:
    """RAID items matching ``condition`` with their project (outer: portfolio-level items too)."""
    return (
        select(RaidItem.id.label("item_id"), RaidItem.ref, RaidItem.kind, RaidItem.title, RaidItem.owner,
               RaidItem.raised, RaidItem.due, RaidItem.likelihood, RaidItem.impact, RaidItem.mitigation,
               *_PROJECT_COLUMNS)
        .outerjoin(Project, Project.id == RaidItem.project_id)
        .where(RaidItem.status != _CLOSED, or_(Project.id.is_(None), Project.stage.notin_(_LIVE_STAGE_EXCLUDED)),
               condition)
    )


def _raid_exception(rule: str, row, since, detail: str, remedy: str) -> ComplianceException:
    if row.id is None:
        return ComplianceException(rule, None, "", PORTFOLIO_LEVEL, None, since, detail, remedy)
    return _exception(rule, row, since, detail, remedy)


def _high_risks(session: Session, today: dt.date, rule: dict, settings: ComplianceSettings):
    red = int(rule.get("score", settings.risk_red_score) or settings.risk_red_score)
    rows = session.execute(_raid_rows(and_(
        RaidItem.kind == RaidKind.RISK.value, RaidItem.likelihood * RaidItem.impact >= red,
        or_(_blank(RaidItem.owner), _blank(RaidItem.mitigation)),
    ))).all()
    out = []
    for row in rows:
        lacks = [word for word, value in (("owner", row.owner), ("mitigation", row.mitigation))
                 if not (value or "").strip()]
        text = " and no ".join(lacks)
        out.append(_raid_exception(
            HIGH_RISK_WITHOUT_OWNER, row, row.raised,
            f"Risk {row.ref} \"{row.title}\" scores {row.likelihood * row.impact} with no {text}",
            f"Name an owner and record a mitigation for {row.ref}" if len(lacks) == 2
            else f"{'Name an owner' if lacks == ['owner'] else 'Record a mitigation'} for {row.ref}"))
    return out


def _raid_overdue(session: Session, today: dt.date, rule: dict, settings: ComplianceSettings):
    grace = int(rule.get("grace_days", 0) or 0)
    cutoff = today - dt.timedelta(days=grace)
    rows = session.execute(_raid_rows(and_(RaidItem.due.is_not(None), RaidItem.due < cutoff))).all()
    out = []
    for row in rows:
        kind = RaidKind(row.kind).label if row.kind in {k.value for k in RaidKind} else "Item"
        owner = f" (owner: {row.owner})" if (row.owner or "").strip() else " (no owner)"
        out.append(_raid_exception(
            RAID_OVERDUE, row, row.due,
            f"{kind} {row.ref} \"{row.title}\" was due {_day(row.due)}, "
            f"{_days((today - row.due).days)} overdue{owner}",
            f"Close {row.ref} or agree a new due date with its owner"))
    return out


def _red_streaks(session: Session, today: dt.date, rule: dict, settings: ComplianceSettings):
    periods = max(int(rule.get("periods", 2) or 2), 1)
    report = StatusReport
    last_not_red = (
        select(report.project_id, func.max(report.period_end).label("last_ok"))
        .where(or_(report.rag.is_(None), report.rag != "R"))
        .group_by(report.project_id)
        .subquery()
    )
    streak = (
        select(report.project_id, func.count().label("reports"), func.min(report.period_end).label("since"))
        .outerjoin(last_not_red, last_not_red.c.project_id == report.project_id)
        .where(report.rag == "R", or_(last_not_red.c.last_ok.is_(None), report.period_end > last_not_red.c.last_ok))
        .group_by(report.project_id)
        .subquery()
    )
    # Escalated since the streak began: raised since, or (still open) reviewed since.
    escalated = exists().where(
        RaidItem.project_id == Project.id, RaidItem.escalation.in_(_ESCALATED),
        or_(RaidItem.raised >= streak.c.since,
            and_(RaidItem.status != _CLOSED, RaidItem.last_reviewed >= streak.c.since)))
    rows = session.execute(
        select(*_PROJECT_COLUMNS, streak.c.reports, streak.c.since)
        .join(streak, streak.c.project_id == Project.id)
        .where(Project.stage.in_(ACTIVE_STAGES), streak.c.reports >= periods, ~escalated,
               ~_review_since(streak.c.since))
    ).all()
    cadence = reporting_cadence(settings)
    return [
        _exception(RED_WITHOUT_ESCALATION, row, row.since,
                   f"Red in {row.reports} consecutive reports since {period_label(row.since, cadence)}, "
                   "with no escalated RAID item or gate review since",
                   "Escalate a RAID item to programme or portfolio level, or take the project to a gate review")
        for row in rows
    ]


def _over_budget(session: Session, today: dt.date, rule: dict, settings: ComplianceSettings):
    tolerance = float(rule.get("tolerance_pct", 10) or 0)
    factor = Decimal(str(1 + tolerance / 100))
    report = StatusReport
    within = (
        select(report.project_id, func.max(report.period_end).label("last_ok"))
        .join(Project, Project.id == report.project_id)
        .where(or_(report.forecast_cost.is_(None), report.forecast_cost <= Project.budget * factor))
        .group_by(report.project_id)
        .subquery()
    )
    began = (
        select(report.project_id, func.min(report.period_end).label("since"))
        .join(Project, Project.id == report.project_id)
        .outerjoin(within, within.c.project_id == report.project_id)
        .where(report.forecast_cost > Project.budget * factor,
               or_(within.c.last_ok.is_(None), report.period_end > within.c.last_ok))
        .group_by(report.project_id)
        .subquery()
    )
    decided = case((began.c.since.is_(None), exists().where(GateReview.project_id == Project.id)),
                   else_=_review_since(began.c.since))
    rows = session.execute(
        select(*_PROJECT_COLUMNS, Project.budget, Project.forecast_cost, began.c.since)
        .outerjoin(began, began.c.project_id == Project.id)
        .where(Project.stage.in_(ACTIVE_STAGES), Project.budget > 0,
               Project.forecast_cost > Project.budget * factor, ~decided)
    ).all()
    symbol = settings.currency_symbol
    cadence = reporting_cadence(settings)
    out = []
    for row in rows:
        over = (float(row.forecast_cost) / float(row.budget) - 1) * 100
        began_text = f" since {period_label(row.since, cadence)}" if row.since else ""
        out.append(_exception(
            FORECAST_OVER_BUDGET, row, row.since,
            f"Forecast {_money(row.forecast_cost, symbol)} is {over:.0f}% over the {_money(row.budget, symbol)} "
            f"budget (tolerance {tolerance:g}%){began_text}, with no gate decision since",
            "Take the project to a gate review for a decision on the overrun"))
    return out


def _rebaselined(session: Session, today: dt.date, rule: dict, settings: ComplianceSettings):
    before = AuditEvent.changes[("baseline_date", 0)].as_string()
    after = AuditEvent.changes[("baseline_date", 1)].as_string()
    last_review = (
        select(GateReview.project_id, func.max(GateReview.review_date).label("reviewed"))
        .group_by(GateReview.project_id)
        .subquery()
    )
    rows = session.execute(
        select(*_PROJECT_COLUMNS, Milestone.id.label("milestone_id"), Milestone.name.label("milestone"),
               AuditEvent.at, before.label("before"), after.label("after"), last_review.c.reviewed)
        .join(Milestone, and_(AuditEvent.entity == Milestone.__tablename__, AuditEvent.entity_id == Milestone.id))
        .join(Project, Project.id == Milestone.project_id)
        .outerjoin(last_review, last_review.c.project_id == Project.id)
        .where(AuditEvent.action == "update", before.is_not(None), Project.stage.in_(ACTIVE_STAGES))
        .order_by(Milestone.id, AuditEvent.id)
    ).all()
    # Per milestone, the changes made after the project's last gate review: first "before", last "after".
    pending: dict[int, list] = {}
    for row in rows:
        changed = row.at.date()
        if row.reviewed is not None and changed <= row.reviewed:
            continue
        pending.setdefault(row.milestone_id, []).append((row, changed))
    out = []
    for changes in pending.values():
        first, since = changes[0]
        last, _ = changes[-1]
        moved = f"from {_day(_iso_date(first.before))} to {_day(_iso_date(last.after))}"
        times = f" ({len(changes)} changes)" if len(changes) > 1 else ""
        out.append(_exception(
            MILESTONE_REBASELINED, first, since,
            f"Milestone \"{first.milestone}\" re-baselined {moved} on {_day(since)}{times}, "
            "with no gate decision since",
            "Take the new baseline to a gate review or change board for a decision"))
    return out


def _iso_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _conditions_overdue(session: Session, today: dt.date, rule: dict, settings: ComplianceSettings):
    rows = session.execute(
        select(*_PROJECT_COLUMNS, GateCondition.text, GateCondition.owner, GateCondition.due,
               Gate.name.label("gate"), GateReview.review_date)
        .join(GateReview, GateReview.id == GateCondition.review_id)
        .join(Gate, Gate.id == GateReview.gate_id)
        .join(Project, Project.id == GateReview.project_id)
        .where(GateCondition.met_on.is_(None), GateCondition.due < today, Project.stage.notin_(_LIVE_STAGE_EXCLUDED))
    ).all()
    out = []
    for row in rows:
        owner = f", owner {row.owner}" if (row.owner or "").strip() else ""
        out.append(_exception(
            GATE_CONDITIONS_OVERDUE, row, row.due,
            f"{row.gate} condition \"{row.text.strip().rstrip('.')}\"{owner}, was due {_day(row.due)}, "
            f"{_days((today - row.due).days)} overdue",
            "Record the condition as met, or agree a new date with the board"))
    return out


_CHECKS = {
    MISSING_REPORT: _missing_reports,
    STAGE_WITHOUT_GATE: _stages_without_gate,
    REQUIRED_FIELDS: _required_fields,
    HIGH_RISK_WITHOUT_OWNER: _high_risks,
    RAID_OVERDUE: _raid_overdue,
    RED_WITHOUT_ESCALATION: _red_streaks,
    FORECAST_OVER_BUDGET: _over_budget,
    MILESTONE_REBASELINED: _rebaselined,
    GATE_CONDITIONS_OVERDUE: _conditions_overdue,
}


# -- public API -------------------------------------------------------------------------------
def compliance_exceptions(session: Session, today: dt.date, settings: ComplianceSettings) -> list[ComplianceException]:
    """Every exception of every enabled rule on ``today``, by rule order, then project code."""
    rules = effective_rules(settings)
    found: list[ComplianceException] = []
    for key in enabled_rules(settings):
        found.extend(_CHECKS[key](session, today, rules[key], settings))
    position = {key: i for i, key in enumerate(RULE_ORDER)}
    found.sort(key=lambda e: (position[e.rule], e.project_code.casefold(), e.since or dt.date.min, e.detail))
    return found


def reporting_rates(session: Session, today: dt.date, settings: ComplianceSettings,
                    periods: int = REPORTING_PERIODS) -> list[ReportingRate]:
    """Reports received / expected for each of the last ``periods`` completed periods, oldest first.

    A report is expected from every project that was in an active stage (approved to closing) at
    the period's end, per its stage changes.
    """
    cadence = reporting_cadence(settings)
    rates = []
    for period_end in period_ends(today, cadence, periods):
        start, end = period_window(period_end, cadence)
        reported = exists().where(StatusReport.project_id == Project.id, StatusReport.period_end > start,
                                  StatusReport.period_end <= end)
        expected, received = session.execute(
            select(func.count(), func.coalesce(func.sum(case((reported, 1), else_=0)), literal(0)))
            .select_from(Project)
            .where(_stage_at(period_end).in_(ACTIVE_STAGES))
        ).one()
        rates.append(ReportingRate(period_end, _short_period_label(period_end, cadence), expected, int(received)))
    return rates


def compliance_summary(session: Session, today: dt.date, settings: ComplianceSettings,
                       exceptions: Sequence[ComplianceException] | None = None) -> ComplianceSummary:
    """Counts by rule and by manager, and the reporting compliance rate of the last six periods.

    Pass ``exceptions`` already found for the same day to avoid running the rules twice.
    """
    if exceptions is None:
        exceptions = compliance_exceptions(session, today, settings)
    per_rule = Counter(e.rule for e in exceptions)
    per_manager = Counter(e.manager_label for e in exceptions)
    return ComplianceSummary(
        total=len(exceptions),
        by_rule={key: per_rule.get(key, 0) for key in enabled_rules(settings)},
        by_manager=dict(sorted(per_manager.items(), key=lambda item: (-item[1], item[0].casefold()))),
        reporting=tuple(reporting_rates(session, today, settings)),
    )


def manager_reminders(exceptions: Iterable[ComplianceException], today: dt.date) -> list[ManagerReminder]:
    """Per manager, the missing reports, overdue actions and unmet gate conditions they owe, as text.

    Managers come in name order, with exceptions of unmanaged projects last.
    """
    owed: dict[str, list[ComplianceException]] = {}
    for exception in exceptions:
        if exception.rule in REMINDER_RULES:
            owed.setdefault(exception.manager_label, []).append(exception)
    order = sorted(owed, key=lambda name: (name == NO_MANAGER, name.casefold()))
    reminders = []
    for manager in order:
        items = owed[manager]
        lines = [f"{manager}: {len(items)} item{'s' if len(items) != 1 else ''} outstanding "
                 f"as of {today.strftime('%d %b %Y')}"]
        for rule, heading in REMINDER_RULES.items():
            of_rule = [e for e in items if e.rule == rule]
            if not of_rule:
                continue
            lines += ["", heading]
            for e in sorted(of_rule, key=lambda e: (e.project_code.casefold(), e.since or dt.date.min)):
                project = f"{e.project_code} {e.project_name}".strip()
                lines.append(f"  - {project}: {e.detail}")
        reminders.append(ManagerReminder(manager, len(items), "\n".join(lines)))
    return reminders


def reminders_text(exceptions: Iterable[ComplianceException], today: dt.date) -> str:
    """Every manager's reminder, separated by a rule line: what "Copy reminders" puts on the clipboard."""
    return "\n\n----------------------------------------\n\n".join(
        r.text for r in manager_reminders(exceptions, today))


# -- health dashboard ---------------------------------------------------------------------------
REPORTING_TARGET = 0.9
"""The share of expected status reports an office aims to receive each period (the trend's target line)."""

CONDITION_MET, CONDITION_OPEN, CONDITION_OVERDUE = "met", "open", "overdue"
CONDITION_STATES: dict[str, str] = {CONDITION_MET: "Met", CONDITION_OPEN: "Open", CONDITION_OVERDUE: "Overdue"}


@dataclass(frozen=True, slots=True)
class StageCount:
    """How many projects are in one stage of the gate pipeline."""

    stage: str
    label: str
    projects: int


@dataclass(frozen=True, slots=True)
class DecisionEntry:
    """One line of the decisions log: a gate decision, and one of its conditions when it has any.

    A decision with three conditions gives three entries; one without conditions gives one entry
    whose condition fields are None.
    """

    review_id: int
    review_date: dt.date
    project_id: int
    project_code: str
    project_name: str
    gate: str
    decision: str
    decided_by: str | None
    condition: str | None
    owner: str | None
    due: dt.date | None
    met_on: dt.date | None
    state: str | None


def stage_pipeline(session: Session) -> list[StageCount]:
    """Projects per stage, the lifecycle in order, then on hold and cancelled (stages with none included)."""
    counts = {stage: count for stage, count in session.execute(
        select(Project.stage, func.count()).group_by(Project.stage))}
    stages = [*Stage.lifecycle(), Stage.ON_HOLD, Stage.CANCELLED]
    return [StageCount(stage.value, stage.label, counts.get(stage.value, 0)) for stage in stages]


def condition_state(due: dt.date | None, met_on: dt.date | None, today: dt.date) -> str:
    """Met, overdue (past due and not met) or open."""
    if met_on is not None:
        return CONDITION_MET
    return CONDITION_OVERDUE if due is not None and due < today else CONDITION_OPEN


def decision_log(session: Session, today: dt.date) -> list[DecisionEntry]:
    """Every gate decision with each of its conditions, newest decision first, conditions by due date."""
    rows = session.execute(
        select(GateReview.id, GateReview.review_date, GateReview.project_id, Project.code, Project.name,
               Gate.name.label("gate"), GateReview.decision, GateReview.decided_by, GateCondition.text,
               GateCondition.owner, GateCondition.due, GateCondition.met_on)
        .join(Project, Project.id == GateReview.project_id)
        .join(Gate, Gate.id == GateReview.gate_id)
        .outerjoin(GateCondition, GateCondition.review_id == GateReview.id)
        .order_by(GateReview.review_date.desc(), GateReview.id.desc(), GateCondition.due, GateCondition.id)
    ).all()
    return [
        DecisionEntry(row.id, row.review_date, row.project_id, row.code, row.name, row.gate, row.decision,
                      row.decided_by, row.text, row.owner, row.due, row.met_on,
                      condition_state(row.due, row.met_on, today) if row.text is not None else None)
        for row in rows
    ]
