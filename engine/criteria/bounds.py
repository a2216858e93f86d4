"""The bound graph of McRAPTOR's target pruning (engine/_mcraptor.pyx, "Lower bounds").

Edges go backwards (from the stop a movement reaches to the stop it leaves), so that one Dijkstra
from the targets gives every stop a lower bound on its time to a target: each pattern hop costs
its fastest trip (min over the pattern's trips of arrival at the next stop minus departure), each
footpath its duration. Waiting and change times are left out, so the bound never overestimates.
Built once per McPlanner, on its first query, with numpy (no per-row Python).
"""
from __future__ import annotations

import numpy as np


def reverse_bound_graph(tt) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, to, cost) CSR over stops: for each stop v, the stops u with a hop or footpath
    u -> v, and its lower-bound seconds."""
    offsets = np.asarray(tt.pattern_stops_offsets, np.int64)
    lengths = np.diff(offsets)
    hops = np.maximum(lengths - 1, 0)
    n_trips = np.asarray(tt.pattern_n_trips, np.int64)
    pattern = np.repeat(np.arange(len(lengths)), hops)
    pos = np.arange(len(pattern)) - np.repeat(np.cumsum(hops) - hops, hops)
    n = n_trips[pattern]
    first_row = np.asarray(tt.pattern_st_offset, np.int64)[pattern] + pos * n
    rows = np.repeat(first_row, n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    st_arr = np.asarray(tt.st_arr, np.int64)
    st_dep = np.asarray(tt.st_dep, np.int64)
    ride = st_arr[rows + np.repeat(n, n)] - st_dep[rows]
    fastest = np.minimum.reduceat(ride, np.cumsum(n) - n) if len(n) else np.zeros(0, np.int64)
    stops = np.asarray(tt.pattern_stops, np.int64)
    hop_from = stops[offsets[pattern] + pos]
    hop_to = stops[offsets[pattern] + pos + 1]

    fp_offsets = np.asarray(tt.footpath_offsets, np.int64)
    fp_from = np.repeat(np.arange(len(fp_offsets) - 1), np.diff(fp_offsets))
    fp_to = np.asarray(tt.footpath_to, np.int64)
    fp_cost = np.asarray(tt.footpath_duration, np.int64)

    src = np.concatenate([hop_to, fp_to])            # the reverse graph leaves the reached stop
    dst = np.concatenate([hop_from, fp_from])
    cost = np.maximum(np.concatenate([fastest, fp_cost]), 0)
    order = np.lexsort((cost, dst, src))
    src, dst, cost = src[order], dst[order], cost[order]
    keep = np.ones(len(src), bool)
    keep[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])     # the cheapest of parallel edges
    src, dst, cost = src[keep], dst[keep], cost[keep]
    counts = np.bincount(src, minlength=int(tt.n_stops))
    out_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return out_offsets, dst.astype(np.int32), cost.astype(np.int32)
