"""Candidates of a query with several required words (engine/_geocode.pyx _collect_intersection):
the docs having every one of them. On a small generated national bundle, with typed autocomplete
prefixes: untrimmed, results equal the former path's (every doc of the cheapest word scored);
trimmed, every result has all the required words and is among the most important such docs;
the pruned scoring loop gives the same top results whatever k; a trailing number after a house
number reads as a postcode being typed."""
from __future__ import annotations

import urllib.parse

import numpy as np
import pytest

import engine
from benchmarks.national import addresses as gen
from benchmarks.national.http_bench import typed_prefixes
from engine import _geocode as G
from engine.geocoder.query import parse_query

VOCAB = ("Rue de Rivoli", "Avenue du Général Lemonnier", "Boulevard Saint-Germain", "Rue de la Paix")
NO_BUDGET = dict(broad_postings=10**9, cand_budget=10**6, trim_above=10**9)


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("intersect")
    csv = tmp / "ban.csv.gz"
    gen.generate(csv, 30_000, seed=3, n_communes=150, paris=VOCAB)
    out = tmp / "fr.bundle"
    engine.build(out, addresses=[csv])
    geocoder = engine.open(out).geocoder
    queries = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query)["q"][0]
               for p in typed_prefixes(str(out), 400, seed=11)]
    queries += ["rue de la", "12 rue de la p", "avenue du g", "rue saint", "3 rue de la gare 7", "chemin du m"]
    return geocoder, queries


@pytest.fixture()
def ws(national):
    geocoder, _ = national
    ix = geocoder.index
    ws = ix.workspace()
    yield ws
    ws.use_importance_order(ix.importance_order())
    ws.set_intersection()


def _score(geocoder, ws, q, k):
    """(docs, rows, scores, complete, required-group doc sets) of the first pass of autocomplete q."""
    ix = geocoder.index
    p = parse_query(q, ix.suffix_code, True, context=geocoder.reading, type_weight=1.0)
    if p.empty:
        return None
    G.expand_entries(ix.view, ws, p.data, p.offsets, p.prefix, p.numeric, p.q_scale, 1)
    out_doc, out_hn, out_score = np.empty(k, np.int32), np.empty(k, np.int32), np.empty(k)
    try:
        n, complete = G.score_candidates(ix.view, ws, p.group, p.numeric, p.weight, p.number, p.suffix,
                                         0xFF, np.ones(1, np.uint8), False, np.full(4, np.nan),
                                         np.full(2, np.nan), 5000.0, out_doc, out_hn, out_score)
        tokq = ws.tokq_np[:len(p.group)].copy()
    finally:
        G.reset_tokq(ws)
    required = []
    for g in range(len(p.weight)):
        if p.weight[g] >= 1.0 and p.number[g] < 0:
            tokens = np.flatnonzero((tokq[p.group == g] > 0).any(axis=0))
            required.append(set(np.concatenate([ix.post_docs[ix.post_off[t]:ix.post_off[t + 1]]
                                                for t in tokens] or [np.empty(0, np.int32)]).tolist()))
    return out_doc[:n].tolist(), out_hn[:n].tolist(), out_score[:n].tolist(), complete, required


@pytest.mark.parametrize("direct_postings", [0, 10**9])      # bitmaps; the rarest word's docs checked
def test_untrimmed_intersection_equals_the_former_path(national, ws, direct_postings):
    geocoder, queries = national
    ix = geocoder.index
    intersected = 0
    for q in queries:
        ws.use_importance_order(ix.importance_order(), **NO_BUDGET)
        ws.set_intersection(False)
        former = _score(geocoder, ws, q, 8)
        ws.set_intersection(True, 10**9, exact_fill=True, direct_postings=direct_postings)
        new = _score(geocoder, ws, q, 8)
        if former is None:
            continue
        intersected += ws.last_path > 0
        assert new[:4] == former[:4], q
    assert intersected > len(queries) // 3          # the path under test ran


def test_a_trimmed_intersection_keeps_the_most_important_complete_matches(national, ws):
    geocoder, queries = national
    ix = geocoder.index
    imp_bin = np.minimum((np.asarray(ix.d_imp, np.float64) * 1024).astype(np.int64), 1024)
    budget, checked = 8, 0
    ws.use_importance_order(ix.importance_order(), 10**9, budget, 10**9)
    ws.set_intersection(True, budget)
    for q in queries:
        got = _score(geocoder, ws, q, 4)         # fewer than the budget: no filling (path 1)
        if got is None or ws.last_path != 1 or len(got[4]) < 2:
            continue
        docs, required = got[0], got[4]
        both = set.intersection(*required)
        if len(both) <= budget:
            continue
        checked += 1
        assert got[3]                                   # complete matches
        assert set(docs) <= both, q
        # kept: the `budget` most important of them, by 1/1024 importance bins
        floor = sorted((imp_bin[d] for d in both), reverse=True)[budget - 1]
        assert min(imp_bin[d] for d in docs) >= floor, q
    assert checked >= 10


def test_the_pruned_top_k_is_the_start_of_a_longer_one(national, ws):
    geocoder, queries = national
    ix = geocoder.index
    ws.use_importance_order(ix.importance_order(), **NO_BUDGET)
    ws.set_intersection(True, 10**9, exact_fill=True)     # k does not decide which docs are scored
    for q in queries[:150]:
        short, long_ = _score(geocoder, ws, q, 3), _score(geocoder, ws, q, 100)
        if short is None:
            continue
        n = len(short[0])
        assert (short[0], short[1]) == (long_[0][:n], long_[1][:n]), q
        assert short[2] == long_[2][:n]


def test_search_results_stay_complete_matches_first(national):
    geocoder, _ = national
    got = geocoder.search("12 rue de la p", autocomplete=True, limit=5)
    assert got and all(" de la p" in p.label.lower() for p in got[:1])


@pytest.mark.parametrize("text, last_kind, prefix", [("3 route de montigny 7", "postcode", 1),
                                                     ("3 route de montigny 770", "postcode", 1),
                                                     ("route de montigny 7", "number", 0),
                                                     ("3 route de montigny 77120", "postcode", 0)])
def test_digits_after_a_house_number_are_a_postcode_being_typed(text, last_kind, prefix):
    p = parse_query(text, {"": 0}, True)
    assert p.kind[-1] == last_kind
    assert p.prefix[-1] == prefix
    assert p.number[-1] < 0 if last_kind == "postcode" else p.number[-1] == 7
    full = parse_query(text, {"": 0}, False)         # not autocompleting: a number as before
    assert full.prefix[-1] == 0


def test_set_intersection_rejects_a_negative_threshold(national):
    with pytest.raises(ValueError, match="trim_above"):
        national[0].index.workspace().set_intersection(True, -1)
