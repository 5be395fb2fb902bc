"""Read a spreadsheet file into plain rows, safely.

``read_workbook(path)`` detects the real format from the file's first bytes (not only its
extension), refuses hostile or broken files with an ImportFileError that tells the coordinator
what to do, and returns every sheet's rows with cell types normalised once:

* whole floats -> int, datetimes at midnight -> date, strings stripped, "" -> None;
* rows are 1-based by position: ``sheet.rows[0]`` is sheet row 1, ``row[0]`` is column A
  (leading blank rows and columns are kept as None so that row numbers match Excel);
* trailing blank cells and rows are dropped; reading stops after ``max_rows`` rows or a run of
  ``max_blank_run`` blank rows (LibreOffice files that claim 1,048,576 rows stay fast).

Zip packages (.xlsx/.xlsm/.xlsb/.ods) are checked before any parser sees them: member sizes,
compression ratio (zip bombs) and XML prologs (DOCTYPE / ENTITY declarations never occur in
genuine workbooks, so they are refused). python-calamine does the parsing; openpyxl (which uses
defusedxml) is the fallback for valid files calamine cannot read. CSV goes through the stdlib
with delimiter sniffing and encoding fallback. The file is opened read-only and never changed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import IO

from pmo_desktop.importer.errors import ImportFileError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
BIFF_OLD_MAGICS = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")
_RESAVE = "ask the project manager to open it in Excel and save it again as .xlsx"


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds that keep a hostile or accidental giant file from hanging the program."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_total_uncompressed: int = 200 * 1024 * 1024
    max_member_uncompressed: int = 100 * 1024 * 1024
    max_ratio: float = 200.0
    ratio_min_member: int = 1024 * 1024
    """The compression-ratio check applies to members that inflate beyond this size."""
    max_rows: int = 1_000_000
    max_blank_run: int = 1_000
    max_columns: int = 16_384
    prolog_bytes: int = 1024 * 1024
    """Everything before an XML part's root element must fit in this (genuine parts: ~100 bytes)."""


DEFAULT_LIMITS = ReadLimits()


@dataclass(slots=True)
class Sheet:
    """One worksheet as plain rows (see the module docstring for the conventions)."""

    name: str
    rows: list[tuple] = field(default_factory=list)
    hidden: bool = False
    truncated: bool = False
    """True when reading stopped at ReadLimits.max_rows."""

    @property
    def width(self) -> int:
        """Number of columns up to the last non-blank one."""
        return max((len(row) for row in self.rows), default=0)


@dataclass(slots=True)
class Workbook:
    """A whole file: where it came from, its content hash and its sheets in tab order."""

    path: Path
    sha256: str
    sheets: list[Sheet]
    format: str
    """"xlsx", "xlsm", "xlsb", "xls", "ods" or "csv"."""


# ---------------------------------------------------------------------------------------------
# Cell and row normalisation
# ---------------------------------------------------------------------------------------------

def normalise_cell(value: object) -> object:
    """One cell to the importer's types: int for whole numbers, date for midnight datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.replace("_x000D_", "").replace("\r\n", "\n").strip()
        return text or None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) and value.tzinfo is None else value
    return value


MAX_CELL_CHARS = 32_767
"""Excel's own limit on the length of a cell's text; longer text is cut to it."""
_LONG_TEXT = 1_000


def _normalise_text_cell(value: str, memo: dict[str, object]) -> object:
    """Long strings are cut to Excel's limit once per distinct string.

    A workbook can point thousands of cells at one megabyte-long shared string (a memory
    amplification attack): the memo keeps one cut copy, so memory stays bounded by the file.
    """
    if len(value) <= _LONG_TEXT:
        return normalise_cell(value)
    cut = memo.get(value)
    if cut is None:
        cut = memo[value] = normalise_cell(value[:MAX_CELL_CHARS])
    return cut


def _trimmed(row: Iterable[object], max_columns: int, memo: dict[str, object]) -> tuple:
    """One row's cells normalised (``normalise_cell``), trailing blanks dropped.

    The common cells (blank, short text, floats, dates) are normalised inline, exactly as
    ``normalise_cell`` would: this runs for every cell of every sheet.
    """
    cells: list[object] = []
    append = cells.append
    for v in islice(row, max_columns):
        kind = type(v)
        if kind is str:
            if not v:
                append(None)
            elif len(v) > _LONG_TEXT:
                append(_normalise_text_cell(v, memo))
            elif "_x000D_" in v or "\r\n" in v:  # rare: tested before any call is made
                append(v.replace("_x000D_", "").replace("\r\n", "\n").strip() or None)
            else:
                append(v.strip() or None)
        elif v is None:
            append(None)
        elif kind is float and v.is_integer() and abs(v) < 2**53:  # never true for inf or nan
            append(int(v))
        elif kind is date:  # a date cell (a datetime is a subclass, normalised below)
            append(v)
        elif isinstance(v, str):
            append(_normalise_text_cell(v, memo))
        else:
            append(normalise_cell(v))
    while cells and cells[-1] is None:
        cells.pop()
    return tuple(cells)


def collect_rows(
    rows: Iterable[Iterable[object]], limits: ReadLimits, first_row: int = 0, first_col: int = 0
) -> tuple[list[tuple], bool]:
    """Normalise rows, pad the leading offset, stop at the row cap or a long blank run."""
    out: list[tuple] = [()] * first_row
    pad = (None,) * first_col
    blank_run = 0
    truncated = False
    memo: dict[str, object] = {}
    for row in rows:
        if len(out) >= limits.max_rows:
            truncated = True
            break
        cells = _trimmed(row, limits.max_columns, memo)
        if not cells:
            blank_run += 1
            if blank_run >= limits.max_blank_run:
                break
        else:
            blank_run = 0
        out.append(pad + cells if cells and first_col else cells)
    while out and not out[-1]:
        out.pop()
    return out, truncated


# ---------------------------------------------------------------------------------------------
# Format detection
# ---------------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _zip_format(path: Path, archive: zipfile.ZipFile) -> str:
    names = {info.filename.replace("\\", "/").lower(): info for info in archive.infolist()}
    if "mimetype" in names:
        mimetype = archive.read(names["mimetype"])[:100]
        if b"opendocument.spreadsheet" in mimetype:
            return "ods"
        raise ImportFileError.because(
            path, "is an OpenDocument file but not a spreadsheet", "ask for the spreadsheet itself (.ods or .xlsx)"
        )
    if "content.xml" in names and "meta-inf/manifest.xml" in names:
        return "ods"
    if any(name.endswith(("word/document.xml", "ppt/presentation.xml")) for name in names):
        raise ImportFileError.because(
            path, "is a Word or PowerPoint document, not a spreadsheet", "ask for the Excel workbook"
        )
    if any(name.endswith("workbook.bin") for name in names):
        return "xlsb"
    if "[content_types].xml" in names or any(name.endswith("workbook.xml") for name in names):
        return "xlsm" if "xl/vbaproject.bin" in names else "xlsx"
    raise ImportFileError.because(
        path, "is a zip archive that does not contain a spreadsheet", f"check the file, or {_RESAVE}"
    )


def _ole_is_encrypted(data: bytes) -> bool:
    """Encrypted OOXML lives in an OLE file with 'EncryptionInfo'/'EncryptedPackage' streams."""
    return any(name.encode("utf-16-le") in data for name in ("EncryptedPackage", "EncryptionInfo"))


def _password_error(path: Path) -> ImportFileError:
    return ImportFileError.because(
        path, "is password-protected", "ask the project manager to save it without a password"
    )


def _looks_like_text(sample: bytes) -> bool:
    if sample.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if not sample:
        return False
    if b"\x00" in sample:
        # UTF-16 without a BOM: every other byte is NUL for Latin text.
        return sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4
    control = sum(1 for byte in sample if byte < 9 or 13 < byte < 32)
    return control <= len(sample) // 100


# ---------------------------------------------------------------------------------------------
# Zip guards
# ---------------------------------------------------------------------------------------------

_PROLOG_NOISE = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_ROOT_START = re.compile(r"<[^?!\s<>/]")
_DTD_MARKERS = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _xml_encoding(first: bytes) -> str:
    """The encoding of an XML part from its first bytes (XML 1.0 appendix F)."""
    if first.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if first.startswith(b"\x00\x00\x00<"):
        return "utf-32-be"
    if first.startswith(b"<\x00\x00\x00"):
        return "utf-32-le"
    if first.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if first.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    if first.startswith(b"\x4c\x6f\xa7\x94"):  # "<?xm" in EBCDIC
        return "cp500"
    return "utf-8"


def _prolog_verdict(text: str) -> bool | None:
    """True/False when the text reaches the root element with/without a DTD; None if not yet."""
    cleaned = _PROLOG_NOISE.sub("", text)
    pending = "<!--" in cleaned or "<?" in cleaned  # an unfinished comment or instruction
    root = None if pending else _ROOT_START.search(cleaned)
    head = cleaned[: root.start()] if root else cleaned
    if _DTD_MARKERS.search(head):
        return True
    return False if root else None


def _declares_entities(member: IO[bytes], limits: ReadLimits) -> bool:
    """True when the part's prolog (all before the root element) has a DOCTYPE or ENTITY.

    Comments and processing instructions are skipped, so a DOCTYPE hidden after them is still
    found; a prolog longer than ``limits.prolog_bytes`` is itself refused as a DTD in disguise.
    """
    first = member.read(4096)
    if _prolog_verdict(first.replace(b"\x00", b"").decode("latin-1")):
        return True  # whatever encoding the part claims, a wide-character DTD is still a DTD
    decoder = codecs.getincrementaldecoder(_xml_encoding(first[:4]))(errors="replace")
    text = decoder.decode(first)
    consumed = len(first)
    while (verdict := _prolog_verdict(text)) is None:
        chunk = member.read(16 * 1024)
        if not chunk:
            return False
        consumed += len(chunk)
        if consumed > limits.prolog_bytes:
            return True
        text += decoder.decode(chunk)
    return verdict


def _is_xml_like(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def _guard_zip(path: Path, archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse zip bombs and XML with DTDs before any parser touches the package."""
    infos = archive.infolist()
    if not infos:
        raise ImportFileError.because(path, "is an empty package with no sheets in it", _RESAVE)
    total = 0
    for info in infos:
        total += info.file_size
        inflated = info.file_size
        ratio = inflated / max(info.compress_size, 1)
        if inflated > limits.max_member_uncompressed or total > limits.max_total_uncompressed:
            raise ImportFileError.because(
                path,
                f"would expand to more than {limits.max_total_uncompressed // 2**20} MB when opened "
                "(it may be a 'zip bomb')",
                "do not open it; ask the project manager for a normal copy of the workbook",
            )
        if inflated > limits.ratio_min_member and ratio > limits.max_ratio:
            raise ImportFileError.because(
                path,
                f"is compressed {ratio:.0f} times (a sign of a 'zip bomb')",
                "do not open it; ask the project manager for a normal copy of the workbook",
            )
    for info in infos:
        if not _is_xml_like(info.filename.replace("\\", "/")):
            continue
        with archive.open(info) as member:
            declares = _declares_entities(member, limits)
        if declares:
            raise ImportFileError.because(
                path,
                f"contains XML entity declarations (in {info.filename}), which genuine spreadsheets "
                "never have and which are used in attacks",
                "do not open it; ask the project manager to save a fresh copy from Excel",
            )


# ---------------------------------------------------------------------------------------------
# Parsers
# ---------------------------------------------------------------------------------------------

def _read_calamine(path: Path, limits: ReadLimits) -> list[Sheet]:
    import python_calamine  # C extension: imported where first used

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        sheets = []
        for meta in workbook.sheets_metadata:
            if meta.typ not in (python_calamine.SheetTypeEnum.WorkSheet, python_calamine.SheetTypeEnum.DialogSheet):
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            start = sheet.start or (0, 0)
            # to_python() starts at the used range's top-left cell (iter_rows() does not
            # offset rows and columns consistently): pad the offset back in collect_rows.
            data = sheet.to_python(skip_empty_area=True, nrows=limits.max_rows + 1)
            rows, truncated = collect_rows(data, limits, start[0], start[1])
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            sheets.append(Sheet(meta.name, rows, hidden, truncated))
        return sheets
    finally:
        workbook.close()


def _read_openpyxl(path: Path, limits: ReadLimits) -> list[Sheet]:
    import openpyxl  # heavy: imported only for the fallback

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(path, read_only=False, data_only=True, keep_links=False)
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            rows, truncated = collect_rows(_bounded_rows(worksheet, limits), limits)
            sheets.append(Sheet(worksheet.title, rows, worksheet.sheet_state != "visible", truncated))
        return sheets
    finally:
        workbook.close()


def _bounded_rows(worksheet: object, limits: ReadLimits) -> Iterator[tuple]:
    max_row = min(worksheet.max_row or 0, limits.max_rows + 1)  # type: ignore[attr-defined]
    max_col = min(worksheet.max_column or 0, limits.max_columns)  # type: ignore[attr-defined]
    yield from worksheet.iter_rows(  # type: ignore[attr-defined]
        min_row=1, max_row=max_row, max_col=max_col, values_only=True
    )


_CALAMINE_FORMATS = ("xlsx", "xlsm", "xlsb", "xls", "ods")


def _is_fatal(exc: BaseException) -> bool:
    return isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit | MemoryError)


def _read_spreadsheet(path: Path, fmt: str, limits: ReadLimits) -> list[Sheet]:
    import python_calamine

    try:
        return _read_calamine(path, limits)
    except python_calamine.PasswordError:
        raise _password_error(path) from None
    except BaseException as exc:  # calamine panics surface as BaseException subclasses
        if _is_fatal(exc):
            raise
        first = exc
    if fmt in ("xlsx", "xlsm"):
        try:
            return _read_openpyxl(path, limits)
        except BaseException as exc:
            if _is_fatal(exc):
                raise
    raise _unreadable(path, fmt, first) from first


def _unreadable(path: Path, fmt: str, exc: BaseException) -> ImportFileError:
    detail = str(exc).lower()
    if "cell limit" in detail or "too large" in detail:
        return ImportFileError.because(
            path, "claims to hold far more cells than any real workbook", "ask the project manager for a normal copy"
        )
    if "entity" in detail:
        return ImportFileError.because(
            path, "contains XML entities, which genuine spreadsheets never have",
            "do not open it; ask the project manager to save a fresh copy from Excel",
        )
    kind = {"xls": "old-style Excel (.xls)", "ods": "OpenDocument (.ods)", "xlsb": "binary Excel (.xlsb)"}.get(
        fmt, "Excel"
    )
    return ImportFileError.because(path, f"is damaged or not a valid {kind} file and cannot be read", _RESAVE)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t", "|")


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: BOMs first (UTF-8, UTF-16), then UTF-8, then Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    sample = data[:4096]
    if sample and b"\x00" in sample:
        encoding = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delimiter in _DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        widths = [c for c in counts if c > 1]
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        consistency = widths.count(mode) / len(counts)
        score = consistency * 10 + min(mode, 50) / 50
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(path: Path, limits: ReadLimits) -> list[Sheet]:
    data = path.read_bytes()
    text, _encoding = decode_text(data)
    if "\x00" in text:
        raise ImportFileError.because(path, "is not a text or spreadsheet file", _RESAVE)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows, truncated = collect_rows(reader, limits)
    except csv.Error as exc:
        raise ImportFileError.because(path, f"is not a well-formed CSV file ({exc})", _RESAVE) from None
    return [Sheet(path.stem, rows, False, truncated)]


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------

def detect_format(path: Path, head: bytes) -> str:
    """The file's real format from its first bytes: xlsx/xlsm/xlsb/ods/xls/csv (or refuse)."""
    if not head:
        raise ImportFileError.because(path, "is empty (0 bytes)", "ask the project manager to send it again")
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(BIFF_OLD_MAGICS) and path.suffix.lower() == ".xls":
        raise ImportFileError.because(
            path, "is in the Excel 2.x-4.x format from before 1995, which cannot be read", _RESAVE
        )
    if head.lstrip().lower().startswith((b"<?xml", b"<html", b"<!doctype", b"<table")):
        raise ImportFileError.because(
            path, "is a web page or XML file saved with a spreadsheet name, not a real workbook", _RESAVE
        )
    if head.startswith(b"%PDF"):
        raise ImportFileError.because(path, "is a PDF, not a spreadsheet", "ask for the Excel workbook itself")
    if _looks_like_text(head):
        return "csv"
    raise ImportFileError.because(path, "is not a spreadsheet this program can read", _RESAVE)


def _open_zip(path: Path, limits: ReadLimits) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            _guard_zip(path, archive, limits)
            return _zip_format(path, archive)
    except zipfile.BadZipFile:
        raise ImportFileError.because(path, "is damaged (the zip package is incomplete)", _RESAVE) from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise ImportFileError.because(path, "is damaged and cannot be unpacked", _RESAVE) from None


def read_workbook(path: str | Path, limits: ReadLimits = DEFAULT_LIMITS) -> Workbook:
    """Read every sheet of a spreadsheet or CSV file; ImportFileError if it cannot be imported."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8192)
    except FileNotFoundError:
        raise ImportFileError.because(path, "was not found", "check the file name and folder") from None
    except IsADirectoryError:
        raise ImportFileError.because(path, "is a folder, not a file", "choose the spreadsheet inside it") from None
    except PermissionError:
        raise ImportFileError.because(
            path, "cannot be opened (permission denied)", "close it in Excel or copy it to your own folder"
        ) from None
    if size > limits.max_file_bytes:
        raise ImportFileError.because(
            path, f"is larger than {limits.max_file_bytes // 2**20} MB", "split it or remove unused sheets"
        )
    fmt = detect_format(path, head)
    if fmt == "zip":
        fmt = _open_zip(path, limits)
    elif fmt == "ole":
        if _ole_is_encrypted(path.read_bytes()):
            raise _password_error(path)
        fmt = "xls"
    if fmt == "csv":
        sheets = _read_csv(path, limits)
    else:
        sheets = _read_spreadsheet(path, fmt, limits)
    if not sheets:
        raise ImportFileError.because(path, "has no worksheets", _RESAVE)
    return Workbook(path, _sha256(path), sheets, fmt)


