"""With a GTFS-Realtime overlay, departure-time plans leave as late as they can too
(engine/raptor/boarding.py, engine/_boarding.pyx ``OverlayTrips``), checked against the changes
built into the static timetable.

One seeded draw of changes on the busiest service day (tests/reference/realtime_gen.py: delays,
skipped stops, cancellations, added trips) is applied to the unchanged bundle as a TripUpdates
feed, and built into a copy of the staged timetable (changed trips become trips of their own,
running that day only). For random station queries on that day, every itinerary of the plan:

- has the (arrival, vehicles) of the plan whose later trips are looked for among the static
  trips only (what the engine did before: journeys with a real-time ride stayed as found), and
  leaves no earlier;
- rides only what the changed timetable runs: each ride a trip of its route running on its
  service date, boarding and alighting at its legs' times where it picks up and drops off, and
  each change made in time (the stop's change time, or the walk between);
- boards, for its first ride, no later trip of the same route and stops than needed: none of
  them (changed or not, added trips aside), running that date or the next, not overtaking it, picking up
  and dropping off there, leaves later and still arrives in time for the second ride.

On Strasbourg, itineraries with a real-time ride do move (27 of 91 in 300 queries when measured).
And one case made on purpose on the sample: the trip after a first ride's own runs early, just in
time for the second ride, so the journey leaves later on it (a scheduled ride moving to the
overlay's twin); when that early trip skips the change stop, it does not.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.reference.feeds import feed_name, hhmmss, load_staged, sample_and_feed_params, served_stops
from tests.reference.leave_later import moved_pairs, plans
from tests.reference.realtime_gen import build_from_staged, busiest_day_changes, changed_staged

NO_PICKUP = 1           # GTFS pickup_type / drop_off_type: none
QUERIES = 600


class ChangedTrips:
    """The changed timetable's trips, to check rides against (trip-level stop times, no pattern)."""

    def __init__(self, changed, changes, bundle_path):
        from engine.bundle.reader import open_bundle
        from engine.raptor.request import DEFAULT_MIN_CHANGE_S

        self.offsets = np.asarray(changed.trip_offsets)
        self.stop, self.arr, self.dep = (np.asarray(a) for a in (changed.st_stop_idx, changed.st_arr, changed.st_dep))
        self.pickup, self.dropoff = np.asarray(changed.st_pickup), np.asarray(changed.st_dropoff)
        self.stop_ids = changed.stops.column("stop_id").to_pylist()
        self.stop_of = {s: i for i, s in enumerate(self.stop_ids)}
        self.route = changed.trips.column("route_idx").to_numpy()
        self.route_ids = changed.routes.column("route_id").to_pylist()
        self.service = changed.trips.column("service_idx").to_numpy()
        self.service_days, self.period_start = np.asarray(changed.service_days), changed.period_start
        n_static = len(self.route) - sum(c.kind != "cancel" for c in changes)
        added = [c.kind == "added" for c in changes if c.kind != "cancel"]
        self.added = np.array([False] * n_static + added, bool)
        # (stop, departure) -> [(trip, row)]: where a ride may have boarded
        self.boarding: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for t in range(len(self.route)):
            for r in range(int(self.offsets[t]), int(self.offsets[t + 1])):
                self.boarding.setdefault((int(self.stop[r]), int(self.dep[r])), []).append((t, r))
        # trips by (route, stops): what may stand in for a ride's trip
        self.alike: dict[tuple, list[int]] = {}
        for t in np.flatnonzero(~self.added).tolist():
            rows = slice(int(self.offsets[t]), int(self.offsets[t + 1]))
            self.alike.setdefault((int(self.route[t]), tuple(self.stop[rows].tolist())), []).append(t)
        bundle = open_bundle(bundle_path)
        changes_s = np.asarray(bundle.column("timetable/stops", "min_change_time"))
        self.change = {sid: (int(c) if c >= 0 else DEFAULT_MIN_CHANGE_S)
                       for sid, c in zip(bundle.strings("timetable/stops", "stop_id").to_pylist(), changes_s)}

    def _seconds(self, when: dt.datetime, day: int) -> int:
        """GTFS seconds of local time ``when`` on service day ``day`` (a day without a DST change)."""
        midnight = dt.datetime.combine(self.period_start + dt.timedelta(days=day), dt.time())
        return int((when.replace(tzinfo=None) - midnight).total_seconds())

    def ride(self, leg, day: int) -> tuple[int, int, int, int]:
        """(trip, service day, boarding row, alighting row) of a transit leg in the changed
        timetable (query day ``day``, its trip's service day that or the one before or after);
        fails when no trip of its route runs there so."""
        origin, dest = self.stop_of[leg.origin.stop_id], self.stop_of[leg.destination.stop_id]
        for d in (day, day - 1, day + 1):
            dep, arr = self._seconds(leg.departure, d), self._seconds(leg.arrival, d)
            for t, r in self.boarding.get((origin, dep), []):
                a = r + leg.n_stops
                if a < int(self.offsets[t + 1]) and self.stop[a] == dest and self.arr[a] == arr and \
                        self.service_days[self.service[t], d] and self.route_ids[self.route[t]] == leg.route_id \
                        and self.pickup[r] != NO_PICKUP and self.dropoff[a] != NO_PICKUP:
                    return t, d, r, a
        raise AssertionError(f"no trip of route {leg.route_id} runs {leg.origin.stop_id} {leg.departure:%H:%M:%S} -> "
                             f"{leg.destination.stop_id} {leg.arrival:%H:%M:%S}")

    def check(self, it, day: int, q) -> bool:
        """Every ride runs in the changed timetable, every change is made in time, and no trip
        alike to the first ride's would leave later for the second ride (module docstring).
        False when the itinerary has fewer than two rides (nothing to compare)."""
        rides = [i for i, leg in enumerate(it.legs) if leg.mode == "transit"]
        found = [self.ride(it.legs[i], day) for i in rides]
        for i, j in zip(rides, rides[1:]):
            between = it.legs[i + 1:j]
            need = sum(leg.duration_s for leg in between) if between else \
                self.change[it.legs[i].destination.stop_id]
            assert (it.legs[j].departure - it.legs[i].arrival).total_seconds() >= need, q
        if len(rides) < 2:
            return False
        (t, d, b_row, a_row), ride, second = found[0], it.legs[rides[0]], it.legs[rides[1]]
        between = it.legs[rides[0] + 1:rides[1]]
        need = sum(leg.duration_s for leg in between) if between else self.change[ride.destination.stop_id]
        deadline = self._seconds(second.departure, d) - need
        b, a = b_row - int(self.offsets[t]), a_row - int(self.offsets[t])
        rows = np.arange(int(self.offsets[t]), int(self.offsets[t + 1]))
        for shift in (0, 1):        # (its service day and the next, on its clock)
            if d + shift >= self.service_days.shape[1]:
                continue
            for other in self.alike.get((int(self.route[t]), tuple(self.stop[rows].tolist())), []):
                o = np.arange(int(self.offsets[other]), int(self.offsets[other + 1]))
                if (other == t and not shift) or not self.service_days[self.service[other], d + shift]:
                    continue
                if self.pickup[o[b]] == NO_PICKUP or self.dropoff[o[a]] == NO_PICKUP:
                    continue
                dep, arr = self.dep[o] + shift * 86400, self.arr[o] + shift * 86400
                if (dep < self.dep[rows]).any() or (arr < self.arr[rows]).any():
                    continue            # (earlier, or overtaking)
                assert not (dep[b] > self.dep[rows[b]] and arr[a] <= deadline), (q, other, shift)
        return True


@pytest.fixture(scope="module", params=sample_and_feed_params(["gtfs-fr-strasbourg-cts"]))
def case(request, tmp_path_factory):
    import engine

    out = tmp_path_factory.mktemp("rt-late")
    if request.param == "sample":
        sources, n_changes = [("sample", request.getfixturevalue("sample_paths").gtfs)], 120
    else:
        sources, n_changes = [(feed_name(request.param), request.param)], 2000
    staged = load_staged(sources)
    day, changes, message = busiest_day_changes(staged, n_changes, 2026, sources[0][0])
    base = build_from_staged(staged, out / "base.bundle")
    net = engine.open(str(base))
    net.apply_realtime(message)
    trips = ChangedTrips(changed_staged(staged, changes), changes, base)
    rng = np.random.default_rng(515)
    stops = served_stops(staged)
    ids = staged.stops.column("stop_id").to_pylist()
    date = (staged.period_start + dt.timedelta(days=day)).isoformat()
    queries = []
    for _ in range(QUERIES):
        a, b = rng.choice(stops, size=2, replace=False)
        queries.append((ids[a], ids[b], date, hhmmss(int(rng.integers(5 * 3600, 23 * 3600)))))
    return sources[0][0], net, trips, day, queries


def _static_only(function):
    """``function`` (later_trips / board_later) with the overlay's trips out of its reach."""
    def call(tt, raw, *args):
        return function(tt, raw, *args[:-2])        # (the planner passes the overlay and day last)
    return call


def test_realtime_plans_leave_as_late_as_they_can(case, monkeypatch):
    import engine.raptor.planner as planner

    name, net, trips, day, queries = case
    checked = moved = on_overlay = 0
    for q in queries:
        plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4)
        assert plan.stats["realtime"]
        with monkeypatch.context() as m:
            m.setattr(planner, "later_trips", _static_only(planner.later_trips))
            m.setattr(planner, "board_later", _static_only(planner.board_later))
            before = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4)
        for it, old in moved_pairs(plan, before, q):
            checked += trips.check(it, day, q)
            if it.departure > old.departure:
                moved += 1
                on_overlay += any(leg.realtime for leg in old.legs)
    assert checked > QUERIES // 4
    if name != "sample":
        assert on_overlay > 3, (moved, on_overlay)


def test_walking_criterion_with_the_overlay_leaves_later(case, monkeypatch):
    """optimize=walking with the overlay: journeys move as they do without one (before, not at
    all with an overlay), to what the changed timetable runs, walking as much."""
    from engine.criteria.mcraptor import McQuery

    name, net, trips, day, queries = case
    checked = moved = 0
    for q in queries[:QUERIES // 6]:
        plan, before = plans(net, q, monkeypatch, (McQuery, "leave_later"), lambda self, journeys, start: journeys,
                             max_transfers=3, optimize=("arrival", "transfers", "walking"))
        for it, old in moved_pairs(plan, before, q, walking=True):
            checked += trips.check(it, day, q)
            moved += it.departure > old.departure
    assert checked > 10 and moved > 3, (checked, moved)


def _early_trip_case(staged, net, day: int):
    """A sample itinerary of two rides whose first ride waits at the change (slack > 0), and the
    trip after its own on the same route and stops, which arrives too late for the second ride:
    (query, first ride's staged trip, that next trip, boarding and alighting positions, slack s)."""
    from engine.raptor.request import DEFAULT_MIN_CHANGE_S

    trip_ids = staged.trips.column("trip_id").to_pylist()
    trip_of = {t: i for i, t in enumerate(trip_ids)}
    offsets, stop, dep, arr = (np.asarray(a) for a in (staged.trip_offsets, staged.st_stop_idx, staged.st_dep,
                                                       staged.st_arr))
    route, service = staged.trips.column("route_idx").to_numpy(), staged.trips.column("service_idx").to_numpy()
    runs = np.asarray(staged.service_days)[:, day]
    ids = staged.stops.column("stop_id").to_pylist()
    date = (staged.period_start + dt.timedelta(days=day)).isoformat()
    tt = net.timetable
    rng = np.random.default_rng(99)
    stops = served_stops(staged)
    for _ in range(400):
        a, b = rng.choice(stops, size=2, replace=False)
        q = (ids[a], ids[b], date, hhmmss(int(rng.integers(6 * 3600, 20 * 3600))))
        for it in net.plan(q[0], q[1], date=date, time=q[3], max_transfers=3, realtime=False).itineraries:
            rides = [i for i, leg in enumerate(it.legs) if leg.mode == "transit"]
            if len(rides) != 2 or rides[1] != rides[0] + 1:
                continue
            first, second = it.legs[rides[0]], it.legs[rides[1]]
            change = int(tt.stop_min_change[tt.find_stop_id(first.destination.stop_id)])
            slack = (second.departure - first.arrival).total_seconds() - (change if change >= 0 else
                                                                            DEFAULT_MIN_CHANGE_S)
            t0 = trip_of[first.trip_id]
            rows = np.arange(offsets[t0], offsets[t0 + 1])
            starts = [i for i in range(len(rows)) if ids[stop[rows[i]]] == first.origin.stop_id]
            if slack <= 60 or not starts:
                continue
            bpos = starts[0]
            apos = bpos + first.n_stops
            alike = [t for t in np.flatnonzero((route == route[t0]) & runs[service]).tolist()
                     if offsets[t + 1] - offsets[t] == len(rows) and
                     (stop[offsets[t]:offsets[t + 1]] == stop[rows]).all() and dep[offsets[t] + bpos] > dep[rows[bpos]]]
            if alike:
                t1 = min(alike, key=lambda t: dep[offsets[t] + bpos])
                # (it must arrive too late, yet leave later than the ride's trip once early)
                early = int(arr[rows[apos]]) + int(slack) - int(arr[offsets[t1] + apos])
                if early < 0 and int(dep[offsets[t1] + bpos]) + early > int(dep[rows[bpos]]):
                    return q, t0, t1, bpos, apos, int(slack), rows
    raise AssertionError("no sample itinerary waits at its change")


@pytest.mark.parametrize("skip_alighting", [False, True], ids=["runs-early", "skips-the-change-stop"])
def test_first_ride_moves_to_a_trip_running_early(sample_paths, tmp_path, skip_alighting):
    """The trip after the first ride's own runs early (a negative delay) so that it reaches the
    change stop just in time for the second ride: the journey leaves later on it, a real-time
    ride (static -> overlay twin). When that early trip skips the change stop it cannot."""
    import engine
    from tests.reference.realtime_gen import Change, epoch_function, feed_message

    staged = load_staged([("sample", sample_paths.gtfs)])
    net = engine.open(str(build_from_staged(staged, tmp_path / "base.bundle")))
    day = next(d for d in range(1, staged.n_days) if (staged.period_start + dt.timedelta(days=d)).weekday() < 5)
    q, t0, t1, bpos, apos, slack, rows = _early_trip_case(staged, net, day)
    offsets, dep, arr = np.asarray(staged.trip_offsets), np.asarray(staged.st_dep), np.asarray(staged.st_arr)
    r1 = np.arange(offsets[t1], offsets[t1 + 1])
    # (t1 reaches the alighting stop when the traveller must be there for the second ride)
    early = int(arr[rows[apos]]) + slack - int(arr[r1[apos]])
    assert early < 0 and int(dep[r1[bpos]]) + early > int(dep[rows[bpos]])
    skipped = np.zeros(len(r1), bool)
    stus = [(0, "SCHEDULED", ("delay", early), ("delay", early))]
    if skip_alighting:
        skipped[apos] = True
        stus.append((apos, "SKIPPED", None, None))
    change = Change("delay", t1, day, arr[r1] + early, dep[r1] + early, skipped, stus)
    epoch_of = epoch_function(staged)
    net.apply_realtime(feed_message(staged, [change], "sample", epoch_of, epoch_of(day) + 12 * 3600))
    before = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=3, realtime=False)
    plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=3)
    assert [(it.arrival, it.n_vehicles) for it in plan.itineraries] == \
        [(it.arrival, it.n_vehicles) for it in before.itineraries]
    trip_ids = staged.trips.column("trip_id").to_pylist()
    firsts = [next(leg for leg in it.legs if leg.mode == "transit") for it in plan.itineraries]
    on_early = [leg for leg in firsts if leg.trip_id == trip_ids[t1]]
    if skip_alighting:
        assert not on_early and any(leg.trip_id == trip_ids[t0] for leg in firsts), q
    else:
        assert len(on_early) == 1 and on_early[0].realtime and on_early[0].delay_s == early, q
        moved = (on_early[0].departure - next(leg for leg in before.itineraries[firsts.index(on_early[0])].legs
                                               if leg.mode == "transit").departure).total_seconds()
        assert moved == slack, q
