"""What the roadmap and the bubble chart draw beyond the KPIs: dates, milestones, scores and risk exposure.

- ``roadmap_bars``: each project from its baseline start to its forecast end as of a date (the
  latest report on or before it fills a missing forecast, as in ``analytics.portfolio``), with its
  milestones at their actual date when achieved, else their forecast, else their baseline.
- ``weighted_scores``: each project's strategic score, sum(score x weight) / sum(weight) over the
  criteria it was scored on, in one aggregate query.
- ``risk_exposure``: each project's open risks, summed likelihood x impact (now, or as they stood
  at the end of a past day, replayed from the audit trail as the risk matrix does; when the trail
  starts after that day, as in a database filled in one go, the items as they stand now that had
  been raised by then stand in for it).
- ``bubble_points``: score, exposure, budget and reported RAG per project, for the bubble chart.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..model import Milestone, ProjectScore, RaidItem, StrategicCriterion
from ..model.enums import MilestoneStatus, RaidKind, RaidStatus
from .portfolio import ProjectFacts, read_facts
from .risks import raid_states_at


@dataclass(frozen=True, slots=True)
class RoadmapMilestone:
    """A milestone where the roadmap draws it: the actual date when achieved, else the forecast or baseline."""

    name: str
    date: dt.date
    achieved: bool


@dataclass(frozen=True, slots=True)
class RoadmapBar:
    """One project's bar: baseline start to forecast end (or baseline end when no forecast is known).

    ``baseline_end`` is kept beside it so that the roadmap can mark how far the end has moved.
    """

    project_id: int
    code: str
    name: str
    programme: str | None
    start: dt.date
    end: dt.date
    rag: str | None
    milestones: tuple[RoadmapMilestone, ...] = ()
    baseline_end: dt.date | None = None


@dataclass(frozen=True, slots=True)
class BubblePoint:
    """One project on the bubble chart: strategic score (0-5), open risk exposure, budget and RAG."""

    project_id: int
    code: str
    name: str
    programme: str | None
    score: float | None
    exposure: int
    budget: float | None
    rag: str | None


def _ids(project_ids: Iterable[int] | None) -> list[int] | None:
    return None if project_ids is None else list(project_ids)


def _milestones(session: Session, project_ids: list[int] | None) -> dict[int, list[RoadmapMilestone]]:
    """One query: each project's milestones that have any date, in date order."""
    m = Milestone.__table__
    query = select(m.c.project_id, m.c.name, m.c.baseline_date, m.c.forecast_date, m.c.actual_date, m.c.status)
    if project_ids is not None:
        query = query.where(m.c.project_id.in_(project_ids))
    found: dict[int, list[RoadmapMilestone]] = defaultdict(list)
    for project_id, name, baseline, forecast, actual, status in session.execute(query):
        achieved = actual is not None or status == MilestoneStatus.ACHIEVED.value
        when = actual or forecast or baseline
        if when is not None:
            found[project_id].append(RoadmapMilestone(name, when, achieved))
    for milestones in found.values():
        milestones.sort(key=lambda ms: ms.date)
    return found


def _bar(facts: ProjectFacts, milestones: list[RoadmapMilestone]) -> RoadmapBar | None:
    end = facts.forecast_end or facts.baseline_end
    if facts.baseline_start is None or end is None:
        return None
    return RoadmapBar(facts.project_id, facts.code, facts.name, facts.programme, facts.baseline_start,
                      max(end, facts.baseline_start), facts.reported_rag, tuple(milestones), facts.baseline_end)


def roadmap_bars(session: Session, as_of: dt.date, project_ids: Iterable[int] | None = None) -> list[RoadmapBar]:
    """Every project with a baseline start and an end date, ordered by programme, start and code.

    Projects without those dates have no bar (``len(project_ids) - len(result)`` says how many).
    """
    ids = _ids(project_ids)
    milestones = _milestones(session, ids)
    bars = [bar for facts in read_facts(session, as_of, ids)
            if (bar := _bar(facts, milestones.get(facts.project_id, []))) is not None]
    bars.sort(key=lambda b: (b.programme is None, b.programme or "", b.start, b.code))
    return bars


def weighted_scores(session: Session, project_ids: Iterable[int] | None = None) -> dict[int, float]:
    """Each scored project's sum(score x weight) / sum(weight) over its scored criteria (one query).

    Criteria of weight zero carry no say; a project whose criteria all weigh zero has no score.
    """
    ps, sc = ProjectScore.__table__, StrategicCriterion.__table__
    weight_sum = func.sum(sc.c.weight)
    query = (
        select(ps.c.project_id, func.sum(ps.c.score * sc.c.weight), weight_sum)
        .join(sc, sc.c.id == ps.c.criterion_id)
        .where(ps.c.score.is_not(None))
        .group_by(ps.c.project_id)
    )
    ids = _ids(project_ids)
    if ids is not None:
        query = query.where(ps.c.project_id.in_(ids))
    return {pid: float(total) / float(weights) for pid, total, weights in session.execute(query) if weights}


def risk_exposure(session: Session, as_of: dt.date | None = None,
                  project_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Each project's open risks as summed likelihood x impact, now or at the end of ``as_of``.

    A past day is replayed from the audit trail; when the trail holds nothing about RAID items by
    then, the items as they stand now that were raised on or before ``as_of`` (or have no raised date)
    are counted instead.
    """
    ids = _ids(project_ids)
    wanted = None if ids is None else set(ids)
    states = raid_states_at(session, as_of) if as_of is not None else {}
    # Only an insert replays an item's kind: without one by then, the trail does not reach back that far.
    if any("kind" in state for state in states.values()):
        totals: dict[int, int] = defaultdict(int)
        for state in states.values():
            project_id, likelihood, impact = state.get("project_id"), state.get("likelihood"), state.get("impact")
            if (state.get("kind") != RaidKind.RISK or state.get("status") == RaidStatus.CLOSED
                    or project_id is None or likelihood is None or impact is None):
                continue
            if wanted is None or project_id in wanted:
                totals[project_id] += int(likelihood) * int(impact)
        return dict(totals)
    item = RaidItem.__table__
    query = (
        select(item.c.project_id, func.sum(item.c.likelihood * item.c.impact))
        .where(item.c.kind == RaidKind.RISK.value, item.c.status != RaidStatus.CLOSED.value,
               item.c.project_id.is_not(None))
        .group_by(item.c.project_id)
    )
    if ids is not None:
        query = query.where(item.c.project_id.in_(ids))
    if as_of is not None:
        query = query.where(or_(item.c.raised.is_(None), item.c.raised <= as_of))
    return {pid: int(total or 0) for pid, total in session.execute(query)}


def bubble_points(session: Session, as_of: dt.date, project_ids: Iterable[int] | None = None, *,
                  risks_as_of: dt.date | None = None) -> list[BubblePoint]:
    """Every project with its weighted score, open risk exposure (at ``risks_as_of``, None: now), budget and RAG."""
    ids = _ids(project_ids)
    scores = weighted_scores(session, ids)
    exposure = risk_exposure(session, risks_as_of, ids)
    return [
        BubblePoint(f.project_id, f.code, f.name, f.programme, scores.get(f.project_id),
                    exposure.get(f.project_id, 0), f.budget, f.reported_rag)
        for f in read_facts(session, as_of, ids)
    ]
