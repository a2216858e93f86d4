"""GeoCodeJSON output (the FeatureCollection that addok and Photon clients read).

Spec: https://github.com/geocoders/geocodejson-spec — a FeatureCollection with a ``geocoding``
header, one Point feature per result, and ``properties`` carrying label, type, name,
housenumber, street, postcode, city, citycode, score (and distance for reverse results).
"""
from __future__ import annotations

from typing import Any, Iterable

from .types import Place


def to_geocodejson(places: Iterable[Place], query: str | None = None) -> dict[str, Any]:
    """Places -> a GeoCodeJSON FeatureCollection dict (addok's /search shape)."""
    features = []
    for p in places:
        props: dict[str, Any] = {"label": p.label, "score": round(float(p.score), 6), "id": p.id,
                                 "type": p.type, "name": p.name}
        for key in ("housenumber", "street", "postcode", "city", "citycode"):
            value = getattr(p, key)
            if value:
                props[key] = value
        if p.distance_m is not None:
            props["distance"] = round(float(p.distance_m), 1)
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                         "properties": props})
    header: dict[str, Any] = {"version": "0.1.0", "attribution": None, "licence": None}
    if query is not None:
        header["query"] = query
    return {"type": "FeatureCollection", "version": "draft", "geocoding": header,
            "features": features, "query": query}
