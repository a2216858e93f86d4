"""Accessibility speed (issue 10): travel-time matrices and range plans.

* Strasbourg CTS (Caltrain in short mode): origins = seeded boardable stops (200; 20 short),
  destinations = every stop, 60-minute window, 5 percentiles, max 2 h: core-seconds per origin
  with 1 thread (target <= 0.05; R5 reports ~0.25 for Sao Paulo), against the same origins run as
  60 independent single-minute RAPTOR searches in the same run (the ratio is what label reuse
  buys), and the wall time with 2 threads (scaling).
* Heidelberg (VRN cut + OSM): a door-to-door matrix of seeded points near served stops, 1,000 x
  1,000 (target <= 60 s on 2 cores; 50 x 50 in short mode, on Sao Paulo).
* ``plan(window_s=3600)`` between stops against 60 ``plan()`` calls, Strasbourg.

Every matrix is timed once (rounds=1): it is itself thousands of searches.
"""
from __future__ import annotations

import time

import numpy as np

from tests.reference.feeds import bench_short, bundle_active_dates, hhmmss

SHORT = bench_short()
N_ORIGINS = 20 if SHORT else 200
WINDOW_S = 3600
PERCENTILES = (5, 25, 50, 75, 95)
MAX_TIME_S = 7200
N_POINTS = 50 if SHORT else 1000


def _origins(net, n: int, seed: int) -> list[str]:
    tt = net.timetable
    served = np.diff(np.asarray(tt.stop_patterns_offsets)) > 0
    stops = np.flatnonzero((np.asarray(tt.stop_location_type) == 0) & served)
    rng = np.random.default_rng(seed)
    return [tt.stop_id(int(s)) for s in rng.choice(stops, size=min(n, stops.size), replace=False)]


def _busy_date(bundle) -> str:
    per_feed = [set(d) for d in bundle_active_dates(bundle).values()]
    dates = sorted(set.intersection(*per_feed) or set.union(*per_feed))
    tuesdays = [d for d in dates[len(dates) // 2:] if d.weekday() == 1]    # a working day
    return (tuesdays or dates[len(dates) // 2:])[0].isoformat()


def test_matrix_stops_one_thread(benchmark, main_bundle):
    """All stops as destinations, 60-min window, 5 percentiles, 1 thread; ratio to 60 single runs."""
    import engine
    from engine.raptor.request import parse_date
    from engine.raptor.search import RaptorQuery

    net = engine.open(str(main_bundle))
    origins, date = _origins(net, N_ORIGINS, 5), _busy_date(main_bundle)
    kwargs = dict(date=date, time="07:30", window_s=WINDOW_S, percentiles=PERCENTILES, max_time_s=MAX_TIME_S)
    net.travel_time_matrix(origins[:2], "stops", threads=1, **kwargs)        # per-date caches, workspace
    table = benchmark.pedantic(lambda: net.travel_time_matrix(origins, "stops", threads=1, **kwargs),
                               rounds=1, iterations=1)
    per_origin = benchmark.stats.stats.median / len(origins)

    # Baseline in the same run: 60 independent single-minute one-to-all runs per origin.
    tt, runner = net.timetable, net._runner
    day = tt.day_index(parse_date(date))
    t0 = time.perf_counter()
    for o in origins:
        stops = np.asarray(net.stop_indices(o), np.int32)
        for m in range(WINDOW_S // 60):
            runner.run(RaptorQuery(stops, np.full(stops.size, 27000 + 60 * m, np.int32), np.empty(0, np.int32),
                                   np.empty(0, np.int32), day, 5, 60, True, True))
    single = (time.perf_counter() - t0) / len(origins)
    t0 = time.perf_counter()
    two = net.travel_time_matrix(origins, "stops", threads=2, **kwargs)
    wall2 = (time.perf_counter() - t0) / len(origins)
    assert two.equals(table)
    nulls = table.column("travel_time_p50").null_count
    benchmark.extra_info.update(
        origins=len(origins), destinations=table.num_rows // len(origins), window_min=WINDOW_S // 60,
        core_s_per_origin=round(per_origin, 4), single_minute_runs_s_per_origin=round(single, 4),
        speedup_vs_single_minute_runs=round(single / per_origin, 2),
        two_threads_wall_s_per_origin=round(wall2, 4), thread_scaling=round(per_origin / wall2, 2),
        null_share_p50=round(nulls / table.num_rows, 3))


def test_matrix_door_to_door_points(benchmark):
    """A door-to-door point matrix (1,000 x 1,000 on Heidelberg; 50 x 50 on Sao Paulo in short
    mode), 60-min window, 5 percentiles, 2 threads."""
    import engine
    from benchmarks.bench_door_to_door import osm_bundle, point_queries

    city = "sao_paulo" if SHORT else "heidelberg"
    bundle = osm_bundle(city)
    net = engine.open(str(bundle))
    queries, _ = point_queries(net, bundle, N_POINTS, seed=77)
    origins = [q[0] for q in queries]
    destinations = [q[1] for q in queries]
    date = queries[0][2]
    kwargs = dict(date=date, time="07:30", window_s=WINDOW_S, percentiles=PERCENTILES, max_time_s=MAX_TIME_S,
                  threads=2)
    table = benchmark.pedantic(lambda: net.travel_time_matrix(origins, destinations, **kwargs),
                               rounds=1, iterations=1)
    benchmark.extra_info.update(
        city=city, origins=len(origins), destinations=len(destinations),
        wall_s=round(benchmark.stats.stats.median, 2),
        reachable_share_p50=round(1 - table.column("travel_time_p50").null_count / table.num_rows, 3))


def test_range_plan_vs_minutes(benchmark, main_bundle):
    """plan(window_s=3600) between stops, against 60 plan() calls from the same minutes."""
    import engine

    net = engine.open(str(main_bundle))
    stops, date = _origins(net, 40, 9), _busy_date(main_bundle)
    pairs = list(zip(stops[::2], stops[1::2]))[: 5 if SHORT else 20]
    stream = iter(pairs * 2)
    benchmark.pedantic(lambda a, b: net.plan(a, b, date=date, time="07:30", window_s=WINDOW_S),
                       setup=lambda: (next(stream), {}), rounds=len(pairs), iterations=1)
    t0 = time.perf_counter()
    for a, b in pairs:
        for m in range(WINDOW_S // 60):
            net.plan(a, b, date=date, time=hhmmss(27000 + 60 * m))
    per_pair = (time.perf_counter() - t0) / len(pairs)
    benchmark.extra_info.update(pairs=len(pairs), minutes_plans_s_per_pair=round(per_pair, 4),
                                speedup=round(per_pair / benchmark.stats.stats.median, 2))
