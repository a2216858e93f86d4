"""A national-size GTFS timetable made from the real shared feeds (issue 12).

Why: no national feed can be fetched here, yet the build, the bundle and the router must be
proven at Germany scale (about 30 million stop_times). This generator writes one GTFS folder of
about N stop_times:

- **regional lines**: copies of the SNCF TER feeds (2025 and 2019), at their real French
  coordinates, each copy with its own ids and its times shifted, so that they connect the
  cities below as long-distance lines;
- **cities**: copies of the real city feeds (Strasbourg, New York, Washington, Tampa ...), each
  translated so that its busiest stop lands ``ANCHOR_OFFSET_M`` from a busy TER station (the
  busiest stations first, at least ``MIN_CENTRE_SPACING_KM`` apart): the city's hub is a short
  walk from its station, as in a real city; ids made unique per copy, times shifted;
- **transfers.txt**: walking transfers (type 2, walk time + 60 s) between stops of different
  copies within ``TRANSFER_RADIUS_M`` (where copies touch, and between a city and its station);
- **one year of calendar**: each source service becomes a weekly pattern (the weekdays on which
  it ran on at least a third of the source period) over 2026, with calendar_dates removing
  weekday services and adding Sunday services on French public holidays.

Deterministic for a seed; streaming: one copy at a time is transformed and appended to the CSV
files, so memory is bounded by the largest source feed plus the stop coordinates (for the
transfers), never by N. Sources are read once with the engine's own loader (cleaned, frequencies
expanded) and cached for the run.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

#: City feeds copied across the country (paths under the shared data folder).
CITY_FEEDS = (
    "gtfs-fr-strasbourg-cts/google_transit.zip",
    "gtfs-us-nyc-subway/nyc_subway.zip",
    "gtfs-us-tampa-hart/hart.zip",
    "gtfs-us-wmata-rail/wmata.zip",
    "gtfs-us-sacramento-rt/google_transit.zip",
    "gtfs-br-porto-alegre/poa_eptc.zip",
    "gtfs-br-porto-alegre/poa_trensurb.zip",
    "gtfs-us-bart/bart-new.zip",
    "gtfs-us-seattle-area/seattle-area-2017-11-16.zip",
    "gtfs-de-rhein-neckar-vrn/vrn_gtfs_cut.zip",
    "gtfs-us-portland-trimet/trimet-2routes.zip",
    "gtfs-au-cairns/cairns_gtfs.zip",
    "gtfs-no-trondheim-atb/region-nord-v2.zip",
    "gtfs-de-berlin-subset/ber_gtfs.zip",
    "gtfs-us-caltrain/caltrain.zip",
)
#: Regional rail copied at its real coordinates (the long-distance lines between the cities).
TER_FEEDS = ("gtfs-fr-sncf-ter-2025/export-ter-gtfs-last.zip",
             "gtfs-fr-sncf-ter-2019/export-ter-gtfs-last.zip")
TER_SHARE = 0.08               # share of N given to regional rail (Germany: a few percent)
MIN_CENTRE_SPACING_KM = 15.0
ANCHOR_OFFSET_M = 80.0
TRANSFER_RADIUS_M = 300.0
TRANSFERS_PER_STOP = 3
YEAR = 2026
#: French public holidays of 2026 (calendar_dates exceptions).
HOLIDAYS = tuple(dt.date(YEAR, m, d) for m, d in
                 ((1, 1), (4, 6), (5, 1), (5, 8), (5, 14), (5, 25), (7, 14), (8, 15), (11, 1),
                  (11, 11), (12, 25)))
TIMEZONE = "Europe/Paris"
_M_PER_DEG = 111_195.0
_EPOCH = dt.date(1970, 1, 1)


# --------------------------------------------------------------------------- sources
@dataclass
class Source:
    """One real feed, loaded once with the engine's loader, reduced to what a copy needs."""

    path: str
    staged: object                       # StagedTimetable
    weekly: np.ndarray                   # bool [n_services, 7] Monday first
    trip_ok: np.ndarray                  # bool [n_trips]: its service has a weekly pattern
    centre: tuple[float, float]          # (lat, lon) of its busiest stop (the anchor)
    n_stop_times: int = field(init=False)

    def __post_init__(self) -> None:
        counts = np.diff(np.asarray(self.staged.trip_offsets, np.int64))
        self.n_stop_times = int(counts[self.trip_ok].sum())


def _weekly_pattern(service_days: np.ndarray, period_start: dt.date) -> np.ndarray:
    """Weekdays on which each service ran on at least a third of their dates (at least its
    busiest weekday when it ran at all): a source period of weeks becomes a weekly timetable."""
    n_services, n_days = service_days.shape
    out = np.zeros((n_services, 7), bool)
    if n_days == 0:
        return out
    dow = (np.arange(n_days) + period_start.weekday()) % 7
    share = np.zeros((n_services, 7))
    for w in range(7):
        cols = dow == w
        if cols.any():
            share[:, w] = service_days[:, cols].mean(axis=1)
    out = share >= 1 / 3
    ran = service_days.any(axis=1) & ~out.any(axis=1)
    out[ran, np.argmax(share[ran], axis=1)] = True
    return out


def load_source(data_dir: Path, rel: str) -> Source:
    from engine.loaders.gtfs import load_gtfs

    path = data_dir / rel
    if not path.is_file():
        raise FileNotFoundError(f"shared GTFS feed {path} is absent (set BRIQUE_DATA)")
    staged = load_gtfs([("src", str(path))])
    weekly = _weekly_pattern(staged.service_days, staged.period_start)
    service = staged.trips.column("service_idx").to_numpy()
    trip_ok = weekly.any(axis=1)[service] if len(service) else np.zeros(0, bool)
    lat = staged.stops.column("lat").to_numpy()
    lon = staged.stops.column("lon").to_numpy()
    calls = np.bincount(staged.st_stop_idx, minlength=len(lat))
    calls[~(np.isfinite(lat) & np.isfinite(lon))] = -1
    busiest = int(np.argmax(calls)) if len(calls) else 0
    centre = (float(lat[busiest]), float(lon[busiest])) if len(calls) and calls[busiest] >= 0 \
        else (0.0, 0.0)
    return Source(rel, staged, weekly, trip_ok, centre)


# --------------------------------------------------------------------------- helpers
def _hms(seconds: np.ndarray) -> pa.Array:
    """int seconds (0 .. 99:59:59) -> "HH:MM:SS" strings, built from bytes without Python rows."""
    s = np.asarray(seconds, np.int64)
    n = len(s)
    digits = np.empty((n, 8), np.uint8)
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    for col, v in ((0, h // 10), (1, h % 10), (3, m // 10), (4, m % 10), (6, sec // 10), (7, sec % 10)):
        digits[:, col] = 48 + v
    digits[:, 2] = digits[:, 5] = ord(":")
    offsets = np.arange(0, 8 * n + 1, 8, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(digits.tobytes())])


def _ids(prefix: str, idx: np.ndarray) -> pa.Array:
    """"<prefix><int>" per value: compact ids, unique per copy."""
    text = pc.cast(pa.array(np.asarray(idx, np.int64)), pa.string())
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


def _ids_or_empty(prefix: str, idx: np.ndarray) -> pa.Array:
    ids = _ids(prefix, np.maximum(idx, 0))
    return pc.if_else(pa.array(np.asarray(idx) >= 0), ids, pa.scalar(""))


def _translate(lat: np.ndarray, lon: np.ndarray, src: tuple[float, float],
               dst: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Move points so that ``src`` lands on ``dst``, keeping metric distances (local plane)."""
    dx = (lon - src[1]) * math.cos(math.radians(src[0]))
    dy = lat - src[0]
    new_lat = dst[0] + dy
    return new_lat, dst[1] + dx / np.cos(np.radians(new_lat))


class _Csv:
    """One GTFS file written table by table (header once)."""

    def __init__(self, path: Path, schema: pa.Schema, quote: bool = True):
        self.sink = pa.OSFile(str(path), "wb")
        opts = pacsv.WriteOptions(quoting_style="needed" if quote else "none")
        self.writer = pacsv.CSVWriter(self.sink, schema, write_options=opts)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self.writer.close()
        self.sink.close()


def _schema(*names: str) -> pa.Schema:
    return pa.schema([(n, pa.string()) for n in names])


# --------------------------------------------------------------------------- the generator
@dataclass
class Copy:
    """One placed copy of a source feed."""

    key: str                 # id prefix, e.g. "c12" (city) or "t1" (regional rail)
    source: str
    region: str
    shift_s: int
    stop_times: int
    trips: int
    stops: int


@dataclass
class Result:
    out: Path
    stop_times: int
    copies: list[Copy]
    transfers: int
    seconds: float

    def summary(self) -> dict:
        return {"stop_times": self.stop_times, "copies": len(self.copies),
                "transfers": self.transfers, "seconds": round(self.seconds, 2),
                "city_copies": sum(c.key.startswith("c") for c in self.copies),
                "rail_copies": sum(c.key.startswith("t") for c in self.copies)}


class _Writer:
    """The open GTFS files and the stop coordinates kept for transfers.txt."""

    def __init__(self, out: Path):
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.agency = _Csv(out / "agency.txt", _schema("agency_id", "agency_name", "agency_url",
                                                       "agency_timezone"))
        self.stops = _Csv(out / "stops.txt", _schema("stop_id", "stop_name", "stop_lat", "stop_lon",
                                                     "location_type", "parent_station"))
        self.routes = _Csv(out / "routes.txt", _schema("route_id", "agency_id", "route_short_name",
                                                       "route_long_name", "route_type"))
        self.trips = _Csv(out / "trips.txt", _schema("route_id", "service_id", "trip_id",
                                                     "trip_headsign", "direction_id"))
        self.stop_times = _Csv(out / "stop_times.txt",
                               _schema("trip_id", "arrival_time", "departure_time", "stop_id",
                                       "stop_sequence", "pickup_type", "drop_off_type"), quote=False)
        self.calendar = _Csv(out / "calendar.txt", _schema(
            "service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
            "sunday", "start_date", "end_date"), quote=False)
        self.calendar_dates = _Csv(out / "calendar_dates.txt",
                                   _schema("service_id", "date", "exception_type"), quote=False)
        self.stop_ids: list[pa.Array] = []
        self.stop_lat: list[np.ndarray] = []
        self.stop_lon: list[np.ndarray] = []
        self.stop_copy: list[np.ndarray] = []

    def close(self) -> None:
        for f in (self.agency, self.stops, self.routes, self.trips, self.stop_times, self.calendar,
                  self.calendar_dates):
            f.close()

    def write_copy(self, number: int, key: str, src: Source, trips: np.ndarray, shift_s: int,
                   centre: tuple[float, float] | None, region: str) -> Copy:
        """Append copy ``key`` of ``src`` restricted to staged trips ``trips`` (sorted)."""
        tt = src.staged
        prefix = key + "_"
        stops = tt.stops
        lat = stops.column("lat").to_numpy().copy()
        lon = stops.column("lon").to_numpy().copy()
        if centre is not None:
            lat, lon = _translate(lat, lon, src.centre, centre)
        lat = np.where(np.isfinite(lat), lat, centre[0] if centre else 46.5)
        lon = np.where(np.isfinite(lon), lon, centre[1] if centre else 2.5)
        n_stops = stops.num_rows
        stop_ids = _ids(prefix + "s", np.arange(n_stops))
        loc = stops.column("location_type").to_numpy().astype(np.int64)
        loc = np.where((loc >= 0) & (loc <= 4), loc, 0)
        parent = stops.column("parent_idx").to_numpy().astype(np.int64)
        names = pc.if_else(pc.equal(pc.binary_length(stops.column("name")), 0),
                           pa.scalar(f"Stop {key}"), stops.column("name"))
        self.stops.write(pa.table({
            "stop_id": stop_ids, "stop_name": names,
            "stop_lat": pc.cast(pa.array(np.round(lat, 6)), pa.string()),
            "stop_lon": pc.cast(pa.array(np.round(lon, 6)), pa.string()),
            "location_type": pc.cast(pa.array(loc), pa.string()),
            "parent_station": _ids_or_empty(prefix + "s", parent)}))
        platform = loc == 0
        self.stop_ids.append(stop_ids.filter(pa.array(platform)))
        self.stop_lat.append(lat[platform])
        self.stop_lon.append(lon[platform])
        self.stop_copy.append(np.full(int(platform.sum()), number, np.int32))

        agency_id = f"A{key}"
        self.agency.write(pa.table({"agency_id": [agency_id],
                                    "agency_name": [f"{Path(src.path).parent.name} {region}"],
                                    "agency_url": ["https://example.org/"],
                                    "agency_timezone": [TIMEZONE]}))
        routes = tt.routes
        self.routes.write(pa.table({
            "route_id": _ids(prefix + "r", np.arange(routes.num_rows)),
            "agency_id": pa.array([agency_id] * routes.num_rows, pa.string()),
            "route_short_name": routes.column("short_name").cast(pa.string()),
            "route_long_name": routes.column("long_name").cast(pa.string()),
            "route_type": pc.cast(routes.column("route_type"), pa.string())}))

        trip_tab = tt.trips.take(pa.array(trips))
        service = trip_tab.column("service_idx").to_numpy()
        used_services = np.unique(service)
        direction = trip_tab.column("direction_id").to_numpy().astype(np.int64)
        self.trips.write(pa.table({
            "route_id": _ids(prefix + "r", trip_tab.column("route_idx").to_numpy()),
            "service_id": _ids(prefix + "v", service),
            "trip_id": _ids(prefix + "t", trips),
            "trip_headsign": trip_tab.column("headsign").cast(pa.string()),
            "direction_id": pc.if_else(pa.array((direction == 0) | (direction == 1)),
                                       pc.cast(pa.array(direction), pa.string()), pa.scalar(""))}))
        self._write_calendar(prefix, src.weekly, used_services)

        offsets = np.asarray(tt.trip_offsets, np.int64)
        counts = offsets[trips + 1] - offsets[trips]
        rows = np.repeat(offsets[trips] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + \
            np.arange(int(counts.sum()))
        trip_of_row = np.repeat(trips, counts)
        seq = tt.st_seq[rows] if len(tt.st_seq) == len(tt.st_stop_idx) else \
            np.arange(len(rows)) - np.repeat(np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        chunk = 2_000_000
        for a in range(0, len(rows), chunk):
            r = rows[a:a + chunk]
            self.stop_times.write(pa.table({
                "trip_id": _ids(prefix + "t", trip_of_row[a:a + chunk]),
                "arrival_time": _hms(tt.st_arr[r].astype(np.int64) + shift_s),
                "departure_time": _hms(tt.st_dep[r].astype(np.int64) + shift_s),
                "stop_id": _ids(prefix + "s", tt.st_stop_idx[r]),
                "stop_sequence": pc.cast(pa.array(seq[a:a + chunk].astype(np.int64)), pa.string()),
                "pickup_type": pc.cast(pa.array(tt.st_pickup[r].astype(np.int64)), pa.string()),
                "drop_off_type": pc.cast(pa.array(tt.st_dropoff[r].astype(np.int64)), pa.string())}))
        return Copy(key, src.path, region, shift_s, len(rows), len(trips), n_stops)

    def _write_calendar(self, prefix: str, weekly: np.ndarray, services: np.ndarray) -> None:
        flags = weekly[services]
        ids = _ids(prefix + "v", services)
        cols = {"service_id": ids}
        for w, day in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                 "sunday")):
            cols[day] = pa.array(np.where(flags[:, w], "1", "0"))
        n = len(services)
        cols["start_date"] = pa.array([f"{YEAR}0101"] * n, pa.string())
        cols["end_date"] = pa.array([f"{YEAR}1231"] * n, pa.string())
        self.calendar.write(pa.table(cols))
        # holidays: working-day services do not run, Sunday services do
        weekday_only = flags[:, :5].any(axis=1) & ~flags[:, 6]
        sunday = flags[:, 6] & ~flags[:, :5].any(axis=1)
        sid, date, kind = [], [], []
        for day in HOLIDAYS:
            w = day.weekday()
            off = np.flatnonzero(weekday_only & flags[:, w])
            on = np.flatnonzero(sunday & ~flags[:, w])
            for sel, k in ((off, "2"), (on, "1")):
                if len(sel):
                    sid.append(ids.take(pa.array(sel)))
                    date.append(pa.array([day.strftime("%Y%m%d")] * len(sel), pa.string()))
                    kind.append(pa.array([k] * len(sel), pa.string()))
        if sid:
            self.calendar_dates.write(pa.table({"service_id": pa.concat_arrays(sid),
                                                "date": pa.concat_arrays(date),
                                                "exception_type": pa.concat_arrays(kind)}))

    def write_transfers(self) -> int:
        """Type-2 walking transfers between stops of different copies that are close."""
        from scipy.spatial import cKDTree

        lat = np.concatenate(self.stop_lat)
        lon = np.concatenate(self.stop_lon)
        copy = np.concatenate(self.stop_copy)
        ids = pa.concat_arrays(self.stop_ids) if self.stop_ids else pa.array([], pa.string())
        xy = np.column_stack([lat * _M_PER_DEG, lon * _M_PER_DEG * np.cos(np.radians(lat))])
        pairs = cKDTree(xy).query_pairs(TRANSFER_RADIUS_M, output_type="ndarray") if len(xy) > 1 \
            else np.empty((0, 2), np.int64)
        a, b = pairs[:, 0], pairs[:, 1]
        keep = copy[a] != copy[b]
        a, b = a[keep], b[keep]
        a, b = np.concatenate([a, b]), np.concatenate([b, a])
        dist = np.hypot(*(xy[a] - xy[b]).T)
        order = np.lexsort((b, dist, a))
        a, b, dist = a[order], b[order], dist[order]
        first = np.searchsorted(a, a, side="left")
        keep = (np.arange(len(a)) - first) < TRANSFERS_PER_STOP
        a, b, dist = a[keep], b[keep], dist[keep]
        # a pair kept for one of its stops is kept both ways (walks are symmetric)
        pair = np.unique(np.column_stack([np.minimum(a, b), np.maximum(a, b)]), axis=0)
        a, b = np.concatenate([pair[:, 0], pair[:, 1]]), np.concatenate([pair[:, 1], pair[:, 0]])
        order = np.lexsort((b, a))
        a, b = a[order], b[order]
        dist = np.hypot(*(xy[a] - xy[b]).T)
        seconds = (np.ceil(dist / 1.33) + 60).astype(np.int64)
        f = _Csv(self.out / "transfers.txt", _schema("from_stop_id", "to_stop_id", "transfer_type",
                                                     "min_transfer_time"), quote=False)
        f.write(pa.table({"from_stop_id": ids.take(pa.array(a)), "to_stop_id": ids.take(pa.array(b)),
                          "transfer_type": pa.array(["2"] * len(a), pa.string()),
                          "min_transfer_time": pc.cast(pa.array(seconds), pa.string())}))
        f.close()
        return len(a)


def _centres(ter: Source) -> list[tuple[str, float, float]]:
    """Busy TER stations (name, lat, lon), busiest first, at least MIN_CENTRE_SPACING_KM apart."""
    tt = ter.staged
    parent = tt.stops.column("parent_idx").to_numpy()
    stop = np.asarray(tt.st_stop_idx)
    station = np.where(parent[stop] >= 0, parent[stop], stop)
    counts = np.bincount(station, minlength=tt.stops.num_rows)
    lat = tt.stops.column("lat").to_numpy()
    lon = tt.stops.column("lon").to_numpy()
    names = tt.stops.column("name").to_pylist()
    order = np.lexsort((np.arange(len(counts)), -counts))
    chosen: list[tuple[str, float, float]] = []
    for s in order:
        if counts[s] == 0:
            break
        if not (np.isfinite(lat[s]) and np.isfinite(lon[s])):
            continue
        if not (41.0 <= lat[s] <= 51.5 and -5.5 <= lon[s] <= 9.8):
            continue                                   # cross-border stops stay out
        if all(_km(lat[s], lon[s], la, lo) >= MIN_CENTRE_SPACING_KM for _, la, lo in chosen):
            chosen.append((names[s], float(lat[s]), float(lon[s])))
    return chosen


def _km(lat1, lon1, lat2, lon2) -> float:
    dx = (lon1 - lon2) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, lat1 - lat2) * _M_PER_DEG / 1000


def _pick_trips(rng: np.random.Generator, src: Source, budget: int) -> np.ndarray:
    """All usable trips of the source, or a seeded random subset of about ``budget`` stop times."""
    ok = np.flatnonzero(src.trip_ok)
    if src.n_stop_times <= budget:
        return ok
    counts = np.diff(np.asarray(src.staged.trip_offsets, np.int64))[ok]
    perm = rng.permutation(len(ok))
    take = int(np.searchsorted(np.cumsum(counts[perm]), budget)) + 1
    return np.sort(ok[perm[:take]])


def generate(out: str | os.PathLike, stop_times: int, seed: int = 0, *,
             data_dir: str | os.PathLike | None = None,
             city_feeds: tuple[str, ...] = CITY_FEEDS, ter_feeds: tuple[str, ...] = TER_FEEDS,
             progress=None) -> Result:
    """Write a national GTFS folder of about ``stop_times`` stop times into ``out``.

    The last copy of each kind is a seeded random subset of its trips, so the total is N up to
    one trip. ``city_feeds`` / ``ter_feeds`` name the sources under ``data_dir`` (default: the
    shared data folder, ``$BRIQUE_DATA``).
    """
    from engine.testing.data import shared_data_dir

    if stop_times <= 0:
        raise ValueError("stop_times must be > 0")
    t0 = time.perf_counter()
    data = Path(data_dir) if data_dir is not None else shared_data_dir()
    out = Path(out)
    rng = np.random.default_rng(seed)
    say = progress or (lambda _msg: None)
    cache: dict[str, Source] = {}

    def source(rel: str) -> Source:
        if rel not in cache:
            cache[rel] = load_source(data, rel)
        return cache[rel]

    writer = _Writer(out)
    copies: list[Copy] = []
    try:
        ter_budget = max(1, round(stop_times * TER_SHARE)) if ter_feeds else 0
        written, k = 0, 0
        while written < ter_budget:
            src = source(ter_feeds[k % len(ter_feeds)])
            shift = (k * 17) % 60 * 60 if k else 0
            trips = _pick_trips(rng, src, ter_budget - written)
            c = writer.write_copy(len(copies), f"t{k}", src, trips, shift, None, "France")
            copies.append(c)
            written += c.stop_times
            k += 1
            say(f"rail copy {c.key} ({c.source}): {c.stop_times:,} stop times, total {written:,}")
        centres = _centres(source(ter_feeds[0])) if ter_feeds else [("Centre", 46.5, 2.5)]
        order = [city_feeds[i] for i in rng.permutation(len(city_feeds))]
        k = 0
        while written < stop_times:
            src = source(order[k % len(order)])
            name, lat, lon = centres[k % len(centres)]
            lap = k // len(centres)                        # more copies than centres: step aside
            centre = (lat + 0.2 * lap + ANCHOR_OFFSET_M / _M_PER_DEG, lon + 0.3 * lap)
            shift = int(rng.integers(0, 46)) * 60
            trips = _pick_trips(rng, src, stop_times - written)
            c = writer.write_copy(len(copies), f"c{k}", src, trips, shift, centre, name)
            copies.append(c)
            written += c.stop_times
            k += 1
            say(f"city copy {c.key} ({c.source} at {name}): {c.stop_times:,} stop times, "
                f"total {written:,}")
        transfers = writer.write_transfers()
    finally:
        writer.close()
    result = Result(out, written, copies, transfers, time.perf_counter() - t0)
    (out / "national.json").write_text(json.dumps(
        {"stop_times_asked": stop_times, "seed": seed, **result.summary(),
         "copies_detail": [c.__dict__ for c in copies]}, indent=1))
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.national timetable --out DIR --stop-times N --seed S``."""
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="python -m benchmarks.national timetable",
                                description="Write a national-size GTFS folder from the shared feeds.")
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--stop-times", type=int, required=True, help="about how many stop_times")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default=None, help="shared data folder (default $BRIQUE_DATA)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.stop_times <= 0:
        p.error("--stop-times must be > 0")
    try:
        res = generate(args.out, args.stop_times, args.seed, data_dir=args.data,
                       progress=None if args.quiet else (lambda m: print(m, flush=True)))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(res.summary()))
    return 0
