"""Properties every journey must have, on the built-in sample and one real feed (NYC subway:
transfers.txt change times, parent stations). Seeded loops, so failures are reproducible.

- an itinerary leaves at or after the query time and never arrives before it leaves;
- legs are continuous and ordered in time; a change at the same stop takes the change time; a
  walk between stops is a bundle footpath and lasts at least its duration;
- every transit leg is a real trip of the staged timetable (running that day, boarding and
  alighting allowed) with the timetable's times;
- later departure never arrives earlier (FIFO), more rounds never arrive later;
- Pareto sets are non-dominated and sorted; earliest_arrivals agrees with plan().
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from engine._types import NO_VALUE, SECONDS_PER_DAY, UNREACHED

from tests.reference.csa import seconds_on_axis
from tests.reference.feeds import build_feed, feed_name, gtfs_feeds, hhmmss, random_queries

REAL_FEED = "gtfs-us-nyc-subway/nyc_subway.zip"
N_PLANS = 30
N_FIFO = 12


def _params():
    params = [pytest.param("sample", id="sample")]
    real = [p for p in gtfs_feeds() if p.as_posix().endswith(REAL_FEED)]
    if real:
        params.append(pytest.param(real[0], id=feed_name(real[0]), marks=pytest.mark.realdata))
    else:
        params.append(pytest.param(None, id="realdata", marks=pytest.mark.skip(
            reason=f"{REAL_FEED} absent: shared data folder missing (set BRIQUE_DATA)")))
    return params


class Checker:
    """A built feed with the lookups the properties need."""

    def __init__(self, built, net):
        self.built, self.net, self.staged = built, net, built.staged
        st = self.staged
        self.stop_ids = st.stops.column("stop_id").to_pylist()
        self.stop_of = {s: i for i, s in enumerate(self.stop_ids)}
        self.trip_of = {t: i for i, t in enumerate(st.trips.column("trip_id").to_pylist())}
        self.trip_service = st.trips.column("service_idx").to_numpy()
        tt = net.timetable
        self.change = np.asarray(tt.stop_min_change)
        offsets, to = np.asarray(tt.footpath_offsets), np.asarray(tt.footpath_to)
        dur = np.asarray(tt.footpath_duration)
        self.footpath = {(int(s), int(to[e])): int(dur[e])
                         for s in range(len(offsets) - 1) for e in range(offsets[s], offsets[s + 1])}

    def runs(self, trip: int, date: dt.date, shift_days: int) -> bool:
        day = (date - self.staged.period_start).days + shift_days
        return 0 <= day < self.staged.n_days and bool(self.staged.service_days[self.trip_service[trip], day])

    def transit_leg_problem(self, leg, date: dt.date) -> str | None:
        """None if the leg is a ride of its trip between two of its stops at timetable times."""
        st = self.staged
        trip = self.trip_of.get(leg.trip_id)
        if trip is None:
            return f"unknown trip {leg.trip_id}"
        dep, arr = seconds_on_axis(leg.departure, date), seconds_on_axis(leg.arrival, date)
        a, b = int(st.trip_offsets[trip]), int(st.trip_offsets[trip + 1])
        board, alight = self.stop_of[leg.origin.stop_id], self.stop_of[leg.destination.stop_id]
        for i in range(a, b):
            if st.st_stop_idx[i] != board or st.st_pickup[i] == 1:
                continue
            shift = dep - int(st.st_dep[i])
            if shift % SECONDS_PER_DAY or not self.runs(trip, date, shift // SECONDS_PER_DAY):
                continue
            for j in range(i + 1, b):
                if (st.st_stop_idx[j] == alight and st.st_dropoff[j] != 1
                        and int(st.st_arr[j]) + shift == arr):
                    return None
        return (f"trip {leg.trip_id} has no ride {leg.origin.stop_id} {hhmmss(dep)} -> "
                f"{leg.destination.stop_id} {hhmmss(arr)} on {date} (pickup/drop-off/service)")

    def itinerary_problems(self, it, q, mct: int, origins: set[int], targets: set[int]) -> list[str]:
        date, out = q.date, []
        dep, arr = seconds_on_axis(it.departure, date), seconds_on_axis(it.arrival, date)
        if dep < q.time_s:
            out.append(f"leaves {hhmmss(dep)} before the query time {hhmmss(q.time_s)}")
        if arr < dep:
            out.append("arrives before it leaves")
        if not it.legs:
            return out + ["no legs"]
        if self.stop_of[it.legs[0].origin.stop_id] not in origins:
            out.append(f"first leg starts at {it.legs[0].origin.stop_id}, not at the origin")
        if self.stop_of[it.legs[-1].destination.stop_id] not in targets:
            out.append(f"last leg ends at {it.legs[-1].destination.stop_id}, not at the destination")
        if sum(leg.mode == "transit" for leg in it.legs) != it.n_vehicles:
            out.append("n_vehicles differs from the number of transit legs")
        prev = None
        for leg in it.legs:
            l_dep, l_arr = seconds_on_axis(leg.departure, date), seconds_on_axis(leg.arrival, date)
            if l_arr < l_dep:
                out.append(f"leg {leg.origin.stop_id}->{leg.destination.stop_id} arrives before it leaves")
            if leg.mode == "transit":
                problem = self.transit_leg_problem(leg, date)
                if problem:
                    out.append(problem)
            elif leg.mode == "walk":
                pair = (self.stop_of[leg.origin.stop_id], self.stop_of[leg.destination.stop_id])
                if pair not in self.footpath:
                    out.append(f"walk {pair} is not a footpath of the bundle")
                elif l_arr - l_dep < self.footpath[pair]:
                    out.append(f"walk {pair} takes {l_arr - l_dep} s < footpath {self.footpath[pair]} s")
                if prev is not None and prev.mode == "walk":
                    out.append("two walks in a row (chained footpaths)")
            if prev is not None:
                p_arr = seconds_on_axis(prev.arrival, date)
                if prev.destination.stop_id != leg.origin.stop_id:
                    out.append(f"gap between {prev.destination.stop_id} and {leg.origin.stop_id}")
                if l_dep < p_arr:
                    out.append(f"leg at {leg.origin.stop_id} leaves {hhmmss(l_dep)} before the previous "
                               f"arrives {hhmmss(p_arr)}")
                if prev.mode == "transit" and leg.mode == "transit":
                    s = self.stop_of[leg.origin.stop_id]
                    change = int(self.change[s]) if self.change[s] != NO_VALUE else mct
                    if l_dep < p_arr + change:
                        out.append(f"change at {leg.origin.stop_id} takes {l_dep - p_arr} s < {change} s")
            prev = leg
        return out


@pytest.fixture(scope="module", params=_params())
def checker(request, tmp_path_factory):
    import engine

    out = tmp_path_factory.mktemp("props")
    if request.param == "sample":
        gtfs = request.getfixturevalue("sample_paths").gtfs       # the plugin's, written once per run
        built = build_feed(out, [("sample", gtfs)], "sample")
    else:
        name = feed_name(request.param)
        built = build_feed(out, [(name, request.param)], name)
    return Checker(built, engine.open(str(built.bundle)))


def test_itineraries_are_consistent_rides(checker):
    net, ids = checker.net, checker.stop_ids
    problems, n_itineraries = [], 0
    for i, q in enumerate(random_queries(checker.staged, N_PLANS, seed=21, avoid_dst=False)):
        mct = (0, 60, 120, 300)[i % 4]
        plan = net.plan(ids[q.origin], ids[q.target], date=q.date, time=hhmmss(q.time_s),
                        max_transfers=4, min_change_time=mct)
        origins, targets = set(net.stop_indices(ids[q.origin])), set(net.stop_indices(ids[q.target]))
        for it in plan.itineraries:
            n_itineraries += 1
            for p in checker.itinerary_problems(it, q, mct, origins, targets):
                problems.append(f"{ids[q.origin]} -> {ids[q.target]} {q.date} {hhmmss(q.time_s)} "
                                f"mct={mct}: {p}")
    assert n_itineraries >= N_PLANS // 3, "too few journeys found for the check to mean anything"
    assert not problems, "\n".join(problems[:20])


def test_pareto_sets_sorted_and_non_dominated(checker):
    net, ids = checker.net, checker.stop_ids
    for q in random_queries(checker.staged, N_PLANS, seed=22, avoid_dst=False):
        plan = net.plan(ids[q.origin], ids[q.target], date=q.date, time=hhmmss(q.time_s), max_transfers=5)
        points = [(seconds_on_axis(it.arrival, q.date), it.n_vehicles) for it in plan.itineraries]
        assert points == sorted(points), f"not sorted by arrival: {points}"
        for (a1, v1), (a2, v2) in zip(points, points[1:]):
            assert a1 < a2 and v1 > v2, f"dominated itinerary in {points}"
        assert all(it.n_vehicles <= 6 for it in plan.itineraries)


def test_fifo_and_rounds_monotone(checker):
    net = checker.net
    rng = np.random.default_rng(23)
    for q in random_queries(checker.staged, N_FIFO, seed=24, avoid_dst=False):
        origin = np.array([q.origin], np.int32)
        later = q.time_s + int(rng.integers(1, 3600))
        early = net.round_arrivals(origin, np.array([q.time_s], np.int32), q.date, max_rounds=5)
        late = net.round_arrivals(origin, np.array([later], np.int32), q.date, max_rounds=5)
        assert early[0, q.origin] == q.time_s and late[0, q.origin] == later
        assert np.all(early <= late), "a later departure arrives earlier somewhere (not FIFO)"
        assert np.all(np.diff(early, axis=0) <= 0), "more rounds gave a later arrival"
        reached = early[0] < UNREACHED
        assert np.all(early[0][reached] >= q.time_s), "arrival before departure"


def test_earliest_arrivals_match_first_itinerary(checker):
    net, ids = checker.net, checker.stop_ids
    compared = 0
    for q in random_queries(checker.staged, N_FIFO, seed=25, avoid_dst=False):
        origin, target = ids[q.origin], ids[q.target]
        best = net.earliest_arrivals(origin, date=q.date, time=hhmmss(q.time_s), max_transfers=8)
        plan = net.plan(origin, target, date=q.date, time=hhmmss(q.time_s), max_transfers=8)
        if not plan.itineraries:
            assert target not in best or target == origin
            continue
        compared += 1
        assert best[target] == plan.itineraries[0].arrival, (
            f"{origin} -> {target} {q.date} {hhmmss(q.time_s)}: earliest_arrivals {best[target]}, "
            f"plan {plan.itineraries[0].arrival}")
    assert compared > 0
