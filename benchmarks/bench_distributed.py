"""Travel-time matrix on a dask.distributed cluster (issue 10, item 4): scaling from 1 to 2 workers.

Strasbourg CTS in both modes; origins = every boardable stop served by a vehicle (50 seeded
ones in short mode), destinations = every stop, 60-minute window, 5 percentiles, max 2 h.
Each run uses a fresh ``LocalCluster(processes=True, threads_per_worker=1)`` warmed by a
two-origin call (workers started, bundle opened and timetable mapped), then times the whole
matrix, gathered into one table on the client. Reported: wall time with 1 and 2 workers and the
scaling ratio (1-worker wall / 2-worker wall; 2.0 is linear, and it needs two idle cores), and
core-seconds per origin: the CPU time of the worker processes plus the client's (which runs the
scheduler), per origin, against the same matrix on one process without dask (the difference is
the cost of chunking, scheduling and moving the answer). CPU time, unlike wall time, holds on a
machine shared with other jobs. Every matrix is timed once (rounds=1).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tests.reference.feeds import LARGEST_FEED, bench_short, bundle_active_dates, cached_bundle, feed_name

pytest.importorskip("distributed", reason='dask.distributed not installed: pip install ".[dask]"')

SHORT = bench_short()
N_ORIGINS = 50 if SHORT else None          # None: every served boardable stop
KWARGS = dict(time="07:30", window_s=3600, percentiles=(5, 25, 50, 75, 95), max_time_s=7200)


@pytest.fixture(scope="module")
def cts_bundle() -> Path:
    from engine.testing.data import shared_data_dir

    feed = shared_data_dir() / LARGEST_FEED
    if not feed.is_file():
        pytest.skip(f"{feed} absent: shared data folder missing (set BRIQUE_DATA)")
    return cached_bundle([(feed_name(feed), feed)], feed_name(feed))


def _origins(net, n: int | None, seed: int) -> list[str]:
    tt = net.timetable
    served = np.diff(np.asarray(tt.stop_patterns_offsets)) > 0
    stops = np.flatnonzero((np.asarray(tt.stop_location_type) == 0) & served)
    if n is not None and n < stops.size:
        stops = np.sort(np.random.default_rng(seed).choice(stops, size=n, replace=False))
    return [tt.stop_id(int(s)) for s in stops]


def _working_day(bundle: Path) -> str:
    dates = sorted(set.union(*(set(d) for d in bundle_active_dates(bundle).values())))
    tuesdays = [d for d in dates[len(dates) // 2:] if d.weekday() == 1]
    return (tuesdays or dates[len(dates) // 2:])[0].isoformat()


def _timed_on_cluster(n_workers: int, bundle: Path, origins: list[str], kwargs: dict, benchmark=None):
    """(table, wall s, CPU s of workers + client) of the matrix on a fresh, warmed cluster."""
    from distributed import Client, LocalCluster

    from engine.distributed import travel_time_matrix

    with LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1, dashboard_address=":0",
                      silence_logs=40) as cluster, Client(cluster) as client:
        travel_time_matrix(client, bundle, origins[: 2 * n_workers], "stops", chunk_size=1, **kwargs)

        def cpu() -> float:
            return sum(client.run(time.process_time).values()) + time.process_time()

        def run():
            return travel_time_matrix(client, bundle, origins, "stops", **kwargs)

        cpu0, t0 = cpu(), time.perf_counter()
        table = run() if benchmark is None else benchmark.pedantic(run, rounds=1, iterations=1)
        wall = time.perf_counter() - t0
        return table, wall, cpu() - cpu0


def test_distributed_matrix_one_vs_two_workers(benchmark, cts_bundle):
    """Strasbourg, every stop as destination, 60-min window, 5 percentiles: 1 vs 2 workers."""
    import engine

    net = engine.open(cts_bundle)
    origins = _origins(net, N_ORIGINS, 11)
    kwargs = dict(KWARGS, date=_working_day(cts_bundle))
    net.travel_time_matrix(origins[:2], "stops", threads=1, **kwargs)      # map, per-date caches
    cpu0, t0 = time.process_time(), time.perf_counter()
    local = net.travel_time_matrix(origins, "stops", threads=1, **kwargs)
    local_wall, local_cpu = time.perf_counter() - t0, time.process_time() - cpu0

    one, wall1, cpu1 = _timed_on_cluster(1, cts_bundle, origins, kwargs)
    two, wall2, cpu2 = _timed_on_cluster(2, cts_bundle, origins, kwargs, benchmark)
    assert one.equals(local) and two.equals(local)
    n = len(origins)
    benchmark.extra_info.update(
        origins=n, destinations=local.num_rows // n, window_min=KWARGS["window_s"] // 60,
        one_process_wall_s=round(local_wall, 2), one_process_core_s_per_origin=round(local_cpu / n, 4),
        one_worker_wall_s=round(wall1, 2), one_worker_core_s_per_origin=round(cpu1 / n, 4),
        two_workers_wall_s=round(wall2, 2), two_workers_core_s_per_origin=round(cpu2 / n, 4),
        scaling_1_to_2_workers=round(wall1 / wall2, 2))
    print(f"\nStrasbourg {n} origins x {local.num_rows // n} stops, 60 min, 5 percentiles:\n"
          f"  one process: {local_wall:.2f} s wall, {local_cpu / n:.4f} core-s per origin\n"
          f"  1 worker:    {wall1:.2f} s wall, {cpu1 / n:.4f} core-s per origin\n"
          f"  2 workers:   {wall2:.2f} s wall, {cpu2 / n:.4f} core-s per origin; scaling x{wall1 / wall2:.2f}")
