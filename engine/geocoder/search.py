"""Geocoder: forward search, autocomplete and reverse over one bundle (QUERY TIME).

Python only checks arguments, lays the query out (``query.parse_query``), calls the compiled
kernels (``engine._geocode``, which release the GIL) and turns the few winning rows into
``Place`` objects.
"""
from __future__ import annotations

from bisect import bisect_right
from functools import cached_property
from typing import Callable, Iterable, NamedTuple, Sequence

import numpy as np

from .. import _geocode as G
from .._geo import check_bbox, check_lat, check_lon
from ..errors import BundleError, InvalidQueryError
from . import tokens as T
from .index import TABLES, GeocoderIndex
from .france import LAMBERT93
from .france import context as ban_context
from .query import parse_query
from .reading import build_context, sorted_lookup
from .types import PLACE_FIELDS, Place, derived_address_id

MAX_LIMIT = 100
MAX_QUERY_CHARS = 500
FOCUS_SCALE_M = 5_000.0
REVERSE_MAX_RINGS = 24
#: Results with the same label closer than this are one object mapped twice (OSM node + way).
TWIN_M = 250.0
_NAN2 = np.array([np.nan, np.nan])
_NAN4 = np.array([np.nan, np.nan, np.nan, np.nan])
_ALL_CITIES = np.ones(1, np.uint8)          # city_ok when no postcode/citycode filter
_ADDRESS_TYPE = T.TYPE_NAMES[T.ADDRESS]


class _City(NamedTuple):
    """BAN fields of one cities row and what every result of that city derives from them."""

    postcode: str | None
    city: str | None
    citycode: str | None
    district: str | None
    context: str | None
    oldcity: str | None
    oldcitycode: str | None
    xy: bool            # the source gave Lambert-93 x/y: results carry them
    tail: str           # "75007 Paris": ends address and street labels


_NO_CITY = _City(None, None, None, None, None, None, None, False, "")


def _check_limit(limit) -> int:
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidQueryError(f"limit must be an integer between 1 and {MAX_LIMIT}, got {limit!r}", "limit")
    return int(limit)


def _type_mask(types: Iterable[str] | str | None) -> int:
    if types is None:
        return T.ALL_TYPES
    if isinstance(types, str):
        types = [types]
    mask = 0
    try:
        for t in types:
            code = T.TYPE_CODES.get(t, T.TYPE_ALIASES.get(t)) if isinstance(t, str) else None
            if code is None:
                raise InvalidQueryError(f"unknown type {t!r}; expected one of {', '.join(T.TYPE_NAMES)}",
                                        "types")
            mask |= 1 << code
    except TypeError:                   # not iterable
        raise InvalidQueryError(f"types must be a type name or a list of them, got {types!r}", "types") from None
    if mask == 0:
        raise InvalidQueryError("types must not be empty", "types")
    return mask


def _housenumber(number: int, suffix: str) -> str:
    if not suffix:
        return str(number)
    return f"{number}{suffix}" if len(suffix) == 1 else f"{number} {suffix}"


class Geocoder:
    """Forward and reverse geocoding over a bundle's geocoder index (thread-safe)."""

    def __init__(self, index: "GeocoderIndex | Callable[[], GeocoderIndex]"):
        """``index``: the index, or a function that maps it (called on the first query, so that
        opening a bundle reads no geocoder table)."""
        self._open_index = (lambda: index) if isinstance(index, GeocoderIndex) else index
        self._cities: dict[int, _City] = {}

    @cached_property
    def index(self) -> GeocoderIndex:
        return self._open_index()

    @cached_property
    def reading(self):
        """How queries are read against this bundle's communes (postcodes, codes, names)."""
        ix = self.index
        return build_context(zip(ix.city_postcode.to_pylist(), ix.city_code.to_pylist(),
                                 ix.city_name.to_pylist()), self._sound_alike_lookup())

    @cached_property
    def attribution(self) -> str | None:
        """Attribution of the indexed data ("BAN", ...), None when unknown."""
        return " & ".join(dict.fromkeys(r["attribution"] for r in self.index.sources
                                        if r["attribution"])) or None

    @cached_property
    def licence(self) -> str | None:
        """Licence of the indexed data ("ETALAB-2.0", ...), None when unknown."""
        return " & ".join(dict.fromkeys(r["licence"] for r in self.index.sources if r["licence"])) or None

    def _sound_alike_lookup(self):
        """phonetic key -> dictionary spellings (binary search in geocoder/phonetic)."""
        ix = self.index
        if ix.phon_key is None:
            return None

        def spellings(i: int) -> list[str]:
            toks = ix.phon_tok[ix.phon_off[i]:ix.phon_off[i + 1]]
            return [ix.tok_data[ix.tok_off[t]:ix.tok_off[t + 1]].tobytes().decode("utf-8") for t in toks[:8]]
        return sorted_lookup(ix.phon_key, spellings)

    @classmethod
    def open(cls, bundle, warmup: bool = False) -> "Geocoder":
        """A geocoder over ``bundle`` (an ``engine.bundle.reader.Bundle``). Nothing is read until
        the first query (the kernels are compiled ahead of time: nothing to warm);
        ``warmup=True`` maps the index and allocates this thread's workspace now."""
        missing = [t for t in TABLES if not bundle.has(t)]
        if missing:
            raise BundleError(f"bundle {bundle.path} has no geocoder (missing {', '.join(missing)}); "
                              f"build it with --addresses or --osm")
        geocoder = cls(lambda: GeocoderIndex(bundle))
        if warmup:
            geocoder.warmup()
        return geocoder

    def warmup(self) -> None:
        """Map the index and allocate this thread's workspace ahead of the first query."""
        self.index.workspace()

    # ------------------------------------------------------------------ forward
    def search(self, q: str, limit: int = 5, autocomplete: bool = False, lat: float | None = None,
               lon: float | None = None, types: Sequence[str] | str | None = None,
               postcode: str | None = None, citycode: str | None = None,
               bbox: Sequence[float] | None = None) -> list[Place]:
        """Places matching ``q`` best first (``autocomplete``: the last word is a prefix).

        ``lat``/``lon``: focus point (nearer results score higher); ``types``: subset of
        housenumber/street/locality/municipality/poi/stop (also ``address``, ``city``);
        ``postcode``/``citycode``: exact filters;
        ``bbox``: (min_lon, min_lat, max_lon, max_lat).
        """
        if not isinstance(q, str):
            raise InvalidQueryError(f"q must be a string, got {type(q).__name__}", "q")
        if len(q) > MAX_QUERY_CHARS:
            raise InvalidQueryError(f"q is longer than {MAX_QUERY_CHARS} characters", "q")
        limit = _check_limit(limit)
        mask = _type_mask(types)
        focus = None
        if (lat is None) != (lon is None):
            raise InvalidQueryError("lat and lon must be given together", "lat" if lat is None else "lon")
        if lat is not None:
            focus = (check_lat(lat), check_lon(lon))
        box = _NAN4
        if bbox is not None:
            box = np.array(check_bbox(bbox), np.float64)
        ix = self.index
        city_filter = postcode is not None or citycode is not None
        city_ok = self._city_mask(postcode, citycode) if city_filter else _ALL_CITIES
        parsed = parse_query(q, ix.suffix_code, bool(autocomplete), context=self.reading, type_weight=1.0)
        if parsed.empty or ix.n_tokens == 0:
            return []
        ws = ix.workspace()
        focus_arr = _NAN2 if focus is None else np.array(focus)
        # ask for a few more than needed: the same object mapped twice in OSM (node and way)
        # gives twin results, dropped below
        k = min(limit + 3, 2 * MAX_LIMIT)
        out_doc = np.empty(k, np.int32)
        out_hn = np.empty(k, np.int32)
        out_score = np.empty(k, np.float64)
        # pass 1: typos only for unknown words; pass 2 (nothing matched every word): typos for
        # every long word too, in case a misspelling produced another valid word ("moine"), and
        # sound-alike spellings, and street types weigh less than names (a wrong type still finds
        # the street); pass 3 (still incomplete): words that matched nothing weigh 0.
        # Without a complete match, scores are scaled by the share of the query each result explains.
        base_weight, typos, stage, share = parsed.weight, 1, "exact", None
        while True:
            G.expand_entries(ix.view, ws, parsed.data, parsed.offsets, parsed.prefix, parsed.numeric,
                             parsed.q_scale, typos)
            try:
                n, complete = G.score_candidates(
                    ix.view, ws, parsed.group, parsed.numeric, parsed.weight, parsed.number, parsed.suffix,
                    mask, city_ok, city_filter, box, focus_arr, FOCUS_SCALE_M, out_doc, out_hn, out_score)
                if not complete or stage == "partial":
                    matched = np.empty(len(base_weight), np.uint8)
                    share = np.empty(n, np.float64)
                    G.explained(ix.view, ws, parsed.group, parsed.number, base_weight, out_doc, out_hn, n,
                                matched, share)
                else:
                    share = None
            finally:
                G.reset_tokq(ws)
            if complete or stage == "partial":
                break
            stage, parsed = self._next_pass(stage, q, parsed, matched, autocomplete)
            if stage is None:
                break
            typos = 2
        docs, rows, scores = out_doc[:n].tolist(), out_hn[:n].tolist(), out_score[:n].tolist()
        order = range(n)
        if share is not None:          # partial matches: score x share of the query explained
            scores = [x * y for x, y in zip(scores, share.tolist())]
            order = sorted(order, key=lambda j: (-scores[j], docs[j]))
        places: list[Place] = []
        by_label: dict[str, list[Place]] = {}
        for j in order:
            place = self._place(docs[j], rows[j], scores[j], focus)
            same = by_label.setdefault(place.label, [])
            if any(G.haversine_m(p.lat, p.lon, place.lat, place.lon) < TWIN_M for p in same):
                continue
            same.append(place)
            places.append(place)
            if len(places) == limit:
                break
        return places

    def _next_pass(self, stage: str, q: str, parsed, matched: np.ndarray, autocomplete: bool):
        """(next stage, its parsed query) after an incomplete pass, or (None, None) to stop."""
        ix = self.index
        if stage == "exact" and (parsed.has_long_word or any(len(w) >= 4 and w.isalpha() for w in parsed.words)):
            return "phonetic", parse_query(q, ix.suffix_code, bool(autocomplete), context=self.reading,
                                           phonetic=True, words=parsed.words)
        if stage in ("exact", "phonetic"):
            live = [w > 0 for w in parsed.weight.tolist()]
            ignore = frozenset(g for g, m in enumerate(matched.tolist()) if live[g] and not m)
            if ignore and len(ignore) < sum(live):
                return "partial", parse_query(q, ix.suffix_code, bool(autocomplete), context=self.reading,
                                              phonetic=stage == "phonetic", ignore=ignore, words=parsed.words)
        return None, None

    def _city_mask(self, postcode, citycode) -> np.ndarray:
        ix = self.index
        ok = np.ones(max(ix.n_cities, 1), np.uint8)
        if postcode is not None:
            if not isinstance(postcode, str) or not postcode.strip():
                raise InvalidQueryError(f"postcode must be a non-empty string, got {postcode!r}", "postcode")
            ok &= np.asarray(ix.city_postcode.to_numpy(zero_copy_only=False) == postcode.strip(), np.uint8) \
                if ix.n_cities else 0
        if citycode is not None:
            if not isinstance(citycode, str) or not citycode.strip():
                raise InvalidQueryError(f"citycode must be a non-empty string, got {citycode!r}", "citycode")
            ok &= np.asarray(ix.city_code.to_numpy(zero_copy_only=False) == citycode.strip(), np.uint8) \
                if ix.n_cities else 0
        return ok

    # ------------------------------------------------------------------ reverse
    def reverse(self, lat: float, lon: float, limit: int = 1,
                types: Sequence[str] | str | None = None) -> list[Place]:
        """The ``limit`` nearest places to (lat, lon), nearest first, with ``distance_m``."""
        lat, lon = check_lat(lat), check_lon(lon)
        limit = _check_limit(limit)
        mask = _type_mask(types)
        ix = self.index
        out_ref = np.empty(limit, np.int32)
        out_d = np.empty(limit, np.float64)
        n = G.reverse_nearest(ix.view, lat, lon, mask, T.CELL_LAT, T.CELL_LON, T.CELL_X_BITS,
                              REVERSE_MAX_RINGS, out_ref, out_d)
        return [self._place(-(ref + 1), -1, None, (lat, lon)) if ref < 0 else
                self._place(self._doc_of_hn(ref), ref, None, (lat, lon)) for ref in out_ref[:n].tolist()]

    @cached_property
    def _hn_owners(self) -> tuple[list[int], list[int]]:
        """(docs with house numbers, their first row), ascending (the builder sorts by hn_first)."""
        docs = np.flatnonzero(self.index.d_hnc > 0)
        return docs.tolist(), self.index.d_hnf[docs].tolist()

    def _doc_of_hn(self, row: int) -> int:
        """Street doc owning house-number row."""
        docs, firsts = self._hn_owners
        return docs[bisect_right(firsts, row) - 1]

    # ------------------------------------------------------------------ results
    def _address_id(self, doc: int, row: int, number: int, suffix: int) -> str:
        """Stored id of a house number, or the BAN-pattern id the builder left out."""
        ix = self.index
        return ix.hn_id[row] or derived_address_id(ix.doc_id[doc], number, ix.suffixes[suffix])

    def _city(self, city_idx: int) -> _City:
        """BAN fields of a cities row, memoised (few distinct rows)."""
        if city_idx < 0:
            return _NO_CITY
        cached = self._cities.get(city_idx)
        if cached is None:
            row = {k: v[0] for k, v in self.index.city_table.slice(city_idx, 1).to_pydict().items()}
            postcode, city = row["postcode"] or None, row["city"] or None
            cached = self._cities[city_idx] = _City(
                postcode, city, row["citycode"] or None, row.get("district") or None,
                ban_context(row["citycode"] or ""), row.get("oldcity") or None, row.get("oldcitycode") or None,
                bool(row.get("xy")), " ".join(x for x in (postcode, city) if x))
        return cached

    def _place(self, doc: int, row: int, score: float | None, focus: tuple[float, float] | None = None) -> Place:
        """The result for ``doc`` (house-number ``row`` >= 0: that address). ``focus``: (lat, lon)
        the distance is measured from; ``score`` None: a reverse result, scored by that distance."""
        ix = self.index
        dtype, city_idx, importance, lat, lon, number, suffix = G.result_fields(ix.view, doc, row)
        c = self._cities.get(city_idx) or self._city(city_idx)
        postcode, tail = c.postcode, c.tail
        name = ix.doc_name[doc]
        if row >= 0:
            hn = _housenumber(number, ix.suffixes[suffix])
            full_name = f"{hn} {name}"
            label = f"{full_name} {tail}" if tail else full_name
            pid, ptype, street = self._address_id(doc, row, number, suffix), _ADDRESS_TYPE, name
        else:
            hn, full_name, pid, ptype = None, name, ix.doc_id[doc], T.TYPE_NAMES[dtype]
            if dtype == T.STREET:
                street = name
                label = f"{name} {tail}".strip()
            else:
                street = ix.doc_street[doc] or None
                if dtype == T.MUNICIPALITY:
                    label = name
                elif dtype == T.LOCALITY:
                    label = name if not postcode or postcode in name else f"{name} {postcode}"
                else:
                    label = ", ".join(x for x in (name, " ".join(y for y in (street, tail) if y)) if x)
        x, y = G.lambert93(lat, lon, *LAMBERT93) if c.xy else (None, None)
        distance = None
        if focus is not None:
            d = G.haversine_m(focus[0], focus[1], lat, lon)
            distance = round(d, 2)
            if score is None:
                score = max(0.0, 1.0 - d / 1000.0)
        return G.new_record(Place, PLACE_FIELDS, (
            pid, ptype, label, full_name, hn, street, postcode, c.city, c.citycode, lat, lon, min(score, 1.0),
            distance, c.district, c.context, importance, x, y, c.oldcity, c.oldcitycode))
