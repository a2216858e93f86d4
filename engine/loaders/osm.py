"""OSM street extraction: one streaming pass over .osm.pbf/.osm/.osm.bz2 into flat node/segment arrays.

pyosmium keeps node locations in its own C++ cache (``with_locations``) and only ways tagged
``highway`` reach Python, so no Python object is held per node: each kept way appends its node
refs and coordinates to flat lists, turned into numpy arrays at the end. Which ways are kept and
their per-mode attributes are decided by a caller-supplied function of the tags (the street
profiles), so this loader knows nothing of routing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import InputError


@dataclass(slots=True)
class OsmStreets:
    """Routable ways of an OSM file as flat arrays. Segment = two consecutive nodes of a way."""

    node_id: np.ndarray        # int64 [n_nodes] OSM node id, ascending
    node_lat: np.ndarray       # float64 [n_nodes]
    node_lon: np.ndarray       # float64 [n_nodes]
    seg_u: np.ndarray          # int32 [n_segments] node index of the first node (way order)
    seg_v: np.ndarray          # int32 [n_segments] node index of the second node
    seg_way: np.ndarray        # int32 [n_segments] way index
    way_id: np.ndarray         # int64 [n_ways] OSM way id
    way_name: list[str]        # [n_ways] name tag ("" if none)
    way_highway: list[str]     # [n_ways] highway tag
    way_attrs: np.ndarray      # float64 [n_ways, n_attrs] what ``way_attrs`` returned
    ways_read: int             # highway ways seen in the file
    missing_locations: int     # node references without a location in the file (segments dropped)


def load_osm_streets(path: str | Path, way_attrs: Callable[[object], Sequence[float]]) -> OsmStreets:
    """Read the highway ways of ``path``; keep those for which ``way_attrs(tags)`` is not all zero.

    Raises InputError if the file is missing or unreadable.
    """
    import osmium

    path = Path(path)
    if not path.is_file():
        raise InputError(f"OSM file {path} does not exist")
    check_osm_file(path)
    refs: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    way_len: list[int] = []
    way_ids: list[int] = []
    names: list[str] = []
    highways: list[str] = []
    attrs: list[Sequence[float]] = []
    ways_read = 0
    missing = 0
    try:
        processor = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
                     .with_locations()
                     .with_filter(osmium.filter.KeyFilter("highway")))
        for obj in processor:
            if not obj.is_way():
                continue
            ways_read += 1
            tags = obj.tags
            values = way_attrs(tags)
            if not any(values):
                continue
            w_refs, w_lats, w_lons = [], [], []
            for node in obj.nodes:
                location = node.location
                w_refs.append(node.ref)
                if location.valid():
                    w_lats.append(location.lat)
                    w_lons.append(location.lon)
                else:
                    missing += 1
                    w_lats.append(np.nan)
                    w_lons.append(np.nan)
            if len(w_refs) < 2:
                continue
            refs.extend(w_refs)
            lats.extend(w_lats)
            lons.extend(w_lons)
            way_len.append(len(w_refs))
            way_ids.append(obj.id)
            names.append(tags.get("name") or "")
            highways.append(tags.get("highway") or "")
            attrs.append(tuple(values))
    except (RuntimeError, osmium.InvalidLocationError) as exc:
        raise InputError(f"OSM file {path} could not be read: {exc}") from exc
    return _assemble(refs, lats, lons, way_len, way_ids, names, highways, attrs, ways_read, missing)


_MAGIC = ((b"PK\x03\x04", "a zip archive"), (b"PK\x05\x06", "an empty zip archive"),
          (b"\x1f\x8b", "a gzip file"), (b"BZh", "a bzip2 file"), (b"%PDF", "a PDF document"),
          (b"\x89PNG", "a PNG image"), (b"<", "XML"), (b"ARROW1", "an Arrow file"))


def _looks_like(head: bytes) -> str:
    for magic, what in _MAGIC:
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(magic):
            return what
    if head[:1].isascii() and b"\0" not in head[:64]:
        return "a text file"
    return "unknown binary data"


def check_osm_file(path: Path) -> None:
    """InputError, naming the file and what it looks like, when the first bytes do not match
    the format its name announces (.pbf, .osm, .osm.bz2, .osm.gz): pyosmium's own message for
    a CSV or a zip given as OSM is obscure."""
    name = path.name.lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise InputError(f"OSM file {path} could not be read: {exc}") from exc
    if not head:
        raise InputError(f"OSM file {path} is empty")
    if name.endswith(".pbf"):
        size = int.from_bytes(head[:4], "big")
        # a PBF starts with a BlobHeader: 4-byte length (< 64 KiB), then field 1 = "OSMHeader"
        if not (0 < size < 64 * 1024 and head[4:5] == b"\x0a" and b"OSMHeader" in head[5:20]):
            raise InputError(f"OSM file {path} is not an OSM PBF file (it looks like "
                             f"{_looks_like(head)})")
        return
    expected = {".osm": (b"<", "OSM XML"), ".osm.bz2": (b"BZh", "bzip2-compressed OSM XML"),
                ".osm.gz": (b"\x1f\x8b", "gzip-compressed OSM XML")}
    for suffix, (magic, what) in expected.items():
        if name.endswith(suffix):
            if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(magic):
                raise InputError(f"OSM file {path} is not {what} (it looks like "
                                 f"{_looks_like(head)})")
            return


def _assemble(refs, lats, lons, way_len, way_ids, names, highways, attrs, ways_read, missing) -> OsmStreets:
    """Flat ref lists -> unique nodes + segments (vectorised)."""
    ref_arr = np.asarray(refs, dtype=np.int64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    lon_arr = np.asarray(lons, dtype=np.float64)
    n_ways = len(way_len)
    ref_way = np.repeat(np.arange(n_ways, dtype=np.int32), np.asarray(way_len, dtype=np.int64))
    node_id, first, inverse = np.unique(ref_arr, return_index=True, return_inverse=True)
    node_lat = lat_arr[first]
    node_lon = lon_arr[first]
    same_way = ref_way[:-1] == ref_way[1:] if len(ref_way) else np.zeros(0, dtype=bool)
    seg_u = inverse[:-1][same_way].astype(np.int32)
    seg_v = inverse[1:][same_way].astype(np.int32)
    seg_way = ref_way[:-1][same_way]
    ok = (seg_u != seg_v) & np.isfinite(node_lat[seg_u]) & np.isfinite(node_lat[seg_v])
    way_attrs = np.asarray(attrs, dtype=np.float64).reshape(n_ways, -1) if n_ways else np.zeros((0, 0))
    return OsmStreets(node_id, node_lat, node_lon, seg_u[ok], seg_v[ok], seg_way[ok],
                      np.asarray(way_ids, dtype=np.int64), names, highways, way_attrs,
                      ways_read, missing)
