"""Text normalisation: ONE function used at index time and at query time.

addok runs the same PROCESSORS on documents and queries; we do the same with
:func:`normalize_tokens`: Unicode folding (accents, ligatures), case folding, punctuation and
apostrophes to spaces, then per-locale abbreviation/synonym expansion token by token
(``av`` -> ``avenue``, ``st`` -> ``saint``, German ``...str`` -> ``...strasse``).

House-number forms are a query-time concern (numbers are not indexed as words): see
:func:`split_housenumber` and :func:`normalize_suffix`, which the index builder also uses for
the address table so that ``12 bis``, ``12bis``, ``12 B`` and ``12b`` meet.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Characters NFKD does not decompose into ASCII letters.
_SPECIAL = str.maketrans({
    "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "đ": "d",
    "Đ": "d", "ł": "l", "Ł": "l", "ı": "i", "þ": "th", "ð": "d",
})
_NON_WORD = re.compile(r"[^0-9a-z\u0080-\uffff]+")
#: "12-14" (a range of house numbers) -> keep the first number.
_RANGE = re.compile(r"\b(\d+)\s*[-/]\s*\d+\b")

#: French (and a few German/English) abbreviations, applied to whole tokens.
SYNONYMS: dict[str, dict[str, str]] = {
    "fr": {
        "av": "avenue", "ave": "avenue", "aven": "avenue", "bd": "boulevard", "bld": "boulevard",
        "boul": "boulevard", "bvd": "boulevard", "pl": "place", "r": "rue", "st": "saint",
        "ste": "sainte", "sts": "saints", "stes": "saintes", "chem": "chemin", "ch": "chemin",
        "imp": "impasse", "fbg": "faubourg", "faub": "faubourg", "sq": "square", "crs": "cours",
        "all": "allee", "pass": "passage", "rte": "route", "qu": "quai",
        "res": "residence", "prom": "promenade", "esp": "esplanade", "sent": "sentier",
        "vla": "villa", "hab": "habitation", "gal": "general", "gen": "general",
        "mal": "marechal", "pdt": "president", "prof": "professeur", "dr": "docteur",
        "mgr": "monseigneur", "cdt": "commandant", "lt": "lieutenant", "ct": "comte", "ht": "haut", "hts": "hauts", "gd": "grand", "gde": "grande",
        "pt": "petit", "pte": "porte", "nd": "notre dame", "rpt": "rond point",
        "rdpt": "rond point", "zi": "zone industrielle", "za": "zone artisanale",
        "zac": "zone amenagement concerte", "carr": "carrefour",
        "mte": "montee", "vc": "voie communale",
        "str": "strasse", "pza": "piazza", "ln": "lane", "hwy": "highway",
    },
}
DEFAULT_LOCALE = "fr"

#: Spelled-out French suffixes of house numbers and their one-letter forms.
SUFFIX_CANON = {"b": "bis", "bis": "bis", "t": "ter", "ter": "ter", "q": "quater",
                "qua": "quater", "quater": "quater", "c": "quinquies", "quinquies": "quinquies"}
#: Words that carry little meaning in French/German names (lower weight when scoring).
STOPWORDS = frozenset("de du des la le les l d a au aux et en sur sous the of der die das und von".split())


#: The combining marks of U+0300..U+036F (the accents NFKD splits off Latin letters).
_LATIN_MARKS = {cp: None for cp in range(0x300, 0x370) if unicodedata.combining(chr(cp))}


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lowercase ASCII-ish form: accents and ligatures removed, punctuation to single spaces."""
    if text.isascii():              # nothing to translate, decompose or strip: same result
        return " ".join(_NON_WORD.sub(" ", text.lower()).split())
    text = text.translate(_SPECIAL)
    text = unicodedata.normalize("NFKD", text)
    plain = text.translate(_LATIN_MARKS)        # the usual accents, in one pass
    if not plain.isascii():                     # other scripts or marks: check every character
        plain = "".join(c for c in text if not unicodedata.combining(c))
    text = plain.casefold().translate(_SPECIAL)
    return " ".join(_NON_WORD.sub(" ", text).split())


def expand_token(token: str, locale: str = DEFAULT_LOCALE) -> str:
    """One folded token -> its canonical spelling (may contain spaces: ``nd`` -> ``notre dame``)."""
    table = SYNONYMS.get(locale, {})
    out = table.get(token)
    if out is not None:
        return out
    if len(token) > 5 and token.endswith("str") and token[-4] not in "aeiouy":
        return token[:-3] + "strasse"      # German compound: Hauptstr -> hauptstrasse
    return token


@lru_cache(maxsize=65536)
def normalize_tokens(text: str, locale: str = DEFAULT_LOCALE) -> tuple[str, ...]:
    """The normaliser: text -> canonical tokens (same at index and query time)."""
    out: list[str] = []
    for token in fold(text).split():
        out.extend(expand_token(token, locale).split())
    return tuple(out)


def normalize_suffix(suffix: str) -> str:
    """House-number suffix as stored and queried: folded, no spaces (``' B '`` -> ``'b'``)."""
    return fold(suffix).replace(" ", "")


def canonical_suffix(suffix: str) -> str:
    """Loose form of a suffix so that ``b``/``bis``, ``t``/``ter``, ``q``/``quater`` meet."""
    return SUFFIX_CANON.get(suffix, suffix)


_HN = re.compile(r"^(\d{1,6})([a-z]{0,3}\d{0,2})$")


def split_housenumber(token: str) -> tuple[int, str] | None:
    """``'12'`` -> (12, ''), ``'12bis'`` -> (12, 'bis'), ``'1s1'`` -> (1, 's1'); words -> None."""
    m = _HN.match(token)
    if m is None:
        return None
    return int(m.group(1)), m.group(2)


def query_tokens(text: str, locale: str = DEFAULT_LOCALE) -> list[str]:
    """Query-side text -> tokens, with house-number ranges reduced ("12-14" -> "12")."""
    return list(normalize_tokens(_RANGE.sub(r"\1", text), locale))
