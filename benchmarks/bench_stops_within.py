"""stops_within: the chain-contracted search (what queries use) against the plain bounded Dijkstra
over every node (``StreetNetwork._reach_dijkstra``, the previous implementation and the tests'
reference), in the same run.

Heidelberg (ORS extract + VRN cut stops) and Porto Alegre (r5r extract + EPTC and Trensurb stops);
São Paulo only, with 20 points, in short mode (BRIQUE_BENCH_SHORT=1). Points: seeded, up to ~400 m
from random linked stops (as bench_door_to_door's), kept when they snap for the mode. Each round
is one call, snapping included (the old path: snap -> _Loc -> run_to_stops). Run with
``--benchmark-group-by=param:city,param:mode,param:reverse`` to see the pairs side by side.
"""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from tests.reference.feeds import bench_short

SHORT = bench_short()
N_POINTS = 20 if SHORT else 1000
OFFSET_M = 400.0
CITIES = {
    "heidelberg": ("osm-de-heidelberg/heidelberg.test.pbf", ("gtfs-de-rhein-neckar-vrn/vrn_gtfs_cut.zip",)),
    "porto_alegre": ("osm-br-porto-alegre/poa_osm.pbf",
                     ("gtfs-br-porto-alegre/poa_eptc.zip", "gtfs-br-porto-alegre/poa_trensurb.zip")),
    "sao_paulo": ("osm-br-sao-paulo/spo_osm.pbf", ("gtfs-br-sao-paulo/spo_gtfs.zip",)),
}
RUN = ["sao_paulo"] if SHORT else ["heidelberg", "porto_alegre"]


def _path(rel: str):
    from engine.testing.data import shared_data_dir

    path = shared_data_dir() / rel
    if not path.is_file():
        pytest.skip(f"shared data file {rel} absent (set BRIQUE_DATA)")
    return path


def _stops(paths) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow.csv as pacsv

    lat, lon = [], []
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            table = pacsv.read_csv(io.BytesIO(zf.read("stops.txt")))
        lat.append(table["stop_lat"].to_numpy())
        lon.append(table["stop_lon"].to_numpy())
    return np.concatenate(lat), np.concatenate(lon)


@pytest.fixture(scope="module", params=RUN)
def city_net(request, tmp_path_factory):
    from engine.bundle.writer import write_bundle
    from engine.streets import StreetNetwork, StreetOptions, build_street_tables
    from engine.timetable.staging import BuildReport

    osm, feeds = CITIES[request.param]
    lat, lon = _stops([_path(f) for f in feeds])
    tables, _ = build_street_tables(_path(osm), BuildReport(), lat, lon, StreetOptions())
    path = write_bundle(tmp_path_factory.mktemp("bench-reach") / "streets.bundle", tables, {})
    return request.param, StreetNetwork.open(path)


def _points(net, mode: str, n: int, seed: int = 2028) -> list[tuple[float, float]]:
    from engine.errors import InvalidQueryError

    g = net.graph
    linked = np.flatnonzero(g.stop_links[mode][0] >= 0)
    rng = np.random.default_rng(seed)
    points: list[tuple[float, float]] = []
    while len(points) < n:
        s = rng.choice(linked)
        bearing, dist = rng.uniform(0.0, 2.0 * np.pi), OFFSET_M * np.sqrt(rng.uniform())
        lat = float(g.stop_lat[s] + dist * np.cos(bearing) / 111_320.0)
        lon = float(g.stop_lon[s] + dist * np.sin(bearing) / (111_320.0 * np.cos(np.radians(g.stop_lat[s]))))
        try:
            net.snap(lat, lon, mode)
        except InvalidQueryError:
            continue
        points.append((lat, lon))
    return points


def _percentiles(values_s) -> dict[str, float]:
    us = np.asarray(values_s) * 1e6
    return {"median_us": round(float(np.median(us)), 2), "p99_us": round(float(np.percentile(us, 99)), 2)}


@pytest.mark.parametrize("impl", ["chain", "dijkstra"])
@pytest.mark.parametrize("reverse", [False, True], ids=["access", "egress"])
@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_stops_within_900s(benchmark, city_net, mode, reverse, impl):
    city, net = city_net
    points = _points(net, mode, N_POINTS)
    stream = iter(points)
    if impl == "chain":
        def one(lat, lon):
            return net.stops_within(lat, lon, mode, 900, reverse=reverse)
    else:
        def one(lat, lon):
            return net._reach_dijkstra(net._loc(net.snap(lat, lon, mode)), mode, 900, reverse)

    found = []
    benchmark.pedantic(lambda p: found.append(len(one(*p).stop_idx)), setup=lambda: ((next(stream),), {}),
                       rounds=len(points), iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(_percentiles(benchmark.stats.stats.data))
    benchmark.extra_info.update(city=city, points=len(points), mean_stops=round(float(np.mean(found)), 1))
