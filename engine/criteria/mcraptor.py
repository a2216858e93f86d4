"""plan() with a third criterion: McRAPTOR (engine._mcraptor) for the exact Pareto set over
arrival x vehicles x walking seconds, turned into itineraries like the two-criteria planner's.

Walking seconds = every footpath between stops (including one from the origin stop / to the
destination stop when those are allowed) plus, at a (lat, lon) end with ``mode="walk"``, the
street access / egress. Waiting and same-stop change times are not walking. Between two points,
the street-only direct journey (0 vehicles, all walking when ``mode="walk"``) competes in the
same Pareto set. Departure-time queries only (no arrive_by / window_s), on the schedule.
"""
from __future__ import annotations

import dataclasses
import threading

import numpy as np

from .._mcraptor import KINDS, McView, McWorkspace, run_mcraptor
from .._types import SECONDS_PER_DAY
from ..errors import InvalidQueryError
from ..raptor.journey import Plan
from ..raptor.planner import Planner
from ..raptor.reconstruct import RawLeg
from ..raptor.request import PlanRequest, hms

TWO_CRITERIA = ("arrival", "transfers")
CRITERIA = {TWO_CRITERIA, ("arrival", "transfers", "walking")}
KIND_ORIGIN, KIND_VEHICLE, KIND_WALK = KINDS["ORIGIN"], KINDS["VEHICLE"], KINDS["WALK"]
NO_IDX = KINDS["NO_IDX"]
MAX_CAPACITY = 1 << 26


def check_optimize(optimize) -> tuple[str, ...]:
    """The criteria tuple, or InvalidQueryError naming ``optimize``."""
    value = tuple(optimize) if isinstance(optimize, (tuple, list)) else None
    if value is not None and not all(isinstance(c, str) for c in value):
        value = None        # e.g. [["walking"]]: unhashable, never a criteria tuple
    if value is None or value not in CRITERIA:
        if value is not None and "fare" in value:
            raise InvalidQueryError("optimize: the fare criterion is not available yet (issue 14)", "optimize")
        raise InvalidQueryError('optimize must be ("arrival", "transfers") or ("arrival", "transfers", "walking")',
                                "optimize")
    return value


def check_mc_request(request: PlanRequest, realtime) -> None:
    if request.arrive_window_s is not None or request.range_s:
        raise InvalidQueryError("optimize: walking is a criterion of departure-time queries only (not with "
                                "arrive_by or window_s)", "optimize")
    if realtime:
        raise InvalidQueryError("realtime: optimize with walking plans on the schedule only", "realtime")


class McPlanner:
    """McRAPTOR queries on one (possibly filtered) timetable, with per-thread workspaces."""

    def __init__(self, planner: Planner):
        self.planner = planner
        tt = self.tt = planner.tt
        self.view = McView(
            pattern_stops_offsets=tt.pattern_stops_offsets, pattern_stops=tt.pattern_stops,
            pattern_pickup=tt.pattern_pickup, pattern_dropoff=tt.pattern_dropoff,
            pattern_first_trip=tt.pattern_first_trip, pattern_n_trips=tt.pattern_n_trips,
            pattern_st_offset=tt.pattern_st_offset, pattern_max_day=tt.pattern_max_day,
            st_arr=tt.st_arr, st_dep=tt.st_dep, stop_patterns_offsets=tt.stop_patterns_offsets,
            stop_patterns=tt.stop_patterns, stop_patterns_pos=tt.stop_patterns_pos,
            footpath_offsets=tt.footpath_offsets, footpath_to=tt.footpath_to,
            footpath_duration=tt.footpath_duration, stop_min_change=tt.stop_min_change)
        self._local = threading.local()

    def _workspace(self, capacity: int = 1 << 16) -> McWorkspace:
        ws = getattr(self._local, "ws", None)
        if ws is None or ws.capacity < capacity:
            ws = self._local.ws = McWorkspace(self.tt.n_stops, self.tt.n_patterns, capacity)
        return ws

    def run(self, origin_stop, origin_time, origin_walk, target_stop, egress, egress_walk, day: int,
            max_rounds: int, min_change_s: int, walk_before_first: bool, walk_after_last: bool) -> McWorkspace:
        """One McRAPTOR run (the pool grows until it holds every label)."""
        ws = self._workspace()
        next_active = self.tt.next_active(day)
        args = [np.ascontiguousarray(a, np.int32) for a in
                (origin_stop, origin_time, origin_walk, target_stop, egress, egress_walk)]
        while run_mcraptor(self.view, ws, *args, next_active, self.tt.max_day_offset, max_rounds, min_change_s,
                           walk_before_first, walk_after_last) < 0:
            if ws.capacity >= MAX_CAPACITY:
                raise InvalidQueryError("optimize: too many Pareto labels for this query", "optimize")
            ws = self._workspace(ws.capacity * 4)
        return ws

    def plan(self, request: PlanRequest) -> Plan:
        p = self.planner
        day = self.tt.day_index(request.date)
        o = p.endpoint(request.origin, request, "origin")
        d = p.endpoint(request.destination, request, "destination")
        tz = p.timezone(o)
        start = request.time_s
        walks = request.mode == "walk"
        found = []       # (arrival_s, vehicles, walking_s, itinerary)
        stats = {"criteria": ["arrival", "transfers", "walking"]}
        if len(o.stops) and len(d.stops):
            ws = self.run(o.stops, start + o.durations, o.durations if (walks and o.is_point) else 0 * o.durations,
                          d.stops, d.durations, d.durations if (walks and d.is_point) else 0 * d.durations, day,
                          request.max_rounds, request.min_change_s,
                          request.walk_before_first and not o.is_point, request.walk_after_last and not d.is_point)
            stats.update(rounds=ws.rounds_run, labels=ws.n_labels)
            built: dict = {}
            for arrival, k, walking, label in self._target_labels(ws, o, d, request, walks):
                raw = self._raw_legs(ws, label)
                legs = self.build_legs(raw, request.date, tz, built)
                legs = p._with_access(legs, raw, o, d, request.mode, request.date, tz)
                found.append((arrival, k, walking, p.legs.itinerary(k, arrival, legs, request.date, start, tz)))
        direct = p.direct(o, d, request, start, tz)
        if direct is not None:
            arrival = start + direct.duration_s
            found.append((arrival, 0, direct.duration_s if walks else 0, direct))
        found = pareto(found)
        stats["walking_s"] = [w for _, _, w, _ in found]
        stats["realtime"] = False
        if request.has_point:
            stats.update(access_stops=int(len(o.stops)), egress_stops=int(len(d.stops)))
        return Plan(o.waypoint, d.waypoint, request.date, hms(start), tuple(it for *_, it in found), stats)

    def _target_labels(self, ws: McWorkspace, o, d, request: PlanRequest, walks: bool):
        """(arrival + egress, vehicles, walking + egress walk, label) of every journey ending at a
        destination stop, Pareto-filtered."""
        walk_after_last = request.walk_after_last and not d.is_point
        head, nxt, alive = ws.bag_head_np, ws.lab_next_np, ws.lab_alive_np
        arr, walk, rnd, kind = ws.lab_arr_np, ws.lab_walk_np, ws.lab_round_np, ws.lab_kind_np
        out = []
        for s, egress in zip(d.stops.tolist(), d.durations.tolist()):
            for bag in (0, 1):
                label = int(head[2 * s + bag])
                while label != NO_IDX:
                    k = int(rnd[label])
                    ok = alive[label] and (k == 0 or walk_after_last or kind[label] == KIND_VEHICLE)
                    if ok and not (k == 0 and (o.is_point or d.is_point)):
                        out.append((int(arr[label]) + egress, k, int(walk[label]) + (egress if walks and d.is_point
                                                                                    else 0), label))
                    label = int(nxt[label])
        return pareto(out)

    def build_legs(self, raw: list[RawLeg], date, tz, built: dict) -> list:
        """``LegBuilder.build(raw)``, each leg built once per query (Pareto journeys share most of
        their legs): a leg depends on its raw leg only, except a first walk (moved to end when the
        first vehicle leaves) and a walk between two vehicles (a change), made so here first.
        tests/differential/test_mcraptor_vs_reference.py checks the result equals build(raw)."""
        out = []
        last = len(raw) - 1
        for i, r in enumerate(raw):
            if r.kind == "walk" and i == 0 and last > 0:
                r = RawLeg("walk", r.from_stop, r.to_stop, raw[1].dep - (r.arr - r.dep), raw[1].dep)
            leg = built.get(r)
            if leg is None:
                leg = built[r] = self.planner.legs.build([r], date, tz, None)[0]
            if r.kind == "walk" and 0 < i < last and raw[i - 1].kind != "walk" and raw[i + 1].kind != "walk":
                leg = dataclasses.replace(leg, transfer=True)
            out.append(leg)
        return out

    def _raw_legs(self, ws: McWorkspace, label: int) -> list[RawLeg]:
        tt = self.tt
        legs = []
        while label != NO_IDX:
            kind = int(ws.lab_kind_np[label])
            parent = int(ws.lab_parent_np[label])
            stop, arr = int(ws.lab_stop_np[label]), int(ws.lab_arr_np[label])
            if kind == KIND_VEHICLE:
                trip, day = int(ws.lab_trip_np[label]), int(ws.lab_day_np[label])
                board, alight = int(ws.lab_board_pos_np[label]), int(ws.lab_alight_pos_np[label])
                pattern = int(tt.trip_pattern[trip])
                n = int(tt.pattern_n_trips[pattern])
                i = trip - int(tt.pattern_first_trip[pattern])
                dep = int(tt.st_dep[int(tt.pattern_st_offset[pattern]) + board * n + i]) + day * SECONDS_PER_DAY
                from_stop = int(tt.pattern_stops[int(tt.pattern_stops_offsets[pattern]) + board])
                legs.append(RawLeg("transit", from_stop, stop, dep, arr, trip, day, board, alight))
            elif kind == KIND_WALK:
                legs.append(RawLeg("walk", int(ws.lab_stop_np[parent]), stop, int(ws.lab_arr_np[parent]), arr))
            label = parent
        return legs[::-1]


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


def plan_mc(planner: Planner, request: PlanRequest, cache: dict, key) -> Plan:
    """``request`` by McRAPTOR over ``planner``'s timetable (McPlanner cached under ``key``)."""
    mc = cache.get(("mc", key))
    if mc is None:
        with _LOCK:
            mc = cache.get(("mc", key))
            if mc is None:
                mc = cache[("mc", key)] = McPlanner(planner)
    return mc.plan(request)
