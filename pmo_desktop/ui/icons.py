"""Icons from the compiled resources, drawn in the palette's text colour (light and dark).

The SVGs in resources/icons use one ink colour (INK) and one accent; ``icon("open")`` swaps the
ink for the current palette's window-text colour so that toolbar icons stay readable on a dark
palette, and renders crisp pixmaps at the sizes toolbars and menus ask for.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QFile, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from .. import resources_rc  # noqa: F401  (registers the ":/..." resources)

INK = "#2f3e4e"
_SIZES = (16, 20, 24, 32, 48)


def _read_resource(path: str) -> bytes:
    file = QFile(path)
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(f"resource {path} is missing; run scripts/build_ui.py")
    try:
        return bytes(file.readAll().data())
    finally:
        file.close()


def _ink_colour() -> str:
    app = QGuiApplication.instance()
    if app is None:
        return INK
    text = QGuiApplication.palette().color(QPalette.ColorRole.WindowText)
    return INK if text.lightness() < 128 else text.name()


def _pixmap(renderer: QSvgRenderer, size: int, ratio: float) -> QPixmap:
    pixels = max(1, round(size * ratio))
    image = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


@cache
def _icon(name: str, ink: str, ratio: float) -> QIcon:
    svg = _read_resource(f":/icons/{name}.svg").decode("utf-8").replace(INK, ink)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    for size in _SIZES:
        result.addPixmap(_pixmap(renderer, size, ratio))
    return result


def icon(name: str) -> QIcon:
    """The action icon ``resources/icons/<name>.svg`` in the current palette's ink."""
    app = QGuiApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
    return _icon(name, _ink_colour(), max(1.0, ratio))


def app_icon() -> QIcon:
    """The application's icon (window title bars, task bar, About)."""
    result = QIcon(":/app_icon.svg")
    result.addFile(":/app_icon.png")
    return result


def stylesheet() -> str:
    """The application stylesheet shipped in resources/style.qss."""
    return _read_resource(":/style.qss").decode("utf-8")
