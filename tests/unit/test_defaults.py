"""The defaults an empty office starts with: created once, audited, never duplicated."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pmo_desktop.model import (
    AuditEvent,
    Gate,
    GateCriterion,
    MethodologyStandard,
    OfficeSettings,
    Stage,
    StandardMilestone,
    StandardRaidItem,
    StrategicCriterion,
)
from pmo_desktop.model.database import open_database
from pmo_desktop.services.defaults import DEFAULT_GATES, ensure_defaults, office_has_defaults


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/t.db", backup=False)
    yield database
    database.dispose()


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_empty_office_gets_settings_gates_standards_and_criteria(db):
    with db.transaction(note="defaults") as session:
        created = ensure_defaults(session)
    assert created.settings is not None
    assert len(created.gates) == 6
    assert {s.methodology for s in created.standards} == {"waterfall", "agile", "hybrid"}
    assert len(created.strategic_criteria) == 5

    with db.session() as session:
        settings = session.get(OfficeSettings, 1)
        assert settings.currency == "GBP" and settings.pmo_type == "controlling"
        gates = session.scalars(select(Gate).order_by(Gate.position)).all()
        lifecycle = Stage.lifecycle()
        assert [(g.from_stage, g.to_stage) for g in gates] == [
            (a.value, b.value) for a, b in zip(lifecycle, lifecycle[1:], strict=False)
        ]
        assert gates[0].name == "G1 Business case"
        for gate in gates:
            assert any(c.required for c in gate.criteria)
        names = {c.name for g in gates for c in g.criteria}
        assert {"Business case", "Sponsor named", "Budget approved", "Risk register started", "Baseline plan",
                "Benefits plan", "Resource plan", "Lessons learned", "Handover to operations",
                "Benefits realisation plan"} <= names
        assert any(not c.required for g in gates for c in g.criteria)
        for standard in session.scalars(select(MethodologyStandard)):
            positions = [m.position for m in standard.milestones]
            assert positions == sorted(positions) and all(0 <= p <= 1 for p in positions)
            assert len(standard.starter_raid) >= 3
        weights = session.scalars(select(StrategicCriterion.weight)).all()
        assert sum(weights) == pytest.approx(1.0)


def test_ensure_defaults_is_idempotent(db):
    with db.transaction() as session:
        ensure_defaults(session)
    with db.session() as session:
        before = {m: _count(session, m) for m in (Gate, GateCriterion, MethodologyStandard, StandardMilestone,
                                                  StandardRaidItem, StrategicCriterion, AuditEvent)}
    with db.transaction() as session:
        again = ensure_defaults(session)
    assert again.nothing_created
    with db.session() as session:
        after = {m: _count(session, m) for m in before}
    assert after == before


def test_every_default_row_is_audited(db):
    with db.transaction() as session:
        ensure_defaults(session)
    with db.session() as session:
        audited = dict(session.execute(
            select(AuditEvent.entity, func.count()).where(AuditEvent.action == "insert").group_by(AuditEvent.entity)
        ).all())
        assert audited["gate"] == _count(session, Gate) == len(DEFAULT_GATES)
        assert audited["gate_criterion"] == _count(session, GateCriterion)
        assert audited["standard_milestone"] == _count(session, StandardMilestone)
        assert audited["strategic_criterion"] == _count(session, StrategicCriterion)
        assert audited["office_settings"] == 1


def test_office_criteria_and_edited_gates_are_left_alone(db):
    with db.transaction() as session:
        session.add(StrategicCriterion(name="Net zero", weight=1.0))
    with db.transaction() as session:
        ensure_defaults(session)
        gate = session.scalar(select(Gate).where(Gate.to_stage == "approved"))
        gate.criteria.pop()  # the office drops an optional criterion
    with db.transaction() as session:
        assert ensure_defaults(session).nothing_created
    with db.session() as session:
        assert session.scalars(select(StrategicCriterion.name)).all() == ["Net zero"]
        gate = session.scalar(select(Gate).where(Gate.to_stage == "approved"))
        assert "Procurement route agreed" not in {c.name for c in gate.criteria}


def _has_defaults(db) -> bool:
    with db.engine.connect() as connection:
        return office_has_defaults(connection)


def test_the_read_only_check_agrees_with_what_ensure_defaults_would_create(db):
    assert not _has_defaults(db)
    with db.transaction() as session:
        ensure_defaults(session)
    assert _has_defaults(db)

    with db.transaction() as session:  # a gate renamed keeps its transition: nothing to create
        session.scalar(select(Gate).where(Gate.to_stage == "approved")).name = "Investment board"
    assert _has_defaults(db)
    with db.transaction() as session:
        assert ensure_defaults(session).nothing_created

    with db.transaction() as session:  # a standard removed is created again
        session.delete(session.scalar(select(MethodologyStandard).where(MethodologyStandard.methodology == "agile")))
    assert not _has_defaults(db)
    with db.transaction() as session:
        assert [s.methodology for s in ensure_defaults(session).standards] == ["agile"]
    assert _has_defaults(db)

    with db.transaction() as session:  # a gate removed, transition and name, is created again
        session.delete(session.scalar(select(Gate).where(Gate.to_stage == "closed")))
    assert not _has_defaults(db)
    with db.transaction() as session:
        assert [g.name for g in ensure_defaults(session).gates] == ["G6 Closure"]
    assert _has_defaults(db)


def test_the_read_only_check_reads_on_postgresql_too(any_db):
    with any_db.transaction() as session:
        ensure_defaults(session)
    assert _has_defaults(any_db)
