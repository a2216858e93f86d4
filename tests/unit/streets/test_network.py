"""Street graph build + queries on tiny hand-written OSM files (distances derivable by hand)."""
import math

import numpy as np
import pytest

from engine.errors import BuildError, InputError, InvalidQueryError
from engine.streets import StreetOptions, build_street_tables
from engine.timetable.staging import BuildReport

from ._osm_xml import build_network, latlon, write_osm

W = 1.33
SQUARE = {1: (0, 0), 2: (100, 0), 3: (100, 100), 4: (0, 100)}


def square(direct_tags, around_tags=None):
    """A -(direct)- B, plus the 300 m detour A - D - C - B."""
    return SQUARE, [(10, [1, 2], {"highway": "residential", **direct_tags}),
                    (11, [1, 4, 3, 2], {"highway": "residential", **(around_tags or {})})]


def route(net, a, b, mode):
    return net.route(*latlon(*a), *latlon(*b), mode)


def test_foot_no_street_is_never_walked(tmp_path):
    net, _, _ = build_network(tmp_path, *square({"foot": "no"}))
    walk = route(net, (0, 0), (100, 0), "walk")
    assert walk.distance_m == pytest.approx(300, abs=0.5)
    assert route(net, (0, 0), (100, 0), "car").distance_m == pytest.approx(100, abs=0.5)
    # a point right on the forbidden street snaps to the walkable one instead
    snap = net.snap(*latlon(50, 1), "walk")
    assert snap.distance_m == pytest.approx(50, abs=0.5)


def test_one_way_street_is_cycled_one_way(tmp_path):
    net, _, _ = build_network(tmp_path, *square({"oneway": "yes"}))
    assert route(net, (0, 0), (100, 0), "bike").distance_m == pytest.approx(100, abs=0.5)
    assert route(net, (100, 0), (0, 0), "bike").distance_m == pytest.approx(300, abs=0.5)
    assert route(net, (100, 0), (0, 0), "car").distance_m == pytest.approx(300, abs=0.5)
    assert route(net, (100, 0), (0, 0), "walk").distance_m == pytest.approx(100, abs=0.5)
    # a point on the one-way street: leaving backwards is not allowed by bike
    back = route(net, (50, 0), (0, 0), "bike")
    assert back.distance_m == pytest.approx(50 + 300, abs=0.5)


def test_contraflow_bicycle_lane(tmp_path):
    net, _, _ = build_network(tmp_path, *square({"oneway": "yes", "oneway:bicycle": "no"}))
    assert route(net, (100, 0), (0, 0), "bike").distance_m == pytest.approx(100, abs=0.5)
    assert route(net, (100, 0), (0, 0), "car").distance_m == pytest.approx(300, abs=0.5)


def test_duration_distance_and_geometry_on_one_segment(tmp_path):
    net, _, _ = build_network(tmp_path, *square({}))
    r = route(net, (40, 10), (60, 10), "walk")
    assert r.distance_m == pytest.approx(40, abs=0.05)
    assert r.duration_s == math.ceil(40 / W)
    assert r.geometry[0] == pytest.approx(latlon(40, 10)) and r.geometry[-1] == pytest.approx(latlon(60, 10))
    assert len(r.geometry) == 4
    d = r.to_dict()
    assert d["mode"] == "walk" and d["duration_s"] == r.duration_s and len(d["geometry"]) == 4


def test_route_through_nodes_has_node_geometry(tmp_path):
    net, _, _ = build_network(tmp_path, *square({"foot": "no"}))
    r = route(net, (0, 10), (100, 10), "walk")          # on A-D and C-B: via D and C
    assert r.distance_m == pytest.approx(90 + 100 + 90, abs=0.5)
    lats = [p[0] for p in r.geometry]
    assert max(lats) == pytest.approx(latlon(0, 100)[0])
    assert r.duration_s == math.ceil(r.distance_m / W) or abs(r.duration_s - r.distance_m / W) <= 1.5


def test_snap_projects_onto_the_edge(tmp_path):
    net, _, _ = build_network(tmp_path, *square({}))
    s = net.snap(*latlon(40, -10), "walk")
    assert s.distance_m == pytest.approx(10, abs=0.05)
    assert (s.lat, s.lon) == pytest.approx(latlon(40, 0))
    assert s.t in (pytest.approx(0.4, abs=1e-3), pytest.approx(0.6, abs=1e-3))


def test_bad_points_raise_invalid_query_naming_the_parameter(tmp_path):
    net, _, _ = build_network(tmp_path, *square({}), options=StreetOptions(max_snap_m=100))
    with pytest.raises(InvalidQueryError) as err:
        net.route(95.0, 7.0, *latlon(0, 0), "walk")
    assert err.value.parameter == "from"
    with pytest.raises(InvalidQueryError) as err:
        net.route(*latlon(0, 0), *latlon(0, 400), "walk")
    assert err.value.parameter == "to" and "100 m" in str(err.value)
    with pytest.raises(InvalidQueryError) as err:
        net.route(*latlon(0, 0), *latlon(0, 10), "boat")
    assert err.value.parameter == "mode"
    with pytest.raises(InvalidQueryError) as err:
        net.snap(float("nan"), 7.0)
    assert err.value.parameter == "point"


def test_motorway_is_not_walked_and_small_components_are_dropped(tmp_path):
    nodes = {1: (0, 0), 2: (1000, 0), 3: (0, 50), 4: (1000, 50), 5: (0, 5000), 6: (50, 5000)}
    ways = [(1, [1, 2], {"highway": "motorway", "oneway": "no"}),
            (2, [1, 3, 4, 2], {"highway": "residential"}),
            (3, [5, 6], {"highway": "residential"})]          # isolated, far away
    net, report, _ = build_network(tmp_path, nodes, ways)
    assert route(net, (0, 0), (1000, 0), "walk").distance_m == pytest.approx(1100, abs=1)
    assert route(net, (0, 0), (1000, 0), "car").distance_m == pytest.approx(1000, abs=1)
    assert "streets.components_dropped" in report.summary()
    assert report.counts["streets.walk.segments_dropped"] >= 1
    with pytest.raises(InvalidQueryError):
        net.snap(*latlon(25, 5000), "walk")


def test_pedestrian_area_outline_is_walkable(tmp_path):
    nodes = {1: (0, 0), 2: (100, 0), 10: (100, 0.0), 11: (200, 0), 12: (200, 100), 13: (100, 100)}
    nodes.pop(10)
    ways = [(1, [1, 2], {"highway": "residential"}),
            (2, [2, 11, 12, 13, 2], {"highway": "pedestrian", "area": "yes"})]
    net, _, _ = build_network(tmp_path, nodes, ways)
    r = route(net, (0, 0), (200, 100), "walk")
    assert r.distance_m == pytest.approx(300, abs=0.5)
    assert net.snap(*latlon(200, 100), "car").distance_m == pytest.approx(math.hypot(100, 100), abs=0.5)
    g = net.graph
    assert sorted(set(g.seg_modes.tolist())) == [1 | 2 | 8, 1 | 2 | 4 | 8]    # 8: wheelchair


def test_stop_links_footpaths_and_stops_within(tmp_path):
    nodes, ways = square({})
    stops = [(10, 5), (90, 5), (500, 500), (50, 95)]
    net, report, fp = build_network(tmp_path, nodes, ways, stops,
                                    options=StreetOptions(max_snap_m=200, footpath_max_s=120))
    assert report.counts["streets.stops_unlinked"] == 1
    assert any(i.code == "streets.stop_not_linked" and "stop_idx 2" in i.message for i in report.issues)
    pairs = {(int(a), int(b)): int(d) for a, b, d in zip(fp.from_stop, fp.to_stop, fp.duration_s)}
    assert pairs[(0, 1)] == pairs[(1, 0)] == math.ceil((5 + 80 + 5) / W)
    assert (0, 3) not in pairs       # 5 + 10 + 100 + 50 + 5 = 170 m > 120 s of walking
    assert all(b != 2 and a != 2 for a, b in pairs)
    for (a, b), d in pairs.items():
        leg = net.path_between_stops(a, b)
        assert leg.duration_s == d
        assert leg.geometry[0] == pytest.approx(latlon(*stops[a]))
    reach = net.stops_within(*latlon(50, 5), "walk", 60)
    got = dict(zip(reach.stop_idx.tolist(), reach.duration_s.tolist()))
    assert got == {0: math.ceil(50 / W), 1: math.ceil(50 / W)}
    back = net.stops_within(*latlon(50, 5), "walk", 60, reverse=True)
    assert dict(zip(back.stop_idx.tolist(), back.duration_s.tolist())) == got
    car = net.stops_within(*latlon(50, 5), "car", 60)
    assert set(car.stop_idx.tolist()) == {0, 1, 3}


def test_reverse_reach_respects_one_way(tmp_path):
    nodes, ways = square({"oneway": "yes"})
    net, _, _ = build_network(tmp_path, nodes, ways, [(100, 5)])
    # from (0,5) the stop at B is 100 m ahead along the one-way; to come back is 300 m
    fwd = net.stops_within(*latlon(0, 5), "bike", 3600)
    back = net.stops_within(*latlon(0, 5), "bike", 3600, reverse=True)
    assert back.duration_s[0] > fwd.duration_s[0]
    direct = route(net, (0, 5), (100, 5), "bike")
    assert fwd.duration_s[0] == direct.duration_s
    assert back.duration_s[0] == route(net, (100, 5), (0, 5), "bike").duration_s


def test_bz2_input_and_missing_file(tmp_path):
    nodes, ways = square({})
    net, _, _ = build_network(tmp_path, nodes, ways, name="t.osm.bz2")
    assert net.graph.n_nodes == 4
    with pytest.raises(InputError, match="does not exist"):
        build_street_tables(tmp_path / "nope.osm.pbf", BuildReport(), np.zeros(0), np.zeros(0))
    empty = write_osm(tmp_path / "empty.osm", {1: (0, 0)}, [])
    with pytest.raises(BuildError, match="no routable"):
        build_street_tables(empty, BuildReport(), np.zeros(0), np.zeros(0))


def test_pedestrian_only_extract_has_no_car_graph(tmp_path):
    nodes = {1: (0, 0), 2: (100, 0), 3: (100, 100)}
    ways = [(1, [1, 2, 3], {"highway": "footway"})]
    net, report, _ = build_network(tmp_path, nodes, ways)
    assert route(net, (0, 0), (100, 100), "walk").distance_m == pytest.approx(200, abs=0.5)
    assert report.counts["streets.car.nodes"] == 0
    with pytest.raises(InvalidQueryError) as err:
        route(net, (0, 0), (100, 100), "car")
    assert err.value.parameter == "from"
    with pytest.raises(InvalidQueryError) as err:
        net.stops_within(*latlon(0, 0), "walk", -5)
    assert err.value.parameter == "max_duration_s"
