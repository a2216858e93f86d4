# cython: language_level=3
"""Shared by the street kernels (engine/_streets.pyx, engine/_streets_build.pyx, and the
accessibility kernel engine/_isochrone.pyx): a binary
min-heap with lazy deletion over three parallel arrays (hk = key, hg = distance when pushed,
hn = node), the plain bounded Dijkstra over a CSR graph (build-time footpaths, and the tests'
reference for the junction searches), and the rule for the cost of a fraction of an edge (the
same everywhere, so that build-time footpaths and query-time searches give identical times),
and the chain holding a segment."""
from libc.math cimport floor
from libc.stdint cimport int32_t, int64_t


cdef inline Py_ssize_t heap_push(int64_t* hk, int64_t* hg, int32_t* hn, Py_ssize_t size,
                                 int64_t key, int64_t g, int32_t node) noexcept nogil:
    """Insert (key, g, node); returns the new size (the caller guarantees the capacity)."""
    cdef Py_ssize_t i = size, parent
    while i > 0:
        parent = (i - 1) >> 1
        if hk[parent] <= key:
            break
        hk[i] = hk[parent]
        hg[i] = hg[parent]
        hn[i] = hn[parent]
        i = parent
    hk[i] = key
    hg[i] = g
    hn[i] = node
    return size + 1


cdef inline Py_ssize_t heap_pop(int64_t* hk, int64_t* hg, int32_t* hn, Py_ssize_t size) noexcept nogil:
    """Remove the top (the caller read it first); returns the new size."""
    cdef Py_ssize_t i = 0, child
    size -= 1
    cdef int64_t key = hk[size], g = hg[size]
    cdef int32_t node = hn[size]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and hk[child + 1] < hk[child]:
            child += 1
        if hk[child] >= key:
            break
        hk[i] = hk[child]
        hg[i] = hg[child]
        hn[i] = hn[child]
        i = child
    if size > 0:
        hk[i] = key
        hg[i] = g
        hn[i] = node
    return size


cdef inline int64_t part_ms(double fraction, double cost) noexcept nogil:
    """Cost of a fraction of an edge, rounded to the nearest ms, halves up."""
    return <int64_t>floor(fraction * cost + 0.5)


cdef inline Py_ssize_t bounded_dijkstra(const int32_t* off, const int32_t* to, const int32_t* cost,
                                        const int32_t* seed_node, const int64_t* seed_cost,
                                        Py_ssize_t n_seeds, int64_t limit, int64_t inf,
                                        int64_t* dist, int32_t* pred_node, int32_t* pred_edge,
                                        int32_t* touched, int64_t* hk, int64_t* hg,
                                        int32_t* hn) noexcept nogil:
    """Multi-seed Dijkstra up to ``limit``; ``dist`` is ``inf`` everywhere before. Every touched
    node (listed in ``touched``; returns how many) ends with its final distance (<= limit) and
    its predecessor node and edge (-1 at a seed). The caller resets ``dist`` of the touched."""
    cdef Py_ssize_t n_touched = 0, size = 0, i, e
    cdef int64_t c, g, nd
    cdef int32_t node, u, v
    for i in range(n_seeds):
        node = seed_node[i]
        c = seed_cost[i]
        if c > limit or c >= dist[node]:
            continue
        if dist[node] == inf:
            touched[n_touched] = node
            n_touched += 1
        dist[node] = c
        pred_node[node] = -1
        pred_edge[node] = -1
        size = heap_push(hk, hg, hn, size, c, c, node)
    while size > 0:
        g = hg[0]
        u = hn[0]
        size = heap_pop(hk, hg, hn, size)
        if g > dist[u]:
            continue            # stale entry: u was improved after this push
        for e in range(off[u], off[u + 1]):
            v = to[e]
            nd = g + cost[e]
            if nd < dist[v] and nd <= limit:
                if dist[v] == inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                pred_node[v] = u
                pred_edge[v] = <int32_t>e
                size = heap_push(hk, hg, hn, size, nd, nd, v)
    return n_touched


cdef inline Py_ssize_t chain_of(const int32_t* chain_off, Py_ssize_t n_chains,
                                Py_ssize_t seg) noexcept nogil:
    """The chain holding a segment (chains stored as CSR over segments): the last c < n_chains
    with chain_off[c] <= seg."""
    cdef Py_ssize_t lo = 0, hi = n_chains, mid
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if chain_off[mid] <= seg:
            lo = mid
        else:
            hi = mid
    return lo
