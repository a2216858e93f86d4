"""How a query is read, for French as people type it (QUERY TIME, before ``query.parse_query``).

On the folded words of the query:

1. **glued tokens** are split where a digit run meets letters (``rivoli75004`` -> ``rivoli
   75004``, ``75004paris`` -> ``75004 paris``, ``12rue`` -> ``12 rue``), except house-number
   forms (``12bis``, ``12b``, ``1s1``) and ordinals (``17eme``, ``1er``);
2. **noise** is dropped: ``bat B``, ``batiment 2``, ``esc A``, ``3e etage``, ``appt 12``, ``porte
   4``, ``rdc``, ``cedex`` (and its number), ``BP 42``, ``CS 10001``, ``chez X``, a final
   ``france``;
3. **arrondissements** (:func:`district_at`): ``paris 7``, ``paris 7e``, ``7eme arrondissement``,
   ``paris VII``, ``lyon 3eme`` become one query word whose spellings are the arrondissement's
   postcodes (and ``7e``, the token of its municipality document): it matches the documents of
   that district and is never a house number;
4. **weights** (``query.parse_query``): a street type (rue, avenue ...) weighs ``TYPE_WEIGHT`` of a
   name word so that the name decides (``144 rue de Ségur`` finds Avenue de Ségur), and the words
   before a house number that is followed by a street type (a venue: ``Hôtel Machin 62 rue X``)
   weigh ``VENUE_WEIGHT``.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from difflib import SequenceMatcher
from dataclasses import dataclass, field

from .france import ARRONDISSEMENTS, arrondissement_number
from .normalize import SUFFIX_CANON, fold
from .phonetic import phonetic_key

TYPE_WEIGHT = 0.5
VENUE_WEIGHT = 0.25
#: Street types (folded, after abbreviation expansion).
STREET_TYPES = frozenset(
    "rue avenue boulevard place impasse allee chemin quai square villa passage cite cour cours route "
    "sentier voie port pont parvis promenade esplanade galerie hameau jardin jardins rond point carrefour "
    "faubourg ruelle sente square porte mail berge berges quartier residence lotissement chaussee "
    "traverse montee descente escalier escaliers rampe parc".split())
_ORDINAL = re.compile(r"^(\d{1,2})(e|er|ere|eme|ieme|em|me|nd|nde)$")
_ROMAN = {r: i + 1 for i, r in enumerate(
    "i ii iii iv v vi vii viii ix x xi xii xiii xiv xv xvi xvii xviii xix xx".split())}
_ROMAN_ORD = re.compile(r"^([ivx]{1,5})(e|er|eme|ieme)?$")
_ARR_WORDS = frozenset({"arrondissement", "arrondissements", "arr", "arrdt", "ardt", "arrond", "arrt"})
_COMMUNES = frozenset({"paris", "lyon", "marseille"})
_RUNS = re.compile(r"\d+|[^\d]+")
_KEEP_GLUED = frozenset(SUFFIX_CANON) | {"e", "er", "ere", "eme", "ieme", "em", "me", "nd", "nde"}
#: word -> how many following words it takes with it (when they look like a code: short or digits)
_NOISE_ARG = {"bat": 1, "batiment": 1, "bt": 1, "bal": 1, "esc": 1, "escalier": 1, "appt": 1, "apt": 1,
              "app": 1, "appart": 1, "appartement": 1, "logement": 1, "lgt": 1, "log": 1, "bp": 1, "cs": 1,
              "tsa": 1, "cedex": 1, "porte": 1, "etage": 1, "etg": 1, "chez": 1, "digicode": 1, "code": 1,
              "boite": 1, "interphone": 1}
_NOISE = frozenset({"rdc", "cedex", "etage", "etg"})
#: Every word the noise rules of ``prepare_words`` look at.
_NOISE_WORDS = frozenset(_NOISE_ARG) | _NOISE | {"france"}


@lru_cache(maxsize=65536)
def _split(word: str) -> tuple[str, ...]:
    """A folded word's glued runs (memoised: the vocabulary of queries is small)."""
    runs = _RUNS.findall(word)
    if len(runs) < 2:
        return (word,)
    if runs[0].isdigit():
        if len(runs[0]) < 5 and (runs[1] in _KEEP_GLUED or len(runs[1]) <= 2) \
                and (len(runs) == 2 or (len(runs) == 3 and len(runs[2]) <= 2)):
            return (word,)      # 12bis, 12b, 1s1, 17eme, 1er
    elif len(runs) == 2 and len(runs[0]) <= 2:
        return (word,)          # s1, p12: BAN suffix spellings
    return tuple(runs)


def _is_code(word: str) -> bool:
    return word.isdigit() or len(word) <= 2 or bool(_ORDINAL.match(word)) or any(c.isdigit() for c in word)


_CODES = re.compile(r"\b(?:bp|cs|tsa|cedex)\s*\d+\b", re.IGNORECASE)


def strip_codes(text: str) -> str:
    """Raw text without postal box / CEDEX codes ("BP 42 - 62 rue X": 42-62 is not a range)."""
    return _CODES.sub(" ", text)


def prepare_words(words: list[str]) -> list[str]:
    """Split glued digit/letter runs and drop noise words (steps 1-2 of the module docstring)."""
    split: list[str] = []
    for w in words:
        split.extend(_split(w))
    if _NOISE_WORDS.isdisjoint(split):
        return split                                    # the usual case: nothing to drop
    out: list[str] = []
    i = 0
    while i < len(split):
        w = split[i]
        nxt = split[i + 1] if i + 1 < len(split) else None
        if w in ("etage", "etg") and out and (_ORDINAL.match(out[-1]) or out[-1].isdigit()):
            out.pop()                                   # "3e etage"
            i += 1
            continue
        if w in ("bp", "cs", "tsa") and not (nxt or "").isdigit():
            out.append(w)                               # "74 bp": a BAN suffix, not a postal box
            i += 1
            continue
        if w in _NOISE_ARG and nxt is not None and _is_code(nxt) and not (w == "porte" and not nxt.isdigit()):
            if w in ("cedex", "etage", "etg") or nxt.isdigit() or len(nxt) <= 2 or w == "chez":
                i += 2
                continue
        if w == "chez" and nxt is not None:
            i += 2
            continue
        if w in _NOISE or (w == "france" and i == len(split) - 1 and out
                           and (len(out[-1]) == 5 and out[-1].isdigit() or out[-1] in _COMMUNES)):
            i += 1
            continue
        out.append(w)
        i += 1
    return out or split


def _district_number(word: str, after_commune: bool) -> int:
    """Arrondissement number a word names (``7e``, ``1er``, ``VII``, ``7`` after a commune), or 0."""
    m = _ORDINAL.match(word)
    if m:
        return int(m.group(1))
    if after_commune:
        if word.isdigit() and len(word) <= 2:
            return int(word)
        m = _ROMAN_ORD.match(word)
        if m and m.group(1) in _ROMAN:
            return _ROMAN[m.group(1)]
    else:
        m = _ROMAN_ORD.match(word)
        if m and m.group(2) and m.group(1) in _ROMAN:
            return _ROMAN[m.group(1)]
    return 0


@dataclass
class ReadingContext:
    """What reading needs from the index: its arrondissements and a phonetic lookup."""

    #: (folded commune or "", number) -> postcodes of that arrondissement ("" = any commune)
    districts: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    #: phonetic key -> dictionary spellings (looked up lazily, see ``Geocoder``)
    phonetic_lookup: object = None

    #: folded names of the communes with arrondissements in the index (from ``districts``)
    communes: frozenset[str] = field(init=False)

    def __post_init__(self):
        self.communes = frozenset(c for c, _ in self.districts if c)
        # memoised per index (the vocabulary of queries is small; a miss costs a binary search
        # and difflib ratios, and a query asks twice: its phonetic and its partial pass)
        self._sound_alikes = lru_cache(maxsize=16384)(self._find_sound_alikes)

    def sound_alikes(self, word: str, limit: int = 3) -> list[str]:
        """Dictionary tokens that sound like ``word`` (itself excluded), most similar first."""
        return list(self._sound_alikes(word, limit))

    def _find_sound_alikes(self, word: str, limit: int) -> tuple[str, ...]:
        if self.phonetic_lookup is None or len(word) < 4 or not word.isalpha():
            return ()
        key = phonetic_key(word)
        if len(key) < MIN_SOUND_KEY:         # "eeee" -> "e": sounds like everything, explains nothing
            return ()
        found = [t for t in self.phonetic_lookup(key) if t != word]
        if len(found) > limit:
            found.sort(key=lambda t: (-SequenceMatcher(None, word, t).ratio(), t))
        return tuple(found[:limit])


#: Shortest sound-alike key used: shorter keys match unrelated words.
MIN_SOUND_KEY = 3


def district_at(words: list[str], i: int, ctx: ReadingContext | None, had_number: bool):
    """(words consumed, spellings) when ``words[i]`` names an arrondissement, else None."""
    w = words[i]
    if ctx is None or not ctx.districts or not (w[0].isdigit() or w[0] in "ivx"):
        return None
    prev = words[i - 1] if i > 0 else None
    nxt = words[i + 1] if i + 1 < len(words) else None
    after_commune = prev in ctx.communes
    n = _district_number(w, after_commune)
    if not n:
        return None
    if nxt in STREET_TYPES and not (after_commune and had_number):
        return None                     # "7e rue" / "paris 12 rue de ...": a house number
    is_ord = bool(_ORDINAL.match(w)) or not w.isdigit()
    if w.isdigit() and not (nxt is None or nxt in _ARR_WORDS or had_number or not (nxt or "").isalpha()):
        return None
    if not (is_ord or after_commune or nxt in _ARR_WORDS):
        return None
    if not (after_commune or nxt in _ARR_WORDS or _ORDINAL.match(w)):
        return None                     # "François Ier": a roman ordinal alone is a name
    postcodes = ctx.districts.get((prev if after_commune else "", n))
    if not postcodes:
        return None
    consumed = 2 if nxt in _ARR_WORDS else 1
    return consumed, ["1er" if n == 1 else f"{n}e", *postcodes]


def build_context(cities, tok_lookup=None) -> ReadingContext:
    """From the cities rows (postcode, citycode, city): the arrondissement -> postcodes map."""
    districts: dict[tuple[str, int], set[str]] = {}
    split_communes = {fold(c) for c in ARRONDISSEMENTS}
    for postcode, citycode, city in cities:
        n = arrondissement_number(citycode or "")
        if not n or not postcode:
            continue
        commune = fold(city or "")
        if commune not in split_communes:
            continue
        districts.setdefault((commune, n), set()).add(postcode)
        districts.setdefault(("", n), set()).add(postcode)
    return ReadingContext({k: sorted(v) for k, v in districts.items()}, tok_lookup)


def sorted_lookup(keys, values_of):
    """A lookup ``key -> list`` over a sorted string column (binary search, no load at open)."""
    def lookup(key: str) -> list[str]:
        i = bisect_left(keys, key)
        return values_of(i) if i < len(keys) and keys[i] == key else []
    return lookup
