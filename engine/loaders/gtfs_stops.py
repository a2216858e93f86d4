"""stops.txt -> clean stop columns: coordinates checked (and swapped ones repaired), parents.

Coordinates that cannot be used (unparsable, out of range, exactly 0,0) become NaN with a
warning; a stop whose latitude/longitude were swapped is detected as lying > 500 km from the
feed's median stop while its swapped pair lies close to it, and is swapped back.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine._geo import haversine_m
from engine._types import NO_IDX
from engine.loaders.gtfs_access import load_flag
from engine.loaders.gtfs_csv import CsvTable
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_parse import to_float, to_int

SWAP_FAR_M = 500_000.0


@dataclass
class StopsPart:
    ids: pa.Array
    code: pa.Array
    name: pa.Array
    lat: np.ndarray
    lon: np.ndarray
    location_type: np.ndarray   # int8
    parent: np.ndarray          # int32 local index, NO_IDX
    timezone: pa.Array
    platform_code: pa.Array
    wheelchair: np.ndarray      # int8 GTFS wheelchair_boarding as given (0 = none, inherited later)


def first_occurrence(ids: pa.Array) -> np.ndarray:
    """Bool mask of rows whose id appears for the first time (duplicates later are False)."""
    first = pc.index_in(ids, value_set=ids).to_numpy(zero_copy_only=False)
    return first == np.arange(len(ids))


def keep_rows(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    return arr if mask.all() else arr.filter(pa.array(mask))


def load_stops(t: CsvTable, diag: Diag) -> StopsPart:
    diag.count("stops.read", t.n_rows)
    ids = t.get("stop_id")
    empty = ~t.nonempty("stop_id")
    diag.rows("stops.empty_id", "skipped", t, np.flatnonzero(empty), "stop_id", "empty stop_id")
    keep = ~empty & first_occurrence(ids)
    dup = np.flatnonzero(~keep & ~empty)
    diag.rows("stops.duplicate_id", "skipped", t, dup, "stop_id",
              "duplicate stop_id {value!r}, first one kept", values=ids.take(pa.array(dup)))
    rows = np.flatnonzero(keep)
    ids = keep_rows(ids, keep)

    lat, bad_lat = to_float(t.get("stop_lat"))
    lon, bad_lon = to_float(t.get("stop_lon"))
    lat, lon, bad_lat, bad_lon = lat[rows], lon[rows], bad_lat[rows], bad_lon[rows]
    lt, bad_lt = to_int(t.get("location_type"), 0)
    lt, bad_lt = lt[rows], bad_lt[rows]
    bad_lt |= (lt < 0) | (lt > 4)
    diag.rows("stops.bad_location_type", "fixed", t, rows[bad_lt], "location_type",
              "unknown location_type, read as 0")
    lt = np.where(bad_lt, 0, lt).astype(np.int8)
    # coordinates are required for stops, stations and entrances (location_type 0..2)
    empty = np.isnan(lat) & ~bad_lat & ~bad_lon & (lt <= 2)
    diag.rows("stops.missing_coordinates", "fixed", t, rows[empty], "stop_lat",
              "stop_lat/stop_lon missing; coordinates unknown")
    lat, lon = _clean_coords(t, diag, rows, lat, lon, bad_lat | bad_lon)

    parent_col = keep_rows(t.get("parent_station"), keep)
    has_parent = pc.greater(pc.binary_length(parent_col), 0).to_numpy(zero_copy_only=False)
    parent = pc.index_in(parent_col, value_set=ids).fill_null(NO_IDX).to_numpy(
        zero_copy_only=False).astype(np.int32)
    unknown = has_parent & (parent == NO_IDX)
    self_parent = parent == np.arange(len(parent))
    diag.rows("stops.unknown_parent", "fixed", t, rows[unknown], "parent_station",
              "parent_station {value!r} is not in stops.txt; stop kept without parent",
              values=parent_col.filter(pa.array(unknown)))
    if unknown.any():
        n_ids = len(pc.unique(parent_col.filter(pa.array(unknown))))
        diag.warn("stops.unknown_parent_total", t.file, 0, "parent_station",
                  f"{int(unknown.sum())} stops point to {n_ids} distinct parent_station ids "
                  f"that are not in stops.txt")
    diag.rows("stops.self_parent", "fixed", t, rows[self_parent], "parent_station",
              "stop is its own parent_station; ignored")
    parent[self_parent] = NO_IDX

    def col(name: str) -> pa.Array:
        return keep_rows(t.get(name), keep)

    return StopsPart(ids=ids, code=col("stop_code"), name=col("stop_name"), lat=lat, lon=lon,
                     location_type=lt, parent=parent, timezone=col("stop_timezone"),
                     platform_code=col("platform_code"),
                     wheelchair=load_flag(t, "wheelchair_boarding", rows, "stops.bad_wheelchair_boarding", diag))


def _clean_coords(t: CsvTable, diag: Diag, rows: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                  bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NaN for unusable coordinates; swapped latitude/longitude repaired."""
    diag.rows("stops.bad_coordinates", "fixed", t, rows[bad], "stop_lat",
              "unparsable stop_lat/stop_lon, coordinates set to unknown")
    out_of_range = ~bad & np.isfinite(lat) & np.isfinite(lon) & \
        ((np.abs(lat) > 90) | (np.abs(lon) > 180))
    zero = (lat == 0) & (lon == 0)
    diag.rows("stops.coordinates_out_of_range", "fixed", t, rows[out_of_range], "stop_lat",
              lambda i: "coordinates out of range, set to unknown")
    diag.rows("stops.zero_coordinates", "fixed", t, rows[zero], "stop_lat",
              "coordinates are (0, 0), set to unknown")
    drop = out_of_range | zero | ~np.isfinite(lat) | ~np.isfinite(lon)
    lat = np.where(drop, np.nan, lat)
    lon = np.where(drop, np.nan, lon)
    ok = np.isfinite(lat)
    if ok.sum() >= 3:
        mlat, mlon = float(np.median(lat[ok])), float(np.median(lon[ok]))
        with np.errstate(invalid="ignore"):
            dist = haversine_m(lat, lon, mlat, mlon)
            sdist = haversine_m(lon, lat, mlat, mlon)
            swapped = ok & (np.abs(lon) <= 90) & (dist > SWAP_FAR_M) & \
                (sdist < SWAP_FAR_M) & (sdist < dist / 2)
        if swapped.any():
            idx = np.flatnonzero(swapped)
            diag.rows("stops.swapped_coordinates", "fixed", t, rows[idx], "stop_lat",
                      lambda i: (f"stop_lat/stop_lon look swapped ({lat[idx[i]]:.5f}, "
                                 f"{lon[idx[i]]:.5f} is {dist[idx[i]] / 1000:.0f} km from the "
                                 f"feed's median stop); swapped back"))
            lat[idx], lon[idx] = lon[idx].copy(), lat[idx].copy()
    return lat, lon
