"""PyInstaller runtime hook: a "window ready" probe for the bundle's startup benchmark.

Inert unless the environment has ``PMO_BENCH_READY=1`` (set only by tests/benchmarks/bundle.py;
not an option, so not in ``--help``). Then it does for the frozen program what the source startup
driver (tests/benchmarks/drivers/startup.py) does from outside: ``QApplication.exec`` is replaced
by a loop that processes events until the main window is exposed and its current tab's table has
rows, prints ``READY`` (the parent times launch to that line), then shows each other tab once,
prints one JSON line with each tab's first-show time and exits without teardown.

The program itself is untouched: the hook wraps ``pmo_desktop.__main__.main`` (which the entry
script imports after the runtime hooks ran) and patches Qt only when that is called, i.e. after
PyInstaller's own PySide6 hook has set Qt's paths up.
"""


def _install():
    import os

    if os.environ.get("PMO_BENCH_READY") != "1":
        return
    import pmo_desktop.__main__ as entry

    original_main = entry.main

    def main(argv=None):
        _patch_exec()
        return original_main(argv)

    entry.main = main


def _patch_exec():
    import json
    import os
    import sys
    import time

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    def rows(page):
        table = getattr(page, "table", None)
        model = table.model() if table is not None else None
        return model.rowCount() if model is not None else 0

    def exec_until_ready(*_args):
        from pmo_desktop.ui.main_window import MainWindow

        app = QApplication.instance()
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        deadline = time.perf_counter() + 120
        while not (window.isVisible() and window.windowHandle() is not None
                   and window.windowHandle().isExposed() and rows(window.current_tab()) > 0):
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            if time.perf_counter() > deadline:
                sys.stderr.write("gave up waiting for the window\n")
                os._exit(3)
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        tabs = window.tabs
        first_show = {}
        for index in range(tabs.count()):
            if index == tabs.currentIndex():
                continue
            started = time.perf_counter()
            tabs.setCurrentIndex(index)
            app.processEvents()
            app.sendPostedEvents()
            app.processEvents()
            first_show[tabs.tabText(index).replace("&", "")] = time.perf_counter() - started
        sys.stdout.write(json.dumps({"first_show": first_show}) + "\n")
        sys.stdout.flush()
        os._exit(0)

    QApplication.exec = exec_until_ready


_install()
del _install
