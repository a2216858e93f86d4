# cython: language_level=3
"""Shared by the RAPTOR kernels (engine/_core.pyx, engine/_mcraptor.pyx): the earliest catchable
trip of a pattern at a stop, and the queue of patterns a round scans. Raw pointers, inline: no
memoryview bookkeeping on the hot path. Layout: engine/_core.pyx (pattern-major stop times, row
= pattern_st_offset[p] + pos * n_trips[p] + i; next_active[day row, trip] = the next trip of the
same pattern running that day, or the pattern's end)."""
from libc.stdint cimport int32_t, int64_t

cdef enum:
    TT_NO_IDX = -1
    TT_UNREACHED = 2000000000
    TT_DAY = 86400


cdef inline int lower_bound(const int32_t* values, int n, int32_t target) noexcept nogil:
    """First index i in [0, n) with values[i] >= target (n if none); values sorted."""
    cdef int lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef inline int32_t earliest_departure(const int32_t* dep, int n, int first_trip, int max_day,
                                       const int32_t* next_active, Py_ssize_t day_stride, int day_shift,
                                       int32_t ready, int* out_trip, int* out_day) noexcept nogil:
    """Earliest departure >= ready among the n departures ``dep`` of one pattern at one stop_pos,
    over the service days D-max_day .. D+1 whose service runs (next_active rows, day_stride
    apart, row day_shift = day D); returns it (TT_UNREACHED if none) with the trip's offset in the
    pattern and its day offset."""
    cdef int32_t best = TT_UNREACHED, shift, t
    cdef int d, i, j
    out_trip[0] = TT_NO_IDX
    for d in range(-max_day, 2):
        shift = d * TT_DAY
        # Days come in increasing shift: once this day's first trip is no earlier than the best
        # found, no later day can do better.
        if dep[0] + shift >= best:
            break
        if dep[n - 1] + shift < ready:
            continue
        i = lower_bound(dep, n, ready - shift)
        # Departures at one stop_pos never decrease with the trip index (no overtaking): the
        # first trip running that day at or after i is the earliest catchable one.
        j = next_active[(d + day_shift) * day_stride + first_trip + i] - first_trip
        if j < n:
            t = dep[j] + shift
            if t < best:
                best = t
                out_trip[0] = j
                out_day[0] = d
    return best


cdef inline bint pattern_runs(const int32_t* next_active, Py_ssize_t day_stride, int day_shift, int first_trip,
                              int n, int max_day) noexcept nogil:
    """Whether some trip of a pattern (its n trips from first_trip) runs on one of the service
    days D-max_day .. D+1 that earliest_departure searches. Why: a feed has patterns for each
    service (weekdays, Sundays, school days ...), and those that do not run then have nothing
    to board; skipping them saves their scan and a trip search per label or stop (Strasbourg,
    McRAPTOR "v2-simple": 3.4 k of 8.0 k boarding tries a median query found no trip so)."""
    cdef int d
    for d in range(-max_day, 2):
        if next_active[(d + day_shift) * day_stride + first_trip] - first_trip < n:
            return True
    return False


cdef inline int queue_pattern(int32_t* from_pos, int32_t* queued, int n_queued, int p, int pos) noexcept nogil:
    """Queue pattern p to be scanned from stop_pos pos (or from earlier if it already is);
    returns the new queue length."""
    if from_pos[p] == TT_NO_IDX:
        queued[n_queued] = p
        from_pos[p] = pos
        return n_queued + 1
    if pos < from_pos[p]:
        from_pos[p] = pos
    return n_queued
