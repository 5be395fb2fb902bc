"""The Governance tab's audit trail, and File > Export Table, as a coordinator uses them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from sqlalchemy import select

from pmo_desktop.model import Project
from pmo_desktop.reports.table_export import HEADER_ROW
from pmo_desktop.services.portfolio import update_project
from pmo_desktop.ui.governance.audit_section import AuditSection
from pmo_desktop.ui.governance.audit_table_model import (
    COL_ACTION,
    COL_RECORD,
    COL_SUMMARY,
    COL_WHO,
    H_AFTER,
    H_BEFORE,
    H_FIELD,
    H_WHO,
)
from pmo_desktop.ui.main_window import MainWindow
from pmo_desktop.ui.tabs.portfolio_tab import COLUMN


@pytest.fixture
def office(ctx):
    """Three projects by "alice"; then "bob" turns ALP-001 red and raises its budget."""
    ctx.db.actor = "alice"
    with ctx.db.transaction() as session:
        session.add_all([
            Project(code="ALP-001", name="Alpha upgrade", budget=Decimal("100000"), rag="A", stage="execution"),
            Project(code="BET-002", name="Beta rollout", budget=Decimal("50000"), rag="G", stage="planning"),
            Project(code="GAM-003", name="Gamma pilot", budget=Decimal("20000"), rag="G", stage="idea"),
        ])
    return ctx


def _edit_alpha(ctx, actor: str, **changes) -> None:
    ctx.db.actor = actor
    with ctx.db.session() as session:
        alpha = session.scalar(select(Project).where(Project.code == "ALP-001"))
        project_id, version = alpha.id, alpha.version
    ctx.write(update_project, project_id, changes, version, entity="project")


def _texts(model, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


@pytest.fixture
def section(qtbot, office):
    widget = AuditSection(office)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    assert not widget.loaded  # nothing is read until the section is shown
    with qtbot.waitSignal(widget.refreshed, timeout=10_000):
        widget.show()
    return widget


def test_an_edit_through_a_service_is_listed_with_who_and_what(qtbot, section, office):
    assert _texts(section.model, COL_WHO)[:3] == ["alice"] * 3  # newest first; the office defaults below
    with qtbot.waitSignal(section.refreshed, timeout=10_000):
        _edit_alpha(office, "bob", rag="R", budget=Decimal("120000"))
    first = [section.model.index(0, c).data() for c in (COL_WHO, COL_RECORD, COL_ACTION, COL_SUMMARY)]
    assert first == ["bob", "ALP-001", "Changed", "budget: £100,000 → £120,000; rag: A → R"]


def test_filter_by_user_and_by_dates(qtbot, section, office):
    with qtbot.waitSignal(section.refreshed, timeout=10_000):
        _edit_alpha(office, "bob", rag="R")
    section.filter_bar.set_choice(COL_WHO, "bob")
    assert _texts(section.model, COL_WHO) == ["bob"]
    total = section.model.total_rows()
    assert section.filter_bar.count_label.text() == f"1 of {total:,} events"
    section.filter_bar.set_choice(COL_WHO, "alice")
    assert _texts(section.model, COL_RECORD) == ["GAM-003", "BET-002", "ALP-001"]
    section.filter_bar.clear()
    today = dt.date.today()
    section.set_date_range(today + dt.timedelta(days=1), None)
    assert section.model.rowCount() == 0
    section.set_date_range(today - dt.timedelta(days=1), today)
    assert section.model.rowCount() == total
    section.filter_bar.clear_button.click()
    assert section.from_date.specialValueText() == section.from_date.text()


def test_history_pane_shows_the_field_change_of_the_selected_event(qtbot, section, office):
    with qtbot.waitSignal(section.refreshed, timeout=10_000):
        _edit_alpha(office, "bob", budget=Decimal("120000"))
    with qtbot.waitSignal(section.refreshed, timeout=10_000):
        _edit_alpha(office, "carol", budget=Decimal("90000"))
    section.filter_bar.set_choice(COL_WHO, "bob")
    section.table.selectRow(0)
    history = section.history_model
    budget = [(history.index(r, H_WHO).data(), history.index(r, H_BEFORE).data(), history.index(r, H_AFTER).data())
              for r in range(history.rowCount()) if history.index(r, H_FIELD).data() == "budget"]
    assert budget == [("alice", "", "£100,000"), ("bob", "£100,000", "£120,000"), ("carol", "£120,000", "£90,000")]
    assert "History of Project ALP-001" in section.history_title.text()
    # bob's event is the one highlighted.
    [bob_row] = [r for r in range(history.rowCount()) if history.index(r, H_WHO).data() == "bob"]
    assert history.index(bob_row, H_FIELD).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert history.index(0, H_FIELD).data(Qt.ItemDataRole.BackgroundRole) is None


def test_export_button_writes_the_filtered_events(qtbot, section, office, tmp_path, monkeypatch):
    with qtbot.waitSignal(section.refreshed, timeout=10_000):
        _edit_alpha(office, "bob", rag="R")
    section.filter_bar.set_choice(COL_WHO, "alice")
    target = tmp_path / "audit.xlsx"
    offered = []

    def save_as(parent, caption, suggested, filters):
        offered.append(Path(suggested).name)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))
    assert section.export()
    qtbot.waitUntil(lambda: "Exported" in section.status.text(), timeout=10_000)
    assert offered == [f"Audit trail {dt.date.today():%Y-%m-%d}.xlsx"]
    ws = openpyxl.load_workbook(target).active
    rows = list(ws.iter_rows(min_row=HEADER_ROW, values_only=True))
    assert rows[0][:3] == ("When", "Who", "Source")
    assert [r[1] for r in rows[1:]] == ["alice"] * 3
    assert isinstance(rows[1][0], dt.datetime)


def test_governance_tab_has_the_audit_trail_section(qtbot, office):
    from pmo_desktop.ui.tabs.governance_tab import GovernanceTab

    tab = GovernanceTab(office)
    qtbot.addWidget(tab)
    titles = [tab.sections.tabText(i) for i in range(tab.sections.count())]
    assert titles[-1] == "Audit trail"
    tab.show()
    assert not tab.audit.loaded  # the gate reviews are on screen: the trail waits
    with qtbot.waitSignal(tab.audit.refreshed, timeout=10_000):
        tab.sections.setCurrentWidget(tab.audit)
    assert tab.filter_bar is tab.audit.filter_bar  # Ctrl+F reaches the audit filter


def _patch_save(monkeypatch, target: Path, offered: list[str]) -> None:
    def save_as(parent, caption, suggested, filters):
        offered.append(Path(suggested).name)
        return str(target.with_suffix("")), filters  # no extension typed: .xlsx is added

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))


def test_export_table_from_the_portfolio_tab_writes_the_filtered_sorted_rows(qtbot, office, tmp_path, monkeypatch):
    window = MainWindow(office)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.show_tab("portfolio")
    portfolio = window.current_tab()
    portfolio.filter_bar.search.setText("a")  # every project name has an "a"
    portfolio.filter_bar.apply_now()
    portfolio.filter_bar.set_choice(COLUMN["rag"], "G")  # green only
    portfolio.table.sortByColumn(COLUMN["budget"], Qt.SortOrder.DescendingOrder)
    assert portfolio.model.rowCount() == 2
    target = tmp_path / "portfolio.xlsx"
    offered: list[str] = []
    _patch_save(monkeypatch, target, offered)

    window.main_actions.export_table.trigger()
    qtbot.waitUntil(target.exists, timeout=10_000)
    assert offered == [f"Portfolio {dt.date.today():%Y-%m-%d}.xlsx"]
    assert window.main_actions.export_table.shortcut().toString() == "Ctrl+Shift+E"
    ws = openpyxl.load_workbook(target).active
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == [c.title for c in portfolio.model.columns]
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    code, rag, budget = header.index("Code"), header.index("RAG"), header.index("Budget")
    assert [(r[code], r[rag], r[budget]) for r in rows] == [("BET-002", "Green", 50000), ("GAM-003", "Green", 20000)]
    assert ws.cell(row=HEADER_ROW + 1, column=budget + 1).number_format.startswith('"£"')


def test_export_table_on_governance_exports_the_section_on_screen(qtbot, office, tmp_path, monkeypatch):
    window = MainWindow(office)
    qtbot.addWidget(window)
    window.show()
    window.show_tab("governance")
    governance = window.current_tab()
    with qtbot.waitSignal(governance.audit.refreshed, timeout=10_000):
        governance.sections.setCurrentWidget(governance.audit)
    governance.audit.filter_bar.set_choice(COL_WHO, "alice")
    target = tmp_path / "gov.xlsx"
    offered: list[str] = []
    _patch_save(monkeypatch, target, offered)
    window.export_current_table()
    qtbot.waitUntil(target.exists, timeout=10_000)
    assert offered == [f"Governance Audit trail {dt.date.today():%Y-%m-%d}.xlsx"]
    ws = openpyxl.load_workbook(target).active
    assert ws.cell(row=1, column=1).value == "Governance Audit trail"
    assert ws.max_row == HEADER_ROW + 3


def test_a_trail_longer_than_one_read_reads_date_ranges_from_the_database(qtbot, office):
    from sqlalchemy import update

    from pmo_desktop.model import AuditEvent

    with office.db.transaction() as session:  # alice's projects were created last year
        session.execute(update(AuditEvent.__table__).where(AuditEvent.actor == "alice")
                        .values(at=dt.datetime(2025, 3, 10, 12, 0)))
    widget = AuditSection(office)
    widget.limit = 3
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.refreshed, timeout=10_000):
        widget.show()
    assert widget.model.rowCount() == 3 and "newest 3 events" in widget.status.text()
    assert "alice" not in _texts(widget.model, COL_WHO)  # the office defaults are newer
    with qtbot.waitSignal(widget.refreshed, timeout=10_000):
        widget.set_date_range(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert _texts(widget.model, COL_WHO) == ["alice"] * 3
