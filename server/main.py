"""create_app(settings): the FastAPI app — lifespan opens the bundle once per worker process,
middleware bounds requests (size), adds CORS and gzip, routers are wired here and only here.
"""
from __future__ import annotations

import asyncio
import functools
import gc
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

import engine

from .errors import error_response, install_error_handlers
from .routes import addok, batch, datasets, geocode, health, isochrone, matrix, plan, realtime, stops, streets
from .schemas import LIMIT_ERRORS
from .settings import Settings

STATIC = Path(__file__).resolve().parent / "static"

DESCRIPTION = """Journey planning (RAPTOR over GTFS, walking and cycling on OSM streets) and
geocoding over one Brique bundle. All query endpoints are `GET`, answer JSON, and report bad input
as a 4xx with `{"error": {"status", "code", "message", "parameter"}}`. Coordinates are WGS84:
points in query strings are `lat,lon`; GeoJSON geometries are `[lon, lat]`."""


class RequestLimits:
    """Pure ASGI middleware: reject oversized request targets (414) and bodies (413) early.

    ``body_limits``: larger body limits for the few POST paths that take one (path -> bytes)."""

    def __init__(self, app, max_url_bytes: int, max_body_bytes: int, body_limits: dict[str, int] | None = None):
        self.app, self.max_url, self.max_body = app, max_url_bytes, max_body_bytes
        self.body_limits = body_limits or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            if target > self.max_url:
                return await error_response(414, "uri_too_long", f"request target over {self.max_url} bytes")(
                    scope, receive, send)
            limit = self.body_limits.get(scope.get("path", ""), self.max_body)
            for name, value in scope.get("headers") or ():
                if name == b"content-length":
                    try:
                        too_big = int(value) > limit
                    except ValueError:
                        too_big = True
                    if too_big:
                        return await error_response(413, "body_too_large",
                                                    f"request body over {limit} bytes")(scope, receive, send)
        return await self.app(scope, receive, send)


async def _on_every_thread(executor: ThreadPoolExecutor, n_threads: int, fn) -> None:
    """Run ``fn`` once on each of the executor's ``n_threads`` threads (started now): each call
    holds its thread until all have started, so no thread takes two of them. The calls run one
    at a time: the first maps what the process shares, the others only find it mapped."""
    barrier = threading.Barrier(n_threads)
    one_at_a_time = threading.Lock()

    def once() -> None:
        with one_at_a_time:
            fn()
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:      # a thread did not start: its first query warms it
            pass

    await asyncio.gather(*(asyncio.wrap_future(executor.submit(once)) for _ in range(n_threads)))


def create_app(settings: Settings | None = None, network: engine.Network | None = None) -> FastAPI:
    """The app; ``network`` (an open bundle) is for tests, else the lifespan opens settings.bundle."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if network is not None:
            app.state.network = network
        else:
            if not settings.bundle:
                raise engine.errors.BundleError("no bundle: set BRIQUE_BUNDLE or pass Settings(bundle=...)")
            app.state.network = engine.open(settings.bundle, warmup=False)
        app.state.executor = ThreadPoolExecutor(settings.max_concurrent_queries, thread_name_prefix="brique-query")
        if network is None and settings.warmup:
            # map every index now, and allocate the workspaces (thread-local) on the threads that
            # will run the queries, not on this one (which runs none, unless inline_geocode: below)
            await _on_every_thread(app.state.executor, settings.max_concurrent_queries,
                                   functools.partial(app.state.network.warmup, everything=True))
            if settings.inline_geocode and getattr(app.state.network, "geocoder", None) is not None:
                app.state.network.geocoder.warmup()     # this thread answers plain geocodes (FastGeocode)
        # Everything allocated so far (libraries, kernels, the open bundle) lives as long as the
        # process: move it out of the collector's reach, else each full collection walks ~150k
        # objects (~80 ms here), which showed up as the p99 of every endpoint under load.
        gc.collect()
        gc.freeze()
        app.state.realtime_poller = realtime.start_poller(app, settings)     # GTFS-Realtime, if configured
        try:
            yield
        finally:
            if app.state.realtime_poller is not None:
                await app.state.realtime_poller.stop()
            app.state.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="Brique", version=getattr(engine, "__version__", "0"), description=DESCRIPTION,
                  lifespan=lifespan, docs_url="/docs", redoc_url=None, responses=LIMIT_ERRORS)
    app.state.settings = settings
    install_error_handlers(app)
    for module in (plan, matrix, isochrone, streets, geocode, addok, batch, stops, health, datasets, realtime):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes)
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "HEAD", "POST"],
                       allow_headers=["*"], max_age=600)
    # plain geocode requests skip FastAPI's layers and CORS/gzip's wrappers, not the limits
    app.add_middleware(geocode.FastGeocode, settings=settings)
    app.add_middleware(RequestLimits, max_url_bytes=settings.max_url_bytes, max_body_bytes=settings.max_body_bytes,
                       body_limits={"/v1/matrix": settings.max_matrix_body_bytes,
                                    "/v1/realtime": settings.max_realtime_body_bytes,
                                    **dict.fromkeys(batch.UPLOAD_PATHS, settings.max_upload_bytes)})
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory server.main:app_from_env`` (settings from BRIQUE_* env)."""
    return create_app(Settings(bundle=os.environ.get("BRIQUE_BUNDLE", "")))
