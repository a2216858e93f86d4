"""National-scale timetable figures (issue 12): the curve at N/16, N/4 and N stop_times.

    python -m benchmarks.national.timetable_bench --data /work/national-data --n 30000000

For each size: generate the GTFS folder (``timetable.py``; skipped when it exists), build a
timetable-only bundle in a child process under ``flock /tmp/brique-bigjob.lock`` and
``/usr/bin/time -v`` (wall time, peak RSS), bundle bytes per stop_time, then in fresh processes:
``engine.open`` (and the first use of the timetable, which maps and checks its tables), and
station-to-station ``plan()`` latency over seeded random station pairs of the whole network
(a weekday, 06:00-22:00, ``max_transfers`` 4). Prints one JSON line per size and the table.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

LOCK = "/tmp/brique-bigjob.lock"
LOCK_ABOVE = 10_000_000            # stop_times: builds above it pass 4 GB, so they take the lock
DATE = "2026-03-03"                    # a Tuesday of the generated year
#: The national stop_times.txt is over the default 1 GiB member limit (a real national feed
#: is too): raise it for these builds, as an operator would.
ENV = {"BRIQUE_MAX_MEMBER_BYTES": "16G"}

_BUILD = r"""
import json, sys, time
import engine
t = time.perf_counter()
engine.build(sys.argv[1], gtfs=[("national", sys.argv[2])])
print(json.dumps({"build_s": time.perf_counter() - t}))
"""

_OPEN = r"""
import json, sys, time
t0 = time.perf_counter()
import engine, engine.api
t1 = time.perf_counter()
net = engine.open(sys.argv[1])
t2 = time.perf_counter()
net.timetable
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "timetable_first_use_s": t3 - t2}))
"""


def _timed(cmd: list[str], lock: bool) -> tuple[dict, float, float]:
    """Run ``cmd`` (a python child printing one JSON line) under /usr/bin/time -v; returns its
    JSON, the wall time and the peak RSS in MB."""
    full = (["flock", LOCK] if lock else []) + ["/usr/bin/time", "-v", "nice", "-n", "10"] + cmd
    proc = subprocess.run(full, capture_output=True, text=True, env={**os.environ, **ENV}, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{proc.stderr[-3000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", proc.stderr)
    parts = [float(x) for x in wall.group(1).split(":")] if wall else [float("nan")]
    seconds = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    return (json.loads(lines[-1]) if lines else {}), seconds, int(rss.group(1)) / 1024 if rss else float("nan")


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def query_figures(bundle: str | Path, n: int, seed: int, max_transfers: int = 4) -> dict:
    """plan() latency (ms) over ``n`` seeded random station pairs of the whole network."""
    import numpy as np

    import engine

    net = engine.open(str(bundle))
    tt = net.timetable
    rng = np.random.default_rng(seed)
    served = np.flatnonzero(np.diff(np.asarray(tt.stop_patterns_offsets)) > 0)
    parent = np.asarray(tt.stop_parent)
    picks = rng.choice(served, size=2 * n)
    refs = [tt.stop_id(int(parent[s]) if parent[s] >= 0 else int(s)) for s in picks]
    times = [f"{h:02d}:{m:02d}:00" for h, m in zip(rng.integers(6, 22, n), rng.integers(0, 60, n))]
    t = time.perf_counter()
    net.plan(refs[0], refs[1], date=DATE, time=times[0], max_transfers=max_transfers)
    first_ms = (time.perf_counter() - t) * 1000           # includes the day's active-trip table
    lat, found = [], 0
    for i in range(n):
        t = time.perf_counter()
        plan = net.plan(refs[2 * i], refs[2 * i + 1], date=DATE, time=times[i],
                        max_transfers=max_transfers)
        lat.append((time.perf_counter() - t) * 1000)
        found += bool(plan.itineraries)
    arr = np.asarray(lat)
    return {"queries": n, "first_query_ms": round(first_ms, 1),
            "plan_p50_ms": round(float(np.percentile(arr, 50)), 2),
            "plan_p90_ms": round(float(np.percentile(arr, 90)), 2),
            "plan_p99_ms": round(float(np.percentile(arr, 99)), 2),
            "plan_mean_ms": round(float(arr.mean()), 2), "found_share": round(found / n, 3),
            "n_stops": int(tt.n_stops), "n_trips": int(tt.n_trips), "n_patterns": int(tt.n_patterns)}


def measure(data: Path, n: int, seed: int, queries: int, rebuild: bool) -> dict:
    gtfs = data / f"tt-{n}"
    bundle = data / f"tt-{n}.bundle"
    row: dict = {"n": n}
    if not (gtfs / "national.json").exists():
        out, wall, rss = _timed([sys.executable, "-m", "benchmarks.national", "timetable", "--out", str(gtfs),
                                 "--stop-times", str(n), "--seed", str(seed), "--quiet"], lock=False)
        row.update(generate_s=round(wall, 1), generate_rss_mb=round(rss))
    else:
        row.update(generate_s=json.loads((gtfs / "national.json").read_text())["seconds"])
    info = json.loads((gtfs / "national.json").read_text())
    row["stop_times"] = info["stop_times"]
    if rebuild or not (bundle / "manifest.json").exists():
        out, wall, rss = _timed([sys.executable, "-c", _BUILD, str(bundle), str(gtfs)], lock=n > LOCK_ABOVE)
        row.update(build_s=round(out.get("build_s", wall), 1), build_peak_rss_mb=round(rss))
    size = _bytes(bundle)
    tt_size = _bytes(bundle / "timetable")
    row.update(bundle_bytes=size, bytes_per_stop_time=round(size / row["stop_times"], 1),
               timetable_bytes_per_stop_time=round(tt_size / row["stop_times"], 1))
    out, _, _ = _timed([sys.executable, "-c", _OPEN, str(bundle)], lock=False)
    row.update({k[:-2] + "_ms": round(v * 1000, 1) for k, v in out.items()})   # *_s -> *_ms
    code = (f"import json,sys; sys.path.insert(0, {str(_ROOT)!r}); "
            f"from benchmarks.national.timetable_bench import query_figures; "
            f"print(json.dumps(query_figures({str(bundle)!r}, {queries}, {seed})))")
    out, _, rss = _timed([sys.executable, "-c", code], lock=False)
    row.update(out, query_rss_mb=round(rss))
    return row


COLUMNS = (("n", "N"), ("generate_s", "gen s"), ("build_s", "build s"), ("build_peak_rss_mb", "peak MB"),
           ("bytes_per_stop_time", "B/st"), ("open_ms", "open ms"), ("timetable_first_use_ms", "1st use ms"),
           ("first_query_ms", "1st plan ms"), ("plan_p50_ms", "p50 ms"), ("plan_p99_ms", "p99 ms"),
           ("found_share", "found"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="/work/national-data", help="folder for generated feeds and bundles")
    p.add_argument("--n", type=int, default=30_000_000, help="largest size (stop_times)")
    p.add_argument("--fractions", default="16,4,1", help="sizes N/f for these f")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--rebuild", action="store_true", help="rebuild bundles that exist")
    args = p.parse_args(argv)
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    rows = []
    for f in (int(x) for x in args.fractions.split(",")):
        row = measure(data, args.n // f, args.seed, args.queries, args.rebuild)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print(" | ".join(h for _, h in COLUMNS))
    for row in rows:
        print(" | ".join(f"{row.get(k, '')}" for k, _ in COLUMNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
