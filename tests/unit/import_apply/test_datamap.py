"""Datamaps: the corpus GMPP datamap loads, and a filled copy of the blank return imports through it."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from pmo_desktop.cli import main
from pmo_desktop.importer.apply import undo_batch
from pmo_desktop.importer.datamap import (
    CUSTOM_HEADER,
    DatamapEntry,
    DatamapError,
    harvest,
    load_datamap_csv,
    save_datamap,
)
from pmo_desktop.importer.pipeline import EXIT_OK, import_files
from pmo_desktop.importer.readers import read_workbook
from pmo_desktop.model import AuditEvent, Datamap, Project, StatusReport

NAME = "DfT GMPP"


@pytest.fixture
def entries(templates) -> list[DatamapEntry]:
    return load_datamap_csv(templates / "dft-gmpp-return-datamap.csv")


def _return(templates, tmp_path, cells: dict[tuple[str, str], object]):
    """A copy of the blank return with ``cells`` ((sheet, address) -> value) filled in, macros kept."""
    path = tmp_path / "return.xlsm"
    shutil.copy(templates / "dft-gmpp-quarterly-return-blank.xlsm", path)
    book = openpyxl.load_workbook(path, keep_vba=True)
    for (sheet, address), value in cells.items():
        book[sheet][address] = value
    book.save(path)
    return path


FILLED = {
    ("Introduction", "C11"): "Lunar Gateway",
    ("Introduction", "C13"): "LG-001",  # Controls Project ID number -> code
    ("Introduction", "C18"): dt.date(2026, 3, 31),  # Snapshot Date -> period end
    ("Introduction", "C15"): "OFFICIAL",  # Classification -> a custom field
    ("9 - Costs", "F20"): 1250.5,  # Total Budget/BL -> budget
    ("9 - Costs", "E118"): "Amber/Green",  # SRO Finance confidence -> cost RAG (project and status)
    ("1 - Project Info", "E10"): "Ongoing",  # Project status -> stage
}


def test_corpus_datamap_loads_with_keys_stripped_and_fields_mapped(entries):
    assert len(entries) == 1944
    by_key = {entry.field: entry for entry in entries}
    assert by_key["Department"] == DatamapEntry("Department", "Introduction", "C9", "TEXT", {"projects": "department"})
    assert "Department " not in by_key  # trailing spaces in keys are normal and dropped
    assert by_key["Project/Programme Name"].targets == {"projects": "name", "status": "project"}
    assert by_key["Snapshot Date"].targets == {"status": "period_end"}
    assert by_key["Total Budget/BL"].targets == {"projects": "budget"}
    assert by_key["SRO Finance confidence"].targets == {"projects": "cost_rag", "status": "cost_rag"}
    assert by_key["Classification"].canonical is False
    assert sum(entry.canonical for entry in entries) == 19
    assert DatamapEntry.from_json(by_key["Snapshot Date"].to_json()) == by_key["Snapshot Date"]


def test_bad_datamap_csv_names_the_file_and_line(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("cell_key,template_sheet,cellreference,type\nName,Intro,C11,TEXT\nDate,Intro,11C,TEXT\n")
    with pytest.raises(DatamapError, match=r"map.csv, line 3, cellreference: '11C' is not a cell address like C11"):
        load_datamap_csv(path)
    path.write_text("key,sheet\nName,Intro\n")
    with pytest.raises(DatamapError, match="map.csv is not a datamap: it has no cell_key, template_sheet, cellreference"):
        load_datamap_csv(path)


def test_save_datamap_is_audited_and_replaces_by_name(db, entries):
    with db.transaction() as session:
        save_datamap(session, NAME, entries[:3])
    with db.transaction() as session:
        save_datamap(session, NAME, entries)
    with db.session() as session:
        stored = session.scalar(select(Datamap))
        assert (stored.name, len(stored.entries), stored.entries[1]) == (NAME, 1944, {
            "field": "Department", "sheet": "Introduction", "cell": "C9", "type": "TEXT", "canonical": True,
            "targets": {"projects": "department"}})
        events = session.execute(select(AuditEvent.entity, AuditEvent.action, AuditEvent.actor)
                                 .where(AuditEvent.entity == "datamap").order_by(AuditEvent.id)).all()
    assert events == [("datamap", "insert", "tester"), ("datamap", "update", "tester")]


def test_harvest_reads_the_datamapped_cells_of_a_filled_return(templates, tmp_path, entries):
    path = _return(templates, tmp_path, FILLED)
    result = harvest(read_workbook(path), entries, datamap=NAME)
    project, status = result.sheets
    assert (project.kind, project.sheet, project.rows[0].row) == ("projects", "Introduction", 11)
    values = project.rows[0].values
    assert {k: values[k] for k in ("code", "name", "budget", "cost_rag", "stage", "department", "sponsor")} == {
        "code": "LG-001", "name": "Lunar Gateway", "budget": Decimal("1250.5"), "cost_rag": "G", "stage": "execution",
        "department": "Institute of Hairdressing Dophins", "sponsor": "Paeblo Shoppa"}
    custom = values["custom_fields"]
    assert custom["Classification"] == "OFFICIAL"
    assert custom["Delivery Body"] == "Coal Tits Ltd"  # department came from "Department", listed first
    assert custom["Reporting period (TOFGM - Snapshot Date)"] == "Q1 1920"  # not a date: "Snapshot Date" is used
    assert "Snapshot Date" not in custom and "Project/Programme Name" not in custom
    assert project.mapping["Total Budget/BL (9 - Costs!F20)"] == "budget" and project.mapping[CUSTOM_HEADER] == "custom_fields"
    assert status.rows[0].values == {"project": "LG-001", "period_end": dt.date(2026, 3, 31), "cost_rag": "G"}
    assert status.rows[0].errors == [] and result.warnings == []


def test_a_return_imports_through_a_named_datamap_and_custom_fields_merge(db, templates, tmp_path, entries):
    with db.transaction() as session:
        save_datamap(session, NAME, entries)
    path = _return(templates, tmp_path, FILLED)
    outcome = import_files(db, [path], datamap=NAME)
    assert outcome.exit_code == EXIT_OK, [r.errors for r in outcome.plan.rejected]
    assert {k: (c.new, c.reject) for k, c in outcome.plan.counts_by_kind().items()} == {
        "projects": (1, 0), "status": (1, 0)}
    with db.session() as session:
        project = session.scalar(select(Project))
        report = session.scalar(select(StatusReport))
        assert (project.code, project.name, project.budget, project.cost_rag, project.stage) == (
            "LG-001", "Lunar Gateway", Decimal("1250.50"), "G", "execution")
        assert (report.project_id, report.period_end, report.cost_rag) == (project.id, dt.date(2026, 3, 31), "G")
        first_custom = dict(project.custom_fields)
    assert first_custom["Classification"] == "OFFICIAL"
    # The PMO keeps a note of its own among the custom fields.
    with db.transaction() as session:
        stored = session.scalar(select(Project))
        stored.custom_fields = {**stored.custom_fields, "PMO note": "call the SRO"}
    # Next quarter: the classification changed, the delivery body was left blank.
    again = _return(templates, tmp_path, {**FILLED, ("Introduction", "C15"): "SECRET", ("Introduction", "C10"): None,
                                          ("Introduction", "C18"): dt.date(2026, 6, 30)})
    outcome = import_files(db, [again], datamap=NAME)
    assert {k: (c.new, c.update, c.unchanged) for k, c in outcome.plan.counts_by_kind().items()} == {
        "projects": (0, 1, 0), "status": (1, 0, 0)}
    with db.session() as session:
        custom = session.scalar(select(Project)).custom_fields
    assert custom["Classification"] == "SECRET"
    assert custom["PMO note"] == "call the SRO"  # keys the return does not mention are kept
    assert custom["Delivery Body"] == "Coal Tits Ltd"  # a blank cell never overwrites
    assert set(custom) == set(first_custom) | {"PMO note"}
    # Undoing the quarter's batch puts the custom fields back as they were before it.
    undo_batch(db, outcome.batch_ids[0])
    with db.session() as session:
        assert session.scalar(select(Project)).custom_fields == {**first_custom, "PMO note": "call the SRO"}
        assert session.scalar(select(func.count()).select_from(StatusReport)) == 1


def test_unparsable_datamapped_cell_rejects_naming_key_sheet_and_cell(templates, tmp_path, entries):
    path = _return(templates, tmp_path, {**FILLED, ("Introduction", "C18"): "soon"})
    _project, status = harvest(read_workbook(path), entries, datamap=NAME).sheets
    [error] = status.rows[0].errors
    assert (error.column, error.value) == ("Reporting period (TOFGM - Snapshot Date) (Introduction!C17)", "Q1 1920")
    assert "outside 1950-2100" in error.reason


def test_unknown_datamap_and_wrong_workbook_are_refused_in_plain_words(db, templates, tmp_path, entries):
    with pytest.raises(DatamapError, match="there is no datamap called 'Other' \\(no datamap is loaded yet\\)"):
        import_files(db, [templates / "pm-milestone-tracker.xlsx"], datamap="Other")
    with db.transaction() as session:
        save_datamap(session, NAME, entries)
    outcome = import_files(db, [templates / "pm-milestone-tracker.xlsx"], datamap=NAME)
    assert [problem.message for problem in outcome.file_errors] == [
        "pm-milestone-tracker.xlsx has none of the sheets the datamap 'DfT GMPP' reads (1 - Project Info, "
        "10 - Benefits, 2 - DCA & Risk, 3 - Scope History, 4 - Leaders...); is it the right return for this datamap?"]


def test_cli_loads_a_datamap_and_imports_a_return_with_it(templates, tmp_path, capsys):
    database = str(tmp_path / "cli.db")
    assert main(["datamap", "load", NAME, str(templates / "dft-gmpp-return-datamap.csv"), "--database", database]) == 0
    assert "Datamap 'DfT GMPP' stored: 1944 cells, 19 mapped to project or status fields, 1925 kept as custom fields" in (
        capsys.readouterr().out)
    path = _return(templates, tmp_path, FILLED)
    assert main(["import", "--datamap", NAME, str(path), "--database", database]) == 0
    assert "imported: 2 new, 0 updated, 0 unchanged, 0 rejected" in capsys.readouterr().out
    assert main(["import", "--datamap", "Missing", str(path), "--database", database]) == 2
    assert "error: there is no datamap called 'Missing'" in capsys.readouterr().err


def test_entries_saved_without_targets_find_them_again():
    assert DatamapEntry.from_json({"field": "Snapshot Date ", "sheet": "Introduction", "cell": "c18",
                                   "canonical": True}) == DatamapEntry("Snapshot Date", "Introduction", "C18", "TEXT",
                                                                       {"status": "period_end"})
    assert DatamapEntry.from_json({"field": "Snapshot Date", "sheet": "Introduction", "cell": "C18",
                                   "canonical": False}).targets == {}
