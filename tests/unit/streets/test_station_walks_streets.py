"""Stations with pathways.txt on the streets (engine/timetable/station_walks.py): the sample city's
Hôtel de Ville gets two entrances and a mezzanine (written here), and the bundle is built with
the sample's OSM streets. Walks from the street reach its platforms through an entrance (the
street walk to the entrance, linked like a stop, plus the pathways), footpaths from a platform to
stops outside leave through an entrance, and wheelchair users keep only the step-free ways.

Pathways (seconds): north entrance <-> mezzanine walkway 90; south entrance <-> mezzanine stairs
40; mezzanine -> tram platform escalator 30, tram platform -> mezzanine stairs 45; mezzanine <->
metro platform elevator 70. So the tram platform has no step-free way at all.
"""
from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest

import engine
from engine.criteria.filters import Filters
from engine.criteria.plan import filtered_planner
from engine.testing.data import feed_with_files

from tests.reference.footpaths import bundle_footpaths

EXTRA_STOPS = [  # stop_id, name, lat, lon, location_type, parent
    ("HDV_EN", "Hôtel de Ville nord", 47.2009, 1.5500, 2, "HDV"),
    ("HDV_ES", "Hôtel de Ville sud", 47.1991, 1.5502, 2, "HDV"),
    ("HDV_MEZ", "Hôtel de Ville mezzanine", 47.2000, 1.5500, 3, "HDV"),
]
PATHWAYS = [  # id, from, to, mode, bidirectional, traversal_time
    ("p1", "HDV_EN", "HDV_MEZ", 1, 1, 90), ("p2", "HDV_ES", "HDV_MEZ", 2, 1, 40),
    ("p3", "HDV_MEZ", "HDV_T", 4, 0, 30), ("p4", "HDV_T", "HDV_MEZ", 2, 0, 45),
    ("p5", "HDV_MEZ", "HDV_M", 5, 1, 70),
]
IN_FROM = {"HDV_EN": {"HDV_T": 120, "HDV_M": 160}, "HDV_ES": {"HDV_T": 70, "HDV_M": 110}}
OUT_TO = {"HDV_T": {"HDV_EN": 135, "HDV_ES": 85}, "HDV_M": {"HDV_EN": 160, "HDV_ES": 110}}
OUT_MODES = {"HDV_T": {"HDV_EN": ["stairs", "walkway"], "HDV_ES": ["stairs", "stairs"]},
             "HDV_M": {"HDV_EN": ["elevator", "walkway"], "HDV_ES": ["elevator", "stairs"]}}
STREET_FOOTPATH_MAX_S = 900     # (engine.build's street_footpath_max_s)
STEP_FREE_IN = {"HDV_EN": {"HDV_M": 160}, "HDV_ES": {}}


def _with_station(src, out):
    with zipfile.ZipFile(src) as z:
        text = z.read("stops.txt").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    fields = list(rows[0])
    for sid, name, lat, lon, kind, parent in EXTRA_STOPS:
        rows.append({**{f: "" for f in fields}, "stop_id": sid, "stop_name": name, "stop_lat": f"{lat:.7f}",
                     "stop_lon": f"{lon:.7f}", "location_type": str(kind), "parent_station": parent,
                     "wheelchair_boarding": "1"})
    stops = io.StringIO()
    writer = csv.DictWriter(stops, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    pathways = "pathway_id,from_stop_id,to_stop_id,pathway_mode,is_bidirectional,traversal_time\n" + "".join(
        f"{p},{a},{b},{m},{bi},{t}\n" for p, a, b, m, bi, t in PATHWAYS)
    return feed_with_files(src, out, {"stops.txt": stops.getvalue(), "pathways.txt": pathways})


@pytest.fixture(scope="module")
def station_net(sample_paths, tmp_path_factory):
    folder = tmp_path_factory.mktemp("station_walks")
    gtfs = _with_station(sample_paths.gtfs, folder / "with_station.zip")
    built = engine.build(folder / "b.bundle", gtfs=[("s", gtfs)], osm=sample_paths.osm)
    return engine.open(built.path)


def _idx(net, stop_id: str) -> int:
    return int(net.stop_indices("s:" + stop_id)[0])


def _footpaths(net, table: str = "timetable/footpaths") -> dict[tuple[int, int], int]:
    return bundle_footpaths(net.bundle, table)


def test_entrances_lead_to_platforms_by_the_pathways(station_net):
    fp = _footpaths(station_net, "timetable/station_gates")
    for gate, platforms in IN_FROM.items():
        for p, secs in platforms.items():
            assert fp[(_idx(station_net, gate), _idx(station_net, p))] == secs
            assert fp[(_idx(station_net, p), _idx(station_net, gate))] == OUT_TO[p][gate]
    assert not {a for a, _ in _footpaths(station_net)} & {_idx(station_net, g) for g in IN_FROM}
    step_free = _footpaths(station_net, "timetable/station_gates_step_free")
    for gate, platforms in STEP_FREE_IN.items():
        reached = {b for (a, b) in step_free if a == _idx(station_net, gate)}
        assert reached == {_idx(station_net, p) for p in platforms}


def test_points_reach_platforms_through_an_entrance(station_net):
    """From points around the station, each platform's access time is the street walk to an
    entrance (the entrance's own reach) plus the pathways, the shorter way; egress the same
    backwards; wheelchair users reach only the metro platform, by the north entrance."""
    tt = station_net.timetable
    chair = filtered_planner(station_net._planner, Filters(wheelchair=True), station_net._criteria_cache)
    gates = {g: _idx(station_net, g) for g in IN_FROM}
    for dlat, dlon in [(0.0015, 0.0), (-0.0015, 0.0003), (0.0, 0.002), (0.0004, -0.0012)]:
        here = (47.2 + dlat, 1.55 + dlon)
        for reverse, table in ((False, IN_FROM), (True, OUT_TO)):
            reach = station_net.streets.stops_within(*here, "walk", 900, reverse=reverse)
            street = dict(zip(reach.stop_idx.tolist(), reach.duration_s.tolist()))
            assert set(gates.values()) <= set(street)           # (entrances are linked to the streets)
            ep = station_net._planner.point_endpoint(*here, "walk", 900, "origin", reverse)
            got = dict(zip(ep.stops.tolist(), ep.durations.tolist()))
            for p in ("HDV_T", "HDV_M"):
                via = [street[gates[g]] + (table[p][g] if reverse else table[g][p]) for g in gates]
                assert got[_idx(station_net, p)] == min(via), (here, p, reverse)
            assert not set(gates.values()) & set(got)            # (no vehicle stops at an entrance)
            # stops outside stations keep their own street walk
            inside = {_idx(station_net, "HDV_T"), _idx(station_net, "HDV_M")}
            outside = [s for s in got if s in street and tt.stop_location_type[s] == 0 and s not in inside]
            assert outside and all(got[s] == street[s] for s in outside)
            wheeled = chair.point_endpoint(*here, "walk", 900, "origin", reverse)
            wgot = dict(zip(wheeled.stops.tolist(), wheeled.durations.tolist()))
            assert _idx(station_net, "HDV_T") not in wgot
            wstreet = station_net.streets.stops_within(*here, "wheelchair", 900, reverse=reverse)
            north = dict(zip(wstreet.stop_idx.tolist(), wstreet.duration_s.tolist()))[gates["HDV_EN"]]
            assert wgot[_idx(station_net, "HDV_M")] == north + 160


def test_platform_footpaths_leave_through_an_entrance(station_net):
    """A footpath from a platform to a stop outside is the pathways to an entrance plus the
    street walk from there (within the street footpaths' 15 min), the shorter way; an itinerary
    tells it as those pathways, then a "street" step of that walk's seconds."""
    import datetime as dt

    from engine.raptor.journey import Leg

    tt, planner = station_net.timetable, station_net._planner
    clock = planner.legs.clock(dt.date(2026, 3, 2), None)
    fp = _footpaths(station_net)
    gates = {g: _idx(station_net, g) for g in IN_FROM}
    checked = 0
    for p in ("HDV_T", "HDV_M"):
        pi = _idx(station_net, p)
        for (a, b), secs in fp.items():
            platforms = (_idx(station_net, "HDV_T"), _idx(station_net, "HDV_M"))
            if a != pi or tt.stop_location_type[b] != 0 or b in platforms:
                continue
            walks = {g: station_net.streets.path_between_stops(gi, b).duration_s for g, gi in gates.items()}
            via = [OUT_TO[p][g] + w for g, w in walks.items() if w <= STREET_FOOTPATH_MAX_S]
            assert via and secs == min(via), (p, tt.stop_id(b))
            # as an itinerary tells it: the pathways to the entrance, then the street (its walk)
            leg = Leg("walk", planner.legs.waypoint(pi), planner.legs.waypoint(b), clock(30000), clock(30000 + secs),
                      secs)
            steps = planner._walk_detail(leg, {}).steps
            gate = steps[-1]["from_stop_id"][2:]
            assert steps[-1]["mode"] == "street" and steps[-1]["seconds"] == walks[gate]
            assert [s["mode"] for s in steps[:-1]] == OUT_MODES[p][gate]
            assert sum(s["seconds"] for s in steps[:-1]) == OUT_TO[p][gate]
            checked += 1
    assert checked >= 2


def test_itineraries_walk_through_the_entrance(station_net):
    """A journey from a point north of the station to the railway station: its first legs are the
    street walk to an entrance and the walk through the station to the platform (the pathways'
    seconds), the vehicle leaving when that walk ends; the return ends the other way round."""
    tt = station_net.timetable
    here = (47.2015, 1.5500)
    date = tt.period_start.isoformat()
    ids = {f"s:{p}" for p in ("HDV_T", "HDV_M")}
    gate_ids = {f"s:{g}": g for g in IN_FROM}
    seen = 0
    for origin, destination, time in ((here, "s:GARE_T", "08:00"), ("s:GARE_T", here, "17:00")):
        plan = station_net.plan(origin, destination, date=date, time=time)
        for it in plan.itineraries:
            rides = [i for i, leg in enumerate(it.legs) if leg.mode == "transit"]
            if not rides:
                continue
            if origin == here and it.legs[rides[0]].origin.stop_id in ids:
                street, station, ride = it.legs[0], it.legs[1], it.legs[rides[0]]
                assert rides[0] == 2 and street.destination.stop_id in gate_ids, it.legs
                platform = ride.origin.stop_id[2:]
                assert station.origin.stop_id == street.destination.stop_id
                assert station.duration_s == IN_FROM[gate_ids[station.origin.stop_id]][platform]
                assert street.arrival == station.departure and station.arrival <= ride.departure
                seen += 1
            if destination == here and it.legs[rides[-1]].destination.stop_id in ids:
                ride, station, street = it.legs[rides[-1]], it.legs[-2], it.legs[-1]
                assert rides[-1] == len(it.legs) - 3 and station.destination.stop_id in gate_ids, it.legs
                platform = ride.destination.stop_id[2:]
                assert station.duration_s == OUT_TO[platform][gate_ids[station.destination.stop_id]]
                assert ride.arrival <= station.departure and station.arrival == street.departure
                assert street.destination.stop_id is None
                seen += 1
    assert seen >= 2


def test_reach_enters_and_leaves_the_station_through_its_entrances(station_net):
    """engine.accessibility.reach on the station's city equals the plain reference (a Dijkstra
    over every street node from the origin, and from every stop RAPTOR reaches, a stop inside
    the station through its entrances only), from points around the station and across town."""
    import datetime as dt

    from engine._types import UNREACHED
    from engine.accessibility import reach
    from tests.unit.accessibility._reach_reference import reach_reference
    from tests.unit.accessibility.test_reach_sample import _as_arrays

    tt = station_net.timetable
    date = tt.period_start
    inside = [_idx(station_net, p) for p in ("HDV_T", "HDV_M")]
    checked = 0
    for origin in [(47.2015, 1.5500), (47.1985, 1.5503), (47.2000, 1.5760), (47.2130, 1.5500)]:
        for start in ("07:55", "08:20"):
            got = reach(station_net, origin, date=date.isoformat(), time=start, mode="walk", max_time_s=1800)
            start_s = int(start[:2]) * 3600 + int(start[3:]) * 60
            ref_nodes, ref_stops = reach_reference(station_net, origin, date, start_s, "walk", 1800)
            nodes, stops = _as_arrays(station_net, got)
            ref_nodes[ref_nodes > 1800] = UNREACHED
            assert np.array_equal(nodes, ref_nodes), (origin, start, np.flatnonzero(nodes != ref_nodes)[:5])
            assert np.array_equal(stops, ref_stops), (origin, start, np.flatnonzero(stops != ref_stops)[:5])
            checked += all(stops[p] < UNREACHED for p in inside)
    assert checked >= 4


def test_the_walk_through_the_station_lists_its_pathways(station_net):
    """The station leg says each pathway it takes (mode, stops, seconds) and is drawn through
    the mezzanine; the way back takes the stairs (the escalator runs down only); a wheelchair
    user's walk to the metro platform takes the walkway and the elevator."""
    tt = station_net.timetable
    here, date = (47.2015, 1.5500), tt.period_start.isoformat()
    seen = set()
    for origin, destination, time, wheelchair in ((here, "s:GARE_T", "08:00", False),
                                                  ("s:GARE_T", here, "17:00", False),
                                                  (here, "s:BELV", "08:00", True)):
        plan = station_net.plan(origin, destination, date=date, time=time, wheelchair=wheelchair)
        for it in plan.itineraries:
            for leg in it.legs:
                if not leg.steps:
                    continue
                path = (leg.origin.stop_id, *[s["to_stop_id"] for s in leg.steps])
                assert [s["from_stop_id"] for s in leg.steps] == list(path[:-1])
                assert path[-1] == leg.destination.stop_id
                assert sum(s["seconds"] for s in leg.steps) == leg.duration_s
                assert (47.2, 1.55) in leg.geometry                 # (the mezzanine)
                seen.add((path, tuple(s["mode"] for s in leg.steps), wheelchair))
    assert (("s:HDV_EN", "s:HDV_MEZ", "s:HDV_T"), ("walkway", "escalator"), False) in seen
    assert (("s:HDV_T", "s:HDV_MEZ", "s:HDV_EN"), ("stairs", "walkway"), False) in seen
    assert (("s:HDV_EN", "s:HDV_MEZ", "s:HDV_M"), ("walkway", "elevator"), True) in seen
