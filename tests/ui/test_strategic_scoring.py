"""Strategic scoring in the project panel, the ranking view and the criteria dialog."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from pmo_desktop.model import AuditEvent
from pmo_desktop.services import portfolio, scoring
from pmo_desktop.ui.portfolio.project_panel import ProjectPanel


@pytest.fixture
def projects(ctx):
    def create(session):
        return {code: portfolio.create_project(session, {"code": code, "name": f"Project {code}", "stage": stage})
                for code, stage in (("IDX-1", "idea"), ("IDX-2", "business_case"), ("RUN-1", "execution"))}
    return ctx.write(create)


def _criteria(ctx):
    return {c.name: c for c in ctx.read(scoring.criteria)}


def test_panel_scores_save_at_once_with_undo(qtbot, ctx, projects):
    panel = ProjectPanel(ctx)
    qtbot.addWidget(panel)
    panel.show_project(projects["IDX-1"])
    criteria = _criteria(ctx)
    assert panel.ui.score_summary_label.text() == "Not scored yet."
    for criterion in criteria.values():
        panel.set_score(criterion.id, 4.0)
    assert panel.scoring.weighted_score == pytest.approx(4.0)
    assert "Weighted score 4.00 of 5 · rank 1 of 2 proposals" in panel.ui.score_summary_label.text()
    panel.set_score(criteria["Regulatory"].id, 1.5)
    stored = {s.name: s.score for s in ctx.read(scoring.project_scoring, projects["IDX-1"]).scores}
    assert stored["Regulatory"] == 1.5 and stored["Strategic alignment"] == 4.0
    ctx.undo_stack.undo()
    assert panel.score_spin(criteria["Regulatory"].id).score() == 4.0
    assert ctx.read(scoring.project_scoring, projects["IDX-1"]).weighted_score == pytest.approx(4.0)
    ctx.undo_stack.redo()
    assert panel.score_spin(criteria["Regulatory"].id).score() == 1.5
    with ctx.db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "project_score")).all()
    assert len(events) >= len(criteria) + 3


def test_panel_clearing_a_score_counts_it_as_zero(qtbot, ctx, projects):
    panel = ProjectPanel(ctx)
    qtbot.addWidget(panel)
    panel.show_project(projects["RUN-1"])
    criteria = _criteria(ctx)
    first = next(iter(criteria.values()))
    panel.set_score(first.id, 5.0)
    total = sum(c.weight for c in criteria.values())
    assert panel.scoring.weighted_score == pytest.approx(5.0 * first.weight / total)
    assert "rank 1 of 1 active projects" in panel.ui.score_summary_label.text()
    assert f"1 of {len(criteria)} criteria scored" in panel.ui.score_summary_label.text()
    panel.set_score(first.id, None)
    assert panel.ui.score_summary_label.text() == "Not scored yet."


def _score_all(ctx, project_id: int, score: float) -> None:
    def write(session):
        scoring.set_scores(session, project_id, {c.id: score for c in scoring.criteria(session)})
    ctx.write(write, entity="project_score")


def test_ranking_view_ranks_and_filters_groups(qtbot, ctx, projects):
    from pmo_desktop.ui.portfolio.ranking_view import RankingView

    _score_all(ctx, projects["IDX-1"], 2.0)
    _score_all(ctx, projects["IDX-2"], 4.5)
    _score_all(ctx, projects["RUN-1"], 3.0)
    view = RankingView(ctx)
    qtbot.addWidget(view)
    view.show()
    model = view.model
    rows = [(model.row_tuple(i)[1], model.row_tuple(i)[3]) for i in range(model.rowCount())]
    assert rows == [(1, "IDX-2"), (2, "IDX-1"), (1, "RUN-1")]
    view.group_combo.setCurrentIndex(view.group_combo.findData("active"))
    assert [model.row_tuple(i)[3] for i in range(model.rowCount())] == ["RUN-1"]
    view.group_combo.setCurrentIndex(0)
    _score_all(ctx, projects["IDX-1"], 5.0)  # the open window follows the edit
    assert model.row_tuple(0)[3] == "IDX-1" and model.row_tuple(0)[1] == 1
    chosen = []
    view.project_chosen.connect(chosen.append)
    view.table.doubleClicked.emit(model.index(0, 0))
    assert chosen == [projects["IDX-1"]]


def test_criteria_dialog_edits_are_validated_and_undoable(qtbot, ctx, message_boxes):
    from pmo_desktop.ui.dialogs.criteria_dialog import CriteriaDialog

    dialog = CriteriaDialog(ctx)
    qtbot.addWidget(dialog)
    first = dialog.selected()
    dialog.weight_spin.setValue(first.weight * 2)
    assert dialog.save_selected()
    assert ctx.read(scoring.get_criterion, first.id).weight == pytest.approx(first.weight * 2)
    second = dialog._criteria[1]
    dialog.table.setCurrentCell(0, 0)
    dialog.name_edit.setText(second.name.upper())
    assert not dialog.save_selected()
    assert "already a criterion" in dialog.error_label.text()
    new_id = dialog.add_criterion("Innovation")
    assert dialog.selected().id == new_id and dialog.selected().weight == 1.0
    ctx.undo_stack.undo()
    assert "Innovation" not in [c.name for c in ctx.read(scoring.criteria)]
    assert "Innovation" not in [c.name for c in dialog._criteria]
    message_boxes.answer = QMessageBox.StandardButton.Yes
    dialog.table.setCurrentCell(0, 0)
    assert dialog.delete_selected(), message_boxes.texts()
    assert first.id not in [c.id for c in ctx.read(scoring.criteria)]
    ctx.undo_stack.undo()
    assert ctx.read(scoring.get_criterion, first.id).name == first.name
