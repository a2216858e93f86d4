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

With a real-time overlay (``OverlayTrips``) a ride's trips are its pattern's family: the static
pattern's trips that still run as scheduled (the overlay's next_active strikes the changed ones
out) and the overlay patterns of its changed trips (its "twins": same stops, pickups and
drop-offs maybe fewer, each sorted and never overtaking, engine/realtime/overlay.py), as the
RAPTOR kernel scans them together; a ride on an added trip has its own overlay pattern only.
Overlay times are on the overlay's axis: less ``rt_shift``, on the query's.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t

import numpy as np

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
DEF OUT_DAY = 8
DEF WIDTH = 9
DEF MAX_RIDES = 32
DEF NONE = -2147483647


cdef class OverlayTrips:
    """A real-time overlay's trips as ``TripTimes.shift_journey`` reads them (one per overlay
    snapshot: Overlay.boarding_trips): its patterns' times (overlay axis) and flags, its trips'
    patterns and days, and which static pattern each overlay pattern is a twin of (``base``, -1:
    an added trip's, or a twin past the kernel's MAX_TWINS, scanned alone there too)."""

    cdef const int32_t[::1] trip_pattern, trip_day, first_trip, n_trips, st_dep, st_arr, stops_offsets
    cdef const int32_t[::1] twin, twin_n, base
    cdef const int64_t[::1] st_offset
    cdef const uint8_t[::1] pickup, dropoff
    cdef int trip_base

    def __init__(self, int trip_base, const int32_t[::1] trip_pattern, const int32_t[::1] trip_day,
                 const int32_t[::1] first_trip, const int32_t[::1] n_trips, const int64_t[::1] st_offset,
                 const int32_t[::1] st_dep, const int32_t[::1] st_arr, const int32_t[::1] stops_offsets,
                 const uint8_t[::1] pickup, const uint8_t[::1] dropoff, const int32_t[::1] twin,
                 const int32_t[::1] twin_n):
        """``twin`` / ``twin_n`` per static pattern: its first twin and how many (-1 / 0: none)."""
        n_patterns = first_trip.shape[0]
        if n_trips.shape[0] != n_patterns or st_offset.shape[0] != n_patterns or \
                stops_offsets.shape[0] != n_patterns + 1 or twin.shape[0] != twin_n.shape[0] or \
                trip_day.shape[0] != trip_pattern.shape[0]:
            raise ValueError("overlay trip arrays do not match")
        base = np.full(n_patterns, -1, np.int32)
        tw, tn = np.asarray(twin), np.asarray(twin_n)
        for p in np.flatnonzero(tw >= 0).tolist():
            base[tw[p]:tw[p] + tn[p]] = p
        self.trip_base = trip_base
        self.trip_pattern, self.trip_day, self.first_trip, self.n_trips = trip_pattern, trip_day, first_trip, n_trips
        self.st_offset, self.st_dep, self.st_arr, self.stops_offsets = st_offset, st_dep, st_arr, stops_offsets
        self.pickup, self.dropoff, self.twin, self.twin_n, self.base = pickup, dropoff, twin, twin_n, base


cdef class TripTimes:
    """A timetable's trip arrays, held once (a Planner's), for ``shift_journey``."""

    cdef const int32_t[::1] trip_pattern, n_trips, first_trip, st_dep, st_arr, trip_route
    cdef const int64_t[::1] st_offset
    cdef const int32_t[::1] stops_offsets, pattern_stops, stop_patterns_offsets, stop_patterns, stop_patterns_pos
    cdef const uint8_t[::1] pattern_pickup, pattern_dropoff
    # (one call's overlay, set by shift_journey for its helpers)
    cdef OverlayTrips rt
    cdef int32_t rt_shift

    def __init__(self, const int32_t[::1] trip_pattern, const int32_t[::1] n_trips, const int32_t[::1] first_trip,
                 const int64_t[::1] st_offset, const int32_t[::1] st_dep, const int32_t[::1] st_arr,
                 const int32_t[::1] trip_route, const int32_t[::1] stops_offsets, const int32_t[::1] pattern_stops,
                 const uint8_t[::1] pattern_pickup, const uint8_t[::1] pattern_dropoff,
                 const int32_t[::1] stop_patterns_offsets, const int32_t[::1] stop_patterns,
                 const int32_t[::1] stop_patterns_pos):
        """A timetable's arrays (engine/raptor/boarding.py trip_times): its trips', its patterns'
        (stops, pickups and drop-offs: a filtered timetable's masked ones) and the stop -> pattern
        index (to find the other patterns of a route over the same stops)."""
        self.trip_pattern, self.n_trips, self.first_trip = trip_pattern, n_trips, first_trip
        self.st_offset, self.st_dep, self.st_arr, self.trip_route = st_offset, st_dep, st_arr, trip_route
        self.stops_offsets, self.pattern_stops = stops_offsets, pattern_stops
        self.pattern_pickup, self.pattern_dropoff = pattern_pickup, pattern_dropoff
        self.stop_patterns_offsets, self.stop_patterns, self.stop_patterns_pos = \
            stop_patterns_offsets, stop_patterns, stop_patterns_pos

    def shift_journey(self, raw, const int32_t[:, ::1] next_active, int day_shift,
                      const int32_t[::1] stop_min_change, int default_change, int n_trips,
                      OverlayTrips rt=None, int rt_shift=0):
        """A journey's raw legs (engine/raptor/reconstruct.py RawLeg: kind, from, to, dep, arr,
        trip, day, board_pos, alight_pos; read here, since building its rows in Python cost
        more than the scans) leaving as late as they can (``_shift``): None when it stays as
        it is (fewer than two rides, a ride on a real-time trip, index >= ``n_trips``, without
        the overlay's ``rt``, more than MAX_RIDES, or the first ride cannot leave later), else
        (leg index, trip, departure, arrival, service day) per ride.
        ``need`` of ride j: its change time at the same stop (``stop_min_change``, else
        ``default_change``) or the walk to ride j + 1. ``rt_shift``: the overlay's axis less the
        query's (Overlay.kernel_args)."""
        cdef int n = len(raw), m = 0, i, j, t
        cdef int32_t change
        cdef tuple r, w
        cdef int idx[MAX_RIDES]
        cdef int32_t rows[MAX_RIDES * WIDTH]
        for i in range(n):
            r = <tuple>raw[i]
            if r[0] == "transit":
                if m == MAX_RIDES or (<int>r[5] >= n_trips and rt is None):
                    return None
                idx[m] = i
                m += 1
        if m < 2:
            return None
        if rt is not None and rt.trip_base != n_trips:
            raise ValueError("rt: an overlay of another timetable")
        self.rt, self.rt_shift = rt, rt_shift
        for j in range(m):
            r = <tuple>raw[idx[j]]
            t = r[5]
            rows[j * WIDTH + TRIP] = t
            # (a real-time trip's service day: its record's, on the query's axis)
            rows[j * WIDTH + SERVICE_DAY] = r[6] if t < n_trips else rt.trip_day[t - n_trips] - rt_shift // DAY
            rows[j * WIDTH + BOARD] = r[7]
            rows[j * WIDTH + ALIGHT] = r[8]
            rows[j * WIDTH + NEED] = 0
            if j + 1 < m and idx[j + 1] == idx[j] + 1:
                change = stop_min_change[<int>r[2]]
                rows[j * WIDTH + NEED] = default_change if change < 0 else change
            elif j + 1 < m:
                w = <tuple>raw[idx[j] + 1]
                rows[j * WIDTH + NEED] = <int32_t>w[4] - <int32_t>w[3]
        moved = self._shift(next_active, day_shift, rows, m)
        self.rt = None
        if not moved:
            return None
        return [(idx[j], rows[j * WIDTH + OUT_TRIP], rows[j * WIDTH + OUT_DEP], rows[j * WIDTH + OUT_ARR],
                 rows[j * WIDTH + OUT_DAY]) for j in range(m)]

    cdef inline int32_t _at(self, const int32_t[::1] times, int p, int pos, int i) noexcept nogil:
        return times[self.st_offset[p] + <int64_t>pos * self.n_trips[p] + i]

    cdef inline int32_t _rt_at(self, const int32_t[::1] times, int q, int pos, int i) noexcept:
        """Overlay pattern q's trip i (rank) at stop_pos ``pos``, on the query's axis."""
        return times[self.rt.st_offset[q] + <int64_t>pos * self.rt.n_trips[q] + i] - self.rt_shift

    cdef inline int32_t _time(self, bint dep, int t, int pos, int service_day) noexcept:
        """Trip t (static, or the overlay's from n_trips on) at stop_pos ``pos``, query axis."""
        cdef int p, j
        if t < self.trip_pattern.shape[0]:
            p = self.trip_pattern[t]
            return self._at(self.st_dep if dep else self.st_arr, p, pos, t - self.first_trip[p]) + service_day * DAY
        j = t - self.rt.trip_base
        p = self.rt.trip_pattern[j]
        return self._rt_at(self.rt.st_dep if dep else self.rt.st_arr, p, pos, j - self.rt.first_trip[p])

    cdef inline int _base(self, int t) noexcept:
        """The static pattern whose family trip t belongs to (-1: an added trip's, alone)."""
        if t < self.trip_pattern.shape[0]:
            return self.trip_pattern[t]
        return self.rt.base[self.rt.trip_pattern[t - self.rt.trip_base]]

    cdef bint _sibling(self, int p, int q) noexcept:
        """Pattern q has pattern p's route and stops (patterns are split where trips overtake or
        flags differ, so one route's trips over the same stops may lie in several)."""
        cdef int a = self.stops_offsets[p], b = self.stops_offsets[q], n = self.stops_offsets[p + 1] - a, i
        if q == p:
            return True
        if self.stops_offsets[q + 1] - b != n or \
                self.trip_route[self.first_trip[q]] != self.trip_route[self.first_trip[p]]:
            return False
        for i in range(n):
            if self.pattern_stops[a + i] != self.pattern_stops[b + i]:
                return False
        return True

    cdef inline bint _rt_serves(self, int q, int board, int alight) noexcept:
        cdef int first = self.rt.stops_offsets[q]
        return self.rt.pickup[first + board] != 0 and self.rt.dropoff[first + alight] != 0

    cdef inline bint _rt_takes(self, int q, int i) noexcept:
        """Overlay pattern q's trip i is one the search could take: of a service day no later
        than the query's next (engine/_core.pyx rt_last_day)."""
        return self.rt.trip_day[self.rt.first_trip[q] + i] - self.rt_shift // DAY <= 1

    cdef bint _scan(self, const int32_t[:, ::1] next_active, int day_shift, int32_t* ride, int32_t bound,
                    bint backward, int32_t* best) noexcept:
        """Every trip of ride's family: with ``backward``, the one leaving its boarding stop latest
        that reaches its alighting stop by ``bound``; else the one reaching its alighting stop
        first that leaves the boarding stop at ``bound`` or later. ``best`` (that departure, or
        that arrival) and ride[OUT_*] when one beats ``best``; ties keep the first found (the
        ride's own pattern first). The family: the static patterns of the ride's route over its
        stops (``_sibling``; each on the ride's service day and the next, from the ride's own
        trip on in its own pattern), picking up and dropping off where the ride does, with the
        overlay's twins of each; a ride on an added trip: its own overlay pattern."""
        cdef int p = self._base(ride[TRIP]), s0, e, q, w, found = 0
        if p < 0:
            found += self._scan_rt(self.rt.trip_pattern[ride[TRIP] - self.rt.trip_base], ride, bound, backward, best)
            return found > 0
        found += self._scan_static(next_active, day_shift, p, ride, bound, backward, best)
        if self.rt is not None and self.rt.twin[p] >= 0:
            for w in range(self.rt.twin[p], self.rt.twin[p] + self.rt.twin_n[p]):
                found += self._scan_rt(w, ride, bound, backward, best)
        s0 = self.pattern_stops[self.stops_offsets[p]]
        for e in range(self.stop_patterns_offsets[s0], self.stop_patterns_offsets[s0 + 1]):
            q = self.stop_patterns[e]
            if q == p or self.stop_patterns_pos[e] != 0 or not self._sibling(p, q):
                continue
            found += self._scan_static(next_active, day_shift, q, ride, bound, backward, best)
            if self.rt is not None and self.rt.twin[q] >= 0:
                for w in range(self.rt.twin[q], self.rt.twin[q] + self.rt.twin_n[q]):
                    found += self._scan_rt(w, ride, bound, backward, best)
        return found > 0

    cdef int _scan_static(self, const int32_t[:, ::1] next_active, int day_shift, int p, int32_t* ride,
                          int32_t bound, bint backward, int32_t* best) noexcept:
        """(_scan) Static pattern p's trips on the ride's service day and the next: 1 when one
        beats ``best``."""
        cdef int n = self.n_trips[p], f = self.first_trip[p], sd = ride[SERVICE_DAY], day, k, i, pick, found = 0
        cdef int32_t d, a, shift
        cdef bint own = ride[TRIP] < self.trip_pattern.shape[0] and self.trip_pattern[ride[TRIP]] == p
        if not (self.pattern_pickup[self.stops_offsets[p] + ride[BOARD]] and
                self.pattern_dropoff[self.stops_offsets[p] + ride[ALIGHT]]):
            return 0
        # (its service day, and the next: a journey waiting overnight leaves in the morning)
        for day in range(sd, min(sd + 2, next_active.shape[0] - day_shift)):
            shift = day * DAY
            # (a static ride's own trip, and those before it, leave no later: from it on)
            k = ride[TRIP] - f if own and day == sd else 0
            pick = -1
            for i in range(k, n):
                if backward:
                    if self._at(self.st_arr, p, ride[ALIGHT], i) + shift > bound:
                        break
                    if next_active[day + day_shift, f + i] == f + i:
                        pick = i
                elif self._at(self.st_dep, p, ride[BOARD], i) + shift >= bound and \
                        next_active[day + day_shift, f + i] == f + i:
                    pick = i
                    break
            if pick < 0:
                continue
            d = self._at(self.st_dep, p, ride[BOARD], pick) + shift
            a = self._at(self.st_arr, p, ride[ALIGHT], pick) + shift
            if (d > best[0] if backward else (best[0] == NONE or a < best[0])):
                best[0] = d if backward else a
                ride[OUT_TRIP], ride[OUT_DAY], ride[OUT_DEP], ride[OUT_ARR] = f + pick, day, d, a
                found = 1
        return found

    cdef int _scan_rt(self, int q, int32_t* ride, int32_t bound, bint backward, int32_t* best) noexcept:
        """(_scan) Overlay pattern q's trips: 1 when one beats ``best``."""
        cdef int i, pick = -1
        cdef int32_t d, a
        if not self._rt_serves(q, ride[BOARD], ride[ALIGHT]):
            return 0
        for i in range(self.rt.n_trips[q]):
            if backward:
                if self._rt_at(self.rt.st_arr, q, ride[ALIGHT], i) > bound:
                    break
                if self._rt_takes(q, i):
                    pick = i
            elif self._rt_at(self.rt.st_dep, q, ride[BOARD], i) >= bound and self._rt_takes(q, i):
                pick = i
                break
        if pick < 0:
            return 0
        d = self._rt_at(self.rt.st_dep, q, ride[BOARD], pick)
        a = self._rt_at(self.rt.st_arr, q, ride[ALIGHT], pick)
        if not (d > best[0] if backward else (best[0] == NONE or a < best[0])):
            return 0
        best[0] = d if backward else a
        ride[OUT_TRIP], ride[OUT_DAY], ride[OUT_DEP], ride[OUT_ARR] = self.rt.trip_base + self.rt.first_trip[q] + pick, 0, d, a
        return 1

    cdef bint _shift(self, const int32_t[:, ::1] next_active, int day_shift, int32_t* r, int m) noexcept:
        """Rows ``r`` of WIDTH ints, one per ride of a journey in travel order (trip, service
        day offset, boarding and alighting stop_pos, the seconds between its arrival and the
        next ride's departure; then trip, departure, arrival, service day written here).
        Backward, each ride but the last on the trip of its family (``_scan``) leaving latest
        that still makes the next ride as moved; if the first ride then leaves later, forward,
        each next ride on the trip of its family it catches that arrives first. False when the
        first ride cannot leave later, or the rides then do not arrive as the journey did."""
        cdef int j
        cdef int32_t leave, arr, final, bound
        cdef int32_t* ride = r + (m - 1) * WIDTH
        leave = self._time(True, ride[TRIP], ride[BOARD], ride[SERVICE_DAY])
        final = self._time(False, ride[TRIP], ride[ALIGHT], ride[SERVICE_DAY])
        for j in range(m - 2, -1, -1):
            ride = r + j * WIDTH
            bound, leave = leave - ride[NEED], NONE
            if not self._scan(next_active, day_shift, ride, bound, True, &leave):
                return False
        if r[OUT_TRIP] == r[TRIP] and (r[TRIP] >= self.trip_pattern.shape[0] or r[OUT_DAY] == r[SERVICE_DAY]):
            return False            # (the same trip, the same day)
        arr = r[OUT_ARR]
        for j in range(1, m):
            ride = r + j * WIDTH
            bound, arr = arr + (ride - WIDTH)[NEED], NONE
            if not self._scan(next_active, day_shift, ride, bound, False, &arr):
                return False
        return arr == final
