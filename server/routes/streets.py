"""GET /v1/route (street-only walk, bike, car) and GET /v1/network (map drawing data)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from engine import limits as L

from ..deps import EngineDep, SettingsDep, json_response, require, run_query
from ..params import parse_bbox, parse_point
from ..schemas import COMPONENT_ERRORS, NetworkResponse, RouteResponse, route_json

router = APIRouter(prefix="/v1", tags=["streets"])
_POINT = "'lat,lon' in WGS84 decimal degrees"
_POINT_RE = r"^\s*-?\d{1,2}(\.\d{1,12})?\s*,\s*-?\d{1,3}(\.\d{1,12})?\s*$"


@router.get("/route", response_model=RouteResponse,
            responses={**COMPONENT_ERRORS, 404: COMPONENT_ERRORS[400] | {"description": "no route"}},
            dependencies=[require("streets")], summary="Street-only route (walk, bike or car)")
async def route(
    request: Request, net: EngineDep,
    origin: Annotated[str, Query(alias="from", max_length=64, pattern=_POINT_RE, description=_POINT, examples=["47.2025,1.5245"])],
    destination: Annotated[str, Query(alias="to", max_length=64, pattern=_POINT_RE, description=_POINT,
                                      examples=["47.2130,1.5534"])],
    mode: Annotated[Literal["walk", "bike", "car"], Query()] = "walk",
):
    """Shortest-time route on the OSM streets with distance, duration and GeoJSON geometry."""
    o, d = parse_point(origin, "from"), parse_point(destination, "to")
    result = await run_query(request, net.route, o[0], o[1], d[0], d[1], mode)
    return json_response(route_json(result))


@router.get("/network", response_model=NetworkResponse, responses=COMPONENT_ERRORS,
            summary="Street segments and transit lines for drawing a map")
async def network(
    request: Request, net: EngineDep, settings: SettingsDep,
    bbox: Annotated[str | None, Query(max_length=120, description="min_lon,min_lat,max_lon,max_lat "
                                      "(default: the whole bundle)")] = None,
    max_segments: Annotated[int, Query(ge=0, le=L.MAX_MAP_SEGMENTS, description="street segments cap "
                                       "(longest kept)")] = 20_000,
    max_lines: Annotated[int, Query(ge=0, le=L.MAX_MAP_LINES, description="transit polylines cap")] = 1_000,
):
    """Simplified street segments and transit pattern polylines inside ``bbox``, bounded in size."""
    box = parse_bbox(bbox)
    segs = min(max_segments, settings.max_network_segments)
    lines = min(max_lines, settings.max_network_lines)
    return json_response(await run_query(request, net.map_layers, box, segs, lines))
