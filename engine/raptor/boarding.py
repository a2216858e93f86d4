"""Journeys that leave as late as they can for the same arrival (a departure-time plan's).

RAPTOR takes, at every boarding, the first trip it can catch, at the first stop of the
pattern where it can; the arrival and the number of vehicles are the best there are, but the
journey found may leave much earlier than it needs to:

- ``later_trips``: a journey whose later ride runs once an hour waited for it at a change.
  Its first ride moves to the latest trip from which the next rides still arrive as they did
  (the rides taken from the last one back), and each later ride to the trip it can then catch
  that arrives first, so that what waiting is left comes before the last rides, as slack. A
  ride's trips: those of its route over the same stops (a route's trips over the same stops
  may lie in several patterns: split where they overtake or their flags differ) picking up and
  dropping off where it does, on its service day or the next (an evening journey that waits
  overnight leaves in the morning). Strasbourg, 300 station queries: 35 of 335 journeys with
  two rides or more could leave later, by 54 min at the median.
- ``board_later``: between two stops of the origin on one trip, RAPTOR boards at the upstream
  one, reached first, even when the trip passes a closer stop later. On BART a point by
  Embarcadero was sent 13 min on foot to Montgomery Street (leaving at 08:03) for the train
  that passes Embarcadero a minute later (9 min on foot, leaving at 08:08). The first boarding
  moves down its trip to a stop where the traveller leaves no earlier and walks no more, one of
  the two strictly: of those, the one leaving latest (then the shortest walk); never a later
  departure bought with a longer walk (on the sample city a wheelchair user would have left
  33 s later for 52 s more on foot).

With a real-time overlay a ride's trips are also the overlay's patterns of those patterns'
changed trips (their scheduled trips struck out; engine/_boarding.pyx ``OverlayTrips``); a
ride on an added trip keeps to that trip's own pattern.

Arrival, vehicles, stops (but the first boarding) and routes stay as they are, so the Pareto
set does not change. (OTP's Raptor tightens departures with a reverse search; along the
journey's own routes these two looks are enough: 5-7 us a plan on BART, WMATA and Strasbourg.)
"""
from __future__ import annotations

import numpy as np

from .._boarding import TripTimes
from .._types import SECONDS_PER_DAY, UNREACHED
from .reconstruct import SRC_WALK, RawLeg


class Access:
    """How the origin reaches each stop it can board at, for a search that keeps no round-0
    labels (McRAPTOR's: McQuery.leave_later); a RAPTOR run's are read as they are (RoundZero).
    ``seconds`` by stop, and ``via``, for a stop reached by a footpath, the origin stop it
    leaves from (the others are origin stops or a point's access stops)."""

    __slots__ = ("seconds", "via")

    def __init__(self, tt, stops: np.ndarray, durations: np.ndarray, footpaths: bool):
        """``stops`` / ``durations``: the origin endpoint's; ``footpaths``: a stop origin may
        walk one footpath before its first vehicle (RaptorQuery.walk_before_first)."""
        pairs = list(zip(stops.tolist(), durations.tolist()))
        self.seconds: dict[int, int] = dict(pairs)     # (an endpoint lists a stop once)
        if len(self.seconds) < len(pairs):             # (else the shortest way to each)
            self.seconds = {}
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

    def seconds_at(self, stops: list[int]) -> list[int | None]:
        """The access seconds of each stop (None: the origin does not reach it)."""
        return [self.seconds.get(s) for s in stops]

    def via_of(self, s: int) -> int:
        return self.via.get(s, -1)


class RoundZero:
    """The origin's access as a finished RAPTOR run holds it: round 0's ready time at a stop is
    the query's start plus the shortest access (an origin's time, or one footpath from one:
    engine/_core.pyx _init_round0), and a stop reached on foot names the origin stop it walked
    from. Read where needed instead of tabled per query (a WMATA station stands for 20-32 stops:
    tabling their footpaths in Python took 16-25 us a plan)."""

    __slots__ = ("ready", "source", "walk_from", "start")

    def __init__(self, ws, start: int):
        self.ready, self.source, self.walk_from = ws.ready_np[0], ws.ready_src_np[0], ws.walk_from_np[0]
        self.start = start

    def seconds_at(self, stops: list[int]) -> list[int | None]:
        """As Access.seconds_at."""
        return [None if t >= UNREACHED else t - self.start for t in self.ready[stops].tolist()]

    def via_of(self, s: int) -> int:
        return int(self.walk_from[s]) if self.source[s] == SRC_WALK else -1


def board_later(tt, raw: list[RawLeg], access: Access | RoundZero, start: int, overlay=None,
                day: int = 0) -> list[RawLeg]:
    """``raw`` (one journey, travel order, leaving at ``start``) with its first ride boarded at
    a stop down the same trip, before it is left, where the traveller leaves no earlier
    (departure there - access seconds) and walks no more (access seconds), one of them
    strictly: the latest leaving, then the shortest walk; the journey as it was when no stop
    does better. A real-time trip is read from ``overlay`` (the search's snapshot, for query
    day ``day``); without it, left as it is."""
    i = 1 if len(raw) > 1 and raw[0].kind == "walk" else 0
    if not raw or raw[i].kind != "transit" or (raw[i].trip_idx >= tt.n_trips and overlay is None):
        return raw
    ride = raw[i]
    trip = ride.trip_idx
    if trip < tt.n_trips:
        p = int(tt.trip_pattern[trip])
        stops, pickup, times = tt.pattern_stops, tt.pattern_pickup, tt.st_dep
        first, n = int(tt.pattern_stops_offsets[p]), int(tt.pattern_n_trips[p])
        base = int(tt.pattern_st_offset[p]) + trip - int(tt.pattern_first_trip[p])
        shift = ride.day * SECONDS_PER_DAY
    else:
        j = trip - tt.n_trips
        p, arrays = int(overlay.trip_pattern[j]), overlay.arrays
        stops, pickup, times = arrays.pattern_stops, arrays.pattern_pickup, arrays.st_dep
        first, n = int(arrays.pattern_stops_offsets[p]), int(arrays.pattern_n_trips[p])
        base = int(arrays.pattern_st_offset[p]) + j - int(arrays.pattern_first_trip[p])
        shift = -overlay.rt_shift(day)
    down = stops[first + ride.board_pos + 1:first + ride.alight_pos].tolist()
    # (the boarding stop, or the origin stop the walk to it left from, then the stops down the trip)
    seconds = access.seconds_at([raw[0].from_stop, *down])
    if seconds[0] is None or all(a is None for a in seconds[1:]):
        return raw
    current = seconds[0] + (raw[0].arr - raw[0].dep if i else 0)
    best = (ride.dep - current, -current)
    chosen = None
    for offset, (s, a) in enumerate(zip(down, seconds[1:])):
        if a is None:
            continue
        pos = ride.board_pos + 1 + offset
        if not pickup[first + pos]:
            continue
        dep = int(times[base + pos * n]) + shift
        if a <= current and start + a <= dep and (dep - a, -a) > best:
            best, chosen = (dep - a, -a), (s, pos, dep, a)
    if chosen is None:
        return raw
    s, pos, dep, a = chosen
    legs = [ride._replace(from_stop=s, dep=dep, board_pos=pos), *raw[i + 1:]]
    via = access.via_of(s)
    if via >= 0:
        walk = a - access.seconds_at([via])[0]
        legs.insert(0, RawLeg("walk", via, s, dep - walk, dep))
    return legs


def later_trips(tt, raw: list[RawLeg], next_active: np.ndarray, default_change: int,
                times: TripTimes, overlay=None, day: int = 0) -> list[RawLeg]:
    """``raw`` leaving as late as its rides allow: the first ride on the latest trip (of its
    route over the same stops, on its service day or the next) from which the next rides still
    arrive as they did, and each later ride on the trip it can then catch (its change time at
    the same stop, or the footpath between) that arrives first, so that the waits left come
    before the last rides, as slack (the loops: engine/_boarding.pyx; ``times``: trip_times(tt),
    held by the caller, Planner.trip_times).
    Arrival, vehicles, stops and routes stay as they are; the journey as it was when the first
    ride cannot leave later. ``next_active``: the query day's (Timetable.next_active; a filtered
    timetable's, or an overlay's with its changed trips struck out, drops what the search could
    not take). ``overlay`` (the search's real-time snapshot, for query day ``day``): a ride may
    also move to or from a trip the overlay changed, among its pattern's (engine/_boarding.pyx);
    without it a journey with a ride on a real-time trip is left as it is."""
    rt = None if overlay is None else overlay.boarding_trips
    moved = times.shift_journey(raw, next_active, tt.max_day_offset, tt.stop_min_change, default_change, tt.n_trips,
                                rt, 0 if rt is None else overlay.rt_shift(day))
    if moved is None:
        return raw
    out = list(raw)
    for i, trip, dep, arr, service_day in moved:
        out[i] = raw[i]._replace(trip_idx=trip, dep=dep, arr=arr, day=service_day)
        if i + 1 < len(raw) and raw[i + 1].kind == "walk" and i + 2 < len(raw):    # (the walk between, retimed)
            out[i + 1] = raw[i + 1]._replace(dep=arr, arr=arr + raw[i + 1].arr - raw[i + 1].dep)
    return out


def trip_times(tt) -> TripTimes:
    """``tt``'s trip arrays for later_trips (made anew each call: hold it)."""
    i32 = lambda a: np.ascontiguousarray(a, np.int32)       # noqa: E731
    u8 = lambda a: np.ascontiguousarray(a, np.uint8)        # noqa: E731
    return TripTimes(tt.trip_pattern, tt.pattern_n_trips, tt.pattern_first_trip, tt.pattern_st_offset, tt.st_dep,
                     tt.st_arr, i32(tt.trip_route), i32(tt.pattern_stops_offsets), i32(tt.pattern_stops),
                     u8(tt.pattern_pickup), u8(tt.pattern_dropoff), i32(tt.stop_patterns_offsets),
                     i32(tt.stop_patterns), i32(tt.stop_patterns_pos))
