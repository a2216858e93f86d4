"""GET /v1/geocode/search, /v1/geocode/autocomplete, /v1/geocode/reverse (GeoCodeJSON)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from engine import limits as L

from ..deps import EngineDep, SettingsDep, json_response, require, run_query
from ..errors import ApiError
from ..geocodejson import collection, engine_types
from ..params import bounded, parse_bbox, split_values
from ..schemas import COMPONENT_ERRORS, GeocodeResponse

router = APIRouter(prefix="/v1/geocode", tags=["geocoding"], dependencies=[require("geocoder")])

Q = Annotated[str, Query(min_length=1, max_length=L.MAX_QUERY_CHARS, description="free text: address, street, place, stop")]
Limit = Annotated[int, Query(ge=1, le=L.MAX_GEOCODE_RESULTS, description="results (capped by the server)")]
Lat = Annotated[float | None, Query(ge=-90, le=90, description="focus point latitude (with lon)")]
Lon = Annotated[float | None, Query(ge=-180, le=180, description="focus point longitude (with lat)")]
Types = Annotated[list[str] | None, Query(max_length=10, description="housenumber (or address), street, "
                                          "locality, municipality, poi, stop (repeat or separate with spaces)")]
Code = Annotated[str | None, Query(max_length=16)]
Bbox = Annotated[str | None, Query(max_length=120, description="min_lon,min_lat,max_lon,max_lat filter")]


async def forward(request: Request, net, settings, q: str, limit: int, autocomplete: bool, lat, lon,
                  types, postcode, citycode, bbox, addok: bool = False):
    """Shared by the native and the addok-compatible search endpoints."""
    if len(q) > settings.max_query_chars:
        raise ApiError(422, "limit_exceeded", f"q must be at most {settings.max_query_chars} characters "
                                              "on this server", "q")
    limit = bounded(request, "limit", limit, settings.max_results)
    kinds = engine_types(split_values(types), addok)
    places = await run_query(request, net.geocode, q, limit=limit, autocomplete=autocomplete, lat=lat, lon=lon,
                             types=kinds, postcode=postcode or None, citycode=citycode or None,
                             bbox=parse_bbox(bbox))
    return json_response(collection(places, q, limit, addok, *_source(net)))


async def backward(request: Request, net, settings, lat: float, lon: float, limit: int, types, addok=False):
    limit = bounded(request, "limit", limit, settings.max_results)
    kinds = engine_types(split_values(types), addok)
    places = await run_query(request, net.reverse, lat, lon, limit=limit, types=kinds)
    return json_response(collection(places, None, limit, addok, *_source(net)))


def _source(net) -> tuple[str | None, str | None]:
    """(attribution, licence) of the bundle's geocoder data."""
    geocoder = getattr(net, "geocoder", None)
    return getattr(geocoder, "attribution", None), getattr(geocoder, "licence", None)


@router.get("/search", response_model=GeocodeResponse, responses=COMPONENT_ERRORS,
            summary="Geocode free text (full words)")
async def search(request: Request, net: EngineDep, settings: SettingsDep, q: Q, limit: Limit = 5,
                 lat: Lat = None, lon: Lon = None, type: Types = None, postcode: Code = None,
                 citycode: Code = None, bbox: Bbox = None, autocomplete: bool = False):
    """Best matches first, as a GeoCodeJSON FeatureCollection."""
    return await forward(request, net, settings, q, limit, autocomplete, lat, lon, type, postcode, citycode, bbox)


@router.get("/autocomplete", response_model=GeocodeResponse, responses=COMPONENT_ERRORS,
            summary="Geocode as the user types (last word is a prefix)")
async def autocomplete(request: Request, net: EngineDep, settings: SettingsDep, q: Q, limit: Limit = 5,
                       lat: Lat = None, lon: Lon = None, type: Types = None, postcode: Code = None,
                       citycode: Code = None, bbox: Bbox = None):
    return await forward(request, net, settings, q, limit, True, lat, lon, type, postcode, citycode, bbox)


@router.get("/reverse", response_model=GeocodeResponse, responses=COMPONENT_ERRORS,
            summary="Nearest addresses, streets, places or stops to a point")
async def reverse(request: Request, net: EngineDep, settings: SettingsDep,
                  lat: Annotated[float, Query(ge=-90, le=90)], lon: Annotated[float, Query(ge=-180, le=180)],
                  limit: Limit = 1, type: Types = None):
    """Nearest first; each feature has its ``distance`` in metres."""
    return await backward(request, net, settings, lat, lon, limit, type)
