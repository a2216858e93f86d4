"""Typed results of the geocoder (the Python face of a GeoCodeJSON feature)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Place:
    """One geocoding result: an address, street, locality, POI or transit stop.

    ``score`` is in [0, 1] (text match, house number, importance, focus distance);
    ``distance_m`` is set by reverse geocoding and by searches with a focus point, else None.
    """

    id: str
    type: str                   # "address" | "street" | "locality" | "poi" | "stop"
    label: str                  # full display text, e.g. "12 Rue de Rivoli 75004 Paris 4e Arrondissement"
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

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return asdict(self)


def derived_address_id(street_id: str, number: int, suffix: str) -> str:
    """BAN's address id pattern: ``<street id>_<number, 5 digits>[_<suffix>]``.

    Shared by the index builder (which leaves such ids blank in the bundle) and the search (which
    rebuilds them), so it lives here, importable from both sides.
    """
    return f"{street_id}_{number:05d}" + (f"_{suffix}" if suffix else "")
