"""GeoCodeJSON FeatureCollections from geocoder Places (native and addok-flavoured).

The native shape uses the engine's type names (address, street, locality, poi, stop); the
addok shape uses addok/BAN names (housenumber, street, locality, municipality) and addok's
top-level fields (attribution, licence, limit) so existing addok clients read it unchanged.
"""
from __future__ import annotations

from typing import Any, Iterable

#: engine type -> addok type (output) and addok type -> engine type (input filters)
TO_ADDOK = {"address": "housenumber"}
FROM_ADDOK = {"housenumber": "address", "municipality": "locality", "city": "locality"}


def feature(p, addok: bool = False) -> dict[str, Any]:
    kind = TO_ADDOK.get(p.type, p.type) if addok else p.type
    props: dict[str, Any] = {"label": p.label, "score": round(float(p.score), 6), "id": p.id,
                             "type": kind, "name": p.name}
    for key in ("housenumber", "street", "postcode", "city", "citycode"):
        value = getattr(p, key)
        if value:
            props[key] = value
    if p.distance_m is not None:
        props["distance"] = round(float(p.distance_m), 1)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(p.lon, 7), round(p.lat, 7)]},
            "properties": props}


def collection(places: Iterable, query: str | None, limit: int, addok: bool = False) -> dict[str, Any]:
    """The FeatureCollection; ``query`` is None for reverse geocoding."""
    features = [feature(p, addok) for p in places]
    out: dict[str, Any] = {"type": "FeatureCollection", "version": "draft", "features": features,
                           "attribution": None, "licence": None, "query": query, "limit": limit}
    if not addok:
        out["geocoding"] = {"version": "0.1.0", "query": query}
    return out


def engine_types(types: list[str] | None, addok: bool) -> list[str] | None:
    if types is None:
        return None
    return [FROM_ADDOK.get(t, t) for t in types] if addok else types
