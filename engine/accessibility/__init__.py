"""Accessibility: what can be reached from a place, and when (issue 10).

``reach(net, origin, ...)``: travel times to every street node and stop, as an Arrow table;
``isochrone(net, origin, ...)``: GeoJSON polygons of the area reached within each cutoff.
Both run on the streets of one mode, with transit when the bundle has a timetable; the loops
are compiled (engine/_isochrone.pyx).
"""
from .isochrone import isochrone, warmup
from .streets import reach

__all__ = ["isochrone", "reach", "warmup"]
