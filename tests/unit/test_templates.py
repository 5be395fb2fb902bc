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


# -- templates pre-filled from a methodology's standard ---------------------------------------------------
START, END = dt.date(2027, 1, 4), dt.date(2027, 9, 30)


@pytest.fixture
def office(db):
    """The database with the default standards library and two projects over START..END: one created from
    the agile standard (so it has the standard milestones and starter RAID items), one plain."""
    from pmo_desktop.services import portfolio, standards
    from pmo_desktop.services.defaults import ensure_defaults

    with db.transaction() as session:
        ensure_defaults(session)
        standards.create_project_from_standard(session, standards.NewProject(
            "STD-001", "Made from the standard", "Dana Manager", START, END, "agile"), today=dt.date(2026, 11, 26))
        portfolio.create_project(session, {"code": "TPL-010", "name": "Plain project",
                                           "baseline_start": START, "baseline_end": END})
    return db


def _lists(db) -> TemplateLists:
    from pmo_desktop.reports.templates import template_lists

    with db.session() as session:
        return template_lists(session)


def _data_rows(path) -> list[dict]:
    sheet = load_workbook(path)[DATA_SHEET]
    headers = [cell.value for cell in sheet[1]]
    return [dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
            if any(value is not None for value in row)]


def _instructions(path) -> str:
    sheet = load_workbook(path)["Instructions"]
    return "\n".join(str(row[0]) for row in sheet.iter_rows(max_col=1, values_only=True) if row[0])


def _milestones(db, code: str) -> list[tuple[str, dt.date, dt.date]]:
    with db.session() as session:
        rows = session.execute(select(Milestone.name, Milestone.baseline_date, Milestone.forecast_date)
                               .join(Project).where(Project.code == code).order_by(Milestone.baseline_date))
        return [tuple(row) for row in rows]


def _raid(db, code: str) -> list[tuple[str, str, str, str | None]]:
    with db.session() as session:
        rows = session.execute(select(RaidItem.ref, RaidItem.kind, RaidItem.title, RaidItem.category)
                               .join(Project, RaidItem.project_id == Project.id).where(Project.code == code)
                               .order_by(RaidItem.ref))
        return [tuple(row) for row in rows]


def test_milestones_template_lays_the_standard_out_as_creating_the_project_does(office, tmp_path):
    path = write_template("milestones", tmp_path / "m.xlsx", lists=_lists(office), methodology="agile",
                          project_code="TPL-010", baseline_start=START, baseline_end=END)
    rows = _data_rows(path)
    assert [row["Name"] for row in rows] == ["Discovery complete", "Alpha assessment", "Private beta",
                                             "Public beta", "Live assessment", "Service handover"]
    assert {row["Project"] for row in rows} == {"TPL-010"}
    assert "Pre-filled from the office's Agile standard for project TPL-010." in _instructions(path)

    outcome = import_files(office, [path])
    assert outcome.exit_code == 0, outcome.summary()
    assert outcome.plan.counts.new == 6
    created = _milestones(office, "STD-001")
    assert _milestones(office, "TPL-010") == created
    assert created[-1] == ("Service handover", END, END)


def test_milestones_template_without_dates_leaves_them_for_the_manager(office, tmp_path):
    path = write_template("milestones", tmp_path / "m.xlsx", lists=_lists(office), methodology="Waterfall")
    rows = _data_rows(path)
    assert rows[0] == {"Project": None, "Name": "Project initiation", "Baseline": None, "Forecast": None,
                       "Actual": None, "Status": None, "Owner": None, "Notes": None}
    assert len(rows) == 7
    note = _instructions(path)
    assert "Waterfall standard; enter the project code on every row" in note
    assert "without dates" in note


def test_raid_template_starts_with_the_standards_items_and_imports_them(office, tmp_path):
    path = write_template("raid", tmp_path / "r.xlsx", lists=_lists(office), methodology="hybrid",
                          project_code="TPL-010")
    _fill_likelihood(path, "4 - High")
    outcome = import_files(office, [path])
    assert outcome.exit_code == 0, outcome.summary()
    assert _raid(office, "TPL-010") == [
        ("A-001", "assumption", "Funding released per stage on gate approval", "Financial"),
        ("I-001", "issue", "Release governance not yet agreed with change board", "Governance"),
        ("R-001", "risk", "Agile releases and waterfall milestones drift apart", "Schedule"),
    ]
    with office.session() as session:
        assert set(session.scalars(select(RaidItem.likelihood).join(Project, RaidItem.project_id == Project.id)
                                   .where(Project.code == "TPL-010"))) == {4}


def _fill_likelihood(path, value: str) -> None:
    workbook = load_workbook(path)
    sheet = workbook[DATA_SHEET]
    column = [cell.value for cell in sheet[1]].index("Likelihood") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value or sheet.cell(row=row, column=2).value:
            sheet.cell(row=row, column=column, value=value)
    workbook.save(path)


def test_raid_template_for_a_project_made_from_the_standard_names_its_own_items(office, tmp_path):
    from pmo_desktop.reports.templates import template_project

    with office.session() as session:
        project = template_project(session, "std-001")
    assert (project.code, project.baseline_start, project.baseline_end) == ("STD-001", START, END)
    before = _raid(office, "STD-001")
    path = write_template("raid", tmp_path / "r.xlsx", lists=_lists(office), methodology="agile",
                          project_code=project.code, existing_raid=project.raid_items)
    assert [row["Ref"] for row in _data_rows(path)] == [ref for ref, *_ in sorted(before, key=_starter_order)]
    outcome = import_files(office, [path])
    assert outcome.exit_code == 0, outcome.summary()
    assert (outcome.plan.counts.new, outcome.plan.counts.update) == (0, 0)
    assert _raid(office, "STD-001") == before


def _starter_order(item: tuple) -> int:
    return ["risk", "assumption", "dependency"].index(item[1])


def test_prefilled_refs_never_take_over_another_item(office, tmp_path):
    from pmo_desktop.reports.templates import ExistingRaidItem

    existing = (ExistingRaidItem("risk", "R-001", "Key supplier fails"),
                ExistingRaidItem("dependency", "D-004", "Platform team provides the delivery pipeline"))
    path = write_template("raid", tmp_path / "r.xlsx", lists=_lists(office), methodology="agile",
                          project_code="TPL-010", existing_raid=existing)
    assert [(row["Ref"], row["Kind"]) for row in _data_rows(path)] == [
        ("R-002", "Risk"), ("A-001", "Assumption"), ("D-004", "Dependency")]


@pytest.mark.parametrize(("kind", "options", "field", "words"), [
    ("milestones", {"methodology": "scrum"}, "methodology", "choose one of: waterfall, agile, hybrid"),
    ("projects", {"methodology": "agile"}, "methodology", "Only the milestones and RAID templates"),
    ("milestones", {"methodology": "agile", "baseline_start": START}, "baseline_end", "Give both baseline dates"),
    ("milestones", {"methodology": "agile", "baseline_start": END, "baseline_end": START}, "baseline_end",
     "is before the baseline start"),
    ("raid", {"methodology": "agile", "baseline_start": START, "baseline_end": END}, "baseline_start",
     "a RAID template has no use for them"),
    ("milestones", {"project_code": "TPL-010"}, "methodology", "Choose the methodology"),
])
def test_prefill_that_does_not_fit_is_refused_and_nothing_written(office, tmp_path, kind, options, field, words):
    from pmo_desktop.services.errors import ValidationError

    target = tmp_path / "t.xlsx"
    with pytest.raises(ValidationError) as raised:
        write_template(kind, target, lists=_lists(office), **options)
    assert words in raised.value.for_field(field)
    assert not target.exists()


def test_a_methodology_needs_a_standards_library(tmp_path):
    from pmo_desktop.services.errors import ValidationError

    with pytest.raises(ValidationError, match="which is empty"):
        write_template("raid", tmp_path / "t.xlsx", methodology="agile")


def test_project_template_offers_the_offices_methodologies(tmp_path):
    path = write_template("projects", tmp_path / "p.xlsx")
    workbook = load_workbook(path)
    sheet = workbook[DATA_SHEET]
    column = [cell.value for cell in sheet[1]].index("Methodology") + 1
    letter = sheet.cell(row=1, column=column).column_letter
    validation = next(dv for dv in sheet.data_validations.dataValidation if f"{letter}2" in str(dv.sqref))
    sheet_name, cells = validation.formula1.split("!")
    first, last = cells.replace("$", "").split(":")
    lists = workbook[sheet_name]
    assert [row[0].value for row in lists[first:last]] == ["Waterfall", "Agile", "Hybrid"]


def test_cli_writes_a_prefilled_template_with_the_projects_dates(office, tmp_path, capsys):
    from pmo_desktop.cli import main

    url = office.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "m.xlsx"
    assert main(["template", "milestones", str(out), "--database", url, "--methodology", "agile",
                 "--project", "tpl-010"]) == 0
    rows = _data_rows(out)
    assert {row["Project"] for row in rows} == {"TPL-010"}
    assert rows[-1]["Baseline"] == dt.datetime.combine(END, dt.time())

    assert main(["template", "milestones", str(tmp_path / "x.xlsx"), "--database", url,
                 "--methodology", "prince"]) == 2
    assert "--methodology: 'prince' is not in the office's standards library; choose one of: waterfall, agile, " \
           "hybrid" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()
