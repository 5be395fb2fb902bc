"""`pmo-desktop check`: is the database whole, consistent and its audit trail unbroken?"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from ..model.audit import AuditEvent, AuditHead, verify_chain
from ..model.database import Database, is_at_head


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


@dataclass
class CheckReport:
    """Every check run, in order, with what it found."""

    database: str
    results: list[CheckResult] = field(default_factory=list)

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
