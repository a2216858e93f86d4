"""Build-time accessibility columns of the timetable: wheelchair_boarding inherited from the
parent station, and which footpaths are step-free given pathways.txt (issue 14)."""
from __future__ import annotations

import numpy as np


def effective_wheelchair_boarding(flag: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """GTFS inheritance: a stop with 0 (no information) and a parent station takes the parent's
    value (the parent's own value, stations have no parent)."""
    out = flag.astype(np.int8).copy()
    inherit = (out == 0) & (parent >= 0)
    out[inherit] = flag[parent[inherit]]
    return out


def _pathway_graph(n_stops: int, location_type: np.ndarray, path_from: np.ndarray, path_to: np.ndarray,
                   path_step_free: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(inside, node, src, dst): the stops some pathway touches (entrances aside), each stop's
    node (itself inside, the street node ``n_stops`` outside), and the directed edges of the
    step-free pathways plus the street (joined both ways to every entrance, location_type 2)."""
    inside = np.zeros(n_stops, bool)
    inside[path_from] = True
    inside[path_to] = True
    inside &= location_type != 2
    street = n_stops                                  # the extra "outside" node
    node = np.where(inside, np.arange(n_stops), street)
    entrances = np.flatnonzero(location_type == 2)
    src = np.concatenate([node[path_from[path_step_free]], entrances, np.full(len(entrances), street)])
    dst = np.concatenate([node[path_to[path_step_free]], np.full(len(entrances), street), entrances])
    return inside, node, src, dst


def _adjacency(src: np.ndarray, dst: np.ndarray, n_nodes: int):
    """The directed graph src -> dst over ``n_nodes`` nodes (a scipy sparse matrix, for
    ``_reachable``)."""
    from scipy.sparse import csr_matrix

    return csr_matrix((np.ones(len(src), bool), (src, dst)), shape=(n_nodes, n_nodes))


def step_free_footpaths(n_stops: int, fp_offsets: np.ndarray, fp_to: np.ndarray,
                        location_type: np.ndarray, path_from: np.ndarray, path_to: np.ndarray,
                        path_step_free: np.ndarray) -> np.ndarray:
    """uint8 per footpath: 1 if it can be walked without stairs or escalators.

    Stops that are endpoints of some pathway are *inside* a pathway graph; every other stop,
    and every entrance (location_type 2), is *outside* (the street). A footpath a -> b is
    step-free iff, in the directed graph of step-free pathways plus the street (one node joined
    both ways to every entrance), b's node is reachable from a's node. Without pathways.txt every
    stop is outside and every footpath is step-free (no information says otherwise).
    """
    n_fp = len(fp_to)
    out = np.ones(n_fp, np.uint8)
    if len(path_from) == 0 or n_fp == 0:
        return out
    inside, node, src, dst = _pathway_graph(n_stops, location_type, path_from, path_to, path_step_free)
    graph = _adjacency(src, dst, n_stops + 1)
    fp_from = np.repeat(np.arange(n_stops), np.diff(fp_offsets))
    reach_cache: dict[int, np.ndarray] = {}
    for i in np.flatnonzero(inside[fp_from] | inside[fp_to]):
        a, b = int(node[fp_from[i]]), int(node[fp_to[i]])
        if a == b:
            continue
        seen = reach_cache.get(a)
        if seen is None:
            seen = reach_cache[a] = _reachable(a, graph)
        out[i] = 1 if seen[b] else 0
    return out


def _reachable(start: int, graph) -> np.ndarray:
    """bool per node: the nodes of ``graph`` (``_adjacency``) reachable from ``start`` (a compiled
    breadth-first search: WMATA's footpaths through stations ask it from 254 nodes, 0.75 s of
    its build as a Python loop)."""
    from scipy.sparse.csgraph import breadth_first_order

    seen = np.zeros(graph.shape[0], bool)
    seen[breadth_first_order(graph, start, directed=True, return_predecessors=False)] = True
    return seen


ENTER, LEAVE = 1, 2       # street_step_free bits: the street reaches the stop / the stop the street


def stop_street_access(n_stops: int, location_type: np.ndarray, path_from: np.ndarray, path_to: np.ndarray,
                       path_step_free: np.ndarray) -> np.ndarray:
    """int8 per stop: ENTER when the street reaches it over step-free pathways (through an
    entrance, location_type 2), LEAVE when it reaches the street so; ENTER | LEAVE for a stop no
    pathway touches (no information says otherwise). Why: a wheelchair user's access walk to a
    platform inside a station, or egress walk from it, goes through the station's pathways, and a
    platform reached only by stairs or escalators must not be an access or egress stop."""
    out = np.full(n_stops, ENTER | LEAVE, np.int8)
    if len(path_from) == 0:
        return out
    inside, _, src, dst = _pathway_graph(n_stops, location_type, path_from, path_to, path_step_free)
    street = n_stops
    for bit, (a, b) in ((ENTER, (src, dst)), (LEAVE, (dst, src))):     # (LEAVE: the reversed graph)
        seen = _reachable(street, _adjacency(a, b, n_stops + 1))[:n_stops]
        out[inside & ~seen] &= ~bit
    return out
