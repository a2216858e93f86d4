"""National-scale geocoder figures: build (time, peak RSS, bytes per address, open) and queries
(latency percentiles, recall@1 per kind) on a generated BAN file (``addresses.py``).

    python -m benchmarks.national.addresses_bench build --addresses FILE.csv.gz --out B.bundle
    python -m benchmarks.national.addresses_bench query --bundle B.bundle [--n 1000] [--seed 0]

Run ``build`` under ``flock /tmp/brique-bigjob.lock`` above a few million addresses (its peak RSS
is this process's, from getrusage). Query kinds, all drawn with a fixed seed from the bundle's own
addresses:

- ``exact``: the full label ("12 bis Rue de la Gare 01000 Rosieux"): the address's id or label;
- ``typo``: the label with one edit in one word of five letters or more;
- ``street_city``: "Rue de la Gare Rosieux": a street of that name in a commune of that name;
- ``street``: the street name alone: a street of that name in the most populous commune that has
  it (population: the commune's number of addresses, what the generator's Zipf draw set);
- ``street_focus``: the street name and a focus point: the street of that name nearest to it;
- ``autocomplete``: the label cut mid-word (latency only, recall reported too);
- ``reverse``: an address point moved by 2-5 m (latency).
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def measure_build(csv: Path, out: Path) -> dict:
    """Build a geocoder-only bundle from ``csv``; time, peak RSS, geocoder bytes per address, open."""
    import engine

    start = time.perf_counter()
    stages: list[tuple[str, float]] = []
    result = engine.build(out, addresses=[csv], progress=lambda s: stages.append((s, time.perf_counter() - start)))
    build_s = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    cpu_s = usage.ru_utime + usage.ru_stime
    size = sum(f.stat().st_size for f in (Path(out) / "geocoder").glob("*"))
    counts = result.report.counts if hasattr(result.report, "counts") else {}
    n = int(counts.get("addresses.read", 0)) or None
    open_ms = _open_ms(out)
    return {"csv": str(csv), "addresses": n, "build_s": round(build_s, 1), "build_cpu_s": round(cpu_s, 1),
            "load_avg_1min": round(__import__("os").getloadavg()[0], 1), "peak_rss_mb": round(peak_mb),
            "geocoder_bytes": size, "bytes_per_address": round(size / n, 1) if n else None,
            "open_ms": round(open_ms, 2), "stages": [(s, round(t, 1)) for s, t in stages]}


def _open_ms(bundle: Path) -> float:
    """First ``engine.open`` in a fresh process, the engine's modules imported before (their
    import, ~0.5 s, is the same for any bundle): best of three processes."""
    import subprocess

    code = ("import time, engine, engine.api, engine.bundle.reader, engine.geocoder.search; "
            "t = time.perf_counter(); engine.open(%r); print((time.perf_counter() - t) * 1000)" % str(bundle))
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            for _ in range(3)]
    return min(float(r.stdout.strip().splitlines()[-1]) for r in runs)


class _Truth:
    """What the right answer is, from the bundle: street docs by folded name, commune populations."""

    def __init__(self, geocoder):
        from engine.geocoder import tokens as T
        from engine.geocoder.normalize import fold

        ix = geocoder.index
        streets = np.flatnonzero((ix.d_type == T.STREET) & (ix.d_hnc > 0))
        city = ix.d_city[streets]
        codes = ix.city_code.to_pylist()
        pop: dict[str, int] = defaultdict(int)
        for c, k in zip(city.tolist(), ix.d_hnc[streets].tolist()):
            pop[codes[c]] += k
        self.population = dict(pop)
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for d in streets.tolist():
            self.by_name[fold(ix.doc_name[d])].append(d)
        self.codes = codes
        self.ix = ix

    def most_populous(self, name: str) -> set[str]:
        from engine.geocoder.normalize import fold

        docs = self.by_name.get(fold(name), [])
        pops = {self.codes[self.ix.d_city[d]]: self.population[self.codes[self.ix.d_city[d]]] for d in docs}
        best = max(pops.values())
        return {c for c, p in pops.items() if p == best}

    def nearest(self, name: str, lat: float, lon: float) -> tuple[float, float]:
        from engine.geocoder.normalize import fold

        docs = np.array(self.by_name.get(fold(name), []))
        dy = (self.ix.d_lat[docs] - lat) * 111_195.0
        dx = (self.ix.d_lon[docs] - lon) * 111_195.0 * np.cos(np.radians(lat))
        d = docs[int(np.argmin(dx * dx + dy * dy))]
        return float(self.ix.d_lat[d]), float(self.ix.d_lon[d])


def make_queries(geocoder, truth: _Truth, n: int, seed: int) -> list[dict]:
    """About ``n`` queries of each kind (see the module docstring)."""
    from engine.testing.geocoder_quality import _prefix, _typo

    ix = geocoder.index
    rng = random.Random(seed)
    n_hn = len(ix.hn_num)
    out = []
    for row in rng.sample(range(n_hn), min(n, n_hn)):
        place = geocoder._place(geocoder._doc_of_hn(row), row, 1.0)
        base = {"id": place.id, "label": place.label, "street": place.street, "city": place.city,
                "citycode": place.citycode}
        out.append({**base, "kind": "exact", "q": place.label})
        typo = _typo(place.label, rng)
        if typo:
            out.append({**base, "kind": "typo", "q": typo})
        out.append({**base, "kind": "street_city", "q": f"{place.street} {place.city}"})
        out.append({**base, "kind": "street", "q": place.street, "communes": truth.most_populous(place.street)})
        other = geocoder._place(geocoder._doc_of_hn(r2 := rng.randrange(n_hn)), r2, 1.0)
        out.append({**base, "kind": "street_focus", "q": place.street, "lat": other.lat, "lon": other.lon,
                    "nearest": truth.nearest(place.street, other.lat, other.lon)})
        cut = _prefix(place.label, rng)
        if cut:
            out.append({**base, "kind": "autocomplete", "q": cut, "autocomplete": True})
        ang, dist = rng.uniform(0, 2 * np.pi), rng.uniform(2.0, 5.0)
        out.append({**base, "kind": "reverse", "lat": place.lat + dist * np.cos(ang) / 111_195.0,
                    "lon": place.lon + dist * np.sin(ang) / (111_195.0 * np.cos(np.radians(place.lat)))})
    return out


def _hit(q: dict, r) -> bool:
    from engine._geocode import haversine_m
    from engine.geocoder.normalize import fold

    if r is None:
        return False
    kind = q["kind"]
    if kind in ("exact", "typo", "autocomplete"):
        return r.id == q["id"] or fold(r.label) == fold(q["label"])
    if kind == "reverse":
        return True
    same_street = fold(r.street or r.name or "") == fold(q["street"])
    if kind == "street_city":
        return same_street and fold(r.city or "") == fold(q["city"])
    if kind == "street":
        return same_street and r.citycode in q["communes"]
    if kind == "street_focus":
        if r.type == "locality":        # a lieu-dit's named place (numero 99999) and its street: one place
            return same_street and haversine_m(r.lat, r.lon, *q["nearest"]) < 2000.0
        return same_street and abs(r.lat - q["nearest"][0]) < 1e-7 and abs(r.lon - q["nearest"][1]) < 1e-7
    raise ValueError(kind)


def measure_queries(bundle: Path, n: int = 1000, seed: int = 0) -> dict:
    """Latency percentiles (ms) and recall@1 per kind over ``n`` sampled addresses."""
    import engine

    net = engine.open(bundle)
    geocoder = net.geocoder if hasattr(net, "geocoder") else None
    if geocoder is None:
        from engine.geocoder import Geocoder
        from engine.bundle.reader import open_bundle

        geocoder = Geocoder.open(open_bundle(bundle))
    t0 = time.perf_counter()
    truth = _Truth(geocoder)
    queries = make_queries(geocoder, truth, n, seed)
    setup_s = time.perf_counter() - t0
    # the harness's own objects (truth tables, queries) must not make the collector's pauses
    # part of the figures: a server's heap holds none of them
    del truth
    gc.collect()
    gc.freeze()
    for q in queries[:50]:                      # warm the page cache and the workspace
        if q["kind"] != "reverse":
            geocoder.search(q["q"], limit=5)
    stats: dict[str, dict] = {}
    for q in queries:
        c = time.thread_time()
        t = time.perf_counter()
        if q["kind"] == "reverse":
            res = geocoder.reverse(q["lat"], q["lon"])
        elif q["kind"] == "street_focus":
            res = geocoder.search(q["q"], limit=5, lat=q["lat"], lon=q["lon"])
        else:
            res = geocoder.search(q["q"], limit=5, autocomplete=bool(q.get("autocomplete")))
        ms = (time.perf_counter() - t) * 1000
        cpu_ms = (time.thread_time() - c) * 1000
        s = stats.setdefault(q["kind"], {"n": 0, "hits": 0, "ms": [], "cpu_ms": []})
        s["n"] += 1
        s["hits"] += _hit(q, res[0] if res else None)
        s["ms"].append(ms)
        s["cpu_ms"].append(cpu_ms)
    kinds = ("exact", "typo", "street_city", "street", "street_focus")
    search_ms = [m for k in kinds for m in stats.get(k, {"ms": []})["ms"]]
    search_cpu = [m for k in kinds for m in stats.get(k, {"cpu_ms": []})["cpu_ms"]]
    # wall-clock figures include the time other processes took the CPU (a shared machine);
    # thread CPU time is what the query itself cost
    out = {"bundle": str(bundle), "queries": len(queries), "setup_s": round(setup_s, 1),
           "load_avg_1min": round(__import__("os").getloadavg()[0], 1),
           "search_p50_ms": round(_pct(search_ms, 50), 3), "search_p99_ms": round(_pct(search_ms, 99), 3),
           "search_p99_cpu_ms": round(_pct(search_cpu, 99), 3),
           "autocomplete_p50_ms": round(_pct(stats["autocomplete"]["ms"], 50), 3),
           "reverse_p99_ms": round(_pct(stats["reverse"]["ms"], 99), 3),
           "reverse_p99_cpu_ms": round(_pct(stats["reverse"]["cpu_ms"], 99), 3)}
    for kind, s in stats.items():
        out[kind] = {"n": s["n"], "p50_ms": round(_pct(s["ms"], 50), 3), "p99_ms": round(_pct(s["ms"], 99), 3),
                     "p99_cpu_ms": round(_pct(s["cpu_ms"], 99), 3)}
        if kind != "reverse":
            out[kind]["recall1"] = round(s["hits"] / s["n"], 4)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.national.addresses_bench")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a bundle from a generated file and measure it")
    b.add_argument("--addresses", required=True, type=Path)
    b.add_argument("--out", required=True, type=Path)
    q = sub.add_parser("query", help="query figures on a built bundle")
    q.add_argument("--bundle", required=True, type=Path)
    q.add_argument("--n", type=int, default=1000)
    q.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "build":
        print(json.dumps(measure_build(args.addresses, args.out)))
    else:
        print(json.dumps(measure_queries(args.bundle, args.n, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
