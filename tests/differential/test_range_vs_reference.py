"""Range queries (range RAPTOR) against independent single-minute runs of the reference solver,
on the built-in sample and on the largest real feed (Strasbourg CTS).

* ``plan(..., window_s=W)`` must equal the union of the per-minute answers reduced to its Pareto
  set: for each departure minute m of the window, the reference's (vehicles, arrival) Pareto set
  leaving at m; a journey (m, k >= 1, arrival a) is kept unless a later minute offers k' <= k
  vehicles arriving by a; the zero-vehicle walk (time-independent) is shown once, from the first
  minute. The engine's itineraries are keyed by the minute they leave in (the last minute also
  keeps journeys that wait past the window's end).
* ``travel_time_matrix`` must equal, cell by cell, the nearest-rank percentile (R5's rule) over
  the minutes of the reference's earliest arrival minus the minute (null above max_time_s); and
  be the same for 1 and 2 threads.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine._types import UNREACHED
from engine.testing.data import shared_data_dir

from tests.reference.csa import ReferenceSolver, pareto_front, seconds_on_axis
from tests.reference.feeds import LARGEST_FEED, build_feed, feed_name, hhmmss, random_queries
from tests.reference.profile import plan_entries, reduce_minutes

MAX_ROUNDS = 5
WINDOW_S = 30 * 60
PERCENTILES = (5, 50, 95)
MAX_TIME_S = 5400


def _params():
    params = [pytest.param("sample", id="sample")]
    path = shared_data_dir() / LARGEST_FEED
    marks = [pytest.mark.realdata]
    if not path.is_file():
        marks.append(pytest.mark.skip(reason=f"{path} absent: shared data folder missing (set BRIQUE_DATA)"))
    params.append(pytest.param(path, id=feed_name(path), marks=marks))
    return params


@pytest.fixture(scope="module", params=_params())
def feed(request, tmp_path_factory):
    import engine

    out = tmp_path_factory.mktemp("range")
    if request.param == "sample":
        built = build_feed(out, [("sample", request.getfixturevalue("sample_paths").gtfs)], "sample")
        n = 12
    else:
        name = feed_name(request.param)
        built = build_feed(out, [(name, request.param)], name)
        n = 8
    net = engine.open(str(built.bundle))
    ref = ReferenceSolver(built.staged, built.bundle)
    return built, net, ref, random_queries(built.staged, n, 23, avoid_dst=True, night_every=0)


def _minutes(start: int) -> list[int]:
    return [start + 60 * i for i in range(WINDOW_S // 60)]


def test_range_plan_equals_union_of_minutes(feed):
    built, net, ref, queries = feed
    failures, journeys = [], 0
    for i, q in enumerate(queries):
        origin_id, target_id = ref.stop_ids[q.origin], ref.stop_ids[q.target]
        origins = np.asarray(net.stop_indices(origin_id), np.int32)
        targets = net.stop_indices(target_id)
        entries, walk = [], None
        for j, m in enumerate(_minutes(q.time_s)):
            arrivals = ref.round_arrivals(origins, np.full(origins.size, m, np.int32), q.date, MAX_ROUNDS, 60, True)
            for k, a in pareto_front(arrivals, targets):
                if k == 0:
                    walk = a if j == 0 else walk
                else:
                    entries.append((j, k, a))
        want = reduce_minutes(entries)
        plan = net.plan(origin_id, target_id, date=q.date.isoformat(), time=hhmmss(q.time_s),
                        max_transfers=MAX_ROUNDS - 1, window_s=WINDOW_S)
        got, got_walk = plan_entries(plan, q.date, q.time_s, WINDOW_S)
        journeys += len(got)
        if got != want or got_walk != ([walk] if walk is not None else []):
            failures.append(f"query {i}: {origin_id} -> {target_id} {q.date} {hhmmss(q.time_s)}: "
                            f"engine only {sorted(got - want)}, reference only {sorted(want - got)}, "
                            f"walk engine {got_walk} reference {walk}")
        for it in plan.itineraries:
            assert seconds_on_axis(it.departure, q.date) >= q.time_s, f"query {i}: leaves before the window"
    assert not failures, f"{built.name}: " + "\n".join(failures)
    assert journeys >= len(queries), f"{built.name}: too few transit journeys ({journeys}) to mean anything"


def test_matrix_equals_percentiles_of_minutes(feed):
    built, net, ref, queries = feed
    origin_ids = list(dict.fromkeys(ref.stop_ids[q.origin] for q in queries))[:4]
    q0 = queries[0]
    kwargs = dict(date=q0.date.isoformat(), time=hhmmss(q0.time_s), window_s=WINDOW_S, percentiles=PERCENTILES,
                  max_time_s=MAX_TIME_S, max_transfers=MAX_ROUNDS - 1)
    table = net.travel_time_matrix(origin_ids, "stops", threads=1, **kwargs)
    assert table.equals(net.travel_time_matrix(origin_ids, "stops", threads=2, **kwargs))
    n_dest = table.num_rows // len(origin_ids)
    dest = np.asarray([net.timetable.find_stop_id(s) for s in table.column("to_id").to_pylist()[:n_dest]])
    minutes = _minutes(q0.time_s)
    reached = 0
    for oi, origin_id in enumerate(origin_ids):
        origins = np.asarray(net.stop_indices(origin_id), np.int32)
        times = []
        for m in minutes:
            best = ref.round_arrivals(origins, np.full(origins.size, m, np.int32), q0.date, MAX_ROUNDS, 60,
                                      True)[-1].astype(np.int64)[dest] - m
            times.append(np.where(best <= MAX_TIME_S, best, UNREACHED))
        times = np.sort(np.asarray(times), axis=0)
        for p in PERCENTILES:
            want = times[math.ceil(p / 100 * len(minutes)) - 1]
            got = table.column(f"travel_time_p{p}").to_numpy(zero_copy_only=False)[oi * n_dest:(oi + 1) * n_dest]
            got = np.where(np.isnan(got.astype(float)), UNREACHED, got).astype(np.int64)
            diff = np.flatnonzero(got != want)
            assert diff.size == 0, (f"{built.name}: origin {origin_id} p{p}: {diff.size} cells differ, e.g. "
                                    f"{[(ref.stop_ids[dest[d]], int(got[d]), int(want[d])) for d in diff[:3]]}")
            reached += int((want < UNREACHED).sum())
    assert reached > len(origin_ids), f"{built.name}: almost nothing reachable: the check would mean nothing"


def test_range_labels_equal_reference_every_minute(feed):
    """The labels range RAPTOR leaves after each minute (reusing the later minute's) equal a fresh
    reference run from that minute, in every round at every stop: the reuse stays exact per
    number of vehicles, not only for the best over all rounds."""
    from engine.raptor.search import RaptorQuery

    built, net, ref, queries = feed
    runner = net._runner
    failures = []
    for i, q in enumerate(queries[:6]):
        origins = np.asarray(net.stop_indices(ref.stop_ids[q.origin]), np.int32)
        day = net.timetable.day_index(q.date)
        for j, m in enumerate(reversed(_minutes(q.time_s))):
            query = RaptorQuery(origins, np.full(origins.size, m, np.int32), np.empty(0, np.int32),
                                np.empty(0, np.int32), day, MAX_ROUNDS, 60, True, True)
            ws = runner.run(query, reuse=j > 0, per_round=True)
            got = ws.arrival_np[:MAX_ROUNDS + 1]
            want = ref.round_arrivals(origins, np.full(origins.size, m, np.int32), q.date, MAX_ROUNDS, 60, True)
            if not np.array_equal(got, want):
                rounds, stops = np.nonzero(got != want)
                failures.append(f"query {i} minute {hhmmss(m)}: {rounds.size} labels differ, first round "
                                f"{rounds[0]} stop {ref.stop_ids[stops[0]]}: {got[rounds[0], stops[0]]} vs "
                                f"{want[rounds[0], stops[0]]}")
                break
    assert not failures, f"{built.name}: " + "\n".join(failures)
