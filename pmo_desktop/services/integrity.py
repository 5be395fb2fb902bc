"""`pmo-desktop check`: is the database whole, consistent and its audit trail unbroken?

``run_checks`` decides the verdict (data integrity only). ``add_compliance`` then counts the
governance compliance exceptions per rule into the same report, for information: they are
printed after the checks and never make the check fail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..analytics.governance import RULE_ORDER, RULE_TITLES, compliance_exceptions, enabled_rules
from ..model.audit import AuditEvent, AuditHead, verify_chain
from ..model.database import Database, is_at_head, load_settings


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class ComplianceCount:
    """How many exceptions one compliance rule has (None: the rule is switched off)."""

    rule: str
    title: str
    count: int | None


@dataclass
class CheckReport:
    """Every check run, in order, with what it found; compliance counts when ``add_compliance`` ran."""

    database: str
    results: list[CheckResult] = field(default_factory=list)
    compliance: list[ComplianceCount] | None = None
    compliance_day: dt.date | None = None
    compliance_error: str | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.results.append(CheckResult(name, ok, detail))

    def lines(self) -> list[str]:
        out = [f"Checking {self.database}"]
        out += [f"  [{'ok' if r.ok else 'FAIL'}] {r.name}: {r.detail}" for r in self.results]
        failed = sum(not r.ok for r in self.results)
        out.append("All checks passed." if not failed else f"{failed} check(s) failed.")
        return out + self._compliance_lines()

    def _compliance_lines(self) -> list[str]:
        if self.compliance is None and self.compliance_error is None:
            return []
        day = self.compliance_day.strftime("%d %b %Y") if self.compliance_day else "today"
        out = ["", f"Compliance exceptions on {day} (reported only: they do not make the check fail; "
                   "only data integrity does):"]
        if self.compliance_error is not None:
            return out + [f"  could not be counted: {self.compliance_error}"]
        width = max(len(c.title) for c in self.compliance)
        for c in self.compliance:
            out.append(f"  {c.title:<{width}}  {'off' if c.count is None else c.count:>5}")
        total = sum(c.count or 0 for c in self.compliance)
        out.append(f"  {'Total':<{width}}  {total:>5}")
        return out


def _check_schema(db: Database, report: CheckReport) -> None:
    at_head = is_at_head(db.engine)
    report.add("schema", at_head, "at the newest revision" if at_head else "not at the newest revision")


def _check_sqlite(db: Database, report: CheckReport) -> None:
    with db.engine.connect() as conn:
        problems = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
        ok = problems == ["ok"]
        report.add("integrity", ok, "pages and indexes intact" if ok else "; ".join(problems[:5]))
        fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        detail = "every reference resolves" if not fk else (
            f"{len(fk)} broken references, first in table {fk[0][0]} row {fk[0][1]} -> {fk[0][2]}")
        report.add("foreign keys", not fk, detail)


def _check_audit(db: Database, report: CheckReport) -> None:
    with db.engine.connect() as conn:
        checked, broken = verify_chain(conn)
        if broken is not None:
            report.add("audit chain", False,
                       f"broken at event {broken.id} ({broken.entity} {broken.entity_id}, {broken.action} "
                       f"at {broken.at:%Y-%m-%d %H:%M:%S}) after {checked} good events")
            return
        head = conn.execute(select(AuditHead.last_hash, AuditHead.count)).first()
        total = conn.scalar(select(func.count()).select_from(AuditEvent))
        last = conn.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        if head is not None and (head.count != total or (last is not None and head.last_hash != last)):
            report.add("audit chain", False,
                       f"the chain head says {head.count} events but {total} are stored (events removed or added)")
            return
        report.add("audit chain", True, f"{checked} events, every link verified")


def run_checks(db: Database) -> CheckReport:
    """Run every check on ``db``; nothing is written."""
    report = CheckReport(db.display_url)
    _check_schema(db, report)
    if db.is_sqlite:
        _check_sqlite(db, report)
    else:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        report.add("connection", True, "server answers")
    _check_audit(db, report)
    return report


def add_compliance(db: Database, report: CheckReport, today: dt.date | None = None) -> None:
    """Count the compliance exceptions per rule on ``today`` into ``report``; nothing is written.

    The counts are information for the office: ``report.ok`` stays what the integrity checks
    decided. A database too damaged to query records why instead of the counts.
    """
    day = today or dt.date.today()
    report.compliance_day = day
    try:
        with db.session() as session:
            settings = load_settings(session)
            found = compliance_exceptions(session, day, settings)
            enabled = set(enabled_rules(settings))
    except SQLAlchemyError as exc:
        report.compliance_error = str(exc.orig if getattr(exc, "orig", None) is not None else exc).splitlines()[0]
        return
    counts = {rule: 0 for rule in enabled}
    for exception in found:
        counts[exception.rule] += 1
    report.compliance = [ComplianceCount(rule, RULE_TITLES[rule], counts.get(rule)) for rule in RULE_ORDER]
