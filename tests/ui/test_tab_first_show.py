"""Each tab of the main window reads its table once when first shown, and once more per change or View > Refresh
after that (also when both happened while it was hidden)."""

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
def window(qtbot, ctx, private_dirs):
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    risks = win.findChild(QWidget, "risks_tab")
    if risks is not None:  # patterns are read in the background: let that finish first
        qtbot.waitUntil(lambda: not risks.patterns_pending, timeout=10_000)


def test_first_show_reads_each_tab_once(window, reads):
    for key in READS:
        window.show_tab(key)
    assert reads == dict.fromkeys(READS, 1)


def test_a_change_before_the_first_show_is_read_by_that_show_alone(window, reads, ctx):
    ctx.data_changed.emit("*")  # e.g. an import while only the Portfolio tab had been shown
    for key in READS:
        window.show_tab(key)
    assert reads == dict.fromkeys(READS, 1)


def test_a_change_while_hidden_is_read_once_when_shown_again(window, reads, ctx):
    for key in READS:
        window.show_tab(key)
    window.show_tab("portfolio")
    ctx.data_changed.emit("*")
    assert reads == dict.fromkeys(READS, 1)  # hidden tabs wait
    for key in READS:
        window.show_tab(key)
    assert reads == dict.fromkeys(READS, 2)


def _shown_then_hidden(window) -> None:
    """Every tab built and read once, then the Portfolio tab on screen."""
    for key in READS:
        window.show_tab(key)
    window.show_tab("portfolio")


def test_after_view_refresh_each_hidden_tab_is_read_once_when_shown(window, reads):
    _shown_then_hidden(window)
    window.refresh_all()
    assert reads == dict.fromkeys(READS, 1)  # the hidden tabs wait to be shown
    for key in READS:
        window.show_tab(key)
    assert reads == dict.fromkeys(READS, 2)
    window.show_tab("portfolio")
    for key in READS:  # shown again with nothing new: not read again
        window.show_tab(key)
    assert reads == dict.fromkeys(READS, 2)


def test_after_view_refresh_a_tab_also_changed_while_hidden_is_read_once_when_shown(window, reads, ctx):
    _shown_then_hidden(window)
    window.refresh_all()
    ctx.data_changed.emit("*")  # e.g. an import after View > Refresh, while only Portfolio is shown
    for key in READS:
        window.show_tab(key)
    assert reads == dict.fromkeys(READS, 2)


def test_view_refresh_reads_the_current_tab_at_once(window, reads):
    _shown_then_hidden(window)
    window.show_tab("risks")
    window.refresh_all()
    assert reads["risks"] == 2
    window.show_tab("portfolio")
    window.show_tab("risks")
    assert reads["risks"] == 2
