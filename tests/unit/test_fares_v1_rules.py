"""The v1 semantics on hand-made tables (engine.fares.v1): a journey without rides, tickets of
two currencies (never added: the fare is unknown), the cheapest ticket among candidates."""
from __future__ import annotations

import numpy as np

from engine.fares.v1 import FaresV1, Ride, cheapest_ticket, journey_fare


def _fares(prices: list[int], currencies: list[str], rule_routes: list[tuple[int, int]]) -> FaresV1:
    """Fares ``prices`` / ``currencies`` over 2 routes and 2 stops (no zones, any agency, no
    transfer limit); ``rule_routes``: fare_rules rows (fare, route)."""
    i32 = lambda xs: np.asarray(xs, np.int32)   # noqa: E731
    n = len(prices)
    return FaresV1(
        fare_ids=[f"f{i}" for i in range(n)], price_minor=i32(prices), currency=currencies,
        minor_digits=i32([2] * n), transfers=i32([-1] * n), transfer_duration_s=i32([-1] * n),
        fare_agency=i32([-1] * n), route_agency=i32([0, 0]),
        rule_fare=i32([f for f, _ in rule_routes]), rule_route=i32([r for _, r in rule_routes]),
        rule_origin=i32([-1] * len(rule_routes)), rule_destination=i32([-1] * len(rule_routes)),
        rule_contains=i32([-1] * len(rule_routes)), stop_zone=i32([-1, -1]), zone_ids=[])


RIDE_0 = Ride(route_idx=0, board_stop=0, alight_stop=1, board_time_s=8 * 3600, zones=frozenset())
RIDE_1 = Ride(route_idx=1, board_stop=1, alight_stop=0, board_time_s=9 * 3600, zones=frozenset())


def test_a_journey_without_rides_costs_zero():
    result = journey_fare(_fares([150], ["EUR"], [(0, 0)]), [])
    assert result is not None and result.amount_minor == 0 and result.currency == "EUR" and result.tickets == ()


def test_cheapest_ticket_among_candidates():
    fares = _fares([300, 120, 200], ["EUR"] * 3, [(0, 0), (1, 0), (2, 0), (2, 1)])
    assert cheapest_ticket(fares, [RIDE_0], "EUR") == 1
    assert cheapest_ticket(fares, [RIDE_1], "EUR") == 2
    assert cheapest_ticket(fares, [RIDE_0, RIDE_1], "EUR") == 2
    assert cheapest_ticket(fares, [RIDE_0], "USD") is None
    result = journey_fare(fares, [RIDE_0, RIDE_1])
    assert result is not None and result.amount_minor == 200 and result.tickets == ((2, 0, 1),)


def test_prices_of_two_currencies_are_never_added():
    # route 0 only in EUR, route 1 only in USD: no cover of one currency -> unknown
    fares = _fares([150, 200], ["EUR", "USD"], [(0, 0), (1, 1)])
    assert fares.currencies == ("EUR", "USD")
    assert journey_fare(fares, [RIDE_0, RIDE_1]) is None
    one = journey_fare(fares, [RIDE_1])
    assert one is not None and (one.amount_minor, one.currency) == (200, "USD")
    # both currencies cover the ride: the two amounts are not comparable -> unknown, not the smaller number
    both = _fares([150, 100], ["EUR", "USD"], [(0, 0), (1, 0)])
    assert journey_fare(both, [RIDE_0]) is None
