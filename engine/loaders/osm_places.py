"""Read geocodable objects from an OSM extract with pyosmium (BUILD TIME ONLY).

Produces two Arrow tables (contracts of ``engine.geocoder.index_build``):

- addresses (``ADDRESS_COLUMNS`` of ``loaders.addresses``): nodes and ways with
  ``addr:housenumber`` and ``addr:street`` (or ``addr:place``), ways at their node centroid;
  the first number of ``12-14`` / ``12;14`` is kept, other forms are skipped and counted;
- places (id, type, name, street, postcode, citycode, city, lat, lon, importance): named
  ``place=*`` (localities), named POIs (amenity, shop, tourism, station ...) and named streets:
  highway ways grouped by (name, nearest locality), one document per group.

A missing ``addr:city`` is taken from the nearest ``place`` node (city/town/village/suburb/
hamlet, within ``CITY_RADIUS_M``). Relations (multipolygon buildings) are not read.
pyosmium calls back per object; only objects passing a tag filter reach Python.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import InputError

PLACE_IMPORTANCE = {"country": 1.0, "state": 0.95, "city": 0.95, "town": 0.85, "municipality": 0.85,
                    "village": 0.75, "borough": 0.7, "suburb": 0.7, "quarter": 0.65, "hamlet": 0.6,
                    "neighbourhood": 0.55, "locality": 0.45, "isolated_dwelling": 0.4, "island": 0.6}
CITY_PLACES = ("city", "town", "village", "municipality", "suburb", "borough", "hamlet")
#: place=* values that are communes (typed ``municipality``, as BAN does; the rest: ``locality``)
MUNICIPALITY_PLACES = frozenset(CITY_PLACES[:4])
STREET_IMPORTANCE = {"motorway": 0.5, "trunk": 0.55, "primary": 0.55, "secondary": 0.5,
                     "tertiary": 0.45, "unclassified": 0.4, "residential": 0.4, "living_street": 0.38,
                     "pedestrian": 0.4}
NOT_STREETS = frozenset({"platform", "bus_stop", "elevator", "proposed", "construction", "raceway",
                         "corridor", "street_lamp", "traffic_signals", "crossing", "abandoned"})
POI_KEYS = ("amenity", "shop", "tourism", "leisure", "historic", "office", "craft", "healthcare",
            "aeroway", "man_made", "sport", "natural", "building")
STATION = {("railway", "station"), ("railway", "halt"), ("public_transport", "station"),
           ("railway", "tram_stop"), ("amenity", "bus_station")}
CITY_RADIUS_M = 10_000.0
_HN = re.compile(r"^\s*(\d{1,6})\s*([A-Za-z]{0,3}\d{0,2})\b")


def _xy(lat: np.ndarray, lon: np.ndarray, lat0: float) -> np.ndarray:
    return np.c_[lon * 111_195.0 * np.cos(np.radians(lat0)), lat * 111_195.0]


def read_osm_places(path: str | Path, report=None) -> tuple[pa.Table, pa.Table]:
    """(addresses, places) tables from the OSM file at ``path``."""
    import osmium

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: OSM file not found")
    addr: dict[str, list] = {k: [] for k in ("id", "number", "suffix", "street", "postcode", "city", "lat", "lon")}
    places: dict[str, list] = {k: [] for k in ("id", "type", "name", "street", "postcode", "city", "lat", "lon", "importance")}
    ways: dict[str, list] = {"id": [], "name": [], "lat": [], "lon": [], "importance": []}
    skipped_hn = 0
    first_bad_hn = ""
    try:
        fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations() \
            .with_filter(osmium.filter.KeyFilter("addr:housenumber", "name", "place"))
        for obj in fp:
            tags = obj.tags
            if obj.is_node():
                if not obj.location.valid():
                    continue
                lat, lon, oid = obj.location.lat, obj.location.lon, f"osm:node:{obj.id}"
            else:
                pts = [(n.location.lat, n.location.lon) for n in obj.nodes if n.location.valid()]
                if not pts:
                    continue
                arr = np.asarray(pts)
                lat, lon = float(arr[:, 0].mean()), float(arr[:, 1].mean())
                oid = f"osm:way:{obj.id}"
            name = tags.get("name", "").strip()
            hn = tags.get("addr:housenumber")
            if hn is not None:
                street = (tags.get("addr:street") or tags.get("addr:place") or "").strip()
                m = _HN.match(hn)
                if m is None or not street:
                    skipped_hn += 1
                    first_bad_hn = first_bad_hn or f"{oid} addr:housenumber={hn!r}"
                else:
                    addr["id"].append(oid)
                    addr["number"].append(int(m.group(1)))
                    addr["suffix"].append(m.group(2))
                    addr["street"].append(street)
                    addr["postcode"].append(tags.get("addr:postcode", "").strip())
                    addr["city"].append(tags.get("addr:city", "").strip())
                    addr["lat"].append(lat)
                    addr["lon"].append(lon)
            if not name:
                continue
            place = tags.get("place")
            highway = tags.get("highway")
            if place is not None:     # BAN's vocabulary: a commune is a municipality
                places["type"].append("municipality" if place in MUNICIPALITY_PLACES else "locality")
                places["importance"].append(PLACE_IMPORTANCE.get(place, 0.4))
            elif highway is not None and obj.is_way():
                if highway not in NOT_STREETS:
                    ways["id"].append(oid)
                    ways["name"].append(name)
                    ways["lat"].append(lat)
                    ways["lon"].append(lon)
                    ways["importance"].append(STREET_IMPORTANCE.get(highway, 0.35))
                continue
            elif any(k in tags for k in POI_KEYS) or any((k, v) in STATION for k, v in tags):
                places["type"].append("poi")
                station = any((k, v) in STATION for k, v in tags)
                places["importance"].append(0.6 if station else 0.3)
            else:
                continue
            places["id"].append(oid)
            places["name"].append(name)
            places["street"].append((tags.get("addr:street") or "").strip())
            places["postcode"].append(tags.get("addr:postcode", "").strip())
            places["city"].append(tags.get("addr:city", "").strip())
            places["lat"].append(lat)
            places["lon"].append(lon)
            if place is not None:
                places["city"][-1] = name if place in CITY_PLACES[:4] else places["city"][-1]
    except RuntimeError as exc:
        raise InputError(f"{path}: unreadable OSM file: {exc}") from exc
    if report is not None:
        report.count("osm_places.addresses", len(addr["id"]))
        report.count("osm_places.places", len(places["id"]))
        report.count("osm_places.street_ways", len(ways["id"]))
        if skipped_hn:
            report.count("osm_places.skipped_housenumber", skipped_hn)
            report.warn("osm_places.skipped_housenumber", "", path.name, 0, "addr:housenumber",
                        f"{skipped_hn} address(es) without a usable number or street, first: {first_bad_hn}")
    _fill_cities(addr, places)
    streets = _group_streets(ways, places)
    return _address_table(addr), _places_table(places, streets)


def _city_index(places: dict):
    """KD-tree over named settlement places (for nearest-city lookups)."""
    from scipy.spatial import cKDTree

    idx = [i for i, t in enumerate(places["type"])
           if t in ("locality", "municipality") and places["importance"][i] >= 0.6]
    if not idx:
        return None, []
    lat = np.array([places["lat"][i] for i in idx])
    lon = np.array([places["lon"][i] for i in idx])
    lat0 = float(np.median(lat))
    return (cKDTree(_xy(lat, lon, lat0)), lat0), [places["name"][i] for i in idx]


def _nearest_city(tree, names, lat: np.ndarray, lon: np.ndarray) -> list[str]:
    if tree is None or len(lat) == 0:
        return [""] * len(lat)
    kd, lat0 = tree
    dist, k = kd.query(_xy(np.asarray(lat), np.asarray(lon), lat0))
    return [names[j] if d <= CITY_RADIUS_M else "" for d, j in zip(dist, k)]


def _fill_cities(addr: dict, places: dict) -> None:
    tree, names = _city_index(places)
    need = [i for i, c in enumerate(addr["city"]) if not c]
    near = _nearest_city(tree, names, np.array([addr["lat"][i] for i in need]),
                         np.array([addr["lon"][i] for i in need]))
    for i, c in zip(need, near):
        addr["city"][i] = c
    need = [i for i, (c, t) in enumerate(zip(places["city"], places["type"])) if not c]
    near = _nearest_city(tree, names, np.array([places["lat"][i] for i in need]),
                         np.array([places["lon"][i] for i in need]))
    for i, c in zip(need, near):
        places["city"][i] = c


def _group_streets(ways: dict, places: dict) -> dict[str, list]:
    """Named highway ways -> one street per (name, nearest city): the way nearest the mean."""
    tree, names = _city_index(places)
    cities = _nearest_city(tree, names, np.array(ways["lat"]), np.array(ways["lon"]))
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (name, city) in enumerate(zip(ways["name"], cities)):
        groups.setdefault((name, city), []).append(i)
    out: dict[str, list] = {k: [] for k in ("id", "name", "city", "lat", "lon", "importance")}
    lat, lon = np.array(ways["lat"]), np.array(ways["lon"])
    for (name, city), members in groups.items():
        m = np.array(members)
        best = m[np.argmin((lat[m] - lat[m].mean()) ** 2 + (lon[m] - lon[m].mean()) ** 2)]
        out["id"].append(ways["id"][best])
        out["name"].append(name)
        out["city"].append(city)
        out["lat"].append(float(lat[best]))
        out["lon"].append(float(lon[best]))
        out["importance"].append(max(ways["importance"][j] for j in members))
    return out


def _address_table(addr: dict) -> pa.Table:
    n = len(addr["id"])
    return pa.table({
        "id": pa.array(addr["id"], pa.string()), "number": pa.array(addr["number"], pa.int32()),
        "suffix": pa.array(addr["suffix"], pa.string()), "street": pa.array(addr["street"], pa.string()),
        "postcode": pa.array(addr["postcode"], pa.string()), "citycode": pa.array([""] * n, pa.string()),
        "city": pa.array(addr["city"], pa.string()), "lat": pa.array(addr["lat"], pa.float64()),
        "lon": pa.array(addr["lon"], pa.float64()),
    })


def _places_table(places: dict, streets: dict) -> pa.Table:
    ns = len(streets["id"])
    return pa.table({
        "id": pa.array(places["id"] + streets["id"], pa.string()),
        "type": pa.array(places["type"] + ["street"] * ns, pa.string()),
        "name": pa.array(places["name"] + streets["name"], pa.string()),
        "street": pa.array(places["street"] + [""] * ns, pa.string()),
        "postcode": pa.array(places["postcode"] + [""] * ns, pa.string()),
        "citycode": pa.array([""] * (len(places["id"]) + ns), pa.string()),
        "city": pa.array(places["city"] + streets["city"], pa.string()),
        "lat": pa.array(places["lat"] + streets["lat"], pa.float64()),
        "lon": pa.array(places["lon"] + streets["lon"], pa.float64()),
        "importance": pa.array(places["importance"] + streets["importance"], pa.float32()),
    })
