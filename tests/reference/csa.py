"""Reference journey solver for tests: a round-layered scan over trip-level connections.

Written for clarity, not speed, and independent of the bundle's pattern layout, so that a
disagreement with RAPTOR points at either the router or the pattern/stop-time building.

Model (docs: /work/notes/API.md "Transfer model"), per query date D and round k = 1..K:

* every trip of the StagedTimetable active on service day D+d, d in [-max_span, +1], is an
  instance whose times are shifted by d * 86400 s onto the query's time axis;
* in round k an instance can be boarded at stop position i if pickup_type != 1 and
  ready_{k-1}(stop_i) <= dep_i; it can then be left at any later position j with
  drop_off_type != 1, giving veh_k(stop_j) <= arr_j (earliest boarding dominates later ones,
  since all later positions are reached by the same vehicle at the same times);
* then one footpath (bundle table timetable/footpaths) from every stop reached by a vehicle in
  round k: walk_k(t) = min_s veh_k(s) + duration(s, t) (no chained footpaths);
* ready_k(s)   = min(ready_{k-1}(s), veh_k(s) + change(s), walk_k(s)), where change(s) is the
  stop's min_change_time from the bundle (if != NO_VALUE) else the query's min_change_time;
* arrival_k(s) = min(arrival_{k-1}(s), veh_k(s), walk_k(s)).
Round 0: the origin stops at their times, plus (if walk_before_first) one footpath from them.

Scanning every trip instance in every round (instead of a departure-sorted connection list) is
the same Connection Scan: boarding only reads ready_{k-1}, so the order of trips is irrelevant
and the order inside a trip is its stop sequence.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from numba import njit

from engine._types import NO_VALUE, SECONDS_PER_DAY, UNREACHED
from engine.bundle.reader import open_bundle
from engine.timetable.staging import StagedTimetable

_NO_PICKUP = 1     # GTFS pickup_type / drop_off_type "not available"


@njit(cache=True)
def _vehicle_round(trip_offsets, st_stop, st_arr, st_dep, st_pickup, st_dropoff,
                   inst_trip, inst_shift, ready_prev, veh):
    """veh[s] = earliest arrival at s riding one vehicle boarded where ready_prev allows."""
    for j in range(inst_trip.shape[0]):
        trip = inst_trip[j]
        shift = inst_shift[j]
        boarded = False
        for i in range(trip_offsets[trip], trip_offsets[trip + 1]):
            stop = st_stop[i]
            # Alighting is checked before boarding so that a vehicle is never left at the
            # position where it was boarded.
            if boarded and st_dropoff[i] != _NO_PICKUP:
                arr = np.int64(st_arr[i]) + shift
                if arr < veh[stop]:
                    veh[stop] = arr
            if not boarded and st_pickup[i] != _NO_PICKUP:
                if ready_prev[stop] <= np.int64(st_dep[i]) + shift:
                    boarded = True


@njit(cache=True)
def _one_footpath(fp_offsets, fp_to, fp_duration, start, walk):
    """walk[t] = min over stops s with a finite start[s] of start[s] + duration(s, t)."""
    for s in range(start.shape[0]):
        if start[s] >= UNREACHED:
            continue
        for e in range(fp_offsets[s], fp_offsets[s + 1]):
            t = fp_to[e]
            arr = start[s] + fp_duration[e]
            if arr < walk[t]:
                walk[t] = arr


class ReferenceSolver:
    """Round arrivals from a StagedTimetable plus the footpaths/change times of its bundle."""

    def __init__(self, staged: StagedTimetable, bundle_path: str | Path):
        bundle = open_bundle(bundle_path)
        self.n_stops = int(staged.stops.num_rows)
        bundle_stops = bundle.table("timetable/stops").num_rows
        if bundle_stops != self.n_stops:
            raise ValueError(f"bundle has {bundle_stops} stops, staged timetable {self.n_stops}")
        bundle_ids = bundle.strings("timetable/stops", "stop_id").to_pylist()
        if bundle_ids != staged.stops.column("stop_id").to_pylist():
            raise ValueError("bundle stops are not in the staged timetable's order")
        self.stop_ids = bundle_ids
        offsets, to = bundle.csr("timetable/footpaths", "to")
        _, duration = bundle.csr("timetable/footpaths", "duration")
        self.fp_offsets = np.asarray(offsets, dtype=np.int64)
        self.fp_to = np.asarray(to, dtype=np.int64)
        self.fp_duration = np.asarray(duration, dtype=np.int64)
        self.stop_change = np.asarray(bundle.column("timetable/stops", "min_change_time"),
                                      dtype=np.int64)
        self.trip_offsets = np.asarray(staged.trip_offsets, dtype=np.int64)
        self.st_stop = np.asarray(staged.st_stop_idx, dtype=np.int64)
        self.st_arr = np.asarray(staged.st_arr, dtype=np.int64)
        self.st_dep = np.asarray(staged.st_dep, dtype=np.int64)
        self.st_pickup = np.asarray(staged.st_pickup, dtype=np.uint8)
        self.st_dropoff = np.asarray(staged.st_dropoff, dtype=np.uint8)
        self.trip_service = staged.trips.column("service_idx").to_numpy().astype(np.int64)
        self.service_days = np.asarray(staged.service_days, dtype=bool)
        self.period_start = staged.period_start
        latest = int(max(self.st_arr.max(initial=0), self.st_dep.max(initial=0)))
        self.max_span = latest // SECONDS_PER_DAY
        # Stops where at least one trip stops (candidates for random query origins).
        self.served_stops = np.unique(self.st_stop)

    # ------------------------------------------------------------------ queries
    def trip_instances(self, date: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """(trip, shift seconds) of every trip running on the query's time axis of ``date``."""
        day0 = (date - self.period_start).days
        trips, shifts = [], []
        for d in range(-self.max_span, 2):
            day = day0 + d
            if not 0 <= day < self.service_days.shape[1]:
                continue
            active = np.flatnonzero(self.service_days[self.trip_service, day])
            trips.append(active)
            shifts.append(np.full(active.size, d * SECONDS_PER_DAY, dtype=np.int64))
        if not trips:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(trips).astype(np.int64), np.concatenate(shifts)

    def round_arrivals(self, origin_idx: np.ndarray, origin_time_s: np.ndarray, date: dt.date,
                       max_rounds: int, min_change_time: int = 60,
                       walk_before_first: bool = True) -> np.ndarray:
        """Same contract as ``net.round_arrivals``: int32 [max_rounds + 1, n_stops]."""
        return self.round_arrivals_with_vehicle(origin_idx, origin_time_s, date, max_rounds,
                                                min_change_time, walk_before_first)[0]

    def round_arrivals_with_vehicle(self, origin_idx: np.ndarray, origin_time_s: np.ndarray,
                                    date: dt.date, max_rounds: int, min_change_time: int = 60,
                                    walk_before_first: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(``round_arrivals``, vehicle-only arrivals): the second int32 [max_rounds + 1, n_stops]
        array holds min over rounds j = 1..k of veh_j(s), the earliest arrival at s *alighting*
        from the k-th (or an earlier) vehicle, with no footpath after it (row 0 is UNREACHED).
        Door-to-door journeys end that way: the street egress replaces the last footpath."""
        n = self.n_stops
        inst_trip, inst_shift = self.trip_instances(date)
        change = np.where(self.stop_change != NO_VALUE, self.stop_change, int(min_change_time))
        out = np.full((max_rounds + 1, n), UNREACHED, dtype=np.int64)

        start = np.full(n, UNREACHED, dtype=np.int64)
        for stop, time in zip(np.asarray(origin_idx).tolist(), np.asarray(origin_time_s).tolist()):
            start[stop] = min(start[stop], int(time))
        arrival = start.copy()
        if walk_before_first:
            walk = np.full(n, UNREACHED, dtype=np.int64)
            _one_footpath(self.fp_offsets, self.fp_to, self.fp_duration, start, walk)
            arrival = np.minimum(arrival, walk)
        ready = arrival.copy()
        out[0] = arrival
        out_veh = np.full((max_rounds + 1, n), UNREACHED, dtype=np.int64)

        for k in range(1, max_rounds + 1):
            veh = np.full(n, UNREACHED, dtype=np.int64)
            _vehicle_round(self.trip_offsets, self.st_stop, self.st_arr, self.st_dep,
                           self.st_pickup, self.st_dropoff, inst_trip, inst_shift, ready, veh)
            out_veh[k] = np.minimum(out_veh[k - 1], veh)
            walk = np.full(n, UNREACHED, dtype=np.int64)
            _one_footpath(self.fp_offsets, self.fp_to, self.fp_duration, veh, walk)
            reached = veh < UNREACHED
            ready = np.minimum(ready, np.where(reached, veh + change, UNREACHED))
            ready = np.minimum(ready, walk)
            arrival = np.minimum(np.minimum(arrival, veh), walk)
            out[k] = arrival
        return (np.minimum(out, UNREACHED).astype(np.int32),
                np.minimum(out_veh, UNREACHED).astype(np.int32))


def pareto_front(arrivals: np.ndarray, targets) -> list[tuple[int, int]]:
    """Non-dominated (vehicles, arrival) at any of ``targets``, fewest vehicles first.

    ``arrivals[k]`` holds arrivals with at most k vehicles, so an entry is kept only where the
    best arrival strictly improves on every cheaper round.
    """
    targets = np.asarray(list(targets), dtype=np.int64)
    front: list[tuple[int, int]] = []
    best = UNREACHED
    for k in range(arrivals.shape[0]):
        value = int(arrivals[k, targets].min()) if targets.size else UNREACHED
        if value < best:
            front.append((k, value))
            best = value
    return front


def seconds_on_axis(when: dt.datetime, date: dt.date) -> int:
    """A datetime as seconds on the query's axis (since noon-minus-12h of ``date``).

    Aware datetimes convert exactly (through UTC, so DST days are right); naive ones are taken
    as wall-clock time from midnight, which is the same except on DST-change days.
    """
    if when.tzinfo is None:
        return int((when - dt.datetime.combine(date, dt.time())).total_seconds())
    noon = dt.datetime.combine(date, dt.time(12), when.tzinfo).astimezone(dt.timezone.utc)
    origin = noon - dt.timedelta(hours=12)
    return int((when.astimezone(dt.timezone.utc) - origin).total_seconds())
