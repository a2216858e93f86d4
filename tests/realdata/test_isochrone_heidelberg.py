"""Reach and isochrones on Heidelberg (VRN GTFS cut + Heidelberg OSM), door to door:

- ``reach`` with transit equals the plain reference (scipy Dijkstra over every node from the
  origin and from every stop RAPTOR reaches), node by node and stop by stop;
- isochrones (walk with transit, bike, a departure window) are valid, nested, oriented
  polygons that keep the grid rule both ways (tests/unit/accessibility/_isochrone_checks.py).

Skipped when the shared data is absent.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from engine._types import UNREACHED
from engine.accessibility import isochrone, reach
from engine.accessibility.request import check_request
from engine.testing.data import shared_data_dir

from tests.reference.feeds import cached_bundle, feed_name
from tests.unit.accessibility._isochrone_checks import check_isochrone
from tests.unit.accessibility._reach_reference import reach_reference

pytestmark = pytest.mark.realdata
GTFS = "gtfs-de-rhein-neckar-vrn/vrn_gtfs_cut.zip"
OSM = "osm-de-heidelberg/heidelberg.test.pbf"
DATE = "2022-06-14"          # a Tuesday inside the cut's period


@pytest.fixture(scope="module")
def net():
    import engine

    root = shared_data_dir()
    gtfs, osm = root / GTFS, root / OSM
    if not (gtfs.is_file() and osm.is_file()):
        pytest.skip(f"shared data absent ({GTFS}, {OSM} under {root}; set BRIQUE_DATA)")
    # the door-to-door benchmark's bundle (same inputs, same cache key)
    return engine.open(cached_bundle([(feed_name(gtfs), gtfs)], "d2d-heidelberg", osm=osm))


def _origins(net, n: int, seed: int) -> list[tuple[float, float]]:
    """Points within ~200 m of stops linked to the walk streets (so that transit matters)."""
    g = net.streets.graph
    rng = np.random.default_rng(seed)
    linked = np.flatnonzero(g.stop_links["walk"][0] >= 0)
    out = []
    for s in rng.choice(linked, n, replace=False).tolist():
        out.append((float(g.stop_lat[s]) + rng.normal(0, 1e-3), float(g.stop_lon[s]) + rng.normal(0, 1.5e-3)))
    return out


def _as_arrays(net, table):
    g = net.streets.graph
    is_node = np.asarray([k == "node" for k in table["kind"].to_pylist()], dtype=bool)
    idx, secs = table["idx"].to_numpy(), table["travel_time_s"].to_numpy()
    nodes = np.full(g.n_nodes, UNREACHED, dtype=np.int64)
    stops = np.full(g.n_stops, UNREACHED, dtype=np.int64)
    nodes[idx[is_node]] = secs[is_node]
    stops[idx[~is_node]] = secs[~is_node]
    return nodes, stops


def test_reach_with_transit_equals_reference(net):
    improved = 0
    for origin in _origins(net, 5, seed=1):
        for start, max_time in (("07:55", 2700), ("17:20:30", 1800)):
            got_nodes, got_stops = _as_arrays(net, reach(net, origin, date=DATE, time=start, max_time_s=max_time))
            parts = [int(p) for p in start.split(":")] + [0]
            start_s = parts[0] * 3600 + parts[1] * 60 + parts[2]
            ref_nodes, ref_stops = reach_reference(net, origin, dt.date.fromisoformat(DATE), start_s, "walk",
                                                   max_time)
            ref_nodes[ref_nodes > max_time] = UNREACHED
            assert np.array_equal(got_nodes, ref_nodes), (origin, start, np.flatnonzero(got_nodes != ref_nodes)[:5])
            assert np.array_equal(got_stops, ref_stops), (origin, start)
            walk_nodes, _ = _as_arrays(net, reach(net, origin, max_time_s=max_time, transit=False))
            improved += int((got_nodes < walk_nodes).sum())
    assert improved > 1000, "transit shortened almost nothing: the test checks little"


@pytest.mark.parametrize("kwargs", [
    {},
    {"mode": "bike", "cutoffs_s": (600, 1200, 1800)},
    {"window_s": 900, "percentile": 50, "cutoffs_s": (900, 1800, 2700)},
])
def test_isochrones_are_valid_nested_and_keep_the_grid_rule(net, kwargs):
    rng = np.random.default_rng(7)
    checked = 0
    for origin in _origins(net, 2, seed=3):
        iso = isochrone(net, origin, date=DATE, time="08:00", **kwargs)
        req = check_request(net, origin, date=DATE, time="08:00", mode=kwargs.get("mode", "walk"),
                            max_time_s=3600, window_s=kwargs.get("window_s", 0),
                            percentile=kwargs.get("percentile", 50), transit=None, max_transfers=4,
                            min_change_time=60, max_access_s=900)
        counts = check_isochrone(net, iso, req, rng, n_points=80)
        checked += counts["inside"]
    assert checked > 100
