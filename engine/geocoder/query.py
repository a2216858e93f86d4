"""Query text -> the flat arrays the kernels read (entries grouped into words).

Uses the same normaliser as the index (``normalize``), then adds what only queries need:
house numbers (``12``, ``12bis``, ``12 bis``, ``12 B``, ``1 s1``, ``12-14``) anywhere in the
text, stopword weights, and for autocomplete the last word as a prefix (its raw spelling as a
prefix plus its expansion, so ``av`` finds ``avenue`` and ``avenir``).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from . import _kernels as K
from .normalize import (DEFAULT_LOCALE, STOPWORDS, SUFFIX_CANON, _RANGE, canonical_suffix, expand_token, fold,
                        split_housenumber)

#: Letters that follow a number but are words, not suffixes ("12 l'eglise", "3 d'alembert").
_NOT_SUFFIX = frozenset({"l", "d"})
STOP_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """Entries (token spellings) and groups (query words) as numpy arrays for the kernels."""

    data: np.ndarray        # uint8 UTF-8 bytes of all entries
    offsets: np.ndarray     # int64, len = n_entries + 1
    group: np.ndarray       # int32 entry -> group
    prefix: np.ndarray      # uint8 entry matched as a prefix (autocomplete last word)
    numeric: np.ndarray     # uint8 entry is a number (exact lookups only)
    weight: np.ndarray      # float64 per group
    number: np.ndarray      # int32 per group: house number, -1 if the word is not one
    suffix: np.ndarray      # int32 per group: suffix code, 0 none, -1 unknown
    words: tuple[str, ...]  # for debugging / explain

    @property
    def empty(self) -> bool:
        return len(self.group) == 0

    @property
    def has_long_word(self) -> bool:
        """Some non-numeric, non-prefix entry is long enough for typo expansion."""
        lengths = np.diff(self.offsets)
        return bool(((lengths >= 4) & (self.numeric == 0) & (self.prefix == 0)).any())


def parse_query(text: str, suffix_code: dict[str, int], autocomplete: bool,
                locale: str = DEFAULT_LOCALE) -> ParsedQuery:
    """Normalise ``text`` and lay it out as entries/groups (see module docstring)."""
    words = fold(_RANGE.sub(r"\1", text)).split()
    groups: list[tuple[list[tuple[str, bool, bool]], float, int, int]] = []
    i = 0
    while i < len(words) and len(groups) < K.MAX_ENTRIES:
        w = words[i]
        last = i == len(words) - 1
        hn = split_housenumber(w)
        if hn is not None:
            num, suf = hn
            if not suf and i + 1 < len(words):
                nxt = words[i + 1]
                is_abbrev = expand_token(nxt, locale) != nxt and nxt not in SUFFIX_CANON
                if (nxt in suffix_code or canonical_suffix(nxt) in suffix_code) and nxt not in _NOT_SUFFIX \
                        and not is_abbrev \
                        and not (autocomplete and i + 1 == len(words) - 1 and len(nxt) > 1
                                 and nxt not in suffix_code):
                    suf = nxt
                    i += 1
            code = suffix_code.get(suf, suffix_code.get(canonical_suffix(suf), -1)) if suf else 0
            groups.append(([(w, False, True)], 1.0, num if num < 2**31 else -1, code))
            i += 1
            continue
        expanded = expand_token(w, locale).split()
        if autocomplete and last:
            entries = [(w, True, False)]
            if len(expanded) == 1 and expanded[0] != w:
                entries.append((expanded[0], False, False))
            groups.append((entries, STOP_WEIGHT if w in STOPWORDS else 1.0, -1, 0))
        else:
            for e in expanded:
                weight = STOP_WEIGHT if (e in STOPWORDS or len(e) == 1) else 1.0
                groups.append(([(e, False, False)], weight, -1, 0))
        i += 1
    entries = [(e, g) for g, (ents, _, _, _) in enumerate(groups) for e in ents][:K.MAX_ENTRIES]
    encoded = [e[0].encode("utf-8") for e, _ in entries]
    n_groups = entries[-1][1] + 1 if entries else 0
    groups = groups[:n_groups]
    return ParsedQuery(
        data=np.frombuffer(b"".join(encoded) or b"\0", np.uint8),
        offsets=np.array([0, *accumulate(len(b) for b in encoded)], np.int64),
        group=np.array([g for _, g in entries], np.int32),
        prefix=np.array([e[1] for e, _ in entries], np.uint8),
        numeric=np.array([e[2] for e, _ in entries], np.uint8),
        weight=np.array([g[1] for g in groups], np.float64),
        number=np.array([g[2] for g in groups], np.int32),
        suffix=np.array([g[3] for g in groups], np.int32),
        words=tuple(words),
    )
