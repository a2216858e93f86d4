"""GeoCodeJSON FeatureCollections from geocoder Places (native and addok-flavoured).

Both shapes use BAN's type names (housenumber, street, locality, municipality; plus poi, stop)
and BAN's properties (city = the commune, district = the arrondissement, citycode, context,
importance, x/y, oldcity/oldcitycode); the addok shape has addok's top-level fields
(attribution, licence, limit) so existing addok / BAN clients read it unchanged.
"""
from __future__ import annotations

from typing import Any, Iterable

#: addok type -> engine type (input filters); the engine already answers BAN's names
FROM_ADDOK = {"city": "municipality"}
_OPTIONAL = ("housenumber", "street", "postcode", "city", "citycode", "district", "oldcity", "oldcitycode",
             "context")


def feature(p, addok: bool = False) -> dict[str, Any]:
    props: dict[str, Any] = {"label": p.label, "score": round(float(p.score), 6), "id": p.id,
                             "type": p.type, "name": p.name}
    for key in _OPTIONAL:
        value = getattr(p, key, None)
        if value:
            props[key] = value
    if getattr(p, "importance", None) is not None:
        props["importance"] = round(float(p.importance), 5)
    if getattr(p, "x", None) is not None:
        props["x"], props["y"] = p.x, p.y
    if p.distance_m is not None:
        props["distance"] = round(float(p.distance_m), 1)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(p.lon, 7), round(p.lat, 7)]},
            "properties": props}


def collection(places: Iterable, query: str | None, limit: int, addok: bool = False,
               attribution: str | None = None, licence: str | None = None) -> dict[str, Any]:
    """The FeatureCollection; ``query`` is None for reverse geocoding; ``attribution`` and
    ``licence`` are the indexed data's (BAN: "BAN", "ETALAB-2.0")."""
    features = [feature(p, addok) for p in places]
    out: dict[str, Any] = {"type": "FeatureCollection", "version": "draft", "features": features,
                           "attribution": attribution, "licence": licence, "query": query, "limit": limit}
    if not addok:
        out["geocoding"] = {"version": "0.1.0", "query": query}
    return out


def engine_types(types: list[str] | None, addok: bool) -> list[str] | None:
    if types is None:
        return None
    return [FROM_ADDOK.get(t, t) for t in types] if addok else types
