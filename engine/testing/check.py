"""Small, strict GTFS zip checker (csv module only) for tests of generated feeds.

It is meant for the small feeds that the sample and the test DSL write, not for big real feeds:
it reads every row into Python objects. It reports problems as strings instead of raising, so a
test can assert that the list is empty and see all problems at once.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
REQUIRED_COLUMNS = {
    "agency.txt": ("agency_name", "agency_url", "agency_timezone"),
    "stops.txt": ("stop_id", "stop_name", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                     "saturday", "sunday", "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "transfers.txt": ("from_stop_id", "to_stop_id", "transfer_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
    "shapes.txt": ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
}
_TIME = re.compile(r"^\d{1,3}:[0-5]\d:[0-5]\d$")
_DATE = re.compile(r"^\d{8}$")


def read_tables(path: Path | str) -> dict[str, list[dict[str, str]]]:
    """Every ``*.txt`` member of the zip as a list of row dicts (UTF-8, BOM tolerated)."""
    out: dict[str, list[dict[str, str]]] = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith(".txt"):
                text = zf.read(name).decode("utf-8-sig")
                out[name] = list(csv.DictReader(io.StringIO(text)))
    return out


def _secs(t: str) -> int:
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def gtfs_problems(path: Path | str) -> list[str]:
    """All problems found in a GTFS zip: missing files/columns, dangling ids, bad times."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as zf:
        headers = {n: next(csv.reader(io.StringIO(zf.read(n).decode("utf-8-sig"))), [])
                   for n in zf.namelist() if n.endswith(".txt")}
    t = read_tables(path)
    for name in REQUIRED_FILES:
        if name not in t:
            problems.append(f"missing {name}")
    if "calendar.txt" not in t and "calendar_dates.txt" not in t:
        problems.append("missing calendar.txt and calendar_dates.txt")
    for name, cols in REQUIRED_COLUMNS.items():
        for col in cols if name in headers else ():
            if col not in headers[name]:
                problems.append(f"{name}: missing column {col}")
    if problems:
        return problems

    def ids(name: str, col: str) -> set[str]:
        return {r[col] for r in t.get(name, [])}

    stops, routes, trips = ids("stops.txt", "stop_id"), ids("routes.txt", "route_id"), \
        ids("trips.txt", "trip_id")
    services = ids("calendar.txt", "service_id") | ids("calendar_dates.txt", "service_id")
    shapes = ids("shapes.txt", "shape_id")
    for name, col in (("stops.txt", "stop_id"), ("routes.txt", "route_id"),
                      ("trips.txt", "trip_id")):
        if len(ids(name, col)) != len(t[name]):
            problems.append(f"{name}: duplicate {col}")
    for r in t["stops.txt"]:
        if r.get("parent_station") and r["parent_station"] not in stops:
            problems.append(f"stops.txt: {r['stop_id']}: unknown parent {r['parent_station']}")
        try:
            lat, lon = float(r["stop_lat"]), float(r["stop_lon"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except ValueError:
            problems.append(f"stops.txt: {r['stop_id']}: bad coordinates")
    for r in t["trips.txt"]:
        if r["route_id"] not in routes:
            problems.append(f"trips.txt: {r['trip_id']}: unknown route {r['route_id']}")
        if r["service_id"] not in services:
            problems.append(f"trips.txt: {r['trip_id']}: unknown service {r['service_id']}")
        if r.get("shape_id") and r["shape_id"] not in shapes:
            problems.append(f"trips.txt: {r['trip_id']}: unknown shape {r['shape_id']}")
    by_trip: dict[str, list[dict[str, str]]] = {}
    for r in t["stop_times.txt"]:
        if r["stop_id"] not in stops:
            problems.append(f"stop_times.txt: {r['trip_id']}: unknown stop {r['stop_id']}")
        for col in ("arrival_time", "departure_time"):
            if not _TIME.match(r[col]):
                problems.append(f"stop_times.txt: {r['trip_id']}: bad {col} {r[col]!r}")
        by_trip.setdefault(r["trip_id"], []).append(r)
    problems += [f"stop_times.txt: unknown trip {k}" for k in by_trip if k not in trips]
    problems += [f"trips.txt: {k} has fewer than 2 stop times" for k in trips
                 if len(by_trip.get(k, [])) < 2]
    for k, rows in by_trip.items():
        seqs = [int(r["stop_sequence"]) for r in rows]
        if seqs != sorted(set(seqs)):
            problems.append(f"stop_times.txt: {k}: stop_sequence not increasing")
        if any(not _TIME.match(r["arrival_time"] + "") for r in rows):
            continue
        times = [x for r in rows for x in (_secs(r["arrival_time"]), _secs(r["departure_time"]))]
        if times != sorted(times):
            problems.append(f"stop_times.txt: {k}: times go backwards")
    for r in t.get("calendar_dates.txt", []):
        if not _DATE.match(r["date"]) or r["exception_type"] not in ("1", "2"):
            problems.append(f"calendar_dates.txt: bad row {r}")
    for r in t.get("transfers.txt", []):
        for col in ("from_stop_id", "to_stop_id"):
            if r[col] not in stops:
                problems.append(f"transfers.txt: unknown stop {r[col]}")
        if r["transfer_type"] == "2" and not r.get("min_transfer_time", "").isdigit():
            problems.append(f"transfers.txt: type 2 without min_transfer_time: {r}")
    for r in t.get("frequencies.txt", []):
        if r["trip_id"] not in trips:
            problems.append(f"frequencies.txt: unknown trip {r['trip_id']}")
        if _secs(r["end_time"]) <= _secs(r["start_time"]) or int(r["headway_secs"]) <= 0:
            problems.append(f"frequencies.txt: bad period {r}")
    return problems
