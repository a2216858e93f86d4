"""The engine facade: open a bundle once, then ask questions (plan, arrivals, geocode, streets).

``engine.open(path)`` memory-maps the bundle; nothing is parsed. Each component (timetable,
streets, geocoder) is present when the bundle was built with its input.
"""
from __future__ import annotations

import datetime as dt
import os
from functools import cached_property
from typing import Any

import numpy as np

from ._types import UNREACHED
from .bundle.reader import Bundle, open_bundle
from .errors import BundleError, InvalidQueryError
from .raptor.journey import Plan, Waypoint
from .raptor.search import (DEFAULT_MIN_CHANGE_S, LegBuilder, RaptorQuery, RaptorRunner, check_change_time,
                            check_max_transfers, local_datetime, parse_date, parse_time, zone)
from .timetable.model import Timetable


class Network:
    """A bundle opened for queries. Thread-safe: each thread gets its own RAPTOR workspace."""

    def __init__(self, bundle: Bundle, warmup: bool = True):
        self.bundle = bundle
        self.manifest: dict[str, Any] = bundle.manifest
        self.timetable: Timetable | None = Timetable(bundle) if bundle.has("timetable/stops") else None
        self._runner = RaptorRunner(self.timetable) if self.timetable else None
        self._legs = LegBuilder(self.timetable) if self.timetable else None
        if warmup:
            self.warmup()

    def warmup(self) -> None:
        """Allocate this thread's workspace so the first request does not pay for it."""
        if self._runner is not None:
            self._runner.workspace(5)

    # ------------------------------------------------------------------ helpers
    def _require_timetable(self) -> Timetable:
        if self.timetable is None:
            raise BundleError("this bundle has no timetable (build it with GTFS feeds)")
        return self.timetable

    def stop_indices(self, ref: str, parameter: str = "stop") -> list[int]:
        """Stop indices for a stop id ("FEED:ID" or unambiguous "ID") or an exact stop name."""
        return self._require_timetable().resolve_stop(ref, parameter)

    def _tz(self, stop: int):
        tt = self._require_timetable()
        return zone(tt.feed_timezones[int(tt.stop_feed[stop])])

    def _waypoint(self, stops: list[int]) -> Waypoint:
        tt = self._require_timetable()
        s = stops[0]
        return Waypoint(tt.stop_name(s), float(tt.stop_lat[s]), float(tt.stop_lon[s]), tt.stop_id(s))

    # ------------------------------------------------------------------ journeys
    def plan(self, origin: str, destination: str, date: dt.date | str, time: str | int, *,
             max_transfers: int = 4, min_change_time: int = DEFAULT_MIN_CHANGE_S,
             walk_before_first: bool = True, walk_after_last: bool = True) -> Plan:
        """Earliest-arrival journeys between two stops: the Pareto set (arrival, vehicles).

        Parameters
        ----------
        origin, destination : stop id ("FEED:ID", or "ID" if unambiguous) or exact stop name;
            a station stands for all its platforms.
        date : service date (YYYY-MM-DD); time : departure, "HH:MM[:SS]" local to the feed.
        max_transfers : changes allowed (vehicles = max_transfers + 1).
        min_change_time : seconds needed to change vehicles at the same stop (a stop's own
            transfers.txt minimum wins).
        """
        tt = self._require_timetable()
        day_date = parse_date(date)
        day = tt.day_index(day_date)
        start = parse_time(time)
        rounds = check_max_transfers(max_transfers)
        change = check_change_time(min_change_time)
        origins = self.stop_indices(origin, "origin")
        targets = self.stop_indices(destination, "destination")
        q = RaptorQuery(np.asarray(origins, np.int32), np.full(len(origins), start, np.int32),
                        np.asarray(targets, np.int32), np.zeros(len(targets), np.int32), day, rounds,
                        change, bool(walk_before_first), bool(walk_after_last))
        ws = self._runner.run(q)
        tz = self._tz(origins[0])
        itineraries = []
        for n_vehicles, arrival_s, raw, _ in self._runner.pareto(q, ws):
            legs = self._legs.build(raw, day_date, tz)
            itineraries.append(self._legs.itinerary(n_vehicles, arrival_s, legs, day_date, start, tz))
        return Plan(self._waypoint(origins), self._waypoint(targets), day_date,
                    f"{start // 3600:02d}:{start % 3600 // 60:02d}:{start % 60:02d}", tuple(itineraries),
                    {"rounds": ws.rounds_run})

    def round_arrivals(self, origin_stop_idx: np.ndarray, origin_time_s: np.ndarray, date: dt.date | str,
                       max_rounds: int, *, min_change_time: int = DEFAULT_MIN_CHANGE_S,
                       walk_before_first: bool = True) -> np.ndarray:
        """int32 [max_rounds + 1, n_stops]: earliest arrival with <= k vehicles at every stop
        (seconds since the date's noon-minus-12h; UNREACHED when unreachable)."""
        tt = self._require_timetable()
        day = tt.day_index(parse_date(date))
        stops = np.ascontiguousarray(origin_stop_idx, dtype=np.int32)
        times = np.ascontiguousarray(origin_time_s, dtype=np.int32)
        if stops.shape != times.shape or stops.ndim != 1:
            raise InvalidQueryError("origin stops and times must be 1-D arrays of the same length", "origin")
        if len(stops) and (stops.min() < 0 or stops.max() >= tt.n_stops):
            raise InvalidQueryError("origin stop index out of range", "origin")
        if not 0 <= max_rounds < 16:
            raise InvalidQueryError("max_rounds must be in 0..15", "max_rounds")
        q = RaptorQuery(stops, times, np.empty(0, np.int32), np.empty(0, np.int32), day, int(max_rounds),
                        check_change_time(min_change_time), bool(walk_before_first), True)
        ws = self._runner.run(q)
        return np.array(ws.arrival_np[:max_rounds + 1], copy=True)

    def earliest_arrivals(self, origin: str, date: dt.date | str, time: str | int, *, max_transfers: int = 4,
                          min_change_time: int = DEFAULT_MIN_CHANGE_S) -> dict[str, dt.datetime]:
        """One-to-all: stop id -> earliest arrival datetime, for every reachable stop."""
        tt = self._require_timetable()
        day_date = parse_date(date)
        origins = self.stop_indices(origin, "origin")
        start = parse_time(time)
        labels = self.round_arrivals(np.asarray(origins), np.full(len(origins), start), day_date,
                                     check_max_transfers(max_transfers), min_change_time=min_change_time)
        best = labels[-1]
        tz = self._tz(origins[0])
        ids = self.bundle.strings("timetable/stops", "stop_id")
        return {ids[int(s)].as_py(): local_datetime(day_date, int(best[s]), tz)
                for s in np.flatnonzero(best < UNREACHED)}

    # ------------------------------------------------------------------ info
    def info(self) -> dict[str, Any]:
        """Bundle summary (manifest without the per-table details)."""
        return {k: v for k, v in self.manifest.items() if k not in ("tables",)}


def open(path: str | os.PathLike, warmup: bool = True) -> Network:  # noqa: A001 - public API name
    """Open a bundle directory for queries (memory map, no parsing)."""
    return Network(open_bundle(path), warmup=warmup)
