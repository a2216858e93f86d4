"""shapes.txt -> CSR polylines (shape_id, offsets, lat, lon) sorted by shape_pt_sequence."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.loaders.gtfs_csv import CsvTable
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_parse import to_float, to_int


def load_shapes(t: CsvTable, diag: Diag) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:
    """(shape ids, offsets int64 [n+1], lat, lon); bad points are dropped with a warning."""
    diag.count("shapes.read", t.n_rows)
    sid = t.get("shape_id")
    lat, bad_lat = to_float(t.get("shape_pt_lat"))
    lon, bad_lon = to_float(t.get("shape_pt_lon"))
    seq, bad_seq = to_int(t.get("shape_pt_sequence"), -1)
    bad = bad_lat | bad_lon | bad_seq | ~np.isfinite(lat) | ~np.isfinite(lon) | \
        ~t.nonempty("shape_id") | ~t.nonempty("shape_pt_sequence") | \
        (np.abs(np.nan_to_num(lat)) > 90) | (np.abs(np.nan_to_num(lon)) > 180)
    diag.rows("shapes.bad_point", "skipped", t, np.flatnonzero(bad), "shape_pt_lat",
              "shape point with missing/bad coordinates or sequence; skipped")
    keep = ~bad
    if not keep.all():
        sid = sid.filter(pa.array(keep))
        lat, lon, seq = lat[keep], lon[keep], seq[keep]
    ids = pc.unique(sid)
    code = pc.index_in(sid, value_set=ids).to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.lexsort((seq, code))
    counts = np.bincount(code, minlength=len(ids))
    offsets = np.zeros(len(ids) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return ids, offsets, lat[order], lon[order]
