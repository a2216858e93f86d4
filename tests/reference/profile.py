"""Range (profile) answers as comparable sets: the reference's per-minute Pareto sets reduced to
one Pareto set, and an engine plan's itineraries keyed the same way.

An entry is (minute index j, vehicles k >= 1, arrival s on the query date's axis). Minute j's
entry is kept unless a later minute offers k' <= k vehicles arriving by the same time. Journeys
with no vehicle are time-independent and compared apart (the first minute's).
"""
from __future__ import annotations

import datetime as dt

from tests.reference.csa import seconds_on_axis


def reduce_minutes(entries: list[tuple[int, int, int]]) -> set[tuple[int, int, int]]:
    """The entries no later minute matches with as few vehicles."""
    return {(j, k, a) for j, k, a in entries
            if not any(j2 > j and k2 <= k and a2 <= a for j2, k2, a2 in entries)}


def plan_entries(plan, date: dt.date, start_s: int, window_s: int) -> tuple[set[tuple[int, int, int]], list[int]]:
    """(entries of the transit itineraries, arrivals of the zero-vehicle ones). An itinerary's
    minute is the one it leaves in (the last minute also keeps journeys waiting past the end)."""
    last = window_s // 60 - 1
    transit = {(min((seconds_on_axis(it.departure, date) - start_s) // 60, last), it.n_vehicles,
                seconds_on_axis(it.arrival, date)) for it in plan.itineraries if it.n_vehicles}
    walks = [seconds_on_axis(it.arrival, date) for it in plan.itineraries if not it.n_vehicles]
    return transit, walks
