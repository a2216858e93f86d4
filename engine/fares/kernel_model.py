"""The v1 fare rules (engine/fares/v1.py) as the flat arrays of the McRAPTOR fare criterion
(engine._mcraptor.FareModel). Built once per McPlanner, on the first fare query; opening a bundle
computes nothing.

Route classes: routes that the same fares name in their route rules and that belong to the same
agency are interchangeable for every fare, so a ticket only needs the set of classes it rode (a
64-bit mask). Zones: only zones some contains rule names are told apart (one bit each); every
other zone shares the last bit, which no fare's contains set has, so riding through one still
fails an exact-contains match as v1.py says.
"""
from __future__ import annotations

import numpy as np

from .._mcraptor import KINDS, FareModel
from .._types import MAX_ROUNDS
from ..errors import InvalidQueryError
from .v1 import NO_ZONE, UNLIMITED, FaresV1

NO_LIMIT = 1 << 30
MAX_BITS = 64


def kernel_max_amount(max_rounds: int = MAX_ROUNDS) -> int:
    """The largest amount (minor units) the fare criterion can add for a search of ``max_rounds``
    rides. Why: it adds int32 minor units that must stay below FARE_UNKNOWN (engine/_mcraptor.pyx):
    a journey of that many rides, each adding at most two amounts (a product and a transfer's), and
    the fare potentials, sums over as many rides, stay below it when no amount is larger (4 rides:
    1,249,999.99 EUR; 16: 312,499.99 EUR). The bundle keeps larger ones (itineraries are priced in
    Python integers)."""
    return (KINDS["FARE_UNKNOWN"] - 1) // (2 * max_rounds)


def largest_amount(amounts) -> int:
    """The largest absolute amount of ``amounts`` (0 when empty)."""
    amounts = np.asarray(amounts, np.int64)
    return int(np.abs(amounts).max()) if amounts.size else 0


def check_kernel_amounts(amounts, max_rounds: int = 1) -> int:
    """The largest amount, after an InvalidQueryError (parameter ``optimize``) when it is beyond
    kernel_max_amount(max_rounds): a journey's sum could reach the unknown mark (a silent wrong
    answer), or the amount not fit int32 at all. A fare model checks one ride when it is built
    (the amounts are cast to int32 then); each query checks its own number of rides
    (check_query_amounts)."""
    biggest = largest_amount(amounts)
    check_query_amounts(biggest, max_rounds)
    return biggest


def check_query_amounts(biggest: int, max_rounds: int) -> None:
    """InvalidQueryError naming ``optimize`` when a search of ``max_rounds`` rides cannot add
    amounts as large as ``biggest`` (minor units) exactly."""
    bound = kernel_max_amount(max_rounds)
    if biggest > bound:
        fewer = "" if max_rounds <= 1 else " (fewer max_transfers allow larger ones)"
        raise InvalidQueryError(f"optimize: the fare criterion adds amounts of up to {bound:,} minor units for "
                                f"{max_rounds} rides{fewer}, and a fare of this bundle has {biggest:,}; a plan "
                                f"without the fare criterion still prices its itineraries", "optimize")


def fare_model(fares: FaresV1, pattern_route: np.ndarray) -> FareModel:
    """The FareModel of ``fares`` over a timetable whose pattern p runs route pattern_route[p].

    Raises InvalidQueryError (parameter ``optimize``) when the criterion cannot be exact here:
    fares in several currencies, more route classes / contains zones than a 64-bit mask holds, or
    a price no search can add (past kernel_max_amount(1); each query checks its own rides).
    """
    currencies = sorted(set(fares.currency))
    if len(currencies) != 1:
        raise InvalidQueryError("optimize: the fare criterion needs fares of one currency "
                                f"(this bundle has {', '.join(currencies) or 'none'})", "optimize")
    check_kernel_amounts(fares.price_minor)
    rules = fares.rules
    n = fares.n_fares
    route_bit = _route_class_bits(fares)
    route_agency = np.asarray(fares.route_agency)
    all_bits = np.bitwise_or.reduce(route_bit) if len(route_bit) else np.uint64(0)
    agency_bits = {int(a): np.bitwise_or.reduce(route_bit[route_agency == a]) for a in np.unique(route_agency)}
    fare_routes = np.zeros(n, np.uint64)
    for f in range(n):
        bits = all_bits if rules[f].routes is None else np.bitwise_or.reduce(route_bit[sorted(rules[f].routes)])
        agency = int(fares.fare_agency[f])
        if agency >= 0:
            bits &= agency_bits.get(agency, np.uint64(0))     # classes are per agency
        fare_routes[f] = bits

    contains_zones = sorted(set().union(*(r.contains for r in rules if r.contains is not None)))
    if len(contains_zones) > MAX_BITS - 1:
        raise InvalidQueryError(f"optimize: the fare criterion handles at most {MAX_BITS - 1} zones in "
                                f"contains rules (this bundle has {len(contains_zones)})", "optimize")
    n_zones = len(fares.zone_ids)
    zone_bit = np.zeros(max(n_zones, 1), np.uint64)
    if contains_zones:
        zone_bit[:] = np.uint64(1) << np.uint64(MAX_BITS - 1)
        for i, z in enumerate(contains_zones):
            zone_bit[z] = np.uint64(1) << np.uint64(i)
    fare_contains = np.zeros(n, np.uint64)
    for f, r in enumerate(rules):
        if r.contains is not None:
            fare_contains[f] = np.bitwise_or.reduce(zone_bit[sorted(r.contains)])

    od_offsets, od_origin, od_dest = [0], [], []
    for r in rules:
        for o, d in (r.od or ()):
            od_origin.append(o)
            od_dest.append(d)
        od_offsets.append(len(od_origin))
    cand_offsets, cand_fares = [0], []
    price = fares.price_minor.tolist()

    def cheapest_first(fs) -> list[int]:
        return sorted(fs, key=lambda f: (price[f], f))
    for zone in range(NO_ZONE, n_zones):        # row zone + 1; row 0: stops without a zone
        # cheapest first: the kernel's _price stops at the first fare that covers a ticket
        cand_fares.extend(cheapest_first(fares.candidates(zone)))
        cand_offsets.append(len(cand_fares))
    pairs = _pair_lists(fares, n_zones, cheapest_first)

    i32 = lambda a: np.ascontiguousarray(a, np.int32)     # noqa: E731
    transfers = np.asarray(fares.transfers)
    duration = np.asarray(fares.transfer_duration_s)
    pattern_route = np.asarray(pattern_route)
    pattern_bit = route_bit[np.maximum(pattern_route, 0)] if len(route_bit) else np.zeros(len(pattern_route), np.uint64)
    if (pattern_route < 0).any():
        # a real-time trip without a route (engine/criteria/realtime.py): a class no fare names, so
        # no ticket covers its rides (the itinerary's fare is unknown too: fares/pricing.py)
        free = int(all_bits).bit_length()          # (classes take the bits from 0 up)
        if free >= MAX_BITS:
            raise InvalidQueryError(f"optimize: the fare criterion with real-time trips without a route needs "
                                    f"fewer than {MAX_BITS} route classes", "optimize")
        pattern_bit = np.where(pattern_route < 0, np.uint64(1) << np.uint64(free), pattern_bit)
    return FareModel(
        fare_price=i32(fares.price_minor),
        fare_transfers=i32(np.where(transfers == UNLIMITED, NO_LIMIT, transfers)),
        fare_duration=i32(np.where(duration < 0, NO_LIMIT, duration)),
        fare_routes=fare_routes,
        fare_has_contains=np.array([r.contains is not None for r in rules], np.uint8),
        fare_contains=fare_contains,
        fare_has_od=np.array([r.od is not None for r in rules], np.uint8),
        fare_od_offsets=i32(od_offsets), od_origin=i32(od_origin), od_dest=i32(od_dest),
        cand_offsets=i32(cand_offsets), cand_fares=i32(cand_fares),
        stop_zone=i32(fares.stop_zone), zone_bit=zone_bit,
        pattern_route_bit=np.ascontiguousarray(pattern_bit, np.uint64),
        use_od=any(r.od is not None for r in rules),
        use_rides=bool((transfers != UNLIMITED).any()),
        use_span=bool((duration >= 0).any()),
        use_contains=bool(contains_zones),
        **({} if pairs is None else dict(pair_offsets=i32(pairs[0]), pair_fares=i32(pairs[1]))))


#: _pair_lists: at most this many (start, end) zone pairs (89 zones), and fares listed over all of
#: them. The lists are made on the first fare query, ~9 us a pair (BART, 51 x 51 pairs: 23 ms),
#: so the bound keeps that first query under ~0.1 s; with more zones the kernel scans.
MAX_PAIRS = 1 << 13
MAX_PAIR_FARES = 1 << 20


def _pair_lists(fares: FaresV1, n_zones: int, cheapest_first) -> tuple[list, list] | None:
    """Per (start zone, end zone) pair (NO_ZONE first), the fares whose origin/destination rows
    (or none) admit a ticket between them, cheapest first (FareModel pair_offsets / pair_fares);
    None when there are too many zones or the lists would be too long (the kernel then scans
    the start zone's list and matches the rows). Why: with origin/destination fares a start
    zone's list holds a fare per destination (BART: 50), and pricing a ticket scanned half of it."""
    if (n_zones + 1) ** 2 > MAX_PAIRS:
        return None
    offsets, listed = [0], []
    for start in range(NO_ZONE, n_zones):
        for end in range(NO_ZONE, n_zones):
            listed.extend(cheapest_first(fares.candidates_between(start, end)))
            offsets.append(len(listed))
            if len(listed) > MAX_PAIR_FARES:
                return None
    return offsets, listed


def _route_class_bits(fares: FaresV1) -> np.ndarray:
    """One bit per route class: routes named by the same fares' route rules, same agency."""
    named_by: dict[int, set[int]] = {}
    for f, r in enumerate(fares.rules):
        for route in r.routes or ():
            named_by.setdefault(route, set()).add(f)
    route_agency = np.asarray(fares.route_agency)
    classes: dict[tuple, int] = {}
    bits = np.zeros(len(route_agency), np.uint64)
    for route in range(len(route_agency)):
        key = (frozenset(named_by.get(route, ())), int(route_agency[route]))
        cls = classes.setdefault(key, len(classes))
        if cls >= MAX_BITS:
            raise InvalidQueryError(f"optimize: the fare criterion handles at most {MAX_BITS} route classes "
                                    "(routes that the same fares name, per agency)", "optimize")
        bits[route] = np.uint64(1) << np.uint64(cls)
    return bits
