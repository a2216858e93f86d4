"""Walks through stations with pathways.txt (engine/timetable/station_walks.py) against a plain
search over the feed's own files, on WMATA (the shared feed with pathways.txt: 2,963 pathways,
239 entrances, 125 platforms).

The reference reads stops.txt and pathways.txt with the csv module and, from each platform or
entrance, runs a Dijkstra whose states are (node, whether the walk outside was used): pathways
(traversal_time, else length at walking speed) between any nodes, and at most one straight-line
walk (<= 400 m, ceil(metres / 1.33) s, haversine written here) between points outside: an
entrance, or a platform no pathway touches. The bundle's footpaths must be exactly the shortest
such walks from a platform to another platform, and from a platform to its station's entrances /
an entrance to its platforms (pathways only); the step-free ones the same over step-free
pathways; a point's access and egress stops the straight walk to an entrance plus the pathways.
"""
from __future__ import annotations

import csv
import heapq
import io
import math
import zipfile

import numpy as np
import pytest

from tests.reference.feeds import shared_data_dir
from tests.reference.footpaths import bundle_footpaths

SPEED = 1.33
RADIUS_M = 400.0
MAX_ACCESS_S = 900


def _wmata():
    path = shared_data_dir() / "gtfs-us-wmata-rail" / "wmata.zip"
    if not path.is_file():
        pytest.skip("gtfs-us-wmata-rail absent from the shared data folder (set BRIQUE_DATA)")
    return path


def _metres(a, b) -> float:
    (la1, lo1), (la2, lo2) = (map(math.radians, a)), (map(math.radians, b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


class Stations:
    """stops.txt and pathways.txt, read plainly."""

    def __init__(self, zip_path, step_free: bool):
        with zipfile.ZipFile(zip_path) as z:
            read = lambda name: list(csv.DictReader(io.TextIOWrapper(z.open(name), "utf-8-sig")))  # noqa: E731
            stops, pathways = read("stops.txt"), read("pathways.txt")
        self.kind = {s["stop_id"]: int(s.get("location_type") or 0) for s in stops}
        self.where = {s["stop_id"]: (float(s["stop_lat"]), float(s["stop_lon"])) for s in stops
                      if s.get("stop_lat") and s.get("stop_lon")}
        self.edges: dict[str, list] = {}
        touched = set()
        for r in pathways:
            touched |= {r["from_stop_id"], r["to_stop_id"]}
            if step_free and (r["pathway_mode"] in ("2", "4") or abs(float(r.get("max_slope") or 0)) > 1 / 12):
                continue
            t = int(r["traversal_time"]) if r.get("traversal_time") else math.ceil(float(r["length"]) / SPEED)
            self.edges.setdefault(r["from_stop_id"], []).append((r["to_stop_id"], t))
            if r["is_bidirectional"] == "1":
                self.edges.setdefault(r["to_stop_id"], []).append((r["from_stop_id"], t))
        self.platforms = [s for s, k in self.kind.items() if k == 0]
        self.entrances = [s for s, k in self.kind.items() if k == 2 and s in touched]
        self.inside = {s for s in touched if self.kind[s] != 2}      # (every WMATA station has entrances)
        self.outside = [s for s in self.platforms if s not in self.inside] + self.entrances
        self._memo: dict = {}

    def straight(self, a: str, b: str) -> int | None:
        m = _metres(self.where[a], self.where[b])
        return math.ceil(m / SPEED - 1e-9) if m <= RADIUS_M else None

    def walks_from(self, start: str) -> dict[tuple[str, int], int]:
        """Shortest seconds to each (node, walked outside) from ``start``."""
        if start in self._memo:
            return self._memo[start]
        best = self._memo[start] = {(start, 0): 0}
        heap = [(0, start, 0)]
        while heap:
            d, u, used = heapq.heappop(heap)
            if d > best[(u, used)]:
                continue
            steps = [(v, t, used) for v, t in self.edges.get(u, ())]
            if not used and u not in self.inside:
                steps += [(v, self.straight(u, v), 1) for v in self.outside if v != u]
            for v, t, w in steps:
                if t is not None and d + t < best.get((v, w), math.inf):
                    best[(v, w)] = d + t
                    heapq.heappush(heap, (d + t, v, w))
        return best

    def footpaths(self) -> dict[tuple[str, str], int]:
        out = {}
        for a in self.platforms + self.entrances:
            best = self.walks_from(a)
            for (v, used), d in best.items():
                if v == a:
                    continue
                if self.kind[a] == 0 and self.kind.get(v) == 0:
                    pass                                        # platform -> platform: any walk
                elif used or not ((self.kind[a] == 0 and a in self.inside and self.kind.get(v) == 2)
                                  or (self.kind[a] == 2 and v in self.inside and self.kind.get(v) == 0)):
                    continue                                    # gates: pathways of the station only
                out[(a, v)] = min(d, out.get((a, v), math.inf))
        return out


def _bundle_footpaths(net, table: str) -> dict[tuple[str, str], int]:
    ids = [net.timetable.stop_id(s).split(":", 1)[1] for s in range(net.timetable.n_stops)]
    return bundle_footpaths(net.bundle, table, lambda s: ids[s])


@pytest.fixture(scope="module")
def wmata(tmp_path_factory):
    import engine

    path = _wmata()
    out = tmp_path_factory.mktemp("stations")
    return path, engine.open(engine.build(out / "wm.bundle", gtfs=[("wm", path)]).path)


@pytest.mark.realdata
@pytest.mark.parametrize("step_free", [False, True], ids=["walk", "step-free"])
def test_wmata_footpaths_walk_the_pathways(wmata, step_free):
    """Every footpath equals the reference's shortest walk and every reference walk is a
    footpath; changes of platform within a station take minutes (p50 over 100 s), where the
    straight line between the platforms' points took seconds."""
    path, net = wmata
    ref = Stations(path, step_free).footpaths()
    suffix = "_step_free" if step_free else ""
    got = _bundle_footpaths(net, "timetable/footpaths" + suffix)
    got.update(_bundle_footpaths(net, "timetable/station_gates" + suffix))     # (the walks to and from entrances)
    assert set(got) == set(ref), (sorted(set(got) - set(ref))[:5], sorted(set(ref) - set(got))[:5])
    wrong = [(k, got[k], ref[k]) for k in got if got[k] != ref[k]]
    assert not wrong, wrong[:5]
    st = Stations(path, step_free)
    changes = [d for (a, b), d in got.items() if st.kind[a] == st.kind[b] == 0 and a in st.inside and b in st.inside
               and _metres(st.where[a], st.where[b]) < 50]
    assert len(changes) > 40 and np.median(changes) > 100, (len(changes), np.median(changes))


@pytest.mark.realdata
@pytest.mark.parametrize("reverse", [False, True], ids=["access", "egress"])
def test_wmata_points_reach_platforms_through_entrances(wmata, reverse):
    """From points near 40 entrances (seeded), the access stops are the platforms the straight
    walk to an entrance and the station's pathways reach within 15 min, at that sum (egress: the
    pathways out, then the walk), never a platform straight from the street."""
    path, net = wmata
    st = Stations(path, False)
    tt = net.timetable
    rng = np.random.default_rng(13)
    checked = 0
    for gate in rng.choice(sorted(st.entrances), 40, replace=False):
        lat, lon = st.where[gate]
        here = (lat + rng.uniform(-0.002, 0.002), lon + rng.uniform(-0.002, 0.002))
        want: dict[str, int] = {}
        for s in st.platforms + st.entrances:
            m = _metres(here, st.where[s])
            if m > MAX_ACCESS_S * SPEED:
                continue
            walk = math.ceil(m / SPEED - 1e-9)
            if s not in st.inside and st.kind[s] == 0:
                want[s] = min(walk, want.get(s, math.inf))
            elif st.kind[s] == 2:
                if reverse:
                    inward = {p: st.walks_from(p).get((s, 0)) for p in st.inside if st.kind[p] == 0}
                    reached = {p: d for p, d in inward.items() if d is not None}
                else:
                    reached = {p: d for (p, used), d in st.walks_from(s).items()
                               if not used and p in st.inside and st.kind[p] == 0}
                for p, d in reached.items():
                    want[p] = min(walk + d, want.get(p, math.inf))
        want = {s: d for s, d in want.items() if d <= MAX_ACCESS_S}
        ep = net._planner.point_endpoint(*here, "walk", MAX_ACCESS_S, "destination" if reverse else "origin", reverse)
        got = {tt.stop_id(int(s)).split(":", 1)[1]: int(d) for s, d in zip(ep.stops, ep.durations)}
        assert got == want, (gate, sorted(set(got) ^ set(want))[:5],
                             [(k, got[k], want[k]) for k in got if k in want and got[k] != want[k]][:5])
        checked += bool(got)
    assert checked > 30


@pytest.mark.realdata
def test_wmata_itineraries_list_the_pathways_they_take(wmata):
    """Point-to-point plans near 30 entrances (seeded): every walk into, out of or inside a
    station lists its pathways as steps chained from its origin to its destination, in the
    leg's seconds, each one a row of pathways.txt (its mode, its signposted_as or, backwards,
    its reversed_signposted_as)."""
    path, net = wmata
    st = Stations(path, False)
    with zipfile.ZipFile(path) as z:
        rows = list(csv.DictReader(io.TextIOWrapper(z.open("pathways.txt"), "utf-8-sig")))
    modes = {1: "walkway", 2: "stairs", 3: "travelator", 4: "escalator", 5: "elevator", 6: "fare_gate", 7: "exit_gate"}
    edges = {}
    for r in rows:
        t = int(r["traversal_time"]) if r.get("traversal_time") else math.ceil(float(r["length"]) / SPEED)
        edges.setdefault((r["from_stop_id"], r["to_stop_id"]), set()).add(
            (modes[int(r["pathway_mode"])], t, r.get("signposted_as") or None))
        if r["is_bidirectional"] == "1":
            edges.setdefault((r["to_stop_id"], r["from_stop_id"]), set()).add(
                (modes[int(r["pathway_mode"])], t, r.get("reversed_signposted_as") or None))
    rng = np.random.default_rng(21)
    gates = sorted(st.entrances)
    legs = kinds = 0
    kinds_seen = set()
    for _ in range(30):
        a, b = (st.where[g] for g in rng.choice(gates, 2, replace=False))
        plan = net.plan(a, b, date="2026-05-13", time="08:30")
        for it in plan.itineraries:
            for leg in it.legs:
                if not leg.steps:
                    continue
                local = [leg.origin.stop_id.split(":", 1)[1]] + [s["to_stop_id"].split(":", 1)[1] for s in leg.steps]
                assert local[-1] == leg.destination.stop_id.split(":", 1)[1]
                assert sum(s["seconds"] for s in leg.steps) == leg.duration_s
                for (u, v), step in zip(zip(local, local[1:]), leg.steps):
                    assert (step["mode"], step["seconds"], step["signposted_as"]) in edges[(u, v)], (u, v, step)
                    kinds_seen.add(step["mode"])
                legs += 1
    assert legs > 40 and {"escalator", "walkway", "fare_gate"} <= kinds_seen, (legs, kinds_seen)


@pytest.mark.realdata
def test_wmata_every_footpath_is_told_as_pathways_and_street(wmata):
    """Every WMATA footpath as an itinerary's walk (Planner._walk_detail): its steps run from
    its origin to its destination in its seconds, each a row of pathways.txt except, for a walk
    from one station to another, one walk outside between two entrances (mode "street": the
    straight line, <= 400 m, at 1.33 m/s, as the footpaths count it)."""
    import datetime as dt

    from engine.raptor.journey import Leg

    path, net = wmata
    st = Stations(path, False)
    with zipfile.ZipFile(path) as z:
        rows = list(csv.DictReader(io.TextIOWrapper(z.open("pathways.txt"), "utf-8-sig")))
    pairs = {(r["from_stop_id"], r["to_stop_id"]) for r in rows}
    pairs |= {(r["to_stop_id"], r["from_stop_id"]) for r in rows if r["is_bidirectional"] == "1"}
    tt, planner = net.timetable, net._planner
    clock = planner.legs.clock(dt.date(2026, 5, 13), None)
    local = lambda stop_id: stop_id.split(":", 1)[1]      # noqa: E731
    told = {"inside": 0, "across": 0}
    for a in range(tt.n_stops):
        for e in range(int(tt.footpath_offsets[a]), int(tt.footpath_offsets[a + 1])):
            b, seconds = int(tt.footpath_to[e]), int(tt.footpath_duration[e])
            leg = Leg("walk", planner.legs.waypoint(a), planner.legs.waypoint(b), clock(36000), clock(36000 + seconds),
                      seconds)
            out = planner._walk_detail(leg, {})
            if not out.steps:
                assert local(tt.stop_id(a)) not in st.inside and local(tt.stop_id(b)) not in st.inside
                continue
            chain = [local(out.origin.stop_id)] + [local(step["to_stop_id"]) for step in out.steps]
            assert [local(step["from_stop_id"]) for step in out.steps] == chain[:-1]
            assert chain[-1] == local(out.destination.stop_id)
            assert sum(step["seconds"] for step in out.steps) == seconds
            streets = [step for step in out.steps if step["mode"] == "street"]
            for step in out.steps:
                u, v = local(step["from_stop_id"]), local(step["to_stop_id"])
                if step["mode"] != "street":
                    assert (u, v) in pairs, (u, v)
                    continue
                assert st.kind[u] in (0, 2) and st.kind[v] in (0, 2) and u not in st.inside and v not in st.inside
                metres = _metres(st.where[u], st.where[v])
                assert metres <= RADIUS_M and step["seconds"] == math.ceil(metres / SPEED - 1e-9), (u, v, step)
            assert len(streets) <= 1
            told["across" if streets else "inside"] += 1
    assert told["inside"] > 40 and told["across"] > 5, told
