# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Build-time street kernels, compiled at install (no JIT): contraction hierarchy, stop
footpaths, snapping-grid samples (the chain decomposition is in engine/_chains.pyx).

Ports of the former Numba kernels with the same semantics, bit for bit: the same loops in the
same order, the same heap (binary, lazy deletion, ties broken by the same comparisons), the same
int64 arithmetic and the same float64 rounding (``_part``). Layouts and invariants are described
where the structures are used: engine/streets/ch.py and junctions.py (contraction hierarchy over
the junction graph), engine/streets/footpaths.py and graph_build.py (grid).

- ``run_ch_build``: contraction hierarchy (Geisberger, Sanders, Schultes, Delling 2008). The input
  is one mode's directed graph without parallel edges or loops: ``src``/``dst`` int32, ``w`` int64
  ms, ``orig`` int32 = what the edge stands for (a chain and direction). Nodes are contracted one by one in
  lazy edge-difference order; contracting v adds a shortcut u -> x (weight w(u,v) + w(v,x),
  children = the two edges) unless a witness path u ~> x avoiding v, no longer, is found by a
  settle-limited Dijkstra (a search that hits its limit adds the shortcut: extra shortcuts cost
  speed, never correctness). The edge pool (src, dst, w, child_a, child_b, orig; an original edge
  has children -1, a shortcut orig -1) and the per-node linked lists of the remaining graph live
  in C buffers grown with realloc; everything runs without the GIL. Contraction stops when
  ``core_nodes`` remain (rank n, the core).
- ``run_footpaths``: one bounded multi-seed Dijkstra per linked stop on the walk graph, stops
  reached through the "arrive" entry CSR, plus same-segment walks.
- ``run_grid_samples``: (cell key, segment) of points sampled every cell_m / 2 along each segment.

The public functions take numpy arrays of any integer/float dtype (converted once, without a copy
when already right) and return new numpy arrays of the dtypes the Numba kernels returned.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memcpy
from libc.math cimport floor, ceil, sqrt
import math

import numpy as np

from engine._graphs cimport bounded_dijkstra, heap_pop as _pop, heap_push as _push, part_ms as _part

cdef int64_t INF = (<int64_t>1) << 62
cdef int64_t KEY_OFFSET = (<int64_t>1) << 30
cdef int64_t KEY_SHIFT = (<int64_t>1) << 31

EARTH_RADIUS_M = 6_371_000.0
#: Metres per degree of latitude (the snapping grid's local plane; the same as engine._streets).
DEG_M = EARTH_RADIUS_M * math.pi / 180.0


def _arr(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype)


# ---------------------------------------------------------------- heap (binary, lazy deletion)
# ---------------------------------------------------------------- contraction hierarchy
cdef int64_t _witness(int32_t u, int32_t skip, int64_t limit, int64_t max_settled,
                      int32_t* out_head, int32_t* out_next, const int32_t* e_dst,
                      const int64_t* e_w, const uint8_t* contracted, int64_t* dist,
                      int32_t* touched, int64_t* hk, int64_t* hg, int32_t* hn,
                      int64_t hcap) noexcept nogil:
    """Bounded Dijkstra from u in the remaining graph, never through ``skip``; returns n_touched."""
    cdef int64_t n_touched = 1, size, settled = 0, g, nd
    cdef int32_t a, b, e, prev, nxt
    dist[u] = 0
    touched[0] = u
    size = _push(hk, hg, hn, 0, 0, 0, u)
    while size > 0 and settled < max_settled:
        g = hg[0]
        a = hn[0]
        size = _pop(hk, hg, hn, size)
        if g > dist[a]:
            continue
        settled += 1
        prev = -1
        e = out_head[a]
        while e >= 0:
            b = e_dst[e]
            if contracted[b]:          # unlink edges to contracted nodes once, lazily
                nxt = out_next[e]
                if prev < 0:
                    out_head[a] = nxt
                else:
                    out_next[prev] = nxt
                e = nxt
                continue
            prev = e
            if b != skip:
                nd = g + e_w[e]
                if nd <= limit and nd < dist[b]:
                    if dist[b] == INF:
                        touched[n_touched] = b
                        n_touched += 1
                    dist[b] = nd
                    if size >= hcap:
                        return n_touched      # heap full: stop early (conservative)
                    size = _push(hk, hg, hn, size, nd, nd, b)
            e = out_next[e]
    return n_touched


cdef inline void _unlink_dead(int32_t a, int32_t* head, int32_t* nxt, const int32_t* other,
                              const uint8_t* contracted) noexcept nogil:
    """Drop from a's list the edges whose other end is contracted."""
    cdef int32_t prev = -1, e = head[a], following
    while e >= 0:
        following = nxt[e]
        if contracted[other[e]]:
            if prev < 0:
                head[a] = following
            else:
                nxt[prev] = following
        else:
            prev = e
        e = following


cdef struct EdgePool:
    int32_t* e_src
    int32_t* e_dst
    int64_t* e_w
    int32_t* e_a
    int32_t* e_b
    int32_t* e_orig
    int32_t* out_next
    int32_t* in_next
    int64_t cap


cdef int64_t _process(int32_t v, bint add, int64_t settle_limit, int32_t* out_head,
                      int32_t* in_head, EdgePool* P, const uint8_t* contracted, int64_t* dist,
                      int32_t* touched, int64_t* hk, int64_t* hg, int32_t* hn, int64_t hcap,
                      int64_t n_e) noexcept nogil:
    """Shortcuts needed to contract v. add=False: edge difference; add=True: number added."""
    cdef int32_t* e_src = P.e_src
    cdef int32_t* e_dst = P.e_dst
    cdef int64_t* e_w = P.e_w
    cdef int32_t* out_next = P.out_next
    cdef int32_t* in_next = P.in_next
    cdef int64_t max_out = 0, removed = 0, shortcuts = 0, added = 0, w1, total, n_touched, i, k
    cdef int32_t e, ei, eo, ex, u, x
    cdef bint found
    _unlink_dead(v, out_head, out_next, e_dst, contracted)
    _unlink_dead(v, in_head, in_next, e_src, contracted)
    e = out_head[v]
    while e >= 0:
        removed += 1
        if e_w[e] > max_out:
            max_out = e_w[e]
        e = out_next[e]
    ei = in_head[v]
    while ei >= 0:
        u = e_src[ei]
        if not contracted[u]:
            removed += 1
            w1 = e_w[ei]
            n_touched = _witness(u, v, w1 + max_out, settle_limit, out_head, out_next, e_dst, e_w,
                                 contracted, dist, touched, hk, hg, hn, hcap)
            eo = out_head[v]
            while eo >= 0:
                x = e_dst[eo]
                if x != u and not contracted[x]:
                    total = w1 + e_w[eo]
                    if dist[x] > total:
                        shortcuts += 1
                        if add:
                            # an existing u -> x edge (never a child yet: both ends are live)
                            _unlink_dead(u, out_head, out_next, e_dst, contracted)
                            ex = out_head[u]
                            found = False
                            while ex >= 0:
                                if e_dst[ex] == x:
                                    found = True
                                    if e_w[ex] > total:
                                        e_w[ex] = total
                                        P.e_a[ex] = ei
                                        P.e_b[ex] = eo
                                        P.e_orig[ex] = -1
                                    break
                                ex = out_next[ex]
                            if not found:
                                k = n_e + added
                                e_src[k] = u
                                e_dst[k] = x
                                e_w[k] = total
                                P.e_a[k] = ei
                                P.e_b[k] = eo
                                P.e_orig[k] = -1
                                out_next[k] = out_head[u]
                                out_head[u] = <int32_t>k
                                in_next[k] = in_head[x]
                                in_head[x] = <int32_t>k
                                added += 1
                eo = out_next[eo]
            for i in range(n_touched):
                dist[touched[i]] = INF
        ei = in_next[ei]
    if add:
        return added
    return shortcuts - removed


ctypedef fused _pool_int:
    int32_t
    int64_t


cdef int _grow(_pool_int** p, int64_t old, int64_t cap, _pool_int fill) noexcept nogil:
    """Realloc one pool array to ``cap`` entries, the new ones set to ``fill``; -1 if out of memory."""
    cdef _pool_int* q = <_pool_int*>realloc(p[0], cap * sizeof(_pool_int))
    cdef int64_t i
    if q == NULL:
        return -1
    for i in range(old, cap):
        q[i] = fill
    p[0] = q
    return 0


cdef int _pool_grow(EdgePool* P, int64_t cap) noexcept nogil:
    cdef int64_t old = P.cap
    if (_grow(&P.e_src, old, cap, <int32_t>-1) or _grow(&P.e_dst, old, cap, <int32_t>-1)
            or _grow(&P.e_w, old, cap, <int64_t>0) or _grow(&P.e_a, old, cap, <int32_t>-1)
            or _grow(&P.e_b, old, cap, <int32_t>-1) or _grow(&P.e_orig, old, cap, <int32_t>-1)
            or _grow(&P.out_next, old, cap, <int32_t>-1) or _grow(&P.in_next, old, cap, <int32_t>-1)):
        return -1
    P.cap = cap
    return 0


cdef void _pool_free(EdgePool* P) noexcept nogil:
    free(P.e_src)
    free(P.e_dst)
    free(P.e_w)
    free(P.e_a)
    free(P.e_b)
    free(P.e_orig)
    free(P.out_next)
    free(P.in_next)


cdef inline void* _alloc(int64_t n, size_t size) noexcept nogil:
    return malloc((n if n > 0 else 1) * size)


cdef void _copy32(int32_t[::1] out, const int32_t* src, int64_t n) noexcept:
    memcpy(&out[0], src, n * sizeof(int32_t))


cdef void _copy64(int64_t[::1] out, const int64_t* src, int64_t n) noexcept:
    memcpy(&out[0], src, n * sizeof(int64_t))


def run_ch_build(int64_t n, src, dst, w, orig, int64_t settle_limit, int64_t sim_limit,
                 int64_t core_nodes):
    """Contract all but ``core_nodes`` nodes (their rank stays n: the core): returns (rank,
    e_src, e_dst, e_w, e_a, e_b, e_orig) of the final pool (int32 except e_w int64)."""
    cdef const int32_t[::1] src_v = _arr(src, np.int32)
    cdef const int32_t[::1] dst_v = _arr(dst, np.int32)
    cdef const int64_t[::1] w_v = _arr(w, np.int64)
    cdef const int32_t[::1] orig_v = _arr(orig, np.int32)
    cdef int64_t m = src_v.shape[0]
    if dst_v.shape[0] != m or w_v.shape[0] != m or orig_v.shape[0] != m:
        raise ValueError("run_ch_build: src, dst, w, orig differ in length")
    cdef int64_t i
    for i in range(m):
        if not (0 <= src_v[i] < n and 0 <= dst_v[i] < n):
            raise ValueError("run_ch_build: edge end out of range")
    rank_np = np.full(n, n, dtype=np.int32)
    cdef int32_t[::1] rank = rank_np
    cdef EdgePool P
    P.e_src = NULL; P.e_dst = NULL; P.e_w = NULL; P.e_a = NULL; P.e_b = NULL
    P.e_orig = NULL; P.out_next = NULL; P.in_next = NULL; P.cap = 0
    cdef int64_t cap = max(64, 3 * m)
    cdef int64_t wcap = 4 * settle_limit * 16 + 64
    cdef int32_t* out_head = <int32_t*>_alloc(n, sizeof(int32_t))
    cdef int32_t* in_head = <int32_t*>_alloc(n, sizeof(int32_t))
    cdef uint8_t* contracted = <uint8_t*>_alloc(n, sizeof(uint8_t))
    cdef int64_t* deleted = <int64_t*>_alloc(n, sizeof(int64_t))
    cdef int64_t* dist = <int64_t*>_alloc(n, sizeof(int64_t))
    cdef int32_t* touched = <int32_t*>_alloc(n, sizeof(int32_t))
    cdef int64_t* hk = <int64_t*>_alloc(wcap, sizeof(int64_t))
    cdef int64_t* hg = <int64_t*>_alloc(wcap, sizeof(int64_t))
    cdef int32_t* hn = <int32_t*>_alloc(wcap, sizeof(int32_t))
    cdef int64_t* ok = <int64_t*>_alloc(n + 1, sizeof(int64_t))
    cdef int64_t* og = <int64_t*>_alloc(n + 1, sizeof(int64_t))
    cdef int32_t* on = <int32_t*>_alloc(n + 1, sizeof(int32_t))
    cdef int failed = 0
    cdef int64_t n_e = m, osize = 0, p, deg_in, deg_out, need, added, order = 0
    cdef int32_t v, e
    try:
        if (out_head == NULL or in_head == NULL or contracted == NULL or deleted == NULL
                or dist == NULL or touched == NULL or hk == NULL or hg == NULL or hn == NULL
                or ok == NULL or og == NULL or on == NULL or _pool_grow(&P, cap)):
            raise MemoryError()
        with nogil:
            for i in range(n):
                out_head[i] = -1
                in_head[i] = -1
                contracted[i] = 0
                deleted[i] = 0
                dist[i] = INF
            for i in range(m):
                P.e_src[i] = src_v[i]
                P.e_dst[i] = dst_v[i]
                P.e_w[i] = w_v[i]
                P.e_orig[i] = orig_v[i]
                P.out_next[i] = out_head[src_v[i]]
                out_head[src_v[i]] = <int32_t>i
                P.in_next[i] = in_head[dst_v[i]]
                in_head[dst_v[i]] = <int32_t>i
            for i in range(n if core_nodes < n else 0):     # nothing to contract: no priorities
                p = _process(<int32_t>i, False, sim_limit, out_head, in_head, &P, contracted, dist,
                             touched, hk, hg, hn, wcap, n_e)
                osize = _push(ok, og, on, osize, p + deleted[i], 0, <int32_t>i)
            while osize > core_nodes:
                v = on[0]
                osize = _pop(ok, og, on, osize)
                p = _process(v, False, sim_limit, out_head, in_head, &P, contracted, dist,
                             touched, hk, hg, hn, wcap, n_e)
                p += deleted[v]
                if osize > 0 and p > ok[0]:
                    osize = _push(ok, og, on, osize, p, 0, v)
                    continue
                # make room for every shortcut this contraction could add
                deg_in = 0
                e = in_head[v]
                while e >= 0:
                    deg_in += 1
                    e = P.in_next[e]
                deg_out = 0
                e = out_head[v]
                while e >= 0:
                    deg_out += 1
                    e = P.out_next[e]
                need = n_e + deg_in * deg_out + 1
                if need > P.cap:
                    if _pool_grow(&P, max(need, 2 * P.cap)):
                        failed = 1
                        break
                added = _process(v, True, settle_limit, out_head, in_head, &P, contracted, dist,
                                 touched, hk, hg, hn, wcap, n_e)
                n_e += added
                contracted[v] = 1
                rank[v] = <int32_t>order
                order += 1
                e = in_head[v]
                while e >= 0:
                    deleted[P.e_src[e]] += 1
                    e = P.in_next[e]
                e = out_head[v]
                while e >= 0:
                    deleted[P.e_dst[e]] += 1
                    e = P.out_next[e]
        if failed:
            raise MemoryError()
        e_src = np.empty(n_e, dtype=np.int32)
        e_dst = np.empty(n_e, dtype=np.int32)
        e_w = np.empty(n_e, dtype=np.int64)
        e_a = np.empty(n_e, dtype=np.int32)
        e_b = np.empty(n_e, dtype=np.int32)
        e_orig = np.empty(n_e, dtype=np.int32)
        if n_e:
            _copy32(e_src, P.e_src, n_e)
            _copy32(e_dst, P.e_dst, n_e)
            _copy64(e_w, P.e_w, n_e)
            _copy32(e_a, P.e_a, n_e)
            _copy32(e_b, P.e_b, n_e)
            _copy32(e_orig, P.e_orig, n_e)
        return rank_np, e_src, e_dst, e_w, e_a, e_b, e_orig
    finally:
        _pool_free(&P)
        free(out_head)
        free(in_head)
        free(contracted)
        free(deleted)
        free(dist)
        free(touched)
        free(hk)
        free(hg)
        free(hn)
        free(ok)
        free(og)
        free(on)


# ---------------------------------------------------------------- snapping grid
cdef inline int64_t _cell_key(int64_t row, int64_t col) noexcept nogil:
    return (row + KEY_OFFSET) * KEY_SHIFT + (col + KEY_OFFSET)


def run_grid_samples(seg_u_in, seg_v_in, node_x_in, node_y_in, double cell_m):
    """(cell key, segment) for points sampled every cell_m / 2 along each segment (build time)."""
    cdef const int32_t[::1] seg_u = _arr(seg_u_in, np.int32)
    cdef const int32_t[::1] seg_v = _arr(seg_v_in, np.int32)
    cdef const double[::1] node_x = _arr(node_x_in, np.float64)
    cdef const double[::1] node_y = _arr(node_y_in, np.float64)
    cdef int64_t n_seg = seg_u.shape[0]
    counts_np = np.empty(n_seg, dtype=np.int64)
    cdef int64_t[::1] counts = counts_np
    cdef int64_t total = 0, s, n, i, k = 0
    cdef double dx, dy, ax, ay, bx, by, f, x, y
    with nogil:
        for s in range(n_seg):
            dx = node_x[seg_v[s]] - node_x[seg_u[s]]
            dy = node_y[seg_v[s]] - node_y[seg_u[s]]
            n = <int64_t>ceil(sqrt(dx * dx + dy * dy) / (cell_m * 0.5)) + 1
            counts[s] = n
            total += n
    keys_np = np.empty(total, dtype=np.int64)
    segs_np = np.empty(total, dtype=np.int32)
    cdef int64_t[::1] keys = keys_np
    cdef int32_t[::1] segs = segs_np
    with nogil:
        for s in range(n_seg):
            ax = node_x[seg_u[s]]
            ay = node_y[seg_u[s]]
            bx = node_x[seg_v[s]]
            by = node_y[seg_v[s]]
            n = counts[s]
            for i in range(n):
                f = (<double>i) / (<double>(n - 1)) if n > 1 else 0.0
                x = ax + f * (bx - ax)
                y = ay + f * (by - ay)
                keys[k] = _cell_key(<int64_t>floor(y / cell_m), <int64_t>floor(x / cell_m))
                segs[k] = <int32_t>s
                k += 1
    return keys_np, segs_np


# ---------------------------------------------------------------- stop footpaths
cdef inline int64_t _dijkstra(const int32_t* off, const int32_t* to, const int32_t* cost,
                              const int32_t* seed_node, const int64_t* seed_cost, int64_t n_seeds,
                              int64_t limit, int64_t* dist, int32_t* pred_node, int32_t* pred_edge,
                              int32_t* touched, int64_t* hk, int64_t* hg, int32_t* hn) noexcept nogil:
    """Bounded multi-seed Dijkstra (engine/_graphs.pxd); returns the number of touched nodes."""
    return bounded_dijkstra(off, to, cost, seed_node, seed_cost, n_seeds, limit, INF, dist,
                            pred_node, pred_edge, touched, hk, hg, hn)


cdef inline int64_t _direct(double t_from, int64_t conn_from, double t_to, int64_t conn_to,
                            int64_t cf, int64_t cb) noexcept nogil:
    """Cost between two locations on the same segment without leaving it (INF if impossible)."""
    cdef int64_t best = INF, c
    if t_to >= t_from and cf >= 0:
        best = _part(t_to - t_from, <double>cf) + conn_from + conn_to
    if t_to <= t_from and cb >= 0:
        c = _part(t_from - t_to, <double>cb) + conn_from + conn_to
        if c < best:
            best = c
    return best


cdef int64_t _reach_stops(int64_t n_touched, const int64_t* dist, const int32_t* touched,
                          const int32_t* entry_off, const int32_t* entry_stop,
                          const int64_t* entry_cost, int64_t limit, int32_t src_seg, double src_t,
                          int64_t src_conn, const int32_t* stop_seg, const double* stop_t,
                          const int64_t* stop_conn, const int32_t* c_fwd, const int32_t* c_bwd,
                          const int32_t* seg_u, const int32_t* seg_v, bint reverse,
                          int64_t skip_stop, int64_t* stop_best, int32_t* out_stop,
                          int64_t* out_ms) noexcept nogil:
    """Best cost to every stop from the settled nodes (+ same-segment walks); returns n_out."""
    cdef int64_t n_out = 0, i, k, d, c, cf, cb, m
    cdef int32_t u, s, end
    cdef int side
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
        for side in range(2):
            end = seg_u[src_seg] if side == 0 else seg_v[src_seg]
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


def run_footpaths(off_in, to_in, cost_in, entry_off_in, entry_stop_in, entry_cost_in,
                  int64_t limit, stop_seg_in, stop_t_in, stop_conn_in, c_fwd_in, c_bwd_in,
                  seg_u_in, seg_v_in, int64_t n_nodes):
    """All stop -> stop walks within ``limit`` ms: (from_stop int32, to_stop int32, ms int64)."""
    cdef const int32_t[::1] off = _arr(off_in, np.int32)
    cdef const int32_t[::1] to = _arr(to_in, np.int32)
    cdef const int32_t[::1] cost = _arr(cost_in, np.int32)
    cdef const int32_t[::1] entry_off = _arr(entry_off_in, np.int32)
    cdef const int32_t[::1] entry_stop = _arr(entry_stop_in, np.int32)
    cdef const int64_t[::1] entry_cost = _arr(entry_cost_in, np.int64)
    cdef const int32_t[::1] stop_seg = _arr(stop_seg_in, np.int32)
    cdef const double[::1] stop_t = _arr(stop_t_in, np.float64)
    cdef const int64_t[::1] stop_conn = _arr(stop_conn_in, np.int64)
    cdef const int32_t[::1] c_fwd = _arr(c_fwd_in, np.int32)
    cdef const int32_t[::1] c_bwd = _arr(c_bwd_in, np.int32)
    cdef const int32_t[::1] seg_u = _arr(seg_u_in, np.int32)
    cdef const int32_t[::1] seg_v = _arr(seg_v_in, np.int32)
    cdef int64_t n_stops = stop_seg.shape[0]
    if (off.shape[0] != n_nodes + 1 or entry_off.shape[0] != n_nodes + 1
            or stop_t.shape[0] != n_stops or stop_conn.shape[0] != n_stops
            or c_fwd.shape[0] != c_bwd.shape[0] or seg_u.shape[0] != c_fwd.shape[0]
            or seg_v.shape[0] != c_fwd.shape[0]):
        raise ValueError("run_footpaths: inconsistent array lengths")
    cdef int64_t cap = to.shape[0] + 8
    dist_np = np.full(n_nodes, INF, dtype=np.int64)
    pred_node_np = np.empty(n_nodes, dtype=np.int32)
    pred_edge_np = np.empty(n_nodes, dtype=np.int32)
    touched_np = np.empty(n_nodes, dtype=np.int32)
    hk_np = np.empty(cap, dtype=np.int64)
    hg_np = np.empty(cap, dtype=np.int64)
    hn_np = np.empty(cap, dtype=np.int32)
    stop_best_np = np.full(n_stops, INF, dtype=np.int64)
    out_stop_np = np.empty(max(n_stops, 1), dtype=np.int32)
    out_ms_np = np.empty(max(n_stops, 1), dtype=np.int64)
    cdef int64_t[::1] dist = dist_np
    cdef int32_t[::1] pred_node = pred_node_np
    cdef int32_t[::1] pred_edge = pred_edge_np
    cdef int32_t[::1] touched = touched_np
    cdef int64_t[::1] hk = hk_np
    cdef int64_t[::1] hg = hg_np
    cdef int32_t[::1] hn = hn_np
    cdef int64_t[::1] stop_best = stop_best_np
    cdef int32_t[::1] out_stop = out_stop_np
    cdef int64_t[::1] out_ms = out_ms_np
    cdef int32_t seed_node[2]
    cdef int64_t seed_cost[2]
    cdef int64_t res_cap = 1024, n_res = 0, n_seeds, n_touched, n_out, i, s
    cdef int32_t seg
    cdef int32_t* res_from = <int32_t*>malloc(res_cap * sizeof(int32_t))
    cdef int32_t* res_to = <int32_t*>malloc(res_cap * sizeof(int32_t))
    cdef int64_t* res_ms = <int64_t*>malloc(res_cap * sizeof(int64_t))
    cdef int32_t* p32
    cdef int64_t* p64
    cdef int failed = 0
    # raw pointers (empty arrays are never dereferenced)
    cdef const int32_t* p_off = &off[0]
    cdef const int32_t* p_to = &to[0] if to.shape[0] else NULL
    cdef const int32_t* p_cost = &cost[0] if cost.shape[0] else NULL
    cdef const int32_t* p_eoff = &entry_off[0]
    cdef const int32_t* p_estop = &entry_stop[0] if entry_stop.shape[0] else NULL
    cdef const int64_t* p_ecost = &entry_cost[0] if entry_cost.shape[0] else NULL
    cdef const int32_t* p_sseg = &stop_seg[0] if n_stops else NULL
    cdef const double* p_st = &stop_t[0] if n_stops else NULL
    cdef const int64_t* p_sconn = &stop_conn[0] if n_stops else NULL
    cdef const int32_t* p_cf = &c_fwd[0] if c_fwd.shape[0] else NULL
    cdef const int32_t* p_cb = &c_bwd[0] if c_bwd.shape[0] else NULL
    cdef const int32_t* p_su = &seg_u[0] if seg_u.shape[0] else NULL
    cdef const int32_t* p_sv = &seg_v[0] if seg_v.shape[0] else NULL
    cdef int64_t* p_dist = &dist[0] if n_nodes else NULL
    cdef int32_t* p_pn = &pred_node[0] if n_nodes else NULL
    cdef int32_t* p_pe = &pred_edge[0] if n_nodes else NULL
    cdef int32_t* p_touched = &touched[0] if n_nodes else NULL
    cdef int64_t* p_sb = &stop_best[0] if n_stops else NULL
    try:
        if res_from == NULL or res_to == NULL or res_ms == NULL:
            raise MemoryError()
        with nogil:
            for s in range(n_stops):
                seg = p_sseg[s]
                if seg < 0:
                    continue
                n_seeds = 0
                if p_cb[seg] >= 0:
                    seed_node[n_seeds] = p_su[seg]
                    seed_cost[n_seeds] = _part(p_st[s], <double>p_cb[seg]) + p_sconn[s]
                    n_seeds += 1
                if p_cf[seg] >= 0:
                    seed_node[n_seeds] = p_sv[seg]
                    seed_cost[n_seeds] = _part(1.0 - p_st[s], <double>p_cf[seg]) + p_sconn[s]
                    n_seeds += 1
                n_touched = _dijkstra(p_off, p_to, p_cost, seed_node, seed_cost, n_seeds, limit,
                                      p_dist, p_pn, p_pe, p_touched, &hk[0], &hg[0], &hn[0])
                n_out = _reach_stops(n_touched, p_dist, p_touched, p_eoff, p_estop, p_ecost,
                                     limit, seg, p_st[s], p_sconn[s], p_sseg, p_st, p_sconn, p_cf,
                                     p_cb, p_su, p_sv, False, s, p_sb, &out_stop[0], &out_ms[0])
                for i in range(n_touched):
                    p_dist[p_touched[i]] = INF
                if n_res + n_out > res_cap:
                    while n_res + n_out > res_cap:
                        res_cap *= 2
                    p32 = <int32_t*>realloc(res_from, res_cap * sizeof(int32_t))
                    if p32 == NULL:
                        failed = 1
                        break
                    res_from = p32
                    p32 = <int32_t*>realloc(res_to, res_cap * sizeof(int32_t))
                    if p32 == NULL:
                        failed = 1
                        break
                    res_to = p32
                    p64 = <int64_t*>realloc(res_ms, res_cap * sizeof(int64_t))
                    if p64 == NULL:
                        failed = 1
                        break
                    res_ms = p64
                for i in range(n_out):
                    res_from[n_res] = <int32_t>s
                    res_to[n_res] = out_stop[i]
                    res_ms[n_res] = out_ms[i]
                    n_res += 1
        if failed:
            raise MemoryError()
        fr = np.empty(n_res, dtype=np.int32)
        tt = np.empty(n_res, dtype=np.int32)
        ms = np.empty(n_res, dtype=np.int64)
        if n_res:
            _copy32(fr, res_from, n_res)
            _copy32(tt, res_to, n_res)
            _copy64(ms, res_ms, n_res)
        return fr, tt, ms
    finally:
        free(res_from)
        free(res_to)
        free(res_ms)
