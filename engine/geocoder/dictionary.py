"""Build the searchable structures over documents (BUILD TIME ONLY).

- token dictionary: distinct tokens sorted by UTF-8 bytes (so a prefix is one row range, found
  by two binary searches: the trie as a sorted array), each with its doc postings (CSR);
- trigram -> token postings (typo tolerance: candidates share most trigrams);
- reverse grid: points (house numbers and point documents) sorted by cell, plus the cell list.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import tokens as T
from .normalize import normalize_tokens
from .phonetic import phonetic_key


def _csr_list(offsets: np.ndarray, values: np.ndarray) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values.astype(np.int32)))


def doc_token_lists(names: list[str], contexts: list[list[str]]) -> tuple[list[list[str]], np.ndarray]:
    """Per doc: deduplicated name tokens then context tokens; and the name-token counts."""
    lists, n_name = [], np.zeros(len(names), np.int16)
    for i, (name, ctx) in enumerate(zip(names, contexts)):
        seen: dict[str, None] = dict.fromkeys(normalize_tokens(name))
        n_name[i] = len(seen)
        for text in ctx:
            if text:
                seen.update(dict.fromkeys(normalize_tokens(text)))
        lists.append(list(seen))
    return lists, n_name


def build_dictionary(doc_tokens: list[list[str]]) -> tuple[pa.Table, pa.Array, pa.Table]:
    """(geocoder/tokens table, docs.tokens list column, geocoder/ngrams table)."""
    vocab = sorted({t for toks in doc_tokens for t in toks}, key=lambda s: s.encode("utf-8"))
    index = {t: i for i, t in enumerate(vocab)}
    lengths = np.array([len(t) for t in doc_tokens], np.int64)
    flat_tok = np.fromiter((index[t] for toks in doc_tokens for t in toks), np.int64, int(lengths.sum()))
    flat_doc = np.repeat(np.arange(len(doc_tokens), dtype=np.int64), lengths)
    doc_offsets = np.r_[0, np.cumsum(lengths)]
    doc_list = _csr_list(doc_offsets, flat_tok)
    order = np.lexsort((flat_doc, flat_tok))
    post_counts = np.bincount(flat_tok, minlength=len(vocab))
    post_offsets = np.r_[0, np.cumsum(post_counts)]
    tokens = pa.table({"token": pa.array(vocab, pa.string()),
                       "docs": _csr_list(post_offsets, flat_doc[order])})
    grams = [T.trigrams(t) for t in vocab]
    g_len = np.array([len(g) for g in grams], np.int64)
    g_all = np.concatenate(grams) if grams else np.empty(0, np.uint32)
    g_tok = np.repeat(np.arange(len(vocab), dtype=np.int64), g_len)
    order = np.lexsort((g_tok, g_all))
    g_all, g_tok = g_all[order], g_tok[order]
    keys, starts = np.unique(g_all, return_index=True)
    ngrams = pa.table({"ngram": pa.array(keys.astype(np.uint32)),
                       "tokens": _csr_list(np.r_[starts, len(g_all)], g_tok)})
    return tokens, doc_list, ngrams


def build_grid(refs: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """(geocoder/grid_points, geocoder/grid_cells) for points ``refs`` at ``lat``/``lon``."""
    keys = T.cell_key(lat, lon)
    order = np.lexsort((refs, keys))
    keys = keys[order]
    cells, starts = np.unique(keys, return_index=True)
    points = pa.table({
        "ref": pa.array(refs[order].astype(np.int32)),
        "lat_e7": pa.array(np.round(lat[order] * T.COORD_SCALE).astype(np.int32)),
        "lon_e7": pa.array(np.round(lon[order] * T.COORD_SCALE).astype(np.int32)),
    })
    grid_cells = pa.table({
        "cell": pa.array(np.r_[cells, np.iinfo(np.int64).max].astype(np.int64)),
        "start": pa.array(np.r_[starts, len(keys)].astype(np.int32)),
    })
    return points, grid_cells


def build_phonetic(vocab: list[str]) -> pa.Table:
    """geocoder/phonetic: sound-alike keys (``phonetic.phonetic_key``) sorted by UTF-8 bytes, each
    with the dictionary tokens that have it (tokens of four letters or more, no digits)."""
    by_key: dict[str, list[int]] = {}
    for t, token in enumerate(vocab):
        if len(token) >= 4 and token.isalpha():
            by_key.setdefault(phonetic_key(token), []).append(t)
    keys = sorted(by_key, key=lambda s: s.encode("utf-8"))
    lengths = np.array([len(by_key[k]) for k in keys], np.int64)
    flat = np.fromiter((t for k in keys for t in by_key[k]), np.int64, int(lengths.sum()))
    return pa.table({"key": pa.array(keys, pa.string()), "tokens": _csr_list(np.r_[0, np.cumsum(lengths)], flat)})
