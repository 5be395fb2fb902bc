"""A PDF pack table of hundreds of rows: every row prints whole on one page, its header on every page.

The PDF is read back with poppler's ``pdftotext``. A row that Qt breaks across two pages would
leave the words of its first part on both (drawn, clipped, above the next page's body), so a
project's name found on two pages is a broken row.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from pmo_desktop.model.database import open_database
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.services.portfolio import create_project
from pmo_desktop.ui.pdf import write_pdf_pack
from pmo_desktop.ui.pdf.pdf_pack import ONE_BY_ONE_MAX_ROWS

TODAY = dt.date(2026, 11, 26)
PROJECTS = 600
WORDS = ("Regional", "Customer", "Platform", "Migration", "Warehouse", "Analytics", "Renewal", "Programme",
         "Integration", "Compliance", "Onboarding", "Consolidation")

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")


def project_name(number: int) -> str:
    """A unique name; every third one long enough to wrap over several lines of its cell."""
    words = [WORDS[(number * 7 + i) % len(WORDS)] for i in range(2 + (number % 3 == 0) * (4 + number % 5))]
    return f"N{number:04d} {' '.join(words)}"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    db = open_database(f"sqlite:///{folder / 'office.db'}", backup=False)
    with db.transaction() as session:
        ensure_defaults(session)
        for number in range(1, PROJECTS + 1):
            create_project(session, {"code": f"L-{number:04d}", "name": project_name(number),
                                     "programme": "Long Programme", "manager": "Ann Lee", "stage": "Execution",
                                     "budget": 1000 * number})
    result = write_pdf_pack(db, folder / "pack.pdf", as_of=TODAY, sections=["Portfolio"])
    db.dispose()
    text = subprocess.run(["pdftotext", str(result.path), "-"], capture_output=True, text=True, check=True).stdout
    return result, [re.sub(r"\s+", "", page) for page in text.split("\f")[:-1]]


def test_the_table_is_longer_than_the_rows_moved_one_by_one():
    assert PROJECTS > ONE_BY_ONE_MAX_ROWS


def test_every_row_prints_whole_on_exactly_one_page(pack):
    _result, pages = pack
    found = {number: [index for index, page in enumerate(pages) if re.sub(r"\s+", "", project_name(number)) in page]
             for number in range(1, PROJECTS + 1)}
    assert {number: where for number, where in found.items() if len(where) != 1} == {}
    codes = {number: [index for index, page in enumerate(pages) if f"L-{number:04d}" in page]
             for number in range(1, PROJECTS + 1)}
    assert codes == found


def test_the_header_row_heads_every_page_of_the_table(pack):
    _result, pages = pack
    table_pages = [page for page in pages if "L-0" in page]
    assert len(table_pages) > 10
    assert all("Forecast(EAC)" in page and "Variance" in page for page in table_pages)
