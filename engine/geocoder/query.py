"""Query text -> the flat arrays the kernels read (entries grouped into words).

Uses the same normaliser as the index (``normalize``), then adds what only queries need:
house numbers (``12``, ``12bis``, ``12 bis``, ``12 B``, ``1 s1``, ``12-14``) anywhere in the
text, stopword weights, and for autocomplete the last word as a prefix (its raw spelling as a
prefix plus its expansion, so ``av`` finds ``avenue`` and ``avenir``).
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .. import _geocode as G
from .._geocode import MAX_ENTRIES
from .normalize import (DEFAULT_LOCALE, STOPWORDS, SUFFIX_CANON, _RANGE, canonical_suffix, expand_token, fold,
                        split_housenumber)
from .reading import (_ARR_WORDS, STREET_TYPES, TYPE_WEIGHT, VENUE_WEIGHT, ReadingContext, district_at,
                      prepare_words, strip_codes)

#: Letters that follow a number but are words, not suffixes ("12 l'eglise", "3 d'alembert").
_NOT_SUFFIX = frozenset({"l", "d"})
STOP_WEIGHT = 0.3
#: Match quality of a sound-alike spelling relative to an exact one (``q_scale`` of its entry).
PHONETIC_SCALE = 0.8


class ParsedQuery(NamedTuple):
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
    q_scale: np.ndarray | None = None   # float64 per entry: factor on its match qualities (1.0 = exact path)
    kind: tuple[str, ...] = ()          # per group: "number", "postcode", "district", "word", "type", "venue"
    #: some non-numeric, non-prefix entry is long enough (4 bytes) for typo expansion
    has_long_word: bool = False

    @property
    def empty(self) -> bool:
        return len(self.group) == 0


@lru_cache(maxsize=65536)
def _expanded(word: str, locale: str) -> tuple[str, ...]:
    """A folded word's canonical spellings (memoised: the vocabulary of queries is small)."""
    return tuple(expand_token(word, locale).split())


def _read(text: str) -> list[str]:
    """Folded query words: postal codes out, house-number ranges reduced, glued runs split, noise dropped."""
    text = strip_codes(text)
    if "-" in text or "/" in text:
        text = _RANGE.sub(r"\1", text)
    return prepare_words(fold(text).split())


def parse_query(text: str, suffix_code: dict[str, int], autocomplete: bool,
                locale: str = DEFAULT_LOCALE, context: ReadingContext | None = None,
                phonetic: bool = False, ignore: frozenset[int] = frozenset(),
                type_weight: float = TYPE_WEIGHT, words: tuple[str, ...] | None = None) -> ParsedQuery:
    """Normalise ``text`` and lay it out as entries/groups (see module docstring).

    ``context``: the index's arrondissements and phonetic lookup (``reading``); ``phonetic``:
    add up to three sound-alike dictionary spellings to each long word, scored PHONETIC_SCALE;
    ``ignore``: group indices whose weight is set to 0 (words that matched nothing);
    ``type_weight``: weight of a street-type word (the search's first pass uses 1.0);
    ``words``: ``ParsedQuery.words`` of an earlier parse of the same text (read once per query).
    """
    if words is None:
        words = _read(text)
    groups: list[tuple[list[tuple[str, bool, bool]], float, int, int]] = []
    kinds: list[str] = []
    i = 0
    while i < len(words) and len(groups) < MAX_ENTRIES:
        w = words[i]
        first = w[0]
        if first.isdigit() or first in "ivx":       # district_at needs one of these
            district = district_at(words, i, context, "number" in kinds)
            if district is not None:
                consumed, spellings = district
                groups.append(([(x, False, True) for x in spellings], 1.0, -1, 0))
                kinds.append("district")
                i += consumed
                continue
        if w in _ARR_WORDS:
            i += 1
            continue
        if autocomplete and i == len(words) - 1 and w.isdigit() and len(w) < 5 and "number" in kinds:
            # digits typed after a house number and a street: a postcode being typed (a second
            # house number would leave every document incomplete), so a prefix of postcodes
            groups.append(([(w, True, False)], 1.0, -1, 0))
            kinds.append("postcode")
            i += 1
            continue
        hn = split_housenumber(w) if first.isdigit() else None
        if hn is not None and len(w) == 5 and w.isdigit():
            groups.append(([(w, False, True)], 1.0, -1, 0))      # a postcode, never a house number
            kinds.append("postcode")
            i += 1
            continue
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
            kinds.append("number")
            i += 1
            continue
        expanded = _expanded(w, locale)
        if autocomplete and i == len(words) - 1:
            entries = [(w, True, False)]
            if len(expanded) == 1 and expanded[0] != w:
                entries.append((expanded[0], False, False))
            groups.append((entries, STOP_WEIGHT if w in STOPWORDS else 1.0, -1, 0))
            kinds.append("word")
        else:
            for e in expanded:
                weight = STOP_WEIGHT if (e in STOPWORDS or len(e) == 1) else 1.0
                if e in STREET_TYPES:
                    weight = min(weight, type_weight)
                    kinds.append("type")
                else:
                    kinds.append("word")
                groups.append(([(e, False, False)], weight, -1, 0))
        i += 1
    groups = _weigh(groups, kinds, ignore)
    if phonetic and context is not None:
        groups = _with_sound_alikes(groups, context)
    return _layout(groups, kinds, words)


def _layout(groups: list, kinds: list[str], words: list[str]) -> ParsedQuery:
    """The kernels' arrays (``engine._geocode.pack_query``: the first MAX_ENTRIES entries and
    the groups they belong to)."""
    data, offsets, group, prefix, numeric, q_scale, weight, number, suffix, ng, long_word = G.pack_query(groups)
    return ParsedQuery(data, offsets, group, prefix, numeric, weight, number, suffix, tuple(words), q_scale,
                       tuple(kinds[:ng]), long_word)


def _weigh(groups: list, kinds: list[str], ignore: frozenset[int]) -> list:
    """Venue words (before a house number followed by a street type) weigh VENUE_WEIGHT;
    ignored groups weigh 0."""
    venue_end = 0
    for g in range(1, len(groups) - 1):
        if kinds[g] == "number" and kinds[g + 1] == "type" and any(k == "word" for k in kinds[:g]):
            venue_end = g
            break
    out = []
    for g, (ents, weight, num, suf) in enumerate(groups):
        if g < venue_end and kinds[g] in ("word", "type"):
            weight = min(weight, VENUE_WEIGHT)
            kinds[g] = "venue"
        if g in ignore:
            weight = 0.0
        out.append((ents, weight, num, suf))
    return out


def _with_sound_alikes(groups: list, context: ReadingContext) -> list:
    """Each long plain word gets its sound-alike dictionary spellings (q_scale PHONETIC_SCALE),
    as long as every group keeps its own entry within MAX_ENTRIES."""
    budget = MAX_ENTRIES - sum(len(g[0]) for g in groups)
    out = []
    for ents, weight, num, suf in groups:
        word, prefix, numeric = ents[0][:3]
        if budget > 0 and prefix and len(word) >= 4:
            ents = ents + [(word, False, False)]        # an autocomplete word typed in full: typos too
            budget -= 1
        if budget > 0 and not numeric and weight > 0 and (len(ents) == 1 or prefix):
            alikes = [a for a in context.sound_alikes(word, min(3, budget)) if all(a != e[0] for e in ents)]
            ents = ents + [(a, False, False, PHONETIC_SCALE) for a in alikes]
            budget -= len(alikes)
        out.append((ents, weight, num, suf))
    return out
