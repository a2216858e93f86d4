"""GTFS-Realtime: applying feeds and planning with an overlay (issue 11 targets), on Strasbourg CTS
(Caltrain 2017 in short mode).

The feed is what a live FULL_DATASET looks like: the next 2,000 trips from 07:00 on a busy day
(fewer on a small feed: a third of the day's trips), each with a delay given as delay or time
at one or two stops (propagated), 3 % also skipping a stop, 2 % cancelled, 1 % added
(tests/reference/realtime_gen.py). Targets: FULL_DATASET of 2,000 trips <= 50 ms, DIFFERENTIAL
of 200 trips <= 5 ms, plan p50 with the overlay within 10 % of the static p50 (both measured
in the same run, interleaved), no RSS growth over 1,000 FULL_DATASET applications.
"""
from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest

from tests.reference.feeds import bench_short, feed_name, hhmmss, load_staged, percentiles, station_queries
from tests.reference.realtime_gen import (build_from_staged, changed_staged, draw_changes, epoch_function,
                                          feed_message, running_trips)

SHORT = bench_short()
N_TRIPS = 2000
N_DIFF = 200
N_QUERIES = 40 if SHORT else 400
N_APPLY_RSS = 50 if SHORT else 1000


@pytest.fixture(scope="module")
def rt_case(main_feed_path, main_bundle, tmp_path_factory):
    sources = [(feed_name(main_feed_path), main_feed_path)]
    staged = load_staged(sources)
    epoch_of = epoch_function(staged)
    days = list(range(1, staged.n_days - 1))
    day = days[int(np.argmax([len(running_trips(staged, d)) for d in days]))]
    first = np.sort(staged.st_dep[staged.trip_offsets[:-1]][running_trips(staged, day)])
    n = min(N_TRIPS, len(first) // 3)
    later = first[first >= 7 * 3600]
    end = int(later[min(len(later) - 1, int(n * 1.1))]) + 1
    changes = draw_changes(staged, day, n, seed=11, epoch_of=epoch_of, window=(7 * 3600, end),
                           p_cancel=0.02, p_added=0.01, p_skip=0.03)
    now = epoch_of(day) + 7 * 3600
    full = feed_message(staged, changes, sources[0][0], epoch_of, now)
    changed = build_from_staged(changed_staged(staged, changes), tmp_path_factory.mktemp("rtb") / "changed.bundle")
    date = (staged.period_start + dt.timedelta(days=day)).isoformat()
    return {"staged": staged, "changes": changes, "full": full, "epoch_of": epoch_of, "day": day, "date": date,
            "now": now, "prefix": sources[0][0], "changed": changed, "window": (7 * 3600, end)}


def _diff_messages(case, k: int) -> list[bytes]:
    """k DIFFERENTIAL messages of N_DIFF trips each, new delays on trips of the full feed."""
    from google.transit import gtfs_realtime_pb2 as pb2

    out = []
    base = pb2.FeedMessage()
    base.ParseFromString(case["full"])
    rng = np.random.default_rng(3)
    for i in range(k):
        m = pb2.FeedMessage()
        m.header.CopyFrom(base.header)
        m.header.incrementality = pb2.FeedHeader.DIFFERENTIAL
        for j in rng.choice(len(base.entity), size=min(N_DIFF, len(base.entity)), replace=False):
            e = m.entity.add()
            e.CopyFrom(base.entity[int(j)])
            for s in e.trip_update.stop_time_update:
                if s.HasField("arrival") and s.arrival.HasField("delay"):
                    s.arrival.delay += 30 * (i % 3)
        out.append(m.SerializeToString())
    return out


def _zero_delay_message(case) -> bytes:
    """The full feed's scheduled trips at delay 0 (TripUpdate.delay = 0, no stop updates) and its
    cancellations; no added trips, no skipped stops: the overlay's structure with (nearly) the
    schedule's answers, to tell the overlay's own cost from the changed timetable's."""
    from google.transit import gtfs_realtime_pb2 as pb2

    base = pb2.FeedMessage()
    base.ParseFromString(case["full"])
    m = pb2.FeedMessage()
    m.header.CopyFrom(base.header)
    for e in base.entity:
        rel = e.trip_update.trip.schedule_relationship
        if rel not in (pb2.TripDescriptor.SCHEDULED, pb2.TripDescriptor.CANCELED):
            continue
        z = m.entity.add()
        z.CopyFrom(e)
        if rel == pb2.TripDescriptor.SCHEDULED:
            del z.trip_update.stop_time_update[:]
            z.trip_update.delay = 0
    return m.SerializeToString()


def test_apply_full_dataset(benchmark, main_bundle, rt_case):
    """One FULL_DATASET of ~2,000 trips (bytes -> overlay published), target <= 50 ms."""
    import engine

    net = engine.open(str(main_bundle))
    report = net.apply_realtime(rt_case["full"])          # the id dictionaries, once per open
    benchmark.pedantic(net.apply_realtime, args=(rt_case["full"],), rounds=5 if SHORT else 30, iterations=1)
    med = float(np.median(benchmark.stats.stats.data)) * 1e3
    benchmark.extra_info.update(percentiles(benchmark.stats.stats.data))
    benchmark.extra_info.update(trips=len(rt_case["changes"]), feed_bytes=len(rt_case["full"]), counts=report.counts,
                                target_ms=50, met=med <= 50)


def test_apply_differential(benchmark, main_bundle, rt_case):
    """DIFFERENTIAL messages of 200 trips on top of the full overlay, target <= 5 ms."""
    import engine

    net = engine.open(str(main_bundle))
    net.apply_realtime(rt_case["full"])
    messages = _diff_messages(rt_case, 5 if SHORT else 20)
    stream = iter(messages * 2)

    def setup():
        return (next(stream),), {}

    benchmark.pedantic(net.apply_realtime, setup=setup, rounds=len(messages) * 2, iterations=1)
    med = float(np.median(benchmark.stats.stats.data)) * 1e3
    benchmark.extra_info.update(percentiles(benchmark.stats.stats.data))
    benchmark.extra_info.update(trips_per_message=N_DIFF, overlay_trips=net.realtime_status()["overlay"]["trips"],
                                target_ms=5, met=med <= 5)


def test_plan_with_overlay_vs_static(benchmark, main_bundle, rt_case):
    """plan() p50 with the overlay against the same bundle without it, against a bundle built
    with the same changes (same answers), and of an overlay of the same trips at delay 0 (the
    overlay's own cost), interleaved in one run."""
    import engine

    static = engine.open(str(main_bundle))
    changed = engine.open(str(rt_case["changed"]))
    live = engine.open(str(main_bundle))
    live.apply_realtime(rt_case["full"])
    zero = engine.open(str(main_bundle))
    zero_report = zero.apply_realtime(_zero_delay_message(rt_case))
    date = rt_case["date"]
    lo, hi = rt_case["window"]
    rng = np.random.default_rng(8)
    queries = [(a, b, hhmmss(int(rng.integers(lo, min(hi, 23 * 3600)))))
               for a, b, _, _ in station_queries(main_bundle, N_QUERIES, 21)]
    nets = (("static", static), ("changed_static", changed), ("overlay", live), ("overlay_zero_delay", zero))
    for _, net in nets:
        net.plan(queries[0][0], queries[0][1], date=date, time=queries[0][2])
    times = {name: [] for name, _ in nets}
    for a, b, t in queries:
        for name, net in nets:
            t0 = time.perf_counter()
            net.plan(a, b, date=date, time=t)
            times[name].append(time.perf_counter() - t0)
    stream = iter(queries)

    def setup():
        return (next(stream),), {}

    benchmark.pedantic(lambda q: live.plan(q[0], q[1], date=date, time=q[2]), setup=setup, rounds=len(queries),
                       iterations=1)
    med = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
    benchmark.extra_info.update({f"{k}_median_ms": round(v, 3) for k, v in med.items()})
    benchmark.extra_info.update(overlay_vs_static=round(med["overlay"] / med["static"], 3),
                                overlay_vs_changed_static=round(med["overlay"] / med["changed_static"], 3),
                                zero_delay_overlay_vs_static=round(med["overlay_zero_delay"] / med["static"], 3),
                                zero_delay_overlay_trips=zero_report.overlay_trips,
                                overlay=live.realtime_status()["overlay"], queries=len(queries),
                                query_window=[hhmmss(lo), hhmmss(hi)])


def test_criteria_with_overlay_vs_static(benchmark, main_bundle, rt_case):
    """plan(optimize=walking) p50 with the overlay against the same bundle without it, and the
    two-criteria pair in the same run (interleaved); also the first criteria query after an
    application, which builds the day's merged timetable (engine/criteria/realtime.py)."""
    import engine

    static = engine.open(str(main_bundle))
    live = engine.open(str(main_bundle))
    live.apply_realtime(rt_case["full"])
    date = rt_case["date"]
    lo, hi = rt_case["window"]
    rng = np.random.default_rng(9)
    queries = [(a, b, hhmmss(int(rng.integers(lo, min(hi, 23 * 3600)))))
               for a, b, _, _ in station_queries(main_bundle, max(N_QUERIES // 4, 20), 22)]
    walking = ("arrival", "transfers", "walking")
    first = []
    for _ in range(3):
        live.apply_realtime(rt_case["full"])
        t0 = time.perf_counter()
        live.plan(queries[0][0], queries[0][1], date=date, time=queries[0][2], optimize=walking)
        first.append(time.perf_counter() - t0)
    static.plan(queries[0][0], queries[0][1], date=date, time=queries[0][2], optimize=walking)
    runs = (("static", static, {}), ("overlay", live, {}), ("static_walking", static, {"optimize": walking}),
            ("overlay_walking", live, {"optimize": walking}))
    times = {name: [] for name, _, _ in runs}
    for a, b, t in queries:
        for name, net, kw in runs:
            t0 = time.perf_counter()
            net.plan(a, b, date=date, time=t, **kw)
            times[name].append(time.perf_counter() - t0)
    stream = iter(queries)

    def setup():
        return (next(stream),), {}

    benchmark.pedantic(lambda q: live.plan(q[0], q[1], date=date, time=q[2], optimize=walking), setup=setup,
                       rounds=len(queries), iterations=1)
    med = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
    benchmark.extra_info.update({f"{k}_median_ms": round(v, 3) for k, v in med.items()})
    benchmark.extra_info.update(walking_overlay_vs_static=round(med["overlay_walking"] / med["static_walking"], 3),
                                two_criteria_overlay_vs_static=round(med["overlay"] / med["static"], 3),
                                first_walking_query_after_apply_ms=round(float(np.median(first)) * 1e3, 1),
                                queries=len(queries))


def test_rss_over_repeated_full_datasets(benchmark, main_bundle, rt_case):
    """RSS after 100 applications and after N_APPLY_RSS (1,000): no growth beyond noise."""
    import gc

    import psutil

    import engine

    net = engine.open(str(main_bundle))
    proc = psutil.Process()
    rss = []

    def run():
        for i in range(N_APPLY_RSS):
            net.apply_realtime(rt_case["full"])
            if i in (min(99, N_APPLY_RSS // 2), N_APPLY_RSS - 1):
                gc.collect()
                rss.append(proc.memory_info().rss / 1e6)

    benchmark.pedantic(run, rounds=1, iterations=1)
    growth = rss[-1] - rss[0]
    benchmark.extra_info.update(applications=N_APPLY_RSS, rss_mb_after_100=round(rss[0], 1),
                                rss_mb_at_end=round(rss[-1], 1), growth_mb=round(growth, 1))
    assert growth < 20, f"RSS grew by {growth:.1f} MB over {N_APPLY_RSS} applications"
