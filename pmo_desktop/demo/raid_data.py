"""The demo RAID log: project and portfolio items with the patterns a PMO is paid to spot.

Besides ordinary risks, assumptions, issues and dependencies spread over the projects, it plants
recurring cross-project risks (the same supplier in many projects), risks in the red corner of the
5x5 matrix, overdue and escalated items, dependencies between projects and risks that became issues.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..model import Escalation, RaidItem, RaidKind, RaidStatus, RiskResponse, Stage
from . import vocabulary as words
from .context import BuildContext, pounds
from .portfolio_data import ProjectPlan

_KIND_WEIGHTS = ((RaidKind.RISK, 0.45), (RaidKind.ISSUE, 0.22), (RaidKind.ASSUMPTION, 0.17),
                 (RaidKind.DEPENDENCY, 0.16))
_PREFIX = {RaidKind.RISK: "R", RaidKind.ASSUMPTION: "A", RaidKind.ISSUE: "I", RaidKind.DEPENDENCY: "D"}
_STAGE_WEIGHT = {Stage.EXECUTION: 3.0, Stage.PLANNING: 2.0, Stage.CLOSING: 1.5, Stage.ON_HOLD: 1.5,
                 Stage.APPROVED: 1.2, Stage.CLOSED: 0.8, Stage.BUSINESS_CASE: 0.7, Stage.CANCELLED: 0.5,
                 Stage.IDEA: 0.3}
_SCALE = (1, 2, 3, 4, 5)
_RESPONSES = ((RiskResponse.REDUCE, 0.5), (RiskResponse.AVOID, 0.15), (RiskResponse.ACCEPT, 0.15),
              (RiskResponse.TRANSFER, 0.12), (RiskResponse.SHARE, 0.08))
_PORTFOLIO_ITEMS = (
    words.RaidTemplate("risk", "Resourcing", "Portfolio over-committed against delivery capacity",
                       "Planned demand exceeds available capacity by about 15% over the next two quarters.",
                       "Portfolio board to re-sequence lower-priority starts."),
    words.RaidTemplate("risk", "Financial", "Capital budget may be reduced in the spending review",
                       "A reduction would force the pipeline to be re-prioritised.",
                       "Scenario plans prepared for a 10% and a 15% reduction."),
    words.RaidTemplate("risk", "Supplier", "Northwind Systems financial stability",
                       "Northwind Systems' latest accounts show falling cash reserves; several projects rely on them.",
                       "Credit check quarterly; step-in rights reviewed by legal."),
    words.RaidTemplate("issue", "Governance", "Benefits tracking not yet in place for closed projects",
                       "Closed projects are not reporting realised benefits to the board.",
                       "PMO to run benefits reviews six months after closure."),
    words.RaidTemplate("assumption", "Regulatory", "No new reporting obligations this financial year",
                       "The portfolio plan assumes no new statutory reporting.",
                       "Compliance to review the regulator's horizon scan quarterly."),
)


@dataclass(frozen=True, slots=True)
class _Placement:
    """Where an item goes and what it says."""

    plan: ProjectPlan | None
    template: words.RaidTemplate
    severe: bool = False
    keep_open: bool = False


def build_raid(ctx: BuildContext, plans: list[ProjectPlan], owners: list[str]) -> None:
    """About ``spec.raid_items`` RAID items over the projects and the portfolio."""
    builder = _RaidBuilder(ctx, plans, owners)
    placements = builder.portfolio_items() + builder.recurring_items()
    placements += builder.ordinary_items(max(0, ctx.spec.raid_items - len(placements)))
    rows = [builder.row(p) for p in placements]
    rows += builder.risks_that_became_issues(rows)
    # A risk that became an issue points at it: the issue must be inserted first.
    rows.sort(key=lambda row: row["became_item_id"] is not None)
    ctx.writer.insert(RaidItem, rows)


class _RaidBuilder:
    """Decides where items go (portfolio, recurring patterns, ordinary spread) and writes their rows."""

    def __init__(self, ctx: BuildContext, plans: list[ProjectPlan], owners: list[str]):
        self.ctx = ctx
        self.plans = plans
        self.by_id = {p.id: p for p in plans}
        self.owners = owners
        self.running = [p for p in plans if p.stage.is_active or p.stage is Stage.ON_HOLD]
        self.providers = [p for p in self.running if p.programme.prefix.startswith(("DAT", "WPT", "CYB"))] \
            or self.running
        self.refs: dict[tuple[str, str], int] = {}
        self.templates = {kind: [t for t in words.RAID_TEMPLATES if t.kind == kind.value] for kind in RaidKind}

    # --- where items go ---------------------------------------------------------------------------

    def portfolio_items(self) -> list[_Placement]:
        count = max(len(_PORTFOLIO_ITEMS), round(self.ctx.spec.raid_items * 0.01))
        return [_Placement(None, _PORTFOLIO_ITEMS[i % len(_PORTFOLIO_ITEMS)], keep_open=True) for i in range(count)]

    def recurring_items(self) -> list[_Placement]:
        placements = []
        for risk in words.RECURRING_RISKS:
            wanted = max(6 if risk.severe else 3, round(risk.share * len(self.running)))
            template = words.RaidTemplate("risk", risk.category, risk.title, risk.description, risk.mitigation)
            for plan in self.ctx.rng.sample(self.running, min(wanted, len(self.running))):
                placements.append(_Placement(plan, template, severe=risk.severe, keep_open=True))
        return placements

    def ordinary_items(self, count: int) -> list[_Placement]:
        weights = [_STAGE_WEIGHT[p.stage] for p in self.plans]
        chosen = self.ctx.rng.choices(self.plans, weights, k=count)
        placements = []
        for plan in chosen:
            kind = self.ctx.weighted(_KIND_WEIGHTS)
            placements.append(_Placement(plan, self.ctx.rng.choice(self.templates[kind]),
                                         severe=kind is RaidKind.RISK and self.ctx.chance(0.06)))
        return placements

    # --- rows -------------------------------------------------------------------------------------

    def _ref(self, plan: ProjectPlan | None, kind: RaidKind) -> str:
        """The next free ref of this kind in the project (or the portfolio): R001, I002, PF-R003..."""
        key = (RaidItem.scope_key_for(plan.id if plan else None), _PREFIX[kind])
        while True:
            self.refs[key] = self.refs.get(key, 0) + 1
            ref = f"{'PF-' if plan is None else ''}{_PREFIX[kind]}{self.refs[key]:03d}"
            if plan is not None or ref not in self.ctx.existing.portfolio_refs:
                return ref

    def row(self, placement: _Placement) -> dict:
        ctx, rng, today = self.ctx, self.ctx.rng, self.ctx.today
        plan, template = placement.plan, placement.template
        kind = RaidKind(template.kind)
        raised = self._raised(plan)
        due = raised + ctx.days(14, 120)
        finished = plan is not None and plan.stage in (Stage.CLOSED, Stage.CANCELLED)
        if finished:
            status = RaidStatus.CLOSED
        elif placement.keep_open:
            status = ctx.weighted([(RaidStatus.OPEN, 0.6), (RaidStatus.IN_PROGRESS, 0.4)])
        else:
            status = ctx.weighted([(RaidStatus.OPEN, 0.5), (RaidStatus.IN_PROGRESS, 0.3), (RaidStatus.CLOSED, 0.2)])
        closed_on = None
        if status is RaidStatus.CLOSED:
            end = min(today - dt.timedelta(days=1), plan.reporting_until if plan and plan.reporting_until else today)
            closed_on = raised + dt.timedelta(days=rng.randint(0, max(0, (end - raised).days)))
        likelihood, impact = self._scores(kind, placement.severe)
        score = (likelihood or 5) * (impact or 0)
        other = None
        milestone_id = None
        if kind is RaidKind.DEPENDENCY:
            other = self._provider(plan)
            pending = [m for m in other.milestones if m.actual is None]
            if pending and ctx.chance(0.5):
                milestone_id = pending[0].id
        name = plan.name if plan else "the portfolio"
        overdue = status is not RaidStatus.CLOSED and due < today
        escalation, rule = self._escalation(kind, score, overdue)
        budget = float(plan.budget) if plan else 2_000_000.0
        cost = None
        if kind in (RaidKind.RISK, RaidKind.ISSUE) and ctx.chance(0.7):
            cost = pounds(budget * (impact or 1) * rng.uniform(0.002, 0.02), 500)
        owner = self._owner(plan, score, status)
        reviewed = closed_on or max(raised, today - (ctx.days(90, 240) if ctx.chance(0.15) else ctx.days(0, 45)))
        return {
            "id": ctx.writer.new_id(RaidItem), "project_id": plan.id if plan else None,
            "scope_key": RaidItem.scope_key_for(plan.id if plan else None), "ref": self._ref(plan, kind),
            "kind": kind.value, "title": template.title,
            "description": template.description.format(project=name, other=other.name if other else "another project"),
            "category": template.category, "owner": owner, "raised": raised, "due": due,
            "likelihood": likelihood, "impact": impact, "cost_impact": cost, "status": status.value,
            "response": ctx.weighted(_RESPONSES).value if kind is RaidKind.RISK else None,
            "mitigation": template.mitigation, "escalation": escalation.value, "escalation_rule": rule,
            "depends_on_project_id": other.id if other else None, "depends_on_milestone_id": milestone_id,
            "became_item_id": None, "last_reviewed": min(reviewed, today), "closed_on": closed_on,
        }

    def _raised(self, plan: ProjectPlan | None) -> dt.date:
        today = self.ctx.today
        if plan is None:
            earliest = today - dt.timedelta(days=300)
        else:
            earliest = max(plan.transitions[0][1], (plan.actual_start or today) - dt.timedelta(days=30),
                           today - dt.timedelta(days=540))
        latest = min(today - dt.timedelta(days=1), plan.reporting_until if plan and plan.reporting_until else today)
        earliest = min(earliest, latest)
        return earliest + dt.timedelta(days=self.ctx.rng.randint(0, (latest - earliest).days))

    def _scores(self, kind: RaidKind, severe: bool) -> tuple[int | None, int | None]:
        rng = self.ctx.rng
        if severe:
            return (5, 5) if rng.random() < 0.25 else (rng.choice((4, 5)), rng.choice((4, 5)))
        spread = rng.choices(_SCALE, (0.15, 0.25, 0.3, 0.2, 0.1))[0]
        impact = rng.choices(_SCALE, (0.1, 0.25, 0.3, 0.22, 0.13))[0]
        if kind is RaidKind.ISSUE:
            return None, impact  # an issue has already happened: only its impact matters
        if kind is RaidKind.ASSUMPTION:
            return min(spread, 4), impact
        return spread, impact

    def _escalation(self, kind: RaidKind, score: int, overdue: bool) -> tuple[Escalation, str | None]:
        ctx = self.ctx
        if score >= 20 and ctx.chance(0.85):
            level = ctx.weighted([(Escalation.PORTFOLIO, 0.55), (Escalation.PROGRAMME, 0.45)])
            return level, "Score 20 or more escalates above the project"
        if score >= 15 and ctx.chance(0.4):
            return Escalation.PROGRAMME, "Score 15 or more goes to the programme board"
        if kind is RaidKind.ISSUE and overdue and ctx.chance(0.3):
            return Escalation.PROGRAMME, "Issue overdue by more than 14 days"
        return Escalation.PROJECT, None

    def _owner(self, plan: ProjectPlan | None, score: int, status: RaidStatus) -> str | None:
        ctx = self.ctx
        if status is not RaidStatus.CLOSED and score >= 15 and ctx.chance(0.05):
            return None  # nobody has picked it up: the compliance check should find it
        if plan is None:
            return ctx.rng.choice(words.SPONSORS)
        if plan.manager and ctx.chance(0.4):
            return plan.manager
        return ctx.rng.choice(self.owners)

    def _provider(self, plan: ProjectPlan | None) -> ProjectPlan:
        candidates = [p for p in self.ctx.rng.sample(self.providers, min(5, len(self.providers)))
                      if plan is None or p.id != plan.id]
        if candidates:
            return candidates[0]
        return next(p for p in self.plans if plan is None or p.id != plan.id)

    def risks_that_became_issues(self, rows: list[dict]) -> list[dict]:
        """Some closed risks turned into issues: write the issue and link the risk to it."""
        issues = []
        for risk in rows:
            if risk["kind"] != RaidKind.RISK.value or risk["status"] != RaidStatus.CLOSED.value \
                    or risk["project_id"] is None or not self.ctx.chance(0.15):
                continue
            plan = self.by_id[risk["project_id"]]
            issue = dict(risk)
            issue.update(
                id=self.ctx.writer.new_id(RaidItem), ref=self._ref(plan, RaidKind.ISSUE), kind=RaidKind.ISSUE.value,
                title=f"{risk['title']} (materialised)", likelihood=None, response=None,
                raised=risk["closed_on"], due=risk["closed_on"] + self.ctx.days(14, 60),
                status=RaidStatus.CLOSED.value if plan.stage in (Stage.CLOSED, Stage.CANCELLED)
                else RaidStatus.IN_PROGRESS.value,
                closed_on=risk["closed_on"] if plan.stage in (Stage.CLOSED, Stage.CANCELLED) else None,
                last_reviewed=risk["closed_on"],
            )
            risk["became_item_id"] = issue["id"]
            issues.append(issue)
        return issues
