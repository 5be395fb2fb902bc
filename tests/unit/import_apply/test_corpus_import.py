"""Every workbook of the corpus's templates/ folder, imported into a fresh database: exact outcomes.

The table says, per file, how many rows of each kind are new and which rows are rejected, with
the reason. A reject is listed only where it is right: the row names a project that no sheet of
the file (and nothing in the fresh database) holds, or the row has no reference at all.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pmo_desktop.importer.pipeline import import_files
from pmo_desktop.model import Person, Project, RaidItem

NOT_A_PROJECT = ("is not a project in the database or in this import; import the project first or correct the "
                 "project code")

# file -> ({kind: (new rows, rejected rows)}, {(sheet, column, reason): [sheet rows]})
EXPECTED: dict[str, tuple[dict[str, tuple[int, int]], dict[tuple[str, str, str], list[int]]]] = {
    # Names only: six projects created with codes made from their names.
    "dft-dca-master-q4-2019.xlsx": ({"projects": (6, 0)}, {}),
    # Blank return (text scrubbed): only the risk table's first, unnumbered row has content.
    # Read it with a datamap instead (test_datamap.py).
    "dft-gmpp-quarterly-return-blank.xlsm": (
        {"raid": (0, 1)}, {("2 - DCA & Risk", "ref", "is blank; every row needs its ref"): [17]}),
    "dft-gmpp-return-datamap.csv": ({}, {}),  # a datamap, not data (see test_datamap.py)
    "dft-milestones-mixed-date-formats.xlsx": (
        {"milestones": (0, 3)}, {("Sheet1", "Project", NOT_A_PROJECT): [2, 3, 4]}),
    "dft-portfolio-master-minimal.xlsx": ({"projects": (1, 0)}, {}),
    # Two of its six projects have no GMPP id: they get codes made from their names.
    "dft-portfolio-master-q4-2019.xlsx": ({"projects": (6, 0), "raid": (6, 0), "milestones": (6, 0)}, {}),
    "dft-risk-log-by-quarter.xlsx": (
        {"raid": (0, 30)}, {("Q1_20_21 all data", "Project Name", NOT_A_PROJECT): list(range(2, 32))}),
    "dft-risk-master-q1-2020.xlsx": ({"raid": (0, 5)}, {("Master", "Project", NOT_A_PROJECT): [2, 3, 4, 5, 6]}),
    "inazuma-gantt-ja.xlsm": ({}, {}),  # a Gantt chart of tasks
    "ms-caf-raci-template.xlsx": ({}, {}),  # a RACI matrix
    "ms-contoso-status-reports.xlsx": ({"people": (12, 0)}, {}),
    "pm-gantt-project-plan-dashboard.xlsx": ({}, {}),  # a task plan: skipped (no project code or name)
    "pm-milestone-tracker.xlsx": (
        {"milestones": (0, 4)}, {("Milestone Tracker", "Project Name", NOT_A_PROJECT): [2, 3, 4, 5]}),
    "pm-project-budget-management.xlsx": ({}, {}),  # a budget by phase: skipped (no project code or name)
    "pm-resource-allocation-tracker.xlsx": (
        {"people": (4, 0), "allocations": (0, 4)},
        {("Project Assignments", "Project Name", NOT_A_PROJECT): [2, 3, 4, 5]}),
    "pm-risk-assessment-matrix.xlsx": ({"raid": (5, 0)}, {}),  # portfolio-level risks titled by description
}


def test_the_table_covers_every_corpus_template(templates):
    assert sorted(path.name for path in templates.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_imports_exactly(db, templates, name):
    expected_counts, expected_rejects = EXPECTED[name]
    outcome = import_files(db, [templates / name])
    assert outcome.file_errors == []
    counts = {kind: (c.new, c.reject) for kind, c in outcome.plan.counts_by_kind().items()}
    assert counts == expected_counts
    rejects: dict[tuple[str, str, str], list[int]] = {}
    for row in outcome.plan.rejected:
        assert len(row.errors) == 1, row.errors
        error = row.errors[0]
        rejects.setdefault((row.source.sheet, error.column, error.reason), []).append(row.row)
    assert rejects == expected_rejects
    assert all(c.update == 0 and c.unchanged == 0 for c in outcome.plan.counts_by_kind().values())


def test_resource_list_people_have_role_team_and_capacity(db, templates):
    import_files(db, [templates / "pm-resource-allocation-tracker.xlsx"])
    with db.session() as session:
        people = [(p.name, p.role.name, p.team, p.capacity_hours) for p in session.scalars(select(Person).order_by(Person.name))]
    assert people == [("Alice Johnson", "Developer", "IT", 40.0), ("Bob Smith", "Designer", "Creative", 35.0),
                      ("Charlie Lee", "QA Engineer", "QA", 40.0), ("Diana Prince", "Project Manager", "Management", 30.0)]


def test_risk_register_titles_come_from_the_description(db, templates):
    import_files(db, [templates / "pm-risk-assessment-matrix.xlsx"])
    with db.session() as session:
        items = session.execute(select(RaidItem.ref, RaidItem.title, RaidItem.kind, RaidItem.project_id,
                                       RaidItem.likelihood, RaidItem.impact).order_by(RaidItem.ref)).all()
    assert items[0] == ("R1", "Scope creep due to unclear requirements", "risk", None, 4, 5)
    assert [item.title == item.title.strip() and len(item.title) <= 300 for item in items] == [True] * 5


def test_dft_masters_without_codes_are_matched_by_name_on_later_imports(db, templates):
    first = import_files(db, [templates / "dft-dca-master-q4-2019.xlsx"])
    with db.session() as session:
        codes = session.execute(select(Project.name, Project.code).order_by(Project.id)).all()
    assert codes == [("Mars", "MARS"), ("Sea of Tranquility", "SEA-OF-TRANQUILITY"), ("Apollo 11", "APOLLO-11"),
                     ("Apollo 13", "APOLLO-13"), ("Falcon 9", "FALCON-9"), ("Columbia", "COLUMBIA")]
    assert sum("has no project code; the project is created with the code MARS" in w for w in first.warnings) == 1
    again = import_files(db, [templates / "dft-dca-master-q4-2019.xlsx"], dry_run=True)
    assert again.plan.counts_by_kind()["projects"].unchanged == 6
    # The quarter's risk master names the projects: now they are known, every risk imports.
    risks = import_files(db, [templates / "dft-risk-master-q1-2020.xlsx"])
    assert risks.plan.counts_by_kind()["raid"].new == 5 and risks.exit_code == 0
    with db.session() as session:
        owners = sorted(session.scalars(select(Project.code).join(RaidItem, RaidItem.project_id == Project.id)))
    assert owners == ["APOLLO-13", "COLUMBIA", "FALCON-9", "MARS", "SEA-OF-TRANQUILITY"]


def test_dft_quarter_imported_file_by_file_keeps_one_project_each(db, templates):
    """DCA master (names only), then the portfolio master (codes for four), the risk and milestone masters."""
    steps = [("dft-dca-master-q4-2019.xlsx", {"projects": (6, 0, 0)}),
             ("dft-portfolio-master-q4-2019.xlsx", {"projects": (0, 6, 0), "raid": (6, 0, 0), "milestones": (6, 0, 0)}),
             ("dft-risk-master-q1-2020.xlsx", {"raid": (5, 0, 0)}),
             ("dft-milestones-mixed-date-formats.xlsx", {"milestones": (3, 0, 0)})]
    for name, expected in steps:
        outcome = import_files(db, [templates / name])
        assert {k: (c.new, c.update, c.reject) for k, c in outcome.plan.counts_by_kind().items()} == expected, name
    with db.session() as session:
        projects = session.execute(select(Project.code, Project.name).order_by(Project.id)).all()
    assert projects == [("MARS", "Mars"), ("DFT_0020_1314-Q2", "Sea of Tranquility"), ("APOLLO-11", "Apollo 11"),
                        ("DFT_0005_1112-Q1", "Apollo 13"), ("DfT_0022_1415-Q4", "Falcon 9"),
                        ("DFT_0029_1617-Q1", "Columbia")]
