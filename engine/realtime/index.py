"""Lookups that GTFS-Realtime needs over the static timetable, built once per opened bundle.

Ids in the bundle carry their feed's prefix ("FEED:ID"); a realtime feed names them bare, so
the dictionaries are keyed by the prefixed UTF-8 bytes and a feed's prefix is added on lookup
(``_realtime.lookup_spans``). Building them costs one pass over the trip, stop and route ids
(~30 ms for 100,000 trips), paid by the first ``apply_realtime``, never by a query.
"""
from __future__ import annotations

import datetime as dt
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np

from ..timetable.model import Timetable


class StaticIndex:
    """Id dictionaries and per-trip facts of one timetable (read-only once built)."""

    def __init__(self, tt: Timetable):
        self.tt = tt
        self.n_trips = tt.n_trips
        p = np.asarray(tt.trip_pattern, np.int64)
        self.trip_pos = (np.arange(tt.n_trips, dtype=np.int64) - np.asarray(tt.pattern_first_trip, np.int64)[p])
        self.trip_n = np.asarray(tt.pattern_n_trips, np.int32)[p]
        self.trip_st_base = np.asarray(tt.pattern_st_offset, np.int64)[p] + self.trip_pos
        self.trip_stops_start = np.asarray(tt.pattern_stops_offsets, np.int32)[p]
        self.trip_m = (np.asarray(tt.pattern_stops_offsets, np.int32)[p + 1] - self.trip_stops_start).astype(np.int32)
        st_dep, st_arr = np.asarray(tt.st_dep), np.asarray(tt.st_arr)
        self.trip_first_dep = st_dep[self.trip_st_base].astype(np.int64)
        self.trip_last_arr = st_arr[self.trip_st_base + (self.trip_m.astype(np.int64) - 1) * self.trip_n].astype(np.int64)
        self.trip_service = np.asarray(tt.trip_service, np.int64)
        self._zones: dict[str, ZoneInfo | None] = {}
        self._epochs: dict[tuple[str, int], int] = {}

    @cached_property
    def trip_ids(self) -> list[str]:
        return self.tt.strings("trips", "trip_id").to_pylist()

    @cached_property
    def trips(self) -> dict[bytes, int]:
        return {s.encode(): i for i, s in enumerate(self.trip_ids)}

    @cached_property
    def stops(self) -> dict[bytes, int]:
        ids = self.tt.strings("stops", "stop_id").to_pylist()
        return {s.encode(): i for i, s in enumerate(ids)}

    @cached_property
    def routes(self) -> dict[bytes, int]:
        ids = self.tt.strings("routes", "route_id").to_pylist()
        return {s.encode(): i for i, s in enumerate(ids)}

    # ------------------------------------------------------------------ service days
    def zone(self, feed: int) -> ZoneInfo | None:
        name = self.tt.feed_timezones[feed]
        if name not in self._zones:
            try:
                self._zones[name] = ZoneInfo(name)
            except Exception:        # unknown or empty zone name: UTC
                self._zones[name] = None
        return self._zones[name]

    def day_of(self, date: dt.date) -> int:
        """Day index of a date relative to the bundle period's first day (may be outside it)."""
        return (date - self.tt.period_start).days

    def date_of(self, day: int) -> dt.date:
        return self.tt.period_start + dt.timedelta(days=int(day))

    def epoch(self, feed: int, day: int) -> int:
        """Unix time of the noon-minus-12h of service day ``day`` in the feed's time zone: GTFS
        times of that day are seconds after it."""
        key = (self.tt.feed_timezones[feed], int(day))
        out = self._epochs.get(key)
        if out is None:
            tz = self.zone(feed) or dt.timezone.utc
            noon = dt.datetime.combine(self.date_of(day), dt.time(12), tzinfo=tz)
            out = self._epochs[key] = int(noon.timestamp()) - 12 * 3600
        return out

    def local_day(self, feed: int, unix_time: int) -> int:
        """Day index of the local calendar date at a Unix time, in the feed's time zone."""
        tz = self.zone(feed) or dt.timezone.utc
        return self.day_of(dt.datetime.fromtimestamp(int(unix_time), tz).date())

    def near_period(self, day: int) -> bool:
        """A service day that a query of the bundle period can see (trips past midnight)."""
        return -self.tt.max_day_offset - 1 <= day <= self.tt.n_days

    def runs(self, trips: np.ndarray, days: np.ndarray) -> np.ndarray:
        """bool per (trip, day): the trip's service runs on that day (False outside the period)."""
        bits = self.tt._service_bits
        days = np.asarray(days, np.int64)
        inside = (days >= 0) & (days < self.tt.n_days)
        d = np.where(inside, days, 0)
        if bits.shape[0] == 0:
            return np.zeros(len(days), bool)
        on = (bits[self.trip_service[trips], d >> 3] >> (d & 7)) & 1
        return inside & (on == 1)
