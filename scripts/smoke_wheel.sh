#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment and run its --self-test there:
# proves the migrations, forms and resources ship inside the wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" .
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/*.whl
cd "$work"   # away from the checkout, so nothing is imported from it
QT_QPA_PLATFORM=offscreen "$work/venv/bin/pmo-desktop" --self-test
