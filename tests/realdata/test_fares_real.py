"""GTFS fares v1 on the shared feeds that carry fare files: parsing counts against the files
themselves, and prices of itineraries against the fare files read here with the csv module
(BART origin/destination pairs, Caltrain route + zone pairs, TriMet contains and agencies, Tampa
HART route fares without transfers, Porto Alegre EPTC's single flat fare)."""
from __future__ import annotations

import csv
import io
import random
import zipfile

import pytest

import engine
from engine.loaders.gtfs import load_gtfs
from engine.testing.data import shared_data_dir
from engine.timetable.staging import BuildReport

pytestmark = pytest.mark.realdata

ROOT = shared_data_dir()
FEEDS = {
    "bart": ROOT / "gtfs-us-bart" / "bart-new.zip",
    "caltrain": ROOT / "gtfs-us-caltrain" / "caltrain.zip",
    "trimet": ROOT / "gtfs-us-portland-trimet" / "trimet-2routes.zip",
    "hart": ROOT / "gtfs-us-tampa-hart" / "hart.zip",
    "poa": ROOT / "gtfs-br-porto-alegre" / "poa_eptc.zip",
}
if not all(p.exists() for p in FEEDS.values()):
    pytest.skip(f"shared GTFS fare feeds not found under {ROOT} (set BRIQUE_DATA)", allow_module_level=True)


def rows(feed: str, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(FEEDS[feed]) as zf:
        if name not in zf.namelist():
            return []
        return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8-sig"))))


def cents(price: str) -> int:
    whole, _, frac = price.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, engine.Network]:
    out = tmp_path_factory.mktemp("fares_real")
    return {name: engine.open(engine.build(out / f"{name}.bundle", gtfs=[(name, path)]).path)
            for name, path in FEEDS.items()}


def single_rides(net, date: str, n_pairs: int = 60, seed: int = 0):
    """1-vehicle itineraries between random pairs of platforms, at random morning times."""
    tt = net.timetable
    stops = [i for i in range(tt.n_stops) if tt.stop_location_type[i] == 0]
    rng = random.Random(seed)
    found = []
    for _ in range(n_pairs):
        a, b = rng.sample(stops, 2)
        plan = net.plan(tt.stop_id(a), tt.stop_id(b), date=date, time=f"{rng.randint(6, 18):02d}:{rng.randint(0, 59):02d}",
                        max_transfers=3)
        found.extend(plan.itineraries)
    return found


def transit(it):
    return [leg for leg in it.legs if leg.mode == "transit"]


def bare(prefixed: str) -> str:
    return prefixed.split(":", 1)[1]


# ------------------------------------------------------------------ parsing
@pytest.mark.parametrize("feed", list(FEEDS))
def test_parsing_counts_match_the_files(feed, bundles):
    attrs, rules = rows(feed, "fare_attributes.txt"), rows(feed, "fare_rules.txt")
    zones = {r["zone_id"] for r in rows(feed, "stops.txt") if r.get("zone_id")}
    b = bundles[feed].bundle
    assert b.table("fares/attributes").num_rows == len(attrs) > 0
    assert b.table("fares/rules").num_rows == len(rules)
    assert b.table("fares/zones").num_rows == len(zones | {r[c] for r in rules for c in
                                                          ("origin_id", "destination_id", "contains_id") if r.get(c)})
    assert b.table("fares/stops").num_rows == b.table("timetable/stops").num_rows
    assert b.table("fares/leg_rules").num_rows == 0           # no shared feed has fares v2
    ids = b.strings("fares/attributes", "fare_id").to_pylist()
    assert ids == [f"{feed}:{r['fare_id']}" for r in attrs]    # merged-bundle ids: "FEED:ID", file order
    prices = b.column("fares/attributes", "price_minor").tolist()
    assert prices == [cents(r["price"]) for r in attrs]
    counts = bundles[feed].manifest["report"]["counts"]
    assert counts["fares.fare_attributes.read"] == len(attrs)


def test_extension_files_are_counted_as_not_understood():
    """Caltrain's farezone_attributes.txt is not read (counted); BART's GTFS+ rider prices are
    (fare_rider_categories.txt with the names of rider_categories.txt), so nothing is left."""
    report = BuildReport()
    load_gtfs([("bart", FEEDS["bart"])], report)
    assert [i for i in report.issues if i.code == "fares.not_understood"] == []
    assert report.counts["fares.fare_rider_categories.read"] == len(rows("bart", "fare_rider_categories.txt"))
    report = BuildReport()
    load_gtfs([("caltrain", FEEDS["caltrain"])], report)
    assert [i.file for i in report.issues if i.code == "fares.not_understood"] == ["farezone_attributes.txt"]


# ------------------------------------------------------------------ prices
def test_bart_origin_destination_fares(bundles):
    zone = {r["stop_id"]: r["zone_id"] for r in rows("bart", "stops.txt")}
    price = {r["fare_id"]: cents(r["price"]) for r in rows("bart", "fare_attributes.txt")}
    od = {(r["origin_id"], r["destination_id"]): r["fare_id"] for r in rows("bart", "fare_rules.txt")}
    its = single_rides(bundles["bart"], "2023-04-05", 30)
    checked = 0
    for it in its:
        legs = transit(it)
        o, d = zone[bare(legs[0].origin.stop_id)], zone[bare(legs[-1].destination.stop_id)]
        assert it.fare.known and it.fare.version == "v1" and it.fare.currency == "USD"
        if len(legs) == 1:
            assert it.fare.amount_minor == price[od[(o, d)]]
            assert [p.id for p in it.fare.products] == [f"bart:{od[(o, d)]}"]
            assert it.fare.products[0].legs == (it.legs.index(legs[0]),)
            checked += 1
        else:       # unlimited transfers: one ticket from the first boarding zone is a cover
            assert it.fare.amount_minor <= price[od[(o, d)]]
    assert checked >= 10
    # one hand-read pair: EMBR -> DUBL is fare_rules row "1775,,EMBR,DUBL," and fare 1775 costs 6.85
    assert od[("EMBR", "DUBL")] == "1775" and price["1775"] == 685
    plan = bundles["bart"].plan("bart:EMBR", "bart:DUBL", date="2023-04-05", time="08:00")
    assert [it.fare.amount for it in plan.itineraries if it.n_vehicles == 1] == [6.85]


def test_bart_gtfs_plus_rider_category_prices(bundles):
    """BART's youth, senior / disabled and Clipper START prices (GTFS+ fare_rider_categories.txt):
    the categories listed with rider_categories.txt's descriptions, and each single-ride
    itinerary priced for a category at that category's price of its origin/destination fare
    (read here from the files), the default rider's unchanged."""
    net = bundles["bart"]
    names = {r["rider_category_id"]: r["rider_category_description"] for r in rows("bart", "rider_categories.txt")}
    rider_price = {(r["fare_id"], r["rider_category_id"]): cents(r["price"])
                   for r in rows("bart", "fare_rider_categories.txt")}
    assert {c["id"]: c["name"] for c in net.rider_categories()} == names and len(names) == 3
    assert net.bundle.table("fares/attribute_prices").num_rows == len(rider_price)
    zone = {r["stop_id"]: r["zone_id"] for r in rows("bart", "stops.txt")}
    od = {(r["origin_id"], r["destination_id"]): r["fare_id"] for r in rows("bart", "fare_rules.txt")}
    price = {r["fare_id"]: cents(r["price"]) for r in rows("bart", "fare_attributes.txt")}
    tt = net.timetable
    stops = [i for i in range(tt.n_stops) if tt.stop_location_type[i] == 0]
    rng = random.Random(5)
    checked = cheaper = 0
    for _ in range(40):
        a, b = rng.sample(stops, 2)
        when = dict(date="2023-04-05", time=f"{rng.randint(6, 20):02d}:{rng.randint(0, 59):02d}", max_transfers=0)
        default = net.plan(tt.stop_id(a), tt.stop_id(b), **when).itineraries
        for category in names:
            for it, base in zip(net.plan(tt.stop_id(a), tt.stop_id(b), rider_category=category, **when).itineraries,
                                default):
                legs = transit(it)
                fare_id = od[(zone[bare(legs[0].origin.stop_id)], zone[bare(legs[-1].destination.stop_id)])]
                assert it.fare.known and it.fare.rider_category == category
                assert it.fare.amount_minor == rider_price[(fare_id, category)]
                assert [p.id for p in it.fare.products] == [f"bart:{fare_id}"]
                assert base.fare.amount_minor == price[fare_id] and base.fare.rider_category is None
                checked += 1
                cheaper += it.fare.amount_minor < base.fare.amount_minor
    assert checked >= 30 and cheaper == checked      # every category pays less than an adult on BART


def test_caltrain_zone_fares_by_route(bundles):
    zone = {r["stop_id"]: r["zone_id"] for r in rows("caltrain", "stops.txt")}
    price = {r["fare_id"]: cents(r["price"]) for r in rows("caltrain", "fare_attributes.txt")}
    fare_of = {(r["route_id"], r["origin_id"], r["destination_id"]): r["fare_id"] for r in rows("caltrain", "fare_rules.txt")}
    its = [it for it in single_rides(bundles["caltrain"], "2018-06-13", 25) if it.n_vehicles == 1]
    assert len(its) >= 8
    for it in its:
        (leg,) = transit(it)
        key = (bare(leg.route_id), zone[bare(leg.origin.stop_id)], zone[bare(leg.destination.stop_id)])
        assert it.fare.amount_minor == price[fare_of[key]], key
    plan = bundles["caltrain"].plan("caltrain:70011", "caltrain:70261", date="2018-06-13", time="08:00")
    # San Francisco (zone 1) -> 70261 (zone 4): OW_4_20160228, 10.50 USD
    assert zone["70261"] == "4" and plan.itineraries[0].fare.describe() == "USD 10.50"


def test_trimet_contains_zones_and_agency(bundles):
    net = bundles["trimet"]
    routes = {r["route_id"]: r["agency_id"] for r in rows("trimet", "routes.txt")}
    zone = {r["stop_id"]: r["zone_id"] for r in rows("trimet", "stops.txt")}
    attrs = {r["fare_id"]: r for r in rows("trimet", "fare_attributes.txt")}
    contains: dict[str, set[str]] = {}
    for r in rows("trimet", "fare_rules.txt"):
        contains.setdefault(r["fare_id"], set()).add(r["contains_id"])
    its = [it for it in single_rides(net, "2021-10-18", 40) if it.n_vehicles == 1]
    priced = unknown = 0
    for it in its:
        (leg,) = transit(it)
        agency = routes[bare(leg.route_id)]
        if all(a["agency_id"] != agency for a in attrs.values()):
            assert not it.fare.known and "no fare_rules row" in it.fare.reason      # Portland Streetcar: no fare
            unknown += 1
            continue
        tt = net.timetable
        pattern_zones = {zone[bare(tt.stop_id(s))] for s in leg.ride.stops} - {""}
        expected = min(cents(a["price"]) for f, a in attrs.items() if contains[f] == pattern_zones)
        assert it.fare.known and it.fare.amount_minor == expected
        assert contains[bare(it.fare.products[0].id)] == pattern_zones
        priced += 1
    assert priced and unknown


def test_tampa_route_fares_without_transfers(bundles):
    price = {r["fare_id"]: cents(r["price"]) for r in rows("hart", "fare_attributes.txt")}
    assert {r["transfers"] for r in rows("hart", "fare_attributes.txt")} == {"0"}
    by_route: dict[str, list[int]] = {}
    for r in rows("hart", "fare_rules.txt"):
        by_route.setdefault(r["route_id"], []).append(price[r["fare_id"]])
    its = single_rides(bundles["hart"], "2018-06-13", 40)
    multi = 0
    for it in its:
        legs = transit(it)
        expected = [min(by_route.get(bare(leg.route_id), [None]) or [None]) for leg in legs]
        if None in expected:
            assert not it.fare.known
            continue
        assert it.fare.amount_minor == sum(expected)                   # transfers 0: one ticket per ride
        assert len(it.fare.products) == len(legs)
        multi += len(legs) > 1
    assert multi >= 1


def test_porto_alegre_flat_fare_applies_to_every_ride(bundles):
    (attr,) = rows("poa", "fare_attributes.txt")
    assert rows("poa", "fare_rules.txt") == [] and attr["transfers"] == "0"
    its = single_rides(bundles["poa"], "2019-06-12", 15)
    assert its
    for it in its:
        assert it.fare.currency == "BRL" and it.fare.amount_minor == cents(attr["price"]) * it.n_vehicles


def test_merged_feeds_keep_fares_apart_and_say_unknown(tmp_path):
    """Caltrain's fares never price a ride on a feed without fares: that ride's fare is unknown."""
    vermont = ROOT / "gtfs-us-portland-trimet" / "trimet-vermont-2018-02-06.zip"
    net = engine.open(engine.build(tmp_path / "m.bundle", gtfs=[("caltrain", FEEDS["caltrain"]), ("vt", vermont)]).path)
    assert net.bundle.strings("fares/zones", "zone_id").to_pylist()[0].startswith("caltrain:")
    assert set(net.bundle.column("fares/attributes", "feed_idx").tolist()) == {0}
    plan = net.plan("caltrain:70011", "caltrain:70261", date="2018-06-13", time="08:00")
    assert plan.itineraries[0].fare.amount == 10.5
    tt = net.timetable
    vt = [i for i in range(tt.n_stops) if tt.stop_id(i).startswith("vt:") and tt.stop_location_type[i] == 0]
    rng = random.Random(3)
    seen = 0
    for _ in range(30):
        a, b = rng.sample(vt, 2)
        for it in net.plan(tt.stop_id(a), tt.stop_id(b), date="2018-02-07", time="08:00").itineraries:
            if it.n_vehicles:
                assert not it.fare.known and it.fare.reason.startswith("no fare data for leg")
                assert it.fare.amount is None and it.to_dict()["fare"]["known"] is False
                seen += 1
    assert seen


def test_range_arrive_by_and_door_to_door_are_priced(bundles):
    net = bundles["bart"]
    base = {"date": "2023-04-05", "time": "08:00"}
    for plan in (net.plan("bart:EMBR", "bart:DUBL", window_s=1800, **base),
                 net.plan("bart:EMBR", "bart:DUBL", arrive_by=True, **{**base, "time": "09:30"}),
                 net.plan((37.7929, -122.3970), (37.7017, -121.8992), **base)):
        transit_its = [it for it in plan.itineraries if it.n_vehicles]
        assert transit_its and all(it.fare is not None and it.fare.amount == 6.85 for it in transit_its)


def test_build_without_fare_files_has_no_fares_group(tmp_path):
    vermont = ROOT / "gtfs-us-portland-trimet" / "trimet-vermont-2018-02-06.zip"
    net = engine.open(engine.build(tmp_path / "v.bundle", gtfs=[("vt", vermont)]).path)
    from engine.fares import load_v1, load_v2

    assert not net.bundle.has("fares/attributes") and load_v1(net.bundle) is None and load_v2(net.bundle) is None
    tt = net.timetable
    stops = [tt.stop_id(i) for i in range(tt.n_stops) if tt.stop_location_type[i] == 0]
    its = net.plan(stops[0], stops[5], date="2018-02-07", time="08:00").itineraries
    assert its, "no itinerary: the fare assertions below would check nothing"
    for it in its:
        assert it.fare is None and it.to_dict()["fare"] is None

