"""The program's log: a rotating file in the user's log folder, with passwords scrubbed.

``setup_logging()`` is called once at start-up (GUI and CLI). Every line written, tracebacks
included, passes through ``redact()`` so that a database URL such as
``postgresql://pmo:secret@server/pmo`` is logged as ``postgresql://pmo:***@server/pmo``.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

from . import paths

LOG_FILE_NAME = "pmo-desktop.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(message)s"

# user:password@ inside a URL, and password=... / pwd: ... in connection strings and messages.
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)(?P<tail>@)")
_KEY_PASSWORD = re.compile(r"(?P<head>\b(?:password|passwd|pwd)\s*[=:]\s*)(?P<secret>[^\s&;,'\"]+)",
                           re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every password in a URL or ``password=`` pair replaced by ``***``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['tail']}", text)
    return _KEY_PASSWORD.sub(lambda m: f"{m['head']}***", text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then scrubs passwords from the whole entry (traceback included)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_file_path() -> Path:
    """Where the current log file is (the folder is created when missing)."""
    return paths.user_log_dir() / LOG_FILE_NAME


_installed_handlers: list[logging.Handler] = []


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file (the first and each after a rollover) only its owner reads."""

    def _open(self):
        stream = super()._open()
        if os.name == "posix":
            os.chmod(self.baseFilename, 0o600)
        return stream


def setup_logging(level: int = logging.INFO, *, console: bool = False) -> Path:
    """Send the program's log records to the rotating file (and to stderr when ``console``).

    Safe to call more than once: handlers installed by an earlier call are replaced, so a test
    that points ``PMO_LOG_DIR`` elsewhere gets its own file. Returns the log file's path.
    """
    root = logging.getLogger()
    for handler in _installed_handlers:
        root.removeHandler(handler)
        handler.close()
    _installed_handlers.clear()

    path = log_file_path()
    file_handler = PrivateRotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )
    file_handler.setFormatter(RedactingFormatter(_FORMAT))
    _installed_handlers.append(file_handler)
    if console and sys.stderr is not None:  # a windowed (frozen) program has no stderr
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
        _installed_handlers.append(stream)
    for handler in _installed_handlers:
        root.addHandler(handler)
    root.setLevel(level)
    # Alembic narrates every start-up check at INFO; its warnings and errors are what matter here.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
    return path
