"""Scenario figures: fiscal-year cost spread, totals, role demand, and the Suggest knapsack by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pmo_desktop.analytics import scenarios as an
from pmo_desktop.analytics.scenarios import Candidate

D = dt.date


def _candidate(pid: int, cost_k: int, score: float | None, benefits: int | None = None) -> Candidate:
    cost = Decimal(cost_k * 1000)
    return Candidate(pid, f"P{pid:02d}", f"Project {pid}", "idea", cost, cost,
                     Decimal(benefits) if benefits is not None else None, score, None, None)


def test_fiscal_year_bounds_and_label():
    assert an.fiscal_year_bounds(2026, 4) == (D(2026, 4, 1), D(2027, 3, 31))
    assert an.fiscal_year_bounds(2026, 1) == (D(2026, 1, 1), D(2026, 12, 31))
    assert an.fiscal_year_of(D(2027, 3, 31), 4) == 2026
    assert an.fiscal_year_of(D(2027, 4, 1), 4) == 2027
    assert an.fiscal_year_label(2026, 4) == "FY26/27" and an.fiscal_year_label(2026, 1) == "FY2026"


def test_cost_spreads_evenly_over_baseline_months():
    first, last = an.fiscal_year_bounds(2026, 4)
    # 12 baseline months (Jan-Dec 2026), 9 of them (Apr-Dec) in the year: 120,000 * 9 / 12.
    assert an.cost_in_year(Decimal(120_000), D(2026, 1, 15), D(2026, 12, 10), first, last) == Decimal("90000.00")
    # Baseline across the year end: Feb 2027 - Jul 2027 is 6 months, 2 (Feb, Mar) inside.
    assert an.cost_in_year(Decimal(60_000), D(2027, 2, 1), D(2027, 7, 31), first, last) == Decimal("20000.00")
    assert an.cost_in_year(Decimal(50_000), D(2025, 1, 1), D(2026, 3, 31), first, last) == Decimal("0.00")
    assert an.cost_in_year(Decimal(50_000), None, None, first, last) == Decimal(50_000)
    assert an.cost_in_year(None, D(2026, 5, 1), D(2026, 6, 1), first, last) == Decimal(0)


def test_totals_omit_benefits_when_none_recorded():
    with_benefits = an.totals([_candidate(1, 100, 3.0, 250_000), _candidate(2, 50, 2.5)], Decimal(200_000))
    assert with_benefits.cost == Decimal(150_000) and with_benefits.score == pytest.approx(5.5)
    assert with_benefits.benefits == Decimal(250_000) and with_benefits.headroom == Decimal(50_000)
    without = an.totals([_candidate(2, 50, 2.5)], Decimal(40_000))
    assert without.benefits is None and without.over_cap


@pytest.mark.parametrize(("costs", "values", "cap", "chosen"), [
    # Best value 8 two ways at cost 6 ({0, 2} and {0, 3}): the earlier items win.
    ([4, 3, 2, 2], [5, 4, 3, 3], 6, [0, 2]),
    # {0} and {1, 2} both score 5 at cost 5: the earlier item wins.
    ([5, 3, 2], [5, 3, 2], 5, [0]),
    # {0} scores 4 for 5, {1, 2} scores 4 for 4: the cheaper set wins.
    ([5, 2, 2], [4, 2, 2], 5, [1, 2]),
    # Greedy by value per cost would take item 0 (2.0) and stop at 7; the best is {1, 2} = 12.
    ([1, 5, 5], [2, 6, 6], 10, [1, 2]),
    # Free items are always taken; worthless ones never.
    ([0, 3, 3], [1, 0, 4], 3, [0, 2]),
])
def test_knapsack_by_hand(costs, values, cap, chosen):
    assert an.knapsack(costs, values, cap) == chosen


def test_suggest_keeps_pins_and_explains():
    cands = [_candidate(1, 400, 4.0), _candidate(2, 300, 3.5), _candidate(3, 300, 3.0),
             _candidate(4, 200, 1.0), _candidate(5, 100, None), _candidate(6, 900, 5.0)]
    # Cap 1,000k; pinned in P04 (200k) leaves 800k; pinned out P06.
    result = an.suggest(cands, Decimal(1_000_000), pinned_in={4}, pinned_out={6})
    # From P01..P03 (and unscored P05) under 800k: P01 + P02 = 700k scores 7.5 (P01 + P03 7.0, P02 + P03 6.5).
    assert result.chosen == (1, 2, 4)
    assert result.totals.cost == Decimal(900_000) and result.totals.score == pytest.approx(8.5)
    assert result.reason(4).text == "Pinned in."
    assert result.reason(6).text == "Pinned out." and not result.reason(6).included
    assert "not scored" in result.reason(5).text
    assert "over the cap" in result.reason(3).text and "£100k is left" in result.reason(3).text
    assert result.summary.startswith("Chosen 3 of 6 candidates")


def test_suggest_warns_when_pins_exceed_the_cap():
    result = an.suggest([_candidate(1, 600, 2.0), _candidate(2, 100, 5.0)], Decimal(500_000), pinned_in={1})
    assert result.pins_over_cap and result.chosen == (1,)
    assert "more than the cap" in result.warnings[0]


def test_suggest_costs_round_up_and_cap_rounds_down_in_thousands():
    # 500.4k rounds up to 501k, cap 1,000.9k down to 1,000k: the two do not fit together.
    one = Candidate(1, "P01", "A", "idea", Decimal("500400"), Decimal("500400"), None, 3.0, None, None)
    two = Candidate(2, "P02", "B", "idea", Decimal("500000"), Decimal("500000"), None, 2.0, None, None)
    assert an.suggest([one, two], Decimal("1000900")).chosen == (1,)


def test_knapsack_at_two_thousand_candidates_stays_under_the_cap():
    import random
    rng = random.Random(7)
    costs = [rng.randrange(50, 5000, 5) for _ in range(2000)]
    values = [rng.randint(0, 50_000) for _ in range(2000)]
    cap = sum(costs) * 7 // 10
    chosen = an.knapsack(costs, values, cap)
    assert sum(costs[i] for i in chosen) <= cap
    # No single left-out item fits in what is left (else the set would not be the best).
    left = cap - sum(costs[i] for i in chosen)
    assert all(costs[i] > left or values[i] == 0 for i in set(range(2000)) - set(chosen))


def _hard_case(n: int = 40) -> tuple[list[int], list[int], int]:
    """Values proportional to cost: the reduction fixes nothing, so every item goes to the programme."""
    import random
    rng = random.Random(3)
    costs = [rng.randrange(50, 500) for _ in range(n)]
    return costs, [c * 10 for c in costs], sum(costs) * 7 // 10


def test_knapsack_reports_progress_and_stops_when_asked():
    costs, values, cap = _hard_case()
    reports: list[tuple[int, int]] = []
    an.knapsack(costs, values, cap, report=lambda done, total: reports.append((done, total)))
    total = reports[0][1]
    assert total > 1 and reports == [(done, total) for done in range(total)]

    asked = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) > 3

    reports.clear()
    with pytest.raises(an.Cancelled):
        an.knapsack(costs, values, cap, stop=stop, report=lambda done, total: reports.append((done, total)))
    # Stopped at the fourth question: the check before the table, then two items done.
    assert reports == [(0, total), (1, total)]


def test_suggest_cancelled_chooses_nothing():
    costs, values, cap = _hard_case()
    cands = [_candidate(i + 1, cost, value / 1000) for i, (cost, value) in enumerate(zip(costs, values, strict=True))]
    with pytest.raises(an.Cancelled):
        an.suggest(cands, Decimal(cap * 1000), stop=lambda: True)
    assert an.suggest(cands, Decimal(cap * 1000), stop=lambda: False).chosen


def test_role_loads_add_up_per_role():
    base = an.ResourceBase(available={"Developer": 1000.0, "Analyst": 500.0}, committed={"Developer": 700.0},
                           added={1: {"Developer": 200.0}, 2: {"Developer": 300.0, "Tester": 40.0}})
    loads = {r.role: r for r in base.loads([1, 2])}
    assert loads["Developer"].remaining == pytest.approx(-200.0) and loads["Developer"].short
    assert loads["Tester"].available == 0 and loads["Tester"].load is None
    assert loads["Analyst"].remaining == 500.0
    assert [r.role for r in base.loads([1, 2])][0] == "Developer"


def test_cost_by_year_spreads_over_the_years_and_counts_undated_once():
    dated = Candidate(1, "P01", "A", "idea", Decimal(240_000), Decimal(0), None, 3.0, D(2026, 10, 1), D(2027, 9, 30))
    undated = _candidate(2, 100, 2.0)
    years = an.cost_by_year([dated, undated], 2026, 3, 4)
    # 12 months: Oct 2026 - Mar 2027 (6) in FY2026, Apr - Sep 2027 (6) in FY2027.
    assert years == [(2026, Decimal("220000.00")), (2027, Decimal("120000.00")), (2028, Decimal("0.00"))]


def test_knapsack_matches_brute_force_on_small_random_cases():
    import itertools
    import random
    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(1, 8)
        costs = [rng.randint(0, 12) for _ in range(n)]
        values = [rng.randint(0, 6) for _ in range(n)]
        cap = rng.randint(0, 30)
        best = max(
            ((sum(values[i] for i in s), -sum(costs[i] for i in s))
             for r in range(n + 1) for s in itertools.combinations(range(n), r)
             if sum(costs[i] for i in s) <= cap),
        )
        chosen = an.knapsack(costs, values, cap)
        assert (sum(values[i] for i in chosen), -sum(costs[i] for i in chosen)) == best, (costs, values, cap)
