"""A scoring matrix dropped on the import wizard goes through to applied strategic scores."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from sqlalchemy import select

from pmo_desktop.model import Project, ProjectScore, StrategicCriterion
from pmo_desktop.ui.importing.column_mapping import MAP_FIELD, MAP_HEADER, MAP_MATCH
from pmo_desktop.ui.importing.import_wizard import ImportWizard
from pmo_desktop.ui.importing.mapping_page import TABLE_KIND, TABLE_MAPPING

MATRIX = [
    ["Investment panel scores"],
    [],
    ["Project code", "Title", "Strategic alignment", "Financial return", "Customer impact", "Innovation"],
    ["P1", "Alpha", 4, "High", 2.5, 3],
    ["P2", "Beta", 3.5, 7, None, None],
]


@pytest.fixture
def matrix(ctx, tmp_path) -> Path:
    """Two projects in the office (whose default criteria head the matrix) and the panel's matrix."""
    with ctx.db.transaction() as session:
        session.add_all([Project(code="P1", name="Alpha", stage="idea"), Project(code="P2", name="Beta", stage="idea")])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Panel"
    for row in MATRIX:
        sheet.append(row)
    path = tmp_path / "panel.xlsx"
    book.save(path)
    return path


def stored_scores(db) -> dict[tuple[str, str], float]:
    with db.session() as session:
        rows = session.execute(select(Project.code, StrategicCriterion.name, ProjectScore.score)
                               .join(Project, Project.id == ProjectScore.project_id)
                               .join(StrategicCriterion, StrategicCriterion.id == ProjectScore.criterion_id))
        return {(code, name): score for code, name, score in rows}


def drop(page, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPointF(50, 50).toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    page.dragEnterEvent(enter)
    assert enter.isAccepted()
    page.dropEvent(QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier))


def mapping_rows(page) -> list[tuple[str, str, str]]:
    model = page.mapping_model
    return [tuple(model.index(row, part).data() for part in (MAP_HEADER, MAP_FIELD, MAP_MATCH))
            for row in range(model.rowCount())]


def test_a_dropped_scoring_matrix_is_checked_and_applied_as_strategic_scores(qtbot, ctx, matrix):
    wizard = ImportWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    files_page = wizard.files_page
    drop(files_page, matrix)
    qtbot.waitUntil(files_page.isComplete, timeout=10_000)
    found = files_page.files_list.topLevelItem(0)
    assert [found.child(i).text(1) for i in range(found.childCount())] == [
        "Strategic scores (scoring matrix, 3 criteria): 2 projects under the headers on row 3"]

    wizard.next()
    page = wizard.mapping_page
    assert page.tables_table.item(0, TABLE_MAPPING).text() == "Scoring matrix"
    assert page.tables_table.item(0, TABLE_KIND).text() == "Strategic scores"
    assert page.tables_table.cellWidget(0, TABLE_KIND) is None  # no other kind to choose
    assert page.columns_label.text() == "Criterion columns of panel.xlsx, sheet Panel (headers on row 3)"
    assert mapping_rows(page) == [
        ("Project code", "Project", "Project column"),
        ("Title", "(ignore)", "Not imported"),
        ("Strategic alignment", "Score for Strategic alignment", "Criterion column"),
        ("Financial return", "Score for Financial return", "Criterion column"),
        ("Customer impact", "Score for Customer impact", "Criterion column"),
        ("Innovation", "Score (no such criterion)", "No criterion"),
    ]
    field = page.mapping_model.index(0, MAP_FIELD)
    assert not field.flags() & Qt.ItemFlag.ItemIsEditable
    assert page.unmapped_label.text() == (
        "A scoring matrix: each filled cell is one score. 3 columns score the office's criteria (Strategic "
        "alignment, Financial return, Customer impact). “Innovation” matches no criterion: its scores are "
        "rejected; rename the header or add the criterion under File > Strategic Criteria. Not imported: “Title”.")

    wizard.next()
    plan_page = wizard.plan_page
    qtbot.waitUntil(plan_page.isComplete, timeout=10_000)
    assert plan_page.totals_label.text().startswith("4 new, 0 changed, 0 unchanged, 2 rejected")
    plan_page.action_filter.setCurrentIndex(plan_page.action_filter.findText("Rejected"))
    model = plan_page.rows_model
    rejected = [model.row_tuple(row)[1:] for row in range(model.rowCount())]
    assert [(file, sheet, line, details.split(":")[0]) for file, sheet, line, _action, _key, details in rejected] == [
        ("panel.xlsx", "Panel", 4, "Innovation '3'"), ("panel.xlsx", "Panel", 5, "Financial return '7'")]

    with qtbot.waitSignal(ctx.data_changed, timeout=10_000):
        wizard.next()  # Apply
    qtbot.waitUntil(lambda: wizard.currentId() == ImportWizard.DONE, timeout=10_000)
    assert stored_scores(ctx.db) == {("P1", "Strategic alignment"): 4.0, ("P1", "Financial return"): 4.0,
                                     ("P1", "Customer impact"): 2.5, ("P2", "Strategic alignment"): 3.5}
