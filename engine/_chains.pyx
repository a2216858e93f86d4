# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Chain decomposition of the street segments (BUILD TIME), shared by walk, bike and car.

Why: OSM street graphs are mostly degree-2 shape nodes (86 % of Heidelberg's walk nodes), so
searches and hierarchies run on the *junctions* only, and the bundle stores the segments of
each chain contiguously, oriented along it: a segment's chain and position are then implicit
(the chain whose segment range holds it), and the along-chain costs are sums over a range.

A node is *inner* when exactly two segment ends touch it, from two distinct neighbours, and
neither is a loop; every other node with a segment is a *junction* (dead ends included, so every
chain ends at junctions). A chain is a maximal path a -> inner ... inner -> b; rings without a
junction get one of their nodes promoted. A chain is also cut (its node promoted) when it would
exceed ``max_len`` segments or a cost sum of ``max_cost`` (so per-chain sums fit in int32).
"""
from libc.stdint cimport int32_t, int64_t, uint8_t
import numpy as np


def chain_order(Py_ssize_t n_nodes, const int32_t[::1] seg_u, const int32_t[::1] seg_v,
                const int64_t[::1] seg_cap, Py_ssize_t max_len, int64_t max_cost):
    """Order the segments chain by chain.

    Returns (order int32 [m]: old segment at each new position, flip uint8 [m]: 1 when the
    segment runs v -> u along its chain, chain_offsets int32 [n_chains + 1], junction uint8
    [n_nodes]). ``seg_cap`` is the largest cost of a segment over modes and directions.
    """
    cdef Py_ssize_t m = seg_u.shape[0], i, e, k, pos = 0, n_chains = 0, head = 0, tail = 0
    deg_np = np.zeros(n_nodes, dtype=np.int32)
    nb_np = np.full(2 * n_nodes, -1, dtype=np.int32)      # the two incident segments
    junction_np = np.zeros(n_nodes, dtype=np.uint8)
    done_np = np.zeros(m, dtype=np.uint8)
    order_np = np.empty(m, dtype=np.int32)
    flip_np = np.zeros(m, dtype=np.uint8)
    offsets_np = np.zeros(m + 1, dtype=np.int32)
    queue_np = np.empty(n_nodes + 1, dtype=np.int32)
    inc_off_np = np.zeros(n_nodes + 1, dtype=np.int32)
    cdef int32_t[::1] deg = deg_np, nb = nb_np, order = order_np, offsets = offsets_np
    cdef int32_t[::1] queue = queue_np, inc_off = inc_off_np
    cdef uint8_t[::1] junction = junction_np, done = done_np, flip = flip_np
    cdef int32_t u, v, x, y, j, s, prev
    cdef int64_t cost
    cdef Py_ssize_t length
    # degrees and, for degree-2 candidates, their two segments
    for e in range(m):
        u = seg_u[e]
        v = seg_v[e]
        if deg[u] < 2:
            nb[2 * u + deg[u]] = <int32_t>e
        deg[u] += 1
        if deg[v] < 2:
            nb[2 * v + deg[v]] = <int32_t>e
        deg[v] += 1
        if u == v:
            junction[u] = 1
    for x in range(n_nodes):
        if deg[x] == 0:
            continue
        if deg[x] != 2:
            junction[x] = 1
        elif not junction[x]:
            y = seg_v[nb[2 * x]] if seg_u[nb[2 * x]] == x else seg_u[nb[2 * x]]
            j = seg_v[nb[2 * x + 1]] if seg_u[nb[2 * x + 1]] == x else seg_u[nb[2 * x + 1]]
            if y == j:
                junction[x] = 1
    # incidence CSR (segment ends per node)
    for e in range(m):
        inc_off[seg_u[e] + 1] += 1
        inc_off[seg_v[e] + 1] += 1
    for x in range(n_nodes):
        inc_off[x + 1] += inc_off[x]
    inc_np = np.empty(2 * m, dtype=np.int32)
    fill_np = inc_off_np[:n_nodes].copy()
    cdef int32_t[::1] inc = inc_np, fill = fill_np
    for e in range(m):
        inc[fill[seg_u[e]]] = <int32_t>e
        fill[seg_u[e]] += 1
        inc[fill[seg_v[e]]] = <int32_t>e
        fill[seg_v[e]] += 1
    for x in range(n_nodes):
        if junction[x]:
            queue[tail] = x
            tail += 1
    cdef Py_ssize_t next_ring = 0
    while True:
        while head < tail:
            j = queue[head]
            head += 1
            for k in range(inc_off[j], inc_off[j + 1]):
                e = inc[k]
                if done[e]:
                    continue
                # walk the chain that leaves j through e
                prev = j
                s = <int32_t>e
                length = 0
                cost = 0
                while True:
                    done[s] = 1
                    order[pos] = s
                    flip[pos] = 1 if seg_u[s] != prev else 0
                    if seg_u[s] == seg_v[s]:
                        flip[pos] = 0
                    pos += 1
                    length += 1
                    cost += seg_cap[s]
                    x = seg_v[s] if flip[pos - 1] == 0 else seg_u[s]
                    if junction[x]:
                        break
                    # x is inner: continue through its other segment, unless the cut applies
                    s = nb[2 * x] if nb[2 * x] != s else nb[2 * x + 1]
                    if length >= max_len or cost + seg_cap[s] > max_cost:
                        junction[x] = 1
                        queue[tail] = x
                        tail += 1
                        break
                    prev = x
                n_chains += 1
                offsets[n_chains] = <int32_t>pos
        # rings of inner nodes only: promote one node and go on
        while next_ring < m and done[next_ring]:
            next_ring += 1
        if next_ring >= m:
            break
        x = seg_u[next_ring]
        junction[x] = 1
        queue[tail] = x
        tail += 1
    return order_np, flip_np, offsets_np[: n_chains + 1].copy(), junction_np
