"""The street views of the accessibility kernels: one IsoGraph per (bundle, mode), one
IsoWorkspace per (thread, mode), built on first use from the bundle's streets/* tables (views;
the only array computed is node -> junction, once per mode).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .. import _isochrone
from .._derived import DerivedCache
from ..streets.graph import StreetGraph

#: Street modes that an isochrone or a reach can use (transit access and egress, as ``plan``).
MODES = ("walk", "bike")


@dataclass(frozen=True, slots=True)
class ModeView:
    """One mode: the compiled graph, the stops' links (segment, t, connector ms) and its speed."""

    mode: str
    iso: _isochrone.IsoGraph
    stop_seg: np.ndarray         # int32 [n_stops], < 0 when the stop is not linked to the mode
    stop_t: np.ndarray           # float64 [n_stops]
    stop_conn_ms: np.ndarray     # int64 [n_stops]
    speed_mps: float             # on the streets, and off them around reached points


class _Views:
    """Per StreetGraph: the mode views (shared by threads) and the thread-local workspaces."""

    def __init__(self, graph: StreetGraph):
        self.graph = graph
        self.modes: dict[str, ModeView] = {}
        self.lock = threading.Lock()
        self.local = threading.local()

    def modes_available(self) -> tuple[str, ...]:
        """The modes of MODES whose junction graph the bundle holds."""
        return tuple(m for m in MODES if self.graph.bundle.has(f"streets/{m}_junctions"))

    def mode(self, mode: str) -> ModeView:
        view = self.modes.get(mode)
        if view is None:
            with self.lock:
                view = self.modes.get(mode)
                if view is None:
                    view = self._build(mode)
                    self.modes[mode] = view
        return view

    def _build(self, mode: str) -> ModeView:
        g = self.graph
        bundle = g.bundle
        flat = lambda table, column: bundle.csr(table, column)[1]       # noqa: E731
        chain_off = flat("streets/topology", "chain_offsets")
        chain_a = flat("streets/topology", "chain_a")
        chain_b = flat("streets/topology", "chain_b")
        junction_node = flat("streets/topology", "junction_node")
        node_junction = np.full(g.n_nodes, -1, dtype=np.int32)
        node_junction[junction_node] = np.arange(len(junction_node), dtype=np.int32)
        node_junction.flags.writeable = False
        name = f"streets/{mode}_junctions"
        mg = g.mode(mode)
        iso = _isochrone.IsoGraph(g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd, chain_off, chain_a, chain_b,
                                  junction_node, node_junction, flat(name, "fwd_off"),
                                  flat(name, "fwd_head"), flat(name, "fwd_ms"))
        if g.n_stops:
            stop_seg, stop_t, _ = g.stop_links[mode]
            conn = flat(name, "stop_conn_ms")
        else:
            stop_seg, stop_t, conn = (np.empty(0, np.int32), np.empty(0, np.float64),
                                      np.empty(0, np.int64))
        speed = g.walk_speed_mps if mode == "walk" else g.bike_speed_mps
        return ModeView(mode, iso, stop_seg, stop_t, conn, float(speed))

    def workspace(self, mode: str) -> _isochrone.IsoWorkspace:
        spaces = getattr(self.local, "spaces", None)
        if spaces is None:
            spaces = self.local.spaces = {}
        ws = spaces.get(mode)
        if ws is None:
            ws = spaces[mode] = _isochrone.IsoWorkspace(self.mode(mode).iso)
        return ws


_VIEWS: "DerivedCache[StreetGraph, _Views]" = DerivedCache(_Views)


def views(graph: StreetGraph) -> _Views:
    """The accessibility views of a street graph (made once, dropped with the graph)."""
    return _VIEWS.get(graph)
