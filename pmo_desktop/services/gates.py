"""The office's stage gates and their criteria, as Settings edits them (no Qt).

``gate_list`` reads every gate with all its criteria, each marked with the methodology it is
for (None: every methodology) and how many reviews assessed it. ``save_gate`` stores one gate's
name and criteria as a whole: renamed, added, removed, reordered, made optional or required,
tailored to a methodology. It is checked against the version the editor read (``ConflictError``
when someone else saved first) and validated row by row (``ValidationError`` naming the row;
nothing written). ``project_checklist`` is the list a project is reviewed against at a gate.

A criterion that a past review has a result for cannot be removed: the database removes the
results with the criterion, and a gate decision would lose the evidence it was taken on. The
editor offers to make it optional (or to limit it to one methodology) instead, which keeps
every past result and takes it off the checklists that no longer need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..model.base import utcnow
from ..model.enums import Methodology
from ..model.governance import Gate, GateCriterion, GateCriterionResult
from ..model.portfolio import Project
from .base import flush_or_conflict, get_or_raise
from .errors import ConflictError, FieldError, ValidationError
from .governance import applies_to, transition_label

GATE_NAME_LENGTH, CRITERION_NAME_LENGTH = 120, 200


@dataclass(frozen=True, slots=True)
class CriterionDraft:
    """A criterion as the editor holds it; ``id`` None for a new one, ``methodology`` None for all."""

    name: str
    required: bool = True
    methodology: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class CriterionEntry:
    """A stored criterion with the number of reviews that recorded a result for it."""

    id: int
    name: str
    required: bool
    methodology: str | None
    reviewed: int = 0

    def draft(self) -> CriterionDraft:
        return CriterionDraft(self.name, self.required, self.methodology, self.id)


@dataclass(frozen=True, slots=True)
class GateEntry:
    """A gate with all its criteria in order; ``version`` is what a save checks against."""

    id: int
    name: str
    from_stage: str
    to_stage: str
    version: int
    criteria: tuple[CriterionEntry, ...]

    @property
    def transition(self) -> str:
        return transition_label(self.from_stage, self.to_stage)

    def checklist(self, methodology: str | None) -> tuple[CriterionEntry, ...]:
        """The criteria a project of ``methodology`` is reviewed against (the common ones only for None)."""
        return tuple(c for c in self.criteria if c.methodology is None or c.methodology == methodology)


def methodology_label(value: str | None) -> str:
    """ "All" for a criterion on every checklist, else the methodology's name."""
    if value is None:
        return "All"
    try:
        return Methodology(value).label
    except ValueError:
        return value


# -- reading ----------------------------------------------------------------------------------------
def gate_list(session: Session) -> list[GateEntry]:
    """Every gate with all its criteria, in lifecycle order."""
    used = dict(session.execute(
        select(GateCriterionResult.criterion_id, func.count()).group_by(GateCriterionResult.criterion_id)).all())
    found = session.scalars(select(Gate).order_by(Gate.position, Gate.id)).all()
    return [_entry(gate, used) for gate in found]


def gate_entry(session: Session, gate_id: int) -> GateEntry:
    """One gate as ``gate_list`` gives it."""
    gate = get_or_raise(session, Gate, gate_id)
    used = dict(session.execute(
        select(GateCriterionResult.criterion_id, func.count())
        .join(GateCriterion, GateCriterion.id == GateCriterionResult.criterion_id)
        .where(GateCriterion.gate_id == gate_id)
        .group_by(GateCriterionResult.criterion_id)).all())
    return _entry(gate, used)


def project_checklist(session: Session, gate_id: int, project_id: int) -> list[CriterionEntry]:
    """The criteria of the gate that the project is reviewed against, in the gate's order."""
    methodology = get_or_raise(session, Project, project_id).methodology
    rows = session.execute(
        select(GateCriterion.id, GateCriterion.name, GateCriterion.required, GateCriterion.methodology)
        .where(GateCriterion.gate_id == gate_id, applies_to(methodology))
        .order_by(GateCriterion.position, GateCriterion.id))
    return [CriterionEntry(*row) for row in rows]


def _entry(gate: Gate, used: dict[int, int]) -> GateEntry:
    criteria = tuple(CriterionEntry(c.id, c.name, c.required, c.methodology, used.get(c.id, 0))
                     for c in sorted(gate.criteria, key=lambda c: (c.position, c.id)))
    return GateEntry(gate.id, gate.name, gate.from_stage, gate.to_stage, gate.version, criteria)


# -- validation -------------------------------------------------------------------------------------
def criterion_field(row: int) -> str:
    """The field name an error on criterion row ``row`` (1-based) carries: "criterion:3"."""
    return f"criterion:{row}"


def _clean_name(session: Session, gate: Gate, name: str | None) -> tuple[str, list[FieldError]]:
    text = (name or "").strip()
    if not text:
        return text, [FieldError("name", "Enter the gate's name, e.g. \"G4 Execution\".")]
    if len(text) > GATE_NAME_LENGTH:
        return text, [FieldError("name", f"The gate's name is too long (at most {GATE_NAME_LENGTH} characters).")]
    other = session.scalar(select(Gate.id).where(Gate.name == text, Gate.id != gate.id))
    if other is not None:
        return text, [FieldError("name", f"Another gate is already called '{text}': choose a different name.")]
    return text, []


def _clean_criteria(drafts: Sequence[CriterionDraft]) -> tuple[list[CriterionDraft], list[FieldError]]:
    methodologies = {m.value for m in Methodology}
    clean, errors, seen = [], [], {}
    for row, draft in enumerate(drafts, start=1):
        name = (draft.name or "").strip()
        where, field = f"Criterion {row}", criterion_field(row)
        if not name:
            errors.append(FieldError(field, f"{where}: enter what the project must show."))
        elif len(name) > CRITERION_NAME_LENGTH:
            errors.append(FieldError(field, f"{where}: the name is too long (at most {CRITERION_NAME_LENGTH} "
                                            "characters)."))
        elif name.casefold() in seen:
            errors.append(FieldError(field, f"{where}: '{name}' is already criterion {seen[name.casefold()]} of "
                                            "this gate. Give it a different name, or remove one of them."))
        elif draft.methodology is not None and draft.methodology not in methodologies:
            errors.append(FieldError(field, f"{where} ('{name}'): '{draft.methodology}' is not a methodology. "
                                            f"Choose All or one of: {', '.join(m.label for m in Methodology)}."))
        else:
            seen[name.casefold()] = row
            clean.append(replace(draft, name=name, required=bool(draft.required)))
    return clean, errors


def _removals_keep_results(session: Session, removed: Sequence[GateCriterion]) -> list[FieldError]:
    if not removed:
        return []
    used = dict(session.execute(
        select(GateCriterionResult.criterion_id, func.count())
        .where(GateCriterionResult.criterion_id.in_([c.id for c in removed]))
        .group_by(GateCriterionResult.criterion_id)).all())
    return [
        FieldError("criteria", f"'{c.name}' cannot be removed: {used[c.id]} gate review"
                               f"{'s' if used[c.id] != 1 else ''} recorded a result for it, and removing it would "
                               "delete that evidence. Keep it and make it optional, or limit it to one "
                               "methodology, instead.")
        for c in removed if used.get(c.id)
    ]


# -- writing ----------------------------------------------------------------------------------------
def save_gate(session: Session, gate_id: int, name: str, criteria: Sequence[CriterionDraft],
              expected_version: int | None) -> GateEntry:
    """Store the gate's name and its criteria in the order given; return the gate as saved.

    A draft whose id is a criterion of the gate updates it in place (its past results stay with
    it); any other draft is a new criterion; a stored criterion not listed is removed, unless a
    review has a result for it (see the module docstring). ``expected_version`` is the gate's
    version the editor read; None saves over whatever is stored (the user chose to keep theirs).
    """
    gate = session.get(Gate, gate_id, populate_existing=True)
    if gate is None:
        raise ConflictError(Gate.__tablename__, gate_id, {}, {}, deleted=True)
    if expected_version is not None and gate.version != expected_version:
        stored = _entry(gate, {})
        raise ConflictError(Gate.__tablename__, gate.id, _comparable(name, criteria),
                            _comparable(stored.name, [c.draft() for c in stored.criteria]))
    clean_name, errors = _clean_name(session, gate, name)
    clean, criteria_errors = _clean_criteria(criteria)
    stored = {c.id: c for c in gate.criteria}
    listed = {d.id for d in clean if d.id in stored}
    removed = [c for c in gate.criteria if c.id not in listed and c.id not in _ids_with_errors(criteria, clean)]
    errors += criteria_errors + _removals_keep_results(session, removed)
    if errors:
        raise ValidationError(errors)

    for criterion in removed:  # deleted explicitly: the audit hook sees session deletes, not orphans
        session.delete(criterion)
    session.flush()
    session.expire(gate, ["criteria"])
    kept = {d.id: stored[d.id] for d in clean if d.id in stored}
    _park_swapped_names(session, kept, clean)
    for position, draft in enumerate(clean):
        row = kept.get(draft.id) if draft.id is not None else None
        if row is not None:
            row.name, row.required, row.methodology, row.position = (
                draft.name, draft.required, draft.methodology, position)
    session.flush()  # renames first, so that a new criterion may take a renamed one's old name
    for position, draft in enumerate(clean):
        if draft.id not in kept:
            session.add(GateCriterion(gate_id=gate.id, name=draft.name, required=draft.required,
                                      methodology=draft.methodology, position=position))
    gate.name = clean_name
    # The rows below it changed: move the gate's version on so that another editor's save conflicts.
    gate.updated_at = utcnow()
    flush_or_conflict(session, gate)
    session.expire(gate, ["criteria"])
    return gate_entry(session, gate.id)


def _ids_with_errors(drafts: Sequence[CriterionDraft], clean: Sequence[CriterionDraft]) -> set[int]:
    """Ids of listed rows that failed validation: they are not being removed, only not saved yet."""
    kept = {d.id for d in clean}
    return {d.id for d in drafts if d.id is not None and d.id not in kept}


def _park_swapped_names(session: Session, kept: dict[int, GateCriterion], clean: Sequence[CriterionDraft]) -> None:
    """Give every renamed criterion a passing unique name first when one takes a name another still holds.

    Swapping two criteria's names would otherwise break the gate's unique names half-way through.
    """
    holders = {row.name: row_id for row_id, row in kept.items()}
    renamed = [d for d in clean if d.id in kept and kept[d.id].name != d.name]
    if not any(holders.get(d.name, d.id) != d.id for d in renamed):
        return
    for draft in renamed:
        kept[draft.id].name = f"{kept[draft.id].name} (renaming #{draft.id})"
    session.flush()


def _comparable(name: str, criteria: Sequence[CriterionDraft]) -> dict:
    """The fields a conflict dialog compares, as plain words."""
    def line(draft: CriterionDraft) -> str:
        notes = [w for w in ("optional" if not draft.required else "",
                             methodology_label(draft.methodology) if draft.methodology else "") if w]
        return draft.name.strip() + (f" ({', '.join(notes)})" if notes else "")

    return {"name": (name or "").strip(), "criteria": "\n".join(line(d) for d in criteria)}


__all__ = [
    "CriterionDraft", "CriterionEntry", "GateEntry", "criterion_field", "gate_entry", "gate_list",
    "methodology_label", "project_checklist", "save_gate",
]
