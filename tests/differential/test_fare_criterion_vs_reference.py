"""optimize=("arrival", "transfers", "fare") (McRAPTOR with the GTFS fares criterion, issue 14)
against the exhaustive enumeration of tests/reference/fare_reference.py on the real feeds that
carry fare files (BART: origin/destination zones; Caltrain: zones, routes and transfer_duration;
TriMet: contains zones, transfer_duration; Tampa HART: routes, transfers 0) and on Strasbourg CTS
with generated fare files (engine.testing.fares_gen): v1 (zones, routes, contains, transfers,
transfer_duration) and v2 (networks, areas with the inverse match of empty fields, peak/offpeak
timeframes on their services' days, transfer rules of types 0, 1 and 2 with counts and three
kinds of duration limit). For seeded random stop-to-stop queries the Pareto set of (arrival,
vehicles, fare) must be equal, and each itinerary's fare must be the price of its rides (v1:
engine/fares/v1.py; v2: engine/fares/v2.py, the prices itineraries show). With v2 (prices that
depend on times) the reference also waits for every later vehicle the rules see differently
(fare_reference.v2_waiting); on Strasbourg the queries then have a max_duration_s
(MAX_DURATION_V2_S) that bounds the enumeration.
"""
from __future__ import annotations

import pytest

from engine.fares import load_v1, load_v2
from engine.fares.v1 import Ride, journey_fare

from tests.reference.csa import seconds_on_axis
from engine.criteria.mcraptor import FARE_WAIT_S

from tests.reference.fare_reference import UNKNOWN, reference_for
from tests.reference.feeds import build_feed, feed_name, hhmmss, random_queries, shared_data_dir

FARE = ("arrival", "transfers", "fare")
FEEDS = {  # folder -> (vehicles at most, queries): the reference is exponential in vehicles
    "gtfs-us-bart": (2, 10),
    "gtfs-us-caltrain": (2, 12),
    "gtfs-us-portland-trimet": (3, 4),
    "gtfs-us-tampa-hart": (2, 6),
}
MAX_DURATION_V2_S = 3 * 3600      # Strasbourg with generated v2 fares (the sample has none)


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
    for version in ("v1", "v2", "v2-simple", "v2-priority"):
        name = f"strasbourg-generated-{version}"
        params.append(pytest.param(("generated", version, strasbourg[0]), id=name, marks=pytest.mark.realdata)
                      if strasbourg else pytest.param(None, id=name, marks=pytest.mark.skip(
                          reason="Strasbourg CTS absent (BRIQUE_DATA)")))
    # the built-in sample is small enough for the enumeration with three vehicles: transfer
    # counts (a second transfer refused), chains of refunds and discounts
    for version in ("v2", "v2-simple", "v2-priority"):
        params.append(pytest.param(("sample", version, None), id=f"sample-generated-{version}"))
    return params


@pytest.fixture(scope="module", params=_params())
def feed(request, tmp_path_factory):
    import engine

    folder, path = request.param[0], request.param[-1]
    out = tmp_path_factory.mktemp("fares")
    if folder in ("generated", "sample"):
        from engine.testing.fares_gen import add_fares

        version = request.param[1]
        source = path if folder == "generated" else request.getfixturevalue("sample_paths").gtfs
        path = out / f"{folder}_fares_{version}.zip"
        add_fares(source, path, version=version, seed=3)
        rounds, n = (2, 6 if version == "v1" else 8) if folder == "generated" else (3, 10)
    else:
        rounds, n = FEEDS[folder]
    name = feed_name(path)
    built = build_feed(out, [(name, path)], name)
    net = engine.open(str(built.bundle))
    generated = folder in ("generated", "sample")       # rules written to be exercised by transfers
    max_duration = MAX_DURATION_V2_S if folder == "generated" and request.param[1] != "v1" else None
    return (built, net, rounds, random_queries(built.staged, n, 41, avoid_dst=False, night_every=5), generated,
            max_duration)


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


def test_fare_pareto_equals_enumeration(feed, monkeypatch):
    """Also (fares v2): the fare floors per number of vehicles that let a first pass stand for
    the whole search (engine/criteria/mcraptor.py _set_complete) never exceed the fare of
    a reference journey with no more vehicles, and that shortcut is taken on some queries."""
    from engine.criteria import mcraptor

    built, net, rounds, queries, generated, max_duration = feed
    tt = net._planner.tt
    failures, sizes, priced = [], [], 0
    transfers_priced = 0         # journeys of several vehicles with a known fare
    refs = {}
    floors_seen, one_pass = [], 0
    real_floors = mcraptor.fare_floors

    def recording_floors(ws):
        floors = real_floors(ws)
        floors_seen.append(floors)
        return floors
    monkeypatch.setattr(mcraptor, "fare_floors", recording_floors)
    for i, q in enumerate(queries):
        o, t = tt.stop_id(q.origin), tt.stop_id(q.target)
        floors_seen.clear()
        plan = net.plan(o, t, date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=rounds - 1,
                        optimize=FARE, min_change_time=60, max_duration_s=max_duration)
        one_pass += plan.stats.get("passes") == 1
        got = {(seconds_on_axis(it.arrival, q.date), it.n_vehicles, UNKNOWN if f is None else f)
               for it, f in zip(plan.itineraries, plan.stats["fare_minor"])}
        ref = refs.get(q.date) or refs.setdefault(q.date, reference_for(net, q.date))
        want = ref.pareto([q.origin], q.time_s, tt.day_index(q.date), [q.target], rounds, 60,
                          latest=None if max_duration is None else q.time_s + max_duration,
                          wait_until=q.time_s + (FARE_WAIT_S if max_duration is None else max_duration))
        for floors in floors_seen:
            if floors is None:
                continue            # (no potentials: rules with a negative contribution)
            for _, k, fare in want:
                assert all(floors[j] <= fare for j in range(k, len(floors))), (i, floors.tolist(), sorted(want))
        sizes.append(len(got))
        priced += sum(f is not None for f in plan.stats["fare_minor"])
        transfers_priced += sum(f is not None and it.n_vehicles > 1
                                for it, f in zip(plan.itineraries, plan.stats["fare_minor"]))
        if got != want:
            failures.append(f"query {i}: {o} -> {t} {q.date} {hhmmss(q.time_s)}: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
    assert not failures, "\n".join(failures)
    assert sum(sizes) > 0 and priced > 0, "no journey with a known fare: the test would prove nothing"
    print("TRANSFERS_PRICED", transfers_priced, priced, sum(sizes), "ONE_PASS", one_pass)
    if generated:
        assert transfers_priced > 0, "no priced journey with a transfer: transfer rules were never tested"
    if load_v2(tt.bundle) is not None:
        assert one_pass > 0, "no query stood on its first pass: _set_complete was never tested"


def test_itinerary_fare_is_the_price_of_its_rides(feed):
    """The criterion's value of each itinerary is journey_fare of its rides (no second opinion);
    for v2, the price the itinerary itself shows (engine/fares/pricing.py)."""
    built, net, rounds, queries, generated, _ = feed
    tt = net._planner.tt
    if load_v2(tt.bundle) is not None:
        checked = priced = 0
        for q in queries[:6]:
            plan = net.plan(tt.stop_id(q.origin), tt.stop_id(q.target), date=q.date.isoformat(),
                            time=hhmmss(q.time_s), max_transfers=rounds - 1, optimize=FARE, min_change_time=60)
            for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]):
                assert it.fare.version == "v2"
                assert (it.fare.amount_minor if it.fare.known else None) == fare
                checked += 1
                priced += fare is not None
        assert checked > 0 and priced > 0, "no itinerary with a known fare: equal Nones would prove nothing"
        return
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
