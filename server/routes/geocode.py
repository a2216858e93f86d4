"""GET /v1/geocode/search, /v1/geocode/autocomplete, /v1/geocode/reverse (GeoCodeJSON)."""
from __future__ import annotations

import functools
import re
import zlib
from typing import Annotated
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Query, Request

from engine import limits as L

from ..deps import EngineDep, SettingsDep, json_response, require, run_on_query_threads, run_query
from ..errors import ApiError, error_response
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


#: path -> autocomplete flag of the requests FastGeocode answers itself
_FAST_PATHS = {"/v1/geocode/autocomplete": True, "/v1/geocode/search": False}
_FAST_PARAMS = frozenset(("q", "limit", "lat", "lon"))
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")
_DEGREES = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,15})?")
_CONTENT_TYPE = (b"content-type", b"application/json")


class FastGeocode:
    """Pure ASGI middleware: answers the plain geocode requests without FastAPI's routing,
    dependency and validation layers, nor the CORS and gzip middleware's wrappers (at national
    scale these cost about as much as the geocoder itself; at 2,000 req/s on two cores a request
    has about 1 ms of CPU in all).

    Plain: GET /v1/geocode/autocomplete or /search with ``q`` and optionally ``limit`` and
    ``lat``/``lon``, each once, well-formed and within the settings. The answer is the route's:
    the same engine call, the same GeoCodeJSON (orjson), and the headers CORS (``*`` origins)
    and gzip would add (tests compare both paths). Anything else (other parameters, a value the
    route would reject, no geocoder, other CORS origins, an engine error) goes to the app, whose
    route gives the answer or the error.

    The call runs on the query threads within the time budget, as the route's; with
    ``settings.inline_geocode`` it runs on the event loop instead (a plain geocode is bounded:
    tens of ms at worst on a national index): the hand-off to a thread and back costs ~0.15 ms
    of CPU, a large share of an autocomplete, but then no time budget applies and a slow query
    holds the worker's other connections. Installed inside RequestLimits, outside CORS and gzip."""

    def __init__(self, app, settings):
        self.app = app
        self.max_results = settings.max_results
        self.max_query_chars = min(settings.max_query_chars, L.MAX_QUERY_CHARS)
        self.inline = settings.inline_geocode
        self.any_origin = "*" in settings.cors_origins
        self.gzip_min_bytes = settings.gzip_min_bytes

    def _params(self, query_string: bytes):
        """(q, limit, lat, lon) of a request the route would accept as is, else None."""
        try:
            pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        except ValueError:
            return None
        got = dict(pairs)
        if len(got) != len(pairs) or not got.keys() <= _FAST_PARAMS:
            return None
        q = got.get("q")
        if not q or len(q) > self.max_query_chars:
            return None
        limit = got.get("limit")
        if limit is None:
            limit = min(5, self.max_results)
        elif _LIMIT.fullmatch(limit) and int(limit) <= min(self.max_results, L.MAX_GEOCODE_RESULTS):
            limit = int(limit)
        else:
            return None
        lat, lon = got.get("lat"), got.get("lon")
        if lat is None and lon is None:
            return q, limit, None, None
        if lat is None or lon is None or not _DEGREES.fullmatch(lat) or not _DEGREES.fullmatch(lon):
            return None
        lat, lon = float(lat), float(lon)
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            return None
        return q, limit, lat, lon

    def _headers(self, scope, body: bytes) -> tuple[list, bytes]:
        """(response headers, body) as GZipMiddleware then CORSMiddleware (any origin) make them."""
        origin, gzip = False, False
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = True
            elif name == b"accept-encoding" and b"gzip" in value:
                gzip = True
        headers = [_CONTENT_TYPE]
        vary = []
        if len(body) >= self.gzip_min_bytes:
            vary.append("Accept-Encoding")
            if gzip:
                compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                body = compressor.compress(body) + compressor.flush()
                headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        if origin:
            headers.append((b"access-control-allow-origin", b"*"))
        vary.append("Origin")
        headers.append((b"vary", ", ".join(vary).encode()))
        return headers, body

    async def __call__(self, scope, receive, send):
        autocomplete = _FAST_PATHS.get(scope.get("path")) if scope["type"] == "http" else None
        params = None
        if autocomplete is not None and scope["method"] == "GET" and self.any_origin:
            params = self._params(scope.get("query_string") or b"")
        state = scope["app"].state if params is not None and "app" in scope else None
        geocoder = getattr(getattr(state, "network", None), "geocoder", None)
        if geocoder is None:
            return await self.app(scope, receive, send)
        q, limit, lat, lon = params
        call = functools.partial(state.network.geocode, q, limit=limit, autocomplete=autocomplete, lat=lat, lon=lon)
        try:
            places = call() if self.inline else await run_on_query_threads(state, call)
            body = orjson.dumps(collection(places, q, limit, False, geocoder.attribution, geocoder.licence),
                                option=orjson.OPT_SERIALIZE_NUMPY)
        except ApiError as e:        # past the time budget: the route's 503, as run_query gives it
            return await error_response(e.status, e.code, str(e))(scope, receive, send)
        except Exception:            # the route gives the error (or the answer) in the API's shape
            return await self.app(scope, receive, send)
        headers, body = self._headers(scope, body)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})



