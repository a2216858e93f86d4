"""A broad query word ("10 r", "rue du m") takes its candidates by importance, up to a budget:
the most populous commune's street still wins, a focus point still picks the nearby homonym,
and results come from the most important docs that match the word."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import engine

HEADER = "id;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat"
# commune -> (postcode, insee, name, lon, lat, addresses on its "Rue du Moulin")
COMMUNES = [
    ("39300", "39478", "Saint-Maurice", 5.80, 46.60, 3),
    ("77120", "77420", "Saint-Maurice-en-Brie", 2.95, 48.80, 40),
    ("29200", "29019", "Brest", -4.49, 48.39, 25),
    ("67000", "67482", "Strasbourg", 7.75, 48.58, 12),
]
STREETS = ("Rue du Moulin", "Rue de la Gare", "Rue des Roses", "Grande Rue")


@pytest.fixture(scope="module")
def geocoder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("broad")
    lines = [HEADER]
    for postcode, insee, name, lon, lat, n in COMMUNES:
        for s, street in enumerate(STREETS):
            for k in range(1, n // (s + 1) + 2):
                lines.append(f"{insee}_{s}_{k:05d};{k};;{street};{postcode};{insee};{name};"
                             f"{lon + k * 1e-4:.6f};{lat + s * 1e-3:.6f}")
    csv = tmp / "ban.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp / "fr.bundle"
    engine.build(out, addresses=[csv])
    return engine.open(out).geocoder


@contextlib.contextmanager
def budget(geocoder, cand_budget: int, trim_only: bool = False):
    """Every word counts as broad and gives at most cand_budget candidates (this thread);
    ``trim_only``: no word is broad, but a one-word query keeps cand_budget candidates."""
    ix = geocoder.index
    ws = ix.workspace()
    if trim_only:
        ws.use_importance_order(ix.importance_order(), 10**9, cand_budget, 0)
    else:
        ws.use_importance_order(ix.importance_order(), 0, cand_budget)
    try:
        yield
    finally:
        ws.use_importance_order(ix.importance_order())


def _ids(results):
    return [(p.id, p.label) for p in results]


def test_importance_order_is_importance_descending(geocoder):
    ix = geocoder.index
    order = ix.importance_order()
    assert sorted(order.tolist()) == list(range(ix.n_docs))
    imp = np.asarray(ix.d_imp)[order]
    assert np.all(imp[:-1] >= imp[1:])


@pytest.mark.parametrize("q, autocomplete", [("Rue du Moulin", False), ("rue du mou", True),
                                             ("2 r", True), ("12 rue de la g", True), ("grande", False)])
def test_a_small_budget_keeps_the_best_result_when_importance_decides(geocoder, q, autocomplete):
    full = geocoder.search(q, autocomplete=autocomplete)
    with budget(geocoder, 3):
        small = geocoder.search(q, autocomplete=autocomplete)
    assert full and small
    assert _ids(small)[0] == _ids(full)[0]


@pytest.mark.parametrize("q, autocomplete", [("moulin", False), ("2 gar", True), ("grande", False)])
def test_a_one_word_query_trimmed_by_importance_keeps_its_best_result(geocoder, q, autocomplete):
    full = geocoder.search(q, autocomplete=autocomplete)
    with budget(geocoder, 2, trim_only=True):
        small = geocoder.search(q, autocomplete=autocomplete, limit=10)
    assert full and small and len(small) <= 2
    assert _ids(small)[0] == _ids(full)[0]


@pytest.mark.parametrize("trim_only", [False, True])
def test_a_commune_filter_still_finds_its_small_commune(geocoder, trim_only):
    with budget(geocoder, 1, trim_only=trim_only):
        got = geocoder.search("moulin", postcode="39300")
        assert got and got[0].citycode == "39478"
        got = geocoder.search("rue du mou", autocomplete=True, citycode="39478")
        assert got and got[0].citycode == "39478"


def test_the_budget_is_off_with_a_focus_point(geocoder):
    with budget(geocoder, 1):
        near = geocoder.search("rue du moul", autocomplete=True, lat=46.5, lon=5.9)
        assert near[0].citycode == "39478"          # the small commune, nearby
        assert _ids(near) == _ids(geocoder.search("rue du moul", autocomplete=True, lat=46.5, lon=5.9,
                                                  limit=5))


def test_budgeted_results_are_the_most_important_docs_of_the_word(geocoder):
    ix = geocoder.index
    token = ix.tok_data[:].tobytes()
    words = [token[ix.tok_off[t]:ix.tok_off[t + 1]].decode() for t in range(ix.n_tokens)]
    grande = words.index("grande")
    docs_of_word = set(ix.post_docs[ix.post_off[grande]:ix.post_off[grande + 1]].tolist())
    top3 = [d for d in ix.importance_order().tolist() if d in docs_of_word][:3]
    expected_streets = {geocoder._place(d, -1, 1.0).label for d in top3}
    with budget(geocoder, 3):
        got = geocoder.search("grande", limit=10, types=["street"])
        # a type filter turns the budget off: every street of that name
        assert len(got) == len(docs_of_word)
        got = geocoder.search("grande", limit=10)
    assert 1 <= len(got) <= 3
    assert {p.label for p in got} <= expected_streets


def test_use_importance_order_rejects_a_bad_order(geocoder):
    ws = geocoder.index.workspace()
    with pytest.raises(ValueError, match="every doc"):
        ws.use_importance_order(np.zeros(1, np.int32))
    with pytest.raises(ValueError, match="doc ids"):
        ws.use_importance_order(np.full(geocoder.index.n_docs, -1, np.int32))
    with pytest.raises(ValueError, match="cand_budget"):
        ws.use_importance_order(geocoder.index.importance_order(), 0, 0)
    with pytest.raises(ValueError, match="trim_above"):
        ws.use_importance_order(geocoder.index.importance_order(), 0, 5, -1)
