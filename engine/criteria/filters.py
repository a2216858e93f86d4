"""Accessibility and bikes-on-board filters (issue 14) as a filtered timetable: the RAPTOR kernel
runs unchanged on masked copies of a few arrays.

- ``wheelchair``: stops whose ``wheelchair_boarding`` (inherited from the parent station at build
  time) is 2 get pickup = dropoff = 0 at every stop_pos of every pattern, and lose their
  footpaths; the footpaths are ``timetable/footpaths_step_free`` (street walks on the wheelchair
  profile, no ``highway=steps`` nor steep inclines, and only what pathways.txt leaves without
  stairs, escalators or a max_slope steeper than 1:12; bundles without that table:
  ``footpaths`` where ``step_free`` = 1); trips need
  ``wheelchair_accessible`` = 1. Street legs (access, egress, direct, footpath geometry) take the
  wheelchair street profile instead of walking (``filtered_streets``), and a point's access
  (egress) stops are those the street reaches (that reach the street) over step-free pathways
  (``street_stop_ok``: timetable/stops.street_step_free).
- ``bikes``: trips need ``bikes_allowed`` = 1 (access and egress on the bike street profile: the
  caller's job, ``engine.api``).

A filtered-out trip is skipped the way the kernel skips a trip that does not run on a date: the
date's ``next_active`` table (next running trip of the same pattern, Timetable.next_active) is
recomputed with the filtered trips given a service that never runs, so the scan costs the same.
Everything else (stop ids, names, legs, lookups) is the unfiltered timetable's.

Real time (``filtered_overlay``): a GTFS-Realtime overlay seen through the filters is an overlay
of the filtered timetable built from the trip records that pass: a changed, duplicated or
replacement trip has its scheduled trip's flags (GTFS-Realtime carries none), so it passes when
that trip does; a trip added by the feed has no scheduled trip and no flags, so it never passes
(as a static trip without ``wheelchair_accessible`` / ``bikes_allowed``); its stops lose pickup
and drop-off where the filtered stops do.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from .._core import TimetableView, fill_next_active
from ..timetable.model import Timetable, kernel_arrays

YES = 1     # GTFS wheelchair_accessible / bikes_allowed value that lets a trip pass a filter
NO = 2      # GTFS wheelchair_boarding value that excludes a stop
STEP_FREE_FOOTPATHS = "timetable/footpaths_step_free"


@dataclass(frozen=True, slots=True)
class Filters:
    """Which filters a query asks for (the cache key of a FilteredTimetable)."""

    wheelchair: bool = False
    bikes: bool = False

    def __bool__(self) -> bool:
        return self.wheelchair or self.bikes


class FilteredTimetable:
    """A Timetable seen through ``Filters``: same interface, masked pattern pickup/dropoff,
    footpath CSR and next_active. Built once per filter set (``filtered_timetable``)."""

    def __init__(self, base: Timetable, filters: Filters):
        self._base = base
        self.filters = filters
        col = base.bundle.column
        stop_ok = np.ones(base.n_stops, bool)
        trip_ok = np.ones(base.n_trips, bool)
        fp_offsets, fp_to, fp_duration = base.footpath_offsets, base.footpath_to, base.footpath_duration
        edge_ok = np.ones(len(fp_to), bool)
        if filters.wheelchair:
            stop_ok = col("timetable/stops", "wheelchair_boarding") != NO
            trip_ok &= col("timetable/trips", "wheelchair_accessible") == YES
            if base.bundle.has(STEP_FREE_FOOTPATHS):
                fp_offsets, fp_to = base.bundle.csr(STEP_FREE_FOOTPATHS, "to")
                _, fp_duration = base.bundle.csr(STEP_FREE_FOOTPATHS, "duration")
                edge_ok = np.ones(len(fp_to), bool)
            else:
                _, step_free = base.bundle.csr("timetable/footpaths", "step_free")
                edge_ok &= step_free.astype(bool)
        if filters.bikes:
            trip_ok &= col("timetable/trips", "bikes_allowed") == YES
        self.stop_ok = stop_ok
        self.trip_ok = trip_ok
        # (wheelchair: the stops the street reaches / that reach the street, street_stop_ok)
        self._street_ok = None
        if filters.wheelchair:
            bits = col("timetable/stops", "street_step_free")
            self._street_ok = ((bits & 1) != 0, (bits & 2) != 0)
        self.pattern_pickup = base.pattern_pickup & stop_ok[base.pattern_stops]
        self.pattern_dropoff = base.pattern_dropoff & stop_ok[base.pattern_stops]
        fp_from = np.repeat(np.arange(base.n_stops, dtype=np.int32), np.diff(fp_offsets))
        edge_ok &= stop_ok[fp_from] & stop_ok[fp_to]
        offsets = np.zeros(base.n_stops + 1, np.int32)
        np.cumsum(np.bincount(fp_from[edge_ok], minlength=base.n_stops), out=offsets[1:])
        self.footpath_offsets = offsets
        self.footpath_to = np.ascontiguousarray(fp_to[edge_ok])
        self.footpath_duration = np.ascontiguousarray(fp_duration[edge_ok])
        for a in (self.pattern_pickup, self.pattern_dropoff, self.footpath_offsets, self.footpath_to,
                  self.footpath_duration, self.stop_ok, self.trip_ok):
            a.setflags(write=False)
        # trips filtered out get service n_services: a column of zeros in every active table
        self._trip_service = np.where(trip_ok, base.trip_service,
                                      base._service_bits.shape[0]).astype(np.int32)
        self.view = TimetableView(**kernel_arrays(
            base, pattern_pickup=self.pattern_pickup, pattern_dropoff=self.pattern_dropoff,
            footpath_offsets=self.footpath_offsets, footpath_to=self.footpath_to,
            footpath_duration=self.footpath_duration))
        self._next_active: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str):
        # everything not filtered (ids, names, times, lookups) is the base timetable's
        return getattr(self._base, name)

    @property
    def base(self) -> Timetable:
        return self._base

    def street_stop_ok(self, reverse: bool = False) -> np.ndarray | None:
        """With ``wheelchair``: the stops the street reaches over step-free pathways (``reverse``:
        that reach the street so), timetable/stops.street_step_free; a platform inside a
        station reached only by stairs or escalators is no access (egress) stop."""
        return None if self._street_ok is None else self._street_ok[1 if reverse else 0]

    def next_active(self, day: int) -> np.ndarray:
        """The base ``next_active`` table of ``day`` with filtered-out trips never running."""
        cached = self._next_active.get(day)
        if cached is None:
            active = self._base.active_services(day)
            active = np.ascontiguousarray(np.hstack([active, np.zeros((active.shape[0], 1), np.uint8)]))
            cached = np.empty((active.shape[0], self._base.n_trips), np.int32)
            fill_next_active(active, self._trip_service, cached)
            cached.setflags(write=False)
            with self._lock:
                self._next_active[day] = cached
                # the base timetable's budget (~128 MB of tables), per filter set
                while len(self._next_active) > self._base._next_active_capacity:
                    self._next_active.pop(next(iter(self._next_active)))
        return cached


_CACHE_LOCK = threading.Lock()


def filtered_timetable(base: Timetable, filters: Filters, cache: dict) -> FilteredTimetable:
    """The FilteredTimetable of ``filters`` over ``base``, built once and kept in ``cache``."""
    found = cache.get(filters)
    if found is None:
        with _CACHE_LOCK:
            found = cache.get(filters)
            if found is None:
                found = cache[filters] = FilteredTimetable(base, filters)
    return found


def filtered_streets(streets, filters: Filters):
    """The street network a filtered plan searches: for ``wheelchair``, walking means the
    step-free wheelchair profile (``bikes`` keeps the bike profile); else ``streets`` itself."""
    if streets is None or not filters.wheelchair:
        return streets
    from ..streets.step_free import StepFreeStreets

    return StepFreeStreets(streets)


_OVERLAYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # overlay -> {filters: overlay}


def filtered_overlay(overlay, tt: FilteredTimetable):
    """``overlay`` (an engine.realtime Overlay snapshot) as ``tt`` sees it: an Overlay of the
    filtered timetable from the records that pass (module docstring). Built once per snapshot
    and filter set (a new snapshot, after each application, builds its own on first use)."""
    from ..realtime.overlay import Overlay, TripTable

    with _CACHE_LOCK:
        per_filters = _OVERLAYS.setdefault(overlay, {})
        found = per_filters.get(tt.filters)
    if found is not None:
        return found
    table = overlay.table
    records = [table.records[i] for i in np.flatnonzero(table.alive).tolist()]
    kept = [r for r in records if 0 <= r.static_trip and tt.trip_ok[r.static_trip]]
    # a group names the same stops and flags in every record: its flags masked at the stops the
    # filters exclude (a code table of its own: the unfiltered overlays keep theirs)
    codes: dict = {}
    for r in kept:
        if r.arr is not None and r.group not in codes:
            stops = np.asarray(r.stops, np.int32)
            ok = tt.stop_ok[stops]
            codes[r.group] = ((stops << 2) | (((np.asarray(r.pickup) != 0) & ok).astype(np.int32) << 1)
                              | ((np.asarray(r.dropoff) != 0) & ok).astype(np.int32))
    found = Overlay(tt, TripTable.of(kept, codes), overlay.alerts, overlay.sources)
    with _CACHE_LOCK:
        found = _OVERLAYS.setdefault(overlay, {}).setdefault(tt.filters, found)
    return found
