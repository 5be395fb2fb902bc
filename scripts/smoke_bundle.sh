#!/usr/bin/env bash
# Build the one-folder bundle with PyInstaller, report its size and run the built program's --self-test.
# About a minute and a half on 2 cores (the build; the self-test takes a few seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
"$BIN/python" -m pip install --quiet -e ".[build]"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BIN/pyinstaller" --noconfirm --clean --log-level WARN --distpath "$work/dist" --workpath "$work/build" pyinstaller.spec
app="$work/dist/pmo-desktop"
# Size, unpacked (MiB, as du -sh counts); the aim on Linux is under 150 MB (docs/performance.md, "Bundle").
echo "bundle size: $(du -sm "$app" | cut -f1) MiB ($app)"
echo "largest parts (MiB):"
du -sm "$app"/_internal/* "$app"/_internal/PySide6/Qt/* 2>/dev/null | sort -rn | head -n 8 | sed 's/^/  /'
# The spec prunes libraries that only left-out Qt plugins needed; a link to a pruned file would dangle.
dangling=$(find -L "$app" -type l)
if [ -n "$dangling" ]; then
    echo "dangling links in the bundle:" >&2
    echo "$dangling" >&2
    exit 1
fi
QT_QPA_PLATFORM=offscreen "$app/pmo-desktop" --self-test
