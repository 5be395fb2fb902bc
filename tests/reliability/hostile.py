"""Hostile spreadsheet files built on the fly (in a test's tmp_path), and a child-process runner.

Every builder writes a small file; the zip bombs stream hundreds of megabytes of XML through
zipfile from a generator, so neither the test nor the file ever holds them in memory.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHILD_SECONDS = 30
CHILD_MEMORY = 1536 * 1024 * 1024

FORMULAS = ("=HYPERLINK(\"http://example.invalid/x\",\"Click\")", "=cmd|' /C calc'!A0", "+1+1", "@SUM(1)",
            "-2+3", "=1+1")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Projects" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_SHEET = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}>'
          '<dimension ref="A1:B2"/><sheetData>'
          '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
          '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
          '</sheetData></worksheet>')
_STRINGS = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {_NS} count="4" uniqueCount="4">'
            '<si><t>Project ID</t></si><si><t>Project Name</t></si><si><t>H-1</t></si><si><t>Hostile</t></si>'
            '</sst>')


def _package(path: Path, *, sheet: str = _SHEET, strings: str = _STRINGS,
             big: tuple[str, Callable[[], object]] | None = None, zip64: bool = True) -> Path:
    """A minimal xlsx; ``big`` = (member name, generator of byte chunks) streams one member."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        members = {"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": strings}
        for name, text in members.items():
            if big and big[0] == name:
                with zf.open(name, "w", force_zip64=zip64) as handle:
                    for chunk in big[1]():
                        handle.write(chunk)
            else:
                zf.writestr(name, text)
    return path


BOMB_BYTES = 300 * 1024 * 1024


def _bomb_strings():
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sst {_NS}>'.encode()
    block = b"<si><t>" + b"A" * 4096 + b"</t></si>"
    for _ in range(BOMB_BYTES // len(block)):
        yield block
    yield b"</sst>"


def _bomb_sheet():
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet {_NS}><sheetData>'.encode()
    block = b" " * (1024 * 1024)
    for _ in range(BOMB_BYTES // len(block)):
        yield block
    yield b"</sheetData></worksheet>"


def zip_bomb_strings(folder: Path) -> Path:
    return _package(folder / "bomb-shared-strings.xlsx", big=("xl/sharedStrings.xml", _bomb_strings))


def zip_bomb_sheet(folder: Path) -> Path:
    return _package(folder / "bomb-sheet.xlsx", big=("xl/worksheets/sheet1.xml", _bomb_sheet))


def zip_bomb_lying_sizes(folder: Path) -> Path:
    """The shared-strings bomb whose local and central headers both claim 4 KB uncompressed."""
    path = _package(folder / "bomb-lying-sizes.xlsx", big=("xl/sharedStrings.xml", _bomb_strings), zip64=False)
    with zipfile.ZipFile(path) as zf:
        real = struct.pack("<I", zf.getinfo("xl/sharedStrings.xml").file_size)
    data = bytearray(path.read_bytes())
    patched, start = 0, 0
    while (at := data.find(real, start)) != -1:
        data[at:at + 4] = struct.pack("<I", 4096)
        patched, start = patched + 1, at + 4
    assert patched == 2, "the size sits in the local header and in the central directory"
    path.write_bytes(bytes(data))
    return path


def billion_laughs(folder: Path) -> Path:
    entities = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                                          for i in range(1, 10)]
    strings = ('<?xml version="1.0"?>\n<!DOCTYPE sst [' + "".join(entities) + f']>\n<sst {_NS}>'
               '<si><t>Project ID</t></si><si><t>Project Name</t></si><si><t>H-1</t></si><si><t>&lol9;</t></si></sst>')
    return _package(folder / "billion-laughs.xlsx", strings=strings)


def external_entity(folder: Path, url: str, name: str) -> Path:
    strings = (f'<?xml version="1.0"?>\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "{url}">]>\n<sst {_NS}>'
               '<si><t>Project ID</t></si><si><t>Project Name</t></si><si><t>H-1</t></si><si><t>&xxe;</t></si></sst>')
    return _package(folder / name, strings=strings)


def truncated(folder: Path) -> Path:
    good = _package(folder / "good.tmp.xlsx")
    data = good.read_bytes()
    good.unlink()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def corrupted(folder: Path) -> Path:
    good = _package(folder / "good2.tmp.xlsx")
    data = bytearray(good.read_bytes())
    good.unlink()
    rng = random.Random(7)
    for offset in range(200, len(data) - 200, 37):  # inside members: CRCs and deflate streams break
        data[offset] = rng.randrange(256)
    path = folder / "corrupted.xlsx"
    path.write_bytes(bytes(data))
    return path


def random_bytes(folder: Path, extension: str) -> Path:
    path = folder / f"random{extension}"
    path.write_bytes(random.Random(extension).randbytes(64 * 1024))
    return path


def encrypted_ole(folder: Path) -> Path:
    """An OLE compound file header whose directory names an EncryptedPackage (what Excel writes)."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x18:0x1C] = b"\x3e\x00\x03\x00"
    header[0x1C:0x20] = b"\xfe\xff\x09\x00"
    body = ("EncryptionInfo".encode("utf-16-le") + b"\0" * 50 + "EncryptedPackage".encode("utf-16-le")) * 8
    path = folder / "encrypted.xlsx"
    path.write_bytes(bytes(header) + body + random.Random(3).randbytes(4096))
    return path


def _projects_workbook(path: Path, headers: list[str], rows: list[list[object]], *, text_only: bool = False) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Projects"
    ws.append(headers)
    for row in rows:
        ws.append([None] * len(row))
        for column, value in enumerate(row, start=1):
            cell = ws.cell(row=ws.max_row, column=column, value=value)
            if text_only and isinstance(value, str):
                cell.data_type = "s"  # text that looks like a formula, as a PM's file holds it
    wb.save(path)
    return path


def huge_dimension(folder: Path) -> Path:
    path = folder / "huge-dimension.xlsx"
    sheet = _SHEET.replace('<dimension ref="A1:B2"/>', '<dimension ref="A1:XFD1048576"/>')
    return _package(path, sheet=sheet)


def long_cells(folder: Path) -> Path:
    return _projects_workbook(folder / "long-cells.xlsx", ["Project ID", "Project Name", "Project Manager"],
                              [["L-1", "N" * 100_000, "M" * 100_000], ["L-2", "Short", "Ann"]])


def control_characters(folder: Path) -> Path:
    path = folder / "control-chars.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Project ID", "Project Name", "Project Manager"])
        writer.writerow(["C-1", "Bell\x07and\x01nul\x1bescape", "Tab\there"])
        writer.writerow(["C-2", "Zero\u200bwidth\ufeffbom", "Del\x7fchar"])
    return path


def control_characters_xlsx(folder: Path) -> Path:
    """Control characters in shared strings, escaped (_x0007_) and raw, as odd producers write them."""
    strings = _STRINGS.replace("<t>Hostile</t>", "<t>Bell_x0007_and_x001B_esc\x01raw</t>")
    return _package(folder / "control-chars.xlsx", strings=strings)


RTL_EMOJI_ROWS = [["R-1", "مشروع الطريق السريع", "דנה כהן"], ["R-2", "Launch 🚀🔥 café", "Zoë 👩🏽‍💻"],
                  ["R-3", "mixed עברית and English \u202eevil\u202c", "Ann"]]


def rtl_emoji(folder: Path) -> Path:
    return _projects_workbook(folder / "rtl-emoji.xlsx", ["Project ID", "Project Name", "Project Manager"],
                              [list(r) for r in RTL_EMOJI_ROWS])


def formula_text(folder: Path) -> Path:
    rows = [[f"F-{i}", text, text, "Green"] for i, text in enumerate(FORMULAS, start=1)]
    return _projects_workbook(folder / "formula-text.xlsx", ["Project ID", "Project Name", "Project Manager", "RAG"],
                              rows, text_only=True)


def formula_csv(folder: Path) -> Path:
    path = folder / "formula-text.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Project ID", "Project Name", "Sponsor"])
        for i, text in enumerate(FORMULAS, start=1):
            writer.writerow([f"G-{i}", text, text])
    return path


def bad_dates(folder: Path) -> Path:
    rows = [["D-0", "Serial zero", 0], ["D-1", "Serial minus one", -1], ["D-2", "Serial three million", 3_000_000],
            ["D-3", "Thirty-first February", "31/02/2026"], ["D-4", "Good date", date(2026, 3, 31)]]
    return _projects_workbook(folder / "bad-dates.xlsx", ["Project ID", "Project Name", "Start Date"], rows)


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "zip-bomb-shared-strings": zip_bomb_strings,
    "zip-bomb-sheet": zip_bomb_sheet,
    "zip-bomb-lying-sizes": zip_bomb_lying_sizes,
    "billion-laughs": billion_laughs,
    "xxe-file": lambda f: external_entity(f, "file:///etc/passwd", "xxe-file.xlsx"),
    "xxe-http": lambda f: external_entity(f, "http://127.0.0.1:9/secret", "xxe-http.xlsx"),
    "truncated-zip": truncated,
    "corrupted-zip": corrupted,
    "random-xlsx": lambda f: random_bytes(f, ".xlsx"),
    "random-xls": lambda f: random_bytes(f, ".xls"),
    "random-ods": lambda f: random_bytes(f, ".ods"),
    "random-csv": lambda f: random_bytes(f, ".csv"),
    "encrypted-ole": encrypted_ole,
    "huge-dimension": huge_dimension,
    "long-cells": long_cells,
    "control-chars-csv": control_characters,
    "control-chars-xlsx": control_characters_xlsx,
    "rtl-emoji": rtl_emoji,
    "formula-text-xlsx": formula_text,
    "formula-text-csv": formula_csv,
    "bad-dates": bad_dates,
}

_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
network = []
def hook(event, args):
    if event.startswith("socket.") or event == "urllib.Request":
        network.append(event)
sys.addaudithook(hook)
from pmo_desktop.importer.pipeline import import_files
from pmo_desktop.model.database import open_database
db = open_database("sqlite:///" + sys.argv[1], backup=False)
outcome = import_files(db, [sys.argv[2]])
rejects = [e.describe() for row in outcome.plan.rejected for e in row.errors]
print(json.dumps({{"exit_code": outcome.exit_code, "errors": [p.message for p in outcome.file_errors],
                  "counts": [outcome.plan.counts.new, outcome.plan.counts.reject], "rejects": rejects,
                  "network": network, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}}))
"""


def table_counts(db_file: Path) -> dict[str, int]:
    """Rows in every table of a SQLite file (audit_event included)."""
    with sqlite3.connect(db_file) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def run_import_in_child(template_db: Path, path: Path, db_file: Path) -> dict:
    """Import ``path`` into a copy of ``template_db`` in a capped child; the result plus seconds."""
    shutil.copyfile(template_db, db_file)
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD.format(memory=CHILD_MEMORY), str(db_file), str(path)],
        capture_output=True, text=True, timeout=CHILD_SECONDS, cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "", "PMO_DATA_DIR": str(db_file.parent / "data"),
             "PMO_LOG_DIR": str(db_file.parent / "logs"), "PMO_CACHE_DIR": str(db_file.parent / "cache"),
             "QT_QPA_PLATFORM": "offscreen"},
    )
    if completed.returncode != 0:
        return {"crash": completed.stderr[-3000:], "seconds": time.monotonic() - started}
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["seconds"] = time.monotonic() - started
    return result
