"""Opening a bundle: ``engine.open`` in-process (a new network object each round, files in the
page cache), and in a fresh interpreter (import + open + first query, the cold start a worker
process pays), stored in ``extra_info``."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

from tests.reference.feeds import bench_short, station_queries

SHORT = bench_short()

_COLD = r"""
import json, sys, time
t0 = time.perf_counter()
import engine
t1 = time.perf_counter()
net = engine.open(sys.argv[1])
t2 = time.perf_counter()
net.plan(sys.argv[2], sys.argv[3], date=sys.argv[4], time=sys.argv[5])
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "first_plan_s": t3 - t2}))
"""


def _cold_start(bundle, query) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _COLD, str(bundle), *query], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_open_main_bundle(benchmark, main_bundle):
    import engine

    engine.open(str(main_bundle))                      # page cache + kernel cache warm
    benchmark.pedantic(engine.open, args=(str(main_bundle),), rounds=3 if SHORT else 10, iterations=1)
    query = station_queries(main_bundle, 1, seed=1)[0]
    runs = [_cold_start(main_bundle, query) for _ in range(1 if SHORT else 3)]
    for key in runs[0]:
        benchmark.extra_info[f"cold_{key[:-2]}_ms_median"] = round(
            float(np.median([r[key] for r in runs])) * 1e3, 1)
    t0 = time.perf_counter()
    net = engine.open(str(main_bundle))
    net.plan(query[0], query[1], date=query[2], time=query[3])
    benchmark.extra_info["warm_open_plus_first_plan_ms"] = round((time.perf_counter() - t0) * 1e3, 1)
