"""Typed results of the geocoder (the Python face of a GeoCodeJSON feature)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class Place:
    """One geocoding result, with the fields and meanings of France's address API (BAN / addok).

    ``type``: ``housenumber``, ``street``, ``locality`` (a lieu-dit or an OSM place),
    ``municipality`` (a commune or an arrondissement), ``poi`` or ``stop``. ``city`` is the
    commune ("Paris"), ``district`` the arrondissement ("Paris 7e Arrondissement"), ``citycode``
    the INSEE code as BAN gives it (the arrondissement's: "75107"), ``context`` "75, Paris,
    Île-de-France". ``score`` is in [0, 1]: the match quality times the share of the query the
    result explains (see the README's geocoder section); ``importance`` the document's own weight
    in [0, 1]; ``x``/``y`` Lambert-93 metres when the source gave them; ``distance_m`` is set by
    reverse geocoding and by searches with a focus point, else None.
    """

    id: str
    type: str                   # "housenumber" | "street" | "locality" | "municipality" | "poi" | "stop"
    label: str                  # full display text, e.g. "12 Rue de Rivoli 75004 Paris"
    name: str                   # "12 Rue de Rivoli" for an address, the name otherwise
    housenumber: str | None
    street: str | None
    postcode: str | None
    city: str | None
    citycode: str | None
    lat: float
    lon: float
    score: float
    distance_m: float | None = None
    district: str | None = None
    context: str | None = None
    importance: float | None = None
    x: float | None = None
    y: float | None = None
    oldcity: str | None = None
    oldcitycode: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready): ``dataclasses.asdict`` without its deep copy (every field
        is a str, a number or None)."""
        return {name: getattr(self, name) for name in PLACE_FIELDS}


#: Place's field names in order (to_dict, and the search's compiled constructor).
PLACE_FIELDS = tuple(f.name for f in fields(Place))


def derived_address_id(street_id: str, number: int, suffix: str) -> str:
    """BAN's address id pattern: ``<street id>_<number, 5 digits>[_<suffix>]``.

    Shared by the index builder (which leaves such ids blank in the bundle) and the search (which
    rebuilds them), so it lives here, importable from both sides.
    """
    return f"{street_id}_{number:05d}" + (f"_{suffix}" if suffix else "")
