"""Reference for arrive-by with a third criterion (tests/differential/test_arrive_by_criteria_*):
the Pareto set over (later departure, fewer vehicles, lower walking or fare) of the journeys
that leave in [lo, deadline] and arrive by the deadline, from forward reference sets taken at
every instant a journey can leave at.

A journey leaves when it boards its first vehicle at an origin, or starts the footpath to the
stop where it does (walk_before_first), or starts a footpath-only journey; leaving later than
that instant loses it. So the least walking / fare with at most k vehicles, as a function of
the departure time, only changes just after such an instant, and the latest departure of each of
its values is one of them (or the deadline). The forward sets come from the plain references
(mc_reference, FareReference.pareto), evaluated at each instant: no bisection, no engine code.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable


def departure_instants(ref, origins, date: dt.date, targets, lo: int, hi: int,
                       walk_before_first: bool = True) -> list[int]:
    """Every time in [lo, hi] at which a journey from ``origins`` can leave (ref: a
    csa.ReferenceSolver; stop indices as the bundle's), and ``hi`` itself."""
    origins = {int(s) for s in origins}
    starts: dict[int, set[int]] = {s: {0} for s in origins}     # stop -> walking seconds to reach it
    if walk_before_first:
        for s in origins:
            for e in range(int(ref.fp_offsets[s]), int(ref.fp_offsets[s + 1])):
                starts.setdefault(int(ref.fp_to[e]), set()).add(int(ref.fp_duration[e]))
    out = {hi}
    for t in {int(x) for x in targets}:
        out |= {hi - w for w in starts.get(t, ()) if w}            # a footpath-only journey
    inst_trip, inst_shift = ref.trip_instances(date)
    for trip, shift in zip(inst_trip.tolist(), inst_shift.tolist()):
        for i in range(int(ref.trip_offsets[trip]), int(ref.trip_offsets[trip + 1]) - 1):
            walks = starts.get(int(ref.st_stop[i]))
            if walks and ref.st_pickup[i] != 1:
                dep = int(ref.st_dep[i]) + shift
                out |= {dep - w for w in walks}
    return sorted(t for t in out if lo <= t <= hi)


def arrive_by_front(forward: Callable[[int], set[tuple[int, int, int]]], instants: list[int], deadline: int,
                    max_vehicles: int) -> set[tuple[int, int, int]]:
    """(departure, vehicles, third) of the arrive-by Pareto set; ``forward(t)``: the forward
    Pareto set (arrival, vehicles, third) of journeys leaving at t."""
    points = []
    for t in instants:
        front = [(k, c) for a, k, c in forward(t) if a <= deadline]
        for k in range(max_vehicles + 1):
            values = [c for j, c in front if j <= k]
            if values:
                points.append((t, k, min(values)))
    kept = set()
    for t, k, c in points:
        if not any((t2 >= t and k2 <= k and c2 <= c) and (t2, k2, c2) != (t, k, c) for t2, k2, c2 in points):
            kept.add((t, k, c))
    return kept


def engine_front(plan, date: dt.date, key: str) -> set[tuple[int, int, int]]:
    """(departure on the date's axis, vehicles, walking or fare) of an arrive-by plan."""
    from tests.reference.csa import seconds_on_axis

    return {(seconds_on_axis(it.departure, date), it.n_vehicles, v) for it, v in zip(plan.itineraries, plan.stats[key])}
