"""Numba kernels: prefix ranges over the sorted dictionary, bounded edit distance."""
import numpy as np
import pyarrow as pa

from engine.geocoder import _kernels as K
from engine.geocoder.index import _string_buffers
from engine.geocoder.tokens import trigrams


def _dict(words):
    arr = pa.array(sorted(words, key=lambda s: s.encode()))
    return (*_string_buffers(arr), arr.to_pylist())


def _q(s):
    b = np.frombuffer(s.encode(), np.uint8)
    return b, 0, len(b)


def test_prefix_range_is_the_tokens_starting_with_the_prefix():
    off, data, words = _dict(["avenue", "avenir", "av", "rue", "azur", "a", "b"])
    q, qs, qe = _q("av")
    lo = K.lower_bound(off, data, q, qs, qe)
    hi = K.prefix_end(off, data, q, qs, qe, lo)
    assert words[lo:hi] == ["av", "avenir", "avenue"]
    q, qs, qe = _q("zz")
    lo = K.lower_bound(off, data, q, qs, qe)
    assert K.prefix_end(off, data, q, qs, qe, lo) == lo == len(words)


def test_osa_distance_counts_one_transposition_as_one_edit():
    dp = np.zeros((3, 64), np.int32)

    def d(a, b, maxd=2):
        x, y = a.encode(), b.encode()
        return K.osa_distance(np.frombuffer(x, np.uint8), 0, len(x), np.frombuffer(y, np.uint8), 0, len(y), maxd, dp)
    assert d("rivoli", "rivoli") == 0
    assert d("rivoli", "rivili") == 1
    assert d("navarin", "navrain") == 1
    assert d("rivoli", "rvoli") == 1
    assert d("rivoli", "xxxoli", 2) == 3          # capped at maxd + 1


def test_trigrams_are_padded_and_distinct():
    g = trigrams("aaaa")
    assert len(g) == len(set(g.tolist())) == 3    # ^aa, aaa, aa$
