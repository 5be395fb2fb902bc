"""The office's own templates: dropdowns and marker present; filled in, they import exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pmo_desktop.importer.marker import DATA_SHEET, MARKER_SHEET, template_marker
from pmo_desktop.importer.pipeline import import_files
from pmo_desktop.importer.readers import read_workbook
from pmo_desktop.model import Allocation, Milestone, Person, Project, RaidItem, StatusReport
from pmo_desktop.reports.templates import TEMPLATE_KINDS, TemplateLists, write_template


def _fill(path, rows: list[dict]) -> None:
    workbook = load_workbook(path)
    sheet = workbook[DATA_SHEET]
    headers = [cell.value for cell in sheet[1]]
    for offset, values in enumerate(rows, start=2):
        unknown = set(values) - set(headers)
        assert not unknown, f"not template headers: {unknown}"
        for column, header in enumerate(headers, start=1):
            if header in values:
                cell = sheet.cell(row=offset, column=column, value=values[header])
                if isinstance(values[header], str):
                    cell.data_type = "s"  # typed text, even when it starts with "="
    workbook.save(path)


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_every_template_has_headers_dropdowns_and_a_hidden_marker(tmp_path, kind):
    path = write_template(kind, tmp_path / f"{kind}.xlsx", lists=TemplateLists(project_codes=["A-1"]))
    workbook = load_workbook(path)
    assert workbook.active.title == DATA_SHEET
    assert workbook[MARKER_SHEET].sheet_state == "veryHidden"
    data = workbook[DATA_SHEET]
    assert data.freeze_panes == "A2"
    assert data["A1"].value
    if kind in ("projects", "status", "raid"):
        assert data.data_validations.dataValidation, "enumerations should offer dropdowns"
    rows = {sheet.name: sheet.rows for sheet in read_workbook(path).sheets}
    marker = template_marker(rows)
    assert marker is not None and marker[0] == kind and marker[1] == DATA_SHEET


def test_projects_template_round_trip(db, tmp_path):
    path = write_template("projects", tmp_path / "projects.xlsx")
    _fill(path, [{
        "Project code": "TPL-001", "Name": "Template round trip", "Programme": "Templates", "Sponsor": "Ann Sponsor",
        "Manager": "Bob Manager", "Department": "Finance", "Stage": "Execution", "Overall RAG": "Amber",
        "Priority": 2, "Start": dt.date(2026, 1, 5), "End": dt.date(2026, 12, 18), "Budget": 250000,
        "Actual cost": 120500.5, "Forecast cost (EAC)": 260000, "% complete": 0.45,
    }])
    outcome = import_files(db, [path])
    assert outcome.exit_code == 0, outcome.summary()
    with db.session() as session:
        project = session.scalar(select(Project).where(Project.code == "TPL-001"))
        assert project.programme.name == "Templates"
    assert (project.name, project.stage, project.rag, project.priority) == ("Template round trip", "execution", "A", 2)
    assert (project.baseline_start, project.baseline_end) == (dt.date(2026, 1, 5), dt.date(2026, 12, 18))
    assert (project.budget, project.actual_cost, project.forecast_cost) == (
        Decimal("250000.00"), Decimal("120500.50"), Decimal("260000.00"))
    assert project.percent_complete == pytest.approx(0.45)
    # The same file again changes nothing.
    again = import_files(db, [path])
    assert again.plan.counts.new == 0 and again.plan.counts.update == 0


def test_status_raid_milestones_people_allocations_round_trip(db, tmp_path):
    projects = write_template("projects", tmp_path / "p.xlsx")
    _fill(projects, [{"Project code": "TPL-002", "Name": "Parent project", "Stage": "Planning"}])
    people = write_template("people", tmp_path / "people.xlsx")
    _fill(people, [{"Name": "Carla Person", "Email": "carla@example.org", "Role": "Business Analyst",
                    "Team": "Change", "Capacity (hours/week)": 30}])
    status = write_template("status", tmp_path / "status.xlsx")
    _fill(status, [{"Project": "TPL-002", "Period end": dt.date(2026, 10, 31), "Overall RAG": "Red",
                    "% complete": 0.3, "Summary": "=SUM(A1) stays text"}])
    raid = write_template("raid", tmp_path / "raid.xlsx")
    _fill(raid, [{"Project": "TPL-002", "Ref": "R-001", "Kind": "Risk", "Title": "Supplier late",
                  "Likelihood": "4 - High", "Impact": "5 - Very high", "Status": "Open", "Owner": "Carla Person"}])
    milestones = write_template("milestones", tmp_path / "milestones.xlsx")
    _fill(milestones, [{"Project": "TPL-002", "Name": "Design signed off", "Baseline": dt.date(2026, 11, 30)}])
    allocations = write_template("allocations", tmp_path / "allocations.xlsx")
    _fill(allocations, [{"Person": "Carla Person", "Project": "TPL-002", "Start": dt.date(2026, 11, 2),
                         "End": dt.date(2026, 12, 18), "Hours per week": 15}])
    outcome = import_files(db, [projects, people, status, raid, milestones, allocations])
    assert outcome.exit_code == 0, (outcome.summary(), [p.message for p in outcome.file_errors],
                                    [r.errors for r in outcome.plan.rows() if r.errors])
    with db.session() as session:
        report = session.scalar(select(StatusReport))
        risk = session.scalar(select(RaidItem))
        milestone = session.scalar(select(Milestone))
        person = session.scalar(select(Person))
        allocation = session.scalar(select(Allocation))
        assert person.role.name == "Business Analyst"
    assert (report.period_end, report.rag, report.summary) == (dt.date(2026, 10, 31), "R", "=SUM(A1) stays text")
    assert report.percent_complete == pytest.approx(0.3)
    assert (risk.ref, risk.kind, risk.likelihood, risk.impact, risk.status) == ("R-001", "risk", 4, 5, "open")
    assert (milestone.name, milestone.baseline_date) == ("Design signed off", dt.date(2026, 11, 30))
    assert (person.email, person.capacity_hours) == ("carla@example.org", 30)
    assert (allocation.start_date, allocation.end_date, allocation.hours_per_week) == (
        dt.date(2026, 11, 2), dt.date(2026, 12, 18), 15)
