"""Reading messy GTFS containers and CSV: zip vs directory, nesting, __MACOSX, BOM, quotes,
extra columns, empty lines, padded values, legacy encodings, naming of feeds."""
from __future__ import annotations

import numpy as np
import pytest

from engine.loaders.gtfs import feed_names, load_gtfs
from engine.timetable.staging import BuildReport


def _issues(s, code):
    return [i for i in s.report.issues if i.code == code]


@pytest.mark.parametrize("kind", ["zip", "dir"])
def test_base_feed_loads_zip_and_dir(make_feed, kind):
    s = load_gtfs([make_feed(kind=kind, name="my feed.v2")])
    assert s.feeds[0].name == "my_feed_v2"
    assert s.stops.column("stop_id").to_pylist() == [f"my_feed_v2:{x}" for x in
                                                      ("ST", "S1", "S2", "S3", "S4")]
    assert s.trips.column("trip_id").to_pylist() == ["my_feed_v2:T1", "my_feed_v2:T2"]
    assert s.trip_offsets.tolist() == [0, 4, 6]
    assert s.st_stop_idx.tolist() == [1, 2, 3, 4, 4, 1]
    assert s.st_arr[:4].tolist() == [28800, 29100, 29400, 29700]
    assert s.st_dep[:4].tolist() == [28800, 29160, 29400, 29700]
    assert s.stops.column("parent_idx").to_pylist() == [-1, 0, -1, -1, -1]
    assert s.stops.column("location_type").to_pylist() == [1, 0, 0, 0, 0]
    assert s.routes.column("agency_name").to_pylist() == ["Agency"]
    assert s.trips.column("direction_id").to_pylist() == [0, 1]
    assert s.trips.column("shape_id").to_pylist() == ["my_feed_v2:SH1", ""]
    assert s.feeds[0].timezone == "Europe/Paris"
    assert len(s.feeds[0].sha256) == 64
    assert s.report.issues == []


def test_nested_folder_and_macosx_junk_are_handled(make_feed):
    s = load_gtfs([make_feed(folder="export/inner", junk=True)])
    assert s.trips.num_rows == 2
    assert s.report.issues == []


def test_nested_folder_in_directory(make_feed):
    s = load_gtfs([make_feed(kind="dir", folder="sub", junk=True)])
    assert s.trips.num_rows == 2


def test_bom_quotes_extra_columns_empty_lines_whitespace(make_feed):
    stops = ("\ufeffstop_id , stop_name,stop_lat,stop_lon,zone_id,location_type,parent_station\r\n"
             "\r\n"
             "ST,\"Station, main\",48.0,7.0,z,1,\r\n"
             " S1 ,\"One \"\"quoted\"\"\", 48.0 ,7.00,z,,ST\r\n"
             "\r\n"
             "S2,Two,48.0,7.01,z,0,\r\n"
             "S3,Three,48.0,7.02,z,0,\r\n"
             "S4,Four,48.0,7.03,z,0,\r\n")
    st = ("trip_id,arrival_time,departure_time,stop_id,stop_sequence,extra\n"
          "T1,08:00:00,08:00:00,S1,1,x\n"
          "\n"
          "T1, 08:05:00,08:06:00 ,S2,2,x\n"
          "T1,08:10:00,08:10:00,S3,3,x\n"
          "\n"
          "T1,08:12:00,08:12:00,NOPE,4,x\n"
          "T1,08:15:00,08:15:00,S4,5,x\n"
          "T2,09:00:00,09:00:00,S4,1,x\n"
          "T2,\"09:10:00\",\"\",S1,2,x\n")
    s = load_gtfs([make_feed({"stops.txt": stops.encode("utf-8"), "stop_times.txt": st})])
    assert s.stops.column("name").to_pylist()[:2] == ["Station, main", 'One "quoted"']
    assert s.stops.column("stop_id").to_pylist()[1] == "feed:S1"
    assert s.stops.column("lat").to_numpy()[1] == 48.0
    assert s.stops.column("parent_idx").to_pylist()[1] == 0
    assert s.trip_offsets.tolist() == [0, 4, 6]
    assert s.st_dep[1] == 8 * 3600 + 6 * 60
    assert s.st_dep[5] == s.st_arr[5] == 9 * 3600 + 600        # departure copied from arrival
    [unknown] = _issues(s, "stop_times.unknown_stop")
    assert (unknown.file, unknown.line, unknown.field) == ("stop_times.txt", 7, "stop_id")
    assert "NOPE" in unknown.message and "stop_times.txt:7" in unknown.message
    assert s.report.counts["skipped.stop_times.unknown_stop"] == 1


def test_cp1252_file_is_decoded_with_a_warning(make_feed):
    stops = ("stop_id,stop_name,stop_lat,stop_lon\n"
             "S1,Trondheim S\u00f8r,63.0,10.0\nS2,B\u00e6r,63.0,10.01\n"
             "S3,C,63.0,10.02\nS4,D\u00e5,63.0,10.03\n").encode("cp1252")
    s = load_gtfs([make_feed({"stops.txt": stops})])
    assert s.stops.column("name").to_pylist()[0] == "Trondheim S\u00f8r"
    [issue] = _issues(s, "csv.encoding")
    assert issue.file == "stops.txt" and "stops.txt" in issue.message and issue.line == 2


def test_row_with_wrong_field_count_is_skipped_with_line(make_feed):
    routes = ("route_id,agency_id,route_short_name,route_long_name,route_type\n"
              "R1,A,1,Line one,3\nR2,A,2,bad,3,extra,fields\n")
    s = load_gtfs([make_feed({"routes.txt": routes})])
    assert s.routes.column("route_id").to_pylist() == ["feed:R1"]
    [issue] = _issues(s, "csv.bad_row")
    assert issue.file == "routes.txt" and issue.line == 3


def test_feed_names_default_and_duplicates(tmp_path):
    (tmp_path / "d").mkdir()
    names = feed_names([tmp_path / "a" / "google_transit.zip", tmp_path / "b" /
                        "google_transit.zip", ("cts", tmp_path / "x.zip"), ("cts", "y.zip"),
                        tmp_path / "d"])
    assert [n for n, _ in names] == ["google_transit", "google_transit-2", "cts", "cts-2", "d"]


def test_two_feeds_merge_with_global_indices_and_period(make_feed):
    cal2 = ("service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
            "start_date,end_date\nWK,0,0,0,0,0,1,1,20260110,20260125\n")
    a = make_feed(name="a")
    b = make_feed({"calendar.txt": cal2}, name="b", kind="dir")
    report = BuildReport()
    s = load_gtfs([a, b], report)
    assert s.report is report
    assert [f.name for f in s.feeds] == ["a", "b"]
    assert s.stops.num_rows == 10 and s.trips.num_rows == 4
    assert s.st_stop_idx[6:].tolist() == [6, 7, 8, 9, 9, 6]
    assert s.stops.column("parent_idx").to_pylist()[5:] == [-1, 5, -1, -1, -1]
    assert s.trips.column("route_idx").to_pylist() == [0, 0, 1, 1]
    assert s.trips.column("service_idx").to_pylist() == [0, 0, 1, 1]
    assert s.services.column("service_id").to_pylist() == ["a:WK", "b:WK"]
    assert str(s.period_start) == "2026-01-05" and s.n_days == 21
    days = s.service_days
    assert days[0].nonzero()[0].tolist() == [0, 1, 2, 3, 4, 7, 8, 9, 10, 11]
    assert days[1].nonzero()[0].tolist() == [5, 6, 12, 13, 19, 20]
    assert s.trip_offsets.tolist() == [0, 4, 6, 10, 12]
    assert report.counts["stop_times.read"] == 12
    assert np.all(s.stops.column("feed_idx").to_numpy() == [0] * 5 + [1] * 5)


def test_quoted_line_break_in_value(make_feed):
    stops = ("stop_id,stop_name,stop_desc,stop_lat,stop_lon\n"
             "S1,One,\"two\nlines\",48.0,7.0\nS2,Two,,48.0,7.01\nS3,Three,,48.0,7.02\n"
             "S4,Four,,48.0,7.03\nS5,Five,,91,7.0\n")
    s = load_gtfs([make_feed({"stops.txt": stops}, drop=("agency.txt",))])
    assert s.stops.column("stop_id").to_pylist()[:4] == ["feed:S1", "feed:S2", "feed:S3",
                                                         "feed:S4"]
    [issue] = _issues(s, "stops.coordinates_out_of_range")
    assert issue.line == 7
