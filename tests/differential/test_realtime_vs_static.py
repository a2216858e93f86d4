"""GTFS-Realtime overlay = the same changes built into the static timetable = the reference.

For each feed (the built-in sample; Strasbourg CTS and the SNCF TER 2025 feed, the largest by
trips and stops, with the shared data): one seeded random draw of changes on a service day
(tests/reference/realtime_gen.py: delays as delay or time, propagation, NO_DATA, SKIPPED,
cancellations, ADDED trips, stop_sequence / stop_id addressing, start_date given or inferred)
is written both as a TripUpdates feed, applied to the unchanged bundle with
``net.apply_realtime``, and into a copy of the static timetable built as a second bundle. For
random queries on that day and the days around it, the round arrivals of the engine with the
overlay must equal those of the changed bundle and of the reference solver over the changed
timetable, and the plan Pareto sets must equal the reference's.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.reference.csa import ReferenceSolver, pareto_front, seconds_on_axis
from tests.reference.feeds import feed_name, gtfs_feeds, hhmmss, load_staged, served_stops
from tests.reference.realtime_gen import build_from_staged, busiest_day_changes, changed_staged

MAX_ROUNDS = 5
REAL_FEEDS = ("gtfs-fr-strasbourg-cts", "gtfs-fr-sncf-ter-2025")


def _params():
    params = [pytest.param("sample", id="sample")]
    for path in gtfs_feeds():
        if path.parent.name in REAL_FEEDS:
            params.append(pytest.param(path, id=feed_name(path), marks=pytest.mark.realdata))
    if len(params) == 1:
        params.append(pytest.param(None, id="realdata", marks=pytest.mark.skip(
            reason="no GTFS feeds: shared data folder absent (set BRIQUE_DATA)")))
    return params


@pytest.fixture(scope="module", params=_params())
def case(request, tmp_path_factory):
    import engine

    out = tmp_path_factory.mktemp("rt")
    if request.param == "sample":
        sources = [("sample", request.getfixturevalue("sample_paths").gtfs)]
        n_changes, n_queries = 120, 60
    else:
        sources = [(feed_name(request.param), request.param)]
        n_changes, n_queries = 2000, 30
    staged = load_staged(sources)
    day, changes, message = busiest_day_changes(staged, n_changes, 2026, sources[0][0])
    base = build_from_staged(staged, out / "base.bundle")
    changed = changed_staged(staged, changes)
    changed_bundle = build_from_staged(changed, out / "changed.bundle")
    net = engine.open(str(base))
    report = net.apply_realtime(message)
    return {"net": net, "static": engine.open(str(changed_bundle)), "ref": ReferenceSolver(changed, changed_bundle),
            "report": report, "changes": changes, "day": day, "staged": staged, "n_queries": n_queries,
            "name": sources[0][0], "base": base, "message": message}


def _queries(case, seed: int):
    rng = np.random.default_rng(seed)
    staged, day = case["staged"], case["day"]
    stops = served_stops(staged)
    out = []
    for i in range(case["n_queries"]):
        d = day + (1 if i % 6 == 5 else 0)          # some on the next day: trips past midnight
        night = i % 4 == 3
        t = int(rng.integers(0, 5 * 3600) if night else rng.integers(5 * 3600, 23 * 3600))
        a, b = rng.choice(stops, size=2, replace=False)
        out.append((int(a), int(b), staged.period_start + dt.timedelta(days=d), t))
    return out


def test_report_counts_every_change(case):
    report, changes = case["report"], case["changes"]
    kinds = {k: sum(1 for c in changes if c.kind == k) for k in ("delay", "cancel", "added")}
    assert report.count("trips_updated") == kinds["delay"], report.summary()
    assert report.count("trips_canceled") == kinds["cancel"], report.summary()
    assert report.count("trips_added") == kinds["added"], report.summary()
    ignored = {k: v for k, v in report.counts.items() if not k.startswith("trips_") and k != "alerts"}
    assert not ignored, report.summary()
    assert report.overlay_trips == len(changes)


def test_round_arrivals_equal_static_and_reference(case):
    net, static, ref = case["net"], case["static"], case["ref"]
    failures = []
    for i, (origin, _, date, t) in enumerate(_queries(case, 7)):
        o, when = np.array([origin], np.int32), np.array([t], np.int32)
        got = net.round_arrivals(o, when, date, max_rounds=MAX_ROUNDS)
        want = static.round_arrivals(o, when, date, max_rounds=MAX_ROUNDS)
        oracle = ref.round_arrivals(o, when, date, MAX_ROUNDS)
        if not (np.array_equal(got, want) and np.array_equal(want, oracle)):
            k, s = np.argwhere((got != want) | (want != oracle))[0]
            failures.append(f"query {i} {ref.stop_ids[origin]} {date} {hhmmss(t)}: round {k} stop {ref.stop_ids[s]}: "
                            f"overlay {got[k, s]}, static {want[k, s]}, reference {oracle[k, s]} "
                            f"({int(((got != want) | (want != oracle)).sum())} differences)")
    assert not failures, f"{case['name']}: " + "\n".join(failures[:10])


def test_overlay_queries_touch_changed_trips(case):
    """The comparison means something: without the overlay, answers differ for some queries."""
    net = case["net"]
    differ = 0
    for origin, _, date, t in _queries(case, 7)[:20]:
        o, when = np.array([origin], np.int32), np.array([t], np.int32)
        differ += not np.array_equal(net.round_arrivals(o, when, date, max_rounds=MAX_ROUNDS),
                                     net.round_arrivals(o, when, date, max_rounds=MAX_ROUNDS, realtime=False))
    assert differ > 0


def test_plan_pareto_equals_reference(case):
    net, ref = case["net"], case["ref"]
    failures = []
    for i, (origin, target, date, t) in enumerate(_queries(case, 11)):
        a, b = ref.stop_ids[origin], ref.stop_ids[target]
        plan = net.plan(a, b, date=date.isoformat(), time=hhmmss(t), max_transfers=MAX_ROUNDS - 1)
        assert plan.stats["realtime"]
        arrivals = ref.round_arrivals(np.array([origin], np.int32), np.array([t], np.int32), date, MAX_ROUNDS)
        want = pareto_front(arrivals, [target])
        points = sorted({(it.n_vehicles, seconds_on_axis(it.arrival, date)) for it in plan.itineraries})
        got, best = [], 1 << 40
        for v, arr in points:
            if arr < best:
                got.append((v, arr))
                best = arr
        if got != want:
            failures.append(f"query {i}: {a} -> {b} {date} {hhmmss(t)}: plan {got}, reference {want}")
        for it in plan.itineraries:          # every leg on an overlay trip says so
            for leg in it.legs:
                if leg.realtime:
                    assert leg.mode == "transit" and leg.trip_id
    assert not failures, f"{case['name']}: " + "\n".join(failures[:10])


def test_departures_equal_static(case):
    """Next departures with the overlay = those of the changed bundle (times and routes)."""
    net, static, ref = case["net"], case["static"], case["ref"]
    for origin, _, date, t in _queries(case, 17)[:15]:
        a = ref.stop_ids[origin]
        got = [(d.departure, d.route_id) for d in net.departures(a, date.isoformat(), hhmmss(t), limit=20)]
        want = [(d.departure, d.route_id) for d in static.departures(a, date.isoformat(), hhmmss(t), limit=20)]
        assert sorted(got) == sorted(want), (a, date, t)


def test_range_and_arrive_by_use_the_overlay(case):
    """Range and arrive-by queries run the same overlay: their journeys are journeys of the
    changed timetable (compared with the static bundle built from it)."""
    net, static = case["net"], case["static"]
    ref = case["ref"]
    for origin, target, date, t in _queries(case, 13)[:8]:
        a, b = ref.stop_ids[origin], ref.stop_ids[target]
        for kw in ({"window_s": 1800}, {"arrive_by": True, "max_window_s": 3 * 3600}):
            got = [(i.departure, i.arrival, i.n_vehicles) for i in
                   net.plan(a, b, date=date.isoformat(), time=hhmmss(t), **kw).itineraries]
            want = [(i.departure, i.arrival, i.n_vehicles) for i in
                    static.plan(a, b, date=date.isoformat(), time=hhmmss(t), **kw).itineraries]
            assert got == want, (a, b, date, t, kw)


def test_differential_applications_equal_one_full_dataset(case):
    """The same changes sent as a FULL_DATASET of half the trips and DIFFERENTIAL messages (the
    rest in chunks; a fifth cancelled then sent again; some deleted then sent again) give the
    overlay of the one FULL_DATASET: same records, same answers. Most of these applications
    replace rows of the previous overlay's trip table (engine/realtime/overlay.py TripTable)."""
    import engine

    full = pb2_message(case["message"])
    entities = list(full.entity)
    n = len(entities)

    def message(ents, incremental=True):
        m = type(full)()
        m.header.CopyFrom(full.header)
        m.header.incrementality = 1 if incremental else 0
        for e in ents:
            m.entity.add().CopyFrom(e)
        return m.SerializeToString()

    net = engine.open(str(case["base"]))
    net.apply_realtime(message(entities[:n // 2], incremental=False))
    rest = entities[n // 2:]
    step = max(1, len(rest) // 4)
    for i in range(0, len(rest), step):
        net.apply_realtime(message(rest[i:i + step]))
    rng = np.random.default_rng(5)
    again = [entities[int(j)] for j in rng.choice(n, size=n // 5, replace=False)]
    canceled = []
    for e in again:
        c = type(e)()
        c.CopyFrom(e)
        c.trip_update.trip.schedule_relationship = 3          # CANCELED (its updates kept: the same
                                                              # service day is inferred without start_date)
        canceled.append(c)
    net.apply_realtime(message(canceled))
    net.apply_realtime(message(again))
    gone = entities[:max(1, n // 20)]
    deleted = []
    for e in gone:
        d = type(e)()
        d.id = e.id
        d.is_deleted = True
        deleted.append(d)
    net.apply_realtime(message(deleted))
    net.apply_realtime(message(gone))
    overlay, want = net._realtime.overlay, case["net"]._realtime.overlay
    assert overlay.table.n_dead > 0                    # built by replacing rows, not anew
    assert set(overlay.records_by_key) == set(want.records_by_key)
    assert overlay.status()["trips"] == want.status()["trips"]
    assert overlay.suppressed.keys() == want.suppressed.keys()
    assert all(np.array_equal(overlay.suppressed[d], want.suppressed[d]) for d in want.suppressed)
    for key, r in overlay.records_by_key.items():      # the same times for every record
        w = want.records_by_key[key]
        assert (r.arr is None) == (w.arr is None) and r.kind == w.kind, key
        if r.arr is not None:
            assert np.array_equal(r.arr, w.arr) and np.array_equal(r.dep, w.dep), key
    static = case["static"]
    for origin, _, date, t in _queries(case, 7):
        o, when = np.array([origin], np.int32), np.array([t], np.int32)
        assert np.array_equal(net.round_arrivals(o, when, date, max_rounds=MAX_ROUNDS),
                              static.round_arrivals(o, when, date, max_rounds=MAX_ROUNDS)), (origin, date, t)


def pb2_message(data: bytes):
    from google.transit import gtfs_realtime_pb2

    m = gtfs_realtime_pb2.FeedMessage()
    m.ParseFromString(data)
    return m
