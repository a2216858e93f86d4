"""The lower-bound inputs of McRAPTOR's target pruning (engine/_mcraptor.pyx, "Lower bounds",
_compute_stage): each pattern hop at its fastest trip (min over the pattern's trips of arrival at
the next stop minus departure: waiting is left out, so a ride never costs less than the sum of
its hops), and the footpaths reversed with their durations. Built once per McPlanner, on its
first query, with numpy (no per-row Python).
"""
from __future__ import annotations

import numpy as np


def _fastest_hops(tt) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pattern, stop_pos, seconds) of every pattern hop stop_pos -> stop_pos + 1: its fastest
    trip (min over the pattern's trips of arrival at the next stop minus departure)."""
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
    return pattern, pos, np.maximum(fastest, 0)


def fastest_hops_array(tt) -> np.ndarray:
    """int32 along pattern_stops: at a pattern's stop_pos i the fastest hop i -> i + 1 (0 at its
    last stop)."""
    pattern, pos, fastest = _fastest_hops(tt)
    offsets = np.asarray(tt.pattern_stops_offsets, np.int64)
    hop_min = np.zeros(len(tt.pattern_stops), np.int32)
    hop_min[offsets[pattern] + pos] = fastest
    return hop_min


def stage_arrays(tt, hop_min: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``hop_min``: fastest_hops_array (given: a real-time timetable's, engine/criteria/realtime.py);
    ``rfp_offsets`` / ``rfp_from`` / ``rfp_duration``: the footpaths as a CSR over the stop they
    reach (who walks here, in how long)."""
    if hop_min is None:
        hop_min = fastest_hops_array(tt)
    fp_offsets = np.asarray(tt.footpath_offsets, np.int64)
    fp_from = np.repeat(np.arange(len(fp_offsets) - 1), np.diff(fp_offsets))
    fp_to = np.asarray(tt.footpath_to, np.int64)
    order = np.argsort(fp_to, kind="stable")
    counts = np.bincount(fp_to, minlength=int(tt.n_stops))
    return {"hop_min": hop_min,
            "rfp_offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int32),
            "rfp_from": fp_from[order].astype(np.int32),
            "rfp_duration": np.asarray(tt.footpath_duration, np.int32)[order]}
