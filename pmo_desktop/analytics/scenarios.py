"""A scenario's figures and the "Suggest" knapsack (no Qt).

Cost in the fiscal year: each project's budget is spread evenly over the calendar months of its
baseline (start month to end month inclusive), and the months falling in the fiscal year are
summed. Fiscal year ``2026`` with the office's start month 4 runs from 1 April 2026 to 31 March
2027. A project without baseline dates has its whole budget counted in the year (the cautious
reading of a proposal not yet planned); a project without a budget costs nothing and says so.

Demand per role: the hours each candidate adds on each role over the fiscal year's weeks, from
its unfilled demands and its allocations (the allocated person's role), counted with the
resources counting rule (``analytics.resources``: working days, public holidays give none). They
are set against the role's available hours over the same weeks and the hours already committed
to projects that are not candidates of the scenario.

Suggest: an exact 0/1 knapsack that maximises the summed weighted score of the chosen projects
with their fiscal-year cost, in whole thousands of the currency rounded up, within the cap in
whole thousands rounded down (so the chosen set never exceeds the cap in real money). Pinned-in
projects are taken first and use up cap; pinned-out ones are never chosen. Among sets of the same
score the cheapest wins; among those, candidates earlier in code order. A reduction by linear
bounds fixes most candidates first and a numpy dynamic programme over cost settles the rest.
Measured here on the shared 2-core machine, 2,000 candidates costing 50k to 5m under a cap of
70% of their total (3.5 million thousands): 0.02-0.07 s with scores unrelated to cost, as
weighted scores are; the same run with values proportional to cost (the hard case for the
reduction) took 5 s with costs in steps of 5k and 52 s in steps of 1k. So that a caller can run
it in the background, ``suggest`` and ``knapsack`` take a ``stop`` callback, asked between the
items of the dynamic programme, which gives up by raising ``Cancelled``, and a ``report``
callback told how many of those items are done. In the 1k-step hard case above the items run
about 20 ms apart: a cancel took 15 ms, and a thread sleeping beside it woke at most 12 ms late.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import reduce
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import Allocation, Demand, Person, Project, Role
from ..model.database import load_settings
from ..services.scoring import weighted_scores
from .resources import WORKING_DAYS, holidays_between, person_rows, roll_up, week_days, week_start

if TYPE_CHECKING:
    import numpy as np

THOUSAND = Decimal(1000)
#: Weighted scores are compared as whole ten-thousandths, so that equal sums are equal exactly.
SCORE_SCALE = 10_000

#: Asked between steps of Suggest: True means give up (``Cancelled``).
StopFn = Callable[[], bool]
#: Told ``(done, total)`` steps of Suggest as they finish.
ReportFn = Callable[[int, int], None]


class Cancelled(Exception):  # noqa: N818 - reads as "raise Cancelled"
    """Suggest gave up because its ``stop`` callback asked it to; nothing was chosen."""


# -- the fiscal year --------------------------------------------------------------------------------

def fiscal_year_bounds(fiscal_year: int, start_month: int) -> tuple[dt.date, dt.date]:
    """The first and last day of ``fiscal_year`` (named by the calendar year it starts in)."""
    first = dt.date(fiscal_year, start_month, 1)
    next_first = dt.date(fiscal_year + 1, start_month, 1)
    return first, next_first - dt.timedelta(days=1)


def fiscal_year_of(day: dt.date, start_month: int) -> int:
    """The fiscal year ``day`` falls in."""
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year_label(fiscal_year: int, start_month: int) -> str:
    """"FY2026" for a calendar fiscal year, "FY26/27" for one that starts in another month."""
    if start_month == 1:
        return f"FY{fiscal_year}"
    return f"FY{fiscal_year % 100:02d}/{(fiscal_year + 1) % 100:02d}"


def _months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def cost_in_year(budget: Decimal | None, start: dt.date | None, end: dt.date | None,
                 first: dt.date, last: dt.date) -> Decimal:
    """The share of ``budget`` spent from ``first`` to ``last``, spread evenly over the baseline months."""
    if not budget:
        return Decimal(0)
    if start is None or end is None or end < start:
        return Decimal(budget)
    months = _months(start, end)
    lo = max(start.replace(day=1), first.replace(day=1))
    hi = min(end.replace(day=1), last.replace(day=1))
    inside = _months(lo, hi) if hi >= lo else 0
    return (Decimal(budget) * inside / months).quantize(Decimal("0.01"))


def cost_by_year(chosen: Sequence[Candidate], first_year: int, years: int,
                 start_month: int) -> list[tuple[int, Decimal]]:
    """Each fiscal year from ``first_year`` on, and what ``chosen`` cost in it, by the same spread.

    A project without baseline dates counts whole in ``first_year`` only (as in the scenario's
    own year), so that the years add up to no more than the budgets.
    """
    result = []
    for year in range(first_year, first_year + years):
        first, last = fiscal_year_bounds(year, start_month)
        total = Decimal(0)
        for c in chosen:
            if c.baseline_start is None or c.baseline_end is None:
                total += Decimal(c.budget or 0) if year == first_year else Decimal(0)
            else:
                total += cost_in_year(c.budget, c.baseline_start, c.baseline_end, first, last)
        result.append((year, total))
    return result


# -- candidates -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Candidate:
    """A project a scenario may include, with what it costs in the year and scores."""

    project_id: int
    code: str
    name: str
    stage: str
    budget: Decimal | None
    year_cost: Decimal
    benefits: Decimal | None
    score: float | None
    baseline_start: dt.date | None
    baseline_end: dt.date | None

    @property
    def value_per_cost(self) -> float | None:
        """Weighted score per million of cost in the year (None when free or unscored)."""
        if self.score is None or self.year_cost <= 0:
            return None
        return self.score / (float(self.year_cost) / 1_000_000)

    @property
    def cost_note(self) -> str | None:
        """Why the cost in the year is not a share of a baselined budget, when it is not."""
        if not self.budget:
            return "no budget recorded: counted as costing nothing"
        if self.baseline_start is None or self.baseline_end is None:
            return "no baseline dates: the whole budget is counted in the year"
        return None


def candidates(session: Session, project_ids: Collection[int], fiscal_year: int,
               start_month: int | None = None) -> list[Candidate]:
    """The projects ``project_ids`` as candidates costed in ``fiscal_year``, by code."""
    if start_month is None:
        start_month = load_settings(session).fiscal_year_start_month
    first, last = fiscal_year_bounds(fiscal_year, start_month)
    scores = weighted_scores()
    query = (
        select(Project.id, Project.code, Project.name, Project.stage, Project.budget, Project.benefits,
               scores.c.weighted, Project.baseline_start, Project.baseline_end)
        .outerjoin(scores, scores.c.project_id == Project.id)
        .where(Project.id.in_(list(project_ids)))
        .order_by(Project.code)
    )
    return [
        Candidate(pid, code, name, stage, budget, cost_in_year(budget, start, end, first, last), benefits,
                  float(weighted) if weighted is not None else None, start, end)
        for pid, code, name, stage, budget, benefits, weighted, start, end in session.execute(query)
    ]


# -- demand per role --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RoleLoad:
    """One role over the fiscal year: hours available, committed elsewhere, and added by the scenario."""

    role: str
    available: float
    committed: float
    added: float

    @property
    def remaining(self) -> float:
        """Hours left after the committed work and the scenario's (negative: short)."""
        return self.available - self.committed - self.added

    @property
    def load(self) -> float | None:
        """(committed + added) / available; None when the role has no hours available."""
        return (self.committed + self.added) / self.available if self.available > 0 else None

    @property
    def short(self) -> bool:
        return self.remaining < 0


@dataclass(frozen=True, slots=True)
class ResourceBase:
    """What the roles have over the year and what each candidate would add, read once per scenario."""

    available: dict[str, float]
    #: Hours allocated to projects that are not candidates, per role.
    committed: dict[str, float]
    #: Hours per role each candidate adds (its demands and allocations), by project id.
    added: dict[int, dict[str, float]]

    def loads(self, included: Iterable[int]) -> list[RoleLoad]:
        """Every role with hours available or demanded, most short first."""
        added: dict[str, float] = {}
        for project_id in included:
            for role, hours in self.added.get(project_id, {}).items():
                added[role] = added.get(role, 0.0) + hours
        roles = set(self.available) | set(self.committed) | set(added)
        rows = [RoleLoad(role, self.available.get(role, 0.0), self.committed.get(role, 0.0), added.get(role, 0.0))
                for role in roles]
        return sorted(rows, key=lambda r: (r.remaining, r.role.lower()))


def _working_days_prefix(first: dt.date, weeks: int, holidays: Collection[dt.date]) -> tuple[dt.date, list[int]]:
    """Cumulative working days from the Monday of ``first``: ``prefix[n]`` counts the days before day n."""
    monday = week_start(first)
    prefix = [0]
    for w in range(weeks):
        for day in week_days(monday + dt.timedelta(weeks=w)):
            prefix.append(prefix[-1] + (day not in holidays))
        prefix.extend([prefix[-1], prefix[-1]])  # Saturday and Sunday
    return monday, prefix


def resource_base(session: Session, candidate_ids: Collection[int], fiscal_year: int,
                  start_month: int | None = None) -> ResourceBase:
    """Role hours over the fiscal year's weeks: available, committed to non-candidates, added by each candidate."""
    if start_month is None:
        start_month = load_settings(session).fiscal_year_start_month
    first, last = fiscal_year_bounds(fiscal_year, start_month)
    weeks = (week_start(last) - week_start(first)).days // 7 + 1
    _mondays, people, holidays = person_rows(session, first, weeks)
    available = {row.label: row.total_available for row in roll_up(people, "role")}
    monday, prefix = _working_days_prefix(first, weeks, holidays | holidays_between(session, first, last))
    window_last = monday + dt.timedelta(days=len(prefix) - 2)

    def hours(per_week: float, start: dt.date, end: dt.date) -> float:
        lo, hi = max(start, monday), min(end, window_last)
        if hi < lo:
            return 0.0
        days = prefix[(hi - monday).days + 1] - prefix[(lo - monday).days]
        return float(per_week) * days / WORKING_DAYS

    wanted = set(candidate_ids)
    committed: dict[str, float] = {}
    added: dict[int, dict[str, float]] = {}
    allocations = (
        select(Allocation.project_id, Role.name, Allocation.hours_per_week, Allocation.start_date, Allocation.end_date)
        .join(Person, Person.id == Allocation.person_id)
        .join(Role, Role.id == Person.role_id)
        .where(Allocation.start_date <= window_last, Allocation.end_date >= monday)
    )
    for project_id, role, per_week, start, end in session.execute(allocations):
        h = hours(per_week, start, end)
        if project_id in wanted:
            roles = added.setdefault(project_id, {})
            roles[role] = roles.get(role, 0.0) + h
        else:
            committed[role] = committed.get(role, 0.0) + h
    if wanted:
        demands = (
            select(Demand.project_id, Role.name, Demand.hours_per_week, Demand.start_date, Demand.end_date)
            .join(Role, Role.id == Demand.role_id)
            .where(Demand.project_id.in_(list(wanted)), Demand.start_date <= window_last, Demand.end_date >= monday)
        )
        for project_id, role, per_week, start, end in session.execute(demands):
            roles = added.setdefault(project_id, {})
            roles[role] = roles.get(role, 0.0) + hours(per_week, start, end)
    return ResourceBase(available, committed, added)


# -- totals -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ScenarioTotals:
    """What the included projects add up to, against the cap."""

    projects: int
    cost: Decimal
    cap: Decimal | None
    score: float
    #: Summed benefits of the included projects that recorded any; None when none did.
    benefits: Decimal | None
    unscored: int

    @property
    def headroom(self) -> Decimal | None:
        """Cap minus cost (negative: over the cap); None without a cap."""
        return None if self.cap is None else self.cap - self.cost

    @property
    def over_cap(self) -> bool:
        return self.cap is not None and self.cost > self.cap


def totals(chosen: Sequence[Candidate], cap: Decimal | None) -> ScenarioTotals:
    """Cost in the year, weighted score and benefits of ``chosen``."""
    recorded = [c.benefits for c in chosen if c.benefits is not None]
    return ScenarioTotals(
        projects=len(chosen),
        cost=sum((c.year_cost for c in chosen), Decimal(0)),
        cap=cap,
        score=sum(c.score or 0.0 for c in chosen),
        benefits=sum(recorded, Decimal(0)) if recorded else None,
        unscored=sum(1 for c in chosen if c.score is None),
    )


# -- suggest ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Reason:
    """Why one candidate is in or out of the suggestion."""

    project_id: int
    code: str
    included: bool
    text: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The best set under the cap, and why each candidate is in or out."""

    chosen: tuple[int, ...]
    reasons: tuple[Reason, ...]
    totals: ScenarioTotals
    summary: str
    #: Pinned-in projects alone cost more than the cap.
    pins_over_cap: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def reason(self, project_id: int) -> Reason | None:
        return next((r for r in self.reasons if r.project_id == project_id), None)


def thousands_up(amount: Decimal) -> int:
    """``amount`` in whole thousands, rounded up."""
    return int((Decimal(amount) / THOUSAND).to_integral_value(rounding=ROUND_CEILING))


def thousands_down(amount: Decimal) -> int:
    """``amount`` in whole thousands, rounded down."""
    return int((Decimal(amount) / THOUSAND).to_integral_value(rounding=ROUND_FLOOR))


def knapsack(costs: Sequence[int], values: Sequence[int], capacity: int, *, stop: StopFn | None = None,
             report: ReportFn | None = None) -> list[int]:
    """Indices of the items maximising the summed value with summed cost at most ``capacity``.

    Exact 0/1 knapsack. Costs and values are non-negative whole numbers. Of the best sets, the
    cheapest is returned; among equally cheap ones, the one keeping earlier items. ``stop`` is
    asked before each item of the dynamic programme (True raises ``Cancelled``); ``report`` is
    told how many of its items are done, of how many.

    Before the dynamic programme, the classic reduction fixes every item whose other choice
    cannot reach the value of the greedy solution even in the linear relaxation (Dantzig's
    bound): every best set then agrees on it, so the answer stays exact, and the programme runs
    on the few items left near the critical one with only their total cost as table width.
    """
    n = len(costs)
    if n == 0 or capacity < 0:
        return []
    free = [i for i in range(n) if costs[i] == 0 and values[i] > 0]
    live = [i for i in range(n) if 0 < costs[i] <= capacity and values[i] > 0]
    fixed_in, core = _reduce(live, costs, values, capacity)
    room = capacity - sum(costs[i] for i in fixed_in)
    picked = [core[k] for k in _dynamic_programme([costs[i] for i in core], [values[i] for i in core], room,
                                                  stop, report)]
    return sorted(free + fixed_in + picked)


def _reduce(items: list[int], costs: Sequence[int], values: Sequence[int], capacity: int) -> tuple[list[int], list[int]]:
    """Split ``items`` into those every best set takes, and the core left to the dynamic programme.

    Items every best set leaves out are dropped.
    """
    import numpy as np  # here, not at the top: the project panel imports this module at start-up

    if len(items) < 2:
        return [], items
    order = sorted(items, key=lambda i: (-values[i] / costs[i], i))
    c = np.array([costs[i] for i in order], dtype=np.float64)
    v = np.array([values[i] for i in order], dtype=np.float64)
    density = np.append(v / c, 0.0)
    cum_c = np.concatenate(([0.0], np.cumsum(c)))
    cum_v = np.concatenate(([0.0], np.cumsum(v)))
    count = len(order)
    critical = int(np.searchsorted(cum_c, capacity, side="right")) - 1  # items 0..critical-1 fit
    # A feasible value: the prefix, then any later item that still fits.
    lower, left = float(cum_v[critical]), capacity - float(cum_c[critical])
    for k in range(critical, count):
        if c[k] <= left:
            lower += v[k]
            left -= c[k]
    index = np.arange(count)
    # Bound when an item of the prefix is left out: the prefix runs on past it.
    k_out = np.searchsorted(cum_c, capacity + c, side="right") - 1
    k_out = np.minimum(k_out, count)
    bound_out = cum_v[k_out] - v + (capacity + c - cum_c[k_out]) * density[k_out]
    # Bound when an item after the prefix is taken: the prefix shrinks to fit it.
    room = capacity - c
    k_in = np.searchsorted(cum_c, np.maximum(room, 0), side="right") - 1
    k_in = np.minimum(k_in, index)
    frac = np.where(k_in == index, np.minimum(k_in + 1, count), k_in)
    bound_in = np.where(room >= 0, v + cum_v[k_in] + (room - cum_c[k_in]) * density[frac], -np.inf)
    margin = 1e-6 * max(lower, 1.0)
    in_prefix = index < critical
    fixed_in = [order[k] for k in range(count) if in_prefix[k] and bound_out[k] < lower - margin]
    fixed = set(fixed_in) | {order[k] for k in range(count) if not in_prefix[k] and bound_in[k] < lower - margin}
    return fixed_in, [i for i in items if i not in fixed]


def _dynamic_programme(costs: Sequence[int], values: Sequence[int], capacity: int, stop: StopFn | None = None,
                       report: ReportFn | None = None) -> list[int]:
    """The exact 0/1 dynamic programme over cost (see ``knapsack``) on items of positive cost and value."""
    import numpy as np

    n = len(costs)
    _check(stop)
    if n == 0 or capacity <= 0:
        return []
    unit = reduce(math.gcd, costs)
    size = min(capacity // unit, sum(costs) // unit)
    best = np.zeros(size + 1, dtype=np.int64)
    kept = np.zeros((n, (size + 8) // 8), dtype=np.uint8)
    # Later items first, so that backtracking from the last table decides the earliest items first.
    for i in range(n - 1, -1, -1):
        _check(stop)
        if report is not None:
            report(n - 1 - i, n)
        c, v = costs[i] // unit, values[i]
        if c > size:
            continue
        candidate = best[:-c] + v
        # ">=": on a tie the earlier item (decided later in the loop) wins the place.
        take = candidate >= best[c:]
        best[c:] = np.where(take, candidate, best[c:])
        bits = np.zeros(size + 1, dtype=bool)
        bits[c:] = take
        kept[i] = np.packbits(bits)
    # The cheapest capacity reaching the best value: best[] never falls as capacity grows.
    room = int(np.searchsorted(best, int(best[-1]), side="left"))
    chosen = []
    for i in range(n):
        if _bit(kept[i], room):
            chosen.append(i)
            room -= costs[i] // unit
    return chosen


def _check(stop: StopFn | None) -> None:
    if stop is not None and stop():
        raise Cancelled()


def _bit(row: np.ndarray, index: int) -> bool:
    return bool(row[index >> 3] & (0x80 >> (index & 7)))


def suggest(cands: Sequence[Candidate], cap: Decimal, pinned_in: Collection[int] = (),
            pinned_out: Collection[int] = (), currency: str = "£", *, stop: StopFn | None = None,
            report: ReportFn | None = None) -> Suggestion:
    """The set of ``cands`` with the highest weighted score whose cost in the year fits ``cap``.

    ``pinned_in`` are always chosen (their cost comes off the cap first), ``pinned_out`` never.
    ``stop`` and ``report`` are handed to ``knapsack``: Suggest can be cancelled (``Cancelled``)
    and followed while it runs.
    """
    forced = [c for c in cands if c.project_id in pinned_in]
    pool = [c for c in cands if c.project_id not in pinned_in and c.project_id not in pinned_out]
    forced_cost = sum(thousands_up(c.year_cost) for c in forced)
    room = thousands_down(cap) - forced_cost
    warnings = []
    pins_over = room < 0
    if pins_over:
        warnings.append(f"The pinned projects alone cost {_money(sum((c.year_cost for c in forced), Decimal(0)), currency)}, "
                        f"more than the cap of {_money(cap, currency)}: unpin some, or raise the cap.")
    picks = knapsack([thousands_up(c.year_cost) for c in pool], [_value(c) for c in pool], room,
                     stop=stop, report=report) if not pins_over else []
    chosen_ids = {c.project_id for c in forced} | {pool[i].project_id for i in picks}
    chosen = [c for c in cands if c.project_id in chosen_ids]
    lowest_kept = min((c.value_per_cost for c in chosen if c.project_id not in pinned_in
                       and c.value_per_cost is not None), default=None)
    left = max(room, 0) - sum(thousands_up(pool[i].year_cost) for i in picks)
    result_totals = totals(chosen, cap)
    left_money = max(cap - result_totals.cost, Decimal(0))
    reasons = tuple(_reason(c, chosen_ids, pinned_in, pinned_out, left, left_money, lowest_kept, currency)
                    for c in cands)
    summary = (f"Chosen {len(chosen)} of {len(cands)} candidates: {_money(result_totals.cost, currency)} of the "
               f"{_money(cap, currency)} cap, weighted score {result_totals.score:.2f}.")
    if forced:
        summary += f" {len(forced)} pinned in."
    return Suggestion(tuple(c.project_id for c in chosen), reasons, result_totals, summary, pins_over,
                      tuple(warnings))


def _value(candidate: Candidate) -> int:
    return round((candidate.score or 0.0) * SCORE_SCALE)


def _reason(c: Candidate, chosen: set[int], pinned_in: Collection[int], pinned_out: Collection[int],
            left_k: int, left_money: Decimal, lowest_kept: float | None, currency: str) -> Reason:
    if c.project_id in pinned_in:
        return Reason(c.project_id, c.code, True, "Pinned in.")
    if c.project_id in pinned_out:
        return Reason(c.project_id, c.code, False, "Pinned out.")
    if c.project_id in chosen:
        if c.year_cost <= 0:
            return Reason(c.project_id, c.code, True, "Chosen: costs nothing in the year.")
        return Reason(c.project_id, c.code, True,
                      f"Chosen: score {c.score:.2f} for {_money(c.year_cost, currency)} "
                      f"({c.value_per_cost:.2f} points per million).")
    if c.score is None or _value(c) <= 0:
        return Reason(c.project_id, c.code, False, "Left out: not scored, so it adds nothing to the score.")
    if thousands_up(c.year_cost) > left_k:
        text = (f"Left out: over the cap. It costs {_money(c.year_cost, currency)} in the year and only "
                f"{_money(left_money, currency)} is left")
        if lowest_kept is not None and c.value_per_cost is not None and c.value_per_cost < lowest_kept:
            text += "; it also scores less per cost than every chosen project"
        elif lowest_kept is not None:
            text += "; fitting it in would drop chosen projects worth more score together"
        return Reason(c.project_id, c.code, False, text + ".")
    return Reason(c.project_id, c.code, False, "Left out: lower value per cost than the chosen projects.")


def _money(amount: Decimal, currency: str) -> str:
    value = float(amount)
    if abs(value) >= 1_000_000:
        return f"{currency}{value / 1_000_000:,.2f}m"
    if abs(value) >= 1_000:
        return f"{currency}{value / 1_000:,.0f}k"
    return f"{currency}{value:,.0f}"
