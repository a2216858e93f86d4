"""Stop-to-stop footpaths for RAPTOR: straight-line walks within a radius, transfers.txt, or
street-based walks (given by engine.streets), merged into one CSR table.

Model (documented in docs/transfer-model.md, reproduced by the reference solver in the tests):
- straight-line: every pair of distinct stops (location_type 0) within ``walk_radius_m``;
  duration = ceil(haversine / walk_speed_mps), Earth radius 6,371,000 m;
- street footpaths, when given, replace the straight-line ones;
- stations with pathways.txt (engine/timetable/station_walks.py): their platforms are reached
  through their entrances and pathways, and changes between them walk the pathways;
- transfers.txt (when ``use_transfers_txt``): types 0/1/2 between distinct stops set the pair's
  duration (min_transfer_time, else the straight-line time), type 3 removes the pair; a type 2
  row from a stop to itself sets that stop's minimum change time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._geo import WALK_SPEED_MPS, haversine_m, walk_seconds
from .._types import EARTH_RADIUS_M, NO_VALUE
from .staging import StagedTimetable


@dataclass(frozen=True, slots=True)
class FootpathOptions:
    """Build-time transfer model options."""

    walk_radius_m: float = 400.0     # straight-line footpaths up to this distance (0 = none)
    walk_speed_mps: float = WALK_SPEED_MPS
    use_transfers_txt: bool = True

    def __post_init__(self) -> None:
        if not (self.walk_radius_m >= 0):
            raise ValueError("walk_radius_m must be >= 0")
        if not (self.walk_speed_mps > 0):
            raise ValueError("walk_speed_mps must be > 0")


def straight_line_pairs(lat: np.ndarray, lon: np.ndarray, eligible: np.ndarray, radius_m: float):
    """Pairs (i, j), i != j, of eligible stops within radius_m, with their haversine distance."""
    idx = np.flatnonzero(eligible & np.isfinite(lat) & np.isfinite(lon))
    if radius_m <= 0 or len(idx) < 2:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0)
    phi, lmb = np.radians(lat[idx]), np.radians(lon[idx])
    xyz = np.column_stack([np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)])
    chord = 2 * np.sin(min(radius_m / EARTH_RADIUS_M, np.pi) / 2) * (1 + 1e-9)
    from scipy.spatial import cKDTree   # build time only: keeps scipy out of query-time imports

    pairs = cKDTree(xyz).query_pairs(chord, output_type="ndarray")
    if len(pairs) == 0:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0)
    a, b = idx[pairs[:, 0]], idx[pairs[:, 1]]
    dist = haversine_m(lat[a], lon[a], lat[b], lon[b])
    keep = dist <= radius_m
    a, b, dist = a[keep], b[keep], dist[keep]
    return (np.concatenate([a, b]).astype(np.int32), np.concatenate([b, a]).astype(np.int32),
            np.concatenate([dist, dist]))


def build_footpaths(tt: StagedTimetable, options: FootpathOptions,
                    street: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None, step_free: bool = False):
    """Return (offsets, to, duration, stop_min_change, stats) for the bundle. ``step_free``:
    through stations by their step-free pathways only (``street``: the step-free walks)."""
    from .station_walks import ENTRANCE, pathway_seconds, station_footpaths, stations

    n = tt.stops.num_rows
    lat = tt.stops.column("lat").to_numpy()
    lon = tt.stops.column("lon").to_numpy()
    loc_type = tt.stops.column("location_type").to_numpy()
    stats: dict[str, int] = {}
    station, inside = stations(n, loc_type, tt.pathway_from, tt.pathway_to)
    if street is not None:
        src, dst, dur = (np.asarray(a) for a in street)
        src, dst, dur = src.astype(np.int64), dst.astype(np.int64), dur.astype(np.int64)
        stats["footpaths.street"] = int(len(src))
    else:
        eligible = ((loc_type == 0) & ~inside) | ((loc_type == ENTRANCE) & (station >= 0))
        src, dst, dist = straight_line_pairs(lat, lon, eligible, options.walk_radius_m)
        dur = walk_seconds(dist, options.walk_speed_mps).astype(np.int64)
        src, dst = src.astype(np.int64), dst.astype(np.int64)
        stats["footpaths.straight_line"] = int(len(src))
    if inside.any():
        seconds = pathway_seconds(tt.pathway_seconds, tt.pathway_length_m, tt.pathway_from, tt.pathway_to, lat, lon,
                                  options.walk_speed_mps)
        stats["pathways.time_from_length"] = int(((tt.pathway_seconds < 0) & np.isfinite(tt.pathway_length_m)).sum())
        stats["pathways.time_from_straight_line"] = int(((tt.pathway_seconds < 0)
                                                         & ~np.isfinite(tt.pathway_length_m)).sum())
        edges = tt.pathway_step_free if step_free else np.ones(len(tt.pathway_from), bool)
        src, dst, dur = station_footpaths(loc_type, station, inside, tt.pathway_from[edges], tt.pathway_to[edges],
                                          seconds[edges], (src, dst, dur))
        stats["stops.inside_stations"] = int(inside.sum())
    else:
        keep = (loc_type[src] == 0) & (loc_type[dst] == 0)      # (street walks may link entrances)
        src, dst, dur = src[keep], dst[keep], dur[keep]

    stop_change = np.full(n, NO_VALUE, dtype=np.int32)
    remove = np.zeros(0, dtype=np.int64)
    if options.use_transfers_txt and len(tt.transfer_from):
        f = tt.transfer_from.astype(np.int64)
        t = tt.transfer_to.astype(np.int64)
        ty = tt.transfer_type
        mt = tt.transfer_min_time.astype(np.int64)
        same = f == t
        sel = same & (ty == 2) & (mt >= 0)
        # Several rows for one stop: keep the largest minimum (the most cautious).
        np.maximum.at(stop_change, f[sel], mt[sel].astype(np.int32))
        stats["transfers.min_change_stops"] = int(sel.sum())
        pair = ~same & (ty <= 2)
        with np.errstate(invalid="ignore"):
            d_line = walk_seconds(np.nan_to_num(haversine_m(lat[f], lon[f], lat[t], lon[t]), nan=0.0),
                                  options.walk_speed_mps).astype(np.int64)
        explicit = np.where(mt >= 0, mt, d_line)
        forbidden = ~same & (ty == 3)
        keys_explicit = f[pair] * n + t[pair]
        remove = np.concatenate([keys_explicit, f[forbidden] * n + t[forbidden]])
        stats["transfers.pairs"] = int(pair.sum())
        stats["transfers.forbidden"] = int(forbidden.sum())
        # Explicit pairs replace generated ones; forbidden pairs are dropped.
        keys = src * n + dst
        keep = ~np.isin(keys, remove)
        src, dst, dur = src[keep], dst[keep], dur[keep]
        src = np.concatenate([src, f[pair]])
        dst = np.concatenate([dst, t[pair]])
        dur = np.concatenate([dur, explicit[pair]])

    # One duration per pair: the smallest (duplicates in transfers.txt).
    order = np.lexsort((dur, dst, src))
    src, dst, dur = src[order], dst[order], dur[order]
    if len(src):
        first = np.ones(len(src), bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        src, dst, dur = src[first], dst[first], dur[first]
    counts = np.bincount(src, minlength=n) if len(src) else np.zeros(n, np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return offsets, dst.astype(np.int32), dur.astype(np.int32), stop_change, stats


def build_step_free_footpaths(tt: StagedTimetable, options: FootpathOptions,
                              street: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
                              fp_offsets: np.ndarray, fp_to: np.ndarray, fp_duration: np.ndarray,
                              fp_step_free: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, to, duration) of the footpaths a wheelchair user can take (issue 14).

    With street walks on the wheelchair profile (``street``: no ``highway=steps``), the same
    model as ``build_footpaths`` on those walks, so a pair whose shortest walk climbs steps gets
    its longer step-free walk, or no footpath; through stations (pathways.txt) by their
    step-free pathways only. Without streets or pathways, the footpaths themselves. Either
    way only the pairs pathways.txt leaves step-free (accessibility.step_free_footpaths) stay.
    """
    n = tt.stops.num_rows
    if street is None and not len(tt.pathway_from):
        offsets, to, duration, keep = fp_offsets, fp_to, fp_duration, fp_step_free.astype(bool)
    else:
        from .accessibility import step_free_footpaths

        offsets, to, duration, _, _ = build_footpaths(tt, options, street, step_free=True)
        keep = step_free_footpaths(n, offsets, to, tt.stops.column("location_type").to_numpy(),
                                   tt.pathway_from, tt.pathway_to, tt.pathway_step_free).astype(bool)
    src = np.repeat(np.arange(n), np.diff(offsets))[keep]
    new_offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(src, minlength=n), out=new_offsets[1:])
    return new_offsets, to[keep].astype(np.int32), duration[keep].astype(np.int32)
