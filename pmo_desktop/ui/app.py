"""The application: Qt set-up (style, palettes, high-DPI, stylesheet), the crash handler, and start-up.

``run_gui()`` is what ``python -m pmo_desktop`` runs without a subcommand. Unexpected exceptions
anywhere in the GUI (slots, background tasks, other threads) reach ``CrashHandler``: they are
logged with their traceback and shown in a dialog with the log file's path, and the program
keeps running. ``--no-crash-dialog`` (CI, smoke runs) logs them to stderr instead.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, QtMsgType, Signal, qInstallMessageHandler
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QMessageBox, QStyleFactory

from .. import APP_ID, APP_NAME, ORG_NAME, __version__
from ..logging_setup import log_file_path, setup_logging

if TYPE_CHECKING:  # SQLAlchemy loads with the database, not with this module
    from ..model.database import Database
    from .context import AppContext

log = logging.getLogger(__name__)

ACCENT = "#2f6fbd"


# -- palettes ---------------------------------------------------------------------------------
_LIGHT = {
    "Window": "#f4f5f7", "WindowText": "#1f2933", "Base": "#ffffff", "AlternateBase": "#f3f6fa",
    "ToolTipBase": "#ffffff", "ToolTipText": "#1f2933", "PlaceholderText": "#7b8794", "Text": "#1f2933",
    "Button": "#f7f8fa", "ButtonText": "#1f2933", "BrightText": "#ffffff", "Light": "#ffffff",
    "Midlight": "#e4e7eb", "Mid": "#c5cbd3", "Dark": "#9aa5b1", "Shadow": "#52606d", "Highlight": ACCENT,
    "HighlightedText": "#ffffff", "Link": ACCENT, "LinkVisited": "#6b4fa3",
}
_DARK = {
    "Window": "#26282b", "WindowText": "#e3e6ea", "Base": "#1d1f22", "AlternateBase": "#24272b",
    "ToolTipBase": "#2f3236", "ToolTipText": "#e3e6ea", "PlaceholderText": "#8a929c", "Text": "#e3e6ea",
    "Button": "#2f3236", "ButtonText": "#e3e6ea", "BrightText": "#ffffff", "Light": "#3d4146",
    "Midlight": "#363a3f", "Mid": "#4a4f55", "Dark": "#18191b", "Shadow": "#000000", "Highlight": ACCENT,
    "HighlightedText": "#ffffff", "Link": "#7fb0ea", "LinkVisited": "#b39ddb",
}


def _palette(colours: dict[str, str], disabled_text: str) -> QPalette:
    palette = QPalette()
    for role, colour in colours.items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled_text))
    return palette


def light_palette() -> QPalette:
    """Fusion's light palette with the office accent and softer greys."""
    return _palette(_LIGHT, "#9aa5b1")


def dark_palette() -> QPalette:
    """A dark palette with the same accent, for systems set to dark mode."""
    return _palette(_DARK, "#6f767e")


def system_prefers_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_palette(app: QApplication) -> None:
    """Follow the system's light or dark setting."""
    app.setPalette(dark_palette() if system_prefers_dark() else light_palette())
    if app.styleSheet():  # palette(...) colours in the stylesheet are resolved when it is applied
        app.setStyleSheet(app.styleSheet())


# -- application ------------------------------------------------------------------------------
def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with names, style, palette, stylesheet and icon set (reused if it exists)."""
    from .icons import app_icon, stylesheet

    app = QApplication.instance()
    if app is None:
        # Fractional scaling (125 %, 150 %) as the system asks, instead of rounding to 1x or 2x.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    if app.property("pmo_configured"):
        return app
    app.setProperty("pmo_configured", True)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    available_styles = QStyleFactory.keys()
    if "Fusion" in available_styles:
        app.setStyle("Fusion")  # the same look, and a palette that is honoured, on every platform
    apply_palette(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_palette(app))
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(app_icon())
    return app


# -- crash handler ----------------------------------------------------------------------------
def _is_expected(exc: BaseException) -> bool:
    from ..model.database import DatabaseError
    from ..services.errors import ServiceError

    return isinstance(exc, ServiceError | DatabaseError)


class CrashHandler(QObject):
    """Logs every unhandled exception and shows it in a dialog on the GUI thread."""

    crashed = Signal(str, str)  # summary, details
    expected = Signal(object)  # a ServiceError or DatabaseError no caller handled

    def __init__(self, show_dialog: bool = True, parent: QObject | None = None):
        super().__init__(parent)
        self.show_dialog = show_dialog
        self._showing = False
        self.crashed.connect(self._show, Qt.ConnectionType.AutoConnection)
        self.expected.connect(self._show_expected, Qt.ConnectionType.AutoConnection)

    def handle(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Log the exception; then show it (queued to the GUI thread when raised elsewhere)."""
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        if _is_expected(exc) and self.show_dialog:
            # A locked database or a refused rule is news for the user, not a crash.
            log.warning("%s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))
            self.expected.emit(exc)
            return
        log.critical("Unhandled exception", exc_info=(exc_type, exc, tb))
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        summary = f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__
        if not self.show_dialog:
            print(details, file=sys.stderr)
            return
        self.crashed.emit(summary, details)

    def _show(self, summary: str, details: str) -> None:
        if self._showing:  # a failure inside the dialog itself: the log has it
            return
        self._showing = True
        try:
            from .dialogs.error_dialog import ErrorDialog

            ErrorDialog(summary, details, log_file_path(), QApplication.activeWindow()).exec()
        finally:
            self._showing = False

    def _show_expected(self, exc: BaseException) -> None:
        from .dialogs.error_dialog import show_error

        show_error(QApplication.activeWindow(), exc)

    def handle_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        """``threading.excepthook``: an exception that ended a Python thread."""
        if args.exc_value is not None:
            self.handle(args.exc_type, args.exc_value, args.exc_traceback)


_handler: CrashHandler | None = None


def install_crash_handler(show_dialog: bool = True) -> CrashHandler:
    """Route sys.excepthook, threading.excepthook and Qt's warnings through the crash handler."""
    global _handler
    _handler = CrashHandler(show_dialog)
    sys.excepthook = _handler.handle
    threading.excepthook = _handler.handle_thread_exception
    qInstallMessageHandler(_qt_message)
    return _handler


def report_exception(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Show an exception the caller cannot handle: through the crash handler when installed."""
    if _handler is not None:
        _handler.handle(exc_type, exc, tb)
    else:
        sys.excepthook(exc_type, exc, tb)


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(mode: QtMsgType, context, message: str) -> None:
    logging.getLogger("qt").log(_QT_LEVELS.get(mode, logging.WARNING), "%s", message)


# -- start-up ---------------------------------------------------------------------------------
def open_startup_database(url: str | None) -> Database | None:
    """The database to start on; when it cannot be opened, offer another file or quitting (None)."""
    from ..model.database import DatabaseError
    from .main_window.opening import open_office

    while True:
        try:
            return open_office(url, defer_daily_backup=True)
        except DatabaseError as exc:
            log.error("Cannot open database at start-up: %s", exc)
            box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, str(exc), QMessageBox.StandardButton.NoButton)
            box.setInformativeText("You can open another database file, or quit.")
            other = box.addButton("Open Another Database…", QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Close)
            box.exec()
            if box.clickedButton() is not other:
                return None
            name, _ = QFileDialog.getOpenFileName(None, "Open Office Database", str(Path.home()),
                                                  "PMO Desktop database (*.db *.sqlite *.sqlite3);;All files (*)")
            if not name:
                return None
            url = name


def run_gui(database: str | None = None, *, crash_dialog: bool = True, qt_args: list[str] | None = None) -> int:
    """Start the GUI on ``database`` (default: the user's own database, created when missing).

    The cyclic garbage collector is off until the window is shown: loading the program makes
    ~150,000 objects that live as long as it does, and each full collection meanwhile walked all
    of them again (about 6 % of the start's CPU time). Once the window is shown they are frozen
    (``gc.freeze``): the full collections of the session then walk only what the session made
    (at full scale a full collection took ~100-140 ms more with them, landing in whatever the user
    did next). The little cyclic garbage start-up leaves stays with them.
    """
    gc.disable()
    try:
        started = _start(database, crash_dialog, qt_args)
    finally:
        gc.enable()
    if started is None:
        return 1
    gc.freeze()
    app, ctx, _window = started  # the window lives while the application runs
    opened = ctx.db
    code = app.exec()
    from .tasks import wait_for_background_work

    wait_for_background_work()
    opened.take_daily_backup()  # still due only if the window was never exposed
    ctx.db.dispose()
    log.info("%s closed", APP_NAME)
    return code


def _start(database: str | None, crash_dialog: bool,
           qt_args: list[str] | None) -> tuple[QApplication, AppContext, QMainWindow] | None:
    """The application, context and main window, shown, on the start-up database; None when the user quit instead."""
    setup_logging(console=not crash_dialog)
    log.info("%s %s starting", APP_NAME, __version__)
    app = create_application([sys.argv[0], *(qt_args or [])])
    install_crash_handler(show_dialog=crash_dialog)

    db = open_startup_database(database)
    if db is None:
        return None

    from .context import AppContext
    from .main_window import MainWindow

    ctx = AppContext(db)
    window = MainWindow(ctx)
    window.show()
    _AfterFirstPaint(window, lambda: _after_first_paint(db))
    return app, ctx, window


class _AfterFirstPaint(QObject):
    """Calls ``then()`` from the event loop once the window has been exposed, and so painted, the first time."""

    def __init__(self, window: QMainWindow, then: Callable[[], None]):
        super().__init__(window)
        self._then = then
        self._handle = window.windowHandle()
        self._handle.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Expose and self._handle.isExposed():
            # The window paints while it handles this event; the timer fires after that.
            self._handle.removeEventFilter(self)
            QTimer.singleShot(0, self._then)
        return False


def _after_first_paint(db: Database) -> None:
    """Start what the first window need not wait for, each on a worker thread.

    - The ORM's mapper configuration: nothing before the first paint uses the ORM (the window's
      reads go through Core), so the first ORM query would otherwise configure every mapper on
      the GUI thread (60-80 ms), at the user's first click on a project. SQLAlchemy configures
      under its own lock: a query the GUI thread makes meanwhile waits and finds them ready.
    - The first start of the day's backup of the file (0.6 s for a 200 MB office): SQLite's
      backup API copies a consistent snapshot while the window reads and writes.
    """
    from .tasks import run_in_background

    run_in_background(configure_orm)
    run_in_background(db.take_daily_backup)


def configure_orm() -> None:
    """Configure every mapped class of the model now."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
