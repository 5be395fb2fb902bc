"""Projects and their milestones: the portfolio table's rows, and every edit a coordinator makes.

``project_rows`` reads the whole portfolio with one Core query (fast at 100,000 projects).
The CRUD functions validate in plain words (``ValidationError`` with one ``FieldError`` per
bad field), check versions (``ConflictError`` when someone else saved first), and write through
the ORM session so that every change leaves its audit event. ``delete_project`` returns a
snapshot that ``restore_project`` turns back into exactly the rows that were deleted, which is
what undo needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..analytics.portfolio import latest_period_end
from ..model import (
    Allocation,
    Demand,
    GateReview,
    Methodology,
    Milestone,
    MilestoneStatus,
    Programme,
    Project,
    ProjectScore,
    Rag,
    RaidItem,
    ScenarioProject,
    Stage,
    StageChange,
    StatusReport,
)
from ..model.audit import jsonable
from ..model.base import Base
from .base import apply_changes, flush_or_conflict
from .errors import ConflictError, FieldError, NotFoundError, RuleError, ValidationError

# -- the portfolio table ------------------------------------------------------------------------

PROJECT_ROW_FIELDS: tuple[str, ...] = (
    "id", "code", "name", "programme", "stage", "rag", "manager", "sponsor", "department", "priority",
    "baseline_start", "baseline_end", "forecast_end", "slip_days", "budget", "actual_cost",
    "forecast_cost", "percent_complete", "last_report",
)
"""The position of each value in a ``project_rows`` tuple."""


def project_rows(session: Session) -> list[tuple]:
    """Every project as a plain tuple laid out as ``PROJECT_ROW_FIELDS``, ordered by code.

    One SQL query joins the programme and each project's latest status report. The RAG is the
    latest reported one, or the project's own when nothing has been reported; forecast end,
    costs and percent complete are the project's, or the latest report's when the project has
    none. Slip is forecast end minus baseline end, in days.
    """
    p = Project.__table__
    pg = Programme.__table__
    sr = StatusReport.__table__.alias("latest_report")
    query = (
        select(
            p.c.id, p.c.code, p.c.name, pg.c.name, p.c.stage, func.coalesce(sr.c.rag, p.c.rag),
            p.c.manager, p.c.sponsor, p.c.department, p.c.priority, p.c.baseline_start, p.c.baseline_end,
            func.coalesce(p.c.forecast_end, sr.c.forecast_end), p.c.budget,
            func.coalesce(p.c.actual_cost, sr.c.actual_cost),
            func.coalesce(p.c.forecast_cost, sr.c.forecast_cost),
            func.coalesce(p.c.percent_complete, sr.c.percent_complete),
            sr.c.period_end,
        )
        .select_from(
            p.outerjoin(pg, pg.c.id == p.c.programme_id)
            .outerjoin(sr, and_(sr.c.project_id == p.c.id, sr.c.period_end == latest_period_end(p.c.id)))
        )
        .order_by(p.c.code)
    )
    rows = []
    append = rows.append
    for row in session.execute(query):
        baseline_end, forecast_end = row[11], row[12]
        slip = (forecast_end - baseline_end).days if baseline_end and forecast_end else None
        append((*row[:13], slip, *row[13:]))
    return rows


def programme_names(session: Session) -> list[str]:
    """Every programme's name, alphabetically (for the programme picker)."""
    return list(session.scalars(select(Programme.name).order_by(func.lower(Programme.name))))


# -- field rules ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Rule:
    """How one editable field is cleaned and checked."""

    label: str
    clean: Callable[[Any, str], Any]
    max_length: int | None = None


class _Invalid(Exception):
    """A value that cannot be read as its field's type; the message is shown to the user."""


def _text(value: Any, label: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(value: Any, label: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Invalid(f"{label} must be a date, such as 2026-03-31.")


def _money(value: Any, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise _Invalid(f"{label} must be an amount, such as 125000.00.") from None
    if not amount.is_finite():
        raise _Invalid(f"{label} must be an amount, such as 125000.00.")
    if amount < 0:
        raise _Invalid(f"{label} cannot be negative.")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _fraction(value: Any, label: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        raise _Invalid(f"{label} must be a number between 0% and 100%.") from None
    if not 0 <= fraction <= 1:
        raise _Invalid(f"{label} must be between 0% and 100% (you entered {fraction * 100:g}%).")
    return fraction


def _priority(value: Any, label: str) -> int | None:
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 1 <= number <= 9:
        raise _Invalid(f"{label} must be a whole number from 1 (highest) to 9 (lowest).")
    return number


def _choice(enum: type[StrEnum], noun: str) -> Callable[[Any, str], str | None]:
    """A cleaner that accepts a member, its stored value or its label (any case)."""
    by_word = {m.value.casefold(): m.value for m in enum}
    by_word.update({m.label.casefold(): m.value for m in enum})  # type: ignore[attr-defined]
    choices = ", ".join(m.label for m in enum)  # type: ignore[attr-defined]

    def clean(value: Any, label: str) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        word = value.value if isinstance(value, StrEnum) else str(value).strip()
        found = by_word.get(word.casefold())
        if found is None:
            raise _Invalid(f"'{word}' is not a {noun}. Choose one of: {choices}.")
        return found

    return clean


_rag = _choice(Rag, "RAG status")

PROJECT_RULES: dict[str, _Rule] = {
    "code": _Rule("Code", _text, 40),
    "name": _Rule("Name", _text, 300),
    "programme": _Rule("Programme", _text, 200),
    "sponsor": _Rule("Sponsor", _text, 200),
    "manager": _Rule("Manager", _text, 200),
    "department": _Rule("Department", _text, 200),
    "stage": _Rule("Stage", _choice(Stage, "stage")),
    "methodology": _Rule("Methodology", _choice(Methodology, "methodology")),
    "priority": _Rule("Priority", _priority),
    "rag": _Rule("Overall RAG", _rag),
    "schedule_rag": _Rule("Schedule RAG", _rag),
    "cost_rag": _Rule("Cost RAG", _rag),
    "scope_rag": _Rule("Scope RAG", _rag),
    "resource_rag": _Rule("Resources RAG", _rag),
    "baseline_start": _Rule("Baseline start", _date),
    "baseline_end": _Rule("Baseline end", _date),
    "forecast_start": _Rule("Forecast start", _date),
    "forecast_end": _Rule("Forecast end", _date),
    "actual_start": _Rule("Actual start", _date),
    "actual_end": _Rule("Actual end", _date),
    "budget": _Rule("Budget", _money),
    "actual_cost": _Rule("Actual cost", _money),
    "forecast_cost": _Rule("Forecast cost", _money),
    "benefits": _Rule("Expected benefits", _money),
    "percent_complete": _Rule("Percent complete", _fraction),
    "description": _Rule("Description", _text),
}
"""Every editable project field, in the order a form shows them; ``programme`` is a name."""

PROJECT_FIELDS: tuple[str, ...] = tuple(PROJECT_RULES)

_DATE_PAIRS = (("baseline_start", "baseline_end"), ("forecast_start", "forecast_end"),
               ("actual_start", "actual_end"))

MILESTONE_RULES: dict[str, _Rule] = {
    "name": _Rule("Name", _text, 300),
    "baseline_date": _Rule("Baseline date", _date),
    "forecast_date": _Rule("Forecast date", _date),
    "actual_date": _Rule("Actual date", _date),
    "status": _Rule("Status", _choice(MilestoneStatus, "milestone status")),
}
"""Every editable milestone field."""

MILESTONE_FIELDS: tuple[str, ...] = tuple(MILESTONE_RULES)


def _clean(rules: Mapping[str, _Rule], values: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Each value converted to its stored type, and a FieldError for each one that cannot be."""
    unknown = set(values) - set(rules)
    if unknown:
        raise ValueError(f"Not editable fields: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, raw in values.items():
        rule = rules[key]
        try:
            value = rule.clean(raw, rule.label)
        except _Invalid as exc:
            errors.append(FieldError(key, str(exc)))
            continue
        if rule.max_length and isinstance(value, str) and len(value) > rule.max_length:
            errors.append(FieldError(key, f"{rule.label} is too long: at most {rule.max_length} characters."))
            continue
        clean[key] = value
    return clean, errors


def _fmt_date(value: dt.date) -> str:
    return value.strftime("%d %b %Y")


def _project_errors(session: Session, merged: Mapping[str, Any], project_id: int | None,
                    touched: Iterable[str], bad: set[str]) -> list[FieldError]:
    """The whole-record checks on the fields being set: required, unique code, dates in order.

    Fields not in ``touched`` are not checked, so that an unrelated edit is never refused
    because of a value stored earlier (by an import, say).
    """
    check = set(touched) - bad
    errors = []
    code = merged.get("code")
    if "code" in check:
        if not code:
            errors.append(FieldError("code", "Enter a code, such as DCX-014."))
        else:
            query = select(Project.name, Project.code).where(func.lower(Project.code) == code.lower())
            if project_id is not None:
                query = query.where(Project.id != project_id)
            clash = session.execute(query.limit(1)).first()
            if clash is not None:
                errors.append(FieldError("code", f"Code {clash.code} is already used by '{clash.name}'."))
    if "name" in check and not merged.get("name"):
        errors.append(FieldError("name", "Enter the project's name."))
    if "stage" in check and not merged.get("stage"):
        errors.append(FieldError("stage", "Choose a stage."))
    for start_key, end_key in _DATE_PAIRS:
        start, end = merged.get(start_key), merged.get(end_key)
        if start and end and end < start and {start_key, end_key} & check and not {start_key, end_key} & bad:
            start_label, end_label = PROJECT_RULES[start_key].label, PROJECT_RULES[end_key].label
            errors.append(FieldError(
                end_key, f"{end_label} ({_fmt_date(end)}) is before {start_label.lower()} ({_fmt_date(start)})."
            ))
    return errors


def _validated_project(session: Session, values: Mapping[str, Any], current: Mapping[str, Any],
                       project_id: int | None) -> dict[str, Any]:
    """``values`` cleaned and checked against the record they will produce; raises ValidationError."""
    clean, errors = _clean(PROJECT_RULES, values)
    merged = {**current, **clean}
    touched = PROJECT_FIELDS if project_id is None else values.keys()
    errors += _project_errors(session, merged, project_id, touched, {e.field for e in errors})
    if errors:
        order = {key: i for i, key in enumerate(PROJECT_FIELDS)}
        raise ValidationError(sorted(errors, key=lambda e: order.get(e.field, 99)))
    return clean


def _programme_id(session: Session, name: str | None) -> int | None:
    """The programme called ``name`` (any case), created when it does not exist yet."""
    if not name:
        return None
    programme_id = session.scalar(select(Programme.id).where(func.lower(Programme.name) == name.lower()))
    if programme_id is None:
        programme = Programme(name=name)
        session.add(programme)
        session.flush()
        programme_id = programme.id
    return programme_id


def _to_columns(session: Session, clean: Mapping[str, Any]) -> dict[str, Any]:
    """Field values as Project column values: the programme name becomes its id."""
    columns = {k: v for k, v in clean.items() if k != "programme"}
    if "programme" in clean:
        columns["programme_id"] = _programme_id(session, clean["programme"])
    return columns


def _project_values(project: Project) -> dict[str, Any]:
    values = {key: getattr(project, key) for key in PROJECT_FIELDS if key != "programme"}
    values["programme"] = project.programme.name if project.programme else None
    return values


# -- reading one project --------------------------------------------------------------------------

RECENT_REPORTS = 6


@dataclass(frozen=True, slots=True)
class MilestoneDetails:
    """One milestone as the milestone editor shows it."""

    id: int
    project_id: int
    name: str
    baseline_date: dt.date | None
    forecast_date: dt.date | None
    actual_date: dt.date | None
    status: str
    version: int


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """One status report in the project's recent history (read-only)."""

    id: int
    period_end: dt.date
    rag: str | None
    percent_complete: float | None
    summary: str | None
    submitted_by: str | None


@dataclass(frozen=True, slots=True)
class ProjectDetails:
    """Everything the project panel edits, with the version it was read at."""

    id: int
    version: int
    code: str
    name: str
    programme: str | None
    sponsor: str | None
    manager: str | None
    department: str | None
    stage: str
    methodology: str | None
    priority: int | None
    rag: str | None
    schedule_rag: str | None
    cost_rag: str | None
    scope_rag: str | None
    resource_rag: str | None
    baseline_start: dt.date | None
    baseline_end: dt.date | None
    forecast_start: dt.date | None
    forecast_end: dt.date | None
    actual_start: dt.date | None
    actual_end: dt.date | None
    budget: Decimal | None
    actual_cost: Decimal | None
    forecast_cost: Decimal | None
    benefits: Decimal | None
    percent_complete: float | None
    description: str | None
    milestones: tuple[MilestoneDetails, ...] = ()
    #: The latest reports, newest first (at most ``RECENT_REPORTS``).
    status_reports: tuple[ReportSummary, ...] = ()

    def values(self) -> dict[str, Any]:
        """The editable fields as a dict keyed like ``PROJECT_FIELDS``."""
        return {key: getattr(self, key) for key in PROJECT_FIELDS}


def _milestone_details(m: Milestone) -> MilestoneDetails:
    return MilestoneDetails(m.id, m.project_id, m.name, m.baseline_date, m.forecast_date, m.actual_date,
                            m.status, m.version)


def get_project(session: Session, project_id: int) -> ProjectDetails:
    """The project's editable fields, milestones and latest status reports; NotFoundError if gone."""
    project = session.get(Project, project_id, populate_existing=True)
    if project is None:
        raise NotFoundError(f"Project {project_id} no longer exists: someone may have deleted it.")
    milestones = session.scalars(
        select(Milestone).where(Milestone.project_id == project_id)
        .order_by(Milestone.baseline_date.is_(None), Milestone.baseline_date, Milestone.name)
    ).all()
    reports = session.execute(
        select(StatusReport.id, StatusReport.period_end, StatusReport.rag, StatusReport.percent_complete,
               StatusReport.summary, StatusReport.submitted_by)
        .where(StatusReport.project_id == project_id)
        .order_by(StatusReport.period_end.desc())
        .limit(RECENT_REPORTS)
    ).all()
    return ProjectDetails(
        id=project.id, version=project.version, **_project_values(project),
        milestones=tuple(_milestone_details(m) for m in milestones),
        status_reports=tuple(ReportSummary(*r) for r in reports),
    )


def get_milestone(session: Session, milestone_id: int) -> MilestoneDetails:
    """One milestone; NotFoundError if it was deleted."""
    milestone = session.get(Milestone, milestone_id, populate_existing=True)
    if milestone is None:
        raise NotFoundError(f"Milestone {milestone_id} no longer exists: someone may have deleted it.")
    return _milestone_details(milestone)


# -- project writes -------------------------------------------------------------------------------

def create_project(session: Session, values: Mapping[str, Any]) -> int:
    """Add a project from ``values`` (keys from ``PROJECT_FIELDS``) and return its id.

    The stage defaults to Idea; a programme named that does not exist yet is created.
    """
    defaults = {"stage": Stage.IDEA.value}
    clean = _validated_project(session, {**defaults, **values}, {}, None)
    project = Project(**_to_columns(session, clean))
    session.add(project)
    session.flush()
    return project.id


def _conflict(project: Project | None, project_id: int, mine: Mapping[str, Any]) -> ConflictError:
    if project is None:
        return ConflictError("project", project_id, {k: jsonable(v) for k, v in mine.items()}, {}, deleted=True)
    current = _project_values(project)
    return ConflictError("project", project_id, {k: jsonable(v) for k, v in mine.items()},
                         {k: jsonable(current.get(k)) for k in mine})


def update_project(session: Session, project_id: int, changes: Mapping[str, Any],
                   expected_version: int | None) -> int:
    """Save ``changes`` if the project is still at ``expected_version``; return the new version.

    A stale version (or a project deleted meanwhile) raises ConflictError holding both this
    user's values and the stored ones, field by field.
    """
    project = session.get(Project, project_id, populate_existing=True)
    if project is None or (expected_version is not None and project.version != expected_version):
        raise _conflict(project, project_id, changes)
    current = _project_values(project)
    clean = _validated_project(session, changes, current, project_id)
    clean = {k: v for k, v in clean.items() if current.get(k) != v}
    if not clean:
        return project.version
    try:
        project = apply_changes(session, Project, project_id, _to_columns(session, clean), expected_version)
    except ConflictError:
        if not session.is_active:  # lost the race inside the UPDATE itself: the transaction is gone
            raise
        raise _conflict(session.get(Project, project_id, populate_existing=True), project_id, changes) from None
    return project.version


@dataclass(frozen=True, slots=True)
class ProjectSnapshot:
    """A deleted project and its own rows, exactly as stored, so that it can be restored."""

    project: dict[str, Any]
    programme: str | None
    milestones: tuple[dict[str, Any], ...]
    status_reports: tuple[dict[str, Any], ...]
    scores: tuple[dict[str, Any], ...]

    @property
    def code(self) -> str:
        return self.project["code"]


def _row_values(obj: Base) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in obj.__mapper__.column_attrs}


def _blocking_dependents(session: Session, project_id: int) -> list[str]:
    """Rows of other areas that would be lost without trace if the project were deleted."""
    counts = (
        ("RAID item", "RAID items", select(func.count()).where(RaidItem.project_id == project_id)),
        ("RAID dependency on it", "RAID dependencies on it",
         select(func.count()).where(RaidItem.depends_on_project_id == project_id)),
        ("RAID dependency on its milestones", "RAID dependencies on its milestones",
         select(func.count()).where(RaidItem.depends_on_milestone_id.in_(
             select(Milestone.id).where(Milestone.project_id == project_id)))),
        ("allocation", "allocations", select(func.count()).where(Allocation.project_id == project_id)),
        ("resource demand", "resource demands", select(func.count()).where(Demand.project_id == project_id)),
        ("gate review", "gate reviews", select(func.count()).where(GateReview.project_id == project_id)),
        ("stage change", "stage changes", select(func.count()).where(StageChange.project_id == project_id)),
        ("scenario entry", "scenario entries",
         select(func.count()).where(ScenarioProject.project_id == project_id)),
    )
    found = []
    for singular, plural, query in counts:
        n = session.scalar(query) or 0
        if n:
            found.append(f"{n} {singular if n == 1 else plural}")
    return found


def delete_project(session: Session, project_id: int, expected_version: int | None) -> ProjectSnapshot:
    """Delete the project with its milestones, status reports and scores; return what was deleted.

    A project that RAID items, allocations, demands, gate reviews, stage changes or scenarios
    still refer to is refused with a RuleError naming them: deleting it would erase their
    history, which a cancelled stage keeps.
    """
    project = session.get(Project, project_id, populate_existing=True)
    if project is None or (expected_version is not None and project.version != expected_version):
        raise _conflict(project, project_id, {})
    dependents = _blocking_dependents(session, project_id)
    if dependents:
        raise RuleError(
            f"Project {project.code} cannot be deleted: it still has {', '.join(dependents)}. "
            "Move or remove them first, or set its stage to Cancelled to keep its history."
        )
    snapshot = ProjectSnapshot(
        project=_row_values(project),
        programme=project.programme.name if project.programme else None,
        milestones=tuple(_row_values(m) for m in project.milestones),
        status_reports=tuple(_row_values(r) for r in project.status_reports),
        scores=tuple(_row_values(s) for s in project.scores),
    )
    session.delete(project)
    flush_or_conflict(session, project)
    return snapshot


def _restore_rows(session: Session, model: type[Base], rows: Iterable[Mapping[str, Any]],
                  **overrides: Any) -> list[int]:
    """Insert ``rows`` as they were stored and return their ids.

    Each row keeps its id unless another row has taken it since (SQLite hands the highest
    deleted id to the next insert); then it gets a new one. SQLAlchemy always inserts version
    1, so a higher version is set by a second flush, which also writes the stored
    ``updated_at`` (an UPDATE would otherwise stamp the time of the restore). That flush
    changes no audited field: the restore leaves one insert event per row.
    """
    rows = [{**values, **overrides} for values in rows]
    wanted = [values["id"] for values in rows]
    taken = set(session.scalars(select(model.id).where(model.id.in_(wanted)))) if wanted else set()
    objects, later = [], []
    for values in rows:
        skip = {"version"}
        if values["id"] in taken:
            skip.add("id")
        if values.get("version", 1) != 1:
            skip.add("updated_at")
            later.append(values)
        obj = model(**{k: v for k, v in values.items() if k not in skip})
        session.add(obj)
        objects.append(obj)
    session.flush()
    for obj, values in zip(objects, rows, strict=True):
        if values.get("version", 1) != 1:
            obj.version = values["version"]
            obj.updated_at = values["updated_at"]
    if later:
        session.flush()
    return [obj.id for obj in objects]


def restore_project(session: Session, snapshot: ProjectSnapshot) -> int:
    """Re-create a deleted project from its snapshot and return its id.

    Values, versions and child rows come back exactly as they were, and so does the id unless
    another project has taken it since. A programme deleted meanwhile is created again by
    name. A code another project has taken since is refused with a ValidationError.
    """
    values = dict(snapshot.project)
    merged = {**values, "programme": snapshot.programme}
    errors = _project_errors(session, merged, None, ("code",), set())
    if errors:
        raise ValidationError(errors)
    programme = session.get(Programme, values["programme_id"]) if values.get("programme_id") else None
    if programme is None or programme.name != snapshot.programme:
        values["programme_id"] = _programme_id(session, snapshot.programme)
    [project_id] = _restore_rows(session, Project, [values])
    for model, rows in ((Milestone, snapshot.milestones), (StatusReport, snapshot.status_reports),
                        (ProjectScore, snapshot.scores)):
        _restore_rows(session, model, rows, project_id=project_id)
    return project_id


def project_version(session: Session, project_id: int) -> int:
    """The stored version of a project; NotFoundError when it was deleted."""
    version = session.scalar(select(Project.version).where(Project.id == project_id))
    if version is None:
        raise NotFoundError(f"Project {project_id} no longer exists: someone may have deleted it.")
    return version


# -- milestone writes -----------------------------------------------------------------------------

def _milestone_errors(session: Session, merged: Mapping[str, Any], project_id: int,
                      milestone_id: int | None, touched: Iterable[str], bad: set[str]) -> list[FieldError]:
    check = set(touched) - bad
    errors = []
    name = merged.get("name")
    if "name" in check:
        if not name:
            errors.append(FieldError("name", "Enter the milestone's name."))
        else:
            query = select(Milestone.id).where(Milestone.project_id == project_id,
                                               func.lower(Milestone.name) == name.lower())
            if milestone_id is not None:
                query = query.where(Milestone.id != milestone_id)
            if session.scalar(query.limit(1)) is not None:
                errors.append(FieldError("name", f"This project already has a milestone called '{name}'."))
    if "status" in check and not merged.get("status"):
        errors.append(FieldError("status", "Choose a status."))
    return errors


def _validated_milestone(session: Session, values: Mapping[str, Any], current: Mapping[str, Any],
                         project_id: int, milestone_id: int | None) -> dict[str, Any]:
    clean, errors = _clean(MILESTONE_RULES, values)
    merged = {**current, **clean}
    touched = MILESTONE_FIELDS if milestone_id is None else values.keys()
    errors += _milestone_errors(session, merged, project_id, milestone_id, touched, {e.field for e in errors})
    if errors:
        raise ValidationError(errors)
    return clean


def add_milestone(session: Session, project_id: int, values: Mapping[str, Any]) -> int:
    """Add a milestone (keys from ``MILESTONE_FIELDS``) to a project and return its id."""
    if session.get(Project, project_id) is None:
        raise NotFoundError(f"Project {project_id} no longer exists: someone may have deleted it.")
    defaults = {"status": MilestoneStatus.PLANNED.value}
    clean = _validated_milestone(session, {**defaults, **values}, {}, project_id, None)
    milestone = Milestone(project_id=project_id, **clean)
    session.add(milestone)
    session.flush()
    return milestone.id


def _milestone_conflict(milestone: Milestone | None, milestone_id: int,
                        mine: Mapping[str, Any]) -> ConflictError:
    mine_json = {k: jsonable(v) for k, v in mine.items()}
    if milestone is None:
        return ConflictError("milestone", milestone_id, mine_json, {}, deleted=True)
    return ConflictError("milestone", milestone_id, mine_json, {k: jsonable(getattr(milestone, k)) for k in mine})


def update_milestone(session: Session, milestone_id: int, changes: Mapping[str, Any],
                     expected_version: int | None) -> int:
    """Save milestone ``changes`` if it is still at ``expected_version``; return the new version."""
    milestone = session.get(Milestone, milestone_id, populate_existing=True)
    if milestone is None or (expected_version is not None and milestone.version != expected_version):
        raise _milestone_conflict(milestone, milestone_id, changes)
    current = {key: getattr(milestone, key) for key in MILESTONE_FIELDS}
    clean = _validated_milestone(session, changes, current, milestone.project_id, milestone_id)
    clean = {k: v for k, v in clean.items() if current[k] != v}
    if not clean:
        return milestone.version
    return apply_changes(session, Milestone, milestone_id, clean, expected_version).version


def delete_milestone(session: Session, milestone_id: int, expected_version: int | None) -> dict[str, Any]:
    """Delete a milestone and return its stored values, which ``restore_milestone`` puts back."""
    milestone = session.get(Milestone, milestone_id, populate_existing=True)
    if milestone is None or (expected_version is not None and milestone.version != expected_version):
        raise _milestone_conflict(milestone, milestone_id, {})
    dependents = session.scalar(select(func.count()).where(RaidItem.depends_on_milestone_id == milestone_id))
    if dependents:
        raise RuleError(
            f"Milestone '{milestone.name}' cannot be deleted: {dependents} RAID item(s) depend on it. "
            "Remove the dependency from those items first."
        )
    values = _row_values(milestone)
    session.delete(milestone)
    flush_or_conflict(session, milestone)
    return values


def restore_milestone(session: Session, values: Mapping[str, Any]) -> int:
    """Re-create a deleted milestone as stored (same values and version) and return its id.

    The id is the old one unless another milestone has taken it since.
    """
    if session.get(Project, values["project_id"]) is None:
        raise NotFoundError("The milestone's project no longer exists, so the milestone cannot be restored.")
    errors = _milestone_errors(session, values, values["project_id"], None, ("name",), set())
    if errors:
        raise ValidationError(errors)
    [milestone_id] = _restore_rows(session, Milestone, [values])
    return milestone_id


def milestone_values(details: MilestoneDetails) -> dict[str, Any]:
    """The editable fields of a milestone as a dict keyed like ``MILESTONE_FIELDS``."""
    return {f.name: getattr(details, f.name) for f in fields(details) if f.name in MILESTONE_RULES}
