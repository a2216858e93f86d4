"""Layout constants shared by the index builder and the query side, and n-gram packing.

Everything here is part of the bundle format (changing it means bumping FORMAT_VERSION):
document type codes, the reverse-grid cell size, the fixed-point coordinate scale and the
trigram code (three UTF-8 bytes packed into a uint32, like adr's ngram.h packs bigrams).
"""
from __future__ import annotations

import numpy as np

#: Document / result type codes (docs.type column, result types).
#: Names are BAN's vocabulary: ``housenumber`` (an address), ``street``, ``locality`` (a lieu-dit
#: or an OSM place), ``municipality`` (a commune or an arrondissement), plus ``poi`` and ``stop``.
ADDRESS, STREET, LOCALITY, POI, STOP, MUNICIPALITY = 0, 1, 2, 3, 4, 5
TYPE_NAMES = ("housenumber", "street", "locality", "poi", "stop", "municipality")
TYPE_CODES = {name: code for code, name in enumerate(TYPE_NAMES)}
#: Other names accepted in type filters: the engine's former "address", addok's "city".
TYPE_ALIASES = {"address": ADDRESS, "city": MUNICIPALITY}
ALL_TYPES = (1 << len(TYPE_NAMES)) - 1

#: Fixed-point coordinates of house numbers and grid points: int32 of 1e-7 degree (~1 cm).
COORD_SCALE = 1e7
#: Reverse grid cell size in degrees (about 220 m x 220 m at 48 degrees of latitude).
CELL_LAT = 0.002
CELL_LON = 0.003
CELL_X_BITS = 17          # cx < 360 / CELL_LON = 120000 < 2**17

#: Padding bytes around a token before cutting trigrams (never occur in folded text).
PAD_START, PAD_END = 1, 2


def cell_key(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Grid cell of each point as one sortable int64: row (latitude) major, column minor."""
    cy = np.floor((np.asarray(lat, np.float64) + 90.0) / CELL_LAT).astype(np.int64)
    cx = np.floor((np.asarray(lon, np.float64) + 180.0) / CELL_LON).astype(np.int64)
    return (cy << CELL_X_BITS) | cx


def trigrams(token: str) -> np.ndarray:
    """Distinct trigram codes of a token (with start/end padding), as sorted uint32."""
    b = bytes([PAD_START]) + token.encode("utf-8") + bytes([PAD_END])
    arr = np.frombuffer(b, dtype=np.uint8).astype(np.uint32)
    if len(arr) < 3:
        return np.empty(0, np.uint32)
    codes = (arr[:-2] << 16) | (arr[1:-1] << 8) | arr[2:]
    return np.unique(codes)
