"""Find the tables in a workbook's sheets and decide what each one holds.

For every sheet: skip instruction, lookup, pivot and hidden sheets; find the header row under
title banners, blank rows and merged group headers by scoring candidate rows; find where the
table ends (a run of blank rows, or a "Total" row); and classify the kind (projects, status,
raid, milestones, people, allocations, scores) from the headers and the sheet's name.
(A scoring matrix, headed with the office's criteria, is recognised in importer/score_sheets.py.)

Three layouts are recognised:

* ``table`` - one record per row under a header row;
* ``transposed`` - field names down a column, one project per column (DfT "master" workbooks);
  numbered blocks of fields ("Approval MM1 ...", "BRD 1 ...") become nested milestone or RAID
  tables with one record per project and block;
* ``form`` - "Label: value" cells (a status report's top block) giving one record, with any
  table further down (e.g. a risks table) returned as a nested table.

Sheets that only summarise others (pivots, dashboards, counts, a resource load or utilisation
summary, the "Report Summary" page of a quarterly return) are skipped by name, and a
projects-like table without a code or name column is skipped with NOT_A_PROJECT_LIST.

Our own templates (reports/templates.py, importer/marker.py) carry a hidden marker sheet naming their kind, data
sheet and the canonical field of each column: they are read by the marker, not by guessing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache, partial
from itertools import chain, islice
from operator import is_not

from pmo_desktop.importer.fields import (
    FIELDS,
    SHEET_NAME_HINTS,
    FieldType,
    Kind,
    key_fields,
    raid_kind_from_sheet_name,
)
from pmo_desktop.importer.mapping import (
    SURE_MATCH,
    ColumnMapping,
    MappingResult,
    detect_grid,
    header_fingerprint,
    map_headers,
    match_header,
    unit_from_text,
    with_default_money_scale,
)
from pmo_desktop.importer.marker import template_marker
from pmo_desktop.importer.readers import Sheet, Workbook
from pmo_desktop.importer.values import DEFAULT_OPTIONS, ParseOptions


class Layout(StrEnum):
    """How records are laid out on the sheet."""

    TABLE = "table"
    TRANSPOSED = "transposed"
    FORM = "form"


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> 'A', 27 -> 'AB')."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(slots=True)
class SheetTable:
    """One table found on a sheet, with its rows as the sheet holds them (not yet parsed)."""

    sheet: str
    kind: Kind | None
    """None when the headers match no kind well enough: the coordinator must choose."""
    layout: Layout
    header_row: int
    """1-based sheet row of the headers (transposed: row of the first field label)."""
    headers: tuple
    rows: list[tuple[int, tuple]]
    """(line, values): line is the sheet row, or for a transposed table the sheet column."""
    mapping: MappingResult
    raid_kind: str | None = None
    """For RAID sheets named "Risks", "Issues"...: the kind every item has unless a column says."""
    nested: list[SheetTable] = field(default_factory=list)
    cells: list[tuple[str, ...]] | None = None
    """Cell addresses of each value, for transposed and form layouts (tables compute them)."""
    first_column: int = 0
    """0-based sheet column of headers[0]."""
    project_hint: object = None
    """For a table under a form: the form's project, for rows that do not name one."""

    def cell_ref(self, record: int, column: int) -> str:
        """Excel address ("C12") of value ``column`` of record number ``record`` (0-based)."""
        if self.cells is not None:
            return self.cells[record][column]
        return f"{column_letter(self.first_column + column)}{self.rows[record][0]}"

    def header_text(self, column: int) -> str:
        """The header as the manager wrote it, for messages."""
        header = self.headers[column] if column < len(self.headers) else None
        if isinstance(header, date | datetime):
            return header.isoformat()[:10]
        return str(header) if header is not None else f"column {column_letter(self.first_column + column)}"


@dataclass(frozen=True, slots=True)
class SkippedSheet:
    """A sheet left out of the import, and why (shown to the coordinator)."""

    sheet: str
    reason: str


@dataclass(slots=True)
class WorkbookAnalysis:
    """Everything found in one workbook."""

    tables: list[SheetTable]
    skipped: list[SkippedSheet]

    def all_tables(self) -> list[SheetTable]:
        """Top-level and nested tables, in sheet order."""
        found: list[SheetTable] = []
        for table in self.tables:
            found.append(table)
            found.extend(table.nested)
        return found


# ---------------------------------------------------------------------------------------------
# Small helpers over raw rows
# ---------------------------------------------------------------------------------------------

_IGNORED_SHEET = re.compile(
    r"instruction|guidance|guide\b|\bhelp\b|read\s?me|look\s?-?ups?|drop\s?-?downs?|validation|"
    r"reference data|ref data|^lists?$|config|settings|parameters|legend|^key$|contents|introduction|"
    r"^cover|change\s?log|version|pivot|dashboard|chart|glossary|definitions|^about|^notes$|\bcounts?\b|"
    r"^report summary$|load summary|utili[sz]ation|"
    r"説明|マスタ",
    re.IGNORECASE,
)
_TOTAL_ROW = re.compile(r"^(grand\s+|overall\s+)?(totals?|sum)\s*(\(.*\))?\s*:?$", re.IGNORECASE)
_SUBTOTAL_ROW = re.compile(r"^sub[\s\-]?totals?\b", re.IGNORECASE)
HEADER_SCAN_ROWS = 40
MAX_BLANK_GAP = 1


def _cell(row: tuple, index: int) -> object:
    return row[index] if index < len(row) else None


def _filled(row: tuple) -> list[object]:
    return [value for value in row if value is not None]


_NUMBER_LIKE = re.compile(r"[\d.,%£$€()\-\s/:]+")


def _is_text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    return not _NUMBER_LIKE.fullmatch(value)


@lru_cache(maxsize=65_536)
def _best_match(header: object, fuzzy: bool = True) -> tuple[str | None, float]:
    """The best field match for a header over all kinds: ('kind.field', confidence)."""
    best: tuple[str | None, float] = (None, 0.0)
    for kind in Kind:
        fields, confidence = match_header(header, kind, fuzzy)
        if fields and confidence > best[1]:
            best = (f"{kind}.{fields[0]}", confidence)
    return best


def _sure_field(header: object) -> str | None:
    """The field a header names with a confidence of SURE_MATCH or more ('kind.field'), or None.

    The same as ``_best_match`` read with that threshold, without trying fuzzy matches (they
    score below it): a column of codes or names, hundreds of them distinct, costs no fuzzy
    comparison.
    """
    name, confidence = _best_match(header, False)
    return name if confidence >= SURE_MATCH else None


# ---------------------------------------------------------------------------------------------
# Kind classification
# ---------------------------------------------------------------------------------------------

_KIND_ORDER = (Kind.PROJECTS, Kind.STATUS, Kind.RAID, Kind.MILESTONES, Kind.PEOPLE, Kind.ALLOCATIONS, Kind.SCORES)
MIN_KIND_SCORE = 2.0


def classify(
    headers: Sequence[object],
    sheet_name: str,
    samples: Sequence[Sequence[object]] | None = None,
    options: ParseOptions = DEFAULT_OPTIONS,
) -> tuple[Kind | None, MappingResult]:
    """Choose the kind whose fields the headers (and the sheet's name) fit best."""
    lowered = sheet_name.lower()
    results = []
    for rank, kind in enumerate(_KIND_ORDER):
        mapping = map_headers(headers, kind, samples=samples, options=options)
        mapped = mapping.mapped
        score = mapping.score + 0.5 * sum(1 for name in key_fields(kind) if name in mapped)
        if any(hint in lowered for hint in SHEET_NAME_HINTS[kind]):
            score += 1.5
        if kind is Kind.ALLOCATIONS and mapping.grid and "person" in mapped:
            score += 3.0
        if kind is Kind.RAID and raid_kind_from_sheet_name(sheet_name) and len(mapped) >= 2:
            score += 1.0
        results.append((score, len(mapped), -rank, kind, mapping))
    score, count, _rank, kind, mapping = max(results, key=lambda r: (r[0], r[1], r[2]))
    if score < MIN_KIND_SCORE or count < 2:
        return None, map_headers(headers, Kind.PROJECTS, samples=samples, options=options)
    return kind, mapping


# ---------------------------------------------------------------------------------------------
# Table layout: header row and extent
# ---------------------------------------------------------------------------------------------

def header_score(row: tuple, below: Sequence[tuple], above: tuple = ()) -> float:
    """How much a row looks like a header row (0 when it cannot be one).

    Points for cells naming known fields, for short text cells, for data in the next row, for
    starting a block (blank or banner row above) and for time-grid headers; penalties for
    long sentences (instructions) and "Label:" cells (a form, not a table).
    """
    cells = _filled(row)
    if len(cells) < 2:
        return 0.0
    grid = detect_grid(row)
    grid_indexes = {g.index for g in grid}
    plain = [value for i, value in enumerate(row) if value is not None and i not in grid_indexes]
    texts = [value for value in plain if _is_text(value)]
    if not texts or len(texts) / len(plain) < 0.6:
        return 0.0
    unique = {str(value).strip().lower() for value in texts}
    duplicates = len(texts) - len(unique)  # headers are distinct; RACI or status cells repeat
    known = sum(conf for name, conf in map(_best_match, unique) if name)
    long_cells = sum(1 for value in texts if len(str(value)) > 60)
    colons = sum(1 for value in texts if str(value).rstrip().endswith(":"))
    next_row = next((r for r in below if _filled(r)), ())
    if _is_group_row(cells, below[0] if below else ()):
        return 0.0
    has_data_below = len(_filled(next_row)) >= min(2, len(cells))
    starts_block = len(_filled(above)) <= 1
    score = 2.0 * known + 0.25 * len(texts) + (1.0 if has_data_below else -1.0)
    score += (0.75 if starts_block else 0.0) + 0.5 * min(len(grid), 6)
    return score - 1.5 * long_cells - 2.0 * colons - 0.75 * min(duplicates, 4)


def _is_group_row(cells: Sequence[object], next_row: tuple) -> bool:
    """A merged group banner ("Baseline", "Forecast") over a denser row of repeated headers."""
    below = _filled(next_row)
    texts_below = [str(v).strip().lower() for v in below if _is_text(v)]
    repeats = len(texts_below) - len(set(texts_below))
    return len(below) >= 2 * len(cells) and len(texts_below) >= 0.6 * len(below) and repeats >= 2


def find_header_row(rows: Sequence[tuple], start: int = 0, limit: int = HEADER_SCAN_ROWS) -> int | None:
    """0-based index of the header row among the first ``limit`` rows after ``start``."""
    scores = []
    for index in range(start, min(len(rows), start + limit)):
        above = rows[index - 1] if index > start else ()
        scores.append((header_score(rows[index], rows[index + 1: index + 4], above), index))
    best = max((score for score, _index in scores), default=0.0)
    if best <= 0.5:
        return None
    # The first strong candidate wins: a second table further down is found afterwards.
    return next(index for score, index in scores if score >= 0.8 * best)


_not_none = partial(is_not, None)
"""True for a value that is not None (a C call: ``filter`` and ``map`` use it on every row)."""


def _first_value(row: tuple) -> object:
    """The row's first cell that is not blank, or None."""
    return next(filter(_not_none, row), None)


def _is_total_row(row: tuple) -> bool:
    first = _first_value(row)
    return isinstance(first, str) and bool(_TOTAL_ROW.match(first))


def _is_subtotal_row(row: tuple) -> bool:
    first = _first_value(row)
    return isinstance(first, str) and bool(_SUBTOTAL_ROW.match(first))


def _is_unlabelled_summary(row: tuple, text_columns: Sequence[int]) -> bool:
    """A row of bare numbers under text columns: a total without its label."""
    if not text_columns:
        return False
    size = len(row)
    for i in text_columns:  # a data row has its text: decided before the numbers are looked at
        if i < size and row[i] is not None:
            return False
    values = _filled(row)
    return bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def table_extent(
    rows: Sequence[tuple], header_index: int, width: int, text_columns: Sequence[int] = ()
) -> list[tuple[int, tuple]]:
    """The data rows under a header: stops at a blank run, a total row or the next header."""
    records: list[tuple[int, tuple]] = []
    blank_run = 0
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        first = _first_value(row)
        if first is None:
            blank_run += 1
            if blank_run > MAX_BLANK_GAP:
                break
            continue
        labelled = isinstance(first, str)
        if (labelled and _TOTAL_ROW.match(first)) or (records and _is_unlabelled_summary(row, text_columns)):
            break
        if labelled and _SUBTOTAL_ROW.match(first):
            continue
        if blank_run and header_score(row, rows[index + 1: index + 4]) > 4:
            break  # the next table starts after the gap
        blank_run = 0
        size = len(row)
        if size == width and type(row) is tuple:  # the row itself: no copy of every row of a long table
            records.append((index + 1, row))
            continue
        values = tuple(row[:width]) + (None,) * max(0, width - size)
        # A row no wider than the table holds its first filled cell; a wider one may have it past the table.
        if size <= width or any(map(_not_none, values)):
            records.append((index + 1, values))
    return records


def _with_group_labels(rows: Sequence[tuple], header_index: int) -> tuple:
    """Headers prefixed by the merged group label above them when the headers alone repeat.

    "Baseline | | Forecast |" over "Start | End | Start | End" gives "Baseline Start",
    "Baseline End", "Forecast Start", "Forecast End".
    """
    headers = tuple(rows[header_index])
    texts = [str(h).strip().lower() for h in headers if isinstance(h, str)]
    if header_index == 0 or len(texts) == len(set(texts)):
        return headers
    group_row = rows[header_index - 1]
    if not any(isinstance(v, str) for v in group_row):
        return headers
    combined, group = [], None
    for index, header in enumerate(headers):
        label = _cell(group_row, index)
        if isinstance(label, str):
            group = label.strip()
        is_repeated = isinstance(header, str) and texts.count(header.strip().lower()) > 1
        combined.append(f"{group} {header}" if group and is_repeated else header)
    return tuple(combined)


def _headers_and_samples(rows: Sequence[tuple], header_index: int) -> tuple[tuple, list[list[object]]]:
    headers = _with_group_labels(rows, header_index)
    samples: list[list[object]] = [[] for _ in headers]
    for row in rows[header_index + 1: header_index + 31]:
        for i in range(len(headers)):
            samples[i].append(_cell(row, i))
    return headers, samples


def _text_columns(mapping: MappingResult) -> list[int]:
    specs = {spec.name: spec for spec in FIELDS[mapping.kind]}
    return [c.index for c in mapping.columns if c.field and specs[c.field].key]


def table_at(
    sheet_name: str, rows: Sequence[tuple], header_index: int, options: ParseOptions
) -> SheetTable:
    """Build the table whose header is at ``header_index`` (0-based)."""
    headers, samples = _headers_and_samples(rows, header_index)
    context = f"{sheet_name} {_banner_above(rows, header_index)}"  # "Key Risks" over a table
    kind, mapping = classify(headers, context, samples, options)
    if kind is not None:
        mapping = _title_money_scale(rows, header_index, mapping)
    records = table_extent(rows, header_index, len(headers), _text_columns(mapping) if kind else ())
    return SheetTable(
        sheet=sheet_name,
        kind=kind,
        layout=Layout.TABLE,
        header_row=header_index + 1,
        headers=headers,
        rows=records,
        mapping=mapping,
        raid_kind=_raid_kind(context, mapping) if kind is Kind.RAID else None,
    )


def _title_money_scale(rows: Sequence[tuple], header_index: int, mapping: MappingResult) -> MappingResult:
    """Apply "All figures in £000s" written in the title rows to money columns without a unit."""
    for row in rows[max(0, header_index - 5): header_index]:
        for value in row:
            if isinstance(value, str) and len(value) <= 120:
                scale = unit_from_text(value).multiplier
                if scale != 1:
                    return with_default_money_scale(mapping, scale, f"scale from the title: {value}")
    return mapping


def _raid_kind(context: str, mapping: MappingResult) -> str | None:
    """The kind of every item on a RAID table, from its title or its headers ("Issue ID")."""
    named = [str(c.header) for c in mapping.columns if c.field in ("ref", "title", "description")]
    return raid_kind_from_sheet_name(context) or raid_kind_from_sheet_name(" ".join(named))


def _banner_above(rows: Sequence[tuple], header_index: int) -> str:
    """The title written just above a table (a lone text cell within two rows), if any."""
    for index in range(header_index - 1, max(header_index - 3, -1), -1):
        filled = _filled(rows[index])
        if len(filled) == 1 and isinstance(filled[0], str):
            return filled[0]
        if filled:
            break
    return ""


# ---------------------------------------------------------------------------------------------
# Transposed layout
# ---------------------------------------------------------------------------------------------

_BLOCK_NUMBER = re.compile(r"(?<![\d\-/.])(?:(?<=[A-Za-z])|\b)(\d{1,2})(?![\d\-/%.])")


@dataclass(frozen=True, slots=True)
class _Label:
    row: int
    text: str
    stem: str
    number: int | None


def _split_label(row: int, text: str) -> _Label:
    match = _BLOCK_NUMBER.search(text)
    if not match:
        return _Label(row, text, text, None)
    stem = (text[: match.start()] + " " + text[match.end():]).strip()
    stem = re.sub(r"\s+", " ", stem)
    return _Label(row, text, stem, int(match[1]))


def _labels_down(rows: Sequence[tuple], column: int) -> Iterator[_Label]:
    """The text cells of ``column`` as labels, top to bottom."""
    for i, row in enumerate(rows):
        value = _cell(row, column)
        if _is_text(value):
            yield _split_label(i, str(value).strip())


def _label_column(rows: Sequence[tuple]) -> tuple[int, Iterator[_Label]] | None:
    """The column holding field labels (text in five rows or more), among the first three.

    Its labels come as they are read: a long ordinary table is usually dismissed on its first
    labels (``_scan_transposed``), and the rest are then never built.
    """
    for column in range(3):
        labels = _labels_down(rows, column)
        first = list(islice(labels, 5))
        if len(first) >= 5:
            return column, chain(first, labels)
    return None


_CELL_ADDRESS = re.compile(r"\$?[A-Z]{1,3}\$?\d{1,7}")


def _is_metadata_column(values: Sequence[object]) -> bool:
    """Cell addresses or one value repeated down the column: a data map, not a project's data."""
    texts = [str(value) for value in values]
    counts = Counter(texts)
    addresses = sum(1 for text in texts if _CELL_ADDRESS.fullmatch(text))
    top_share = counts.most_common(1)[0][1] / len(texts)
    distinct_share = len(counts) / len(texts)
    return addresses >= 0.8 * len(texts) or top_share >= 0.9 or (len(texts) >= 50 and distinct_share < 0.02)


def _value_columns(rows: Sequence[tuple], labels: Sequence[_Label], label_column: int) -> list[int]:
    """Columns right of the labels that hold one record each (enough values, real data)."""
    width = max((len(rows[label.row]) for label in labels), default=0)
    columns = []
    for column in range(label_column + 1, width):
        values = [v for label in labels if (v := _cell(rows[label.row], column)) is not None]
        if len(values) >= max(2, len(labels) // 10) and not _is_metadata_column(values):
            columns.append(column)
    return columns


def _transposed_table(
    sheet_name: str, rows: Sequence[tuple], label_column: int, labels: Sequence[_Label],
    value_columns: Sequence[int], options: ParseOptions,
) -> SheetTable:
    """One record per value column, with the labels as headers."""
    headers = tuple(label.text for label in labels)
    records = []
    cells = []
    for column in value_columns:
        values = tuple(_cell(rows[label.row], column) for label in labels)
        if any(v is not None for v in values):
            records.append((column + 1, values))
            cells.append(tuple(f"{column_letter(column)}{label.row + 1}" for label in labels))
    samples = [[values[i] for _line, values in records] for i in range(len(headers))]
    kind, mapping = classify(headers, sheet_name, samples, options)
    return SheetTable(
        sheet=sheet_name, kind=kind, layout=Layout.TRANSPOSED, header_row=labels[0].row + 1,
        headers=headers, rows=records, mapping=mapping, cells=cells, first_column=label_column,
        raid_kind=raid_kind_from_sheet_name(sheet_name) if kind is Kind.RAID else None,
    )


def _block_instances(labels: Sequence[_Label]) -> list[list[_Label]]:
    """Runs of consecutive labels that carry the same block number ("BRD 1 ...")."""
    instances: list[list[_Label]] = []
    current: list[_Label] = []
    for label in labels:
        if label.number is not None and current and current[0].number == label.number:
            current.append(label)
            continue
        if current:
            instances.append(current)
        current = [label] if label.number is not None else []
    if current:
        instances.append(current)
    return instances


def _block_tables(
    sheet_name: str, rows: Sequence[tuple], label_column: int, name_label: _Label,
    labels: Sequence[_Label], value_columns: Sequence[int], options: ParseOptions,
) -> list[SheetTable]:
    """Numbered blocks of fields -> one milestones/RAID table per family of blocks."""
    families: dict[str, list[list[_Label]]] = {}
    for instance in _block_instances(labels):
        families.setdefault(instance[0].stem.lower(), []).append(instance)
    tables = []
    for instances in families.values():
        if len(instances) < 2:
            continue
        stems = list(dict.fromkeys(label.stem for instance in instances for label in instance))
        kind, mapping = _block_kind(stems, options)
        if kind is None:
            continue
        title_field = "name" if kind is Kind.MILESTONES else "title"
        if title_field not in mapping.mapped:  # the bare stem ("Approval MM") names the item
            mapping = _with_title(mapping, stems.index(instances[0][0].stem), title_field)
        headers = ("Project", "Block", *stems)
        records, cells = _block_records(rows, name_label, instances, stems, value_columns)
        tables.append(
            SheetTable(
                sheet=sheet_name, kind=kind, layout=Layout.TRANSPOSED, header_row=instances[0][0].row + 1,
                headers=headers, rows=records, cells=cells, first_column=label_column,
                mapping=_merge_block_mapping(map_headers(headers, kind, options=options), mapping),
                raid_kind=raid_kind_from_sheet_name(sheet_name) or ("risk" if kind is Kind.RAID else None),
            )
        )
    return tables


def _block_records(
    rows: Sequence[tuple], name_label: _Label, instances: Sequence[Sequence[_Label]],
    stems: Sequence[str], value_columns: Sequence[int],
) -> tuple[list[tuple[int, tuple]], list[tuple[str, ...]]]:
    """One record per project column and used block: (project, block number, block fields...)."""
    records: list[tuple[int, tuple]] = []
    cells: list[tuple[str, ...]] = []
    for column in value_columns:
        project = _cell(rows[name_label.row], column)
        letter = column_letter(column)
        for instance in instances:
            if _cell(rows[instance[0].row], column) is None:
                continue  # an unused block slot: its title cell is empty
            by_stem = {label.stem: label for label in instance}
            values = tuple(_cell(rows[by_stem[stem].row], column) if stem in by_stem else None for stem in stems)
            records.append((column + 1, (project, instance[0].number, *values)))
            cells.append(
                (f"{letter}{name_label.row + 1}", f"{letter}{instance[0].row + 1}")
                + tuple(f"{letter}{by_stem[s].row + 1}" if s in by_stem else "" for s in stems)
            )
    return records, cells


def _block_kind(stems: Sequence[str], options: ParseOptions) -> tuple[Kind | None, MappingResult]:
    """Milestones or RAID, whichever the block's field names fit (None if neither does)."""
    best: tuple[float, Kind | None, MappingResult | None] = (0.0, None, None)
    for kind in (Kind.MILESTONES, Kind.RAID):
        mapping = map_headers(stems, kind, options=options)
        if len(mapping.mapped) >= 2 and mapping.score > best[0]:
            best = (mapping.score, kind, mapping)
    if best[1] is None or best[2] is None:
        return None, map_headers(stems, Kind.RAID, options=options)
    return best[1], best[2]


def _with_title(mapping: MappingResult, index: int, title_field: str) -> MappingResult:
    columns = list(mapping.columns)
    if columns[index].field is None:
        columns[index] = replace(columns[index], field=title_field, confidence=0.8)
    return replace(mapping, columns=tuple(columns))


def _merge_block_mapping(full: MappingResult, blocks: MappingResult) -> MappingResult:
    """Project and block-number columns first, then the block fields from the stems' mapping.

    The block number is a RAID item's reference ("BRD 3" is risk 3 of its project).
    """
    block_field = "ref" if full.kind is Kind.RAID and "ref" not in blocks.mapped else None
    columns = [
        replace(full.columns[0], field="project", confidence=1.0),
        replace(full.columns[1], field=block_field, confidence=1.0 if block_field else 0.0, note="block number"),
    ]
    columns.extend(replace(column, index=column.index + 2) for column in blocks.columns)
    return replace(full, columns=tuple(columns))


TRANSPOSED_SCORE_LABELS = 300
"""Labels scored to decide whether a sheet is transposed (a long table must not be scored whole)."""


@dataclass(frozen=True, slots=True)
class _TransposedScan:
    """Where a transposed sheet keeps its labels and records, and how field-like the labels are."""

    label_column: int
    labels: list[_Label]
    value_columns: list[int]
    distinct_fields: int


def _scan_transposed(rows: Sequence[tuple], min_fields: int = 0) -> _TransposedScan | None:
    """The sheet's label column, labels and value columns; None when it has none of them.

    Also None when the labels name fewer than ``min_fields`` distinct fields: that is decided
    from the first labels alone, before the value columns are looked for across every row
    (which, for a long ordinary table, would otherwise be most of the cost of the scan).
    """
    found = _label_column(rows)
    if not found:
        return None
    column, found_labels = found
    head = list(islice(found_labels, TRANSPOSED_SCORE_LABELS))
    sample = [label.stem for label in head if len(label.stem) >= 3]
    # Distinct fields, not matches: a column of codes like "P1".."P900" is not a set of labels.
    fields = {name for name in map(_sure_field, sample) if name}
    if len(fields) < min_fields:
        return None
    labels = head + list(found_labels)
    values = _value_columns(rows, labels, column)
    if not values:
        return None
    return _TransposedScan(column, labels, values, len(fields))


def transposed_tables(sheet: Sheet, scan: _TransposedScan, options: ParseOptions) -> SheetTable | None:
    """Read a fields-down-column-A sheet (one project per column) into normal records."""
    plain = [label for label in scan.labels if label.number is None]
    if not plain:
        return None
    args = (sheet.name, sheet.rows, scan.label_column)
    main = _transposed_table(*args, plain, scan.value_columns, options)
    blocks = _block_tables(*args, plain[0], scan.labels, scan.value_columns, options)
    substantive = {f for f in main.mapping.mapped if f not in (*key_fields(main.kind or Kind.PROJECTS), "name")}
    richest = max((len(block.mapping.mapped) for block in blocks), default=0)
    if blocks and (main.kind is None or len(substantive) < richest):
        first, *rest = sorted(blocks, key=lambda t: -len(t.rows))
        first.nested = rest
        return first
    main.nested = blocks
    return main


def scan_if_transposed(sheet: Sheet) -> _TransposedScan | None:
    """Field labels down a column with two or more value columns, and no better header row."""
    scan = _scan_transposed(sheet.rows, min_fields=3)
    if scan is None or scan.distinct_fields < 3 or len(scan.labels) < 5:
        return None
    header_index = find_header_row(sheet.rows)
    row_score = 0.0
    if header_index is not None:
        texts = [v for v in _filled(sheet.rows[header_index]) if _is_text(v)]
        row_score = float(len({name for name in map(_sure_field, texts) if name}))
    first_label = _best_match(scan.labels[0].stem)[0] or ""
    names_first = first_label.endswith((".name", ".project", ".code"))
    if scan.distinct_fields > 1.5 * row_score and (names_first or len(scan.value_columns) >= 2):
        return scan
    return None


# ---------------------------------------------------------------------------------------------
# Form layout
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Pair:
    label: str
    value: object
    row: int
    column: int


def _label_like(value: object, threshold: float = 0.85) -> bool:
    """A form label: 'Something:' or a short text naming a known field."""
    if not _is_text(value):
        return False
    text = str(value).strip()
    return text.endswith(":") or (_best_match(text.rstrip(":"))[1] >= threshold and len(text) <= 40)


def _is_value(value: object) -> bool:
    """The cell right of a label is its value unless it is plainly another label."""
    return not _label_like(value, threshold=1.0)


def _pairs_in_row(rows: Sequence[tuple], index: int) -> list[_Pair]:
    row = rows[index]
    pairs = []
    column = 0
    while column < len(row):
        value = row[column]
        if not _label_like(value):
            column += 1
            continue
        label = str(value).strip().rstrip(":").strip()
        right = next((c for c in range(column + 1, min(column + 4, len(row))) if row[c] is not None), None)
        if right is not None and _is_value(row[right]):
            pairs.append(_Pair(label, row[right], index, right))
            column = right + 1
            continue
        below = _cell(rows[index + 1], column) if index + 1 < len(rows) else None
        if str(value).strip().endswith(":") and below is not None and _is_value(below) and len(_filled(row)) == 1:
            pairs.append(_Pair(label, below, index + 1, column))
        column += 1
    return pairs


def find_form(rows: Sequence[tuple], limit: int = 60) -> tuple[list[_Pair], int]:
    """Label/value pairs at the top of a sheet, and the 0-based row where they stop."""
    pairs: list[_Pair] = []
    end = 0
    for index in range(min(len(rows), limit)):
        row = rows[index]
        filled = _filled(row)
        has_colon_label = any(isinstance(v, str) and v.rstrip().endswith(":") for v in filled)
        if len(filled) >= 3 and not has_colon_label and header_score(row, rows[index + 1: index + 4]) > 4:
            break
        found = _pairs_in_row(rows, index)
        if found:
            pairs.extend(found)
            end = max(p.row for p in found) + 1
        elif len(filled) >= 3 and pairs:
            break
    return pairs, end


def form_table(sheet: Sheet, options: ParseOptions) -> SheetTable | None:
    """A status-report style form: one record from its labels, plus any table below it."""
    pairs, end = find_form(sheet.rows)
    known = [p for p in pairs if _best_match(p.label)[1] >= 0.85]
    if len(pairs) < 3 or len(known) < 2:
        return None
    headers = tuple(p.label for p in pairs)
    values = tuple(p.value for p in pairs)
    samples = [[v] for v in values]
    kind, mapping = classify(headers, sheet.name, samples, options)
    if kind is None:
        return None
    table = SheetTable(
        sheet=sheet.name, kind=kind, layout=Layout.FORM, header_row=pairs[0].row + 1, headers=headers,
        rows=[(pairs[0].row + 1, values)], mapping=mapping,
        cells=[tuple(f"{column_letter(p.column)}{p.row + 1}" for p in pairs)],
    )
    table.nested = _tables_below(sheet.name, sheet.rows, end, options)
    project_column = table.mapping.mapped.get("project") or table.mapping.mapped.get("name")
    for nested in table.nested:
        nested.project_hint = values[project_column.index] if project_column else None
    return table


def _tables_below(sheet_name: str, rows: Sequence[tuple], start: int, options: ParseOptions) -> list[SheetTable]:
    tables = []
    while start < len(rows):
        header_index = find_header_row(rows, start)
        if header_index is None:
            break
        table = table_at(sheet_name, rows, header_index, options)
        if table.kind is not None and table.rows:
            tables.append(table)
        start = (table.rows[-1][0] if table.rows else header_index + 1)
    return tables


NOT_A_PROJECT_LIST = ("it has no project code or name column, so its rows are not projects (a budget or plan "
                      "by phase or task of one project); copy its figures onto the project by hand")
"""Why a projects-like table without codes or names is skipped: "Project Phase | Budget Allocated"
rows are phases of one project that the sheet does not name, and a task plan's rows are tasks.
Importing them as projects would invent one project per phase or task."""


# ---------------------------------------------------------------------------------------------
# The office's own templates
# ---------------------------------------------------------------------------------------------

TEMPLATE_SIDE_SHEETS = ("_pmo_template", "Instructions", "Lists")
"""The sheets of our own template other than its data sheet (reports/templates.py writes them)."""


def template_table(workbook: Workbook) -> SheetTable | None:
    """The data table of one of our own templates, mapped by its hidden marker; None otherwise.

    The marker (reports/templates.py) names the kind, the data sheet and the canonical field of
    each column, so the data sheet is read with its header on row 1 and every column mapped
    exactly (confidence 1, no fuzzy matching): a manager who renamed a header still imports.
    """

    marker = template_marker({sheet.name: sheet.rows for sheet in workbook.sheets if sheet.hidden})
    if marker is None:
        return None
    kind_name, data_name, field_names = marker
    data = next((sheet for sheet in workbook.sheets if sheet.name == data_name), None)
    if data is None or kind_name not in {k.value for k in Kind}:
        return None
    kind = Kind(kind_name)
    specs = {spec.name: spec for spec in FIELDS[kind]}
    header = tuple(data.rows[0]) if data.rows else ()
    width = max(len(field_names), len(header))
    headers = header + (None,) * (width - len(header))
    columns = []
    for index, name in enumerate(field_names + [""] * (width - len(field_names))):
        spec = specs.get(name)
        label = headers[index] if headers[index] is not None else (name or None)
        if spec is None:
            columns.append(ColumnMapping(index, label, None, 0.0, note="not a field of this template"))
            continue
        unit = "hours" if spec.type is FieldType.HOURS else None
        columns.append(ColumnMapping(index, label, name, 1.0, unit=unit, note="template marker"))
    headers = tuple(column.header for column in columns)
    rows = [(line, tuple(values[:width]) + (None,) * max(0, width - len(values)))
            for line, values in enumerate(data.rows[1:], start=2) if _filled(values)]
    return SheetTable(
        sheet=data.name, kind=kind, layout=Layout.TABLE, header_row=1, headers=headers, rows=rows,
        mapping=MappingResult(kind, tuple(columns), (), header_fingerprint(headers)),
    )


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------

def ignored_reason(sheet: Sheet) -> str | None:
    """Why a sheet is left out before looking at its cells, or None to analyse it."""
    if sheet.hidden:
        return "hidden sheet (usually lists for drop-downs)"
    if _IGNORED_SHEET.search(sheet.name):
        return "instructions, lookup lists, pivot or dashboard sheet"
    if not any(sheet.rows):
        return "empty sheet"
    return None


def analyse_sheet(sheet: Sheet, options: ParseOptions = DEFAULT_OPTIONS) -> SheetTable | SkippedSheet:
    """Find the main table of one sheet (with nested tables), or say why it was skipped."""
    reason = ignored_reason(sheet)
    if reason:
        return SkippedSheet(sheet.name, reason)
    scan = scan_if_transposed(sheet)
    if scan is not None:
        table = transposed_tables(sheet, scan, options)
        if table is not None and table.kind is not None:
            return table
    form = form_table(sheet, options)
    if form is not None:
        return form
    header_index = find_header_row(sheet.rows)
    if header_index is None:
        return SkippedSheet(sheet.name, "no header row found")
    table = table_at(sheet.name, sheet.rows, header_index, options)
    if table.kind is None:
        return SkippedSheet(sheet.name, "its columns do not match projects, status, RAID, milestones, people or "
                                        "strategic scores (a scoring matrix is headed with the office's criteria)")
    if table.kind is Kind.PROJECTS and not {"code", "name"} & set(table.mapping.mapped):
        return SkippedSheet(sheet.name, NOT_A_PROJECT_LIST)
    if not table.rows:
        return SkippedSheet(sheet.name, f"has headers on row {table.header_row} but no data under them")
    table.nested = _tables_below(sheet.name, sheet.rows, (table.rows[-1][0] if table.rows else header_index + 1), options)
    return table


def analyse_workbook(workbook: Workbook, options: ParseOptions = DEFAULT_OPTIONS) -> WorkbookAnalysis:
    """Analyse every sheet of a workbook (our own templates by their marker, see template_table)."""
    tables: list[SheetTable] = []
    skipped: list[SkippedSheet] = []
    template = template_table(workbook)
    own_sheets: frozenset[str] = frozenset()
    if template is not None:
        tables.append(template)
        own_sheets = frozenset({template.sheet, *TEMPLATE_SIDE_SHEETS})
    for sheet in workbook.sheets:
        if sheet.name in own_sheets:
            continue  # the template's data sheet is read above; its instructions and lists are ours
        result = analyse_sheet(sheet, options)
        if isinstance(result, SkippedSheet):
            skipped.append(result)
        else:
            tables.append(result)
    return WorkbookAnalysis(tables, skipped)
