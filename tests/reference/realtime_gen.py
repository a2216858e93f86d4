"""Random GTFS-Realtime TripUpdates from a static timetable, and the same changes applied to a
copy of the static timetable (tests of engine/realtime).

``draw_changes`` picks, from one seeded random draw, trips running on a service day and what
happens to them: delays given as ``delay`` or absolute ``time`` (arrival and/or departure), a
second update later on the trip (so the first delay propagates up to it), NO_DATA (back to the
schedule), SKIPPED stops, cancellations, and ADDED trips. The expected times of each changed
trip are computed here, independently of the engine, with the GTFS-Realtime rules the engine
documents (delay propagates forward until the next update; NO_DATA ends it; SKIPPED keeps the
propagated times but allows neither boarding nor alighting); a draw whose times would decrease
is dropped, so no repair is involved.

``feed_message`` writes the TripUpdates (stop_sequence, stop_id or both; start_date given or
left for the engine to infer), and ``changed_staged`` the static copy: the changed trip no
longer runs on that day (its service minus that day) and a new trip with the new times and
pickup/drop-off runs on that day only; added trips likewise.
"""
from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

NO_PICKUP = 1


@dataclass
class Change:
    kind: str                       # "delay", "cancel", "added"
    trip: int                       # staged trip_idx (the template for "added")
    day: int                        # service day (days after staged.period_start)
    arr: np.ndarray | None = None   # new GTFS times of that day (all positions)
    dep: np.ndarray | None = None
    skipped: np.ndarray | None = None   # bool per position
    stus: list = field(default_factory=list)   # (pos, rel, arr_event, dep_event), event = ("delay"|"time", v)
    stops: np.ndarray | None = None     # added trips: stop_idx per position
    give_start_date: bool = True
    address: str = "seq"            # "seq", "stop", "both"
    trip_id: str = ""


def _trip_rows(staged, t: int) -> slice:
    return slice(int(staged.trip_offsets[t]), int(staged.trip_offsets[t + 1]))


def running_trips(staged, day: int) -> np.ndarray:
    services = staged.trips.column("service_idx").to_numpy()
    return np.flatnonzero(staged.service_days[services, day])


def _propagate(sa, sd, stus, m):
    """Expected times and skipped flags of a trip given its stop time updates (sorted by pos)."""
    arr, dep = sa.astype(np.int64).copy(), sd.astype(np.int64).copy()
    skipped = np.zeros(m, bool)
    by_pos = {s[0]: s for s in stus}
    delay = None
    for pos in range(m):
        s = by_pos.get(pos)
        if s is None:
            if delay is not None:
                arr[pos], dep[pos] = sa[pos] + delay, sd[pos] + delay
            continue
        _, rel, a_ev, d_ev = s
        if rel == "NO_DATA":
            delay = None
            arr[pos], dep[pos] = sa[pos], sd[pos]
            continue
        if rel == "SKIPPED":
            skipped[pos] = True
            if delay is not None:
                arr[pos], dep[pos] = sa[pos] + delay, sd[pos] + delay
            continue
        a = None if a_ev is None else (sa[pos] + a_ev[1] if a_ev[0] == "delay" else a_ev[1])
        d = None if d_ev is None else (sd[pos] + d_ev[1] if d_ev[0] == "delay" else d_ev[1])
        if a is None:
            a = min(sa[pos] + (d - sd[pos]), d)
        if d is None:
            d = max(sd[pos] + (a - sa[pos]), a)
        arr[pos], dep[pos] = a, d
        delay = d - sd[pos]
    return arr, dep, skipped


def _monotone(arr, dep) -> bool:
    return bool(np.all(arr <= dep) and np.all(arr[1:] >= dep[:-1]) and np.all(arr >= 0))


def draw_changes(staged, day: int, n: int, seed: int, epoch_of, window: tuple[int, int] | None = None,
                 p_cancel: float = 0.1, p_added: float = 0.12, p_skip: float = 0.25) -> list[Change]:
    """n random changes of trips running on service day ``day`` or the day before (trips past
    midnight). ``epoch_of(day)``: Unix time of that day's noon minus 12 h (absolute times).
    ``window``: only trips of ``day`` whose first departure is in [start, end) seconds (a feed
    that predicts the next hours, as real feeds do); p_*: shares of cancellations, added trips,
    and delayed trips that also skip a stop."""
    rng = np.random.default_rng(seed)
    out: list[Change] = []
    used: set[tuple[int, int]] = set()
    pools = {d: running_trips(staged, d) for d in (day - 1, day) if d >= 0}
    if window is not None:
        first = staged.st_dep[staged.trip_offsets[:-1]]
        pools = {day: p[(first[p] >= window[0]) & (first[p] < window[1])] for d, p in pools.items() if d == day}
    pools = {d: p for d, p in pools.items() if len(p)}
    tries = 0
    while len(out) < n and tries < 20 * n:
        tries += 1
        d = int(rng.choice(list(pools)))
        t = int(rng.choice(pools[d]))
        if (t, d) in used:
            continue
        rows = _trip_rows(staged, t)
        sa, sd = staged.st_arr[rows].astype(np.int64), staged.st_dep[rows].astype(np.int64)
        m = len(sa)
        u = rng.random()
        if u < p_cancel:
            out.append(Change("cancel", t, d))     # no STU time to find its day by: start_date
            used.add((t, d))
            continue
        if u < p_cancel + p_added:
            # an added trip: a stretch of an existing trip's stops, at other times, absolute times
            a0 = int(rng.integers(0, m - 1))
            a1 = int(rng.integers(a0 + 2, m + 1))
            offset = int(rng.integers(-1800, 1800))
            arr, dep = sa[a0:a1] + offset, sd[a0:a1] + offset
            if not _monotone(arr, dep):
                continue
            stops = staged.st_stop_idx[rows][a0:a1]
            stus = [(i, "SCHEDULED", ("time", int(arr[i])), ("time", int(dep[i]))) for i in range(len(stops))]
            out.append(Change("added", t, d, arr, dep, np.zeros(len(stops), bool), stus, stops,
                              give_start_date=rng.random() < 0.7, trip_id=f"ADDED-{seed}-{len(out)}"))
            continue
        stus = []
        first = int(rng.integers(0, m))
        positions = [first]
        if rng.random() < 0.5 and first + 2 < m:
            positions.append(int(rng.integers(first + 1, m)))
        for i, pos in enumerate(positions):
            v = rng.random()
            if i > 0 and v < 0.2:
                stus.append((pos, "NO_DATA", None, None))
                continue
            delay = int(rng.integers(-120, 900))
            form = "time" if rng.random() < 0.4 else "delay"
            # events as ("delay", seconds) or ("time", GTFS seconds of the day; Unix in the feed)
            w = rng.random()
            a_ev = (form, int(sa[pos] + delay) if form == "time" else delay) if w < 0.8 else None
            d_ev = (form, int(sd[pos] + delay) if form == "time" else delay) if w > 0.3 else None
            stus.append((pos, "SCHEDULED", a_ev, d_ev))
        if rng.random() < p_skip:
            cand = [p for p in range(m) if p not in positions]
            if cand:
                stus.append((int(rng.choice(cand)), "SKIPPED", None, None))
        stus.sort(key=lambda s: s[0])
        arr, dep, skipped = _propagate(sa, sd, stus, m)
        if not _monotone(arr, dep) or (~skipped).sum() < 2:
            continue
        has_time = any(e is not None and e[0] == "time" for s in stus for e in s[2:])
        address = str(rng.choice(["seq", "seq", "stop", "both"]))
        if address == "stop" and len(set(staged.st_stop_idx[rows].tolist())) < m:
            address = "seq"                    # a loop trip: a stop_id alone would be ambiguous
        out.append(Change("delay", t, d, arr, dep, skipped, stus, give_start_date=not has_time or rng.random() < 0.7,
                          address=address))
        used.add((t, d))
    return out


def feed_message(staged, changes: list[Change], prefix: str, epoch_of, timestamp: int) -> bytes:
    """The TripUpdates FeedMessage (FULL_DATASET) of the changes, ids without the feed prefix."""
    from google.transit import gtfs_realtime_pb2 as pb2

    msg = pb2.FeedMessage()
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.incrementality = pb2.FeedHeader.FULL_DATASET
    msg.header.timestamp = timestamp
    trip_ids = staged.trips.column("trip_id").to_pylist()
    stop_ids = staged.stops.column("stop_id").to_pylist()
    for i, c in enumerate(changes):
        e = msg.entity.add()
        e.id = f"e{i}"
        tu = e.trip_update
        epoch = epoch_of(c.day)
        date = (staged.period_start + dt.timedelta(days=c.day)).strftime("%Y%m%d")
        if c.kind == "added":
            tu.trip.trip_id = c.trip_id
            tu.trip.schedule_relationship = pb2.TripDescriptor.ADDED
            route = int(staged.trips.column("route_idx")[c.trip].as_py())
            tu.trip.route_id = staged.routes.column("route_id")[route].as_py().split(":", 1)[1]
            if c.give_start_date:
                tu.trip.start_date = date
            for pos, _, a_ev, d_ev in c.stus:
                s = tu.stop_time_update.add()
                s.stop_id = stop_ids[int(c.stops[pos])].split(":", 1)[1]
                s.arrival.time = int(a_ev[1] + epoch)
                s.departure.time = int(d_ev[1] + epoch)
            continue
        bare = trip_ids[c.trip].split(":", 1)[1]
        if "@" in bare:                               # a frequencies.txt expansion
            bare, start = bare.split("@")
            tu.trip.start_time = start
        tu.trip.trip_id = bare
        if c.give_start_date:
            tu.trip.start_date = date
        if c.kind == "cancel":
            tu.trip.schedule_relationship = pb2.TripDescriptor.CANCELED
            continue
        rows = _trip_rows(staged, c.trip)
        seqs = staged.st_seq[rows]
        stops = staged.st_stop_idx[rows]
        for pos, rel, a_ev, d_ev in c.stus:
            s = tu.stop_time_update.add()
            if c.address in ("seq", "both"):
                s.stop_sequence = int(seqs[pos])
            if c.address in ("stop", "both"):
                s.stop_id = stop_ids[int(stops[pos])].split(":", 1)[1]
            if rel != "SCHEDULED":
                s.schedule_relationship = getattr(pb2.TripUpdate.StopTimeUpdate, rel)
                continue
            for event, ev in ((s.arrival, a_ev), (s.departure, d_ev)):
                if ev is None:
                    continue
                if ev[0] == "delay":
                    event.delay = int(ev[1])
                else:
                    event.time = int(ev[1] + epoch)
    return msg.SerializeToString()


def changed_staged(staged, changes: list[Change]):
    """A copy of the staged timetable with the changes applied as static trips and services."""
    out = copy.copy(staged)
    n_days = staged.n_days
    services = staged.trips.column("service_idx").to_numpy().astype(np.int32).copy()
    service_days = [staged.service_days]
    service_ids = staged.services.column("service_id").to_pylist()
    service_feed = staged.services.column("feed_idx").to_pylist()
    new_days: list[np.ndarray] = []
    minus: dict[int, set[int]] = {}
    for c in changes:
        if c.kind in ("delay", "cancel"):
            minus.setdefault(c.trip, set()).add(c.day)

    def add_service(bits: np.ndarray, name: str, feed: int) -> int:
        new_days.append(bits)
        service_ids.append(name)
        service_feed.append(feed)
        return len(service_ids) - 1

    feed_of_service = staged.services.column("feed_idx").to_numpy()
    for t, days in minus.items():
        bits = staged.service_days[services[t]].copy()
        for d in days:
            bits[d] = False
        services[t] = add_service(bits, f"rt-minus-{t}", int(feed_of_service[staged.trips.column("service_idx")[t].as_py()]))
    new_rows = []                   # (template trip, trip_id, service, arr, dep, stops, pickup, dropoff, seq)
    for i, c in enumerate(changes):
        if c.kind == "cancel":
            continue
        bits = np.zeros(n_days, bool)
        bits[c.day] = True
        svc = add_service(bits, f"rt-only-{i}", int(feed_of_service[staged.trips.column("service_idx")[c.trip].as_py()]))
        rows = _trip_rows(staged, c.trip)
        if c.kind == "added":
            stops = np.asarray(c.stops, np.int32)
            pick = np.zeros(len(stops), np.uint8)
            seq = np.arange(len(stops), dtype=np.int32)
        else:
            stops = staged.st_stop_idx[rows]
            pick = np.where(c.skipped, NO_PICKUP, staged.st_pickup[rows]).astype(np.uint8)
            seq = staged.st_seq[rows]
        drop = pick if c.kind == "added" else np.where(c.skipped, NO_PICKUP, staged.st_dropoff[rows]).astype(np.uint8)
        new_rows.append((c.trip, f"rt-{i}", svc, np.asarray(c.arr, np.int32), np.asarray(c.dep, np.int32),
                         stops, pick, drop, seq))
    trips = staged.trips
    if new_rows:
        extra = trips.take(pa.array([r[0] for r in new_rows]))
        extra = extra.set_column(extra.schema.get_field_index("trip_id"), "trip_id",
                                 pa.array([r[1] for r in new_rows], pa.string()))
        trips = pa.concat_tables([trips, extra])
    all_services = np.concatenate([services, np.array([r[2] for r in new_rows], np.int32)])
    trips = trips.set_column(trips.schema.get_field_index("service_idx"), "service_idx",
                             pa.array(all_services, trips.schema.field("service_idx").type))
    out.trips = trips
    lengths = [len(r[3]) for r in new_rows]
    out.trip_offsets = np.concatenate([staged.trip_offsets,
                                       staged.trip_offsets[-1] + np.cumsum(lengths, dtype=np.int64)])
    out.st_stop_idx = np.concatenate([staged.st_stop_idx] + [r[5] for r in new_rows]).astype(np.int32)
    out.st_arr = np.concatenate([staged.st_arr] + [r[3] for r in new_rows]).astype(np.int32)
    out.st_dep = np.concatenate([staged.st_dep] + [r[4] for r in new_rows]).astype(np.int32)
    out.st_pickup = np.concatenate([staged.st_pickup] + [r[6] for r in new_rows]).astype(np.uint8)
    out.st_dropoff = np.concatenate([staged.st_dropoff] + [r[7] for r in new_rows]).astype(np.uint8)
    out.st_seq = np.concatenate([staged.st_seq] + [r[8] for r in new_rows]).astype(np.int32)
    out.service_days = np.concatenate(service_days + [np.stack(new_days)] if new_days else service_days)
    out.services = pa.table({"service_id": pa.array(service_ids, pa.string()),
                             "feed_idx": pa.array(service_feed, staged.services.column("feed_idx").type)})
    return out


def build_from_staged(staged, out: Path, fares: bool = False) -> Path:
    """A timetable-only bundle from a StagedTimetable (what engine.build does after loading);
    ``fares``: with the feed's fare tables too."""
    from engine.bundle.writer import write_bundle
    from engine.timetable.build import build_timetable_tables
    from engine.timetable.footpaths import FootpathOptions

    tables, summary = build_timetable_tables(staged, FootpathOptions())
    if fares:
        tables.update(staged.fares or {})
    return write_bundle(out, tables, {"engine_version": "test", "options": {}, "inputs": [],
                                      "timetable": summary, "report": {"counts": {}, "issues": {}}})


def epoch_function(staged, feed: int = 0):
    """day -> Unix time of that service day's noon minus 12 h in the feed's time zone."""
    try:
        tz = ZoneInfo(staged.feeds[feed].timezone)
    except Exception:
        tz = dt.timezone.utc

    def epoch_of(day: int) -> int:
        date = staged.period_start + dt.timedelta(days=int(day))
        return int(dt.datetime.combine(date, dt.time(12), tzinfo=tz).timestamp()) - 12 * 3600
    return epoch_of


def busiest_day_changes(staged, n_changes: int, seed: int, prefix: str) -> tuple[int, list[Change], bytes]:
    """(day, changes, TripUpdates message): the busiest service day with a stable UTC offset
    around it (no DST change in the window), ``n_changes`` changes drawn on it (at most a third
    of its trips), written as a FULL_DATASET at that day's noon."""
    from tests.reference.feeds import stable_offset_day

    epoch_of = epoch_function(staged)
    span = int(max(staged.st_arr.max(), staged.st_dep.max())) // 86_400
    days = [d for d in range(1, staged.n_days - 1) if stable_offset_day(staged, d, span)]
    counts = [len(running_trips(staged, d)) for d in days]
    day = days[int(np.argmax(counts))]
    changes = draw_changes(staged, day, min(n_changes, max(counts) // 3), seed=seed, epoch_of=epoch_of)
    return day, changes, feed_message(staged, changes, prefix, epoch_of, epoch_of(day) + 12 * 3600)


def day_queries(staged, day: int, n: int, seed: int) -> list[tuple[int, int, dt.date, int]]:
    """``n`` seeded (origin, target, date, seconds) between served stops, 05:00-23:00, every
    sixth on the next day (trips past midnight)."""
    rng = np.random.default_rng(seed)
    stops = np.unique(np.asarray(staged.st_stop_idx))
    out = []
    for i in range(n):
        a, b = rng.choice(stops, size=2, replace=False)
        d = day + (1 if i % 6 == 5 else 0)
        out.append((int(a), int(b), staged.period_start + dt.timedelta(days=d), int(rng.integers(5 * 3600, 23 * 3600))))
    return out
