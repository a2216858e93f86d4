"""Timetable: read-only accessors over a bundle's timetable/* tables (query time, no parsing).

Opening costs O(1): arrays are zero-copy numpy views over the memory map. Things that need a
pass over strings (stop name lookup) are built lazily on first use.
"""
from __future__ import annotations

import datetime as dt
import threading
from functools import cached_property

import numpy as np

from .._core import TimetableView, fill_next_active
from .._types import NO_IDX
from ..bundle.reader import Bundle
from ..errors import BundleError, OutOfPeriodError, UnknownStopError


class _ArrowRows:
    """Row -> Python value of an Arrow array (the reader of a column with nulls)."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, row: int):
        if row < 0:                  # as StringColumn: Arrow would read from the end
            raise IndexError(f"row {row} out of range for a column of {len(self.array)}")
        return self.array[row].as_py()


def _row_reader(array):
    """StringColumn (engine._geocode: one slice + decode per row, rows >= 0) over a null-free
    string column, else _ArrowRows."""
    if array.null_count or str(array.type) != "string" or len(array) == 0:
        return _ArrowRows(array)
    from .._geocode import StringColumn

    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], np.int32, len(array) + 1, array.offset * 4)
    data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None and buffers[2].size else np.zeros(1, np.uint8)
    return StringColumn(array, offsets, data)


#: The flat arrays the RAPTOR kernels read (engine/_core.pyx TimetableView, engine/_mcraptor.pyx
#: McView takes the same minus trip_service), by attribute name.
KERNEL_ARRAYS = ("pattern_stops_offsets", "pattern_stops", "pattern_pickup", "pattern_dropoff",
                 "pattern_first_trip", "pattern_n_trips", "pattern_st_offset", "pattern_max_day", "st_arr",
                 "st_dep", "trip_service", "stop_patterns_offsets", "stop_patterns", "stop_patterns_pos",
                 "footpath_offsets", "footpath_to", "footpath_duration", "stop_min_change")


def kernel_arrays(source, names: tuple[str, ...] = KERNEL_ARRAYS, **override) -> dict:
    """Keyword arguments of a kernel view: ``source``'s arrays by name, some replaced (a filtered
    timetable masks pickups and footpaths)."""
    return {name: override[name] if name in override else getattr(source, name) for name in names}


class Timetable:
    """Flat timetable arrays of one bundle plus id/name lookups and service-day activity."""

    def __init__(self, bundle: Bundle):
        if not bundle.has("timetable/stops"):
            raise BundleError(f"bundle {bundle.path} has no timetable (built without GTFS)")
        self.bundle = bundle
        c, csr = bundle.column, bundle.csr
        self.pattern_stops_offsets, self.pattern_stops = csr("timetable/patterns", "stops")
        _, self.pattern_pickup = csr("timetable/patterns", "pickup")
        _, self.pattern_dropoff = csr("timetable/patterns", "dropoff")
        self.pattern_first_trip = c("timetable/patterns", "first_trip")
        self.pattern_n_trips = c("timetable/patterns", "n_trips")
        self.pattern_st_offset = c("timetable/patterns", "stop_times_offset")
        self.pattern_max_day = c("timetable/patterns", "max_day_offset")
        self.pattern_route = c("timetable/patterns", "route_idx")
        self.st_arr = c("timetable/stop_times", "arr")
        self.st_dep = c("timetable/stop_times", "dep")
        self.st_seq = c("timetable/stop_times", "seq")      # GTFS stop_sequence, same rows
        self.trip_pattern = c("timetable/trips", "pattern_idx")
        self.trip_route = c("timetable/trips", "route_idx")
        self.trip_service = c("timetable/trips", "service_idx")
        self.stop_patterns_offsets, self.stop_patterns = csr("timetable/stop_patterns", "pattern")
        _, self.stop_patterns_pos = csr("timetable/stop_patterns", "pos")
        self.footpath_offsets, self.footpath_to = csr("timetable/footpaths", "to")
        _, self.footpath_duration = csr("timetable/footpaths", "duration")
        self.stop_min_change = c("timetable/stops", "min_change_time")
        self.stop_lat = c("timetable/stops", "lat")
        self.stop_lon = c("timetable/stops", "lon")
        self.stop_parent = c("timetable/stops", "parent_idx")
        self.stop_location_type = c("timetable/stops", "location_type")
        self.stop_feed = c("timetable/stops", "feed_idx")
        period = bundle.manifest["timetable"]["period"]
        self.period_start = dt.date.fromisoformat(period["start"])
        self.n_days = int(period["n_days"])
        self.n_stops = len(self.stop_min_change)
        self.n_patterns = len(self.pattern_n_trips)
        self.n_trips = len(self.trip_service)
        self.view = TimetableView(**kernel_arrays(self))
        self.max_day_offset = self.view.max_day_offset
        self.route_type = c("timetable/routes", "route_type")
        self.trip_shape = c("timetable/trips", "shape_idx")
        self.shape_offsets, self.shape_lat = csr("timetable/shapes", "lat")
        _, self.shape_lon = csr("timetable/shapes", "lon")
        self._id_index_stop = c("timetable/stop_id_index", "stop_idx")
        self._string_columns: dict[tuple[str, str], object] = {}
        self._next_active_cache: dict[int, np.ndarray] = {}
        self._cache_lock = threading.Lock()
        per_day = max(1, self.n_trips * 4 * (self.max_day_offset + 2))
        self._next_active_capacity = max(4, 128_000_000 // per_day)

    # ------------------------------------------------------------------ geometry
    def trip_shape_points(self, trip_idx: int) -> tuple[np.ndarray, np.ndarray]:
        """(lat, lon) views of the trip's shapes.txt polyline; empty when the trip has none."""
        shape = int(self.trip_shape[trip_idx]) if len(self.trip_shape) else NO_IDX
        if shape < 0 or shape + 1 >= len(self.shape_offsets):     # NO_IDX: no shape
            return self.shape_lat[:0], self.shape_lon[:0]
        a, b = int(self.shape_offsets[shape]), int(self.shape_offsets[shape + 1])
        return self.shape_lat[a:b], self.shape_lon[a:b]

    # ------------------------------------------------------------------ strings
    def strings(self, table: str, column: str):
        """Arrow string column of timetable/<table>, cached (row access without table lookups)."""
        key = (table, column)
        array = self._string_columns.get(key)
        if array is None:
            array = self._string_columns[key] = self.bundle.strings(f"timetable/{table}", column)
        return array

    def rows(self, table: str, column: str):
        """Row (>= 0) -> str reader of a string column, cached: compiled slices when the column
        has no null (timetable texts are "" when a feed gave none), else Arrow scalars (null ->
        None). Legs and id lookups read a few rows per query; an Arrow scalar costs ~10x a slice."""
        key = (table, column, "rows")
        rows = self._string_columns.get(key)
        if rows is None:
            rows = self._string_columns[key] = _row_reader(self.strings(table, column))
        return rows

    def stop_id(self, stop_idx: int) -> str:
        return self.string("stops", "stop_id", stop_idx)

    def stop_name(self, stop_idx: int) -> str:
        return self.string("stops", "name", stop_idx)

    def string(self, table: str, column: str, row: int) -> str:
        rows = self.rows(table, column)
        return rows[row + len(rows) if row < 0 else row]      # -1 is the last row, as in Arrow

    @cached_property
    def feed_names(self) -> list[str]:
        return self.bundle.strings("timetable/feeds", "name").to_pylist()

    @cached_property
    def feed_timezones(self) -> list[str]:
        return self.bundle.strings("timetable/feeds", "timezone").to_pylist()

    def find_stop_id(self, stop_id: str) -> int | None:
        """Binary search in the sorted id index (no dict to build at open)."""
        ids = self.rows("stop_id_index", "stop_id")
        lo, hi = 0, len(ids)
        key = stop_id.encode()
        while lo < hi:
            mid = (lo + hi) // 2
            if ids[mid].encode() < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(ids) and ids[lo] == stop_id:
            return int(self._id_index_stop[lo])
        return None

    @cached_property
    def _names(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, name in enumerate(self.bundle.strings("timetable/stops", "name").to_pylist()):
            out.setdefault(name, []).append(i)
        return out

    @cached_property
    def _children(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for child in np.flatnonzero(self.stop_parent >= 0):
            out.setdefault(int(self.stop_parent[child]), []).append(int(child))
        return out

    def resolve_stop(self, ref: str, parameter: str = "stop") -> list[int]:
        """Stop indices for an id ("FEED:ID", or "ID" when one feed has it) or an exact name.

        A station (or any stop with children) stands for itself and its child stops.
        """
        if not isinstance(ref, str) or not ref.strip():
            raise UnknownStopError(f"{parameter}: empty stop reference", parameter)
        ref = ref.strip()
        if ref.startswith("stop:"):
            ref = ref[5:]
        found = self.find_stop_id(ref)
        hits = [found] if found is not None else []
        if not hits:
            prefixed = [self.find_stop_id(f"{feed}:{ref}") for feed in self.feed_names]
            hits = [h for h in prefixed if h is not None]
            if len(hits) > 1:
                raise UnknownStopError(
                    f"{parameter}: stop id {ref!r} exists in several feeds; prefix it with the feed "
                    f"name ({', '.join(self.stop_id(h) for h in hits)})", parameter)
        if not hits:
            hits = list(self._names.get(ref, []))
        if not hits:
            raise UnknownStopError(f"{parameter}: unknown stop {ref!r} (not a stop id nor an exact stop name)",
                                   parameter)
        out: list[int] = []
        for h in hits:
            out.append(h)
            out.extend(self._children.get(h, []))
        return sorted(set(out))

    # ------------------------------------------------------------------ service days
    @cached_property
    def _service_bits(self) -> np.ndarray:
        days = self.bundle.strings("timetable/services", "days")
        n = len(days)
        if n == 0:
            return np.zeros((0, 1), np.uint8)
        width = (self.n_days + 7) // 8
        buf = np.frombuffer(days.buffers()[2], dtype=np.uint8)
        start = int(np.frombuffer(days.buffers()[1], dtype=np.int32)[days.offset])
        return buf[start:start + n * width].reshape(n, width)

    def day_index(self, date: dt.date, parameter: str = "date") -> int:
        d = (date - self.period_start).days
        if d < 0 or d >= self.n_days:
            end = self.period_start + dt.timedelta(days=self.n_days - 1)
            raise OutOfPeriodError(
                f"{parameter}: {date.isoformat()} is outside the service period "
                f"{self.period_start.isoformat()} .. {end.isoformat()}", parameter)
        return d

    def street_stop_ok(self, reverse: bool = False) -> np.ndarray | None:
        """Which stops a street walk may reach (``reverse``: leave) for this timetable's
        travellers; None: every stop (engine/criteria/filters.py narrows it for wheelchairs)."""
        return None

    def next_active(self, day: int) -> np.ndarray:
        """int32 [max_day_offset + 2, n_trips] for query day `day` (see _core.run_raptor).

        Cached per day (LRU within a ~128 MB budget): a server mostly answers for a few dates.
        """
        cached = self._next_active_cache.get(day)
        if cached is None:
            cached = self._compute_next_active(day)
            with self._cache_lock:
                self._next_active_cache[day] = cached
                while len(self._next_active_cache) > self._next_active_capacity:
                    self._next_active_cache.pop(next(iter(self._next_active_cache)))
        return cached

    def _compute_next_active(self, day: int) -> np.ndarray:
        active = self.active_services(day)
        out = np.empty((active.shape[0], self.n_trips), dtype=np.int32)
        fill_next_active(active, np.ascontiguousarray(self.trip_service, dtype=np.int32), out)
        out.setflags(write=False)
        return out

    def active_services(self, day: int) -> np.ndarray:
        """uint8 [max_day_offset + 2, n_services]: row d + max_day_offset = runs on day + d."""
        shift = self.max_day_offset
        bits = self._service_bits
        out = np.zeros((shift + 2, bits.shape[0]), dtype=np.uint8)
        for row in range(shift + 2):
            d = day + row - shift
            if 0 <= d < self.n_days:
                out[row] = (bits[:, d >> 3] >> (d & 7)) & 1
        return out
