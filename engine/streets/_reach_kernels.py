"""Numba kernels of the fast stop reach: a bounded search on the chain-contracted street graph.

Why: OSM street graphs are mostly degree-2 shape nodes (86 % of the Heidelberg walk graph, 55 %
of Porto Alegre's), so a bounded Dijkstra over all nodes spends most of its queue work walking
along ways. Here every maximal path of degree-2 nodes (a *chain*) is replaced by at most two
shortcut edges between its end *junctions*, and the stop entries on chain nodes are moved to the
junctions. The searched graph is 2.5-8x smaller and the stop times are exactly those of the plain
search (_kernels.run_to_stops, kept as the reference): the same integer sums of the same int32
edge costs.

Layout and invariants (built by ``run_chain_build`` and ``run_entry_build`` when the network is
opened, read-only afterwards):

- Chain graph, one per mode, from its out-CSR ``off``/``to``/``cost``. A node's *neighbours* are
  the distinct other nodes it shares an edge with, either way. Junctions: 0 or >= 3 neighbours,
  plus one promoted node per junction-free component (a ring or a lone path) and one node every
  MAX_CHAIN edges of a longer chain. Every other node is inside exactly one chain. Junctions are
  numbered 0..n_j - 1 in node order (Z-order: the search's arrays stay local).
- A chain is positions 0..L: position 0 its start junction ``a``, positions 1..k its inner nodes in
  order, position L = k + 1 its end junction ``b`` (possibly ``a`` again), or, for a dead-end chain
  (``b`` = -1), L = k and position L is a leaf. Chain edge i joins positions i - 1 and i.
- ``node_info`` int32 [2 n]: per node, (chain id, prefix slot = chain base + position) for inner
  nodes, (-1, junction id) for junctions.
- ``chains`` int32 [4 n_chains]: (a, b as junction ids, base, L).
- ``prefix`` int64 [2 n_slots], per slot (base + i): the costs of chain edges 1..i summed in
  position order (column 0) and against it (column 1), an edge missing that way counting GAP.
  Travel from position m to i >= m costs P[i] - P[m] (column 0; i <= m: P[m] - P[i], column 1)
  and exists iff that is < GAP (a chain has <= MAX_CHAIN edges of < 2**31 ms, so a real sum is
  < GAP and GAP * MAX_CHAIN + GAP < 2**63). A chain edge's cost one way is the minimum over the
  parallel CSR edges that way.
- A search direction (``flip``): the out-CSR searches column 0 as "forward"; a reverse search on
  the in-CSR, its transpose, uses the same chains with the columns swapped (flip) and the
  transposed reduced graph. (The walk graph's in-CSR is its out-CSR: no flip.)
- Reduced graph over junction ids: ``r_off`` int32 [n_j + 1], ``r_adj`` int64 [2 m_r] (head, ms):
  the CSR edges between junctions, and a -> b / b -> a per chain when the whole chain is
  traversable that way (ms = the chain sum).
- Junction entries ``je_off`` int32 [n_j + 1], ``je_data`` int64 [2 n_je] (stop, ms): the entry
  CSR (node -> stop) of junctions, plus every inner-node entry moved to ``a`` (+ the chain cost
  a -> node) and to ``b`` (+ b -> node) when traversable; one per (junction, stop), the cheapest.
- Chain entries ``ce_off`` int32 [n_chains + 1], ``ce_data`` int64 [3 n_ce] (prefix slot, stop,
  ms): the inner-node entries of each chain, used only for seeds inside that chain (paths that
  never reach a junction).

Query (``run_reach``): the seeds (the snapped segment's ends, as ``locations.leave``/``arrive``)
that are inner nodes go to their chain's ends and to their chain's entries; then a bounded search
over the junctions (bucket queue, no predecessors) offering the junction entries, and the
same-segment walks of _kernels._reach_stops. A path from a seed to a stop either stays in the
seed's chain (chain entries) or passes through a junction, whose distance the reduced search gets
exactly, then enters the stop's node from a junction through that node's chain (junction
entries): every path the plain search relaxes is counted, and nothing else. Costs are >= 1, so
dropping what exceeds the limit where the plain search does changes nothing below it.
"""
from __future__ import annotations

import numpy as np
from numba import njit, types

from ._kernels import INF, _direct, _part

_ri32 = types.Array(types.int32, 1, "C", readonly=True)
_ri64 = types.Array(types.int64, 1, "C", readonly=True)
_rf64 = types.Array(types.float64, 1, "C", readonly=True)
_wi32 = types.int32[::1]
_wi64 = types.int64[::1]
_i64, _f64, _b1 = types.int64, types.float64, types.boolean
_OPTS = dict(cache=True, nogil=True)
#: Size of a workspace's bucket array (run_reach widens the buckets when the limit needs more).
N_BUCKETS = 4096
#: Longest chain in edges (longer ones are cut by a junction), and the cost of a missing edge.
MAX_CHAIN = 1 << 12
GAP = np.int64(1) << 43


# ---------------------------------------------------------------- build
@njit(inline="always")
def _min_cost(off, to, cost, a, b):
    """Cheapest CSR edge a -> b, -1 if none."""
    best = -1
    for e in range(off[a], off[a + 1]):
        if to[e] == b and (best < 0 or cost[e] < best):
            best = cost[e]
    return best


@njit(cache=True, nogil=True)
def run_chain_build(off, to, cost):
    """Chains and reduced graph of a CSR graph: (node_info, chains, prefix, r_off, r_adj)."""
    n = off.shape[0] - 1
    m = to.shape[0]
    # transpose (sources of the edges into each node)
    in_off = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        in_off[to[e] + 1] += 1
    for v in range(n):
        in_off[v + 1] += in_off[v]
    fill = in_off[:n].copy()
    in_src = np.empty(m, dtype=np.int32)
    for u in range(n):
        for e in range(off[u], off[u + 1]):
            v = to[e]
            in_src[fill[v]] = u
            fill[v] += 1
    # distinct neighbours, counted up to 3
    nb_count = np.zeros(n, dtype=np.int32)
    nb0 = np.full(n, -1, dtype=np.int32)
    nb1 = np.full(n, -1, dtype=np.int32)
    for u in range(n):
        c = 0
        for side in range(2):
            lo = off[u] if side == 0 else in_off[u]
            hi = off[u + 1] if side == 0 else in_off[u + 1]
            for e in range(lo, hi):
                x = to[e] if side == 0 else in_src[e]
                if x == u or x == nb0[u] or x == nb1[u]:
                    continue
                if c == 0:
                    nb0[u] = x
                elif c == 1:
                    nb1[u] = x
                c += 1
                if c >= 3:
                    break
            if c >= 3:
                break
        nb_count[u] = min(c, 3)
    junction = np.zeros(n, dtype=np.bool_)
    for u in range(n):
        junction[u] = nb_count[u] == 0 or nb_count[u] >= 3
    node_info = np.full(2 * n, -1, dtype=np.int32)
    chains = np.empty(4 * (n + 1), dtype=np.int32)
    prefix = np.empty(2 * (3 * n + 3), dtype=np.int64)
    buf = np.empty(n + 2, dtype=np.int32)
    n_chains = 0
    n_slots = 0
    for phase in range(2):
        for j in range(n):
            if phase == 1:
                # a node still outside every chain lies in a junction-free component, or on the
                # rest of a chain cut at MAX_CHAIN edges: promote it
                if junction[j] or node_info[2 * j] >= 0:
                    continue
                junction[j] = True
            elif not junction[j]:
                continue
            for side in range(2):
                lo = off[j] if side == 0 else in_off[j]
                hi = off[j + 1] if side == 0 else in_off[j + 1]
                for e in range(lo, hi):
                    x = to[e] if side == 0 else in_src[e]
                    if junction[x] or node_info[2 * x] >= 0:
                        continue
                    # walk the chain j, x, ... to a junction or a leaf
                    cid = n_chains
                    base = n_slots
                    buf[0] = j
                    length = 0
                    prev = j
                    cur = x
                    end = -1
                    while True:
                        length += 1
                        buf[length] = cur
                        if length == MAX_CHAIN and not junction[cur]:
                            junction[cur] = True            # cut: the rest is another chain
                        if junction[cur]:
                            end = cur
                            break
                        node_info[2 * cur] = cid
                        node_info[2 * cur + 1] = base + length
                        if nb_count[cur] == 1:
                            break
                        nxt = nb0[cur] if nb0[cur] != prev else nb1[cur]
                        prev = cur
                        cur = nxt
                    prefix[2 * base] = 0
                    prefix[2 * base + 1] = 0
                    for i in range(1, length + 1):
                        fwd = _min_cost(off, to, cost, buf[i - 1], buf[i])
                        bwd = _min_cost(off, to, cost, buf[i], buf[i - 1])
                        p = 2 * (base + i)
                        prefix[p] = prefix[p - 2] + (fwd if fwd >= 0 else GAP)
                        prefix[p + 1] = prefix[p - 1] + (bwd if bwd >= 0 else GAP)
                    chains[4 * cid] = j
                    chains[4 * cid + 1] = end
                    chains[4 * cid + 2] = base
                    chains[4 * cid + 3] = length
                    n_chains += 1
                    n_slots += length + 1
    # compact junction ids (in node order, so the Z-order locality is kept)
    n_j = 0
    for u in range(n):
        if junction[u]:
            node_info[2 * u + 1] = n_j
            n_j += 1
    for c in range(n_chains):
        chains[4 * c] = node_info[2 * chains[4 * c] + 1]
        if chains[4 * c + 1] >= 0:
            chains[4 * c + 1] = node_info[2 * chains[4 * c + 1] + 1]
    # reduced graph: junction -> junction CSR edges, plus the traversable chains
    r_off = np.zeros(n_j + 1, dtype=np.int32)
    for u in range(n):
        if junction[u]:
            j = node_info[2 * u + 1]
            for e in range(off[u], off[u + 1]):
                if junction[to[e]]:
                    r_off[j + 1] += 1
    for c in range(n_chains):
        if chains[4 * c + 1] < 0:
            continue
        last = 2 * (chains[4 * c + 2] + chains[4 * c + 3])
        if prefix[last] < GAP:
            r_off[chains[4 * c] + 1] += 1
        if prefix[last + 1] < GAP:
            r_off[chains[4 * c + 1] + 1] += 1
    for j in range(n_j):
        r_off[j + 1] += r_off[j]
    r_adj = np.empty(2 * r_off[n_j], dtype=np.int64)
    pos = r_off[:n_j].copy()
    for u in range(n):
        if junction[u]:
            j = node_info[2 * u + 1]
            for e in range(off[u], off[u + 1]):
                if junction[to[e]]:
                    r_adj[2 * pos[j]] = node_info[2 * to[e] + 1]
                    r_adj[2 * pos[j] + 1] = cost[e]
                    pos[j] += 1
    for c in range(n_chains):
        a = chains[4 * c]
        b = chains[4 * c + 1]
        if b < 0:
            continue
        last = 2 * (chains[4 * c + 2] + chains[4 * c + 3])
        if prefix[last] < GAP:
            r_adj[2 * pos[a]] = b
            r_adj[2 * pos[a] + 1] = prefix[last]
            pos[a] += 1
        if prefix[last + 1] < GAP:
            r_adj[2 * pos[b]] = a
            r_adj[2 * pos[b] + 1] = prefix[last + 1]
            pos[b] += 1
    return (node_info, chains[: 4 * n_chains].copy(), prefix[: 2 * n_slots].copy(), r_off, r_adj)


@njit(cache=True, nogil=True)
def run_transpose(r_off, r_adj):
    """The reduced graph with every edge reversed (the reverse search's, see ``flip``)."""
    n_j = r_off.shape[0] - 1
    t_off = np.zeros(n_j + 1, dtype=np.int32)
    for k in range(r_off[n_j]):
        t_off[r_adj[2 * k] + 1] += 1
    for j in range(n_j):
        t_off[j + 1] += t_off[j]
    t_adj = np.empty(r_adj.shape[0], dtype=np.int64)
    pos = t_off[:n_j].copy()
    for a in range(n_j):
        for k in range(r_off[a], r_off[a + 1]):
            b = r_adj[2 * k]
            t_adj[2 * pos[b]] = a
            t_adj[2 * pos[b] + 1] = r_adj[2 * k + 1]
            pos[b] += 1
    return t_off, t_adj


@njit(cache=True, nogil=True)
def run_entry_build(node_info, chains, prefix, flip, entry_off, entry_stop, entry_cost):
    """Junction entries (je_node, je_stop, je_ms: unsorted, may repeat) and chain entries
    (ce_off, ce_data) of an entry CSR, for the search direction ``flip``."""
    n = entry_off.shape[0] - 1
    n_chains = chains.shape[0] // 4
    fo = 1 if flip else 0
    bo = 1 - fo
    n_je = 0
    ce_off = np.zeros(n_chains + 1, dtype=np.int32)
    for u in range(n):
        k = entry_off[u + 1] - entry_off[u]
        cid = node_info[2 * u]
        if cid < 0:
            n_je += k
        else:
            n_je += 2 * k
            ce_off[cid + 1] += k
    for c in range(n_chains):
        ce_off[c + 1] += ce_off[c]
    je_node = np.empty(n_je, dtype=np.int32)
    je_stop = np.empty(n_je, dtype=np.int32)
    je_ms = np.empty(n_je, dtype=np.int64)
    ce_data = np.empty(3 * ce_off[n_chains], dtype=np.int64)
    ce_fill = ce_off[:n_chains].copy()
    j = 0
    for u in range(n):
        cid = node_info[2 * u]
        for k in range(entry_off[u], entry_off[u + 1]):
            s = entry_stop[k]
            c = entry_cost[k]
            if cid < 0:
                je_node[j] = node_info[2 * u + 1]
                je_stop[j] = s
                je_ms[j] = c
                j += 1
                continue
            slot = node_info[2 * u + 1]
            base = chains[4 * cid + 2]
            last = base + chains[4 * cid + 3]
            along = prefix[2 * slot + fo] - prefix[2 * base + fo]          # a -> u
            if along < GAP:
                je_node[j] = chains[4 * cid]
                je_stop[j] = s
                je_ms[j] = along + c
                j += 1
            b = chains[4 * cid + 1]
            along = prefix[2 * last + bo] - prefix[2 * slot + bo]          # b -> u
            if b >= 0 and along < GAP:
                je_node[j] = b
                je_stop[j] = s
                je_ms[j] = along + c
                j += 1
            i = ce_fill[cid]
            ce_data[3 * i] = slot
            ce_data[3 * i + 1] = s
            ce_data[3 * i + 2] = c
            ce_fill[cid] += 1
    return je_node[:j].copy(), je_stop[:j].copy(), je_ms[:j].copy(), ce_off, ce_data


# ---------------------------------------------------------------- bucket queue
@njit(inline="always")
def _bucket_set(j, d, shift, dist, touched, n_touched, nxt, prv, head):
    """dist[j] = d (< dist[j]) and j into bucket d >> shift; returns n_touched.

    Buckets are doubly linked lists over the junctions: ``nxt``/``prv`` per junction, prv -1 at a
    list head and -2 once popped (or never queued). A junction is in at most one list.
    """
    old = dist[j]
    if old == INF:
        touched[n_touched] = j
        n_touched += 1
    else:
        p = prv[j]
        if p != -2:                         # still queued: unlink from its old bucket
            q = nxt[j]
            if p == -1:
                head[old >> shift] = q
            else:
                nxt[p] = q
            if q >= 0:
                prv[q] = p
    dist[j] = d
    b = d >> shift
    q = head[b]
    nxt[j] = q
    prv[j] = -1
    if q >= 0:
        prv[q] = j
    head[b] = j
    return n_touched


@njit(inline="always")
def _offer(s, c, limit, stop_best, out_stop, n_out):
    """Record cost c for stop s; returns the new n_out."""
    if c <= limit and c < stop_best[s]:
        if stop_best[s] == INF:
            out_stop[n_out] = s
            n_out += 1
        stop_best[s] = c
    return n_out


@njit(inline="always")
def _seed(node, c, limit, shift, fo, node_info, chains, prefix, ce_off, ce_data, dist, touched,
          n_touched, nxt, prv, head, stop_best, out_stop, n_out):
    """One search seed: a junction is queued; an inner node queues its chain's ends and offers
    its chain's entries. Returns (n_touched, n_out)."""
    if c > limit:
        return n_touched, n_out
    bo = 1 - fo
    cid = node_info[2 * node]
    if cid < 0:
        targets = 1
    else:
        targets = 2
    for side in range(targets):
        if cid < 0:
            j = node_info[2 * node + 1]
            d = c
        else:
            slot = node_info[2 * node + 1]
            if side == 0:                           # backward to a
                j = chains[4 * cid]
                along = prefix[2 * slot + bo] - prefix[2 * chains[4 * cid + 2] + bo]
            else:                                   # forward to b
                j = chains[4 * cid + 1]
                last = chains[4 * cid + 2] + chains[4 * cid + 3]
                along = prefix[2 * last + fo] - prefix[2 * slot + fo]
            if j < 0 or along >= GAP:
                continue
            d = c + along
        if d <= limit and d < dist[j]:
            n_touched = _bucket_set(j, d, shift, dist, touched, n_touched, nxt, prv, head)
    if cid >= 0:
        slot = node_info[2 * node + 1]
        for i in range(ce_off[cid], ce_off[cid + 1]):
            t_slot = ce_data[3 * i]
            if t_slot >= slot:
                along = prefix[2 * t_slot + fo] - prefix[2 * slot + fo]
            else:
                along = prefix[2 * slot + bo] - prefix[2 * t_slot + bo]
            if along < GAP:
                n_out = _offer(np.int32(ce_data[3 * i + 1]), c + along + ce_data[3 * i + 2], limit,
                               stop_best, out_stop, n_out)
    return n_touched, n_out


# ---------------------------------------------------------------- query
@njit(_i64(_i64, _f64, _i64, _b1, _i64, _i64, _b1, _ri32, _ri32, _ri32, _ri32, _ri32, _ri32,
           _ri64, _ri32, _ri64, _ri32, _ri64, _ri32, _ri64, _ri32, _ri32, _ri32, _rf64, _ri64,
           _wi64, _wi32, _wi32, _wi32, _wi32, _wi64, _wi32, _wi32), **_OPTS)
def run_reach(seg, t, conn, reverse, limit, shift, flip, seg_u, seg_v, c_fwd, c_bwd, node_info,
              chains, prefix, ce_off, ce_data, r_off, r_adj, je_off, je_data, entry_off,
              entry_stop, stop_seg, stop_t, stop_conn, dist, touched, nxt, prv, head, stop_best,
              out_stop, out_s):
    """Stops reachable within ``limit`` ms from (reverse: to) location (seg, t, conn).

    Fills out_stop (ascending stop index) and out_s (ceil seconds); returns their count.
    ``dist`` [>= n junctions] and ``stop_best`` are all INF before and after; ``touched``,
    ``nxt``, ``prv`` [>= n junctions] and ``head`` are scratch. ``shift``: log2 of the bucket
    width in ms, any value >= 0 gives the same result (it is raised until the limit fits in
    ``head``). ``flip``: the chains were built on the transpose of the searched graph.

    Search: a bucket queue (Dial 1969) with buckets of 2**shift ms, label-correcting inside a
    bucket: a junction is popped in bucket order, and popped again if a later pop of the same
    bucket lowers it; when a bucket is empty every junction of it has its final distance (costs
    are > 0), so the distances are Dijkstra's. Stops are offered at each pop (a non-final pop
    offers an upper bound, the final one the exact value).
    """
    while (limit >> shift) >= head.shape[0]:
        shift += 1
    n_buckets = (limit >> shift) + 1
    for b in range(n_buckets):
        head[b] = -1
    n_touched = 0
    n_out = 0
    cf = np.int64(c_fwd[seg])
    cb = np.int64(c_bwd[seg])
    u = seg_u[seg]
    v = seg_v[seg]
    # seeds as locations.leave (forward) / locations.arrive (reverse)
    c_to_u = cf if reverse else cb
    c_to_v = cb if reverse else cf
    fo = 1 if flip else 0
    if c_to_u >= 0:
        n_touched, n_out = _seed(u, _part(t, c_to_u) + conn, limit, shift, fo, node_info, chains,
                                 prefix, ce_off, ce_data, dist, touched, n_touched, nxt, prv,
                                 head, stop_best, out_stop, n_out)
    if c_to_v >= 0:
        n_touched, n_out = _seed(v, _part(1.0 - t, c_to_v) + conn, limit, shift, fo, node_info,
                                 chains, prefix, ce_off, ce_data, dist, touched, n_touched, nxt,
                                 prv, head, stop_best, out_stop, n_out)
    # bounded search over the junctions
    for b in range(n_buckets):
        while head[b] >= 0:
            x = head[b]
            q = nxt[x]
            head[b] = q
            if q >= 0:
                prv[q] = -1
            prv[x] = -2
            g = dist[x]
            for k in range(je_off[x], je_off[x + 1]):
                n_out = _offer(np.int32(je_data[2 * k]), g + je_data[2 * k + 1], limit,
                               stop_best, out_stop, n_out)
            for k in range(r_off[x], r_off[x + 1]):
                y = r_adj[2 * k]
                nd = g + r_adj[2 * k + 1]
                if nd < dist[y] and nd <= limit:
                    # _bucket_set, written out: the inlined call compiles to slower code here
                    if dist[y] == INF:
                        touched[n_touched] = y
                        n_touched += 1
                    else:
                        p = prv[y]
                        if p != -2:
                            q = nxt[y]
                            if p == -1:
                                head[dist[y] >> shift] = q
                            else:
                                nxt[p] = q
                            if q >= 0:
                                prv[q] = p
                    dist[y] = nd
                    bb = nd >> shift
                    q = head[bb]
                    nxt[y] = q
                    prv[y] = -1
                    if q >= 0:
                        prv[q] = y
                    head[bb] = y
    # stops on the location's own segment, walked along it
    if cf >= 0 or cb >= 0:
        for end in (u, v):
            for k in range(entry_off[end], entry_off[end + 1]):
                s = entry_stop[k]
                if stop_seg[s] != seg:
                    continue
                if reverse:
                    c = _direct(stop_t[s], stop_conn[s], t, conn, cf, cb)
                else:
                    c = _direct(t, conn, stop_t[s], stop_conn[s], cf, cb)
                n_out = _offer(s, c, limit, stop_best, out_stop, n_out)
    for i in range(n_touched):
        dist[touched[i]] = INF
    out_stop[:n_out].sort()
    for i in range(n_out):
        s = out_stop[i]
        out_s[i] = (stop_best[s] + 999) // 1000
        stop_best[s] = INF
    return n_out
