"""UI test fixtures: offscreen Qt, a fresh office database per test, QSettings in tmp, no modal blocks."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def _offscreen_platform() -> str:
    """Offscreen Qt on a 1920x1200 screen (the default 800x800 is smaller than the main window)."""
    config = Path(tempfile.mkdtemp(prefix="pmo-qpa-")) / "screens.json"
    config.write_text(json.dumps({"screens": [
        {"name": "test", "x": 0, "y": 0, "width": 1920, "height": 1200, "logicalDpi": 96, "dpr": 1}
    ]}))
    return f"offscreen:configfile={config}"


os.environ["QT_QPA_PLATFORM"] = _offscreen_platform()  # before any QApplication exists

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """Logs, data and backups go to this test's tmp folder; QSettings to an INI file there."""
    monkeypatch.setenv("PMO_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("PMO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PMO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PMO_DATABASE_URL", raising=False)
    settings_dir = tmp_path / "qsettings"
    settings_dir.mkdir()
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(settings_dir))
    yield settings_dir


class MessageBoxes:
    """Every QMessageBox the code tried to show, answered without blocking."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.answer = QMessageBox.StandardButton.Ok

    def record(self, kind: str):
        def show(parent, title, text, *args, **kwargs):
            self.shown.append((kind, title, text))
            return self.answer
        return show

    def texts(self) -> str:
        return "\n".join(f"{title}: {text}" for _kind, title, text in self.shown)


@pytest.fixture(autouse=True)
def message_boxes(monkeypatch) -> MessageBoxes:
    boxes = MessageBoxes()
    for kind in ("information", "warning", "critical", "question"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(boxes.record(kind)))
    monkeypatch.setattr(QMessageBox, "exec", lambda self: boxes.shown.append(("exec", self.windowTitle(),
                                                                             self.text())) or 0)
    return boxes


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'office.db'}"


@pytest.fixture(scope="session")
def pmo_app(qapp):
    """The QApplication set up as the program does it (style, palette, stylesheet), once."""
    from pmo_desktop.ui.app import create_application

    return create_application()


@pytest.fixture
def ctx(pmo_app, db_url) -> Iterator:
    """An AppContext on a fresh office database (defaults created, as the GUI does)."""
    from pmo_desktop.ui.context import AppContext
    from pmo_desktop.ui.main_window.opening import open_office

    context = AppContext(open_office(db_url))
    yield context
    context.db.dispose()


@pytest.fixture
def charted_portfolio_tab(ctx, qtbot):
    """A Portfolio tab on ``ctx``, shown at 1400 x 900, once its first chart is drawn."""
    from pmo_desktop.ui.tabs.portfolio_tab import PortfolioTab

    widget = PortfolioTab(ctx)
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    qtbot.waitUntil(lambda: widget.charts.canvas.figure is not None and not widget.charts.is_stale)
    return widget
