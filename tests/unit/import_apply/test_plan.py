"""plan_import: each row is new, update, unchanged or reject, exactly, with its reasons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import event

from pmo_desktop.importer.apply import apply_plan
from pmo_desktop.importer.plan import FIELD_COLUMNS, Action, FieldChange, RowError

from .helpers import actions, make_sheet, plan

D = dt.date


def apply(db, plan_):
    return apply_plan(db, plan_, file_name="pm.xlsx", sha256="0" * 64, kind="test", mapping={})


def seed_projects(db):
    sheet = make_sheet("projects", [
        {"code": "P1", "name": "Alpha", "programme": "Digital", "stage": "execution", "rag": "G",
         "start": D(2026, 1, 1), "end": D(2026, 12, 31), "budget": Decimal("100000"), "percent_complete": 0.25},
        {"code": "P2", "name": "Beta", "manager": "Ann Lee", "budget": Decimal("5000.5")},
    ])
    apply(db, plan(db, sheet))


def test_every_row_categorised_exactly(db):
    seed_projects(db)
    sheet = make_sheet("projects", [
        {"code": "P1", "name": "Alpha", "programme": "Digital", "stage": "execution", "rag": "G",
         "start": D(2026, 1, 1), "end": D(2026, 12, 31), "budget": Decimal("100000.00"), "percent_complete": 0.25},
        {"code": "P2", "name": "Beta", "budget": Decimal("6000")},
        {"code": "P3", "name": "Gamma", "start": D(2026, 5, 1), "end": D(2026, 4, 1)},
        {"code": "P4", "name": "Delta", "programme": "Estates"},
        {"code": None, "name": "Nobody knows"},
    ])
    result = plan(db, sheet)
    assert actions(result) == [(2, "unchanged"), (3, "update"), (4, "reject"), (5, "new"), (6, "new")]
    counts = result.counts
    assert (counts.new, counts.update, counts.unchanged, counts.reject) == (2, 1, 1, 1)
    update = result.sheets[0].rows[1]
    assert update.changes == [FieldChange("budget", Decimal("5000.50"), Decimal("6000.00"))]
    gamma = result.sheets[0].rows[2]
    assert gamma.errors == [RowError("End", D(2026, 4, 1),
                                     "is before the start date 2026-05-01; the end cannot come first")]
    codeless = result.sheets[0].rows[4]
    assert (codeless.values["code"], codeless.writes["code"], codeless.key) == (
        "NOBODY-KNOWS", "NOBODY-KNOWS", {"name": "Nobody knows"})
    assert codeless.warnings == ["has no project code; the project is created with the code NOBODY-KNOWS, made from "
                                 "its name (later imports without a code find it by its name)"]


def test_update_checks_dates_against_the_stored_record(db):
    seed_projects(db)
    result = plan(db, make_sheet("projects", [{"code": "P1", "end": D(2025, 6, 30)}]))
    row = result.sheets[0].rows[0]
    assert row.action is Action.REJECT
    assert "before the start date 2026-01-01" in row.errors[0].reason


def test_blanks_keep_stored_values_unless_overwrite_blanks(db):
    seed_projects(db)
    sheet = make_sheet("projects", [{"code": "P2", "name": "Beta", "manager": None}], fields=["code", "name", "manager"])
    assert actions(plan(db, sheet)) == [(2, "unchanged")]
    cleared = plan(db, sheet, overwrite_blanks=True).sheets[0].rows[0]
    assert cleared.action is Action.UPDATE
    assert cleared.changes == [FieldChange("manager", "Ann Lee", None)]
    # A required column is never blanked, even when asked to.
    sheet = make_sheet("projects", [{"code": "P2", "name": None}], fields=["code", "name"])
    assert actions(plan(db, sheet, overwrite_blanks=True)) == [(2, "unchanged")]


def test_parse_errors_reject_the_row_with_column_value_and_reason(db):
    errors = {3: [RowError("Budget (£)", "12 apples", "is not an amount of money")]}
    sheet = make_sheet("projects", [{"code": "P7", "name": "Ok"}, {"code": "P8", "name": "Bad"}], errors=errors,
                       fields=["code", "name", "budget"])
    result = plan(db, sheet)
    assert actions(result) == [(2, "new"), (3, "reject")]
    assert result.sheets[0].rows[1].errors == errors[3]


def test_duplicate_keys_last_row_wins_and_earlier_rows_are_rejected(db):
    sheet = make_sheet("projects", [
        {"code": "P1", "name": "First try"}, {"code": "P2", "name": "Other"}, {"code": "P1", "name": "Corrected"},
    ])
    result = plan(db, sheet)
    assert actions(result) == [(2, "reject"), (3, "new"), (4, "new")]
    first, _, last = result.sheets[0].rows
    assert first.errors[0].reason.startswith("appears again on row 4")
    assert last.values["name"] == "Corrected"
    assert last.warnings and "replaces row 2" in last.warnings[0]


def test_references_to_unknown_projects_are_rejected(db):
    seed_projects(db)
    projects = make_sheet("projects", [{"code": "P9", "name": "New in this import"}])
    status = make_sheet("status", [
        {"project": "P1", "period_end": D(2026, 3, 31), "rag": "A"},
        {"project": "Alpha", "period_end": D(2026, 4, 30), "rag": "R"},
        {"project": "P9", "period_end": D(2026, 3, 31), "rag": "G"},
        {"project": "ZZZ", "period_end": D(2026, 3, 31), "rag": "G"},
    ])
    result = plan(db, projects, status)
    assert actions(result) == [(2, "new"), (2, "new"), (3, "new"), (4, "new"), (5, "reject")]
    by_name = result.sheets[1].rows[1]
    assert by_name.key == {"project": "P1", "period_end": D(2026, 4, 30)}
    unknown = result.sheets[1].rows[3]
    assert unknown.errors[0].column == "Project"
    assert "is not a project in the database or in this import" in unknown.errors[0].reason


def test_raid_ranges_enumerations_and_portfolio_items(db):
    seed_projects(db)
    raid = make_sheet("raid", [
        {"project": "P1", "ref": "R1", "kind": "risk", "title": "Supplier late", "likelihood": 3, "impact": 4,
         "status": "in_progress", "response": "reduce"},
        {"project": "P1", "ref": "R2", "title": "Too likely", "likelihood": 7},
        {"ref": "R1", "title": "Portfolio-level risk"},
        {"project": "P1", "ref": "R3", "title": "Odd response", "response": "Pray"},
        {"project": "P1", "ref": "R4"},
    ])
    result = plan(db, raid)
    assert actions(result) == [(2, "new"), (3, "reject"), (4, "new"), (5, "reject"), (6, "reject")]
    rows = result.sheets[0].rows
    assert rows[0].values["status"] == "in_progress" and rows[0].values["response"] == "reduce"
    assert rows[1].errors[0].column == "Likelihood" and "from 1 to 5" in rows[1].errors[0].reason
    assert rows[2].key == {"project": None, "ref": "R1"}
    assert rows[3].errors[0].reason.startswith("is not a response value; use one of avoid, reduce, transfer")
    assert rows[4].errors[0].reason == "is blank; a new RAID item needs its title"


def test_people_and_allocations(db):
    seed_projects(db)
    people = make_sheet("people", [
        {"name": "Ann Lee", "email": "ann@example.org", "role": "Business Analyst", "capacity_hours": 37.5},
        {"name": "Bob Ray", "capacity_hours": 150.0},
        {"name": "Cy Twin", "email": "cy@example.org"},
        {"name": "Cy Twin", "email": "cy2@example.org"},
    ])
    allocations = make_sheet("allocations", [
        {"person": "ANN@example.org", "project": "P1", "start": D(2026, 1, 5), "end": D(2026, 3, 27),
         "hours_per_week": 15.0},
        {"person": "Ann Lee", "project": "P2", "start": D(2026, 2, 2), "end": D(2026, 1, 2), "hours_per_week": 5.0},
        {"person": "Nobody", "project": "P1", "start": D(2026, 1, 5), "end": D(2026, 2, 5), "hours_per_week": 5.0},
    ])
    result = plan(db, people, allocations)
    assert actions(result) == [(2, "new"), (3, "reject"), (4, "new"), (5, "reject"),
                               (2, "new"), (3, "reject"), (4, "reject")]
    rows = list(result.rows())
    assert "between 0 and 100 hours" in rows[1].errors[0].reason
    assert "already the name of another person" in rows[3].errors[0].reason
    assert "is before the start date" in rows[5].errors[0].reason
    assert "is not a person" in rows[6].errors[0].reason


def test_lookups_are_set_based(db):
    """The number of queries does not grow with the number of rows."""
    seed_projects(db)

    def count_queries(rows: int) -> int:
        sheet = make_sheet("status", [{"project": "P1", "period_end": D(2026, 1, 1) + dt.timedelta(days=7 * i),
                                       "rag": "G"} for i in range(rows)])
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            plan(db, sheet)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    assert count_queries(3) == count_queries(300)


def test_every_canonical_field_has_an_entry_in_the_column_table():
    from pmo_desktop.importer.fields import FIELDS

    for kind, specs in FIELDS.items():
        assert {spec.name for spec in specs} <= set(FIELD_COLUMNS[str(kind)]), kind


def test_portfolio_word_makes_a_portfolio_level_raid_item(db):
    raid = make_sheet("raid", [{"project": "Portfolio", "ref": "PR-1", "title": "Funding cut"}])
    row = plan(db, raid).sheets[0].rows[0]
    assert row.action is Action.NEW and row.key == {"project": None, "ref": "PR-1"}


def test_cell_errors_from_the_reading_side_are_accepted(db):
    from pmo_desktop.importer.errors import CellError

    error = CellError("Projects", 2, "Budget (£)", "lots", "is not an amount of money")
    sheet = make_sheet("projects", [{"code": "P1", "name": "Alpha"}], errors={2: [error]})
    row = plan(db, sheet).sheets[0].rows[0]
    assert row.action is Action.REJECT
    assert row.errors == [RowError("Budget (£)", "lots", "is not an amount of money")]
