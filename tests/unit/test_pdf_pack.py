"""The executive pack as PDF: the pages a director reads show the analytics' numbers, as typed, within the page.

The PDF is read back with poppler's ``pdftotext`` (an independent reader): its text per page
(pages are separated by form feeds) and, for the overflow check, every word's box.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from pmo_desktop.analytics.governance import compliance_exceptions
from pmo_desktop.analytics.portfolio import Thresholds, portfolio_kpis, portfolio_total
from pmo_desktop.cli import main
from pmo_desktop.model.database import load_settings, open_database
from pmo_desktop.reports.exec_pack import SECTIONS, kpi_tiles, short_money
from pmo_desktop.reports.pack_data import OVER_ALLOCATED_MIN_WEEKS, ScopeError, gather_pack
from pmo_desktop.services.portfolio import create_project
from pmo_desktop.services.raid import RaidDraft, create_item
from pmo_desktop.ui.pdf import PdfPackError, write_pdf_pack

TODAY = dt.date(2026, 11, 26)
NASTY_NAMES = ('=HYPERLINK("http://example.com/x","click me")', "+1", "@x", "-2+3", "=1+1", "<b>bold</b> & co")
NASTY_MANAGER = "=cmd|' /C calc'!A0"
LONG_TITLE = "Unbroken" + "X" * 280
A4_LANDSCAPE = (841.89, 595.28)
MARGIN_PT = 12 / 25.4 * 72
HEADER_BOTTOM_PT = 44.0  # the running header lies above this line, the body below it
FOOTER_TOP_PT = 556.0  # and the footer below this one
XHTML = "{http://www.w3.org/1999/xhtml}"

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) is not installed")


def pdf_pages(path, *, layout: bool = False) -> list[str]:
    """The text of each page: block by block in reading order, or (``layout``) as laid out on the page."""
    command = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def squeezed(text: str) -> str:
    """``text`` without whitespace, so that a value wrapped over two lines of a cell still matches."""
    return re.sub(r"\s+", "", text)


def page_words(path, folder) -> list[list[tuple[float, float, float, float, str]]]:
    """Every word of each page with its box (x0, y0, x1, y1 in points from the top left)."""
    out = folder / f"{path.stem}-words.html"
    subprocess.run(["pdftotext", "-bbox", str(path), str(out)], check=True)
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", out.read_text(encoding="utf-8")))
    pages = []
    for page in root.iter(f"{XHTML}page"):
        pages.append([(float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")), float(w.get("yMax")),
                       w.text or "") for w in page.iter(f"{XHTML}word")])
    return pages


def bands(path, folder) -> list[tuple[list[str], list[str]]]:
    """Each page's running header and footer: the words above and below the body, left to right."""
    result = []
    for words in page_words(path, folder):
        header = sorted(w for w in words if w[3] <= HEADER_BOTTOM_PT)
        footer = sorted(w for w in words if w[1] >= FOOTER_TOP_PT)
        result.append(([w[4] for w in header], [w[4] for w in footer]))
    return result


def shows(words: list[str], text: str) -> bool:
    """True when the words of ``text`` appear in ``words`` in order (other words may come between)."""
    remaining = iter(words)
    return all(any(word == seen for seen in remaining) for word in text.split())


def section_pages(pages: list[str], headers, section: str) -> list[str]:
    """The pages whose running header names ``section``."""
    return [page for page, (header, _) in zip(pages, headers, strict=True)
            if shows(header, f"Executive pack — {section}")]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The demo office, plus projects named like formulas or markup and a risk with a very long title."""
    from pmo_desktop.demo import build_demo

    folder = tmp_path_factory.mktemp("pdfpack")
    db = open_database(f"sqlite:///{folder / 'office.db'}", backup=False)
    build_demo(db, today=TODAY)
    with db.transaction() as session:
        ids = []
        for i, name in enumerate(NASTY_NAMES, start=1):
            ids.append(create_project(session, {"code": f"ZZ-{i:03d}", "name": name, "programme": "Data Platform",
                                                "manager": NASTY_MANAGER, "stage": "Execution",
                                                "budget": 1000 * i}))
        create_item(session, RaidDraft(title=LONG_TITLE, project_id=ids[0], likelihood=5, impact=5, owner="Ann Lee"),
                    today=TODAY)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def pack(office, tmp_path_factory):
    path = tmp_path_factory.mktemp("out") / "pack.pdf"
    return write_pdf_pack(office, path, as_of=TODAY)


@pytest.fixture(scope="module")
def pages(pack):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return pdf_pages(pack.path)


@pytest.fixture(scope="module")
def headers(pack, tmp_path_factory):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return bands(pack.path, tmp_path_factory.mktemp("words"))


@pytest.fixture(scope="module")
def laid_out(pack):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return pdf_pages(pack.path, layout=True)


def test_the_pdf_is_whole_and_names_its_pages(pack):
    content = pack.path.read_bytes()
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", content)) == pack.pages > len(SECTIONS)
    assert pack.sections == SECTIONS
    assert not list(pack.path.parent.glob(".*.partial"))


@needs_pdftotext
def test_a_cover_then_every_section_with_header_and_page_numbers(pack, pages, headers, office):
    assert len(pages) == len(headers) == pack.pages
    with office.session() as session:
        office_name = load_settings(session).office_name
    cover = pages[0]
    assert "Executive pack" in cover and office_name in cover
    assert "Whole portfolio · as of 26 November 2026" in cover
    assert f"generated {dt.date.today():%d %B %Y}" in cover
    firsts = [next(i for i, (header, _) in enumerate(headers) if shows(header, f"Executive pack — {name}"))
              for name in SECTIONS]
    assert firsts == sorted(firsts) and firsts[0] == 1, "sections follow the cover in the workbook's order"
    assert headers[0][0] == [], "the cover has no running header"
    generated = f"{dt.date.today():%d %b %Y}"
    for number, (header, footer) in enumerate(headers, start=1):
        # Exactly these words: no text of a table row broken over the page hides (clipped) beside them.
        assert " ".join(footer[:7]) == f"PMO Desktop · generated {generated}"
        assert " ".join(footer[8:]) == f"· Whole portfolio · as of 26 Nov 2026 Page {number} of {pack.pages}"
        if number > 1:
            assert re.fullmatch(rf"{office_name} Executive pack — (\w+) Whole portfolio · as of 26 Nov 2026",
                                " ".join(header)), header


def tile_values(summary: str, labels: list[str]) -> dict[str, str]:
    """Each tile's figure: a row of five labels is followed, in reading order, by its five figures."""
    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    values = {}
    for first in range(0, len(labels), 5):
        row = labels[first:first + 5]
        at = lines.index(row[0])
        assert lines[at:at + len(row)] == row
        values.update(zip(row, lines[at + len(row):at + 2 * len(row)], strict=True))
    return values


@needs_pdftotext
def test_kpi_tiles_equal_the_analytics(office, pages, headers):
    with office.session() as session:
        kpis = portfolio_kpis(session, TODAY, Thresholds.from_settings(load_settings(session)))
        data = gather_pack(session, as_of=TODAY)
        exceptions = compliance_exceptions(session, TODAY, load_settings(session))
    total = portfolio_total(kpis)
    summary = "\n".join(section_pages(pages, headers, "Summary"))
    tiles = tile_values(summary, [tile.label for tile in kpi_tiles(data)])
    persistent = sum(1 for row in data.people if row.over_weeks >= OVER_ALLOCATED_MIN_WEEKS)
    assert persistent < sum(1 for row in data.people if row.over_weeks)
    assert tiles == {
        "Projects": f"{len(kpis)}",
        "Budget (BAC)": short_money(total.bac, data),
        "Forecast (EAC)": short_money(total.eac, data),
        "SPI (schedule)": f"{total.spi:.2f}",
        "CPI (cost)": f"{total.cpi:.2f}",
        "Milestones hit": f"{total.milestone_hit_rate:.0%}",
        "Over-allocated people": f"{persistent}",
        "Open high risks": f"{data.open_high_risks}",
        "Compliance rate": f"{data.compliance_rate:.0%}",
        "RAG changes": f"{len(data.changes.moves)}",
    }
    flat = " ".join(summary.split())
    assert f"{OVER_ALLOCATED_MIN_WEEKS}+ of the next" in flat
    assert f"{len(exceptions)} exceptions" in flat


@needs_pdftotext
def test_portfolio_rows_equal_the_analytics(office, laid_out, headers):
    with office.session() as session:
        kpis = portfolio_kpis(session, TODAY, Thresholds.from_settings(load_settings(session)))
        symbol = load_settings(session).currency_symbol.strip()
    lines = [line for page in section_pages(laid_out, headers, "Portfolio") for line in page.splitlines()]
    for k in kpis:
        row = next((line for line in lines if line.strip().startswith(k.code + " ")), None)
        assert row is not None, f"{k.code} is not in the Portfolio table"
        if k.bac:
            assert f"{symbol}{k.bac:,.0f}" in row, (k.code, row)
        if k.spi is not None:
            assert f"{k.spi:.2f}" in row


@needs_pdftotext
def test_header_row_repeats_on_each_page_of_a_long_table(pack, tmp_path, headers):
    """On every page a long table runs onto, its column titles come first, above the rows."""
    words = page_words(pack.path, tmp_path)

    def continuation_pages(section: str):
        pages = [w for w, (header, _) in zip(words, headers, strict=True)
                 if shows(header, f"Executive pack — {section}")]
        return pages[1:]  # the first page of a section opens with its title, then the table's header

    def titles_at_the_top(page) -> set[str]:
        body = [w for w in page if w[1] > HEADER_BOTTOM_PT and w[3] < FOOTER_TOP_PT]
        top = min(w[1] for w in body)
        return {w[4] for w in body if w[1] <= top + 45}  # a heading may come first (a new table)

    portfolio = continuation_pages("Portfolio")
    assert len(portfolio) >= 2, "the demo's portfolio table runs over several pages"
    for page in portfolio:
        assert {"Code", "Project", "Programme", "Stage", "Manager", "Reported", "Derived", "Budget", "Variance",
                "SPI", "CPI"} <= titles_at_the_top(page)
        code_y = max(w[3] for w in page if w[4] == "Code")
        rows = [w for w in page if re.fullmatch(r"[A-Z]{2,3}-\d{3}", w[4])]
        assert rows and min(w[1] for w in rows) > code_y
    governance = continuation_pages("Governance")
    assert len(governance) >= 2
    for page in governance:
        titles = titles_at_the_top(page)
        assert ({"Rule", "Project", "Name", "Manager", "Since", "Detail"} <= titles
                or {"Date", "Project", "Name", "Gate", "Decision", "Conditions"} <= titles), titles


@needs_pdftotext
def test_text_from_data_prints_as_typed(pack, pages):
    flat = squeezed(" ".join(pages))
    for name in (*NASTY_NAMES, NASTY_MANAGER):
        assert squeezed(name) in flat, name
    content = pack.path.read_bytes()
    for action in (b"/JavaScript", b"/Launch", b"/URI", b"/EmbeddedFile"):
        assert action not in content


@needs_pdftotext
def test_nothing_runs_off_the_page(pack, tmp_path):
    """Every word (the 288-character unbroken title too) lies inside the page margins."""
    out = tmp_path / "words.html"
    subprocess.run(["pdftotext", "-bbox", str(pack.path), str(out)], check=True)
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", out.read_text(encoding="utf-8")))
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    width, height = A4_LANDSCAPE
    words = 0
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        assert abs(float(page.get("width")) - width) < 1 and abs(float(page.get("height")) - height) < 1
        for word in page.findall("x:word", ns):
            words += 1
            x0, x1 = float(word.get("xMin")), float(word.get("xMax"))
            y0, y1 = float(word.get("yMin")), float(word.get("yMax"))
            assert x0 >= MARGIN_PT - 1 and x1 <= width - MARGIN_PT + 1, (word.text, x0, x1)
            assert y0 >= 0 and y1 <= height, (word.text, y0, y1)
    assert words > 5_000
    assert squeezed(LONG_TITLE) in squeezed(" ".join(pdf_pages(pack.path)))


@needs_pdftotext
def test_sections_and_scope_choose_what_is_printed(office, tmp_path):
    result = write_pdf_pack(office, tmp_path / "raid.pdf", as_of=TODAY, scope=("programme", "data platform"),
                            sections=("RAID", "Summary"))
    assert result.sections == ("Summary", "RAID") and result.scope == ("programme", "Data Platform")
    pages = pdf_pages(result.path)
    headers = bands(result.path, tmp_path)
    assert [name for name in SECTIONS if section_pages(pages, headers, name)] == ["Summary", "RAID"]
    assert shows(headers[1][0], "Programme: Data Platform · as of 26 Nov 2026")
    raid = "\n".join(section_pages(pages, headers, "RAID"))
    assert set(re.findall(r"\b([A-Z]{2,3})-\d{3}\b", raid)) == {"DAT", "ZZ"}


def test_unknown_scope_bad_names_and_sections_are_refused(office, tmp_path):
    with pytest.raises(ScopeError):
        write_pdf_pack(office, tmp_path / "x.pdf", as_of=TODAY, scope=("programme", "Nope"))
    with pytest.raises(PdfPackError, match=r"\.pdf"):
        write_pdf_pack(office, tmp_path / "x.xlsx", as_of=TODAY)
    with pytest.raises(PdfPackError, match="does not exist"):
        write_pdf_pack(office, tmp_path / "missing" / "x.pdf", as_of=TODAY)
    with pytest.raises(PdfPackError, match="Choose pack sections"):
        write_pdf_pack(office, tmp_path / "x.pdf", as_of=TODAY, sections=("Risks",))
    assert not list(tmp_path.iterdir())


class Cancelled(Exception):  # noqa: N818 - as ui.tasks names it
    pass


class _CancelAt:
    """A progress whose Cancel is pressed at its ``at``-th check (reading, laying out, or printing pages)."""

    def __init__(self, at: int):
        self.at, self.checks = at, 0

    def report(self, done: int, total: int = 0, text: str | None = None) -> None:
        assert 0 <= done <= total

    def check(self) -> None:
        self.checks += 1
        if self.checks >= self.at:
            raise Cancelled()


@pytest.mark.parametrize("at", [2, 8, 20])
def test_cancel_writes_nothing(office, tmp_path, at):
    target = tmp_path / "pack.pdf"
    target.write_bytes(b"%PDF-previous")
    with pytest.raises(Cancelled):
        write_pdf_pack(office, target, as_of=TODAY, progress=_CancelAt(at))
    assert target.read_bytes() == b"%PDF-previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.pdf"]


def test_cli_export_pack_pdf(office, tmp_path, capsys):
    url = str(office.engine.url)
    out = tmp_path / "pack.pdf"
    assert main(["export-pack", "--database", url, str(out), "--as-of", "2026-10-31", "--sections",
                 "summary,RAID"]) == 0
    printed = capsys.readouterr().out
    assert f"Executive pack written to {out}" in printed and "Summary, RAID" in printed
    assert out.read_bytes().startswith(b"%PDF-")

    assert main(["export-pack", "--database", url, str(tmp_path / "pack.docx")]) == 2
    assert "must end in .xlsx" in capsys.readouterr().err
    assert main(["export-pack", "--database", url, str(out), "--sections", "Risks"]) == 2
    assert "Risks is not a section" in capsys.readouterr().err
    assert main(["export-pack", "--database", url, str(out), "--scope", "programme:Nope"]) == 2
    assert "no programme named 'Nope'" in capsys.readouterr().err
    (tmp_path / "taken.pdf").mkdir()  # a folder where the file should go: the rename cannot replace it
    assert main(["export-pack", "--database", url, str(tmp_path / "taken.pdf")]) == 2
    assert "Cannot write" in capsys.readouterr().err
    assert main(["export-pack", "--database", url, str(tmp_path / "missing" / "pack.pdf")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*.partial"))


@needs_pdftotext
def test_an_empty_office_gets_a_pdf_that_says_so(db, tmp_path):
    result = write_pdf_pack(db, tmp_path / "empty.pdf", as_of=TODAY)
    text = squeezed(" ".join(pdf_pages(result.path)))
    assert result.pages > len(SECTIONS)  # the cover, then each section from a new page
    for sentence in ("No project in this scope.", "Fewer than two reporting periods are on record",
                     "No milestone is overdue.", "No open RAID item in this scope.",
                     "No compliance exception: every enabled rule is met.", "Nobody is over-allocated"):
        assert squeezed(sentence) in text, sentence


@needs_pdftotext
def test_long_lists_are_cut_with_a_note(office, pages, headers):
    from pmo_desktop.ui.pdf.pack_html import LIST_ROWS

    with office.session() as session:
        exceptions = compliance_exceptions(session, TODAY, load_settings(session))
    assert len(exceptions) > LIST_ROWS, "the demo office has more exceptions than the PDF lists"
    governance = "\n".join(section_pages(pages, headers, "Governance"))
    assert f"The {LIST_ROWS} longest-standing exceptions of {len(exceptions):,}; the workbook lists them all." in (
        " ".join(governance.split()))
    oldest = min(e.since for e in exceptions if e.since)
    assert f"{oldest:%d %b %Y}" in governance, "the longest-standing come first"


@needs_pdftotext
def test_a_long_office_name_is_cut_in_the_running_header(db, tmp_path):
    from pmo_desktop.services.settings import read_settings, update_settings

    long_name = "The Enterprise Portfolio Management Office of the Northern Regional Transformation Directorate"
    with db.transaction() as session:
        update_settings(session, {"office_name": long_name}, read_settings(session).version)
    result = write_pdf_pack(db, tmp_path / "long.pdf", as_of=TODAY, sections=("Notes",))
    width, _height = A4_LANDSCAPE
    for words in page_words(result.path, tmp_path)[1:]:
        header = sorted(w for w in words if w[3] <= HEADER_BOTTOM_PT)
        title = next(i for i, w in enumerate(header) if w[4] == "Executive")
        assert header[title - 1][4].endswith("…"), "the office name is cut short"
        assert header[title - 1][2] < header[title][0], "and ends before the section title begins"
        assert all(w[0] >= MARGIN_PT - 1 and w[2] <= width - MARGIN_PT + 1 for w in header)


@needs_pdftotext
def test_no_page_is_empty(pack, tmp_path):
    """A section that ends at the foot of a page does not leave a page with only its header and footer."""
    for number, words in enumerate(page_words(pack.path, tmp_path), start=1):
        assert any(w[1] > HEADER_BOTTOM_PT and w[3] < FOOTER_TOP_PT for w in words), f"page {number} is empty"


@needs_pdftotext
def test_no_heading_is_left_alone_at_the_foot_of_a_page(laid_out):
    headings = {"By programme", "By department", "Recent gate decisions", "Compliance exceptions",
                "Worst over-allocations", "Open items by score", "Imports", "Definitions", "Projects"}
    seen = set()
    for number, page in enumerate(laid_out, start=1):
        body = [line.strip() for line in page.splitlines() if line.strip()][1:-1]  # no running header, footer
        seen |= headings & set(body)
        assert not body or body[-1] not in headings, f"page {number} ends with the heading {body[-1]!r}"
    assert seen == headings


def test_a_row_left_last_on_its_page_keeps_its_height():
    """When the next row starts on the next page (moved whole, or dropped there by Qt), the row above
    keeps its height: white below it, and no strip of it under the next page's repeated header."""
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument

    from pmo_desktop.ui.pdf.pdf_pack import (
        draw_body,
        ensure_gui_application,
        keep_rows_whole,
        stretched_cells,
    )

    ensure_gui_application()
    rows = "".join(f'<tr><td bgcolor="#FF0000">row {i}</td><td>{"word " * (i % 5 * 8)}</td></tr>' for i in range(60))
    document = QTextDocument()
    document.setDocumentMargin(0)
    document.setHtml('<table width="100%" border="0.5" cellspacing="0" cellpadding="4" '
                     f'style="border-collapse: collapse"><thead><tr><th>A</th><th>B</th></tr></thead>'
                     f"<tbody>{rows}</tbody></table>")
    page = QSizeF(400, 300)
    document.setPageSize(page)
    moved = {row for _table, row in keep_rows_whole(document, page.height())}
    gaps = stretched_cells(document, page.height())
    layout = document.documentLayout()
    [table] = document.rootFrame().childFrames()

    def text(row: int, column: int, *, last: bool = False):
        cell = table.cellAt(row, column)
        return layout.blockBoundingRect((cell.lastCursorPosition() if last else cell.firstCursorPosition()).block())

    def drawn(index: int, with_gaps: bool) -> QImage:
        image = QImage(int(page.width()), int(page.height()), QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        draw_body(painter, document, index, page, gaps.get(index, ()) if with_gaps else ())
        painter.end()
        return image

    x, dropped, checked = 10, 0, 0
    for row in range(1, table.rows() - 1):
        index = int(text(row, 0).top() // page.height())
        if int(text(row + 1, 0).top() // page.height()) == index:
            continue
        foot = max(text(row, 0, last=True).bottom(), text(row, 1, last=True).bottom()) - index * page.height()
        above, below = int(foot) - 2, int(page.height()) - 3
        if below - above < 12:
            continue  # the row ends at the page's foot anyway
        assert drawn(index, False).pixelColor(x, below).name() == "#ff0000", "Qt stretches the row to the foot"
        image = drawn(index, True)
        assert image.pixelColor(x, above).name() == "#ff0000", row
        assert image.pixelColor(x, below).name() == "#ffffff", row
        assert image.pixelColor(x, int(foot) + 4 + 2).name() == "#ffffff", row  # past the padding and rule
        checked += 1
        if row not in moved:
            dropped += 1
            continue
        # The moved row's top edge lies a padding above its text; the strip is just above that.
        strip = int(text(row + 1, 0).top() - (index + 1) * page.height()) - 4 - 3
        assert drawn(index + 1, False).pixelColor(x, strip).name() == "#ff0000", "Qt shows the stretched row here"
        next_page = drawn(index + 1, True)
        assert next_page.pixelColor(x, strip).name() == "#ffffff", row
        assert next_page.pixelColor(x, strip + 6).name() == "#ff0000", "the moved row keeps its own fill"
    assert moved and dropped and checked > len(moved), "rows moved whole and rows dropped by Qt are both seen"


def test_no_chart_of_the_pack_has_text_running_into_other_text(office, monkeypatch):
    """Each chart drawn at the PDF's size: no two texts overlap, and level axis labels stay apart.

    Touching labels ("ApprovedPlanningExecution") pass the overlap check, whose boxes are shrunk
    for the fonts' spare room, so level x labels must also leave 2 pt between them.
    """
    import itertools

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from pmo_desktop.ui.pdf import pack_charts

    with office.session() as session:
        data = gather_pack(session, as_of=TODAY)
    figures = []
    drawn = pack_charts.png
    monkeypatch.setattr(pack_charts, "png", lambda figure, dpi=pack_charts.PRINT_DPI: (figures.append(figure),
                                                                                       drawn(figure, dpi))[1])
    for chart in (pack_charts.rag_by_stage_png, pack_charts.quadrant_png, pack_charts.budget_png,
                  pack_charts.heat_map_png, pack_charts.demand_png):
        chart(data)
    pack_charts.rag_by_stage_png(data, "derived")
    assert len(figures) == 6
    for figure in figures:
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        renderer = canvas.get_renderer()
        points = 72 / figure.dpi
        ticks = {id(t) for ax in figure.axes for axis in (ax.xaxis, ax.yaxis) for t in axis.get_ticklabels()}
        texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in ticks]
        for ax in figure.axes:
            for axis in (ax.xaxis, ax.yaxis):
                low, high = sorted(axis.get_view_interval())
                texts += [tick.label1 for tick in axis.get_major_ticks()
                          if low - 1e-9 <= tick.get_loc() <= high + 1e-9 and tick.label1.get_visible()
                          and tick.label1.get_text()]
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
        boxes = [(text, box) for text, box in boxes if box.width]
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
            assert not box_a.shrunk(0.96, 0.9).overlaps(box_b.shrunk(0.96, 0.9)), (a, b)
        for ax in figure.axes:
            labels = sorted((t.get_window_extent(renderer) for t in ax.get_xticklabels()
                             if t.get_visible() and t.get_text() and not t.get_rotation()), key=lambda box: box.x0)
            for left, right in itertools.pairwise(labels):
                assert (right.x0 - left.x1) * points >= 2, f"x labels closer than 2 pt in {figure.texts[0].get_text()!r}"


@needs_pdftotext
def test_the_cover_gives_the_figures_at_a_glance_and_each_sections_page(pack, laid_out, headers, office):
    with office.session() as session:
        data = gather_pack(session, as_of=TODAY)
    tiles = {tile.label: tile for tile in kpi_tiles(data)}
    cover = [line.strip() for line in laid_out[0].splitlines() if line.strip()]
    flat = " ".join(" ".join(cover).split())
    assert "At a glance" in flat and "Contents" in flat
    assert f"Projects {len(data.projects)} {tiles['Projects'].note}" in flat
    assert f"{short_money(data.total.bac, data)} → {short_money(data.total.eac, data)}" in flat
    assert f"{data.total.spi:.2f} / {data.total.cpi:.2f}" in flat
    assert f"Open high risks {data.open_high_risks} {tiles['Open high risks'].note}" in flat
    assert f"Compliance {data.compliance_rate:.0%} {tiles['Compliance rate'].note}" in flat
    for name in SECTIONS:
        first = next(i for i, (header, _) in enumerate(headers, start=1) if shows(header, f"Executive pack — {name}"))
        listed = re.search(rf"\b{name} +(\d+)\b", laid_out[0])
        assert listed and int(listed[1]) == first, (name, first)


@needs_pdftotext
def test_a_cover_longer_than_a_page_still_lists_each_sections_page(office, tmp_path):
    """The contents is numbered on the whole document when the cover alone would not print as one page."""
    from pmo_desktop.ui.pdf.pdf_pack import PackMarkup, build_html, render_pdf

    with office.session() as session:
        data = gather_pack(session, as_of=TODAY)
    generated = dt.datetime(2026, 11, 26, 9, 0)
    markup = build_html(data, ["Summary", "RAID"], generated=generated, unit=96 / 72, db_label="office.db",
                        tick=lambda _name: None)
    filler = "".join(f"<p>Cover note line {n}</p>" for n in range(120))  # two more pages of cover
    content, pages = render_pdf(PackMarkup(markup.cover + filler, markup.sections, markup.images), data,
                                generated=generated)
    path = tmp_path / "long-cover.pdf"
    path.write_bytes(content)
    laid_out, headers = pdf_pages(path, layout=True), bands(path, tmp_path)
    firsts = {name: next(i for i, (header, _) in enumerate(headers, start=1)
                         if shows(header, f"Executive pack — {name}")) for name in ("Summary", "RAID")}
    assert len(laid_out) == pages and firsts["Summary"] > 2
    assert "Cover note line 119" in laid_out[firsts["Summary"] - 2], "the cover runs on to the page before Summary"
    assert {name: int(re.search(rf"\b{name} +(\d+)\b", laid_out[0])[1]) for name in firsts} == firsts
