"""GTFS feed of the built-in sample: the Briqueville network (tram, metro, buses, night bus).

Timetables are generated from headway tables and per-mode run-time rules, so the feed is
deterministic and realistic: dwell times on rail, minute-rounded bus times that are slower at
peak hours, weekday/Saturday/Sunday services, French public holidays, one line defined by
frequencies, a night bus running past midnight, station interchanges with transfer rules.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
from pathlib import Path

from . import city
from ._zip import write_csv_zip

AGENCY_ID = "BRQ"
TIMEZONE = "Europe/Paris"
START_DATE = dt.date(2026, 1, 1)
END_DATE = dt.date(2026, 12, 31)
SERVICES = {"SEM": "1111100", "SAM": "0000010", "DIM": "0000001"}
#: French public holidays of 2026: Sunday service runs instead of the usual one.
HOLIDAYS = (
    dt.date(2026, 1, 1), dt.date(2026, 4, 6), dt.date(2026, 5, 1), dt.date(2026, 5, 8),
    dt.date(2026, 5, 14), dt.date(2026, 5, 25), dt.date(2026, 7, 14), dt.date(2026, 8, 15),
    dt.date(2026, 11, 1), dt.date(2026, 11, 11), dt.date(2026, 12, 25),
)

H = 3600
# Headway tables: service -> [(first departure, end (exclusive), headway s)].
_TRAM = {
    "SEM": [(5 * H, 6 * H + 1800, 900), (6 * H + 1800, 9 * H, 360), (9 * H, 16 * H, 480),
            (16 * H, 19 * H + 1800, 360), (19 * H + 1800, 21 * H, 600), (21 * H, 24 * H + 1, 900)],
    "SAM": [(5 * H + 1800, 24 * H + 1, 600)],
    "DIM": [(7 * H, 24 * H + 1, 900)],
}
_METRO = {
    "SEM": [(5 * H + 1800, 7 * H, 480), (7 * H, 9 * H + 1800, 240), (9 * H + 1800, 16 * H + 1800, 360),
            (16 * H + 1800, 19 * H + 1800, 240), (19 * H + 1800, 24 * H + 1801, 600)],
    "SAM": [(5 * H + 1800, 24 * H + 1801, 480)],
    "DIM": [(7 * H, 24 * H + 1801, 600)],
}
_BUS = {
    "SEM": [(6 * H, 7 * H, 1200), (7 * H, 9 * H, 600), (9 * H, 16 * H + 1800, 900),
            (16 * H + 1800, 19 * H, 600), (19 * H, 21 * H + 1, 1200)],
    "SAM": [(7 * H, 20 * H + 1, 1200)],
    "DIM": [(9 * H, 19 * H + 1, 1800)],
}
#: Line B4 is published as frequencies.txt (exact_times=0): service -> [(start, end, headway)].
_B4_FREQ = {
    "SEM": [(7 * H, 9 * H + 1800, 480), (9 * H + 1800, 16 * H + 1800, 600),
            (16 * H + 1800, 20 * H, 480)],
    "SAM": [(9 * H, 19 * H, 900)],
}
#: Night bus N1 departures from each terminus (direction 0, direction 1), SEM and SAM nights.
_N1_DEPS = ([23 * H + 1800, 24 * H, 24 * H + 1800, 25 * H, 25 * H + 1800],
            [23 * H + 2700, 24 * H + 900, 24 * H + 2700, 25 * H + 900])
#: Phase shift (s) of each line's timetable, so that lines do not all leave on the hour.
_PHASE = {"T1": 0, "MA": 60, "B2": 120, "B3": 300, "B5": 420}


@functools.lru_cache(maxsize=None)
def _fmt(t: int) -> str:
    return f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"


def _run_s(kind: str, dist_m: float, peak: bool) -> int:
    """Run time between two stops: cruise + acceleration, rounded like real timetables."""
    if kind == "T":
        return int(math.ceil((dist_m / 8.5 + 20) / 10.0)) * 10
    if kind == "M":
        return int(math.ceil((dist_m / 15.0 + 25) / 5.0)) * 5
    raw = (dist_m / 7.0 + 25) * (1.2 if peak else 1.0)
    return max(60, int((raw + 30) // 60) * 60)


_DWELL_S = {"T": 20, "M": 25, "B": 0}


def _departures(table: list[tuple[int, int, int]], phase: int) -> list[int]:
    out: list[int] = []
    for start, end, headway in table:
        t = start + phase
        while t < end + phase:
            out.append(t)
            t += headway
    return out


def _is_peak(service: str, t: int) -> bool:
    return service == "SEM" and (7 * H <= t < 9 * H or 16 * H + 1800 <= t < 19 * H)


class _Writer:
    """Collects CSV rows per GTFS file and writes them to a deterministic zip."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[list[str], list[list[object]]]] = {}

    def table(self, name: str, header: list[str]) -> list[list[object]]:
        rows: list[list[object]] = []
        self.files[name] = (header, rows)
        return rows

    def write_zip(self, path: Path) -> None:
        write_csv_zip(path, self.files)


def _static_tables(w: _Writer, stops: list[city.StopDef],
                   stop_index: dict[tuple[str, city.Point], str]) -> None:
    w.table("agency.txt", ["agency_id", "agency_name", "agency_url", "agency_timezone",
                           "agency_lang", "agency_phone"]).append(
        [AGENCY_ID, "Briqueville Mobilités", "https://mobilites.briqueville.example/", TIMEZONE,
         "fr", "02 00 00 00 00"])
    w.table("feed_info.txt", ["feed_publisher_name", "feed_publisher_url", "feed_lang",
                              "feed_start_date", "feed_end_date", "feed_version"]).append(
        ["Brique (invented sample data)", "https://brique.example/", "fr",
         START_DATE.strftime("%Y%m%d"), END_DATE.strftime("%Y%m%d"), "briqueville-2026.1"])
    rows = w.table("stops.txt", ["stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon",
                                 "location_type", "parent_station", "wheelchair_boarding",
                                 "platform_code"])
    for st in city.STATIONS:
        lat, lon = city.grid_latlon(st.point)
        rows.append([st.station_id, "", st.name, f"{lat:.7f}", f"{lon:.7f}", 1, "", 1, ""])
    for s in stops:
        lat, lon = city.to_latlon(*city.stop_xy(s))
        wheelchair = 1 if s.kind != "B" or int(s.code) % 3 else 2
        rows.append([s.stop_id, s.code, s.name, f"{lat:.7f}", f"{lon:.7f}", 0, s.parent,
                     wheelchair, s.platform_code])
    rows = w.table("routes.txt", ["route_id", "agency_id", "route_short_name", "route_long_name",
                                  "route_type", "route_color", "route_text_color",
                                  "route_sort_order"])
    for i, line in enumerate(city.LINES):
        rows.append([line.route_id, AGENCY_ID, line.short_name, line.long_name, line.route_type,
                     line.color, line.text_color, i + 1])
    rows = w.table("calendar.txt", ["service_id", "monday", "tuesday", "wednesday", "thursday",
                                    "friday", "saturday", "sunday", "start_date", "end_date"])
    for sid, days in SERVICES.items():
        rows.append([sid, *days, START_DATE.strftime("%Y%m%d"), END_DATE.strftime("%Y%m%d")])
    rows = w.table("calendar_dates.txt", ["service_id", "date", "exception_type"])
    for day in HOLIDAYS:
        usual = "SEM" if day.weekday() < 5 else "SAM" if day.weekday() == 5 else None
        if usual is None:
            continue
        rows.append([usual, day.strftime("%Y%m%d"), 2])
        rows.append(["DIM", day.strftime("%Y%m%d"), 1])
    rows = w.table("transfers.txt", ["from_stop_id", "to_stop_id", "transfer_type",
                                     "min_transfer_time"])
    for a, b, secs in (("HDV_T", "HDV_M", 180), ("GARE_T", "GARE_B", 240),
                       ("BELV_M", "BELV_B", 150)):
        rows.append([a, b, 2, secs])
        rows.append([b, a, 2, secs])
    rows.append(["GARE_B", "GARE_B", 2, 300])  # busy bus station: 5 min to change buses
    # Les Vignes: the passage from the bus stop down to the metro is closed (type 3).
    rows.append([stop_index[("B", (0, -6))], stop_index[("M", (0, -6))], 3, ""])


def _line_geometry(line: city.LineDef, reverse: bool) -> tuple[list[city.Point], list[float],
                                                                 list[city.Point], list[float]]:
    """Path points with distances, and the line's stop points with their path distances."""
    corners = tuple(reversed(line.corners)) if reverse else line.corners
    stops = list(reversed(line.stops)) if reverse else list(line.stops)
    pts = city.path_points(corners)
    dists = city.path_distances(pts)
    at = {p: d for p, d in zip(pts, dists)}
    return pts, dists, stops, [at[p] for p in stops]


def write_gtfs(path: Path) -> None:
    """Write the Briqueville GTFS zip to ``path`` (same bytes on every call)."""
    stops, stop_index = city.build_stops()
    w = _Writer()
    _static_tables(w, stops, stop_index)
    trips = w.table("trips.txt", ["route_id", "service_id", "trip_id", "trip_headsign",
                                  "direction_id", "shape_id", "wheelchair_accessible"])
    times = w.table("stop_times.txt", ["trip_id", "arrival_time", "departure_time", "stop_id",
                                       "stop_sequence", "pickup_type", "drop_off_type",
                                       "shape_dist_traveled"])
    shapes = w.table("shapes.txt", ["shape_id", "shape_pt_lat", "shape_pt_lon",
                                    "shape_pt_sequence", "shape_dist_traveled"])
    freqs = w.table("frequencies.txt", ["trip_id", "start_time", "end_time", "headway_secs",
                                        "exact_times"])
    names = {s.stop_id: s.name for s in stops}
    for line in city.LINES:
        for direction in (0, 1):
            pts, pdist, stop_pts, sdist = _line_geometry(line, reverse=direction == 1)
            shape_id = f"{line.route_id}_{direction}"
            for seq, (p, d) in enumerate(zip(pts, pdist), start=1):
                lat, lon = city.grid_latlon(p)
                shapes.append([shape_id, f"{lat:.7f}", f"{lon:.7f}", seq, f"{d:.1f}"])
            stop_ids = [stop_index[(line.kind, p)] for p in stop_pts]
            headsign = names[stop_ids[-1]]
            for service, t0, template in _trip_starts(line, direction):
                suffix = "F" if template else f"{t0 // 3600:02d}{t0 // 60 % 60:02d}"
                trip_id = f"{line.route_id}-{service}-{direction}-{suffix}"
                trips.append([line.route_id, service, trip_id, headsign, direction, shape_id, 1])
                _append_stop_times(times, line, trip_id, service, t0, stop_ids, sdist, direction)
                if template:
                    for start, end, headway in _B4_FREQ[service]:
                        freqs.append([trip_id, _fmt(start), _fmt(end), headway, 0])
    w.write_zip(path)


def _trip_starts(line: city.LineDef, direction: int) -> list[tuple[str, int, bool]]:
    """(service, first departure, is frequency template) for every trip of a line direction."""
    if line.route_id == "B4":
        return [(svc, table[0][0], True) for svc, table in _B4_FREQ.items()]
    if line.route_id == "N1":
        return [(svc, t, False) for svc in ("SEM", "SAM") for t in _N1_DEPS[direction]]
    table = {"T": _TRAM, "M": _METRO}.get(line.kind, _BUS)
    phase = _PHASE[line.route_id] + (150 if direction else 0)
    return [(svc, t, False) for svc in SERVICES for t in _departures(table[svc], phase)]


def _append_stop_times(rows: list[list[object]], line: city.LineDef, trip_id: str, service: str,
                       t0: int, stop_ids: list[str], sdist: list[float], direction: int) -> None:
    dwell = _DWELL_S[line.kind]
    peak = _is_peak(service, t0)
    n = len(stop_ids)
    t = t0
    for i, sid in enumerate(stop_ids):
        if i:
            t += _run_s(line.kind, sdist[i] - sdist[i - 1], peak)
        arr = t
        if 0 < i < n - 1:
            t += dwell
        pickup = 1 if i == n - 1 else 0
        drop_off = 1 if i == 0 else 0
        if line.route_id == "N1" and direction == 0 and i >= 3:
            pickup = 1  # the night bus only sets down once it has left the centre
        rows.append([trip_id, _fmt(arr), _fmt(t), sid, i + 1, pickup, drop_off, f"{sdist[i]:.1f}"])
