"""The catalogue (engine.datasets, recorded at build by engine.datasets_build): one record per
input with its fingerprint, what the feed says of itself, its validity, counts and warnings."""
from __future__ import annotations

import hashlib
import zipfile

import engine
from engine.datasets import FIELDS, datasets_of, format_datasets


def _zip(path, files: dict[str, str]):
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def test_sample_catalogue(sample_network, sample_paths):
    records = sample_network.datasets()
    assert [r["kind"] for r in records] == ["gtfs", "osm", "addresses"]
    assert all(tuple(r)[:len(FIELDS)] == FIELDS for r in records)
    gtfs, osm, ban = records
    assert gtfs["sha256"] == hashlib.sha256(sample_paths.gtfs.read_bytes()).hexdigest()
    assert gtfs["file"] == sample_paths.gtfs.name and gtfs["size"] == sample_paths.gtfs.stat().st_size
    assert gtfs["publisher"] and gtfs["publisher_url"].startswith("http") and gtfs["language"]
    assert gtfs["valid_from"] < gtfs["valid_to"] and gtfs["counts"]["routes"] > 0 and gtfs["counts"]["trips"] > 0
    assert (osm["publisher"], osm["licence"]) == ("OpenStreetMap contributors", "ODbL-1.0")
    assert osm["counts"]["segments"] > 0
    assert (ban["publisher"], ban["licence"]) == ("BAN", "ETALAB-2.0") and ban["counts"]["kept"] > 0
    records[0]["counts"]["stops"] = -1
    assert sample_network.datasets()[0]["counts"]["stops"] != -1        # callers get copies
    text = format_datasets(sample_network.datasets())
    assert "gtfs briqueville" in text and "licence: ETALAB-2.0" in text


def test_feed_without_feed_info_and_its_warnings(tmp_path):
    feed = _zip(tmp_path / "tiny.zip", {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone,agency_lang\n"
                      "A,Tiny Transit,https://tiny.example,Europe/Paris,fr\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,One,48.85,2.35\nS2,Two,48.86,2.36\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_type\nR,A,1,3\n",
        "trips.txt": "route_id,service_id,trip_id\nR,WK,T1\nR,WK,T2\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,S2,2\n"
                          "T2,09:00:00,09:00:00,S1,1\nT2,09:10:00,09:10:00,NOPE,2\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                        "WK,1,1,1,1,1,0,0,20260105,20260630\n",
        "calendar_dates.txt": "service_id,date,exception_type\nWK,20260704,1\n",
    })
    result = engine.build(tmp_path / "t.bundle", [("tiny", feed)])
    (record,) = [r for r in engine.open(result.path).datasets() if r["kind"] == "gtfs"]
    assert record["name"] == "tiny" and record["publisher"] == "Tiny Transit"
    assert record["publisher_url"] == "https://tiny.example" and record["language"] == "fr"
    assert (record["valid_from"], record["valid_to"]) == ("2026-01-05", "2026-07-04")
    assert record["counts"] == {"agencies": 1, "stops": 2, "routes": 1, "trips": 2}
    assert record["licence"] is None
    assert sum(record["warnings"].values()) >= 1 and all("." in code for code in record["warnings"])


def test_manifests_before_the_catalogue():
    manifest = {"inputs": [{"kind": "gtfs", "feed": "cts", "path": "/data/x/google_transit.zip", "size": 10,
                            "sha256": "ab" * 32, "mtime_ns": 1},
                           {"kind": "addresses", "path": "/d/adresses-75.csv.gz", "size": 3, "sha256": "cd" * 32}]}
    records = datasets_of(manifest)
    assert [(r["kind"], r["name"], r["file"]) for r in records] == [
        ("gtfs", "cts", "google_transit.zip"), ("addresses", "adresses-75", "adresses-75.csv.gz")]
    assert records[0]["licence"] is None and records[0]["warnings"] is None and "path" not in records[0]


def test_build_is_callable_after_importing_its_module(sample_paths, tmp_path):
    """``import engine.build`` binds the module on the package; engine.build(...) still builds."""
    import subprocess
    import sys

    code = ("import engine.build, engine, sys\n"
            "r = engine.build(sys.argv[1], gtfs=[('bq', sys.argv[2])])\n"
            "print(type(r).__name__, callable(engine.build), engine.build.build is engine.build.build)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "b.bundle"), str(sample_paths.gtfs)],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["BuildResult", "True", "True"]
