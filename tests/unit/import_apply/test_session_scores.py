"""A scoring matrix in the interactive import session: offered as strategic scores, its columns
named by criterion, planned and applied exactly as the pipeline reads it, and undone."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmo_desktop.importer.fields import Kind
from pmo_desktop.importer.pipeline import import_files
from pmo_desktop.importer.plan import PlanCounts
from pmo_desktop.importer.session import ImportSession, Source
from pmo_desktop.model import ImportBatch, Project
from pmo_desktop.services.mappings import SavedMappings

from .helpers import SCORE_MATRIX, scoring_office, stored_scores, write_book

UNKNOWN = ("is not in the office's list of strategic criteria (Customer value, Risk reduction, Strategic fit); "
           "add it to that list under File > Strategic Criteria or correct the name, then import the file again")
UNKNOWN_COLUMN = ("'Innovation' is not in the office's list of strategic criteria (Customer value, Risk reduction, "
                  "Strategic fit); add it to that list under File > Strategic Criteria or rename the column to one "
                  "of them, then import the file again")


@pytest.fixture
def office(db):
    """Three projects, three criteria and one stored score (P1 on Customer value: 2)."""
    return scoring_office(db)


def write_matrix(path: Path) -> str:
    return write_book(path, "Panel", SCORE_MATRIX)


def plan_rows(plan) -> list[tuple]:
    return [(row.source.file, row.row, str(row.action), dict(row.key), dict(row.values),
             [(error.column, error.reason) for error in row.errors]) for row in plan.rows()]


def test_a_matrix_is_offered_as_strategic_scores_with_a_criterion_per_column(office, tmp_path):
    session = ImportSession(office, mappings=SavedMappings(office))
    session.add_files([write_matrix(tmp_path / "panel.xlsx")])
    [table] = session.tables
    assert table.is_score_matrix and table.include
    assert (table.sheet, table.kind, table.detected_kind, table.header_row, table.row_count) == (
        "Panel", Kind.SCORES, Kind.SCORES, 3, 3)
    assert [(c.header, c.field, c.criterion) for c in table.columns] == [
        ("Project code", "project", None),
        ("Project name", None, None),
        ("Customer value (0-5)", "score", "Customer value"),
        ("Fit strategic", "score", "Strategic fit"),
        ("Risk Reduction", "score", "Risk reduction"),
        ("Innovation", "score", None),
        ("Notes", None, None),
    ]
    assert [c.header for c in table.criterion_columns if c.unknown_criterion] == ["Innovation"]
    assert table.column("Innovation").note == UNKNOWN
    assert table.column("Fit strategic").samples == ("High", "9")
    assert {c.source for c in table.columns} == {Source.MATRIX}
    assert session.warnings() == []  # not "left out": the matrix is the table
    with pytest.raises(ValueError, match="scoring matrix"):
        session.set_kind(table, "projects")
    with pytest.raises(ValueError, match="matched to the office's strategic criteria by their headers"):
        session.set_field(table, "Notes", "criterion")
    assert table.kind is Kind.SCORES and table.column("Notes").field is None


def test_a_matrix_is_planned_as_the_pipeline_plans_it_then_applied_and_undone(office, tmp_path):
    path = write_matrix(tmp_path / "panel.xlsx")
    session = ImportSession(office, mappings=SavedMappings(office))
    session.add_files([path])
    plan = session.plan()
    assert plan.counts == PlanCounts(new=3, update=1, reject=2)
    assert [(file, line, action, key, errors) for file, line, action, key, _values, errors in plan_rows(plan)] == [
        ("panel.xlsx", 4, "update", {"project": "P1", "criterion": "Customer value"}, []),
        ("panel.xlsx", 4, "new", {"project": "P1", "criterion": "Strategic fit"}, []),
        ("panel.xlsx", 4, "reject", {}, [("Innovation", UNKNOWN_COLUMN)]),
        ("panel.xlsx", 5, "new", {"project": "P2", "criterion": "Customer value"}, []),
        ("panel.xlsx", 5, "reject", {}, [("Fit strategic", "'9' is out of range; a score is from 0 to 5")]),
        ("panel.xlsx", 5, "new", {"project": "P2", "criterion": "Risk reduction"}, []),
    ]
    assert plan_rows(plan) == plan_rows(import_files(office, [path], dry_run=True).plan)

    result = session.apply()
    assert not result.problems and result.mappings_saved == 0  # a matrix is matched by criteria, not saved
    [batch] = result.batches
    assert stored_scores(office) == {("P1", "Customer value"): 4.0, ("P1", "Strategic fit"): 4.0,
                                     ("P2", "Customer value"): 2.5, ("P2", "Risk reduction"): 1.5}
    with office.session() as s:
        stored = s.get(ImportBatch, batch.id)
        assert (stored.kind, stored.inserted, stored.updated, stored.rejected) == ("scores", 3, 1, 2)

    session.undo(batch.id)
    assert stored_scores(office) == {("P1", "Customer value"): 2.0}


def test_a_matrix_left_out_of_the_import_changes_nothing(office, tmp_path):
    session = ImportSession(office)
    session.add_files([write_matrix(tmp_path / "panel.xlsx")])
    session.set_kind(session.tables[0], None)
    assert session.plan().counts.total == 0
    assert session.apply().batches == []
    assert stored_scores(office) == {("P1", "Customer value"): 2.0}


def test_without_criteria_a_matrix_is_left_out_saying_strategic_scores_need_them(db, tmp_path):
    with db.transaction() as session:
        session.add(Project(code="P1", name="Alpha", stage="idea"))
    session = ImportSession(db)
    [loaded] = session.add_files([write_matrix(tmp_path / "panel.xlsx")])
    assert loaded.tables == []
    assert loaded.skipped[0] == ("Sheet Panel: left out (its columns do not match projects, status, RAID, milestones, "
                                 "people or strategic scores (a scoring matrix is headed with the office's criteria))")
