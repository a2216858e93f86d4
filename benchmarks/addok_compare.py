"""Brique vs addok on the same documents and the same queries, side by side.

    python benchmarks/addok_compare.py [--n 2000] [--datasets ban-paris osm-helsinki ...]

Needs addok in its own venv (default /work/venvs/addok: ``pip install addok==1.3.2 addok-fr
addok-france``) and ``redis-server`` on PATH. This script starts its own Redis on 127.0.0.1 on a
non-default port (``--port``, default 6391) in a temporary directory and stops it at the end.

Steps per data set: build Brique's index and open it; export the very same documents (streets
with their house numbers, localities, POIs) as addok NDJSON; ``addok batch`` + ``addok ngrams``
with BAN's French settings (addok-fr + addok-france processors); run every query in-process in
both engines (addok through ``--runner`` inside the addok venv); print recall and latency tables.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADDOK_CONF = '''
from addok.config.default import *  # noqa
QUERY_PROCESSORS_PYPATHS = [
    "addok.helpers.text.check_query_length",
    "addok_france.extract_address",
    "addok_france.clean_query",
    "addok_france.remove_leading_zeros",
]
PROCESSORS_PYPATHS = [
    "addok.helpers.text.tokenize",
    "addok.helpers.text.normalize",
    "addok_france.glue_ordinal",
    "addok_france.fold_ordinal",
    "addok_france.flag_housenumber",
    "addok.helpers.text.synonymize",
    "addok_fr.phonemicize",
]
SEARCH_RESULT_PROCESSORS_PYPATHS = [
    "addok.helpers.results.match_housenumber",
    "addok_france.make_labels",
    "addok.helpers.results.score_by_importance",
    "addok.helpers.results.score_by_autocomplete_distance",
    "addok.helpers.results.score_by_ngram_distance",
    "addok.helpers.results.score_by_geo_distance",
]
FILTERS = ["type", "postcode", "citycode", "city"]
BATCH_WORKERS = 1
'''
ADDOK_TYPES = {"street": "street", "locality": "municipality", "poi": "poi", "stop": "stop"}


# ---------------------------------------------------------------- runner (inside the addok venv)
def runner(queries_path: str, out_path: str) -> None:
    """Run every query with addok in-process; write results and timings as JSON."""
    from addok.config import config
    config.load()
    from addok.core import reverse, search

    queries = json.loads(Path(queries_path).read_text())

    def fmt(results):
        out = []
        for r in results:
            f = r.format()
            p = f["properties"]
            lon, lat = f["geometry"]["coordinates"]
            out.append({"id": p.get("id"), "label": p.get("label"), "name": p.get("name"),
                        "type": p.get("type"), "lat": lat, "lon": lon})
        return out
    for q in queries[:100]:                     # warm-up (Redis connections, caches)
        search(q["q"] or "rue", limit=5, autocomplete=bool(q.get("autocomplete")))
    results, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        if q["kind"] == "reverse":
            res = reverse(lat=q["lat"], lon=q["lon"], limit=1)
        else:
            res = search(q["q"], limit=5, autocomplete=bool(q.get("autocomplete")))
        times.append((time.perf_counter() - t0) * 1000)
        results.append(fmt(res))
    Path(out_path).write_text(json.dumps({"results": results, "times": times}))


# ---------------------------------------------------------------- orchestration (brique python)
def export_ndjson(geocoder, path: Path) -> int:
    """The geocoder's own documents in addok's import format (streets carry housenumbers)."""
    import numpy as np

    ix = geocoder.index
    n = 0
    with path.open("w") as fh:
        for d in range(ix.n_docs):
            base = geocoder._place(d, -1, 1.0)
            doc = {"id": base.id, "type": ADDOK_TYPES[base.type], "name": base.name,
                   "lat": base.lat, "lon": base.lon, "importance": float(ix.d_imp[d])}
            for key in ("postcode", "city", "citycode"):
                if getattr(base, key):
                    doc[key] = getattr(base, key)
            if base.street and base.type == "poi":
                doc["street"] = base.street
            first, count = int(ix.d_hnf[d]), int(ix.d_hnc[d])
            if count:
                hns = {}
                for row in range(first, first + count):
                    suffix = ix.suffixes[int(ix.hn_suf[row])]
                    key = f"{int(ix.hn_num[row])} {suffix}".strip()
                    hns[key] = {"id": geocoder._address_id(d, row), "lat": float(ix.hn_lat[row] / 1e7),
                                "lon": float(ix.hn_lon[row] / 1e7)}
                doc["housenumbers"] = hns
            fh.write(json.dumps(doc, default=lambda o: o.item() if isinstance(o, np.generic) else str(o)) + "\n")
            n += 1
    return n


def _redis_cmd(port: int, *args: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(("*%d\r\n" % len(args) + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)).encode())
        time.sleep(0.05)
        return s.recv(1 << 20)


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if b"PONG" in _redis_cmd(port, "PING"):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"redis-server did not start on port {port}")


def redis_memory_mb(port: int) -> float:
    info = _redis_cmd(port, "INFO", "memory").decode(errors="replace")
    for line in info.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1]) / 1e6
    return float("nan")


def run_addok(venv: Path, port: int, ndjson: Path, queries: list, tmp: Path) -> dict:
    conf = tmp / "addok_conf.py"
    conf.write_text(ADDOK_CONF + f'\nREDIS["host"] = "127.0.0.1"\nREDIS["port"] = {port}\n')
    env = {**os.environ, "ADDOK_CONFIG_MODULE": str(conf)}
    addok = str(venv / "bin" / "addok")
    _redis_cmd(port, "FLUSHALL")
    t0 = time.perf_counter()
    subprocess.run([addok, "batch", str(ndjson)], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    subprocess.run([addok, "ngrams"], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import_s = time.perf_counter() - t0
    qpath, opath = tmp / "queries.json", tmp / "addok_results.json"
    qpath.write_text(json.dumps(queries))
    subprocess.run([str(venv / "bin" / "python"), __file__, "--runner", str(qpath), str(opath)],
                   env=env, check=True)
    out = json.loads(opath.read_text())
    return {"import_s": import_s, "redis_mb": redis_memory_mb(port), **out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--datasets", nargs="*", default=["ban-paris", "osm-helsinki", "osm-liechtenstein",
                                                      "osm-heidelberg"])
    ap.add_argument("--venv", type=Path, default=Path("/work/venvs/addok"))
    ap.add_argument("--port", type=int, default=6391)
    ap.add_argument("--runner", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.runner:
        runner(*args.runner)
        return
    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, str(HERE))
    from geocoder_quality import brique_callables, prepare

    from engine.testing.geocoder_quality import format_table, make_queries, run_queries, score_results

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        redis = start_redis(args.port, tmp)
        try:
            for name in args.datasets:
                info = prepare(name, tmp)
                g = info["geocoder"]
                queries = make_queries(g, args.n, seed=0)
                search, reverse = brique_callables(g)
                run_queries(queries[:200], search, reverse)       # warm-up
                res, times = run_queries(queries, search, reverse)
                ours = score_results(queries, res, times)
                n_docs = export_ndjson(g, tmp / f"{name}.ndjson")
                ad = run_addok(args.venv, args.port, tmp / f"{name}.ndjson", queries, tmp)
                theirs = score_results(queries, ad["results"], ad["times"])
                print(f"\n## {name}: {info['addresses']} addresses in {n_docs} documents, "
                      f"{len(queries)} queries (seed 0)\n")
                print(format_table({"brique": ours, "addok": theirs}))
                print("\n| kind | brique p99 ms | addok p99 ms | p50 ratio addok/brique |\n|---|---|---|---|")
                for kind, s in ours.items():
                    a = theirs.get(kind)
                    if a:
                        print(f"| {kind} | {s['p99_ms']:.2f} | {a['p99_ms']:.2f} | {a['p50_ms'] / s['p50_ms']:.1f}x |")
                print(f"\nbuild/import: brique {info['build_s']:.1f} s, addok {ad['import_s']:.1f} s; "
                      f"index: brique {info['index_bytes'] / 1e6:.1f} MB on disk "
                      f"({info['bytes_per_address']:.0f} B/address), addok Redis {ad['redis_mb']:.1f} MB; "
                      f"brique open {info['open_s'] * 1000:.0f} ms, process RSS after open "
                      f"{info['rss_after_open_mb']:.0f} MB (+{info['rss_delta_open_mb']:.0f} MB for the open)")
                for kind in ("exact", "typo", "prefix"):
                    if kind in theirs:
                        print(f"addok {kind} misses (first 5): {theirs[kind]['misses'][:5]}")
                    if kind in ours:
                        print(f"brique {kind} misses (first 5): {ours[kind]['misses'][:5]}")
                sys.stdout.flush()
        finally:
            redis.terminate()
            redis.wait(timeout=10)


if __name__ == "__main__":
    main()
