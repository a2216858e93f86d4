"""Geocoder quality and speed on real data: recall@1/@5 and latency per query kind.

    python benchmarks/geocoder_quality.py [--n 2000] [--datasets ban-paris osm-helsinki ...]

For each data set: build the geocoder tables (timed), write a bundle, open it (RSS measured),
generate queries from the data with a fixed seed (engine.testing.geocoder_quality) and print a
markdown table. ``addok_compare.py`` reuses ``prepare`` to run addok on the same documents.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.bundle.reader import open_bundle  # noqa: E402
from engine.bundle.writer import write_bundle  # noqa: E402
from engine.testing.data import shared_data_dir  # noqa: E402
from engine.geocoder import Geocoder, build_geocoder_tables  # noqa: E402
from engine.testing.geocoder_quality import evaluate, format_table, make_queries, place_dicts  # noqa: E402
from engine.timetable.staging import BuildReport  # noqa: E402

DATASETS = {
    "ban-paris": ("addresses", "addr-fr-ban-75-paris/adresses-75.csv.gz"),
    "osm-helsinki": ("osm", "osm-fi-helsinki-central/Helsinki.osm.pbf"),
    "osm-liechtenstein": ("osm", "osm-li-nominatim-testdb/apidb-test-data.pbf"),
    "osm-heidelberg": ("osm", "osm-de-heidelberg/heidelberg.test.pbf"),
}


def rss_mb() -> float:
    """Current resident set size of this process (MB), from /proc."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def prepare(name: str, workdir: Path) -> dict:
    """Build + open one data set; returns figures and the open Geocoder."""
    kind, rel = DATASETS[name]
    path = shared_data_dir() / rel
    if not path.exists():
        raise SystemExit(f"{path} not found (set BRIQUE_DATA)")
    report = BuildReport()
    t0 = time.perf_counter()
    tables = build_geocoder_tables([path] if kind == "addresses" else [], [path] if kind == "osm" else [],
                                   None, report)
    build_s = time.perf_counter() - t0
    out = write_bundle(workdir / f"{name}.bundle", tables, {"geocoder_inputs": [str(path)]})
    size = sum(f.stat().st_size for f in out.rglob("*.arrow"))
    rss0 = rss_mb()
    t0 = time.perf_counter()
    geocoder = Geocoder.open(open_bundle(out))
    open_s = time.perf_counter() - t0
    n_hn = tables["geocoder/housenumbers"].num_rows
    return {"name": name, "geocoder": geocoder, "bundle": out, "build_s": build_s, "open_s": open_s,
            "index_bytes": size, "addresses": n_hn, "docs": tables["geocoder/docs"].num_rows,
            "bytes_per_address": size / max(n_hn, 1), "rss_after_open_mb": rss_mb(),
            "rss_delta_open_mb": rss_mb() - rss0, "report": report.counts}


def brique_callables(geocoder: Geocoder):
    def search(q, autocomplete, limit):
        return place_dicts(geocoder.search(q, limit=limit, autocomplete=autocomplete))

    def reverse(lat, lon):
        return place_dicts(geocoder.reverse(lat, lon, types=["address"]))
    return search, reverse


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="addresses sampled per data set (one query per kind each)")
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets:
            info = prepare(name, Path(tmp))
            g = info["geocoder"]
            queries = make_queries(g, args.n, seed=0)
            search, reverse = brique_callables(g)
            evaluate(queries[:200], search, reverse)          # warm caches
            stats = evaluate(queries, search, reverse)
            print(f"\n## {name}: {info['addresses']} addresses, {info['docs']} docs; build {info['build_s']:.2f} s, "
                  f"index {info['index_bytes'] / 1e6:.2f} MB ({info['bytes_per_address']:.1f} B/address), "
                  f"open {info['open_s'] * 1000:.0f} ms, RSS after open {info['rss_after_open_mb']:.0f} MB "
                  f"(+{info['rss_delta_open_mb']:.0f} MB)\n")
            print(format_table({"brique": stats}))
            print("\np99 ms: " + ", ".join(f"{k} {s['p99_ms']:.2f}" for k, s in stats.items()))
            print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
