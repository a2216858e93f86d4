"""Cold start: a fresh interpreter imports the engine, opens a bundle and answers, with an empty,
read-only Numba cache (what a Docker image, a CI job or a new server worker pays).

    python benchmarks/cold_start.py BUNDLE [BUNDLE ...] [--runs 3] [--engine-root DIR]

For each bundle, runs ``--runs`` fresh processes and prints the medians of: the whole process
(interpreter start to exit, measured from outside), ``import engine``, ``engine.open``, and the
first plan / route / geocode the bundle can answer, plus whether Numba was imported and how many
signatures its dispatchers compiled. ``--engine-root`` runs another checkout (a baseline: a
``git worktree`` with its extension built in place) in the same run, for before/after ratios.
Installs nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import engine
t1 = time.perf_counter()
net = engine.open(sys.argv[1])
t2 = time.perf_counter()
out = {"import_s": t1 - t0, "open_s": t2 - t1}
tt = getattr(net, "timetable", None)
if tt is not None and len(tt.stop_lat) > 1:
    ids = [tt.stop_id(i) for i in (0, len(tt.stop_lat) // 2)]
    day = net.manifest["timetable"]["period"]["start"]
    t = time.perf_counter()
    net.plan(ids[0], ids[1], date=day, time="08:00")
    out["plan_s"] = time.perf_counter() - t
st = getattr(net, "streets", None)
if st is not None:
    g = st.graph
    i, j = 0, len(g.node_lat) // 2
    t = time.perf_counter()
    try:
        net.route(float(g.node_lat[i]), float(g.node_lon[i]), float(g.node_lat[j]), float(g.node_lon[j]))
    except engine.errors.NoRouteError as exc:     # a disconnected pair still paid for the kernels
        out["route_error"] = type(exc).__name__
    out["route_s"] = time.perf_counter() - t
if getattr(net, "geocoder", None) is not None:
    t = time.perf_counter()
    net.geocode("rue de la gare", limit=5)
    out["geocode_s"] = time.perf_counter() - t
out["numba_imported"] = "numba" in sys.modules
compiled = 0
if out["numba_imported"]:
    from numba.core.registry import CPUDispatcher
    import gc
    compiled = sum(len(d.overloads) for d in gc.get_objects() if isinstance(d, CPUDispatcher))
out["numba_signatures_compiled"] = compiled
print(json.dumps(out))
"""


def cold_run(bundle: str, engine_root: str | None = None) -> dict:
    """One fresh process with an empty, read-only Numba cache; returns its timings."""
    with tempfile.TemporaryDirectory() as cache:
        os.chmod(cache, 0o555)
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        if engine_root:
            env["PYTHONPATH"] = engine_root + os.pathsep + env.get("PYTHONPATH", "")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _CHILD, bundle], env=env, capture_output=True,
                              text=True, cwd=engine_root or tempfile.gettempdir())
        wall = time.perf_counter() - t0
        os.chmod(cache, 0o755)
    if proc.returncode != 0:
        raise SystemExit(f"cold run failed on {bundle}:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = wall
    return out


def summarise(runs: list[dict]) -> dict:
    keys = [k for k in runs[0] if k.endswith("_s")]
    out = {k[:-2] + "_ms": round(statistics.median(r[k] for r in runs) * 1e3, 1) for k in keys}
    out["numba_imported"] = runs[0]["numba_imported"]
    out["numba_signatures_compiled"] = runs[0]["numba_signatures_compiled"]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine-root", action="append", default=[],
                        help="another checkout to run too (repeatable); '' is the installed engine")
    args = parser.parse_args(argv)
    roots = args.engine_root or [""]
    for bundle in args.bundles:
        for root in roots:
            runs = [cold_run(str(Path(bundle).resolve()), root or None) for _ in range(args.runs)]
            print(json.dumps({"bundle": Path(bundle).name, "engine": root or "installed",
                              **summarise(runs)}), flush=True)


if __name__ == "__main__":
    main()
