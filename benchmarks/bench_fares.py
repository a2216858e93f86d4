"""Fares (issue 14): what pricing every itinerary costs. Per query, ``plan()`` without and with
fares (which one first alternates), same process: BART (GTFS fares v1: 2,500 origin/destination fares) and, outside
short mode, Strasbourg CTS with generated fares v2 (engine.testing.fares_gen). Stores both medians
and their ratio; build time with and without BART's fare files is in ``test_build_fares_bart``.

``test_fare_criterion_generated``: optimize=("arrival", "transfers", "fare") against the
two-criteria plan, same queries alternately: Strasbourg CTS with the generated rule sets "v1"
(zones, origin/destination fares with transfers within 90 minutes, a centre fare, express
routes), "v2" (transfer types 0/1/2, transfer counts, three kinds of duration limit) and
"v2-simple" (transfers within a time: free, a discount, an upgrade), the sample city with "v2" in
short mode; each without a limit and with max_duration_s=7200 (journeys arriving within 2 h).
Outside short mode three rounds over the queries, each query's time the median of its rounds
(ROUNDS). Stores both medians, their ratio (the issue's target on Strasbourg: <= 3; and the
first round's alone), the p90, the labels and how many queries were refused (label budget).
``test_fare_criterion_generated_riders``: the same for another rider category or fare medium;
``test_fare_criterion_real``: the same on the shared feeds that carry fares of their own (BART,
Caltrain, Tampa HART, Porto Alegre: all v1).
"""
from __future__ import annotations

import time
import zipfile

import numpy as np
import pytest

from tests.reference.feeds import bench_short, percentiles, station_queries, warm_service_days

SHORT = bench_short()
FARE = ("arrival", "transfers", "fare")
N_QUERIES = 40 if SHORT else 400
#: _fare_against_two: rounds over the queries (outside short mode). Each query's time in each
#: mode is the median of its rounds, and the stored ratio is of the p50s of those. Why: the first
#: round also pays each date's first fare model (only three queries warm the fare plan; 63 of 100
#: queries are the first of their date: ~0.2 ms more a query, timed) and, on this shared 2-core
#: machine, spreads more. Strasbourg "v2", the same code, five full-mode runs on 2026-12-07: first
#: rounds x 3.54-4.12, per-query medians of three rounds x 3.32-3.59. The first round's ratio (the
#: single-run protocol before 2026-12-07) is stored too.
ROUNDS = 1 if SHORT else 3


def _bart():
    from engine.testing.data import shared_data_dir

    path = shared_data_dir() / "gtfs-us-bart" / "bart-new.zip"
    if not path.is_file():
        pytest.skip("gtfs-us-bart absent (set BRIQUE_DATA)")
    return path


@pytest.fixture(scope="module")
def fare_bundles(tmp_path_factory):
    import engine
    from engine.testing.data import shared_data_dir
    from engine.testing.fares_gen import add_fares

    out = tmp_path_factory.mktemp("bench-fares")
    bundles = {"bart_v1": engine.build(out / "bart.bundle", gtfs=[("bart", _bart())]).path}
    cts = shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
    if not SHORT and cts.is_file():
        z = add_fares(cts, out / "cts_v2.zip", "v2")
        bundles["cts_v2"] = engine.build(out / "cts.bundle", gtfs=[("cts", z)]).path
    return bundles


@pytest.mark.parametrize("key", ["bart_v1", "cts_v2"])
def test_fare_overhead(benchmark, fare_bundles, key):
    """Per query: plan() with pricing off and on (in alternating order); the ratio of the medians."""
    import engine

    if key not in fare_bundles:
        pytest.skip(f"{key} is not built in short mode")
    net = engine.open(str(fare_bundles[key]))
    queries = station_queries(fare_bundles[key], N_QUERIES, 2041)
    for q in queries[:5]:
        net.plan(q[0], q[1], date=q[2], time=q[3])
    off, on, priced = [], [], []

    def timed(q, fares: bool):
        net._legs.fares = fares
        t0 = time.perf_counter()
        plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4)
        return time.perf_counter() - t0, plan

    def run():
        for i, q in enumerate(queries):     # which goes first alternates: the second run of a
            order = (False, True) if i % 2 else (True, False)     # query finds warmer caches
            for fares in order:
                dt_s, plan = timed(q, fares)
                (on if fares else off).append(dt_s)
                if fares:
                    priced.extend(it.fare.known for it in plan.itineraries if it.n_vehicles)
        net._legs.fares = True

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(without_fares=percentiles(off), with_fares=percentiles(on),
                                p50_ratio=round(float(np.median(on) / np.median(off)), 3), queries=len(queries),
                                known_share=round(float(np.mean(priced)), 3) if priced else None)


def _two_then_fare(net, queries, two: list, mc: list, labels: list, failed: list, errors: tuple,
                   fare_options: dict | None = None, **options) -> None:
    """Per query: plan() with two criteria, then with the fare as the third (``options`` for
    both, ``fare_options`` for the second only); appends their times (s) to ``two`` and ``mc``,
    the fare plan's labels to ``labels``, and to ``failed`` the queries whose fare plan raised
    one of ``errors``."""
    for q in queries:
        t0 = time.perf_counter()
        net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4, **options)
        t1 = time.perf_counter()
        try:
            plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4, optimize=FARE,
                            **options, **(fare_options or {}))
            labels.append(plan.stats.get("labels", 0))
        except errors:
            failed.append(q)
        t2 = time.perf_counter()
        two.append(t1 - t0)
        mc.append(t2 - t1)


@pytest.fixture(scope="module")
def fare_generated_bundles(tmp_path_factory):
    import engine
    from engine.testing.data import shared_data_dir
    from engine.testing.fares_gen import add_fares

    out = tmp_path_factory.mktemp("bench-fares-generated")
    if SHORT:
        from engine.sample import write_sample

        sources = {"sample_v2": write_sample(out / "sample").gtfs}
    else:
        cts = shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
        if not cts.is_file():
            pytest.skip("Strasbourg CTS absent (set BRIQUE_DATA)")
        sources = {"cts_v1": cts, "cts_v2": cts, "cts_v2-simple": cts, "cts_v2-priority": cts}
    bundles = {}
    for key, src in sources.items():
        z = add_fares(src, out / f"{key}.zip", key.split("_", 1)[1], seed=3)
        bundles[key] = engine.build(out / f"{key}.bundle", gtfs=[("feed", z)]).path
    return bundles


def _fare_against_two(benchmark, bundle, n_queries: int, fare_options: dict | None = None, **options) -> None:
    """Times, query by query, plan() with two criteria then with the fare as the third (both
    with ``options``, the fare plan with ``fare_options`` too) over ``n_queries`` station queries
    of ``bundle``, ROUNDS times, and stores both medians of the per-query medians, their ratio
    (and the first round's), the p90, the labels and how many queries were refused (label budget)."""
    import engine
    from engine.errors import InvalidQueryError

    net = engine.open(str(bundle))
    queries = station_queries(bundle, n_queries, 2034)
    two_rounds, mc_rounds, labels, refused = [], [], [], []

    def run():
        for r in range(ROUNDS):
            two, mc = [], []
            _two_then_fare(net, queries, two, mc, labels if r == 0 else [], refused if r == 0 else [],
                           (InvalidQueryError,), fare_options=fare_options, **options)
            two_rounds.append(two)
            mc_rounds.append(mc)

    for q in queries[:3]:                                      # workspaces grown, day models built
        try:
            net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4, optimize=FARE, **options,
                     **(fare_options or {}))
        except InvalidQueryError:
            pass
    warm_service_days(net, queries)
    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    two, mc = np.median(two_rounds, axis=0), np.median(mc_rounds, axis=0)      # per query, over the rounds
    benchmark.extra_info.update(two_criteria=percentiles(two), fare_criterion=percentiles(mc),
                                p50_ratio=round(float(np.median(mc) / np.median(two)), 3), rounds=ROUNDS,
                                p50_ratio_first_round=round(float(np.median(mc_rounds[0]) / np.median(two_rounds[0])),
                                                            3), queries=len(queries),
                                labels_p50=float(np.median(labels)) if labels else None, refused=len(refused))


@pytest.mark.parametrize("max_duration_s", [None, 7200], ids=["unbounded", "within-2h"])
@pytest.mark.parametrize("key", ["sample_v2", "cts_v1", "cts_v2", "cts_v2-simple", "cts_v2-priority"])
def test_fare_criterion_generated(benchmark, fare_generated_bundles, key, max_duration_s):
    """Per query: plan() with two criteria then with the fare (generated fares) as the third,
    both with ``max_duration_s`` (journeys arriving within 2 h, or no limit)."""
    if key not in fare_generated_bundles:
        pytest.skip(f"{key} is {'not ' if SHORT else 'only '}built in short mode")
    _fare_against_two(benchmark, fare_generated_bundles[key], N_QUERIES if SHORT else 100,
                      max_duration_s=max_duration_s)


@pytest.mark.parametrize("rider,medium", [("youth", None), (None, "paper")], ids=["youth", "paper"])
@pytest.mark.parametrize("key", ["sample_v2", "cts_v2", "cts_v2-priority"])
def test_fare_criterion_generated_riders(benchmark, fare_generated_bundles, key, rider, medium):
    """As test_fare_criterion_generated (unbounded), the fare plan for another rider category or
    fare medium than the default: their products differ (youth: cheaper tickets, no upgrade; paper:
    dearer, no upgrade nor discount), so do the fare potentials and floors (a youth's 1.50 combo
    once looked like it paid back more than it cost: p50 0.42 s)."""
    if key not in fare_generated_bundles:
        pytest.skip(f"{key} is {'not ' if SHORT else 'only '}built in short mode")
    _fare_against_two(benchmark, fare_generated_bundles[key], N_QUERIES if SHORT else 100,
                      fare_options={"rider_category": rider, "fare_media": medium})


#: The shared feeds that carry their own fares (all GTFS fares v1): folder, zip
REAL_FARE_FEEDS = {"bart": ("gtfs-us-bart", "bart-new.zip"), "caltrain": ("gtfs-us-caltrain", "caltrain.zip"),
                   "tampa_hart": ("gtfs-us-tampa-hart", "hart.zip"),
                   "porto_alegre": ("gtfs-br-porto-alegre", "poa_eptc.zip")}


@pytest.mark.parametrize("key", list(REAL_FARE_FEEDS))
def test_fare_criterion_real(benchmark, tmp_path, key):
    """As test_fare_criterion_generated (unbounded), on the shared feeds' own fares: BART (2,500
    origin/destination fares), Caltrain (zones), Tampa HART (routes, transfers), Porto Alegre
    (one flat fare); BART only in short mode."""
    import engine
    from engine.testing.data import shared_data_dir

    if SHORT and key != "bart":
        pytest.skip(f"{key} is only timed outside short mode")
    folder, name = REAL_FARE_FEEDS[key]
    src = shared_data_dir() / folder / name
    if not src.is_file():
        pytest.skip(f"{folder} absent (set BRIQUE_DATA)")
    bundle = engine.build(tmp_path / f"{key}.bundle", gtfs=[(key, src)]).path
    _fare_against_two(benchmark, bundle, N_QUERIES if SHORT else 100)


def test_build_fares_bart(benchmark, tmp_path):
    """BART built with its fare files, then without them (the same zip minus fare_*.txt)."""
    import engine

    src = _bart()
    bare = tmp_path / "bart-nofares.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bare, "w") as zout:
        for name in zin.namelist():
            if not name.startswith("fare_") and name != "rider_categories.txt":
                zout.writestr(name, zin.read(name))
    runs = 1 if SHORT else 3
    with_fares, without = [], []

    def run():
        for i in range(runs):
            t0 = time.perf_counter()
            engine.build(tmp_path / f"a{i}.bundle", gtfs=[("bart", src)])
            t1 = time.perf_counter()
            engine.build(tmp_path / f"b{i}.bundle", gtfs=[("bart", bare)])
            t2 = time.perf_counter()
            with_fares.append(t1 - t0)
            without.append(t2 - t1)

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(with_fares_s=round(float(np.median(with_fares)), 3),
                                without_fares_s=round(float(np.median(without)), 3), runs=runs)


@pytest.mark.parametrize("key", ["sample_v2", "cts_v1", "cts_v2-simple", "cts_v2"])
def test_fare_range_generated(benchmark, fare_generated_bundles, key):
    """Per query: a 1 h range (``window_s``; 15 min in short mode) with two criteria, then with
    the fare (generated fares) as the third (engine/criteria/range.py: v1 reuses the later
    minutes' labels, v2 searches each minute in passes), with a 10 s time budget (fares v2 ranges
    have heavy tails: Strasbourg "v2" p90 over 20 s before 2026-12-06). Stores both medians,
    their ratio, the p90 and how many ranges ran out of budget."""
    import engine
    from engine.errors import InvalidQueryError, QueryTimeoutError

    if key not in fare_generated_bundles:
        pytest.skip(f"{key} is {'not ' if SHORT else 'only '}built in short mode")
    window = 900 if SHORT else 3600
    net = engine.open(str(fare_generated_bundles[key]))
    queries = station_queries(fare_generated_bundles[key], 6 if SHORT else (20 if key == "cts_v2" else 40), 2035)
    two, mc, out_of_budget = [], [], []

    def run():
        _two_then_fare(net, queries, two, mc, [], out_of_budget, (QueryTimeoutError, InvalidQueryError),
                       fare_options={"time_budget_s": 10.0}, window_s=window)

    warm_service_days(net, queries)
    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(two_criteria=percentiles(two), fare_criterion=percentiles(mc),
                                p50_ratio=round(float(np.median(mc) / np.median(two)), 3), queries=len(queries),
                                out_of_budget=len(out_of_budget))
