"""Locations on the street graph: how a snapped point or a linked stop gets on and off the graph.

A location is (segment, t, conn_ms): the projection at fraction t of segment u -> v, and the time
to walk between the point and that projection. The same rules serve the build (stop footpaths)
and the queries, so both give identical durations (see engine/_streets.pyx for ``_part``).
"""
from __future__ import annotations

import math

import numpy as np


def connector_ms(dist_m, walk_speed_mps: float):
    """Walking time in ms between a point and its projection: ceil(dist * 1000 / speed)."""
    return np.ceil(np.asarray(dist_m, dtype=np.float64) * 1000.0 / walk_speed_mps).astype(np.int64)


def point_connector_ms(dist_m: float, walk_speed_mps: float) -> int:
    """connector_ms of one distance (same float64 operations, so the same value)."""
    return math.ceil(float(dist_m) * 1000.0 / walk_speed_mps)


def part(fraction: float, cost: int) -> int:
    """Same rounding as the kernels: round(fraction * cost) to the nearest ms, halves up."""
    return int(math.floor(fraction * cost + 0.5))


def leave(seg: int, t: float, conn: int, seg_u, seg_v, c_fwd, c_bwd) -> tuple[np.ndarray, np.ndarray]:
    """(nodes, ms): from the location onto the graph (to u needs v -> u, to v needs u -> v)."""
    nodes, costs = [], []
    if c_bwd[seg] >= 0:
        nodes.append(seg_u[seg])
        costs.append(part(t, int(c_bwd[seg])) + conn)
    if c_fwd[seg] >= 0:
        nodes.append(seg_v[seg])
        costs.append(part(1.0 - t, int(c_fwd[seg])) + conn)
    return np.asarray(nodes, dtype=np.int32), np.asarray(costs, dtype=np.int64)


def arrive(seg: int, t: float, conn: int, seg_u, seg_v, c_fwd, c_bwd) -> tuple[np.ndarray, np.ndarray]:
    """(nodes, ms): from a graph node to the location (from u needs u -> v, from v needs v -> u)."""
    nodes, costs = [], []
    if c_fwd[seg] >= 0:
        nodes.append(seg_u[seg])
        costs.append(part(t, int(c_fwd[seg])) + conn)
    if c_bwd[seg] >= 0:
        nodes.append(seg_v[seg])
        costs.append(part(1.0 - t, int(c_bwd[seg])) + conn)
    return np.asarray(nodes, dtype=np.int32), np.asarray(costs, dtype=np.int64)


def direct(seg: int, t_from: float, conn_from: int, t_to: float, conn_to: int, c_fwd, c_bwd) -> int | None:
    """Cost along one segment between two locations on it, None if its direction is forbidden."""
    best = None
    if t_to >= t_from and c_fwd[seg] >= 0:
        best = part(t_to - t_from, int(c_fwd[seg])) + conn_from + conn_to
    if t_to <= t_from and c_bwd[seg] >= 0:
        c = part(t_from - t_to, int(c_bwd[seg])) + conn_from + conn_to
        best = c if best is None else min(best, c)
    return best


def entry_csr(n_nodes: int, stop_seg, stop_t, stop_conn, seg_u, seg_v, c_fwd, c_bwd,
              kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node -> (stop, ms) CSR: "arrive" = node to stop (forward searches), "leave" = stop to node.

    Returns (offsets int32 [n_nodes + 1], stop int32, ms int64); vectorised over all stops.
    """
    stop_seg = np.asarray(stop_seg)
    linked = np.flatnonzero(stop_seg >= 0).astype(np.int32)
    seg = stop_seg[linked]
    t = np.asarray(stop_t)[linked]
    conn = np.asarray(stop_conn)[linked]
    cf = np.asarray(c_fwd)[seg].astype(np.int64)
    cb = np.asarray(c_bwd)[seg].astype(np.int64)
    if kind == "arrive":       # from u forward over t, from v backward over 1 - t
        first_ok, first_cost = cf >= 0, np.floor(t * cf + 0.5)
        second_ok, second_cost = cb >= 0, np.floor((1.0 - t) * cb + 0.5)
    elif kind == "leave":      # to u backward over t, to v forward over 1 - t
        first_ok, first_cost = cb >= 0, np.floor(t * cb + 0.5)
        second_ok, second_cost = cf >= 0, np.floor((1.0 - t) * cf + 0.5)
    else:
        raise ValueError(kind)
    node = np.concatenate([np.asarray(seg_u)[seg][first_ok], np.asarray(seg_v)[seg][second_ok]])
    stop = np.concatenate([linked[first_ok], linked[second_ok]])
    ms = np.concatenate([first_cost[first_ok], second_cost[second_ok]]).astype(np.int64)
    ms += np.concatenate([conn[first_ok], conn[second_ok]])
    order = np.argsort(node, kind="stable")
    offsets = np.zeros(n_nodes + 1, dtype=np.int32)
    np.cumsum(np.bincount(node, minlength=n_nodes), out=offsets[1:])
    return offsets, stop[order].astype(np.int32), ms[order]
