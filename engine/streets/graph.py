"""StreetGraph: read-only view over the bundle's streets/* arrays (zero-copy), plus per-thread workspaces."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from ..bundle.reader import Bundle
from ..errors import BundleError
from . import _kernels, _reach_kernels
from .ch import Hierarchy, open_hierarchy
from .options import MODES


@dataclass(frozen=True, slots=True)
class ModeGraph:
    """One mode's directed graph: out-edges (and in-edges; the same arrays for the walk graph)."""

    mode: str
    out_off: np.ndarray
    out_to: np.ndarray
    out_cost: np.ndarray
    out_seg: np.ndarray
    in_off: np.ndarray
    in_to: np.ndarray
    in_cost: np.ndarray
    in_seg: np.ndarray
    c_fwd: np.ndarray          # per segment u -> v ms, NO_VALUE = forbidden
    c_bwd: np.ndarray          # per segment v -> u ms
    max_speed_mps: float       # for the A* bound

    def edges(self, reverse: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if reverse:
            return self.in_off, self.in_to, self.in_cost, self.in_seg
        return self.out_off, self.out_to, self.out_cost, self.out_seg


class Workspace:
    """Scratch arrays of one thread: distances all INF between calls, heap, predecessors.

    The stop reach (_reach_kernels.run_reach) uses pred_node/pred_edge as its bucket lists (no
    meaning after the call) and bucket_head; out_stop/out_s hold its result until copied.
    """

    def __init__(self, n_nodes: int, n_edges: int, n_stops: int):
        self.dist = np.full(n_nodes, _kernels.INF, dtype=np.int64)
        self.pred_node = np.full(n_nodes, -1, dtype=np.int32)
        self.pred_edge = np.full(n_nodes, -1, dtype=np.int32)
        self.touched = np.empty(n_nodes, dtype=np.int32)
        self.hk = np.empty(n_edges + 8, dtype=np.int64)
        self.hg = np.empty(n_edges + 8, dtype=np.int64)
        self.hn = np.empty(n_edges + 8, dtype=np.int32)
        # backward side of bidirectional (hierarchy) searches
        self.dist_b = np.full(n_nodes, _kernels.INF, dtype=np.int64)
        self.pred_node_b = np.full(n_nodes, -1, dtype=np.int32)
        self.pred_edge_b = np.full(n_nodes, -1, dtype=np.int32)
        self.touched_b = np.empty(n_nodes, dtype=np.int32)
        self.hk_b = np.empty(n_edges + 8, dtype=np.int64)
        self.hg_b = np.empty(n_edges + 8, dtype=np.int64)
        self.hn_b = np.empty(n_edges + 8, dtype=np.int32)
        self.stop_best = np.full(max(n_stops, 1), _kernels.INF, dtype=np.int64)
        self.out_stop = np.empty(max(n_stops, 1), dtype=np.int32)
        self.out_ms = np.empty(max(n_stops, 1), dtype=np.int64)
        self.out_s = np.empty(max(n_stops, 1), dtype=np.int32)
        self.bucket_head = np.empty(_reach_kernels.N_BUCKETS, dtype=np.int32)   # stop reach queue


class StreetGraph:
    """Nodes, segments, mode graphs, snapping grid and stop links of a bundle (no copies)."""

    def __init__(self, bundle: Bundle):
        if not bundle.has("streets/nodes"):
            raise BundleError(f"bundle {bundle.path} has no streets: build it with an OSM file")
        col = bundle.column
        meta = bundle.table("streets/meta").to_pylist()[0]
        self.walk_speed_mps = float(meta["walk_speed_mps"])
        self.bike_speed_mps = float(meta["bike_speed_mps"])
        self.max_snap_m = float(meta["max_snap_m"])
        self.footpath_max_s = int(meta["footpath_max_s"])
        self.grid_cell_m = float(meta["grid_cell_m"])
        self.grid_lat0 = float(meta["grid_lat0"])
        self.grid_lon0 = float(meta["grid_lon0"])
        self.grid_cos0 = float(meta["grid_cos0"])
        self.node_lat = col("streets/nodes", "lat")
        self.node_lon = col("streets/nodes", "lon")
        self.seg_u = col("streets/segments", "u")
        self.seg_v = col("streets/segments", "v")
        self.seg_way = col("streets/segments", "way_idx")
        self.seg_length_m = col("streets/segments", "length_m")
        self.seg_modes = col("streets/segments", "modes")
        self.grid_cell = col("streets/grid", "cell")
        self.grid_off, self.grid_seg = bundle.csr("streets/grid", "segments")
        self.n_nodes = len(self.node_lat)
        speeds = {"walk": self.walk_speed_mps, "bike": self.bike_speed_mps,
                  "car": float(meta["car_max_mps"])}
        self.modes: dict[str, ModeGraph] = {}
        for mode in MODES:
            out = _csr(bundle, f"streets/{mode}_out")
            inn = out if mode == "walk" else _csr(bundle, f"streets/{mode}_in")
            self.modes[mode] = ModeGraph(
                mode, *out, *inn, col("streets/segments", f"{mode}_fwd_ms"),
                col("streets/segments", f"{mode}_bwd_ms"), speeds[mode])
        self.n_stops = 0
        self.stop_lat = self.stop_lon = np.empty(0)
        self.stop_links: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if bundle.has("streets/stop_links"):
            self.stop_lat = col("streets/stop_links", "lat")
            self.stop_lon = col("streets/stop_links", "lon")
            self.n_stops = len(self.stop_lat)
            for mode in MODES:
                self.stop_links[mode] = (col("streets/stop_links", f"{mode}_segment"),
                                         col("streets/stop_links", f"{mode}_t"),
                                         col("streets/stop_links", f"{mode}_dist_m"))
        self.hierarchies: dict[str, Hierarchy | None] = {m: open_hierarchy(bundle, m) for m in MODES}
        self._xyz: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._local = threading.local()
        sizes = [len(g.out_to) for g in self.modes.values()]
        sizes += [max(len(h.up_to), len(h.dn_to)) for h in self.hierarchies.values() if h is not None]
        self._max_edges = max(sizes) if sizes else 0

    def node_xyz(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit-sphere coordinates of the nodes (A* heuristic), computed once on first use."""
        if self._xyz is None:
            lat = np.radians(self.node_lat)
            lon = np.radians(self.node_lon)
            self._xyz = (np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat))
        return self._xyz

    def workspace(self) -> Workspace:
        """This thread's workspace (kernels release the GIL, so threads must not share one)."""
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = Workspace(self.n_nodes, self._max_edges, self.n_stops)
            self._local.ws = ws
        return ws


def _csr(bundle: Bundle, name: str) -> tuple[np.ndarray, ...]:
    off, to = bundle.csr(name, "to")
    _, cost = bundle.csr(name, "cost_ms")
    _, seg = bundle.csr(name, "segment")
    return off, to, cost, seg
