"""Parser of the small text timetable language of ``engine.testing.feed_from_text``.

The text is turned into a :class:`FeedSpec` (plain data), which :func:`write_feed` writes as a
GTFS zip. The grammar is documented in ``engine.testing``; every error names the text line.
"""
from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

_TIME = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")
_HEADWAY = re.compile(r"^(\d+)(s|m|min|h)?$")
_KEYWORDS = ("stops", "station", "transfers", "calendar", "dates", "route")
DEFAULT_SERVICE = "DAY"
_TRANSFER_WORDS = {"recommended": 0, "timed": 1, "forbidden": 3}


class DslError(ValueError):
    """A timetable text that cannot be parsed; the message names the line."""


@dataclass
class StopSpec:
    """One stop (location_type 0) or station (1)."""

    stop_id: str
    lat: float | None = None
    lon: float | None = None
    name: str = ""
    parent: str = ""
    platform_code: str = ""
    location_type: int = 0


@dataclass
class TripSpec:
    """One trip: served stops with times (s after service-day midnight) and pickup/drop-off."""

    trip_id: str
    route_id: str
    service_id: str
    headsign: str
    stop_ids: list[str]
    arr: list[int]
    dep: list[int]
    pickup: list[int]
    drop_off: list[int]
    frequency: tuple[int, int, int, int] | None = None  # start, end, headway, exact_times


@dataclass
class FeedSpec:
    """Everything the text declares, before it is written as GTFS."""

    stops: dict[str, StopSpec] = field(default_factory=dict)
    routes: dict[str, tuple[int, str]] = field(default_factory=dict)  # id -> (type, long name)
    trips: list[TripSpec] = field(default_factory=list)
    transfers: list[tuple[str, str, int, int | None]] = field(default_factory=list)
    calendars: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    dates: list[tuple[str, str, int]] = field(default_factory=list)


def parse_time(text: str, where: str) -> int:
    """``HH:MM`` or ``HH:MM:SS`` (hours may exceed 23) -> seconds."""
    m = _TIME.match(text)
    if not m:
        raise DslError(f"{where}: bad time {text!r} (expected HH:MM or HH:MM:SS)")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)


def gtfs_date(value: str | dt.date) -> str:
    """'2026-03-02', '20260302' or a date -> '20260302'."""
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).strftime("%Y%m%d")
        except ValueError:
            pass
    raise DslError(f"bad date {value!r} (expected YYYY-MM-DD or YYYYMMDD)")


def _split(text: str, where: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise DslError(f"{where}: {exc}: {text!r}") from None


def _options(tokens: list[str], allowed: tuple[str, ...], where: str) -> dict[str, str]:
    out = {}
    for tok in tokens:
        key, sep, value = tok.partition("=")
        if not sep or key not in allowed:
            raise DslError(f"{where}: unexpected {tok!r} (allowed options: {', '.join(allowed)})")
        out[key] = value
    return out


def _keyword(line: str) -> str | None:
    word = re.split(r"[\s:]", line, maxsplit=1)[0]
    return word if word in _KEYWORDS else None


def parse(text: str) -> FeedSpec:
    """Parse a timetable text into a :class:`FeedSpec` (raises :class:`DslError`)."""
    spec = FeedSpec()
    lines = [(n, raw.split("#", 1)[0].strip()) for n, raw in enumerate(text.splitlines(), 1)]
    lines = [(n, s) for n, s in lines if s]
    i = 0
    while i < len(lines):
        n, line = lines[i]
        where = f"line {n}"
        kw = _keyword(line)
        if kw == "route":
            i = _parse_route(spec, lines, i)
            continue
        if kw == "stops":
            for item in line.split(":", 1)[1].split(";"):
                if item.strip():
                    _parse_stop(spec, _split(item, where), where)
        elif kw == "station":
            head, sep, children = line[len("station"):].partition(":")
            toks = _split(head, where)
            if not sep or not toks or not children.split():
                raise DslError(f"{where}: expected 'station ID [name=...]: CHILD CHILD ...'")
            opts = _options(toks[1:], ("name",), where)
            spec.stops[toks[0]] = StopSpec(toks[0], name=opts.get("name", toks[0]),
                                           location_type=1)
            for child in children.split():
                spec.stops.setdefault(child, StopSpec(child, name=child)).parent = toks[0]
        elif kw == "transfers":
            for item in line.split(":", 1)[1].split(";"):
                if item.strip():
                    _parse_transfer(spec, item.split(), where)
        elif kw == "calendar":
            toks = line.split()
            if len(toks) != 5 or not re.fullmatch(r"[01]{7}", toks[2]):
                raise DslError(f"{where}: expected 'calendar SERVICE 1111100 START END'")
            spec.calendars[toks[1]] = (toks[2], gtfs_date(toks[3]), gtfs_date(toks[4]))
        elif kw == "dates":
            toks = line.split()
            if len(toks) < 3 or any(t[0] not in "+-" for t in toks[2:]):
                raise DslError(f"{where}: expected 'dates SERVICE +YYYY-MM-DD -YYYY-MM-DD ...'")
            for t in toks[2:]:
                spec.dates.append((toks[1], gtfs_date(t[1:]), 1 if t[0] == "+" else 2))
        else:
            raise DslError(f"{where}: expected one of {', '.join(_KEYWORDS)}; got {line!r}")
        i += 1
    _check_references(spec)
    return spec


def _parse_stop(spec: FeedSpec, toks: list[str], where: str) -> None:
    if len(toks) < 3:
        raise DslError(f"{where}: expected 'ID LAT LON [name=..] [parent=..] [platform=..]'")
    try:
        lat, lon = float(toks[1]), float(toks[2])
    except ValueError:
        raise DslError(f"{where}: stop {toks[0]}: bad coordinates {toks[1]!r} {toks[2]!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DslError(f"{where}: stop {toks[0]}: coordinates out of range")
    opts = _options(toks[3:], ("name", "parent", "platform"), where)
    old = spec.stops.get(toks[0])
    spec.stops[toks[0]] = StopSpec(toks[0], lat, lon, opts.get("name", toks[0]),
                                   opts.get("parent", old.parent if old else ""),
                                   opts.get("platform", ""))


def _parse_transfer(spec: FeedSpec, toks: list[str], where: str) -> None:
    if len(toks) != 3:
        raise DslError(f"{where}: expected 'FROM TO SECONDS|forbidden|recommended|timed'")
    a, b, what = toks
    if what.isdigit():
        spec.transfers.append((a, b, 2, int(what)))
    elif what in _TRANSFER_WORDS:
        spec.transfers.append((a, b, _TRANSFER_WORDS[what], None))
    else:
        raise DslError(f"{where}: transfer {a} {b}: {what!r} is not seconds nor one of "
                       f"{', '.join(_TRANSFER_WORDS)}")


def _parse_route(spec: FeedSpec, lines: list[tuple[int, str]], i: int) -> int:
    n, line = lines[i]
    toks = _split(line, f"line {n}")
    if len(toks) < 2:
        raise DslError(f"line {n}: expected 'route ID [type=3] [name=..] [service=..]'")
    route_id = toks[1]
    opts = _options(toks[2:], ("type", "name", "service"), f"line {n}")
    if not opts.get("type", "3").isdigit():
        raise DslError(f"line {n}: route {route_id}: type must be an integer")
    if route_id in spec.routes:
        raise DslError(f"line {n}: route {route_id} is declared twice")
    spec.routes[route_id] = (int(opts.get("type", "3")), opts.get("name", ""))
    if i + 1 >= len(lines) or _keyword(lines[i + 1][1]):
        raise DslError(f"line {n}: route {route_id} has no stop header line")
    header = lines[i + 1][1].split()
    for s in header:
        spec.stops.setdefault(s, StopSpec(s, name=s))
    j = i + 2
    k = 0
    while j < len(lines) and not _keyword(lines[j][1]):
        k += 1
        _parse_trip(spec, route_id, opts.get("service", DEFAULT_SERVICE), header, lines[j], k)
        j += 1
    if k == 0:
        raise DslError(f"line {n}: route {route_id} has no trip lines")
    return j


def _parse_trip(spec: FeedSpec, route_id: str, service: str, header: list[str],
                numbered: tuple[int, str], k: int) -> None:
    n, line = numbered
    where = f"line {n}"
    toks = line.split()
    freq = None
    if "every" in toks:
        at = toks.index("every")
        freq_toks, toks = toks[at + 1:], toks[:at]
        freq = _parse_every(freq_toks, where)
    opts = {}
    while toks and "=" in toks[-1]:
        opts.update(_options([toks.pop()], ("id", "service", "headsign"), where))
    if len(toks) != len(header):
        raise DslError(f"{where}: {len(toks)} cells for {len(header)} stops {' '.join(header)}")
    trip = TripSpec(opts.get("id", f"{route_id}-{k}"), route_id, opts.get("service", service),
                    opts.get("headsign", ""), [], [], [], [], [])
    for stop_id, cell in zip(header, toks):
        if cell in ("-", "."):
            continue
        pickup = drop_off = 0
        while cell and cell[-1] in "<>":
            if cell[-1] == ">":
                drop_off = 1  # board only
            else:
                pickup = 1  # alight only
            cell = cell[:-1]
        arr_s, _, dep_s = cell.partition("/")
        arr = parse_time(arr_s, where)
        dep = parse_time(dep_s, where) if dep_s else arr
        if dep < arr or (trip.dep and arr < trip.dep[-1]):
            raise DslError(f"{where}: times go backwards at stop {stop_id} ({cell})")
        trip.stop_ids.append(stop_id)
        trip.arr.append(arr)
        trip.dep.append(dep)
        trip.pickup.append(pickup)
        trip.drop_off.append(drop_off)
    if len(trip.stop_ids) < 2:
        raise DslError(f"{where}: a trip must serve at least two stops")
    if any(t.trip_id == trip.trip_id for t in spec.trips):
        raise DslError(f"{where}: trip id {trip.trip_id} used twice")
    trip.headsign = trip.headsign or trip.stop_ids[-1]
    if freq is not None:
        trip.frequency = (trip.dep[0], freq[1], freq[0], freq[2])
        if freq[1] <= trip.dep[0]:
            raise DslError(f"{where}: 'until' must be after the first departure")
    spec.trips.append(trip)


def _parse_every(toks: list[str], where: str) -> tuple[int, int, int]:
    """``every 10m until 09:00 [exact]`` -> (headway s, end s, exact_times)."""
    exact = 1 if toks and toks[-1] == "exact" else 0
    toks = toks[:-1] if exact else toks
    m = _HEADWAY.match(toks[0]) if toks else None
    if len(toks) != 3 or toks[1] != "until" or not m or int(m.group(1)) <= 0:
        raise DslError(f"{where}: expected 'every 10m until HH:MM [exact]'")
    unit = {"s": 1, None: 1, "m": 60, "min": 60, "h": 3600}[m.group(2)]
    return int(m.group(1)) * unit, parse_time(toks[2], where), exact


def _check_references(spec: FeedSpec) -> None:
    for a, b, _t, _s in spec.transfers:
        for s in (a, b):
            if s not in spec.stops:
                raise DslError(f"transfers: unknown stop {s!r}")
    for s in spec.stops.values():
        if s.parent and s.parent not in spec.stops:
            raise DslError(f"stop {s.stop_id}: unknown parent station {s.parent!r}")
    if not spec.trips:
        raise DslError("the text declares no route with trips")


def place_stops(spec: FeedSpec) -> None:
    """Give coordinates to stops declared without any (11 km apart, so no walking between)."""
    known = [s for s in spec.stops.values() if s.lat is not None]
    base_lat = max((s.lat for s in known), default=48.0)  # type: ignore[type-var]
    base_lon = min((s.lon for s in known), default=2.0)  # type: ignore[type-var]
    k = 0
    for s in spec.stops.values():
        if s.lat is None and s.location_type == 0:
            k += 1
            s.lat, s.lon = round(base_lat + 0.1 * k, 7), base_lon
    for s in spec.stops.values():
        if s.location_type == 1:
            kids = [c for c in spec.stops.values() if c.parent == s.stop_id]
            if not kids:
                raise DslError(f"station {s.stop_id} has no platforms")
            s.lat = round(sum(c.lat for c in kids) / len(kids), 7)  # type: ignore[misc]
            s.lon = round(sum(c.lon for c in kids) / len(kids), 7)  # type: ignore[misc]


def _hms(t: int) -> str:
    return f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"


def write_feed(path: Path, spec: FeedSpec, dates: list[str], timezone: str) -> Path:
    """Write ``spec`` as a GTFS zip; the default service runs on ``dates`` (YYYYMMDD)."""
    from ..sample._zip import write_csv_zip

    place_stops(spec)
    files: dict = {
        "agency.txt": (["agency_id", "agency_name", "agency_url", "agency_timezone"],
                       [["A", "Test agency", "https://example.invalid/", timezone]]),
        "stops.txt": (["stop_id", "stop_name", "stop_lat", "stop_lon", "location_type",
                       "parent_station", "platform_code"],
                      [[s.stop_id, s.name, f"{s.lat:.7f}", f"{s.lon:.7f}", s.location_type,
                        s.parent, s.platform_code] for s in spec.stops.values()]),
        "routes.txt": (["route_id", "agency_id", "route_short_name", "route_long_name",
                        "route_type"],
                       [[r, "A", r, name, rtype] for r, (rtype, name) in spec.routes.items()]),
        "trips.txt": (["route_id", "service_id", "trip_id", "trip_headsign"],
                      [[t.route_id, t.service_id, t.trip_id, t.headsign] for t in spec.trips]),
        "stop_times.txt": (["trip_id", "arrival_time", "departure_time", "stop_id",
                            "stop_sequence", "pickup_type", "drop_off_type"],
                           [[t.trip_id, _hms(t.arr[p]), _hms(t.dep[p]), t.stop_ids[p], p + 1,
                             t.pickup[p], t.drop_off[p]]
                            for t in spec.trips for p in range(len(t.stop_ids))]),
    }
    used = {t.service_id for t in spec.trips}
    declared = set(spec.calendars) | {d[0] for d in spec.dates}
    for sid in sorted(used - declared - {DEFAULT_SERVICE}):
        raise DslError(f"service {sid!r} is used by a trip but has no calendar or dates line")
    cd = list(spec.dates)
    if DEFAULT_SERVICE in used and DEFAULT_SERVICE not in declared:
        cd = [(DEFAULT_SERVICE, d, 1) for d in dates] + cd
    if spec.calendars:
        files["calendar.txt"] = (
            ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
             "sunday", "start_date", "end_date"],
            [[sid, *days, start, end] for sid, (days, start, end) in spec.calendars.items()])
    if cd:
        files["calendar_dates.txt"] = (["service_id", "date", "exception_type"],
                                       [list(r) for r in cd])
    if spec.transfers:
        files["transfers.txt"] = (["from_stop_id", "to_stop_id", "transfer_type",
                                   "min_transfer_time"],
                                  [[a, b, t, "" if s is None else s]
                                   for a, b, t, s in spec.transfers])
    freq = [t for t in spec.trips if t.frequency]
    if freq:
        files["frequencies.txt"] = (["trip_id", "start_time", "end_time", "headway_secs",
                                     "exact_times"],
                                    [[t.trip_id, _hms(t.frequency[0]), _hms(t.frequency[1]),
                                      t.frequency[2], t.frequency[3]] for t in freq])
    return write_csv_zip(path, files)
