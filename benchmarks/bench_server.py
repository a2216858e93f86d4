"""HTTP layer cost: requests through FastAPI's TestClient vs the same engine calls direct.

Bundle: Heidelberg (VRN GTFS cut + ORS Heidelberg OSM + Paris BAN addresses), or the built-in
sample city in short mode (BRIQUE_BENCH_SHORT=1). ``extra_info`` holds the engine-only median
of the same queries, so the HTTP overhead per request is visible as a ratio in one run.
Throughput and tail latency over real sockets are measured by ``benchmarks/load_test.py``.
"""
from __future__ import annotations

import itertools
import statistics
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.reference.feeds import bench_short

pytest.importorskip("fastapi")
SHORT = bench_short()
ROUNDS = 3 if SHORT else 15
N_QUERIES = 20 if SHORT else 100


@pytest.fixture(scope="module")
def setup(server_bundle):
    import sys

    from fastapi.testclient import TestClient

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import load_test

    import engine
    from server.main import create_app
    from server.settings import Settings

    net = engine.open(server_bundle)
    plans = load_test.plan_paths(str(server_bundle), N_QUERIES, seed=3)
    acs = load_test.autocomplete_paths(str(server_bundle), N_QUERIES, seed=3)
    with TestClient(create_app(Settings(bundle=str(server_bundle)), network=net)) as client:
        for path in plans[:3] + acs[:3]:
            assert client.get(path).status_code == 200
        yield net, client, plans, acs


def _engine_median_ms(fn, calls) -> float:
    times = []
    for args, kwargs in calls:
        t = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1e3, 3)


def _params(path: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(path).query))


def _run(benchmark, client, paths):
    cycle = itertools.cycle(paths)

    def one():
        r = client.get(next(cycle))
        assert r.status_code == 200

    benchmark.pedantic(one, rounds=ROUNDS * 10, iterations=1, warmup_rounds=2)


def test_health(benchmark, setup):
    _, client, _, _ = setup
    _run(benchmark, client, ["/health"])


def test_autocomplete(benchmark, setup):
    net, client, _, acs = setup
    calls = [((_params(p)["q"],), {"limit": 5, "autocomplete": True}) for p in acs]
    benchmark.extra_info["engine_median_ms"] = _engine_median_ms(net.geocode, calls)
    _run(benchmark, client, acs)


def test_plan_door_to_door(benchmark, setup):
    net, client, plans, _ = setup

    def point(text):
        lat, lon = text.split(",")
        return float(lat), float(lon)

    calls = []
    for p in plans:
        q = _params(p)
        calls.append(((point(q["from"]), point(q["to"]), q["date"], q["time"]), {}))
    benchmark.extra_info["engine_median_ms"] = _engine_median_ms(net.plan, calls)
    _run(benchmark, client, plans)


def test_reverse(benchmark, setup):
    net, client, plans, _ = setup
    points = [_params(p)["from"] for p in plans]
    paths = [f"/v1/geocode/reverse?lat={pt.split(',')[0]}&lon={pt.split(',')[1]}" for pt in points]
    _run(benchmark, client, paths)
