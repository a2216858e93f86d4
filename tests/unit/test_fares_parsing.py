"""Fare files on the built-in sample (no shared data needed): bad rows skipped or fixed and
counted with file, line and field; what is not understood counted; the generator deterministic;
v1 and v2 bundles price every itinerary."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest

import engine
from engine.fares import load_v1, load_v2
from engine.loaders.gtfs import load_gtfs, validate_gtfs
from engine.loaders.gtfs_fares import minor_digits
from engine.sample import DEMO
from engine.testing.data import feed_with_files
from engine.testing.fares_gen import add_fares
from engine.timetable.staging import BuildReport



def _load(feed):
    """(staged feed, build report, {(code, file, line, field)} of its issues) of feed "bq"."""
    report = BuildReport()
    staged = load_gtfs([("bq", feed)], report)
    return staged, report, {(i.code, i.file, i.line, i.field) for i in report.issues}

def _route_ids(zip_path) -> list[str]:
    with zipfile.ZipFile(zip_path) as zf:
        return [r["route_id"] for r in csv.DictReader(io.StringIO(zf.read("routes.txt").decode()))]


BAD_ATTRIBUTES = """fare_id,price,currency_type,payment_method,transfers,transfer_duration,loyalty_points
flat,1.60,EUR,0,,3600,3
flat,9.99,EUR,0,,3600,3
bad_price,abc,EUR,0,,,1
bad_currency,1.00,EU,0,,,1
odd_currency,1.00,XTS,0,,,1
rounded,1.005,EUR,0,,,1
bad_transfers,1.00,EUR,0,7,,1
yen,200,JPY,0,,,1
"""


def test_bad_rows_are_counted_with_file_line_and_field(sample_paths, tmp_path):
    route = _route_ids(sample_paths.gtfs)[0]
    rules = (f"fare_id,route_id,origin_id,destination_id,contains_id\nflat,,,,\nnobody,,,,\n"
             f"flat,NO_SUCH_ROUTE,,,\nrounded,{route},,,\nrounded,,Z9,,\n")
    feed = feed_with_files(sample_paths.gtfs, tmp_path / "bad.zip", {
        "fare_attributes.txt": BAD_ATTRIBUTES, "fare_rules.txt": rules,
        "fare_products.txt": "fare_product_id,amount,currency\np1,1.00,EUR\n",
        "fare_leg_rules.txt": "leg_group_id,network_id\ng,n\n",              # fare_product_id missing
        "fare_leg_join_rules.txt": "from_network_id,to_network_id\na,b\n"})
    staged, report, where = _load(feed)
    c = report.counts
    assert c["fares.fare_attributes.read"] == 8 and c["fares.fare_rules.read"] == 5
    for key in ("skipped.fare_attributes.duplicate_id", "skipped.fare_attributes.bad_price",
                "skipped.fare_attributes.bad_currency", "skipped.fare_attributes.bad_transfers",
                "fixed.fare_attributes.unknown_currency", "fixed.fare_attributes.price_rounded",
                "skipped.fare_rules.unknown_fare", "skipped.fare_rules.unknown_route", "fixed.fare_rules.unknown_zone",
                "warnings.fares.file_unusable"):
        assert c.get(key) == 1, key
    # not understood: the extra column (fare_leg_join_rules.txt is a v2 file, unused with no usable leg rules)
    assert c["warnings.fares.not_understood"] == 1
    assert ("fare_attributes.duplicate_id", "fare_attributes.txt", 3, "fare_id") in where
    assert ("fare_attributes.bad_price", "fare_attributes.txt", 4, "price") in where
    assert ("fare_attributes.bad_currency", "fare_attributes.txt", 5, "currency_type") in where
    assert ("fare_attributes.bad_transfers", "fare_attributes.txt", 8, "transfers") in where
    assert ("fare_rules.unknown_fare", "fare_rules.txt", 3, "fare_id") in where
    assert ("fare_rules.unknown_route", "fare_rules.txt", 4, "route_id") in where
    assert ("fare_rules.unknown_zone", "fare_rules.txt", 6, "origin_id") in where
    assert ("fares.not_understood", "fare_attributes.txt", 1, "loyalty_points") in where
    assert any(i.code == "fares.file_unusable" and i.file == "fare_leg_rules.txt" and "fare_product_id" in i.message
               for i in report.issues)
    fares = staged.fares
    attrs = fares["fares/attributes"].to_pydict()
    assert attrs["fare_id"] == ["bq:flat", "bq:odd_currency", "bq:rounded", "bq:yen"]
    assert attrs["price_minor"] == [160, 100, 100, 200] and attrs["minor_digits"] == [2, 2, 2, 0]
    assert attrs["transfer_duration_s"] == [3600, -1, -1, -1] and attrs["transfers"] == [-1, -1, -1, -1]
    assert fares["fares/rules"].num_rows == 3                  # flat, rounded+route, rounded+Z9
    assert fares["fares/leg_rules"].num_rows == 0
    # validate_gtfs reports the same counts without building
    assert validate_gtfs([("bq", feed)]).counts["skipped.fare_attributes.bad_price"] == 1


def test_out_of_range_values_and_bad_bytes_are_reported(sample_paths, tmp_path):
    attrs = ("fare_id,price,currency_type,payment_method,transfers,transfer_duration\n"
             "ok,1.00,EUR,0,,\nneg,1.00,EUR,0,,-5\nlong,1.00,EUR,0,,999999999999999999999\n"
             "dear,99999999999999999999999,EUR,0,,\n").encode() + b"caf\xe9,1.00,EUR,0,,\n"
    feed = feed_with_files(sample_paths.gtfs, tmp_path / "range.zip", {
        "fare_attributes.txt": attrs, "fare_rules.txt": "fare_id,route_id,origin_id,destination_id,contains_id\n"})
    staged, report, where = _load(feed)
    assert ("fare_attributes.bad_transfer_duration", "fare_attributes.txt", 3, "transfer_duration") in where
    assert ("fare_attributes.bad_transfer_duration", "fare_attributes.txt", 4, "transfer_duration") in where
    assert ("fare_attributes.bad_price", "fare_attributes.txt", 5, "price") in where
    assert any(i.code == "csv.encoding" and i.file == "fare_attributes.txt" and i.line == 6 for i in report.issues)
    ids = staged.fares["fares/attributes"].to_pydict()["fare_id"]
    assert ids == ["bq:ok", "bq:caf\u00e9"]          # decoded as cp1252, kept
    assert staged.fares["fares/rules"].num_rows == 0    # an empty fare_rules.txt: fares apply everywhere


def test_bad_v2_references_are_counted_with_file_line_and_field(sample_paths, tmp_path):
    route = _route_ids(sample_paths.gtfs)[0]
    feed = feed_with_files(sample_paths.gtfs, tmp_path / "bad_v2.zip", {
        "fare_products.txt": "fare_product_id,amount,currency\np1,1.00,EUR\n",
        "networks.txt": "network_id,network_name\nn1,One\nn1,Again\n,Nameless\n",
        "route_networks.txt": f"network_id,route_id\n,{route}\nn1,NO_SUCH_ROUTE\nn1,{route}\n",
        "areas.txt": "area_id,area_name\na1,Area one\n",
        "fare_leg_rules.txt": ("leg_group_id,network_id,from_area_id,to_area_id,fare_product_id\n"
                               "g,n1,a1,,p1\ng,n9,,,p1\ng,n1,,a9,p1\ng,,,,p1\n")})
    staged, report, where = _load(feed)
    assert ("route_networks.empty_network", "route_networks.txt", 2, "network_id") in where
    assert ("route_networks.unknown_route", "route_networks.txt", 3, "route_id") in where
    assert ("fare_leg_rules.unknown_network", "fare_leg_rules.txt", 3, "network_id") in where
    assert ("fare_leg_rules.unknown_to_area", "fare_leg_rules.txt", 4, "to_area_id") in where
    fares = staged.fares
    assert fares["fares/leg_rules"].num_rows == 2                 # rows 2 and 5 kept
    assert fares["fares/networks"].to_pydict()["network_id"] == ["bq:n1"]    # no empty or repeated id


def test_rider_categories_and_their_prices_are_kept_and_bad_rows_counted(sample_paths, tmp_path):
    """rider_categories.txt rows (empty or repeated ids skipped), each category's cheapest price
    per product (its rows and the empty ones), a product row of an unknown category skipped, a
    product only youth can buy kept unpriced for the default rider, and a transfer rule selling
    it reported as applying to the categories that have a price only; fare_media.txt rows (empty
    or repeated ids skipped, a bad type read as unknown), a product row of an unknown medium kept
    with a medium of its own; every usable product row kept with its category and medium (-1:
    empty)."""
    feed = feed_with_files(sample_paths.gtfs, tmp_path / "riders.zip", {
        "rider_categories.txt": ("rider_category_id,rider_category_name,is_default_fare_category,eligibility_url\n"
                                 "adult,Adult,1,\nyouth,Youth,0,https://example.org/youth\n,Nobody,0,\n"
                                 "youth,Again,0,\n"),
        "fare_products.txt": ("fare_product_id,fare_product_name,rider_category_id,fare_media_id,amount,currency\n"
                              "p1,Single,adult,card,1.70,EUR\np1,Single,adult,paper,2.00,EUR\n"
                              "p1,Single,youth,card,1.00,EUR\np1,Single,senior,card,0.50,EUR\n"
                              "p2,Anyone,,,2.60,EUR\np3,Youth pass,youth,card,0.20,EUR\n"
                              "p2,Anyone,,gold,9.10,EUR\n"),
        "fare_media.txt": ("fare_media_id,fare_media_name,fare_media_type\ncard,Card,2\npaper,Paper,1\n"
                           ",Nothing,0\ncard,Again,2\ncoins,Coins,9\n"),
        "fare_leg_rules.txt": "leg_group_id,fare_product_id\ng,p1\n",
        "fare_transfer_rules.txt": ("from_leg_group_id,to_leg_group_id,transfer_count,fare_transfer_type,"
                                    "fare_product_id\ng,g,1,1,p3\n")})
    staged, report, where = _load(feed)
    assert ("rider_categories.empty_id", "rider_categories.txt", 4, "rider_category_id") in where
    assert ("rider_categories.duplicate_id", "rider_categories.txt", 5, "rider_category_id") in where
    assert ("fare_products.unknown_rider_category", "fare_products.txt", 5, "rider_category_id") in where
    assert ("fare_transfer_rules.no_default_price", "fare_transfer_rules.txt", 2, "fare_product_id") in where
    assert ("fare_media.empty_id", "fare_media.txt", 4, "fare_media_id") in where
    assert ("fare_media.duplicate_id", "fare_media.txt", 5, "fare_media_id") in where
    assert ("fare_media.bad_fare_media_type", "fare_media.txt", 6, "fare_media_type") in where
    assert ("fare_products.unknown_fare_media", "fare_products.txt", 8, "fare_media_id") in where
    assert report.counts["fixed.fare_products.unknown_fare_media"] == 1 and \
        "skipped.fare_products.unknown_fare_media" not in report.counts
    fares = staged.fares
    cats = fares["fares/rider_categories"].to_pydict()
    assert cats["rider_category_id"] == ["bq:adult", "bq:youth"] and cats["is_default"] == [1, 0]
    assert cats["eligibility_url"] == ["", "https://example.org/youth"]
    products = fares["fares/products"].to_pydict()
    assert products["product_id"] == ["bq:p1", "bq:p2", "bq:p3"]
    assert products["amount_minor"] == [170, 260, 0] and products["priced"] == [1, 1, 0]
    media = fares["fares/fare_media"].to_pydict()
    assert media["fare_media_id"] == ["bq:card", "bq:paper", "bq:coins", "bq:gold"]
    assert media["media_type"] == [2, 1, -1, -1]
    prices = fares["fares/product_prices"].to_pydict()
    assert list(zip(prices["product_idx"], prices["rider_idx"], prices["media_idx"], prices["amount_minor"])) == [
        (0, 0, 0, 170), (0, 0, 1, 200), (0, 1, 0, 100), (1, -1, -1, 260), (1, -1, 3, 910), (2, 1, 0, 20)]
    assert fares["fares/transfer_rules"].to_pydict()["product_idx"] == [2]     # kept: youth may buy it


def test_transfer_limits_past_any_journey_are_read_or_skipped(sample_paths, tmp_path):
    """fare_transfer_rules.txt: a transfer_count past any journey's transfers is the same rule as no
    limit (read as -1, counted as fixed), a duration_limit past 10 days is a typo (the rule
    skipped, like v1's transfer_duration); fare_leg_rules.txt: a rule_priority past int32 too
    (skipped). Each once failed the build with a pyarrow error (the bundle's columns are int32)."""
    feed = feed_with_files(sample_paths.gtfs, tmp_path / "limits.zip", {
        "fare_products.txt": "fare_product_id,amount,currency\np1,1.00,EUR\n",
        "fare_leg_rules.txt": "leg_group_id,fare_product_id,rule_priority\ng,p1,0\nh,p1,1\nk,p1,2147483648\n",
        "fare_transfer_rules.txt": ("from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,"
                                    "duration_limit_type,fare_transfer_type,fare_product_id\n"
                                    "g,g,999999999999,,,0,\ng,h,,999999999999,1,0,\nh,h,15,864000,0,0,\n")})
    staged, report, where = _load(feed)
    assert ("fare_transfer_rules.transfer_count_unreachable", "fare_transfer_rules.txt", 2, "transfer_count") in where
    assert ("fare_transfer_rules.bad_duration_limit", "fare_transfer_rules.txt", 3, "duration_limit") in where
    assert ("fare_leg_rules.bad_rule_priority", "fare_leg_rules.txt", 4, "rule_priority") in where
    assert report.counts["fixed.fare_transfer_rules.transfer_count_unreachable"] == 1
    assert staged.fares["fares/leg_rules"].num_rows == 2
    rules = staged.fares["fares/transfer_rules"].to_pydict()
    assert rules["transfer_count"] == [-1, 15] and rules["duration_limit_s"][1] == 864000
    engine.build(tmp_path / "limits.bundle", gtfs=[("bq", feed)])     # (the same rows, written)


def test_join_rules_are_read_and_bad_rows_counted_with_file_line_and_field(sample_paths, tmp_path):
    """fare_leg_join_rules.txt (effective fare legs): both networks required and known, the two
    stop fields together, each a stop or a station (an entrance is neither), one row per primary
    key; a join of two networks is kept and reported (only an empty network_id can price it).
    The kept rows reach the bundle with global stop and network indices (after another feed's)."""
    with zipfile.ZipFile(sample_paths.gtfs) as zf:
        stops = zf.read("stops.txt").decode()
    feed = feed_with_files(sample_paths.gtfs, tmp_path / "joins.zip", {
        "stops.txt": stops + "HDV_E,,Entrée Hôtel de Ville,47.2000100,1.5500100,2,HDV,1,\n",
        "fare_products.txt": "fare_product_id,amount,currency\np1,1.00,EUR\n",
        "route_networks.txt": "network_id,route_id\ntram,T1\nmetro,MA\n",
        "fare_leg_rules.txt": "network_id,fare_product_id\ntram,p1\nmetro,p1\n",
        "fare_leg_join_rules.txt": ("from_network_id,to_network_id,from_stop_id,to_stop_id,duration_limit\n"
                                    "tram,tram,,,600\n"            # 2: kept (the column is not understood)
                                    "tram,tram,HDV_T,HDV_M,\n"     # 3: kept
                                    "tram,metro,HDV,HDV,\n"        # 4: kept, two networks (reported)
                                    ",tram,,,\n"                   # 5: from_network_id missing
                                    "tram,bus,,,\n"                # 6: unknown network
                                    "tram,tram,HDV_T,,\n"          # 7: to_stop_id missing
                                    "tram,tram,HDV_T,NOWHERE,\n"   # 8: unknown stop
                                    "tram,tram,HDV_E,HDV_M,\n"     # 9: an entrance
                                    "tram,tram,HDV_T,HDV_M,\n")})  # 10: the key of line 3
    staged, report, where = _load(feed)
    for key, line, field in (("unknown_network", 5, "from_network_id"), ("unknown_network", 6, "to_network_id"),
                             ("missing_stop", 7, "to_stop_id"), ("unknown_stop", 8, "to_stop_id"),
                             ("not_a_stop", 9, "from_stop_id"), ("duplicate_key", 10, "from_network_id")):
        assert (f"fare_leg_join_rules.{key}", "fare_leg_join_rules.txt", line, field) in where, key
    assert report.counts["skipped.fare_leg_join_rules.unknown_network"] == 2
    assert report.counts["warnings.fare_leg_join_rules.different_networks"] == 1
    assert ("fare_leg_join_rules.different_networks", "fare_leg_join_rules.txt", 4, "to_network_id") in where
    assert ("fares.not_understood", "fare_leg_join_rules.txt", 1, "duration_limit") in where
    assert report.counts["fares.fare_leg_join_rules.read"] == 9
    # (built after another feed: the join rows' stop and network indices are the merged ones)
    built = engine.build(tmp_path / "joins.bundle", gtfs=[("aa", sample_paths.gtfs), ("bq", feed)])
    bundle = engine.open(built.path).bundle
    rows = bundle.table("fares/leg_join_rules").to_pydict()
    nets = bundle.table("fares/networks").column("network_id").to_pylist()
    stop_ids = bundle.table("timetable/stops").column("stop_id").to_pylist()
    named = [(nets[a], nets[b], stop_ids[c] if c >= 0 else "", stop_ids[d] if d >= 0 else "")
             for a, b, c, d in zip(rows["from_network_idx"], rows["to_network_idx"], rows["from_stop_idx"],
                                   rows["to_stop_idx"])]
    assert named == [("bq:tram", "bq:tram", "", ""), ("bq:tram", "bq:tram", "bq:HDV_T", "bq:HDV_M"),
                     ("bq:tram", "bq:metro", "bq:HDV", "bq:HDV")]


def test_a_product_in_two_currencies_is_never_priced_across_them(sample_paths, tmp_path):
    """A fares v2 product sold in EUR and CHF: the default rider's price is the cheapest row of
    its first row's currency (a smaller CHF amount does not win), and a rider category or a
    medium picks the cheapest of the rows serving it in the default price's currency when one
    does, else in its first serving row's; amounts of two currencies are never compared."""
    feed = feed_with_files(sample_paths.gtfs, tmp_path / "currencies.zip", {
        "rider_categories.txt": ("rider_category_id,rider_category_name,is_default_fare_category\n"
                                 "adult,Adult,1\nyouth,Youth,0\nvisitor,Visitor,0\n"),
        "fare_products.txt": ("fare_product_id,fare_product_name,rider_category_id,fare_media_id,amount,currency\n"
                              "p1,Single,adult,,2.00,EUR\np1,Single,adult,,1.50,CHF\np1,Single,adult,,1.80,EUR\n"
                              "p1,Single,youth,,0.90,CHF\np1,Single,youth,,1.00,EUR\n"
                              "p1,Single,visitor,,3.00,CHF\np1,Single,visitor,,2.50,CHF\n"),
        "fare_leg_rules.txt": "leg_group_id,fare_product_id\ng,p1\n"})
    staged, report, where = _load(feed)
    products = staged.fares["fares/products"].to_pydict()
    assert (products["amount_minor"], products["currency"]) == ([180], ["EUR"])
    bundle = engine.build(tmp_path / "currencies.bundle", gtfs=[("bq", feed)]).path
    b = engine.open(bundle).bundle
    youth, visitor = load_v2(b, "youth"), load_v2(b, "visitor")
    assert (list(youth.product_amount_minor), list(youth.product_currency)) == ([100], ["EUR"])
    assert (list(visitor.product_amount_minor), list(visitor.product_currency)) == ([250], ["CHF"])
    assert list(load_v2(b, "adult").product_amount_minor) == [180]


def test_gtfs_plus_rider_prices_of_fares_v1_are_kept_and_bad_rows_counted(sample_paths, tmp_path):
    """GTFS+ (fares v1): fare_rider_categories.txt rows kept as (fare, category, price) in the
    fare's currency, named from rider_categories.txt's rider_category_description, or, for an id
    it lacks, GTFS+'s own name (5: Youth) or the id; bad rows (unknown or skipped fare, empty
    category, bad price, a fare priced twice for one category) skipped with file, line and
    field. A rider category prices its fares only: one it has no price for is not sold to it,
    and an itinerary it would need is unknown for that rider."""
    feed = feed_with_files(sample_paths.gtfs, tmp_path / "gtfs_plus.zip", {
        "fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers\nflat,2.00,USD,0,\n"
                               "day,5.00,USD,0,\n",
        "rider_categories.txt": "rider_category_id,rider_category_description\n2,Senior Clipper\n15,Night owl\n",
        "fare_rider_categories.txt": ("fare_id,rider_category_id,price\nflat,2,1.00\nday,2,2.50\nflat,5,1.25\n"
                                      "nope,2,1.00\nflat,,1.00\nday,5,abc\nflat,2,0.90\nday,15,4.00\n"
                                      "flat,42,1.10\n")})
    staged, report, where = _load(feed)
    assert ("fare_rider_categories.unknown_fare", "fare_rider_categories.txt", 5, "fare_id") in where
    assert ("fare_rider_categories.empty_rider_category", "fare_rider_categories.txt", 6, "rider_category_id") \
        in where
    assert ("fare_rider_categories.bad_price", "fare_rider_categories.txt", 7, "price") in where
    assert ("fare_rider_categories.duplicate", "fare_rider_categories.txt", 8, "rider_category_id") in where
    assert ("fare_rider_categories.unknown_rider_category", "fare_rider_categories.txt", 4, "rider_category_id") \
        in where
    assert report.counts["fares.fare_rider_categories.read"] == 9
    assert "warnings.fares.not_understood" not in report.counts       # both files are read now
    fares = staged.fares
    cats = fares["fares/rider_categories"].to_pydict()
    assert cats["rider_category_id"] == ["bq:2", "bq:5", "bq:15", "bq:42"]
    assert cats["name"] == ["Senior Clipper", "Youth", "Night owl", "42"] and cats["is_default"] == [0, 0, 0, 0]
    prices = fares["fares/attribute_prices"].to_pydict()
    assert list(zip(prices["fare_idx"], prices["rider_idx"], prices["price_minor"])) == [
        (0, 0, 100), (0, 1, 125), (0, 3, 110), (1, 0, 250), (1, 2, 400)]
    # at query time: each category's prices, and what it is not sold
    bundle = engine.build(tmp_path / "gtfs_plus.bundle", gtfs=[("briqueville", feed)]).path
    net = engine.open(bundle)
    assert [c["id"] for c in net.rider_categories()] == ["2", "5", "15", "42"]
    b = net.bundle
    assert load_v1(b).price_minor.tolist() == [200, 500] and load_v1(b).sold is None
    senior, owl = load_v1(b, "2"), load_v1(b, "15")
    assert senior.price_minor.tolist() == [100, 250] and senior.sold.tolist() == [True, True]
    assert owl.price_minor.tolist()[1] == 400 and owl.sold.tolist() == [False, True]
    # (GTFS+ prices without fare_attributes.txt price nothing: reported, never silently dropped)
    alone = feed_with_files(sample_paths.gtfs, tmp_path / "gtfs_plus_alone.zip", {
        "fare_rider_categories.txt": "fare_id,rider_category_id,price\nflat,2,1.00\n"})
    _, alone_report, alone_where = _load(alone)
    assert ("fares.not_understood", "fare_rider_categories.txt", 0, "") in alone_where
    assert senior.candidates(-1) == (0, 1) and owl.candidates(-1) == (1,)
    with pytest.raises(ValueError):
        load_v1(b, "adult")
    args = (DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00")
    fare = net.plan(*args).itineraries[0].fare
    assert (fare.amount_minor, fare.rider_category) == (200, None)
    fare = net.plan(*args, rider_category="2").itineraries[0].fare
    assert (fare.amount_minor, fare.rider_category, [p.id for p in fare.products]) == (100, "2", ["briqueville:flat"])
    fare = net.plan(*args, rider_category="15").itineraries[0].fare
    assert (fare.amount_minor, fare.rider_category) == (400, "15")      # only the day fare is sold to it
    plan = net.plan(*args, rider_category="5", optimize=("arrival", "transfers", "fare"))
    assert plan.stats["fare_minor"][0] == 125 and plan.itineraries[0].fare.amount_minor == 125


def test_minor_units_follow_iso_4217():
    assert minor_digits("USD") == (2, True) and minor_digits("JPY") == (0, True)
    assert minor_digits("KWD") == (3, True) and minor_digits("XTS") == (2, False)


def test_generator_is_deterministic_and_refuses_fare_feeds(sample_paths, tmp_path):
    a = add_fares(sample_paths.gtfs, tmp_path / "a.zip", "v1", seed=3)
    b = add_fares(sample_paths.gtfs, tmp_path / "b.zip", "v1", seed=3)
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert {n: za.read(n) for n in za.namelist()} == {n: zb.read(n) for n in zb.namelist()}
        assert "zone_id" in za.read("stops.txt").decode().splitlines()[0]
    with pytest.raises(ValueError, match="already has fare files"):
        add_fares(a, tmp_path / "c.zip", "v2")
    with pytest.raises(ValueError, match="version"):
        add_fares(sample_paths.gtfs, tmp_path / "d.zip", "v3")


@pytest.fixture(scope="module")
def priced(sample_paths, tmp_path_factory):
    out = tmp_path_factory.mktemp("fares_sample")
    nets = {}
    for version in ("v1", "v2"):
        z = add_fares(sample_paths.gtfs, out / f"{version}.zip", version)
        nets[version] = engine.open(engine.build(out / f"{version}.bundle", gtfs=[("briqueville", z)]).path)
    return nets


def test_load_maps_the_tables(priced):
    v1, v2 = load_v1(priced["v1"].bundle), load_v2(priced["v2"].bundle)
    assert v1 is not None and load_v2(priced["v1"].bundle) is None
    assert v2 is not None and load_v1(priced["v2"].bundle) is None
    assert len(v1.stop_zone) == priced["v1"].timetable.n_stops and set(v1.zone_ids) == {
        "briqueville:Z1", "briqueville:Z2", "briqueville:Z3"}
    assert not v1.price_minor.flags.writeable          # a view of the memory map, not a copy
    assert min(v2.product_ids) == "briqueville:bus_single"


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_every_itinerary_says_its_fare(priced, version):
    net = priced[version]
    known = 0
    for plan in (net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00"),
                 net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", window_s=1800),
                 net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "09:00", arrive_by=True),
                 net.plan(DEMO["from_point"], DEMO["to_point"], DEMO["date"], "08:00")):
        assert plan.itineraries
        for it in plan.itineraries:
            fare = it.fare
            assert fare is not None and fare.version == version
            d = it.to_dict()
            assert d["fare"]["version"] == version and "ride" not in d["legs"][0]
            if not fare.known:
                assert fare.amount is None and fare.reason
                continue
            known += 1
            transit = {i for i, leg in enumerate(it.legs) if leg.mode == "transit"}
            assert {i for p in fare.products for i in p.legs} <= transit
            if version == "v1":         # v1 tickets cover every ride exactly once
                assert sorted(i for p in fare.products for i in p.legs) == sorted(transit)
            assert fare.amount_minor == round(fare.amount * 100)
            assert (fare.currency == "EUR") == bool(transit)
    assert known, "no itinerary was priced: the checks above never ran"


def test_fares_off_gives_no_fare(priced):
    net = priced["v1"]
    net._legs.fares = False
    try:
        itineraries = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00").itineraries
        assert itineraries and all(it.fare is None for it in itineraries)
    finally:
        net._legs.fares = True
