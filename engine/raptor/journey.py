"""Public result types of journey planning (frozen dataclasses with to_dict())."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Waypoint:
    """A stop or a point where a leg starts or ends."""

    name: str
    lat: float
    lon: float
    stop_id: str | None = None


@dataclass(frozen=True, slots=True)
class Leg:
    """One walk, street or transit leg of an itinerary."""

    mode: str                  # "walk", "bike", "car" or "transit"
    origin: Waypoint
    destination: Waypoint
    departure: dt.datetime
    arrival: dt.datetime
    duration_s: int
    distance_m: float | None = None
    route_id: str | None = None
    route_short_name: str | None = None
    route_long_name: str | None = None
    route_type: int | None = None
    agency_name: str | None = None
    trip_id: str | None = None
    headsign: str | None = None
    n_stops: int | None = None            # stops ridden through (transit)
    geometry: tuple[tuple[float, float], ...] = ()   # (lat, lon) points

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True, slots=True)
class Itinerary:
    """One journey of the Pareto set (arrival time x number of vehicles)."""

    departure: dt.datetime
    arrival: dt.datetime
    duration_s: int
    n_vehicles: int
    legs: tuple[Leg, ...]

    @property
    def transfers(self) -> int:
        """Changes between vehicles (0 for a direct ride or a walk-only journey)."""
        return max(self.n_vehicles - 1, 0)

    def to_dict(self) -> dict[str, Any]:
        out = _jsonable(asdict(self))
        out["transfers"] = self.transfers
        return out


@dataclass(frozen=True, slots=True)
class Plan:
    """The answer to a plan() request: itineraries sorted by arrival, then by vehicles."""

    origin: Waypoint
    destination: Waypoint
    date: dt.date
    time: str
    itineraries: tuple[Itinerary, ...] = field(default_factory=tuple)
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"origin": _jsonable(asdict(self.origin)), "destination": _jsonable(asdict(self.destination)),
                "date": self.date.isoformat(), "time": self.time,
                "itineraries": [i.to_dict() for i in self.itineraries], "stats": dict(self.stats)}
