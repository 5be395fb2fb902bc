"""Exports under crashes and a full disk: never a truncated file under the final name.

Crash safety: ``export_writer.py`` runs as a separate program, writing the executive pack
(workbook or PDF) or a 20,000-row table export to the same file again and again; it is killed
with SIGKILL at a random moment (seeded) after it is ready, at least KILLS times per export. After
each kill the file under the final name is either absent (no export has finished yet) or a whole
file that opens: a whole zip that openpyxl reads with every row, or a PDF that poppler reads
page by page. A temporary file may stay behind a kill: always ``.NAME.partial``, never the final
name, and the next export to the same name replaces and removes it.

Full disk: the write fails with ENOSPC part-way through (bytes already written), as on a full
drive; the export says so in words, the previous file under the final name is untouched and
no partial file is left.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pmo_desktop.demo import build_demo
from pmo_desktop.model.database import open_database
from pmo_desktop.reports.exec_pack import ExecPackError, write_exec_pack
from pmo_desktop.reports.table_export import TableExportError, export_rows

from .export_writer import AS_OF, TABLE_COLUMNS, TABLE_ROWS

pytestmark = pytest.mark.slow

KILLS = max(10, round(10 * float(os.environ.get("PMO_CRASH_KILLS", "1"))))
WRITER = Path(__file__).with_name("export_writer.py")
PACK_SHEETS = ["Summary", "Portfolio", "Milestones", "Financials", "Resources", "RAID", "Governance", "Gate decisions",
               "Notes"]


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export-crash") / "office.db"
    db = open_database(path, backup=False)
    build_demo(db, today=AS_OF)
    db.dispose()
    return path


@dataclass
class ExportTally:
    """What the kills left under the final name."""

    kills: int = 0
    kept: int = 0  # killed before its rename: the previous export is still there, whole
    replaced: int = 0  # killed after at least one rename: a new export is there, whole
    temporary_left: set[str] = field(default_factory=set)

    def summary(self) -> str:
        return (f"{self.kills} kills, 0 truncated: {self.kept} left the previous export whole (killed "
                f"mid-export), {self.replaced} a new whole export; {len(self.temporary_left)} temporary "
                "files left beside it")


class Writer:
    """One run of export_writer.py: started, waited for, killed."""

    def __init__(self, kind: str, database: Path, target: Path):
        self.process = subprocess.Popen([sys.executable, str(WRITER), kind, str(database), str(target)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def line(self) -> str:
        text = self.process.stdout.readline()
        if not text:
            self.process.wait()
            raise AssertionError(f"the writer stopped by itself ({self.process.returncode}):\n"
                                 f"{self.process.stderr.read()}")
        return text.strip()

    def kill(self) -> int:
        """SIGKILL the writer; returns how many exports it finished."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        assert self.process.returncode == -signal.SIGKILL
        rest = self.process.stdout.read()
        self.process.stdout.close()
        self.process.stderr.close()
        return rest.count("written")


def check_pack_workbook(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    assert load_workbook(path, read_only=True).sheetnames == PACK_SHEETS


def check_table(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    sheet = load_workbook(path, read_only=True).active
    rows = [row for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]
    assert len(rows) == 3 + TABLE_ROWS, "title, note, header and every row"
    assert str(rows[-1][0]).endswith(f"-{TABLE_ROWS - 1}")
    assert "=SUM(A1:A2)" in {row[1] for row in rows}


def check_pdf(path: Path) -> None:
    content = path.read_bytes()
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", content))
    assert pages > 8
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert text.count("\f") == pages and f"Page {pages} of {pages}" in text


CHECKS = {"xlsx": check_pack_workbook, "pdf": check_pdf, "table": check_table}


@pytest.mark.parametrize("kind", ["xlsx", "pdf", "table"])
def test_a_killed_export_never_leaves_a_truncated_file(office, tmp_path, kind, capsys):
    target = tmp_path / f"export.{'pdf' if kind == 'pdf' else 'xlsx'}"
    check = CHECKS[kind]
    # A first run writes the export once; how long that took (lazy imports included, as in every
    # new writer) sets the span the kills fall in. Its file is the "previous export" of the next kill.
    first = Writer(kind, office, target)
    assert first.line() == "ready"
    cycle = float(first.line().split()[1])
    first.kill()
    check(target)

    rng = random.Random(f"{kind}-20261126")
    tally = ExportTally()
    while tally.kills < KILLS:
        previous = target.stat().st_ino
        writer = Writer(kind, office, target)
        assert writer.line() == "ready"
        time.sleep(rng.uniform(0.0, 1.2 * cycle))
        finished = writer.kill()
        tally.kills += 1
        check(target)
        if target.stat().st_ino == previous:
            assert finished == 0
            tally.kept += 1
        else:
            tally.replaced += 1
        tally.temporary_left |= {p.name for p in tmp_path.iterdir() if p != target}
    assert target.name not in tally.temporary_left
    # One fixed temporary name, reused and removed by the next export: kills never pile up files.
    assert tally.temporary_left <= {f".{target.name}.partial"}, tally.temporary_left
    assert tally.kept >= 3, f"too few kills fell inside an export: {tally.summary()}"
    with capsys.disabled():
        print(f"\nexport {kind}: {tally.summary()}")


class _FullDisk:
    """Makes the n-th write of zip members raise ENOSPC, after real bytes went to the file."""

    def __init__(self, monkeypatch, after: int = 3):
        self.calls = 0
        real = zipfile.ZipFile.writestr

        def writestr(archive, name, data, *args, **kwargs):
            self.calls += 1
            if self.calls > after:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(archive, name, data, *args, **kwargs)

        monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)


def _previous(target: Path) -> bytes:
    target.write_bytes(b"the previous export")
    return target.read_bytes()


def test_a_full_disk_during_the_pack_workbook(office, tmp_path, monkeypatch):
    target = tmp_path / "pack.xlsx"
    before = _previous(target)
    db = open_database(office, backup=False)
    try:
        disk = _FullDisk(monkeypatch)
        with pytest.raises(ExecPackError) as caught:
            write_exec_pack(db, target, as_of=AS_OF)
    finally:
        db.dispose()
    assert disk.calls > 3, "the disk filled part-way through the save"
    assert str(caught.value).startswith(f"The disk is full: {target} was not saved")
    assert target.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["pack.xlsx"]


def test_a_full_disk_during_the_pack_pdf(office, tmp_path, monkeypatch):
    from pmo_desktop.ui.pdf import PdfPackError, pdf_pack, write_pdf_pack

    target = tmp_path / "pack.pdf"
    before = _previous(target)
    real_open = open
    chunks = []

    class FillingFile:
        def __init__(self, handle):
            self.handle = handle

        def write(self, chunk):
            if chunks:
                raise OSError(errno.ENOSPC, "No space left on device")
            chunks.append(len(chunk))
            return self.handle.write(chunk)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    monkeypatch.setattr(pdf_pack, "CHUNK", 64 * 1024)
    monkeypatch.setattr(pdf_pack, "open", lambda *a, **k: FillingFile(real_open(*a, **k)), raising=False)
    db = open_database(office, backup=False)
    try:
        with pytest.raises(PdfPackError) as caught:
            write_pdf_pack(db, target, as_of=AS_OF)
    finally:
        db.dispose()
    assert chunks == [64 * 1024]
    assert str(caught.value).startswith(f"The disk is full: {target} was not saved")
    assert target.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["pack.pdf"]


def test_a_full_disk_during_a_table_export(tmp_path, monkeypatch):
    target = tmp_path / "table.xlsx"
    before = _previous(target)
    rows = [(f"R{i}", "=SUM(A1:A2)", "A title", dt.date(2026, 1, 1), i, 1000.0, 0.5) for i in range(2_000)]
    disk = _FullDisk(monkeypatch)
    with pytest.raises(TableExportError) as caught:
        export_rows(target, "RAID register", TABLE_COLUMNS, rows)
    assert disk.calls > 3
    assert str(caught.value).startswith(f"The disk is full: {target} was not saved")
    assert target.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["table.xlsx"]

