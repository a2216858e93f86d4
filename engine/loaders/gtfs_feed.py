"""One GTFS feed -> FeedPart (clean tables with feed-local indices, ids not yet prefixed).

Orchestrates the per-file modules: stops, agency/routes, calendar, trips, stop_times,
frequencies, transfers, shapes. Merging several feeds is ``gtfs_merge``'s job.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine._types import NO_VALUE
from engine.errors import InputError
from engine.loaders.gtfs_access import PathwaysPart, empty_pathways, load_flag, load_pathways
from engine.loaders.gtfs_calendar import CalendarPart, load_calendar
from engine.loaders.gtfs_csv import CsvTable, FeedSource, read_table
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_frequencies import expand_frequencies
from engine.loaders.gtfs_parse import format_hms, to_int
from engine.loaders.gtfs_routes import RoutesPart, feed_timezone, load_routes
from engine.loaders.gtfs_shapes import load_shapes
from engine.loaders.gtfs_stop_times import StopTimesPart, load_stop_times
from engine.loaders.gtfs_stops import StopsPart, first_occurrence, load_stops
from engine.loaders.gtfs_transfers import TransfersPart, empty_transfers, load_transfers

_ST_COLS = ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence",
            "pickup_type", "drop_off_type", "shape_dist_traveled"]
_REQUIRED = {
    "stops.txt": ("stop_id",),
    "routes.txt": ("route_id",),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence"),
    "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                     "saturday", "sunday", "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
    "transfers.txt": ("from_stop_id", "to_stop_id"),
    "shapes.txt": ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
}


@dataclass
class TripsPart:
    ids: pa.Array
    route: np.ndarray        # int32 local route index
    service: np.ndarray      # int32 local service index
    headsign: pa.Array
    short_name: pa.Array
    direction: np.ndarray    # int8, NO_VALUE
    shape_id: pa.Array       # "" when none
    wheelchair: np.ndarray   # int8 GTFS wheelchair_accessible (0 no information, 1 yes, 2 no)
    bikes: np.ndarray        # int8 GTFS bikes_allowed (same codes)


@dataclass
class FeedPart:
    name: str
    source: str
    sha256: str
    timezone: str
    agency_names: str
    stops: StopsPart
    routes: RoutesPart
    trips: TripsPart
    trip_offsets: np.ndarray
    st: StopTimesPart
    calendar: CalendarPart
    transfers: TransfersPart
    shape_ids: pa.Array
    shape_offsets: np.ndarray
    shape_lat: np.ndarray
    shape_lon: np.ndarray
    pathways: PathwaysPart


def load_feed(src: FeedSource, diag: Diag) -> FeedPart:
    """Read and clean every file of one feed; InputError on a missing required file/column."""
    name = src.name
    counts_before = dict(diag.report.counts)
    for f in ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt"):
        if not src.has(f):
            raise InputError(f"GTFS feed {name!r} ({src.path}): required file {f} is missing")
    if not src.has("calendar.txt") and not src.has("calendar_dates.txt"):
        raise InputError(f"GTFS feed {name!r} ({src.path}): required file calendar.txt or "
                         f"calendar_dates.txt is missing")

    def read(f: str, wanted: list[str] | None = None) -> CsvTable | None:
        if not src.has(f):
            return None
        return read_table(src, f, diag.warn, wanted, _REQUIRED.get(f, ()))

    stops_table = read("stops.txt")
    stops = load_stops(stops_table, diag)
    if len(stops.ids) == 0:
        # (every stop_time would be skipped: a bundle with no stop answers nothing, so a broken
        # or truncated stops.txt is the build's error, not a warning in its report)
        raise InputError(f"GTFS feed {name!r} ({src.path}): stops.txt has no usable stop "
                         f"({stops_table.n_rows} data rows; see the build report for the skipped ones)")
    agency = read("agency.txt")
    timezone, agency_names = feed_timezone(agency, stops, diag)
    routes = load_routes(read("routes.txt"), agency, diag)
    cal = load_calendar(read("calendar.txt"), read("calendar_dates.txt"), diag)
    tt = read("trips.txt")
    raw = _load_trips(tt, routes, cal, diag)
    trip_ids = raw.ids

    st_table = read("stop_times.txt", _ST_COLS)
    if not st_table.has("arrival_time") and not st_table.has("departure_time"):
        raise InputError(f"GTFS feed {name!r}: stop_times.txt lacks required column "
                         f"'arrival_time' (and 'departure_time')")
    st = load_stop_times(st_table, trip_ids, raw.ok, stops, diag)
    del st_table

    never = np.flatnonzero(raw.ok & ~st.seen)
    diag.rows("trips.no_stop_times", "skipped", tt, raw.rows[never], "trip_id",
              "trip {value!r} has no stop_times; skipped", values=trip_ids.take(pa.array(never)))
    emptied = np.flatnonzero(st.emptied)
    diag.rows("trips.too_few_stop_times", "skipped", tt, raw.rows[emptied], "trip_id",
              "trip {value!r} has no usable stop_times left (unknown stops or bad "
              "stop_sequence); skipped", values=trip_ids.take(pa.array(emptied)))

    freq = read("frequencies.txt")
    trips, trip_offsets, st_final = _final_trips(raw, st, freq, diag)
    diag.count("trips.kept", len(trips.ids))
    if len(trips.ids) == 0:
        # (a feed whose every trip was skipped has nothing to route on: the build's error, with
        # the largest reasons of this feed, rather than an empty timetable and a warning)
        skipped = sorted(((n - counts_before.get(k, 0), k) for k, n in diag.report.counts.items()
                          if k.startswith(("skipped.trips.", "skipped.stop_times.", "skipped.routes."))
                          and n > counts_before.get(k, 0)), reverse=True)[:3]
        why = "; ".join(f"{k} {n:,}" for n, k in skipped) or "trips.txt has no data row"
        raise InputError(f"GTFS feed {name!r} ({src.path}): no usable trip ({tt.n_rows:,} rows in trips.txt; {why})")

    tr = read("transfers.txt")
    transfers = load_transfers(tr, stops, diag) if tr is not None and tr.n_rows \
        else empty_transfers()
    sh = read("shapes.txt")
    if sh is not None and sh.n_rows:
        shape_ids, shape_offsets, shape_lat, shape_lon = load_shapes(sh, diag)
    else:
        shape_ids, shape_offsets = pa.array([], pa.string()), np.zeros(1, np.int64)
        shape_lat = shape_lon = np.zeros(0)
    pw = read("pathways.txt")
    pathways = load_pathways(pw, stops.ids, diag) if pw is not None and pw.n_rows else empty_pathways()
    return FeedPart(name=name, source=str(src.path), sha256=src.sha256(), timezone=timezone,
                    agency_names=agency_names, stops=stops, routes=routes, trips=trips,
                    trip_offsets=trip_offsets, st=st_final, calendar=cal, transfers=transfers,
                    shape_ids=shape_ids, shape_offsets=shape_offsets, shape_lat=shape_lat,
                    shape_lon=shape_lon, pathways=pathways)


@dataclass
class _RawTrips:
    """trips.txt after de-duplication, aligned arrays; ``ok`` = known route and service."""

    ids: pa.Array
    rows: np.ndarray
    ok: np.ndarray
    route: np.ndarray
    service: np.ndarray
    headsign: pa.Array
    short_name: pa.Array
    direction: np.ndarray
    shape_id: pa.Array
    wheelchair: np.ndarray
    bikes: np.ndarray

    def select(self, idx: np.ndarray, ids: pa.Array) -> TripsPart:
        sel = pa.array(idx, pa.int64())
        return TripsPart(ids=ids, route=self.route[idx].astype(np.int32),
                         service=self.service[idx].astype(np.int32),
                         headsign=self.headsign.take(sel), short_name=self.short_name.take(sel),
                         direction=self.direction[idx], shape_id=self.shape_id.take(sel),
                         wheelchair=self.wheelchair[idx], bikes=self.bikes[idx])


def _load_trips(t: CsvTable, routes: RoutesPart, cal: CalendarPart, diag: Diag) -> _RawTrips:
    diag.count("trips.read", t.n_rows)
    ids = t.get("trip_id")
    empty = ~t.nonempty("trip_id")
    diag.rows("trips.empty_id", "skipped", t, np.flatnonzero(empty), "trip_id", "empty trip_id")
    keep = ~empty & first_occurrence(ids)
    dup = np.flatnonzero(~keep & ~empty)
    diag.rows("trips.duplicate_id", "skipped", t, dup, "trip_id",
              "duplicate trip_id {value!r}, first one kept", values=ids.take(pa.array(dup)))
    rows = np.flatnonzero(keep)
    sel = pa.array(rows)

    def col(name: str) -> pa.Array:
        return t.get(name).take(sel)

    route = pc.index_in(col("route_id"), value_set=routes.ids).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    service = pc.index_in(col("service_id"), value_set=cal.service_ids).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    bad_route = route < 0
    bad_service = ~bad_route & (service < 0)
    diag.rows("trips.unknown_route", "skipped", t, rows[bad_route], "route_id",
              "route_id {value!r} is not in routes.txt; trip skipped",
              values=col("route_id").filter(pa.array(bad_route)))
    diag.rows("trips.unknown_service", "skipped", t, rows[bad_service], "service_id",
              "service_id {value!r} is in neither calendar.txt nor calendar_dates.txt; "
              "trip skipped", values=col("service_id").filter(pa.array(bad_service)))
    direction, bad_dir = to_int(col("direction_id"), NO_VALUE)
    bad_dir |= (direction != NO_VALUE) & ((direction < 0) | (direction > 1))
    diag.rows("trips.bad_direction_id", "fixed", t, rows[bad_dir], "direction_id",
              "direction_id not 0/1, ignored")
    direction = np.where(bad_dir, NO_VALUE, direction).astype(np.int8)
    return _RawTrips(ids=ids.take(sel), rows=rows, ok=~bad_route & ~bad_service, route=route,
                     service=service, headsign=col("trip_headsign"),
                     short_name=col("trip_short_name"), direction=direction,
                     shape_id=col("shape_id"),
                     wheelchair=load_flag(t, "wheelchair_accessible", rows, "trips.bad_wheelchair_accessible", diag),
                     bikes=load_flag(t, "bikes_allowed", rows, "trips.bad_bikes_allowed", diag))


def _final_trips(raw: _RawTrips, st: StopTimesPart, freq: CsvTable | None, diag: Diag
                 ) -> tuple[TripsPart, np.ndarray, StopTimesPart]:
    """Trips that kept stop times, frequency templates replaced by their expansions
    (appended after the ordinary trips), with their stop times gathered trip by trip."""
    trip_ids = raw.ids
    rows_per_trip = np.bincount(st.trip, minlength=len(trip_ids))
    has_times = rows_per_trip > 0
    starts = np.zeros(len(trip_ids) + 1, np.int64)
    np.cumsum(rows_per_trip, out=starts[1:])
    keep = has_times.copy()
    gen_tmpl = gen_start = np.zeros(0, np.int64)
    if freq is not None and freq.n_rows:
        exp = expand_frequencies(freq, trip_ids, has_times, diag)
        keep[exp.replaced] = False
        gen_tmpl, gen_start = exp.template, exp.start
    kept = np.flatnonzero(keep)
    final = np.concatenate([kept, gen_tmpl])
    # generated trips: the template's times shifted so that its first departure is the start
    shift = np.concatenate([np.zeros(len(kept), np.int64),
                            gen_start - st.dep[starts[gen_tmpl]].astype(np.int64)])
    counts = rows_per_trip[final]
    trip_offsets = np.zeros(len(final) + 1, np.int64)
    np.cumsum(counts, out=trip_offsets[1:])
    gather = np.arange(int(trip_offsets[-1])) + np.repeat(starts[final] - trip_offsets[:-1],
                                                          counts)
    row_shift = np.repeat(shift, counts)
    st_final = StopTimesPart(trip=np.repeat(np.arange(len(final)), counts), stop=st.stop[gather],
                             arr=(st.arr[gather] + row_shift).astype(np.int32),
                             dep=(st.dep[gather] + row_shift).astype(np.int32),
                             pickup=st.pickup[gather], dropoff=st.dropoff[gather],
                             seq=None if st.seq is None else st.seq[gather])
    ids = trip_ids.take(pa.array(kept, pa.int64()))
    if len(gen_tmpl):
        gen_ids = pc.binary_join_element_wise(trip_ids.take(pa.array(gen_tmpl)),
                                              pa.array(format_hms(gen_start), pa.string()), "@")
        ids = pa.concat_arrays([ids, gen_ids])
    return raw.select(final, ids), trip_offsets, st_final
