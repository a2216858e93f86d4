"""Streets from OpenStreetMap: per-mode graphs (walk, bike, car, and wheelchair: walk without
steps), snapping, routes, stop footpaths.

Build time: ``build_street_tables(osm_path, report, stop_lat, stop_lon, options)`` (imported on
first use, so query-time code never loads the OSM reader or scipy).
Query time: ``StreetNetwork.open(bundle)`` then ``.snap``, ``.route``, ``.stops_within``,
``.path_between_stops``.
"""
from .options import MODES, StreetOptions
from .route import StopReach, StreetNetwork, StreetRoute
from .snap import Snap

__all__ = ["MODES", "Snap", "StopFootpaths", "StopReach", "StreetNetwork", "StreetOptions",
           "StreetRoute", "build_street_tables"]


def __getattr__(name: str):
    if name == "build_street_tables":
        from .build import build_street_tables

        return build_street_tables
    if name == "StopFootpaths":
        from .footpaths import StopFootpaths

        return StopFootpaths
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
