"""Open a mode's stored stop reach index (QUERY TIME; the index is built by reach.py)."""
from __future__ import annotations

import numpy as np

from .._streets import ReachIndex


def open_reach(bundle, mode: str, reverse: bool, seg_u, seg_v, c_fwd, c_bwd, stop_seg, stop_t):
    """The compiled reach index of (mode, direction) over the bundle's arrays (no copies)."""
    name = f"streets/{mode}_reach"
    table = bundle.table(name)

    def flat(column: str) -> np.ndarray:
        return bundle.csr(name, column)[1]

    side = "bwd" if reverse else "fwd"
    r_off, r_adj = flat(f"{side}_r_off"), flat(f"{side}_r_adj")
    if reverse and len(r_off) == 0:               # symmetric graph: the forward junction graph
        r_off, r_adj = flat("fwd_r_off"), flat("fwd_r_adj")
    return ReachIndex(seg_u, seg_v, c_fwd, c_bwd, flat("node_info"), flat("chains"), flat("prefix"),
                      r_off, r_adj, flat(f"{side}_ce_off"), flat(f"{side}_ce_data"),
                      flat(f"{side}_je_off"), flat(f"{side}_je_data"), flat("link_seg"),
                      flat("link_stop"), stop_seg, stop_t, flat("stop_conn_ms"),
                      int(table.column("shift")[0].as_py()),
                      bool(table.column(f"{side}_flip")[0].as_py()), bool(reverse))
