"""Re-imported rows recognised unchanged by their fingerprints (importer/fingerprints.py).

Every test compares the plan that recognises rows with the plan made in full (the same
database with its fingerprints dropped): the two must be identical row for row (action, key,
values, errors, warnings), and a fingerprint must stop counting whenever the row, the way it is
read, or the stored record changed. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from pmo_desktop.importer.apply import undo_batch
from pmo_desktop.importer.pipeline import import_files
from pmo_desktop.importer.plan import json_value
from pmo_desktop.importer.session import ImportSession
from pmo_desktop.model import ImportFingerprint, Project, StatusReport

from .helpers import write_book

HEADER = ["Project", "Period End", "Overall RAG", "% Complete", "Actual Cost", "Summary"]
ROWS = [
    ["P1", dt.date(2026, 3, 31), "Green", 0.4, 1200, "On track"],
    ["P2", dt.date(2026, 3, 31), "Amber", "55%", "£3,400", "Supplier late"],
    ["P1", dt.date(2026, 4, 30), "G", 0.5, 1500, None],
    ["p2", dt.date(2026, 4, 30), "Red", 0.6, 4100, "Escalated"],
]


def _office(db):
    with db.transaction() as session:
        session.add_all([Project(code="P1", name="Alpha"), Project(code="P2", name="Beta")])
    return db


def _book(tmp_path, rows=ROWS, header=HEADER, name="status.xlsx"):
    return write_book(tmp_path / name, "Status", [["March return"], header, *rows])


def _listing(plan):
    return [(row.source.file, row.row, row.action.value, json_value(row.key), json_value(row.values),
             [error.to_json() for error in row.errors], list(row.warnings), [(c.field, c.old, c.new) for c in row.changes])
            for row in plan.rows()]


def _forget_fingerprints(db):
    with db.engine.begin() as conn:  # what an office that never kept them would have
        conn.exec_driver_sql("DELETE FROM import_fingerprint")


def _dry_run(db, path):
    return import_files(db, [path], dry_run=True).plan


def _both_plans(db, path):
    """The plan with the stored fingerprints, then the plan made in full."""
    with_fingerprints = _dry_run(db, path)
    _forget_fingerprints(db)
    return with_fingerprints, _dry_run(db, path)


def _recognised(plan):
    return [row.row for row in plan.rows() if row.recognised]


def _plan_after_change(db, tmp_path, change):
    """The file imported, ``change(session)`` made in the office since, then the file planned
    again: that plan, checked row for row against the plan made in full."""
    _office(db)
    path = _book(tmp_path)
    import_files(db, [path])
    with db.transaction() as session:
        change(session)
    fast = _dry_run(db, path)
    _forget_fingerprints(db)
    assert _listing(fast) == _listing(_dry_run(db, path))
    return fast


def test_an_unchanged_file_is_recognised_row_by_row_and_planned_as_in_full(db, tmp_path):
    _office(db)
    path = _book(tmp_path)
    outcome = import_files(db, [path])
    assert outcome.plan.counts.new == 4
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ImportFingerprint)) == 4

    fast, full = _both_plans(db, path)
    assert _recognised(fast) == [3, 4, 5, 6]
    assert _recognised(full) == []
    assert _listing(fast) == _listing(full)
    assert fast.to_json() == full.to_json()
    row = next(fast.rows())
    assert row.values == {"project": "P1", "period_end": dt.date(2026, 3, 31), "rag": "G",
                          "percent_complete": 0.4, "actual_cost": Decimal("1200.00"), "summary": "On track"}


def test_a_changed_cell_is_planned_in_full_and_the_others_are_recognised(db, tmp_path):
    _office(db)
    import_files(db, [_book(tmp_path)])
    changed = [list(row) for row in ROWS]
    changed[1][2] = "Red"
    path = _book(tmp_path, changed, name="status-2.xlsx")

    fast, full = _both_plans(db, path)
    assert _recognised(fast) == [3, 5, 6]
    assert [(row.row, row.action.value) for row in fast.rows() if row.changes] == [(4, "update")]
    assert _listing(fast) == _listing(full)


def test_a_record_edited_since_the_import_is_compared_again(db, tmp_path):
    def edit(session):
        report = session.scalars(select(StatusReport).where(StatusReport.period_end == dt.date(2026, 4, 30))
                                 .join(Project).where(Project.code == "P2")).one()
        report.summary = "Edited by the PMO"

    fast = _plan_after_change(db, tmp_path, edit)
    assert _recognised(fast) == [3, 4, 5]
    edited = [row for row in fast.rows() if row.row == 6][0]
    assert edited.action.value == "update"
    assert [(c.field, c.old, c.new) for c in edited.changes] == [("summary", "Edited by the PMO", "Escalated")]


def test_a_record_deleted_since_the_import_is_new_again(db, tmp_path):
    fast = _plan_after_change(db, tmp_path, lambda session: session.delete(
        session.scalars(select(StatusReport).order_by(StatusReport.id)).first()))
    assert [(row.row, row.action.value) for row in fast.rows() if not row.recognised] == [(3, "new")]


def test_a_column_mapped_to_another_field_is_read_again(db, tmp_path):
    _office(db)
    path = _book(tmp_path)
    import_files(db, [path])

    session = ImportSession(db)
    session.add_files([path])
    table = session.tables[0]
    session.set_field(table, "Summary", "next_steps")
    plan = session.plan()
    assert _recognised(plan) == []
    assert [(row.row, row.action.value) for row in plan.rows()] == [(3, "update"), (4, "update"), (5, "unchanged"),
                                                                   (6, "update")]
    assert [(c.field, c.new) for c in next(plan.rows()).changes] == [("next_steps", "On track")]


def test_duplicate_keys_are_planned_in_full_and_the_rows_they_replace_are_listed(db, tmp_path):
    _office(db)
    rows = [*ROWS, ["P1", dt.date(2026, 3, 31), "Amber", 0.45, 1250, "Later line"]]
    path = _book(tmp_path, rows)
    import_files(db, [path])

    fast, full = _both_plans(db, path)
    assert _recognised(fast) == [4, 5, 6]
    first = next(fast.rows())
    assert first.action.value == "reject" and "appears again on row 7" in first.errors[0].reason
    assert first.values["summary"] == "On track"
    assert _listing(fast) == _listing(full)


def test_an_undone_batch_takes_its_fingerprints_with_it(db, tmp_path):
    _office(db)
    path = _book(tmp_path)
    batch_id = import_files(db, [path]).batch_ids[0]
    undo_batch(db, batch_id)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ImportFingerprint)) == 0

    again = import_files(db, [path])
    assert again.plan.counts.new == 4
    fast, full = _both_plans(db, path)
    assert _recognised(fast) == [3, 4, 5, 6]
    assert _listing(fast) == _listing(full)


def test_a_project_code_given_to_another_project_is_not_taken_for_the_old_one(db, tmp_path):
    def recode(session):
        old = session.scalars(select(Project).where(Project.code == "P2")).one()
        old.code = "P2-OLD"
        session.flush()
        session.add(Project(code="P2", name="Beta again"))

    fast = _plan_after_change(db, tmp_path, recode)
    assert [(row.row, row.action.value) for row in fast.rows() if not row.recognised] == [(4, "new"), (6, "new")]


def test_reimporting_a_recognised_file_writes_a_batch_and_keeps_the_fingerprints(db, tmp_path):
    _office(db)
    path = _book(tmp_path)
    first = import_files(db, [path]).batch_ids[0]
    again = import_files(db, [path])
    assert again.plan.counts.unchanged == 4 and _recognised(again.plan) == [3, 4, 5, 6]
    with db.session() as session:
        kept = session.execute(select(ImportFingerprint.batch_id, func.count()).group_by(ImportFingerprint.batch_id))
        assert dict(kept.all()) == {first: 4}

