"""Overlay: one immutable snapshot of the real-time state, in the form the RAPTOR kernel reads.

Built from a TripTable (the trip records of every source, merged, as columns) at each
application (engine/realtime/state.py). A DIFFERENTIAL replaces its own trips' rows in the
previous overlay's table (the others' times are not copied trip by trip, nor re-read in Python)
and the patterns are rebuilt from the table in one vectorized pass plus three compiled loops
(``_realtime.split_no_overtaking``, ``layout_patterns``, ``stop_pattern_csr``): ~1 ms for
2,000 trips, where concatenating 2,000 per-trip arrays and the per-trip Python cost ~3.5 ms.

* ``suppressed``: (scheduled trip, service day) pairs that do not run as scheduled. Per query
  date the overlay copies that date's ``next_active`` rows and strikes them out
  (``_realtime.suppress_trips``, cached per date, the copies carried over to the next overlay
  when the trips struck out of those days did not change), so the static scan is unchanged.
* the changed, added and duplicated trips as extra patterns (``_core.OverlayView``): one group
  per stop sequence with its pickup/drop-off flags (a changed trip without skipped stops keeps
  its scheduled pattern's), trips sorted by first departure and split where one would
  overtake another (``_realtime.split_no_overtaking``), laid out like the bundle's patterns.
  The patterns of the changed trips of static pattern P (its stops; skipped stops only remove
  pickups/drop-offs) are numbered together and scanned in P's pass (``static_twin``,
  ``static_twin_n``); only added trips go through the stop -> overlay pattern CSR.
  Times are on the overlay's axis: seconds since the noon-minus-12h of ``epoch_day`` (its
  earliest service day), a trip of day S at (S - epoch_day) * 86400 + its GTFS time.
A query captures one Overlay (``Network`` swaps the reference atomically), so it sees the old or
the new snapshot, never a mix: a new overlay shares only immutable arrays with the old one.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter

import numpy as np

from .._boarding import OverlayTrips
from .._core import SENTINELS, OverlayView
from .._realtime import layout_patterns, split_no_overtaking, stop_pattern_csr, suppress_trips
from ..timetable.model import Timetable
from .alerts import AlertIndex
from .updates import TripRecord

DAY = 86_400
_DAY, _GROUP, _ARR, _DEP = attrgetter("day"), attrgetter("group"), attrgetter("arr"), attrgetter("dep")
_STATIC = attrgetter("static_trip")
_EMPTY = np.zeros(0, np.int32)
_PATTERN_ATTRS = ("suppressed", "n_canceled", "n_trips", "epoch_day", "trip_rows", "trip_pattern", "trip_rank",
                  "trip_day", "view", "arrays", "n_patterns", "n_twins", "static_twin", "static_twin_n")
MAX_TWINS = SENTINELS["MAX_TWINS"]   # overlay patterns scanned in one pass with a static one
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
    stop_patterns_offsets: np.ndarray   # stop -> overlay patterns but static_twin's (departures)
    stop_patterns: np.ndarray
    stop_patterns_pos: np.ndarray
    pattern_stops: np.ndarray           # (McRAPTOR with real time: engine/criteria/realtime.py)
    pattern_dropoff: np.ndarray


_NO_GROUP = -(1 << 40)           # group column of cancelled records (never read)
_COMPACT_MIN = 1024              # TripTable.replace compacts past this many dead rows ...


class TripTable:
    """The trip records of every source, merged, as columns: what an Overlay is built from.

    Immutable once built. ``replace`` (a DIFFERENTIAL application) returns a new table that
    shares nothing mutable with this one: rows of replaced or removed records are marked dead
    (``alive``), the new records appended, their times appended to the pools; only the new
    records cost Python work, and the pattern build gathers the live rows' times from the pools
    in one vectorized pass. Dead rows are dropped (a full rebuild) when they outnumber the
    live ones and ``_COMPACT_MIN``.

      records   list of TripRecord, row order (dead rows included); rows: key -> live row
      day, static (int64), group (int64, _NO_GROUP if cancelled), m (stops; 0 if cancelled),
      off (int64 [rows]: start in the pools), running, suppress, alive, added (bool)
      arr, dep  int32 pools: GTFS seconds of the record's service day
      codes     group -> its stops and flags packed (stop << 2 | pickup << 1 | drop-off), filled by
                the pattern builds and shared along a network's tables (a group id always names
                the same stops and flags: engine/realtime/updates.py UpdateReader._group)
    """

    __slots__ = ("records", "rows", "day", "static", "group", "m", "off", "running", "suppress", "alive",
                 "arr", "dep", "n_dead", "codes", "added")

    @classmethod
    def of(cls, records: list[TripRecord], codes: dict | None = None) -> TripTable:
        self = cls()
        self.codes = {} if codes is None else codes
        n = len(records)
        self.records = list(records)
        self.rows = {r.key: i for i, r in enumerate(self.records)}
        if len(self.rows) != n:                  # one live row per key: the last record wins
            keep = np.zeros(n, bool)
            keep[list(self.rows.values())] = True
        else:
            keep = np.ones(n, bool)
        self.day = np.fromiter(map(_DAY, records), np.int64, n)
        self.static = np.fromiter(map(_STATIC, records), np.int64, n)
        arrs = list(map(_ARR, records))
        live_arrs = [a for a in arrs if a is not None]
        self.running = np.fromiter((a is not None for a in arrs), bool, n)
        self.m = np.fromiter((0 if a is None else len(a) for a in arrs), np.int64, n)
        self.group = np.fromiter((_NO_GROUP if g is None else g for g in map(_GROUP, records)), np.int64, n)
        self.suppress = np.fromiter((r.static_trip >= 0 and (r.kind == "updated" or r.kind == "canceled"
                                                             or r.replaces) for r in records), bool, n)
        self.added = np.fromiter((r.kind == "added" for r in records), bool, n)
        self.off = np.zeros(n, np.int64)
        if n:
            np.cumsum(self.m[:-1], out=self.off[1:])
        empty = np.zeros(0, np.int32)
        self.arr = np.concatenate(live_arrs).astype(np.int32, copy=False) if live_arrs else empty
        self.dep = np.concatenate(list(map(_DEP, [r for r in records if r.arr is not None]))).astype(
            np.int32, copy=False) if live_arrs else empty
        self.alive = keep
        self.n_dead = int(n - keep.sum())
        return self

    def replace(self, keys, new: list[TripRecord]) -> TripTable:
        """This table with the records of ``keys`` removed and ``new`` (records whose keys are
        among ``keys``) added: a new table, this one unchanged."""
        dead = [self.rows[k] for k in keys if k in self.rows]
        if self.n_dead + len(dead) > max(_COMPACT_MIN, len(self.rows) - len(dead) + len(new)):
            rows = dict(self.rows)
            for k in keys:
                rows.pop(k, None)
            return TripTable.of([self.records[i] for i in rows.values()] + new, self.codes)
        add = TripTable.of(new, self.codes)
        out = TripTable()
        out.codes = self.codes
        base = len(self.records)
        out.records = self.records + add.records
        out.rows = dict(self.rows)
        for k in keys:
            out.rows.pop(k, None)
        out.rows.update({k: base + i for k, i in add.rows.items()})
        alive = self.alive.copy()
        alive[dead] = False
        out.alive = np.concatenate((alive, add.alive))
        out.n_dead = self.n_dead + len(dead) + add.n_dead
        for name in ("day", "static", "group", "m", "running", "suppress", "added"):
            setattr(out, name, np.concatenate((getattr(self, name), getattr(add, name))))
        out.off = np.concatenate((self.off, add.off + len(self.arr)))
        out.arr = np.concatenate((self.arr, add.arr))
        out.dep = np.concatenate((self.dep, add.dep))
        return out


class Overlay:
    """The real-time trips and alerts of one moment (immutable once built).

    ``previous``: the overlay this one follows; when the trip records did not change (an alerts
    feed) its patterns are reused, and its cached next_active copies for the query days whose
    struck-out trips are the same."""

    def __init__(self, tt: Timetable, table: TripTable | list, alerts: AlertIndex, sources: dict,
                 previous: Overlay | None = None):
        if not isinstance(table, TripTable):
            table = TripTable.of(table)
        self.tt = tt
        self.alerts = alerts
        self.sources = sources                  # name -> status dict (for realtime_status)
        self.table = table
        self._lock = threading.Lock()
        self._next_active: dict[int, np.ndarray] = {}
        if previous is not None and previous.table is table:
            for name in _PATTERN_ATTRS:
                setattr(self, name, getattr(previous, name))
            self._next_active = dict(previous._next_active)
            return
        live = table.alive
        sup = np.flatnonzero(live & table.suppress)
        sup_day, sup_trip = table.day[sup], table.static[sup].astype(np.int32)
        self.suppressed = {int(d): np.unique(sup_trip[sup_day == d])[::-1].copy() for d in np.unique(sup_day)}
        running = np.flatnonzero(live & table.running)
        self.n_canceled = int(np.count_nonzero(live)) - len(running)
        self.n_trips = len(running)
        self._build_patterns(running)
        if previous is not None:
            # a query day's next_active copy depends only on the trips struck out of the
            # service days its rows cover
            shift = tt.max_day_offset
            for day, cached in previous._next_active.items():
                days = range(day - shift, day + 2)
                old, new = previous.suppressed, self.suppressed
                if all(np.array_equal(old.get(d, _EMPTY), new.get(d, _EMPTY)) for d in days):
                    self._next_active[day] = cached

    @cached_property
    def records_by_key(self) -> dict:
        records = self.table.records
        return {k: records[i] for k, i in self.table.rows.items()}

    @cached_property
    def suppressed_pairs(self) -> set[tuple[int, int]]:
        return {(int(t), d) for d, v in self.suppressed.items() for t in v.tolist()}

    @cached_property
    def trips(self) -> list[TripRecord]:
        """The running records in overlay trip order."""
        records = self.table.records
        return [records[i] for i in self.trip_rows.tolist()]

    # ------------------------------------------------------------------ patterns
    def _build_patterns(self, rows: np.ndarray) -> None:
        """Patterns of the table's running rows ``rows``: one vectorized pass (no per-trip Python)."""
        tt, tab = self.tt, self.table
        n = len(rows)
        days = tab.day[rows]
        self.epoch_day = int(days.min()) if n else 0
        empty32 = np.zeros(0, np.int32)
        if n == 0:
            self.trip_rows = np.zeros(0, np.int64)
            self.trip_pattern = self.trip_rank = self.trip_day = empty32
            self.view = self.arrays = None
            self.n_patterns = self.n_twins = 0
            self.static_twin = np.full(tt.n_patterns, -1, np.int32)
            self.static_twin_n = np.zeros(tt.n_patterns, np.int32)
            return
        group = tab.group[rows]
        # the static pattern whose stops a trip keeps (pickup/drop-off maybe fewer: skipped
        # stops), -1 for added trips: the overlay patterns of one base are scanned with it
        static = tab.static[rows]
        base = np.where(tab.added[rows] | (static < 0), -1,
                        np.asarray(tt.trip_pattern)[np.maximum(static, 0)]).astype(np.int64)
        m = tab.m[rows]
        shift = (days - self.epoch_day) * DAY
        pool_start = tab.off[rows]
        first = tab.dep[pool_start].astype(np.int64) + shift
        # trips by (base, group, first departure), ties in row order (lexsort is stable)
        order = np.lexsort((first, group, base))
        base, group, m, shift, pool_start = base[order], group[order], m[order], shift[order], pool_start[order]
        new_group = (np.diff(group, prepend=group[0] - 1) != 0) | (np.diff(base, prepend=base[0] - 1) != 0)
        group_start = np.append(np.flatnonzero(new_group), n).astype(np.int64)
        sub = np.empty(n, np.int32)
        split_no_overtaking(group_start, pool_start, m, shift, tab.arr, tab.dep, sub)
        # pattern = (group, sub-pattern); a stable sort keeps the departure order inside each
        gid = np.cumsum(new_group) - 1
        key = gid * (int(sub.max()) + 1) + sub
        porder = np.argsort(key, kind="stable")
        key_sorted = key[porder]
        step = np.diff(key_sorted, prepend=-1) != 0
        new_pattern = np.flatnonzero(step)
        n_patterns = len(new_pattern)
        tp = (np.cumsum(step) - 1).astype(np.int32)          # pattern of each trip, in trip order
        # trips renumbered pattern by pattern
        self.trip_rows = rows[order[porder]]
        m_t = m[porder]
        pattern_first = new_pattern.astype(np.int32)
        pattern_n = np.diff(np.append(new_pattern, n)).astype(np.int32)
        pattern_m = m_t[new_pattern].astype(np.int64)
        sizes = pattern_n.astype(np.int64) * pattern_m
        pattern_st = np.zeros(n_patterns, np.int64)
        np.cumsum(sizes[:-1], out=pattern_st[1:])
        rank = (np.arange(n, dtype=np.int32) - pattern_first[tp]).astype(np.int32)
        total = int(sizes.sum())
        st_arr = np.empty(total, np.int32)
        st_dep = np.empty(total, np.int32)
        layout_patterns(pool_start[porder], m_t, shift[porder], tp, rank, pattern_st, pattern_n, tab.arr, tab.dep,
                        st_arr, st_dep)
        # stops and flags of each pattern: its group's (one packed array per group, cached)
        head_group = group[porder][new_pattern]
        codes = tab.codes
        head_list = head_group.tolist()
        for g, i in zip(head_list, new_pattern.tolist()):
            if g not in codes:
                r = tab.records[int(self.trip_rows[i])]
                codes[g] = ((np.asarray(r.stops, np.int32) << 2) | ((np.asarray(r.pickup) != 0).astype(np.int32) << 1)
                            | (np.asarray(r.dropoff) != 0).astype(np.int32))
        packed = np.concatenate([codes[g] for g in head_list])
        p_stops = (packed >> 2).astype(np.int32)
        p_pick = ((packed >> 1) & 1).astype(np.uint8)
        p_drop = (packed & 1).astype(np.uint8)
        p_off = np.zeros(n_patterns + 1, np.int32)
        np.cumsum(pattern_m, out=p_off[1:])
        # the overlay patterns of static pattern P (its changed trips: same stops, pickup/drop-off
        # where P has them) are P's twins: the kernel scans them in P's pass (_scan_pattern_twin),
        # up to MAX_TWINS of them; the others (added trips, twins past that) go through the CSR
        head_base = base[porder][new_pattern]
        rank_in_base = np.arange(n_patterns) - np.maximum.accumulate(
            np.where(np.diff(head_base, prepend=head_base[0] - 1) != 0, np.arange(n_patterns), 0))
        folded = (head_base >= 0) & (rank_in_base < MAX_TWINS)
        firsts = folded & (rank_in_base == 0)
        twin = np.full(tt.n_patterns, -1, np.int32)
        twin_n = np.zeros(tt.n_patterns, np.int32)
        twin[head_base[firsts]] = np.flatnonzero(firsts).astype(np.int32)
        np.add.at(twin_n, head_base[folded], 1)
        sp_off, sp_pattern, sp_pos = stop_pattern_csr(p_off, p_stops, (~folded).view(np.uint8), tt.n_stops)
        # departures (Python) read the first twin of each static pattern and a CSR of the others
        py_csr = stop_pattern_csr(p_off, p_stops, (~firsts).view(np.uint8), tt.n_stops)
        self.trip_day = (tab.day[self.trip_rows] - self.epoch_day).astype(np.int32)
        self.trip_pattern = tp
        self.trip_rank = rank.astype(np.int32)
        self.n_patterns = n_patterns
        self.view = OverlayView(
            pattern_stops_offsets=p_off, pattern_stops=p_stops, pattern_pickup=p_pick, pattern_dropoff=p_drop,
            pattern_first_trip=pattern_first, pattern_n_trips=pattern_n, pattern_st_offset=pattern_st,
            st_arr=st_arr, st_dep=st_dep, trip_day=self.trip_day, stop_patterns_offsets=sp_off,
            stop_patterns=sp_pattern, stop_patterns_pos=sp_pos, trip_base=tt.n_trips,
            static_twin=twin, static_twin_n=twin_n, timetable=tt.view)
        self.n_twins = int(folded.sum())
        self.static_twin = twin
        self.static_twin_n = twin_n
        self.arrays = OverlayArrays(p_off, p_pick, pattern_first, pattern_n, pattern_st, st_arr, st_dep, *py_csr,
                                    pattern_stops=p_stops, pattern_dropoff=p_drop)

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

    @cached_property
    def boarding_trips(self) -> OverlayTrips | None:
        """Its trips as later_trips reads them (engine/raptor/boarding.py; None: no trip runs)."""
        if self.view is None:
            return None
        a = self.arrays
        return OverlayTrips(self.tt.n_trips, self.trip_pattern, self.trip_day, a.pattern_first_trip,
                            a.pattern_n_trips, a.pattern_st_offset, a.st_dep, a.st_arr, a.pattern_stops_offsets,
                            a.pattern_pickup, a.pattern_dropoff, self.static_twin, self.static_twin_n)

    def rt_shift(self, day: int) -> int:
        """Its time axis less query day ``day``'s (seconds)."""
        return (day - self.epoch_day) * DAY

    def kernel_args(self, day: int) -> dict:
        """Keyword arguments of _core.run_raptor for a query of day ``day``."""
        if self.view is None:
            return {}
        return {"rt": self.view, "rt_shift": self.rt_shift(day), "rt_last_day": day + 1 - self.epoch_day}

    # ------------------------------------------------------------------ trips (legs, departures)
    def record(self, trip: int) -> TripRecord:
        return self.trips[trip - self.tt.n_trips]

    def times(self, trip: int, day: int, pos: int) -> tuple[int, int]:
        """(arrival, departure) of an overlay trip at stop_pos on the query day's axis: its
        record's times (those the patterns hold, less the query day's shift)."""
        record = self.trips[trip - self.tt.n_trips]
        shift = (record.day - day) * DAY
        return int(record.arr[pos]) + shift, int(record.dep[pos]) + shift

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
        return {"trips": kinds, "patterns": self.n_patterns, "twin_patterns": self.n_twins,
                "alerts": len(self.alerts)}
