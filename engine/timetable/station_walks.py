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
- an itinerary's walk through a station lists the pathways it takes (``PathwayRoutes``, from
  timetable/pathways: mode, seconds, length, sign) and is drawn through their nodes.

A pathway's time is its ``traversal_time``, else its ``length`` at walking speed, else the
straight line between its ends at walking speed (0 when they have no coordinates). The step-free
footpaths (wheelchair) are made the same way from the step-free pathways only
(engine/loaders/gtfs_access.py) and the step-free walks outside.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .._geo import haversine_m
from .._stations import expand

#: timetable/stops.street_step_free bit: the stop is inside a station with pathways and an
#: entrance, reached from the street only through an entrance (1 and 2 are the wheelchair bits,
#: engine/timetable/accessibility.py)
INSIDE = 4
ENTRANCE = 2       # GTFS location_type of a station entrance / exit


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
    inside = touched & with_entrance[np.maximum(label, 0)] & (location_type != ENTRANCE)
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


@dataclass(frozen=True)
class StationWalks:
    """What a walk from or to the street needs at query time (``through_entrances``)."""

    inside: np.ndarray          # bool per stop: reached only through an entrance
    entrance: np.ndarray        # bool per stop
    kind: np.ndarray            # int8 per stop: 0 outside, 1 inside, 2 an entrance
    forward: tuple              # CSR (offsets, stop, seconds): entrance -> the inside stops it leads to
    backward: tuple             # CSR: entrance -> the inside stops that lead to it
    exits: tuple                # (inside stop, entrance, seconds) rows: the walks out


_LOCK = threading.Lock()
GATES, GATES_STEP_FREE = "timetable/station_gates", "timetable/station_gates_step_free"


def station_walks(tt) -> StationWalks | None:
    """The timetable's StationWalks (made on first use from the bundle's station gates: for a
    wheelchair timetable the step-free ones, without the entrances it excludes), None when no
    stop is inside a station."""
    try:
        return vars(tt)["_station_walks"]       # (its own: a filtered timetable reads through to the base's)
    except KeyError:
        pass
    filters = getattr(tt, "filters", None)
    table = GATES_STEP_FREE if filters is not None and filters.wheelchair else GATES
    walks = None
    if tt.bundle.has(table):
        bits = np.asarray(tt.bundle.column("timetable/stops", "street_step_free"))
        inside = (bits & INSIDE) != 0
        entrance = np.asarray(tt.stop_location_type) == ENTRANCE
        offsets, to = tt.bundle.csr(table, "to")
        _, dur = tt.bundle.csr(table, "duration")
        n = len(inside)
        src = np.repeat(np.arange(n), np.diff(offsets))
        keep = np.ones(len(to), bool)
        stop_ok = getattr(tt, "stop_ok", None)        # (a filtered timetable: entrances it excludes)
        if stop_ok is not None:
            keep = stop_ok[src] & stop_ok[to]
        fwd = keep & entrance[src]
        bwd = keep & ~entrance[src]
        kind = np.where(entrance, 2, np.where(inside, 1, 0)).astype(np.int8)
        walks = StationWalks(inside, entrance, kind, _csr(src[fwd], to[fwd], dur[fwd], n),
                             _csr(to[bwd], src[bwd], dur[bwd], n),
                             (src[bwd].astype(np.int64), to[bwd].astype(np.int64), dur[bwd].astype(np.int64)))
    with _LOCK:
        tt._station_walks = walks
    return walks


def _csr(src: np.ndarray, dst: np.ndarray, dur: np.ndarray, n: int) -> tuple:
    order = np.argsort(src, kind="stable")
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(src, minlength=n), out=offsets[1:])
    return offsets, np.ascontiguousarray(dst[order], np.int32), np.ascontiguousarray(dur[order], np.int32)


def through_entrances(tt, stops: np.ndarray, durations: np.ndarray,
                      reverse: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(stops, seconds, gates, gate seconds): the stops a walk on the street reaches (``reverse``:
    that reach it) with their seconds, as the timetable's travellers get there: a stop inside a
    station only through one of its entrances (the walk to the entrance plus the pathways; gates:
    that entrance, gate seconds: the pathways' part), others straight (gate -1, 0 s); entrances
    themselves left out (no vehicle stops there). A timetable without stations: unchanged, and
    no gates (None, None). The expansion is engine._stations.expand (compiled)."""
    walks = station_walks(tt)
    if walks is None:
        return stops, durations, None, None
    stops = np.ascontiguousarray(stops, np.int32)
    durations = np.ascontiguousarray(durations, np.int32)
    offsets, to, seconds = walks.backward if reverse else walks.forward
    gates = stops[walks.kind[stops] == 2]
    size = len(stops) + int((offsets[gates + 1] - offsets[gates]).sum())
    out = np.empty((4, size), np.int32)
    n = expand(walks.kind, offsets, to, seconds, stops, durations, out[0], out[1], out[2], out[3])
    return out[0, :n], out[1, :n], out[2, :n], out[3, :n]


def street_seeds(tt, arrivals: np.ndarray, unreached: int) -> np.ndarray:
    """``arrivals`` [..., n_stops] as the streets get them: an entrance's is the best of its
    station's stops' plus the walk out (``exits``), and the stops inside are ``unreached`` (a
    walk on the street from a platform starts at an entrance). Unchanged without stations."""
    walks = station_walks(tt)
    if walks is None:
        return arrivals
    out = np.array(arrivals, copy=True)
    inside_stop, gate, seconds = walks.exits
    n = out.shape[-1]
    for s, e, t in zip(inside_stop.tolist(), gate.tolist(), seconds.tolist()):
        if s < n and e < n:
            reached = arrivals[..., s] < unreached
            out[..., e] = np.where(reached, np.minimum(out[..., e], arrivals[..., s] + t), out[..., e])
    out[..., walks.inside[:n]] = unreached
    return out


def exits(tt, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(index into ``stops``, exit stop, seconds): how each stop reaches the street: itself in
    0 s, or, inside a station, each entrance its walks out lead to in their seconds."""
    stops = np.asarray(stops, np.int64)
    walks = station_walks(tt)
    if walks is None:
        return np.arange(len(stops)), stops, np.zeros(len(stops), np.int64)
    inside_stop, gate, seconds = walks.exits
    rows, out, secs = [], [], []
    for i, s in enumerate(stops.tolist()):
        if not walks.inside[s]:
            rows.append(i), out.append(s), secs.append(0)
            continue
        for k in np.flatnonzero(inside_stop == s).tolist():
            rows.append(i), out.append(int(gate[k])), secs.append(int(seconds[k]))
    return np.asarray(rows, np.int64), np.asarray(out, np.int64), np.asarray(secs, np.int64)


#: GTFS pathway_mode names, as itineraries' steps say them
PATHWAY_MODES = {1: "walkway", 2: "stairs", 3: "travelator", 4: "escalator", 5: "elevator", 6: "fare_gate",
                 7: "exit_gate"}
_ROUTE_CACHE_MAX = 1 << 16


@dataclass(frozen=True)
class StationWalk:
    """A walk through a station as an itinerary shows it."""

    seconds: int
    points: tuple               # (lat, lon) of the pathways' ends that have coordinates, in order
    steps: tuple                # one dict per pathway (Leg.steps)
    distance_m: float | None    # the pathways' lengths summed (None when one has none)


class PathwayRoutes:
    """Shortest walks over a bundle's pathways (timetable/pathways), for the steps and geometry
    of an itinerary's walk through a station. Query-time and small: a station has tens of
    nodes; routes are kept per (from, to, step-free), at most _ROUTE_CACHE_MAX."""

    def __init__(self, bundle):
        col = lambda name: np.asarray(bundle.column("timetable/pathways", name))   # noqa: E731
        self.src, self.dst = col("from_idx").tolist(), col("to_idx").tolist()
        self.mode, self.seconds = col("mode").tolist(), col("seconds").tolist()
        self.length = [None if not np.isfinite(x) else float(x) for x in col("length_m").tolist()]
        self.step_free = col("step_free").astype(bool).tolist()
        self.sign = bundle.strings("timetable/pathways", "signposted_as").to_pylist()
        self.out: dict[int, list[int]] = {}
        for row, a in enumerate(self.src):
            self.out.setdefault(a, []).append(row)
        self._cache: dict = {}

    def walk_between(self, a_id: str, b_id: str, step_free: bool, tt) -> StationWalk | None:
        """``walk`` between two stops given by id (an itinerary's walk leg), kept by ids too."""
        key = ("ids", a_id, b_id, step_free)
        if key not in self._cache:
            a, b = tt.find_stop_id(a_id), tt.find_stop_id(b_id)
            self._cache[key] = None if a is None or b is None else self.walk(a, b, step_free, tt)
        return self._cache[key]

    def walk(self, a: int, b: int, step_free: bool, tt) -> StationWalk | None:
        """The StationWalk a -> b (``route``, described with ``tt``'s stop ids and coordinates;
        kept with it: an itinerary shows the same walks again and again)."""
        key = ("walk", a, b, step_free)
        if key in self._cache:
            return self._cache[key]
        found = self.route(a, b, step_free)
        walk = None
        if found is not None:
            seconds, rows = found
            points, lengths = [], []
            for row in rows:
                lat, lon = float(tt.stop_lat[self.dst[row]]), float(tt.stop_lon[self.dst[row]])
                if np.isfinite(lat) and np.isfinite(lon) and (not points or (lat, lon) != points[-1]):
                    points.append((lat, lon))
                lengths.append(self.length[row])
            steps = tuple({"mode": PATHWAY_MODES.get(self.mode[row], "walkway"),
                           "from_stop_id": tt.stop_id(self.src[row]), "to_stop_id": tt.stop_id(self.dst[row]),
                           "seconds": self.seconds[row],
                           "distance_m": None if self.length[row] is None else round(self.length[row], 1),
                           "signposted_as": self.sign[row] or None} for row in rows)
            walk = StationWalk(seconds, tuple(points), steps,
                               round(sum(lengths), 1) if None not in lengths else None)
        self._cache[key] = walk
        return walk

    def route(self, a: int, b: int, step_free: bool = False) -> tuple[int, list[int]] | None:
        """(seconds, pathway rows in order) of the shortest walk a -> b over the pathways (only the
        step-free ones with ``step_free``), None when there is none."""
        key = (a, b, step_free)
        if key in self._cache:
            return self._cache[key]
        import heapq

        best, back, heap = {a: 0}, {}, [(0, a)]
        while heap:
            d, u = heapq.heappop(heap)
            if u == b:
                break
            if d > best[u]:
                continue
            for row in self.out.get(u, ()):
                if step_free and not self.step_free[row]:
                    continue
                v, t = self.dst[row], d + self.seconds[row]
                if t < best.get(v, t + 1):
                    best[v], back[v] = t, row
                    heapq.heappush(heap, (t, v))
        found = None
        if b in best and b != a:
            rows, node = [], b
            while node != a:
                rows.append(back[node])
                node = self.src[back[node]]
            found = (best[b], rows[::-1])
        if len(self._cache) >= _ROUTE_CACHE_MAX:
            self._cache.clear()
        self._cache[key] = found
        return found


def pathway_routes(tt) -> PathwayRoutes | None:
    """The bundle's PathwayRoutes (made on first use, shared by its filtered timetables), None
    without pathways."""
    base = getattr(tt, "base", tt)
    try:
        return vars(base)["_pathway_routes"]
    except KeyError:
        pass
    routes = PathwayRoutes(base.bundle) if base.bundle.has("timetable/pathways") else None
    with _LOCK:
        base._pathway_routes = routes
    return routes
