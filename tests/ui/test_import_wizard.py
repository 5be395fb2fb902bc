"""The import wizard end to end, the import history, the template dialog and drag and drop."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from sqlalchemy import select

from pmo_desktop.model import ImportBatch, Project, StatusReport
from pmo_desktop.ui.importing import commands
from pmo_desktop.ui.importing.column_mapping import FIELD_CHOICES_ROLE, MAP_FIELD, MAP_MATCH
from pmo_desktop.ui.importing.history_dialog import STATUS_COLUMN, ImportHistoryDialog
from pmo_desktop.ui.importing.import_wizard import ImportWizard
from pmo_desktop.ui.importing.mapping_page import TABLE_COLUMNS, TABLE_KIND
from pmo_desktop.ui.importing.template_dialog import TemplateDialog
from pmo_desktop.ui.tasks import wait_for_background_work

D = dt.date
HEADERS = ["Project ID", "Project Name", "Lead", "Approved Envelope (£k)", "Health", "Go Live"]


def write_register(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Register"
    sheet.append(["Digital programme - project register"])
    sheet.append([])
    sheet.append(HEADERS)
    sheet.append(["P1", "Alpha", "Ann Lee", 120, "Green", D(2026, 12, 18)])
    sheet.append(["P2", "Beta", "Bo Kim", 80, "Amber", D(2026, 9, 30)])
    book.save(path)
    return path


def write_status(path: Path) -> Path:
    path.write_text("Project,Week Ending,Overall RAG,Executive Summary\nP1,31/03/2026,Red,Supplier late\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path) -> list[Path]:
    return [write_register(tmp_path / "register.xlsx"), write_status(tmp_path / "status.csv")]


def open_wizard(qtbot, ctx, paths) -> ImportWizard:
    wizard = ImportWizard(ctx, paths)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(wizard.files_page.isComplete, timeout=10_000)
    return wizard


def match_text(wizard: ImportWizard, header: str) -> str:
    model = wizard.mapping_page.mapping_model
    return model.index(model.row_of(header), MAP_MATCH).data()


def choose_field(qtbot, wizard: ImportWizard, header: str, field: str) -> None:
    """Click the column's "Imported as" drop-down and pick ``field``, as a coordinator does."""
    page = wizard.mapping_page
    view = page.mapping_view
    index = page.mapping_model.index(page.mapping_model.row_of(header), MAP_FIELD)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    editor = view.indexWidget(index)
    assert editor is not None, "one click opens the drop-down"
    editor.setCurrentIndex(editor.findData(field))
    editor.activated.emit(editor.currentIndex())
    qtbot.waitUntil(lambda: view.indexWidget(index) is None)


def test_import_two_files_with_a_changed_mapping_then_undo_from_the_history(qtbot, ctx, files, message_boxes):
    wizard = open_wizard(qtbot, ctx, files)
    assert wizard.files_page.files_list.topLevelItemCount() == 2

    wizard.next()
    page = wizard.mapping_page
    assert wizard.currentId() == ImportWizard.MAPPING and page.tables_table.rowCount() == 2
    register = next(t for t in wizard.session.tables if t.file == "register.xlsx")
    page.select_table(register)
    assert match_text(wizard, "Approved Envelope (£k)") == "Not imported"  # highlighted, not dropped
    choose_field(qtbot, wizard, "Approved Envelope (£k)", "budget")
    assert match_text(wizard, "Approved Envelope (£k)") == "Chosen by you"
    assert page.tables_table.item(0, TABLE_COLUMNS).text() == "6 of 6 imported"

    wizard.next()
    plan_page = wizard.plan_page
    qtbot.waitUntil(plan_page.isComplete, timeout=10_000)
    assert plan_page.totals_label.text().startswith("3 new, 0 changed, 0 unchanged, 0 rejected")
    assert plan_page.rows_model.total_rows() == 3
    plan_page.action_filter.setCurrentIndex(plan_page.action_filter.findText("Rejected"))
    assert plan_page.rows_model.rowCount() == 0
    assert not plan_page.save_rejects_button.isEnabled()

    with qtbot.waitSignal(ctx.data_changed, timeout=10_000):
        wizard.next()  # Apply
    qtbot.waitUntil(lambda: wizard.currentId() == ImportWizard.DONE, timeout=10_000)
    assert wizard.done_page.batches_model.total_rows() == 2
    with ctx.db.session() as s:
        budgets = dict(s.execute(select(Project.code, Project.budget)).all())
        assert budgets == {"P1": Decimal("120000.00"), "P2": Decimal("80000.00")}
        assert s.scalar(select(StatusReport.summary)) == "Supplier late"

    history = ImportHistoryDialog(ctx)
    qtbot.addWidget(history)
    history.show()
    assert history.model.total_rows() == 2
    message_boxes.answer = QMessageBox.StandardButton.Yes
    batches = {row.file_name: row.id for row in history._batches.values()}

    history.select_batch(batches["register.xlsx"])  # the status report still refers to it: refused
    history.ui.undo_button.click()
    qtbot.waitUntil(lambda: any(title == "Cannot undo this import" for _k, title, _t in message_boxes.shown),
                    timeout=10_000)
    assert "refer" in message_boxes.texts()

    history.select_batch(batches["status.csv"])
    history.ui.undo_button.click()
    qtbot.waitUntil(lambda: history.model.row_tuple(history.model.view_row_of(batches["status.csv"]))[
        STATUS_COLUMN + 1].startswith("Undone"), timeout=10_000)
    history.select_batch(batches["register.xlsx"])
    history.ui.undo_button.click()
    qtbot.waitUntil(lambda: not history.selected_batch().can_undo, timeout=10_000)
    with ctx.db.session() as s:
        assert s.scalar(select(Project)) is None and s.scalar(select(StatusReport)) is None
        assert set(s.scalars(select(ImportBatch.status))) == {"undone"}


def test_the_next_import_of_the_same_headers_shows_the_saved_mapping(qtbot, ctx, files, tmp_path):
    first = open_wizard(qtbot, ctx, files[:1])
    first.next()
    first.mapping_page.select_table(first.session.tables[0])
    choose_field(qtbot, first, "Approved Envelope (£k)", "budget")
    first.next()
    qtbot.waitUntil(first.plan_page.isComplete, timeout=10_000)
    first.next()
    qtbot.waitUntil(lambda: first.currentId() == ImportWizard.DONE, timeout=10_000)

    copy = write_register(tmp_path / "register april.xlsx")
    second = open_wizard(qtbot, ctx, [copy])
    second.next()
    page = second.mapping_page
    assert page.saved_badge.isVisibleTo(page)
    assert page.tables_table.item(0, 6).text() == "✓ Saved mapping"
    model = page.mapping_model
    assert model.index(model.row_of("Approved Envelope (£k)"), MAP_FIELD).data(Qt.ItemDataRole.EditRole) == "budget"
    assert match_text(second, "Approved Envelope (£k)") == "Saved mapping"


def test_kind_combo_remaps_and_unreadable_files_show_their_reason(qtbot, ctx, files, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    wizard = open_wizard(qtbot, ctx, [*files, broken])
    items = [wizard.files_page.files_list.topLevelItem(i) for i in range(3)]
    bad = next(item for item in items if item.text(0) == "broken.xlsx")
    assert bad.text(1) == "Cannot be imported:" and "broken.xlsx" in bad.child(0).text(0)

    wizard.next()
    page = wizard.mapping_page
    page.tables_table.selectRow(0)
    kind_combo = page.tables_table.cellWidget(0, TABLE_KIND)
    kind_combo.setCurrentIndex(kind_combo.findData("raid"))
    assert wizard.session.tables[0].kind.value == "raid"
    choices = page.mapping_model.index(0, MAP_FIELD).data(FIELD_CHOICES_ROLE)
    assert ("Likelihood", "likelihood") in choices


def test_new_template_writes_the_office_workbook(qtbot, ctx, tmp_path):
    dialog = TemplateDialog(ctx, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.ui.kind_combo.setCurrentIndex(dialog.ui.kind_combo.findData("raid"))
    assert Path(dialog.ui.path_edit.text()) == tmp_path / "RAID log template.xlsx"
    dialog.ui.button_box.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.written is not None, timeout=10_000)
    book = openpyxl.load_workbook(dialog.written)
    headers = [cell.value for cell in book["Data"][1]]
    assert "Ref" in headers and "Likelihood" in headers


def test_undo_last_import_undoes_the_newest_batch(qtbot, ctx, files, message_boxes):
    from pmo_desktop.importer.session import ImportSession

    session = ImportSession(ctx.db)
    session.add_files(files[:1])
    session.apply()
    message_boxes.answer = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(ctx.data_changed, timeout=10_000):
        commands.undo_last_import(ctx, None)
    with ctx.db.session() as s:
        assert s.scalar(select(Project)) is None
        assert s.scalar(select(ImportBatch.status)) == "undone"
    commands.undo_last_import(ctx, None)
    assert "There is no import to undo" in message_boxes.texts()


def _drop_event(kind, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    args = (QPointF(50, 50).toPoint() if kind is QDragEnterEvent else QPointF(50, 50), Qt.DropAction.CopyAction,
            mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    return kind(*args), mime


def test_dropping_spreadsheets_on_the_main_window_opens_the_wizard(qtbot, ctx, files, tmp_path, monkeypatch):
    from pmo_desktop.ui.main_window.main_window import MainWindow

    opened: list[ImportWizard] = []
    monkeypatch.setattr(ImportWizard, "exec", lambda self: opened.append(self) or 0)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert window.acceptDrops()
    assert window.main_actions.import_spreadsheets in window.main_toolbar.actions()
    assert window.main_actions.import_spreadsheets.shortcut().toString() == "Ctrl+I"

    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a spreadsheet")
    refused, _mime = _drop_event(QDragEnterEvent, [text_file])
    window.dragEnterEvent(refused)
    assert not refused.isAccepted()

    enter, _mime = _drop_event(QDragEnterEvent, files)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop, _mime = _drop_event(QDropEvent, [tmp_path])  # a folder: every spreadsheet in it
    window.dropEvent(drop)
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: len(opened) == 1)
    wizard = opened[0]
    qtbot.addWidget(wizard)
    qtbot.waitUntil(wizard.files_page.isComplete, timeout=10_000)
    assert sorted(loaded.path.name for loaded in wizard.session.files) == ["register.xlsx", "status.csv"]


def test_dropping_files_on_the_first_page_adds_them(qtbot, ctx, files):
    wizard = open_wizard(qtbot, ctx, files[:1])
    page = wizard.files_page
    enter, _mime = _drop_event(QDragEnterEvent, files[1:])
    page.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop, _mime = _drop_event(QDropEvent, files[1:])
    page.dropEvent(drop)
    qtbot.waitUntil(lambda: page.files_list.topLevelItemCount() == 2 and page.isComplete(), timeout=10_000)
    assert [loaded.path.name for loaded in wizard.session.files] == ["register.xlsx", "status.csv"]


def test_cancelling_while_files_are_read_closes_cleanly(qtbot, ctx, files):
    wizard = ImportWizard(ctx, files)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.show()
    assert wizard.files_page.task is not None
    with qtbot.waitSignal(wizard.destroyed, timeout=10_000):
        wizard.reject()
    assert wait_for_background_work(10_000)
    qtbot.wait(50)  # the read's late report reaches no deleted widget (a failure would raise here)


def test_going_back_and_forth_while_checking_shows_the_latest_plan(qtbot, ctx, files):
    wizard = open_wizard(qtbot, ctx, files)
    wizard.next()
    wizard.next()  # checking starts
    wizard.back()
    wizard.mapping_page.tables_table.item(1, 0).setCheckState(Qt.CheckState.Unchecked)  # leave status.csv out
    wizard.next()
    qtbot.waitUntil(wizard.plan_page.isComplete, timeout=10_000)
    assert wait_for_background_work(10_000)
    qtbot.wait(50)
    assert wizard.plan_page.totals_label.text().startswith("2 new, 0 changed")
    assert wizard.plan_page.summary_model.total_rows() == 1


def test_undo_this_import_on_the_last_page_takes_every_batch_back_out(qtbot, ctx, files, message_boxes):
    wizard = open_wizard(qtbot, ctx, files)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(wizard.plan_page.isComplete, timeout=10_000)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == ImportWizard.DONE, timeout=10_000)
    message_boxes.answer = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(ctx.data_changed, timeout=10_000):
        wizard.done_page.undo_button.click()
    qtbot.waitUntil(lambda: "was undone" in wizard.done_page.summary_label.text(), timeout=10_000)
    assert wizard.done_page.isComplete() and not wizard.done_page.undo_button.isEnabled()
    with ctx.db.session() as s:
        assert s.scalar(select(Project)) is None and s.scalar(select(StatusReport)) is None
