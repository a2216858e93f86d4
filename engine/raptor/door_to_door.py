"""Door-to-door journeys: street access to stops, RAPTOR between stops, street egress, and the
direct street-only alternative, merged into one Pareto set (arrival x vehicles).

Access/egress times come from engine.streets (bounded Dijkstra on the OSM walk or bike graph);
bundles without streets fall back to straight-line walking (same model as the footpaths).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidQueryError
from ..timetable.footpaths import haversine_m, walk_seconds
from .journey import Itinerary, Leg, Waypoint
from .search import LegBuilder, RaptorQuery, RaptorRunner, local_datetime

MODES_ACCESS = ("walk", "bike")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Either stops (indices, with zero access time) or a point reached through the streets."""

    waypoint: Waypoint
    stops: np.ndarray            # int32 stop indices
    durations: np.ndarray        # int32 seconds between the point and each stop
    is_point: bool


def check_point(lat, lon, parameter: str) -> tuple[float, float]:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise InvalidQueryError(f"{parameter}: coordinates must be numbers", parameter) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidQueryError(f"{parameter}: ({lat}, {lon}) is not a valid latitude/longitude", parameter)
    return lat, lon


class DoorToDoorPlanner:
    """Composes street access/egress with RAPTOR (no inner loops here)."""

    def __init__(self, runner: RaptorRunner, legs: LegBuilder, streets=None, walk_speed_mps: float = 1.33):
        self.runner = runner
        self.legs = legs
        self.tt = runner.tt
        self.streets = streets
        self.walk_speed_mps = walk_speed_mps

    # ------------------------------------------------------------------ endpoints
    def point_endpoint(self, lat: float, lon: float, mode: str, max_s: int, parameter: str,
                       reverse: bool) -> Endpoint:
        lat, lon = check_point(lat, lon, parameter)
        if self.streets is not None:
            reach = self.streets.stops_within(lat, lon, mode, max_s, reverse=reverse, parameter=parameter)
            stops, durations = np.asarray(reach.stop_idx, np.int32), np.asarray(reach.duration_s, np.int32)
        else:
            if mode != "walk":
                raise InvalidQueryError(f"mode: {mode!r} access needs a bundle built with OSM streets", "mode")
            dist = haversine_m(lat, lon, self.tt.stop_lat, self.tt.stop_lon)
            with np.errstate(invalid="ignore"):
                near = np.flatnonzero((dist <= max_s * self.walk_speed_mps) & (self.tt.stop_location_type == 0))
            durations = walk_seconds(dist[near], self.walk_speed_mps)
            keep = durations <= max_s
            stops, durations = near[keep].astype(np.int32), durations[keep].astype(np.int32)
        name = "origin" if parameter == "origin" else "destination"
        return Endpoint(Waypoint(name, lat, lon), stops, durations, True)

    def stop_endpoint(self, stops: list[int]) -> Endpoint:
        s = stops[0]
        wp = self.legs.waypoint(s)
        return Endpoint(wp, np.asarray(stops, np.int32), np.zeros(len(stops), np.int32), False)

    # ------------------------------------------------------------------ planning
    def plan(self, origin: Endpoint, destination: Endpoint, date: dt.date, day: int, start: int,
             max_rounds: int, change: int, mode: str, tz, max_direct_s: int) -> list[Itinerary]:
        itineraries: list[Itinerary] = []
        if len(origin.stops) and len(destination.stops):
            q = RaptorQuery(origin.stops, (start + origin.durations).astype(np.int32), destination.stops,
                            destination.durations, day, max_rounds, change,
                            walk_before_first=not origin.is_point, walk_after_last=not destination.is_point)
            ws = self.runner.run(q)
            for n_vehicles, arrival_s, raw, target in self.runner.pareto(q, ws):
                if n_vehicles == 0 and (origin.is_point or destination.is_point):
                    continue   # "walk to a stop and walk on" is the direct street route's job
                legs = self.legs.build(raw, date, tz)
                legs = self._with_access(legs, raw, origin, destination, target, mode, date, start, tz)
                itineraries.append(self.legs.itinerary(n_vehicles, arrival_s, legs, date, start, tz))
        direct = self._direct(origin, destination, date, start, mode, tz, max_direct_s)
        if direct is not None:
            # Zero vehicles dominates every journey that does not arrive strictly earlier.
            itineraries = [it for it in itineraries if it.arrival < direct.arrival]
            itineraries.append(direct)
        itineraries.sort(key=lambda it: (it.arrival, it.n_vehicles))
        return itineraries

    def _with_access(self, legs: list[Leg], raw, origin: Endpoint, destination: Endpoint, target: int,
                     mode: str, date: dt.date, start: int, tz) -> list[Leg]:
        out = list(legs)
        if origin.is_point and raw:
            first = raw[0].from_stop
            dur = int(origin.durations[np.flatnonzero(origin.stops == first)[0]])
            board = raw[0].dep
            out.insert(0, self._street_leg(origin.waypoint, self.legs.waypoint(first), mode, board - dur, board,
                                           date, tz))
        if destination.is_point and raw:
            last = raw[-1].to_stop
            dur = int(destination.durations[np.flatnonzero(destination.stops == last)[0]])
            alight = raw[-1].arr
            out.append(self._street_leg(self.legs.waypoint(last), destination.waypoint, mode, alight, alight + dur,
                                        date, tz))
        if self.streets is not None:
            out = [self._footpath_geometry(leg) for leg in out]
        return out

    def _street_leg(self, a: Waypoint, b: Waypoint, mode: str, dep: int, arr: int, date, tz) -> Leg:
        geometry, distance = ((a.lat, a.lon), (b.lat, b.lon)), None
        if self.streets is not None:
            try:
                route = self.streets.route(a.lat, a.lon, b.lat, b.lon, mode)
                geometry, distance = tuple(route.geometry), float(route.distance_m)
            except InvalidQueryError:
                pass   # the stop is linked but its own coordinates do not snap: keep a straight line
        return Leg(mode, a, b, local_datetime(date, dep, tz), local_datetime(date, arr, tz), arr - dep,
                   distance_m=distance, geometry=geometry)

    def _footpath_geometry(self, leg: Leg) -> Leg:
        """Walks between two stops follow the streets when the bundle has them."""
        if leg.mode != "walk" or leg.origin.stop_id is None or leg.destination.stop_id is None:
            return leg
        a = self.tt.find_stop_id(leg.origin.stop_id)
        b = self.tt.find_stop_id(leg.destination.stop_id)
        try:
            route = self.streets.path_between_stops(a, b, "walk")
        except InvalidQueryError:
            return leg
        return dataclasses.replace(leg, distance_m=float(route.distance_m), geometry=tuple(route.geometry))

    def _direct(self, origin: Endpoint, destination: Endpoint, date, start: int, mode: str, tz,
                max_direct_s: int) -> Itinerary | None:
        """The street-only journey, when both ends are points and it is short enough."""
        if not (origin.is_point and destination.is_point):
            return None
        a, b = origin.waypoint, destination.waypoint
        crow_s = float(haversine_m(a.lat, a.lon, b.lat, b.lon)) / (self.walk_speed_mps if mode == "walk" else 6.0)
        if crow_s > max_direct_s:
            return None   # even a straight line would take too long: skip the street search
        if self.streets is not None:
            route = self.streets.route(a.lat, a.lon, b.lat, b.lon, mode)
            duration, geometry, distance = int(route.duration_s), tuple(route.geometry), float(route.distance_m)
        else:
            distance = float(haversine_m(a.lat, a.lon, b.lat, b.lon))
            duration = int(walk_seconds(distance, self.walk_speed_mps))
            geometry = ((a.lat, a.lon), (b.lat, b.lon))
        if duration > max_direct_s:
            return None
        leg = Leg(mode, a, b, local_datetime(date, start, tz), local_datetime(date, start + duration, tz), duration,
                  distance_m=distance, geometry=geometry)
        return Itinerary(leg.departure, leg.arrival, duration, 0, (leg,))
