"""The stop reach on the junction graph (engine._streets.ReachIndex) equals a plain bounded
Dijkstra over every node (engine._streets.run_to_stops plus the stops of the query's own segment,
computed here) exactly, and so do the routes on the junction hierarchy (RouteGraph): on random street-like graphs (chains, dead ends, one-way and
parallel segments, self-loops, rings and paths without junctions, isolated nodes, stops on inner
chain nodes and on the query's own segment) and on small OSM networks through stops_within.
"""
from __future__ import annotations

import math

from types import SimpleNamespace

import numpy as np
import pytest

from engine._streets import INF, ModeChains, ReachIndex, RouteGraph, StreetWorkspace, run_to_stops
from engine.streets import StreetOptions
from engine.streets.graph_build import MAX_CHAIN_COST_MS, MAX_CHAIN_SEGMENTS, StreetArrays, order_by_chains
from engine.streets.junctions import mode_tables
from engine.streets.locations import arrive, direct, entry_csr, leave

from ._oracle import random_costs
from ._osm_xml import build_network, latlon

W = 1.33


# ---------------------------------------------------------------- random graphs, kernel level
def _frozen(a, dtype):
    a = np.ascontiguousarray(a, dtype=dtype)
    a.flags.writeable = False
    return a


def _csr(n, src, dst, cost):
    order = np.lexsort((dst, src))
    off = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(src, minlength=n), out=off[1:])
    return _frozen(off, np.int32), _frozen(dst[order], np.int32), _frozen(cost[order], np.int32)


def _random_streets(rng):
    """Segments (u, v, c_fwd, c_bwd) of a street-like graph: ways of many shape nodes."""
    n = 0
    seg_u, seg_v = [], []
    n_ways = int(rng.integers(1, 25))
    for _ in range(n_ways):
        if n >= 2 and rng.random() < 0.8:
            start = int(rng.integers(n))                  # join an existing node
        else:
            start = n
            n += 1
        k = int(rng.integers(0, 8))
        nodes = [start] + list(range(n, n + k))
        n += k
        if n >= 2 and rng.random() < 0.7:
            nodes.append(int(rng.integers(n)))            # end on an existing node (or itself)
        for a, b in zip(nodes[:-1], nodes[1:]):
            seg_u.append(a)
            seg_v.append(b)
    # a ring and a lone path (no junctions), parallel segments, an isolated node
    ring = list(range(n, n + int(rng.integers(3, 7))))
    n += len(ring)
    for a, b in zip(ring, ring[1:] + ring[:1]):
        seg_u.append(a)
        seg_v.append(b)
    path = list(range(n, n + int(rng.integers(2, 5))))
    n += len(path) + 1
    for a, b in zip(path[:-1], path[1:]):
        seg_u.append(a)
        seg_v.append(b)
    for s in rng.choice(len(seg_u), size=min(3, len(seg_u)), replace=False):
        seg_u.append(seg_u[s])
        seg_v.append(seg_v[s])
    c_fwd, c_bwd = random_costs(rng, len(seg_u))
    return (n, _frozen(seg_u, np.int32), _frozen(seg_v, np.int32), _frozen(c_fwd, np.int32),
            _frozen(c_bwd, np.int32))


def _graph(n, seg_u, seg_v, c_fwd, c_bwd):
    fw, bw = c_fwd >= 0, c_bwd >= 0
    src = np.concatenate([seg_u[fw], seg_v[bw]]).astype(np.int64)
    dst = np.concatenate([seg_v[fw], seg_u[bw]]).astype(np.int64)
    cost = np.concatenate([c_fwd[fw], c_bwd[bw]]).astype(np.int64)
    return _csr(n, src, dst, cost), _csr(n, dst, src, cost)


def _t(rng):
    r = rng.random()
    return 0.0 if r < 0.1 else 1.0 if r < 0.2 else 0.5 if r < 0.25 else float(rng.random())


def _reference(ws, csr, entries, stops, seg_u, seg_v, c_fwd, c_bwd, loc, limit, reverse):
    """(stops ascending, ceil seconds, all ms): plain Dijkstra + walks along the own segment."""
    seg, t, conn = loc
    seeds = (arrive if reverse else leave)(seg, t, conn, seg_u, seg_v, c_fwd, c_bwd)
    got, ms = run_to_stops(*csr, *seeds, limit, *entries[:3], ws)
    best = dict(zip(got.tolist(), ms.tolist()))
    stop_seg, stop_t, stop_conn = stops
    for s in np.flatnonzero(stop_seg == seg).tolist():
        if reverse:
            c = direct(seg, float(stop_t[s]), int(stop_conn[s]), t, conn, c_fwd, c_bwd)
        else:
            c = direct(seg, t, conn, float(stop_t[s]), int(stop_conn[s]), c_fwd, c_bwd)
        if c is not None and c <= limit and c < best.get(s, c + 1):
            best[s] = c
    order = sorted(best)
    secs = np.array([(best[s] + 999) // 1000 for s in order], dtype=np.int64).astype(np.int32)
    return order, secs.tolist(), [best[s] for s in order]      # int32 seconds, as StopReach


def _chained(n, seg_u, seg_v, c_fwd, c_bwd):
    """The segments renumbered chain by chain, as the build stores them."""
    m = len(seg_u)
    a = StreetArrays(node_lat=np.zeros(n), node_lon=np.zeros(n), node_osm_id=np.zeros(n, np.int64),
                     seg_u=np.asarray(seg_u, np.int32), seg_v=np.asarray(seg_v, np.int32),
                     seg_way=np.zeros(m, np.int32), seg_length_m=np.arange(1.0, m + 1.0),
                     seg_cost={"walk": (np.asarray(c_fwd, np.int32), np.asarray(c_bwd, np.int32))},
                     seg_modes=np.ones(m, np.uint8), car_max_mps=1.0, grid_lat0=0.0, grid_lon0=0.0,
                     grid_cos0=1.0, grid_cell=np.zeros(0, np.int64), grid_offsets=np.zeros(1, np.int32),
                     grid_segments=np.zeros(0, np.int32))
    order_by_chains(a)
    f, b = a.seg_cost["walk"]
    return a, _frozen(a.seg_u, np.int32), _frozen(a.seg_v, np.int32), _frozen(f, np.int32), _frozen(b, np.int32)


def _flat(table, column):
    return _frozen(table.column(column).chunk(0).values.to_numpy(zero_copy_only=False), None)


def _views(a, c_fwd, c_bwd, stops, symmetric, shift=None):
    """(ModeChains, forward ReachIndex, reverse ReachIndex, RouteGraph) from the build's tables."""
    tables = mode_tables("walk", a.chain_offsets, a.chain_a, a.chain_b, len(a.junction_node), c_fwd,
                         c_bwd, symmetric, *stops, contract=True)
    mc = ModeChains(_frozen(a.seg_u, np.int32), _frozen(a.seg_v, np.int32),
                    _frozen(a.seg_length_m, np.float32), _frozen(a.chain_offsets, np.int32),
                    _frozen(a.chain_a, np.int32), _frozen(a.chain_b, np.int32),
                    _frozen(a.junction_node, np.int32), c_fwd, c_bwd)
    jt = tables["streets/walk_junctions"]
    shift = int(jt.column("shift")[0].as_py()) if shift is None else shift
    reach = []
    for reverse, side in ((False, "fwd"), (True, "bwd")):
        graph = side if len(_flat(jt, f"{side}_off")) else "fwd"
        reach.append(ReachIndex(mc, _flat(jt, f"{graph}_off"), _flat(jt, f"{graph}_head"),
                                _flat(jt, f"{graph}_ms"), _flat(jt, f"{side}_entry_off"),
                                _flat(jt, f"{side}_entry_stop"), _flat(jt, f"{side}_entry_ms"),
                                _flat(jt, "link_seg"), _flat(jt, "link_stop"), *stops[:2],
                                _flat(jt, "stop_conn_ms"), shift, reverse))
    ch = {}
    for name, key in (("up", "up"), ("down", "dn")):
        t = tables[f"streets/walk_ch_{name}"]
        for col, attr in (("to", "to"), ("cost_ms", "w"), ("edge", "e")):
            arr = t.column(col).combine_chunks()
            ch[f"{key}_off"] = _frozen(arr.offsets.to_numpy(), np.int32)
            ch[f"{key}_{attr}"] = _frozen(arr.values.to_numpy(zero_copy_only=False), np.int32)
    e = tables["streets/walk_ch_shortcuts"]
    for col in ("child_a", "child_b"):
        ch[col] = _frozen(e.column(col).to_numpy(), np.int32)
    return mc, reach[0], reach[1], RouteGraph(mc, SimpleNamespace(**ch), np.zeros(len(a.node_lat)), np.zeros(len(a.node_lat)))


def _fast(ws, reach, loc, limit):
    stops, secs = reach.run(ws, *loc, limit)
    assert stops.dtype == np.int32 and secs.dtype == np.int32
    return stops.tolist(), secs.tolist()


def _route_reference(csr, seg_u, seg_v, c_fwd, c_bwd, a, b):
    """Shortest ms between two locations by plain Dijkstra (every node), INF if none."""
    best = INF
    if a[0] == b[0]:
        d = direct(a[0], a[1], a[2], b[1], b[2], c_fwd, c_bwd)
        best = d if d is not None else best
    sn, sc = leave(*a, seg_u, seg_v, c_fwd, c_bwd)
    tn, tc = arrive(*b, seg_u, seg_v, c_fwd, c_bwd)
    n = len(csr[0]) - 1
    every = (np.arange(n + 1, dtype=np.int32), np.arange(n, dtype=np.int32), np.zeros(n, np.int64))
    if len(sn):
        reached, ms = run_to_stops(*csr, sn, sc, 1 << 60, *every, StreetWorkspace(n, len(csr[1]), n))
        dist = dict(zip(reached.tolist(), ms.tolist()))
        for node, c in zip(tn.tolist(), tc.tolist()):
            if node in dist:
                best = min(best, dist[node] + c)
    return best


def _compare(rng, n, seg_u, seg_v, c_fwd, c_bwd, n_stops, n_queries, limits):
    """Reach and routes == plain Dijkstra for random locations; returns the stops compared."""
    a, seg_u, seg_v, c_fwd, c_bwd = _chained(n, seg_u, seg_v, c_fwd, c_bwd)
    stops = _random_stops(rng, n_stops, c_fwd, c_bwd)
    out, inn = _graph(n, seg_u, seg_v, c_fwd, c_bwd)
    ws = StreetWorkspace(n, len(out[1]), len(stops[0]))
    checked = 0
    symmetric = bool(np.array_equal(c_fwd, c_bwd))
    mc, fwd, bwd, routes = _views(a, c_fwd, c_bwd, stops, symmetric)
    usable = np.flatnonzero((c_fwd >= 0) | (c_bwd >= 0))
    for reverse, csr, reach in ((False, out, fwd), (True, inn, bwd)):
        entries = entry_csr(n, *stops, seg_u, seg_v, c_fwd, c_bwd, "leave" if reverse else "arrive")
        entries = tuple(_frozen(x, x.dtype) for x in entries)
        for _ in range(n_queries):
            conn = int(rng.integers(0, 3000)) if rng.random() < 0.7 else 0
            loc = (int(rng.choice(usable)), _t(rng), conn)
            *_, all_ms = _reference(ws, csr, entries, stops, seg_u, seg_v, c_fwd, c_bwd, loc,
                                    10**15, reverse)
            chosen = [int(rng.choice(limits))]
            chosen += [int(rng.choice(all_ms)) + d for d in (-1, 0)] if all_ms else []  # on the edge
            for limit in chosen:
                expected = _reference(ws, csr, entries, stops, seg_u, seg_v, c_fwd, c_bwd, loc,
                                      limit, reverse)[:2]
                assert _fast(ws, reach, loc, limit) == expected, (reverse, loc, limit)
                checked += len(expected[0])
            shift = int(rng.integers(0, 24))              # any bucket width gives the same answer
            other = _views(a, c_fwd, c_bwd, stops, symmetric, shift)[2 if reverse else 1]
            assert _fast(ws, other, loc, chosen[0]) == _fast(ws, reach, loc, chosen[0]), shift
    for _ in range(n_queries):                            # point-to-point routes
        la = (int(rng.choice(usable)), _t(rng), int(rng.integers(0, 3000)))
        lb = (int(rng.choice(usable)), _t(rng), int(rng.integers(0, 3000)))
        expected = _route_reference(out, seg_u, seg_v, c_fwd, c_bwd, la, lb)
        got = routes.route(ws, *la, *lb)
        assert (got[0] if got is not None else INF) == expected, (la, lb)
    assert (ws.dist == INF).all() and (ws.stop_best == INF).all() and (ws.dist_b == INF).all()
    return checked


def _random_stops(rng, n_stops, c_fwd, c_bwd):
    usable = np.flatnonzero((c_fwd >= 0) | (c_bwd >= 0))
    stop_seg = np.where(rng.random(n_stops) < 0.9, rng.choice(usable, n_stops), -1)
    stop_t = np.array([_t(rng) for _ in range(n_stops)])
    stop_conn = np.where((stop_seg >= 0) & (rng.random(n_stops) < 0.7), rng.integers(0, 3000, n_stops), 0)
    return _frozen(stop_seg, np.int32), _frozen(stop_t, np.float64), _frozen(stop_conn, np.int64)


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_equal_plain_dijkstra(seed):
    rng = np.random.default_rng(seed)
    n, seg_u, seg_v, c_fwd, c_bwd = _random_streets(rng)
    n_stops = int(rng.integers(0, 40))
    checked = _compare(rng, n, seg_u, seg_v, c_fwd, c_bwd, n_stops, 40,
                       [0, 1, 5_000, 30_000, 100_000, 10**12])
    if n_stops > 5:
        assert checked > 0


def test_long_chains_are_cut():
    """A way of more than MAX_CHAIN_SEGMENTS segments gets intermediate junctions (search and
    routes stay exact across them); so does one whose cost sum would pass MAX_CHAIN_COST_MS."""
    rng = np.random.default_rng(9)
    n = 3 * MAX_CHAIN_SEGMENTS + 5
    seg_u = np.arange(n - 1, dtype=np.int32)
    c_fwd = np.full(n - 1, 150_000, np.int32)
    c_bwd = np.where(np.arange(n - 1) % 7 == 0, -1, 3).astype(np.int32)
    a = _chained(n, seg_u, seg_u + 1, c_fwd, c_bwd)[0]
    assert len(a.junction_node) >= 4 and np.diff(a.chain_offsets).max() == MAX_CHAIN_SEGMENTS
    assert _compare(rng, n, seg_u, seg_u + 1, c_fwd, c_bwd, 30, 10, [10**9, 10**13, 10**15]) > 0
    big = np.full(9, MAX_CHAIN_COST_MS // 3, np.int32)          # 3 segments per chain at most
    a = _chained(10, np.arange(9, dtype=np.int32), np.arange(1, 10, dtype=np.int32), big, big)[0]
    assert np.diff(a.chain_offsets).tolist() == [3, 3, 3]


def test_chains_of_a_ring_and_a_path():
    # ring 0-1-2-3-0 (no junction: one node is promoted), path 4-5-6 (dead ends are junctions)
    seg_u = np.array([0, 1, 2, 3, 4, 5], np.int32)
    seg_v = np.array([1, 2, 3, 0, 5, 6], np.int32)
    cost = np.array([10, 20, 30, 40, 5, 7], np.int32)
    a = _chained(7, seg_u, seg_v, cost, cost)[0]
    assert len(a.chain_a) == 2 and sorted(np.diff(a.chain_offsets).tolist()) == [2, 4]
    junctions = set(a.junction_node.tolist())
    assert len(junctions & {0, 1, 2, 3}) == 1 and junctions & {4, 5, 6} == {4, 6}
    # each chain's segments are consecutive and oriented along it
    for c in range(len(a.chain_a)):
        lo, hi = a.chain_offsets[c], a.chain_offsets[c + 1]
        assert (a.seg_v[lo:hi - 1] == a.seg_u[lo + 1:hi]).all()
        assert a.junction_node[a.chain_a[c]] == a.seg_u[lo]
        assert a.junction_node[a.chain_b[c]] == a.seg_v[hi - 1]


# ---------------------------------------------------------------- OSM networks, stops_within
def _check(net, points, modes=("walk", "bike", "car"), limits=(30, 60, 120, 900)):
    checked = 0
    for mode in modes:
        for lat, lon in points:
            try:
                snap = net.snap(lat, lon, mode)
            except Exception:
                continue
            loc = net._loc(snap)
            for limit in limits:
                for reverse in (False, True):
                    got = net.stops_within(lat, lon, mode, limit, reverse=reverse)
                    ref = net._reach_dijkstra(loc, mode, limit, reverse)
                    assert got.stop_idx.tolist() == ref.stop_idx.tolist(), (mode, lat, lon, limit)
                    assert got.duration_s.tolist() == ref.duration_s.tolist(), (mode, lat, lon, limit)
                    assert got.stop_idx.dtype == np.int32 and got.duration_s.dtype == np.int32
                    checked += len(ref.stop_idx)
    return checked


def test_osm_ladder_with_one_ways_equals_plain_dijkstra(tmp_path):
    """Two long parallel ways (many shape nodes) joined by rungs, one of them one-way."""
    nodes, ways = {}, []
    for i in range(11):
        nodes[100 + i] = (40.0 * i, 0.0)
        nodes[200 + i] = (40.0 * i, 60.0)
    ways.append((1, [100 + i for i in range(11)], {"highway": "residential"}))
    ways.append((2, [200 + i for i in range(11)], {"highway": "residential", "oneway": "yes"}))
    for k, i in enumerate((0, 4, 10)):
        nodes[300 + i] = (40.0 * i, 30.0)
        ways.append((10 + k, [100 + i, 300 + i, 200 + i], {"highway": "footway" if k == 1 else "service"}))
    nodes[400], nodes[401] = (200.0, -30.0), (200.0, -60.0)        # a dead end
    ways.append((20, [105, 400, 401], {"highway": "residential"}))
    stops = [(40.0 * i + 7, 62.0) for i in range(0, 10, 3)] + [(201.0, -45.0), (150.0, 2.0), (10.0, 31.0)]
    net, _, _ = build_network(tmp_path, nodes, ways, stops, options=StreetOptions(max_snap_m=200))
    rng = np.random.default_rng(5)
    points = [latlon(x, y) for x, y in zip(rng.uniform(-20, 420, 40), rng.uniform(-70, 80, 40))]
    points += [latlon(*xy) for xy in list(nodes.values()) + stops]
    assert _check(net, points) > 100


def test_osm_ring_only_network(tmp_path):
    """A closed way alone: no junction at all (a node is promoted to one)."""
    nodes = {1: (0, 0), 2: (100, 0), 3: (100, 100), 4: (0, 100)}
    ways = [(1, [1, 2, 3, 4, 1], {"highway": "residential"})]
    stops = [(50, 2), (98, 50), (3, 60)]
    net, _, _ = build_network(tmp_path, nodes, ways, stops)
    assert _check(net, [latlon(x, y) for x, y in [(0, 0), (50, 5), (100, 100), (20, 99), (60, 40)]]) > 10
    reach = net.stops_within(*latlon(50, 5), "walk", 600)
    got = dict(zip(reach.stop_idx.tolist(), reach.duration_s.tolist()))
    assert got[0] == math.ceil((5 + 2) / W)
    assert got[1] == math.ceil((5 + 50 + 50 + 2) / W)


def test_point_connector_equals_array_connector():
    from engine.streets.locations import connector_ms, point_connector_ms

    rng = np.random.default_rng(0)
    dist = np.concatenate([rng.uniform(0, 300, 20_000), np.arange(0, 300, 1.33), [0.0, 1.33, 2.66, 300.0]])
    for speed in (1.33, 1.4, 4.5):
        expected = connector_ms(dist, speed)
        assert [point_connector_ms(d, speed) for d in dist.tolist()] == expected.tolist()
