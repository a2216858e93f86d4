"""stops_within (the junction-graph search, engine._streets.ReachIndex) equals the plain bounded
Dijkstra over every node (``StreetNetwork._reach_dijkstra``) exactly, on every real OSM
extract, for walk, bike and car, both directions: same stops, same durations.

Stops: those of the GTFS feeds of the shared data that overlap the extract (>= 10 stops within
300 m of its highway nodes), else 400 random points near its streets. Points: exactly on nodes,
on segments, off the streets, and within 400 m of linked stops. Skipped when the shared data is
absent.
"""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from engine.bundle.writer import write_bundle
from engine.testing.data import shared_data_dir
from engine.errors import InvalidQueryError
from engine.streets import StreetNetwork, StreetOptions, build_street_tables
from engine._streets import INF
from engine.streets.options import MODE_BIT
from engine.streets.snap import snap_location
from engine.timetable.staging import BuildReport

pytestmark = pytest.mark.realdata
DATA = shared_data_dir()
EXTRACTS = sorted(DATA.glob("osm-*/*.pbf")) if DATA.is_dir() else []
POINTS = {"walk": 200, "bike": 200, "car": 60}


def _feed_stops(zip_path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with zipfile.ZipFile(zip_path) as zf:
            table = pacsv.read_csv(io.BytesIO(zf.read("stops.txt")), convert_options=pacsv.ConvertOptions(
                include_columns=["stop_lat", "stop_lon"],
                column_types={"stop_lat": pa.float64(), "stop_lon": pa.float64()}))
    except (KeyError, pa.ArrowInvalid, zipfile.BadZipFile):
        return np.zeros(0), np.zeros(0)
    lat = table["stop_lat"].to_numpy(zero_copy_only=False)
    lon = table["stop_lon"].to_numpy(zero_copy_only=False)
    ok = np.isfinite(lat) & np.isfinite(lon)
    return lat[ok], lon[ok]


def _xyz(lat, lon) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return 6_371_000.0 * np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _stops_for(osm) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Stops of the feeds with >= 10 stops within 300 m of the extract's highway nodes (those
    stops only), else 400 random points up to ~50 m from random highway nodes."""
    from scipy.spatial import cKDTree

    from engine.loaders.osm import load_osm_streets

    streets = load_osm_streets(osm, lambda tags: (1.0,))
    ok = np.isfinite(streets.node_lat) & np.isfinite(streets.node_lon)
    node_lat, node_lon = streets.node_lat[ok], streets.node_lon[ok]
    tree = cKDTree(_xyz(node_lat, node_lon))
    lat, lon, used = [], [], []
    for feed in sorted(DATA.glob("gtfs-*/*.zip")):
        f_lat, f_lon = _feed_stops(feed)
        if len(f_lat) == 0:
            continue
        near = np.isfinite(tree.query(_xyz(f_lat, f_lon), distance_upper_bound=300.0)[0])
        if near.sum() >= 10:
            lat.append(f_lat[near])
            lon.append(f_lon[near])
            used.append(feed.parent.name)
    if lat:
        return np.concatenate(lat), np.concatenate(lon), used
    rng = np.random.default_rng(11)
    pick = rng.choice(len(node_lat), 400)
    return (node_lat[pick] + rng.normal(0, 3e-4, 400), node_lon[pick] + rng.normal(0, 3e-4, 400),
            ["random"])


@pytest.fixture(scope="module", params=EXTRACTS or [None], ids=lambda p: p.parent.name if p else "none")
def network(request, tmp_path_factory):
    if request.param is None:
        pytest.skip(f"no OSM extracts under {DATA} (set BRIQUE_DATA)")
    osm = request.param
    lat, lon, feeds = _stops_for(osm)
    tables, _ = build_street_tables(osm, BuildReport(), lat, lon, StreetOptions())
    path = write_bundle(tmp_path_factory.mktemp("reach") / "b", tables, {})
    return StreetNetwork.open(path), feeds


def _points(net, mode: str, n: int, rng) -> list[tuple[float, float]]:
    """n / 4 each: on nodes of the mode, on its segments, off the streets, near linked stops."""
    g = net.graph
    q = max(n // 4, 1)
    mg = g.modes[mode]
    nodes = np.flatnonzero(np.diff(mg.edges(False)[0]) > 0)
    segs = np.flatnonzero(g.seg_modes & MODE_BIT[mode])
    if len(nodes) == 0:
        return []
    pts = [(float(g.node_lat[v]), float(g.node_lon[v])) for v in rng.choice(nodes, q)]
    for spread in (2e-6, 1.5e-3):       # on (a few cm) and off (~100 m) the streets
        for s in rng.choice(segs, q):
            t = rng.random()
            lat = g.node_lat[g.seg_u[s]] * (1 - t) + g.node_lat[g.seg_v[s]] * t + rng.normal(0, spread)
            lon = g.node_lon[g.seg_u[s]] * (1 - t) + g.node_lon[g.seg_v[s]] * t + rng.normal(0, spread)
            pts.append((float(lat), float(lon)))
    linked = np.flatnonzero(g.stop_links[mode][0] >= 0) if g.n_stops else np.zeros(0, int)
    for s in rng.choice(linked, q) if len(linked) else []:
        bearing, dist = rng.uniform(0, 2 * np.pi), 400.0 * np.sqrt(rng.uniform())
        lat = g.stop_lat[s] + dist * np.cos(bearing) / 111_320.0
        lon = g.stop_lon[s] + dist * np.sin(bearing) / (111_320.0 * np.cos(np.radians(g.stop_lat[s])))
        pts.append((float(lat), float(lon)))
    return pts


@pytest.mark.parametrize("mode", ["walk", "bike", "car"])
def test_stops_within_equals_plain_dijkstra(network, mode):
    net, feeds = network
    g = net.graph
    rng = np.random.default_rng({"walk": 1, "bike": 2, "car": 3}[mode])
    checked = queries = 0
    for i, (lat, lon) in enumerate(_points(net, mode, POINTS[mode], rng)):
        try:
            snap = net.snap(lat, lon, mode)
        except InvalidQueryError:
            with pytest.raises(InvalidQueryError):
                net.stops_within(lat, lon, mode, 900)
            continue
        assert snap_location(g, lat, lon, mode) == (snap.segment, snap.t, snap.conn_ms)
        loc = net._loc(snap)
        for limit in (900, 300, 1800) if i % 5 == 0 else (900,):
            for reverse in (False, True):
                got = net.stops_within(lat, lon, mode, limit, reverse=reverse)
                ref = net._reach_dijkstra(loc, mode, limit, reverse)
                assert got.stop_idx.tolist() == ref.stop_idx.tolist(), (mode, lat, lon, limit, reverse)
                assert got.duration_s.tolist() == ref.duration_s.tolist(), (mode, lat, lon, limit, reverse)
                checked += len(ref.stop_idx)
                queries += 1
    ws = g.workspace()
    assert (ws.dist == INF).all() and (ws.stop_best == INF).all()
    if g.stop_links and (g.stop_links[mode][0] >= 0).sum() >= 10 and queries:
        assert queries >= POINTS[mode] // 2 and checked >= queries, (feeds, queries, checked)
