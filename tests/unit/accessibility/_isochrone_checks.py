"""What every isochrone must satisfy (used on the sample and on Heidelberg): GeoJSON shape, valid
and nested polygons (shapely/GEOS as the independent judge), RFC 7946 ring orientation, and the
grid rule both ways:

- inside:  a point inside the polygon of cutoff c has a rule time <= c + sqrt(2) cell / speed
  (it lies in a grid cell with a corner <= c), the rule taken within radius + sqrt(2) cell;
- outside: a point whose rule time, within radius - sqrt(2) cell - step / 2, is at most
  c - sqrt(2) cell / speed - (the sampling slack) has its whole grid cell <= c: it is inside.

(radius = max(offroad_m, cell_m), step = cell_m / 2: the isochrone module's docstring.)
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import shape

from engine.accessibility.streets import node_times

from ._reach_reference import GridRule


def check_isochrone(net, iso: dict, req, rng, n_points: int = 120) -> dict:
    """Assert the properties above; returns counts of the points checked."""
    assert iso["type"] == "FeatureCollection"
    props = iso["properties"]
    cutoffs = [f["properties"]["cutoff_s"] for f in iso["features"]]
    assert cutoffs == sorted(cutoffs) == props["cutoffs_s"]
    geoms = [shape(f["geometry"]) for f in iso["features"]]
    for f, g in zip(iso["features"], geoms):
        assert f["type"] == "Feature" and f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert g.is_valid, (f["properties"], shapely.is_valid_reason(g))
        for poly in getattr(g, "geoms", [g]):
            assert poly.exterior.is_ccw and not any(h.is_ccw for h in poly.interiors)
            for ring in [poly.exterior, *poly.interiors]:
                assert ring.coords[0] == ring.coords[-1]
    for small, big in zip(geoms, geoms[1:]):
        assert big.covers(small), small.difference(big).area
    areas = [f["properties"]["area_km2"] for f in iso["features"]]
    assert areas == sorted(areas)
    if all(g.is_empty for g in geoms):
        return {"inside": 0, "outside": 0}
    # the grid rule
    cell, speed = props["cell_m"], props["speed_mps"]
    radius, step = max(props["offroad_m"], cell), cell / 2.0
    times = node_times(net, req, limit_s=cutoffs[-1] + 600)
    rule = GridRule(net.streets.graph, req.mode, times.node_s, speed, cutoffs[-1] + 600)
    diag = math.sqrt(2.0) * cell
    counts = {"inside": 0, "outside": 0}
    for c, g in zip(cutoffs, geoms):
        if g.is_empty:
            continue
        lon0, lat0, lon1, lat1 = g.bounds
        lon = rng.uniform(lon0, lon1, 6 * n_points)
        lat = rng.uniform(lat0, lat1, 6 * n_points)
        inside = shapely.contains_xy(g, lon, lat)
        pick = np.flatnonzero(inside)[:n_points]
        t_in = rule.time(lon[pick], lat[pick], radius + diag)
        worst = np.max(t_in) if len(pick) else -np.inf
        assert worst <= c + diag / speed + 1e-6, (c, worst, c + diag / speed)
        counts["inside"] += len(pick)
        inner = radius - diag - step / 2.0
        if inner > 0:
            tol = diag / speed + rule.sampling_slack(step) + 1e-6
            out = np.flatnonzero(~inside)[:3 * n_points]
            t_out = rule.time(lon[out], lat[out], inner)
            wrong = out[t_out <= c - tol]
            assert not len(wrong), (c, lon[wrong[:3]], lat[wrong[:3]], t_out[t_out <= c - tol][:3])
            counts["outside"] += int(np.isfinite(t_out).sum())
    return counts
