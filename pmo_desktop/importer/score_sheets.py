"""Read the wide layout of strategic scores: one row per project, one column per criterion.

The office's own layout for scores is long (Project | Criterion | Score, one row per score), and
the sheet analysis finds it like any other kind. A PMO mostly receives the wide layout instead:
a scoring matrix with a project column and one column per criterion, headed with the criteria's
names (or close to them). Its headers name no canonical field, so only the office's criteria,
read from the database, can recognise it; ``wide_score_sheets`` does that and unpivots each
matrix into the long rows the planner takes (kind ``scores``).

Decisions:

* A sheet is a scoring matrix when its header row has a project column (the project reference
  synonyms of the ``scores`` kind) and at least two headers that match criteria of the office
  (one when the office has a single criterion), matched as mapping matches headers
  (importer/criteria.py). Such a sheet is read only as scores, whatever the sheet analysis
  would have made of it.
* A column whose header matches no criterion but whose filled cells are all scores (numbers
  0-5, or Very low..Very high) is taken as a criterion the office does not have: each of its
  filled cells is a rejected row naming the file, the sheet row and the column, its value the
  cell's score and its reason the header missing from the office's list of criteria. Other columns
  (a project name, notes) are reported as unmapped, never guessed.
* Each filled score cell becomes one row of the plan, keyed by project and criterion; a blank
  cell is no row at all, so a blank never clears a stored score.
* A cell that is not a score (out of 0-5, not in half steps, an unknown word) is a rejected
  row naming its column, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .criteria import CriterionMatcher
from .fields import Kind
from .mapping import match_header
from .plan import ParsedRow, ParsedSheet, RowError
from .readers import Sheet, Workbook
from .sheets import find_header_row, ignored_reason, table_extent
from .values import is_no_value, parse_strategic_score

KIND = Kind.SCORES.value


@dataclass(frozen=True, slots=True)
class ScoreMatrix:
    """Where a scoring matrix's project column and criterion columns are, by 0-based column."""

    header_index: int
    headers: tuple[str, ...]
    project: int
    criteria: dict[int, str]
    """Column -> the stored name of the criterion it matches."""


def wide_score_sheets(workbook: Workbook, criteria: Sequence[str]) -> list[ParsedSheet]:
    """Every scoring matrix of ``workbook`` as a ParsedSheet of kind ``scores`` (see the module docstring)."""
    if not criteria:
        return []
    matcher = CriterionMatcher.of(criteria)
    return [unpivot(workbook.path.name, sheet, matrix, matcher) for sheet, matrix in score_matrices(workbook, matcher)]


def score_matrices(workbook: Workbook, matcher: CriterionMatcher) -> list[tuple[Sheet, ScoreMatrix]]:
    """The sheets of ``workbook`` that are scoring matrices, with where their columns are."""
    found = []
    for sheet in workbook.sheets:
        if ignored_reason(sheet) is not None:
            continue
        matrix = find_matrix(sheet.rows, matcher)
        if matrix is not None:
            found.append((sheet, matrix))
    return found


def find_matrix(rows: Sequence[tuple], matcher: CriterionMatcher) -> ScoreMatrix | None:
    """The scoring matrix of a sheet's rows, or None when its header row is not one."""
    header_index = find_header_row(rows)
    if header_index is None:
        return None
    headers = tuple("" if value is None else str(value).strip() for value in rows[header_index])
    matched = {index: name for index, header in enumerate(headers) if (name := matcher.match(header))}
    if len(set(matched.values())) < min(2, len(matcher.names)):
        return None
    project = _project_column(headers, set(matched))
    if project is None:
        return None
    return ScoreMatrix(header_index, headers, project, matched)


def _project_column(headers: Sequence[str], taken: set[int]) -> int | None:
    """The column that names the project: the best match of the ``project`` field, codes first."""
    best: tuple[float, int] | None = None
    for index, header in enumerate(headers):
        if index in taken or not header:
            continue
        fields, confidence = match_header(header, Kind.SCORES)
        if "project" not in fields or "criterion" in fields:
            continue
        bonus = 0.01 if "code" in header.lower() else 0.0  # a code identifies; a name may not be unique
        if best is None or confidence + bonus > best[0]:
            best = (confidence + bonus, index)
    return best[1] if best is not None else None


def _unknown_criteria(matrix: ScoreMatrix, records: Sequence[tuple[int, tuple]]) -> list[int]:
    """Columns whose header matches no criterion but whose filled cells are all scores."""
    unknown = []
    for index, header in enumerate(matrix.headers):
        if index == matrix.project or index in matrix.criteria or not header:
            continue
        cells = [values[index] for _, values in records if index < len(values) and not is_no_value(values[index])]
        if cells and all(_is_score(cell) for cell in cells):
            unknown.append(index)
    return unknown


def _is_score(value: object) -> bool:
    try:
        return parse_strategic_score(value) is not None
    except ValueError:
        return False


def unpivot(file_name: str, sheet: Sheet, matrix: ScoreMatrix, matcher: CriterionMatcher) -> ParsedSheet:
    """One long row per filled score cell of the matrix (rejected rows for unknown criteria and bad cells)."""
    records = table_extent(sheet.rows, matrix.header_index, len(matrix.headers), (matrix.project,))
    unknown = _unknown_criteria(matrix, records)
    project_header = matrix.headers[matrix.project]
    rows: list[ParsedRow] = []
    for line, values in records:
        reference = values[matrix.project]
        if is_no_value(reference):
            continue
        project = str(reference).strip()
        for index in sorted((*matrix.criteria, *unknown)):
            cell = values[index]
            if is_no_value(cell):
                continue
            header = matrix.headers[index]
            if index in unknown:
                rows.append(ParsedRow(KIND, file_name, sheet.name, line, {"project": project, "criterion": header},
                                      [RowError(header, cell, matcher.unknown_reason(header))], values))
                continue
            criterion = matrix.criteria[index]
            try:
                score = parse_strategic_score(cell)
            except ValueError as exc:
                rows.append(ParsedRow(KIND, file_name, sheet.name, line, {"project": project, "criterion": criterion},
                                      [RowError(header, cell, str(exc))], values))
                continue
            rows.append(ParsedRow(KIND, file_name, sheet.name, line,
                                  {"project": project, "criterion": criterion, "score": score}, [], values))
    mapping: dict[str, str | None] = {project_header: "project"}
    mapping.update((matrix.headers[index], "score") for index in sorted((*matrix.criteria, *unknown)))
    unmapped = [header for header in matrix.headers if header and header not in mapping]
    return ParsedSheet(file_name, sheet.name, KIND, matrix.header_index + 1, mapping, unmapped, rows, matrix.headers)
