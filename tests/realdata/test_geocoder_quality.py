"""Recall on real data (BAN Paris, OSM Helsinki) with asserted thresholds; a few thousand queries.

The query set is generated from the indexed data itself with a fixed seed
(engine.testing.geocoder_quality): exact labels, folded, one typo, abbreviations, autocomplete
prefixes (>= 60 % of the label), street only, with postcode or city, reverse with 2-5 m noise.
"""
import pytest

from engine.bundle.reader import open_bundle
from engine.bundle.writer import write_bundle
from engine.testing.data import shared_data_dir
from engine.geocoder import Geocoder, build_geocoder_tables
from engine.testing.geocoder_quality import evaluate, make_queries, place_dicts
from engine.timetable.staging import BuildReport

pytestmark = pytest.mark.realdata
BAN = shared_data_dir() / "addr-fr-ban-75-paris" / "adresses-75.csv.gz"
HELSINKI = shared_data_dir() / "osm-fi-helsinki-central" / "Helsinki.osm.pbf"


def _stats(tmp_path, addresses, osm, n):
    report = BuildReport()
    tables = build_geocoder_tables(addresses, osm, None, report)
    g = Geocoder.open(open_bundle(write_bundle(tmp_path / "g.bundle", tables, {})))
    queries = make_queries(g, n, seed=1)
    return g, report, evaluate(
        queries, lambda q, a, k: place_dicts(g.search(q, limit=k, autocomplete=a)),
        lambda lat, lon: place_dicts(g.reverse(lat, lon, types=["address"])))


@pytest.mark.skipif(not BAN.exists(), reason=f"{BAN} not present (shared data absent)")
def test_ban_paris_recall(tmp_path):
    g, report, s = _stats(tmp_path, [BAN], [], 400)
    assert report.counts["addresses.kept"] == 158_048
    assert s["exact"]["recall@1"] >= 0.99
    assert s["folded"]["recall@1"] >= 0.99
    assert s["typo"]["recall@1"] >= 0.95
    assert s["abbrev"]["recall@1"] >= 0.97
    assert s["prefix"]["recall@5"] >= 0.95
    assert s["street"]["recall@1"] >= 0.97
    assert s["postcode"]["recall@1"] >= 0.98 and s["city"]["recall@1"] >= 0.98
    assert s["reverse"]["recall@5"] >= 0.85      # 2-5 m of noise: a neighbour can be nearer
    # index size: well under 100 bytes per address
    size = sum(f.stat().st_size for f in (tmp_path / "g.bundle").rglob("*.arrow"))
    assert size / 158_048 < 100


@pytest.mark.skipif(not HELSINKI.exists(), reason=f"{HELSINKI} not present (shared data absent)")
def test_osm_helsinki_recall(tmp_path):
    g, report, s = _stats(tmp_path, [], [HELSINKI], 300)
    assert report.counts["osm_places.addresses"] > 1000
    assert s["exact"]["recall@5"] >= 0.97 and s["exact"]["recall@1"] >= 0.95
    assert s["typo"]["recall@5"] >= 0.95
    assert s["prefix"]["recall@5"] >= 0.95
    assert g.search("rautatieasema", limit=5)          # the railway station (POI) is findable


CTS = shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"


@pytest.mark.skipif(not CTS.exists(), reason=f"{CTS} not present (shared data absent)")
def test_strasbourg_stops_gare_centr(tmp_path):
    """'gare centr' finds the Gare Centrale stop once (its 8 same-name platforms collapse)."""
    import io
    import zipfile

    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with zipfile.ZipFile(CTS) as zf:
        raw = pacsv.read_csv(io.BytesIO(zf.read("stops.txt")),
                             convert_options=pacsv.ConvertOptions(column_types={"stop_id": pa.string()}))
    n = raw.num_rows
    stops = pa.table({"stop_id": raw["stop_id"], "name": raw["stop_name"], "lat": raw["stop_lat"],
                      "lon": raw["stop_lon"], "location_type": pa.array(np.zeros(n, np.int8)),
                      "parent_idx": pa.array(np.full(n, -1, np.int32))})
    report = BuildReport()
    tables = build_geocoder_tables([], [], stops, report)
    g = Geocoder.open(open_bundle(write_bundle(tmp_path / "s.bundle", tables, {})))
    res = g.search("gare centr", autocomplete=True, limit=5)
    assert res[0].label == "Gare Centrale" and res[0].type == "stop"
    assert [p.label for p in res].count("Gare Centrale") == 1
    assert report.counts["geocoder.stops_merged"] > 100
    near = g.reverse(48.5850, 7.7351, types="stop")[0]
    assert near.label == "Gare Centrale" and near.distance_m < 30
