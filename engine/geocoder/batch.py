"""Batch geocoding: many queries (a CSV's rows) over native threads, each answer equal to
``Geocoder.search(q, limit=1)`` / ``Geocoder.reverse(lat, lon)`` for that row (QUERY TIME).

How a batch runs (``BatchGeocoder.search``):

1. identical rows (query, filters, focus) are searched once;
2. the distinct rows are cut into chunks; a chunk's queries are read by the template reader
   (``batch_query``: parsed once per street form, not once per row) and laid out as one set of
   arrays;
3. one call of the compiled ``search_batch`` runs the search's first pass for every row of the
   chunk without the GIL, with this thread's workspace; rows whose first pass is final (every
   word matched: almost every full address) take its best result, the others run the whole
   ``Geocoder.search`` (typo, sound-alike and partial passes) -- so each row's answer is the
   single search's, by construction;
4. chunks run on ``threads`` threads (default: the machine's cores); while one thread is in the
   kernel another prepares its next chunk. Answers are placed by row: identical for any thread
   count.
"""
from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import accumulate

import numpy as np

from .. import _geocode as G
from . import tokens as T
from .batch_query import BatchReader
from .search import FOCUS_SCALE_M, MAX_QUERY_CHARS, REVERSE_MAX_RINGS
from .types import Place

#: Rows per kernel call: large enough that the call's cost vanishes, small enough that two
#: threads alternate often (one reads queries while the other is in the kernel).
CHUNK_ROWS = 512
#: Results the first pass keeps per row: Geocoder.search(limit=1) asks for limit + 3.
_FIRST_PASS_K = 4
_NAN = float("nan")


def default_threads() -> int:
    """Threads used when none is given: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                  # not Linux
        return max(1, os.cpu_count() or 1)


def _text(value) -> str | None:
    """A filter cell as the single search takes it: None for missing or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _coord(value, bound: float) -> float:
    """A focus/reverse coordinate, NaN when missing or invalid."""
    if value is None or isinstance(value, bool):
        return _NAN
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _NAN
    return v if math.isfinite(v) and abs(v) <= bound else _NAN


class BatchGeocoder:
    """Batch search and reverse over one ``Geocoder`` (thread-safe; see the module docstring)."""

    def __init__(self, geocoder):
        self.geocoder = geocoder
        ix = geocoder.index
        self.index = ix
        self.reader = BatchReader(ix.suffix_code, geocoder.reading)
        self._postcode_rows: dict[str, list[int]] = {}
        self._citycode_rows: dict[str, list[int]] = {}
        for row, (pc, cc) in enumerate(zip(ix.city_postcode.to_pylist(), ix.city_code.to_pylist())):
            self._postcode_rows.setdefault(pc, []).append(row)
            self._citycode_rows.setdefault(cc, []).append(row)
        self._filters: dict[tuple, tuple[int, ...]] = {}
        self._local = threading.local()
        self._pools: dict[int, ThreadPoolExecutor] = {}
        self._pools_lock = threading.Lock()

    # ------------------------------------------------------------------ forward
    def search(self, queries: Sequence, postcodes: Sequence | None = None, citycodes: Sequence | None = None,
               lats: Sequence | None = None, lons: Sequence | None = None,
               threads: int | None = None) -> tuple[list[Place | None], dict[int, str]]:
        """Best place per query (None when nothing matches), and {row: problem} for the rows
        that could not be searched (query longer than MAX_QUERY_CHARS, or not text).

        Row i's answer is ``Geocoder.search(queries[i], limit=1, postcode=postcodes[i],
        citycode=citycodes[i], lat=lats[i], lon=lons[i])[0]``, with blank filters as None and a
        focus only when both coordinates are valid.
        """
        n = len(queries)
        cols = [postcodes, citycodes, lats, lons]
        for c in cols:
            if c is not None and len(c) != n:
                raise ValueError("postcodes, citycodes, lats and lons need one value per query")
        pcs = [None] * n if postcodes is None else [_text(v) for v in postcodes]
        ccs = [None] * n if citycodes is None else [_text(v) for v in citycodes]
        if lats is None or lons is None:
            focus = [None] * n
        else:
            focus = []
            for a, b in zip(lats, lons):
                lat, lon = _coord(a, 90.0), _coord(b, 180.0)
                focus.append(None if math.isnan(lat) or math.isnan(lon) else (lat, lon))
        problems: dict[int, str] = {}
        texts = list(queries)
        for i, q in enumerate(texts):
            if not isinstance(q, str) or len(q) > MAX_QUERY_CHARS:
                problems[i] = (f"query longer than {MAX_QUERY_CHARS} characters" if isinstance(q, str) else
                               f"query is not text ({type(q).__name__})")
                texts[i] = None
        # identical rows are searched once
        plain = postcodes is None and citycodes is None and (lats is None or lons is None)
        keys = texts if plain else list(zip(texts, pcs, ccs, focus))
        index_of: dict = {}
        row_unique = [index_of.setdefault(k, len(index_of)) for k in keys]
        unique = [(k, None, None, None) for k in index_of] if plain else list(index_of)
        answers = self._run(self._search_chunk, unique, threads)
        return [answers[u] for u in row_unique], problems

    def _run(self, fn, items: list, threads: int | None) -> list:
        """fn(chunk) for every chunk of items, on ``threads`` threads; answers in item order."""
        threads = default_threads() if threads is None else threads
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        chunks = [items[a:a + CHUNK_ROWS] for a in range(0, len(items), CHUNK_ROWS)]
        if threads == 1 or len(chunks) < 2:
            parts = [fn(c) for c in chunks]
        else:
            parts = list(self._pool(threads).map(fn, chunks))
        return [a for part in parts for a in part]

    def _pool(self, threads: int) -> ThreadPoolExecutor:
        """A pool of ``threads`` threads kept for the next batches: each thread allocates its
        search workspace once (a workspace is sized by the index, tens of MB for a country)."""
        with self._pools_lock:
            pool = self._pools.get(threads)
            if pool is None:
                pool = self._pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="brique-batch")
            return pool

    def _allowed_cities(self, postcode: str | None, citycode: str | None) -> tuple[int, ...]:
        key = (postcode, citycode)
        rows = self._filters.get(key)
        if rows is None:
            allowed = None
            if postcode is not None:
                allowed = set(self._postcode_rows.get(postcode, ()))
            if citycode is not None:
                by_code = set(self._citycode_rows.get(citycode, ()))
                allowed = by_code if allowed is None else allowed & by_code
            if len(self._filters) >= 100_000:     # bounded, whatever the file
                self._filters.clear()
            rows = self._filters[key] = tuple(sorted(allowed))
        return rows

    def _scratch(self) -> np.ndarray:
        """This thread's city_ok array (zeros between calls)."""
        city_ok = getattr(self._local, "city_ok", None)
        if city_ok is None:
            city_ok = self._local.city_ok = np.zeros(max(self.index.n_cities, 1), np.uint8)
        return city_ok

    def _search_chunk(self, items: list[tuple]) -> list[Place | None]:
        """First pass of every item in one kernel call, the full search for the others."""
        g = self.geocoder
        answers: list[Place | None] = [None] * len(items)
        if self.index.n_tokens == 0:
            return answers
        read = self.reader.read
        form_index: dict[int, int] = {}
        forms: list = []
        row_form, row_nwords, words_data = [], [], []
        cities, flt, flat, flon, rows = [], [], [], [], []
        row_cities = [0]
        for j, (q, pc, cc, focus) in enumerate(items):
            if q is None:
                continue
            form, data, _ = read(q)
            if form.empty:
                continue
            fi = form_index.get(id(form))
            if fi is None:
                fi = form_index[id(form)] = len(forms)
                forms.append(form)
            rows.append(j)
            row_form.append(fi)
            row_nwords.append(len(data))
            words_data.extend(data)
            if pc is None and cc is None:
                flt.append(0)
            else:
                flt.append(1)
                cities.extend(self._allowed_cities(pc, cc))
            row_cities.append(len(cities))
            if focus is None:
                flat.append(_NAN)
                flon.append(_NAN)
            else:
                flat.append(focus[0])
                flon.append(focus[1])
        if not rows:
            return answers
        store = _form_store(forms)
        m = len(rows)
        out_doc = np.empty((m, _FIRST_PASS_K), np.int32)
        out_hn = np.empty((m, _FIRST_PASS_K), np.int32)
        out_score = np.empty((m, _FIRST_PASS_K), np.float64)
        out_n = np.empty(m, np.int32)
        out_complete = np.empty(m, np.uint8)
        G.search_batch(
            self.index.view, self.index.workspace(), *store, np.array(row_form, np.int32),
            _offsets(row_nwords), np.frombuffer(b"".join(words_data) or b"\0", np.uint8),
            _offsets(map(len, words_data)), T.ALL_TYPES, np.array(row_cities, np.int64),
            np.array(cities, np.int32), np.array(flt, np.uint8), self._scratch(), np.array(flat, np.float64),
            np.array(flon, np.float64), FOCUS_SCALE_M, out_doc, out_hn, out_score, out_n, out_complete)
        complete = out_complete.tolist()
        docs, hns, scores = out_doc[:, 0].tolist(), out_hn[:, 0].tolist(), out_score[:, 0].tolist()
        for r, j in enumerate(rows):
            q, pc, cc, focus = items[j]
            if complete[r]:
                answers[j] = g._place(docs[r], hns[r], scores[r], focus)
            else:
                lat, lon = focus if focus is not None else (None, None)
                found = g.search(q, limit=1, lat=lat, lon=lon, postcode=pc, citycode=cc)
                answers[j] = found[0] if found else None
        return answers

    # ------------------------------------------------------------------ reverse
    def reverse(self, lats: Sequence, lons: Sequence,
                threads: int | None = None) -> tuple[list[Place | None], dict[int, str]]:
        """Nearest place per point (``Geocoder.reverse(lat, lon)[0]``) and {row: problem} for
        rows without valid coordinates."""
        if len(lats) != len(lons):
            raise ValueError("lats and lons need one value per row")
        problems: dict[int, str] = {}
        points = []
        for i, (a, b) in enumerate(zip(lats, lons)):
            lat, lon = _coord(a, 90.0), _coord(b, 180.0)
            if math.isnan(lat) or math.isnan(lon):
                problems[i] = "no valid lat/lon"
                points.append(None)
            else:
                points.append((lat, lon))
        return self._run(self._reverse_chunk, points, threads), problems

    def _reverse_chunk(self, points: list) -> list[Place | None]:
        g = self.geocoder
        answers: list[Place | None] = [None] * len(points)
        rows = [j for j, p in enumerate(points) if p is not None]
        if not rows:
            return answers
        lat = np.array([points[j][0] for j in rows], np.float64)
        lon = np.array([points[j][1] for j in rows], np.float64)
        out_ref = np.empty((len(rows), 1), np.int32)
        out_d = np.empty((len(rows), 1), np.float64)
        out_n = np.empty(len(rows), np.int32)
        G.reverse_batch(self.index.view, lat, lon, T.ALL_TYPES, T.CELL_LAT, T.CELL_LON, T.CELL_X_BITS,
                        REVERSE_MAX_RINGS, out_ref, out_d, out_n)
        refs, found = out_ref[:, 0].tolist(), out_n.tolist()
        for r, j in enumerate(rows):
            if found[r]:
                ref = refs[r]
                answers[j] = (g._place(-(ref + 1), -1, None, points[j]) if ref < 0 else
                              g._place(g._doc_of_hn(ref), ref, None, points[j]))
        return answers


def _offsets(lengths) -> np.ndarray:
    """int64 CSR offsets of consecutive lengths."""
    return np.fromiter(accumulate(lengths, initial=0), np.int64)


def _form_store(forms: list) -> tuple:
    """The forms of a chunk as search_batch's form arrays (see engine/_geocode_batch.pxi)."""
    entry_word, fixed, group, prefix, numeric, scale = [], [], [], [], [], []
    weight, number, suffix, group_word = [], [], [], []
    form_entries, form_groups = [0], [0]
    for f in forms:
        entry_word.extend(f.entry_word)
        fixed.extend(f.fixed)
        group.extend(f.group)
        prefix.extend(f.prefix)
        numeric.extend(f.numeric)
        scale.extend(f.scale)
        weight.extend(f.weight)
        number.extend(f.number)
        suffix.extend(f.suffix)
        group_word.extend(f.group_word)
        form_entries.append(len(entry_word))
        form_groups.append(len(weight))
    return (np.array(form_entries, np.int64), np.array(entry_word, np.int32),
            np.frombuffer(b"".join(fixed) or b"\0", np.uint8), _offsets(map(len, fixed)),
            np.array(group, np.int32), np.array(prefix, np.uint8), np.array(numeric, np.uint8),
            np.array(scale, np.float64), np.array(form_groups, np.int64), np.array(weight, np.float64),
            np.array(number, np.int32), np.array(suffix, np.int32), np.array(group_word, np.int32))


_BATCHES_LOCK = threading.Lock()


def batch_geocoder(geocoder) -> BatchGeocoder:
    """The BatchGeocoder of ``geocoder`` (one per geocoder, built on first use and kept on it, so
    that it lives and dies with the open bundle)."""
    batch = geocoder.__dict__.get("_batch")
    if batch is None:
        with _BATCHES_LOCK:
            batch = geocoder.__dict__.get("_batch")
            if batch is None:
                batch = geocoder.__dict__["_batch"] = BatchGeocoder(geocoder)
    return batch
