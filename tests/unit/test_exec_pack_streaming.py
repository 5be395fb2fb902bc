"""The pack's long sheets are streamed to disk as they are laid out: what a reader sees is unchanged.

Portfolio, RAID and Governance are written row by row (a write-only workbook); the small sheets
are laid out in memory among them. These tests look at what the streamed sheets must still
carry — wrapped rows grown to their text, the risk matrix beside the register, table headers
— and that a cancelled pack leaves no temporary file behind.
"""

from __future__ import annotations

import datetime as dt
import errno
import tempfile

import pytest
from openpyxl import load_workbook

from pmo_desktop.model.database import open_database
from pmo_desktop.reports.exec_pack import wrapped_lines, write_exec_pack

TODAY = dt.date(2026, 11, 26)
HEADER_ROW = 4


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    from pmo_desktop.demo import build_demo

    folder = tmp_path_factory.mktemp("streamed")
    db = open_database(f"sqlite:///{folder / 'office.db'}", backup=False)
    build_demo(db, today=TODAY)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def workbook(office, tmp_path_factory):
    path = tmp_path_factory.mktemp("out") / "pack.xlsx"
    write_exec_pack(office, path, as_of=TODAY)
    return load_workbook(path)


def test_gate_decision_rows_grow_to_their_wrapped_text(workbook):
    sheet = workbook["Gate decisions"]
    widths = {c: sheet.column_dimensions[letter].width for c, letter in enumerate("ABCDEFG", start=1)}
    decisions_header = HEADER_ROW
    assert sheet.cell(row=decisions_header, column=1).value == "Date"
    assert sheet.cell(row=decisions_header, column=7).value == "Conditions"
    grown = 0
    for r in range(decisions_header + 1, sheet.max_row + 1):
        values = [sheet.cell(row=r, column=c).value for c in range(1, 8)]
        if values[0] is None:
            break
        assert isinstance(values[0], dt.datetime) and sheet.cell(row=r, column=1).number_format == "dd mmm yyyy"
        lines = max([1] + [wrapped_lines(values[c - 1], widths[c]) for c in (3, 4, 5, 7) if values[c - 1]])
        height = sheet.row_dimensions[r].height
        if lines == 1:
            assert height is None, f"row {r} grew with one line of text"
            continue
        grown += 1
        assert height == 14 * lines + 2, r
        for c in range(1, 8):  # every cell of a grown row reads from the top, empty ones too
            alignment = sheet.cell(row=r, column=c).alignment
            assert alignment.vertical == "top", (r, c)
            assert bool(alignment.wrap_text) == (c in (3, 4, 5, 7)), (r, c)
    assert grown, "the demo office has gate decisions with conditions on several lines"


def test_streamed_sheets_keep_their_tables_and_the_matrix_beside_the_register(workbook):
    raid = workbook["RAID"]
    (register,) = raid.tables.values()
    assert register.ref.startswith(f"A{HEADER_ROW}:L")
    assert [c.name for c in register.tableColumns] == [raid.cell(row=HEADER_ROW, column=c).value
                                                        for c in range(1, 13)]
    assert raid.cell(row=HEADER_ROW - 1, column=14).value == "Open risks: likelihood × impact"
    assert raid.cell(row=HEADER_ROW, column=14).value == "Likelihood ↓ / Impact →"
    grid = [[raid.cell(row=r, column=c).value for c in range(15, 20)] for r in range(HEADER_ROW + 1, HEADER_ROW + 6)]
    assert all(isinstance(count, int) for row in grid for count in row) and sum(map(sum, grid)) > 0
    assert raid.cell(row=HEADER_ROW + 1, column=1).value is not None  # the register's rows share those rows
    for name in ("Portfolio", "Governance"):
        sheet = workbook[name]
        for table in sheet.tables.values():
            first = int("".join(ch for ch in table.ref.split(":")[0] if ch.isdigit()))
            assert [c.name for c in table.tableColumns] == [
                sheet.cell(row=first, column=c).value for c in range(1, len(table.tableColumns) + 1)], table.name


def test_a_pack_cancelled_while_streaming_leaves_no_temporary_file(office, tmp_path, monkeypatch):
    scratch = tmp_path / "temp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    class Cancelled(Exception):
        pass

    class Progress:
        """Cancels at the first check after the Governance sheet began: three sheets are streamed by then."""

        def __init__(self):
            self.text = ""

        def report(self, done, total=0, text=None):
            self.text = text or ""

        def check(self):
            if self.text == "Writing Governance…":
                raise Cancelled()

    target = tmp_path / "pack.xlsx"
    with pytest.raises(Cancelled):
        write_exec_pack(office, target, as_of=TODAY, progress=Progress())
    assert not target.exists()
    assert not list(scratch.iterdir())


def test_a_save_that_fails_part_way_leaves_no_temporary_file(office, tmp_path, monkeypatch):
    from openpyxl.writer.excel import ExcelWriter

    from pmo_desktop.reports.exec_pack import ExecPackError

    scratch = tmp_path / "temp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    write_sheet = ExcelWriter.write_worksheet
    saved: list[str] = []

    def disk_full_at_the_third_sheet(self, ws):
        if len(saved) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        write_sheet(self, ws)
        saved.append(ws.title)

    monkeypatch.setattr(ExcelWriter, "write_worksheet", disk_full_at_the_third_sheet)
    target = tmp_path / "pack.xlsx"
    with pytest.raises(ExecPackError, match="The disk is full"):
        write_exec_pack(office, target, as_of=TODAY)
    assert saved == ["Summary", "Portfolio"]
    assert not target.exists()
    assert not list(scratch.iterdir())
