"""Reading many queries at once: ``parse_query``'s arrays for a batch, parsed once per *form*.

Parsing a query (``query.parse_query``: folding, noise, districts, house numbers, weights) costs
~40 µs of Python; the compiled search after it ~10 µs. The rows of a CSV repeat a handful of
forms (``<number> rue <name> <name> <postcode> paris``), so the batch reader works in two steps,
each exact:

1. **words** (``reading``'s ``_read``): the raw text is cut at spaces and each piece read alone,
   memoised (pieces repeat: street words, postcodes, numbers). Reading is local to a piece except
   for code removal (``BP 42``, ``cedex 07``), number ranges (``12 - 14``) and noise words (``bat
   B``), which look across pieces: a row with a noise word, or a piece starting or ending with
   ``-`` or ``/``, is read whole instead.
2. **form** (``parse_query`` on the words): the parse treats every word of some classes alike,
   copying only its spelling into an entry: *plain* words (letters only: not a street type,
   stopword, suffix, synonym, commune, roman numeral, district or noise word), *stopwords* and
   *street types* (each class: the members that are letters only, longer than one letter, not a
   suffix nor a synonym); and it sees a number only through its length, unless it follows a
   commune (``paris 7``) or is an ordinal (``7e``). So each such word is replaced by a stand-in of
   its class (unique in the query: ``zzqa``, another stopword, another street type; a canonical
   number of the same length, keeping a letter suffix: ``12bis`` -> ``99bis``), the other words
   are kept, and the sequence is the form's key. A form is parsed once; a row puts its own words
   back into the form's entries (matched by their stand-in's spelling) and house numbers.

``tests/unit/geocoder/test_batch_query.py`` compares the arrays with ``parse_query``'s on BAN
addresses in many forms, messy text and random strings.
"""
from __future__ import annotations

import re
from itertools import accumulate
from typing import NamedTuple

from .normalize import _RANGE, STOPWORDS, SUFFIX_CANON, fold
from .query import _expanded, _read, parse_query
from .reading import (
    _ARR_WORDS,
    _NOISE_WORDS,
    _ORDINAL,
    _ROMAN_ORD,
    STREET_TYPES,
    _split,
    strip_codes,
)

#: Forms, pieces and words kept per reader; past that a memo starts again (memory stays bounded
#: whatever the file: a form is ~1 kB, a piece or a word ~0.2 kB).
MAX_FORMS = 20_000
MAX_MEMO = 200_000
_RANGE_EDGE = ("-", "/")
_NUMBER_WORD = re.compile(r"^([0-9]{1,12})([a-z]{0,3})$")
#: Word classes with stand-ins (a number's class is (length, letter suffix); any other word is
#: its own class).
_PLAIN, _STOP, _TYPE = 1, 2, 3
#: Plain words a form may hold (a query has at most MAX_ENTRIES words that count).
MAX_PLAIN = 64


class Template(NamedTuple):
    """One form laid out for the batch kernel (``engine._geocode.search_batch``)."""

    entry_word: tuple[int, ...]     # per entry: the row's word it is (>= 0), or -1: fixed bytes
    fixed: tuple[bytes, ...]        # per entry: its bytes when entry_word is -1 (else b"")
    group: tuple[int, ...]          # per entry
    prefix: tuple[int, ...]
    numeric: tuple[int, ...]
    scale: tuple[float, ...]
    weight: tuple[float, ...]       # per group
    number: tuple[int, ...]
    suffix: tuple[int, ...]
    group_word: tuple[int, ...]     # per group: the row's word whose digits are its number, or -1

    @property
    def empty(self) -> bool:
        return not self.group


_EMPTY = Template((), (), (), (), (), (), (), (), (), ())


class BatchReader:
    """Memoised ``parse_query(text, suffix_code, False, context=..., type_weight=1.0)`` for the
    first search pass of many rows (thread-safe: every memo entry is computed identically by any
    thread)."""

    def __init__(self, suffix_code: dict[str, int], context, max_memo: int = MAX_MEMO):
        self.suffix_code = suffix_code
        self.context = context
        districts = context.districts if context is not None else {}
        self._communes = context.communes if context is not None else frozenset()
        digit_suffixes = {s for s in suffix_code if s.isdigit()}
        self._literal = frozenset(digit_suffixes)
        taken = {p for postcodes in districts.values() for p in postcodes} | digit_suffixes
        self._pools = {n: [v for v in (str(x).zfill(n) for x in range(10 ** n - 1, max(10 ** n - 200, -1), -1))
                           if v not in taken] for n in range(1, 13)}
        self._stand_ins = {_PLAIN: self._make_placeholders(MAX_PLAIN),
                           _STOP: sorted(w for w in STOPWORDS if self._alike(w)),
                           _TYPE: sorted(w for w in STREET_TYPES if self._alike(w))}
        self._pieces: dict[str, tuple] = {}
        self._words: dict[str, tuple] = {}
        self._forms: dict[tuple, Template | None] = {}
        self._max = max_memo
        self.parsed = 0             # parse_query calls (forms, and rows read without a form)

    # ------------------------------------------------------------------ step 1: words
    def _piece(self, piece: str) -> tuple:
        """What a space-free piece of text reads as: (word classes, words' UTF-8, words, read the
        row whole?, first word a number?, last word a commune? (None: no word))."""
        text = strip_codes(piece)
        if "-" in text or "/" in text:
            text = _RANGE.sub(r"\1", text)
        words = tuple(w for folded in fold(text).split() for w in _split(folded))
        whole = piece.startswith(_RANGE_EDGE) or piece.endswith(_RANGE_EDGE) or not _NOISE_WORDS.isdisjoint(words)
        classes, data = self._classes(words)
        known = (classes, data, words, whole, bool(classes) and classes[0].__class__ is tuple,
                 (words[-1] in self._communes) if words else None)
        if len(self._pieces) >= self._max:
            self._pieces.clear()
        self._pieces[piece] = known
        return known

    def _classes(self, words) -> tuple[list, list[bytes]]:
        """Key classes and UTF-8 bytes of consecutive words (a number after a commune kept)."""
        info = self._words
        communes = self._communes
        classes, data = [], []
        prev = None
        for w in words:
            c = info.get(w)
            if c is None:
                c = self._classify(w)
            cls = c[0]
            if cls.__class__ is tuple and communes and prev in communes:
                cls = w                     # "paris 7": the value may name a district
            classes.append(cls)
            data.append(c[1])
            prev = w
        return classes, data

    # ------------------------------------------------------------------ step 2: forms
    def read(self, text: str) -> tuple[Template, list[bytes], list[str]]:
        """(form, the row's words as UTF-8, the row's words) of ``text``: ``apply`` gives the
        arrays of ``parse_query(text, suffix_code, False, context=..., type_weight=1.0)``."""
        pieces = self._pieces
        key: list = []
        data: list[bytes] = []
        words: list[str] = []
        after_commune = False
        for piece in text.split(" "):
            if not piece:
                continue
            known = pieces.get(piece)
            if known is None:
                known = self._piece(piece)
            if known[3]:                    # a rule looks across pieces: read the row whole
                words = list(_read(text))
                key, data = self._classes(words)
                break
            if not known[2]:
                continue
            if after_commune and known[4]:
                key.append(known[2][0])
                key.extend(known[0][1:])
            else:
                key.extend(known[0])
            data.extend(known[1])
            words.extend(known[2])
            after_commune = known[5]
        key = tuple(key)
        form = self._forms.get(key)
        if form is None:
            if key in self._forms:          # refused: parse this row alone
                return self._alone(words), data, words
            form = self._form(key, words)
            if len(self._forms) >= MAX_FORMS:
                self._forms.clear()
            self._forms[key] = form
            if form is None:
                return self._alone(words), data, words
        return form, data, words

    def _classify(self, w: str) -> tuple:
        """(key class, UTF-8 bytes) of a word: _PLAIN, _STOP, _TYPE, (digits, letters) or itself."""
        m = _NUMBER_WORD.match(w)
        if m is not None:
            cls = (len(m.group(1)), m.group(2))
            if w in self._literal or _ORDINAL.match(w) or (m.group(2) and len(m.group(1)) > 6):
                cls = w
        elif not self._alike(w):
            cls = w
        elif w in STOPWORDS:
            cls = _STOP
        elif w in STREET_TYPES:
            cls = _TYPE
        else:
            cls = _PLAIN
        c = (cls, w.encode())
        if len(self._words) >= self._max:
            self._words.clear()
        self._words[w] = c
        return c

    def _alike(self, w: str) -> bool:
        """Letters only, longer than one letter, its own expansion, and none of the words the
        parse or reading look up (suffixes, communes, districts, noise, roman numerals)."""
        return (len(w) > 1 and w.isalpha() and w not in _ARR_WORDS and w not in _NOISE_WORDS
                and w not in SUFFIX_CANON and w not in self.suffix_code and w not in self._communes
                and not _ROMAN_ORD.match(w) and _expanded(w, "fr") == (w,))

    def _plain(self, w: str) -> bool:
        """A word the parse only copies (see the module docstring)."""
        return w not in STOPWORDS and w not in STREET_TYPES and self._alike(w)

    def _make_placeholders(self, n: int) -> list[str]:
        """n plain words that no data spells: zzqa, zzqb, ..."""
        out, i = [], 0
        while len(out) < n:
            i += 1
            word, x = "", i
            while x:
                x, r = divmod(x - 1, 26)
                word = chr(97 + r) + word
            if self._plain("zzq" + word):
                out.append("zzq" + word)
        return out

    def _form(self, key: tuple, words: tuple[str, ...]) -> Template | None:
        """Parse the form ``key`` (``words``: a row of it); None when it cannot be a form."""
        canon: dict[str, int] = {}             # stand-in word -> its position
        stand_in = []
        n_used: dict = {}
        for i, (cls, w) in enumerate(zip(key, words)):
            if cls.__class__ is str:
                stand_in.append(w)
                continue
            j = n_used.get(cls, 0)
            n_used[cls] = j + 1
            if cls.__class__ is tuple:
                pool = self._pools.get(cls[0], ())
                if j >= len(pool):
                    return None
                s = pool[j] + cls[1]
            else:
                pool = self._stand_ins[cls]
                if j >= len(pool):
                    return None
                s = pool[j]
            canon[s] = i
            stand_in.append(s)
        if not canon.keys().isdisjoint(w for cls, w in zip(key, words) if cls.__class__ is str):
            return None                         # a kept word spells a stand-in
        self.parsed += 1
        p = parse_query("", self.suffix_code, False, context=self.context, type_weight=1.0,
                        words=tuple(stand_in))
        if p.empty:
            return _EMPTY
        data = p.data.tobytes()
        offsets = p.offsets.tolist()
        entry_word, fixed = [], []
        for e in range(len(offsets) - 1):
            b = data[offsets[e]:offsets[e + 1]]
            w = canon.get(b.decode(), -1)
            entry_word.append(w)
            fixed.append(b"" if w >= 0 else b)
        group = tuple(p.group.tolist())
        number = tuple(p.number.tolist())
        first_entry: dict[int, int] = {}
        for e, g in enumerate(group):
            first_entry.setdefault(g, e)
        group_word = []
        for g, num in enumerate(number):
            w = entry_word[first_entry[g]]
            if num >= 0 and w >= 0:
                if int(_NUMBER_WORD.match(stand_in[w]).group(1)) != num:
                    return None
                group_word.append(w)
            else:
                group_word.append(-1)
        return Template(tuple(entry_word), tuple(fixed), group, tuple(p.prefix.tolist()), tuple(p.numeric.tolist()),
                        tuple(p.q_scale.tolist()), tuple(p.weight.tolist()), number, tuple(p.suffix.tolist()),
                        tuple(group_word))

    def _alone(self, words) -> Template:
        """The arrays of one row parsed by itself (its entries fixed bytes)."""
        self.parsed += 1
        p = parse_query("", self.suffix_code, False, context=self.context, type_weight=1.0, words=tuple(words))
        if p.empty:
            return _EMPTY
        data = p.data.tobytes()
        offsets = p.offsets.tolist()
        n = len(offsets) - 1
        return Template((-1,) * n, tuple(data[offsets[e]:offsets[e + 1]] for e in range(n)),
                        tuple(p.group.tolist()), tuple(p.prefix.tolist()), tuple(p.numeric.tolist()),
                        tuple(p.q_scale.tolist()), tuple(p.weight.tolist()), tuple(p.number.tolist()),
                        tuple(p.suffix.tolist()), (-1,) * len(p.weight))


def apply(form: Template, data: list[bytes], words) -> tuple[bytes, list[int], tuple[int, ...]]:
    """(entry bytes, entry offsets, group numbers) of one row: what the batch kernel reads (for
    tests; the kernel does it itself)."""
    parts = [data[w] if w >= 0 else b for w, b in zip(form.entry_word, form.fixed)]
    offsets = list(accumulate(map(len, parts), initial=0))
    number = tuple(int(_NUMBER_WORD.match(words[w]).group(1)) if w >= 0 else n
                   for w, n in zip(form.group_word, form.number))
    return b"".join(parts), offsets, number
