"""Snapping: a coordinate -> the nearest street segment usable by a mode (projection onto the edge)."""
from __future__ import annotations

from dataclasses import dataclass

from .._geo import check_point
from ..errors import InvalidQueryError
from .graph import StreetGraph
from .locations import point_connector_ms
from .options import MODE_BIT, check_mode


@dataclass(frozen=True, slots=True)
class Snap:
    """Where a point joins a mode's street graph."""

    mode: str
    segment: int           # segment_idx
    t: float               # fraction along the segment, 0 = its u node, 1 = its v node
    lat: float             # projection of the point on the segment
    lon: float
    distance_m: float      # point -> projection (walked at walking speed)
    conn_ms: int           # walking time of that distance, ms
    point_lat: float       # the point itself
    point_lon: float


def snap_point(graph: StreetGraph, lat: float, lon: float, mode: str, parameter: str = "point",
               max_snap_m: float | None = None) -> Snap:
    """Nearest segment usable by ``mode`` within max_snap_m (the bundle's by default).

    Raises InvalidQueryError naming ``parameter`` for bad coordinates or a point too far away.
    """
    seg, t, dist, lat, lon = _nearest(graph, lat, lon, mode, parameter, max_snap_m)
    u, v = graph.seg_u[seg], graph.seg_v[seg]
    plat = graph.node_lat[u] + t * (graph.node_lat[v] - graph.node_lat[u])
    plon = graph.node_lon[u] + t * (graph.node_lon[v] - graph.node_lon[u])
    conn = point_connector_ms(dist, graph.walk_speed_mps)
    return Snap(mode, seg, t, float(plat), float(plon), dist, conn, lat, lon)


def snap_location(graph: StreetGraph, lat: float, lon: float, mode: str,
                  parameter: str = "point") -> tuple[int, float, int]:
    """(segment, t, conn_ms) of ``snap_point`` without the rest (the stop reach's fast path)."""
    seg, t, dist, _, _ = _nearest(graph, lat, lon, mode, parameter, None)
    return seg, t, point_connector_ms(dist, graph.walk_speed_mps)


def _nearest(graph: StreetGraph, lat: float, lon: float, mode: str, parameter: str,
             max_snap_m: float | None) -> tuple[int, float, float, float, float]:
    """(segment, t, distance_m, lat, lon) or InvalidQueryError naming ``parameter``."""
    check_mode(mode)
    lat, lon = check_point(lat, lon, parameter)
    limit = graph.max_snap_m if max_snap_m is None else float(max_snap_m)
    seg, t, dist = graph.snap_index.snap(lat, lon, MODE_BIT[mode], limit)
    if seg < 0 or dist > limit:
        where = "no street" if seg < 0 else f"the nearest is {dist:.0f} m away"
        raise InvalidQueryError(
            f"{parameter} ({lat:.6f}, {lon:.6f}) is not within {limit:g} m of a street usable by "
            f"{mode} ({where})", parameter)
    return int(seg), float(t), float(dist), lat, lon
