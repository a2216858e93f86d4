"""Journey planning, one home: endpoints, the forward loop shared by every kind of query, and the
street-only direct journey.

A request (``request.PlanRequest``, checked once) has two ends, each a stop reference or a point.
A stop end is stops with zero access time; a point end is the stops its street search reaches
(engine.streets: bounded search on the OSM walk or bike graph; without streets, straight-line
walking, the footpaths' model). Then one RAPTOR run (``search.RaptorRunner``) between them, the
Pareto set at the destination (arrival x vehicles), each member rebuilt into legs
(``legs.LegBuilder``) with street access/egress, and, for two points, the direct street journey
merged in. Arrive-by (``arrive_by.py``) and range queries (``range.py``) reuse ``itineraries``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np

from .._geo import WALK_SPEED_MPS, check_point, haversine_m, walk_seconds
from ..errors import InvalidQueryError
from ..timetable.station_access import pathway_routes, station_walks, through_entrances
from .boarding import RoundZero, board_later, later_trips, trip_times
from .journey import Itinerary, Leg, Plan, Waypoint
from .legs import LegBuilder, local_datetime, zone
from .request import PlaceRef, PlanRequest, hms
from .search import RaptorQuery, RaptorRunner

BIKE_SPEED_CROW_MPS = 6.0     # only to skip hopeless direct bike searches (a lower bound on time)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Either stops (indices, with zero access time) or a point reached through the streets."""

    waypoint: Waypoint
    stops: np.ndarray            # int32 stop indices
    durations: np.ndarray        # int32 seconds between the point and each stop
    is_point: bool
    #: per stop, the station entrance the walk goes through (-1: none) and the seconds inside,
    #: between the entrance and the stop (engine/timetable/station_access.py through_entrances)
    gates: np.ndarray | None = None
    gate_s: np.ndarray | None = None


def _with_walk(leg: Leg, points, steps: tuple, distance_m: float | None) -> Leg:
    """``leg`` drawn from its origin through ``points``, with its ``steps`` and distance."""
    return dataclasses.replace(leg, geometry=((leg.origin.lat, leg.origin.lon), *points), steps=steps,
                               distance_m=distance_m)


class Planner:
    """Plans journeys on one timetable (and its streets, when the bundle has them)."""

    def __init__(self, runner: RaptorRunner, legs: LegBuilder, streets=None,
                 walk_speed_mps: float = WALK_SPEED_MPS):
        self.runner = runner
        self.legs = legs
        self.tt = runner.tt
        self.streets = streets
        self.walk_speed_mps = walk_speed_mps

    # ------------------------------------------------------------------ requests
    def plan(self, request: PlanRequest) -> Plan:
        """The answer to a checked request: forward, arrive-by or range (see Network.plan)."""
        day = self.tt.day_index(request.date)
        o = self.endpoint(request.origin, request, "origin")
        d = self.endpoint(request.destination, request, "destination")
        tz = self.timezone(o)
        if request.arrive_window_s is not None:
            from .arrive_by import ArriveByPlanner

            itineraries, stats = ArriveByPlanner(self).plan(o, d, request, day, tz)
        elif request.range_s:
            from .range import plan_range

            itineraries, stats = plan_range(self, o, d, request, day, tz)
        else:
            itineraries, stats = self.forward(o, d, request, day, request.time_s, tz)
        if request.has_point:
            stats.update(access_stops=int(len(o.stops)), egress_stops=int(len(d.stops)))
        stats["realtime"] = request.overlay is not None
        return Plan(o.waypoint, d.waypoint, request.date, hms(request.time_s), tuple(itineraries), stats)

    def forward(self, o: Endpoint, d: Endpoint, request: PlanRequest, day: int, start: int,
                tz) -> tuple[list[Itinerary], dict]:
        """Earliest-arrival journeys leaving at ``start``: the Pareto set (arrival x vehicles)."""
        itineraries: list[Itinerary] = []
        stats: dict = {}
        q = self.query(o, d, request, day, start)
        if q is not None:
            ws = self.runner.run(q)
            stats["rounds"] = ws.rounds_run
            itineraries = self.itineraries(q, ws, o, d, request, start, tz, board_late=True)
        direct = self.direct(o, d, request, start, tz)
        if direct is not None:
            # Zero vehicles dominates every journey that does not arrive strictly earlier.
            itineraries = [it for it in itineraries if it.arrival < direct.arrival]
            itineraries.append(direct)
        itineraries.sort(key=lambda it: (it.arrival, it.n_vehicles))
        return itineraries, stats

    def query(self, o: Endpoint, d: Endpoint, request: PlanRequest, day: int, start: int,
              max_rounds: int | None = None) -> RaptorQuery | None:
        """The RAPTOR run between two endpoints leaving at ``start`` (None if an end has no stop).

        A walk from the origin stop / to the destination stop is allowed at stop ends only (a
        point end already walked through the streets)."""
        if not (len(o.stops) and len(d.stops)):
            return None
        return RaptorQuery(o.stops, (start + o.durations).astype(np.int32), d.stops, d.durations.astype(np.int32),
                           day, request.max_rounds if max_rounds is None else max_rounds, request.min_change_s,
                           walk_before_first=request.walk_before_first and not o.is_point,
                           walk_after_last=request.walk_after_last and not d.is_point, overlay=request.overlay)

    def itineraries(self, q: RaptorQuery, ws, o: Endpoint, d: Endpoint, request: PlanRequest, start: int,
                    tz, vehicles: int | None = None, board_late: bool = False) -> list[Itinerary]:
        """The Pareto set of a finished run as itineraries (only ``vehicles`` if given).
        ``board_late`` (a plan leaving at ``start``; not a range's minutes, which must leave within
        their minute): each journey leaves as late as it can for its arrival (boarding.later_trips,
        with an overlay's changed trips struck out, then boarding.board_later).

        Zero vehicles between points ("walk to a stop and walk on") is the direct street
        journey's job, so that member is left out when an end is a point. Journeys arriving
        after ``request.latest_arrival_s`` are left out (the rest stay Pareto-optimal: whatever
        beats one of them arrives no later)."""
        out = []
        latest = request.latest_arrival_s
        access = RoundZero(ws, start) if board_late else None
        next_active = None if not board_late else (
            self.tt.next_active(q.day) if q.overlay is None else q.overlay.next_active(q.day))
        for n_vehicles, arrival_s, raw, _ in self.runner.pareto(q, ws):
            if vehicles is not None and n_vehicles != vehicles:
                continue
            if latest is not None and arrival_s > latest:
                continue
            if n_vehicles == 0 and (o.is_point or d.is_point):
                continue
            if access is not None and n_vehicles:
                raw = later_trips(self.tt, raw, next_active, q.min_change_s, self.trip_times, q.overlay, q.day)
                raw = board_later(self.tt, raw, access, start, q.overlay, q.day)
            legs = self.legs.build(raw, request.date, tz, q.overlay)
            legs = self._with_access(legs, raw, o, d, request.mode, request.date, tz)
            out.append(self.legs.itinerary(n_vehicles, arrival_s, legs, request.date, start, tz,
                                           rider=request.rider_category, medium=request.fare_medium))
        return out

    @functools.cached_property
    def trip_times(self):
        """The trip arrays later_trips reads (engine/raptor/boarding.py), held once."""
        return trip_times(self.tt)

    # ------------------------------------------------------------------ endpoints
    def endpoint(self, ref: PlaceRef, request: PlanRequest, parameter: str) -> Endpoint:
        if ref.is_point:
            return self.point_endpoint(ref.point[0], ref.point[1], request.mode, request.max_access_s, parameter,
                                       reverse=parameter == "destination")
        return self.stop_endpoint(self.tt.resolve_stop(ref.stop, parameter))

    def point_endpoint(self, lat: float, lon: float, mode: str, max_s: int, parameter: str,
                       reverse: bool) -> Endpoint:
        """The stops reachable from (or, ``reverse``, to) a point within ``max_s`` seconds."""
        lat, lon = check_point(lat, lon, parameter)
        if self.streets is not None:
            reach = self.streets.stops_within(lat, lon, mode, max_s, reverse=reverse, parameter=parameter)
            stops, durations = np.asarray(reach.stop_idx, np.int32), np.asarray(reach.duration_s, np.int32)
        else:
            if mode != "walk":
                raise InvalidQueryError(f"mode: {mode!r} access needs a bundle built with OSM streets", "mode")
            dist = haversine_m(lat, lon, self.tt.stop_lat, self.tt.stop_lon)
            walkable = self.tt.stop_location_type == 0
            if station_walks(self.tt) is not None:    # (entrances: through_entrances takes them inside)
                walkable = walkable | (self.tt.stop_location_type == 2)
            with np.errstate(invalid="ignore"):
                near = np.flatnonzero((dist <= max_s * self.walk_speed_mps) & walkable)
            durations = walk_seconds(dist[near], self.walk_speed_mps)
            keep = durations <= max_s
            stops, durations = near[keep].astype(np.int32), durations[keep].astype(np.int32)
        stops, durations, gates, gate_s = through_entrances(self.tt, stops, durations, reverse)
        if gates is not None:                  # (through a station's entrance: maybe past max_s)
            keep = durations <= max_s
            stops, durations, gates, gate_s = stops[keep], durations[keep], gates[keep], gate_s[keep]
        ok = self.tt.street_stop_ok(reverse)
        if ok is not None:                     # (wheelchair: stops the street reaches step-free)
            keep = ok[stops]
            stops, durations = stops[keep], durations[keep]
            if gates is not None:
                gates, gate_s = gates[keep], gate_s[keep]
        name = "origin" if parameter == "origin" else "destination"
        return Endpoint(Waypoint(name, lat, lon), stops, durations, True, gates, gate_s)

    def stop_endpoint(self, stops: list[int]) -> Endpoint:
        wp = self.legs.waypoint(stops[0])
        return Endpoint(wp, np.asarray(stops, np.int32), np.zeros(len(stops), np.int32), False)

    def timezone(self, endpoint: Endpoint):
        """The time zone of the endpoint's first stop's feed (the first feed's for no stop)."""
        tt = self.tt
        if len(endpoint.stops):
            return zone(tt.feed_timezones[int(tt.stop_feed[int(endpoint.stops[0])])])
        return zone(tt.feed_timezones[0]) if tt.feed_timezones else None

    # ------------------------------------------------------------------ legs
    def _with_access(self, legs: list[Leg], raw, origin: Endpoint, destination: Endpoint,
                     mode: str, date: dt.date, tz, memo: dict | None = None) -> list[Leg]:
        """``memo``: one query's street legs and footpath geometries (its itineraries share them:
        the same access and egress searches would otherwise run once per itinerary)."""
        memo = {} if memo is None else memo
        out = [self._walk_detail(leg, memo) for leg in legs]
        if origin.is_point and raw:
            first, board = raw[0].from_stop, raw[0].dep
            access = memo.get(("access", first, board))
            if access is None:
                access = memo[("access", first, board)] = self._point_legs(origin, first, board, mode, date, tz,
                                                                           memo, False)
            out[:0] = access
        if destination.is_point and raw:
            last, alight = raw[-1].to_stop, raw[-1].arr
            egress = memo.get(("egress", last, alight))
            if egress is None:
                egress = memo[("egress", last, alight)] = self._point_legs(destination, last, alight, mode, date,
                                                                           tz, memo, True)
            out.extend(egress)
        return out

    def _point_legs(self, end: Endpoint, stop: int, at: int, mode: str, date, tz, memo: dict,
                    egress: bool) -> list[Leg]:
        """The street leg between a point end and ``stop`` (boarded or left at ``at``), and, for a
        stop inside a station, the walk through it from or to the entrance (the endpoint's
        ``gates``): point -> entrance -> platform, or platform -> entrance -> point."""
        i = int(np.flatnonzero(end.stops == stop)[0])
        dur = int(end.durations[i])
        gate = -1 if end.gates is None else int(end.gates[i])
        platform = self.legs.waypoint(stop)
        if gate < 0:
            if egress:
                return [self._street_leg(platform, end.waypoint, mode, at, at + dur, date, tz, memo)]
            return [self._street_leg(end.waypoint, platform, mode, at - dur, at, date, tz, memo)]
        inside, entrance, clock = int(end.gate_s[i]), self.legs.waypoint(gate), self.legs.clock(date, tz)
        if egress:
            station = self._station_leg(Leg("walk", platform, entrance, clock(at), clock(at + inside), inside),
                                        stop, gate)
            return [station, self._street_leg(entrance, end.waypoint, mode, at + inside, at + dur, date, tz, memo)]
        station = self._station_leg(Leg("walk", entrance, platform, clock(at - inside), clock(at), inside), gate, stop)
        return [self._street_leg(end.waypoint, entrance, mode, at - dur, at - inside, date, tz, memo), station]

    def _station_leg(self, leg: Leg, a: int, b: int) -> Leg:
        """``leg`` (a walk a -> b inside a station) with the steps, geometry and distance of the
        pathways' shortest walk (step-free for wheelchair users) when it takes the leg's time,
        else with a straight line."""
        routes = self._routes
        walk = routes.walk(a, b, self._step_free, self.tt) if routes is not None else None
        if walk is None or walk.seconds != leg.duration_s:
            return dataclasses.replace(leg, geometry=((leg.origin.lat, leg.origin.lon),
                                                      (leg.destination.lat, leg.destination.lon)))
        return _with_walk(leg, walk.points, walk.steps, walk.distance_m)

    def _through_the_street(self, leg: Leg, a: int, b: int) -> tuple | bool:
        """(points, steps, distance) of ``leg`` (a walk a -> b where a or b is inside a station,
        not inside one station) as the footpaths made it: the pathways out of a's station, one
        walk outside (the streets', or a straight line), the pathways into b's; its steps say the
        three parts (the walk outside as mode "street"). False when no such split takes the
        leg's time."""
        walks, routes = station_walks(self.tt), self._routes
        if walks is None or routes is None or not (walks.inside[a] or walks.inside[b]):
            return False
        outs = walks.exits_of.get(a, ()) if walks.inside[a] else ((a, 0),)
        ins = walks.entries_of.get(b, ()) if walks.inside[b] else ((b, 0),)
        for e1, t1 in outs:
            for e2, t2 in ins:
                if e1 == e2:
                    continue
                outside = self._outside_walk(e1, e2)
                if outside is None or t1 + outside[0] + t2 != leg.duration_s:
                    continue
                parts = [routes.walk(a, e1, self._step_free, self.tt) if e1 != a else None,
                         routes.walk(e2, b, self._step_free, self.tt) if e2 != b else None]
                if any(p is None for p, end in zip(parts, (e1 != a, e2 != b)) if end):
                    continue
                seconds, distance, geometry = outside
                street = {"mode": "street", "from_stop_id": self.tt.stop_id(e1), "to_stop_id": self.tt.stop_id(e2),
                          "seconds": seconds, "distance_m": None if distance is None else round(distance, 1),
                          "signposted_as": None}
                before, after = parts
                steps = (*(before.steps if before else ()), street, *(after.steps if after else ()))
                points = [*(before.points if before else ()), *geometry, *(after.points if after else ())]
                lengths = [p.distance_m for p in parts if p is not None] + [distance]
                return tuple(points), steps, None if None in lengths else round(sum(lengths), 1)
        return False

    def _outside_walk(self, a: int, b: int) -> tuple[int, float | None, tuple] | None:
        """(seconds, metres, geometry) of the walk outside between two stops or entrances as the
        footpaths count it (None: not one of theirs): the streets' walk, within the build's
        street_footpath_max_s, when the bundle has streets, else the straight line within its
        walk_radius_m."""
        options = self.tt.bundle.manifest.get("options", {})
        if self.streets is not None:
            try:
                route = self.streets.path_between_stops(a, b, "walk")
            except InvalidQueryError:
                return None
            if route.duration_s > options.get("street_footpath_max_s", 900):
                return None
            return int(route.duration_s), float(route.distance_m), tuple(route.geometry)
        tt = self.tt
        lat, lon = (float(tt.stop_lat[a]), float(tt.stop_lat[b])), (float(tt.stop_lon[a]), float(tt.stop_lon[b]))
        metres = float(haversine_m(lat[0], lon[0], lat[1], lon[1]))
        if not metres <= options.get("walk_radius_m", 400.0):
            return None
        return int(walk_seconds(metres, self.walk_speed_mps)), metres, ((lat[1], lon[1]),)

    @functools.cached_property
    def _routes(self):
        """The bundle's pathway routes (station_access.PathwayRoutes), None without pathways."""
        return pathway_routes(self.tt)

    @property
    def _step_free(self) -> bool:
        filters = getattr(self.tt, "filters", None)
        return bool(filters is not None and filters.wheelchair)

    def _walk_detail(self, leg: Leg, memo: dict) -> Leg:
        """A walk between two stops: through a station by its pathways (steps, geometry) when
        they make it, else along the streets when the bundle has them."""
        if leg.mode != "walk" or leg.origin.stop_id is None or leg.destination.stop_id is None:
            return leg
        routes = self._routes
        if routes is not None:
            seen = memo.get(("station", id(leg)))
            if seen is None or seen[0] is not leg:
                walk = routes.walk_between(leg.origin.stop_id, leg.destination.stop_id, self._step_free, self.tt)
                found = None
                if walk is not None and walk.seconds == leg.duration_s:      # (inside one station)
                    found = _with_walk(leg, walk.points, walk.steps, walk.distance_m)
                else:                                                          # (out and in again)
                    key = ("split", leg.origin.stop_id, leg.destination.stop_id, self._step_free, leg.duration_s)
                    split = routes.kept(key)
                    if split is None:
                        a, b = self.tt.find_stop_id(leg.origin.stop_id), self.tt.find_stop_id(leg.destination.stop_id)
                        split = routes.keep(key, self._through_the_street(leg, a, b)
                                            if a is not None and b is not None else False)
                    if split:
                        found = _with_walk(leg, *split)
                seen = memo[("station", id(leg))] = (leg, found)
            if seen[1] is not None:
                return seen[1]
        return self._footpath_geometry(leg, memo) if self.streets is not None else leg

    def _street_leg(self, a: Waypoint, b: Waypoint, mode: str, dep: int, arr: int, date, tz,
                    memo: dict | None = None) -> Leg:
        way = memo.get(("street", a, b, mode)) if memo is not None else None
        if way is None:
            way = self._street_way(a, b, mode)
            if memo is not None:
                memo[("street", a, b, mode)] = way
        geometry, distance = way
        clock = self.legs.clock(date, tz)
        return Leg(mode, a, b, clock(dep), clock(arr), arr - dep, distance_m=distance, geometry=geometry)

    def _street_way(self, a: Waypoint, b: Waypoint, mode: str) -> tuple[tuple, float | None]:
        """(geometry, distance) of the street path between two waypoints (a straight line, no
        distance, without streets)."""
        geometry, distance = ((a.lat, a.lon), (b.lat, b.lon)), None
        if self.streets is not None:
            try:
                route = self.streets.route(a.lat, a.lon, b.lat, b.lon, mode)
                geometry, distance = tuple(route.geometry), float(route.distance_m)
            except InvalidQueryError:
                pass   # the stop is linked but its own coordinates do not snap: keep a straight line
        return geometry, distance

    def _footpath_geometry(self, leg: Leg, memo: dict | None = None) -> Leg:
        """Walks between two stops follow the streets when the bundle has them (``memo``: one
        query's, by leg object: itineraries share their leg objects)."""
        if leg.mode != "walk" or leg.origin.stop_id is None or leg.destination.stop_id is None:
            return leg
        if memo is None:
            return self._footpath_leg(leg)
        seen = memo.get(("footpath", id(leg)))
        if seen is None or seen[0] is not leg:       # (the leg, kept alive, so its id stays its own)
            seen = memo[("footpath", id(leg))] = (leg, self._footpath_leg(leg))
        return seen[1]

    def _footpath_leg(self, leg: Leg) -> Leg:
        a = self.tt.find_stop_id(leg.origin.stop_id)
        b = self.tt.find_stop_id(leg.destination.stop_id)
        try:
            route = self.streets.path_between_stops(a, b, "walk")
        except InvalidQueryError:
            return leg
        return dataclasses.replace(leg, distance_m=float(route.distance_m), geometry=tuple(route.geometry))

    def direct(self, origin: Endpoint, destination: Endpoint, request: PlanRequest, start: int,
               tz) -> Itinerary | None:
        """The street-only journey leaving at ``start``, when both ends are points and it takes
        at most ``request.max_direct_s`` (and arrives by ``request.latest_arrival_s``)."""
        if not (origin.is_point and destination.is_point):
            return None
        mode, date, max_direct_s = request.mode, request.date, request.max_direct_s
        a, b = origin.waypoint, destination.waypoint
        crow_s = float(haversine_m(a.lat, a.lon, b.lat, b.lon)) / (
            self.walk_speed_mps if mode == "walk" else BIKE_SPEED_CROW_MPS)
        if crow_s > max_direct_s:
            return None   # even a straight line would take too long: skip the street search
        if self.streets is not None:
            route = self.streets.route(a.lat, a.lon, b.lat, b.lon, mode)
            duration, geometry, distance = int(route.duration_s), tuple(route.geometry), float(route.distance_m)
        else:
            distance = float(haversine_m(a.lat, a.lon, b.lat, b.lon))
            duration = int(walk_seconds(distance, self.walk_speed_mps))
            geometry = ((a.lat, a.lon), (b.lat, b.lon))
        if duration > max_direct_s or (request.latest_arrival_s is not None and
                                       start + duration > request.latest_arrival_s):
            return None
        leg = Leg(mode, a, b, local_datetime(date, start, tz), local_datetime(date, start + duration, tz), duration,
                  distance_m=distance, geometry=geometry)
        return Itinerary(leg.departure, leg.arrival, duration, 0, (leg,),
                         self.legs.fare((leg,), request.rider_category, request.fare_medium))
