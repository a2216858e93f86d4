"""Travel-time matrices: for every origin, range RAPTOR over the departure minutes of a window,
then percentiles of the travel time over those minutes (R5's definition), per destination.

Per origin, ``_core.RangeTimes.run`` runs the whole window without the GIL (the departure
minutes from last to first, each reusing the labels of the one after it) and reads every
destination's arrival; ``_core.percentiles_of`` sorts each destination's minutes and picks the
ranks. Origins are split over native threads; each thread has its own RAPTOR workspace and
every origin's answer depends on nothing else, so the result is the same for any thread count.

Ends (origins or destinations) are stop ids (a station stands for all its platforms) or
``(lat, lon)`` points. A point origin reaches stops by the street network within
``max_access_s`` (as ``plan`` does); a point destination is reached from the stops where a
vehicle can leave you within ``max_access_s`` of it (its street egress), or, from a point
origin, by the street-only journey when it takes at most ``max_direct_s``. A stop destination
counts its earliest arrival, walking included. A point that does not snap to the streets
(too far from any) gets null times; a point to the same point takes 0 s.

Travel time at departure minute m = arrival - m (waiting at the origin counts, as in R5). Over
the n minutes of the window, percentile P is the value of rank ceil(P/100 * n) in the sorted
times (nearest rank, no interpolation: R5's TravelTimeReducer; "unreachable" sorts last), in
seconds (R5 reports whole minutes). A time above ``max_time_s`` is unreachable (null).
"""
from __future__ import annotations

import datetime as dt
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pyarrow as pa

from .._core import RangeTimes, percentiles_of
from .._geo import check_point, haversine_m, walk_seconds
from .._types import UNREACHED
from ..errors import InvalidQueryError, NoRouteError
from ..raptor.planner import BIKE_SPEED_CROW_MPS
from ..raptor.range import departure_minutes
from ..raptor.request import (DEFAULT_ACCESS_S, DEFAULT_MIN_CHANGE_S, MAX_ACCESS_S, MAX_DIRECT_S, MAX_RANGE_S,
                              check_change_time, check_int, check_max_transfers, check_mode, parse_date, parse_time)

MAX_TIME_S = 6 * 3600
MAX_CELLS = 100_000_000          # origins x destinations per call (memory of the answer)


@dataclass(frozen=True)
class Ends:
    """Origins or destinations: ids, and per end either stops or a point."""

    ids: list[str]
    stops: list[list[int] | None]            # stop indices of a stop end, None for a point
    points: list[tuple[float, float] | None]  # (lat, lon) of a point end, None for a stop


def parse_ends(net, value, parameter: str) -> Ends:
    """Stop ids, (lat, lon) points, or a table with id, lat, lon (pyarrow, pandas, GeoJSON)."""
    if isinstance(value, str):
        raise InvalidQueryError(f"{parameter} must be a list of stop ids or points, or a table, not one string",
                                parameter)
    rows: list[tuple[str, Any]] = []
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        for i, f in enumerate(value.get("features") or []):
            geom = (f or {}).get("geometry") or {}
            if geom.get("type") != "Point" or len(geom.get("coordinates") or ()) < 2:
                raise InvalidQueryError(f"{parameter}: feature {i} is not a Point", parameter)
            lon, lat = geom["coordinates"][:2]
            props = f.get("properties") or {}
            rows.append((str(props.get("id", f.get("id", i))), (lat, lon)))
    elif hasattr(value, "column_names") or hasattr(value, "columns"):
        table = value if hasattr(value, "column_names") else pa.Table.from_pandas(value, preserve_index=False)
        names = set(table.column_names)
        if not {"lat", "lon"} <= names:
            raise InvalidQueryError(f"{parameter}: a table needs lat and lon columns (and id)", parameter)
        ids = table.column("id").to_pylist() if "id" in names else list(range(table.num_rows))
        for i, lat, lon in zip(ids, table.column("lat").to_pylist(), table.column("lon").to_pylist()):
            rows.append((str(i), (lat, lon)))
    else:
        try:
            items = list(value)
        except TypeError:
            raise InvalidQueryError(f"{parameter} must be a list of stop ids or points, or a table",
                                    parameter) from None
        for i, item in enumerate(items):
            if isinstance(item, str):
                rows.append((item, None))
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                rows.append((str(i), tuple(item)))
            else:
                raise InvalidQueryError(f"{parameter}[{i}]: expected a stop id or a (lat, lon) pair, got {item!r}",
                                        parameter)
    ids, stops, points = [], [], []
    for i, (ident, point) in enumerate(rows):
        ids.append(ident)
        if point is None:
            stops.append(net.stop_indices(ident, parameter))
            points.append(None)
        else:
            stops.append(None)
            points.append(check_point(point[0], point[1], f"{parameter}[{i}]"))
    return Ends(ids, stops, points)


def all_stops(net) -> Ends:
    """Every boardable stop (platforms, not stations) as a destination, by id."""
    tt = net.timetable
    keep = np.flatnonzero(np.asarray(tt.stop_location_type) == 0)
    return Ends([tt.stop_id(int(s)) for s in keep], [[int(s)] for s in keep], [None] * len(keep))


class _Destinations:
    """Destinations as flat arrays for the kernel: stops and egress seconds per destination."""

    def __init__(self, net, ends: Ends, mode: str, max_access_s: int):
        offsets, stops, egress, by_vehicle = [0], [], [], []
        streets = net.streets
        self.unsnapped = 0
        for stop_list, point in zip(ends.stops, ends.points):
            if point is None:
                stops.extend(stop_list)
                egress.extend([0] * len(stop_list))
                by_vehicle.append(0)
            else:
                s, e = _point_stops(net, streets, point, mode, max_access_s, reverse=True)
                if s is None:
                    self.unsnapped += 1
                else:
                    stops.extend(s.tolist())
                    egress.extend(e.tolist())
                by_vehicle.append(1)
            offsets.append(len(stops))
        self.offsets = np.asarray(offsets, np.int32)
        self.stops = np.asarray(stops, np.int32)
        self.egress = np.asarray(egress, np.int32)
        self.by_vehicle = np.asarray(by_vehicle, np.uint8)
        self.points = ends.points
        self.lat = np.array([p[0] if p else np.nan for p in ends.points])
        self.lon = np.array([p[1] if p else np.nan for p in ends.points])


def _point_stops(net, streets, point, mode: str, max_s: int, reverse: bool):
    """(stops, seconds) of a point's street access (reverse: egress); (None, None) off the network."""
    planner = net._planner
    try:
        ep = planner.point_endpoint(point[0], point[1], mode, max_s, "destination" if reverse else "origin",
                                    reverse=reverse)
    except InvalidQueryError:
        if streets is None:
            raise
        return None, None
    return ep.stops, ep.durations


def travel_time_matrix(net, origins, destinations=None, *, date: dt.date | str, time: str | int,
                       window_s: int = 3600, percentiles: Iterable[int] = (50,), max_time_s: int = 7200,
                       mode: str = "walk", max_transfers: int = 4, threads: int | None = None,
                       min_change_time: int = DEFAULT_MIN_CHANGE_S, walk_before_first: bool = True,
                       max_access_s: int = DEFAULT_ACCESS_S, max_direct_s: int | None = None,
                       progress=None) -> pa.Table:
    """The travel-time matrix (see the module docstring for every rule).

    destinations: None = the origins; "stops" = every boardable stop. window_s: departures
    every minute in [time, time + window_s) (0 = one departure). Returns a table
    ``from_id, to_id, travel_time_p{P}...`` (int32 seconds, null when unreachable), origin-major.
    progress: called with the number of origins done so far (for progress bars).
    """
    tt = net._require_timetable()
    day_date = parse_date(date)
    day = tt.day_index(day_date)
    start = parse_time(time)
    window = check_int(window_s, "window_s", 0, MAX_RANGE_S)
    limit = check_int(max_time_s, "max_time_s", 1, MAX_TIME_S)
    rounds = check_max_transfers(max_transfers)
    change = check_change_time(min_change_time)
    check_mode(mode)
    access = check_int(max_access_s, "max_access_s", 0, MAX_ACCESS_S)
    direct_limit = check_int(2 * access if max_direct_s is None else max_direct_s, "max_direct_s", 0, MAX_DIRECT_S)
    pcts = _check_percentiles(percentiles)
    n_threads = _check_threads(threads)
    o_ends = parse_ends(net, origins, "origins")
    if destinations is None:
        d_ends = o_ends
    elif isinstance(destinations, str) and destinations == "stops":
        d_ends = all_stops(net)
    else:
        d_ends = parse_ends(net, destinations, "destinations")
    n_o, n_d = len(o_ends.ids), len(d_ends.ids)
    if n_o * n_d > MAX_CELLS:
        raise InvalidQueryError(f"{n_o} x {n_d} cells is more than {MAX_CELLS:,}: split the origins", "origins")
    dests = _Destinations(net, d_ends, mode, access)
    minutes = departure_minutes(start, window) if window else np.asarray([start], np.int32)
    ranks = np.asarray([max(0, math.ceil(p / 100 * len(minutes)) - 1) for p in pcts], np.int32)
    runner = net._runner
    search = RangeTimes(tt.view, tt.next_active(day), tt.max_day_offset, rounds, change, limit, minutes,
                        dest_offsets=dests.offsets, dest_stop=dests.stops, dest_egress=dests.egress,
                        dest_by_vehicle=dests.by_vehicle)
    out = np.empty((n_o, n_d, len(pcts)), np.int32)
    speed = net._planner.walk_speed_mps if mode == "walk" else BIKE_SPEED_CROW_MPS

    def one(i: int) -> None:
        point = o_ends.points[i]
        if point is None:
            o_stops = np.asarray(o_ends.stops[i], np.int32)
            o_access = np.zeros(len(o_stops), np.int32)
            direct = np.full(n_d, UNREACHED, np.int32)
        else:
            o_stops, o_access = _point_stops(net, net.streets, point, mode, access, reverse=False)
            if o_stops is None:
                out[i] = UNREACHED
                return
            direct = _direct_times(net, point, dests, mode, direct_limit, speed)
        times = np.empty((len(minutes), n_d), np.int32)
        search.run(runner.workspace(rounds), np.ascontiguousarray(o_stops, np.int32),
                   np.ascontiguousarray(o_access, np.int32), bool(walk_before_first) and point is None, direct, times)
        percentiles_of(times, ranks, out[i])

    done = 0
    if n_threads == 1:
        for i in range(n_o):
            one(i)
            done += 1
            if progress is not None:
                progress(done)
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            for _ in pool.map(one, range(n_o)):
                done += 1
                if progress is not None:
                    progress(done)
    return _table(o_ends.ids, d_ends.ids, out, pcts)


def _direct_times(net, point, dests: _Destinations, mode: str, limit: int, speed: float) -> np.ndarray:
    """Street-only seconds from a point origin to every point destination (UNREACHED if above
    ``limit`` or not on the network); the straight line first rules out the far ones."""
    out = np.full(len(dests.points), UNREACHED, np.int32)
    if limit <= 0:
        return out
    crow = haversine_m(point[0], point[1], dests.lat, dests.lon) / speed
    with np.errstate(invalid="ignore"):
        near = np.flatnonzero(crow <= limit)
    if net.streets is None:
        t = walk_seconds(haversine_m(point[0], point[1], dests.lat[near], dests.lon[near]), speed)
        out[near] = np.where(t <= limit, t, UNREACHED)
        return out
    for j in near:
        lat, lon = dests.points[j]
        if (lat, lon) == tuple(point):
            out[j] = 0      # the same place (a street route would walk to the street and back)
            continue
        try:
            t = int(net.streets.route(point[0], point[1], lat, lon, mode).duration_s)
        except (InvalidQueryError, NoRouteError):
            continue
        if t <= limit:
            out[j] = t
    return out


def _check_percentiles(percentiles) -> list[int]:
    try:
        values = list(percentiles)
    except TypeError:
        raise InvalidQueryError("percentiles must be a list of integers in 1..100", "percentiles") from None
    if not values or len(values) > 20:
        raise InvalidQueryError("percentiles must list 1 to 20 values", "percentiles")
    checked = [check_int(p, "percentiles", 1, 100) for p in values]
    if len(set(checked)) != len(checked):
        raise InvalidQueryError("percentiles must not repeat a value", "percentiles")
    return checked


def _check_threads(threads) -> int:
    if threads is None:
        return max(1, os.cpu_count() or 1)
    return check_int(threads, "threads", 1, 256)


def _table(from_ids: list[str], to_ids: list[str], out: np.ndarray, pcts: list[int]) -> pa.Table:
    n_o, n_d, _ = out.shape
    from_col = pa.DictionaryArray.from_arrays(np.repeat(np.arange(n_o, dtype=np.int32), n_d),
                                              pa.array(from_ids, pa.string())).cast(pa.string())
    to_col = pa.DictionaryArray.from_arrays(np.tile(np.arange(n_d, dtype=np.int32), n_o),
                                            pa.array(to_ids, pa.string())).cast(pa.string())
    columns = {"from_id": from_col, "to_id": to_col}
    for p_i, p in enumerate(pcts):
        values = out[:, :, p_i].reshape(-1)
        columns[f"travel_time_p{p}"] = pa.array(values, pa.int32(), mask=values >= UNREACHED)
    return pa.table(columns)
