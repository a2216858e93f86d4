# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""McRAPTOR: exact Pareto sets over arrival x vehicles x walking seconds (issue 14).

Algorithm: Delling, Pajor, Werneck, "Round-Based Public Transit Routing" (2012), section 4
(McRAPTOR): RAPTOR's rounds with a bag of non-dominated labels per stop instead of one time.
The number of vehicles is the round, so a bag holds (arrival, walking) pairs, and a label of
round k is dropped when a label of a round <= k at the same stop is no worse on both.

Same transfer model as engine/_core.pyx (the two-criteria kernel), on the same flat timetable
arrays (McView: read-only views, no cimport of _core):
  - a vehicle arrival at s is ready to board again after the change time (stop_min_change[s],
    else the query's), a footpath arrival or an origin at once;
  - one footpath after each vehicle (and, with walk_before_first, one from the origins), never
    two in a row; footpath seconds add to walking, as do access seconds given per origin and
    egress seconds given per target (the caller says which count as walking);
  - trip days: a trip of service day D+d departs at st_dep + d*86400, d in
    [-pattern_max_day, +1]; next_active[d + day_shift, trip] is the next trip of the same pattern
    running on D+d (the caller's table, so filters apply unchanged).
Because the ready rule differs, each stop has two bags: VEHICLE labels (arrived by a vehicle)
and DIRECT labels (origin or footpath). Dominance is checked within a bag, and one way across:
a footpath label is dropped when a vehicle label there is ready (after the change time) no later
with no more walking (it arrives earlier too, and may walk on where the footpath label may not).

Layout of the workspace (McWorkspace, reused across queries of one thread):
  label pool, int32 [capacity]: lab_arr, lab_walk, lab_round, lab_stop, lab_kind, lab_parent
      (label index or NO_IDX), lab_trip (global trip_idx), lab_day, lab_board_pos,
      lab_alight_pos, lab_next (next label of the same bag); lab_alive uint8.
      Labels of round k occupy one contiguous range of the pool (round_start[k] ..), so the
      labels a round must extend are a range, never a list.
  bag_head int32 [2 * n_stops]: first label of bag (stop, VEHICLE=0 / DIRECT=1); NO_IDX when
      empty; reset through touched_list between queries.
  route bag (one pattern scan): rb_* [ROUTE_CAP]: trip offset in pattern, day, walk, parent
      label, board position, alive.
  target list tg_* [TARGET_CAP]: (arrival + egress, walk + egress walk, round) of complete
      journeys seen so far; any label no better than one of them is dropped (target pruning).
A full pool or route bag makes the run return OVERFLOW; the caller grows the workspace and runs
again (results never depend on capacity).
"""
from libc.stdint cimport int32_t, int64_t, uint8_t
import numpy as np

cdef enum:
    UNREACHED = 2000000000
    NO_IDX = -1
    NO_VALUE = -1
    DAY = 86400
    VEHICLE_BAG = 0
    DIRECT_BAG = 1
    ROUTE_CAP = 8192
    TARGET_CAP = 8192
    OVERFLOW = -1

# label kinds (mirrored in engine/criteria/mcraptor.py)
cdef enum:
    KIND_ORIGIN = 0
    KIND_VEHICLE = 1
    KIND_WALK = 2

KINDS = {"ORIGIN": KIND_ORIGIN, "VEHICLE": KIND_VEHICLE, "WALK": KIND_WALK,
         "NO_IDX": NO_IDX, "UNREACHED": UNREACHED}


cdef class McView:
    """Read-only views over the timetable arrays McRAPTOR reads (see engine/_core.pyx layout)."""

    cdef readonly int n_stops, n_patterns
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
                 const int32_t[::1] stop_patterns_offsets, const int32_t[::1] stop_patterns,
                 const int32_t[::1] stop_patterns_pos, const int32_t[::1] footpath_offsets,
                 const int32_t[::1] footpath_to, const int32_t[::1] footpath_duration,
                 const int32_t[::1] stop_min_change):
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
        self.stop_patterns_offsets = stop_patterns_offsets
        self.stop_patterns = stop_patterns
        self.stop_patterns_pos = stop_patterns_pos
        self.footpath_offsets = footpath_offsets
        self.footpath_to = footpath_to
        self.footpath_duration = footpath_duration
        self.stop_min_change = stop_min_change
        self.n_stops = stop_min_change.shape[0]
        self.n_patterns = pattern_n_trips.shape[0]


cdef class McWorkspace:
    """Per-thread scratch state of McRAPTOR; the label pool is readable after a run (``*_np``)."""

    cdef readonly int capacity, n_stops, n_patterns, n_labels, rounds_run
    cdef int32_t[::1] lab_arr, lab_walk, lab_round, lab_stop, lab_kind, lab_parent
    cdef int32_t[::1] lab_trip, lab_day, lab_board_pos, lab_alight_pos, lab_next
    cdef uint8_t[::1] lab_alive
    cdef int32_t[::1] bag_head, touched_list, pattern_from_pos, pattern_list
    cdef uint8_t[::1] touched, stop_marked, is_target
    cdef int32_t[::1] marked_list, target_egress, target_egress_walk
    cdef int32_t[::1] rb_trip, rb_day, rb_walk, rb_parent, rb_board_pos
    cdef uint8_t[::1] rb_alive
    cdef int32_t[::1] tg_arr, tg_walk, tg_round
    cdef int32_t[::1] round_start
    cdef int n_touched, n_targets_seen, overflow
    cdef int32_t tg_min_arr
    cdef readonly object lab_arr_np, lab_walk_np, lab_round_np, lab_stop_np, lab_kind_np
    cdef readonly object lab_parent_np, lab_trip_np, lab_day_np, lab_board_pos_np, lab_alight_pos_np
    cdef readonly object lab_alive_np, bag_head_np, lab_next_np

    def __init__(self, int n_stops, int n_patterns, int capacity=1 << 16):
        self.n_stops, self.n_patterns, self.capacity = n_stops, n_patterns, capacity
        i32 = lambda n, v=0: np.full(n, v, np.int32)
        self.lab_arr_np = i32(capacity); self.lab_arr = self.lab_arr_np
        self.lab_walk_np = i32(capacity); self.lab_walk = self.lab_walk_np
        self.lab_round_np = i32(capacity); self.lab_round = self.lab_round_np
        self.lab_stop_np = i32(capacity); self.lab_stop = self.lab_stop_np
        self.lab_kind_np = i32(capacity); self.lab_kind = self.lab_kind_np
        self.lab_parent_np = i32(capacity); self.lab_parent = self.lab_parent_np
        self.lab_trip_np = i32(capacity); self.lab_trip = self.lab_trip_np
        self.lab_day_np = i32(capacity); self.lab_day = self.lab_day_np
        self.lab_board_pos_np = i32(capacity); self.lab_board_pos = self.lab_board_pos_np
        self.lab_alight_pos_np = i32(capacity); self.lab_alight_pos = self.lab_alight_pos_np
        self.lab_next_np = i32(capacity); self.lab_next = self.lab_next_np
        self.lab_alive_np = np.zeros(capacity, np.uint8); self.lab_alive = self.lab_alive_np
        self.bag_head_np = i32(2 * n_stops, NO_IDX); self.bag_head = self.bag_head_np
        self.touched_list = i32(n_stops)
        self.touched = np.zeros(n_stops, np.uint8)
        self.stop_marked = np.zeros(n_stops, np.uint8)
        self.is_target = np.zeros(n_stops, np.uint8)
        self.marked_list = i32(n_stops)
        self.target_egress = i32(n_stops)
        self.target_egress_walk = i32(n_stops)
        self.pattern_from_pos = i32(n_patterns, NO_IDX)
        self.pattern_list = i32(n_patterns)
        self.rb_trip = i32(ROUTE_CAP); self.rb_day = i32(ROUTE_CAP); self.rb_walk = i32(ROUTE_CAP)
        self.rb_parent = i32(ROUTE_CAP); self.rb_board_pos = i32(ROUTE_CAP)
        self.rb_alive = np.zeros(ROUTE_CAP, np.uint8)
        self.tg_arr = i32(TARGET_CAP); self.tg_walk = i32(TARGET_CAP); self.tg_round = i32(TARGET_CAP)
        self.round_start = i32(130)
        self.n_touched = 0
        self.n_labels = 0


cdef inline int _lower_bound(const int32_t[::1] values, int64_t start, int n, int32_t target) noexcept nogil:
    cdef int lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[start + mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef inline int32_t _earliest_trip(McView tt, const int32_t[:, ::1] next_active, int day_shift,
                                   int p, int pos, int32_t ready, int* out_trip, int* out_day) noexcept nogil:
    """Earliest departure >= ready at (p, pos) over the running service days (as _core does)."""
    cdef int n = tt.pattern_n_trips[p]
    cdef int64_t base = tt.pattern_st_offset[p] + <int64_t>pos * n
    cdef int first = tt.pattern_first_trip[p]
    cdef int32_t best = UNREACHED, shift, t
    cdef int d, i, j
    out_trip[0] = NO_IDX
    for d in range(-tt.pattern_max_day[p], 2):
        shift = d * DAY
        if tt.st_dep[base] + shift >= best:
            break
        if tt.st_dep[base + n - 1] + shift < ready:
            continue
        i = _lower_bound(tt.st_dep, base, n, ready - shift)
        j = next_active[d + day_shift, first + i] - first
        if j < n:
            t = tt.st_dep[base + j] + shift
            if t < best:
                best = t
                out_trip[0] = j
                out_day[0] = d
    return best


cdef inline bint _target_dominated(McWorkspace ws, int32_t arr, int32_t walk, int k) noexcept nogil:
    """A complete journey already found is no worse on arrival, walking and vehicles."""
    cdef int i
    if arr < ws.tg_min_arr:
        return False        # earlier than every journey found: the common case, no scan
    for i in range(ws.n_targets_seen):
        if ws.tg_arr[i] <= arr and ws.tg_walk[i] <= walk and ws.tg_round[i] <= k:
            return True
    return False


cdef inline void _note_target(McWorkspace ws, int s, int32_t arr, int32_t walk, int k) noexcept nogil:
    """Keep the journeys found as a Pareto set (entries the new one dominates are dropped)."""
    cdef int32_t a = arr + ws.target_egress[s], w = walk + ws.target_egress_walk[s]
    cdef int i, m = 0
    if _target_dominated(ws, a, w, k):
        return
    for i in range(ws.n_targets_seen):
        if not (a <= ws.tg_arr[i] and w <= ws.tg_walk[i] and k <= ws.tg_round[i]):
            ws.tg_arr[m] = ws.tg_arr[i]
            ws.tg_walk[m] = ws.tg_walk[i]
            ws.tg_round[m] = ws.tg_round[i]
            m += 1
    ws.n_targets_seen = m
    if m < TARGET_CAP:
        ws.tg_arr[m] = a
        ws.tg_walk[m] = w
        ws.tg_round[m] = k
        ws.n_targets_seen = m + 1
        if a < ws.tg_min_arr:
            ws.tg_min_arr = a


cdef int _bag_insert(McWorkspace ws, int s, int bag, int32_t arr, int32_t walk, int k, int kind,
                     int parent) noexcept nogil:
    """Add (arr, walk) of round k to bag (s, bag) unless a label there is no worse on both
    (labels there are of rounds <= k); same-round labels it dominates die. Returns the label or
    NO_IDX (dominated, or the pool is full: ws.overflow)."""
    cdef int head = 2 * s + bag, cur = ws.bag_head[head], prev = NO_IDX, nxt, idx
    while cur != NO_IDX:
        nxt = ws.lab_next[cur]
        if not ws.lab_alive[cur]:
            # unlink dead labels on the way (their data stay: they may be parents)
            if prev == NO_IDX:
                ws.bag_head[head] = nxt
            else:
                ws.lab_next[prev] = nxt
        else:
            if ws.lab_arr[cur] <= arr and ws.lab_walk[cur] <= walk:
                return NO_IDX
            if ws.lab_round[cur] == k and arr <= ws.lab_arr[cur] and walk <= ws.lab_walk[cur]:
                ws.lab_alive[cur] = 0
            prev = cur
        cur = nxt
    if ws.n_labels >= ws.capacity:
        ws.overflow = 1
        return NO_IDX
    idx = ws.n_labels
    ws.n_labels += 1
    ws.lab_arr[idx] = arr
    ws.lab_walk[idx] = walk
    ws.lab_round[idx] = k
    ws.lab_stop[idx] = s
    ws.lab_kind[idx] = kind
    ws.lab_parent[idx] = parent
    ws.lab_trip[idx] = NO_IDX
    ws.lab_day[idx] = 0
    ws.lab_board_pos[idx] = NO_IDX
    ws.lab_alight_pos[idx] = NO_IDX
    ws.lab_alive[idx] = 1
    ws.lab_next[idx] = ws.bag_head[head]
    ws.bag_head[head] = idx
    if not ws.touched[s]:
        ws.touched[s] = 1
        ws.touched_list[ws.n_touched] = s
        ws.n_touched += 1
    return idx


cdef inline bint _counts_at_target(int kind, int k, bint walk_after_last) noexcept nogil:
    # the two-criteria engine's rule: round 0 ends anywhere, later rounds with a vehicle unless
    # a last footpath is allowed
    return k == 0 or walk_after_last or kind == KIND_VEHICLE


cdef inline bint _vehicle_dominates(McView tt, McWorkspace ws, int t, int32_t arr, int32_t walk,
                                    int32_t min_change_s) noexcept nogil:
    """A vehicle label at t (of a round <= this one) is ready to board no later than a footpath
    arriving at ``arr``, with no more walking: it also arrives earlier, and it may walk on where a
    footpath label may not, so the footpath label is useless."""
    cdef int cur = ws.bag_head[2 * t + VEHICLE_BAG]
    cdef int32_t change = tt.stop_min_change[t] if tt.stop_min_change[t] != NO_VALUE else min_change_s
    while cur != NO_IDX:
        if ws.lab_alive[cur] and ws.lab_arr[cur] + change <= arr and ws.lab_walk[cur] <= walk:
            return True
        cur = ws.lab_next[cur]
    return False


cdef void _footpaths_from(McView tt, McWorkspace ws, int idx, int k, bint walk_after_last,
                          int32_t min_change_s) noexcept nogil:
    """One footpath from label idx to every neighbour of its stop (DIRECT bags)."""
    cdef int s = ws.lab_stop[idx], e, t, new
    cdef int32_t arr, walk
    for e in range(tt.footpath_offsets[s], tt.footpath_offsets[s + 1]):
        t = tt.footpath_to[e]
        arr = ws.lab_arr[idx] + tt.footpath_duration[e]
        walk = ws.lab_walk[idx] + tt.footpath_duration[e]
        if _target_dominated(ws, arr, walk, k) or _vehicle_dominates(tt, ws, t, arr, walk, min_change_s):
            continue
        new = _bag_insert(ws, t, DIRECT_BAG, arr, walk, k, KIND_WALK, idx)
        if new != NO_IDX and ws.is_target[t] and _counts_at_target(KIND_WALK, k, walk_after_last):
            _note_target(ws, t, arr, walk, k)


cdef inline bint _route_covers(McView tt, McWorkspace ws, int n_rb, int p, int pos, int32_t ready,
                              int32_t walk) noexcept nogil:
    """A route label departs at or before ``ready`` with no more walking: whatever trip a label
    ready then catches departs no earlier, so its boarding is dominated (no search needed)."""
    cdef int n = tt.pattern_n_trips[p], r
    cdef int64_t base = tt.pattern_st_offset[p] + <int64_t>pos * n
    for r in range(n_rb):
        if ws.rb_alive[r] and ws.rb_walk[r] <= walk and tt.st_dep[base + ws.rb_trip[r]] + ws.rb_day[r] * DAY <= ready:
            return True
    return False


cdef int _route_insert(McView tt, McWorkspace ws, int n_rb, int p, int pos, int trip, int day, int32_t dep,
                       int32_t walk, int parent) noexcept nogil:
    """Add a boarding to the route bag unless a label there departs (hence arrives everywhere
    later, no overtaking) no later with no more walking; returns the new bag size."""
    cdef int n = tt.pattern_n_trips[p], r, m
    cdef int64_t base = tt.pattern_st_offset[p] + <int64_t>pos * n
    cdef int32_t dep_r
    for r in range(n_rb):
        if not ws.rb_alive[r]:
            continue
        dep_r = tt.st_dep[base + ws.rb_trip[r]] + ws.rb_day[r] * DAY
        if dep_r <= dep and ws.rb_walk[r] <= walk:
            return n_rb
        if dep <= dep_r and walk <= ws.rb_walk[r]:
            ws.rb_alive[r] = 0
    if n_rb >= ROUTE_CAP:
        m = 0
        for r in range(n_rb):     # compact the dead labels away
            if ws.rb_alive[r]:
                ws.rb_trip[m] = ws.rb_trip[r]; ws.rb_day[m] = ws.rb_day[r]; ws.rb_walk[m] = ws.rb_walk[r]
                ws.rb_parent[m] = ws.rb_parent[r]; ws.rb_board_pos[m] = ws.rb_board_pos[r]; ws.rb_alive[m] = 1
                m += 1
        n_rb = m
        if n_rb >= ROUTE_CAP:
            ws.overflow = 1
            return n_rb
    ws.rb_trip[n_rb] = trip
    ws.rb_day[n_rb] = day
    ws.rb_walk[n_rb] = walk
    ws.rb_parent[n_rb] = parent
    ws.rb_board_pos[n_rb] = pos
    ws.rb_alive[n_rb] = 1
    return n_rb + 1


cdef void _scan_pattern(McView tt, McWorkspace ws, const int32_t[:, ::1] next_active, int day_shift, int p,
                        int k, int32_t min_change_s, bint walk_after_last) noexcept nogil:
    """Ride pattern p from its first marked stop_pos: alight every route label where drop-off is
    allowed, then board from the round k-1 labels of the stop."""
    cdef int start = tt.pattern_stops_offsets[p], end = tt.pattern_stops_offsets[p + 1]
    cdef int n = tt.pattern_n_trips[p], first = tt.pattern_first_trip[p]
    cdef int64_t base = tt.pattern_st_offset[p]
    cdef int pos, s, r, n_rb = 0, bag, cur, trip, day, idx
    cdef int32_t arr, walk, ready, dep, change
    for pos in range(ws.pattern_from_pos[p], end - start):
        s = tt.pattern_stops[start + pos]
        if n_rb and tt.pattern_dropoff[start + pos]:
            for r in range(n_rb):
                if not ws.rb_alive[r]:
                    continue
                arr = tt.st_arr[base + <int64_t>pos * n + ws.rb_trip[r]] + ws.rb_day[r] * DAY
                walk = ws.rb_walk[r]
                if _target_dominated(ws, arr, walk, k):
                    continue
                idx = _bag_insert(ws, s, VEHICLE_BAG, arr, walk, k, KIND_VEHICLE, ws.rb_parent[r])
                if idx == NO_IDX:
                    continue
                ws.lab_trip[idx] = first + ws.rb_trip[r]
                ws.lab_day[idx] = ws.rb_day[r]
                ws.lab_board_pos[idx] = ws.rb_board_pos[r]
                ws.lab_alight_pos[idx] = pos
                if ws.is_target[s]:
                    _note_target(ws, s, arr, walk, k)
        if not (ws.stop_marked[s] and tt.pattern_pickup[start + pos]):
            continue
        change = tt.stop_min_change[s] if tt.stop_min_change[s] != NO_VALUE else min_change_s
        for bag in range(2):
            cur = ws.bag_head[2 * s + bag]
            while cur != NO_IDX:
                if ws.lab_alive[cur] and ws.lab_round[cur] == k - 1:
                    ready = ws.lab_arr[cur] + (change if bag == VEHICLE_BAG else 0)
                    if _route_covers(tt, ws, n_rb, p, pos, ready, ws.lab_walk[cur]):
                        cur = ws.lab_next[cur]
                        continue
                    dep = _earliest_trip(tt, next_active, day_shift, p, pos, ready, &trip, &day)
                    # every stop down the pattern is reached at >= dep: a journey already found
                    # that is no worse makes the boarding useless
                    if trip != NO_IDX and not _target_dominated(ws, dep, ws.lab_walk[cur], k):
                        n_rb = _route_insert(tt, ws, n_rb, p, pos, trip, day, dep, ws.lab_walk[cur], cur)
                        if ws.overflow:
                            return
                cur = ws.lab_next[cur]


def run_mcraptor(McView tt, McWorkspace ws, const int32_t[::1] origin_stop, const int32_t[::1] origin_time,
                 const int32_t[::1] origin_walk, const int32_t[::1] target_stop,
                 const int32_t[::1] target_egress, const int32_t[::1] target_egress_walk,
                 const int32_t[:, ::1] next_active, int day_shift, int max_rounds, int min_change_s,
                 bint walk_before_first, bint walk_after_last):
    """Fill ws's label pool for one query; returns the number of labels, or OVERFLOW (-1) when
    the pool or a route bag is full (grow the workspace and run again).

    Origins: stop, time on the query axis, walking seconds already spent (access). Targets:
    stop, egress seconds, and how many of them are walking.
    """
    cdef int i, s, k, j, p, pos, n_marked, n_queued, idx, lo, hi
    if max_rounds + 2 > ws.round_start.shape[0]:
        raise ValueError("max_rounds too large")
    with nogil:
        # reset what the last query touched
        for i in range(ws.n_touched):
            s = ws.touched_list[i]
            ws.bag_head[2 * s] = NO_IDX
            ws.bag_head[2 * s + 1] = NO_IDX
            ws.touched[s] = 0
        ws.n_touched = 0
        ws.n_labels = 0
        ws.n_targets_seen = 0
        ws.tg_min_arr = UNREACHED
        ws.overflow = 0
        ws.rounds_run = 0
        for i in range(target_stop.shape[0]):
            s = target_stop[i]
            ws.is_target[s] = 1
            ws.target_egress[s] = target_egress[i]
            ws.target_egress_walk[s] = target_egress_walk[i]
        # round 0: the origins, then one footpath from each
        ws.round_start[0] = 0
        for i in range(origin_stop.shape[0]):
            s = origin_stop[i]
            idx = _bag_insert(ws, s, DIRECT_BAG, origin_time[i], origin_walk[i], 0, KIND_ORIGIN, NO_IDX)
            if idx != NO_IDX and ws.is_target[s]:
                _note_target(ws, s, origin_time[i], origin_walk[i], 0)
        if walk_before_first:
            hi = ws.n_labels
            for idx in range(hi):
                if ws.lab_alive[idx]:
                    _footpaths_from(tt, ws, idx, 0, walk_after_last, min_change_s)
        ws.round_start[1] = ws.n_labels
        for k in range(1, max_rounds + 1):
            lo, hi = ws.round_start[k - 1], ws.round_start[k]
            if lo == hi or ws.overflow:
                break
            ws.rounds_run = k
            # the stops of round k-1 labels, and the patterns through them (from the first
            # boardable stop_pos)
            n_marked = 0
            for idx in range(lo, hi):
                s = ws.lab_stop[idx]
                if ws.lab_alive[idx] and not ws.stop_marked[s]:
                    ws.stop_marked[s] = 1
                    ws.marked_list[n_marked] = s
                    n_marked += 1
            n_queued = 0
            for i in range(n_marked):
                s = ws.marked_list[i]
                for j in range(tt.stop_patterns_offsets[s], tt.stop_patterns_offsets[s + 1]):
                    p = tt.stop_patterns[j]
                    pos = tt.stop_patterns_pos[j]
                    if not tt.pattern_pickup[tt.pattern_stops_offsets[p] + pos]:
                        continue
                    if ws.pattern_from_pos[p] == NO_IDX:
                        ws.pattern_list[n_queued] = p
                        n_queued += 1
                        ws.pattern_from_pos[p] = pos
                    elif pos < ws.pattern_from_pos[p]:
                        ws.pattern_from_pos[p] = pos
            for i in range(n_queued):
                p = ws.pattern_list[i]
                if not ws.overflow:
                    _scan_pattern(tt, ws, next_active, day_shift, p, k, min_change_s, walk_after_last)
                ws.pattern_from_pos[p] = NO_IDX
            for i in range(n_marked):
                ws.stop_marked[ws.marked_list[i]] = 0
            # one footpath after each vehicle of this round
            hi = ws.n_labels
            for idx in range(ws.round_start[k], hi):
                if ws.lab_alive[idx] and ws.lab_kind[idx] == KIND_VEHICLE and not ws.overflow:
                    _footpaths_from(tt, ws, idx, k, walk_after_last, min_change_s)
            ws.round_start[k + 1] = ws.n_labels
        for i in range(target_stop.shape[0]):
            ws.is_target[target_stop[i]] = 0
    return OVERFLOW if ws.overflow else ws.n_labels
