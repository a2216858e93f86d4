"""Next departures at a stop and stops near a point (numpy over the bundle arrays)."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np

from .._types import SECONDS_PER_DAY
from .footpaths import haversine_m
from .model import Timetable


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

    def to_dict(self) -> dict:
        out = asdict(self)
        out["departure"] = self.departure.isoformat()
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
        return asdict(self)


def next_departures(tt: Timetable, stops: list[int], day: int, start_s: int, limit: int,
                    window_s: int) -> list[tuple[int, int, int]]:
    """(departure seconds on the query axis, stop_idx, trip_idx) of boardable trips, sorted."""
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
