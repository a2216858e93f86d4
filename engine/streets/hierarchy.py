"""A mode's contraction hierarchy as stored in the bundle (QUERY TIME: views, nothing computed).

Built by ch.py; searched by engine._streets.RouteGraph.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """Read-only CH arrays of one mode (from the bundle)."""

    up_off: np.ndarray
    up_to: np.ndarray
    up_w: np.ndarray
    up_e: np.ndarray
    dn_off: np.ndarray
    dn_to: np.ndarray
    dn_w: np.ndarray
    dn_e: np.ndarray
    child_a: np.ndarray
    child_b: np.ndarray
    csr_edge: np.ndarray


def open_hierarchy(bundle, mode: str) -> Hierarchy | None:
    """The mode's hierarchy, or None when the bundle has none (A* is used then)."""
    if not bundle.has(f"streets/{mode}_ch_up"):
        return None
    parts = []
    for name in ("up", "down"):
        table = f"streets/{mode}_ch_{name}"
        off, to = bundle.csr(table, "to")
        _, w = bundle.csr(table, "cost_ms")
        _, e = bundle.csr(table, "edge")
        parts += [off, to, w, e]
    edges = f"streets/{mode}_ch_edges"
    return Hierarchy(*parts, bundle.column(edges, "child_a"), bundle.column(edges, "child_b"),
                     bundle.column(edges, "csr_edge"))
