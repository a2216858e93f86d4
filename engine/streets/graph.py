"""StreetGraph: read-only views over the bundle's streets/* arrays (zero-copy), mapped lazily.

QUERY TIME. Nothing is computed when a bundle opens: every array is mapped on first use (a
geocoding request never touches the street tables), and the compiled views of engine._streets
(snapping grid, per-mode route graphs, stop reach indexes) only wrap those arrays.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .. import _streets
from ..bundle.reader import Bundle
from ..errors import BundleError
from .hierarchy import Hierarchy, open_hierarchy
from .options import MODES

#: A* bound scale: 0.999 of the straight-line time at the mode's top speed, in ms per unit chord.
_H_MARGIN = 0.999
_EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, slots=True)
class ModeGraph:
    """One mode's directed graph: out-edges, and the per-segment costs (NO_VALUE = forbidden)."""

    mode: str
    out_off: np.ndarray
    out_to: np.ndarray
    out_cost: np.ndarray
    out_seg: np.ndarray
    c_fwd: np.ndarray          # per segment u -> v ms, NO_VALUE = forbidden
    c_bwd: np.ndarray          # per segment v -> u ms
    max_speed_mps: float       # for the A* bound
    symmetric: bool            # the walk graph is its own reverse

    def edges(self, reverse: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(off, to, cost, segment) of the out-CSR, or of its transpose for ``reverse``.

        The transpose is not stored in the bundle (queries search it through the reach index);
        it is derived here for the tests' reference searches only.
        """
        if not reverse or self.symmetric:
            return self.out_off, self.out_to, self.out_cost, self.out_seg
        n = len(self.out_off) - 1
        src = np.repeat(np.arange(n, dtype=np.int32), np.diff(self.out_off))
        order = np.lexsort((src, self.out_to))
        off = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(self.out_to, minlength=n), out=off[1:])
        return off, src[order], self.out_cost[order], self.out_seg[order]


class StreetGraph:
    """Nodes, segments, mode graphs, snapping grid and stop links of a bundle (no copies)."""

    def __init__(self, bundle: Bundle):
        if not bundle.has("streets/nodes"):
            raise BundleError(f"bundle {bundle.path} has no streets: build it with an OSM file")
        self.bundle = bundle
        tables = bundle.manifest["tables"]
        self.n_nodes = int(tables["streets/nodes"]["rows"])
        self.n_stops = int(tables["streets/stop_links"]["rows"]) if bundle.has("streets/stop_links") else 0
        self._local = threading.local()
        self._lock = threading.Lock()
        self._modes: dict[str, ModeGraph] = {}
        self._routes: dict[str, _streets.RouteGraph] = {}
        self._reach: dict[tuple[str, bool], _streets.ReachIndex] = {}

    # ------------------------------------------------------------------ tables, mapped on use
    @cached_property
    def _meta(self) -> dict:
        return self.bundle.table("streets/meta").to_pylist()[0]

    walk_speed_mps = property(lambda self: float(self._meta["walk_speed_mps"]))
    bike_speed_mps = property(lambda self: float(self._meta["bike_speed_mps"]))
    max_snap_m = property(lambda self: float(self._meta["max_snap_m"]))
    footpath_max_s = property(lambda self: int(self._meta["footpath_max_s"]))
    grid_cell_m = property(lambda self: float(self._meta["grid_cell_m"]))

    def _col(self, table: str, column: str) -> np.ndarray:
        return self.bundle.column(table, column)

    node_lat = cached_property(lambda self: self._col("streets/nodes", "lat"))
    node_lon = cached_property(lambda self: self._col("streets/nodes", "lon"))
    seg_u = cached_property(lambda self: self._col("streets/segments", "u"))
    seg_v = cached_property(lambda self: self._col("streets/segments", "v"))
    seg_way = cached_property(lambda self: self._col("streets/segments", "way_idx"))
    seg_length_m = cached_property(lambda self: self._col("streets/segments", "length_m"))
    seg_modes = cached_property(lambda self: self._col("streets/segments", "modes"))
    stop_lat = cached_property(lambda self: self._col("streets/stop_links", "lat")
                               if self.n_stops else np.empty(0))
    stop_lon = cached_property(lambda self: self._col("streets/stop_links", "lon")
                               if self.n_stops else np.empty(0))

    @cached_property
    def stop_links(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per mode: (segment, t, dist_m) of every stop."""
        if not self.n_stops:
            return {}
        return {mode: (self._col("streets/stop_links", f"{mode}_segment"),
                       self._col("streets/stop_links", f"{mode}_t"),
                       self._col("streets/stop_links", f"{mode}_dist_m")) for mode in MODES}

    @cached_property
    def snap_index(self) -> _streets.SnapIndex:
        """The compiled snapping grid (views over streets/grid, segments and nodes)."""
        off, seg = self.bundle.csr("streets/grid", "segments")
        m = self._meta
        return _streets.SnapIndex(self._col("streets/grid", "cell"), off, seg, self.seg_u, self.seg_v,
                                  self.seg_modes, self.node_lat, self.node_lon, float(m["grid_lat0"]),
                                  float(m["grid_lon0"]), float(m["grid_cos0"]), float(m["grid_cell_m"]))

    @property
    def modes(self) -> dict[str, ModeGraph]:
        return {mode: self.mode(mode) for mode in MODES}

    @property
    def hierarchies(self) -> dict[str, Hierarchy | None]:
        return {mode: open_hierarchy(self.bundle, mode) for mode in MODES}

    def mode(self, mode: str) -> ModeGraph:
        """The mode's graph (mapped on first use)."""
        graph = self._modes.get(mode)
        if graph is None:
            name = f"streets/{mode}_out"
            off, to = self.bundle.csr(name, "to")
            _, cost = self.bundle.csr(name, "cost_ms")
            _, seg = self.bundle.csr(name, "segment")
            speed = {"walk": self.walk_speed_mps, "bike": self.bike_speed_mps,
                     "car": float(self._meta["car_max_mps"])}[mode]
            graph = ModeGraph(mode, off, to, cost, seg, self._col("streets/segments", f"{mode}_fwd_ms"),
                              self._col("streets/segments", f"{mode}_bwd_ms"), speed, mode == "walk")
            self._modes[mode] = graph
        return graph

    def route_graph(self, mode: str) -> _streets.RouteGraph:
        """The compiled point-to-point view of a mode: its hierarchy, or A* when it has none."""
        view = self._routes.get(mode)
        if view is None:
            with self._lock:
                mg = self.mode(mode)
                ch = open_hierarchy(self.bundle, mode)
                if ch is not None:
                    view = _streets.RouteGraph(self.seg_u, self.seg_v, mg.c_fwd, mg.c_bwd, mg.out_off,
                                               mg.out_to, mg.out_cost, ch)
                else:   # A* needs unit-sphere node coordinates (bundles built without a hierarchy)
                    lat, lon = np.radians(self.node_lat), np.radians(self.node_lon)
                    xyz = (np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat))
                    view = _streets.RouteGraph(
                        self.seg_u, self.seg_v, mg.c_fwd, mg.c_bwd, mg.out_off, mg.out_to,
                        mg.out_cost, None, xyz, self.node_lat, self.node_lon,
                        _H_MARGIN * _EARTH_RADIUS_M * 1000.0 / mg.max_speed_mps)
                self._routes[mode] = view
        return view

    def reach_index(self, mode: str, reverse: bool) -> _streets.ReachIndex:
        """The compiled stop reach of (mode, direction), stored in the bundle at build time."""
        key = (mode, bool(reverse))
        view = self._reach.get(key)
        if view is None:
            from .reach_view import open_reach

            mg = self.mode(mode)
            stop_seg, stop_t, _ = self.stop_links[mode]
            view = open_reach(self.bundle, mode, reverse, self.seg_u, self.seg_v, mg.c_fwd,
                              mg.c_bwd, stop_seg, stop_t)
            self._reach[key] = view
        return view

    def workspace(self) -> _streets.StreetWorkspace:
        """This thread's workspace (kernels release the GIL, so threads must not share one)."""
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = _streets.StreetWorkspace(self.n_nodes, self._max_edges(), self.n_stops)
            self._local.ws = ws
        return ws

    def _max_edges(self) -> int:
        """Heap capacity: the most edges one search can push (a mode's out-CSR or hierarchy)."""
        rows = self.bundle.manifest["tables"]
        sizes = [len(self.mode(mode).out_to) for mode in MODES]
        sizes += [int(rows[f"streets/{m}_ch_edges"]["rows"]) for m in MODES if f"streets/{m}_ch_edges" in rows]
        return max(sizes)
