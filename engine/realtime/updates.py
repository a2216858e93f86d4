"""TripUpdate entities -> trip records (one per changed trip on one service day).

Semantics (GTFS-Realtime reference; README "Real time" says the same for users):

* A trip is found by ``trip_id`` (in the feed the realtime source is attached to); a
  frequency-based trip by ``trip_id`` + ``start_time`` (the loader names its expansions
  ``ID@HH:MM:SS``). Its service day is ``start_date``; without one, the day on which the trip
  runs (its service active) whose scheduled span lies nearest the trip's first predicted time
  (else the feed time), within 6 h (trips past midnight included); a SCHEDULED trip that does
  not run on that day is not applied (``not_running``).
* A StopTimeUpdate names its stop by ``stop_sequence`` or by ``stop_id`` alone (the first
  such stop after the previous update); when both are given and disagree, the ``stop_id``
  wins if the trip serves it from there on (``stop_mismatch``). Updates out of order or naming
  nothing on the trip are counted and ignored.
* arrival/departure: ``time`` wins over ``delay`` when both are set; a missing arrival takes
  the departure's delay and the reverse. The last delay propagates to the following stops
  until the next update, never backwards; NO_DATA stops the propagation (schedule again);
  SKIPPED: no boarding or alighting there (times propagate through it). ``TripUpdate.delay``
  applies from the first stop until the first update.
* Given times that decrease along the trip (or an arrival after its departure) reject the
  update: the trip keeps its schedule (``rejected_non_monotonic``). Times that were not given
  (propagated, scheduled, NO_DATA) are clamped below the next given arrival, then raised to the
  time before them (``repaired_times``): given times are never moved.
* CANCELED / DELETED: the trip does not run that day (also when every stop is SKIPPED).
* ADDED / NEW / REPLACEMENT: a trip with its own stops (known ``stop_id``) and absolute times;
  REPLACEMENT also removes the scheduled trip of that id. DUPLICATED: a copy of a scheduled trip
  starting at ``trip_properties.start_time`` (or the descriptor's), its updates applied on top.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np

from .._realtime import compute_trip_times, lookup_spans, read_trip_updates
from .index import StaticIndex

# TripDescriptor.ScheduleRelationship
SCHEDULED, ADDED, UNSCHEDULED, CANCELED, REPLACEMENT, DUPLICATED, DELETED, NEW = 0, 1, 2, 3, 5, 6, 7, 8
# StopTimeUpdate.ScheduleRelationship
STU_SKIPPED, STU_NO_DATA = 1, 2
# engine/_realtime.pyx codes
POS_SKIPPED, POS_EXPLICIT, POS_NO_DATA = 1, 2, 4
ST_OK, ST_NON_MONOTONIC, ST_ALL_SKIPPED, ST_OUT_OF_RANGE = 0, 1, 2, 3
MAX_UNIX_TIME_S = 1 << 37    # an absolute time past this (year 6325) names no service day
MAX_TIME_S = 8 * 86_400      # a feed time more than this away from its service day's start is refused
KERNEL_COUNTERS = ("stop_sequence_not_in_trip", "stop_not_in_trip", "stop_mismatch", "out_of_order", "no_event",
                   "unknown_stop", "repaired_times", "arrival_after_departure")
F_ARR_TIME, F_DEP_TIME = 2, 8
SEARCH_DAYS_AFTER = 1        # service days after the feed's local date considered for a trip
MAX_DAY_GAP_S = 6 * 3600     # without start_date: the running day whose schedule is nearest the
                             # trip's first predicted time (or the feed time), if that close


class TripRecord:
    """One trip as it runs on one service day according to the realtime feed.

    kind: "updated" (a scheduled trip, new times), "canceled", "added" (own stops), "duplicated"
    (a copy of a scheduled trip). ``group``: the overlay pattern group, the scheduled pattern's
    index when the trip keeps its stops and flags, else a negative id (UpdateReader._group). Times are GTFS seconds of service day ``day`` (days after the
    bundle period's first day). ``static_trip`` is the scheduled trip it changes or copies
    (-1 for added trips); ``shift`` the seconds a duplicated copy starts after the original.
    """

    __slots__ = ("key", "kind", "feed", "static_trip", "day", "shift", "route", "trip_id", "stops", "pickup",
                 "dropoff", "arr", "dep", "group", "replaces", "entity")

    def __init__(self, key, kind, feed, static_trip, day, shift=0, route=-1, trip_id="", stops=None, pickup=None,
                 dropoff=None, arr=None, dep=None, group=None, replaces=False):
        self.key, self.kind, self.feed, self.static_trip, self.day = key, kind, feed, static_trip, day
        self.shift, self.route, self.trip_id, self.stops, self.pickup = shift, route, trip_id, stops, pickup
        self.dropoff, self.arr, self.dep, self.group, self.replaces = dropoff, arr, dep, group, replaces
        self.entity = b""           # id (UTF-8) of the feed entity that gave it (for is_deleted)


def _text(data: bytes, span) -> str | None:
    return None if span[1] < 0 else data[span[0]:span[0] + span[1]].decode("utf-8", "replace")


def _hms(value: str | None) -> int | None:
    if not value:
        return None
    parts = value.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    h, m, s = (int(p) for p in parts)
    return h * 3600 + m * 60 + s if m < 60 and s < 60 else None


_DATES: dict[bytes, dt.date | None] = {}


def _date(value: bytes | None) -> dt.date | None:
    """YYYYMMDD -> date (None if malformed); memoised, a feed names few dates."""
    if value is None:
        return None
    out = _DATES.get(value, False)
    if out is False:
        try:
            out = dt.date(int(value[:4]), int(value[4:6]), int(value[6:])) if len(value) == 8 and value.isdigit() \
                else None
        except ValueError:
            out = None
        if len(_DATES) < 10_000:
            _DATES[value] = out
    return out


class UpdateReader:
    """Reads the TripUpdates of one message for one feed of the bundle."""

    def __init__(self, sidx: StaticIndex, feed: int, groups: dict[bytes, int] | None = None):
        self.sidx = sidx
        self.groups = {} if groups is None else groups     # stop sequence + flags -> group id < 0
        self.tt = sidx.tt
        self.feed = feed
        self.prefix = f"{self.tt.feed_names[feed]}:"
        self.counts: Counter = Counter()
        self._entity = b""

    def read(self, data: bytes, feed_time: int) -> tuple[list[TripRecord], list[tuple], int, int]:
        """(records, keys removed by is_deleted entities, entities, trip updates)."""
        sidx, counts = self.sidx, self.counts
        buf = np.frombuffer(data, np.uint8) if data else np.zeros(0, np.uint8)
        cols = read_trip_updates(buf)
        kind = cols.ent_kind
        counts["other_entities"] += int(np.count_nonzero(kind == 3))
        deleted_ids = [data[a:a + n] for a, n in cols.ent_id[cols.ent_deleted == 1].tolist()]
        tu = np.flatnonzero((kind == 1) & (cols.ent_deleted == 0))
        if not len(tu):
            return [], deleted_ids, int(len(kind)), 0
        trip = lookup_spans(buf, np.ascontiguousarray(cols.ent_trip_id[tu]), sidx.trips, self.prefix)
        stu_stop = lookup_spans(buf, cols.stu_stop_id, sidx.stops, self.prefix)
        rel = cols.ent_trip_rel[tu].astype(np.int64)
        rel[rel < 0] = SCHEDULED
        start_spans = cols.ent_start_time[tu]

        def start_time(j: int) -> int | None:
            return _hms(_text(data, start_spans[j]))
        # frequency-based trips: the expansion starting at start_time
        for j in np.flatnonzero(trip == -2):
            t = start_time(j)
            if t is not None and rel[j] in (SCHEDULED, UNSCHEDULED, CANCELED, DELETED):
                name = f"{self.prefix}{_text(data, cols.ent_trip_id[tu[j]])}@{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
                trip[j] = sidx.trips.get(name.encode(), -2)
        days = self._service_days(data, cols, tu, trip, rel, feed_time)
        records: dict[tuple, TripRecord] = {}
        scheduled = []
        ids = cols.ent_id[tu].tolist()
        no_id = (cols.ent_trip_id[tu][:, 1] < 0).tolist()
        for j, (e, r, t, day) in enumerate(zip(tu.tolist(), rel.tolist(), trip.tolist(), days)):
            self._entity = data[ids[j][0]:ids[j][0] + ids[j][1]]
            if no_id[j] and r not in (ADDED, NEW):
                counts["no_trip_descriptor"] += 1
            elif r in (ADDED, NEW, REPLACEMENT) or (r == UNSCHEDULED and t < 0):
                if r == UNSCHEDULED:
                    counts["unsupported_relationship"] += 1
                    continue
                self._added(data, cols, e, t if r == REPLACEMENT else -1, stu_stop, records)
            elif t < 0:
                counts["unknown_trip"] += 1
            elif day is None:
                pass                     # counted by _service_days
            elif r in (CANCELED, DELETED):
                self._put(records, TripRecord(("s", t, day), "canceled", self.feed, t, day))
            elif r == DUPLICATED:
                props = _hms(_text(data, cols.ent_prop_start_time[e])) if cols.ent_prop_start_time[e][1] >= 0 \
                    else start_time(j)
                if props is None:
                    counts["bad_start_time"] += 1
                    continue
                scheduled.append((j, e, t, day, props - int(sidx.trip_first_dep[t]), True))
            else:                        # SCHEDULED (UNSCHEDULED of a known trip is read as scheduled)
                scheduled.append((j, e, t, day, 0, False))
        if scheduled:
            self._scheduled(data, cols, scheduled, stu_stop, records)
        return list(records.values()), deleted_ids, int(len(kind)), int(len(tu))

    # ------------------------------------------------------------------ service day
    def _service_days(self, data, cols, tu, trip, rel, feed_time) -> list[int | None]:
        sidx, counts = self.sidx, self.counts
        out: list[int | None] = [None] * len(tu)
        need, given, given_day = [], [], []
        spans = cols.ent_start_date[tu].tolist()
        for j, t in enumerate(trip.tolist()):
            if t < 0:
                continue
            a, n = spans[j]
            if n >= 0:
                date = _date(data[a:a + n])
                if date is None:
                    counts["bad_start_date"] += 1
                    continue
                given.append(j)
                given_day.append(sidx.day_of(date))
            else:
                need.append(j)
        if given:
            runs = sidx.runs(trip[given].astype(np.int64), np.asarray(given_day))
            for j, day, ok in zip(given, given_day, runs.tolist()):
                if ok or (rel[j] == DUPLICATED and sidx.near_period(day)):
                    out[j] = day
                else:
                    counts["not_running"] += 1
        if need:
            need = np.asarray(need)
            trips = trip[need].astype(np.int64)
            # the trip's own first predicted time says best when it runs; else the feed time
            ref = np.full(len(need), feed_time, np.int64)
            for i, j in enumerate(need.tolist()):
                e = tu[j]
                for k in range(int(cols.ent_stu_offsets[e]), int(cols.ent_stu_offsets[e + 1])):
                    fl = int(cols.stu_flags[k])
                    if fl & (F_ARR_TIME | F_DEP_TIME):
                        ref[i] = int(cols.stu_arr_time[k] if fl & F_ARR_TIME else cols.stu_dep_time[k])
                        break
            local = sidx.local_day(self.feed, feed_time)
            cands = np.arange(local - self.tt.max_day_offset - 1, local + SEARCH_DAYS_AFTER + 1)
            best = np.full(len(need), np.iinfo(np.int64).max)
            chosen = np.full(len(need), -10**9, np.int64)
            for day in cands.tolist():
                epoch = sidx.epoch(self.feed, day)
                start = epoch + sidx.trip_first_dep[trips]
                end = epoch + sidx.trip_last_arr[trips]
                dist = np.maximum(0, np.maximum(start - ref, ref - end))
                ok = sidx.runs(trips, np.full(len(trips), day)) & (dist < best) & (dist <= MAX_DAY_GAP_S)
                best = np.where(ok, dist, best)
                chosen = np.where(ok, day, chosen)
            for j, day in zip(need.tolist(), chosen.tolist()):
                if day == -10**9:
                    counts["not_running"] += 1
                else:
                    out[j] = int(day)
        return out

    # ------------------------------------------------------------------ scheduled trips
    def _scheduled(self, data, cols, rows, stu_stop, records) -> None:
        sidx, tt, counts = self.sidx, self.tt, self.counts
        j_, e_, t_, day_, shift_, dup_ = (np.asarray(x) for x in zip(*rows))
        t_ = t_.astype(np.int64)
        m = sidx.trip_m[t_]
        out_offsets = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(m, out=out_offsets[1:])
        total = int(out_offsets[-1])
        out_arr = np.empty(total, np.int32)
        out_dep = np.empty(total, np.int32)
        out_flags = np.empty(total, np.uint8)
        status = np.empty(len(rows), np.int8)
        counters = np.zeros(len(KERNEL_COUNTERS), np.int64)
        days = day_.tolist()
        epoch_of = {d: sidx.epoch(self.feed, int(d)) for d in set(days)}
        epochs = np.array([epoch_of[d] for d in days], np.int64)
        e_ = e_.astype(np.int64)
        compute_trip_times(
            tt.st_arr, tt.st_dep, tt.st_seq, tt.pattern_stops,
            np.ascontiguousarray(sidx.trip_st_base[t_]), np.ascontiguousarray(sidx.trip_n[t_]),
            np.ascontiguousarray(sidx.trip_stops_start[t_]), np.ascontiguousarray(m),
            epochs, shift_.astype(np.int32), np.ascontiguousarray(cols.ent_delay[e_]),
            np.ascontiguousarray(cols.ent_has_delay[e_]), np.ascontiguousarray(cols.ent_stu_offsets[e_]),
            np.ascontiguousarray(cols.ent_stu_offsets[e_ + 1]),
            cols.stu_seq, stu_stop, cols.stu_rel, cols.stu_arr_delay, cols.stu_dep_delay, cols.stu_arr_time,
            cols.stu_dep_time, cols.stu_flags, out_offsets, out_arr, out_dep, out_flags, status, counters)
        for name, value in zip(KERNEL_COUNTERS, counters.tolist()):
            counts[name] += value
        skipped_any = (np.add.reduceat(out_flags & POS_SKIPPED, out_offsets[:-1]) if total
                       else np.zeros(0)).tolist()
        patterns = np.asarray(tt.trip_pattern)[t_].tolist()
        routes = np.asarray(tt.trip_route)[t_].tolist()
        starts = sidx.trip_stops_start[t_].tolist()
        ids = cols.ent_id[e_].tolist()
        offs = out_offsets.tolist()
        stops_all, pick_all, drop_all = tt.pattern_stops, tt.pattern_pickup, tt.pattern_dropoff
        for u, (t, day, st, shift, dup) in enumerate(zip(t_.tolist(), day_.tolist(), status.tolist(),
                                                        shift_.tolist(), dup_.tolist())):
            self._entity = data[ids[u][0]:ids[u][0] + ids[u][1]]
            if st == ST_NON_MONOTONIC:
                counts["rejected_non_monotonic"] += 1
                continue
            if st == ST_OUT_OF_RANGE:
                counts["time_out_of_range"] += 1
                continue
            if dup:
                if st == ST_ALL_SKIPPED:
                    continue
                key = ("d", t, day, shift)
                kind = "duplicated"
            else:
                key = ("s", t, day)
                kind = "canceled" if st == ST_ALL_SKIPPED else "updated"
            if kind == "canceled":
                self._put(records, TripRecord(key, kind, self.feed, t, day))
                continue
            a, b = offs[u], offs[u + 1]
            s0 = starts[u]
            stops = stops_all[s0:s0 + (b - a)]
            pickup, dropoff = pick_all[s0:s0 + (b - a)], drop_all[s0:s0 + (b - a)]
            group = patterns[u]
            if skipped_any[u]:
                keep = (out_flags[a:b] & POS_SKIPPED) == 0
                pickup = (pickup & keep).astype(np.uint8)
                dropoff = (dropoff & keep).astype(np.uint8)
                group = self._group(stops.tobytes() + pickup.tobytes() + dropoff.tobytes())
            self._put(records, TripRecord(key, kind, self.feed, t, day, shift, routes[u],
                                          sidx.trip_ids[t], stops, pickup, dropoff,
                                          out_arr[a:b], out_dep[a:b], group))

    # ------------------------------------------------------------------ added trips
    def _added(self, data, cols, e, replaces: int, stu_stop, records) -> None:
        sidx, counts = self.sidx, self.counts
        trip_id = _text(data, cols.ent_trip_id[e]) or _text(data, cols.ent_id[e]) or ""
        a, b = int(cols.ent_stu_offsets[e]), int(cols.ent_stu_offsets[e + 1])
        stop, fl = stu_stop[a:b].astype(np.int64), cols.stu_flags[a:b].astype(np.int64)
        counts["unknown_stop"] += int(np.count_nonzero(stop == -2))
        counts["stop_not_in_trip"] += int(np.count_nonzero(stop == -1))
        timed = (fl & (F_ARR_TIME | F_DEP_TIME)) != 0
        counts["added_stop_without_time"] += int(np.count_nonzero((stop >= 0) & ~timed))
        ok = (stop >= 0) & timed
        arr_t = np.where(fl & F_ARR_TIME, cols.stu_arr_time[a:b], cols.stu_dep_time[a:b])[ok]
        dep_t = np.where(fl & F_DEP_TIME, cols.stu_dep_time[a:b], cols.stu_arr_time[a:b])[ok]
        stops = stop[ok]
        keep = (cols.stu_rel[a:b] != STU_SKIPPED)[ok]
        if len(stops) < 2 or int(keep.sum()) < 2:
            counts["added_too_few_stops"] += 1
            return
        arr_u, dep_u = arr_t.astype(np.int64), dep_t.astype(np.int64)
        if np.any(arr_u > dep_u) or np.any(arr_u[1:] < dep_u[:-1]):
            counts["rejected_non_monotonic"] += 1
            return
        a0, n0 = cols.ent_start_date[e].tolist()
        date = _date(data[a0:a0 + n0]) if n0 >= 0 else None
        if date is None and not 0 <= int(dep_u[0]) <= MAX_UNIX_TIME_S:
            counts["time_out_of_range"] += 1        # no calendar date (datetime would raise)
            return
        day = sidx.day_of(date) if date is not None else sidx.local_day(self.feed, int(dep_u[0]))
        if not sidx.near_period(day):
            counts["not_running"] += 1
            return
        epoch = sidx.epoch(self.feed, day)
        if np.any(np.abs(arr_u - epoch) > MAX_TIME_S) or np.any(np.abs(dep_u - epoch) > MAX_TIME_S):
            counts["time_out_of_range"] += 1
            return
        route = -1
        if cols.ent_route_id[e][1] >= 0:
            route = sidx.routes.get(f"{self.prefix}{_text(data, cols.ent_route_id[e])}".encode(), -1)
        flags = np.asarray(keep, np.uint8)
        stops_a = np.asarray(stops, np.int32)
        record = TripRecord(("a", self.feed, trip_id, day), "added", self.feed, replaces, day, 0, route,
                            f"{self.prefix}{trip_id}",
                            stops_a, flags, flags.copy(), (arr_u - epoch).astype(np.int32),
                            (dep_u - epoch).astype(np.int32),
                            self._group(stops_a.tobytes() + flags.tobytes() + flags.tobytes()), replaces >= 0)
        if replaces >= 0:
            record.static_trip = replaces
        self._put(records, record)

    def _group(self, key: bytes) -> int:
        """The overlay group of a trip that does not keep its scheduled pattern's stops and
        flags: a negative id per distinct (stops, pickup, drop-off), shared by the network's
        applications (scheduled patterns are the ids >= 0)."""
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = -1 - len(self.groups)
        return g

    def _put(self, records: dict, record: TripRecord) -> None:
        record.entity = self._entity
        if record.key in records:
            self.counts["duplicate_entity"] += 1
        records[record.key] = record
