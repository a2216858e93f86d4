"""Overlay: one immutable snapshot of the real-time state, in the form the RAPTOR kernel reads.

Built from the trip records of every source (engine/realtime/state.py) at each application:

* ``suppressed``: (scheduled trip, service day) pairs that do not run as scheduled. Per query
  date the overlay copies that date's ``next_active`` rows and strikes them out
  (``_realtime.suppress_trips``, cached per date), so the static scan is unchanged.
* the changed, added and duplicated trips as extra patterns (``_core.OverlayView``): one group
  per stop sequence with its pickup/drop-off flags (a changed trip without skipped stops keeps
  its scheduled pattern's), trips sorted by first departure and split where one would
  overtake another (``_realtime.split_no_overtaking``), laid out like the bundle's patterns.
  Times are on the overlay's axis: seconds since the noon-minus-12h of ``epoch_day`` (its
  earliest service day), a trip of day S at (S - epoch_day) * 86400 + its GTFS time.
A query captures one Overlay (``Network`` swaps the reference atomically), so it sees the old or
the new snapshot, never a mix.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter

import numpy as np

from .._core import OverlayView
from .._realtime import split_no_overtaking, suppress_trips
from ..timetable.model import Timetable
from .alerts import AlertIndex
from .updates import TripRecord

DAY = 86_400
_DAY, _GROUP, _ARR, _DEP = attrgetter("day"), attrgetter("group"), attrgetter("arr"), attrgetter("dep")
NEXT_ACTIVE_CACHE = 8            # query dates whose patched next_active rows are kept


@dataclass(frozen=True, slots=True)
class OverlayArrays:
    """The overlay patterns' arrays (as in _core.OverlayView) that Python reads (departures, legs)."""

    pattern_stops_offsets: np.ndarray
    pattern_pickup: np.ndarray
    pattern_first_trip: np.ndarray
    pattern_n_trips: np.ndarray
    pattern_st_offset: np.ndarray
    st_arr: np.ndarray                  # overlay axis
    st_dep: np.ndarray
    stop_patterns_offsets: np.ndarray   # stop -> overlay patterns not scanned with a static twin
    stop_patterns: np.ndarray
    stop_patterns_pos: np.ndarray


class Overlay:
    """The real-time trips and alerts of one moment (immutable once built)."""

    def __init__(self, tt: Timetable, records: list[TripRecord], alerts: AlertIndex, sources: dict):
        self.tt = tt
        self.alerts = alerts
        self.sources = sources                  # name -> status dict (for realtime_status)
        self._records = records
        sup: dict[int, list[int]] = {}
        running = []
        for r in records:
            if r.static_trip >= 0 and (r.kind == "updated" or r.kind == "canceled" or r.replaces):
                sup.setdefault(r.day, []).append(r.static_trip)
            if r.kind != "canceled":
                running.append(r)
        self.suppressed = {d: np.unique(np.asarray(v, np.int32))[::-1].copy() for d, v in sup.items()}
        self.n_canceled = len(records) - len(running)
        self.n_trips = len(running)
        self._build_patterns(running)
        self._next_active: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    @cached_property
    def records_by_key(self) -> dict:
        return {r.key: r for r in self._records}

    @cached_property
    def suppressed_pairs(self) -> set[tuple[int, int]]:
        return {(int(t), d) for d, v in self.suppressed.items() for t in v.tolist()}

    # ------------------------------------------------------------------ patterns
    def _build_patterns(self, running: list[TripRecord]) -> None:
        tt = self.tt
        n = len(running)
        days = np.fromiter(map(_DAY, running), np.int64, len(running))
        self.epoch_day = int(days.min()) if len(days) else 0
        empty32 = np.zeros(0, np.int32)
        if n == 0:
            self.trips: list[TripRecord] = []
            self.trip_pattern = self.trip_rank = empty32
            self.view = None
            self.n_patterns = 0
            self.static_twin = np.full(tt.n_patterns, -1, np.int32)
            return
        gid = np.unique(np.fromiter(map(_GROUP, running), np.int64, n), return_inverse=True)[1].astype(np.int64)
        arr_list, dep_list = list(map(_ARR, running)), list(map(_DEP, running))
        m = np.fromiter(map(len, arr_list), np.int64, n)
        shift = (days - self.epoch_day) * DAY
        off0 = np.zeros(n + 1, np.int64)
        np.cumsum(m, out=off0[1:])
        arr0, dep0 = np.concatenate(arr_list), np.concatenate(dep_list)
        first = dep0[off0[:-1]].astype(np.int64) + shift
        order = np.lexsort((first, gid))
        gid, m, shift = gid[order], m[order], shift[order]
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(m, out=offsets[1:])
        gather = np.repeat(off0[:-1][order] - offsets[:-1], m) + np.arange(int(offsets[-1]))
        rep = np.repeat(shift, m)
        arr = (arr0[gather].astype(np.int64) + rep).astype(np.int32)
        dep = (dep0[gather].astype(np.int64) + rep).astype(np.int32)
        starts = np.flatnonzero(np.diff(gid, prepend=-1)) if n else np.zeros(0, np.int64)
        group_start = np.append(starts, n).astype(np.int64)
        sub = np.empty(n, np.int32)
        split_no_overtaking(group_start, offsets, arr, dep, sub)
        # pattern = (group, sub-pattern); a stable sort keeps the departure order inside each
        key = gid * (int(sub.max()) + 1) + sub
        porder = np.argsort(key, kind="stable")
        key_sorted = key[porder]
        new_pattern = np.flatnonzero(np.diff(key_sorted, prepend=-1))
        n_patterns = len(new_pattern)
        trip_pattern = np.empty(n, np.int32)
        trip_pattern[porder] = np.cumsum(np.diff(key_sorted, prepend=-1) != 0) - 1
        # trips renumbered pattern by pattern
        self.trips = [running[i] for i in order[porder].tolist()]
        m_t, off_t = m[porder], offsets[:-1][porder]
        pattern_first = new_pattern.astype(np.int32)
        pattern_n = np.diff(np.append(new_pattern, n)).astype(np.int32)
        pattern_m = m_t[new_pattern].astype(np.int64)
        sizes = pattern_n.astype(np.int64) * pattern_m
        pattern_st = np.zeros(n_patterns, np.int64)
        np.cumsum(sizes[:-1], out=pattern_st[1:])
        tp = trip_pattern[porder]
        rank = (np.arange(n) - pattern_first[tp]).astype(np.int64)
        # element (trip i, pos) -> pattern_st[p] + pos * n_p + rank
        pos = np.arange(int(m_t.sum())) - np.repeat(np.cumsum(m_t) - m_t, m_t)
        src = np.repeat(off_t, m_t) + pos
        dst = np.repeat(pattern_st[tp] + rank, m_t) + pos * np.repeat(pattern_n[tp].astype(np.int64), m_t)
        st_arr = np.empty(len(arr), np.int32)
        st_dep = np.empty(len(dep), np.int32)
        st_arr[dst] = arr[src]
        st_dep[dst] = dep[src]
        heads = [self.trips[int(i)] for i in pattern_first.tolist()]
        p_stops = np.concatenate([np.asarray(r.stops, np.int32) for r in heads])
        p_pick = np.concatenate([np.asarray(r.pickup, np.uint8) for r in heads])
        p_drop = np.concatenate([np.asarray(r.dropoff, np.uint8) for r in heads])
        p_off = np.zeros(n_patterns + 1, np.int32)
        np.cumsum(pattern_m, out=p_off[1:])
        # a pattern of changed trips of static pattern P (same stops and flags) is P's twin: the
        # kernel scans both in one pass (_scan_pattern_twin); the others go through the CSR
        twin = np.full(tt.n_patterns, -1, np.int32)
        is_twin = np.zeros(n_patterns, bool)
        for q, r in enumerate(heads):
            if r.group >= 0 and twin[r.group] < 0:
                twin[r.group] = q
                is_twin[q] = True
        lengths = np.diff(p_off)
        pattern_of = np.repeat(np.arange(n_patterns, dtype=np.int32), lengths)
        pos_of = (np.arange(len(p_stops)) - np.repeat(p_off[:-1], lengths)).astype(np.int32)
        listed = ~is_twin[pattern_of]
        pattern_of, pos_of, listed_stops = pattern_of[listed], pos_of[listed], p_stops[listed]
        sort = np.lexsort((pos_of, pattern_of, listed_stops))
        sp_off = np.zeros(tt.n_stops + 1, np.int32)
        np.cumsum(np.bincount(listed_stops, minlength=tt.n_stops), out=sp_off[1:])
        self.trip_day = (days[order[porder]] - self.epoch_day).astype(np.int32)
        self.trip_pattern = tp.astype(np.int32)
        self.trip_rank = rank.astype(np.int32)
        self.pattern_m = pattern_m
        self.n_patterns = n_patterns
        self.view = OverlayView(
            pattern_stops_offsets=p_off, pattern_stops=p_stops, pattern_pickup=p_pick, pattern_dropoff=p_drop,
            pattern_first_trip=pattern_first, pattern_n_trips=pattern_n, pattern_st_offset=pattern_st,
            st_arr=st_arr, st_dep=st_dep, trip_day=self.trip_day, stop_patterns_offsets=sp_off,
            stop_patterns=pattern_of[sort], stop_patterns_pos=pos_of[sort], trip_base=tt.n_trips,
            static_twin=twin)
        self.n_twins = int(is_twin.sum())
        self.static_twin = twin
        self.arrays = OverlayArrays(p_off, p_pick, pattern_first, pattern_n, pattern_st, st_arr, st_dep,
                                    sp_off, pattern_of[sort], pos_of[sort])

    # ------------------------------------------------------------------ kernel inputs
    def next_active(self, day: int) -> np.ndarray:
        """The static next_active rows of query day ``day`` with the suppressed trips struck out."""
        cached = self._next_active.get(day)
        if cached is not None:
            return cached
        tt = self.tt
        base = tt.next_active(day)
        shift = tt.max_day_offset
        rows = [(r, self.suppressed.get(day + r - shift)) for r in range(base.shape[0])]
        rows = [(r, trips) for r, trips in rows if trips is not None and len(trips)]
        if not rows:
            out = base
        else:
            out = np.array(base, copy=True)
            for r, trips in rows:
                suppress_trips(out, r, trips)
            out.setflags(write=False)
        with self._lock:
            self._next_active[day] = out
            while len(self._next_active) > NEXT_ACTIVE_CACHE:
                self._next_active.pop(next(iter(self._next_active)))
        return out

    def kernel_args(self, day: int) -> dict:
        """Keyword arguments of _core.run_raptor for a query of day ``day``."""
        if self.view is None:
            return {}
        return {"rt": self.view, "rt_shift": (day - self.epoch_day) * DAY, "rt_last_day": day + 1 - self.epoch_day}

    # ------------------------------------------------------------------ trips (legs, departures)
    def record(self, trip: int) -> TripRecord:
        return self.trips[trip - self.tt.n_trips]

    def times(self, trip: int, day: int, pos: int) -> tuple[int, int]:
        """(arrival, departure) of an overlay trip at stop_pos on the query day's axis."""
        i = trip - self.tt.n_trips
        p = int(self.trip_pattern[i])
        a = self.arrays
        row = int(a.pattern_st_offset[p]) + pos * int(a.pattern_n_trips[p]) + int(self.trip_rank[i])
        shift = (day - self.epoch_day) * DAY
        return int(a.st_arr[row]) - shift, int(a.st_dep[row]) - shift

    def scheduled(self, record: TripRecord, pos: int) -> tuple[int, int] | None:
        """(arrival, departure) as scheduled (GTFS seconds of the record's day), None for added trips."""
        if record.kind == "added" or record.static_trip < 0:
            return None
        tt = self.tt
        t = record.static_trip
        p = int(tt.trip_pattern[t])
        n = int(tt.pattern_n_trips[p])
        row = int(tt.pattern_st_offset[p]) + pos * n + (t - int(tt.pattern_first_trip[p]))
        return int(tt.st_arr[row]) + record.shift, int(tt.st_dep[row]) + record.shift

    def status(self) -> dict:
        kinds: dict[str, int] = {}
        for r in self.records_by_key.values():
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        return {"trips": kinds, "patterns": self.n_patterns, "twin_patterns": getattr(self, "n_twins", 0),
                "alerts": len(self.alerts)}
