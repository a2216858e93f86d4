# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The trip loops of engine/raptor/boarding.py ``later_trips``: per plan a few rides, each a
scan over its pattern's trips, where numpy's per-call cost was most of the time (Strasbourg,
300 station queries, the function called alone: 19 us a plan as numpy, 10.5 with a loop here
taking its arrays one by one, 7 with ``TripTimes`` holding them and the rides' rows built in
Python; the walking criterion's journeys, 3-5 rides: 8.2 us a journey so, 2.2 with
``shift_journey`` reading the raw legs).

A pattern's trips are contiguous and sorted (they never overtake), so a scan stops at the first
trip past its bound; a trip runs on the ride's service day when ``next_active[row, t] == t``
(engine/_core.pyx fill_next_active).
"""
from libc.stdint cimport int32_t, int64_t

DEF DAY = 86400
#: columns of a ride's row in ``TripTimes._shift``'s ``rides``
DEF TRIP = 0
DEF SERVICE_DAY = 1
DEF BOARD = 2
DEF ALIGHT = 3
DEF NEED = 4
DEF OUT_TRIP = 5
DEF OUT_DEP = 6
DEF OUT_ARR = 7
DEF WIDTH = 8
DEF MAX_RIDES = 32



cdef class TripTimes:
    """A timetable's trip arrays, held once (a Planner's), for ``shift_journey``."""

    cdef const int32_t[::1] trip_pattern, n_trips, first_trip, st_dep, st_arr
    cdef const int64_t[::1] st_offset

    def __init__(self, const int32_t[::1] trip_pattern, const int32_t[::1] n_trips, const int32_t[::1] first_trip,
                 const int64_t[::1] st_offset, const int32_t[::1] st_dep, const int32_t[::1] st_arr):
        self.trip_pattern, self.n_trips, self.first_trip = trip_pattern, n_trips, first_trip
        self.st_offset, self.st_dep, self.st_arr = st_offset, st_dep, st_arr

    def shift_journey(self, raw, const int32_t[:, ::1] next_active, int day_shift,
                      const int32_t[::1] stop_min_change, int default_change, int n_trips):
        """A journey's raw legs (engine/raptor/reconstruct.py RawLeg: kind, from, to, dep, arr,
        trip, day, board_pos, alight_pos; read here, since building its rows in Python cost
        more than the scans) leaving as late as they can (``_shift``): None when it stays as
        it is (fewer than two rides, a ride on a trip of a real-time overlay, index >=
        ``n_trips``, more than MAX_RIDES, or the first ride cannot leave later), else (leg
        index, trip, departure, arrival) per ride. ``need`` of ride j: its change time at the
        same stop (``stop_min_change``, else ``default_change``) or the walk to ride j + 1."""
        cdef int n = len(raw), m = 0, i, j
        cdef int32_t change
        cdef tuple r, w
        cdef int idx[MAX_RIDES]
        cdef int32_t rows[MAX_RIDES * WIDTH]
        for i in range(n):
            r = <tuple>raw[i]
            if r[0] == "transit":
                if m == MAX_RIDES or <int>r[5] >= n_trips:
                    return None
                idx[m] = i
                m += 1
        if m < 2:
            return None
        for j in range(m):
            r = <tuple>raw[idx[j]]
            rows[j * WIDTH + TRIP] = r[5]
            rows[j * WIDTH + SERVICE_DAY] = r[6]
            rows[j * WIDTH + BOARD] = r[7]
            rows[j * WIDTH + ALIGHT] = r[8]
            rows[j * WIDTH + NEED] = 0
            if j + 1 < m and idx[j + 1] == idx[j] + 1:
                change = stop_min_change[<int>r[2]]
                rows[j * WIDTH + NEED] = default_change if change < 0 else change
            elif j + 1 < m:
                w = <tuple>raw[idx[j] + 1]
                rows[j * WIDTH + NEED] = <int32_t>w[4] - <int32_t>w[3]
        if not self._shift(next_active, day_shift, rows, m):
            return None
        return [(idx[j], rows[j * WIDTH + OUT_TRIP], rows[j * WIDTH + OUT_DEP], rows[j * WIDTH + OUT_ARR])
                for j in range(m)]

    cdef inline int32_t _at(self, const int32_t[::1] times, int p, int pos, int i) noexcept nogil:
        return times[self.st_offset[p] + <int64_t>pos * self.n_trips[p] + i]

    cdef bint _shift(self, const int32_t[:, ::1] next_active, int day_shift, int32_t* r, int m) noexcept nogil:
        """Rows ``r`` of WIDTH ints, one per ride of a journey in travel order (trip, service
        day offset, boarding and alighting stop_pos, the seconds between its arrival and the
        next ride's departure; then trip, departure, arrival written here). Backward, each ride
        but the last on the latest trip of its pattern, from its own on, that still makes the
        next ride as moved; if the first ride then leaves later, forward, each next ride on the
        first trip from its own on that it catches. False when the first ride cannot leave
        later, or the rides then do not arrive as the journey did."""
        cdef int j, p, i, k, n, f, best, row
        cdef int32_t leave, deadline, shift, ready, arr
        cdef int32_t* ride
        ride = r + (m - 1) * WIDTH
        p = self.trip_pattern[ride[TRIP]]
        leave = self._at(self.st_dep, p, ride[BOARD], ride[TRIP] - self.first_trip[p]) + ride[SERVICE_DAY] * DAY
        for j in range(m - 2, -1, -1):
            ride = r + j * WIDTH
            p = self.trip_pattern[ride[TRIP]]
            n, f = self.n_trips[p], self.first_trip[p]
            k, shift, row = ride[TRIP] - f, ride[SERVICE_DAY] * DAY, ride[SERVICE_DAY] + day_shift
            deadline = leave - ride[NEED] - shift
            best = -1
            for i in range(k, n):
                if self._at(self.st_arr, p, ride[ALIGHT], i) > deadline:
                    break
                if next_active[row, f + i] == f + i:
                    best = i
            if best < 0:
                return False
            ride[OUT_TRIP] = f + best
            leave = self._at(self.st_dep, p, ride[BOARD], best) + shift
        if r[OUT_TRIP] == r[TRIP]:
            return False
        p = self.trip_pattern[r[TRIP]]
        r[OUT_DEP] = leave
        arr = self._at(self.st_arr, p, r[ALIGHT], r[OUT_TRIP] - self.first_trip[p]) + r[SERVICE_DAY] * DAY
        r[OUT_ARR] = arr
        for j in range(1, m):
            ride = r + j * WIDTH
            p = self.trip_pattern[ride[TRIP]]
            n, f = self.n_trips[p], self.first_trip[p]
            k, shift, row = ride[TRIP] - f, ride[SERVICE_DAY] * DAY, ride[SERVICE_DAY] + day_shift
            ready = arr + (ride - WIDTH)[NEED] - shift
            best = -1
            for i in range(k, n):
                if self._at(self.st_dep, p, ride[BOARD], i) >= ready and next_active[row, f + i] == f + i:
                    best = i
                    break
            if best < 0:
                return False
            ride[OUT_TRIP] = f + best
            ride[OUT_DEP] = self._at(self.st_dep, p, ride[BOARD], best) + shift
            arr = self._at(self.st_arr, p, ride[ALIGHT], best) + shift
            ride[OUT_ARR] = arr
        ride = r + (m - 1) * WIDTH
        p = self.trip_pattern[ride[TRIP]]
        return arr == self._at(self.st_arr, p, ride[ALIGHT], ride[TRIP] - self.first_trip[p]) + ride[SERVICE_DAY] * DAY
