"""The fare criterion prices the two-criteria run's journeys (its target pruning, McPlanner._known)
and the journeys it moves to later trips (McQuery.leave_later) in the kernel
(engine._mcraptor.v2_journey_fare, McPlanner.search_fare) instead of building and pricing their
itineraries: that price must be the itinerary's (engine/fares/v2.py, what the answer shows), or
the search prunes with wrong fares and the answer's stats disagree with its itineraries.

Every journey search_fare prices during fare plans of random station queries is priced again as
an itinerary here: Strasbourg CTS with the generated fares v2 rule sets (transfer types 0/1/2,
counts, three kinds of duration limit, timeframes, priorities; a youth rider and the paper
medium on "v2") and the built-in sample with the same rule sets.
"""
from __future__ import annotations

import pytest

from tests.reference.feeds import shared_data_dir, station_queries

FARE = ("arrival", "transfers", "fare")


def _strasbourg() -> list:
    folder = shared_data_dir() / "gtfs-fr-strasbourg-cts"
    return sorted(folder.glob("*.zip")) if folder.is_dir() else []


def _sources():
    absent = pytest.mark.skip(reason="Strasbourg CTS absent (BRIQUE_DATA)")
    rule_sets = ("v2", "v2-simple", "v2-priority")
    return [pytest.param(("strasbourg", v), id=f"strasbourg-{v}", marks=pytest.mark.realdata if _strasbourg()
                         else absent) for v in rule_sets] + \
        [pytest.param(("sample", v), id=f"sample-{v}") for v in rule_sets]


@pytest.fixture(scope="module", params=_sources())
def fare_bundle(request, tmp_path_factory):
    """(rule set, bundle path): the feed with generated fares of that rule set, built."""
    import engine
    from engine.testing.fares_gen import add_fares

    where, version = request.param
    source = _strasbourg()[0] if where == "strasbourg" else request.getfixturevalue("sample_paths").gtfs
    out = tmp_path_factory.mktemp("fare-kernel")
    generated = add_fares(source, out / "feed.zip", version, seed=3)
    return version, str(engine.build(out / "feed.bundle", gtfs=[("feed", generated)]).path)


def test_search_fare_equals_itinerary_price(fare_bundle, monkeypatch):
    import engine
    from engine.criteria.mcraptor import FARE_UNKNOWN, McPlanner

    version, bundle = fare_bundle
    seen = []       # (search price, itinerary price, rides, raw legs)
    kernel = McPlanner.search_fare

    def checked(self, fares, raw, request):
        got = kernel(self, fares, raw, request)
        assert got is not None, "fares v2 on the schedule: the kernel prices the journey"
        tz = self.planner.timezone(self.planner.endpoint(request.origin, request, "origin"))
        fare = self.planner.legs.fare(self.build_legs(raw, request.date, tz, {}), request.rider_category,
                                      request.fare_medium)
        want = fare.amount_minor if fare is not None and fare.known else FARE_UNKNOWN
        seen.append((got, want, sum(leg.kind == "transit" for leg in raw), raw))
        return got

    monkeypatch.setattr(McPlanner, "search_fare", checked)
    net = engine.open(bundle)
    riders = [{}] + ([{"rider_category": "youth"}, {"fare_media": "paper"}] if version == "v2" else [])
    for options in riders:
        for q in station_queries(bundle, 40, 4101):
            net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4, optimize=FARE, **options)
    wrong = [(got, want, raw) for got, want, _, raw in seen if got != want]
    assert not wrong, f"{len(wrong)} of {len(seen)} journeys priced otherwise by the search, e.g. {wrong[0]}"
    # the comparison saw priced journeys, some with transfers (where transfer rules apply)
    assert sum(rides >= 2 and got < FARE_UNKNOWN for got, _, rides, _ in seen) >= 5
    assert sum(got < FARE_UNKNOWN for got, *_ in seen) >= 10


def test_search_fare_none_without_fares_v2(sample_paths, tmp_path, monkeypatch):
    """v1 (tickets cut by the itinerary's pricing) and a bundle without v2: the caller prices the
    itinerary (search_fare None)."""
    import engine
    from engine.criteria.mcraptor import McPlanner
    from engine.testing.fares_gen import add_fares

    z = add_fares(sample_paths.gtfs, tmp_path / "v1.zip", "v1", seed=3)
    bundle = str(engine.build(tmp_path / "v1.bundle", gtfs=[("feed", z)]).path)
    calls = []
    kernel = McPlanner.search_fare

    def recorded(self, fares, raw, request):
        calls.append(kernel(self, fares, raw, request))
        return calls[-1]

    monkeypatch.setattr(McPlanner, "search_fare", recorded)
    net = engine.open(bundle)
    for q in station_queries(bundle, 10, 4102):
        net.plan(q[0], q[1], date=q[2], time=q[3], optimize=FARE)
    assert calls and all(c is None for c in calls)


def test_v2_journey_fare_refuses_bad_rides(fare_bundle):
    """Rows that are not (pattern, boarding, alighting, departure, arrival), or a pattern / stop
    outside the model: a ValueError, not a read outside the arrays."""
    import datetime as dt

    import numpy as np

    import engine
    from engine._mcraptor import v2_journey_fare
    from engine.raptor.legs import zone

    _, bundle = fare_bundle
    net = engine.open(bundle)
    q = station_queries(bundle, 1, 4103)[0]
    net.plan(q[0], q[1], date=q[2], time=q[3], optimize=FARE)     # (the fare model built)
    mc = next(v for k, v in net._criteria_cache.items() if k[0] == "mc")
    fares = mc.fare_model(dt.date.fromisoformat(q[2]), zone(mc.tt.feed_timezones[0]))
    with pytest.raises(ValueError, match="one pattern"):
        v2_journey_fare(fares, np.zeros((1, 4), np.int32))
    with pytest.raises(ValueError, match="outside"):
        v2_journey_fare(fares, np.array([[10 ** 8, 0, 0, 0, 0]], np.int32))
    with pytest.raises(ValueError, match="outside"):
        v2_journey_fare(fares, np.array([[0, 0, -1, 0, 0]], np.int32))
