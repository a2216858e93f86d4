"""Messy-query recall (issue 18) on BAN Paris: recall@1 per pattern, search p50/p99, index size.

    python benchmarks/geocoder_messy.py [--per-pattern 150]
    PYTHONPATH=/path/to/other/checkout python benchmarks/geocoder_messy.py   # the same cases, other code

The cases come from ``tests/realdata/test_geocoder_messy.py`` (read from the BAN CSV, not from the
index), loaded by path so that another checkout's engine answers the very same queries.
"""
from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np

CASES = Path(__file__).resolve().parent.parent / "tests" / "realdata" / "test_geocoder_messy.py"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-pattern", type=int, default=150)
    ap.add_argument("--show-misses", type=int, default=0)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("messy_cases", CASES)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import engine

    cases = mod.make_messy(mod.BAN, per_pattern=args.per_pattern)
    with tempfile.TemporaryDirectory() as tmp:
        net = engine.open(engine.build(Path(tmp) / "p.bundle", [], addresses=[mod.BAN]).path)
        size = sum(f.stat().st_size for f in (Path(tmp) / "p.bundle").rglob("geocoder/*.arrow"))
        for c in cases[:100]:
            net.geocode(c["q"], limit=5)                   # warm caches
        times, misses = [], {}
        stats: dict[str, list[int]] = {}
        for c in cases:
            t0 = time.perf_counter()
            res = net.geocode(c["q"], limit=5)
            times.append((time.perf_counter() - t0) * 1000)
            s = stats.setdefault(c["pattern"], [0, 0])
            hit = bool(res) and res[0].id == c["expect_id"]
            s[0] += hit
            s[1] += 1
            if not hit:
                misses.setdefault(c["pattern"], []).append((c["q"], res[0].label if res else None))
    print(f"engine at {Path(engine.__file__).parent}; index {size / 1e6:.2f} MB "
          f"({size / 158_048:.1f} B/address)")
    print("| pattern | n | R@1 |\n|---|---|---|")
    for k, (h, n) in stats.items():
        print(f"| {k} | {n} | {100 * h / n:.1f} % |")
    t = np.array(times)
    print(f"search p50 {np.percentile(t, 50):.3f} ms, p99 {np.percentile(t, 99):.3f} ms over {len(t)} queries")
    for k, v in misses.items():
        for q, got in v[:args.show_misses]:
            print(f"  miss {k}: {q!r} -> {got!r}")


if __name__ == "__main__":
    main()
