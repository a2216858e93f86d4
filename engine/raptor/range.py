"""Range (profile) queries: every journey worth taking that leaves within a departure window.

Range RAPTOR (rRAPTOR, Delling et al. 2012 section 4): the departure minutes of the window
are searched from the last to the first, each run starting from the labels of the one after it
(``run_raptor(..., reuse=True)``): whatever a later departure reaches, an earlier one reaches by
waiting, so the labels stay exact and a run only rescans what the earlier departure improves.

The answer, for departure minutes m (seconds ``time + 60 i``): the journey with k >= 1 vehicles
of minute m is kept when it is in minute m's own Pareto set (it beats every journey of m with
fewer vehicles) and it arrives strictly earlier than minute m + 1's best with k vehicles (else a
later departure does as well with as many vehicles or fewer). Journeys with no vehicle (a
footpath between stops, the street-only journey between points) do not depend on the
departure time: shown once, leaving at the start of the window; a transit journey of minute m
is kept only if it arrives before them leaving at m (as in a plan from m). Each kept journey
leaves in [m, m + 60 s).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .._types import UNREACHED
from .journey import Itinerary
from .planner import Endpoint, Planner
from .request import PlanRequest

MINUTE_S = 60


def departure_minutes(start_s: int, window_s: int) -> np.ndarray:
    """The window's departure times, LAST first (the order range RAPTOR visits them)."""
    n = max(1, -(-window_s // MINUTE_S))
    return (start_s + MINUTE_S * np.arange(n - 1, -1, -1)).astype(np.int32)


def plan_range(planner: Planner, o: Endpoint, d: Endpoint, request: PlanRequest, day: int,
               tz) -> tuple[list[Itinerary], dict]:
    """Itineraries of a range query (see the module docstring), sorted by departure, then
    arrival, then vehicles; and statistics."""
    minutes = departure_minutes(request.time_s, request.range_s)
    stats = {"window_s": request.range_s, "departure_minutes": int(len(minutes)), "raptor_runs": 0}
    transit: list[Itinerary] = []
    walk = planner.direct(o, d, request, request.time_s, tz)     # two points: the street-only journey
    walk_s = walk.duration_s if walk is not None else UNREACHED
    q0 = planner.query(o, d, request, day, 0)
    if q0 is not None:
        later = np.full(request.max_rounds + 1, UNREACHED, np.int64)   # minute m + 1's best per k
        for i, m in enumerate(minutes):
            q = dataclasses.replace(q0, origin_time=(q0.origin_time + m).astype(np.int32))
            ws = planner.runner.run(q, reuse=i > 0, per_round=True)
            stats["raptor_runs"] += 1
            best = np.array(ws.target_arr_np[:request.max_rounds + 1], np.int64)
            # minute m's best with fewer vehicles than k (the street-only journey counts as 0)
            fewer = min(best[0], int(m) + walk_s)
            for k in range(1, request.max_rounds + 1):
                if best[k] < fewer and best[k] < later[k]:
                    transit.extend(planner.itineraries(q, ws, o, d, request, int(m), tz, vehicles=k))
                fewer = min(fewer, best[k])
            if i == len(minutes) - 1 and not (o.is_point or d.is_point) and best[0] < UNREACHED:
                walk = next(iter(planner.itineraries(q, ws, o, d, request, int(m), tz, vehicles=0)), None)
            later = best
    if walk is not None:
        transit.append(walk)
    transit.sort(key=lambda it: (it.departure, it.arrival, it.n_vehicles))
    return transit, stats
