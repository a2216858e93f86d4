"""An itinerary's legs -> its Fare, with the v1 (engine.fares.v1) or v2 (engine.fares.v2) rules.

Which version prices a journey: v2 when the feed of every transit leg has v2 leg rules (a feed
with both v1 and v2 files is priced with v2: v2 wins), else v1 when every leg's feed has v1
fares; otherwise the fare is unknown ("no fare data" for the first leg whose feed has none).
A journey without a vehicle costs 0. Built once per Network (``LegBuilder``), lazily: a bundle
without fares costs one ``bundle.has`` check per itinerary.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from ..raptor.journey import Fare, FareProduct, Leg
from . import has_fares, load_v1, load_v2
from .v1 import Ride, cheapest_ticket
from .v1 import journey_fare as journey_fare_v1
from .v2 import FareV2Result, LegV2
from .v2 import journey_fare as journey_fare_v2


class ItineraryPricer:
    """Prices itineraries of one timetable (thread-safe: read-only after the first use)."""

    def __init__(self, tt):
        self.tt = tt
        self.bundle = tt.bundle
        self._runs: dict[tuple[int, int], bool] = {}

    @cached_property
    def v1(self):
        return load_v1(self.bundle)

    @cached_property
    def v2(self):
        return load_v2(self.bundle)

    def v2_for(self, rider: str | None, medium: str | None = None):
        """The v2 fares priced for rider category ``rider`` (None: the default rider) paying with
        fare medium ``medium`` (None: the cheapest), loaded once each."""
        if rider is None and medium is None:
            return self.v2
        views = self.__dict__.setdefault("_views", {})
        fares = views.get((rider, medium))
        if fares is None:
            fares = views[rider, medium] = load_v2(self.bundle, rider, medium)
        return fares

    def v1_for(self, rider: str | None):
        """The v1 fares priced for rider category ``rider`` (GTFS+; None: the default rider),
        loaded once each; None when no feed prices fares v1 for it (remembered too: a merged
        bundle's v2 category asks again for every itinerary on a v1 feed)."""
        if rider is None:
            return self.v1
        views = self.__dict__.setdefault("_v1_views", {})
        if rider not in views:
            try:
                views[rider] = load_v1(self.bundle, rider)
            except ValueError:
                views[rider] = None
        return views[rider]

    @cached_property
    def route_feed(self) -> list[int]:
        """Each route's feed, as Python ints (read per ride)."""
        return self.bundle.column("timetable/routes", "feed_idx").tolist()

    @cached_property
    def has_fares(self) -> bool:
        return has_fares(self.bundle)

    @cached_property
    def v1_feeds(self) -> frozenset[int]:
        if self.v1 is None:
            return frozenset()
        return frozenset(int(f) for f in np.unique(self.bundle.column("fares/attributes", "feed_idx")))

    @cached_property
    def v1_currencies(self) -> tuple[str, ...]:
        return self.v1.currencies if self.v1 is not None else ()

    def price(self, legs: Sequence[Leg], rider: str | None = None, medium: str | None = None) -> Fare | None:
        """The fare of an itinerary made of ``legs`` (None: the bundle has no fare data) for rider
        category ``rider`` paying with fare medium ``medium`` (fares v2; None: the default rider,
        the cheapest medium). Fares v1 know rider categories from GTFS+ fare_rider_categories.txt
        only, and no fare media: a journey they would price has an unknown fare when a medium,
        or a category they do not price, is named."""
        if not self.has_fares:
            return None
        positions = [i for i, leg in enumerate(legs) if leg.mode == "transit"]
        version = "v2" if self.v2 is not None else "v1"
        if not positions:
            return Fare(0.0, None, (), True, version, None, 0, None,
                        rider if rider is not None else (self.v2.rider_category if self.v2 is not None else None),
                        medium)
        rides = [legs[i].ride for i in positions]
        for n, ride in enumerate(rides):
            if ride is None or ride.route_idx < 0:
                return _unknown(version, f"no fare data for leg {positions[n] + 1} (a real-time trip without a route)")
        route_feed = self.route_feed
        feeds = [route_feed[r.route_idx] for r in rides]
        if self.v2 is not None and all(f in self.v2.feeds for f in feeds):
            return self._price_v2(legs, positions, feeds, self.v2_for(rider, medium))
        if self.v1 is not None and all(f in self.v1_feeds for f in feeds):
            if medium is not None:
                return _unknown("v1", f"fares v1 have no fare media (asked for {medium!r})", rider, medium)
            fares = self.v1_for(rider)
            if fares is None:
                return _unknown("v1", f"these fares v1 have no prices for the rider category {rider!r}", rider)
            return self._price_v1(positions, rides, fares)
        have = (self.v2.feeds if self.v2 is not None else frozenset()) | self.v1_feeds
        missing = next((n for n, f in enumerate(feeds) if f not in have), None)
        if missing is not None:
            return _unknown(version, f"no fare data for leg {positions[missing] + 1} (its feed has no fare files)")
        return _unknown(version, "no fare data for the whole journey: its feeds mix fares v1 and fares v2")

    # ------------------------------------------------------------------ v1
    def _price_v1(self, positions: list[int], rides, fares) -> Fare:
        zone = fares.plain.stop_zone
        # (the zones passed through only for fares with contains_id rows: a ride passes dozens of stops)
        v1_rides = [Ride(r.route_idx, r.stops[0], r.stops[-1], r.dep_s,
                         frozenset(zone[s] for s in r.stops if zone[s] >= 0) if fares.uses_contains else frozenset())
                    for r in rides]
        result = journey_fare_v1(fares, v1_rides)
        if result is None:
            for n, ride in enumerate(v1_rides):
                if all(cheapest_ticket(fares, [ride], c) is None for c in self.v1_currencies):
                    sold = "" if fares.rider_category is None else \
                        f" with a price for the rider category {fares.rider_category!r}"
                    return _unknown("v1", f"no fare_rules row{sold} prices leg {positions[n] + 1}",
                                    fares.rider_category)
            return _unknown("v1", "no tickets of one currency cover all the legs, or covers in several "
                                  "currencies (prices of two currencies are never added or compared)",
                            fares.rider_category)
        scale = 10 ** result.minor_digits
        price = fares.plain.price_minor
        products = tuple(FareProduct(fares.fare_ids[f], None, price[f] / scale, fares.currency[f],
                                     tuple(positions[a:b + 1])) for f, a, b in result.tickets)
        return Fare(result.amount_minor / scale, result.currency, products, True, "v1", None, result.amount_minor,
                    result.minor_digits, fares.rider_category)

    # ------------------------------------------------------------------ v2
    def _price_v2(self, legs: Sequence[Leg], positions: list[int], feeds: list[int], fares) -> Fare:
        v2_legs = []
        for i, feed in zip(positions, feeds):
            leg, ride = legs[i], legs[i].ride
            dep_day, dep_tod = self._local(leg.departure)
            arr_day, arr_tod = self._local(leg.arrival)
            v2_legs.append(LegV2(feed, ride.route_idx, ride.stops[0], ride.stops[-1], ride.dep_s, ride.arr_s,
                                 dep_day, dep_tod, arr_day, arr_tod))
        result = journey_fare_v2(fares, v2_legs, self._active)
        if not isinstance(result, FareV2Result):
            leg = positions[result.ride] + 1 if result.ride is not None else None
            return _unknown("v2", result.reason.format(leg=leg), fares.rider_category, fares.fare_medium)
        scale = 10 ** result.minor_digits
        amounts, digits = fares.plain.amounts, fares.plain.minor_digits
        products = tuple(FareProduct(fares.product_ids[p], fares.product_names[p] or None,
                                     amounts[p] / 10 ** digits[p], fares.product_currency[p],
                                     tuple([positions[i] for i in covered]))
                         for p, covered in result.items)
        return Fare(result.amount_minor / scale, result.currency, products, True, "v2", None, result.amount_minor,
                    result.minor_digits, fares.rider_category, fares.fare_medium)

    def _local(self, when: dt.datetime) -> tuple[int, int]:
        """(timetable day index of the local calendar day, local seconds since midnight)."""
        day = (when.date() - self.tt.period_start).days
        return day, when.hour * 3600 + when.minute * 60 + when.second

    def _active(self, service: int, day: int) -> bool:
        """Whether ``service`` runs on timetable day ``day`` (remembered: timeframes ask often)."""
        key = (service, day)
        known = self._runs.get(key)
        if known is None:
            known = 0 <= day < self.tt.n_days and bool((self.tt._service_bits[service, day >> 3] >> (day & 7)) & 1)
            if len(self._runs) >= 1 << 16:
                self._runs.clear()
            self._runs[key] = known
        return known


def _unknown(version: str, reason: str, rider: str | None = None, medium: str | None = None) -> Fare:
    return Fare(None, None, (), False, version, reason, rider_category=rider, fare_medium=medium)
