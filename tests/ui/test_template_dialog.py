"""File > New Template pre-filled from the standards library: methodology, project and baseline dates."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from PySide6.QtWidgets import QDialogButtonBox

from pmo_desktop.services import portfolio
from pmo_desktop.ui.importing.template_dialog import TemplateDialog

START, END = dt.date(2027, 1, 4), dt.date(2027, 9, 30)


@pytest.fixture
def dialog(qtbot, ctx, tmp_path) -> TemplateDialog:
    ctx.write(portfolio.create_project, {"code": "TPL-020", "name": "Dialog project",
                                         "baseline_start": START, "baseline_end": END})
    opened = TemplateDialog(ctx, folder=tmp_path)
    qtbot.addWidget(opened)
    return opened


def _choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def _save(qtbot, dialog: TemplateDialog) -> list[tuple]:
    dialog.ui.button_box.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.written is not None, timeout=10_000)
    sheet = openpyxl.load_workbook(dialog.written)["Data"]
    return [row for row in sheet.iter_rows(min_row=2, values_only=True) if any(row)]


def test_the_standard_is_offered_only_for_milestones_and_raid(dialog):
    dialog.show()
    for kind, offered in (("projects", False), ("milestones", True), ("status", False), ("raid", True)):
        _choose(dialog.ui.kind_combo, kind)
        assert dialog.ui.standard_group.isVisible() is offered, kind
    assert [dialog.ui.methodology_combo.itemText(i) for i in range(dialog.ui.methodology_combo.count())] == [
        "None: a blank template", "Waterfall", "Agile", "Hybrid"]
    assert not dialog.ui.start_date.isVisible(), "a RAID template has no dates to lay out"
    assert not dialog.ui.project_combo.isEnabled(), "no methodology, nothing to pre-fill"


def test_milestones_template_from_a_methodology_takes_the_projects_dates(qtbot, dialog):
    _choose(dialog.ui.kind_combo, "milestones")
    _choose(dialog.ui.methodology_combo, "agile")
    dialog.ui.project_combo.setCurrentText("TPL-020")
    assert (dialog.ui.start_date.value(), dialog.ui.end_date.value()) == (START, END)
    assert "6 standard milestones of the Agile standard, dated 31 Jan 2027 to 30 Sep 2027" in \
        dialog.ui.standard_hint_label.text()
    rows = _save(qtbot, dialog)
    assert [(row[0], row[1]) for row in rows][-1] == ("TPL-020", "Service handover")
    assert rows[-1][2] == dt.datetime(2027, 9, 30)
    assert len(rows) == 6


def test_raid_template_from_a_methodology_starts_with_its_items(qtbot, dialog):
    _choose(dialog.ui.kind_combo, "raid")
    _choose(dialog.ui.methodology_combo, "waterfall")
    dialog.ui.project_combo.setCurrentText("TPL-020")
    assert "3 starter RAID items of the Waterfall standard (risk, assumption, dependency)" in \
        dialog.ui.standard_hint_label.text()
    rows = _save(qtbot, dialog)
    assert [row[:4] for row in rows] == [
        ("TPL-020", "R-001", "Risk", "Requirements change after sign-off"),
        ("TPL-020", "A-001", "Assumption", "Business experts available for user acceptance testing"),
        ("TPL-020", "D-001", "Dependency", "Test environments available when build completes"),
    ]


def test_dates_out_of_order_are_refused_in_the_dialog(qtbot, dialog):
    _choose(dialog.ui.kind_combo, "milestones")
    _choose(dialog.ui.methodology_combo, "hybrid")
    dialog.ui.start_date.set_value(END)
    dialog.ui.end_date.set_value(START)
    dialog.ui.button_box.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: bool(dialog.ui.error_label.text()), timeout=10_000)
    assert "is before the baseline start" in dialog.ui.error_label.text()
    assert dialog.written is None and not dialog.target_path().exists()
    assert dialog.save_button.isEnabled()


def test_a_project_the_office_does_not_have_is_pointed_out(dialog):
    _choose(dialog.ui.kind_combo, "raid")
    _choose(dialog.ui.methodology_combo, "agile")
    dialog.ui.project_combo.setCurrentText("NEW-999")
    assert "The office has no project NEW-999 yet" in dialog.ui.standard_hint_label.text()
    dialog.ui.project_combo.setCurrentText("tpl-020")
    assert "no project" not in dialog.ui.standard_hint_label.text()
