"""Reference for the fare criterion (arrival, vehicles, fare): every journey, enumerated.

Depth-first over the journeys the engine's transfer model allows (tests/reference/mc_reference.py
says it: a vehicle arrival boards again after the change time, an origin or footpath arrival at
once, one footpath after each vehicle and, with walk_before_first, one from the origin), where
each boarding takes the first trip of that pattern the traveller can catch (as RAPTOR does), up
to ``max_rounds`` vehicles. Each complete journey is priced by engine/fares/v1.journey_fare (the
one definition of the v1 rules) and the Pareto set of (arrival, vehicles, fare) is kept; nothing
is pruned on the way. Exponential, for small feeds and few vehicles only. Slow and obvious.

Fares v2: give ``price`` (rides -> minor units or UNKNOWN), e.g. ``v2_pricer`` below, which
prices with engine/fares/v2.journey_fare (its one definition of the v2 rules). When a ride's
price depends on its times (timeframes, duration limits), a traveller may also wait for a
later vehicle that is cheaper: give ``waiting`` (``v2_waiting`` below), and each boarding also
takes every later trip for which, at some stop down the pattern, the rules decide the ride's
price differently than for the trip before it (another leg rule, a duration limit from the
last ride met or not); trips of one run are priced alike, and the first arrives first.
A traveller waits so for vehicles leaving by ``wait_until`` (the engine's: the latest arrival,
else 2 h after the start, engine/criteria/mcraptor.py FARE_WAIT_S); ``latest`` (a query's
max_duration) stops the enumeration at that time.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from engine._types import NO_VALUE, SECONDS_PER_DAY
from engine.fares.v1 import Ride, journey_fare

from tests.reference.mc_reference import pareto3

UNKNOWN = 1_000_000_000       # a fare no tickets cover (engine.criteria.mcraptor.FARE_UNKNOWN)


class RefRide(NamedTuple):
    """One ride of an enumerated journey (times on the query axis)."""

    route: int
    board: int
    alight: int
    dep: int
    arr: int
    zones: frozenset          # v1 zones of every stop ridden through (empty for v2)


class _TimeframeMemo:
    """``fares_v2`` as engine/fares/v2.py reads it, each in_timeframe answer kept: the
    enumeration asks the same (timeframe group, day, time of day) millions of times, and with a
    timeframe row per service each answer scans them all (Strasbourg generated v2: 3/4 of the
    reference's time). Only for one ``active`` (the wrapper's user passes always the same)."""

    def __init__(self, fares_v2):
        self._fares, self._memo = fares_v2, {}

    def __getattr__(self, name):
        return getattr(self._fares, name)

    def in_timeframe(self, group: int, day: int, tod_s: int, active) -> bool:
        key = (group, day, tod_s)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._fares.in_timeframe(group, day, tod_s, active)
        return hit


def v2_pricer(tt, fares_v2, date, tz):
    """rides -> the v2 price of the journey (UNKNOWN when it has none), on query date ``date``."""
    from engine.fares.v2 import FareV2Result, LegV2
    from engine.fares.v2 import journey_fare as journey_fare_v2
    from engine.raptor.legs import local_datetime

    route_feed = tt.bundle.column("timetable/routes", "feed_idx")
    bits = tt._service_bits
    fares_v2 = _TimeframeMemo(fares_v2)

    def active(service, day):
        return 0 <= day < tt.n_days and bool((bits[service, day >> 3] >> (day & 7)) & 1)

    def local(t):
        when = local_datetime(date, t, tz)
        return (when.date() - tt.period_start).days, when.hour * 3600 + when.minute * 60 + when.second

    def price(rides):
        legs = [LegV2(int(route_feed[r.route]), r.route, r.board, r.alight, r.dep, r.arr, *local(r.dep), *local(r.arr))
                for r in rides]
        result = journey_fare_v2(fares_v2, legs, active)
        return result.amount_minor if isinstance(result, FareV2Result) else UNKNOWN
    return price


def v2_waiting(tt, fares_v2, date, tz):
    """(ride at each stop down the pattern, last ride or None) -> what decides a ride's price: at
    each stop where it may end, the leg rule that prices it (engine/fares/v2.py match_leg) and
    whether each duration limit of the transfer rules from the last ride's leg group to its own
    holds. Trips for which that is the same are priced alike."""
    from engine.fares.v2 import LegV2, match_leg
    from engine.raptor.legs import local_datetime

    bits = tt._service_bits
    route_feed = tt.bundle.column("timetable/routes", "feed_idx")
    memo: dict = {}
    fares_v2 = _TimeframeMemo(fares_v2)

    def active(service, day):
        return 0 <= day < tt.n_days and bool((bits[service, day >> 3] >> (day & 7)) & 1)

    def local(t):
        if t not in memo:
            when = local_datetime(date, t, tz)
            memo[t] = (when.date() - tt.period_start).days, when.hour * 3600 + when.minute * 60 + when.second
        return memo[t]

    def leg(ride):
        return LegV2(int(route_feed[ride.route]), ride.route, ride.board, ride.alight, ride.dep, ride.arr,
                     *local(ride.dep), *local(ride.arr))

    rule_of: dict = {}          # (a ride's rule is the same whatever ride came before: asked once)

    def leg_and_rule(ride):
        """(the ride as a v2 leg, the leg rule that prices it)."""
        hit = rule_of.get(ride)
        if hit is None:
            ride_leg = leg(ride)
            hit = rule_of[ride] = (ride_leg, match_leg(fares_v2, ride_leg, active))
        return hit

    @functools.cache
    def limits(feed, group_a, group_b):
        rules = fares_v2._per_feed.get(feed)
        out = []
        for _row, fg, tg, _count, duration, dtype, _ttype, _product in (rules.transfers if rules else ()):
            if duration < 0 or (fg >= 0 and fg != group_a) or (fg < 0 and group_a in rules.from_groups) or \
                    (tg >= 0 and tg != group_b) or (tg < 0 and group_b in rules.to_groups):
                continue
            out.append((duration, dtype))
        return tuple(out)

    def key(rides, last):
        before, group_a = None, None
        if last is not None:
            before, m = leg_and_rule(last)
            group_a = None if m is None else int(fares_v2.leg_group[m[0]])
        out = []
        for ride in rides:
            cur, m = leg_and_rule(ride)
            seen = [None if m is None else m[0]]
            if m is not None and group_a is not None and before.feed == cur.feed:
                for duration, dtype in limits(cur.feed, group_a, int(fares_v2.leg_group[m[0]])):
                    start = before.dep_s if dtype in (0, 1) else before.arr_s
                    end = cur.arr_s if dtype in (0, 3) else cur.dep_s
                    seen.append(end - start <= duration)
            out.append(tuple(seen))
        return tuple(out)
    return key


class FareReference:
    """Enumerates journeys on one timetable (engine Timetable arrays, read plainly)."""

    def __init__(self, tt, fares, price=None, waiting=None):
        self.tt, self.fares, self.price_fn, self.waiting = tt, fares, price, waiting
        self.pattern_stops = [tt.pattern_stops[tt.pattern_stops_offsets[p]:tt.pattern_stops_offsets[p + 1]].tolist()
                              for p in range(tt.n_patterns)]
        self.stop_patterns: dict[int, list[tuple[int, int]]] = {}
        for p, stops in enumerate(self.pattern_stops):
            for pos, s in enumerate(stops):
                self.stop_patterns.setdefault(s, []).append((p, pos))
        self._fare_memo: dict = {}
        self._rows_memo: dict = {}      # pattern rows and trip arrivals as lists (_pattern_rows)
        self._earliest_memo: dict = {}

    def _earliest(self, active, p: int, pos: int, ready: int):
        """(departure, trip index in pattern, day offset) of the first trip running that leaves
        (p, pos) at or after ``ready``, or None (departures of a pattern at a stop are sorted)."""
        key = (p, pos, ready)
        if key in self._earliest_memo:
            return self._earliest_memo[key]
        tt = self.tt
        n, first = int(tt.pattern_n_trips[p]), int(tt.pattern_first_trip[p])
        base = int(tt.pattern_st_offset[p]) + pos * n
        deps = tt.st_dep[base:base + n]
        best = None
        for d in range(-int(tt.pattern_max_day[p]), 2):
            i = int(np.searchsorted(deps, ready - d * SECONDS_PER_DAY, side="left"))
            while i < n and not active(d, first + i):
                i += 1
            if i < n:
                dep = int(deps[i]) + d * SECONDS_PER_DAY
                if best is None or dep < best[0]:
                    best = (dep, i, d)
        self._earliest_memo[key] = best
        return best

    def _trips(self, active, p: int, pos: int, ready: int, latest: int | None, last: RefRide | None):
        """(departure, trip index in pattern, day offset) of the trips to board at (p, pos) from
        ``ready``: the first, and with ``waiting`` every later one leaving by ``latest`` that
        starts a run of trips the rules see alike (``last``: the ride before)."""
        first_trip = self._earliest(active, p, pos, ready)
        if first_trip is None or self.waiting is None:
            return [] if first_trip is None else [first_trip]
        memo_key = ("trips", p, pos, ready, latest, None if last is None else (last.dep, last.arr))
        if memo_key in self._earliest_memo:
            return self._earliest_memo[memo_key]
        tt = self.tt
        n, first = int(tt.pattern_n_trips[p]), int(tt.pattern_first_trip[p])
        base = int(tt.pattern_st_offset[p])
        end = int(tt.pattern_stops_offsets[p + 1] - tt.pattern_stops_offsets[p])
        off = int(tt.pattern_stops_offsets[p])
        # (the running trips of one (pattern, stop_pos) and their keys do not depend on ``ready``:
        # kept for the other boardings there, which only makes the enumeration faster)
        run_key = ("run", p, pos, latest)
        if run_key not in self._earliest_memo:
            deps = [(int(tt.st_dep[base + pos * n + i]) + d * SECONDS_PER_DAY, i, d)
                    for d in range(-int(tt.pattern_max_day[p]), 2) for i in range(n) if active(d, first + i)]
            self._earliest_memo[run_key] = sorted(t for t in deps if latest is None or t[0] <= latest)
        later = [t for t in self._earliest_memo[run_key] if first_trip[0] <= t[0]]
        drops = [pos2 for pos2 in range(pos + 1, end) if tt.pattern_dropoff[off + pos2]]

        stops, route = self.pattern_stops[p], int(tt.pattern_route[p])
        last_key = None if last is None else (last.route, last.board, last.alight, last.dep, last.arr)

        def seen(dep, i, d):
            seen_key = ("seen", p, pos, dep, i, d, last_key)
            if seen_key not in self._earliest_memo:
                self._earliest_memo[seen_key] = self.waiting(
                    [RefRide(route, stops[pos], stops[pos2], dep,
                             int(tt.st_arr[base + pos2 * n + i]) + d * SECONDS_PER_DAY, frozenset())
                     for pos2 in drops], last)
            return self._earliest_memo[seen_key]
        out, before = [first_trip], seen(*first_trip)
        for dep, i, d in later:
            now = seen(dep, i, d)
            if now != before:
                out.append((dep, i, d))
                before = now
        self._earliest_memo[memo_key] = out
        return out

    def _pattern_rows(self, p: int) -> tuple[list, list, int]:
        """(v1 zone of each stop of pattern p, -1 none; drop-off allowed at each; its route), as
        Python values (read per stop of every ride enumerated)."""
        key = ("rows", p)
        if key not in self._rows_memo:
            tt = self.tt
            zone_of = getattr(self.fares, "stop_zone", None)       # v1 only
            stops = self.pattern_stops[p]
            off = int(tt.pattern_stops_offsets[p])
            self._rows_memo[key] = ([int(zone_of[s]) if zone_of is not None else -1 for s in stops],
                                    [bool(tt.pattern_dropoff[off + j]) for j in range(len(stops))],
                                    int(tt.pattern_route[p]))
        return self._rows_memo[key]

    def _trip_arrivals(self, p: int, i: int) -> list[int]:
        """Trip i of pattern p: its arrival at each stop_pos (its day's times)."""
        key = ("arr", p, i)
        if key not in self._rows_memo:
            tt = self.tt
            n, base = int(tt.pattern_n_trips[p]), int(tt.pattern_st_offset[p])
            self._rows_memo[key] = tt.st_arr[base + i:base + n * len(self.pattern_stops[p]):n].tolist()
        return self._rows_memo[key]

    def _price(self, rides: tuple[RefRide, ...]) -> int:
        if rides not in self._fare_memo:
            if self.price_fn is not None:
                self._fare_memo[rides] = self.price_fn(rides)
            else:
                result = journey_fare(self.fares, [Ride(r.route, r.board, r.alight, r.dep, r.zones) for r in rides])
                self._fare_memo[rides] = UNKNOWN if result is None else result.amount_minor
        return self._fare_memo[rides]

    def pareto(self, origins, time_s: int, day: int, targets, max_rounds: int, min_change_time: int,
               walk_before_first: bool = True, walk_after_last: bool = True,
               latest: int | None = None, wait_until: int | None = None) -> set[tuple[int, int, int]]:
        """The Pareto set of (arrival, vehicles, fare) from ``origins`` at ``time_s`` (``latest``:
        the last arrival allowed, egress included; ``wait_until``: see the module docstring)."""
        tt = self.tt
        self._earliest_memo = {}       # it depends on the day
        table = tt.next_active(day)
        shift = tt.max_day_offset

        def active(d, trip):
            return int(table[d + shift, trip]) == trip

        targets = set(int(t) for t in targets)
        found = []
        fp = (tt.footpath_offsets, tt.footpath_to, tt.footpath_duration)

        def change(s):
            c = int(tt.stop_min_change[s])
            return c if c != NO_VALUE else min_change_time

        def visit(s, arr, kind, rides, k):
            # kind: "origin", "vehicle" or "walk"
            if latest is not None and arr > latest:
                return
            if s in targets and (k == 0 or walk_after_last or kind == "vehicle"):
                found.append((arr, k, rides))
            if kind == "vehicle" or (kind == "origin" and walk_before_first):
                for e in range(int(fp[0][s]), int(fp[0][s + 1])):
                    visit_board(int(fp[1][e]), arr + int(fp[2][e]), "walk", rides, k)
            visit_board(s, arr, kind, rides, k)

        def visit_board(s, arr, kind, rides, k):
            if latest is not None and arr > latest:
                return
            if kind == "walk":
                t = s
                if t in targets and (k == 0 or walk_after_last):
                    found.append((arr, k, rides))
            if k >= max_rounds:
                return
            ready = arr + (change(s) if kind == "vehicle" else 0)
            for p, pos in self.stop_patterns.get(s, ()):
                off = int(tt.pattern_stops_offsets[p])
                if not tt.pattern_pickup[off + pos]:
                    continue
                for dep, i, d in self._trips(active, p, pos, ready, wait_until, rides[-1] if rides else None):
                    ride_from(p, pos, s, dep, i, d, rides, k)

        def ride_from(p, pos, s, dep, i, d, rides, k):
            stops = self.pattern_stops[p]
            zone_at, dropoff, route = self._pattern_rows(p)
            arrs = self._trip_arrivals(p, i)
            zones = set()
            z = zone_at[pos]
            if z >= 0:
                zones.add(z)
            ridden = frozenset(zones)
            for pos2 in range(pos + 1, len(stops)):
                z = zone_at[pos2]
                if z >= 0 and z not in zones:
                    zones.add(z)
                    ridden = frozenset(zones)
                if not dropoff[pos2]:
                    continue
                a = arrs[pos2] + d * SECONDS_PER_DAY
                ride = RefRide(route, s, stops[pos2], dep, a, ridden)
                visit(stops[pos2], a, "vehicle", rides + (ride,), k + 1)

        for s in origins:
            visit(int(s), int(time_s), "origin", (), 0)
        return pareto3((a, k, self._price(rides)) for a, k, rides in found)


def reference_for(net, date, rider: str | None = None, medium: str | None = None) -> FareReference:
    """The enumeration over ``net``'s bundle on ``date`` with its fares: v2 when it has them (as
    the engine chooses), priced and waited for as the engine defines it; ``rider`` / ``medium``:
    the rider category priced (fares v2, or v1 GTFS+ prices) and fare medium paid with (v2; None:
    the default rider, the cheapest)."""
    from engine.fares import load_v1, load_v2

    planner = net._planner
    tt = planner.tt
    v2 = load_v2(tt.bundle, rider, medium)
    if v2 is not None:
        tz = planner.timezone(planner.stop_endpoint([0]))
        return FareReference(tt, v2, v2_pricer(tt, v2, date, tz), v2_waiting(tt, v2, date, tz))
    fares = load_v1(tt.bundle, rider)
    assert fares is not None and fares.n_fares > 0 and medium is None
    return FareReference(tt, fares)
