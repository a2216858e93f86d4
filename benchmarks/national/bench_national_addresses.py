"""National geocoder benchmarks on a generated BAN file (``benchmarks/national/addresses.py``).

BRIQUE_BENCH_SHORT=1 (CI): 30,000 addresses over 80 communes, few rounds, so that the generator,
the build and every query kind keep working. Full mode: ``BRIQUE_NATIONAL_ADDRESSES`` addresses
(default 1,625,000 = N/16 of France); the national figures themselves (N = 26 M) come from
``addresses_bench.py`` run by hand (README, "National scale"). Each query benchmark cycles through
a fixed-seed query set; its recall@1 is stored in ``benchmark.extra_info``.
"""
from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.national import addresses as gen  # noqa: E402
from benchmarks.national.addresses_bench import _hit, _Truth, make_queries  # noqa: E402

SHORT = os.environ.get("BRIQUE_BENCH_SHORT") == "1"
N = 30_000 if SHORT else int(os.environ.get("BRIQUE_NATIONAL_ADDRESSES", "1625000"))
COMMUNES = 80 if SHORT else None
ROUNDS = 30 if SHORT else 1000


@pytest.fixture(scope="module")
def national_csv(tmp_path_factory):
    out = tmp_path_factory.mktemp("national") / "ban.csv.gz"
    gen.generate(out, N, seed=12, n_communes=COMMUNES)
    return out


@pytest.fixture(scope="module")
def national_bundle(national_csv, tmp_path_factory):
    import engine

    out = tmp_path_factory.mktemp("national-bundle") / "fr.bundle"
    engine.build(out, addresses=[national_csv])
    return out


@pytest.fixture(scope="module")
def geocoder(national_bundle):
    import engine

    return engine.open(national_bundle).geocoder


@pytest.fixture(scope="module")
def queries(geocoder):
    qs = make_queries(geocoder, _Truth(geocoder), 100 if SHORT else 1000, seed=0)
    by_kind: dict[str, list[dict]] = {}
    for q in qs:
        by_kind.setdefault(q["kind"], []).append(q)
    return by_kind


def test_national_build(benchmark, national_csv, tmp_path):
    import engine

    paths = itertools.count()
    benchmark.pedantic(lambda: engine.build(tmp_path / f"b{next(paths)}.bundle", addresses=[national_csv]),
                       rounds=1, iterations=1)
    benchmark.extra_info["addresses"] = N


def _run(geocoder, q):
    if q["kind"] == "reverse":
        return geocoder.reverse(q["lat"], q["lon"])
    if q["kind"] == "street_focus":
        return geocoder.search(q["q"], limit=5, lat=q["lat"], lon=q["lon"])
    return geocoder.search(q["q"], limit=5, autocomplete=bool(q.get("autocomplete")))


@pytest.mark.parametrize("kind", ["exact", "typo", "street_city", "street", "street_focus", "autocomplete",
                                  "reverse"])
def test_national_query(benchmark, geocoder, queries, kind):
    qs = queries.get(kind)
    if not qs:
        pytest.skip(f"no {kind} query in this sample")
    hits = sum(_hit(q, (_run(geocoder, q) or [None])[0]) for q in qs)
    cycle = itertools.cycle(qs)
    benchmark.pedantic(lambda: _run(geocoder, next(cycle)), rounds=ROUNDS, iterations=1, warmup_rounds=3)
    benchmark.extra_info.update({"addresses": N, "queries": len(qs), "recall1": round(hits / len(qs), 4)})
    assert hits > 0
