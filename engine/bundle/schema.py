"""Arrow schemas of every bundle table: the one definition of the on-disk format.

Layout rules (see docs/bundle.md):
- one table per file ``<group>/<name>.arrow``, uncompressed Arrow IPC *file* format, one record
  batch, so a memory map gives zero-copy numpy views;
- no nulls in numeric columns: sentinels from ``engine._types`` (NO_IDX, NO_VALUE, UNREACHED);
- CSR relations are ``list<T>`` columns: offsets + values, exposed by the reader as
  ``(offsets, values)`` numpy pairs;
- names say ``<key>_<value>``; times are int32 seconds since the service day's noon-minus-12h.

FORMAT_VERSION history (bump on any format or semantic change):
  1  2026-11-25  first format: timetable/*, streets/*, geocoder/*.
"""
from __future__ import annotations

import pyarrow as pa

FORMAT_VERSION = 1
MAGIC = "brique-bundle"

_i8, _i16, _i32, _i64 = pa.int8(), pa.int16(), pa.int32(), pa.int64()
_u8, _u32, _f32, _f64, _str = pa.uint8(), pa.uint32(), pa.float32(), pa.float64(), pa.string()

TABLES: dict[str, pa.Schema] = {
    # ---------------------------------------------------------------- timetable
    # One row per feed merged into the bundle.
    "timetable/feeds": pa.schema([
        ("name", _str),            # short feed name, prefix of every id of that feed ("FEED:ID")
        ("timezone", _str),        # agency_timezone (IANA); stop times are local to it
        ("agency_names", _str),    # "; "-joined agency names
        ("source", _str),          # file name of the input
        ("sha256", _str),          # digest of the input file
    ]),
    # One row per GTFS stop of any location_type. Row index = stop_idx.
    "timetable/stops": pa.schema([
        ("stop_id", _str),         # "FEED:GTFS_ID" (unique in the bundle)
        ("stop_code", _str),
        ("name", _str),
        ("lat", _f64),             # NaN when the feed gave no usable coordinate
        ("lon", _f64),
        ("location_type", _i8),    # GTFS location_type (0 stop/platform, 1 station, 2 entrance, ...)
        ("parent_idx", _i32),      # stop_idx of parent_station, NO_IDX if none
        ("feed_idx", _i32),
        ("timezone", _str),        # stop_timezone ("" = feed timezone)
        ("platform_code", _str),
        ("min_change_time", _i32), # same-stop change time from transfers.txt, NO_VALUE = query default
    ]),
    # Stop ids sorted, for O(log n) lookup by binary search without parsing at open.
    "timetable/stop_id_index": pa.schema([
        ("stop_id", _str),         # sorted ascending (byte order)
        ("stop_idx", _i32),
    ]),
    # One row per GTFS route (line metadata; never a RAPTOR "route").
    "timetable/routes": pa.schema([
        ("route_id", _str),        # "FEED:GTFS_ID"
        ("agency_name", _str),
        ("short_name", _str),
        ("long_name", _str),
        ("route_type", _i32),
        ("color", _str),
        ("text_color", _str),
        ("feed_idx", _i32),
    ]),
    # One row per pattern: trips with the same stops and pickup/drop-off, with no overtaking.
    "timetable/patterns": pa.schema([
        ("route_idx", _i32),
        ("stops", pa.list_(_i32)),     # CSR pattern -> stop_idx, by stop_pos
        ("pickup", pa.list_(_u8)),     # 1 if boarding allowed at stop_pos (same offsets as stops)
        ("dropoff", pa.list_(_u8)),    # 1 if alighting allowed at stop_pos
        ("first_trip", _i32),          # trips of the pattern are rows first_trip .. first_trip+n_trips-1
        ("n_trips", _i32),
        ("stop_times_offset", _i64),   # first row of the pattern's block in stop_times
        ("max_day_offset", _i32),      # largest (time // 86400) in the block: days a trip can run over
    ]),
    # One row per trip, grouped by pattern, sorted by departure at the first stop (then by all times).
    "timetable/trips": pa.schema([
        ("trip_id", _str),         # "FEED:GTFS_ID"; frequency-expanded trips get "@HH:MM:SS"
        ("pattern_idx", _i32),
        ("route_idx", _i32),
        ("service_idx", _i32),
        ("headsign", _str),
        ("short_name", _str),
        ("direction_id", _i8),     # NO_VALUE when absent
        ("shape_id", _str),
    ]),
    # Pattern-major, stop_pos-major, trip-minor: row = stop_times_offset[p] + pos * n_trips[p] + i,
    # so the departures of one pattern at one stop are a contiguous, non-decreasing slice.
    "timetable/stop_times": pa.schema([
        ("arr", _i32),
        ("dep", _i32),
    ]),
    # CSR stop -> (pattern, stop_pos) visits; a pattern visiting a stop twice appears twice.
    "timetable/stop_patterns": pa.schema([
        ("pattern", pa.list_(_i32)),
        ("pos", pa.list_(_i32)),
    ]),
    # CSR stop -> footpaths to other stops (one walk between two vehicles), durations in seconds.
    "timetable/footpaths": pa.schema([
        ("to", pa.list_(_i32)),
        ("duration", pa.list_(_i32)),
    ]),
    # One row per service: active days as a bitset over [period_start, period_start + n_days).
    "timetable/services": pa.schema([
        ("service_id", _str),      # "FEED:GTFS_ID"
        ("feed_idx", _i32),
        ("days", pa.binary()),     # bit d (byte d>>3, bit d&7) = active on period_start + d days
    ]),
    # ---------------------------------------------------------------- streets
    # (streets/* tables are defined below by the streets module's section)
    # ---------------------------------------------------------------- geocoder
    # (geocoder/* tables are defined below by the geocoder module's section)
}

# === streets tables (owned by engine/streets) ===
# === end streets tables ===

# === geocoder tables (owned by engine/geocoder) ===
# === end geocoder tables ===


def fingerprint(schema: pa.Schema) -> str:
    """A short stable digest of a schema, stored in the manifest to detect format drift."""
    import hashlib

    text = ",".join(f"{f.name}:{f.type}" for f in schema)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def render_all() -> str:
    """All schemas as text (for the snapshot test that makes format changes visible)."""
    lines = [f"FORMAT_VERSION {FORMAT_VERSION}"]
    for name in sorted(TABLES):
        lines.append(f"[{name}]")
        lines.extend(f"  {f.name}: {f.type}" for f in TABLES[name])
    return "\n".join(lines) + "\n"
