"""Per GTFS feed: bundle size on disk and process memory after ``engine.open`` (and one query).

Each feed is measured in a fresh interpreter that reads VmRSS / RssFile / RssAnon from
/proc/self/status (psutil is not a dependency): after ``import engine``, after ``engine.open``,
and after one ``plan()``. Memory-mapped bundle pages show up as RssFile, so "anon" is the
memory the engine really allocates. About 200 MB of RSS after open is the fixed cost of the
libraries (numpy, pyarrow, numba, scipy) whatever the bundle. Bundles are built (once) into the benchmark cache.

    python benchmarks/memory_report.py [--feeds NAME ...]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.reference.feeds import cached_bundle, feed_name, gtfs_feeds, station_queries  # noqa: E402

_PROBE = r"""
import json, sys
def status():
    out = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024.0
    return out
import engine
after_import = status()
net = engine.open(sys.argv[1])
after_open = status()
if len(sys.argv) > 2:
    net.plan(sys.argv[2], sys.argv[3], date=sys.argv[4], time=sys.argv[5])
after_plan = status()
print(json.dumps({"import": after_import, "open": after_open, "plan": after_plan}))
"""


def _disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def measure(feed: Path) -> dict:
    name = feed_name(feed)
    bundle = cached_bundle([(name, feed)], name)
    queries = station_queries(bundle, 1, seed=1)
    args = [sys.executable, "-c", _PROBE, str(bundle), *(queries[0] if queries else ())]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode:        # once more: a crash can come from the extension being rebuilt
        proc = subprocess.run(args, capture_output=True, text=True, check=True)
    probe = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"feed": name, "input_mb": feed.stat().st_size / 1e6, "bundle_mb": _disk_mb(bundle), **probe}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", nargs="*", help="feed names (default: all)")
    args = ap.parse_args(argv)
    feeds = [f for f in gtfs_feeds() if not args.feeds or feed_name(f) in args.feeds]
    if not feeds:
        sys.exit("no GTFS feeds found (set BRIQUE_DATA)")
    print("| feed | zip MB | bundle MB | RSS import MB | RSS open MB | RSS after plan MB "
          "| anon after plan MB | file-backed after plan MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for feed in feeds:
        try:
            r = measure(feed)
        except subprocess.CalledProcessError as exc:
            last = (exc.stderr or "").strip().splitlines()[-1:] or [f"exit status {exc.returncode}"]
            print(f"| {feed_name(feed)} | failed: {last[0][:80]} |||||||")
            continue
        print(f"| {r['feed']} | {r['input_mb']:.2f} | {r['bundle_mb']:.2f} | {r['import']['VmRSS']:.1f} "
              f"| {r['open']['VmRSS']:.1f} | {r['plan']['VmRSS']:.1f} | {r['plan']['RssAnon']:.1f} "
              f"| {r['plan']['RssFile']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
