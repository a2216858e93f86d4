"""Geocoder: forward search, autocomplete and reverse over one bundle (QUERY TIME).

Python only checks arguments, lays the query out (``query.parse_query``), calls the Numba
kernels (``_kernels``) and turns the few winning rows into ``Place`` objects.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from ..errors import InvalidQueryError
from . import _kernels as K
from . import tokens as T
from .index import GeocoderIndex
from .query import parse_query
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
        return 0b11111
    if isinstance(types, str):
        types = [types]
    mask = 0
    for t in types:
        code = T.TYPE_CODES.get(t)
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

    def __init__(self, index: GeocoderIndex):
        self.index = index
        self._cities: dict[int, tuple] = {}

    @classmethod
    def open(cls, bundle, warmup: bool = True) -> "Geocoder":
        """Views over ``bundle`` (an ``engine.bundle.reader.Bundle``); warms the kernels."""
        geocoder = cls(GeocoderIndex(bundle))
        if warmup:
            geocoder.warmup()
        return geocoder

    def warmup(self) -> None:
        """Run each kernel once so that no request waits for Numba (cache load or compile)."""
        self.search("rue de la paix 75001 pariss", limit=1)
        self.search("av", limit=1, autocomplete=True)
        self.reverse(48.85, 2.35, limit=1)

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
        parsed = parse_query(q, ix.suffix_code, bool(autocomplete))
        if parsed.empty or ix.n_tokens == 0:
            return []
        ws = ix.workspace()
        # ask for a few more than needed: the same object mapped twice in OSM (node and way)
        # gives twin results, dropped below
        k = min(limit + 3, 2 * MAX_LIMIT)
        out_doc = np.empty(k, np.int32)
        out_hn = np.empty(k, np.int32)
        out_score = np.empty(k, np.float64)
        flags = np.zeros(1, np.int32)
        # pass 1: typos only for unknown words; pass 2 (nothing matched every word): typos for
        # every long word too, in case a misspelling produced another valid word ("moine")
        for typos in (1, 2):
            n_touched = K.expand_entries(ix.tok_off, ix.tok_data, ix.ng_key, ix.ng_off, ix.ng_tok,
                                         parsed.data, parsed.offsets, parsed.prefix, parsed.numeric, typos,
                                         ws.tokq, ws.touched, ws.seg, ws.ngc, ws.ngt, ws.dp, ws.qgrams)
            try:
                n = K.score_candidates(
                    ix.post_off, ix.post_docs, ix.dtok_off, ix.dtok, ix.d_nname, ix.d_type, ix.d_imp,
                    ix.d_lat, ix.d_lon, ix.d_city, ix.d_hnf, ix.d_hnc, ix.hn_num, ix.hn_suf, ix.hn_lat,
                    ix.hn_lon, ix.suf_canon, parsed.group, parsed.numeric, parsed.weight, parsed.number,
                    parsed.suffix, ws.tokq, ws.touched, ws.seg, mask, city_ok, city_filter, box, focus,
                    FOCUS_SCALE_M, ws.stamp, ws.next_stamp(), ws.cand, ws.gbest, out_doc, out_hn, out_score,
                    flags)
            finally:
                K.reset_tokq(ws.tokq, ws.touched, n_touched, len(parsed.group))
            if flags[0] or not parsed.has_long_word:
                break
        places: list[Place] = []
        for j in range(n):
            place = self._place(int(out_doc[j]), int(out_hn[j]), float(out_score[j]))
            if any(p.label == place.label and K._haversine(p.lat, p.lon, place.lat, place.lon) < TWIN_M
                   for p in places):
                continue
            if lat is not None:
                place = _with_distance(place, K._haversine(focus[0], focus[1], place.lat, place.lon))
            places.append(place)
            if len(places) == limit:
                break
        return places

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
        n = K.reverse_nearest(ix.cells, ix.cell_start, ix.g_ref, ix.g_lat, ix.g_lon, ix.d_type,
                              lat, lon, mask, T.CELL_LAT, T.CELL_LON, T.CELL_X_BITS,
                              REVERSE_MAX_RINGS, out_ref, out_d)
        places = []
        for k in range(n):
            ref = int(out_ref[k])
            place = self._place(-(ref + 1), -1, 1.0) if ref < 0 else self._place(self._doc_of_hn(ref), ref, 1.0)
            d = K._haversine(lat, lon, place.lat, place.lon)
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

    def _city(self, city_idx: int) -> tuple[str | None, str | None, str | None]:
        """(postcode, city, citycode) of a cities row, memoised (few distinct rows)."""
        if city_idx < 0:
            return None, None, None
        cached = self._cities.get(city_idx)
        if cached is None:
            ix = self.index
            cached = self._cities[city_idx] = (ix.city_postcode[city_idx].as_py() or None,
                                               ix.city_name[city_idx].as_py() or None,
                                               ix.city_code[city_idx].as_py() or None)
        return cached

    def _place(self, doc: int, row: int, score: float) -> Place:
        ix = self.index
        postcode, city, citycode = self._city(int(ix.d_city[doc]))
        name = ix.doc_name[doc]
        dtype = int(ix.d_type[doc])
        tail = " ".join(x for x in (postcode, city) if x)
        if row >= 0:
            hn = _housenumber(int(ix.hn_num[row]), ix.suffixes[int(ix.hn_suf[row])])
            label = f"{hn} {name}" + (f" {tail}" if tail else "")
            return Place(self._address_id(doc, row), "address", label, f"{hn} {name}", hn, name, postcode,
                         city, citycode, float(ix.hn_lat[row] / T.COORD_SCALE), float(ix.hn_lon[row] / T.COORD_SCALE),
                         min(score, 1.0))
        street = ix.doc_street[doc] or None
        if dtype == T.STREET:
            street = name
            label = f"{name} {tail}".strip()
        elif dtype == T.LOCALITY:
            label = name if not postcode or postcode in name else f"{name} {postcode}"
        else:
            label = ", ".join(x for x in (name, " ".join(y for y in (street, tail) if y)) if x)
        return Place(ix.doc_id[doc], T.TYPE_NAMES[dtype], label, name, None, street, postcode,
                     city, citycode, float(ix.d_lat[doc]), float(ix.d_lon[doc]), min(score, 1.0))


def _with_distance(place: Place, d: float, score: float | None = None) -> Place:
    from dataclasses import replace

    return replace(place, distance_m=round(float(d), 2), **({"score": score} if score is not None else {}))
