"""optimize=("arrival", "transfers", "walking") (McRAPTOR, issue 14) against the exhaustive
round-layered reference (tests/reference/mc_reference.py) on the sample and small real feeds:
the Pareto set of (arrival, vehicles, walking seconds) must be equal for seeded random queries
(stop to stop and station to station, some at night), also with the wheelchair filter. Each
itinerary's walking (``stats["walking_s"]``) is the sum of its walk legs, and the two-criteria
Pareto set is the projection of the three-criteria one.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.criteria.filters import Filters

from tests.reference.csa import ReferenceSolver, seconds_on_axis
from tests.reference.feeds import build_param_feed, hhmmss, random_queries, sample_and_feed_params
from tests.reference.mc_reference import mc_reference

WALKING = ("arrival", "transfers", "walking")
MAX_ROUNDS = 4
FEED_DIRS = ["gtfs-us-caltrain", "gtfs-us-bart", "gtfs-de-berlin-subset", "gtfs-fr-strasbourg-cts"]
N_QUERIES = {"sample": 40, "fr_strasbourg_cts": 6}      # the reference takes ~2 s a query on Strasbourg
DEFAULT_QUERIES = 12


@pytest.fixture(scope="module", params=sample_and_feed_params(FEED_DIRS))
def feed(request, tmp_path_factory):
    import engine

    built = build_param_feed(request, tmp_path_factory.mktemp("mc"))
    net = engine.open(str(built.bundle))
    n = N_QUERIES.get(built.name, DEFAULT_QUERIES)
    return built, net, random_queries(built.staged, n, 23, avoid_dst=False, night_every=4)


def _station(built, ref, stop):
    parent = int(built.staged.stops.column("parent_idx")[stop].as_py())
    return ref.stop_ids[parent if parent >= 0 else stop]


def _engine_front(plan, date):
    return {(seconds_on_axis(it.arrival, date), it.n_vehicles, w)
            for it, w in zip(plan.itineraries, plan.stats["walking_s"])}


@pytest.mark.parametrize("options", [dict(min_change_time=60), dict(min_change_time=0, walk_after_last=False),
                                     dict(min_change_time=120, walk_before_first=False)],
                         ids=["default", "no-last-walk", "no-first-walk"])
def test_three_criteria_equal_reference(feed, options):
    built, net, queries = feed
    ref = ReferenceSolver(built.staged, built.bundle)
    failures, sizes = [], []
    for i, q in enumerate(queries):
        o, t = ref.stop_ids[q.origin], ref.stop_ids[q.target]
        if i % 3 == 2:
            o, t = _station(built, ref, q.origin), _station(built, ref, q.target)
        plan = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=MAX_ROUNDS - 1,
                        optimize=WALKING, **options)
        origins = net.stop_indices(o)
        want = mc_reference(ref, origins, [q.time_s] * len(origins), q.date, net.stop_indices(t), MAX_ROUNDS,
                            options.get("min_change_time", 60), options.get("walk_before_first", True),
                            options.get("walk_after_last", True))
        got = _engine_front(plan, q.date)
        sizes.append(len(got))
        if got != want:
            failures.append(f"query {i}: {o} -> {t} {q.date} {hhmmss(q.time_s)}: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
        for it, w in zip(plan.itineraries, plan.stats["walking_s"]):
            assert w == sum(leg.duration_s for leg in it.legs if leg.mode == "walk")
    mc = net._criteria_cache[("mc", Filters())]
    legs = mc.planner.legs
    for i, q in enumerate(queries[:10]):      # the per-query leg cache builds what build(raw) builds
        o, t = net.stop_indices(ref.stop_ids[q.origin]), net.stop_indices(ref.stop_ids[q.target])
        ws = mc.run(o, [q.time_s] * len(o), [0] * len(o), t, [0] * len(t), [0] * len(t),
                    net.timetable.day_index(q.date), MAX_ROUNDS, 60, True, True)
        leg_cache, tz = {}, mc.planner.timezone(mc.planner.stop_endpoint(o))
        for label in range(min(ws.n_labels, 300)):
            raw = mc._raw_legs(ws, label)
            assert mc.build_legs(raw, q.date, tz, leg_cache) == legs.build(raw, q.date, tz, None)
    assert not failures, f"{built.name}: " + "\n".join(failures)
    assert max(sizes) >= 1


def test_two_criteria_are_the_projection(feed):
    built, net, queries = feed
    ref = ReferenceSolver(built.staged, built.bundle)
    for q in queries:
        o, t = ref.stop_ids[q.origin], ref.stop_ids[q.target]
        kw = dict(date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=MAX_ROUNDS - 1)
        two = net.plan(o, t, **kw)
        three = net.plan(o, t, optimize=WALKING, **kw)

        def front(plan):
            out, best = [], None
            for v, a in sorted({(it.n_vehicles, seconds_on_axis(it.arrival, q.date)) for it in plan.itineraries}):
                if best is None or a < best:
                    out.append((v, a))
                    best = a
            return out

        assert front(two) == front(three)


def test_three_criteria_with_wheelchair_use_no_excluded_trip(feed):
    built, net, queries = feed
    ok = np.asarray(built.staged.trips.column("wheelchair_accessible").to_pylist()) == 1
    index = {tid: i for i, tid in enumerate(built.staged.trips.column("trip_id").to_pylist())}
    for q in queries[:8]:
        plan = net.plan(net.timetable.stop_id(q.origin), net.timetable.stop_id(q.target), date=q.date.isoformat(),
                        time=hhmmss(q.time_s), optimize=WALKING, wheelchair=True)
        for it in plan.itineraries:
            for leg in it.legs:
                assert leg.mode != "transit" or ok[index[leg.trip_id]]


def test_optimize_is_checked(sample_network):
    from engine.errors import InvalidQueryError

    tt = sample_network.timetable
    stop = tt.stop_id(int(np.flatnonzero(tt.stop_location_type == 0)[0]))
    date = tt.period_start.isoformat()
    for bad, parameter in ((("arrival", "transfers", "fare"), "optimize"), (("walking",), "optimize"), ("x", "optimize")):
        with pytest.raises(InvalidQueryError) as err:
            sample_network.plan(stop, stop, date=date, time="08:00", optimize=bad)
        assert err.value.parameter == parameter
    with pytest.raises(InvalidQueryError) as err:      # (arrive_by and window_s work with criteria)
        sample_network.plan(stop, stop, date=date, time="08:00", optimize=WALKING, arrive_by=True, window_s=1800)
    assert err.value.parameter == "window_s"


def test_optimize_odd_values_are_invalid_queries(sample_network):
    """Unhashable or non-string criteria (e.g. JSON-decoded [["walking"]]) and a non-boolean
    realtime are InvalidQueryError, not TypeError / silently ignored."""
    from engine.errors import InvalidQueryError

    tt = sample_network.timetable
    stop = tt.stop_id(int(np.flatnonzero(tt.stop_location_type == 0)[0]))
    date = tt.period_start.isoformat()
    for bad in ([["arrival"], "transfers"], [{"a": 1}], ("arrival", "transfers", 3), ["arrival", "transfers", None]):
        with pytest.raises(InvalidQueryError) as err:
            sample_network.plan(stop, stop, date=date, time="08:00", optimize=bad)
        assert err.value.parameter == "optimize"
    for realtime in ("yes", 1):
        with pytest.raises(InvalidQueryError) as err:
            sample_network.plan(stop, stop, date=date, time="08:00", optimize=WALKING, realtime=realtime)
        assert err.value.parameter == "realtime"
    # numpy's True is True (no overlay applied here: the schedule; with one,
    # tests/differential/test_criteria_realtime_vs_static.py)
    plan = sample_network.plan(stop, stop, date=date, time="08:00", optimize=WALKING, realtime=np.True_)
    assert plan.stats["realtime"] is False
