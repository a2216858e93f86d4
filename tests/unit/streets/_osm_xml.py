"""Tiny OSM XML writer for street tests: nodes on a local metric plane around (48.0, 7.0)."""
from __future__ import annotations

import bz2
import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pyarrow as pa

from engine.bundle.writer import write_bundle
from engine.streets import StreetNetwork, StreetOptions, build_street_tables
from engine.timetable.staging import BuildReport

LAT0, LON0 = 48.0, 7.0
M_PER_DEG = 6_371_000.0 * math.pi / 180.0


def latlon(x_m: float, y_m: float) -> tuple[float, float]:
    """Point x metres east, y metres north of (LAT0, LON0)."""
    return LAT0 + y_m / M_PER_DEG, LON0 + x_m / (M_PER_DEG * math.cos(math.radians(LAT0)))


def osm_xml(nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict[str, str]]]) -> str:
    """nodes: id -> (x_m, y_m); ways: (id, refs, tags)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (x, y) in nodes.items():
        lat, lon = latlon(x, y)
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.9f}" lon="{lon:.9f}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k={quoteattr(k)} v={quoteattr(v)}/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def write_osm(path: Path, nodes, ways) -> Path:
    text = osm_xml(nodes, ways)
    if path.suffix == ".bz2":
        path.write_bytes(bz2.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def build_network(tmp_path: Path, nodes, ways, stops_xy=(), options: StreetOptions | None = None,
                  name: str = "t.osm"):
    """Write the OSM file, build street tables + bundle, open it. Returns (net, report, footpaths)."""
    osm = write_osm(tmp_path / name, nodes, ways)
    pts = [latlon(x, y) for x, y in stops_xy]
    lat = np.array([p[0] for p in pts], dtype=np.float64)
    lon = np.array([p[1] for p in pts], dtype=np.float64)
    report = BuildReport()
    tables, footpaths = build_street_tables(osm, report, lat, lon, options or StreetOptions())
    path = write_bundle(tmp_path / (name + ".bundle"), tables, {})
    return StreetNetwork.open(path), report, footpaths


def table_names(tables: dict[str, pa.Table]) -> list[str]:
    return sorted(tables)
