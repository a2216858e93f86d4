"""The first ride of a journey boarded as late as its access allows.

Why: RAPTOR boards a trip at the first stop of its pattern where a label catches it, and keeps
that boarding down the pattern; between two access stops on the same trip it takes the upstream
one, reached first, even when a stop further down is closer to the origin. On BART, a point by
Embarcadero was sent 13 min on foot to Montgomery Street (leaving at 08:03) for the train that
passes Embarcadero a minute later (9 min on foot, leaving at 08:08): the same arrival and
vehicles, five minutes more of journey and four of walking. A departure-time plan then moves
the first boarding down the same trip to a stop that lets the traveller leave no earlier and
walk no more, one of the two strictly: of those, the one leaving latest (then the shortest
walk). Never a later departure bought with a longer walk: on the sample city a wheelchair
user would have left 33 s later for 52 s more on foot. Arrival, vehicles and every later leg
stay as they are, so the Pareto set does not change; only the first ride and the walk before
it do. (OTP's Raptor tightens departures with a reverse search; for the first ride alone this
one look down the trip is enough.)
"""
from __future__ import annotations

import numpy as np

from .._types import SECONDS_PER_DAY
from .reconstruct import RawLeg


class Access:
    """How the origin reaches each stop it can board at: ``seconds`` by stop, and ``via``, for
    a stop reached by a footpath, the origin stop it leaves from (the others are origin stops
    or a point's access stops)."""

    __slots__ = ("seconds", "via")

    def __init__(self, tt, stops: np.ndarray, durations: np.ndarray, footpaths: bool):
        """``stops`` / ``durations``: the origin endpoint's; ``footpaths``: a stop origin may
        walk one footpath before its first vehicle (RaptorQuery.walk_before_first)."""
        pairs = list(zip(stops.tolist(), durations.tolist()))
        self.seconds: dict[int, int] = {}
        for s, d in pairs:
            if d < self.seconds.get(s, d + 1):
                self.seconds[s] = d
        self.via: dict[int, int] = {}          # only the stops reached by a footpath
        if footpaths:
            offsets, to, secs = tt.footpath_offsets, tt.footpath_to, tt.footpath_duration
            for s, d in pairs:
                a, b = int(offsets[s]), int(offsets[s + 1])
                for x, w in zip(to[a:b].tolist(), secs[a:b].tolist()):
                    if d + w < self.seconds.get(x, d + w + 1):
                        self.seconds[x], self.via[x] = d + w, s


def board_later(tt, raw: list[RawLeg], access: Access, start: int) -> list[RawLeg]:
    """``raw`` (one journey, travel order, leaving at ``start``) with its first ride boarded at
    a stop down the same trip, before it is left, where the traveller leaves no earlier
    (departure there - access seconds) and walks no more (access seconds), one of them
    strictly: the latest leaving, then the shortest walk; the journey as it was when no stop
    does better. Real-time trips of an overlay are left as they are."""
    i = 1 if len(raw) > 1 and raw[0].kind == "walk" else 0
    if not raw or raw[i].kind != "transit" or raw[i].trip_idx >= tt.n_trips:
        return raw
    ride = raw[i]
    if i:
        if ride.from_stop not in access.seconds:
            return raw
        current = raw[0].arr - raw[0].dep + access.seconds.get(raw[0].from_stop, 0)
    else:
        current = access.seconds.get(ride.from_stop)
        if current is None:
            return raw
    seconds = access.seconds
    trip = ride.trip_idx
    p = int(tt.trip_pattern[trip])
    first = int(tt.pattern_stops_offsets[p])
    stops = tt.pattern_stops[first + ride.board_pos + 1:first + ride.alight_pos].tolist()
    if seconds.keys().isdisjoint(stops):
        return raw
    n = int(tt.pattern_n_trips[p])
    base = int(tt.pattern_st_offset[p]) + trip - int(tt.pattern_first_trip[p])
    shift = ride.day * SECONDS_PER_DAY
    best = (ride.dep - current, -current)
    chosen = None
    for offset, s in enumerate(stops):
        a = seconds.get(s)
        if a is None:
            continue
        pos = ride.board_pos + 1 + offset
        if not tt.pattern_pickup[first + pos]:
            continue
        dep = int(tt.st_dep[base + pos * n]) + shift
        if a <= current and start + a <= dep and (dep - a, -a) > best:
            best, chosen = (dep - a, -a), (s, pos, dep)
    if chosen is None:
        return raw
    s, pos, dep = chosen
    legs = [ride._replace(from_stop=s, dep=dep, board_pos=pos), *raw[i + 1:]]
    via = access.via.get(s, -1)
    if via >= 0:
        walk = access.seconds[s] - access.seconds[via]
        legs.insert(0, RawLeg("walk", via, s, dep - walk, dep))
    return legs
