"""More criteria (issue 14), same queries, same process: McRAPTOR (arrival x vehicles x walking)
against the two-criteria plan on Strasbourg CTS (Caltrain in short mode), and the accessibility /
bikes-on-board filters: station-to-station ``plan()`` with and without ``wheelchair`` / ``bikes``.

``test_three_criteria_vs_two`` times each query with two then three criteria, alternately, and
stores both medians and their ratio (target: three-criteria p50 <= 3 x two-criteria p50).

Feeds: TriMet (every trip wheelchair_accessible=1: the filtered search explores exactly what the
unfiltered one does, so the difference is the filters' own cost) and BART (7 % of the trips and
a few stops excluded). Strasbourg CTS carries none of the fields (every trip would be excluded).
``test_filter_overhead`` times each query unfiltered then filtered, alternately, and stores both
medians and their ratio (target: filtered p50 <= 1.2 x unfiltered p50).
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from tests.reference.feeds import (bench_short, cached_bundle, feed_name, percentiles, sources_for, station_queries,
                                   warm_service_days)

SHORT = bench_short()
N_QUERIES = 40 if SHORT else 400
FEEDS = {"trimet": "gtfs-us-portland-trimet", "bart": "gtfs-us-bart"}
FILTERS = {"none": {}, "wheelchair": {"wheelchair": True}, "bikes": {"bikes": True},
           "both": {"wheelchair": True, "bikes": True}}


def _bundle(key: str):
    from engine.testing.data import shared_data_dir

    paths = sorted((shared_data_dir() / FEEDS[key]).glob("*.zip"))
    if not paths:
        pytest.skip(f"{FEEDS[key]} absent (set BRIQUE_DATA)")
    return cached_bundle(sources_for(paths[:1]), feed_name(paths[0]))


def _net_and_queries(key: str, seed: int):
    import engine

    bundle = _bundle(key)
    net = engine.open(str(bundle))
    queries = station_queries(bundle, N_QUERIES, seed)
    for options in FILTERS.values():      # filtered timetables built, dates' tables cached
        for q in queries:
            net.plan(q[0], q[1], date=q[2], time=q[3], **options)
    return net, queries


@pytest.mark.parametrize("key", sorted(FEEDS))
@pytest.mark.parametrize("name", list(FILTERS))
def test_plan_filtered(benchmark, key, name):
    """One station-to-station plan per round, with the named filters."""
    net, queries = _net_and_queries(key, seed=2031)
    options = FILTERS[name]
    stream = iter(queries)
    found = []

    def setup():
        return (next(stream),), {}

    def one(q):
        plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4, **options)
        found.append(any(it.n_vehicles for it in plan.itineraries))

    benchmark.pedantic(one, setup=setup, rounds=len(queries), iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(percentiles(benchmark.stats.stats.data))
    benchmark.extra_info.update(queries=len(queries), transit_share=round(sum(found) / len(found), 3))


@pytest.mark.parametrize("key", sorted(FEEDS))
def test_filter_overhead(benchmark, key):
    """Per query: the plain plan then the ``wheelchair=True`` plan, alternately; the ratio of
    medians must stay <= 1.2."""
    net, queries = _net_and_queries(key, seed=2032)
    plain, filtered = [], []

    def run():
        for q in queries:
            t0 = time.perf_counter()
            net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4)
            t1 = time.perf_counter()
            net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4, wheelchair=True)
            t2 = time.perf_counter()
            plain.append(t1 - t0)
            filtered.append(t2 - t1)

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    ratio = float(np.median(filtered) / np.median(plain))
    benchmark.extra_info.update(unfiltered=percentiles(plain), wheelchair=percentiles(filtered),
                                p50_ratio=round(ratio, 3), queries=len(queries))
    assert ratio <= 1.2, f"{key}: wheelchair p50 {ratio:.2f} x unfiltered p50"


WALKING = ("arrival", "transfers", "walking")


def _alternately(net, queries, optimize, two: list, three: list, seen: list, measure) -> None:
    """Per query: plan() with two criteria, then with ``optimize`` (same process, same caches);
    the seconds of each go to ``two`` / ``three``, measure(plan) of the second to ``seen``."""
    for q in queries:
        t0 = time.perf_counter()
        net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4)
        t1 = time.perf_counter()
        plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4, optimize=optimize)
        t2 = time.perf_counter()
        two.append(t1 - t0)
        three.append(t2 - t1)
        seen.append(measure(plan))


def test_three_criteria_vs_two(benchmark, main_bundle):
    """Per query: plan() with two criteria then with walking as the third, alternately."""
    import engine

    net = engine.open(str(main_bundle))
    queries = station_queries(main_bundle, N_QUERIES, 2033)
    for q in queries[:5]:
        net.plan(q[0], q[1], date=q[2], time=q[3], optimize=WALKING)
    warm_service_days(net, queries)
    two, three, sizes = [], [], []

    def run():
        _alternately(net, queries, WALKING, two, three, sizes, lambda plan: len(plan.itineraries))

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    ratio = float(np.median(three) / np.median(two))
    benchmark.extra_info.update(two_criteria=percentiles(two), three_criteria=percentiles(three),
                                p50_ratio=round(ratio, 3), queries=len(queries),
                                mean_itineraries=round(float(np.mean(sizes)), 2))


FARE = ("arrival", "transfers", "fare")


@pytest.mark.parametrize("key", ["bart"])
def test_fare_criterion_vs_two(benchmark, key):
    """Per query: plan() with two criteria then with the fare (GTFS fares v1) as the third,
    alternately, on BART (origin/destination fares). No target: reported with its ratio."""
    import engine

    bundle = _bundle(key)
    net = engine.open(str(bundle))
    queries = station_queries(bundle, N_QUERIES, 2034)
    for q in queries[:5]:
        net.plan(q[0], q[1], date=q[2], time=q[3], optimize=FARE)
    warm_service_days(net, queries)
    two, fare, priced = [], [], []

    def run():
        _alternately(net, queries, FARE, two, fare, priced,
                     lambda plan: sum(f is not None for f in plan.stats["fare_minor"]))

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(two_criteria=percentiles(two), fare_criterion=percentiles(fare),
                                p50_ratio=round(float(np.median(fare) / np.median(two)), 3), queries=len(queries),
                                priced_itineraries=round(float(np.mean(priced)), 2))


@pytest.mark.parametrize("crit", ["walking", "fare"])
@pytest.mark.parametrize("kind", ["arrive_by", "range"])
def test_arrive_by_and_range_criteria_vs_two(benchmark, main_bundle, kind, crit):
    """Per query: an arrive-by plan() (or a 1 h range, ``window_s``; 15 min in short mode) with
    two criteria, then with walking (main feed: Strasbourg CTS, Caltrain in short mode) or the
    fare (BART, GTFS fares v1) as the third, alternately (engine/criteria/arrive_by.py: forward
    runs bisected over the departure instants; range.py: one search per minute). Stores both
    medians, their ratio and the runs per query."""
    import engine

    optimize = ("arrival", "transfers", crit)
    options = {"arrive_by": True} if kind == "arrive_by" else {"window_s": 900 if SHORT else 3600}
    bundle = main_bundle if crit == "walking" else _bundle("bart")
    net = engine.open(str(bundle))
    queries = station_queries(bundle, N_QUERIES // (4 if kind == "arrive_by" else 8), 2035)
    for q in queries[:3]:
        net.plan(q[0], q[1], date=q[2], time=q[3], optimize=optimize, **options)
    warm_service_days(net, queries)
    two, three, runs = [], [], []

    def run():
        for q in queries:
            t0 = time.perf_counter()
            net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4, **options)
            t1 = time.perf_counter()
            plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4, optimize=optimize, **options)
            t2 = time.perf_counter()
            two.append(t1 - t0)
            three.append(t2 - t1)
            runs.append(plan.stats["runs"])

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(two_criteria=percentiles(two), three_criteria=percentiles(three),
                                p50_ratio=round(float(np.median(three) / np.median(two)), 3), queries=len(queries),
                                runs_p50=float(np.median(runs)))
