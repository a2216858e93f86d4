"""GTFS fares v2 ("basics"): what a journey's transit legs cost, one reading of the reference
(https://gtfs.org/documentation/schedule/reference/#fare_leg_rulestxt and #fare_transfer_rulestxt),
written down here because the reference leaves choices to the consumer.

Scope: rules of a feed apply to legs of that feed only (a merged bundle never lets one feed's
empty field match another feed's legs). Prices are one rider category's (engine.fares.load_v2:
by default the default rider's, rows with an empty rider_category_id or the category with
is_default_fare_category=1; for another category its rows and the empty ones; the cheapest
fare medium, or the rows of the medium asked for and those naming none). A product the rider
has no price for leaves a leg it prices without a fare, and a transfer rule whose product it
is does not apply to that rider.

1. **Leg rules** (fare_leg_rules.txt). A leg (one ride) has a network (its route's, from
   route_networks.txt or routes.network_id), a departure stop, an arrival stop, a departure and
   an arrival local time. A rule matches it when every field matches:
   - ``network_id``: equal to the leg's network. Empty: if some rule of the feed has a
     ``rule_priority``, matches any leg; otherwise matches only legs whose network no rule of the
     feed names (the reference's "all values except those specified").
   - ``from_area_id`` / ``to_area_id``: the departure / arrival stop is in the area
     (stop_areas.txt; a station stands for its platforms). Empty: as for network_id, with the
     areas named in that same column.
   - ``from_timeframe_group_id`` / ``to_timeframe_group_id``: the departure / arrival local time
     of day is in [start_time, end_time) of a timeframes.txt row of that group whose service_id
     runs on the calendar day of that time. Empty: time does not matter.
   With rule_priority (empty = 0), only the matching rules of the highest priority remain. Of
   those, the cheapest product wins (ties: the first row) -- the rider's choice the reference
   leaves open. No matching rule, or only products without a default price: the fare is unknown.
2. **Transfers** (fare_transfer_rules.txt), between consecutive legs of the same feed. A
   *sub-journey* is a run of legs linked by applied transfer rules; its transfer count is the
   number of links so far. Between leg i-1 (group A) and leg i (group B), with k = the count
   including this transfer, a rule is a candidate when:
   - ``from_leg_group_id`` = A, or is empty and no rule of the feed names A as from group
     (a leg without a leg group matches empty only); ``to_leg_group_id`` likewise with B;
   - ``transfer_count`` is -1 or >= k (empty = -1; the reference forbids it between different
     groups);
   - ``duration_limit`` (if any) >= the time between the two legs per ``duration_limit_type``:
     0 departure of leg i-1 -> arrival of leg i, 1 departure -> departure, 2 arrival -> departure,
     3 arrival -> arrival ("current leg" = the leg before the transfer, "next leg" = the one after).
   Among candidates: the smallest transfer_count >= k (-1 last), then the cheapest transfer
   product, then the first row. No candidate: the sub-journey ends, leg i starts a new one (k = 0).
   The applied rule's ``fare_transfer_type`` says what is paid for the pair (AB = its
   ``fare_product_id``, free when empty):
   - 0 (A + AB): leg i's own product is not paid; AB is;
   - 1 (A + AB + B): leg i's product and AB are paid;
   - 2 (AB): neither leg i-1's nor leg i's product is paid; AB is.
3. **Total**: the products of the legs still paid plus every AB. All of them must be in one
   currency, otherwise the fare is unknown (amounts of two currencies are never added).
0. **Effective fare legs** (fare_leg_join_rules.txt), before 1 and 2: two consecutive rides of
   the same feed are one *effective fare leg* when a join rule of the feed names the first
   ride's network as ``from_network_id`` and the second's as ``to_network_id`` and the transfer
   matches its stops: ``from_stop_id`` / ``to_stop_id`` name the stop (or its station) where
   the first ride ends and the one where the second starts; both empty, the two rides end and
   start at one station (the same stop, or stops of one parent station). Consecutive joins make
   one effective leg of the whole run. It is then a leg as in 1 and 2: departure stop and time
   of its first ride, arrival stop and time of its last, and its rides' network when they share
   one (a join across networks leaves it none: only an empty ``network_id`` matches it); one
   product stands for all its rides.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np

NO_IDX = -1


@dataclass(frozen=True, eq=False)
class FaresV2:
    """The v2 tables of a bundle, as indices (rows of fares/* tables, -1 = empty)."""

    product_ids: Sequence[str]
    product_names: Sequence[str]
    product_amount_minor: np.ndarray
    product_currency: Sequence[str]
    product_minor_digits: np.ndarray
    route_network: np.ndarray          # per route_idx
    stop_area_stop: np.ndarray         # sorted
    stop_area_area: np.ndarray
    timeframe_group: np.ndarray
    timeframe_start_s: np.ndarray
    timeframe_end_s: np.ndarray
    timeframe_service: np.ndarray
    leg_group: np.ndarray
    leg_network: np.ndarray
    leg_from_area: np.ndarray
    leg_to_area: np.ndarray
    leg_from_timeframe: np.ndarray
    leg_to_timeframe: np.ndarray
    leg_product: np.ndarray
    leg_priority: np.ndarray
    leg_feed: np.ndarray
    tr_from_group: np.ndarray
    tr_to_group: np.ndarray
    tr_count: np.ndarray
    tr_duration_s: np.ndarray
    tr_duration_type: np.ndarray
    tr_type: np.ndarray
    tr_product: np.ndarray
    tr_feed: np.ndarray
    leg_group_ids: Sequence[str]
    #: the rider category these prices are for (engine.fares.load_v2; None: each feed's default
    #: rider, where no single default category is named)
    rider_category: str | None = None
    #: the fare medium paid with (None: the cheapest of each product)
    fare_medium: str | None = None
    #: fare_leg_join_rules.txt (section 0): from / to network, from / to stop (NO_IDX: empty), feed
    join_from_network: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    join_to_network: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    join_from_stop: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    join_to_stop: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    join_feed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    #: per stop, its station (its parent station, else itself): where join rules meet; empty
    #: when no feed has join rules
    stop_station: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    @cached_property
    def feeds(self) -> frozenset[int]:
        """Feeds that have v2 leg rules."""
        return frozenset(int(f) for f in np.unique(self.leg_feed))

    @cached_property
    def _per_feed(self) -> dict[int, _FeedRules]:
        out = {}
        for feed in self.feeds:
            rows = np.flatnonzero(self.leg_feed == feed)
            trs = np.flatnonzero(self.tr_feed == feed)
            out[feed] = _FeedRules(
                rows=[tuple(int(x) for x in r) for r in zip(
                    rows, self.leg_group[rows], self.leg_network[rows], self.leg_from_area[rows],
                    self.leg_to_area[rows], self.leg_from_timeframe[rows], self.leg_to_timeframe[rows],
                    self.leg_product[rows], self.leg_priority[rows])],
                priority_mode=bool((self.leg_priority[rows] >= 0).any()),
                networks=frozenset(int(x) for x in self.leg_network[rows] if x >= 0),
                from_areas=frozenset(int(x) for x in self.leg_from_area[rows] if x >= 0),
                to_areas=frozenset(int(x) for x in self.leg_to_area[rows] if x >= 0),
                transfers=[tuple(int(x) for x in r) for r in zip(
                    trs, self.tr_from_group[trs], self.tr_to_group[trs], self.tr_count[trs],
                    self.tr_duration_s[trs], self.tr_duration_type[trs], self.tr_type[trs], self.tr_product[trs])],
                from_groups=frozenset(int(x) for x in self.tr_from_group[trs] if x >= 0),
                to_groups=frozenset(int(x) for x in self.tr_to_group[trs] if x >= 0))
        return out

    @cached_property
    def join_feeds(self) -> frozenset[int]:
        """Feeds with fare_leg_join_rules.txt rows."""
        return frozenset(int(f) for f in np.unique(self.join_feed))

    @cached_property
    def _joins(self) -> dict[tuple[int, int, int], list[tuple[int, int]]]:
        """(feed, from network, to network) -> [(from stop, to stop)] of its join rules."""
        out: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
        for feed, fn, tn, fs, ts in zip(self.join_feed.tolist(), self.join_from_network.tolist(),
                                        self.join_to_network.tolist(), self.join_from_stop.tolist(),
                                        self.join_to_stop.tolist()):
            out.setdefault((feed, fn, tn), []).append((fs, ts))
        return out

    def joined(self, prev: LegV2, cur: LegV2) -> bool:
        """Whether rides ``prev`` then ``cur`` are one effective fare leg (section 0)."""
        if prev.feed != cur.feed or prev.route_idx < 0 or cur.route_idx < 0 or not self.join_feeds:
            return False
        networks = self.plain.networks
        pairs = self._joins.get((prev.feed, networks[prev.route_idx], networks[cur.route_idx]))
        if not pairs:
            return False
        station = self.stop_station
        a, b = prev.alight_stop, cur.board_stop
        for fs, ts in pairs:
            if fs < 0:
                if station[a] == station[b]:
                    return True
            elif fs in (a, station[a]) and ts in (b, station[b]):
                return True
        return False

    @cached_property
    def _stop_areas(self) -> dict[int, frozenset[int]]:
        out: dict[int, set[int]] = {}
        for stop, area in zip(self.stop_area_stop.tolist(), self.stop_area_area.tolist()):
            out.setdefault(stop, set()).add(area)
        return {stop: frozenset(areas) for stop, areas in out.items()}

    def areas_of(self, stop: int) -> frozenset[int]:
        return self._stop_areas.get(stop, frozenset())

    @cached_property
    def _timeframes(self) -> dict[int, list[tuple[int, int, int]]]:
        out: dict[int, list[tuple[int, int, int]]] = {}
        for g, start, end, service in zip(self.timeframe_group.tolist(), self.timeframe_start_s.tolist(),
                                          self.timeframe_end_s.tolist(), self.timeframe_service.tolist()):
            out.setdefault(g, []).append((start, end, service))
        return out

    def in_timeframe(self, group: int, day: int, tod_s: int, active: Callable[[int, int], bool]) -> bool:
        """Whether local time ``tod_s`` of timetable day ``day`` is in a [start, end) window of
        timeframe group ``group`` whose service runs that day (``active(service, day)``)."""
        key = (group, day, active)
        windows = self._windows.get(key)
        if windows is None:
            # (a group has a row per service and window; a day keeps only its own: a leg reads
            # a handful of windows, not every row: Strasbourg's generated groups have 118 and 177)
            windows = tuple(sorted({(start, end) for start, end, service in self._timeframes.get(group, ())
                                    if active(service, day)}))
            if len(self._windows) >= 1 << 16:
                self._windows.clear()
            self._windows[key] = windows
        for start, end in windows:
            if start <= tod_s < end:
                return True
        return False

    @cached_property
    def _windows(self) -> dict[tuple, tuple[tuple[int, int], ...]]:
        """in_timeframe's memo: (group, day, active) -> that day's windows (bounded)."""
        return {}

    @cached_property
    def plain(self) -> PlainColumnsV2:
        """The columns pricing reads per leg and transfer, as Python lists (as FaresV1.plain: a
        list item costs ~11 ns, int() of a numpy scalar ~130 ns)."""
        return PlainColumnsV2(*(np.asarray(a).tolist() for a in (
            self.product_amount_minor, self.product_minor_digits, self.route_network, self.leg_group)))


class PlainColumnsV2(NamedTuple):
    """FaresV2.plain: per product (amounts, minor_digits), per route (networks), per leg rule
    (leg_groups)."""

    amounts: list
    minor_digits: list
    networks: list
    leg_groups: list


@dataclass(frozen=True, slots=True)
class _FeedRules:
    rows: list[tuple]          # (row, group, network, from_area, to_area, from_tf, to_tf, product, priority)
    priority_mode: bool
    networks: frozenset[int]
    from_areas: frozenset[int]
    to_areas: frozenset[int]
    transfers: list[tuple]     # (row, from, to, count, duration, duration_type, type, product)
    from_groups: frozenset[int]
    to_groups: frozenset[int]


@dataclass(frozen=True, slots=True)
class LegV2:
    """One ride as the v2 rules see it."""

    feed: int
    route_idx: int
    board_stop: int
    alight_stop: int
    dep_s: int                 # seconds on one clock shared by the journey's legs (durations)
    arr_s: int
    dep_day: int               # timetable day index of the departure's local calendar day
    dep_tod_s: int             # local time of day of the departure, seconds
    arr_day: int
    arr_tod_s: int
    #: an effective fare leg's network when it differs from its route's (section 0; NO_IDX: none)
    network: int | None = None


@dataclass(frozen=True, slots=True)
class FareV2Result:
    """A priced journey: the total and what was paid: (product index, leg indices) per item."""

    amount_minor: int
    currency: str
    minor_digits: int
    items: tuple[tuple[int, tuple[int, ...]], ...]


@dataclass(frozen=True, slots=True)
class UnknownV2:
    """Why a journey has no v2 price (``ride``: the position of the ride concerned, if one)."""

    reason: str
    ride: int | None = None


def match_leg(fares: FaresV2, leg: LegV2, active: Callable[[int, int], bool]) -> tuple[int, int] | None:
    """(leg rule row, product) of the rule that prices ``leg`` (section 1), or None."""
    rules = fares._per_feed.get(leg.feed)
    if rules is None:
        return None
    if leg.network is not None:
        network = leg.network
    else:
        network = fares.plain.networks[leg.route_idx] if leg.route_idx >= 0 else NO_IDX
    a_from, a_to = fares.areas_of(leg.board_stop), fares.areas_of(leg.alight_stop)
    any_empty = rules.priority_mode
    matched = []
    for row, _group, net, fa, ta, ftf, ttf, product, priority in rules.rows:
        if net >= 0:
            if net != network:
                continue
        elif not any_empty and network in rules.networks:
            continue
        if fa >= 0:
            if fa not in a_from:
                continue
        elif not any_empty and a_from & rules.from_areas:
            continue
        if ta >= 0:
            if ta not in a_to:
                continue
        elif not any_empty and a_to & rules.to_areas:
            continue
        if ftf >= 0 and not fares.in_timeframe(ftf, leg.dep_day, leg.dep_tod_s, active):
            continue
        if ttf >= 0 and not fares.in_timeframe(ttf, leg.arr_day, leg.arr_tod_s, active):
            continue
        matched.append((max(priority, 0), row, product))
    if not matched:
        return None
    top = max(m[0] for m in matched)
    amounts = fares.plain.amounts
    priced = [(amounts[p], row, p) for prio, row, p in matched if prio == top and p >= 0]
    if not priced:
        return None
    _, row, product = min(priced)
    return row, product


def match_transfer(fares: FaresV2, feed: int, group_a: int, group_b: int, k: int, prev: LegV2,
                   cur: LegV2) -> tuple[int, int, int] | None:
    """(transfer rule row, fare_transfer_type, product or -1) between ``prev`` and ``cur`` (section 2)."""
    rules = fares._per_feed.get(feed)
    if rules is None:
        return None
    best = None
    for row, fg, tg, count, duration, dtype, ttype, product in rules.transfers:
        if fg >= 0:
            if fg != group_a:
                continue
        elif group_a in rules.from_groups:
            continue
        if tg >= 0:
            if tg != group_b:
                continue
        elif group_b in rules.to_groups:
            continue
        if count != -1 and count < k:
            continue
        if duration >= 0:
            start = prev.dep_s if dtype in (0, 1) else prev.arr_s
            end = cur.arr_s if dtype in (0, 3) else cur.dep_s
            if end - start > duration:
                continue
        key = (count if count != -1 else 1 << 30, fares.plain.amounts[product] if product >= 0 else 0,
               row)
        if best is None or key < best[0]:
            best = (key, row, ttype, product)
    return None if best is None else best[1:]


def journey_fare(fares: FaresV2, legs: Sequence[LegV2], active: Callable[[int, int], bool]
                 ) -> FareV2Result | UnknownV2:
    """The v2 price of consecutive rides (sections 0-3). Indices in ``items`` (and
    ``UnknownV2.ride``) are positions in ``legs``, the rides, an effective fare leg's product
    naming all its rides."""
    if not legs:
        return FareV2Result(0, "", 2, ())
    rides = legs
    legs, spans = effective_legs(fares, rides)
    matched = []
    for i, leg in enumerate(legs):
        m = match_leg(fares, leg, active)
        if m is None:
            first, last = spans[i]
            more = last - first
            joined = (f" (one effective fare leg with the {more} ride{'s' if more > 1 else ''} joined to it)"
                      if more else "")
            return UnknownV2("no fare_leg_rules row prices leg {leg}" + joined + (
                f" for rider category {fares.rider_category!r}" if fares.rider_category is not None else "") + (
                f" with fare medium {fares.fare_medium!r}" if fares.fare_medium is not None else ""), first)
        matched.append(m)
    product = [p for _, p in matched]
    group = [fares.plain.leg_groups[row] for row, _ in matched]
    paid = [True] * len(legs)
    covers = [list(range(a, b + 1)) for a, b in spans]   # rides each leg's product stands for
    owner = list(range(len(legs)))                  # whose product covers leg i
    extra: list[tuple[int, tuple[int, ...]]] = []
    k = 0
    for i in range(1, len(legs)):
        prev, cur = legs[i - 1], legs[i]
        rule = match_transfer(fares, cur.feed, group[i - 1], group[i], k + 1, prev, cur) \
            if prev.feed == cur.feed else None
        if rule is None:
            k = 0
            continue
        k += 1
        _, ttype, ab = rule
        if ttype in (0, 2):
            paid[i] = False
            owner[i] = owner[i - 1]
            covers[owner[i]].extend(covers[i])
        if ttype == 2:
            paid[i - 1] = False
        if ab >= 0:
            extra.append((ab, tuple(range(spans[i - 1][0], spans[i][1] + 1))))   # both legs' rides
    items = [(product[i], tuple(covers[i])) for i in range(len(legs)) if paid[i]] + extra
    currencies = {fares.product_currency[p] for p, _ in items}
    if len(currencies) > 1:
        return UnknownV2("the products are in different currencies: " + ", ".join(sorted(currencies)))
    if not items:               # every product waived by AB-less type-2 transfers
        p = product[0]
        return FareV2Result(0, fares.product_currency[p], fares.plain.minor_digits[p], ())
    total = sum(fares.plain.amounts[p] for p, _ in items)
    first = items[0][0]
    return FareV2Result(total, fares.product_currency[first], fares.plain.minor_digits[first], tuple(items))


def effective_legs(fares: FaresV2, rides: Sequence[LegV2]) -> tuple[list[LegV2], list[tuple[int, int]]]:
    """The effective fare legs of consecutive rides (section 0) and, per leg, the positions of
    its first and last ride. Without join rules: the rides themselves."""
    if not fares.join_feeds or len(rides) < 2:
        return list(rides), [(i, i) for i in range(len(rides))]
    spans = [(0, 0)]
    for i in range(1, len(rides)):
        if fares.joined(rides[i - 1], rides[i]):
            spans[-1] = (spans[-1][0], i)
        else:
            spans.append((i, i))
    if len(spans) == len(rides):
        return list(rides), spans
    networks = fares.plain.networks
    legs = []
    for a, b in spans:
        first, last = rides[a], rides[b]
        if a == b:
            legs.append(first)
            continue
        nets = {networks[r.route_idx] for r in rides[a:b + 1]}
        legs.append(LegV2(first.feed, first.route_idx, first.board_stop, last.alight_stop, first.dep_s, last.arr_s,
                          first.dep_day, first.dep_tod_s, last.arr_day, last.arr_tod_s,
                          None if len(nets) == 1 else NO_IDX))
    return legs, spans
