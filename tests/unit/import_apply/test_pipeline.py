"""import_files end to end: real files in, batches and exit codes out."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import openpyxl
from sqlalchemy import func, select

from pmo_desktop.importer.pipeline import EXIT_FILE_ERROR, EXIT_OK, EXIT_REJECTED, import_files
from pmo_desktop.importer.plan import PlanCounts
from pmo_desktop.model import ImportBatch, Project, StatusReport

from .helpers import dump

D = dt.date


def write_projects(path, rows):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Projects"
    ws.append(["Portfolio register - Q1 2026"])  # a title row above the table, as managers do
    ws.append([])
    ws.append(["Project ID", "Project Name", "Project Manager", "Start Date", "End Date", "Budget (£k)", "RAG"])
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def write_status(path, rows):
    path.write_text("Project,Week Ending,Overall RAG,Executive Summary\n"
                    + "".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_dry_run_plans_across_files_and_writes_nothing(db, tmp_path):
    projects = write_projects(tmp_path / "projects.xlsx", [
        ["P1", "Alpha", "Ann Lee", D(2026, 1, 5), D(2026, 12, 18), 120, "Green"],
        ["P2", "Beta", "Bo Kim", D(2026, 2, 1), D(2026, 9, 30), "1.5m", "Amber"],
    ])
    status = write_status(tmp_path / "status.csv", [["Alpha", "31/03/2026", "Red", "Supplier late"]])
    empty = dump(db)
    outcome = import_files(db, [status, projects], dry_run=True, json=True)
    assert outcome.exit_code == EXIT_OK and outcome.batch_ids == []
    assert dump(db) == empty
    counts = outcome.plan.counts
    assert (counts.new, counts.reject) == (3, 0)
    data = json.loads(outcome.json_text)
    assert [sheet["kind"] for sheet in data] == ["status", "projects"]
    assert data[1]["rows"][1]["values"]["budget"] == 1500000
    assert data[0]["rows"][0]["key"] == {"project": "P1", "period_end": "2026-03-31"}


def test_import_applies_each_file_as_a_batch_parents_first(db, tmp_path):
    projects = write_projects(tmp_path / "projects.xlsx", [
        ["P1", "Alpha", "Ann Lee", D(2026, 1, 5), D(2026, 12, 18), 120, "Green"]])
    status = write_status(tmp_path / "status.csv", [["P1", "2026-03-31", "Amber", "=1+1"]])
    outcome = import_files(db, [status, projects])
    assert outcome.exit_code == EXIT_OK, outcome.file_errors
    assert len(outcome.batch_ids) == 2
    with db.session() as s:
        batches = s.scalars(select(ImportBatch).order_by(ImportBatch.id)).all()
        assert [b.file_name for b in batches] == ["projects.xlsx", "status.csv"]
        assert batches[0].kind == "projects" and batches[0].mapping["Projects"]["Project ID"] == "code"
        assert len(batches[0].sha256) == 64
        project = s.scalar(select(Project))
        assert (project.code, project.budget, project.rag, project.baseline_end) == (
            "P1", Decimal("120000.00"), "G", D(2026, 12, 18))
        report = s.scalar(select(StatusReport))
        assert (report.project_id, report.rag, report.summary) == (project.id, "A", "=1+1")
    again = import_files(db, [status, projects])
    assert again.plan.counts.unchanged == 2 and not again.plan.has_changes
    assert any("was already imported" in warning for warning in again.warnings)


def test_rejected_rows_give_exit_code_1_and_a_rejects_workbook(db, tmp_path):
    projects = write_projects(tmp_path / "projects.xlsx", [
        ["P1", "Alpha", "Ann Lee", D(2026, 1, 5), D(2026, 12, 18), 120, "Green"],
        ["P2", "Beta", "Bo Kim", "next spring", D(2026, 9, 30), 10, "Purple"],
    ])
    outcome = import_files(db, [projects], rejects_path=tmp_path / "rejects.xlsx")
    assert outcome.exit_code == EXIT_REJECTED
    assert outcome.plan.counts.new == 1 and outcome.plan.counts.reject == 1
    rows = list(openpyxl.load_workbook(outcome.rejects_path).active.iter_rows(values_only=True))
    assert rows[0][-1] == "Reason" and rows[1][:3] == ("P2", "Beta", "Bo Kim")
    assert "row 5, column 'Start Date': value 'next spring'" in rows[1][-1]
    assert "column 'RAG': value 'Purple'" in rows[1][-1]
    with db.session() as s:
        assert s.scalars(select(Project.code)).all() == ["P1"]


def test_an_unreadable_file_gives_exit_code_2_and_the_others_are_imported(db, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not really a workbook")
    projects = write_projects(tmp_path / "projects.xlsx", [["P1", "Alpha", "Ann", None, None, 1, "G"]])
    outcome = import_files(db, [broken, tmp_path / "missing.xlsx", projects])
    assert outcome.exit_code == EXIT_FILE_ERROR
    assert [p.path for p in outcome.file_errors] == [str(broken), str(tmp_path / "missing.xlsx")]
    assert "broken.xlsx" in outcome.file_errors[0].message
    assert "was not found" in outcome.file_errors[1].message
    assert len(outcome.batch_ids) == 1


def test_weekly_grid_rows_become_allocations_per_run_of_equal_hours(db, tmp_path):
    from pmo_desktop.model import Allocation

    projects = write_projects(tmp_path / "projects.xlsx", [["P1", "Alpha", "Ann", None, None, 1, "G"]])
    people = tmp_path / "people.csv"
    people.write_text("Name,Email,Role\nAnn Lee,ann@example.org,Analyst\n", encoding="utf-8")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Resource Plan"
    ws.append(["Name", "Proj Code", "w/c 05/01/26", "w/c 12/01/26", "w/c 19/01/26", "w/c 26/01/26",
               "w/c 02/02/26"])
    ws.append(["Ann Lee", "P1", 10, 10, None, 5, 5])
    book.save(tmp_path / "plan.xlsx")
    outcome = import_files(db, [tmp_path / "plan.xlsx", people, projects])
    assert outcome.exit_code == EXIT_OK, (outcome.file_errors, [r.errors for r in outcome.plan.rejected])
    with db.session() as s:
        stored = [(a.start_date, a.end_date, a.hours_per_week)
                  for a in s.scalars(select(Allocation).order_by(Allocation.start_date))]
    assert stored == [(D(2026, 1, 5), D(2026, 1, 18), 10.0), (D(2026, 1, 26), D(2026, 2, 8), 5.0)]


def test_demo_workbooks_reimport_into_the_demo_database_without_touching_allocations_or_reports(db, tmp_path):
    """The demo's own PM spreadsheets, read back: what did not change is planned unchanged."""
    from pmo_desktop.demo import workbooks
    from pmo_desktop.demo.generator import build_demo
    from pmo_desktop.demo.spec import DemoSpec

    build_demo(db, DemoSpec())
    files = [workbooks.status_workbook(db, tmp_path / "status.xlsx"),
             workbooks.allocation_workbook(db, tmp_path / "resources.xlsx")]
    outcome = import_files(db, [info.path for info in files], dry_run=True)
    counts = outcome.plan.counts_by_kind()
    assert counts["status"].unchanged == counts["status"].total > 0
    assert counts["allocations"].unchanged == counts["allocations"].total > 0


def test_demo_raid_log_and_status_return_reimport_as_all_unchanged(db, tmp_path):
    """One vocabulary: every stage, status, response and escalation the demo wrote reads back as stored."""
    from pmo_desktop.demo import workbooks
    from pmo_desktop.demo.generator import build_demo
    from pmo_desktop.demo.spec import DemoSpec
    from pmo_desktop.model import RaidItem

    build_demo(db, DemoSpec())
    with db.session() as s:
        stored = s.scalar(select(func.count()).select_from(RaidItem))
        statuses = set(s.scalars(select(RaidItem.status).distinct()))
        responses = set(s.scalars(select(RaidItem.response).distinct()))
        escalations = set(s.scalars(select(RaidItem.escalation).distinct()))
    assert {"open", "in_progress", "closed"} <= statuses  # the words that needed translating are all there
    assert len(responses - {None}) >= 3 and {"project", "programme", "portfolio"} <= escalations
    raid = workbooks.raid_workbook(db, tmp_path / "raid.xlsx")
    status = workbooks.status_workbook(db, tmp_path / "status.xlsx")
    outcome = import_files(db, [raid.path, status.path], dry_run=True)
    counts = outcome.plan.counts_by_kind()
    assert counts["raid"] == PlanCounts(unchanged=stored)
    assert counts["raid"].unchanged == raid.rows
    assert counts["status"] == PlanCounts(unchanged=status.rows)
