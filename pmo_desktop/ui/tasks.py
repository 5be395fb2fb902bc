"""Background work: run a function on the thread pool, get its result back on the GUI thread.

    run_in_background(lambda progress: build_pack(db, out, progress), on_done=self._on_pack_written,
                      on_error=self._on_pack_failed, progress="Writing the executive pack…", parent=self)

The function runs on a worker thread and must not touch widgets; if it wants a Session it
opens its own (``db.session()``). It may take one argument, a ``Progress``, to report how far
it is and to notice Cancel. ``on_done(result)`` and ``on_error(exc)`` are called on the GUI
thread. A progress dialog with Cancel appears only when the work takes longer than
``PROGRESS_DELAY_MS``, so quick tasks never flash a window. Writes (``write=True``) queue on one
dedicated thread so that two background writes never race each other.

Every Qt object of a task lives and dies on the GUI thread. The worker reports through one
dispatcher that is never deleted, naming its task by number, and drops its own reference to the
function before it reports, so that nothing the GUI thread owns is ever freed by the worker
thread (a QObject destroyed there while the GUI thread uses it crashes the process).
"""

from __future__ import annotations

import inspect
import itertools
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

log = logging.getLogger(__name__)

PROGRESS_DELAY_MS = 500

MIN_READ_WORKERS = 4
"""Background reads run side by side on at least this many threads, whatever the core count.

Much of the work waits on the disk or the database with the interpreter released (SQLite, a
backup copy, a module import), and a long task (the first start of the day's backup of a big
file) must not hold back a tab's read queued behind it on a two-core machine."""

_read_pool: QThreadPool | None = None
_write_pool: QThreadPool | None = None
_running: dict[int, Task] = {}  # keeps each task alive until it reports back, by its number
_numbers = itertools.count(1)


class Cancelled(Exception):  # noqa: N818 - reads as "raise Cancelled"
    """Raised by ``Progress.check()`` inside the work once the user pressed Cancel."""


class Progress:
    """Handed to the background function: report progress, and see whether Cancel was pressed."""

    def __init__(self, task_number: int):
        self._task_number = task_number
        self._cancelled = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Stop the work here (raise Cancelled) if the user pressed Cancel."""
        if self.cancelled:
            raise Cancelled()

    def report(self, done: int, total: int = 0, text: str | None = None) -> None:
        """``done`` of ``total`` steps (total 0: unknown), with an optional new label."""
        _dispatcher().progressed.emit(self._task_number, int(done), int(total), text or "")

    def cancel(self) -> None:
        self._cancelled.set()


class _Dispatcher(QObject):
    """Created once, on the GUI thread, and never deleted; emitted from workers, delivered queued."""

    finished = Signal(int, object)
    failed = Signal(int, object)
    progressed = Signal(int, int, int, str)


_the_dispatcher: _Dispatcher | None = None


def _dispatcher() -> _Dispatcher:
    global _the_dispatcher
    if _the_dispatcher is None:
        _the_dispatcher = _Dispatcher()
        queued = Qt.ConnectionType.QueuedConnection
        _the_dispatcher.finished.connect(lambda n, result: _deliver(n, Task._finished, result), queued)
        _the_dispatcher.failed.connect(lambda n, exc: _deliver(n, Task._failed, exc), queued)
        _the_dispatcher.progressed.connect(
            lambda n, done, total, text: _deliver(n, Task._progressed, done, total, text), queued)
    return _the_dispatcher


def _deliver(number: int, handler: Callable[..., None], *args: Any) -> None:
    task = _running.get(number)
    if task is not None:
        handler(task, *args)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], number: int):
        super().__init__()
        self.setAutoDelete(True)
        self._fn: Callable[[], Any] | None = fn
        self._number = number

    def run(self) -> None:
        fn, self._fn = self._fn, None
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the GUI thread
            del fn  # the task still holds it: the last reference goes on the GUI thread
            _dispatcher().failed.emit(self._number, exc)
        else:
            del fn
            _dispatcher().finished.emit(self._number, result)


class Task(QObject):
    """One piece of background work; ``cancel()`` asks it to stop at its next ``Progress.check()``.

    ``progressed(done, total, text)`` repeats each ``Progress.report`` on the GUI thread.
    """

    progressed = Signal(int, int, str)

    def __init__(self, label: str | None, parent: QWidget | None,
                 on_done: Callable[[Any], None] | None, on_error: Callable[[BaseException], None] | None,
                 on_cancelled: Callable[[], None] | None):
        super().__init__()
        self.number = next(_numbers)
        self.progress = Progress(self.number)
        self._call: Callable[[], Any] | None = None  # the work, held here so the GUI thread frees it
        self._on_done = on_done
        self._on_error = on_error
        self._on_cancelled = on_cancelled
        self._dialog: QProgressDialog | None = None
        self._label = label
        self._parent = parent
        self.is_finished = False
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(PROGRESS_DELAY_MS)
        self._show_timer.timeout.connect(self._show_dialog)

    @property
    def dialog(self) -> QProgressDialog | None:
        """The progress dialog, once the work has taken long enough to show it."""
        return self._dialog

    def cancel(self) -> None:
        self.progress.cancel()
        if self._dialog is not None:
            self._dialog.setLabelText("Cancelling…")

    def _start_timer(self) -> None:
        if self._label is not None:
            self._show_timer.start()

    def _show_dialog(self) -> None:
        if self.is_finished:
            return
        dialog = QProgressDialog(self._label or "", "Cancel", 0, 0, self._parent)
        dialog.setWindowTitle("PMO Desktop")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(380)
        dialog.canceled.connect(self.cancel)
        dialog.show()
        self._dialog = dialog

    def _progressed(self, done: int, total: int, text: str) -> None:
        if not self.is_finished:
            self.progressed.emit(done, total, text)
        dialog = self._dialog
        if dialog is None or self.is_finished:
            return
        if text and not self.progress.cancelled:
            dialog.setLabelText(text)
        dialog.setMaximum(max(total, 0))
        # Last: on a modal dialog setValue() processes events, and the task may finish inside it.
        dialog.setValue(min(done, total) if total else 0)

    def _close(self) -> None:
        self.is_finished = True
        self._show_timer.stop()
        if self._dialog is not None:
            self._dialog.hide()
            self._dialog.deleteLater()
            self._dialog = None
        self._call = None
        _running.pop(self.number, None)

    def _finished(self, result: Any) -> None:
        self._close()
        if self.progress.cancelled:
            if self._on_cancelled is not None:
                self._on_cancelled()
            return
        if self._on_done is not None:
            self._on_done(result)

    def _failed(self, exc: BaseException) -> None:
        self._close()
        if isinstance(exc, Cancelled):
            if self._on_cancelled is not None:
                self._on_cancelled()
            return
        if self._on_error is not None:
            self._on_error(exc)
            return
        # No handler: this is a bug, so it goes to the crash handler (dialog + log).
        sys.excepthook(type(exc), exc, exc.__traceback__)


def _takes_progress(fn: Callable) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                  inspect.Parameter.VAR_POSITIONAL)
    return any(p.kind in positional and p.default is inspect.Parameter.empty for p in params)


def read_pool() -> QThreadPool:
    """The pool that runs background work other than writes (Qt's global pool, at least MIN_READ_WORKERS wide)."""
    global _read_pool
    if _read_pool is None:
        _read_pool = QThreadPool.globalInstance()
        _read_pool.setMaxThreadCount(max(_read_pool.maxThreadCount(), MIN_READ_WORKERS))
    return _read_pool


def write_pool() -> QThreadPool:
    """The single-thread pool that serialises background writes."""
    global _write_pool
    if _write_pool is None:
        _write_pool = QThreadPool()
        _write_pool.setMaxThreadCount(1)
    return _write_pool


def run_in_background(fn: Callable[..., Any], on_done: Callable[[Any], None] | None = None,
                      on_error: Callable[[BaseException], None] | None = None, progress: str | None = None,
                      *, parent: QWidget | None = None, on_cancelled: Callable[[], None] | None = None,
                      write: bool = False) -> Task:
    """Run ``fn`` (or ``fn(progress)``) on a worker thread; see the module docstring.

    ``progress`` is the label of the progress dialog (None: no dialog). Without ``on_error`` an
    exception is treated as a bug and shown by the crash handler. Returns the Task, whose
    ``cancel()`` stops work that calls ``progress.check()``.
    """
    _dispatcher()  # made on the GUI thread, before any worker reports
    task = Task(progress, parent, on_done, on_error, on_cancelled)
    reporter = task.progress  # the work captures the Progress, never the Task (a QObject)
    task._call = call = (lambda: fn(reporter)) if _takes_progress(fn) else fn
    _running[task.number] = task
    pool = write_pool() if write else read_pool()
    task._start_timer()
    pool.start(_Runnable(call, task.number))
    return task


def wait_for_background_work(msecs: int = 30_000) -> bool:
    """Block until queued background work is done (on quit, and in tests). True if all finished."""
    done = QThreadPool.globalInstance().waitForDone(msecs)
    if _write_pool is not None:
        done = _write_pool.waitForDone(msecs) and done
    return done
