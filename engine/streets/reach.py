"""Chain-contracted reach index: the search structure behind ``StreetNetwork.stops_within``.

BUILD TIME: one chain graph per mode (from its out-CSR) and one index per (mode, direction) over
it, from the mode graph and the stop entry CSR, written to the bundle as ``streets/<mode>_reach``
(``reach_table``). QUERY TIME: ``open_reach`` wraps the stored arrays in the compiled
``engine._streets.ReachIndex`` (views, nothing computed). See engine/_streets.pyx for the
layout and the search, and why its stop times equal those of a plain bounded Dijkstra.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import pyarrow as pa

from .. import _streets_build
from .locations import entry_csr


@dataclass(frozen=True, slots=True)
class ChainGraph:
    """Chains and reduced (junction) graph of one mode's out-CSR."""

    node_info: np.ndarray      # int32 [2 n]: (chain, prefix slot), or (-1, junction id)
    chains: np.ndarray         # int32 [4 n_chains]: (a, b, base, L)
    prefix: np.ndarray         # int64 [2 n_slots]: chain cost sums along, against the chain
    r_off: np.ndarray          # int32 [n_junctions + 1]
    r_adj: np.ndarray          # int64 [2 m_r]: (head, ms)
    shift: int                 # log2 of the search's bucket width in ms

    @property
    def n_junctions(self) -> int:
        return len(self.r_off) - 1


@dataclass(frozen=True, slots=True)
class ReachIndex:
    """A ChainGraph seen from one search direction, plus that direction's stop entries."""

    graph: ChainGraph
    flip: bool                 # searching the transpose of the graph the chains were built on
    r_off: np.ndarray          # reduced graph of the searched direction
    r_adj: np.ndarray
    ce_off: np.ndarray         # int32 [n_chains + 1]
    ce_data: np.ndarray        # int64 [3 n_ce]: (prefix slot, stop, ms)
    je_off: np.ndarray         # int32 [n_junctions + 1]
    je_data: np.ndarray        # int64 [2 n_je]: (stop, ms)


def build_chain_graph(off: np.ndarray, to: np.ndarray, cost: np.ndarray) -> ChainGraph:
    """Chains of a CSR graph (a mode's out-edges)."""
    arrays = [_frozen(a) for a in _streets_build.run_chain_build(off, to, cost)]
    w = arrays[-1][1::2]
    # bucket width: about a quarter of a typical junction-to-junction cost (speed only: any
    # width gives the same distances)
    shift = max(0, int(np.log2(max(float(np.median(w)), 1.0))) - 1) if len(w) else 0
    return ChainGraph(*arrays, shift)


def build_reach_index(graph: ChainGraph, entry_off: np.ndarray, entry_stop: np.ndarray,
                      entry_ms: np.ndarray, flip: bool = False) -> ReachIndex:
    """Index of a search on the graph (flip: on its transpose) reaching stops through the entry
    CSR: entries of chain nodes moved to the junctions, the cheapest per (junction, stop)."""
    je_node, je_stop, je_ms, ce_off, ce_data = _streets_build.run_entry_build(
        graph.node_info, graph.chains, graph.prefix, flip, entry_off, entry_stop,
        np.ascontiguousarray(entry_ms, dtype=np.int64))
    n = graph.n_junctions
    order = np.lexsort((je_ms, je_stop, je_node))
    je_node, je_stop, je_ms = je_node[order], je_stop[order], je_ms[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (je_node[1:] != je_node[:-1]) | (je_stop[1:] != je_stop[:-1])
    je_node, je_stop, je_ms = je_node[first], je_stop[first], je_ms[first]
    je_off = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(je_node, minlength=n), out=je_off[1:])
    je_data = np.empty(2 * len(je_node), dtype=np.int64)
    je_data[0::2] = je_stop
    je_data[1::2] = je_ms
    if flip:
        r_off, r_adj = map(_frozen, _streets_build.run_transpose(graph.r_off, graph.r_adj))
    else:
        r_off, r_adj = graph.r_off, graph.r_adj
    return ReachIndex(graph, bool(flip), r_off, r_adj, _frozen(ce_off), _frozen(ce_data),
                      _frozen(je_off), _frozen(je_data))


def is_transpose(off: np.ndarray, to: np.ndarray, cost: np.ndarray, t_off: np.ndarray,
                 t_to: np.ndarray, t_cost: np.ndarray) -> bool:
    """Whether CSR ``t`` looks like the transpose of CSR ``off``/``to``/``cost`` (per node: the
    number, cost sum and other-end sum of its edges the other way; O(n + m))."""
    n = len(off) - 1
    if len(t_off) != n + 1 or len(t_to) != len(to):
        return False
    if len(to) == 0:
        return True
    src = np.repeat(np.arange(n, dtype=np.float64), np.diff(off))
    starts = t_off[:-1]
    nonempty = np.diff(t_off) > 0

    def per_node(values: np.ndarray) -> np.ndarray:
        out = np.zeros(n)
        out[nonempty] = np.add.reduceat(values.astype(np.float64), starts[nonempty])
        return out

    return (np.array_equal(np.diff(t_off), np.bincount(to, minlength=n))
            and np.array_equal(per_node(t_cost), np.bincount(to, weights=cost, minlength=n))
            and np.array_equal(per_node(t_to), np.bincount(to, weights=src, minlength=n)))


def _frozen(a: np.ndarray) -> np.ndarray:
    """Read-only (the index is shared by all threads; the kernels take read-only arrays)."""
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def reach_table(n_nodes: int, off: np.ndarray, to: np.ndarray, cost: np.ndarray, symmetric: bool,
                stop_seg: np.ndarray, stop_t: np.ndarray, stop_conn: np.ndarray, seg_u: np.ndarray,
                seg_v: np.ndarray, c_fwd: np.ndarray, c_bwd: np.ndarray) -> pa.Table:
    """The one-row ``streets/<mode>_reach`` table of a mode (build time).

    ``off``/``to``/``cost``: the mode's out-CSR; ``symmetric``: it is its own transpose (walk),
    so the reverse search runs on the same junction graph; otherwise the reverse search runs on
    the transpose (``flip``), whose chains are the same. ``stop_*``: the stops' links.
    """
    graph = build_chain_graph(off, to, cost)
    columns: dict[str, pa.Array] = {
        "shift": pa.array([graph.shift], pa.int32()),
        "node_info": _one(graph.node_info, pa.int32()),
        "chains": _one(graph.chains, pa.int32()),
        "prefix": _one(graph.prefix, pa.int64()),
    }
    linked = np.flatnonzero(np.asarray(stop_seg) >= 0).astype(np.int32)
    order = np.argsort(np.asarray(stop_seg)[linked], kind="stable")
    columns["link_seg"] = _one(np.asarray(stop_seg)[linked][order], pa.int32())
    columns["link_stop"] = _one(linked[order], pa.int32())
    columns["stop_conn_ms"] = _one(stop_conn, pa.int64())
    for side, kind in (("fwd", "arrive"), ("bwd", "leave")):
        flip = side == "bwd" and not symmetric
        entry_off, entry_stop, entry_ms = entry_csr(n_nodes, stop_seg, stop_t, stop_conn, seg_u,
                                                    seg_v, c_fwd, c_bwd, kind)
        index = build_reach_index(graph, entry_off, entry_stop, entry_ms, flip)
        same_graph = side == "bwd" and symmetric     # stored once, under fwd
        columns[f"{side}_flip"] = pa.array([flip])
        columns[f"{side}_r_off"] = _one(index.r_off[:0] if same_graph else index.r_off, pa.int32())
        columns[f"{side}_r_adj"] = _one(index.r_adj[:0] if same_graph else index.r_adj, pa.int64())
        for name in ("ce_off", "ce_data", "je_off", "je_data"):
            values = getattr(index, name)
            columns[f"{side}_{name}"] = _one(values, pa.int32() if name.endswith("off") else pa.int64())
    return pa.table(columns)


def _one(values: np.ndarray, type_: pa.DataType) -> pa.Array:
    """A one-row list column holding ``values`` (a flat array of any length)."""
    values = pa.array(np.ascontiguousarray(values), type=type_)
    return pa.ListArray.from_arrays(pa.array([0, len(values)], pa.int32()), values)
