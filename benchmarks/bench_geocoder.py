"""Geocoder benchmarks: build, open, full queries, typos, autocomplete by prefix length, reverse.

Full mode: BAN Paris (158k addresses). BRIQUE_BENCH_SHORT=1: the Helsinki OSM extract and few
rounds. Each query benchmark cycles through a fixed-seed query set generated from the data
(engine.testing.geocoder_quality), so one round = one query; the per-kind recall of that same set is
stored in ``benchmark.extra_info``.
"""
from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.bundle.reader import open_bundle  # noqa: E402
from engine.bundle.writer import write_bundle  # noqa: E402
from engine.testing.data import shared_data_dir  # noqa: E402
from engine.geocoder import Geocoder, build_geocoder_tables  # noqa: E402
from engine.testing.geocoder_quality import make_queries  # noqa: E402
from engine.timetable.staging import BuildReport  # noqa: E402

SHORT = os.environ.get("BRIQUE_BENCH_SHORT") == "1"
BAN = "addr-fr-ban-75-paris/adresses-75.csv.gz"
HELSINKI = "osm-fi-helsinki-central/Helsinki.osm.pbf"
ROUNDS = 50 if SHORT else 2000


def _inputs():
    rel = HELSINKI if SHORT else BAN
    path = shared_data_dir() / rel
    if not path.is_file():
        pytest.skip(f"shared data file {rel} absent (set BRIQUE_DATA)")
    return ([], [path]) if SHORT else ([path], [])


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    addresses, osm = _inputs()
    tables = build_geocoder_tables(addresses, osm, None, BuildReport())
    return write_bundle(tmp_path_factory.mktemp("geo") / "g.bundle", tables, {})


@pytest.fixture(scope="module")
def geocoder(bundle_path):
    return Geocoder.open(open_bundle(bundle_path))


@pytest.fixture(scope="module")
def queries(geocoder):
    qs = make_queries(geocoder, 300 if SHORT else 2000, seed=0)
    by_kind: dict[str, list[dict]] = {}
    for q in qs:
        by_kind.setdefault(q["kind"], []).append(q)
    return by_kind


def test_build(benchmark):
    addresses, osm = _inputs()
    benchmark.pedantic(build_geocoder_tables, args=(addresses, osm, None, BuildReport()), rounds=1, iterations=1)


def test_open(benchmark, bundle_path):
    benchmark.pedantic(lambda: Geocoder.open(open_bundle(bundle_path), warmup=False), rounds=5, iterations=1)


@pytest.mark.parametrize("kind", ["exact", "folded", "typo", "abbrev", "street", "postcode"])
def test_search(benchmark, geocoder, queries, kind):
    if kind not in queries:
        pytest.skip(f"no {kind} queries in this data set")
    cycle = itertools.cycle(queries[kind])
    hits = []

    def one():
        q = next(cycle)
        res = geocoder.search(q["q"], limit=5)
        hits.append(bool(res) and (res[0].id == q["expect_id"] or res[0].label == q["expect_label"]
                                   or q["expect_name"] == res[0].name))
    benchmark.pedantic(one, rounds=ROUNDS, iterations=1, warmup_rounds=10)
    benchmark.extra_info["recall@1"] = sum(hits) / len(hits)


@pytest.mark.parametrize("chars", [3, 6, 10, 15, 25])
def test_autocomplete_by_prefix_length(benchmark, geocoder, queries, chars):
    labels = [q["expect_label"] for q in queries["exact"]]
    cycle = itertools.cycle([lab[:chars] for lab in labels])
    benchmark.pedantic(lambda: geocoder.search(next(cycle), limit=5, autocomplete=True),
                       rounds=ROUNDS, iterations=1, warmup_rounds=10)


def test_autocomplete_prefix_queries(benchmark, geocoder, queries):
    cycle = itertools.cycle(queries["prefix"])
    benchmark.pedantic(lambda: geocoder.search(next(cycle)["q"], limit=5, autocomplete=True),
                       rounds=ROUNDS, iterations=1, warmup_rounds=10)


def test_reverse(benchmark, geocoder, queries):
    cycle = itertools.cycle(queries["reverse"])

    def one():
        q = next(cycle)
        geocoder.reverse(q["lat"], q["lon"])
    benchmark.pedantic(one, rounds=ROUNDS * 2, iterations=1, warmup_rounds=10)
