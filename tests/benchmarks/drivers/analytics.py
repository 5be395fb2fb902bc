"""The tabs' read queries and the analytics, each against one plain SQL aggregate over its table.

``analytics URL RUNS`` times, in one session each call (as the tabs read through
``AppContext.read``):

* the tabs' reads ``project_rows``, ``person_rows`` and ``raid_rows``;
* the analytics the issues pair with a floor: the KPIs of every project (vs an aggregate of the
  status history), the 52-week utilisation heat map (vs a sum of the allocation table), the risk
  matrix, exposure and recurring patterns (vs a count of the RAID table), all compliance checks
  (vs a count of the status history);
* the heat map's rows for a quarter, a half and all of the people (the 1x/2x/4x scaling series).

Each figure is the median over RUNS (at least 5) after one untimed warm-up call (SQLAlchemy
compiles and caches a statement on first use); its baseline is timed the same way, in the same
process, right after it.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from ..common import report_and_exit

MIN_RUNS = 5
HEATMAP_WEEKS = 52

STATUS_SQL = "SELECT count(*), sum(actual_cost), avg(percent_complete) FROM status_report"
ALLOCATION_SQL = "SELECT count(*), sum(hours_per_week) FROM allocation"
RAID_SQL = "SELECT count(*), sum(likelihood * impact) FROM raid_item"
RAID_GRID_SQL = "SELECT likelihood, impact, count(*) FROM raid_item WHERE kind = 'risk' GROUP BY likelihood, impact"
PROJECT_SQL = "SELECT count(*), sum(budget), avg(percent_complete) FROM project"


def _sized(out: Any) -> int:
    """Rows of a result: its length, the rows of a figure that holds rows, or a matrix's scored items."""
    total = getattr(out, "total", None)
    if isinstance(total, int):
        return total
    inner = getattr(out, "rows", None)
    if inner is not None:
        return len(inner)
    try:
        return len(out)
    except TypeError:
        return 1


def _calls(today: dt.date) -> dict[str, tuple[Callable, str, str]]:
    """Name -> (call on a session, baseline SQL, what the row count counts)."""
    from pmo_desktop.analytics.governance import compliance_exceptions
    from pmo_desktop.analytics.portfolio import portfolio_kpis
    from pmo_desktop.analytics.resources import utilisation
    from pmo_desktop.analytics.risks import exposure, patterns, risk_matrix
    from pmo_desktop.model.database import load_settings
    from pmo_desktop.services.portfolio import project_rows
    from pmo_desktop.services.raid import raid_rows
    from pmo_desktop.services.resources import person_rows

    return {
        "project_rows": (lambda s: project_rows(s), PROJECT_SQL, "rows"),
        "person_rows": (lambda s: person_rows(s, today), ALLOCATION_SQL, "rows"),
        "raid_rows": (lambda s: raid_rows(s, today), RAID_SQL, "rows"),
        "kpis": (lambda s: portfolio_kpis(s, today), STATUS_SQL, "projects"),
        "heat map": (lambda s: utilisation(s, today, HEATMAP_WEEKS), ALLOCATION_SQL, "people"),
        "risk matrix": (lambda s: risk_matrix(s), RAID_GRID_SQL, "open risks"),
        "risk exposure": (lambda s: exposure(s), RAID_SQL, "projects"),
        "risk patterns": (lambda s: patterns(s), RAID_SQL, "patterns"),
        "compliance": (lambda s: compliance_exceptions(s, today, load_settings(s)), STATUS_SQL, "exceptions"),
    }


def main(url: str, runs: int) -> dict:
    from sqlalchemy import select, text

    from pmo_desktop.analytics.resources import person_rows as heat_rows
    from pmo_desktop.model import Person
    from pmo_desktop.model.database import open_database

    runs = max(runs, MIN_RUNS)
    db = open_database(url, backup=False)
    today = dt.date.today()

    def median_seconds(fn) -> tuple[float, int]:
        samples, size = [], 0
        for n in range(runs + 1):
            with db.session() as session:
                started = time.perf_counter()
                out = fn(session)
                elapsed = time.perf_counter() - started
            size = _sized(out)
            if n:
                samples.append(elapsed)
        return statistics.median(samples), size

    result: dict[str, dict] = {}
    for name, (call, sql, counted) in _calls(today).items():
        seconds, rows = median_seconds(call)
        base, _ = median_seconds(lambda s, sql=sql: s.execute(text(sql)).all())
        result[name] = {"seconds": seconds, "rows": rows, "counted": counted, "baseline_seconds": base,
                        "baseline_sql": sql, "runs": runs}

    with db.session() as session:
        people = list(session.scalars(select(Person.id).order_by(Person.id)))
    scaling = {}
    for step, share in (("1x", 4), ("2x", 2), ("4x", 1)):
        ids = people[: len(people) // share]
        seconds, rows = median_seconds(lambda s, ids=ids: heat_rows(s, today, HEATMAP_WEEKS, ids)[1])
        scaling[step] = {"seconds": seconds, "people": len(ids), "rows": rows, "runs": runs}
    return {"figures": result, "heat_map_scaling": scaling}


if __name__ == "__main__":
    report_and_exit(main(sys.argv[1], int(sys.argv[2])))
