"""Upgrade to 0004: gate criteria gain a methodology, and an old office keeps its checklists whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pmo_desktop.model import GateCriterion
from pmo_desktop.model.database import is_at_head, open_database

FIRST_SCHEMA = Path(__file__).resolve().parents[2] / "db" / "fixtures" / "schema-0001.db"


@pytest.fixture
def upgraded(tmp_path):
    path = tmp_path / "office.db"
    shutil.copyfile(FIRST_SCHEMA, path)
    database = open_database(path)
    yield database
    database.dispose()


def test_old_criteria_apply_to_every_methodology_after_the_upgrade(upgraded):
    assert is_at_head(upgraded.engine)
    with upgraded.session() as session:
        total = session.scalar(select(func.count()).select_from(GateCriterion))
        tailored = session.scalar(select(func.count()).where(GateCriterion.methodology.is_not(None)))
    assert total > 0
    assert tailored == 0


def test_the_upgraded_column_takes_a_methodology_and_refuses_an_unknown_one(upgraded):
    with upgraded.transaction() as session:
        gate_id = session.scalar(select(GateCriterion.gate_id).limit(1))
        session.add(GateCriterion(gate_id=gate_id, name="Sprint zero done", position=99, methodology="agile"))
    with upgraded.session() as session:
        assert session.scalar(select(GateCriterion.methodology).where(GateCriterion.name == "Sprint zero done")) \
            == "agile"
    with pytest.raises(IntegrityError), upgraded.transaction() as session:
        session.add(GateCriterion(gate_id=gate_id, name="Kanban board", position=99, methodology="kanban"))
