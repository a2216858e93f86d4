"""Query time of the walks through stations (engine/timetable/station_walks.py builds them):
a walk on the street reaches the stops inside a station through its entrances
(``through_entrances``: plan, matrices, isochrones), leaves them through one (``street_seeds``,
``exits``: reach, isochrones), and an itinerary's walk through a station lists the pathways it
takes (``PathwayRoutes``). Nothing here is computed when a bundle opens: each piece is made on
first use and kept with its timetable."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .._stations import expand
from .station_walks import ENTRANCE, GATES, GATES_STEP_FREE, INSIDE


@dataclass(frozen=True)
class StationWalks:
    """What a walk from or to the street needs at query time (``through_entrances``)."""

    inside: np.ndarray          # bool per stop: reached only through an entrance
    entrance: np.ndarray        # bool per stop
    kind: np.ndarray            # int8 per stop: 0 outside, 1 inside, 2 an entrance
    forward: tuple              # CSR (offsets, stop, seconds): entrance -> the inside stops it leads to
    backward: tuple             # CSR: entrance -> the inside stops that lead to it
    exits_of: dict              # inside stop -> ((entrance, seconds), ...) its walks out
    entries_of: dict            # inside stop -> ((entrance, seconds), ...) the walks in to it


_LOCK = threading.Lock()


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
        exits_of: dict[int, list] = {}
        entries_of: dict[int, list] = {}
        for a, b, t in zip(src[bwd].tolist(), to[bwd].tolist(), dur[bwd].tolist()):
            exits_of.setdefault(a, []).append((b, t))
        for a, b, t in zip(src[fwd].tolist(), to[fwd].tolist(), dur[fwd].tolist()):
            entries_of.setdefault(b, []).append((a, t))
        walks = StationWalks(inside, entrance, kind, _csr(src[fwd], to[fwd], dur[fwd], n),
                             _csr(to[bwd], src[bwd], dur[bwd], n), exits_of, entries_of)
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
    n = out.shape[-1]
    offsets, src, secs = walks.backward                 # (entrance -> the stops that walk out to it)
    if len(src):
        gates = np.flatnonzero(np.diff(offsets))
        ready = arrivals[..., src].astype(np.int64)
        via = np.where(ready < unreached, ready + secs, unreached)            # [..., rows]
        best = np.minimum.reduceat(via, offsets[gates], axis=-1)              # per entrance
        out[..., gates] = np.minimum(out[..., gates], best).astype(out.dtype)
    out[..., walks.inside[:n]] = unreached
    return out


def exits(tt, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(index into ``stops``, exit stop, seconds): how each stop reaches the street: itself in
    0 s, or, inside a station, each entrance its walks out lead to in their seconds."""
    stops = np.asarray(stops, np.int64)
    walks = station_walks(tt)
    if walks is None:
        return np.arange(len(stops)), stops, np.zeros(len(stops), np.int64)
    rows = [(i, s, 0) for i, s in enumerate(stops.tolist()) if not walks.inside[s]]
    rows += [(i, gate, t) for i, s in enumerate(stops.tolist()) if walks.inside[s]
             for gate, t in walks.exits_of.get(s, ())]
    rows.sort()
    out = np.asarray(rows, np.int64).reshape(-1, 3)
    return out[:, 0], out[:, 1], out[:, 2]


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

    def kept(self, key):
        """What ``keep`` kept under ``key`` (None: nothing)."""
        return self._cache.get(key)

    def keep(self, key, value):
        """Keeps ``value`` (a walk as an itinerary shows it) under ``key``; returns it."""
        if len(self._cache) >= _ROUTE_CACHE_MAX:
            self._cache.clear()
        self._cache[key] = value
        return value

    def walk_between(self, a_id: str, b_id: str, step_free: bool, tt) -> StationWalk | None:
        """``walk`` between two stops given by id (an itinerary's walk leg), kept by ids too."""
        key = ("ids", a_id, b_id, step_free)
        if key in self._cache:
            return self._cache[key]
        a, b = tt.find_stop_id(a_id), tt.find_stop_id(b_id)
        return self.keep(key, None if a is None or b is None else self.walk(a, b, step_free, tt))

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
        return self.keep(key, walk)

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
        return self.keep(key, found)


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
