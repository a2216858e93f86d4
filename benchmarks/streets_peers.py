"""Compare Brique's street routing with scipy's Dijkstra and pyroutingkit (RoutingKit CCH), same run.

    python benchmarks/streets_peers.py [--osm FILE] [--queries 200] [--scipy-queries 30]
                                       [--rk-python /work/venvs/routingkit/bin/python] [--json OUT]

Brique builds the street graph from the OSM file; the walk graph (int32 ms per edge) is then
handed to the peers unchanged, so all three answer the same shortest-path question:
- Brique ``route()`` between random points (snap + exact A* + geometry), and between graph nodes;
- scipy.sparse.csgraph.dijkstra from the source node (it has no target stop: one full search);
- pyroutingkit 0.2.1 in its own venv (CCH: preprocessing timed separately, then node-to-node
  queries). Distances are cross-checked: every peer must give Brique's cost exactly.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RK_SCRIPT = r"""
import json, sys, time
import numpy as np
import pyroutingkit as rk
d = sys.argv[1]
tail, head = np.load(d + "/tail.npy"), np.load(d + "/head.npy")
lat, lon, w = np.load(d + "/lat.npy"), np.load(d + "/lon.npy"), np.load(d + "/w.npy")
pairs = np.load(d + "/pairs.npy")
t0 = time.perf_counter()
cch = rk.CCH()
cch.build_topology(tail, head, lat, lon, len(lat))
t1 = time.perf_counter()
cch.customize_weights(w)
t2 = time.perf_counter()
times, dists = [], []
for s, t in pairs:
    q0 = time.perf_counter()
    dist, path = cch.query(int(s), int(t))
    times.append(time.perf_counter() - q0)
    dists.append(int(dist))
print(json.dumps({"topology_s": t1 - t0, "customize_s": t2 - t1, "times": times, "dists": dists}))
"""


def _median_ms(times) -> float:
    return float(np.median(times) * 1000.0)


def main(argv: list[str] | None = None) -> int:
    from engine.bundle.writer import write_bundle
    from engine.testing.data import shared_data_dir
    from engine.streets import StreetNetwork, StreetOptions, build_street_tables
    from engine.timetable.staging import BuildReport

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=shared_data_dir() / "osm-de-heidelberg/heidelberg.test.pbf")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--scipy-queries", type=int, default=30)
    parser.add_argument("--rk-python", default="/work/venvs/routingkit/bin/python")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    out: dict = {"osm": str(args.osm)}
    t0 = time.perf_counter()
    tables, _ = build_street_tables(args.osm, BuildReport(), np.zeros(0), np.zeros(0), StreetOptions())
    out["build_s"] = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="brique-streets-peers-"))
    net = StreetNetwork.open(write_bundle(tmp / "b", tables, {}))
    g = net.graph
    out_off, out_to, out_cost, _ = g.modes["walk"].edges(False)     # the node-level graph
    walk_nodes = np.unique(out_to)
    out["walk_nodes"] = int(len(walk_nodes))
    out["walk_edges"] = int(len(out_to))
    rng = np.random.default_rng(args.seed)

    # Brique: random points near random walkable segments.
    usable = np.flatnonzero(g.seg_modes & 1)
    seg = rng.choice(usable, 2 * args.queries)
    t = rng.random(2 * args.queries)
    lat = g.node_lat[g.seg_u[seg]] * (1 - t) + g.node_lat[g.seg_v[seg]] * t + rng.normal(0, 1e-4, len(t))
    lon = g.node_lon[g.seg_u[seg]] * (1 - t) + g.node_lon[g.seg_v[seg]] * t + rng.normal(0, 1e-4, len(t))
    point_times = []
    for i in range(args.queries):
        q0 = time.perf_counter()
        net.route(lat[2 * i], lon[2 * i], lat[2 * i + 1], lon[2 * i + 1], "walk")
        point_times.append(time.perf_counter() - q0)
    out["brique_point_median_ms"] = _median_ms(point_times)

    # Node-to-node pairs shared by everyone.
    pairs = rng.choice(walk_nodes, (args.queries, 2)).astype(np.int64)
    node_times, node_cost = [], []
    for s, d in pairs:
        q0 = time.perf_counter()
        r = net.route(g.node_lat[s], g.node_lon[s], g.node_lat[d], g.node_lon[d], "walk")
        node_times.append(time.perf_counter() - q0)
        node_cost.append(r.duration_ms)
    out["brique_node_median_ms"] = _median_ms(node_times)

    # scipy: one full single-source Dijkstra per query (parallel edges de-duplicated, min kept).
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    n = g.n_nodes
    src = np.repeat(np.arange(len(out_off) - 1, dtype=np.int64), np.diff(out_off))
    key = src * n + out_to
    order = np.lexsort((out_cost, key))
    sel = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    matrix = csr_matrix((out_cost[sel].astype(np.float64), (src[sel], out_to[sel])), shape=(n, n))
    scipy_times, scipy_bad = [], 0
    for k in range(min(args.scipy_queries, args.queries)):
        s, d = pairs[k]
        q0 = time.perf_counter()
        dist = dijkstra(matrix, indices=int(s))
        scipy_times.append(time.perf_counter() - q0)
        scipy_bad += int(dist[d] != node_cost[k])
    out["scipy_median_ms"] = _median_ms(scipy_times)
    out["scipy_mismatches"] = scipy_bad
    out["scipy_checked"] = len(scipy_times)

    # pyroutingkit in its own venv.
    rk_python = Path(args.rk_python)
    if rk_python.exists():
        np.save(tmp / "tail.npy", src[sel].astype(np.uint32))
        np.save(tmp / "head.npy", out_to[sel].astype(np.uint32))
        np.save(tmp / "w.npy", out_cost[sel].astype(np.uint32))
        np.save(tmp / "lat.npy", g.node_lat.astype(np.float32))
        np.save(tmp / "lon.npy", g.node_lon.astype(np.float32))
        np.save(tmp / "pairs.npy", pairs.astype(np.uint32))
        done = subprocess.run([str(rk_python), "-c", RK_SCRIPT, str(tmp)], capture_output=True,
                              text=True, check=True)
        rk = json.loads(done.stdout.strip().splitlines()[-1])
        out["routingkit_preprocess_s"] = rk["topology_s"] + rk["customize_s"]
        out["routingkit_median_ms"] = _median_ms(rk["times"])
        out["routingkit_mismatches"] = int(sum(a != b for a, b in zip(rk["dists"], node_cost)))
    else:
        out["routingkit"] = f"skipped: {rk_python} not found"

    b = out["brique_point_median_ms"]
    out["ratio_scipy_over_brique"] = out["scipy_median_ms"] / b
    if "routingkit_median_ms" in out:
        out["ratio_brique_over_routingkit"] = b / out["routingkit_median_ms"]
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
