"""A scoring matrix's bad cells: the row's good scores are imported, the row comes back once with every bad cell named."""

from __future__ import annotations

import openpyxl
import pytest

from pmo_desktop.importer.pipeline import EXIT_REJECTED, import_files
from pmo_desktop.importer.plan import PlanCounts
from pmo_desktop.importer.rejects import BAD_CELL_FILL, REASON_HEADER

from .helpers import scoring_office, stored_scores, write_book

NOT_A_SCORE = ("'lots' is not a score; use a number from 0 to 5 (such as 3.5) or Very low, Low, Medium, High, "
               "Very high")
UNKNOWN_CRITERION = ("'Innovation' is not in the office's list of strategic criteria (Customer value, Risk "
                     "reduction, Strategic fit); add it to that list under File > Strategic Criteria or rename the "
                     "column to one of them, then import the file again")
UNKNOWN_PROJECT = ("is not a project in the database or in this import; import the project first or correct the "
                   "project code")

WHERE = "File 'panel.xlsx', sheet 'Panel'"

MATRIX = [
    ["Project code", "Project name", "Customer value", "Strategic fit", "Risk reduction", "Innovation"],
    ["P1", "Alpha", 4, "lots", 3, 3],  # one bad score and a criterion the office lacks
    ["P2", "Beta", 2.5, 9, 7, None],  # two scores out of range
    ["P9", "Nine", 3, 3, None, None],  # no such project: every score of the row refused for one reason
    ["P3", "Gamma", 1, 2, 3, None],  # all good
]


@pytest.fixture
def office(db):
    return scoring_office(db)


@pytest.fixture
def imported(office, tmp_path):
    path = write_book(tmp_path / "panel.xlsx", "Panel", MATRIX)
    return import_files(office, [path], rejects_path=tmp_path / "rejects.xlsx")


def test_the_good_scores_of_a_row_with_bad_cells_are_imported(office, imported):
    assert imported.exit_code == EXIT_REJECTED
    assert imported.plan.counts == PlanCounts(new=5, update=1, reject=6)
    assert stored_scores(office) == {
        ("P1", "Customer value"): 4.0, ("P1", "Risk reduction"): 3.0,
        ("P2", "Customer value"): 2.5,
        ("P3", "Customer value"): 1.0, ("P3", "Strategic fit"): 2.0, ("P3", "Risk reduction"): 3.0,
    }


def test_each_source_row_is_listed_once_with_every_problem_named(imported):
    sheet = openpyxl.load_workbook(imported.rejects_path)["Panel"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (*MATRIX[0], REASON_HEADER)
    assert [row[:-1] for row in rows[1:]] == [tuple(MATRIX[1]), tuple(MATRIX[2]), tuple(MATRIX[3])]
    assert [row[-1].split("\n") for row in rows[1:]] == [
        [f"{WHERE}, row 2, column 'Strategic fit': value 'lots' - {NOT_A_SCORE}",
         f"{WHERE}, row 2, column 'Innovation': value '3' - {UNKNOWN_CRITERION}"],
        [f"{WHERE}, row 3, column 'Strategic fit': value '9' - '9' is out of range; a score is from 0 to 5",
         f"{WHERE}, row 3, column 'Risk reduction': value '7' - '7' is out of range; a score is from 0 to 5"],
        [f"{WHERE}, row 4, column 'Project code': value 'P9' - {UNKNOWN_PROJECT}"],
    ]


def test_the_bad_cells_are_shaded_and_the_good_ones_not(imported):
    sheet = openpyxl.load_workbook(imported.rejects_path)["Panel"]
    shaded = [[cell.column_letter for cell in row if cell.fill.fgColor.rgb.endswith(BAD_CELL_FILL)]
              for row in sheet.iter_rows(min_row=1, max_row=4)]
    assert shaded == [[], ["D", "F"], ["D", "E"], ["A"]]
