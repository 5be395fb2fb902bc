"""The executive pack: the workbook a director opens shows the analytics' numbers, safely, and prints."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pmo_desktop.analytics.governance import compliance_exceptions
from pmo_desktop.analytics.portfolio import Thresholds, portfolio_kpis, portfolio_total
from pmo_desktop.analytics.risks import risk_matrix
from pmo_desktop.cli import main
from pmo_desktop.model.database import load_settings, open_database
from pmo_desktop.reports import exec_pack
from pmo_desktop.reports.exec_pack import SECTIONS, ExecPackError, write_exec_pack
from pmo_desktop.reports.pack_data import ScopeError, parse_scope
from pmo_desktop.services.portfolio import create_project

TODAY = dt.date(2026, 11, 26)
HEADER_ROW = 4  # title, scope line, blank, header
NASTY_NAMES = ('=HYPERLINK("http://example.com/x","click me")', "+1", "@x", "-2+3", "=1+1")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The demo office, plus projects whose names look like formulas (built once for the module)."""
    from pmo_desktop.demo import build_demo

    folder = tmp_path_factory.mktemp("pack")
    db = open_database(f"sqlite:///{folder / 'office.db'}", backup=False)
    build_demo(db, today=TODAY)
    with db.transaction() as session:
        for i, name in enumerate(NASTY_NAMES, start=1):
            create_project(session, {"code": f"ZZ-{i:03d}", "name": name, "programme": "Data Platform",
                                     "manager": "=cmd|' /C calc'!A0", "stage": "Execution", "budget": 1000 * i})
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def pack(office, tmp_path_factory):
    """The whole-portfolio pack of the demo office as of TODAY."""
    path = tmp_path_factory.mktemp("out") / "pack.xlsx"
    result = write_exec_pack(office, path, as_of=TODAY)
    return result


def _table_rows(rows: list[list], header_row: int = HEADER_ROW) -> tuple[list, list[list]]:
    """The header and the data rows of a sheet's main table (until the first blank first cell)."""
    header = rows[header_row - 1]
    data = []
    for row in rows[header_row:]:
        if row[0] in ("", None):
            break
        data.append(row)
    return header, data


def _calamine(path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_the_pack_has_every_sheet_in_order(pack):
    # The Governance section's gate decisions have a sheet of their own: their header repeats on their printed pages.
    assert pack.sheets == (*SECTIONS[:SECTIONS.index("Notes")], "Gate decisions", "Notes")
    assert pack.path.exists() and not list(pack.path.parent.glob("*.partial"))
    assert pack.rows["Portfolio"] > 60


def test_portfolio_numbers_equal_the_analytics(office, pack):
    with office.session() as session:
        kpis = portfolio_kpis(session, TODAY, Thresholds.from_settings(load_settings(session)))
    total = portfolio_total(kpis)
    header, rows = _table_rows(_calamine(pack.path, "Portfolio"))
    assert len(rows) == len(kpis)
    budget = header.index("Budget")
    assert sum(r[budget] for r in rows if r[budget] != "") == pytest.approx(total.bac)
    derived = header.index("Derived RAG")
    words = {"R": "Red", "A": "Amber", "G": "Green"}
    for key, word in words.items():
        assert sum(1 for r in rows if r[derived] == word) == total.derived_rag_counts[key]
    reported = header.index("Reported RAG")
    assert sum(1 for r in rows if r[reported] == "Red") == sum(1 for k in kpis if k.reported_rag == "R")

    # The Summary's "Projects by RAG" block says the same.
    summary = _calamine(pack.path, "Summary")
    start = next(i for i, r in enumerate(summary) if "Projects by RAG" in r)
    at = summary[start].index("Projects by RAG")  # calamine starts at the first used column
    block = {r[at]: (r[at + 1], r[at + 2]) for r in summary[start + 2:start + 6]}
    for key, word in words.items():
        assert block[word][1] == total.derived_rag_counts[key]
    # The Budget tile holds the portfolio BAC as a number.
    tile = next(i for i, r in enumerate(summary) if "Budget (BAC)" in r)
    column = summary[tile].index("Budget (BAC)")
    assert summary[tile + 1][column] == pytest.approx(total.bac)


def test_risk_matrix_counts_equal_the_analytics(office, pack):
    with office.session() as session:
        matrix = risk_matrix(session)
    sheet = load_workbook(pack.path)["RAID"]
    corner = next(c for c in sheet[HEADER_ROW] if c.value == "Likelihood ↓ / Impact →")
    for offset, likelihood in enumerate((5, 4, 3, 2, 1), start=1):
        label = sheet.cell(row=HEADER_ROW + offset, column=corner.column)
        assert str(label.value).startswith(str(likelihood))
        for impact in range(1, 6):
            value = sheet.cell(row=HEADER_ROW + offset, column=corner.column + impact).value
            assert value == matrix.count(likelihood, impact), (likelihood, impact)
    assert matrix.total > 0


def test_compliance_exceptions_are_all_listed(office, pack):
    with office.session() as session:
        expected = compliance_exceptions(session, TODAY, load_settings(session))
    sheet = load_workbook(pack.path)["Governance"]
    table = sheet.tables["ComplianceExceptions"]
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert list(sheet.tables) == ["ComplianceExceptions"]  # alone under the repeated header
    first, last = table.ref.split(":")
    rows = int(re.sub(r"\D", "", last)) - int(re.sub(r"\D", "", first))
    assert rows == len(expected) > 0
    # The Summary counts them by rule, and the counts add up to the same total.
    summary = _calamine(pack.path, "Summary")
    start = next(i for i, r in enumerate(summary) if "Compliance exceptions by rule" in r)
    at = summary[start].index("Compliance exceptions by rule")
    header = summary[start + 1]
    counts = [r[header.index("Exceptions")] for r in summary[start + 2:] if r[at] not in ("", None)]
    assert sum(counts) == len(expected)


def test_text_that_looks_like_a_formula_stays_text(pack):
    workbook = load_workbook(pack.path)
    sheet = workbook["Portfolio"]
    names = {}
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1):
        if row[0].value and str(row[0].value).startswith("ZZ-"):
            names[row[1].value] = row[1]
            assert row[5].data_type == "s" and row[5].value == "=cmd|' /C calc'!A0"
    assert set(names) == set(NASTY_NAMES)
    for cell in names.values():
        assert cell.data_type == "s"
    # Nothing in the file is a formula: no <f> element in any sheet, and no external links or macros.
    with zipfile.ZipFile(pack.path) as archive:
        members = archive.namelist()
        for member in members:
            if member.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in archive.read(member) and b"<f " not in archive.read(member), member
    assert not [m for m in members if "externalLink" in m or m.endswith(".bin")]
    # The independent reader sees the words too.
    calamine_names = {r[1] for r in _calamine(pack.path, "Portfolio")[HEADER_ROW:] if str(r[0]).startswith("ZZ-")}
    assert calamine_names == set(NASTY_NAMES)


_REF = re.compile(r"^'?(?P<sheet>.+?)'?!\$?(?P<c1>[A-Z]+)\$?(?P<r1>\d+)(?::\$?(?P<c2>[A-Z]+)\$?(?P<r2>\d+))?$")


def test_every_chart_references_existing_ranges(pack):
    from openpyxl.utils import column_index_from_string

    workbook = load_workbook(pack.path)
    refs = []
    with zipfile.ZipFile(pack.path) as archive:
        charts = [m for m in archive.namelist() if m.startswith("xl/charts/chart")]
        for member in charts:
            refs += re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", archive.read(member).decode())
    assert len(charts) >= 2 and refs
    for ref in refs:
        match = _REF.match(ref.replace("&apos;", "'"))
        assert match, ref
        sheet = workbook[match["sheet"]]
        c2, r2 = match["c2"] or match["c1"], match["r2"] or match["r1"]
        assert 1 <= int(match["r1"]) <= int(r2) <= sheet.max_row, ref
        assert 1 <= column_index_from_string(match["c1"]) <= column_index_from_string(c2) <= sheet.max_column, ref
        for row in sheet.iter_rows(min_row=int(match["r1"]), max_row=int(r2),
                                   min_col=column_index_from_string(match["c1"]),
                                   max_col=column_index_from_string(c2)):
            assert all(cell.value is not None for cell in row), f"{ref} covers blank cells"


def test_sheets_are_set_up_for_reading_and_printing(pack):
    workbook = load_workbook(pack.path)
    assert workbook.properties.creator == "PMO Desktop"
    assert "Whole portfolio" in workbook.properties.subject
    for name in ("Portfolio", "Milestones", "RAID", "Governance"):
        sheet = workbook[name]
        assert sheet.freeze_panes and int(re.sub(r"\D", "", sheet.freeze_panes)) == HEADER_ROW + 1, name
        assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}", name
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1, name
        assert "26 Nov 2026" in sheet.oddHeader.right.text and "&P" in sheet.oddFooter.right.text
        assert sheet.tables, f"{name} has no Excel table"
        if name != "Governance":
            assert sheet.conditional_formatting, f"{name} has no conditional formatting"
    portfolio = workbook["Portfolio"]
    dates = [c for (c,) in portfolio.iter_rows(min_row=HEADER_ROW + 1, min_col=9, max_col=9) if c.value]
    money = [c for (c,) in portfolio.iter_rows(min_row=HEADER_ROW + 1, min_col=13, max_col=13) if c.value]
    assert dates and all(c.number_format == "dd mmm yyyy" for c in dates)
    assert money and all("£" in c.number_format for c in money)
    resources = workbook["Resources"]
    assert any(rule.colorScale for cf in resources.conditional_formatting for rule in cf.rules)


def test_scope_keeps_only_that_programmes_projects(office, tmp_path):
    result = write_exec_pack(office, tmp_path / "dp.xlsx", as_of=TODAY, scope=("programme", "Data Platform"))
    header, rows = _table_rows(_calamine(result.path, "Portfolio"))
    programme = header.index("Programme")
    assert rows and {r[programme] for r in rows} == {"Data Platform"}
    with office.session() as session:
        expected = [k for k in portfolio_kpis(session, TODAY) if k.programme == "Data Platform"]
    assert len(rows) == len(expected)
    summary = _calamine(result.path, "Summary")
    assert any("Programme: Data Platform" in str(value) for value in summary[1])
    raid_projects = {r[1] for r in _table_rows(_calamine(result.path, "RAID"))[1]}
    codes = {k.code for k in expected}
    assert raid_projects <= codes


def test_scope_names_match_whatever_their_case(office, tmp_path):
    result = write_exec_pack(office, tmp_path / "fin.xlsx", as_of=TODAY, scope=("department", "finance"))
    assert result.scope == ("department", "Finance")
    assert load_workbook(result.path).properties.subject.startswith("Department: Finance")


def test_cells_hold_clean_values():
    from openpyxl import Workbook

    sheet = Workbook().active
    assert exec_pack.put(sheet, 1, 1, "bell\x07 and null\x00 gone").value == "bell and null gone"
    assert exec_pack.put(sheet, 2, 1, float("inf")).value is None
    assert exec_pack.put(sheet, 3, 1, float("nan")).value is None
    cell = exec_pack.put(sheet, 4, 1, "=SUM(A1:A3)")
    assert cell.data_type == "s" and cell.value == "=SUM(A1:A3)"


def test_unknown_scope_and_bad_paths_are_refused_plainly(office, tmp_path):
    with pytest.raises(ScopeError, match="no programme named 'Nope'"):
        write_exec_pack(office, tmp_path / "x.xlsx", scope=("programme", "Nope"))
    with pytest.raises(ScopeError):
        parse_scope("team:Blue")
    assert parse_scope("department: Finance ") == ("department", "Finance")
    with pytest.raises(ExecPackError, match="does not exist"):
        write_exec_pack(office, tmp_path / "missing" / "x.xlsx")
    with pytest.raises(ExecPackError, match=".xlsx"):
        write_exec_pack(office, tmp_path / "x.pdf")
    assert not list(tmp_path.iterdir())


def test_sections_choose_the_sheets(office, tmp_path):
    result = write_exec_pack(office, tmp_path / "two.xlsx", as_of=TODAY, sections=("Summary", "RAID"))
    assert load_workbook(result.path).sheetnames == ["Summary", "RAID"]


def test_a_failed_save_leaves_the_previous_file_whole(office, tmp_path, monkeypatch):
    target = tmp_path / "pack.xlsx"
    target.write_bytes(b"previous pack")

    def broken_save(self, filename):
        with open(filename, "wb") as f:
            f.write(b"PK half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exec_pack.Workbook, "save", broken_save)
    with pytest.raises(ExecPackError, match="The disk is full"):
        write_exec_pack(office, target, as_of=TODAY, sections=("Summary",))
    assert target.read_bytes() == b"previous pack"
    assert [p.name for p in tmp_path.iterdir()] == ["pack.xlsx"]


def test_cancel_writes_nothing(office, tmp_path):
    class Cancelled(Exception):
        pass

    class Progress:
        def __init__(self):
            self.reports = []

        def report(self, done, total=0, text=None):
            self.reports.append((done, total, text))

        def check(self):
            if len(self.reports) >= 3:
                raise Cancelled()

    progress = Progress()
    with pytest.raises(Cancelled):
        write_exec_pack(office, tmp_path / "pack.xlsx", as_of=TODAY, progress=progress)
    assert not list(tmp_path.iterdir())
    assert progress.reports[0][1] > 3 and progress.reports[0][2]


def test_cli_export_pack(office, tmp_path, capsys):
    url = str(office.engine.url) if hasattr(office, "engine") else None
    if url is None:
        pytest.skip("the Database does not expose its URL")
    out = tmp_path / "pack.xlsx"
    assert main(["export-pack", str(out), "--as-of", "2026-11-26", "--database", url]) == 0
    assert out.exists() and "Executive pack written" in capsys.readouterr().out
    assert main(["export-pack", str(tmp_path / "pack.txt"), "--database", url]) == 2
    assert "must end in .xlsx (Excel workbook) or .pdf" in capsys.readouterr().err
    assert main(["export-pack", str(out), "--sections", "Summary,Notes", "--database", url]) == 0
    assert "(Summary " in capsys.readouterr().out and load_workbook(out).sheetnames == ["Summary", "Notes"]
    assert main(["export-pack", str(out), "--scope", "programme:Nope", "--database", url]) == 2
    assert "no programme named 'Nope'" in capsys.readouterr().err
    assert main(["export-pack", str(tmp_path / "nowhere" / "p.xlsx"), "--database", url]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice is not installed here")
def test_libreoffice_prints_the_pack(pack, tmp_path):
    done = subprocess.run(["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(pack.path)],
                          capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "pack.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed: the PDF was made but its text is not checked")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for title in ("Executive pack — Project Management Office", "Projects by RAG", "Portfolio", "Milestones",
                  "Financials", "Resources", "RAID", "Governance", "Notes", "Open risks: likelihood × impact"):
        assert title in text, title


def test_an_empty_office_gets_a_pack_that_says_so(db, tmp_path):
    result = write_exec_pack(db, tmp_path / "empty.xlsx", as_of=TODAY)
    assert result.rows["Portfolio"] == 0
    workbook = load_workbook(result.path)
    assert workbook["Portfolio"]["A5"].value == "No project in this scope."
    assert not workbook["Portfolio"].tables
    summary = [c.value for row in workbook["Summary"].iter_rows() for c in row if c.value]
    assert "Fewer than two reporting periods are on record, so there is nothing to compare." in summary


def test_bank_holidays_do_not_turn_everyone_over_allocated(office):
    """A public holiday gives no hours allocated (the counting rule), so Christmas week's three bank
    holidays no longer push every fully allocated person over: the weeks with a holiday have about
    as many people over as the others (before the rule changed, 38 and 74 of 85 against at most 15,
    and the tile said 78 people)."""
    from pmo_desktop.analytics.resources import holidays_between, week_days
    from pmo_desktop.reports.pack_data import gather_pack

    with office.session() as session:
        data = gather_pack(session, as_of=TODAY)
        holidays = holidays_between(session, data.weeks[0], data.weeks[-1] + dt.timedelta(days=4))
    assert holidays, "the demo's 12 weeks from 26 Nov 2026 include the Christmas bank holidays"
    over = [sum(1 for row in data.people if (row.utilisation(i) or 0) > 1.05) for i in range(len(data.weeks))]
    with_holiday = [n for n, monday in zip(over, data.weeks, strict=True) if holidays & set(week_days(monday))]
    without = [n for n, monday in zip(over, data.weeks, strict=True) if not holidays & set(week_days(monday))]
    assert with_holiday and max(with_holiday) <= 2 * max(without)
    assert data.over_allocated_people < len(data.people) // 2 + 1


def test_the_over_allocated_tile_counts_people_over_in_several_weeks(office, pack):
    """One week over (a leave clash) does not count; the tile, the definition and the rule agree."""
    from pmo_desktop.reports.pack_data import OVER_ALLOCATED_MIN_WEEKS, gather_pack

    with office.session() as session:
        data = gather_pack(session, as_of=TODAY)
    any_week = sum(1 for row in data.people if row.over_weeks)
    persistent = sum(1 for row in data.people if row.over_weeks >= OVER_ALLOCATED_MIN_WEEKS)
    assert data.over_allocated_people == persistent
    assert 0 < persistent < any_week, "the demo has people over in a single week and people over for longer"
    summary = [[c.value for c in row] for row in load_workbook(pack.path)["Summary"].iter_rows()]
    tile = next(i for i, row in enumerate(summary) if "Over-allocated people" in row)
    column = summary[tile].index("Over-allocated people")
    assert summary[tile + 1][column] == persistent
    assert f"{OVER_ALLOCATED_MIN_WEEKS}+ of the next" in summary[tile + 2][column]
    notes = [c.value for row in load_workbook(pack.path)["Notes"].iter_rows() for c in row if c.value]
    definition = notes[notes.index("Over-allocated people") + 1]
    assert f"at least {OVER_ALLOCATED_MIN_WEEKS} of the next" in definition
