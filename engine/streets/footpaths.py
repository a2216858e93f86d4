"""Build time: link stops to each mode's street graph and compute stop-to-stop walks along streets."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .. import _streets_build
from .._streets import SnapIndex
from ..timetable.staging import BuildReport
from .graph_build import StreetArrays, mode_edges
from .locations import connector_ms, entry_csr
from .options import MODE_BIT, MODES, StreetOptions

#: At most this many unlinked stops are listed one by one in the report (all are counted).
MAX_LISTED_UNLINKED = 50


@dataclass(frozen=True, slots=True)
class StopFootpaths:
    """Walks between stops along streets; duration_s = ceil(street ms / 1000), <= footpath_max_s.

    ``step_free``: the same on the wheelchair profile (no steps), computed on its own graph so
    that a pair whose shortest walk climbs steps gets its longer step-free walk (or none)."""

    from_stop: np.ndarray      # int32 stop_idx
    to_stop: np.ndarray        # int32 stop_idx (never equal to from_stop)
    duration_s: np.ndarray     # int32 seconds
    step_free: "StopFootpaths | None" = None

    def __len__(self) -> int:
        return len(self.from_stop)


@dataclass(slots=True)
class StopLinks:
    """Per mode: (segment int32 NO_IDX-if-none, t float64, dist_m float64) for every stop."""

    lat: np.ndarray
    lon: np.ndarray
    by_mode: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]

    def table(self) -> pa.Table:
        data = {"lat": self.lat, "lon": self.lon}
        for mode, (seg, t, dist) in self.by_mode.items():
            data[f"{mode}_segment"] = seg
            data[f"{mode}_t"] = t
            data[f"{mode}_dist_m"] = np.where(seg >= 0, dist, 0.0)
        return pa.table(data)


def snap_many(a: StreetArrays, lat: np.ndarray, lon: np.ndarray, mode: str, max_snap_m: float,
              cell_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Snap many points for a mode; points farther than max_snap_m get segment NO_IDX."""
    index = SnapIndex(a.grid_cell, a.grid_offsets, a.grid_segments, a.seg_u, a.seg_v, a.seg_modes,
                      a.node_lat, a.node_lon, a.grid_lat0, a.grid_lon0, a.grid_cos0, cell_m)
    seg, t, dist = index.snap_many(np.ascontiguousarray(lat, dtype=np.float64),
                                   np.ascontiguousarray(lon, dtype=np.float64), MODE_BIT[mode], max_snap_m)
    far = dist > max_snap_m
    seg[far] = -1
    t[far] = 0.0
    return seg, t, dist


def link_stops(a: StreetArrays, stop_lat: np.ndarray, stop_lon: np.ndarray, options: StreetOptions,
               report: BuildReport, source: str) -> StopLinks:
    """Link every stop to the nearest usable segment of each mode; report the unlinked ones."""
    lat = np.asarray(stop_lat, dtype=np.float64)
    lon = np.asarray(stop_lon, dtype=np.float64)
    by_mode = {mode: snap_many(a, lat, lon, mode, options.max_snap_m, options.grid_cell_m)
               for mode in MODES}
    walk_seg, _, walk_dist = by_mode["walk"]
    has_coords = np.isfinite(lat) & np.isfinite(lon)
    unlinked = np.flatnonzero(has_coords & (walk_seg < 0))
    report.count("streets.stops_linked", int(np.count_nonzero(walk_seg >= 0)))
    report.count("streets.stops_unlinked", len(unlinked))
    report.count("streets.stops_without_coordinates", int(np.count_nonzero(~has_coords)))
    report.count("streets.wheelchair.stops_linked", int(np.count_nonzero(by_mode["wheelchair"][0] >= 0)))
    for stop in unlinked[:MAX_LISTED_UNLINKED]:
        where = "no walkable street in the OSM data" if not np.isfinite(walk_dist[stop]) else \
            f"nearest walkable street is {walk_dist[stop]:.0f} m away"
        report.warn("streets.stop_not_linked", "", source, 0, "stop_idx",
                    f"stop_idx {int(stop)} ({lat[stop]:.6f}, {lon[stop]:.6f}) is not linked to the "
                    f"streets: {where} (max_snap_m={options.max_snap_m:g}); it gets no street walks")
    if len(unlinked) > MAX_LISTED_UNLINKED:
        report.warn("streets.stop_not_linked", "", source, 0, "stop_idx",
                    f"... and {len(unlinked) - MAX_LISTED_UNLINKED} more stops not linked to the "
                    f"streets ({len(unlinked)} in all)")
    return StopLinks(lat, lon, by_mode)


def build_footpaths(a: StreetArrays, links: StopLinks, options: StreetOptions,
                    mode: str = "walk") -> StopFootpaths:
    """Stop -> stop walks within options.footpath_max_s along the ``mode`` graph ("walk", or
    "wheelchair" for the step-free ones): one bounded Dijkstra per linked stop, seeded from
    both ends of its segment."""
    seg, t, dist = links.by_mode[mode]
    conn = np.where(seg >= 0, connector_ms(np.where(seg >= 0, dist, 0.0), options.walk_speed_mps), 0)
    c_fwd, c_bwd = a.seg_cost[mode]
    n_nodes = len(a.node_lat)
    src, dst, cost, _ = mode_edges(a, mode)
    order = np.lexsort((dst, src))
    off = np.zeros(n_nodes + 1, dtype=np.int32)
    np.cumsum(np.bincount(src, minlength=n_nodes), out=off[1:])
    entry_off, entry_stop, entry_ms = entry_csr(n_nodes, seg, t, conn, a.seg_u, a.seg_v, c_fwd,
                                                c_bwd, "arrive")
    limit = np.int64(options.footpath_max_s) * 1000
    fr, to, ms = _streets_build.run_footpaths(
        off, dst[order].astype(np.int32), cost[order].astype(np.int32), entry_off, entry_stop,
        entry_ms, limit, seg.astype(np.int32), t, conn.astype(np.int64), c_fwd, c_bwd, a.seg_u,
        a.seg_v, n_nodes)
    duration = ((ms + 999) // 1000).astype(np.int32)
    return StopFootpaths(fr.astype(np.int32), to.astype(np.int32), duration)
