"""addok-compatible GET /search/ and /reverse/ (same parameters and GeoCodeJSON shape).

Parameters as addok: q, limit (default 5), autocomplete (default 1), lat, lon (or lng), type
(repeat or space-separated: housenumber, street, locality, municipality, poi, stop),
postcode, citycode. Results carry BAN's fields and type names. Both ``/search/`` and ``/search``
(and ``/reverse/``, ``/reverse``) answer directly: geopy's BANFrance client calls the form
without the slash, and a redirect would cost it a second round trip.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ..deps import EngineDep, SettingsDep, require
from ..schemas import COMPONENT_ERRORS, GeocodeResponse
from .geocode import Code, Lat, Limit, Lon, Q, backward, forward

router = APIRouter(tags=["addok compatibility"], dependencies=[require("geocoder")])

AddokTypes = Annotated[list[str] | None, Query(max_length=10, description="housenumber, street, locality, "
                                               "municipality, poi, stop")]


@router.get("/search", response_model=GeocodeResponse, responses=COMPONENT_ERRORS, include_in_schema=False)
@router.get("/search/", response_model=GeocodeResponse, responses=COMPONENT_ERRORS,
            summary="addok-compatible search")
async def search(request: Request, net: EngineDep, settings: SettingsDep, q: Q, limit: Limit = 5,
                 autocomplete: bool = True, lat: Lat = None, lon: Lon = None, lng: Lon = None,
                 type: AddokTypes = None, postcode: Code = None, citycode: Code = None):
    return await forward(request, net, settings, q, limit, autocomplete, lat, lon if lon is not None else lng,
                         type, postcode, citycode, None, addok=True)


@router.get("/reverse", response_model=GeocodeResponse, responses=COMPONENT_ERRORS, include_in_schema=False)
@router.get("/reverse/", response_model=GeocodeResponse, responses=COMPONENT_ERRORS,
            summary="addok-compatible reverse geocoding")
async def reverse(request: Request, net: EngineDep, settings: SettingsDep,
                  lat: Annotated[float, Query(ge=-90, le=90)], lon: Lon = None, lng: Lon = None,
                  limit: Limit = 1, type: AddokTypes = None):
    from ..errors import ApiError

    lon = lon if lon is not None else lng
    if lon is None:
        raise ApiError(400, "invalid_parameter", "lon (or lng) is required", "lon")
    return await backward(request, net, settings, lat, lon, limit, type, addok=True)
