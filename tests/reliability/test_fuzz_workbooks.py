"""Fuzzing the importer with hypothesis: value parsers, then whole generated workbooks.

(a) Every field's parser, over arbitrary text, numbers, dates and odd objects, returns a value or
    raises ValueError (the importer turns that into a rejected row) and nothing else.
(b) Workbooks with random layouts (title rows, blank rows, header spellings taken from the
    synonyms in importer/fields.py, column order, a totals row) and random values of the right
    kinds (dates, money strings, percents, RAG words) for a projects sheet and a status sheet are
    written with openpyxl and imported into a fresh SQLite database: no unhandled exception, no
    rejects, every value stored as parsed, and importing the same file again changes nothing.

Examples are bounded (see PARSER_EXAMPLES and WORKBOOK_EXAMPLES) so CI stays fast; the number run
is printed (pytest -s) and kept in RUN_COUNTS.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import select

from pmo_desktop.importer.fields import FIELDS, FieldSpec, Kind
from pmo_desktop.importer.mapping import normalise_header
from pmo_desktop.importer.pipeline import import_files
from pmo_desktop.importer.values import ParseOptions, parse_field
from pmo_desktop.model import Project, StatusReport
from pmo_desktop.model.database import open_database

PARSER_EXAMPLES = 400
WORKBOOK_EXAMPLES = 25
RUN_COUNTS: dict[str, int] = {"parsers": 0, "workbooks": 0}

# -- (a) value parsers ---------------------------------------------------------------------------

ALL_SPECS: list[FieldSpec] = [spec for specs in FIELDS.values() for spec in specs]

TRICKY_TEXT = st.sampled_from([
    "£1.5m", "$2,000k", "(1,234.50)", "-£0", "1e308", "1e-400", "NaN", "inf", "-inf", "∞", "12/13/2026",
    "31/02/2026", "29/02/2025", "0000-00-00", "9999-12-31", "Q5 2026", "Q3 2026", "FY26/27", "H2 2026",
    "week 53", "W/E 31 Mar", "110%", "-5%", "45 %", "1,2,3", "..", "—", "n/a", "TBC", "Amber/Green",
    "G", "RAG", "7.5d", "3 weeks", "1.5 FTE", "٣٤", "１２３", "\u00a0 12 \u00a0", "=1+1", "@SUM(1)",
    "1" * 400, "9" * 30 + "m", "0x1F", "1_000", "½", "£", "%", "-", "+", "e", "(", ")",
])
NUMBERS = st.one_of(st.integers(min_value=-(10**30), max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.decimals(allow_nan=True, allow_infinity=True))
VALUES = st.one_of(
    st.none(), st.booleans(), NUMBERS, TRICKY_TEXT, st.text(max_size=40),
    st.text(alphabet="0123456789/-.:, %£$€kmKMQWqwe+()", max_size=20),
    st.dates(), st.datetimes(), st.times(),
    st.tuples(st.integers(1, 40), st.integers(1, 14), st.integers(1900, 2200)).map(lambda t: f"{t[0]}/{t[1]}/{t[2]}"),
)


@settings(max_examples=PARSER_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(ALL_SPECS), value=VALUES,
       multiplier=st.sampled_from([Decimal(1), Decimal(1000), Decimal(1_000_000), Decimal("0.01")]),
       unit=st.sampled_from([None, "hours", "days", "weeks", "months", "fte"]),
       day_first=st.booleans())
def _value_parsers_return_a_value_or_raise_value_error(spec, value, multiplier, unit, day_first) -> None:
    RUN_COUNTS["parsers"] += 1
    try:
        result = parse_field(spec, value, multiplier=multiplier, unit=unit, options=ParseOptions(day_first=day_first))
    except ValueError as exc:
        assert str(exc), "a rejection says why"
        return
    if isinstance(result, float):
        assert math.isfinite(result), (spec.name, value, result)
    if isinstance(result, Decimal):
        assert result.is_finite(), (spec.name, value, result)


def test_value_parsers_return_a_value_or_raise_value_error() -> None:
    RUN_COUNTS["parsers"] = 0
    _value_parsers_return_a_value_or_raise_value_error()  # hypothesis runs every example here
    print(f"\nfuzz: {RUN_COUNTS['parsers']} value-parser examples run")
    assert RUN_COUNTS["parsers"] >= min(PARSER_EXAMPLES, 100)


# -- (b) whole workbooks --------------------------------------------------------------------------

def _unique_synonyms(kind: Kind, name: str) -> list[str]:
    """The field's header spellings that no other field of the kind also claims."""
    specs = {spec.name: spec for spec in FIELDS[kind]}
    others = {normalise_header(s) for other, spec in specs.items() if other != name for s in spec.synonyms}
    return sorted({s for s in specs[name].synonyms if normalise_header(s) not in others})


PROJECT_FIELDS = ("code", "name", "manager", "start", "end", "budget", "rag", "percent_complete")
STATUS_FIELDS = ("project", "period_end", "rag", "summary")
HEADERS = {**{("projects", f): _unique_synonyms(Kind.PROJECTS, f) for f in PROJECT_FIELDS},
           **{("status", f): _unique_synonyms(Kind.STATUS, f) for f in STATUS_FIELDS}}
MODEL_ATTR = {"start": "baseline_start", "end": "baseline_end"}

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüßØ مשלום🚀 -'&", min_size=1,
                max_size=30).map(str.strip).filter(lambda s: len(s) > 1 and s[0].isalpha())
RAG_WORDS = {"Red": "R", "Amber": "A", "Green": "G", "R": "R", "A": "A", "G": "G", "red": "R", "GREEN": "G"}


@st.composite
def written_date(draw, low=dt.date(2015, 1, 1), high=dt.date(2040, 12, 31)):
    """(what the cell holds, the date it means)."""
    day = draw(st.dates(min_value=low, max_value=high))
    form = draw(st.sampled_from(["date", "datetime", "dmy", "iso", "long"]))
    cell = {"date": day, "datetime": dt.datetime.combine(day, dt.time()), "dmy": day.strftime("%d/%m/%Y"),
            "iso": day.isoformat(), "long": f"{day.day} {day.strftime('%B %Y')}"}[form]
    return cell, day


@st.composite
def written_money(draw):
    pounds = draw(st.integers(min_value=0, max_value=50_000_000))
    pence = draw(st.sampled_from([0, 0, 50, 99]))
    amount = Decimal(pounds) + Decimal(pence) / 100
    form = draw(st.sampled_from(["number", "pounds", "plain"]))
    cell = {"number": float(amount) if pence else pounds, "pounds": f"£{amount:,.2f}", "plain": f"{amount:,.2f}"}[form]
    return cell, amount


@st.composite
def written_percent(draw):
    points = draw(st.integers(min_value=0, max_value=100))
    form = draw(st.sampled_from(["fraction", "text"]))
    return (points / 100 if form == "fraction" else f"{points}%"), round(points / 100, 10)


@st.composite
def project_rows(draw):
    count = draw(st.integers(min_value=1, max_value=6))
    names = draw(st.lists(WORDS, min_size=count, max_size=count, unique_by=str.casefold))
    rows = []
    for i, name in enumerate(names, start=1):
        start_cell, start = draw(written_date())
        end_cell, end = draw(written_date(low=start))
        budget_cell, budget = draw(written_money())
        rag_word = draw(st.sampled_from(sorted(RAG_WORDS)))
        pct_cell, pct = draw(written_percent())
        manager = draw(WORDS)
        cells = {"code": f"FZ-{i:03d}", "name": name, "manager": manager, "start": start_cell, "end": end_cell,
                 "budget": budget_cell, "rag": rag_word, "percent_complete": pct_cell}
        values = {"code": f"FZ-{i:03d}", "name": name, "manager": manager, "start": start, "end": end,
                  "budget": budget, "rag": RAG_WORDS[rag_word], "percent_complete": pct}
        rows.append((cells, values))
    return rows


@st.composite
def layout(draw, fields: tuple[str, ...], kind: str):
    order = draw(st.permutations(fields))
    return {
        "order": order,
        "headers": {f: draw(st.sampled_from(HEADERS[(kind, f)])) for f in order},
        "title_rows": draw(st.integers(0, 2)),
        "blank_rows": draw(st.integers(0, 2)),
        "first_column": draw(st.integers(1, 3)),
        "totals": draw(st.booleans()),
    }


def _write_sheet(ws, title: str, spec: dict, rows: list[dict], totals: dict | None) -> None:
    for n in range(spec["title_rows"]):
        ws.cell(row=n + 1, column=spec["first_column"], value=f"{title} - report {n + 1}")
    row = spec["title_rows"] + spec["blank_rows"] + 1
    for column, field in enumerate(spec["order"], start=spec["first_column"]):
        ws.cell(row=row, column=column, value=spec["headers"][field])
    for cells in rows + ([totals] if totals else []):
        row += 1
        for column, field in enumerate(spec["order"], start=spec["first_column"]):
            value = cells.get(field)
            if value is not None:
                cell = ws.cell(row=row, column=column, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"


@st.composite
def workbooks(draw):
    projects = draw(project_rows())
    project_layout = draw(layout(PROJECT_FIELDS, "projects"))
    status_layout = draw(layout(STATUS_FIELDS, "status"))
    reports = []
    for _cells, values in projects:
        if draw(st.booleans()):
            period_cell, period = draw(written_date(low=dt.date(2025, 1, 1), high=dt.date(2027, 12, 31)))
            rag_word = draw(st.sampled_from(sorted(RAG_WORDS)))
            summary = draw(st.one_of(st.none(), WORDS))
            reports.append(({"project": values["code"], "period_end": period_cell, "rag": rag_word,
                             "summary": summary},
                            {"project": values["code"], "period_end": period, "rag": RAG_WORDS[rag_word],
                             "summary": summary}))
    return projects, project_layout, reports, status_layout


def _build(path: Path, projects, project_layout, reports, status_layout) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Projects"
    totals = None
    if project_layout["totals"]:
        # "Total" in the table's first column, the sum under the budget (as managers write it)
        totals = {"budget": float(sum(v["budget"] for _c, v in projects))}
        totals[project_layout["order"][0]] = "Total"
    _write_sheet(ws, "Portfolio register", project_layout, [c for c, _v in projects], totals)
    if reports:
        _write_sheet(wb.create_sheet("Status"), "Weekly status", status_layout, [c for c, _v in reports], None)
    wb.save(path)
    return path


def _stored(db_file: Path) -> tuple[dict, dict]:
    db = open_database(f"sqlite:///{db_file}", backup=False)
    try:
        with db.session() as s:
            projects = {p.code: {f: getattr(p, MODEL_ATTR.get(f, f)) for f in PROJECT_FIELDS}
                        for p in s.scalars(select(Project))}
            codes = {p.id: p.code for p in s.scalars(select(Project))}
            reports = {(codes[r.project_id], r.period_end): {"project": codes[r.project_id], "period_end": r.period_end,
                                                              "rag": r.rag, "summary": r.summary}
                       for r in s.scalars(select(StatusReport))}
        return projects, reports
    finally:
        db.dispose()


@settings(max_examples=WORKBOOK_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(book=workbooks())
def _generated_workbooks_import_and_round_trip(tmp_path_factory, book) -> None:
    RUN_COUNTS["workbooks"] += 1
    projects, project_layout, reports, status_layout = book
    folder = tmp_path_factory.mktemp("fuzz")
    path = _build(folder / "portfolio.xlsx", projects, project_layout, reports, status_layout)
    db_file = folder / "office.db"
    db = open_database(f"sqlite:///{db_file}", backup=False)
    try:
        outcome = import_files(db, [path])
        assert outcome.file_errors == [], outcome.file_errors
        rejected = [e.describe() for row in outcome.plan.rejected for e in row.errors]
        assert rejected == [], (rejected, project_layout, status_layout)
        assert outcome.exit_code == 0
        assert outcome.plan.counts.new == len(projects) + len(reports), (outcome.summary(), project_layout)
    finally:
        db.dispose()

    stored_projects, stored_reports = _stored(db_file)
    expected_projects = {v["code"]: {f: v[f] for f in PROJECT_FIELDS} for _c, v in projects}
    for values in expected_projects.values():
        values["budget"] = Decimal(values["budget"]).quantize(Decimal("0.01"))
    assert stored_projects == expected_projects, project_layout
    assert stored_reports == {(v["project"], v["period_end"]): v for _c, v in reports}, status_layout

    db = open_database(f"sqlite:///{db_file}", backup=False)
    try:
        again = import_files(db, [path])
        counts = again.plan.counts
        assert (counts.new, counts.update, counts.reject) == (0, 0, 0), again.summary()
        assert counts.unchanged == len(projects) + len(reports)
    finally:
        db.dispose()
    assert _stored(db_file) == (stored_projects, stored_reports), "re-importing changes nothing"


def test_generated_workbooks_import_and_round_trip(tmp_path_factory) -> None:
    RUN_COUNTS["workbooks"] = 0
    _generated_workbooks_import_and_round_trip(tmp_path_factory)  # hypothesis runs every example here
    print(f"\nfuzz: {RUN_COUNTS['workbooks']} generated workbooks imported and round-tripped")
    assert RUN_COUNTS["workbooks"] >= min(WORKBOOK_EXAMPLES, 10)
