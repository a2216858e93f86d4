"""StreetNetwork: street queries over a bundle — snap, point-to-point routes, stops within reach."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._types import EARTH_RADIUS_M
from ..bundle.reader import Bundle, open_bundle
from ..errors import InvalidQueryError, NoRouteError
from . import _ch_kernels, _kernels, _reach_kernels
from .graph import ModeGraph, StreetGraph
from .locations import arrive, direct, entry_csr, leave
from .options import MODES, check_mode
from .reach import (ChainGraph, ReachIndex, build_chain_graph, build_reach_index, is_transpose,
                    reach_args)
from .snap import Snap, snap_location, snap_point

#: A* bound scale: 0.999 of the straight-line time at the mode's top speed, in ms per unit chord.
_H_MARGIN = 0.999
#: Reach limits above this (~35,000 years) are cut to it, so limit * 1000 fits the int64 kernels.
_MAX_LIMIT_S = 1 << 40


@dataclass(frozen=True, slots=True)
class StreetRoute:
    """A street-only route: distance in metres, duration in whole seconds (ceil), geometry."""

    mode: str
    distance_m: float
    duration_s: int
    geometry: list[tuple[float, float]] = field(default_factory=list)   # (lat, lon), point to point
    duration_ms: int = 0

    def to_dict(self) -> dict:
        return {"mode": self.mode, "distance_m": round(self.distance_m, 1),
                "duration_s": self.duration_s,
                "geometry": [[round(lat, 7), round(lon, 7)] for lat, lon in self.geometry]}


class StopReach(NamedTuple):
    """Stops reached from (or, reverse, reaching) a point: parallel int32 arrays."""

    stop_idx: np.ndarray
    duration_s: np.ndarray


@dataclass(frozen=True, slots=True)
class _Loc:
    seg: int
    t: float
    conn: int
    point: tuple[float, float]
    proj: tuple[float, float]
    dist_m: float


class StreetNetwork:
    """Open once, then ask: ``snap``, ``route``, ``stops_within``, ``path_between_stops``."""

    def __init__(self, graph: StreetGraph):
        self.graph = graph
        self._entries: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._chain_graphs: dict[tuple[str, str], ChainGraph] = {}
        self._reach_indexes: dict[tuple[str, bool], ReachIndex] = {}
        self._reach_args: dict[tuple[str, bool], tuple] = {}

    @classmethod
    def open(cls, bundle: Bundle | str | os.PathLike, warmup: bool = True) -> "StreetNetwork":
        """Street view over an open bundle (or a bundle path); warmup runs every query kernel once."""
        if not isinstance(bundle, Bundle):
            bundle = open_bundle(bundle)
        net = cls(StreetGraph(bundle))
        if warmup:
            net.warmup()
        return net

    def warmup(self) -> None:
        """Load the compiled kernels and touch the arrays so no request pays for it."""
        g = self.graph
        g.node_xyz()
        for mode in MODES:
            seg = np.flatnonzero(g.seg_modes & {"walk": 1, "bike": 2, "car": 4}[mode])
            if len(seg) == 0:
                continue
            s = int(seg[0])
            loc = _Loc(s, 0.5, 0, (0.0, 0.0), (0.0, 0.0), 0.0)
            self._route_locs(loc, loc, mode)
            for reverse in (False, True):
                self._reach(loc, mode, 1, reverse)     # also builds the mode's reach indexes

    # ------------------------------------------------------------------ public queries
    def snap(self, lat: float, lon: float, mode: str = "walk", parameter: str = "point") -> Snap:
        """Nearest usable segment; InvalidQueryError (naming ``parameter``) when too far or invalid."""
        return snap_point(self.graph, lat, lon, mode, parameter)

    def route(self, from_lat: float, from_lon: float, to_lat: float, to_lon: float,
              mode: str = "walk") -> StreetRoute:
        """Shortest-time street route between two coordinates (exact A*)."""
        check_mode(mode)
        a = self._loc(self.snap(from_lat, from_lon, mode, "from"))
        b = self._loc(self.snap(to_lat, to_lon, mode, "to"))
        return self._route_locs(a, b, mode)

    def stops_within(self, lat: float, lon: float, mode: str = "walk", max_duration_s: int = 900,
                     reverse: bool = False, parameter: str = "point") -> StopReach:
        """Linked stops reachable from the point (reverse=True: that reach the point) in time.

        Durations are ceil(ms / 1000) of the street time including both off-street connectors;
        the walk graph is symmetric, so for walking both directions give the same times. Use
        reverse=True for egress (stop -> destination) by bike or car. ``parameter`` names the
        point in errors ("from", "to").
        """
        check_mode(mode)
        try:
            limit_s = int(max_duration_s)
        except (TypeError, ValueError):
            raise InvalidQueryError(f"max_duration_s must be an integer, got {max_duration_s!r}",
                                    "max_duration_s") from None
        if limit_s < 0:
            raise InvalidQueryError(f"max_duration_s must be >= 0, got {max_duration_s!r}",
                                    "max_duration_s")
        seg, t, conn = snap_location(self.graph, lat, lon, mode, parameter)
        if not self.graph.n_stops:
            return StopReach(np.empty(0, np.int32), np.empty(0, np.int32))
        return self._reach_seg(seg, t, conn, mode, min(limit_s, _MAX_LIMIT_S), bool(reverse))

    def path_between_stops(self, from_stop_idx: int, to_stop_idx: int, mode: str = "walk") -> StreetRoute:
        """The street walk between two linked stops (geometry of a footpath leg)."""
        check_mode(mode)
        a = self._stop_loc(from_stop_idx, mode, "from_stop_idx")
        b = self._stop_loc(to_stop_idx, mode, "to_stop_idx")
        return self._route_locs(a, b, mode)

    # ------------------------------------------------------------------ internals
    def _loc(self, snap: Snap) -> _Loc:
        return _Loc(snap.segment, snap.t, snap.conn_ms, (snap.point_lat, snap.point_lon),
                    (snap.lat, snap.lon), snap.distance_m)

    def _stop_loc(self, stop_idx: int, mode: str, parameter: str) -> _Loc:
        g = self.graph
        if not (isinstance(stop_idx, (int, np.integer)) and 0 <= stop_idx < g.n_stops):
            raise InvalidQueryError(f"{parameter} must be a stop index in [0, {g.n_stops}), got {stop_idx!r}",
                                    parameter)
        seg_arr, t_arr, dist_arr = g.stop_links[mode]
        seg = int(seg_arr[stop_idx])
        if seg < 0:
            raise InvalidQueryError(f"stop {stop_idx} is not linked to the {mode} streets", parameter)
        t = float(t_arr[stop_idx])
        dist = float(dist_arr[stop_idx])
        u, v = g.seg_u[seg], g.seg_v[seg]
        proj = (float(g.node_lat[u] + t * (g.node_lat[v] - g.node_lat[u])),
                float(g.node_lon[u] + t * (g.node_lon[v] - g.node_lon[u])))
        conn = int(np.ceil(dist * 1000.0 / g.walk_speed_mps))
        return _Loc(seg, t, conn, (float(g.stop_lat[stop_idx]), float(g.stop_lon[stop_idx])), proj, dist)

    def _route_locs(self, a: _Loc, b: _Loc, mode: str) -> StreetRoute:
        g = self.graph
        mg: ModeGraph = g.modes[mode]
        seed_node, seed_cost = leave(a.seg, a.t, a.conn, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
        tgt_node, tgt_cost = arrive(b.seg, b.t, b.conn, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
        best = _kernels.INF
        if a.seg == b.seg:
            d = direct(a.seg, a.t, a.conn, b.t, b.conn, mg.c_fwd, mg.c_bwd)
            if d is not None:
                best = d
        ch = g.hierarchies.get(mode)
        if ch is not None:
            found = self._search_ch(ch, seed_node, seed_cost, tgt_node, tgt_cost, best)
        else:
            found = self._search_astar(mg, b, seed_node, seed_cost, tgt_node, tgt_cost, best)
        if found is None:
            raise NoRouteError(f"no {mode} route between the two points")
        cost, edges = found
        if edges is None:       # along the shared segment
            length = abs(b.t - a.t) * float(g.seg_length_m[a.seg])
            return self._result(mode, cost, a, b, [], length)
        segs = mg.out_seg[edges]
        heads = mg.out_to[edges]
        if len(edges) == 0:     # entered and left the graph at the same node
            start = end = self._single_node(seed_node, seed_cost, tgt_node, tgt_cost)
        else:
            start = int(np.where(g.seg_u[segs[0]] == heads[0], g.seg_v[segs[0]], g.seg_u[segs[0]]))
            end = int(heads[-1])
        nodes = np.concatenate([[start], heads]).astype(np.int64)
        length = float(g.seg_length_m[segs].sum())
        length += (a.t if start == g.seg_u[a.seg] else 1.0 - a.t) * float(g.seg_length_m[a.seg])
        length += (b.t if end == g.seg_u[b.seg] else 1.0 - b.t) * float(g.seg_length_m[b.seg])
        return self._result(mode, cost, a, b, nodes, length)

    @staticmethod
    def _single_node(seed_node, seed_cost, tgt_node, tgt_cost) -> int:
        """The node through which a path without edges passes (cheapest seed + target pair)."""
        best, node = None, -1
        for n_s, c_s in zip(seed_node.tolist(), seed_cost.tolist()):
            for n_t, c_t in zip(tgt_node.tolist(), tgt_cost.tolist()):
                if n_s == n_t and (best is None or c_s + c_t < best):
                    best, node = c_s + c_t, n_s
        return node

    def _search_astar(self, mg: ModeGraph, b: _Loc, seed_node, seed_cost, tgt_node, tgt_cost, best):
        """(cost, out-CSR edges or None for the direct same-segment walk) or None if unreachable."""
        g = self.graph
        x, y, z = g.node_xyz()
        tx, ty, tz = _unit_vector(*b.proj)
        h_scale = _H_MARGIN * EARTH_RADIUS_M * 1000.0 / mg.max_speed_mps
        ws = g.workspace()
        cost, slot, n_touched = _kernels.run_astar(
            mg.out_off, mg.out_to, mg.out_cost, x, y, z, seed_node, seed_cost, tgt_node, tgt_cost,
            tx, ty, tz, h_scale, np.int64(best), ws.dist, ws.pred_node, ws.pred_edge, ws.touched,
            ws.hk, ws.hg, ws.hn)
        try:
            if cost >= _kernels.INF:
                return None
            if slot < 0:
                return cost, None
            return cost, _kernels.run_path(ws.pred_node, ws.pred_edge, int(tgt_node[slot]))
        finally:
            _kernels.run_reset(ws.dist, ws.touched, n_touched)

    def _search_ch(self, ch, seed_node, seed_cost, tgt_node, tgt_cost, best):
        """Same contract as _search_astar, on the contraction hierarchy."""
        ws = self.graph.workspace()
        cost, meet, nf, nb = _ch_kernels.run_ch_query(
            ch.up_off, ch.up_to, ch.up_w, ch.up_e, ch.dn_off, ch.dn_to, ch.dn_w, ch.dn_e,
            seed_node, seed_cost, tgt_node, tgt_cost, np.int64(best), ws.dist, ws.dist_b,
            ws.pred_node, ws.pred_edge, ws.pred_node_b, ws.pred_edge_b, ws.touched, ws.touched_b,
            ws.hk, ws.hg, ws.hn, ws.hk_b, ws.hg_b, ws.hn_b)
        try:
            if cost >= _kernels.INF:
                return None
            if meet < 0:
                return cost, None
            return cost, _ch_kernels.run_ch_path(ws.pred_node, ws.pred_edge, ws.pred_node_b,
                                                 ws.pred_edge_b, meet, ch.child_a, ch.child_b,
                                                 ch.csr_edge)
        finally:
            _ch_kernels.run_ch_reset(ws.dist, ws.touched, nf)
            _ch_kernels.run_ch_reset(ws.dist_b, ws.touched_b, nb)

    def _result(self, mode: str, cost_ms: int, a: _Loc, b: _Loc, nodes, street_m: float) -> StreetRoute:
        g = self.graph
        points = [a.point, a.proj]
        points += list(zip(g.node_lat[nodes].tolist(), g.node_lon[nodes].tolist()))
        points += [b.proj, b.point]
        geometry = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
        distance = street_m + a.dist_m + b.dist_m
        return StreetRoute(mode, distance, int(-(-int(cost_ms) // 1000)), geometry, int(cost_ms))

    def _entry(self, mode: str, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (mode, kind)
        if key not in self._entries:
            g = self.graph
            mg = g.modes[mode]
            seg, t, dist = g.stop_links[mode]
            conn = np.where(seg >= 0, np.ceil(dist * 1000.0 / g.walk_speed_mps), 0).astype(np.int64)
            arrays = entry_csr(g.n_nodes, seg, t, conn, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd,
                               kind) + (conn,)
            for a in arrays:
                a.flags.writeable = False      # shared by the threads; the kernels take read-only
            self._entries[key] = arrays
        return self._entries[key]

    def _reach_index(self, mode: str, reverse: bool) -> ReachIndex:
        """The chain-contracted search index of (mode, direction), built on first use (warmup)."""
        key = (mode, reverse)
        index = self._reach_indexes.get(key)
        if index is None:
            g = self.graph
            mg = g.modes[mode]
            chain_graph, flip = self._chain_graph(mode, "out"), False
            if reverse and mg.in_off is not mg.out_off:
                # the in-CSR is the out-CSR's transpose: same chains, searched the other way
                if is_transpose(mg.out_off, mg.out_to, mg.out_cost, mg.in_off, mg.in_to, mg.in_cost):
                    flip = True
                else:
                    chain_graph = self._chain_graph(mode, "in")
            entry_off, entry_stop, entry_ms, conn = self._entry(mode, "leave" if reverse else "arrive")
            index = build_reach_index(chain_graph, entry_off, entry_stop, entry_ms, flip)
            stop_seg, stop_t, _ = g.stop_links[mode]
            self._reach_args[key] = reach_args(index, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd,
                                               entry_off, entry_stop, stop_seg, stop_t, conn)
            self._reach_indexes[key] = index
        return index

    def _chain_graph(self, mode: str, side: str) -> ChainGraph:
        chain_graph = self._chain_graphs.get((mode, side))
        if chain_graph is None:
            off, to, cost, _ = self.graph.modes[mode].edges(side == "in")
            chain_graph = build_chain_graph(off, to, cost)
            self._chain_graphs[(mode, side)] = chain_graph
        return chain_graph

    def _reach(self, loc: _Loc, mode: str, limit_s: int, reverse: bool) -> StopReach:
        return self._reach_seg(loc.seg, loc.t, loc.conn, mode, limit_s, reverse)

    def _reach_seg(self, seg: int, t: float, conn: int, mode: str, limit_s: int,
                   reverse: bool) -> StopReach:
        """Stops within limit_s of location (seg, t, conn): chain-contracted bounded search."""
        args = self._reach_args.get((mode, reverse))
        if args is None:
            self._reach_index(mode, reverse)
            args = self._reach_args[(mode, reverse)]
        ws = self.graph.workspace()
        n = _reach_kernels.run_reach(seg, t, conn, reverse, limit_s * 1000, *args, ws.dist,
                                     ws.touched, ws.pred_node, ws.pred_edge, ws.bucket_head,
                                     ws.stop_best, ws.out_stop, ws.out_s)
        return StopReach(ws.out_stop[:n].copy(), ws.out_s[:n].copy())

    def _reach_dijkstra(self, loc: _Loc, mode: str, limit_s: int, reverse: bool) -> StopReach:
        """Reference for _reach: plain bounded Dijkstra over every node (_kernels.run_to_stops)."""
        g = self.graph
        mg = g.modes[mode]
        if reverse:
            seed_node, seed_cost = arrive(loc.seg, loc.t, loc.conn, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
        else:
            seed_node, seed_cost = leave(loc.seg, loc.t, loc.conn, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
        entry_off, entry_stop, entry_ms, conn = self._entry(mode, "leave" if reverse else "arrive")
        off, to, cost, _ = mg.edges(reverse)
        stop_seg, stop_t, _ = g.stop_links[mode]
        ws = g.workspace()
        n = _kernels.run_to_stops(
            off, to, cost, seed_node, seed_cost, np.int64(limit_s) * 1000, entry_off, entry_stop,
            entry_ms, loc.seg, loc.t, loc.conn, stop_seg, stop_t, conn, mg.c_fwd, mg.c_bwd,
            g.seg_u, g.seg_v, reverse, ws.dist, ws.pred_node, ws.pred_edge, ws.touched, ws.hk,
            ws.hg, ws.hn, ws.stop_best, ws.out_stop, ws.out_ms)
        stops = ws.out_stop[:n].copy()
        secs = ((ws.out_ms[:n] + 999) // 1000).astype(np.int32)
        order = np.argsort(stops, kind="stable")
        return StopReach(stops[order], secs[order])


def _unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = np.radians(lat), np.radians(lon)
    return float(np.cos(la) * np.cos(lo)), float(np.cos(la) * np.sin(lo)), float(np.sin(la))
