"""Geocoder: forward search, autocomplete and reverse over one bundle (QUERY TIME).

Python only checks arguments, lays the query out (``query.parse_query``), calls the compiled
kernels (``engine._geocode``, which release the GIL) and turns the few winning rows into
``Place`` objects.
"""
from __future__ import annotations

import math
from functools import cached_property
from typing import Callable, Iterable, Sequence

import numpy as np

from .. import _geocode as G
from ..errors import InvalidQueryError
from . import tokens as T
from .index import GeocoderIndex
from .france import context as ban_context
from .france import lambert93
from .query import parse_query
from .reading import build_context, sorted_lookup
from .types import Place, derived_address_id

MAX_LIMIT = 100
MAX_QUERY_CHARS = 500
FOCUS_SCALE_M = 5_000.0
REVERSE_MAX_RINGS = 24
#: Results with the same label closer than this are one object mapped twice (OSM node + way).
TWIN_M = 250.0
_NAN2 = np.array([np.nan, np.nan])
_NAN4 = np.array([np.nan, np.nan, np.nan, np.nan])


def _check_limit(limit) -> int:
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidQueryError(f"limit must be an integer between 1 and {MAX_LIMIT}, got {limit!r}", "limit")
    return int(limit)


def _check_coord(value, name: str, bound: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidQueryError(f"{name} must be a number, got {value!r}", name) from None
    if not math.isfinite(v) or abs(v) > bound:
        raise InvalidQueryError(f"{name} must be within [-{bound:g}, {bound:g}], got {value!r}", name)
    return v


def _type_mask(types: Iterable[str] | str | None) -> int:
    if types is None:
        return T.ALL_TYPES
    if isinstance(types, str):
        types = [types]
    mask = 0
    for t in types:
        code = T.TYPE_CODES.get(t, T.TYPE_ALIASES.get(t))
        if code is None:
            raise InvalidQueryError(f"unknown type {t!r}; expected one of {', '.join(T.TYPE_NAMES)}", "types")
        mask |= 1 << code
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
        self._cities: dict[int, tuple] = {}

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
        from ..errors import BundleError
        from .index import TABLES

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
        address/street/locality/poi/stop; ``postcode``/``citycode``: exact filters;
        ``bbox``: (min_lon, min_lat, max_lon, max_lat).
        """
        if not isinstance(q, str):
            raise InvalidQueryError(f"q must be a string, got {type(q).__name__}", "q")
        if len(q) > MAX_QUERY_CHARS:
            raise InvalidQueryError(f"q is longer than {MAX_QUERY_CHARS} characters", "q")
        limit = _check_limit(limit)
        mask = _type_mask(types)
        focus = _NAN2
        if (lat is None) != (lon is None):
            raise InvalidQueryError("lat and lon must be given together", "lat" if lat is None else "lon")
        if lat is not None:
            focus = np.array([_check_coord(lat, "lat", 90), _check_coord(lon, "lon", 180)])
        box = _NAN4
        if bbox is not None:
            try:
                box = np.array([float(v) for v in bbox], np.float64)
            except (TypeError, ValueError):
                raise InvalidQueryError(f"bbox must be 4 numbers, got {bbox!r}", "bbox") from None
            if box.shape != (4,) or not np.isfinite(box).all() or box[0] > box[2] or box[1] > box[3]:
                raise InvalidQueryError("bbox must be (min_lon, min_lat, max_lon, max_lat)", "bbox")
        ix = self.index
        city_filter = postcode is not None or citycode is not None
        city_ok = self._city_mask(postcode, citycode) if city_filter else np.ones(1, np.uint8)
        parsed = parse_query(q, ix.suffix_code, bool(autocomplete), context=self.reading, type_weight=1.0)
        if parsed.empty or ix.n_tokens == 0:
            return []
        ws = ix.workspace()
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
        base_weight, typos, stage, info = parsed.weight, 1, "exact", None
        while True:
            q_scale = getattr(parsed, "q_scale", None)
            q_scale = np.ones(len(parsed.group), np.float64) if q_scale is None else np.asarray(q_scale, np.float64)
            G.expand_entries(ix.view, ws, parsed.data, parsed.offsets, parsed.prefix, parsed.numeric,
                             q_scale, typos)
            try:
                n, complete = G.score_candidates(
                    ix.view, ws, parsed.group, parsed.numeric, parsed.weight, parsed.number, parsed.suffix,
                    mask, city_ok, city_filter, box, focus, FOCUS_SCALE_M, out_doc, out_hn, out_score)
                info = None if complete and stage != "partial" else \
                    _explained(ix, ws, parsed, base_weight, out_doc, out_hn, n)
            finally:
                G.reset_tokq(ws)
            if complete or stage == "partial":
                break
            stage, parsed = self._next_pass(stage, q, parsed, info[0], autocomplete)
            if stage is None:
                break
            typos = 2
        order = range(n)
        if info is not None:          # partial matches: score x share of the query explained
            out_score[:n] *= info[1]
            order = sorted(range(n), key=lambda j: (-out_score[j], out_doc[j]))
        places: list[Place] = []
        for j in order:
            place = self._place(int(out_doc[j]), int(out_hn[j]), float(out_score[j]))
            if any(p.label == place.label and G.haversine_m(p.lat, p.lon, place.lat, place.lon) < TWIN_M
                   for p in places):
                continue
            if lat is not None:
                place = _with_distance(place, G.haversine_m(focus[0], focus[1], place.lat, place.lon))
            places.append(place)
            if len(places) == limit:
                break
        return places

    def _next_pass(self, stage: str, q: str, parsed, matched: np.ndarray, autocomplete: bool):
        """(next stage, its parsed query) after an incomplete pass, or (None, None) to stop."""
        ix = self.index
        if stage == "exact" and (parsed.has_long_word or any(len(w) >= 4 and w.isalpha() for w in parsed.words)):
            return "phonetic", parse_query(q, ix.suffix_code, bool(autocomplete), context=self.reading,
                                           phonetic=True)
        if stage in ("exact", "phonetic"):
            live = parsed.weight > 0
            ignore = frozenset(int(g) for g in np.flatnonzero(live & ~matched))
            if ignore and len(ignore) < int(live.sum()):
                return "partial", parse_query(q, ix.suffix_code, bool(autocomplete), context=self.reading,
                                              phonetic=stage == "phonetic", ignore=ignore)
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
        lat = _check_coord(lat, "lat", 90)
        lon = _check_coord(lon, "lon", 180)
        limit = _check_limit(limit)
        mask = _type_mask(types)
        ix = self.index
        out_ref = np.empty(limit, np.int32)
        out_d = np.empty(limit, np.float64)
        n = G.reverse_nearest(ix.view, lat, lon, mask, T.CELL_LAT, T.CELL_LON, T.CELL_X_BITS,
                              REVERSE_MAX_RINGS, out_ref, out_d)
        places = []
        for k in range(n):
            ref = int(out_ref[k])
            place = self._place(-(ref + 1), -1, 1.0) if ref < 0 else self._place(self._doc_of_hn(ref), ref, 1.0)
            d = G.haversine_m(lat, lon, place.lat, place.lon)
            places.append(_with_distance(place, d, score=max(0.0, 1.0 - d / 1000.0)))
        return places

    def _doc_of_hn(self, row: int) -> int:
        """Street doc owning house-number row (docs with numbers are sorted by hn_first)."""
        ix = self.index
        if not hasattr(self, "_hn_docs"):
            docs = np.flatnonzero(ix.d_hnc > 0)
            self._hn_docs, self._hn_firsts = docs, ix.d_hnf[docs]
        k = int(np.searchsorted(self._hn_firsts, row, side="right")) - 1
        return int(self._hn_docs[k])

    # ------------------------------------------------------------------ results
    def _address_id(self, doc: int, row: int) -> str:
        """Stored id of a house number, or the BAN-pattern id the builder left out."""
        stored = self.index.hn_id[row]
        if stored:
            return stored
        ix = self.index
        return derived_address_id(ix.doc_id[doc], int(ix.hn_num[row]), ix.suffixes[int(ix.hn_suf[row])])

    def _city(self, city_idx: int) -> dict:
        """BAN fields of a cities row (postcode, city, citycode, district, context, old commune,
        whether x/y are given), memoised (few distinct rows)."""
        if city_idx < 0:
            return {}
        cached = self._cities.get(city_idx)
        if cached is None:
            row = {k: v[0] for k, v in self.index.city_table.slice(city_idx, 1).to_pydict().items()}
            cached = self._cities[city_idx] = {
                "postcode": row["postcode"] or None, "city": row["city"] or None,
                "citycode": row["citycode"] or None, "district": row.get("district") or None,
                "context": ban_context(row["citycode"] or ""), "oldcity": row.get("oldcity") or None,
                "oldcitycode": row.get("oldcitycode") or None, "xy": bool(row.get("xy"))}
        return cached

    def _place(self, doc: int, row: int, score: float) -> Place:
        ix = self.index
        c = self._city(int(ix.d_city[doc]))
        postcode, city = c.get("postcode"), c.get("city")
        extra = {"district": c.get("district"), "context": c.get("context"), "oldcity": c.get("oldcity"),
                 "oldcitycode": c.get("oldcitycode"), "importance": round(float(ix.d_imp[doc]), 4)}
        name = ix.doc_name[doc]
        dtype = int(ix.d_type[doc])
        tail = " ".join(x for x in (postcode, city) if x)
        if row >= 0:
            hn = _housenumber(int(ix.hn_num[row]), ix.suffixes[int(ix.hn_suf[row])])
            label = f"{hn} {name}" + (f" {tail}" if tail else "")
            lat, lon = float(ix.hn_lat[row] / T.COORD_SCALE), float(ix.hn_lon[row] / T.COORD_SCALE)
            xy = lambert93(lat, lon) if c.get("xy") else (None, None)
            return Place(self._address_id(doc, row), T.TYPE_NAMES[T.ADDRESS], label, f"{hn} {name}", hn, name,
                         postcode, city, c.get("citycode"), lat, lon, min(score, 1.0), x=xy[0], y=xy[1], **extra)
        street = ix.doc_street[doc] or None
        if dtype == T.STREET:
            street = name
            label = f"{name} {tail}".strip()
        elif dtype == T.MUNICIPALITY:
            label = name
        elif dtype == T.LOCALITY:
            label = name if not postcode or postcode in name else f"{name} {postcode}"
        else:
            label = ", ".join(x for x in (name, " ".join(y for y in (street, tail) if y)) if x)
        lat, lon = float(ix.d_lat[doc]), float(ix.d_lon[doc])
        xy = lambert93(lat, lon) if c.get("xy") else (None, None)
        return Place(ix.doc_id[doc], T.TYPE_NAMES[dtype], label, name, None, street, postcode,
                     city, c.get("citycode"), lat, lon, min(score, 1.0), x=xy[0], y=xy[1], **extra)


def _explained(ix, ws, parsed, base_weight: np.ndarray, out_doc, out_hn, n: int):
    """(per group: matched some token; per result: share of the query's weight it explains).

    Reads the workspace's match qualities before they are reset; runs only for incomplete
    queries. A house-number word is explained when the result is that address.
    """
    nq = len(parsed.group)
    tokq = ws.tokq_np[:nq]
    ng = len(parsed.weight)
    matched = np.zeros(ng, bool)
    np.logical_or.at(matched, parsed.group, tokq.max(axis=1) > 0)
    total = float(base_weight.sum()) or 1.0
    share = np.ones(n)
    for j in range(n):
        d = int(out_doc[j])
        toks = ix.dtok[ix.dtok_off[d]:ix.dtok_off[d + 1]]
        hit = np.zeros(ng, bool)
        np.logical_or.at(hit, parsed.group, tokq[:, toks].max(axis=1) > 0 if len(toks) else False)
        numbers = np.flatnonzero((parsed.number >= 0) & ~hit)
        if len(numbers) and out_hn[j] >= 0:
            hit[numbers[0]] = True
        share[j] = float(base_weight[hit].sum()) / total
    return matched, share


def _with_distance(place: Place, d: float, score: float | None = None) -> Place:
    from dataclasses import replace

    return replace(place, distance_m=round(float(d), 2), **({"score": score} if score is not None else {}))
