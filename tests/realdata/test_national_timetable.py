"""The national timetable generator (issue 12) at small N: deterministic, built by the engine as
is, connected across copies, and routed exactly (RAPTOR against the reference CSA solver).

Small sources (TER 2025 + three small city feeds) keep this to a few seconds; the national runs
themselves (N = 30 million) are in benchmarks/national/timetable_bench.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pytest

from engine._types import UNREACHED

pytestmark = pytest.mark.realdata

N = 30_000
SEED = 5
CITIES = ("gtfs-de-berlin-subset/ber_gtfs.zip", "gtfs-us-caltrain/caltrain.zip",
          "gtfs-us-portland-trimet/trimet-vermont-2018-02-06.zip")
TER = ("gtfs-fr-sncf-ter-2025/export-ter-gtfs-last.zip",)
MAX_ROUNDS = 5


def _digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.suffix == ".txt"}


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    from benchmarks.national.timetable import generate
    from engine.testing.data import shared_data_dir

    data = shared_data_dir()
    missing = [rel for rel in CITIES + TER if not (data / rel).is_file()]
    if missing:
        pytest.skip(f"shared GTFS feeds absent: {missing} (set BRIQUE_DATA)")
    out = tmp_path_factory.mktemp("national") / "gtfs"
    result = generate(out, N, SEED, city_feeds=CITIES, ter_feeds=TER)
    return out, result


@pytest.fixture(scope="module")
def built(national, tmp_path_factory):
    import engine
    from tests.reference.csa import ReferenceSolver
    from tests.reference.feeds import load_staged

    out, _ = national
    bundle = tmp_path_factory.mktemp("national-bundle") / "national.bundle"
    build = engine.build(str(bundle), gtfs=[("national", str(out))])
    staged = load_staged([("national", out)])
    return build, engine.open(str(bundle)), staged, ReferenceSolver(staged, bundle)


def test_generator_is_deterministic_and_sized(national, tmp_path):
    from benchmarks.national.timetable import generate

    out, result = national
    again = generate(tmp_path / "again", N, SEED, city_feeds=CITIES, ter_feeds=TER)
    assert _digest(out) == _digest(tmp_path / "again")
    assert N <= result.stop_times < N + 500                # N up to one trip
    assert again.stop_times == result.stop_times
    kinds = {c.key[0] for c in result.copies}
    assert kinds == {"t", "c"} and len(result.copies) >= 4
    # several copies of one source feed, each with its own ids
    sources = [c.source for c in result.copies if c.key.startswith("c")]
    assert len(sources) > len(set(sources))
    other = generate(tmp_path / "other", N, SEED + 1, city_feeds=CITIES, ter_feeds=TER)
    assert _digest(tmp_path / "other") != _digest(out)
    assert other.stop_times >= N


def test_engine_builds_it_as_is(national, built):
    _, result = national
    build, _, staged, _ = built
    summary = build.report.summary()
    assert not any(code.startswith(("stop_times.", "trips.", "stops.", "calendar"))
                   for code in summary), summary
    assert len(staged.st_arr) == result.stop_times
    assert staged.period_start == dt.date(2026, 1, 1) and staged.n_days == 365
    ids = staged.stops.column("stop_id").to_pylist()
    assert len(ids) == len(set(ids))
    # a holiday removes working-day services: fewer trips run on Friday 1 May than Friday 15 May
    active = staged.service_days[staged.trips.column("service_idx").to_numpy()]
    may1, may15 = ((dt.date(2026, 5, d) - staged.period_start).days for d in (1, 15))
    assert active[:, may1].sum() < active[:, may15].sum()


def test_copies_are_linked_by_transfers(national, built):
    out, result = national
    _, net, _, _ = built
    assert result.transfers > 0
    lines = (out / "transfers.txt").read_text().splitlines()[1:]
    prefixes = {tuple(x.split("_")[0] for x in line.split(",")[:2]) for line in lines}
    assert all(a != b for a, b in prefixes)
    assert any(a.startswith("t") and b.startswith("c") for a, b in prefixes)
    # from a city stop that has a transfer to the rail copy, rail stops far away are reached
    first = lines[0].split(",")
    frm = first[0] if first[0].startswith("c") else first[1]
    origin = np.asarray(net.stop_indices(f"national:{frm}"), np.int32)
    day = dt.date(2026, 3, 3)
    got = net.round_arrivals(origin, np.full(origin.size, 6 * 3600, np.int32), day,
                             max_rounds=MAX_ROUNDS)
    reached = np.flatnonzero(got.min(axis=0) < UNREACHED)
    feeds = {net.timetable.stop_id(int(s)).split(":")[1].split("_")[0] for s in reached}
    assert any(f.startswith("t") for f in feeds) and any(f.startswith("c") for f in feeds)


def test_raptor_equals_reference_on_national_network(built, monkeypatch):
    """Round arrivals and plan Pareto sets equal the reference CSA on seeded random queries
    (plans with the vehicles-to-target pruning, whatever the network's size)."""
    from engine.raptor.search import RaptorRunner
    from tests.differential.test_raptor_vs_reference import _plan_front

    monkeypatch.setattr(RaptorRunner, "prune_min_stops", 0)
    from tests.reference.csa import pareto_front
    from tests.reference.feeds import hhmmss, random_queries

    _, net, staged, ref = built
    failures = []
    for i, q in enumerate(random_queries(staged, 16, seed=3, avoid_dst=False, night_every=4)):
        origin = np.array([q.origin], np.int32)
        when = np.array([q.time_s], np.int32)
        got = net.round_arrivals(origin, when, q.date, max_rounds=MAX_ROUNDS, min_change_time=60)
        want = ref.round_arrivals(origin, when, q.date, MAX_ROUNDS, 60, True)
        if not np.array_equal(got, want):
            failures.append(f"query {i}: round arrivals differ at {int((got != want).sum())} cells")
        origin_id, target_id = ref.stop_ids[q.origin], ref.stop_ids[q.target]
        plan = net.plan(origin_id, target_id, date=q.date.isoformat(), time=hhmmss(q.time_s),
                        max_transfers=MAX_ROUNDS - 1, min_change_time=60,
                        walk_before_first=True, walk_after_last=True)
        front = pareto_front(want, net.stop_indices(target_id))
        if _plan_front(plan, q.date) != front:
            failures.append(f"query {i}: plan {origin_id} -> {target_id} differs from reference")
    assert not failures, "\n".join(failures)



def _reachable_pairs(ref, staged, n: int, seed: int):
    """(query, target, first round reaching it): seeded origins, each with a target the
    reference reaches by vehicle (most random pairs of a small national network are not
    connected within MAX_ROUNDS)."""
    from tests.reference.feeds import random_queries

    rng = np.random.default_rng(seed)
    out = []
    for q in random_queries(staged, 4 * n, seed=seed, avoid_dst=False):
        want = ref.round_arrivals(np.array([q.origin], np.int32), np.array([q.time_s], np.int32), q.date,
                                  MAX_ROUNDS, 60, True)
        by_vehicle = np.flatnonzero((want[0] >= UNREACHED) & (want[-1] < UNREACHED))
        if len(by_vehicle):
            target = int(rng.choice(by_vehicle))
            out.append((q, target, int(np.flatnonzero(want[:, target] < UNREACHED)[0])))
        if len(out) == n:
            break
    return out


def test_vehicle_bounds_never_exceed_the_vehicles_used(built):
    """vehicles_to_targets is a lower bound: where the reference reaches the target with k
    vehicles from an origin, the bound at that origin is at most k."""
    from engine._core import reverse_footpaths, vehicles_to_targets

    _, net, staged, ref = built
    tt = net.timetable
    offsets, sources = reverse_footpaths(np.asarray(tt.footpath_offsets, np.int32),
                                         np.asarray(tt.footpath_to, np.int32), tt.n_stops)
    want_from = sorted((int(y), int(x)) for x in range(tt.n_stops)
                       for y in tt.footpath_to[tt.footpath_offsets[x]:tt.footpath_offsets[x + 1]])
    got_from = sorted((int(y), int(x)) for y in range(tt.n_stops) for x in sources[offsets[y]:offsets[y + 1]])
    assert got_from == want_from
    pairs = _reachable_pairs(ref, staged, 12, seed=8)
    assert len(pairs) >= 6
    for q, target, first in pairs:
        bound = vehicles_to_targets(tt.view, offsets, sources, np.array([target], np.int32), MAX_ROUNDS)
        assert bound[target] == 0 and bound.max() <= MAX_ROUNDS
        assert bound[q.origin] <= first, (q, target, bound[q.origin], first)
    assert any(first >= 2 for _, _, first in pairs)


def test_pruned_plans_equal_unpruned_plans(built, monkeypatch):
    """Same itineraries, legs included, with and without the vehicles-to-target pruning."""
    from engine.raptor.search import RaptorRunner
    from tests.reference.feeds import hhmmss

    _, net, staged, ref = built
    monkeypatch.setattr(RaptorRunner, "prune_min_stops", 0)

    def legs(plan):
        return [(it.departure, it.arrival, it.n_vehicles,
                 [(leg.mode, leg.trip_id, leg.departure, leg.arrival) for leg in it.legs])
                for it in plan.itineraries]

    args = [(ref.stop_ids[q.origin], ref.stop_ids[target], q.date.isoformat(), hhmmss(q.time_s))
            for q, target, _ in _reachable_pairs(ref, staged, 12, seed=21)]
    pruned = [legs(net.plan(a, b, date=d, time=t, max_transfers=MAX_ROUNDS - 1)) for a, b, d, t in args]
    bound = net._runner._local.prune[1]          # the last plan's bounds: some stops pruned
    assert (bound == MAX_ROUNDS - 1).any() and (bound == 0).any()
    monkeypatch.setattr(RaptorRunner, "prune", lambda self, q: None)
    assert [legs(net.plan(a, b, date=d, time=t, max_transfers=MAX_ROUNDS - 1)) for a, b, d, t in args] == pruned
    assert all(pruned)


def test_overtaking_departures_are_refused_when_mapped(built, tmp_path):
    """The stop_times check looks only where departures drop (engine/bundle/checks.py): a drop
    inside one (pattern, stop) slice is still found and named."""
    import shutil

    from engine.bundle.reader import open_bundle
    from engine.errors import BundleError
    from tests.bundle.test_integrity import _edit

    build, net, _, _ = built
    copy = tmp_path / "national.bundle"
    shutil.copytree(build.path, copy)
    tt = net.timetable
    p = int(np.flatnonzero(np.asarray(tt.pattern_n_trips) >= 2)[0])
    row = int(tt.pattern_st_offset[p]) + 1 * int(tt.pattern_n_trips[p])    # stop_pos 1, first trip

    def overtake(dep):
        dep[row] = dep[row + 1] + 60

    _edit(copy, "timetable/stop_times", "dep", overtake)
    with pytest.raises(BundleError, match="departures decrease") as info:
        open_bundle(copy).table("timetable/patterns")
    assert f"row {p}" in str(info.value)
    open_bundle(build.path).table("timetable/patterns")          # the original still maps
