"""Arrive-by journeys ("I must be there by T") on top of the forward RAPTOR search.

Why no backward RAPTOR: with at most k vehicles, the earliest arrival EA_k(t) of a forward search
leaving at t is non-decreasing in t (whatever can be caught leaving later can be caught leaving
earlier: FIFO timetables, fixed walks). So the latest departure that still arrives by T is found
exactly by a binary search over integer seconds, with nothing but forward runs; one run gives
EA_k(t) for every k at once, so the searches of all k share their runs (~15-30 runs per query).
Each chosen departure is then re-planned forward, so legs and geometry are the usual ones.

Semantics (see ``ArriveByPlanner.plan``):
  * for each number of vehicles k = 0 .. max_rounds (plus the street-only direct journey when
    both ends are points), the journey that departs as LATE as possible in
    [T - window, T] while arriving at or before T;
  * the answer is the Pareto set of those candidates over (later departure is better, fewer
    vehicles is better), sorted by departure, latest first;
  * the window never starts before 00:00 of the query date (the start of its time axis):
    trips of the previous service day that run past midnight are still found, but a journey
    leaving before 00:00 is not (plan from the previous date for that).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

import numpy as np

from .journey import Itinerary
from .legs import local_datetime
from .planner import Endpoint, Planner
from .request import PlanRequest


def latest_departures(arrivals_at: Callable[[int], np.ndarray], lo: int, hi: int, deadline: int,
                      ks: Iterable[int]) -> dict[int, int]:
    """For every k in ks, the largest t in [lo, hi] with ``arrivals_at(t)[k] <= deadline``.

    ``arrivals_at(t)[k]`` must be non-decreasing in t for each k (true of earliest arrivals).
    k values infeasible even at ``lo`` are absent from the result. Why a joint search: one call
    answers every k, so the k values whose answers lie on the same side of a midpoint share it
    (a parallel binary search); with one distinct answer it costs ``1 + ceil(log2(hi - lo + 1))``
    calls.
    """
    first = arrivals_at(lo)
    feasible = [k for k in ks if first[k] <= deadline]
    out: dict[int, int] = {}

    def solve(low: int, high: int, group: list[int]) -> None:
        # Invariant: every k of group is feasible at `low`, and its answer lies in [low, high].
        while group:
            if low == high:
                out.update((k, low) for k in group)
                return
            mid = (low + high + 1) // 2
            arrivals = arrivals_at(mid)
            later = [k for k in group if arrivals[k] <= deadline]
            solve(mid, high, later)
            group = [k for k in group if arrivals[k] > deadline]
            high = mid - 1

    solve(lo, hi, feasible)
    return out


def pareto_latest(candidates: dict[int, int]) -> list[int]:
    """The k values (vehicles) of the Pareto set of {k: departure}: later departure and fewer
    vehicles are better, so k is kept only if it leaves strictly later than every k' < k."""
    kept, best = [], None
    for k in sorted(candidates):
        if best is None or candidates[k] > best:
            kept.append(k)
            best = candidates[k]
    return kept


class ArriveByPlanner:
    """Arrive-by planning between two endpoints (stops or points) with the forward machinery."""

    def __init__(self, planner: Planner):
        self.planner = planner
        self.runner = planner.runner

    def plan(self, origin: Endpoint, destination: Endpoint, request: PlanRequest, day: int,
             tz) -> tuple[list[Itinerary], dict]:
        """Itineraries arriving at or before the deadline (``request.time_s``), latest departure
        first, and search statistics.

        For each k (vehicles, 0..max_rounds) the latest departure t*_k in the window whose
        forward earliest arrival with <= k vehicles is <= deadline; the Pareto set of those
        (and of the direct street journey for point-to-point) over (later departure, fewer
        vehicles); each kept k is rebuilt by a forward plan from t*_k, whose k-vehicle
        journey therefore departs exactly at t*_k (a later first boarding would contradict
        the maximality of t*_k). For point endpoints the zero-vehicle "walk to a stop and walk
        on" journey is left to the direct street route, as in forward planning (it still
        dominates transit journeys that do not leave later).
        """
        deadline, max_rounds = request.time_s, request.max_rounds
        lo = max(deadline - request.arrive_window_s, 0)   # the axis starts at 00:00 of the date: clamp there
        stats = {"arrive_by": True, "window_start_s": lo, "raptor_runs": 0}
        itineraries: list[Itinerary] = []
        departures: dict[int, int] = {}
        base = self.planner.query(origin, destination, request, day, 0)
        if base is not None:
            def arrivals_at(t: int) -> np.ndarray:
                stats["raptor_runs"] += 1
                ws = self.runner.run(_at(base, t))
                return np.array(ws.target_arr_np[:max_rounds + 1], copy=True)

            departures = latest_departures(arrivals_at, lo, deadline, deadline, range(max_rounds + 1))
        direct = self._direct(origin, destination, request, tz)
        candidates = dict(departures)
        if direct is not None:
            # The street-only journey competes as a zero-vehicle candidate.
            candidates[0] = max(candidates.get(0, direct[0]), direct[0])
        for k in pareto_latest(candidates):
            if k == 0 and (origin.is_point or destination.is_point):
                if direct is not None:
                    itineraries.append(direct[1])   # shown as in forward planning
                continue
            itineraries.append(self._forward(base, k, departures[k], origin, destination, request, tz))
        itineraries.sort(key=lambda it: (-it.departure.timestamp(), it.n_vehicles))
        return itineraries, stats

    def _forward(self, base, k: int, start: int, origin: Endpoint, destination: Endpoint,
                 request: PlanRequest, tz) -> Itinerary:
        """The k-vehicle journey of a forward plan leaving at ``start``: the usual legs."""
        q = dataclasses.replace(_at(base, start), max_rounds=k)
        found = self.planner.itineraries(q, self.runner.run(q), origin, destination, request, start, tz, vehicles=k)
        if found:
            return found[0]
        # Unreachable when the forward search is exact and monotone (see the module docstring).
        raise RuntimeError(f"arrive-by: no {k}-vehicle journey when re-planning from {start}")

    def _direct(self, origin: Endpoint, destination: Endpoint, request: PlanRequest,
                tz) -> tuple[int, Itinerary] | None:
        """(departure, itinerary) of the street-only journey arriving exactly at the deadline.

        Its duration does not depend on the time, so the forward street journey is shifted to end
        at the deadline (the window does not apply: no timetable is involved).
        """
        deadline, date = request.time_s, request.date
        forward = self.planner.direct(origin, destination, request, deadline, tz)
        if forward is None:
            return None
        dep = deadline - forward.duration_s
        leg = dataclasses.replace(forward.legs[0], departure=local_datetime(date, dep, tz),
                                  arrival=local_datetime(date, deadline, tz))
        return dep, dataclasses.replace(forward, departure=leg.departure, arrival=leg.arrival, legs=(leg,))


def _at(base, t: int):
    """The base query (leaving at 0) leaving at t: origin times are t plus the access times."""
    return dataclasses.replace(base, origin_time=(base.origin_time + np.int32(t)).astype(np.int32))
