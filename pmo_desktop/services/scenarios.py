"""Scenarios: named what-ifs of which candidate projects to fund under a budget cap (no Qt).

A scenario lists candidate projects, each in or out and possibly pinned (a pinned entry that is
in is "pinned in", one that is out "pinned out"; Suggest leaves both as they are). The cap is
for one fiscal year; the figures come from ``analytics.scenarios``.

Approving a scenario moves each chosen proposal (idea or business case) to its next stage
through governance, in the same transaction as the approval itself:

- a supportive or controlling office moves it by hand (``change_stage_by_hand``) with the reason
  "Approved in scenario …", which a controlling office requires;
- a directive office moves a stage only through an approved gate review, so the approval records
  one per proposal at its next gate (decision approved, decided by the approver), carrying over
  the criterion results of the project's latest review at that gate. When a proposal's required
  gate criteria have not been met at such a review, the whole approval is refused with a message
  naming the projects and criteria: the gate review comes first, in the Governance tab.

An approval can be withdrawn (``withdraw_approval``, the undo of ``approve``): the stage moves and
gate reviews it made are taken back and the scenario is editable again, in one transaction. It is
refused when any moved project, or a review the approval recorded, has changed since (its
version moved on), because putting the stage back would then overwrite someone else's work.

An approved scenario is read-only: every change to it is refused with a RuleError (copy it to
plan further). Every write goes through the ORM session, so it is audited; changes to a scenario
or its entries bump the scenario's version, so two coordinators editing one scenario get a
ConflictError instead of a blend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..analytics import scenarios as an
from ..model import (
    GateCriterionResult,
    GateReview,
    PmoType,
    Project,
    Scenario,
    ScenarioProject,
    Stage,
    StageChange,
)
from ..model.audit import get_audit_context
from ..model.base import utcnow
from ..model.database import load_settings
from ..model.enums import Decision
from . import governance
from .base import flush_or_conflict, text_or_none
from .errors import ConflictError, FieldError, NotFoundError, RuleError, ValidationError

#: Stages a new scenario takes its candidates from: proposals, and approved work not started.
CANDIDATE_STAGES: tuple[str, ...] = (Stage.IDEA.value, Stage.BUSINESS_CASE.value, Stage.APPROVED.value,
                                     Stage.PLANNING.value)
PROPOSAL_STAGES = frozenset(s.value for s in Stage if s.is_proposal)
SCENARIO_LABELS = {"name": "Name", "budget_cap": "Budget cap", "fiscal_year": "Fiscal year", "notes": "Notes"}


@dataclass(frozen=True, slots=True)
class ScenarioSummary:
    """A scenario as the planner's list shows it."""

    id: int
    name: str
    budget_cap: Decimal | None
    fiscal_year: int | None
    notes: str | None
    approved: bool
    approved_by: str | None
    approved_at: dt.datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One candidate of a scenario: the project's figures, whether it is in, whether pinned."""

    candidate: an.Candidate
    included: bool
    pinned: bool

    @property
    def project_id(self) -> int:
        return self.candidate.project_id


@dataclass(frozen=True, slots=True)
class ScenarioView:
    """Everything the planner needs to show a scenario and recompute its totals live."""

    scenario: ScenarioSummary
    fiscal_year: int
    start_month: int
    entries: tuple[Entry, ...]
    resources: an.ResourceBase

    @property
    def fiscal_year_label(self) -> str:
        return an.fiscal_year_label(self.fiscal_year, self.start_month)

    def chosen(self, included: Collection[int] | None = None) -> list[an.Candidate]:
        """The candidates in (by ``included`` when given, else as stored)."""
        if included is None:
            included = {e.project_id for e in self.entries if e.included}
        return [e.candidate for e in self.entries if e.project_id in included]

    def totals(self, included: Collection[int] | None = None) -> an.ScenarioTotals:
        return an.totals(self.chosen(included), self.scenario.budget_cap)

    def loads(self, included: Collection[int] | None = None) -> list[an.RoleLoad]:
        return self.resources.loads(c.project_id for c in self.chosen(included))

    def cost_by_year(self, included: Collection[int] | None = None, years: int = 3) -> list[tuple[int, Decimal]]:
        """Cost of the projects in, in the scenario's fiscal year and the ones after it."""
        return an.cost_by_year(self.chosen(included), self.fiscal_year, years, self.start_month)


@dataclass(frozen=True, slots=True)
class EntryState:
    """Whether a candidate is in and whether it is pinned (the planner's checkboxes)."""

    included: bool
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class StageMove:
    """A proposal the approval moved, and how."""

    project_id: int
    code: str
    from_stage: str
    to_stage: str
    review_id: int | None
    #: The stored move (a hand change, or the review's own move).
    stage_change_id: int | None = None
    #: The project's and the review's versions right after the approval (for its undo).
    project_version: int | None = None
    review_version: int | None = None


@dataclass(frozen=True, slots=True)
class Approval:
    """What approving a scenario did."""

    scenario_id: int
    version: int
    moves: tuple[StageMove, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One scenario's figures for the side-by-side comparison."""

    scenario: ScenarioSummary
    fiscal_year_label: str
    totals: an.ScenarioTotals
    included: frozenset[int]
    short_roles: tuple[an.RoleLoad, ...]
    codes: dict[int, str]
    #: Cost of the projects in, per fiscal year from the scenario's own.
    years: tuple[tuple[int, Decimal], ...] = ()


# -- reading ----------------------------------------------------------------------------------------

def _summary(s: Scenario) -> ScenarioSummary:
    return ScenarioSummary(s.id, s.name, s.budget_cap, s.fiscal_year, s.notes, bool(s.approved), s.approved_by,
                           s.approved_at, s.version)


def scenarios(session: Session) -> list[ScenarioSummary]:
    """Every scenario, by name."""
    return [_summary(s) for s in session.scalars(select(Scenario).order_by(func.lower(Scenario.name)))]


def get_scenario(session: Session, scenario_id: int) -> ScenarioSummary:
    scenario = session.get(Scenario, scenario_id, populate_existing=True)
    if scenario is None:
        raise NotFoundError(f"Scenario {scenario_id} no longer exists: someone may have deleted it.")
    return _summary(scenario)


def current_fiscal_year(session: Session, today: dt.date | None = None) -> int:
    """The fiscal year today falls in, by the office's start month."""
    return an.fiscal_year_of(today or dt.date.today(), load_settings(session).fiscal_year_start_month)


def scenario_view(session: Session, scenario_id: int, today: dt.date | None = None) -> ScenarioView:
    """The scenario with its candidates costed in its fiscal year (the current one when it has none)."""
    summary = get_scenario(session, scenario_id)
    start_month = load_settings(session).fiscal_year_start_month
    year = summary.fiscal_year or an.fiscal_year_of(today or dt.date.today(), start_month)
    stored = {pid: (bool(inc), bool(pin)) for pid, inc, pin in session.execute(
        select(ScenarioProject.project_id, ScenarioProject.included, ScenarioProject.pinned)
        .where(ScenarioProject.scenario_id == scenario_id))}
    cands = an.candidates(session, stored, year, start_month)
    entries = tuple(Entry(c, *stored[c.project_id]) for c in cands)
    return ScenarioView(summary, year, start_month, entries,
                        an.resource_base(session, stored, year, start_month))


@dataclass(frozen=True, slots=True)
class ScenarioState:
    """A scenario's editable fields and entry states, as stored: what a save changes (for undo)."""

    values: dict[str, Any]
    states: dict[int, EntryState]


def scenario_state(session: Session, scenario_id: int) -> ScenarioState:
    """The scenario's name, cap, year and notes, and each candidate's In and Pin."""
    summary = get_scenario(session, scenario_id)
    states = {pid: EntryState(bool(inc), bool(pin)) for pid, inc, pin in session.execute(
        select(ScenarioProject.project_id, ScenarioProject.included, ScenarioProject.pinned)
        .where(ScenarioProject.scenario_id == scenario_id))}
    return ScenarioState({key: getattr(summary, key) for key in SCENARIO_LABELS}, states)


def save_state(session: Session, scenario_id: int, values: Mapping[str, Any], states: Mapping[int, EntryState],
               expected_version: int | None) -> int:
    """Set the fields and the entry states in one go (the planner's Save); return the new version."""
    version = update_scenario(session, scenario_id, values, expected_version)
    return set_entries(session, scenario_id, states, version)


def candidate_projects(session: Session, exclude: Collection[int] = ()) -> list[tuple[int, str, str, str]]:
    """(id, code, name, stage) of projects that may be added to a scenario, by code."""
    query = (select(Project.id, Project.code, Project.name, Project.stage)
             .where(Project.stage.in_(CANDIDATE_STAGES)).order_by(Project.code))
    return [tuple(r) for r in session.execute(query) if r[0] not in exclude]


# -- validation -------------------------------------------------------------------------------------

def _clean(session: Session, values: Mapping[str, Any], scenario_id: int | None) -> dict[str, Any]:
    unknown = set(values) - set(SCENARIO_LABELS)
    if unknown:
        raise ValueError(f"Not editable scenario fields: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    if "name" in values or scenario_id is None:
        name = str(values.get("name") or "").strip()
        if not name:
            errors.append(FieldError("name", "Enter a name for the scenario, such as FY26/27 base plan."))
        elif len(name) > 200:
            errors.append(FieldError("name", "Name is too long: at most 200 characters."))
        else:
            query = select(Scenario.id).where(func.lower(Scenario.name) == name.lower())
            if scenario_id is not None:
                query = query.where(Scenario.id != scenario_id)
            if session.scalar(query.limit(1)) is not None:
                errors.append(FieldError("name", f"There is already a scenario called '{name}'."))
            clean["name"] = name
    if "budget_cap" in values:
        cap = values["budget_cap"]
        if cap is None or cap == "":
            clean["budget_cap"] = None
        else:
            try:
                amount = Decimal(str(cap).replace(",", "").strip())
                if not amount.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors.append(FieldError("budget_cap", "Budget cap must be an amount, such as 2500000."))
            else:
                if amount < 0:
                    errors.append(FieldError("budget_cap", "Budget cap cannot be negative."))
                clean["budget_cap"] = amount.quantize(Decimal("0.01"))
    if "fiscal_year" in values:
        year = values["fiscal_year"]
        if year is None or year == "":
            clean["fiscal_year"] = None
        elif isinstance(year, bool) or not str(year).strip().isdigit() or not 2000 <= int(year) <= 2100:
            errors.append(FieldError("fiscal_year", "Fiscal year must be the year it starts in, such as 2026."))
        else:
            clean["fiscal_year"] = int(year)
    if "notes" in values:
        clean["notes"] = text_or_none(values["notes"])
    if errors:
        raise ValidationError(errors)
    return clean


def _editable(session: Session, scenario_id: int, expected_version: int | None) -> Scenario:
    """The scenario, if it still exists at ``expected_version`` and is not approved."""
    scenario = session.get(Scenario, scenario_id, populate_existing=True)
    if scenario is None:
        raise ConflictError("scenario", scenario_id, {}, {}, deleted=True)
    if expected_version is not None and scenario.version != expected_version:
        raise ConflictError("scenario", scenario_id, {}, {"name": scenario.name})
    if scenario.approved:
        raise RuleError(f"Scenario '{scenario.name}' is approved, so it is read-only. Copy it to plan further.")
    return scenario


def _touch(session: Session, scenario: Scenario) -> int:
    # Entries belong to the scenario: bumping its version makes a concurrent edit a conflict.
    scenario.updated_at = utcnow()
    flush_or_conflict(session, scenario)
    return scenario.version


# -- writing ----------------------------------------------------------------------------------------

def create_scenario(session: Session, values: Mapping[str, Any], candidate_ids: Sequence[int] | None = None) -> int:
    """Add a scenario (name, budget cap, fiscal year, notes) and return its id.

    Its candidates are ``candidate_ids``, or every project at idea, business case, approved or
    planning; all start out.
    """
    clean = _clean(session, values, None)
    scenario = Scenario(**clean, approved=False)
    session.add(scenario)
    session.flush()
    ids = list(candidate_ids) if candidate_ids is not None else [r[0] for r in candidate_projects(session)]
    for project_id in ids:
        session.add(ScenarioProject(scenario_id=scenario.id, project_id=project_id, included=False, pinned=False))
    session.flush()
    return scenario.id


def copy_scenario(session: Session, scenario_id: int, name: str) -> int:
    """A new, unapproved scenario with the same cap, year, notes and entries."""
    source = get_scenario(session, scenario_id)
    new_id = create_scenario(session, {"name": name, "budget_cap": source.budget_cap,
                                       "fiscal_year": source.fiscal_year, "notes": source.notes}, [])
    for entry in session.scalars(select(ScenarioProject).where(ScenarioProject.scenario_id == scenario_id)):
        session.add(ScenarioProject(scenario_id=new_id, project_id=entry.project_id, included=entry.included,
                                    pinned=entry.pinned))
    session.flush()
    return new_id


def update_scenario(session: Session, scenario_id: int, changes: Mapping[str, Any],
                    expected_version: int | None) -> int:
    """Rename it, set its cap, fiscal year or notes; return the new version."""
    scenario = _editable(session, scenario_id, expected_version)
    clean = {k: v for k, v in _clean(session, changes, scenario_id).items() if getattr(scenario, k) != v}
    for key, value in clean.items():
        setattr(scenario, key, value)
    if clean:
        flush_or_conflict(session, scenario)
    return scenario.version


def rename_scenario(session: Session, scenario_id: int, name: str, expected_version: int | None) -> int:
    """Give the scenario another name; return the new version."""
    return update_scenario(session, scenario_id, {"name": name}, expected_version)


def delete_scenario(session: Session, scenario_id: int, expected_version: int | None) -> None:
    """Delete a scenario and its entries (an approved one too: the stage moves it made stay)."""
    scenario = session.get(Scenario, scenario_id, populate_existing=True)
    if scenario is None:
        raise ConflictError("scenario", scenario_id, {}, {}, deleted=True)
    if expected_version is not None and scenario.version != expected_version:
        raise ConflictError("scenario", scenario_id, {}, {"name": scenario.name})
    session.delete(scenario)
    flush_or_conflict(session, scenario)


def add_candidates(session: Session, scenario_id: int, project_ids: Collection[int],
                   expected_version: int | None) -> int:
    """Add projects as candidates (out, unpinned); ones already listed are left alone. Returns the version."""
    scenario = _editable(session, scenario_id, expected_version)
    listed = set(session.scalars(select(ScenarioProject.project_id).where(ScenarioProject.scenario_id == scenario_id)))
    known = set(session.scalars(select(Project.id).where(Project.id.in_(list(project_ids)))))
    for project_id in project_ids:
        if project_id not in listed and project_id in known:
            session.add(ScenarioProject(scenario_id=scenario_id, project_id=project_id, included=False, pinned=False))
    return _touch(session, scenario)


def remove_candidates(session: Session, scenario_id: int, project_ids: Collection[int],
                      expected_version: int | None) -> tuple[dict[int, EntryState], int]:
    """Take projects off the scenario's candidates; return their In and Pin (to put them back) and the version.

    Projects already gone from the list are passed over; when none of them is listed any longer,
    NotFoundError (someone else removed them).
    """
    scenario = _editable(session, scenario_id, expected_version)
    entries = session.scalars(select(ScenarioProject).where(ScenarioProject.scenario_id == scenario_id,
                                                            ScenarioProject.project_id.in_(list(project_ids))))
    removed: dict[int, EntryState] = {}
    for entry in entries:
        removed[entry.project_id] = EntryState(bool(entry.included), bool(entry.pinned))
        session.delete(entry)
    if not removed:
        raise NotFoundError("Those projects are no longer candidates of this scenario: open it again.")
    return removed, _touch(session, scenario)


def restore_candidates(session: Session, scenario_id: int, states: Mapping[int, EntryState],
                       expected_version: int | None) -> int:
    """Put removed candidates back with their In and Pin (the undo of ``remove_candidates``); return the version."""
    scenario = _editable(session, scenario_id, expected_version)
    listed = set(session.scalars(select(ScenarioProject.project_id).where(ScenarioProject.scenario_id == scenario_id)))
    known = set(session.scalars(select(Project.id).where(Project.id.in_(list(states)))))
    gone = [pid for pid in states if pid not in known]
    if gone:
        raise NotFoundError("Some of those projects have been deleted since, so they cannot be candidates again.")
    for project_id, state in states.items():
        if project_id not in listed:
            session.add(ScenarioProject(scenario_id=scenario_id, project_id=project_id, included=bool(state.included),
                                        pinned=bool(state.pinned)))
    return _touch(session, scenario)


def set_entries(session: Session, scenario_id: int, states: Mapping[int, EntryState],
                expected_version: int | None) -> int:
    """Set which candidates are in and which are pinned; return the scenario's new version."""
    scenario = _editable(session, scenario_id, expected_version)
    stored = {e.project_id: e for e in session.scalars(
        select(ScenarioProject).where(ScenarioProject.scenario_id == scenario_id))}
    missing = [pid for pid in states if pid not in stored]
    if missing:
        raise NotFoundError("Some projects are no longer candidates of this scenario: open it again.")
    for project_id, state in states.items():
        entry = stored[project_id]
        if entry.included != state.included or entry.pinned != state.pinned:
            entry.included, entry.pinned = bool(state.included), bool(state.pinned)
    return _touch(session, scenario)


def suggest(session: Session, scenario_id: int, today: dt.date | None = None) -> an.Suggestion:
    """The best set of the scenario's candidates under its cap, keeping its pins (nothing is saved)."""
    view = scenario_view(session, scenario_id, today)
    cap = view.scenario.budget_cap
    if cap is None:
        raise ValidationError(FieldError("budget_cap", "Set a budget cap before asking for a suggestion."))
    pinned_in = {e.project_id for e in view.entries if e.pinned and e.included}
    pinned_out = {e.project_id for e in view.entries if e.pinned and not e.included}
    return an.suggest([e.candidate for e in view.entries], cap, pinned_in, pinned_out,
                      load_settings(session).currency_symbol)


def apply_suggestion(session: Session, scenario_id: int, expected_version: int | None,
                     today: dt.date | None = None) -> tuple[an.Suggestion, int]:
    """Put the suggestion's projects in and the others out (pins stay); return it and the new version."""
    _editable(session, scenario_id, expected_version)
    suggestion = suggest(session, scenario_id, today)
    chosen = set(suggestion.chosen)
    states = {e.project_id: EntryState(e.project_id in chosen, e.pinned)
              for e in session.scalars(select(ScenarioProject).where(ScenarioProject.scenario_id == scenario_id))}
    return suggestion, set_entries(session, scenario_id, states, expected_version)


def compare(session: Session, scenario_ids: Sequence[int], today: dt.date | None = None) -> list[Comparison]:
    """Two or more scenarios' totals, entries and short roles, side by side."""
    if len(scenario_ids) < 2:
        raise ValidationError(FieldError("scenarios", "Choose at least two scenarios to compare."))
    result = []
    for scenario_id in scenario_ids:
        view = scenario_view(session, scenario_id, today)
        included = frozenset(e.project_id for e in view.entries if e.included)
        result.append(Comparison(view.scenario, view.fiscal_year_label, view.totals(included), included,
                                 tuple(r for r in view.loads(included) if r.short),
                                 {e.project_id: e.candidate.code for e in view.entries},
                                 tuple(view.cost_by_year(included))))
    return result


# -- approval ---------------------------------------------------------------------------------------

def approve(session: Session, scenario_id: int, expected_version: int | None, approved_by: str | None = None,
            today: dt.date | None = None) -> Approval:
    """Approve the scenario and move its chosen proposals to their next stage (see the module docstring)."""
    scenario = _editable(session, scenario_id, expected_version)
    today = today or dt.date.today()
    approver = (approved_by or "").strip() or get_audit_context(session).actor
    proposals = session.execute(
        select(Project.id, Project.code, Project.stage, Project.version)
        .join(ScenarioProject, ScenarioProject.project_id == Project.id)
        .where(ScenarioProject.scenario_id == scenario_id, ScenarioProject.included.is_(True),
               Project.stage.in_(PROPOSAL_STAGES))
        .order_by(Project.code)
    ).all()
    pmo = PmoType(load_settings(session).pmo_type)
    reason = f"Approved in scenario '{scenario.name}' by {approver}"
    if pmo is PmoType.DIRECTIVE:
        moves = _approve_through_reviews(session, proposals, approver, reason, today)
    else:
        moves = []
        for project_id, code, stage, version in proposals:
            gate = governance.next_gate(session, project_id)
            to_stage = gate.to_stage if gate is not None else _next_stage(stage)
            change = governance.change_stage_by_hand(session, project_id, to_stage, reason, version, pmo)
            moves.append(StageMove(project_id, code, stage, to_stage, None, change.stage_change_id))
    scenario.approved = True
    scenario.approved_by = approver
    scenario.approved_at = utcnow()
    flush_or_conflict(session, scenario)
    return Approval(scenario.id, scenario.version, tuple(_with_versions(session, m) for m in moves))


def _with_versions(session: Session, move: StageMove) -> StageMove:
    project = session.get(Project, move.project_id)
    review = session.get(GateReview, move.review_id) if move.review_id is not None else None
    return replace(move, project_version=project.version if project is not None else None,
                   review_version=review.version if review is not None else None)


def withdraw_approval(session: Session, approval: Approval) -> int:
    """Undo ``approve``: take back its stage moves and gate reviews, make the scenario editable; return its version.

    Refused (RuleError, nothing changed) when a moved project or a recorded review has changed
    since the approval, and (ConflictError) when the scenario itself has.
    """
    scenario = session.get(Scenario, approval.scenario_id, populate_existing=True)
    if scenario is None:
        raise ConflictError("scenario", approval.scenario_id, {}, {}, deleted=True)
    if not scenario.approved or scenario.version != approval.version:
        raise ConflictError("scenario", scenario.id, {}, {"name": scenario.name})
    changed = [move.code for move in approval.moves if _changed_since(session, move)]
    if changed:
        raise RuleError(
            f"The approval of '{scenario.name}' cannot be undone: {', '.join(changed)} changed after it "
            "(stage, figures or gate review), and taking the approval back would overwrite that. Move "
            "their stages back by hand in the Governance tab if they should go back."
        )
    for move in reversed(approval.moves):
        if move.review_id is not None:
            governance.delete_review(session, move.review_id, move.review_version)
        elif move.stage_change_id is not None:
            governance.undo_stage_change(session, move.stage_change_id)
    scenario.approved = False
    scenario.approved_by = None
    scenario.approved_at = None
    flush_or_conflict(session, scenario)
    return scenario.version


def _changed_since(session: Session, move: StageMove) -> bool:
    """Whether the project (or the review) the approval moved is no longer as the approval left it."""
    project = session.get(Project, move.project_id, populate_existing=True)
    if project is None or project.version != move.project_version or project.stage != move.to_stage:
        return True
    if move.review_id is not None:
        review = session.get(GateReview, move.review_id, populate_existing=True)
        return review is None or review.version != move.review_version
    return move.stage_change_id is None or session.get(StageChange, move.stage_change_id) is None


def _next_stage(stage: str) -> str:
    lifecycle = Stage.lifecycle()
    return lifecycle[lifecycle.index(Stage(stage)) + 1].value


def _approve_through_reviews(session: Session, proposals: Sequence, approver: str, reason: str,
                             today: dt.date) -> list[StageMove]:
    """Record an approved gate review per proposal, or refuse them all when any lacks its required criteria."""
    planned, blocked = [], []
    for project_id, code, stage, _version in proposals:
        gate = governance.next_gate(session, project_id)
        if gate is None:
            blocked.append(f"{code}: no gate leads out of {governance.stage_label(stage)}")
            continue
        checklist = {c.id for c in gate.criteria}
        results = tuple(r for r in _latest_results(session, project_id, gate.id) if r.criterion_id in checklist)
        unmet = governance.unmet_required(session, gate.id, results, project_id)
        if unmet:
            blocked.append(f"{code} at {gate.name}: {', '.join(unmet)}")
        planned.append((project_id, code, stage, gate, results))
    if blocked:
        raise RuleError(
            "Under a directive PMO a proposal moves only through an approved gate review, and these proposals "
            "have not met their gate's required criteria at a review: " + "; ".join(blocked)
            + ". Record their gate reviews in the Governance tab first, or take them out of the scenario."
        )
    moves = []
    for project_id, code, stage, gate, results in planned:
        outcome = governance.record_review(session, governance.ReviewValues(
            project_id=project_id, gate_id=gate.id, review_date=today, decision=Decision.APPROVED.value,
            decided_by=approver, reviewers="Portfolio board", notes=reason, results=results,
        ))
        change_id = outcome.stage_change.id if outcome.stage_change is not None else None
        moves.append(StageMove(project_id, code, stage, gate.to_stage, outcome.review_id, change_id))
    return moves


def _latest_results(session: Session, project_id: int, gate_id: int) -> tuple[governance.CriterionResultInput, ...]:
    """The criterion results of the project's latest review at the gate (none when never reviewed there)."""
    review_id = session.scalar(
        select(GateReview.id).where(GateReview.project_id == project_id, GateReview.gate_id == gate_id)
        .order_by(GateReview.review_date.desc(), GateReview.id.desc()).limit(1))
    if review_id is None:
        return ()
    rows = session.scalars(select(GateCriterionResult).where(GateCriterionResult.review_id == review_id)
                           .order_by(GateCriterionResult.criterion_id))
    return tuple(governance.CriterionResultInput(r.criterion_id, r.met, r.evidence) for r in rows)
