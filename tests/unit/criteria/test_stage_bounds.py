"""McRAPTOR's lower bounds per number of vehicles left (engine/_mcraptor.pyx _compute_stage,
read through ``stage_bounds``): they must equal a plain recomputation (every pattern and
footpath scanned each round, no marking), and no journey may ever beat them: on the sample and
small real feeds, the exhaustive reference (tests/reference/mc_reference.py) from a stop at a
random time never reaches a target with at most j vehicles sooner than ready[stop, j] after it,
and never with fewer vehicles than vehicles_left[stop]. The same over the patterns that run
on the search's days only (``live``, engine._mcraptor.live_patterns: the searches board no
other), which must be exactly those with a trip of a service running then.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine._mcraptor import McWorkspace, stage_bounds
from engine._types import NO_VALUE
from engine.criteria.mcraptor import McPlanner

from tests.reference.csa import ReferenceSolver
from tests.reference.feeds import build_param_feed, random_queries, sample_and_feed_params
from tests.reference.mc_reference import mc_reference

INF = 1_000_000_000
MAX_ROUNDS = 4
FEED_DIRS = ["gtfs-us-caltrain", "gtfs-us-bart"]


@pytest.fixture(scope="module", params=sample_and_feed_params(FEED_DIRS))
def feed(request, tmp_path_factory):
    import engine

    built = build_param_feed(request, tmp_path_factory.mktemp("stage"))
    net = engine.open(str(built.bundle))
    mc = McPlanner(net._planner)
    return built, net, mc, McWorkspace(mc.tt.n_stops, mc.tt.n_patterns)


def _fastest_hop(tt, p: int, pos: int) -> int:
    """The fastest trip of pattern p from stop_pos pos to pos + 1 (seconds, >= 0)."""
    n = int(tt.pattern_n_trips[p])
    base = int(tt.pattern_st_offset[p])
    dep = np.asarray(tt.st_dep[base + pos * n: base + (pos + 1) * n], np.int64)
    arr = np.asarray(tt.st_arr[base + (pos + 1) * n: base + (pos + 2) * n], np.int64)
    return max(int((arr - dep).min()), 0)


def _plain_stage(tt, targets, egress, rounds: int, min_change: int, live=None):
    """The bounds by their definition, every pattern (``live``: those flagged) and footpath each
    round; the last column (rounds vehicles left: only a label that used none can) is 0, no
    bound, and on board a label has at most rounds - 1 vehicles left."""
    patterns = [p for p in range(tt.n_patterns) if live is None or live[p]]
    n = tt.n_stops
    ready = np.full((n, rounds + 1), INF, np.int64)
    arrived = np.full((n, rounds + 1), INF, np.int64)
    for s, e in zip(targets, egress):
        ready[s, 0] = min(ready[s, 0], e)
    change = np.where(np.asarray(tt.stop_min_change) != NO_VALUE, np.asarray(tt.stop_min_change), min_change)
    offsets, stops = np.asarray(tt.pattern_stops_offsets), np.asarray(tt.pattern_stops)
    pickup, dropoff = np.asarray(tt.pattern_pickup), np.asarray(tt.pattern_dropoff)
    hops = {(p, pos): _fastest_hop(tt, p, pos) for p in range(tt.n_patterns)
            for pos in range(offsets[p + 1] - offsets[p] - 1)}
    fp_off, fp_to, fp_dur = (np.asarray(a) for a in (tt.footpath_offsets, tt.footpath_to, tt.footpath_duration))
    for j in range(rounds):
        if j:
            ready[:, j] = ready[:, j - 1]
            for p in patterns:
                best = INF
                for pos in range(offsets[p + 1] - offsets[p] - 1, -1, -1):
                    s = stops[offsets[p] + pos]
                    if dropoff[offsets[p] + pos]:
                        best = min(best, arrived[s, j - 1])
                    if pickup[offsets[p] + pos]:
                        ready[s, j] = min(ready[s, j], best)
                    if best < INF and pos > 0:
                        best += hops[(p, pos - 1)]
        arrived[:, j] = np.minimum(ready[:, j] + (change if j else 0), INF)
        if j:
            arrived[:, j] = np.minimum(arrived[:, j], arrived[:, j - 1])
        for s in range(n):
            for e in range(fp_off[s], fp_off[s + 1]):
                arrived[s, j] = min(arrived[s, j], fp_dur[e] + ready[fp_to[e], j])
    if rounds:
        ready[:, rounds] = arrived[:, rounds] = 0
    ride = np.full(len(stops), -1, np.int64)       # (-1: a pattern not scanned, its rows not compared)
    for p in patterns:
        best = INF
        for pos in range(offsets[p + 1] - offsets[p] - 1, -1, -1):
            s = stops[offsets[p] + pos]
            if dropoff[offsets[p] + pos]:
                best = min(best, arrived[s, max(rounds - 1, 0)])
            ride[offsets[p] + pos] = best
            if best < INF and pos > 0:
                best += hops[(p, pos - 1)]
    finite = arrived < INF
    left = np.where(finite.any(axis=1), finite.argmax(axis=1), 255)
    return ready, arrived, ride, left


def _live_days(built, mc, n: int = 3) -> list[tuple[int, np.ndarray]]:
    """(day, live_patterns) of n days on which trips run, a day with the fewest live first."""
    days = sorted({mc.tt.day_index(q.date) for q in random_queries(built.staged, 12, 3, avoid_dst=False)})
    lives = sorted(((int(mc.live(d).sum()), d) for d in days))
    return [(d, mc.live(d)) for _, d in lives[:n]]


def test_live_patterns_are_those_running_on_the_searched_days(feed):
    """live_patterns(day) flags a pattern exactly when a trip of it has a service running on day
    D - its max day offset .. D + 1 (the days a search on D boards: next_active's rows)."""
    built, net, mc, ws = feed
    tt = mc.tt
    trip_service = np.asarray(tt.trip_service)
    some_dead = False
    for day, live in _live_days(built, mc, 5):
        active = tt.active_services(day)            # row d + max_day_offset: services running on day + d
        for p in range(tt.n_patterns):
            first, n, back = int(tt.pattern_first_trip[p]), int(tt.pattern_n_trips[p]), int(tt.pattern_max_day[p])
            services = trip_service[first:first + n]
            runs = any(active[d + tt.max_day_offset, services].any() for d in range(-back, 2))
            assert bool(live[p]) == runs, (day, p)
        some_dead |= not live.all()
    if built.name != "sample":
        assert some_dead, "every pattern runs on every day tried: the live flags would not be tested"


def test_stage_bounds_equal_a_plain_recomputation(feed):
    built, net, mc, ws = feed
    rng = np.random.default_rng(5)
    stops = np.flatnonzero(np.diff(np.asarray(mc.tt.stop_patterns_offsets)) > 0)
    days = [(None, None)] + _live_days(built, mc, 2)
    for case in range(3):
        targets = np.ascontiguousarray(rng.choice(stops, size=1 + case, replace=False), np.int32)
        egress = np.ascontiguousarray(rng.integers(0, 300, size=len(targets)), np.int32)
        change = [60, 0, 120][case]
        for day, live in days:
            got = stage_bounds(mc.view, ws, targets, egress, MAX_ROUNDS, change, live, day)
            want = _plain_stage(mc.tt, targets.tolist(), egress.tolist(), MAX_ROUNDS, change, live)
            scanned = want[2] >= 0
            got = (*got[:2], got[2][scanned], got[3])
            want = (*want[:2], want[2][scanned], want[3])
            for name, g, w in zip(("ready", "arrived", "ride_bound", "vehicles_left"), got, want):
                assert np.array_equal(np.asarray(g, np.int64), np.asarray(w, np.int64)), \
                    f"{name} differs for targets {targets.tolist()}, day {day} " \
                    f"(first at {np.argwhere(g != w)[:3].tolist()})"
            assert (got[0][targets, 0] <= egress).all() and (got[0][:, -2] < INF).sum() > len(targets)


def test_no_journey_beats_the_stage_bounds(feed):
    built, net, mc, ws = feed
    ref = ReferenceSolver(built.staged, built.bundle)
    checked = 0
    for i, q in enumerate(random_queries(built.staged, 12, 41, avoid_dst=False, night_every=4)):
        targets = np.array([q.target], np.int32)
        day = mc.tt.day_index(q.date)
        # (half the queries with the bounds of their day's patterns, as the searches use them)
        live = (mc.live(day), day) if i % 2 else (None, None)
        ready, arrived, _, left = stage_bounds(mc.view, ws, targets, np.zeros(1, np.int32), MAX_ROUNDS, 60, *live)
        front = mc_reference(ref, [q.origin], [q.time_s], q.date, [q.target], MAX_ROUNDS, 60,
                             walk_before_first=False, walk_after_last=True)
        for arrival, vehicles, _ in front:
            assert vehicles >= left[q.origin], (q, arrival, vehicles, left[q.origin])
            for j in range(vehicles, MAX_ROUNDS + 1):
                assert arrival - q.time_s >= ready[q.origin, j], (q, arrival, vehicles, j, ready[q.origin])
                checked += 1
    assert checked > 0


def test_raptor_with_the_stage_bounds_finds_the_same_arrivals(feed):
    """The fare criterion's two-criteria run prunes with these bounds (engine._core.run_raptor
    ``lower``, A*-style): the earliest arrival with at most k vehicles must be the one RAPTOR
    finds without them, for every k; bounds 3 minutes too high (no longer lower bounds) must
    change some, or this test could not see a wrong bound (nor may the bounds of one vehicle
    fewer: checked by hand)."""
    from engine._mcraptor import stage_for
    from engine.raptor.search import RaptorQuery

    built, net, mc, ws = feed
    runner, tt = mc.planner.runner, mc.tt
    compared = changed = pruned_runs = 0
    for i, q in enumerate(random_queries(built.staged, 40, 43, avoid_dst=False, night_every=5)):
        day, rounds = tt.day_index(q.date), (1, 2, MAX_ROUNDS)[i % 3]      # (few rounds: every vehicle counts)
        for targets in ([q.target], sorted({q.target, (q.target + 7) % tt.n_stops})):
            rq = RaptorQuery(np.array([q.origin], np.int32), np.array([q.time_s], np.int32),
                             np.array(targets, np.int32), np.zeros(len(targets), np.int32), day, rounds, 60)
            want = runner.run(rq).target_arr_np.copy()
            live = (mc.live(day), day) if i % 2 else (None, None)    # (as the fare criterion's run has them)
            lower = stage_for(mc.view, ws, rq.target_stop, rq.target_egress, rounds, 60, *live).copy()
            got = runner.run(rq, lower=lower).target_arr_np.copy()
            assert np.array_equal(got, want), (q, targets, got.tolist(), want.tolist())
            compared += int((want < 2_000_000_000).sum())
            too_high = np.where(lower < INF, lower + 180, lower).astype(np.int32)
            changed += not np.array_equal(runner.run(rq, lower=too_high).target_arr_np, want)
            pruned_runs += 1
    assert compared > 40 and changed > 0, (compared, changed, pruned_runs)


def test_raptor_lower_is_checked(feed):
    from engine._mcraptor import stage_for
    from engine.raptor.search import RaptorQuery

    built, net, mc, ws = feed
    q = RaptorQuery(np.array([0], np.int32), np.array([8 * 3600], np.int32), np.array([1], np.int32),
                    np.zeros(1, np.int32), 0, MAX_ROUNDS, 60)
    lower = stage_for(mc.view, ws, q.target_stop, q.target_egress, MAX_ROUNDS, 60)
    with pytest.raises(ValueError, match="lower must have"):
        mc.planner.runner.run(q, lower=lower[:-1].copy())
    with pytest.raises(ValueError, match="real-time overlay"):
        mc.planner.runner.run(RaptorQuery(*[getattr(q, f) for f in (
            "origin_stop", "origin_time", "target_stop", "target_egress", "day", "max_rounds", "min_change_s")],
            overlay=object()), lower=lower)
