"""Risk figures for the Risks tab and the executive pack: the 5x5 matrix, exposure, ageing, patterns (no Qt).

Counts and sums are SQL aggregates (GROUP BY / HAVING over the RAID table); only what is not a set
operation runs in Python: replaying the audit history for a past date, and splitting titles into words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Literal, NamedTuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..model import AuditAction, OfficeSettings, Programme, Project, RaidItem, RaidStatus, StatusReport
from ..model.audit import AuditEvent
from ..services.raid import (
    DEFAULT_AMBER_SCORE,
    DEFAULT_RED_SCORE,
    LIKELIHOOD_WORDS,
    PORTFOLIO_LABEL,
    ScoreBand,
    score_band,
)

SCALE: tuple[int, ...] = (1, 2, 3, 4, 5)
"""The likelihood and impact scale, lowest first."""

SCALE_WORDS: tuple[str, ...] = tuple(LIKELIHOOD_WORDS[n] for n in SCALE)
"""Very low .. Very high: the axis labels of the matrix."""

KIND_PLURALS = {"risk": "risks", "issue": "issues", "assumption": "assumptions", "dependency": "dependencies"}
"""How the kinds read in titles and labels ("open dependencies")."""

NO_PROGRAMME = "No programme"
UNCATEGORISED = "Uncategorised"
RAID_ENTITY = RaidItem.__tablename__


# -- thresholds and the matrix ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RiskThresholds:
    """The office's score bands: a score at or above ``red`` is high, at or above ``amber`` medium."""

    amber: int = DEFAULT_AMBER_SCORE
    red: int = DEFAULT_RED_SCORE

    def band(self, score: int) -> ScoreBand:
        band = score_band(score, self.amber, self.red)
        assert band is not None
        return band


def kinds_text(kinds: Sequence[str]) -> str:
    """ "risks", "risks and issues": the kinds as words for a title or a label."""
    words = [KIND_PLURALS.get(kind, kind) for kind in kinds]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def office_thresholds(session: Session) -> RiskThresholds:
    """The thresholds stored in the office settings (the defaults when there is no settings row)."""
    row = session.execute(
        select(OfficeSettings.risk_amber_score, OfficeSettings.risk_red_score).where(OfficeSettings.id == 1)
    ).first()
    return RiskThresholds(*row) if row is not None else RiskThresholds()


@dataclass(frozen=True, slots=True)
class Cell:
    """One square of the matrix."""

    likelihood: int
    impact: int
    count: int
    band: ScoreBand

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def label(self) -> str:
        """Short name used on chips and tooltips: "L4 × I5"."""
        return f"L{self.likelihood} × I{self.impact}"


@dataclass(frozen=True, slots=True)
class Matrix:
    """Counts of items by likelihood (rows) and impact (columns), both 1-5.

    ``counts[likelihood - 1][impact - 1]``; ``unscored`` counts items in scope without both values.
    """

    counts: tuple[tuple[int, ...], ...]
    thresholds: RiskThresholds = field(default_factory=RiskThresholds)
    kinds: tuple[str, ...] = ("risk",)
    open_only: bool = True
    as_of: dt.date | None = None
    unscored: int = 0

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int | None, int | None]], thresholds: RiskThresholds,
                   **scope) -> Matrix:
        """Count (likelihood, impact) pairs; pairs with a missing or out-of-range value count as unscored."""
        grid = [[0] * len(SCALE) for _ in SCALE]
        unscored = 0
        for likelihood, impact in pairs:
            if likelihood in SCALE and impact in SCALE:
                grid[likelihood - 1][impact - 1] += 1
            else:
                unscored += 1
        return cls(tuple(tuple(row) for row in grid), thresholds, unscored=unscored, **scope)

    def count(self, likelihood: int, impact: int) -> int:
        return self.counts[likelihood - 1][impact - 1]

    def cell(self, likelihood: int, impact: int) -> Cell:
        return Cell(likelihood, impact, self.count(likelihood, impact), self.thresholds.band(likelihood * impact))

    def cells(self) -> list[Cell]:
        """All 25 cells, likelihood then impact ascending."""
        return [self.cell(likelihood, impact) for likelihood in SCALE for impact in SCALE]

    @property
    def total(self) -> int:
        """Scored items in the matrix."""
        return sum(map(sum, self.counts))

    def band_totals(self) -> dict[ScoreBand, int]:
        """Items per band, every band present (high first)."""
        totals = dict.fromkeys((ScoreBand.HIGH, ScoreBand.MEDIUM, ScoreBand.LOW), 0)
        for cell in self.cells():
            totals[cell.band] += cell.count
        return totals


def risk_matrix(session: Session, *, kinds: Sequence[str] = ("risk",), open_only: bool = True,
                as_of: dt.date | None = None) -> Matrix:
    """The 5x5 matrix of ``kinds`` (open ones only by default), now or at the end of ``as_of``.

    A past date is rebuilt from the audit history: every insert, update and delete of a RAID item
    up to the end of that day (UTC) is replayed, so items deleted since then count and items raised
    since do not.
    """
    kinds = tuple(kinds)
    thresholds = office_thresholds(session)
    scope = {"kinds": kinds, "open_only": open_only, "as_of": as_of}
    if as_of is not None:
        states = raid_states_at(session, as_of)
        pairs = [
            (state.get("likelihood"), state.get("impact")) for state in states.values()
            if state.get("kind") in kinds and not (open_only and state.get("status") == RaidStatus.CLOSED)
        ]
        return Matrix.from_pairs(pairs, thresholds, **scope)

    item = RaidItem.__table__
    condition = item.c.kind.in_(kinds)
    if open_only:
        condition = and_(condition, item.c.status != RaidStatus.CLOSED.value)
    query = (
        select(item.c.likelihood, item.c.impact, func.count())
        .where(condition)
        .group_by(item.c.likelihood, item.c.impact)
    )
    grid = [[0] * len(SCALE) for _ in SCALE]
    unscored = 0
    for likelihood, impact, count in session.execute(query):
        if likelihood in SCALE and impact in SCALE:
            grid[likelihood - 1][impact - 1] = count
        else:
            unscored += count
    return Matrix(tuple(tuple(row) for row in grid), thresholds, unscored=unscored, **scope)


def raid_states_at(session: Session, as_of: dt.date) -> dict[int, dict]:
    """Every RAID item's fields as they stood at the end of ``as_of``, replayed from the audit log."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    events = session.execute(
        select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.changes)
        .where(AuditEvent.entity == RAID_ENTITY, AuditEvent.at < end)
        .order_by(AuditEvent.id)
    )
    states: dict[int, dict] = {}
    for entity_id, action, changes in events:
        if action == AuditAction.DELETE:
            states.pop(entity_id, None)
            continue
        state = {} if action == AuditAction.INSERT else states.setdefault(entity_id, {})
        for name, (_before, after) in (changes or {}).items():
            state[name] = after
        states[entity_id] = state
    return states


# -- exposure ------------------------------------------------------------------------------------

ExposureBy = Literal["project", "programme", "category"]


@dataclass(frozen=True, slots=True)
class ExposureRow:
    """Open risk in one project, programme or category.

    ``emv`` (expected monetary value) sums cost impact x likelihood / 5 over the items whose cost
    impact and likelihood are both given; ``costed`` counts those items.
    """

    key: str
    count: int
    score_total: int
    emv: Decimal
    costed: int


def exposure(session: Session, by: ExposureBy = "project", *, kinds: Sequence[str] = ("risk",)) -> list[ExposureRow]:
    """Open ``kinds`` grouped ``by`` project, programme or category, largest expected value first."""
    item, project, programme = RaidItem.__table__, Project.__table__, Programme.__table__
    keys = {
        "project": func.coalesce(project.c.code, PORTFOLIO_LABEL),
        "programme": case(
            (item.c.project_id.is_(None), PORTFOLIO_LABEL),
            else_=func.coalesce(programme.c.name, NO_PROGRAMME),
        ),
        "category": func.coalesce(item.c.category, UNCATEGORISED),
    }
    if by not in keys:
        raise ValueError(f"Exposure can be grouped by project, programme or category, not {by!r}.")
    key = keys[by].label("key")
    costed = and_(item.c.cost_impact.is_not(None), item.c.likelihood.is_not(None))
    query = (
        select(
            key,
            func.count(),
            func.coalesce(func.sum(item.c.likelihood * item.c.impact), 0),
            func.sum(case((costed, item.c.cost_impact * item.c.likelihood))),
            func.count(case((costed, 1))),
        )
        .select_from(item)
        .outerjoin(project, project.c.id == item.c.project_id)
        .outerjoin(programme, programme.c.id == project.c.programme_id)
        .where(item.c.kind.in_(tuple(kinds)), item.c.status != RaidStatus.CLOSED.value)
        .group_by(key)
    )
    rows = [
        ExposureRow(name, count, int(score_total), _expected_value(weighted), costed_count)
        for name, count, score_total, weighted, costed_count in session.execute(query)
    ]
    rows.sort(key=lambda r: (-r.emv, -r.score_total, r.key))
    return rows


def _expected_value(weighted) -> Decimal:
    """Sum of cost x likelihood, divided by 5 and rounded to the penny (None: nothing costed)."""
    if weighted is None:
        return Decimal("0.00")
    # SQLite hands sums of NUMERIC back as floats: go through text so 0.1 + 0.2 stays 0.30.
    total = Decimal(str(weighted)).quantize(Decimal("0.01"))
    return (total / 5).quantize(Decimal("0.01"))


# -- ageing -----------------------------------------------------------------------------------------

AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0–30 days", 30), ("31–60 days", 60), ("61–90 days", 90), ("91–180 days", 180), ("Over 180 days", None),
)
"""Bucket labels with their upper bound in days (inclusive; None: no bound)."""


@dataclass(frozen=True, slots=True)
class AgeingRow:
    """How long one open item has been open and since it was last looked at.

    ``days_since_review`` counts from the last review, or from the date raised when it was never
    reviewed; None when neither date is known.
    """

    id: int
    project: str
    ref: str
    kind: str
    days_open: int | None
    days_since_review: int | None
    never_reviewed: bool


@dataclass(frozen=True, slots=True)
class Ageing:
    """Open items' ages, and how many fall in each bucket of ``AGE_BUCKETS``."""

    rows: tuple[AgeingRow, ...]
    open_buckets: tuple[tuple[str, int], ...]
    review_buckets: tuple[tuple[str, int], ...]

    @property
    def never_reviewed(self) -> int:
        return sum(row.never_reviewed for row in self.rows)


def age_bucket(days: int) -> str:
    """The ``AGE_BUCKETS`` label for an age in days (negative ages, i.e. future dates, count as 0)."""
    for label, upper in AGE_BUCKETS:
        if upper is None or days <= upper:
            return label
    raise AssertionError("the last bucket has no upper bound")


def ageing(session: Session, today: dt.date, *, kinds: Sequence[str] | None = None) -> Ageing:
    """Days open and days since review of every open item (of ``kinds``, or all), oldest first."""
    item, project = RaidItem.__table__, Project.__table__
    query = (
        select(item.c.id, func.coalesce(project.c.code, PORTFOLIO_LABEL), item.c.ref, item.c.kind,
               item.c.raised, item.c.last_reviewed)
        .select_from(item)
        .outerjoin(project, project.c.id == item.c.project_id)
        .where(item.c.status != RaidStatus.CLOSED.value)
        .order_by(item.c.raised, item.c.id)
    )
    if kinds is not None:
        query = query.where(item.c.kind.in_(tuple(kinds)))
    rows = []
    for item_id, code, ref, kind, raised, reviewed in session.execute(query):
        seen = reviewed or raised
        rows.append(AgeingRow(
            item_id, code, ref, kind,
            (today - raised).days if raised is not None else None,
            (today - seen).days if seen is not None else None,
            reviewed is None,
        ))
    return Ageing(tuple(rows), bucket_counts(r.days_open for r in rows),
                  bucket_counts(r.days_since_review for r in rows))


def bucket_counts(days: Iterable[int | None]) -> tuple[tuple[str, int], ...]:
    """(label, count) for every ``AGE_BUCKETS`` bucket, in order; unknown ages (None) are left out."""
    counts = Counter(age_bucket(max(d, 0)) for d in days if d is not None)
    return tuple((label, counts.get(label, 0)) for label, _upper in AGE_BUCKETS)


# -- exposure and ageing of the register's rows -------------------------------------------------------

class ItemFacts(NamedTuple):
    """What the exposure charts need of an item beyond its register row (``RaidRow``)."""

    category: str | None
    cost_impact: Decimal | None
    portfolio_level: bool


def item_facts(session: Session) -> dict[int, ItemFacts]:
    """Category, cost impact and whether it is portfolio-level, of every RAID item, by id (one query)."""
    item = RaidItem.__table__
    query = select(item.c.id, item.c.category, item.c.cost_impact, item.c.project_id.is_(None))
    return {item_id: ItemFacts(category, cost, bool(portfolio_level))
            for item_id, category, cost, portfolio_level in session.execute(query)}


def category_key(category: str | None) -> str:
    """The exposure key of a category: the category, or ``UNCATEGORISED``."""
    return category or UNCATEGORISED


def programme_key(programme: str | None, portfolio_level: bool) -> str:
    """The exposure key of a programme: its name, ``PORTFOLIO_LABEL`` or ``NO_PROGRAMME``."""
    if portfolio_level:
        return PORTFOLIO_LABEL
    return programme or NO_PROGRAMME


class ExposureItem(NamedTuple):
    """One open item as ``exposure_of`` groups it."""

    key: str
    likelihood: int | None
    impact: int | None
    cost_impact: Decimal | None


def exposure_of(items: Iterable[ExposureItem]) -> list[ExposureRow]:
    """Exposure rows of items already chosen (e.g. the rows a filtered register shows), ordered as ``exposure``.

    Same sums as ``exposure``: scores where both values are given, expected value where cost and
    likelihood are.
    """
    counts: Counter[str] = Counter()
    scores: Counter[str] = Counter()
    weighted: dict[str, Decimal] = {}
    costed: Counter[str] = Counter()
    for key, likelihood, impact, cost in items:
        counts[key] += 1
        if likelihood is not None and impact is not None:
            scores[key] += likelihood * impact
        if cost is not None and likelihood is not None:
            weighted[key] = weighted.get(key, Decimal(0)) + Decimal(cost) * likelihood
            costed[key] += 1
    rows = [ExposureRow(key, count, scores[key], _expected_value(weighted.get(key)), costed[key])
            for key, count in counts.items()]
    rows.sort(key=lambda r: (-r.emv, -r.score_total, r.key))
    return rows


def days_since_review(days_open: int | None, last_reviewed: dt.date | None, today: dt.date) -> int | None:
    """Days since ``last_reviewed``, or since raised (``days_open`` ago) when never reviewed."""
    if last_reviewed is not None:
        return (today - last_reviewed).days
    return days_open


# -- trend ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TrendPoint:
    """Open items of some kinds at the end of one period, and their exposure (as ``ExposureRow``)."""

    period_end: dt.date
    open: int
    score_total: int
    emv: Decimal


def trend_periods(session: Session, today: dt.date, count: int = 12) -> list[dt.date]:
    """The points of the trend, oldest first: the latest reporting periods before ``today``, then ``today``.

    Reporting periods are the status reports' period ends; an office without reports gets month ends.
    """
    if count < 2:
        return [today]
    before = list(session.scalars(
        select(StatusReport.period_end).where(StatusReport.period_end < today).distinct()
        .order_by(StatusReport.period_end.desc()).limit(count - 1)
    ))
    if not before:
        before = [today.replace(day=1) - dt.timedelta(days=1)]
        while len(before) < count - 1:
            before.append(before[-1].replace(day=1) - dt.timedelta(days=1))
    return [*sorted(before), today]


def trend(session: Session, periods: Sequence[dt.date], *, kinds: Sequence[str] = ("risk",),
          project: str | None = None) -> list[TrendPoint]:
    """Open ``kinds`` and their exposure at the end of each period (one query over the audit history).

    ``project``: only that project's items (by code; ``PORTFOLIO_LABEL`` for the portfolio-level ones).

    An item's fields at a period end are replayed from the audit history, as ``risk_matrix`` does for
    one date. An item recorded later (an import of an older log, say) counts from the date it was
    raised, with the values it was first recorded with. It is open when raised by then and not closed:
    its closing date when it has one, else its status at the time.
    """
    kinds = frozenset(kinds)
    ends = sorted(set(periods))
    if not ends:
        return []
    in_project = _project_test(session, project)
    events = session.execute(
        select(AuditEvent.at, AuditEvent.entity_id, AuditEvent.action, AuditEvent.changes)
        .where(AuditEvent.entity == RAID_ENTITY).order_by(AuditEvent.id)
    ).all()
    first: dict[int, _TrendFacts] = {}
    for _at, entity_id, action, changes in events:
        if action == AuditAction.INSERT and entity_id not in first:
            first[entity_id] = _TrendFacts.of({name: after for name, (_before, after) in (changes or {}).items()})

    states: dict[int, dict] = {}
    recorded: dict[int, _TrendFacts] = {}
    points: list[TrendPoint] = []
    position = 0
    for period_end in ends:
        end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time())
        while position < len(events) and events[position].at < end:
            _at, entity_id, action, changes = events[position]
            position += 1
            if action == AuditAction.DELETE:
                states.pop(entity_id, None)
                recorded[entity_id] = _DELETED
                continue
            state = {} if action == AuditAction.INSERT else states.setdefault(entity_id, {})
            for name, (_before, after) in (changes or {}).items():
                state[name] = after
            states[entity_id] = state
            recorded[entity_id] = _TrendFacts.of(state)
        count, scores, weighted = 0, 0, Decimal(0)
        for facts, is_recorded in _trend_facts(first, recorded):
            if facts.kind in kinds and in_project(facts.project_id) and facts.open_at(period_end, recorded=is_recorded):
                count += 1
                if facts.likelihood is not None and facts.impact is not None:
                    scores += facts.likelihood * facts.impact
                if facts.cost is not None and facts.likelihood is not None:
                    weighted += facts.cost * facts.likelihood
        points.append(TrendPoint(period_end, count, scores, _expected_value(weighted if weighted else None)))
    return points


class _TrendFacts(NamedTuple):
    """The fields of an audited item state that the trend reads, parsed once."""

    kind: str | None
    project_id: int | None
    raised: dt.date | None
    closed_on: dt.date | None
    closed: bool
    likelihood: int | None
    impact: int | None
    cost: Decimal | None

    @classmethod
    def of(cls, state: dict) -> _TrendFacts:
        cost = state.get("cost_impact")
        return cls(state.get("kind"), state.get("project_id"), _as_date(state.get("raised")),
                   _as_date(state.get("closed_on")),
                   state.get("status") == RaidStatus.CLOSED, state.get("likelihood"), state.get("impact"),
                   None if cost is None else Decimal(str(cost)))

    def open_at(self, period_end: dt.date, *, recorded: bool) -> bool:
        """Whether the item was open at the end of ``period_end``.

        ``recorded``: these are its fields as they stood then; otherwise they are the first ones
        recorded after it, and the item counts only from a known raised date.
        """
        if (self.raised is None and not recorded) or (self.raised is not None and self.raised > period_end):
            return False
        if self.closed_on is not None:
            return self.closed_on > period_end
        return not self.closed


_DELETED = _TrendFacts(None, None, None, None, True, None, None, None)
"""The state of a deleted item: of no kind, so never counted."""


def _project_test(session: Session, project: str | None) -> Callable[[int | None], bool]:
    """Whether an item's project id is in scope: any (``project`` None), the portfolio, or one project's."""
    if project is None:
        return lambda _project_id: True
    if project == PORTFOLIO_LABEL:
        return lambda project_id: project_id is None
    wanted = session.scalar(select(Project.id).where(Project.code == project))
    return lambda project_id: project_id is not None and project_id == wanted


def _trend_facts(first: dict[int, _TrendFacts], recorded: dict[int, _TrendFacts]):
    """Each item's facts at a period end and whether they were recorded by then (else: first recorded later)."""
    for facts in recorded.values():
        yield facts, True
    for entity_id, facts in first.items():
        if entity_id not in recorded:
            yield facts, False


def _as_date(value) -> dt.date | None:
    """A date from the audit history (stored as ISO text), or None."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# -- cross-project patterns -----------------------------------------------------------------------------

PatternKind = Literal["name", "theme", "category", "owner"]


@dataclass(frozen=True, slots=True)
class Pattern:
    """Something that recurs in the open risks of several projects, with those projects (codes, sorted).

    Kinds: a ``name`` (a capitalised word or phrase: a supplier, a system), a ``theme`` (a two-word
    phrase), a ``category`` or an ``owner``. ``example`` is the commonest title among the items a
    name or theme was found in.
    """

    kind: PatternKind
    label: str
    projects: tuple[str, ...]
    items: int
    example: str | None = None

    @property
    def description(self) -> str:
        what = {"name": "Named", "theme": "Theme", "category": "Category", "owner": "Owner"}[self.kind]
        text = f"{what} “{self.label}”: {self.items} open items in {len(self.projects)} projects"
        return f"{text}, e.g. “{self.example}”" if self.example else text


_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being below
between both but by can cannot could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just may me might more most must my no nor
not now of off on once only or other our ours out over own same shall she should so some such than that the
their theirs them then there these they this those through to too under until up upon very was we were what
when where which while who whom why will with would you your yet per via within without across around
risk risks issue issues project projects programme item items possible potential likely due new next
another one two three several many much well less least still further
january february march april june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())
"""Words that say nothing about what recurs (English function words and the RAID log's own vocabulary)."""

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&'’\-]*")
_SENTENCE_END = re.compile(r"[.!?;:]\s+|\n+")
_POSSESSIVE = re.compile(r"(['’]s?)$")
MAX_TERMS = 12
"""At most this many recurring names or phrases (the most widespread first)."""
MAX_PER_KIND = 12
"""At most this many recurring categories, and as many owners (a large office has hundreds)."""


_Occurrences = tuple[tuple[str, bool | None], ...]
"""A term's occurrences in a text: how each is written, and whether it is capitalised (None when it opens
a sentence, where capitals say nothing)."""


class _Found(NamedTuple):
    """A term in the items of one wording: the first such item (its row number), where the term comes in
    the wording's terms, the title, how many items and each occurrence's spelling and capitals flag."""

    first_item: int
    position: int
    title: str | None
    items: int
    occurrences: _Occurrences


@dataclass(slots=True)
class _TermStats:
    """Where a term occurs and how it is written."""

    projects: set[str] = field(default_factory=set)
    items: int = 0
    capitalised: int = 0
    occurrences: int = 0
    found_in: list[_Found] = field(default_factory=list)

    @property
    def is_name(self) -> bool:
        """Written with capitals in most places it is not opening a sentence (a supplier, a system)."""
        return self.occurrences > 0 and self.capitalised * 2 > self.occurrences

    @property
    def first_seen(self) -> tuple[int, int]:
        """The first item the term is in (row number) and where it comes in that item's terms."""
        first = min(self.found_in, key=attrgetter("first_item"))
        return first.first_item, first.position

    def commonest(self) -> tuple[str, str | None]:
        """The commonest spelling and title; of equally common ones, the one met first in item order."""
        spellings: Counter[str] = Counter()
        titles: Counter[str | None] = Counter()
        for found in sorted(self.found_in, key=attrgetter("first_item")):
            for spelling, _ in found.occurrences:
                spellings[spelling] += found.items
            titles[found.title] += found.items
        return spellings.most_common(1)[0][0], titles.most_common(1)[0][0]


def _words(sentence: str) -> list[str]:
    """Words of ``sentence`` with possessives dropped ("Systems'" and "Systems’s" -> "Systems")."""
    words = []
    for raw in _WORD.findall(sentence):
        word = _POSSESSIVE.sub("", raw).strip("-")
        if word:
            words.append(word)
    return words


def _is_significant(key: str) -> bool:
    return len(key) > 2 and key not in STOPWORDS and not key.isdigit()


def _sentence_terms(sentence: str) -> dict[tuple[str, ...], _Occurrences]:
    """Significant words and two-word phrases of ``sentence`` (case-folded), in order, with their occurrences."""
    found: dict[tuple[str, ...], list[tuple[str, bool | None]]] = defaultdict(list)
    words = _words(sentence)
    keys = [w.casefold() for w in words]
    keep = [_is_significant(k) for k in keys]
    for i, (word, key) in enumerate(zip(words, keys, strict=True)):
        if not keep[i]:
            continue
        found[(key,)].append((word, None if i == 0 else word[0].isupper()))
        if i + 1 < len(words) and keep[i + 1]:
            following = words[i + 1]
            # A phrase is a name when both words are capitalised inside a sentence ("to Northwind Systems").
            capitalised = None if i == 0 else word[0].isupper() and following[0].isupper()
            found[(key, keys[i + 1])].append((f"{word} {following}", capitalised))
    return {term: tuple(occurrences) for term, occurrences in found.items()}


def _item_terms(text: str, known_sentences: dict[str, dict[tuple[str, ...], _Occurrences]] | None = None
                ) -> dict[tuple[str, ...], _Occurrences]:
    """Significant words and two-word phrases of ``text`` (case-folded) with each occurrence's spelling.

    A phrase never spans a stopword or a sentence break. ``known_sentences`` keeps the terms of each
    sentence split so far, for texts that share sentences.
    """
    found: dict[tuple[str, ...], _Occurrences] = {}
    for sentence in _SENTENCE_END.split(text):
        if known_sentences is None:
            terms = _sentence_terms(sentence)
        elif (terms := known_sentences.get(sentence)) is None:
            terms = known_sentences[sentence] = _sentence_terms(sentence)
        for term, occurrences in terms.items():
            found[term] = found[term] + occurrences if term in found else occurrences
    return found


def patterns(session: Session, min_projects: int = 3, *, kinds: Sequence[str] = ("risk",)) -> list[Pattern]:
    """Categories, owners and names or phrases that recur in the open ``kinds`` of ``min_projects``+ projects.

    Portfolio-level items (no project) do not count. Terms come from titles, descriptions and
    mitigations with stopwords dropped: names (words mostly written with a capital, such as a
    supplier) and two-word phrases; of several terms naming exactly the same projects only the most
    specific is kept ("Northwind Systems" rather than "Northwind").

    Names come first, then themes, then categories, then owners; each the most widespread first, and
    at most ``MAX_TERMS`` names and themes and ``MAX_PER_KIND`` categories and owners.
    """
    item, project = RaidItem.__table__, Project.__table__
    in_scope = and_(item.c.kind.in_(tuple(kinds)), item.c.status != RaidStatus.CLOSED.value,
                    item.c.project_id.is_not(None))
    found: list[Pattern] = []
    for kind, column in (("category", item.c.category), ("owner", item.c.owner)):
        recurring = (
            select(column)
            .where(in_scope, column.is_not(None))
            .group_by(column)
            .having(func.count(func.distinct(item.c.project_id)) >= min_projects)
        )
        members: dict[str, set[str]] = defaultdict(set)
        counts: Counter[str] = Counter()
        for label, code in session.execute(
            select(column, project.c.code).join(project, project.c.id == item.c.project_id)
            .where(in_scope, column.in_(recurring))
        ):
            members[label].add(code)
            counts[label] += 1
        of_kind = [Pattern(kind, label, tuple(sorted(codes)), counts[label]) for label, codes in members.items()]
        # Labels that differ only in case ("Supplier", "supplier") and tie are put in a fixed order too.
        of_kind.sort(key=lambda p: (-len(p.projects), -p.items, p.label.casefold(), p.label))
        found += of_kind[:MAX_PER_KIND]
    # Names and themes first (a supplier across projects is the finding a PMO is after).
    return _recurring_terms(session, in_scope, min_projects) + found


def _recurring_terms(session: Session, in_scope, min_projects: int) -> list[Pattern]:
    """Names (capitalised words) and two-word phrases in the open items of ``min_projects``+ projects."""
    item, project = RaidItem.__table__, Project.__table__
    rows = session.execute(
        select(project.c.code, project.c.name, item.c.title, item.c.description, item.c.mitigation)
        .join(project, project.c.id == item.c.project_id).where(in_scope).order_by(item.c.id)
    )
    # Wordings repeat (a template's title and text in many projects): each distinct text is split into
    # terms once, and the items of one wording are counted together, each project's from its first item.
    wordings: dict[_Wording, dict[str, _Items]] = {}
    own_names: dict[str, set[tuple[str, ...]]] = {}
    for number, (code, name, title, description, mitigation) in enumerate(rows):
        # A description that names its own project ("Head Office Move depends on...") is no pattern.
        if code not in own_names:
            own_names[code] = set(_item_terms(name or ""))
        wording = _Wording(title, "\n".join(part for part in (title, description, mitigation) if part))
        of_projects = wordings.setdefault(wording, {})
        if code in of_projects:
            of_projects[code].count += 1
        else:
            of_projects[code] = _Items(number)
    # Texts share sentences too (a template's), and each is split once.
    known_sentences: dict[str, dict[tuple[str, ...], _Occurrences]] = {}
    terms_of = {text: _item_terms(text, known_sentences)
                for text in dict.fromkeys(wording.text for wording in wordings)}
    widespread = _widespread_terms(wordings, terms_of, own_names, min_projects)
    stats: dict[tuple[str, ...], _TermStats] = defaultdict(_TermStats)
    for (title, text), of_projects in wordings.items():
        terms = terms_of[text]
        named = set().union(*(own_names[code] for code in of_projects)).intersection(terms)
        all_items = sum(items.count for items in of_projects.values())
        for position, (term, occurrences) in enumerate(terms.items()):
            if term not in widespread:
                continue
            projects, count = of_projects, all_items
            if term in named:
                projects = {code: items for code, items in of_projects.items() if term not in own_names[code]}
                if not projects:
                    continue
                count = sum(items.count for items in projects.values())
            counted = [capitalised for _, capitalised in occurrences if capitalised is not None]
            term_stats = stats[term]
            term_stats.projects.update(projects)
            term_stats.items += count
            term_stats.occurrences += len(counted) * count
            term_stats.capitalised += sum(counted) * count
            # Projects are in the order of their first item with this wording.
            first_item = next(iter(projects.values())).first
            term_stats.found_in.append(_Found(first_item, position, title, count, occurrences))
    # Single lower-case words ("data", "change") recur everywhere and say little: keep names and phrases.
    # In the order first met (item by item), which decides between equally specific terms below.
    recurring = {
        term: s for term, s in sorted(stats.items(), key=lambda entry: entry[1].first_seen)
        if len(s.projects) >= min_projects and (len(term) == 2 or s.is_name)
    }
    # Of terms naming exactly the same projects, keep the most specific (a phrase over its words).
    best: dict[frozenset[str], tuple[str, ...]] = {}
    for term, term_stats in recurring.items():
        codes = frozenset(term_stats.projects)
        current = best.get(codes)
        if current is None or _specificity(term, term_stats) > _specificity(current, recurring[current]):
            best[codes] = term
    chosen = sorted(best.values(), key=lambda t: (not recurring[t].is_name, -len(recurring[t].projects),
                                                  -recurring[t].items, t))[:MAX_TERMS]
    found = []
    for t in chosen:
        spelling, title = recurring[t].commonest()
        kind: PatternKind = "name" if recurring[t].is_name else "theme"
        found.append(Pattern(kind, spelling, tuple(sorted(recurring[t].projects)), recurring[t].items, title))
    return found


def _specificity(term: tuple[str, ...], stats: _TermStats) -> tuple:
    # A phrase over its words ("Key SME" over "SME"), then a name over a theme.
    return (len(term), stats.is_name, stats.items)


class _Wording(NamedTuple):
    """An item's wording: its title, and the title, description and mitigation as one text."""

    title: str | None
    text: str


@dataclass(slots=True)
class _Items:
    """A project's items with one wording: the first one's row number, and how many."""

    first: int
    count: int = 1


def _widespread_terms(wordings: dict[_Wording, dict[str, _Items]],
                      terms_of: dict[str, dict[tuple[str, ...], _Occurrences]],
                      own_names: dict[str, set[tuple[str, ...]]], min_projects: int) -> set[tuple[str, ...]]:
    """Terms found in the items of ``min_projects``+ projects (not counting a project's own name)."""
    texts: dict[str, set[str]] = defaultdict(set)
    for wording, of_projects in wordings.items():
        for code in of_projects:
            texts[code].add(wording.text)
    spread: Counter[tuple[str, ...]] = Counter()
    for code, of_project in texts.items():
        spread.update(set().union(*(terms_of[text].keys() for text in of_project)) - own_names[code])
    return {term for term, projects in spread.items() if projects >= min_projects}
