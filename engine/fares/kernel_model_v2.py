"""The v2 rules (engine/fares/v2.py) as the flat arrays of the McRAPTOR fare criterion
(engine._mcraptor.FareModelV2). What does not depend on the day (leg rules as bit sets per
pattern and per stop, transfer rules per pair of leg groups) is built once per McPlanner, on the
first fare query; the timeframes, which depend on the services running, once per service day.
Opening a bundle computes nothing.

Why bit sets: a leg's rule is the first rule, in the order that decides a match (feed, highest
rule_priority, priced before unpriced, cheapest, first row), that matches its network, its
boarding area, its alighting area, its departure timeframe and its arrival timeframe. Each of the
five parts is a set of rules known in advance for a pattern, a stop or a time interval, so the
kernel ANDs five words per 64 rules and takes the lowest bit: no rule loop, no Python.
"""
from __future__ import annotations

import copy

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from .._mcraptor import FareModelV2
from ..errors import InvalidQueryError
from ..raptor.legs import local_datetime
from .kernel_model import check_kernel_amounts
from .v2 import NO_IDX, FaresV2

LIMITLESS = 1 << 30          # sorts a transfer_count of -1 after every count
MAX_GROUP_PAIRS = 1 << 22    # transfer lists per (feed, from group, to group): beyond, refused
DAYS_AROUND = range(-1, 5)   # calendar days of the query axis whose timeframes are told apart
SIGNATURE_DAYS = range(-3, 10)  # days around a date its intervals can fall on (clock changes: -2 .. +8 days)
YEAR_MARGIN_DAYS = 15        # clock changes: a year's table reaches this far into the next ones
UTC = dt.timezone.utc


class FareKernelV2:
    """The day-independent part of FareModelV2 for one timetable; ``model(date, tz)`` adds a day."""

    MAX_DAYS = 64            # models kept (one per service day asked)

    def __init__(self, fares: FaresV2, tt):
        self.fares, self.tt = fares, tt
        feeds = sorted(fares.feeds)
        self.feed_pos = {f: i for i, f in enumerate(feeds)}
        if fares.join_feeds & set(feeds):
            # (an effective fare leg is priced from its first ride's boarding to its last ride's
            # alighting: a label would carry the open leg and what it replaces; not done yet)
            raise InvalidQueryError("optimize: the fare criterion does not take fare_leg_join_rules.txt (effective "
                                    "fare legs) yet; plan without it: itineraries are priced with those rules",
                                    "optimize")
        self._check_currency()
        rows = np.flatnonzero(np.isin(np.asarray(fares.leg_feed), feeds))
        self.rules = sorted((int(r) for r in rows), key=self._rule_key)   # rule number -> leg rule row
        self.words = max(1, -(-len(self.rules) // 64))
        leg_product = np.asarray(fares.leg_product)
        amounts = np.asarray(fares.product_amount_minor, np.int64)
        used = [int(leg_product[r]) for r in self.rules if leg_product[r] >= 0]
        used += [int(p) for p in np.asarray(fares.tr_product)[np.isin(np.asarray(fares.tr_feed), feeds)] if p >= 0]
        #: the largest amount the criterion adds (a query checks it against its rides)
        self.max_amount = check_kernel_amounts(amounts[used])      # (before any is cast to int32)
        self.rule_priced = np.array([leg_product[r] >= 0 for r in self.rules], np.uint8)
        self.rule_amount = np.array([amounts[leg_product[r]] if leg_product[r] >= 0 else 0 for r in self.rules],
                                    np.int32)
        self.rule_group = np.array([fares.leg_group[r] for r in self.rules], np.int32)
        self.rule_feed = np.array([fares.leg_feed[r] for r in self.rules], np.int64)
        self._patterns()
        self._stops()
        self._transfers()
        self.count_canon, self.count_width, self.refund_used = self._canonical_states()
        tf_rules = np.concatenate([np.asarray(fares.leg_from_timeframe)[rows],
                                   np.asarray(fares.leg_to_timeframe)[rows]])
        self.timed = bool(self.uses_dep or self.uses_arr or (tf_rules >= 0).any())
        self.nonneg = bool((amounts[used] >= 0).all()) if used else True
        self.leg_floor = self._leg_floor()
        priced = self.rule_amount[self.rule_priced == 1]
        self.fresh_floor = max(int(priced.min()), 0) if len(priced) else 0
        self.slack_dep, self.slack_arr = self._slack_safe()
        self.slack_ok = bool((self.slack_dep == 1).all() and (self.slack_arr == 1).all())   # (every last leg)
        self.slack_reach = self._slack_reach()
        self.potential = self._potential_tables()
        self._days: dict[tuple, FareModelV2] = {}
        self._by_signature: dict[tuple, FareModelV2] = {}
        self._window_memo: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}
        self._group_rows: dict | None = None
        self._day_classes: np.ndarray | None = None
        self._year_changes: dict[tuple, list[dt.datetime]] = {}

    # ------------------------------------------------------------------ static part
    def _check_currency(self) -> None:
        fares = self.fares
        feeds = list(self.feed_pos)
        products = {int(p) for p in np.asarray(fares.leg_product)[np.isin(np.asarray(fares.leg_feed), feeds)] if p >= 0}
        products |= {int(p) for p in np.asarray(fares.tr_product)[np.isin(np.asarray(fares.tr_feed), feeds)] if p >= 0}
        currencies = sorted({fares.product_currency[p] for p in products})
        if len(currencies) > 1:
            raise InvalidQueryError("optimize: the fare criterion needs fares of one currency "
                                    f"(this bundle's fares v2 products are in {', '.join(currencies)})", "optimize")

    def _rule_key(self, row: int) -> tuple:
        f = self.fares
        product = int(f.leg_product[row])
        priced = product >= 0
        return (self.feed_pos[int(f.leg_feed[row])], -max(int(f.leg_priority[row]), 0), 0 if priced else 1,
                int(f.product_amount_minor[product]) if priced else 0, row)

    def _bits(self, match: np.ndarray) -> np.ndarray:
        """Rows of booleans over the rules -> rows of ``words`` uint64 (rule r = bit r % 64 of word r // 64)."""
        match = np.atleast_2d(match)
        padded = np.zeros((match.shape[0], self.words * 64), np.uint8)
        padded[:, :match.shape[1]] = match
        return np.packbits(padded, axis=1, bitorder="little").view(np.uint64).reshape(match.shape[0], self.words)

    def _priority_mode(self) -> dict[int, bool]:
        f = self.fares
        return {feed: bool((np.asarray(f.leg_priority)[np.asarray(f.leg_feed) == feed] >= 0).any())
                for feed in self.feed_pos}

    def _named(self, column) -> dict[int, set[int]]:
        """Per feed, the values its leg rules name in ``column`` (an empty field matches the others)."""
        out = {feed: set() for feed in self.feed_pos}
        for r in self.rules:
            v = int(column[r])
            if v >= 0:
                out[int(self.fares.leg_feed[r])].add(v)
        return out

    def _patterns(self) -> None:
        f, tt = self.fares, self.tt
        route_feed = np.asarray(tt.bundle.column("timetable/routes", "feed_idx"))
        pattern_route = np.asarray(tt.pattern_route)
        route_network = np.asarray(f.route_network)
        networks = self._named(f.leg_network)
        priority = self._priority_mode()
        rule_net = np.array([f.leg_network[r] for r in self.rules], np.int64)
        classes: dict[tuple[int, int], int] = {}
        rows = []
        self.pattern_class = np.full(len(pattern_route), NO_IDX, np.int32)
        self.pattern_feed = np.full(len(pattern_route), NO_IDX, np.int32)
        for p, route in enumerate(pattern_route.tolist()):
            if route < 0:
                continue                                  # a real-time trip without a route: no price
            feed = int(route_feed[route])
            if feed not in self.feed_pos:
                continue                                  # no v2 rules: its legs have no price
            network = int(route_network[route]) if route < len(route_network) else NO_IDX
            key = (feed, network)
            if key not in classes:
                empty_ok = priority[feed] or network not in networks[feed]
                rows.append((self.rule_feed == feed) & ((rule_net == network) | ((rule_net < 0) & empty_ok)))
                classes[key] = len(classes)
            self.pattern_class[p] = classes[key]
            self.pattern_feed[p] = self.feed_pos[feed]
        self.pattern_bits = self._bits(np.array(rows)).ravel() if rows else np.zeros(self.words, np.uint64)
        self._classes, self._route_feed, self._route_network = classes, route_feed, route_network

    def for_patterns(self, tt) -> FareKernelV2:
        """This model over ``tt``, whose first patterns are this model's timetable's and the
        others a real-time overlay's (engine/criteria/realtime.py): only the per-pattern classes
        are new (a class is a (feed, network) pair: a route's), the rest is shared; a full build
        when an overlay pattern's pair has no class here. Day models are built again (they hold
        the per-pattern arrays). Strasbourg, generated v2-simple, 2,000 changes: the first
        criteria query after an application 42 -> 9.8 ms."""
        pattern_route = np.asarray(tt.pattern_route)
        n0 = len(self.pattern_class)
        if len(pattern_route) < n0 or not np.array_equal(pattern_route[:n0], np.asarray(self.tt.pattern_route)):
            return FareKernelV2(self.fares, tt)
        classes = np.full(len(pattern_route), NO_IDX, np.int32)
        feeds = np.full(len(pattern_route), NO_IDX, np.int32)
        classes[:n0], feeds[:n0] = self.pattern_class, self.pattern_feed
        for p in range(n0, len(pattern_route)):
            route = int(pattern_route[p])
            if route < 0:
                continue                                  # (no route: no price, as in _patterns)
            feed = int(self._route_feed[route])
            if feed not in self.feed_pos:
                continue
            network = int(self._route_network[route]) if route < len(self._route_network) else NO_IDX
            cls = self._classes.get((feed, network))
            if cls is None:
                return FareKernelV2(self.fares, tt)
            classes[p], feeds[p] = cls, self.feed_pos[feed]
        other = copy.copy(self)
        other.tt, other.pattern_class, other.pattern_feed = tt, classes, feeds
        other._days, other._by_signature = {}, {}
        return other

    def _stops(self) -> None:
        f = self.fares
        priority = self._priority_mode()
        from_named, to_named = self._named(f.leg_from_area), self._named(f.leg_to_area)
        rule_from = np.array([f.leg_from_area[r] for r in self.rules], np.int64)
        rule_to = np.array([f.leg_to_area[r] for r in self.rules], np.int64)
        rule_prio = np.array([priority[int(feed)] for feed in self.rule_feed], bool)
        feeds = list(self.feed_pos)
        rule_fpos = np.array([self.feed_pos[int(fd)] for fd in self.rule_feed], np.int64)
        classes: dict[frozenset, int] = {frozenset(): 0}
        self.stop_class = np.zeros(self.tt.n_stops, np.int32)
        for stop in np.unique(np.asarray(f.stop_area_stop)).tolist():
            areas = f.areas_of(stop)
            self.stop_class[stop] = classes.setdefault(areas, len(classes))
        from_rows, to_rows = [], []
        for areas in classes:
            in_areas = list(areas)

            def match(rule_area, named):
                # per rule: its area contains the stop, or it is empty and the stop is in no area
                # its feed names in that column (any area at all with rule_priority)
                free = np.array([not (areas & named[fd]) for fd in feeds], bool)
                empty_ok = rule_prio | free[rule_fpos]
                return np.isin(rule_area, in_areas) | ((rule_area < 0) & empty_ok)

            from_rows.append(match(rule_from, from_named))
            to_rows.append(match(rule_to, to_named))
        self.from_bits = self._bits(np.array(from_rows)).ravel()
        self.to_bits = self._bits(np.array(to_rows)).ravel()

    def _transfers(self) -> None:
        f = self.fares
        g1 = len(f.leg_group_ids) + 1
        self.n_groups = g1 - 1
        if len(self.feed_pos) * g1 * g1 > MAX_GROUP_PAIRS:
            raise InvalidQueryError(f"optimize: the fare criterion handles at most {MAX_GROUP_PAIRS:,} pairs of leg "
                                    f"groups (this bundle's fares v2 have {self.n_groups:,} leg groups)", "optimize")
        per_key: list[list[tuple]] = [[] for _ in range(len(self.feed_pos) * g1 * g1)]
        self.chain_open = np.zeros(len(self.feed_pos) * g1, np.uint8)
        self.chain_untimed = np.zeros(len(self.feed_pos) * g1, np.uint8)
        self.chain_dep = np.full(len(self.feed_pos) * g1, -1, np.int64)
        self.chain_arr = np.full(len(self.feed_pos) * g1, -1, np.int64)
        self.chain_dep_min = np.full(len(self.feed_pos) * g1, -1, np.int64)
        self.chain_arr_min = np.full(len(self.feed_pos) * g1, -1, np.int64)
        self.count_cap = np.zeros(len(self.feed_pos), np.int32)
        self.uses_dep = self.uses_arr = self.has_type2 = False
        amounts = np.asarray(f.product_amount_minor, np.int64)
        for feed, fi in self.feed_pos.items():
            rules = f._per_feed[feed]
            for row, fg, tg, count, duration, dtype, ttype, product in rules.transfers:
                price = int(amounts[product]) if product >= 0 else 0
                item = (count if count != -1 else LIMITLESS, price, row, count, duration, dtype, ttype)
                if count != -1:
                    self.count_cap[fi] = max(self.count_cap[fi], count)
                if duration >= 0:
                    self.uses_dep |= dtype in (0, 1)
                    self.uses_arr |= dtype in (2, 3)
                self.has_type2 |= ttype == 2
                froms = [fg] if fg >= 0 else [a for a in range(-1, g1 - 1) if a not in rules.from_groups]
                tos = [tg] if tg >= 0 else [b for b in range(-1, g1 - 1) if b not in rules.to_groups]
                for a in froms:
                    chain = fi * g1 + a + 1
                    self.chain_open[chain] = 1
                    if duration < 0:
                        self.chain_untimed[chain] = 1
                    else:
                        longest, shortest = (self.chain_dep, self.chain_dep_min) if dtype in (0, 1) else \
                            (self.chain_arr, self.chain_arr_min)
                        longest[chain] = max(longest[chain], duration)
                        shortest[chain] = duration if shortest[chain] < 0 else min(shortest[chain], duration)
                    for b in tos:
                        per_key[(fi * g1 + a + 1) * g1 + b + 1].append(item)
        offsets, items = [0], []
        for key, cands in enumerate(per_key):
            cands.sort()
            items.extend(cands)
            offsets.append(len(items))
        self.per_key = per_key      # (candidate lists by (feed, from group, to group): _slack_safe)
        cols = np.array([i[3:] for i in items], np.int64).reshape(-1, 4)
        self.tr_offsets = np.array(offsets, np.int32)
        self.tr_count, self.tr_duration, self.tr_dtype, self.tr_type = (np.ascontiguousarray(cols[:, j], np.int32)
                                                                        for j in range(4))
        self.tr_amount = np.array([i[1] for i in items], np.int32)

    def _canonical_states(self) -> tuple[np.ndarray, int, np.ndarray]:
        """What of a last leg's state no rule can tell apart, so that labels differing only there
        compare (FareModelV2 count_canon, refund_used; _v2_ride). count_canon[chain * width +
        c]: the smallest transfer count that a sub-journey whose last leg has that chain key
        (feed, group) can have in place of c with the same future: for every next group the
        same transfer rules pass the count test (the time tests see the same times), and the
        states after such a transfer are again alike (partition refinement over (chain,
        count), counts up to count_cap). refund_used[chain]: a type-2 rule may follow such a
        leg, the only use of its refund (elsewhere it is 0). Strasbourg generated "v2" counts
        transfers only on tram -> tram, so a bus leg's counts are one state, and no type-2 rule
        follows a bus, so bus labels no longer differ by their refund either."""
        g1 = self.n_groups + 1
        n_feeds = len(self.feed_pos)
        width = int(self.count_cap.max(initial=0)) + 1
        refund_used = np.zeros(n_feeds * g1, np.uint8)
        for key, cands in enumerate(self.per_key):
            if any(c[6] == 2 for c in cands):
                refund_used[key // g1] = 1

        def allowed(cands: list, c: int) -> tuple:
            # (_v2_transfer's count test for the (c + 1)-th transfer: -1 or at least that many)
            return tuple(cand[2] for cand in cands if cand[3] == -1 or cand[3] >= c + 1)

        states = [(chain, c) for chain in range(n_feeds * g1) for c in range(int(self.count_cap[chain // g1]) + 1)]
        block = {state: state[0] for state in states}
        n_blocks = len(set(block.values()))
        while True:
            signature = {}
            for chain, c in states:
                fi, cap = chain // g1, int(self.count_cap[chain // g1])
                nxt = []
                for b in range(g1):
                    rules = allowed(self.per_key[chain * g1 + b], c)
                    nxt.append((rules, block[(fi * g1 + b, min(c + 1, cap))] if rules else None))
                signature[(chain, c)] = (block[(chain, c)], tuple(nxt))
            ids: dict = {}
            block = {state: ids.setdefault(sig, len(ids)) for state, sig in signature.items()}
            if len(ids) == n_blocks:
                break
            n_blocks = len(ids)
        canon = np.empty(n_feeds * g1 * width, np.int32)
        for chain in range(n_feeds * g1):
            cap = int(self.count_cap[chain // g1])
            first: dict[int, int] = {}
            for c in range(width):
                cc = min(c, cap)            # (counts never pass the cap: _v2_ride)
                canon[chain * width + c] = first.setdefault(block[(chain, cc)], cc)
        return canon, width, refund_used

    def _slack_safe(self) -> tuple[np.ndarray, np.ndarray]:
        """Per last leg (chain key feed * (G + 1) + group + 1): whether more time left measured
        from its departure (first array) / arrival (second) never makes the rest of a journey
        dearer, so that labels may compare those times by order (FareModelV2 slack_dep /
        slack_arr): 1 always, 2 only over time spans the day's prices allow (_slack_spans), 0
        never. With more time left a label may get a time-limited transfer rule (of that
        group, on that time) where another gets the next rule of the list or none; that must
        never be worse: the ride's price no higher, nor the price minus what a later type-2
        transfer could refund (else 0), and no transfer count lost. A count is lost when the
        other label starts a new sub-journey there (no rule), unless no rule counts: counts
        capped at 1 are equal again after the next transfer, so only rules from the new leg's
        group with a transfer_count could tell them apart. Such a lost count is 2 when counts
        are capped at 1 and the rules involved add a price that no refund changes (types 0 and 1):
        see _slack_spans. Checked at the extreme amounts (prices are linear in them). Per key,
        not for the whole feed: "v2" (Strasbourg, generated) has a counted tram -> tram rule and
        a dearer bus -> tram upgrade, but its buses may compare their departures (bus -> bus is
        free with any count), and its trams theirs within one price period."""
        g1 = self.n_groups + 1
        dep_ok = np.ones(len(self.feed_pos) * g1, np.uint8)
        arr_ok = np.ones(len(self.feed_pos) * g1, np.uint8)
        # (chain, 0 dep / 1 arr) -> [(to group, transfer type, amount)]: the rules whose lost
        # count _slack_spans bounds
        self.lost_count: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        self.counted_rules = self._counted_rules()
        priced = self.rule_amount[self.rule_priced == 1]
        if not len(priced):
            return dep_ok, arr_ok
        amounts = {int(priced.min()), int(priced.max())}
        refunds = amounts | {0}
        counted = {key // g1 for key, cands in enumerate(self.per_key) if any(c[3] != -1 for c in cands)}

        def outcome(ttype, ab, amt, r):        # (price added, refundable afterwards); None: no rule
            if ttype is None:
                return amt, amt
            return ((ab, 0), (amt + ab, amt), (ab - r, 0))[ttype]

        def safe(fi: int, to_chain: int, cands: list, p: int) -> int:
            _, ab_i, _, _, _, _, type_i = cands[p]
            lost = False
            for type_j, ab_j in [(c[6], c[1]) for c in cands[p + 1:]] + [(None, 0)]:
                if type_j is None and self.count_cap[fi] > 0 and (self.count_cap[fi] > 1 or to_chain in counted):
                    lost = True              # k transfers against a new sub-journey
                for amt in amounts:
                    for r in refunds:
                        ci, ri = outcome(type_i, ab_i, amt, r)
                        cj, rj = outcome(type_j, ab_j, amt, r)
                        if ci > cj or (self.has_type2 and ci - ri > cj - rj):
                            return 0
            if not lost:
                return 1
            return 2 if self.count_cap[fi] == 1 and type_i in (0, 1) and self.counted_rules[fi] is not None else 0

        for key, cands in enumerate(self.per_key):
            fi, chain, to_group = key // (g1 * g1), key // g1, key % g1 - 1
            to_chain = fi * g1 + to_group + 1
            for p, cand in enumerate(cands):
                duration, dtype = cand[4], cand[5]
                if duration < 0:
                    continue
                flags, which = (dep_ok, 0) if dtype in (0, 1) else (arr_ok, 1)
                verdict = safe(fi, to_chain, cands, p)
                if verdict == 2:
                    self.lost_count.setdefault((chain, which), []).append((to_group, cand[6], cand[1]))
                if verdict == 0 or flags[chain] == 0:
                    flags[chain] = 0
                elif verdict == 2:
                    flags[chain] = 2
        return dep_ok, arr_ok

    def _slack_reach(self) -> np.ndarray:
        """Per chain key, how far after the last leg's departure / arrival the legs where a lost
        count (slack 2, _slack_spans) costs or pays can leave: [3 * chain] the longest limit of
        its rules measured from the departure, [+ 1] from the arrival (the first such leg L is
        within it), [+ 2] the longest limit of the feed's counted rules (each
        later such leg is within that of the leg before: they are consecutive legs, each
        getting a counted rule on one side); -1: not bounded (a counted rule with no limit, or
        one measured from an arrival, whose time a departure does not bound)."""
        g1 = self.n_groups + 1
        reach = np.full(len(self.feed_pos) * g1 * 3, -1, np.int32)
        durations: list[list[tuple[int, int]]] = [[] for _ in self.feed_pos]    # counted rules' (limit, type)
        for key, cands in enumerate(self.per_key):
            durations[key // (g1 * g1)] += [(c[4], c[5]) for c in cands if c[3] != -1]
        step = [max(d for d, _ in ds) if ds and all(d >= 0 and t in (0, 1) for d, t in ds) else -1
                for ds in durations]
        for chain in range(len(self.feed_pos) * g1):
            fi = chain // g1
            for which in (0, 1):
                if (chain, which) in self.lost_count and step[fi] >= 0:
                    cands = [c for b in range(g1) for c in self.per_key[chain * g1 + b]]
                    reach[3 * chain + which] = max(c[4] for c in cands if c[4] >= 0 and
                                                   (c[5] in (0, 1)) == (which == 0))
            reach[3 * chain + 2] = step[fi]
        return reach

    def _counted_rules(self) -> list:
        """Per feed, the transfer rules with a transfer_count as (to group, type, amount, the
        (type, amount) of the rules after it in its list, None for no rule): what a label one
        count behind may get where the other gets the next of the list; None when one of them
        (or one after it) is a type 2 rule, whose price depends on the refund."""
        g1 = self.n_groups + 1
        out: list = [[] for _ in self.feed_pos]
        for key, cands in enumerate(self.per_key):
            fi = key // (g1 * g1)
            for p, c in enumerate(cands):
                if c[3] == -1 or out[fi] is None:
                    continue
                after = [(d[6], d[1]) for d in cands[p + 1:]] + [None]
                if c[6] == 2 or any(a is not None and a[0] == 2 for a in after):
                    out[fi] = None
                else:
                    out[fi].append((key % g1 - 1, c[6], c[1], after))
        return out

    def _slack_spans(self, bounds: np.ndarray, dep_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the keys whose slack is 2 (_slack_safe), per interval of the day i0: the time up to
        which (exclusive) the comparison of last-leg times by order stays sound, for journeys
        whose next legs all leave in [a time of interval i0, that time): int32 [chain * n + i0]
        (n intervals; -2^31: not even within i0). Why it is sound there: a label a whose last
        leg has more time left gets the time-limited rule at the next leg L where b starts a new
        sub-journey, saving gain(L) >= 0 (checked in _slack_safe); b is then one count behind,
        and with counts capped at 1 the difference lives on only through consecutive legs where
        one of them gets a counted rule c and the other the next rule of c's list or none
        (types 0 and 1 only: a saving s(M) that does not depend on refunds). Those events
        alternate, a losing s(M1), gaining s(N1), losing s(M2), ... in time order. a stays no
        dearer, before and after refunds, if every gain(L) >= every later s(M), s is one value
        per interval and never rises with time (each s(N) pays the next s(M)), and the savings
        s2 after refunds are >= 0 and <= min(gains, s). Prices per interval: the priced leg
        rules of the group whose departure timeframe matches there (a superset of the legs').
        "v2" (Strasbourg, generated): a tram's free transfer saves the tram price, 1.70
        off-peak, 2.30 at peak: comparisons are sound within one period or from peak into
        off-peak, not across 07:00 or 16:30."""
        g1 = self.n_groups + 1
        n = len(bounds) + 1
        n_chain = len(self.feed_pos) * g1
        spans = (np.full(n_chain * n, -(1 << 31), np.int32), np.full(n_chain * n, -(1 << 31), np.int32))
        if not self.lost_count:
            return spans
        rows = self._unpack(dep_bits)            # [interval, rule]: its departure timeframe matches
        fpos = np.array([self.feed_pos[int(fd)] for fd in self.rule_feed], np.int64)
        priced = self.rule_priced == 1
        memo: dict[tuple[int, int, int], list[int]] = {}

        def prices(i: int, fi: int, group: int) -> list[int]:
            k = (i, fi, group)
            if k not in memo:
                m = rows[i] & priced & (fpos == fi) & (self.rule_group == group)
                memo[k] = sorted(set(self.rule_amount[m].tolist()))
            return memo[k]

        def out(rule, p):                   # (price added, refundable afterwards) of a type 0/1 rule or none
            if rule is None:
                return p, p
            return (rule[1], 0) if rule[0] == 0 else (p + rule[1], p)

        inf = 1 << 40
        for (chain, which), rules in self.lost_count.items():
            fi = chain // g1
            gain = [min([inf] + [p - ab if ttype == 0 else -ab for to, ttype, ab in rules for p in prices(i, fi, to)])
                    for i in range(n)]
            s1, s2 = [], []
            for i in range(n):
                v1, v2 = set(), set()
                for to, ttype, ab, after in self.counted_rules[fi]:
                    for p in prices(i, fi, to):
                        oc, rc = out((ttype, ab), p)
                        for f in after:
                            of, rf = out(f, p)
                            v1.add(of - oc)
                            v2.add((of - rf) - (oc - rc))
                s1.append(v1)
                s2.append(v2)
            span = spans[which]
            for i0 in range(n):
                lo_gain = lo_s1 = lo_s2 = inf
                hi_s2 = -inf
                end = None
                for j in range(i0, n):
                    if len(s1[j]) > 1 or (s1[j] and max(s1[j]) > min(lo_s1, lo_gain, gain[j])):
                        end = j
                        break
                    lo_gain = min(lo_gain, gain[j])
                    lo_s1 = min([lo_s1, *s1[j]])
                    lo_s2 = min([lo_s2, *s2[j]])
                    hi_s2 = max([hi_s2, *s2[j]])
                    if lo_s2 < 0 or hi_s2 > min(lo_gain, lo_s1):
                        end = j
                        break
                if end is None:
                    span[chain * n + i0] = (1 << 31) - 1
                elif end > i0:
                    span[chain * n + i0] = bounds[end - 1]
        return spans

    def _potential_tables(self) -> dict | None:
        """The fare potentials' tables, or None when some ride could add less than nothing (a
        discount bigger than a product): potentials need contributions >= 0. The potentials
        ignore times and counts, so they read merged rules (_merge_potential_rules): fewer
        rules, the same potentials."""
        contrib = self._contributions()
        if (contrib < 0).any():
            return None
        group, pattern_m, from_m, to_m, contrib = _merge_potential_rules(
            *self._unshadowed(*self._rule_matrices(), np.minimum(contrib, 1 << 30)))
        words = max(1, -(-len(group) // 64))

        def pack(m):
            padded = np.zeros((m.shape[0], words * 64), np.uint8)
            padded[:, :m.shape[1]] = m
            return np.packbits(padded, axis=1, bitorder="little").view(np.uint64).ravel()
        offsets = np.concatenate([[0], np.cumsum(pattern_m.sum(axis=1))])
        i32 = lambda a: np.ascontiguousarray(a, np.int32)     # noqa: E731
        return {"class_rule_offsets": i32(offsets), "class_rules": i32(np.nonzero(pattern_m)[1]),
                "contrib": i32(contrib.ravel()), "pot_group": i32(group), "pot_words": words,
                "pot_from_bits": pack(from_m), "pot_to_bits": pack(to_m)}

    def _unshadowed(self, pattern_m: np.ndarray, from_m: np.ndarray, to_m: np.ndarray,
                    contrib: np.ndarray) -> tuple[np.ndarray, ...]:
        """The rules as pieces where each can price a ride: with rule_priority the matching rules
        of the highest priority win (engine/fares/v2.py match_leg), so a rule never prices the
        rides that a rule of a higher priority with no timeframe matches, priced or not. Each
        rule's pattern classes x boarding x alighting stop classes, less each such rule's, as
        disjoint products of the three (columns: group, [pattern class, piece], [stop class,
        piece] twice, [last-leg class, piece]). Why: without it the potentials priced rides that
        only an unpriced rule matches (Strasbourg generated "v2-priority": adults' suburban
        buses, youth-only night_owl), so a search whose journeys all have unknown fares kept
        every label that might still find a price (up to 757 k labels, 5.8 s)."""
        f = self.fares
        n = len(self.rules)
        priority = [max(int(f.leg_priority[r]), 0) for r in self.rules]
        # (per feed, the untimed rules: only they shadow; none of a higher priority, nothing to do)
        shadows: dict[int, list[int]] = {}
        for w in range(n):
            if int(f.leg_from_timeframe[self.rules[w]]) < 0 and int(f.leg_to_timeframe[self.rules[w]]) < 0:
                shadows.setdefault(int(self.rule_feed[w]), []).append(w)
        for rules in shadows.values():
            rules.sort(key=lambda w: -priority[w])          # (highest first: stop at r's own)
        every_pattern = self._unpack(self.pattern_bits)        # (unpriced rules too: they win as well)
        columns = []
        for r in range(n):
            pieces = [(pattern_m[:, r], from_m[:, r], to_m[:, r])]
            for w in shadows.get(int(self.rule_feed[r]), ()):
                if priority[w] <= priority[r] or not pieces:
                    break
                pw, fw, tw = every_pattern[:, w], from_m[:, w], to_m[:, w]
                pieces = [piece for p, fr, to in pieces
                          for piece in ((p & ~pw, fr, to), (p & pw, fr & ~fw, to), (p & pw, fr & fw, to & ~tw))
                          if all(x.any() for x in piece)]
            columns += [(r, *piece) for piece in pieces]
        if not columns:
            return (np.zeros(0, np.int32), np.zeros((pattern_m.shape[0], 0), bool),
                    np.zeros((from_m.shape[0], 0), bool), np.zeros((to_m.shape[0], 0), bool),
                    np.zeros((contrib.shape[0], 0), contrib.dtype))
        rules = [c[0] for c in columns]
        return (np.asarray(self.rule_group)[rules], np.stack([c[1] for c in columns], axis=1),
                np.stack([c[2] for c in columns], axis=1), np.stack([c[3] for c in columns], axis=1),
                contrib[:, rules])

    def _contributions(self) -> np.ndarray:
        """[last-leg class, rule]: the least a ride priced by the rule adds after such a last leg
        (its product, or what a transfer rule from that leg's group makes it cost)."""
        g1 = self.n_groups + 1
        dearest = self._dearest_by_chain()
        rule_fpos = [self.feed_pos[int(f)] for f in self.rule_feed]
        contrib = np.zeros((1 + len(self.feed_pos) * g1, len(self.rules)), np.int64)
        for r in range(len(self.rules)):
            amt, b = int(self.rule_amount[r]), int(self.rule_group[r])
            contrib[:, r] = amt
            for a in range(-1, g1 - 1):
                chain = rule_fpos[r] * g1 + a + 1
                for item in self.per_key[chain * g1 + b + 1]:
                    price, ttype = item[1], item[6]
                    contrib[1 + chain, r] = min(contrib[1 + chain, r],
                                                (price, amt + price, price - int(dearest[chain]))[ttype])
        return contrib

    def _dearest_by_chain(self) -> np.ndarray:
        """[chain key (feed, group)]: the dearest product a leg of that group can have, the most a
        type-2 transfer from it can refund (a label's refund is its last leg's product), 0 when
        none is priced. Why per group: "v2" for youths refunds a tram (1.20 at most) on the
        tram -> bus combo (1.50), and the dearest product of all (the suburban bus, 2.60) made
        that transfer look like it paid 1.10 back, so the fare potentials and the label floors
        were off for every youth query (p50 0.42 s, max 6.7 s)."""
        g1 = self.n_groups + 1
        out = np.zeros(len(self.feed_pos) * g1, np.int64)
        for r in range(len(self.rules)):
            if self.rule_priced[r]:
                chain = self.feed_pos[int(self.rule_feed[r])] * g1 + int(self.rule_group[r]) + 1
                out[chain] = max(out[chain], int(self.rule_amount[r]))
        return out

    def _rule_matrices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bit sets as booleans: [pattern class, rule] (priced rules only), [stop class,
        rule] for boarding and for alighting."""
        unpack = self._unpack
        return unpack(self.pattern_bits) & (self.rule_priced == 1), unpack(self.from_bits), unpack(self.to_bits)

    def _unpack(self, bits: np.ndarray) -> np.ndarray:
        """Rows of ``words`` uint64 (a bit set over the rules each) -> [row, rule] booleans."""
        rows = len(bits) // self.words
        return np.unpackbits(np.asarray(bits, np.uint64).reshape(rows, self.words).view(np.uint8), axis=1,
                             bitorder="little")[:, :len(self.rules)].astype(bool)

    def _leg_floor(self) -> int:
        """The least one ride adds to a fare: its product (no transfer, or type 1 with the
        transfer's), the transfer's product alone (type 0), or the transfer's minus the dearest
        product it can refund, that of a leg of its from group (type 2: _dearest_by_chain)."""
        priced = self.rule_amount[self.rule_priced == 1]
        if not len(priced):
            return 0
        cheapest = int(priced.min())
        dearest = self._dearest_by_chain()
        g1 = self.n_groups + 1
        floor = cheapest
        for key, cands in enumerate(self.per_key):
            for item in cands:
                price, ttype = item[1], item[6]
                floor = min(floor, price if ttype == 0 else cheapest + price if ttype == 1 else
                            price - int(dearest[key // g1]))
        return min(floor, 0)

    # ------------------------------------------------------------------ one day
    def model(self, date: dt.date, tz: ZoneInfo | None) -> FareModelV2:
        """The FareModelV2 of queries on ``date`` (timeframes of its services, in local time).
        Dates with the same signature (_day_signature: clock and timeframes in force on the
        days around) share one model: the first query of a new date costs a lookup, not a
        build (Strasbourg, generated v2-simple: 1.7 ms -> ~0.13 ms; 63 of 100 random queries were
        the first of their date)."""
        key = (date, tz)
        model = self._days.get(key)
        if model is None:
            if len(self._days) >= self.MAX_DAYS:
                self._days.clear()
            signature = self._day_signature(date, tz)
            model = self._by_signature.get(signature)
            if model is None:
                if len(self._by_signature) >= self.MAX_DAYS:
                    self._by_signature.clear()
                model = self._by_signature[signature] = self._build_model(date, tz)
            self._days[key] = model
        return model

    def _build_model(self, date: dt.date, tz: ZoneInfo | None) -> FareModelV2:
        bounds, dep_bits, arr_bits = self._timeframes(date, tz)
        i32 = lambda a: np.ascontiguousarray(a, np.int32)     # noqa: E731
        span_dep, span_arr = self._slack_spans(bounds, dep_bits)
        return FareModelV2(
            words=self.words, n_groups=self.n_groups, rule_amount=self.rule_amount, rule_group=self.rule_group,
            rule_priced=self.rule_priced, pattern_class=self.pattern_class, pattern_feed=self.pattern_feed,
            pattern_bits=self.pattern_bits, stop_class=self.stop_class, from_bits=self.from_bits,
            to_bits=self.to_bits, time_bounds=i32(bounds), dep_bits=dep_bits, arr_bits=arr_bits,
            tr_offsets=self.tr_offsets, tr_count=self.tr_count, tr_duration=self.tr_duration,
            tr_dtype=self.tr_dtype, tr_type=self.tr_type, tr_amount=self.tr_amount,
            chain_open=self.chain_open, chain_untimed=self.chain_untimed, chain_dep_window=i32(self.chain_dep),
            chain_arr_window=i32(self.chain_arr), chain_dep_min=i32(self.chain_dep_min),
            chain_arr_min=i32(self.chain_arr_min), count_cap=self.count_cap, uses_dep=self.uses_dep,
            uses_arr=self.uses_arr, timed=self.timed, has_type2=self.has_type2,
            slack_dep=self.slack_dep, slack_arr=self.slack_arr, span_dep=span_dep, span_arr=span_arr,
            slack_reach=self.slack_reach, count_canon=self.count_canon, count_width=self.count_width,
            refund_used=self.refund_used,
            leg_floor=self.leg_floor, fresh_floor=self.fresh_floor, **(self.potential or {}))

    def _day_signature(self, date: dt.date, tz: ZoneInfo | None) -> tuple:
        """What _timeframes(date, tz) depends on, relative to ``date``: the UTC offsets where
        _clock_changes' window starts and at the start of its query axis, the clock changes near
        it (when, and the offset after), and the class of timeframe windows (_day_class) of
        each day its intervals can fall on."""
        origin = _noon(date, tz) - dt.timedelta(hours=12)
        changes = self._clock_changes(tz, origin, len(DAYS_AROUND) + 1)
        before = origin - dt.timedelta(days=2)
        clock = () if tz is None else (
            before.astimezone(tz).utcoffset(), origin.astimezone(tz).utcoffset(),
            tuple((c, (origin + dt.timedelta(seconds=c)).astimezone(tz).utcoffset()) for c in changes))
        day0 = (date - self.tt.period_start).days
        return clock, tuple(self._day_class(day0 + d) for d in SIGNATURE_DAYS)

    def _day_class(self, day: int) -> int:
        """Timetable days with the same timeframe windows (_windows) of every group have the
        same class (-1 outside the timetable's days: no service runs)."""
        if self._day_classes is None:
            classes: dict[tuple, int] = {}
            groups = sorted(self._group_rows_table())
            self._day_classes = np.array(
                [classes.setdefault(tuple(self._windows(g, d) for g in groups), len(classes))
                 for d in range(self.tt.n_days)], np.int32)
        return int(self._day_classes[day]) if 0 <= day < len(self._day_classes) else -1

    def _timeframes(self, date: dt.date, tz: ZoneInfo | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Times of the query axis (seconds since noon minus 12 h of ``date``) where some rule's
        timeframe may start or stop matching: every timeframe start/end and local midnight on
        the days around ``date``, and the clock changes. Between two of them, the local day and
        the timeframes in force are the same: each interval gets the rules its times match.
        The clock changes come from a per-year table, each (timeframe group, day) from its
        windows, computed once."""
        f, tt = self.fares, self.tt
        clock_s = sorted({0, *np.asarray(f.timeframe_start_s).tolist(), *np.asarray(f.timeframe_end_s).tolist()})
        origin = _noon(date, tz) - dt.timedelta(hours=12)
        bounds = set()
        for d in DAYS_AROUND:
            midnight = dt.datetime.combine(date + dt.timedelta(days=d), dt.time(0))
            for s in clock_s:
                wall = midnight + dt.timedelta(seconds=int(s))
                instant = wall.replace(tzinfo=tz).astimezone(UTC) if tz is not None else wall.replace(tzinfo=UTC)
                bounds.add(int((instant - origin).total_seconds()))
        bounds.update(self._clock_changes(tz, origin, len(DAYS_AROUND) + 1))
        bounds = np.array(sorted(bounds), np.int64)
        rule_ftf = [int(f.leg_from_timeframe[r]) for r in self.rules]
        rule_ttf = [int(f.leg_to_timeframe[r]) for r in self.rules]
        dep_rows, arr_rows = [], []
        for i in range(len(bounds) + 1):
            at = int(bounds[0]) - 1 if i == 0 else int(bounds[i - 1])
            local = local_datetime(date, at, tz)
            day = (local.date() - tt.period_start).days
            tod = local.hour * 3600 + local.minute * 60 + local.second
            memo: dict[int, bool] = {}

            def ok(group: int) -> bool:
                if group < 0:
                    return True
                if group not in memo:
                    memo[group] = any(start <= tod < end for start, end in self._windows(group, day))
                return memo[group]

            dep_rows.append([ok(g) for g in rule_ftf])
            arr_rows.append([ok(g) for g in rule_ttf])
        return (np.clip(bounds, -(1 << 31), (1 << 31) - 1), self._bits(np.array(dep_rows, bool)).ravel(),
                self._bits(np.array(arr_rows, bool)).ravel())

    def _windows(self, group: int, day: int) -> tuple[tuple[int, int], ...]:
        """The distinct (start, end) local times of ``group``'s timeframes.txt rows whose service
        runs on timetable day ``day`` (FaresV2.in_timeframe: a time matches when it falls in
        one). Computed once per (group, day)."""
        key = (group, day)
        windows = self._window_memo.get(key)
        if windows is None:
            start, end, service = self._group_rows_table().get(group, (np.zeros(0, np.int64),) * 3)
            if 0 <= day < self.tt.n_days:
                bits = self.tt._service_bits
                runs = ((bits[service, day >> 3] >> (day & 7)) & 1).astype(bool)
            else:
                runs = np.zeros(len(service), bool)
            windows = self._window_memo[key] = tuple(sorted(set(zip(start[runs].tolist(), end[runs].tolist()))))
        return windows

    def _group_rows_table(self) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """timeframe group -> (start_s, end_s, service) of its timeframes.txt rows."""
        if self._group_rows is None:
            f = self.fares
            groups = np.asarray(f.timeframe_group)
            self._group_rows = {int(g): (np.asarray(f.timeframe_start_s)[groups == g].astype(np.int64),
                                         np.asarray(f.timeframe_end_s)[groups == g].astype(np.int64),
                                         np.asarray(f.timeframe_service)[groups == g].astype(np.int64))
                                for g in np.unique(groups).tolist()}
        return self._group_rows

    def _clock_changes(self, tz: ZoneInfo | None, origin: dt.datetime, days: int) -> list[int]:
        """Seconds after ``origin`` where ``tz`` changes its UTC offset, in the window
        _clock_changes scans (from 2 days before ``origin``, ``days`` + 3 days long): read from
        the year's table (computed once per year) when the window lies within it."""
        if tz is None:
            return []
        start = origin - dt.timedelta(days=2)
        end = start + dt.timedelta(days=days + 3)
        year = origin.year
        lo = dt.datetime(year, 1, 1, tzinfo=UTC) - dt.timedelta(days=YEAR_MARGIN_DAYS)
        hi = dt.datetime(year + 1, 1, 1, tzinfo=UTC) + dt.timedelta(days=YEAR_MARGIN_DAYS)
        if not (lo <= start and end <= hi):
            return _clock_changes(tz, origin, days)
        key = (tz, year)
        changes = self._year_changes.get(key)
        if changes is None:
            anchor = lo + dt.timedelta(days=2)        # _clock_changes scans (lo, hi] from it
            changes = self._year_changes[key] = [anchor + dt.timedelta(seconds=s)
                                                 for s in _clock_changes(tz, anchor, (hi - lo).days - 3)]
        return [int((t - origin).total_seconds()) for t in changes if start < t <= end]


def _merge_potential_rules(group: np.ndarray, pattern_m: np.ndarray, from_m: np.ndarray, to_m: np.ndarray,
                           contrib: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rules as the fare potentials see them (rule r: its leg group, the pattern classes and the
    boarding / alighting stop classes it may match, its contributions per last-leg class),
    merged where the potentials cannot tell them apart: same group, patterns and stops -> the
    least contribution of each class (peak and off-peak products: times are ignored); then
    same group, patterns, contributions and boarding stops -> alighting stops of either (and
    the same the other way round). A ride matches a merged rule exactly when it matches one of
    its rules, at the least of their contributions: the potentials are unchanged, with fewer
    rules to try (Strasbourg, generated v2-simple: 6 -> 3). Rules no pattern matches are dropped."""
    rules = [(int(group[r]), pattern_m[:, r], from_m[:, r], to_m[:, r], contrib[:, r])
             for r in np.flatnonzero(pattern_m.any(axis=0))]

    def merge(rules, key, combine):
        out: dict[tuple, list] = {}
        for rule in rules:
            k = key(rule)
            out[k] = combine(out[k], rule) if k in out else list(rule)
        return list(out.values())

    def b(a):
        return a.tobytes()
    rules = merge(rules, lambda x: (x[0], b(x[1]), b(x[2]), b(x[3])),
                  lambda m, x: m[:4] + [np.minimum(m[4], x[4])])
    rules = merge(rules, lambda x: (x[0], b(x[1]), b(x[2]), b(x[4])), lambda m, x: m[:3] + [m[3] | x[3], m[4]])
    rules = merge(rules, lambda x: (x[0], b(x[1]), b(x[3]), b(x[4])), lambda m, x: m[:2] + [m[2] | x[2]] + m[3:])
    if not rules:
        return (np.zeros(0, np.int32), np.zeros((pattern_m.shape[0], 0), bool), np.zeros((from_m.shape[0], 0), bool),
                np.zeros((to_m.shape[0], 0), bool), np.zeros((contrib.shape[0], 0), np.int64))
    return (np.array([x[0] for x in rules], np.int32), np.stack([x[1] for x in rules], axis=1),
            np.stack([x[2] for x in rules], axis=1), np.stack([x[3] for x in rules], axis=1),
            np.stack([x[4] for x in rules], axis=1))


def _noon(date: dt.date, tz: ZoneInfo | None) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(12), tzinfo=tz or UTC).astimezone(UTC)


def _clock_changes(tz: ZoneInfo | None, origin: dt.datetime, days: int) -> list[int]:
    """Seconds after ``origin`` where ``tz`` changes its UTC offset, within (origin - 2 days,
    origin + days + 1 days]: a scan day by day, then hour by hour in a day where the offset
    moved, each change found to the second. A zone that changed its offset and back within a day
    would be missed: in the tz database, 2000-2040, two changes of one zone are 7 days apart at
    least (America/Boa_Vista, America/Noronha; checked over every zone against an hourly scan).
    The hourly scan of a year was half of the first fare query of a process (29 ms of 61)."""
    if tz is None:
        return []
    out = []
    start = origin - dt.timedelta(days=2)

    def offset(s: int):
        return (start + dt.timedelta(seconds=s)).astimezone(tz).utcoffset()

    hour, day = 3600, 24 * 3600
    before = offset(0)
    for c in range(days + 3):
        after = offset((c + 1) * day)
        if after != before:
            last = before                          # (each hour's end is the next one's start)
            for h in range(c * 24, c * 24 + 24):
                lo, hi = h * hour, (h + 1) * hour
                now = offset(hi)
                if now != last:
                    while hi - lo > 1:             # the first second of the new offset
                        mid = (lo + hi) // 2
                        lo, hi = (mid, hi) if offset(mid) == last else (lo, mid)
                    out.append(int((start + dt.timedelta(seconds=hi) - origin).total_seconds()))
                last = now
        before = after
    return out
