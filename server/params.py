"""Query-parameter parsing shared by the routes: "lat,lon" points, bboxes, dates and times.

FastAPI checks types and ranges declared on each parameter; this module handles the few
composite strings and turns every failure into a 400 naming the parameter (coordinate and bbox
ranges are the engine's ``check_point`` and ``check_bbox``).
"""
from __future__ import annotations

import datetime as dt
import math
import re

from engine import check_bbox, check_point

from .errors import ApiError

_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_point(text: str, parameter: str) -> tuple[float, float]:
    """'lat,lon' in decimal degrees -> (lat, lon), range-checked."""
    m = _POINT.match(text)
    if not m:
        raise ApiError(400, "invalid_parameter", f"{parameter} must be 'lat,lon' in decimal degrees", parameter)
    return check_point(float(m.group(1)), float(m.group(2)), parameter)


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
    return check_bbox(box, parameter)


def check_limit(name: str, value: float, bound: float) -> None:
    """A value the schema accepts but this server's settings do not: 422 ``limit_exceeded``."""
    if value > bound:
        raise ApiError(422, "limit_exceeded", f"{name} must be at most {bound:g} on this server", name)


def bounded(request, name: str, value, bound):
    """``value`` of query parameter ``name`` under this server's ``bound``: given by the client,
    checked (``check_limit``: 422 above); left at its default, lowered to the bound, so that a
    server configured below a default still answers requests that do not set the parameter."""
    if name in request.query_params:
        check_limit(name, value, bound)
        return value
    return min(value, bound)


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
