"""GeocoderIndex: read-only numpy views over the bundle's geocoder/* tables (QUERY TIME).

Opening costs O(number of suffixes): every array is a zero-copy view of the memory map; the
string columns stay Arrow arrays, read only for the few rows a query returns.
"""
from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa

from .. import _geocode as G
from .._geocode import GeocodeWorkspace, StringColumn
from ..errors import BundleError

TABLES = ("geocoder/docs", "geocoder/cities", "geocoder/housenumbers", "geocoder/suffixes",
          "geocoder/tokens", "geocoder/ngrams", "geocoder/grid_points", "geocoder/grid_cells")


def _string_buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int32 offsets, uint8 bytes) of an Arrow string array, zero-copy."""
    if len(array) == 0:
        return np.zeros(1, np.int32), np.zeros(1, np.uint8)
    bufs = array.buffers()
    offsets = np.frombuffer(bufs[1], np.int32, len(array) + 1, array.offset * 4)
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None and bufs[2].size else np.zeros(1, np.uint8)
    return offsets, data


def string_column(array: pa.Array) -> StringColumn:
    """Random access to an Arrow string column (compiled: a row costs a slice and a decode)."""
    return StringColumn(array, *_string_buffers(array))


class GeocoderIndex:
    """Flat arrays of one bundle's geocoder; immutable, shared by all threads."""

    def __init__(self, bundle):
        missing = [t for t in TABLES if not bundle.has(t)]
        if missing:
            raise BundleError(f"bundle {bundle.path} has no geocoder (missing {', '.join(missing)}); "
                              f"build it with --addresses or --osm")
        c = bundle.column
        self.tok_off, self.tok_data = _string_buffers(bundle.strings("geocoder/tokens", "token"))
        self.post_off, self.post_docs = bundle.csr("geocoder/tokens", "docs")
        self.ng_key = c("geocoder/ngrams", "ngram")
        self.ng_off, self.ng_tok = bundle.csr("geocoder/ngrams", "tokens")
        self.dtok_off, self.dtok = bundle.csr("geocoder/docs", "tokens")
        self.d_nname = c("geocoder/docs", "n_name_tokens")
        self.d_type = c("geocoder/docs", "type")
        self.d_imp = c("geocoder/docs", "importance")
        self.d_lat = c("geocoder/docs", "lat")
        self.d_lon = c("geocoder/docs", "lon")
        self.d_city = c("geocoder/docs", "city_idx")
        self.d_hnf = c("geocoder/docs", "hn_first")
        self.d_hnc = c("geocoder/docs", "hn_count")
        self.hn_num = c("geocoder/housenumbers", "number")
        self.hn_suf = c("geocoder/housenumbers", "suffix")
        self.hn_lat = c("geocoder/housenumbers", "lat_e7")
        self.hn_lon = c("geocoder/housenumbers", "lon_e7")
        self.suf_canon = c("geocoder/suffixes", "canon")
        self.g_ref = c("geocoder/grid_points", "ref")
        self.g_lat = c("geocoder/grid_points", "lat_e7")
        self.g_lon = c("geocoder/grid_points", "lon_e7")
        self.cells = c("geocoder/grid_cells", "cell")
        self.cell_start = c("geocoder/grid_cells", "start")
        s = bundle.strings
        self.doc_id = string_column(s("geocoder/docs", "id"))
        self.doc_name = string_column(s("geocoder/docs", "name"))
        self.doc_street = string_column(s("geocoder/docs", "street"))
        self.hn_id = string_column(s("geocoder/housenumbers", "id"))
        cities = bundle.table("geocoder/cities")
        self.city_postcode = cities.column("postcode").combine_chunks()
        self.city_code = cities.column("citycode").combine_chunks()
        self.city_name = cities.column("city").combine_chunks()
        self.city_table = cities
        #: phonetic keys (sorted) -> token ids; absent in bundles built before them
        self.phon_key = string_column(s("geocoder/phonetic", "key")) if bundle.has("geocoder/phonetic") else None
        self.phon_off, self.phon_tok = bundle.csr("geocoder/phonetic", "tokens") if self.phon_key is not None \
            else (None, None)
        self.sources = bundle.table("geocoder/sources").to_pylist() if bundle.has("geocoder/sources") else []
        self.suffixes: list[str] = bundle.strings("geocoder/suffixes", "suffix").to_pylist()
        self.suffix_code = {sfx: i for i, sfx in enumerate(self.suffixes)}
        self.n_docs = len(self.d_type)
        self.n_tokens = len(self.tok_off) - 1
        self.n_cities = len(self.city_code)
        self.view = G.GeocoderView(
            token_bytes_offsets=self.tok_off, token_bytes=self.tok_data,
            token_docs_offsets=self.post_off, token_docs=self.post_docs,
            ngram_code=self.ng_key, ngram_tokens_offsets=self.ng_off, ngram_tokens=self.ng_tok,
            doc_tokens_offsets=self.dtok_off, doc_tokens=self.dtok, doc_n_name_tokens=self.d_nname,
            doc_type=self.d_type, doc_importance=self.d_imp, doc_lat=self.d_lat, doc_lon=self.d_lon,
            doc_city=self.d_city, doc_hn_first=self.d_hnf, doc_hn_count=self.d_hnc,
            hn_number=self.hn_num, hn_suffix=self.hn_suf, hn_lat_e7=self.hn_lat, hn_lon_e7=self.hn_lon,
            suffix_canon=self.suf_canon, point_ref=self.g_ref, point_lat_e7=self.g_lat,
            point_lon_e7=self.g_lon, cell_key=self.cells, cell_start=self.cell_start,
            n_cities=self.n_cities)
        self._local = threading.local()
        self._importance_order: np.ndarray | None = None

    def workspace(self) -> GeocodeWorkspace:
        """This thread's reusable scratch arrays (allocated once per thread)."""
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = GeocodeWorkspace(self.n_tokens, self.n_docs)
            ws.use_importance_order(self.importance_order())
            self._local.ws = ws
        return ws

    def importance_order(self) -> np.ndarray:
        """Doc ids by importance desc (ties: doc id asc): a broad query word ("10 r") scores only
        its most important docs. Sorted on first use, once per index (0.1 s at 1.3 M docs),
        so that opening reads nothing; threads racing here compute the same array."""
        order = self._importance_order
        if order is None:
            order = np.argsort(-np.asarray(self.d_imp, np.float32), kind="stable").astype(np.int32)
            self._importance_order = order
        return order

