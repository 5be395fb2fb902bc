"""Render the application icon from resources/app_icon.svg into the raster files packagers need.

    python scripts/make_icons.py          write resources/app_icon.png (256 px), .ico and .icns
    python scripts/make_icons.py --check  exit 1 if any of them is missing or differs

The .ico holds one PNG-compressed image per Windows size (16-256 px), each rendered by Qt's
QSvgRenderer at that size rather than scaled down from 256 px, so small sizes stay crisp.

A stored file is fresh when every image in it has the size and, channel by channel, within
``TOLERANCE`` the pixels of a new rendering: Qt's raster engine takes different SIMD paths on
different processors, and a few anti-aliased edge pixels come out one step apart.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "app_icon.svg"
PNG = ROOT / "resources" / "app_icon.png"
ICO = ROOT / "resources" / "app_icon.ico"
ICNS = ROOT / "resources" / "app_icon.icns"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
TOLERANCE = 2
"""How far (0-255) a channel of a stored pixel may be from a new rendering's and still count as the same."""


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """The SVG drawn on a transparent square of ``size`` pixels."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def encode(image: QImage, fmt: str) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, fmt):
        raise RuntimeError(f"Qt could not write {fmt}; is the image format plugin installed?")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO container (Vista+ PNG entries): header, one directory entry per size, then the PNGs."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = [], []
    for size, png in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICO directory
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset))
        blobs.append(png)
        offset += len(png)
    return header + b"".join(entries) + b"".join(blobs)


def ico_images(data: bytes) -> dict[int, bytes]:
    """The PNG entries of an ICO written by ``ico_bytes``, by size (empty when it is not one)."""
    if len(data) < 6:
        return {}
    _reserved, kind, count = struct.unpack_from("<HHH", data)
    if kind != 1 or len(data) < 6 + 16 * count:
        return {}
    entries = {}
    for i in range(count):
        dim, _h, _c, _r, _planes, _bits, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        entries[dim or 256] = data[offset:offset + length]
    return entries


def same_image(stored: bytes, fresh: QImage, fmt: str | None = None) -> bool:
    """Whether the image in ``stored`` is ``fresh`` to within ``TOLERANCE`` per channel."""
    image = QImage.fromData(stored, fmt) if fmt else QImage.fromData(stored)
    if image.isNull() or image.size() != fresh.size():
        return False
    a = image.convertToFormat(QImage.Format.Format_ARGB32)
    b = fresh.convertToFormat(QImage.Format.Format_ARGB32)
    old, new = bytes(a.constBits())[:a.sizeInBytes()], bytes(b.constBits())[:b.sizeInBytes()]
    return old == new or all(abs(x - y) <= TOLERANCE for x, y in zip(old, new, strict=True))


def renderings() -> dict[int, QImage]:
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SOURCE}")
    return {size: render(renderer, size) for size in (*ICO_SIZES, 512)}


def outputs(images: dict[int, QImage]) -> dict[Path, bytes]:
    """Every file this script writes and its bytes."""
    pngs = {size: encode(images[size], "PNG") for size in ICO_SIZES}
    return {
        PNG: pngs[256],
        ICO: ico_bytes(pngs),
        ICNS: encode(images[512], "ICNS"),
    }


def is_fresh(path: Path, images: dict[int, QImage]) -> bool:
    """Whether the stored ``path`` holds the images a new rendering gives (see the module docstring)."""
    if not path.exists():
        return False
    data = path.read_bytes()
    if path == PNG:
        return same_image(data, images[256], "PNG")
    if path == ICO:
        entries = ico_images(data)
        return set(entries) == set(ICO_SIZES) and all(same_image(entries[s], images[s], "PNG") for s in ICO_SIZES)
    return same_image(data, images[512], "ICNS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report missing or different files, write nothing")
    args = parser.parse_args()
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    images = renderings()
    stale = []
    for path, data in outputs(images).items():
        if not is_fresh(path, images):
            stale.append(path)
            if not args.check:
                path.write_bytes(data)
    if args.check and stale:
        for path in stale:
            print(f"stale icon: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1
    if not args.check:
        print(f"{len(stale)} icon file(s) written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
