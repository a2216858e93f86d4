"""Journey-planning orchestration: validate a request, run RAPTOR (engine._core), pick the Pareto
set at the destination, reconstruct it into Itinerary objects. No inner loops here.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from .._core import RaptorWorkspace, run_raptor
from .._types import MAX_ROUNDS, SECONDS_PER_DAY, UNREACHED
from ..errors import InvalidQueryError
from ..timetable.footpaths import haversine_m
from ..timetable.model import Timetable
from .journey import Itinerary, Leg, Waypoint
from .reconstruct import RawLeg, reconstruct

DEFAULT_MIN_CHANGE_S = 60


@dataclass(frozen=True, slots=True)
class RaptorQuery:
    """A validated RAPTOR run: origins/targets as stop indices with times/egress seconds."""

    origin_stop: np.ndarray      # int32
    origin_time: np.ndarray      # int32, seconds on the query date's axis
    target_stop: np.ndarray      # int32 (may be empty: one-to-all)
    target_egress: np.ndarray    # int32 seconds
    day: int                     # day index in the bundle period
    max_rounds: int
    min_change_s: int = DEFAULT_MIN_CHANGE_S
    walk_before_first: bool = True
    walk_after_last: bool = True


def parse_date(value: dt.date | str, parameter: str = "date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidQueryError(f"{parameter}: {value!r} is not a date (expected YYYY-MM-DD)", parameter) from None


def parse_time(value: str | int | dt.time, parameter: str = "time") -> int:
    """'HH:MM[:SS]' (hours may exceed 23, as in GTFS) or seconds -> seconds since noon-minus-12h."""
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        seconds = int(value)
    else:
        parts = str(value).strip().split(":")
        try:
            if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
                raise ValueError
            h, m = int(parts[0]), int(parts[1])
            s = int(parts[2]) if len(parts) == 3 else 0
            if m > 59 or s > 59:
                raise ValueError
        except ValueError:
            raise InvalidQueryError(f"{parameter}: {value!r} is not a time (expected HH:MM or HH:MM:SS)",
                                    parameter) from None
        seconds = h * 3600 + m * 60 + s
    if not 0 <= seconds < 2 * SECONDS_PER_DAY:
        raise InvalidQueryError(f"{parameter}: {value!r} is out of range (00:00 .. 47:59:59)", parameter)
    return seconds


def check_max_transfers(max_transfers: int) -> int:
    if isinstance(max_transfers, bool) or not isinstance(max_transfers, (int, np.integer)):
        raise InvalidQueryError("max_transfers must be an integer", "max_transfers")
    if not 0 <= max_transfers < MAX_ROUNDS:
        raise InvalidQueryError(f"max_transfers must be between 0 and {MAX_ROUNDS - 1}", "max_transfers")
    return int(max_transfers) + 1


def check_change_time(min_change_s: int) -> int:
    if isinstance(min_change_s, bool) or not isinstance(min_change_s, (int, np.integer)) \
            or not 0 <= min_change_s <= 3 * 3600:
        raise InvalidQueryError("min_change_time must be an integer number of seconds in 0..10800",
                                "min_change_time")
    return int(min_change_s)


class RaptorRunner:
    """Runs RAPTOR queries on one timetable with a per-thread reusable workspace."""

    def __init__(self, timetable: Timetable):
        self.tt = timetable
        self._local = threading.local()

    def workspace(self, max_rounds: int) -> RaptorWorkspace:
        ws = getattr(self._local, "ws", None)
        if ws is None or ws.max_rounds < max_rounds:
            ws = RaptorWorkspace(self.tt.n_stops, self.tt.n_patterns, max(max_rounds, 6))
            self._local.ws = ws
        return ws

    def run(self, q: RaptorQuery) -> RaptorWorkspace:
        ws = self.workspace(q.max_rounds)
        next_active = self.tt.next_active(q.day)
        run_raptor(self.tt.view, ws, q.origin_stop, q.origin_time, q.target_stop, q.target_egress,
                   next_active, self.tt.max_day_offset, q.max_rounds, q.min_change_s,
                   q.walk_before_first, q.walk_after_last)
        return ws

    def pareto(self, q: RaptorQuery, ws: RaptorWorkspace) -> list[tuple[int, int, list[RawLeg], int]]:
        """[(n_vehicles, arrival_s, raw legs, target stop)] non-dominated, by arrival."""
        out = []
        prev = UNREACHED
        for k in range(q.max_rounds + 1):
            value = int(ws.target_arr_np[k])
            if value >= prev:
                continue
            # Round 0 ends at an origin (or one walk from it); later rounds end with the k-th
            # vehicle, followed by one footpath only when walk_after_last allows it.
            by_vehicle = k > 0 and not q.walk_after_last
            labels = ws.veh_arr_np[k] if by_vehicle else ws.arrival_np[k]
            totals = labels[q.target_stop].astype(np.int64) + q.target_egress
            target = int(q.target_stop[int(np.argmin(totals))])
            legs = reconstruct(self.tt, ws, k, target, by_vehicle)
            out.append((k, value, legs, target))
            prev = value
        out.reverse()   # fastest first: the last round improving is the earliest arrival
        return out


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

    def build(self, raw: list[RawLeg], date: dt.date, tz: ZoneInfo | None) -> list[Leg]:
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
            pattern = int(tt.trip_pattern[r.trip_idx])
            start = int(tt.pattern_stops_offsets[pattern])
            stops = tt.pattern_stops[start + r.board_pos:start + r.alight_pos + 1]
            geometry = self.shape_between(r.trip_idx, stops[0], stops[-1]) or tuple(
                (float(tt.stop_lat[s]), float(tt.stop_lon[s])) for s in stops)
            route = int(tt.trip_route[r.trip_idx])
            legs.append(Leg(
                "transit", origin, dest, local_datetime(date, dep, tz), local_datetime(date, arr, tz), arr - dep,
                route_id=tt.string("routes", "route_id", route),
                route_short_name=tt.string("routes", "short_name", route),
                route_long_name=tt.string("routes", "long_name", route),
                route_type=int(tt.route_type[route]),
                agency_name=tt.string("routes", "agency_name", route),
                trip_id=tt.string("trips", "trip_id", r.trip_idx),
                headsign=tt.string("trips", "headsign", r.trip_idx),
                n_stops=int(r.alight_pos - r.board_pos), geometry=geometry))
        return legs

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
