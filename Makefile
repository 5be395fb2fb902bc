# Two commands for a new user:  make run   (install, build the demo office, open it)
#                               make test  (install, run the whole suite offscreen)
# Windows and macOS: see README.md for the equivalent commands.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp
DEMO_DB ?= demo.db
PYTEST_ARGS ?=

.PHONY: run test install lint forms bench bench-quick clean demo

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@if [ ! -f "$(DEMO_DB)" ]; then $(BIN)/pmo-desktop demo --database "sqlite:///$(abspath $(DEMO_DB))"; fi

run: $(STAMP) demo
	@scripts/system_deps.sh gui
	$(BIN)/pmo-desktop --database "sqlite:///$(abspath $(DEMO_DB))"

forms: $(STAMP)
	$(BIN)/python scripts/build_ui.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/build_ui.py --check
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/make_icons.py --check

test: $(STAMP) lint
	@scripts/system_deps.sh offscreen
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks (docs/performance.md): the scale office, each figure against a baseline of the same run.
# bench-quick is a tenth of the scale for CI (a minute or two); neither fails on a slow figure.
BENCH_ARGS ?=

bench: $(STAMP)
	@scripts/system_deps.sh offscreen
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/bench.py $(BENCH_ARGS)

bench-quick: $(STAMP)
	@scripts/system_deps.sh offscreen
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/bench.py --quick $(BENCH_ARGS)

clean:
	rm -rf build dist .pytest_cache .ruff_cache *.egg-info
