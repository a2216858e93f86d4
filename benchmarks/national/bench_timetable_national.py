"""National timetable (issue 12) under pytest-benchmark: generation, build and station-to-station
``plan()`` over random pairs of the whole generated network.

Short mode (CI, ``BRIQUE_BENCH_SHORT=1``): 30,000 stop_times from TER 2025 and three small city
feeds, so that the generator, the build and the query path keep working. Full mode: 1,875,000
stop_times (N/16 of the Germany-size target) from every shared feed. The Germany-size curve
itself (N/16, N/4, N = 30 million) is ``python -m benchmarks.national.timetable_bench``.
"""
from __future__ import annotations

import time

import pytest

from tests.reference.feeds import bench_short, percentiles

SHORT = bench_short()
N = 30_000 if SHORT else 1_875_000
N_QUERIES = 30 if SHORT else 300
SMALL_CITIES = ("gtfs-de-berlin-subset/ber_gtfs.zip", "gtfs-us-caltrain/caltrain.zip",
                "gtfs-us-portland-trimet/trimet-vermont-2018-02-06.zip")
SMALL_TER = ("gtfs-fr-sncf-ter-2025/export-ter-gtfs-last.zip",)


@pytest.fixture(scope="module")
def national_gtfs(tmp_path_factory):
    from benchmarks.national.timetable import CITY_FEEDS, TER_FEEDS, generate
    from engine.testing.data import shared_data_dir

    cities, ter = (SMALL_CITIES, SMALL_TER) if SHORT else (CITY_FEEDS, TER_FEEDS)
    data = shared_data_dir()
    if not all((data / rel).is_file() for rel in cities + ter):
        pytest.skip("shared GTFS feeds absent (set BRIQUE_DATA)")
    out = tmp_path_factory.mktemp("national-gtfs") / "gtfs"
    result = generate(out, N, 12, city_feeds=cities, ter_feeds=ter)
    return out, result


@pytest.fixture(scope="module")
def national_bundle(national_gtfs, tmp_path_factory):
    import engine

    out, _ = national_gtfs
    bundle = tmp_path_factory.mktemp("national-bundle") / "national.bundle"
    t = time.perf_counter()
    engine.build(str(bundle), gtfs=[("national", str(out))])
    return bundle, time.perf_counter() - t


def test_generate_and_build(benchmark, national_gtfs, national_bundle):
    """One round: the generation and build times (from the fixtures) land in extra_info."""
    _, result = national_gtfs
    bundle, build_s = national_bundle
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update(stop_times=result.stop_times, generate_s=round(result.seconds, 2),
                                build_s=round(build_s, 2), copies=len(result.copies),
                                bytes_per_stop_time=round(size / result.stop_times, 1))


def test_plan_random_pairs(benchmark, national_bundle):
    """Station-to-station plans between random stations of the whole network (a weekday)."""
    import numpy as np

    import engine
    from benchmarks.national.timetable_bench import DATE

    bundle, _ = national_bundle
    net = engine.open(str(bundle))
    tt = net.timetable
    rng = np.random.default_rng(2026)
    served = np.flatnonzero(np.diff(np.asarray(tt.stop_patterns_offsets)) > 0)
    parent = np.asarray(tt.stop_parent)
    refs = [tt.stop_id(int(parent[s]) if parent[s] >= 0 else int(s))
            for s in rng.choice(served, size=2 * N_QUERIES)]
    times = [f"{h:02d}:{m:02d}:00" for h, m in zip(rng.integers(6, 22, N_QUERIES),
                                                    rng.integers(0, 60, N_QUERIES))]
    net.plan(refs[0], refs[1], date=DATE, time=times[0])         # the day's active-trip table
    stream = iter(range(N_QUERIES))
    found = []

    def setup():
        return (next(stream),), {}

    def one(i):
        found.append(bool(net.plan(refs[2 * i], refs[2 * i + 1], date=DATE, time=times[i]).itineraries))

    benchmark.pedantic(one, setup=setup, rounds=N_QUERIES, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(percentiles(benchmark.stats.stats.data))
    benchmark.extra_info.update(queries=N_QUERIES, found_share=round(sum(found) / len(found), 3),
                                n_stops=int(tt.n_stops), n_trips=int(tt.n_trips))
