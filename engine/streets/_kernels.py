"""Numba kernels of the street graphs: bounded Dijkstra, A*, stop reach, footpaths.

Layout and invariants (all arrays come from the bundle, read-only, or from a Workspace; the
snapping kernels are in _snap_kernels, the contraction hierarchy ones in _ch_kernels):

- A mode graph is CSR: ``off`` int32 [n_nodes + 1], ``to`` int32 [n_edges] (successor; the
  predecessor in a reverse graph), ``cost`` int32 [n_edges] milliseconds >= 1.
- A *location* (snapped point or linked stop) is (segment, t, conn_ms): the projection at fraction
  t of segment u -> v, plus conn_ms to walk between the point and its projection. Per-segment costs
  ``c_fwd`` (u -> v) and ``c_bwd`` (v -> u) are int32 ms, NO_VALUE (< 0) when forbidden; a partial
  segment costs ``round(fraction * cost)`` (``_part``). ``leave(L)`` gives the (node, cost) pairs
  to get from L onto the graph, ``arrive(L)`` the (node, cost) pairs to get from a node to L.
- Stops are reached through an "entry" CSR: node -> (stop, ms from the node to the stop) for a
  forward search (arrive entries), or (stop, ms from the stop to the node) for a reverse search.
- Workspace arrays: ``dist`` int64 [n_nodes] all INF between calls (each call resets what it
  touched), ``pred_node``/``pred_edge`` int32 [n_nodes], ``touched`` int32 [n_nodes], heap arrays
  ``hk`` (key), ``hg`` (g = distance when pushed), ``hn`` (node) of capacity n_edges + 8: lazy
  deletion, so a node is pushed at most once per improvement (<= one push per edge).
- A* (Hart, Nilsson, Raphael 1968) uses h(v) = max(0, floor(h_scale * chord(v, target)) - 1) with
  unit-sphere coordinates; chord <= arc <= segment length and costs are ceil'ed, so h is
  consistent and the result equals Dijkstra's exactly (checked against scipy in the tests).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types

INF = np.int64(1) << 62
NO_VALUE = -1
KEY_OFFSET = 1 << 30
KEY_SHIFT = np.int64(1) << 31
EARTH_RADIUS_M = 6_371_000.0
DEG_M = EARTH_RADIUS_M * math.pi / 180.0

_ri32 = types.Array(types.int32, 1, "C", readonly=True)
_ri64 = types.Array(types.int64, 1, "C", readonly=True)
_rf64 = types.Array(types.float64, 1, "C", readonly=True)
_wi32 = types.int32[::1]
_wi64 = types.int64[::1]
_i64, _f64, _b1 = types.int64, types.float64, types.boolean
_OPTS = dict(cache=True, nogil=True)


# ---------------------------------------------------------------- heap (binary, lazy deletion)
@njit(inline="always")
def _push(hk, hg, hn, size, key, g, node):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if hk[parent] <= key:
            break
        hk[i] = hk[parent]
        hg[i] = hg[parent]
        hn[i] = hn[parent]
        i = parent
    hk[i] = key
    hg[i] = g
    hn[i] = node
    return size + 1


@njit(inline="always")
def _pop(hk, hg, hn, size):
    """Remove the top (the caller read it first); returns the new size."""
    size -= 1
    key = hk[size]
    g = hg[size]
    node = hn[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and hk[child + 1] < hk[child]:
            child += 1
        if hk[child] >= key:
            break
        hk[i] = hk[child]
        hg[i] = hg[child]
        hn[i] = hn[child]
        i = child
    if size > 0:
        hk[i] = key
        hg[i] = g
        hn[i] = node
    return size


@njit(inline="always")
def _part(fraction, cost):
    """Cost of a fraction of an edge, rounded to the nearest ms (same rule everywhere)."""
    return np.int64(math.floor(fraction * cost + 0.5))


# ---------------------------------------------------------------- Dijkstra
@njit(cache=True, nogil=True)
def _dijkstra(off, to, cost, seed_node, seed_cost, n_seeds, limit, dist, pred_node, pred_edge,
              touched, hk, hg, hn):
    """Bounded multi-seed Dijkstra; every touched node ends with its final distance (<= limit)."""
    n_touched = 0
    size = 0
    for i in range(n_seeds):
        node = seed_node[i]
        c = seed_cost[i]
        if c > limit or c >= dist[node]:
            continue
        if dist[node] == INF:
            touched[n_touched] = node
            n_touched += 1
        dist[node] = c
        pred_node[node] = -1
        pred_edge[node] = -1
        size = _push(hk, hg, hn, size, c, c, node)
    while size > 0:
        g = hg[0]
        u = hn[0]
        size = _pop(hk, hg, hn, size)
        if g > dist[u]:
            continue            # stale entry: u was improved after this push
        for e in range(off[u], off[u + 1]):
            v = to[e]
            nd = g + cost[e]
            if nd < dist[v] and nd <= limit:
                if dist[v] == INF:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                pred_node[v] = u
                pred_edge[v] = e
                size = _push(hk, hg, hn, size, nd, nd, v)
    return n_touched


@njit(cache=True, nogil=True)
def _reset(dist, touched, n_touched):
    for i in range(n_touched):
        dist[touched[i]] = INF


@njit((_ri32, _ri32, _ri32, _ri32, _ri64, _i64, _wi64, _wi32, _wi32, _wi32, _wi64, _wi64, _wi32),
      **_OPTS)
def run_dijkstra(off, to, cost, seed_node, seed_cost, limit, dist, pred_node, pred_edge, touched,
                 hk, hg, hn):
    """Bounded one-to-many search; returns n_touched (dist stays set: the caller calls run_reset)."""
    return _dijkstra(off, to, cost, seed_node, seed_cost, seed_node.shape[0], limit, dist,
                     pred_node, pred_edge, touched, hk, hg, hn)


@njit((_wi64, _wi32, _i64), **_OPTS)
def run_reset(dist, touched, n_touched):
    """Set the touched distances back to INF (workspace reuse without an O(n) fill)."""
    _reset(dist, touched, n_touched)


# ---------------------------------------------------------------- A* point to point
@njit(types.Tuple((_i64, _i64, _i64))(
    _ri32, _ri32, _ri32, _rf64, _rf64, _rf64, _ri32, _ri64, _ri32, _ri64, _f64, _f64, _f64, _f64,
    _i64, _wi64, _wi32, _wi32, _wi32, _wi64, _wi64, _wi32), **_OPTS)
def run_astar(off, to, cost, node_x, node_y, node_z, seed_node, seed_cost, tgt_node, tgt_cost,
              tx, ty, tz, h_scale, best, dist, pred_node, pred_edge, touched, hk, hg, hn):
    """Exact shortest path from seeds to a target location; returns (cost, target slot, n_touched).

    ``best`` is an upper bound already known (the direct same-segment cost, or INF). The target
    slot is the index in tgt_node through which the best path arrives, -1 if ``best`` was kept.
    """
    n_touched = 0
    size = 0
    best_slot = -1
    for i in range(seed_node.shape[0]):
        node = seed_node[i]
        c = seed_cost[i]
        if c >= dist[node]:
            continue
        if dist[node] == INF:
            touched[n_touched] = node
            n_touched += 1
        dist[node] = c
        pred_node[node] = -1
        pred_edge[node] = -1
        dx = node_x[node] - tx
        dy = node_y[node] - ty
        dz = node_z[node] - tz
        h = np.int64(h_scale * math.sqrt(dx * dx + dy * dy + dz * dz)) - 1
        size = _push(hk, hg, hn, size, c + max(h, 0), c, node)
    n_tgt = tgt_node.shape[0]
    while size > 0:
        key = hk[0]
        if key >= best:
            break               # every open path is at least as long as the best one found
        g = hg[0]
        u = hn[0]
        size = _pop(hk, hg, hn, size)
        if g > dist[u]:
            continue
        for j in range(n_tgt):
            if tgt_node[j] == u and g + tgt_cost[j] < best:
                best = g + tgt_cost[j]
                best_slot = j
        for e in range(off[u], off[u + 1]):
            v = to[e]
            nd = g + cost[e]
            if nd < dist[v]:
                if dist[v] == INF:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                pred_node[v] = u
                pred_edge[v] = e
                dx = node_x[v] - tx
                dy = node_y[v] - ty
                dz = node_z[v] - tz
                h = np.int64(h_scale * math.sqrt(dx * dx + dy * dy + dz * dz)) - 1
                size = _push(hk, hg, hn, size, nd + max(h, 0), nd, v)
    return best, best_slot, n_touched


@njit((_ri32, _ri32, _i64), **_OPTS)
def run_path(pred_node, pred_edge, end):
    """CSR edge indices of the search tree path ending at ``end``, in travel order."""
    n = 0
    node = end
    while pred_node[node] >= 0:
        n += 1
        node = pred_node[node]
    out = np.empty(n, dtype=np.int32)
    node = end
    for i in range(n - 1, -1, -1):
        out[i] = pred_edge[node]
        node = pred_node[node]
    return out


# ---------------------------------------------------------------- reaching stops
@njit(inline="always")
def _direct(t_from, conn_from, t_to, conn_to, cf, cb):
    """Cost between two locations on the same segment without leaving it (INF if impossible)."""
    best = INF
    if t_to >= t_from and cf >= 0:
        best = _part(t_to - t_from, cf) + conn_from + conn_to
    if t_to <= t_from and cb >= 0:
        c = _part(t_from - t_to, cb) + conn_from + conn_to
        if c < best:
            best = c
    return best


@njit(cache=True, nogil=True)
def _reach_stops(n_touched, dist, touched, entry_off, entry_stop, entry_cost, limit, src_seg,
                 src_t, src_conn, stop_seg, stop_t, stop_conn, c_fwd, c_bwd, seg_u, seg_v,
                 reverse, skip_stop, stop_best, out_stop, out_ms):
    """Best cost to every stop from the settled nodes (+ same-segment walks); returns n_out."""
    n_out = 0
    for i in range(n_touched):
        u = touched[i]
        d = dist[u]
        for k in range(entry_off[u], entry_off[u + 1]):
            s = entry_stop[k]
            c = d + entry_cost[k]
            if c <= limit and c < stop_best[s]:
                if stop_best[s] == INF:
                    out_stop[n_out] = s
                    n_out += 1
                stop_best[s] = c
    if src_seg >= 0:
        cf = c_fwd[src_seg]
        cb = c_bwd[src_seg]
        for end in (seg_u[src_seg], seg_v[src_seg]):
            for k in range(entry_off[end], entry_off[end + 1]):
                s = entry_stop[k]
                if stop_seg[s] != src_seg:
                    continue
                if reverse:
                    c = _direct(stop_t[s], stop_conn[s], src_t, src_conn, cf, cb)
                else:
                    c = _direct(src_t, src_conn, stop_t[s], stop_conn[s], cf, cb)
                if c <= limit and c < stop_best[s]:
                    if stop_best[s] == INF:
                        out_stop[n_out] = s
                        n_out += 1
                    stop_best[s] = c
    m = 0
    for i in range(n_out):
        s = out_stop[i]
        if s != skip_stop:
            out_stop[m] = s
            out_ms[m] = stop_best[s]
            m += 1
        stop_best[s] = INF
    return m


@njit(_i64(_ri32, _ri32, _ri32, _ri32, _ri64, _i64, _ri32, _ri32, _ri64, _i64, _f64, _i64,
           _ri32, _rf64, _ri64, _ri32, _ri32, _ri32, _ri32, _b1, _wi64, _wi32, _wi32, _wi32,
           _wi64, _wi64, _wi32, _wi64, _wi32, _wi64), **_OPTS)
def run_to_stops(off, to, cost, seed_node, seed_cost, limit, entry_off, entry_stop, entry_cost,
                 src_seg, src_t, src_conn, stop_seg, stop_t, stop_conn, c_fwd, c_bwd, seg_u, seg_v,
                 reverse, dist, pred_node, pred_edge, touched, hk, hg, hn, stop_best, out_stop,
                 out_ms):
    """Stops reachable within ``limit`` ms from (or, reverse, to) one location; returns n_out.

    The reference of _reach_kernels.run_reach (what queries use), kept for the tests.
    """
    n_touched = _dijkstra(off, to, cost, seed_node, seed_cost, seed_node.shape[0], limit, dist,
                          pred_node, pred_edge, touched, hk, hg, hn)
    n_out = _reach_stops(n_touched, dist, touched, entry_off, entry_stop, entry_cost, limit,
                         src_seg, src_t, src_conn, stop_seg, stop_t, stop_conn, c_fwd, c_bwd,
                         seg_u, seg_v, reverse, -1, stop_best, out_stop, out_ms)
    _reset(dist, touched, n_touched)
    return n_out


@njit(cache=True, nogil=True)
def run_footpaths(off, to, cost, entry_off, entry_stop, entry_cost, limit, stop_seg, stop_t,
                  stop_conn, c_fwd, c_bwd, seg_u, seg_v, n_nodes):
    """All stop -> stop walks within ``limit`` ms: (from_stop, to_stop, ms) arrays (build time)."""
    n_stops = stop_seg.shape[0]
    dist = np.full(n_nodes, INF, dtype=np.int64)
    pred_node = np.empty(n_nodes, dtype=np.int32)
    pred_edge = np.empty(n_nodes, dtype=np.int32)
    touched = np.empty(n_nodes, dtype=np.int32)
    cap = to.shape[0] + 8
    hk = np.empty(cap, dtype=np.int64)
    hg = np.empty(cap, dtype=np.int64)
    hn = np.empty(cap, dtype=np.int32)
    stop_best = np.full(n_stops, INF, dtype=np.int64)
    out_stop = np.empty(n_stops, dtype=np.int32)
    out_ms = np.empty(n_stops, dtype=np.int64)
    seed_node = np.empty(2, dtype=np.int32)
    seed_cost = np.empty(2, dtype=np.int64)
    res_cap = 1024
    res_from = np.empty(res_cap, dtype=np.int32)
    res_to = np.empty(res_cap, dtype=np.int32)
    res_ms = np.empty(res_cap, dtype=np.int64)
    n_res = 0
    for s in range(n_stops):
        seg = stop_seg[s]
        if seg < 0:
            continue
        n_seeds = 0
        if c_bwd[seg] >= 0:
            seed_node[n_seeds] = seg_u[seg]
            seed_cost[n_seeds] = _part(stop_t[s], c_bwd[seg]) + stop_conn[s]
            n_seeds += 1
        if c_fwd[seg] >= 0:
            seed_node[n_seeds] = seg_v[seg]
            seed_cost[n_seeds] = _part(1.0 - stop_t[s], c_fwd[seg]) + stop_conn[s]
            n_seeds += 1
        n_touched = _dijkstra(off, to, cost, seed_node, seed_cost, n_seeds, limit, dist,
                              pred_node, pred_edge, touched, hk, hg, hn)
        n_out = _reach_stops(n_touched, dist, touched, entry_off, entry_stop, entry_cost, limit,
                             seg, stop_t[s], stop_conn[s], stop_seg, stop_t, stop_conn, c_fwd,
                             c_bwd, seg_u, seg_v, False, s, stop_best, out_stop, out_ms)
        _reset(dist, touched, n_touched)
        if n_res + n_out > res_cap:
            while n_res + n_out > res_cap:
                res_cap *= 2
            grown_from = np.empty(res_cap, dtype=np.int32)
            grown_to = np.empty(res_cap, dtype=np.int32)
            grown_ms = np.empty(res_cap, dtype=np.int64)
            grown_from[:n_res] = res_from[:n_res]
            grown_to[:n_res] = res_to[:n_res]
            grown_ms[:n_res] = res_ms[:n_res]
            res_from, res_to, res_ms = grown_from, grown_to, grown_ms
        for i in range(n_out):
            res_from[n_res] = s
            res_to[n_res] = out_stop[i]
            res_ms[n_res] = out_ms[i]
            n_res += 1
    return res_from[:n_res].copy(), res_to[:n_res].copy(), res_ms[:n_res].copy()
