# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""McRAPTOR: exact Pareto sets over arrival x vehicles x a third criterion (issue 14): walking
seconds, or the fare (GTFS fares v1, engine/fares/v1.py, or v2, engine/fares/v2.py).

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
The third criterion ("crit"): walking mode adds footpath, access and egress seconds; fare mode
keeps, per label, the price of the tickets already closed plus the open ticket (struct Seg: zone
where it started, zone where its last ride alighted, route classes and zones ridden, rides, first
and last boarding times), priced only when closed. Boarding a vehicle either extends the open
ticket or closes it (price added) and opens a new one: both branches are kept, so every way of
cutting the rides into tickets (engine/fares/v1.py) is explored. A label dominates another only
when its open ticket can do everything the other's can (_fare_covers: same start/end zones and
zones ridden where fares look at them, a subset of route classes, no more rides, a later start
and no longer span), so pruning never loses the cheapest cover; FARE_UNKNOWN (no cover) is worse
than any price. Fares never go down, so closed prices bound a label's final fare (target pruning).
Travellers take the first vehicle they can catch at each boarding (as RAPTOR does): a journey
that waits on purpose for a later vehicle to stay inside a transfer_duration is not considered.
With fares v2 whose prices depend on times, a boarding also takes the first vehicle after each
time where that ride's price may change, up to wait_until (_board_at_fare_bounds): a label that
arrives earlier and so beats a later one then also rides the cheaper vehicle the later one would
have caught (off-peak, past a rule's limit). What a later vehicle gains in time left for a limit
measured from the ride itself is not covered (README, "First vehicle").
Fares v2 (FareModelV2) fold the rides left to right as engine/fares/v2.py does: a ride is priced
where it ends (_v2_ride: its leg rule, the transfer rule from the last leg, the transfer type),
the label keeps the fare so far and what the rules may still use of its last leg (Seg: feed,
group, transfers in the sub-journey, refund, times until every limit is past: _v2_settle), and a
label dominates another only with the same such state (_v2_covers), so the set stays exact.
A v2 fare can go down (a type-2 transfer refunds the last leg, amounts may be negative): target
pruning uses fare - refund as the floor, the fare plus its potential where there are potentials
(they count the refund in), or none with negative amounts (_crit_floor).
Time limits only up to what matters (_until): a continuation of label b matters only while it
can still arrive by b's "until" -- the horizon, or earlier the arrival of a journey found (or
known) that costs no more than b's floor with no more vehicles than b can end with (anything
later is dominated by it). A time limit (a v2 transfer window, a v1 transfer_duration) still
open then is as good as one that ends later (_v2_covers, _v2_open_until, _lasts_until), so a
label that arrives earlier and costs no more beats one whose last leg or ticket merely started
later. Strasbourg, generated v2: labels p50 23 k -> 3.9 k. A label's until is computed once,
when a test first needs it (lab_until / rb_until): journeys found only make it earlier, so a kept
value stays valid (conservative); a limit already past at the earliest until any label can have
(ws.until_floor) fails the test inline, without it.
Because the ready rule differs, each stop has two bags: VEHICLE labels (arrived by a vehicle)
and DIRECT labels (origin or footpath). Dominance is checked within a bag, and one way across:
a footpath label is dropped when a vehicle label there is ready (after the change time) no later
with no more walking (it arrives earlier too, and may walk on where the footpath label may not).

Layout of the workspace (McWorkspace, reused across queries of one thread):
  label pool, int32 [capacity]: lab_arr, lab_crit (the third criterion), lab_round, lab_stop, lab_kind, lab_parent
      (label index or NO_IDX), lab_trip (global trip_idx), lab_day, lab_board_pos,
      lab_alight_pos, lab_next (next label of the same bag); lab_alive uint8.
      lab_seg: Seg [capacity] (fare mode only: the open ticket).
      Labels of round k occupy one contiguous range of the pool (round_start[k] ..), so the
      labels a round must extend are a range, never a list.
  bag_head int32 [2 * n_stops * BAG_SLOTS]: first label of bag (stop, VEHICLE=0 / DIRECT=1)
      in each of its slots, at (2 * stop + bag) * BAG_SLOTS + slot; NO_IDX when empty; reset
      through touched_list between queries. Fares v2 labels compare only within a class (no
      ticket; or the same feed, leg group and transfer count: _v2_covers), unknown fares
      aside: each bag is then BAG_SLOTS lists, slot 0 for unknown fares, the classes hashed
      over the others (_bag_slot), so an insertion reads its class's list (and slot 0 to drop
      unknown fares it beats) instead of the whole bag (Strasbourg generated "v2": _bag_insert
      was 58 % of a query, mostly walking labels it could not compare). Walking and fares v1
      use slot 0 only.
  route bag (one pattern scan): rb_* [route_capacity]: trip offset in pattern, day, crit, parent
      label, board position, alive; rb_seg (fare mode).
  target list tg_* [TARGET_CAP]: (arrival + egress, final crit, round) of complete
      journeys seen so far; any label no better than one of them is dropped (target pruning).
Lower bounds (A*-style target pruning): before round 0, backward rounds from the targets
(_compute_stage; each pattern hop at its fastest trip, engine/criteria/bounds.py) give, per stop
s and number j of vehicles left, a lower bound on the time from s to a target (egress included)
with at most j more vehicles: ready[s, j] for a label that may board at once, arrived[s, j] for
one that came by vehicle (change time, or one footpath first). A label of round k at s arriving
at t ends, for some j, at t + bound[s, j] or later with k + j vehicles (and at least
``min_vehicles``: the caller knows no journey has fewer) and at least its crit; it is dropped
when, for every j the rounds allow, a journey found is no worse than that (_stage_hopeless).
Per-count bounds prune more than one time bound for any number of vehicles: the fast way from
s often needs more vehicles than a journey found, the slow one arrives after it (Strasbourg,
walking, 400 station queries: labels p50 3.4 k -> 2.5 k). On board, ride_bound (per pattern
stop; it never drops by more than a hop from one stop to the next down the pattern) drops a
route label for the rest of the pattern (_ride_hopeless). The first j with a bound is
vehicles_left[s] (fare floors, _until). ``known``: journeys the
caller knows exist (the two-criteria ones, priced), entered as found journeys one second later
than they arrive: a label that can only end no earlier, no cheaper, with no fewer vehicles is
dropped from round 0, while the journey itself (or one as good) is still found by the search.
With fares (whose labels may leave later and pay less) the first rounds would otherwise keep
almost every later trip until the first journey is found. ``earliest`` (the two-criteria
search's earliest arrival per number of vehicles) raises a label's time bound: a journey with
k vehicles in all arrives no earlier than earliest[k], however close the label is. With the known
journeys entered as they arrive (no second later: the caller holds them, and answers them
itself), a label whose fare floor is no lower than the earliest journey's, for each number of
vehicles it may end with, is dropped at once: on Strasbourg with generated fares (100 station
queries) v1 p50 x 2.5 -> x 1.5 the two-criteria p50, v2-simple mean 12 -> 8 ms.
Within a round, the patterns that reach a target are scanned first: the journeys they find
prune the other patterns' labels (Strasbourg, walking: labels p50 3.9 k -> 3.4 k).
A full pool or route bag makes the run return OVERFLOW; the caller grows the workspace and runs
again (results never depend on capacity).
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, calloc, free
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC
from engine._timetable cimport earliest_departure, pattern_runs, queue_pattern
import numpy as np

cdef enum:
    UNREACHED = 2000000000
    NO_IDX = -1
    NO_VALUE = -1
    DAY = 86400
    VEHICLE_BAG = 0
    DIRECT_BAG = 1
    BAG_SLOTS = 8           # lists per bag (fares v2 classes: _bag_slot)
    TARGET_CAP = 8192
    OVERFLOW = -1                 # the label pool is full: grow it and run again
    ROUTE_FULL = -2               # a route bag is full: a bigger pool would not help
    OUT_OF_TIME = -3              # the run passed its deadline (run_mcraptor ``deadline``)
    NO_SEG = -2                   # Seg.start of a label without an open ticket
    NO_ZONE = -1
    ANY_ZONE = -3                 # _od_match: any origin / destination
    FARE_UNKNOWN = 1000000000     # crit of a journey no tickets cover: worse than any price
    EXPIRED = -1073741824         # fares v2: a last-leg time no duration limit can reach any more
    UNTIL_UNSET = -2147483647
    OPEN_ALWAYS = 2000000001      # Seg.open_*: no time limit is measured from that time
    FLOOR_STALE = -2              # McWorkspace.rb_floor / _crit_floor open_floor: not computed
    LAB_PRICES = 4                # McWorkspace.lab_floors per label
    EARLIEST_NONE = -2147483647   # McWorkspace.earliest: no bound

cdef int32_t STAGE_INF = 1000000000     # _compute_stage: no target within that many vehicles
cdef int64_t INTERVAL_STEP_S = 900      # FareModelV2._interval_table
cdef int UPSTREAM_WINDOW = 16           # _v2_upstream_covers: route bag rows read back at most


cdef struct Seg:
    # (the fields a v2 dominance test reads come first, together: a label's state is 72 bytes)
    int32_t start            # zone of the ticket's first boarding (NO_ZONE: none), NO_SEG: no ticket
    # fares v2 (FareModelV2; start is 0 while a transfer may still chain to the last leg, else
    # NO_SEG): the last leg's feed, leg group (-1: none), transfers so far in its sub-journey
    # (capped where no rule tells counts apart), what a type-2 transfer would refund (the last
    # leg's product if it was paid), its departure and arrival (query axis), and until when
    # every limit measured from them stays open (EXPIRED: none does, OPEN_ALWAYS: no limit is
    # measured from it: _v2_covers)
    int32_t feed
    int32_t group
    int32_t count
    int32_t refund
    int32_t prev_dep
    int32_t prev_arr
    int32_t open_dep
    int32_t open_arr
    # fares v1
    int32_t end              # zone where its last ride alighted
    int32_t rides
    int32_t t0               # first boarding (query axis)
    int32_t tlast            # last boarding
    uint64_t routes          # route classes ridden (FareModel.pattern_route_bit)
    uint64_t zones           # zones of every stop ridden through (FareModel.zone_bit)

cdef struct Until:
    # the label b of a dominance test (a covers b?), for _until_of: its until is computed only
    # when a test needs it, once
    int32_t value            # UNTIL_UNSET until computed
    int32_t* slot            # where b's until is kept (NULL: b is not in the pool yet); a value
                             # computed earlier stays valid: untils only shrink as journeys are found
    int s, k
    bint riding
    int32_t crit
    const Seg* g


# label kinds (mirrored in engine/criteria/mcraptor.py)
cdef enum:
    KIND_ORIGIN = 0
    KIND_VEHICLE = 1
    KIND_WALK = 2

KINDS = {"ORIGIN": KIND_ORIGIN, "VEHICLE": KIND_VEHICLE, "WALK": KIND_WALK, "ROUTE_FULL": ROUTE_FULL,
         "OUT_OF_TIME": OUT_OF_TIME,
         "NO_IDX": NO_IDX, "UNREACHED": UNREACHED, "FARE_UNKNOWN": FARE_UNKNOWN}


cdef class FareModel:
    """GTFS fares v1 of one currency as flat arrays (built by engine/fares/kernel_model.py from
    engine.fares.v1.FaresV1; the rules mean exactly what engine/fares/v1.py says).

    fare_*[fare]: price (minor units), transfers (a large value when unlimited), duration (a
    large value when none), routes (bit mask of the route classes the fare admits: its route
    rules and agency), has_contains / contains (bit mask of its contains zones), has_od and its
    origin/destination rows (CSR fare_od_offsets -> od_origin, od_dest; NO_ZONE = empty field).
    cand_offsets / cand_fares: CSR zone + 1 -> fares that may price a ticket starting there (row 0:
    stops without a zone), each list cheapest first (_price returns the first that covers);
    pair_offsets / pair_fares (optional, when the zones are few): CSR (start zone + 1) *
    (n_zones + 1) + end zone + 1 -> the fares whose origin/destination rows (or none) admit a
    ticket from start to end, cheapest first (a priced ticket then reads its own few fares, where
    the start zone's list holds a fare per destination: BART, 50). stop_zone[stop], zone_bit[zone]
    (0 when no fare has contains; zones no contains rule names share the last bit),
    pattern_route_bit[pattern].
    use_od / use_rides / use_span / use_contains: whether any fare looks at that part of a ticket
    (parts no fare looks at never separate two labels); min_duration: the shortest duration."""

    cdef readonly int n_fares, version, min_duration
    cdef readonly bint use_od, use_rides, use_span, use_contains
    cdef const int32_t[::1] fare_price, fare_transfers, fare_duration, fare_od_offsets, od_origin, od_dest
    cdef const uint64_t[::1] fare_routes, fare_contains, zone_bit, pattern_route_bit
    cdef const uint8_t[::1] fare_has_contains, fare_has_od
    cdef const int32_t[::1] cand_offsets, cand_fares, stop_zone, pair_offsets, pair_fares
    cdef int n_zone_rows
    cdef bint has_pairs

    def __init__(self, *, const int32_t[::1] fare_price, const int32_t[::1] fare_transfers,
                 const int32_t[::1] fare_duration, const uint64_t[::1] fare_routes,
                 const uint8_t[::1] fare_has_contains, const uint64_t[::1] fare_contains,
                 const uint8_t[::1] fare_has_od, const int32_t[::1] fare_od_offsets,
                 const int32_t[::1] od_origin, const int32_t[::1] od_dest, const int32_t[::1] cand_offsets,
                 const int32_t[::1] cand_fares, const int32_t[::1] stop_zone, const uint64_t[::1] zone_bit,
                 const uint64_t[::1] pattern_route_bit, bint use_od, bint use_rides, bint use_span,
                 bint use_contains, const int32_t[::1] pair_offsets=None, const int32_t[::1] pair_fares=None):
        self.fare_price, self.fare_transfers, self.fare_duration = fare_price, fare_transfers, fare_duration
        self.fare_routes, self.fare_has_contains, self.fare_contains = fare_routes, fare_has_contains, fare_contains
        self.fare_has_od, self.fare_od_offsets, self.od_origin, self.od_dest = fare_has_od, fare_od_offsets, od_origin, od_dest
        self.cand_offsets, self.cand_fares, self.stop_zone = cand_offsets, cand_fares, stop_zone
        _check_cheapest_first(fare_price, cand_offsets, cand_fares, "cand_fares")
        self.n_zone_rows = cand_offsets.shape[0] - 1
        self.has_pairs = pair_offsets is not None
        if self.has_pairs:
            if pair_fares is None or pair_offsets.shape[0] != self.n_zone_rows * self.n_zone_rows + 1 or \
                    pair_offsets[pair_offsets.shape[0] - 1] != pair_fares.shape[0]:
                raise ValueError("pair_offsets must have a row per (start zone, end zone) pair")
            _check_cheapest_first(fare_price, pair_offsets, pair_fares, "pair_fares")
            self.pair_offsets, self.pair_fares = pair_offsets, pair_fares
        self.zone_bit, self.pattern_route_bit = zone_bit, pattern_route_bit
        self.use_od, self.use_rides, self.use_span, self.use_contains = use_od, use_rides, use_span, use_contains
        self.n_fares = fare_price.shape[0]
        self.min_duration = min(fare_duration) if self.n_fares else 0
        self.version = 1


def _check_cheapest_first(fare_price, offsets, fares, name):
    """Each CSR list of fares is sorted by price (the kernel stops at the first that covers)."""
    offsets, fares = np.asarray(offsets), np.asarray(fares)
    if len(fares) and (fares.min() < 0 or fares.max() >= len(fare_price)):
        raise ValueError(f"{name}: a fare out of range")
    prices = np.asarray(fare_price)[fares]
    drops = np.flatnonzero(np.diff(prices) < 0) + 1          # (a price lower than the one before:
    if not np.isin(drops, offsets).all():                    # only where a list starts)
        raise ValueError(f"{name}: each list must be sorted cheapest first")


cdef bint _od_match(FareModel fm, int f, int start, int end, const uint8_t* end_zone) noexcept nogil:
    """Some origin/destination row of fare f matches: origin ``start`` (ANY_ZONE: any), and
    destination ``end`` (ANY_ZONE: any) or, with ``end_zone``, one of those zones. An empty field
    (NO_ZONE) matches anything; a stop without a zone matches only empty fields."""
    cdef int e, o, d
    for e in range(fm.fare_od_offsets[f], fm.fare_od_offsets[f + 1]):
        o = fm.od_origin[e]
        d = fm.od_dest[e]
        if start != ANY_ZONE and not (o == NO_ZONE or (o == start and start != NO_ZONE)):
            continue
        if d == NO_ZONE or (end_zone != NULL and end_zone[d + 1]) or (
                end_zone == NULL and (end == ANY_ZONE or (d == end and end != NO_ZONE))):
            return True
    return False


cdef inline bint _contains_may_end(FareModel fm, int f, McWorkspace ws) noexcept nogil:
    """(v1) Fare f's contains zones may include where the journey may end (ws.end_zone)."""
    return not fm.fare_has_contains[f] or ws.end_unzoned or (ws.end_bits & fm.fare_contains[f]) != 0


cdef int32_t _price(FareModel fm, const Seg* g, bint complete, McWorkspace ws=None, bint another_ride=False,
                    int32_t now=0) noexcept nogil:
    """complete: the cheapest fare whose ticket covers the open ticket as it is (-1: none).
    Otherwise the cheapest fare that may still cover it once extended (zones ridden a subset of
    its contains zones, destination not yet known), -1 when none: a floor on what the open
    ticket will cost. With ``ws`` (not complete): extended to where the journey may end
    (ws.end_zone); ``another_ride``: and boarding once more at ``now`` or later (transfers,
    transfer_duration from the ticket's first boarding)."""
    cdef int j, row
    cdef int32_t span = g.tlast - g.t0, p, best
    if another_ride and now - g.t0 > span:
        span = now - g.t0
    if fm.has_pairs and complete:
        row = (g.start + 1) * fm.n_zone_rows + g.end + 1
        return _first_cover(fm, g, True, None, another_ride, span, &fm.pair_fares[0], fm.pair_offsets[row],
                            fm.pair_offsets[row + 1], False)
    if fm.has_pairs and ws is not None:
        best = -1
        for j in range(ws.n_end_rows):
            row = (g.start + 1) * fm.n_zone_rows + ws.end_rows[j]
            p = _first_cover(fm, g, False, ws, another_ride, span, &fm.pair_fares[0], fm.pair_offsets[row],
                             fm.pair_offsets[row + 1], False)
            if p >= 0 and (best < 0 or p < best):
                best = p
        return best
    return _first_cover(fm, g, complete, ws, another_ride, span, &fm.cand_fares[0], fm.cand_offsets[g.start + 1],
                        fm.cand_offsets[g.start + 2], True)


cdef int32_t _first_cover(FareModel fm, const Seg* g, bint complete, McWorkspace ws, bint another_ride, int32_t span,
                          const int32_t* fares, int lo, int hi, bint check_od) noexcept nogil:
    """(_price) The price of the first fare of fares[lo:hi] (cheapest first) that covers the
    ticket as _price says; ``check_od``: the list is the start zone's (the pair lists hold only
    fares whose origin/destination rows admit the pair). -1: none."""
    cdef int i, f
    for i in range(lo, hi):
        f = fares[i]         # (cheapest first: the first that covers is the answer)
        if g.rides - 1 + another_ride > fm.fare_transfers[f] or span > fm.fare_duration[f]:
            continue
        if g.routes & ~fm.fare_routes[f]:
            continue
        if another_ride and ws is not None and not (fm.fare_routes[f] & ws.end_routes):
            continue        # (the ticket would cover the last ride too: _end_zones)
        if fm.fare_has_contains[f]:
            if complete and g.zones != fm.fare_contains[f]:
                continue
            if not complete and (g.zones & ~fm.fare_contains[f]):
                continue
            if ws is not None and not _contains_may_end(fm, f, ws):
                continue
        if check_od and fm.fare_has_od[f] and not _od_match(fm, f, g.start, g.end if complete else ANY_ZONE,
                                                            ws.end_zone if ws is not None else NULL):
            continue
        return fm.fare_price[f]
    return -1


cdef bint _fare_may_end(FareModel fm, int f, McWorkspace ws) noexcept nogil:
    """(v1) Fare f may price a ticket that ends where the journey may end (ws.end_zone: the
    zones of the targets and, with a last footpath, of the stops that walk to one)."""
    return _contains_may_end(fm, f, ws) and (not fm.fare_has_od[f] or _od_match(fm, f, ANY_ZONE, ANY_ZONE,
                                                                                 ws.end_zone))


cdef inline int32_t _final_fare(FareModel fm, int32_t crit, const Seg* g) noexcept nogil:
    """A label's fare if the journey ended now: closed tickets + the open one priced (fares v2:
    every leg is paid for as it ends, so the fare so far)."""
    cdef int32_t p
    if crit >= FARE_UNKNOWN or g.start == NO_SEG or fm.version == 2:
        return crit
    p = _price(fm, g, True)
    return crit + p if p >= 0 else FARE_UNKNOWN


cdef inline bint _fare_covers(McWorkspace ws, const Seg* a, int32_t ca, const Seg* b, int32_t cb,
                              Until* u) noexcept nogil:
    """Whatever b can still do, a can do for no more (given ca <= cb): see the module docstring.
    ``u``: b as a label, for the time that bounds its continuations that matter (_until)."""
    if cb >= FARE_UNKNOWN:
        return True
    if ca >= FARE_UNKNOWN:
        return False
    if ws.f2 is not None:
        return _v2_covers(ws, ws.f2, a, ca, b, cb, u)
    return _v1_covers(ws, ws.fm, a, b, u)


cdef inline bint _v1_covers(McWorkspace ws, FareModel fm, const Seg* a, const Seg* b, Until* u) noexcept nogil:
    if a.start == NO_SEG or b.start == NO_SEG:
        return a.start == b.start
    if fm.use_od and (a.start != b.start or a.end != b.end):
        return False
    if a.routes & ~b.routes:
        return False
    if fm.use_contains and a.zones != b.zones:
        return False
    if fm.use_rides and a.rides > b.rides:
        return False
    if fm.use_span and (a.t0 < b.t0 or a.tlast - a.t0 > b.tlast - b.t0) and (
            a.t0 + fm.min_duration < ws.until_floor or not _lasts_until(ws, a, u)):
        return False
    return True


cdef bint _lasts_until(McWorkspace ws, const Seg* a, Until* u) noexcept nogil:
    """(v1) Ticket a, first boarded at t0, lasts at least min_duration: if that reaches past
    every continuation of b that matters, no fare's transfer_duration can refuse it (not inline:
    the common tests stay small)."""
    return a.t0 + ws.fm.min_duration >= _until_of(ws, u)


cdef extern from *:
    int __builtin_ctzll(unsigned long long) nogil


cdef class FareModelV2(FareModel):
    """GTFS fares v2 of one currency for one service day, as flat arrays (built by
    engine/fares/kernel_model_v2.py; the rules mean exactly what engine/fares/v2.py says).

    Leg rules (all feeds') are numbered in the order that decides a match: feed, then highest
    rule_priority, priced before unpriced, cheapest, first row; a leg's rule is the first rule set
    in the AND of five bit sets (``words`` uint64 each): its pattern's (feed and network,
    pattern_class -> pattern_bits), its boarding and alighting stops' (areas, stop_class ->
    from_bits / to_bits), and its departure and arrival times' (timeframes of this day: time ->
    interval = how many time_bounds are <= it -> dep_bits / arr_bits). rule_amount / rule_group /
    rule_priced per rule. Transfer rules: CSR over key (feed * (G + 1) + from group + 1) * (G + 1)
    + to group + 1 (G leg groups, -1 = none), each list in the order that decides a match
    (smallest transfer_count, -1 last; cheapest; first row), with count, duration (-1: none),
    duration type, transfer type and price. chain_* per (feed * (G + 1) + group + 1): whether any
    transfer rule may follow a leg of that group, whether one of them has no duration limit, and
    the longest limit measured from its departure (types 0, 1) and from its arrival (2, 3), -1
    when none (see _v2_settle). count_cap[feed]: the largest transfer_count of
    its rules (counts above it select the same rules). count_canon[chain * count_width + count]:
    the smallest count with the same future after a last leg of that chain key, and
    refund_used[chain]: a type-2 rule may follow it (else its refund stays 0): a label keeps only
    what some rule can still read (kernel_model_v2 _canonical_states; Strasbourg generated
    "v2": labels p50 2,338 -> 2,214). uses_dep / uses_arr: some limit is
    measured from the last leg's departure / arrival; timed: a leg's times matter (timeframes or
    limits); has_type2: some transfer refunds the last leg;
    slack_dep / slack_arr per chain key: a last leg of that group that left / ended later is
    never worse (engine/fares/kernel_model_v2.py _slack_safe: each time-limited transfer rule
    from it, measured from that time, costs no more than the next rule of its list or none,
    after refunds too, and no transfer count is lost; every key of Strasbourg's generated
    "v2-simple", the buses' departures in "v2"), so labels compare those times by order: 1
    always, 2 when the continuations that matter leave within a span of the day where the
    count a label may lose cannot cost more than it saved (span_dep / span_arr [key * intervals
    + interval]: the time the span from that interval ends; "v2": the trams' departures, within
    one price period), 0 never;
    leg_floor: the least a ride can add to a fare (its product, or its transfer's: refunds taken
    at the dearest product of the transfer's from group), fresh_floor: the cheapest leg product (what a ride no transfer
    follows costs at least), for target pruning (_crit_floor). Fare potentials (use_potential,
    every contribution >= 0) read their own rules (the leg rules, each only where it can price a
    ride, merged where potentials cannot tell them apart: engine/fares/kernel_model_v2.py
    _unshadowed, _merge_potential_rules): per pattern class its rules (CSR
    class_rule_offsets -> class_rules), their groups (pot_group), stop bit sets (pot_from_bits,
    pot_to_bits: pot_words per stop class), and contrib[c * n_pot_rules + rule], the least a ride
    priced by that rule adds after a last leg of class c (0: none a transfer can follow; 1 + feed
    * (G + 1) + group + 1), whatever the areas, times and counts (_fare_potentials)."""

    cdef readonly int words, n_groups, leg_floor, fresh_floor
    cdef readonly bint uses_dep, uses_arr, timed, has_type2
    cdef const uint8_t[::1] slack_dep, slack_arr
    cdef const int32_t[::1] span_dep, span_arr, slack_reach
    cdef const int32_t[::1] rule_amount, rule_group, pattern_class, pattern_feed, stop_class, time_bounds
    # _v2_interval's lookup table: interval_at[i] = how many time_bounds are <= interval_t0 +
    # i * interval_step
    cdef int32_t[::1] interval_at
    cdef int64_t interval_t0, interval_step
    cdef const uint8_t[::1] rule_priced, chain_open, chain_untimed
    cdef const uint64_t[::1] pattern_bits, from_bits, to_bits, dep_bits, arr_bits
    cdef const int32_t[::1] tr_offsets, tr_count, tr_duration, tr_dtype, tr_type, tr_amount
    cdef const int32_t[::1] chain_dep_window, chain_arr_window, chain_dep_min, chain_arr_min, count_cap
    cdef const int32_t[::1] count_canon
    cdef const uint8_t[::1] refund_used
    cdef int count_width
    cdef const int32_t[::1] class_rule_offsets, class_rules, contrib, pot_group
    cdef const uint64_t[::1] pot_from_bits, pot_to_bits
    cdef int pot_words
    cdef int32_t[::1] pot_classes     # the last-leg classes a label can have (0, and each feed x rule group)
    cdef readonly bint use_potential

    def _fare_bounds(self, int words, pattern_bits, time_bounds, dep_bits, arr_bits, rule_group):
        """Per pattern class (CSR *_bound_offsets -> *_bound_times): the times where the bit set of
        a departure (an arrival) changes for a rule of that class, i.e. where the price of its
        rides may change with the vehicle; and the leg groups of its rules (class_groups: group +
        1), the only ones its rides can have (_board_at_fare_bounds)."""
        bounds = np.asarray(time_bounds)
        classes = np.asarray(pattern_bits).reshape(-1, words)
        groups = np.asarray(rule_group)
        out = {}
        for name, bits in (("dep", dep_bits), ("arr", arr_bits)):
            rows = np.asarray(bits).reshape(-1, words)
            changed = rows[1:] ^ rows[:rows.shape[0] - 1]
            times = [bounds[(changed & c).any(axis=1)] for c in classes]
            out[name] = (np.cumsum([0] + [len(t) for t in times]).astype(np.int32),
                         np.ascontiguousarray(np.concatenate(times) if times else [], np.int32))
        per_class = []
        for c in classes:
            rules = [w * 64 + b for w in range(words) for b in range(64) if (int(c[w]) >> b) & 1]
            per_class.append(sorted({int(groups[r]) + 1 for r in rules if r < len(groups)}))
        out["groups"] = (np.cumsum([0] + [len(g) for g in per_class]).astype(np.int32),
                         np.asarray([g for gs in per_class for g in gs], np.int32))
        self.fare_bounds_np = out
        self.dep_bound_offsets, self.dep_bound_times = out["dep"]
        self.arr_bound_offsets, self.arr_bound_times = out["arr"]
        self.class_group_offsets, self.class_groups = out["groups"]
    cdef readonly object fare_bounds_np
    cdef const int32_t[::1] dep_bound_offsets, dep_bound_times, arr_bound_offsets, arr_bound_times
    cdef const int32_t[::1] class_group_offsets, class_groups

    cdef _interval_table(self, const int32_t[::1] time_bounds):
        """_v2_interval's table: how many bounds are at or before the start of each
        INTERVAL_STEP_S-long step of the query axis from the first bound (a wider step when the
        bounds span more than 2^16 of them). Built once with the day model, from its own bounds
        (cdef: nothing else can set it apart from them). Why: a ride is priced at its
        departure's and its arrival's interval (about 9,000 rides a "v2" fare query on
        Strasbourg), each a binary search over the day's 32 bounds before: callgrind, the 40
        middle "v2" fare plans, _v2_ride's own instructions -19 %, the whole plan's x 0.985."""
        bounds = np.asarray(time_bounds, np.int64)
        if (np.diff(bounds) < 0).any():
            raise ValueError("fares v2 time bounds must be sorted")
        if not len(bounds):
            self.interval_at, self.interval_t0, self.interval_step = np.zeros(1, np.int32), 0, INTERVAL_STEP_S
            return
        span = int(bounds[len(bounds) - 1] - bounds[0])
        step = max(INTERVAL_STEP_S, span // 65536 + 1)
        starts = bounds[0] + step * np.arange(span // step + 1, dtype=np.int64)
        self.interval_at = np.searchsorted(bounds, starts, side="right").astype(np.int32)
        self.interval_t0, self.interval_step = int(bounds[0]), step

    def intervals(self, times) -> np.ndarray:
        """_v2_interval of each time (int32 on the query axis): how many of the day's time
        bounds are at or before it, the row of its timeframe bit sets. For tests."""
        cdef const int32_t[::1] t = np.ascontiguousarray(times, np.int32)
        out = np.empty(t.shape[0], np.int32)
        cdef int32_t[::1] o = out
        cdef Py_ssize_t i
        for i in range(t.shape[0]):
            o[i] = _v2_interval(self, t[i])
        return out

    def __init__(self, *, int words, int n_groups, const int32_t[::1] rule_amount, const int32_t[::1] rule_group,
                 const uint8_t[::1] rule_priced, const int32_t[::1] pattern_class,
                 const int32_t[::1] pattern_feed, const uint64_t[::1] pattern_bits, const int32_t[::1] stop_class,
                 const uint64_t[::1] from_bits, const uint64_t[::1] to_bits, const int32_t[::1] time_bounds,
                 const uint64_t[::1] dep_bits, const uint64_t[::1] arr_bits, const int32_t[::1] tr_offsets,
                 const int32_t[::1] tr_count, const int32_t[::1] tr_duration, const int32_t[::1] tr_dtype,
                 const int32_t[::1] tr_type, const int32_t[::1] tr_amount, const uint8_t[::1] chain_open,
                 const uint8_t[::1] chain_untimed,
                 const int32_t[::1] chain_dep_window, const int32_t[::1] chain_arr_window,
                 const int32_t[::1] chain_dep_min, const int32_t[::1] chain_arr_min,
                 const int32_t[::1] count_cap, bint uses_dep, bint uses_arr, bint timed, bint has_type2,
                 const uint8_t[::1] slack_dep, const uint8_t[::1] slack_arr, const int32_t[::1] span_dep,
                 const int32_t[::1] span_arr, const int32_t[::1] slack_reach, int leg_floor, int fresh_floor,
                 const int32_t[::1] count_canon not None, int count_width, const uint8_t[::1] refund_used not None,
                 const int32_t[::1] class_rule_offsets=None, const int32_t[::1] class_rules=None,
                 const int32_t[::1] contrib=None, const int32_t[::1] pot_group=None, int pot_words=0,
                 const uint64_t[::1] pot_from_bits=None, const uint64_t[::1] pot_to_bits=None):
        if words < 1 or pattern_bits.shape[0] % words or from_bits.shape[0] != to_bits.shape[0] or \
                dep_bits.shape[0] != (time_bounds.shape[0] + 1) * words or arr_bits.shape[0] != dep_bits.shape[0]:
            raise ValueError("fares v2 bit sets do not match")
        if tr_offsets.shape[0] != count_cap.shape[0] * (n_groups + 1) * (n_groups + 1) + 1:
            raise ValueError("fares v2 transfer table does not match the feeds and groups")
        self.version = 2
        self.words, self.n_groups = words, n_groups
        self.rule_amount, self.rule_group, self.rule_priced = rule_amount, rule_group, rule_priced
        self.pattern_class, self.pattern_feed, self.pattern_bits = pattern_class, pattern_feed, pattern_bits
        self.stop_class, self.from_bits, self.to_bits = stop_class, from_bits, to_bits
        self.time_bounds, self.dep_bits, self.arr_bits = time_bounds, dep_bits, arr_bits
        self._interval_table(time_bounds)
        self._fare_bounds(words, pattern_bits, time_bounds, dep_bits, arr_bits, rule_group)
        self.tr_offsets, self.tr_count, self.tr_duration = tr_offsets, tr_count, tr_duration
        self.tr_dtype, self.tr_type, self.tr_amount = tr_dtype, tr_type, tr_amount
        self.chain_open, self.chain_dep_window, self.chain_arr_window = chain_open, chain_dep_window, chain_arr_window
        self.chain_untimed = chain_untimed
        self.chain_dep_min, self.chain_arr_min = chain_dep_min, chain_arr_min
        if chain_dep_min.shape[0] != chain_dep_window.shape[0] or chain_arr_min.shape[0] != chain_arr_window.shape[0] \
                or slack_dep.shape[0] != chain_dep_window.shape[0] or slack_arr.shape[0] != chain_dep_window.shape[0]:
            raise ValueError("fares v2 chain windows do not match")
        self.count_cap = count_cap
        # (what no rule tells apart, _v2_ride; the kernel reads them unchecked)
        n_chains = chain_dep_window.shape[0]
        width = int(np.asarray(count_cap).max(initial=0)) + 1
        canon = np.asarray(count_canon)
        if count_width < width or canon.shape[0] != n_chains * count_width or refund_used.shape[0] != n_chains or \
                ((canon < 0) | (canon >= width)).any():
            raise ValueError("fares v2 canonical counts / refunds do not match the chain keys and count caps")
        self.count_canon, self.count_width, self.refund_used = count_canon, count_width, refund_used
        self.uses_dep, self.uses_arr, self.timed = uses_dep, uses_arr, timed
        self.has_type2 = has_type2
        if span_dep.shape[0] != slack_dep.shape[0] * (time_bounds.shape[0] + 1) or \
                span_arr.shape[0] != span_dep.shape[0] or slack_reach.shape[0] != 3 * slack_dep.shape[0]:
            raise ValueError("fares v2 slack spans do not match the chain keys and the day's intervals")
        if (np.asarray(slack_dep) > 2).any() or (np.asarray(slack_arr) > 2).any():
            raise ValueError("fares v2 slack flags must be 0, 1 or 2")
        self.slack_dep, self.slack_arr = slack_dep, slack_arr
        self.span_dep, self.span_arr, self.slack_reach = span_dep, span_arr, slack_reach
        self.leg_floor = leg_floor
        self.fresh_floor = fresh_floor
        self.use_potential = contrib is not None
        if self.use_potential:
            if pot_group is None or contrib.shape[0] != (1 + count_cap.shape[0] * (n_groups + 1)) * pot_group.shape[0]:
                raise ValueError("fares v2 contributions do not match the potential rules and last-leg classes")
            if pot_words < 1 or pot_from_bits.shape[0] != from_bits.shape[0] // words * pot_words or \
                    pot_to_bits.shape[0] != pot_from_bits.shape[0] or \
                    class_rule_offsets.shape[0] != pattern_bits.shape[0] // words + 1 or \
                    pot_group.shape[0] > 64 * pot_words:
                raise ValueError("fares v2 potential rules do not match the stop and pattern classes")
            # (the kernel reads them unchecked)
            offsets, rules = np.asarray(class_rule_offsets), np.asarray(class_rules)
            if offsets[0] != 0 or offsets[len(offsets) - 1] != len(rules) or (np.diff(offsets) < 0).any() or \
                    ((rules < 0) | (rules >= pot_group.shape[0])).any() or \
                    ((np.asarray(pot_group) < -1) | (np.asarray(pot_group) >= n_groups)).any():
                raise ValueError("fares v2 potential rules out of range")
            self.class_rule_offsets, self.class_rules, self.contrib = class_rule_offsets, class_rules, contrib
            self.pot_group, self.pot_words = pot_group, pot_words
            self.pot_from_bits, self.pot_to_bits = pot_from_bits, pot_to_bits
            # (a leg's group is its rule's: the potentials of the other classes are never read)
            groups = sorted(set(np.asarray(rule_group).tolist()) | set(np.asarray(pot_group).tolist()))
            self.pot_classes = np.array([0] + [1 + fi * (n_groups + 1) + g + 1 for fi in range(count_cap.shape[0])
                                               for g in groups], np.int32)
        self.n_fares = rule_amount.shape[0]


cdef inline int _v2_interval(FareModelV2 f, int32_t t) noexcept nogil:
    """How many time_bounds are <= t: the row of dep_bits / arr_bits of a time (the table's
    count at the start of t's step, then the bounds within the step)."""
    cdef int64_t d = <int64_t>t - f.interval_t0, i
    cdef int n = f.time_bounds.shape[0], lo
    if d < 0:
        return 0
    i = d // f.interval_step
    if i >= f.interval_at.shape[0]:
        return n
    lo = f.interval_at[i]
    while lo < n and f.time_bounds[lo] <= t:
        lo += 1
    return lo


cdef int _v2_leg_rule(FareModelV2 f, int p, int board, int alight, int32_t dep, int32_t arr) noexcept nogil:
    """The leg rule that prices a ride of pattern p from board to alight (-1: none matches)."""
    cdef int pc = f.pattern_class[p], w, n = f.words
    cdef uint64_t x
    cdef const uint64_t* pb
    cdef const uint64_t* fb
    cdef const uint64_t* tb
    cdef const uint64_t* db
    cdef const uint64_t* ab
    if pc < 0:
        return -1
    pb = &f.pattern_bits[pc * n]
    fb = &f.from_bits[f.stop_class[board] * n]
    tb = &f.to_bits[f.stop_class[alight] * n]
    db = &f.dep_bits[_v2_interval(f, dep) * n]
    ab = &f.arr_bits[_v2_interval(f, arr) * n]
    for w in range(n):
        x = pb[w] & fb[w] & tb[w] & db[w] & ab[w]
        if x:
            return w * 64 + __builtin_ctzll(x)
    return -1


cdef int _v2_transfer(FareModelV2 f, int feed, int a, int b, int k, const Seg* prev, int32_t dep,
                      int32_t arr) noexcept nogil:
    """The transfer rule applied between the last leg (state prev, group a) and a leg of group
    b leaving at dep, arriving at arr, as the k-th transfer of the sub-journey (-1: none)."""
    cdef int g1 = f.n_groups + 1, i, c, d, dt
    cdef int key = (feed * g1 + a + 1) * g1 + b + 1
    cdef int32_t start, end
    for i in range(f.tr_offsets[key], f.tr_offsets[key + 1]):
        c = f.tr_count[i]
        if c != -1 and c < k:
            continue
        d = f.tr_duration[i]
        if d >= 0:
            dt = f.tr_dtype[i]
            start = prev.prev_dep if dt <= 1 else prev.prev_arr
            end = arr if (dt == 0 or dt == 3) else dep
            if end - start > d:
                continue
        return i
    return -1


cdef int32_t _v2_ride(FareModelV2 f, int32_t crit, const Seg* before, Seg* after, int p, int board, int alight,
                      int32_t dep, int32_t arr) noexcept nogil:
    """The fare after a ride (engine/fares/v2.py journey_fare, one leg of its fold): ``after``
    gets the new state; FARE_UNKNOWN when the leg has no price."""
    cdef int r, t, feed, group, ttype, cap, key, c
    cdef int32_t amount, ab
    after[0] = before[0]
    after.start = NO_SEG
    after.count = 0
    after.refund = 0
    if crit >= FARE_UNKNOWN:
        return FARE_UNKNOWN
    r = _v2_leg_rule(f, p, board, alight, dep, arr)
    if r < 0 or not f.rule_priced[r]:
        return FARE_UNKNOWN
    amount = f.rule_amount[r]
    group = f.rule_group[r]
    feed = f.pattern_feed[p]
    after.start = 0
    after.feed = feed
    after.group = group
    after.prev_dep = dep
    after.prev_arr = arr
    key = feed * (f.n_groups + 1) + group + 1
    after.open_dep = dep + f.chain_dep_min[key] if f.chain_dep_min[key] >= 0 else OPEN_ALWAYS
    after.open_arr = arr + f.chain_arr_min[key] if f.chain_arr_min[key] >= 0 else OPEN_ALWAYS
    if before.start != NO_SEG and before.feed == feed:
        t = _v2_transfer(f, feed, before.group, group, before.count + 1, before, dep, arr)
        if t >= 0:
            cap = f.count_cap[feed]
            c = before.count + 1 if before.count + 1 < cap else cap
            # (the smallest count with the same future: kernel_model_v2 _canonical_states)
            after.count = f.count_canon[key * f.count_width + c]
            ab = f.tr_amount[t]
            ttype = f.tr_type[t]
            if ttype == 0:               # this leg's product is not paid
                return crit + ab
            if ttype == 1:
                if f.refund_used[key]:
                    after.refund = amount
                return crit + amount + ab
            return crit - before.refund + ab     # 2: neither leg's product is paid
    if f.refund_used[key]:       # (else no type-2 rule follows this leg: its refund is never used)
        after.refund = amount
    return crit + amount


cdef inline void _v2_settle(FareModelV2 f, Seg* g, int32_t t) noexcept nogil:
    """At time t (a later leg leaves at >= t), forget what no rule can use any more: the last
    leg's departure once every limit measured from it is past (EXPIRED: every limit stays
    past), its arrival likewise, and the whole last leg when no transfer rule can follow it (none
    from its group, or every rule time-limited and past): the next leg then starts afresh. Labels
    that differ only in what is forgotten become comparable."""
    cdef int key
    if g.start == NO_SEG:
        return
    key = g.feed * (f.n_groups + 1) + g.group + 1
    if t - g.prev_dep > f.chain_dep_window[key]:
        g.prev_dep = EXPIRED
        g.open_dep = EXPIRED
    if t - g.prev_arr > f.chain_arr_window[key]:
        g.prev_arr = EXPIRED
        g.open_arr = EXPIRED
    if not f.chain_open[key] or (not f.chain_untimed[key] and g.prev_dep == EXPIRED and g.prev_arr == EXPIRED):
        _no_ticket(g)


cdef inline void _no_ticket(Seg* g) noexcept nogil:
    """No open ticket (v1), no last leg a transfer could follow (v2): what an origin carries."""
    g.start = NO_SEG
    g.end = NO_ZONE
    g.routes = 0
    g.zones = 0
    g.rides = 0
    g.t0 = 0
    g.tlast = 0
    g.feed = -1
    g.group = -1
    g.count = 0
    g.refund = 0
    g.prev_dep = 0
    g.prev_arr = 0
    g.open_dep = EXPIRED
    g.open_arr = EXPIRED


cdef inline bint _v2_covers(McWorkspace ws, FareModelV2 f, const Seg* a, int32_t ca, const Seg* b, int32_t cb,
                            Until* u) noexcept nogil:
    """(ca <= cb, both known.) Every continuation of b that matters (one arriving by ``until``)
    costs a no more: the same last leg as the rules see it (feed, group, transfers so far, the
    times some limit measures from: see below), and, if a transfer may refund it, no
    more after the refund either."""
    if a.start == NO_SEG or b.start == NO_SEG:
        return a.start == b.start
    if a.feed != b.feed or a.group != b.group or a.count != b.count:
        return False
    # a last leg at time ta (its departure or arrival) gets every transfer rule one at tb gets,
    # and no other, for the next legs that matter (leaving and arriving by b's until): the same
    # time; or, slack_dep / slack_arr of the last leg's group (more time left is never dearer),
    # a time no earlier; or every limit measured from that time still open at b's until from ta
    # (Seg.open_*) -- slack -- or from both (_v2_open_until: out of line, rare). A limit already
    # past at the earliest until any label can have (ws.until_floor) fails here, inline.
    cdef int key
    if f.uses_dep and a.prev_dep != b.prev_dep:
        key = a.feed * (f.n_groups + 1) + a.group + 1
        if not (f.slack_dep[key] and a.prev_dep > b.prev_dep and (
                f.slack_dep[key] == 1 or _v2_span_ok(ws, f, f.span_dep, key, a, b, u))) and (
                a.open_dep < ws.until_floor or not _v2_open_until(ws, f.slack_dep[key] == 1, a.open_dep, b.open_dep, u)):
            return False
    if f.uses_arr and a.prev_arr != b.prev_arr:
        key = a.feed * (f.n_groups + 1) + a.group + 1
        if not (f.slack_arr[key] and a.prev_arr > b.prev_arr and (
                f.slack_arr[key] == 1 or _v2_span_ok(ws, f, f.span_arr, key, a, b, u, True))) and (
                a.open_arr < ws.until_floor or not _v2_open_until(ws, f.slack_arr[key] == 1, a.open_arr, b.open_arr, u)):
            return False
    return not f.has_type2 or ca - a.refund <= cb - b.refund


cdef bint _v2_span_ok(McWorkspace ws, FareModelV2 f, const int32_t[::1] span, int key, const Seg* a, const Seg* b,
                      Until* u, bint arrival=False) noexcept nogil:
    """(Slack 2: comparing a last-leg time by order is sound within some spans of the day only,
    engine/fares/kernel_model_v2.py _slack_spans.) The legs where a lost count costs or pays
    leave between now -- no earlier than either label's last leg -- and the earlier of b's until
    and the last one's reach (_slack_reach: L within the limit from a's last leg, then a
    loss every other leg, each within a counted rule's limit of the leg before): is that within
    the span sound from now's interval? ``arrival``: the limit is measured from the arrival."""
    cdef int32_t now = a.prev_dep, end
    cdef int legs, lead = f.slack_reach[3 * key + (1 if arrival else 0)], step = f.slack_reach[3 * key + 2]
    cdef int64_t last
    if a.prev_arr > now:
        now = a.prev_arr
    if b.prev_arr > now:
        now = b.prev_arr
    if b.prev_dep > now:
        now = b.prev_dep
    end = span[key * (f.time_bounds.shape[0] + 1) + _v2_interval(f, now)]
    if lead >= 0 and step >= 0:
        # (b's legs left: a ride on board, not yet priced, is one of them)
        legs = ws.max_rounds - u.k + (1 if u.riding else 0)
        if legs < 2:
            return True                 # (L is the last leg: no count can be lost after it)
        last = <int64_t>(a.prev_arr if arrival else a.prev_dep) + lead + (2 * (legs // 2) - 1) * <int64_t>step
        if last < end:
            return True
    return _until_of(ws, u) < end


cdef bint _v2_open_until(McWorkspace ws, bint slack_ok, int32_t open_a, int32_t open_b, Until* u) noexcept nogil:
    """a's limits stay open until b's until (and, unless slack_ok, b's too). This is what lets a
    label that arrives earlier beat one whose last leg merely left later, once a journey found
    bounds the search (_until)."""
    cdef int32_t until = _until_of(ws, u)
    return open_a >= until and (slack_ok or open_b >= until)


cdef inline int32_t _crit_floor(McWorkspace ws, int32_t crit, const Seg* g, int s, bint riding,
                                int32_t now=0, bint boarding=False, int32_t open_floor=FLOOR_STALE,
                                int label=NO_IDX) noexcept nogil:
    """A lower bound on the final third criterion of a journey through a label (crit, g) at s
    (``riding``: on board a ride still to be priced, at s): walking only grows; fares v1 add at
    least the open ticket's price to where the journey may end (ws.end_zone, _price with ws) or its
    floor plus one ticket that ends there (ws.last_floor); fares v2 can refund the last leg (type 2), and each later ride adds at least leg_floor (below zero
    only with discounts: then for every ride left). A label (not riding) adds its fare potential
    to its fare when there is one (_fare_potentials: refunds counted in); otherwise, a ride that no transfer can follow from
    (state fresh), and that is still to come (riding, or no target without one more vehicle),
    costs at least the cheapest leg product. ``open_floor`` (v1): the open ticket's floor
    (_price, not complete) when the caller has it; ``label`` (v1): (crit, g) are that label's
    own, whose prices are then computed once (_v1_label_floor)."""
    cdef int32_t floor, pot
    if ws.fm is None or crit >= FARE_UNKNOWN:
        return crit
    if ws.f2 is None:
        # v1: the open ticket is the last one (a ticket to where the journey may end) or costs
        # at least its floor and another follows (which ends there); with none, a vehicle
        # still to come opens one
        if g.start != NO_SEG:
            if label != NO_IDX:
                return _v1_label_floor(ws, label, crit, s, boarding)
            pot = open_floor if open_floor != FLOOR_STALE else _price(ws.fm, g, False)
            if pot < 0:
                return FARE_UNKNOWN
            return _v1_ticket_bound(ws, crit, pot,
                                    _price(ws.fm, g, False, ws, boarding or ws.vehicles_left[s] >= 1, now))
        if riding or ws.vehicles_left[s] >= 1:
            return crit + ws.last_floor if ws.last_floor < FARE_UNKNOWN else FARE_UNKNOWN
        return crit
    floor = crit - g.refund if (g.start != NO_SEG and ws.f2.has_type2) else crit
    if ws.f2.leg_floor < 0:
        return floor + ws.f2.leg_floor * ws.max_rounds
    if ws.potential != NULL and not riding:
        # the fare itself, not less its refund: the potentials already count a type-2 transfer
        # as refunding the dearest product of its from group (kernel_model_v2 _contributions,
        # _dearest_by_chain), so taking the label's refund off as well counted it twice
        # (Strasbourg, "v2": labels p50 4.7 k -> 2.3 k, the same answers)
        pot = ws.potential[2 * ws.n_classes * s + _last_leg_class(ws.f2, g)]
        return FARE_UNKNOWN if pot >= FARE_UNKNOWN else crit + pot
    if g.start == NO_SEG and (riding or ws.vehicles_left[s] >= 1):
        floor += ws.f2.fresh_floor
    return floor


cdef int32_t _v1_label_floor(McWorkspace ws, int label, int32_t crit, int s, bint boarding) noexcept nogil:
    """(v1, a label with an open ticket) _crit_floor of the label's own state, its three prices
    (the open ticket's floor; extended to where the journey may end, without and with another
    ride) computed once per label (lab_floors) and at its arrival: every footpath and boarding
    from it asks at a time no earlier, where no more fares stay valid (transfer_duration), so
    the floor is a lower bound there too. Why: a label's footpaths and boardings asked for the
    same prices again (Strasbourg, generated v1: _price took 14 % of a query)."""
    cdef int32_t* f = &ws.lab_floors[LAB_PRICES * label]
    cdef const Seg* g = &ws.lab_seg[label]
    cdef int more = 2 if boarding or ws.vehicles_left[s] >= 1 else 1
    if f[0] == FLOOR_STALE:
        f[0] = _price(ws.fm, g, False)
    if f[0] < 0:
        return FARE_UNKNOWN
    if f[more] == FLOOR_STALE:
        f[more] = _price(ws.fm, g, False, ws, more == 2, ws.lab_arr[label])
    return _v1_ticket_bound(ws, crit, f[0], f[more])


cdef inline int32_t _v1_ticket_bound(McWorkspace ws, int32_t crit, int32_t open_floor, int32_t end_price) noexcept nogil:
    """(v1) crit plus what the open ticket adds at least: its price extended to where the
    journey may end (``end_price``, -1: no fare covers that), or its floor (``open_floor`` >= 0)
    and then one more ticket that ends there (ws.last_floor), whichever is less."""
    cdef int32_t pot = open_floor + ws.last_floor
    if 0 <= end_price < pot:
        pot = end_price
    return crit + pot if pot < FARE_UNKNOWN else FARE_UNKNOWN


cdef inline int _last_leg_class(FareModelV2 f, const Seg* g) noexcept nogil:
    """0 when no transfer can follow the last leg, else 1 + feed * (G + 1) + group + 1."""
    return 0 if g.start == NO_SEG else 1 + g.feed * (f.n_groups + 1) + g.group + 1


cdef int _mark_patterns(McView tt, McWorkspace ws, const int32_t* lst, int n_lst, uint8_t* flag) noexcept nogil:
    """(_compute_stage, _fare_potentials) Queue the patterns through the listed stops, each from
    the last such stop_pos (ws.stage_patterns, ws.stage_to_pos), and clear the stops' flags
    (``flag``, when given). When the list holds a third of the stops or more (the later rounds
    reach nearly every one), every pattern is queued whole instead: reading the stops' pattern
    lists would cost more than the few stop_pos it spares. Patterns that do not run on the
    search's days (ws.live) are never queued: no label rides them, so the bounds hold without
    them, tighter and sooner. Returns the number queued."""
    cdef int i, s, e, p, pos, n_pat = 0
    if flag != NULL:
        for i in range(n_lst):
            flag[lst[i]] = 0
    if 3 * n_lst >= tt.n_stops:
        for p in range(tt.n_patterns):
            if ws.live == NULL or ws.live[p]:
                ws.stage_patterns[n_pat] = p
                ws.stage_to_pos[p] = tt.pattern_stops_offsets[p + 1] - tt.pattern_stops_offsets[p] - 1
                n_pat += 1
        return n_pat
    for i in range(n_lst):
        s = lst[i]
        for e in range(tt.stop_patterns_offsets[s], tt.stop_patterns_offsets[s + 1]):
            p = tt.stop_patterns[e]
            pos = tt.stop_patterns_pos[e]
            if ws.live != NULL and not ws.live[p]:
                continue
            if ws.stage_to_pos[p] == NO_IDX:
                ws.stage_patterns[n_pat] = p
                n_pat += 1
            if pos > ws.stage_to_pos[p]:
                ws.stage_to_pos[p] = pos
    return n_pat


cdef void _fare_potentials(McView tt, McWorkspace ws, FareModelV2 f, const int32_t[::1] target_stop,
                           const int32_t[::1] origin_stop, int max_rides, int32_t* scratch) noexcept nogil:
    """potential[2 * n_classes * s + c]: the least fare a journey still pays from a label at s whose
    last leg is of class c, to a target with at most max_rides more rides (FARE_UNKNOWN: none
    with a price). Bellman-Ford over rides, backwards: a ride of pattern p boarded at s and left
    at t adds at least contrib[c, rule] for some priced rule its pattern class and the areas of s
    and t may match (whatever the times and counts), then the potential of the rule's group at
    t; one footpath before a ride (or to a target), as the search allows, adds nothing (chained
    footpaths made the potentials weaker). Each round scans only the patterns through stops whose
    potential went down in the last one, from the last such stop_pos (as _compute_stage does; its
    scratch lists are reused, never at the same time). Down a pattern, the rules a boarding may
    match and their least potentials after it (and so each class's best) change only where
    some potential after it went down or the stop's class changes: computed again only then.
    Only the classes a label can have are computed (FareModelV2.pot_classes: a class of no rule's
    group is never read; "v2-simple": 3 of 4). The patterns of a round are queued by
    _mark_patterns. ``scratch``: 3 * (n_pot_rules + 1) + n_classes ints."""
    cdef int n = ws.n_stops, nc = ws.n_classes, w2 = 2 * ws.n_classes, nr = f.pot_group.shape[0], g1 = f.n_groups + 1
    cdef int nu = f.pot_classes.shape[0], ci
    cdef const int32_t* used = &f.pot_classes[0]
    cdef int it, p, pc, start, pos, c, i, r, s, feed, best, v, lo, hi, w = f.pot_words
    cdef int n_cur, n_next, n_pat, k
    cdef int32_t* pot = ws.potential
    # (ride[2 * nc * s + c], interleaved with pot by stop: a stop's classes of both tables share
    # a cache line or two; with class-major tables the potentials took ~4 % longer)
    cdef int32_t* ride = ws.potential + nc         # boarding at s only (what a footpath to s may use)
    cdef int32_t* m = scratch                      # per rule of the class: the least potential after it
    cdef int32_t* on_rule = m + (nr + 1)
    cdef int32_t* on_pot = m + 2 * (nr + 1)
    cdef int32_t* class_best = m + 3 * (nr + 1)   # per class, the least over the rules on
    cdef int n_on, sc, last_sc
    cdef bint stale
    cdef const uint64_t* bits
    cdef int32_t* cur = &ws.stage_v_list[0]
    cdef int32_t* nxt = &ws.stage_v_next[0]
    cdef int32_t* swap
    cdef uint8_t* flag = &ws.stage_v_flag[0]
    for i in range(2 * nc * n):
        pot[i] = FARE_UNKNOWN
    n_cur = 0
    for i in range(target_stop.shape[0]):
        s = target_stop[i]
        for c in range(nc):
            pot[s * w2 + c] = 0
            ride[s * w2 + c] = 0
        if not flag[s]:
            flag[s] = 1
            cur[n_cur] = s
            n_cur += 1
    n_cur = _potentials_walk(tt, pot, ride, w2, used, nu, cur, n_cur, n_cur, flag)   # a walk to a target is free
    _origin_floor(ws, pot, origin_stop, 0, max_rides)
    for it in range(max_rides):
        n_pat = _mark_patterns(tt, ws, cur, n_cur, flag)
        n_next = 0
        for k in range(n_pat):
            p = ws.stage_patterns[k]
            pc = f.pattern_class[p]
            if pc < 0 or f.class_rule_offsets[pc] == f.class_rule_offsets[pc + 1]:
                ws.stage_to_pos[p] = NO_IDX
                continue
            lo, hi = f.class_rule_offsets[pc], f.class_rule_offsets[pc + 1]
            feed = f.pattern_feed[p]
            start = tt.pattern_stops_offsets[p]
            for i in range(hi - lo):
                m[i] = FARE_UNKNOWN
            stale = True
            last_sc = -1
            n_on = 0
            for pos in range(ws.stage_to_pos[p], -1, -1):
                s = tt.pattern_stops[start + pos]
                if tt.pattern_pickup[start + pos]:
                    sc = f.stop_class[s]
                    if stale or sc != last_sc:
                        # the rules a ride boarded here may match, with a potential after them
                        bits = &f.pot_from_bits[sc * w]
                        n_on = 0
                        for i in range(lo, hi):
                            r = f.class_rules[i]
                            if m[i - lo] < FARE_UNKNOWN and (bits[r >> 6] >> (r & 63)) & 1:
                                on_rule[n_on] = r
                                on_pot[n_on] = m[i - lo]
                                n_on += 1
                        for ci in range(nu if n_on else 0):
                            c = used[ci]
                            best = FARE_UNKNOWN
                            for i in range(n_on):
                                v = f.contrib[c * nr + on_rule[i]] + on_pot[i]
                                if v < best:
                                    best = v
                            class_best[c] = best
                        stale = False
                        last_sc = sc
                    for ci in range(nu if n_on else 0):
                        c = used[ci]
                        if class_best[c] < ride[s * w2 + c]:
                            ride[s * w2 + c] = class_best[c]
                            if class_best[c] < pot[s * w2 + c]:
                                pot[s * w2 + c] = class_best[c]
                            if not flag[s]:
                                flag[s] = 1
                                nxt[n_next] = s
                                n_next += 1
                if tt.pattern_dropoff[start + pos]:
                    bits = &f.pot_to_bits[f.stop_class[s] * w]
                    for i in range(lo, hi):
                        r = f.class_rules[i]
                        if (bits[r >> 6] >> (r & 63)) & 1:
                            v = pot[s * w2 + 1 + feed * g1 + f.pot_group[r] + 1]
                            if v < m[i - lo]:
                                m[i - lo] = v
                                stale = True
            ws.stage_to_pos[p] = NO_IDX
        n_next = _potentials_walk(tt, pot, ride, w2, used, nu, nxt, n_next, n_next, flag)   # a footpath, then on
        _origin_floor(ws, pot, origin_stop, it + 1, max_rides)
        swap = cur
        cur = nxt
        nxt = swap
        n_cur = n_next
        if n_cur == 0:
            break
    for i in range(n_cur):
        flag[cur[i]] = 0


cdef inline void _origin_floor(McWorkspace ws, const int32_t* pot, const int32_t[::1] origin_stop, int j,
                               int max_rides) noexcept nogil:
    """(_fare_potentials) ride_floor[j .. max_rides] = the least class-0 potential (no ticket yet)
    at an origin after j rounds: no journey with at most j rides pays less (the rounds relax
    every way with j rides or fewer; in-place updates may only make it lower)."""
    cdef int i
    cdef int32_t best = FARE_UNKNOWN
    for i in range(origin_stop.shape[0]):
        if pot[2 * ws.n_classes * origin_stop[i]] < best:
            best = pot[2 * ws.n_classes * origin_stop[i]]
    for i in range(j, max_rides + 1):
        ws.ride_floor[i] = best


cdef int _potentials_walk(McView tt, int32_t* pot, const int32_t* ride, int w2, const int32_t* used, int nu,
                          int32_t* lst, int n_lst, int n_from, uint8_t* flag) noexcept nogil:
    """(_fare_potentials) One footpath before: a stop that walks to one of the first n_from
    listed costs no more than boarding there (``ride``: never a potential that stop itself got by
    a footpath: footpaths do not chain); stops that went down join the list (flag). Returns the
    list's new length."""
    cdef int i, e, s, t, c, ci
    cdef bint down
    for i in range(n_from):
        t = lst[i]
        for e in range(tt.rfp_offsets[t], tt.rfp_offsets[t + 1]):
            s = tt.rfp_from[e]
            down = False
            for ci in range(nu):
                c = used[ci]
                if ride[t * w2 + c] < pot[s * w2 + c]:
                    pot[s * w2 + c] = ride[t * w2 + c]
                    down = True
            if down and not flag[s]:
                flag[s] = 1
                lst[n_lst] = s
                n_lst += 1
    return n_lst


cdef class McView:
    """Read-only views over the timetable arrays McRAPTOR reads (see engine/_core.pyx layout).

    Real time (engine/criteria/realtime.py): the patterns from ``n_static`` on are a GTFS-Realtime
    overlay's, their stop times in ``rt_st_arr`` / ``rt_st_dep`` (pattern_st_offset counts from
    there), so the static arrays are read in place, never copied (_dep_row, _arr_row)."""

    cdef readonly int n_stops, n_patterns, n_static
    cdef const int32_t* st_arr_p
    cdef const int32_t* st_dep_p
    cdef const int32_t* rt_arr_p
    cdef const int32_t* rt_dep_p
    cdef const int32_t[::1] rt_st_arr
    cdef const int32_t[::1] rt_st_dep
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
    cdef const int32_t[::1] hop_min          # engine/criteria/bounds.py stage_arrays
    cdef const int32_t[::1] rfp_offsets, rfp_from, rfp_duration

    def __init__(self, *, const int32_t[::1] pattern_stops_offsets, const int32_t[::1] pattern_stops,
                 const uint8_t[::1] pattern_pickup, const uint8_t[::1] pattern_dropoff,
                 const int32_t[::1] pattern_first_trip, const int32_t[::1] pattern_n_trips,
                 const int64_t[::1] pattern_st_offset, const int32_t[::1] pattern_max_day,
                 const int32_t[::1] st_arr, const int32_t[::1] st_dep,
                 const int32_t[::1] stop_patterns_offsets, const int32_t[::1] stop_patterns,
                 const int32_t[::1] stop_patterns_pos, const int32_t[::1] footpath_offsets,
                 const int32_t[::1] footpath_to, const int32_t[::1] footpath_duration,
                 const int32_t[::1] stop_min_change, const int32_t[::1] hop_min,
                 const int32_t[::1] rfp_offsets, const int32_t[::1] rfp_from, const int32_t[::1] rfp_duration,
                 const int32_t[::1] rt_st_arr=None, const int32_t[::1] rt_st_dep=None, int n_static=-1):
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
        if hop_min.shape[0] != pattern_stops.shape[0] or rfp_offsets.shape[0] != self.n_stops + 1 or \
                rfp_from.shape[0] != footpath_to.shape[0] or rfp_duration.shape[0] != footpath_to.shape[0]:
            raise ValueError("stage arrays do not match the timetable")
        self.hop_min, self.rfp_offsets, self.rfp_from, self.rfp_duration = hop_min, rfp_offsets, rfp_from, rfp_duration
        self.n_static = self.n_patterns if n_static < 0 else n_static
        if self.n_static > self.n_patterns or (self.n_static < self.n_patterns and (
                rt_st_arr is None or rt_st_dep is None or rt_st_arr.shape[0] != rt_st_dep.shape[0])):
            raise ValueError("real-time patterns without their stop times")
        self.st_arr_p = &st_arr[0] if st_arr.shape[0] else NULL
        self.st_dep_p = &st_dep[0] if st_dep.shape[0] else NULL
        self.rt_arr_p = self.rt_dep_p = NULL
        if rt_st_arr is not None and rt_st_arr.shape[0]:
            self.rt_st_arr, self.rt_st_dep = rt_st_arr, rt_st_dep
            self.rt_arr_p, self.rt_dep_p = &rt_st_arr[0], &rt_st_dep[0]


cdef inline const int32_t* _dep_row(McView tt, int p, int pos) noexcept nogil:
    """The departures of pattern p's trips at stop_pos pos (static or real-time block)."""
    return (tt.rt_dep_p if p >= tt.n_static else tt.st_dep_p) + tt.pattern_st_offset[p] + \
        <int64_t>pos * tt.pattern_n_trips[p]


cdef inline const int32_t* _arr_row(McView tt, int p, int pos) noexcept nogil:
    """The arrivals of pattern p's trips at stop_pos pos (static or real-time block)."""
    return (tt.rt_arr_p if p >= tt.n_static else tt.st_arr_p) + tt.pattern_st_offset[p] + \
        <int64_t>pos * tt.pattern_n_trips[p]


cdef class McWorkspace:
    """Per-thread scratch state of McRAPTOR; the label pool is readable after a run (``*_np``)."""

    cdef readonly int capacity, route_capacity, n_stops, n_patterns, n_labels, rounds_run
    cdef readonly int run_first         # this run's first label (> 0 when keep_labels kept earlier runs')
    cdef int bag_slots             # lists in use per bag (fares v2: BAG_SLOTS, else 1)
    cdef int32_t[::1] lab_arr, lab_crit, lab_round, lab_stop, lab_kind, lab_parent
    cdef int32_t[::1] lab_trip, lab_day, lab_board_pos, lab_alight_pos, lab_next
    cdef uint8_t[::1] lab_alive
    cdef int32_t[::1] lab_until, rb_until     # fares: a label's until once computed (_until_of)
    cdef int32_t[::1] rb_floor     # fares v1: the route label's open-ticket floor (_price, not complete;
                                   # FLOOR_STALE: to compute), kept while its zones do not change;
                                   # fares v2: its least final fare wherever it alights (_ride_table_floor)
    cdef Seg* lab_seg
    cdef int32_t[::1] lab_floors   # fares v1: [LAB_PRICES * label] its prices, FLOOR_STALE until asked
                                   # (_v1_label_floor; the last: its open ticket closed there, _board_fare)
    cdef int32_t[::1] bag_head, touched_list, pattern_from_pos, pattern_list
    cdef int32_t[::1] pattern_target_pos   # the last stop_pos of a pattern at a target (NO_IDX: none)
    cdef uint8_t[::1] touched, is_target
    cdef int32_t[::1] stop_mark          # marked stop -> 1 + its row in marked_list, else 0
    cdef int32_t[::1] mark_offsets, mark_labels   # per marked stop, its round k-1 labels (bag order)
    cdef int32_t[::1] marked_list, target_egress, target_egress_walk
    cdef int32_t[::1] rb_trip, rb_day, rb_crit, rb_parent, rb_board_pos
    cdef int rb_from               # fares v2: the route bag's first label boarded at the stop_pos being
                                   # scanned (_route_insert compares a boarding with those only)
    cdef uint8_t[::1] rb_alive
    cdef Seg* rb_seg
    cdef int32_t[::1] tg_arr, tg_crit, tg_round
    cdef int32_t[::1] round_start
    cdef int n_touched, n_targets_seen, overflow
    cdef int32_t tg_min_arr
    cdef int32_t[::1] earliest   # [k]: no journey with at most k vehicles arrives earlier (EARLIEST_NONE: unknown)
    cdef int32_t until_floor     # min(tg_min_arr, horizon): no label's until is earlier (_until)
    cdef FareModel fm              # None in walking mode
    cdef FareModelV2 f2            # fm when it is fares v2, else None
    cdef int32_t[::1] ride_bound     # per pattern_stops row: on board there, a lower bound (_compute_stage)
    cdef int32_t* potential       # fares v2: [(2 * stop + table) * n_classes + class], see _fare_potentials
    cdef int n_classes
    cdef int32_t[::1] ride_floor    # fares v2: [j] the least fare from the origins with at most j rides
    cdef object potential_key     # (model, targets, max_rounds) the potentials were computed for
    cdef object stage_key         # (view, targets, egress, max_rounds, change) of the stage bounds
    cdef int max_rounds
    cdef int min_vehicles               # no journey to the targets has fewer (the caller knows)
    cdef bint bound_states              # fares: compare time limits up to _until only
    cdef bint upstream_riders           # fares v2: boardings a rider boarded upstream covers are dropped
    cdef readonly int64_t rides_priced        # fares v2: rides priced at a stop (_v2_ride) by the last run
    cdef readonly int64_t boardings_covered   # fares v2: boardings dropped by the last run (_v2_upstream_covers)
    cdef int64_t wait_until             # fares v2: the last time a traveller waits for a cheaper vehicle until
    cdef double deadline                # time.monotonic() past which the run stops (0: none)
    cdef int64_t work, next_check       # labels compared so far; when to read the clock next (_out_of_time)
    cdef int64_t horizon                # the latest arrival (egress included) a journey may have
    # per-vehicle-count bounds (_compute_stage): stage[s * W + j] (ready at s) and
    # stage[(n_stops + s) * W + j] (arrived at s by vehicle), W = max_rounds + 1
    cdef int32_t[::1] stage, stage_cm      # (stage_cm: _compute_stage's column-major scratch)
    cdef int stage_width
    cdef uint8_t[::1] vehicles_left      # the fewest vehicles left from a stop (255: none within the rounds)
    cdef int32_t[::1] stage_c_list, stage_v_list, stage_v_next, stage_to_pos, stage_patterns
    cdef uint8_t[::1] stage_c_flag, stage_v_flag
    cdef const uint8_t* live            # [pattern]: some trip runs on the search's days (live_patterns);
    cdef object live_np                 # NULL: every pattern (the backward searches skip the others)
    cdef uint8_t* end_zone              # fares v1: [zone + 1] where a journey may end (last alighting)
    cdef int32_t[::1] end_rows          # fares v1: those zone + 1 rows, listed (row 0 alone: no zone at all)
    cdef int n_end_rows
    cdef uint64_t end_bits              # their contains bits
    cdef bint end_unzoned               # one of those stops has no zone
    cdef uint64_t end_routes            # the route classes of the patterns that reach one of them
    cdef int32_t last_floor             # the least a ticket ending there costs (FARE_UNKNOWN: none)
    # (the arrays engine/criteria/mcraptor.py _raw_legs reads a journey's labels from)
    cdef readonly object lab_arr_np, lab_stop_np, lab_kind_np
    cdef readonly object lab_parent_np, lab_trip_np, lab_day_np, lab_board_pos_np, lab_alight_pos_np

    def __cinit__(self, int n_stops, int n_patterns, int capacity=1 << 16, int route_capacity=1 << 13):
        self.potential = NULL
        self.end_zone = NULL
        self.live = NULL
        self.lab_seg = <Seg*>malloc(capacity * sizeof(Seg))
        self.rb_seg = <Seg*>malloc(route_capacity * sizeof(Seg))
        if self.lab_seg == NULL or self.rb_seg == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.lab_seg)
        free(self.rb_seg)
        free(self.potential)
        free(self.end_zone)

    def __init__(self, int n_stops, int n_patterns, int capacity=1 << 16, int route_capacity=1 << 13):
        self.n_stops, self.n_patterns, self.capacity = n_stops, n_patterns, capacity
        self.route_capacity = route_capacity
        i32 = lambda n, v=0: np.full(n, v, np.int32)
        self.lab_arr_np = i32(capacity); self.lab_arr = self.lab_arr_np
        self.lab_crit = i32(capacity)
        self.lab_round = i32(capacity)
        self.lab_stop_np = i32(capacity); self.lab_stop = self.lab_stop_np
        self.lab_kind_np = i32(capacity); self.lab_kind = self.lab_kind_np
        self.lab_parent_np = i32(capacity); self.lab_parent = self.lab_parent_np
        self.lab_trip_np = i32(capacity); self.lab_trip = self.lab_trip_np
        self.lab_day_np = i32(capacity); self.lab_day = self.lab_day_np
        self.lab_board_pos_np = i32(capacity); self.lab_board_pos = self.lab_board_pos_np
        self.lab_alight_pos_np = i32(capacity); self.lab_alight_pos = self.lab_alight_pos_np
        self.lab_next = i32(capacity)
        self.lab_alive = np.zeros(capacity, np.uint8)
        self.lab_until = i32(capacity)
        self.lab_floors = i32(LAB_PRICES * capacity, FLOOR_STALE)
        self.rb_until = i32(route_capacity)
        self.rb_floor = i32(route_capacity, FLOOR_STALE)
        self.bag_head = i32(2 * n_stops * BAG_SLOTS, NO_IDX)
        self.bag_slots = 1
        self.touched_list = i32(n_stops)
        self.touched = np.zeros(n_stops, np.uint8)
        self.stop_mark = i32(n_stops)
        self.mark_offsets = i32(n_stops + 1)
        self.mark_labels = i32(capacity)
        self.is_target = np.zeros(n_stops, np.uint8)
        self.marked_list = i32(n_stops)
        self.target_egress = i32(n_stops)
        self.target_egress_walk = i32(n_stops)
        self.pattern_from_pos = i32(n_patterns, NO_IDX)
        self.pattern_list = i32(n_patterns)
        self.pattern_target_pos = i32(n_patterns, NO_IDX)
        self.stage = i32(0)
        self.stage_cm = i32(0)
        self.vehicles_left = np.zeros(n_stops, np.uint8)
        # (one more than the stops: _stage_min writes a stop past the list's end before counting it)
        self.stage_c_list = i32(n_stops + 1); self.stage_v_list = i32(n_stops + 1)
        self.stage_v_next = i32(n_stops + 1)
        self.stage_to_pos = i32(n_patterns, NO_IDX); self.stage_patterns = i32(n_patterns)
        self.stage_c_flag = np.zeros(n_stops, np.uint8); self.stage_v_flag = np.zeros(n_stops, np.uint8)
        self.rb_trip = i32(route_capacity); self.rb_day = i32(route_capacity); self.rb_crit = i32(route_capacity)
        self.rb_parent = i32(route_capacity); self.rb_board_pos = i32(route_capacity)
        self.rb_alive = np.zeros(route_capacity, np.uint8)
        self.tg_arr = i32(TARGET_CAP); self.tg_crit = i32(TARGET_CAP); self.tg_round = i32(TARGET_CAP)
        self.round_start = i32(130)
        self.earliest = i32(130, EARLIEST_NONE)
        self.ride_floor = i32(130, FARE_UNKNOWN)
        self.n_touched = 0
        self.n_labels = 0
        self.fm = None
        self.f2 = None
        self.ride_bound = i32(0)
        self.end_rows = i32(0)
        self.n_end_rows = 0


cdef inline double _monotonic() noexcept nogil:
    """Seconds on the clock of Python's time.monotonic() (CLOCK_MONOTONIC)."""
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


cdef bint _out_of_time(McWorkspace ws) noexcept nogil:
    """(Called once ws.work, the labels compared so far, reaches ws.next_check.) Whether the
    run is past its deadline (then ws.overflow = OUT_OF_TIME); the clock is read about every
    2^16 comparisons, so a search stops soon after its deadline (README, time_budget_s)."""
    ws.next_check = ws.work + 65536
    if ws.deadline > 0 and not ws.overflow and _monotonic() > ws.deadline:
        ws.overflow = OUT_OF_TIME
    return ws.overflow == OUT_OF_TIME


cdef inline int32_t _earliest_trip(McView tt, const int32_t[:, ::1] next_active, int day_shift,
                                   int p, int pos, int32_t ready, int* out_trip, int* out_day) noexcept nogil:
    """Earliest departure >= ready at (pattern p, stop_pos pos): engine/_timetable.pxd."""
    return earliest_departure(_dep_row(tt, p, pos), tt.pattern_n_trips[p], tt.pattern_first_trip[p],
                              tt.pattern_max_day[p], &next_active[0, 0], next_active.shape[1], day_shift, ready,
                              out_trip, out_day)


cdef inline bint _target_dominated(McWorkspace ws, int32_t arr, int32_t crit, int k) noexcept nogil:
    """A complete journey already found is no worse on arrival, the third criterion and vehicles
    (a fare label's crit only grows: its closed tickets bound its final fare)."""
    cdef int i
    if arr < ws.tg_min_arr:
        return False        # earlier than every journey found: the common case, no scan
    # (the journeys are kept by arrival: _add_target)
    for i in range(ws.n_targets_seen):
        if ws.tg_arr[i] > arr:
            return False
        if ws.tg_crit[i] <= crit and ws.tg_round[i] <= k:
            return True
    return False


cdef inline int _rounds_at_least(McWorkspace ws, int s, int k, bint boarding) noexcept nogil:
    """The fewest vehicles a journey through a label of round k at s can end with
    (vehicles_left[s] counts from s: a boarding at s is the first of them), and no fewer than
    any journey has (ws.min_vehicles)."""
    cdef int at_least = k - 1 + ws.vehicles_left[s] if boarding else k + ws.vehicles_left[s]
    if at_least < ws.min_vehicles:
        at_least = ws.min_vehicles
    return at_least if at_least > k else k


cdef inline const int32_t* _ready_row(McWorkspace ws, int s) noexcept nogil:
    """The stage bounds of a label at s that may board at once (origin, footpath), by vehicles left."""
    return &ws.stage[s * ws.stage_width]


cdef inline const int32_t* _arrived_row(McWorkspace ws, int s) noexcept nogil:
    """The stage bounds of a label at s that arrived by vehicle (change time, or one footpath)."""
    return &ws.stage[(ws.n_stops + s) * ws.stage_width]


cdef inline bint _stage_hopeless(McWorkspace ws, const int32_t* row, int32_t arr, int32_t crit, int k0,
                                 int j0) noexcept nogil:
    """A journey from here with j >= j0 more vehicles (k0 + j in all) arrives at arr + row[j] or
    later with crit or more: hopeless when, for every j the rounds allow, a journey found is no
    worse than that (or it would pass the horizon, or no target is within j vehicles). No
    journey with k0 + j vehicles arrives before ws.earliest[k0 + j] either."""
    cdef int j, kk
    cdef int32_t b
    cdef int64_t a, last = -(<int64_t>1 << 62)
    for j in range(j0, ws.max_rounds - k0 + 1):
        b = row[j]
        if b >= STAGE_INF:
            continue
        kk = k0 + j
        if kk < ws.min_vehicles:
            kk = ws.min_vehicles
        a = arr + <int64_t>b
        if a < ws.earliest[kk]:
            a = ws.earliest[kk]
        if a == last:
            continue        # (the same time with more vehicles: dominated when the last j was)
        last = a
        if a > ws.horizon:
            continue
        if not _target_dominated(ws, <int32_t>a, crit, kk):
            return False
    return True


cdef inline bint _ride_hopeless(McWorkspace ws, int64_t row, int32_t arr, int32_t crit, int k) noexcept nogil:
    """On board (pattern_stops row ``row``, arriving at ``arr``, k vehicles): no journey that
    leaves this vehicle here or further down can be one the set lacks (ws.ride_bound). This
    stays true at every later stop: ride_bound[row] <= hop + ride_bound[row + 1], so arrival +
    bound never decreases along the ride, and the journeys found only grow."""
    cdef int32_t b = ws.ride_bound[row]
    cdef int64_t a = arr + <int64_t>b
    if b >= STAGE_INF or a > ws.horizon:
        return True
    if a < ws.earliest[ws.max_rounds]:
        a = ws.earliest[ws.max_rounds]     # (the earliest arrival with any number of vehicles)
    return _target_dominated(ws, <int32_t>a, crit, k)


cdef inline int32_t _until_of(McWorkspace ws, Until* u) noexcept nogil:
    if u.value == UNTIL_UNSET:
        u.value = _until(ws, u.s, u.crit, u.g, u.k, u.riding)
        if u.slot != NULL:
            u.slot[0] = u.value
    return u.value


cdef inline Until* _until_set(Until* u, int s, int32_t crit, const Seg* g, int k, bint riding,
                              int32_t* slot=NULL) noexcept nogil:
    """Describe label b in u (``slot``: where its until is kept, NULL for a label not in the pool
    yet); returns u, for use inside a condition."""
    u.slot = slot
    u.value = slot[0] if slot != NULL else UNTIL_UNSET
    u.s = s
    u.crit = crit
    u.g = g
    u.k = k
    u.riding = riding
    return u


cdef int32_t _until(McWorkspace ws, int s, int32_t crit, const Seg* g, int k, bint riding) noexcept nogil:
    """(Fares.) The latest arrival (egress included) a journey through a label (crit, g) of
    round k at s -- ``riding``: on board, boarded at s -- can have and still be one the set
    lacks: the horizon, or earlier the arrival of a journey found (or known) that is no worse
    than any journey through the label can be (fare <= its floor, vehicles <= the fewest it can
    end with):
    continuations arriving later are dominated by it. So a time limit still open then is as
    good as any later one (_v2_covers, and v1 transfer_duration in _v1_covers)."""
    cdef int32_t floor, h = <int32_t>ws.horizon
    cdef int i
    if not ws.bound_states:
        return UNREACHED            # (every time limit matters: the plain comparison)
    if ws.fm is None:
        return h
    # (v1: the closed tickets only, a weaker floor than _crit_floor, which prices the open
    # ticket; on Strasbourg "v1" the two gave the same times within noise, labels p50 2.44 k
    # against 2.39 k)
    floor = _crit_floor(ws, crit, g, s, riding) if ws.f2 is not None else crit
    k = _rounds_at_least(ws, s, k, riding)
    for i in range(ws.n_targets_seen):        # (by arrival: the first no worse is the earliest)
        if ws.tg_arr[i] >= h:
            break
        if ws.tg_crit[i] <= floor and ws.tg_round[i] <= k:
            return ws.tg_arr[i]
    return h


cdef inline int32_t _stage_min(int32_t* x, int32_t value, int32_t* lst, int n, uint8_t* flag, int s) noexcept nogil:
    """x[0] = min(x[0], value); s goes to lst (once: flag) when it improved. Returns the new n.
    Without branches (the footpath relaxations of _compute_stage improve at random: a branch
    per edge was mispredicted about half the time): s is written at lst[n] whatever happens,
    and n moves past it only when it counts."""
    cdef int32_t old = x[0]
    cdef int better = value < old
    cdef int new = better & (flag[s] ^ 1)
    x[0] = value if better else old
    lst[n] = s
    flag[s] |= <uint8_t>better
    return n + new


cdef void _compute_stage(McView tt, McWorkspace ws, const int32_t[::1] target_stop,
                         const int32_t[::1] target_egress, int32_t min_change_s) noexcept nogil:
    """Per stop s and number j of vehicles left, a lower bound on the time to a target (egress
    included) by a journey of the search's model: ready[s, j] for a label that may board at
    once (origin, footpath), arrived[s, j] for one that came by vehicle (it may end at a
    target, walk one footpath, or board after the change time). A ride from s costs at least
    its fastest hops (McView.hop_min). Backward rounds, like RAPTOR's: round j scans only
    the patterns through stops whose arrived[., j-1] improved, from the last such stop_pos
    (_mark_patterns; whole patterns once a third of the stops improved: Strasbourg, 0.25 ->
    0.21 ms a query). A label is hopeless only when, for every number of vehicles it may still use, a journey found
    beats it (_stage_hopeless). Also gives ws.vehicles_left (the first j with a bound) and
    ws.ride_bound (on board at a pattern stop: leave there or further down, then at most R - 1
    vehicles more: a label on board has used one at least).
    The last round (j = R = max_rounds) is not searched: only a label that has used no vehicle
    (an origin, a footpath from one) can still use R, and its bound there is 0 (no bound); the
    round is one of six with 4 transfers, and skipping it dropped no label on Strasbourg (100
    generated "v2-simple" queries: the same labels)."""
    cdef int n = tt.n_stops, W = ws.stage_width, R = W - 1
    cdef int i, j, s, t, e, p, pos, start, n_c, n_v, n_next, n_pat, a, left
    cdef int32_t best, change, got
    # (column-major while computing, [j * n + s]: a round reads and writes one column, which
    # stays in cache; ws.stage, row-major for the searches' reads, is written at the end)
    cdef int32_t* ready = &ws.stage_cm[0]
    cdef int32_t* arrived = &ws.stage_cm[n * W]
    cdef int32_t* c_list = &ws.stage_c_list[0]
    cdef int32_t* v_list = &ws.stage_v_list[0]
    cdef int32_t* v_next = &ws.stage_v_next[0]
    cdef int32_t* swap
    cdef uint8_t* c_flag = &ws.stage_c_flag[0]
    cdef uint8_t* v_flag = &ws.stage_v_flag[0]
    for i in range(2 * n * W):
        ws.stage_cm[i] = STAGE_INF
    n_c = 0
    for i in range(target_stop.shape[0]):
        s = target_stop[i]
        n_c = _stage_min(&ready[s], target_egress[i], c_list, n_c, c_flag, s)
    n_v = 0
    for j in range(R if R > 0 else 1):
        if j > 0:
            for s in range(n):
                ready[j * n + s] = ready[(j - 1) * n + s]
                arrived[j * n + s] = arrived[(j - 1) * n + s]
            # one more ride: from a pickup to a drop-off down a pattern through an improved stop
            n_pat = _mark_patterns(tt, ws, v_list, n_v, NULL)
            n_c = 0
            for i in range(n_pat):
                p = ws.stage_patterns[i]
                start = tt.pattern_stops_offsets[p]
                best = STAGE_INF
                for pos in range(ws.stage_to_pos[p], -1, -1):
                    # (no branch on the bounds, as in _stage_min: a stop where no one alights or
                    # boards counts as STAGE_INF)
                    s = tt.pattern_stops[start + pos]
                    got = arrived[(j - 1) * n + s] if tt.pattern_dropoff[start + pos] else STAGE_INF
                    best = got if got < best else best
                    n_c = _stage_min(&ready[j * n + s], best if tt.pattern_pickup[start + pos] else STAGE_INF,
                                     c_list, n_c, c_flag, s)
                    if best < STAGE_INF and pos > 0:
                        best = best + tt.hop_min[start + pos - 1]
                ws.stage_to_pos[p] = NO_IDX
            for i in range(n_v):
                v_flag[v_list[i]] = 0
        # arrived by vehicle: end here (round 0), change and board, or one footpath and board
        n_next = 0
        for i in range(n_c):
            t = c_list[i]
            c_flag[t] = 0
            a = ready[j * n + t]
            change = tt.stop_min_change[t] if tt.stop_min_change[t] != NO_VALUE else min_change_s
            n_next = _stage_min(&arrived[j * n + t], a if j == 0 else a + change, v_next, n_next, v_flag, t)
            for e in range(tt.rfp_offsets[t], tt.rfp_offsets[t + 1]):
                s = tt.rfp_from[e]
                n_next = _stage_min(&arrived[j * n + s], a + tt.rfp_duration[e], v_next, n_next, v_flag, s)
        swap = v_list
        v_list = v_next
        v_next = swap
        n_v = n_next
    for i in range(n_v):
        v_flag[v_list[i]] = 0
    if R > 0:
        for s in range(n):
            ready[R * n + s] = 0
            arrived[R * n + s] = 0
    for s in range(n):
        ws.vehicles_left[s] = 255
        for j in range(R + 1):
            if arrived[j * n + s] < STAGE_INF:
                ws.vehicles_left[s] = j
                break
    for s in range(n):
        for j in range(W):
            ws.stage[s * W + j] = ready[j * n + s]
            ws.stage[(n + s) * W + j] = arrived[j * n + s]
    # on board: leave here or further down, then at most R - 1 vehicles more (monotone down the
    # pattern)
    left = R - 1 if R > 0 else 0
    for p in range(tt.n_patterns):
        if ws.live != NULL and not ws.live[p]:
            continue            # (never scanned: its ride_bound is never read)
        start = tt.pattern_stops_offsets[p]
        best = STAGE_INF
        for pos in range(tt.pattern_stops_offsets[p + 1] - start - 1, -1, -1):
            s = tt.pattern_stops[start + pos]
            if tt.pattern_dropoff[start + pos] and arrived[left * n + s] < best:
                best = arrived[left * n + s]
            ws.ride_bound[start + pos] = best
            if best < STAGE_INF and pos > 0:
                best = best + tt.hop_min[start + pos - 1]


cdef inline void _note_target(McWorkspace ws, int s, int32_t arr, int32_t crit, const Seg* g, int k) noexcept nogil:
    """Keep the journeys found as a Pareto set (entries the new one dominates are dropped)."""
    cdef int32_t a = arr + ws.target_egress[s], w
    cdef int i, m = 0
    if ws.fm is not None:
        w = _final_fare(ws.fm, crit, g)
    else:
        w = crit + ws.target_egress_walk[s]
    if _target_dominated(ws, a, w, k):
        return
    _add_target(ws, a, w, k)


cdef void _add_target(McWorkspace ws, int32_t a, int32_t w, int k) noexcept nogil:
    """Add journey (arrival a, third criterion w, k vehicles), which none of ws.tg_* beats, to
    them: they stay a Pareto set in order of arrival (the entries it dominates leave). Why in
    order: the scans of the set (_target_dominated, _until) stop at the first entry past the
    time they ask about. Known rows another beats are not entered either: a fares v2 pass after
    the first is given the two-criteria run's journeys both as they arrived and, those within
    the last horizon, as arriving at once (engine/criteria/mcraptor.py _by_horizons)."""
    cdef int i, m = 0, at
    for i in range(ws.n_targets_seen):
        if not (a <= ws.tg_arr[i] and w <= ws.tg_crit[i] and k <= ws.tg_round[i]):
            ws.tg_arr[m] = ws.tg_arr[i]
            ws.tg_crit[m] = ws.tg_crit[i]
            ws.tg_round[m] = ws.tg_round[i]
            m += 1
    ws.n_targets_seen = m
    if m < TARGET_CAP:
        at = m
        while at > 0 and ws.tg_arr[at - 1] > a:
            ws.tg_arr[at] = ws.tg_arr[at - 1]
            ws.tg_crit[at] = ws.tg_crit[at - 1]
            ws.tg_round[at] = ws.tg_round[at - 1]
            at -= 1
        ws.tg_arr[at] = a
        ws.tg_crit[at] = w
        ws.tg_round[at] = k
        ws.n_targets_seen = m + 1
        if a < ws.tg_min_arr:
            ws.tg_min_arr = a
            if a < ws.until_floor:
                ws.until_floor = a


cdef inline int _bag_slot(McWorkspace ws, int32_t crit, const Seg* g) noexcept nogil:
    """The slot of a label's class in its bag (module docstring, bag_head): 0 in walking and fares
    v1, and for an unknown fare; then 1 without a last leg a transfer may follow, else a hash of
    (feed, leg group, transfer count) over the others (labels of two classes never compare,
    whatever slot they share)."""
    if ws.bag_slots == 1 or crit >= FARE_UNKNOWN:
        return 0
    if g.start == NO_SEG:
        return 1
    return 2 + <int>((<uint32_t>(g.feed * 131 + g.group + 1) * 17u + <uint32_t>g.count) % <uint32_t>(BAG_SLOTS - 2))


cdef inline int _bag_walk(McWorkspace ws, int head, int32_t arr, int32_t crit, const Seg* g, int k, Until* un,
                          int s, bint beaten_here, bint beats_here) noexcept nogil:
    """(_bag_insert) Walk one list of a bag: 1 when a label there of a round <= k is no worse
    than (arr, crit, g) (``beaten_here``: asked only where one may be); otherwise, with
    ``beats_here``, the same-round labels it dominates die. Dead labels are unlinked on the way
    (their data stay: they may be parents)."""
    cdef int cur = ws.bag_head[head], prev = NO_IDX, nxt
    cdef bint fare = ws.fm is not None
    cdef Until uc
    while cur != NO_IDX:
        ws.work += 1
        nxt = ws.lab_next[cur]
        if not ws.lab_alive[cur]:
            if prev == NO_IDX:
                ws.bag_head[head] = nxt
            else:
                ws.lab_next[prev] = nxt
        else:
            if beaten_here and ws.lab_arr[cur] <= arr and ws.lab_crit[cur] <= crit and ws.lab_round[cur] <= k and (
                    not fare or _fare_covers(ws, &ws.lab_seg[cur], ws.lab_crit[cur], g, crit, un)):
                return 1
            if beats_here and ws.lab_round[cur] == k and arr <= ws.lab_arr[cur] and crit <= ws.lab_crit[cur] and (
                    not fare or _fare_covers(ws, g, crit, &ws.lab_seg[cur], ws.lab_crit[cur],
                                             _until_set(&uc, s, ws.lab_crit[cur], &ws.lab_seg[cur], k, False,
                                                        &ws.lab_until[cur]))):
                ws.lab_alive[cur] = 0
            prev = cur
        cur = nxt
    return 0


cdef int _bag_insert(McWorkspace ws, int s, int bag, int32_t arr, int32_t crit, const Seg* g, int k, int kind,
                     int parent) noexcept nogil:
    """Add (arr, crit[, open ticket g]) of round k to bag (s, bag) unless a label there of a
    round <= k is no worse (a range's kept labels may be of later rounds: run_mcraptor
    keep_labels); same-round labels it dominates die. Returns the label or NO_IDX (dominated,
    or the pool is full: ws.overflow). Fares v2: only the label's slot can hold one that beats
    it or that it beats, and slot 0 (unknown fares) one it beats; an unknown fare is beaten by
    any label, so every slot is read for it (module docstring, bag_head)."""
    cdef int base = (2 * s + bag) * BAG_SLOTS, q = _bag_slot(ws, crit, g), head = base + q, idx, i, j
    cdef bint fare = ws.fm is not None
    cdef Until un
    _until_set(&un, s, crit, g, k, False)      # (read in fare mode only; set always: no gcc warning)
    if q == 0 and ws.bag_slots > 1:
        for j in range(1, ws.bag_slots):        # (an unknown fare only beats unknown fares)
            if _bag_walk(ws, base + j, arr, crit, g, k, &un, s, True, False):
                return NO_IDX
    if _bag_walk(ws, head, arr, crit, g, k, &un, s, True, True):
        return NO_IDX
    if q != 0:
        _bag_walk(ws, base, arr, crit, g, k, &un, s, False, True)
    if ws.n_labels >= ws.capacity:
        ws.overflow = 1
        return NO_IDX
    idx = ws.n_labels
    ws.n_labels += 1
    ws.lab_arr[idx] = arr
    ws.lab_crit[idx] = crit
    ws.lab_round[idx] = k
    ws.lab_stop[idx] = s
    ws.lab_kind[idx] = kind
    ws.lab_parent[idx] = parent
    ws.lab_trip[idx] = NO_IDX
    ws.lab_day[idx] = 0
    ws.lab_board_pos[idx] = NO_IDX
    ws.lab_alight_pos[idx] = NO_IDX
    ws.lab_alive[idx] = 1
    if fare:
        ws.lab_seg[idx] = g[0]
        ws.lab_until[idx] = un.value
        for i in range(LAB_PRICES * idx, LAB_PRICES * idx + LAB_PRICES):
            ws.lab_floors[i] = FLOOR_STALE
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


cdef inline bint _vehicle_dominates(McView tt, McWorkspace ws, int t, int32_t arr, int32_t crit, const Seg* g,
                                    int k, int32_t min_change_s) noexcept nogil:
    """A vehicle label at t (of a round <= this one) is ready to board no later than a footpath
    arriving at ``arr``, no worse on the third criterion: it also arrives earlier, and it may walk
    on where a footpath label may not, so the footpath label is useless."""
    cdef int base = (2 * t + VEHICLE_BAG) * BAG_SLOTS, q = _bag_slot(ws, crit, g), j, cur
    cdef int32_t change = tt.stop_min_change[t] if tt.stop_min_change[t] != NO_VALUE else min_change_s
    cdef Until un
    _until_set(&un, t, crit, g, k, False)      # (read in fare mode only; set always: no gcc warning)
    # (only the label's slot can beat it; every slot when its fare is unknown: _bag_insert)
    for j in range(ws.bag_slots if q == 0 else 1):
        cur = ws.bag_head[base + (j if q == 0 else q)]
        while cur != NO_IDX:
            if ws.lab_alive[cur] and ws.lab_arr[cur] + change <= arr and ws.lab_crit[cur] <= crit and \
                    ws.lab_round[cur] <= k and (
                    ws.fm is None or _fare_covers(ws, &ws.lab_seg[cur], ws.lab_crit[cur], g, crit, &un)):
                return True
            cur = ws.lab_next[cur]
    return False


cdef void _footpaths_from(McView tt, McWorkspace ws, int idx, int k, bint walk_after_last,
                          int32_t min_change_s) noexcept nogil:
    """One footpath from label idx to every neighbour of its stop (DIRECT bags); walking adds
    its seconds to the third criterion in walking mode, nothing in fare mode."""
    cdef int s = ws.lab_stop[idx], e, t, new
    cdef int32_t arr, crit, floor
    cdef bint fare = ws.fm is not None
    cdef Seg g
    if fare:
        g = ws.lab_seg[idx]      # a copy: the pool is not moved, but keep the parent's intact
    for e in range(tt.footpath_offsets[s], tt.footpath_offsets[s + 1]):
        t = tt.footpath_to[e]
        arr = ws.lab_arr[idx] + tt.footpath_duration[e]
        crit = ws.lab_crit[idx] + (0 if fare else tt.footpath_duration[e])
        if ws.f2 is not None:
            g = ws.lab_seg[idx]
            _v2_settle(ws.f2, &g, arr)
        # (a label that walked to t ends there or boards there: no second footpath)
        floor = FLOOR_STALE if ws.is_target[t] else _ride_table_floor(ws, crit, &g, t)
        if floor == FLOOR_STALE:
            floor = _crit_floor(ws, crit, &g, t, False, arr, False, FLOOR_STALE, idx)
        if _stage_hopeless(ws, _ready_row(ws, t), arr, floor, k, 0) or \
                _vehicle_dominates(tt, ws, t, arr, crit, &g, k, min_change_s):
            continue
        new = _bag_insert(ws, t, DIRECT_BAG, arr, crit, &g, k, KIND_WALK, idx)
        if new != NO_IDX and ws.is_target[t] and _counts_at_target(KIND_WALK, k, walk_after_last):
            _note_target(ws, t, arr, crit, &g, k)


cdef inline bint _route_covers(McView tt, McWorkspace ws, int n_rb, int p, int pos, int32_t ready,
                              int32_t crit) noexcept nogil:
    """(Walking mode.) A route label departs at or before ``ready`` with no more walking:
    whatever trip a label ready then catches departs no earlier, so its boarding is dominated
    (no search needed)."""
    cdef int r
    cdef const int32_t* deps = _dep_row(tt, p, pos)
    for r in range(n_rb):
        if ws.rb_alive[r] and ws.rb_crit[r] <= crit and deps[ws.rb_trip[r]] + ws.rb_day[r] * DAY <= ready:
            return True
    return False


cdef inline bint _v2_same_leg(McWorkspace ws, int r, int pos, int trip, int day) noexcept nogil:
    """(Fares v2.) Route label r rides the same leg as a boarding at pos of (trip, day) would,
    wherever it alights, as the rules see it: boarded at the same stop, and when times matter
    (timeframes, duration limits) on the same trip."""
    return ws.rb_board_pos[r] == pos and (not ws.f2.timed or (ws.rb_trip[r] == trip and ws.rb_day[r] == day))


cdef inline void _route_move(McWorkspace ws, int m, int r, bint fare) noexcept nogil:
    """Route label r moves to slot m (compacting the bag; ``fare``: its fare state too)."""
    ws.rb_trip[m] = ws.rb_trip[r]; ws.rb_day[m] = ws.rb_day[r]; ws.rb_crit[m] = ws.rb_crit[r]
    ws.rb_parent[m] = ws.rb_parent[r]; ws.rb_board_pos[m] = ws.rb_board_pos[r]; ws.rb_alive[m] = 1
    if fare:
        ws.rb_seg[m] = ws.rb_seg[r]
        ws.rb_until[m] = ws.rb_until[r]
        ws.rb_floor[m] = ws.rb_floor[r]


cdef bint _v2_same_transfers(FareModelV2 f, int pc, int feed, const Seg* g, int32_t dep_x,
                             int32_t dep_y) noexcept nogil:
    """(_v2_upstream_covers) A ride after last leg g that leaves at dep_x gets the transfer rule
    the same ride leaving at dep_y (same arrival) gets, whatever leg group the rides of
    pattern class pc have: no limit measured to the next leg's departure ends between the two
    (the rules' counts and the limits measured to its arrival see the same values)."""
    cdef int g1 = f.n_groups + 1, j, i, key0, key, dt
    cdef int32_t t0
    if g.start == NO_SEG or g.feed != feed:
        return True                 # (no transfer rule applies to either)
    key0 = (g.feed * g1 + g.group + 1) * g1
    for j in range(f.class_group_offsets[pc], f.class_group_offsets[pc + 1]):
        key = key0 + f.class_groups[j]
        for i in range(f.tr_offsets[key], f.tr_offsets[key + 1]):
            dt = f.tr_dtype[i]
            if f.tr_duration[i] < 0 or dt == 0 or dt == 3:
                continue
            t0 = g.prev_dep if dt <= 1 else g.prev_arr
            if (dep_x - t0 > f.tr_duration[i]) != (dep_y - t0 > f.tr_duration[i]):
                return False
    return True


cdef bint _v2_upstream_covers(McView tt, McWorkspace ws, FareModelV2 f, int first, int p, int pos, int trip, int day,
                              int32_t dep, int32_t crit, const Seg* g, Until* un) noexcept nogil:
    """(Fares v2.) A rider on the same vehicle, boarded upstream (route bag rows before
    ``first``), makes a boarding here (crit, g; ``un``: its until) useless. Riders boarded at
    different stops are priced apart, as their legs differ, and most of them are then beaten at
    every stop by such a rider (Strasbourg, "v2", 50 middle queries: 83 % of the rides priced
    were by riders that made no label; rides priced on the 40 middle ones 7,910 -> 4,701).
    A's leg from x and the leg the new rider B would ride from here price alike at every stop
    down the pattern when x and here have the same stop class (areas) and the same departure
    interval (timeframes: the same leg rule), A's last leg gets the same transfer rule leaving
    at either time (_v2_same_transfers), and the one thing A's ride keeps apart, its earlier
    departure, stops no limit measured from it before B's until (the shortest such limit of the
    pattern's leg groups): for the continuations that matter, A's ride is A boarding here. Then
    A beats B when its state covers B's, as for riders of one leg (_route_insert). Reads
    UPSTREAM_WINDOW rows back at most; the same vehicle's riders come in order of departure, so
    the first that fails the limit ends the search."""
    cdef int r, x, j, start = tt.pattern_stops_offsets[p], pc = f.pattern_class[p], feed = f.pattern_feed[p]
    cdef int sc = -1, iv = 0, g1 = f.n_groups + 1, last = first - UPSTREAM_WINDOW if first > UPSTREAM_WINDOW else 0
    cdef int32_t dep_x, limit, shortest = -1
    if pc < 0:
        return False
    for r in range(first - 1, last - 1, -1):
        if not ws.rb_alive[r] or ws.rb_trip[r] != trip or ws.rb_day[r] != day or ws.rb_crit[r] > crit:
            continue
        if sc < 0:
            # (at the first candidate only: most boardings have none)
            sc = f.stop_class[tt.pattern_stops[start + pos]]
            iv = _v2_interval(f, dep)
            if f.uses_dep:
                for j in range(f.class_group_offsets[pc], f.class_group_offsets[pc + 1]):
                    limit = f.chain_dep_min[feed * g1 + f.class_groups[j]]
                    if limit >= 0 and (shortest < 0 or limit < shortest):
                        shortest = limit
        x = ws.rb_board_pos[r]
        dep_x = _dep_row(tt, p, x)[trip] + day * DAY
        if shortest >= 0 and dep_x + shortest < ws.horizon and (
                dep_x + shortest < ws.until_floor or dep_x + shortest < _until_of(ws, un)):
            return False            # (and for every rider of the vehicle boarded before it)
        if f.stop_class[tt.pattern_stops[start + x]] != sc or _v2_interval(f, dep_x) != iv or \
                not _v2_same_transfers(f, pc, feed, &ws.rb_seg[r], dep_x, dep):
            continue
        if _fare_covers(ws, &ws.rb_seg[r], ws.rb_crit[r], g, crit, un):
            return True
    return False


cdef int _route_insert(McView tt, McWorkspace ws, int n_rb, int p, int pos, int trip, int day, int32_t dep,
                       int32_t crit, const Seg* g, int parent, int k) noexcept nogil:
    """Add a boarding to the route bag unless a label there departs (hence arrives everywhere
    later, no overtaking) no later, no worse on the third criterion; labels the new one beats
    are dropped and the bag is compacted on the way. Returns the new bag size. Fares v2 compare
    only labels that ride the same leg (_v2_same_leg), so boarded at this stop_pos: the bag holds
    its labels in boarding order, those are its tail from ws.rb_from, and only the tail is read
    (in "v2", where riders boarded at different stops stay apart, scanning the whole bag on every
    boarding took two thirds of a query); then a few rows before it, for a rider of the same
    vehicle that covers the new one (_v2_upstream_covers)."""
    cdef int first = ws.rb_from if ws.f2 is not None else 0
    cdef int r, m = first
    cdef const int32_t* deps = _dep_row(tt, p, pos)
    cdef int32_t dep_r
    cdef bint fare = ws.fm is not None, dominated = False
    cdef int start
    cdef Until un, ur
    start = tt.pattern_stops_offsets[p]
    _until_set(&un, tt.pattern_stops[start + pos], crit, g, k, True)    # (read in fare mode only)
    for r in range(first, n_rb):
        if not ws.rb_alive[r]:
            continue
        if not dominated and not (ws.f2 is not None and not _v2_same_leg(ws, r, pos, trip, day)):
            dep_r = deps[ws.rb_trip[r]] + ws.rb_day[r] * DAY
            if dep_r <= dep and ws.rb_crit[r] <= crit and (
                    not fare or _fare_covers(ws, &ws.rb_seg[r], ws.rb_crit[r], g, crit, &un)):
                dominated = True
            elif dep <= dep_r and crit <= ws.rb_crit[r] and (not fare or _fare_covers(
                    ws, g, crit, &ws.rb_seg[r], ws.rb_crit[r],
                    _until_set(&ur, tt.pattern_stops[start + ws.rb_board_pos[r]], ws.rb_crit[r], &ws.rb_seg[r], k,
                               True, &ws.rb_until[r]))):
                continue            # beaten by the new label (which a kept one cannot beat: transitive)
        if m != r:
            _route_move(ws, m, r, fare)
        m += 1
    n_rb = m
    if not dominated and first > 0 and ws.f2 is not None and ws.upstream_riders and crit < FARE_UNKNOWN:
        dominated = _v2_upstream_covers(tt, ws, ws.f2, first, p, pos, trip, day, dep, crit, g, &un)
        ws.boardings_covered += dominated
    if dominated:
        return n_rb
    if n_rb >= ws.route_capacity:
        ws.overflow = ROUTE_FULL
        return n_rb
    ws.rb_trip[n_rb] = trip
    ws.rb_day[n_rb] = day
    ws.rb_crit[n_rb] = crit
    ws.rb_parent[n_rb] = parent
    ws.rb_board_pos[n_rb] = pos
    ws.rb_alive[n_rb] = 1
    if fare:
        ws.rb_seg[n_rb] = g[0]
        ws.rb_until[n_rb] = un.value
        ws.rb_floor[n_rb] = _ride_table_floor(ws, crit, g, tt.pattern_stops[start + pos])
    return n_rb + 1


cdef inline int32_t _ride_table_floor(McWorkspace ws, int32_t crit, const Seg* g, int s) noexcept nogil:
    """(Fares v2.) A lower bound on the final fare of a journey whose next step is a ride boarded
    at s, from a label (crit, last leg g): a route label boarded there (wherever it alights), a
    label boarding there, or one that walked there (it may not walk again). crit plus the fare
    potentials' ride table at s (_fare_potentials: a ride boarded at s, then the way to a target),
    tighter than the label's potential, which may also walk first. g as it is: settling it at
    the departure can only forget its last leg, and the table with a last leg is never above
    the table without (each contribution is the lower of the product and what a transfer makes
    it). FLOOR_STALE when there is none: not fares v2, no potentials, or discounts (a later ride
    may pay back)."""
    cdef int32_t v
    if ws.f2 is None or ws.potential == NULL or ws.f2.leg_floor < 0 or crit >= FARE_UNKNOWN:
        return FLOOR_STALE
    v = ws.potential[ws.n_classes * (2 * s + 1) + _last_leg_class(ws.f2, g)]
    return FARE_UNKNOWN if v >= FARE_UNKNOWN else crit + v


cdef inline int32_t _board_floor(McWorkspace ws, int label, int s, int32_t now) noexcept nogil:
    """A lower bound on the final third criterion of a journey that boards at s next from
    ``label`` (at ``now``): _ride_table_floor when there is one, else _crit_floor."""
    cdef int32_t floor = _ride_table_floor(ws, ws.lab_crit[label], &ws.lab_seg[label], s)
    if floor != FLOOR_STALE:
        return floor
    return _crit_floor(ws, ws.lab_crit[label], &ws.lab_seg[label], s, False, now, True, FLOOR_STALE, label)


cdef int _board_fare(McView tt, McWorkspace ws, int n_rb, int p, int pos, int s, int trip, int day, int32_t dep,
                     int k, int label) noexcept nogil:
    """Fare mode: board (p, trip) at pos from ``label``, once per way to pay: extend its open
    ticket (while some fare may still cover it), or close it (its price added) and open a new
    one; a journey no tickets cover goes on as FARE_UNKNOWN. Returns the new route bag size."""
    cdef int32_t crit = ws.lab_crit[label], price, zone
    cdef Seg g = ws.lab_seg[label], fresh, longer
    cdef bint any_branch = False
    if ws.f2 is not None:         # v2: one way, the leg is priced where it ends (_v2_ride)
        _v2_settle(ws.f2, &g, dep)
        return _route_insert(tt, ws, n_rb, p, pos, trip, day, dep, crit, &g, label, k)
    zone = ws.fm.stop_zone[s]
    fresh = g
    fresh.start = zone
    fresh.end = NO_ZONE
    fresh.routes = ws.fm.pattern_route_bit[p]
    fresh.zones = ws.fm.zone_bit[zone] if zone != NO_ZONE else 0
    fresh.rides = 1
    fresh.t0 = dep
    fresh.tlast = dep
    if crit >= FARE_UNKNOWN:
        fresh.start = NO_SEG
        return _route_insert(tt, ws, n_rb, p, pos, trip, day, dep, FARE_UNKNOWN, &fresh, label, k)
    if g.start == NO_SEG:
        return _route_insert(tt, ws, n_rb, p, pos, trip, day, dep, crit, &fresh, label, k)
    price = ws.lab_floors[LAB_PRICES * label + 3]
    if price == FLOOR_STALE:       # (every pattern boarded from the label closes the same ticket)
        price = ws.lab_floors[LAB_PRICES * label + 3] = _price(ws.fm, &g, True)
    if price >= 0 and not _stage_hopeless(ws, _ready_row(ws, s), dep, crit + price, k - 1, 1):
        n_rb = _route_insert(tt, ws, n_rb, p, pos, trip, day, dep, crit + price, &fresh, label, k)
        any_branch = True
    longer = g
    longer.end = NO_ZONE          # set where this ride alights (the last alighting no longer matters)
    longer.routes = g.routes | fresh.routes
    longer.zones = g.zones | fresh.zones
    longer.rides = g.rides + 1
    longer.tlast = dep
    if _price(ws.fm, &longer, False) >= 0:
        n_rb = _route_insert(tt, ws, n_rb, p, pos, trip, day, dep, crit, &longer, label, k)
        any_branch = True
    if not any_branch and price < 0:
        fresh.start = NO_SEG
        n_rb = _route_insert(tt, ws, n_rb, p, pos, trip, day, dep, FARE_UNKNOWN, &fresh, label, k)
    return n_rb


cdef int _board_later(McView tt, McWorkspace ws, int n_rb, int p, int pos, int s, int trip, int day, int32_t dep,
                      int k, int cur) noexcept nogil:
    """Board (p, trip) leaving at dep from label cur, a later vehicle than its first one, unless
    no journey from it can be one the set lacks. Returns the new route bag size."""
    if dep > ws.wait_until or _stage_hopeless(ws, _ready_row(ws, s), dep, _board_floor(ws, cur, s, dep), k - 1, 1):
        return n_rb
    return _board_fare(tt, ws, n_rb, p, pos, s, trip, day, dep, k, cur)


cdef int _board_first_arriving(McView tt, McWorkspace ws, const int32_t[:, ::1] next_active, int day_shift,
                               int n_rb, int p, int pos, int s, int32_t bound, int32_t dep0, int k,
                               int cur) noexcept nogil:
    """For each stop down the pattern, board the first vehicle that arrives there at or after
    ``bound`` (if it leaves here after dep0, the first vehicle's departure)."""
    cdef int n = tt.pattern_n_trips[p], start = tt.pattern_stops_offsets[p], pos2, trip, day, last = NO_IDX
    cdef int last_day = 0
    cdef int32_t dep
    for pos2 in range(tt.pattern_stops_offsets[p + 1] - start - 1, pos, -1):
        if not tt.pattern_dropoff[start + pos2]:
            continue
        # no overtaking: arrivals at a stop_pos never decrease with the trip index either
        earliest_departure(_arr_row(tt, p, pos2), n, tt.pattern_first_trip[p], tt.pattern_max_day[p],
                           &next_active[0, 0], next_active.shape[1], day_shift, bound, &trip, &day)
        if trip == NO_IDX or (trip == last and day == last_day):
            continue
        last, last_day = trip, day
        dep = _dep_row(tt, p, pos)[trip] + day * DAY
        if dep > dep0:
            n_rb = _board_later(tt, ws, n_rb, p, pos, s, trip, day, dep, k, cur)
            if ws.overflow:
                return n_rb
    return n_rb


cdef int _board_after(McView tt, McWorkspace ws, const int32_t[:, ::1] next_active, int day_shift, int n_rb,
                      int p, int pos, int s, int32_t bound, bint on_arrival, int32_t dep0, int k,
                      int cur) noexcept nogil:
    """From label cur, board the first vehicle leaving at or after ``bound`` or, ``on_arrival``,
    for each stop down the pattern the first one arriving there at or after it; nothing when
    the first vehicle (leaving at dep0) already is past the bound, or the run is over."""
    cdef int trip, day
    cdef int32_t dep
    if bound <= dep0 or ws.overflow:
        return n_rb
    if on_arrival:
        return _board_first_arriving(tt, ws, next_active, day_shift, n_rb, p, pos, s, bound, dep0, k, cur)
    dep = _earliest_trip(tt, next_active, day_shift, p, pos, bound, &trip, &day)
    if trip == NO_IDX:
        return n_rb
    return _board_later(tt, ws, n_rb, p, pos, s, trip, day, dep, k, cur)


cdef int _board_at_fare_bounds(McView tt, McWorkspace ws, const int32_t[:, ::1] next_active, int day_shift,
                               int n_rb, int p, int pos, int s, int32_t dep0, int k, int cur) noexcept nogil:
    """(Fares v2 whose prices depend on time.) Besides its first vehicle (leaving at dep0), board
    from label cur the first vehicle after each time where the price of a ride from here may
    change: a bound of the departure or arrival timeframes for the pattern's rules
    (FareModelV2.dep_bound_times / arr_bound_times: for arrivals, the first vehicle reaching
    each stop down the pattern after it), or the end of a time limit a transfer rule measures
    from cur's last leg to a leg of a group the pattern's rides can have. Why: a label that arrives earlier
    beats a later one (its traveller may wait), so the later vehicles it could wait for, whose
    rides may be cheaper (off-peak, outside a dearer transfer rule), are tried from it. The
    first vehicle after each such time is enough: any later one within the same bounds is
    priced alike and arrives no earlier. Only times before cur's until matter."""
    cdef int i, j, key, key0, g1 = ws.f2.n_groups + 1, pc = ws.f2.pattern_class[p]
    cdef int32_t b, until, t0
    cdef Until u
    cdef const Seg* g = &ws.lab_seg[cur]
    if pc < 0:
        return n_rb             # (its rides have no price: no time changes it)
    if g.start == NO_SEG and ws.f2.dep_bound_offsets[pc] == ws.f2.dep_bound_offsets[pc + 1] and \
            ws.f2.arr_bound_offsets[pc] == ws.f2.arr_bound_offsets[pc + 1]:
        return n_rb             # (no bound for this pattern, no limit from a last leg)
    until = _until_of(ws, _until_set(&u, s, ws.lab_crit[cur], g, ws.lab_round[cur], False, &ws.lab_until[cur]))
    if until > ws.horizon:
        until = <int32_t>ws.horizon
    if until > ws.wait_until:
        until = <int32_t>ws.wait_until
    for i in range(ws.f2.dep_bound_offsets[pc], ws.f2.dep_bound_offsets[pc + 1]):
        b = ws.f2.dep_bound_times[i]
        if b > until:
            break
        n_rb = _board_after(tt, ws, next_active, day_shift, n_rb, p, pos, s, b, False, dep0, k, cur)
    for i in range(ws.f2.arr_bound_offsets[pc], ws.f2.arr_bound_offsets[pc + 1]):
        b = ws.f2.arr_bound_times[i]
        if b > until:
            break
        n_rb = _board_after(tt, ws, next_active, day_shift, n_rb, p, pos, s, b, True, dep0, k, cur)
    if g.start == NO_SEG:
        return n_rb
    # the end of each limit a transfer rule measures from the last leg (the first time past it),
    # to the next leg's departure (types 1, 2) or arrival (0, 3)
    key0 = (g.feed * g1 + g.group + 1) * g1
    for j in range(ws.f2.class_group_offsets[pc], ws.f2.class_group_offsets[pc + 1]):
        key = key0 + ws.f2.class_groups[j]
        for i in range(ws.f2.tr_offsets[key], ws.f2.tr_offsets[key + 1]):
            t0 = g.prev_dep if ws.f2.tr_dtype[i] <= 1 else g.prev_arr
            if ws.f2.tr_duration[i] < 0 or t0 == EXPIRED:
                continue
            b = t0 + ws.f2.tr_duration[i] + 1
            if b <= until:
                n_rb = _board_after(tt, ws, next_active, day_shift, n_rb, p, pos, s, b,
                                    ws.f2.tr_dtype[i] == 0 or ws.f2.tr_dtype[i] == 3, dep0, k, cur)
    return n_rb


cdef void _scan_pattern(McView tt, McWorkspace ws, const int32_t[:, ::1] next_active, int day_shift, int p,
                        int k, int32_t min_change_s, bint walk_after_last) noexcept nogil:
    """Ride pattern p from its first marked stop_pos: alight every route label where drop-off is
    allowed, then board from the round k-1 labels of the stop."""
    cdef int start = tt.pattern_stops_offsets[p], end = tt.pattern_stops_offsets[p + 1]
    cdef int first = tt.pattern_first_trip[p]
    cdef const int32_t* arrs
    cdef int pos, s, r, n_rb = 0, cur, trip = NO_IDX, day = 0, idx, m, j, board, dropped
    cdef int32_t arr, crit, ready, dep, change, zone, floor, bound_crit
    cdef int kk
    cdef bint fare = ws.fm is not None, v2 = ws.f2 is not None
    cdef uint64_t zbit
    cdef Seg g
    for pos in range(ws.pattern_from_pos[p], end - start):
        ws.work += n_rb
        if ws.work >= ws.next_check and _out_of_time(ws):
            return
        s = tt.pattern_stops[start + pos]
        if fare and n_rb and ws.fm.use_contains:
            zone = ws.fm.stop_zone[s]
            zbit = ws.fm.zone_bit[zone] if zone != NO_ZONE else 0
            for r in range(n_rb):        # every ticket riding on passes this stop's zone
                if ws.rb_seg[r].start != NO_SEG and (ws.rb_seg[r].zones | zbit) != ws.rb_seg[r].zones:
                    ws.rb_seg[r].zones |= zbit
                    ws.rb_floor[r] = FLOOR_STALE      # (its floor may change with its zones only)
        dropped = 0
        if n_rb and tt.pattern_dropoff[start + pos]:
            arrs = _arr_row(tt, p, pos)
            for r in range(n_rb):
                if not ws.rb_alive[r]:
                    continue
                arr = arrs[ws.rb_trip[r]] + ws.rb_day[r] * DAY
                crit = ws.rb_crit[r]
                floor = 0
                if v2:
                    # the ride's price depends on where it ends: the route label is dropped on
                    # its floor (no leg costs less than nothing), the stop's label on its fare
                    # (and no less than what the boarding's ride table says: a bound for the whole
                    # ride, tighter than the fare so far; Strasbourg "v2", 100 queries: rides
                    # priced p50 7.1 k -> 5.8 k a query)
                    floor = _crit_floor(ws, crit, &ws.rb_seg[r], s, True)
                    if ws.rb_floor[r] != FLOOR_STALE and ws.rb_floor[r] > floor:
                        floor = ws.rb_floor[r]
                    if _ride_hopeless(ws, start + pos, arr, floor, k):
                        ws.rb_alive[r] = 0
                        dropped += 1
                        continue
                    # the fare after this ride is no lower than that floor: when even the floor
                    # cannot end here usefully, skip pricing the ride (the test below would fail)
                    if _stage_hopeless(ws, _arrived_row(ws, s), arr, floor, k, 0):
                        continue
                    board = ws.rb_board_pos[r]
                    dep = _dep_row(tt, p, board)[ws.rb_trip[r]] + ws.rb_day[r] * DAY
                    ws.rides_priced += 1
                    crit = _v2_ride(ws.f2, crit, &ws.rb_seg[r], &g, p, tt.pattern_stops[start + board], s, dep, arr)
                    _v2_settle(ws.f2, &g, arr)
                    bound_crit = _crit_floor(ws, crit, &g, s, False)
                elif fare:
                    g = ws.rb_seg[r]
                    if g.start != NO_SEG:
                        g.end = ws.fm.stop_zone[s]
                        floor = ws.rb_floor[r]
                        if floor == FLOOR_STALE:
                            floor = ws.rb_floor[r] = _price(ws.fm, &g, False)
                        if floor < 0:           # no fare can ever cover this ticket
                            crit = FARE_UNKNOWN
                            g.start = NO_SEG
                            floor = 0
                if not v2:
                    # the open ticket will cost at least its floor: a bound on the final fare, which
                    # only grows along the ride (fewer fares stay possible)
                    bound_crit = crit + floor if crit < FARE_UNKNOWN else crit
                    if _ride_hopeless(ws, start + pos, arr, bound_crit, k):
                        ws.rb_alive[r] = 0         # and so it stays down the pattern: drop it
                        continue
                    if fare:
                        # where the journey may end and whether it must ride again, from this stop
                        # (not a bound down the pattern: a later stop may need no more rides)
                        bound_crit = _crit_floor(ws, crit, &g, s, False, arr, False, floor)
                # (fares v2: the same test passed with ``floor`` before pricing; a bound no higher
                # passes it again)
                if (not v2 or bound_crit > floor) and _stage_hopeless(ws, _arrived_row(ws, s), arr, bound_crit, k, 0):
                    continue                   # not from here (other stops may need fewer vehicles)
                idx = _bag_insert(ws, s, VEHICLE_BAG, arr, crit, &g, k, KIND_VEHICLE, ws.rb_parent[r])
                if idx == NO_IDX:
                    continue
                ws.lab_trip[idx] = first + ws.rb_trip[r]
                ws.lab_day[idx] = ws.rb_day[r]
                ws.lab_board_pos[idx] = ws.rb_board_pos[r]
                ws.lab_alight_pos[idx] = pos
                if ws.is_target[s]:
                    _note_target(ws, s, arr, crit, &g, k)
        if v2:
            # (_route_insert reads only this stop_pos's boardings, so it no longer drops the
            # dead labels of the whole bag: done here, when some died)
            if dropped:
                n_rb = _route_compact(ws, n_rb)
            ws.rb_from = n_rb
        if not (ws.stop_mark[s] and tt.pattern_pickup[start + pos]):
            continue
        change = tt.stop_min_change[s] if tt.stop_min_change[s] != NO_VALUE else min_change_s
        m = ws.stop_mark[s] - 1
        for j in range(ws.mark_offsets[m], ws.mark_offsets[m + 1]):
            cur = ws.mark_labels[j]
            ready = ws.lab_arr[cur] + (change if ws.lab_kind[cur] == KIND_VEHICLE else 0)
            if not fare and _route_covers(tt, ws, n_rb, p, pos, ready, ws.lab_crit[cur]):
                continue
            dep = _earliest_trip(tt, next_active, day_shift, p, pos, ready, &trip, &day)
            # every stop down the pattern is reached at >= dep: a journey already found that is
            # no worse makes the boarding useless
            if trip != NO_IDX and not _stage_hopeless(ws, _ready_row(ws, s), dep, _board_floor(ws, cur, s, dep),
                                                      k - 1, 1):
                if fare:
                    n_rb = _board_fare(tt, ws, n_rb, p, pos, s, trip, day, dep, k, cur)
                    if v2 and ws.f2.timed and not ws.overflow:
                        n_rb = _board_at_fare_bounds(tt, ws, next_active, day_shift, n_rb, p, pos, s, dep, k, cur)
                else:
                    n_rb = _route_insert(tt, ws, n_rb, p, pos, trip, day, dep, ws.lab_crit[cur], &g, cur, k)
                if ws.overflow:
                    return


cdef inline bint _board_hopeless(McView tt, McWorkspace ws, int cur, int s, int k, int32_t min_change_s) noexcept nogil:
    """Label cur (round k - 1, at s) boards nothing useful in round k: the test each boarding
    makes (_scan_pattern: _stage_hopeless with j >= 1 more vehicles at the trip's departure,
    the label's floor whatever that departure) already fails at the time the label is ready to
    board, and a later departure only fails it more (the journeys found beat a later arrival
    too). Why: the journeys found since the label was made often rule out all its boardings
    (Strasbourg, "v2-simple", a median query: 3.0 k of 8.0 k boarding tries), each a trip search
    per pattern through its stop."""
    cdef int32_t ready = ws.lab_arr[cur]
    if ws.lab_kind[cur] == KIND_VEHICLE:
        ready += tt.stop_min_change[s] if tt.stop_min_change[s] != NO_VALUE else min_change_s
    return _stage_hopeless(ws, _ready_row(ws, s), ready, _board_floor(ws, cur, s, ready), k - 1, 1)


cdef int _route_compact(McWorkspace ws, int n_rb) noexcept nogil:
    """(Fares.) Drop the route bag's dead labels, keeping the others' order; returns the new size."""
    cdef int r, m = 0
    for r in range(n_rb):
        if not ws.rb_alive[r]:
            continue
        if m != r:
            _route_move(ws, m, r, True)
        m += 1
    return m


cdef void _end_zones(McView tt, FareModel fm, McWorkspace ws, const int32_t[::1] end_stops,
                     bint end_routes=True) except *:
    """(v1) Where a journey may end (the stops of its last alighting), as zones, the route
    classes of its last ride (the live patterns that stop there after their first stop), and the least
    a ticket ending there costs (ws.last_floor, for the _crit_floor of a label): a fare that admits
    none of those routes cannot price the last ride. Why the routes: Strasbourg, generated v1, a
    stop served only by express routes (3.00 EUR, no transfer) made every 1.50-2.90 EUR label look
    able to beat the 4.50 EUR journey in hand (84 k labels, 0.3-0.5 s). ``end_routes`` False:
    every route (run_mcraptor's, for tests)."""
    cdef int n_rows = fm.cand_offsets.shape[0] - 1, n_bits = fm.pattern_route_bit.shape[0], i, j, z, f, p
    ws.end_zone = <uint8_t*>calloc(n_rows, 1)
    if ws.end_zone == NULL:
        raise MemoryError()
    ws.end_bits = 0
    ws.end_unzoned = False
    if ws.end_rows.shape[0] < n_rows:
        ws.end_rows = np.zeros(n_rows, np.int32)
    ws.n_end_rows = 0
    for i in range(end_stops.shape[0]):
        z = fm.stop_zone[end_stops[i]]
        if z == NO_ZONE:
            ws.end_unzoned = True
        elif not ws.end_zone[z + 1]:
            ws.end_zone[z + 1] = 1
            ws.end_bits |= fm.zone_bit[z]
            ws.end_rows[ws.n_end_rows] = z + 1
            ws.n_end_rows += 1
    if ws.n_end_rows == 0:
        ws.end_rows[0] = 0          # (only stops without a zone: fares whose destination is empty)
        ws.n_end_rows = 1
    ws.end_routes = 0
    for i in range(end_stops.shape[0]):
        for j in range(tt.stop_patterns_offsets[end_stops[i]], tt.stop_patterns_offsets[end_stops[i] + 1]):
            p = tt.stop_patterns[j]
            if tt.stop_patterns_pos[j] > 0 and (ws.live == NULL or ws.live[p]):
                # (a pattern the fare model does not know, e.g. a real-time one: any route)
                ws.end_routes |= fm.pattern_route_bit[p] if p < n_bits else ~(<uint64_t>0)
    if not end_routes:
        ws.end_routes = ~(<uint64_t>0)
    ws.last_floor = FARE_UNKNOWN
    for f in range(fm.n_fares):
        if fm.fare_price[f] < ws.last_floor and (fm.fare_routes[f] & ws.end_routes) and _fare_may_end(fm, f, ws):
            ws.last_floor = fm.fare_price[f]


cdef void _check_ends(int n_stops, const int32_t[::1] stops, const int32_t[::1] times, const int32_t[::1] walks,
                      str what) except *:
    """One time and one walk per stop, every stop in range: the kernels read them unchecked."""
    cdef Py_ssize_t i
    if times.shape[0] != stops.shape[0] or walks.shape[0] != stops.shape[0]:
        raise ValueError(f"{what}: one time (or egress) and one walking value per stop")
    for i in range(stops.shape[0]):
        if not 0 <= stops[i] < n_stops:
            raise ValueError(f"{what} stop {stops[i]} outside 0..{n_stops - 1}")


cdef _set_live(McView tt, McWorkspace ws, live, live_key):
    """ws.live = ``live`` (live_patterns; None: every pattern), kept alive in ws."""
    cdef const uint8_t[::1] view
    if live is None:
        ws.live, ws.live_np = NULL, None
        return
    arr = np.ascontiguousarray(live, np.uint8)
    if arr.shape[0] != tt.n_patterns or live_key is None:
        raise ValueError("live must hold one flag per pattern, with a live_key naming it")
    view = arr
    ws.live_np = arr
    ws.live = &view[0]


cdef _ensure_stage(McView tt, McWorkspace ws, const int32_t[::1] target_stop, const int32_t[::1] target_egress,
                   int max_rounds, int32_t min_change_s, live=None, live_key=None):
    """ws's stage bounds for these targets (_compute_stage) over the ``live`` patterns (named by
    ``live_key``: the service day), computed unless the last ones were for the same: a query's
    passes (fares v2), and its two-criteria run (stage_for), share them."""
    stage_key = (tt, np.asarray(target_stop).tobytes(), np.asarray(target_egress).tobytes(), max_rounds,
                 min_change_s, live_key if live is not None else None)
    if stage_key == ws.stage_key:
        return
    _set_live(tt, ws, live, live_key)
    ws.stage_key = None
    if ws.ride_bound.shape[0] < tt.pattern_stops.shape[0]:
        ws.ride_bound = np.empty(tt.pattern_stops.shape[0], np.int32)
    if ws.stage.shape[0] < 2 * tt.n_stops * (max_rounds + 1):
        ws.stage = np.empty(2 * tt.n_stops * (max_rounds + 1), np.int32)
        ws.stage_cm = np.empty(2 * tt.n_stops * (max_rounds + 1), np.int32)
    ws.stage_width = max_rounds + 1
    with nogil:
        _compute_stage(tt, ws, target_stop, target_egress, min_change_s)
    ws.stage_key = stage_key


def stage_for(McView tt, McWorkspace ws, const int32_t[::1] target_stop, const int32_t[::1] target_egress,
              int max_rounds, int32_t min_change_s, live=None, live_key=None):
    """The stage bounds run_mcraptor will prune with for these targets (computed now, kept for
    it), as engine._core.run_raptor's ``lower``: the array [ready by stop, then arrived by
    stop] of rows of max_rounds + 1 (STAGE_INF: no target within that many vehicles). A view
    of the workspace: valid until its next run with other targets. ``live`` (live_patterns,
    named by ``live_key``): only those patterns ride (a search on those days boards no other)."""
    if max_rounds < 0 or max_rounds + 2 > ws.round_start.shape[0]:
        raise ValueError("max_rounds out of range")
    _check_ends(tt.n_stops, target_stop, target_egress, target_egress, "target")
    _ensure_stage(tt, ws, target_stop, target_egress, max_rounds, min_change_s, live, live_key)
    return np.asarray(ws.stage)[:2 * tt.n_stops * (max_rounds + 1)]


def live_patterns(McView tt, const int32_t[:, ::1] next_active, int day_shift):
    """uint8 per pattern: 1 when some trip of it runs on a service day a search with this
    next_active searches (D-max_day .. D+1: engine/_timetable.pxd pattern_runs), for the
    backward searches' ``live`` (stage_for, run_mcraptor)."""
    cdef int p
    out = np.zeros(tt.n_patterns, np.uint8)
    cdef uint8_t[::1] o = out
    for p in range(tt.n_patterns):
        o[p] = pattern_runs(&next_active[0, 0], next_active.shape[1], day_shift, tt.pattern_first_trip[p],
                            tt.pattern_n_trips[p], tt.pattern_max_day[p])
    return out


def stage_bounds(McView tt, McWorkspace ws, const int32_t[::1] target_stop, const int32_t[::1] target_egress,
                 int max_rounds, int32_t min_change_s, live=None, live_key=None):
    """The lower bounds a run with these targets prunes with (_compute_stage, through stage_for),
    as copies: (ready [n_stops, max_rounds + 1], arrived [n_stops, max_rounds + 1], ride_bound
    [len(pattern_stops)], vehicles_left [n_stops]); 1e9 where no target is within j vehicles, 0
    in the last column (not searched); ``live``: as stage_for (the rows of ride_bound of the other
    patterns are left as they were). For tests (a plain recomputation, and journeys that must
    never beat them)."""
    cdef int n = tt.n_stops, W = max_rounds + 1
    stage = stage_for(tt, ws, target_stop, target_egress, max_rounds, min_change_s, live, live_key)
    return (stage[:n * W].reshape(n, W).copy(), stage[n * W:].reshape(n, W).copy(),
            np.asarray(ws.ride_bound)[:tt.pattern_stops.shape[0]].copy(), np.asarray(ws.vehicles_left).copy())


def fastest_hops(const int32_t[::1] pattern_stops_offsets, const int32_t[::1] pattern_n_trips,
                 const int64_t[::1] pattern_st_offset, const int32_t[::1] st_arr, const int32_t[::1] st_dep):
    """int32 along pattern_stops: at a pattern's stop_pos i its fastest hop i -> i + 1 (the least
    arrival at i + 1 minus departure at i over its trips, at least 0; 0 at its last stop).
    engine/criteria/bounds.py. One pass over the stop times, no temporary (the numpy version
    held ~1 GB and took 0.7 s on a 30 M stop_times timetable)."""
    cdef Py_ssize_t n_patterns = pattern_n_trips.shape[0], p, pos, i, n, m
    cdef int64_t base, need
    cdef int32_t best, ride
    if pattern_stops_offsets.shape[0] != n_patterns + 1 or pattern_st_offset.shape[0] != n_patterns or \
            st_arr.shape[0] != st_dep.shape[0]:
        raise ValueError("pattern arrays do not match")
    for p in range(n_patterns):
        need = pattern_st_offset[p] + <int64_t>(pattern_stops_offsets[p + 1] - pattern_stops_offsets[p]) * \
            pattern_n_trips[p]
        if pattern_n_trips[p] < 0 or pattern_st_offset[p] < 0 or need > st_arr.shape[0]:
            raise ValueError(f"pattern {p}'s stop times lie outside the stop_times arrays")
    out_np = np.zeros(pattern_stops_offsets[n_patterns] if n_patterns else 0, np.int32)
    cdef int32_t[::1] out = out_np
    with nogil:
        for p in range(n_patterns):
            n = pattern_n_trips[p]
            m = pattern_stops_offsets[p + 1] - pattern_stops_offsets[p]
            base = pattern_st_offset[p]
            if n == 0:
                continue
            for pos in range(m - 1):
                best = st_arr[base + (pos + 1) * n] - st_dep[base + pos * n]
                for i in range(1, n):
                    ride = st_arr[base + (pos + 1) * n + i] - st_dep[base + pos * n + i]
                    if ride < best:
                        best = ride
                out[pattern_stops_offsets[p] + pos] = best if best > 0 else 0
    return out_np


def target_journeys(McWorkspace ws, const int32_t[::1] target_stop, const int32_t[::1] target_egress,
                    int64_t latest, bint walk_after_last, bint walk_only_ok, FareModel fares=None,
                    bint egress_walks=False):
    """Rows (arrival + egress, vehicles, walking or fare, label) of the last run's live labels at
    the targets: arriving by ``latest``, with no vehicle only when ``walk_only_ok`` (else a
    footpath between stops counts), the last leg a vehicle unless ``walk_after_last``; the third
    criterion is the fare (``fares``: _final_fare, as the search counted it) or the walking seconds, plus the egress when
    ``egress_walks``. Not Pareto-filtered (McPlanner._target_labels is)."""
    cdef Py_ssize_t i
    cdef int s, slot, bag, label, k, n_out = 0, fill
    cdef int64_t arrival
    cdef int64_t[:, ::1] rows
    _check_ends(ws.n_stops, target_stop, target_egress, target_egress, "target")
    out = None
    for fill in range(2):           # (count, then fill an array of that size)
        if fill:
            out = np.empty((n_out, 4), np.int64)
            rows = out
            n_out = 0
        for i in range(target_stop.shape[0]):
            s = target_stop[i]
            for bag in range(2):
                for slot in range(ws.bag_slots):
                    label = ws.bag_head[(2 * s + bag) * BAG_SLOTS + slot]
                    while label != NO_IDX:
                        k = ws.lab_round[label]
                        arrival = <int64_t>ws.lab_arr[label] + target_egress[i]
                        if label >= ws.run_first and ws.lab_alive[label] and arrival <= latest and \
                                _counts_at_target(ws.lab_kind[label], k, walk_after_last) and \
                                (k > 0 or walk_only_ok):
                            if fill:
                                rows[n_out, 0] = arrival
                                rows[n_out, 1] = k
                                rows[n_out, 2] = _final_fare(fares, ws.lab_crit[label], &ws.lab_seg[label]) \
                                    if fares is not None else \
                                    ws.lab_crit[label] + (target_egress[i] if egress_walks else 0)
                                rows[n_out, 3] = label
                            n_out += 1
                        label = ws.lab_next[label]
    return out


def v2_journey_fare(FareModelV2 f, const int32_t[:, ::1] rides) -> int:
    """The fare (minor units; FARE_UNKNOWN: none) of a journey's rides, one row each in travel
    order: (pattern, boarding stop, alighting stop, departure, arrival on the query's time axis),
    as the search prices its labels: _v2_ride's fold from no ticket, each leg's state settled at
    its boarding and arrival. Why: the fare criterion prices the two-criteria run's journeys for
    its target pruning (McPlanner._known) and compares a journey moved to later trips with its
    search price (McQuery.leave_later); building their legs and pricing them as itineraries
    cost ~0.1 ms a journey, and most of them never become an itinerary of the answer.
    tests/differential/test_fare_journey_kernel.py checks it equals the itineraries' prices."""
    cdef Py_ssize_t i, n = rides.shape[0]
    cdef Seg g, after
    cdef int32_t crit = 0
    if rides.shape[1] != 5:
        raise ValueError("v2_journey_fare: one pattern, boarding, alighting, departure and arrival per ride")
    for i in range(n):
        if not (0 <= rides[i, 0] < f.pattern_class.shape[0]) or not (0 <= rides[i, 1] < f.stop_class.shape[0]) \
                or not (0 <= rides[i, 2] < f.stop_class.shape[0]):
            raise ValueError(f"v2_journey_fare: ride {i} names a pattern or stop outside the fare model")
    _no_ticket(&g)
    with nogil:
        for i in range(n):
            _v2_settle(f, &g, rides[i, 3])
            crit = _v2_ride(f, crit, &g, &after, rides[i, 0], rides[i, 1], rides[i, 2], rides[i, 3], rides[i, 4])
            g = after
            _v2_settle(f, &g, rides[i, 4])
    return crit


def known_targets(McWorkspace ws):
    """Rows (arrival + egress + 1 s, third criterion, vehicles) of the journeys the last run was
    given or found, as its target pruning holds them (_add_target: a Pareto set in order of
    arrival; a known journey is entered a second later, so that equal ones are found again).
    For tests."""
    n = ws.n_targets_seen
    return np.stack([np.asarray(ws.tg_arr)[:n], np.asarray(ws.tg_crit)[:n], np.asarray(ws.tg_round)[:n]], axis=1)


def fare_floors(McWorkspace ws):
    """[j] for j = 0 .. max_rounds of the last run: the least fare a journey from its origins
    (no ticket yet) to its targets with at most j vehicles pays (the fare potentials, fares
    v2; FARE_UNKNOWN: none has a price), or None when that run had no potentials."""
    if ws.potential == NULL:
        return None
    return np.asarray(ws.ride_floor)[:ws.max_rounds + 1].copy()


def run_mcraptor(McView tt, McWorkspace ws, const int32_t[::1] origin_stop, const int32_t[::1] origin_time,
                 const int32_t[::1] origin_walk, const int32_t[::1] target_stop,
                 const int32_t[::1] target_egress, const int32_t[::1] target_egress_walk,
                 const int32_t[:, ::1] next_active, int day_shift, int max_rounds, int min_change_s,
                 bint walk_before_first, bint walk_after_last, FareModel fares=None,
                 const int32_t[:, ::1] known=None,
                 const int32_t[::1] end_stops=None, int horizon=UNREACHED - 1, int min_vehicles=0,
                 bint bound_states=True, int wait_until=UNREACHED - 1, double deadline=0.0,
                 bint keep_labels=False, const int32_t[::1] earliest=None, live=None, live_key=None,
                 bint end_routes=True, bint upstream_riders=True):
    """Fill ws's label pool for one query; returns the number of labels, OVERFLOW (-1) when the
    pool is full (grow the workspace and run again) or ROUTE_FULL (-2) when a route bag is (grow
    its route_capacity and run again).

    Origins: stop, time on the query axis, walking seconds already spent (access). Targets:
    stop, egress seconds, and how many of them are walking. ``fares``: the fare criterion
    (origin_walk and target_egress_walk are then ignored), else walking. ``known``: rows (arrival + egress,
    vehicles, third criterion) of journeys known to exist, for target pruning from round 0
    (module docstring). ``end_stops`` (fares v1): where a journey may leave its last vehicle
    (the targets when None), for the open ticket's floor; ``end_routes=False``: that floor
    counts every fare whatever its routes (_end_zones; the answer is the same, with more labels:
    for tests). ``horizon``: the latest arrival
    (egress included) a journey may have; labels that cannot make it are dropped.
    ``min_vehicles``: no journey to the targets has fewer vehicles (the two-criteria search
    says so when it finds none with fewer): a label ends with at least that many, for pruning.
    ``bound_states=False``: fare labels compare their time limits whatever the journeys found
    (_until; the answer is the same, with more labels: for tests). ``wait_until`` (fares v2): the
    latest departure of a later vehicle boarded for its fare (_board_at_fare_bounds).
    ``deadline``: a time.monotonic() value; past it the run stops and returns OUT_OF_TIME (-3)
    (_out_of_time: the clock is read about every 2^16 labels compared; 0: none).
    ``keep_labels`` (range queries, rRAPTOR's label reuse; walking and fares v1): the bags keep
    the labels of the workspace's last runs, same targets, each from a LATER departure. They
    dominate this run's labels as any label does (a journey that leaves later and is as good
    wins the range), and are never extended again (this run extends its own labels only, from
    ws.run_first on); the caller passes the earlier runs' journeys as ``known``. A full pool
    then means every run of the range again (the returned OVERFLOW; the caller restarts).
    ``earliest`` ([k] for k = 0 .. max_rounds: the earliest arrival, egress included, of any
    journey with at most k vehicles, as the two-criteria search finds it from the same start):
    a journey through a label with k vehicles in all arrives at earliest[k] or later, so a
    label whose time bound is earlier is compared with the journeys found as if it arrived
    then (_stage_hopeless, _ride_hopeless; module docstring).
    ``live`` (live_patterns of this next_active, named by ``live_key``: the day): the stage
    bounds and fare potentials ride only those patterns (the search scans no other either).
    ``upstream_riders=False`` (fares v2): no boarding is dropped for a rider of the same vehicle
    boarded upstream (_v2_upstream_covers; the answer is the same, with more rides priced: for
    tests). ws.rides_priced and ws.boardings_covered count both for the last run.
    """
    cdef int i, s, k, j, p, pos, n_marked, n_queued, idx, lo, hi, bag, cur
    cdef Py_ssize_t n
    cdef Seg none
    cdef int32_t[::1] scratch_view
    if max_rounds + 2 > ws.round_start.shape[0]:
        raise ValueError("max_rounds too large")
    if known is not None and known.shape[1] != 3:
        raise ValueError("known must have rows of (arrival, vehicles, third criterion)")
    if earliest is not None and earliest.shape[0] < max_rounds + 1:
        raise ValueError("earliest must have max_rounds + 1 entries")
    for i in range(ws.earliest.shape[0]):
        ws.earliest[i] = earliest[i] if earliest is not None and i <= max_rounds else EARLIEST_NONE
    _check_ends(tt.n_stops, origin_stop, origin_time, origin_walk, "origin")
    _check_ends(tt.n_stops, target_stop, target_egress, target_egress_walk, "target")
    ws.fm = fares
    ws.f2 = fares if isinstance(fares, FareModelV2) else None
    ws.bag_slots = BAG_SLOTS if ws.f2 is not None else 1
    potential_key = None
    if ws.f2 is not None and ws.f2.use_potential:
        # the same query's passes share their targets: its potentials are computed once
        potential_key = (tt, fares, np.asarray(target_stop).tobytes(), np.asarray(origin_stop).tobytes(), max_rounds,
                         live_key if live is not None else None)
    if potential_key is None or potential_key != ws.potential_key:
        free(ws.potential)
        ws.potential = NULL
        ws.potential_key = None
        if potential_key is not None:
            ws.n_classes = 1 + ws.f2.count_cap.shape[0] * (ws.f2.n_groups + 1)
            # (two tables: the potentials, then the ride potentials _fare_potentials walks from)
            ws.potential = <int32_t*>malloc(2 * ws.n_classes * tt.n_stops * sizeof(int32_t))
            if ws.potential == NULL:
                raise MemoryError()
            scratch = np.empty(3 * (ws.f2.pot_group.shape[0] + 1) + ws.n_classes, np.int32)
            scratch_view = scratch
            _set_live(tt, ws, live, live_key)
            with nogil:
                _fare_potentials(tt, ws, ws.f2, target_stop, origin_stop, max_rounds, &scratch_view[0])
            ws.potential_key = potential_key
    free(ws.end_zone)
    ws.end_zone = NULL
    if fares is not None and ws.f2 is None:
        _set_live(tt, ws, live, live_key)
        _end_zones(tt, fares, ws, target_stop if end_stops is None else end_stops, end_routes)
    ws.max_rounds = max_rounds
    ws.min_vehicles = min_vehicles if min_vehicles > 0 else 0
    ws.bound_states = bound_states
    ws.upstream_riders = upstream_riders
    ws.rides_priced = 0
    ws.boardings_covered = 0
    ws.wait_until = wait_until
    ws.deadline = deadline
    ws.work = 0
    ws.next_check = 0 if deadline > 0 else (<int64_t>1 << 62)
    _ensure_stage(tt, ws, target_stop, target_egress, max_rounds, min_change_s, live, live_key)
    _no_ticket(&none)
    with nogil:
        # reset what the last query touched (keep_labels: its labels stay, see above)
        if not keep_labels:
            for i in range(ws.n_touched):
                s = ws.touched_list[i]
                for j in range(2 * s * BAG_SLOTS, (2 * s + 2) * BAG_SLOTS):
                    ws.bag_head[j] = NO_IDX
                ws.touched[s] = 0
            ws.n_touched = 0
            ws.n_labels = 0
        ws.run_first = ws.n_labels
        ws.n_targets_seen = 0
        ws.tg_min_arr = UNREACHED
        ws.horizon = horizon if horizon < UNREACHED else UNREACHED - 1
        ws.until_floor = UNREACHED      # (read by _add_target; set from the whole set below)
        if known is not None:
            for i in range(known.shape[0]):
                if not _target_dominated(ws, known[i, 0] + 1, known[i, 2], known[i, 1]):
                    _add_target(ws, known[i, 0] + 1, known[i, 2], known[i, 1])
        ws.until_floor = ws.tg_min_arr if ws.tg_min_arr < ws.horizon else <int32_t>ws.horizon
        ws.overflow = 0
        ws.rounds_run = 0
        for i in range(target_stop.shape[0]):
            s = target_stop[i]
            ws.is_target[s] = 1
            ws.target_egress[s] = target_egress[i]
            ws.target_egress_walk[s] = 0 if fares is not None else target_egress_walk[i]
            for j in range(tt.stop_patterns_offsets[s], tt.stop_patterns_offsets[s + 1]):
                p = tt.stop_patterns[j]
                if tt.stop_patterns_pos[j] > ws.pattern_target_pos[p]:
                    ws.pattern_target_pos[p] = tt.stop_patterns_pos[j]
        # round 0: the origins, then one footpath from each
        ws.round_start[0] = ws.run_first
        for i in range(origin_stop.shape[0]):
            s = origin_stop[i]
            idx = _bag_insert(ws, s, DIRECT_BAG, origin_time[i], 0 if fares is not None else origin_walk[i],
                              &none, 0, KIND_ORIGIN, NO_IDX)
            if idx != NO_IDX and ws.is_target[s]:
                _note_target(ws, s, origin_time[i], ws.lab_crit[idx], &none, 0)
        if walk_before_first:
            hi = ws.n_labels
            for idx in range(ws.run_first, hi):
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
                if ws.lab_alive[idx] and not ws.stop_mark[s]:
                    ws.marked_list[n_marked] = s
                    n_marked += 1
                    ws.stop_mark[s] = n_marked
            # each marked stop's round k-1 labels, listed once for all the patterns through it;
            # a label no boarding can make useful any more (_board_hopeless) is left out, and a
            # stop left without one queues no pattern
            ws.mark_offsets[0] = 0
            j = 0
            for i in range(n_marked):
                s = ws.marked_list[i]
                for bag in range(2 * ws.bag_slots):
                    # (vehicle bag's slots in use, then the direct bag's: no division per slot)
                    cur = ws.bag_head[2 * s * BAG_SLOTS + (bag if bag < ws.bag_slots else
                                                           BAG_SLOTS + bag - ws.bag_slots)]
                    while cur != NO_IDX:
                        if ws.lab_alive[cur] and ws.lab_round[cur] == k - 1 and cur >= ws.run_first and \
                                not _board_hopeless(tt, ws, cur, s, k, min_change_s):
                            ws.mark_labels[j] = cur
                            j += 1
                        cur = ws.lab_next[cur]
                ws.mark_offsets[i + 1] = j
            n_queued = 0
            for i in range(n_marked):
                s = ws.marked_list[i]
                if ws.mark_offsets[i] == ws.mark_offsets[i + 1]:
                    continue
                for j in range(tt.stop_patterns_offsets[s], tt.stop_patterns_offsets[s + 1]):
                    p = tt.stop_patterns[j]
                    pos = tt.stop_patterns_pos[j]
                    if tt.pattern_pickup[tt.pattern_stops_offsets[p] + pos]:
                        n_queued = queue_pattern(&ws.pattern_from_pos[0], &ws.pattern_list[0], n_queued, p, pos)
            # patterns that reach a target first: the journeys they find prune the others' labels
            j = 0
            for i in range(n_queued):
                p = ws.pattern_list[i]
                if ws.pattern_target_pos[p] > ws.pattern_from_pos[p]:
                    ws.pattern_list[i] = ws.pattern_list[j]
                    ws.pattern_list[j] = p
                    j += 1
            for i in range(n_queued):
                p = ws.pattern_list[i]
                if ws.work >= ws.next_check:
                    _out_of_time(ws)
                if not ws.overflow and pattern_runs(&next_active[0, 0], next_active.shape[1], day_shift,
                                                    tt.pattern_first_trip[p], tt.pattern_n_trips[p],
                                                    tt.pattern_max_day[p]):
                    _scan_pattern(tt, ws, next_active, day_shift, p, k, min_change_s, walk_after_last)
                ws.pattern_from_pos[p] = NO_IDX
            for i in range(n_marked):
                ws.stop_mark[ws.marked_list[i]] = 0
            # one footpath after each vehicle of this round
            hi = ws.n_labels
            for idx in range(ws.round_start[k], hi):
                ws.work += 1
                if ws.work >= ws.next_check:
                    _out_of_time(ws)
                if ws.lab_alive[idx] and ws.lab_kind[idx] == KIND_VEHICLE and not ws.overflow:
                    _footpaths_from(tt, ws, idx, k, walk_after_last, min_change_s)
            ws.round_start[k + 1] = ws.n_labels
        for i in range(target_stop.shape[0]):
            s = target_stop[i]
            ws.is_target[s] = 0
            for j in range(tt.stop_patterns_offsets[s], tt.stop_patterns_offsets[s + 1]):
                ws.pattern_target_pos[tt.stop_patterns[j]] = NO_IDX
    ws.fm = None
    ws.f2 = None
    if ws.overflow == ROUTE_FULL or ws.overflow == OUT_OF_TIME:
        return ws.overflow
    return OVERFLOW if ws.overflow else ws.n_labels
