"""Brique: journey planning (RAPTOR over GTFS, OSM streets) and geocoding on one Arrow bundle.

>>> import engine
>>> net = engine.open("city.bundle")                      # doctest: +SKIP
>>> net.plan("cts:A", "cts:B", date="2026-03-02", time="08:00")  # doctest: +SKIP

Public names are loaded lazily so that importing the package (e.g. as a pytest plugin) is cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

__all__ = [
    "open", "build", "BuildOptions", "BuildResult", "Network", "Plan", "Itinerary", "Leg", "Waypoint",
    "errors", "to_geocodejson", "__version__", "check_point", "check_bbox", "limits",
]

_LAZY = {
    "open": ("engine.api", "open"),
    "Network": ("engine.api", "Network"),
    "build": ("engine.build", "build"),
    "BuildOptions": ("engine.build", "BuildOptions"),
    "BuildResult": ("engine.build", "BuildResult"),
    "Plan": ("engine.raptor.journey", "Plan"),
    "Itinerary": ("engine.raptor.journey", "Itinerary"),
    "Leg": ("engine.raptor.journey", "Leg"),
    "Waypoint": ("engine.raptor.journey", "Waypoint"),
    "errors": ("engine.errors", None),
    "to_geocodejson": ("engine.geocoder.geocodejson", "to_geocodejson"),
    "check_point": ("engine._geo", "check_point"),
    "check_bbox": ("engine._geo", "check_bbox"),
    "limits": ("engine.limits", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    # Bind every public name of that module now: importing engine.build also set the package's
    # attribute "build" to the submodule, which must not hide the function build().
    for public, (other, other_attr) in _LAZY.items():
        if other == module_name:
            globals()[public] = module if other_attr is None else getattr(module, other_attr)
    return globals()[name]


if TYPE_CHECKING:  # pragma: no cover
    from . import errors, limits
    from ._geo import check_bbox, check_point
    from .api import Network, open
    from .build import BuildOptions, BuildResult, build
    from .geocoder.geocodejson import to_geocodejson
    from .raptor.journey import Itinerary, Leg, Plan, Waypoint
