"""StagedTimetable: the clean, trip-level timetable that loaders hand to the timetable builder.

This is the contract between ``engine.loaders.gtfs`` (parsing, cleaning, merging feeds) and
``engine.timetable.build`` (patterns, stop-major stop times, footpaths, bundle tables).
Every id is already prefixed with its feed name ("FEED:ID"), every index is global to the merged
timetable, every trip has complete, non-decreasing times (missing ones interpolated) and at least
two stop times, and frequency-based trips are already expanded into ordinary trips.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa


@dataclass(slots=True)
class Issue:
    """One thing the loader skipped, fixed or doubts, with where it was found."""

    severity: str          # "warning" (skipped/fixed, build goes on) or "error" (build fails)
    code: str              # short stable key, e.g. "stop_times.bad_time", "stops.swapped_coordinates"
    feed: str
    file: str              # e.g. "stop_times.txt"
    line: int              # 1-based line in the file (header = 1), 0 when not about one row
    field: str             # column name, "" when not about one field
    message: str


@dataclass(slots=True)
class BuildReport:
    """What a build read, skipped and fixed; printed by the CLI and stored in the manifest."""

    issues: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)   # e.g. {"stop_times.read": 531295, ...}

    def warn(self, code: str, feed: str, file: str, line: int, field_: str, message: str) -> None:
        self.issues.append(Issue("warning", code, feed, file, line, field_, message))

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def summary(self) -> dict[str, int]:
        """Number of issues per code. The stored list is capped per code, so exact totals come
        from the counters ("skipped.<code>", "fixed.<code>", "warnings.<code>") when present."""
        out: dict[str, int] = {}
        for issue in self.issues:
            out[issue.code] = out.get(issue.code, 0) + 1
        for code in list(out):
            counted = sum(self.counts.get(f"{kind}.{code}", 0) for kind in ("skipped", "fixed", "warnings"))
            out[code] = max(out[code], counted)
        return out


@dataclass(slots=True)
class FeedInfo:
    name: str              # id prefix, e.g. "cts"
    timezone: str          # agency_timezone
    agency_names: str
    source: str            # input path
    sha256: str


@dataclass(slots=True)
class StagedTimetable:
    """All feeds merged, trip-level, cleaned. Tables use the column names given below."""

    feeds: list[FeedInfo]
    # stops: stop_id (prefixed), stop_code, name, lat, lon (float64, NaN if unusable),
    #        location_type (int8), parent_idx (int32, NO_IDX), feed_idx (int32), timezone,
    #        platform_code.  Row = stop_idx. All location types are kept.
    stops: pa.Table
    # routes: route_id, agency_name, short_name, long_name, route_type (int32), color,
    #         text_color, feed_idx (int32).  Row = route_idx.
    routes: pa.Table
    # trips: trip_id, route_idx (int32), service_idx (int32), headsign, short_name,
    #        direction_id (int8, NO_VALUE), shape_id, feed_idx (int32).  Row = trip_idx.
    trips: pa.Table
    # stop times, trip-major, in stop_sequence order:
    trip_offsets: np.ndarray    # int64 [n_trips + 1]; trip t has rows trip_offsets[t]:trip_offsets[t+1]
    st_stop_idx: np.ndarray     # int32
    st_arr: np.ndarray          # int32 seconds since noon-minus-12h of the service day
    st_dep: np.ndarray          # int32, >= st_arr, and st_arr[i+1] >= st_dep[i] within a trip
    st_pickup: np.ndarray       # uint8 GTFS pickup_type (0 regular, 1 none, 2 phone, 3 driver)
    st_dropoff: np.ndarray      # uint8 GTFS drop_off_type
    # services: service_id (prefixed), feed_idx (int32).  Row = service_idx.
    services: pa.Table
    service_days: np.ndarray    # bool [n_services, n_days]: active on period_start + d
    period_start: dt.date
    # transfers.txt rows that apply between stops (trip/route-specific ones are skipped):
    transfer_from: np.ndarray   # int32 stop_idx
    transfer_to: np.ndarray     # int32 stop_idx
    transfer_type: np.ndarray   # int8 GTFS transfer_type 0..3
    transfer_min_time: np.ndarray  # int32 seconds, NO_VALUE when absent
    # shapes (optional, for leg geometry): shape_id (prefixed), offsets into lat/lon
    shape_ids: list[str] = field(default_factory=list)
    shape_offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    shape_lat: np.ndarray = field(default_factory=lambda: np.empty(0))
    shape_lon: np.ndarray = field(default_factory=lambda: np.empty(0))
    report: BuildReport = field(default_factory=BuildReport)
    # GTFS stop_sequence of each stop time row (same rows as st_stop_idx); empty = positions
    # 0, 1, 2 ... (a timetable made without GTFS files). Kept for GTFS-Realtime matching.
    st_seq: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    # pathways.txt edges between stops, one row per direction (empty without pathways.txt);
    # stops also carry wheelchair_boarding (int8, as given) and trips wheelchair_accessible,
    # bikes_allowed (int8 GTFS 0/1/2) when the merge provides them (engine/loaders/gtfs_access.py)
    pathway_from: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    pathway_to: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    pathway_step_free: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    pathway_seconds: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))   # -1: none given
    pathway_length_m: np.ndarray = field(default_factory=lambda: np.empty(0))            # NaN: none given
    pathway_mode: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))       # pathway_mode
    pathway_sign: list = field(default_factory=list)      # signposted_as (reversed_ for the way back)
    # the fares/* bundle tables (engine.loaders.gtfs_fares), None when no feed has fare files
    fares: dict | None = None

    @property
    def n_days(self) -> int:
        return int(self.service_days.shape[1])
