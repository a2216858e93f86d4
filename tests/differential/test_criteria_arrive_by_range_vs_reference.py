"""Arrive-by and range queries with a third criterion (engine/criteria/arrive_by.py, range.py)
against the plain forward references (walking: mc_reference; fare: FareReference, the
enumeration). Arrive-by (tests/reference/arrive_by_reference.py): the forward sets taken at every
instant a journey can leave at, kept as the Pareto set over (later departure, fewer vehicles,
lower walking / fare); the two-criteria arrive-by answer must be their projection (later
departure x fewer vehicles). Range (window_s): the forward sets of every departure minute, last
first, a journey kept when no journey of a later minute is as good (_range_front); every
two-criteria range journey's (arrival, vehicles) must be among them. Seeded random stop-to-stop
queries on the sample and real feeds; the sets must be equal.
"""
from __future__ import annotations

import pytest

from tests.reference.arrive_by_reference import arrive_by_front, departure_instants, engine_front
from tests.reference.csa import ReferenceSolver
from tests.reference.feeds import build_feed, build_param_feed, feed_name, hhmmss, random_queries, \
    sample_and_feed_params, shared_data_dir
from tests.reference.mc_reference import mc_reference

WALKING = ("arrival", "transfers", "walking")
FARE = ("arrival", "transfers", "fare")
WINDOW_S = 1800           # the reference runs once per departure instant of the window
SLACK_S = 2400            # deadline: the earliest arrival plus this (later, cheaper, less walking journeys compete)
MAX_VEHICLES = 3


def _deadline_and_window(net, o, t, q) -> tuple[int, int]:
    """A deadline SLACK_S after the earliest arrival from the query's time (when there is one:
    random stops of a sparse feed are often not linked within a random half hour), and a window
    that holds that journey's departure."""
    from tests.reference.csa import seconds_on_axis

    plan = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=MAX_VEHICLES - 1)
    if not plan.itineraries:
        return q.time_s, WINDOW_S
    deadline = min(seconds_on_axis(plan.itineraries[0].arrival, q.date) + SLACK_S, 47 * 3600)
    return deadline, min(max(WINDOW_S, deadline - q.time_s), 3 * 3600)


@pytest.fixture(scope="module", params=sample_and_feed_params(["gtfs-us-caltrain", "gtfs-us-bart"]))
def walking_feed(request, tmp_path_factory):
    import engine

    built = build_param_feed(request, tmp_path_factory.mktemp("ab-walk"))
    net = engine.open(str(built.bundle))
    return built, net, random_queries(built.staged, 8, 31, avoid_dst=False, night_every=4)


def _projection(front):
    """(departure, vehicles) Pareto set of (departure, vehicles, third) points."""
    pts = {(t, k) for t, k, _ in front}
    return {(t, k) for t, k in pts if not any(t2 >= t and k2 <= k and (t2, k2) != (t, k) for t2, k2 in pts)}


def test_arrive_by_walking_equals_reference(walking_feed):
    from tests.reference.csa import seconds_on_axis

    built, net, queries = walking_feed
    ref = ReferenceSolver(built.staged, built.bundle)
    failures, sizes = [], []
    for i, q in enumerate(queries):
        o, t = ref.stop_ids[q.origin], ref.stop_ids[q.target]
        origins, targets = net.stop_indices(o), net.stop_indices(t)
        deadline, window = _deadline_and_window(net, o, t, q)
        plan = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(deadline), max_transfers=MAX_VEHICLES - 1,
                        optimize=WALKING, arrive_by=True, max_window_s=window)
        lo = max(deadline - window, 0)
        instants = departure_instants(ref, origins, q.date, targets, lo, deadline)
        want = arrive_by_front(lambda s: mc_reference(ref, origins, [s] * len(origins), q.date, targets, MAX_VEHICLES),
                               instants, deadline, MAX_VEHICLES)
        got = engine_front(plan, q.date, "walking_s")
        sizes.append(len(got))
        if got != want:
            failures.append(f"query {i}: {o} -> {t} {q.date} by {hhmmss(deadline)}: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
        two = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(deadline), max_transfers=MAX_VEHICLES - 1,
                       arrive_by=True, max_window_s=window)
        assert {(seconds_on_axis(it.departure, q.date), it.n_vehicles) for it in two.itineraries} == _projection(got)
        for it, w in zip(plan.itineraries, plan.stats["walking_s"]):
            assert seconds_on_axis(it.arrival, q.date) <= deadline
            assert w == sum(leg.duration_s for leg in it.legs if leg.mode == "walk")
    assert not failures, f"{built.name}: " + "\n".join(failures)
    assert sum(sizes) >= len(queries) // 2, f"{built.name}: too few journeys to compare: {sizes}"


def _fare_params():
    root = shared_data_dir()
    bart = sorted((root / "gtfs-us-bart").glob("*.zip")) if root.is_dir() else []
    params = [pytest.param(("sample", "v2-simple"), id="sample-generated-v2-simple"),
              pytest.param(("sample", "v2"), id="sample-generated-v2"),
              pytest.param(("sample", "v1"), id="sample-generated-v1")]    # (ranges reuse labels with v1)
    params.append(pytest.param(("bart", bart[0]), id="gtfs-us-bart", marks=pytest.mark.realdata) if bart else
                  pytest.param(None, id="gtfs-us-bart",
                               marks=pytest.mark.skip(reason="gtfs-us-bart absent (BRIQUE_DATA)")))
    return params


@pytest.fixture(scope="module", params=_fare_params())
def fare_feed(request, tmp_path_factory):
    import engine

    kind, value = request.param
    out = tmp_path_factory.mktemp("ab-fare")
    if kind == "sample":
        from engine.testing.fares_gen import add_fares

        path = out / f"sample_fares_{value}.zip"
        add_fares(request.getfixturevalue("sample_paths").gtfs, path, version=value, seed=3)
    else:
        path = value
    name = feed_name(path)
    built = build_feed(out, [(name, path)], name)
    net = engine.open(str(built.bundle))
    n = 6 if kind == "sample" else 2          # BART: ~15 s a query (the enumeration, at each instant)
    return built, net, random_queries(built.staged, n, 43, avoid_dst=False, night_every=5)


def test_arrive_by_fare_equals_reference(fare_feed):
    from tests.reference.fare_reference import UNKNOWN, reference_for

    built, net, queries = fare_feed
    ref = ReferenceSolver(built.staged, built.bundle)
    tt = net._planner.tt
    failures, sizes = [], []
    for i, q in enumerate(queries):
        o, t = tt.stop_id(q.origin), tt.stop_id(q.target)
        origins, targets = net.stop_indices(o), net.stop_indices(t)
        deadline, window = _deadline_and_window(net, o, t, q)
        plan = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(deadline), max_transfers=MAX_VEHICLES - 1,
                        optimize=FARE, arrive_by=True, max_window_s=window, min_change_time=60)
        enumeration = reference_for(net, q.date)
        day = tt.day_index(q.date)
        lo = max(deadline - window, 0)
        instants = departure_instants(ref, origins, q.date, targets, lo, deadline)
        want = arrive_by_front(
            lambda s: enumeration.pareto(list(origins), s, day, list(targets), MAX_VEHICLES, 60,
                                         latest=deadline, wait_until=deadline), instants, deadline, MAX_VEHICLES)
        got = {(d, k, UNKNOWN if v is None else v) for d, k, v in engine_front(plan, q.date, "fare_minor")}
        sizes.append(len(got))
        if got != want:
            failures.append(f"query {i}: {o} -> {t} {q.date} by {hhmmss(deadline)}: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
    assert not failures, f"{built.name}: " + "\n".join(failures)
    assert sum(sizes) >= len(queries) // 2, f"{built.name}: too few journeys to compare: {sizes}"


RANGE_S = 600             # the reference runs once per departure minute of the window


def _range_front(forward, minutes: list[int]) -> set[tuple[int, int, int]]:
    """(arrival, vehicles, third) a range keeps (engine/criteria/range.py's rule, from the plain
    forward sets ``forward(m)``): minutes last first, a journey with a vehicle kept when no
    journey with a vehicle of a later minute is as good on all three; no-vehicle ones once, from
    the first minute."""
    kept, later = set(), []
    for m in sorted(minutes, reverse=True):
        front = forward(m)
        for a, k, c in front:
            if k == 0:
                if m == min(minutes):
                    kept.add((a, k, c))
            elif not any(a2 <= a and k2 <= k and c2 <= c for a2, k2, c2 in later):
                kept.add((a, k, c))
        later += [(a, k, c) for a, k, c in front if k]
    return kept


def test_range_walking_equals_reference(walking_feed):
    from tests.reference.csa import seconds_on_axis

    built, net, queries = walking_feed
    ref = ReferenceSolver(built.staged, built.bundle)
    failures, sizes = [], []
    for i, q in enumerate(queries[:5]):
        o, t = ref.stop_ids[q.origin], ref.stop_ids[q.target]
        origins, targets = net.stop_indices(o), net.stop_indices(t)
        plan = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=MAX_VEHICLES - 1,
                        optimize=WALKING, window_s=RANGE_S)
        minutes = [q.time_s + 60 * j for j in range(RANGE_S // 60)]
        want = _range_front(lambda m: mc_reference(ref, origins, [m] * len(origins), q.date, targets, MAX_VEHICLES),
                            minutes)
        got = {(seconds_on_axis(it.arrival, q.date), it.n_vehicles, w)
               for it, w in zip(plan.itineraries, plan.stats["walking_s"])}
        assert len(got) == len(plan.itineraries)       # one journey per (arrival, vehicles, walking)
        sizes.append(len(got))
        if got != want:
            failures.append(f"query {i}: {o} -> {t} {q.date} {hhmmss(q.time_s)} +{RANGE_S}s: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
        for it in plan.itineraries:
            assert seconds_on_axis(it.departure, q.date) >= q.time_s
        two = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=MAX_VEHICLES - 1,
                       window_s=RANGE_S)
        # every two-criteria range journey's (arrival, vehicles) is one of the three-criteria range's
        assert {(seconds_on_axis(it.arrival, q.date), it.n_vehicles) for it in two.itineraries} <= \
            {(a, k) for a, k, _ in got}
    assert not failures, f"{built.name}: " + "\n".join(failures)
    assert sum(sizes) >= 3, f"{built.name}: too few journeys to compare: {sizes}"


def test_range_fare_equals_reference(fare_feed):
    from engine.criteria.mcraptor import FARE_WAIT_S
    from tests.reference.csa import seconds_on_axis
    from tests.reference.fare_reference import UNKNOWN, reference_for

    built, net, queries = fare_feed
    tt = net._planner.tt
    failures, sizes = [], []
    # the enumeration: ~1 s a minute on the sample with v2, ~0.01 s with v1 (BART ~4 s); v1 reuses
    # labels across minutes (engine/criteria/range.py): more of it
    v1 = "v1" in built.name
    n = 2 if "bart" in built.name else (6 if v1 else 3)
    window = RANGE_S if v1 else (RANGE_S // 2 if n == 3 else 180)
    for i, q in enumerate(queries[:n]):
        o, t = tt.stop_id(q.origin), tt.stop_id(q.target)
        origins, targets = net.stop_indices(o), net.stop_indices(t)
        plan = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=MAX_VEHICLES - 1,
                        optimize=FARE, window_s=window, min_change_time=60)
        enumeration = reference_for(net, q.date)
        day = tt.day_index(q.date)
        minutes = [q.time_s + 60 * j for j in range(window // 60)]
        want = _range_front(lambda m: enumeration.pareto(list(origins), m, day, list(targets), MAX_VEHICLES, 60,
                                                         wait_until=m + FARE_WAIT_S), minutes)
        got = {(seconds_on_axis(it.arrival, q.date), it.n_vehicles, UNKNOWN if v is None else v)
               for it, v in zip(plan.itineraries, plan.stats["fare_minor"])}
        sizes.append(len(got))
        if got != want:
            failures.append(f"query {i}: {o} -> {t} {q.date} {hhmmss(q.time_s)} +{window}s: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
    assert not failures, f"{built.name}: " + "\n".join(failures)
    assert sum(sizes) >= 2, f"{built.name}: too few journeys to compare: {sizes}"
