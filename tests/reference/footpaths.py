"""Reference footpaths: the documented transfer model recomputed by brute force, for tests.

Model (/work/notes/API.md, engine/timetable/footpaths.py docstring), without OSM:
- every ordered pair of distinct stops of location_type 0 with coordinates, at most
  ``radius_m`` apart (haversine, R = 6,371,000 m), walks in ceil(distance / speed) seconds;
- transfers.txt rows (already expanded to platforms by the loader) of types 0/1/2 between
  distinct stops set the pair's duration (min_transfer_time, else the straight-line time),
  type 3 removes the straight-line pair; several rows for one pair: the smallest duration;
- a type 2 row from a stop to itself sets the stop's min_change_time (several: the largest).
Every pair is compared with all others (O(n^2), one numpy row at a time): no spatial index to
get wrong.
"""
from __future__ import annotations

import math

import numpy as np

from engine._types import EARTH_RADIUS_M, NO_VALUE


def _haversine_row(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    p0, p = math.radians(lat0), np.radians(lat)
    a = (np.sin((p - p0) / 2) ** 2
         + math.cos(p0) * np.cos(p) * np.sin(np.radians(lon - lon0) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def reference_footpaths(staged, radius_m: float = 400.0, speed_mps: float = 1.33
                        ) -> tuple[dict[tuple[int, int], int], np.ndarray]:
    """({(from, to): seconds}, stop_min_change int32 [n_stops]) of the model."""
    lat = staged.stops.column("lat").to_numpy()
    lon = staged.stops.column("lon").to_numpy()
    kind = staged.stops.column("location_type").to_numpy()
    n = len(lat)
    walk: dict[tuple[int, int], int] = {}
    eligible = np.flatnonzero((kind == 0) & np.isfinite(lat) & np.isfinite(lon))
    for i in eligible.tolist():
        dist = _haversine_row(float(lat[i]), float(lon[i]), lat[eligible], lon[eligible])
        for j, d in zip(eligible[dist <= radius_m].tolist(), dist[dist <= radius_m].tolist()):
            if j != i:
                walk[(i, j)] = int(math.ceil(d / speed_mps))

    change = np.full(n, NO_VALUE, dtype=np.int32)
    explicit: dict[tuple[int, int], int] = {}
    for f, t, ty, mt in zip(staged.transfer_from.tolist(), staged.transfer_to.tolist(),
                            staged.transfer_type.tolist(), staged.transfer_min_time.tolist()):
        if f == t:
            if ty == 2 and mt >= 0:
                change[f] = max(change[f], mt)
            continue
        if ty == 3:
            walk.pop((f, t), None)
            continue
        if ty <= 2:
            if mt >= 0:
                seconds = mt
            else:
                d = _haversine_row(float(lat[f]), float(lon[f]), np.array([lat[t]]), np.array([lon[t]]))[0]
                seconds = int(math.ceil(d / speed_mps)) if np.isfinite(d) else 0
            explicit[(f, t)] = min(explicit.get((f, t), seconds), seconds)
    for pair in explicit:
        walk.pop(pair, None)
    walk.update(explicit)
    return walk, change


def bundle_footpaths(bundle) -> dict[tuple[int, int], int]:
    """The bundle's timetable/footpaths CSR as {(from, to): seconds}."""
    offsets, to = bundle.csr("timetable/footpaths", "to")
    _, duration = bundle.csr("timetable/footpaths", "duration")
    src = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    return {(int(a), int(b)): int(d) for a, b, d in zip(src, to, duration)}
