"""Cell value parsers: turn what project managers type into typed values.

Every parser takes the raw cell (already normalised by the reader: ints, floats, dates, stripped
strings or None) and returns the typed value, ``None`` for a blank or a "to be confirmed"
marker ("TBC", "n/a"), or raises ``ValueError`` whose message explains the problem in plain
words (it is shown to the coordinator and written into the rejected-rows workbook).

Choices made here (documented once, relied on by the tests):

* Dates: text in the office's order (``day_first``) unless the text is unambiguous (a first
  number above 12 is a day; a second number above 12 is a day). Month-only text ("Mar 2026",
  "2026-03", "Mar-26") and quarters ("Q3 2026") mean the first day of the period for start
  fields and the last day for end fields (``period_end=True``). Excel serial numbers are
  accepted between 1950 and 2100.
* RAG: the DfT five-point delivery confidence scale folds onto three points as
  Green, Amber/Green -> G; Amber -> A; Amber/Red, Red -> R (the usual Treasury/IPA reading:
  Amber/Green is "probable"). Yellow is Amber. Blue (complete) counts as Green.
* Likelihood and impact: Very Low..Very High -> 1..5, so H/M/L -> 4/3/2 (the same as the words
  High/Medium/Low, so a register mixing "H" and "High" stays consistent). Percentages
  (probabilities) fall into bands: up to 10% -> 1, 30% -> 2, 50% -> 3, 70% -> 4, above -> 5.
* Priority: 1 is the highest. P1/P2/P3 -> 1/2/3; Critical/Urgent/High -> 1, Medium -> 2,
  Low -> 3, Very Low -> 4.
* Percent: a fraction 0..1. "45%" -> 0.45; numbers above 1 are read as percent points
  ("45" -> 0.45); more than ``max_percent`` is refused.
* Enumerations (stage, RAID type and status, escalation, milestone status, risk response,
  methodology) parse straight to the model's values (model/enums.py), so the planner stores
  what the parser returns: "Delivery" -> "execution", "WIP" -> "in_progress", "Monitoring"
  (a RAID item being watched) -> "open", "Board" -> "portfolio" (the highest escalation level),
  "Late" -> "missed", "Treat - Prevent" -> "reduce".
* Money: Decimal. "(1,200)" is negative; k/m/bn suffixes multiply; "12.000,50" and "12,5" are
  read as European. A suffix written in the cell wins over the unit in the column header.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import partial
from typing import TypeVar

from pmo_desktop.importer.fields import FieldSpec, FieldType
from pmo_desktop.model.enums import (
    Escalation,
    Methodology,
    MilestoneStatus,
    RaidKind,
    RaidStatus,
    RiskResponse,
    Stage,
)

# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------

NO_VALUE_WORDS = frozenset(
    {
        "tbc", "tbd", "tba", "to be confirmed", "to be decided", "to be agreed", "n/a", "na",
        "n.a.", "n.a", "not applicable", "none", "nil", "null", "-", "--", "---", "\u2013", "\u2014",
        "?", "??", "unknown", "not known", "pending", "not yet known", "#n/a",
    }
)
"""Cell texts that mean 'no value yet': parsed to None without an error."""


def is_no_value(value: object) -> bool:
    """True for None, empty text and 'TBC'-style markers that mean no value yet."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip().lower()
        return not text or text in NO_VALUE_WORDS
    return False


def _word(value: object) -> str:
    """Lower-case text with runs of space, dash, underscore and dots collapsed to one space."""
    text = str(value).strip().lower()
    text = re.sub(r"[\s_\u00a0]+", " ", text)
    return text.strip(" .")


def _describe(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


_T = TypeVar("_T")
_COMMENT_SPLIT = re.compile(r"\s+[-\u2013\u2014:;,]\s*|\s*[(\[]|\s*[:;,]\s+")


def _leading_word(text: str) -> str | None:
    """The value before a comment: "Green - on track" -> "green", "High (4)" -> "high"."""
    head = _COMMENT_SPLIT.split(text, maxsplit=1)[0].strip()
    return head if head and head != text else None


def _find(key: str, table: dict[str, _T]) -> _T | None:
    if key in table:
        return table[key]
    squeezed = re.sub(r"[^a-z0-9/]", "", key)
    for candidate, result in table.items():
        if re.sub(r"[^a-z0-9/]", "", candidate) == squeezed:
            return result
    return None


def _lookup(value: object, table: dict[str, str], what: str, choices: str) -> str | None:
    """Map a word through a synonym table, raising a readable ValueError when unknown.

    A comment after the value is ignored ("Amber - improving", "Closed (duplicate)").
    """
    if is_no_value(value):
        return None
    key = _word(value)
    found = _find(key, table)
    if found is None and (head := _leading_word(key)):
        found = _find(head, table)
    if found is None:
        raise ValueError(f"{_describe(value)} is not a {what} this program knows; use one of {choices}")
    return str(found)  # the plain value, not the StrEnum member


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

EXCEL_EPOCH = date(1899, 12, 30)
MIN_PLAUSIBLE = date(1950, 1, 1)
MAX_PLAUSIBLE = date(2100, 12, 31)

_MONTHS = {
    name: index
    for index in range(1, 13)
    for name in (calendar.month_name[index].lower(), calendar.month_abbr[index].lower())
}
_MONTHS["sept"] = 9
_MONTH_RE = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_PREFIX_RE = re.compile(
    r"^(?:w/?c|w/?e|wk\s+commencing|week\s+commencing|week\s+beginning|week\s+ending|"
    r"w\.?c\.?|w\.?e\.?|wb|w/b|as\s+at|as\s+of|by|due|on|mon|tue|wed|thu|fri|sat|sun|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)[\s:.,]+",
    re.IGNORECASE,
)
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?z?$")
_NUMERIC_RE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DAY_MONTH_YEAR_RE = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*{_MONTH_RE}[\s\-/.,]*(\d{{2,4}})$")
_MONTH_DAY_YEAR_RE = re.compile(rf"^{_MONTH_RE}[\s\-/.]*(\d{{1,2}})(?:st|nd|rd|th)?[\s,\-/.]+(\d{{4}})$")
_MONTH_YEAR_RE = re.compile(rf"^{_MONTH_RE}[\s\-/.,']*(\d{{2}}|\d{{4}})$")
_YEAR_MONTH_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_QUARTER_RE = re.compile(r"^(?:q([1-4])[\s\-/,]*(?:cy)?(\d{2}|\d{4})|(\d{4})[\s\-/]*q([1-4]))$")


def _year(text: str) -> int:
    number = int(text)
    if len(text) <= 2:
        return 2000 + number if number < 70 else 1900 + number
    return number


def _plausible(value: date, raw: object) -> date:
    if not MIN_PLAUSIBLE <= value <= MAX_PLAUSIBLE:
        raise ValueError(
            f"{_describe(raw)} gives {value.isoformat()}, outside {MIN_PLAUSIBLE.year}-{MAX_PLAUSIBLE.year}; "
            "check the year"
        )
    return value


def _make_date(year: int, month: int, day: int, raw: object) -> date:
    try:
        return _plausible(date(year, month, day), raw)
    except ValueError as exc:
        if "outside" in str(exc):
            raise
        raise ValueError(f"{_describe(raw)} is not a real calendar date") from None


def _month_bounds(year: int, month: int, period_end: bool, raw: object) -> date:
    day = calendar.monthrange(year, month)[1] if period_end else 1
    return _make_date(year, month, day, raw)


def excel_serial_to_date(serial: float, raw: object = None) -> date:
    """Convert an Excel 1900-system serial number (e.g. 46035) to a date."""
    if not math.isfinite(serial):
        raise ValueError(f"{_describe(raw if raw is not None else serial)} is not a date")
    whole = int(serial)
    low = (MIN_PLAUSIBLE - EXCEL_EPOCH).days
    high = (MAX_PLAUSIBLE - EXCEL_EPOCH).days
    if not low <= whole <= high:
        raise ValueError(
            f"the number {_describe(raw if raw is not None else serial)} is not a plausible date "
            f"(as an Excel date it would not fall between {MIN_PLAUSIBLE.year} and {MAX_PLAUSIBLE.year})"
        )
    return EXCEL_EPOCH + timedelta(days=whole)


def _numeric_date(a: str, b: str, c: str, day_first: bool, raw: object) -> date:
    if len(a) == 4:  # 2026/03/14
        return _make_date(int(a), int(b), int(c), raw)
    first, second, year = int(a), int(b), _year(c)
    if first > 12 and second <= 12:
        day, month = first, second
    elif second > 12 and first <= 12:
        month, day = first, second
    elif day_first:
        day, month = first, second
    else:
        month, day = first, second
    return _make_date(year, month, day, raw)


def _text_date(text: str, day_first: bool, period_end: bool, raw: object) -> date | None:
    text = _PREFIX_RE.sub("", text.strip().lower()).strip()
    if not text or text in NO_VALUE_WORDS:
        return None
    if match := _ISO_RE.match(text):
        return _make_date(int(match[1]), int(match[2]), int(match[3]), raw)
    if match := _NUMERIC_RE.match(text):
        return _numeric_date(match[1], match[2], match[3], day_first, raw)
    if match := _DAY_MONTH_YEAR_RE.match(text):
        return _make_date(_year(match[3]), _MONTHS[match[2]], int(match[1]), raw)
    if match := _MONTH_DAY_YEAR_RE.match(text):
        return _make_date(int(match[3]), _MONTHS[match[1]], int(match[2]), raw)
    if match := _MONTH_YEAR_RE.match(text):
        return _month_bounds(_year(match[2]), _MONTHS[match[1]], period_end, raw)
    if match := _YEAR_MONTH_RE.match(text):
        month = int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"{_describe(raw)} has no month {month}")
        return _month_bounds(int(match[1]), month, period_end, raw)
    if match := _QUARTER_RE.match(text):
        quarter = int(match[1] or match[4])
        year = _year(match[2] or match[3])
        month = quarter * 3 if period_end else quarter * 3 - 2
        return _month_bounds(year, month, period_end, raw)
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return excel_serial_to_date(float(text), raw)
    raise ValueError(
        f"{_describe(raw)} is not a date this program can read; write it like 14/03/2026 or 2026-03-14"
    )


def parse_date(value: object, *, day_first: bool = True, period_end: bool = False) -> date | None:
    """Parse a date cell: real dates, Excel serials, and text in many common spellings.

    ``day_first`` is the office's setting for ambiguous text like 03/04/2026; ``period_end``
    picks the last day for month and quarter texts (use it for end/due/forecast fields).
    """
    if is_no_value(value):
        return None
    if isinstance(value, datetime):
        return _plausible(value.date(), value)
    if isinstance(value, date):
        return _plausible(value, value)
    if isinstance(value, bool):
        raise ValueError(f"{_describe(value)} is a yes/no value, not a date")
    if _is_number(value):
        return excel_serial_to_date(float(value), value)  # type: ignore[arg-type]
    if isinstance(value, time | timedelta):
        raise ValueError(f"{_describe(value)} is a time of day, not a date")
    return _text_date(str(value), day_first, period_end, value)


# ---------------------------------------------------------------------------------------------
# Numbers and money
# ---------------------------------------------------------------------------------------------

_SUFFIXES = {
    "k": Decimal(1000), "K": Decimal(1000), "thousand": Decimal(1000), "000s": Decimal(1000),
    "m": Decimal(1_000_000), "M": Decimal(1_000_000), "mn": Decimal(1_000_000),
    "mil": Decimal(1_000_000), "million": Decimal(1_000_000), "millions": Decimal(1_000_000),
    "bn": Decimal(1_000_000_000), "b": Decimal(1_000_000_000), "billion": Decimal(1_000_000_000),
}
_CURRENCY_RE = re.compile(r"(?i)(£|\$|€|¥|us\$|a\$|c\$|gbp|usd|eur|aud|cad|chf|jpy)")
_AMOUNT_RE = re.compile(
    r"^(?P<sign>[-+\u2212]?)\s*(?P<number>\d[\d,.\s'\u00a0\u202f]*|[.,]\d+)\s*"
    r"(?P<suffix>k|m|mn|mil|million|millions|bn|b|thousand|000s)?\s*(?P<trail>-)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Amount:
    """A number read from text, with whether the text carried its own k/m/bn multiplier."""

    value: Decimal
    has_suffix: bool


def _number_from_digits(digits: str, raw: object) -> Decimal:
    """Read '1,200.50', '1.200,50', '12,5', '1 200' and similar into a Decimal."""
    digits = re.sub(r"[\s'\u00a0\u202f]", "", digits)
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:
        decimal_mark = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif commas == 1 and not re.fullmatch(r"\d{1,3},\d{3}", digits):
        decimal_mark = ","  # 12,5 or 1234,50: a decimal comma
    elif dots > 1:
        decimal_mark = ","  # 1.200.000: dots group thousands
    else:
        decimal_mark = "."
    thousands = "." if decimal_mark == "," else ","
    groups = digits.split(decimal_mark)
    if len(groups) > 2:
        raise ValueError(f"{_describe(raw)} has more than one decimal point")
    whole = groups[0]
    if thousands in whole and not re.fullmatch(r"\d{1,3}(?:" + re.escape(thousands) + r"\d{3})+", whole):
        raise ValueError(f"{_describe(raw)} has its thousands separators in the wrong places")
    text = whole.replace(thousands, "") + ("." + groups[1] if len(groups) == 2 else "")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{_describe(raw)} is not a number") from None


def read_amount(value: object, what: str = "number") -> Amount | None:
    """Read a number from a cell: accepts separators, currency, k/m suffixes, (negatives)."""
    if is_no_value(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{_describe(value)} is a yes/no value, not a {what}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{_describe(value)} is not a {what}")
        return Amount(value, False)
    if isinstance(value, int):
        return Amount(Decimal(value), False)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{_describe(value)} is not a {what}")
        return Amount(Decimal(repr(value)), False)
    if isinstance(value, date | time | timedelta):
        raise ValueError(f"{_describe(value)} is a date or time, not a {what}")
    text = str(value).strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    text = _CURRENCY_RE.sub(" ", text).strip()
    match = _AMOUNT_RE.match(text)
    if not match:
        raise ValueError(f"{_describe(value)} is not a {what}")
    number = _number_from_digits(match["number"], value)
    if match["sign"] in ("-", "\u2212") or match["trail"]:
        negative = not negative
    suffix = match["suffix"]
    if suffix:
        number *= _SUFFIXES.get(suffix, _SUFFIXES.get(suffix.lower(), Decimal(1)))
    return Amount(-number if negative else number, bool(suffix))


def parse_money(value: object, *, multiplier: Decimal = Decimal(1)) -> Decimal | None:
    """Parse an amount of money ("£1.2m", "1,200k", "$3,400.50", "(1,200)", "€ 12.000,50").

    ``multiplier`` is the column's unit (1000 for a "(£k)" header); a k/m suffix in the cell
    itself takes precedence over it.
    """
    amount = read_amount(value, "amount of money")
    if amount is None:
        return None
    return _tidy(amount.value if amount.has_suffix else amount.value * multiplier)


def _tidy(number: Decimal) -> Decimal:
    """Drop meaningless trailing zeros without switching to exponent notation (1.2E+6)."""
    try:
        if number == number.to_integral_value():
            return number.quantize(Decimal(1))
        return number.normalize()
    except InvalidOperation:
        return number


def parse_number(value: object, *, multiplier: Decimal = Decimal(1)) -> float | None:
    """Parse a plain number (separators and k/m suffixes allowed) as a float."""
    amount = read_amount(value)
    if amount is None:
        return None
    return float(amount.value if amount.has_suffix else amount.value * multiplier)


def parse_int(value: object) -> int | None:
    """Parse a whole number; '3.0' is fine, '3.5' is not."""
    amount = read_amount(value, "whole number")
    if amount is None:
        return None
    if amount.value != amount.value.to_integral_value():
        raise ValueError(f"{_describe(value)} is not a whole number")
    return int(amount.value)


def parse_percent(value: object, *, max_percent: float = 100.0) -> float | None:
    """Parse a percentage as a fraction 0..1 ("45%", 0.45 and "45" all give 0.45).

    A number above 1 is read as percent points. Anything above ``max_percent`` percent is
    refused (percent complete cannot exceed 100; pass a higher limit for utilisation).
    """
    if is_no_value(value):
        return None
    has_sign = isinstance(value, str) and value.strip().endswith("%")
    text = value.strip().rstrip("%").strip() if isinstance(value, str) else value
    amount = read_amount(text, "percentage")
    if amount is None:
        raise ValueError(f"{_describe(value)} is not a percentage")
    number = float(amount.value)
    fraction = number / 100 if has_sign or number > 1 else number
    if fraction < 0:
        raise ValueError(f"{_describe(value)} is a negative percentage")
    if fraction * 100 > max_percent + 1e-9:
        raise ValueError(f"{_describe(value)} is more than {max_percent:g}%")
    return round(fraction, 10)


def parse_hours(
    value: object,
    *,
    unit: str = "hours",
    hours_per_day: float = 7.5,
    hours_per_week: float = 37.5,
) -> float | None:
    """Parse an amount of effort into hours.

    ``unit`` is what the column holds: "hours", "days" (x hours_per_day), "fte"
    (x hours_per_week) or "percent" (a share of hours_per_week). A unit written in the cell
    ("3 days", "7.5h", "0.5 FTE", "50%") wins over the column's unit.
    """
    if is_no_value(value):
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        match = re.fullmatch(r"(.*?)\s*(hours|hour|hrs|hr|h|days|day|d|fte|%)", text)
        if match and match[1]:
            value = match[1]
            unit = {"%": "percent", "fte": "fte"}.get(match[2], "days" if match[2].startswith("d") else "hours")
    if unit == "percent":
        fraction = parse_percent(value, max_percent=1000)
        return None if fraction is None else round(fraction * hours_per_week, 6)
    number = parse_number(value)
    if number is None:
        return None
    if number < 0:
        raise ValueError(f"{_describe(value)} is a negative amount of time")
    factor = {"hours": 1.0, "days": hours_per_day, "fte": hours_per_week}.get(unit)
    if factor is None:
        raise ValueError(f"unknown unit {unit!r} for hours")
    return round(number * factor, 6)


# ---------------------------------------------------------------------------------------------
# Enumerations
# ---------------------------------------------------------------------------------------------

RAG_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ["g", "green", "gr", "grn", "on track", "ontrack", "on target", "good", "ok", "okay", "fine",
         "healthy", "no issues", "satisfactory", "amber/green", "amber-green", "amber green", "a/g",
         "ag", "green/amber", "g/a", "blue", "b", "complete", "completed", "\U0001f7e2", "\u2705"],
        "G",
    ),
    **dict.fromkeys(
        ["a", "amber", "amb", "y", "yellow", "orange", "at risk", "atrisk", "some concerns",
         "concern", "concerns", "caution", "watch", "warning", "minor issues", "slipping",
         "\U0001f7e1", "\U0001f7e0", "\u26a0", "\u26a0\ufe0f"],
        "A",
    ),
    **dict.fromkeys(
        ["r", "red", "off track", "offtrack", "off target", "critical", "failing", "at serious risk",
         "serious concerns", "major issues", "in trouble", "blocked", "amber/red", "amber-red",
         "amber red", "a/r", "ar", "red/amber", "r/a", "\U0001f534", "\u274c"],
        "R",
    ),
}


def parse_rag(value: object) -> str | None:
    """Parse a RAG status to 'R', 'A' or 'G' (see the module docstring for the DCA scale)."""
    return _lookup(value, RAG_WORDS, "RAG status", "Red, Amber or Green")


def _choices(enum: type[StrEnum]) -> str:
    """The words a coordinator may use for an enumeration: 'Open, In progress or Closed'."""
    labels = [member.label for member in enum]  # type: ignore[attr-defined]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


STAGE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ["idea", "pipeline", "concept", "proposal", "proposed", "demand", "request", "pre-initiation",
         "pre initiation", "pre-soc", "pre strategic outline business case", "pre-pipeline",
         "not started", "backlog", "ideation", "intake", "0"],
        Stage.IDEA,
    ),
    **dict.fromkeys(
        ["business case", "business_case", "initiation", "initiate", "initiating", "start up", "start-up",
         "startup", "feasibility", "discovery", "definition", "define", "identify", "alpha",
         "strategic outline case", "strategic outline business case", "soc", "outline business case", "obc",
         "assess", "concept and feasibility", "awaiting approval", "for approval", "1"],
        Stage.BUSINESS_CASE,
    ),
    **dict.fromkeys(
        ["approved", "approval", "approval granted", "sanctioned", "authorised", "authorized", "funded",
         "go", "green lit", "mobilisation", "mobilization"],
        Stage.APPROVED,
    ),
    **dict.fromkeys(
        ["planning", "plan", "design", "detailed design", "full business case", "fbc", "procurement",
         "tender", "mobilise", "requirements", "analysis", "2"],
        Stage.PLANNING,
    ),
    **dict.fromkeys(
        ["execution", "execute", "executing", "delivery", "deliver", "build", "implementation",
         "implement", "in progress", "in flight", "inflight", "active", "ongoing", "live", "beta",
         "development", "develop", "testing", "test", "deployment", "deploy", "rollout", "roll out",
         "construction", "monitoring and controlling", "monitoring", "monitor and control", "3"],
        Stage.EXECUTION,
    ),
    **dict.fromkeys(
        ["closing", "closure", "close", "close down", "handover", "transition", "close out",
         "closeout", "benefits realisation", "benefits realization", "post implementation review",
         "pir", "4"],
        Stage.CLOSING,
    ),
    **dict.fromkeys(["closed", "complete", "completed", "done", "finished", "delivered", "5"], Stage.CLOSED),
    **dict.fromkeys(["on hold", "on_hold", "onhold", "hold", "paused", "suspended", "deferred", "parked"],
                    Stage.ON_HOLD),
    **dict.fromkeys(
        ["cancelled", "canceled", "stopped", "terminated", "abandoned", "withdrawn", "rejected"],
        Stage.CANCELLED,
    ),
}


def parse_stage(value: object) -> str | None:
    """Parse a project lifecycle stage to a model Stage value ("Delivery" -> "execution")."""
    return _lookup(value, STAGE_WORDS, "project stage", _choices(Stage))


RAID_KIND_WORDS: dict[str, str] = {
    **dict.fromkeys(["r", "risk", "risks", "threat", "threats", "opportunity", "opportunities", "rsk"],
                    RaidKind.RISK),
    **dict.fromkeys(["a", "assumption", "assumptions", "assume", "ass", "asmp"], RaidKind.ASSUMPTION),
    **dict.fromkeys(["i", "issue", "issues", "problem", "problems", "iss", "realised risk"], RaidKind.ISSUE),
    **dict.fromkeys(
        ["d", "dependency", "dependencies", "dep", "deps", "dependancy", "dependancies",
         "inter-dependency", "interdependency", "constraint"],
        RaidKind.DEPENDENCY,
    ),
}


def parse_raid_kind(value: object) -> str | None:
    """Parse a RAID item kind to a model RaidKind value."""
    return _lookup(value, RAID_KIND_WORDS, "RAID type", _choices(RaidKind))


RAID_STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ["open", "opened", "active", "live", "new", "raised", "current", "escalated", "assigned",
         "not started", "occurred", "o", "monitoring", "monitor", "watch", "watching", "under review",
         "review", "managed", "on hold", "tolerate", "tolerated", "accepted", "dormant"],
        RaidStatus.OPEN,
    ),
    **dict.fromkeys(
        ["in progress", "in_progress", "inprogress", "wip", "work in progress", "ongoing", "underway",
         "under way", "in hand", "mitigating", "being mitigated", "being worked", "being actioned",
         "actioned", "started"],
        RaidStatus.IN_PROGRESS,
    ),
    **dict.fromkeys(
        ["closed", "close", "resolved", "done", "complete", "completed", "mitigated", "retired",
         "expired", "no longer relevant", "cancelled", "withdrawn", "superseded", "c"],
        RaidStatus.CLOSED,
    ),
}


def parse_raid_status(value: object) -> str | None:
    """Parse a RAID item's status to a model RaidStatus value (being watched counts as open)."""
    return _lookup(value, RAID_STATUS_WORDS, "RAID status", _choices(RaidStatus))


ESCALATION_WORDS: dict[str, str] = {
    # Not escalated: the item stays with the project that owns it.
    **dict.fromkeys(["no", "n", "not escalated", "false", "0", "local", "project", "project board",
                     "project manager", "pm", "team", "1"], Escalation.PROJECT),
    # "Yes" means escalated one level above the project that owns the item.
    **dict.fromkeys(
        ["yes", "y", "true", "escalated", "programme", "program", "programme board", "sro", "sponsor", "2"],
        Escalation.PROGRAMME,
    ),
    # The model's highest level is the portfolio: executive and board escalations land there.
    **dict.fromkeys(
        ["portfolio", "portfolio board", "pmo", "department", "3", "executive", "exec", "board", "director",
         "directors", "executive board", "ipdc", "ministers", "ministerial", "4"],
        Escalation.PORTFOLIO,
    ),
}


def parse_escalation(value: object) -> str | None:
    """Parse an escalation flag or level to a model Escalation value; 'Yes' means programme level."""
    if _is_number(value):
        number = float(value)  # type: ignore[arg-type]
        value = str(int(number)) if number.is_integer() else str(value)
    if isinstance(value, str) and _word(value) in ("none", "nil"):
        return Escalation.PROJECT  # "None" in an escalation column means not escalated
    return _lookup(value, ESCALATION_WORDS, "escalation level", _choices(Escalation))


MILESTONE_STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ["planned", "live", "in progress", "on track", "not started", "open", "pending", "scheduled",
         "forecast", "active", "green", "g", "no", "n", "ongoing", "due", "not yet due", "future"],
        MilestoneStatus.PLANNED,
    ),
    **dict.fromkeys(
        ["at risk", "at_risk", "amber", "a", "red", "r", "delayed", "slipping", "slipped", "behind",
         "off track", "in danger"],
        MilestoneStatus.AT_RISK,
    ),
    **dict.fromkeys(
        ["achieved", "complete", "completed", "done", "yes", "y", "met", "delivered", "closed", "blue",
         "b", "finished", "passed", "signed off"],
        MilestoneStatus.ACHIEVED,
    ),
    **dict.fromkeys(["missed", "late", "failed", "overdue", "not met", "not achieved"], MilestoneStatus.MISSED),
}

MILESTONE_NO_STATUS = frozenset({"redundant", "superseded", "superceded", "descoped", "de-scoped",
                                 "no longer required", "not required", "removed"})
"""Milestone statuses the model has no word for (the milestone no longer applies): read as blank."""


def parse_milestone_status(value: object) -> str | None:
    """Parse a milestone's status to a model MilestoneStatus value ("Complete" -> "achieved").

    "Redundant" and "Superseded" (DfT masters) have no model value and are read as blank, so the
    milestone imports and keeps whatever status it had.
    """
    if isinstance(value, str) and _word(value) in MILESTONE_NO_STATUS:
        return None
    return _lookup(value, MILESTONE_STATUS_WORDS, "milestone status", _choices(MilestoneStatus))


RISK_RESPONSE_WORDS: dict[str, str] = {
    **dict.fromkeys(["avoid", "terminate", "avoidance", "eliminate", "remove"], RiskResponse.AVOID),
    **dict.fromkeys(["reduce", "treat", "mitigate", "reduction", "control", "mitigation", "minimise", "minimize",
                     "prevent", "corrective", "directive", "detective"], RiskResponse.REDUCE),
    **dict.fromkeys(["transfer", "insure", "outsource", "transference", "contract out"], RiskResponse.TRANSFER),
    **dict.fromkeys(["accept", "tolerate", "retain", "acceptance", "accepted", "tolerated", "tolerance"],
                    RiskResponse.ACCEPT),
    **dict.fromkeys(["share", "shared"], RiskResponse.SHARE),
    **dict.fromkeys(["exploit", "enhance", "exploited"], RiskResponse.EXPLOIT),
}


def parse_risk_response(value: object) -> str | None:
    """Parse a risk response to a model RiskResponse value ("Treat - Prevent" -> "reduce")."""
    return _lookup(value, RISK_RESPONSE_WORDS, "risk response", _choices(RiskResponse))


METHODOLOGY_WORDS: dict[str, str] = {
    **dict.fromkeys(["waterfall", "prince2", "prince 2", "traditional", "predictive", "linear", "v model"],
                    Methodology.WATERFALL),
    **dict.fromkeys(["agile", "scrum", "kanban", "safe", "iterative", "lean"], Methodology.AGILE),
    **dict.fromkeys(["hybrid", "mixed", "blended", "agile/waterfall", "waterfall/agile", "both"],
                    Methodology.HYBRID),
}


def parse_methodology(value: object) -> str | None:
    """Parse a delivery methodology to a model Methodology value ("PRINCE2" -> "waterfall")."""
    return _lookup(value, METHODOLOGY_WORDS, "delivery methodology", _choices(Methodology))



SCORE_WORDS: dict[str, int] = {
    **dict.fromkeys(
        ["very low", "vlow", "v low", "vl", "negligible", "rare", "remote", "insignificant",
         "minimal", "very unlikely", "highly unlikely", "trivial"],
        1,
    ),
    **dict.fromkeys(["low", "l", "lo", "minor", "unlikely", "small"], 2),
    **dict.fromkeys(["medium", "med", "m", "moderate", "possible", "mod", "average", "medium low", "medium high"], 3),
    **dict.fromkeys(["high", "h", "hi", "major", "likely", "probable", "significant", "serious", "large"], 4),
    **dict.fromkeys(
        ["very high", "vhigh", "v high", "vh", "critical", "severe", "extreme", "catastrophic",
         "almost certain", "certain", "very likely", "highly likely", "expected"],
        5,
    ),
}
_PERCENT_BANDS = ((0.10, 1), (0.30, 2), (0.50, 3), (0.70, 4), (1.00, 5))


def _score_from_fraction(fraction: float, raw: object) -> int:
    if not 0 <= fraction <= 1:
        raise ValueError(f"{_describe(raw)} is not a probability between 0% and 100%")
    return next(score for limit, score in _PERCENT_BANDS if fraction <= limit + 1e-9)


STRATEGIC_SCORE_WORDS: dict[str, float] = {
    **dict.fromkeys(["very low", "v low", "vlow", "vl"], 1.0),
    **dict.fromkeys(["low", "lo", "l"], 2.0),
    **dict.fromkeys(["medium", "med", "m", "moderate"], 3.0),
    **dict.fromkeys(["high", "hi", "h"], 4.0),
    **dict.fromkeys(["very high", "v high", "vhigh", "vh"], 5.0),
}
"""Words a scoring sheet may use for a strategic score: the office's five-step scale, 1..5.
A score of 0 ("does not contribute") has no word: it is written as the number 0."""


def parse_strategic_score(value: object) -> float | None:
    """Parse a strategic score: a number from 0 to 5 in half steps, or Very low..Very high (1..5)."""
    if is_no_value(value):
        return None
    if not _is_number(value):
        text = _word(value).replace(",", ".")
        if text in STRATEGIC_SCORE_WORDS:
            return STRATEGIC_SCORE_WORDS[text]
        if not re.fullmatch(r"[+-]?\d*\.?\d+", text):
            raise ValueError(f"{_describe(value)} is not a score; use a number from 0 to 5 (such as 3.5) "
                             "or Very low, Low, Medium, High, Very high")
        value = float(text)
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number) or not 0 <= number <= 5:
        raise ValueError(f"{_describe(value)} is out of range; a score is from 0 to 5")
    if not math.isclose(number * 2, round(number * 2), abs_tol=1e-9):
        raise ValueError(f"{_describe(value)} is not in half steps; a score is a whole or half number such as 3 or 3.5")
    return round(number * 2) / 2


def parse_score(value: object) -> int | None:
    """Parse a likelihood or impact to 1..5 (numbers, words, H/M/L or a probability percent)."""
    if is_no_value(value):
        return None
    if _is_number(value):
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            raise ValueError(f"{_describe(value)} is not a score from 1 to 5")
        if number == int(number) and 1 <= number <= 5:
            return int(number)
        if 0 < number < 1:
            return _score_from_fraction(number, value)
        if 5 < number <= 100 and number == int(number):
            return _score_from_fraction(number / 100, value)
        raise ValueError(f"{_describe(value)} is not a score from 1 to 5")
    text = _word(value)
    if text.endswith("%"):
        fraction = parse_percent(text)
        return None if fraction is None else _score_from_fraction(fraction, value)
    if text in SCORE_WORDS:
        return SCORE_WORDS[text]
    if re.fullmatch(r"\d*\.?\d+", text):
        return parse_score(float(text))
    if match := re.fullmatch(r"([1-5])(?:\.0)?(?:\s*[-:(=]\s*[a-z ]*\)?|\s+[a-z ]+)", text):
        return int(match[1])
    found = _find(text, SCORE_WORDS)
    if found is None and (head := _leading_word(text)):
        found = _find(head, SCORE_WORDS)
    if found is not None:
        return found
    raise ValueError(f"{_describe(value)} is not a score; use 1-5, Very Low..Very High or H/M/L")


PRIORITY_WORDS: dict[str, int] = {
    **dict.fromkeys(["critical", "urgent", "highest", "very high", "top", "must", "must have", "high", "h"], 1),
    **dict.fromkeys(["medium", "med", "m", "normal", "moderate", "should", "should have"], 2),
    **dict.fromkeys(["low", "l", "could", "could have"], 3),
    **dict.fromkeys(["very low", "lowest", "won't", "wont", "won't have"], 4),
}


def parse_priority(value: object) -> int | None:
    """Parse a priority to an integer where 1 is the highest ("P1" -> 1, "High" -> 1)."""
    if is_no_value(value):
        return None
    if isinstance(value, str):
        text = _word(value)
        if match := re.fullmatch(r"(?:p|priority|pri|tier)\s*-?\s*(\d{1,2})", text):
            return int(match[1])
        if text in PRIORITY_WORDS:
            return PRIORITY_WORDS[text]
        if match := re.match(r"^(\d{1,2})\s*[-:(]", text):
            return int(match[1])
    number = parse_int(value)
    if number is not None and number < 0:
        raise ValueError(f"{_describe(value)} is not a priority (use 1 for the highest)")
    return number


def parse_text(value: object) -> str | None:
    """Return the cell as text: whole numbers without '.0', dates as ISO, blanks as None."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


ENUM_PARSERS: dict[str, Callable[[object], object]] = {
    "stage": parse_stage,
    "raid_kind": parse_raid_kind,
    "raid_status": parse_raid_status,
    "escalation": parse_escalation,
    "milestone_status": parse_milestone_status,
    "risk_response": parse_risk_response,
    "methodology": parse_methodology,
}
"""Parsers of the enumerations named by FieldSpec.enum in fields.py."""


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Office settings that change how cells are read."""

    day_first: bool = True
    hours_per_day: float = 7.5
    hours_per_week: float = 37.5


DEFAULT_OPTIONS = ParseOptions()


def parse_field(
    spec: FieldSpec,
    value: object,
    *,
    multiplier: Decimal = Decimal(1),
    unit: str | None = None,
    options: ParseOptions = DEFAULT_OPTIONS,
) -> object:
    """Parse one cell for a canonical field; ``multiplier``/``unit`` come from its column header."""
    return field_parser(spec, multiplier=multiplier, unit=unit, options=options)(value)


def field_parser(
    spec: FieldSpec,
    *,
    multiplier: Decimal = Decimal(1),
    unit: str | None = None,
    options: ParseOptions = DEFAULT_OPTIONS,
) -> Callable[[object], object]:
    """The parser of one column: ``parse_field`` with its field, header and options fixed.

    Chosen once per column, so that a table is parsed with one call per cell and no dispatch.
    """
    ftype = spec.type
    if ftype is FieldType.TEXT:
        return parse_text
    if ftype is FieldType.DATE:
        return partial(parse_date, day_first=options.day_first, period_end=spec.period_end)
    if ftype is FieldType.MONEY:
        return partial(parse_money, multiplier=multiplier)
    if ftype is FieldType.PERCENT:
        return parse_percent
    if ftype is FieldType.RAG:
        return parse_rag
    if ftype is FieldType.INT:
        return parse_priority if spec.enum == "priority" else parse_int
    if ftype is FieldType.ENUM:
        return ENUM_PARSERS[spec.enum or ""]
    if ftype is FieldType.LIKELIHOOD:
        return parse_score
    if ftype is FieldType.NUMBER:
        return partial(parse_number, multiplier=multiplier)
    if ftype is FieldType.SCORE:
        return parse_strategic_score
    return partial(
        parse_hours,
        unit=unit or "hours",
        hours_per_day=options.hours_per_day,
        hours_per_week=options.hours_per_week,
    )
