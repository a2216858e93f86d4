"""plan() with a third criterion: McRAPTOR (engine._mcraptor) for the exact Pareto set over
arrival x vehicles x walking seconds or x fare, turned into itineraries like the two-criteria
planner's.

Fare = the GTFS fares price of the journey's rides, as itineraries are priced: v2 when the
bundle has fares v2 (engine/fares/v2.py), else v1 (engine/fares/v1.py: the cheapest cut of the
rides into tickets); a journey without a price has an unknown fare, worse than any price (it
stays in the set only when it is faster or has fewer vehicles); walking is free. Currency minor
units (USD cents) are compared; ``stats["fare_minor"]`` gives each itinerary's.

Walking seconds = every footpath between stops (including one from the origin stop / to the
destination stop when those are allowed) plus, at a (lat, lon) end with ``mode="walk"``, the
street access / egress. Waiting and same-stop change times are not walking. Between two points,
the street-only direct journey (0 vehicles, all walking when ``mode="walk"``) competes in the
same Pareto set. Departure-time searches (arrive-by and ranges are made of them:
engine/criteria/arrive_by.py, range.py), on the schedule or, with ``request.overlay``, on the
schedule plus the real-time overlay (engine/criteria/realtime.py). With ``max_duration_s``, the Pareto
set of the journeys arriving by then: the search drops labels that cannot (time lower bounds),
which bounds how far later in the day cheaper journeys are looked for.
"""
from __future__ import annotations

import dataclasses
import functools
import threading
import time

import numpy as np

from .._mcraptor import (KINDS, FareModel, McView, McWorkspace, fare_floors, live_patterns, run_mcraptor, stage_for,
                         target_journeys, v2_journey_fare)
from .._types import MAX_ROUNDS, SECONDS_PER_DAY
from ..errors import InvalidQueryError, QueryTimeoutError
from ..raptor.boarding import Access, board_later, later_trips
from ..raptor.journey import Plan
from ..raptor.legs import NOT_PRICED
from ..raptor.planner import Planner
from ..raptor.reconstruct import RawLeg
from ..raptor.request import PlanRequest, hms
from ..timetable.model import KERNEL_ARRAYS, kernel_arrays
from .bounds import stage_arrays

TWO_CRITERIA = ("arrival", "transfers")
WALKING = ("arrival", "transfers", "walking")
FARE = ("arrival", "transfers", "fare")
CRITERIA = {TWO_CRITERIA, WALKING, FARE}
FARE_UNKNOWN = KINDS["FARE_UNKNOWN"]
KIND_ORIGIN, KIND_VEHICLE, KIND_WALK = KINDS["ORIGIN"], KINDS["VEHICLE"], KINDS["WALK"]
NO_IDX = KINDS["NO_IDX"]
ROUTE_FULL = KINDS["ROUTE_FULL"]
OUT_OF_TIME = KINDS["OUT_OF_TIME"]
NO_HORIZON = 2_000_000_000 - 1     # run_mcraptor's horizon when the query sets no max_duration_s
#: Fares v2: the fare criterion finds the journeys arriving within 25 min of the earliest arrival
#: (the two-criteria run's; FIRST_PASS_AFTER_EARLIEST_S) first, then within 1 h and 2 h of the
#: start (PASS_HORIZONS_S), then all (_by_horizons): each pass exact and bounded (the time bound
#: drops the rest), the cheap journeys that leave later then only followed while they can beat
#: the ones in hand. Strasbourg, generated, 100 queries, p50: one pass of 2 h then all: v2-simple
#: 17.0 -> 11.7 ms, v2 289 -> 163 ms; with ARRIVED_AT_ONCE, 1 h and 2 h then all against 2 h then
#: all: v2-simple 2.95-3.29 -> 2.88-2.98 ms, v2 11.3-11.4 -> 9.7-10.2 ms. Not for v1, whose
#: bounds leave little to gain (3.3 -> 6.0 ms with one pass of 2 h: it costs more).
PASS_HORIZONS_S = (3600, 7200)
#: Fares v2, a query's own search (not a range's minutes, whose passes keep their labels slot by
#: slot for the next minute: there, passes counted from the earliest arrival took the "v2" 1 h
#: ranges' p90 0.18 -> 0.56 s): a first pass this long after the earliest known arrival. Why: a
#: pass 1 h after the start is no bound for a journey of 50 min; the first one now holds the
#: fast journeys whatever their length. 2026-12-07,
#: Strasbourg generated, 100 queries, three sweeps each in one process, the benchmark's protocol:
#: "v2" fare p50 2.52-2.95 -> 2.20-2.35 ms (x 3.82-4.56 -> x 3.36-3.57), "v2-simple" x 2.92-3.20
#: -> x 2.81-2.91, "v2-priority" unchanged (x 1.37-1.49 -> x 1.38-1.46); the same answers (a pass
#: waits for a cheaper vehicle as long as the query does, McPlanner.run ``wait_limit``, so no
#: horizon changes an answer). Both from the earliest arrival (25 / 90 min) gained as much but
#: "v2-priority"'s p90 went 4.8 -> 7.9 ms. None: no such pass (tests).
FIRST_PASS_AFTER_EARLIEST_S: int | None = 1500
#: Fares v2: of two pass horizons less than this apart, only the later makes a pass (the first
#: pass 25 min after the earliest arrival often falls a few minutes before or after the start's
#: 1 h or 2 h). Why: a pass costs a search, and one that bounds a few minutes less than the next
#: spares it little. 2026-12-07, Strasbourg generated "v2", 100 queries, passes a query 2.28 ->
#: 1.92, in the benchmark's order (three rounds, per-query medians), processes alternated: x 3.30,
#: 3.23, 3.30 -> x 3.16, 3.03, 3.14; "v2-simple" x 2.46, 2.42 -> x 2.33, 2.37; "v2" within 2 h
#: x 2.78, 2.64 -> x 2.70, 2.61; 15 and 30 min measured too (x 3.12-3.14, x 3.21-3.45). Both
#: settings in one process, alternated per query: fare p50 x 0.95 / 0.92 / 0.99 on three query
#: sets, mean unchanged; the 40 middle queries' total x 1.00-1.02, their instructions x 1.04 (the
#: first pass, bounded later, holds more labels): a gain at the median only. The same answers
#: (each pass is exact).
MIN_PASS_GAP_S = 1200
#: Fares v2, passes after the first: the journeys found enter as known ones arriving at this
#: time (before any journey can). Every Pareto journey arriving within the last horizon is
#: already in hand; a later one must beat each of those on vehicles or fare alone, since they
#: arrive earlier: so the pass drops any label that cannot, whatever its time (Strasbourg,
#: generated v2-simple, middle half of 100 queries: second-pass labels 2.9 k -> 1.4 k, 1.2 ->
#: 0.45 ms).
ARRIVED_AT_ONCE = -(1 << 30)
#: Fares v2 whose prices depend on times: besides the first vehicle, a boarding also takes the
#: first vehicle after each time where that ride's price may change (another fare period, the
#: end of a transfer rule's limit), when it leaves by the query's latest arrival or, without
#: one, within this long of the start (run_mcraptor ``wait_until``). The references wait the
#: same way (tests/reference/fare_reference.py v2_waiting).
FARE_WAIT_S = 2 * 3600
#: QueryTimeoutError's message (McPlanner.run, McQuery.journeys)
TIMEOUT_MESSAGE = ("optimize: the search ran past its time budget (fewer max_transfers, a max_duration_s, or a "
                   "shorter max_window_s / window_s narrow it)")
MAX_CAPACITY = 1 << 22      # ~470 MB of labels per thread: beyond, the query is refused
#: Boardings kept on one pattern scan (fares v2: riders boarded at different stops stay apart):
#: 8,192 at first, grown 8-fold (a rerun each time) up to this (~13 MB per thread), then refused.
#: Strasbourg, generated "v2": 8 of 100 queries overflowed 8,192; with the growth all are
#: answered, in 0.8-10 s.
MAX_ROUTE_CAPACITY = 1 << 17


class LabelsLost(Exception):
    """A run that kept the labels of earlier runs (a range's, ``keep=True``) filled the pool: the
    workspace was grown, empty, and the range must run all its minutes again."""


def check_optimize(optimize) -> tuple[str, ...]:
    """The criteria tuple, or InvalidQueryError naming ``optimize``."""
    value = tuple(optimize) if isinstance(optimize, (tuple, list)) else None
    if value is not None and not all(isinstance(c, str) for c in value):
        value = None        # e.g. [["walking"]]: unhashable, never a criteria tuple
    if value is None or value not in CRITERIA:
        raise InvalidQueryError('optimize must be ("arrival", "transfers"), ("arrival", "transfers", "walking") '
                                'or ("arrival", "transfers", "fare")', "optimize")
    return value


class McPlanner:
    """McRAPTOR queries on one (possibly filtered) timetable, with per-thread workspaces."""

    #: fare labels compare their time limits (transfer windows, transfer_duration) only up to
    #: the latest arrival that can still matter (run_mcraptor bound_states); False: always
    #: (same answers, more labels: tests compare the two)
    bound_states = True
    #: fares v1: an open ticket's floor counts only the fares that admit a route whose patterns
    #: reach a stop where the journey may end (run_mcraptor end_routes); False: every fare (same
    #: answers, more labels: tests compare the two)
    end_routes = True
    #: fares v2: a boarding that a rider of the same vehicle boarded upstream covers is dropped
    #: (run_mcraptor upstream_riders); False: never (same answers, more rides priced: tests
    #: compare the two)
    upstream_riders = True

    def __init__(self, planner: Planner, tt=None, static: McPlanner | None = None):
        """``tt``: a RealtimeTimetable (engine/criteria/realtime.py: the schedule plus an overlay
        for one day; ``static``: the schedule's McPlanner, whose fastest hops and fare model it
        extends), else the planner's timetable."""
        self.planner = planner
        self.static = static
        tt = self.tt = planner.tt if tt is None else tt
        realtime = hasattr(tt, "mc_view_extra")
        self.overlay = tt.overlay if realtime else None
        self.n_static = tt.n_static if realtime else tt.n_patterns
        # (also the footpaths reversed, for _end_stops)
        self._stage = stage_arrays(tt, tt.hop_min(static._stage["hop_min"]) if realtime else None)
        self.view = McView(**kernel_arrays(tt, tuple(n for n in KERNEL_ARRAYS if n != "trip_service")),
                           **self._stage, **(tt.mc_view_extra() if realtime else {}))
        self._local = threading.local()
        self._fare_models: dict = {}        # (rider category, fare medium) -> its fare model
        self._fare_amounts: dict = {}       # (rider category, fare medium) -> its largest amount (minor units)
        self._live: dict = {}               # day -> live_patterns (the last few days asked)

    def fare_model(self, date, tz, rider: str | None = None, medium: str | None = None, max_rounds: int = MAX_ROUNDS):
        """The fare criterion's model for queries of ``max_rounds`` rides on ``date`` (built on
        the first fare query; an InvalidQueryError naming ``optimize`` when its amounts are too
        large for sums of that many rides, engine/fares/kernel_model.py check_query_amounts):
        fares v2 when the bundle has them (as itineraries are priced: v2 wins), for rider
        category ``rider`` paying with fare medium ``medium`` (None: the default rider, the
        cheapest medium; one model per pair), else v1 (a rider category's prices from GTFS+
        fare_rider_categories.txt; no medium: the API refuses one); an
        InvalidQueryError naming ``optimize`` when it has none, or feeds of both versions."""
        from ..fares.kernel_model import check_query_amounts, largest_amount

        models, key = self._fare_models, (rider, medium)
        if key not in models:
            from ..fares import load_v1, load_v2

            bundle = self.tt.bundle
            v1, v2 = load_v1(bundle), load_v2(bundle, rider, medium)
            if v2 is not None and self.static is not None:
                # (a real-time timetable: the schedule's model, with the overlay patterns' classes)
                self.static.fare_model(date, tz, rider, medium)
                models[key] = self.static._fare_models[key].for_patterns(self.tt)
                self._fare_amounts[key] = self.static._fare_amounts[key]
            elif v2 is not None:
                from ..fares.kernel_model_v2 import FareKernelV2

                v1_feeds = set(np.unique(bundle.column("fares/attributes", "feed_idx")).tolist()) if v1 else set()
                if v1_feeds - v2.feeds:
                    raise InvalidQueryError("optimize: the fare criterion needs one fares version, and this bundle's "
                                            "feeds mix GTFS fares v1 and v2", "optimize")
                models[key] = FareKernelV2(v2, self.tt)
                self._fare_amounts[key] = models[key].max_amount
            elif v1 is not None:
                from ..fares.kernel_model import fare_model

                if medium is not None:
                    raise InvalidQueryError("fare_media: this bundle's fares (GTFS fares v1) have no fare media",
                                            "fare_media")
                if rider is not None:
                    try:
                        v1 = load_v1(bundle, rider)     # (GTFS+ fare_rider_categories.txt prices)
                    except ValueError:
                        raise InvalidQueryError(f"rider_category: this bundle's fares (GTFS fares v1) have no "
                                                f"prices for the rider category {rider!r}", "rider_category") from None
                models[key] = fare_model(v1, self.tt.pattern_route)
                self._fare_amounts[key] = largest_amount(v1.price_minor)
            else:
                raise InvalidQueryError("optimize: the fare criterion needs GTFS fares (v1 fare_attributes.txt or "
                                        "v2 fare_leg_rules.txt); this bundle has none", "optimize")
        check_query_amounts(self._fare_amounts[key], max_rounds)
        model = models[key]
        return model if isinstance(model, FareModel) else model.model(date, tz)    # v2: per service day

    def live(self, day: int) -> np.ndarray:
        """The patterns with a trip running on the service days a search on ``day`` reads
        (engine._mcraptor.live_patterns): the backward searches (stage bounds, fare
        potentials) ride only those, as the search boards only those. Kept for the last 8 days
        asked (n_patterns bytes each)."""
        live = self._live.get(day)
        if live is None:
            live = live_patterns(self.view, self.tt.next_active(day), self.tt.max_day_offset)
            with _LOCK:
                self._live[day] = live
                while len(self._live) > 8:
                    self._live.pop(next(iter(self._live)))
        return live

    def _workspace(self, capacity: int = 1 << 16, route_capacity: int = 1 << 13, slot: int = 0) -> McWorkspace:
        """The thread's workspace ``slot``: 0 for a search, and for the first pass of fares v2;
        pass i of a range's minutes keeps its labels in slot i, for the next minute's pass i
        (McQuery.journeys ``keep``)."""
        slots = getattr(self._local, "slots", None)
        if slots is None:
            slots = self._local.slots = {}
        ws = slots.get(slot)
        if ws is None or ws.capacity < capacity or ws.route_capacity < route_capacity:
            ws = slots[slot] = McWorkspace(self.tt.n_stops, self.tt.n_patterns, capacity, route_capacity)
        return ws

    def run(self, origin_stop, origin_time, origin_walk, target_stop, egress, egress_walk, day: int,
            max_rounds: int, min_change_s: int, walk_before_first: bool, walk_after_last: bool,
            fares=None, known: np.ndarray | None = None, latest: int | None = None,
            fewest: int = 0, deadline: float | None = None, keep: bool = False,
            ties_beaten: bool = False, earliest: np.ndarray | None = None, slot: int = 0,
            wait_limit: int | None = None) -> McWorkspace:
        """One McRAPTOR run (the pool grows until it holds every label); ``fares``: a FareModel
        for the fare criterion, else walking; ``known``: journeys known to exist (rows of
        arrival + egress, vehicles, third criterion), for target pruning; ``latest``: the latest
        arrival (egress included) a journey may have; ``fewest``: no journey has fewer vehicles;
        ``deadline``: time.monotonic() past which the run stops (QueryTimeoutError); ``keep``: the
        bags keep the last runs' labels (engine/criteria/range.py; run_mcraptor keep_labels), and
        a full pool raises LabelsLost once the workspace is grown. ``ties_beaten``: the ``known``
        journeys also beat journeys equal to them (else those are found again: a plain query
        rebuilds its known journeys from labels), so labels that can only match one are dropped.
        ``earliest``: [k] the earliest arrival (egress included) with at most k vehicles from this
        start (_known), so labels faster than that in bound are compared as arriving then.
        ``slot``: the workspace (_workspace). ``wait_limit``: the query's own latest arrival, when
        it has one: fares v2 wait for a cheaper vehicle up to it, else up to FARE_WAIT_S after the
        start, whatever ``latest`` a pass of it has (a vehicle that leaves after ``latest``
        cannot arrive by it anyway)."""
        ws = self._workspace(slot=slot)
        if ties_beaten and known is not None:
            # (the kernel takes known rows as arriving a second later, so that equal ones are found)
            known = np.asarray(known, np.int32) - np.array([1, 0, 0], np.int32)
        next_active = self.tt.next_active(day)
        args = [np.ascontiguousarray(a, np.int32) for a in
                (origin_stop, origin_time, origin_walk, target_stop, egress, egress_walk)]
        end_stops = self._end_stops(args[3], walk_after_last) if fares is not None and fares.version == 1 else None
        wait_until = int(args[1].min()) + FARE_WAIT_S if wait_limit is None else wait_limit
        if latest is not None:
            wait_until = min(wait_until, latest)
        while (n := run_mcraptor(self.view, ws, *args, next_active, self.tt.max_day_offset, max_rounds, min_change_s,
                                 walk_before_first, walk_after_last, fares, known,
                                 end_stops=end_stops, horizon=NO_HORIZON if latest is None else latest,
                                 min_vehicles=fewest, bound_states=self.bound_states,
                                 wait_until=wait_until,
                                 deadline=0.0 if deadline is None else deadline, keep_labels=keep,
                                 earliest=earliest, live=self.live(day), live_key=day,
                                 end_routes=self.end_routes, upstream_riders=self.upstream_riders)) < 0:
            if n == OUT_OF_TIME or (deadline is not None and time.monotonic() > deadline):
                # (checked before growing the pool too: a large one takes a while to allocate)
                raise QueryTimeoutError(TIMEOUT_MESSAGE)
            full = ws.route_capacity >= MAX_ROUTE_CAPACITY if n == ROUTE_FULL else ws.capacity >= MAX_CAPACITY
            if full:
                raise InvalidQueryError("optimize: too many Pareto labels for this query (fewer max_transfers, "
                                        "a max_duration_s, or two criteria, may answer it)", "optimize")
            ws = (self._workspace(ws.capacity, ws.route_capacity * 8, slot) if n == ROUTE_FULL else
                  self._workspace(ws.capacity * 4, ws.route_capacity, slot))
            if keep:
                raise LabelsLost()      # (a grown workspace is a new, empty one)
        return ws

    def _end_stops(self, target_stop: np.ndarray, walk_after_last: bool) -> np.ndarray:
        """The stops where a journey to the targets may leave its last vehicle: the targets and,
        when a last footpath is allowed, the stops that walk to one."""
        if not walk_after_last:
            return target_stop
        offsets, source = self._stage["rfp_offsets"], self._stage["rfp_from"]
        starts, ends = offsets[target_stop], offsets[target_stop + 1]
        walkers = [source[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
        return np.ascontiguousarray(np.unique(np.concatenate([target_stop, *walkers])), np.int32)

    def plan(self, request: PlanRequest, optimize: tuple[str, ...] = WALKING) -> Plan:
        p = self.planner
        o = p.endpoint(request.origin, request, "origin")
        d = p.endpoint(request.destination, request, "destination")
        query = McQuery(self, request, optimize, o, d, p.timezone(o))
        if request.arrive_window_s is not None:
            from .arrive_by import plan_arrive_by

            return plan_arrive_by(query)
        if request.range_s:
            from .range import plan_range

            return plan_range(query)
        start = request.time_s
        journeys, stats = query.journeys(start, request.latest_arrival_s)
        journeys = query.leave_later(journeys, start)
        found = [(arrival, k, third, query.itinerary(arrival, k, raw, start)) for arrival, k, third, raw in journeys]
        direct = p.direct(o, d, request, start, query.tz)
        if direct is not None:
            found.append((start + direct.duration_s, 0, direct.duration_s if query.walks else 0, direct))
        return query.answer(pareto(found), start, stats)

    def _by_horizons(self, run, known: np.ndarray, fewest: int, start: int, latest: int | None, o, d,
                     request: PlanRequest, fares, stats: dict, kept: set | None = None,
                     in_range: bool = False) -> list[tuple] | None:
        """Fares v2: the journeys (arrival, vehicles, fare, raw legs) by passes of growing horizon
        (pass_horizons, then none): each pass finds exactly the Pareto
        journeys arriving within its horizon that the earlier ones lack; the journeys found
        enter the next passes as known ones arriving at once (ARRIVED_AT_ONCE). Stops when the
        journeys found are the whole set (_set_complete). None when the query's own
        limit comes first (one plain run then). ``kept`` (a range: McQuery.journeys ``keep``):
        the workspace slots holding labels of the range's later minutes; pass i runs in slot i,
        keeps the labels there, and its own join them (None: every pass in slot 0, afresh).
        ``in_range``: a range's minute (pass_horizons)."""
        horizons = pass_horizons(known, start, latest, in_range)
        if not horizons:
            return None
        journeys: list[tuple] = []
        entries = known
        labels = []
        for i, horizon in enumerate([*horizons, latest]):
            if kept is None:
                ws = run(entries, horizon, fewest)
            else:
                ws = run(entries, horizon, fewest, keep=i in kept, slot=i)
                kept.add(i)
            labels.append(ws.n_labels)
            ends = self._target_labels(ws, o, d, request, False, fares)
            memo: dict = {}             # (one pass's labels: its journeys share prefixes)
            journeys += [(a, k, w, self._raw_legs(ws, label, memo)) for a, k, w, label in ends]
            if horizon == latest:
                break
            # (the known journeys are real ones: those arriving within the horizon count as found;
            # a range's, which the pass does not find again when they beat ties, must)
            within = [(a, k, w, None) for a, k, w in known.tolist() if a <= horizon]
            if _set_complete(journeys + within, fewest, fare_floors(ws)):
                break
            found = np.array([(ARRIVED_AT_ONCE, k, w) for _, k, w, _ in journeys + within], np.int32).reshape(-1, 3)
            entries = np.concatenate([known, found])
        stats.update(rounds=ws.rounds_run, labels=labels[-1], passes=len(labels))
        if len(labels) > 1:
            stats["first_pass_labels"] = sum(labels[:-1])
        return journeys

    def _known(self, o, d, request: PlanRequest, day: int, start: int, tz, built: dict,
               priced: dict, fares: FareModel | None = None) -> Known:
        """(arrival + egress, vehicles, fare) of the two-criteria Pareto journeys, for the fare
        criterion's target pruning from its first round: without them its first rounds keep
        nearly every later trip (a later start may be cheaper, its transfers still valid)
        until a journey is found. One RAPTOR run; the fares are the itineraries' (``priced``:
        by raw legs, reused for the answer). No row: no journey with a vehicle exists (RAPTOR
        finds one whenever there is one), so McRAPTOR need not run (it would search every
        later trip for nothing: Strasbourg, 1.9 M labels, 53 s). None: only a zero-vehicle
        journey, McRAPTOR runs. Also the fewest vehicles a journey has (RAPTOR's Pareto set holds
        the journey with the fewest): McRAPTOR's labels end with no fewer; and, per number of
        vehicles k, the earliest arrival with at most k (run_mcraptor ``earliest``). With fares
        v2 (``fares``) the journeys are priced as the search prices its labels (search_fare:
        their itineraries are priced once they are in the answer). The journeys
        themselves are kept (``Known.journeys``): the search drops the labels that can only tie
        one (McPlanner.run ``ties_beaten``), so they are part of the answer as RAPTOR found
        them. (Walking has no later-is-better state: there these journeys cost more than they
        save, Strasbourg 400 queries x 2.83 -> 3.50; with the earliest arrivals and ties as well,
        100 station queries x 3.3 -> 3.6.)"""
        p = self.planner
        q = p.query(o, d, request, day, start)
        # (the stage bounds McRAPTOR prunes with, computed now: RAPTOR prunes with them too)
        lower = None if request.overlay is not None else stage_for(
            self.view, self._workspace(), np.ascontiguousarray(d.stops, np.int32),
            np.ascontiguousarray(d.durations, np.int32), request.max_rounds, request.min_change_s,
            self.live(day), day)
        rows, journeys, walk_only, fewest = [], [], False, request.max_rounds
        earliest = np.full(request.max_rounds + 1, NO_HORIZON, np.int32)
        latest = request.latest_arrival_s
        for k, arrival_s, raw, _ in p.runner.pareto(q, p.runner.run(q, lower=lower)):
            earliest[k:] = np.minimum(earliest[k:], arrival_s)
            if latest is not None and arrival_s > latest:
                continue            # (the earliest arrival is among them: if it is too late, all are)
            fewest = min(fewest, k)
            if k:
                amount = self.search_fare(fares, raw, request)
                if amount is None:
                    fare = priced[tuple(raw)] = p.legs.fare(self.build_legs(raw, request.date, tz, built),
                                                            request.rider_category, request.fare_medium)
                    amount = fare.amount_minor if fare is not None and fare.known else FARE_UNKNOWN
                rows.append((arrival_s, k, amount))
                journeys.append((*rows[-1], list(raw)))
            else:
                walk_only = True
        return Known(np.array(rows, np.int32).reshape(-1, 3) if rows or not walk_only else None, fewest, earliest,
                     journeys)

    def search_fare(self, fares: FareModel | None, raw: list[RawLeg], request: PlanRequest) -> int | None:
        """The fare (minor units, FARE_UNKNOWN: none) of the journey ``raw`` as the search prices
        its labels (engine._mcraptor.v2_journey_fare), with fares v2 on the schedule; None
        otherwise (v1, whose tickets the itinerary's pricing cuts, or a real-time overlay: the
        caller prices the itinerary). Equal to the itinerary's price (the search's fares are)."""
        if fares is None or fares.version != 2 or request.overlay is not None or self.static is not None:
            return None
        trip_pattern = self._tt_views()[0]
        rides = [(trip_pattern[leg.trip_idx], leg.from_stop, leg.to_stop, leg.dep, leg.arr) for leg in raw
                 if leg.kind == "transit"]
        return v2_journey_fare(fares, np.array(rides, np.int32).reshape(-1, 5))

    def _target_labels(self, ws: McWorkspace, o, d, request: PlanRequest, walks: bool, fares=None):
        """(arrival + egress, vehicles, walking + egress walk or fare, label) of every journey
        ending at a destination stop, Pareto-filtered (labels of earlier runs a range kept are
        not this run's)."""
        latest = NO_HORIZON if request.latest_arrival_s is None else request.latest_arrival_s
        rows = target_journeys(ws, np.ascontiguousarray(d.stops, np.int32), np.ascontiguousarray(d.durations, np.int32),
                               latest, request.walk_after_last and not d.is_point, not (o.is_point or d.is_point),
                               fares, walks and d.is_point)
        return pareto([tuple(r) for r in rows.tolist()])

    def build_legs(self, raw: list[RawLeg], date, tz, built: dict) -> list:
        """``LegBuilder.build(raw)``, each leg built once per query (``built``: Pareto journeys
        share most of their legs). tests/differential/test_mcraptor_vs_reference.py checks the
        result equals build(raw)."""
        return self.planner.legs.build(raw, date, tz, self.overlay, built)

    def _raw_legs(self, ws: McWorkspace, label: int, memo: dict | None = None) -> list[RawLeg]:
        """Raw legs (travel order) of the journey ending with ``label``. ``memo`` (label -> its
        legs, one run's) reads each shared prefix of the Pareto set's journeys once. Arrays are
        read through memoryviews (a Python int per read, no numpy scalar)."""
        trip_pattern, n_trips, first_trip, st_offset, stops_offsets, pattern_stops, st_dep, rt_dep = self._tt_views()
        n_static = self.n_static
        kinds, parents, stops, arrs = (memoryview(a) for a in (ws.lab_kind_np, ws.lab_parent_np, ws.lab_stop_np,
                                                               ws.lab_arr_np))
        chain = []
        legs: list[RawLeg] = []
        while label != NO_IDX:
            known = memo.get(label) if memo is not None else None
            if known is not None:
                legs = list(known)
                break
            chain.append(label)
            label = parents[label]
        for label in reversed(chain):
            kind = kinds[label]
            if kind == KIND_VEHICLE:
                trip, day = int(ws.lab_trip_np[label]), int(ws.lab_day_np[label])
                board, alight = int(ws.lab_board_pos_np[label]), int(ws.lab_alight_pos_np[label])
                pattern = trip_pattern[trip]
                dep = (rt_dep if pattern >= n_static else st_dep)[
                    st_offset[pattern] + board * n_trips[pattern] + trip - first_trip[pattern]]
                legs.append(RawLeg("transit", pattern_stops[stops_offsets[pattern] + board], stops[label],
                                   dep + day * SECONDS_PER_DAY, arrs[label], trip, day, board, alight))
            elif kind == KIND_WALK:
                parent = parents[label]
                legs.append(RawLeg("walk", stops[parent], stops[label], arrs[parent], arrs[label]))
            if memo is not None:
                memo[label] = tuple(legs)
        return legs

    def _tt_views(self) -> tuple:
        """Memoryviews of the timetable arrays _raw_legs reads (made once; the arrays never change)."""
        views = getattr(self, "_views", None)
        if views is None:
            tt = self.tt
            views = self._views = tuple(memoryview(np.ascontiguousarray(a)) for a in (
                tt.trip_pattern, tt.pattern_n_trips, tt.pattern_first_trip, tt.pattern_st_offset,
                tt.pattern_stops_offsets, tt.pattern_stops, tt.st_dep,
                getattr(tt, "rt_st_dep", np.zeros(0, np.int32))))
        return views

    def departures(self, p: int, pos: int) -> np.ndarray:
        """The departures of pattern p's trips at stop_pos pos (real-time ones included)."""
        tt = self.tt
        if p >= self.n_static:
            return tt.departures(p, pos)
        first = int(tt.pattern_st_offset[p]) + pos * int(tt.pattern_n_trips[p])
        return tt.st_dep[first:first + int(tt.pattern_n_trips[p])]


@dataclasses.dataclass(frozen=True)
class Known:
    """What the two-criteria search says about a fare query (McPlanner._known)."""

    rows: np.ndarray | None     # (arrival + egress, vehicles, fare) per journey with a vehicle; None:
                                # only a zero-vehicle journey; no row: none at all
    fewest: int                 # no journey has fewer vehicles
    earliest: np.ndarray | None     # [k]: the earliest arrival with at most k vehicles (NO_HORIZON: none)
    journeys: list[tuple]       # (arrival, vehicles, fare, raw legs) of the rows


class McQuery:
    """One plan() request with a third criterion: its endpoints and fare model, and the legs,
    street legs and prices its journeys share (built once however many searches it runs:
    an arrive-by query runs many)."""

    def __init__(self, mc: McPlanner, request: PlanRequest, optimize: tuple[str, ...], o, d, tz):
        self.mc, self.request, self.optimize, self.o, self.d, self.tz = mc, request, optimize, o, d, tz
        self.day = mc.tt.day_index(request.date)
        self.fares = mc.fare_model(request.date, tz, request.rider_category, request.fare_medium, request.max_rounds) \
            if optimize == FARE else None
        self.walks = request.mode == "walk" and self.fares is None     # street access counts as walking
        self.built: dict = {}
        self.streets: dict = {}
        self.priced: dict = {}
        #: the thread's workspace slots that hold labels of this query's runs (keep may follow)
        self.kept: set[int] = set()
        #: fares v2 passes each in their own slot (a range: the next minute's passes keep them);
        #: else all in slot 0 (one workspace per thread)
        self.pass_slots = False

    def journeys(self, start: int, latest: int | None, beaten_by: np.ndarray | None = None,
                 keep: bool = False, ties_beaten: bool = False) -> tuple[list[tuple], dict]:
        """(arrival, vehicles, walking or fare, raw legs) of the Pareto journeys with a vehicle
        (or a footpath only, between stops) leaving at ``start`` and arriving by ``latest``
        (None: no limit), and the search's stats. ``beaten_by``: rows (arrival, vehicles, walking
        or fare) of journeys known to exist (a range's later departures): the search drops what
        cannot beat one of them, so only the journeys none of them beats, and ones equal to them,
        are sure to be found. ``keep`` (a range's runs after its first): the search keeps the
        labels of the last runs, which left later (McPlanner.run; fares v2 pass by pass, each
        pass in its workspace slot, ``self.kept``); ``beaten_by`` must then hold their journeys. ``ties_beaten``: ``beaten_by`` journeys beat equal ones
        too (a range: a later departure that does as well wins): those are not looked for."""
        mc, o, d, fares, request = self.mc, self.o, self.d, self.fares, self.request
        if request.deadline is not None and time.monotonic() > request.deadline:
            raise QueryTimeoutError(TIMEOUT_MESSAGE)     # (an arrive-by or range request runs many searches)
        stats: dict = {}
        if not (len(o.stops) and len(d.stops)):
            return [], stats
        if start != request.time_s or latest != request.latest_arrival_s or request.arrive_window_s is not None \
                or request.range_s:
            # (one departure-time search of an arrive-by or range request)
            request = dataclasses.replace(request, time_s=start, arrive_window_s=None, range_s=0,
                                          max_duration_s=None if latest is None else latest - start)
        found_by_raptor, earliest = [], None
        if beaten_by is not None and len(beaten_by):
            # journeys that exist are what the two-criteria run would give the fare search: they
            # prune as well (no fewest vehicles known then)
            known, fewest = np.asarray(beaten_by, np.int32).reshape(-1, 3), 0
        elif fares is not None:
            two = mc._known(o, d, request, self.day, start, self.tz, self.built, self.priced, fares)
            known, fewest, earliest, found_by_raptor = two.rows, two.fewest, two.earliest, two.journeys
        else:
            known, fewest = None, 0
        if known is not None and not len(known):
            stats.update(rounds=0, labels=0)      # no journey with a vehicle: none to price
            return [], stats
        run = functools.partial(
            mc.run, o.stops, start + o.durations, o.durations if (self.walks and o.is_point) else 0 * o.durations,
            d.stops, d.durations, d.durations if (self.walks and d.is_point) else 0 * d.durations, self.day,
            request.max_rounds, request.min_change_s, request.walk_before_first and not o.is_point,
            request.walk_after_last and not d.is_point, fares, deadline=request.deadline,
            ties_beaten=bool(found_by_raptor) or (ties_beaten and beaten_by is not None and len(beaten_by) > 0),
            earliest=earliest, wait_limit=latest)
        journeys = None
        if keep and not self.kept:
            raise ValueError("keep: no earlier run of this query to keep the labels of")
        if fares is not None and known is not None and fares.version == 2:
            # (a range's passes each in their own slot: with keep, pass i keeps the last pass i's labels)
            kept = (self.kept if keep else set()) if self.pass_slots else None
            journeys = mc._by_horizons(run, known, fewest, start, latest, o, d, request, fares, stats, kept,
                                       in_range=self.pass_slots)
            if journeys is not None and kept is not None:
                self.kept |= kept
        if journeys is None:
            ws = run(known, latest, fewest, keep=keep and 0 in self.kept)
            self.kept.add(0)
            stats.update(rounds=ws.rounds_run, labels=ws.n_labels)
            memo: dict = {}
            journeys = [(a, k, w, mc._raw_legs(ws, label, memo))
                        for a, k, w, label in mc._target_labels(ws, o, d, request, self.walks, fares)]
        if found_by_raptor:
            # (the search dropped what could only tie them)
            journeys = pareto(journeys + found_by_raptor)
        return journeys, stats

    def leave_later(self, journeys: list[tuple], start: int) -> list[tuple]:
        """``journeys`` (arrival, vehicles, walking or fare, raw legs) leaving at ``start``, each
        leaving as late as it may for the same arrival, as the two-criteria plan's
        (engine/raptor/boarding.py: later_trips, then with the fare board_later). With the fare, only when the journey then costs
        the same, so that the answer's (arrival, vehicles, fare) are the search's: timeframes,
        transfer limits, zones and areas can make it dearer, or cheaper (Strasbourg "v2",
        Entzheim Centre -> Graffenstaden Z.I, 2026-03-30 10:02:38: RAPTOR's 10:26 journey, moved
        to 14:31, arrives as it did for 2.60 EUR instead of 5.20, a journey the search's first
        vehicle model does not look for, README "First vehicle"). The moved journey is priced
        as the search prices its labels (McPlanner.search_fare, fares v2 on the schedule: its
        itinerary is priced once it is in the answer), else as an itinerary, that price kept
        for the answer. With walking, the walks stay what they were."""
        mc, o, request, out = self.mc, self.o, self.request, []
        # (the schedule's timetable: a real-time one's trips past it are the overlay's, read from it;
        # its next_active has the changed trips struck out)
        tt, overlay, day = mc.planner.tt, mc.overlay, self.day
        next_active, times = mc.tt.next_active(day), mc.planner.trip_times
        # (with walking the first boarding stays: the walk to it is what is compared)
        access = Access(tt, o.stops, o.durations, request.walk_before_first and not o.is_point) \
            if self.fares is not None else None
        for arrival, k, third, raw in journeys:
            moved = later_trips(tt, raw, next_active, request.min_change_s, times, overlay, day) if k else raw
            if access is not None and k:
                moved = board_later(tt, moved, access, start, overlay, day)
            if moved is not raw and self.fares is not None:
                amount = mc.search_fare(self.fares, moved, request)
                if amount is None:
                    priced = mc.planner.legs.fare(mc.build_legs(moved, request.date, self.tz, self.built),
                                                  request.rider_category, request.fare_medium)
                    amount = priced.amount_minor if priced is not None and priced.known else FARE_UNKNOWN
                    if amount == third:
                        self.priced[tuple(moved)] = priced
                if amount != third:
                    moved = raw
            out.append((arrival, k, third, moved))
        return out

    def itinerary(self, arrival: int, k: int, raw: list[RawLeg], start: int):
        """The itinerary of one journey of ``journeys`` (legs and prices built once per query)."""
        p, date = self.mc.planner, self.request.date
        legs = self.mc.build_legs(raw, date, self.tz, self.built)
        fare = self.priced.get(tuple(raw), NOT_PRICED)
        legs = p._with_access(legs, raw, self.o, self.d, self.request.mode, date, self.tz, self.streets)
        return p.legs.itinerary(k, arrival, legs, date, start, self.tz, fare, self.request.rider_category,
                                self.request.fare_medium)

    def answer(self, found: list[tuple], start: int, stats: dict) -> Plan:
        """The Plan of ``found`` (arrival or departure, vehicles, walking or fare, itinerary), in order."""
        request = self.request
        stats = {"criteria": list(self.optimize), **stats}
        if self.fares is None:
            stats["walking_s"] = [w for _, _, w, _ in found]
        else:
            stats["fare_minor"] = [None if w >= FARE_UNKNOWN else w for _, _, w, _ in found]
        stats["realtime"] = self.mc.overlay is not None
        if request.has_point:
            stats.update(access_stops=int(len(self.o.stops)), egress_stops=int(len(self.d.stops)))
        return Plan(self.o.waypoint, self.d.waypoint, request.date, hms(start), tuple(it for *_, it in found), stats)


def pass_horizons(known: np.ndarray, start: int, latest: int | None, in_range: bool = False) -> list[int]:
    """Fares v2: the horizons of the passes before the unbounded one (McPlanner._by_horizons)
    for a search from ``start`` with ``known`` journeys (rows: arrival, ...): PASS_HORIZONS_S
    after the start and, unless ``in_range`` (a range's minutes), FIRST_PASS_AFTER_EARLIEST_S
    after the earliest known arrival, in order; none before that arrival (no journey arrives
    earlier), nor at or after ``latest``, nor less than MIN_PASS_GAP_S before the next one.
    Empty: one search, unbounded or up to ``latest``."""
    if not len(known):
        return []
    earliest = int(np.asarray(known)[:, 0].min())
    horizons = [start + h for h in PASS_HORIZONS_S]
    if FIRST_PASS_AFTER_EARLIEST_S is not None and not in_range:
        horizons.append(earliest + FIRST_PASS_AFTER_EARLIEST_S)
    kept: list[int] = []
    for h in sorted({h for h in horizons if earliest <= h and (latest is None or latest > h)}):
        if kept and h - kept[-1] < MIN_PASS_GAP_S:
            kept[-1] = h
        else:
            kept.append(h)
    return kept


def _set_complete(ends: list[tuple], fewest: int, floors: np.ndarray | None) -> bool:
    """Whether the journeys the passes so far found (``ends``: arrival, vehicles, fare, ...) are
    the whole Pareto set. A journey arriving after them has some k >= ``fewest`` vehicles (no
    journey has fewer) and pays at least floors[k] (fare_floors): it is dominated when one of
    them has no more than k vehicles and pays no more than floors[k], for every such k.
    (Pareto journeys arriving within the last pass's horizon are dominated only by journeys
    that arrive no later: the passes' sets hold them all.) No journey without a vehicle exists
    when floors[0] is FARE_UNKNOWN (the potentials count one footpath to a target as free)."""
    if floors is None:
        return False
    return all(any(j <= k and fare <= floors[k] for _, j, fare, _ in ends) for k in range(fewest, len(floors))
               if k or floors[0] < FARE_UNKNOWN)


def pareto(items: list[tuple]) -> list[tuple]:
    """Items (arrival, vehicles, walking, ...) that no other beats or equals on all three (the
    first of equal ones kept), sorted by arrival, then vehicles, then walking."""
    items = sorted(items, key=lambda x: (x[0], x[1], x[2]))
    kept: list[tuple] = []
    for item in items:
        if not any(a <= item[0] and v <= item[1] and w <= item[2] for a, v, w, *_ in kept):
            kept.append(item)
    return kept


_LOCK = threading.Lock()


def plan_mc(planner: Planner, request: PlanRequest, cache: dict, key, optimize: tuple[str, ...] = WALKING) -> Plan:
    """``request`` by McRAPTOR over ``planner``'s timetable (McPlanner cached under ``key``), or,
    with ``request.overlay``, over that timetable plus the overlay on the request's date (one
    McPlanner per snapshot and day: engine/criteria/realtime.py)."""
    mc = cache.get(("mc", key))
    if mc is None:
        with _LOCK:
            mc = cache.get(("mc", key))
            if mc is None:
                mc = cache[("mc", key)] = McPlanner(planner)
    if request.overlay is not None:
        from .realtime import realtime_arrays

        day = planner.tt.day_index(request.date)
        rtt = realtime_arrays(planner.tt, request.overlay, key).day(day)
        if rtt.mc is None:
            with _LOCK:
                if rtt.mc is None:
                    rtt.mc = McPlanner(planner, rtt, mc)
        mc = rtt.mc
    return mc.plan(request, optimize)
