"""Routes, one-to-many searches and footpaths equal scipy's Dijkstra on random synthetic networks."""
import math

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from engine.errors import InvalidQueryError
from engine._streets import StreetWorkspace, run_to_stops
from engine.streets import StreetOptions

from ._oracle import oracle_ms, scipy_matrix, snap_loc
from ._osm_xml import build_network, latlon

TAG_CHOICES = [
    {"highway": "residential"}, {"highway": "residential", "oneway": "yes"},
    {"highway": "residential", "oneway": "-1"}, {"highway": "primary", "maxspeed": "70"},
    {"highway": "footway"}, {"highway": "steps"}, {"highway": "cycleway"},
    {"highway": "residential", "foot": "no"}, {"highway": "service", "access": "private"},
    {"highway": "secondary", "oneway": "yes", "oneway:bicycle": "no"},
    {"highway": "motorway"}, {"highway": "track"}, {"highway": "path", "bicycle": "dismount"},
]


def random_network(seed: int, n: int = 12, step: float = 80.0):
    rng = np.random.default_rng(seed)
    nodes = {}
    for i in range(n):
        for j in range(n):
            nodes[i * n + j + 1] = (j * step + rng.uniform(-20, 20), i * step + rng.uniform(-20, 20))
    ways = []
    wid = 1
    for i in range(n):
        for j in range(n):
            for di, dj in ((0, 1), (1, 0), (1, 1)):
                if i + di < n and j + dj < n and rng.random() < (0.8 if di + dj == 1 else 0.15):
                    refs = [i * n + j + 1, (i + di) * n + j + dj + 1]
                    if rng.random() < 0.5:
                        refs.reverse()
                    ways.append((wid, refs, dict(TAG_CHOICES[rng.integers(len(TAG_CHOICES))])))
                    wid += 1
    return nodes, ways, rng


@pytest.mark.parametrize("ch_modes", [("walk", "bike", "car"), ()], ids=["hierarchy", "uncontracted"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_routes_equal_scipy(tmp_path, seed, ch_modes):
    """Both point-to-point searches (contraction hierarchy over the junctions, and the plain
    bidirectional Dijkstra of an uncontracted mode) give the oracle's cost."""
    nodes, ways, rng = random_network(seed)
    net, _, _ = build_network(tmp_path, nodes, ways, options=StreetOptions(max_snap_m=60, ch_modes=ch_modes))
    for mode, h in net.graph.hierarchies.items():
        if mode not in ch_modes:    # nothing contracted: the whole graph both ways, no shortcut
            assert len(h.child_a) == 0 and len(h.up_to) == len(h.dn_to) and (h.up_e < 0).all()
    checked = 0
    for mode in ("walk", "bike", "car"):
        matrix = scipy_matrix(net, mode)
        for _ in range(25):
            a = latlon(*rng.uniform(-20, 900, 2))
            b = latlon(*rng.uniform(-20, 900, 2))
            try:
                sa, sb = net.snap(*a, mode), net.snap(*b, mode)
            except InvalidQueryError:
                continue
            expected = oracle_ms(net, matrix, mode, snap_loc(sa), snap_loc(sb))
            got = net.route(*a, *b, mode)
            assert got.duration_ms == expected, (mode, a, b)
            assert got.duration_s == math.ceil(expected / 1000)
            _check_geometry(net, got, mode)
            checked += 1
    assert checked > 30


@pytest.mark.parametrize("seed", [4, 5])
def test_reference_dijkstra_equals_scipy(tmp_path, seed):
    """The plain bounded Dijkstra that the reach tests take as reference (run_to_stops) gives
    scipy's distances to every node (each node its own "stop"), both directions."""
    nodes, ways, rng = random_network(seed)
    net, _, _ = build_network(tmp_path, nodes, ways)
    g = net.graph
    n = g.n_nodes
    every = (np.arange(n + 1, dtype=np.int32), np.arange(n, dtype=np.int32), np.zeros(n, np.int64))
    for mode in ("walk", "bike", "car"):
        mg = g.modes[mode]
        matrix = scipy_matrix(net, mode)
        for reverse in (False, True):
            off, to, cost, _ = mg.edges(reverse)
            ws = StreetWorkspace(n, len(to), n)
            for src in rng.integers(0, n, 3):
                reached, ms = run_to_stops(off, to, cost, np.array([src], np.int32), np.zeros(1, np.int64),
                                           1 << 50, *every, ws)
                got = np.full(n, np.inf)
                got[reached] = ms
                expected = dijkstra(matrix.T.tocsr() if reverse else matrix, indices=int(src))
                np.testing.assert_array_equal(got, expected)


def test_footpaths_equal_scipy_and_are_complete(tmp_path):
    nodes, ways, rng = random_network(7)
    stops = [tuple(rng.uniform(0, 880, 2)) for _ in range(40)]
    opts = StreetOptions(max_snap_m=60, footpath_max_s=300)
    net, _, fp = build_network(tmp_path, nodes, ways, stops, options=opts)
    g = net.graph
    matrix = scipy_matrix(net, "walk")
    seg, t, dist = g.stop_links["walk"]
    locs = [(int(seg[i]), float(t[i]), int(math.ceil(dist[i] * 1000 / 1.33))) for i in range(len(stops))]
    got = {(int(a), int(b)): int(d) for a, b, d in zip(fp.from_stop, fp.to_stop, fp.duration_s)}
    expected = {}
    for a in range(len(stops)):
        for b in range(len(stops)):
            if a != b and locs[a][0] >= 0 and locs[b][0] >= 0:
                ms = oracle_ms(net, matrix, "walk", locs[a], locs[b])
                if ms <= 300_000:
                    expected[(a, b)] = math.ceil(ms / 1000)
    assert got == expected
    assert len(got) > 20


def _check_geometry(net, route, mode):
    """Consecutive geometry points are joined by usable segments (or are the end connectors)."""
    g = net.graph
    off, to, _, _ = g.modes[mode].edges(False)
    coords = {(float(g.node_lat[i]), float(g.node_lon[i])): i for i in range(g.n_nodes)}
    nodes = [coords[p] for p in route.geometry[2:-2] if p in coords]
    for u, v in zip(nodes, nodes[1:]):
        targets = to[off[u]:off[u + 1]]
        assert v in targets, (mode, u, v)
