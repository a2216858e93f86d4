"""The compiled build-time street kernels (engine._streets_build) against plain Python / numpy /
scipy references on small random graphs: contraction hierarchy (distances and shortcut
invariants), snapping-grid samples and stop footpaths."""
from __future__ import annotations

import heapq
import json
import math

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from engine import _streets_build as SB

from ._oracle import random_costs

INF = 1 << 62


def _random_segments(rng, n):
    """Street-like segments over n nodes: ways of shape nodes, joins, one-ways, parallels."""
    seg_u, seg_v = [], []
    while len(seg_u) < 2 * n:
        way = rng.choice(n, size=min(n, int(rng.integers(2, 8))), replace=False).tolist()
        if rng.random() < 0.3:
            way = sorted(way)                       # long runs of consecutive nodes: chains
        seg_u += way[:-1]
        seg_v += way[1:]
    return (np.asarray(seg_u, np.int32), np.asarray(seg_v, np.int32)) + random_costs(rng, len(seg_u))


def _edges(seg_u, seg_v, c_fwd, c_bwd):
    fw, bw = c_fwd >= 0, c_bwd >= 0
    src = np.concatenate([seg_u[fw], seg_v[bw]]).astype(np.int64)
    dst = np.concatenate([seg_v[fw], seg_u[bw]]).astype(np.int64)
    cost = np.concatenate([c_fwd[fw], c_bwd[bw]]).astype(np.int64)
    return src, dst, cost


def _csr(n, src, dst, cost):
    order = np.lexsort((dst, src))
    off = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(src, minlength=n), out=off[1:])
    return off, dst[order].astype(np.int32), cost[order].astype(np.int32)


def _all_pairs(n, src, dst, cost):
    """Exact all-pairs distances (parallel edges: the cheapest), inf when unreachable."""
    best = {}
    for a, b, c in zip(src.tolist(), dst.tolist(), cost.tolist()):
        if a != b and c < best.get((a, b), math.inf):
            best[(a, b)] = c
    if not best:
        return np.where(np.eye(n, dtype=bool), 0.0, np.inf)
    keys = np.array(list(best), dtype=np.int64).reshape(-1, 2)
    graph = csr_matrix((np.array(list(best.values()), np.float64), (keys[:, 0], keys[:, 1])),
                       shape=(n, n))
    return dijkstra(graph, directed=True)


# ---------------------------------------------------------------- contraction hierarchy
def _ch_input(n, src, dst, cost):
    """As ch.build_ch_tables: the cheapest of parallel edges, no loops."""
    key = src * n + dst
    order = np.lexsort((cost, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]] if len(order) else np.zeros(0, bool)
    keep = order[first]
    keep = keep[src[keep] != dst[keep]]
    return (src[keep].astype(np.int32), dst[keep].astype(np.int32), cost[keep].astype(np.int64),
            keep.astype(np.int32))


def _upward(n, start, rank, e_from, e_to, e_w, forward):
    """Dijkstra from start over hierarchy edges going up in rank (forward: e_from -> e_to)."""
    adj = [[] for _ in range(n)]
    for a, b, w in zip(e_from.tolist(), e_to.tolist(), e_w.tolist()):
        up = rank[a] < rank[b] or (rank[a] == n and rank[b] == n)
        down = rank[a] > rank[b] or (rank[a] == n and rank[b] == n)
        if forward and up:
            adj[a].append((b, w))
        elif not forward and down:
            adj[b].append((a, w))
    dist = {start: 0}
    heap = [(0, start)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, w in adj[u]:
            if d + w < dist.get(v, math.inf):
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return dist


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("settle", [(50, 10), (1, 1)])
def test_ch_build_distances_and_shortcuts(seed, settle):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    src, dst, cost = _edges(*_random_segments(rng, n))
    s, d, w, orig = _ch_input(n, src, dst, cost)
    core = int(rng.integers(0, 4)) if seed % 3 == 0 else 0
    rank, e_src, e_dst, e_w, e_a, e_b, e_orig = SB.run_ch_build(n, s, d, w, orig, *settle, core)
    assert rank.dtype == np.int32 and e_w.dtype == np.int64
    for a in (e_src, e_dst, e_a, e_b, e_orig):
        assert a.dtype == np.int32
    # ranks: a permutation of 0..n-core-1, the core keeps rank n
    contracted = rank < n
    assert sorted(rank[contracted].tolist()) == list(range(n - core))
    assert int(np.count_nonzero(~contracted)) == core
    # the pool starts with the input edges (a weight may only go down when a shortcut replaces it)
    m = len(s)
    assert (e_src[:m] == s).all() and (e_dst[:m] == d).all() and (e_w[:m] <= w).all()
    for k in range(len(e_src)):
        if e_orig[k] >= 0:
            assert k < m and e_a[k] == -1 and e_b[k] == -1 and e_orig[k] == orig[k] and e_w[k] == w[k]
        else:
            a, b = e_a[k], e_b[k]
            assert 0 <= a < len(e_src) and 0 <= b < len(e_src)
            assert e_src[a] == e_src[k] and e_dst[a] == e_src[b] and e_dst[b] == e_dst[k]
            assert e_w[k] == e_w[a] + e_w[b]
            mid = e_dst[a]
            assert rank[mid] < rank[e_src[k]] and rank[mid] < rank[e_dst[k]]   # v contracted first
    # every distance through the hierarchy (up from s, down to t) is the graph's
    ref = _all_pairs(n, src, dst, cost)
    fwd = [_upward(n, v, rank, e_src, e_dst, e_w, True) for v in range(n)]
    bwd = [_upward(n, v, rank, e_src, e_dst, e_w, False) for v in range(n)]
    for a in range(n):
        for b in range(n):
            meet = [fwd[a][x] + bwd[b][x] for x in fwd[a].keys() & bwd[b].keys()]
            got = min(meet) if meet else math.inf
            assert got == ref[a, b], (a, b)


def test_ch_build_empty_and_validation():
    z32, z64 = np.zeros(0, np.int32), np.zeros(0, np.int64)
    rank, *pool = SB.run_ch_build(3, z32, z32, z64, z32, 50, 10, 0)
    assert sorted(rank.tolist()) == [0, 1, 2]
    assert all(len(a) == 0 for a in pool)
    with pytest.raises(ValueError):
        SB.run_ch_build(2, np.array([0], np.int32), np.array([5], np.int32), np.ones(1, np.int64),
                        np.zeros(1, np.int32), 50, 10, 0)


# ---------------------------------------------------------------- chains, entries, transpose
def _min_edge(off, to, cost, a, b):
    costs = [int(cost[e]) for e in range(off[a], off[a + 1]) if to[e] == b]
    return min(costs) if costs else None


@pytest.mark.parametrize("seed", range(5))
def test_grid_samples_equal_numpy(seed):
    rng = np.random.default_rng(200 + seed)
    n = 50
    x = rng.normal(0, 3000, n)
    y = rng.normal(0, 3000, n)
    seg_u = rng.integers(0, n, 120).astype(np.int32)
    seg_v = rng.integers(0, n, 120).astype(np.int32)
    cell = float(rng.choice([25.0, 100.0, 333.3]))
    keys, segs = SB.run_grid_samples(seg_u, seg_v, x, y, cell)
    dx, dy = x[seg_v] - x[seg_u], y[seg_v] - y[seg_u]
    counts = np.ceil(np.sqrt(dx * dx + dy * dy) / (cell * 0.5)).astype(np.int64) + 1
    ref_keys, ref_segs = [], []
    for s in range(len(seg_u)):
        i = np.arange(counts[s])
        f = i / (counts[s] - 1) if counts[s] > 1 else np.zeros(1)
        px = x[seg_u[s]] + f * (x[seg_v[s]] - x[seg_u[s]])
        py = y[seg_u[s]] + f * (y[seg_v[s]] - y[seg_u[s]])
        row = np.floor(py / cell).astype(np.int64)
        col = np.floor(px / cell).astype(np.int64)
        ref_keys.append((row + (1 << 30)) * (1 << 31) + (col + (1 << 30)))
        ref_segs.append(np.full(counts[s], s, np.int32))
    assert keys.dtype == np.int64 and segs.dtype == np.int32
    assert np.array_equal(keys, np.concatenate(ref_keys)) and np.array_equal(segs, np.concatenate(ref_segs))


# ---------------------------------------------------------------- footpaths
def _part(f, c):
    return int(math.floor(f * c + 0.5))


@pytest.mark.parametrize("seed", range(15))
def test_footpaths_equal_scipy(seed):
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(2, 60))
    seg_u, seg_v, c_fwd, c_bwd = _random_segments(rng, n)
    src, dst, cost = _edges(seg_u, seg_v, c_fwd, c_bwd)
    off, to, c = _csr(n, src, dst, cost)
    n_stops = int(rng.integers(0, 25))
    stop_seg = np.where(rng.random(n_stops) < 0.85, rng.integers(0, len(seg_u), n_stops), -1).astype(np.int32)
    stop_seg[(stop_seg >= 0) & (c_fwd[np.maximum(stop_seg, 0)] < 0) & (c_bwd[np.maximum(stop_seg, 0)] < 0)] = -1
    stop_t = np.where(rng.random(n_stops) < 0.2, rng.choice([0.0, 0.5, 1.0], n_stops), rng.random(n_stops))
    stop_conn = rng.integers(0, 3000, n_stops).astype(np.int64)
    # arrive entries: node -> stop (u forward over t, v backward over 1 - t)
    ent = []
    for s in np.flatnonzero(stop_seg >= 0).tolist():
        g = stop_seg[s]
        if c_fwd[g] >= 0:
            ent.append((int(seg_u[g]), s, _part(stop_t[s], int(c_fwd[g])) + int(stop_conn[s])))
        if c_bwd[g] >= 0:
            ent.append((int(seg_v[g]), s, _part(1.0 - stop_t[s], int(c_bwd[g])) + int(stop_conn[s])))
    ent.sort(key=lambda e: e[0])
    entry_off = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(np.array([e[0] for e in ent], np.int64), minlength=n), out=entry_off[1:])
    entry_stop = np.array([e[1] for e in ent], np.int32)
    entry_ms = np.array([e[2] for e in ent], np.int64)
    limit = int(rng.choice([0, 3000, 20_000, 60_000, 10**12]))
    fr, tt, ms = SB.run_footpaths(off, to, c, entry_off, entry_stop, entry_ms, limit, stop_seg,
                                  stop_t, stop_conn, c_fwd, c_bwd, seg_u, seg_v, n)
    assert fr.dtype == tt.dtype == np.int32 and ms.dtype == np.int64
    got = {(int(a), int(b)): int(m) for a, b, m in zip(fr, tt, ms)}
    assert len(got) == len(fr)
    dist = _all_pairs(n, src, dst, cost)
    expected = {}
    for s in np.flatnonzero(stop_seg >= 0).tolist():
        g = int(stop_seg[s])
        seeds = []
        if c_bwd[g] >= 0:
            seeds.append((int(seg_u[g]), _part(stop_t[s], int(c_bwd[g])) + int(stop_conn[s])))
        if c_fwd[g] >= 0:
            seeds.append((int(seg_v[g]), _part(1.0 - stop_t[s], int(c_fwd[g])) + int(stop_conn[s])))
        d = np.full(n, np.inf)
        for node, sc in seeds:
            if sc <= limit:
                d = np.minimum(d, dist[node] + sc)
        best = {}
        for node, t, ec in ent:
            if d[node] <= limit and d[node] + ec <= limit:
                best[t] = min(best.get(t, math.inf), int(d[node]) + ec)
        for t in np.flatnonzero(stop_seg == g).tolist():       # along the own segment
            opts = []
            if stop_t[t] >= stop_t[s] and c_fwd[g] >= 0:
                opts.append(_part(stop_t[t] - stop_t[s], int(c_fwd[g])))
            if stop_t[t] <= stop_t[s] and c_bwd[g] >= 0:
                opts.append(_part(stop_t[s] - stop_t[t], int(c_bwd[g])))
            if opts:
                cst = min(opts) + int(stop_conn[s]) + int(stop_conn[t])
                if cst <= limit:
                    best[t] = min(best.get(t, math.inf), cst)
        best.pop(s, None)
        expected.update({(s, t): int(v) for t, v in best.items()})
    assert got == expected


# ---------------------------------------------------------------- no JIT in a street build
_BUILD_CHILD = r"""
import json, sys
import numpy as np
from engine import sample
from engine.streets.build import build_street_tables
from engine.timetable.staging import BuildReport
paths = sample.write_sample(sys.argv[1])
lat = np.array([47.2025181, 47.2129502, 47.2030, 47.2026, np.nan])     # Briqueville
lon = np.array([1.5244541, 1.5534414, 1.5250, 1.5246, np.nan])
tables, footpaths = build_street_tables(paths.osm, BuildReport(), lat, lon)
print(json.dumps({"numba": "numba" in sys.modules, "tables": len(tables),
                  "footpaths": len(footpaths)}))
"""


def test_street_build_compiles_nothing(tmp_path):
    """Building the street tables (graph, grid, hierarchy, reach index, footpaths) imports no
    Numba, with an empty read-only Numba cache: every build loop is compiled at install."""
    import os
    import subprocess
    import sys

    cache = tmp_path / "numba-cache"
    cache.mkdir()
    cache.chmod(0o555)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    proc = subprocess.run([sys.executable, "-c", _BUILD_CHILD, str(tmp_path / "sample")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["tables"] > 0 and out["footpaths"] > 0
    assert out["numba"] is False, "a street build kernel imported Numba (JIT at build time)"
    assert list(cache.iterdir()) == []
