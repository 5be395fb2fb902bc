"""The interactive import session: tables to review, edits that change the plan, saved mappings,
apply file by file, undo, and files that cannot be read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from pmo_desktop.demo import DemoSpec, build_demo, workbooks
from pmo_desktop.importer.apply import UndoError
from pmo_desktop.importer.fields import Kind
from pmo_desktop.importer.plan import Action
from pmo_desktop.importer.session import (
    ImportSession,
    Source,
    last_applied_batch,
    recent_batches,
    spreadsheet_files,
)
from pmo_desktop.model import ImportBatch, Project, StatusReport
from pmo_desktop.model.database import open_database
from pmo_desktop.services.mappings import SavedMappings

CORPUS = Path("/work/shared/corpus/templates")
D = dt.date
HEADERS = ["Project ID", "Project Name", "Lead", "Approved Envelope (£k)", "Health", "Go Live", "Comments"]


def write_register(path: Path, rows, headers=HEADERS) -> Path:
    """A manager's project register: a title row, a blank row, then the table."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Register"
    sheet.append(["Digital programme - project register"])
    sheet.append([])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


ROWS = [
    ["P1", "Alpha", "Ann Lee", 120, "Green", D(2026, 12, 18), "On plan"],
    ["P2", "Beta", "Bo Kim", 80, "Amber", D(2026, 9, 30), "Supplier late"],
]


@pytest.fixture
def session(db) -> ImportSession:
    return ImportSession(db, mappings=SavedMappings(db))


def test_a_table_is_offered_with_its_kind_headers_samples_and_unmapped_columns(session, tmp_path):
    session.add_files([write_register(tmp_path / "register.xlsx", ROWS)])
    [table] = session.tables
    assert (table.file, table.sheet, table.kind, table.header_row, table.row_count) == (
        "register.xlsx", "Register", Kind.PROJECTS, 3, 2)
    assert table.headers == tuple(HEADERS)
    assert table.mapping["Project ID"] == "code" and table.mapping["Approved Envelope (£k)"] is None
    assert [c.header for c in table.unmapped] == ["Approved Envelope (£k)", "Comments"]
    assert table.column("Lead").samples == ("Ann Lee", "Bo Kim")
    assert table.include and not table.saved_mapping_applied and table.confidence == 1.0
    assert table.sample_rows[0][:2] == ("P1", "Alpha")


def test_mapping_an_ignored_column_puts_its_values_in_the_plan_with_the_header_unit(session, tmp_path):
    session.add_files([write_register(tmp_path / "register.xlsx", ROWS)])
    [table] = session.tables
    assert "budget" not in next(session.plan().rows()).values
    session.set_field(table, "Approved Envelope (£k)", "budget")
    assert table.column("Approved Envelope (£k)").source == Source.USER
    rows = list(session.plan().rows())
    assert [row.values["budget"] for row in rows] == [Decimal("120000.00"), Decimal("80000.00")]
    session.set_field(table, "Health", None)  # ignored: the RAG is no longer imported
    assert "rag" not in next(session.plan().rows()).values


def test_a_field_goes_to_one_column_only(session, tmp_path):
    session.add_files([write_register(tmp_path / "register.xlsx", ROWS)])
    [table] = session.tables
    displaced = session.set_field(table, "Comments", "name")
    assert displaced is not None and displaced.header == "Project Name" and displaced.field is None
    assert next(session.plan().rows()).values["name"] == "On plan"
    with pytest.raises(ValueError, match="not a field of projects"):
        session.set_field(table, "Comments", "period_end")


def test_changing_the_kind_maps_the_headers_again_and_changes_the_plan(session, tmp_path):
    session.add_files([write_register(tmp_path / "register.xlsx", ROWS)])
    [table] = session.tables
    session.set_kind(table, "status")
    assert table.kind is Kind.STATUS and table.mapping["Project ID"] == "project"
    assert table.mapping["Comments"] == "summary"
    plan = session.plan()
    assert {sheet.kind for sheet in plan.sheets} == {"status"}
    # No period column: every row is rejected, saying why.
    assert plan.counts.reject == 2
    session.set_field(table, "Go Live", "period_end")
    plan = session.plan()
    assert plan.counts.reject == 2  # the projects are not in the database...
    [error] = next(plan.rows()).errors
    assert error.value == "P1" and "is not a project" in error.reason
    session.set_kind(table, None)
    assert not table.include and session.plan().counts.total == 0


def test_a_confirmed_mapping_is_applied_to_the_next_file_with_the_same_headers(db, tmp_path):
    first = ImportSession(db, mappings=SavedMappings(db))
    first.add_files([write_register(tmp_path / "march.xlsx", ROWS)])
    first.set_field(first.tables[0], "Approved Envelope (£k)", "budget")
    result = first.apply()
    assert result.mappings_saved == 1 and not result.problems

    april = [["P1", "Alpha", "Ann Lee", 150, "Red", D(2026, 12, 18), "Re-planned"]]
    headers = [h.upper() for h in HEADERS]  # the same layout, typed differently
    second = ImportSession(db, mappings=SavedMappings(db))
    second.add_files([write_register(tmp_path / "april.xlsx", april, headers)])
    [table] = second.tables
    assert table.saved_mapping_applied and table.saved_from == "march.xlsx"
    assert table.column("APPROVED ENVELOPE (£K)").field == "budget"
    assert table.column("APPROVED ENVELOPE (£K)").source == Source.SAVED
    [row] = second.plan().rows()
    assert row.action is Action.UPDATE
    assert {(c.field, c.old, c.new) for c in row.changes} >= {("budget", Decimal("120000.00"), Decimal("150000.00"))}


def test_apply_writes_one_batch_per_file_parents_first_and_undo_puts_it_back(db, session, tmp_path):
    status = tmp_path / "status.csv"
    status.write_text("Project,Week Ending,Overall RAG,Executive Summary\nP1,31/03/2026,Red,Late\n", encoding="utf-8")
    register = write_register(tmp_path / "register.xlsx", ROWS)
    session.add_files([status, register])
    assert session.plan().counts.new == 3  # the status row names a project of the same import
    result = session.apply()
    assert [batch.file_name for batch in result.batches] == ["register.xlsx", "status.csv"]
    with db.session() as s:
        assert s.scalar(select(StatusReport.rag)) == "R"
        assert s.scalar(select(Project.manager).where(Project.code == "P2")) == "Bo Kim"
        history = recent_batches(s, 10)
        assert [row.file_name for row in history] == ["status.csv", "register.xlsx"]
        assert history[0].inserted == 1 and history[0].can_undo
        assert last_applied_batch(s).file_name == "status.csv"

    with pytest.raises(UndoError, match="refers"):  # the status report still points at P1
        session.undo(result.batches[0].id)
    session.undo(result.batches[1].id)
    session.undo(result.batches[0].id)
    with db.session() as s:
        assert s.scalar(select(Project)) is None and s.scalar(select(StatusReport)) is None
        assert {b.status for b in s.scalars(select(ImportBatch))} == {"undone"}
        assert last_applied_batch(s) is None
    with pytest.raises(UndoError, match="already undone"):
        session.undo(result.batches[0].id)


def test_an_unreadable_file_is_reported_in_plain_words_and_the_others_still_load(session, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not really a workbook")
    missing = tmp_path / "missing.xlsx"
    session.add_files([broken, missing, write_register(tmp_path / "register.xlsx", ROWS)])
    assert [loaded.path.name for loaded in session.problems] == ["broken.xlsx", "missing.xlsx"]
    assert all(loaded.error.startswith(loaded.path.name) for loaded in session.problems)
    assert len(session.tables) == 1 and session.plan().counts.new == 2
    session.remove_file(broken)
    assert [loaded.path.name for loaded in session.problems] == ["missing.xlsx"]


def test_rejects_are_written_for_the_manager(session, tmp_path):
    rows = [*ROWS, ["P3", "Gamma", "Cy Doe", 10, "Purple", D(2026, 5, 1), ""]]
    session.add_files([write_register(tmp_path / "register.xlsx", rows)])
    assert session.plan().counts.reject == 1
    written = session.write_rejects(tmp_path / "rejects.xlsx")
    sheet = openpyxl.load_workbook(written).active
    values = [cell.value for cell in sheet[2]]
    assert "P3" in values and "Purple" in " ".join(str(v) for v in values)


def test_a_folder_gives_its_spreadsheets(tmp_path):
    for name in ("a.xlsx", "b.csv", "notes.txt", "~$a.xlsx", "c.ODS"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in spreadsheet_files([tmp_path, tmp_path / "b.csv"])] == ["a.xlsx", "b.csv", "c.ODS"]


def test_the_demo_workbooks_and_a_real_status_report_plan_and_apply(db, session, tmp_path):
    source = open_database(tmp_path / "demo.db", backup=False)
    build_demo(source, DemoSpec(), today=D(2026, 3, 31))
    infos = [workbooks.projects_workbook(source, tmp_path / "projects.xlsx"),
             workbooks.status_workbook(source, tmp_path / "status.xlsx")]
    source.dispose()
    session.add_files([info.path for info in infos] + [CORPUS / "ms-contoso-status-reports.xlsx"])
    kinds = {table.file: table.kind for table in session.tables}
    assert kinds["projects.xlsx"] is Kind.PROJECTS and kinds["status.xlsx"] is Kind.STATUS
    contoso = next(t for t in session.tables if t.file == "ms-contoso-status-reports.xlsx")
    contoso.include = False
    plan = session.plan()
    assert plan.counts.new + plan.counts.reject == infos[0].rows + infos[1].rows
    assert plan.counts.new > 300
    new = plan.counts.new
    result = session.apply()
    assert len(result.batches) == 2
    with db.session() as s:
        assert s.scalar(select(Project).limit(1)) is not None
    again = ImportSession(db, mappings=SavedMappings(db))
    again.add_files([info.path for info in infos])
    assert all(table.saved_mapping_applied for table in again.tables)
    assert any("was already imported" in warning for warning in again.warnings())
    assert again.plan().counts.unchanged == new


def test_a_fault_analysing_one_file_is_reported_for_that_file_only(session, tmp_path, monkeypatch):
    from pmo_desktop.importer import session as session_module

    real = session_module.analyse_workbook

    def fragile(workbook, options):
        if workbook.path.name == "odd.xlsx":
            raise RuntimeError("unexpected layout")
        return real(workbook, options)

    monkeypatch.setattr(session_module, "analyse_workbook", fragile)
    session.add_files([write_register(tmp_path / "odd.xlsx", ROWS), write_register(tmp_path / "fine.xlsx", ROWS)])
    [odd] = session.problems
    assert odd.path.name == "odd.xlsx" and "fault in this program" in odd.error
    assert [table.file for table in session.tables] == ["fine.xlsx"]


def test_a_money_scale_in_the_title_still_applies_after_remapping(session, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Register"
    sheet.append(["Project register - all figures in £000s"])
    sheet.append([])
    sheet.append(["Project ID", "Project Name", "Budget", "Total Cost"])
    sheet.append(["P1", "Alpha", 120, 40])
    book.save(tmp_path / "scaled.xlsx")
    session.add_files([tmp_path / "scaled.xlsx"])
    [table] = session.tables
    assert next(session.plan().rows()).values["budget"] == Decimal("120000.00")
    session.set_field(table, "Budget", None)
    session.set_field(table, "Budget", "budget")
    session.set_field(table, "Total Cost", "actual_cost")
    values = next(session.plan().rows()).values
    assert (values["budget"], values["actual_cost"]) == (Decimal("120000.00"), Decimal("40000.00"))
    session.set_kind(table, "status")
    session.set_kind(table, "projects")
    assert next(session.plan().rows()).values["budget"] == Decimal("120000.00")
