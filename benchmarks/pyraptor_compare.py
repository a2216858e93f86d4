"""Brique vs pyraptor 1.3.10 on the same station-to-station queries (one service day).

Installs nothing: expects pyraptor in its own venv (default /work/venvs/pyraptor):
    python -m venv /work/venvs/pyraptor
    /work/venvs/pyraptor/bin/pip install pyraptor==1.3.10 "numpy<2" attrs

pyraptor reads calendar_dates-only feeds and is quadratic when loading, so the feed is first
flattened to the trips of one service day D (the weekday with most trips): calendar_dates.txt
lists each active service once on D, every stop gets a (dummy) parent_station because pyraptor
drops stops without one, and stations are stop names (pyraptor's own grouping, 120 s changes
between platforms of a name). Brique answers the same (name, name, D, time) queries from its
normal bundle of the whole feed (previous-day trips past midnight included, footpaths by
straight-line walks). The script prints per-query times, medians, the ratio and how often both
found the same earliest arrival.

    python benchmarks/pyraptor_compare.py [--feed PATH] [--queries 5] [--seed 3]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.reference.csa import seconds_on_axis  # noqa: E402
from tests.reference.feeds import LARGEST_FEED, cached_bundle, feed_name, hhmmss  # noqa: E402

_DRIVER = r"""
import json, sys, time
from loguru import logger
logger.remove()
import os
from pyraptor.dao.timetable import read_timetable, write_timetable
from pyraptor.gtfs.timetable import read_gtfs_timetable, gtfs_to_pyraptor_timetable
from pyraptor.model.raptor import RaptorAlgorithm, best_stop_at_target_station
folder, date, agencies, queries = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
cache = sys.argv[5]
t0 = time.perf_counter()
if os.path.exists(os.path.join(cache, "timetable.pcl")):
    tt, cached = read_timetable(cache), True
else:
    tt, cached = gtfs_to_pyraptor_timetable(read_gtfs_timetable(folder, date, agencies)), False
    write_timetable(cache, tt)
load_s = time.perf_counter() - t0
out = []
for origin, target, dep in queries:
    t0 = time.perf_counter()
    bag = RaptorAlgorithm(tt).run(tt.stations.get(origin).stops, dep, 5)
    best = best_stop_at_target_station(tt.stations.get_stops(target), bag[5])
    arrival = bag[5][best].earliest_arrival_time if best != 0 else None
    out.append({"seconds": time.perf_counter() - t0, "arrival": arrival})
print(json.dumps({"load_s": load_s, "cached": cached, "queries": out}))
"""


def _read(zf: zipfile.ZipFile, name: str) -> pa.Table | None:
    member = next((m for m in zf.namelist() if m.rsplit("/", 1)[-1] == name), None)
    if member is None:
        return None
    data = zf.read(member)
    first = data.split(b"\n", 1)[0].decode("utf-8-sig").strip().split(",")
    names = [h.strip().strip('"') for h in first]
    opts = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                strings_can_be_null=False)
    return pacsv.read_csv(io.BytesIO(data), convert_options=opts,
                          read_options=pacsv.ReadOptions(column_names=names, skip_rows=1))


def _active_services(cal: pa.Table | None, cd: pa.Table | None, day: dt.date) -> set[str]:
    ymd = day.strftime("%Y%m%d")
    active: set[str] = set()
    if cal is not None:
        weekday = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][day.weekday()]
        for row in cal.to_pylist():
            if row["start_date"] <= ymd <= row["end_date"] and row[weekday] == "1":
                active.add(row["service_id"])
    if cd is not None:
        for row in cd.filter(pc.equal(cd["date"], ymd)).to_pylist():
            (active.add if row["exception_type"] == "1" else active.discard)(row["service_id"])
    return active


def _csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))


def flatten(feed: Path, out: Path) -> tuple[dt.date, list[str]]:
    """Write the one-day, calendar_dates-only copy of ``feed`` that pyraptor can read."""
    zf = zipfile.ZipFile(feed)
    cal, cd = _read(zf, "calendar.txt"), _read(zf, "calendar_dates.txt")
    trips = _read(zf, "trips.txt")
    dates: set[str] = set()
    if cal is not None:
        lo, hi = min(cal["start_date"].to_pylist()), max(cal["end_date"].to_pylist())
        d0, d1 = dt.datetime.strptime(lo, "%Y%m%d").date(), dt.datetime.strptime(hi, "%Y%m%d").date()
        dates |= {(d0 + dt.timedelta(days=i)).strftime("%Y%m%d") for i in range((d1 - d0).days + 1)}
    if cd is not None:
        dates |= set(cd["date"].to_pylist())
    trips_per_service: dict[str, int] = {}
    for s in trips["service_id"].to_pylist():
        trips_per_service[s] = trips_per_service.get(s, 0) + 1
    best, best_n = None, -1
    for ymd in sorted(dates):
        day = dt.datetime.strptime(ymd, "%Y%m%d").date()
        if day.weekday() >= 5:
            continue
        n = sum(trips_per_service.get(s, 0) for s in _active_services(cal, cd, day))
        if n > best_n:
            best, best_n = day, n
    services = _active_services(cal, cd, best)
    out.mkdir(parents=True, exist_ok=True)
    trips = trips.filter(pc.is_in(trips["service_id"], pa.array(sorted(services))))
    n = trips.num_rows
    _csv(pa.table({"route_id": trips["route_id"], "service_id": trips["service_id"],
                   "trip_id": trips["trip_id"], "trip_short_name": [""] * n,
                   "trip_long_name": [""] * n}), out / "trips.txt")
    _csv(pa.table({"service_id": sorted(services), "date": [best.strftime("%Y%m%d")] * len(services),
                   "exception_type": ["1"] * len(services)}), out / "calendar_dates.txt")
    st = _read(zf, "stop_times.txt")
    st = st.filter(pc.is_in(st["trip_id"], trips["trip_id"]))
    _csv(st.select(["trip_id", "stop_sequence", "stop_id", "arrival_time", "departure_time"]),
         out / "stop_times.txt")
    agency = _read(zf, "agency.txt")
    routes = _read(zf, "routes.txt")
    agency_id = agency["agency_id"][0].as_py() if "agency_id" in agency.column_names else "A"
    names = agency["agency_name"].to_pylist()
    _csv(pa.table({"agency_id": [agency_id] * len(names) if "agency_id" not in agency.column_names
                   else agency["agency_id"], "agency_name": names}), out / "agency.txt")
    r_agency = (routes["agency_id"] if "agency_id" in routes.column_names
                else pa.array([agency_id] * routes.num_rows))
    r = routes.num_rows
    _csv(pa.table({"route_id": routes["route_id"], "agency_id": r_agency,
                   "route_short_name": routes["route_short_name"] if "route_short_name" in routes.column_names else [""] * r,
                   "route_long_name": routes["route_long_name"] if "route_long_name" in routes.column_names else [""] * r,
                   "route_type": routes["route_type"]}), out / "routes.txt")
    stops = _read(zf, "stops.txt")
    m = stops.num_rows
    parent = stops["parent_station"].to_pylist() if "parent_station" in stops.column_names else [""] * m
    ids = stops["stop_id"].to_pylist()
    loc = stops["location_type"].to_pylist() if "location_type" in stops.column_names else ["0"] * m
    _csv(pa.table({"stop_id": ids, "stop_name": stops["stop_name"],
                   "parent_station": [p or f"P_{i}" if lt in ("", "0") else p
                                      for p, i, lt in zip(parent, ids, loc)],
                   "platform_code": [""] * m, "stop_code": ["X"] * m}), out / "stops.txt")
    return best, names


def _served_names(folder: Path) -> list[str]:
    st = pacsv.read_csv(folder / "stop_times.txt", convert_options=pacsv.ConvertOptions(
        column_types={"stop_id": pa.string()}))
    stops = pacsv.read_csv(folder / "stops.txt", convert_options=pacsv.ConvertOptions(
        column_types={"stop_id": pa.string()}))
    served = stops.filter(pc.is_in(stops["stop_id"], pc.unique(st["stop_id"])))
    return sorted(set(served["stop_name"].to_pylist()))


def _cache_dir(folder: Path) -> Path:
    """pyraptor's pickled timetable, keyed by the flattened files' content."""
    h = hashlib.sha256()
    for name in ("trips.txt", "stop_times.txt", "stops.txt", "calendar_dates.txt"):
        h.update((folder / name).read_bytes())
    return folder / f"pyraptor-{h.hexdigest()[:12]}"


def main(argv: list[str] | None = None) -> None:
    from engine.testing.data import shared_data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", type=Path, default=shared_data_dir() / LARGEST_FEED)
    ap.add_argument("--queries", type=int, default=5)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--venv", type=Path, default=Path("/work/venvs/pyraptor"))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/brique-pyraptor"))
    args = ap.parse_args(argv)
    python = args.venv / "bin" / "python"
    if not python.is_file():
        sys.exit(f"no pyraptor venv at {args.venv}; see this script's docstring")

    folder = args.workdir / feed_name(args.feed)
    day, agencies = flatten(args.feed, folder)
    names = _served_names(folder)
    rng = np.random.default_rng(args.seed)
    queries = []
    for _ in range(args.queries):
        a, b = rng.choice(len(names), size=2, replace=False)
        queries.append((names[a], names[b], int(rng.integers(7 * 3600, 19 * 3600))))
    print(f"feed {args.feed.name}: day {day}, {len(names)} station names, {len(queries)} queries")

    t0 = time.perf_counter()
    proc = subprocess.run([str(python), "-c", _DRIVER, str(folder), day.strftime("%Y%m%d"),
                           json.dumps(agencies), json.dumps(queries), str(_cache_dir(folder))],
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"pyraptor failed:\n{proc.stderr[-3000:]}")
    theirs = json.loads(proc.stdout.strip().splitlines()[-1])
    (folder / "pyraptor-results.json").write_text(json.dumps({"queries": queries, **theirs}))
    how = "from its joblib cache" if theirs["cached"] else "from GTFS"
    print(f"pyraptor: timetable load {theirs['load_s']:.1f} s ({how}; subprocess total "
          f"{time.perf_counter() - t0:.1f} s)")

    import engine

    net = engine.open(str(cached_bundle([(feed_name(args.feed), args.feed)], feed_name(args.feed))))
    net.plan(queries[0][0], queries[0][1], date=day.isoformat(), time=hhmmss(queries[0][2]))
    ours = []
    for origin, target, dep in queries:
        t0 = time.perf_counter()
        plan = net.plan(origin, target, date=day.isoformat(), time=hhmmss(dep), max_transfers=4)
        seconds = time.perf_counter() - t0
        arrivals = [seconds_on_axis(it.arrival, day) for it in plan.itineraries]
        ours.append({"seconds": seconds, "arrival": min(arrivals) if arrivals else None})

    same = 0
    for q, p, b in zip(queries, theirs["queries"], ours):
        fmt = lambda v: "-" if v is None else hhmmss(v)  # noqa: E731
        same += p["arrival"] == b["arrival"]
        print(f"  {q[0]!r} -> {q[1]!r} at {hhmmss(q[2])}: pyraptor {p['seconds'] * 1e3:9.1f} ms "
              f"arr {fmt(p['arrival'])} | brique {b['seconds'] * 1e3:8.2f} ms arr {fmt(b['arrival'])}")
    med_p = float(np.median([p["seconds"] for p in theirs["queries"]]))
    med_b = float(np.median([b["seconds"] for b in ours]))
    print(f"median per query: pyraptor {med_p * 1e3:.1f} ms, brique {med_b * 1e3:.2f} ms, "
          f"ratio {med_p / med_b:.0f}x; same earliest arrival in {same}/{len(queries)} "
          f"(differences expected: footpaths and previous-day trips differ)")


if __name__ == "__main__":
    main()
