"""Query-parameter parsing shared by the routes: "lat,lon" points, bboxes, dates and times.

FastAPI checks types and ranges declared on each parameter; this module handles the few
composite strings and turns every failure into a 400 naming the parameter.
"""
from __future__ import annotations

import datetime as dt
import math
import re

from .errors import ApiError

_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_point(text: str, parameter: str) -> tuple[float, float]:
    """'lat,lon' in decimal degrees -> (lat, lon), range-checked."""
    m = _POINT.match(text)
    if not m:
        raise ApiError(400, "invalid_parameter", f"{parameter} must be 'lat,lon' in decimal degrees", parameter)
    return check_point(float(m.group(1)), float(m.group(2)), parameter)


def check_point(lat: float, lon: float, parameter: str) -> tuple[float, float]:
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ApiError(400, "invalid_parameter",
                       f"{parameter}: latitude must be in [-90, 90] and longitude in [-180, 180]", parameter)
    return lat, lon


def endpoint(text: str, parameter: str) -> str | tuple[float, float]:
    """A plan endpoint: 'lat,lon' (door to door) or a stop id / exact stop name."""
    if _POINT.match(text):
        return parse_point(text, parameter)
    if not text.strip():
        raise ApiError(400, "invalid_parameter", f"{parameter} must not be empty", parameter)
    return text


def parse_bbox(text: str | None, parameter: str = "bbox") -> tuple[float, float, float, float] | None:
    """'min_lon,min_lat,max_lon,max_lat' -> tuple, checked."""
    if text is None or text == "":
        return None
    try:
        box = tuple(float(v) for v in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        raise ApiError(400, "invalid_parameter", f"{parameter} must be 'min_lon,min_lat,max_lon,max_lat'", parameter)
    x0, y0, x1, y1 = box
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise ApiError(400, "invalid_parameter", f"{parameter}: need min <= max within [-180, 180] x [-90, 90]",
                       parameter)
    return box  # type: ignore[return-value]


def check_limit(name: str, value: float, bound: float) -> None:
    """A value the schema accepts but this server's settings do not: 422 ``limit_exceeded``."""
    if value > bound:
        raise ApiError(422, "limit_exceeded", f"{name} must be at most {bound:g} on this server", name)


def default_date(date: str | None) -> str:
    """The requested date, or today (server clock) when omitted."""
    return date if date else dt.date.today().isoformat()


def default_time(time: str | None) -> str:
    return time if time else dt.datetime.now().strftime("%H:%M:%S")


def split_values(values: list[str] | None) -> list[str] | None:
    """Repeated and space/comma-separated values ('type=street&type=poi' or 'street poi')."""
    if not values:
        return None
    out = [v for raw in values for v in re.split(r"[\s,]+", raw) if v]
    return out or None
