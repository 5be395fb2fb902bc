"""The dependencies view's data and drawing: lateness, the graph from the RAID log, the layered layout, the figure."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex

from pmo_desktop.analytics.dependencies import (
    Dependency,
    DependencyGraph,
    Edge,
    ProjectNode,
    cycle_edges,
    dependency_graph,
    layered_layout,
    longest_path_layers,
    milestone_late,
)
from pmo_desktop.charts.dependencies import (
    BOX_HEIGHT,
    BOX_WIDTH,
    EDGE_COLOUR,
    LATE_COLOUR,
    MAX_PROJECTS,
    RAG_FILLS,
    DependencyChart,
    graph_title,
    place,
)
from pmo_desktop.model import Milestone, Programme, Project, RaidItem
from pmo_desktop.services.defaults import ensure_office_settings

TODAY = dt.date(2026, 3, 14)
D = dt.date


# -- lateness --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("baseline", "forecast", "actual", "status", "late"), [
    (D(2026, 4, 1), D(2026, 4, 1), None, "planned", False),      # on plan, in the future
    (D(2026, 4, 1), D(2026, 4, 2), None, "planned", True),       # forecast one day after baseline
    (D(2026, 4, 1), D(2026, 3, 20), None, "planned", False),     # forecast early
    (D(2026, 3, 1), None, None, "planned", True),                # past its baseline, not achieved
    (None, D(2026, 3, 13), None, "at_risk", True),               # past its forecast
    (None, D(2026, 3, 14), None, "planned", False),              # due today is not yet late
    (D(2026, 3, 1), D(2026, 3, 9), D(2026, 3, 9), "achieved", False),  # achieved, even if late
    (D(2026, 3, 1), None, None, "achieved", False),
    (D(2026, 6, 1), None, None, "missed", True),
    (None, None, None, "planned", False),
])
def test_a_milestone_is_late_when_it_slipped_or_passed_unachieved(baseline, forecast, actual, status, late):
    assert milestone_late(baseline, forecast, actual, status, TODAY) is late


# -- the graph from the RAID log -------------------------------------------------------------------------------

@pytest.fixture
def office(db):
    """Programme Alpha (A1 red, A2 amber), Beta (B1 green), C without programme; dependencies between them."""
    with db.transaction() as session:
        ensure_office_settings(session)
        alpha, beta = Programme(name="Alpha"), Programme(name="Beta")
        projects = {
            "A1": Project(code="A1", name="Alpha one", programme=alpha, rag="R"),
            "A2": Project(code="A2", name="Alpha two", programme=alpha, rag="A"),
            "B1": Project(code="B1", name="Beta one", programme=beta, rag="G"),
            "C": Project(code="C", name="Loose", rag=None),
        }
        session.add_all([alpha, beta, *projects.values()])
        session.flush()
        slipped = Milestone(project_id=projects["B1"].id, name="Go live", baseline_date=D(2026, 5, 1),
                            forecast_date=D(2026, 6, 1))
        on_time = Milestone(project_id=projects["B1"].id, name="Design", baseline_date=D(2026, 4, 1),
                            forecast_date=D(2026, 4, 1))
        session.add_all([slipped, on_time])
        session.flush()

        def dependency(ref, source, target, milestone=None, status="open"):
            project_id = projects[source].id if source else None
            session.add(RaidItem(project_id=project_id, scope_key=RaidItem.scope_key_for(project_id), ref=ref,
                                 kind="dependency", title=f"{source} needs {target}", status=status,
                                 depends_on_project_id=projects[target].id if target else None,
                                 depends_on_milestone_id=milestone.id if milestone else None))

        dependency("D-1", "A2", "A1")                      # on a red project
        dependency("D-2", "A2", "B1", slipped)             # on a slipped milestone
        dependency("D-3", "A2", "B1", on_time)             # same pair, on time: one edge of two items
        dependency("D-4", "C", "A2")
        dependency("D-5", "B1", "C", status="closed")      # closed: not drawn
        dependency("D-6", None, "B1")                      # portfolio-level: counted, not drawn
        dependency("D-7", "C", "C")                        # on itself: no arrow
        dependency("D-8", "C", None)                       # on nobody
        session.add(RaidItem(project_id=projects["C"].id, scope_key=str(projects["C"].id), ref="R-1",
                             kind="risk", title="Not a dependency", depends_on_project_id=projects["A1"].id))
    return db


def test_the_graph_has_the_projects_in_open_dependencies_and_one_edge_per_pair(office):
    with office.session() as session:
        graph = dependency_graph(session, TODAY)
    assert set(graph.nodes) == {"A1", "A2", "B1", "C"}
    assert graph.nodes["A1"].programme == "Alpha" and graph.nodes["C"].programme == "No programme"
    assert [(e.source, e.target, [d.ref for d in e.items]) for e in graph.edges] == [
        ("A2", "A1", ["D-1"]), ("A2", "B1", ["D-2", "D-3"]), ("C", "A2", ["D-4"]),
    ]
    late = {d.ref: d.reason for d in graph.dependencies if d.late}
    assert late == {"D-1": "A1 is red", "D-2": "milestone “Go live” is late"}
    assert [e.late for e in graph.edges] == [True, True, False]
    assert (graph.late_count, graph.portfolio_level) == (2, 1)
    assert graph.programmes == ("Alpha", "Beta", "No programme")
    d2 = next(d for d in graph.dependencies if d.ref == "D-2")
    assert (d2.milestone, d2.milestone_date) == ("Go live", D(2026, 6, 1))


def test_a_programme_keeps_the_dependencies_that_touch_it(office):
    with office.session() as session:
        beta = dependency_graph(session, TODAY, programme="Beta")
        alpha = dependency_graph(session, TODAY, programme="Alpha")
    assert set(beta.nodes) == {"A2", "B1"} and [e.key for e in beta.edges] == [("A2", "B1")]
    assert [e.key for e in alpha.edges] == [("A2", "A1"), ("A2", "B1"), ("C", "A2")]
    assert beta.programmes == alpha.programmes == ("Alpha", "Beta", "No programme")


# -- layout ------------------------------------------------------------------------------------------------------

def test_longest_path_puts_a_project_one_layer_past_everything_it_depends_on():
    edges = [("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("A", "D"), ("E", "D")]
    layers = longest_path_layers(list("ABCDE"), edges)
    assert layers == {"D": 0, "B": 1, "C": 1, "E": 1, "A": 2}
    with pytest.raises(ValueError, match="cycle"):
        longest_path_layers(["X", "Y"], [("X", "Y"), ("Y", "X")])


def test_cycles_are_broken_by_the_edges_that_close_them():
    edges = [("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"), ("D", "D"), ("E", "F"), ("F", "E")]
    broken = cycle_edges(list("ABCDEF"), edges)
    assert broken == {("C", "A"), ("D", "D"), ("F", "E")}
    # What remains has a layering, i.e. no cycle.
    longest_path_layers(list("ABCDEF"), [e for e in edges if e not in broken])


def test_the_layout_respects_every_kept_edge_and_numbers_each_layer_from_zero():
    edges = [("P1", "P2"), ("P2", "P3"), ("P3", "P1"), ("P4", "P2"), ("P5", "P6"), ("P4", "P6"), ("P7", "P3")]
    nodes = [f"P{n}" for n in range(1, 9)]
    layout = layered_layout(nodes, edges)
    assert layout.cycle_edges == {("P3", "P1")}
    for source, target in edges:
        if (source, target) not in layout.cycle_edges:
            assert layout.layer[source] > layout.layer[target]
    for row in layout.layers:
        assert sorted(layout.position[code] for code in row) == list(range(len(row)))
    assert set(itertools.chain.from_iterable(layout.layers)) == set(nodes)
    assert layout.layer["P8"] == 0  # no edges at all


def test_ordering_by_neighbours_uncrosses_arrows():
    # First order by code puts x over y and a over b: x -> b and y -> a would cross.
    layout = layered_layout(["a", "b", "x", "y"], [("x", "b"), ("y", "a")])
    assert layout.layers == [["a", "b"], ["y", "x"]] or layout.layers == [["b", "a"], ["x", "y"]]


# -- drawing -------------------------------------------------------------------------------------------------------

def node(code: str, rag: str | None) -> ProjectNode:
    return ProjectNode(hash(code) % 1000, code, f"Project {code}", "Alpha", rag)


def graph_of(edges: dict[tuple[str, str], bool], rags: dict[str, str | None]) -> DependencyGraph:
    """``edges`` (source, target) -> late; one dependency item each."""
    return DependencyGraph(
        {code: node(code, rag) for code, rag in rags.items()},
        tuple(Edge(s, t, (Dependency(n, f"D-{n}", "needs", s, t, target_red=late),))
              for n, ((s, t), late) in enumerate(edges.items())),
    )


def test_boxes_take_the_project_rag_and_late_arrows_are_red():
    graph = graph_of({("A", "B"): True, ("C", "B"): False, ("B", "D"): False},
                     {"A": "G", "B": "R", "C": "A", "D": None})
    chart = DependencyChart(graph, figsize=(8, 5))
    assert {code: to_hex(box.get_facecolor()) for code, box in chart.boxes.items()} == {
        "A": RAG_FILLS["G"], "B": RAG_FILLS["R"], "C": RAG_FILLS["A"], "D": RAG_FILLS[None]}
    assert to_hex(chart.arrows["A", "B"].get_edgecolor()) == LATE_COLOUR
    assert to_hex(chart.arrows["C", "B"].get_edgecolor()) == EDGE_COLOUR
    labels = {t.get_text() for t in chart.axes.texts}
    assert labels == {"A", "B", "C", "D"}
    # Dependents left of what they depend on.
    x = {code: centre[0] for code, centre in chart.placement.centres.items()}
    assert x["A"] < x["B"] < x["D"] and x["C"] < x["B"]
    assert chart.title.get_text() == "Open dependencies: 3 between 4 projects, 1 late"
    assert chart.figure.get_layout_engine() is None


def test_a_cycle_is_drawn_with_a_dashed_arrow_back():
    chart = DependencyChart(graph_of({("A", "B"): False, ("B", "A"): False}, {"A": "G", "B": "G"}))
    dashed = [key for key, arrow in chart.arrows.items() if arrow.get_linestyle() != "-"]
    assert dashed == sorted(chart.layout.cycle_edges) and len(dashed) == 1


def test_a_click_on_a_box_names_its_project():
    chart = DependencyChart(graph_of({("A", "B"): False}, {"A": "G", "B": "A"}))
    x, y = chart.placement.centres["B"]
    assert chart.node_at(chart.axes, x + BOX_WIDTH / 2 - 0.01, y) == "B"
    assert chart.node_at(chart.axes, x, y + BOX_HEIGHT) is None and chart.node_at(None, x, y) is None


def test_a_tall_layer_is_split_into_staggered_columns_whose_boxes_never_overlap():
    codes = [f"P{n:03}" for n in range(40)]
    layout = layered_layout([*codes, "HUB"], [(code, "HUB") for code in codes])
    placement = place(layout, rows_per_column=12)
    assert placement.height <= 12 + 1
    for a, b in itertools.combinations(codes, 2):
        (ax_, ay), (bx, by) = placement.centres[a], placement.centres[b]
        assert abs(ax_ - bx) >= BOX_WIDTH or abs(ay - by) >= BOX_HEIGHT


def test_a_hundred_and_fifty_projects_draw_with_every_code_inside_its_own_box():
    rags = {f"P{n:03}": "GAR"[n % 3] for n in range(MAX_PROJECTS)}
    edges = {(f"P{n:03}", f"P{(n * 7 + 3) % MAX_PROJECTS:03}"): n % 5 == 0 for n in range(MAX_PROJECTS)
             if (n * 7 + 3) % MAX_PROJECTS != n}
    chart = DependencyChart(graph_of(edges, rags), figsize=(11, 7))
    assert len(chart.boxes) == MAX_PROJECTS and len(chart.arrows) == len(edges)
    renderer = FigureCanvasAgg(chart.figure).get_renderer()
    chart.figure.draw(renderer)
    boxes = {code: box.get_window_extent(renderer) for code, box in chart.boxes.items()}
    for text in chart.axes.texts:
        if text.get_text() in rags:
            label, box = text.get_window_extent(renderer), boxes[text.get_text()]
            assert box.x0 <= label.x0 and label.x1 <= box.x1 and box.y0 <= label.y0 and label.y1 <= box.y1
            assert text.get_fontsize() >= 5
    ordered = sorted(boxes.values(), key=lambda b: b.x0)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.x0 >= a.x1:
                break
            assert b.y0 >= a.y1 or a.y0 >= b.y1, "two boxes overlap"


def test_an_empty_graph_says_so():
    chart = DependencyChart(DependencyGraph({}, ()))
    assert [t.get_text() for t in chart.axes.texts] == ["No open dependencies between projects"]
    assert graph_title(DependencyGraph({}, (), programme="Beta")) == "Open dependencies: 0 between 0 projects · Beta"


def test_past_the_limit_the_chart_asks_for_a_programme_instead_of_drawing():
    rags = {f"P{n:03}": "G" for n in range(MAX_PROJECTS + 1)}
    chart = DependencyChart(graph_of({(f"P{n:03}", "P000"): False for n in range(1, MAX_PROJECTS + 1)}, rags))
    assert chart.boxes == {} and chart.arrows == {}
    (text,) = chart.axes.texts
    assert text.get_text().startswith(f"{MAX_PROJECTS + 1} projects have open dependencies")
    assert "Choose a programme" in text.get_text()
    assert chart.node_at(chart.axes, 0.5, 0.5) is None
