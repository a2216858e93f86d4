"""GET /v1/isochrone: the area reached from a place within each cutoff, as GeoJSON (the engine
computes; this handler maps HTTP to ``Network.isochrone``).

Bounded: the largest cutoff is at most ``max_isochrone_s`` and the departure window at most
``max_isochrone_window_s`` (422 ``limit_exceeded`` above, like the number of cutoffs over the
engine's limit); the schema's bounds are the engine's (``engine.limits``).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from engine import limits as L

from ..deps import EngineDep, SettingsDep, json_response, require, run_query
from ..errors import ApiError
from ..params import check_limit, default_date, default_time, endpoint
from ..schemas import STOP_ERRORS

router = APIRouter(prefix="/v1", tags=["accessibility"])

_ORIGIN = ("'lat,lon' (WGS84 decimal degrees, snapped onto the streets) or a stop id / exact stop "
           "name (its platforms)")
_CUTOFFS = r"^\s*\d{1,6}\s*(,\s*\d{1,6}\s*)*$"


class IsochroneGeometry(BaseModel):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any] = Field(description="GeoJSON (RFC 7946): [lon, lat] positions, exterior rings "
                                               "counter-clockwise, holes clockwise; [] when nothing is reached")


class IsochroneProperties(BaseModel):
    cutoff_s: int = Field(description="travel time of this polygon, seconds")
    area_km2: float


class IsochroneFeature(BaseModel):
    type: Literal["Feature"]
    properties: IsochroneProperties
    geometry: IsochroneGeometry


class IsochroneResponse(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[IsochroneFeature] = Field(description="one per cutoff, smallest first; each polygon "
                                                         "contains the previous ones")
    properties: dict[str, Any] = Field(description="the request (origin, date, time, mode, window_s, "
                                                   "percentile, cutoffs_s) and the grid (cell_m, offroad_m, "
                                                   "speed_mps)")


def parse_cutoffs(text: str, settings) -> list[int]:
    values = [int(v) for v in text.split(",")]
    if not all(v >= 1 for v in values):
        raise ApiError(400, "invalid_parameter", "cutoffs_s must be positive seconds", "cutoffs_s")
    check_limit("cutoffs_s", max(values), settings.max_isochrone_s)
    if len(values) > L.MAX_ISOCHRONE_CUTOFFS:          # as the engine counts them (duplicates too)
        raise ApiError(422, "limit_exceeded", f"at most {L.MAX_ISOCHRONE_CUTOFFS} cutoffs", "cutoffs_s")
    return values


@router.get("/isochrone", response_model=IsochroneResponse, responses=STOP_ERRORS,
            dependencies=[require("streets")], summary="Isochrones: the area reached within each travel time")
async def isochrone(
    request: Request, net: EngineDep, settings: SettingsDep,
    origin: Annotated[str, Query(alias="from", min_length=1, max_length=200, description=_ORIGIN,
                                 examples=["47.2025,1.5245"])],
    date: Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                      description="service date YYYY-MM-DD (default: today)")] = None,
    time: Annotated[str | None, Query(max_length=8, pattern=r"^\d{1,2}:\d{2}(:\d{2})?$",
                                      description="departure time HH:MM[:SS], local to the network "
                                                  "(default: now)")] = None,
    cutoffs_s: Annotated[str, Query(max_length=120, pattern=_CUTOFFS,
                                    description="travel times, seconds, comma-separated (one polygon each)",
                                    examples=["900,1800,2700,3600"])] = "900,1800,2700,3600",
    mode: Annotated[Literal["walk", "bike"], Query(description="on the streets, to and from transit")] = "walk",
    window_s: Annotated[int, Query(ge=0, le=L.MAX_ISOCHRONE_WINDOW_S,
                                   description="0: one departure; else one per minute in [time, time + "
                                               "window_s), times reduced to the percentile")] = 0,
    percentile: Annotated[int, Query(ge=1, le=100, description="R5's nearest rank over the window's "
                                                              "minutes")] = 50,
    transit: Annotated[bool | None, Query(description="use the timetable (default: when the bundle has "
                                                      "one)")] = None,
    max_transfers: Annotated[int, Query(ge=0, le=L.MAX_TRANSFERS, description="changes between vehicles")] = 4,
    min_change_time: Annotated[int, Query(ge=0, le=L.MAX_CHANGE_S, description="seconds to change at a stop")] = \
        L.DEFAULT_MIN_CHANGE_S,
    max_access_s: Annotated[int, Query(ge=0, le=L.MAX_ACCESS_S, description="street seconds from the "
                                                                            "origin to transit")] = 900,
    cell_m: Annotated[float | None, Query(ge=10, le=1000, description="grid cell, metres (default: 25 "
                                          "walking, 50 cycling, larger for wide areas)")] = None,
    offroad_m: Annotated[float, Query(ge=0, le=1000, description="how far the area extends from a reached "
                                      "street, metres, at the mode's speed")] = 100.0,
):
    """Polygons (GeoJSON FeatureCollection, one Polygon or MultiPolygon per cutoff, nested) of the
    area reached from `from` within each cutoff: street-level travel times (walking or cycling,
    with transit when the bundle has a timetable) to every street node, then a grid where each
    point takes the best reached street point within `offroad_m` plus the walk (at the mode's
    speed) to it, contoured per cutoff. Unreachable pockets enclosed by reached area are holes."""
    cutoffs = parse_cutoffs(cutoffs_s, settings)
    check_limit("window_s", window_s, settings.max_isochrone_window_s)
    check_limit("max_transfers", max_transfers, settings.max_transfers)
    check_limit("max_access_s", max_access_s, settings.max_access_s)
    o = endpoint(origin, "from")
    has_timetable = net.timetable is not None and transit is not False
    body = await run_query(
        request, net.isochrone, o, date=default_date(date) if has_timetable else date,
        time=default_time(time) if has_timetable else time, cutoffs_s=cutoffs, window_s=window_s,
        percentile=percentile, mode=mode, transit=transit, max_transfers=max_transfers,
        min_change_time=min_change_time, max_access_s=max_access_s, cell_m=cell_m, offroad_m=offroad_m)
    return json_response(body)
