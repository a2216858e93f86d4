"""Isochrones and street-level reach (engine.accessibility) on Heidelberg (VRN GTFS cut +
Heidelberg OSM: 168k street nodes); the Briqueville sample in short mode (BRIQUE_BENCH_SHORT=1).

Why: an isochrone from a map click is street-level travel times to every node (access walk,
RAPTOR, the walk on from every stop reached), a raster of the grid rule and four contours;
the issue's target is a p50 of at most 100 ms for 4 cutoffs at street level on Heidelberg.

Queries: seeded points up to ~400 m from served platform stops inside the street area, on dates
when the feed runs, 07:00-19:00; cutoffs 15/30/45/60 min, walking (and cycling) with transit,
max_transfers=4. An untimed pre-pass drops points that do not snap (InvalidQueryError) and maps
the tables, so the timed rounds (one isochrone each) are a warm server's. Timings per phase are
in extra_info: ``street_kernel_ms`` is engine._isochrone.run_node_times alone (the origin's walk
up to 60 min, one multi-source search over the junctions plus the chain sweeps).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from tests.reference.feeds import bench_short, bundle_active_dates, cached_bundle, feed_name, hhmmss, percentiles

SHORT = bench_short()
N_QUERIES = 10 if SHORT else 200
N_WINDOW = 3 if SHORT else 20
CUTOFFS = (900, 1800, 2700, 3600)
OFFSET_M = 400.0
GTFS = "gtfs-de-rhein-neckar-vrn/vrn_gtfs_cut.zip"
OSM = "osm-de-heidelberg/heidelberg.test.pbf"


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> tuple[object, Path, str]:
    """(open network, bundle path, name): Heidelberg, or the sample city in short mode."""
    import engine

    if SHORT:
        from engine.sample import write_sample

        out = tmp_path_factory.mktemp("bench-iso")
        paths = write_sample(out / "sample")
        bundle = Path(engine.build(out / "sample.bundle", [paths.gtfs], osm=paths.osm).path)
        return engine.open(bundle), bundle, "briqueville"
    from engine.testing.data import shared_data_dir

    root = shared_data_dir()
    gtfs, osm = root / GTFS, root / OSM
    if not (gtfs.is_file() and osm.is_file()):
        pytest.skip(f"shared data absent ({GTFS}, {OSM}; set BRIQUE_DATA)")
    bundle = cached_bundle([(feed_name(gtfs), gtfs)], "d2d-heidelberg", osm=osm)   # bench_door_to_door's
    return engine.open(bundle), bundle, "heidelberg"


def _queries(net, bundle: Path, n: int, seed: int) -> list[tuple[tuple[float, float], str, str]]:
    """``n`` seeded (point, date, time) whose point snaps onto the walk streets."""
    from engine.accessibility import isochrone
    from engine.errors import InvalidQueryError

    tt, g = net.timetable, net.streets.graph
    lat, lon = np.asarray(tt.stop_lat), np.asarray(tt.stop_lon)
    served = np.diff(np.asarray(tt.stop_patterns_offsets)) > 0
    with np.errstate(invalid="ignore"):
        inside = ((lat >= g.node_lat.min()) & (lat <= g.node_lat.max())
                  & (lon >= g.node_lon.min()) & (lon <= g.node_lon.max()))
    stops = np.flatnonzero((np.asarray(tt.stop_location_type) == 0) & served & inside)
    dates = sorted(set().union(*[set(d) for d in bundle_active_dates(bundle).values()]))
    rng = np.random.default_rng(seed)
    out, tries = [], 0
    while len(out) < n and tries < 4 * n:
        tries += 1
        s = int(rng.choice(stops))
        bearing, dist = rng.uniform(0, 2 * np.pi), OFFSET_M * np.sqrt(rng.uniform())
        point = (float(lat[s] + dist * np.cos(bearing) / 111_320.0),
                 float(lon[s] + dist * np.sin(bearing) / (111_320.0 * np.cos(np.radians(lat[s])))))
        query = (point, dates[int(rng.integers(len(dates)))].isoformat(),
                 hhmmss(int(rng.integers(7 * 3600, 19 * 3600))))
        try:
            isochrone(net, query[0], date=query[1], time=query[2], cutoffs_s=(600,))
        except InvalidQueryError:
            continue
        out.append(query)
    return out


def _run(benchmark, net, queries, **kwargs) -> list[dict]:
    from engine.accessibility import isochrone

    stream = iter(queries)
    answers: list[dict] = []

    def setup():
        return (next(stream),), {}

    def one(query):
        point, date, time_ = query
        answers.append(isochrone(net, point, date=date, time=time_, cutoffs_s=CUTOFFS, **kwargs))

    benchmark.pedantic(one, setup=setup, rounds=len(queries), iterations=1, warmup_rounds=0)
    return answers


def _describe(benchmark, name: str, queries, answers) -> None:
    benchmark.extra_info.update(percentiles(benchmark.stats.stats.data))
    areas = np.array([[f["properties"]["area_km2"] for f in a["features"]] for a in answers])
    benchmark.extra_info.update(
        city=name, queries=len(queries), cutoffs_s=list(CUTOFFS),
        median_area_km2=[round(float(v), 2) for v in np.median(areas, axis=0)],
        median_cell_m=round(float(np.median([a["properties"]["cell_m"] for a in answers])), 1),
        median_geojson_kb=round(float(np.median([len(json.dumps(a)) for a in answers])) / 1e3, 1))


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_isochrone(benchmark, city, mode):
    """isochrone(): 4 cutoffs, street level, with transit, one departure (200 points; 10 short)."""
    net, bundle, name = city
    queries = _queries(net, bundle, N_QUERIES, seed=2031)
    answers = _run(benchmark, net, queries, mode=mode)
    _describe(benchmark, name, queries, answers)
    benchmark.extra_info.update(mode=mode, phases_ms=_phases(net, queries[: min(20, len(queries))], mode))


def test_isochrone_window(benchmark, city):
    """isochrone() over a 60-minute window, p50 of the minutes (one RAPTOR + street run a minute)."""
    net, bundle, name = city
    queries = _queries(net, bundle, N_WINDOW, seed=2032)
    answers = _run(benchmark, net, queries, window_s=3600, percentile=50)
    _describe(benchmark, name, queries, answers)
    benchmark.extra_info.update(window_s=3600, percentile=50)


def _phases(net, queries, mode: str) -> dict[str, float]:
    """Median ms of each phase, timed apart on the same queries (not part of the timed rounds)."""
    from engine import _isochrone
    from engine.accessibility.graph import views
    from engine.accessibility.isochrone import _Grid
    from engine.accessibility.request import check_request
    from engine.accessibility.streets import node_times, origin_sources

    v = views(net.streets.graph)
    view, ws = v.mode(mode), v.workspace(mode)
    out = np.empty(net.streets.graph.n_nodes, dtype=np.int64)
    phases: dict[str, list[float]] = {"street_kernel_ms": [], "node_times_ms": [], "raster_ms": [],
                                      "contours_ms": []}
    for point, date, time_ in queries:
        req = check_request(net, point, date=date, time=time_, mode=mode, max_time_s=CUTOFFS[-1],
                            window_s=0, percentile=50, transit=None, max_transfers=4, min_change_time=60,
                            max_access_s=900)
        seg, t, ms = origin_sources(net, req, view)
        t0 = time.perf_counter()
        _isochrone.run_node_times(view.iso, ws, seg, t, ms, CUTOFFS[-1] * 1000, out)
        t1 = time.perf_counter()
        times = node_times(net, req, limit_s=CUTOFFS[-1] + 120)
        t2 = time.perf_counter()
        grid = _Grid(net.streets.graph, times.node_s, mode, view.speed_mps, CUTOFFS[-1], None, 100.0)
        t3 = time.perf_counter()
        for c in CUTOFFS:
            grid.geometry(c)
        t4 = time.perf_counter()
        for key, a, b in (("street_kernel_ms", t0, t1), ("node_times_ms", t1, t2), ("raster_ms", t2, t3),
                          ("contours_ms", t3, t4)):
            phases[key].append((b - a) * 1e3)
    return {key: round(float(np.median(values)), 2) for key, values in phases.items()}
