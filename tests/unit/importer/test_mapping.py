"""Header normalisation, synonym and fuzzy matching, units, fingerprints and time grids."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pmo_desktop.importer.fields import FIELDS, Kind
from pmo_desktop.importer.mapping import (
    detect_grid,
    grid_period,
    header_fingerprint,
    map_headers,
    match_header,
    normalise_header,
)
from pmo_desktop.importer.values import ParseOptions


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Total Budget (£k)", "total budget"),
        ("  PROJECT   NAME ", "project name"),
        ("Proj. Mgr", "project manager"),
        ("R.A.G.", "rag"),
        ("% Complete", "percent complete"),
        ("Costs & Benefits", "cost and benefits"),
        ("Senior Responsible Owner (SRO)", "senior responsible owner"),
        ("W/C", "week commencing"),
        ("Dept.", "department"),
        ("Likelihood [H/M/L]", "likelihood"),
        (None, ""),
    ],
)
def test_normalise_header(raw: object, expected: str) -> None:
    assert normalise_header(raw) == expected


@pytest.mark.parametrize(
    ("header", "kind", "field"),
    [
        ("Project ID", Kind.PROJECTS, "code"),
        ("Proj Code", Kind.PROJECTS, "code"),
        ("Project No.", Kind.PROJECTS, "code"),
        ("SRO", Kind.PROJECTS, "sponsor"),
        ("Exec Sponsor", Kind.PROJECTS, "sponsor"),
        ("Business Unit", Kind.PROJECTS, "department"),
        ("Lifecycle Stage", Kind.PROJECTS, "stage"),
        ("Traffic Light", Kind.PROJECTS, "rag"),
        ("Go-Live", Kind.PROJECTS, "end"),
        ("Forecast at Completion", Kind.PROJECTS, "forecast_cost"),
        ("EAC", Kind.PROJECTS, "forecast_cost"),
        ("Spend to Date", Kind.PROJECTS, "actual_cost"),
        ("Start Date (Planned)", Kind.PROJECTS, "start"),
        ("Date, Planned Start", Kind.PROJECTS, "start"),  # word order
        ("Week Ending", Kind.STATUS, "period_end"),
        ("Key Achievements", Kind.STATUS, "achievements"),
        ("Next Period", Kind.STATUS, "next_steps"),
        ("Risk ID", Kind.RAID, "ref"),
        ("Probability", Kind.RAID, "likelihood"),
        ("Severity", Kind.RAID, "impact"),
        ("Mitigating Actions", Kind.RAID, "mitigation"),
        ("Assigned To", Kind.RAID, "owner"),
        ("R/A/I/D", Kind.RAID, "kind"),
        ("Date Raised", Kind.RAID, "raised"),
        ("Deliverable", Kind.MILESTONES, "name"),
        ("Achieved", Kind.MILESTONES, "actual"),
        ("Revised", Kind.MILESTONES, "forecast"),
        ("Job Title", Kind.PEOPLE, "role"),
        ("Day Rate", Kind.PEOPLE, "cost_rate"),
        ("Week Commencing", Kind.ALLOCATIONS, "start"),
        ("Projct Manger", Kind.PROJECTS, "manager"),  # typo, fuzzy
        ("Mitigaton Plan", Kind.RAID, "mitigation"),  # typo, fuzzy
    ],
)
def test_headers_seen_in_the_wild(header: str, kind: Kind, field: str) -> None:
    fields, confidence = match_header(header, kind)
    assert fields[0] == field
    assert confidence >= 0.7


def test_unrelated_header_does_not_match() -> None:
    assert match_header("Favourite colour of the sponsor's cat", Kind.PROJECTS) == ((), 0.0)
    assert match_header("Qty", Kind.PROJECTS) == ((), 0.0)


def test_every_kind_has_its_keys_and_synonyms_normalise() -> None:
    for kind, specs in FIELDS.items():
        assert any(spec.key for spec in specs), kind
        for spec in specs:
            assert all(normalise_header(s) for s in spec.synonyms), spec.name


def test_units_become_multipliers() -> None:
    headers = ["Project ID", "Budget (£k)", "Spend (£m)", "Benefits £000s", "Forecast ($)"]
    mapped = map_headers(headers, Kind.PROJECTS).mapped
    assert mapped["budget"].multiplier == Decimal(1000)
    assert mapped["actual_cost"].multiplier == Decimal(1_000_000)
    assert mapped["benefits"].multiplier == Decimal(1000)
    assert mapped["forecast_cost"].multiplier == Decimal(1)


def test_effort_units_and_day_rates() -> None:
    options = ParseOptions(hours_per_day=8, hours_per_week=40)
    people = map_headers(["Name", "Capacity (FTE)", "Day Rate (£)"], Kind.PEOPLE, options=options).mapped
    assert (people["capacity_hours"].unit, people["capacity_hours"].multiplier) == ("fte", Decimal(40))
    assert people["cost_rate"].multiplier == Decimal(1) / Decimal(8)
    allocations = map_headers(["Resource", "Project", "Effort (days)"], Kind.ALLOCATIONS).mapped
    assert allocations["hours_per_week"].unit == "days"
    hours = map_headers(["Resource", "Project", "Hours (hrs/week)"], Kind.ALLOCATIONS).mapped
    assert hours["hours_per_week"].unit == "hours"


def test_each_field_is_used_once() -> None:
    result = map_headers(["Project Name", "Project", "RAG"], Kind.PROJECTS)
    assert [c.field for c in result.columns] == ["name", None, "rag"]
    assert "column 1" in result.columns[1].note


@pytest.mark.parametrize(
    ("values", "field"),
    [(["Delivery", "Closure", "Initiation"], "stage"), (["Red", "Green", "A"], "rag")],
)
def test_values_settle_an_ambiguous_status_header(values: list[str], field: str) -> None:
    result = map_headers(["Project", "Status"], Kind.PROJECTS, samples=[["a", "b", "c"], values])
    assert result.columns[1].field == field


def test_fingerprint_is_stable_across_spelling_and_grid_weeks() -> None:
    first = header_fingerprint(["Project Name", "R.A.G.", "W/C 05/01/2026", "W/C 12/01/2026", "W/C 19/01/2026", None])
    second = header_fingerprint(["project name ", "RAG", "W/C 02/02/2026", "W/C 09/02/2026", "W/C 16/02/2026"])
    assert first == second
    assert len(first) == 40
    assert header_fingerprint(["Project Name", "Budget"]) != header_fingerprint(["Budget", "Project Name"])


@pytest.mark.parametrize(
    ("header", "period"),
    [
        ("W/C 06/01/2026", (date(2026, 1, 6), date(2026, 1, 12), "week")),
        ("w/e 11/01/2026", (date(2026, 1, 5), date(2026, 1, 11), "week")),
        ("Week commencing 2 Feb 2026", (date(2026, 2, 2), date(2026, 2, 8), "week")),
        ("2026-W05", (date(2026, 1, 26), date(2026, 2, 1), "week")),
        ("Jan-26", (date(2026, 1, 1), date(2026, 1, 31), "month")),
        ("February 2026", (date(2026, 2, 1), date(2026, 2, 28), "month")),
        ("2026-02", (date(2026, 2, 1), date(2026, 2, 28), "month")),
        ("Q2 2026", (date(2026, 4, 1), date(2026, 6, 30), "quarter")),
        (date(2026, 3, 2), (date(2026, 3, 2), date(2026, 3, 2), "day")),
        ("Project", None),
        ("Start Date", None),
        ("Mar", None),
    ],
)
def test_grid_period(header: object, period: tuple | None) -> None:
    assert grid_period(header) == period


def test_grid_needs_three_periods_and_reads_date_spacing() -> None:
    assert detect_grid(["Name", "Jan-26", "Feb-26"]) == []
    weekly = detect_grid(["Name", date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)])
    assert [(g.granularity, g.end) for g in weekly] == [
        ("week", date(2026, 1, 11)), ("week", date(2026, 1, 18)), ("week", date(2026, 1, 25))
    ]
    assert weekly[0].weeks == 1.0


def test_grid_columns_are_not_fields() -> None:
    result = map_headers(["Resource", "Project", "Jan-26", "Feb-26", "Mar-26"], Kind.ALLOCATIONS)
    assert [c.field for c in result.columns] == ["person", "project", None, None, None]
    assert [g.index for g in result.grid] == [2, 3, 4]
