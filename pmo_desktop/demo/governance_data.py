"""Gate reviews, stage changes, strategic scores and scenarios of the demo office.

Every stage a project entered has a stage change; most have the gate review that allowed it
(some preceded by a deferral), a few were moved by hand without one (for the compliance check to
find), cancelled proposals were rejected at their gate, and approvals with conditions carry
conditions with owners and due dates, some overdue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..model import (
    Decision,
    GateCondition,
    GateCriterionResult,
    GateReview,
    ProjectScore,
    Scenario,
    ScenarioProject,
    Stage,
    StageChange,
)
from . import vocabulary as words
from .context import BuildContext, clamp, pounds
from .portfolio_data import ProjectPlan


@dataclass(frozen=True, slots=True)
class GateRef:
    """A gate as stored by ``ensure_defaults``: id, stages and its criteria (id, name, required, methodology)."""

    id: int
    name: str
    from_stage: str
    to_stage: str
    criteria: tuple[tuple[int, str, bool, str | None], ...]

    def checklist(self, methodology: str) -> list[tuple[int, str, bool]]:
        """The criteria a project of ``methodology`` is reviewed against (id, name, required)."""
        return [(cid, name, required) for cid, name, required, only in self.criteria if only in (None, methodology)]


@dataclass(frozen=True, slots=True)
class CriterionRef:
    """A strategic criterion as stored: id, name and weight."""

    id: int
    name: str
    weight: float


_BOARDS = ("Portfolio Board", "Investment Committee", "Design Authority and Portfolio Board",
           "Change Advisory Board")


class _GovernanceWriter:
    """Collects review, result, condition and stage-change rows, then writes them in FK order."""

    def __init__(self, ctx: BuildContext, gates: list[GateRef]):
        self.ctx = ctx
        self.gates = {g.to_stage: g for g in gates}
        self.reviews: list[dict] = []
        self.results: list[dict] = []
        self.conditions: list[dict] = []
        self.changes: list[dict] = []

    def write(self) -> None:
        writer = self.ctx.writer
        writer.insert(GateReview, self.reviews)
        writer.insert(GateCriterionResult, self.results)
        writer.insert(GateCondition, self.conditions)
        writer.insert(StageChange, self.changes)

    def project(self, plan: ProjectPlan, skip_gate: bool) -> None:
        """Reviews and stage changes for every transition the project made."""
        ctx = self.ctx
        previous: Stage | None = None
        previous_day: dt.date | None = None
        skipped_index = ctx.rng.randrange(1, len(plan.transitions)) if skip_gate and len(plan.transitions) > 1 else None
        for index, (stage, day) in enumerate(plan.transitions):
            review_id = None
            reason = "Idea registered with the PMO" if previous is None else None
            gate = self.gates.get(stage.value)
            if previous is not None and gate is not None:
                if index == skipped_index:
                    reason = "Moved on by hand ahead of the board; gate review to follow"
                else:
                    if ctx.chance(0.12):  # sent back once before it passed
                        deferred_on = max(day - ctx.days(21, 45), previous_day + dt.timedelta(days=1))
                        self.review(plan, gate, min(deferred_on, day), Decision.DEFERRED)
                    decision = ctx.weighted([(Decision.APPROVED, 0.6), (Decision.APPROVED_WITH_CONDITIONS, 0.4)])
                    review_id = self.review(plan, gate, day, decision)
                    reason = f"{gate.name}: {decision.label.lower()}"
            self.change(plan, previous, stage, day, review_id, reason)
            previous, previous_day = stage, day
        if plan.stood_aside is not None:
            self._stand_aside(plan, previous)
        elif plan.stage is Stage.BUSINESS_CASE and ctx.chance(0.25):
            gate = self.gates.get(Stage.APPROVED.value)
            if gate is not None:  # submitted for approval and sent back for more work
                self.review(plan, gate, ctx.today - ctx.days(1, 20), Decision.DEFERRED)

    def _stand_aside(self, plan: ProjectPlan, previous: Stage | None) -> None:
        stage, day = plan.stood_aside
        review_id = None
        if stage is Stage.CANCELLED and plan.cancelled_as_proposal:
            gate = self.gates.get(Stage.APPROVED.value)
            if gate is not None:
                review_id = self.review(plan, gate, day, Decision.REJECTED)
            reason = "Business case rejected: benefits do not justify the cost"
        elif stage is Stage.CANCELLED:
            reason = "Sponsor withdrew funding after re-prioritisation"
        else:
            reason = self.ctx.rng.choice(("Paused pending the spending review", "Paused: key supplier in dispute",
                                          "Paused to release staff to a regulatory deadline"))
        self.change(plan, previous, stage, day, review_id, reason)

    def change(self, plan: ProjectPlan, from_stage: Stage | None, to_stage: Stage, day: dt.date,
               review_id: int | None, reason: str | None) -> None:
        self.changes.append({
            "id": self.ctx.writer.new_id(StageChange), "project_id": plan.id,
            "from_stage": from_stage.value if from_stage else None, "to_stage": to_stage.value,
            "changed_on": day, "changed_by": plan.manager or "PMO", "review_id": review_id, "reason": reason,
        })

    def review(self, plan: ProjectPlan, gate: GateRef, day: dt.date, decision: Decision) -> int:
        ctx = self.ctx
        review_id = ctx.writer.new_id(GateReview)
        unmet = self._results(plan, gate, review_id, decision)
        notes = {
            Decision.APPROVED: "All required criteria met.",
            Decision.APPROVED_WITH_CONDITIONS: "Approved subject to the conditions recorded.",
            Decision.DEFERRED: f"Deferred: {', '.join(unmet) or 'more evidence needed'}. Return to the next board.",
            Decision.REJECTED: "Rejected: the case does not meet the investment threshold.",
        }[decision]
        self.reviews.append({
            "id": review_id, "project_id": plan.id, "gate_id": gate.id, "review_date": day,
            "reviewers": ctx.rng.choice(_BOARDS), "decision": decision.value, "decided_by": plan.sponsor,
            "notes": notes,
        })
        if decision is Decision.APPROVED_WITH_CONDITIONS:
            for text in ctx.rng.sample(words.CONDITIONS, ctx.rng.randint(1, 3)):
                self._condition(plan, review_id, day, text)
        return review_id

    def _results(self, plan: ProjectPlan, gate: GateRef, review_id: int, decision: Decision) -> list[str]:
        """One result per criterion of the project's checklist; which are met follows from the decision.

        Returns the unmet names.
        """
        ctx = self.ctx
        checklist = gate.checklist(plan.methodology.value)
        required = [c for c in checklist if c[2]]
        must_fail = set()
        if decision is Decision.DEFERRED and required:
            must_fail = {ctx.rng.choice(required)[0]}
        elif decision is Decision.REJECTED:
            must_fail = {c[0] for c in ctx.rng.sample(required, min(2, len(required)))}
        unmet = []
        for criterion_id, name, is_required in checklist:
            if criterion_id in must_fail:
                met = False
            elif decision is Decision.APPROVED:
                met = is_required or ctx.chance(0.8)
            else:
                met = ctx.chance(0.9 if is_required else 0.6)
            if not met:
                unmet.append(name)
            self.results.append({
                "id": ctx.writer.new_id(GateCriterionResult), "review_id": review_id,
                "criterion_id": criterion_id, "met": met, "evidence": self._evidence(plan, name, met),
            })
        return unmet

    def _evidence(self, plan: ProjectPlan, criterion: str, met: bool) -> str:
        if not met:
            return self.ctx.rng.choice(("Not provided.", "Draft only; final version to follow.",
                                        "Incomplete: sections on costs missing."))
        document = words.EVIDENCE_DOCS.get(criterion, f"{criterion}.docx").format(v=self.ctx.rng.randint(1, 4))
        return f"SharePoint > PMO > {plan.code} > {document}"

    def _condition(self, plan: ProjectPlan, review_id: int, day: dt.date, text: str) -> None:
        ctx = self.ctx
        due = day + ctx.days(14, 60)
        met_on = None
        if due < ctx.today and ctx.chance(0.6):
            met_on = min(ctx.today, day + ctx.days(7, max(8, (due - day).days + 10)))
        elif due >= ctx.today and ctx.chance(0.2):
            met_on = min(ctx.today, day + ctx.days(3, 14))
        self.conditions.append({
            "id": ctx.writer.new_id(GateCondition), "review_id": review_id, "text": text,
            "owner": plan.manager if plan.manager and ctx.chance(0.7) else plan.sponsor, "due": due,
            "met_on": met_on,
        })


def build_governance(ctx: BuildContext, plans: list[ProjectPlan], gates: list[GateRef]) -> None:
    """Gate reviews with results and conditions, and the stage changes they allowed."""
    writer = _GovernanceWriter(ctx, gates)
    skipping = max(1, round(len(plans) * 0.03))
    candidates = [p for p in plans if len(p.transitions) >= 3 and p.stood_aside is None]
    skippers = {p.id for p in ctx.rng.sample(candidates, min(skipping, len(candidates)))}
    for plan in plans:
        writer.project(plan, skip_gate=plan.id in skippers)
    writer.write()


# --- strategy --------------------------------------------------------------------------------------

def build_scores(ctx: BuildContext, plans: list[ProjectPlan], criteria: list[CriterionRef]) -> dict[int, float]:
    """Scores 0-5 for proposals and live projects; returns each scored project's weighted score."""
    rows, weighted = [], {}
    total_weight = sum(c.weight for c in criteria) or 1.0
    for plan in plans:
        if plan.stage in (Stage.CLOSED, Stage.CANCELLED):
            continue
        base = 5 - (plan.priority - 1) * 0.45  # priority 1 scores about 5, priority 9 about 1.4
        total = 0.0
        for criterion in criteria:
            value = base + ctx.rng.uniform(-1.2, 1.0)
            if criterion.name == "Regulatory":
                value = 4.5 if plan.programme.prefix.startswith("REG") else ctx.rng.uniform(0, 2.5)
            score = round(clamp(value, 0, 5) * 2) / 2
            total += score * criterion.weight
            rows.append({"id": ctx.writer.new_id(ProjectScore), "project_id": plan.id,
                         "criterion_id": criterion.id, "score": score})
        weighted[plan.id] = total / total_weight
    ctx.writer.insert(ProjectScore, rows)
    return weighted


def build_scenarios(ctx: BuildContext, plans: list[ProjectPlan], weighted: dict[int, float]) -> None:
    """Two what-ifs over the pipeline: a base plan and a 15% savings case with regulatory work pinned."""
    candidates = [p for p in plans if p.stage in (Stage.IDEA, Stage.BUSINESS_CASE, Stage.APPROVED, Stage.PLANNING)]
    candidates.sort(key=lambda p: (-weighted.get(p.id, 0.0), p.code))
    pipeline = sum(float(p.budget) for p in candidates)
    fiscal_year = ctx.today.year if ctx.today.month >= 4 else ctx.today.year - 1
    scenario_rows, entry_rows = [], []
    for index, (name, notes, factor) in enumerate(words.SCENARIOS):
        cap = pounds(pipeline * 0.7 * factor, 100_000)
        scenario_id = ctx.writer.new_id(Scenario)
        approved = index == 0
        title = f"FY{fiscal_year % 100}/{(fiscal_year + 1) % 100} {name}"
        number = 2
        while title in ctx.existing.scenario_names:
            title = f"FY{fiscal_year % 100}/{(fiscal_year + 1) % 100} {name} ({number})"
            number += 1
        scenario_rows.append({
            "id": scenario_id, "name": title,
            "budget_cap": cap, "fiscal_year": fiscal_year, "notes": notes, "approved": approved,
            "approved_by": words.SPONSORS[0] if approved else None,
            "approved_at": dt.datetime.combine(ctx.today - dt.timedelta(days=14), dt.time(10, 0), tzinfo=dt.UTC)
            if approved else None,
        })
        spent = 0.0
        for plan in candidates:
            pinned = factor < 1 and plan.programme.prefix.startswith("REG")
            included = pinned or spent + float(plan.budget) <= float(cap)
            if included:
                spent += float(plan.budget)
            entry_rows.append({"id": ctx.writer.new_id(ScenarioProject), "scenario_id": scenario_id,
                               "project_id": plan.id, "included": included, "pinned": pinned})
    ctx.writer.insert(Scenario, scenario_rows)
    ctx.writer.insert(ScenarioProject, entry_rows)
