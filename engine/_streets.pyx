# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Street query kernels, compiled at install: snapping, point-to-point routes on the junction
graph's contraction hierarchy, and the stop reach on the junction graph (every loop a street
request runs; build-time kernels are in _streets_build.pyx, shared helpers in _graphs.pxd).

Why Cython: these loops run while answering requests, so they must be ready when the process
starts; a JIT would compile them in every fresh process (Docker image, CI job, new worker).

Layout (every array comes from the bundle, read-only, or from a StreetWorkspace):

  A *location* is (segment, t, conn_ms): the projection at fraction t of segment u -> v, plus
  conn_ms to walk between the point and its projection. Per-segment costs c_fwd (u -> v) and
  c_bwd (v -> u) are int32 ms, NO_VALUE (< 0) when forbidden; a fraction f of a cost c costs
  floor(f * c + 0.5) ms (_part; the same rule at build time, so times agree everywhere).

  Snapping grid: nodes projected on a local equirectangular plane (origin lat0/lon0, x scaled by
  cos0, metres); sorted int64 keys of non-empty cells ((row + 2**30) * 2**31 + (col + 2**30))
  with a CSR of segments per cell; a segment is registered in the cells of points sampled every
  cell_m / 2 along it, so every point of it is within cell_m / 4 of a registered sample.

  Contraction hierarchy (Geisberger et al. 2008) over a mode's junction graph: up CSR
  (junction -> arcs to higher-ranked junctions) and down CSR (junction -> arcs *from* higher-
  ranked ones); an arc's edge code is -(chain_edge + 1) for an original edge (chain_edge = 2 *
  chain + 0 along it, + 1 against it) or a shortcut row (halves child_a, child_b, as codes).

  Chains (engine/_chains.pyx, engine/streets/junctions.py): segments are stored chain by chain,
  oriented along it; chain c = segments [chain_off[c], chain_off[c + 1]) from junction chain_a[c]
  to junction chain_b[c]. A mode's junction graph has an edge a -> b when the whole chain allows
  that direction (weight: the sum of its segment costs), so searches run on junctions only and
  a location reaches the graph at the two ends of its chain (ModeChains.ends). Stop reach: a
  bounded search on that graph (or its transpose), stops offered through per-junction entries
  (stop, ms); stops on the location's own chain are walked along it (link_seg / link_stop: the
  linked stops sorted by segment). Routes: the same ends as seeds and targets of a bidirectional
  search on the junction graph's contraction hierarchy, or the walk along a shared chain.

Arrays held by the views (read-only, zero-copy over the bundle's streets/* tables; the column
comments of engine/bundle/schema.py are the reference):

  SnapIndex
    node_lat, node_lon    float64 [n_nodes]      node coordinates, degrees
    seg_u, seg_v          int32 [n_segments]     node_idx at each end; segment_idx is chain-ordered
    seg_modes             uint8 [n_segments]     bit 1 walk, 2 bike, 4 car: usable by the mode
    grid_cell             int64 [n_cells]        ascending cell keys (only non-empty cells)
    grid_off, grid_seg    int32 [n_cells+1], [..]  CSR: cell -> segment_idx registered in it
  ModeChains (one per mode; the topology is shared, the costs are the mode's)
    seg_length            float32 [n_segments]   metres
    chain_off             int32 [n_chains+1]     CSR: chain -> segments [chain_off[c], chain_off[c+1])
    chain_a, chain_b      int32 [n_chains]       junction_idx where the chain starts / ends (a == b: a loop)
    junction_node         int32 [n_junctions]    node_idx of each junction
    c_fwd, c_bwd          int32 [n_segments]     ms along / against the chain, NO_VALUE (< 0) forbidden
  RouteGraph (a mode's contraction hierarchy over its junctions)
    up_off, up_to         int32 [n_junctions+1], [..]  CSR: junction -> higher-ranked junctions
    dn_off, dn_to         int32 [n_junctions+1], [..]  CSR: junction -> higher-ranked junctions
                                                 with an arc *into* it (to = the arc's tail)
    up_w, dn_w            int32 [..]             arc cost, ms (>= 0)
    up_e, dn_e            int32 [..]             edge code: >= 0 a shortcut row, -(chain_edge + 1)
                                                 an original edge
    child_a, child_b      int32 [n_shortcuts]    the shortcut's two halves, as edge codes
  ReachIndex (one per mode and direction)
    r_off, r_head, r_ms   int32 [n_junctions+1], [..], [..]  the junction graph (or its transpose,
                                                 reverse): CSR junction -> (other end, chain ms)
    entry_off             int32 [n_junctions+1]  CSR: junction -> its stop entries
    entry_stop, entry_ms  int32 / int64 [..]     stop_idx and ms between junction and stop along
                                                 the stop's chain (one entry per pair, the cheapest)
    link_seg, link_stop   int32 [n_links]        segment_idx (ascending) and stop_idx of every stop
                                                 linked to the mode: the stops of a chain are one
                                                 binary search away
    stop_seg, stop_t      int32 / float64 [n_stops]  each stop's location (NO_IDX: not linked)
    stop_conn             int64 [n_stops]        ms to walk between the stop and its projection

Invariants the kernels rely on, checked when a table is mapped (engine/bundle/checks.py lists
them): every CSR's offsets start at 0, never decrease and end at its values' length; every index
is in range (edge codes in [-2 n_chains, n_shortcuts), shortcuts acyclic); grid_cell and
link_seg ascending (binary searches); allowed costs >= 0 (the builder writes >= 1 ms per
segment), so a settled label is final.

StreetWorkspace (one per thread): dist int64 all INF between calls (each call resets what it
touched), pred_node/pred_edge int32, touched int32, binary heaps hk (key) / hg (distance when
pushed) / hn (node) with lazy deletion (capacity n_edges + 8: at most one push per edge; a
RouteGraph reserves its hierarchy's size before searching), the
same for the backward side of bidirectional searches, and the reach's bucket heads and stop
buffers (stop_best all INF between calls).
"""
from libc.math cimport floor, ceil, sqrt, sin, cos, asin, INFINITY, isfinite, M_PI
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t
from libc.stdlib cimport malloc, realloc, free, qsort
import numpy as np

from engine._geomath cimport haversine_m as _haversine_m
from engine._graphs cimport bounded_dijkstra, heap_pop as _pop, heap_push as _push, part_ms as _part

cdef int64_t INF_ = (<int64_t>1) << 62
cdef int64_t KEY_OFFSET = 1 << 30
cdef int64_t KEY_SHIFT = (<int64_t>1) << 31
cdef double EARTH_RADIUS_M = 6371000.0
cdef double DEG_M = EARTH_RADIUS_M * M_PI / 180.0

INF = INF_
#: Buckets of a workspace's reach queue (the bucket width grows when a limit needs more).
N_BUCKETS = 4096


# ---------------------------------------------------------------- small helpers
cdef inline int64_t _direct(double t_from, int64_t conn_from, double t_to, int64_t conn_to,
                            int64_t cf, int64_t cb) noexcept nogil:
    """Cost between two locations on one segment without leaving it (INF if impossible)."""
    cdef int64_t best = INF_, c
    if t_to >= t_from and cf >= 0:
        best = _part(t_to - t_from, cf) + conn_from + conn_to
    if t_to <= t_from and cb >= 0:
        c = _part(t_from - t_to, cb) + conn_from + conn_to
        if c < best:
            best = c
    return best


cdef int _cmp_i32(const void* a, const void* b) noexcept nogil:
    cdef int32_t x = (<const int32_t*>a)[0], y = (<const int32_t*>b)[0]
    return (x > y) - (x < y)


# ---------------------------------------------------------------- workspace
cdef class StreetWorkspace:
    """Scratch arrays of one thread (kernels release the GIL: threads must not share one)."""

    cdef public object dist, pred_node, pred_edge, touched, hk, hg, hn
    cdef public object dist_b, pred_node_b, pred_edge_b, touched_b, hk_b, hg_b, hn_b
    cdef public object stop_best, out_stop, out_s, bucket_head
    cdef int64_t[::1] v_dist, v_dist_b, v_hk, v_hg, v_hk_b, v_hg_b, v_stop_best
    cdef int32_t[::1] v_pred_node, v_pred_edge, v_touched, v_hn
    cdef int32_t[::1] v_pred_node_b, v_pred_edge_b, v_touched_b, v_hn_b
    cdef int32_t[::1] v_out_stop, v_out_s, v_head

    def __init__(self, Py_ssize_t n_nodes, Py_ssize_t n_edges, Py_ssize_t n_stops):
        n_nodes = max(n_nodes, 1)
        n_stops = max(n_stops, 1)
        self.dist = np.full(n_nodes, INF_, dtype=np.int64)
        self.pred_node = np.full(n_nodes, -1, dtype=np.int32)
        self.pred_edge = np.full(n_nodes, -1, dtype=np.int32)
        self.touched = np.empty(n_nodes, dtype=np.int32)
        self.dist_b = np.full(n_nodes, INF_, dtype=np.int64)
        self.pred_node_b = np.full(n_nodes, -1, dtype=np.int32)
        self.pred_edge_b = np.full(n_nodes, -1, dtype=np.int32)
        self.touched_b = np.empty(n_nodes, dtype=np.int32)
        self.stop_best = np.full(n_stops, INF_, dtype=np.int64)
        self.out_stop = np.empty(n_stops, dtype=np.int32)
        self.out_s = np.empty(n_stops, dtype=np.int32)
        self.bucket_head = np.empty(N_BUCKETS, dtype=np.int32)
        self.v_dist, self.v_dist_b = self.dist, self.dist_b
        self.reserve_heap(n_edges)
        self.v_pred_node, self.v_pred_edge, self.v_touched = self.pred_node, self.pred_edge, self.touched
        self.v_pred_node_b, self.v_pred_edge_b = self.pred_node_b, self.pred_edge_b
        self.v_touched_b = self.touched_b
        self.v_stop_best, self.v_out_stop, self.v_out_s = self.stop_best, self.out_stop, self.out_s
        self.v_head = self.bucket_head

    def reserve_heap(self, Py_ssize_t n_edges):
        """Heaps for searches that push at most ``n_edges`` entries (one per arc relaxation,
        plus the seeds); grown, never shrunk, so a thread's workspace serves every mode."""
        if self.hk is not None and self.v_hk.shape[0] >= n_edges + 8:
            return
        cap = n_edges + 8
        self.hk, self.hg, self.hn = (np.empty(cap, np.int64), np.empty(cap, np.int64),
                                     np.empty(cap, np.int32))
        self.hk_b, self.hg_b, self.hn_b = (np.empty(cap, np.int64), np.empty(cap, np.int64),
                                           np.empty(cap, np.int32))
        self.v_hk, self.v_hg, self.v_hn = self.hk, self.hg, self.hn
        self.v_hk_b, self.v_hg_b, self.v_hn_b = self.hk_b, self.hg_b, self.hn_b


# ---------------------------------------------------------------- snapping
cdef class SnapIndex:
    """The snapping grid and the segment geometry of a bundle (views, nothing copied)."""

    cdef const int64_t[::1] grid_cell
    cdef const int32_t[::1] grid_off, grid_seg, seg_u, seg_v
    cdef const uint8_t[::1] seg_modes
    cdef const double[::1] node_lat, node_lon
    cdef double lat0, lon0, cos0, cell_m

    def __init__(self, grid_cell, grid_off, grid_seg, seg_u, seg_v, seg_modes, node_lat, node_lon,
                 double lat0, double lon0, double cos0, double cell_m):
        self.grid_cell, self.grid_off, self.grid_seg = grid_cell, grid_off, grid_seg
        self.seg_u, self.seg_v, self.seg_modes = seg_u, seg_v, seg_modes
        self.node_lat, self.node_lon = node_lat, node_lon
        self.lat0, self.lon0, self.cos0, self.cell_m = lat0, lon0, cos0, cell_m

    cdef Py_ssize_t _find_cell(self, int64_t key) noexcept nogil:
        cdef Py_ssize_t a = 0, b = self.grid_cell.shape[0], mid
        while a < b:
            mid = (a + b) >> 1
            if self.grid_cell[mid] < key:
                a = mid + 1
            else:
                b = mid
        if a < self.grid_cell.shape[0] and self.grid_cell[a] == key:
            return a
        return -1

    cdef int64_t _snap(self, double lat, double lon, int mode_bit, double max_m, double* out_t,
                       double* out_d) noexcept nogil:
        """Nearest segment usable by the mode (or -1); rings of cells scanned outwards until no
        unseen segment can be nearer (hence the cell_m / 4 of the sampling)."""
        cdef double cell_m = self.cell_m, cos0 = self.cos0
        cdef double px = (lon - self.lon0) * cos0 * DEG_M
        cdef double py = (lat - self.lat0) * DEG_M
        cdef int64_t row0 = <int64_t>floor(py / cell_m), col0 = <int64_t>floor(px / cell_m)
        cdef int64_t k_max = <int64_t>ceil((max_m * 1.2 + cell_m * 0.25) / cell_m) + 1
        cdef double best_d2 = INFINITY, best_t = 0.0, ax, ay, bx, by, vx, vy, len2, t, qx, qy, d2, reach
        cdef int64_t best_seg = -1, k, dr, dc, step, key
        cdef Py_ssize_t pos, j
        cdef int32_t s, a, b
        for k in range(k_max + 1):
            for dr in range(-k, k + 1):
                step = 1 if (dr == -k or dr == k) else 2 * k
                if step < 1:
                    step = 1
                dc = -k
                while dc <= k:
                    key = (row0 + dr + KEY_OFFSET) * KEY_SHIFT + (col0 + dc + KEY_OFFSET)
                    pos = self._find_cell(key)
                    if pos >= 0:
                        for j in range(self.grid_off[pos], self.grid_off[pos + 1]):
                            s = self.grid_seg[j]
                            if (self.seg_modes[s] & mode_bit) == 0:
                                continue
                            a = self.seg_u[s]
                            b = self.seg_v[s]
                            ax = (self.node_lon[a] - self.lon0) * cos0 * DEG_M
                            ay = (self.node_lat[a] - self.lat0) * DEG_M
                            bx = (self.node_lon[b] - self.lon0) * cos0 * DEG_M
                            by = (self.node_lat[b] - self.lat0) * DEG_M
                            vx = bx - ax
                            vy = by - ay
                            len2 = vx * vx + vy * vy
                            t = 0.0
                            if len2 > 0.0:
                                t = ((px - ax) * vx + (py - ay) * vy) / len2
                                if t < 0.0:
                                    t = 0.0
                                if t > 1.0:
                                    t = 1.0
                            qx = ax + t * vx - px
                            qy = ay + t * vy - py
                            d2 = qx * qx + qy * qy
                            if d2 < best_d2 or (d2 == best_d2 and s < best_seg):
                                best_d2 = d2
                                best_seg = s
                                best_t = t
                    dc += step
            reach = k * cell_m - cell_m * 0.25
            if best_seg >= 0 and reach > 0 and best_d2 <= reach * reach:
                break
        if best_seg < 0:
            out_t[0] = 0.0
            out_d[0] = INFINITY
            return -1
        a = self.seg_u[best_seg]
        b = self.seg_v[best_seg]
        out_t[0] = best_t
        out_d[0] = _haversine_m(lat, lon, self.node_lat[a] + best_t * (self.node_lat[b] - self.node_lat[a]),
                                self.node_lon[a] + best_t * (self.node_lon[b] - self.node_lon[a]))
        return best_seg

    def snap(self, double lat, double lon, int mode_bit, double max_m):
        """(segment or -1, t along u -> v, distance in metres) of the nearest usable segment."""
        cdef double t, d
        cdef int64_t s
        with nogil:
            s = self._snap(lat, lon, mode_bit, max_m, &t, &d)
        return s, t, d

    def snap_many(self, const double[::1] lats, const double[::1] lons, int mode_bit, double max_m):
        """snap over many points (NaN coordinates give -1): (segment, t, dist_m) arrays."""
        cdef Py_ssize_t n = lats.shape[0], i
        out_seg = np.full(n, -1, dtype=np.int32)
        out_t = np.zeros(n, dtype=np.float64)
        out_d = np.full(n, np.inf)
        cdef int32_t[::1] vs = out_seg
        cdef double[::1] vt = out_t, vd = out_d
        with nogil:
            for i in range(n):
                if isfinite(lats[i]) and isfinite(lons[i]):
                    vs[i] = <int32_t>self._snap(lats[i], lons[i], mode_bit, max_m, &vt[i], &vd[i])
        return out_seg, out_t, out_d


# ---------------------------------------------------------------- chains of one mode
cdef inline int64_t _range_sum(const int32_t* cost, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """Sum of cost[lo:hi], INF when one of them is NO_VALUE (a forbidden direction)."""
    cdef int64_t total = 0
    cdef Py_ssize_t k
    for k in range(lo, hi):
        if cost[k] < 0:
            return INF_
        total += cost[k]
    return total



cdef class ModeChains:
    """One mode's view of the street chains: the shared topology and the mode's segment costs.

    Segments are stored chain by chain, oriented along it: chain c is segments
    [chain_off[c], chain_off[c + 1]) from junction chain_a[c] to junction chain_b[c]; f = c_fwd
    and b = c_bwd are the costs along and against the chain (NO_VALUE < 0: forbidden).
    """

    cdef const int32_t[::1] seg_u, seg_v, chain_off, chain_a, chain_b, junction_node, c_fwd, c_bwd
    cdef const float[::1] seg_length

    def __init__(self, seg_u, seg_v, seg_length, chain_off, chain_a, chain_b, junction_node,
                 c_fwd, c_bwd):
        self.seg_u, self.seg_v, self.seg_length = seg_u, seg_v, seg_length
        self.chain_off, self.chain_a, self.chain_b = chain_off, chain_a, chain_b
        self.junction_node, self.c_fwd, self.c_bwd = junction_node, c_fwd, c_bwd

    cdef inline Py_ssize_t chain_of(self, Py_ssize_t seg) noexcept nogil:
        """The chain holding a segment: the last c with chain_off[c] <= seg."""
        cdef Py_ssize_t lo = 0, hi = self.chain_off.shape[0] - 1, mid
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            if self.chain_off[mid] <= seg:
                lo = mid
            else:
                hi = mid
        return lo

    cdef inline int64_t sum_fwd(self, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
        """Cost along the chain over segments [lo, hi), INF if one forbids it."""
        return _range_sum(&self.c_fwd[0], lo, hi)

    cdef inline int64_t sum_bwd(self, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
        """Cost against the chain over segments [lo, hi), INF if one forbids it."""
        return _range_sum(&self.c_bwd[0], lo, hi)

    cdef int ends(self, int32_t seg, double t, int64_t conn, bint arrive, int32_t* junction,
                  int64_t* cost, int8_t* side) noexcept nogil:
        """Costs between a location and the junctions at the ends of its chain: leave (location
        -> junction) or arrive (junction -> location). side 0 = chain_a, 1 = chain_b. Returns
        how many (0-2)."""
        cdef Py_ssize_t c = self.chain_of(seg)
        cdef Py_ssize_t lo = self.chain_off[c], hi = self.chain_off[c + 1]
        cdef int64_t f = self.c_fwd[seg], b = self.c_bwd[seg], along
        cdef int n = 0
        if arrive:
            along = self.sum_fwd(lo, seg)                   # a -> u(seg), then into seg
            if f >= 0 and along < INF_:
                junction[n] = self.chain_a[c]; cost[n] = along + _part(t, f) + conn; side[n] = 0; n += 1
            along = self.sum_bwd(seg + 1, hi)               # b -> v(seg), then back into seg
            if b >= 0 and along < INF_:
                junction[n] = self.chain_b[c]; cost[n] = along + _part(1.0 - t, b) + conn; side[n] = 1; n += 1
        else:
            along = self.sum_bwd(lo, seg)                   # seg back to u(seg), then to a
            if b >= 0 and along < INF_:
                junction[n] = self.chain_a[c]; cost[n] = _part(t, b) + along + conn; side[n] = 0; n += 1
            along = self.sum_fwd(seg + 1, hi)               # seg on to v(seg), then to b
            if f >= 0 and along < INF_:
                junction[n] = self.chain_b[c]; cost[n] = _part(1.0 - t, f) + along + conn; side[n] = 1; n += 1
        return n

    cdef int64_t along(self, int32_t s1, double t1, int64_t conn1, int32_t s2, double t2,
                       int64_t conn2) noexcept nogil:
        """Cost from one location to another on the same chain without leaving it (INF if
        impossible): the same segment, further along, or further back."""
        cdef int64_t mid
        if s1 == s2:
            return _direct(t1, conn1, t2, conn2, self.c_fwd[s1], self.c_bwd[s1])
        if s1 < s2:
            mid = self.sum_fwd(s1 + 1, s2)
            if self.c_fwd[s1] < 0 or self.c_fwd[s2] < 0 or mid >= INF_:
                return INF_
            return _part(1.0 - t1, self.c_fwd[s1]) + mid + _part(t2, self.c_fwd[s2]) + conn1 + conn2
        mid = self.sum_bwd(s2 + 1, s1)
        if self.c_bwd[s1] < 0 or self.c_bwd[s2] < 0 or mid >= INF_:
            return INF_
        return _part(t1, self.c_bwd[s1]) + mid + _part(1.0 - t2, self.c_bwd[s2]) + conn1 + conn2


cdef class _PathBuilder:
    """Nodes of a route in travel order (a growing C buffer), and its street length (metres)."""

    cdef int32_t* nodes
    cdef Py_ssize_t n, cap
    cdef public double length

    def __cinit__(self):
        self.cap = 256
        self.n = 0
        self.length = 0.0
        self.nodes = <int32_t*>malloc(self.cap * sizeof(int32_t))
        if self.nodes == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.nodes)

    cdef int _reserve(self, Py_ssize_t extra) except -1:
        cdef int32_t* grown
        if self.n + extra <= self.cap:
            return 0
        while self.n + extra > self.cap:
            self.cap *= 2
        grown = <int32_t*>realloc(self.nodes, self.cap * sizeof(int32_t))
        if grown == NULL:
            raise MemoryError()
        self.nodes = grown
        return 0

    cdef int add(self, int32_t node) except -1:
        self._reserve(1)
        self.nodes[self.n] = node
        self.n += 1
        return 0

    cdef int chain(self, ModeChains mc, Py_ssize_t lo, Py_ssize_t hi, bint forward) except -1:
        """Whole segments [lo, hi) along (forward) or against the chain: the nodes entered."""
        cdef Py_ssize_t k
        if hi <= lo:
            return 0
        self._reserve(hi - lo)
        if forward:
            for k in range(lo, hi):
                self.nodes[self.n] = mc.seg_v[k]
                self.n += 1
                self.length += mc.seg_length[k]
        else:
            for k in range(hi - 1, lo - 1, -1):
                self.nodes[self.n] = mc.seg_u[k]
                self.n += 1
                self.length += mc.seg_length[k]
        return 0

    cdef tuple coordinates(self, const double[::1] node_lat, const double[::1] node_lon):
        """(lat, lon) float64 arrays of the nodes, with two free slots at each end (for the
        points and their projections, which the caller fills)."""
        lat = np.empty(self.n + 4, dtype=np.float64)
        lon = np.empty(self.n + 4, dtype=np.float64)
        cdef double[::1] vlat = lat, vlon = lon
        cdef Py_ssize_t i
        for i in range(self.n):
            vlat[i + 2] = node_lat[self.nodes[i]]
            vlon[i + 2] = node_lon[self.nodes[i]]
        return lat, lon


# ---------------------------------------------------------------- bidirectional search
cdef struct _Side:
    # one direction of the hierarchy search: its arcs, its labels (dist, predecessors, the
    # nodes it touched) and its heap
    const int32_t* off
    const int32_t* to
    const int32_t* w
    const int32_t* e
    int64_t* dist
    int32_t* pred_node
    int32_t* pred_edge
    int32_t* touched
    int64_t* hk
    int64_t* hg
    int32_t* hn
    Py_ssize_t size
    Py_ssize_t n_touched


cdef inline void _side_label(_Side* s, int32_t v, int64_t d, int32_t pred, int32_t edge) noexcept nogil:
    """dist[v] = d (< dist[v]) with its predecessor, and v into the heap."""
    if s.dist[v] == INF_:
        s.touched[s.n_touched] = v
        s.n_touched += 1
    s.dist[v] = d
    s.pred_node[v] = pred
    s.pred_edge[v] = edge
    s.size = _push(s.hk, s.hg, s.hn, s.size, d, d, v)


cdef inline void _side_seed(_Side* s, int32_t* nodes, int64_t* costs, int n) noexcept nogil:
    cdef int i
    for i in range(n):
        if costs[i] < s.dist[nodes[i]]:
            _side_label(s, nodes[i], costs[i], -1, -1)


cdef inline void _side_settle(_Side* s, _Side* other, int64_t* best, int64_t* meet) noexcept nogil:
    """Settle the top of ``s``: a meeting with ``other`` may improve ``best``; relax its arcs."""
    cdef int64_t g = s.hg[0], nd
    cdef int32_t u = s.hn[0], v
    cdef Py_ssize_t k
    s.size = _pop(s.hk, s.hg, s.hn, s.size)
    if g > s.dist[u]:
        return                          # stale entry: u was improved after this push
    if other.dist[u] < INF_ and g + other.dist[u] < best[0]:
        best[0] = g + other.dist[u]
        meet[0] = u
    for k in range(s.off[u], s.off[u + 1]):
        v = s.to[k]
        nd = g + s.w[k]
        if nd < s.dist[v]:
            _side_label(s, v, nd, u, s.e[k])


# ---------------------------------------------------------------- point to point
cdef class RouteGraph:
    """One mode's point-to-point routes: a bidirectional search on the contraction hierarchy
    of its junction graph (a mode built without contraction has every junction in the core:
    the same search is then a bidirectional Dijkstra), plus the walk along a shared chain."""

    cdef ModeChains mc
    cdef const int32_t[::1] up_off, up_to, up_w, up_e, dn_off, dn_to, dn_w, dn_e
    cdef const int32_t[::1] child_a, child_b
    cdef const double[::1] node_lat, node_lon
    cdef Py_ssize_t max_arcs

    def __init__(self, ModeChains mc, ch, node_lat, node_lon):
        self.mc = mc
        self.node_lat, self.node_lon = node_lat, node_lon
        self.up_off, self.up_to, self.up_w, self.up_e = ch.up_off, ch.up_to, ch.up_w, ch.up_e
        self.dn_off, self.dn_to, self.dn_w, self.dn_e = ch.dn_off, ch.dn_to, ch.dn_w, ch.dn_e
        self.child_a, self.child_b = ch.child_a, ch.child_b
        self.max_arcs = max(len(ch.up_to), len(ch.dn_to))

    def route(self, StreetWorkspace ws, int32_t a_seg, double a_t, int64_t a_conn, int32_t b_seg,
              double b_t, int64_t b_conn):
        """Exact fastest route between two locations: None when there is none, else (cost ms,
        (lat, lon) arrays of the path's nodes in travel order with two free slots at each end,
        street length in metres between the two projections)."""
        cdef ModeChains mc = self.mc
        cdef int32_t seed_j[2]
        cdef int32_t tgt_j[2]
        cdef int64_t seed_c[2]
        cdef int64_t tgt_c[2]
        cdef int8_t seed_side[2]
        cdef int8_t tgt_side[2]
        cdef int n_seed, n_tgt, i
        cdef int64_t best = INF_, cost, meet = -1, nf = 0, nb = 0
        cdef Py_ssize_t ca, cb, lo, hi
        cdef int64_t root_f, root_b
        cdef _PathBuilder path
        ws.reserve_heap(self.max_arcs)
        with nogil:
            n_seed = mc.ends(a_seg, a_t, a_conn, False, seed_j, seed_c, seed_side)
            n_tgt = mc.ends(b_seg, b_t, b_conn, True, tgt_j, tgt_c, tgt_side)
            ca = mc.chain_of(a_seg)
            cb = mc.chain_of(b_seg)
            if ca == cb:
                best = mc.along(a_seg, a_t, a_conn, b_seg, b_t, b_conn)
            cost = self._ch_query(ws, seed_j, seed_c, n_seed, tgt_j, tgt_c, n_tgt, best, &meet,
                                  &nf, &nb)
        try:
            if cost >= INF_:
                return None
            path = _PathBuilder()
            if meet < 0:                        # along the shared chain
                if a_seg == b_seg:
                    path.length = abs(b_t - a_t) * mc.seg_length[a_seg]
                elif a_seg < b_seg:         # on to v(a_seg), whole segments, into b_seg
                    path.length = (1.0 - a_t) * mc.seg_length[a_seg] + b_t * mc.seg_length[b_seg]
                    path.add(mc.seg_v[a_seg])
                    path.chain(mc, a_seg + 1, b_seg, True)
                else:                       # back to u(a_seg), whole segments, into b_seg
                    path.length = a_t * mc.seg_length[a_seg] + (1.0 - b_t) * mc.seg_length[b_seg]
                    path.add(mc.seg_u[a_seg])
                    path.chain(mc, b_seg + 1, a_seg, False)
                return cost, path.coordinates(self.node_lat, self.node_lon), path.length
            root_f = self._root(ws.v_pred_node, meet)
            root_b = self._root(ws.v_pred_node_b, meet)
            # from the start location to the seed junction the search started from
            lo, hi = mc.chain_off[ca], mc.chain_off[ca + 1]
            if _side_of(seed_j, seed_c, seed_side, n_seed, root_f) == 0:
                path.length = a_t * mc.seg_length[a_seg]
                path.add(mc.seg_u[a_seg])
                path.chain(mc, lo, a_seg, False)
            else:
                path.length = (1.0 - a_t) * mc.seg_length[a_seg]
                path.add(mc.seg_v[a_seg])
                path.chain(mc, a_seg + 1, hi, True)
            self._ch_chains(ws, meet, path)
            lo, hi = mc.chain_off[cb], mc.chain_off[cb + 1]
            if _side_of(tgt_j, tgt_c, tgt_side, n_tgt, root_b) == 0:
                path.chain(mc, lo, b_seg, True)
                path.length += b_t * mc.seg_length[b_seg]
            else:
                path.chain(mc, b_seg + 1, hi, False)
                path.length += (1.0 - b_t) * mc.seg_length[b_seg]
            return cost, path.coordinates(self.node_lat, self.node_lon), path.length
        finally:
            _reset(ws.v_dist, ws.v_touched, nf)
            _reset(ws.v_dist_b, ws.v_touched_b, nb)

    cdef int64_t _ch_query(self, StreetWorkspace ws, int32_t* seed_node, int64_t* seed_cost,
                           int n_seed, int32_t* tgt_node, int64_t* tgt_cost, int n_tgt,
                           int64_t best, int64_t* meet_out, int64_t* nf_out,
                           int64_t* nb_out) noexcept nogil:
        """Bidirectional upward Dijkstra from weighted seeds and targets, settling on the side
        whose queue minimum is smaller; stops when both minima reach the best meeting cost.
        Returns that cost (``best`` if no meeting beats it)."""
        cdef _Side fw, bw
        fw.off, fw.to, fw.w, fw.e = &self.up_off[0], &self.up_to[0], &self.up_w[0], &self.up_e[0]
        fw.dist, fw.pred_node, fw.pred_edge = &ws.v_dist[0], &ws.v_pred_node[0], &ws.v_pred_edge[0]
        fw.touched, fw.hk, fw.hg, fw.hn = &ws.v_touched[0], &ws.v_hk[0], &ws.v_hg[0], &ws.v_hn[0]
        bw.off, bw.to, bw.w, bw.e = &self.dn_off[0], &self.dn_to[0], &self.dn_w[0], &self.dn_e[0]
        bw.dist, bw.pred_node, bw.pred_edge = &ws.v_dist_b[0], &ws.v_pred_node_b[0], &ws.v_pred_edge_b[0]
        bw.touched, bw.hk, bw.hg, bw.hn = &ws.v_touched_b[0], &ws.v_hk_b[0], &ws.v_hg_b[0], &ws.v_hn_b[0]
        fw.size = fw.n_touched = bw.size = bw.n_touched = 0
        _side_seed(&fw, seed_node, seed_cost, n_seed)
        _side_seed(&bw, tgt_node, tgt_cost, n_tgt)
        cdef int64_t meet = -1, ftop, btop
        while True:
            ftop = fw.hk[0] if fw.size > 0 else INF_
            btop = bw.hk[0] if bw.size > 0 else INF_
            if ftop >= best and btop >= best:
                break
            if ftop <= btop:
                _side_settle(&fw, &bw, &best, &meet)
            else:
                _side_settle(&bw, &fw, &best, &meet)
        meet_out[0] = meet
        nf_out[0] = fw.n_touched
        nb_out[0] = bw.n_touched
        return best

    cdef int _ch_chains(self, StreetWorkspace ws, int64_t meet, _PathBuilder path) except -1:
        """Append the chains of the path through ``meet`` to ``path``, in travel order
        (shortcuts unpacked with an explicit stack of edge codes)."""
        cdef ModeChains mc = self.mc
        cdef Py_ssize_t n_f = 0, n_b = 0, i, top, cap = 64
        cdef int64_t node
        cdef int32_t e, c
        cdef int32_t* arcs
        cdef int32_t* stack
        node = meet
        while ws.v_pred_node[node] >= 0:
            n_f += 1
            node = ws.v_pred_node[node]
        node = meet
        while ws.v_pred_node_b[node] >= 0:
            n_b += 1
            node = ws.v_pred_node_b[node]
        arcs = <int32_t*>malloc((n_f + n_b + 1) * sizeof(int32_t))
        stack = <int32_t*>malloc(cap * sizeof(int32_t))
        if arcs == NULL or stack == NULL:
            free(arcs)
            free(stack)
            raise MemoryError()
        try:
            node = meet
            for i in range(n_f - 1, -1, -1):
                arcs[i] = ws.v_pred_edge[node]
                node = ws.v_pred_node[node]
            node = meet
            for i in range(n_b):
                arcs[n_f + i] = ws.v_pred_edge_b[node]
                node = ws.v_pred_node_b[node]
            for i in range(n_f + n_b):
                top = 1
                stack[0] = arcs[i]
                while top > 0:
                    top -= 1
                    e = stack[top]
                    if e < 0:                   # an original edge: -(chain_edge + 1)
                        e = -e - 1
                        c = e >> 1
                        path.chain(mc, mc.chain_off[c], mc.chain_off[c + 1], (e & 1) == 0)
                    else:                       # a shortcut: its halves, first on top
                        if top + 2 > cap:
                            cap *= 2
                            stack = <int32_t*>realloc(stack, cap * sizeof(int32_t))
                            if stack == NULL:
                                raise MemoryError()
                        stack[top] = self.child_b[e]
                        stack[top + 1] = self.child_a[e]
                        top += 2
        finally:
            free(arcs)
            free(stack)
        return 0

    cdef int64_t _root(self, int32_t[::1] pred, int64_t node) noexcept nogil:
        """The junction a search started from, following predecessors from ``node``."""
        while pred[node] >= 0:
            node = pred[node]
        return node


cdef int _side_of(int32_t* junction, int64_t* cost, int8_t* side, int n, int64_t root) noexcept:
    """The chain end (0 = a, 1 = b) of the cheapest seed at junction ``root``."""
    cdef int i, best = -1
    for i in range(n):
        if junction[i] == root and (best < 0 or cost[i] < cost[best]):
            best = i
    return side[best] if best >= 0 else 0


cdef inline void _reset(int64_t[::1] dist, int32_t[::1] touched, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        dist[touched[i]] = INF_


# ---------------------------------------------------------------- stop reach
cdef class ReachIndex:
    """Stops within a time of a location, one (mode, direction): a bounded search on the
    junction graph (its transpose for ``reverse``) from the ends of the location's chain, stops
    offered through the junctions' entries, and the stops of the location's own chain walked
    along it."""

    cdef ModeChains mc
    cdef const int32_t[::1] r_off, r_head, r_ms, entry_off, entry_stop, link_seg, link_stop
    cdef const int64_t[::1] entry_ms, stop_conn
    cdef const int32_t[::1] stop_seg
    cdef const double[::1] stop_t
    cdef int shift
    cdef bint reverse

    def __init__(self, ModeChains mc, r_off, r_head, r_ms, entry_off, entry_stop, entry_ms,
                 link_seg, link_stop, stop_seg, stop_t, stop_conn, int shift, bint reverse):
        self.mc = mc
        self.r_off, self.r_head, self.r_ms = r_off, r_head, r_ms
        self.entry_off, self.entry_stop, self.entry_ms = entry_off, entry_stop, entry_ms
        self.link_seg, self.link_stop = link_seg, link_stop
        self.stop_seg, self.stop_t, self.stop_conn = stop_seg, stop_t, stop_conn
        self.shift, self.reverse = shift, reverse

    def run(self, StreetWorkspace ws, int32_t seg, double t, int64_t conn, int64_t limit):
        """Stops reachable within ``limit`` ms from (reverse: to) location (seg, t, conn):
        (stop indices ascending, ceil seconds) int32 arrays.

        Search: a bucket queue (Dial 1969) with buckets of 2**shift ms over the junctions,
        label-correcting inside a bucket: a junction is popped in bucket order and popped again
        if a later pop of the same bucket lowers it; once a bucket is empty its junctions are
        final (costs > 0), so the distances are Dijkstra's. Stops are offered at every pop (a
        non-final pop offers an upper bound, the final one the exact value).
        """
        cdef Py_ssize_t n
        with nogil:
            n = self._run(ws, seg, t, conn, limit)
        return ws.out_stop[:n].copy(), ws.out_s[:n].copy()

    cdef inline Py_ssize_t _offer(self, int64_t* stop_best, int32_t* out_stop, Py_ssize_t n_out,
                                  int32_t s, int64_t c, int64_t limit) noexcept nogil:
        if c <= limit and c < stop_best[s]:
            if stop_best[s] == INF_:
                out_stop[n_out] = s
                n_out += 1
            stop_best[s] = c
        return n_out

    cdef inline void _set(self, int32_t j, int64_t d, int shift, int64_t* dist, int32_t* touched,
                          Py_ssize_t* n_touched, int32_t* nxt, int32_t* prv,
                          int32_t* head) noexcept nogil:
        """dist[j] = d (< dist[j]) and j into bucket d >> shift. Buckets are doubly linked
        lists (nxt/prv per junction, prv -1 at a list head, -2 once popped or never queued)."""
        cdef int64_t old = dist[j]
        cdef int32_t p, q
        if old == INF_:
            touched[n_touched[0]] = j
            n_touched[0] += 1
        else:
            p = prv[j]
            if p != -2:
                q = nxt[j]
                if p == -1:
                    head[old >> shift] = q
                else:
                    nxt[p] = q
                if q >= 0:
                    prv[q] = p
        dist[j] = d
        q = head[d >> shift]
        nxt[j] = q
        prv[j] = -1
        if q >= 0:
            prv[q] = j
        head[d >> shift] = j

    cdef Py_ssize_t _run(self, StreetWorkspace ws, int32_t seg, double t, int64_t conn,
                         int64_t limit) noexcept nogil:
        cdef int64_t* dist = &ws.v_dist[0]
        cdef int32_t* touched = &ws.v_touched[0]
        cdef int32_t* nxt = &ws.v_pred_node[0]
        cdef int32_t* prv = &ws.v_pred_edge[0]
        cdef int32_t* head = &ws.v_head[0]
        cdef int64_t* stop_best = &ws.v_stop_best[0]
        cdef int32_t* out_stop = &ws.v_out_stop[0]
        cdef int32_t* out_s = &ws.v_out_s[0]
        cdef Py_ssize_t n_head = ws.v_head.shape[0], n_touched = 0, n_out = 0, b, k, i, lo, hi, mid
        cdef Py_ssize_t c, c_lo, c_hi
        cdef int shift = self.shift, n_seed
        cdef int32_t seed_j[2]
        cdef int64_t seed_c[2]
        cdef int8_t seed_side[2]
        cdef int64_t g, nd, cost
        cdef int32_t x, y, q, s
        while (limit >> shift) >= n_head:
            shift += 1
        cdef Py_ssize_t n_buckets = (limit >> shift) + 1
        for b in range(n_buckets):
            head[b] = -1
        # the ends of the location's chain (leave it forward; reverse: reach it from them)
        n_seed = self.mc.ends(seg, t, conn, self.reverse, seed_j, seed_c, seed_side)
        for i in range(n_seed):
            if seed_c[i] <= limit and seed_c[i] < dist[seed_j[i]]:
                self._set(seed_j[i], seed_c[i], shift, dist, touched, &n_touched, nxt, prv, head)
        # the stops linked to the location's own chain, walked along it
        c = self.mc.chain_of(seg)
        c_lo = self.mc.chain_off[c]
        c_hi = self.mc.chain_off[c + 1]
        lo = 0
        hi = self.link_seg.shape[0]
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.link_seg[mid] < c_lo:
                lo = mid + 1
            else:
                hi = mid
        while lo < self.link_seg.shape[0] and self.link_seg[lo] < c_hi:
            s = self.link_stop[lo]
            if self.reverse:
                cost = self.mc.along(self.stop_seg[s], self.stop_t[s], self.stop_conn[s], seg, t, conn)
            else:
                cost = self.mc.along(seg, t, conn, self.stop_seg[s], self.stop_t[s], self.stop_conn[s])
            n_out = self._offer(stop_best, out_stop, n_out, s, cost, limit)
            lo += 1
        # bounded search over the junctions
        for b in range(n_buckets):
            while head[b] >= 0:
                x = head[b]
                q = nxt[x]
                head[b] = q
                if q >= 0:
                    prv[q] = -1
                prv[x] = -2
                g = dist[x]
                for k in range(self.entry_off[x], self.entry_off[x + 1]):
                    n_out = self._offer(stop_best, out_stop, n_out, self.entry_stop[k],
                                        g + self.entry_ms[k], limit)
                for k in range(self.r_off[x], self.r_off[x + 1]):
                    y = self.r_head[k]
                    nd = g + self.r_ms[k]
                    if nd < dist[y] and nd <= limit:
                        self._set(y, nd, shift, dist, touched, &n_touched, nxt, prv, head)
        for i in range(n_touched):
            dist[touched[i]] = INF_
        qsort(out_stop, n_out, sizeof(int32_t), _cmp_i32)
        for i in range(n_out):
            s = out_stop[i]
            out_s[i] = <int32_t>((stop_best[s] + 999) // 1000)
            stop_best[s] = INF_
        return n_out


# ---------------------------------------------------------------- reference: plain Dijkstra
def run_to_stops(const int32_t[::1] off, const int32_t[::1] to, const int32_t[::1] cost,
                 const int32_t[::1] seed_node, const int64_t[::1] seed_cost, int64_t limit,
                 const int32_t[::1] entry_off, const int32_t[::1] entry_stop,
                 const int64_t[::1] entry_cost, StreetWorkspace ws):
    """Stops reachable within ``limit`` ms by a bounded Dijkstra over every node, through the
    entry CSR (node -> (stop, ms)); the tests' reference for ReachIndex.run (which adds the
    stops of the location's own segment). Returns (stop, ms) arrays, unsorted."""
    cdef int64_t* dist = &ws.v_dist[0]
    cdef int32_t* touched = &ws.v_touched[0]
    cdef int64_t* hk = &ws.v_hk[0]
    cdef int64_t* hg = &ws.v_hg[0]
    cdef int32_t* hn = &ws.v_hn[0]
    cdef int64_t* stop_best = &ws.v_stop_best[0]
    cdef int32_t* out_stop = &ws.v_out_stop[0]
    cdef Py_ssize_t n_touched = 0, n_out = 0, i, k
    cdef int64_t c
    cdef int32_t u, s
    out_ms = np.empty(ws.v_out_stop.shape[0], dtype=np.int64)
    cdef int64_t[::1] ms = out_ms
    with nogil:
        n_touched = bounded_dijkstra(&off[0], &to[0], &cost[0], &seed_node[0], &seed_cost[0],
                                     seed_node.shape[0], limit, INF_, dist, &ws.v_pred_node[0],
                                     &ws.v_pred_edge[0], touched, hk, hg, hn)
        for i in range(n_touched):
            u = touched[i]
            for k in range(entry_off[u], entry_off[u + 1]):
                s = entry_stop[k]
                c = dist[u] + entry_cost[k]
                if c <= limit and c < stop_best[s]:
                    if stop_best[s] == INF_:
                        out_stop[n_out] = s
                        n_out += 1
                    stop_best[s] = c
        for i in range(n_touched):
            dist[touched[i]] = INF_
        for i in range(n_out):
            ms[i] = stop_best[out_stop[i]]
            stop_best[out_stop[i]] = INF_
    return ws.out_stop[:n_out].copy(), out_ms[:n_out]
