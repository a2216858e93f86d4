"""Journey planning speed: station-to-station ``plan()`` on Strasbourg CTS and on all feeds merged,
and the engine's round_arrivals against the reference solver (same queries, same process).

Each pytest-benchmark round is one query, so the stats are per query; median and p99 (ms) are
also stored in ``benchmark.extra_info`` with the share of queries that found an itinerary.
"""
from __future__ import annotations

import itertools
import time

import numpy as np

from tests.reference.feeds import bench_short, percentiles, station_queries

SHORT = bench_short()
N_QUERIES = 50 if SHORT else 1000
N_REFERENCE = 3 if SHORT else 10


def _bench_plans(benchmark, bundle, seed: int) -> None:
    import engine

    net = engine.open(str(bundle))
    queries = station_queries(bundle, N_QUERIES, seed)
    net.plan(*queries[0][:2], date=queries[0][2], time=queries[0][3])      # warm-up
    stream = iter(queries)
    found = []

    def setup():
        return (next(stream),), {}

    def one(query):
        plan = net.plan(query[0], query[1], date=query[2], time=query[3], max_transfers=4)
        found.append(len(plan.itineraries) > 0)

    benchmark.pedantic(one, setup=setup, rounds=len(queries), iterations=1, warmup_rounds=0)
    data = benchmark.stats.stats.data
    benchmark.extra_info.update(percentiles(data))
    benchmark.extra_info.update(queries=len(queries), found_share=round(sum(found) / len(found), 3),
                                n_stops=int(net.timetable.n_stops))


def test_plan_main_feed(benchmark, main_bundle):
    """1,000 station-to-station queries on Strasbourg CTS (50 on Caltrain in short mode)."""
    _bench_plans(benchmark, main_bundle, seed=2026)


def test_plan_all_feeds_merged(benchmark, merged_bundle):
    """1,000 station-to-station queries (within one feed) on the bundle of all feeds."""
    _bench_plans(benchmark, merged_bundle, seed=2027)


def test_round_arrivals_vs_reference(benchmark, main_feed_path, main_bundle):
    """net.round_arrivals (5 rounds) per query; the reference solver's time on the same queries
    gives ``reference_ratio`` (reference median / engine median)."""
    import engine
    from tests.reference.csa import ReferenceSolver
    from tests.reference.feeds import feed_name, load_staged, random_queries

    staged = load_staged([(feed_name(main_feed_path), main_feed_path)])
    ref = ReferenceSolver(staged, main_bundle)
    net = engine.open(str(main_bundle))
    queries = random_queries(staged, max(N_REFERENCE, 20), seed=5)
    args = [(np.array([q.origin], np.int32), np.array([q.time_s], np.int32), q.date) for q in queries]
    ref.round_arrivals(*args[0], 5)                       # compile / warm both
    net.round_arrivals(*args[0], max_rounds=5)
    ref_times = []
    for a in args[:N_REFERENCE]:
        t0 = time.perf_counter()
        ref.round_arrivals(*a, 5)
        ref_times.append(time.perf_counter() - t0)
    stream = itertools.cycle(args)

    def setup():
        return (next(stream),), {}

    def one(a):
        net.round_arrivals(*a, max_rounds=5)

    benchmark.pedantic(one, setup=setup, rounds=len(args) * (1 if SHORT else 5), iterations=1)
    engine_median = float(np.median(benchmark.stats.stats.data))
    benchmark.extra_info.update(percentiles(benchmark.stats.stats.data))
    benchmark.extra_info.update(reference_median_ms=round(float(np.median(ref_times)) * 1e3, 3),
                                reference_ratio=round(float(np.median(ref_times)) / engine_median, 2))

