"""stops (coordinates, swapped lat/lon, parents), agency/timezone, routes, transfers, shapes."""
from __future__ import annotations

import math

import numpy as np

from engine._types import NO_VALUE
from engine.loaders.gtfs import load_gtfs


def _issues(s, code):
    return [i for i in s.report.issues if i.code == code]


def _stops_around(n: int, extra: str = "") -> str:
    rows = [f"S{i},s{i},{48.5 + 0.01 * (i % 7):.4f},{7.7 + 0.013 * (i % 5):.4f}"
            for i in range(1, n + 1)]
    return "stop_id,stop_name,stop_lat,stop_lon\n" + "\n".join(rows) + "\n" + extra


def test_swapped_coordinates_are_swapped_back(make_feed):
    stops = _stops_around(12, "SW,swapped,7.75,48.58\nFAR,far but valid,43.3,5.4\n")
    s = load_gtfs([make_feed({"stops.txt": stops})])
    ids = s.stops.column("stop_id").to_pylist()
    lat, lon = s.stops.column("lat").to_numpy(), s.stops.column("lon").to_numpy()
    k = ids.index("feed:SW")
    assert (lat[k], lon[k]) == (48.58, 7.75)
    far = ids.index("feed:FAR")
    assert (lat[far], lon[far]) == (43.3, 5.4)                 # Marseille is far, not swapped
    [issue] = _issues(s, "stops.swapped_coordinates")
    assert (issue.file, issue.line, issue.field) == ("stops.txt", 14, "stop_lat")


def test_unusable_coordinates_become_nan_and_stop_is_kept(make_feed):
    stops = _stops_around(4, "Z,zero,0,0\nB,bad,abc,7.7\nO,out,95.0,7.7\nE,empty,,\n")
    st = ("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
          "T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,Z,2\nT1,08:20:00,08:20:00,B,3\n"
          "T2,09:00:00,09:00:00,S4,1\nT2,09:10:00,09:10:00,S1,2\n")
    s = load_gtfs([make_feed({"stops.txt": stops, "stop_times.txt": st})])
    lat = s.stops.column("lat").to_numpy()
    assert np.isnan(lat[4:]).all() and np.isfinite(lat[:4]).all()
    assert s.st_stop_idx[:3].tolist() == [0, 4, 5]
    assert _issues(s, "stops.zero_coordinates")[0].line == 6
    assert _issues(s, "stops.bad_coordinates")[0].line == 7
    assert _issues(s, "stops.coordinates_out_of_range")[0].line == 8
    assert _issues(s, "stops.missing_coordinates")[0].line == 9
    assert not _issues(s, "stops.swapped_coordinates")


def test_unknown_parent_station_is_dropped_with_warning(make_feed):
    stops = ("stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station,stop_timezone\n"
             "ST,Station,48.0,7.0,1,,\nS1,One,48.0,7.0,,ST,\nS2,Two,48.0,7.01,0,GONE,\n"
             "S3,Three,48.0,7.02,0,GONE,\nS4,Four,48.0,7.03,0,,\nS1,dup,1,1,0,,\n")
    s = load_gtfs([make_feed({"stops.txt": stops})])
    assert s.stops.column("parent_idx").to_pylist() == [-1, 0, -1, -1, -1]
    assert [i.line for i in _issues(s, "stops.unknown_parent")] == [4, 5]
    assert "GONE" in _issues(s, "stops.unknown_parent")[0].message
    assert "2 stops point to 1 distinct" in _issues(s, "stops.unknown_parent_total")[0].message
    assert _issues(s, "stops.duplicate_id")[0].line == 7


def test_missing_agency_takes_timezone_from_stops(make_feed):
    stops = ("stop_id,stop_name,stop_lat,stop_lon,stop_timezone\n"
             "S1,a,45.0,-75.0,America/Toronto\nS2,b,45.0,-75.1,America/Toronto\n"
             "S3,c,45,-75.2,America/Winnipeg\nS4,d,45,-75.3,\n")
    routes = "route_id,route_short_name,route_long_name,route_type\nR1,1,one,2\n"
    s = load_gtfs([make_feed({"stops.txt": stops, "routes.txt": routes}, drop=("agency.txt",))])
    assert s.feeds[0].timezone == "America/Toronto"
    assert s.stops.column("timezone").to_pylist()[:3] == ["America/Toronto", "America/Toronto",
                                                          "America/Winnipeg"]
    [issue] = _issues(s, "agency.missing")
    assert issue.file == "agency.txt"
    assert s.routes.column("agency_name").to_pylist() == [""]


def test_routes_agency_lookup_and_bad_route_type(make_feed):
    agency = ("agency_id,agency_name,agency_url,agency_timezone\n"
              "A,Alpha,u,Europe/Paris\nB,Beta,u,Europe/Paris\n")
    routes = ("route_id,agency_id,route_short_name,route_long_name,route_type,route_color\n"
              "R1,B,1,one,3,FF0000\nR2,A,2,two,x,\nR3,Q,3,three,700,\n")
    s = load_gtfs([make_feed({"agency.txt": agency, "routes.txt": routes})])
    assert s.routes.column("agency_name").to_pylist() == ["Beta", "Alpha", ""]
    assert s.routes.column("route_type").to_pylist() == [3, NO_VALUE, 700]
    assert s.routes.column("color").to_pylist()[0] == "FF0000"
    assert s.feeds[0].agency_names == "Alpha; Beta"
    assert _issues(s, "routes.unknown_agency")[0].line == 4


def test_transfers_station_expansion_and_unsupported_rows(make_feed):
    stops = ("stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
             "ST,Station,48.0,7.0,1,\nS1,One,48.0,7.0,0,ST\nS2,Two,48.0,7.01,0,ST\n"
             "E1,Entrance,48.0,7.0,2,ST\nS3,Three,48.0,7.02,0,\nS4,Four,48.0,7.03,0,\n")
    transfers = ("from_stop_id,to_stop_id,transfer_type,min_transfer_time,from_trip_id\n"
                 "ST,S3,2,120,\n"           # -> S1->S3, S2->S3
                 "S3,S4,,,\n"               # type 0, no time
                 "S4,S4,3,,\n"
                 "S3,S4,1,,T1\n"            # trip-specific: unsupported
                 "S3,S4,4,,\n"              # in-seat: unsupported
                 "S3,NOPE,2,60,\n")         # unknown stop
    s = load_gtfs([make_feed({"stops.txt": stops, "transfers.txt": transfers})])
    assert s.transfer_from.tolist() == [1, 2, 4, 5]
    assert s.transfer_to.tolist() == [4, 4, 5, 5]
    assert s.transfer_type.tolist() == [2, 2, 0, 3]
    assert s.transfer_min_time.tolist() == [120, 120, NO_VALUE, NO_VALUE]
    assert s.report.counts["skipped.transfers.not_supported"] == 2
    assert s.report.counts["skipped.transfers.unknown_stop"] == 1
    assert [i.line for i in _issues(s, "transfers.not_supported")] == [5, 6]


def test_shapes_sorted_by_sequence(make_feed):
    shapes = ("shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
              "SH1,48.0,7.02,3\nSH2,1.0,1.0,1\nSH1,48.0,7.00,1\nSH1,48.0,7.01,2\nSH1,x,7,4\n")
    s = load_gtfs([make_feed({"shapes.txt": shapes})])
    k = s.shape_ids.index("feed:SH1")
    a, b = s.shape_offsets[k], s.shape_offsets[k + 1]
    assert s.shape_lon[a:b].tolist() == [7.0, 7.01, 7.02]
    assert len(s.shape_ids) == 2 and s.shape_offsets[-1] == 4
    assert _issues(s, "shapes.bad_point")[0].line == 6
    assert math.isclose(s.shape_lat[a], 48.0)
