"""Start-up as a fresh install pays it: every process gets an empty, read-only Numba cache.

- a fresh interpreter: import + ``engine.open`` + first plan / route / geocode (the whole process,
  ``benchmarks/cold_start.py``), on the sample (short mode) or the Heidelberg bundle;
- ``brique serve BUNDLE --workers 2``: from the command to the first correct answer of
  ``/v1/plan``, ``/v1/route`` and ``/v1/geocode/search`` over HTTP (127.0.0.1, bounded polling).

The timed value is one cold process, or one server from the command to its first correct
answers (pedantic, one iteration per round; stopping the server is not timed); the per-phase
medians are in ``extra_info``. Nothing is asserted about time.
"""
from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.reference.feeds import bench_short

SHORT = bench_short()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from cold_start import cold_run  # noqa: E402


def test_cold_process(benchmark, server_bundle):
    runs = []
    benchmark.pedantic(lambda: runs.append(cold_run(str(server_bundle))), rounds=2 if SHORT else 5,
                       iterations=1)
    for key in runs[0]:
        if key.endswith("_s"):
            benchmark.extra_info[f"{key[:-2]}_ms_median"] = round(
                statistics.median(r[key] for r in runs) * 1e3, 1)
    benchmark.extra_info["numba_imported"] = any(r["numba_imported"] for r in runs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answer(url: str) -> dict | None:
    """The JSON body of a 200, else None (server not up yet, or an error)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return json.loads(r.read()) if r.status == 200 else None
    except OSError:
        return None


def _correct(body: dict | None) -> bool:
    """An answer, not an empty one: a journey, a street route, or geocoding results."""
    return bool(body) and bool(body.get("itineraries") or body.get("distance_m") or body.get("features"))


def _queries(bundle: Path) -> list[str]:
    """One plan, one route and one geocode the bundle can answer (from its own data)."""
    import engine

    net = engine.open(bundle)
    tt, g = net.timetable, net.streets.graph
    day = net.manifest["timetable"]["period"]["start"]
    a, b = tt.stop_id(0), tt.stop_id(len(tt.stop_lat) // 2)
    p, q = 0, g.n_nodes // 2
    pt = lambda i: f"{float(g.node_lat[i]):.6f},{float(g.node_lon[i]):.6f}"      # noqa: E731
    return [f"/v1/plan?from={a}&to={b}&date={day}&time=08:00",
            f"/v1/route?from={pt(p)}&to={pt(q)}&mode=walk",
            "/v1/geocode/search?q=rue%20de%20la%20gare"]


def test_serve_two_workers_first_answer(benchmark, server_bundle):
    """Timed: from the command to the last of the three first correct answers (stopping the
    server is in the teardown, outside the timing)."""
    queries = _queries(server_bundle)
    times = []
    running = []

    def setup():
        cache = tempfile.TemporaryDirectory()
        os.chmod(cache.name, 0o555)
        return (cache, _free_port()), {}

    def start_and_answer(cache, port):
        env = dict(os.environ, NUMBA_CACHE_DIR=cache.name)
        t0 = time.perf_counter()
        running.append(subprocess.Popen([sys.executable, "-m", "server", "serve", str(server_bundle),
                                         "--port", str(port), "--workers", "2"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        answered = [False] * len(queries)
        deadline = t0 + 120
        while not all(answered) and time.perf_counter() < deadline:
            for k, path in enumerate(queries):
                if not answered[k]:
                    answered[k] = _correct(_answer(f"http://127.0.0.1:{port}{path}"))
            if not all(answered):
                time.sleep(0.02)
        if not all(answered):
            stop(cache, port)
            pytest.fail(f"no correct answer within 120 s to {[q for q, a in zip(queries, answered) if not a]}")
        times.append(time.perf_counter() - t0)

    def stop(cache, port):
        while running:
            proc = running.pop()
            proc.terminate()
            proc.wait(timeout=30)
        os.chmod(cache.name, 0o755)
        cache.cleanup()

    benchmark.pedantic(start_and_answer, setup=setup, teardown=stop, rounds=1 if SHORT else 3, iterations=1)
    benchmark.extra_info["first_answers_s_median"] = round(statistics.median(times), 3)
