"""Every GTFS zip of the shared real-data corpus loads, cleanly, and its known defects are reported.

Figures are cross-checked against the corpus' own measurements (``stats.json`` of each dataset,
made by an independent pure-Python scanner).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from engine.testing.data import shared_data_dir
from engine.loaders.gtfs import load_gtfs
from engine.timetable.staging import StagedTimetable

pytestmark = pytest.mark.realdata

ROOT = shared_data_dir()
FEEDS = sorted(ROOT.glob("gtfs-*/*.zip")) if ROOT.is_dir() else []
if not FEEDS:
    pytest.skip(f"shared GTFS data not found under {ROOT} (set BRIQUE_DATA)",
                allow_module_level=True)


def _name(path: Path) -> str:
    folder = path.parent.name.removeprefix("gtfs-")
    several = len(list(path.parent.glob("*.zip"))) > 1
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{folder}_{path.stem}" if several else folder)


def _stats(path: Path) -> dict:
    return json.loads((path.parent / "stats.json").read_text())[path.name]


@pytest.fixture(scope="module")
def loaded() -> dict[str, tuple[Path, StagedTimetable]]:
    return {_name(p): (p, load_gtfs([(_name(p), p)])) for p in FEEDS}


def _check_invariants(s: StagedTimetable) -> None:
    off = s.trip_offsets
    n = len(s.st_arr)
    assert off[0] == 0 and off[-1] == n and len(off) == s.trips.num_rows + 1
    assert np.all(np.diff(off) >= 2), "every trip has at least two stop times"
    assert np.all(s.st_dep >= s.st_arr)
    first = np.zeros(n, bool)
    first[off[:-1]] = True
    assert np.all((s.st_arr[1:] >= s.st_dep[:-1]) | first[1:]), "times non-decreasing in trips"
    assert s.st_arr.min() >= 0
    assert 0 <= s.st_stop_idx.min() and s.st_stop_idx.max() < s.stops.num_rows
    for col, table in (("route_idx", s.routes), ("service_idx", s.services)):
        v = s.trips.column(col).to_numpy()
        assert v.min() >= 0 and v.max() < table.num_rows
    parent = s.stops.column("parent_idx").to_numpy()
    assert np.all((parent == -1) | ((parent >= 0) & (parent < s.stops.num_rows)))
    assert s.service_days.shape == (s.services.num_rows, s.n_days)
    assert s.service_days.any(axis=1).mean() > 0.5
    assert len(s.shape_offsets) == len(s.shape_ids) + 1
    for table in (s.stops, s.trips, s.routes, s.services):
        first_col = table.column(0).to_pylist()
        assert len(set(first_col)) == len(first_col), "ids are unique"


@pytest.mark.parametrize("path", FEEDS, ids=_name)
def test_feed_loads_with_sane_tables(loaded, path):
    _, s = loaded[_name(path)]
    _check_invariants(s)
    stats = _stats(path)
    c = s.report.counts
    assert c["stops.read"] == stats["stops"] == s.stops.num_rows
    assert c["routes.read"] == stats["routes"]
    assert c["trips.read"] == stats["trips"]
    assert c["stop_times.read"] == stats["stop_times"]
    assert s.services.num_rows == stats["services_total"]
    assert str(s.period_start).replace("-", "") == stats["service_date_range"][0]
    skipped_trips = sum(v for k, v in c.items() if k.startswith("skipped.trips."))
    assert skipped_trips <= 0.01 * stats["trips"]
    if not stats.get("frequencies_rows"):
        assert s.trips.num_rows == stats["trips"] - skipped_trips
    assert all(i.severity == "warning" for i in s.report.issues)
    assert s.stops.column("stop_id").to_pylist()[0].startswith(_name(path) + ":")


def _codes(s: StagedTimetable) -> set[str]:
    return {i.code for i in s.report.issues}


def test_ter_2019_swapped_coordinates_fixed(loaded):
    _, s = loaded["fr-sncf-ter-2019"]
    swapped = [i for i in s.report.issues if i.code == "stops.swapped_coordinates"]
    assert len(swapped) == 2 and all(i.file == "stops.txt" and i.line > 1 for i in swapped)
    lat, lon = s.stops.column("lat").to_numpy(), s.stops.column("lon").to_numpy()
    ok = np.isfinite(lat)
    assert np.all((lat[ok] > 35) & (lat[ok] < 55) & (lon[ok] > -6) & (lon[ok] < 16))


def test_trondheim_encoding_reported_and_decoded(loaded):
    _, s = loaded["no-trondheim-atb"]
    [issue] = [i for i in s.report.issues if i.code == "csv.encoding"]
    assert issue.file == "stops.txt"
    names = " ".join(s.stops.column("name").to_pylist())
    assert "\u00f8" in names and "\ufffd" not in names


def test_berlin_unknown_parent_stations(loaded):
    _, s = loaded["de-berlin-subset"]
    assert s.report.counts["fixed.stops.unknown_parent"] == 211
    [total] = [i for i in s.report.issues if i.code == "stops.unknown_parent_total"]
    assert "121 distinct" in total.message


def test_tampa_out_of_order_rows_counted(loaded):
    _, s = loaded["us-tampa-hart"]
    assert s.report.counts["fixed.stop_times.out_of_order"] == 7
    assert "stop_times.out_of_order" in _codes(s)


def test_via_rail_without_agency_and_long_trips(loaded):
    path, s = loaded["ca-via-rail"]
    assert "agency.missing" in _codes(s)
    assert s.feeds[0].timezone.startswith("America/")
    assert int(s.st_arr.max()) == 110 * 3600 + 29 * 60
    assert s.report.counts["frequencies.trips_generated"] > 0


def test_porto_alegre_interpolated_times(loaded):
    path, s = loaded["br-porto-alegre_poa_eptc"]
    assert s.report.counts["fixed.stop_times.interpolated"] == \
        _stats(path)["stop_times_rows_without_times"] == 125_271
    assert "stop_times.interpolated" in _codes(s)


def test_sao_paulo_frequencies_expanded(loaded):
    _, s = loaded["br-sao-paulo"]
    assert s.report.counts["frequencies.read"] == 704
    assert s.trips.num_rows == s.report.counts["frequencies.trips_generated"] > 5000
    assert all("@" in t for t in s.trips.column("trip_id").to_pylist())


def test_all_feeds_merged(loaded):
    sources = [(_name(p), p) for p in FEEDS]
    s = load_gtfs(sources)
    _check_invariants(s)
    assert [f.name for f in s.feeds] == [n for n, _ in sources]
    assert s.trips.num_rows == sum(x.trips.num_rows for _, x in loaded.values())
    assert len(s.st_arr) == sum(len(x.st_arr) for _, x in loaded.values())
    assert str(s.period_start) == min(str(x.period_start) for _, x in loaded.values())
    feed_of_trip = s.trips.column("feed_idx").to_numpy()
    assert np.array_equal(np.bincount(feed_of_trip, minlength=len(FEEDS)),
                          [loaded[n][1].trips.num_rows for n, _ in sources])


def _plain_stop_times(path: Path) -> dict[str, list[tuple[int, str, str, str]]]:
    """stop_times read with the csv module, per trip sorted by stop_sequence (reference)."""
    import csv
    import io
    import zipfile

    with zipfile.ZipFile(path) as zf:
        member = next(n for n in zf.namelist() if n.endswith("stop_times.txt")
                      and "__MACOSX" not in n)
        text = zf.read(member).decode("utf-8-sig")
    out: dict[str, list[tuple[int, str, str, str]]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        out.setdefault(row["trip_id"].strip(), []).append(
            (int(row["stop_sequence"]), row["stop_id"].strip(), row["arrival_time"].strip(),
             row["departure_time"].strip()))
    return {k: sorted(v) for k, v in out.items()}


def _secs(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


@pytest.mark.parametrize("name", ["us-tampa-hart", "us-caltrain", "br-porto-alegre_poa_trensurb"])
def test_stop_times_match_a_plain_csv_reading(loaded, name):
    path, s = loaded[name]
    ref = _plain_stop_times(path)
    prefix = name + ":"
    stop_ids = s.stops.column("stop_id").to_pylist()
    trip_ids = s.trips.column("trip_id").to_pylist()
    rng = np.random.default_rng(7)
    sample = set(rng.choice(len(trip_ids), size=min(300, len(trip_ids)), replace=False).tolist())
    if prefix + "342424" in trip_ids:           # a Tampa trip split in two blocks of the file
        sample.add(trip_ids.index(prefix + "342424"))
    for t in sorted(sample):
        rows = ref[trip_ids[t].removeprefix(prefix)]
        a, b = s.trip_offsets[t], s.trip_offsets[t + 1]
        assert [prefix + r[1] for r in rows] == [stop_ids[i] for i in s.st_stop_idx[a:b]]
        assert [_secs(r[2]) for r in rows] == s.st_arr[a:b].tolist()
        assert [_secs(r[3]) for r in rows] == s.st_dep[a:b].tolist()
