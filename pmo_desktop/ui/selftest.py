"""The self-test's GUI step: open the main window offscreen and show every tab with its data."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from ..model.database import Database


def _draw_charts(window, app) -> list[tuple[str, int]]:
    """Draw each matplotlib chart the tabs hold; (chart, drawn figure width in pixels) per chart."""
    from .widgets.chart_canvas import ChartCanvas

    drawn = []
    for index in range(window.tabs.count()):
        page = window.tabs.widget(index)
        window.tabs.setCurrentIndex(index)
        if hasattr(page, "show_demand"):
            page.show_demand()  # the Demand view draws its chart when first shown
        app.processEvents()
        for canvas in page.findChildren(ChartCanvas):
            if canvas.canvas is None:
                continue
            canvas.draw_now()
            width, _height = canvas.canvas.get_width_height()
            if width <= 0:
                raise AssertionError(f"the {canvas.objectName()} chart drew nothing")
            drawn.append((f"{window.tabs.tabText(index)} chart {canvas.objectName()}", width))
    if not drawn:
        raise AssertionError("no chart was drawn")
    return drawn


def show_every_tab(db: Database) -> list[tuple[str, int]]:
    """Open the main window on ``db``, show each tab, and return (title, rows shown) per tab."""
    from .app import create_application
    from .context import AppContext
    from .main_window import MainWindow

    app = QApplication.instance() or create_application(["pmo-desktop-selftest"])
    settings = QSettings(str(db.path.with_suffix(".ini")) if db.path else "selftest.ini", QSettings.Format.IniFormat)
    ctx = AppContext(db)
    window = MainWindow(ctx, settings=settings)
    window.resize(1400, 850)
    window.show()
    app.processEvents()
    shown = []
    try:
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            app.processEvents()
            page = window.tabs.widget(index)
            page.refresh()
            app.processEvents()
            rows = page.model.rowCount()
            title = window.tabs.tabText(index)
            if rows == 0:
                raise AssertionError(f"the {title} tab shows no rows on the demo office")
            if page.grab().isNull():
                raise AssertionError(f"the {title} tab could not be drawn")
            shown.append((title, rows))
        if window.tabs.count() < 4:
            raise AssertionError(f"only {window.tabs.count()} of the 4 tabs are present")
        shown.extend(_draw_charts(window, app))
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
    return shown
