"""engine.fares.v2 on hand-made rule tables: each clause of the module docstring on a case small
enough to check by eye (rule_priority vs the inverse match of empty fields, timeframes, leg
groups, transfer_count, duration_limit_type, the three fare_transfer_types, currencies)."""
from __future__ import annotations

import numpy as np

from engine.fares.v2 import (
    FaresV2,
    FareV2Result,
    LegV2,
    UnknownV2,
    journey_fare,
    match_leg,
)

# products: 0 tram 170, 1 bus 180, 2 peak 230, 3 airport 900, 4 upgrade 50, 5 combo 300, 6 swiss 400 CHF
PRODUCTS = [("tram", 170, "EUR"), ("bus", 180, "EUR"), ("peak", 230, "EUR"), ("airport", 900, "EUR"),
            ("upgrade", 50, "EUR"), ("combo", 300, "EUR"), ("swiss", 400, "CHF")]
ROUTE_NETWORK = [0, 1, 1]          # route 0 tram network 0, routes 1-2 bus network 1
STOP_AREAS = [(5, 0)]              # stop 5 is in area 0 ("airport")
ALWAYS = lambda service, day: True


def i32(values) -> np.ndarray:
    return np.asarray(values, np.int32).reshape(-1)


def fares(leg_rules, transfer_rules=(), timeframes=()) -> FaresV2:
    """leg_rules: (group, network, from_area, to_area, from_tf, to_tf, product, priority) tuples;
    transfer_rules: (from, to, count, duration, duration_type, type, product); timeframes:
    (group, start_s, end_s, service)."""
    lr = np.array(leg_rules, np.int32).reshape(-1, 8)
    tr = np.array(transfer_rules, np.int32).reshape(-1, 7)
    tf = np.array(timeframes, np.int32).reshape(-1, 4)
    return FaresV2(
        product_ids=[p[0] for p in PRODUCTS], product_names=[p[0] for p in PRODUCTS],
        product_amount_minor=np.array([p[1] for p in PRODUCTS], np.int64),
        product_currency=[p[2] for p in PRODUCTS], product_minor_digits=np.full(len(PRODUCTS), 2, np.int8),
        route_network=i32(ROUTE_NETWORK), stop_area_stop=i32([s for s, _ in STOP_AREAS]),
        stop_area_area=i32([a for _, a in STOP_AREAS]),
        timeframe_group=tf[:, 0], timeframe_start_s=tf[:, 1], timeframe_end_s=tf[:, 2], timeframe_service=tf[:, 3],
        leg_group=lr[:, 0], leg_network=lr[:, 1], leg_from_area=lr[:, 2], leg_to_area=lr[:, 3],
        leg_from_timeframe=lr[:, 4], leg_to_timeframe=lr[:, 5], leg_product=lr[:, 6], leg_priority=lr[:, 7],
        leg_feed=np.zeros(len(lr), np.int32),
        tr_from_group=tr[:, 0], tr_to_group=tr[:, 1], tr_count=tr[:, 2], tr_duration_s=tr[:, 3],
        tr_duration_type=tr[:, 4].astype(np.int8), tr_type=tr[:, 5].astype(np.int8), tr_product=tr[:, 6],
        tr_feed=np.zeros(len(tr), np.int32), leg_group_ids=["g0", "g1", "g2"])


def leg(route=0, board=1, alight=2, dep=8 * 3600, arr=8 * 3600 + 600) -> LegV2:
    return LegV2(0, route, board, alight, dep, arr, 3, dep % 86400, 3, arr % 86400)


def product(f: FaresV2, l: LegV2) -> str | None:
    m = match_leg(f, l, ALWAYS)
    return None if m is None else f.product_ids[m[1]]


def test_empty_fields_without_priority_match_only_unnamed_values():
    # tram rule, bus rule, and an airport rule naming to_area 0 for any network
    f = fares([(0, 0, -1, -1, -1, -1, 0, -1), (1, 1, -1, -1, -1, -1, 1, -1), (2, -1, -1, 0, -1, -1, 3, -1)])
    assert product(f, leg(route=0)) == "tram"
    assert product(f, leg(route=1)) == "bus"
    # to the airport stop: the tram/bus rules' empty to_area does not match a named area, and the
    # airport rule's empty network does not match the named networks 0 and 1
    assert product(f, leg(route=1, alight=5)) is None


def test_with_priority_empty_fields_match_anything_and_the_highest_priority_wins():
    f = fares([(0, 0, -1, -1, -1, -1, 0, 0), (1, 1, -1, -1, -1, -1, 1, 0), (2, -1, -1, 0, -1, -1, 3, 1)])
    assert product(f, leg(route=1, alight=5)) == "airport"        # priority 1 beats the cheaper bus rule
    assert product(f, leg(route=1, alight=2)) == "bus"


def test_cheapest_product_among_equal_rules_and_timeframes():
    # peak timeframe group 0: 07:00-09:00 on service 0; the tram rule with no timeframe also matches
    f = fares([(0, 0, -1, -1, 0, -1, 2, -1), (0, 0, -1, -1, -1, -1, 0, -1)], timeframes=[(0, 7 * 3600, 9 * 3600, 0)])
    assert product(f, leg(dep=8 * 3600)) == "tram"                 # both match: the cheaper one
    f = fares([(0, 0, -1, -1, 0, -1, 2, -1)], timeframes=[(0, 7 * 3600, 9 * 3600, 0)])
    assert product(f, leg(dep=8 * 3600)) == "peak" and product(f, leg(dep=10 * 3600)) is None
    assert match_leg(f, leg(dep=8 * 3600), lambda s, d: False) is None        # the service does not run


TRAM_BUS = [(0, 0, -1, -1, -1, -1, 0, -1), (1, 1, -1, -1, -1, -1, 1, -1)]


def price(f, legs) -> int | str:
    r = journey_fare(f, legs, ALWAYS)
    return r.amount_minor if isinstance(r, FareV2Result) else r.reason


def test_transfer_types():
    tram, bus = leg(route=0), leg(route=1, dep=8 * 3600 + 900, arr=8 * 3600 + 1500)
    assert price(fares(TRAM_BUS), [tram, bus]) == 170 + 180                          # no rule: both paid
    assert price(fares(TRAM_BUS, [(0, 1, -1, -1, -1, 0, 4)]), [tram, bus]) == 170 + 50         # A + AB
    assert price(fares(TRAM_BUS, [(0, 1, -1, -1, -1, 1, 4)]), [tram, bus]) == 170 + 50 + 180   # A + AB + B
    assert price(fares(TRAM_BUS, [(0, 1, -1, -1, -1, 2, 5)]), [tram, bus]) == 300              # AB
    assert price(fares(TRAM_BUS, [(0, 1, -1, -1, -1, 0, -1)]), [tram, bus]) == 170             # free transfer
    r = journey_fare(fares(TRAM_BUS, [(0, 1, -1, -1, -1, 0, -1)]), [tram, bus], ALWAYS)
    assert r.items == ((0, (0, 1)),)                     # the tram ticket covers both rides


def test_transfer_count_and_empty_groups():
    trams = [leg(dep=8 * 3600 + k * 600, arr=8 * 3600 + k * 600 + 300) for k in range(4)]
    one = fares(TRAM_BUS, [(0, 0, 1, -1, -1, 0, -1)])             # one free tram -> tram transfer
    assert price(one, trams[:2]) == 170 and price(one, trams[:3]) == 170 + 170
    # count 1 free, count 2 costs the upgrade, then a new sub-journey
    two = fares(TRAM_BUS, [(0, 0, 1, -1, -1, 0, -1), (0, 0, 2, -1, -1, 0, 4)])
    assert price(two, trams[:3]) == 170 + 50 and price(two, trams) == 170 + 50 + 170
    unlimited = fares(TRAM_BUS, [(0, 0, -1, -1, -1, 0, -1)])
    assert price(unlimited, trams) == 170
    # empty from group: matches a tram leg only while no rule names group 0 as from group
    empty_from = fares(TRAM_BUS, [(-1, 1, -1, -1, -1, 0, -1)])
    bus = leg(route=1, dep=9 * 3600, arr=9 * 3600 + 300)
    assert price(empty_from, [trams[0], bus]) == 170
    named = fares(TRAM_BUS, [(-1, 1, -1, -1, -1, 0, -1), (0, 0, 1, -1, -1, 0, -1)])
    assert price(named, [trams[0], bus]) == 170 + 180


def test_duration_limit_types():
    a = leg(route=0, dep=8 * 3600, arr=8 * 3600 + 1000)
    b = leg(route=1, dep=8 * 3600 + 1500, arr=8 * 3600 + 2500)
    spans = {0: 2500, 1: 1500, 2: 500, 3: 1500}       # dep->arr, dep->dep, arr->dep, arr->arr
    for kind, span in spans.items():
        within = fares(TRAM_BUS, [(0, 1, -1, span, kind, 0, -1)])
        short = fares(TRAM_BUS, [(0, 1, -1, span - 1, kind, 0, -1)])
        assert price(within, [a, b]) == 170 and price(short, [a, b]) == 170 + 180, kind


def test_unknown_rides_and_currencies():
    swiss_bus = fares([(0, 0, -1, -1, -1, -1, 0, -1), (1, 1, -1, -1, -1, -1, 6, -1)])     # bus priced in CHF
    assert price(swiss_bus, [leg(route=1)]) == 400
    r = journey_fare(swiss_bus, [leg(route=0), leg(route=1)], ALWAYS)
    assert isinstance(r, UnknownV2) and "different currencies" in r.reason
    lone = fares([(0, 0, -1, -1, -1, -1, 0, -1)])
    r = journey_fare(lone, [leg(route=0), leg(route=1)], ALWAYS)
    assert isinstance(r, UnknownV2) and r.ride == 1


# --------------------------------------------------------------- section 0: effective fare legs
# stops: 1, 2 platforms of station 10; 3, 4 platforms of station 11; 5 (airport area), 6 lone stops
STOP_PARENT = {1: 10, 2: 10, 3: 11, 4: 11}
# leg rules by area: tram from anywhere to the airport costs 900 ("airport"), else 170 ("tram");
# the bus 180
AIRPORT_RULES = [(0, 0, -1, 0, -1, -1, 3, -1), (0, 0, -1, -1, -1, -1, 0, -1), (1, 1, -1, -1, -1, -1, 1, -1)]


def joining(leg_rules, joins, transfer_rules=()) -> FaresV2:
    """``fares(...)`` with join rules (from network, to network, from stop, to stop)."""
    f = fares(leg_rules, transfer_rules)
    j = np.array(joins, np.int32).reshape(-1, 4)
    station = np.arange(12, dtype=np.int32)
    for stop, parent in STOP_PARENT.items():
        station[stop] = parent
    return FaresV2(**{**f.__dict__, "join_from_network": j[:, 0], "join_to_network": j[:, 1],
                      "join_from_stop": j[:, 2], "join_to_stop": j[:, 3],
                      "join_feed": np.zeros(len(j), np.int32), "stop_station": station})


def test_rides_joined_at_one_station_are_one_leg_from_first_boarding_to_last_alighting():
    f = joining(AIRPORT_RULES, [(0, 0, -1, -1)])                 # tram -> tram at one station
    a = leg(board=6, alight=1, dep=8 * 3600, arr=8 * 3600 + 600)
    b = leg(board=2, alight=5, dep=8 * 3600 + 900, arr=8 * 3600 + 1500)    # other platform, same station
    r = journey_fare(f, [a, b], ALWAYS)
    assert r.amount_minor == 900 and r.items == ((3, (0, 1)),)  # one airport ticket for both rides
    elsewhere = leg(board=3, alight=5, dep=8 * 3600 + 900, arr=8 * 3600 + 1500)   # station 11: no join
    assert price(f, [a, elsewhere]) == 170 + 900
    assert price(fares(AIRPORT_RULES), [a, b]) == 170 + 900     # no join rules: two legs
    # three rides, two joins: one leg; a bus in between breaks the run
    c = leg(board=5, alight=6, dep=8 * 3600 + 1800, arr=8 * 3600 + 2400)
    b_to_5 = leg(board=2, alight=5, dep=8 * 3600 + 900, arr=8 * 3600 + 1500)
    assert journey_fare(f, [a, b_to_5, c], ALWAYS).items == ((0, (0, 1, 2)),)   # ends at 6: a plain tram leg
    bus = leg(route=1, board=1, alight=2, dep=8 * 3600 + 700, arr=8 * 3600 + 800)
    assert price(f, [a, bus, b]) == 170 + 180 + 900


def test_join_rules_with_stops_and_networks():
    a = leg(board=6, alight=1)
    b = leg(board=3, alight=5, dep=8 * 3600 + 900, arr=8 * 3600 + 1500)
    named = joining(AIRPORT_RULES, [(0, 0, 1, 3)])              # stop 1 -> stop 3 (other stations)
    assert price(named, [a, b]) == 900
    by_station = joining(AIRPORT_RULES, [(0, 0, 10, 11)])       # station 10 -> station 11
    assert price(by_station, [a, b]) == 900
    assert price(joining(AIRPORT_RULES, [(0, 0, 2, 3)]), [a, b]) == 170 + 900     # not where it ends
    assert price(joining(AIRPORT_RULES, [(0, 0, 1, 3)]), [b, a]) == 900 + 170     # one direction only
    # networks: tram -> bus only joins a tram then a bus; the effective leg has no network of
    # its own, so only a rule with an empty network_id prices it (here none: unknown)
    bus = leg(route=1, board=2, alight=6, dep=8 * 3600 + 900, arr=8 * 3600 + 1500)
    cross = joining(AIRPORT_RULES, [(0, 1, -1, -1)])
    assert price(cross, [bus, a]) == 180 + 170
    r = journey_fare(cross, [a, bus], ALWAYS)
    assert isinstance(r, UnknownV2) and r.ride == 0 and "effective fare leg" in r.reason
    cross_priced = joining(AIRPORT_RULES + [(1, -1, -1, -1, -1, -1, 5, -1)], [(0, 1, -1, -1)])
    assert journey_fare(cross_priced, [a, bus], ALWAYS).items == ((5, (0, 1)),)    # the combo


def test_transfer_rules_see_effective_legs():
    # tram -> bus free within 1800 s from the (effective) tram leg's departure
    a = leg(board=6, alight=1, dep=8 * 3600, arr=8 * 3600 + 600)
    b = leg(board=2, alight=6, dep=8 * 3600 + 700, arr=8 * 3600 + 1200)
    bus = leg(route=1, board=6, alight=4, dep=8 * 3600 + 1300, arr=8 * 3600 + 1700)
    f = joining(AIRPORT_RULES, [(0, 0, -1, -1)], [(0, 1, -1, 1800, 1, 0, -1)])
    r = journey_fare(f, [a, b, bus], ALWAYS)
    assert r.amount_minor == 170 and r.items == ((0, (0, 1, 2)),)
    late_bus = leg(route=1, board=6, alight=4, dep=8 * 3600 + 1900, arr=8 * 3600 + 2300)
    assert price(f, [a, b, late_bus]) == 170 + 180              # 1900 s after the first ride left
    # an upgrade product (A + AB) names the rides around the transfer
    g = joining(AIRPORT_RULES, [(0, 0, -1, -1)], [(0, 1, -1, -1, -1, 1, 4)])
    assert journey_fare(g, [a, b, bus], ALWAYS).items == ((0, (0, 1)), (1, (2,)), (4, (0, 1, 2)))
