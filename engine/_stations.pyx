# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""A street walk's stops through station entrances (engine/timetable/station_access.py
``through_entrances``): per query, a few dozen stops and entrances, where numpy's per-call cost
was most of the time (WMATA, 47 candidates: ``through_entrances`` took 28-33 us as numpy or a
Python loop, 9.5 us with this loop).

``kind`` per stop: 0 outside (kept as reached), 1 inside a station (only through an entrance),
2 an entrance (expanded into the inside stops its CSR ``offsets`` / ``to`` / ``seconds`` lists,
then dropped). The inside stops found are few (a station's platforms): each new one is looked
up among them by a linear scan, so no per-network scratch is needed (threads share nothing).
"""
from libc.stdint cimport int8_t, int32_t


def expand(const int8_t[::1] kind, const int32_t[::1] offsets, const int32_t[::1] to,
           const int32_t[::1] seconds, const int32_t[::1] stops, const int32_t[::1] durations,
           int32_t[::1] out_stop, int32_t[::1] out_s, int32_t[::1] out_gate,
           int32_t[::1] out_inner) -> int:
    """Fills the out_* arrays (capacity: len(stops) + every entrance's list) and returns how
    many rows: the outside stops first (gate -1, 0 s inside), then each inside stop once, by its
    shortest way in (the first entrance on ties)."""
    cdef Py_ssize_t i, e, row, first_inside, n = 0, n_in = stops.shape[0]
    cdef int32_t s, p, t
    with nogil:
        for i in range(n_in):
            s = stops[i]
            if kind[s] == 0:
                out_stop[n] = s
                out_s[n] = durations[i]
                out_gate[n] = -1
                out_inner[n] = 0
                n += 1
        first_inside = n
        for i in range(n_in):
            s = stops[i]
            if kind[s] != 2:
                continue
            for e in range(offsets[s], offsets[s + 1]):
                p = to[e]
                t = durations[i] + seconds[e]
                row = first_inside
                while row < n and out_stop[row] != p:
                    row += 1
                if row == n:
                    out_stop[n] = p
                    out_s[n] = t
                    out_gate[n] = s
                    out_inner[n] = seconds[e]
                    n += 1
                elif t < out_s[row]:
                    out_s[row] = t
                    out_gate[row] = s
                    out_inner[row] = seconds[e]
    return n
