"""Isochrones: the area reached within each cutoff, as nested GeoJSON polygons.

How (every loop compiled, engine/_isochrone.pyx):

1. Street-level times (``streets.node_times``): every node of the mode's streets, with transit
   when the bundle has a timetable, at the request's percentile over the departure minutes.
2. A raster of the *grid rule*, on a square grid in the local equirectangular plane (metres:
   x = (lon - lon0) cos(lat0) R pi / 180, y = (lat - lat0) R pi / 180, R = 6,371 km):

       time(p) = min over street points q within r of p of  time(q) + |pq| / speed

   with r = max(``offroad_m``, the cell) (100 m by default),
   where the street points are the reached nodes and the points along each segment the mode
   may use (a point at fraction f of u -> v is reached at min(T(u) + f c(u -> v), T(v) +
   (1 - f) c(v -> u))), sampled every half cell, and ``speed`` is the mode's speed (walking
   1.33 m/s, cycling 4.5 m/s by default: the bundle's): the last metres off the network, into
   a building or across a square, at the mode's pace. Beyond r of every reached street,
   nothing is reached (a lake, a railway yard, a park without paths stay out).
   The cell is 25 m walking and 50 m cycling, larger when the reached area would need more
   than 150,000 grid points (so a one-hour transit isochrone over a city stays fast).
3. Contours of {time <= cutoff} by marching squares, one (Multi)Polygon per cutoff. What that
   guarantees (tested): the polygons are valid (rings never cross or touch: crossing points
   are kept 2 % of a cell away from the grid points), holes are the unreachable pockets
   enclosed by reached area, the polygon of each cutoff contains the ones of the smaller
   cutoffs (same field, higher level), and a point inside the polygon of cutoff c has a grid-
   rule time of at most c + sqrt(2) cell / speed (it lies in a cell with a corner <= c).

Why our own contouring rather than a library: contourpy (marching squares) would need shapely
(GEOS) on top to turn its rings into valid, hole-assigned polygons; both are compiled
dependencies for ~150 lines of code that the raster kernel's file already holds, and writing
them gives the validity guarantee above by construction (crossing points never on grid points,
saddles resolved by the cell mean). shapely is used by the tests only, as an independent check
of validity and nesting.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _isochrone
from .._types import EARTH_RADIUS_M, UNREACHED
from ..errors import InvalidQueryError
from .graph import views
from .request import DEFAULT_ACCESS_S, DEFAULT_MIN_CHANGE_S, MAX_CUTOFFS, MAX_TIME_S, check_request
from .streets import node_times, request_metadata

DEFAULT_CUTOFFS_S = (900, 1800, 2700, 3600)
#: Smallest grid cell per mode, metres.
MIN_CELL_M = {"walk": 25.0, "bike": 50.0}
#: Most grid points of one isochrone (the cell grows beyond).
MAX_GRID_POINTS = 150_000
#: Most grid points with a cell given by the caller (a smaller cell is refused, naming cell_m).
MAX_GIVEN_GRID_POINTS = 2_000_000
DEFAULT_OFFROAD_M = 100.0
#: Decimals of the output coordinates: 1e-6 degree moves a point by at most 0.07 m, under half
#: the 0.28 m (sqrt(2) x 2 % of the smallest cell, 10 m) that separates any two ring points and
#: any point from a segment it is not on, so rounding keeps the rings simple and nested.
DECIMALS = 6
_DEG_M = EARTH_RADIUS_M * math.pi / 180.0


class _Plane:
    """The local equirectangular plane of a street graph (node coordinates in metres, cached)."""

    def __init__(self, graph):
        lat, lon = graph.node_lat, graph.node_lon
        self.lat0 = float(np.median(lat)) if len(lat) else 0.0
        self.lon0 = float(np.median(lon)) if len(lon) else 0.0
        self.cos0 = math.cos(math.radians(self.lat0))
        self.x = np.ascontiguousarray((lon - self.lon0) * (self.cos0 * _DEG_M))
        self.y = np.ascontiguousarray((lat - self.lat0) * _DEG_M)

    def lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.lon0 + x / (self.cos0 * _DEG_M), self.lat0 + y / _DEG_M


def _plane(graph) -> _Plane:
    v = views(graph)
    plane = getattr(v, "plane", None)
    if plane is None:
        plane = v.plane = _Plane(graph)
    return plane


def warmup(net) -> None:
    """Build this thread's accessibility views of every mode (node -> junction arrays, the
    plane's node coordinates, the workspaces), so that the first isochrone or reach does not
    pay for them; nothing when the bundle has no streets."""
    if net.streets is None:
        return
    v = views(net.streets.graph)
    for mode in v.modes_available():
        v.mode(mode)
        v.workspace(mode)
    _plane(net.streets.graph)


def check_cutoffs(cutoffs_s) -> tuple[int, ...]:
    """Cutoffs as a sorted tuple of distinct ints in 1..MAX_TIME_S (1..MAX_CUTOFFS of them)."""
    if isinstance(cutoffs_s, (int, np.integer)) and not isinstance(cutoffs_s, bool):
        cutoffs_s = (cutoffs_s,)
    try:
        values = list(cutoffs_s)
    except TypeError:
        raise InvalidQueryError("cutoffs_s must be a sequence of seconds", "cutoffs_s") from None
    if not 1 <= len(values) <= MAX_CUTOFFS or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 1 <= v <= MAX_TIME_S
            for v in values):
        raise InvalidQueryError(f"cutoffs_s must be 1 to {MAX_CUTOFFS} integers in 1..{MAX_TIME_S} "
                                f"(seconds), got {cutoffs_s!r}", "cutoffs_s")
    return tuple(sorted({int(v) for v in values}))


def _check_length(value, parameter: str, low: float, high: float) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise InvalidQueryError(f"{parameter} must be a number of metres, got {value!r}", parameter)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidQueryError(f"{parameter} must be a number of metres", parameter) from None
    if not low <= v <= high:
        raise InvalidQueryError(f"{parameter} must be within {low:g}..{high:g} m, got {value!r}", parameter)
    return v


def isochrone(net, origin, *, date=None, time=None, cutoffs_s=DEFAULT_CUTOFFS_S, window_s: int = 0,
              percentile: int = 50, mode: str = "walk", transit: bool | None = None,
              max_transfers: int = 4, min_change_time: int = DEFAULT_MIN_CHANGE_S,
              max_access_s: int = DEFAULT_ACCESS_S, cell_m: float | None = None,
              offroad_m: float = DEFAULT_OFFROAD_M) -> dict:
    """Areas reachable from ``origin`` within each cutoff, as a GeoJSON FeatureCollection.

    Parameters
    ----------
    net, origin, date, time, window_s, percentile, mode, transit, max_transfers,
    min_change_time, max_access_s : as ``reach`` (engine.accessibility.streets).
    cutoffs_s : 1 to 12 travel times in seconds (1..21600), any order.
    cell_m : grid cell in metres (10..1000; default: 25 walking, 50 cycling, larger for wide
        areas: see the module docstring); refused when it needs over 2,000,000 grid points.
    offroad_m : how far from a reached street the area extends (0..1000 m, default 100), at the
        mode's speed.

    Returns
    -------
    dict: a FeatureCollection with one Feature per cutoff, smallest first, each a Polygon or
    MultiPolygon (``[lon, lat]``, exterior rings counter-clockwise, holes clockwise, RFC 7946;
    an empty MultiPolygon when nothing is reached) with properties ``cutoff_s`` and
    ``area_km2``; the collection's ``properties`` hold the request and the grid (``cell_m``,
    ``offroad_m``, ``speed_mps``).
    """
    cutoffs = check_cutoffs(cutoffs_s)
    offroad = _check_length(offroad_m, "offroad_m", 0.0, 1000.0)
    cell_given = None if cell_m is None else _check_length(cell_m, "cell_m", 10.0, 1000.0)
    req = check_request(net, origin, date=date, time=time, mode=mode, max_time_s=cutoffs[-1],
                        window_s=window_s, percentile=percentile, transit=transit,
                        max_transfers=max_transfers, min_change_time=min_change_time,
                        max_access_s=max_access_s)
    view = views(net.streets.graph).mode(req.mode)
    speed = view.speed_mps
    # the node times are needed a little past the last cutoff (the grid just outside it)
    cell_bound = max(cell_given or MIN_CELL_M[req.mode], offroad)
    times = node_times(net, req, limit_s=cutoffs[-1] + math.ceil(2.0 * cell_bound / speed) + 1,
                       with_stops=False)         # the stops' own times are not contoured
    grid = _Grid(net.streets.graph, times.node_s, req.mode, speed, cutoffs[-1], cell_given, offroad)
    features = [grid.feature(c) for c in cutoffs]
    props = dict(request_metadata(req))
    props.update(cutoffs_s=list(cutoffs), cell_m=round(grid.cell, 3), offroad_m=offroad,
                 speed_mps=speed, window_s=req.window_s, percentile=req.percentile,
                 transit=req.transit, max_time_s=cutoffs[-1])
    return {"type": "FeatureCollection", "features": features, "properties": props}


class _Grid:
    """The grid-rule raster of one request, and its contours."""

    def __init__(self, graph, node_s: np.ndarray, mode: str, speed: float, last_cutoff: int,
                 cell_m: float | None, offroad_m: float):
        self.plane = plane = _plane(graph)
        self.speed = speed
        reached = np.flatnonzero(node_s < UNREACHED)
        self.empty = len(reached) == 0
        if self.empty:
            self.cell = cell_m or MIN_CELL_M[mode]
            return
        xs, ys = plane.x[reached], plane.y[reached]
        x_lo, x_hi, y_lo, y_hi = xs.min(), xs.max(), ys.min(), ys.max()
        cell = cell_m
        if cell is None:
            margin = 2.0 * offroad_m
            area = (x_hi - x_lo + margin) * (y_hi - y_lo + margin)
            cell = max(MIN_CELL_M[mode], math.sqrt(area / MAX_GRID_POINTS))
        self.cell = cell
        self.radius = max(offroad_m, cell)
        self.top = last_cutoff + cell / speed          # "not within the last cutoff (and a cell)"
        pad = self.radius + cell
        self.x0 = math.floor((x_lo - pad) / cell) * cell
        self.y0 = math.floor((y_lo - pad) / cell) * cell
        self.nx = int(math.ceil((x_hi + pad - self.x0) / cell)) + 1
        self.ny = int(math.ceil((y_hi + pad - self.y0) / cell)) + 1
        if self.nx * self.ny > MAX_GIVEN_GRID_POINTS:
            need = math.sqrt(self.nx * self.ny / MAX_GIVEN_GRID_POINTS) * cell
            raise InvalidQueryError(f"cell_m: a {cell:g} m cell needs {self.nx * self.ny:,} grid points over "
                                    f"the reached area (at most {MAX_GIVEN_GRID_POINTS:,}); use >= {need:.0f} m "
                                    "or leave it out", "cell_m")
        mg = graph.mode(mode)
        self.values = _isochrone.run_raster(plane.x, plane.y, node_s, graph.seg_u, graph.seg_v,
                                            mg.c_fwd, mg.c_bwd, self.x0, self.y0, cell, self.nx,
                                            self.ny, speed, self.radius, cell / 2.0, self.top)

    def feature(self, cutoff: int) -> dict:
        geometry, area_m2 = self.geometry(cutoff)
        return {"type": "Feature", "properties": {"cutoff_s": cutoff, "area_km2": round(area_m2 / 1e6, 6)},
                "geometry": geometry}

    def geometry(self, cutoff: int) -> tuple[dict, float]:
        """The (Multi)Polygon of {time <= cutoff} and its area in m2."""
        if self.empty:
            return {"type": "MultiPolygon", "coordinates": []}, 0.0
        off, gx, gy, parent, area = _isochrone.run_contour(self.values, float(cutoff), self.top)
        lon, lat = self.plane.lonlat(self.x0 + gx * self.cell, self.y0 + gy * self.cell)
        points = np.column_stack((np.round(lon, DECIMALS), np.round(lat, DECIMALS))).tolist()
        rings = []
        for r in range(len(off) - 1):
            a, b = int(off[r]), int(off[r + 1])
            ring = points[a:b]
            ring.append(list(points[a]))        # closed, as GeoJSON wants
            rings.append(ring)
        outer = np.flatnonzero(parent < 0)
        holes: dict[int, list[int]] = {}
        for r in np.flatnonzero(parent >= 0).tolist():
            holes.setdefault(int(parent[r]), []).append(r)
        polygons = [[rings[r]] + [rings[h] for h in holes.get(int(r), [])] for r in outer.tolist()]
        area_m2 = float(area.sum()) * self.cell * self.cell
        if len(polygons) == 1:
            return {"type": "Polygon", "coordinates": polygons[0]}, area_m2
        return {"type": "MultiPolygon", "coordinates": polygons}, area_m2
