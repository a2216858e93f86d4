"""frequencies.txt -> ordinary trips (exact_times 0 and 1 alike).

Each row (trip, start, end, headway) yields trips departing start, start + h, ... < end, whose
stop times are the template's shifted so that the first departure is that start time. The
template trip itself is replaced by its expansions (kept only if none of its rows is valid).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.loaders.gtfs_csv import CsvTable
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_parse import parse_hms, to_int

MAX_TRIPS_PER_ROW = 10_000


@dataclass
class Expansion:
    template: np.ndarray   # int64 local trip index of each generated trip
    start: np.ndarray      # int64 first departure of each generated trip (seconds)
    replaced: np.ndarray   # int64 local trip indices that are replaced by expansions


def expand_frequencies(t: CsvTable, trip_ids: pa.Array, has_times: np.ndarray,
                       diag: Diag) -> Expansion:
    """``has_times[trip]``: the trip survived stop_times cleaning (can serve as a template)."""
    diag.count("frequencies.read", t.n_rows)
    trip = pc.index_in(t.get("trip_id"), value_set=trip_ids).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    start, bad_s, miss_s = parse_hms(t.get("start_time"))
    end, bad_e, miss_e = parse_hms(t.get("end_time"))
    head, bad_h = to_int(t.get("headway_secs"), -1)
    bad_h |= head <= 0
    unknown = trip < 0
    no_times = ~unknown & ~np.append(has_times, False)[trip]
    diag.rows("frequencies.unknown_trip", "skipped", t, np.flatnonzero(unknown), "trip_id",
              "trip_id {value!r} is not a known trip; row skipped",
              values=t.get("trip_id").filter(pa.array(unknown)))
    diag.rows("frequencies.trip_skipped", "skipped", t, np.flatnonzero(no_times), "trip_id",
              "template trip {value!r} has no usable stop times; row skipped",
              values=t.get("trip_id").filter(pa.array(no_times)))
    ok = ~unknown & ~no_times
    bad_time = ok & (miss_s | miss_e)
    diag.rows("frequencies.bad_time", "skipped", t, np.flatnonzero(bad_time), "start_time",
              "missing or malformed start_time/end_time; row skipped")
    ok &= ~bad_time
    bad_head = ok & bad_h
    diag.rows("frequencies.bad_headway", "skipped", t, np.flatnonzero(bad_head), "headway_secs",
              "empty or invalid headway_secs {value!r}; row skipped",
              values=t.get("headway_secs").filter(pa.array(bad_head)))
    ok &= ~bad_head
    empty_window = ok & (end <= start)
    diag.rows("frequencies.empty_window", "skipped", t, np.flatnonzero(empty_window), "end_time",
              "end_time is not after start_time; row skipped")
    ok &= ~empty_window
    rows = np.flatnonzero(ok)
    count = -((start[rows] - end[rows]) // head[rows])       # ceil((end - start) / h)
    too_many = count > MAX_TRIPS_PER_ROW
    diag.rows("frequencies.too_many_trips", "fixed", t, rows[too_many], "headway_secs",
              f"expansion capped at {MAX_TRIPS_PER_ROW} trips")
    count = np.minimum(count, MAX_TRIPS_PER_ROW)
    tmpl = np.repeat(trip[rows], count)
    base = np.repeat(start[rows], count)
    step = np.repeat(head[rows], count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    diag.count("frequencies.trips_generated", len(tmpl))
    return Expansion(template=tmpl, start=base + k * step, replaced=np.unique(trip[rows]))
