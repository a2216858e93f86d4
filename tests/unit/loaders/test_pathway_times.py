"""pathways.txt times (engine/loaders/gtfs_access.py, engine/timetable/station_walks.py): a
pathway takes its traversal_time, else its length at walking speed (1.33 m/s, rounded up), else
the straight line between its ends; a bad traversal_time or length is counted (file, row, field)
and read as none. One station built here (no streets): an entrance E, a mezzanine node N and
two platforms P1, P2 (11 m apart):

    E <-> N  walkway, traversal_time "abc" (bad), length 100      -> 76 s (length)
    N <-> P1 stairs, traversal_time 20                           -> 20 s
    N <-> P2 walkway, neither                                    -> 34 s (44.5 m straight)
    P1 -> P2 elevator, one way, traversal_time -5, length "x"    -> 9 s (11.1 m straight)
    P2 -> N  walkway, one way, traversal_time -1, length "NaN"   -> 34 s (straight: as w3, no change)
"""
from __future__ import annotations

import pytest

import engine

from tests.reference.footpaths import bundle_footpaths
from tests.unit.loaders.conftest import BASE, write_feed

STOPS = [("S", 48.0, 7.0, 1, ""), ("E", 48.001, 7.0, 2, "S"), ("N", 48.0005, 7.0, 3, "S"),
         ("P1", 48.0, 7.0, 0, "S"), ("P2", 48.0001, 7.0, 0, "S"), ("X", 48.02, 7.0, 0, ""), ("Y", 47.98, 7.0, 0, "")]
PATHWAYS = "pathway_id,from_stop_id,to_stop_id,pathway_mode,is_bidirectional,length,traversal_time\n" \
           "w1,E,N,1,1,100,abc\nw2,N,P1,2,1,,20\nw3,N,P2,1,1,,\nw4,P1,P2,5,0,x,-5\nw5,P2,N,1,0,NaN,-1\n"
WALK = {("P1", "P2"): 9, ("P2", "P1"): 54, ("E", "P1"): 96, ("E", "P2"): 105,      # (E N P1 P2)
         ("P1", "E"): 96, ("P2", "E"): 110}
STEP_FREE = {("P1", "P2"): 9, ("E", "P2"): 110, ("P1", "E"): 119, ("P2", "E"): 110}


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pathway_times")
    feed = write_feed(folder, {
        **BASE,             # (its agency, and its calendar: service WK on weekdays of 2026-01-05 .. 16)
        "routes.txt": "route_id,agency_id,route_short_name,route_type\nR,A,1,1\nQ,A,2,1\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n" + "".join(
            f"{s},{s},{lat},{lon},{kind},{parent}\n" for s, lat, lon, kind, parent in STOPS),
        "trips.txt": "route_id,service_id,trip_id\nR,WK,r1\nQ,WK,q1\nQ,WK,q2\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "r1,08:00:00,08:00:00,X,1\nr1,08:10:00,08:10:00,P2,2\n"
                          "q1,08:10:40,08:10:40,P1,1\nq1,08:20:00,08:20:00,Y,2\n"
                          "q2,08:30:00,08:30:00,P1,1\nq2,08:40:00,08:40:00,Y,2\n",
        "pathways.txt": PATHWAYS,
    })
    return engine.open(engine.build(folder / "b.bundle", gtfs=[("f", feed)]).path), feed


def _footpaths(net, table):
    return bundle_footpaths(net.bundle, table, lambda s: net.timetable.stop_id(int(s)).split(":", 1)[1])


def test_pathway_times_and_their_fallbacks(station):
    """Footpaths between the platforms; the walks between the entrance and the platforms in
    timetable/station_gates (both ways)."""
    net, _ = station
    for walks, footpaths, gates in ((WALK, "timetable/footpaths", "timetable/station_gates"),
                                    (STEP_FREE, "timetable/footpaths_step_free", "timetable/station_gates_step_free")):
        assert _footpaths(net, footpaths) == {k: v for k, v in walks.items() if "E" not in k}
        assert _footpaths(net, gates) == {k: v for k, v in walks.items() if "E" in k}


def test_bad_times_are_counted_with_their_field(station):
    from engine.loaders.gtfs import load_gtfs
    from engine.timetable.staging import BuildReport

    net, feed = station
    counts = net.manifest["report"]["counts"]
    assert counts["fixed.pathways.bad_traversal_time"] == 3 and counts["fixed.pathways.bad_length"] == 2
    report = BuildReport()
    load_gtfs([("f", feed)], report)
    where = {(i.code, i.file, i.line, i.field) for i in report.issues}
    assert ("pathways.bad_traversal_time", "pathways.txt", 2, "traversal_time") in where, where
    assert ("pathways.bad_traversal_time", "pathways.txt", 5, "traversal_time") in where
    assert ("pathways.bad_length", "pathways.txt", 5, "length") in where
    assert ("pathways.bad_traversal_time", "pathways.txt", 6, "traversal_time") in where     # ("-1")
    assert ("pathways.bad_length", "pathways.txt", 6, "length") in where                     # ("NaN")
    timetable = net.manifest["timetable"]["counts"]
    assert timetable["pathways.time_from_length"] == 2 and timetable["pathways.time_from_straight_line"] == 4
    assert timetable["stops.inside_stations"] == 3         # N, P1, P2


def test_a_change_of_platform_takes_the_pathways(station):
    """r1 reaches P2 at 08:10:00 and q1 leaves P1 at 08:10:40: P2 -> P1 takes 54 s by the
    pathways (the straight line between the platforms, 11 m, said 9 s), so the journey waits for
    q2 and arrives at 08:40."""
    plan = station[0].plan("f:X", "f:Y", date="2026-01-06", time="07:59")
    assert [it.legs[-1].arrival.strftime("%H:%M") for it in plan.itineraries] == ["08:40"]
    change = [leg for leg in plan.itineraries[0].legs if leg.mode == "walk"]
    assert [leg.duration_s for leg in change] == [54]


def test_entrances_without_pathways_are_not_access_stops(tmp_path):
    """A feed that lists an entrance but no pathways (no station to walk through): a point's
    access stops (no streets: straight walks) are its stops, never the entrance."""
    stops = BASE["stops.txt"] + "E1,Entrance,48.0005,7.0,2,ST\n"
    net = engine.open(engine.build(tmp_path / "b.bundle",
                                   gtfs=[("f", write_feed(tmp_path, {**BASE, "stops.txt": stops}))]).path)
    ends = net._planner.point_endpoint(48.0005, 7.0, "walk", 900, "origin", False)
    ids = {net.timetable.stop_id(int(s)) for s in ends.stops}
    assert "f:S1" in ids and "f:E1" not in ids, ids
