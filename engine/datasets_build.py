"""The catalogue's build side: what each input of a bundle is, recorded in its manifest.

``describe_inputs`` runs at the end of ``engine.build`` and writes ``manifest["datasets"]``, one
record per input (see ``engine.datasets`` for the fields): the input's fingerprint (taken before
reading it), what the feed says of itself (GTFS ``feed_info.txt`` / ``agency.txt``: publisher,
URL, language, validity; OSM: the extract's timestamp; BAN: its licence), counts, and the build
report's warnings that concern that input. It reads only small files again (feed_info, agency,
calendar, the stops/routes/trips line counts); nothing here changes the bundle's tables.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections import Counter
from pathlib import Path
from typing import Any

OSM_PUBLISHER, OSM_LICENCE, OSM_URL = "OpenStreetMap contributors", "ODbL-1.0", "https://www.openstreetmap.org/copyright"
#: feed_info.txt columns some producers add for the licence (not in the GTFS reference)
_LICENCE_COLUMNS = ("feed_license", "feed_licence", "license", "licence", "feed_license_url")


def _gtfs_date(text: str | None) -> str | None:
    """YYYYMMDD -> YYYY-MM-DD (None when not a date)."""
    try:
        return dt.datetime.strptime((text or "").strip(), "%Y%m%d").date().isoformat()
    except ValueError:
        return None


def _rows(data: bytes) -> list[dict[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(text.replace("\0", "")))]


def _gtfs(entry: dict[str, Any]) -> dict[str, Any]:
    """feed_info / agency / calendar facts of one GTFS input."""
    from .loaders.gtfs_csv import FeedSource

    out: dict[str, Any] = {}
    src = FeedSource(entry.get("feed") or Path(entry["path"]).stem, entry["path"])
    try:
        def read(name: str) -> list[dict[str, str]]:
            return _rows(src.read_bytes(name)) if src.has(name) else []

        info = (read("feed_info.txt") or [{}])[0]
        agencies = read("agency.txt")
        out["publisher"] = info.get("feed_publisher_name") or "; ".join(
            a["agency_name"] for a in agencies if a.get("agency_name")) or None
        out["publisher_url"] = info.get("feed_publisher_url") or next(
            (a["agency_url"] for a in agencies if a.get("agency_url")), None)
        out["licence"] = next((info[c] for c in _LICENCE_COLUMNS if info.get(c)), None)
        out["language"] = info.get("feed_lang") or next((a["agency_lang"] for a in agencies
                                                          if a.get("agency_lang")), None)
        out["version"] = info.get("feed_version") or None
        start, end = _gtfs_date(info.get("feed_start_date")), _gtfs_date(info.get("feed_end_date"))
        if start is None or end is None:            # the service dates the calendar files cover
            dates = [d for r in read("calendar.txt") for d in (_gtfs_date(r.get("start_date")),
                                                                _gtfs_date(r.get("end_date"))) if d]
            dates += [d for r in read("calendar_dates.txt") if r.get("exception_type") == "1"
                      for d in (_gtfs_date(r.get("date")),) if d]
            start = start or (min(dates) if dates else None)
            end = end or (max(dates) if dates else None)
        out["valid_from"], out["valid_to"] = start, end
        counts = {"agencies": len(agencies)}
        for name in ("stops", "routes", "trips"):
            if src.has(f"{name}.txt"):
                data = src.read_bytes(f"{name}.txt")
                counts[name] = max(0, sum(1 for line in data.splitlines() if line.strip()) - 1)
        out["counts"] = counts
    finally:
        src.close()
    return out


def _osm(entry: dict[str, Any], report_counts: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {"publisher": OSM_PUBLISHER, "publisher_url": OSM_URL, "licence": OSM_LICENCE}
    try:
        import osmium

        header = osmium.io.Reader(entry["path"], osmium.osm.osm_entity_bits.NOTHING).header()
        stamp = header.get("osmosis_replication_timestamp") or header.get("timestamp")
        out["valid_from"] = stamp[:10] if stamp else None
    except Exception:  # noqa: BLE001 - an unreadable header only loses the date
        out["valid_from"] = None
    out["valid_to"] = None
    keys = ("streets.nodes", "streets.segments", "streets.junctions", "osm_places.addresses", "osm_places.places")
    out["counts"] = {k.split(".", 1)[1]: report_counts[k] for k in keys if k in report_counts}
    return out


def _addresses(entry: dict[str, Any], report_counts: dict[str, int], only: bool) -> dict[str, Any]:
    from .loaders.addresses import BAN_MARKERS, BAN_METADATA

    path = Path(entry["path"])
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            header = fh.readline(1 << 16).decode("utf-8-sig", errors="replace")
    except OSError:
        header = ""
    names = {h.strip().strip('"') for h in header.replace(",", ";").split(";")}
    is_ban = any(m in names for m in BAN_MARKERS)
    out: dict[str, Any] = {
        "publisher": BAN_METADATA[b"attribution"].decode() if is_ban else None,
        "publisher_url": "https://adresse.data.gouv.fr" if is_ban else None,
        "licence": BAN_METADATA[b"licence"].decode() if is_ban else None,
        "valid_from": None, "valid_to": None,
    }
    if only:                    # the report's counts are for all address files together
        out["counts"] = {k.split(".", 1)[1]: report_counts[k] for k in ("addresses.read", "addresses.kept")
                         if k in report_counts}
    return out


def _warnings(entry: dict[str, Any], issues) -> dict[str, int]:
    """The report's issues about this input, counted by code."""
    name = Path(entry["path"]).name
    kind = entry["kind"]
    mine = Counter()
    for issue in issues:
        if kind == "gtfs":
            hit = issue.feed == entry.get("feed")
        elif kind == "osm":
            hit = issue.file == name or issue.code.startswith(("streets.", "osm_places."))
        else:
            hit = issue.file == name or (not issue.feed and issue.code.startswith("addresses."))
        if hit:
            mine[issue.code] += 1
    return dict(sorted(mine.items()))


def describe_inputs(inputs: list[dict[str, Any]], report, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """One catalogue record per input of the build (manifest["datasets"])."""
    counts = dict(report.counts)
    n_addresses = sum(1 for e in inputs if e["kind"] == "addresses")
    out = []
    for entry in inputs:
        path = Path(entry["path"])
        kind = entry["kind"]
        record: dict[str, Any] = {
            "kind": kind, "name": entry.get("feed") or path.name.split(".")[0], "file": path.name,
            "sha256": entry["sha256"], "size": entry["size"],
        }
        try:
            if kind == "gtfs":
                record.update(_gtfs(entry))
            elif kind == "osm":
                record.update(_osm(entry, counts))
            else:
                record.update(_addresses(entry, counts, only=n_addresses == 1))
        except Exception as exc:  # noqa: BLE001 - the catalogue never fails a build: say what is missing
            record["note"] = f"feed details unreadable: {type(exc).__name__}"
        record["warnings"] = _warnings(entry, report.issues)
        out.append(record)
    return out
