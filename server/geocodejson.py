"""GeoCodeJSON FeatureCollections from geocoder Places (native and addok-flavoured).

Both shapes use BAN's type names (housenumber, street, locality, municipality; plus poi, stop)
and BAN's properties (city = the commune, district = the arrondissement, citycode, context,
importance, x/y, oldcity/oldcitycode); the addok shape has addok's top-level fields
(attribution, licence, limit) so existing addok / BAN clients read it unchanged.
"""
from __future__ import annotations

from typing import Any, Iterable

from engine import to_geocodejson

#: addok type -> engine type (input filters); the engine already answers BAN's names
FROM_ADDOK = {"city": "municipality"}


def collection(places: Iterable, query: str | None, limit: int, addok: bool = False,
               attribution: str | None = None, licence: str | None = None) -> dict[str, Any]:
    """The FeatureCollection (written by the engine's one GeoCodeJSON writer); ``query`` is None
    for reverse geocoding; ``attribution`` and ``licence`` are the indexed data's."""
    return to_geocodejson(places, query, attribution, licence, limit=limit, addok=addok)


def engine_types(types: list[str] | None, addok: bool) -> list[str] | None:
    if types is None:
        return None
    return [FROM_ADDOK.get(t, t) for t in types] if addok else types
