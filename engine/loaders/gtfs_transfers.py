"""transfers.txt -> stop-to-stop transfer rows (types 0..3), stations expanded to platforms.

Trip- or route-specific rows and the in-seat types 4/5 are not supported by the engine's
transfer model: they are skipped and counted. A station (location_type 1) on either side is
expanded to its child stops of location_type 0 (the station itself if it has none).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine._types import NO_VALUE
from engine.loaders.gtfs_csv import CsvTable
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_parse import to_int
from engine.loaders.gtfs_stops import StopsPart


@dataclass
class TransfersPart:
    from_stop: np.ndarray   # int32 local
    to_stop: np.ndarray
    type: np.ndarray        # int8
    min_time: np.ndarray    # int32, NO_VALUE


def empty_transfers() -> TransfersPart:
    z = np.zeros(0, np.int32)
    return TransfersPart(z, z.copy(), np.zeros(0, np.int8), z.copy())


def _children(stops: StopsPart) -> tuple[np.ndarray, np.ndarray]:
    """CSR station -> location_type 0 children, over all local stops."""
    n = len(stops.parent)
    is_child = (stops.parent >= 0) & (stops.location_type == 0)
    par = stops.parent[is_child].astype(np.int64)
    kids = np.flatnonzero(is_child)
    order = np.argsort(par, kind="stable")
    counts = np.bincount(par, minlength=n)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets, kids[order].astype(np.int32)


def _expand(idx: np.ndarray, stops: StopsPart, offsets: np.ndarray, kids: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Per row: list of stops (the stop, or a station's children) as (count, flat values)."""
    n_kids = offsets[idx + 1] - offsets[idx]
    station = (stops.location_type[idx] == 1) & (n_kids > 0)
    count = np.where(station, n_kids, 1)
    first = np.repeat(np.cumsum(count) - count, count)
    k = np.arange(int(count.sum())) - first
    base = np.repeat(np.where(station, offsets[idx], -1), count)
    own = np.repeat(idx, count)
    vals = np.where(base >= 0, kids[np.maximum(base + k, 0)] if len(kids) else own, own)
    return count, vals


def load_transfers(t: CsvTable, stops: StopsPart, diag: Diag) -> TransfersPart:
    diag.count("transfers.read", t.n_rows)
    specific = np.zeros(t.n_rows, bool)
    for col in ("from_trip_id", "to_trip_id", "from_route_id", "to_route_id"):
        specific |= t.nonempty(col)
    ttype, bad_type = to_int(t.get("transfer_type"), 0)
    unsupported = specific | (ttype == 4) | (ttype == 5)
    diag.rows("transfers.not_supported", "skipped", t, np.flatnonzero(unsupported),
              "transfer_type", "trip/route-specific or in-seat transfer not supported; skipped")
    bad_type |= (ttype < 0) | (ttype > 5)
    bad = bad_type & ~unsupported
    diag.rows("transfers.bad_type", "skipped", t, np.flatnonzero(bad), "transfer_type",
              "transfer_type {value!r} not in 0..5; skipped",
              values=t.get("transfer_type").filter(pa.array(bad)))
    fr = pc.index_in(t.get("from_stop_id"), value_set=stops.ids).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    to = pc.index_in(t.get("to_stop_id"), value_set=stops.ids).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    ok = ~unsupported & ~bad
    unknown = ok & ((fr < 0) | (to < 0))
    diag.rows("transfers.unknown_stop", "skipped", t, np.flatnonzero(unknown), "from_stop_id",
              "from_stop_id/to_stop_id not in stops.txt; skipped")
    ok &= ~unknown
    mt, bad_mt = to_int(t.get("min_transfer_time"), NO_VALUE)
    bad_mt |= (mt < 0) & (mt != NO_VALUE)
    diag.rows("transfers.bad_min_transfer_time", "fixed", t, np.flatnonzero(ok & bad_mt),
              "min_transfer_time", "bad min_transfer_time, ignored")
    mt = np.where(bad_mt, NO_VALUE, mt)
    rows = np.flatnonzero(ok)
    if len(rows) == 0:
        return empty_transfers()
    offsets, kids = _children(stops)
    fc, fv = _expand(fr[rows], stops, offsets, kids)
    tc, tv = _expand(to[rows], stops, offsets, kids)
    pairs = fc * tc
    row_of = np.repeat(np.arange(len(rows)), pairs)
    k = np.arange(int(pairs.sum())) - np.repeat(np.cumsum(pairs) - pairs, pairs)
    tcr = tc[row_of]
    f_first = np.cumsum(fc) - fc
    t_first = np.cumsum(tc) - tc
    from_stop = fv[f_first[row_of] + k // tcr]
    to_stop = tv[t_first[row_of] + k % tcr]
    diag.count("transfers.kept", len(from_stop))
    return TransfersPart(from_stop.astype(np.int32), to_stop.astype(np.int32),
                         ttype[rows][row_of].astype(np.int8), mt[rows][row_of].astype(np.int32))
