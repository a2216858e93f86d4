"""Index invariants: sorted dictionary, postings, grid, house numbers grouped per street."""
import numpy as np

from engine.testing.geocoder import PARIS, geocoder_from_rows
from engine.geocoder.tokens import cell_key


def test_index_invariants(tmp_path):
    g = geocoder_from_rows(tmp_path, PARIS)
    ix = g.index
    toks = [bytes(ix.tok_data[ix.tok_off[i]:ix.tok_off[i + 1]]) for i in range(ix.n_tokens)]
    assert toks == sorted(toks) and len(set(toks)) == len(toks)
    # postings ascending, and every posting is mirrored in the doc -> tokens lists
    for t in range(ix.n_tokens):
        docs = ix.post_docs[ix.post_off[t]:ix.post_off[t + 1]]
        assert (np.diff(docs) > 0).all()
        for d in docs:
            assert t in ix.dtok[ix.dtok_off[d]:ix.dtok_off[d + 1]]
    # house numbers sorted by (number, suffix) inside each street
    for d in np.flatnonzero(ix.d_hnc):
        rows = slice(ix.d_hnf[d], ix.d_hnf[d] + ix.d_hnc[d])
        pairs = list(zip(ix.hn_num[rows], ix.hn_suf[rows]))
        assert pairs == sorted(pairs)
    # grid points sorted by cell, every house number present once
    keys = cell_key(ix.g_lat / 1e7, ix.g_lon / 1e7)
    assert (np.diff(keys) >= 0).all()
    assert sorted(ix.g_ref[ix.g_ref >= 0].tolist()) == list(range(len(PARIS)))
    assert ix.n_docs == 6 + 6 + 1        # 6 streets (Rivoli twice), 6 arrondissements, the commune Paris


def test_empty_inputs_give_an_empty_but_valid_index(tmp_path):
    g = geocoder_from_rows(tmp_path, [], [{"name": "Solo", "type": "poi", "lat": 1.0, "lon": 2.0}])
    assert g.search("solo")[0].label == "Solo"
    assert g.search("nothing here") == []
    assert g.reverse(1.0, 2.0)[0].name == "Solo"


def test_ban_pattern_ids_are_not_stored_but_rebuilt(tmp_path):
    rows = [{"id": "75101_abc_00012_bis", "number": 12, "suffix": "bis", "street": "Rue A", "citycode": "75101",
             "city": "Paris", "lat": 48.0, "lon": 2.0},
            {"id": "custom-7", "number": 7, "street": "Rue B", "citycode": "75101", "city": "Paris",
             "lat": 48.001, "lon": 2.0}]
    g = geocoder_from_rows(tmp_path, rows)
    stored = [g.index.hn_id[i] for i in range(2)]
    assert sorted(stored) == ["", "custom-7"]
    assert g.search("12 bis rue a")[0].id == "75101_abc_00012_bis"
    assert g.search("7 rue b")[0].id == "custom-7"
    assert g.reverse(48.0, 2.0)[0].id == "75101_abc_00012_bis"
