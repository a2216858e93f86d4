"""Build time: the largest feed (Strasbourg CTS; Caltrain in short mode) and all feeds merged."""
from __future__ import annotations

import shutil

from tests.reference.feeds import bench_short, bundle_mb, feed_name, sources_for

SHORT = bench_short()


def _build(out, sources):
    import engine

    if out.exists():
        shutil.rmtree(out)
    return engine.build(str(out), gtfs=[(n, str(p)) for n, p in sources])


def test_build_largest_feed(benchmark, main_feed_path, tmp_path):
    out = tmp_path / "main.bundle"
    sources = sources_for([main_feed_path])
    benchmark.pedantic(_build, args=(out, sources), rounds=1 if SHORT else 3, iterations=1)
    benchmark.extra_info.update(feed=feed_name(main_feed_path), bundle_mb=round(bundle_mb(out), 2),
                                input_mb=round(main_feed_path.stat().st_size / 1e6, 2))


def test_build_all_feeds_merged(benchmark, merged_sources, tmp_path):
    if SHORT:
        import pytest

        pytest.skip("all-feeds build is skipped in short mode")
    out = tmp_path / "all.bundle"
    benchmark.pedantic(_build, args=(out, merged_sources), rounds=1, iterations=1)
    benchmark.extra_info.update(feeds=len(merged_sources), bundle_mb=round(bundle_mb(out), 2),
                                input_mb=round(sum(p.stat().st_size for _, p in merged_sources) / 1e6, 2))
