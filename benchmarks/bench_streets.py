"""Street benchmarks: build from OSM, snapping, point-to-point routes per mode, stops within reach.

Full mode: Heidelberg extract (+ VRN stops). BRIQUE_BENCH_SHORT=1: the São Paulo extract (the
smallest), fewer queries, single rounds. Query sets are seeded (random points a few metres off
random usable street segments, so every point snaps).
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

SHORT = os.environ.get("BRIQUE_BENCH_SHORT") == "1"
OSM = "osm-br-sao-paulo/spo_osm.pbf" if SHORT else "osm-de-heidelberg/heidelberg.test.pbf"
GTFS = "gtfs-br-sao-paulo/spo_gtfs.zip" if SHORT else "gtfs-de-rhein-neckar-vrn/vrn_gtfs_cut.zip"
N_QUERIES = 20 if SHORT else 200
ROUNDS = 1 if SHORT else 3


def _path(rel: str) -> Path:
    from engine.testing.data import shared_data_dir

    path = shared_data_dir() / rel
    if not path.is_file():
        pytest.skip(f"shared data file {rel} absent (set BRIQUE_DATA)")
    return path


def _stops(zip_path: Path) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow.csv as pacsv

    with zipfile.ZipFile(zip_path) as zf:
        table = pacsv.read_csv(io.BytesIO(zf.read("stops.txt")))
    return table["stop_lat"].to_numpy(), table["stop_lon"].to_numpy()


def _build(osm: Path, lat, lon):
    from engine.streets import StreetOptions, build_street_tables
    from engine.timetable.staging import BuildReport

    report = BuildReport()
    tables, footpaths = build_street_tables(osm, report, lat, lon, StreetOptions())
    return tables, footpaths, report


@pytest.fixture(scope="module")
def street_net(tmp_path_factory):
    from engine.bundle.writer import write_bundle
    from engine.streets import StreetNetwork

    lat, lon = _stops(_path(GTFS))
    tables, _, _ = _build(_path(OSM), lat, lon)
    path = write_bundle(tmp_path_factory.mktemp("bench-streets") / "streets.bundle", tables, {})
    return StreetNetwork.open(path)


def random_points(net, mode: str, n: int, seed: int = 0) -> list[tuple[float, float]]:
    """Points up to ~15 m off random segments usable by ``mode``."""
    g = net.graph
    rng = np.random.default_rng(seed)
    usable = np.flatnonzero(g.seg_modes & {"walk": 1, "bike": 2, "car": 4}[mode])
    seg = rng.choice(usable, n)
    t = rng.random(n)
    lat = g.node_lat[g.seg_u[seg]] * (1 - t) + g.node_lat[g.seg_v[seg]] * t + rng.normal(0, 1e-4, n)
    lon = g.node_lon[g.seg_u[seg]] * (1 - t) + g.node_lon[g.seg_v[seg]] * t + rng.normal(0, 1e-4, n)
    return list(zip(lat.tolist(), lon.tolist()))


def _cycle(items):
    state = {"i": 0}

    def next_item():
        item = items[state["i"] % len(items)]
        state["i"] += 1
        return item

    return next_item


def test_build_streets(benchmark):
    osm = _path(OSM)
    lat, lon = _stops(_path(GTFS))
    tables, footpaths, report = benchmark.pedantic(_build, args=(osm, lat, lon), rounds=1, iterations=1)
    benchmark.extra_info.update({k: v for k, v in report.counts.items() if k.startswith("streets.")})
    assert len(footpaths) > 0


@pytest.mark.parametrize("mode", ["walk", "bike", "car"])
def test_route(benchmark, street_net, mode):
    pts = random_points(street_net, mode, 2 * N_QUERIES, seed=1)
    pairs = _cycle([(pts[2 * i], pts[2 * i + 1]) for i in range(N_QUERIES)])

    def one():
        a, b = pairs()
        return street_net.route(a[0], a[1], b[0], b[1], mode)

    route = benchmark.pedantic(one, rounds=N_QUERIES * ROUNDS, iterations=1, warmup_rounds=2)
    benchmark.extra_info.update({"nodes": street_net.graph.n_nodes, "queries": N_QUERIES})
    assert route.duration_s > 0


def test_snap(benchmark, street_net):
    next_point = _cycle(random_points(street_net, "walk", N_QUERIES, seed=2))

    def one():
        lat, lon = next_point()
        return street_net.snap(lat, lon, "walk")

    snap = benchmark.pedantic(one, rounds=N_QUERIES * ROUNDS, iterations=1)
    assert snap.segment >= 0


def test_stops_within_15_min_walk(benchmark, street_net):
    next_point = _cycle(random_points(street_net, "walk", N_QUERIES, seed=3))

    def one():
        lat, lon = next_point()
        return street_net.stops_within(lat, lon, "walk", 900)

    reach = benchmark.pedantic(one, rounds=N_QUERIES * ROUNDS, iterations=1)
    assert reach.stop_idx.dtype == np.int32
