"""Strategic scoring in the project panel, the ranking view and the criteria dialog."""

from __future__ import annotations

import pytest
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
