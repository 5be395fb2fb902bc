"""Concurrent coordinators: processes editing the same records through the services at once.

Each coordinator is a forked process with its own engine. It repeatedly does what the edit panel
does: read a record and its version (opening the form), then save one field with that version
(``update_project``, ``raid.update_item``, ``resources.update_allocation``) in one transaction.
Every saved value is unique (``c<coordinator>-e<edit>``), so the parent can trace each applied
edit in the final data and the audit trail afterwards (``find_lost_edits``).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from pmo_desktop.model import Allocation, AuditEvent, Person, Project, RaidItem
from pmo_desktop.model.database import Database, DatabaseError, open_database
from pmo_desktop.services import portfolio, raid, resources
from pmo_desktop.services.errors import ConflictError

KINDS = {
    # kind: (model, audited entity, edited field)
    "project": (Project, "project", "description"),
    "raid_item": (RaidItem, "raid_item", "description"),
    "allocation": (Allocation, "allocation", "notes"),
}


@dataclass(frozen=True, slots=True)
class Target:
    kind: str
    id: int


def seed_records(db: Database, per_kind: int = 3) -> list[Target]:
    """``per_kind`` projects, RAID items and allocations for the coordinators to fight over."""
    with db.transaction() as session:
        person = Person(name="Dana Shared")
        session.add(person)
        projects = [Project(code=f"C-{i}", name=f"Contended project {i}") for i in range(per_kind)]
        session.add_all(projects)
        session.flush()
        items = [RaidItem(project_id=p.id, scope_key=str(p.id), ref="R-001", title=f"Risk on {p.code}",
                          likelihood=3, impact=3, raised=dt.date(2026, 1, 5)) for p in projects]
        allocations = [Allocation(person_id=person.id, project_id=p.id, start_date=dt.date(2026, 1, 5),
                                  end_date=dt.date(2026, 12, 18), hours_per_week=10.0) for p in projects]
        session.add_all(items + allocations)
        session.flush()
        return ([Target("project", p.id) for p in projects] + [Target("raid_item", r.id) for r in items]
                + [Target("allocation", a.id) for a in allocations])


def _save(session, target: Target, value: str, version: int) -> int:
    """Save ``value`` through the service the UI uses for this kind of record; the new version."""
    if target.kind == "project":
        return portfolio.update_project(session, target.id, {"description": value}, version)
    if target.kind == "raid_item":
        return raid.update_item(session, target.id, {"description": value}, version).version
    stored = session.get(Allocation, target.id)
    data = resources.AllocationInput(stored.person_id, stored.project_id, stored.start_date, stored.end_date,
                                     float(stored.hours_per_week), value)
    return resources.update_allocation(session, target.id, data, version).version


def coordinator(number: int, url: str, targets: list[Target], edits: int, start, results: Path) -> None:
    """Make ``edits`` edits on random targets; write what happened to ``results`` as JSON."""
    rng = random.Random(number)
    db = open_database(url, actor=f"coordinator-{number}", backup=False)
    outcome: dict = {"applied": [], "conflicts": 0, "database_errors": [], "escaped": []}
    start.wait()
    for edit in range(edits):
        target = rng.choice(targets)
        model = KINDS[target.kind][0]
        with db.session() as session:  # the form opens: the version the coordinator edits from
            version = session.get(model, target.id).version
        value = f"c{number}-e{edit}"
        time.sleep(rng.uniform(0.0, 0.004))  # typing: others may save meanwhile
        try:
            with db.transaction() as session:
                new_version = _save(session, target, value, version)
            outcome["applied"].append([target.kind, target.id, value, version, new_version])
        except ConflictError:
            outcome["conflicts"] += 1
        except DatabaseError as exc:
            outcome["database_errors"].append(str(exc))
        except Exception:  # anything else escaping is a failure the parent reports
            outcome["escaped"].append(traceback.format_exc())
    db.dispose()
    results.write_text(json.dumps(outcome))


@dataclass
class Tally:
    """Edits attempted, applied, refused as conflicts, and lost, over every coordinator."""

    attempted: int = 0
    applied: int = 0
    conflicts: int = 0
    database_errors: list[str] = field(default_factory=list)
    escaped: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.attempted} edits attempted, {self.applied} applied, {self.conflicts} conflicts raised, "
                f"{len(self.database_errors)} refused with a DatabaseError, {len(self.escaped)} other exceptions, "
                f"{len(self.lost)} lost")


def collect(results: list[Path], edits: int) -> tuple[Tally, list[list]]:
    tally = Tally()
    applied: list[list] = []
    for path in results:
        outcome = json.loads(path.read_text())
        tally.attempted += edits
        tally.applied += len(outcome["applied"])
        tally.conflicts += outcome["conflicts"]
        tally.database_errors += outcome["database_errors"]
        tally.escaped += outcome["escaped"]
        applied += outcome["applied"]
    return tally, applied


def find_lost_edits(db: Database, applied: list[list]) -> list[str]:
    """Every applied edit that is neither in the final data nor superseded by a later audited edit.

    Also an overwrite: two edits applied from the same version of the same record (the second
    silently replaced the first without seeing it).
    """
    problems: list[str] = []
    by_version = Counter((kind, record_id, version) for kind, record_id, _value, version, _new in applied)
    problems += [f"{kind} {record_id}: {n} edits were applied from version {version}"
                 for (kind, record_id, version), n in by_version.items() if n > 1]
    with db.session() as session:
        events = session.execute(
            select(AuditEvent.id, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.changes)
            .where(AuditEvent.action == "update").order_by(AuditEvent.id)).all()
        finals = {(kind, obj.id): getattr(obj, KINDS[kind][2])
                  for kind, (model, _entity, _field) in KINDS.items() for obj in session.scalars(select(model))}
    for kind, record_id, value, _version, _new in applied:
        _model, entity, column = KINDS[kind]
        saved = [e.id for e in events if e.entity == entity and e.entity_id == record_id
                 and column in e.changes and e.changes[column][1] == value]
        if len(saved) != 1:
            problems.append(f"{kind} {record_id} = {value!r}: {len(saved)} audit events record it (1 expected)")
            continue
        later = any(e.id > saved[0] and e.entity == entity and e.entity_id == record_id and column in e.changes
                    for e in events)
        if finals[(kind, record_id)] != value and not later:
            problems.append(f"{kind} {record_id} = {value!r} was applied, is not stored, and nothing later replaced it")
    return problems
