"""wheelchair=True / bikes=True with a GTFS-Realtime overlay = the same changes built into the
static timetable, filtered = the filtered reference over that timetable.

For the built-in sample and the real feeds that carry the flags (BART: wheelchair_accessible and
bikes_allowed 0 and 1; Caltrain: the same, and stops with wheelchair_boarding 2), one seeded draw
of changes (tests/reference/realtime_gen.py: delays, skipped stops, cancellations, added trips)
is applied to the unchanged bundle as a TripUpdates feed, and built into a copy of the static
timetable as a second bundle. In that copy a changed trip keeps its scheduled trip's row (its
flags), and a trip the feed added gets wheelchair_accessible = bikes_allowed = 0: GTFS-Realtime
gives added trips no flags, so a filter must leave them out (engine/criteria/filters.py). The
filtered plans with the overlay must equal the filtered plans of the changed bundle (departure,
arrival, vehicles, also arrive-by and ranges) and the Pareto front of the filtered reference
solver over the changed timetable, and never ride a trip or use a stop the filters exclude.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest

from tests.reference.csa import pareto_front, seconds_on_axis
from tests.reference.feeds import feed_name, hhmmss, load_staged, sample_and_feed_params
from tests.reference.filters_reference import filter_flags, filtered_reference
from tests.reference.realtime_gen import build_from_staged, busiest_day_changes, changed_staged, day_queries

MAX_ROUNDS = 4
REAL_FEEDS = ("gtfs-us-bart", "gtfs-us-caltrain")
WHEELCHAIR, BIKES = dict(wheelchair=True), dict(bikes=True)


def _without_flags(staged, changes):
    """The changed timetable's added trips (trip_id rt-<i>, changes[i] "added") get no flags."""
    added = {f"rt-{i}" for i, c in enumerate(changes) if c.kind == "added"}
    trips = staged.trips
    is_added = np.array([t in added for t in trips.column("trip_id").to_pylist()])
    for name in ("wheelchair_accessible", "bikes_allowed"):
        column = trips.column(name)
        values = np.where(is_added, 0, np.asarray(column.to_pylist(), np.int64))
        trips = trips.set_column(trips.schema.get_field_index(name), name, pa.array(values, column.type))
    staged.trips = trips
    return staged


@pytest.fixture(scope="module", params=sample_and_feed_params(list(REAL_FEEDS)))
def case(request, tmp_path_factory):
    import engine

    out = tmp_path_factory.mktemp("rt_filters")
    if request.param == "sample":
        sources = [("sample", request.getfixturevalue("sample_paths").gtfs)]
        n_changes, n_queries, filters = 150, 150, [WHEELCHAIR]    # (the sample has no bikes_allowed)
    else:
        sources = [(feed_name(request.param), request.param)]
        n_changes, n_queries, filters = 600, 80, [WHEELCHAIR, BIKES, dict(wheelchair=True, bikes=True)]
    staged = load_staged(sources)
    day, changes, message = busiest_day_changes(staged, n_changes, 2027, sources[0][0])
    base = build_from_staged(staged, out / "base.bundle")
    changed = _without_flags(changed_staged(staged, changes), changes)
    changed_bundle = build_from_staged(changed, out / "changed.bundle")
    net = engine.open(str(base))
    net.apply_realtime(message)
    queries = day_queries(staged, day, n_queries, 31)
    return SimpleNamespace(net=net, static=engine.open(str(changed_bundle)), staged=staged, changed=changed,
                           changed_bundle=changed_bundle, changes=changes, queries=queries, filters=filters,
                           name=sources[0][0], ref_ids=[net.timetable.stop_id(s) for s in range(net.timetable.n_stops)])


def _journeys(plan):
    return [(it.departure, it.arrival, it.n_vehicles) for it in plan.itineraries]


def test_filtered_realtime_plans_equal_static_and_reference(case, monkeypatch):
    # (the searches are compared, as they leave: a plan's journeys then leave as late as their
    # patterns allow, engine/raptor/boarding.py, and the changed bundle groups its changed trips
    # into other patterns than the overlay does)
    monkeypatch.setattr("engine.raptor.planner.later_trips", lambda tt, raw, *args: raw)
    monkeypatch.setattr("engine.raptor.planner.board_later", lambda tt, raw, *args: raw)
    net, static, changed = case.net, case.static, case.changed
    trip_index = {t: i for i, t in enumerate(changed.trips.column("trip_id").to_pylist())}
    base_trips = {t: i for i, t in enumerate(case.staged.trips.column("trip_id").to_pylist())}
    tt = net.timetable
    failures = []
    for filters in case.filters:
        stop_ok, trip_ok = filter_flags(changed, filters)
        ref = filtered_reference(SimpleNamespace(staged=changed, bundle=case.changed_bundle), stop_ok, trip_ok,
                                 bool(filters.get("wheelchair")))
        rides = on_overlay = 0
        for i, (origin, target, date, t) in enumerate(case.queries):
            a, b = ref.stop_ids[origin], ref.stop_ids[target]
            kw = dict(date=date.isoformat(), time=hhmmss(t), max_transfers=MAX_ROUNDS - 1, **filters)
            plan = net.plan(a, b, **kw)
            assert plan.stats["realtime"] is True
            want = _journeys(static.plan(a, b, **kw))
            if _journeys(plan) != want:
                failures.append(f"{filters} query {i}: {a} -> {b} {date} {hhmmss(t)}: overlay {_journeys(plan)}, "
                                f"changed bundle {want}")
            arrivals = ref.round_arrivals(np.array([origin], np.int32), np.array([t], np.int32), date, MAX_ROUNDS)
            front = sorted({(it.n_vehicles, seconds_on_axis(it.arrival, date)) for it in plan.itineraries})
            got, best = [], 1 << 40
            for v, arr in front:
                if arr < best:
                    got.append((v, arr))
                    best = arr
            if got != pareto_front(arrivals, [target]):
                failures.append(f"{filters} query {i}: {a} -> {b}: plan {got}, reference "
                                f"{pareto_front(arrivals, [target])}")
            for it in plan.itineraries:
                for leg in it.legs:
                    if leg.mode != "transit":
                        continue
                    rides += 1
                    on_overlay += bool(leg.realtime)
                    # an overlay leg names its scheduled trip (never an added one); both ends allowed
                    trip = base_trips.get(leg.trip_id)
                    assert trip is not None, f"{filters}: a trip the feed added ({leg.trip_id}) was ridden"
                    assert trip_ok[trip_index[leg.trip_id]], f"{filters}: excluded trip {leg.trip_id} ridden"
                    for end in (leg.origin.stop_id, leg.destination.stop_id):
                        assert stop_ok[tt.find_stop_id(end)], f"{filters}: excluded stop {end}"
        # the comparison means something: filtered journeys ride, some on real-time trips
        assert rides > 0 and (on_overlay > 0 or not trip_ok.any()), (case.name, filters, rides, on_overlay)
    assert not failures, f"{case.name}: " + "\n".join(failures[:10])


def test_filtered_arrive_by_and_range_use_the_overlay(case):
    net, static = case.net, case.static
    stop_ids = case.ref_ids
    for origin, target, date, t in case.queries[:6]:
        a, b = stop_ids[origin], stop_ids[target]
        for kw in ({"window_s": 1800}, {"arrive_by": True, "max_window_s": 3 * 3600}):
            got = _journeys(net.plan(a, b, date=date.isoformat(), time=hhmmss(t), **case.filters[0], **kw))
            want = _journeys(static.plan(a, b, date=date.isoformat(), time=hhmmss(t), **case.filters[0], **kw))
            assert got == want, (a, b, date, t, kw)


def test_filters_with_and_without_the_overlay_differ(case):
    """realtime=False plans the filtered schedule: for some query the overlay changes the answer."""
    net = case.net
    stop_ids = case.ref_ids
    differ = 0
    for origin, target, date, t in case.queries:
        kw = dict(date=date.isoformat(), time=hhmmss(t), **case.filters[0])
        live = net.plan(stop_ids[origin], stop_ids[target], **kw)
        planned = net.plan(stop_ids[origin], stop_ids[target], realtime=False, **kw)
        assert planned.stats["realtime"] is False
        differ += _journeys(live) != _journeys(planned)
    assert differ > 0
