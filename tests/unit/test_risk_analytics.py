"""Risk analytics on a small hand-counted RAID log: matrix (now and as of a past date), exposure, ageing, patterns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from pmo_desktop.analytics.risks import (
    NO_PROGRAMME,
    UNCATEGORISED,
    ExposureItem,
    Matrix,
    RiskThresholds,
    TrendPoint,
    ageing,
    bucket_counts,
    category_key,
    days_since_review,
    exposure,
    exposure_of,
    item_facts,
    office_thresholds,
    patterns,
    programme_key,
    risk_matrix,
    trend,
    trend_periods,
)
from pmo_desktop.model import OfficeSettings, Programme, Project, RaidItem, StatusReport
from pmo_desktop.model.audit import AuditEvent
from pmo_desktop.services.defaults import ensure_office_settings
from pmo_desktop.services.raid import PORTFOLIO_LABEL, ScoreBand

TODAY = dt.date(2026, 3, 31)
D = dt.date

# ref, project, kind, likelihood, impact, status, category, owner, cost, raised, last reviewed, title
ITEMS = [
    ("R-001", "A", "risk", 4, 5, "open", "Supplier", "Ann", 10000, D(2026, 3, 1), D(2026, 3, 21),
     "Northwind Systems may miss the delivery date"),
    ("R-002", "B", "risk", 4, 5, "in_progress", "Supplier", "Bob", 5000, D(2026, 1, 30), None,
     "Late hardware from Northwind Systems"),
    ("R-003", "C", "risk", 2, 3, "open", "Supplier", "Ann", None, D(2025, 12, 31), D(2026, 2, 28),
     "Northwind Systems' integration team overstretched"),
    ("R-004", "D", "risk", 1, 1, "open", "Technical", "Ann", 2000, D(2025, 10, 1), D(2026, 1, 30),
     "legacy interface poorly documented"),
    ("R-005", "A", "risk", 3, 3, "closed", "Supplier", "Ann", 8000, D(2025, 6, 1), None,
     "Northwind Systems contract novation"),
    ("I-001", "B", "issue", 5, 5, "open", "Schedule", "Bob", 1000, D(2026, 3, 31), None,
     "Test environment down"),
    ("R-001", None, "risk", 4, 5, "open", "Financial", "Ann", 3000, D(2025, 11, 1), D(2026, 3, 30),
     "Budget cut by Northwind Systems"),
    ("R-001", "E", "risk", None, None, "open", "Technical", "Cid", None, None, None, "Unscored worry"),
    ("R-002", "E", "risk", 2, 4, "open", "Technical", "Cid", 4000, D(2026, 3, 2), D(2026, 3, 2),
     "Northwind Systems price rise"),
]


@pytest.fixture
def office(db):
    """Projects A and B in programme Alpha, C in Beta, D and E in none; the RAID log above."""
    with db.transaction() as session:
        ensure_office_settings(session)
        alpha, beta = Programme(name="Alpha"), Programme(name="Beta")
        projects = {
            "A": Project(code="A", name="Alpha one", programme=alpha),
            "B": Project(code="B", name="Alpha two", programme=alpha),
            "C": Project(code="C", name="Beta one", programme=beta),
            "D": Project(code="D", name="Standalone"),
            "E": Project(code="E", name="Standalone two"),
        }
        session.add_all([alpha, beta, *projects.values()])
        session.flush()
        for ref, code, kind, likelihood, impact, status, category, owner, cost, raised, reviewed, title in ITEMS:
            project_id = projects[code].id if code else None
            session.add(RaidItem(
                project_id=project_id, scope_key=RaidItem.scope_key_for(project_id), ref=ref, kind=kind,
                likelihood=likelihood, impact=impact, status=status, category=category, owner=owner,
                cost_impact=Decimal(cost) if cost is not None else None, raised=raised, last_reviewed=reviewed,
                title=title,
            ))
    return db


# -- the matrix --------------------------------------------------------------------------------------------

def test_matrix_counts_open_risks_by_likelihood_and_impact(office):
    with office.session() as session:
        matrix = risk_matrix(session)
    assert matrix.count(4, 5) == 3  # R-001 A, R-002 B (in progress), portfolio R-001
    assert (matrix.count(2, 3), matrix.count(1, 1), matrix.count(2, 4)) == (1, 1, 1)
    assert matrix.count(3, 3) == 0  # closed
    assert matrix.count(5, 5) == 0  # an issue
    assert (matrix.total, matrix.unscored) == (6, 1)
    assert matrix.band_totals() == {ScoreBand.HIGH: 3, ScoreBand.MEDIUM: 1, ScoreBand.LOW: 2}
    assert matrix.cell(4, 5).label == "L4 × I5"


def test_matrix_scope_follows_kinds_and_open_only(office):
    with office.session() as session:
        with_issues = risk_matrix(session, kinds=("risk", "issue"))
        everything = risk_matrix(session, open_only=False)
    assert (with_issues.count(5, 5), with_issues.total) == (1, 7)
    assert (everything.count(3, 3), everything.total) == (1, 7)


def test_bands_use_the_office_thresholds(office):
    with office.transaction() as session:
        settings = session.get(OfficeSettings, 1)
        settings.risk_amber_score, settings.risk_red_score = 6, 20
    with office.session() as session:
        assert office_thresholds(session) == RiskThresholds(6, 20)
        matrix = risk_matrix(session)
    assert matrix.cell(2, 3).band is ScoreBand.MEDIUM  # 6 is amber now
    assert matrix.cell(3, 5).band is ScoreBand.MEDIUM  # 15 is no longer red
    assert matrix.cell(4, 5).band is ScoreBand.HIGH
    assert len(matrix.cells()) == 25


def test_matrix_from_pairs_counts_unscored_apart():
    matrix = Matrix.from_pairs([(1, 2), (1, 2), (5, 5), (None, 3), (4, None)], RiskThresholds())
    assert (matrix.count(1, 2), matrix.count(5, 5), matrix.total, matrix.unscored) == (2, 1, 3, 2)


def _date_history(db, since_id: int, when: dt.datetime) -> int:
    """Date the audit events after ``since_id`` at ``when`` (as if written then); the last event id."""
    with db.transaction() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id > since_id).values(at=when))
        return session.scalar(select(func.max(AuditEvent.id))) or 0


def _dated_raid_history(db, third: dict[str, Any], *, first: dict[str, Any] | None = None,
                        second: dict[str, Any] | None = None, others: Sequence[dict[str, Any]] = ()) -> None:
    """Project X's RAID log, written in three dated steps (each step's audit events dated as if written then).

    10 January: R-1 "One" (2x2) and R-2 "Two" (3x3) added, with the fields in ``first`` and ``second``,
    and the ``others``; 10 February: R-1 rescored 5x5, R-2 closed; 10 March: R-1 deleted, R-3 (``third``) added.
    """
    with db.transaction() as session:
        ensure_office_settings(session)
        project = Project(code="X", name="Ex")
        session.add(project)
        session.flush()

        def item(**values: Any) -> RaidItem:
            return RaidItem(project_id=project.id, scope_key=str(project.id), **values)

        one = item(ref="R-1", title="One", likelihood=2, impact=2, **(first or {}))
        two = item(ref="R-2", title="Two", likelihood=3, impact=3, **(second or {}))
        session.add_all([one, two, *(item(**values) for values in others)])
    last = _date_history(db, 0, dt.datetime(2026, 1, 10, 12, 0))

    with db.transaction() as session:
        stored_one, stored_two = session.get(RaidItem, one.id), session.get(RaidItem, two.id)
        stored_one.likelihood, stored_one.impact = 5, 5
        stored_two.status = "closed"
    last = _date_history(db, last, dt.datetime(2026, 2, 10, 9, 30))

    with db.transaction() as session:
        session.delete(session.get(RaidItem, one.id))
        session.add(item(ref="R-3", **third))
    _date_history(db, last, dt.datetime(2026, 3, 10, 17, 45))


def test_matrix_as_of_a_past_date_replays_inserts_updates_and_deletes(db):
    _dated_raid_history(db, {"title": "Three", "likelihood": 1, "impact": 1})

    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.entity == "raid_item")) == 6
        before = risk_matrix(session, as_of=D(2026, 1, 9))
        january = risk_matrix(session, as_of=D(2026, 1, 10))
        february = risk_matrix(session, as_of=D(2026, 2, 10))
        february_all = risk_matrix(session, as_of=D(2026, 2, 10), open_only=False)
        march = risk_matrix(session, as_of=D(2026, 3, 10))
        march_all = risk_matrix(session, as_of=D(2026, 3, 10), open_only=False)
        now = risk_matrix(session)
    assert before.total == 0
    assert (january.count(2, 2), january.count(3, 3), january.total) == (1, 1, 2)
    assert (february.count(5, 5), february.total) == (1, 1)
    assert (february_all.count(5, 5), february_all.count(3, 3), february_all.total) == (1, 1, 2)
    assert (march.count(1, 1), march.total) == (1, 1)
    assert (march_all.count(1, 1), march_all.count(3, 3), march_all.total) == (1, 1, 2)
    assert now.counts == march.counts and march.as_of == D(2026, 3, 10)


# -- exposure ------------------------------------------------------------------------------------------

def test_exposure_by_project_sums_scores_and_expected_value(office):
    with office.session() as session:
        rows = exposure(session, "project")
    figures = [(r.key, r.count, r.score_total, r.emv, r.costed) for r in rows]
    assert figures == [
        ("A", 1, 20, Decimal("8000.00"), 1),  # 10,000 x 4/5
        ("B", 1, 20, Decimal("4000.00"), 1),  # 5,000 x 4/5
        ("Portfolio", 1, 20, Decimal("2400.00"), 1),  # 3,000 x 4/5
        ("E", 2, 8, Decimal("1600.00"), 1),  # 4,000 x 2/5; the unscored item counts, adds nothing
        ("D", 1, 1, Decimal("400.00"), 1),  # 2,000 x 1/5
        ("C", 1, 6, Decimal("0.00"), 0),  # no cost impact given
    ]


def test_exposure_by_programme_and_category(office):
    with office.session() as session:
        programmes = {r.key: (r.count, r.score_total, r.emv) for r in exposure(session, "programme")}
        categories = {r.key: (r.count, r.score_total, r.emv) for r in exposure(session, "category")}
    assert programmes == {
        "Alpha": (2, 40, Decimal("12000.00")),
        "Portfolio": (1, 20, Decimal("2400.00")),
        "No programme": (3, 9, Decimal("2000.00")),
        "Beta": (1, 6, Decimal("0.00")),
    }
    assert categories == {
        "Supplier": (3, 46, Decimal("12000.00")),  # R-005 is closed
        "Financial": (1, 20, Decimal("2400.00")),
        "Technical": (3, 9, Decimal("2000.00")),
    }
    with office.session() as session, pytest.raises(ValueError, match="project, programme or category"):
        exposure(session, "owner")  # type: ignore[arg-type]


# -- ageing ----------------------------------------------------------------------------------------------

def test_ageing_days_open_days_since_review_and_buckets(office):
    with office.session() as session:
        result = ageing(session, TODAY)
    by_title = {(r.project, r.ref): (r.days_open, r.days_since_review, r.never_reviewed) for r in result.rows}
    assert by_title == {
        ("A", "R-001"): (30, 10, False),
        ("B", "R-002"): (60, 60, True),  # never reviewed: counted from the date raised
        ("C", "R-003"): (90, 31, False),
        ("D", "R-004"): (181, 60, False),
        ("B", "I-001"): (0, 0, True),
        ("Portfolio", "R-001"): (150, 1, False),
        ("E", "R-001"): (None, None, True),
        ("E", "R-002"): (29, 29, False),
    }
    assert result.open_buckets == (("0–30 days", 3), ("31–60 days", 1), ("61–90 days", 1), ("91–180 days", 1),
                                   ("Over 180 days", 1))
    assert result.review_buckets == (("0–30 days", 4), ("31–60 days", 3), ("61–90 days", 0),
                                     ("91–180 days", 0), ("Over 180 days", 0))
    assert result.never_reviewed == 3
    with office.session() as session:
        assert len(ageing(session, TODAY, kinds=("issue",)).rows) == 1


# -- patterns ----------------------------------------------------------------------------------------------

def test_patterns_find_the_supplier_category_and_owner_recurring_across_projects(office):
    with office.session() as session:
        found = patterns(session, min_projects=3)
    summary = [(p.kind, p.label, p.projects, p.items) for p in found]
    assert summary == [
        # Named in open risks of four projects (the portfolio-level one and the closed one do not count).
        ("name", "Northwind Systems", ("A", "B", "C", "E"), 4),
        ("category", "Supplier", ("A", "B", "C"), 3),
        ("owner", "Ann", ("A", "C", "D"), 3),
    ]
    assert found[0].description == ("Named “Northwind Systems”: 4 open items in 4 projects, "
                                    "e.g. “Northwind Systems may miss the delivery date”")


def test_patterns_need_enough_projects(office):
    with office.session() as session:
        assert [p.label for p in patterns(session, min_projects=4)] == ["Northwind Systems"]
        assert patterns(session, min_projects=5) == []


def _patterns_of_three_projects(db, name: str, items: Callable[[int], list[dict[str, Any]]]) -> list:
    """``patterns`` (3 projects) of an office of projects P1-P3 named ``name.format(n)``, with ``items(n)`` each."""
    with db.transaction() as session:
        ensure_office_settings(session)
        for n, code in enumerate(("P1", "P2", "P3")):
            project = Project(code=code, name=name.format(n))
            session.add(project)
            session.flush()
            for m, fields in enumerate(items(n)):
                session.add(RaidItem(project_id=project.id, scope_key=str(project.id), ref=f"R-{m}", **fields))
    with db.session() as session:
        return patterns(session, min_projects=3)


def test_patterns_show_themes_with_an_example_title_and_ignore_a_projects_own_name(db):
    found = _patterns_of_three_projects(db, "Head Office Move {}", lambda n: [dict(
        title="Penetration test findings delay go-live",
        description=f"Head Office Move {n} cannot go live with open findings.")])
    assert [(p.kind, p.label, p.projects, p.example) for p in found] == [
        ("theme", "Penetration test", ("P1", "P2", "P3"), "Penetration test findings delay go-live"),
    ]


def test_patterns_of_labels_differing_only_in_case_come_in_a_fixed_order(db):
    # The lower-case spelling is stored first: the order must not follow the rows' storage order.
    found = _patterns_of_three_projects(db, "Project {}", lambda n: [
        dict(title=f"Item {n}.{m}", category=category) for m, category in enumerate(("supplier", "Supplier"))])
    assert [(p.kind, p.label, p.items) for p in found if p.kind == "category"] == [
        ("category", "Supplier", 3), ("category", "supplier", 3)]


def test_patterns_count_a_shared_wording_in_every_project_but_the_one_it_names_and_break_ties_by_first_item(db):
    # Items in insertion order: P2's two, then one wording shared by P1, P3 and P4 (named after the supplier).
    items = [("P2", "Northwind Systems price rise", None), ("P2", "Northwind Systems price rise", None)] + [
        (code, "Late kit", "Delivery by Northwind Systems slips.") for code in ("P1", "P3", "P4")]
    with db.transaction() as session:
        ensure_office_settings(session)
        projects = {code: Project(code=code, name=name) for code, name in (
            ("P1", "Depot move"), ("P2", "Payroll"), ("P3", "Warehouse"), ("P4", "Northwind Systems upgrade"))}
        session.add_all(projects.values())
        session.flush()
        for n, (code, title, description) in enumerate(items):
            project_id = projects[code].id
            session.add(RaidItem(project_id=project_id, scope_key=str(project_id), ref=f"R-{n}", title=title,
                                 description=description))
    with db.session() as session:
        found = patterns(session, min_projects=3)
    assert [(p.kind, p.label, p.projects, p.items, p.example) for p in found] == [
        # Two items each for the two titles: the example is the title of the first item.
        ("name", "Northwind Systems", ("P1", "P2", "P3"), 4, "Northwind Systems price rise"),
        # "Late kit" and "Systems slips" name the same projects in the same items: the first met is kept.
        ("theme", "Late kit", ("P1", "P3", "P4"), 3, "Late kit"),
    ]

# -- exposure of chosen rows, ageing of rows ---------------------------------------------------------------

def test_exposure_of_chosen_items_sums_scores_and_expected_value_by_key():
    items = [
        ExposureItem("Supplier", 4, 5, Decimal("10000")),   # score 20, cost x L = 40,000
        ExposureItem("Supplier", 2, 3, None),               # score 6, not costed
        ExposureItem("Supplier", None, None, Decimal(500)),  # no score, no likelihood: not costed
        ExposureItem("Technical", 1, 1, Decimal("2000.10")),  # score 1, 2,000.10
        ExposureItem("Schedule", 5, 5, None),               # score 25, nothing costed
    ]
    rows = exposure_of(items)
    assert [(r.key, r.count, r.score_total, r.emv, r.costed) for r in rows] == [
        ("Supplier", 3, 26, Decimal("8000.00"), 1),     # 40,000 / 5
        ("Technical", 1, 1, Decimal("400.02"), 1),      # 2,000.10 / 5
        ("Schedule", 1, 25, Decimal("0.00"), 0),
    ]
    assert exposure_of([]) == []


def test_exposure_of_the_register_rows_matches_the_sql_exposure(office):
    with office.session() as session:
        facts = item_facts(session)
        rows = session.execute(select(RaidItem.id, RaidItem.likelihood, RaidItem.impact, Programme.name)
                               .outerjoin(Project, Project.id == RaidItem.project_id)
                               .outerjoin(Programme, Programme.id == Project.programme_id)
                               .where(RaidItem.kind == "risk", RaidItem.status != "closed")).all()
        by_category = exposure(session, "category")
        by_programme = exposure(session, "programme")
    assert exposure_of(ExposureItem(category_key(facts[i].category), lk, im, facts[i].cost_impact)
                       for i, lk, im, _programme in rows) == by_category
    assert exposure_of(ExposureItem(programme_key(programme, facts[i].portfolio_level), lk, im, facts[i].cost_impact)
                       for i, lk, im, programme in rows) == by_programme
    assert {r.key for r in by_programme} == {"Alpha", "Beta", NO_PROGRAMME, PORTFOLIO_LABEL}


def test_keys_name_the_missing_category_and_programme():
    assert (category_key(None), category_key("Data")) == (UNCATEGORISED, "Data")
    assert programme_key(None, True) == PORTFOLIO_LABEL
    assert (programme_key(None, False), programme_key("Alpha", False)) == (NO_PROGRAMME, "Alpha")


def test_days_since_review_falls_back_to_days_open_and_buckets_count_known_ages():
    assert days_since_review(40, D(2026, 3, 21), TODAY) == 10
    assert days_since_review(40, None, TODAY) == 40
    assert days_since_review(None, None, TODAY) is None
    assert bucket_counts([0, 30, 31, 90, 91, 181, -3, None]) == (
        ("0–30 days", 3), ("31–60 days", 1), ("61–90 days", 1), ("91–180 days", 1), ("Over 180 days", 1))


# -- trend ---------------------------------------------------------------------------------------------------

def test_trend_counts_open_items_and_exposure_at_each_period_end(db):
    _dated_raid_history(
        db,
        # R-3 is recorded only in March, from an older log: raised in January, closed at the end of February.
        {"title": "Three", "likelihood": 1, "impact": 4, "cost_impact": Decimal(500), "raised": D(2026, 1, 20),
         "status": "closed", "closed_on": D(2026, 2, 28)},
        first={"cost_impact": Decimal(1000), "raised": D(2026, 1, 5)},
        second={"raised": D(2026, 1, 6)},
        others=[{"ref": "I-1", "title": "An issue", "kind": "issue", "likelihood": 5, "impact": 5,
                 "raised": D(2026, 1, 6)}],
    )

    periods = [D(2025, 12, 31), D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31)]
    with db.session() as session:
        points = trend(session, periods)
        issues = trend(session, periods[1:2], kinds=("issue",))
    assert points == [
        TrendPoint(D(2025, 12, 31), 0, 0, Decimal("0.00")),
        # R-1 (2x2, 1,000 x 2 / 5 = 400), R-2 (3x3), and R-3 raised on the 20th (1x4, 500 x 1 / 5 = 100).
        TrendPoint(D(2026, 1, 31), 3, 4 + 9 + 4, Decimal("500.00")),
        # R-1 now 5x5 (1,000 x 5 / 5), R-2 closed, R-3 closed on the 28th.
        TrendPoint(D(2026, 2, 28), 1, 25, Decimal("1000.00")),
        # R-1 deleted, R-3 closed.
        TrendPoint(D(2026, 3, 31), 0, 0, Decimal("0.00")),
    ]
    assert issues == [TrendPoint(D(2026, 1, 31), 1, 25, Decimal("0.00"))]
    with db.session() as session:
        assert trend(session, []) == []


def test_trend_periods_are_the_latest_reporting_periods_then_today(office):
    with office.session() as session:
        assert trend_periods(session, TODAY, 4) == [D(2025, 12, 31), D(2026, 1, 31), D(2026, 2, 28), TODAY]
    with office.transaction() as session:
        project = session.scalars(select(Project).where(Project.code == "A")).one()
        for period in (D(2025, 11, 30), D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31)):
            session.add(StatusReport(project=project, period_end=period))
    with office.session() as session:
        # The report for the period ending today is not "before today": today is the last point anyway.
        assert trend_periods(session, TODAY, 3) == [D(2026, 1, 31), D(2026, 2, 28), TODAY]
        assert trend_periods(session, TODAY, 1) == [TODAY]


def test_trend_of_one_project_or_of_the_portfolio_level_items(office):
    with office.session() as session:
        project_a = trend(session, [TODAY], project="A")
        portfolio = trend(session, [TODAY], project=PORTFOLIO_LABEL)
        everything = trend(session, [TODAY])
        unknown = trend(session, [TODAY], project="ZZZ")
    # A: R-001 4x5 costing 10,000 (R-005 is closed); the portfolio: R-001 4x5 costing 3,000.
    assert project_a == [TrendPoint(TODAY, 1, 20, Decimal("8000.00"))]
    assert portfolio == [TrendPoint(TODAY, 1, 20, Decimal("2400.00"))]
    # Every open risk: 20 + 20 + 6 + 1 + 20 + 8, costed ones (L x cost / 5). The unscored one has no
    # raised date and was recorded after TODAY: nothing says it was open then.
    assert everything == [TrendPoint(TODAY, 6, 75, Decimal("8000.00") + Decimal("4000.00") + Decimal("400.00")
                                     + Decimal("2400.00") + Decimal("1600.00"))]
    assert unknown == [TrendPoint(TODAY, 0, 0, Decimal("0.00"))]
