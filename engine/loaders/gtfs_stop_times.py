"""stop_times.txt -> sorted, complete, monotone stop times of the feed's valid trips.

Steps (all vectorised): map trip/stop ids, drop unknown ids and bad stop_sequence, count rows
out of order, stable-sort by (trip, stop_sequence), drop duplicate sequences, parse times
(bad -> missing), copy arrival<->departure, skip trips whose first/last stop is untimed or that
have < 2 stop times, interpolate the rest, skip trips whose times decrease.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.loaders.gtfs_csv import CsvTable
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_parse import parse_hms, to_float, to_int
from engine.loaders.gtfs_stops import StopsPart
from engine.loaders.gtfs_times import (cumulative_distance, decreasing_segments, interpolate,
                                       segments)


@dataclass
class StopTimesPart:
    trip: np.ndarray      # int64 local trip index per row, rows sorted trip-major
    stop: np.ndarray      # int32 local stop index
    arr: np.ndarray       # int32
    dep: np.ndarray       # int32
    pickup: np.ndarray    # uint8
    dropoff: np.ndarray   # uint8
    seen: np.ndarray | None = None   # bool per trip: had at least one row in the file
    seq: np.ndarray | None = None    # int32 GTFS stop_sequence per row (GTFS-Realtime matching)
    emptied: np.ndarray | None = None  # bool per trip: every row of it was dropped as invalid


def _index(values: pa.Array, value_set: pa.Array) -> np.ndarray:
    return pc.index_in(values, value_set=value_set).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)


def _pick_drop(t: CsvTable, diag: Diag, name: str, rows: np.ndarray) -> np.ndarray:
    if not t.has(name):
        return np.zeros(len(rows), np.uint8)
    v, bad = to_int(t.get(name).take(pa.array(rows)), 0)
    bad |= (v < 0) | (v > 3)
    diag.rows(f"stop_times.bad_{name}", "fixed", t, rows[bad], name,
              f"{name} not in 0..3, read as 0 (regular)")
    return np.where(bad, 0, v).astype(np.uint8)


def load_stop_times(t: CsvTable, trip_ids: pa.Array, trip_ok: np.ndarray, stops: StopsPart,
                    diag: Diag) -> StopTimesPart:
    diag.count("stop_times.read", t.n_rows)
    trip = _index(t.get("trip_id"), trip_ids)
    unknown_trip = trip < 0
    seen = np.zeros(len(trip_ids), bool)
    seen[trip[~unknown_trip]] = True
    diag.rows("stop_times.unknown_trip", "skipped", t, np.flatnonzero(unknown_trip), "trip_id",
              "trip_id {value!r} is not in trips.txt; row dropped",
              values=t.get("trip_id").filter(pa.array(unknown_trip)))
    stop = _index(t.get("stop_id"), stops.ids)
    unknown_stop = (stop < 0) & ~unknown_trip
    diag.rows("stop_times.unknown_stop", "skipped", t, np.flatnonzero(unknown_stop), "stop_id",
              "stop_id {value!r} is not in stops.txt; row dropped",
              values=t.get("stop_id").filter(pa.array(unknown_stop)))
    seq, bad_seq = to_int(t.get("stop_sequence"), -1)
    bad_seq |= ~t.nonempty("stop_sequence")
    bad_seq &= ~unknown_trip & ~unknown_stop
    diag.rows("stop_times.bad_stop_sequence", "skipped", t, np.flatnonzero(bad_seq),
              "stop_sequence", "missing or bad stop_sequence {value!r}; row dropped",
              values=t.get("stop_sequence").filter(pa.array(bad_seq)))
    keep = ~unknown_trip & ~unknown_stop & ~bad_seq
    # rows of trips already rejected (unknown route/service, duplicate id) go silently
    dropped_trip = keep & ~np.append(trip_ok, False)[trip]          # trip -1 -> False
    diag.count("skipped.stop_times.of_skipped_trip", int(dropped_trip.sum()))
    keep &= ~dropped_trip
    rows = np.flatnonzero(keep)
    trip, stop, seq = trip[rows], stop[rows], seq[rows]
    emptied = seen & trip_ok
    emptied[trip] = False

    # out of order: a row whose stop_sequence is below that of the previous row of the same
    # trip in file order (trips may also be split into several blocks of the file)
    order = np.argsort(trip, kind="stable")
    ts, ss = trip[order], seq[order]
    same = ts[1:] == ts[:-1]
    back = np.flatnonzero(same & (ss[1:] < ss[:-1])) + 1
    if len(back):
        ooo = np.sort(order[back])
        diag.rows("stop_times.out_of_order", "fixed", t, rows[ooo], "stop_sequence",
                  "stop_sequence {value} comes after a larger one of the same trip; rows sorted",
                  values=seq[ooo])
        order = np.lexsort((seq, trip))
    rows, trip, stop, seq = rows[order], trip[order], stop[order], seq[order]
    if len(rows) > 1:
        dup = np.zeros(len(rows), bool)
        dup[1:] = (trip[1:] == trip[:-1]) & (seq[1:] == seq[:-1])
        if dup.any():
            d = np.flatnonzero(dup)
            diag.rows("stop_times.duplicate_sequence", "skipped", t, rows[d], "stop_sequence",
                      "duplicate stop_sequence {value} in its trip; first row kept",
                      values=seq[d])
            k = ~dup
            rows, trip, stop, seq = rows[k], trip[k], stop[k], seq[k]

    sel = pa.array(rows)
    arr_s, bad_a, miss_a = parse_hms(t.get("arrival_time").take(sel))
    dep_s, bad_d, miss_d = parse_hms(t.get("departure_time").take(sel))
    diag.rows("stop_times.bad_time", "fixed", t, rows[bad_a], "arrival_time",
              "malformed arrival_time {value!r}, treated as missing",
              values=t.get("arrival_time").take(pa.array(rows[bad_a])))
    diag.rows("stop_times.bad_time", "fixed", t, rows[bad_d], "departure_time",
              "malformed departure_time {value!r}, treated as missing",
              values=t.get("departure_time").take(pa.array(rows[bad_d])))
    arr_s = np.where(miss_a, dep_s, arr_s)
    dep_s = np.where(miss_d, arr_s, dep_s)
    timed = ~(miss_a & miss_d)
    fixed_one = miss_a ^ miss_d
    diag.count("fixed.stop_times.copied_time", int(fixed_one.sum()))

    starts, ends, seg = segments(trip)
    n_rows = ends - starts
    short = n_rows < 2
    untimed_end = ~short & (~timed[starts] | ~timed[ends - 1])
    _skip_trips(diag, t, rows, starts, short, "trips.too_few_stop_times",
                "trip has fewer than 2 usable stop times; skipped")
    _skip_trips(diag, t, rows, starts, untimed_end, "trips.untimed_first_or_last",
                "first or last stop of the trip has no time; trip skipped")
    keep_seg = ~short & ~untimed_end
    keep_row = keep_seg[seg]
    if not keep_row.all():
        rows, trip, stop, arr_s, dep_s, timed, seq = (x[keep_row] for x in
                                                      (rows, trip, stop, arr_s, dep_s, timed, seq))
        starts, ends, seg = segments(trip)

    n_interp = int((~timed).sum())
    if n_interp:
        sdt = to_float(t.get("shape_dist_traveled").take(pa.array(rows)))[0] \
            if t.has("shape_dist_traveled") else np.full(len(rows), np.nan)
        dist = cumulative_distance(seg, starts, stops.lat[stop], stops.lon[stop], sdt)
        interpolate(arr_s, dep_s, timed, dist)
        diag.count("fixed.stop_times.interpolated", n_interp)
        diag.warn("stop_times.interpolated", t.file, 0, "arrival_time",
                  f"{t.file}: {n_interp} stop times without arrival/departure were "
                  f"interpolated between timed stops")

    bad_seg = decreasing_segments(arr_s, dep_s, starts, seg)
    _skip_trips(diag, t, rows, starts, bad_seg, "trips.decreasing_times",
                "times decrease along the trip; trip skipped")
    if bad_seg.any():
        k = ~bad_seg[seg]
        rows, trip, stop, arr_s, dep_s, seq = (x[k] for x in (rows, trip, stop, arr_s, dep_s, seq))
    diag.count("stop_times.kept", len(rows))
    return StopTimesPart(trip=trip, stop=stop.astype(np.int32), arr=arr_s.astype(np.int32),
                         dep=dep_s.astype(np.int32),
                         pickup=_pick_drop(t, diag, "pickup_type", rows),
                         dropoff=_pick_drop(t, diag, "drop_off_type", rows), seen=seen,
                         emptied=emptied, seq=seq.astype(np.int32))


def _skip_trips(diag: Diag, t: CsvTable, rows: np.ndarray, starts: np.ndarray, mask: np.ndarray,
                code: str, message: str) -> None:
    if mask.any():
        first_rows = rows[starts[mask]]
        diag.rows(code, "skipped", t, first_rows, "trip_id", message + " (trip {value!r})",
                  values=t.get("trip_id").take(pa.array(first_rows)))
