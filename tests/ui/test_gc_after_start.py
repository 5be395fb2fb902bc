"""Once the window is shown, and again once the first chart has loaded matplotlib, what was loaded is left
out of later garbage collections."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from pmo_desktop.model.database import open_database

_PROGRAM = """
import gc, sys, time
from PySide6.QtWidgets import QApplication

def exec_(*_args):
    from pmo_desktop.ui.main_window import MainWindow
    app = QApplication.instance()
    window = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow))
{check}
    return 0

QApplication.exec = exec_
from pmo_desktop.__main__ import main
main(["--database", sys.argv[1], "--no-crash-dialog"])
"""


def _program_prints(tmp_path, check: str) -> list[str]:
    """Start the program on an empty office, run ``check`` (the body of its ``exec``) and return what it printed."""
    database = open_database(f"sqlite:///{tmp_path}/office.db", backup=False)
    database.dispose()
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "QT_QPA_PLATFORM": "offscreen"}
    script = _PROGRAM.format(check=textwrap.indent(textwrap.dedent(check), "    "))
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "office.db")], capture_output=True,
                         text=True, env=env, timeout=180)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_the_objects_made_while_starting_are_not_walked_by_later_collections(tmp_path):
    printed = _program_prints(tmp_path, """
        walked = {id(o) for o in gc.get_objects()}
        print("at exec", gc.isenabled(), id(MainWindow) in walked, gc.get_freeze_count() > 10_000)
    """)
    # The collector is on, and the main window's class (made while loading) is not among what it walks.
    assert printed == ["at exec True False True"]


def test_matplotlib_loaded_for_the_first_chart_is_not_walked_by_later_collections(tmp_path):
    printed = _program_prints(tmp_path, """
        charts = window.current_tab().charts
        deadline = time.monotonic() + 60
        while charts.canvas.figure is None and time.monotonic() < deadline:
            app.processEvents()
        from matplotlib.figure import Figure
        walked = {id(o) for o in gc.get_objects()}
        print("drawn", charts.canvas.figure is not None, id(Figure) in walked)
    """)
    # The Portfolio tab's chart imported matplotlib on a worker thread and drew; its classes are set apart.
    assert printed == ["drawn True False"]
