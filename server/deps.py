"""Typed dependencies (EngineDep, SettingsDep) and the one way handlers call the engine.

``run_query`` runs an engine call on the app's query threads (the event loop never blocks; the
engine releases the GIL in its kernels), caps the engine calls in flight per process, and enforces
the per-request time budget: past it the client gets a 503 and the thread's result is dropped.
"""
from __future__ import annotations

import asyncio
import functools
from typing import Annotated, Any, Callable, TypeVar

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response

import engine

from .errors import ApiError
from .settings import Settings

T = TypeVar("T")


async def get_network(request: Request) -> engine.Network:
    """The bundle opened by the lifespan of this worker process."""
    return request.app.state.network


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


EngineDep = Annotated[engine.Network, Depends(get_network)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

#: bundle component -> (error code, what it is, how a bundle gets it)
COMPONENTS = {
    "timetable": ("no_timetable", "timetable", "build it with GTFS feeds"),
    "streets": ("no_streets", "street network", "build it with --osm"),
    "geocoder": ("no_geocoder", "geocoder index", "build it with addresses, OSM or GTFS"),
}


def capabilities(net: engine.Network) -> dict[str, bool]:
    """What this bundle can answer (GET /health): one flag per component."""
    return {name: getattr(net, name, None) is not None for name in COMPONENTS}


def require(component: str):
    """Route dependency: 409 ``no_<component>`` when the bundle lacks it (a request this server
    cannot serve, distinct from a server fault); checked before any parameter reaches the engine."""
    code, label, how = COMPONENTS[component]

    async def check(request: Request) -> None:
        if getattr(request.app.state.network, component, None) is None:
            raise ApiError(409, code, f"this server's bundle has no {label} ({how}); "
                                      "GET /health lists what it has")

    return Depends(check)


async def run_query(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on the app's query threads, within the time budget.

    The pool's size caps the engine calls in flight per process (extra requests queue). Past the
    budget the request answers 503 and the thread's eventual result is dropped (a thread cannot
    be interrupted; every engine call is itself bounded by the parameter limits).
    """
    return await run_on_query_threads(request.app.state, fn, *args, **kwargs)


async def run_on_query_threads(state: Any, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """run_query for callers without a Request (the app's ``state``): ApiError 503 past the budget."""
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(state.executor, functools.partial(fn, *args, **kwargs))
    expired = False

    def expire() -> None:
        nonlocal expired
        if not future.done():
            expired = True
            future.cancel()

    timer = loop.call_later(state.settings.time_budget_s, expire)
    try:
        return await future
    except asyncio.CancelledError:
        if expired:
            raise ApiError(503, "time_budget_exceeded",
                           f"the query took longer than {state.settings.time_budget_s:g} s; narrow it") from None
        raise
    finally:
        timer.cancel()


def json_response(data: Any, status: int = 200, media_type: str = "application/json") -> Response:
    """Serialise once, without re-validating through the response model (documentation only).

    orjson: ~8x faster than the json module on plan responses (5 kB of legs and geometry), which
    is a visible share of the server's CPU per request under load.
    """
    return Response(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), status_code=status,
                    media_type=media_type)
