"""Independent street oracle: scipy.sparse.csgraph.dijkstra on the same per-mode graph."""
from __future__ import annotations

import math

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from engine.streets.locations import arrive, direct, leave


def scipy_matrix(net, mode: str) -> csr_matrix:
    """The mode's out-graph as a scipy CSR matrix; parallel edges keep their minimum (scipy sums)."""
    g = net.graph
    off, to, cost, _ = g.modes[mode].edges(False)
    n = g.n_nodes
    src = np.repeat(np.arange(len(off) - 1, dtype=np.int64), np.diff(off))
    key = src * n + to
    order = np.lexsort((cost, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    sel = order[first]
    return csr_matrix((cost[sel].astype(np.float64), (src[sel], to[sel])), shape=(n, n))


def oracle_ms(net, matrix, mode: str, a, b) -> float:
    """Shortest ms between two locations (seg, t, conn) by scipy: min over entry/exit nodes."""
    g = net.graph
    mg = g.modes[mode]
    sn, sc = leave(a[0], a[1], a[2], g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
    tn, tc = arrive(b[0], b[1], b[2], g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
    best = math.inf
    if a[0] == b[0]:
        d = direct(a[0], a[1], a[2], b[1], b[2], mg.c_fwd, mg.c_bwd)
        best = d if d is not None else best
    if len(sn) and len(tn):
        dist = dijkstra(matrix, indices=sn)
        for i in range(len(sn)):
            for j in range(len(tn)):
                best = min(best, dist[i, tn[j]] + sc[i] + tc[j])
    return best


def snap_loc(snap) -> tuple[int, float, int]:
    return snap.segment, snap.t, snap.conn_ms


def random_costs(rng, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-segment (c_fwd, c_bwd) int32 ms for m random segments: 60 % symmetric, 10 % one-way
    each way round, 5 % of 1 ms (the smallest cost), NO_VALUE (-1) where forbidden."""
    c_fwd = rng.integers(1, 20_000, m)
    c_bwd = np.where(rng.random(m) < 0.6, c_fwd, rng.integers(1, 20_000, m))
    one_way = rng.random(m)
    c_fwd[one_way < 0.1] = -1
    c_bwd[(one_way >= 0.1) & (one_way < 0.25)] = -1
    c_fwd[(rng.random(m) < 0.05) & (c_fwd > 0)] = 1
    return c_fwd.astype(np.int32), c_bwd.astype(np.int32)
