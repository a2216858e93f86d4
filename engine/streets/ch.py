"""Contraction hierarchies for point-to-point street queries: the build (BUILD TIME; the query
side opens the tables with hierarchy.open_hierarchy)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..errors import BuildError
from .. import _streets_build

#: Nodes settled at most per witness search while contracting (larger = fewer shortcuts, slower build).
SETTLE_LIMIT = 50
#: The same while estimating a node's priority (a rough estimate is enough).
SIM_SETTLE_LIMIT = 10


def build_ch_tables(mode: str, n_nodes: int, off: np.ndarray, to: np.ndarray, cost: np.ndarray,
                    edge_ids: np.ndarray, contract: bool = True) -> dict[str, pa.Table]:
    """Contract a CSR graph (a mode's junction graph); tables streets/<mode>_ch_{up,down,shortcuts}.

    ``edge_ids``: what each original edge stands for (its chain and direction), coded
    -(id + 1) in the arcs. ``contract=False`` contracts nothing: the "hierarchy" is then the
    graph itself searched both ways (a bidirectional Dijkstra), for modes built without one.
    """
    src = np.repeat(np.arange(n_nodes, dtype=np.int64), np.diff(off))
    edge_ids = np.asarray(edge_ids, dtype=np.int64)
    key = src * n_nodes + to
    order = np.lexsort((cost, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]] if len(order) else np.zeros(0, bool)
    keep = order[first]                      # cheapest of parallel edges
    keep = keep[src[keep] != to[keep]]
    rank, e_src, e_dst, e_w, e_a, e_b, e_orig = _streets_build.run_ch_build(
        n_nodes, src[keep].astype(np.int32), to[keep].astype(np.int32),
        cost[keep].astype(np.int64), edge_ids[keep].astype(np.int32), SETTLE_LIMIT, SIM_SETTLE_LIMIT,
        0 if contract else n_nodes)
    if len(e_w) and int(e_w.max()) >= 2**31:
        raise BuildError(f"{mode} street graph: a shortcut exceeds the int32 ms range")
    core = (rank[e_src] == n_nodes) & (rank[e_dst] == n_nodes)
    up = (rank[e_src] < rank[e_dst]) | core
    down = (rank[e_src] > rank[e_dst]) | core
    # edge codes: an original edge is -(its edge id + 1), a shortcut its row in <mode>_ch_shortcuts
    shortcut = e_orig < 0
    code = np.where(shortcut, np.cumsum(shortcut) - 1, -(e_orig.astype(np.int64) + 1)).astype(np.int32)
    tables = {
        f"streets/{mode}_ch_up": _csr(n_nodes, e_src[up], e_dst[up], e_w[up], code[up]),
        f"streets/{mode}_ch_down": _csr(n_nodes, e_dst[down], e_src[down], e_w[down], code[down]),
        f"streets/{mode}_ch_shortcuts": pa.table({"child_a": code[e_a[shortcut]],
                                                  "child_b": code[e_b[shortcut]]}),
    }
    return tables


def _csr(n: int, key: np.ndarray, to: np.ndarray, w: np.ndarray, edge: np.ndarray) -> pa.Table:
    order = np.argsort(key, kind="stable")
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(key, minlength=n), out=offsets[1:])

    def column(values: np.ndarray) -> pa.Array:
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values[order].astype(np.int32)))

    return pa.table({"to": column(to), "cost_ms": column(w), "edge": column(edge)})
