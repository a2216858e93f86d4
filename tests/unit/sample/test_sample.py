"""The built-in Briqueville sample: deterministic, valid GTFS/OSM/BAN, and the features it promises."""
from __future__ import annotations

import csv
import gzip
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from engine import sample
from engine.loaders.addresses import read_addresses
from engine.loaders.gtfs import load_gtfs
from engine.sample.addresses import BAN_COLUMNS, lambert93
from engine.sample.city import BLOCK_M, H_STREETS, LAT0, LON0, V_STREETS
from engine.testing import gtfs_problems, read_gtfs_tables
from engine.testing.data import shared_data_dir
from engine.timetable.staging import BuildReport


@pytest.fixture(scope="module")
def gtfs(sample_paths):
    return read_gtfs_tables(sample_paths.gtfs)


@pytest.fixture(scope="module")
def ban_rows(sample_paths):
    with open(sample_paths.addresses, encoding="utf-8", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def _secs(t: str) -> int:
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def _local_xy(lat: float, lon: float) -> tuple[float, float]:
    import math
    k = 6_371_000.0 * math.pi / 180.0
    return (lon - LON0) * k * math.cos(math.radians(LAT0)), (lat - LAT0) * k


# --- files, determinism, CLI -----------------------------------------------------------------

def test_same_bytes_on_every_run(tmp_path: Path, sample_paths):
    again = sample.write_sample(tmp_path / "again")
    for a, b in ((sample_paths.gtfs, again.gtfs), (sample_paths.osm, again.osm),
                 (sample_paths.addresses, again.addresses)):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_paths_and_cli(tmp_path: Path, capsys):
    assert sample.main([str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out.split()
    assert [Path(p).name for p in printed] == ["briqueville.zip", "briqueville.osm",
                                                "adresses-briqueville.csv"]
    assert all(Path(p).is_file() for p in printed)
    assert sample.main([]) == 2


def test_demo_ids_exist_in_the_feed(gtfs):
    ids = {r["stop_id"] for r in gtfs["stops.txt"]}
    for key in ("origin", "destination"):
        feed, _, stop_id = sample.DEMO[key].partition(":")
        assert feed == sample.FEED_NAME and stop_id in ids


# --- GTFS ----------------------------------------------------------------------------------

def test_gtfs_is_valid(sample_paths):
    assert gtfs_problems(sample_paths.gtfs) == []


def test_gtfs_size_and_lines(gtfs):
    stops = [r for r in gtfs["stops.txt"] if r["location_type"] == "0"]
    assert 40 <= len(stops) <= 80
    assert all(r["stop_code"] and r["stop_name"] for r in stops)
    assert 1000 <= len(gtfs["trips.txt"]) <= 3000
    types = Counter(r["route_type"] for r in gtfs["routes.txt"])
    assert types["0"] == 1 and types["1"] == 1 and types["3"] == 5
    assert gtfs["agency.txt"][0]["agency_timezone"] == "Europe/Paris"
    for r in gtfs["trips.txt"]:
        assert r["direction_id"] in ("0", "1") and r["trip_headsign"] and r["shape_id"]


def test_parent_stations_have_two_platforms(gtfs):
    parents = [r["stop_id"] for r in gtfs["stops.txt"] if r["location_type"] == "1"]
    kids = Counter(r["parent_station"] for r in gtfs["stops.txt"] if r["parent_station"])
    assert sorted(parents) == ["BELV", "GARE", "HDV"]
    assert all(kids[p] == 2 for p in parents)
    assert all(r["platform_code"] for r in gtfs["stops.txt"] if r["parent_station"])


def test_times_realistic_and_no_overtaking(gtfs):
    trips = {r["trip_id"]: r for r in gtfs["trips.txt"]}
    rows = defaultdict(list)
    for r in gtfs["stop_times.txt"]:
        rows[r["trip_id"]].append(r)
    groups = defaultdict(list)
    dwell_seen = False
    for trip_id, st in rows.items():
        arr = [_secs(r["arrival_time"]) for r in st]
        dep = [_secs(r["departure_time"]) for r in st]
        hops = [a - d for d, a in zip(dep, arr[1:])]
        assert all(30 <= h <= 300 for h in hops), trip_id
        dwell_seen |= any(d > a for a, d in zip(arr, dep))
        t = trips[trip_id]
        groups[(t["route_id"], t["service_id"], t["direction_id"])].append(arr)
    assert dwell_seen
    for key, arrs in groups.items():  # FIFO: a later departure never arrives earlier
        arrs.sort()
        for a, b in zip(arrs, arrs[1:]):
            assert all(x <= y for x, y in zip(a, b)), key


def test_night_bus_runs_past_midnight(gtfs):
    n1 = {r["trip_id"] for r in gtfs["trips.txt"] if r["route_id"] == "N1"}
    late = [r for r in gtfs["stop_times.txt"] if r["trip_id"] in n1 and
            _secs(r["departure_time"]) >= 25 * 3600]
    assert late
    assert {r["pickup_type"] for r in gtfs["stop_times.txt"] if r["trip_id"] in n1} == {"0", "1"}


def test_calendar_and_holidays(gtfs):
    cal = {r["service_id"]: r for r in gtfs["calendar.txt"]}
    assert set(cal) == {"SEM", "SAM", "DIM"}
    assert all((r["start_date"], r["end_date"]) == ("20260101", "20261231") for r in cal.values())
    cd = {(r["service_id"], r["date"]): r["exception_type"] for r in gtfs["calendar_dates.txt"]}
    assert cd[("SEM", "20260501")] == "2" and cd[("DIM", "20260501")] == "1"
    assert cd[("SAM", "20260815")] == "2" and cd[("DIM", "20260815")] == "1"
    assert not any(d == "20261101" for _, d in cd)  # a Sunday: nothing to change


def test_frequencies_and_transfers(gtfs):
    freq = gtfs["frequencies.txt"]
    assert freq and {r["exact_times"] for r in freq} == {"0"}
    routes = {gtfs_trip["trip_id"]: gtfs_trip["route_id"] for gtfs_trip in gtfs["trips.txt"]}
    assert {routes[r["trip_id"]] for r in freq} == {"B4"}
    tr = {(r["from_stop_id"], r["to_stop_id"]): r for r in gtfs["transfers.txt"]}
    assert tr[("HDV_T", "HDV_M")]["transfer_type"] == "2"
    assert int(tr[("HDV_T", "HDV_M")]["min_transfer_time"]) == 180
    assert tr[("GARE_B", "GARE_B")]["min_transfer_time"] == "300"
    forbidden = [k for k, r in tr.items() if r["transfer_type"] == "3"]
    names = {r["stop_id"]: r["stop_name"] for r in gtfs["stops.txt"]}
    assert len(forbidden) == 1 and {names[s] for s in forbidden[0]} == {"Les Vignes"}


def test_shapes_follow_every_line(gtfs):
    shape_ids = {r["shape_id"] for r in gtfs["shapes.txt"]}
    assert {"T1_0", "T1_1"} <= shape_ids
    assert shape_ids == {r["shape_id"] for r in gtfs["trips.txt"]}


def test_loader_reads_sample_without_warnings(sample_paths):
    report = BuildReport()
    load_gtfs([("briqueville", sample_paths.gtfs)], report)
    assert report.issues == []
    assert report.counts["trips.read"] == 2324
    assert report.counts["frequencies.read"] == 8


# --- OSM -----------------------------------------------------------------------------------

def test_osm_is_valid_xml_with_positive_ids_and_versions(sample_paths):
    root = ET.parse(sample_paths.osm).getroot()
    assert root.tag == "osm" and root.get("version") == "0.6"
    elems = root.findall("node") + root.findall("way")
    assert all(int(e.get("id")) > 0 and e.get("version") == "1" for e in elems)
    node_ids = {n.get("id") for n in root.findall("node")}
    assert all(nd.get("ref") in node_ids for w in root.findall("way") for nd in w.findall("nd"))
    assert 300 <= len(root.findall("node")) and 100 <= len(root.findall("way"))


def test_osm_parses_with_pyosmium_and_has_the_special_ways(sample_paths):
    osmium = pytest.importorskip("osmium")
    highways: Counter = Counter()
    tagged: dict[str, int] = Counter()
    names: set[str] = set()
    places: list[tuple[str, str]] = []
    addr_streets: set[str] = set()
    hw_node_xy: list[tuple[float, float]] = []
    for obj in osmium.FileProcessor(str(sample_paths.osm)).with_locations():
        tags = dict(obj.tags)
        if "addr:housenumber" in tags:
            addr_streets.add(tags["addr:street"])
            tagged["addr"] += 1
        if obj.is_node() and "place" in tags:
            places.append((tags["place"], tags["name"]))
        if obj.is_way() and "highway" in tags:
            highways[tags["highway"]] += 1
            names.add(tags.get("name", ""))
            for key in ("foot", "access", "oneway"):
                if key in tags:
                    tagged[f"{key}={tags[key]}"] += 1
            hw_node_xy.extend(_local_xy(n.lat, n.lon) for n in obj.nodes)
    for hw in ("residential", "secondary", "primary", "tertiary", "footway", "steps",
               "pedestrian", "cycleway", "motorway", "service"):
        assert highways[hw] >= 1, hw
    assert tagged["foot=no"] == 1 and tagged["access=private"] == 1 and tagged["oneway=yes"] >= 1
    assert tagged["addr"] >= 50
    assert ("city", "Briqueville") in places and sum(p == "suburb" for p, _ in places) >= 3
    assert addr_streets <= names
    assert {n for n, _ in H_STREETS.values()} | {n for n, _ in V_STREETS.values()} <= names
    # every GTFS stop is within 30 m of a street node
    for r in read_gtfs_tables(sample_paths.gtfs)["stops.txt"]:
        x, y = _local_xy(float(r["stop_lat"]), float(r["stop_lon"]))
        assert min((x - a) ** 2 + (y - b) ** 2 for a, b in hw_node_xy) < 30 ** 2, r["stop_id"]


# --- addresses -----------------------------------------------------------------------------

def test_ban_header_is_the_real_one(ban_rows):
    assert tuple(ban_rows[0]) == BAN_COLUMNS
    real = shared_data_dir() / "addr-fr-ban-75-paris" / "adresses-75.csv.gz"
    if real.exists():
        with gzip.open(real, "rt", encoding="utf-8") as f:
            assert f.readline().rstrip("\n").split(";") == list(BAN_COLUMNS)


def test_ban_rows_consistent_and_near_streets(ban_rows):
    header, rows = ban_rows[0], ban_rows[1:]
    col = {c: i for i, c in enumerate(header)}
    assert 300 <= len(rows) <= 1000
    assert all(len(r) == len(header) for r in rows)
    assert len({r[col["id"]] for r in rows}) == len(rows)
    assert {r[col["code_postal"]] for r in rows} == {"41990"}
    assert {r[col["code_insee"]] for r in rows} == {"41999"}
    assert {r[col["nom_commune"]] for r in rows} == {"Briqueville"}
    reps = Counter(r[col["rep"]] for r in rows)
    assert reps["bis"] >= 10 and reps["ter"] >= 3 and set(reps) == {"", "bis", "ter"}
    street_axis = {n: ("y", row * BLOCK_M) for row, (n, _) in H_STREETS.items()}
    street_axis |= {n: ("x", c * BLOCK_M) for c, (n, _) in V_STREETS.items()}
    for r in rows:
        x, y = _local_xy(float(r[col["lat"]]), float(r[col["lon"]]))
        axis, value = street_axis[r[col["nom_voie"]]]
        assert abs((y if axis == "y" else x) - value) <= 20, r[col["id"]]
        odd = int(r[col["numero"]]) % 2 == 1
        lx, ly = lambert93(float(r[col["lat"]]), float(r[col["lon"]]))
        assert abs(lx - float(r[col["x"]])) < 0.2 and abs(ly - float(r[col["y"]])) < 0.2
        assert r[col["id"]].startswith(r[col["id_fantoir"]] + "_")
        assert odd or int(r[col["numero"]]) % 2 == 0


def test_lambert93_matches_a_real_ban_row():
    # 75101_cfq3tf_00001 in the BAN Paris file: lon 2.330113, lat 48.861299
    x, y = lambert93(48.861299, 2.330113)
    assert round(x, 2) == 650852.91 and round(y, 2) == 6862571.27


def test_address_loader_reads_sample(sample_paths):
    table = read_addresses(sample_paths.addresses)
    with open(sample_paths.addresses, encoding="utf-8") as f:
        assert table.num_rows == sum(1 for _ in f) - 1
