"""Benchmark fixtures: bundles built from shared data into a cache dir, seeded query sets.

BRIQUE_BENCH_SHORT=1 (CI) uses a small feed, few queries and single rounds. Bundles are cached in
$BRIQUE_BENCH_CACHE (default /tmp/brique-bench-cache), keyed by the inputs and the engine's
source files, so an engine change rebuilds them.
"""
from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from tests.reference.feeds import (LARGEST_FEED, bench_short, cached_bundle,  # noqa: E402
                                   feed_name, gtfs_feeds, sources_for)

SHORT = bench_short()
SMALL_FEED = "gtfs-us-caltrain/caltrain.zip"


def _data_path(rel: str) -> Path:
    from engine.testing.data import shared_data_dir

    path = shared_data_dir() / rel
    if not path.is_file():
        pytest.skip(f"shared data file {rel} absent (set BRIQUE_DATA)")
    return path


@pytest.fixture(scope="session")
def main_feed_path() -> Path:
    """Strasbourg CTS (the largest feed), or Caltrain in short mode."""
    return _data_path(SMALL_FEED if SHORT else LARGEST_FEED)


@pytest.fixture(scope="session")
def main_bundle(main_feed_path) -> Path:
    return cached_bundle(sources_for([main_feed_path]), feed_name(main_feed_path))


@pytest.fixture(scope="session")
def merged_sources() -> list[tuple[str, Path]]:
    feeds = gtfs_feeds()
    if not feeds:
        pytest.skip("no GTFS feeds: shared data folder absent (set BRIQUE_DATA)")
    return sources_for(feeds)


@pytest.fixture(scope="session")
def merged_bundle(merged_sources) -> Path:
    if SHORT:
        pytest.skip("all-feeds bundle is not built in short mode")
    return cached_bundle(merged_sources, "all-feeds")


@pytest.fixture(autouse=True)
def _no_gc_noise():
    """Collect before each benchmark, so that the cyclic GC does not land inside one timed
    query more than another."""
    import gc

    gc.collect()
    yield


def pytest_collect_file(file_path, parent):
    """Collect ``bench_*.py`` when the benchmarks folder is given (explicit files already are)."""
    already = any(fnmatch.fnmatch(file_path.name, pattern) for pattern in parent.config.getini("python_files"))
    if (file_path.suffix == ".py" and file_path.name.startswith("bench_") and not already
            and not parent.session.isinitpath(file_path)):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def server_bundle(tmp_path_factory) -> Path:
    """Heidelberg (VRN GTFS cut + Heidelberg OSM + BAN Paris addresses), or the sample city in
    short mode: a bundle with every component, for the server and start-up benchmarks."""
    import engine

    if SHORT:
        from engine.sample import write_sample

        out = tmp_path_factory.mktemp("bench-server")
        paths = write_sample(out / "sample")
        return Path(engine.build(out / "sample.bundle", [paths.gtfs], osm=paths.osm,
                                 addresses=[paths.addresses]).path)
    from engine.testing.data import shared_data_dir

    data = shared_data_dir()
    gtfs = data / "gtfs-de-rhein-neckar-vrn/vrn_gtfs_cut.zip"
    osm = data / "osm-de-heidelberg/heidelberg.test.pbf"
    addresses = data / "addr-fr-ban-75-paris/adresses-75.csv.gz"
    if not all(p.is_file() for p in (gtfs, osm, addresses)):
        pytest.skip("shared data (VRN GTFS, Heidelberg OSM, Paris BAN) absent: set BRIQUE_DATA")
    return cached_bundle([(feed_name(gtfs), gtfs)], "server-heidelberg", osm=osm, addresses=[addresses])
