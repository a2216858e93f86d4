"""GET /v1/stops/near (stops around a point) and GET /v1/departures (next vehicles at a stop)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from engine import limits as L

from ..deps import EngineDep, SettingsDep, json_response, require, run_query
from ..params import bounded, default_date, default_time
from ..schemas import STOP_ERRORS, DeparturesResponse, StopsNearResponse, departure_json, nearby_json

router = APIRouter(prefix="/v1", tags=["stops"])


@router.get("/stops/near", response_model=StopsNearResponse, responses=STOP_ERRORS,
            dependencies=[require("timetable")], summary="Stops near a point, nearest first")
async def stops_near(request: Request, net: EngineDep, settings: SettingsDep,
                     lat: Annotated[float, Query(ge=-90, le=90)], lon: Annotated[float, Query(ge=-180, le=180)],
                     radius_m: Annotated[float, Query(gt=0, le=L.MAX_NEAR_RADIUS_M)] = 500.0,
                     limit: Annotated[int, Query(ge=1, le=L.MAX_STOPS_NEAR)] = 20):
    radius_m = bounded(request, "radius_m", radius_m, settings.max_radius_m)
    limit = bounded(request, "limit", limit, settings.max_stops_near)
    stops = await run_query(request, net.stops_near, lat, lon, radius_m=radius_m, limit=limit)
    return json_response({"stops": [nearby_json(s) for s in stops]})


@router.get("/departures", response_model=DeparturesResponse, responses=STOP_ERRORS,
            dependencies=[require("timetable")], summary="Next departures at a stop or station")
async def departures(
    request: Request, net: EngineDep, settings: SettingsDep,
    stop: Annotated[str, Query(min_length=1, max_length=200, description="stop id or exact stop name "
                               "(a station covers its platforms)")],
    date: Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    time: Annotated[str | None, Query(max_length=8, pattern=r"^\d{1,2}:\d{2}(:\d{2})?$")] = None,
    limit: Annotated[int, Query(ge=1, le=L.MAX_DEPARTURES)] = 10,
    window_s: Annotated[int, Query(ge=L.MIN_DEPARTURES_WINDOW_S, le=L.MAX_DEPARTURES_WINDOW_S,
                                   description="look ahead, seconds")] = 3 * 3600,
):
    limit = bounded(request, "limit", limit, settings.max_departures)
    window_s = bounded(request, "window_s", window_s, settings.max_window_s)
    deps = await run_query(request, net.departures, stop, default_date(date), default_time(time),
                           limit=limit, window_s=window_s)
    return json_response({"stop": stop, "departures": [departure_json(d) for d in deps]})
