"""Isochrones: the contour kernel on synthetic fields, and whole isochrones on the Briqueville
sample (valid, nested, oriented polygons that keep the grid rule; bad input named)."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from engine import _isochrone
from engine.accessibility import isochrone
from engine.accessibility.request import check_request
from engine.errors import InvalidQueryError

from ._isochrone_checks import check_isochrone

DATE = "2026-03-03"
ORIGIN = (47.2025181, 1.5244541)


# ---------------------------------------------------------------- contour kernel, synthetic
def _polygons(off, xs, ys, parent):
    """The contour's rings as shapely polygons (outer ring + its holes)."""
    rings = [np.column_stack([xs[a:b], ys[a:b]]) for a, b in zip(off[:-1], off[1:])]
    out = []
    for r in np.flatnonzero(parent < 0):
        holes = [rings[h] for h in np.flatnonzero(parent == r)]
        out.append(Polygon(rings[r], holes))
    return shapely.MultiPolygon(out) if out else shapely.MultiPolygon()


def _fields(rng):
    """Random fields with many saddles, pockets and islands, plus hand-made ones."""
    yield rng.random((7, 9)) * 10
    yield np.round(rng.random((30, 40)) * 4)            # ties with the levels, plateaus
    yy, xx = np.mgrid[0:41, 0:41]
    d = np.hypot(xx - 20, yy - 20)
    yield np.abs(d - 12) + 0.3 * np.sin(xx) * np.cos(yy)    # a ring: outer + hole
    yield np.where((d > 6) & (d < 12), 9.0, 1.0) + (d > 16) * 9.0   # island inside a hole
    yield np.cos(xx * 0.7) + np.cos(yy * 0.7)            # checkerboard of saddles
    for _ in range(20):
        yield rng.random((int(rng.integers(2, 25)), int(rng.integers(2, 25)))) * 5


def test_contour_rings_are_valid_and_classify_every_grid_point():
    """Each level's polygons are valid (no crossing or touching rings, holes in their own
    polygon) and contain exactly the grid points <= level (never one on a boundary)."""
    rng = np.random.default_rng(3)
    for n, z in enumerate(_fields(rng)):
        z = np.ascontiguousarray(z, dtype=np.float64)
        top = float(z.max()) + 1.0
        previous = None
        for level in np.unique(np.r_[np.quantile(z, [0.1, 0.3, 0.5, 0.7, 0.9]), 1.0, 2.0]):
            if not level < top:
                continue
            off, xs, ys, parent, area = _isochrone.run_contour(z, float(level), top)
            poly = _polygons(off, xs, ys, parent)
            assert poly.is_valid, (n, level, shapely.is_valid_reason(poly))
            assert (area[parent < 0] > 0).all() and (area[parent >= 0] < 0).all()
            assert abs(area.sum() - poly.area) < 1e-6 * max(1.0, poly.area)
            jj, ii = np.mgrid[0:z.shape[0], 0:z.shape[1]]
            inside = shapely.contains_xy(poly, ii.ravel().astype(float), jj.ravel().astype(float))
            assert np.array_equal(inside, z.ravel() <= level), (n, level)
            assert not shapely.intersects_xy(poly.boundary, ii.ravel().astype(float),
                                             jj.ravel().astype(float)).any()
            if previous is not None:
                assert poly.covers(previous), (n, level)
            previous = poly


def test_contour_holes_and_islands():
    yy, xx = np.mgrid[0:41, 0:41]
    d = np.hypot(xx - 20.0, yy - 20.0)
    z = np.where(d < 4, 1.0, np.where(d < 9, 9.0, np.where(d < 15, 1.0, 9.0)))   # island in a hole
    off, xs, ys, parent, area = _isochrone.run_contour(z, 5.0, 10.0)
    assert len(off) - 1 == 3
    assert sorted(parent.tolist()) == [-1, -1, int(np.flatnonzero((parent < 0) & (area > 50))[0])]
    poly = _polygons(off, xs, ys, parent)
    assert len(poly.geoms) == 2 and poly.is_valid


# ---------------------------------------------------------------- isochrones on the sample
def _request(net, origin, **kw):
    args = dict(date=DATE, time="08:00", mode="walk", window_s=0, percentile=50, transit=None,
                max_transfers=4, min_change_time=60, max_access_s=900)
    args.update(kw)
    return check_request(net, origin, max_time_s=3600, **args)


@pytest.mark.parametrize("kwargs", [
    {},
    {"mode": "bike"},
    {"transit": False, "cutoffs_s": (300, 600, 900)},
    {"window_s": 600, "percentile": 25, "cutoffs_s": (600, 1200)},
    {"cell_m": 10.0, "offroad_m": 150.0, "cutoffs_s": (420, 840)},
    {"time": "23:50"},
])
def test_isochrone_polygons_keep_the_grid_rule(sample_network, kwargs):
    net = sample_network
    rng = np.random.default_rng(len(kwargs))
    g = net.streets.graph
    walk = g.mode("walk")
    usable = np.flatnonzero((walk.c_fwd >= 0) & (walk.c_bwd >= 0))
    for k in range(3):
        x = int(g.seg_u[rng.choice(usable)])
        origin = ORIGIN if k == 0 else (float(g.node_lat[x]) + rng.normal(0, 3e-4),
                                        float(g.node_lon[x]) + rng.normal(0, 3e-4))
        iso = isochrone(net, origin, date=DATE, **{"time": "08:00", **kwargs})
        req_kw = {key: kwargs[key] for key in ("mode", "transit", "window_s", "percentile", "time")
                  if key in kwargs}
        counts = check_isochrone(net, iso, _request(net, origin, **req_kw), rng)
        assert counts["inside"] > 0


def test_isochrone_geojson(sample_network):
    iso = isochrone(sample_network, ORIGIN, date=DATE, time="08:00", cutoffs_s=[1800, 600, 600, 1200])
    assert [f["properties"]["cutoff_s"] for f in iso["features"]] == [600, 1200, 1800]
    props = iso["properties"]
    assert props["mode"] == "walk" and props["date"] == DATE and props["cell_m"] == 25.0
    assert props["transit"] is True and props["window_s"] == 0 and props["percentile"] == 50
    geometry = iso["features"][0]["geometry"]
    polygon = geometry["coordinates"] if geometry["type"] == "Polygon" else geometry["coordinates"][0]
    lon, lat = polygon[0][0]
    assert 1.4 < lon < 1.7 and 47.1 < lat < 47.3          # [lon, lat], RFC 7946
    # nothing within one second of a point 10 m off the street: empty geometry
    empty = isochrone(sample_network, (47.20262, 1.52449), date=DATE, time="08:00", cutoffs_s=(1,),
                      transit=False)
    assert empty["features"][0]["geometry"] == {"type": "MultiPolygon", "coordinates": []}
    # a stop as the origin
    by_stop = isochrone(sample_network, "briqueville:GARE", date=DATE, time="08:00", cutoffs_s=(600,))
    assert by_stop["features"][0]["properties"]["area_km2"] > 0


@pytest.mark.parametrize("kwargs, parameter", [
    ({"cutoffs_s": ()}, "cutoffs_s"),
    ({"cutoffs_s": (0, 600)}, "cutoffs_s"),
    ({"cutoffs_s": (600, 10 ** 6)}, "cutoffs_s"),
    ({"cutoffs_s": tuple(range(60, 60 * 14, 60))}, "cutoffs_s"),
    ({"cutoffs_s": "900"}, "cutoffs_s"),
    ({"cutoffs_s": (600.5,)}, "cutoffs_s"),
    ({"window_s": 10 ** 5}, "window_s"),
    ({"percentile": 0}, "percentile"),
    ({"mode": "car"}, "mode"),
    ({"cell_m": 1.0}, "cell_m"),
    ({"cell_m": "big"}, "cell_m"),
    ({"offroad_m": -1.0}, "offroad_m"),
    ({"offroad_m": 5000}, "offroad_m"),
    ({"offroad_m": True}, "offroad_m"),                 # a bool is not a length
    ({"cell_m": True}, "cell_m"),
    ({"date": "tomorrow"}, "date"),
    ({"time": "8h"}, "time"),
    ({"max_transfers": 99}, "max_transfers"),
])
def test_bad_input_names_the_parameter(sample_network, kwargs, parameter):
    args = {"date": DATE, "time": "08:00"}
    args.update(kwargs)
    with pytest.raises(InvalidQueryError) as info:
        isochrone(sample_network, ORIGIN, **args)
    assert info.value.parameter == parameter, info.value
    with pytest.raises(InvalidQueryError) as info:
        isochrone(sample_network, (0.0, 0.0), date=DATE, time="08:00")
    assert info.value.parameter == "origin"
