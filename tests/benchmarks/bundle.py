"""The packaged executable: bundle size, and launch to main window shown, bundle vs source.

``run_bundle(dataset, env, log=..., runs=...)`` builds the one-folder bundle with PyInstaller
(``pyinstaller.spec``, into ``<dataset folder>/bundle/``), measures its size on disk, and times
the bundle and the source program from launch to the main window shown with its first tab's
table filled, on the same database, offscreen, in the same isolated environment as the startup
benchmark. It returns ``(results, failed)``: ``failed`` is true when the build or a run broke.

"Window shown" is decided as in ``drivers/startup.py``: the main window is exposed and the current
tab's table has rows. From source that driver patches ``QApplication.exec`` from outside; a frozen
program cannot be reached that way, so the bundle carries a runtime hook
(``scripts/pyi_rth_bench_ready.py``) that does the same when ``PMO_BENCH_READY=1`` is set, and is
inert otherwise. Both print ``READY``, timed by the parent from just before the process starts,
then the first-show time of each other tab (the Risks tab's is where matplotlib is first imported
and its font cache read, or built).

Skipped with a reason when PyInstaller is not installed (``pip install -e .[build]``) and at the
quick scale (the build alone takes a minute or more; ``make bench-quick`` runs in CI).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .common import CHILD_TIMEOUT, REPO, ChildError, Result, run_child
from .dataset import Dataset

READY_ENV = "PMO_BENCH_READY"
SIZE_NAME = "bundle size: one-folder Linux bundle (pyinstaller.spec), unpacked on disk"
START_NAME = "bundle startup: launch to main window shown with the {tab} table filled ({rows:,} rows)"
CHART_NAME = "bundle first chart: Risks tab first show (heat map; matplotlib imported, font cache read)"
SOURCE_START = "the same from source (python, tests.benchmarks.drivers.startup)"
SOURCE_CHART = "the same from source"


def skip_reason(quick: bool) -> str | None:
    """Why the bundle is not measured in this run, or None to measure it."""
    if quick:
        return "not at quick scale: building the bundle takes a minute or more (make bench measures it)"
    if importlib.util.find_spec("PyInstaller") is None:
        return "PyInstaller is not installed (pip install -e .[build])"
    return None


def folder_size_mib(folder: Path) -> float:
    """Bytes of the files under ``folder`` (symlinks counted once, as ``du`` does), in MiB."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total / 1024**2


def build_bundle(work: Path, log: Callable[[str], None]) -> tuple[Path, float]:
    """Build the bundle into ``work``; the program folder and the build's seconds."""
    shutil.rmtree(work, ignore_errors=True)
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
               "--distpath", str(work / "dist"), "--workpath", str(work / "build"), str(REPO / "pyinstaller.spec")]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-25:])
        raise ChildError(f"pyinstaller exited with {done.returncode}:\n{tail}",
                         f"pyinstaller exited with {done.returncode}")
    folder = work / "dist" / "pmo-desktop"
    log(f"   built {folder} in {seconds:.0f} s")
    return folder, seconds


def run_frozen(exe: Path, url: str, env: dict[str, str]) -> tuple[float, dict]:
    """Launch the bundle with the ready probe on; seconds to ``READY`` and what it reported."""
    command = [str(exe), "--database", url, "--no-crash-dialog"]
    env = {**env, READY_ENV: "1"}
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=exe.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, bufsize=1)
    watchdog = threading.Timer(CHILD_TIMEOUT, process.kill)
    watchdog.start()
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)
    drain.start()
    ready, lines = None, []
    try:
        for line in process.stdout:
            if ready is None and line.strip() == "READY":
                ready = time.perf_counter() - started
            else:
                lines.append(line)
    finally:
        watchdog.cancel()
    process.wait()
    drain.join()
    process.stdout.close()
    process.stderr.close()
    payload = next((line for line in reversed(lines) if line.strip().startswith("{")), None)
    if process.returncode != 0 or ready is None or payload is None:
        tail = "\n".join("".join(errors).strip().splitlines()[-25:])
        raise ChildError(f"bundle exited with {process.returncode} (ready: {ready}):\n{tail}",
                         f"bundle exited with {process.returncode}" + ("" if ready else " before READY"))
    return ready, json.loads(payload)


def run_bundle(dataset: Dataset, env: dict[str, str], *, log: Callable[[str], None] = print,
               quick: bool = False) -> tuple[list[Result], bool]:
    """The bundle's rows for the results table, and whether a measurement failed."""
    reason = skip_reason(quick)
    if reason is not None:
        log(f"-- bundle: skipped ({reason})")
        return [Result(SIZE_NAME, None, "MiB", skipped=reason)], False
    log("-- bundle: build, size, startup vs source")
    try:
        return _measure(dataset, env, log), False
    except (ChildError, subprocess.TimeoutExpired, OSError) as exc:
        log(f"   FAILED: {exc}")
        summary = exc.summary if isinstance(exc, ChildError) else f"{type(exc).__name__}: {exc}"
        return [Result(SIZE_NAME, None, "MiB", skipped=f"failed: {summary}")], True


def _measure(dataset: Dataset, env: dict[str, str], log: Callable[[str], None]) -> list[Result]:
    folder, build_seconds = build_bundle(dataset.folder / "bundle", log)
    exe = folder / ("pmo-desktop.exe" if sys.platform == "win32" else "pmo-desktop")
    size = folder_size_mib(folder)
    url = dataset.url()
    # PyInstaller's matplotlib hook makes a temporary folder per launch; keep those in the scratch
    # folder (the probe leaves with os._exit, so the hook's clean-up at exit does not run).
    tmp = dataset.folder / "bundle" / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**env, "TMPDIR": str(tmp)}
    # One untimed run of each first (the OS file cache; matplotlib's font cache, built once in the
    # user cache folder by the bundle and in MPLCONFIGDIR from source).
    run_frozen(exe, url, env)
    run_child("startup", ["app", url], env)
    frozen, source = [], []
    for n in range(dataset.scale.runs):
        frozen.append(run_frozen(exe, url, env))
        source.append(run_child("startup", ["app", url], env))
        log(f"   run {n + 1}: bundle {frozen[-1][0]:.2f} s, source {source[-1].ready:.2f} s")
    shutil.rmtree(tmp, ignore_errors=True)
    bundle_ready = [seconds for seconds, _data in frozen]
    source_ready = [r.ready for r in source if r.ready is not None]
    first, rows = source[0].data["first_tab"], source[0].data["rows"]
    bundle_chart = [data["first_show"]["Risks"] for _s, data in frozen if "Risks" in data["first_show"]]
    source_chart = [r.data["first_show"]["Risks"] for r in source if "Risks" in r.data["first_show"]]
    med = statistics.median
    results = [
        Result(SIZE_NAME, size, "MiB", target=150, runs=1,
               note=f"built in {build_seconds:.0f} s; what was left out and why: pyinstaller.spec, "
                    "and 'Bundle' in docs/performance.md"),
        Result(START_NAME.format(tab=first, rows=rows[first]), med(bundle_ready), "s", SOURCE_START,
               med(source_ready), runs=len(bundle_ready), samples=bundle_ready,
               note="offscreen, isolated (empty) user settings; 'shown' as in the startup benchmark"),
    ]
    if bundle_chart and source_chart:
        results.append(Result(CHART_NAME, med(bundle_chart) * 1000, "ms", SOURCE_CHART, med(source_chart) * 1000,
                              runs=len(bundle_chart), samples=[s * 1000 for s in bundle_chart],
                              note="in the same processes, after READY"))
    return results
