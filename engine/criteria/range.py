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
a minute in passes of growing horizons, each from scratch, unless the journeys in hand (the
later minutes') arrive beyond every pass horizon (mcraptor.pass_horizons): such a minute is one
search, and reuses labels like the others (after a minute searched in passes the workspace
holds a pass, not a whole search: the next minute starts afresh). Where passes run, the later
minutes' journeys beat equal ones (TIES_BEATEN), so a minute's search does not find them again,
and the passes count them as found (Strasbourg, generated fares, 1 h ranges, the two ways alternated
in one process, same answers: v2-simple 40 queries p50 61 -> 58 ms, p90 497 -> 406 ms; v2 16
queries p50 411 -> 283 ms). (One search per minute from
the later minutes' labels instead of the passes was measured: the same answers on 30 + 15
Strasbourg queries, but v2-simple p50 32 vs 36 ms and v2 370 vs 380 ms, mean 1.60 vs 1.51 s:
not kept).
"""
from __future__ import annotations

import numpy as np

from ..raptor.range import MINUTE_S, departure_minutes
from .arrive_by import departure_instants
from .mcraptor import LabelsLost, McQuery, pass_horizons


#: minutes reuse the later minutes' labels (walking, fares v1; fares v2 where a minute is one
#: search). False: a full search per minute, the same answers: tests/unit/criteria/
#: test_range_label_reuse.py compares them (Strasbourg generated "v2-simple", 60 ranges of 1 h,
#: half from the evening: the same answers, 186 of 2,104 runs reuse, 14.7 -> 4.4 s in all; the
#: range Travail -> Hoenheim Mairie 2026-04-16 13:59:46, whose journeys arrive after midnight,
#: 38 -> 1.2-1.6 s)
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
    v2 = query.fares is not None and query.fares.version == 2
    reused = 0
    query.searched = False
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
        keep = reuse and query.searched and (not v2 or (len(every) > 0 and not pass_horizons(
            np.array(every, np.int64).reshape(-1, 3), m, None)))
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
