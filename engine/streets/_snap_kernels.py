"""Numba kernels for snapping: nearest usable segment through a grid of cells, and grid building.

Layout: nodes are projected on a local equirectangular plane (origin lat0/lon0, x scaled by
cos0, metres). The grid is the sorted int64 keys of its non-empty cells
(``(row + 2**30) * 2**31 + (col + 2**30)``) with a CSR of segment indices per cell; a segment is
registered in the cells of points sampled every cell_m / 2 along it, so every point of the
segment is within cell_m / 4 of a registered sample.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types

from ._kernels import _OPTS, DEG_M, EARTH_RADIUS_M, KEY_OFFSET, KEY_SHIFT, _f64, _i64, _ri32, _ri64, _rf64

_ru8 = types.Array(types.uint8, 1, "C", readonly=True)


@njit(inline="always")
def _haversine_m(lat1, lon1, lat2, lon2):
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    a = (math.sin((p2 - p1) * 0.5) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) * 0.5) ** 2)
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


@njit(inline="always")
def _cell_key(row, col):
    return (np.int64(row) + KEY_OFFSET) * KEY_SHIFT + (np.int64(col) + KEY_OFFSET)


@njit(types.Tuple((_i64, _f64, _f64))(
    _f64, _f64, _i64, _f64, _f64, _f64, _f64, _f64, _ri64, _ri32, _ri32, _ri32, _ri32, _ru8,
    _rf64, _rf64), **_OPTS)
def run_snap(lat, lon, mode_bit, max_m, lat0, lon0, cos0, cell_m, grid_cell, grid_off, grid_seg,
             seg_u, seg_v, seg_modes, node_lat, node_lon):
    """Nearest segment usable by the mode: (segment or -1, t along u -> v, distance in metres).

    Rings of grid cells are scanned outwards until no unseen segment can be nearer (segments are
    registered in the cells of points sampled every cell_m / 2 along them, hence the cell_m / 4).
    """
    px = (lon - lon0) * cos0 * DEG_M
    py = (lat - lat0) * DEG_M
    row0 = np.int64(math.floor(py / cell_m))
    col0 = np.int64(math.floor(px / cell_m))
    k_max = np.int64(math.ceil((max_m * 1.2 + cell_m * 0.25) / cell_m)) + 1
    best_d2 = math.inf
    best_seg = -1
    best_t = 0.0
    n_cells = grid_cell.shape[0]
    for k in range(k_max + 1):
        for dr in range(-k, k + 1):
            step = 1 if (dr == -k or dr == k) else 2 * k
            for dc in range(-k, k + 1, max(step, 1)):
                key = _cell_key(row0 + dr, col0 + dc)
                pos = np.searchsorted(grid_cell, key)
                if pos >= n_cells or grid_cell[pos] != key:
                    continue
                for j in range(grid_off[pos], grid_off[pos + 1]):
                    s = grid_seg[j]
                    if (seg_modes[s] & mode_bit) == 0:
                        continue
                    a = seg_u[s]
                    b = seg_v[s]
                    ax = (node_lon[a] - lon0) * cos0 * DEG_M
                    ay = (node_lat[a] - lat0) * DEG_M
                    bx = (node_lon[b] - lon0) * cos0 * DEG_M
                    by = (node_lat[b] - lat0) * DEG_M
                    vx = bx - ax
                    vy = by - ay
                    len2 = vx * vx + vy * vy
                    t = 0.0
                    if len2 > 0.0:
                        t = min(1.0, max(0.0, ((px - ax) * vx + (py - ay) * vy) / len2))
                    qx = ax + t * vx - px
                    qy = ay + t * vy - py
                    d2 = qx * qx + qy * qy
                    if d2 < best_d2 or (d2 == best_d2 and s < best_seg):
                        best_d2 = d2
                        best_seg = s
                        best_t = t
        reach = k * cell_m - cell_m * 0.25
        if best_seg >= 0 and reach > 0 and best_d2 <= reach * reach:
            break
    if best_seg < 0:
        return -1, 0.0, math.inf
    a = seg_u[best_seg]
    b = seg_v[best_seg]
    qlat = node_lat[a] + best_t * (node_lat[b] - node_lat[a])
    qlon = node_lon[a] + best_t * (node_lon[b] - node_lon[a])
    return best_seg, best_t, _haversine_m(lat, lon, qlat, qlon)


@njit(cache=True, nogil=True)
def run_snap_many(lats, lons, mode_bit, max_m, lat0, lon0, cos0, cell_m, grid_cell, grid_off,
                  grid_seg, seg_u, seg_v, seg_modes, node_lat, node_lon):
    """run_snap over many points (NaN coordinates give -1): (segment, t, dist_m) arrays."""
    n = lats.shape[0]
    out_seg = np.full(n, -1, dtype=np.int32)
    out_t = np.zeros(n, dtype=np.float64)
    out_d = np.full(n, math.inf)
    for i in range(n):
        if not (math.isfinite(lats[i]) and math.isfinite(lons[i])):
            continue
        s, t, d = run_snap(lats[i], lons[i], mode_bit, max_m, lat0, lon0, cos0, cell_m,
                           grid_cell, grid_off, grid_seg, seg_u, seg_v, seg_modes, node_lat,
                           node_lon)
        out_seg[i] = s
        out_t[i] = t
        out_d[i] = d
    return out_seg, out_t, out_d


@njit(cache=True, nogil=True)
def run_grid_samples(seg_u, seg_v, node_x, node_y, cell_m):
    """(cell key, segment) for points sampled every cell_m / 2 along each segment (build time)."""
    n_seg = seg_u.shape[0]
    counts = np.empty(n_seg, dtype=np.int64)
    total = 0
    for s in range(n_seg):
        dx = node_x[seg_v[s]] - node_x[seg_u[s]]
        dy = node_y[seg_v[s]] - node_y[seg_u[s]]
        n = np.int64(math.ceil(math.sqrt(dx * dx + dy * dy) / (cell_m * 0.5))) + 1
        counts[s] = n
        total += n
    keys = np.empty(total, dtype=np.int64)
    segs = np.empty(total, dtype=np.int32)
    k = 0
    for s in range(n_seg):
        ax = node_x[seg_u[s]]
        ay = node_y[seg_u[s]]
        bx = node_x[seg_v[s]]
        by = node_y[seg_v[s]]
        n = counts[s]
        for i in range(n):
            f = i / (n - 1) if n > 1 else 0.0
            x = ax + f * (bx - ax)
            y = ay + f * (by - ay)
            keys[k] = _cell_key(math.floor(y / cell_m), math.floor(x / cell_m))
            segs[k] = s
            k += 1
    return keys, segs
