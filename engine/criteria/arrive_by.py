"""Arrive-by with a third criterion ("there by T, and the least walking / the cheapest"): the
Pareto set over (later departure, fewer vehicles, less walking or a lower fare) of the journeys
that leave in the window [T - max_window_s, T] and arrive by T.

Why forward runs, as the two-criteria arrive-by (engine/raptor/arrive_by.py): a traveller who
leaves earlier can do whatever leaving later allows (wait at the origin, then ride the same
vehicles), so c_k(t), the least walking or fare of a journey with at most k vehicles that leaves
at t and arrives by T, never decreases as t grows. The answer is made of its steps: for every k
and every value v that c_k takes, the latest departure t with c_k(t) <= v. One forward McRAPTOR
run at t with T as the latest arrival gives c_0(t) .. c_K(t) at once. c_k only changes just after
an instant a journey can leave at (departure_instants), so its steps are found by bisection over
those instants (an interval whose two ends give the same values holds no step): a query runs
about (steps + 1) x log2(instants) searches, which share their stage bounds and fare potentials
(same targets). (Bisection over every second, the first draft: Strasbourg, 60 queries, 4 h
window, runs p50 37.5 -> 24 walking, 27 -> 15 fare, same answers.) The Pareto set of those
(t, k, v) keeps the ones no other beats, and each is answered by the journey of its own run that
has exactly k vehicles and v: it leaves at t to the second (a journey leaving later would give
c_k(t + 1) <= v). (Giving each run the journeys of the runs at later instants as known ones, as
ranges do, was measured: the same answers on 160 queries, p50 x 0.96-1.10 of these runs on
BART, Strasbourg walking and generated v1 / v2-simple: not kept.)

Exactness: as the departure-time search's (engine/criteria/mcraptor.py, README "First
vehicle"); with fares v2, the runs wait for cheaper vehicles up to T.
"""
from __future__ import annotations

import numpy as np

from .._types import SECONDS_PER_DAY
from ..raptor.arrive_by import ArriveByPlanner
from ..raptor.journey import Plan
from .mcraptor import McQuery

#: c_k(t) when no journey with at most k vehicles leaves at t and arrives by T
NONE = 1 << 62


def plan_arrive_by(query: McQuery) -> Plan:
    """The arrive-by answer of ``query`` (its request's ``time`` is the deadline), latest
    departure first, then fewer vehicles, then less walking / a lower fare."""
    request = query.request
    deadline, max_rounds = request.time_s, request.max_rounds
    lo = max(deadline - request.arrive_window_s, 0)     # the axis starts at 00:00 of the date: clamp there
    runs: dict[int, list[tuple]] = {}                   # departure -> that run's journeys
    stats: dict = {"arrive_by": True, "window_start_s": lo}

    def values_at(t: int) -> tuple[int, ...]:
        """(c_0(t), .., c_K(t)): the least third criterion with at most k vehicles."""
        if t not in runs:
            runs[t] = query.journeys(t, deadline)[0]
        best = [NONE] * (max_rounds + 1)
        for _, k, third, _ in runs[t]:
            for j in range(k, max_rounds + 1):
                best[j] = min(best[j], third)
        return tuple(best)

    instants = departure_instants(query, lo, deadline)
    steps = [(int(instants[i]), k, v) for i, k, v in latest_steps(lambda i: values_at(int(instants[i])), 0,
                                                                   len(instants) - 1)]
    stats["runs"] = len(runs)
    found = []          # (departure, vehicles, walking or fare, itinerary)
    for t, k, v in steps:
        # the journey of that run with exactly k vehicles and v (the Pareto set says it exists);
        # the earliest arriving of them
        journeys = [j for j in runs[t] if j[1] == k and j[2] == v]
        if journeys:
            arrival, _, _, raw = min(journeys, key=lambda j: j[0])
            found.append((t, k, v, query.itinerary(arrival, k, raw, t)))
    direct = ArriveByPlanner(query.mc.planner)._direct(query.o, query.d, request, query.tz)
    if direct is not None:
        dep, it = direct
        found.append((dep, 0, it.duration_s if query.walks else 0, it))
    return query.answer(pareto_latest3(found), deadline, stats)


def departure_instants(query: McQuery, lo: int, hi: int) -> np.ndarray:
    """Sorted times in [lo, hi] that hold every instant a journey of ``query`` can leave at (and
    hi): a departure of a vehicle where boarding is allowed, at an origin stop or at a stop one
    footpath away, less the access or footpath seconds, on any day the timetable runs it or not
    (more instants only cost runs), and the deadline less each such walk (footpath-only
    journeys)."""
    tt, o = query.mc.tt, query.o
    starts = {}                 # stop -> the seconds from leaving to being there (one per way)
    ways = [(int(s), int(w)) for s, w in zip(o.stops.tolist(), o.durations.tolist())]
    if query.request.walk_before_first and not o.is_point:
        offsets, to, duration = tt.footpath_offsets, tt.footpath_to, tt.footpath_duration
        ways += [(int(to[e]), w + int(duration[e])) for s, w in list(ways) for e in range(offsets[s], offsets[s + 1])]
    for s, w in ways:
        starts.setdefault(s, set()).add(w)
    out = [np.array([hi], np.int64)]
    for s, walks in starts.items():
        walks = np.fromiter(walks, np.int64)
        out.append(hi - walks)
        for j in range(tt.stop_patterns_offsets[s], tt.stop_patterns_offsets[s + 1]):
            p, pos = int(tt.stop_patterns[j]), int(tt.stop_patterns_pos[j])
            if not tt.pattern_pickup[tt.pattern_stops_offsets[p] + pos]:
                continue
            deps = np.asarray(query.mc.departures(p, pos), np.int64)
            days = np.arange(-int(tt.pattern_max_day[p]), 2, dtype=np.int64) * SECONDS_PER_DAY
            out.append((deps[None, :, None] + days[:, None, None] - walks[None, None, :]).ravel())
    times = np.concatenate(out)
    return np.unique(times[(times >= lo) & (times <= hi)])     # (the window first: far fewer to sort)


def latest_steps(values_at, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """(t, k, v): for every k and every value v < NONE that values_at(.)[k] takes on [lo, hi],
    the largest t in [lo, hi] where it is v; values_at(t)[k] must never decrease as t grows.
    Bisection: an interval whose ends give equal values holds no step."""
    out: list[tuple[int, int, int]] = []
    top = values_at(hi)
    out += [(hi, k, v) for k, v in enumerate(top) if v < NONE]
    stack = [(lo, values_at(lo), hi, top)]
    while stack:
        a, va, b, vb = stack.pop()
        if va == vb:
            continue
        if b == a + 1:
            out += [(a, k, v) for k, (v, w) in enumerate(zip(va, vb)) if v != w and v < NONE]
            continue
        mid = (a + b) // 2
        vm = values_at(mid)
        stack += [(a, va, mid, vm), (mid, vm, b, vb)]
    return out


def pareto_latest3(items: list[tuple]) -> list[tuple]:
    """Items (departure, vehicles, third, ...) that no other beats or equals on all three (later
    departure, fewer vehicles, lower third; the first of equal ones kept), latest first."""
    items = sorted(items, key=lambda x: (-x[0], x[1], x[2]))
    kept: list[tuple] = []
    for item in items:
        if not any(t >= item[0] and k <= item[1] and v <= item[2] for t, k, v, *_ in kept):
            kept.append(item)
    return kept

