"""The wheelchair street profile (issue 14): walking without highway=steps or wheelchair=no ways.

A square of streets with a flight of steps across it (the walkers' shortcut) and a footway tagged
wheelchair=no: routes and stop footpaths on the wheelchair profile go around both, equal a plain
Dijkstra on the walk costs without those ways, and never run along the steps.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.errors import InvalidQueryError
from engine.streets.profiles import way_attrs, wheelchair_speed

from ._osm_xml import build_network, latlon
from ._step_free import oracle_costs, oracle_matrix, oracle_ms, steps_on_geometry, steps_segments

W, B = 1.33, 4.5
NODES = {1: (0, 0), 2: (0, 100), 3: (300, 0), 4: (300, 100), 5: (150, 50)}
WAYS = [
    (1, [1, 3], {"highway": "residential"}),
    (2, [3, 4], {"highway": "residential"}),
    (3, [4, 2], {"highway": "residential"}),
    (4, [1, 2], {"highway": "steps"}),                                 # the walkers' shortcut
    (5, [1, 5, 4], {"highway": "footway", "wheelchair": "no"}),       # a diagonal, no wheelchairs
]
STOPS = [(5, -5), (5, 105)]     # A near node 1 on street 1-3, B near node 2 on street 4-2


def test_wheelchair_speed_rules():
    assert wheelchair_speed({"highway": "steps"}, W) == 0
    assert wheelchair_speed({"highway": "footway", "wheelchair": "no"}, W) == 0
    assert wheelchair_speed({"highway": "footway", "wheelchair": "no;limited"}, W) == 0
    assert wheelchair_speed({"highway": "footway", "wheelchair": "limited"}, W) == W
    assert wheelchair_speed({"highway": "residential"}, W) == W
    assert wheelchair_speed({"highway": "residential"}, 0.0) == 0      # not walkable: not rolled
    # way_attrs: walk, bike, car pairs (way_speeds) then the wheelchair pair
    attrs = way_attrs({"highway": "footway", "foot": "no"}, W, B)
    assert len(attrs) == 8 and attrs[0] == attrs[6] == 0
    attrs = way_attrs({"highway": "steps"}, W, B)
    assert attrs[0] == W and attrs[6:] == (0.0, 0.0)


@pytest.mark.parametrize("incline,rolled", [
    ("8%", True), ("8.33%", True), ("8.34%", False), ("-12%", False), ("12", False), ("0", True), ("15 %", False),
    ("4°", True), ("5°", False), ("up", True), ("down", True), ("steep", True), ("-10%;up", False), ("", True)])
def test_wheelchair_incline_rule(incline, rolled):
    """A number steeper than 1:12 either way closes the way to wheelchairs ("up" / "down" say
    nothing about how steep); wheelchair=yes or designated on the way keeps it open."""
    tags = {"highway": "footway", "incline": incline}
    assert (wheelchair_speed(tags, W) == W) is rolled
    assert (wheelchair_speed({"highway": "residential", "incline": incline}, W) == W) is rolled
    assert wheelchair_speed({**tags, "wheelchair": "yes"}, W) == W
    assert wheelchair_speed({**tags, "wheelchair": "designated"}, W) == W
    assert wheelchair_speed({**tags, "wheelchair": "limited"}, W) == (W if rolled else 0)
    assert way_attrs(tags, W, B)[0] == W               # walkers take it whatever its incline


@pytest.mark.parametrize("smoothness,rolled", [
    ("excellent", True), ("good", True), ("intermediate", True), ("bad", False), ("very_bad", False),
    ("horrible", False), ("very_horrible", False), ("impassable", False), ("r", True)])
def test_wheelchair_smoothness_rule(smoothness, rolled):
    """OSM's smoothness scale lists wheelchairs up to "intermediate"; "bad" needs robust wheels.
    wheelchair=yes or designated on the way keeps it open; a surface alone says nothing."""
    tags = {"highway": "path", "smoothness": smoothness, "surface": "gravel"}
    assert (wheelchair_speed(tags, W) == W) is rolled
    assert wheelchair_speed({**tags, "wheelchair": "yes"}, W) == W
    assert wheelchair_speed({"highway": "path", "surface": "gravel"}, W) == W
    assert way_attrs(tags, W, B)[0] == W


@pytest.fixture(scope="module")
def square(tmp_path_factory):
    folder = tmp_path_factory.mktemp("step_free")
    net, report, footpaths = build_network(folder, NODES, WAYS, STOPS)
    net.osm_path = folder / "t.osm"
    return net, report, footpaths


def _oracle(net):
    return oracle_costs(net.graph, net.osm_path)


def test_costs_are_walk_without_steps_and_wheelchair_no(square):
    net, report, _ = square
    g = net.graph
    cost = _oracle(net)
    np.testing.assert_array_equal(g.mode("wheelchair").c_fwd, cost)
    np.testing.assert_array_equal(g.mode("wheelchair").c_bwd, cost)
    assert len(steps_segments(g)) == 1
    assert report.counts["streets.wheelchair.segments"] == int(np.count_nonzero(cost >= 0)) == 3


def test_route_goes_around_the_steps(square):
    net, _, _ = square
    a, b = latlon(*STOPS[0]), latlon(*STOPS[1])
    walk = net.route(*a, *b, "walk")
    chair = net.route(*a, *b, "wheelchair")
    assert walk.distance_m == pytest.approx(120, abs=0.5)
    assert chair.distance_m == pytest.approx(700, abs=0.5)
    assert steps_on_geometry(net.graph, walk.geometry) == steps_segments(net.graph).tolist()
    assert steps_on_geometry(net.graph, chair.geometry) == []
    g, cost = net.graph, _oracle(net)
    sa, sb = net.snap(*a, "wheelchair"), net.snap(*b, "wheelchair")
    want = oracle_ms(g, oracle_matrix(g, cost), cost, (sa.segment, sa.t, sa.conn_ms), (sb.segment, sb.t, sb.conn_ms))
    assert chair.duration_ms == want


def test_route_avoids_wheelchair_no(square):
    net, _, _ = square
    a, b = latlon(-3, -3), latlon(303, 103)          # node 1 to node 4, just off them
    assert net.route(*a, *b, "walk").distance_m == pytest.approx(math.hypot(300, 100) + 2 * math.hypot(3, 3),
                                                                   abs=1.0)
    assert net.route(*a, *b, "wheelchair").distance_m == pytest.approx(400 + 2 * math.hypot(3, 3), abs=1.0)


def test_points_snap_to_streets_a_wheelchair_may_use(square):
    net, _, _ = square
    on_steps = latlon(-2, 50)                        # 2 m from the steps, 298 m from street 3-4
    assert net.snap(*on_steps, "walk").distance_m == pytest.approx(2, abs=0.1)
    assert net.snap(*on_steps, "wheelchair").distance_m > 40
    with pytest.raises(InvalidQueryError) as err:
        net.snap(*latlon(-400, 50), "wheelchair")    # 400 m from any street: refused, named
    assert err.value.parameter == "point" and "wheelchair" in str(err.value)


def test_step_free_footpaths_take_the_long_way(square):
    net, _, fp = square
    sf = fp.step_free
    walk = dict(zip(zip(fp.from_stop.tolist(), fp.to_stop.tolist()), fp.duration_s.tolist()))
    chair = dict(zip(zip(sf.from_stop.tolist(), sf.to_stop.tolist()), sf.duration_s.tolist()))
    assert set(walk) == set(chair) == {(0, 1), (1, 0)}
    g, cost = net.graph, _oracle(net)
    matrix = oracle_matrix(g, cost)
    seg, t, dist = g.stop_links["wheelchair"]
    loc = [(int(seg[s]), float(t[s]), math.ceil(dist[s] * 1000 / g.walk_speed_mps)) for s in (0, 1)]
    for (s, d), secs in chair.items():
        assert secs == math.ceil(oracle_ms(g, matrix, cost, loc[s], loc[d]) / 1000)
        assert secs > walk[(s, d)]
        path = net.path_between_stops(s, d, "wheelchair")
        assert path.duration_s == secs and steps_on_geometry(g, path.geometry) == []
    assert steps_on_geometry(g, net.path_between_stops(0, 1, "walk").geometry) != []
