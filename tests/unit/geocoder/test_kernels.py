"""Compiled geocoder kernels (engine._geocode): prefix ranges over the sorted dictionary,
bounded edit distance against a plain-Python reference, per-entry quality scale, workspace
reset, reverse search against brute force, and no JIT on the query path."""
import random
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from engine import _geocode as G
from engine.testing.geocoder import geocoder_from_rows
from engine.geocoder.index import _string_buffers
from engine.geocoder.query import parse_query
from engine.geocoder.tokens import trigrams


def _dict(words):
    arr = pa.array(sorted(words, key=lambda s: s.encode()))
    return (*_string_buffers(arr), arr.to_pylist())


def test_prefix_range_is_the_tokens_starting_with_the_prefix():
    off, data, words = _dict(["avenue", "avenir", "av", "rue", "azur", "a", "b"])
    lo = G.lower_bound(off, data, b"av")
    hi = G.prefix_end(off, data, b"av", lo)
    assert words[lo:hi] == ["av", "avenir", "avenue"]
    lo = G.lower_bound(off, data, b"zz")
    assert G.prefix_end(off, data, b"zz", lo) == lo == len(words)


def test_prefix_range_matches_a_linear_scan_on_random_dictionaries():
    rng = random.Random(3)
    for _ in range(50):
        words = {"".join(rng.choice("abc") for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 40))}
        off, data, words = _dict(words)
        for _ in range(20):
            q = "".join(rng.choice("abc") for _ in range(rng.randint(1, 4)))
            lo = G.lower_bound(off, data, q.encode())
            assert lo == sum(w.encode() < q.encode() for w in words)
            hi = G.prefix_end(off, data, q.encode(), lo)
            assert words[lo:hi] == [w for w in words if w.startswith(q)]


def test_osa_distance_counts_one_transposition_as_one_edit():
    def d(a, b, maxd=2):
        return G.osa_distance(a.encode(), b.encode(), maxd)
    assert d("rivoli", "rivoli") == 0
    assert d("rivoli", "rivili") == 1
    assert d("navarin", "navrain") == 1
    assert d("rivoli", "rvoli") == 1
    assert d("rivoli", "xxxoli", 2) == 3          # capped at maxd + 1
    assert d("a" * 63, "a" * 63) == 3             # longer than 62 bytes: never a typo match


def _osa_reference(a: bytes, b: bytes) -> int:
    """Textbook optimal string alignment (restricted Damerau-Levenshtein), full matrix."""
    n, m = len(a), len(b)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[n][m]


@pytest.mark.parametrize("alphabet", ["ab", "abcd", "abcdefghijklmnopqrstuvwxyz"])
def test_osa_distance_matches_the_reference_on_random_strings(alphabet):
    rng = random.Random(len(alphabet))
    for _ in range(3000):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))).encode()
        if rng.random() < 0.5:            # near misses: a few random edits of a
            b = bytearray(a)
            for _ in range(rng.randint(1, 3)):
                op, p = rng.randrange(4), rng.randint(0, len(b))
                if op == 0 and p < len(b):
                    b[p] = ord(rng.choice(alphabet))
                elif op == 1 and p < len(b):
                    del b[p]
                elif op == 2:
                    b.insert(p, ord(rng.choice(alphabet)))
                elif p + 1 < len(b):
                    b[p], b[p + 1] = b[p + 1], b[p]
            b = bytes(b)
        else:
            b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))).encode()
        ref = _osa_reference(a, b)
        for maxd in (0, 1, 2, 3):
            assert G.osa_distance(a, b, maxd) == min(ref, maxd + 1), (a, b, maxd)


def test_trigrams_are_padded_and_distinct():
    g = trigrams("aaaa")
    assert len(g) == len(set(g.tolist())) == 3    # ^aa, aaa, aa$


def test_haversine_is_the_great_circle_distance():
    assert G.haversine_m(48.0, 2.0, 48.0, 2.0) == 0.0
    assert G.haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(6_371_000.0 * np.pi / 180, rel=1e-12)
    assert G.haversine_m(90.0, 0.0, -90.0, 0.0) == pytest.approx(6_371_000.0 * np.pi, rel=1e-12)


def test_compiled_lambert93_equals_the_python_projection():
    """engine._geocode.lambert93 (per result) rounds to the centimetre without Python's round():
    the same numbers as france.lambert93 (build time), bit for bit, across France."""
    from engine.geocoder.france import LAMBERT93, lambert93
    rng = random.Random(93)
    points = [(48.850699, 2.308628)] + [(41.0 + 10.5 * rng.random(), -5.5 + 15.0 * rng.random())
                                         for _ in range(20000)]
    for lat, lon in points:
        assert G.lambert93(lat, lon, *LAMBERT93) == lambert93(lat, lon), (lat, lon)


# ------------------------------------------------------------------ kernels on a tiny index

ROWS = [dict(number=n, street=s, postcode="75001", citycode="75101", city="Paris",
             lat=48.86 + 0.001 * i + 0.0001 * n, lon=2.34 + 0.001 * i)
        for i, s in enumerate(["Rue de Rivoli", "Rue du Louvre", "Avenue de l'Opera", "Rue Saint-Honore"])
        for n in (1, 2, 3, 10)]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return geocoder_from_rows(tmp_path_factory.mktemp("k"), addresses=ROWS)


def _run(g, text, q_scale=None, autocomplete=False, k=5):
    ix, ws = g.index, g.index.workspace()
    p = parse_query(text, ix.suffix_code, autocomplete)
    scale = np.ones(len(p.group)) if q_scale is None else np.asarray(q_scale, np.float64)
    n_touched = G.expand_entries(ix.view, ws, p.data, p.offsets, p.prefix, p.numeric, scale, 1)
    assert n_touched == ws.n_touched
    out_doc, out_hn, out_score = np.empty(k, np.int32), np.empty(k, np.int32), np.empty(k)
    nan2, nan4 = np.full(2, np.nan), np.full(4, np.nan)
    try:
        n, complete = G.score_candidates(ix.view, ws, p.group, p.numeric, p.weight, p.number, p.suffix,
                                         0xFF, np.ones(1, np.uint8), False, nan4, nan2, 5000.0,
                                         out_doc, out_hn, out_score)
        tokq = ws.tokq_np.copy()
    finally:
        G.reset_tokq(ws)
    return out_doc[:n].tolist(), out_hn[:n].tolist(), out_score[:n].tolist(), complete, tokq


def test_result_fields_round_importance_as_python_does(tiny):
    ix = tiny.index
    for d in range(ix.n_docs):
        assert G.result_fields(ix.view, d, -1)[2] == round(float(ix.d_imp[d]), 4)
    with pytest.raises(IndexError):
        G.result_fields(ix.view, ix.n_docs, -1)


def test_search_leaves_the_workspace_clear(tiny):
    doc, hn, score, complete, tokq = _run(tiny, "2 rue de rivoli paris")
    assert complete and hn[0] >= 0 and tokq.any()
    ws = tiny.index.workspace()
    assert not ws.tokq_np.any() and ws.n_touched == 0


def test_q_scale_multiplies_the_match_quality_of_its_entry(tiny):
    ix = tiny.index
    p = parse_query("rivoli", ix.suffix_code, False)
    t = G.lower_bound(ix.tok_off, ix.tok_data, b"rivoli")
    full = _run(tiny, "rivoli")[4]
    half = _run(tiny, "rivoli", q_scale=[0.5])[4]
    assert full[0, t] == 1.0 and half[0, t] == 0.5
    assert len(p.group) == 1
    # scale 1.0 is today's behaviour, bit for bit
    assert _run(tiny, "rue de rivoli", q_scale=[1.0, 1.0, 1.0])[:4] == _run(tiny, "rue de rivoli")[:4]
    # a lower-scored spelling ranks below the same match at full quality
    assert _run(tiny, "rivoli", q_scale=[0.6])[2][0] < _run(tiny, "rivoli")[2][0]


def test_expand_entries_rejects_inconsistent_queries(tiny):
    ix, ws = tiny.index, tiny.index.workspace()
    p = parse_query("rue de rivoli", ix.suffix_code, False)
    with pytest.raises(ValueError):
        G.expand_entries(ix.view, ws, p.data, p.offsets, p.prefix, p.numeric, np.ones(1), 1)
    with pytest.raises(ValueError):
        G.expand_entries(ix.view, ws, p.data, np.zeros(18, np.int64), np.zeros(17, np.uint8),
                         np.zeros(17, np.uint8), np.ones(17), 1)


@pytest.mark.parametrize("max_rings", [0, 1, 24])          # 0: always the full-scan fallback
def test_reverse_nearest_equals_brute_force(tiny, max_rings):
    ix = tiny.index
    from engine.geocoder import tokens as T
    rng = random.Random(max_rings)
    for _ in range(200):
        spread = 0.02 if rng.random() < 0.8 else 0.5
        lat, lon = 48.855 + spread * rng.random(), 2.335 + spread * rng.random()
        k = rng.randint(1, 20)
        out_ref, out_d = np.empty(k, np.int32), np.empty(k)
        n = G.reverse_nearest(ix.view, lat, lon, 0xFF, T.CELL_LAT, T.CELL_LON, T.CELL_X_BITS, max_rings,
                              out_ref, out_d)
        coslat = np.cos(np.radians(lat))
        dy = (ix.g_lat / 1e7 - lat) * 111_195.0
        dx = (ix.g_lon / 1e7 - lon) * 111_195.0 * coslat
        dist = np.sqrt(dx * dx + dy * dy)
        order = sorted(range(len(dist)), key=lambda p: (dist[p], ix.g_ref[p]))[:k]
        assert n == min(k, len(dist))
        assert out_ref[:n].tolist() == [int(ix.g_ref[p]) for p in order]
        np.testing.assert_array_equal(out_d[:n], dist[order])


def test_geocoding_needs_no_jit(tmp_path):
    """A fresh process opens a geocoder bundle, searches and reverses without importing Numba
    (issue 9: no JIT compilation before the first answer)."""
    geocoder_from_rows(tmp_path, addresses=ROWS)
    code = """
import sys
import engine
net = engine.open(sys.argv[1])
assert net.geocode("2 rue de rivoli", limit=3)[0].housenumber == "2"
assert net.geocode("rue du louv", autocomplete=True)
assert net.geocode("rue de rivolli", lat=48.86, lon=2.34)
assert net.reverse(48.86, 2.34)
assert "numba" not in sys.modules, "numba was imported"
"""
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "geo.bundle")], check=True)
