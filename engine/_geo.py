"""Geography shared by build and query code: great-circle distance, walking time, lat/lon checks.

A leaf: it imports only numpy, ``_types`` and ``errors``, so query modules can use it without
pulling in build-time code (``timetable.footpaths`` and the loaders used to hold copies).
The compiled kernels (``_streets.pyx``, ``_geocode.pyx``) keep their own ``cdef`` haversine on
the same ``EARTH_RADIUS_M``; ``tests/unit/test_geo.py`` checks that they agree.
"""
from __future__ import annotations

import math

import numpy as np

from ._types import EARTH_RADIUS_M
from .errors import InvalidQueryError

#: Default walking speed, metres per second (build options, CLI, bundles without the option).
WALK_SPEED_MPS = 1.33

__all__ = ["EARTH_RADIUS_M", "WALK_SPEED_MPS", "haversine_m", "walk_seconds", "check_lat", "check_lon",
           "check_point", "check_bbox"]


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres between points in degrees (arrays or scalars, broadcast).

    R = ``EARTH_RADIUS_M``. NaN coordinates give NaN.

    >>> round(float(haversine_m(0.0, 0.0, 0.0, 1.0)))
    111195
    """
    if type(lat1) is float and type(lon1) is float and type(lat2) is float and type(lon2) is float:
        return _haversine_scalar(lat1, lon1, lat2, lon2)     # one pair (legs): no array machinery
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _haversine_scalar(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """haversine_m for four floats, with the C library's functions (as the compiled kernels,
    engine/_geomath.pxd, compute it)."""
    p1, p2 = lat1 * (math.pi / 180.0), lat2 * (math.pi / 180.0)
    s1 = math.sin((p2 - p1) / 2)
    s2 = math.sin((lon2 - lon1) * (math.pi / 180.0) / 2)
    h = s1 * s1 + math.cos(p1) * math.cos(p2) * (s2 * s2)
    if h > 1.0:            # rounding; NaN coordinates stay NaN, as in the array path
        h = 1.0
    elif h < 0.0:
        h = 0.0
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def walk_seconds(distance_m, speed_mps: float) -> np.ndarray:
    """Walking time ``ceil(distance_m / speed_mps)`` as int32 seconds (arrays or scalars).

    >>> int(walk_seconds(133.0, WALK_SPEED_MPS))
    100
    """
    return np.ceil(np.asarray(distance_m) / speed_mps).astype(np.int32)


def _coordinate(value, parameter: str, bound: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidQueryError(f"{parameter} must be a number, got {value!r}", parameter) from None
    if not (math.isfinite(v) and -bound <= v <= bound):
        raise InvalidQueryError(f"{parameter} must be within [-{bound:g}, {bound:g}], got {value!r}", parameter)
    return v


def check_lat(value, parameter: str = "lat") -> float:
    """A latitude as a float in [-90, 90], or InvalidQueryError naming ``parameter``."""
    return _coordinate(value, parameter, 90.0)


def check_lon(value, parameter: str = "lon") -> float:
    """A longitude as a float in [-180, 180], or InvalidQueryError naming ``parameter``."""
    return _coordinate(value, parameter, 180.0)


def check_point(lat, lon, parameter: str) -> tuple[float, float]:
    """``(lat, lon)`` as floats in range, or InvalidQueryError naming ``parameter`` (e.g. "from").

    >>> check_point("48.5", 7.7, "from")
    (48.5, 7.7)
    >>> check_point(91, 0, "from")
    Traceback (most recent call last):
    ...
    engine.errors.InvalidQueryError: from: latitude must be within [-90, 90], got 91
    """
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        raise InvalidQueryError(f"{parameter}: coordinates must be numbers, got ({lat!r}, {lon!r})",
                                parameter) from None
    if not (math.isfinite(lat_f) and -90.0 <= lat_f <= 90.0):
        raise InvalidQueryError(f"{parameter}: latitude must be within [-90, 90], got {lat!r}", parameter)
    if not (math.isfinite(lon_f) and -180.0 <= lon_f <= 180.0):
        raise InvalidQueryError(f"{parameter}: longitude must be within [-180, 180], got {lon!r}", parameter)
    return lat_f, lon_f


def check_bbox(bbox, parameter: str = "bbox") -> tuple[float, float, float, float]:
    """``(min_lon, min_lat, max_lon, max_lat)`` as floats with min <= max inside
    [-180, 180] x [-90, 90], or InvalidQueryError naming ``parameter``.

    >>> check_bbox([2.3, 48.8, 2.4, 48.9])
    (2.3, 48.8, 2.4, 48.9)
    """
    if isinstance(bbox, (str, bytes)):          # "1234" would read as four numbers
        raise InvalidQueryError(f"{parameter} must be 4 numbers, got {bbox!r}", parameter)
    try:
        box = tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InvalidQueryError(f"{parameter} must be 4 numbers, got {bbox!r}", parameter) from None
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        raise InvalidQueryError(f"{parameter} must be 4 numbers, got {bbox!r}", parameter)
    x0, y0, x1, y1 = box
    if not (-180.0 <= x0 <= x1 <= 180.0 and -90.0 <= y0 <= y1 <= 90.0):
        raise InvalidQueryError(f"{parameter} must be (min_lon, min_lat, max_lon, max_lat), min <= max "
                                "within [-180, 180] x [-90, 90]", parameter)
    return box  # type: ignore[return-value]
