"""GeoCodeJSON output (the FeatureCollection that addok and Photon clients read).

Spec: https://github.com/geocoders/geocodejson-spec — a FeatureCollection with a ``geocoding``
header, one Point feature per result, and ``properties`` carrying BAN's fields: label, type,
name, housenumber, street, postcode, city (the commune), district (the arrondissement),
citycode, context, importance, x/y, oldcity/oldcitycode, score (and distance for reverse results).
"""
from __future__ import annotations

from typing import Any, Iterable

from .types import Place


#: Properties copied when set (BAN's names; empty values are left out, as addok does).
_OPTIONAL = ("housenumber", "street", "postcode", "city", "citycode", "district", "oldcity",
             "oldcitycode", "context")


def feature(p: Place) -> dict[str, Any]:
    """One Place as a GeoCodeJSON Point feature (coordinates rounded to 1e-7 degree, ~1 cm)."""
    props: dict[str, Any] = {"label": p.label, "score": round(float(p.score), 6), "id": p.id,
                             "type": p.type, "name": p.name}
    for key in _OPTIONAL:
        value = getattr(p, key)
        if value:
            props[key] = value
    if p.importance is not None:
        props["importance"] = round(float(p.importance), 5)
    if p.x is not None:
        props["x"], props["y"] = p.x, p.y
    if p.distance_m is not None:
        props["distance"] = round(float(p.distance_m), 1)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(p.lon, 7), round(p.lat, 7)]},
            "properties": props}


def to_geocodejson(places: Iterable[Place], query: str | None = None, attribution: str | None = None,
                   licence: str | None = None, limit: int | None = None,
                   addok: bool = False) -> dict[str, Any]:
    """Places -> a GeoCodeJSON FeatureCollection dict. ``query`` is None for reverse
    geocoding; ``addok=True`` gives addok's shape (no ``geocoding`` header; ``limit`` at the top),
    which BAN clients read; ``attribution``/``licence`` are the indexed data's."""
    out: dict[str, Any] = {"type": "FeatureCollection", "version": "draft",
                           "features": [feature(p) for p in places], "query": query,
                           "attribution": attribution, "licence": licence}
    if limit is not None:
        out["limit"] = limit
    if not addok:
        header: dict[str, Any] = {"version": "0.1.0", "attribution": attribution, "licence": licence}
        if query is not None:
            header["query"] = query
        out["geocoding"] = header
    return out
