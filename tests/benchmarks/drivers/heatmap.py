"""The Resources heat map at scale: first show (computed in the background) and redraw.

``heatmap URL RUNS [SHOTS_DIR]`` opens the office, builds the heat map pane (the widget the
Resources tab shows) at 1400 x 800 offscreen with the 52-week range, then measures:

* **first show**: ``refresh()`` to the figures painted: the computation runs on a worker thread,
  so the time is the computation plus the paint; meanwhile a 5 ms timer on the GUI thread records
  the longest gap between its ticks (how long the window could not answer the user);
* **redraw**: scrolling to another part of the map and painting the viewport (``grab()`` renders
  through ``paintEvent`` at once), the median of 20 scroll positions per run;
* the baseline: ``SELECT count(*), sum(hours_per_week) FROM allocation`` in the same process.

Medians over RUNS (at least 5) after one untimed first show. With SHOTS_DIR it also saves the
pane while busy and when done, as PNG, for a look at the busy state and the map.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

from ..common import report_and_exit

MIN_RUNS = 5
WEEKS = 52
TICK_MS = 5


def main(url: str, runs: int, shots: Path | None) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer
    from sqlalchemy import text

    from pmo_desktop.model.database import open_database
    from pmo_desktop.ui.app import create_application
    from pmo_desktop.ui.context import AppContext
    from pmo_desktop.ui.resources.heat_map import HeatMapPane

    app = create_application(["bench-heatmap"])
    ctx = AppContext(open_database(url, backup=False))
    pane = HeatMapPane(ctx)
    pane.fixed_today = dt.date.today()
    pane.resize(1400, 800)
    pane.show()
    app.processEvents()
    pane.range_combo.blockSignals(True)
    pane.set_weeks(WEEKS)
    pane.range_combo.blockSignals(False)

    gaps: list[float] = []
    last_tick = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last_tick[0])
        last_tick[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)

    def first_show(shot: bool = False) -> tuple[float, float]:
        pane.mark_dirty()
        gaps.clear()
        started = time.perf_counter()
        last_tick[0] = started
        timer.start()
        pane.refresh()
        if shot and shots is not None:
            pane.grab().save(str(shots / "heat-map-busy.png"))
        while pane.is_busy:  # an idle event loop: it sleeps until the timer or the result wakes it
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        pane.view.viewport().grab()
        elapsed = time.perf_counter() - started
        timer.stop()
        return elapsed, max(gaps, default=0.0)

    first_show(shot=True)
    runs = max(runs, MIN_RUNS)
    shows, stalls = zip(*(first_show() for _ in range(runs)), strict=True)
    if shots is not None:
        pane.grab().save(str(shots / "heat-map-done.png"))

    view = pane.view
    redraws = []
    for _ in range(runs):
        samples = []
        for step in range(20):
            view.verticalScrollBar().setValue(step * 1000 % max(view.verticalScrollBar().maximum(), 1))
            view.horizontalScrollBar().setValue(step * 97 % max(view.horizontalScrollBar().maximum(), 1))
            started = time.perf_counter()
            view.viewport().grab()
            samples.append(time.perf_counter() - started)
        redraws.append(statistics.median(samples))

    baseline = []
    for _ in range(runs + 1):
        with ctx.db.session() as session:
            started = time.perf_counter()
            session.execute(text("SELECT count(*), sum(hours_per_week) FROM allocation")).all()
            baseline.append(time.perf_counter() - started)
    rows_shown, weeks_shown = view.visible_range()
    return {
        "first_show_s": statistics.median(shows), "stall_s": statistics.median(stalls),
        "redraw_s": statistics.median(redraws), "baseline_s": statistics.median(baseline[1:]),
        "rows": len(view.rows()), "weeks": len(view.mondays()), "visible_cells": len(rows_shown) * len(weeks_shown),
        "runs": runs,
    }


if __name__ == "__main__":
    report_and_exit(main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None))
