"""The catalogue: every input a bundle was built from (``net.datasets()``, ``GET /v1/datasets``,
``brique info``), from its manifest; nothing is read but manifest.json.

One record per input, in build order::

    kind           "gtfs" | "osm" | "addresses"
    name           the feed's name (GTFS ids are prefixed "name:"), else the file's name
    file, size     the input file's name (no directory) and size in bytes
    sha256         of the file (a GTFS folder: of its files)
    publisher, publisher_url, licence, language, version
                   what the data says of itself (GTFS feed_info.txt / agency.txt; OSM and BAN:
                   their licences), None when it does not say
    valid_from, valid_to
                   GTFS: feed_info's dates, else the calendar's; OSM: the extract's timestamp
    counts         GTFS: agencies, stops, routes, trips; OSM: street nodes, segments, places;
                   addresses: rows read and kept (one address file only)
    warnings       the build report's issues about this input: {code: count}

Bundles built before the catalogue have only what their manifest's ``inputs`` say (kind, name,
file, size, sha256).
"""
from __future__ import annotations

import copy
from pathlib import PurePath
from typing import Any

FIELDS = ("kind", "name", "file", "size", "sha256", "publisher", "publisher_url", "licence", "language",
          "version", "valid_from", "valid_to", "counts", "warnings")


def datasets_of(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The catalogue records of a bundle's manifest (fresh copies, every FIELDS key present)."""
    records = manifest.get("datasets")
    if records is None:                     # built before the catalogue: what inputs say
        records = [{"kind": e.get("kind"), "name": e.get("feed") or PurePath(e.get("path", "")).name.split(".")[0],
                    "file": PurePath(e.get("path", "")).name, "size": e.get("size"), "sha256": e.get("sha256")}
                   for e in manifest.get("inputs", [])]
    out = []
    for record in records:
        full = {k: copy.deepcopy(record.get(k)) for k in FIELDS}
        full.update({k: copy.deepcopy(v) for k, v in record.items() if k not in full})
        out.append(full)
    return out


def datasets(net) -> list[dict[str, Any]]:
    """``net.datasets()``: the catalogue of an open bundle (a Network or a Bundle)."""
    manifest = getattr(net, "manifest", None)
    if manifest is None:
        manifest = net.bundle.manifest
    return datasets_of(manifest)


def format_datasets(records: list[dict[str, Any]]) -> str:
    """The catalogue as text, one block per input (``brique info``)."""
    lines = []
    for r in records:
        period = f"{r['valid_from'] or '?'} .. {r['valid_to'] or '?'}" if r["valid_from"] or r["valid_to"] else "-"
        lines.append(f"{r['kind']} {r['name']}: {r['file']} ({r['size']:,} bytes) sha256 {r['sha256']}"
                     if r.get("size") is not None else f"{r['kind']} {r['name']}: {r['file']} sha256 {r['sha256']}")
        who = ", ".join(x for x in (r["publisher"], r["publisher_url"]) if x) or "-"
        lines.append(f"  publisher: {who}; licence: {r['licence'] or '-'}; valid: {period}")
        if r["counts"]:
            lines.append("  counts: " + ", ".join(f"{k}={v:,}" for k, v in r["counts"].items()))
        if r["warnings"]:
            lines.append("  warnings: " + ", ".join(f"{k}={v:,}" for k, v in r["warnings"].items()))
    return "\n".join(lines)
