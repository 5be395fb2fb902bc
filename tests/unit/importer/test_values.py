"""Cell value parsers: examples managers really write, and property tests of round trips."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_desktop.importer.fields import Kind, field_spec
from pmo_desktop.importer.values import (
    EXCEL_EPOCH,
    ParseOptions,
    parse_date,
    parse_escalation,
    parse_field,
    parse_hours,
    parse_int,
    parse_methodology,
    parse_milestone_status,
    parse_money,
    parse_number,
    parse_percent,
    parse_priority,
    parse_rag,
    parse_raid_kind,
    parse_raid_status,
    parse_risk_response,
    parse_score,
    parse_stage,
    parse_text,
)
from pmo_desktop.model.enums import (
    Escalation,
    Methodology,
    MilestoneStatus,
    RaidKind,
    RaidStatus,
    RiskResponse,
    Stage,
)

# --- dates --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "kwargs", "expected"),
    [
        (date(2026, 3, 14), {}, date(2026, 3, 14)),
        (datetime(2026, 3, 14, 17, 45), {}, date(2026, 3, 14)),
        (46095, {}, date(2026, 3, 14)),
        (46095.75, {}, date(2026, 3, 14)),
        ("46095", {}, date(2026, 3, 14)),
        ("14/03/2026", {}, date(2026, 3, 14)),
        ("03/04/2026", {}, date(2026, 4, 3)),
        ("03/04/2026", {"day_first": False}, date(2026, 3, 4)),
        ("14/03/2026", {"day_first": False}, date(2026, 3, 14)),  # unambiguous wins over the setting
        ("3/14/26", {}, date(2026, 3, 14)),
        ("14.03.2026", {}, date(2026, 3, 14)),
        ("2026-03-14", {}, date(2026, 3, 14)),
        ("2026-03-14 00:00:00", {}, date(2026, 3, 14)),
        ("2026-03-14T09:00:00Z", {}, date(2026, 3, 14)),
        ("2026/03/14", {}, date(2026, 3, 14)),
        ("14-Mar-26", {}, date(2026, 3, 14)),
        ("14 March 2026", {}, date(2026, 3, 14)),
        ("14th Sept 2026", {}, date(2026, 9, 14)),
        ("March 14, 2026", {}, date(2026, 3, 14)),
        ("Mar 2026", {}, date(2026, 3, 1)),
        ("Mar 2026", {"period_end": True}, date(2026, 3, 31)),
        ("Feb-28", {"period_end": True}, date(2028, 2, 29)),
        ("2026-02", {"period_end": True}, date(2026, 2, 28)),
        ("Q3 2026", {"period_end": True}, date(2026, 9, 30)),
        ("Q3 2026", {}, date(2026, 7, 1)),
        ("2026 Q1", {"period_end": True}, date(2026, 3, 31)),
        ("W/C 06/01/2026", {}, date(2026, 1, 6)),
        ("w/e 10/01/2026", {}, date(2026, 1, 10)),
        ("TBC", {}, None),
        ("tbc", {}, None),
        ("n/a", {}, None),
        ("  ", {}, None),
        (None, {}, None),
    ],
)
def test_parse_date(raw: object, kwargs: dict, expected: date | None) -> None:
    assert parse_date(raw, **kwargs) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("31/02/2026", "not a real calendar date"),
        ("next Tuesday", "not a date this program can read"),
        (12, "not a plausible date"),
        (3_000_000, "not a plausible date"),
        ("14/03/1890", "check the year"),
        (True, "yes/no"),
        ("2026-13", "no month 13"),
    ],
)
def test_parse_date_rejects_with_reason(raw: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date(raw)


# --- money and numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "kwargs", "expected"),
    [
        ("£1.2m", {}, Decimal(1_200_000)),
        ("1,200k", {}, Decimal(1_200_000)),
        ("$3,400.50", {}, Decimal("3400.50")),
        ("(1,200)", {}, Decimal(-1200)),
        ("-£250", {}, Decimal(-250)),
        ("250-", {}, Decimal(-250)),
        ("€ 12.000,50", {}, Decimal("12000.50")),
        ("1.234.567", {}, Decimal(1_234_567)),
        ("12,5", {}, Decimal("12.5")),
        ("GBP 2.5bn", {}, Decimal(2_500_000_000)),
        ("1 200 000", {}, Decimal(1_200_000)),
        ("£ 3.4 million", {}, Decimal(3_400_000)),
        (1200, {"multiplier": Decimal(1000)}, Decimal(1_200_000)),
        ("1.5m", {"multiplier": Decimal(1000)}, Decimal(1_500_000)),  # the cell's suffix wins
        (2618.484, {"multiplier": Decimal(1000)}, Decimal(2_618_484)),
        ("-", {}, None),
        ("TBC", {}, None),
    ],
)
def test_parse_money(raw: object, kwargs: dict, expected: Decimal | None) -> None:
    result = parse_money(raw, **kwargs)
    assert result == expected
    assert result is None or isinstance(result, Decimal)


@pytest.mark.parametrize("raw", ["twelve", "1,20,0", "£", "12.5.6,7", "1..2", date(2026, 1, 1), False])
def test_parse_money_rejects(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_money(raw)


def test_parse_number_and_int() -> None:
    assert parse_number("1,234.5") == 1234.5
    assert parse_int("3.0") == 3
    with pytest.raises(ValueError, match="whole number"):
        parse_int("3.5")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("45%", 0.45), (0.45, 0.45), ("45", 0.45), (45, 0.45), ("0.45", 0.45), ("100%", 1.0), (1, 1.0),
     ("12.5 %", 0.125), (0, 0.0), ("", None)],
)
def test_parse_percent(raw: object, expected: float | None) -> None:
    assert parse_percent(raw) == expected


@pytest.mark.parametrize("raw", ["150%", 101, "-5%", "half"])
def test_parse_percent_rejects(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_percent(raw)


def test_parse_percent_with_a_higher_limit() -> None:
    assert parse_percent("150%", max_percent=200) == 1.5


@pytest.mark.parametrize(
    ("raw", "kwargs", "expected"),
    [
        (30, {}, 30.0),
        ("3 days", {}, 22.5),
        ("7.5h", {}, 7.5),
        (2, {"unit": "days"}, 15.0),
        (0.5, {"unit": "fte"}, 18.75),
        ("0.2 FTE", {}, 7.5),
        ("50%", {}, 18.75),
        (1, {"unit": "days", "hours_per_day": 8}, 8.0),
    ],
)
def test_parse_hours(raw: object, kwargs: dict, expected: float) -> None:
    assert parse_hours(raw, **kwargs) == expected


# --- enumerations ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("R", "R"), ("amber", "A"), ("G", "G"), ("Yellow", "A"), ("On track", "G"), ("At Risk", "A"),
        ("Off track", "R"), ("Amber/Green", "G"), ("Amber-Red", "R"), ("AMBER / RED", "R"), ("Blue", "G"),
        ("\U0001f534", "R"), ("n/a", None), ("Green - on track", "G"), ("Amber (improving)", "A"),
        ("Amber/Green - better than last month", "G"), ("R: supplier late", "R"),
    ],
)
def test_parse_rag(raw: str, expected: str | None) -> None:
    assert parse_rag(raw) == expected


def test_parse_rag_rejects_with_choices() -> None:
    with pytest.raises(ValueError, match="Red, Amber or Green"):
        parse_rag("Purple")


@pytest.mark.parametrize(
    ("parser", "raw", "expected"),
    [
        (parse_stage, "Execution", "execution"),
        (parse_stage, "Delivery", "execution"),
        (parse_stage, "Feasibility", "business_case"),
        (parse_stage, "Business Case", "business_case"),
        (parse_stage, "Idea", "idea"),
        (parse_stage, "Pipeline", "idea"),
        (parse_stage, "Approved", "approved"),
        (parse_stage, "Planning", "planning"),
        (parse_stage, "Closure", "closing"),
        (parse_stage, "On Hold", "on_hold"),
        (parse_stage, "Closed", "closed"),
        (parse_stage, "Cancelled", "cancelled"),
        (parse_stage, "Full Business Case", "planning"),
        (parse_stage, "Monitoring", "execution"),
        (parse_raid_kind, "R", "risk"),
        (parse_raid_kind, "Dependencies", "dependency"),
        (parse_raid_kind, "Issue", "issue"),
        (parse_raid_status, "Resolved", "closed"),
        (parse_raid_status, "Open", "open"),
        (parse_raid_status, "In progress", "in_progress"),
        (parse_raid_status, "WIP", "in_progress"),
        (parse_raid_status, "Ongoing", "in_progress"),
        (parse_raid_status, "Monitoring", "open"),
        (parse_raid_status, "Under review", "open"),
        (parse_escalation, "Yes", "programme"),
        (parse_escalation, "No", "project"),
        (parse_escalation, "none", "project"),
        (parse_escalation, "Programme", "programme"),
        (parse_escalation, "Executive", "portfolio"),
        (parse_escalation, "Board", "portfolio"),
        (parse_escalation, 3, "portfolio"),
        (parse_milestone_status, "Complete", "achieved"),
        (parse_milestone_status, "Completed", "achieved"),
        (parse_milestone_status, "Done", "achieved"),
        (parse_milestone_status, "Achieved", "achieved"),
        (parse_milestone_status, "Live", "planned"),
        (parse_milestone_status, "In progress", "planned"),
        (parse_milestone_status, "On track", "planned"),
        (parse_milestone_status, "Not started", "planned"),
        (parse_milestone_status, "Late", "missed"),
        (parse_milestone_status, "Missed", "missed"),
        (parse_milestone_status, "At risk", "at_risk"),
        (parse_milestone_status, "Redundant", None),
        (parse_risk_response, "Treat", "reduce"),
        (parse_risk_response, "Mitigate", "reduce"),
        (parse_risk_response, "Treat - Prevent", "reduce"),
        (parse_risk_response, "Tolerate", "accept"),
        (parse_risk_response, "Terminate", "avoid"),
        (parse_risk_response, "Transfer", "transfer"),
        (parse_risk_response, "Exploit", "exploit"),
        (parse_methodology, "PRINCE2", "waterfall"),
        (parse_methodology, "Hybrid", "hybrid"),
        (parse_raid_status, "Closed (duplicate of R-12)", "closed"),
        (parse_stage, "Delivery - phase 2", "execution"),
    ],
)
def test_enumerations(parser, raw: object, expected: str | None) -> None:
    assert parser(raw) == expected


@pytest.mark.parametrize(
    ("parser", "enum"),
    [(parse_stage, Stage), (parse_raid_kind, RaidKind), (parse_raid_status, RaidStatus), (parse_escalation, Escalation),
     (parse_milestone_status, MilestoneStatus), (parse_risk_response, RiskResponse), (parse_methodology, Methodology)],
)
def test_enumeration_parsers_return_the_model_values_and_read_their_own_labels(parser, enum) -> None:
    for member in enum:
        parsed = parser(member.label)
        assert parsed == member.value and type(parsed) is str


def test_unknown_enumeration_names_the_model_choices() -> None:
    with pytest.raises(ValueError, match="use one of Open, In progress or Closed"):
        parse_raid_status("Purple")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, 1), (5.0, 5), ("3", 3), ("Very Low", 1), ("low", 2), ("Medium", 3), ("H", 4), ("M", 3),
        ("L", 2), ("Very High", 5), ("VH", 5), ("Almost certain", 5), ("4 - High", 4), ("2 (Low)", 2),
        ("5%", 1), ("25%", 2), ("50%", 3), ("65%", 4), ("90%", 5), (0.35, 3), (80, 5), ("tbc", None),
        ("High (4)", 4), ("Very High - severe", 5),
    ],
)
def test_parse_score(raw: object, expected: int | None) -> None:
    assert parse_score(raw) == expected


@pytest.mark.parametrize("raw", [0, 6.5, "3.5", "Enormous", "150%"])
def test_parse_score_rejects(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_score(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("P1", 1), ("p 2", 2), ("Priority 3", 3), ("High", 1), ("Critical", 1), ("Medium", 2), ("Low", 3), (2, 2),
     ("1 - Must have", 1)],
)
def test_parse_priority(raw: object, expected: int) -> None:
    assert parse_priority(raw) == expected


def test_parse_text() -> None:
    assert parse_text(1334.0) == "1334"
    assert parse_text(date(2026, 1, 2)) == "2026-01-02"
    assert parse_text("  x ") == "x"
    assert parse_text(True) == "Yes"


def test_parse_field_uses_the_field_type() -> None:
    end = field_spec(Kind.PROJECTS, "end")
    assert parse_field(end, "Mar 2026") == date(2026, 3, 31)
    start = field_spec(Kind.PROJECTS, "start")
    assert parse_field(start, "Mar 2026") == date(2026, 3, 1)
    capacity = field_spec(Kind.PEOPLE, "capacity_hours")
    assert parse_field(capacity, 1, unit="fte", options=ParseOptions(hours_per_week=35)) == 35.0


# --- property tests --------------------------------------------------------------------------------

plausible_dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))


@given(plausible_dates)
def test_date_round_trips(value: date) -> None:
    spellings = [
        (value, True), (datetime.combine(value, datetime.min.time()), True),
        ((value - EXCEL_EPOCH).days, True), (value.isoformat(), True),
        (value.strftime("%d/%m/%Y"), True), (value.strftime("%m/%d/%Y"), False),
        (value.strftime("%d %B %Y"), True), (value.strftime("%B %d, %Y"), True),
        (value.strftime("%d-%b-%Y"), True), (value.strftime("%d.%m.%Y"), True),
    ]
    if 1970 <= value.year <= 2069:
        spellings.append((value.strftime("%d-%b-%y"), True))
    for spelling, day_first in spellings:
        assert parse_date(spelling, day_first=day_first) == value, spelling


@given(plausible_dates)
def test_month_and_quarter_bounds(value: date) -> None:
    text = value.strftime("%b %Y")
    first = parse_date(text)
    last = parse_date(text, period_end=True)
    assert first == value.replace(day=1)
    assert last.month == value.month and (last + timedelta(days=1)).day == 1
    quarter = (value.month - 1) // 3 + 1
    end_of_quarter = parse_date(f"Q{quarter} {value.year}", period_end=True)
    assert end_of_quarter.month == quarter * 3 and (end_of_quarter + timedelta(days=1)).day == 1
    assert parse_date(f"Q{quarter} {value.year}") <= value <= end_of_quarter


amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False)


@given(amounts)
def test_money_round_trips(amount: Decimal) -> None:
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    plain = f"{magnitude:,.2f}"
    european = plain.replace(",", "_").replace(".", ",").replace("_", ".")
    spellings = [
        f"{sign}£{plain}", f"{sign}{plain}", f"{sign}$ {plain}", f"{sign}€ {european}",
        f"({plain})" if amount < 0 else plain, f"{sign}{magnitude}", float(amount) if abs(amount) < 10**7 else str(amount),
        f"{sign}GBP {plain}",
    ]
    for spelling in spellings:
        assert parse_money(spelling) == amount, spelling


@given(st.integers(min_value=0, max_value=10**6))
def test_thousand_suffix_round_trips(thousands: int) -> None:
    assert parse_money(f"£{thousands:,}k") == thousands * 1000
    assert parse_money(f"{thousands}", multiplier=Decimal(1000)) == thousands * 1000


@given(st.integers(min_value=0, max_value=10000))
def test_percent_round_trips(hundredths: int) -> None:
    fraction = hundredths / 10000  # 0.00% .. 100.00%
    percent_text = f"{hundredths / 100:g}%"
    assert parse_percent(percent_text) == pytest.approx(fraction)
    assert parse_percent(fraction) == pytest.approx(fraction)
    if hundredths > 100:  # "1" would mean 100%, so plain numbers round-trip above 1%
        assert parse_percent(f"{hundredths / 100:g}") == pytest.approx(fraction)


@given(st.integers(min_value=1, max_value=5))
def test_scores_round_trip_through_words(score: int) -> None:
    word = ["Very Low", "Low", "Medium", "High", "Very High"][score - 1]
    assert parse_score(word) == score
    assert parse_score(str(score)) == score
    assert parse_score(float(score)) == score


any_cell = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.text(alphabet="0123456789.,£$€()-%kmKMbn QqWw/:e+ ", max_size=20),
    st.dates(), st.datetimes(), st.decimals(), st.timedeltas(), st.times(),
    st.sampled_from(["£", "(", "()", "%", "-", "1e400", "Q5 2026", "31/31/31", "k", "1,2,3", "0x1F", "W/C"]),
)
PARSERS = [
    parse_date, lambda v: parse_date(v, day_first=False, period_end=True), parse_money, parse_number,
    parse_int, parse_percent, parse_hours, parse_rag, parse_stage, parse_raid_kind, parse_raid_status,
    parse_escalation, parse_score, parse_priority, parse_text,
]


@settings(max_examples=1000)
@given(any_cell)
def test_parsers_raise_only_value_error(value: object) -> None:
    for parser in PARSERS:
        try:
            parser(value)
        except ValueError as exc:
            assert str(exc), "every rejection explains itself"
