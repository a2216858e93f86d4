# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The trip loops of engine/raptor/boarding.py ``later_trips``: per plan a few rides, each a
scan over its pattern's trips, where numpy's per-call cost was most of the time (Strasbourg,
300 station queries, the function called alone: 19 us a plan as numpy, 10.5 with a loop here
taking its arrays one by one, 3.2 with ``TripTimes`` holding them).

A pattern's trips are contiguous and sorted (they never overtake), so a scan stops at the first
trip past its bound; a trip runs on the ride's service day when ``next_active[row, t] == t``
(engine/_core.pyx fill_next_active).
"""
from libc.stdint cimport int32_t, int64_t

DEF DAY = 86400
#: columns of a ride's row in ``TripTimes.shift``'s ``rides``
DEF TRIP = 0
DEF SERVICE_DAY = 1
DEF BOARD = 2
DEF ALIGHT = 3
DEF NEED = 4
DEF OUT_TRIP = 5
DEF OUT_DEP = 6
DEF OUT_ARR = 7
DEF WIDTH = 8

ROW_WIDTH = WIDTH


cdef class TripTimes:
    """A timetable's trip arrays, held once (a Planner's), for ``shift``."""

    cdef const int32_t[::1] trip_pattern, n_trips, first_trip, st_dep, st_arr
    cdef const int64_t[::1] st_offset

    def __init__(self, const int32_t[::1] trip_pattern, const int32_t[::1] n_trips, const int32_t[::1] first_trip,
                 const int64_t[::1] st_offset, const int32_t[::1] st_dep, const int32_t[::1] st_arr):
        self.trip_pattern, self.n_trips, self.first_trip = trip_pattern, n_trips, first_trip
        self.st_offset, self.st_dep, self.st_arr = st_offset, st_dep, st_arr

    def shift(self, const int32_t[:, ::1] next_active, int day_shift, int32_t[::1] rides):
        """``rides``: rows of ROW_WIDTH ints, one per ride of a journey in travel order: trip,
        service day offset, boarding and alighting stop_pos, the seconds between its arrival
        and the next ride's departure (its change time, or its walk), then trip, departure and
        arrival (query axis) written by the call. Backward, each ride but the last on the latest
        trip of its pattern, from its own on, that still makes the next ride as moved; if the
        first ride then leaves later, forward, each next ride on the first trip from its own on
        that it catches. False (nothing written) when the first ride cannot leave later, or the
        rides then do not arrive as the journey did."""
        cdef bint moved
        if rides.shape[0] < 2 * WIDTH or rides.shape[0] % WIDTH:
            return False
        with nogil:
            moved = self._shift(next_active, day_shift, &rides[0], rides.shape[0] // WIDTH)
        return moved

    cdef inline int32_t _at(self, const int32_t[::1] times, int p, int pos, int i) noexcept nogil:
        return times[self.st_offset[p] + <int64_t>pos * self.n_trips[p] + i]

    cdef bint _shift(self, const int32_t[:, ::1] next_active, int day_shift, int32_t* r, int m) noexcept nogil:
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
