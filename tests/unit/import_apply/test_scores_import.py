"""Strategic scores through the real pipeline: the long layout, the wide matrix, the template and the CLI."""

from __future__ import annotations

import json

import openpyxl
import pytest
from sqlalchemy import select

from pmo_desktop.cli import main
from pmo_desktop.importer.apply import undo_batch
from pmo_desktop.importer.pipeline import EXIT_OK, EXIT_REJECTED, import_files
from pmo_desktop.importer.plan import PlanCounts
from pmo_desktop.importer.values import parse_strategic_score
from pmo_desktop.model import AuditEvent
from pmo_desktop.reports.templates import template_lists, write_template

from .helpers import SCORE_MATRIX as MATRIX
from .helpers import dump, scoring_office, stored_scores, write_book


@pytest.fixture
def office(db):
    """Two proposals and an active project, three criteria, and one stored score (P1 on Customer value: 2)."""
    return scoring_office(db)


def rejects(outcome) -> list[tuple[str, int, str, str]]:
    """(file, row, column, reason) of each rejected row."""
    return [(row.source.file, row.row, error.column, error.reason)
            for row in outcome.plan.rejected for error in row.errors]


# -- values ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "score"), [
    (4, 4.0), (3.5, 3.5), ("2,5", 2.5), ("0", 0.0), (5.0, 5.0), ("Very high", 5.0), ("very low", 1.0),
    ("Medium", 3.0), ("H", 4.0), (None, None), ("", None), ("TBC", None),
])
def test_a_score_is_a_number_from_0_to_5_in_half_steps_or_a_word(cell, score):
    assert parse_strategic_score(cell) == score


@pytest.mark.parametrize(("cell", "reason"), [
    (7, "'7' is out of range; a score is from 0 to 5"),
    (-1, "'-1' is out of range; a score is from 0 to 5"),
    (3.3, "'3.3' is not in half steps; a score is a whole or half number such as 3 or 3.5"),
    ("lots", "'lots' is not a score; use a number from 0 to 5 (such as 3.5) or Very low, Low, Medium, High, "
             "Very high"),
])
def test_a_score_outside_the_scale_is_refused_with_the_reason(cell, reason):
    with pytest.raises(ValueError) as caught:
        parse_strategic_score(cell)
    assert str(caught.value) == reason


# -- the long layout ------------------------------------------------------------------------------

def test_long_layout_is_recognised_planned_applied_and_undone(office, tmp_path):
    path = write_book(tmp_path / "scores.xlsx", "Scoring", [
        ["Project code", "Strategic criterion", "Rating"],
        ["P1", "Customer value", 4.5],
        ["P1", "strategic FIT", "Very high"],
        ["Beta", "Risk reduction", 0],
        ["P2", "Customer value", None],
    ])
    before = dump(office)
    dry = import_files(office, [path], dry_run=True, json=True)
    [sheet] = json.loads(dry.json_text)
    assert (sheet["kind"], sheet["header_row"]) == ("scores", 1)
    assert sheet["mapping"] == {"Project code": "project", "Strategic criterion": "criterion", "Rating": "score"}
    assert [(r["row"], r["action"], r["key"], r["values"].get("score")) for r in sheet["rows"]] == [
        (2, "update", {"project": "P1", "criterion": "Customer value"}, 4.5),
        (3, "new", {"project": "P1", "criterion": "Strategic fit"}, 5),
        (4, "new", {"project": "P2", "criterion": "Risk reduction"}, 0),
        (5, "unchanged", {"project": "P2", "criterion": "Customer value"}, None),
    ]
    [update] = [row for row in dry.plan.rows() if row.action == "update"]
    assert [(c.field, c.old, c.new) for c in update.changes] == [("score", 2.0, 4.5)]
    assert dump(office) == before

    applied = import_files(office, [path])
    assert applied.exit_code == EXIT_OK
    assert applied.plan.counts == PlanCounts(new=2, update=1, unchanged=1)
    assert stored_scores(office) == {("P1", "Customer value"): 4.5, ("P1", "Strategic fit"): 5.0,
                                     ("P2", "Risk reduction"): 0.0}
    with office.session() as session:
        audited = session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity == "project_score", AuditEvent.batch_id == applied.batch_ids[0])).all()
    assert sorted(audited) == ["insert", "insert", "update"]

    again = import_files(office, [path], dry_run=True)
    assert again.plan.counts == PlanCounts(unchanged=4)

    undo_batch(office, applied.batch_ids[0])
    assert dump(office) == before


def test_bad_score_rows_are_rejected_naming_file_row_and_column(office, tmp_path):
    path = write_book(tmp_path / "panel.xlsx", "Scores", [
        ["Project", "Criterion", "Score"],
        ["P1", "Innovation", 3],
        ["P1", "Strategic fit", 7],
        ["P2", "Strategic fit", 3.3],
        ["P9", "Risk reduction", 2],
        ["P2", "Risk reduction", 2.5],
    ])
    outcome = import_files(office, [path], kind="scores")
    assert outcome.exit_code == EXIT_REJECTED
    assert rejects(outcome) == [
        ("panel.xlsx", 2, "Criterion", "is not in the office's list of strategic criteria (Customer value, Risk "
                                       "reduction, Strategic fit); add it to that list under File > Strategic "
                                       "Criteria or correct the name, then import the file again"),
        ("panel.xlsx", 3, "Score", "'7' is out of range; a score is from 0 to 5"),
        ("panel.xlsx", 4, "Score", "'3.3' is not in half steps; a score is a whole or half number such as 3 or 3.5"),
        ("panel.xlsx", 5, "Project", "is not a project in the database or in this import; import the project "
                                     "first or correct the project code"),
    ]
    assert stored_scores(office) == {("P1", "Customer value"): 2.0, ("P2", "Risk reduction"): 2.5}


# -- the wide layout ------------------------------------------------------------------------------

def test_a_scoring_matrix_is_unpivoted_into_score_rows(office, tmp_path):
    path = write_book(tmp_path / "matrix.xlsx", "Panel", MATRIX)
    before = dump(office)
    dry = import_files(office, [path], dry_run=True, json=True)
    [sheet] = json.loads(dry.json_text)
    assert (sheet["kind"], sheet["header_row"]) == ("scores", 3)
    assert sheet["mapping"] == {"Project code": "project", "Customer value (0-5)": "score",
                                "Fit strategic": "score", "Risk Reduction": "score", "Innovation": "score"}
    assert sheet["unmapped"] == ["Project name", "Notes"]
    assert [(r["row"], r["action"], r["key"], r["values"].get("score")) for r in sheet["rows"]] == [
        (4, "update", {"project": "P1", "criterion": "Customer value"}, 4),
        (4, "new", {"project": "P1", "criterion": "Strategic fit"}, 4),
        (4, "reject", {}, None),
        (5, "new", {"project": "P2", "criterion": "Customer value"}, 2.5),
        (5, "reject", {}, None),
        (5, "new", {"project": "P2", "criterion": "Risk reduction"}, 1.5),
    ]
    assert rejects(dry) == [
        ("matrix.xlsx", 4, "Innovation", "'Innovation' is not in the office's list of strategic criteria (Customer "
                                         "value, Risk reduction, Strategic fit); add it to that list under File > "
                                         "Strategic Criteria or rename the column to one of them, then import the "
                                         "file again"),
        ("matrix.xlsx", 5, "Fit strategic", "'9' is out of range; a score is from 0 to 5"),
    ]

    applied = import_files(office, [path])
    assert applied.exit_code == EXIT_REJECTED
    assert stored_scores(office) == {("P1", "Customer value"): 4.0, ("P1", "Strategic fit"): 4.0,
                                     ("P2", "Customer value"): 2.5, ("P2", "Risk reduction"): 1.5}
    undo_batch(office, applied.batch_ids[0])
    assert dump(office) == before


def test_a_blank_cell_of_a_matrix_keeps_the_stored_score(office, tmp_path):
    path = write_book(tmp_path / "matrix.xlsx", "Panel", [
        ["Project", "Customer value", "Strategic fit"],
        ["P1", None, 3],
    ])
    outcome = import_files(office, [path])
    assert outcome.plan.counts == PlanCounts(new=1)
    assert stored_scores(office) == {("P1", "Customer value"): 2.0, ("P1", "Strategic fit"): 3.0}


def test_a_matrix_is_not_read_when_another_kind_is_forced(office, tmp_path):
    path = write_book(tmp_path / "matrix.xlsx", "Panel", MATRIX)
    outcome = import_files(office, [path], kind="projects", dry_run=True)
    assert outcome.plan.sheets == []
    assert ("matrix.xlsx, sheet Panel: skipped (its columns do not match projects, status, RAID, milestones, people "
            "or strategic scores (a scoring matrix is headed with the office's criteria))") in outcome.warnings


# -- the template ---------------------------------------------------------------------------------

def test_template_round_trip_stores_the_filled_scores(office, tmp_path):
    with office.session() as session:
        lists = template_lists(session)
    path = write_template("scores", tmp_path / "scores.xlsx", lists=lists)
    book = openpyxl.load_workbook(path)
    data = book["Data"]
    assert [cell.value for cell in data[1]] == ["Project", "Criterion", "Score"]
    filled = [tuple(row) for row in data.iter_rows(min_row=2, max_row=7, values_only=True)]
    assert filled == [("P1", "Customer value", 2), ("P1", "Strategic fit", None), ("P1", "Risk reduction", None),
                      ("P2", "Customer value", None), ("P2", "Strategic fit", None), ("P2", "Risk reduction", None)]
    assert data["A8"].value is None  # P3 is not a proposal
    criterion_list = next(dv for dv in data.data_validations.dataValidation if "B2" in str(dv.sqref))
    listed = book["Lists"][criterion_list.formula1.split("!")[1].replace("$", "").split(":")[0]:
                          criterion_list.formula1.split("!")[1].replace("$", "").split(":")[1]]
    assert [row[0].value for row in listed] == ["Customer value", "Strategic fit", "Risk reduction"]

    data["C2"] = 3.5
    data["C3"] = "Very high"
    data["C7"] = 1
    book.save(path)
    outcome = import_files(office, [path])
    assert outcome.exit_code == EXIT_OK
    assert outcome.plan.counts == PlanCounts(new=2, update=1, unchanged=3)
    assert stored_scores(office) == {("P1", "Customer value"): 3.5, ("P1", "Strategic fit"): 5.0,
                                     ("P2", "Risk reduction"): 1.0}


# -- the CLI --------------------------------------------------------------------------------------

def test_cli_writes_the_template_and_plans_scores_as_json(tmp_path, capsys):
    database = str(tmp_path / "cli.db")
    assert main(["demo", "--database", database, "--today", "2026-11-26"]) == 0
    capsys.readouterr()
    template = tmp_path / "scores.xlsx"
    assert main(["template", "scores", str(template), "--database", database]) == 0
    assert "Template written" in capsys.readouterr().out
    book = openpyxl.load_workbook(template)
    first = [cell.value for cell in book["Data"][2]]
    book["Data"]["C2"] = 5 if first[2] != 5 else 4.5
    book["Data"]["A3"] = "NOT-A-PROJECT"
    book.save(template)

    assert main(["import", str(template), "--kind", "scores", "--dry-run", "--json", "--database", database]) == (
        EXIT_REJECTED)
    [sheet] = json.loads(capsys.readouterr().out)
    assert sheet["kind"] == "scores"
    by_row = {row["row"]: row for row in sheet["rows"]}
    assert by_row[2]["action"] == "update" and by_row[2]["key"] == {"project": first[0], "criterion": first[1]}
    assert by_row[3]["action"] == "reject"
    assert by_row[3]["errors"][0]["column"] == "Project"
    assert by_row[3]["errors"][0]["value"] == "NOT-A-PROJECT"
