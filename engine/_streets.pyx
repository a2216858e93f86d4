# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Street query kernels, compiled at install: snapping, A*, contraction-hierarchy queries and the
chain-contracted stop reach (every loop a street request runs; build-time kernels are elsewhere).

Why Cython: these loops run while answering requests, so they must be ready when the process
starts; a JIT would compile them in every fresh process (Docker image, CI job, new worker).

Layout (every array comes from the bundle, read-only, or from a StreetWorkspace):

  A mode graph is CSR: off int32 [n_nodes + 1], to int32 [n_edges] (successor), cost int32 ms >= 1.
  A *location* is (segment, t, conn_ms): the projection at fraction t of segment u -> v, plus
  conn_ms to walk between the point and its projection. Per-segment costs c_fwd (u -> v) and
  c_bwd (v -> u) are int32 ms, NO_VALUE (< 0) when forbidden; a fraction f of a cost c costs
  floor(f * c + 0.5) ms (_part; the same rule at build time, so times agree everywhere).
  leave(L): (node, ms) pairs to get from L onto the graph; arrive(L): from a node to L.

  Snapping grid: nodes projected on a local equirectangular plane (origin lat0/lon0, x scaled by
  cos0, metres); sorted int64 keys of non-empty cells ((row + 2**30) * 2**31 + (col + 2**30))
  with a CSR of segments per cell; a segment is registered in the cells of points sampled every
  cell_m / 2 along it, so every point of it is within cell_m / 4 of a registered sample.

  Contraction hierarchy (Geisberger et al. 2008): up CSR (node -> edges to higher-ranked nodes)
  and down CSR (node -> edges *from* higher-ranked nodes); ch edge e is an original edge
  (csr_edge[e] = index in the mode's out-CSR) or a shortcut (children child_a[e], child_b[e]).

  Stop reach (see engine/streets/reach.py for the index): chains of degree-2 nodes between
  junctions; node_info[2u, 2u+1] = (chain, prefix slot) or (-1, junction id); chains[4c..] =
  (a, b, base slot, length); prefix[2 slot + 0/1] = cost sums along / against the chain (GAP
  when an edge is missing); r_off/r_adj the junction graph ((head, ms) pairs); je_* junction ->
  (stop, ms) entries; ce_* chain -> (slot, stop, ms) entries; link_seg/link_stop the linked
  stops sorted by segment (stops on the query's own segment are walked along it).

StreetWorkspace (one per thread): dist int64 all INF between calls (each call resets what it
touched), pred_node/pred_edge int32, touched int32, binary heaps hk (key) / hg (distance when
pushed) / hn (node) with lazy deletion (capacity n_edges + 8: at most one push per edge), the
same for the backward side of bidirectional searches, and the reach's bucket heads and stop
buffers (stop_best all INF between calls).
"""
from libc.math cimport floor, ceil, sqrt, sin, cos, asin, INFINITY, isfinite, M_PI
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport malloc, realloc, free, qsort
import numpy as np

cdef int64_t INF_ = (<int64_t>1) << 62
cdef int64_t GAP_ = (<int64_t>1) << 43
cdef int64_t KEY_OFFSET = 1 << 30
cdef int64_t KEY_SHIFT = (<int64_t>1) << 31
cdef double EARTH_RADIUS_M = 6371000.0
cdef double DEG_M = EARTH_RADIUS_M * M_PI / 180.0
cdef double RAD = M_PI / 180.0

INF = INF_
GAP = GAP_
#: Buckets of a workspace's reach queue (the bucket width grows when a limit needs more).
N_BUCKETS = 4096


# ---------------------------------------------------------------- small helpers
cdef inline Py_ssize_t _push(int64_t* hk, int64_t* hg, int32_t* hn, Py_ssize_t size, int64_t key,
                             int64_t g, int32_t node) noexcept nogil:
    cdef Py_ssize_t i = size, parent
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


cdef inline Py_ssize_t _pop(int64_t* hk, int64_t* hg, int32_t* hn, Py_ssize_t size) noexcept nogil:
    """Remove the top (the caller read it first); returns the new size."""
    cdef Py_ssize_t i = 0, child
    size -= 1
    cdef int64_t key = hk[size], g = hg[size]
    cdef int32_t node = hn[size]
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


cdef inline int64_t _part(double fraction, int64_t cost) noexcept nogil:
    """Cost of a fraction of an edge, rounded to the nearest ms (same rule everywhere)."""
    return <int64_t>floor(fraction * cost + 0.5)


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


cdef inline double _haversine_m(double lat1, double lon1, double lat2, double lon2) noexcept nogil:
    cdef double p1 = lat1 * RAD, p2 = lat2 * RAD
    cdef double s1 = sin((p2 - p1) * 0.5), s2 = sin((lon2 - lon1) * RAD * 0.5)
    cdef double a = s1 * s1 + cos(p1) * cos(p2) * s2 * s2
    if a > 1.0:
        a = 1.0
    return 2.0 * EARTH_RADIUS_M * asin(sqrt(a))


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
        self.hk = np.empty(n_edges + 8, dtype=np.int64)
        self.hg = np.empty(n_edges + 8, dtype=np.int64)
        self.hn = np.empty(n_edges + 8, dtype=np.int32)
        self.dist_b = np.full(n_nodes, INF_, dtype=np.int64)
        self.pred_node_b = np.full(n_nodes, -1, dtype=np.int32)
        self.pred_edge_b = np.full(n_nodes, -1, dtype=np.int32)
        self.touched_b = np.empty(n_nodes, dtype=np.int32)
        self.hk_b = np.empty(n_edges + 8, dtype=np.int64)
        self.hg_b = np.empty(n_edges + 8, dtype=np.int64)
        self.hn_b = np.empty(n_edges + 8, dtype=np.int32)
        self.stop_best = np.full(n_stops, INF_, dtype=np.int64)
        self.out_stop = np.empty(n_stops, dtype=np.int32)
        self.out_s = np.empty(n_stops, dtype=np.int32)
        self.bucket_head = np.empty(N_BUCKETS, dtype=np.int32)
        self.v_dist, self.v_dist_b = self.dist, self.dist_b
        self.v_hk, self.v_hg, self.v_hn = self.hk, self.hg, self.hn
        self.v_hk_b, self.v_hg_b, self.v_hn_b = self.hk_b, self.hg_b, self.hn_b
        self.v_pred_node, self.v_pred_edge, self.v_touched = self.pred_node, self.pred_edge, self.touched
        self.v_pred_node_b, self.v_pred_edge_b = self.pred_node_b, self.pred_edge_b
        self.v_touched_b = self.touched_b
        self.v_stop_best, self.v_out_stop, self.v_out_s = self.stop_best, self.out_stop, self.out_s
        self.v_head = self.bucket_head


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


# ---------------------------------------------------------------- point to point
cdef class RouteGraph:
    """One mode's graph for point-to-point routes: its segment costs, out-CSR and, when the
    bundle has one, its contraction hierarchy (else exact A* on the out-CSR)."""

    cdef const int32_t[::1] seg_u, seg_v, c_fwd, c_bwd
    cdef const int32_t[::1] out_off, out_to, out_cost
    cdef const int32_t[::1] up_off, up_to, up_w, up_e, dn_off, dn_to, dn_w, dn_e
    cdef const int32_t[::1] child_a, child_b, csr_edge
    cdef const double[::1] node_x, node_y, node_z, node_lat, node_lon
    cdef readonly bint has_ch
    cdef double h_scale

    def __init__(self, seg_u, seg_v, c_fwd, c_bwd, out_off, out_to, out_cost, ch=None, xyz=None,
                 node_lat=None, node_lon=None, double h_scale=0.0):
        self.seg_u, self.seg_v, self.c_fwd, self.c_bwd = seg_u, seg_v, c_fwd, c_bwd
        self.out_off, self.out_to, self.out_cost = out_off, out_to, out_cost
        self.has_ch = ch is not None
        if ch is not None:
            self.up_off, self.up_to, self.up_w, self.up_e = ch.up_off, ch.up_to, ch.up_w, ch.up_e
            self.dn_off, self.dn_to, self.dn_w, self.dn_e = ch.dn_off, ch.dn_to, ch.dn_w, ch.dn_e
            self.child_a, self.child_b, self.csr_edge = ch.child_a, ch.child_b, ch.csr_edge
        else:
            self.node_x, self.node_y, self.node_z = xyz
            self.node_lat, self.node_lon = node_lat, node_lon
            self.h_scale = h_scale

    cdef int _seeds(self, int32_t seg, double t, int64_t conn, bint arrive, int32_t* nodes,
                    int64_t* costs) noexcept nogil:
        """leave (arrive=False) or arrive seeds of a location; returns their number (0-2)."""
        cdef int n = 0
        cdef int64_t cf = self.c_fwd[seg], cb = self.c_bwd[seg]
        cdef int64_t first = cf if arrive else cb
        cdef int64_t second = cb if arrive else cf
        if first >= 0:
            nodes[n] = self.seg_u[seg]
            costs[n] = _part(t, first) + conn
            n += 1
        if second >= 0:
            nodes[n] = self.seg_v[seg]
            costs[n] = _part(1.0 - t, second) + conn
            n += 1
        return n

    def route(self, StreetWorkspace ws, int32_t a_seg, double a_t, int64_t a_conn, int32_t b_seg,
              double b_t, int64_t b_conn):
        """Exact fastest route between two locations: None when unreachable, else
        (cost ms, out-CSR edges in travel order or None for the walk along the shared segment,
        node where a path without edges enters and leaves the graph, or -1)."""
        cdef int32_t seed_node[2]
        cdef int32_t tgt_node[2]
        cdef int64_t seed_cost[2]
        cdef int64_t tgt_cost[2]
        cdef int n_seed, n_tgt, i, j
        cdef int64_t best = INF_, cost
        cdef int64_t meet = -1, nf = 0, nb = 0, slot = -1, single = -1, c_single = INF_
        with nogil:
            n_seed = self._seeds(a_seg, a_t, a_conn, False, seed_node, seed_cost)
            n_tgt = self._seeds(b_seg, b_t, b_conn, True, tgt_node, tgt_cost)
            if a_seg == b_seg:
                best = _direct(a_t, a_conn, b_t, b_conn, self.c_fwd[a_seg], self.c_bwd[a_seg])
            if self.has_ch:
                cost = self._ch_query(ws, seed_node, seed_cost, n_seed, tgt_node, tgt_cost, n_tgt,
                                      best, &meet, &nf, &nb)
            else:
                cost = self._astar(ws, seed_node, seed_cost, n_seed, tgt_node, tgt_cost, n_tgt,
                                   b_seg, b_t, best, &slot, &nf)
        try:
            if cost >= INF_:
                return None
            if self.has_ch:
                if meet < 0:
                    return cost, None, -1
                edges = self._ch_path(ws, meet)
            else:
                if slot < 0:
                    return cost, None, -1
                edges = _tree_path(ws.v_pred_node, ws.v_pred_edge, tgt_node[slot])
            if len(edges) == 0:       # entered and left the graph at one node: the cheapest pair
                for i in range(n_seed):
                    for j in range(n_tgt):
                        if seed_node[i] == tgt_node[j] and seed_cost[i] + tgt_cost[j] < c_single:
                            c_single = seed_cost[i] + tgt_cost[j]
                            single = seed_node[i]
            return cost, edges, single
        finally:
            _reset(ws.v_dist, ws.v_touched, nf)
            if self.has_ch:
                _reset(ws.v_dist_b, ws.v_touched_b, nb)

    cdef int64_t _ch_query(self, StreetWorkspace ws, int32_t* seed_node, int64_t* seed_cost,
                           int n_seed, int32_t* tgt_node, int64_t* tgt_cost, int n_tgt,
                           int64_t best, int64_t* meet_out, int64_t* nf_out,
                           int64_t* nb_out) noexcept nogil:
        """Bidirectional upward Dijkstra from weighted seeds and targets; stops when both queue
        minima reach the best meeting cost. Returns that cost (INF if none)."""
        cdef int64_t* df = &ws.v_dist[0]
        cdef int64_t* db = &ws.v_dist_b[0]
        cdef int32_t* fpn = &ws.v_pred_node[0]
        cdef int32_t* fpe = &ws.v_pred_edge[0]
        cdef int32_t* bpn = &ws.v_pred_node_b[0]
        cdef int32_t* bpe = &ws.v_pred_edge_b[0]
        cdef int32_t* ftouch = &ws.v_touched[0]
        cdef int32_t* btouch = &ws.v_touched_b[0]
        cdef int64_t* fk = &ws.v_hk[0]
        cdef int64_t* fg = &ws.v_hg[0]
        cdef int32_t* fn = &ws.v_hn[0]
        cdef int64_t* bk = &ws.v_hk_b[0]
        cdef int64_t* bg = &ws.v_hg_b[0]
        cdef int32_t* bn = &ws.v_hn_b[0]
        cdef Py_ssize_t fs = 0, bs = 0, nf = 0, nb = 0, k
        cdef int64_t meet = -1, c, ftop, btop, g, nd
        cdef int32_t s, u, v
        cdef int i
        for i in range(n_seed):
            s = seed_node[i]
            c = seed_cost[i]
            if c < df[s]:
                if df[s] == INF_:
                    ftouch[nf] = s
                    nf += 1
                df[s] = c
                fpn[s] = -1
                fpe[s] = -1
                fs = _push(fk, fg, fn, fs, c, c, s)
        for i in range(n_tgt):
            s = tgt_node[i]
            c = tgt_cost[i]
            if c < db[s]:
                if db[s] == INF_:
                    btouch[nb] = s
                    nb += 1
                db[s] = c
                bpn[s] = -1
                bpe[s] = -1
                bs = _push(bk, bg, bn, bs, c, c, s)
        while True:
            ftop = fk[0] if fs > 0 else INF_
            btop = bk[0] if bs > 0 else INF_
            if ftop >= best and btop >= best:
                break
            if ftop <= btop:
                g = fg[0]
                u = fn[0]
                fs = _pop(fk, fg, fn, fs)
                if g > df[u]:
                    continue
                if db[u] < INF_ and g + db[u] < best:
                    best = g + db[u]
                    meet = u
                for k in range(self.up_off[u], self.up_off[u + 1]):
                    v = self.up_to[k]
                    nd = g + self.up_w[k]
                    if nd < df[v]:
                        if df[v] == INF_:
                            ftouch[nf] = v
                            nf += 1
                        df[v] = nd
                        fpn[v] = u
                        fpe[v] = self.up_e[k]
                        fs = _push(fk, fg, fn, fs, nd, nd, v)
            else:
                g = bg[0]
                u = bn[0]
                bs = _pop(bk, bg, bn, bs)
                if g > db[u]:
                    continue
                if df[u] < INF_ and g + df[u] < best:
                    best = g + df[u]
                    meet = u
                for k in range(self.dn_off[u], self.dn_off[u + 1]):
                    v = self.dn_to[k]
                    nd = g + self.dn_w[k]
                    if nd < db[v]:
                        if db[v] == INF_:
                            btouch[nb] = v
                            nb += 1
                        db[v] = nd
                        bpn[v] = u
                        bpe[v] = self.dn_e[k]
                        bs = _push(bk, bg, bn, bs, nd, nd, v)
        meet_out[0] = meet
        nf_out[0] = nf
        nb_out[0] = nb
        return best

    cdef object _ch_path(self, StreetWorkspace ws, int64_t meet):
        """Out-CSR edges of the path through ``meet``, in travel order (shortcuts unpacked)."""
        cdef Py_ssize_t n_f = 0, n_b = 0, i, top, n_out = 0, cap_out = 64, cap_stack = 64
        cdef int64_t node
        cdef int32_t e
        cdef int32_t* chain
        cdef int32_t* stack
        cdef int32_t* out
        node = meet
        while ws.v_pred_node[node] >= 0:
            n_f += 1
            node = ws.v_pred_node[node]
        node = meet
        while ws.v_pred_node_b[node] >= 0:
            n_b += 1
            node = ws.v_pred_node_b[node]
        chain = <int32_t*>malloc((n_f + n_b + 1) * sizeof(int32_t))
        stack = <int32_t*>malloc(cap_stack * sizeof(int32_t))
        out = <int32_t*>malloc(cap_out * sizeof(int32_t))
        if chain == NULL or stack == NULL or out == NULL:
            free(chain); free(stack); free(out)
            raise MemoryError()
        try:
            with nogil:
                node = meet
                for i in range(n_f - 1, -1, -1):
                    chain[i] = ws.v_pred_edge[node]
                    node = ws.v_pred_node[node]
                node = meet
                for i in range(n_b):
                    chain[n_f + i] = ws.v_pred_edge_b[node]
                    node = ws.v_pred_node_b[node]
                for i in range(n_f + n_b):
                    top = 1
                    stack[0] = chain[i]
                    while top > 0:
                        top -= 1
                        e = stack[top]
                        if self.csr_edge[e] >= 0:
                            if n_out == cap_out:
                                cap_out *= 2
                                out = <int32_t*>realloc(out, cap_out * sizeof(int32_t))
                            out[n_out] = self.csr_edge[e]
                            n_out += 1
                        else:
                            if top + 2 > cap_stack:
                                cap_stack *= 2
                                stack = <int32_t*>realloc(stack, cap_stack * sizeof(int32_t))
                            stack[top] = self.child_b[e]
                            stack[top + 1] = self.child_a[e]
                            top += 2
            result = np.empty(n_out, dtype=np.int32)
            for i in range(n_out):
                result[i] = out[i]
            return result
        finally:
            free(chain)
            free(stack)
            free(out)

    cdef int64_t _astar(self, StreetWorkspace ws, int32_t* seed_node, int64_t* seed_cost,
                        int n_seed, int32_t* tgt_node, int64_t* tgt_cost, int n_tgt,
                        int32_t b_seg, double b_t, int64_t best, int64_t* slot_out,
                        int64_t* n_touched_out) noexcept nogil:
        """Exact A* (Hart, Nilsson, Raphael 1968) with h(v) = max(0, floor(h_scale * chord(v,
        target)) - 1) on unit-sphere coordinates: chord <= arc <= length and costs are ceil'ed,
        so h is consistent and the result equals Dijkstra's. Returns the cost (or ``best``)."""
        cdef int64_t* dist = &ws.v_dist[0]
        cdef int32_t* pred_node = &ws.v_pred_node[0]
        cdef int32_t* pred_edge = &ws.v_pred_edge[0]
        cdef int32_t* touched = &ws.v_touched[0]
        cdef int64_t* hk = &ws.v_hk[0]
        cdef int64_t* hg = &ws.v_hg[0]
        cdef int32_t* hn = &ws.v_hn[0]
        cdef int32_t a = self.seg_u[b_seg], b = self.seg_v[b_seg]
        # target: the unit vector of the projection (interpolated in lat/lon, as snapping does)
        cdef double plat = (self.node_lat[a] + b_t * (self.node_lat[b] - self.node_lat[a])) * RAD
        cdef double plon = (self.node_lon[a] + b_t * (self.node_lon[b] - self.node_lon[a])) * RAD
        cdef double tx = cos(plat) * cos(plon), ty = cos(plat) * sin(plon), tz = sin(plat)
        cdef double dx, dy, dz
        cdef Py_ssize_t size = 0, n_touched = 0, e
        cdef int64_t best_slot = -1, c, g, key, nd, h
        cdef int32_t node, u, v
        cdef int i, j
        for i in range(n_seed):
            node = seed_node[i]
            c = seed_cost[i]
            if c >= dist[node]:
                continue
            if dist[node] == INF_:
                touched[n_touched] = node
                n_touched += 1
            dist[node] = c
            pred_node[node] = -1
            pred_edge[node] = -1
            dx = self.node_x[node] - tx
            dy = self.node_y[node] - ty
            dz = self.node_z[node] - tz
            h = <int64_t>(self.h_scale * sqrt(dx * dx + dy * dy + dz * dz)) - 1
            size = _push(hk, hg, hn, size, c + (h if h > 0 else 0), c, node)
        while size > 0:
            key = hk[0]
            if key >= best:
                break
            g = hg[0]
            u = hn[0]
            size = _pop(hk, hg, hn, size)
            if g > dist[u]:
                continue
            for j in range(n_tgt):
                if tgt_node[j] == u and g + tgt_cost[j] < best:
                    best = g + tgt_cost[j]
                    best_slot = j
            for e in range(self.out_off[u], self.out_off[u + 1]):
                v = self.out_to[e]
                nd = g + self.out_cost[e]
                if nd < dist[v]:
                    if dist[v] == INF_:
                        touched[n_touched] = v
                        n_touched += 1
                    dist[v] = nd
                    pred_node[v] = u
                    pred_edge[v] = <int32_t>e
                    dx = self.node_x[v] - tx
                    dy = self.node_y[v] - ty
                    dz = self.node_z[v] - tz
                    h = <int64_t>(self.h_scale * sqrt(dx * dx + dy * dy + dz * dz)) - 1
                    size = _push(hk, hg, hn, size, nd + (h if h > 0 else 0), nd, v)
        slot_out[0] = best_slot
        n_touched_out[0] = n_touched
        return best


cdef inline void _reset(int64_t[::1] dist, int32_t[::1] touched, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        dist[touched[i]] = INF_


cdef object _tree_path(int32_t[::1] pred_node, int32_t[::1] pred_edge, int32_t end):
    """CSR edge indices of the search-tree path ending at ``end``, in travel order."""
    cdef Py_ssize_t n = 0, i
    cdef int32_t node = end
    while pred_node[node] >= 0:
        n += 1
        node = pred_node[node]
    out = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] v = out
    node = end
    for i in range(n - 1, -1, -1):
        v[i] = pred_edge[node]
        node = pred_node[node]
    return out


# ---------------------------------------------------------------- stop reach
cdef class ReachIndex:
    """The chain-contracted stop reach of one (mode, direction), as stored in the bundle."""

    cdef const int32_t[::1] seg_u, seg_v, c_fwd, c_bwd
    cdef const int32_t[::1] node_info, chains, r_off, ce_off, je_off, link_seg, link_stop
    cdef const int64_t[::1] prefix, r_adj, ce_data, je_data, stop_conn
    cdef const int32_t[::1] stop_seg
    cdef const double[::1] stop_t
    cdef int shift
    cdef bint flip, reverse

    def __init__(self, seg_u, seg_v, c_fwd, c_bwd, node_info, chains, prefix, r_off, r_adj,
                 ce_off, ce_data, je_off, je_data, link_seg, link_stop, stop_seg, stop_t,
                 stop_conn, int shift, bint flip, bint reverse):
        self.seg_u, self.seg_v, self.c_fwd, self.c_bwd = seg_u, seg_v, c_fwd, c_bwd
        self.node_info, self.chains, self.prefix = node_info, chains, prefix
        self.r_off, self.r_adj = r_off, r_adj
        self.ce_off, self.ce_data, self.je_off, self.je_data = ce_off, ce_data, je_off, je_data
        self.link_seg, self.link_stop = link_seg, link_stop
        self.stop_seg, self.stop_t, self.stop_conn = stop_seg, stop_t, stop_conn
        self.shift, self.flip, self.reverse = shift, flip, reverse

    def run(self, StreetWorkspace ws, int32_t seg, double t, int64_t conn, int64_t limit):
        """Stops reachable within ``limit`` ms from (reverse: to) location (seg, t, conn):
        (stop indices ascending, ceil seconds) arrays.

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

    cdef Py_ssize_t _seed(self, int32_t node, int64_t c, int64_t limit, int shift, int fo,
                          int64_t* dist, int32_t* touched, Py_ssize_t* n_touched, int32_t* nxt,
                          int32_t* prv, int32_t* head, int64_t* stop_best, int32_t* out_stop,
                          Py_ssize_t n_out) noexcept nogil:
        """One seed: a junction is queued; an inner node queues its chain's ends and offers its
        chain's entries. Returns the new n_out."""
        cdef int bo = 1 - fo, side, targets
        cdef int32_t cid = self.node_info[2 * node], slot, j, t_slot
        cdef int64_t d, along, last
        cdef Py_ssize_t i
        if c > limit:
            return n_out
        targets = 1 if cid < 0 else 2
        for side in range(targets):
            if cid < 0:
                j = self.node_info[2 * node + 1]
                d = c
            else:
                slot = self.node_info[2 * node + 1]
                if side == 0:                               # backward to a
                    j = self.chains[4 * cid]
                    along = self.prefix[2 * slot + bo] - self.prefix[2 * self.chains[4 * cid + 2] + bo]
                else:                                       # forward to b
                    j = self.chains[4 * cid + 1]
                    last = self.chains[4 * cid + 2] + self.chains[4 * cid + 3]
                    along = self.prefix[2 * last + fo] - self.prefix[2 * slot + fo]
                if j < 0 or along >= GAP_:
                    continue
                d = c + along
            if d <= limit and d < dist[j]:
                self._set(j, d, shift, dist, touched, n_touched, nxt, prv, head)
        if cid >= 0:
            slot = self.node_info[2 * node + 1]
            for i in range(self.ce_off[cid], self.ce_off[cid + 1]):
                t_slot = <int32_t>self.ce_data[3 * i]
                if t_slot >= slot:
                    along = self.prefix[2 * t_slot + fo] - self.prefix[2 * slot + fo]
                else:
                    along = self.prefix[2 * slot + bo] - self.prefix[2 * t_slot + bo]
                if along < GAP_:
                    n_out = self._offer(stop_best, out_stop, n_out, <int32_t>self.ce_data[3 * i + 1],
                                        c + along + self.ce_data[3 * i + 2], limit)
        return n_out

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
        cdef int shift = self.shift
        cdef int fo = 1 if self.flip else 0
        cdef int64_t cf = self.c_fwd[seg], cb = self.c_bwd[seg], c_to_u, c_to_v, g, nd, c
        cdef int32_t u = self.seg_u[seg], v = self.seg_v[seg], x, y, q, p, s
        while (limit >> shift) >= n_head:
            shift += 1
        cdef Py_ssize_t n_buckets = (limit >> shift) + 1
        for b in range(n_buckets):
            head[b] = -1
        # seeds as locations.leave (forward) / locations.arrive (reverse)
        c_to_u = cf if self.reverse else cb
        c_to_v = cb if self.reverse else cf
        if c_to_u >= 0:
            n_out = self._seed(u, _part(t, c_to_u) + conn, limit, shift, fo, dist, touched,
                               &n_touched, nxt, prv, head, stop_best, out_stop, n_out)
        if c_to_v >= 0:
            n_out = self._seed(v, _part(1.0 - t, c_to_v) + conn, limit, shift, fo, dist, touched,
                               &n_touched, nxt, prv, head, stop_best, out_stop, n_out)
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
                for k in range(self.je_off[x], self.je_off[x + 1]):
                    n_out = self._offer(stop_best, out_stop, n_out, <int32_t>self.je_data[2 * k],
                                        g + self.je_data[2 * k + 1], limit)
                for k in range(self.r_off[x], self.r_off[x + 1]):
                    y = <int32_t>self.r_adj[2 * k]
                    nd = g + self.r_adj[2 * k + 1]
                    if nd < dist[y] and nd <= limit:
                        self._set(y, nd, shift, dist, touched, &n_touched, nxt, prv, head)
        # stops linked to the location's own segment, walked along it
        if cf >= 0 or cb >= 0:
            lo = 0
            hi = self.link_seg.shape[0]
            while lo < hi:
                mid = (lo + hi) >> 1
                if self.link_seg[mid] < seg:
                    lo = mid + 1
                else:
                    hi = mid
            while lo < self.link_seg.shape[0] and self.link_seg[lo] == seg:
                s = self.link_stop[lo]
                if self.reverse:
                    c = _direct(self.stop_t[s], self.stop_conn[s], t, conn, cf, cb)
                else:
                    c = _direct(t, conn, self.stop_t[s], self.stop_conn[s], cf, cb)
                n_out = self._offer(stop_best, out_stop, n_out, s, c, limit)
                lo += 1
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
    cdef Py_ssize_t n_touched = 0, size = 0, n_out = 0, i, e, k
    cdef int64_t c, g, nd
    cdef int32_t node, u, v, s
    out_ms = np.empty(ws.v_out_stop.shape[0], dtype=np.int64)
    cdef int64_t[::1] ms = out_ms
    with nogil:
        for i in range(seed_node.shape[0]):
            node = seed_node[i]
            c = seed_cost[i]
            if c > limit or c >= dist[node]:
                continue
            if dist[node] == INF_:
                touched[n_touched] = node
                n_touched += 1
            dist[node] = c
            size = _push(hk, hg, hn, size, c, c, node)
        while size > 0:
            g = hg[0]
            u = hn[0]
            size = _pop(hk, hg, hn, size)
            if g > dist[u]:
                continue
            for e in range(off[u], off[u + 1]):
                v = to[e]
                nd = g + cost[e]
                if nd < dist[v] and nd <= limit:
                    if dist[v] == INF_:
                        touched[n_touched] = v
                        n_touched += 1
                    dist[v] = nd
                    size = _push(hk, hg, hn, size, nd, nd, v)
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
