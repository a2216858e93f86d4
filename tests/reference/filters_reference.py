"""The wheelchair / bikes filters applied on their own to the reference solver, from the staged
(GTFS-level) tables: trips without the flag leave the trip instances, pickup and drop-off are
forbidden at stops whose wheelchair_boarding is 2 after inheriting the parent station's value
(recomputed here), and footpaths touching such stops or not step-free are removed."""
from __future__ import annotations

import numpy as np

from tests.reference.csa import ReferenceSolver


def filter_flags(staged, filters) -> tuple[np.ndarray, np.ndarray]:
    """(stop allowed, trip allowed) from the staged GTFS columns (GTFS inheritance rule)."""
    stops, trips = staged.stops, staged.trips
    n_stops, n_trips = stops.num_rows, trips.num_rows
    stop_ok, trip_ok = np.ones(n_stops, bool), np.ones(n_trips, bool)
    if filters.get("wheelchair"):
        own = stops.column("wheelchair_boarding").to_pylist()
        parent = stops.column("parent_idx").to_pylist()
        for s in range(n_stops):
            value = own[s] if own[s] != 0 or parent[s] < 0 else own[parent[s]]
            stop_ok[s] = value != 2
        trip_ok &= np.asarray(trips.column("wheelchair_accessible").to_pylist()) == 1
    if filters.get("bikes"):
        trip_ok &= np.asarray(trips.column("bikes_allowed").to_pylist()) == 1
    return stop_ok, trip_ok


def filtered_reference(built, stop_ok, trip_ok, wheelchair: bool) -> ReferenceSolver:
    from engine.bundle.reader import open_bundle

    ref = ReferenceSolver(built.staged, built.bundle)
    excluded = ~stop_ok[ref.st_stop]
    ref.st_pickup = np.where(excluded, 1, ref.st_pickup).astype(np.uint8)
    ref.st_dropoff = np.where(excluded, 1, ref.st_dropoff).astype(np.uint8)
    instances = ref.trip_instances

    def allowed_instances(date):
        trips, shifts = instances(date)
        keep = trip_ok[trips]
        return trips[keep], shifts[keep]

    ref.trip_instances = allowed_instances
    offsets, to, duration = ref.fp_offsets, ref.fp_to, ref.fp_duration
    step_free = np.asarray(open_bundle(built.bundle).csr("timetable/footpaths", "step_free")[1], bool)
    src = np.repeat(np.arange(ref.n_stops), np.diff(offsets))
    keep = stop_ok[src] & stop_ok[to] & (step_free if wheelchair else True)
    ref.fp_to, ref.fp_duration = to[keep], duration[keep]
    ref.fp_offsets = np.concatenate([[0], np.cumsum(np.bincount(src[keep], minlength=ref.n_stops))])
    ref.kept_footpaths = {(int(a), int(b)) for a, b in zip(src[keep], to[keep])}
    return ref
