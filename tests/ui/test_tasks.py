"""Background tasks: results come back on the GUI thread; errors and Cancel are reported, not lost."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QPushButton

from pmo_desktop.ui import tasks
from pmo_desktop.ui.tasks import Progress, run_in_background


def test_the_result_is_delivered_on_the_gui_thread(qtbot):
    gui_thread = threading.get_ident()
    seen = {}

    def work():
        seen["worker"] = threading.get_ident()
        return 42

    run_in_background(work, on_done=lambda result: seen.update(result=result, done_on=threading.get_ident()))
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["result"] == 42
    assert seen["worker"] != gui_thread
    assert seen["done_on"] == gui_thread


def test_an_error_goes_to_on_error(qtbot):
    errors = []
    run_in_background(lambda: 1 / 0, on_done=lambda _r: None, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ZeroDivisionError)


def test_a_slow_task_shows_a_progress_dialog_that_can_cancel(qtbot, monkeypatch):
    monkeypatch.setattr(tasks, "PROGRESS_DELAY_MS", 50)
    release = threading.Event()
    outcome = []

    def slow(progress: Progress):
        for step in range(100):
            progress.report(step, 100, f"Step {step}")
            if release.wait(0.01):
                progress.check()
        return "finished"

    task = run_in_background(slow, on_done=outcome.append, progress="Working…",
                             on_cancelled=lambda: outcome.append("cancelled"))
    qtbot.waitUntil(lambda: task.dialog is not None and task.dialog.isVisible())
    [cancel] = [b for b in task.dialog.findChildren(QPushButton) if b.text() == "Cancel"]
    cancel.click()
    release.set()
    qtbot.waitUntil(lambda: bool(outcome))
    assert outcome == ["cancelled"]
    assert task.dialog is None


def test_a_quick_task_never_shows_a_dialog(qtbot):
    done = []
    task = run_in_background(lambda: "quick", on_done=done.append, progress="Working…")
    qtbot.waitUntil(lambda: bool(done))
    assert task.dialog is None


def _qt_objects(value) -> list:
    """The QObjects ``value`` holds directly, or through a function's closure."""
    from PySide6.QtCore import QObject

    found = [value] if isinstance(value, QObject) else []
    for cell in getattr(value, "__closure__", None) or ():
        found += [cell.cell_contents] if isinstance(cell.cell_contents, QObject) else []
    return found


def test_the_worker_holds_no_qt_object_so_none_is_freed_on_its_thread(qtbot, monkeypatch):
    # A QObject whose last reference the worker thread dropped was destroyed there while the GUI
    # thread used it: an occasional crash (the heat map benchmark, about one run in five).
    held = []
    real = tasks._Runnable

    class Watching(real):
        def run(self):
            held.append([obj for value in vars(self).values() for obj in _qt_objects(value)])
            super().run()
            held.append([obj for value in vars(self).values() for obj in _qt_objects(value)])

    monkeypatch.setattr(tasks, "_Runnable", Watching)
    results = []
    for work in (lambda: 1, lambda progress: progress.report(1, 1) or 2):
        run_in_background(work, on_done=results.append)
    qtbot.waitUntil(lambda: len(results) == 2)
    assert sorted(results) == [1, 2]
    assert held == [[], [], [], []]


def test_reads_run_side_by_side_even_on_a_machine_with_few_cores(qtbot, monkeypatch):
    """A long read (the day's backup of a big file) must not hold back the reads queued after it."""
    pool = QThreadPool.globalInstance()
    cores = pool.maxThreadCount()
    pool.setMaxThreadCount(1)  # as Qt sizes it on a one-core machine
    monkeypatch.setattr(tasks, "_read_pool", None)
    together = threading.Barrier(tasks.MIN_READ_WORKERS, timeout=10)
    met = []
    try:
        for _ in range(tasks.MIN_READ_WORKERS):
            run_in_background(together.wait, on_done=met.append)
        qtbot.waitUntil(lambda: len(met) == tasks.MIN_READ_WORKERS, timeout=15_000)
    finally:
        tasks.wait_for_background_work()
        pool.setMaxThreadCount(cores)
    assert sorted(met) == list(range(tasks.MIN_READ_WORKERS))  # each got its place: none timed out alone
