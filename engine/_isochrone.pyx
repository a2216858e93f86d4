# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# distutils: extra_compile_args = -O3 -fno-math-errno
# (no errno after sqrt: the raster's inner loop vectorises; no result changes)
"""Accessibility kernels, compiled at install: travel time to every street node from many timed
sources (the point of origin and the transit stops with their arrivals), the per-node percentile
over departure minutes, the travel-time raster around the streets, and its contours (marching
squares) as rings with their holes assigned. Python (engine/accessibility) only orchestrates.

Layout (every array is a read-only view of the bundle, or scratch of an IsoWorkspace):

  Streets, one mode (see engine/_streets.pyx and engine/bundle/schema.py streets/*): segments are
  stored chain by chain, oriented along their chain; chain c = segments [chain_off[c],
  chain_off[c + 1]) from junction chain_a[c] to junction chain_b[c] (junction_node[j] is its
  node_idx; node_junction[x] = j or -1, derived once per mode); c_fwd / c_bwd int32 ms along /
  against the segment, NO_VALUE (< 0) when forbidden. The junction graph (jg_off, jg_head,
  jg_ms: the bundle's streets/<mode>_junctions fwd CSR) has an edge per chain and allowed
  direction, weighted by the sum of its segments, so its distances are the full graph's.

  A *source* is a location (segment, t, start_ms): the point at fraction t of segment u -> v,
  reached start_ms after the departure (the off-street connector already added). It seeds the
  two nodes of its segment the way a location leaves it (engine/streets/locations.leave):
  u at start_ms + part(t, c_bwd), v at start_ms + part(1 - t, c_fwd).

  node_times (run_node_times): out[x] = the shortest time (ms) to node x from any source, or
  INF when over ``limit_ms``. Exactly a multi-source Dijkstra over every node, computed as
    1. seeds on their nodes; each seeded chain swept forward and backward, so the seeds reach
       the chain's ends (the junctions);
    2. a bounded Dijkstra over the junction graph from those ends;
    3. every chain with a reached end (or a seed) swept forward from chain_a (cur = min(cur +
       c_fwd, out[node])) and backward from chain_b: an inner node (two neighbours, one chain)
       is reached along its chain from one side or the other, or is a seed itself.
  Work: the junction search plus one pass over the reached chains (no per-node heap).

  Percentiles (run_node_percentiles): departure minutes m with stop arrivals[m, stop] (seconds,
  UNREACHED = not reached); travel time at minute m = arrival at the node - departure[m] (so
  waiting at the origin counts, as in R5). The walk from the origin does not depend on m: it is
  run once and min-ed with each minute's run from the stops (a multi-source search is the min
  over its sources). Percentile P over n minutes = the value at index ceil(P / 100 * n) - 1 of
  the sorted times (nearest rank, R5's TravelTimeReducer, in double precision as R5 computes
  it), unreached sorted last.

  Raster (run_raster): a grid of points (x0 + i * cell, y0 + j * cell) in the local
  equirectangular plane (metres: x = (lon - lon0) * cos0 * DEG_M, y = (lat - lat0) * DEG_M);
  value = min over street points q of (time(q) + |pq| / speed) for |pq| <= radius, capped at
  ``top`` (the sentinel "not within top"). Street points: reached nodes, and points every <=
  step metres along each segment usable by the mode, at time min(T(u) + f * c_fwd, T(v) +
  (1 - f) * c_bwd) for fraction f.

  Contours (run_contour): marching squares on the grid for {value <= level}, the grid bordered
  by ``top`` so that every ring closes. Each crossing point lies on a grid edge, at the linear
  interpolation clamped to [EPS, 1 - EPS] of the edge, so points on different edges never
  coincide; saddles are resolved by the cell's mean (inside joined when mean <= level). Each
  crossing edge starts exactly one segment (in the cell that walks it counter-clockwise from
  inside to outside) and ends one, so the segments close into rings that never cross or touch
  (two segments of a cell join opposite pairs of edges). Inside is on the left: outer rings are
  counter-clockwise, holes clockwise. A hole's polygon: from its leftmost crossing on a grid
  row, the nearest crossing to its left on that row bounds the same inside face, so it is the
  outer ring of the polygon or another of its holes (followed until an outer ring).

IsoWorkspace (one per thread and mode): jdist int64 [n_junctions] all INF between calls, the
junction heap (lazy deletion, capacity = junction edges + 2 * sources, grown on demand), chain
marks uint8 [n_chains] all 0 between calls, and node buffers.
"""
from libc.math cimport ceil, floor, sqrt, INFINITY
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t
from libc.stdlib cimport malloc, free
from libc.string cimport memset
import numpy as np

from engine._graphs cimport bounded_dijkstra as _dijkstra, chain_of as _chain_of, part_ms as _part

cdef int64_t INF_ = (<int64_t>1) << 62
cdef int32_t UNREACHED_ = 2_000_000_000         # engine._types.UNREACHED
cdef uint16_t FAR = 65535                       # a minute's time over the limit (percentiles)
cdef double EPS = 0.02                          # crossing points keep this share of an edge
                                                # away from its ends (see the header)

INF = INF_
UNREACHED = UNREACHED_
#: Largest limit (seconds) of run_node_percentiles: times are stored as uint16 per minute.
MAX_PERCENTILE_LIMIT_S = 65534


# ---------------------------------------------------------------- graph and workspace
cdef class IsoGraph:
    """One mode's streets as the accessibility kernels read them (views, nothing copied)."""

    cdef const int32_t[::1] seg_u, seg_v, c_fwd, c_bwd, chain_off, chain_a, chain_b
    cdef const int32_t[::1] junction_node, node_junction, jg_off, jg_head, jg_ms
    cdef readonly Py_ssize_t n_nodes, n_junctions, n_chains, n_edges

    def __init__(self, seg_u, seg_v, c_fwd, c_bwd, chain_off, chain_a, chain_b, junction_node,
                 node_junction, jg_off, jg_head, jg_ms):
        self.seg_u, self.seg_v, self.c_fwd, self.c_bwd = seg_u, seg_v, c_fwd, c_bwd
        self.chain_off, self.chain_a, self.chain_b = chain_off, chain_a, chain_b
        self.junction_node, self.node_junction = junction_node, node_junction
        self.jg_off, self.jg_head, self.jg_ms = jg_off, jg_head, jg_ms
        self.n_nodes = node_junction.shape[0]
        self.n_junctions = junction_node.shape[0]
        self.n_chains = chain_off.shape[0] - 1
        self.n_edges = jg_head.shape[0]
        if jg_off.shape[0] != self.n_junctions + 1 or chain_a.shape[0] != self.n_chains:
            raise ValueError("IsoGraph: inconsistent junction graph or chain arrays")

    cdef inline Py_ssize_t chain_of(self, Py_ssize_t seg) noexcept nogil:
        """The chain holding a segment (engine/_graphs.pxd, shared with the street kernel)."""
        return _chain_of(&self.chain_off[0], self.n_chains, seg)


cdef class IsoWorkspace:
    """Scratch arrays of one thread for one IsoGraph (kernels release the GIL)."""

    cdef public object jdist, jtouched, mark, marked, hk, hg, hn, walk_ms, run_ms
    cdef public object seed_j, seed_ms, jpred_node, jpred_edge
    cdef int64_t[::1] v_jdist, v_hk, v_hg, v_walk, v_run, v_seed_ms
    cdef int32_t[::1] v_jtouched, v_marked, v_hn, v_seed_j, v_jpred_node, v_jpred_edge
    cdef uint8_t[::1] v_mark

    def __init__(self, IsoGraph g):
        self.jdist = np.full(max(g.n_junctions, 1), INF_, dtype=np.int64)
        self.jtouched = np.empty(max(g.n_junctions, 1), dtype=np.int32)
        self.mark = np.zeros(max(g.n_chains, 1), dtype=np.uint8)
        self.marked = np.empty(max(g.n_chains, 1), dtype=np.int32)
        self.walk_ms = np.empty(max(g.n_nodes, 1), dtype=np.int64)
        self.run_ms = np.empty(max(g.n_nodes, 1), dtype=np.int64)
        self.v_jdist, self.v_jtouched = self.jdist, self.jtouched
        self.v_mark, self.v_marked = self.mark, self.marked
        self.v_walk, self.v_run = self.walk_ms, self.run_ms
        # the junction search's seeds (both ends of each seeded chain) and its predecessors
        # (bounded_dijkstra records them; node times do not read them)
        self.seed_j = np.empty(2 * max(g.n_chains, 1), dtype=np.int32)
        self.seed_ms = np.empty(2 * max(g.n_chains, 1), dtype=np.int64)
        self.jpred_node = np.empty(max(g.n_junctions, 1), dtype=np.int32)
        self.jpred_edge = np.empty(max(g.n_junctions, 1), dtype=np.int32)
        self.v_seed_j, self.v_seed_ms = self.seed_j, self.seed_ms
        self.v_jpred_node, self.v_jpred_edge = self.jpred_node, self.jpred_edge
        self.reserve(g.n_edges + 8)

    def reserve(self, Py_ssize_t capacity):
        """Heap room for ``capacity`` pushes (grown, never shrunk)."""
        if self.hk is not None and self.v_hk.shape[0] >= capacity:
            return
        self.hk, self.hg = np.empty(capacity, np.int64), np.empty(capacity, np.int64)
        self.hn = np.empty(capacity, np.int32)
        self.v_hk, self.v_hg, self.v_hn = self.hk, self.hg, self.hn


# ---------------------------------------------------------------- node times
cdef inline void _sweep_run(const int32_t* cost, const int32_t* node, Py_ssize_t first,
                            Py_ssize_t stop, Py_ssize_t step, int64_t cur, int64_t limit,
                            int64_t* out) noexcept nogil:
    """One direction of a chain sweep over segments first, first + step, ... (not stop): each
    segment's end node gets min(its value, cur + the segment cost), and a better value found
    there is carried on (a seed, or the other end); values over ``limit`` are not written."""
    cdef Py_ssize_t k
    cdef int32_t w, x
    k = first
    while k != stop:
        w = cost[k]
        if w < 0 or cur >= INF_:
            cur = INF_
        else:
            cur += w
        x = node[k]
        if out[x] < cur:
            cur = out[x]
        elif cur <= limit:
            out[x] = cur
        k += step


cdef inline void _sweep(IsoGraph g, Py_ssize_t c, int64_t limit, int64_t* out) noexcept nogil:
    """Chain c forward from chain_a (nodes seg_v, costs c_fwd) then backward from chain_b
    (nodes seg_u, costs c_bwd); out stays INF where over ``limit``."""
    cdef Py_ssize_t lo = g.chain_off[c], hi = g.chain_off[c + 1]
    _sweep_run(&g.c_fwd[0], &g.seg_v[0], lo, hi, 1,
               out[g.junction_node[g.chain_a[c]]], limit, out)
    _sweep_run(&g.c_bwd[0], &g.seg_u[0], hi - 1, lo - 1, -1,
               out[g.junction_node[g.chain_b[c]]], limit, out)


cdef Py_ssize_t _node_times(IsoGraph g, IsoWorkspace ws, const int32_t* src_seg, const double* src_t,
                            const int64_t* src_ms, Py_ssize_t n_src, int64_t limit,
                            int64_t* out) noexcept nogil:
    """out[x] for every node (see the header); returns the number of junctions settled."""
    cdef int64_t* jdist = &ws.v_jdist[0]
    cdef int32_t* jtouched = &ws.v_jtouched[0]
    cdef uint8_t* mark = &ws.v_mark[0]
    cdef int32_t* marked = &ws.v_marked[0]
    cdef int32_t* seed_j = &ws.v_seed_j[0]
    cdef int64_t* seed_ms = &ws.v_seed_ms[0]
    cdef int64_t* hk = &ws.v_hk[0]
    cdef int64_t* hg = &ws.v_hg[0]
    cdef int32_t* hn = &ws.v_hn[0]
    cdef Py_ssize_t n = g.n_nodes, i, c, n_marked = 0, n_jt
    cdef int64_t cand
    cdef int32_t s, j
    for i in range(n):
        out[i] = INF_
    # 1. seeds on their segment's nodes, then along their chains to the junctions
    for i in range(n_src):
        s = src_seg[i]
        if s < 0 or src_ms[i] > limit:
            continue
        if g.c_bwd[s] >= 0:
            cand = src_ms[i] + _part(src_t[i], g.c_bwd[s])
            if cand <= limit and cand < out[g.seg_u[s]]:
                out[g.seg_u[s]] = cand
        if g.c_fwd[s] >= 0:
            cand = src_ms[i] + _part(1.0 - src_t[i], g.c_fwd[s])
            if cand <= limit and cand < out[g.seg_v[s]]:
                out[g.seg_v[s]] = cand
        c = g.chain_of(s)
        if not mark[c]:
            mark[c] = 1
            marked[n_marked] = <int32_t>c
            n_marked += 1
    for i in range(n_marked):
        _sweep(g, marked[i], limit, out)
    # 2. bounded Dijkstra over the junction graph from both ends of every seeded chain
    for i in range(n_marked):
        c = marked[i]
        seed_j[2 * i] = g.chain_a[c]
        seed_j[2 * i + 1] = g.chain_b[c]
    for i in range(2 * n_marked):
        seed_ms[i] = out[g.junction_node[seed_j[i]]]
    n_jt = _dijkstra(&g.jg_off[0], &g.jg_head[0], &g.jg_ms[0],
                     seed_j, seed_ms, 2 * n_marked, limit, INF_, jdist,
                     &ws.v_jpred_node[0], &ws.v_jpred_edge[0], jtouched, hk, hg, hn)
    for i in range(n_jt):
        j = jtouched[i]
        out[g.junction_node[j]] = jdist[j]
        jdist[j] = INF_
    # 3. every chain with a reached end or a seed, swept from both ends
    for c in range(g.n_chains):
        if mark[c] or out[g.junction_node[g.chain_a[c]]] <= limit or out[g.junction_node[g.chain_b[c]]] <= limit:
            _sweep(g, c, limit, out)
    for i in range(n_marked):
        mark[marked[i]] = 0
    return n_jt


cdef _check_segments(IsoGraph g, const int32_t[::1] seg, str what):
    """Source segments index the segment arrays unchecked in the kernels: out of range is
    refused here (negative means "no segment" and is skipped)."""
    cdef Py_ssize_t i, n_seg = g.seg_u.shape[0]
    for i in range(seg.shape[0]):
        if seg[i] >= n_seg:
            raise ValueError(f"{what}: segment {seg[i]} at index {i} out of range 0..{n_seg - 1}")


def run_node_times(IsoGraph g, IsoWorkspace ws, const int32_t[::1] src_seg, const double[::1] src_t,
                   const int64_t[::1] src_ms, int64_t limit_ms, int64_t[::1] out):
    """Fill ``out`` (int64 [n_nodes]) with the time in ms to every node from the nearest source
    (INF over ``limit_ms``); returns the number of junctions settled."""
    cdef Py_ssize_t n_src = src_seg.shape[0], settled
    if src_t.shape[0] != n_src or src_ms.shape[0] != n_src:
        raise ValueError("run_node_times: source arrays of different lengths")
    if out.shape[0] != g.n_nodes:
        raise ValueError("run_node_times: out must have one entry per node")
    _check_segments(g, src_seg, "run_node_times: src_seg")
    ws.reserve(g.n_edges + 2 * n_src + 8)
    with nogil:
        settled = _node_times(g, ws, &src_seg[0] if n_src else NULL, &src_t[0] if n_src else NULL,
                              &src_ms[0] if n_src else NULL, n_src, limit_ms, &out[0])
    return settled


# ---------------------------------------------------------------- percentiles over minutes
cdef inline int32_t _secs(int64_t ms) noexcept nogil:
    """Whole seconds, rounded up (the stop reach's rule)."""
    return <int32_t>((ms + 999) // 1000)


cdef uint16_t _select(uint16_t* a, Py_ssize_t n, Py_ssize_t k) noexcept nogil:
    """The k-th smallest of a[0:n] (0-based), reordering a (Hoare's selection)."""
    cdef Py_ssize_t lo = 0, hi = n - 1, i, j
    cdef uint16_t pivot, tmp
    while lo < hi:
        pivot = a[(lo + hi) >> 1]
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                tmp = a[i]; a[i] = a[j]; a[j] = tmp
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


def percentile_index(Py_ssize_t n, int percentile):
    """Index of percentile P in n sorted values: ceil(P / 100 * n) - 1, nearest rank, computed
    in double precision exactly as R5 does (TravelTimeReducer.findPercentileIndex) and as the
    matrix does (engine.accessibility.matrix), so that the same P picks the same minute."""
    return max(0, <Py_ssize_t>ceil(percentile / 100.0 * n) - 1)


def run_node_percentiles(IsoGraph g, IsoWorkspace ws, const int32_t[::1] origin_seg,
                         const double[::1] origin_t, const int64_t[::1] origin_ms,
                         const int32_t[::1] departures,
                         const int32_t[:, ::1] arrivals, const int32_t[::1] stop_seg,
                         const double[::1] stop_t, const int64_t[::1] stop_conn_ms,
                         int32_t limit_s, const int32_t[::1] percentiles):
    """Per-node travel-time percentiles over departure minutes, int32 [n_percentiles, n_nodes]
    seconds (UNREACHED when over ``limit_s``).

    Minute m departs at departures[m] (seconds); the origin locations (origin_seg, origin_t: a
    snapped point, or the links of a stop's platforms) are reached origin_ms after it (their
    connectors); stop s is a source at arrivals[m, s] (seconds on
    the same axis, UNREACHED if not reached) plus stop_conn_ms[s], on its link (stop_seg[s] < 0:
    not linked to this mode). Times are whole seconds, ceil(ms / 1000) of the street time after
    the origin or after the stop arrival.
    """
    cdef Py_ssize_t n_min = departures.shape[0], n_stops = stop_seg.shape[0], n = g.n_nodes
    cdef Py_ssize_t n_p = percentiles.shape[0], m, s, x, p, n_src
    if n_min < 1 or arrivals.shape[0] != n_min or arrivals.shape[1] != n_stops:
        raise ValueError("run_node_percentiles: arrivals must be [n_minutes, n_stops]")
    if stop_t.shape[0] != n_stops or stop_conn_ms.shape[0] != n_stops:
        raise ValueError("run_node_percentiles: stop arrays of different lengths")
    cdef Py_ssize_t n_origin = origin_seg.shape[0]
    if origin_t.shape[0] != n_origin or origin_ms.shape[0] != n_origin:
        raise ValueError("run_node_percentiles: origin arrays of different lengths")
    if not 0 <= limit_s <= MAX_PERCENTILE_LIMIT_S:
        raise ValueError(f"run_node_percentiles: limit_s must be in 0..{MAX_PERCENTILE_LIMIT_S}")
    for p in range(n_p):
        if not 0 < percentiles[p] <= 100:
            raise ValueError("run_node_percentiles: percentiles must be in 1..100")
    _check_segments(g, origin_seg, "run_node_percentiles: origin_seg")
    _check_segments(g, stop_seg, "run_node_percentiles: stop_seg")
    out_np = np.empty((n_p, max(n, 1)), dtype=np.int32)
    cdef int32_t[:, ::1] out = out_np
    src_seg_np = np.empty(n_stops + n_origin + 1, dtype=np.int32)
    src_t_np = np.empty(n_stops + n_origin + 1, dtype=np.float64)
    src_ms_np = np.empty(n_stops + n_origin + 1, dtype=np.int64)
    cdef int32_t[::1] src_seg = src_seg_np
    cdef double[::1] src_t = src_t_np
    cdef int64_t[::1] src_ms = src_ms_np
    ranks_np = np.array([percentile_index(n_min, percentiles[p]) for p in range(n_p)], dtype=np.int64)
    cdef int64_t[::1] ranks = ranks_np
    cdef int64_t limit = <int64_t>limit_s * 1000, t_ms
    cdef int64_t* walk = &ws.v_walk[0]
    cdef int64_t* run = &ws.v_run[0]
    cdef uint16_t* times = NULL
    cdef uint8_t* improved = NULL
    cdef int32_t w, tm
    cdef uint16_t v
    ws.reserve(g.n_edges + 2 * (n_stops + n_origin + 1) + 8)
    if n_min > 1:
        times = <uint16_t*>malloc(n * n_min * sizeof(uint16_t))
        improved = <uint8_t*>malloc(n * sizeof(uint8_t))
        if times == NULL or improved == NULL:
            free(times)
            free(improved)
            raise MemoryError()
    try:
        with nogil:
            for s in range(n_origin):
                src_seg[s] = origin_seg[s]
                src_t[s] = origin_t[s]
                src_ms[s] = origin_ms[s]
            if n_min > 1:
                # the walk from the origin, the same at every minute: once, min-ed with each
                # minute's search from the stops (ceil is monotone, so min commutes with it)
                _node_times(g, ws, &src_seg[0], &src_t[0], &src_ms[0], n_origin, limit, walk)
                memset(improved, 0, n * sizeof(uint8_t))
            for m in range(n_min):
                n_src = n_origin if n_min == 1 else 0     # one departure: a single search
                for s in range(n_stops):
                    if stop_seg[s] < 0 or arrivals[m, s] >= UNREACHED_ or arrivals[m, s] < departures[m]:
                        continue
                    t_ms = <int64_t>(arrivals[m, s] - departures[m]) * 1000 + stop_conn_ms[s]
                    if t_ms > limit:
                        continue
                    src_seg[n_src] = stop_seg[s]
                    src_t[n_src] = stop_t[s]
                    src_ms[n_src] = t_ms
                    n_src += 1
                _node_times(g, ws, &src_seg[0], &src_t[0], &src_ms[0], n_src, limit, run)
                if n_min == 1:
                    for x in range(n):
                        w = _secs(run[x]) if run[x] <= limit else UNREACHED_
                        for p in range(n_p):
                            out[p, x] = w
                    continue
                for x in range(n):
                    w = _secs(walk[x]) if walk[x] <= limit else UNREACHED_
                    tm = _secs(run[x]) if run[x] <= limit else UNREACHED_
                    if tm < w:
                        w = tm
                        improved[x] = 1
                    times[x * n_min + m] = FAR if w == UNREACHED_ else <uint16_t>w
            if n_min > 1:
                for x in range(n):
                    if not improved[x]:           # the walk at every minute
                        w = _secs(walk[x]) if walk[x] <= limit else UNREACHED_
                        for p in range(n_p):
                            out[p, x] = w
                        continue
                    for p in range(n_p):
                        v = _select(&times[x * n_min], n_min, ranks[p])
                        out[p, x] = UNREACHED_ if v == FAR else <int32_t>v
    finally:
        free(times)
        free(improved)
    return out_np[:, :n]


# ---------------------------------------------------------------- raster
cdef inline Py_ssize_t _ifloor(double x) noexcept nogil:
    """floor(x) as an integer (libm's floor is a call on baseline x86-64)."""
    cdef Py_ssize_t i = <Py_ssize_t>x
    return i - 1 if i > x else i


cdef inline Py_ssize_t _iceil(double x) noexcept nogil:
    cdef Py_ssize_t i = <Py_ssize_t>x
    return i + 1 if i < x else i


cdef inline void _splat(double* grid, Py_ssize_t nx, Py_ssize_t ny, double gx, double gy,
                        double tau, double cell, double speed, double radius,
                        double top) noexcept nogil:
    """grid = min(grid, tau + distance / speed) at the grid points within the radius (metres,
    and within reach of ``top``) of the point (gx, gy) in grid units: row by row, over the chord
    of the disc."""
    cdef double r = (top - tau) * speed, dx, dy, half, v
    cdef double to_s = cell / speed
    cdef Py_ssize_t i0, i1, j0, j1, j
    cdef int k
    cdef double* row
    if r <= 0.0:
        return
    if r > radius:
        r = radius
    r /= cell
    j0 = _iceil(gy - r)
    j1 = _ifloor(gy + r)
    if j0 < 0:
        j0 = 0
    if j1 > ny - 1:
        j1 = ny - 1
    for j in range(j0, j1 + 1):
        dy = j - gy
        half = r * r - dy * dy
        if half < 0.0:
            continue
        half = sqrt(half)
        i0 = _iceil(gx - half)
        i1 = _ifloor(gx + half)
        if i0 < 0:
            i0 = 0
        if i1 > nx - 1:
            i1 = nx - 1
        row = grid + j * nx
        dy = dy * dy
        # branch-free, 32-bit index: the compiler vectorises it (sqrt and min, two at a time)
        for k in range(<int>i0, <int>i1 + 1):
            dx = k - gx
            v = tau + sqrt(dx * dx + dy) * to_s
            row[k] = v if v < row[k] else row[k]


def run_raster(const double[::1] node_x, const double[::1] node_y, const int32_t[::1] node_s,
               const int32_t[::1] seg_u, const int32_t[::1] seg_v, const int32_t[::1] c_fwd,
               const int32_t[::1] c_bwd, double x0, double y0, double cell, Py_ssize_t nx,
               Py_ssize_t ny, double speed, double radius, double step, double top):
    """The travel-time raster (see the header): float64 [ny, nx], ``top`` where no street point
    is within reach. node_s: seconds to each node (UNREACHED when unreached); node_x/node_y:
    metres."""
    cdef Py_ssize_t n_seg = seg_u.shape[0], k, q, n_steps
    cdef Py_ssize_t n_nodes = node_s.shape[0]
    if node_x.shape[0] != n_nodes or node_y.shape[0] != n_nodes:
        raise ValueError("run_raster: node arrays of different lengths")
    if not (cell > 0 and step > 0 and speed > 0 and nx > 0 and ny > 0):
        raise ValueError("run_raster: cell, step, speed and the grid size must be positive")
    grid_np = np.full((ny, nx), top, dtype=np.float64)
    cdef double[:, ::1] grid = grid_np
    cdef double tu, tv, f, tau, cf, cb, ux, uy, vx, vy, length
    cdef int32_t u, v
    with nogil:
        for k in range(n_nodes):
            if node_s[k] < UNREACHED_ and node_s[k] < top:
                _splat(&grid[0, 0], nx, ny, (node_x[k] - x0) / cell, (node_y[k] - y0) / cell,
                       node_s[k], cell, speed, radius, top)
        for k in range(n_seg):
            u = seg_u[k]
            v = seg_v[k]
            tu = node_s[u] if node_s[u] < UNREACHED_ else INFINITY
            tv = node_s[v] if node_s[v] < UNREACHED_ else INFINITY
            cf = c_fwd[k] / 1000.0
            cb = c_bwd[k] / 1000.0
            if not ((c_fwd[k] >= 0 and tu < top) or (c_bwd[k] >= 0 and tv < top)):
                continue
            ux, uy, vx, vy = node_x[u], node_y[u], node_x[v], node_y[v]
            length = sqrt((vx - ux) * (vx - ux) + (vy - uy) * (vy - uy))
            n_steps = <Py_ssize_t>ceil(length / step)
            for q in range(1, n_steps):
                f = <double>q / n_steps
                tau = INFINITY
                if c_fwd[k] >= 0:
                    tau = tu + f * cf
                if c_bwd[k] >= 0 and tv + (1.0 - f) * cb < tau:
                    tau = tv + (1.0 - f) * cb
                if tau < top:
                    _splat(&grid[0, 0], nx, ny, (ux + f * (vx - ux) - x0) / cell,
                           (uy + f * (vy - uy) - y0) / cell, tau, cell, speed, radius, top)
    return grid_np


# ---------------------------------------------------------------- contours
# Cell sides, counter-clockwise: 0 bottom (bl -> br), 1 right (br -> tr), 2 top (tr -> tl),
# 3 left (tl -> bl). Corner bits: 1 bl, 2 br, 4 tr, 8 tl (set when inside: value <= level).

cdef inline Py_ssize_t _edge_id(Py_ssize_t i, Py_ssize_t j, int side, Py_ssize_t w,
                                Py_ssize_t n_h) noexcept nogil:
    """Grid edge of side ``side`` of cell (i, j) in a padded grid of w x h points: horizontal
    edges (i, j)-(i+1, j) are j * (w - 1) + i, vertical ones (i, j)-(i, j+1) are n_h + j * w + i."""
    if side == 0:
        return j * (w - 1) + i
    if side == 2:
        return (j + 1) * (w - 1) + i
    if side == 1:
        return n_h + j * w + i + 1
    return n_h + j * w + i


def run_contour(const double[:, ::1] grid, double level, double top):
    """Rings of {grid <= level} by marching squares (see the header).

    The grid's points are (i, j) = (column, row); the answer is in grid units, the point (i, j)
    at (i, j): (ring offsets int32 [n_rings + 1], x float64, y float64, parent int32 [n_rings]:
    -1 for an outer ring (counter-clockwise), else the outer ring whose polygon the hole
    (clockwise) belongs to). Rings are not closed (the first point is not repeated).
    """
    cdef Py_ssize_t ny = grid.shape[0], nx = grid.shape[1]
    cdef Py_ssize_t w = nx + 2, h = ny + 2            # padded by one point of ``top`` all round
    cdef Py_ssize_t n_h = (w - 1) * h, n_e = n_h + w * (h - 1)
    if not level < top:
        raise ValueError("run_contour: level must be below top")
    pad_np = np.full((h, w), top, dtype=np.float64)
    pad_np[1:-1, 1:-1] = np.asarray(grid)
    nxt_np = np.full(n_e, -1, dtype=np.int32)
    ring_np = np.full(n_e, -1, dtype=np.int32)
    cdef double[:, ::1] z = pad_np
    cdef int32_t[::1] nxt = nxt_np, ring_of = ring_np
    cdef Py_ssize_t i, j, e, first, n_pts = 0, n_rings = 0, cap = 1024, ring_cap = 64
    cdef int code, k
    cdef int starts[4]
    cdef int ends[4]
    cdef double mean
    # 1. each crossing edge -> the edge its segment leads to
    with nogil:
        for j in range(h - 1):
            for i in range(w - 1):
                code = ((z[j, i] <= level) | ((z[j, i + 1] <= level) << 1)
                        | ((z[j + 1, i + 1] <= level) << 2) | ((z[j + 1, i] <= level) << 3))
                if code == 0 or code == 15:
                    continue
                # a side runs inside -> outside (CCW) where its first corner is in, second out
                for k in range(4):
                    starts[k] = ((code >> k) & 1) == 1 and ((code >> ((k + 1) & 3)) & 1) == 0
                    ends[k] = ((code >> k) & 1) == 0 and ((code >> ((k + 1) & 3)) & 1) == 1
                if code == 5 or code == 10:           # saddle: bl & tr, or br & tl inside
                    mean = 0.25 * (z[j, i] + z[j, i + 1] + z[j + 1, i + 1] + z[j + 1, i])
                    for k in range(4):
                        if starts[k]:
                            # joined: the start side leads to the next side; separated: to the
                            # side before it (both are end sides)
                            if mean <= level:
                                nxt[_edge_id(i, j, k, w, n_h)] = <int32_t>_edge_id(i, j, (k + 1) & 3, w, n_h)
                            else:
                                nxt[_edge_id(i, j, k, w, n_h)] = <int32_t>_edge_id(i, j, (k + 3) & 3, w, n_h)
                else:
                    first = -1
                    for k in range(4):
                        if starts[k]:
                            first = k
                    for k in range(4):
                        if ends[k]:
                            nxt[_edge_id(i, j, <int>first, w, n_h)] = <int32_t>_edge_id(i, j, k, w, n_h)
    # 2. follow the links into rings
    xs_np = np.empty(cap, dtype=np.float64)
    ys_np = np.empty(cap, dtype=np.float64)
    offsets = [0]
    leftmost = []                 # per ring: its leftmost horizontal crossing edge
    cdef double[::1] xs = xs_np, ys = ys_np
    cdef double fa, fb, t, px, py, best_x
    cdef Py_ssize_t a_i, a_j, b_i, b_j, best_e, cur
    for e in range(n_e):
        if nxt[e] < 0 or ring_of[e] >= 0:
            continue
        cur = e
        best_x = INFINITY
        best_e = -1
        while True:
            if n_pts >= cap:
                cap *= 2
                xs_np = np.resize(xs_np, cap)
                ys_np = np.resize(ys_np, cap)
                xs, ys = xs_np, ys_np
            if cur < n_h:
                a_j = cur // (w - 1)
                a_i = cur - a_j * (w - 1)
                b_i, b_j = a_i + 1, a_j
            else:
                a_j = (cur - n_h) // w
                a_i = (cur - n_h) - a_j * w
                b_i, b_j = a_i, a_j + 1
            fa = z[a_j, a_i]
            fb = z[b_j, b_i]
            # from the inside end towards the outside one
            if fa <= level:
                t = (level - fa) / (fb - fa)
            else:
                t = 1.0 - (level - fb) / (fa - fb)
            if t < EPS:
                t = EPS
            elif t > 1.0 - EPS:
                t = 1.0 - EPS
            px = a_i + t * (b_i - a_i) - 1.0       # back to unpadded grid units
            py = a_j + t * (b_j - a_j) - 1.0
            xs[n_pts] = px
            ys[n_pts] = py
            n_pts += 1
            ring_of[cur] = <int32_t>n_rings
            if cur < n_h and px < best_x:
                best_x = px
                best_e = cur
            cur = nxt[cur]
            if cur == e:
                break
        offsets.append(n_pts)
        leftmost.append(best_e)
        n_rings += 1
    off_np = np.asarray(offsets, dtype=np.int32)
    xs_np = xs_np[:n_pts].copy()
    ys_np = ys_np[:n_pts].copy()
    # 3. orientation (shoelace: > 0 counter-clockwise = outer), then each hole's polygon
    area_np = np.zeros(n_rings, dtype=np.float64)
    cdef double[::1] area = area_np
    cdef int32_t[::1] off = off_np
    cdef Py_ssize_t r2, row, col, a, b, q
    cdef double acc
    xs, ys = xs_np, ys_np
    for r2 in range(n_rings):
        a = off[r2]
        b = off[r2 + 1]
        acc = 0.0
        for q in range(a, b):
            e = q + 1 if q + 1 < b else a
            acc += xs[q] * ys[e] - xs[e] * ys[q]
        area[r2] = 0.5 * acc
    parent_np = np.full(n_rings, -1, dtype=np.int32)
    cdef int32_t[::1] parent = parent_np
    for r2 in range(n_rings):
        if area[r2] > 0 or leftmost[r2] < 0:
            continue
        e = leftmost[r2]
        row = e // (w - 1)
        col = e - row * (w - 1)
        for i in range(col - 1, -1, -1):
            if ring_of[row * (w - 1) + i] >= 0:
                parent[r2] = ring_of[row * (w - 1) + i]
                break
    # holes whose nearest ring to the left is another hole: follow to an outer ring (each step
    # goes strictly left, so this ends)
    for r2 in range(n_rings):
        if area[r2] > 0:
            continue
        cur = parent[r2]
        while cur >= 0 and area[cur] < 0:
            cur = parent[cur]
        parent[r2] = <int32_t>cur
    return off_np, xs_np, ys_np, parent_np, area_np
