"""File > Export Pack: the dialog writes the pack in the background, for the chosen scope, and offers to open it."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from PySide6.QtWidgets import QMessageBox

from pmo_desktop.ui.export import export_pack_dialog
from pmo_desktop.ui.export.export_pack_dialog import ExportPackDialog

TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def demo_ctx(ctx):
    from pmo_desktop.demo import build_demo

    build_demo(ctx.db, today=TODAY)
    return ctx


@pytest.fixture
def dialog(qtbot, demo_ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(ExportPackDialog, "_folder", lambda self: tmp_path)
    dlg = ExportPackDialog(demo_ctx, today=TODAY)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_offers_the_offices_programmes_departments_and_periods(dialog):
    assert dialog.programme_combo.findText("Data Platform") >= 0
    assert dialog.department_combo.findText("Finance") >= 0
    assert dialog.as_of() == TODAY
    assert dialog.as_of_combo.findData("2026-10-31") > 0
    assert dialog.path().name == "Executive pack Portfolio 2026-11-26.xlsx"
    assert dialog.export_button.isEnabled()


def test_exports_in_the_background_then_offers_to_open(dialog, qtbot, tmp_path, monkeypatch):
    offered = []
    monkeypatch.setattr(ExportPackDialog, "offer_to_open", lambda self, path: offered.append(path))
    dialog.programme_radio.setChecked(True)
    dialog.programme_combo.setCurrentText("Data Platform")
    dialog.as_of_combo.setCurrentIndex(dialog.as_of_combo.findData("2026-10-31"))
    dialog.section_checks["Resources"].setChecked(False)
    target = tmp_path / "Executive pack Data Platform 2026-10-31.xlsx"
    assert dialog.path() == target

    dialog.export_button.click()
    assert not dialog.export_button.isEnabled()  # one export at a time
    qtbot.waitUntil(lambda: bool(offered), timeout=60_000)

    assert offered == [target] and dialog.result_path == target
    workbook = load_workbook(target)
    assert "Resources" not in workbook.sheetnames and workbook.sheetnames[0] == "Summary"
    programmes = {row[2] for row in workbook["Portfolio"].iter_rows(min_row=5, values_only=True) if row[0]}
    assert programmes == {"Data Platform"}
    assert "31 Oct 2026" in workbook["Summary"]["B2"].value
    assert dialog.result() == ExportPackDialog.DialogCode.Accepted


def test_open_pack_opens_the_file(dialog, monkeypatch, tmp_path):
    opened = []
    monkeypatch.setattr(export_pack_dialog, "open_file", lambda path: opened.append(path) or True)
    monkeypatch.setattr(QMessageBox, "clickedButton",
                        lambda box: next(b for b in box.buttons() if b.text() == "&Open Pack"))
    dialog.offer_to_open(tmp_path / "pack.xlsx")
    assert opened == [tmp_path / "pack.xlsx"]


def test_no_section_no_export(dialog):
    for check in dialog.section_checks.values():
        check.setChecked(False)
    assert not dialog.export_button.isEnabled()
    assert dialog.start_export() is None


def test_cancel_writes_nothing(dialog, qtbot, tmp_path):
    task = dialog.start_export()
    task.cancel()
    qtbot.waitUntil(lambda: task.is_finished, timeout=60_000)
    assert dialog.result_path is None
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob(".*.partial"))
    assert "nothing was written" in dialog.hint_label.text()


def test_file_menu_export_pack_opens_the_dialog(qtbot, ctx):
    from pmo_desktop.ui.main_window.main_window import MainWindow

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    action = window.main_actions.export_pack
    assert action in window.file_menu.actions()
    assert action.shortcut().toString() == "Ctrl+E"
    action.trigger()
    dialog = window.findChild(ExportPackDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def test_exports_the_workbook_and_the_pdf_under_one_name(dialog, qtbot, tmp_path, monkeypatch):
    from pmo_desktop.ui.export.export_pack_dialog import FORMATS_KEY

    offered = []
    monkeypatch.setattr(ExportPackDialog, "offer_to_open", lambda self, *paths: offered.append(paths))
    dialog.pdf_check.setChecked(True)
    assert dialog.formats() == (".xlsx", ".pdf")
    assert "PDF" in dialog.hint_label.text()
    dialog.department_radio.setChecked(True)
    dialog.department_combo.setCurrentText("Finance")
    for name in ("Portfolio", "Milestones", "Financials", "Resources", "Governance", "Notes"):
        dialog.section_checks[name].setChecked(False)
    stem = "Executive pack Finance 2026-11-26"
    assert [p.name for p in dialog.paths()] == [f"{stem}.xlsx", f"{stem}.pdf"]

    dialog.export_button.click()
    qtbot.waitUntil(lambda: bool(offered), timeout=120_000)

    xlsx, pdf = tmp_path / f"{stem}.xlsx", tmp_path / f"{stem}.pdf"
    assert offered == [(xlsx, pdf)] and dialog.result_path == xlsx
    assert load_workbook(xlsx).sheetnames == ["Summary", "RAID"]
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().rstrip().endswith(b"%%EOF")
    from PySide6.QtCore import QSettings

    assert QSettings().value(FORMATS_KEY) == ".xlsx,.pdf"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Department: Finance" in text and "Executive pack — RAID" in text
        assert "Executive pack — Portfolio" not in text


def test_pdf_alone_renames_the_suggested_file(dialog, tmp_path):
    dialog.xlsx_check.setChecked(False)
    dialog.pdf_check.setChecked(True)
    assert dialog.path() == tmp_path / "Executive pack Portfolio 2026-11-26.pdf"
    assert dialog.path_edit.text().endswith(".pdf")
    dialog.pdf_check.setChecked(False)
    assert dialog.path() is None and not dialog.export_button.isEnabled()


def test_open_buttons_for_both_files(dialog, monkeypatch, tmp_path):
    opened = []
    monkeypatch.setattr(export_pack_dialog, "open_file", lambda path: opened.append(path) or True)
    monkeypatch.setattr(QMessageBox, "clickedButton",
                        lambda box: next(b for b in box.buttons() if b.text() == "&Open PDF"))
    dialog.offer_to_open(tmp_path / "pack.xlsx", tmp_path / "pack.pdf")
    assert opened == [tmp_path / "pack.pdf"]


def test_cancel_during_the_pdf_writes_no_pdf(dialog, qtbot, tmp_path):
    dialog.xlsx_check.setChecked(False)
    dialog.pdf_check.setChecked(True)
    task = dialog.start_export()
    task.cancel()
    qtbot.waitUntil(lambda: task.is_finished, timeout=60_000)
    assert dialog.result_path is None
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*.partial"))
    assert "nothing was written" in dialog.hint_label.text()
