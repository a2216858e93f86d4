"""StreetNetwork: street queries over a bundle — snap, point-to-point routes, stops within reach."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..bundle.reader import Bundle, open_bundle
from ..errors import InvalidQueryError, NoRouteError
from .graph import StreetGraph
from .locations import arrive, direct, entry_csr, leave
from .options import MODES, check_mode
from .snap import Snap, snap_location, snap_point

#: Reach limits above this (~35,000 years) are cut to it, so limit * 1000 fits the int64 kernels.
_MAX_LIMIT_S = 1 << 40


class StreetRoute:
    """A street-only route: distance in metres, duration in whole seconds (ceil), geometry.

    ``geometry`` ((lat, lon) tuples, point to point, no repeated point) is built on first access
    from the path's coordinate arrays: most callers only read the duration.
    """

    __slots__ = ("mode", "distance_m", "duration_s", "duration_ms", "_lat", "_lon", "_geometry")

    def __init__(self, mode: str, distance_m: float, duration_s: int, lat: np.ndarray,
                 lon: np.ndarray, duration_ms: int = 0):
        self.mode, self.distance_m, self.duration_s = mode, distance_m, duration_s
        self.duration_ms = duration_ms
        self._lat, self._lon = lat, lon
        self._geometry = None

    @property
    def geometry(self) -> list[tuple[float, float]]:
        if self._geometry is None:
            lat, lon = self._lat, self._lon
            keep = np.ones(len(lat), dtype=bool)
            keep[1:] = (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1])
            self._geometry = list(zip(lat[keep].tolist(), lon[keep].tolist()))
        return self._geometry

    def __repr__(self) -> str:
        return (f"StreetRoute(mode={self.mode!r}, distance_m={self.distance_m:.1f}, "
                f"duration_s={self.duration_s}, points={len(self.geometry)})")

    def to_dict(self) -> dict:
        """JSON-ready: distance to 0.1 m, geometry as [lat, lon] pairs to 7 decimals (~1 cm)."""
        return {"mode": self.mode, "distance_m": round(float(self.distance_m), 1),
                "duration_s": int(self.duration_s),
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

    @classmethod
    def open(cls, bundle: Bundle | str | os.PathLike, warmup: bool = False) -> "StreetNetwork":
        """Street view over an open bundle (or a bundle path). Nothing is computed or compiled:
        the kernels are compiled at install and the arrays are mapped on first use;
        ``warmup`` allocates this thread's workspace ahead of the first request."""
        if not isinstance(bundle, Bundle):
            bundle = open_bundle(bundle)
        net = cls(StreetGraph(bundle))
        if warmup:
            net.warmup()
        return net

    def warmup(self) -> None:
        """Map the street arrays, wrap them in the compiled views and allocate this thread's
        workspace, so that the first request does not pay for it (a few ms)."""
        g = self.graph
        g.snap_index
        for mode in MODES:
            g.route_graph(mode)
            if g.n_stops:
                g.reach_index(mode, False)
                g.reach_index(mode, True)
        g.workspace()

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
        found = g.route_graph(mode).route(g.workspace(), a.seg, a.t, a.conn, b.seg, b.t, b.conn)
        if found is None:
            raise NoRouteError(f"no {mode} route between the two points")
        cost, (lat, lon), street_m = found
        return self._result(mode, cost, a, b, lat, lon, street_m)

    @staticmethod
    def _result(mode: str, cost_ms: int, a: _Loc, b: _Loc, lat: np.ndarray, lon: np.ndarray,
                street_m: float) -> StreetRoute:
        """The route from the path's node coordinates (lat, lon have two free slots at each end:
        the points and their projections)."""
        lat[0], lat[1], lat[-2], lat[-1] = a.point[0], a.proj[0], b.proj[0], b.point[0]
        lon[0], lon[1], lon[-2], lon[-1] = a.point[1], a.proj[1], b.proj[1], b.point[1]
        distance = street_m + a.dist_m + b.dist_m
        return StreetRoute(mode, distance, int(-(-int(cost_ms) // 1000)), lat, lon, int(cost_ms))

    def _reach(self, loc: _Loc, mode: str, limit_s: int, reverse: bool) -> StopReach:
        return self._reach_seg(loc.seg, loc.t, loc.conn, mode, limit_s, reverse)

    def _reach_seg(self, seg: int, t: float, conn: int, mode: str, limit_s: int,
                   reverse: bool) -> StopReach:
        """Stops within limit_s of location (seg, t, conn): chain-contracted bounded search."""
        g = self.graph
        stops, secs = g.reach_index(mode, reverse).run(g.workspace(), seg, t, conn, limit_s * 1000)
        return StopReach(stops, secs)

    def _reach_dijkstra(self, loc: _Loc, mode: str, limit_s: int, reverse: bool) -> StopReach:
        """Reference for _reach (the tests'): a plain bounded Dijkstra over every node, through
        the stop entry CSR derived here, plus the stops on the location's own segment."""
        from .._streets import StreetWorkspace, run_to_stops

        g = self.graph
        mg = g.mode(mode)
        locate = arrive if reverse else leave
        seed_node, seed_cost = locate(loc.seg, loc.t, loc.conn, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
        stop_seg, stop_t, stop_dist = g.stop_links[mode]
        conn = np.where(stop_seg >= 0, np.ceil(stop_dist * 1000.0 / g.walk_speed_mps), 0).astype(np.int64)
        entry_off, entry_stop, entry_ms = entry_csr(g.n_nodes, stop_seg, stop_t, conn, g.seg_u, g.seg_v,
                                                    mg.c_fwd, mg.c_bwd, "leave" if reverse else "arrive")
        off, to, cost, _ = mg.edges(reverse)
        limit = int(limit_s) * 1000
        ws = StreetWorkspace(g.n_nodes, len(to), g.n_stops)       # sized for the node graph
        stops, ms = run_to_stops(off, to, cost, seed_node, seed_cost, limit, entry_off, entry_stop,
                                 entry_ms, ws)
        best = dict(zip(stops.tolist(), ms.tolist()))
        for s in np.flatnonzero(stop_seg == loc.seg).tolist():
            if reverse:
                c = direct(loc.seg, float(stop_t[s]), int(conn[s]), loc.t, loc.conn, mg.c_fwd, mg.c_bwd)
            else:
                c = direct(loc.seg, loc.t, loc.conn, float(stop_t[s]), int(conn[s]), mg.c_fwd, mg.c_bwd)
            if c is not None and c <= limit and c < best.get(s, c + 1):
                best[s] = c
        order = sorted(best)
        return StopReach(np.asarray(order, dtype=np.int32),
                         np.asarray([(best[s] + 999) // 1000 for s in order], dtype=np.int32))
