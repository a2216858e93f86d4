"""Public legs from raw RAPTOR legs: names, routes, local datetimes, shapes.txt geometry."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from .._geo import haversine_m
from ..timetable.model import Timetable
from .journey import Itinerary, Leg, Waypoint
from .reconstruct import RawLeg


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


class LegBuilder:
    """Turns RawLegs into public Leg objects (names, routes, datetimes, geometry)."""

    def __init__(self, tt: Timetable):
        self.tt = tt

    def waypoint(self, stop: int) -> Waypoint:
        tt = self.tt
        return Waypoint(tt.stop_name(stop), float(tt.stop_lat[stop]), float(tt.stop_lon[stop]), tt.stop_id(stop),
                        self.platform_code(stop))

    def platform_code(self, stop: int) -> str | None:
        # the column is in the bundle schema (checked at open): "" when the feed gave none
        return self.tt.string("stops", "platform_code", stop) or None

    def build(self, raw: list[RawLeg], date: dt.date, tz: ZoneInfo | None, overlay=None) -> list[Leg]:
        """``overlay``: the real-time snapshot the run used (legs on its trips say so, with
        their delay; every leg gets the alerts about it)."""
        tt = self.tt
        legs = []
        for i, r in enumerate(raw):
            dep, arr = r.dep, r.arr
            # a walk between two vehicles is a change (named "change at X" inside one station)
            transfer = (r.kind == "walk" and 0 < i < len(raw) - 1 and raw[i - 1].kind != "walk"
                        and raw[i + 1].kind != "walk")
            if r.kind == "walk" and i == 0 and len(raw) > 1:
                # Leave just in time for the first vehicle rather than as early as possible.
                arr = raw[1].dep
                dep = arr - (r.arr - r.dep)
            origin, dest = self.waypoint(r.from_stop), self.waypoint(r.to_stop)
            geometry = ((origin.lat, origin.lon), (dest.lat, dest.lon))
            if r.kind == "walk":
                distance = float(haversine_m(origin.lat, origin.lon, dest.lat, dest.lon))
                legs.append(Leg("walk", origin, dest, local_datetime(date, dep, tz), local_datetime(date, arr, tz),
                                arr - dep, distance_m=round(distance, 1) if np.isfinite(distance) else None,
                                geometry=geometry, transfer=transfer))
                continue
            if r.trip_idx >= tt.n_trips:
                legs.append(self._overlay_leg(r, origin, dest, date, dep, arr, tz, overlay))
                continue
            pattern = int(tt.trip_pattern[r.trip_idx])
            start = int(tt.pattern_stops_offsets[pattern])
            stops = tt.pattern_stops[start + r.board_pos:start + r.alight_pos + 1]
            geometry = self.shape_between(r.trip_idx, stops[0], stops[-1]) or tuple(
                (float(tt.stop_lat[s]), float(tt.stop_lon[s])) for s in stops)
            route = int(tt.trip_route[r.trip_idx])
            alerts = () if overlay is None or not len(overlay.alerts) else overlay.alerts.for_trip(
                route, r.trip_idx, "", [int(stops[0]), int(stops[-1])], self._unix(date, dep, tz))
            legs.append(Leg(
                "transit", origin, dest, local_datetime(date, dep, tz), local_datetime(date, arr, tz), arr - dep,
                route_id=tt.string("routes", "route_id", route),
                route_short_name=tt.string("routes", "short_name", route),
                route_long_name=tt.string("routes", "long_name", route),
                route_type=int(tt.route_type[route]),
                agency_name=tt.string("routes", "agency_name", route),
                trip_id=tt.string("trips", "trip_id", r.trip_idx),
                headsign=tt.string("trips", "headsign", r.trip_idx),
                n_stops=int(r.alight_pos - r.board_pos), geometry=geometry, alerts=alerts))
        return legs

    @staticmethod
    def _unix(date: dt.date, seconds: int, tz) -> int:
        return int(local_datetime(date, seconds, tz).timestamp())

    def _overlay_leg(self, r: RawLeg, origin: Waypoint, dest: Waypoint, date: dt.date, dep: int, arr: int,
                     tz, overlay) -> Leg:
        """A ride on a real-time trip: its route and trip (scheduled or added), its delays."""
        tt = self.tt
        record = overlay.record(r.trip_idx)
        stops = record.stops[r.board_pos:r.alight_pos + 1]
        static = record.static_trip if record.static_trip >= 0 else None
        geometry = (self.shape_between(static, int(stops[0]), int(stops[-1])) if static is not None else ()) or tuple(
            (float(tt.stop_lat[s]), float(tt.stop_lon[s])) for s in stops)
        delay = arrival_delay = None
        board, alight = overlay.scheduled(record, r.board_pos), overlay.scheduled(record, r.alight_pos)
        if board is not None:
            delay = int(record.dep[r.board_pos]) - board[1]
            arrival_delay = int(record.arr[r.alight_pos]) - alight[0]
        route = record.route

        def text(table: str, col: str, row: int) -> str | None:
            return tt.string(table, col, row) if row >= 0 else None
        alerts = () if not len(overlay.alerts) else overlay.alerts.for_trip(
            route, static if static is not None else -1, record.trip_id, [int(stops[0]), int(stops[-1])],
            self._unix(date, dep, tz), feed=record.feed)
        return Leg("transit", origin, dest, local_datetime(date, dep, tz), local_datetime(date, arr, tz), arr - dep,
                   route_id=text("routes", "route_id", route), route_short_name=text("routes", "short_name", route),
                   route_long_name=text("routes", "long_name", route),
                   route_type=int(tt.route_type[route]) if route >= 0 else None,
                   agency_name=text("routes", "agency_name", route),
                   trip_id=record.trip_id,
                   headsign=text("trips", "headsign", static) if static is not None else None,
                   n_stops=int(r.alight_pos - r.board_pos), geometry=geometry, realtime=True, delay_s=delay,
                   arrival_delay_s=arrival_delay, alerts=alerts)

    def shape_between(self, trip_idx: int, board: int, alight: int) -> tuple[tuple[float, float], ...]:
        """The trip's shapes.txt polyline cut between its board and alight stops (() if none)."""
        tt = self.tt
        shape = int(tt.trip_shape[trip_idx])
        if shape < 0:
            return ()
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
                  start_s: int, tz: ZoneInfo | None) -> Itinerary:
        departure = legs[0].departure if legs else local_datetime(date, start_s, tz)
        arrival = legs[-1].arrival if legs else local_datetime(date, arrival_s, tz)
        return Itinerary(departure, arrival, int((arrival - departure).total_seconds()), n_vehicles, tuple(legs))
