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
from .options import MODES, SYMMETRIC_MODES

@dataclass(frozen=True, slots=True)
class ModeGraph:
    """One mode's per-segment costs (NO_VALUE = forbidden); the node-level graph on demand."""

    mode: str
    seg_u: np.ndarray
    seg_v: np.ndarray
    c_fwd: np.ndarray          # per segment u -> v ms
    c_bwd: np.ndarray          # per segment v -> u ms
    max_speed_mps: float

    def edges(self, reverse: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(off, to, cost, segment): the node-level out-CSR (or its transpose for ``reverse``).

        Queries never use it (they search the junction graph); it is derived here from the
        segments for the tests' reference searches, sorted by (node, neighbour).
        """
        n = int(max(self.seg_u.max(initial=-1), self.seg_v.max(initial=-1))) + 1
        fw, bw = self.c_fwd >= 0, self.c_bwd >= 0
        seg = np.arange(len(self.seg_u), dtype=np.int32)
        src = np.concatenate([self.seg_u[fw], self.seg_v[bw]])
        dst = np.concatenate([self.seg_v[fw], self.seg_u[bw]])
        cost = np.concatenate([self.c_fwd[fw], self.c_bwd[bw]])
        seg = np.concatenate([seg[fw], seg[bw]])
        if reverse:
            src, dst = dst, src
        order = np.lexsort((dst, src))
        off = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(src, minlength=n), out=off[1:])
        return (off, dst[order].astype(np.int32), cost[order].astype(np.int32),
                seg[order].astype(np.int32))


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
        self._modes: dict[str, ModeGraph] = {}
        self._chains: dict[str, _streets.ModeChains] = {}
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

    @cached_property
    def _topology(self) -> tuple[np.ndarray, ...]:
        flat = lambda column: self.bundle.csr("streets/topology", column)[1]      # noqa: E731
        return flat("chain_offsets"), flat("chain_a"), flat("chain_b"), flat("junction_node")

    @property
    def n_junctions(self) -> int:
        return len(self._topology[3])

    def mode(self, mode: str) -> ModeGraph:
        """The mode's per-segment costs (mapped on first use)."""
        graph = self._modes.get(mode)
        if graph is None:
            speed = {"walk": self.walk_speed_mps, "bike": self.bike_speed_mps,
                     "car": float(self._meta["car_max_mps"]), "wheelchair": self.walk_speed_mps}[mode]
            if mode in SYMMETRIC_MODES:     # one column for both directions
                fwd = bwd = self._col("streets/segments", f"{mode}_ms")
            else:
                fwd = self._col("streets/segments", f"{mode}_fwd_ms")
                bwd = self._col("streets/segments", f"{mode}_bwd_ms")
            graph = ModeGraph(mode, self.seg_u, self.seg_v, fwd, bwd, speed)
            self._modes[mode] = graph
        return graph

    def chains(self, mode: str) -> _streets.ModeChains:
        """The compiled view of the chains with the mode's costs."""
        view = self._chains.get(mode)
        if view is None:
            mg = self.mode(mode)
            view = _streets.ModeChains(self.seg_u, self.seg_v, self.seg_length_m, *self._topology,
                                       mg.c_fwd, mg.c_bwd)
            self._chains[mode] = view
        return view

    def route_graph(self, mode: str) -> _streets.RouteGraph:
        """The compiled point-to-point search of a mode (its hierarchy over the junctions)."""
        view = self._routes.get(mode)
        if view is None:
            view = _streets.RouteGraph(self.chains(mode), open_hierarchy(self.bundle, mode),
                                       self.node_lat, self.node_lon)
            self._routes[mode] = view
        return view

    def reach_index(self, mode: str, reverse: bool) -> _streets.ReachIndex:
        """The compiled stop reach of (mode, direction), stored in the bundle at build time."""
        key = (mode, bool(reverse))
        view = self._reach.get(key)
        if view is None:
            name = f"streets/{mode}_junctions"
            table = self.bundle.table(name)
            flat = lambda column: self.bundle.csr(name, column)[1]      # noqa: E731
            side = "bwd" if reverse else "fwd"
            graph = side if len(flat(f"{side}_off")) else "fwd"       # empty bwd: symmetric mode
            stop_seg, stop_t, _ = self.stop_links[mode]
            view = _streets.ReachIndex(
                self.chains(mode), flat(f"{graph}_off"), flat(f"{graph}_head"), flat(f"{graph}_ms"),
                flat(f"{side}_entry_off"), flat(f"{side}_entry_stop"), flat(f"{side}_entry_ms"),
                flat("link_seg"), flat("link_stop"), stop_seg, stop_t, flat("stop_conn_ms"),
                int(table.column("shift")[0].as_py()), bool(reverse))
            self._reach[key] = view
        return view

    def workspace(self) -> _streets.StreetWorkspace:
        """This thread's workspace (kernels release the GIL, so threads must not share one);
        each route graph reserves the heap it needs, so no other mode's tables are mapped."""
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = _streets.StreetWorkspace(self.n_nodes, 0, self.n_stops)
            self._local.ws = ws
        return ws
