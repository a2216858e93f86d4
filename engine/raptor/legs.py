"""Public legs from raw RAPTOR legs: names, routes, local datetimes, shapes.txt geometry.

A plan builds a few to a few hundred legs over the same stops, routes and times, so the
per-leg Python work is kept small: stop waypoints and route/trip texts are kept per builder (one
per Network, bounded), and a query's datetimes come from one ``Clock`` per service date.
"""
from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from .._geo import haversine_m
from ..timetable.model import Timetable
from .journey import Fare, Itinerary, Leg, RideRef, Waypoint
from .reconstruct import RawLeg

_UTC = dt.timezone.utc
_HALF_DAY = dt.timedelta(hours=12)
NOT_PRICED = object()     # itinerary(fare=...) not given: price the legs


def local_datetime(date: dt.date, seconds: int, tz: ZoneInfo | None) -> dt.datetime:
    """GTFS time (seconds since noon minus 12 h of `date`) as a local datetime."""
    if tz is None:
        return dt.datetime.combine(date, dt.time()) + dt.timedelta(seconds=seconds)
    noon = dt.datetime.combine(date, dt.time(12), tzinfo=tz).astimezone(dt.timezone.utc)
    return (noon + dt.timedelta(seconds=seconds - 12 * 3600)).astimezone(tz)


def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class Clock:
    """``local_datetime(date, seconds, tz)`` for one (date, tz): the date's time origin is found
    once (noon in UTC minus 12 h), then a time costs one addition and one zone conversion, and a
    time already asked for (legs share their ends) none. Immutable results; safe across threads."""

    __slots__ = ("tz", "_origin", "_memo")
    MAX_TIMES = 4096

    def __init__(self, date: dt.date, tz: ZoneInfo | None):
        self.tz = tz
        if tz is None:
            self._origin = dt.datetime.combine(date, dt.time())
        else:
            self._origin = dt.datetime.combine(date, dt.time(12), tzinfo=tz).astimezone(_UTC) - _HALF_DAY
        self._memo: dict[int, dt.datetime] = {}

    def __call__(self, seconds: int) -> dt.datetime:
        out = self._memo.get(seconds)
        if out is None:
            out = self._origin + dt.timedelta(seconds=seconds)
            if self.tz is not None:
                out = out.astimezone(self.tz)
            if len(self._memo) >= self.MAX_TIMES:
                self._memo.clear()
            self._memo[seconds] = out
        return out


def _remember(cache: dict, key, value, limit: int):
    """cache[key] = value, forgetting everything first when ``limit`` entries are held (a bound
    that needs no lock: dict operations are atomic)."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value


class LegBuilder:
    """Turns RawLegs into public Leg objects (names, routes, datetimes, geometry).

    Keeps what legs repeat (stop waypoints, route and trip texts, per-date clocks), each cache
    bounded, for the builder's lifetime (the Network's): a timetable never changes under it."""

    MAX_STOPS = 1 << 15
    MAX_ROUTES = 1 << 14
    MAX_TRIPS = 1 << 15
    MAX_CLOCKS = 16
    MAX_CUT_POINTS = 1 << 18    # points of the shape cuts kept (~110 bytes each: ~29 MB at most)

    def __init__(self, tt: Timetable, fares: bool = True):
        self.tt = tt
        self.fares = fares          # price itineraries when the bundle has fares (engine.fares)
        self._pricer = None
        self._waypoints: dict[int, Waypoint] = {}
        self._stop_points: dict[int, tuple[float, float]] = {}
        self._routes: dict[int, tuple] = {}
        self._trips: dict[int, tuple] = {}
        self._clocks: dict[tuple, Clock] = {}
        self._cuts: dict[tuple, tuple] = {}
        self._cut_points = 0

    def clock(self, date: dt.date, tz: ZoneInfo | None) -> Clock:
        """The (shared, bounded) Clock of a service date and time zone."""
        key = (date, tz)
        clock = self._clocks.get(key)
        if clock is None:
            clock = _remember(self._clocks, key, Clock(date, tz), self.MAX_CLOCKS)
        return clock

    def waypoint(self, stop: int) -> Waypoint:
        wp = self._waypoints.get(stop)
        if wp is None:
            tt = self.tt
            wp = Waypoint(tt.stop_name(stop), float(tt.stop_lat[stop]), float(tt.stop_lon[stop]), tt.stop_id(stop),
                          self.platform_code(stop))
            _remember(self._waypoints, int(stop), wp, self.MAX_STOPS)
        return wp

    def platform_code(self, stop: int) -> str | None:
        # the column is in the bundle schema (checked at open): "" when the feed gave none
        return self.tt.string("stops", "platform_code", stop) or None

    def _route(self, route: int) -> tuple:
        """(route_id, short name, long name, route_type, agency name) of a routes row."""
        out = self._routes.get(route)
        if out is None:
            tt = self.tt
            out = (tt.string("routes", "route_id", route), tt.string("routes", "short_name", route),
                   tt.string("routes", "long_name", route), int(tt.route_type[route]),
                   tt.string("routes", "agency_name", route))
            _remember(self._routes, route, out, self.MAX_ROUTES)
        return out

    def _trip(self, trip: int) -> tuple:
        """(route row, trip_id, headsign, first row of its pattern's stops, has a shape) of a
        static trip."""
        out = self._trips.get(trip)
        if out is None:
            tt = self.tt
            out = (int(tt.trip_route[trip]), tt.string("trips", "trip_id", trip), tt.string("trips", "headsign", trip),
                   int(tt.pattern_stops_offsets[int(tt.trip_pattern[trip])]), int(tt.trip_shape[trip]) >= 0)
            _remember(self._trips, trip, out, self.MAX_TRIPS)
        return out


    def _points(self, stops: list[int]) -> tuple[tuple[float, float], ...]:
        """(lat, lon) of each stop as Python floats (kept per stop): a ride's geometry without shapes."""
        points = self._stop_points
        try:
            return tuple([points[s] for s in stops])
        except KeyError:
            lat, lon = self.tt.stop_lat, self.tt.stop_lon
            out = tuple([(float(lat[s]), float(lon[s])) for s in stops])
            for s, point in zip(stops, out):
                _remember(points, s, point, self.MAX_STOPS)
            return out

    def build(self, raw: list[RawLeg], date: dt.date, tz: ZoneInfo | None, overlay=None,
              built: dict | None = None) -> list[Leg]:
        """``overlay``: the real-time snapshot the run used (legs on its trips say so, with
        their delay; every leg gets the alerts about it). ``built``: one query's legs by what
        they depend on, to share them between the journeys of its Pareto set (same date, tz and
        overlay for every call with one dict)."""
        clock = self.clock(date, tz)
        legs = []
        last = len(raw) - 1
        for i, r in enumerate(raw):
            if r.kind == "walk":
                dep, arr = r.dep, r.arr
                # a walk between two vehicles is a change (named "change at X" inside one station)
                transfer = 0 < i < last and raw[i - 1].kind != "walk" and raw[i + 1].kind != "walk"
                if i == 0 and last > 0:
                    # Leave just in time for the first vehicle rather than as early as possible.
                    arr = raw[1].dep
                    dep = arr - (r.arr - r.dep)
                if built is None:
                    leg = self.walk_leg(r.from_stop, r.to_stop, dep, arr, clock, transfer)
                else:
                    key = (r.from_stop, r.to_stop, dep, arr, transfer)
                    leg = built.get(key)
                    if leg is None:
                        leg = built[key] = self.walk_leg(r.from_stop, r.to_stop, dep, arr, clock, transfer)
            elif built is None:
                leg = self.transit_leg(r, clock, overlay)
            else:
                leg = built.get(r)
                if leg is None:
                    leg = built[r] = self.transit_leg(r, clock, overlay)
            legs.append(leg)
        return legs

    def walk_leg(self, from_stop: int, to_stop: int, dep: int, arr: int, clock: Clock, transfer: bool) -> Leg:
        """A footpath between two stops (``transfer``: between two vehicles)."""
        origin, dest = self.waypoint(from_stop), self.waypoint(to_stop)
        distance = haversine_m(origin.lat, origin.lon, dest.lat, dest.lon)
        return Leg("walk", origin, dest, clock(dep), clock(arr), arr - dep,
                   distance_m=round(distance, 1) if math.isfinite(distance) else None,
                   geometry=((origin.lat, origin.lon), (dest.lat, dest.lon)), transfer=transfer)

    def transit_leg(self, r: RawLeg, clock: Clock, overlay=None) -> Leg:
        """A ride (static trip, or a real-time trip of ``overlay`` when trip_idx >= n_trips)."""
        tt = self.tt
        dep, arr = r.dep, r.arr
        origin, dest = self.waypoint(r.from_stop), self.waypoint(r.to_stop)
        if r.trip_idx >= tt.n_trips:
            return self._overlay_leg(r, origin, dest, clock, overlay)
        route, trip_id, headsign, start, shaped = self._trip(r.trip_idx)
        stops = tt.pattern_stops[start + r.board_pos:start + r.alight_pos + 1].tolist()
        geometry = (self.shape_between(r.trip_idx, stops[0], stops[-1]) if shaped else ()) or self._points(stops)
        route_id, short_name, long_name, route_type, agency = self._route(route)
        alerts = () if overlay is None or not len(overlay.alerts) else overlay.alerts.for_trip(
            route, r.trip_idx, "", [stops[0], stops[-1]], int(clock(dep).timestamp()))
        return Leg("transit", origin, dest, clock(dep), clock(arr), arr - dep,
                   route_id=route_id, route_short_name=short_name, route_long_name=long_name,
                   route_type=route_type, agency_name=agency, trip_id=trip_id, headsign=headsign,
                   n_stops=int(r.alight_pos - r.board_pos), geometry=geometry, alerts=alerts,
                   ride=RideRef(route, tuple(stops), int(dep), int(arr)))

    def _overlay_leg(self, r: RawLeg, origin: Waypoint, dest: Waypoint, clock: Clock, overlay) -> Leg:
        """A ride on a real-time trip: its route and trip (scheduled or added), its delays."""
        dep, arr = r.dep, r.arr
        record = overlay.record(r.trip_idx)
        # (the texts, points and shape cuts a static trip's leg reads, from the same caches:
        # real-time legs were built per stop and per text from the tables, 2x the static leg's
        # cost; Strasbourg, an overlay of 1,917 trips at delay 0, 3 of 4 legs are on its trips)
        stops = record.stops[r.board_pos:r.alight_pos + 1].tolist()
        static = record.static_trip if record.static_trip >= 0 else None
        geometry = (self.shape_between(static, stops[0], stops[-1]) if static is not None else ()) or \
            self._points(stops)
        delay = arrival_delay = None
        board, alight = overlay.scheduled(record, r.board_pos), overlay.scheduled(record, r.alight_pos)
        if board is not None:
            delay = int(record.dep[r.board_pos]) - board[1]
            arrival_delay = int(record.arr[r.alight_pos]) - alight[0]
        route = int(record.route)
        route_id, short_name, long_name, route_type, agency = self._route(route) if route >= 0 else (None,) * 5
        alerts = () if not len(overlay.alerts) else overlay.alerts.for_trip(
            route, static if static is not None else -1, record.trip_id, [stops[0], stops[-1]],
            int(clock(dep).timestamp()), feed=record.feed)
        return Leg("transit", origin, dest, clock(dep), clock(arr), arr - dep,
                   route_id=route_id, route_short_name=short_name, route_long_name=long_name,
                   route_type=route_type, agency_name=agency, trip_id=record.trip_id,
                   headsign=self._trip(static)[2] if static is not None else None,
                   n_stops=int(r.alight_pos - r.board_pos), geometry=geometry, realtime=True, delay_s=delay,
                   arrival_delay_s=arrival_delay, alerts=alerts,
                   ride=RideRef(route, tuple(stops), int(dep), int(arr)))

    def shape_between(self, trip_idx: int, board: int, alight: int) -> tuple[tuple[float, float], ...]:
        """The trip's shapes.txt polyline cut between its board and alight stops (() if none).
        Kept per (shape, board, alight): the trips of a pattern share their shape, and cutting
        one (two nearest-point searches over its points) was a third of building a ride's leg
        (BART: a fare arrive-by query prices the journeys of ~8 searches)."""
        shape = int(self.tt.trip_shape[trip_idx])
        if shape < 0:
            return ()
        key = (shape, board, alight)
        cut = self._cuts.get(key)
        if cut is None:
            cut = self._cut(shape, board, alight)
            if self._cut_points + len(cut) > self.MAX_CUT_POINTS:
                self._cuts.clear()          # (bounded by their points, not their count: cuts vary a lot)
                self._cut_points = 0
            self._cuts[key] = cut
            self._cut_points += len(cut)
        return cut

    def _cut(self, shape: int, board: int, alight: int) -> tuple[tuple[float, float], ...]:
        tt = self.tt
        a, b = int(tt.shape_offsets[shape]), int(tt.shape_offsets[shape + 1])
        lat, lon = tt.shape_lat[a:b], tt.shape_lon[a:b]
        if len(lat) < 2:
            return ()
        scale = np.cos(np.radians(float(lat[0])))

        def nearest(stop: int, start: int) -> int:
            d = (lat[start:] - tt.stop_lat[stop]) ** 2 + ((lon[start:] - tt.stop_lon[stop]) * scale) ** 2
            return start + int(np.argmin(d)) if len(d) else start

        i = nearest(board, 0)
        j = nearest(alight, i)
        if not (np.isfinite(tt.stop_lat[board]) and np.isfinite(tt.stop_lat[alight])) or j <= i:
            return ()
        return tuple(zip(lat[i:j + 1].tolist(), lon[i:j + 1].tolist()))

    def itinerary(self, n_vehicles: int, arrival_s: int, legs: list[Leg], date: dt.date,
                  start_s: int, tz: ZoneInfo | None, fare: Fare | None | object = NOT_PRICED,
                  rider: str | None = None, medium: str | None = None) -> Itinerary:
        """``fare``: what ``self.fare(legs, rider, medium)`` gave for the same rides, when the
        caller has it."""
        departure = legs[0].departure if legs else self.clock(date, tz)(start_s)
        arrival = legs[-1].arrival if legs else self.clock(date, tz)(arrival_s)
        return Itinerary(departure, arrival, int((arrival - departure).total_seconds()), n_vehicles, tuple(legs),
                         self.fare(legs, rider, medium) if fare is NOT_PRICED else fare)

    def fare(self, legs, rider: str | None = None, medium: str | None = None) -> Fare | None:
        """What the itinerary made of ``legs`` costs (None when the bundle has no fares), for rider
        category ``rider`` with fare medium ``medium`` (fares v2; None: the default rider, the
        cheapest medium)."""
        if not self.fares or not self.tt.bundle.has("fares/attributes"):
            return None
        return self.pricer.price(legs, rider, medium)

    @property
    def pricer(self):
        """The ItineraryPricer of this timetable (made on first use)."""
        if self._pricer is None:
            from ..fares.pricing import ItineraryPricer

            self._pricer = ItineraryPricer(self.tt)
        return self._pricer
