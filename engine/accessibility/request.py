"""An accessibility request (reach, isochrone), checked once: every bad value raises
InvalidQueryError naming its parameter, and nothing downstream re-checks it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .._geo import check_point
from ..errors import BundleError, InvalidQueryError
from ..raptor.request import (DEFAULT_ACCESS_S, DEFAULT_MIN_CHANGE_S, MAX_ACCESS_S, as_point,
                              check_change_time, check_int, check_max_transfers, parse_date, parse_time)
from .graph import MODES

#: Longest travel time a request may ask for (seconds): the per-minute kernels store uint16.
MAX_TIME_S = 6 * 3600
#: Longest departure window (seconds): one search per minute, n_nodes x minutes x 2 B of scratch.
MAX_WINDOW_S = 2 * 3600
#: Most cutoffs in one isochrone.
MAX_CUTOFFS = 12


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """Where from, when, how: the checked values of reach() and isochrone()."""

    origin: tuple[float, float] | None    # a point, or None for a stop origin
    origin_stops: tuple[int, ...]         # the stop origin's platforms (empty for a point)
    origin_label: str                     # "lat,lon" (7 decimals), or the stop reference as given
    mode: str                             # "walk" or "bike": on the streets, to and from transit
    max_time_s: int
    transit: bool
    date: dt.date | None                  # None when transit is off
    window_s: int                         # 0: one departure; else one per minute in the window
    departures: np.ndarray                # int32 seconds on the date's axis, one per minute
    percentile: int
    max_rounds: int                       # vehicles (max_transfers + 1)
    min_change_s: int
    max_access_s: int

    @property
    def start_s(self) -> int:
        return int(self.departures[0])


def check_request(net, origin, *, date, time, mode: str, max_time_s: int, window_s: int,
                  percentile: int, transit: bool | None, max_transfers: int,
                  min_change_time: int, max_access_s: int) -> AccessRequest:
    """The request of reach() / isochrone() on ``net``; InvalidQueryError naming the parameter."""
    if net.streets is None:
        raise BundleError("this bundle has no street network (build it with --osm)")
    if mode not in MODES:
        raise InvalidQueryError(f"mode must be one of {', '.join(MODES)}, got {mode!r}", "mode")
    max_time_s = check_int(max_time_s, "max_time_s", 1, MAX_TIME_S)
    window_s = check_int(window_s, "window_s", 0, MAX_WINDOW_S)
    percentile = check_int(percentile, "percentile", 1, 100)
    max_rounds = check_max_transfers(max_transfers)
    min_change_s = check_change_time(min_change_time)
    max_access_s = check_int(max_access_s, "max_access_s", 0, MAX_ACCESS_S)
    if transit is None:
        transit = net.timetable is not None
    elif not isinstance(transit, (bool, np.bool_)):
        raise InvalidQueryError("transit must be true, false or None", "transit")
    elif transit and net.timetable is None:
        raise InvalidQueryError("transit: this bundle has no timetable (build it with GTFS feeds)",
                                "transit")
    point = as_point(origin)
    stops: tuple[int, ...] = ()
    if point is not None:
        point = check_point(point[0], point[1], "origin")
    elif isinstance(origin, str) and origin.strip() and net.timetable is not None:
        stops = tuple(net.stop_indices(origin, "origin"))
    else:
        raise InvalidQueryError("origin must be (lat, lon), 'lat,lon' or a stop id or name", "origin")
    day_date = None
    start = 0
    if transit:
        if date is None:
            raise InvalidQueryError("date is required for a search with transit", "date")
        if time is None:
            raise InvalidQueryError("time is required for a search with transit", "time")
        day_date = parse_date(date)
        net.timetable.day_index(day_date)          # OutOfPeriodError naming "date"
        start = parse_time(time)
    else:
        if date is not None:
            parse_date(date)                       # unused without transit, but not silently wrong
        if time is not None:
            start = parse_time(time)
    n_minutes = max(1, -(-window_s // 60))
    departures = (start + 60 * np.arange(n_minutes)).astype(np.int32)
    label = f"{point[0]:.7f},{point[1]:.7f}" if point is not None else origin.strip()
    return AccessRequest(point, stops, label, mode, max_time_s, bool(transit), day_date, window_s, departures,
                         percentile, max_rounds, min_change_s, max_access_s)


__all__ = ["AccessRequest", "DEFAULT_ACCESS_S", "DEFAULT_MIN_CHANGE_S", "MAX_CUTOFFS", "MAX_TIME_S",
           "MAX_WINDOW_S", "check_request"]
