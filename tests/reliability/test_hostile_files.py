"""Hostile spreadsheet files, built by the tests, go through ``import_files`` in a capped child.

Each file (tests/reliability/hostile.py) is imported into a copy of a seeded SQLite database by a
child process with a time limit and an address-space cap (RLIMIT_AS), so a reader regression
fails the test instead of taking the machine down. The outcome is either a refusal (exit code 2,
a message that names the file, nothing written: every table's row count, audit_event included,
unchanged) or an import within limits (bad values rejected with a reason). Formula-looking text
stays text in the database, in the table export and in the executive pack.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from pmo_desktop.importer.pipeline import EXIT_FILE_ERROR, import_files
from pmo_desktop.model import Project
from pmo_desktop.model.database import open_database
from pmo_desktop.reports.exec_pack import write_exec_pack
from pmo_desktop.reports.table_export import export_rows

from . import hostile


@dataclass(frozen=True)
class Expect:
    outcome: str  # "refused" or "imported"
    words: str = ""
    """Refused: words of the message. Imported: words of every reject reason."""
    new: int = 0
    rejects: int = 0


EXPECTED: dict[str, Expect] = {
    "zip-bomb-shared-strings": Expect("refused", "zip bomb"),
    "zip-bomb-sheet": Expect("refused", "zip bomb"),
    # Headers that lie about the inflated size: the reader notices the stream overrunning them.
    "zip-bomb-lying-sizes": Expect("refused", "damaged"),
    "billion-laughs": Expect("refused", "entity declarations"),
    "xxe-file": Expect("refused", "entity declarations"),
    "xxe-http": Expect("refused", "entity declarations"),
    "truncated-zip": Expect("refused", "damaged"),
    "corrupted-zip": Expect("refused", "damaged"),
    "random-xlsx": Expect("refused", "not a spreadsheet"),
    "random-xls": Expect("refused", "not a spreadsheet"),
    "random-ods": Expect("refused", "not a spreadsheet"),
    "random-csv": Expect("refused", "not a spreadsheet"),
    "encrypted-ole": Expect("refused", "password-protected"),
    "huge-dimension": Expect("imported", new=1),
    "long-cells": Expect("imported", "characters long; at most", new=1, rejects=1),
    # A text file holding BEL/ESC/NUL-like bytes is taken for a binary file and refused whole.
    "control-chars-csv": Expect("refused", "not a spreadsheet"),
    "control-chars-xlsx": Expect("imported", new=1),
    "rtl-emoji": Expect("imported", new=3),
    "formula-text-xlsx": Expect("imported", new=len(hostile.FORMULAS)),
    "formula-text-csv": Expect("imported", new=len(hostile.FORMULAS)),
    "bad-dates": Expect("imported", "date", new=1, rejects=4),
}

SEED = "Project ID,Project Name,Project Manager\nS-1,Seed project,Ann Lee\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, dict, Path]]:
    """Every hostile case built and imported (two children at a time): name -> (file, result, db)."""
    folder = tmp_path_factory.mktemp("hostile")
    template = folder / "template.db"
    seed = folder / "seed.csv"
    seed.write_text(SEED, encoding="utf-8")
    db = open_database(f"sqlite:///{template}", backup=False)
    assert import_files(db, [seed]).exit_code == 0
    db.dispose()
    files = {name: build(folder) for name, build in hostile.BUILDERS.items()}

    def run(name: str) -> tuple[str, tuple[Path, dict, Path]]:
        db_file = folder / f"{name}.db"
        return name, (files[name], hostile.run_import_in_child(template, files[name], db_file), db_file)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(run, sorted(files)))
    results["_template"] = (seed, {}, template)
    return results


def test_every_case_has_an_expectation() -> None:
    assert set(hostile.BUILDERS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_refused_or_imported_within_limits(runs, name: str) -> None:
    path, result, db_file = runs[name]
    expect = EXPECTED[name]
    assert "crash" not in result, result.get("crash")
    assert result["seconds"] < 20
    assert result["network"] == [], "nothing may open a socket while importing"
    before = hostile.table_counts(runs["_template"][2])
    after = hostile.table_counts(db_file)
    if expect.outcome == "refused":
        assert result["exit_code"] == EXIT_FILE_ERROR
        [message] = result["errors"]
        assert message.startswith(path.name + " "), "the message names the file"
        assert expect.words in message and ": " in message, message
        assert after == before, "a refused file writes nothing (audit_event included)"
        return
    assert result["errors"] == []
    assert result["counts"] == [expect.new, expect.rejects], result
    assert result["exit_code"] == (1 if expect.rejects else 0)
    assert all(expect.words in reason for reason in result["rejects"]), result["rejects"]
    assert after["project"] == before["project"] + expect.new
    assert after["audit_event"] > before["audit_event"]


def _projects(db_file: Path) -> list[Project]:
    db = open_database(f"sqlite:///{db_file}", backup=False)
    try:
        with db.session() as session:
            projects = session.scalars(select(Project).order_by(Project.code)).all()
            session.expunge_all()
            return list(projects)
    finally:
        db.dispose()


def _payload_cells(path: Path, payloads: set[str]) -> list[tuple[str, str, object]]:
    """(sheet!cell, data_type, value) of every cell holding one of ``payloads`` (or a formula)."""
    wb = openpyxl.load_workbook(path)
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value in payloads):
                    found.append((f"{ws.title}!{cell.coordinate}", cell.data_type, cell.value))
    return found


@pytest.mark.parametrize("name", ["formula-text-xlsx", "formula-text-csv"])
def test_formula_text_stays_text_when_stored_and_exported(runs, name: str, tmp_path) -> None:
    _path, _result, db_file = runs[name]
    payloads = set(hostile.FORMULAS)
    projects = [p for p in _projects(db_file) if p.code[:1] in "FG"]
    assert sorted(p.name for p in projects) == sorted(payloads), "stored exactly as text"
    if name == "formula-text-xlsx":
        assert sorted(p.manager for p in projects) == sorted(payloads)

    table = export_rows(tmp_path / "projects.xlsx", "Projects",
                        [("Code", "text"), ("Name", "text"), ("Manager", "text"), ("Sponsor", "text")],
                        [(p.code, p.name, p.manager, p.sponsor) for p in projects])
    cells = _payload_cells(table, payloads)
    assert {value for _where, _kind, value in cells} >= payloads
    assert all(kind == "s" for _where, kind, _value in cells), cells

    db = open_database(f"sqlite:///{db_file}", backup=False)
    try:
        pack = write_exec_pack(db, tmp_path / "pack.xlsx").path
    finally:
        db.dispose()
    cells = _payload_cells(pack, payloads)
    assert {value for _where, _kind, value in cells} & payloads, "the pack lists the projects"
    formulas = [c for c in cells if c[1] == "f"]
    assert not any(any(p.lstrip("=+-@") in str(value) for p in payloads) for _w, _k, value in formulas), formulas
    assert all(kind == "s" for _where, kind, value in cells if value in payloads), cells


def test_unicode_and_control_characters_are_stored_and_exportable(runs, tmp_path) -> None:
    stored = {p.code: (p.name, p.manager) for p in _projects(runs["rtl-emoji"][2])}
    for code, name, manager in hostile.RTL_EMOJI_ROWS:
        assert stored[code] == (name, manager), "right-to-left and emoji text round-trips unchanged"
    [control] = [p for p in _projects(runs["control-chars-xlsx"][2]) if p.code == "H-1"]
    table = export_rows(tmp_path / "control.xlsx", "Projects", [("Code", "text"), ("Name", "text")],
                        [(control.code, control.name)])
    names = [c.value for row in openpyxl.load_workbook(table).active.iter_rows() for c in row]
    assert "Bellandescraw" in names, "control characters are dropped from the export, the rest kept"
