"""HTTP response models (v1) and the mapping from engine results: HTTP owns its JSON shape.

Models document the API (OpenAPI) only; handlers build plain dicts from the engine's results
with the ``*_json`` functions below (each states only what HTTP changes) and serialise them
once (``deps.json_response``). The tests check the dicts against these models, and
schemathesis checks responses against the published schema.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Literal

from pydantic import BaseModel, Field


# ---------------------------------------------------------------- common
class ErrorInfo(BaseModel):
    status: int
    code: str = Field(description="machine-readable: invalid_parameter, unknown_stop, out_of_period, "
                                  "no_route, no_timetable, no_streets, no_geocoder, limit_exceeded, "
                                  "uri_too_long, body_too_large, time_budget_exceeded, ...")
    message: str
    parameter: str | None = Field(None, description="the offending query parameter, when known")
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorInfo


class LineString(BaseModel):
    type: Literal["LineString"] = "LineString"
    coordinates: list[list[float]] = Field(description="[lon, lat] positions (GeoJSON order)")


class Point(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: list[float]


# ---------------------------------------------------------------- journeys
class Place(BaseModel):
    name: str
    lat: float
    lon: float
    stop_id: str | None = None
    platform_code: str | None = Field(None, description="the stop's platform (GTFS platform_code), when known")


class Leg(BaseModel):
    mode: str = Field(description="walk, bike, car or transit")
    origin: Place
    destination: Place
    departure: str = Field(description="ISO 8601 local time with offset")
    arrival: str
    duration_s: int
    distance_m: float | None = None
    route_id: str | None = None
    route_short_name: str | None = None
    route_long_name: str | None = None
    route_type: int | None = None
    agency_name: str | None = None
    trip_id: str | None = None
    headsign: str | None = None
    n_stops: int | None = None
    transfer: bool = Field(False, description="a walk between two vehicles: a change (inside one station when "
                                              "origin and destination have the same name; their platform_code "
                                              "says which platforms)")
    realtime: bool = Field(False, description="times from a GTFS-Realtime feed")
    delay_s: int | None = Field(None, description="real-time minus scheduled departure, seconds")
    arrival_delay_s: int | None = None
    alerts: list[dict[str, Any]] = Field(default_factory=list, description="service alerts about the leg")
    steps: list[dict[str, Any]] = Field(
        default_factory=list, description="a walk through a station (pathways.txt): each pathway taken, in "
        "order: mode (walkway, stairs, travelator, escalator, elevator, fare_gate, exit_gate; street: the walk "
        "outside between two stations' entrances), from_stop_id, to_stop_id, seconds, distance_m, signposted_as")
    geometry: LineString


class FareProduct(BaseModel):
    id: str = Field(description='"FEED:fare_id" (GTFS fares v1) or "FEED:fare_product_id" (v2)')
    name: str | None = None
    amount: float
    currency: str
    legs: list[int] = Field(description="indices in the itinerary's legs that it covers")


class Fare(BaseModel):
    amount: float | None = Field(description="total in the currency's unit (6.4 = USD 6.40); null when unknown")
    currency: str | None = Field(description="ISO 4217; null for a journey without vehicle")
    products: list[FareProduct]
    known: bool
    version: str = Field(description="v1 (fare_attributes/fare_rules) or v2 (fare_leg_rules ...)")
    reason: str | None = Field(None, description="why the fare is unknown")
    amount_minor: int | None = Field(None, description="total in minor units (cents), exact")
    minor_digits: int | None = None
    rider_category: str | None = Field(None, description="the rider category priced (fares v2 "
                                                         "rider_categories.txt id, or fares v1 GTFS+ "
                                                         "fare_rider_categories.txt id)")
    fare_medium: str | None = Field(None, description="fares v2: the fare medium paid with (fare_media.txt "
                                                      "id; null: each product's cheapest)")


class Itinerary(BaseModel):
    departure: str
    arrival: str
    duration_s: int
    transfers: int
    n_vehicles: int
    legs: list[Leg]
    fare: Fare | None = Field(None, description="null when the bundle has no fare data")


class PlanResponse(BaseModel):
    origin: Place
    destination: Place
    date: str
    time: str
    itineraries: list[Itinerary]


class RouteResponse(BaseModel):
    mode: str
    distance_m: float
    duration_s: int
    geometry: LineString


# ---------------------------------------------------------------- stops
class NearbyStop(BaseModel):
    stop_id: str
    name: str
    lat: float
    lon: float
    distance_m: float
    location_type: int


class StopsNearResponse(BaseModel):
    stops: list[NearbyStop]


class Departure(BaseModel):
    stop_id: str
    departure: str
    route_id: str | None = None
    route_short_name: str | None = None
    route_type: int | None = None
    trip_id: str | None = None
    headsign: str | None = None
    realtime: bool = False
    delay_s: int | None = None
    alerts: list[dict[str, Any]] = Field(default_factory=list)


class DeparturesResponse(BaseModel):
    stop: str
    departures: list[Departure]


# ---------------------------------------------------------------- geocoding (GeoCodeJSON)
class GeocodeProperties(BaseModel):
    model_config = {"extra": "allow"}
    label: str
    score: float
    id: str
    type: str
    name: str
    housenumber: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    citycode: str | None = None
    distance: float | None = None


class GeocodeFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    geometry: Point
    properties: GeocodeProperties


class GeocodeResponse(BaseModel):
    model_config = {"extra": "allow"}
    type: Literal["FeatureCollection"] = "FeatureCollection"
    version: str
    features: list[GeocodeFeature]
    query: str | None = None


# ---------------------------------------------------------------- map, health, meta
class TransitLine(BaseModel):
    route: str = Field(description="route short (or long) name")
    color: str | None = Field(None, description="#RRGGBB from routes.txt, when given")
    route_type: int
    coordinates: list[list[float]] = Field(description="[lon, lat] polyline (shape, else the stops)")


class NetworkResponse(BaseModel):
    bbox: list[float]
    streets: list[list[float]] = Field(description="segments as [lon1, lat1, lon2, lat2]")
    streets_total: int = Field(description="segments in the bbox before the size cap")
    transit: list[TransitLine]
    transit_total: int


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    bundle: str = Field(description="bundle directory name")
    capabilities: dict[str, bool] = Field(
        description="components of the bundle: timetable (plan, departures, stops/near), streets "
                    "(route, door-to-door access), geocoder (geocode, addok search/reverse). A request "
                    "needing a missing one answers 409 with code no_<component>")


class Meta(BaseModel):
    model_config = {"extra": "allow"}
    format: str | None = None
    format_version: int | None = None
    engine_version: str | None = None
    created_at: str | None = None
    components: dict[str, bool]
    period: dict[str, Any] | None = None
    bbox: list[float] | None = None
    feeds: list[dict[str, Any]] = []
    counts: dict[str, Any] = {}
    limits: dict[str, Any] = {}


LIMIT_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "request body too large (the API is GET-only)"},
    414: {"model": ErrorResponse, "description": "request target (path and query) too long"},
}
_LIMIT = {"model": ErrorResponse, "description": "a value over this server's limits (code limit_exceeded)"}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "malformed or out-of-range parameter"},
    422: _LIMIT,
    503: {"model": ErrorResponse, "description": "time budget exceeded"},
}
_MISSING = ("the bundle lacks the component this endpoint needs (code no_timetable, no_streets or "
            "no_geocoder; GET /health lists the bundle's capabilities)")
STOP_ERRORS = {**ERRORS, 404: {"model": ErrorResponse, "description": "unknown stop or no route"},
               409: {"model": ErrorResponse, "description": _MISSING},
               422: {"model": ErrorResponse, "description": "date outside the service period (out_of_period), "
                                                            "or a value over this server's limits (limit_exceeded)"}}
COMPONENT_ERRORS = {**ERRORS, 409: {"model": ErrorResponse, "description": _MISSING}}


# ---------------------------------------------------------------- mapping from engine results
# The engine's result types say what a result holds (their fields and to_dict()); the models
# above only document it for OpenAPI. What HTTP changes is listed here and nowhere else:
# GeoJSON [lon, lat] LineStrings, coordinates to 7 decimals (about 1 cm), distances to 0.1 m,
# no search statistics.
def _r(x: float, nd: int = 7) -> float:
    return round(float(x), nd)


def _round7(x: float) -> float:
    """``x`` to 7 decimals exactly as numpy.round(x, 7) (half to even on x * 1e7), about 5x
    faster than round(x, 7); NaN and infinities are kept (orjson writes null)."""
    try:
        return round(x * 1e7) / 1e7
    except (ValueError, OverflowError):
        return x


def line(points, start=None, end=None) -> dict[str, Any]:
    """(lat, lon) sequence -> GeoJSON LineString; a straight line from start to end when empty."""
    # this runs for every vertex of every leg of a response: one pass without calls, and the
    # careful one only for a line with a NaN (unknown stop coordinates)
    try:
        coords = [[round(lon * 1e7) / 1e7, round(lat * 1e7) / 1e7] for lat, lon in points]
    except (ValueError, OverflowError):
        coords = [[_round7(lon), _round7(lat)] for lat, lon in points]
    if len(coords) < 2 and start is not None and end is not None:
        coords = [[_r(start.lon), _r(start.lat)], [_r(end.lon), _r(end.lat)]]
    return {"type": "LineString", "coordinates": coords}


def _fields(obj) -> dict[str, Any]:
    """Every field of an engine result (frozen slots dataclass), as it is.

    Plan, Itinerary and Leg are read field by field rather than through their to_dict(): that
    goes through dataclasses.asdict, which deep-copies every geometry point (about 10x the cost
    of this mapping, on the hottest response of the API).
    """
    return {name: getattr(obj, name) for name in _field_names(type(obj))}


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def place_json(wp) -> dict[str, Any]:
    out = _fields(wp)
    out["lat"], out["lon"] = _r(wp.lat), _r(wp.lon)
    return out


def leg_json(leg) -> dict[str, Any]:
    out = _fields(leg)
    out.pop("ride", None)         # what fares read of the leg: never serialised
    out.update(origin=place_json(leg.origin), destination=place_json(leg.destination),
               departure=leg.departure.isoformat(), arrival=leg.arrival.isoformat(),
               duration_s=int(leg.duration_s),
               distance_m=None if leg.distance_m is None else round(float(leg.distance_m), 1),
               geometry=line(leg.geometry, leg.origin, leg.destination))
    return out


def itinerary_json(it) -> dict[str, Any]:
    out = _fields(it)
    out.update(departure=it.departure.isoformat(), arrival=it.arrival.isoformat(), duration_s=int(it.duration_s),
               n_vehicles=int(it.n_vehicles), transfers=int(it.transfers), legs=[leg_json(leg) for leg in it.legs],
               fare=None if getattr(it, "fare", None) is None else it.fare.to_dict())
    return out


def plan_json(plan) -> dict[str, Any]:
    out = _fields(plan)
    del out["stats"]
    out.update(origin=place_json(plan.origin), destination=place_json(plan.destination),
               date=plan.date.isoformat(), itineraries=[itinerary_json(it) for it in plan.itineraries])
    return out


def route_json(route) -> dict[str, Any]:
    out = route.to_dict()
    out["geometry"] = {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in out["geometry"]]}
    return out


def departure_json(dep) -> dict[str, Any]:
    return dep.to_dict()


def nearby_json(stop) -> dict[str, Any]:
    out = stop.to_dict()
    out["lat"], out["lon"] = _r(stop.lat), _r(stop.lon)
    return out
