"""View > Refresh: the current tab is read at once, each other built tab once when next shown.

A tab that was also changed while hidden marks itself stale as well; it must still be read once.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from pmo_desktop.services import governance, raid
from pmo_desktop.ui.main_window import MainWindow
from pmo_desktop.ui.tabs import resources_tab

# The one read behind each tab's table: (module the tab calls it through, its name there).
READS = {
    "resources": (resources_tab, "person_rows"),
    "risks": (raid, "raid_rows"),
    "governance": (governance, "review_rows"),
}


@pytest.fixture
def reads(monkeypatch) -> dict[str, int]:
    counts = dict.fromkeys(READS, 0)
    for key, (module, name) in READS.items():
        real = getattr(module, name)

        def counted(*args, _key=key, _real=real, **kwargs):
            counts[_key] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return counts


@pytest.fixture
def window(qtbot, ctx, private_dirs, reads):
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    for key in READS:  # every tab built and read once
        win.show_tab(key)
    win.show_tab("portfolio")
    yield win
    risks = win.findChild(QWidget, "risks_tab")
    qtbot.waitUntil(lambda: not risks.patterns_pending, timeout=10_000)


def test_after_refresh_each_hidden_tab_is_read_once_when_shown(window, reads):
    window.refresh_all()
    assert reads == dict.fromkeys(READS, 1)  # the hidden tabs wait to be shown
    for key in READS:
        window.show_tab(key)
    assert reads == dict.fromkeys(READS, 2)
    window.show_tab("portfolio")
    for key in READS:  # shown again with nothing new: not read again
        window.show_tab(key)
    assert reads == dict.fromkeys(READS, 2)


def test_after_refresh_a_tab_also_changed_while_hidden_is_read_once_when_shown(window, reads, ctx):
    window.refresh_all()
    ctx.data_changed.emit("*")  # e.g. an import after View > Refresh, while only Portfolio is shown
    for key in READS:
        window.show_tab(key)
    assert reads == dict.fromkeys(READS, 2)


def test_refresh_reads_the_current_tab_at_once(window, reads):
    window.show_tab("risks")
    window.refresh_all()
    assert reads["risks"] == 2
    window.show_tab("portfolio")
    window.show_tab("risks")
    assert reads["risks"] == 2
