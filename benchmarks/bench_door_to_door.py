"""Door-to-door speed: building a bundle with OSM streets, and coordinate-to-coordinate ``plan()``
(street access and egress, RAPTOR, direct walk) on Heidelberg (VRN cut + ORS extract) and Porto
Alegre (EPTC + Trensurb + r5r extract); São Paulo only, with 20 queries, in short mode
(BRIQUE_BENCH_SHORT=1).

Why: bench_raptor times stop-to-stop plans and bench_streets times street searches alone; a
request from a map click pays for both plus the composition (two reach searches, the direct walk,
leg geometry), which is what a user waits for.

Queries are seeded points up to ~400 m from random served platform stops inside the extract's node
area, on dates when every feed of the bundle runs, 06:00-21:00, walk access/egress <= 900 s,
max_transfers=4. An untimed pre-pass plans each pair once and drops pairs whose points do not snap
(InvalidQueryError); it also fills the per-date caches, so the timed rounds (one plan() each) are a
warm server's. Bundles are cached in $BRIQUE_BENCH_CACHE keyed by the inputs and the engine's
sources (tests.reference.feeds.cached_bundle).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.reference.feeds import (bench_short, bundle_active_dates, bundle_mb, cached_bundle, feed_name,
                                   hhmmss, percentiles)

SHORT = bench_short()
N_QUERIES = 20 if SHORT else 1000
OFFSET_M = 400.0
MAX_ACCESS_S = 900
MAX_TRANSFERS = 4

# city -> (GTFS files, OSM file), relative to the shared data folder
ALL_CITIES = {
    "heidelberg": (("gtfs-de-rhein-neckar-vrn/vrn_gtfs_cut.zip",), "osm-de-heidelberg/heidelberg.test.pbf"),
    "porto_alegre": (("gtfs-br-porto-alegre/poa_eptc.zip", "gtfs-br-porto-alegre/poa_trensurb.zip"),
                     "osm-br-porto-alegre/poa_osm.pbf"),
    "sao_paulo": (("gtfs-br-sao-paulo/spo_gtfs.zip",), "osm-br-sao-paulo/spo_osm.pbf"),
}
CITIES = ["sao_paulo"] if SHORT else ["heidelberg", "porto_alegre"]


def _inputs(city: str) -> tuple[list[tuple[str, Path]], Path]:
    """(GTFS sources, OSM path) of a city; skips when the shared data is absent."""
    from engine.testing.data import shared_data_dir

    root = shared_data_dir()
    gtfs, osm = ALL_CITIES[city]
    missing = [rel for rel in (*gtfs, osm) if not (root / rel).is_file()]
    if missing:
        pytest.skip(f"shared data absent ({', '.join(missing)}; set BRIQUE_DATA)")
    return [(feed_name(root / rel), root / rel) for rel in gtfs], root / osm


def _build(out: Path, sources: list[tuple[str, Path]], osm: Path):
    import engine

    if out.exists():
        shutil.rmtree(out)
    return engine.build(str(out), gtfs=[(n, str(p)) for n, p in sources], osm=str(osm))


def osm_bundle(city: str) -> Path:
    """The cached GTFS + OSM bundle of ``city``, built once if absent."""
    sources, osm = _inputs(city)
    return cached_bundle(sources, f"d2d-{city}", osm=osm)


# ---------------------------------------------------------------------------- queries
def _offset(rng: np.random.Generator, lat: float, lon: float) -> tuple[float, float]:
    bearing, dist = rng.uniform(0.0, 2.0 * np.pi), OFFSET_M * np.sqrt(rng.uniform())
    return (float(lat + dist * np.cos(bearing) / 111_320.0),
            float(lon + dist * np.sin(bearing) / (111_320.0 * np.cos(np.radians(lat)))))


def point_queries(net, bundle: Path, n: int, seed: int) -> tuple[list[tuple], int]:
    """``n`` seeded (origin, destination, date, time) whose points snap, and how many were dropped."""
    from engine.errors import InvalidQueryError

    tt, g = net.timetable, net.streets.graph
    lat, lon = np.asarray(tt.stop_lat), np.asarray(tt.stop_lon)
    served = np.diff(np.asarray(tt.stop_patterns_offsets)) > 0
    with np.errstate(invalid="ignore"):
        inside = ((lat >= g.node_lat.min()) & (lat <= g.node_lat.max())
                  & (lon >= g.node_lon.min()) & (lon <= g.node_lon.max()))
    stops = np.flatnonzero((np.asarray(tt.stop_location_type) == 0) & served & inside)
    per_feed = [set(d) for d in bundle_active_dates(bundle).values()]
    dates = sorted(set.intersection(*per_feed) or set.union(*per_feed))
    rng = np.random.default_rng(seed)
    queries, dropped = [], 0
    while len(queries) < n and dropped < 2 * n:
        a, b = rng.choice(stops, size=2, replace=False)
        query = (_offset(rng, lat[a], lon[a]), _offset(rng, lat[b], lon[b]),
                 dates[int(rng.integers(len(dates)))].isoformat(), hhmmss(int(rng.integers(6 * 3600, 21 * 3600))))
        try:
            _plan(net, query)
        except InvalidQueryError:
            dropped += 1
            continue
        queries.append(query)
    return queries, dropped


def _plan(net, query):
    origin, destination, date, time = query
    return net.plan(origin, destination, date=date, time=time, max_transfers=MAX_TRANSFERS,
                    max_access_s=MAX_ACCESS_S)


# ---------------------------------------------------------------------------- benchmarks
@pytest.mark.parametrize("city", CITIES)
def test_build_with_osm(benchmark, city, tmp_path):
    """One engine.build of the city's GTFS feeds + OSM extract into a fresh directory."""
    sources, osm = _inputs(city)
    out = tmp_path / f"{city}.bundle"
    results = []
    benchmark.pedantic(lambda: results.append(_build(out, sources, osm)), rounds=1, iterations=1)
    counts = results[-1].manifest["report"]["counts"]
    benchmark.extra_info.update(
        city=city, bundle_mb=round(bundle_mb(out), 2),
        input_mb=round(sum(p.stat().st_size for _, p in [*sources, ("osm", osm)]) / 1e6, 2),
        **{key.removeprefix("streets."): counts.get(key, 0) for key in (
            "streets.nodes", "streets.segments", "streets.walk.segments", "streets.stops_linked",
            "streets.stops_unlinked", "streets.footpaths")},
        timings_s={k: round(v, 3) for k, v in results[-1].timings_s.items()})


@pytest.mark.parametrize("city", CITIES)
def test_plan_door_to_door(benchmark, city):
    """Coordinate-to-coordinate plan(), one query per round (1,000; 20 in short mode)."""
    import engine

    bundle = osm_bundle(city)
    net = engine.open(str(bundle))
    queries, dropped = point_queries(net, bundle, N_QUERIES, seed=2028)
    stream = iter(queries)
    transit = []

    def setup():
        return (next(stream),), {}

    def one(query):
        plan = _plan(net, query)
        transit.append(any(it.n_vehicles > 0 for it in plan.itineraries))

    benchmark.pedantic(one, setup=setup, rounds=len(queries), iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(percentiles(benchmark.stats.stats.data))
    benchmark.extra_info.update(city=city, queries=len(queries), dropped_not_snapping=dropped,
                                transit_share=round(sum(transit) / len(transit), 3),
                                n_stops=int(net.timetable.n_stops))

