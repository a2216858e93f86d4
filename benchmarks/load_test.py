"""HTTP load test on loopback: `brique serve` (uvicorn, N workers) driven by wrk.

Measures cold start (process start -> first answered /health and first answered query), then
for door-to-door journey planning and for geocoder autocomplete: throughput, p50/p99 latency
and errors (socket errors + non-2xx). URLs are built from the bundle and checked once before
the run so that every request of the load is a valid one. Bounded: each phase lasts --duration
seconds; the server is always stopped.

    python benchmarks/load_test.py BUNDLE [--workers 2] [--duration 15] [--plan-connections 50]

Needs Debian's `wrk` (apt-get install -y wrk). Not collected by pytest (a script, not bench_*).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT {\\"requests\\": %%d, \\"seconds\\": %%.3f, \\"p50_ms\\": %%.3f, "
    .. "\\"p90_ms\\": %%.3f, \\"p99_ms\\": %%.3f, \\"max_ms\\": %%.3f, \\"non2xx\\": %%d, "
    .. "\\"socket_errors\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# ------------------------------------------------------------------ query sets from the bundle
def plan_paths(bundle: str, n: int, seed: int) -> list[str]:
    """Door-to-door queries between street nodes near stops of one feed, on a weekday it runs."""
    import engine

    net = engine.open(bundle)
    tt, streets = net.timetable, net.streets
    if tt is None or streets is None:
        raise SystemExit("the bundle needs a timetable and streets for door-to-door planning")
    g = streets.graph
    node_lat, node_lon = np.asarray(g.node_lat), np.asarray(g.node_lon)
    box = (node_lat.min(), node_lat.max(), node_lon.min(), node_lon.max())
    lat, lon = np.asarray(tt.stop_lat), np.asarray(tt.stop_lon)
    inside = np.flatnonzero((lat > box[0]) & (lat < box[1]) & (lon > box[2]) & (lon < box[3]))
    if len(inside) < 10:
        raise SystemExit("fewer than 10 stops inside the street network")
    feed = int(np.bincount(np.asarray(tt.stop_feed)[inside]).argmax())
    stops = inside[np.asarray(tt.stop_feed)[inside] == feed]
    date = _weekday_with_service(net, tt.stop_id(int(stops[0])), tt.feed_names[feed])
    # nearest street node of each stop (a realistic door: on a street, near transit)
    order = np.argsort(node_lat)
    doors = []
    for s in stops:
        lo, hi = np.searchsorted(node_lat[order], [lat[s] - 0.003, lat[s] + 0.003])
        cand = order[lo:hi]
        if len(cand):
            d = (node_lat[cand] - lat[s]) ** 2 + ((node_lon[cand] - lon[s]) * np.cos(np.radians(lat[s]))) ** 2
            k = cand[int(d.argmin())]
            doors.append((float(node_lat[k]), float(node_lon[k])))
    rng = random.Random(seed)
    paths, tries = [], 0
    while len(paths) < n and tries < n * 5:
        tries += 1
        (a, b), (c, d) = rng.sample(doors, 2)
        params = {"from": f"{a:.6f},{b:.6f}", "to": f"{c:.6f},{d:.6f}", "date": date,
                  "time": f"{rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}"}
        try:
            net.plan((a, b), (c, d), date, params["time"])
        except Exception:           # off the network or similar: keep only valid requests
            continue
        paths.append("/v1/plan?" + urllib.parse.urlencode(params))
    print(f"plan queries: {len(paths)} door-to-door in feed {tt.feed_names[feed]!r} on {date}", file=sys.stderr)
    return paths


def _weekday_with_service(net, stop_id: str, feed: str) -> str:
    """The Wednesday (sampled over the period) with the most departures at ``stop_id``."""
    import datetime as dt

    period = net.manifest["timetable"]["period"]
    day, end = dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])
    day += dt.timedelta(days=(2 - day.weekday()) % 7)
    wednesdays = []
    while day <= end:
        wednesdays.append(day)
        day += dt.timedelta(days=7)
    best, best_n = None, 0
    for day in wednesdays[:: max(1, len(wednesdays) // 60)]:
        n = len(net.departures(stop_id, day.isoformat(), "06:00", limit=50, window_s=12 * 3600))
        if n > best_n:
            best, best_n = day, n
    if best is None:
        raise SystemExit(f"no service day found for feed {feed}")
    return best.isoformat()


def autocomplete_paths(bundle: str, n: int, seed: int) -> list[str]:
    """Prefixes of real labels (addresses, streets, stops) as typed: 'rue de la pa', '12 avenue d'."""
    import engine

    net = engine.open(bundle)
    if net.geocoder is None:
        raise SystemExit("the bundle has no geocoder")
    names = [x for x in net.bundle.strings("geocoder/docs", "name").to_pylist() if x]
    rng = random.Random(seed)
    paths = []
    for name in rng.sample(names, min(n, len(names))):
        words = ([str(rng.randint(1, 60))] if rng.random() < 0.3 else []) + name.split()
        k = rng.randint(1, min(4, len(words)))
        q = " ".join(words[:k])
        cut = rng.randint(min(3, len(q)), len(q))
        paths.append("/v1/geocode/autocomplete?" + urllib.parse.urlencode({"q": q[:cut], "limit": 5}))
    return paths


# ------------------------------------------------------------------ server and wrk
def start_server(bundle: str, port: int, workers: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "server", "serve", bundle, "--port", str(port), "--workers", str(workers)]
    if shutil.which("brique") and os.environ.get("BRIQUE_LOAD_USE_CLI") == "1":
        cmd = ["brique", "serve", bundle, "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def stop_server(proc) -> None:
    """Stop ``brique serve`` and its workers (its process group): TERM, then KILL after 15 s."""
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)


def wait_ready(base: str, query: str, proc: subprocess.Popen, started: float, timeout: float = 60) -> dict:
    """Seconds from process start to the first answered /health, then to the first answered query."""
    out: dict = {}
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise SystemExit("server exited: " + proc.stderr.read().decode()[-2000:])
        try:
            status, body = get(base + ("/health" if "health_s" not in out else query), timeout=10)
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.02)
            continue
        if status != 200:
            raise SystemExit(f"unexpected HTTP {status}: {body[:500]!r}")
        key = "health_s" if "health_s" not in out else "first_query_s"
        out[key] = time.perf_counter() - started
        if key == "first_query_s":
            return out
    raise SystemExit("server not ready in time")


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def run_wrk(base: str, paths: list[str], connections: int, duration: int, threads: int,
            server_pid: int | None = None) -> dict:
    lua = LUA % ", ".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    try:
        cpu0 = tree_cpu_s(server_pid) if server_pid else 0.0
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", f.name, base]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
        cpu1 = tree_cpu_s(server_pid) if server_pid else 0.0
    finally:
        os.unlink(f.name)
    line = next((x for x in res.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit("wrk failed: " + res.stdout + res.stderr)
    out = json.loads(line[7:])
    out["rps"] = out["requests"] / out["seconds"]
    out["connections"] = connections
    out["server_cpu_ms_per_request"] = 1000 * (cpu1 - cpu0) / max(out["requests"], 1)
    out["loadavg_1m"] = os.getloadavg()[0]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bundle")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--duration", type=int, default=15, help="seconds per phase")
    p.add_argument("--plan-connections", type=int, nargs="+", default=[50])
    p.add_argument("--ac-connections", type=int, nargs="+", default=[16])
    p.add_argument("--wrk-threads", type=int, default=1)
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", help="write the results here")
    args = p.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    bundle = str(Path(args.bundle).resolve())
    plans = plan_paths(bundle, args.queries, args.seed)
    acs = autocomplete_paths(bundle, args.queries * 3, args.seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"load average before start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", file=sys.stderr)
    started = time.perf_counter()
    proc = start_server(bundle, port, args.workers)
    results: dict = {"bundle": bundle, "workers": args.workers, "duration_s": args.duration}
    try:
        results["cold_start"] = wait_ready(base, plans[0], proc, started)
        for path in plans[:20] + acs[:20]:                 # every worker warms its threads
            get(base + path)
        for c in args.ac_connections:
            results[f"autocomplete_c{c}"] = run_wrk(base, acs, c, args.duration, args.wrk_threads, proc.pid)
        for c in args.plan_connections:
            results[f"plan_c{c}"] = run_wrk(base, plans, c, args.duration, args.wrk_threads, proc.pid)
    finally:
        stop_server(proc)
    cs = results["cold_start"]
    print(f"bundle {bundle}, {args.workers} workers")
    print(f"cold start: /health answered after {cs['health_s']:.2f} s, first plan after {cs['first_query_s']:.2f} s")
    for key, r in results.items():
        if isinstance(r, dict) and "rps" in r:
            print(f"{key:18s} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f} ms  p90 {r['p90_ms']:6.1f} ms  "
                  f"p99 {r['p99_ms']:6.1f} ms  max {r['max_ms']:6.1f} ms  requests {r['requests']}  "
                  f"non-2xx {r['non2xx']}  socket errors {r['socket_errors']}  "
                  f"server CPU {r['server_cpu_ms_per_request']:.2f} ms/req  loadavg {r['loadavg_1m']:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
