"""McRAPTOR (a third criterion) with a GTFS-Realtime overlay: the schedule's patterns and the
overlay's as one timetable for one query day.

The overlay (engine/realtime/overlay.py) keeps the trips it changes or adds as extra patterns,
their times on its own axis; the two-criteria kernel scans them beside the static ones. McRAPTOR
reads one set of pattern arrays, so ``RealtimeTimetable`` appends the overlay's patterns to the
schedule's: pattern ``n_static + j`` is overlay pattern j, its trips ``n_trips + i`` as in the
overlay (so legs and reconstruction name the same trips), and the kernel reads their stop times
apart (McView ``rt_st_arr`` / ``rt_st_dep``: the schedule's stop times are read in place, never
copied). For query day D the overlay times are shifted onto D's axis, so an overlay trip runs
"on day D" only: its pattern_max_day is 0, and next_active holds it on D's row and nothing on the
others. The schedule's next_active is the overlay's (changed and cancelled trips struck out). A
snapshot's day-independent arrays (patterns, the stop -> pattern index, fastest hops, routes)
are built once (``RealtimeArrays``, kept with the snapshot); a day adds the shifted times
(overlay-sized) and a copy of that day's next_active widened by the overlay trips' columns
(timetable-sized: day rows x trips, int32).
"""
from __future__ import annotations

import threading
import weakref
from types import SimpleNamespace

import numpy as np

from .bounds import fastest_hops_array

#: query days whose McRAPTOR timetable a snapshot keeps (each holds a thread's workspace)
DAYS_KEPT = 3
_LOCK = threading.Lock()
_ARRAYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # overlay -> {timetable key: RealtimeArrays}


class RealtimeArrays:
    """The day-independent arrays of the schedule (``tt``, maybe filtered) plus one overlay."""

    def __init__(self, tt, overlay):
        a = overlay.arrays
        self.tt, self.overlay = tt, overlay
        self.n_static = n_static = int(tt.n_patterns)
        n_rt = int(overlay.n_patterns) if a is not None else 0
        i32 = lambda x: np.ascontiguousarray(x, np.int32)       # noqa: E731
        static_offsets = np.asarray(tt.pattern_stops_offsets, np.int64)
        if n_rt:
            rt_offsets = np.asarray(a.pattern_stops_offsets, np.int64)
            self.pattern_stops_offsets = i32(np.concatenate([static_offsets, static_offsets[-1] + rt_offsets[1:]]))
            self.pattern_stops = i32(np.concatenate([tt.pattern_stops, a.pattern_stops]))
            self.pattern_pickup = np.ascontiguousarray(np.concatenate([tt.pattern_pickup, a.pattern_pickup]), np.uint8)
            self.pattern_dropoff = np.ascontiguousarray(np.concatenate([tt.pattern_dropoff, a.pattern_dropoff]),
                                                        np.uint8)
            self.pattern_first_trip = i32(np.concatenate([tt.pattern_first_trip, tt.n_trips + a.pattern_first_trip]))
            self.pattern_n_trips = i32(np.concatenate([tt.pattern_n_trips, a.pattern_n_trips]))
            self.pattern_st_offset = np.ascontiguousarray(
                np.concatenate([tt.pattern_st_offset, a.pattern_st_offset]), np.int64)
            self.pattern_max_day = i32(np.concatenate([tt.pattern_max_day, np.zeros(n_rt, np.int32)]))
            self.trip_pattern = i32(np.concatenate([tt.trip_pattern, n_static + overlay.trip_pattern]))
            self.rt_hop_min = fastest_hops_array(SimpleNamespace(
                pattern_stops_offsets=a.pattern_stops_offsets, pattern_n_trips=a.pattern_n_trips,
                pattern_st_offset=a.pattern_st_offset, st_arr=a.st_arr, st_dep=a.st_dep, pattern_stops=a.pattern_stops))
            self._stop_index(tt, rt_offsets, np.asarray(a.pattern_stops, np.int64))
            self.rt_route = self._routes(overlay, n_rt)
        else:
            for name in ("pattern_stops_offsets", "pattern_stops", "pattern_pickup", "pattern_dropoff",
                         "pattern_first_trip", "pattern_n_trips", "pattern_st_offset", "pattern_max_day",
                         "trip_pattern", "stop_patterns_offsets", "stop_patterns", "stop_patterns_pos"):
                setattr(self, name, getattr(tt, name))
            self.rt_hop_min = np.zeros(0, np.int32)
            self.rt_route = np.zeros(0, np.int64)
        self.n_patterns = n_static + n_rt
        self._days: dict[int, RealtimeTimetable] = {}
        self._lock = threading.Lock()

    def _stop_index(self, tt, rt_offsets: np.ndarray, rt_stops: np.ndarray) -> None:
        """stop -> (pattern, stop_pos) over both pattern sets (the static order kept per stop)."""
        n_stops = int(tt.n_stops)
        s_off = np.asarray(tt.stop_patterns_offsets, np.int64)
        s_stop = np.repeat(np.arange(n_stops, dtype=np.int64), np.diff(s_off))
        lengths = np.diff(rt_offsets)
        r_pattern = np.repeat(np.arange(len(lengths), dtype=np.int64) + self.n_static, lengths)
        r_pos = np.arange(len(rt_stops), dtype=np.int64) - np.repeat(rt_offsets[:-1], lengths)
        stop = np.concatenate([s_stop, rt_stops])
        order = np.argsort(stop, kind="stable")
        self.stop_patterns = np.ascontiguousarray(np.concatenate([tt.stop_patterns, r_pattern])[order], np.int32)
        self.stop_patterns_pos = np.ascontiguousarray(np.concatenate([tt.stop_patterns_pos, r_pos])[order], np.int32)
        offsets = np.zeros(n_stops + 1, np.int32)
        np.cumsum(np.bincount(stop, minlength=n_stops), out=offsets[1:])
        self.stop_patterns_offsets = offsets

    @staticmethod
    def _routes(overlay, n_rt: int) -> np.ndarray:
        """Each overlay pattern's route (its trips' records), -1 when unknown or mixed (a trip the
        feed added without a route, or added trips of two routes with the same stops)."""
        route = np.array([r.route for r in overlay.trips], np.int64)
        pattern = np.asarray(overlay.trip_pattern, np.int64)
        lo = np.full(n_rt, np.iinfo(np.int64).max)
        hi = np.full(n_rt, -2, np.int64)
        np.minimum.at(lo, pattern, route)
        np.maximum.at(hi, pattern, route)
        return np.where(lo == hi, lo, -1)

    def day(self, day: int) -> RealtimeTimetable:
        """The timetable of query day ``day`` (kept for the last DAYS_KEPT days)."""
        found = self._days.get(day)
        if found is None:
            found = RealtimeTimetable(self, day)
            with self._lock:
                found = self._days.setdefault(day, found)
                while len(self._days) > DAYS_KEPT:
                    self._days.pop(next(iter(self._days)))
        return found


class RealtimeTimetable:
    """The schedule plus the overlay for query day ``day``: what McPlanner reads (the other
    attributes are the schedule's)."""

    def __init__(self, arrays: RealtimeArrays, day: int):
        tt, overlay = arrays.tt, arrays.overlay
        self._base, self.arrays, self.day, self.overlay = tt, arrays, day, overlay
        self.mc = None              # its McPlanner (engine/criteria/mcraptor.py plan_mc)
        for name in ("n_static", "n_patterns", "pattern_stops_offsets", "pattern_stops", "pattern_pickup",
                     "pattern_dropoff", "pattern_first_trip", "pattern_n_trips", "pattern_st_offset",
                     "pattern_max_day", "trip_pattern", "stop_patterns_offsets", "stop_patterns",
                     "stop_patterns_pos"):
            setattr(self, name, getattr(arrays, name))
        self.pattern_route = np.concatenate([np.asarray(tt.pattern_route, np.int64), arrays.rt_route])
        a = overlay.arrays
        if a is not None and arrays.n_patterns > arrays.n_static:
            shift = overlay.kernel_args(day)["rt_shift"]
            self.rt_st_arr = np.ascontiguousarray(a.st_arr - shift, np.int32)
            self.rt_st_dep = np.ascontiguousarray(a.st_dep - shift, np.int32)
        else:
            self.rt_st_arr = self.rt_st_dep = np.zeros(0, np.int32)
        static = overlay.next_active(day)
        n_trips, n_rt = int(tt.n_trips), len(overlay.trip_pattern)
        extra = np.full((static.shape[0], n_rt), n_trips + n_rt, np.int32)
        extra[tt.max_day_offset] = n_trips + np.arange(n_rt, dtype=np.int32)     # (row of day offset 0)
        self._next_active = np.ascontiguousarray(np.concatenate([static, extra], axis=1))
        self._next_active.setflags(write=False)

    def __getattr__(self, name: str):
        return getattr(self._base, name)

    def next_active(self, day: int) -> np.ndarray:
        if day != self.day:
            raise ValueError(f"this real-time timetable is day {self.day}'s, not {day}'s")
        return self._next_active

    def departures(self, p: int, pos: int) -> np.ndarray:
        """The departures of pattern p's trips at stop_pos pos (overlay ones on the day's axis)."""
        n, first = int(self.pattern_n_trips[p]), int(self.pattern_st_offset[p]) + pos * int(self.pattern_n_trips[p])
        return (self.rt_st_dep if p >= self.n_static else self._base.st_dep)[first:first + n]

    def hop_min(self, static_hop_min: np.ndarray) -> np.ndarray:
        """The stage bounds' fastest hops: the schedule's, then the overlay's."""
        return np.ascontiguousarray(np.concatenate([static_hop_min, self.arrays.rt_hop_min]), np.int32)

    def mc_view_extra(self) -> dict:
        """McView keyword arguments for the overlay's stop times."""
        return {"rt_st_arr": self.rt_st_arr, "rt_st_dep": self.rt_st_dep, "n_static": self.n_static}


def realtime_arrays(tt, overlay, key) -> RealtimeArrays:
    """``RealtimeArrays`` of (``tt``, ``overlay``), built once per snapshot and ``key`` (the
    timetable's filters)."""
    with _LOCK:
        found = _ARRAYS.setdefault(overlay, {}).get(key)
    if found is None:
        found = RealtimeArrays(tt, overlay)
        with _LOCK:
            found = _ARRAYS.setdefault(overlay, {}).setdefault(key, found)
    return found

