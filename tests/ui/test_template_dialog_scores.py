"""File > New Template offers the strategic scores template, pre-filled for the office's proposals."""

from __future__ import annotations

import openpyxl
from PySide6.QtWidgets import QDialogButtonBox

from pmo_desktop.services import portfolio, scoring
from pmo_desktop.ui.importing.template_dialog import TemplateDialog


def test_scores_template_lists_each_proposal_with_each_criterion(qtbot, ctx, tmp_path):
    ctx.write(portfolio.create_project, {"code": "IDEA-1", "name": "An idea", "stage": "idea"})
    ctx.write(portfolio.create_project, {"code": "RUN-1", "name": "Running", "stage": "execution"})
    criteria = [c.name for c in ctx.read(scoring.criteria)]
    assert criteria, "the office starts with strategic criteria"
    dialog = TemplateDialog(ctx, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.ui.kind_combo.setCurrentIndex(dialog.ui.kind_combo.findData("scores"))
    assert dialog.ui.kind_combo.currentText() == "Strategic scores"
    assert dialog.ui.fields_label.text() == "Columns: Project, Criterion, Score"
    assert dialog.ui.path_edit.text().endswith("Strategic scores template.xlsx")
    assert not dialog.ui.standard_group.isVisible()
    dialog.ui.button_box.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.written is not None, timeout=10_000)
    sheet = openpyxl.load_workbook(dialog.written)["Data"]
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if any(row)]
    assert rows == [("IDEA-1", name, None) for name in criteria]
