"""HTTP autocomplete on a national geocoder bundle: throughput, latency and memory of the workers.

    python -m benchmarks.national.http_bench --bundle B.bundle [--workers 2] [--connections 8 16 32]
        [--duration 15] [--queries 3000] [--seed 7] [--json OUT.json] [--inline]

Starts ``brique serve BUNDLE --workers N`` (through ``python -m server``), drives
``/v1/geocode/autocomplete`` with Debian's ``wrk`` (one phase per connection count) and reports
req/s, p50/p90/p99, server CPU per request, wrk's CPU per request (wrk runs on the same cores)
and the cores other processes took meanwhile (a shared machine), then the memory of each process from
``/proc/PID/smaps_rollup``: RSS counts every mapped page a worker touched, PSS splits the shared
ones between the processes that map them, so the sum of PSS is what the server really costs.

The queries are what people type: random addresses of the bundle (drawn in proportion to the
house numbers of each street, so the populous communes come up more often), written
"[number] street [postcode|commune]" and cut after 3 characters or more, mid-word or not.
Not collected by pytest (a script, not bench_*).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import time
import urllib.parse
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from benchmarks.load_test import free_port, get, run_wrk, start_server, stop_server, wait_ready


def typed_prefixes(bundle: str, n: int, seed: int) -> list[str]:
    """``n`` autocomplete paths from addresses of the bundle, address-weighted, cut as typed."""
    import pyarrow as pa

    def table(name: str) -> pa.Table:
        return pa.ipc.open_file(pa.memory_map(f"{bundle}/geocoder/{name}.arrow")).read_all()

    docs = table("docs").select(["name", "city_idx", "hn_count"])
    cities = table("cities").select(["postcode", "city"])
    weight = np.maximum(docs.column("hn_count").to_numpy(zero_copy_only=False), 1).astype(np.int64)
    cum = np.cumsum(weight)
    rng = random.Random(seed)
    picks = np.searchsorted(cum, [rng.randrange(int(cum[-1])) for _ in range(n)], side="right")
    rows = docs.take(pa.array(picks)).to_pylist()
    city_rows = cities.take(pa.array([r["city_idx"] for r in rows])).to_pylist()
    paths = []
    for row, city in zip(rows, city_rows):
        words = row["name"].split()
        if rng.random() < 0.4:                                  # "12 rue de la gare"
            words = [str(rng.randint(1, max(2, min(row["hn_count"], 120))))] + words
        tail = rng.random()
        if tail < 0.3:                                          # "... 01000"
            words += [city["postcode"]]
        elif tail < 0.7:                                        # "... rosieux"
            words += city["city"].split()
        label = " ".join(words)
        cut = rng.randint(min(3, len(label)), len(label))
        q = label[:cut].lower() if rng.random() < 0.7 else label[:cut]
        paths.append("/v1/geocode/autocomplete?" + urllib.parse.urlencode({"q": q, "limit": 5}))
    return paths


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (uvicorn's master and its workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def smaps_rollup_mb(pid: int) -> dict:
    """Rss, Pss, Shared_Clean, Private (clean + dirty) of one process, in MB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": fields.get("Rss", 0.0), "pss_mb": fields.get("Pss", 0.0),
            "shared_mb": fields.get("Shared_Clean", 0.0) + fields.get("Shared_Dirty", 0.0),
            "private_mb": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)}


def memory_report(server_pid: int) -> dict:
    procs = {}
    for pid in process_tree(server_pid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
            procs[pid] = {"cmd": cmd, **smaps_rollup_mb(pid)}
        except (FileNotFoundError, ProcessLookupError):
            continue
    total = {k: round(sum(p[k] for p in procs.values()), 1) for k in ("rss_mb", "pss_mb", "private_mb")}
    return {"processes": procs, "total": total}


def busy_cpu_s() -> float:
    """CPU seconds all processes of the machine spent so far (user + nice + system + irq), /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return sum(int(fields[k]) for k in (0, 1, 2, 5, 6)) / os.sysconf("SC_CLK_TCK")


def measured_phase(base: str, paths: list[str], connections: int, duration: int, threads: int,
                   server_pid: int) -> dict:
    """run_wrk plus where the machine's CPU went: wrk's own CPU per request (it shares the
    cores with the server) and the cores other processes used meanwhile (a shared machine)."""
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0 = busy_cpu_s()
    out = run_wrk(base, paths, connections, duration, threads, server_pid)
    busy1 = busy_cpu_s()
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_s = (children1.ru_utime - children0.ru_utime) + (children1.ru_stime - children0.ru_stime)
    server_s = out["server_cpu_ms_per_request"] * out["requests"] / 1000
    out["wrk_cpu_ms_per_request"] = 1000 * wrk_s / max(out["requests"], 1)
    out["other_cpu_cores"] = max(0.0, busy1 - busy0 - wrk_s - server_s) / out["seconds"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, nargs="+", default=[8, 16, 32])
    p.add_argument("--duration", type=int, default=15, help="seconds per phase")
    p.add_argument("--wrk-threads", type=int, default=1)
    p.add_argument("--queries", type=int, default=3000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", help="write the results here")
    p.add_argument("--inline", action="store_true", help="serve with BRIQUE_INLINE_GEOCODE=1 (plain geocodes "
                   "on the event loop, no time budget: server/settings.py inline_geocode)")
    args = p.parse_args(argv)
    if args.inline:
        os.environ["BRIQUE_INLINE_GEOCODE"] = "1"
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    bundle = str(Path(args.bundle).resolve())
    paths = typed_prefixes(bundle, args.queries, args.seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    results: dict = {"bundle": bundle, "workers": args.workers, "duration_s": args.duration,
                     "queries": len(paths), "loadavg_before": os.getloadavg()[0], "cpus": os.cpu_count(),
                     "inline_geocode": args.inline}
    started = time.perf_counter()
    proc = start_server(bundle, port, args.workers)
    try:
        results["cold_start"] = wait_ready(base, paths[0], proc, started)
        bad = [q for q in paths[:200] if get(base + q)[0] != 200]   # warm both workers, check queries
        if bad:
            raise SystemExit(f"{len(bad)} of 200 queries failed, e.g. {bad[0]}")
        results["memory_after_warmup"] = memory_report(proc.pid)
        for c in args.connections:
            results[f"autocomplete_c{c}"] = measured_phase(base, paths, c, args.duration, args.wrk_threads,
                                                           proc.pid)
        results["memory_after_load"] = memory_report(proc.pid)
    finally:
        stop_server(proc)
    print(f"bundle {bundle}, {args.workers} workers{' (inline geocode)' if args.inline else ''}, "
          f"{len(paths)} distinct queries, "
          f"load average before {results['loadavg_before']:.1f} on {results['cpus']} CPUs")
    for key, r in results.items():
        if isinstance(r, dict) and "rps" in r:
            print(f"{key:18s} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.2f} ms  p90 {r['p90_ms']:6.2f} ms  "
                  f"p99 {r['p99_ms']:6.2f} ms  max {r['max_ms']:6.1f} ms  non-2xx {r['non2xx']}  "
                  f"socket errors {r['socket_errors']}  server CPU {r['server_cpu_ms_per_request']:.2f} ms/req  "
                  f"wrk CPU {r['wrk_cpu_ms_per_request']:.2f} ms/req  other processes {r['other_cpu_cores']:.2f} "
                  f"cores  loadavg {r['loadavg_1m']:.1f}")
    for phase in ("memory_after_warmup", "memory_after_load"):
        mem = results[phase]
        print(phase)
        for pid, m in mem["processes"].items():
            print(f"  pid {pid:7d} RSS {m['rss_mb']:7.0f} MB  PSS {m['pss_mb']:7.0f} MB  "
                  f"shared {m['shared_mb']:7.0f} MB  private {m['private_mb']:6.0f} MB  {m['cmd']}")
        t = mem["total"]
        print(f"  total   RSS {t['rss_mb']:7.0f} MB  PSS {t['pss_mb']:7.0f} MB  private {t['private_mb']:6.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
