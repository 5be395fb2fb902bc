"""Performance benchmarks: ``scripts/bench.py`` (``make bench`` / ``make bench-quick``) runs them.

Not collected by pytest (pyproject's testpaths are tests/unit and tests/ui) and nothing here
asserts a time: each measurement is reported as a ratio against a baseline measured in the same
run, on the same machine. The modules:

* ``common``    results, medians, the isolated environment and the subprocess runner;
* ``dataset``   the scale office (demo generator) and the matching workbooks;
* ``drivers``   the child processes: start the GUI, import, read with calamine, filter, ...;
* ``suite``     every measurement, in order, each against its baseline;
* ``report``    bench-results.json and the tables in docs/performance.md.
"""
