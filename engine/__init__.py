"""Brique: journey planning (RAPTOR over GTFS, OSM streets) and geocoding on one Arrow bundle.

>>> import engine
>>> net = engine.open("city.bundle")                      # doctest: +SKIP
>>> net.plan("cts:A", "cts:B", date="2026-03-02", time="08:00")  # doctest: +SKIP

Public names are loaded lazily so that importing the package (e.g. as a pytest plugin) is cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "open", "build", "BuildOptions", "BuildResult", "Network", "Plan", "Itinerary", "Leg", "Waypoint",
    "errors", "to_geocodejson", "__version__",
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
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover
    from . import errors
    from .api import Network, open
    from .build import BuildOptions, BuildResult, build
    from .geocoder.geocodejson import to_geocodejson
    from .raptor.journey import Itinerary, Leg, Plan, Waypoint
