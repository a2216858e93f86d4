"""Range queries with a third criterion (``window_s`` with ``optimize``): for every departure
minute of [time, time + window_s), the journeys that no journey leaving later beats on arrival
(earlier), vehicles (fewer) and walking / fare (lower). (As in the two-criteria range, the last
minute's journeys may leave after the window: its first vehicles are the ones they catch.)

As the two-criteria range (engine/raptor/range.py), over the window's departure minutes, last
first: the journeys of minute m are its forward McRAPTOR Pareto set, and one is kept when no
journey of a later minute is as good on arrival, vehicles and the third criterion (a later
departure that does as well wins). The later minutes' journeys enter minute m's search as known
journeys (McQuery.journeys ``beaten_by``): it drops every label that cannot beat one of them,
so each run only looks for what leaving earlier adds. Journeys with no vehicle (a footpath
between stops, the street-only journey between points) do not depend on the departure time:
shown once, leaving at the start of the window, as the two-criteria range does; a transit
journey of minute m competes with them leaving at m (in m's own set). A minute in which no
journey can leave (no departure at an origin stop or one footpath away: arrive_by.departure_instants)
is not searched: its journeys all leave in a later minute, which finds them (or better).

Label reuse (rRAPTOR's idea, Delling et al. 2012, section 5): a minute's search keeps the labels
of the later minutes' searches in its bags (run_mcraptor keep_labels).
A label of a later departure that is no worse than one of this minute's drops it, as a label of
the same search would: every journey through the dropped one is beaten or matched by one through
the kept one, which the later search already followed to its Pareto journeys (all of them enter
this search as known ones, footpath-only journeys too, so the fare labels' time limits compare
as in that search). So each minute only extends what leaving earlier improves. Fares v2 search
a minute in passes of growing horizons (mcraptor.McPlanner._by_horizons): pass i runs in its
own workspace slot and keeps the labels of the later minutes' pass i. That is sound for any
kept label, whatever horizon its pass had: a kept label is a real journey prefix of a later
departure, so whatever the dropped label would reach, the kept one reaches as well or better,
and the later minute's Pareto set (all its passes, in the known journeys) holds something at
least as good (a later departure that does as well wins the range). Without reuse
(``REUSE_LABELS = False``) every minute searches from scratch and the later minutes' journeys
beat equal ones (TIES_BEATEN). (Before 2026-12-06, sixth session, fares v2 never reused labels;
one search per minute from the later minutes' labels instead of the passes had been measured:
the same answers, no faster.)
"""
from __future__ import annotations

import numpy as np

from ..raptor.range import MINUTE_S, departure_minutes
from .arrive_by import departure_instants
from .mcraptor import LabelsLost, McQuery


#: minutes reuse the later minutes' labels (fares v2: pass by pass). False: a full search per
#: minute, the same answers: tests/unit/criteria/test_range_label_reuse.py compares them.
#: Strasbourg generated fares v2, ranges of 1 h (30 min for "v2"), half from the evening, the
#: same answers: "v2-simple" 60 ranges 12.4 -> 2.4 s in all, "v2" 30 ranges 15.9 -> 2.6 s; the
#: benchmark's 40 "v2-simple" ranges p50 45.9 -> 14.4 ms, max 10 s (out of budget) -> 1.0 s.
REUSE_LABELS = True
#: a minute searched without label reuse (fares v2 in passes) drops labels that can only match a later minute's
#: journey, as it drops those that can only do worse (a later departure that does as well wins);
#: False: they are followed and the equal journeys dropped afterwards (the same answers:
#: tests/unit/criteria/test_range_ties.py compares them)
TIES_BEATEN = True


def plan_range(query: McQuery):
    """The range answer of ``query``, sorted by departure, then arrival, then vehicles."""
    while True:
        try:
            return _plan_range(query)
        except LabelsLost:
            continue            # (the workspace grew: every minute again, in the larger pool)


def _plan_range(query: McQuery):
    request, p = query.request, query.mc.planner
    minutes = departure_minutes(request.time_s, request.range_s)
    stats = {"window_s": request.range_s, "departure_minutes": int(len(minutes)), "runs": 0}
    # each run keeps the later minutes' labels (rRAPTOR's reuse: module docstring); fares v2
    # only where the minute is searched in one run (no pass horizon before its journeys)
    reuse = REUSE_LABELS
    reused = 0
    query.kept.clear()
    query.pass_slots = True             # (fares v2: pass i of each minute in workspace slot i)
    later: list[tuple[int, int, int]] = []          # (arrival, vehicles, third) of later minutes' journeys
    found = []                                      # (departure, arrival, vehicles, third, itinerary)
    direct = p.direct(query.o, query.d, request, request.time_s, query.tz)   # two points: street only
    # a minute in which no journey can leave gives only journeys of the next one: not searched
    instants = departure_instants(query, int(minutes.min()), int(minutes.max()) + MINUTE_S)
    every: list[tuple[int, int, int]] = []          # every journey of the later minutes, footpaths too
    for i, m in enumerate(minutes.tolist()):
        first = i == len(minutes) - 1
        if i and not first and not _any_in(instants, m, m + MINUTE_S):
            continue
        keep = reuse and bool(query.kept)
        reused += keep
        journeys, _ = query.journeys(m, None, np.array(every if keep else later, np.int64).reshape(-1, 3), keep,
                                     ties_beaten=TIES_BEATEN and not keep)
        stats["runs"] += 1
        if direct is not None:
            own = (m + direct.duration_s, 0, direct.duration_s if query.walks else 0)
        for arrival, k, third, raw in journeys:
            if k == 0 and not first:
                continue                       # no vehicle: shown once, from the window's start
            if any(a <= arrival and j <= k and c <= third for a, j, c in later):
                continue                       # a later departure does as well
            if direct is not None and own[0] <= arrival and own[2] <= third:
                continue                       # the street-only journey leaving now does as well
            it = query.itinerary(arrival, k, raw, m)
            found.append((it.departure, arrival, k, third, it))
        later += [(arrival, k, third) for arrival, k, third, _ in journeys if k]
        every += [(arrival, k, third) for arrival, k, third, _ in journeys]
    stats["label_reuse"] = reuse
    stats["runs_reusing_labels"] = int(reused)
    if direct is not None:
        found.append((direct.departure, request.time_s + direct.duration_s, 0,
                      direct.duration_s if query.walks else 0, direct))
    found.sort(key=lambda x: (x[0], x[1], x[2], x[3]))
    return query.answer([(a, k, c, it) for _, a, k, c, it in found], request.time_s, stats)


def _any_in(sorted_times: np.ndarray, lo: int, hi: int) -> bool:
    """Whether some time of ``sorted_times`` is in [lo, hi)."""
    i = int(np.searchsorted(sorted_times, lo))
    return i < len(sorted_times) and sorted_times[i] < hi
