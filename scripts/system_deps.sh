#!/usr/bin/env bash
# Install the Debian/Ubuntu libraries Qt needs, only those that are missing.
#   scripts/system_deps.sh offscreen   what the tests need (offscreen platform, fonts)
#   scripts/system_deps.sh gui         what a real X11 window needs as well (xcb plugin)
#   scripts/system_deps.sh tools       LibreOffice and poppler for checking exported workbooks
# Elsewhere (macOS, Windows, other Linux) it does nothing: the PySide6 wheels bring what they need.
set -euo pipefail

command -v dpkg-query >/dev/null 2>&1 || exit 0

offscreen=(libegl1 libgl1 libfontconfig1 libfreetype6 libxkbcommon0 libglib2.0-0 libdbus-1-3 fonts-dejavu-core)
gui=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
     libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1)
tools=(libreoffice-calc-nogui poppler-utils)

wanted=()
for group in "$@"; do
  case "$group" in
    offscreen) wanted+=("${offscreen[@]}") ;;
    gui) wanted+=("${offscreen[@]}" "${gui[@]}") ;;
    tools) wanted+=("${tools[@]}") ;;
    *) echo "unknown group: $group" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
