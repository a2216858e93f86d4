"""Helpers for the step-free (wheelchair) street tests, independent of the build's wheelchair mode.

- ``excluded_segments``: the segments a wheelchair user may not use, from the bundle's way table
  (``highway=steps``) and the OSM file's own tags (``wheelchair=no``; an ``incline`` number
  steeper than 1:12 either way or a ``smoothness`` of bad or worse, unless ``wheelchair=yes`` /
  ``designated``; read here with pyosmium);
- ``oracle_costs`` / ``oracle_matrix`` / ``oracle_ms``: a plain scipy Dijkstra on the walk costs
  with those segments removed (what a step-free search must equal);
- ``steps_on_geometry``: the steps segments a route's polyline runs along, so a test fails when
  a step leaks into a wheelchair route whatever the engine's own bookkeeping says.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from engine.streets.locations import arrive, direct, leave

M_PER_DEG = 6_371_000.0 * math.pi / 180.0


def way_highway(graph) -> np.ndarray:
    return np.asarray(graph.bundle.table("streets/ways").column("highway").to_pylist(), dtype=object)


def steps_segments(graph) -> np.ndarray:
    """Segment rows of ``highway=steps`` ways."""
    return np.flatnonzero(way_highway(graph)[graph.seg_way] == "steps")


def too_steep(incline: str | None) -> bool:
    """An incline tag steeper than 1:12 (8.33 %) up or down: "12%", "-9.5 %", "12", "6°"."""
    text = (incline or "").split(";")[0].strip().replace(",", ".")
    if text.endswith("°"):
        try:
            return abs(math.tan(math.radians(float(text[:-1])))) > 1 / 12 + 1e-9
        except ValueError:
            return False
    try:
        return abs(float(text.rstrip("%").strip())) / 100 > 1 / 12 + 1e-9
    except ValueError:
        return False            # "up", "down", empty


ROUGH = ("bad", "very_bad", "horrible", "very_horrible", "impassable")     # smoothness past "intermediate"


def too_steep_or_rough(tags) -> bool:
    return too_steep(tags.get("incline")) or (tags.get("smoothness") or "").strip() in ROUGH


def too_steep_ways(osm_path: Path) -> set[int]:
    """OSM ids of the highway ways too steep or too rough for a wheelchair (too_steep_or_rough,
    no wheelchair=yes / designated)."""
    import osmium

    out = set()
    for way in osmium.FileProcessor(str(osm_path), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway")):
        chair = (way.tags.get("wheelchair") or "").split(";")[0].strip()
        if chair not in ("yes", "designated") and too_steep_or_rough(way.tags):
            out.add(way.id)
    return out


def wheelchair_no_ways(osm_path: Path) -> set[int]:
    """OSM ids of the highway ways a wheelchair may not take besides steps (read from the file
    itself): wheelchair=no, or too steep or rough (too_steep_or_rough) without wheelchair=yes /
    designated."""
    import osmium

    out = set()
    for way in osmium.FileProcessor(str(osm_path), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway")):
        chair = (way.tags.get("wheelchair") or "").split(";")[0].strip()
        if chair == "no" or (chair not in ("yes", "designated") and too_steep_or_rough(way.tags)):
            out.add(way.id)
    return out


def excluded_segments(graph, osm_path: Path | None) -> np.ndarray:
    """Bool per segment: steps, or a way tagged wheelchair=no in ``osm_path``."""
    bad = way_highway(graph)[graph.seg_way] == "steps"
    if osm_path is not None:
        osm_ids = graph.bundle.table("streets/ways").column("osm_id").to_numpy()
        no = np.isin(osm_ids, np.fromiter(wheelchair_no_ways(osm_path), dtype=np.int64))
        bad |= no[graph.seg_way]
    return bad


def oracle_costs(graph, osm_path: Path | None) -> np.ndarray:
    """Walk ms per segment (both ways), -1 where a wheelchair user may not go."""
    walk = np.asarray(graph.mode("walk").c_fwd, dtype=np.int64)
    return np.where(excluded_segments(graph, osm_path) | (walk < 0), -1, walk)


def oracle_matrix(graph, cost: np.ndarray) -> csr_matrix:
    """Symmetric scipy graph of the allowed segments; parallel edges keep their minimum."""
    ok = cost >= 0
    src = np.concatenate([graph.seg_u[ok], graph.seg_v[ok]]).astype(np.int64)
    dst = np.concatenate([graph.seg_v[ok], graph.seg_u[ok]]).astype(np.int64)
    w = np.concatenate([cost[ok], cost[ok]])
    n = graph.n_nodes
    key = src * n + dst
    order = np.lexsort((w, key))
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]] if len(order) else order
    return csr_matrix((w[first].astype(np.float64), (src[first], dst[first])), shape=(n, n))


def oracle_ms(graph, matrix: csr_matrix, cost: np.ndarray, a, b, limit: float = np.inf) -> float:
    """Shortest ms between locations a, b = (segment, t, conn_ms) on the oracle graph (inf when
    above ``limit``: the search stops there)."""
    sn, sc = leave(a[0], a[1], a[2], graph.seg_u, graph.seg_v, cost, cost)
    tn, tc = arrive(b[0], b[1], b[2], graph.seg_u, graph.seg_v, cost, cost)
    best = math.inf
    if a[0] == b[0]:
        d = direct(a[0], a[1], a[2], b[1], b[2], cost, cost)
        best = d if d is not None else best
    if len(sn) and len(tn):
        dist = dijkstra(matrix, indices=sn, limit=limit)
        for i in range(len(sn)):
            for j in range(len(tn)):
                best = min(best, dist[i, tn[j]] + sc[i] + tc[j])
    return best


def steps_on_geometry(graph, geometry, steps: np.ndarray | None = None, tol_m: float = 0.05) -> list[int]:
    """Steps segments some piece of ``geometry`` runs along: the midpoint of a piece lies on
    the segment (within tol_m). A route over steps always has such a piece (the segment itself
    or the part from a projection onto it)."""
    steps = steps_segments(graph) if steps is None else steps
    pts = np.asarray(geometry, dtype=np.float64)
    if len(steps) == 0 or len(pts) < 2:
        return []
    lat0 = float(pts[:, 0].mean())
    kx = M_PER_DEG * math.cos(math.radians(lat0))

    def xy(lat, lon):
        return np.stack([(np.asarray(lon) - 0.0) * kx, np.asarray(lat) * M_PER_DEG], axis=-1)

    a = xy(graph.node_lat[graph.seg_u[steps]], graph.node_lon[graph.seg_u[steps]])
    b = xy(graph.node_lat[graph.seg_v[steps]], graph.node_lon[graph.seg_v[steps]])
    p = xy(pts[:, 0], pts[:, 1])
    mids = (p[1:] + p[:-1]) / 2
    moving = np.linalg.norm(p[1:] - p[:-1], axis=1) > 1e-6
    found = set()
    ab = b - a
    ab2 = np.maximum((ab ** 2).sum(axis=1), 1e-12)
    for m in mids[moving]:
        t = np.clip(((m - a) * ab).sum(axis=1) / ab2, 0.0, 1.0)
        d = np.linalg.norm(a + t[:, None] * ab - m, axis=1)
        found.update(steps[d < tol_m].tolist())
    return sorted(found)
