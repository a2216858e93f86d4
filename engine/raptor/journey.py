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
    platform_code: str | None = None     # GTFS platform_code of the stop, when the feed gives one

    def label(self) -> str:
        """The name, with the platform when known: "Hôtel de Ville (platform A)"."""
        return f"{self.name} (platform {self.platform_code})" if self.platform_code else self.name


@dataclass(frozen=True, slots=True)
class RideRef:
    """What fares need of a transit leg (engine.fares.pricing): never serialised."""

    route_idx: int             # timetable/routes row, -1 for a real-time trip without a route
    stops: tuple[int, ...]     # stop_idx from boarding to alighting, intermediate stops included
    dep_s: int                 # seconds on the query's service-day clock
    arr_s: int


@dataclass(frozen=True, slots=True)
class FareProduct:
    """One thing paid for: a v1 fare (fare_attributes row) or a v2 product, and the legs it covers."""

    id: str                    # "FEED:fare_id" or "FEED:fare_product_id"
    name: str | None
    amount: float
    currency: str
    legs: tuple[int, ...]      # indices in Itinerary.legs


@dataclass(frozen=True, slots=True)
class Fare:
    """What an itinerary costs, or that it is unknown (``known=False``, ``reason`` says why)."""

    amount: float | None       # in the currency's unit (6.4 = USD 6.40); 0 for no vehicle
    currency: str | None       # ISO 4217
    products: tuple[FareProduct, ...] = ()
    known: bool = True
    version: str = "v1"        # "v1" (fare_attributes/fare_rules) or "v2" (fare_leg_rules ...)
    reason: str | None = None  # why unknown: no fare data for a leg, no rule matches, mixed currencies
    amount_minor: int | None = None   # amount in minor units (cents), exact
    minor_digits: int | None = None
    rider_category: str | None = None  # the rider category priced (fares v2, or v1 GTFS+; None: none named)
    fare_medium: str | None = None     # fares v2: the fare medium paid with (None: the cheapest)

    def describe(self) -> str:
        """"USD 6.40" or "fare unknown (why)"."""
        if not self.known or self.amount is None:
            return f"fare unknown ({self.reason})" if self.reason else "fare unknown"
        if self.currency is None:
            return "no fare"
        return f"{self.currency} {self.amount:.{self.minor_digits or 0}f}"

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


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
    transfer: bool = False                # a walk between two vehicles (a change)
    realtime: bool = False                # times from a GTFS-Realtime feed (else the schedule)
    delay_s: int | None = None            # real-time departure minus scheduled departure (None: no schedule)
    arrival_delay_s: int | None = None    # the same at the alighting stop
    alerts: tuple[dict, ...] = ()         # service alerts about this leg's route, trip or stops
    #: a walk through a station (pathways.txt): each pathway taken, in order (mode, from_stop_id,
    #: to_stop_id, seconds, distance_m, signposted_as; mode "street": the walk outside between
    #: two stations' entrances); empty otherwise
    steps: tuple[dict, ...] = ()
    ride: RideRef | None = field(default=None, repr=False, compare=False)   # for fares; not in to_dict

    @property
    def same_station(self) -> bool:
        """A change between two platforms of one station (same stop name): "change at X"."""
        return self.transfer and self.origin.name == self.destination.name

    def describe(self) -> str:
        """One line for people: "08:08 change at Hôtel de Ville (platform A -> B), 3 min" for a
        change inside a station, else "08:02 Gare -> 08:08 Hôtel de Ville  [T1 towards X]"."""
        minutes = max(1, round(self.duration_s / 60))
        if self.same_station:
            a, b = self.origin.platform_code, self.destination.platform_code
            where = f" (platform {a} -> {b})" if a and b and a != b else ""
            return f"{self.departure:%H:%M} change at {self.origin.name}{where}, {minutes} min"
        if self.mode == "transit":
            what = f"{self.route_short_name or self.route_long_name} towards {self.headsign}"
        else:
            what = f"{self.mode}, change" if self.transfer else self.mode
            if self.steps:         # (through a station: its pathways, e.g. "walkway > escalator")
                what += ": " + " > ".join(step["mode"] for step in self.steps)
        return (f"{self.departure:%H:%M} {self.origin.label()} -> {self.arrival:%H:%M} "
                f"{self.destination.label()}  [{what}]")

    def to_dict(self) -> dict[str, Any]:
        out = _jsonable(asdict(self))
        out.pop("ride", None)
        return out


@dataclass(frozen=True, slots=True)
class Itinerary:
    """One journey of the Pareto set (arrival time x number of vehicles)."""

    departure: dt.datetime
    arrival: dt.datetime
    duration_s: int
    n_vehicles: int
    legs: tuple[Leg, ...]
    fare: Fare | None = None   # None: the bundle has no fare data (engine.fares)

    @property
    def transfers(self) -> int:
        """Changes between vehicles (0 for a direct ride or a walk-only journey)."""
        return max(self.n_vehicles - 1, 0)

    def to_dict(self) -> dict[str, Any]:
        out = {"departure": self.departure.isoformat(), "arrival": self.arrival.isoformat(),
               "duration_s": self.duration_s, "n_vehicles": self.n_vehicles,
               "legs": [leg.to_dict() for leg in self.legs],
               "fare": None if self.fare is None else self.fare.to_dict()}
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
