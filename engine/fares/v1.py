"""GTFS fares v1: what a journey's rides cost. One reading of the spec, shared by itinerary
prices, the McRAPTOR fare criterion (engine/_mcraptor.pyx through engine/fares/kernel_model.py)
and the tests' reference, so that all three agree by construction.

A *ticket* for fare f (one fare_attributes.txt row) covers consecutive rides r_i .. r_j when:
- routes: f has no fare_rules.txt row naming a route_id, or every ride's route is named by one;
- origin / destination: f has no row naming an origin_id or destination_id, or one such row has
  (origin_id empty or = r_i's boarding zone) and (destination_id empty or = r_j's alighting zone);
- contains: f has no row naming a contains_id, or the zones of all stops of r_i .. r_j (boarding
  to alighting, intermediate stops included) are exactly f's contains_id zones;
- agency: f names no agency_id, or every ride's route belongs to that agency;
- transfers: j - i <= transfers (empty: unlimited);
- transfer_duration: board(r_j) - board(r_i) <= transfer_duration (empty: no limit).
A ticket costs its fare's price; a journey costs the cheapest way to cut its rides into
consecutive tickets (OpenTripPlanner's long-standing reading of v1: fare_rules rows aggregated per
fare, tickets chosen by dynamic programming). The fare is unknown when no cut covers every ride
with tickets, or when the covers that exist are in different currencies (prices of two
currencies are never added). A journey without rides costs 0.

Zones are the stops' zone_id; a stop without zone_id has no zone: it never matches a rule naming
an origin or destination, and adds nothing to "contains".

A rider category (GTFS+ fare_rider_categories.txt, engine.fares.load_v1 ``rider``) changes the
prices, and only its fares are candidates (``FaresV1.sold``): the rules above are the same.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

NO_ZONE = -1
UNLIMITED = -1


class PlainColumns(NamedTuple):
    """FaresV1.plain: per fare (transfers, transfer_duration_s, fare_agency, price_minor), per
    route (route_agency), per stop (stop_zone), as lists."""

    transfers: list
    transfer_duration_s: list
    fare_agency: list
    route_agency: list
    stop_zone: list
    price_minor: list


@dataclass(frozen=True, eq=False)
class FaresV1:
    """The v1 fare tables of a bundle, as indices (see the module docstring for their meaning)."""

    fare_ids: Sequence[str]              # "FEED:ID" per fare
    price_minor: np.ndarray              # int64: price in the currency's minor unit (USD 6.40 -> 640)
    currency: Sequence[str]              # ISO 4217 code per fare
    minor_digits: np.ndarray             # int8: digits of the minor unit per fare (USD 2)
    transfers: np.ndarray                # int32: GTFS transfers, UNLIMITED (-1) when empty
    transfer_duration_s: np.ndarray      # int32: -1 when empty (no limit)
    fare_agency: np.ndarray              # int32: agency index of fare_attributes.agency_id, -1 any
    route_agency: np.ndarray             # int32: agency index per route_idx, -1 unknown
    rule_fare: np.ndarray                # int32 per fare_rules row: fare index
    rule_route: np.ndarray               # int32: route_idx, -1 empty
    rule_origin: np.ndarray              # int32: zone index, -1 empty
    rule_destination: np.ndarray         # int32: zone index, -1 empty
    rule_contains: np.ndarray            # int32: zone index, -1 empty
    stop_zone: np.ndarray                # int32 per stop_idx: zone index, -1 none
    zone_ids: Sequence[str]              # "FEED:ZONE" per zone index
    sold: np.ndarray | None = None       # bool per fare: sold to the rider category priced (GTFS+
    #                                      fare_rider_categories.txt); None: every fare (the default rider)
    rider_category: str | None = None    # the category price_minor is for (None: the default rider)

    @property
    def n_fares(self) -> int:
        return len(self.price_minor)

    @functools.cached_property
    def plain(self) -> "PlainColumns":
        """The columns pricing reads per ride and per slice of rides, as Python lists: a list
        item takes ~11 ns, int() of a numpy scalar ~130 ns, and an itinerary's price reads about a
        hundred (Strasbourg generated v1: 15 ticket tests of ~5 reads each, a zone per stop)."""
        return PlainColumns(self.transfers.tolist(), self.transfer_duration_s.tolist(), self.fare_agency.tolist(),
                            self.route_agency.tolist(), self.stop_zone.tolist(), self.price_minor.tolist())

    @functools.cached_property
    def uses_contains(self) -> bool:
        """Whether some fare has contains_id rows (else the zones a ride passes are never read)."""
        return any(r.contains is not None for r in self.rules)

    @functools.cached_property
    def currencies(self) -> tuple[str, ...]:
        """The distinct currencies of the fares, sorted (computed once, not per journey)."""
        return tuple(sorted(set(self.currency)))

    @functools.cached_property
    def rules(self) -> tuple["FareRules", ...]:
        """Per fare, its fare_rules rows aggregated (built once, on first use)."""
        return tuple(_aggregate(self))

    @functools.cached_property
    def fares_by_origin(self) -> dict[int, tuple[int, ...]]:
        """Boarding zone -> the fares with an origin/destination row naming it as origin_id.
        Fares that admit any boarding zone (no such row, or an empty origin_id) are in
        ``fares_without_origin``; ``candidates`` joins the two."""
        by_zone: dict[int, list[int]] = {}
        for f, r in enumerate(self.rules):
            if r.od is None:
                continue
            for origin in {o for o, _ in r.od}:
                by_zone.setdefault(origin, []).append(f)
        return {z: tuple(fs) for z, fs in by_zone.items()}

    @functools.cached_property
    def fares_without_origin(self) -> tuple[int, ...]:
        """Fares that admit any boarding zone: no origin/destination rows, or a row whose
        origin_id is empty."""
        return tuple(f for f, r in enumerate(self.rules) if r.od is None or any(o == NO_ZONE for o, _ in r.od))

    @functools.cached_property
    def fares_by_od(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """(origin, destination) of a fare_rules row (NO_ZONE = empty field) -> its fares."""
        by_pair: dict[tuple[int, int], set[int]] = {}
        for f, r in enumerate(self.rules):
            for pair in r.od or ():
                by_pair.setdefault(pair, set()).add(f)
        return {pair: tuple(sorted(fs)) for pair, fs in by_pair.items()}

    @functools.cached_property
    def fares_without_od(self) -> tuple[int, ...]:
        return tuple(f for f, r in enumerate(self.rules) if r.od is None)

    @functools.cached_property
    def _between(self) -> dict[tuple[int, int], tuple[int, ...]]:
        return {}

    def candidates_between(self, start_zone: int, end_zone: int) -> tuple[int, ...]:
        """Fares whose origin/destination rows (or lack of them) admit a ticket from
        ``start_zone`` to ``end_zone``: the only ones ``ticket_matches`` can accept.
        Remembered per zone pair: pricing asks for every slice of every itinerary's rides."""
        key = (start_zone, end_zone)
        found = self._between.get(key)
        if found is None:
            found = self._between[key] = self._candidates_between(start_zone, end_zone)
        return found

    def _candidates_between(self, start_zone: int, end_zone: int) -> tuple[int, ...]:
        pairs = [(NO_ZONE, NO_ZONE)]
        if start_zone != NO_ZONE:
            pairs.append((start_zone, NO_ZONE))
        if end_zone != NO_ZONE:
            pairs.append((NO_ZONE, end_zone))
            if start_zone != NO_ZONE:
                pairs.append((start_zone, end_zone))
        found = set(self.fares_without_od)
        for pair in pairs:
            found.update(self.fares_by_od.get(pair, ()))
        return self._on_sale(found)

    def candidates(self, start_zone: int) -> tuple[int, ...]:
        """Fares that may price a ticket whose first ride boards in ``start_zone``."""
        named = self.fares_by_origin.get(start_zone, ()) if start_zone != NO_ZONE else ()
        return self._on_sale(set(named) | set(self.fares_without_origin))

    def _on_sale(self, fares: set[int]) -> tuple[int, ...]:
        """``fares`` sold to the rider category priced, sorted: the only candidates of a ticket."""
        sold = self.sold
        return tuple(sorted(f for f in fares if sold is None or sold[f]))


@dataclass(frozen=True, slots=True)
class FareRules:
    """One fare's fare_rules rows, aggregated: None = no row constrains that field."""

    routes: frozenset[int] | None
    od: tuple[tuple[int, int], ...] | None     # (origin, destination) pairs, NO_ZONE = empty field
    contains: frozenset[int] | None


def _aggregate(fares: FaresV1):
    routes: list[set[int]] = [set() for _ in range(fares.n_fares)]
    od: list[set[tuple[int, int]]] = [set() for _ in range(fares.n_fares)]
    contains: list[set[int]] = [set() for _ in range(fares.n_fares)]
    for f, r, o, d, c in zip(fares.rule_fare.tolist(), fares.rule_route.tolist(), fares.rule_origin.tolist(),
                             fares.rule_destination.tolist(), fares.rule_contains.tolist()):
        if r >= 0:
            routes[f].add(r)
        if o >= 0 or d >= 0:
            od[f].add((o, d))
        if c >= 0:
            contains[f].add(c)
    for f in range(fares.n_fares):
        yield FareRules(frozenset(routes[f]) if routes[f] else None,
                        tuple(sorted(od[f])) if od[f] else None,
                        frozenset(contains[f]) if contains[f] else None)


@dataclass(frozen=True, slots=True)
class Ride:
    """One vehicle ride of a journey, as the fare rules see it."""

    route_idx: int
    board_stop: int
    alight_stop: int
    board_time_s: int            # seconds on the query's service-day clock
    zones: frozenset[int]        # zones of every stop from boarding to alighting (NO_ZONE excluded)


@dataclass(frozen=True, slots=True)
class FareV1Result:
    """A journey's price: the total and the tickets bought (fare index, first ride, last ride)."""

    amount_minor: int
    currency: str
    minor_digits: int
    tickets: tuple[tuple[int, int, int], ...]

    @property
    def amount(self) -> float:
        return self.amount_minor / 10 ** self.minor_digits


def ticket_matches(fares: FaresV1, f: int, rides: Sequence[Ride]) -> bool:
    """Whether one ticket of fare ``f`` covers all of ``rides`` (consecutive rides of a journey)."""
    return _matches(fares, f, _Slice(fares, rides))


class _Slice:
    """What every fare's test reads of one slice of rides, computed once for all the candidate
    fares (a journey of three rides has six slices, each tested against a few fares); the zones
    ridden through only when some fare has contains rows."""

    __slots__ = ("rides", "transfers", "span", "route_idx", "start", "end", "_visited")

    def __init__(self, fares: FaresV1, rides: Sequence[Ride]):
        plain = fares.plain
        self.rides = rides
        self.transfers = len(rides) - 1
        self.span = rides[-1].board_time_s - rides[0].board_time_s
        self.route_idx = [r.route_idx for r in rides]
        self.start = plain.stop_zone[rides[0].board_stop]
        self.end = plain.stop_zone[rides[-1].alight_stop]
        self._visited = None

    def visited(self) -> frozenset[int]:
        if self._visited is None:
            self._visited = frozenset().union(*(r.zones for r in self.rides))
        return self._visited


def _matches(fares: FaresV1, f: int, piece: _Slice) -> bool:
    """ticket_matches, on a slice's facts."""
    rules, plain = fares.rules[f], fares.plain
    transfers = plain.transfers[f]
    if transfers != UNLIMITED and piece.transfers > transfers:
        return False
    duration = plain.transfer_duration_s[f]
    if duration >= 0 and piece.span > duration:
        return False
    agency = plain.fare_agency[f]
    if agency >= 0:
        route_agency = plain.route_agency
        for r in piece.route_idx:
            if route_agency[r] != agency:
                return False
    if rules.routes is not None:
        for r in piece.route_idx:
            if r not in rules.routes:
                return False
    if rules.od is not None:
        start, end = piece.start, piece.end
        if not any((o == NO_ZONE or (o == start and start != NO_ZONE))
                   and (d == NO_ZONE or (d == end and end != NO_ZONE)) for o, d in rules.od):
            return False
    if rules.contains is not None and piece.visited() != rules.contains:
        return False
    return True


def cheapest_ticket(fares: FaresV1, rides: Sequence[Ride], currency: str) -> int | None:
    """The cheapest fare of ``currency`` whose ticket covers ``rides``, or None."""
    best = None
    price = fares.plain.price_minor
    piece = _Slice(fares, rides)
    for f in fares.candidates_between(piece.start, piece.end):
        if fares.currency[f] == currency and (best is None or price[f] < price[best]) and _matches(fares, f, piece):
            best = f
    return best


def journey_fare(fares: FaresV1, rides: Sequence[Ride]) -> FareV1Result | None:
    """The cheapest cover of ``rides`` by tickets of one currency (None: unknown)."""
    currencies = fares.currencies
    if not rides:
        return FareV1Result(0, currencies[0] if currencies else "", _digits(fares, currencies), ())
    results = [r for r in (_cheapest_cover(fares, rides, c) for c in currencies) if r is not None]
    return results[0] if len(results) == 1 else None


def _digits(fares: FaresV1, currencies: Sequence[str]) -> int:
    if not currencies:
        return 2
    f = fares.currency.index(currencies[0])
    return int(fares.minor_digits[f])


def _cheapest_cover(fares: FaresV1, rides: Sequence[Ride], currency: str) -> FareV1Result | None:
    n = len(rides)
    best: list[tuple[int, tuple] | None] = [None] * (n + 1)     # best[j]: rides[:j] covered
    best[0] = (0, ())
    for j in range(1, n + 1):
        for i in range(j):
            if best[i] is None:
                continue
            f = cheapest_ticket(fares, rides[i:j], currency)
            if f is None:
                continue
            cost = best[i][0] + fares.plain.price_minor[f]
            if best[j] is None or cost < best[j][0]:
                best[j] = (cost, best[i][1] + ((f, i, j - 1),))
    if best[n] is None:
        return None
    cost, tickets = best[n]
    return FareV1Result(cost, currency, int(fares.minor_digits[tickets[0][0]]), tickets)
