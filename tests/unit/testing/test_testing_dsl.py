"""engine.testing: the timetable text DSL (feed_from_text), the GTFS checker and the fixtures."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from engine.loaders.gtfs import load_gtfs
from engine.testing import (DslError, feed_from_text, gtfs_problems, parse_feed_text,
                            read_gtfs_tables)
from engine.timetable.staging import BuildReport

EXAMPLE = """
stops: A 48.0 2.0; B 48.001 2.0; C 48.01 2.0
route L1
  A      B      C
  08:00  08:10  08:20
  08:30  08:40  08:50
route L2
  B      D
  08:15  08:30
transfers: B D 120
"""


def _rows(path: Path, name: str) -> list[list[str]]:
    with zipfile.ZipFile(path) as zf:
        return [line.split(",") for line in zf.read(name).decode().splitlines()]


def test_example_feed_exact_content(tmp_path: Path):
    path = feed_from_text(tmp_path / "f.zip", EXAMPLE)
    assert path == tmp_path / "f.zip"
    assert gtfs_problems(path) == []
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["agency.txt", "stops.txt", "routes.txt", "trips.txt",
                                 "stop_times.txt", "calendar_dates.txt", "transfers.txt"]
    assert _rows(path, "stop_times.txt") == [
        ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "pickup_type",
         "drop_off_type"],
        ["L1-1", "08:00:00", "08:00:00", "A", "1", "0", "0"],
        ["L1-1", "08:10:00", "08:10:00", "B", "2", "0", "0"],
        ["L1-1", "08:20:00", "08:20:00", "C", "3", "0", "0"],
        ["L1-2", "08:30:00", "08:30:00", "A", "1", "0", "0"],
        ["L1-2", "08:40:00", "08:40:00", "B", "2", "0", "0"],
        ["L1-2", "08:50:00", "08:50:00", "C", "3", "0", "0"],
        ["L2-1", "08:15:00", "08:15:00", "B", "1", "0", "0"],
        ["L2-1", "08:30:00", "08:30:00", "D", "2", "0", "0"],
    ]
    assert _rows(path, "calendar_dates.txt")[1:] == [["DAY", "20260302", "1"]]
    assert _rows(path, "transfers.txt")[1:] == [["B", "D", "2", "120"]]
    stops = {r["stop_id"]: r for r in read_gtfs_tables(path)["stops.txt"]}
    assert (stops["B"]["stop_lat"], stops["B"]["stop_lon"]) == ("48.0010000", "2.0000000")
    # D was not declared: placed 0.1 deg north of the northernmost declared stop
    assert (stops["D"]["stop_lat"], stops["D"]["stop_lon"]) == ("48.1100000", "2.0000000")
    trips = read_gtfs_tables(path)["trips.txt"]
    assert [(t["trip_id"], t["trip_headsign"], t["service_id"]) for t in trips] == [
        ("L1-1", "C", "DAY"), ("L1-2", "C", "DAY"), ("L2-1", "D", "DAY")]


def test_same_text_same_bytes(tmp_path: Path):
    a = feed_from_text(tmp_path / "a.zip", EXAMPLE).read_bytes()
    b = feed_from_text(tmp_path / "b.zip", EXAMPLE).read_bytes()
    assert a == b
    c = feed_from_text(tmp_path / "c.zip", EXAMPLE, date="2026-03-03").read_bytes()
    assert c != a


def test_cells_markers_skips_and_options(tmp_path: Path):
    text = """
    stops: A 45.0 5.0 name="Gare Centrale" platform=1; B 45.001 5.0
    station S name=Centre: A B
    route T type=0 name="Tram T"
      A            B       C         D
      08:00        -       08:20<    08:30/08:31  id=first headsign=Nord
      23:50>       24:05   24:40/24:41 25:10      service=NIGHT
    calendar NIGHT 0000011 2026-01-01 20261231
    dates NIGHT -2026-03-07 +2026-03-02
    transfers: A B 90; B C forbidden; C C recommended
    """
    path = feed_from_text(tmp_path / "f.zip", text)
    assert gtfs_problems(path) == []
    t = read_gtfs_tables(path)
    stops = {r["stop_id"]: r for r in t["stops.txt"]}
    assert stops["A"]["stop_name"] == "Gare Centrale" and stops["A"]["platform_code"] == "1"
    assert stops["A"]["parent_station"] == "S" and stops["B"]["parent_station"] == "S"
    assert stops["S"]["location_type"] == "1" and stops["S"]["stop_name"] == "Centre"
    assert stops["S"]["stop_lat"] == "45.0005000"
    assert t["routes.txt"] == [{"route_id": "T", "agency_id": "A", "route_short_name": "T",
                                "route_long_name": "Tram T", "route_type": "0"}]
    assert [(r["trip_id"], r["service_id"], r["trip_headsign"]) for r in t["trips.txt"]] == [
        ("first", "DAY", "Nord"), ("T-2", "NIGHT", "D")]
    st = [(r["trip_id"], r["stop_id"], r["arrival_time"], r["departure_time"], r["pickup_type"],
           r["drop_off_type"]) for r in t["stop_times.txt"]]
    assert st == [
        ("first", "A", "08:00:00", "08:00:00", "0", "0"),
        ("first", "C", "08:20:00", "08:20:00", "1", "0"),
        ("first", "D", "08:30:00", "08:31:00", "0", "0"),
        ("T-2", "A", "23:50:00", "23:50:00", "0", "1"),
        ("T-2", "B", "24:05:00", "24:05:00", "0", "0"),
        ("T-2", "C", "24:40:00", "24:41:00", "0", "0"),
        ("T-2", "D", "25:10:00", "25:10:00", "0", "0"),
    ]
    assert t["calendar.txt"][0]["saturday"] == "1" and t["calendar.txt"][0]["monday"] == "0"
    assert [(r["service_id"], r["date"], r["exception_type"]) for r in t["calendar_dates.txt"]] \
        == [("DAY", "20260302", "1"), ("NIGHT", "20260307", "2"), ("NIGHT", "20260302", "1")]
    assert [(r["from_stop_id"], r["to_stop_id"], r["transfer_type"], r["min_transfer_time"])
            for r in t["transfers.txt"]] == [("A", "B", "2", "90"), ("B", "C", "3", ""),
                                             ("C", "C", "0", "")]


def test_frequencies(tmp_path: Path):
    text = """
    route F
      A      B      C
      07:00  07:05  07:12  every 10m until 09:00
      10:00  10:05  10:12  every 900 until 12:00 exact
    """
    t = read_gtfs_tables(feed_from_text(tmp_path / "f.zip", text))
    assert [(r["trip_id"], r["start_time"], r["end_time"], r["headway_secs"], r["exact_times"])
            for r in t["frequencies.txt"]] == [("F-1", "07:00:00", "09:00:00", "600", "0"),
                                                ("F-2", "10:00:00", "12:00:00", "900", "1")]


def test_several_dates(tmp_path: Path):
    path = feed_from_text(tmp_path / "f.zip", "route R\nA B\n08:00 08:05\n",
                          date=["2026-03-02", "20260303"])
    assert _rows(path, "calendar_dates.txt")[1:] == [["DAY", "20260302", "1"],
                                                     ["DAY", "20260303", "1"]]


@pytest.mark.parametrize("text, message", [
    ("route R\nA B\n08:00 8:5\n", "line 3: bad time '8:5'"),
    ("route R\nA B C\n08:00 08:05\n", "line 3: 2 cells for 3 stops"),
    ("route R\nA B\n08:10 08:05\n", "line 3: times go backwards at stop B"),
    ("route R\nA B\n08:10 -\n", "line 3: a trip must serve at least two stops"),
    ("route R\nA B\n", "line 1: route R has no trip lines"),
    ("route R\n", "line 1: route R has no stop header line"),
    ("route R\nA B\n08:00 08:05\ntransfers: A X 60\n", "unknown stop 'X'"),
    ("route R\nA B\n08:00 08:05\ntransfers: A B soon\n", "'soon' is not seconds"),
    ("route R\nA B\n08:00 08:05 every 10 until\n", "expected 'every 10m until"),
    ("stops: A 95 2\nroute R\nA B\n08:00 08:05\n", "coordinates out of range"),
    ("bogus line\n", "line 1: expected one of"),
    ("route R\nA B\n08:00 08:05 colour=red\n", "unexpected 'colour=red'"),
    ("route R\nA B\n08:00 08:05 id=x\n08:10 08:15 id=x\n", "trip id x used twice"),
    ("", "declares no route"),
])
def test_errors_name_the_line(tmp_path: Path, text: str, message: str):
    with pytest.raises(DslError) as info:
        feed_from_text(tmp_path / "f.zip", text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_service_and_bad_date(tmp_path: Path):
    with pytest.raises(DslError, match="service 'X' is used by a trip"):
        feed_from_text(tmp_path / "f.zip", "route R service=X\nA B\n08:00 08:05\n")
    with pytest.raises(DslError, match="bad date"):
        feed_from_text(tmp_path / "f.zip", "route R\nA B\n08:00 08:05\n", date="2026-02-30")


def test_parse_feed_text_exposes_the_spec():
    spec = parse_feed_text(EXAMPLE)
    assert [t.trip_id for t in spec.trips] == ["L1-1", "L1-2", "L2-1"]
    assert spec.trips[0].dep == [8 * 3600, 8 * 3600 + 600, 8 * 3600 + 1200]


def test_checker_reports_broken_feeds(tmp_path: Path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("agency.txt", "agency_name,agency_url,agency_timezone\nA,http://a,UTC\n")
        zf.writestr("stops.txt", "stop_id,stop_name,stop_lat,stop_lon\nA,A,1,1\n")
        zf.writestr("routes.txt", "route_id,route_type\nR,3\n")
        zf.writestr("trips.txt", "route_id,service_id,trip_id\nR,S,T\nQ,S,U\n")
        zf.writestr("stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                                      "T,08:00:00,08:00:00,A,1\nT,07:00:00,07:00:00,Z,2\n")
        zf.writestr("calendar_dates.txt", "service_id,date,exception_type\nS,20260302,1\n")
    problems = gtfs_problems(bad)
    assert "trips.txt: U: unknown route Q" in problems
    assert "stop_times.txt: T: unknown stop Z" in problems
    assert "stop_times.txt: T: times go backwards" in problems
    assert "trips.txt: U has fewer than 2 stop times" in problems


def test_loader_reads_dsl_feed_without_warnings(tmp_path: Path):
    text = EXAMPLE + "route N\n  A  C\n  23:50  24:40\n  08:00 08:20 every 15m until 09:00\n"
    report = BuildReport()
    load_gtfs([("t", feed_from_text(tmp_path / "f.zip", text))], report)
    assert report.issues == []
    assert report.counts["frequencies.trips_generated"] == 4


def test_fixtures(sample_paths, gtfs_from_text):
    assert sample_paths.gtfs.is_file() and sample_paths.osm.is_file()
    first = gtfs_from_text(EXAMPLE)
    second = gtfs_from_text(EXAMPLE, date="2026-03-03")
    assert first != second and first.read_bytes() != second.read_bytes()


def test_import_is_cheap():
    code = ("import sys, engine.testing; heavy = [m for m in ('numpy', 'pyarrow', 'numba', "
            "'pytest', 'osmium', 'engine.api') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[3])
    assert out.stdout.strip() == "[]"


def test_tiny_bundle_and_plan_text(tmp_path: Path):
    import engine
    from engine.testing import itinerary_text, plan_text, tiny_bundle

    path = tiny_bundle(tmp_path / "tiny")
    assert path == tiny_bundle(tmp_path / "tiny")  # cached
    plan = engine.open(path).plan("tiny:A", "tiny:D", date="2026-03-02", time="07:55")
    assert plan_text(plan) == ["L1 A 08:00 -> B 08:10 | L2 B 08:15 -> D 08:25"]
    assert itinerary_text(plan.itineraries[0]) == plan_text(plan)[0]
