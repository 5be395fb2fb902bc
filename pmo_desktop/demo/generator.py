"""The demo office generator: a believable, deterministic portfolio built in one audited transaction.

``build_demo(db, spec, today=...)`` writes the office defaults (through the ORM), then programmes,
projects, milestones, status history, RAID, governance, scores, scenarios, people, allocations,
demand, absences and bank holidays as Core bulk inserts through ``audited_execute`` (one audit
event per row). The same seed and ``today`` always give the same data; everything is written in
one transaction, so a failure leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..model import (
    AuditSource,
    Gate,
    Holiday,
    Person,
    Programme,
    Project,
    RaidItem,
    Role,
    Scenario,
    Skill,
    StrategicCriterion,
)
from ..model.audit import get_audit_context
from ..model.database import Database
from ..services.defaults import ensure_defaults
from .bulk import BulkWriter
from .context import BuildContext, Existing
from .governance_data import CriterionRef, GateRef, build_governance, build_scenarios, build_scores
from .history import History, replay_recent_history
from .people_data import (
    build_absences,
    build_allocations,
    build_demand,
    build_holidays,
    build_staff,
    managers_of,
)
from .portfolio_data import (
    build_milestones,
    build_programmes,
    build_status_reports,
    plan_projects,
    write_projects,
)
from .raid_data import build_raid
from .spec import DemoSpec

__all__ = ["DemoError", "DemoSpec", "DemoSummary", "build_demo"]


class DemoError(Exception):
    """The demo cannot be built into this database (the message says why and what to do)."""


@dataclass
class DemoSummary:
    """What a build wrote: rows per table (audit entity names) and how long it took."""

    spec: DemoSpec
    today: dt.date
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    history: History | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    @property
    def audit_events(self) -> int:
        """Events in the audit trail: one per row inserted, and those of the replayed last period."""
        return self.total_rows + (self.history.events if self.history else 0)

    def __str__(self) -> str:
        c = self.counts.get
        return (f"{c('project', 0):,} projects, {c('person', 0):,} people, {c('allocation', 0):,} allocations, "
                f"{c('raid_item', 0):,} RAID items, {c('status_report', 0):,} status reports; "
                f"{self.total_rows:,} rows in {self.seconds:.1f} s")


def build_demo(db: Database, spec: DemoSpec | None = None, *, today: dt.date | None = None,
               require_empty: bool = False) -> DemoSummary:
    """Build the demo office described by ``spec`` (the default office when None) into ``db``.

    ``today`` anchors every date (reports up to last month end, allocations around it); it defaults
    to the current date. Into a database that already holds data the demo goes alongside it,
    with programme names, project codes, people and scenarios chosen not to collide; with
    ``require_empty`` such a database is refused with ``DemoError`` instead.
    """
    spec = spec or DemoSpec()
    today = today or dt.date.today()
    started = time.perf_counter()
    with db.transaction(source=AuditSource.SYSTEM, note=f"Demo office (seed {spec.seed})") as session:
        if require_empty and (session.scalar(select(func.count()).select_from(Project))
                              or session.scalar(select(func.count()).select_from(Person))):
            raise DemoError(
                f"The database {db.display_url} already has projects or people. "
                "Build the demo into a new, empty database."
            )
        created = ensure_defaults(session)
        counts = _count_created(created)
        writer = BulkWriter(session.connection(), get_audit_context(session))
        ctx = BuildContext(spec=spec, today=today, rng=random.Random(spec.seed), writer=writer,
                           existing=_existing(session))
        codes = _build(ctx, session)
        writer.finish()
    history = replay_recent_history(db, today, codes, spec.seed)
    for entity, n in writer.counts.items():
        counts[entity] = counts.get(entity, 0) + n
    return DemoSummary(spec, today, counts, time.perf_counter() - started, history)


def _build(ctx: BuildContext, session: Session) -> list[str]:
    """Every step in foreign-key order; each step takes what it needs from the ones before.

    Returns the codes of the projects built, for the replay of the last period's edits.
    """
    staff = build_staff(ctx)
    programmes = build_programmes(ctx)
    plans = plan_projects(ctx, programmes, managers_of(staff, ctx.spec.managers))
    write_projects(ctx, plans)
    build_milestones(ctx, plans)
    build_status_reports(ctx, plans)
    build_raid(ctx, plans, [p.name for p in staff.people if p.active])
    build_governance(ctx, plans, _gates(session))
    weighted = build_scores(ctx, plans, _criteria(session))
    build_scenarios(ctx, plans, weighted)
    build_allocations(ctx, staff, plans)
    build_demand(ctx, staff, plans)
    build_absences(ctx, staff)
    build_holidays(ctx)
    return [plan.code for plan in plans]


def _existing(session: Session) -> Existing:
    """The natural keys the demo must not reuse."""
    return Existing(
        role_ids={name: id_ for name, id_ in session.execute(select(Role.name, Role.id))},
        skill_ids={name: id_ for name, id_ in session.execute(select(Skill.name, Skill.id))},
        person_names=frozenset(session.scalars(select(Person.name))),
        emails=frozenset(session.scalars(select(Person.email).where(Person.email.is_not(None)))),
        programme_names=frozenset(session.scalars(select(Programme.name))),
        project_codes=frozenset(session.scalars(select(Project.code))),
        scenario_names=frozenset(session.scalars(select(Scenario.name))),
        holidays=frozenset(session.scalars(select(Holiday.day))),
        portfolio_refs=frozenset(session.scalars(select(RaidItem.ref).where(RaidItem.scope_key == "portfolio"))),
    )


def _gates(session: Session) -> list[GateRef]:
    return [
        GateRef(g.id, g.name, g.from_stage, g.to_stage, tuple((c.id, c.name, c.required, c.methodology) for c in g.criteria))
        for g in session.scalars(select(Gate).order_by(Gate.position, Gate.id))
    ]


def _criteria(session: Session) -> list[CriterionRef]:
    return [CriterionRef(c.id, c.name, c.weight)
            for c in session.scalars(select(StrategicCriterion).order_by(StrategicCriterion.id))]


def _count_created(created) -> dict[str, int]:
    """Rows ``ensure_defaults`` created, per audit entity, for the summary."""
    counts: dict[str, int] = {}

    def add(entity: str, n: int) -> None:
        if n:
            counts[entity] = counts.get(entity, 0) + n

    add("office_settings", 1 if created.settings is not None else 0)
    add("gate", len(created.gates))
    add("gate_criterion", sum(len(g.criteria) for g in created.gates))
    add("methodology_standard", len(created.standards))
    add("standard_milestone", sum(len(s.milestones) for s in created.standards))
    add("standard_raid_item", sum(len(s.starter_raid) for s in created.standards))
    add("strategic_criterion", len(created.strategic_criteria))
    return counts
