"""RealtimeReport: what one GTFS-Realtime application read, applied, repaired and ignored."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

#: Every counted reason, with its meaning (README "Real time" lists them too).
REASONS = {
    # applied
    "trips_updated": "scheduled trips with new times (delays, time predictions, skipped stops)",
    "trips_canceled": "scheduled trips cancelled (CANCELED, DELETED, or every stop SKIPPED)",
    "trips_added": "trips not in the schedule (ADDED, NEW, REPLACEMENT) with their own stop times",
    "trips_duplicated": "copies of scheduled trips at another start time (DUPLICATED)",
    "trips_removed": "trips taken out of the overlay by an is_deleted entity (DIFFERENTIAL)",
    "alerts": "service alerts kept",
    "repaired_times": "trips whose propagated or scheduled times were clamped so that times never decrease",
    # ignored entities
    "unknown_trip": "trip_id not in the static timetable (and not ADDED)",
    "not_running": "trip whose service does not run on the service day given or found (or an added or "
                   "duplicated trip on a day outside the bundle period)",
    "no_service_day": "no start_date and no day on which the trip runs near the feed time",
    "bad_start_date": "start_date not YYYYMMDD",
    "bad_start_time": "start_time not HH:MM:SS, or missing where needed (DUPLICATED, frequency trips)",
    "rejected_non_monotonic": "given times decrease along the trip (or arrival after departure): trip left as scheduled",
    "time_out_of_range": "a time more than 8 days away from its service day (or an added trip's day far "
                         "outside the bundle period): trip not applied",
    "added_too_few_stops": "added trip with fewer than two stops that have a known stop_id and an absolute time",
    "unsupported_relationship": "trip schedule_relationship the engine does not apply (UNSCHEDULED without a schedule)",
    "duplicate_entity": "a later entity of the same feed updated the same trip again (the last one wins)",
    "no_trip_descriptor": "trip_update without a trip_id",
    "deleted_in_full_dataset": "is_deleted entity in a FULL_DATASET feed (meaningless there)",
    "other_entities": "vehicle positions and other entities (not used)",
    # ignored stop time updates
    "unknown_stop": "stop_id not in the static timetable",
    "stop_sequence_not_in_trip": "stop_sequence that the trip does not have",
    "stop_not_in_trip": "stop_id (without stop_sequence) that the trip does not serve after the previous update",
    "stop_mismatch": "stop_sequence and stop_id name different stops: the stop_id is used when the trip "
                     "serves it at or after the current stop, else the update is ignored",
    "out_of_order": "stop time update for a stop before the previous update's",
    "no_event": "SCHEDULED stop time update with neither arrival nor departure",
    "arrival_after_departure": "given arrival later than the given departure at one stop",
    "added_stop_without_time": "stop of an added trip with a delay only (no schedule to add it to)",
}


@dataclass(frozen=True, slots=True)
class RealtimeReport:
    """The outcome of ``Network.apply_realtime``: never an exception for bad entities, counts."""

    source: str
    incrementality: str                      # "FULL_DATASET" or "DIFFERENTIAL"
    feed_timestamp: dt.datetime | None       # header timestamp (UTC), None when absent
    entities: int
    trip_updates: int
    counts: dict[str, int] = field(default_factory=dict)   # REASONS keys, zero counts left out
    overlay_trips: int = 0                   # trips in the whole overlay after this application
    apply_ms: float = 0.0

    def count(self, reason: str) -> int:
        return self.counts.get(reason, 0)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "incrementality": self.incrementality,
                "feed_timestamp": self.feed_timestamp.isoformat() if self.feed_timestamp else None,
                "entities": self.entities, "trip_updates": self.trip_updates, "counts": dict(self.counts),
                "overlay_trips": self.overlay_trips, "apply_ms": round(self.apply_ms, 3)}

    def summary(self) -> str:
        parts = [f"{k}={v}" for k, v in sorted(self.counts.items())]
        return f"{self.source} {self.incrementality} {self.entities} entities: " + ", ".join(parts)
