"""A script that starts the real program in a subprocess with one piece of its background work held.

The tests that check what the first window waits for (and what it does not) run the entry point
with ``QApplication.exec`` replaced by their own ``exec_and_check`` and one function held on a
``threading.Event`` (``released``) until the check lets it go (a function of no arguments: a
background task's function that takes one is handed a Progress); ``held_on_main_thread`` records, per
call, whether the held function ran on the GUI thread.
"""

from __future__ import annotations

_PRELUDE = """
import sys, threading, time
from PySide6.QtWidgets import QApplication
{imports}

released = threading.Event()
held_on_main_thread = []
_original = {target}

def _held():
    held_on_main_thread.append(threading.current_thread() is threading.main_thread())
    released.wait(60)
    return _original()

{target} = _held

def process_until(app, done):
    deadline = time.monotonic() + 60
    while not done() and time.monotonic() < deadline:
        app.processEvents()
"""

_START = """
QApplication.exec = exec_and_check
from pmo_desktop.__main__ import main
main(["--database", sys.argv[1], "--no-crash-dialog"])
"""


def held_start_script(imports: str, target: str, check: str) -> str:
    """The script: ``imports`` (lines), ``target`` (the held function, as ``module.name``), ``check``
    (defines ``exec_and_check(*_args)``, which returns the exit code). Its argument is the database."""
    return _PRELUDE.format(imports=imports.strip(), target=target) + check + _START
