"""Startup: the real program to its main window with the first tab's table filled, or the floor.

``app URL``    runs ``pmo_desktop.__main__.main(["--database", URL, "--no-crash-dialog"])``, the
               same entry point as ``pmo-desktop``. The program has no hook for "the window is up
               and filled", so ``QApplication.exec`` is replaced (from outside, before ``main``
               runs) by a function that processes events until the main window is exposed and
               its current tab's table has rows, prints ``READY`` (the parent times the process
               from launch to that line), then waits for the tab's chart area, if it has one,
               to draw its first chart (matplotlib is imported in the background meanwhile) and
               times that from ``READY``, then times each tab's first show and a refresh of
               each tab (for a tab that reads in the background, also until its rows are in,
               see ``_measure_tabs``), and exits.
``floor URL``  the floor of the stack: import PySide6 and SQLAlchemy, open the same database, run
               one SELECT, show a bare QMainWindow, print ``READY``.
"""

from __future__ import annotations

import sys
import time

from ..common import report_and_exit, signal_ready, start_profile

POLL_MS = 5
GIVE_UP_S = 120.0


def _process_until(app, done) -> None:
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + GIVE_UP_S
    while not done():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, POLL_MS)
        if time.perf_counter() > deadline:
            raise SystemExit("gave up waiting for the window")


def _settle(app) -> None:
    """Deliver what is pending now (layouts, paints of the offscreen backing store)."""
    app.processEvents()
    app.sendPostedEvents()
    app.processEvents()


def _quiet(app) -> None:
    """Let the work an earlier step handed to background tasks finish and deliver its results.

    Without this, a tab's read left running in the background (the Risks patterns) would be timed
    in whichever step came next, on the same two cores.
    """
    from pmo_desktop.ui.tasks import wait_for_background_work

    wait_for_background_work()
    _settle(app)


def _table_rows(page) -> int:
    table = getattr(page, "table", None)
    model = table.model() if table is not None else None
    return model.rowCount() if model is not None else 0


def _wait_filled(app, page, started: float) -> tuple[float, float]:
    """Wait for a tab's background read (``is_reading``) to put its rows in, and paint them.

    Returns the seconds from ``started`` to the rows painted, and the GUI thread's longest stall
    meanwhile (the largest gap of a ``POLL_MS`` timer: putting the rows in place, and the reading
    thread holding the GIL). A tab that read in place has nothing to wait for: its rows are in
    when the step returns, and the stall is 0.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    if not getattr(page, "is_reading", False):
        return time.perf_counter() - started, 0.0
    last, gaps = [time.perf_counter()], [0.0]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(tick)
    timer.start()
    # Sleep until the next event (the timer's, at the latest), as the program's own loop does: a
    # loop that polls would hold the GIL against the reading thread.
    deadline = started + GIVE_UP_S
    while page.is_reading:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        if time.perf_counter() > deadline:
            raise SystemExit("gave up waiting for the tab's rows")
    _settle(app)
    filled = time.perf_counter() - started
    tick()
    timer.stop()
    return filled, max(gaps)


def _measure_tabs(app, window) -> dict:
    """Each tab's first show (switching to it) and a refresh of each tab, in seconds.

    ``first_show`` and ``refresh`` time the step on the GUI thread (switch or ``refresh()``, then
    the pending events); a tab that reads in the background returns before its rows are in, so
    ``*_filled`` time the step to its rows painted and ``*_stall`` the GUI thread's longest stall
    after the step while waiting for them (scripts/bench.py reads only the first three keys).
    """
    tabs = window.tabs
    names = [tabs.tabText(i).replace("&", "") for i in range(tabs.count())]
    first_show: dict[str, float] = {}
    first_show_filled: dict[str, float] = {}
    first_show_stall: dict[str, float] = {}
    start = tabs.currentIndex()
    for index in range(tabs.count()):
        if index == start:
            continue
        _quiet(app)
        started = time.perf_counter()
        tabs.setCurrentIndex(index)
        _settle(app)
        name = names[index]
        first_show[name] = time.perf_counter() - started
        first_show_filled[name], first_show_stall[name] = _wait_filled(app, tabs.widget(index), started)
    refresh: dict[str, float] = {}
    refresh_filled: dict[str, float] = {}
    refresh_stall: dict[str, float] = {}
    rows: dict[str, int] = {}
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        _quiet(app)
        page = tabs.widget(index)
        name = names[index]
        started = time.perf_counter()
        page.refresh()
        _settle(app)
        refresh[name] = time.perf_counter() - started
        refresh_filled[name], refresh_stall[name] = _wait_filled(app, page, started)
        rows[name] = _table_rows(page)
    return {"first_tab": names[start], "first_show": first_show, "refresh": refresh, "rows": rows,
            "first_show_filled": first_show_filled, "first_show_stall": first_show_stall,
            "refresh_filled": refresh_filled, "refresh_stall": refresh_stall}


def _first_chart_drawn(page) -> bool:
    charts = getattr(page, "charts", None)
    return charts is None or charts.canvas.figure is not None


def run_app(url: str) -> None:
    from PySide6.QtWidgets import QApplication

    def exec_and_measure(*_args) -> int:
        from pmo_desktop.ui.main_window import MainWindow

        app = QApplication.instance()
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if not windows:
            raise SystemExit("no main window was shown")
        window = windows[0]

        def filled() -> bool:
            handle = window.windowHandle()
            return (window.isVisible() and handle is not None and handle.isExposed()
                    and _table_rows(window.current_tab()) > 0)

        _process_until(app, filled)
        signal_ready()
        ready = time.perf_counter()
        page = window.current_tab()
        _process_until(app, lambda: _first_chart_drawn(page))
        _settle(app)
        chart = time.perf_counter() - ready if getattr(page, "charts", None) is not None else None
        report_and_exit({**_measure_tabs(app, window), "first_chart_s": chart})
        return 0

    QApplication.exec = exec_and_measure  # type: ignore[method-assign]
    from pmo_desktop.__main__ import main

    main(["--database", url, "--no-crash-dialog"])
    raise SystemExit("the program returned without showing its window")


def run_floor(url: str) -> None:
    import sqlalchemy
    from PySide6.QtWidgets import QApplication, QMainWindow

    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        projects = conn.execute(sqlalchemy.text("SELECT count(*) FROM project")).scalar_one()
    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.resize(1280, 800)
    window.setWindowTitle(f"{projects} projects")
    window.show()
    _process_until(app, lambda: window.windowHandle() is not None and window.windowHandle().isExposed())
    signal_ready()
    report_and_exit({"projects": projects})


if __name__ == "__main__":
    # The program as installed starts from compiled byte-code (pip compiles an installed wheel, the
    # bundle carries it). Where PYTHONDONTWRITEBYTECODE is set, the program's own modules would be
    # compiled from source at every launch (the floor's modules, in site-packages, are compiled):
    # the untimed warm-up run writes their byte-code instead, and the timed runs read it.
    sys.dont_write_bytecode = False
    start_profile()
    mode, url = sys.argv[1], sys.argv[2]
    {"app": run_app, "floor": run_floor}[mode](url)
