"""Builders for parsed sheets, the scoring office and whole-database snapshots used by the plan/apply tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import select

from pmo_desktop.importer.plan import ImportPlan, ParsedRow, ParsedSheet, RowError, plan_import
from pmo_desktop.model import Base, Project, ProjectScore, StrategicCriterion

HEADERS: dict[str, dict[str, str]] = {
    "projects": {"Project ID": "code", "Project Name": "name", "Programme": "programme", "PM": "manager",
                 "Stage": "stage", "RAG": "rag", "Start": "start", "End": "end", "Budget (£)": "budget",
                 "% Complete": "percent_complete", "Priority": "priority", "Sponsor": "sponsor"},
    "status": {"Project": "project", "Week Ending": "period_end", "Overall": "rag", "Summary": "summary",
               "% Complete": "percent_complete", "Actuals": "actual_cost"},
    "raid": {"Project": "project", "Risk ID": "ref", "Type": "kind", "Title": "title", "Owner": "owner",
             "Likelihood": "likelihood", "Impact": "impact", "Status": "status", "Response": "response",
             "Due": "due"},
    "milestones": {"Project": "project", "Milestone": "name", "Baseline": "baseline", "Forecast": "forecast",
                   "Actual": "actual", "Status": "status"},
    "people": {"Name": "name", "Email": "email", "Role": "role", "Team": "team", "Hours/Week": "capacity_hours",
               "Day Rate": "cost_rate"},
    "allocations": {"Resource": "person", "Project": "project", "From": "start", "To": "end",
                    "Hours": "hours_per_week"},
}
"""A header per canonical field, the way a manager might write it."""

UNAUDITED = {"audit_event", "audit_head", "alembic_version"}


def make_sheet(kind: str, rows: list[dict[str, Any]], *, file: str = "pm.xlsx", sheet: str | None = None,
               errors: dict[int, list[RowError]] | None = None, first_row: int = 2,
               fields: list[str] | None = None) -> ParsedSheet:
    """A ParsedSheet of ``kind`` whose columns are ``fields`` (default: every field any row uses)."""
    by_field = {f: h for h, f in HEADERS[kind].items()}
    used = fields or list(dict.fromkeys(f for row in rows for f in row))
    mapping = {by_field.get(f, f): f for f in used}
    headers = tuple(mapping)
    parsed = []
    for index, values in enumerate(rows):
        line = first_row + index
        raw = tuple(values.get(mapping[h]) for h in headers)
        parsed.append(ParsedRow(kind, file, sheet or kind.capitalize(), line,
                                {k: v for k, v in values.items() if v is not None},
                                list((errors or {}).get(line, [])), raw))
    return ParsedSheet(file, sheet or kind.capitalize(), kind, first_row - 1, mapping, ["Notes"], parsed,
                       headers + ("Notes",))


def plan(db, *sheets: ParsedSheet, overwrite_blanks: bool = False) -> ImportPlan:
    with db.session() as session:
        return plan_import(session, list(sheets), overwrite_blanks=overwrite_blanks)


def dump(db, *, bookkeeping: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Every row of every data table (ids included), ordered by id.

    Without ``bookkeeping`` the columns that must move forward on any write (version,
    updated_at) are left out, so that "the same data" compares equal.
    """
    snapshot = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in UNAUDITED or table.name == "import_batch":
                continue
            rows = conn.execute(select(table).order_by(table.c.id)).mappings().all()
            snapshot[table.name] = [
                {k: v for k, v in row.items() if bookkeeping or k not in ("version", "updated_at")} for row in rows
            ]
    return snapshot


def actions(plan_: ImportPlan) -> list[tuple[int, str]]:
    return [(row.row, row.action.value) for row in plan_.rows()]


SCORE_CRITERIA = {"Customer value": 3.0, "Strategic fit": 2.0, "Risk reduction": 1.0}
"""The strategic criteria of the scoring office, with their weights."""

SCORE_MATRIX = [
    ["Prioritisation panel, March"],
    [],
    ["Project code", "Project name", "Customer value (0-5)", "Fit strategic", "Risk Reduction", "Innovation",
     "Notes"],
    ["P1", "Alpha", 4, "High", None, 3, "strong case"],
    ["P2", "Beta", 2.5, 9, 1.5, None, None],
    ["P3", "Gamma", None, None, None, None, "not scored yet"],
    ["Total", None, 6.5, 13, 1.5, 3, None],
]
"""A scoring matrix for that office: a criterion it lacks (Innovation), a score out of range, a total row."""


def scoring_office(db):
    """Two proposals and an active project, three criteria, and one stored score (P1 on Customer value: 2)."""
    with db.transaction() as session:
        projects = {code: Project(code=code, name=name, stage=stage)
                    for code, name, stage in (("P1", "Alpha", "idea"), ("P2", "Beta", "business_case"),
                                              ("P3", "Gamma", "execution"))}
        criteria = {name: StrategicCriterion(name=name, weight=weight) for name, weight in SCORE_CRITERIA.items()}
        session.add_all([*projects.values(), *criteria.values()])
        session.flush()
        session.add(ProjectScore(project=projects["P1"], criterion=criteria["Customer value"], score=2.0))
    return db


def write_book(path: Path, sheet_name: str, rows: list[list]) -> str:
    """A one-sheet workbook of ``rows`` at ``path``."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_name
    for row in rows:
        sheet.append(row)
    book.save(path)
    return str(path)


def stored_scores(db) -> dict[tuple[str, str], float]:
    """(project code, criterion) -> score, for every stored score."""
    with db.session() as session:
        rows = session.execute(select(Project.code, StrategicCriterion.name, ProjectScore.score)
                               .join(Project, Project.id == ProjectScore.project_id)
                               .join(StrategicCriterion, StrategicCriterion.id == ProjectScore.criterion_id))
        return {(code, name): score for code, name, score in rows}
