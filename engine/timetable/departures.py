"""Next departures at a stop and stops near a point (numpy over the bundle arrays)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .._geo import haversine_m
from .._types import SECONDS_PER_DAY
from .model import Timetable

#: Limits of one query (engine.limits re-exports them for clients).
MAX_DEPARTURES = 200                    # departures listed per request
MIN_DEPARTURES_WINDOW_S = 60            # look-ahead of a departures request, seconds
MAX_DEPARTURES_WINDOW_S = SECONDS_PER_DAY
MAX_STOPS_NEAR = 500                    # stops listed per stops-near request
MAX_NEAR_RADIUS_M = 5000.0              # stops-near search radius, metres


@dataclass(frozen=True, slots=True)
class Departure:
    """One vehicle leaving a stop."""

    stop_id: str
    departure: dt.datetime
    route_id: str
    route_short_name: str
    route_type: int
    trip_id: str
    headsign: str
    realtime: bool = False              # time from a GTFS-Realtime feed
    delay_s: int | None = None          # real-time minus scheduled departure (None: added trip / schedule)
    alerts: tuple = ()                  # service alerts about the stop, route or trip

    def to_dict(self) -> dict:
        """JSON-ready fields (the departure as ISO 8601 with its UTC offset)."""
        out = {name: getattr(self, name) for name in self.__slots__}
        out["departure"] = self.departure.isoformat()
        out["alerts"] = list(self.alerts)
        return out


@dataclass(frozen=True, slots=True)
class NearbyStop:
    stop_id: str
    name: str
    lat: float
    lon: float
    distance_m: float
    location_type: int

    def to_dict(self) -> dict:
        """JSON-ready fields."""
        return {name: getattr(self, name) for name in self.__slots__}


def next_departures(tt: Timetable, stops: list[int], day: int, start_s: int, limit: int,
                    window_s: int, skip: dict | None = None) -> list[tuple[int, int, int]]:
    """(departure seconds on the query axis, stop_idx, trip_idx) of boardable trips, sorted.
    ``skip``: service day -> trip indices that do not run as scheduled that day (real time)."""
    active = tt.active_services(day)
    shift0 = tt.max_day_offset
    found: list[tuple[int, int, int]] = []
    end_s = start_s + window_s
    for s in stops:
        for j in range(int(tt.stop_patterns_offsets[s]), int(tt.stop_patterns_offsets[s + 1])):
            p, pos = int(tt.stop_patterns[j]), int(tt.stop_patterns_pos[j])
            first = int(tt.pattern_stops_offsets[p])
            last_pos = int(tt.pattern_stops_offsets[p + 1]) - first - 1
            if pos == last_pos or not tt.pattern_pickup[first + pos]:
                continue
            n = int(tt.pattern_n_trips[p])
            base = int(tt.pattern_st_offset[p]) + pos * n
            deps = tt.st_dep[base:base + n]
            trips = np.arange(int(tt.pattern_first_trip[p]), int(tt.pattern_first_trip[p]) + n)
            for d in range(-int(tt.pattern_max_day[p]), 2):
                t = deps.astype(np.int64) + d * SECONDS_PER_DAY
                ok = (t >= start_s) & (t < end_s) & (active[d + shift0, tt.trip_service[trips]] == 1)
                if skip and day + d in skip:
                    ok &= ~np.isin(trips, skip[day + d])
                for i in np.flatnonzero(ok)[:limit]:
                    found.append((int(t[i]), s, int(trips[i])))
    found.sort()
    return found[:limit]


def stops_near(tt: Timetable, lat: float, lon: float, radius_m: float, limit: int) -> list[NearbyStop]:
    """Stops (any location type) within radius_m of the point, nearest first."""
    with np.errstate(invalid="ignore"):
        dist = haversine_m(lat, lon, tt.stop_lat, tt.stop_lon)
        idx = np.flatnonzero(dist <= radius_m)
    idx = idx[np.argsort(dist[idx], kind="stable")][:limit]
    return [NearbyStop(tt.stop_id(int(i)), tt.stop_name(int(i)), float(tt.stop_lat[i]), float(tt.stop_lon[i]),
                       round(float(dist[i]), 1), int(tt.stop_location_type[i])) for i in idx]


def realtime_departures(tt: Timetable, overlay, stops: list[int], day: int, date: dt.date, start_s: int,
                        limit: int, window_s: int, tz) -> list[Departure]:
    """Next departures with a real-time overlay: scheduled trips that still run as scheduled,
    and the overlay's trips (changed, added, duplicated) at their real-time times."""
    from ..raptor.legs import local_datetime

    found = [(t, s, trip, None) for t, s, trip in
             next_departures(tt, stops, day, start_s, limit, window_s, overlay.suppressed)]
    view = overlay.view
    if view is not None:
        a = overlay.arrays
        p_off, p_pick, p_first, p_n, p_st, st_dep = (a.pattern_stops_offsets, a.pattern_pickup, a.pattern_first_trip,
                                                     a.pattern_n_trips, a.pattern_st_offset, a.st_dep)
        sp_off, sp_pattern, sp_pos = a.stop_patterns_offsets, a.stop_patterns, a.stop_patterns_pos
        shift = (day - overlay.epoch_day) * SECONDS_PER_DAY
        last_day = day + 1 - overlay.epoch_day
        twin = overlay.static_twin
        for s in stops:
            visits = [(int(sp_pattern[j]), int(sp_pos[j])) for j in range(int(sp_off[s]), int(sp_off[s + 1]))]
            # overlay patterns scanned with their static twin are not in the stop CSR
            visits += [(int(twin[tt.stop_patterns[j]]), int(tt.stop_patterns_pos[j]))
                       for j in range(int(tt.stop_patterns_offsets[s]), int(tt.stop_patterns_offsets[s + 1]))
                       if twin[tt.stop_patterns[j]] >= 0]
            for p, pos in visits:
                if pos == int(p_off[p + 1] - p_off[p]) - 1 or not p_pick[int(p_off[p]) + pos]:
                    continue
                n, first = int(p_n[p]), int(p_first[p])
                deps = st_dep[int(p_st[p]) + pos * n:int(p_st[p]) + (pos + 1) * n].astype(np.int64) - shift
                ok = (deps >= start_s) & (deps < start_s + window_s) & (overlay.trip_day[first:first + n] <= last_day)
                for i in np.flatnonzero(ok)[:limit]:
                    found.append((int(deps[i]), s, tt.n_trips + first + int(i), pos))
    found.sort(key=lambda x: (x[0], x[1], x[2]))
    out = []
    alerts = overlay.alerts
    for t, s, trip, pos in found[:limit]:
        when = local_datetime(date, t, tz)
        if trip < tt.n_trips:
            route, trip_id, static = int(tt.trip_route[trip]), tt.string("trips", "trip_id", trip), trip
            realtime, delay = False, None
        else:
            record = overlay.record(trip)
            route, trip_id, static = record.route, record.trip_id, record.static_trip
            sched = overlay.scheduled(record, pos)
            realtime, delay = True, (int(record.dep[pos]) - sched[1] if sched is not None else None)
        out.append(Departure(
            tt.stop_id(s), when, tt.string("routes", "route_id", route) if route >= 0 else "",
            tt.string("routes", "short_name", route) if route >= 0 else "",
            int(tt.route_type[route]) if route >= 0 else -1, trip_id,
            tt.string("trips", "headsign", static) if static >= 0 else "", realtime, delay,
            alerts.for_trip(route, static, trip_id, [s], int(when.timestamp()), feed=int(tt.stop_feed[s]))
            if len(alerts) else ()))
    return out
