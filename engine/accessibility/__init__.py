"""Accessibility: what can be reached from a place, and when (issue 10).

``reach(net, origin, ...)``: travel times to every street node and stop, as an Arrow table;
``isochrone(net, origin, ...)``: GeoJSON polygons of the area reached within each cutoff.
Both run on the streets of one mode, with transit when the bundle has a timetable; the loops
are compiled (engine/_isochrone.pyx).
"""
from __future__ import annotations

from typing import Any

__all__ = ["isochrone", "reach", "warmup"]

# Loaded on first use: `brique` imports accessibility.cli to add its `matrix` command, and that
# must not pull numpy, pyarrow and the kernels into every command (`brique --help`, the serve
# launcher before it forks).
# The function ``isochrone`` shares its name with its module: importing the module
# ``engine.accessibility.isochrone`` makes the package attribute the module, so code inside the
# engine imports the function from its module (engine/api.py), never from here.
_LAZY = {"isochrone": ".isochrone", "warmup": ".isochrone", "reach": ".streets"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
