"""Reference footpaths: the documented transfer model recomputed by brute force, for tests.

Model (/work/notes/API.md, engine/timetable/footpaths.py docstring), without OSM:
- every ordered pair of distinct stops of location_type 0 with coordinates, at most
  ``radius_m`` apart (haversine, R = 6,371,000 m), walks in ceil(distance / speed) seconds;
- transfers.txt rows (already expanded to platforms by the loader) of types 0/1/2 between
  distinct stops set the pair's duration (min_transfer_time, else the straight-line time),
  type 3 removes the straight-line pair; several rows for one pair: the smallest duration;
- a type 2 row from a stop to itself sets the stop's min_change_time (several: the largest);
- stations with pathways.txt (engine/timetable/station_walks.py): the stops a pathway touches,
  in a group of pathways with an entrance, are inside; a footpath from a stop to another is the
  shortest walk of pathways (traversal_time, else length, else the straight line, at the
  walking speed) and at most one straight walk between points outside (stops not inside,
  entrances) (``_station_walks``: a Dijkstra per start over (node, walked outside) states);
  the walks between entrances and stops are the bundle's station gates, not footpaths.
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
    inside, touched, gated = _inside(staged, kind)
    outside = (kind == 0) & ~inside | ((kind == 2) & gated)
    eligible = np.flatnonzero(outside & np.isfinite(lat) & np.isfinite(lon))
    for i in eligible.tolist():
        dist = _haversine_row(float(lat[i]), float(lon[i]), lat[eligible], lon[eligible])
        for j, d in zip(eligible[dist <= radius_m].tolist(), dist[dist <= radius_m].tolist()):
            if j != i:
                walk[(i, j)] = int(math.ceil(d / speed_mps))
    if inside.any():
        walk = _station_walks(staged, kind, inside, gated, walk, lat, lon, speed_mps)

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


def _inside(staged, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inside, touched, gated) per stop: touched by a pathway; gated: touched, in a group of
    pathways (plain union-find) that has an entrance; inside: gated and not an entrance. (A
    group without an entrance is ignored: its stops walk straight, as without pathways.)"""
    n = len(kind)
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    touched = np.zeros(n, bool)
    for a, b in zip(staged.pathway_from.tolist(), staged.pathway_to.tolist()):
        touched[a] = touched[b] = True
        parent[root(a)] = root(b)
    gated = {root(i) for i in np.flatnonzero(touched & (kind == 2)).tolist()}
    in_gated = np.array([bool(touched[i]) and root(i) in gated for i in range(n)], bool)
    return in_gated & (kind != 2), touched, in_gated


def _station_walks(staged, kind, inside, gated, outside_walk: dict, lat, lon, speed_mps: float) -> dict:
    import heapq

    edges: dict[int, list] = {}
    for a, b, sec, length in zip(staged.pathway_from.tolist(), staged.pathway_to.tolist(),
                                 staged.pathway_seconds.tolist(), staged.pathway_length_m.tolist()):
        if not gated[a]:
            continue
        if sec < 0:
            metres = length
            if not math.isfinite(metres):
                metres = float(_haversine_row(float(lat[a]), float(lon[a]), np.array([lat[b]]), np.array([lon[b]]))[0])
                metres = metres if math.isfinite(metres) else 0.0
            sec = int(math.ceil(metres / speed_mps))
        edges.setdefault(a, []).append((b, sec))
    walks_from: dict[int, list] = {}
    for (a, b), sec in outside_walk.items():
        walks_from.setdefault(a, []).append((b, sec))
    out: dict[tuple[int, int], int] = {}
    starts = np.flatnonzero(kind == 0).tolist()
    for start in starts:
        best = {(start, 0): 0}
        heap = [(0, start, 0)]
        while heap:
            d, u, used = heapq.heappop(heap)
            if d > best[(u, used)]:
                continue
            steps = [(v, t, used) for v, t in edges.get(u, ())]
            if not used and not inside[u]:
                steps += [(v, t, 1) for v, t in walks_from.get(u, ())]
            for v, t, w in steps:
                if d + t < best.get((v, w), math.inf):
                    best[(v, w)] = d + t
                    heapq.heappush(heap, (d + t, v, w))
        for (v, used), d in best.items():
            if v != start and kind[start] == 0 and kind[v] == 0:        # stop -> stop: any such walk
                out[(start, v)] = min(d, out.get((start, v), math.inf))
    return out


def bundle_footpaths(bundle, table: str = "timetable/footpaths", name=None) -> dict[tuple, int]:
    """The bundle's timetable/footpaths CSR (or another CSR of walks, ``table``: footpaths_step_free,
    station_gates ...) as {(from, to): seconds}, stops by index or, with ``name``, by name(index)."""
    offsets, to = bundle.csr(table, "to")
    _, duration = bundle.csr(table, "duration")
    src = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    key = (lambda s: int(s)) if name is None else name
    return {(key(a), key(b)): int(d) for a, b, d in zip(src, to, duration)}
