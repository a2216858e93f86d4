"""StagedTimetable -> RAPTOR bundle tables: patterns without overtaking, stop-major stop times,
stop -> pattern CSR, service bitsets, footpaths.

BUILD TIME ONLY. The order of stops is kept (bundle stop_idx == staging stop_idx), and every
staged trip ends up in exactly one pattern.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._types import NO_IDX, NO_VALUE
from .accessibility import effective_wheelchair_boarding, step_free_footpaths, stop_street_access
from .footpaths import FootpathOptions, build_footpaths, build_step_free_footpaths
from .staging import StagedTimetable
from .station_walks import GATES, GATES_STEP_FREE, INSIDE, pathway_seconds, station_gates, stations


@dataclass(frozen=True, slots=True)
class PatternLayout:
    """Trips grouped into patterns, in bundle order (patterns, then trips by departure)."""

    trip_order: np.ndarray          # int64 [n_trips]: bundle trip row -> staging trip_idx
    trip_pattern: np.ndarray        # int32 [n_trips], in bundle order
    pattern_trip_count: np.ndarray  # int32 [n_patterns]
    pattern_first_trip: np.ndarray  # int32 [n_patterns]
    pattern_stops_offsets: np.ndarray  # int32 [n_patterns + 1]
    pattern_stops: np.ndarray       # int32
    pattern_pickup: np.ndarray      # uint8 (1 = boarding allowed)
    pattern_dropoff: np.ndarray     # uint8 (1 = alighting allowed)
    pattern_route: np.ndarray       # int32
    st_offsets: np.ndarray          # int64 [n_patterns]
    st_arr: np.ndarray              # int32, pattern-major, stop_pos-major, trip-minor
    st_dep: np.ndarray
    pattern_max_day: np.ndarray     # int32
    st_seq: np.ndarray              # int32 GTFS stop_sequence, same layout as st_arr


def _group_key(tt: StagedTimetable, t: int, route: np.ndarray) -> bytes:
    a, b = tt.trip_offsets[t], tt.trip_offsets[t + 1]
    stops = tt.st_stop_idx[a:b]
    pick = (tt.st_pickup[a:b] != 1).astype(np.uint8)
    drop = (tt.st_dropoff[a:b] != 1).astype(np.uint8)
    return route[t].tobytes() + stops.tobytes() + pick.tobytes() + drop.tobytes()


def _split_no_overtaking(arr: np.ndarray, dep: np.ndarray) -> list[np.ndarray]:
    """Split trips (rows, already sorted by times) into groups where no trip overtakes another.

    Greedy: each trip joins the first group whose last trip it does not overtake (times >= at
    every stop), which keeps every group FIFO by transitivity.
    """
    n = arr.shape[0]
    if n == 1 or (np.all(np.diff(arr, axis=0) >= 0) and np.all(np.diff(dep, axis=0) >= 0)):
        return [np.arange(n)]
    groups: list[list[int]] = []
    for i in range(n):
        for g in groups:
            last = g[-1]
            if np.all(arr[i] >= arr[last]) and np.all(dep[i] >= dep[last]):
                g.append(i)
                break
        else:
            groups.append([i])
    return [np.asarray(g) for g in groups]


def build_patterns(tt: StagedTimetable) -> PatternLayout:
    """Group trips by (route, stop sequence, pickup/drop-off) and split for no overtaking."""
    n_trips = len(tt.trip_offsets) - 1
    route = tt.trips.column("route_idx").to_numpy().astype(np.int32)
    groups: dict[bytes, list[int]] = {}
    for t in range(n_trips):
        groups.setdefault(_group_key(tt, t, route), []).append(t)

    trip_order: list[np.ndarray] = []
    counts, first_trip, routes, max_day = [], [], [], []
    p_stops, p_pick, p_drop, p_len = [], [], [], []
    st_arr_blocks, st_dep_blocks, st_seq_blocks = [], [], []
    all_seq = _stop_sequences(tt)
    next_trip = 0
    for members in groups.values():
        trips = np.asarray(members, dtype=np.int64)
        a0 = tt.trip_offsets[trips[0]]
        m = int(tt.trip_offsets[trips[0] + 1] - a0)
        rows = tt.trip_offsets[trips][:, None] + np.arange(m)[None, :]
        arr = tt.st_arr[rows]
        dep = tt.st_dep[rows]
        seq = all_seq[rows]
        # Lexicographic on (dep at stop 0, ..., then arrivals) keeps ties deterministic.
        order = np.lexsort(tuple(np.concatenate([dep, arr], axis=1).T[::-1]))
        trips, arr, dep, seq = trips[order], arr[order], dep[order], seq[order]
        stops = tt.st_stop_idx[a0:a0 + m]
        pick = (tt.st_pickup[a0:a0 + m] != 1).astype(np.uint8)
        drop = (tt.st_dropoff[a0:a0 + m] != 1).astype(np.uint8)
        for sub in _split_no_overtaking(arr, dep):
            trip_order.append(trips[sub])
            counts.append(len(sub))
            first_trip.append(next_trip)
            next_trip += len(sub)
            routes.append(route[trips[sub[0]]])
            max_day.append(int(max(arr[sub].max(), dep[sub].max())) // 86_400)
            p_stops.append(stops)
            p_pick.append(pick)
            p_drop.append(drop)
            p_len.append(m)
            st_arr_blocks.append(arr[sub].T.ravel())
            st_dep_blocks.append(dep[sub].T.ravel())
            st_seq_blocks.append(seq[sub].T.ravel())

    n_patterns = len(counts)
    pattern_trip_count = np.asarray(counts, dtype=np.int32)
    block_sizes = np.asarray([len(b) for b in st_arr_blocks], dtype=np.int64)
    st_offsets = np.zeros(n_patterns, dtype=np.int64)
    if n_patterns:
        st_offsets[1:] = np.cumsum(block_sizes)[:-1]
    order = np.concatenate(trip_order) if trip_order else np.empty(0, np.int64)
    return PatternLayout(
        trip_order=order,
        trip_pattern=np.repeat(np.arange(n_patterns, dtype=np.int32), pattern_trip_count),
        pattern_trip_count=pattern_trip_count,
        pattern_first_trip=np.asarray(first_trip, dtype=np.int32),
        pattern_stops_offsets=np.concatenate([[0], np.cumsum(p_len)]).astype(np.int32),
        pattern_stops=_concat(p_stops, np.int32),
        pattern_pickup=_concat(p_pick, np.uint8),
        pattern_dropoff=_concat(p_drop, np.uint8),
        pattern_route=np.asarray(routes, dtype=np.int32),
        st_offsets=st_offsets,
        st_arr=_concat(st_arr_blocks, np.int32),
        st_dep=_concat(st_dep_blocks, np.int32),
        pattern_max_day=np.asarray(max_day, dtype=np.int32),
        st_seq=_concat(st_seq_blocks, np.int32),
    )


def _stop_sequences(tt: StagedTimetable) -> np.ndarray:
    """The GTFS stop_sequence of every staged stop time row (positions when unknown)."""
    if len(tt.st_seq) == len(tt.st_stop_idx):
        return np.asarray(tt.st_seq, np.int32)
    offsets = np.asarray(tt.trip_offsets, np.int64)
    counts = np.diff(offsets)
    return (np.arange(int(counts.sum())) - np.repeat(offsets[:-1], counts)).astype(np.int32)


def _flag(table: pa.Table, column: str) -> np.ndarray:
    """int8 GTFS 0/1/2 flag column of a staged table (0 = no information when absent)."""
    if column not in table.column_names:
        return np.zeros(table.num_rows, np.int8)
    return table.column(column).to_numpy().astype(np.int8)


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)


def _csr_list(offsets: np.ndarray, values: np.ndarray, value_type: pa.DataType) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values, type=value_type))


def _shape_tables(tt: StagedTimetable, trip_shape_ids: pa.ChunkedArray) -> tuple[pa.Table, np.ndarray]:
    """timetable/shapes table and the shape row of each trip (NO_IDX when none or unknown)."""
    ids = pa.array(tt.shape_ids, pa.string())
    offsets = np.asarray(tt.shape_offsets, dtype=np.int64)
    table = pa.table({
        "shape_id": ids,
        "lat": pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(tt.shape_lat, pa.float64())),
        "lon": pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(tt.shape_lon, pa.float64())),
    })
    index = pc.index_in(trip_shape_ids, value_set=ids).to_numpy(zero_copy_only=False)
    trip_shape = np.where(np.isnan(index.astype(float)), NO_IDX, index).astype(np.int32) if len(index) else \
        np.empty(0, np.int32)
    return table, trip_shape


def stop_pattern_csr(layout: PatternLayout, n_stops: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Invert pattern -> stops into stop -> (pattern, stop_pos), sorted by stop then pattern."""
    lengths = np.diff(layout.pattern_stops_offsets)
    pattern_of = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    pos_of = (np.arange(len(layout.pattern_stops)) - np.repeat(layout.pattern_stops_offsets[:-1], lengths)).astype(np.int32)
    order = np.lexsort((pos_of, pattern_of, layout.pattern_stops))
    counts = np.bincount(layout.pattern_stops, minlength=n_stops)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return offsets, pattern_of[order], pos_of[order]


def pathway_table(tt: StagedTimetable, seconds: np.ndarray) -> pa.Table:
    """timetable/pathways: the pathways.txt edges (one row per direction), with the ``seconds``
    the footpaths used (station_walks.pathway_seconds), for the walk through a station that an
    itinerary shows (its steps and geometry)."""
    return pa.table({
        "from_idx": pa.array(tt.pathway_from, pa.int32()), "to_idx": pa.array(tt.pathway_to, pa.int32()),
        "mode": pa.array(tt.pathway_mode, pa.int8()), "seconds": pa.array(seconds, pa.int32()),
        "length_m": pa.array(tt.pathway_length_m, pa.float32()),
        "step_free": pa.array(tt.pathway_step_free.astype(np.uint8), pa.uint8()),
        "signposted_as": pa.array(tt.pathway_sign, pa.string()),
    })


def gate_tables(tt: StagedTimetable, station: np.ndarray, inside: np.ndarray,
                seconds: np.ndarray) -> dict[str, pa.Table]:
    """timetable/station_gates (and _step_free, by the step-free pathways): CSR stop -> the
    walks by pathways between a station's entrances and its stops, both ways (``station``,
    ``inside``: station_walks.stations; ``seconds`` per pathway edge)."""
    kind = tt.stops.column("location_type").to_numpy()
    n = len(kind)
    out = {}
    for name, edges in ((GATES, np.ones(len(seconds), bool)), (GATES_STEP_FREE, tt.pathway_step_free)):
        src, dst, dur = station_gates(kind, station, inside, tt.pathway_from[edges], tt.pathway_to[edges],
                                      seconds[edges])
        order = np.lexsort((dur, dst, src))
        src, dst, dur = src[order], dst[order], dur[order]
        first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])] if len(src) else np.zeros(0, bool)
        src, dst, dur = src[first], dst[first], dur[first]
        offsets = np.zeros(n + 1, np.int32)
        np.cumsum(np.bincount(src, minlength=n), out=offsets[1:])
        out[name] = pa.table({"to": _csr_list(offsets, dst.astype(np.int32), pa.int32()),
                              "duration": _csr_list(offsets, dur.astype(np.int32), pa.int32())})
    return out


def build_timetable_tables(tt: StagedTimetable, options: FootpathOptions,
                           street_footpaths: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                           street_step_free: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                           ) -> tuple[dict[str, pa.Table], dict]:
    """All timetable/* bundle tables, plus a summary dict for the manifest."""
    layout = build_patterns(tt)
    n_stops = tt.stops.num_rows
    fp_offsets, fp_to, fp_dur, stop_change, fp_stats = build_footpaths(tt, options, street_footpaths)

    stops = tt.stops
    kind = stops.column("location_type").to_numpy()
    station, inside = stations(n_stops, kind, tt.pathway_from, tt.pathway_to)    # (pathways.txt)
    stop_table = pa.table({
        "stop_id": stops.column("stop_id"), "stop_code": stops.column("stop_code"),
        "name": stops.column("name"), "lat": stops.column("lat"), "lon": stops.column("lon"),
        "location_type": stops.column("location_type"), "parent_idx": stops.column("parent_idx"),
        "feed_idx": stops.column("feed_idx"), "timezone": stops.column("timezone"),
        "platform_code": stops.column("platform_code"),
        "min_change_time": pa.array(stop_change, pa.int32()),
        "wheelchair_boarding": pa.array(effective_wheelchair_boarding(
            _flag(stops, "wheelchair_boarding"), stops.column("parent_idx").to_numpy()), pa.int8()),
        "street_step_free": pa.array(stop_street_access(
            n_stops, kind, tt.pathway_from, tt.pathway_to, tt.pathway_step_free) | np.where(inside, INSIDE, 0),
            pa.int8()),
    })
    fp_step_free = step_free_footpaths(n_stops, fp_offsets, fp_to, kind,
                                       tt.pathway_from, tt.pathway_to, tt.pathway_step_free)
    sf_offsets, sf_to, sf_dur = build_step_free_footpaths(tt, options, street_step_free, fp_offsets, fp_to,
                                                          fp_dur, fp_step_free)
    sort_idx = pc.sort_indices(stops.column("stop_id"))
    id_index = pa.table({"stop_id": stops.column("stop_id").take(sort_idx),
                         "stop_idx": pa.array(sort_idx.to_numpy().astype(np.int32))})

    trips = tt.trips.take(pa.array(layout.trip_order))
    shape_table, trip_shape = _shape_tables(tt, trips.column("shape_id"))
    trip_table = pa.table({
        "trip_id": trips.column("trip_id"), "pattern_idx": pa.array(layout.trip_pattern),
        "route_idx": trips.column("route_idx"), "service_idx": trips.column("service_idx"),
        "headsign": trips.column("headsign"), "short_name": trips.column("short_name"),
        "direction_id": trips.column("direction_id"), "shape_id": trips.column("shape_id"),
        "shape_idx": pa.array(trip_shape, pa.int32()),
        "wheelchair_accessible": pa.array(_flag(trips, "wheelchair_accessible"), pa.int8()),
        "bikes_allowed": pa.array(_flag(trips, "bikes_allowed"), pa.int8()),
    })
    o = layout.pattern_stops_offsets
    pattern_table = pa.table({
        "route_idx": pa.array(layout.pattern_route),
        "stops": _csr_list(o, layout.pattern_stops, pa.int32()),
        "pickup": _csr_list(o, layout.pattern_pickup, pa.uint8()),
        "dropoff": _csr_list(o, layout.pattern_dropoff, pa.uint8()),
        "first_trip": pa.array(layout.pattern_first_trip),
        "n_trips": pa.array(layout.pattern_trip_count),
        "stop_times_offset": pa.array(layout.st_offsets),
        "max_day_offset": pa.array(layout.pattern_max_day),
    })
    sp_offsets, sp_pattern, sp_pos = stop_pattern_csr(layout, n_stops)
    days = np.packbits(tt.service_days.astype(np.uint8), axis=1, bitorder="little")
    services = pa.table({
        "service_id": tt.services.column("service_id"), "feed_idx": tt.services.column("feed_idx"),
        "days": pa.array([row.tobytes() for row in days], pa.binary()),
    })
    feeds = pa.table({
        "name": [f.name for f in tt.feeds], "timezone": [f.timezone for f in tt.feeds],
        "agency_names": [f.agency_names for f in tt.feeds], "source": [f.source for f in tt.feeds],
        "sha256": [f.sha256 for f in tt.feeds],
    })
    tables = {
        "timetable/feeds": feeds,
        "timetable/stops": stop_table,
        "timetable/stop_id_index": id_index,
        "timetable/routes": tt.routes.select(
            ["route_id", "agency_name", "short_name", "long_name", "route_type", "color", "text_color", "feed_idx"]),
        "timetable/patterns": pattern_table,
        "timetable/trips": trip_table,
        "timetable/stop_times": pa.table({"arr": pa.array(layout.st_arr), "dep": pa.array(layout.st_dep),
                                          "seq": pa.array(layout.st_seq)}),
        "timetable/stop_patterns": pa.table({
            "pattern": _csr_list(sp_offsets, sp_pattern, pa.int32()),
            "pos": _csr_list(sp_offsets, sp_pos, pa.int32())}),
        "timetable/footpaths": pa.table({
            "to": _csr_list(fp_offsets, fp_to, pa.int32()),
            "duration": _csr_list(fp_offsets, fp_dur, pa.int32()),
            "step_free": _csr_list(fp_offsets, fp_step_free, pa.uint8())}),
        "timetable/footpaths_step_free": pa.table({
            "to": _csr_list(sf_offsets, sf_to, pa.int32()),
            "duration": _csr_list(sf_offsets, sf_dur, pa.int32())}),
        "timetable/services": services,
        "timetable/shapes": shape_table,
    }
    if len(tt.pathway_from):
        seconds = pathway_seconds(tt.pathway_seconds, tt.pathway_length_m, tt.pathway_from, tt.pathway_to,
                                  stops.column("lat").to_numpy(), stops.column("lon").to_numpy(),
                                  options.walk_speed_mps)
        tables["timetable/pathways"] = pathway_table(tt, seconds)
        if inside.any():
            tables.update(gate_tables(tt, station, inside, seconds))
    lat = stops.column("lat").to_numpy()
    finite = np.isfinite(lat)
    lon = stops.column("lon").to_numpy()
    summary = {
        "counts": {
            "feeds": len(tt.feeds), "stops": n_stops, "routes": tt.routes.num_rows,
            "trips": int(len(layout.trip_order)), "patterns": int(len(layout.pattern_trip_count)),
            "stop_times": int(len(layout.st_arr)), "services": tt.services.num_rows,
            "footpaths": int(len(fp_to)), **fp_stats,
        },
        "period": {"start": tt.period_start.isoformat(), "n_days": tt.n_days,
                   "end": (tt.period_start + dt.timedelta(days=tt.n_days - 1)).isoformat()},
        "bbox": ([float(np.min(lon[finite])), float(np.min(lat[finite])),
                  float(np.max(lon[finite])), float(np.max(lat[finite]))] if finite.any() else None),
        "feeds": [{"name": f.name, "timezone": f.timezone, "source": f.source, "sha256": f.sha256,
                   "agencies": f.agency_names} for f in tt.feeds],
    }
    return tables, summary


__all__ = ["build_timetable_tables", "build_patterns", "PatternLayout", "NO_IDX", "NO_VALUE"]
