"""plan(wheelchair=True) on the streets (issue 14): access, egress, direct walks and transfers take
the step-free street profile, and (lat, lon) ends are accepted.

Two networks: a small one built here (two stops on either side of a flight of steps, one line
reaching each; every trip wheelchair-accessible), where walkers change over the steps and
wheelchair users around them; and the sample city (its park has a flight of steps down to
the street south of it).
"""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

import engine
from engine.sample import DEMO, city
from tests.unit.streets._osm_xml import latlon, write_osm
from tests.unit.streets._step_free import steps_on_geometry, steps_segments

NODES = {1: (0, 0), 2: (0, 100), 3: (300, 0), 4: (300, 100)}
WAYS = [(1, [1, 3], {"highway": "residential"}), (2, [3, 4], {"highway": "residential"}),
        (3, [4, 2], {"highway": "residential"}), (4, [1, 2], {"highway": "steps"})]
# X and Y are far from the streets (no street footpaths); A and B sit on either side of the steps
STOPS = {"X": (5, -2000), "A": (5, -5), "B": (5, 105), "Y": (5, 2100)}
DATE = "2026-03-02"


def _gtfs(path):
    rows = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nag,Ag,https://example.org,Europe/Paris\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                        "S,1,1,1,1,1,1,1,20260301,20260331\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,ag,1,3\nR2,ag,2,3\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,wheelchair_boarding\n" + "".join(
            f"{s},{s},{latlon(*xy)[0]:.9f},{latlon(*xy)[1]:.9f},1\n" for s, xy in STOPS.items()),
        "trips.txt": "route_id,service_id,trip_id,wheelchair_accessible\nR1,S,t1,1\nR2,S,t2,1\nR2,S,t3,1\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "t1,08:00:00,08:00:00,X,1\nt1,08:10:00,08:10:00,A,2\n"
                          "t2,08:14:00,08:14:00,B,1\nt2,08:22:00,08:22:00,Y,2\n"
                          "t3,08:30:00,08:30:00,B,1\nt3,08:38:00,08:38:00,Y,2\n",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in rows.items():
            zf.writestr(name, text)
    return path


@pytest.fixture(scope="module")
def steps_net(tmp_path_factory):
    folder = tmp_path_factory.mktemp("steps_net")
    osm = write_osm(folder / "steps.osm", NODES, WAYS)
    built = engine.build(folder / "b.bundle", gtfs=[("f", _gtfs(folder / "f.zip"))], osm=osm)
    return engine.open(built.path)


def _footpath(net, table: str, a: str, b: str) -> int | None:
    tt = net.timetable
    off, to = tt.bundle.csr(table, "to")
    _, dur = tt.bundle.csr(table, "duration")
    i, j = tt.find_stop_id(a), tt.find_stop_id(b)
    hit = np.flatnonzero(to[off[i]:off[i + 1]] == j)
    return int(dur[off[i] + hit[0]]) if len(hit) else None


def _walk_legs(plan):
    return [leg for it in plan.itineraries for leg in it.legs if leg.mode == "walk"]


def test_transfer_over_steps_is_walked_around_by_wheelchair(steps_net):
    net = steps_net
    walk_fp = _footpath(net, "timetable/footpaths", "f:A", "f:B")
    chair_fp = _footpath(net, "timetable/footpaths_step_free", "f:A", "f:B")
    assert walk_fp is not None and chair_fp is not None and chair_fp > walk_fp
    assert chair_fp == net.streets.path_between_stops(net.timetable.find_stop_id("f:A"),
                                                      net.timetable.find_stop_id("f:B"), "wheelchair").duration_s
    walking = net.plan("f:X", "f:Y", DATE, "07:55")
    rolling = net.plan("f:X", "f:Y", DATE, "07:55", wheelchair=True)
    assert walking.itineraries and rolling.itineraries
    assert rolling.itineraries[0].arrival > walking.itineraries[0].arrival    # misses t2, takes t3
    g = net.streets.graph
    transfer = [leg for leg in _walk_legs(rolling) if leg.origin.stop_id == "f:A"]
    assert transfer and all(leg.duration_s == chair_fp for leg in transfer)
    assert all(steps_on_geometry(g, leg.geometry) == [] for leg in _walk_legs(rolling))
    # the control: the walkers' transfer does climb the steps (so the check above can fail)
    assert any(steps_on_geometry(g, leg.geometry) for leg in _walk_legs(walking))


def test_door_to_door_points_take_the_step_free_streets(steps_net):
    net = steps_net
    a, b = latlon(10, -8), latlon(10, 108)
    walking = net.plan(a, b, DATE, "08:00")
    rolling = net.plan(a, b, DATE, "08:00", wheelchair=True)
    (w,), (r,) = walking.itineraries, rolling.itineraries        # direct street journeys
    assert w.legs[0].duration_s == net.route(*a, *b, "walk").duration_s
    assert r.legs[0].duration_s == net.route(*a, *b, "wheelchair").duration_s > w.legs[0].duration_s
    assert r.legs[0].mode == "walk" and rolling.stats["wheelchair"] is True
    g = net.streets.graph
    assert steps_on_geometry(g, w.legs[0].geometry) and not steps_on_geometry(g, r.legs[0].geometry)


def test_sample_city_park_steps(sample_network):
    net = sample_network
    g = net.streets.graph
    assert len(steps_segments(g)) >= 1          # Allée du Parc's flight of steps
    b = city.BLOCK_M
    # just off the steps (from the park down to the street south of it), to that street
    a, z = city.to_latlon(2.5 * b + 2, 1.3 * b), city.to_latlon(2.5 * b, 0.96 * b)
    walking = net.plan(a, z, DEMO["date"], "08:00")
    rolling = net.plan(a, z, DEMO["date"], "08:00", wheelchair=True)
    assert any(steps_on_geometry(g, leg.geometry) for leg in _walk_legs(walking))
    assert _walk_legs(rolling) and not any(steps_on_geometry(g, leg.geometry) for leg in _walk_legs(rolling))
    assert rolling.itineraries[0].arrival > walking.itineraries[0].arrival


def test_sample_demo_points_with_wheelchair(sample_network):
    net = sample_network
    plan = net.plan(DEMO["from_point"], DEMO["to_point"], DEMO["date"], "08:00", wheelchair=True)
    transit = [it for it in plan.itineraries if it.n_vehicles > 0]
    assert transit and plan.stats["access_stops"] > 0 and plan.stats["egress_stops"] > 0
    g = net.streets.graph
    for it in plan.itineraries:
        first, last = it.legs[0], it.legs[-1]
        assert first.mode == last.mode == "walk"
        assert not any(steps_on_geometry(g, leg.geometry) for leg in it.legs if leg.mode == "walk")
    # access: the stops a wheelchair user reaches, at the step-free street times
    reach = net.streets.stops_within(*DEMO["from_point"], "wheelchair", 900)
    times = dict(zip(reach.stop_idx.tolist(), reach.duration_s.tolist()))
    for it in transit:
        stop = net.timetable.find_stop_id(it.legs[0].destination.stop_id)
        assert it.legs[0].duration_s == times[stop]


def test_bikes_keep_the_bike_profile(sample_network):
    net = sample_network
    a, z = DEMO["from_point"], DEMO["to_point"]
    plan = net.plan(a, z, DEMO["date"], "08:00", wheelchair=True, bikes=True, max_direct_s=7200)
    direct = [it for it in plan.itineraries if it.n_vehicles == 0]
    assert direct and direct[0].legs[0].mode == "bike"
    assert direct[0].legs[0].duration_s == net.route(*a, *z, "bike").duration_s


@pytest.mark.parametrize("options", [dict(time="08:45", arrive_by=True), dict(time="07:55", window_s=1800),
                                     dict(time="07:55", optimize=("arrival", "transfers", "walking"))],
                         ids=["arrive_by", "range", "mcraptor"])
def test_every_kind_of_query_changes_step_free(steps_net, options):
    net = steps_net
    chair_fp = _footpath(net, "timetable/footpaths_step_free", "f:A", "f:B")
    plan = net.plan("f:X", "f:Y", DATE, wheelchair=True, **options)
    transfer = [leg for leg in _walk_legs(plan) if leg.origin.stop_id == "f:A"]
    assert transfer and all(leg.duration_s == chair_fp for leg in transfer)
    assert not any(steps_on_geometry(net.streets.graph, leg.geometry) for leg in _walk_legs(plan))
