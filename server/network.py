"""Map drawing data: street segments and transit polylines in a bbox, bounded in size.

Presentation only (no routing): reads the open bundle's public arrays (``Network.streets.graph``
and ``Network.timetable``), precomputes per-process bounding boxes once, then filters each
request with numpy and keeps the longest segments / busiest lines when over the cap.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

_LOCK = threading.Lock()
_MAX_LINE_POINTS = 400


@dataclass
class _Index:
    seg_x0: np.ndarray
    seg_y0: np.ndarray
    seg_x1: np.ndarray
    seg_y1: np.ndarray
    seg_len: np.ndarray
    pat_box: np.ndarray       # [n_patterns, 4] min_lon, min_lat, max_lon, max_lat
    pat_trips: np.ndarray
    full_bbox: tuple[float, float, float, float]


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


def _index(state, net) -> _Index:
    idx = getattr(state, "network_index", None)
    if idx is None:
        with _LOCK:
            idx = getattr(state, "network_index", None)
            if idx is None:
                idx = state.network_index = _build_index(net)
    return idx


def _pattern_line(tt, p: int) -> list[list[float]]:
    first = int(tt.pattern_first_trip[p])
    shape = int(tt.trip_shape[first]) if len(tt.trip_shape) else -1
    if shape >= 0 and shape + 1 < len(tt.shape_offsets):
        a, b = int(tt.shape_offsets[shape]), int(tt.shape_offsets[shape + 1])
        lat, lon = np.asarray(tt.shape_lat[a:b]), np.asarray(tt.shape_lon[a:b])
    else:
        a, b = int(tt.pattern_stops_offsets[p]), int(tt.pattern_stops_offsets[p + 1])
        stops = np.asarray(tt.pattern_stops[a:b])
        lat, lon = np.asarray(tt.stop_lat)[stops], np.asarray(tt.stop_lon)[stops]
    if len(lat) > _MAX_LINE_POINTS:
        keep = np.unique(np.r_[np.linspace(0, len(lat) - 1, _MAX_LINE_POINTS).astype(np.int64)])
        lat, lon = lat[keep], lon[keep]
    return np.column_stack([np.round(lon, 5), np.round(lat, 5)]).tolist()


def _color(text: str | None) -> str | None:
    if text and len(text) == 6 and all(c in "0123456789abcdefABCDEF" for c in text):
        return "#" + text.upper()
    return None


def network_json(state, net, bbox, max_segments: int, max_lines: int) -> dict[str, Any]:
    """Segments [lon1, lat1, lon2, lat2] and transit polylines intersecting ``bbox``."""
    idx = _index(state, net)
    box = bbox or idx.full_bbox
    x0, y0, x1, y1 = box
    sel = np.flatnonzero((np.maximum(idx.seg_x0, idx.seg_x1) >= x0) & (np.minimum(idx.seg_x0, idx.seg_x1) <= x1)
                         & (np.maximum(idx.seg_y0, idx.seg_y1) >= y0) & (np.minimum(idx.seg_y0, idx.seg_y1) <= y1))
    total_segments = int(len(sel))
    if len(sel) > max_segments:
        sel = sel[np.argsort(-idx.seg_len[sel], kind="stable")[:max_segments]]
    streets = np.round(np.column_stack([idx.seg_x0[sel], idx.seg_y0[sel], idx.seg_x1[sel], idx.seg_y1[sel]]),
                       5).tolist()
    pb = idx.pat_box
    with np.errstate(invalid="ignore"):
        pats = np.flatnonzero((pb[:, 2] >= x0) & (pb[:, 0] <= x1) & (pb[:, 3] >= y0) & (pb[:, 1] <= y1))
    total_lines = int(len(pats))
    if len(pats) > max_lines:
        pats = pats[np.argsort(-idx.pat_trips[pats], kind="stable")[:max_lines]]
    transit = []
    tt = net.timetable
    if len(pats):
        short, long_, color = tt.strings("routes", "short_name"), tt.strings("routes", "long_name"), \
            tt.strings("routes", "color")
        for p in pats.tolist():
            r = int(tt.pattern_route[p])
            name = short[r].as_py() or long_[r].as_py() or ""
            transit.append({"route": name, "color": _color(color[r].as_py()), "route_type": int(tt.route_type[r]),
                            "coordinates": _pattern_line(tt, p)})
    return {"bbox": [round(float(v), 6) for v in box], "streets": streets, "streets_total": total_segments,
            "transit": transit, "transit_total": total_lines}
