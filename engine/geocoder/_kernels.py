"""Numba kernels of the geocoder: token lookup, candidate generation, scoring, reverse search.

Layout and invariants (all arrays come straight from the memory-mapped bundle, read-only):

- ``tok_off``/``tok_data``: the token dictionary as an Arrow string column (int32 offsets,
  UTF-8 bytes), sorted by bytes, so ``[lo, hi)`` of tokens sharing a prefix is found by two
  binary searches (:func:`lower_bound`, :func:`prefix_end`).
- ``post_off``/``post_docs``: CSR token -> ascending doc ids.
- ``ng_key``/``ng_off``/``ng_tok``: ascending trigram codes -> token ids.
- ``dtok_off``/``dtok``: CSR doc -> token ids, the first ``d_nname[d]`` from the doc's name.
- ``hn_*``: house numbers, rows ``d_hnf[d] .. d_hnf[d] + d_hnc[d]`` sorted by (number, suffix).

A query arrives as *entries* (``q_data``/``q_off`` bytes, one per token spelling) grouped into
*groups* (one per query word; a word can have two spellings, e.g. raw prefix ``av`` and its
expansion ``avenue``). Per group: weight (stopwords weigh less), parsed house number
(``g_num`` >= 0 when the word looks like ``12``/``12bis``) and suffix code.

Workspace (``GeocodeWorkspace``) arrays are owned by the caller, zero between queries: ``tokq``
[MAX_ENTRIES, n_tokens] match quality per (entry, token), ``ngc`` [n_tokens] trigram counters,
``stamp`` [n_docs] last query that saw the doc. Kernels never allocate per row.
"""
from __future__ import annotations

import numpy as np
from numba import njit

MAX_ENTRIES = 16
MAX_CANDIDATES = 250_000
PREFIX_CAP = 20_000
Q_EXACT, Q_TYPO1, Q_TYPO2, Q_FALLBACK = 1.0, 0.85, 0.7, 0.5
W_TEXT, W_NAME, W_IMP, W_HN = 0.65, 0.15, 0.05, 0.15
MIN_TEXT = 0.45
EARTH_M = 6_371_000.0


@njit(cache=True, nogil=True)
def _cmp(tok_off, tok_data, t, q, qs, qe, prefix_only):
    """Compare token t with q[qs:qe] bytewise: -1, 0, 1 (prefix_only: compare |q| bytes)."""
    a, b = tok_off[t], tok_off[t + 1]
    n = qe - qs
    la = b - a
    m = la if la < n else n
    for k in range(m):
        x, y = tok_data[a + k], q[qs + k]
        if x != y:
            return -1 if x < y else 1
    if prefix_only:
        return 0 if la >= n else -1
    if la == n:
        return 0
    return -1 if la < n else 1


@njit(cache=True, nogil=True)
def lower_bound(tok_off, tok_data, q, qs, qe):
    """First token >= q."""
    lo, hi = 0, len(tok_off) - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if _cmp(tok_off, tok_data, mid, q, qs, qe, False) < 0:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def prefix_end(tok_off, tok_data, q, qs, qe, lo):
    """First token after ``lo`` that does not start with q."""
    hi = len(tok_off) - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if _cmp(tok_off, tok_data, mid, q, qs, qe, True) <= 0:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def osa_distance(a, as_, ae, b, bs, be, maxd, dp):
    """Optimal-string-alignment distance, or maxd + 1 when larger (three rolling rows in dp)."""
    n, m = ae - as_, be - bs
    if abs(n - m) > maxd or n > 62 or m > 62:
        return maxd + 1
    for j in range(m + 1):
        dp[1, j] = j
    for i in range(1, n + 1):
        cur, prev, prev2 = (i + 1) % 3, i % 3, (i - 1) % 3
        dp[cur, 0] = i
        row_min = i
        for j in range(1, m + 1):
            cost = 0 if a[as_ + i - 1] == b[bs + j - 1] else 1
            v = min(dp[prev, j] + 1, dp[cur, j - 1] + 1, dp[prev, j - 1] + cost)
            if i > 1 and j > 1 and a[as_ + i - 1] == b[bs + j - 2] and a[as_ + i - 2] == b[bs + j - 1]:
                v = min(v, dp[prev2, j - 2] + 1)
            dp[cur, j] = v
            if v < row_min:
                row_min = v
        if row_min > maxd:
            return maxd + 1
    return dp[(n + 1) % 3, m]


@njit(cache=True, nogil=True)
def _set_q(tokq, touched, n_touched, i, t, v):
    if tokq[i, t] == 0.0:
        touched[n_touched] = t
        n_touched += 1
    if v > tokq[i, t]:
        tokq[i, t] = v
    return n_touched


@njit(cache=True, nogil=True)
def expand_entries(tok_off, tok_data, ng_key, ng_off, ng_tok,
                   q_data, q_off, q_prefix, q_numeric, typos,
                   tokq, touched, seg, ngc, ngt, dp, qgrams):
    """Fill tokq[i, t] for every entry i and matching token t; return touched token count.

    The tokens matched by entry i are touched[seg[i]:seg[i + 1]] (each entry appends its own).
    """
    n_touched = 0
    nq = len(q_off) - 1
    for i in range(nq):
        seg[i] = n_touched
        qs, qe = q_off[i], q_off[i + 1]
        L = qe - qs
        if L == 0:
            continue
        lo = lower_bound(tok_off, tok_data, q_data, qs, qe)
        exact = lo < len(tok_off) - 1 and _cmp(tok_off, tok_data, lo, q_data, qs, qe, False) == 0
        if exact:
            n_touched = _set_q(tokq, touched, n_touched, i, lo, Q_EXACT)
        if q_numeric[i]:
            continue
        if q_prefix[i]:
            hi = prefix_end(tok_off, tok_data, q_data, qs, qe, lo)
            if hi - lo > PREFIX_CAP:
                hi = lo + PREFIX_CAP
            for t in range(lo, hi):
                lt = tok_off[t + 1] - tok_off[t]
                n_touched = _set_q(tokq, touched, n_touched, i, t, 0.7 + 0.3 * L / lt)
            continue
        found = exact
        if typos and L >= 4 and (typos == 2 or not exact):
            maxd = 1 if L < 8 else 2
            # distinct padded trigrams of the entry
            ng = 0
            for k in range(-1, L - 1):
                b0 = 1 if k < 0 else q_data[qs + k]
                b1 = q_data[qs + k + 1]
                b2 = 2 if k + 2 >= L else q_data[qs + k + 2]
                code = (np.uint32(b0) << 16) | (np.uint32(b1) << 8) | np.uint32(b2)
                dup = False
                for z in range(ng):
                    if qgrams[z] == code:
                        dup = True
                if not dup:
                    qgrams[ng] = code
                    ng += 1
            n_ngt = 0
            for z in range(ng):
                code = qgrams[z]
                a, b = 0, len(ng_key)
                while a < b:
                    mid = (a + b) >> 1
                    if ng_key[mid] < code:
                        a = mid + 1
                    else:
                        b = mid
                if a < len(ng_key) and ng_key[a] == code:
                    for p in range(ng_off[a], ng_off[a + 1]):
                        t = ng_tok[p]
                        if ngc[t] == 0:
                            ngt[n_ngt] = t
                            n_ngt += 1
                        ngc[t] += 1
            need = ng - 4 * maxd          # one edit changes at most 4 padded trigrams (transposition)
            if need < 1:
                need = 1
            for z in range(n_ngt):
                t = ngt[z]
                if ngc[t] >= need:
                    d = osa_distance(q_data, qs, qe, tok_data, tok_off[t], tok_off[t + 1], maxd, dp)
                    if d <= maxd:
                        n_touched = _set_q(tokq, touched, n_touched, i, t, Q_TYPO1 if d == 1 else Q_TYPO2)
                        found = True
                ngc[t] = 0
        if not found and L >= 3:
            hi = prefix_end(tok_off, tok_data, q_data, qs, qe, lo)
            if hi - lo > PREFIX_CAP:
                hi = lo + PREFIX_CAP
            for t in range(lo, hi):
                lt = tok_off[t + 1] - tok_off[t]
                n_touched = _set_q(tokq, touched, n_touched, i, t, Q_FALLBACK * (0.7 + 0.3 * L / lt))
    seg[nq] = n_touched
    return n_touched


@njit(cache=True, nogil=True)
def _haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_M * np.arcsin(min(1.0, np.sqrt(h)))


@njit(cache=True, nogil=True)
def _find_housenumber(hn_num, hn_suf, suf_canon, first, count, num, suf):
    """Best row of the street for (num, suf) and its quality (row -1 when the number is absent)."""
    a, b = first, first + count
    while a < b:
        mid = (a + b) >> 1
        if hn_num[mid] < num:
            a = mid + 1
        else:
            b = mid
    best, bq = -1, 0.0
    qc = suf_canon[suf] if suf >= 0 else -1
    r = a
    while r < first + count and hn_num[r] == num:
        s = hn_suf[r]
        if s == suf:
            q = 1.0
        elif qc >= 0 and suf_canon[s] == qc:
            q = 0.9
        elif s == 0 or suf == 0:
            q = 0.6
        else:
            q = 0.4
        if q > bq:
            best, bq = r, q
        r += 1
    return best, bq


@njit(cache=True, nogil=True)
def score_candidates(post_off, post_docs, dtok_off, dtok, d_nname, d_type, d_imp, d_lat, d_lon,
                     d_city, d_hnf, d_hnc, hn_num, hn_suf, hn_lat, hn_lon, suf_canon,
                     q_group, q_numeric, g_weight, g_num, g_suf, tokq, touched, seg,
                     type_mask, city_ok, city_filter, bbox, focus, focus_scale_m,
                     stamp, stamp_value, cand, gbest, out_doc, out_hn, out_score, out_flags):
    """Candidate docs from the two cheapest words' postings, scored; returns results count.

    out_flags[0] is set to 1 when some document matched every (non-stopword) word.
    """
    out_flags[0] = 0
    nq = len(q_group)
    ng = len(g_weight)
    limit = len(out_doc)
    # cost of each group = postings volume of its matching tokens (non-numeric words first)
    best_g, best_c, second_g, second_c = -1, 1 << 62, -1, 1 << 62
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
                for z in range(seg[i], seg[i + 1]):
                    t = touched[z]
                    matched = True
                    cost += post_off[t + 1] - post_off[t]
            if not matched:
                continue
            if rnd == 0 and (numeric_only or g_weight[g] < 1.0):
                continue
            if cost < best_c:
                second_g, second_c = best_g, best_c
                best_g, best_c = g, cost
            elif cost < second_c and g != best_g:
                second_g, second_c = g, cost
        if best_g >= 0:
            break
    if best_g < 0:
        return 0
    # phase 0: docs of the cheapest word; phase 1 (only if no doc matched every word): add the
    # second cheapest word's docs, in case the cheapest was noise or a wrong typo expansion
    n_cand, scored, n_out = 0, 0, 0
    found_complete = False
    for phase in range(2):
        g = best_g if phase == 0 else second_g
        if g < 0 or (phase == 1 and found_complete):
            break
        for i in range(nq):
            if q_group[i] != g:
                continue
            for z in range(seg[i], seg[i + 1]):
                t = touched[z]
                for p in range(post_off[t], post_off[t + 1]):
                    d = post_docs[p]
                    if stamp[d] != stamp_value and n_cand < len(cand):
                        stamp[d] = stamp_value
                        cand[n_cand] = d
                        n_cand += 1
        for c in range(scored, n_cand):
            d = cand[c]
            if city_filter and (d_city[d] < 0 or not city_ok[d_city[d]]):
                continue
            for g in range(ng):
                gbest[g] = 0.0
            nname = d_nname[d]
            name_matched = 0
            base = dtok_off[d]
            for p in range(base, dtok_off[d + 1]):
                t = dtok[p]
                hit = False
                for i in range(nq):
                    v = tokq[i, t]
                    if v > 0.0:
                        hit = True
                        g = q_group[i]
                        if v > gbest[g]:
                            gbest[g] = v
                if hit and p - base < nname:
                    name_matched += 1
            hn_group = -1
            for g in range(ng):
                if g_num[g] >= 0 and gbest[g] == 0.0:
                    hn_group = g
                    break
            sw, ss = 0.0, 0.0
            complete = True
            for g in range(ng):
                if g == hn_group:
                    continue
                sw += g_weight[g]
                ss += g_weight[g] * gbest[g]
                if gbest[g] == 0.0 and g_weight[g] >= 1.0:
                    complete = False
            if sw == 0.0:
                continue
            text = ss / sw
            if text < MIN_TEXT:
                continue
            rtype = d_type[d]
            row, hq = -1, 0.0
            if hn_group >= 0 and d_hnc[d] > 0 and (type_mask & 1):
                row, hq = _find_housenumber(hn_num, hn_suf, suf_canon, d_hnf[d], d_hnc[d],
                                            g_num[hn_group], g_suf[hn_group])
            if row >= 0:
                rtype = 0
                lat, lon = hn_lat[row] / 1e7, hn_lon[row] / 1e7
            else:
                lat, lon = d_lat[d], d_lon[d]
                if hn_group >= 0 and d_hnc[d] == 0 and rtype == 1:
                    hq = 0.0
            if not (type_mask >> rtype) & 1:
                continue
            if bbox[0] == bbox[0]:
                if lon < bbox[0] or lat < bbox[1] or lon > bbox[2] or lat > bbox[3]:
                    continue
            hpart = hq if hn_group >= 0 else 1.0
            score = (W_TEXT * text + W_NAME * name_matched / max(nname, 1)
                     + W_IMP * d_imp[d] + W_HN * hpart)
            if focus[0] == focus[0]:
                dist = _haversine(focus[0], focus[1], lat, lon)
                score = 0.8 * score + 0.2 * np.exp(-dist / focus_scale_m)
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
            for k in range(end, pos, -1):
                out_doc[k], out_hn[k], out_score[k] = out_doc[k - 1], out_hn[k - 1], out_score[k - 1]
            out_doc[pos], out_hn[pos], out_score[pos] = d, row, score
            if n_out < limit:
                n_out += 1
        scored = n_cand
    if found_complete:
        out_flags[0] = 1
    return n_out


@njit(cache=True, nogil=True)
def reset_tokq(tokq, touched, n_touched, nq):
    for z in range(n_touched):
        t = touched[z]
        for i in range(nq):
            tokq[i, t] = 0.0


@njit(cache=True, nogil=True)
def _cell_start(cells, key):
    a, b = 0, len(cells) - 1          # last row is the INT64_MAX sentinel
    while a < b:
        mid = (a + b) >> 1
        if cells[mid] < key:
            a = mid + 1
        else:
            b = mid
    return a if cells[a] == key else -1


@njit(cache=True, nogil=True)
def _consider(p, g_ref, g_lat, g_lon, d_type, type_mask, lat, lon, coslat, out_ref, out_d, n_out):
    ref = g_ref[p]
    typ = 0 if ref >= 0 else d_type[-(ref + 1)]
    if not (type_mask >> typ) & 1:
        return n_out
    dy = (g_lat[p] / 1e7 - lat) * 111_195.0
    dx = (g_lon[p] / 1e7 - lon) * 111_195.0 * coslat
    dist = np.sqrt(dx * dx + dy * dy)
    limit = len(out_ref)
    pos = n_out
    while pos > 0 and (out_d[pos - 1] > dist or (out_d[pos - 1] == dist and out_ref[pos - 1] > ref)):
        pos -= 1
    if pos >= limit:
        return n_out
    end = n_out if n_out < limit else limit - 1
    for k in range(end, pos, -1):
        out_ref[k], out_d[k] = out_ref[k - 1], out_d[k - 1]
    out_ref[pos], out_d[pos] = ref, dist
    return n_out + 1 if n_out < limit else n_out


@njit(cache=True, nogil=True)
def reverse_nearest(cells, starts, g_ref, g_lat, g_lon, d_type, lat, lon, type_mask,
                    cell_lat, cell_lon, x_bits, max_rings, out_ref, out_d):
    """Nearest points of allowed types, by rings of grid cells around the query's cell.

    Rings stop once the k-th distance is below the ring's inner radius; past ``max_rings``
    (nothing near) every point is scanned, so the answer is always the true nearest.
    Distances are equirectangular metres (exact enough below a few km; callers refine).
    """
    coslat = np.cos(np.radians(lat))
    cy0 = np.int64(np.floor((lat + 90.0) / cell_lat))
    cx0 = np.int64(np.floor((lon + 180.0) / cell_lon))
    side = min(cell_lat * 111_195.0, cell_lon * 111_195.0 * coslat)
    limit = len(out_ref)
    n_out = 0
    for r in range(max_rings + 1):
        for cy in range(cy0 - r, cy0 + r + 1):
            step = 1 if (cy == cy0 - r or cy == cy0 + r) else 2 * r
            cx = cx0 - r
            while cx <= cx0 + r:
                k = _cell_start(cells, (cy << x_bits) | cx)
                if k >= 0:
                    for p in range(starts[k], starts[k + 1]):
                        n_out = _consider(p, g_ref, g_lat, g_lon, d_type, type_mask, lat, lon,
                                          coslat, out_ref, out_d, n_out)
                cx += step
        if n_out == limit and out_d[limit - 1] <= r * side:
            return n_out
    n_out = 0                         # nothing certain within max_rings: scan every point
    for p in range(len(g_ref)):
        n_out = _consider(p, g_ref, g_lat, g_lon, d_type, type_mask, lat, lon, coslat, out_ref, out_d, n_out)
    return n_out
