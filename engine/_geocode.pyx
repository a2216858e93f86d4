# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Geocoder query kernels: token lookup, typo expansion, candidate scoring, reverse search.

Compiled at install (no JIT): a fresh process answers its first geocode without compiling.
Every loop runs without the GIL, so threads sharing one index search in parallel.

Layout of the arrays held by GeocoderView (all read-only, zero-copy over the bundle's
geocoder/* tables; built once when the GeocoderIndex opens):

  token_bytes_offsets   int32 [n_tokens+1]  the token dictionary, an Arrow string column (UTF-8
  token_bytes           uint8 [..]          bytes), sorted bytewise: the tokens starting with a
                                            prefix are one range [lo, hi), two binary searches
  token_docs_offsets    int32 [n_tokens+1]  CSR postings: token -> ascending doc ids
  token_docs            int32 [..]
  ngram_code            uint32 [n_ngrams]   ascending padded trigram codes (b0 << 16 | b1 << 8 | b2,
                                            1 pads the start, 2 the end)
  ngram_tokens_offsets  int32 [n_ngrams+1]  CSR: trigram -> token ids containing it
  ngram_tokens          int32 [..]
  doc_tokens_offsets    int32 [n_docs+1]    CSR: doc -> token ids; the first doc_n_name_tokens[d]
  doc_tokens            int32 [..]          come from the doc's name
  doc_n_name_tokens     int16 [n_docs]
  doc_type              int8  [n_docs]      0 address .. 4 stop (engine.geocoder.tokens)
  doc_importance        float32 [n_docs]    in [0, 1]
  doc_lat, doc_lon      float64 [n_docs]
  doc_city              int32 [n_docs]      row of geocoder/cities, -1 none
  doc_hn_first          int32 [n_docs]      house-number rows doc_hn_first[d] ..
  doc_hn_count          int32 [n_docs]        + doc_hn_count[d], sorted by (number, suffix)
  hn_number             int32 [n_hn]
  hn_suffix             int16 [n_hn]        row of geocoder/suffixes (0 = no suffix)
  hn_lat_e7, hn_lon_e7  int32 [n_hn]        degrees * 1e7
  suffix_canon          int16 [n_suffixes]  canonical suffix ("b" and "bis" share one)
  point_ref             int32 [n_points]    reverse grid, cell-major: >= 0 a house-number row,
  point_lat_e7/lon_e7   int32 [n_points]      < 0 the doc -(ref + 1)
  cell_key              int64 [n_cells+1]   ascending (cy << x_bits) | cx, last row INT64_MAX
  cell_start            int32 [n_cells+1]   points of cell k: cell_start[k] .. cell_start[k+1]

A query arrives as *entries* (q_data bytes cut by q_offsets, one per token spelling) grouped
into *groups* (one per query word; a word can have two spellings, e.g. the raw prefix ``av`` and
its expansion ``avenue``). Per entry: prefix flag, numeric flag (exact lookup only) and
q_scale, a factor on every match quality of the entry (< 1 for a looser spelling). Per group:
weight (stopwords weigh less), parsed house number (>= 0 when the word looks like ``12`` or
``12bis``) and its suffix code (0 none, -1 unknown).

GeocodeWorkspace (one per thread, never shared) holds the scratch state of one query:
  tokq[t, i]     float32 [n_tokens, MAX_ENTRIES]  match quality of token t for entry i (0 = none);
                 token-major: the entries of one token share a cache line (scoring reads
                 every entry of each candidate's tokens)
  touched, seg   the tokens entry i matched are touched[seg[i] .. seg[i+1]] (each once)
  tok_hit        uint8 [n_tokens]  1 when some entry matched token t (tokq[t] has a value > 0):
                 a byte per token stays in cache, so scoring skips unmatched tokens cheaply
  ngram_count    int32 [n_tokens]  trigrams shared with the entry (typo candidates, ngram_hits
  ngram_hits     int32 [n_tokens]    lists them so they are cleared without a sweep)
  doc_stamp      int32 [n_docs]    last query that made the doc a candidate (no clearing)
  candidates     int32 [<= MAX_CANDIDATES]
  doc_order      int32 [n_docs]    docs by importance desc (GeocoderIndex.importance_order, shared):
                 a broad word ("10 r") takes its CAND_BUDGET most important docs as candidates
                 instead of all of them (see BROAD_POSTINGS; off with a focus, bbox or type filter)
  bits_acc, bits_tmp uint64 [ceil(n_docs / 64)]  doc bitmaps of the required words (intersection:
                 a query with two required words or more scores only the docs having all of
                 them, see _collect_intersection)
  cache_bits     uint64 [CACHE_SLOTS, ceil(n_docs / 64)]  bitmaps of the last frequent one-token
                 words ("rue", "avenue"), kept across queries (the index never changes)
  cand_tmp       int32 scratch of the importance sort of the candidates (_by_importance)
Between queries tokq, tok_hit and ngram_count are all zero: reset_tokq clears only the touched tokens.

Results are bit-identical to the former Numba kernels: the same float operations in the same
order (x * (pi / 180) for radians, libm sin/cos/asin/exp/sqrt), no integer division or modulo
on negative numbers, and the same tie-breaks (score desc then doc asc; distance asc then ref asc).
"""
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.math cimport asin, cos, exp, fabs, floor, pow, rint, sin, sqrt, tan, M_PI
from libc.string cimport memcpy, memset
from engine._geomath cimport haversine_m as _haversine, radians as _radians
import numpy as np

cdef extern from *:
    int __builtin_ctzll(unsigned long long) nogil
    void __builtin_prefetch(const void*) nogil

cdef enum:
    MAX_ENTRIES_C = 16          # entries (token spellings) per query
    MAX_WORD_BYTES = 62         # longer entries get no typo matching (and fit the OSA rows)
    OSA_COLS = 64
    MAX_CANDIDATES_C = 250000   # docs scored per query, at most
    PREFIX_CAP = 20000          # tokens one prefix may expand to
    #: a word whose postings exceed max(BROAD_POSTINGS, n_docs / BROAD_SHARE) ("10 r", "rue de la m")
    #: gives candidates by importance: the CAND_BUDGET most important docs it matches (see
    #: _collect_important), scanning at most SCAN_FACTOR x CAND_BUDGET docs (per workspace:
    #: GeocodeWorkspace.use_importance_order)
    BROAD_POSTINGS = 50000
    BROAD_SHARE = 16
    CAND_BUDGET = 2000
    #: candidates are scored most important first above this many (_by_importance)
    SORT_ABOVE = 64
    #: the scoring loop asks for the rows of the candidates this far ahead (_prefetch_doc)
    PREFETCH_FAR = 16
    PREFETCH_NEAR = 8
    #: an intersection of count docs trimmed to a budget is walked by importance when
    #: budget x n_docs / count < WALK_SHARE x count: a walked doc costs a sequential read and a
    #: bit test, a histogram's doc a random read of its importance
    WALK_SHARE = 16
    #: a query with one content word (besides numbers and stopwords: "2 place", "8 avenue de")
    #: whose candidates exceed TRIM_ABOVE scores only the CAND_BUDGET most important of them
    TRIM_ABOVE = 20000
    SCAN_FACTOR = 24
    #: a query with two required words or more (see _collect_intersection) scores only the docs
    #: that have all of them; above INTERSECT_TRIM such docs (and no focus, bbox or type
    #: filter), only the CAND_BUDGET most important
    INTERSECT_TRIM = 4000
    #: filtering candidates by reading their tokens costs about this many postings of a
    #: word's bitmap: below it, the remaining words are checked doc by doc
    DOC_CHECK_COST = 32
    #: a workspace keeps the bitmaps of its last CACHE_SLOTS required words that are one token
    #: with CACHE_POSTINGS postings or more (_token_bitmap)
    CACHE_SLOTS = 16
    CACHE_POSTINGS = 32768

MAX_ENTRIES = MAX_ENTRIES_C
MAX_CANDIDATES = MAX_CANDIDATES_C

cdef double Q_EXACT = 1.0, Q_TYPO1 = 0.85, Q_TYPO2 = 0.7, Q_FALLBACK = 0.5
cdef double W_TEXT = 0.65, W_NAME = 0.15, W_IMP = 0.05, W_HN = 0.15
cdef double MIN_TEXT = 0.45
#: with a focus point: importance counts for W_IMP x (FOCUS_IMP_FLOOR + (1 - floor) x importance),
#: and nearness for 0.2 of the score: (0.2 - W_FOCUS_FAR) x exp(-d / focus_scale_m) (the
#: neighbourhood) + W_FOCUS_FAR x s / (s + d), s = FOCUS_FAR_SCALE x focus_scale_m (which of two
#: far homonyms is nearer: small, so that a better text match nearby still wins over it)
cdef double FOCUS_IMP_FLOOR = 0.999, FOCUS_FAR_SCALE = 4.0, W_FOCUS_FAR = 0.02
#: penalty on a document whose commune the query names only in part (share of its words unnamed)
cdef double W_CITY = 0.1


cdef inline bint _is_digit(uint8_t c) noexcept nogil:
    return 48 <= c <= 57
cdef double M_PER_DEG = 111_195.0


ctypedef fused sorted_t:
    int32_t
    uint32_t
    int64_t


cdef inline int64_t _lower_bound_num(const sorted_t* a, int64_t lo, int64_t hi, sorted_t key) noexcept nogil:
    """First index in [lo, hi) of the ascending a[] whose value is >= key (hi when none)."""
    cdef int64_t mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef struct Strings:
    # An Arrow string column: string k is data[offsets[k] .. offsets[k+1]].
    const int32_t* offsets
    const uint8_t* data
    int64_t n


cdef class GeocoderView:
    """Typed read-only memoryviews over the bundle's geocoder arrays (built once per open)."""

    cdef readonly int64_t n_tokens, n_docs, n_hn, n_suffixes, n_cities
    cdef Strings tokens
    cdef const int32_t[::1] token_bytes_offsets
    cdef const uint8_t[::1] token_bytes
    cdef const int32_t[::1] token_docs_offsets
    cdef const int32_t[::1] token_docs
    cdef const uint32_t[::1] ngram_code
    cdef const int32_t[::1] ngram_tokens_offsets
    cdef const int32_t[::1] ngram_tokens
    cdef const int32_t[::1] doc_tokens_offsets
    cdef const int32_t[::1] doc_tokens
    cdef const int16_t[::1] doc_n_name_tokens
    cdef const int8_t[::1] doc_type
    cdef const float[::1] doc_importance
    cdef const double[::1] doc_lat
    cdef const double[::1] doc_lon
    cdef const int32_t[::1] doc_city
    cdef const int32_t[::1] doc_hn_first
    cdef const int32_t[::1] doc_hn_count
    cdef const int32_t[::1] hn_number
    cdef const int16_t[::1] hn_suffix
    cdef const int32_t[::1] hn_lat_e7
    cdef const int32_t[::1] hn_lon_e7
    cdef const int16_t[::1] suffix_canon
    cdef const int32_t[::1] point_ref
    cdef const int32_t[::1] point_lat_e7
    cdef const int32_t[::1] point_lon_e7
    cdef const int64_t[::1] cell_key
    cdef const int32_t[::1] cell_start

    def __init__(self, *, const int32_t[::1] token_bytes_offsets, const uint8_t[::1] token_bytes,
                 const int32_t[::1] token_docs_offsets, const int32_t[::1] token_docs,
                 const uint32_t[::1] ngram_code, const int32_t[::1] ngram_tokens_offsets,
                 const int32_t[::1] ngram_tokens,
                 const int32_t[::1] doc_tokens_offsets, const int32_t[::1] doc_tokens,
                 const int16_t[::1] doc_n_name_tokens, const int8_t[::1] doc_type,
                 const float[::1] doc_importance, const double[::1] doc_lat, const double[::1] doc_lon,
                 const int32_t[::1] doc_city, const int32_t[::1] doc_hn_first,
                 const int32_t[::1] doc_hn_count,
                 const int32_t[::1] hn_number, const int16_t[::1] hn_suffix,
                 const int32_t[::1] hn_lat_e7, const int32_t[::1] hn_lon_e7,
                 const int16_t[::1] suffix_canon,
                 const int32_t[::1] point_ref, const int32_t[::1] point_lat_e7,
                 const int32_t[::1] point_lon_e7,
                 const int64_t[::1] cell_key, const int32_t[::1] cell_start,
                 int64_t n_cities=0):
        self.token_bytes_offsets = token_bytes_offsets
        self.token_bytes = token_bytes
        self.token_docs_offsets = token_docs_offsets
        self.token_docs = token_docs
        self.ngram_code = ngram_code
        self.ngram_tokens_offsets = ngram_tokens_offsets
        self.ngram_tokens = ngram_tokens
        self.doc_tokens_offsets = doc_tokens_offsets
        self.doc_tokens = doc_tokens
        self.doc_n_name_tokens = doc_n_name_tokens
        self.doc_type = doc_type
        self.doc_importance = doc_importance
        self.doc_lat = doc_lat
        self.doc_lon = doc_lon
        self.doc_city = doc_city
        self.doc_hn_first = doc_hn_first
        self.doc_hn_count = doc_hn_count
        self.hn_number = hn_number
        self.hn_suffix = hn_suffix
        self.hn_lat_e7 = hn_lat_e7
        self.hn_lon_e7 = hn_lon_e7
        self.suffix_canon = suffix_canon
        self.point_ref = point_ref
        self.point_lat_e7 = point_lat_e7
        self.point_lon_e7 = point_lon_e7
        self.cell_key = cell_key
        self.cell_start = cell_start
        self.n_tokens = token_bytes_offsets.shape[0] - 1
        self.n_docs = doc_type.shape[0]
        self.n_hn = hn_number.shape[0]
        self.n_suffixes = suffix_canon.shape[0]
        self.n_cities = n_cities
        if (self.n_tokens < 0 or token_bytes.shape[0] < 1
                or token_docs_offsets.shape[0] != self.n_tokens + 1
                or ngram_tokens_offsets.shape[0] != ngram_code.shape[0] + 1
                or doc_tokens_offsets.shape[0] != self.n_docs + 1
                or cell_start.shape[0] != cell_key.shape[0]):
            raise ValueError("geocoder arrays have inconsistent lengths")
        self.tokens = _strings(token_bytes_offsets, token_bytes)


cdef class GeocodeWorkspace:
    """Reusable per-thread scratch state of one query (see the module docstring); never shared."""

    cdef readonly int64_t n_tokens, n_docs, n_touched, n_entries
    cdef readonly int32_t stamp_value
    cdef readonly object tokq_np           # for tests: tokq as [entry, token], all zero between queries
    cdef float[:, ::1] tokq
    cdef int32_t[::1] touched
    cdef int64_t seg[MAX_ENTRIES_C + 1]
    cdef uint8_t[::1] tok_hit
    cdef int32_t[::1] ngram_count
    cdef int32_t[::1] ngram_hits
    cdef int32_t[::1] doc_stamp
    cdef int32_t[::1] candidates
    cdef const int32_t[::1] doc_order     # docs by importance desc (empty: no broad-word budget)
    cdef readonly int64_t broad_postings, cand_budget, trim_above
    cdef uint64_t[::1] bits_acc
    cdef int32_t[::1] cand_tmp
    cdef uint64_t[:, ::1] cache_bits
    cdef int64_t cache_token[CACHE_SLOTS]
    cdef int cache_next
    cdef uint64_t[::1] bits_tmp
    cdef readonly bint intersect          # candidates of several required words: their intersection
    cdef readonly int64_t intersect_trim
    cdef readonly bint exact_fill         # see set_intersection
    cdef readonly int64_t direct_postings  # see set_intersection
    #: for tests and benchmarks: how the last query took its candidates (0 cheapest word,
    #: 1 intersection only, 2 intersection then the cheapest word's docs)
    cdef readonly int last_path
    cdef readonly int64_t last_candidates  # for benchmarks: docs the last query scored

    def __init__(self, int64_t n_tokens, int64_t n_docs):
        cdef int64_t n_tok = max(n_tokens, 1)
        self.n_tokens = n_tokens
        self.n_docs = n_docs
        self.n_touched = 0
        self.n_entries = 0
        self.stamp_value = 0
        tokq = np.zeros((n_tok, MAX_ENTRIES_C), np.float32)
        self.tokq = tokq
        self.tokq_np = tokq.T                  # [entry, token], as the kernels' callers think of it
        self.touched = np.zeros(MAX_ENTRIES_C * n_tok, np.int32)
        self.tok_hit = np.zeros(n_tok, np.uint8)
        self.ngram_count = np.zeros(n_tok, np.int32)
        self.ngram_hits = np.zeros(n_tok, np.int32)
        self.doc_stamp = np.zeros(max(n_docs, 1), np.int32)
        self.candidates = np.zeros(min(max(n_docs, 1), MAX_CANDIDATES_C), np.int32)
        self.cand_tmp = np.zeros(min(max(n_docs, 1), MAX_CANDIDATES_C), np.int32)
        self.cache_bits = np.zeros((CACHE_SLOTS, (max(n_docs, 1) + 63) >> 6), np.uint64)
        cdef int i
        for i in range(MAX_ENTRIES_C + 1):
            self.seg[i] = 0
        for i in range(CACHE_SLOTS):
            self.cache_token[i] = -1
        self.cache_next = 0
        self.doc_order = np.zeros(0, np.int32)
        self.broad_postings = BROAD_POSTINGS
        self.cand_budget = CAND_BUDGET
        self.trim_above = TRIM_ABOVE
        self.bits_acc = np.zeros((max(n_docs, 1) + 63) >> 6, np.uint64)
        self.bits_tmp = np.zeros((max(n_docs, 1) + 63) >> 6, np.uint64)
        self.intersect = True
        self.intersect_trim = INTERSECT_TRIM
        self.exact_fill = False
        self.direct_postings = -1
        self.last_path = 0

    def set_intersection(self, bint enabled=True, int64_t trim_above=INTERSECT_TRIM, bint exact_fill=False,
                         int64_t direct_postings=-1):
        """Candidates of a query with two required words or more: only the docs that have all of
        them (``enabled``; else the cheapest word's docs, the former path), the cand_budget most
        important when more than ``trim_above`` (and the importance order is set). When fewer
        than k of them score, the cheapest word's docs are added (the former path's candidates);
        ``exact_fill``: also when a doc missing a required word could outscore the k-th result,
        so that results equal the former path's whenever it took every doc of the cheapest word
        (tests compare them). A rarest word with fewer than ``direct_postings`` postings (-1:
        n_docs / 64 / DOC_CHECK_COST, a bitmap pass's cost) gives the candidates directly, its
        docs' tokens checked for the other words, no bitmap."""
        if trim_above < 0:
            raise ValueError("trim_above must be >= 0")
        self.intersect = enabled
        self.intersect_trim = trim_above
        self.exact_fill = exact_fill
        self.direct_postings = direct_postings

    def use_importance_order(self, const int32_t[::1] order, int64_t broad_postings=BROAD_POSTINGS,
                             int64_t cand_budget=CAND_BUDGET, int64_t trim_above=TRIM_ABOVE):
        """Docs by importance desc (a permutation of the index's docs): a word with more than
        max(broad_postings, n_docs / BROAD_SHARE) postings then gives only its cand_budget most
        important docs as candidates instead of all of them, and so does a one-word query with
        more than trim_above candidates (tests pass small values)."""
        cdef int64_t k
        if order.shape[0] != self.n_docs:
            raise ValueError("the importance order lists every doc once")
        if broad_postings < 0 or cand_budget < 1 or trim_above < 0:
            raise ValueError("broad_postings and trim_above must be >= 0 and cand_budget >= 1")
        for k in range(order.shape[0]):
            if not 0 <= order[k] < self.n_docs:
                raise ValueError("the importance order holds doc ids")
        self.doc_order = order
        self.broad_postings = broad_postings
        self.cand_budget = cand_budget
        self.trim_above = trim_above


# ---------------------------------------------------------------------- dictionary lookup

cdef inline int _cmp(const Strings* s, int64_t t, const uint8_t* q, int64_t n, bint prefix_only) noexcept nogil:
    """Compare token t with q[0:n] bytewise: -1, 0, 1 (prefix_only: compare its first n bytes)."""
    cdef int64_t a = s.offsets[t], la = s.offsets[t + 1] - a, m = la if la < n else n, k
    cdef uint8_t x, y
    for k in range(m):
        x = s.data[a + k]
        y = q[k]
        if x != y:
            return -1 if x < y else 1
    if prefix_only:
        return 0 if la >= n else -1
    if la == n:
        return 0
    return -1 if la < n else 1


cdef int64_t _lower_bound(const Strings* s, const uint8_t* q, int64_t n) noexcept nogil:
    """First token >= q."""
    cdef int64_t lo = 0, hi = s.n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if _cmp(s, mid, q, n, False) < 0:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef int64_t _prefix_end(const Strings* s, const uint8_t* q, int64_t n, int64_t lo) noexcept nogil:
    """First token from ``lo`` on that does not start with q (lo: a token >= q)."""
    cdef int64_t hi = s.n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if _cmp(s, mid, q, n, True) <= 0:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef inline int _min3(int a, int b, int c) noexcept nogil:
    cdef int m = a if a < b else b
    return m if m < c else c


cdef int _osa_distance(const uint8_t* a, int n, const uint8_t* b, int m, int maxd) noexcept nogil:
    """Optimal-string-alignment distance of a[0:n] and b[0:m], or maxd + 1 when larger
    (three rolling rows; i % 3 is row i, all indices are non-negative)."""
    cdef int32_t dp[3][OSA_COLS]
    cdef int i, j, cur, prev, prev2, cost, v, row_min
    if n - m > maxd or m - n > maxd or n > MAX_WORD_BYTES or m > MAX_WORD_BYTES:
        return maxd + 1
    for j in range(m + 1):
        dp[1][j] = j
    for i in range(1, n + 1):
        cur = (i + 1) % 3
        prev = i % 3
        prev2 = (i - 1) % 3
        dp[cur][0] = i
        row_min = i
        for j in range(1, m + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = _min3(dp[prev][j] + 1, dp[cur][j - 1] + 1, dp[prev][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                if dp[prev2][j - 2] + 1 < v:
                    v = dp[prev2][j - 2] + 1
            dp[cur][j] = v
            if v < row_min:
                row_min = v
        if row_min > maxd:
            return maxd + 1
    v = dp[(n + 1) % 3][m]            # a row's minimum can be <= maxd while its last cell is not
    return v if v <= maxd else maxd + 1


# ---------------------------------------------------------------------- candidate tokens

cdef inline void _set_q(GeocodeWorkspace ws, int i, int64_t t, double v) noexcept nogil:
    """Raise tokq[t, i] to v, listing t in touched the first time entry i matches it (so each
    (entry, token) is listed once: touched never overflows)."""
    cdef float f = <float>v
    if not f > 0.0:                   # a zero q_scale disables the spelling
        return
    if ws.tokq[t, i] == 0.0:
        ws.touched[ws.n_touched] = <int32_t>t
        ws.n_touched += 1
        ws.tok_hit[t] = 1
    if v > ws.tokq[t, i]:
        ws.tokq[t, i] = f


cdef void _clear_tokq(GeocodeWorkspace ws) noexcept nogil:
    cdef int64_t z, t
    cdef int i
    for z in range(ws.n_touched):
        t = ws.touched[z]
        ws.tok_hit[t] = 0
        for i in range(ws.n_entries):
            ws.tokq[t, i] = 0.0
    ws.n_touched = 0
    ws.n_entries = 0


cdef void _expand_typos(GeocoderView ix, GeocodeWorkspace ws, int i, const uint8_t* q, int64_t L,
                        double scale, bint* found) noexcept nogil:
    """Tokens within 1 (L < 8) or 2 edits of q[0:L]: those sharing enough padded trigrams with
    q (one edit changes at most 4 of them, a transposition), checked by OSA distance."""
    cdef uint32_t qgrams[MAX_WORD_BYTES + 1]
    cdef int maxd = 1 if L < 8 else 2
    cdef int ng = 0, z, d, need
    cdef int64_t k, a, p, t, n_hits = 0, n_codes = ix.ngram_code.shape[0]
    cdef uint32_t b0, b1, b2, code
    cdef bint dup
    for k in range(-1, L - 1):
        b0 = 1 if k < 0 else q[k]
        b1 = q[k + 1]
        b2 = 2 if k + 2 >= L else q[k + 2]
        code = (b0 << 16) | (b1 << 8) | b2
        dup = False
        for z in range(ng):
            if qgrams[z] == code:
                dup = True
                break
        if not dup:
            qgrams[ng] = code
            ng += 1
    for z in range(ng):
        code = qgrams[z]
        a = _lower_bound_num(&ix.ngram_code[0], 0, n_codes, code)
        if a < n_codes and ix.ngram_code[a] == code:
            for p in range(ix.ngram_tokens_offsets[a], ix.ngram_tokens_offsets[a + 1]):
                t = ix.ngram_tokens[p]
                if ws.ngram_count[t] == 0:
                    ws.ngram_hits[n_hits] = <int32_t>t
                    n_hits += 1
                ws.ngram_count[t] += 1
    need = ng - 4 * maxd
    if need < 1:
        need = 1
    for k in range(n_hits):
        t = ws.ngram_hits[k]
        if ws.ngram_count[t] >= need:
            d = _osa_distance(q, <int>L, &ix.tokens.data[ix.tokens.offsets[t]],
                              ix.tokens.offsets[t + 1] - ix.tokens.offsets[t], maxd)
            if d <= maxd:
                _set_q(ws, i, t, (Q_TYPO1 if d == 1 else Q_TYPO2) * scale)
                found[0] = True
        ws.ngram_count[t] = 0


cdef void _expand_prefix(GeocoderView ix, GeocodeWorkspace ws, int i, const uint8_t* q, int64_t L,
                         int64_t lo, double factor) noexcept nogil:
    """Tokens starting with q[0:L] (at most PREFIX_CAP), quality factor * (0.7 + 0.3 L / len)."""
    cdef int64_t hi = _prefix_end(&ix.tokens, q, L, lo), t, lt
    if hi - lo > PREFIX_CAP:
        hi = lo + PREFIX_CAP
    for t in range(lo, hi):
        lt = ix.tokens.offsets[t + 1] - ix.tokens.offsets[t]
        _set_q(ws, i, t, factor * (0.7 + 0.3 * L / lt))    # factor 1.0: exact, no rounding


cdef void _expand_query(GeocoderView ix, GeocodeWorkspace ws, const uint8_t* q_data, const int64_t* q_offsets,
                        const uint8_t* q_prefix, const uint8_t* q_numeric, const double* q_scale, int64_t nq,
                        int typos) noexcept nogil:
    """expand_entries without its checks (the entries are valid): also the batch search's step."""
    cdef int64_t qs, qe, L, lo
    cdef int i
    cdef bint exact, found
    cdef double scale
    cdef const uint8_t* q
    _clear_tokq(ws)
    ws.n_entries = nq
    for i in range(nq):
        ws.seg[i] = ws.n_touched
        qs = q_offsets[i]
        qe = q_offsets[i + 1]
        L = qe - qs
        if L == 0:
            continue
        q = &q_data[qs]
        scale = q_scale[i]
        lo = _lower_bound(&ix.tokens, q, L)
        exact = lo < ix.n_tokens and _cmp(&ix.tokens, lo, q, L, False) == 0
        if exact:
            _set_q(ws, i, lo, Q_EXACT * scale)
        if q_numeric[i]:
            continue
        if q_prefix[i]:
            _expand_prefix(ix, ws, i, q, L, lo, scale)
            continue
        found = exact
        # beyond MAX_WORD_BYTES no token is within maxd edits (_osa_distance's bound)
        if typos and 4 <= L <= MAX_WORD_BYTES and (typos == 2 or not exact):
            _expand_typos(ix, ws, i, q, L, scale, &found)
        if not found and L >= 3:
            _expand_prefix(ix, ws, i, q, L, lo, Q_FALLBACK * scale)
    ws.seg[nq] = ws.n_touched


def expand_entries(GeocoderView ix, GeocodeWorkspace ws, const uint8_t[::1] q_data,
                   const int64_t[::1] q_offsets, const uint8_t[::1] q_prefix,
                   const uint8_t[::1] q_numeric, const double[::1] q_scale, int typos):
    """Fill tokq[t, i] for every entry i and each token t it matches; returns the touched count.

    Per entry: the exact token (1.0); a prefix entry, every token it starts (0.7 .. 1.0); else,
    with ``typos`` (1: only for a word absent from the dictionary, 2: for every word) tokens one
    or two edits away (0.85, 0.7); and when nothing matched, the tokens it starts (0.35 .. 0.5).
    Every quality of entry i is multiplied by q_scale[i]. A previous query's leftover tokq is
    cleared first.
    """
    cdef int64_t nq = q_offsets.shape[0] - 1, k
    if nq < 0 or nq > MAX_ENTRIES_C:
        raise ValueError(f"a query has 0 to {MAX_ENTRIES_C} entries, got {nq}")
    if q_prefix.shape[0] < nq or q_numeric.shape[0] < nq or q_scale.shape[0] < nq:
        raise ValueError("q_prefix, q_numeric and q_scale need one value per entry")
    for k in range(nq):
        if not 0 <= q_offsets[k] <= q_offsets[k + 1] <= q_data.shape[0]:
            raise ValueError("q_offsets must be non-decreasing offsets into q_data")
        if not 0.0 <= q_scale[k] <= 1e300:
            raise ValueError(f"q_scale values must be finite and >= 0, got {q_scale[k]}")
    if ws.n_tokens != ix.n_tokens:
        raise ValueError("workspace and index disagree on n_tokens")
    with nogil:
        _expand_query(ix, ws, &q_data[0], &q_offsets[0], &q_prefix[0], &q_numeric[0], &q_scale[0], nq,
                      typos)
    return ws.n_touched


def reset_tokq(GeocodeWorkspace ws):
    """Zero the tokq cells the last expand_entries set (only the touched tokens)."""
    with nogil:
        _clear_tokq(ws)


# ---------------------------------------------------------------------- scoring

def haversine_m(double lat1, double lon1, double lat2, double lon2):
    """Great-circle distance in metres (spherical Earth, 6,371 km)."""
    return _haversine(lat1, lon1, lat2, lon2)


cdef int64_t _find_housenumber(GeocoderView ix, int64_t first, int64_t count, int32_t num,
                               int32_t suf, double* quality) noexcept nogil:
    """Best row of the street for (num, suf), its quality in quality[0]; -1 when num is absent.
    Same suffix 1.0, same canonical suffix 0.9, one side without suffix 0.6, else 0.4."""
    cdef int64_t r = _lower_bound_num(&ix.hn_number[0], first, first + count, num), best = -1
    cdef int s, qc = ix.suffix_canon[suf] if suf >= 0 else -1
    cdef double q, bq = 0.0
    while r < first + count and ix.hn_number[r] == num:
        s = ix.hn_suffix[r]
        if s == suf:
            q = 1.0
        elif qc >= 0 and ix.suffix_canon[s] == qc:
            q = 0.9
        elif s == 0 or suf == 0:
            q = 0.6
        else:
            q = 0.4
        if q > bq:
            best = r
            bq = q
        r += 1
    quality[0] = bq
    return best


cdef bint _below_min_text_without(GeocodeWorkspace ws, const int32_t* q_group,
                                  const double* group_weight, const int32_t* group_number,
                                  int64_t nq, int64_t ng, int without) noexcept nogil:
    """True when no document that matches nothing of group ``without`` can reach MIN_TEXT.

    Such a document's text share is at most the one computed with every other group at its best
    match quality in this query (the largest tokq of its entries), whichever number word is left
    out as the house number. The sums run in the scoring loop's order and rounding is monotonic,
    so for weights >= 0 the bound holds in floating point too.
    """
    cdef double gmax[MAX_ENTRIES_C]
    if not _group_best(ws, q_group, group_weight, nq, ng, gmax):
        return False
    return _share_bound(gmax, group_weight, group_number, ng, without) < MIN_TEXT


cdef int64_t _collect_important(GeocoderView ix, GeocodeWorkspace ws, const int32_t* q_group, int64_t nq,
                               int g, int32_t stamp, int64_t n_cand, const uint8_t* city_ok,
                               bint city_filter, bint* done) noexcept nogil:
    """Candidates of a broad group g, most important docs first: walks ws.doc_order, adds each
    doc having a token that some entry of g matched (and in an allowed commune), until
    ws.cand_budget were added. done[0] = False when SCAN_FACTOR x cand_budget docs were walked
    before the budget filled (g matches few important docs: the caller takes its postings).
    Returns the new candidate count."""
    cdef int64_t n_order = ws.doc_order.shape[0], n_cand_max = ws.candidates.shape[0]
    cdef int64_t k, d, p, t, added = 0, scan = SCAN_FACTOR * ws.cand_budget
    cdef int i
    cdef bint hit
    done[0] = True
    for k in range(n_order):
        if k >= scan:
            done[0] = False
            break
        d = ws.doc_order[k]
        if ws.doc_stamp[d] == stamp:
            continue
        if city_filter and (ix.doc_city[d] < 0 or not city_ok[ix.doc_city[d]]):
            continue
        hit = False
        for p in range(ix.doc_tokens_offsets[d], ix.doc_tokens_offsets[d + 1]):
            t = ix.doc_tokens[p]
            if not ws.tok_hit[t]:
                continue
            for i in range(nq):
                if q_group[i] == g and ws.tokq[t, i] > 0.0:
                    hit = True
                    break
            if hit:
                break
        if hit:
            ws.doc_stamp[d] = stamp
            ws.candidates[n_cand] = <int32_t>d
            n_cand += 1
            added += 1
            if added >= ws.cand_budget or n_cand >= n_cand_max:
                break
    return n_cand


cdef inline int _importance_bin(float imp) noexcept nogil:
    """Importance in [0, 1] -> 0 .. 1024 (out-of-range values clamped)."""
    if not imp > 0.0:
        return 0
    if imp >= 1.0:
        return 1024
    return <int>(imp * 1024.0)


cdef inline void _prefetch_doc(GeocoderView ix, GeocodeWorkspace ws, int64_t c, int64_t n_cand) noexcept nogil:
    """Ask for the rows of the candidates PREFETCH_FAR and PREFETCH_NEAR ahead of c: scoring a
    candidate waits on a few cache misses (its token offsets, name length, importance, then its
    tokens), and the candidates are scattered over the index; in flight together they overlap."""
    cdef int64_t d
    if c + PREFETCH_FAR < n_cand:
        d = ws.candidates[c + PREFETCH_FAR]
        __builtin_prefetch(&ix.doc_tokens_offsets[d])
        __builtin_prefetch(&ix.doc_n_name_tokens[d])
        __builtin_prefetch(&ix.doc_importance[d])
    if c + PREFETCH_NEAR < n_cand:
        d = ws.candidates[c + PREFETCH_NEAR]
        __builtin_prefetch(&ix.doc_tokens[ix.doc_tokens_offsets[d]])


cdef void _by_importance(GeocoderView ix, GeocodeWorkspace ws, int64_t start, int64_t n_cand) noexcept nogil:
    """Order candidates[start:n_cand] by 1/1024 importance bins, descending (stable: a counting
    sort), so that the top k fills with important docs first and the bound in _score_query
    skips most of the others."""
    cdef int64_t first[1026]
    cdef int64_t c, d
    cdef int b
    cdef int32_t* tmp = &ws.cand_tmp[0]
    for b in range(1026):
        first[b] = 0
    for c in range(start, n_cand):
        d = ws.candidates[c]
        tmp[c - start] = <int32_t>d
        first[1024 - _importance_bin(ix.doc_importance[d]) + 1] += 1
    for b in range(1, 1026):
        first[b] += first[b - 1]
    for c in range(n_cand - start):
        d = tmp[c]
        b = 1024 - _importance_bin(ix.doc_importance[d])
        ws.candidates[start + first[b]] = <int32_t>d
        first[b] += 1


cdef int64_t _keep_important(GeocoderView ix, GeocodeWorkspace ws, int64_t start, int64_t n_cand,
                             int64_t budget) noexcept nogil:
    """Keep about the ``budget`` most important of candidates[start:n_cand] (by 1/1024
    importance bins; in the last bin kept, the first ones in candidate order), in place;
    returns the new candidate count. One importance read per candidate, a fraction of scoring it."""
    cdef int64_t hist[1025]
    cdef int64_t c, d, above = 0, room, out = start
    cdef int b, bb
    for b in range(1025):
        hist[b] = 0
    for c in range(start, n_cand):
        if c + PREFETCH_FAR < n_cand:
            __builtin_prefetch(&ix.doc_importance[ws.candidates[c + PREFETCH_FAR]])
        hist[_importance_bin(ix.doc_importance[ws.candidates[c]])] += 1
    b = 1024
    while b > 0 and above + hist[b] < budget:
        above += hist[b]
        b -= 1
    room = budget - above
    for c in range(start, n_cand):
        d = ws.candidates[c]
        bb = _importance_bin(ix.doc_importance[d])
        if bb > b or (bb == b and room > 0):
            if bb == b:
                room -= 1
            ws.candidates[out] = <int32_t>d
            out += 1
    return out


cdef bint _group_best(GeocodeWorkspace ws, const int32_t* q_group, const double* group_weight, int64_t nq,
                      int64_t ng, double* gmax) noexcept nogil:
    """gmax[g]: the best match quality of group g in this query (the largest tokq of its
    entries). False for a negative weight: no bound then."""
    cdef int g, i
    cdef int64_t z
    cdef double v
    for g in range(ng):
        if not group_weight[g] >= 0.0:
            return False
        gmax[g] = 0.0
    for i in range(nq):
        for z in range(ws.seg[i], ws.seg[i + 1]):
            v = ws.tokq[ws.touched[z], i]
            if v > gmax[q_group[i]]:
                gmax[q_group[i]] = v
    return True


cdef double _share_bound(const double* gmax, const double* group_weight, const int32_t* group_number, int64_t ng,
                         int missing) noexcept nogil:
    """The largest text share with every group at gmax except ``missing`` (-1: none) at 0,
    whichever number word is the house number; in the scoring loop's order of operations
    (rounding is monotonic)."""
    cdef double sw, ss, best = 0.0
    cdef int g, h
    for h in range(-1, ng):
        if h >= 0 and group_number[h] < 0:
            continue
        sw = 0.0
        ss = 0.0
        for g in range(ng):
            if g == h:
                continue
            sw += group_weight[g]
            if g != missing:
                ss += group_weight[g] * gmax[g]
        if sw != 0.0 and ss / sw > best:
            best = ss / sw
    return best


cdef double _text_share_max(GeocodeWorkspace ws, const int32_t* q_group, const double* group_weight,
                            const int32_t* group_number, int64_t nq, int64_t ng) noexcept nogil:
    """The largest text share a doc can reach in this query: every group at its best match
    quality, whichever number word is the house number. 1e300 for a negative weight (no bound)."""
    cdef double gmax[MAX_ENTRIES_C]
    if not _group_best(ws, q_group, group_weight, nq, ng, gmax):
        return 1e300
    return _share_bound(gmax, group_weight, group_number, ng, -1)


cdef inline int64_t _popcount(uint64_t x) noexcept nogil:
    """Set bits of x (SWAR: the build targets no particular CPU, so no popcnt instruction)."""
    x = x - ((x >> 1) & 0x5555555555555555ULL)
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL
    return <int64_t>((x * 0x0101010101010101ULL) >> 56)


cdef inline uint32_t _doc_groups(GeocoderView ix, GeocodeWorkspace ws, const int32_t* q_group, int64_t nq,
                                 int64_t d) noexcept nogil:
    """Bit g set when some entry of group g matched a token of doc d."""
    cdef uint32_t got = 0
    cdef int64_t p, t
    cdef int i
    for p in range(ix.doc_tokens_offsets[d], ix.doc_tokens_offsets[d + 1]):
        t = ix.doc_tokens[p]
        if not ws.tok_hit[t]:
            continue
        for i in range(nq):
            if ws.tokq[t, i] > 0.0:
                got |= (<uint32_t>1) << q_group[i]
    return got


cdef void _group_bitmap(GeocoderView ix, GeocodeWorkspace ws, const int32_t* q_group, int64_t nq, int g,
                        uint64_t* bits, int64_t n_words) noexcept nogil:
    """bits = the docs having a token that some entry of group g matched (one pass over its
    postings: each token's list is ascending, so the writes sweep the bitmap)."""
    cdef int64_t z, p, d, t
    cdef int i
    memset(bits, 0, n_words * 8)
    for i in range(nq):
        if q_group[i] != g:
            continue
        for z in range(ws.seg[i], ws.seg[i + 1]):
            t = ws.touched[z]
            for p in range(ix.token_docs_offsets[t], ix.token_docs_offsets[t + 1]):
                d = ix.token_docs[p]
                bits[d >> 6] |= (<uint64_t>1) << (d & 63)


cdef const uint64_t* _token_bitmap(GeocoderView ix, GeocodeWorkspace ws, const int32_t* q_group, int64_t nq,
                                   int g, int64_t n_words) noexcept nogil:
    """The bitmap of group g's docs when g matched a single token with CACHE_POSTINGS postings or
    more ("rue", "avenue", "chemin": in most queries, and the costliest bitmaps), from the
    workspace's last CACHE_SLOTS such bitmaps (built on a miss; the index never changes, so
    they stay valid); NULL for any other group."""
    cdef int64_t t = -1, z, p, d
    cdef int i, k
    cdef uint64_t* bits
    for i in range(nq):
        if q_group[i] != g:
            continue
        for z in range(ws.seg[i], ws.seg[i + 1]):
            if t >= 0 and ws.touched[z] != t:
                return NULL
            t = ws.touched[z]
    if t < 0 or ix.token_docs_offsets[t + 1] - ix.token_docs_offsets[t] < CACHE_POSTINGS:
        return NULL
    for k in range(CACHE_SLOTS):
        if ws.cache_token[k] == t:
            return &ws.cache_bits[k, 0]
    k = ws.cache_next
    ws.cache_next = (k + 1) % CACHE_SLOTS
    bits = &ws.cache_bits[k, 0]
    memset(bits, 0, n_words * 8)
    for p in range(ix.token_docs_offsets[t], ix.token_docs_offsets[t + 1]):
        d = ix.token_docs[p]
        bits[d >> 6] |= (<uint64_t>1) << (d & 63)
    ws.cache_token[k] = t
    return bits


cdef int64_t _collect_intersection(GeocoderView ix, GeocodeWorkspace ws, const int32_t* q_group, int64_t nq,
                                   const int* req, int n_req, const int64_t* cost, int32_t stamp,
                                   const uint8_t* city_ok, bint city_filter, int64_t budget,
                                   bint* ordered) noexcept nogil:
    """Candidates = the docs (in an allowed commune) having a token of every group req[0..n_req)
    (listed by ascending cost, their postings volume), into ws.candidates by ascending doc id,
    stamped; returns their count (capped at the candidates' capacity).

    The cost is that of the cheapest groups' postings, not of every doc of the cheapest word:
    the bitmaps of the cheapest groups are ANDed while that costs less than reading the
    remaining docs' tokens (DOC_CHECK_COST postings a doc), then each doc left is checked.

    ``budget`` > 0: more than ws.intersect_trim docs may keep only the ``budget`` most important
    (the caller trims); when walking the docs by importance (ws.doc_order) testing their bit
    is cheaper than reading every doc's importance (WALK_SHARE), the walk takes them here, in
    importance order: ordered[0] = True (their count is at most ``budget``)."""
    cdef int64_t n_words = ws.bits_acc.shape[0], w, count = 0, n_cand = 0, d, c
    cdef int64_t n_cand_max = ws.candidates.shape[0]
    cdef uint64_t* acc = &ws.bits_acc[0]
    cdef uint64_t* tmp = &ws.bits_tmp[0]
    cdef uint64_t word
    cdef uint32_t need = 0
    cdef int j, i
    cdef int64_t z, p, t
    cdef const uint64_t* src
    ordered[0] = False
    if cost[req[0]] < (ws.direct_postings if ws.direct_postings >= 0 else n_words // DOC_CHECK_COST):
        # a rare word ("rosieux", a postcode): reading its docs' tokens costs less than one pass
        # over a bitmap; a doc checked and left out is unstamped (a later phase may score it)
        for j in range(1, n_req):
            need |= (<uint32_t>1) << req[j]
        for i in range(nq):
            if q_group[i] != req[0]:
                continue
            for z in range(ws.seg[i], ws.seg[i + 1]):
                t = ws.touched[z]
                for p in range(ix.token_docs_offsets[t], ix.token_docs_offsets[t + 1]):
                    d = ix.token_docs[p]
                    if ws.doc_stamp[d] == stamp or n_cand >= n_cand_max:
                        continue
                    if (city_filter and (ix.doc_city[d] < 0 or not city_ok[ix.doc_city[d]])) \
                            or (_doc_groups(ix, ws, q_group, nq, d) & need) != need:
                        continue
                    ws.doc_stamp[d] = stamp
                    ws.candidates[n_cand] = <int32_t>d
                    n_cand += 1
        return n_cand
    src = _token_bitmap(ix, ws, q_group, nq, req[0], n_words)
    if src != NULL:
        memcpy(acc, src, n_words * 8)
    else:
        _group_bitmap(ix, ws, q_group, nq, req[0], acc, n_words)
    for w in range(n_words):
        count += _popcount(acc[w])
    for j in range(1, n_req):
        if count == 0:
            break
        src = _token_bitmap(ix, ws, q_group, nq, req[j], n_words)
        if src == NULL and count * DOC_CHECK_COST >= cost[req[j]]:
            _group_bitmap(ix, ws, q_group, nq, req[j], tmp, n_words)
            src = tmp
        if src == NULL:
            need |= (<uint32_t>1) << req[j]     # few docs left: their tokens are read below
            continue
        count = 0
        for w in range(n_words):
            acc[w] &= src[w]
            count += _popcount(acc[w])
    if count == 0:
        return 0
    if budget > 0 and count > ws.intersect_trim and count > budget and ws.doc_order.shape[0] == ix.n_docs \
            and budget * (ix.n_docs // count + 1) < WALK_SHARE * count:
        ordered[0] = True
        for w in range(ix.n_docs):
            d = ws.doc_order[w]
            if not (acc[d >> 6] >> (d & 63)) & 1:
                continue
            if city_filter and (ix.doc_city[d] < 0 or not city_ok[ix.doc_city[d]]):
                continue
            if need and (_doc_groups(ix, ws, q_group, nq, d) & need) != need:
                continue
            ws.doc_stamp[d] = stamp
            ws.candidates[n_cand] = <int32_t>d
            n_cand += 1
            if n_cand >= budget or n_cand >= n_cand_max:
                break
        return n_cand
    for w in range(n_words):
        word = acc[w]
        while word and n_cand < n_cand_max:
            d = (w << 6) + __builtin_ctzll(word)
            word &= word - 1
            if city_filter and (ix.doc_city[d] < 0 or not city_ok[ix.doc_city[d]]):
                continue
            ws.candidates[n_cand] = <int32_t>d
            n_cand += 1
    count = 0
    for c in range(n_cand):
        d = ws.candidates[c]
        if need:
            _prefetch_doc(ix, ws, c, n_cand)
            if (_doc_groups(ix, ws, q_group, nq, d) & need) != need:
                continue
        ws.doc_stamp[d] = stamp
        ws.candidates[count] = <int32_t>d
        count += 1
    return count


cdef double _incomplete_bound(GeocodeWorkspace ws, const int32_t* q_group, const double* group_weight,
                              const int32_t* group_number, int64_t nq, int64_t ng, const int* req, int n_req,
                              bint focused) noexcept nogil:
    """Upper bound on the score of a doc that misses a group of req: in _score_query's formula,
    its text share is at most every other group at its best quality in this query (whichever
    number word is the house number), its name share, importance and house number at most 1,
    no commune penalty, nearness at most its whole weight. +inf for a negative weight."""
    cdef double gmax[MAX_ENTRIES_C]
    cdef double best = 0.0, score
    cdef int j
    if not _group_best(ws, q_group, group_weight, nq, ng, gmax):
        return 1e300
    for j in range(n_req):
        best = max(best, _share_bound(gmax, group_weight, group_number, ng, req[j]))
    score = W_TEXT * best + W_NAME + W_IMP + W_HN
    if focused:
        score = 0.8 * score + 0.2
    return score


cdef int64_t _score_query(GeocoderView ix, GeocodeWorkspace ws, const int32_t* q_group, const uint8_t* q_numeric,
                          int64_t nq, const double* group_weight, const int32_t* group_number,
                          const int32_t* group_suffix, int64_t ng, int64_t type_mask, const uint8_t* city_ok,
                          bint city_filter, const double* bbox, const double* focus, double focus_scale_m,
                          int32_t* out_doc, int32_t* out_hn, double* out_score, int64_t limit,
                          bint* found) noexcept nogil:
    """score_candidates without its checks (the arguments are valid): the number of results;
    found[0] = complete. Also the batch search's step."""
    cdef int64_t n_cand_max = ws.candidates.shape[0]
    cdef int64_t best_c = (<int64_t>1) << 62, second_c = (<int64_t>1) << 62, cost, z, t, p, c, d, base, row, k
    cdef int64_t n_cand = 0, scored = 0, n_out = 0, pos, end
    cdef int best_g = -1, second_g = -1, g, i, rnd, phase, hn_group, nname, name_matched, rtype
    cdef int req[MAX_ENTRIES_C]
    cdef int64_t req_cost[MAX_ENTRIES_C]
    cdef int n_req = 0, path = 0, j
    cdef bint use_intersection = ws.intersect
    cdef int n_content = 0
    cdef int ctx_words, ctx_matched
    cdef int32_t stamp
    cdef bint numeric_only, matched, hit, complete, found_complete = False, budget_ok, done
    cdef int64_t broad = ws.broad_postings if ws.broad_postings > ix.n_docs // BROAD_SHARE \
        else ix.n_docs // BROAD_SHARE
    cdef double gbest[MAX_ENTRIES_C]
    cdef double v, sw, ss, text, hq, hpart, score, lat, lon, dist, imp, text_max
    cdef bint by_importance, ordered = False
    cdef int64_t r
    ws.stamp_value += 1
    if ws.stamp_value >= 2147483647:
        for r in range(ws.doc_stamp.shape[0]):
            ws.doc_stamp[r] = 0
        ws.stamp_value = 1
    stamp = ws.stamp_value
    # required groups: the words a complete match must have (weight >= 1, not a house number),
    # by ascending postings volume; with two or more, all matched, candidates are the docs having
    # every one (_collect_intersection) rather than every doc of the cheapest
    for g in range(ng):
        if not use_intersection:
            break
        if group_weight[g] >= 1.0 and group_number[g] < 0:
            cost = 0
            matched = False
            for i in range(nq):
                if q_group[i] != g:
                    continue
                for z in range(ws.seg[i], ws.seg[i + 1]):
                    t = ws.touched[z]
                    matched = True
                    cost += ix.token_docs_offsets[t + 1] - ix.token_docs_offsets[t]
            if not matched:
                use_intersection = False       # no complete match: the former path scores partial ones
                break
            req_cost[g] = cost
            j = n_req
            while j > 0 and req_cost[req[j - 1]] > cost:
                req[j] = req[j - 1]
                j -= 1
            req[j] = g
            n_req += 1
    use_intersection = use_intersection and n_req >= 2
    # cost of a group = postings volume of its matched tokens; the first round skips
    # number-only words and stopwords, the second (if nothing else matched) takes them
    for rnd in range(2):
        for g in range(ng):
            numeric_only = True
            cost = 0
            matched = False
            for i in range(nq):
                if q_group[i] != g:
                    continue
                if not q_numeric[i]:
                    numeric_only = False
                for z in range(ws.seg[i], ws.seg[i + 1]):
                    t = ws.touched[z]
                    matched = True
                    cost += ix.token_docs_offsets[t + 1] - ix.token_docs_offsets[t]
            if not matched:
                continue
            if rnd == 0 and (numeric_only or group_weight[g] < 1.0):
                continue
            if rnd == 0:
                n_content += 1
            if cost < best_c:
                second_g = best_g
                second_c = best_c
                best_g = g
                best_c = cost
            elif cost < second_c and g != best_g:
                second_g = g
                second_c = cost
        if best_g >= 0:
            break
    if best_g >= 0:
        # a broad word's docs are taken by importance (a budget) when importance is what orders
        # its many equal text matches: no focus point, no bbox, every type allowed
        budget_ok = (ws.doc_order.shape[0] == ix.n_docs and ix.n_docs > 0 and not focus[0] == focus[0]
                     and not bbox[0] == bbox[0] and (type_mask & 63) == 63)
        # phase 0 (two required words or more): the docs having them all, the most important when
        # too many; phase 1: the cheapest word's docs, skipped when phase 0 filled the top k
        # (they miss a required word: they rank below complete matches, see set_intersection);
        # phase 2 (only if no doc matched every word): the second cheapest word's docs, in case
        # the cheapest was noise or a wrong typo expansion
        for phase in range(3):
            if phase == 0:
                if not use_intersection:
                    continue
                n_cand = _collect_intersection(ix, ws, q_group, nq, req, n_req, req_cost, stamp, city_ok,
                                               city_filter, ws.cand_budget if budget_ok else 0, &ordered)
                if n_cand == 0:
                    continue            # no doc has every word: the cheapest word's docs, partial matches
                path = 1
                if budget_ok and not ordered and n_cand > ws.intersect_trim and n_cand > ws.cand_budget:
                    # complete matches differ by importance, name share and prefix quality; the
                    # commune filter is already applied, so the important ones are the right ones
                    n_cand = _keep_important(ix, ws, 0, n_cand, ws.cand_budget)
            else:
                if phase == 1 and path == 1:
                    if n_out >= limit and found_complete and not (
                            ws.exact_fill and out_score[limit - 1] <= _incomplete_bound(
                                ws, q_group, group_weight, group_number, nq, ng, req, n_req,
                                focus[0] == focus[0]) + 1e-9):
                        break
                    path = 2
                g = best_g if phase == 1 else second_g
                if g < 0 or (phase == 2 and found_complete):
                    break
                if phase == 2 and n_cand < n_cand_max and _below_min_text_without(
                        ws, q_group, group_weight, group_number, nq, ng, best_g):
                    break           # every doc phase 2 adds would fail MIN_TEXT: same results
                done = False
                if budget_ok and (best_c if phase == 1 else second_c) > broad:
                    n_cand = _collect_important(ix, ws, q_group, nq, g, stamp, n_cand, city_ok, city_filter,
                                                &done)
                for i in range(nq):
                    if done or n_cand >= n_cand_max:
                        break
                    if q_group[i] != g:
                        continue
                    for z in range(ws.seg[i], ws.seg[i + 1]):
                        if n_cand >= n_cand_max:
                            break
                        t = ws.touched[z]
                        for p in range(ix.token_docs_offsets[t], ix.token_docs_offsets[t + 1]):
                            d = ix.token_docs[p]
                            if ws.doc_stamp[d] != stamp and n_cand < n_cand_max:
                                ws.doc_stamp[d] = stamp
                                ws.candidates[n_cand] = <int32_t>d
                                n_cand += 1
                if budget_ok and not city_filter and phase == 1 and (n_content <= 1 or path == 2) \
                        and n_cand - scored > (ws.trim_above if path != 2 else ws.intersect_trim) \
                        and n_cand - scored > ws.cand_budget:
                    # one content word (or only stopwords and numbers): its docs differ by
                    # importance (and name length) only; after the complete matches (path 2):
                    # the most important of the partial ones fill the tail (a commune filter
                    # would drop the important ones: the scan above checks it, not this)
                    n_cand = _keep_important(ix, ws, scored, n_cand, ws.cand_budget)
            by_importance = ordered or n_cand - scored > SORT_ABOVE
            if by_importance and not ordered:
                _by_importance(ix, ws, scored, n_cand)
            ordered = False
            # the best text share any doc can have in this query: with the k-th score above
            # what a doc of this text, a full name, house-number and nearness match and the
            # importance of its bin could reach, no later candidate (less important) can enter
            text_max = _text_share_max(ws, q_group, group_weight, group_number, nq, ng)
            for c in range(scored, n_cand):
                _prefetch_doc(ix, ws, c, n_cand)
                d = ws.candidates[c]
                if by_importance and n_out == limit and found_complete:
                    imp = (_importance_bin(ix.doc_importance[d]) + 1) / 1024.0
                    if imp > 1.0:
                        imp = 1.0
                    if focus[0] == focus[0]:
                        imp = FOCUS_IMP_FLOOR + (1.0 - FOCUS_IMP_FLOOR) * imp
                    score = W_TEXT * text_max + W_NAME * 1.0 + W_IMP * imp + W_HN * 1.0
                    if focus[0] == focus[0]:
                        score = 0.8 * score + (0.2 - W_FOCUS_FAR) + W_FOCUS_FAR
                    if score + 1e-12 < out_score[limit - 1]:
                        break
                if city_filter and (ix.doc_city[d] < 0 or not city_ok[ix.doc_city[d]]):
                    continue
                for g in range(ng):
                    gbest[g] = 0.0
                nname = ix.doc_n_name_tokens[d]
                name_matched = 0
                ctx_words = 0
                ctx_matched = 0
                base = ix.doc_tokens_offsets[d]
                for p in range(base, ix.doc_tokens_offsets[d + 1]):
                    t = ix.doc_tokens[p]
                    if not ws.tok_hit[t]:
                        continue
                    hit = False
                    for i in range(nq):
                        v = ws.tokq[t, i]
                        if v > 0.0:
                            hit = True
                            g = q_group[i]
                            if v > gbest[g]:
                                gbest[g] = v
                    if hit and p - base < nname:
                        name_matched += 1
                    elif hit and not _is_digit(ix.token_bytes[ix.token_bytes_offsets[t]]):
                        ctx_matched += 1        # a context word (commune, old commune, POI street)
                if ctx_matched > 0:             # only then count the doc's context words (not postcodes)
                    for p in range(base + nname, ix.doc_tokens_offsets[d + 1]):
                        t = ix.doc_tokens[p]
                        ctx_words += not _is_digit(ix.token_bytes[ix.token_bytes_offsets[t]])
                # the first unmatched number-like word is the house number
                hn_group = -1
                for g in range(ng):
                    if group_number[g] >= 0 and gbest[g] == 0.0:
                        hn_group = g
                        break
                sw = 0.0
                ss = 0.0
                complete = True
                for g in range(ng):
                    if g == hn_group:
                        continue
                    sw += group_weight[g]
                    ss += group_weight[g] * gbest[g]
                    if gbest[g] == 0.0 and group_weight[g] >= 1.0:
                        complete = False
                if sw == 0.0:
                    continue
                text = ss / sw
                if text < MIN_TEXT:
                    continue
                if n_out == limit and (found_complete or not complete):
                    # the top k is full: skip the doc (its house number, position, commune) when
                    # even a full house-number match, no commune penalty and the nearest position
                    # could not beat the k-th score (candidates come most important first: most
                    # docs of an equal text match stop here)
                    if focus[0] == focus[0]:
                        imp = FOCUS_IMP_FLOOR + (1.0 - FOCUS_IMP_FLOOR) * ix.doc_importance[d]
                    else:
                        imp = ix.doc_importance[d]
                    score = (W_TEXT * text + W_NAME * name_matched / (nname if nname > 1 else 1)
                             + W_IMP * imp + W_HN * 1.0)
                    if focus[0] == focus[0]:
                        score = 0.8 * score + (0.2 - W_FOCUS_FAR) + W_FOCUS_FAR
                    if score + 1e-12 < out_score[limit - 1]:
                        continue
                rtype = ix.doc_type[d]
                row = -1
                hq = 0.0
                if hn_group >= 0 and ix.doc_hn_count[d] > 0 and (type_mask & 1):
                    row = _find_housenumber(ix, ix.doc_hn_first[d], ix.doc_hn_count[d],
                                            group_number[hn_group], group_suffix[hn_group], &hq)
                if row >= 0:
                    rtype = 0
                    lat = ix.hn_lat_e7[row] / 1e7
                    lon = ix.hn_lon_e7[row] / 1e7
                else:
                    lat = ix.doc_lat[d]
                    lon = ix.doc_lon[d]
                    if hn_group >= 0 and ix.doc_hn_count[d] == 0 and rtype == 1:
                        hq = 0.0
                if not (type_mask >> rtype) & 1:
                    continue
                if bbox[0] == bbox[0]:
                    if lon < bbox[0] or lat < bbox[1] or lon > bbox[2] or lat > bbox[3]:
                        continue
                hpart = hq if hn_group >= 0 else 1.0
                if focus[0] == focus[0]:
                    # with a focus point, nearness orders homonyms; importance only breaks ties
                    imp = FOCUS_IMP_FLOOR + (1.0 - FOCUS_IMP_FLOOR) * ix.doc_importance[d]
                else:
                    imp = ix.doc_importance[d]
                score = (W_TEXT * text + W_NAME * name_matched / (nname if nname > 1 else 1)
                         + W_IMP * imp + W_HN * hpart)
                if ctx_matched > 0:
                    # the query names a commune: the commune it names whole beats a longer
                    # homonym ("Saint-Maurice" over "Saint-Maurice-en-Brie"), whatever the sizes
                    score -= W_CITY * (ctx_words - ctx_matched) / ctx_words
                if focus[0] == focus[0]:
                    # equirectangular at the mean latitude: within 0.5 % of the great circle
                    # over a country, and a third of haversine's cost (every candidate pays it)
                    dist = M_PER_DEG * sqrt((lat - focus[0]) * (lat - focus[0])
                                            + ((lon - focus[1]) * cos((lat + focus[0]) * (M_PI / 360.0)))
                                            * ((lon - focus[1]) * cos((lat + focus[0]) * (M_PI / 360.0))))
                    # near: exp(-d / 5 km); far (another region): focus_far_m / (focus_far_m + d),
                    # which still tells 50 km from 60 km apart
                    score = (0.8 * score + (0.2 - W_FOCUS_FAR) * exp(-dist / focus_scale_m)
                             + W_FOCUS_FAR * FOCUS_FAR_SCALE * focus_scale_m / (FOCUS_FAR_SCALE * focus_scale_m + dist))
                if complete:
                    found_complete = True
                # insert into the top-k (score desc, doc asc)
                pos = n_out
                while pos > 0 and (out_score[pos - 1] < score or
                                   (out_score[pos - 1] == score and out_doc[pos - 1] > d)):
                    pos -= 1
                if pos >= limit:
                    continue
                end = n_out if n_out < limit else limit - 1
                k = end
                while k > pos:
                    out_doc[k] = out_doc[k - 1]
                    out_hn[k] = out_hn[k - 1]
                    out_score[k] = out_score[k - 1]
                    k -= 1
                out_doc[pos] = <int32_t>d
                out_hn[pos] = <int32_t>row
                out_score[pos] = score
                if n_out < limit:
                    n_out += 1
            scored = n_cand
    ws.last_path = path
    ws.last_candidates = scored
    found[0] = found_complete
    return n_out


def score_candidates(GeocoderView ix, GeocodeWorkspace ws, const int32_t[::1] q_group,
                     const uint8_t[::1] q_numeric, const double[::1] group_weight,
                     const int32_t[::1] group_number, const int32_t[::1] group_suffix,
                     int64_t type_mask, const uint8_t[::1] city_ok, bint city_filter,
                     const double[::1] bbox, const double[::1] focus, double focus_scale_m,
                     int32_t[::1] out_doc, int32_t[::1] out_hn, double[::1] out_score):
    """Candidates from the postings of the query's words, scored; returns (n results, complete).

    With two required words or more (weight >= 1, not a house number) the candidates are the
    docs having all of them (the CAND_BUDGET most important above INTERSECT_TRIM, without focus,
    bbox or type filter), then, if they fill fewer than len(out_doc) results, the cheapest
    word's docs; else (or when no doc has them all) the cheapest word's docs, then the second
    cheapest's if no doc matched every word (GeocodeWorkspace.set_intersection).

    Reads the tokq/touched/seg that expand_entries left in ``ws``. Results are the top
    len(out_doc) by score desc then doc asc; out_hn is the house-number row (-1: the doc
    itself). ``complete``: some document matched every (non-stopword) word. bbox is (min_lon,
    min_lat, max_lon, max_lat), focus (lat, lon); NaN in the first value turns either off.
    """
    cdef int64_t nq = q_group.shape[0], ng = group_weight.shape[0], limit = out_doc.shape[0], n_out
    cdef int g, i
    if nq != ws.n_entries or q_numeric.shape[0] < nq:
        raise ValueError("q_group and q_numeric must describe the entries given to expand_entries")
    if ng > MAX_ENTRIES_C or group_number.shape[0] < ng or group_suffix.shape[0] < ng:
        raise ValueError(f"a query has at most {MAX_ENTRIES_C} groups, each with a number and suffix")
    for i in range(nq):
        if not 0 <= q_group[i] < ng:
            raise ValueError("q_group values must be group indices")
    for g in range(ng):
        if group_suffix[g] >= ix.n_suffixes:
            raise ValueError("group_suffix values must be rows of geocoder/suffixes")
    if city_filter and city_ok.shape[0] < ix.n_cities:
        raise ValueError("city_ok needs one flag per city")
    if bbox.shape[0] != 4 or focus.shape[0] != 2 or out_hn.shape[0] != limit or out_score.shape[0] != limit:
        raise ValueError("bbox has 4 values, focus 2, and the out arrays one length")
    if ws.n_docs != ix.n_docs:
        raise ValueError("workspace and index disagree on n_docs")
    cdef bint found_complete = False
    with nogil:
        n_out = _score_query(ix, ws, &q_group[0], &q_numeric[0], nq, &group_weight[0], &group_number[0],
                             &group_suffix[0], ng, type_mask, &city_ok[0], city_filter, &bbox[0], &focus[0],
                             focus_scale_m, &out_doc[0], &out_hn[0], &out_score[0], limit, &found_complete)
    return n_out, bool(found_complete)


# ---------------------------------------------------------------------- reverse

cdef int64_t _cell_index(GeocoderView ix, int64_t key) noexcept nogil:
    """Row of cell ``key`` in cell_key (ascending, INT64_MAX sentinel last), -1 if absent."""
    cdef int64_t n = ix.cell_key.shape[0], a
    if n == 0:
        return -1
    a = _lower_bound_num(&ix.cell_key[0], 0, n - 1, key)
    return a if ix.cell_key[a] == key else -1


cdef int64_t _consider(GeocoderView ix, int64_t p, int64_t type_mask, double lat, double lon,
                       double coslat, int32_t* out_ref, double* out_d, int64_t limit,
                       int64_t n_out) noexcept nogil:
    """Insert grid point p into the nearest list (distance asc, ref asc) if its type is allowed."""
    cdef int32_t ref = ix.point_ref[p]
    cdef int typ = 0 if ref >= 0 else ix.doc_type[-(<int64_t>ref + 1)]
    cdef double dy, dx, dist
    cdef int64_t pos, end, k
    if not (type_mask >> typ) & 1:
        return n_out
    dy = (ix.point_lat_e7[p] / 1e7 - lat) * M_PER_DEG
    dx = (ix.point_lon_e7[p] / 1e7 - lon) * M_PER_DEG * coslat
    dist = sqrt(dx * dx + dy * dy)
    pos = n_out
    while pos > 0 and (out_d[pos - 1] > dist or (out_d[pos - 1] == dist and out_ref[pos - 1] > ref)):
        pos -= 1
    if pos >= limit:
        return n_out
    end = n_out if n_out < limit else limit - 1
    k = end
    while k > pos:
        out_ref[k] = out_ref[k - 1]
        out_d[k] = out_d[k - 1]
        k -= 1
    out_ref[pos] = ref
    out_d[pos] = dist
    return n_out + 1 if n_out < limit else n_out


cdef int64_t _reverse_query(GeocoderView ix, double lat, double lon, int64_t type_mask, double cell_lat,
                            double cell_lon, int x_bits, int max_rings, int32_t* out_ref, double* out_d,
                            int64_t limit) noexcept nogil:
    """reverse_nearest without its checks: the number of points found. Also the batch reverse's step."""
    cdef double coslat, side, a, b
    cdef int64_t cy0, cx0, cy, cx, step, k, p, r, n_out = 0
    cdef int64_t n_points = ix.point_ref.shape[0], key
    coslat = cos(_radians(lat))
    cy0 = <int64_t>floor((lat + 90.0) / cell_lat)
    cx0 = <int64_t>floor((lon + 180.0) / cell_lon)
    a = cell_lat * M_PER_DEG
    b = cell_lon * M_PER_DEG * coslat
    side = a if a <= b else b
    for r in range(max_rings + 1):
        for cy in range(cy0 - r, cy0 + r + 1):
            step = 1 if (cy == cy0 - r or cy == cy0 + r) else 2 * r
            cx = cx0 - r
            while cx <= cx0 + r:
                # two's-complement packing, as the builder's int64 arithmetic (cy, cx may be
                # negative at the edges: shift the unsigned bits, no C undefined behaviour)
                key = <int64_t>((<uint64_t>cy << x_bits) | <uint64_t>cx)
                k = _cell_index(ix, key)
                if k >= 0:
                    for p in range(ix.cell_start[k], ix.cell_start[k + 1]):
                        n_out = _consider(ix, p, type_mask, lat, lon, coslat, out_ref, out_d,
                                         limit, n_out)
                cx += step
        if n_out == limit and out_d[limit - 1] <= r * side:
            break
    else:
        n_out = 0                 # nothing certain within max_rings: scan every point
        for p in range(n_points):
            n_out = _consider(ix, p, type_mask, lat, lon, coslat, out_ref, out_d, limit, n_out)
    return n_out


def reverse_nearest(GeocoderView ix, double lat, double lon, int64_t type_mask, double cell_lat,
                    double cell_lon, int x_bits, int max_rings, int32_t[::1] out_ref, double[::1] out_d):
    """The len(out_ref) nearest grid points of allowed types, by rings of cells around (lat, lon).

    Rings stop once the k-th distance is below the ring's inner radius; past ``max_rings``
    (nothing near) every point is scanned, so the answer is always the true nearest.
    Distances are equirectangular metres (exact enough below a few km; callers refine).
    Returns the number of points found (out_ref: refs, see GeocoderView; out_d: metres).
    """
    cdef int64_t n_out, limit = out_ref.shape[0]
    if limit < 1 or out_d.shape[0] != limit:
        raise ValueError("out_ref and out_d need one length >= 1")
    if not 0 <= x_bits < 63 or max_rings < 0:
        raise ValueError("x_bits must be in [0, 63) and max_rings >= 0")
    with nogil:
        n_out = _reverse_query(ix, lat, lon, type_mask, cell_lat, cell_lon, x_bits, max_rings, &out_ref[0],
                               &out_d[0], limit)
    return n_out


# ---------------------------------------------------------------------- Python-level helpers (tests)

cdef Strings _strings(const int32_t[::1] offsets, const uint8_t[::1] data):
    if offsets.shape[0] < 1 or data.shape[0] < 1:
        raise ValueError("a string column has >= 1 offset and >= 1 data byte (pad empty data)")
    cdef Strings s
    s.offsets = &offsets[0]
    s.data = &data[0]
    s.n = offsets.shape[0] - 1
    return s


def lower_bound(const int32_t[::1] offsets, const uint8_t[::1] data, bytes q):
    """First string of the sorted column (offsets, data) that is >= q."""
    cdef Strings s = _strings(offsets, data)
    return _lower_bound(&s, <const uint8_t*><char*>q, len(q))


def prefix_end(const int32_t[::1] offsets, const uint8_t[::1] data, bytes q, int64_t lo):
    """First string from ``lo`` (a lower_bound of q) on that does not start with q."""
    cdef Strings s = _strings(offsets, data)
    return _prefix_end(&s, <const uint8_t*><char*>q, len(q), lo)


def osa_distance(bytes a, bytes b, int maxd):
    """Optimal-string-alignment distance of two byte strings, or maxd + 1 when larger (or when
    either is longer than 62 bytes)."""
    return _osa_distance(<const uint8_t*><char*>a, len(a), <const uint8_t*><char*>b, len(b), maxd)


# ---------------------------------------------------------------------- results (the few winners)

from cpython.unicode cimport PyUnicode_DecodeUTF8


cdef class StringColumn:
    """Random access to an Arrow string column as Python str (one slice + decode per row, no
    numpy scalars): the ids, names and streets of the few rows a query returns."""

    cdef readonly object array             # the Arrow array (keeps the mapped buffers alive)
    cdef readonly object offsets, data     # int32 offsets, uint8 bytes (numpy views)
    cdef const int32_t[::1] _off
    cdef const uint8_t[::1] _data
    cdef Py_ssize_t n

    def __init__(self, array, offsets, data):
        self.array = array
        self.offsets = offsets
        self.data = data
        self._off = offsets
        self._data = data
        if self._off.shape[0] < 1 or self._data.shape[0] < 1:
            raise ValueError("a string column has >= 1 offset and >= 1 data byte (pad empty data)")
        self.n = self._off.shape[0] - 1

    def __len__(self):
        return self.n

    def __getitem__(self, Py_ssize_t i):
        if i < 0 or i >= self.n:
            raise IndexError(f"row {i} out of range for a column of {self.n}")
        cdef int32_t a = self._off[i], b = self._off[i + 1]
        if b <= a:
            return ""
        return PyUnicode_DecodeUTF8(<const char*>&self._data[a], b - a, NULL)


cdef object _py_round(double v, int ndigits, double scale):
    """Python's ``round(v, ndigits)`` (scale = 10 ** ndigits, ndigits >= 0), without its decimal
    string round trip when that is safe. Python rounds the exact binary value of v to ndigits
    decimals (ties to even) and returns the double nearest that decimal, N / scale. Here N is
    the integer nearest y = v * scale: y is within half an ulp of the exact product, so N is the
    same unless the exact product lies within a few ulps of a half-integer, where Python's
    round decides. N / scale is then the correctly rounded quotient, as Python's strtod gives."""
    cdef double y = v * scale, a = fabs(y), frac
    if not a < 4503599627370496.0:          # 2 ** 52 (also NaN, inf)
        return round(v, ndigits)
    frac = a - floor(a)
    if fabs(frac - 0.5) <= a * 8.881784197001252e-16 + 1e-300:     # 4 ulps (2 ** -50) of a
        return round(v, ndigits)
    return rint(y) / scale


def result_fields(GeocoderView ix, int64_t doc, int64_t row):
    """(type, city row, importance rounded to 4 decimals, lat, lon, number, suffix row) of a
    result: document ``doc``, or its house-number ``row`` when row >= 0 (then lat/lon are the
    address's, degrees = e7 / 1e7 as numpy divides; else number is -1 and suffix 0)."""
    if not 0 <= doc < ix.n_docs or row >= ix.n_hn:
        raise IndexError(f"doc {doc} / house-number row {row} out of range")
    imp = _py_round(<double>ix.doc_importance[doc], 4, 1e4)
    if row < 0:
        return ix.doc_type[doc], ix.doc_city[doc], imp, ix.doc_lat[doc], ix.doc_lon[doc], -1, 0
    return (ix.doc_type[doc], ix.doc_city[doc], imp, ix.hn_lat_e7[row] / 1e7, ix.hn_lon_e7[row] / 1e7,
            ix.hn_number[row], ix.hn_suffix[row])


cdef double _numpy_sum(const double* a, int64_t n) noexcept nogil:
    """Sum in numpy's order (``np.add.reduce`` on a contiguous float64 array of n <= 128 values:
    sequential below 8 values, else 8 interleaved accumulators combined pairwise, then the rest),
    so that shares computed here equal the former numpy ones bit for bit."""
    cdef double r[8]
    cdef double res
    cdef int64_t i, k
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[i]
        return 0.0 + res
    for k in range(8):
        r[k] = a[k]
    i = 8
    while i < n - (n % 8):
        for k in range(8):
            r[k] += a[i + k]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[i]
        i += 1
    return 0.0 + res


def explained(GeocoderView ix, GeocodeWorkspace ws, const int32_t[::1] q_group,
              const int32_t[::1] group_number, const double[::1] base_weight,
              const int32_t[::1] out_doc, const int32_t[::1] out_hn, int64_t n,
              uint8_t[::1] matched, double[::1] share):
    """For an incomplete query, before reset_tokq: matched[g] = some entry of group g matched a
    token; share[j] = weight of the groups result j explains / total weight (a house-number word
    is explained when the result is that address; an empty query weighs 1)."""
    cdef int64_t nq = q_group.shape[0], ng = base_weight.shape[0], j, m
    cdef int i, g
    cdef uint32_t got
    cdef bint hit[MAX_ENTRIES_C]
    cdef double picked[MAX_ENTRIES_C]
    cdef double total
    if nq != ws.n_entries or ng > MAX_ENTRIES_C or group_number.shape[0] != ng or matched.shape[0] < ng:
        raise ValueError("explained takes the groups and entries of the last expand_entries")
    if n > out_doc.shape[0] or n > out_hn.shape[0] or n > share.shape[0]:
        raise ValueError("n exceeds the result arrays")
    for i in range(nq):
        if not 0 <= q_group[i] < ng:
            raise ValueError("q_group values must be group indices")
    with nogil:
        total = _numpy_sum(&base_weight[0], ng) if ng else 0.0
        if total == 0.0:
            total = 1.0
        for g in range(ng):
            matched[g] = 0
        for i in range(nq):
            if ws.seg[i + 1] > ws.seg[i]:        # entry i set some tokq[t, i] > 0
                matched[q_group[i]] = 1
        for j in range(n):
            got = _doc_groups(ix, ws, &q_group[0], nq, out_doc[j])
            for g in range(ng):
                hit[g] = (got >> g) & 1
            if out_hn[j] >= 0:
                for g in range(ng):
                    if group_number[g] >= 0 and not hit[g]:
                        hit[g] = True
                        break
            m = 0
            for g in range(ng):
                if hit[g]:
                    picked[m] = base_weight[g]
                    m += 1
            share[j] = _numpy_sum(picked, m) / total


cdef inline double _lambert_t(double phi, double e) noexcept nogil:
    cdef double s = e * sin(phi)
    return tan(M_PI / 4 - phi / 2) / pow((1 - s) / (1 + s), e / 2)


def lambert93(double lat, double lon, double af, double n, double rho0, double e):
    """(x, y) Lambert-93 metres rounded to the centimetre: ``france.lambert93`` with its constants
    (af, n, rho0, e) passed in, the same operations in the same order (identical results)."""
    cdef double rho = af * pow(_lambert_t(lat * (M_PI / 180.0), e), n)
    cdef double theta = n * ((lon - 3.0) * (M_PI / 180.0))
    return (_py_round(700000.0 + rho * sin(theta), 2, 100.0),
            _py_round(6600000.0 + rho0 - rho * cos(theta), 2, 100.0))


from cpython.object cimport PyObject_GenericSetAttr


def new_record(type cls, tuple names, tuple values):
    """``cls(*values)`` for a frozen slots dataclass without __post_init__, in C: what its
    generated __init__ does (object.__setattr__ per field) without the Python-level calls
    (a Place has 20 fields; this is most of the cost of building one)."""
    if len(names) != len(values):
        raise ValueError("one value per field")
    obj = cls.__new__(cls)
    cdef Py_ssize_t k
    for k in range(len(names)):
        PyObject_GenericSetAttr(obj, names[k], values[k])
    return obj


# ---------------------------------------------------------------------- query layout

def pack_query(list groups):
    """Lay out ``query.parse_query``'s groups for the kernels (compiled: this runs per query).

    ``groups``: per query word (entries, weight, number, suffix code), each entry (spelling,
    prefix, numeric[, q_scale]). Only the first MAX_ENTRIES entries are kept, and the groups
    they belong to. Returns (data, offsets, group, prefix, numeric, q_scale, weight, number,
    suffix, n_groups, has_long_word) -- has_long_word: some entry neither prefix nor numeric has
    >= 4 bytes (typo expansion applies).
    """
    cdef int32_t e_group[MAX_ENTRIES_C]
    cdef uint8_t e_prefix[MAX_ENTRIES_C]
    cdef uint8_t e_numeric[MAX_ENTRIES_C]
    cdef double e_scale[MAX_ENTRIES_C]
    cdef Py_ssize_t ne = 0, ng, g, k, pos = 0
    cdef bint long_word = False
    cdef bytes b
    encoded = []
    for g in range(len(groups)):
        for e in groups[g][0]:
            if ne == MAX_ENTRIES_C:
                break
            b = (<str>e[0]).encode("utf-8")
            encoded.append(b)
            e_group[ne] = <int32_t>g
            e_prefix[ne] = 1 if e[1] else 0
            e_numeric[ne] = 1 if e[2] else 0
            e_scale[ne] = e[3] if len(e) > 3 else 1.0
            if len(b) >= 4 and not e_prefix[ne] and not e_numeric[ne]:
                long_word = True
            ne += 1
        if ne == MAX_ENTRIES_C:
            break
    ng = e_group[ne - 1] + 1 if ne else 0
    offsets_np = np.empty(ne + 1, np.int64)
    group_np = np.empty(ne, np.int32)
    prefix_np = np.empty(ne, np.uint8)
    numeric_np = np.empty(ne, np.uint8)
    scale_np = np.empty(ne, np.float64)
    weight_np = np.empty(ng, np.float64)
    number_np = np.empty(ng, np.int32)
    suffix_np = np.empty(ng, np.int32)
    cdef int64_t[::1] offsets = offsets_np
    cdef int32_t[::1] group = group_np, number = number_np, suffix = suffix_np
    cdef uint8_t[::1] prefix = prefix_np, numeric = numeric_np
    cdef double[::1] scale = scale_np, weight = weight_np
    offsets[0] = 0
    for k in range(ne):
        pos += len(<bytes>encoded[k])
        offsets[k + 1] = pos
        group[k] = e_group[k]
        prefix[k] = e_prefix[k]
        numeric[k] = e_numeric[k]
        scale[k] = e_scale[k]
    for g in range(ng):
        weight[g] = groups[g][1]
        number[g] = groups[g][2]
        suffix[g] = groups[g][3]
    data = np.frombuffer(b"".join(encoded) or b"\0", np.uint8)
    return (data, offsets_np, group_np, prefix_np, numeric_np, scale_np, weight_np, number_np, suffix_np,
            ng, long_word)


# ---------------------------------------------------------------------- batches (engine/geocoder/batch.py)

include "_geocode_batch.pxi"
