"""RAPTOR (engine) against the reference solver, on the built-in sample and every real GTFS feed.

For seeded random queries (a quarter of them between 00:00 and 05:00, when trips of the previous
service day matter), ``net.round_arrivals`` must equal the reference's round arrivals for every
stop and every round, also from several origins with their own times, and the (vehicles,
arrival) Pareto set of ``net.plan`` must equal the reference's at the destination (walk-only
journeys included; every third query between parent stations). The reference reads the
trip-level StagedTimetable, so pattern building, stop-time layout and service-day handling are
checked along with the router. The bundle's footpaths are recomputed by brute force too.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from engine._types import UNREACHED

from tests.reference.csa import ReferenceSolver, pareto_front, seconds_on_axis
from tests.reference.feeds import (build_feed, feed_name, gtfs_feeds, hhmmss,
                                   random_queries)

MAX_ROUNDS = 5
SAMPLE_QUERIES = 120
FEED_QUERIES = 30
# Query options cycled over the queries: (min_change_time, walk_before_first).
OPTIONS = [(60, True), (0, True), (180, False), (60, False), (120, True)]

FEEDS = gtfs_feeds()


def _feed_params():
    params = [pytest.param("sample", id="sample")]
    for path in FEEDS:
        params.append(pytest.param(path, id=feed_name(path), marks=pytest.mark.realdata))
    if not FEEDS:
        params.append(pytest.param(None, id="realdata", marks=pytest.mark.skip(
            reason="no GTFS feeds: shared data folder absent (set BRIQUE_DATA)")))
    return params


@pytest.fixture(scope="module", params=_feed_params())
def feed(request, tmp_path_factory):
    """(BuiltFeed, opened network, reference solver), built once per feed per module."""
    import engine

    out = tmp_path_factory.mktemp("diff")
    if request.param == "sample":
        gtfs = request.getfixturevalue("sample_paths").gtfs       # the plugin's, written once per run
        built = build_feed(out, [("sample", gtfs)], "sample")
        n_queries, seed = SAMPLE_QUERIES, 7
    else:
        name = feed_name(request.param)
        built = build_feed(out, [(name, request.param)], name)
        n_queries, seed = FEED_QUERIES, 11
    net = engine.open(str(built.bundle))
    ref = ReferenceSolver(built.staged, built.bundle)
    return built, net, ref, random_queries(built.staged, n_queries, seed, avoid_dst=False, night_every=4)


def _describe(ref: ReferenceSolver, got: np.ndarray, want: np.ndarray, limit: int = 6) -> str:
    rounds, stops = np.nonzero(got != want)
    lines = []
    for k, s in list(zip(rounds.tolist(), stops.tolist()))[:limit]:
        fmt = lambda v: "UNREACHED" if v >= UNREACHED else hhmmss(int(v))  # noqa: E731
        lines.append(f"  round {k} stop {s} ({ref.stop_ids[s]}): raptor {fmt(got[k, s])}, "
                     f"reference {fmt(want[k, s])}")
    return f"{rounds.size} differences, first:\n" + "\n".join(lines)


def test_round_arrivals_equal_reference(feed):
    built, net, ref, queries = feed
    assert net.timetable.n_stops == ref.n_stops
    failures = []
    for i, q in enumerate(queries):
        mct, walk_first = OPTIONS[i % len(OPTIONS)]
        origin = np.array([q.origin], dtype=np.int32)
        when = np.array([q.time_s], dtype=np.int32)
        got = net.round_arrivals(origin, when, q.date, max_rounds=MAX_ROUNDS,
                                 min_change_time=mct, walk_before_first=walk_first)
        want = ref.round_arrivals(origin, when, q.date, MAX_ROUNDS, mct, walk_first)
        assert got.shape == want.shape and got.dtype == np.int32
        if not np.array_equal(got, want):
            failures.append(f"query {i}: origin {ref.stop_ids[q.origin]} {q.date} "
                            f"{hhmmss(q.time_s)} mct={mct} walk_before_first={walk_first}: "
                            + _describe(ref, got, want))
    assert not failures, f"{built.name}: " + "\n".join(failures)


def _plan_front(plan, date: dt.date) -> list[tuple[int, int]]:
    """Non-dominated (vehicles, arrival s) of a plan's itineraries, fewest vehicles first."""
    points = sorted({(it.n_vehicles, seconds_on_axis(it.arrival, date)) for it in plan.itineraries})
    front, best = [], UNREACHED
    for vehicles, arrival in points:
        if arrival < best:
            front.append((vehicles, arrival))
            best = arrival
    return front


def _station_of(ref: ReferenceSolver, built, stop: int) -> str:
    parent = int(built.staged.stops.column("parent_idx")[stop].as_py())
    return ref.stop_ids[parent if parent >= 0 else stop]


def test_round_arrivals_from_several_origins(feed):
    """Several origin stops with their own start times (as after an access walk)."""
    built, net, ref, queries = feed
    rng = np.random.default_rng(13)
    failures = []
    for i, q in enumerate(queries[: len(queries) // 2]):
        mct, walk_first = OPTIONS[i % len(OPTIONS)]
        origins = rng.choice(ref.served_stops, size=min(3, ref.served_stops.size), replace=False)
        when = q.time_s + rng.integers(0, 1800, size=origins.size)
        origins, when = origins.astype(np.int32), when.astype(np.int32)
        got = net.round_arrivals(origins, when, q.date, max_rounds=MAX_ROUNDS,
                                 min_change_time=mct, walk_before_first=walk_first)
        want = ref.round_arrivals(origins, when, q.date, MAX_ROUNDS, mct, walk_first)
        if not np.array_equal(got, want):
            failures.append(f"query {i}: origins {[ref.stop_ids[o] for o in origins]} at "
                            f"{[hhmmss(int(t)) for t in when]} {q.date} mct={mct} "
                            f"walk_before_first={walk_first}: " + _describe(ref, got, want))
    assert not failures, f"{built.name}: " + "\n".join(failures)


def test_plan_pareto_equals_reference(feed):
    built, net, ref, queries = feed
    failures = []
    for i, q in enumerate(queries):
        mct = OPTIONS[i % len(OPTIONS)][0]
        origin_id, target_id = ref.stop_ids[q.origin], ref.stop_ids[q.target]
        if i % 3 == 2:      # every third query from/to the parent stations (all their platforms)
            origin_id, target_id = _station_of(ref, built, q.origin), _station_of(ref, built, q.target)
        plan = net.plan(origin_id, target_id, date=q.date.isoformat(), time=hhmmss(q.time_s),
                        max_transfers=MAX_ROUNDS - 1, min_change_time=mct,
                        walk_before_first=True, walk_after_last=True)
        origins = np.asarray(net.stop_indices(origin_id), dtype=np.int32)
        arrivals = ref.round_arrivals(origins, np.full(origins.size, q.time_s, np.int32), q.date,
                                      MAX_ROUNDS, mct, True)
        want = pareto_front(arrivals, net.stop_indices(target_id))
        got = _plan_front(plan, q.date)
        if got != want:
            failures.append(f"query {i}: {origin_id} -> {target_id} {q.date} {hhmmss(q.time_s)} "
                            f"mct={mct}: plan {[(v, hhmmss(a)) for v, a in got]}, reference "
                            f"{[(v, hhmmss(a)) for v, a in want]}")
    assert not failures, f"{built.name}: " + "\n".join(failures)


def test_footpaths_follow_transfer_model(feed):
    """The bundle's footpaths and per-stop change times equal the model recomputed by brute force
    (straight lines within 400 m at 1.33 m/s, transfers.txt overrides; no OSM here)."""
    from engine.bundle.reader import open_bundle
    from tests.reference.footpaths import bundle_footpaths, reference_footpaths

    built, _, _, _ = feed
    bundle = open_bundle(built.bundle)
    want, want_change = reference_footpaths(built.staged)
    got = bundle_footpaths(bundle)
    missing = sorted(set(want) - set(got))[:5]
    extra = sorted(set(got) - set(want))[:5]
    wrong = sorted((p, got[p], want[p]) for p in set(got) & set(want) if got[p] != want[p])[:5]
    assert not (missing or extra or wrong), (
        f"{built.name}: {len(set(want) - set(got))} footpaths missing, e.g. {missing}; "
        f"{len(set(got) - set(want))} extra, e.g. {extra}; durations differ (pair, bundle, model): {wrong}")
    got_change = np.asarray(bundle.column("timetable/stops", "min_change_time"))
    assert np.array_equal(got_change, want_change), (
        f"{built.name}: stop min_change_time differs at {np.flatnonzero(got_change != want_change)[:5]}")
