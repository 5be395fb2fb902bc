"""The guarded reader: format detection, CSV decoding, type normalisation, limits and refusals."""

from __future__ import annotations

import codecs
import hashlib
import random
import string
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook

from pmo_desktop.importer.errors import ImportFileError
from pmo_desktop.importer.readers import (
    DEFAULT_LIMITS,
    OLE_MAGIC,
    ReadLimits,
    decode_text,
    normalise_cell,
    read_workbook,
    sniff_delimiter,
)


def _refusal(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ImportFileError) as caught:
        read_workbook(path, limits)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert caught.value.path == path
    assert caught.value.message.startswith(path.name + " ")
    return caught.value.message


def _xlsx(path: Path, rows: list[tuple]) -> Path:
    workbook = OpenpyxlWorkbook()
    for row in rows:
        workbook.active.append(list(row))
    workbook.save(path)
    return path


def _rewrite_member(source: Path, target: Path, member: str, transform) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info.filename, transform(data) if info.filename == member else data)
    return target


# --- cell normalisation ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (3.0, 3),
        (1.5, 1.5),
        ("  Alpha \n", "Alpha"),
        ("   ", None),
        ("", None),
        (datetime(2026, 3, 14, 0, 0), date(2026, 3, 14)),
        (datetime(2026, 3, 14, 9, 30), datetime(2026, 3, 14, 9, 30)),
        (float("nan"), None),
        (True, True),
        ("A_x000D_\r\nB", "A\nB"),
    ],
)
def test_normalise_cell(raw: object, expected: object) -> None:
    result = normalise_cell(raw)
    assert result == expected
    assert type(result) is type(expected)


def test_xlsx_types_normalised_and_row_numbers_kept(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    workbook = OpenpyxlWorkbook()
    sheet = workbook.active
    sheet["C3"] = "Header"
    sheet["D3"] = 12.0
    sheet["C5"] = datetime(2026, 1, 2)
    sheet["D5"] = "  padded  "
    workbook.save(path)
    [read] = read_workbook(path).sheets
    assert read.rows == [(), (), (None, None, "Header", 12), (), (None, None, date(2026, 1, 2), "padded")]


def test_sha256_and_format(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "book.xlsx", [("a", 1)])
    workbook = read_workbook(path)
    assert workbook.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert workbook.format == "xlsx"


# --- CSV --------------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters(tmp_path: Path, delimiter: str) -> None:
    lines = [["Project", "Budget", "Notes"], ["Alpha", "1,200", 'said "hi", left'], ["Beta", "", "x"]]
    text = "\r\n".join(
        delimiter.join(f'"{c}"' if ("," in c or '"' in c) else c for c in (cell.replace('"', '""') for cell in line))
        for line in lines
    )
    path = tmp_path / "data.txt"
    path.write_text(text, encoding="utf-8")
    [sheet] = read_workbook(path).sheets
    assert sheet.rows == [("Project", "Budget", "Notes"), ("Alpha", "1,200", 'said "hi", left'), ("Beta", None, "x")]


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp1252"],
)
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    text = "Name,Team\r\nZoë Brontë,Café\r\nJosé,Façade\r\n"
    if encoding == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    path = tmp_path / "people.csv"
    path.write_bytes(data)
    [sheet] = read_workbook(path).sheets
    assert sheet.rows == [("Name", "Team"), ("Zoë Brontë", "Café"), ("José", "Façade")]


def test_decode_text_prefers_utf8_then_cp1252() -> None:
    assert decode_text("£5".encode()) == ("£5", "utf-8")
    assert decode_text("£5".encode("cp1252")) == ("£5", "cp1252")


def test_sniff_delimiter_ignores_commas_inside_values() -> None:
    text = "Project;Budget\nAlpha;1,200.50\nBeta;3,000\n"
    assert sniff_delimiter(text) == ";"


def test_csv_with_xlsx_extension_is_read_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "renamed.xlsx"
    path.write_text("Project,RAG\nAlpha,Green\n", encoding="utf-8")
    workbook = read_workbook(path)
    assert workbook.format == "csv"
    assert workbook.sheets[0].rows == [("Project", "RAG"), ("Alpha", "Green")]


# --- limits -----------------------------------------------------------------------------------

def test_row_cap(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("\n".join(f"row{i},{i}" for i in range(50)), encoding="utf-8")
    [sheet] = read_workbook(path, ReadLimits(max_rows=10)).sheets
    assert len(sheet.rows) == 10
    assert sheet.truncated


def test_long_blank_run_ends_the_sheet(tmp_path: Path) -> None:
    path = tmp_path / "gappy.csv"
    path.write_text("a,b\n1,2\n" + ",\n" * 30 + "late,row\n", encoding="utf-8")
    [sheet] = read_workbook(path, ReadLimits(max_blank_run=20)).sheets
    assert sheet.rows == [("a", "b"), ("1", "2")]
    [sheet] = read_workbook(path).sheets
    assert sheet.rows[-1] == ("late", "row")


def test_libreoffice_million_row_dimension_is_fast(corpus: Path) -> None:
    started = time.monotonic()
    workbook = read_workbook(corpus / "templates" / "dft-dca-master-q4-2019.xlsx")
    assert time.monotonic() - started < 3
    assert len(workbook.sheets[0].rows) == 30


# --- refusals ---------------------------------------------------------------------------------

def test_zip_bomb_by_size(tmp_path: Path) -> None:
    source = _xlsx(tmp_path / "ok.xlsx", [("a",)])
    bomb = _rewrite_member(source, tmp_path / "big.xlsx", "xl/worksheets/sheet1.xml", lambda data: data + b" " * 2_000_000)
    message = _refusal(bomb, ReadLimits(max_member_uncompressed=1_000_000, max_total_uncompressed=10_000_000))
    assert "zip bomb" in message


def test_zip_bomb_by_ratio_with_default_limits(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(50):
                member.write(b"\0" * 1_000_000)
    message = _refusal(path)
    assert "compressed" in message and "zip bomb" in message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entity_declarations_are_refused(tmp_path: Path, encoding: str) -> None:
    source = _xlsx(tmp_path / "ok.xlsx", [("a",)])

    def add_dtd(data: bytes) -> bytes:
        prolog = f'<?xml version="1.0" encoding="{encoding.upper()}"?><!DOCTYPE x [<!ENTITY e "boom">]>'
        return (prolog + data.decode("utf-8")).encode(encoding)

    hostile = _rewrite_member(source, tmp_path / "dtd.xlsx", "xl/workbook.xml", add_dtd)
    assert "entity declarations" in _refusal(hostile)


@pytest.mark.parametrize(
    "prolog",
    [
        '<?xml version="1.0"?><!-- ' + "padding " * 20_000 + ' <root/> --><!DOCTYPE x [<!ENTITY e "boom">]>',
        # a prolog too long to be genuine (random text, so the zip-bomb check does not fire first)
        '<?xml version="1.0"?><!-- ' + "".join(random.Random(3).choices(string.ascii_letters, k=1_200_000)) + " -->",
    ],
)
def test_entity_declarations_hidden_in_a_long_prolog(tmp_path: Path, prolog: str) -> None:
    source = _xlsx(tmp_path / "ok.xlsx", [("a",)])
    hostile = _rewrite_member(
        source, tmp_path / "hidden.xlsx", "xl/workbook.xml", lambda data: prolog.encode() + data
    )
    assert "entity declarations" in _refusal(hostile)


def test_entity_declarations_in_utf32(tmp_path: Path) -> None:
    source = _xlsx(tmp_path / "ok.xlsx", [("a",)])
    prolog = '<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE x SYSTEM "http://localhost/">'
    hostile = _rewrite_member(
        source, tmp_path / "wide.xlsx", "xl/workbook.xml", lambda data: (prolog + data.decode()).encode("utf-32-be")
    )
    assert "entity declarations" in _refusal(hostile)


def test_doctype_text_inside_a_cell_is_data(tmp_path: Path) -> None:
    source = _xlsx(tmp_path / "ok.xlsx", [("Notes",), ("MARKER",)])
    html = _rewrite_member(
        source, tmp_path / "html.xlsx", "xl/worksheets/sheet1.xml",
        lambda data: data.replace(b"<t>MARKER</t>", b"<t><![CDATA[<!DOCTYPE html> pasted from a web page]]></t>"),
    )
    [sheet] = read_workbook(html).sheets
    assert sheet.rows == [("Notes",), ("<!DOCTYPE html> pasted from a web page",)]


def test_encrypted_ole_is_a_password_problem(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(OLE_MAGIC + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 512)
    assert _refusal(path) == "locked.xlsx is password-protected: ask the project manager to save it without a password"


def test_broken_ole_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(OLE_MAGIC + b"\x01" * 2000)
    assert "damaged or not a valid old-style Excel (.xls) file" in _refusal(path)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("report.xlsx", b"%PDF-1.7 binary", "is a PDF"),
        ("page.xls", b"<html><body><table></table></body></html>", "web page"),
        ("noise.xlsx", bytes(range(256)) * 4, "not a spreadsheet"),
        ("empty.csv", b"", "is empty"),
    ],
)
def test_not_spreadsheets(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert words in _refusal(path)


def test_word_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "minutes.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert "Word or PowerPoint" in _refusal(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"^nowhere.xlsx was not found: check the file name"):
        read_workbook(tmp_path / "nowhere.xlsx")
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    with pytest.raises(ImportFileError, match="is a folder"):
        read_workbook(folder)


def test_shared_long_string_is_cut_once(tmp_path: Path) -> None:
    long_text = "".join(random.Random(7).choices(string.ascii_letters, k=40_000))  # incompressible
    path = _xlsx(tmp_path / "amplified.xlsx", [(long_text, long_text)] * 300)
    started = time.monotonic()
    [sheet] = read_workbook(path).sheets
    assert time.monotonic() - started < 10
    cells = [cell for row in sheet.rows for cell in row]
    assert len(cells) == 600
    assert {len(cell) for cell in cells} == {32_767}  # Excel's own cell limit
    assert len({id(cell) for cell in cells}) == 1  # one copy, however many cells point at it
