"""POST /v1/matrix: travel-time matrices (the engine computes; this handler maps JSON to its call).

Bounded: the body is at most ``max_matrix_body_bytes`` (413 above), origins x destinations at most
``max_matrix_cells`` cells and the window at most ``max_range_s`` (422 ``limit_exceeded`` above).
The request runs on one of the server's query threads (threads=1: the server parallelises over
requests).
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from engine import limits as L

from ..deps import EngineDep, SettingsDep, json_response, require, run_query
from ..errors import ApiError
from ..params import check_limit, default_date, default_time
from ..schemas import STOP_ERRORS

router = APIRouter(prefix="/v1", tags=["accessibility"])


class PointEnd(BaseModel):
    id: str | None = Field(None, max_length=200, description="your id for this point (default: its position)")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


End = Union[str, PointEnd, tuple[float, float]]


class MatrixRequest(BaseModel):
    origins: list[End] = Field(min_length=1, description="stop ids, {id, lat, lon} points, or [lat, lon] pairs")
    destinations: list[End] | Literal["stops"] | None = Field(
        None, description="same forms; 'stops' = every boardable stop; omitted = the origins")
    date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="service date (default: today)")
    time: str | None = Field(None, pattern=r"^\d{1,2}:\d{2}(:\d{2})?$", description="first departure (default: now)")
    window_s: int = Field(3600, ge=0, le=L.MAX_RANGE_S, description="departures every minute in [time, time + window_s)")
    percentiles: list[int] = Field([50], min_length=1, max_length=20,
                                   description="R5's nearest-rank percentiles over the window's minutes, 1..100")
    max_time_s: int = Field(7200, ge=1, le=L.MAX_MATRIX_TIME_S, description="longer travel times are null")
    mode: Literal["walk", "bike"] = "walk"
    max_transfers: int = Field(4, ge=0, le=L.MAX_TRANSFERS)
    min_change_time: int = Field(L.DEFAULT_MIN_CHANGE_S, ge=0, le=L.MAX_CHANGE_S)
    max_access_s: int = Field(900, ge=0, le=L.MAX_ACCESS_S)


class MatrixResponse(BaseModel):
    origins: list[str]
    destinations: list[str]
    percentiles: list[int]
    travel_time_s: dict[str, list[list[int | None]]] = Field(
        description="'p50' -> one row per origin, one travel time (seconds, null = unreachable) per destination")


def _ends(values: list) -> list:
    """The engine's forms: a stop id string or a (lat, lon) pair; point ids kept aside."""
    out = []
    for v in values:
        if isinstance(v, PointEnd):
            out.append((v.lat, v.lon))
        else:
            out.append(v)
    return out


def _ids(values: list, engine_ids: list[str]) -> list[str]:
    return [v.id if isinstance(v, PointEnd) and v.id is not None else i for v, i in zip(values, engine_ids)]


@router.post("/matrix", response_model=MatrixResponse, responses=STOP_ERRORS, dependencies=[require("timetable")],
             summary="Travel-time matrix: percentiles over a departure window")
async def matrix(request: Request, net: EngineDep, settings: SettingsDep,
                 body: Annotated[MatrixRequest, Body()]):
    """Door-to-door travel times from every origin to every destination, for departures every
    minute of the window, reduced to percentiles (R5's definition: the value of rank
    ceil(P/100 x n) among the n minutes' times; unreachable sorts last). Waiting at the origin
    counts. Points reach stops through the streets (as /v1/plan)."""
    check_limit("window_s", body.window_s, settings.max_range_s)
    check_limit("max_transfers", body.max_transfers, settings.max_transfers)
    check_limit("max_access_s", body.max_access_s, settings.max_access_s)
    n_dest = len(body.origins) if body.destinations is None else (
        None if body.destinations == "stops" else len(body.destinations))
    if n_dest is None:      # every stop: at most the bundle's stop count
        n_dest = int(net.info().get("timetable", {}).get("counts", {}).get("stops", 0))
    if len(body.origins) * n_dest > settings.max_matrix_cells:
        raise ApiError(422, "limit_exceeded", f"{len(body.origins)} origins x {n_dest} destinations is more than "
                       f"{settings.max_matrix_cells} cells on this server", "origins")
    destinations = body.destinations if body.destinations in (None, "stops") else _ends(body.destinations)
    table = await run_query(request, net.travel_time_matrix, _ends(body.origins), destinations,
                            date=default_date(body.date), time=default_time(body.time), window_s=body.window_s,
                            percentiles=body.percentiles, max_time_s=body.max_time_s, mode=body.mode,
                            max_transfers=body.max_transfers, threads=1, min_change_time=body.min_change_time,
                            max_access_s=body.max_access_s)
    n_o = len(body.origins)
    width = table.num_rows // n_o if n_o else 0
    from_ids = table.column("from_id").to_pylist()[::width] if width else []
    to_ids = table.column("to_id").to_pylist()[:width]
    times = {}
    for p in body.percentiles:
        flat = table.column(f"travel_time_p{p}").to_pylist()
        times[f"p{p}"] = [flat[i * width:(i + 1) * width] for i in range(n_o)]
    if body.destinations not in (None, "stops"):
        to_ids = _ids(body.destinations, to_ids)
    return json_response({"origins": _ids(body.origins, from_ids), "destinations": to_ids if body.destinations
                          is not None else _ids(body.origins, to_ids), "percentiles": body.percentiles,
                          "travel_time_s": times})
