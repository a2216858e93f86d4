"""The engine facade: open a bundle once, then ask questions (plan, arrivals, geocode, streets).

``engine.open(path)`` memory-maps the bundle; nothing is parsed. Each component (timetable,
streets, geocoder) is present when the bundle was built with its input.
"""
from __future__ import annotations

import datetime as dt
import os
from functools import cached_property
from typing import Any

import numpy as np

from ._types import UNREACHED
from .bundle.reader import Bundle, open_bundle
from .errors import BundleError, InvalidQueryError
from .raptor.arrive_by import DEFAULT_WINDOW_S, ArriveByPlanner, check_window
from .raptor.door_to_door import MODES_ACCESS, DoorToDoorPlanner, Endpoint, check_point
from .raptor.journey import Plan, Waypoint
from .raptor.search import (DEFAULT_MIN_CHANGE_S, LegBuilder, RaptorQuery, RaptorRunner, check_change_time,
                            check_max_transfers, local_datetime, parse_date, parse_time, zone)
from .timetable.departures import Departure, NearbyStop, next_departures, stops_near
from .timetable.model import Timetable


class Network:
    """A bundle opened for queries. Thread-safe: each thread gets its own RAPTOR workspace."""

    def __init__(self, bundle: Bundle, warmup: bool = False):
        self.bundle = bundle
        self.manifest: dict[str, Any] = bundle.manifest
        self.streets = None
        if bundle.has("streets/nodes"):
            from .streets import StreetNetwork

            self.streets = StreetNetwork.open(bundle)     # maps nothing until a street query
        self.geocoder = None
        if bundle.has("geocoder/docs"):
            from .geocoder import Geocoder

            self.geocoder = Geocoder.open(bundle)         # maps nothing until a geocoding query
        if warmup:
            self.warmup()

    # The timetable, like the streets and the geocoder, is mapped (and its tables checked) on
    # the first query that needs it, so that opening a bundle costs the same whatever its size.
    @cached_property
    def timetable(self) -> Timetable | None:
        return Timetable(self.bundle) if self.bundle.has("timetable/stops") else None

    @cached_property
    def _runner(self) -> RaptorRunner | None:
        return RaptorRunner(self.timetable) if self.timetable is not None else None

    @cached_property
    def _legs(self) -> LegBuilder | None:
        return LegBuilder(self.timetable) if self.timetable is not None else None

    @cached_property
    def _door_to_door(self) -> DoorToDoorPlanner | None:
        if self._runner is None:
            return None
        speed = float(self.manifest.get("options", {}).get("walk_speed_mps", 1.33))
        return DoorToDoorPlanner(self._runner, self._legs, self.streets, speed)

    def warmup(self, everything: bool = False) -> None:
        """Map the timetable and allocate this thread's RAPTOR workspace, so that the first
        request does not pay for it (``engine.open`` maps nothing by default).

        ``everything``: also map the street and geocoder indexes and allocate their workspaces
        (a few ms; a server does it once per query thread at start).
        """
        if self._runner is not None:
            self._runner.workspace(5)
        if everything:
            if self.streets is not None:
                self.streets.warmup()
            if self.geocoder is not None:
                self.geocoder.warmup()

    # ------------------------------------------------------------------ helpers
    def _require_timetable(self) -> Timetable:
        if self.timetable is None:
            raise BundleError("this bundle has no timetable (build it with GTFS feeds)")
        return self.timetable

    def stop_indices(self, ref: str, parameter: str = "stop") -> list[int]:
        """Stop indices for a stop id ("FEED:ID" or unambiguous "ID") or an exact stop name."""
        return self._require_timetable().resolve_stop(ref, parameter)

    def _tz(self, stop: int):
        tt = self._require_timetable()
        return zone(tt.feed_timezones[int(tt.stop_feed[stop])])

    def _waypoint(self, stops: list[int]) -> Waypoint:
        self._require_timetable()
        return self._legs.waypoint(stops[0])       # the legs' waypoints: same fields (platform)

    # ------------------------------------------------------------------ journeys
    def plan(self, origin: str | tuple[float, float], destination: str | tuple[float, float],
             date: dt.date | str, time: str | int, *, max_transfers: int = 4,
             min_change_time: int = DEFAULT_MIN_CHANGE_S, walk_before_first: bool = True,
             walk_after_last: bool = True, mode: str = "walk", max_access_s: int = 900,
             max_direct_s: int | None = None, arrive_by: bool = False,
             max_window_s: int | None = None) -> Plan:
        """Earliest-arrival journeys: the Pareto set (arrival time, number of vehicles); with
        ``arrive_by=True``, latest-departure journeys arriving by ``time`` (see below).

        Parameters
        ----------
        origin, destination : a stop id ("FEED:ID", or "ID" if unambiguous) or exact stop name
            (a station stands for all its platforms), or a ``(lat, lon)`` point reached through
            the streets (door to door).
        date : service date (YYYY-MM-DD); time : departure, "HH:MM[:SS]" local to the feed.
        max_transfers : changes allowed (vehicles = max_transfers + 1).
        min_change_time : seconds needed to change vehicles at the same stop (a stop's own
            transfers.txt minimum wins).
        walk_before_first, walk_after_last : allow one footpath from the origin stop / to the
            destination stop (stop endpoints only).
        mode : "walk" or "bike" for access and egress at point endpoints.
        max_access_s : street time limit for access and for egress, seconds.
        max_direct_s : longest street-only journey offered (default 2 x max_access_s).
        arrive_by : ``time`` is the latest arrival instead of the departure. For each number of
            vehicles k (1 .. max_transfers + 1, 0 for a walk between nearby stops, and the
            street-only direct journey for two points) the journey leaving as LATE as possible
            while arriving at or before ``time``; the answer is the Pareto set of those over
            (later departure, fewer vehicles), each rebuilt by a forward plan from its departure
            (usual legs; its departure is exactly the latest feasible one, to the second).
        max_window_s : arrive-by only: how long before ``time`` a journey may leave, seconds in
            60..86400 (default 4 h). The window never starts before 00:00 of ``date``: trips of
            the previous service day running past midnight are found, journeys leaving before
            midnight are not (ask on the previous date).

        Returns
        -------
        Plan with itineraries sorted by arrival (then fewer vehicles), or, arrive-by, by
        departure, latest first (then fewer vehicles); empty when none.
        """
        tt = self._require_timetable()
        day_date = parse_date(date)
        day = tt.day_index(day_date)
        start = parse_time(time)
        rounds = check_max_transfers(max_transfers)
        change = check_change_time(min_change_time)
        window = _check_arrive_by(arrive_by, max_window_s)
        o_point, d_point = _as_point(origin), _as_point(destination)
        if o_point is None and d_point is None:
            if window is not None:
                d2d = self._door_to_door
                o = d2d.stop_endpoint(self.stop_indices(origin, "origin"))
                d = d2d.stop_endpoint(self.stop_indices(destination, "destination"))
                return self._plan_arrive_by(o, d, day_date, day, start, rounds, change, "walk", 0, window,
                                            walk_before_first, walk_after_last)
            return self._plan_stops(origin, destination, day_date, day, start, rounds, change,
                                    walk_before_first, walk_after_last)
        if mode not in MODES_ACCESS:
            raise InvalidQueryError(f"mode must be one of {', '.join(MODES_ACCESS)}", "mode")
        if isinstance(max_access_s, bool) or not isinstance(max_access_s, (int, np.integer)) \
                or not 0 <= max_access_s <= 7200:
            raise InvalidQueryError("max_access_s must be an integer in 0..7200", "max_access_s")
        direct = 2 * int(max_access_s) if max_direct_s is None else max_direct_s
        if isinstance(direct, bool) or not isinstance(direct, (int, np.integer)) or not 0 <= direct <= 6 * 3600:
            raise InvalidQueryError("max_direct_s must be an integer in 0..21600", "max_direct_s")
        d2d = self._door_to_door
        o = (d2d.point_endpoint(*o_point, mode, max_access_s, "origin", reverse=False) if o_point
             else d2d.stop_endpoint(self.stop_indices(origin, "origin")))
        d = (d2d.point_endpoint(*d_point, mode, max_access_s, "destination", reverse=True) if d_point
             else d2d.stop_endpoint(self.stop_indices(destination, "destination")))
        if window is not None:
            return self._plan_arrive_by(o, d, day_date, day, start, rounds, change, mode, int(direct), window)
        tz = self._default_tz(o)
        itineraries = d2d.plan(o, d, day_date, day, start, rounds, change, mode, tz, int(direct))
        return Plan(o.waypoint, d.waypoint, day_date, _hms(start), tuple(itineraries),
                    {"access_stops": int(len(o.stops)), "egress_stops": int(len(d.stops))})

    def _default_tz(self, endpoint: Endpoint):
        tt = self._require_timetable()
        if len(endpoint.stops):
            return self._tz(int(endpoint.stops[0]))
        return zone(tt.feed_timezones[0]) if tt.feed_timezones else None

    def _plan_arrive_by(self, o: Endpoint, d: Endpoint, day_date: dt.date, day: int, deadline: int,
                        rounds: int, change: int, mode: str, max_direct_s: int, window: int,
                        walk_before_first: bool = True, walk_after_last: bool = True) -> Plan:
        """Arrive-by plan between two endpoints (engine.raptor.arrive_by holds the method)."""
        planner = ArriveByPlanner(self._door_to_door)
        itineraries, stats = planner.plan(o, d, day_date, day, deadline, rounds, change, mode, self._default_tz(o),
                                          max_direct_s, window, walk_before_first, walk_after_last)
        if o.is_point or d.is_point:
            stats.update(access_stops=int(len(o.stops)), egress_stops=int(len(d.stops)))
        return Plan(o.waypoint, d.waypoint, day_date, _hms(deadline), tuple(itineraries), stats)

    def _plan_stops(self, origin: str, destination: str, day_date: dt.date, day: int, start: int, rounds: int,
                    change: int, walk_before_first: bool, walk_after_last: bool) -> Plan:
        origins = self.stop_indices(origin, "origin")
        targets = self.stop_indices(destination, "destination")
        q = RaptorQuery(np.asarray(origins, np.int32), np.full(len(origins), start, np.int32),
                        np.asarray(targets, np.int32), np.zeros(len(targets), np.int32), day, rounds,
                        change, bool(walk_before_first), bool(walk_after_last))
        ws = self._runner.run(q)
        tz = self._tz(origins[0])
        itineraries = []
        for n_vehicles, arrival_s, raw, _ in self._runner.pareto(q, ws):
            legs = self._legs.build(raw, day_date, tz)
            if self._door_to_door is not None and self.streets is not None:
                legs = [self._door_to_door._footpath_geometry(leg) for leg in legs]
            itineraries.append(self._legs.itinerary(n_vehicles, arrival_s, legs, day_date, start, tz))
        return Plan(self._waypoint(origins), self._waypoint(targets), day_date, _hms(start), tuple(itineraries),
                    {"rounds": ws.rounds_run})

    def departures(self, stop: str, date: dt.date | str, time: str | int, *, limit: int = 10,
                   window_s: int = 3 * 3600) -> list[Departure]:
        """Next departures (boardable vehicles) at a stop or station, in time order."""
        tt = self._require_timetable()
        day_date = parse_date(date)
        day = tt.day_index(day_date)
        start = parse_time(time)
        _check_int(limit, "limit", 1, 200)
        _check_int(window_s, "window_s", 60, 24 * 3600)
        stops = self.stop_indices(stop, "stop")
        tz = self._tz(stops[0])
        out = []
        for t, s, trip in next_departures(tt, stops, day, start, int(limit), int(window_s)):
            route = int(tt.trip_route[trip])
            out.append(Departure(tt.stop_id(s), local_datetime(day_date, t, tz), tt.string("routes", "route_id", route),
                                 tt.string("routes", "short_name", route), int(tt.route_type[route]),
                                 tt.string("trips", "trip_id", trip), tt.string("trips", "headsign", trip)))
        return out

    def stops_near(self, lat: float, lon: float, *, radius_m: float = 500.0, limit: int = 20) -> list[NearbyStop]:
        """Stops within radius_m of a point, nearest first."""
        lat, lon = check_point(lat, lon, "point")
        if not isinstance(radius_m, (int, float, np.integer, np.floating)) or not 0 < radius_m <= 5000:
            raise InvalidQueryError("radius_m must be in (0, 5000]", "radius_m")
        _check_int(limit, "limit", 1, 500)
        return stops_near(self._require_timetable(), lat, lon, float(radius_m), int(limit))

    # ------------------------------------------------------------------ streets
    def route(self, from_lat: float, from_lon: float, to_lat: float, to_lon: float, mode: str = "walk"):
        """Street-only route (walk, bike or car) with distance, duration and geometry."""
        if self.streets is None:
            raise BundleError("this bundle has no street network (build it with --osm)")
        return self.streets.route(from_lat, from_lon, to_lat, to_lon, mode)

    # ------------------------------------------------------------------ geocoding
    def _require_geocoder(self):
        if self.geocoder is None:
            raise BundleError("this bundle has no geocoder index (build it with addresses, OSM or GTFS)")
        return self.geocoder

    def geocode(self, q: str, **kwargs):
        """Search addresses, streets, places and stops (see engine.geocoder.Geocoder.search)."""
        return self._require_geocoder().search(q, **kwargs)

    def reverse(self, lat: float, lon: float, **kwargs):
        """Nearest documents to a point (see engine.geocoder.Geocoder.reverse)."""
        return self._require_geocoder().reverse(lat, lon, **kwargs)

    def round_arrivals(self, origin_stop_idx: np.ndarray, origin_time_s: np.ndarray, date: dt.date | str,
                       max_rounds: int, *, min_change_time: int = DEFAULT_MIN_CHANGE_S,
                       walk_before_first: bool = True) -> np.ndarray:
        """int32 [max_rounds + 1, n_stops]: earliest arrival with <= k vehicles at every stop
        (seconds since the date's noon-minus-12h; UNREACHED when unreachable)."""
        tt = self._require_timetable()
        day = tt.day_index(parse_date(date))
        stops = np.ascontiguousarray(origin_stop_idx, dtype=np.int32)
        times = np.ascontiguousarray(origin_time_s, dtype=np.int32)
        if stops.shape != times.shape or stops.ndim != 1:
            raise InvalidQueryError("origin stops and times must be 1-D arrays of the same length", "origin")
        if len(stops) and (stops.min() < 0 or stops.max() >= tt.n_stops):
            raise InvalidQueryError("origin stop index out of range", "origin")
        if not 0 <= max_rounds < 16:
            raise InvalidQueryError("max_rounds must be in 0..15", "max_rounds")
        q = RaptorQuery(stops, times, np.empty(0, np.int32), np.empty(0, np.int32), day, int(max_rounds),
                        check_change_time(min_change_time), bool(walk_before_first), True)
        ws = self._runner.run(q)
        return np.array(ws.arrival_np[:max_rounds + 1], copy=True)

    def earliest_arrivals(self, origin: str, date: dt.date | str, time: str | int, *, max_transfers: int = 4,
                          min_change_time: int = DEFAULT_MIN_CHANGE_S) -> dict[str, dt.datetime]:
        """One-to-all: stop id -> earliest arrival datetime, for every reachable stop."""
        self._require_timetable()
        day_date = parse_date(date)
        origins = self.stop_indices(origin, "origin")
        start = parse_time(time)
        labels = self.round_arrivals(np.asarray(origins), np.full(len(origins), start), day_date,
                                     check_max_transfers(max_transfers), min_change_time=min_change_time)
        best = labels[-1]
        tz = self._tz(origins[0])
        ids = self.bundle.strings("timetable/stops", "stop_id")
        return {ids[int(s)].as_py(): local_datetime(day_date, int(best[s]), tz)
                for s in np.flatnonzero(best < UNREACHED)}

    # ------------------------------------------------------------------ info
    def info(self) -> dict[str, Any]:
        """Bundle summary (manifest without the per-table details)."""
        return {k: v for k, v in self.manifest.items() if k not in ("tables",)}


def _as_point(value) -> tuple[float, float] | None:
    """(lat, lon) from a tuple/list of two numbers or a "lat,lon" string; None for a stop ref."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, str) and value.count(",") == 1:
        a, b = value.split(",")
        try:
            return float(a), float(b)
        except ValueError:
            return None
    return None


def _check_arrive_by(arrive_by, max_window_s) -> int | None:
    """The arrive-by search window in seconds, or None for a departure-time query."""
    if not isinstance(arrive_by, (bool, np.bool_)):
        raise InvalidQueryError("arrive_by must be true or false", "arrive_by")
    if not arrive_by:
        if max_window_s is not None:
            raise InvalidQueryError("max_window_s applies to arrive_by queries only", "max_window_s")
        return None
    return check_window(DEFAULT_WINDOW_S if max_window_s is None else max_window_s)


def _check_int(value, parameter: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise InvalidQueryError(f"{parameter} must be an integer in {low}..{high}", parameter)


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def open(path: str | os.PathLike, warmup: bool = False) -> Network:  # noqa: A001 - public API name
    """Open a bundle directory for queries: reads the manifest and checks the files' sizes;
    every table is mapped on the first query that needs it (``warmup=True``: map the timetable
    and allocate this thread's RAPTOR workspace now)."""
    return Network(open_bundle(path), warmup=warmup)
