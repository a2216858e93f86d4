from libc.math cimport NAN as NAN_C
# Included at the end of _geocode.pyx (one compiled module: the batch loops call its nogil
# cores _expand_query, _score_query and _reverse_query directly).
#
# Batch search: many queries per call, one GIL release for all of them. The queries arrive as
# *forms* (``geocoder.batch_query``: the arrays of ``query.parse_query`` for a query shape, parsed
# once) and, per row, its form and its words; the kernel puts each row's words into its form:
#
#   forms (F of them), CSR by form_entries [F+1] and form_groups [F+1]:
#     entry_word     int32 [E]   the entry is the row's word entry_word[e] (>= 0), or the
#     fixed_data/off uint8, int64 [E+1]  fixed bytes fixed_data[fixed_off[e]:fixed_off[e+1]]
#     entry_group    int32 [E]   the entry's group, numbered within its form
#     entry_prefix, entry_numeric uint8 [E], entry_scale float64 [E]
#     group_weight   float64 [G], group_suffix int32 [G]
#     group_number   int32 [G]   house number, or -1; when group_word[g] >= 0, the number is the
#     group_word     int32 [G]   leading digits of the row's word group_word[g]
#   rows (R of them):
#     row_form       int32 [R]
#     row_words      int64 [R+1] the row's words are word_off[row_words[r]] .. word_off[row_words[r+1]]
#     word_data/off  uint8, int64 [W+1]
#     row_cities, cities         per row, the cities rows its postcode/citycode filter allows (CSR),
#     row_filter     uint8 [R]   used when row_filter[r]
#
# Each row is exactly one search's first pass: expand_entries(typos=1), score_candidates with
# the same arguments, reset; so its top results equal Geocoder.search's first pass bit for bit.
# out_complete[r] says whether that pass was final (else the caller runs the full search).

cdef enum:
    MAX_NUMBER_DIGITS = 9           # a house number's digits (the parse reads 1 to 6)


def search_batch(GeocoderView ix, GeocodeWorkspace ws, const int64_t[::1] form_entries,
                 const int32_t[::1] entry_word, const uint8_t[::1] fixed_data, const int64_t[::1] fixed_off,
                 const int32_t[::1] entry_group, const uint8_t[::1] entry_prefix,
                 const uint8_t[::1] entry_numeric, const double[::1] entry_scale,
                 const int64_t[::1] form_groups, const double[::1] group_weight,
                 const int32_t[::1] group_number, const int32_t[::1] group_suffix,
                 const int32_t[::1] group_word, const int32_t[::1] row_form, const int64_t[::1] row_words,
                 const uint8_t[::1] word_data, const int64_t[::1] word_off, int64_t type_mask,
                 const int64_t[::1] row_cities, const int32_t[::1] cities, const uint8_t[::1] row_filter,
                 uint8_t[::1] city_ok, const double[::1] focus_lat, const double[::1] focus_lon,
                 double focus_scale_m, int32_t[:, ::1] out_doc, int32_t[:, ::1] out_hn,
                 double[:, ::1] out_score, int32_t[::1] out_n, uint8_t[::1] out_complete):
    """First search pass of every row (see the comment above); fills out_*[r] and returns None.

    ``city_ok``: a scratch array of n_cities zeros (left zeroed). Results per row: the top
    out_doc.shape[1] by score desc then doc asc, as score_candidates.
    """
    cdef int64_t n_forms = form_entries.shape[0] - 1, n_rows = row_form.shape[0]
    cdef int64_t n_entries, n_groups, n_words, k = out_doc.shape[1], r, e, e0, e1, g, g0, g1, c, w, w0
    cdef int64_t a, b, pos, size, longest = 1, nw
    cdef int32_t f, value
    cdef double bbox[4]
    cdef double focus[2]
    cdef int64_t q_offsets[MAX_ENTRIES_C + 1]
    cdef int32_t numbers[MAX_ENTRIES_C]
    cdef bint complete
    if n_forms < 0 or form_groups.shape[0] != n_forms + 1 or row_words.shape[0] != n_rows + 1 \
            or row_cities.shape[0] != n_rows + 1 or word_off.shape[0] < 1:
        raise ValueError("form_entries and form_groups need n_forms + 1 offsets, row_words and row_cities "
                         "n_rows + 1, word_off at least 1")
    n_entries = form_entries[n_forms] if n_forms >= 0 else 0
    n_groups = form_groups[n_forms] if n_forms >= 0 else 0
    n_words = word_off.shape[0] - 1
    if (entry_word.shape[0] < n_entries or entry_group.shape[0] < n_entries or entry_prefix.shape[0] < n_entries
            or entry_numeric.shape[0] < n_entries or entry_scale.shape[0] < n_entries
            or fixed_off.shape[0] < n_entries + 1 or group_weight.shape[0] < n_groups
            or group_number.shape[0] < n_groups or group_suffix.shape[0] < n_groups
            or group_word.shape[0] < n_groups):
        raise ValueError("per-entry and per-group arrays need one value per entry / group")
    if (row_filter.shape[0] < n_rows or focus_lat.shape[0] < n_rows or focus_lon.shape[0] < n_rows
            or out_doc.shape[0] < n_rows or out_hn.shape[0] < n_rows or out_score.shape[0] < n_rows
            or out_hn.shape[1] != k or out_score.shape[1] != k or k < 1
            or out_n.shape[0] < n_rows or out_complete.shape[0] < n_rows):
        raise ValueError("per-row arrays need n_rows values (out arrays: n_rows x k, k >= 1)")
    if ws.n_tokens != ix.n_tokens or ws.n_docs != ix.n_docs:
        raise ValueError("workspace and index disagree on n_tokens / n_docs")
    if city_ok.shape[0] < ix.n_cities:
        raise ValueError("city_ok needs one flag per city")
    if (form_entries[0] != 0 or form_groups[0] != 0 or row_words[0] != 0 or row_cities[0] != 0
            or fixed_off[0] != 0 or word_off[0] != 0 or row_words[n_rows] > n_words
            or row_cities[n_rows] > cities.shape[0] or fixed_off[n_entries] > fixed_data.shape[0]
            or word_off[n_words] > word_data.shape[0]):
        raise ValueError("offsets must start at 0 and end within their arrays")
    for e in range(n_entries):
        if fixed_off[e] > fixed_off[e + 1] or not 0.0 <= entry_scale[e] <= 1e300:
            raise ValueError("fixed_off must be non-decreasing, entry_scale finite and >= 0")
    for w in range(n_words):
        if word_off[w] > word_off[w + 1]:
            raise ValueError("word_off must be non-decreasing")
    for f in range(n_forms):
        e0, e1, g0, g1 = form_entries[f], form_entries[f + 1], form_groups[f], form_groups[f + 1]
        if not (0 <= e1 - e0 <= MAX_ENTRIES_C and 0 <= g1 - g0 <= MAX_ENTRIES_C):
            raise ValueError(f"form {f}: 0 to {MAX_ENTRIES_C} entries and groups")
        for e in range(e0, e1):
            if not 0 <= entry_group[e] < g1 - g0:
                raise ValueError(f"form {f}: entry_group values must be group indices of the form")
        for g in range(g0, g1):
            if group_suffix[g] >= ix.n_suffixes:
                raise ValueError("group_suffix values must be rows of geocoder/suffixes")
    for r in range(n_rows):
        f = row_form[r]
        if not 0 <= f < n_forms or row_words[r] > row_words[r + 1] or row_cities[r] > row_cities[r + 1]:
            raise ValueError(f"row {r}: row_form must name a form, row offsets be non-decreasing")
        w0 = row_words[r]
        nw = row_words[r + 1] - w0
        size = 0
        for e in range(form_entries[f], form_entries[f + 1]):
            if entry_word[e] >= nw:
                raise ValueError(f"row {r}: its form reads word {entry_word[e]} of {nw}")
            if entry_word[e] >= 0:
                size += word_off[w0 + entry_word[e] + 1] - word_off[w0 + entry_word[e]]
            else:
                size += fixed_off[e + 1] - fixed_off[e]
        for g in range(form_groups[f], form_groups[f + 1]):
            if group_word[g] >= nw:
                raise ValueError(f"row {r}: its form reads word {group_word[g]} of {nw}")
            if group_word[g] >= 0:
                a, b = word_off[w0 + group_word[g]], word_off[w0 + group_word[g] + 1]
                pos = a
                while pos < b and 48 <= word_data[pos] <= 57:
                    pos += 1
                if not 1 <= pos - a <= MAX_NUMBER_DIGITS:
                    raise ValueError(f"row {r}: a house-number word must start with 1 to {MAX_NUMBER_DIGITS} digits")
        if size > longest:
            longest = size
    for c in range(row_cities[n_rows]):
        if not 0 <= cities[c] < ix.n_cities:
            raise ValueError("cities values must be rows of geocoder/cities")
    scratch_np = np.empty(longest, np.uint8)
    cdef uint8_t[::1] scratch = scratch_np
    for e in range(4):
        bbox[e] = NAN_C
    with nogil:
        for r in range(n_rows):
            f = row_form[r]
            e0, e1, g0, g1 = form_entries[f], form_entries[f + 1], form_groups[f], form_groups[f + 1]
            w0 = row_words[r]
            # the row's query: its form's entries, its own words in place
            pos = 0
            q_offsets[0] = 0
            for e in range(e0, e1):
                if entry_word[e] >= 0:
                    a, b = word_off[w0 + entry_word[e]], word_off[w0 + entry_word[e] + 1]
                    for c in range(a, b):
                        scratch[pos] = word_data[c]
                        pos += 1
                else:
                    for c in range(fixed_off[e], fixed_off[e + 1]):
                        scratch[pos] = fixed_data[c]
                        pos += 1
                q_offsets[e - e0 + 1] = pos
            for g in range(g0, g1):
                if group_word[g] >= 0:
                    value = 0
                    a = word_off[w0 + group_word[g]]
                    while a < word_off[w0 + group_word[g] + 1] and 48 <= word_data[a] <= 57:
                        value = value * 10 + (word_data[a] - 48)
                        a += 1
                    numbers[g - g0] = value
                else:
                    numbers[g - g0] = group_number[g]
            focus[0] = focus_lat[r]
            focus[1] = focus_lon[r]
            if row_filter[r]:
                for c in range(row_cities[r], row_cities[r + 1]):
                    city_ok[cities[c]] = 1
            _expand_query(ix, ws, &scratch[0], q_offsets, &entry_prefix[e0], &entry_numeric[e0],
                          &entry_scale[e0], e1 - e0, 1)
            out_n[r] = <int32_t>_score_query(
                ix, ws, &entry_group[e0], &entry_numeric[e0], e1 - e0, &group_weight[g0], numbers,
                &group_suffix[g0], g1 - g0, type_mask, &city_ok[0], row_filter[r] != 0, bbox, focus,
                focus_scale_m, &out_doc[r, 0], &out_hn[r, 0], &out_score[r, 0], k, &complete)
            out_complete[r] = complete
            _clear_tokq(ws)
            if row_filter[r]:
                for c in range(row_cities[r], row_cities[r + 1]):
                    city_ok[cities[c]] = 0


def reverse_batch(GeocoderView ix, const double[::1] lat, const double[::1] lon, int64_t type_mask,
                  double cell_lat, double cell_lon, int x_bits, int max_rings, int32_t[:, ::1] out_ref,
                  double[:, ::1] out_d, int32_t[::1] out_n):
    """reverse_nearest for every (lat[r], lon[r]) (valid coordinates), out_*[r] its k nearest points."""
    cdef int64_t n_rows = lat.shape[0], k = out_ref.shape[1], r
    if lon.shape[0] != n_rows or out_ref.shape[0] < n_rows or out_d.shape[0] < n_rows or out_n.shape[0] < n_rows \
            or out_d.shape[1] != k or k < 1:
        raise ValueError("lat, lon and the out arrays need one row per point (out: n x k, k >= 1)")
    if not 0 <= x_bits < 63 or max_rings < 0:
        raise ValueError("x_bits must be in [0, 63) and max_rings >= 0")
    for r in range(n_rows):
        if not (-90.0 <= lat[r] <= 90.0 and -180.0 <= lon[r] <= 180.0):
            raise ValueError(f"row {r}: coordinates out of range")
    with nogil:
        for r in range(n_rows):
            out_n[r] = <int32_t>_reverse_query(ix, lat[r], lon[r], type_mask, cell_lat, cell_lon, x_bits,
                                               max_rings, &out_ref[r, 0], &out_d[r, 0], k)
