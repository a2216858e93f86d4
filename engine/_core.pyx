# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""RAPTOR round loop over the bundle's flat timetable arrays (the journey-planning hot path).

Algorithm: Delling, Pajor, Werneck, "Round-Based Public Transit Routing" (2012). Round k scans
every pattern that serves a stop whose board-ready time improved in round k-1, then relaxes one
footpath from every stop that a vehicle reached in round k.

Layout of the arrays held by TimetableView (all read-only, zero-copy over the bundle):

  pattern_stops_offsets  int32 [n_patterns+1]  CSR: pattern -> stop_pos range in pattern_stops
  pattern_stops          int32 [..]            stop_idx at each stop_pos
  pattern_pickup/dropoff uint8 [..]            1 if boarding / alighting allowed at stop_pos
  pattern_first_trip     int32 [n_patterns]    first trip_idx of the pattern (trips contiguous)
  pattern_n_trips        int32 [n_patterns]
  pattern_st_offset      int64 [n_patterns]    block start in st_arr / st_dep
  pattern_max_day        int32 [n_patterns]    max(time // 86400) in the block
  st_arr, st_dep         int32 [..]            row = st_offset[p] + stop_pos * n_trips[p] + i,
                                               non-decreasing in i (no overtaking)
  trip_service           int32 [n_trips]
  stop_patterns_offsets  int32 [n_stops+1]     CSR: stop -> (pattern, stop_pos) visits
  stop_patterns, stop_patterns_pos int32 [..]
  footpath_offsets       int32 [n_stops+1]     CSR: stop -> footpaths
  footpath_to, footpath_duration int32 [..]
  stop_min_change        int32 [n_stops]       NO_VALUE (-1) = use the query's min change time

Time axis: seconds since noon-minus-12h of the query date D. A trip of service day D+d departs
at st_dep + d*86400, for d in [-max_day_offset, +1]. `next_active[d + day_shift, trip]` (built
and cached per day by the caller from the service bitsets) is the first trip >= trip that runs
on D+d, so skipping the trips of other days costs one lookup.

Labels, per round k in RaptorWorkspace ([max_rounds+1, n_stops] int32 arrays):
  arrival[k, s]   earliest arrival at s with <= k vehicles (by vehicle or by one footpath)
  ready[k, s]     earliest time one can board at s with <= k vehicles: vehicle arrival + change
                  time, footpath arrival, or the origin time
  veh_arr[k, s]   arrival at s by the k-th vehicle (UNREACHED if not improved in round k), with
                  back-pointers veh_trip, veh_day, veh_board_pos, veh_alight_pos
  walk_arr[k, s]  arrival at s by a footpath after the k-th vehicle, from walk_from[k, s]
  ready_src[k, s] what set ready[k, s] in round k (SRC_NONE if carried from round k-1)
A vehicle arrival is kept only if it beats every earlier vehicle arrival at that stop
(best_veh): footpaths leave from vehicle arrivals only (no chained walks), so a stop reached
earlier on foot must still relax its footpaths for a later vehicle arrival. The back-pointers
(veh_trip, veh_day, veh_*_pos, walk_from) are never reset: they are read only where the label
they explain (veh_arr, walk_arr, ready_src) says so.

Per-query cost follows the stops a query touches, not n_stops (a merged bundle has ~40k stops,
a typical query labels a few hundred):
  dirty[s], dirty_list  stops given any label (arrival, ready, ready_src, veh_arr, walk_arr,
                        best_veh) by the last query, in rows 0..rows_dirty. Every other stop
                        holds UNREACHED / SRC_NONE in every row, so the next query resets only
                        the listed stops, and round k-1 -> k copies only them.
  ready_marked[s] (+ ready_marked_list), ready_marked_next[s] (+ ready_marked_next_list)
                        stops whose ready time improved in the previous / current round, as
                        flags (for O(1) tests) and lists (to visit and clear without a sweep).
  veh_marked[s] (+ veh_marked_list)  stops a vehicle reached in the current round.
  is_target[s]          set from target_stop and cleared from it at the end (target_egress[s]
                        is read only where is_target[s] is set).
Between queries all flags are 0, best_veh is UNREACHED outside dirty_list, and
pattern_from_pos (and rt_from_pos) is NO_IDX everywhere.

Real-time overlay (engine/realtime, optional, ``rt`` below): the bundle stays as it is. Static
trips that run otherwise on some service day are struck out of that day's next_active row (a
copy the overlay makes per query date), so the static scan costs the same with or without
real time. Their real-time versions, and added trips, are an OverlayView: extra patterns with
the same layout (stop_pos-major, no overtaking). Those on the stops of a static pattern p (p's
changed trips, skipped stops included: up to MAX_TWINS patterns) are scanned in p's own pass
(_scan_pattern_twin); the others (added trips) in each round after the static patterns, from
the same marked stops (stop -> rt pattern CSR). Their times are on the overlay's
own axis; a query of date D reads them minus rt_shift = (D - overlay epoch day) * 86400, and
takes no trip of a service day after D + 1 (rt_last_day), as the static scan does. A vehicle
label of an overlay trip has veh_trip = tt.n_trips + its overlay trip index and veh_day = 0.
"""
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t
from libc.stdlib cimport qsort
from engine._timetable cimport earliest_departure, lower_bound, pattern_runs, queue_pattern
import numpy as np

cdef enum:
    MAX_TWINS = 16          # overlay patterns scanned in one pass with their static pattern

cdef enum:
    UNREACHED = 2000000000
    NO_IDX = -1
    NO_VALUE = -1
    DAY = 86400
    NO_BOUND = 1000000000   # run_raptor ``lower``: no target within that many vehicles

# ready_src codes (mirrored in engine/raptor/reconstruct.py)
cdef enum:
    SRC_NONE = 0
    SRC_ORIGIN = 1
    SRC_VEHICLE = 2
    SRC_WALK = 3

SENTINELS = {"MAX_TWINS": MAX_TWINS, "UNREACHED": UNREACHED, "NO_IDX": NO_IDX, "NO_VALUE": NO_VALUE,
             "SRC_NONE": SRC_NONE, "SRC_ORIGIN": SRC_ORIGIN, "SRC_VEHICLE": SRC_VEHICLE,
             "SRC_WALK": SRC_WALK}


cdef class TimetableView:
    """Typed read-only memoryviews over the bundle's timetable arrays (built once per open)."""

    cdef readonly int n_stops, n_patterns, n_trips, max_day_offset
    cdef const int32_t[::1] pattern_stops_offsets
    cdef const int32_t[::1] pattern_stops
    cdef const uint8_t[::1] pattern_pickup
    cdef const uint8_t[::1] pattern_dropoff
    cdef const int32_t[::1] pattern_first_trip
    cdef const int32_t[::1] pattern_n_trips
    cdef const int64_t[::1] pattern_st_offset
    cdef const int32_t[::1] pattern_max_day
    cdef const int32_t[::1] st_arr
    cdef const int32_t[::1] st_dep
    cdef const int32_t[::1] trip_service
    cdef const int32_t[::1] stop_patterns_offsets
    cdef const int32_t[::1] stop_patterns
    cdef const int32_t[::1] stop_patterns_pos
    cdef const int32_t[::1] footpath_offsets
    cdef const int32_t[::1] footpath_to
    cdef const int32_t[::1] footpath_duration
    cdef const int32_t[::1] stop_min_change

    def __init__(self, *, const int32_t[::1] pattern_stops_offsets, const int32_t[::1] pattern_stops,
                 const uint8_t[::1] pattern_pickup, const uint8_t[::1] pattern_dropoff,
                 const int32_t[::1] pattern_first_trip, const int32_t[::1] pattern_n_trips,
                 const int64_t[::1] pattern_st_offset, const int32_t[::1] pattern_max_day,
                 const int32_t[::1] st_arr, const int32_t[::1] st_dep,
                 const int32_t[::1] trip_service,
                 const int32_t[::1] stop_patterns_offsets, const int32_t[::1] stop_patterns,
                 const int32_t[::1] stop_patterns_pos,
                 const int32_t[::1] footpath_offsets, const int32_t[::1] footpath_to,
                 const int32_t[::1] footpath_duration, const int32_t[::1] stop_min_change):
        self.pattern_stops_offsets = pattern_stops_offsets
        self.pattern_stops = pattern_stops
        self.pattern_pickup = pattern_pickup
        self.pattern_dropoff = pattern_dropoff
        self.pattern_first_trip = pattern_first_trip
        self.pattern_n_trips = pattern_n_trips
        self.pattern_st_offset = pattern_st_offset
        self.pattern_max_day = pattern_max_day
        self.st_arr = st_arr
        self.st_dep = st_dep
        self.trip_service = trip_service
        self.stop_patterns_offsets = stop_patterns_offsets
        self.stop_patterns = stop_patterns
        self.stop_patterns_pos = stop_patterns_pos
        self.footpath_offsets = footpath_offsets
        self.footpath_to = footpath_to
        self.footpath_duration = footpath_duration
        self.stop_min_change = stop_min_change
        self.n_stops = stop_min_change.shape[0]
        self.n_patterns = pattern_n_trips.shape[0]
        self.n_trips = trip_service.shape[0]
        if (pattern_stops_offsets.shape[0] != self.n_patterns + 1
                or stop_patterns_offsets.shape[0] != self.n_stops + 1
                or footpath_offsets.shape[0] != self.n_stops + 1):
            raise ValueError("timetable arrays have inconsistent lengths")
        cdef int p, m = 0
        for p in range(self.n_patterns):
            if pattern_max_day[p] > m:
                m = pattern_max_day[p]
        self.max_day_offset = m


cdef class OverlayView:
    """Real-time trips as extra patterns (see the header): read-only arrays built by
    engine/realtime/overlay.py for one overlay snapshot.

      pattern_*, st_arr, st_dep, stop_patterns*   as in TimetableView (times on the overlay axis)
      trip_day     int32 [n_trips]   service day of each trip, in days after the overlay epoch day
      trip_base    = the static timetable's n_trips (overlay trip i is trip_base + i in labels)
      static_twin  int32 [tt.n_patterns]  first of the overlay patterns with the same stops as static
                   pattern p, pickup/drop-off allowed only where p allows them (p's changed trips,
                   skipped stops included), static_twin_n[p] (<= MAX_TWINS) of them from there,
                   scanned in the same pass as p (_scan_pattern_twin); NO_IDX if none. Twins are
                   not in stop_patterns.
    """

    cdef readonly int n_stops, n_patterns, n_trips, trip_base
    cdef const int32_t[::1] pattern_stops_offsets
    cdef const int32_t[::1] pattern_stops
    cdef const uint8_t[::1] pattern_pickup
    cdef const uint8_t[::1] pattern_dropoff
    cdef const int32_t[::1] pattern_first_trip
    cdef const int32_t[::1] pattern_n_trips
    cdef const int64_t[::1] pattern_st_offset
    cdef const int32_t[::1] st_arr
    cdef const int32_t[::1] st_dep
    cdef const int32_t[::1] trip_day
    cdef const int32_t[::1] stop_patterns_offsets
    cdef const int32_t[::1] stop_patterns
    cdef const int32_t[::1] stop_patterns_pos
    cdef const int32_t[::1] static_twin
    cdef const int32_t[::1] static_twin_n
    cdef object timetable           # the TimetableView whose patterns the twins were checked against

    def __init__(self, *, const int32_t[::1] pattern_stops_offsets, const int32_t[::1] pattern_stops,
                 const uint8_t[::1] pattern_pickup, const uint8_t[::1] pattern_dropoff,
                 const int32_t[::1] pattern_first_trip, const int32_t[::1] pattern_n_trips,
                 const int64_t[::1] pattern_st_offset, const int32_t[::1] st_arr, const int32_t[::1] st_dep,
                 const int32_t[::1] trip_day, const int32_t[::1] stop_patterns_offsets,
                 const int32_t[::1] stop_patterns, const int32_t[::1] stop_patterns_pos, int trip_base,
                 const int32_t[::1] static_twin, const int32_t[::1] static_twin_n, TimetableView timetable):
        self.pattern_stops_offsets = pattern_stops_offsets
        self.pattern_stops = pattern_stops
        self.pattern_pickup = pattern_pickup
        self.pattern_dropoff = pattern_dropoff
        self.pattern_first_trip = pattern_first_trip
        self.pattern_n_trips = pattern_n_trips
        self.pattern_st_offset = pattern_st_offset
        self.st_arr = st_arr
        self.st_dep = st_dep
        self.trip_day = trip_day
        self.stop_patterns_offsets = stop_patterns_offsets
        self.stop_patterns = stop_patterns
        self.stop_patterns_pos = stop_patterns_pos
        self.static_twin = static_twin
        self.static_twin_n = static_twin_n
        self.n_stops = stop_patterns_offsets.shape[0] - 1
        self.n_patterns = pattern_n_trips.shape[0]
        self.n_trips = trip_day.shape[0]
        self.trip_base = trip_base
        if (pattern_stops_offsets.shape[0] != self.n_patterns + 1 or pattern_first_trip.shape[0] != self.n_patterns
                or pattern_st_offset.shape[0] != self.n_patterns or st_arr.shape[0] != st_dep.shape[0]
                or stop_patterns.shape[0] != stop_patterns_pos.shape[0]
                or pattern_pickup.shape[0] != pattern_stops.shape[0]
                or pattern_dropoff.shape[0] != pattern_stops.shape[0]):
            raise ValueError("overlay arrays have inconsistent lengths")
        cdef int p
        if static_twin_n.shape[0] != static_twin.shape[0]:
            raise ValueError("one static_twin_n per static pattern")
        for p in range(static_twin.shape[0]):
            if static_twin[p] != NO_IDX and (static_twin[p] < 0 or static_twin_n[p] < 1
                                             or static_twin_n[p] > MAX_TWINS
                                             or static_twin[p] + static_twin_n[p] > self.n_patterns):
                raise ValueError("overlay twin pattern out of range")
        cdef int j, q, pos, a, b, m
        if static_twin.shape[0] != timetable.n_patterns:
            raise ValueError("one static_twin per pattern of the timetable")
        for p in range(static_twin.shape[0]):
            if static_twin[p] == NO_IDX:
                continue
            a = timetable.pattern_stops_offsets[p]
            m = timetable.pattern_stops_offsets[p + 1] - a
            for q in range(static_twin[p], static_twin[p] + static_twin_n[p]):
                b = pattern_stops_offsets[q]
                if pattern_stops_offsets[q + 1] - b != m:
                    raise ValueError("overlay twin pattern with other stops than its static pattern")
                for pos in range(m):
                    if (pattern_stops[b + pos] != timetable.pattern_stops[a + pos]
                            or (pattern_pickup[b + pos] and not timetable.pattern_pickup[a + pos])
                            or (pattern_dropoff[b + pos] and not timetable.pattern_dropoff[a + pos])):
                        raise ValueError("overlay twin pattern with other stops or more pickups/drop-offs "
                                         "than its static pattern")
        self.timetable = timetable
        for p in range(self.n_patterns):
            if (pattern_first_trip[p] < 0 or pattern_first_trip[p] + pattern_n_trips[p] > self.n_trips
                    or pattern_st_offset[p] < 0 or pattern_st_offset[p]
                    + <int64_t>pattern_n_trips[p] * (pattern_stops_offsets[p + 1] - pattern_stops_offsets[p])
                    > st_arr.shape[0]):
                raise ValueError("overlay pattern blocks out of range")


cdef class RaptorWorkspace:
    """Reusable per-thread scratch state (labels, back-pointers, marks); never shared."""

    cdef readonly int n_stops, n_patterns, max_rounds, rounds_run
    cdef int n_dirty, rows_dirty, n_ready_marked, n_ready_marked_next
    cdef bint per_round         # best_veh kept per round (range queries), else in row 0 only
    cdef public object arrival_np, ready_np, veh_arr_np, veh_trip_np, veh_day_np
    cdef public object veh_board_pos_np, veh_alight_pos_np, walk_arr_np, walk_from_np
    cdef public object ready_src_np, target_arr_np, best_veh_np
    cdef int32_t[:, ::1] arrival
    cdef int32_t[:, ::1] ready
    cdef int32_t[:, ::1] veh_arr
    cdef int32_t[:, ::1] veh_trip
    cdef int32_t[:, ::1] veh_day
    cdef int32_t[:, ::1] veh_board_pos
    cdef int32_t[:, ::1] veh_alight_pos
    cdef int32_t[:, ::1] walk_arr
    cdef int32_t[:, ::1] walk_from
    cdef uint8_t[:, ::1] ready_src
    cdef int32_t[::1] target_arr
    cdef int32_t[:, ::1] best_veh
    cdef uint8_t[::1] dirty
    cdef int32_t[::1] dirty_list
    cdef uint8_t[::1] ready_marked
    cdef int32_t[::1] ready_marked_list
    cdef uint8_t[::1] ready_marked_next
    cdef int32_t[::1] ready_marked_next_list
    cdef uint8_t[::1] veh_marked
    cdef int32_t[::1] veh_marked_list
    cdef int32_t[::1] pattern_from_pos
    cdef int32_t[::1] pattern_list
    cdef int32_t[::1] target_egress
    cdef uint8_t[::1] is_target
    cdef int32_t[::1] rt_from_pos
    cdef int32_t[::1] rt_list
    cdef readonly int rt_capacity
    cdef const int32_t* lower      # run_raptor ``lower`` during a run (NULL: none)
    cdef int lower_width, lower_left

    def __init__(self, int n_stops, int n_patterns, int max_rounds):
        self.n_stops = n_stops
        self.n_patterns = n_patterns
        self.max_rounds = max_rounds
        self.rounds_run = 0
        self.n_dirty = 0
        self.rows_dirty = 0
        self.per_round = False
        self.n_ready_marked = 0
        self.n_ready_marked_next = 0
        shape = (max_rounds + 1, n_stops)
        self.arrival_np = np.full(shape, UNREACHED, np.int32)
        self.ready_np = np.full(shape, UNREACHED, np.int32)
        self.veh_arr_np = np.full(shape, UNREACHED, np.int32)
        self.veh_trip_np = np.full(shape, NO_IDX, np.int32)
        self.veh_day_np = np.zeros(shape, np.int32)
        self.veh_board_pos_np = np.full(shape, NO_IDX, np.int32)
        self.veh_alight_pos_np = np.full(shape, NO_IDX, np.int32)
        self.walk_arr_np = np.full(shape, UNREACHED, np.int32)
        self.walk_from_np = np.full(shape, NO_IDX, np.int32)
        self.ready_src_np = np.zeros(shape, np.uint8)
        self.target_arr_np = np.full(max_rounds + 1, UNREACHED, np.int32)
        self.arrival = self.arrival_np
        self.ready = self.ready_np
        self.veh_arr = self.veh_arr_np
        self.veh_trip = self.veh_trip_np
        self.veh_day = self.veh_day_np
        self.veh_board_pos = self.veh_board_pos_np
        self.veh_alight_pos = self.veh_alight_pos_np
        self.walk_arr = self.walk_arr_np
        self.walk_from = self.walk_from_np
        self.ready_src = self.ready_src_np
        self.target_arr = self.target_arr_np
        self.best_veh_np = np.full(shape, UNREACHED, np.int32)
        self.best_veh = self.best_veh_np
        self.dirty = np.zeros(n_stops, np.uint8)
        self.dirty_list = np.zeros(n_stops, np.int32)
        self.ready_marked = np.zeros(n_stops, np.uint8)
        self.ready_marked_list = np.zeros(n_stops, np.int32)
        self.ready_marked_next = np.zeros(n_stops, np.uint8)
        self.ready_marked_next_list = np.zeros(n_stops, np.int32)
        self.veh_marked = np.zeros(n_stops, np.uint8)
        self.veh_marked_list = np.zeros(n_stops, np.int32)
        self.pattern_from_pos = np.full(n_patterns, NO_IDX, np.int32)
        self.pattern_list = np.zeros(n_patterns, np.int32)
        self.target_egress = np.full(n_stops, NO_VALUE, np.int32)
        self.is_target = np.zeros(n_stops, np.uint8)
        self.rt_capacity = 0
        self.rt_from_pos = np.full(1, NO_IDX, np.int32)
        self.rt_list = np.zeros(1, np.int32)
        self.lower = NULL

    def reserve_overlay(self, int n_patterns):
        """Room for the patterns of an overlay (grown, never shrunk)."""
        if n_patterns > self.rt_capacity:
            self.rt_capacity = max(n_patterns, 2 * self.rt_capacity)
            self.rt_from_pos = np.full(self.rt_capacity, NO_IDX, np.int32)
            self.rt_list = np.zeros(self.rt_capacity, np.int32)


cdef inline int32_t _min32(int32_t a, int32_t b) noexcept nogil:
    return a if a < b else b


cdef inline void _touch(RaptorWorkspace ws, int s) noexcept nogil:
    """Record that s got a label in this query, so that it is copied to later rounds and
    reset before the next query."""
    if not ws.dirty[s]:
        ws.dirty[s] = 1
        ws.dirty_list[ws.n_dirty] = s
        ws.n_dirty += 1


cdef inline void _mark_ready(RaptorWorkspace ws, int s) noexcept nogil:
    """s can board from round 0 on (its ready[0] improved)."""
    if not ws.ready_marked[s]:
        ws.ready_marked[s] = 1
        ws.ready_marked_list[ws.n_ready_marked] = s
        ws.n_ready_marked += 1


cdef inline void _mark_ready_next(RaptorWorkspace ws, int s) noexcept nogil:
    """s's ready time improved in the current round: scan its patterns next round."""
    if not ws.ready_marked_next[s]:
        ws.ready_marked_next[s] = 1
        ws.ready_marked_next_list[ws.n_ready_marked_next] = s
        ws.n_ready_marked_next += 1


cdef int _cmp_int32(const void* a, const void* b) noexcept nogil:
    cdef int32_t x = (<const int32_t*>a)[0], y = (<const int32_t*>b)[0]
    return (x > y) - (x < y)


cdef void _sort_ready_marked(RaptorWorkspace ws) noexcept nogil:
    """Put ready_marked_list in increasing stop order. The order in which patterns are queued,
    hence scanned, decides ties between equal arrivals and what the target bound prunes within a
    round: visiting stops by index, as a sweep over all stops does, keeps the results
    independent of the order in which stops were marked."""
    cdef int s, m = 0
    # Few marks: sorting them (m log m) is cheaper than reading n_stops flags.
    if ws.n_ready_marked * 64 <= ws.n_stops:
        qsort(&ws.ready_marked_list[0], ws.n_ready_marked, sizeof(int32_t), _cmp_int32)
        return
    # Many marks: a sweep over the flags is cheaper than sorting them.
    for s in range(ws.n_stops):
        if ws.ready_marked[s]:
            ws.ready_marked_list[m] = s
            m += 1


cdef void _reset_labels(RaptorWorkspace ws) noexcept nogil:
    """Undo the previous query's labels (only its dirty stops hold any)."""
    cdef int i, k, s
    for i in range(ws.n_dirty):
        s = ws.dirty_list[i]
        for k in range(ws.rows_dirty + 1):
            ws.arrival[k, s] = UNREACHED
            ws.ready[k, s] = UNREACHED
            ws.ready_src[k, s] = SRC_NONE
            ws.veh_arr[k, s] = UNREACHED
            ws.walk_arr[k, s] = UNREACHED
        if ws.per_round:
            for k in range(1, ws.rows_dirty + 1):
                ws.best_veh[k, s] = UNREACHED
        ws.best_veh[0, s] = UNREACHED
        ws.dirty[s] = 0
    ws.n_dirty = 0


cdef inline int32_t _earliest_trip(TimetableView tt, const int32_t[:, ::1] next_active, int day_shift,
                                   int p, int pos, int32_t ready_time, int* out_trip, int* out_day) noexcept nogil:
    """Earliest departure >= ready_time at (pattern p, stop_pos pos): engine/_timetable.pxd."""
    cdef int n = tt.pattern_n_trips[p]
    return earliest_departure(&tt.st_dep[tt.pattern_st_offset[p] + <int64_t>pos * n], n, tt.pattern_first_trip[p],
                              tt.pattern_max_day[p], &next_active[0, 0], next_active.shape[1], day_shift, ready_time,
                              out_trip, out_day)


cdef int _collect_patterns(TimetableView tt, RaptorWorkspace ws, const uint8_t[::1] prune,
                           bint has_prune, int remaining) noexcept nogil:
    """Queue every pattern serving a stop whose ready time improved, from its earliest such
    boardable stop_pos. Returns the number of queued patterns. ``prune`` (when has_prune): a
    lower bound on the vehicles from each stop to a target; a stop needing more than the
    ``remaining`` vehicles boards nothing (it cannot lead to a target within max_rounds)."""
    cdef int i, s, j, p, pos, n_queued = 0
    _sort_ready_marked(ws)
    for i in range(ws.n_ready_marked):
        s = ws.ready_marked_list[i]
        if has_prune and prune[s] > remaining:
            continue
        for j in range(tt.stop_patterns_offsets[s], tt.stop_patterns_offsets[s + 1]):
            p = tt.stop_patterns[j]
            pos = tt.stop_patterns_pos[j]
            if tt.pattern_pickup[tt.pattern_stops_offsets[p] + pos]:
                n_queued = queue_pattern(&ws.pattern_from_pos[0], &ws.pattern_list[0], n_queued, p, pos)
    return n_queued


cdef int _collect_rt_patterns(OverlayView rt, RaptorWorkspace ws) noexcept nogil:
    """_collect_patterns for the overlay's patterns (ready_marked_list is already sorted)."""
    cdef int i, s, j, p, pos, n_queued = 0
    for i in range(ws.n_ready_marked):
        s = ws.ready_marked_list[i]
        for j in range(rt.stop_patterns_offsets[s], rt.stop_patterns_offsets[s + 1]):
            p = rt.stop_patterns[j]
            pos = rt.stop_patterns_pos[j]
            if rt.pattern_pickup[rt.pattern_stops_offsets[p] + pos]:
                n_queued = queue_pattern(&ws.rt_from_pos[0], &ws.rt_list[0], n_queued, p, pos)
    return n_queued


cdef inline void _improve_target(RaptorWorkspace ws, int k, int s, int32_t t,
                                 int32_t* bound) noexcept nogil:
    cdef int32_t total
    if ws.is_target[s]:
        total = t + ws.target_egress[s]
        if total < ws.target_arr[k]:
            ws.target_arr[k] = total
        if total < bound[0]:
            bound[0] = total


cdef inline bint _beyond(RaptorWorkspace ws, int row, int k, int32_t t, int32_t bound) noexcept nogil:
    """run_raptor ``lower``: a label of round k at ``row`` (a stop, or n_stops + a stop: came by
    vehicle) at t can reach no target before ``bound`` with the vehicles left."""
    cdef int32_t b = ws.lower[row * ws.lower_width + ws.lower_left - k]
    return b >= NO_BOUND or <int64_t>t + b >= bound


cdef inline int _alight(TimetableView tt, RaptorWorkspace ws, int k, int brow, int s, int pos, int32_t t,
                        int trip_idx, int day, int board_pos, int32_t default_change, int32_t* bound,
                        int n_veh_marked) noexcept nogil:
    """A vehicle (trip_idx of service day offset day, boarded at board_pos) reaches stop s at t
    in round k: keep it if it beats the best vehicle arrival with <= k vehicles (row brow) and
    the target bound; label, mark and back-point s. Returns the count of vehicle-marked stops."""
    cdef int32_t change, ready_t
    if not (t < ws.best_veh[brow, s] and t < bound[0]):
        return n_veh_marked
    if ws.lower != NULL and _beyond(ws, ws.n_stops + s, k, t, bound[0]):
        return n_veh_marked
    _touch(ws, s)
    ws.best_veh[brow, s] = t
    ws.veh_arr[k, s] = t
    ws.veh_trip[k, s] = trip_idx
    ws.veh_day[k, s] = day
    ws.veh_board_pos[k, s] = board_pos
    ws.veh_alight_pos[k, s] = pos
    if not ws.veh_marked[s]:
        ws.veh_marked[s] = 1
        ws.veh_marked_list[n_veh_marked] = s
        n_veh_marked += 1
    if t < ws.arrival[k, s]:
        ws.arrival[k, s] = t
    _improve_target(ws, k, s, t, bound)
    change = tt.stop_min_change[s]
    if change == NO_VALUE:
        change = default_change
    ready_t = t + change
    if ready_t < ws.ready[k, s]:
        ws.ready[k, s] = ready_t
        ws.ready_src[k, s] = SRC_VEHICLE
        _mark_ready_next(ws, s)
    return n_veh_marked


cdef int _scan_pattern(TimetableView tt, RaptorWorkspace ws, const int32_t[:, ::1] next_active,
                       int day_shift, int k, int p, int32_t default_change,
                       int32_t* bound, int n_veh_marked) noexcept nogil:
    """Ride pattern p from its first marked stop_pos: alight where it improves a vehicle
    arrival, (re)board the earliest catchable trip where the previous round allows."""
    cdef int start = tt.pattern_stops_offsets[p]
    cdef int m = tt.pattern_stops_offsets[p + 1] - start
    cdef int n = tt.pattern_n_trips[p]
    cdef int64_t block = tt.pattern_st_offset[p]
    cdef int trip = NO_IDX, day = 0, board_pos = NO_IDX, pos, s, new_trip = NO_IDX, new_day = 0
    cdef int32_t t, prev_ready, current_dep, dep
    cdef int brow = k if ws.per_round else 0      # the row holding the best vehicle arrival so far
    for pos in range(ws.pattern_from_pos[p], m):
        s = tt.pattern_stops[start + pos]
        # Alight first: this block is above boarding so that we never alight where we boarded.
        if trip != NO_IDX and tt.pattern_dropoff[start + pos]:
            t = tt.st_arr[block + <int64_t>pos * n + trip] + day * DAY
            n_veh_marked = _alight(tt, ws, k, brow, s, pos, t, tt.pattern_first_trip[p] + trip, day, board_pos,
                                   default_change, bound, n_veh_marked)
        # Board (or switch to an earlier trip) where the previous round made us ready sooner.
        # Stops not improved in round k-1 are skipped: whatever can be caught there was
        # caught in an earlier round already, with fewer vehicles (r5's FastRaptorWorker).
        if ws.ready_marked[s] and tt.pattern_pickup[start + pos]:
            prev_ready = ws.ready[k - 1, s]
            if prev_ready < UNREACHED:
                if trip == NO_IDX:
                    current_dep = UNREACHED
                else:
                    current_dep = tt.st_dep[block + <int64_t>pos * n + trip] + day * DAY
                if prev_ready < current_dep:
                    dep = _earliest_trip(tt, next_active, day_shift, p, pos, prev_ready, &new_trip, &new_day)
                    if dep < current_dep:
                        trip = new_trip
                        day = new_day
                        board_pos = pos
    return n_veh_marked


cdef int _scan_rt_pattern(TimetableView tt, OverlayView rt, RaptorWorkspace ws, int k, int p,
                          int32_t shift, int last_day, int32_t default_change, int32_t* bound,
                          int n_veh_marked) noexcept nogil:
    """_scan_pattern for overlay pattern p: times are read minus ``shift`` (the query date's
    axis), the earliest catchable trip is one binary search (each trip is one service day),
    skipping trips of days after ``last_day``."""
    cdef int start = rt.pattern_stops_offsets[p]
    cdef int m = rt.pattern_stops_offsets[p + 1] - start
    cdef int n = rt.pattern_n_trips[p]
    cdef int first = rt.pattern_first_trip[p]
    cdef int64_t block = rt.pattern_st_offset[p], row
    cdef int trip = NO_IDX, board_pos = NO_IDX, pos, s, i
    cdef int32_t t, prev_ready, current_dep
    cdef int brow = k if ws.per_round else 0
    for pos in range(ws.rt_from_pos[p], m):
        s = rt.pattern_stops[start + pos]
        row = block + <int64_t>pos * n
        # Alight first (never where we boarded), exactly as in _scan_pattern.
        if trip != NO_IDX and rt.pattern_dropoff[start + pos]:
            t = rt.st_arr[row + trip] - shift
            n_veh_marked = _alight(tt, ws, k, brow, s, pos, t, rt.trip_base + first + trip, 0, board_pos,
                                   default_change, bound, n_veh_marked)
        if ws.ready_marked[s] and rt.pattern_pickup[start + pos]:
            prev_ready = ws.ready[k - 1, s]
            if prev_ready < UNREACHED:
                current_dep = UNREACHED if trip == NO_IDX else rt.st_dep[row + trip] - shift
                # (no binary search when every trip leaves too early or none leaves earlier)
                if (prev_ready < current_dep and rt.st_dep[row + n - 1] - shift >= prev_ready
                        and rt.st_dep[row] - shift < current_dep):
                    i = lower_bound(&rt.st_dep[row], n, prev_ready + shift)
                    while i < n and rt.trip_day[first + i] > last_day:
                        i += 1
                    if i < n and rt.st_dep[row + i] - shift < current_dep:
                        trip = i
                        board_pos = pos
    return n_veh_marked


cdef int _scan_pattern_twin(TimetableView tt, OverlayView rt, RaptorWorkspace ws,
                            const int32_t[:, ::1] next_active, int day_shift, int k, int p, int q0, int nq,
                            int32_t shift, int last_day, int32_t default_change, int32_t* bound,
                            int n_veh_marked) noexcept nogil:
    """_scan_pattern for static pattern p and, in the same pass over its stops, overlay patterns
    q0 .. q0 + nq - 1 (p's stops; pickup/drop-off only where p allows them: p's trips as real
    time runs them, skipped stops included). One stop loop for all keeps an overlay of changed
    trips almost free: at each stop, alight from whichever current trip arrives first; board
    each pattern's earliest trip where the previous round allows."""
    cdef int start = tt.pattern_stops_offsets[p]
    cdef int m = tt.pattern_stops_offsets[p + 1] - start
    cdef int n = tt.pattern_n_trips[p]
    cdef int64_t block = tt.pattern_st_offset[p]
    cdef int rtrip[MAX_TWINS]
    cdef int rboard_pos[MAX_TWINS]
    cdef int rn[MAX_TWINS]
    cdef int rfirst[MAX_TWINS]
    cdef int rstart[MAX_TWINS]
    cdef int64_t rblock[MAX_TWINS]
    cdef int64_t rrow
    cdef int trip = NO_IDX, day = 0, board_pos = NO_IDX, pos, s, new_trip = NO_IDX, new_day = 0
    cdef int i, j, best_j, n_live = 0
    cdef int32_t t, t_rt, prev_ready, current_dep, dep
    cdef int brow = k if ws.per_round else 0
    for j in range(nq):
        rtrip[j] = NO_IDX
        rboard_pos[j] = NO_IDX
        rn[j] = rt.pattern_n_trips[q0 + j]
        rfirst[j] = rt.pattern_first_trip[q0 + j]
        rstart[j] = rt.pattern_stops_offsets[q0 + j]
        rblock[j] = rt.pattern_st_offset[q0 + j]
    for pos in range(ws.pattern_from_pos[p], m):
        s = tt.pattern_stops[start + pos]
        if tt.pattern_dropoff[start + pos] and (trip != NO_IDX or n_live):
            t = UNREACHED if trip == NO_IDX else tt.st_arr[block + <int64_t>pos * n + trip] + day * DAY
            best_j = -1
            for j in range(nq):
                if rtrip[j] != NO_IDX and rt.pattern_dropoff[rstart[j] + pos]:
                    t_rt = rt.st_arr[rblock[j] + <int64_t>pos * rn[j] + rtrip[j]] - shift
                    if t_rt < t:
                        t = t_rt
                        best_j = j
            if best_j >= 0:
                n_veh_marked = _alight(tt, ws, k, brow, s, pos, t, rt.trip_base + rfirst[best_j] + rtrip[best_j], 0,
                                       rboard_pos[best_j], default_change, bound, n_veh_marked)
            else:
                n_veh_marked = _alight(tt, ws, k, brow, s, pos, t, tt.pattern_first_trip[p] + trip, day, board_pos,
                                       default_change, bound, n_veh_marked)
        if ws.ready_marked[s] and tt.pattern_pickup[start + pos]:
            prev_ready = ws.ready[k - 1, s]
            if prev_ready < UNREACHED:
                current_dep = UNREACHED if trip == NO_IDX else tt.st_dep[block + <int64_t>pos * n + trip] + day * DAY
                if prev_ready < current_dep:
                    dep = _earliest_trip(tt, next_active, day_shift, p, pos, prev_ready, &new_trip, &new_day)
                    if dep < current_dep:
                        trip = new_trip
                        day = new_day
                        board_pos = pos
                for j in range(nq):
                    if not rt.pattern_pickup[rstart[j] + pos]:
                        continue
                    rrow = rblock[j] + <int64_t>pos * rn[j]
                    current_dep = UNREACHED if rtrip[j] == NO_IDX else rt.st_dep[rrow + rtrip[j]] - shift
                    # (no binary search when every trip leaves too early or none leaves earlier)
                    if (prev_ready < current_dep and rt.st_dep[rrow + rn[j] - 1] - shift >= prev_ready
                            and rt.st_dep[rrow] - shift < current_dep):
                        i = lower_bound(&rt.st_dep[rrow], rn[j], prev_ready + shift)
                        while i < rn[j] and rt.trip_day[rfirst[j] + i] > last_day:
                            i += 1
                        if i < rn[j] and rt.st_dep[rrow + i] - shift < current_dep:
                            if rtrip[j] == NO_IDX:
                                n_live += 1
                            rtrip[j] = i
                            rboard_pos[j] = pos
    return n_veh_marked


cdef void _relax_footpaths(TimetableView tt, RaptorWorkspace ws, int k, int n_veh_marked,
                           int32_t* bound, bint walk_after_last) noexcept nogil:
    """One footpath from every stop a vehicle reached in round k (never chained)."""
    cdef int i, j, x, y
    cdef int32_t t
    for i in range(n_veh_marked):
        x = ws.veh_marked_list[i]
        ws.veh_marked[x] = 0
        for j in range(tt.footpath_offsets[x], tt.footpath_offsets[x + 1]):
            y = tt.footpath_to[j]
            t = ws.veh_arr[k, x] + tt.footpath_duration[j]
            if t < ws.ready[k, y]:
                if ws.lower != NULL and _beyond(ws, y, k, t, bound[0]):
                    continue
                _touch(ws, y)
                ws.ready[k, y] = t
                ws.ready_src[k, y] = SRC_WALK
                _mark_ready_next(ws, y)
                if t < ws.walk_arr[k, y]:
                    ws.walk_arr[k, y] = t
                    ws.walk_from[k, y] = x
                if t < ws.arrival[k, y]:
                    ws.arrival[k, y] = t
                if walk_after_last:
                    _improve_target(ws, k, y, t, bound)


cdef void _start_targets(RaptorWorkspace ws, const int32_t[::1] target_stop, const int32_t[::1] target_egress,
                         bint reuse) noexcept nogil:
    """Flag the targets with their egress (the smallest if listed twice); a fresh query also
    forgets the previous target arrivals."""
    cdef int i, k, s
    if not reuse:
        for k in range(ws.max_rounds + 1):
            ws.target_arr[k] = UNREACHED
    for i in range(target_stop.shape[0]):
        s = target_stop[i]
        if not ws.is_target[s] or target_egress[i] < ws.target_egress[s]:
            ws.target_egress[s] = target_egress[i]
        ws.is_target[s] = 1


cdef void _init_round0(TimetableView tt, RaptorWorkspace ws, const int32_t[::1] origin_stop,
                       const int32_t[::1] origin_time, bint walk_before_first, bint walk_after_last,
                       int32_t* bound) noexcept nogil:
    """Round 0: the origins at their times, then (optionally) one footpath from each."""
    cdef int i, j, s, y
    cdef int32_t t
    for i in range(origin_stop.shape[0]):
        s = origin_stop[i]
        t = origin_time[i]
        _touch(ws, s)
        if t < ws.ready[0, s]:
            ws.ready[0, s] = t
            ws.ready_src[0, s] = SRC_ORIGIN
            _mark_ready(ws, s)
        if t < ws.arrival[0, s]:
            ws.arrival[0, s] = t
        _improve_target(ws, 0, s, t, bound)
    if not walk_before_first:
        return
    for i in range(origin_stop.shape[0]):
        s = origin_stop[i]
        t = origin_time[i]
        for j in range(tt.footpath_offsets[s], tt.footpath_offsets[s + 1]):
            y = tt.footpath_to[j]
            if t + tt.footpath_duration[j] < ws.ready[0, y]:
                _touch(ws, y)
                ws.ready[0, y] = t + tt.footpath_duration[j]
                ws.ready_src[0, y] = SRC_WALK
                _mark_ready(ws, y)
                ws.walk_from[0, y] = s
                ws.walk_arr[0, y] = t + tt.footpath_duration[j]
                if ws.ready[0, y] < ws.arrival[0, y]:
                    ws.arrival[0, y] = ws.ready[0, y]
                if walk_after_last:
                    _improve_target(ws, 0, y, ws.ready[0, y], bound)


cdef void _carry_round(RaptorWorkspace ws, int k, int src, bint fresh) noexcept nogil:
    """Row k starts as good as row src < k: what src vehicles reach, more may reach too.

    ``fresh`` (row k holds nothing yet): a copy. Else (a range query's row k keeps what a
    later departure reached with k vehicles: rRAPTOR's label reuse) a minimum; a ready time
    taken from row src then loses its row-k source (SRC_NONE: row src explains it)."""
    cdef int i, s
    if ws.target_arr[src] < ws.target_arr[k]:
        ws.target_arr[k] = ws.target_arr[src]
    if fresh:
        for i in range(ws.n_dirty):
            s = ws.dirty_list[i]
            ws.arrival[k, s] = ws.arrival[src, s]
            ws.ready[k, s] = ws.ready[src, s]
        if ws.per_round:
            for i in range(ws.n_dirty):
                s = ws.dirty_list[i]
                ws.best_veh[k, s] = ws.best_veh[src, s]
        return
    for i in range(ws.n_dirty):
        s = ws.dirty_list[i]
        if ws.arrival[src, s] < ws.arrival[k, s]:
            ws.arrival[k, s] = ws.arrival[src, s]
        if ws.ready[src, s] < ws.ready[k, s]:
            ws.ready[k, s] = ws.ready[src, s]
            ws.ready_src[k, s] = SRC_NONE
        if ws.best_veh[src, s] < ws.best_veh[k, s]:
            ws.best_veh[k, s] = ws.best_veh[src, s]


cdef void _swap_marks(RaptorWorkspace ws) noexcept nogil:
    """ready_marked <- ready_marked_next, visiting the listed stops only."""
    cdef int i, s
    for i in range(ws.n_ready_marked):
        ws.ready_marked[ws.ready_marked_list[i]] = 0
    for i in range(ws.n_ready_marked_next):
        s = ws.ready_marked_next_list[i]
        ws.ready_marked_next[s] = 0
        ws.ready_marked[s] = 1
        ws.ready_marked_list[i] = s
    ws.n_ready_marked = ws.n_ready_marked_next
    ws.n_ready_marked_next = 0


cdef int _run_rounds(TimetableView tt, RaptorWorkspace ws,
                     const int32_t[::1] origin_stop, const int32_t[::1] origin_time,
                     const int32_t[::1] target_stop, const int32_t[::1] target_egress,
                     const int32_t[:, ::1] next_active, int day_shift, int max_rounds,
                     int32_t default_change, bint walk_before_first, bint walk_after_last,
                     bint reuse, bint per_round, int32_t cap, OverlayView rt=None, bint has_rt=False,
                     int32_t rt_shift=0, int rt_last_day=0, const uint8_t[::1] prune=None,
                     bint has_prune=False) noexcept nogil:
    """The RAPTOR rounds (the paper's loop); returns the number of rounds run.

    ``reuse``: keep the labels of the previous call (same origins, a LATER departure) as upper
    bounds instead of resetting them: rRAPTOR. Whatever a later departure reaches with k
    vehicles, an earlier one reaches by waiting, so the labels stay exact; only stops that
    the earlier departure improves are marked and rescanned. Vehicle arrivals are pruned per
    round (best_veh[k] = best with <= k vehicles), never against more vehicles of a later
    departure, so every row stays exact: ``per_round`` keeps those rows (every run of a range,
    the first included); a single run keeps the best in row 0 (one row, fewer copies). ``cap``:
    arrivals at or after it are pruned (a matrix's longest travel time)."""
    cdef int k, i, j, n_queued, n_rt_queued = 0, n_veh_marked, rounds = 0
    cdef int32_t bound = cap
    if not reuse:
        _reset_labels(ws)         # per the previous run's mode
    ws.per_round = per_round
    _start_targets(ws, target_stop, target_egress, reuse)
    if ws.target_arr[0] < bound:
        bound = ws.target_arr[0]
    _init_round0(tt, ws, origin_stop, origin_time, walk_before_first, walk_after_last, &bound)
    for k in range(1, max_rounds + 1):
        n_queued = _collect_patterns(tt, ws, prune, has_prune, max_rounds - k + 1)
        if has_rt:
            n_rt_queued = _collect_rt_patterns(rt, ws)
        if n_queued == 0 and n_rt_queued == 0:
            break
        rounds = k
        _carry_round(ws, k, k - 1, not reuse)
        if ws.target_arr[k] < bound:
            bound = ws.target_arr[k]
        n_veh_marked = 0
        for i in range(n_queued):
            j = ws.pattern_list[i]
            if has_rt and rt.static_twin[j] != NO_IDX:
                n_veh_marked = _scan_pattern_twin(tt, rt, ws, next_active, day_shift, k, j, rt.static_twin[j],
                                                  rt.static_twin_n[j], rt_shift, rt_last_day, default_change,
                                                  &bound, n_veh_marked)
            elif pattern_runs(&next_active[0, 0], next_active.shape[1], day_shift, tt.pattern_first_trip[j],
                              tt.pattern_n_trips[j], tt.pattern_max_day[j]):
                n_veh_marked = _scan_pattern(tt, ws, next_active, day_shift, k, j, default_change,
                                             &bound, n_veh_marked)
            ws.pattern_from_pos[j] = NO_IDX
        for i in range(n_rt_queued):
            j = ws.rt_list[i]
            n_veh_marked = _scan_rt_pattern(tt, rt, ws, k, j, rt_shift, rt_last_day, default_change,
                                            &bound, n_veh_marked)
            ws.rt_from_pos[j] = NO_IDX
        _relax_footpaths(tt, ws, k, n_veh_marked, &bound, walk_after_last)
        _swap_marks(ws)
    # Rows of rounds that did not run: nothing improved, so they are at least the last row.
    for k in range(rounds + 1, max_rounds + 1):
        _carry_round(ws, k, rounds, not reuse)
    ws.rows_dirty = max_rounds
    # Leave the flags clean for the next query.
    for i in range(ws.n_ready_marked):
        ws.ready_marked[ws.ready_marked_list[i]] = 0
    ws.n_ready_marked = 0
    for i in range(target_stop.shape[0]):
        ws.is_target[target_stop[i]] = 0
    return rounds


cdef _check_run(TimetableView tt, RaptorWorkspace ws, const int32_t[:, ::1] next_active, int day_shift,
                int max_rounds, OverlayView rt=None):
    if rt is not None and (rt.n_stops != tt.n_stops or rt.trip_base != tt.n_trips or rt.timetable is not tt
                           or rt.static_twin.shape[0] != tt.n_patterns or ws.rt_capacity < rt.n_patterns):
        raise ValueError("overlay does not fit the timetable, or the workspace has no room for it "
                         "(RaptorWorkspace.reserve_overlay)")
    if max_rounds > ws.max_rounds or max_rounds < 0:
        raise ValueError("max_rounds exceeds the workspace size")
    if ws.n_stops != tt.n_stops or ws.n_patterns != tt.n_patterns:
        raise ValueError("workspace was made for another timetable")
    if (next_active.shape[0] < tt.max_day_offset + 2 or day_shift < tt.max_day_offset
            or next_active.shape[1] != tt.n_trips):
        raise ValueError("next_active table does not fit the timetable's trips and day span")


def run_raptor(TimetableView tt, RaptorWorkspace ws,
               const int32_t[::1] origin_stop, const int32_t[::1] origin_time,
               const int32_t[::1] target_stop, const int32_t[::1] target_egress,
               const int32_t[:, ::1] next_active, int day_shift, int max_rounds,
               int32_t default_change, bint walk_before_first, bint walk_after_last,
               bint reuse=False, bint per_round=False, OverlayView rt=None, int32_t rt_shift=0,
               int rt_last_day=0, const uint8_t[::1] prune=None, const int32_t[::1] lower=None):
    """Run RAPTOR from origins (stop, time) for up to max_rounds vehicles.

    Targets (stop, egress seconds) only prune the search and fill ws.target_arr_np[k] (the
    earliest arrival at the destination with <= k vehicles); with no target every stop gets
    exact per-round labels (one-to-all). ``next_active[d + day_shift, trip]`` is the first
    trip index >= trip, in the same pattern, that runs on the query date + d (or any index past
    the pattern's trips if none). Range queries pass ``per_round`` on every run and ``reuse``
    on every run but the first (the next, earlier, departure from the same origins, with the
    same targets and max_rounds: keep the labels; see _run_rounds). Returns the number of
    rounds run. ``rt``: a real-time overlay scanned too (header), read shifted by ``rt_shift``
    seconds, trips of overlay days after ``rt_last_day`` ignored; next_active must then be the
    overlay's copy with its changed trips struck out. ``prune``: uint8 [n_stops] from
    ``vehicles_to_targets`` for these targets (static timetable only): boardings at stops that
    cannot reach a target with the vehicles left are skipped; target arrivals stay exact, the
    labels of stops that cannot reach a target in time may then be worse than without it.
    ``lower``: int32 [2 * n_stops * (max_rounds + 1)], lower bounds on the seconds from a stop to
    a target (egress included) with j more vehicles at [s * (max_rounds + 1) + j] for a label
    that may board at once, at [(n_stops + s) * (max_rounds + 1) + j] for one that came by
    vehicle; 1e9: none within j (engine._mcraptor.stage_for): labels that cannot beat the best
    target arrival found are dropped (A*-style); target arrivals stay exact, other labels may
    be worse than without it.
    """
    _check_run(tt, ws, next_active, day_shift, max_rounds, rt)
    if lower is not None and (max_rounds < 0 or lower.shape[0] != 2 * tt.n_stops * (max_rounds + 1)):
        raise ValueError("lower must have 2 * n_stops * (max_rounds + 1) values")
    cdef bint has_rt = rt is not None and rt.n_patterns > 0
    cdef bint has_prune = prune is not None
    if has_prune and prune.shape[0] != tt.n_stops:
        raise ValueError("prune must have one value per stop")
    if has_prune and has_rt:     # the bounds know only the static patterns: added trips would be cut
        raise ValueError("prune is for the static timetable only (no real-time overlay)")
    if reuse and (ws.rows_dirty != max_rounds or not ws.per_round or not per_round):
        raise ValueError("reuse needs a previous per_round run with the same max_rounds")
    cdef int rounds
    if lower is not None and lower.shape[0]:
        ws.lower = &lower[0]
        ws.lower_width = max_rounds + 1
        ws.lower_left = max_rounds
    try:
        with nogil:
            rounds = _run_rounds(tt, ws, origin_stop, origin_time, target_stop, target_egress, next_active,
                                 day_shift, max_rounds, default_change, walk_before_first, walk_after_last,
                                 reuse, per_round, UNREACHED, rt, has_rt, rt_shift, rt_last_day, prune, has_prune)
    finally:
        ws.lower = NULL
    ws.rounds_run = rounds
    return rounds


cdef class RangeTimes:
    """Travel times over a departure window, to fixed destinations: built once (per matrix,
    per isochrone) and ``run`` once per origin. Range RAPTOR (rRAPTOR): the departures are
    visited from the last to the first, each run reusing the labels of the one after it.

    departures: seconds on the date's axis, strictly DECREASING. Destination d is reached at
    stop dest_stop[e] plus dest_egress[e] seconds, e in dest_offsets[d] .. dest_offsets[d+1]:
    at the stop's earliest arrival (walking included), or, where dest_by_vehicle[d], at its
    earliest vehicle arrival (a point reached by its street egress after alighting). Travel
    times above max_time are UNREACHED (and arrivals past departure + max_time are pruned).
    """

    cdef TimetableView tt
    cdef const int32_t[:, ::1] next_active
    cdef int day_shift, max_rounds
    cdef int32_t change, max_time
    cdef const int32_t[::1] departures
    cdef const int32_t[::1] dest_offsets
    cdef const int32_t[::1] dest_stop
    cdef const int32_t[::1] dest_egress
    cdef const uint8_t[::1] dest_by_vehicle
    cdef readonly Py_ssize_t n_departures, n_destinations

    def __init__(self, TimetableView tt, const int32_t[:, ::1] next_active, int day_shift, int max_rounds,
                 int32_t default_change, int32_t max_time, const int32_t[::1] departures, *,
                 const int32_t[::1] dest_offsets, const int32_t[::1] dest_stop,
                 const int32_t[::1] dest_egress, const uint8_t[::1] dest_by_vehicle):
        cdef Py_ssize_t i, e
        if (next_active.shape[0] < tt.max_day_offset + 2 or day_shift < tt.max_day_offset
                or next_active.shape[1] != tt.n_trips):
            raise ValueError("next_active table does not fit the timetable's trips and day span")
        for i in range(1, departures.shape[0]):
            if departures[i] >= departures[i - 1]:
                raise ValueError("departures must be strictly decreasing")
        self.n_destinations = dest_offsets.shape[0] - 1
        if dest_by_vehicle.shape[0] != self.n_destinations or dest_egress.shape[0] != dest_stop.shape[0]:
            raise ValueError("one dest_by_vehicle per destination, one dest_egress per destination stop")
        for e in range(dest_stop.shape[0]):
            if dest_stop[e] < 0 or dest_stop[e] >= tt.n_stops:
                raise ValueError("destination stop index out of range")
        self.tt, self.next_active, self.day_shift, self.max_rounds = tt, next_active, day_shift, max_rounds
        self.change, self.max_time, self.departures = default_change, max_time, departures
        self.dest_offsets, self.dest_stop, self.dest_egress = dest_offsets, dest_stop, dest_egress
        self.dest_by_vehicle = dest_by_vehicle
        self.n_departures = departures.shape[0]

    def run(self, RaptorWorkspace ws, const int32_t[::1] origin_stop, const int32_t[::1] origin_access,
            bint walk_before_first, const int32_t[::1] dest_direct, int32_t[:, ::1] out):
        """One origin (its stops and the seconds to reach each; 0 for a stop origin):
        out[i, d] = arrival at d - departures[i], or UNREACHED. dest_direct[d]: a street-only
        time from this origin (UNREACHED if none). Runs without the GIL."""
        cdef TimetableView tt = self.tt
        _check_run(tt, ws, self.next_active, self.day_shift, self.max_rounds)
        if out.shape[0] != self.n_departures or out.shape[1] != self.n_destinations:
            raise ValueError("out must be [departures, destinations]")
        if dest_direct.shape[0] != self.n_destinations or origin_access.shape[0] != origin_stop.shape[0]:
            raise ValueError("one dest_direct per destination, one origin_access per origin stop")
        cdef Py_ssize_t i, d, e, j
        for j in range(origin_stop.shape[0]):
            if origin_stop[j] < 0 or origin_stop[j] >= tt.n_stops:
                raise ValueError("origin stop index out of range")
        cdef int32_t[::1] origin_time = np.empty(origin_stop.shape[0], np.int32)
        cdef const int32_t[::1] no_stops = np.empty(0, np.int32)
        cdef int32_t dep, best, t
        cdef int rounds = 0, last = self.max_rounds
        with nogil:
            for i in range(self.n_departures):
                dep = self.departures[i]
                for j in range(origin_stop.shape[0]):
                    origin_time[j] = dep + origin_access[j]
                rounds = _run_rounds(tt, ws, origin_stop, origin_time, no_stops, no_stops, self.next_active,
                                     self.day_shift, last, self.change, walk_before_first, True, i > 0, True,
                                     dep + self.max_time + 1)
                for d in range(self.n_destinations):
                    best = UNREACHED
                    for e in range(self.dest_offsets[d], self.dest_offsets[d + 1]):
                        if self.dest_by_vehicle[d]:
                            t = ws.best_veh[last, self.dest_stop[e]]
                        else:
                            t = ws.arrival[last, self.dest_stop[e]]
                        if t < UNREACHED and t + self.dest_egress[e] < best:
                            best = t + self.dest_egress[e]
                    if dest_direct[d] < UNREACHED and dep + dest_direct[d] < best:
                        best = dep + dest_direct[d]
                    out[i, d] = best - dep if best - dep <= self.max_time else UNREACHED
        ws.rounds_run = rounds


def percentiles_of(const int32_t[:, ::1] times, const int32_t[::1] ranks, int32_t[:, ::1] out):
    """out[d, p] = the ranks[p]-th smallest of times[:, d] (0-based): a percentile by R5's
    nearest-rank rule once ranks[p] = ceil(P/100 * n) - 1. UNREACHED sorts last. No GIL."""
    cdef Py_ssize_t n = times.shape[0], n_dest = times.shape[1], d, i, j, p
    cdef int32_t v
    if out.shape[0] != n_dest or out.shape[1] != ranks.shape[0]:
        raise ValueError("out must be [destinations, percentiles]")
    for p in range(ranks.shape[0]):
        if ranks[p] < 0 or ranks[p] >= n:
            raise ValueError("rank out of range")
    cdef int32_t[::1] column = np.empty(max(n, 1), np.int32)
    with nogil:
        for d in range(n_dest):
            # insertion sort of one destination's times (a window is tens of minutes)
            for i in range(n):
                v = times[i, d]
                j = i
                while j > 0 and column[j - 1] > v:
                    column[j] = column[j - 1]
                    j -= 1
                column[j] = v
            for p in range(ranks.shape[0]):
                out[d, p] = column[ranks[p]]


def fill_next_active(const uint8_t[:, ::1] active, const int32_t[::1] trip_service,
                     int32_t[:, ::1] out):
    """out[row, trip] = first trip index >= trip whose service runs in ``active[row]``
    (n_trips if none). Trips of a pattern are contiguous and sorted, so run_raptor reads the
    next running trip of a pattern in O(1); an index past the pattern's last trip means none.

    One backward sweep per row: on the merged bundle (157k trips, 6 rows) 0.7-2.0 ms per new
    date against 4.4-4.5 ms for the numpy equivalent (a gather, a where and a reversed
    minimum.accumulate). A service index outside ``active`` (a corrupt bundle) is a ValueError,
    as numpy's IndexError was, not a read out of bounds.
    """
    cdef Py_ssize_t n = trip_service.shape[0], n_services = active.shape[1], row, t
    cdef int32_t nxt, service, bad = -1
    if out.shape[0] != active.shape[0] or out.shape[1] != n:
        raise ValueError("out must be [active rows, n_trips]")
    with nogil:
        for t in range(n):
            service = trip_service[t]
            if service < 0 or service >= n_services:
                bad = <int32_t>t
                break
        if bad < 0:
            for row in range(active.shape[0]):
                nxt = <int32_t>n
                for t in range(n - 1, -1, -1):
                    if active[row, trip_service[t]]:
                        nxt = <int32_t>t
                    out[row, t] = nxt
    if bad >= 0:
        raise ValueError(f"trip {bad} has service index {trip_service[bad]}, outside 0..{n_services - 1}")


def reverse_footpaths(const int32_t[::1] offsets, const int32_t[::1] to, int n_stops,
                      const int32_t[::1] duration=None):
    """(offsets, from): the footpath CSR reversed (the stops that walk to each stop, in footpath
    order: a stable counting sort); made once per timetable for ``vehicles_to_targets``. With
    ``duration``, (offsets, from, duration) (McRAPTOR's lower bounds, engine/criteria/bounds.py)."""
    cdef Py_ssize_t n = to.shape[0]
    cdef int x, y
    cdef int64_t j
    cdef bint timed = duration is not None
    if offsets.shape[0] != n_stops + 1:
        raise ValueError("offsets must have n_stops + 1 values")
    if timed and duration.shape[0] != n:
        raise ValueError("duration must have one value per footpath")
    out_off_np = np.zeros(n_stops + 1, np.int32)
    out_from_np = np.empty(n, np.int32)
    out_dur_np = np.empty(n if timed else 0, np.int32)
    fill_np = np.zeros(n_stops, np.int32)
    cdef int32_t[::1] out_off = out_off_np, out_from = out_from_np, out_dur = out_dur_np, fill = fill_np
    for j in range(n):
        if to[j] < 0 or to[j] >= n_stops:
            raise ValueError(f"footpath {j} leads to stop {to[j]}, outside 0..{n_stops - 1}")
    with nogil:
        for j in range(n):
            out_off[to[j] + 1] += 1
        for x in range(n_stops):
            out_off[x + 1] += out_off[x]
            fill[x] = out_off[x]
        for x in range(n_stops):
            for j in range(offsets[x], offsets[x + 1]):
                y = to[j]
                out_from[fill[y]] = x
                if timed:
                    out_dur[fill[y]] = duration[j]
                fill[y] += 1
    return (out_off_np, out_from_np, out_dur_np) if timed else (out_off_np, out_from_np)


def vehicles_to_targets(TimetableView tt, const int32_t[::1] rfp_offsets, const int32_t[::1] rfp_from,
                        const int32_t[::1] targets, int max_vehicles):
    """uint8 [n_stops]: a lower bound on the vehicles needed from each stop to reach a target,
    capped at ``max_vehicles``, for ``run_raptor(prune=...)``.

    Why: on a national network most of what a RAPTOR query labels cannot reach the destination
    within max_rounds; a backward breadth-first search over the pattern graph (no times) says
    which stops can. Level v: stops before a level v-1 stop on some pattern; walks are free and
    may chain, pickup/drop-off flags and service days are ignored, so the count never exceeds
    the true one (a lower bound: pruning with it is exact). Each pattern position is visited at
    most once per query (``reach``), each labelled stop's patterns and walks once. The last
    level (exactly max_vehicles) is not searched: it is the largest, and only the first boarding
    at the origins could use it, so every stop not found below it gets max_vehicles (still a
    lower bound).
    """
    cdef int n = tt.n_stops, i, j, s, x, y, p, pos, q, start, lvl
    cdef int head = 0, tail = 0, level_start = 0, level_end
    if max_vehicles < 0 or max_vehicles > 254:
        raise ValueError("max_vehicles must be in 0..254")
    if rfp_offsets.shape[0] != n + 1 or rfp_offsets[n] != rfp_from.shape[0]:
        raise ValueError("reversed footpaths do not fit the timetable")
    for i in range(targets.shape[0]):
        if targets[i] < 0 or targets[i] >= n:
            raise ValueError(f"target stop {targets[i]} outside 0..{n - 1}")
    level_np = np.full(n, 255, np.uint8)
    reach_np = np.zeros(tt.n_patterns, np.int32)     # positions < reach[p] are labelled
    queue_np = np.empty(n, np.int32)
    cdef uint8_t[::1] level = level_np
    cdef int32_t[::1] reach = reach_np, queue = queue_np
    with nogil:
        for i in range(targets.shape[0]):
            s = targets[i]
            if level[s] != 0:
                level[s] = 0
                queue[tail] = s
                tail += 1
        for lvl in range(max_vehicles + 1):
            # stops that walk to a stop of this level are of this level too
            head = level_start
            while head < tail:
                y = queue[head]
                head += 1
                for j in range(rfp_offsets[y], rfp_offsets[y + 1]):
                    x = rfp_from[j]
                    if level[x] == 255:
                        level[x] = <uint8_t>lvl
                        queue[tail] = x
                        tail += 1
            level_end = tail
            if lvl + 1 >= max_vehicles or level_start == level_end:
                break
            # one vehicle more: the stops before a stop of this level on any of its patterns
            for i in range(level_start, level_end):
                y = queue[i]
                for j in range(tt.stop_patterns_offsets[y], tt.stop_patterns_offsets[y + 1]):
                    p = tt.stop_patterns[j]
                    pos = tt.stop_patterns_pos[j]
                    if pos > reach[p]:
                        start = tt.pattern_stops_offsets[p]
                        for q in range(reach[p], pos):
                            x = tt.pattern_stops[start + q]
                            if level[x] == 255:
                                level[x] = <uint8_t>(lvl + 1)
                                queue[tail] = x
                                tail += 1
                        reach[p] = pos
            level_start = level_end
    level_np[level_np == 255] = max_vehicles
    return level_np
