"""The first window is shown and filled without the ORM; the mappers and the day's backup come after, off the GUI thread."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from held_start import held_start_script  # tests/ui is on the path of its tests (pytest rootdir-less layout)

_FIRST_WINDOW = held_start_script("""
from pmo_desktop.ui import app as app_module
from pmo_desktop.model import Project
from pmo_desktop.paths import backup_dir
""", "app_module.configure_orm", """
def daily_backups():
    return len(list(backup_dir().glob("office-*-daily.db")))

def exec_and_check(*_args):
    from pmo_desktop.ui.main_window import MainWindow
    from pmo_desktop.ui.tasks import wait_for_background_work
    app = QApplication.instance()
    window = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow))
    tab = window.current_tab()
    print("at exec", Project.__mapper__.configured, held_on_main_thread, daily_backups())
    process_until(app, lambda: window.windowHandle().isExposed() and tab.model.rowCount() > 0
                  and held_on_main_thread)
    print("shown", tab.model.rowCount(), window.counts_status.text(), Project.__mapper__.configured,
          held_on_main_thread)
    released.set()
    wait_for_background_work()
    print("after", Project.__mapper__.configured, daily_backups())
    return 0
""")


def test_the_first_window_is_filled_before_the_orm_is_configured_and_the_day_backed_up_off_the_gui_thread(
        ctx, tmp_path):
    from pmo_desktop.model import Project, StatusReport

    with ctx.db.transaction() as session:
        project = Project(code="DIG-001", name="Customer portal", stage="execution", budget=100_000)
        session.add(project)
        session.flush()
        session.add(StatusReport(project_id=project.id, period_end=dt.date(2026, 10, 31), rag="A"))
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", _FIRST_WINDOW, str(ctx.db.path)], capture_output=True,
                         text=True, env=env, timeout=180)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    # The window was built, its table, settings and status bar read, without configuring a mapper;
    # the configuration and the first start of the day's backup wait for the first paint.
    assert lines[0] == "at exec False [] 0"
    # Exposed and filled, then the configuration started on a worker thread, held here.
    assert lines[1].startswith("shown 1 1 project · ") and lines[1].endswith(" False [False]")
    assert lines[2] == "after True 1"
