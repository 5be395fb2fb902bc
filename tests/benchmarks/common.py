"""What every benchmark shares: the result record, medians, the environment and child processes.

Children are plain ``python -m tests.benchmarks.drivers.<name>`` processes started from the
repository root. They print one JSON object on their last line of stdout; the parent adds the
wall time and peak RSS it saw (``os.wait4`` gives the child's own resource usage).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
"""The repository root: children run from here so that ``tests.benchmarks`` imports."""

CHILD_TIMEOUT = 900.0
"""Seconds a child may take before it is killed (a hung child must not hang CI)."""


@dataclass(slots=True)
class Result:
    """One row of bench-results.json: a figure, its baseline from the same run, and the target.

    ``ratio`` is value / baseline value. ``target`` is the highest acceptable ratio (or, with no
    baseline, the highest acceptable value); None where the issue sets no target. ``skipped``
    holds the reason when a measurement could not be made.
    """

    name: str
    value: float | None
    unit: str
    baseline_name: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: float | None = None
    runs: int = 0
    note: str = ""
    skipped: str | None = None
    samples: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.baseline_value:
            self.ratio = self.value / self.baseline_value

    @property
    def met(self) -> bool | None:
        """True/False against the target; None when there is no target or no figure."""
        if self.target is None or self.skipped:
            return None
        measured = self.ratio if self.baseline_name else self.value
        return None if measured is None else measured <= self.target

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["met"] = self.met
        return data


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def time_call(fn: Callable[[], Any], runs: int, *, warmup: int = 1) -> list[float]:
    """Seconds per call of ``fn`` for ``runs`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def isolated_env(work: Path) -> dict[str, str]:
    """The environment for children: offscreen Qt, and home, config, data and cache dirs in ``work``.

    The program's QSettings (window state, last tab), log files and backups then never touch the
    user's own, and every run starts from the same (empty) preferences. MPLCONFIGDIR stays the
    same across runs so that matplotlib's font cache is built once, by the untimed warm-up run.
    """
    home = work / "home"
    env = dict(os.environ)
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "PMO_DATA_DIR": str(home / "data"),
        "MPLCONFIGDIR": str(home / ".mpl"),
        "QT_QPA_PLATFORM": "offscreen",
    })
    env.pop("PMO_DATABASE_URL", None)
    for folder in ("home", "home/.config", "home/.mpl"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    return env


@dataclass(slots=True)
class ChildRun:
    """What one child reported (its last JSON line), and what the parent measured around it."""

    data: dict[str, Any]
    wall: float
    """Seconds from just before the process was started to its exit."""
    ready: float | None
    """Seconds from just before the start to the child's ``READY`` line, if it printed one."""
    max_rss_mib: float | None
    """The child's ru_maxrss from os.wait4, MiB; on Linux it can be the parent's peak (see
    ``peak_rss_mib``), so the benchmarks use what the child reports itself."""


class ChildError(RuntimeError):
    """A child process failed; the message has the tail of its stderr, ``summary`` its last line."""

    def __init__(self, message: str, summary: str):
        super().__init__(message)
        self.summary = summary


def _rss_mib(ru_maxrss: int) -> float:
    # Linux reports KiB, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def run_child(driver: str, args: Sequence[str], env: dict[str, str], *, timeout: float = CHILD_TIMEOUT) -> ChildRun:
    """Run ``python -m tests.benchmarks.drivers.<driver> ARGS`` and collect what it reports.

    A line ``READY`` on stdout marks the moment the child counts as started (the startup
    benchmark); the last line must be JSON. The child's stderr is kept for the error message.
    """
    command = [sys.executable, "-m", f"tests.benchmarks.drivers.{driver}", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, bufsize=1)
    ready = None
    lines: list[str] = []
    assert process.stdout is not None and process.stderr is not None
    # A hung child is killed after ``timeout`` (CI must not hang); stderr is drained by a thread
    # so that a chatty child cannot block on a full pipe.
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    stderr_chunks: list[str] = []
    drain = threading.Thread(target=lambda: stderr_chunks.append(process.stderr.read()), daemon=True)
    drain.start()
    try:
        # stdout is read line by line so that READY is timed when it arrives.
        for line in process.stdout:
            if ready is None and line.strip() == "READY":
                ready = time.perf_counter() - started
                continue
            lines.append(line)
    finally:
        watchdog.cancel()
    rusage = None
    if hasattr(os, "wait4"):
        _pid, status, rusage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    else:  # pragma: no cover - Windows
        process.wait()
    wall = time.perf_counter() - started
    drain.join()
    stderr = "".join(stderr_chunks)
    process.stdout.close()
    process.stderr.close()
    if process.returncode != 0:
        lines_err = stderr.strip().splitlines()
        tail = "\n".join(lines_err[-25:])
        last = lines_err[-1] if lines_err else "no error output"
        raise ChildError(f"{driver} {' '.join(args)} exited with {process.returncode}:\n{tail}",
                         f"{driver} {args[0] if args else ''} exited with {process.returncode}: {last}")
    payload = next((line for line in reversed(lines) if line.strip().startswith("{")), None)
    if payload is None:
        raise ChildError(f"{driver} {' '.join(args)} printed no JSON result; stderr:\n{stderr[-2000:]}",
                         f"{driver} {args[0] if args else ''} printed no result")
    return ChildRun(json.loads(payload), wall, ready, _rss_mib(rusage.ru_maxrss) if rusage is not None else None)


PROFILE_ENV = "PMO_BENCH_PROFILE"
"""When set in a child's environment: profile the child with cProfile into this path (+ ``.txt``)."""

_profiler = None


def start_profile() -> None:
    """For children: start cProfile if the parent asked for a profile (``bench.py --profile``)."""
    global _profiler
    if os.environ.get(PROFILE_ENV):
        import cProfile

        _profiler = cProfile.Profile()
        _profiler.enable()


def _stop_profile() -> None:
    if _profiler is None:
        return
    import pstats

    _profiler.disable()
    path = Path(os.environ[PROFILE_ENV])
    _profiler.dump_stats(path)
    with open(f"{path}.txt", "w") as out:
        stats = pstats.Stats(_profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)


def report_and_exit(data: dict[str, Any]) -> None:
    """For children: print the result as the last line and leave at once.

    ``os._exit`` skips interpreter and Qt teardown, which is not what is being measured (and at
    100,000 widgets' worth of rows can take seconds).
    """
    _stop_profile()
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def signal_ready() -> None:
    """For children: tell the parent the measured moment has come (see ``run_child``)."""
    sys.stdout.write("READY\n")
    sys.stdout.flush()


def _proc_status(field_name: str) -> float | None:
    """A ``VmXXX`` line of /proc/self/status in MiB (None where there is no /proc)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return None


def peak_rss_mib() -> float | None:
    """This process's peak RSS so far, MiB.

    VmHWM from /proc where there is one: ``getrusage(RUSAGE_SELF).ru_maxrss`` is not usable for
    a child on Linux, because exec keeps the high-water mark of the memory it replaced (with
    vfork, the parent's), so a child of a big parent reports the parent's peak. Elsewhere
    ``ru_maxrss`` (None on Windows).
    """
    hwm = _proc_status("VmHWM")
    if hwm is not None:
        return hwm
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    return _rss_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def current_rss_mib() -> float | None:
    """This process's RSS now, MiB, from /proc (None where there is no /proc)."""
    return _proc_status("VmRSS")
