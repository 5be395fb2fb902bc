"""The dependency graph across projects and its layered layout (no Qt).

Projects are nodes; every open dependency item is an arrow from the project that depends to the
project it depends on. Several items between the same two projects make one edge. An edge is late
(drawn red) when the project depended on is red, or when the milestone it depends on is late: its
forecast is after its baseline, or its date has passed, and it has not been achieved.

The layout is the classic layered one, computed by hand: cycles are broken by setting aside the
edges that close them (depth-first back edges), each project's layer is the longest path of
dependencies below it (a project that depends on nothing is layer 0), and the projects within a layer
are ordered by the mean position of their neighbours to keep crossings down.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..model import Milestone, MilestoneStatus, Programme, Project, Rag, RaidItem, RaidKind, RaidStatus
from .risks import NO_PROGRAMME

EdgeKey = tuple[str, str]
"""(dependent project code, code of the project depended on)."""


@dataclass(frozen=True, slots=True)
class ProjectNode:
    """A project in the graph."""

    id: int
    code: str
    name: str
    programme: str
    rag: str | None


@dataclass(frozen=True, slots=True)
class Dependency:
    """One open dependency item: ``source`` depends on ``target`` (project codes), maybe on a milestone."""

    item_id: int
    ref: str
    title: str
    source: str
    target: str
    milestone: str | None = None
    milestone_date: dt.date | None = None
    milestone_late: bool = False
    target_red: bool = False

    @property
    def late(self) -> bool:
        """Red on the graph: the project depended on is red, or the milestone is late."""
        return self.target_red or self.milestone_late

    @property
    def reason(self) -> str | None:
        """Why it is red, in words (None when it is not)."""
        reasons = []
        if self.target_red:
            reasons.append(f"{self.target} is red")
        if self.milestone_late:
            reasons.append(f"milestone “{self.milestone}” is late")
        return " and ".join(reasons) or None


@dataclass(frozen=True, slots=True)
class Edge:
    """All open dependencies of one project on another."""

    source: str
    target: str
    items: tuple[Dependency, ...]

    @property
    def key(self) -> EdgeKey:
        return self.source, self.target

    @property
    def late(self) -> bool:
        return any(item.late for item in self.items)


@dataclass(frozen=True, slots=True)
class DependencyGraph:
    """The projects involved in open dependencies (only those) and the edges between them.

    ``programmes`` lists every programme with a project in a dependency, for a filter;
    ``portfolio_level`` counts open dependencies without a dependent project, which have no arrow.
    """

    nodes: dict[str, ProjectNode]
    edges: tuple[Edge, ...]
    programmes: tuple[str, ...] = ()
    programme: str | None = None
    portfolio_level: int = 0

    @property
    def dependencies(self) -> list[Dependency]:
        return [item for edge in self.edges for item in edge.items]

    @property
    def late_count(self) -> int:
        return sum(item.late for item in self.dependencies)


def milestone_late(baseline: dt.date | None, forecast: dt.date | None, actual: dt.date | None,
                   status: str | None, today: dt.date) -> bool:
    """Whether a milestone is late: not achieved, and forecast after baseline or its date already past."""
    if actual is not None or status == MilestoneStatus.ACHIEVED:
        return False
    if status == MilestoneStatus.MISSED:
        return True
    if forecast is not None and baseline is not None and forecast > baseline:
        return True
    due = forecast or baseline
    return due is not None and due < today


def dependency_graph(session: Session, today: dt.date, *, programme: str | None = None) -> DependencyGraph:
    """Open dependencies between projects (in one query), those touching ``programme`` only when given.

    A dependency on its own project draws no arrow and is left out, as are those without a
    project depended on.
    """
    item = RaidItem.__table__
    source, target = aliased(Project), aliased(Project)
    source_programme, target_programme = aliased(Programme), aliased(Programme)
    milestone = Milestone.__table__
    query = (
        select(item.c.id, item.c.ref, item.c.title, item.c.project_id,
               source.id, source.code, source.name, source_programme.name, source.rag,
               target.id, target.code, target.name, target_programme.name, target.rag,
               milestone.c.name, milestone.c.baseline_date, milestone.c.forecast_date, milestone.c.actual_date,
               milestone.c.status)
        .select_from(item)
        .join(target, target.id == item.c.depends_on_project_id)
        .outerjoin(source, source.id == item.c.project_id)
        .outerjoin(source_programme, source_programme.id == source.programme_id)
        .outerjoin(target_programme, target_programme.id == target.programme_id)
        .outerjoin(milestone, milestone.c.id == item.c.depends_on_milestone_id)
        .where(item.c.kind == RaidKind.DEPENDENCY.value, item.c.status != RaidStatus.CLOSED.value)
        .order_by(item.c.id)
    )
    nodes: dict[str, ProjectNode] = {}
    grouped: dict[EdgeKey, list[Dependency]] = defaultdict(list)
    programmes: set[str] = set()
    portfolio_level = 0
    for (item_id, ref, title, project_id, s_id, s_code, s_name, s_programme, s_rag,
         t_id, t_code, t_name, t_programme, t_rag, m_name, m_baseline, m_forecast, m_actual, m_status) in session.execute(query):
        if project_id is None:
            portfolio_level += 1
            continue
        if s_id == t_id:
            continue
        ends = (ProjectNode(s_id, s_code, s_name, s_programme or NO_PROGRAMME, s_rag),
                ProjectNode(t_id, t_code, t_name, t_programme or NO_PROGRAMME, t_rag))
        programmes.update(node.programme for node in ends)
        if programme is not None and programme not in (ends[0].programme, ends[1].programme):
            continue
        for node in ends:
            nodes[node.code] = node
        grouped[s_code, t_code].append(Dependency(
            item_id, ref, title, s_code, t_code, m_name,
            m_forecast or m_baseline if m_name is not None else None,
            m_name is not None and milestone_late(m_baseline, m_forecast, m_actual, m_status, today),
            t_rag == Rag.RED,
        ))
    edges = tuple(Edge(s, t, tuple(items)) for (s, t), items in sorted(grouped.items()))
    return DependencyGraph(nodes, edges, tuple(sorted(programmes)), programme, portfolio_level)


# -- layout ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Layout:
    """Where each project goes: its ``layer`` (0: depends on nothing) and its ``position`` within the layer.

    ``cycle_edges`` are the edges set aside to break cycles (their arrows go against the layers).
    """

    layer: dict[str, int]
    position: dict[str, int]
    cycle_edges: frozenset[EdgeKey]

    @property
    def layers(self) -> list[list[str]]:
        """The codes of each layer, in position order, layer 0 first."""
        rows: list[list[str]] = [[] for _ in range(max(self.layer.values(), default=-1) + 1)]
        for code in sorted(self.layer, key=lambda c: self.position[c]):
            rows[self.layer[code]].append(code)
        return rows


def cycle_edges(nodes: Sequence[str], edges: Iterable[EdgeKey]) -> frozenset[EdgeKey]:
    """Edges that close a cycle in a depth-first walk (nodes and their successors in the given order).

    Without them the graph has no cycle; self-loops are always among them.
    """
    successors: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        successors[source].append(target)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    back: set[EdgeKey] = set()
    for root in nodes:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(successors[root]))]
        while stack:
            node, pending = stack[-1]
            following = next(pending, None)
            if following is None:
                state[node] = 2
                stack.pop()
            elif state.get(following) == 1:
                back.add((node, following))
            elif following not in state:
                state[following] = 1
                stack.append((following, iter(successors[following])))
    return frozenset(back)


def longest_path_layers(nodes: Sequence[str], edges: Iterable[EdgeKey]) -> dict[str, int]:
    """Each node's layer: 0 without successors, else one more than its highest successor (edges acyclic)."""
    successors: dict[str, set[str]] = defaultdict(set)
    predecessors: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        successors[source].add(target)
        predecessors[target].add(source)
    remaining = {node: len(successors[node]) for node in nodes}
    ready = [node for node in nodes if remaining[node] == 0]
    layer = dict.fromkeys(ready, 0)
    while ready:
        node = ready.pop()
        for before in predecessors[node]:
            layer[before] = max(layer.get(before, 0), layer[node] + 1)
            remaining[before] -= 1
            if remaining[before] == 0:
                ready.append(before)
    if len(layer) != len(remaining):
        raise ValueError("The edges have a cycle: break it first (cycle_edges).")
    return layer


def layered_layout(nodes: Sequence[str], edges: Iterable[EdgeKey], *, sweeps: int = 4,
                   groups: Mapping[str, str] | None = None) -> Layout:
    """Layers by longest path with cycles broken, then each layer ordered by its neighbours' positions.

    The first order is by ``groups`` (e.g. programme) then code, so projects of a programme start
    together; ``sweeps`` rounds of the barycentre heuristic follow, in both directions.
    """
    nodes = list(dict.fromkeys(nodes))
    edges = [edge for edge in dict.fromkeys(edges) if edge[0] in nodes and edge[1] in nodes]
    broken = cycle_edges(sorted(nodes), edges)
    kept = [edge for edge in edges if edge not in broken]
    layer = longest_path_layers(nodes, kept)
    group = groups or {}
    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node in sorted(nodes, key=lambda n: (group.get(n, ""), n)):
        rows[layer[node]].append(node)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for source, target in kept:
        neighbours[source].append(target)
        neighbours[target].append(source)
    position = {node: i for row in rows for i, node in enumerate(row)}
    for sweep in range(sweeps):
        order = range(1, len(rows)) if sweep % 2 == 0 else range(len(rows) - 2, -1, -1)
        for index in order:
            side = index - 1 if sweep % 2 == 0 else index + 1
            rows[index] = _by_barycentre(rows[index], neighbours, position, layer, side)
            position.update((node, i) for i, node in enumerate(rows[index]))
    return Layout(layer, position, broken)


def _by_barycentre(row: list[str], neighbours: Mapping[str, list[str]], position: Mapping[str, int],
                   layer: Mapping[str, int], side: int) -> list[str]:
    """``row`` sorted by the mean position of each node's neighbours in layer ``side`` (others keep their place)."""
    def key(node: str) -> float:
        around = [position[n] for n in neighbours.get(node, ()) if layer[n] == side]
        return sum(around) / len(around) if around else float(position[node])

    return sorted(row, key=lambda node: (key(node), position[node]))
