"""Map a sheet's column headers to canonical fields.

Headers are normalised (case, punctuation, "&", abbreviations, word order, units in brackets),
then matched exactly, as a bag of words, and finally fuzzily (rapidfuzz) against the synonym
table in fields.py. Units in the header become a multiplier ("(£k)" -> 1,000) or a unit for
effort columns ("(days)", "FTE"). Headers that are dates, weeks or months ("W/C 06/01/2026",
"Jan-26", "2026-02") are returned as the columns of a wide time grid (allocations).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache

from rapidfuzz import fuzz, process

from pmo_desktop.importer.fields import FIELDS, FieldSpec, FieldType, Kind
from pmo_desktop.importer.values import DEFAULT_OPTIONS, ParseOptions, parse_date, parse_field

_ABBREVIATIONS = {
    "proj": "project", "prj": "project", "mgr": "manager", "mngr": "manager", "mgmt": "management",
    "dept": "department", "dep": "department", "pct": "percent", "perc": "percent", "est": "estimated",
    "fcst": "forecast", "fcast": "forecast", "desc": "description", "descr": "description",
    "amt": "amount", "num": "number", "nbr": "number", "no": "number", "yr": "year", "wk": "week",
    "hrs": "hours", "hr": "hours", "prog": "programme", "prgm": "programme", "program": "programme",
    "programmes": "programme", "org": "organisation", "organization": "organisation", "ttl": "total",
    "tot": "total", "resp": "responsible", "compl": "complete", "cmpl": "complete", "mgt": "management",
    "colour": "colour", "color": "colour", "qtr": "quarter", "dt": "date", "ref": "reference",
    "refs": "reference", "id": "id", "ids": "id", "info": "information", "approx": "approximate",
    "cat": "category", "stat": "status", "sts": "status", "proba": "probability", "prob": "probability",
    "likelyhood": "likelihood", "liklihood": "likelihood", "mitigations": "mitigation",
    "milestones": "milestone", "risks": "risk", "issues": "issue", "actions": "action",
    "dependencies": "dependency", "assumptions": "assumption", "achievements": "achievement",
    "costs": "cost", "actuals": "actual", "budgets": "budget", "dates": "date", "days": "days",
    "finish": "finish", "organisations": "organisation", "resources": "resources", "mths": "month",
    "mth": "month", "mnth": "month",
}
_PHRASES = (
    (re.compile(r"\bw\s*/\s*c\b|\bw\.c\.?(?=\s|$)"), " week commencing "),
    (re.compile(r"\bw\s*/\s*e\b|\bw\.e\.?(?=\s|$)"), " week ending "),
    (re.compile(r"\bw\s*/\s*b\b"), " week beginning "),
    (re.compile(r"\bs\.?r\.?o\.?\b"), " sro "),
    (re.compile(r"&|\+"), " and "),
    (re.compile(r"%"), " percent "),
    (re.compile(r"#"), " number "),
    (re.compile(r"\be-mail\b"), " email "),
    (re.compile(r"\bgo-live\b"), " go live "),
    (re.compile(r"\bkick-off\b"), " kick off "),
    (re.compile(r"\bto-date\b"), " to date "),
)
_BRACKETS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|\{([^{}]*)\}")
_STOPWORDS = frozenset({"the", "of", "a", "an", "in", "for", "by", "and", "on", "at", "this", "per"})
_FILLERS = frozenset({"total", "overall", "current", "latest", "sum", "project"})


@dataclass(frozen=True, slots=True)
class HeaderUnit:
    """What a header says about the unit of its column."""

    multiplier: Decimal = Decimal(1)
    """Money scale: 1,000 for "(£k)", 1,000,000 for "(£m)"."""
    effort: str | None = None
    """Effort unit: "hours", "days", "fte" or "percent" when the header names one."""
    per_day: bool = False
    """A rate per day ("Day Rate")."""


def unit_from_text(text: str) -> HeaderUnit:
    """Find a unit anywhere in the raw header: "(£k)", "£m", "'000", "(days)", "FTE", "hrs/week"."""
    lowered = text.lower()
    multiplier = Decimal(1)
    if re.search(r"(£|\$|€|gbp|usd|eur)\s*'?000s?\b|'000s?|\b000s\b|(£|\$|€)\s*k\b|\bk\s*(£|\$|€)|\(k\)|\bin thousands\b|\bthousands\b", lowered):
        multiplier = Decimal(1000)
    elif re.search(r"(£|\$|€|gbp|usd|eur)\s*(m|mn|million)\b|\((m|mn)\)|\bin millions\b|\bmillions\b", lowered):
        multiplier = Decimal(1_000_000)
    elif re.search(r"(£|\$|€)\s*bn\b|\bbillions\b", lowered):
        multiplier = Decimal(1_000_000_000)
    effort = None
    if re.search(r"\bfte\b", lowered):
        effort = "fte"
    elif re.search(r"\b(days?|person days|man days|pd)\b(?!\s*rate)", lowered) and "per day" not in lowered:
        effort = "days"
    elif re.search(r"\b(hours?|hrs?|h)\b", lowered):
        effort = "hours"
    elif "%" in lowered or re.search(r"\bpercent", lowered):
        effort = "percent"
    per_day = bool(re.search(r"\b(day rate|daily rate|per day|/\s*day|rate per day|p\.?d\.?)\b", lowered))
    return HeaderUnit(multiplier, effort, per_day)


@lru_cache(maxsize=65_536)
def normalise_header(header: object) -> str:
    """Normalise a header for matching: 'Total Budget (£k)' -> 'total budget'.

    Lower-cased, bracketed notes and units removed, '&' -> 'and', '%' -> 'percent',
    punctuation -> spaces, common abbreviations expanded ('Proj Mgr' -> 'project manager').
    """
    if header is None:
        return ""
    if isinstance(header, datetime | date):
        return header.isoformat()[:10]
    text = str(header).strip().lower().replace("\u00a0", " ")
    text = re.sub(r"_x000d_|\r|\n", " ", text)
    without_brackets = _BRACKETS.sub(" ", text).strip()
    if without_brackets:  # '(£k)' alone is not a header worth emptying
        text = without_brackets
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    text = re.sub(r"(£|\$|€)\s*(k|m|mn|bn|'?000s?)?\b", " ", text)
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = re.sub(r"\b([a-z])\s+(?=[a-z]\b)", r"\1", text)  # "R.A.G." / "P M" -> "rag" / "pm"
    words = [_ABBREVIATIONS.get(word, word) for word in text.split()]
    return " ".join(words)


def _bag(normalised: str) -> str:
    return " ".join(sorted(word for word in normalised.split() if word not in _STOPWORDS))


def _strip_fillers(normalised: str) -> str:
    return " ".join(word for word in normalised.split() if word not in _FILLERS)


@dataclass(frozen=True, slots=True)
class _Index:
    exact: dict[str, tuple[str, ...]]
    bags: dict[str, tuple[str, ...]]
    choices: tuple[str, ...]


@cache
def _index(kind: Kind) -> _Index:
    exact: dict[str, list[str]] = {}
    bags: dict[str, list[str]] = {}
    for spec in FIELDS[kind]:
        for synonym in spec.synonyms:
            norm = normalise_header(synonym)
            if spec.name not in exact.setdefault(norm, []):
                exact[norm].append(spec.name)
            if spec.name not in bags.setdefault(_bag(norm), []):
                bags[_bag(norm)].append(spec.name)
    return _Index(
        {k: tuple(v) for k, v in exact.items()},
        {k: tuple(v) for k, v in bags.items()},
        tuple(exact),
    )


SURE_MATCH = 0.85
"""The confidence of the weakest match that is not fuzzy (a header without its filler words); a
fuzzy match always scores below it."""


@lru_cache(maxsize=65_536)
def match_header(header: object, kind: Kind, fuzzy: bool = True) -> tuple[tuple[str, ...], float]:
    """Candidate fields for one header and the confidence of the match (0 when none).

    ``fuzzy=False`` leaves out the fuzzy comparison with every synonym (most of the cost of a
    header that matches nothing): what it gives instead of a match is one below SURE_MATCH.
    """
    norm = normalise_header(header)
    if not norm or isinstance(header, datetime | date):
        return (), 0.0
    index = _index(kind)
    if norm in index.exact:
        return index.exact[norm], 1.0
    if _bag(norm) in index.bags:
        return index.bags[_bag(norm)], 0.95
    stripped = _strip_fillers(norm)
    if stripped and stripped != norm and stripped in index.exact:
        return index.exact[stripped], SURE_MATCH
    if len(norm) < 5 or not fuzzy:
        return (), 0.0
    best = process.extractOne(norm, index.choices, scorer=fuzz.token_sort_ratio, score_cutoff=88)
    if best is None:
        best = process.extractOne(norm, index.choices, scorer=fuzz.ratio, score_cutoff=90)
    if best is None:
        return (), 0.0
    return index.exact[best[0]], round(best[1] / 100 * 0.85, 3)


# ---------------------------------------------------------------------------------------------
# Wide time grids
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GridColumn:
    """One column of a wide time grid: the period its cells cover."""

    index: int
    header: object
    start: date
    end: date
    granularity: str
    """"week", "month", "quarter" or "day"."""

    @property
    def weeks(self) -> float:
        """Length of the period in weeks (to turn hours per period into hours per week)."""
        return ((self.end - self.start).days + 1) / 7


_WEEK_PREFIX = re.compile(r"^\s*(w/?c|w/?b|wc|wb|week commencing|week beginning|wk commencing|w\.c\.)\s*[:.]?\s*", re.I)
_WEEK_END_PREFIX = re.compile(r"^\s*(w/?e|we|week ending|wk ending|w\.e\.)\s*[:.]?\s*", re.I)
_ISO_WEEK = re.compile(r"^\s*(\d{4})\s*-?\s*w(\d{1,2})\s*$", re.I)
_MONTH_TEXT = re.compile(r"^\s*([a-z]{3,9})\.?[\s\-/']*(\d{2}|\d{4})\s*$", re.I)
_YEAR_MONTH = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})\s*$")
_QUARTER = re.compile(r"^\s*(q[1-4][\s\-/]*(\d{2}|\d{4})|\d{4}[\s\-/]*q[1-4])\s*$", re.I)


def grid_period(header: object, *, day_first: bool = True) -> tuple[date, date, str] | None:
    """The period a time-grid header stands for, or None if it is not a period header."""
    if isinstance(header, datetime):
        header = header.date()
    if isinstance(header, date):
        return header, header, "day"
    if not isinstance(header, str) or len(header) > 30:
        return None
    text = header.strip()
    try:
        if match := _WEEK_PREFIX.match(text):
            start = parse_date(text[match.end():], day_first=day_first)
            return (start, start + timedelta(days=6), "week") if start else None
        if match := _WEEK_END_PREFIX.match(text):
            end = parse_date(text[match.end():], day_first=day_first)
            return (end - timedelta(days=6), end, "week") if end else None
        if match := _ISO_WEEK.match(text):
            start = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return start, start + timedelta(days=6), "week"
        if _MONTH_TEXT.match(text) or _YEAR_MONTH.match(text):
            first = parse_date(text, day_first=day_first)
            last = parse_date(text, day_first=day_first, period_end=True)
            return (first, last, "month") if first and last and first.day == 1 and first != last else None
        if _QUARTER.match(text):
            first = parse_date(text, day_first=day_first)
            last = parse_date(text, day_first=day_first, period_end=True)
            return (first, last, "quarter") if first and last else None
        if re.fullmatch(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}", text):
            day = parse_date(text, day_first=day_first)
            return (day, day, "day") if day else None
    except ValueError:
        return None
    return None


def _refine_day_columns(columns: list[GridColumn]) -> list[GridColumn]:
    """Plain dates in a row of headers are weeks or months when they are spaced that way."""
    days = [c for c in columns if c.granularity == "day"]
    if len(days) < 2:
        return columns
    gaps = {(b.start - a.start).days for a, b in zip(days, days[1:], strict=False)}
    if gaps <= {7}:
        grain, length = "week", 6
    elif gaps and all(27 <= gap <= 31 for gap in gaps):
        grain, length = "month", -1
    else:
        return columns
    refined = []
    for column in columns:
        if column.granularity != "day":
            refined.append(column)
            continue
        if length < 0:
            start = column.start.replace(day=1)
            end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        else:
            start, end = column.start, column.start + timedelta(days=length)
        refined.append(GridColumn(column.index, column.header, start, end, grain))
    return refined


def detect_grid(headers: Sequence[object], *, day_first: bool = True, minimum: int = 3) -> list[GridColumn]:
    """The time-grid columns of a header row (empty unless at least ``minimum`` are periods)."""
    columns = []
    for index, header in enumerate(headers):
        period = grid_period(header, day_first=day_first)
        if period:
            columns.append(GridColumn(index, header, *period))
    if len(columns) < minimum:
        return []
    return _refine_day_columns(columns)


# ---------------------------------------------------------------------------------------------
# Column mapping
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Where one column goes."""

    index: int
    header: object
    field: str | None
    confidence: float
    multiplier: Decimal = Decimal(1)
    """Applied to money and numbers (k, m) or to rates (per day -> per hour)."""
    unit: str | None = None
    """For effort columns: "hours", "days", "fte" or "percent" (see values.parse_hours)."""
    note: str = ""


@dataclass(frozen=True, slots=True)
class MappingResult:
    """The mapping of one header row for one kind of sheet."""

    kind: Kind
    columns: tuple[ColumnMapping, ...]
    grid: tuple[GridColumn, ...] = ()
    fingerprint: str = ""

    @property
    def mapped(self) -> dict[str, ColumnMapping]:
        """Field name -> its column, for the columns that map to a field."""
        return {c.field: c for c in self.columns if c.field}

    @property
    def score(self) -> float:
        """Sum of confidences of mapped columns (used to choose the sheet's kind)."""
        return sum(c.confidence for c in self.columns if c.field)


@dataclass(slots=True)
class _Candidate:
    index: int
    fields: tuple[str, ...]
    confidence: float
    chosen: str | None = field(default=None)


def _acceptance(spec: FieldSpec, column: Sequence[object], options: ParseOptions) -> float:
    """Share of non-blank sample values that parse as this field."""
    values = [v for v in column if v is not None][:50]
    if not values:
        return 0.0
    good = 0
    for value in values:
        try:
            parse_field(spec, value, options=options)
        except ValueError:
            continue
        good += 1
    return good / len(values)


def _choose_field(
    kind: Kind, candidates: tuple[str, ...], sample: Sequence[object] | None, options: ParseOptions
) -> str:
    """Several fields share a synonym ("Status": RAG or stage): let the values decide."""
    if len(candidates) == 1 or not sample:
        return candidates[0]
    specs = {spec.name: spec for spec in FIELDS[kind]}
    scores = [(_acceptance(specs[name], sample, options), -i, name) for i, name in enumerate(candidates)]
    return max(scores)[2]


def with_default_money_scale(mapping: MappingResult, multiplier: Decimal, note: str) -> MappingResult:
    """Money columns whose header names no scale take ``multiplier`` (a title's "£000s")."""
    if multiplier == 1:
        return mapping
    specs = {spec.name: spec for spec in FIELDS[mapping.kind]}
    columns = tuple(
        replace(column, multiplier=multiplier, note=note)
        if column.field and specs[column.field].type is FieldType.MONEY and column.multiplier == 1
        and column.field != "cost_rate"
        else column
        for column in mapping.columns
    )
    return replace(mapping, columns=columns)


def column_unit(spec: FieldSpec, header: object, options: ParseOptions) -> tuple[Decimal, str | None]:
    unit = unit_from_text(str(header))
    if spec.type in (FieldType.MONEY, FieldType.NUMBER):
        multiplier = unit.multiplier
        if spec.name == "cost_rate" and unit.per_day:
            multiplier = multiplier / Decimal(str(options.hours_per_day))
        return multiplier, None
    if spec.type is FieldType.HOURS:
        effort = unit.effort or ("fte" if "fte" in normalise_header(header).split() else "hours")
        factor = {"days": options.hours_per_day, "fte": options.hours_per_week}.get(effort, 1.0)
        return Decimal(str(factor)), effort
    return Decimal(1), None


def map_headers(
    headers: Sequence[object],
    kind: Kind,
    *,
    samples: Sequence[Sequence[object]] | None = None,
    options: ParseOptions = DEFAULT_OPTIONS,
) -> MappingResult:
    """Map each header to a canonical field of ``kind`` (each field used at most once).

    ``samples`` (optional) holds some values of each column, by column index; they settle
    headers that fit several fields ("Status" holding stage words or RAG colours).
    """
    grid = detect_grid(headers, day_first=options.day_first)
    grid_indexes = {g.index for g in grid}
    candidates = []
    for index, header in enumerate(headers):
        if index in grid_indexes:
            continue
        fields, confidence = match_header(header, kind)
        if fields:
            candidates.append(_Candidate(index, fields, confidence))
    taken: dict[str, int] = {}
    for cand in sorted(candidates, key=lambda c: (-c.confidence, c.index)):
        free = tuple(name for name in cand.fields if name not in taken) or cand.fields
        sample = samples[cand.index] if samples and cand.index < len(samples) else None
        name = _choose_field(kind, free, sample, options)
        if name not in taken:
            taken[name] = cand.index
            cand.chosen = name
    by_index = {c.index: c for c in candidates}
    specs = {spec.name: spec for spec in FIELDS[kind]}
    columns = []
    for index, header in enumerate(headers):
        cand = by_index.get(index)
        if cand is None or cand.chosen is None:
            note = ""
            if cand is not None:
                first = cand.fields[0]
                note = f"{first} already comes from column {taken.get(first, 0) + 1}"
            columns.append(ColumnMapping(index, header, None, 0.0, note=note))
            continue
        multiplier, unit = column_unit(specs[cand.chosen], header, options)
        columns.append(ColumnMapping(index, header, cand.chosen, cand.confidence, multiplier, unit))
    return MappingResult(kind, tuple(columns), tuple(grid), header_fingerprint(headers))


def header_fingerprint(headers: Sequence[object]) -> str:
    """A stable sha1 of the normalised headers, for remembering a manager's mapping.

    Trailing blank headers are ignored and a time grid counts as one "<grid>" column, so
    next month's file with later weeks has the same fingerprint.
    """
    grid_indexes = {g.index for g in detect_grid(headers)}
    parts: list[str] = []
    for index, header in enumerate(headers):
        if index in grid_indexes:
            if not parts or parts[-1] != "<grid>":
                parts.append("<grid>")
            continue
        parts.append(normalise_header(header))
    while parts and not parts[-1]:
        parts.pop()
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
