#!/usr/bin/env bash
# Build the one-folder bundle with PyInstaller and run the built program's --self-test.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
"$BIN/python" -m pip install --quiet -e ".[build]"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BIN/pyinstaller" --noconfirm --clean --log-level WARN --distpath "$work/dist" --workpath "$work/build" pyinstaller.spec
echo "bundle size: $(du -sh "$work/dist/pmo-desktop" | cut -f1)"
QT_QPA_PLATFORM=offscreen "$work/dist/pmo-desktop/pmo-desktop" --self-test
