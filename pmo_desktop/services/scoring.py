"""Strategic criteria, project scores, weighted scores and the ranking of proposals and projects (no Qt).

A project is scored 0 to 5 on each criterion, in half steps (3.5 is a score, 3.3 is not): a
scoring panel agrees more readily on halves than on decimals, and the demo's scores are halves.

The weighted score is ``sum(score * weight) / sum(weight of every criterion)``. A criterion the
project has not been scored on counts as 0, so that a project scored only on the criteria it is
strong on cannot outrank one scored on all of them; ``scored`` says how many criteria were
scored so that the ranking can show which scores are incomplete. A project with no score at all
has no weighted score (None) and no rank. When every weight is 0 nobody has a weighted score.

Projects are ranked within their group: proposals (idea and business case) among proposals,
active projects (approved to closing) among active projects. Equal weighted scores share a rank
("1, 2, 2, 4"). The weighted score and the rank are computed in SQL (a window function), so the
ranking reads in one query at any portfolio size.

Every write goes through the ORM session (audited) and checks versions: two coordinators saving
the same criterion or the same project's scores get a ConflictError, never a silent overwrite.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from ..model import Programme, Project, ProjectScore, Rag, Stage, StrategicCriterion
from ..model.audit import jsonable
from .base import apply_changes, flush_or_conflict, text_or_none
from .errors import ConflictError, FieldError, NotFoundError, ValidationError

MAX_SCORE = 5.0
SCORE_STEP = 0.5
PROPOSAL = "proposal"
ACTIVE = "active"
GROUP_LABELS = {PROPOSAL: "Proposal", ACTIVE: "Active"}
PROPOSAL_STAGES: tuple[str, ...] = tuple(s.value for s in Stage if s.is_proposal)
ACTIVE_STAGES: tuple[str, ...] = tuple(s.value for s in Stage if s.is_active)


# -- criteria ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CriterionDetails:
    """One strategic criterion as the criteria editor shows it."""

    id: int
    name: str
    weight: float
    description: str | None
    version: int


@dataclass(frozen=True, slots=True)
class CriterionSnapshot:
    """A deleted criterion and the scores given on it, exactly as stored (for undo)."""

    criterion: dict[str, Any]
    scores: tuple[dict[str, Any], ...]


CRITERION_LABELS = {"name": "Name", "weight": "Weight", "description": "Description"}


def criteria(session: Session) -> list[CriterionDetails]:
    """Every criterion, heaviest first, then by name."""
    rows = session.scalars(select(StrategicCriterion).order_by(StrategicCriterion.weight.desc(),
                                                               func.lower(StrategicCriterion.name)))
    return [_criterion_details(c) for c in rows]


def _criterion_details(criterion: StrategicCriterion) -> CriterionDetails:
    return CriterionDetails(criterion.id, criterion.name, float(criterion.weight), criterion.description,
                            criterion.version)


def _clean_criterion(session: Session, values: Mapping[str, Any], criterion_id: int | None) -> dict[str, Any]:
    """``values`` as stored column values; ValidationError naming each bad field."""
    unknown = set(values) - set(CRITERION_LABELS)
    if unknown:
        raise ValueError(f"Not editable criterion fields: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    if "name" in values or criterion_id is None:
        name = str(values.get("name") or "").strip()
        if not name:
            errors.append(FieldError("name", "Enter the criterion's name, such as Customer impact."))
        elif len(name) > 200:
            errors.append(FieldError("name", "Name is too long: at most 200 characters."))
        else:
            query = select(StrategicCriterion.id).where(func.lower(StrategicCriterion.name) == name.lower())
            if criterion_id is not None:
                query = query.where(StrategicCriterion.id != criterion_id)
            if session.scalar(query.limit(1)) is not None:
                errors.append(FieldError("name", f"There is already a criterion called '{name}'."))
            clean["name"] = name
    if "weight" in values or criterion_id is None:
        try:
            weight = _number(values.get("weight", 1.0))
        except ValueError:
            errors.append(FieldError("weight", "Weight must be a number, such as 0.25 or 2."))
        else:
            if weight < 0:
                errors.append(FieldError("weight", f"Weight cannot be negative (you entered {weight:g})."))
            clean["weight"] = weight
    if "description" in values:
        clean["description"] = text_or_none(values["description"])
    if errors:
        raise ValidationError(errors)
    return clean


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError("not a number")
    number = float(str(value).strip()) if isinstance(value, str) else float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def create_criterion(session: Session, values: Mapping[str, Any]) -> int:
    """Add a criterion (name, weight, description) and return its id."""
    criterion = StrategicCriterion(**_clean_criterion(session, values, None))
    session.add(criterion)
    session.flush()
    return criterion.id


def get_criterion(session: Session, criterion_id: int) -> CriterionDetails:
    """One criterion; NotFoundError when it was deleted."""
    criterion = session.get(StrategicCriterion, criterion_id, populate_existing=True)
    if criterion is None:
        raise NotFoundError(f"Criterion {criterion_id} no longer exists: someone may have deleted it.")
    return _criterion_details(criterion)


def update_criterion(session: Session, criterion_id: int, changes: Mapping[str, Any],
                     expected_version: int | None) -> int:
    """Save ``changes`` if the criterion is still at ``expected_version``; return the new version."""
    criterion = session.get(StrategicCriterion, criterion_id, populate_existing=True)
    mine = {k: jsonable(v) for k, v in changes.items()}
    if criterion is None:
        raise ConflictError("strategic_criterion", criterion_id, mine, {}, deleted=True)
    if expected_version is not None and criterion.version != expected_version:
        raise ConflictError("strategic_criterion", criterion_id, mine,
                            {k: jsonable(getattr(criterion, k)) for k in changes})
    clean = {k: v for k, v in _clean_criterion(session, changes, criterion_id).items()
             if getattr(criterion, k) != v}
    if not clean:
        return criterion.version
    return apply_changes(session, StrategicCriterion, criterion_id, clean, expected_version).version


def delete_criterion(session: Session, criterion_id: int, expected_version: int | None) -> CriterionSnapshot:
    """Delete a criterion and the scores given on it; return them for ``restore_criterion``."""
    criterion = session.get(StrategicCriterion, criterion_id, populate_existing=True)
    if criterion is None:
        raise ConflictError("strategic_criterion", criterion_id, {}, {}, deleted=True)
    if expected_version is not None and criterion.version != expected_version:
        raise ConflictError("strategic_criterion", criterion_id, {}, {"name": criterion.name})
    scores = session.scalars(select(ProjectScore).where(ProjectScore.criterion_id == criterion_id)).all()
    snapshot = CriterionSnapshot(_row(criterion), tuple(_row(s) for s in scores))
    for score in scores:
        session.delete(score)
    session.delete(criterion)
    flush_or_conflict(session, criterion)
    return snapshot


def scores_on(session: Session, criterion_id: int) -> int:
    """How many projects are scored on the criterion (what deleting it would remove)."""
    return session.scalar(select(func.count()).select_from(ProjectScore)
                          .where(ProjectScore.criterion_id == criterion_id)) or 0


def restore_criterion(session: Session, snapshot: CriterionSnapshot) -> int:
    """Re-create a deleted criterion and its scores (scores of projects deleted since are skipped)."""
    values = snapshot.criterion
    _clean_criterion(session, {"name": values["name"]}, -1)
    criterion = StrategicCriterion(name=values["name"], weight=values["weight"], description=values["description"])
    if session.get(StrategicCriterion, values["id"]) is None:
        criterion.id = values["id"]
    session.add(criterion)
    session.flush()
    live = set(session.scalars(select(Project.id).where(
        Project.id.in_([s["project_id"] for s in snapshot.scores]))))
    for score in snapshot.scores:
        if score["project_id"] in live:
            session.add(ProjectScore(project_id=score["project_id"], criterion_id=criterion.id, score=score["score"]))
    session.flush()
    return criterion.id


def _row(obj) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in obj.__mapper__.column_attrs}


# -- the weighted score in SQL ------------------------------------------------------------------------

def weighted_scores():
    """A subquery: per scored project, ``weighted`` (see the module docstring) and ``scored``.

    Columns: project_id, weighted (NULL when every weight is 0), scored (criteria scored).
    """
    total_weight = select(func.sum(StrategicCriterion.weight)).scalar_subquery()
    return (
        select(
            ProjectScore.project_id.label("project_id"),
            (func.sum(ProjectScore.score * StrategicCriterion.weight) / func.nullif(total_weight, 0))
            .label("weighted"),
            func.count(ProjectScore.id).label("scored"),
        )
        .join(StrategicCriterion, StrategicCriterion.id == ProjectScore.criterion_id)
        .group_by(ProjectScore.project_id)
        .subquery("weighted_score")
    )


def _group_of_stage():
    return case(
        (Project.stage.in_(PROPOSAL_STAGES), literal(PROPOSAL)),
        (Project.stage.in_(ACTIVE_STAGES), literal(ACTIVE)),
        else_=literal(None),
    )


class RankingRow(NamedTuple):
    """One project in the ranking; the id comes first as table models expect."""

    id: int
    rank: int | None
    group: str
    code: str
    name: str
    stage: str
    programme: str | None
    weighted_score: float | None
    scored: int
    criteria: int
    budget: Decimal | None
    benefits: Decimal | None
    rag: str | None

    @property
    def complete(self) -> bool:
        """True when the project is scored on every criterion."""
        return self.scored >= self.criteria


def ranking(session: Session, groups: tuple[str, ...] = (PROPOSAL, ACTIVE)) -> list[RankingRow]:
    """Proposals and active projects ranked by weighted score within their group, best first.

    Unscored projects come last in their group, without a rank.
    """
    scores = weighted_scores()
    group = _group_of_stage().label("grp")
    weighted = scores.c.weighted
    rank = func.rank().over(partition_by=group, order_by=func.coalesce(weighted, -1.0).desc()).label("rank")
    count_criteria = select(func.count(StrategicCriterion.id)).scalar_subquery()
    inner = (
        select(Project.id, rank, group, Project.code, Project.name, Project.stage, Programme.name.label("programme"),
               weighted.label("weighted"), func.coalesce(scores.c.scored, 0).label("scored"),
               count_criteria.label("criteria"), Project.budget, Project.benefits, Project.rag)
        .select_from(Project)
        .outerjoin(Programme, Programme.id == Project.programme_id)
        .outerjoin(scores, scores.c.project_id == Project.id)
        .where(group.in_(list(groups)))
        .subquery("ranked")
    )
    query = select(inner).order_by(
        case((inner.c.grp == PROPOSAL, 0), else_=1), inner.c.rank, inner.c.code)
    return [
        RankingRow(r.id, r.rank if r.weighted is not None else None, r.grp, r.code, r.name, r.stage, r.programme,
                   float(r.weighted) if r.weighted is not None else None, r.scored, r.criteria, r.budget,
                   r.benefits, r.rag if r.rag in {x.value for x in Rag} else None)
        for r in session.execute(query)
    ]


# -- one project's scores -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CriterionScore:
    """A project's score on one criterion (None: not scored) with the version it was read at."""

    criterion_id: int
    name: str
    weight: float
    description: str | None
    score: float | None
    version: int | None


@dataclass(frozen=True, slots=True)
class ProjectScoring:
    """A project's scores on every criterion, its weighted score and rank within its group."""

    project_id: int
    scores: tuple[CriterionScore, ...]
    weighted_score: float | None
    rank: int | None
    group: str | None
    group_size: int

    @property
    def versions(self) -> dict[int, int | None]:
        """Criterion id -> version of the stored score (None: not scored), for ``set_scores``."""
        return {s.criterion_id: s.version for s in self.scores}

    @property
    def scored(self) -> int:
        return sum(1 for s in self.scores if s.score is not None)


def project_scoring(session: Session, project_id: int) -> ProjectScoring:
    """The project's scores, weighted score and rank (in its group; None outside proposals and active)."""
    stage = session.scalar(select(Project.stage).where(Project.id == project_id))
    if stage is None:
        raise NotFoundError(f"Project {project_id} no longer exists: someone may have deleted it.")
    stored = {s.criterion_id: s for s in session.scalars(
        select(ProjectScore).where(ProjectScore.project_id == project_id))}
    rows = tuple(
        CriterionScore(c.id, c.name, c.weight, c.description,
                       stored[c.id].score if c.id in stored else None,
                       stored[c.id].version if c.id in stored else None)
        for c in criteria(session)
    )
    group = PROPOSAL if stage in PROPOSAL_STAGES else ACTIVE if stage in ACTIVE_STAGES else None
    weighted = rank = None
    size = 0
    if group is not None:
        ranked = ranking(session, (group,))
        size = len(ranked)
        mine = next((r for r in ranked if r.id == project_id), None)
        if mine is not None:
            weighted, rank = mine.weighted_score, mine.rank
    else:
        scores = weighted_scores()
        weighted = session.scalar(select(scores.c.weighted).where(scores.c.project_id == project_id))
        weighted = float(weighted) if weighted is not None else None
    return ProjectScoring(project_id, rows, weighted, rank, group, size)


def check_score(value: Any, label: str = "Score") -> float | None:
    """A score as stored (None clears it); ValueError with the words to show when it is not 0-5 in halves."""
    if value is None or value == "":
        return None
    try:
        number = _number(value)
    except ValueError:
        raise ValueError(f"{label} must be a number from 0 to 5, such as 3.5.") from None
    if not 0 <= number <= MAX_SCORE:
        raise ValueError(f"{label} must be from 0 to 5 (you entered {number:g}).")
    if not math.isclose(number / SCORE_STEP, round(number / SCORE_STEP), abs_tol=1e-9):
        raise ValueError(f"{label} goes in half steps, such as 3 or 3.5 (you entered {number:g}).")
    return round(number / SCORE_STEP) * SCORE_STEP


def set_scores(session: Session, project_id: int, scores: Mapping[int, Any],
               expected_versions: Mapping[int, int | None] | None = None) -> dict[int, float | None]:
    """Set the project's score on each criterion in ``scores`` (None clears it); return the scores before.

    ``expected_versions`` (criterion id -> the version read, None for "was not scored") makes a
    score someone else saved meanwhile raise ConflictError instead of being overwritten.
    """
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError(f"Project {project_id} no longer exists: someone may have deleted it.")
    names = {cid: name for cid, name in session.execute(select(StrategicCriterion.id, StrategicCriterion.name))}
    clean: dict[int, float | None] = {}
    errors = []
    for criterion_id, value in scores.items():
        if criterion_id not in names:
            raise NotFoundError("A criterion you scored no longer exists: someone may have deleted it. "
                                "Open the project again to see the current criteria.")
        try:
            clean[criterion_id] = check_score(value, names[criterion_id])
        except ValueError as exc:
            errors.append(FieldError(f"score:{names[criterion_id]}", str(exc)))
    if errors:
        raise ValidationError(errors)
    stored = {s.criterion_id: s for s in session.scalars(
        select(ProjectScore).where(and_(ProjectScore.project_id == project_id,
                                        ProjectScore.criterion_id.in_(list(clean)))))}
    if expected_versions is not None:
        stale = [cid for cid in clean
                 if (stored[cid].version if cid in stored else None) != expected_versions.get(cid)]
        if stale:
            raise ConflictError(
                "project_score", project_id,
                {names[c]: clean[c] for c in stale},
                {names[c]: stored[c].score if c in stored else None for c in stale},
            )
    before = {cid: (stored[cid].score if cid in stored else None) for cid in clean}
    for criterion_id, value in clean.items():
        row = stored.get(criterion_id)
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(ProjectScore(project_id=project_id, criterion_id=criterion_id, score=value))
        elif row.score != value:
            row.score = value
    flush_or_conflict(session, project)
    return before
