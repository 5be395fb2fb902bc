"""Every measurement of the bench, in order, each reported against a baseline from the same run.

``run_suite(dataset, env, log)`` returns a list of ``Result``. A section whose child fails is
recorded as a skipped result with the error, and ``Suite.failed`` lists it, so that the runner
can exit non-zero: in CI a broken harness must show, while slow figures never fail anything.
"""

from __future__ import annotations

import importlib.util
import statistics
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .common import PROFILE_ENV, ChildError, ChildRun, Result, run_child
from .dataset import Dataset

SECONDS, MS, MIB = "s", "ms", "MiB"

FLOOR_NAME = "floor: import PySide6 + SQLAlchemy, one SELECT, bare QMainWindow shown"
CALAMINE_NAME = "python-calamine read of the same workbook"


def _ms(seconds: float) -> float:
    return seconds * 1000


def _med(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Suite:
    """One bench run over ``dataset`` with children in ``env``; ``log`` prints progress."""

    dataset: Dataset
    env: dict[str, str]
    log: Callable[[str], None] = print
    profile: bool = False
    results: list[Result] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    scaling_4x: list[float] = field(default_factory=list)
    """The full-size import's samples, reused as the 4x point of the scaling series."""

    @property
    def runs(self) -> int:
        return self.dataset.scale.runs

    @property
    def scratch(self) -> Path:
        return self.dataset.folder

    def child(self, driver: str, *args: str, profile_as: str | None = None) -> ChildRun:
        env = self.env
        if profile_as is not None:
            env = {**env, PROFILE_ENV: str(self.scratch / f"profile-{profile_as}.prof")}
        return run_child(driver, [str(a) for a in args], env)

    def section(self, name: str, fn: Callable[[], None]) -> None:
        self.log(f"-- {name}")
        try:
            fn()
        except (ChildError, Exception) as exc:  # one broken section must not lose the others
            detail = str(exc) if isinstance(exc, ChildError) else traceback.format_exc()
            self.log(f"   FAILED: {detail}")
            self.failed.append(name)
            summary = exc.summary if isinstance(exc, ChildError) else f"{type(exc).__name__}: {exc}"
            self.results.append(Result(name, None, "", skipped=f"failed: {summary}"))

    def run(self) -> list[Result]:
        self.section("startup and tab switch", self.startup)
        self.section("import, re-import, memory", self.importing)
        self.section("import scaling", self.scaling)
        self.section("table filter and sort", self.table)
        self.section("analytics queries", self.analytics)
        self.section("export pack", self.export)
        self.section("heat map widget", self.heat_map)
        if self.profile:
            self.section("profiles", self.profiles)
        return self.results

    # -- startup ---------------------------------------------------------------------------
    def startup(self) -> None:
        url = self.dataset.url()
        # One untimed run of each first: byte-code, font and matplotlib caches, the OS file cache.
        self.child("startup", "floor", url)
        self.child("startup", "app", url)
        floors, apps = [], []
        for n in range(self.runs):
            floors.append(self.child("startup", "floor", url))
            apps.append(self.child("startup", "app", url))
            self.log(f"   run {n + 1}: app {apps[-1].ready:.2f} s, floor {floors[-1].ready:.2f} s")
        floor = [r.ready for r in floors if r.ready is not None]
        app = [r.ready for r in apps if r.ready is not None]
        first = apps[0].data["first_tab"]
        rows = apps[0].data["rows"]
        self.results.append(Result(
            f"startup: launch to main window shown with the {first} table filled ({rows[first]:,} rows)",
            _med(app), SECONDS, FLOOR_NAME, _med(floor), target=1.5, runs=len(app), samples=app,
            note="whole process from launch, offscreen, isolated (empty) user settings"))
        charts = [_ms(r.data["first_chart_s"]) for r in apps if r.data.get("first_chart_s") is not None]
        if charts:
            self.results.append(Result(
                f"startup: the {first} tab's first chart drawn, after the window was shown", _med(charts), MS,
                runs=len(charts), samples=charts,
                note="from the window shown with its table filled to the chart painted; matplotlib is imported "
                     "on a worker thread meanwhile, the window usable"))
        for kind, label in (("first_show", "first show"), ("refresh", "refresh")):
            for tab in apps[0].data[kind]:
                samples = [_ms(r.data[kind][tab]) for r in apps]
                self.results.append(Result(
                    f"tab switch: {tab} tab {label} ({rows[tab]:,} rows)", _med(samples), MS, target=200,
                    runs=len(samples), samples=samples,
                    note="first show: switching to the tab (which refreshes it) and the paint that follows"
                    if kind == "first_show" else "refresh: tab.refresh() and the paint that follows"))
                filled = [_ms(r.data[f"{kind}_filled"][tab]) for r in apps if tab in r.data.get(f"{kind}_filled", {})]
                stalls = [_ms(r.data[f"{kind}_stall"][tab]) for r in apps if tab in r.data.get(f"{kind}_stall", {})]
                if filled and max(stalls) > 0:  # the tab read in the background: the step is not the whole wait
                    self.results.append(Result(
                        f"tab switch: {tab} tab {label}, until its table is filled", _med(filled), MS, target=200,
                        runs=len(filled), samples=filled,
                        note="the step above, then the background read to its rows put in place and painted"))
                    self.results.append(Result(
                        f"tab switch: {tab} tab {label}, longest GUI stall while it reads", _med(stalls), MS,
                        target=200, runs=len(stalls), samples=stalls,
                        note="the largest gap of a 5 ms timer on the GUI thread until the rows are painted"))

    # -- import ----------------------------------------------------------------------------
    def importing(self) -> None:
        ds = self.dataset
        book = ds.status_workbook
        copy = self.scratch / "import-run.db"
        reads = [self.child("importing", "calamine", book) for _ in range(self.runs)]
        imports = []
        for n in range(self.runs):
            imports.append(self.child("importing", "import", ds.import_base, book, copy, "--reimport"))
            self.log(f"   run {n + 1}: import {imports[-1].data['seconds']:.2f} s, "
                     f"re-import {imports[-1].data['reimport_seconds']:.2f} s, "
                     f"calamine {reads[n].data['seconds']:.2f} s")
        rows = ds.status_rows
        read = [r.data["seconds"] for r in reads]
        first = [r.data["seconds"] for r in imports]
        again = [r.data["reimport_seconds"] for r in imports]
        counts, recounts = imports[0].data["counts"], imports[0].data["reimport_counts"]
        check = "" if counts["new"] == rows and not counts["reject"] else f"; expected {rows:,} new rows, got {counts}"
        recheck = "" if recounts["unchanged"] == rows else f"; expected all unchanged, got {recounts}"
        self.scaling_4x = first
        self.results.append(Result(
            f"import: status workbook, {rows:,} new rows, import_files end to end", _med(first), SECONDS,
            CALAMINE_NAME, _med(read), target=3.0, runs=len(first), samples=first,
            note="into a copy of the scale office without its status history" + check))
        self.results.append(self._pandas(book, _med(first)))
        self.results.append(Result(
            f"re-import: the same workbook again, {rows:,} rows unchanged", _med(again), SECONDS,
            CALAMINE_NAME, _med(read), target=1.5, runs=len(again), samples=again, note=recheck.lstrip("; ")))
        peak = [r.data["peak_rss_mib"] for r in imports if r.data.get("peak_rss_mib")]
        read_peak = [r.data["peak_rss_mib"] for r in reads if r.data.get("peak_rss_mib")]
        if peak and read_peak:
            before = _med([r.data["rss_before_mib"] for r in imports if r.data.get("rss_before_mib")] or [0])
            read_before = _med([r.data["rss_before_mib"] for r in reads if r.data.get("rss_before_mib")] or [0])
            self.results.append(Result(
                f"memory: peak RSS of the import process ({rows:,} rows)", _med(peak), MIB,
                "peak RSS of the calamine-only read process", _med(read_peak), runs=len(peak), samples=peak,
                note=f"RSS before the work: import {before:.0f} MiB (program loaded, database open), "
                     f"calamine {read_before:.0f} MiB"))
        else:
            self.results.append(Result("memory: peak RSS of the import", None, MIB,
                                       skipped="resource.getrusage is not available here"))

    def _pandas(self, book: Path, import_seconds: float) -> Result:
        name = "import vs pandas.read_excel(engine='openpyxl') + DataFrame.to_sql"
        if importlib.util.find_spec("pandas") is None:
            return Result(name, None, SECONDS, "pandas read_excel + to_sql", None,
                          skipped="pandas is not importable in this environment (it is not a dependency)")
        runs = [self.child("importing", "pandas", book, self.scratch / "pandas.db") for _ in range(self.runs)]
        seconds = [r.data["seconds"] for r in runs]
        return Result(name, import_seconds, SECONDS, "pandas read_excel + to_sql", _med(seconds), runs=len(seconds),
                      note="pandas only reads and dumps; no header finding, mapping, validation, plan or audit")

    # -- scaling ---------------------------------------------------------------------------
    def scaling(self) -> None:
        ds = self.dataset
        copy = self.scratch / "import-run.db"
        seconds: dict[str, list[float]] = {"4x": self.scaling_4x}
        for step in ("1x", "2x"):
            seconds[step] = [self.child("importing", "import", ds.import_base, ds.scaling_workbook(step), copy)
                             .data["seconds"] for _ in range(self.runs)]
        if not seconds["4x"]:
            seconds["4x"] = [self.child("importing", "import", ds.import_base, ds.status_workbook, copy)
                             .data["seconds"] for _ in range(self.runs)]
        rows = ds.scaling_rows
        base = _med(seconds["1x"])
        for step in ("1x", "2x", "4x"):
            growth = rows[step] / rows["1x"]
            self.results.append(Result(
                f"import scaling {step}: {rows[step]:,} rows", _med(seconds[step]), SECONDS,
                f"import scaling 1x: {rows['1x']:,} rows", base, runs=len(seconds[step]),
                samples=seconds[step],
                note=f"rows x{growth:.2f} (linear growth would be a ratio of {growth:.2f}); "
                     f"{_med(seconds[step]) / rows[step] * 1e6:.0f} µs per row"))

    # -- table model -------------------------------------------------------------------------
    def table(self) -> None:
        run = self.child("table", self.dataset.url(), self.dataset.scale.filter_rows, self.runs)
        d = run.data
        rows = d["rows"]
        same = d["filter_model_rows"] == d["filter_baseline_rows"]
        found = (f"typed '{d['word']}' ({d['keystrokes']} keystrokes), {d['filter_model_rows']:,} rows match"
                 + ("" if same else f"; the baseline found {d['filter_baseline_rows']:,}: not comparable"))
        baseline = "list comprehension over the same tuples, same predicate"
        self.results.append(Result(
            f"table filter: RAID model, {rows:,} rows, per keystroke", _ms(d["filter_model_s"]), MS, baseline,
            _ms(d["filter_baseline_s"]), target=3.0, runs=self.runs, note=found))
        self.results.append(Result(
            f"table filter with a shown QTableView, {rows:,} rows, per keystroke", _ms(d["filter_view_s"]), MS,
            baseline, _ms(d["filter_baseline_s"]), runs=self.runs,
            note="what a user waits for per keystroke (the filter box debounces typing)"))
        self.results.append(Result(
            f"table sort: RAID model by Title, {rows:,} rows", _ms(d["sort_model_s"]), MS,
            "list.sort of the same tuples by the casefolded title", _ms(d["sort_baseline_s"]), target=3.0,
            runs=self.runs, note="target taken from the filter's (the issue lists them together)"))

    # -- analytics -----------------------------------------------------------------------------
    def analytics(self) -> None:
        run = self.child("analytics", self.dataset.url(), self.runs)
        for name, d in run.data["figures"].items():
            tab_read = name.endswith("_rows")
            self.results.append(Result(
                f"{'query' if tab_read else 'analytics'}: {name} ({d['rows']:,} {d['counted']})",
                _ms(d["seconds"]), MS, d["baseline_sql"], _ms(d["baseline_seconds"]), runs=d["runs"],
                note="the tab's one query and tuple building vs one aggregate over the same table" if tab_read
                else "the whole computation, from the database to its result objects, vs one aggregate "
                     "over the table it reads"))
        scaling = run.data["heat_map_scaling"]
        base = scaling["1x"]
        for step, d in scaling.items():
            growth = d["people"] / base["people"]
            self.results.append(Result(
                f"heat map scaling {step}: {d['people']:,} people x 52 weeks", _ms(d["seconds"]), MS,
                f"heat map scaling 1x: {base['people']:,} people", _ms(base["seconds"]), runs=d["runs"],
                note=f"people x{growth:.2f} (linear growth would be a ratio of {growth:.2f}); "
                     f"{d['seconds'] / max(d['rows'], 1) * 1e3:.2f} ms per row shown"))

    # -- export ------------------------------------------------------------------------------
    def export(self) -> None:
        url, folder = self.dataset.url(), self.scratch
        pack = self.child("export", "pack", url, folder, self.runs).data
        plain = self.child("export", "plain", url, folder, self.runs).data
        self.results.append(Result(
            f"export pack: executive pack, {plain['sheets']} sheets, {plain['cells']:,} cells", pack["seconds"],
            SECONDS, "openpyxl write-only of the same cell values, no styles", plain["seconds"], target=2.0,
            runs=pack["runs"],
            note=f"write_exec_pack end to end (read, lay out, save; {pack['bytes'] / 2**20:.1f} MiB); peak RSS "
                 f"{pack['peak_rss_mib']:.0f} MiB against {plain['peak_rss_mib']:.0f} MiB for the write-only "
                 "process (which also built the pack once to take its values)"))

    # -- heat map widget ---------------------------------------------------------------------
    def heat_map(self) -> None:
        d = self.child("heatmap", self.dataset.url(), self.runs).data
        size = f"{d['rows']:,} people x {d['weeks']} weeks"
        self.results.append(Result(
            f"heat map first show: {size}, computed in the background and painted", _ms(d["first_show_s"]), MS,
            "SELECT count(*), sum(hours_per_week) FROM allocation", _ms(d["baseline_s"]), runs=d["runs"],
            note=f"HeatMapPane.refresh() to the figures painted; the GUI thread's longest stall meanwhile "
                 f"{_ms(d['stall_s']):.0f} ms (a 5 ms timer's largest gap)"))
        self.results.append(Result(
            f"heat map redraw: {size}, scrolled and repainted", _ms(d["redraw_s"]), MS, target=200,
            runs=d["runs"], note=f"{d['visible_cells']:,} cells visible at 1400 x 800; only those are painted"))

    # -- profiles ----------------------------------------------------------------------------
    def profiles(self) -> None:
        """cProfile of one import and one startup; the top functions go to profile-*.prof.txt."""
        ds = self.dataset
        self.child("importing", "import", ds.import_base, ds.status_workbook, self.scratch / "import-run.db",
                   profile_as="import")
        self.child("startup", "app", ds.url(), profile_as="startup")
        self.log(f"   profiles written to {self.scratch}/profile-*.prof.txt")


def run_suite(dataset: Dataset, env: dict[str, str], *, log: Callable[[str], None] = print,
              profile: bool = False) -> Suite:
    suite = Suite(dataset, env, log, profile)
    suite.run()
    return suite
