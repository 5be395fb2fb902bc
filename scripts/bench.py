#!/usr/bin/env python3
"""Run the performance benchmarks: ``make bench`` (full scale) or ``make bench-quick`` (CI).

Builds the scale office with the demo generator and its workbooks into build/bench/<scale>/,
measures startup, import, re-import, memory, import scaling, table filter and sort, tab
switches, the tabs' queries and (full scale, with PyInstaller) the bundle's size and startup,
each against a baseline measured in the same run, then writes bench-results.json (untracked)
and this scale's table in docs/performance.md.

Nothing here fails on a slow figure: a missed target is reported, not asserted. The exit code
is 1 only when a measurement could not be made at all (the harness is broken), so that CI
notices when it rots.

    python scripts/bench.py            # full scale: 2,000 projects, ~48,000 status reports; 5 runs
    python scripts/bench.py --quick    # a tenth of the scale, 3 runs; a few minutes at most
    python scripts/bench.py --profile  # also cProfile one import and one startup (build/bench/...)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.benchmarks.bundle import run_bundle  # noqa: E402
from tests.benchmarks.common import isolated_env  # noqa: E402
from tests.benchmarks.dataset import Scale, build_dataset  # noqa: E402
from tests.benchmarks.report import load_average, machine_info, update_docs, write_json  # noqa: E402
from tests.benchmarks.suite import run_suite  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the scale, 3 runs per figure (CI)")
    parser.add_argument("--runs", type=int, help="runs per figure (default: 5 full, 3 quick)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse today's dataset in build/bench/<scale>/ when it is complete")
    parser.add_argument("--profile", action="store_true",
                        help="also write cProfile reports of one import and one startup")
    parser.add_argument("--json", type=Path, default=REPO / "bench-results.json", help="results file")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "performance.md",
                        help="the Markdown file whose table for this scale is replaced")
    parser.add_argument("--no-docs", action="store_true", help="do not touch the Markdown file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = Scale.quick() if args.quick else Scale.full()
    if args.runs:
        scale = Scale(scale.name, scale.factor, max(1, args.runs))
    started = time.perf_counter()
    load_at_start = load_average()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", flush=True)

    log(f"{scale.name} scale (factor {scale.factor:g}), {scale.runs} runs per figure")
    dataset = build_dataset(scale, reuse=args.reuse, log=log)
    env = isolated_env(dataset.folder)
    suite = run_suite(dataset, env, log=log, profile=args.profile)
    # The packaged executable (size, startup vs source): full scale only, and only where
    # PyInstaller is installed; otherwise a skipped row says why.
    bundle_results, bundle_failed = run_bundle(dataset, env, log=log, quick=args.quick)
    suite.results.extend(bundle_results)
    if bundle_failed:
        suite.failed.append("bundle")
    machine = machine_info(load_at_start)
    write_json(args.json, suite.results, dataset, machine)
    log(f"wrote {args.json}")
    if not args.no_docs:
        update_docs(args.docs, suite.results, dataset, machine)
        log(f"updated the {scale.name} table in {args.docs}")
    print()
    for result in suite.results:
        ratio = f"{result.ratio:6.2f}x" if result.ratio is not None else "       "
        value = result.skipped or f"{result.value:10.3f} {result.unit}"
        flag = {True: "met", False: "MISSED", None: ""}[result.met]
        print(f"{ratio} {flag:6} {value:>16}  {result.name}")
    if suite.failed:
        print(f"\nfailed sections: {', '.join(suite.failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
