"""optimize=("arrival", "transfers", "fare") (McRAPTOR with the GTFS fares v1 criterion, issue 14)
against the exhaustive enumeration of tests/reference/fare_reference.py on the real feeds that
carry fare files (BART: origin/destination zones; Caltrain: zones, routes and transfer_duration;
TriMet: contains zones, transfer_duration; Tampa HART: routes, transfers 0) and on Strasbourg CTS
with generated fare files (engine.testing.fares_gen: zones, routes, contains, transfers,
transfer_duration): for seeded random stop-to-stop queries the Pareto set of (arrival, vehicles,
fare) must be equal, and each itinerary's fare must be the v1 price of its rides.
"""
from __future__ import annotations

import pytest

from engine.fares import load_v1
from engine.fares.v1 import Ride, journey_fare

from tests.reference.csa import seconds_on_axis
from tests.reference.fare_reference import UNKNOWN, FareReference
from tests.reference.feeds import build_feed, feed_name, hhmmss, random_queries, shared_data_dir

FARE = ("arrival", "transfers", "fare")
FEEDS = {  # folder -> (vehicles at most, queries): the reference is exponential in vehicles
    "gtfs-us-bart": (2, 10),
    "gtfs-us-caltrain": (2, 12),
    "gtfs-us-portland-trimet": (3, 4),
    "gtfs-us-tampa-hart": (2, 6),
}


def _params():
    root = shared_data_dir()
    params = []
    for folder in FEEDS:
        paths = sorted((root / folder).glob("*.zip")) if root.is_dir() else []
        if folder == "gtfs-us-portland-trimet":
            paths = [p for p in paths if "2routes" in p.name]
        params.append(pytest.param((folder, paths[0]), id=folder, marks=pytest.mark.realdata) if paths else
                      pytest.param(None, id=folder, marks=pytest.mark.skip(reason=f"{folder} absent (BRIQUE_DATA)")))
    strasbourg = sorted((root / "gtfs-fr-strasbourg-cts").glob("*.zip")) if root.is_dir() else []
    params.append(pytest.param(("generated", strasbourg[0]), id="strasbourg-generated-v1", marks=pytest.mark.realdata)
                  if strasbourg else pytest.param(None, id="strasbourg-generated-v1",
                                                  marks=pytest.mark.skip(reason="Strasbourg CTS absent (BRIQUE_DATA)")))
    return params


@pytest.fixture(scope="module", params=_params())
def feed(request, tmp_path_factory):
    import engine

    folder, path = request.param
    out = tmp_path_factory.mktemp("fares")
    if folder == "generated":
        from engine.testing.fares_gen import add_fares

        generated = out / "cts_fares_v1.zip"
        add_fares(path, generated, version="v1", seed=3)
        path, rounds, n = generated, 2, 6
    else:
        rounds, n = FEEDS[folder]
    name = feed_name(path)
    built = build_feed(out, [(name, path)], name)
    net = engine.open(str(built.bundle))
    return built, net, rounds, random_queries(built.staged, n, 41, avoid_dst=False, night_every=5)


def _rides(net, itinerary, date) -> list[Ride]:
    """The itinerary's rides as the fare rules see them (zones of every stop ridden through)."""
    tt = net._planner.tt
    fares = load_v1(tt.bundle)
    trip_ids = {trip_id: i for i, trip_id in enumerate(tt.strings("trips", "trip_id").to_pylist())}
    rides = [(leg, trip_ids[leg.trip_id]) for leg in itinerary.legs if leg.mode == "transit"]
    out = []
    for leg, trip in rides:
        p = int(tt.trip_pattern[trip])
        stops = tt.pattern_stops[tt.pattern_stops_offsets[p]:tt.pattern_stops_offsets[p + 1]].tolist()
        board, alight = net.stop_indices(leg.origin.stop_id)[0], net.stop_indices(leg.destination.stop_id)[0]
        i = stops.index(board)
        j = stops.index(alight, i + 1)
        zones = frozenset(int(fares.stop_zone[s]) for s in stops[i:j + 1] if fares.stop_zone[s] >= 0)
        out.append(Ride(int(tt.pattern_route[p]), board, alight, seconds_on_axis(leg.departure, date), zones))
    return out


def test_fare_pareto_equals_enumeration(feed):
    built, net, rounds, queries = feed
    tt = net._planner.tt
    fares = load_v1(tt.bundle)
    assert fares is not None and fares.n_fares > 0
    ref = FareReference(tt, fares)
    failures, sizes, priced = [], [], 0
    for i, q in enumerate(queries):
        o, t = tt.stop_id(q.origin), tt.stop_id(q.target)
        plan = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=rounds - 1,
                        optimize=FARE, min_change_time=60)
        got = {(seconds_on_axis(it.arrival, q.date), it.n_vehicles, UNKNOWN if f is None else f)
               for it, f in zip(plan.itineraries, plan.stats["fare_minor"])}
        want = ref.pareto([q.origin], q.time_s, tt.day_index(q.date), [q.target], rounds, 60)
        sizes.append(len(got))
        priced += sum(f is not None for f in plan.stats["fare_minor"])
        if got != want:
            failures.append(f"query {i}: {o} -> {t} {q.date} {hhmmss(q.time_s)}: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
    assert not failures, "\n".join(failures)
    assert sum(sizes) > 0 and priced > 0, "no journey with a known fare: the test would prove nothing"


def test_itinerary_fare_is_the_price_of_its_rides(feed):
    """The criterion's value of each itinerary is journey_fare of its rides (no second opinion)."""
    built, net, rounds, queries = feed
    tt = net._planner.tt
    fares = load_v1(tt.bundle)
    checked = priced = 0
    for q in queries[:6]:
        plan = net.plan(tt.stop_id(q.origin), tt.stop_id(q.target), date=q.date.isoformat(),
                        time=hhmmss(q.time_s), max_transfers=rounds - 1, optimize=FARE, min_change_time=60)
        for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]):
            result = journey_fare(fares, _rides(net, it, q.date))
            assert (None if result is None else result.amount_minor) == fare
            checked += 1
            priced += fare is not None
    assert checked > 0 and priced > 0, "no itinerary with a known fare: equal Nones would prove nothing"
