"""OSM segments -> per-mode street graphs: costs, largest components, spatial node order, CSR, grid.

Build time only. Everything is vectorised numpy/scipy; the one loop (grid sampling) is a kernel.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .._geo import haversine_m
from .._types import NO_VALUE
from ..loaders.osm import OsmStreets
from ..timetable.staging import BuildReport
from .. import _streets_build
from .options import MODE_BIT, MODES, SYMMETRIC_MODES, StreetOptions


@dataclass(slots=True)
class StreetArrays:
    """The built street graph as arrays (what the bundle tables hold)."""

    node_lat: np.ndarray
    node_lon: np.ndarray
    node_osm_id: np.ndarray
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_way: np.ndarray
    seg_length_m: np.ndarray
    seg_cost: dict[str, tuple[np.ndarray, np.ndarray]]   # mode -> (fwd_ms, bwd_ms) int32, NO_VALUE
    seg_modes: np.ndarray
    car_max_mps: float
    grid_lat0: float
    grid_lon0: float
    grid_cos0: float
    grid_cell: np.ndarray
    grid_offsets: np.ndarray
    grid_segments: np.ndarray
    chain_offsets: np.ndarray = None    # int32 [n_chains + 1]: segments of chain c, in order
    chain_a: np.ndarray = None          # int32 [n_chains]: junction id where the chain starts
    chain_b: np.ndarray = None          # int32 [n_chains]: junction id where it ends
    junction_node: np.ndarray = None    # int32 [n_junctions]: node of each junction


def _costs_ms(length_m: np.ndarray, speed_mps: np.ndarray) -> np.ndarray:
    """max(1, ceil(length * 1000 / speed)) ms, NO_VALUE where speed is 0 (forbidden)."""
    out = np.full(len(length_m), NO_VALUE, dtype=np.int32)
    ok = speed_mps > 0
    out[ok] = np.maximum(1, np.ceil(length_m[ok] * 1000.0 / speed_mps[ok])).astype(np.int32)
    return out


def _largest_component(n: int, u, v, fwd, bwd, directed: bool) -> np.ndarray:
    """Bool mask of the nodes in the largest (strongly) connected component of a mode."""
    src = np.concatenate([u[fwd >= 0], v[bwd >= 0]])
    dst = np.concatenate([v[fwd >= 0], u[bwd >= 0]])
    if len(src) == 0:
        return np.zeros(n, dtype=bool)
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=directed, connection="strong")
    used = np.zeros(n, dtype=bool)
    used[src] = True
    used[dst] = True
    sizes = np.bincount(labels[used], minlength=labels.max() + 1)
    return labels == int(np.argmax(sizes))


def _morton_order(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Permutation sorting nodes along a Z-order curve (neighbours close in memory)."""
    def spread(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.uint64) & np.uint64(0xFFFF)
        x = (x | (x << np.uint64(8))) & np.uint64(0x00FF00FF)
        x = (x | (x << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        x = (x | (x << np.uint64(2))) & np.uint64(0x33333333)
        return (x | (x << np.uint64(1))) & np.uint64(0x55555555)

    def quantise(a: np.ndarray) -> np.ndarray:
        lo, hi = float(a.min()), float(a.max())
        return np.floor((a - lo) / max(hi - lo, 1e-12) * 65535.0)

    if len(lat) == 0:
        return np.zeros(0, dtype=np.int64)
    key = spread(quantise(lat)) | (spread(quantise(lon)) << np.uint64(1))
    return np.argsort(key, kind="stable")


def build_street_arrays(osm: OsmStreets, options: StreetOptions, report: BuildReport,
                        source: str) -> StreetArrays:
    """Costs per mode, largest components, node renumbering and the snapping grid."""
    u, v = osm.seg_u, osm.seg_v
    length = haversine_m(osm.node_lat[u], osm.node_lon[u], osm.node_lat[v], osm.node_lon[v])
    speeds = osm.way_attrs[osm.seg_way] if len(u) else np.zeros((0, 6))
    n = len(osm.node_id)
    seg_cost: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    keep_node = np.zeros(n, dtype=bool)
    for m, mode in enumerate(MODES):
        fwd = _costs_ms(length, speeds[:, 2 * m])
        bwd = _costs_ms(length, speeds[:, 2 * m + 1])
        lcc = _largest_component(n, u, v, fwd, bwd, directed=mode not in SYMMETRIC_MODES)
        usable_before = int(np.count_nonzero((fwd >= 0) | (bwd >= 0)))
        inside = lcc[u] & lcc[v]
        fwd[~inside] = NO_VALUE
        bwd[~inside] = NO_VALUE
        usable = (fwd >= 0) | (bwd >= 0)
        keep_node |= lcc
        seg_cost[mode] = (fwd, bwd)
        n_lcc = int(np.count_nonzero(lcc))
        dropped = usable_before - int(np.count_nonzero(usable))
        report.count(f"streets.{mode}.nodes", n_lcc)
        report.count(f"streets.{mode}.segments", int(np.count_nonzero(usable)))
        report.count(f"streets.{mode}.segments_dropped", dropped)
        if dropped:
            report.warn("streets.components_dropped", "", source, 0, mode,
                        f"{mode}: kept the largest connected component ({n_lcc} nodes); "
                        f"dropped {dropped} of {usable_before} usable segments outside it")
    seg_modes = np.zeros(len(u), dtype=np.uint8)
    for mode in MODES:
        fwd, bwd = seg_cost[mode]
        seg_modes |= np.where((fwd >= 0) | (bwd >= 0), MODE_BIT[mode], 0).astype(np.uint8)
    keep_seg = seg_modes > 0
    # Renumber kept nodes in Z-order.
    kept = np.flatnonzero(keep_node)
    order = kept[_morton_order(osm.node_lat[kept], osm.node_lon[kept])]
    new_index = np.full(n, -1, dtype=np.int32)
    new_index[order] = np.arange(len(order), dtype=np.int32)
    node_lat, node_lon = osm.node_lat[order], osm.node_lon[order]
    seg_u = new_index[u[keep_seg]]
    seg_v = new_index[v[keep_seg]]
    seg_cost = {mode: (f[keep_seg], b[keep_seg]) for mode, (f, b) in seg_cost.items()}
    car_speeds = speeds[keep_seg][:, 4:6]
    car_max = float(car_speeds.max()) if car_speeds.size and car_speeds.max() > 0 else 1.0
    report.count("streets.nodes", len(order))
    report.count("streets.segments", int(np.count_nonzero(keep_seg)))
    arrays = StreetArrays(
        node_lat=node_lat, node_lon=node_lon, node_osm_id=osm.node_id[order], seg_u=seg_u,
        seg_v=seg_v, seg_way=osm.seg_way[keep_seg].astype(np.int32),
        seg_length_m=length[keep_seg], seg_cost=seg_cost, seg_modes=seg_modes[keep_seg],
        car_max_mps=car_max, grid_lat0=0.0, grid_lon0=0.0, grid_cos0=1.0,
        grid_cell=np.zeros(0, np.int64), grid_offsets=np.zeros(1, np.int32),
        grid_segments=np.zeros(0, np.int32))
    order_by_chains(arrays)
    report.count("streets.junctions", len(arrays.junction_node))
    report.count("streets.chains", len(arrays.chain_a))
    _build_grid(arrays, options.grid_cell_m)
    return arrays


#: Longest chain in segments, and the largest cost sum along one (both keep sums in int32).
MAX_CHAIN_SEGMENTS = 1 << 12
MAX_CHAIN_COST_MS = 1 << 30


def order_by_chains(a: StreetArrays) -> None:
    """Renumber the segments chain by chain, each oriented along its chain (u -> v), and record
    the chains and junctions (see engine/_chains.pyx). Costs swap with the orientation."""
    from .._chains import chain_order

    n = len(a.node_lat)
    cap = np.zeros(len(a.seg_u), dtype=np.int64)
    for fwd, bwd in a.seg_cost.values():
        cap = np.maximum(cap, np.maximum(fwd, bwd).astype(np.int64))
    order, flip, offsets, junction = chain_order(
        n, np.ascontiguousarray(a.seg_u, np.int32), np.ascontiguousarray(a.seg_v, np.int32), cap,
        MAX_CHAIN_SEGMENTS, MAX_CHAIN_COST_MS)
    flip = flip.astype(bool)
    u, v = a.seg_u[order], a.seg_v[order]
    a.seg_u = np.where(flip, v, u).astype(np.int32)
    a.seg_v = np.where(flip, u, v).astype(np.int32)
    a.seg_way = a.seg_way[order]
    a.seg_length_m = a.seg_length_m[order]
    a.seg_modes = a.seg_modes[order]
    a.seg_cost = {mode: (np.where(flip, b[order], f[order]).astype(np.int32),
                         np.where(flip, f[order], b[order]).astype(np.int32))
                  for mode, (f, b) in a.seg_cost.items()}
    junction_id = np.cumsum(junction, dtype=np.int64).astype(np.int32) - 1
    a.junction_node = np.flatnonzero(junction).astype(np.int32)
    a.chain_offsets = offsets.astype(np.int32)
    a.chain_a = junction_id[a.seg_u[offsets[:-1]]]
    a.chain_b = junction_id[a.seg_v[offsets[1:] - 1]]


def _build_grid(a: StreetArrays, cell_m: float) -> None:
    """Cell -> segments CSR over the non-empty cells (sorted keys, binary-searched at query time)."""
    if len(a.node_lat) == 0:
        return
    a.grid_lat0 = float(np.median(a.node_lat))
    a.grid_lon0 = float(np.median(a.node_lon))
    a.grid_cos0 = float(np.cos(np.radians(a.grid_lat0)))
    x = (a.node_lon - a.grid_lon0) * a.grid_cos0 * _streets_build.DEG_M
    y = (a.node_lat - a.grid_lat0) * _streets_build.DEG_M
    keys, segs = _streets_build.run_grid_samples(a.seg_u, a.seg_v, x, y, cell_m)
    order = np.lexsort((segs, keys))
    keys, segs = keys[order], segs[order]
    if len(keys):
        distinct = np.ones(len(keys), dtype=bool)
        distinct[1:] = (keys[1:] != keys[:-1]) | (segs[1:] != segs[:-1])
        keys, segs = keys[distinct], segs[distinct]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, np.int64)
    a.grid_cell = keys[starts]
    a.grid_offsets = np.r_[starts, len(keys)].astype(np.int32)
    a.grid_segments = segs.astype(np.int32)


def mode_edges(a: StreetArrays, mode: str):
    """Directed edges of a mode: (src, dst, cost_ms, segment) from the per-segment costs."""
    fwd, bwd = a.seg_cost[mode]
    seg = np.arange(len(a.seg_u), dtype=np.int32)
    f, b = fwd >= 0, bwd >= 0
    src = np.concatenate([a.seg_u[f], a.seg_v[b]])
    dst = np.concatenate([a.seg_v[f], a.seg_u[b]])
    cost = np.concatenate([fwd[f], bwd[b]])
    return src, dst, cost, np.concatenate([seg[f], seg[b]])
