"""Quality evaluation: query sets generated from the indexed data with a fixed seed, and recall.

Kinds (addok-style checks): ``exact`` labels, ``folded`` (lowercase, no accents/punctuation),
``typo`` (one edit in one word of >= 5 letters), ``abbrev`` (av, bd, r, st ...),
``prefix`` (autocomplete, label cut mid-word at 60-95 % of its length), ``prefix_street`` (the
same on "number street" alone, so the cut falls in the street name), ``street`` (street name
only), ``postcode`` / ``city`` (number + street + postcode or city), ``reverse`` (the address
point moved by 2-5 m). A query hits when a result has the expected id, or the expected label
(duplicate labels exist in real data), or for ``street`` the expected street name.

Engine-agnostic: ``evaluate`` takes a ``search(q, autocomplete, limit)`` callable returning
dicts with id, label, name, type — so addok is measured on exactly the same queries.
"""
from __future__ import annotations

import random
import re
import time
from typing import Callable

import numpy as np

from ..geocoder.normalize import fold

ABBREVIATIONS = {"Avenue": "av", "Boulevard": "bd", "Place": "pl", "Rue": "r", "Saint": "st",
                 "Sainte": "ste", "Chemin": "chem", "Impasse": "imp", "Faubourg": "fbg",
                 "Square": "sq", "Général": "gal", "Allée": "all", "Passage": "pass", "Quai": "qu"}
KINDS = ("exact", "folded", "typo", "abbrev", "prefix", "prefix_street", "street", "postcode", "city",
         "reverse")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _typo(label: str, rng: random.Random) -> str | None:
    words = [m for m in re.finditer(r"[^\W\d_]{5,}", label)]
    if not words:
        return None
    m = rng.choice(words)
    w = m.group()
    pos = rng.randrange(1, len(w))
    op = rng.randrange(4)
    if op == 0:
        new = w[:pos] + rng.choice(_LETTERS) + w[pos + 1:]
    elif op == 1:
        new = w[:pos] + w[pos + 1:]
    elif op == 2:
        new = w[:pos] + rng.choice(_LETTERS) + w[pos:]
    else:
        pos = min(pos, len(w) - 2)
        new = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2:]
    if fold(new) == fold(w):
        return None
    return label[:m.start()] + new + label[m.end():]


def _prefix(label: str, rng: random.Random) -> str | None:
    n = len(label)
    cuts = [p for p in range(int(np.ceil(0.6 * n)), int(0.95 * n) + 1)
            if 0 < p < n and label[p - 1].isalpha() and label[p].isalpha()]
    return label[:rng.choice(cuts)] if cuts else None


def make_queries(geocoder, n: int = 1000, seed: int = 0) -> list[dict]:
    """About ``n`` queries per kind drawn from the geocoder's own addresses (fixed seed)."""
    ix = geocoder.index
    rng = random.Random(seed)
    n_hn = len(ix.hn_num)
    out: list[dict] = []
    if n_hn == 0:
        return out
    rows = rng.sample(range(n_hn), min(n, n_hn))
    for row in rows:
        place = geocoder._place(geocoder._doc_of_hn(row), row, 1.0)
        base = {"expect_id": place.id, "expect_label": place.label, "expect_name": None,
                "expect_hn": place.name, "expect_lat": place.lat, "expect_lon": place.lon}
        hn, street = place.housenumber, place.street
        tail = " ".join(x for x in (place.postcode, place.city) if x)
        out.append({**base, "kind": "exact", "q": place.label})
        out.append({**base, "kind": "folded", "q": fold(place.label)})
        typo = _typo(place.label, rng)
        if typo:
            out.append({**base, "kind": "typo", "q": typo})
        words = place.label.split(" ")
        if any(w in ABBREVIATIONS for w in words):
            out.append({**base, "kind": "abbrev", "q": " ".join(ABBREVIATIONS.get(w, w) for w in words)})
        cut = _prefix(place.label, rng)
        if cut:
            out.append({**base, "kind": "prefix", "q": cut, "autocomplete": True})
        cut = _prefix(f"{hn} {street}", rng)          # harder: no postcode/city, cut in the street
        if cut:
            out.append({**base, "kind": "prefix_street", "q": cut, "autocomplete": True})
        out.append({"kind": "street", "q": street, "expect_id": None, "expect_label": None,
                    "expect_name": street})
        if place.postcode:
            out.append({**base, "kind": "postcode", "q": f"{hn} {street} {place.postcode}"})
        if place.city and place.city != tail:
            out.append({**base, "kind": "city", "q": f"{hn} {street} {place.city}"})
        ang, dist = rng.uniform(0, 2 * np.pi), rng.uniform(2.0, 5.0)
        dlat = dist * np.cos(ang) / 111_195.0
        dlon = dist * np.sin(ang) / (111_195.0 * np.cos(np.radians(place.lat)))
        out.append({**base, "kind": "reverse", "q": "", "lat": place.lat + dlat, "lon": place.lon + dlon})
    return out


def _hit(q: dict, r: dict) -> bool:
    if q["expect_name"] is not None:
        return r.get("type") == "street" and fold(r.get("name") or "") == fold(q["expect_name"])
    if r.get("id") == q["expect_id"] or fold(r.get("label") or "") == fold(q["expect_label"]):
        return True
    # the same number on the same street within 50 m: a duplicate of the address in the data
    if r.get("lat") is None or fold(r.get("name") or "") != fold(q["expect_hn"]):
        return False
    dy = (r["lat"] - q["expect_lat"]) * 111_195.0
    dx = (r["lon"] - q["expect_lon"]) * 111_195.0 * np.cos(np.radians(q["expect_lat"]))
    return dx * dx + dy * dy < 50.0 ** 2


def run_queries(queries: list[dict], search: Callable[[str, bool, int], list[dict]],
                reverse: Callable[[float, float], list[dict]] | None = None) -> tuple[list, list]:
    """Run every query once: (results per query, milliseconds per query)."""
    results, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        if q["kind"] == "reverse":
            res = reverse(q["lat"], q["lon"]) if reverse is not None else None
        else:
            res = search(q["q"], bool(q.get("autocomplete")), 5)
        times.append((time.perf_counter() - t0) * 1000)
        results.append(res)
    return results, times


def score_results(queries: list[dict], results: list, times: list[float]) -> dict[str, dict]:
    """Recall@1, recall@5 and latency percentiles (ms) per kind, from run_queries' output."""
    stats: dict[str, dict] = {}
    for q, res, dt in zip(queries, results, times):
        if res is None:
            continue
        s = stats.setdefault(q["kind"], {"n": 0, "r1": 0, "r5": 0, "ms": [], "misses": []})
        s["n"] += 1
        s["ms"].append(dt)
        hits = [_hit(q, r) for r in res[:5]]
        s["r1"] += bool(hits[:1] and hits[0])
        s["r5"] += any(hits)
        if not (hits[:1] and hits[0]) and len(s["misses"]) < 20:
            s["misses"].append((q["q"] or (q.get("lat"), q.get("lon")), q["expect_label"] or q["expect_name"],
                                res[0].get("label") if res else None))
    for s in stats.values():
        ms = np.array(s.pop("ms"))
        s["recall@1"] = s["r1"] / s["n"]
        s["recall@5"] = s["r5"] / s["n"]
        s["p50_ms"], s["p99_ms"] = float(np.percentile(ms, 50)), float(np.percentile(ms, 99))
    return stats


def evaluate(queries: list[dict], search: Callable[[str, bool, int], list[dict]],
             reverse: Callable[[float, float], list[dict]] | None = None) -> dict[str, dict]:
    """run_queries + score_results."""
    results, times = run_queries(queries, search, reverse)
    return score_results(queries, results, times)


def place_dicts(places) -> list[dict]:
    """Places -> the dicts ``evaluate`` reads."""
    return [{"id": p.id, "label": p.label, "name": p.name, "type": p.type, "lat": p.lat, "lon": p.lon}
            for p in places]


def format_table(columns: dict[str, dict[str, dict]]) -> str:
    """Side-by-side markdown table: one column group per engine."""
    engines = list(columns)
    head = "| kind | n | " + " | ".join(f"{e} R@1 | {e} R@5 | {e} p50 ms" for e in engines) + " |"
    sep = "|" + "---|" * (2 + 3 * len(engines))
    lines = [head, sep]
    for kind in KINDS:
        if not any(kind in columns[e] for e in engines):
            continue
        n = next(columns[e][kind]["n"] for e in engines if kind in columns[e])
        cells = []
        for e in engines:
            s = columns[e].get(kind)
            cells += ([f"{100 * s['recall@1']:.1f} %", f"{100 * s['recall@5']:.1f} %", f"{s['p50_ms']:.2f}"]
                      if s else ["-", "-", "-"])
        lines.append(f"| {kind} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
