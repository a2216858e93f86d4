"""stop_times cleaning: ordering, duplicates, bad/missing times, interpolation, skipped trips."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from engine.loaders.gtfs import load_gtfs
from engine.loaders.gtfs_parse import parse_date, parse_hms

H = 3600


def _issues(s, code):
    return [i for i in s.report.issues if i.code == code]


def _st(rows: str, header: str = "trip_id,arrival_time,departure_time,stop_id,stop_sequence"):
    return header + "\n" + rows


def test_parse_hms_accepts_gtfs_forms_and_flags_bad_ones():
    arr = pa.array(["8:00:00", "08:00:01", "25:10:00", "110:29:00", "", "8:0:00", "ab:cd:ef",
                    "08:60:00", "24:00"])
    secs, bad, missing = parse_hms(arr)
    assert secs[:4].tolist() == [8 * H, 8 * H + 1, 25 * H + 600, 110 * H + 29 * 60]
    assert bad.tolist() == [False] * 5 + [True] * 4
    assert missing.tolist() == [False] * 4 + [True] * 5


def test_parse_date_rejects_impossible_dates():
    days, bad = parse_date(pa.array(["20260105", "20240229", "20230229", "20261301", "2026015",
                                     ""]))
    assert bad.tolist() == [False, False, True, True, True, True]
    assert days[0] == (np.datetime64("2026-01-05") - np.datetime64("1970-01-01")).astype(int)
    assert days[1] == (np.datetime64("2024-02-29") - np.datetime64("1970-01-01")).astype(int)


def test_out_of_order_rows_are_sorted_and_counted(make_feed):
    st = _st("T1,08:10:00,08:10:00,S3,3\n"
             "T2,09:00:00,09:00:00,S4,1\n"
             "T1,08:00:00,08:00:00,S1,1\n"
             "T1,08:15:00,08:15:00,S4,4\n"
             "T2,09:10:00,09:10:00,S1,2\n"
             "T1,08:05:00,08:06:00,S2,2\n")
    s = load_gtfs([make_feed({"stop_times.txt": st})])
    assert s.st_stop_idx.tolist() == [1, 2, 3, 4, 4, 1]
    assert s.st_arr[:4].tolist() == [8 * H, 8 * H + 300, 8 * H + 600, 8 * H + 900]
    assert s.report.counts["fixed.stop_times.out_of_order"] == 2
    assert [i.line for i in _issues(s, "stop_times.out_of_order")] == [4, 7]


def test_hours_beyond_24(make_feed):
    st = _st("T1,23:50:00,23:50:00,S1,1\nT1,24:10:00,24:10:00,S2,2\nT1,25:10:00,25:12:00,S3,3\n"
             "T2,109:00:00,109:00:00,S4,1\nT2,110:29:00,110:29:00,S1,2\n")
    s = load_gtfs([make_feed({"stop_times.txt": st})])
    assert s.st_arr.tolist() == [85800, 87000, 90600, 109 * H, 110 * H + 29 * 60]
    assert s.st_dep[2] == 90720


def test_interpolation_by_shape_dist_traveled(make_feed):
    st = _st("T1,08:00:00,08:00:00,S1,1,0\nT1,,,S2,2,1\nT1,,,S3,3,3.0\n"
             "T1,08:30:00,08:30:00,S4,4,6\n"
             "T2,09:00:00,09:00:00,S4,1,\nT2,09:10:00,09:10:00,S1,2,\n",
             "trip_id,arrival_time,departure_time,stop_id,stop_sequence,shape_dist_traveled")
    s = load_gtfs([make_feed({"stop_times.txt": st})])
    assert s.st_arr[:4].tolist() == [8 * H, 8 * H + 300, 8 * H + 900, 8 * H + 1800]
    assert s.st_dep[:4].tolist() == s.st_arr[:4].tolist()
    assert s.report.counts["fixed.stop_times.interpolated"] == 2


def test_interpolation_by_distance_when_no_shape_dist(make_feed):
    # S1, S2, S3, S4 are equally spaced, and S2 -> S4 is twice S2 -> S3
    st = _st("T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:11:00,S2,2\nT1,,,S3,3\n"
             "T1,08:31:00,08:31:00,S4,4\nT2,09:00:00,09:00:00,S4,1\nT2,,,S3,2\nT2,,,S2,3\n"
             "T2,09:10:00,09:10:00,S1,4\n")
    s = load_gtfs([make_feed({"stop_times.txt": st})])
    assert s.st_arr[2] == 8 * H + 21 * 60
    assert s.st_arr[4:].tolist() == [9 * H, 9 * H + 200, 9 * H + 400, 9 * H + 600]


def test_interpolation_with_unequal_spacing_and_rounding(make_feed):
    stops = ("stop_id,stop_name,stop_lat,stop_lon\nS1,a,0.0,10.0\nS2,b,0.0,10.1\n"
             "S3,c,0.0,10.3\nS4,d,,\n")
    st = _st("T1,08:00:00,08:00:00,S1,1\nT1,,,S2,2\nT1,08:00:07,08:00:07,S3,3\n"
             "T2,09:00:00,09:00:00,S1,1\nT2,,,S4,2\nT2,,,S3,3\nT2,09:00:10,09:00:10,S2,4\n")
    s = load_gtfs([make_feed({"stops.txt": stops, "stop_times.txt": st})])
    # 1/3 of 7 s = 2.33 -> 2; T2 has a stop without coordinates: equal spacing 10/3 -> 3, 7
    assert s.st_arr[:3].tolist() == [8 * H, 8 * H + 2, 8 * H + 7]
    assert s.st_arr[3:].tolist() == [9 * H, 9 * H + 3, 9 * H + 7, 9 * H + 10]


def test_untimed_first_or_last_stop_skips_trip(make_feed):
    st = _st("T1,,,S1,1\nT1,08:05:00,08:06:00,S2,2\nT1,08:10:00,08:10:00,S3,3\n"
             "T2,09:00:00,09:00:00,S4,1\nT2,09:10:00,09:10:00,S1,2\n")
    s = load_gtfs([make_feed({"stop_times.txt": st})])
    assert s.trips.column("trip_id").to_pylist() == ["feed:T2"]
    [issue] = _issues(s, "trips.untimed_first_or_last")
    assert "T1" in issue.message and issue.line == 2
    assert s.report.counts["skipped.trips.untimed_first_or_last"] == 1


def test_bad_time_duplicates_decreasing_and_short_trips(make_feed):
    trips = ("route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\nR1,WK,T3\nR1,WK,T4\n"
             "R1,WK,T5\nRX,WK,T6\nR1,NOSERV,T7\n")
    st = _st("T1,08:00:00,08:00:00,S1,1\nT1,8h05,08:05:00,S2,2\nT1,08:07:00,08:07:00,S4,2\n"
             "T1,08:10:00,08:10:00,S3,3\n"
             "T2,09:00:00,09:00:00,S4,1\nT2,08:59:00,08:59:00,S1,2\n"
             "T3,09:00:00,09:00:00,S4,1\n"
             "T4,09:00:00,08:59:00,S4,1\nT4,09:10:00,09:10:00,S1,2\n"
             "T6,09:00:00,09:00:00,S4,1\nT6,09:10:00,09:10:00,S1,2\n"
             "T7,09:00:00,09:00:00,S4,1\nT7,09:10:00,09:10:00,S1,2\n")
    s = load_gtfs([make_feed({"trips.txt": trips, "stop_times.txt": st})])
    assert s.trips.column("trip_id").to_pylist() == ["feed:T1"]
    assert s.st_stop_idx.tolist() == [1, 2, 3]          # duplicate seq 2 (S4) dropped
    assert s.st_arr.tolist() == [8 * H, 8 * H + 300, 8 * H + 600]   # bad arrival <- departure
    [bad] = _issues(s, "stop_times.bad_time")
    assert (bad.line, bad.field) == (3, "arrival_time") and "8h05" in bad.message
    [dup] = _issues(s, "stop_times.duplicate_sequence")
    assert dup.line == 4
    c = s.report.counts
    assert c["skipped.trips.decreasing_times"] == 2         # T2 (between stops), T4 (dep < arr)
    assert c["skipped.trips.too_few_stop_times"] == 1       # T3
    assert c["skipped.trips.no_stop_times"] == 1            # T5
    assert c["skipped.trips.unknown_route"] == 1            # T6
    assert c["skipped.trips.unknown_service"] == 1          # T7
    assert c["skipped.stop_times.of_skipped_trip"] == 4


def test_unknown_trip_and_pickup_types(make_feed):
    st = _st("T1,08:00:00,08:00:00,S1,1,1,0\nT1,08:15:00,08:15:00,S4,2,0,1\n"
             "TX,08:00:00,08:00:00,S1,1,0,0\nT2,09:00:00,09:00:00,S4,1,7,\n"
             "T2,09:10:00,09:10:00,S1,2,,3\n",
             "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type")
    s = load_gtfs([make_feed({"stop_times.txt": st})])
    assert s.st_pickup.tolist() == [1, 0, 0, 0]
    assert s.st_dropoff.tolist() == [0, 1, 0, 3]
    assert s.st_pickup.dtype == np.uint8
    assert s.report.counts["skipped.stop_times.unknown_trip"] == 1
    assert _issues(s, "stop_times.bad_pickup_type")[0].line == 5


@pytest.mark.parametrize("header", ["trip_id,arrival_time,departure_time,stop_id",
                                    "arrival_time,departure_time,stop_id,stop_sequence"])
def test_missing_required_column_names_file_and_column(make_feed, header):
    from engine.errors import InputError
    with pytest.raises(InputError) as exc:
        load_gtfs([make_feed({"stop_times.txt": header + "\n"})])
    missing = "stop_sequence" if header.startswith("trip_id") else "trip_id"
    assert "stop_times.txt" in str(exc.value) and missing in str(exc.value)


def test_trip_whose_rows_are_all_invalid_is_reported(make_feed):
    st = _st("T1,08:00:00,08:00:00,S1,1\nT1,08:15:00,08:15:00,S4,2\n"
             "T2,09:00:00,09:00:00,GHOST,1\nT2,09:10:00,09:10:00,S1,x\n")
    s = load_gtfs([make_feed({"stop_times.txt": st})])
    assert s.trips.num_rows == 1
    [issue] = _issues(s, "trips.too_few_stop_times")
    assert issue.file == "trips.txt" and issue.line == 3 and "T2" in issue.message
