"""Geocoder: addresses, streets, places, POIs and stops -> Arrow index -> search / reverse.

Build time: :func:`build_geocoder_tables` (loaders + ``index_build``). Query time:
``Geocoder.open(bundle).search(...)`` / ``.reverse(...)``, results as :class:`Place` or
GeoCodeJSON (:func:`to_geocodejson`).
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from .geocodejson import to_geocodejson
from .search import Geocoder
from .types import Place

__all__ = ["Geocoder", "Place", "to_geocodejson", "build_geocoder_tables"]


def build_geocoder_tables(addresses: list[Path], osm: list[Path], stops: pa.Table | None,
                          report) -> dict[str, pa.Table]:
    """Read address CSVs, OSM extracts and timetable stops; return the geocoder/* tables."""
    from .build import build_geocoder_tables as _build

    return _build(addresses, osm, stops, report)
