"""Child processes of the benchmarks, one module per kind of measurement.

Each is run as ``python -m tests.benchmarks.drivers.<name> MODE ARGS`` from the repository root,
in the isolated environment of ``common.isolated_env``, and reports one JSON line (see
``common.run_child``).
"""
