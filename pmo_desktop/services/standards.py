"""The standards library: each methodology's standard milestones and starter RAID items, and new projects from it.

``standards`` reads the library; ``save_standard`` replaces one methodology's description,
milestones and starter RAID items as a whole, checked against the version the editor read
(``ConflictError`` when someone else saved first). ``create_project_from_standard`` adds a project
through the portfolio service's own validation, lays the standard milestones out across its
baseline dates and raises the starter RAID items, all in the caller's one transaction. Every
write goes through the ORM session, so each row leaves its audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import (
    Methodology,
    MethodologyStandard,
    Project,
    RaidItem,
    RaidKind,
    StandardMilestone,
    StandardRaidItem,
)
from ..model.base import utcnow
from . import portfolio, raid
from .base import flush_or_conflict, text_or_none
from .errors import ConflictError, FieldError, ValidationError

NAME_LENGTH, TITLE_LENGTH, CATEGORY_LENGTH = 200, 300, 120


@dataclass(frozen=True, slots=True)
class MilestoneSpec:
    """A standard milestone: its name and where it falls on the baseline timeline (0 = start, 1 = end)."""

    name: str
    position: float


@dataclass(frozen=True, slots=True)
class RaidStarter:
    """A RAID item every project of the methodology starts with."""

    kind: str
    title: str
    category: str | None = None


@dataclass(frozen=True, slots=True)
class StandardInfo:
    """One methodology's standard as the editor shows it; ``version`` is what a save checks against."""

    id: int
    methodology: str
    description: str | None
    milestones: tuple[MilestoneSpec, ...]
    starter_raid: tuple[RaidStarter, ...]
    version: int

    @property
    def label(self) -> str:
        return methodology_label(self.methodology)


@dataclass(frozen=True, slots=True)
class NewProject:
    """What the coordinator gives to start a project from a methodology."""

    code: str
    name: str
    manager: str | None
    baseline_start: dt.date | None
    baseline_end: dt.date | None
    methodology: str
    programme: str | None = None
    sponsor: str | None = None


@dataclass(frozen=True, slots=True)
class CreatedProject:
    """The project made from a standard, with how many milestones and RAID items it started with."""

    project_id: int
    code: str
    milestones: int
    raid_item_ids: tuple[int, ...]

    @property
    def raid_items(self) -> int:
        return len(self.raid_item_ids)


def methodology_label(value: str) -> str:
    """ "Waterfall" for "waterfall" (the stored value itself when unknown)."""
    try:
        return Methodology(value).label
    except ValueError:
        return value


# -- reading ----------------------------------------------------------------------------------------
def _info(standard: MethodologyStandard) -> StandardInfo:
    return StandardInfo(
        standard.id, standard.methodology, standard.description,
        tuple(MilestoneSpec(m.name, m.position) for m in sorted(standard.milestones, key=lambda m: (m.position, m.id))),
        tuple(RaidStarter(r.kind, r.title, r.category) for r in sorted(standard.starter_raid, key=lambda r: r.id)),
        standard.version,
    )


def standards(session: Session) -> list[StandardInfo]:
    """Every methodology's standard, in the order of the methodologies (waterfall, agile, hybrid)."""
    order = {m.value: i for i, m in enumerate(Methodology)}
    found = session.scalars(select(MethodologyStandard)).all()
    return [_info(s) for s in sorted(found, key=lambda s: order.get(s.methodology, len(order)))]


def standard_for(session: Session, methodology: str) -> StandardInfo | None:
    """The standard of ``methodology`` (None when the office has none)."""
    found = session.scalar(select(MethodologyStandard).where(MethodologyStandard.methodology == methodology))
    return _info(found) if found is not None else None


# -- validation -------------------------------------------------------------------------------------
def _clean_milestones(milestones: Sequence[MilestoneSpec]) -> tuple[list[MilestoneSpec], list[FieldError]]:
    clean, errors, seen = [], [], set()
    for number, spec in enumerate(milestones, start=1):
        name = text_or_none(spec.name)
        where = f"Milestone {number}"
        if name is None:
            errors.append(FieldError("milestones", f"{where}: enter its name."))
            continue
        if len(name) > NAME_LENGTH:
            errors.append(FieldError("milestones", f"{where}: the name is too long (at most {NAME_LENGTH} characters)."))
            continue
        if name.casefold() in seen:
            errors.append(FieldError("milestones", f"{where}: '{name}' is listed twice."))
            continue
        try:
            position = float(spec.position)
        except (TypeError, ValueError):
            position = -1.0
        if not 0 <= position <= 1:
            errors.append(FieldError("milestones", f"{where} ('{name}'): the position must be between 0% "
                                                   "(the baseline start) and 100% (the baseline end)."))
            continue
        seen.add(name.casefold())
        clean.append(MilestoneSpec(name, position))
    return sorted(clean, key=lambda m: m.position), errors


def _clean_raid(items: Sequence[RaidStarter]) -> tuple[list[RaidStarter], list[FieldError]]:
    kinds = {k.value: k for k in RaidKind} | {k.label.casefold(): k for k in RaidKind}
    clean, errors = [], []
    for number, item in enumerate(items, start=1):
        where = f"Starter RAID item {number}"
        kind = kinds.get((item.kind or "").strip().casefold())
        title = text_or_none(item.title)
        category = text_or_none(item.category)
        if kind is None:
            errors.append(FieldError("starter_raid", f"{where}: '{item.kind}' is not a RAID kind. Choose one of: "
                                                     f"{', '.join(k.label for k in RaidKind)}."))
        elif title is None:
            errors.append(FieldError("starter_raid", f"{where}: enter its title."))
        elif len(title) > TITLE_LENGTH:
            errors.append(FieldError("starter_raid", f"{where}: the title is too long (at most {TITLE_LENGTH} "
                                                     "characters)."))
        elif category and len(category) > CATEGORY_LENGTH:
            errors.append(FieldError("starter_raid", f"{where}: the category is too long (at most "
                                                     f"{CATEGORY_LENGTH} characters)."))
        else:
            clean.append(RaidStarter(kind.value, title, category))
    return clean, errors


# -- writing ----------------------------------------------------------------------------------------
def save_standard(session: Session, methodology: str, description: str | None,
                  milestones: Sequence[MilestoneSpec], starter_raid: Sequence[RaidStarter],
                  expected_version: int | None) -> StandardInfo:
    """Replace the standard of ``methodology`` (created when the office has none) and return it as saved.

    ``expected_version`` is the version the editor read (None for a standard that did not exist);
    a different stored version raises ``ConflictError``. Bad rows raise ``ValidationError`` naming
    the row; nothing is written then.
    """
    try:
        Methodology(methodology)
    except ValueError:
        raise ValidationError(FieldError("methodology", f"'{methodology}' is not a methodology. Choose one of: "
                                                        f"{', '.join(m.label for m in Methodology)}.")) from None
    clean_milestones, errors = _clean_milestones(milestones)
    clean_raid, raid_errors = _clean_raid(starter_raid)
    if errors or raid_errors:
        raise ValidationError(errors + raid_errors)
    standard = session.scalar(select(MethodologyStandard).where(MethodologyStandard.methodology == methodology))
    if standard is None:
        standard = MethodologyStandard(methodology=methodology)
        session.add(standard)
    elif expected_version is not None and standard.version != expected_version:
        raise ConflictError(MethodologyStandard.__tablename__, standard.id, {}, {"version": standard.version})
    # The old rows go first (a kept milestone name would clash with itself on insert), each deleted
    # explicitly: the audit hook sees session deletes, not orphans the flush removes on its own.
    for child in [*standard.milestones, *standard.starter_raid]:
        session.delete(child)
    session.flush()
    session.expire(standard, ["milestones", "starter_raid"])
    standard.description = text_or_none(description)
    standard.milestones = [StandardMilestone(name=m.name, position=m.position) for m in clean_milestones]
    standard.starter_raid = [StandardRaidItem(kind=r.kind, title=r.title, category=r.category) for r in clean_raid]
    # The rows below it changed: move the standard's version on so that another editor's save conflicts.
    standard.updated_at = utcnow()
    flush_or_conflict(session, standard)
    return _info(standard)


def delete_standard(session: Session, methodology: str, expected_version: int | None) -> None:
    """Remove the standard of ``methodology`` with its milestones and starter RAID items (undo of its creation).

    Projects made from it keep their milestones and RAID items: they were copied, not linked.
    Raises ``ConflictError`` when someone else saved it since ``expected_version`` or removed it.
    """
    standard = session.scalar(select(MethodologyStandard).where(MethodologyStandard.methodology == methodology))
    if standard is None:
        raise ConflictError(MethodologyStandard.__tablename__, 0, {}, {}, deleted=True)
    if expected_version is not None and standard.version != expected_version:
        raise ConflictError(MethodologyStandard.__tablename__, standard.id, {}, {"version": standard.version})
    for child in [*standard.milestones, *standard.starter_raid]:  # each audited, as in save_standard
        session.delete(child)
    session.delete(standard)
    flush_or_conflict(session, standard)


def milestone_dates(start: dt.date, end: dt.date, milestones: Sequence[MilestoneSpec]) -> list[tuple[str, dt.date]]:
    """Each milestone's date: its position's share of the days from ``start`` to ``end``, rounded to a day."""
    days = (end - start).days
    return [(m.name, start + dt.timedelta(days=round(days * m.position))) for m in milestones]


def create_project_from_standard(session: Session, new: NewProject, *, today: dt.date | None = None) -> CreatedProject:
    """Add the project ``new`` with its methodology's milestones and starter RAID items.

    The project is validated as any new project is (code free, dates in order, ...); on top, a
    methodology with a standard needs both baseline dates so the milestones can be laid out.
    The project starts at the Idea stage; the RAID items are raised ``today`` and owned by the
    manager. Raises ``ValidationError`` (nothing written) when a field is wrong.
    """
    standard = standard_for(session, new.methodology) if new.methodology else None
    errors = []
    if not new.methodology:
        errors.append(FieldError("methodology", "Choose a methodology."))
    elif standard is None:
        errors.append(FieldError("methodology", f"The office has no standard for {methodology_label(new.methodology)}"
                                                 ": add one in File > Standards Library."))
    if standard is not None and standard.milestones:
        if new.baseline_start is None:
            errors.append(FieldError("baseline_start", "Enter the baseline start: the standard milestones are laid "
                                                       "out from it."))
        if new.baseline_end is None:
            errors.append(FieldError("baseline_end", "Enter the baseline end: the standard milestones are laid "
                                                     "out up to it."))
    values: Mapping[str, Any] = {
        "code": new.code, "name": new.name, "manager": new.manager, "sponsor": new.sponsor,
        "programme": new.programme, "methodology": new.methodology or None,
        "baseline_start": new.baseline_start, "baseline_end": new.baseline_end,
    }
    try:
        project_id = portfolio.create_project(session, values)
    except ValidationError as exc:
        raise ValidationError(exc.errors + errors) from None
    if errors:
        raise ValidationError(errors)
    assert standard is not None
    milestones = 0
    if new.baseline_start and new.baseline_end:
        for name, day in milestone_dates(new.baseline_start, new.baseline_end, standard.milestones):
            portfolio.add_milestone(session, project_id, {"name": name, "baseline_date": day, "forecast_date": day})
            milestones += 1
    owner = text_or_none(new.manager)
    raid_ids = tuple(
        raid.create_item(session, raid.RaidDraft(title=starter.title, project_id=project_id, kind=starter.kind,
                                                 category=starter.category, owner=owner), today=today).id
        for starter in standard.starter_raid
    )
    code = session.get(Project, project_id).code
    return CreatedProject(project_id, code, milestones, raid_ids)


def remove_created_project(session: Session, created: CreatedProject) -> None:
    """Undo ``create_project_from_standard``: delete its starter RAID items, then the project.

    Refused with a ``RuleError`` (nothing deleted) when the project has gathered other RAID items,
    allocations, reviews and the like since: deleting it would lose them.
    """
    for item_id in created.raid_item_ids:
        if session.get(RaidItem, item_id) is not None:
            raid.delete_item(session, item_id, None)
    portfolio.delete_project(session, created.project_id, None)
