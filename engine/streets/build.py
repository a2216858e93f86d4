"""build_street_tables: OSM file + stop coordinates -> streets/* bundle tables and stop footpaths."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import BuildError
from ..loaders.osm import load_osm_streets
from ..timetable.staging import BuildReport
from .junctions import mode_tables
from .locations import connector_ms
from .footpaths import StopFootpaths, build_footpaths, link_stops
from .graph_build import StreetArrays, build_street_arrays
from .options import MODES, SYMMETRIC_MODES, StreetOptions
from .profiles import way_attrs


def build_street_tables(osm_path: Path, report: BuildReport, stop_lat: np.ndarray,
                        stop_lon: np.ndarray, options: StreetOptions | None = None,
                        ) -> tuple[dict[str, pa.Table], StopFootpaths]:
    """Read ``osm_path`` and return the streets/* tables and the stop-to-stop street walks.

    Parameters
    ----------
    osm_path : .osm.pbf, .osm or .osm.bz2 file.
    report : build report; gets counts (``streets.*``) and warnings (dropped components,
        stops farther than ``options.max_snap_m`` from any walkable street).
    stop_lat, stop_lon : float64 arrays indexed by stop_idx (NaN = no coordinates).
    options : speeds, snapping distance, footpath limit (seconds).

    Returns
    -------
    (tables, footpaths): tables keyed by bundle name; footpaths with int32 from_stop, to_stop,
    duration_s = ceil(street walking ms / 1000) <= options.footpath_max_s, and the same on the
    wheelchair profile in ``footpaths.step_free``.
    """
    options = options or StreetOptions()
    osm_path = Path(osm_path)
    source = osm_path.name
    started = time.perf_counter()
    walk, bike = options.walk_speed_mps, options.bike_speed_mps
    osm = load_osm_streets(osm_path, lambda tags: way_attrs(tags, walk, bike))
    report.count("streets.osm_highway_ways", osm.ways_read)
    report.count("streets.osm_ways_kept", len(osm.way_id))
    if osm.missing_locations:
        report.warn("streets.missing_node_locations", "", source, 0, "",
                    f"{osm.missing_locations} way node references have no location in the file "
                    f"(clipped extract); segments touching them were dropped")
    if len(osm.seg_u) == 0:
        raise BuildError(f"OSM file {osm_path} has no routable highway ways")
    arrays = build_street_arrays(osm, options, report, source)
    if len(arrays.node_lat) == 0:
        raise BuildError(f"OSM file {osm_path} gives an empty street graph")
    stop_lat = np.asarray(stop_lat, dtype=np.float64)
    stop_lon = np.asarray(stop_lon, dtype=np.float64)
    if stop_lat.shape != stop_lon.shape:
        raise BuildError("stop_lat and stop_lon must have the same length")
    links = link_stops(arrays, stop_lat, stop_lon, options, report, source)
    footpaths = replace(build_footpaths(arrays, links, options),
                        step_free=build_footpaths(arrays, links, options, "wheelchair"))
    report.count("streets.footpaths", len(footpaths))
    report.count("streets.footpaths_step_free", len(footpaths.step_free))
    tables = _tables(arrays, osm, options, source)
    tables["streets/stop_links"] = links.table()
    tables.update(_mode_tables(arrays, links, options))
    for mode in MODES:
        report.count(f"streets.{mode}.ch_shortcuts", tables[f"streets/{mode}_ch_shortcuts"].num_rows)
    report.count("streets.build_ms", int((time.perf_counter() - started) * 1000))
    return tables, footpaths


def _tables(a: StreetArrays, osm, options: StreetOptions, source: str) -> dict[str, pa.Table]:
    segments = {"u": a.seg_u, "v": a.seg_v, "way_idx": a.seg_way,
                "length_m": a.seg_length_m.astype(np.float32)}
    for mode in MODES:
        fwd, bwd = a.seg_cost[mode]
        if mode in SYMMETRIC_MODES:
            if not np.array_equal(fwd, bwd):
                raise BuildError(f"the {mode} graph must be symmetric ({mode} ignores oneway)")
            segments[f"{mode}_ms"] = fwd
        else:
            segments[f"{mode}_fwd_ms"], segments[f"{mode}_bwd_ms"] = fwd, bwd
    segments["modes"] = a.seg_modes
    tables = {
        "streets/meta": pa.table({
            "walk_speed_mps": [options.walk_speed_mps], "bike_speed_mps": [options.bike_speed_mps],
            "car_max_mps": [a.car_max_mps], "max_snap_m": [options.max_snap_m],
            "footpath_max_s": pa.array([options.footpath_max_s], pa.int32()),
            "grid_cell_m": [options.grid_cell_m], "grid_lat0": [a.grid_lat0],
            "grid_lon0": [a.grid_lon0], "grid_cos0": [a.grid_cos0], "source": [source]}),
        "streets/nodes": pa.table({"lat": a.node_lat, "lon": a.node_lon}),
        "streets/ways": pa.table({"osm_id": osm.way_id, "name": osm.way_name,
                                  "highway": osm.way_highway}),
        "streets/segments": pa.table(segments),
        "streets/grid": pa.table({
            "cell": a.grid_cell,
            "segments": pa.ListArray.from_arrays(pa.array(a.grid_offsets), pa.array(a.grid_segments))}),
    }
    tables["streets/topology"] = pa.table({
        "chain_offsets": _one(a.chain_offsets), "chain_a": _one(a.chain_a),
        "chain_b": _one(a.chain_b), "junction_node": _one(a.junction_node)})
    return tables


def _one(values: np.ndarray) -> pa.Array:
    """A one-row list<int32> column holding a flat array."""
    values = pa.array(np.ascontiguousarray(values, dtype=np.int32), type=pa.int32())
    return pa.ListArray.from_arrays(pa.array([0, len(values)], pa.int32()), values)


def _mode_tables(a: StreetArrays, links, options: StreetOptions) -> dict[str, pa.Table]:
    """Per mode: junction graph, stop entries and hierarchy (see junctions.py)."""
    out = {}
    for mode in MODES:
        seg, t, dist = links.by_mode[mode]
        conn = np.where(seg >= 0, connector_ms(np.where(seg >= 0, dist, 0.0), options.walk_speed_mps), 0)
        c_fwd, c_bwd = a.seg_cost[mode]
        out.update(mode_tables(mode, a.chain_offsets, a.chain_a, a.chain_b, len(a.junction_node),
                               c_fwd, c_bwd, bool(np.array_equal(c_fwd, c_bwd)), seg.astype(np.int32), t,
                               conn.astype(np.int64), mode in options.ch_modes))
    return out
