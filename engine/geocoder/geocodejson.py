"""GeoCodeJSON output (the FeatureCollection that addok and Photon clients read).

Spec: https://github.com/geocoders/geocodejson-spec — a FeatureCollection with a ``geocoding``
header, one Point feature per result, and ``properties`` carrying BAN's fields: label, type,
name, housenumber, street, postcode, city (the commune), district (the arrondissement),
citycode, context, importance, x/y, oldcity/oldcitycode, score (and distance for reverse results).
"""
from __future__ import annotations

from typing import Any, Iterable

from .types import Place


def to_geocodejson(places: Iterable[Place], query: str | None = None, attribution: str | None = None,
                   licence: str | None = None) -> dict[str, Any]:
    """Places -> a GeoCodeJSON FeatureCollection dict (addok's /search shape)."""
    features = []
    for p in places:
        props: dict[str, Any] = {"label": p.label, "score": round(float(p.score), 6), "id": p.id,
                                 "type": p.type, "name": p.name}
        for key in ("housenumber", "street", "postcode", "city", "citycode", "district", "oldcity",
                    "oldcitycode", "context"):
            value = getattr(p, key)
            if value:
                props[key] = value
        if p.importance is not None:
            props["importance"] = round(float(p.importance), 5)
        if p.x is not None:
            props["x"], props["y"] = p.x, p.y
        if p.distance_m is not None:
            props["distance"] = round(float(p.distance_m), 1)
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                         "properties": props})
    header: dict[str, Any] = {"version": "0.1.0", "attribution": attribution, "licence": licence}
    if query is not None:
        header["query"] = query
    return {"type": "FeatureCollection", "version": "draft", "geocoding": header,
            "features": features, "query": query, "attribution": attribution, "licence": licence}
