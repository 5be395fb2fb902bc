"""Render the main window (each tab selected) and the dialogs to PNG files, offscreen.

    python scripts/screenshots.py --database demo.db --out /tmp/shots [--size 1440x900] [--dark]

Make a believable database first with ``python -m pmo_desktop demo --database demo.db``. The
window is drawn with ``QWidget.grab()`` on an offscreen 1920x1200 screen, with a throwaway
QSettings folder so that your own window layout is neither used nor changed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def _offscreen(scratch: Path) -> None:
    config = scratch / "screens.json"
    config.write_text(json.dumps({"screens": [
        {"name": "shots", "x": 0, "y": 0, "width": 1920, "height": 1200, "logicalDpi": 96, "dpr": 1}
    ]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def _save(widget, path: Path) -> None:
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    pool = QThreadPool.globalInstance()
    deadline = time.monotonic() + 15
    settled = 0
    while settled < 3 and time.monotonic() < deadline:  # background reads (charts, heat map) finish,
        QApplication.processEvents()                     # then layouts, delayed loads and polish settle
        settled = settled + 1 if pool.activeThreadCount() == 0 else 0
        time.sleep(0.02)
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(path)


def _sample_exception() -> BaseException:
    try:
        raise KeyError("project 'PRJ-042' is not in the portfolio")
    except KeyError as exc:
        return exc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="database file or URL to show")
    parser.add_argument("--out", type=Path, default=Path("/tmp/shots"), help="folder for the PNG files")
    parser.add_argument("--size", default="1440x900", help="window size, WIDTHxHEIGHT (default 1440x900)")
    parser.add_argument("--dark", action="store_true", help="use the dark palette")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="pmo-shots-"))
    _offscreen(scratch)
    os.environ.setdefault("PMO_LOG_DIR", str(scratch / "logs"))

    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "settings"))

    from pmo_desktop.logging_setup import log_file_path, setup_logging
    from pmo_desktop.services.errors import ConflictError
    from pmo_desktop.ui import app as app_module
    from pmo_desktop.ui.context import AppContext
    from pmo_desktop.ui.dialogs.about_dialog import AboutDialog
    from pmo_desktop.ui.dialogs.conflict_dialog import ConflictDialog
    from pmo_desktop.ui.dialogs.error_dialog import ErrorDialog, format_exception
    from pmo_desktop.ui.dialogs.settings_dialog import SettingsDialog
    from pmo_desktop.ui.main_window import MainWindow
    from pmo_desktop.ui.main_window.opening import open_office

    setup_logging()
    qapp = app_module.create_application([sys.argv[0]])
    if args.dark:
        qapp.setPalette(app_module.dark_palette())
    suffix = "-dark" if args.dark else ""
    ctx = AppContext(open_office(args.database))
    window = MainWindow(ctx)
    window.resize(width, height)
    window.show()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        name = window.tabs.tabText(index).lower()
        _save(window, args.out / f"main-{index + 1}-{name}{suffix}.png")

    for menu in (window.file_menu, window.edit_menu, window.view_menu, window.help_menu):
        menu.popup(window.mapToGlobal(window.rect().topLeft()))
        name = menu.title().replace("&", "").lower()
        _save(menu, args.out / f"menu-{name}{suffix}.png")
        menu.hide()

    settings = SettingsDialog(ctx, window)
    settings.show()
    _save(settings, args.out / f"dialog-settings{suffix}.png")
    settings.ui.risk_red_spin.setValue(6)  # show the inline validation
    settings.ui.rag_red_spin.setValue(0.97)
    _save(settings, args.out / f"dialog-settings-invalid{suffix}.png")
    settings.reject()

    about = AboutDialog(ctx.db.display_url, window)
    about.show()
    _save(about, args.out / f"dialog-about{suffix}.png")
    about.reject()

    conflict = ConflictError(
        "project", 42,
        mine={"name": "Payroll upgrade", "stage": "execution", "forecast_end": "2027-03-31", "budget": "1250000.00"},
        theirs={"name": "Payroll upgrade", "stage": "on_hold", "forecast_end": "2027-06-30", "budget": "1400000.00"},
    )
    conflict_dialog = ConflictDialog(conflict, labels={"forecast_end": "Forecast end", "budget": "Budget (BAC)"},
                                     parent=window)
    conflict_dialog.show()
    _save(conflict_dialog, args.out / f"dialog-conflict{suffix}.png")
    conflict_dialog.reject()

    exc = _sample_exception()
    error = ErrorDialog(f"KeyError: {exc}", format_exception(exc), log_file_path(), window)
    error.show()
    _save(error, args.out / f"dialog-error{suffix}.png")
    error.reject()

    window.close()
    ctx.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
