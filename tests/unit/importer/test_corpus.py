"""Every file of the shared corpus is either read into sensible sheets or refused clearly.

Hostile files are opened in a child process with a time limit and an address-space cap, so a
reader regression (a zip bomb inflating, an entity expanding) fails the test instead of taking
the machine down.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pmo_desktop.importer.errors import ImportFileError
from pmo_desktop.importer.readers import read_workbook

from .conftest import REPO, corpus_dir


@dataclass(frozen=True)
class Expect:
    """What reading one corpus file must give."""

    outcome: str  # "read" or "refused"
    detail: str = ""
    """For "read": the format and first sheet name, "fmt:Sheet"; for "refused": words of the message."""
    rows: int | None = None
    """For "read": rows in the first sheet."""


EXPECTED: dict[str, Expect] = {
    # templates: real PMO workbooks
    "templates/dft-dca-master-q4-2019.xlsx": Expect("read", "xlsx:Master", 30),
    "templates/dft-gmpp-quarterly-return-blank.xlsm": Expect("read", "xlsm:Introduction", 69),
    "templates/dft-gmpp-return-datamap.csv": Expect("read", "csv:dft-gmpp-return-datamap", 1945),
    "templates/dft-milestones-mixed-date-formats.xlsx": Expect("read", "xlsx:Sheet1", 26),
    "templates/dft-portfolio-master-minimal.xlsx": Expect("read", "xlsx:Sheet1", 19),
    "templates/dft-portfolio-master-q4-2019.xlsx": Expect("read", "xlsx:Master", 1964),
    "templates/dft-risk-log-by-quarter.xlsx": Expect("read", "xlsx:Q1_20_21 all data", 31),
    "templates/dft-risk-master-q1-2020.xlsx": Expect("read", "xlsx:Master", 96),
    "templates/inazuma-gantt-ja.xlsm": Expect("read", "xlsm:InazumaGantt", 19),
    "templates/ms-caf-raci-template.xlsx": Expect("read", "xlsx:Org Alignment", 30),
    "templates/ms-contoso-status-reports.xlsx": Expect("read", "xlsx:June Status", 15),
    "templates/pm-gantt-project-plan-dashboard.xlsx": Expect("read", "xlsx:Dashboard", 15),
    "templates/pm-milestone-tracker.xlsx": Expect("read", "xlsx:Milestone Tracker", 6),
    "templates/pm-project-budget-management.xlsx": Expect("read", "xlsx:Budget Tracker", 6),
    "templates/pm-resource-allocation-tracker.xlsx": Expect("read", "xlsx:Resource List", 5),
    "templates/pm-risk-assessment-matrix.xlsx": Expect("read", "xlsx:Risk Data", 6),
    # reader-edge: odd producers and features
    "reader-edge/calamine-biff5-rich-text-string.xls": Expect("read", "xls:Sheet1", 16),
    "reader-edge/calamine-has_x000D_.xlsx": Expect("read", "xlsx:Sheet1", 1),
    "reader-edge/calamine-inlineStr_cdata.xlsx": Expect("read", "xlsx:Sheet1", 2),
    "reader-edge/calamine-nonstandard-xml-ns-prefix.xlsx": Expect("read", "xlsx:Sheet1", 3),
    "reader-edge/calamine-number_rows_repeated.ods": Expect("read", "ods:Sheet1", 8),
    "reader-edge/calamine-strict_iso_paths.xlsx": Expect("read", "xlsx:ml_out", 76),
    "reader-edge/dft-xlsm-content-in-xlsx-extension.xlsx": Expect("read", "xlsm:Introduction", 69),
    "reader-edge/edr-NoDimensionOrCellReferenceAttribute.xlsx": Expect("read", "xlsx:Continent", 7),
    "reader-edge/edr-as3xls_BIFF2.xls": Expect("refused", "before 1995"),
    "reader-edge/edr-encrypted-agile-AES256-pwd-password.xlsx": Expect("refused", "password-protected"),
    "reader-edge/edr-googlesourced.xlsx": Expect("read", "xlsx:Sheet 1", 5),
    "reader-edge/edr-utf16le_bom.csv": Expect("read", "csv:edr-utf16le_bom", 3),
    "reader-edge/phpss-utf16be.xlsx": Expect("read", "xlsx:Sheet1", 1),
    "reader-edge/phpss-zip-windows-dir-separator.xlsx": Expect("read", "xlsx:Sheet", 3),
    "reader-edge/poi-SampleSS.strict.xlsx": Expect("read", "xlsx:First Sheet", 4),
    "reader-edge/sheetjs-1904.xlsx": Expect("read", "xlsx:Sheet1", 5),
    "reader-edge/sheetjs-LONumbers.xlsx": Expect("read", "xlsx:Sheet1", 38),
    "reader-edge/sheetjs-formula_stress_test.ods": Expect("read", "ods:Database", 45),
    "reader-edge/sheetjs-gnumeric-A4X.xls": Expect("read", "xls:Sheet1", 4),
    "reader-edge/sheetjs-merge_cells.xlsx": Expect("read", "xlsx:Merge", 4),
    "reader-edge/sheetjs-numbers-Attendance.xlsx": Expect("read", "xlsx:Attendance - Attendance", 26),
    "reader-edge/sheetjs-numbers-minimal_112.xlsx": Expect("read", "xlsx:Sheet 1", 3),
    "reader-edge/sheetjs-rich_text_stress.xlsx": Expect("read", "xlsx:Sheet1", 15),
    "reader-edge/sheetjs-sheet_visibility.xlsx": Expect("read", "xlsx:Visible", 2),
    "reader-edge/sheetjs-wps-fn.xlsx": Expect("read", "xlsx:Sheet1", 3),
    "reader-edge/sheetjs-wtf_path.xlsx": Expect("read", "xlsx:SheetJS", 6),
    # hostile: malicious and broken files
    "hostile/calamine-OOM_alloc.xls": Expect("read", "xls:Weekly Report", 28),
    "hostile/calamine-issue_594_dos.ods": Expect("refused", "far more cells"),
    "hostile/edr-EmptyZipFile.xlsx": Expect("refused", "does not contain a spreadsheet"),
    "hostile/openspout-attack_billion_laughs.ods": Expect("refused", "entity declarations"),
    "hostile/openspout-attack_billion_laughs.xlsx": Expect("refused", "entity declarations"),
    "hostile/openspout-attack_quadratic_blowup.xlsx": Expect("refused", "entity declarations"),
    # 71 bytes of CSV text named .xlsx: the first bytes decide, so it is read as the CSV it is.
    "hostile/openspout-file_corrupted.xlsx": Expect("read", "csv:openspout-file_corrupted", 3),
    "hostile/phpss-ebcdic.xlsx": Expect("refused", "entity declarations"),
    "hostile/phpss-javascript-hyperlink.xlsx": Expect("read", "xlsx:Sheet1", 1),
    "hostile/phpss-row-999999999.xlsx": Expect("read", "xlsx:Sheet1", 1),
    "hostile/phpss-xxe-utf16-external-entity.xlsx": Expect("refused", "entity declarations"),
    "hostile/poi-54764-2.xlsx": Expect("refused", "entity declarations"),
    "hostile/poi-clusterfuzz-truncated.xlsx": Expect("refused", "damaged"),
    "hostile/poi-invalid.xlsx": Expect("refused", "empty package"),
    "hostile/poi-poc-shared-strings.xlsx": Expect("read", "xlsx:Tabelle1", 3999),
    "hostile/poi-poc-xmlbomb.xlsx": Expect("refused", "entity declarations"),
    "hostile/poi-xxe_in_schema.xlsx": Expect("read", "xlsx:Sheet1", 10),
    "hostile/pycalamine-empty_file.xlsx": Expect("refused", "empty (0 bytes)"),
}

HOSTILE_SECONDS = 30
HOSTILE_MEMORY = 1536 * 1024 * 1024

_CHILD = """
import hashlib, json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
from pmo_desktop.importer.errors import ImportFileError
from pmo_desktop.importer.readers import read_workbook
path = sys.argv[1]
before = hashlib.sha256(open(path, "rb").read()).hexdigest()
try:
    wb = read_workbook(path)
    result = {{"outcome": "read", "format": wb.format, "sheets": [[s.name, len(s.rows)] for s in wb.sheets]}}
except ImportFileError as exc:
    result = {{"outcome": "refused", "message": exc.message}}
result["unchanged"] = hashlib.sha256(open(path, "rb").read()).hexdigest() == before
print(json.dumps(result))
"""


def _corpus_files() -> list[str]:
    folder = corpus_dir()
    if not folder.is_dir():
        return sorted(EXPECTED)
    return sorted(
        str(p.relative_to(folder)) for p in folder.glob("*/*") if p.is_file() and p.suffix != ".md"
    )


def test_every_corpus_file_has_an_expectation(corpus: Path) -> None:
    assert set(_corpus_files()) == set(EXPECTED)


def _read_in_child(path: Path) -> dict:
    script = _CHILD.format(memory=HOSTILE_MEMORY)
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True, text=True, timeout=HOSTILE_SECONDS, cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["seconds"] = time.monotonic() - started
    return result


def _read_here(path: Path) -> dict:
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    started = time.monotonic()
    try:
        wb = read_workbook(path)
        result = {"outcome": "read", "format": wb.format, "sheets": [[s.name, len(s.rows)] for s in wb.sheets]}
    except ImportFileError as exc:
        result = {"outcome": "refused", "message": exc.message}
    result["seconds"] = time.monotonic() - started
    result["unchanged"] = hashlib.sha256(path.read_bytes()).hexdigest() == before
    return result


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_corpus_file_is_read_or_refused(corpus: Path, relative: str) -> None:
    path = corpus / relative
    expect = EXPECTED[relative]
    result = _read_in_child(path) if relative.startswith("hostile/") else _read_here(path)
    assert result["unchanged"], "reading must never modify the file"
    assert result["seconds"] < 20
    assert result["outcome"] == expect.outcome, result
    if expect.outcome == "read":
        fmt, first_sheet = expect.detail.split(":", 1)
        assert result["format"] == fmt
        assert result["sheets"][0] == [first_sheet, expect.rows]
    else:
        message = result["message"]
        assert message.startswith(path.name + " "), "the message names the file"
        assert expect.detail in message
        assert ": " in message, "the message says what to do"
