"""Builders for parsed sheets and whole-database snapshots used by the plan/apply tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pmo_desktop.importer.plan import ImportPlan, ParsedRow, ParsedSheet, RowError, plan_import
from pmo_desktop.model import Base

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
