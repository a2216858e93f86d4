"""Build entry point of the geocoder: inputs -> geocoder/* tables (BUILD TIME ONLY).

Chains the loaders (BAN-format CSVs, OSM extracts), the timetable's stops and
``index_build.build_index``. Stations (location_type 1) and stops without a parent are indexed;
stops of one station sharing its name, and same-name parentless stops within
``STOP_MERGE_M`` of each other, collapse into one document.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import BuildError
from .index_build import PLACE_COLUMNS, build_index
from .normalize import fold

STOP_MERGE_M = 300.0
OSM_SOURCE = ("OpenStreetMap contributors", "ODbL-1.0")
STOP_IMPORTANCE = 0.6
STATION_IMPORTANCE = 0.75


def stop_places(stops: pa.Table, report=None) -> pa.Table:
    """Timetable stops -> place rows of type ``stop`` (stations and parentless stops, deduplicated)."""
    need = {"stop_id", "name", "lat", "lon", "location_type", "parent_idx"}
    if not need <= set(stops.column_names):
        raise BuildError(f"stops table lacks column(s) {', '.join(sorted(need - set(stops.column_names)))}")
    lt = np.asarray(stops["location_type"].to_numpy(zero_copy_only=False))
    parent = np.asarray(stops["parent_idx"].to_numpy(zero_copy_only=False))
    lat = np.asarray(stops["lat"].to_numpy(zero_copy_only=False), np.float64)
    lon = np.asarray(stops["lon"].to_numpy(zero_copy_only=False), np.float64)
    names = stops["name"].to_pylist()
    ids = stops["stop_id"].to_pylist()
    keep = ((lt == 1) | ((lt == 0) & (parent < 0))) & np.isfinite(lat) & np.isfinite(lon)
    keep &= np.array([bool(n and n.strip()) for n in names], bool)
    if report is not None:
        report.count("geocoder.stops_considered", int(keep.sum()))
    chosen: dict[str, list[int]] = {}
    rows = []
    for i in np.flatnonzero(keep):
        key = fold(names[i])
        group = chosen.setdefault(key, [])
        dup = False
        for j in group:
            dy = (lat[j] - lat[i]) * 111_195.0
            dx = (lon[j] - lon[i]) * 111_195.0 * np.cos(np.radians(lat[i]))
            if dx * dx + dy * dy < STOP_MERGE_M ** 2:
                dup = True
                break
        if dup:
            if report is not None:
                report.count("geocoder.stops_merged")
            continue
        group.append(i)
        rows.append(i)
    rows_a = np.array(rows, np.int64)
    return pa.table({
        "id": pa.array([f"stop:{ids[i]}" for i in rows], pa.string()),
        "type": pa.array(["stop"] * len(rows), pa.string()),
        "name": pa.array([names[i].strip() for i in rows], pa.string()),
        "street": pa.array([""] * len(rows), pa.string()),
        "postcode": pa.array([""] * len(rows), pa.string()),
        "citycode": pa.array([""] * len(rows), pa.string()),
        "city": pa.array([""] * len(rows), pa.string()),
        "lat": pa.array(lat[rows_a] if len(rows) else np.empty(0)),
        "lon": pa.array(lon[rows_a] if len(rows) else np.empty(0)),
        "importance": pa.array(np.where(lt[rows_a] == 1, STATION_IMPORTANCE, STOP_IMPORTANCE).astype(np.float32)
                               if len(rows) else np.empty(0, np.float32)),
    })


def build_geocoder_tables(addresses: list[Path], osm: list[Path], stops: pa.Table | None,
                          report) -> dict[str, pa.Table]:
    """Read every input and return the geocoder/* tables (see engine.bundle.schema)."""
    from ..loaders.addresses import ADDRESS_COLUMNS, read_addresses

    addr_parts, place_parts, sources = [], [], []
    for path in addresses or []:
        table = read_addresses(path, report, lieux_dits=place_parts)     # lieux-dits: places
        meta = table.schema.metadata or {}
        sources.append((meta.get(b"attribution", b"").decode(), meta.get(b"licence", b"").decode()))
        addr_parts.append(table)
    for path in osm or []:
        from ..loaders.osm_places import read_osm_places

        osm_addr, osm_places = read_osm_places(path, report)
        addr_parts.append(osm_addr)
        place_parts.append(osm_places)
        sources.append(OSM_SOURCE)
    if stops is not None and stops.num_rows:
        place_parts.append(stop_places(stops, report))
    # handed over in a list that build_index empties: no reference is left here, so the input
    # rows are freed column by column as build_index sorts them (a national file's rows are GBs)
    owned = [pa.concat_tables([_address_columns(t, ADDRESS_COLUMNS) for t in addr_parts])] if addr_parts else [None]
    addr_parts.clear()
    table = osm_addr = None          # the loops' last references to an input table
    places = pa.concat_tables([t.select(list(PLACE_COLUMNS)) for t in place_parts]) if place_parts else None
    return build_index(owned, places, report, sources=[s for s in dict.fromkeys(sources) if any(s)])


def _address_columns(table: pa.Table, columns) -> pa.Table:
    """The loader contract's columns; optional ones a source lacks (old commune, x/y) are blank."""
    n = table.num_rows
    cols = {}
    for name in columns:
        if name in table.column_names:
            cols[name] = table[name]
        elif name in ("x", "y"):
            cols[name] = pa.array(np.full(n, np.nan))
        else:
            cols[name] = pa.array([""] * n, pa.string())
    return pa.table(cols)
