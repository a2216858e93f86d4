"""Trip-segment operations on sorted stop times: fill arrival/departure, interpolate, check.

All functions work on flat arrays sorted trip-major (rows of one trip contiguous, in
stop_sequence order) with ``seg`` = the trip's segment number per row and ``starts``/``ends``
the first/last row of each segment. No per-trip Python loops: forward/backward fills are
``np.maximum.accumulate`` over row indices, per-trip sums are ``np.add.reduceat``.
"""
from __future__ import annotations

import numpy as np

from engine._geo import haversine_m


def segments(trip_of_row: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends_exclusive, seg_of_row) for a trip-major sorted row array."""
    n = len(trip_of_row)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, z, z
    change = np.empty(n, bool)
    change[0] = True
    np.not_equal(trip_of_row[1:], trip_of_row[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    seg = np.cumsum(change) - 1
    return starts, ends, seg


def per_segment_any(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if len(starts) == 0:
        return np.zeros(0, bool)
    return np.add.reduceat(mask.astype(np.int64), starts) > 0


def cumulative_distance(seg: np.ndarray, starts: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                        sdt: np.ndarray) -> np.ndarray:
    """Distance along each trip per row: shape_dist_traveled where the whole trip has it
    (non-decreasing), else haversine between consecutive stops, else stop count."""
    n = len(seg)
    first = np.zeros(n, bool)
    first[starts] = True
    step = np.zeros(n)
    with np.errstate(invalid="ignore"):
        step[1:] = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    step[first] = 0.0
    cum_h = np.cumsum(step)
    cum_h -= cum_h[starts][seg]
    no_coord = per_segment_any(~np.isfinite(lat) | ~np.isfinite(lon), starts)
    idx = np.arange(n, dtype=np.float64)
    cum_i = idx - starts[seg]
    sdt_missing = per_segment_any(~np.isfinite(sdt), starts)
    dsdt = np.zeros(n)
    dsdt[1:] = np.diff(np.nan_to_num(sdt))
    dsdt[first] = 0.0
    sdt_bad = sdt_missing | per_segment_any(dsdt < 0, starts)
    use_sdt = ~sdt_bad[seg]
    return np.where(use_sdt, sdt, np.where(no_coord[seg], cum_i, cum_h))


def interpolate(arr: np.ndarray, dep: np.ndarray, timed: np.ndarray, dist: np.ndarray) -> None:
    """Fill untimed rows in place, linearly in ``dist`` between the surrounding timed rows.

    Requires the first and last row of every trip to be timed (so neighbours never cross trips).
    """
    n = len(arr)
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(timed, idx, -1))
    nxt = np.minimum.accumulate(np.where(timed, idx, n)[::-1])[::-1]
    miss = np.flatnonzero(~timed)
    if len(miss) == 0:
        return
    p, q = prev[miss], nxt[miss]
    t0, t1 = dep[p].astype(np.float64), arr[q].astype(np.float64)
    d0, d1, d = dist[p], dist[q], dist[miss]
    span = d1 - d0
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (d - d0) / span, (miss - p) / np.maximum(q - p, 1))
    frac = np.clip(np.nan_to_num(frac), 0.0, 1.0)
    val = np.floor(t0 + (t1 - t0) * frac + 0.5).astype(arr.dtype)
    arr[miss] = val
    dep[miss] = val


def decreasing_segments(arr: np.ndarray, dep: np.ndarray, starts: np.ndarray,
                        seg: np.ndarray) -> np.ndarray:
    """Per trip: True if dep < arr at a stop or arr[i+1] < dep[i] along the trip."""
    n = len(arr)
    bad = dep < arr
    if n > 1:
        back = np.zeros(n, bool)
        back[1:] = arr[1:] < dep[:-1]
        back[starts] = False
        bad |= back
    return per_segment_any(bad, starts)
