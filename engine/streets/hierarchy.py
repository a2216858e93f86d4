"""A mode's contraction hierarchy as stored in the bundle (QUERY TIME: views, nothing computed).

Built by ch.py; searched by engine._streets.RouteGraph.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """Read-only CH arrays of one mode (from the bundle). An arc's edge code is a shortcut row
    (>= 0) or -(chain_edge + 1) for an original junction-graph edge (one chain, one way)."""

    up_off: np.ndarray
    up_to: np.ndarray
    up_w: np.ndarray
    up_e: np.ndarray
    dn_off: np.ndarray
    dn_to: np.ndarray
    dn_w: np.ndarray
    dn_e: np.ndarray
    child_a: np.ndarray        # per shortcut: its two halves, as edge codes
    child_b: np.ndarray


def open_hierarchy(bundle, mode: str) -> Hierarchy:
    """The mode's hierarchy (views over the bundle's tables)."""
    parts = []
    for name in ("up", "down"):
        table = f"streets/{mode}_ch_{name}"
        off, to = bundle.csr(table, "to")
        _, w = bundle.csr(table, "cost_ms")
        _, e = bundle.csr(table, "edge")
        parts += [off, to, w, e]
    shortcuts = f"streets/{mode}_ch_shortcuts"
    return Hierarchy(*parts, bundle.column(shortcuts, "child_a"), bundle.column(shortcuts, "child_b"))
