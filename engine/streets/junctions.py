"""Per-mode junction graphs, stop entries and hierarchies (BUILD TIME).

The segments are stored chain by chain (graph_build.order_by_chains). For one mode, a chain
a -> b is an edge a -> b of the *junction graph* when every segment of it allows that direction,
weighted by the sum of their costs (the same integers a node-level Dijkstra adds up, so every
distance between junctions is exact); b -> a likewise. Stops are reached from the junctions at
the ends of their segment's chain (*entries*). The queries (engine/_streets.pyx) search this
graph: the stop reach with a bucket queue, point-to-point routes on its contraction hierarchy.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .ch import build_ch_tables


def chain_sums(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(prefix sums with a leading 0, prefix counts of forbidden segments) of one direction's
    segment costs, in segment order; a range [i, j) sums to P[j] - P[i], allowed when the
    forbidden count is 0."""
    cost = np.asarray(cost, dtype=np.int64)
    bad = cost < 0
    total = np.zeros(len(cost) + 1, dtype=np.int64)
    np.cumsum(np.where(bad, 0, cost), out=total[1:])
    n_bad = np.zeros(len(cost) + 1, dtype=np.int64)
    np.cumsum(bad, out=n_bad[1:])
    return total, n_bad


def junction_edges(offsets, chain_a, chain_b, c_fwd, c_bwd):
    """(src, dst, ms, chain_edge) of a mode's junction graph; chain_edge = 2 * chain + 0 for
    a -> b, + 1 for b -> a. Loops (a == b) are left out: they never shorten a path."""
    lo, hi = offsets[:-1], offsets[1:]
    out = []
    for direction, cost in ((0, c_fwd), (1, c_bwd)):
        total, n_bad = chain_sums(cost)
        ok = (n_bad[hi] - n_bad[lo] == 0) & (chain_a != chain_b)
        chains = np.flatnonzero(ok)
        src, dst = (chain_a, chain_b) if direction == 0 else (chain_b, chain_a)
        out.append((src[chains], dst[chains], (total[hi] - total[lo])[chains], 2 * chains + direction))
    return tuple(np.concatenate([part[k] for part in out]) for k in range(4))


def _part(fraction: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """round(fraction * cost) to the nearest ms, halves up: the kernels' rule."""
    return np.floor(fraction * cost + 0.5).astype(np.int64)


def stop_entries(offsets, chain_a, chain_b, c_fwd, c_bwd, stop_seg, stop_t, stop_conn,
                 kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(junction, stop, ms) for every linked stop and each end of its chain that reaches it
    ("arrive": junction -> stop, for searches from a point) or that it reaches ("leave")."""
    stop_seg = np.asarray(stop_seg)
    stops = np.flatnonzero(stop_seg >= 0).astype(np.int32)
    seg = stop_seg[stops].astype(np.int64)
    t = np.asarray(stop_t, dtype=np.float64)[stops]
    conn = np.asarray(stop_conn, dtype=np.int64)[stops]
    chain = np.searchsorted(offsets, seg, side="right") - 1
    lo, hi = offsets[chain].astype(np.int64), offsets[chain + 1].astype(np.int64)
    f_total, f_bad = chain_sums(c_fwd)
    b_total, b_bad = chain_sums(c_bwd)
    cf = np.asarray(c_fwd, dtype=np.int64)[seg]
    cb = np.asarray(c_bwd, dtype=np.int64)[seg]
    f_pre_ok = f_bad[seg] - f_bad[lo] == 0
    b_pre_ok = b_bad[seg] - b_bad[lo] == 0
    f_suf_ok = f_bad[hi] - f_bad[seg + 1] == 0
    b_suf_ok = b_bad[hi] - b_bad[seg + 1] == 0
    f_pre, b_pre = f_total[seg] - f_total[lo], b_total[seg] - b_total[lo]
    f_suf, b_suf = f_total[hi] - f_total[seg + 1], b_total[hi] - b_total[seg + 1]
    if kind == "arrive":        # from a forward along the chain, from b backward
        at_a = (f_pre_ok & (cf >= 0), f_pre + _part(t, cf) + conn)
        at_b = (b_suf_ok & (cb >= 0), b_suf + _part(1.0 - t, cb) + conn)
    elif kind == "leave":       # to a backward, to b forward
        at_a = (b_pre_ok & (cb >= 0), _part(t, cb) + b_pre + conn)
        at_b = (f_suf_ok & (cf >= 0), _part(1.0 - t, cf) + f_suf + conn)
    else:
        raise ValueError(kind)
    junction = np.concatenate([chain_a[chain][at_a[0]], chain_b[chain][at_b[0]]])
    stop = np.concatenate([stops[at_a[0]], stops[at_b[0]]])
    ms = np.concatenate([at_a[1][at_a[0]], at_b[1][at_b[0]]])
    order = np.lexsort((ms, stop, junction))            # cheapest per (junction, stop) first
    junction, stop, ms = junction[order], stop[order], ms[order]
    first = np.ones(len(junction), dtype=bool)
    first[1:] = (junction[1:] != junction[:-1]) | (stop[1:] != stop[:-1])
    return junction[first].astype(np.int32), stop[first].astype(np.int32), ms[first]


def _csr(n: int, key: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.argsort(key, kind="stable")
    off = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(key, minlength=n), out=off[1:])
    return (off,) + tuple(c[order] for c in columns)


def _one(values: np.ndarray, type_: pa.DataType) -> pa.Array:
    """A one-row list column holding ``values`` (a flat array of any length)."""
    values = pa.array(np.ascontiguousarray(values), type=type_)
    return pa.ListArray.from_arrays(pa.array([0, len(values)], pa.int32()), values)


def mode_tables(mode: str, offsets, chain_a, chain_b, n_junctions: int, c_fwd, c_bwd, symmetric: bool,
                stop_seg, stop_t, stop_conn, contract: bool) -> dict[str, pa.Table]:
    """streets/<mode>_junctions (reach graph, stop entries) and the mode's hierarchy tables."""
    src, dst, ms, chain_edge = junction_edges(offsets, chain_a, chain_b, c_fwd, c_bwd)
    if len(ms) and int(ms.max()) >= 2**31:
        from ..errors import BuildError

        raise BuildError(f"{mode} junction graph: a chain costs more than the int32 ms range")
    i32, i64 = pa.int32(), pa.int64()
    columns: dict[str, pa.Array] = {}
    # bucket width of the reach queue: about a quarter of a typical chain (speed only: any
    # width gives the same distances)
    columns["shift"] = pa.array([max(0, int(np.log2(max(float(np.median(ms)), 1.0))) - 1)
                                 if len(ms) else 0], i32)
    fwd = _csr(n_junctions, src, dst, ms)
    bwd = (fwd[0][:0], fwd[1][:0], fwd[2][:0]) if symmetric else _csr(n_junctions, dst, src, ms)
    for side, (off, head, cost) in (("fwd", fwd), ("bwd", bwd)):
        columns[f"{side}_off"] = _one(off, i32)
        columns[f"{side}_head"] = _one(head, i32)
        columns[f"{side}_ms"] = _one(cost, i32)
    for side, kind in (("fwd", "arrive"), ("bwd", "leave")):
        junction, stop, cost = stop_entries(offsets, chain_a, chain_b, c_fwd, c_bwd, stop_seg,
                                            stop_t, stop_conn, kind)
        off, stop, cost = _csr(n_junctions, junction, stop, cost)
        columns[f"{side}_entry_off"] = _one(off, i32)
        columns[f"{side}_entry_stop"] = _one(stop, i32)
        columns[f"{side}_entry_ms"] = _one(cost, i64)
    linked = np.flatnonzero(np.asarray(stop_seg) >= 0).astype(np.int32)
    order = np.argsort(np.asarray(stop_seg)[linked], kind="stable")
    columns["link_seg"] = _one(np.asarray(stop_seg)[linked][order], i32)
    columns["link_stop"] = _one(linked[order], i32)
    columns["stop_conn_ms"] = _one(np.asarray(stop_conn, dtype=np.int64), i64)
    tables = {f"streets/{mode}_junctions": pa.table(columns)}
    off, head, cost, edge = _csr(n_junctions, src, dst, ms, chain_edge)
    tables.update(build_ch_tables(mode, n_junctions, off, head, cost, edge, contract))
    return tables
