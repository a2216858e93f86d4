"""calendar.txt / calendar_dates.txt -> day matrix; frequencies.txt expansion."""
from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.loaders.gtfs import load_gtfs, validate_gtfs

H = 3600
CAL_HEADER = ("service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
              "start_date,end_date\n")


def _issues(s, code):
    return [i for i in s.report.issues if i.code == code]


def test_calendar_dates_add_and_remove(make_feed):
    cd = ("service_id,date,exception_type\nWK,20260107,2\nWK,20260110,1\nWK,20260120,1\n"
          "EXTRA,20260111,1\nWK,20260231,1\nWK,20260108,3\n")
    trips = "route_id,service_id,trip_id\nR1,WK,T1\nR1,EXTRA,T2\n"
    s = load_gtfs([make_feed({"calendar_dates.txt": cd, "trips.txt": trips})])
    assert str(s.period_start) == "2026-01-05" and s.n_days == 16       # .. 2026-01-20
    assert s.services.column("service_id").to_pylist() == ["feed:WK", "feed:EXTRA"]
    wk = s.service_days[0].nonzero()[0].tolist()
    # Wed 7th removed, Sat 10th and Tue 20th added
    assert wk == [0, 1, 3, 4, 5, 7, 8, 9, 10, 11, 15]
    assert s.service_days[1].nonzero()[0].tolist() == [6]
    assert s.trips.column("service_idx").to_pylist() == [0, 1]
    assert s.report.counts["skipped.calendar_dates.bad_date"] == 1
    assert _issues(s, "calendar_dates.bad_date")[0].line == 6
    assert _issues(s, "calendar_dates.bad_exception_type")[0].line == 7


def test_feed_with_calendar_dates_only(make_feed):
    cd = "service_id,date,exception_type\nWK,20260301,1\nWK,20260303,1\n"
    s = load_gtfs([make_feed({"calendar_dates.txt": cd}, drop=("calendar.txt",))])
    assert str(s.period_start) == "2026-03-01" and s.n_days == 3
    assert s.service_days.tolist() == [[True, False, True]]
    assert s.trips.num_rows == 2


def test_impossible_calendar_dates_skip_the_row(make_feed):
    cal = CAL_HEADER + "WK,1,1,1,1,1,0,0,20260105,20260116\nBAD,1,1,1,1,1,1,1,20260132,20260201\n"
    s = load_gtfs([make_feed({"calendar.txt": cal})])
    assert s.services.column("service_id").to_pylist() == ["feed:WK"]
    [issue] = _issues(s, "calendar.bad_date")
    assert (issue.line, issue.field) == (3, "start_date") and "20260132" in issue.message


def test_missing_calendar_files_raise_input_error(make_feed):
    with pytest.raises(InputError, match="calendar.txt or calendar_dates.txt"):
        load_gtfs([make_feed(drop=("calendar.txt",), name="nocal")])


@pytest.mark.parametrize("missing", ["stops.txt", "routes.txt", "trips.txt", "stop_times.txt"])
def test_missing_required_file_names_feed_and_file(make_feed, missing):
    path = make_feed(drop=(missing,), name="broken")
    with pytest.raises(InputError) as exc:
        load_gtfs([path])
    assert missing in str(exc.value) and "broken" in str(exc.value)
    report = validate_gtfs(path)
    [err] = [i for i in report.issues if i.severity == "error"]
    assert missing in err.message and err.feed == "broken"


def test_missing_path_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_gtfs([tmp_path / "nope.zip"])
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable zip"):
        load_gtfs([tmp_path / "x.zip"])


def test_frequencies_expand_to_trips(make_feed):
    freq = ("trip_id,start_time,end_time,headway_secs,exact_times\n"
            "T1,06:00:00,07:00:00,1200,0\n"          # 06:00, 06:20, 06:40
            "T1,07:00:00,07:30:01,600,1\n"           # 07:00, 07:10, 07:20, 07:30
            "T1,08:00:00,09:00:00,,0\n"              # empty headway: skipped
            "T1,08:00:00,09:00:00,abc,0\n"           # invalid headway: skipped
            "T9,08:00:00,09:00:00,600,0\n")          # unknown trip: skipped
    s = load_gtfs([make_feed({"frequencies.txt": freq})])
    ids = s.trips.column("trip_id").to_pylist()
    assert ids == ["feed:T2"] + [f"feed:T1@{t}" for t in
                                 ("06:00:00", "06:20:00", "06:40:00", "07:00:00", "07:10:00",
                                  "07:20:00", "07:30:00")]
    assert s.trip_offsets.tolist() == [0, 2] + [2 + 4 * k for k in range(1, 8)]
    first = s.st_dep[s.trip_offsets[1:-1]]
    assert first.tolist() == [6 * H, 6 * H + 1200, 6 * H + 2400, 7 * H, 7 * H + 600,
                              7 * H + 1200, 7 * H + 1800]
    # the whole template is shifted: 08:00 / 08:05-08:06 / 08:10 / 08:15 -> +(-2 h) at 06:00
    assert s.st_arr[2:6].tolist() == [6 * H, 6 * H + 300, 6 * H + 600, 6 * H + 900]
    assert s.st_dep[2:6].tolist() == [6 * H, 6 * H + 360, 6 * H + 600, 6 * H + 900]
    assert s.trips.column("headsign").to_pylist()[1:] == ["Four"] * 7
    c = s.report.counts
    assert c["frequencies.trips_generated"] == 7
    assert c["skipped.frequencies.bad_headway"] == 2
    assert c["skipped.frequencies.unknown_trip"] == 1
    assert [i.line for i in _issues(s, "frequencies.bad_headway")] == [4, 5]


def test_issue_list_is_capped_but_counts_are_exact(make_feed):
    rows = "".join(f"T1,08:{i:02d}:00,08:{i:02d}:00,GHOST{i},{i + 10}\n" for i in range(60))
    st = ("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
          "T1,07:00:00,07:00:00,S1,1\n" + rows + "T1,09:00:00,09:00:00,S4,99\n"
          "T2,09:00:00,09:00:00,S4,1\nT2,09:10:00,09:10:00,S1,2\n")
    s = load_gtfs([make_feed({"stop_times.txt": st})])
    unknown = [i for i in s.report.issues if i.code == "stop_times.unknown_stop"]
    assert len(unknown) == 51 and unknown[-1].line == 0 and "60 in total" in unknown[-1].message
    assert [i.line for i in unknown[:3]] == [3, 4, 5]
    assert s.report.counts["skipped.stop_times.unknown_stop"] == 60
    assert s.trip_offsets.tolist() == [0, 2, 4]


def test_validate_gtfs_on_a_clean_feed(make_feed):
    report = validate_gtfs([make_feed()])
    assert report.issues == []
    assert report.counts["stop_times.read"] == 6 and report.counts["trips.kept"] == 2
