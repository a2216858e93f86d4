"""Numba kernels of contraction hierarchies (Geisberger, Sanders, Schultes, Delling 2008).

Layout and invariants:

- Build (``run_ch_build``, build time): the input is one mode's directed graph without parallel
  edges or loops: ``src``/``dst`` int32, ``w`` int64 ms, ``orig`` int32 = index of the edge in the
  mode's out-CSR. Nodes are contracted one by one in lazy edge-difference order; contracting v
  adds a shortcut u -> x (weight w(u,v) + w(v,x), children = the two edges) unless a witness path
  u ~> x avoiding v, no longer, is found by a settle-limited Dijkstra. A witness search that hits
  its limit adds the shortcut: extra shortcuts cost speed, never correctness. The edge pool is
  (src, dst, w, child_a, child_b, orig); an original edge has children -1, a shortcut orig -1.
  Adjacency of the remaining graph is kept as per-node linked lists over the pool.
  Contraction stops when ``core_nodes`` remain (the dense top, where witness searches get
  expensive): core nodes keep rank n, and edges between them are both "up" and "down" (core-CH).
- Query (``run_ch_query``): ``up`` CSR (node -> edges to higher-ranked nodes, forward) and
  ``down`` CSR (node -> edges *from* higher-ranked nodes, read backwards). Bidirectional Dijkstra
  from weighted seeds and targets, each side only going up; stop when both queue minima reach the
  best meeting cost. ``run_ch_path`` unpacks the meeting path into out-CSR edge indices.
"""
from __future__ import annotations

import numpy as np
from numba import njit, types

from ._kernels import INF, _pop, _push

_ri32 = types.Array(types.int32, 1, "C", readonly=True)
_ri64 = types.Array(types.int64, 1, "C", readonly=True)
_wi32 = types.int32[::1]
_wi64 = types.int64[::1]
_i64 = types.int64


@njit(cache=True, nogil=True)
def _grow(a, cap, fill):
    out = np.full(cap, fill, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, nogil=True)
def _witness(u, skip, limit, max_settled, out_head, out_next, e_dst, e_w, contracted, dist,
             touched, hk, hg, hn):
    """Bounded Dijkstra from u in the remaining graph, never through ``skip``; returns n_touched."""
    n_touched = 1
    dist[u] = 0
    touched[0] = u
    size = _push(hk, hg, hn, 0, 0, 0, u)
    settled = 0
    while size > 0 and settled < max_settled:
        g = hg[0]
        a = hn[0]
        size = _pop(hk, hg, hn, size)
        if g > dist[a]:
            continue
        settled += 1
        prev = -1
        e = out_head[a]
        while e >= 0:
            b = e_dst[e]
            if contracted[b]:          # unlink edges to contracted nodes once, lazily
                nxt = out_next[e]
                if prev < 0:
                    out_head[a] = nxt
                else:
                    out_next[prev] = nxt
                e = nxt
                continue
            prev = e
            if b != skip:
                nd = g + e_w[e]
                if nd <= limit and nd < dist[b]:
                    if dist[b] == INF:
                        touched[n_touched] = b
                        n_touched += 1
                    dist[b] = nd
                    if size >= hk.shape[0]:
                        return n_touched      # heap full: stop early (conservative)
                    size = _push(hk, hg, hn, size, nd, nd, b)
            e = out_next[e]
    return n_touched


@njit(cache=True, nogil=True)
def run_ch_build(n, src, dst, w, orig, settle_limit, sim_limit, core_nodes):
    """Contract all but ``core_nodes`` nodes (their rank stays n: the core): returns (rank, e_src, e_dst, e_w, e_a, e_b, e_orig) of the final pool."""
    m = src.shape[0]
    cap = max(64, 3 * m)
    e_src = np.empty(cap, dtype=np.int32)
    e_dst = np.empty(cap, dtype=np.int32)
    e_w = np.empty(cap, dtype=np.int64)
    e_a = np.full(cap, -1, dtype=np.int32)
    e_b = np.full(cap, -1, dtype=np.int32)
    e_orig = np.full(cap, -1, dtype=np.int32)
    out_next = np.full(cap, -1, dtype=np.int32)
    in_next = np.full(cap, -1, dtype=np.int32)
    out_head = np.full(n, -1, dtype=np.int32)
    in_head = np.full(n, -1, dtype=np.int32)
    for i in range(m):
        e_src[i] = src[i]
        e_dst[i] = dst[i]
        e_w[i] = w[i]
        e_orig[i] = orig[i]
        out_next[i] = out_head[src[i]]
        out_head[src[i]] = i
        in_next[i] = in_head[dst[i]]
        in_head[dst[i]] = i
    n_e = m
    contracted = np.zeros(n, dtype=np.bool_)
    deleted = np.zeros(n, dtype=np.int64)
    rank = np.full(n, n, dtype=np.int32)
    dist = np.full(n, INF, dtype=np.int64)
    touched = np.empty(n, dtype=np.int32)
    wcap = 4 * settle_limit * 16 + 64
    hk = np.empty(wcap, dtype=np.int64)
    hg = np.empty(wcap, dtype=np.int64)
    hn = np.empty(wcap, dtype=np.int32)
    # node order heap
    ok = np.empty(n + 1, dtype=np.int64)
    og = np.empty(n + 1, dtype=np.int64)
    on = np.empty(n + 1, dtype=np.int32)
    osize = 0
    for v in range(n):
        p = _process(v, False, sim_limit, out_head, out_next, in_head, in_next, e_src,
                     e_dst, e_w, contracted, dist, touched, hk, hg, hn, e_a, e_b, e_orig, n_e)
        osize = _push(ok, og, on, osize, p + deleted[v], 0, v)
    order = 0
    while osize > core_nodes:
        v = on[0]
        osize = _pop(ok, og, on, osize)
        p = _process(v, False, sim_limit, out_head, out_next, in_head, in_next, e_src,
                     e_dst, e_w, contracted, dist, touched, hk, hg, hn, e_a, e_b, e_orig, n_e)
        p += deleted[v]
        if osize > 0 and p > ok[0]:
            osize = _push(ok, og, on, osize, p, 0, v)
            continue
        # make room for every shortcut this contraction could add
        deg_in = 0
        e = in_head[v]
        while e >= 0:
            deg_in += 1
            e = in_next[e]
        deg_out = 0
        e = out_head[v]
        while e >= 0:
            deg_out += 1
            e = out_next[e]
        need = n_e + deg_in * deg_out + 1
        if need > e_src.shape[0]:
            cap = max(need, 2 * e_src.shape[0])
            e_src = _grow(e_src, cap, -1)
            e_dst = _grow(e_dst, cap, -1)
            e_w = _grow(e_w, cap, 0)
            e_a = _grow(e_a, cap, -1)
            e_b = _grow(e_b, cap, -1)
            e_orig = _grow(e_orig, cap, -1)
            out_next = _grow(out_next, cap, -1)
            in_next = _grow(in_next, cap, -1)
        added = _process(v, True, settle_limit, out_head, out_next, in_head, in_next, e_src, e_dst,
                         e_w, contracted, dist, touched, hk, hg, hn, e_a, e_b, e_orig, n_e)
        n_e += added
        contracted[v] = True
        rank[v] = order
        order += 1
        e = in_head[v]
        while e >= 0:
            deleted[e_src[e]] += 1
            e = in_next[e]
        e = out_head[v]
        while e >= 0:
            deleted[e_dst[e]] += 1
            e = out_next[e]
    return rank, e_src[:n_e], e_dst[:n_e], e_w[:n_e], e_a[:n_e], e_b[:n_e], e_orig[:n_e]


@njit(cache=True, nogil=True)
def _unlink_dead(a, head, nxt, other, contracted):
    """Drop from a's list the edges whose other end is contracted."""
    prev = -1
    e = head[a]
    while e >= 0:
        following = nxt[e]
        if contracted[other[e]]:
            if prev < 0:
                head[a] = following
            else:
                nxt[prev] = following
        else:
            prev = e
        e = following


@njit(cache=True, nogil=True)
def _process(v, add, settle_limit, out_head, out_next, in_head, in_next, e_src, e_dst, e_w,
             contracted, dist, touched, hk, hg, hn, e_a, e_b, e_orig, n_e):
    """Shortcuts needed to contract v. add=False: edge difference; add=True: number added."""
    max_out = 0
    removed = 0
    _unlink_dead(v, out_head, out_next, e_dst, contracted)
    _unlink_dead(v, in_head, in_next, e_src, contracted)
    e = out_head[v]
    while e >= 0:
        removed += 1
        if e_w[e] > max_out:
            max_out = e_w[e]
        e = out_next[e]
    shortcuts = 0
    added = 0
    ei = in_head[v]
    while ei >= 0:
        u = e_src[ei]
        if not contracted[u]:
            removed += 1
            w1 = e_w[ei]
            n_touched = _witness(u, v, w1 + max_out, settle_limit, out_head, out_next, e_dst, e_w,
                                 contracted, dist, touched, hk, hg, hn)
            eo = out_head[v]
            while eo >= 0:
                x = e_dst[eo]
                if x != u and not contracted[x]:
                    total = w1 + e_w[eo]
                    if dist[x] > total:
                        shortcuts += 1
                        if add:
                            # an existing u -> x edge (never a child yet: both ends are live)
                            _unlink_dead(u, out_head, out_next, e_dst, contracted)
                            ex = out_head[u]
                            found = False
                            while ex >= 0:
                                if e_dst[ex] == x:
                                    found = True
                                    if e_w[ex] > total:
                                        e_w[ex] = total
                                        e_a[ex] = ei
                                        e_b[ex] = eo
                                        e_orig[ex] = -1
                                    break
                                ex = out_next[ex]
                            if not found:
                                k = n_e + added
                                e_src[k] = u
                                e_dst[k] = x
                                e_w[k] = total
                                e_a[k] = ei
                                e_b[k] = eo
                                e_orig[k] = -1
                                out_next[k] = out_head[u]
                                out_head[u] = k
                                in_next[k] = in_head[x]
                                in_head[x] = k
                                added += 1
                eo = out_next[eo]
            for i in range(n_touched):
                dist[touched[i]] = INF
        ei = in_next[ei]
    if add:
        return added
    return shortcuts - removed


# ---------------------------------------------------------------- query
@njit(types.Tuple((_i64, _i64, _i64, _i64))(
    _ri32, _ri32, _ri32, _ri32, _ri32, _ri32, _ri32, _ri32, _ri32, _ri64, _ri32, _ri64, _i64,
    _wi64, _wi64, _wi32, _wi32, _wi32, _wi32, _wi32, _wi32, _wi64, _wi64, _wi32, _wi64, _wi64,
    _wi32), cache=True, nogil=True)
def run_ch_query(up_off, up_to, up_w, up_e, dn_off, dn_to, dn_w, dn_e, seed_node, seed_cost,
                 tgt_node, tgt_cost, best, df, db, fpn, fpe, bpn, bpe, ftouch, btouch, fk, fg, fn,
                 bk, bg, bn):
    """Exact cost seeds -> targets on the hierarchy: (cost, meeting node or -1, n_ftouch, n_btouch)."""
    nf = 0
    nb = 0
    fs = 0
    bs = 0
    meet = -1
    for i in range(seed_node.shape[0]):
        s = seed_node[i]
        c = seed_cost[i]
        if c < df[s]:
            if df[s] == INF:
                ftouch[nf] = s
                nf += 1
            df[s] = c
            fpn[s] = -1
            fpe[s] = -1
            fs = _push(fk, fg, fn, fs, c, c, s)
    for i in range(tgt_node.shape[0]):
        t = tgt_node[i]
        c = tgt_cost[i]
        if c < db[t]:
            if db[t] == INF:
                btouch[nb] = t
                nb += 1
            db[t] = c
            bpn[t] = -1
            bpe[t] = -1
            bs = _push(bk, bg, bn, bs, c, c, t)
    while True:
        ftop = fk[0] if fs > 0 else INF
        btop = bk[0] if bs > 0 else INF
        if ftop >= best and btop >= best:
            break
        if ftop <= btop:
            g = fg[0]
            u = fn[0]
            fs = _pop(fk, fg, fn, fs)
            if g > df[u]:
                continue
            if db[u] < INF and g + db[u] < best:
                best = g + db[u]
                meet = u
            for k in range(up_off[u], up_off[u + 1]):
                v = up_to[k]
                nd = g + up_w[k]
                if nd < df[v]:
                    if df[v] == INF:
                        ftouch[nf] = v
                        nf += 1
                    df[v] = nd
                    fpn[v] = u
                    fpe[v] = up_e[k]
                    fs = _push(fk, fg, fn, fs, nd, nd, v)
        else:
            g = bg[0]
            u = bn[0]
            bs = _pop(bk, bg, bn, bs)
            if g > db[u]:
                continue
            if df[u] < INF and g + df[u] < best:
                best = g + df[u]
                meet = u
            for k in range(dn_off[u], dn_off[u + 1]):
                v = dn_to[k]
                nd = g + dn_w[k]
                if nd < db[v]:
                    if db[v] == INF:
                        btouch[nb] = v
                        nb += 1
                    db[v] = nd
                    bpn[v] = u
                    bpe[v] = dn_e[k]
                    bs = _push(bk, bg, bn, bs, nd, nd, v)
    return best, meet, nf, nb


@njit(types.int32[::1](_ri32, _ri32, _ri32, _ri32, _i64, _ri32, _ri32, _ri32), cache=True, nogil=True)
def run_ch_path(fpn, fpe, bpn, bpe, meet, e_a, e_b, e_orig):
    """Out-CSR edge indices of the path through ``meet``, in travel order (shortcuts unpacked)."""
    n_f = 0
    node = meet
    while fpn[node] >= 0:
        n_f += 1
        node = fpn[node]
    n_b = 0
    node = meet
    while bpn[node] >= 0:
        n_b += 1
        node = bpn[node]
    chain = np.empty(n_f + n_b, dtype=np.int32)
    node = meet
    for i in range(n_f - 1, -1, -1):
        chain[i] = fpe[node]
        node = fpn[node]
    node = meet
    for i in range(n_b):
        chain[n_f + i] = bpe[node]
        node = bpn[node]
    out = np.empty(16, dtype=np.int32)
    n_out = 0
    stack = np.empty(64, dtype=np.int32)
    for i in range(chain.shape[0]):
        top = 1
        stack[0] = chain[i]
        while top > 0:
            top -= 1
            e = stack[top]
            if e_orig[e] >= 0:
                if n_out == out.shape[0]:
                    grown = np.empty(2 * n_out, dtype=np.int32)
                    grown[:n_out] = out
                    out = grown
                out[n_out] = e_orig[e]
                n_out += 1
            else:
                if top + 2 > stack.shape[0]:
                    grown = np.empty(2 * stack.shape[0], dtype=np.int32)
                    grown[:top] = stack[:top]
                    stack = grown
                stack[top] = e_b[e]
                stack[top + 1] = e_a[e]
                top += 2
    return out[:n_out].copy()


@njit((_wi64, _wi32, _i64), cache=True, nogil=True)
def run_ch_reset(dist, touched, n):
    for i in range(n):
        dist[touched[i]] = INF
