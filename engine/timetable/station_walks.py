"""Walks through stations that pathways.txt describes (issue 14).

Why: GTFS says a station's pathways "exhaustively define" how one gets from its entrances to its
platforms and between platforms. A footpath drawn as a straight line (or a street walk) between
two platforms' points says 10 s where Washington's Metro needs 2-3 min of escalators and
corridors (WMATA: platform changes p50 ~150 s by pathways.txt against ~10 s straight): the
journeys it gave could not be made. So, when a feed has pathways:

- the stops a pathway touches, in a station (a connected group of pathways) with an entrance
  (location_type 2), are *inside*: the street reaches them only through the entrances;
- a footpath between two stops is the shortest walk made of pathways inside stations and at most
  one walk outside (straight-line or street, between outside stops and entrances, as without
  pathways): platform -> pathways -> entrance -> street -> stop (or entrance -> pathways ->
  platform of another station), and platform -> pathways -> platform within a station;
- the walks between an entrance and the stops inside its station are kept apart
  (timetable/station_gates, ``station_gates``), so that a walk from a point on the street
  (``through_entrances``) reaches a platform through an entrance, and a walk on from a platform
  (reach, isochrones: ``street_seeds``, ``exits``) leaves through one;
- an itinerary's walk through a station lists the pathways it takes and is drawn through their
  nodes (timetable/pathways).

This module builds (footpaths, gates); engine/timetable/station_access.py answers queries.

A pathway's time is its ``traversal_time``, else its ``length`` at walking speed, else the
straight line between its ends at walking speed (0 when they have no coordinates). The step-free
footpaths (wheelchair) are made the same way from the step-free pathways only
(engine/loaders/gtfs_access.py) and the step-free walks outside.
"""
from __future__ import annotations

import numpy as np

from .._geo import haversine_m

#: timetable/stops.street_step_free bit: the stop is inside a station with pathways and an
#: entrance, reached from the street only through an entrance (1 and 2 are the wheelchair bits,
#: engine/timetable/accessibility.py)
INSIDE = 4
ENTRANCE = 2       # GTFS location_type of a station entrance / exit
GATES, GATES_STEP_FREE = "timetable/station_gates", "timetable/station_gates_step_free"


def pathway_seconds(seconds: np.ndarray, length_m: np.ndarray, from_stop: np.ndarray, to_stop: np.ndarray,
                    lat: np.ndarray, lon: np.ndarray, walk_speed_mps: float) -> np.ndarray:
    """int64 seconds per pathway edge: traversal_time, else length, else the straight line
    between its ends, at walking speed (rounded up)."""
    with np.errstate(invalid="ignore"):
        straight = haversine_m(lat[from_stop], lon[from_stop], lat[to_stop], lon[to_stop])
    by_length = np.where(np.isfinite(length_m), length_m, np.nan_to_num(straight, nan=0.0))
    return np.where(seconds >= 0, seconds, np.ceil(by_length / walk_speed_mps)).astype(np.int64)


def stations(n_stops: int, location_type: np.ndarray, path_from: np.ndarray,
             path_to: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(station, inside): each stop's station (a connected group of pathways, -1 for a stop no
    pathway touches) and whether it is inside one that has an entrance (entrances are not
    inside: they are where the street meets the station)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    station = np.full(n_stops, -1, np.int64)
    inside = np.zeros(n_stops, bool)
    if len(path_from) == 0:
        return station, inside
    touched = np.zeros(n_stops, bool)
    touched[path_from] = touched[path_to] = True
    graph = coo_matrix((np.ones(len(path_from)), (path_from, path_to)), shape=(n_stops, n_stops))
    _, label = connected_components(graph, directed=True, connection="weak")
    station[touched] = label[touched]
    with_entrance = np.zeros(n_stops, bool)
    with_entrance[label[touched & (location_type == ENTRANCE)]] = True
    inside = touched & with_entrance[label] & (location_type != ENTRANCE)
    return station, inside


def station_footpaths(location_type: np.ndarray, station: np.ndarray, inside: np.ndarray,
                      path_from: np.ndarray, path_to: np.ndarray, path_seconds: np.ndarray,
                      outside: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(from, to, seconds) of the footpaths (module docstring) from the pathways (edges and
    seconds) and the ``outside`` walks (from, to, seconds: between stops outside and entrances,
    others ignored). Rows may repeat a pair (the caller keeps the shortest)."""
    stop = location_type == 0
    point = (stop & ~inside) | (location_type == ENTRANCE)         # where outside walks begin and end
    o_src, o_dst, o_dur = (np.asarray(a, np.int64) for a in outside)
    keep = point[o_src] & point[o_dst]
    o_src, o_dst, o_dur = o_src[keep], o_dst[keep], o_dur[keep]
    inner, to_gate, from_gate = _inside_walks(location_type, station, inside, path_from, path_to, path_seconds)
    entrance = location_type == ENTRANCE
    plain = stop[o_src] & stop[o_dst]
    gate_out = _join(to_gate, (o_src, o_dst, o_dur))                       # inside -> entrance -> outside
    gate_in = _join((o_src, o_dst, o_dur), from_gate)                      # outside -> entrance -> inside
    parts = [(o_src[plain], o_dst[plain], o_dur[plain]), inner,
             _select(gate_out, stop[gate_out[1]]), _select(gate_in, stop[gate_in[0]]),
             _join(_select(gate_out, entrance[gate_out[1]]), from_gate)]   # inside -> out -> in again
    src, dst, dur = (np.concatenate([p[i] for p in parts]).astype(np.int64) for i in range(3))
    keep = src != dst
    return src[keep], dst[keep], dur[keep]


def station_gates(location_type: np.ndarray, station: np.ndarray, inside: np.ndarray, path_from: np.ndarray,
                  path_to: np.ndarray, path_seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(from, to, seconds) of the walks by pathways between a station's entrances and its stops,
    both ways (entrance -> stop, stop -> entrance): how the street reaches a stop inside
    (timetable/station_gates; kept out of the footpaths, which RAPTOR relaxes after every
    round: on WMATA 630 of 738 rows)."""
    _, to_gate, from_gate = _inside_walks(location_type, station, inside, path_from, path_to, path_seconds)
    return tuple(np.concatenate([to_gate[i], from_gate[i]]) for i in range(3))


def _select(rows: tuple, mask: np.ndarray) -> tuple:
    return tuple(a[mask] for a in rows)


def _inside_walks(location_type, station, inside, path_from, path_to, path_seconds):
    """Shortest pathway walks within each station with an entrance: (stop -> stop) between its
    stops, (inside stop -> entrance) and (entrance -> inside stop), each as (from, to, seconds)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    rows: dict[str, list] = {"inner": [], "to_gate": [], "from_gate": []}
    if not inside.any():
        empty = (np.empty(0, np.int64),) * 3
        return empty, empty, empty
    members = np.flatnonzero(station >= 0)
    order = members[np.argsort(station[members], kind="stable")]
    cuts = np.flatnonzero(np.diff(station[order])) + 1
    same = station[path_from] == station[path_to]
    edge_order = np.argsort(station[path_from], kind="stable")
    edge_station = station[path_from][edge_order]
    for nodes in np.split(order, cuts):
        if not inside[nodes].any():
            continue
        s = station[nodes[0]]
        lo, hi = np.searchsorted(edge_station, [s, s + 1])
        edges = edge_order[lo:hi]
        edges = edges[same[edges]]
        local = np.full(len(station), -1, np.int64)
        local[nodes] = np.arange(len(nodes))
        a, b, t = local[path_from[edges]], local[path_to[edges]], path_seconds[edges].astype(float)
        first = np.lexsort((t, b, a))                       # (parallel edges: the shortest)
        a, b, t = a[first], b[first], t[first]
        one = np.ones(len(a), bool)
        one[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        # (a zero-second edge is still an edge: scipy reads a stored 0 as none)
        graph = csr_matrix((np.maximum(t[one], 1e-9), (a[one], b[one])), shape=(len(nodes), len(nodes)))
        kind = location_type[nodes]
        is_stop, is_gate = (kind == 0) & inside[nodes], kind == ENTRANCE
        sources = np.flatnonzero(is_stop | is_gate)
        dist = dijkstra(graph, directed=True, indices=sources)      # (a row per source)
        dist = np.where(np.isfinite(dist), np.rint(dist), np.inf)
        for name, from_mask, to_mask in (("inner", is_stop, is_stop), ("to_gate", is_stop, is_gate),
                                         ("from_gate", is_gate, is_stop)):
            i, j = np.nonzero(np.isfinite(dist) & from_mask[sources][:, None] & to_mask[None, :])
            rows[name].append((nodes[sources[i]], nodes[j], dist[i, j].astype(np.int64)))
    out = []
    for name in ("inner", "to_gate", "from_gate"):
        parts = rows[name] or [(np.empty(0, np.int64),) * 3]
        out.append(tuple(np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(3)))
    return tuple(out)


def _join(left: tuple, right: tuple) -> tuple:
    """Rows (a, c, s + t) for each left row (a, b, s) and right row (b, c, t)."""
    l_src, l_dst, l_dur = left
    r_src, r_dst, r_dur = right
    order = np.argsort(r_src, kind="stable")
    r_src, r_dst, r_dur = r_src[order], r_dst[order], r_dur[order]
    lo = np.searchsorted(r_src, l_dst, "left")
    hi = np.searchsorted(r_src, l_dst, "right")
    counts = hi - lo
    left_row = np.repeat(np.arange(len(l_src)), counts)
    right_row = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    return l_src[left_row], r_dst[right_row], l_dur[left_row] + r_dur[right_row]
