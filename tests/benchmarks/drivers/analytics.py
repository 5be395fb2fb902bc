"""The tabs' read queries against one plain SQL aggregate over the same table.

``analytics URL RUNS`` times, in one session each call (as the tabs read through
``AppContext.read``), ``project_rows``, ``person_rows`` and ``raid_rows``, and for each a single
``SELECT count(*), sum(...)`` over the table it reads. Reports medians over RUNS after one
untimed warm-up call each (SQLAlchemy compiles and caches a statement on first use).
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time

from ..common import report_and_exit

BASELINES = {
    "project_rows": "SELECT count(*), sum(budget), avg(percent_complete) FROM project",
    "person_rows": "SELECT count(*), sum(hours_per_week) FROM allocation",
    "raid_rows": "SELECT count(*), sum(likelihood * impact) FROM raid_item",
}


def main(url: str, runs: int) -> dict:
    from sqlalchemy import text

    from pmo_desktop.model.database import open_database
    from pmo_desktop.services.portfolio import project_rows
    from pmo_desktop.services.raid import raid_rows
    from pmo_desktop.services.resources import person_rows

    db = open_database(url, backup=False)
    today = dt.date.today()
    calls = {
        "project_rows": lambda s: project_rows(s),
        "person_rows": lambda s: person_rows(s, today),
        "raid_rows": lambda s: raid_rows(s, today),
    }

    def median_seconds(fn) -> tuple[float, int]:
        samples, size = [], 0
        for n in range(runs + 1):
            with db.session() as session:
                started = time.perf_counter()
                out = fn(session)
                elapsed = time.perf_counter() - started
            size = len(out)
            if n:
                samples.append(elapsed)
        return statistics.median(samples), size

    result = {}
    for name, call in calls.items():
        seconds, rows = median_seconds(call)
        sql = BASELINES[name]
        base, _ = median_seconds(lambda s, sql=sql: s.execute(text(sql)).all())
        result[name] = {"seconds": seconds, "rows": rows, "baseline_seconds": base, "baseline_sql": sql}
    return result


if __name__ == "__main__":
    report_and_exit(main(sys.argv[1], int(sys.argv[2])))
