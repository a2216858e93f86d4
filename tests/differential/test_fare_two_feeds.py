"""The fare criterion on a bundle of two feeds with different fares v2 rule sets (the sample with
generated "v2-priority" as feed a and "v2" as feed b, the same streets and stops, so journeys may
change feeds on foot): every per-feed table of the kernel's fare model (transfer rules, canonical
counts and refunds, each feed's dearest refund, the potentials' rule pieces) is indexed by feed,
and a feed's rules never price the other's rides. The Pareto sets must equal the exhaustive
enumeration's, for the default rider and for youths."""
from __future__ import annotations

import pytest

import engine
from engine.criteria.mcraptor import FARE_WAIT_S
from engine.testing.fares_gen import add_fares

from tests.reference.csa import seconds_on_axis
from tests.reference.fare_reference import UNKNOWN, reference_for
from tests.reference.feeds import build_feed, hhmmss, random_queries

FARE = ("arrival", "transfers", "fare")


@pytest.fixture(scope="module")
def two_feeds(sample_paths, tmp_path_factory):
    out = tmp_path_factory.mktemp("two-feeds")
    a = add_fares(sample_paths.gtfs, out / "a.zip", version="v2-priority", seed=3)
    b = add_fares(sample_paths.gtfs, out / "b.zip", version="v2", seed=3)
    built = build_feed(out, [("a", a), ("b", b)], "ab")
    return built, engine.open(str(built.bundle))


@pytest.mark.parametrize("rider", [None, "youth"])
def test_two_feeds_fare_pareto_equals_enumeration(two_feeds, rider):
    built, net = two_feeds
    tt = net._planner.tt
    failures, priced, feeds_seen = [], 0, set()
    refs: dict = {}
    for i, q in enumerate(random_queries(built.staged, 12, 9, avoid_dst=False, night_every=4)):
        o, t = tt.stop_id(q.origin), tt.stop_id(q.target)
        plan = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=2, optimize=FARE,
                        min_change_time=60, rider_category=rider)
        got = {(seconds_on_axis(it.arrival, q.date), it.n_vehicles, UNKNOWN if f is None else f)
               for it, f in zip(plan.itineraries, plan.stats["fare_minor"])}
        ref = refs.get(q.date) or refs.setdefault(q.date, reference_for(net, q.date, rider))
        want = ref.pareto([q.origin], q.time_s, tt.day_index(q.date), [q.target], 3, 60,
                          wait_until=q.time_s + FARE_WAIT_S)
        if got != want:
            failures.append(f"query {i}: {o} -> {t} {q.date} {hhmmss(q.time_s)}: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
        priced += sum(f is not None for f in plan.stats["fare_minor"])
        feeds_seen |= {p.id.split(":")[0] for it in plan.itineraries if it.fare and it.fare.known
                       for p in it.fare.products}
    assert not failures, "\n".join(failures)
    assert priced > 0 and feeds_seen == {"a", "b"}, (priced, feeds_seen)     # (both feeds' rules priced)
