"""Projects listed by name only get a code made from the name; risks with only a description get a title."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from pmo_desktop.importer.apply import apply_plan
from pmo_desktop.importer.plan import code_from_name, title_from_description, unique_code
from pmo_desktop.model import Project, RaidItem

from .helpers import actions, make_sheet, plan

D = dt.date


def apply(db, plan_):
    return apply_plan(db, plan_, file_name="master.xlsx", sha256="0" * 64, kind="test", mapping={})


def test_code_from_name_is_upper_case_words_joined_by_dashes_at_most_40_characters():
    assert code_from_name("Sea of Tranquility") == "SEA-OF-TRANQUILITY"
    assert code_from_name("Apollo 11") == "APOLLO-11"
    assert code_from_name("Zürich tram / phase 2") == "ZURICH-TRAM-PHASE-2"
    assert code_from_name("Programme for the modernisation of regional rail signalling systems") == (
        "PROGRAMME-FOR-THE-MODERNISATION-OF-REGIO")
    assert code_from_name("!!!") == "PROJECT"


def test_unique_code_counts_up_and_still_fits():
    assert unique_code("MARS", set()) == "MARS"
    assert unique_code("MARS", {"MARS", "MARS-2"}) == "MARS-3"
    long = "PROGRAMME-FOR-THE-MODERNISATION-OF-REGIO"
    assert unique_code(long, {long}) == "PROGRAMME-FOR-THE-MODERNISATION-OF-REG-2"


def test_projects_without_codes_are_created_with_unique_codes_and_found_by_name_later(db):
    apply(db, plan(db, make_sheet("projects", [{"code": "SEA-OF-TRANQUILITY", "name": "Lunar base"}])))
    master = make_sheet("projects", [
        {"name": "Sea of Tranquility", "rag": "A"},
        {"name": "Sea-of-Tranquility", "rag": "G"},
        {"name": "Mars", "rag": "R"},
    ], fields=["code", "name", "rag"])
    first = plan(db, master)
    assert actions(first) == [(2, "new"), (3, "new"), (4, "new")]
    assert [row.writes["code"] for row in first.rows()] == ["SEA-OF-TRANQUILITY-2", "SEA-OF-TRANQUILITY-3", "MARS"]
    assert first.sheets[0].rows[2].warnings == [
        "has no project code; the project is created with the code MARS, made from its name "
        "(later imports without a code find it by its name)"]
    apply(db, first)
    with db.session() as session:
        stored = session.execute(select(Project.code, Project.name, Project.rag).order_by(Project.id)).all()
    assert stored == [("SEA-OF-TRANQUILITY", "Lunar base", None), ("SEA-OF-TRANQUILITY-2", "Sea of Tranquility", "A"),
                      ("SEA-OF-TRANQUILITY-3", "Sea-of-Tranquility", "G"), ("MARS", "Mars", "R")]
    # Next quarter's master, still without codes: the same projects, found by name.
    again = plan(db, master, make_sheet("status", [{"project": "Mars", "period_end": D(2026, 3, 31), "rag": "R"}]))
    assert actions(again) == [(2, "unchanged"), (3, "unchanged"), (4, "unchanged"), (2, "new")]
    assert next(again.rows("status")).refs["project"] == "MARS"
    assert all(not row.warnings for row in again.rows())


def test_title_from_description_takes_the_first_line_cut_to_300_characters():
    assert title_from_description("Scope creep\nbecause the brief is vague") == "Scope creep"
    assert title_from_description("\n  Budget overrun  \n") == "Budget overrun"
    long = "word " * 100
    title = title_from_description(long)
    assert len(title) == 300 and title.endswith("\u2026") and title == ("word " * 60)[:299].rstrip() + "\u2026"


def test_risk_with_only_a_description_takes_its_title_from_it_and_blanks_never_retitle(db):
    register = make_sheet("raid", [
        {"ref": "R1", "description": "Scope creep due to unclear requirements\nSee the workshop notes",
         "likelihood": 4, "impact": 5},
        {"ref": "R2"},
    ], fields=["ref", "description", "likelihood", "impact"])
    first = plan(db, register)
    assert actions(first) == [(2, "new"), (3, "reject")]
    assert first.sheets[0].rows[1].errors[0].reason == "is blank; a new RAID item needs its title"
    apply(db, first)
    with db.session() as session:
        item = session.scalar(select(RaidItem))
        assert (item.ref, item.title, item.description) == (
            "R1", "Scope creep due to unclear requirements",
            "Scope creep due to unclear requirements\nSee the workshop notes")
    with db.transaction() as session:
        session.scalar(select(RaidItem)).title = "Scope creep (renamed by the PMO)"
    # The same register again: the stored title stays (the sheet has no title of its own).
    assert actions(plan(db, register)) == [(2, "unchanged"), (3, "reject")]
    with_blank_title = make_sheet("raid", [{"ref": "R1", "title": None, "description": "Scope creep due to unclear "
                                            "requirements\nSee the workshop notes"}],
                                  fields=["ref", "title", "description"])
    assert actions(plan(db, with_blank_title)) == [(2, "unchanged")]


def test_a_name_only_row_is_the_project_another_sheet_of_the_import_lists_with_its_code(db):
    dca = make_sheet("projects", [{"name": "Apollo 13", "rag": "A"}], fields=["code", "name", "rag"], file="dca.xlsx")
    master = make_sheet("projects", [{"code": "DFT_0005", "name": "Apollo 13", "rag": "R"}], file="master.xlsx")
    result = plan(db, dca, master)
    assert actions(result) == [(2, "reject"), (2, "new")]
    superseded = result.sheets[0].rows[0]
    assert superseded.key == {"code": "DFT_0005"}
    assert superseded.errors[0].reason == ("appears again on row 2 of sheet Projects of master.xlsx (DFT_0005); "
                                           "only the last one is imported")


def test_a_project_created_with_a_code_from_its_name_takes_its_real_code_later(db):
    apply(db, plan(db, make_sheet("projects", [{"name": "Apollo 13", "rag": "A"}], fields=["code", "name", "rag"])))
    master = make_sheet("projects", [{"code": "DFT_0005", "name": "Apollo 13", "rag": "R"}])
    risks = make_sheet("raid", [{"project": "DFT_0005", "ref": "1", "title": "Oxygen tank"}])
    result = plan(db, master, risks)
    assert actions(result) == [(2, "update"), (2, "new")]
    recoded = result.sheets[0].rows[0]
    assert [(c.field, c.old, c.new) for c in recoded.changes] == [("code", "APOLLO-13", "DFT_0005"), ("rag", "A", "R")]
    assert recoded.warnings == ["takes the code DFT_0005 in place of APOLLO-13, the code made from its name when it "
                                "was first imported"]
    apply(db, result)
    with db.session() as session:
        assert session.execute(select(Project.code, Project.name, Project.rag)).all() == [("DFT_0005", "Apollo 13", "R")]
        assert session.scalar(select(RaidItem)).project.code == "DFT_0005"
    # A project whose code was given by a manager keeps it.
    assert actions(plan(db, make_sheet("projects", [{"code": "NASA-13", "name": "Apollo 13"}]))) == [(2, "new")]


def test_a_generated_code_never_takes_a_code_another_row_of_the_import_gives(db):
    sheet = make_sheet("projects", [{"code": "MARS", "name": "Mars mission"}, {"name": "Mars"}])
    result = plan(db, sheet)
    assert [row.writes["code"] for row in result.rows()] == ["MARS", "MARS-2"]
    apply(db, result)
    with db.session() as session:
        assert session.execute(select(Project.code, Project.name).order_by(Project.id)).all() == [
            ("MARS", "Mars mission"), ("MARS-2", "Mars")]
