"""Plain references for the accessibility tests (test_reach_*, test_isochrone_*), written from
the documented rules and independent of engine._isochrone:

- ``node_ms``: a multi-source Dijkstra over EVERY street node (scipy.sparse.csgraph, a super
  source linked to each source's two segment nodes the way ``locations.leave`` says);
- ``reach_reference``: the street + transit composition of ``reach`` from that Dijkstra and
  ``Network.round_arrivals`` (one departure);
- ``percentile``: nearest rank over sorted minutes (R5: index ceil(P / 100 * n) - 1);
- ``GridRule``: the isochrone's grid rule, time(p) = min over street points q within a radius
  of (time(q) + |pq| / speed), by brute force over streets sampled every metre (an upper bound
  of the exact minimum, off by at most 0.5 m of walking).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from engine._types import EARTH_RADIUS_M, UNREACHED
from engine.streets.locations import leave

DEG_M = EARTH_RADIUS_M * math.pi / 180.0


def node_ms(graph, mode: str, seg, t, start_ms, limit_ms: int) -> np.ndarray:
    """float64 [n_nodes]: ms from the nearest source (segment, fraction, ms at the location),
    inf beyond ``limit_ms``."""
    mg = graph.mode(mode)
    off, to, cost, _ = mg.edges(False)
    n = graph.n_nodes
    src = np.repeat(np.arange(len(off) - 1, dtype=np.int64), np.diff(off))
    seed_node, seed_cost = [], []
    for s, f, ms in zip(np.asarray(seg).tolist(), np.asarray(t).tolist(), np.asarray(start_ms).tolist()):
        nodes, costs = leave(int(s), float(f), int(ms), graph.seg_u, graph.seg_v, mg.c_fwd, mg.c_bwd)
        seed_node += nodes.tolist()
        seed_cost += costs.tolist()
    rows = np.concatenate([src, np.full(len(seed_node), n, dtype=np.int64)])
    cols = np.concatenate([to.astype(np.int64), np.asarray(seed_node, dtype=np.int64)])
    # +1 on the super source's arcs: scipy drops explicit zeros of a sparse matrix
    weights = np.concatenate([cost.astype(np.float64), np.asarray(seed_cost, dtype=np.float64) + 1.0])
    key = rows * (n + 1) + cols
    order = np.lexsort((weights, key))               # parallel arcs: keep the cheapest
    first = np.r_[True, key[order][1:] != key[order][:-1]] if len(order) else np.zeros(0, bool)
    keep = order[first]
    matrix = csr_matrix((weights[keep], (rows[keep], cols[keep])), shape=(n + 1, n + 1))
    dist = dijkstra(matrix, indices=n)[:n] - 1.0
    return np.where(dist <= limit_ms, dist, np.inf)


def seconds(ms: np.ndarray) -> np.ndarray:
    """ceil(ms / 1000) as int64, UNREACHED where infinite."""
    out = np.full(len(ms), UNREACHED, dtype=np.int64)
    ok = np.isfinite(ms)
    out[ok] = np.ceil(ms[ok] / 1000.0 - 1e-9).astype(np.int64)
    return out


def reach_reference(net, origin: tuple[float, float], date, start_s: int, mode: str, max_time_s: int,
                    max_rounds: int = 5, max_access_s: int = 900, min_change_s: int = 60):
    """(node seconds, stop seconds) int64 arrays for one departure: the walk from the snapped
    origin and, from every stop RAPTOR reaches, the walk on from its link."""
    g = net.streets.graph
    snap = net.streets.snap(origin[0], origin[1], mode, "origin")
    limit = max_time_s * 1000
    walk = node_ms(g, mode, [snap.segment], [snap.t], [snap.conn_ms], limit)
    stop_s = np.full(g.n_stops, UNREACHED, dtype=np.int64)
    transit = np.full(g.n_nodes, np.inf)
    if net.timetable is not None and date is not None:
        access_stops, access_s = _through_stations(net, net.streets.stops_within(origin[0], origin[1], mode,
                                                                                  max_access_s), max_access_s)
        best = np.full(net.timetable.n_stops, UNREACHED, dtype=np.int64)
        if len(access_stops):
            best = net.round_arrivals(access_stops, start_s + access_s, date, max_rounds,
                                      min_change_time=min_change_s, walk_before_first=False)[-1]
        # (stops inside a station enter the streets through its entrances: the bundle's station
        # gates, inside stop -> entrance)
        seed = np.where(_inside(net), UNREACHED, best).astype(np.int64)
        for s, e, t in _gates(net):
            if best[s] < UNREACHED and net.timetable.stop_location_type[e] == 2:
                seed[e] = min(seed[e], int(best[s]) + t)
        best_seed = seed
        reached = np.flatnonzero(best_seed < UNREACHED)
        table = f"streets/{mode}_junctions"
        conn = net.bundle.csr(table, "stop_conn_ms")[1]
        seg, t, _ = g.stop_links[mode]
        linked = reached[seg[reached] >= 0]
        start = (best_seed[linked].astype(np.int64) - start_s) * 1000 + conn[linked]
        ok = start <= limit
        if ok.any():
            transit = node_ms(g, mode, seg[linked][ok], t[linked][ok], start[ok], limit)
        every = np.flatnonzero(best < UNREACHED)
        stop_s[every] = best[every] - start_s
        street_stops, street_s = _through_stations(net, net.streets.stops_within(origin[0], origin[1], mode,
                                                                                  max_time_s), max_time_s)
        stop_s[street_stops] = np.minimum(stop_s[street_stops], street_s)
        stop_s[stop_s > max_time_s] = UNREACHED
    nodes = np.minimum(seconds(walk), seconds(transit))
    return nodes, stop_s


def _inside(net) -> np.ndarray:
    """bool per stop: inside a station with pathways (timetable/stops.street_step_free bit 4)."""
    return (np.asarray(net.bundle.column("timetable/stops", "street_step_free")) & 4) != 0


def _gates(net) -> list[tuple[int, int, int]]:
    """(from, to, seconds) of the bundle's station gates (walks between entrances and the stops
    inside), none without."""
    if not net.bundle.has("timetable/station_gates"):
        return []
    offsets, to = net.bundle.csr("timetable/station_gates", "to")
    _, dur = net.bundle.csr("timetable/station_gates", "duration")
    return [(s, int(to[e]), int(dur[e])) for s in range(len(offsets) - 1) for e in range(offsets[s], offsets[s + 1])]


def _through_stations(net, reach, limit_s: int) -> tuple[np.ndarray, np.ndarray]:
    """The stops a street walk reaches, as plan() says (engine/timetable/station_access.py): a
    stop inside a station through an entrance (the walk to it plus the bundle's station gate
    from it), entrances left out; the others as the street reaches them."""
    tt = net.timetable
    inside, entrance = _inside(net), np.asarray(tt.stop_location_type) == 2
    gates: dict[int, list] = {}
    for a, b, t in _gates(net):
        if entrance[a]:
            gates.setdefault(a, []).append((b, t))
    best: dict[int, int] = {}
    for s, d in zip(np.asarray(reach.stop_idx).tolist(), np.asarray(reach.duration_s).tolist()):
        if entrance[s]:
            for p, t in gates.get(s, ()):
                best[p] = min(best.get(p, UNREACHED), d + t)
        elif not inside[s]:
            best[s] = min(best.get(s, UNREACHED), d)
    stops = np.array([s for s, d in best.items() if d <= limit_s], np.int32)
    return stops, np.array([best[s] for s in stops.tolist()], np.int32)


def percentile(times: np.ndarray, p: int) -> np.ndarray:
    """Nearest rank over axis 0 (minutes), R5's: sorted[ceil(p / 100 * n) - 1]."""
    n = times.shape[0]
    k = max(0, math.ceil(p / 100 * n) - 1)
    return np.sort(times, axis=0)[k]


class GridRule:
    """time(p) = min over street points q with |pq| <= radius of time(q) + |pq| / speed, in the
    local equirectangular plane (origin: the median node), streets sampled every metre."""

    def __init__(self, graph, mode: str, node_s: np.ndarray, speed: float, limit_s: float):
        self.lat0 = float(np.median(graph.node_lat))
        self.lon0 = float(np.median(graph.node_lon))
        self.cos0 = math.cos(math.radians(self.lat0))
        self.speed = speed
        x, y = self.xy(graph.node_lon, graph.node_lat)
        mg = graph.mode(mode)
        tn = np.where(node_s < UNREACHED, node_s, np.inf).astype(np.float64)
        u, v = graph.seg_u.astype(np.int64), graph.seg_v.astype(np.int64)
        fwd, bwd = mg.c_fwd >= 0, mg.c_bwd >= 0
        segs = np.flatnonzero((fwd & (tn[u] < limit_s)) | (bwd & (tn[v] < limit_s)))
        a, b = u[segs], v[segs]
        length = np.hypot(x[b] - x[a], y[b] - y[a])
        cost_s = np.maximum(mg.c_fwd[segs], mg.c_bwd[segs]) / 1000.0
        self.seg_length, self.seg_cost_s = length, cost_s
        n = np.maximum(2, np.ceil(length).astype(np.int64) + 1)     # points <= 1 m apart
        k = np.repeat(np.arange(len(segs)), n)
        start = np.repeat(np.cumsum(n) - n, n)
        f = (np.arange(len(k)) - start) / (n[k] - 1)
        tau = np.full(len(k), np.inf)
        sf, sb = fwd[segs][k], bwd[segs][k]
        tau[sf] = tn[a[k]][sf] + f[sf] * mg.c_fwd[segs][k][sf] / 1000.0
        back = tn[b[k]] + (1.0 - f) * mg.c_bwd[segs][k] / 1000.0
        tau[sb] = np.minimum(tau[sb], back[sb])
        reached = np.flatnonzero(tn < limit_s)        # a node none of whose segments is usable
        self.px = np.concatenate([x[a[k]] + f * (x[b[k]] - x[a[k]]), x[reached]])
        self.py = np.concatenate([y[a[k]] + f * (y[b[k]] - y[a[k]]), y[reached]])
        self.pt = np.concatenate([tau, tn[reached]])
        self.tree = cKDTree(np.column_stack([self.px, self.py])) if len(self.px) else None

    def sampling_slack(self, step: float) -> float:
        """Most that sampling the streets every ``step`` metres (nodes included) can add to the
        rule's time: half a step (or half a shorter segment) walked on the street and off it."""
        if not len(self.seg_length):
            return 0.0
        half = np.minimum(step, self.seg_length) / 2.0
        rate = self.seg_cost_s / np.maximum(self.seg_length, 1e-9)
        return float(np.max(half * (rate + 1.0 / self.speed)))

    def xy(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        return (lon - self.lon0) * self.cos0 * DEG_M, (lat - self.lat0) * DEG_M

    def time(self, lon, lat, radius: float) -> np.ndarray:
        """The rule's time (seconds, inf when no street point within ``radius``) at points."""
        x, y = self.xy(lon, lat)
        out = np.full(len(x), np.inf)
        if self.tree is None:
            return out
        for i, near in enumerate(self.tree.query_ball_point(np.column_stack([x, y]), radius)):
            if near:
                near = np.asarray(near)
                d = np.hypot(self.px[near] - x[i], self.py[near] - y[i])
                out[i] = float(np.min(self.pt[near] + d / self.speed))
        return out
