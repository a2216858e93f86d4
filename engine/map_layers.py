"""Map drawing data: street segments and transit polylines inside a bbox, bounded in size.

Presentation only (no routing). The first call on a network computes, once per open network,
each segment's end points and each pattern's bounding box; every call then filters them with
numpy and, over the caps, keeps the longest segments and the busiest lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._derived import DerivedCache
from ._geo import check_bbox
from .errors import InvalidQueryError

#: Largest ``max_segments`` and ``max_lines`` a request may ask for.
MAX_MAP_SEGMENTS = 500_000
MAX_MAP_LINES = 50_000
#: A transit polyline longer than this is thinned to this many points (evenly spaced).
MAX_LINE_POINTS = 400

_INDEXES: "DerivedCache[Any, _Index]" = DerivedCache(lambda net: _build_index(net))   # Network -> _Index


@dataclass(frozen=True, slots=True)
class _Index:
    seg_x0: np.ndarray        # float64 [n_segments]: lon of the segment's u node
    seg_y0: np.ndarray        # lat of u
    seg_x1: np.ndarray        # lon of v
    seg_y1: np.ndarray        # lat of v
    seg_length_m: np.ndarray  # float64 [n_segments]
    pattern_box: np.ndarray   # float64 [n_patterns, 4]: min_lon, min_lat, max_lon, max_lat (NaN: no stops)
    pattern_trips: np.ndarray # int64 [n_patterns]
    full_bbox: tuple[float, float, float, float]


def map_layers(net, bbox: tuple[float, float, float, float] | None = None, max_segments: int = 20_000,
               max_lines: int = 1_000) -> dict[str, Any]:
    """Street segments and transit pattern polylines intersecting ``bbox``, for drawing a map.

    Parameters
    ----------
    net : an open ``engine.Network``.
    bbox : (min_lon, min_lat, max_lon, max_lat), degrees; None for the whole bundle.
    max_segments : at most this many segments (the longest), 0..MAX_MAP_SEGMENTS.
    max_lines : at most this many transit polylines (the patterns with most trips), 0..MAX_MAP_LINES.

    Returns
    -------
    ``{"bbox": [4 floats], "streets": [[lon1, lat1, lon2, lat2], ...], "streets_total": int,
    "transit": [{"route", "color", "route_type", "coordinates": [[lon, lat], ...]}, ...],
    "transit_total": int}``; the totals count what intersects ``bbox`` before the caps.
    Coordinates are rounded to 5 decimals (about 1 m).
    """
    max_segments = _check_count(max_segments, "max_segments", MAX_MAP_SEGMENTS)
    max_lines = _check_count(max_lines, "max_lines", MAX_MAP_LINES)
    idx = _index(net)
    box = idx.full_bbox if bbox is None else check_bbox(bbox)
    x0, y0, x1, y1 = box
    sel = np.flatnonzero((np.maximum(idx.seg_x0, idx.seg_x1) >= x0) & (np.minimum(idx.seg_x0, idx.seg_x1) <= x1)
                         & (np.maximum(idx.seg_y0, idx.seg_y1) >= y0) & (np.minimum(idx.seg_y0, idx.seg_y1) <= y1))
    total_segments = int(len(sel))
    if len(sel) > max_segments:
        sel = sel[np.argsort(-idx.seg_length_m[sel], kind="stable")[:max_segments]]
    streets = np.round(np.column_stack([idx.seg_x0[sel], idx.seg_y0[sel], idx.seg_x1[sel], idx.seg_y1[sel]]),
                       5).tolist()
    pb = idx.pattern_box
    with np.errstate(invalid="ignore"):
        pats = np.flatnonzero((pb[:, 2] >= x0) & (pb[:, 0] <= x1) & (pb[:, 3] >= y0) & (pb[:, 1] <= y1))
    total_lines = int(len(pats))
    if len(pats) > max_lines:
        pats = pats[np.argsort(-idx.pattern_trips[pats], kind="stable")[:max_lines]]
    transit = []
    tt = net.timetable
    if len(pats):
        short, long_ = tt.strings("routes", "short_name"), tt.strings("routes", "long_name")
        color = tt.strings("routes", "color")
        for p in pats.tolist():
            r = int(tt.pattern_route[p])
            name = short[r].as_py() or long_[r].as_py() or ""
            transit.append({"route": name, "color": _color(color[r].as_py()), "route_type": int(tt.route_type[r]),
                            "coordinates": _pattern_line(tt, p)})
    return {"bbox": [round(float(v), 6) for v in box], "streets": streets, "streets_total": total_segments,
            "transit": transit, "transit_total": total_lines}


def _check_count(value, parameter: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= high:
        raise InvalidQueryError(f"{parameter} must be an integer in 0..{high}", parameter)
    return int(value)


def _index(net) -> _Index:
    return _INDEXES.get(net)


def _build_index(net) -> _Index:
    empty = np.empty(0)
    x0 = y0 = x1 = y1 = length = empty
    boxes = []
    if net.streets is not None:
        g = net.streets.graph
        u, v = np.asarray(g.seg_u), np.asarray(g.seg_v)
        x0, y0 = np.asarray(g.node_lon)[u], np.asarray(g.node_lat)[u]
        x1, y1 = np.asarray(g.node_lon)[v], np.asarray(g.node_lat)[v]
        length = np.asarray(g.seg_length_m, dtype=np.float64)
        if len(u):
            boxes.append((min(x0.min(), x1.min()), min(y0.min(), y1.min()), max(x0.max(), x1.max()),
                          max(y0.max(), y1.max())))
    pat_box = np.empty((0, 4))
    trips = np.empty(0, np.int64)
    tt = net.timetable
    if tt is not None and tt.n_patterns:
        off = np.asarray(tt.pattern_stops_offsets, dtype=np.int64)
        stops = np.asarray(tt.pattern_stops)
        lat, lon = np.asarray(tt.stop_lat)[stops], np.asarray(tt.stop_lon)[stops]
        starts = off[:-1]
        nonempty = off[1:] > starts
        pat_box = np.full((tt.n_patterns, 4), np.nan)
        s = starts[nonempty]
        pat_box[nonempty] = np.column_stack([np.minimum.reduceat(lon, s), np.minimum.reduceat(lat, s),
                                             np.maximum.reduceat(lon, s), np.maximum.reduceat(lat, s)])
        trips = np.asarray(tt.pattern_n_trips, dtype=np.int64)
        ok = np.isfinite(pat_box).all(axis=1)
        if ok.any():
            boxes.append(tuple(np.r_[pat_box[ok, :2].min(axis=0), pat_box[ok, 2:].max(axis=0)]))
    full = (0.0, 0.0, 0.0, 0.0)
    if boxes:
        b = np.array(boxes, dtype=np.float64)
        full = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))
    return _Index(x0, y0, x1, y1, length, pat_box, trips, full)


def _pattern_line(tt, p: int) -> list[list[float]]:
    """[lon, lat] polyline of pattern ``p``: its first trip's shape, else its stops; thinned."""
    lat, lon = tt.trip_shape_points(int(tt.pattern_first_trip[p]))
    if len(lat) == 0:
        a, b = int(tt.pattern_stops_offsets[p]), int(tt.pattern_stops_offsets[p + 1])
        stops = np.asarray(tt.pattern_stops[a:b])
        lat, lon = np.asarray(tt.stop_lat)[stops], np.asarray(tt.stop_lon)[stops]
    lat, lon = np.asarray(lat), np.asarray(lon)
    if len(lat) > MAX_LINE_POINTS:
        keep = np.unique(np.r_[np.linspace(0, len(lat) - 1, MAX_LINE_POINTS).astype(np.int64)])
        lat, lon = lat[keep], lon[keep]
    return np.column_stack([np.round(lon, 5), np.round(lat, 5)]).tolist()


def _color(text: str | None) -> str | None:
    """'#RRGGBB' from a routes.txt colour, None when absent or malformed."""
    if text and len(text) == 6 and all(c in "0123456789abcdefABCDEF" for c in text):
        return "#" + text.upper()
    return None
