"""Per-query limits of the public API: the largest value each query parameter accepts.

Each limit is defined once, by the module that checks it, and re-exported here so that clients
(the HTTP server's parameter schema and its settings) restate none of them. A server may set
lower limits of its own (``server.settings``), never higher ones.
"""
from __future__ import annotations

from ._types import MAX_ROUNDS
from .geocoder.search import MAX_LIMIT as MAX_GEOCODE_RESULTS
from .geocoder.search import MAX_QUERY_CHARS
from .map_layers import MAX_MAP_LINES, MAX_MAP_SEGMENTS
from .accessibility.matrix import MAX_CELLS as MAX_MATRIX_CELLS
from .accessibility.matrix import MAX_TIME_S as MAX_MATRIX_TIME_S
from .accessibility.request import MAX_CUTOFFS as MAX_ISOCHRONE_CUTOFFS
from .accessibility.request import MAX_TIME_S as MAX_ISOCHRONE_TIME_S
from .accessibility.request import MAX_WINDOW_S as MAX_ISOCHRONE_WINDOW_S
from .raptor.request import (DEFAULT_MIN_CHANGE_S, MAX_ACCESS_S, MAX_CHANGE_S, MAX_DIRECT_S, MAX_DURATION_S,
                             MAX_RANGE_S, MAX_WINDOW_S, MIN_DURATION_S, MIN_WINDOW_S)
from .timetable.departures import (MAX_DEPARTURES, MAX_DEPARTURES_WINDOW_S, MAX_NEAR_RADIUS_M, MAX_STOPS_NEAR,
                                   MIN_DEPARTURES_WINDOW_S)

#: Changes between vehicles in one journey (plan, max_transfers).
MAX_TRANSFERS = MAX_ROUNDS - 1

__all__ = ["MAX_TRANSFERS", "MAX_ACCESS_S", "MAX_DIRECT_S", "MIN_WINDOW_S", "MAX_WINDOW_S", "MAX_DEPARTURES",
           "MIN_DEPARTURES_WINDOW_S", "MAX_DEPARTURES_WINDOW_S", "MAX_STOPS_NEAR", "MAX_NEAR_RADIUS_M",
           "MAX_GEOCODE_RESULTS", "MAX_QUERY_CHARS", "MAX_MAP_SEGMENTS", "MAX_MAP_LINES", "MAX_RANGE_S",
           "MAX_MATRIX_CELLS", "MAX_MATRIX_TIME_S", "MAX_ISOCHRONE_CUTOFFS", "MAX_ISOCHRONE_TIME_S",
           "MAX_ISOCHRONE_WINDOW_S", "MAX_CHANGE_S", "DEFAULT_MIN_CHANGE_S", "MIN_DURATION_S", "MAX_DURATION_S"]
