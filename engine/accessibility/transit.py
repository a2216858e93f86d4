"""Stop arrivals per departure minute for an accessibility request: the transit half of reach()
and isochrone() (the street half is engine._isochrone).

A point origin reaches its stops through the streets (``StreetNetwork.stops_within``, the
access of ``plan``), a stop origin boards at its platforms; then RAPTOR runs once per minute
and each stop keeps its best arrival over the rounds (<= max_transfers + 1 vehicles, one walk
between vehicles, footpaths after the last one).

``minute_arrivals`` is the one place that runs RAPTOR here: one range-RAPTOR pass over the
window (``_core.RangeTimes``, as the travel-time matrix: minutes from the last to the first,
labels kept; Delling, Pajor, Werneck 2012) with every stop as a destination.
"""
from __future__ import annotations

import numpy as np

from .._core import RangeTimes
from .._types import UNREACHED
from ..timetable.station_access import through_entrances
from .request import AccessRequest


def access_stops(net, req: AccessRequest) -> tuple[np.ndarray, np.ndarray]:
    """(stop_idx int32, seconds int32) from which RAPTOR starts, relative to a departure."""
    if req.origin is None:
        stops = np.asarray(req.origin_stops, dtype=np.int32)
        return stops, np.zeros(len(stops), dtype=np.int32)
    reach = net.streets.stops_within(req.origin[0], req.origin[1], req.mode, req.max_access_s,
                                     parameter="origin")
    # (platforms inside stations with pathways: through their entrances)
    stops, seconds, _, _ = through_entrances(net.timetable, np.asarray(reach.stop_idx, np.int32),
                                             np.asarray(reach.duration_s, np.int32))
    keep = seconds <= req.max_access_s
    return stops[keep], seconds[keep]


def minute_arrivals(net, req: AccessRequest) -> np.ndarray:
    """int32 [n_minutes, n_stops]: the earliest arrival at each stop (seconds on the date's
    axis; UNREACHED when not reached) for a departure at each of ``req.departures``."""
    tt = net.timetable
    n_stops = tt.n_stops
    out = np.full((len(req.departures), n_stops), UNREACHED, dtype=np.int32)
    stops, durations = access_stops(net, req)
    if not len(stops):
        return out
    departures = np.ascontiguousarray(req.departures[::-1], dtype=np.int32)      # last minute first
    every_stop = np.arange(n_stops, dtype=np.int32)
    times = np.empty((len(departures), n_stops), dtype=np.int32)
    search = RangeTimes(tt.view, tt.next_active(tt.day_index(req.date)), tt.max_day_offset, req.max_rounds,
                        req.min_change_s, req.max_time_s, departures,
                        dest_offsets=np.arange(n_stops + 1, dtype=np.int32), dest_stop=every_stop,
                        dest_egress=np.zeros(n_stops, np.int32), dest_by_vehicle=np.zeros(n_stops, np.uint8))
    search.run(net._runner.workspace(req.max_rounds), stops, durations, req.origin is None,
               np.full(n_stops, UNREACHED, np.int32), times)
    reached = times < UNREACHED
    out[::-1][reached] = (times + departures[:, None])[reached]    # travel times back to arrivals
    return out
